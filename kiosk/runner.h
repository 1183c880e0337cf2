/* runner.h - runs a headless script (script.h) against a kiosk: each command
 * becomes kiosk_input through kapp_input, `shot` renders to PNG, `expect`
 * checks the display list and the model. */
#ifndef USHER_RUNNER_H
#define USHER_RUNNER_H

#include <SDL.h>

#include "app.h"
#include "draw.h"
#include "sdnotify.h"

typedef struct krunner {
    kapp *app;
    kdraw *draw;
    SDL_Renderer *r;
    SDL_Surface *surface; /* the software renderer's target */
    const char *script;   /* path, for messages */
    const char *shots;    /* folder for `shot` */
    char nudge[24];       /* `nudge`: this button is moved by (nudge_x, nudge_y) */
    float nudge_x, nudge_y;
    sdnotify *sd; /* systemd's watchdog, pinged at every tick; NULL = none */
} krunner;

/* Runs every line; returns 0 when all held, 1 after printing
 * "SCRIPT:LINE: expected ..., got ..." for the first that did not, 2 when
 * the script cannot be read. */
int krunner_run(krunner *k);

/* Renders the current screen into the surface. */
void krunner_render(krunner *k);

#endif

/* draw.h - renders a ui_frame with an SDL_Renderer: text textures cached by
 * (text, font, colour, wrap width), seat discs from cached circle textures
 * (or plain squares when tiny), QR codes from libqrencode. The only kiosk
 * module besides main.c and sdlin.c that includes SDL. */
#ifndef USHER_DRAW_H
#define USHER_DRAW_H

#include <SDL.h>

#include "error.h"
#include "ui.h"

typedef struct kdraw kdraw;

/* Opens the font at font_path in the sizes a screen h pixels high uses.
 * USHER_IO with a message naming the file when it cannot be read. */
usher_err kdraw_new(SDL_Renderer *r, const char *font_path, int h, kdraw **out,
                    usher_errmsg *em) USHER_MUST_CHECK;
void kdraw_free(kdraw *d); /* NULL is a no-op */

/* Draws the whole frame (the caller presents or reads it) and remembers it. */
void kdraw_frame(kdraw *d, const ui_frame *f);

/* Draws only what differs from the frame drawn last (a dirty rectangle: the
 * union of the changed items and seats), on the same target. Returns 0 when
 * nothing changed (nothing drawn), 1 after a partial redraw, 2 after a full
 * one (no frame before, or a different screen). */
int kdraw_update(kdraw *d, const ui_frame *f);

#endif

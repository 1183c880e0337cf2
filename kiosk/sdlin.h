/* sdlin.h - the one place where SDL events become the kiosk's own inputs. */
#ifndef USHER_SDLIN_H
#define USHER_SDLIN_H

#include <SDL.h>

#include "kinput.h"

/* Which touch finger is "finger 0" (the one that taps and drags). */
typedef struct sdlin_state {
    bool finger_down;
    SDL_FingerID first;
} sdlin_state;

/* Converts e into at most one input for a w x h window; returns 1 when *out
 * was filled, 0 when the event means nothing to the kiosk. */
int sdlin_convert(sdlin_state *st, const SDL_Event *e, int w, int h, kiosk_input *out);

#endif

/* kguest.h - the guest flow inside the kiosk's state machine (kguest.c):
 * called by kmodel.c only; calls only kshared.c. */
#ifndef USHER_KGUEST_H
#define USHER_KGUEST_H

#include "kmodel.h"

/* A button on a guest screen (attract, entry, seatmap, confirm, done). */
void kguest__button(kmodel *m, const kworld *w, const char *name, int64_t now, keffects *fx);
/* A tap on the seat map at x, y (no button there). */
void kguest__map_tap(kmodel *m, const kworld *w, float x, float y, int64_t now, keffects *fx);
/* The code, payload or name typed or scanned (m->entry) at the entry screen. */
void kguest__submit(kmodel *m, const kworld *w, int64_t now, keffects *fx);
/* Idle, "Still there?", holds running out and seats lost meanwhile. */
void kguest__timers(kmodel *m, const kworld *w, int64_t now, keffects *fx);
/* Fits the seat map to the screen once per party (or after Fit). */
void kguest__ensure_map(kmodel *m, const kworld *w);

#endif

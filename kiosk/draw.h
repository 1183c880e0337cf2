/* draw.h - renders a ui_frame with an SDL_Renderer: text textures (ktext.h) cached by
 * (text, size, colour, box), seat discs from cached circle textures
 * (or plain squares when tiny), QR codes (shared/qrcode). The only kiosk
 * module besides main.c and sdlin.c that includes SDL. */
#ifndef USHER_DRAW_H
#define USHER_DRAW_H

#include <SDL.h>

#include "error.h"
#include "ui.h"

typedef struct kdraw kdraw;

/* Opens the text engine (ktext.h) with family as the first font; the rest
 * falls back through fontconfig. USHER_NOTFOUND with what to install when
 * there is no font. */
usher_err kdraw_new(SDL_Renderer *r, const char *family, kdraw **out,
                    usher_errmsg *em) USHER_MUST_CHECK;
void kdraw_free(kdraw *d); /* NULL is a no-op */

/* Where a text item's pixels land and whether they fit its box. */
typedef struct kdraw_text {
    krect box;      /* the text's own extent on screen */
    bool shortened; /* an ellipsis (or dropped lines) made it fit */
    int unknown;    /* characters no installed font has */
} kdraw_text;

/* Measures text item it of frame f as kdraw_frame draws it (an RTL frame's
 * texts are laid out right to left). */
usher_err kdraw_measure(kdraw *d, const ui_frame *f, const ui_item *it, kdraw_text *out,
                        usher_errmsg *em) USHER_MUST_CHECK;

/* Draws the whole frame (the caller presents or reads it) and remembers it. */
void kdraw_frame(kdraw *d, const ui_frame *f);

/* Draws only what differs from the frame drawn last (a dirty rectangle: the
 * union of the changed items and seats), on the same target. Returns 0 when
 * nothing changed (nothing drawn), 1 after a partial redraw, 2 after a full
 * one (no frame before, or a different screen). */
int kdraw_update(kdraw *d, const ui_frame *f);

#endif

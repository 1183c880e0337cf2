/* ktext.h - the kiosk's text engine: a string in any script laid out by Pango
 * (fontconfig finds a font for each character, HarfBuzz shapes Arabic, Indic
 * and Thai clusters, FriBiDi orders right-to-left runs) and rendered with
 * Cairo into a plain pixel buffer. No SDL: draw.c turns the buffers into
 * textures, and the unit tests look at them directly. */
#ifndef USHER_KTEXT_H
#define USHER_KTEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef struct ktext ktext;

/* Opens the engine with family as the first choice (e.g. "Noto Sans"); any
 * character that family lacks comes from another installed font. USHER_NOTFOUND
 * with a message saying what to install when fontconfig has no font at all. */
usher_err ktext_new(const char *family, ktext **out, usher_errmsg *em) USHER_MUST_CHECK;
void ktext_free(ktext *t); /* NULL is a no-op */

typedef struct ktext_opts {
    float px;   /* font size (em) in pixels */
    int width;  /* the box: a longer line is wrapped (wrap) or shortened with
                 * an ellipsis; 0 = unlimited */
    int height; /* wrap: lines below it are dropped, the last one ending in
                 * an ellipsis; 0 = unlimited */
    bool wrap;  /* break lines at width */
    int align;  /* lines of a wrapped text: -1 start, 0 centred, 1 end */
    bool rtl;   /* the UI reads right to left: a text with no strong
                 * direction of its own (digits, codes) is laid out RTL */
    uint8_t r, g, b, a;
} ktext_opts;

/* What a text became: its pixels (ARGB8888 words, straight alpha, w * h,
 * owned: ktext_img_release) and whether it fits. */
typedef struct ktext_img {
    uint32_t *pixels;
    int w, h;
    bool shortened; /* cut with an ellipsis (or lines dropped) to fit */
    int unknown;    /* characters no installed font has (drawn as boxes) */
} ktext_img;

/* Lays out and draws utf8 (invalid UTF-8 is drawn with replacement
 * characters, never read past its NUL). out is set only on success:
 * USHER_NOMEM, or USHER_INVAL for a size out of 1..2000 px. */
usher_err ktext_render(ktext *t, const char *utf8, const ktext_opts *o, ktext_img *out,
                       usher_errmsg *em) USHER_MUST_CHECK;

/* As ktext_render without the pixels (pixels stays NULL): the size it
 * would have, shortened, unknown. */
usher_err ktext_measure(ktext *t, const char *utf8, const ktext_opts *o, ktext_img *out,
                        usher_errmsg *em) USHER_MUST_CHECK;

void ktext_img_release(ktext_img *img); /* NULL or empty is a no-op */

/* The x of the left edge of the character at byte offset index of a
 * one-line utf8 at px, in pixels from the line's left; -1 when index is
 * outside the text. Tests check right-to-left order with it. */
int ktext_index_x(ktext *t, const char *utf8, float px, int index);

#endif

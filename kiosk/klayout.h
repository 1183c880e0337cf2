/* klayout.h - the geometry every kiosk screen is built from: computed once
 * from the window's size, its orientation and the screen's density, so that
 * text and touch targets have the same physical size on a 7" panel and on a
 * 4K monitor. Pure: no SDL, no I/O.
 *
 * The rules it owns: text is never smaller than KLAYOUT_MIN_CAP_MM of cap
 * height, a touch target never smaller than KLAYOUT_FINGER_MM on a side; in
 * portrait the seat map's panel goes below the map; the zoom controls sit in
 * a gutter beside the map, never over a seat. */
#ifndef USHER_KLAYOUT_H
#define USHER_KLAYOUT_H

#include <stdbool.h>

#include "seatmap.h"

#define KLAYOUT_MIN_CAP_MM 2.5 /* the smallest readable text, cap height */
#define KLAYOUT_FINGER_MM 9.0  /* the smallest target a finger hits reliably */
/* Cap height / em of the kiosk's fonts (Noto Sans, DejaVu Sans: 0.71-0.73). */
#define KLAYOUT_CAP_RATIO 0.714

typedef enum { FONT_S = 0, FONT_M, FONT_L, FONT_XL, FONT_COUNT } ui_font;

typedef struct klayout {
    int w, h;
    bool portrait;
    double ppmm;          /* pixels per millimetre */
    float finger;         /* 9 mm in pixels */
    float target;         /* a button's height: a finger, or a line of FONT_M if taller */
    float key;            /* a square control with a FONT_L label (zoom, keys) */
    float gap;            /* between neighbouring items */
    float px[FONT_COUNT]; /* text sizes (em), FONT_S at least min_px */
    float min_px;         /* the smallest text allowed (em) */
    float bar;            /* the status bar's height */
    krect body;           /* the screen below the status bar */
    krect map;            /* the seat map screen: where seats are drawn */
    krect gutter;         /* ...the zoom controls, beside the map */
    krect panel;          /* ...who chooses, the party, the legend, buttons */
} klayout;

/* The geometry of a w x h screen at ppmm pixels a millimetre. Sizes out of
 * range are clamped (at least 1 pixel, ppmm 1..40). */
void klayout_compute(klayout *L, int w, int h, double ppmm);

/* Where the seat map is on the screen itself: L->map, or its mirror image
 * in a right-to-left language (the venue is never mirrored, so the map is
 * drawn in screen coordinates; everything else is mirrored around it). */
krect klayout_map_rect(const klayout *L, bool rtl);

/* The smallest font size (em, px) whose cap height is KLAYOUT_MIN_CAP_MM. */
float klayout_min_px(double ppmm);

/* The line height for text of size font. */
float klayout_line(const klayout *L, ui_font font);

#endif

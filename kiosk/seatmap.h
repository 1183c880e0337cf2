/* seatmap.h - seat-map geometry: layout units to screen pixels, zoom and pan
 * within limits, and which seat a finger touched. Pure: no SDL, no I/O.
 *
 * A seat is a target a finger can hit only when neighbouring seats are at
 * least `finger` pixels apart on screen; below that, a tap zooms in around
 * the finger instead of choosing a seat (big venues), so seats stay
 * finger-sized whenever they can be chosen. */
#ifndef USHER_SEATMAP_H
#define USHER_SEATMAP_H

#include <stdbool.h>

#include "layout.h"

typedef struct krect {
    float x, y, w, h;
} krect;

bool krect_has(krect r, float x, float y);

typedef struct seatmap {
    krect area;                    /* where the map is drawn, pixels */
    double minx, miny, maxx, maxy; /* layout bounds, units */
    double pitch;                  /* smallest distance between neighbouring seats, units */
    double finger;                 /* smallest target a finger hits reliably, pixels */
    double fit_scale;              /* the whole venue in the area */
    double max_scale;              /* no closer than this */
    double scale;                  /* pixels per layout unit now */
    double ox, oy;                 /* screen = o + unit * scale */
} seatmap;

/* Sets up m to show all of l in area (pixels) with `finger` pixels as the
 * smallest tappable target. */
void seatmap_fit(seatmap *m, const layout *l, krect area, double finger);

/* The scale at which seats become tappable (neighbours `finger` apart). */
double seatmap_tap_scale(const seatmap *m);
/* True when seats can be chosen at the current scale. */
bool seatmap_tappable(const seatmap *m);

void seatmap_to_screen(const seatmap *m, double ux, double uy, float *sx, float *sy);
void seatmap_to_layout(const seatmap *m, float sx, float sy, double *ux, double *uy);

/* Radius of a seat's disc on screen, pixels (at least 1). */
float seatmap_seat_radius(const seatmap *m);

/* Level of detail: a venue of more than SEATMAP_LOD_MIN_SEATS seats whose
 * seats are drawn smaller than SEATMAP_LOD_PX (radius) is shown as its
 * sections, each with its free seats counted, until a tap brings it close
 * enough to choose seats (a stadium's overview: 100,000 dots nobody can tell
 * apart cost a frame each). */
#define SEATMAP_LOD_PX 2.5f
#define SEATMAP_LOD_MIN_SEATS 20000
bool seatmap_lod(const seatmap *m, int nseats);

/* Zooms by factor keeping the layout point under (sx, sy) there, within
 * [fit_scale, max_scale]; then clamps the pan. */
void seatmap_zoom(seatmap *m, double factor, float sx, float sy);
/* Zooms to scale s with the layout point under (sx, sy) moved to the area's
 * centre (a tap on an overview). */
void seatmap_focus(seatmap *m, double s, float sx, float sy);
/* Moves the map by (dx, dy) pixels, clamped so the venue stays in view. */
void seatmap_pan(seatmap *m, float dx, float dy);

/* The seat under a finger at (sx, sy): the nearest seat centre within half
 * the larger of the seat's disc and the finger size; -1 when none or when
 * the point is outside the area. */
int seatmap_hit(const seatmap *m, const layout *l, float sx, float sy);

/* Smallest distance between neighbouring seats (consecutive seats of a
 * section), units; LAYOUT_SEAT_SIZE when there are fewer than two. */
double seatmap_min_pitch(const layout *l);

#endif

/* layout__internal.h - what the layout's files share, not part of libusher's
 * API: layout_model.c (the model: building, lookups), layout.c (JSON),
 * layout_place.c (where counted seats go), layout_gen.c (generated layouts).
 * Each depends only on those listed before it. */
#ifndef USHER_LAYOUT__INTERNAL_H
#define USHER_LAYOUT__INTERNAL_H

#include <stdbool.h>

#include "layout.h"

#define LAYOUT__COORD_MAX 1e6    /* |x| and |y| of every section centre and seat */
#define LAYOUT__ROW_SPACING 55.0 /* default between seat centres along a row */
#define LAYOUT__SPACING_MAX 1e4  /* a row's spacing, at most */
#define LAYOUT__CURVE_MAX 1e5    /* |curve| of a row, at most */

/* ---- layout_model.c: building a layout ---- */

/* A new empty layout (no name, no sections); NULL when out of memory. */
layout *layout__alloc(void);

/* Writes "out of memory while building the layout" into em; USHER_NOMEM. */
usher_err layout__oom(usher_errmsg *em);

/* Appends a copy of sec, whose id must be new in l (USHER_INVAL names the
 * earlier one). */
usher_err layout__push_section(layout *l, const layout_section *sec, usher_errmsg *em);

/* Appends a copy of seat, whose id must be new in l. `listed` says whether it
 * came from a "seats" array, for the message naming a duplicate. */
usher_err layout__push_seat(layout *l, const layout_seat *seat, bool listed, usher_errmsg *em);

/* Sets the layout's name (cut to USHER_EVENT_NAME_SIZE - 1 bytes). */
void layout__set_name(layout *l, const char *name);

/* Computes the bounds once every seat is in; call it last. */
void layout__finish(layout *l);

/* ---- layout_place.c: placing counted seats ---- */

/* The decimal digits of n (n >= 0). */
int layout__digits(int n);

/* Writes prefix sep n (n zero-padded to width) into an id buffer; false when
 * it does not fit (callers check lengths first). */
bool layout__numbered_id(char out[USHER_SEAT_ID_SIZE], const char *prefix, const char *sep,
                         int width, int n);

/* The radius that keeps n seats round a table comfortably apart, in whole
 * units (never below 1.5 seats). */
double layout__default_radius(int n);

/* The smallest radius at which n seats round a table do not overlap. */
double layout__min_radius(int n);

/* Makes the seat_count seats of section si (the last section pushed): ids
 * "<section id>-NN", labels "1".., the section's class, placed round the table
 * from the top clockwise or along the row from left to right, its ends bent
 * `curve` units toward y-. USHER_INVAL when an id would be too long or a seat
 * would fall outside the drawing area. */
usher_err layout__generate_seats(layout *l, int si, double spacing, double curve, usher_errmsg *em);

/* True when the seats of sec are exactly what its counted form would make
 * (ids, labels, the section's class, places): *spacing and *curve get a
 * row's (a table's radius is the section's own). layout_to_json then writes
 * the count instead of every seat: a stadium's layout is kilobytes, not
 * megabytes, and reads back identical. */
bool layout__counted_form(const layout *l, const layout_section *sec, double *spacing,
                          double *curve);

#endif

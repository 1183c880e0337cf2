/* layout.h - a venue's seats: sections of round tables and theatre rows, each seat
 * with a stable id, a label, a position for drawing and an optional class.
 *
 * Loaded from JSON (format: assets/layouts/README.md) or generated from a short spec
 * ("gala:25x10", "theatre:20x30"). A layout is immutable once made; seat and
 * section indexes are stable for its lifetime. Coordinates are in layout
 * units (about a centimetre; a seat is drawn LAYOUT_SEAT_SIZE units wide).
 */
#ifndef USHER_LAYOUT_H
#define USHER_LAYOUT_H

#include <stddef.h>

#include "domain.h"
#include "error.h"

#define LAYOUT_SEAT_SIZE 50.0
#define LAYOUT_MAX_SECTIONS 2000
#define LAYOUT_MAX_SEATS_PER_SECTION 1000

typedef enum { SECTION_TABLE = 1, SECTION_ROW = 2 } section_kind;

typedef struct layout_section {
    char id[USHER_SEAT_ID_SIZE];  /* "T07", "A" */
    char label[USHER_LABEL_SIZE]; /* "Table 7", "Row A" */
    section_kind kind;
    char klass[USHER_CLASS_SIZE]; /* default class of its seats, may be "" */
    double x, y;                  /* table: centre; row: centre of the row */
    double radius;                /* table only */
    int first_seat;               /* index of its first seat in the layout */
    int seat_count;
    double minx, miny, maxx, maxy; /* its seats' bounds with half a seat of margin
                                    * (set when the layout is built; empty: inverted) */
} layout_section;

typedef struct layout_seat {
    char id[USHER_SEAT_ID_SIZE];  /* never empty, unique in the layout */
    char label[USHER_LABEL_SIZE]; /* "3" */
    char klass[USHER_CLASS_SIZE]; /* "" = open to every ticket class */
    int section;                  /* index into the sections */
    int number;                   /* 1-based position within its section */
    double x, y;                  /* centre, layout units */
} layout_seat;

typedef struct layout layout;

/* Parses a layout from JSON text (len bytes). On failure returns USHER_PARSE or
 * USHER_INVAL with a message naming the key, section or seat and why
 * ("sections[3].seats[7]: duplicate seat id \"T04-08\""); *out untouched.
 * The caller frees the result with layout_free. */
usher_err layout_from_json(const char *text, size_t len, layout **out,
                           usher_errmsg *em) USHER_MUST_CHECK;

/* Reads and parses a layout file; messages start with the file name. */
usher_err layout_load_file(const char *path, layout **out, usher_errmsg *em) USHER_MUST_CHECK;

/* Generates a common shape from a spec:
 *   "gala:TxS"     T round tables of S seats, ids T01-01..; tables in a grid
 *   "theatre:RxS"  R rows (A..Z, AA..) of S seats, ids A-1..; a gentle curve
 * Optional ",vip=N" makes the first N tables/rows class "VIP".
 * Absurd sizes (0, more than LAYOUT_MAX_* seats) are refused. */
usher_err layout_generate(const char *spec, layout **out, usher_errmsg *em) USHER_MUST_CHECK;

/* Loads `spec` as a generator spec when it starts with "gala:" or "theatre:",
 * else as a JSON file path. */
/* The number or letter of a section whose label is the generator's own
 * English word for it ("Table 7" gives "7", "Row AB" gives "AB"), so that a
 * screen can say it in its language; NULL for an organiser's own label
 * ("Rose table"), which is shown as written. Points into sec. */
const char *layout_generated_label(const layout_section *sec);

usher_err layout_open(const char *spec, layout **out, usher_errmsg *em) USHER_MUST_CHECK;

/* Serialises to the JSON format layout_from_json reads (explicit seats).
 * Returns a malloc'd NUL-terminated string the caller frees, or NULL on OOM. */
char *layout_to_json(const layout *l);
/* The same layout with each section whose seats are exactly what its
 * counted form makes written as that count ("seats": 500, "spacing",
 * "curve"): what devices are sent (a 100,000-seat theatre is 21 KB instead
 * of 4.4 MB, and a device parses kilobytes). Reads back identical. */
char *layout_to_json_compact(const layout *l);

void layout_free(layout *l); /* NULL is a no-op */

const char *layout_name(const layout *l);
int layout_seat_count(const layout *l);
int layout_section_count(const layout *l);
/* i must be in range. */
const layout_seat *layout_seat_at(const layout *l, int i);
const layout_section *layout_section_at(const layout *l, int i);
/* Index of the seat with this id, or -1. O(1) on average. */
int layout_find_seat(const layout *l, const char *id);
int layout_find_section(const layout *l, const char *id);
/* Bounding box of all seats (with a seat's margin), for drawing. */
void layout_bounds(const layout *l, double *minx, double *miny, double *maxx, double *maxy);

#endif

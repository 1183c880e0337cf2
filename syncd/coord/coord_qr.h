/* coord_qr.h - printable QR tickets: PDF sheets of cards (Cairo's PDF surface,
 * Pango for names in every script), several per page, rendered by a few
 * threads, each writing whole files; per-ticket SVG files on request. */
#ifndef USHER_COORD_QR_H
#define USHER_COORD_QR_H

#include <stdbool.h>
#include <stddef.h>

#include "coorddb.h"
#include "error.h"
#include "state.h"

typedef enum { COORD_QR_A4 = 0, COORD_QR_LETTER } coord_qr_paper;

typedef struct coord_qr_opts {
    coord_qr_paper paper;
    int cols, rows;      /* cards per page across and down, 1..8 and 1..12 */
    int per_file;        /* tickets per PDF file (rounded up to whole pages), >= 1 */
    int jobs;            /* rendering threads, 1..16 */
    bool per_ticket_svg; /* also DIR/CODE.svg for each ticket */
} coord_qr_opts;

/* A card's place on its page, in PDF points (1/72 inch) from the top left. */
typedef struct coord_qr_card {
    double x, y, w, h;          /* the card (its cut line) */
    double qr_x, qr_y, qr_side; /* the QR code's square, quiet zone included */
    double text_x, text_w;      /* the text column right of the code */
} coord_qr_card;

/* Page size in points for a paper. */
void coord_qr_page_size(coord_qr_paper paper, double *w, double *h);

/* Geometry of card `slot` (0..cols*rows-1, row by row) on a page of the options'
 * paper. USHER_INVAL (saying which option to change) when the cards would be
 * too small for a QR code a phone or door scanner reads (under 22 mm) or for
 * the guest's name beside it; *out is written only on success. Pure. */
usher_err coord_qr_card_at(const coord_qr_opts *o, int slot, coord_qr_card *out,
                           usher_errmsg *em) USHER_MUST_CHECK;

/* Writes DIR/tickets-0001.pdf, ... (every ticket that is not revoked, in the
 * state's order; a card shows the name, the code, the seat if any, the class
 * and the signed QR code), DIR/payloads.csv (ticket_number,full_name,payload:
 * what each code holds, for a mail merge) and, with per_ticket_svg, one SVG per
 * ticket. DIR must exist. *tickets and *files count what was written.
 * USHER_IO naming the file on a write error, USHER_NOMEM. Thread-safe with
 * respect to st only if nobody changes it meanwhile (the caller owns it). */
usher_err coord_qr_write(const coord_event *ev, const state *st, const char *dir,
                         const coord_qr_opts *o, int *tickets, int *files,
                         usher_errmsg *em) USHER_MUST_CHECK;

#endif

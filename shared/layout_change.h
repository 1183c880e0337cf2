/* layout_change.h - the one rule for replacing an event's layout while tickets
 * sit in it: seats and sections may be added, drawings moved, free seats
 * re-classed or dropped; a seat that holds a ticket is never dropped,
 * renumbered, moved to another section or re-classed. Pure.
 */
#ifndef USHER_LAYOUT_CHANGE_H
#define USHER_LAYOUT_CHANGE_H

#include <stddef.h>

#include "error.h"
#include "layout.h"

/* A seat that holds a ticket now (borrowed strings). */
typedef struct layout_taken {
    const char *seat;   /* seat id in the current layout */
    const char *ticket; /* the ticket code sitting there */
} layout_taken;

/* Checks that `next` may replace `cur` with the `n` taken seats in `taken`.
 * USHER_OK when it may; USHER_CONFLICT with a message naming the first seat
 * it would lose and how ("seat T05-02 holds ticket GALA-0002: the new layout
 * drops it; unseat or move the guest first"). Nothing is changed. */
usher_err layout_change_check(const layout *cur, const layout *next, const layout_taken *taken,
                              size_t n, usher_errmsg *em) USHER_MUST_CHECK;

#endif

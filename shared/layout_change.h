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
#include "state.h"

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

/* What replacing `cur` by `next` does to the seats and sections, by id: how
 * many of next's are new, how many of cur's it drops, how many it keeps. */
typedef struct layout_change_counts {
    int seats_added, seats_dropped, seats_kept;
    int sections_added, sections_dropped;
} layout_change_counts;
void layout_change_count(const layout *cur, const layout *next, layout_change_counts *out);

/* Moves the state st (over its layout) onto `next` when layout_change_check
 * allows it for the seats st shows taken: every ticket keeps its seat,
 * check-in and revocation, and every seat id that stays keeps its state
 * (state_rebase). USHER_CONFLICT with layout_change_check's message when it
 * refuses; USHER_NOMEM. next is borrowed by the result, which the caller
 * frees; *out is set only on success and st is never changed. Before the
 * event opens (no seat taken) any layout may replace any other. */
usher_err layout_change_apply(const state *st, const layout *next, state **out,
                              usher_errmsg *em) USHER_MUST_CHECK;

#endif

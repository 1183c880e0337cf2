/* guest_find.h - finding guests as a person types part of a name or a code,
 * case and accents ignored in every script (fold.h decides what reads the
 * same). The dashboard's guest search and a door's staff search both use it,
 * so that a guest found on one is found on the other. Pure.
 */
#ifndef USHER_GUEST_FIND_H
#define USHER_GUEST_FIND_H

#include <stddef.h>

#include "state.h"

#define GUEST_FIND_QUERY_MAX 100 /* bytes of a query (longer ones are refused by callers) */

/* Which tickets a search looks at: all, or only those inside now
 * (domain_ticket_inside: the dashboard's "Inside" filter). */
typedef enum guest_filter {
    GUEST_ALL = 0,
    GUEST_INSIDE,
} guest_filter;

/* Tickets of st that pass filter and whose code or name holds query (folded),
 * in the state's order: the first `max` indices go to idx (state_ticket
 * order), and the number of all matches is returned. A NULL or empty query (or one of white
 * space only) matches every ticket; a query that is not valid UTF-8 or is
 * longer than GUEST_FIND_QUERY_MAX bytes matches none. idx may be NULL when
 * max is 0. */
size_t guest_find(const state *st, const char *query, guest_filter filter, int *idx, size_t max);

#endif

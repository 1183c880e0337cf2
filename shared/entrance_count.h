/* entrance_count.h - how many tickets each entrance has let in, expects and
 * has inside now: one rule for the coordinator (/v1/entrances, /metrics) and
 * the door (its count line), over the same state. */
#ifndef USHER_ENTRANCE_COUNT_H
#define USHER_ENTRANCE_COUNT_H

#include <stdint.h>

#include "entrance.h"
#include "state.h"

/* For each of s's entrances, over st:
 *   admitted  tickets checked in whose last entry was by one of its doors
 *             (inside now, or gone out since)
 *   expected  tickets not revoked that it admits (entrance_admits; a ticket
 *             that several entrances admit counts in each of them)
 *   inside    tickets inside now whose last entry was by one of its doors
 * A check-in counts at the entrance its door belongs to now (the
 * coordinator's check-in rows keep the entrance as it was when it scanned). */
typedef struct entrance_count {
    int64_t admitted, expected, inside;
} entrance_count;

void entrance_count_all(const entrance_set *s, const state *st, entrance_count out[ENTRANCE_MAX]);

/* The tickets inside now whose last entry was by one of e's doors (the
 * `inside` of entrance_count_all for one entrance, without the rest). */
int64_t entrance_count_inside(const entrance *e, const state *st);

#endif

/* coord_entrance.h - the organiser's entrances in the coordinator's store:
 * adding one (its classes and sections checked against the event's), removing
 * one no door belongs to, putting a door at one, and reading them back. The
 * same SQL on both stores (coorddb_write, coorddb_read_rows); the rule of
 * which entrance admits a ticket is entrance.h's.
 *
 * Writers: usher-coord's commands with serve stopped (they hold the store's
 * lock), or serve's committer (the API). Either way one writer at a time, so
 * a check and the write after it see the same rows.
 */
#ifndef USHER_COORD_ENTRANCE_H
#define USHER_COORD_ENTRANCE_H

#include <jansson.h>
#include <stdint.h>

#include "coorddb.h"
#include "entrance.h"
#include "error.h"
#include "entrance_count.h"
#include "layout.h"
#include "state.h"

/* Every entrance, in the order they were added, into *out (out->mine = "").
 * USHER_DB. */
usher_err coord_entrances_read(coorddb *db, entrance_set *out, usher_errmsg *em) USHER_MUST_CHECK;

/* Adds e. Refused with USHER_INVAL (nothing written) for a bad name or rule
 * (entrance_check), a class that no ticket and no seat of the event has or a
 * section the layout l lacks (the sentence names them and what exists), or a
 * 33rd entrance; USHER_EXISTS when an entrance of the same name is there
 * (entrance_same_name: case and accents ignored). Classes and sections are
 * stored spelled as the event spells them. */
usher_err coord_entrance_add(coorddb *db, const layout *l, const entrance *e, int64_t now,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* Removes the entrance named name. USHER_NOTFOUND (naming the entrances
 * there are) for none of that name; USHER_CONFLICT while a device belongs to
 * it, naming the devices and the fix. Nothing written on failure. */
usher_err coord_entrance_remove(coorddb *db, const char *name, usher_errmsg *em) USHER_MUST_CHECK;

/* Puts device `id` at the entrance named name ("" = none). USHER_NOTFOUND for
 * an unknown device or entrance; USHER_INVAL for a device whose role is not
 * door. The entrance is stored as it is named. Nothing written on failure. */
usher_err coord_entrance_assign(coorddb *db, const char *id, const char *name,
                                usher_errmsg *em) USHER_MUST_CHECK;

/* The entrances with every door's entrance, for a serving coordinator: it
 * answers every sync with the entrances and the asking device's own without
 * asking the database. Reloaded by its owner after every change it makes
 * (coord_entrance_cache_load on the committer); readers on any thread. */
typedef struct coord_entrance_cache coord_entrance_cache;

coord_entrance_cache *coord_entrance_cache_new(void);    /* NULL on OOM */
void coord_entrance_cache_free(coord_entrance_cache *c); /* NULL is a no-op */

/* Reads the entrances and the doors' entrances from db. On failure the cache
 * keeps what it had. */
usher_err coord_entrance_cache_load(coord_entrance_cache *c, coorddb *db,
                                    usher_errmsg *em) USHER_MUST_CHECK;

/* The entrances, with out->mine = device's entrance: the cache's word for a
 * device it knows, else `fallback` (the device's row as its token was last
 * checked: a door added while serving), which the cache then keeps (the
 * entrance lists the door, its check-ins count there). */
void coord_entrance_cache_get(coord_entrance_cache *c, const char *device, const char *fallback,
                              entrance_set *out);

/* What coord_entrance_cache_get gives, as the protocol's JSON (a new
 * reference; NULL on OOM): encoded under the cache's lock from its own copy,
 * so that a sync answer copies no set. */
json_t *coord_entrance_cache_json(coord_entrance_cache *c, const char *device,
                                  const char *fallback);

/* Each entrance's counts over st (entrance_count_all; the caller holds st
 * still), with the entrances they are of into *set. */
void coord_entrance_cache_counts(coord_entrance_cache *c, const state *st, entrance_set *set,
                                 entrance_count counts[ENTRANCE_MAX]);

#endif

/* coord_import.h - importing a ticket file into the event, the one path the
 * command line (`tickets import`), the API (POST /v1/tickets/import) and the
 * dashboard share: the file's bytes are read (ticket_import), compared with
 * the event (ticket_merge), shown (text or JSON), and applied only when not a
 * dry run, through coorddb_admin_change so that every change reaches every
 * device.
 */
#ifndef USHER_COORD_IMPORT_H
#define USHER_COORD_IMPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "coorddb.h"
#include "ticket_import.h"
#include "ticket_merge.h"

typedef struct coord_import_opts {
    const char *map;        /* --map / ?map=; NULL or "" for none */
    ticket_missing missing; /* --keep-missing (default) / --revoke-missing */
    const char *device;     /* who imports: stamps revoke ops */
} coord_import_opts;

/* One import. Init with coord_import_init; release with coord_import_release. */
typedef struct coord_import {
    coord_import_opts opts;
    ticket_import file;
    csv_report problems;    /* line by line, when the file is refused */
    usher_errmsg em;        /* the file-level reason it was refused */
    ticket_merge plan;      /* against the state it was planned on */
    ticket_list last_seats; /* coorddb_import_seats: the seats earlier imports gave */
    bool read;              /* the file was read (file and plan valid) */
} coord_import;

void coord_import_init(coord_import *ci, const coord_import_opts *opts);
void coord_import_release(coord_import *ci);

/* Reads the file's bytes. USHER_PARSE: ci->em and ci->problems say why
 * (nothing is read). USHER_NOMEM. */
usher_err coord_import_read(coord_import *ci, const char *data, size_t len) USHER_MUST_CHECK;

/* Loads the seats earlier imports gave (coorddb_import_seats) into ci, for
 * the plan: a re-import moves a ticket only when its file's seat changed.
 * A coordinator's database read: the CLI calls it directly, the server on
 * the committer (engine_with_db). USHER_DB, USHER_NOMEM (ci->em says why). */
usher_err coord_import_load_seats(coorddb *db, void *ci) USHER_MUST_CHECK;

/* Plans the import against st at the coordinator's clock (a dry run stops
 * here). USHER_PARSE when a pre-assigned seat cannot be had: ci->problems
 * names each row and the fix, ci->em sums up, and nothing may be imported.
 * USHER_NOMEM. */
usher_err coord_import_plan(coord_import *ci, const state *st) USHER_MUST_CHECK;

/* A coorddb_admin_fn (arg: a read coord_import): plans against the state it
 * is given (so the plan shown is the one applied) and applies it; USHER_PARSE
 * as coord_import_plan (a seat taken meanwhile), nothing applied. */
usher_err coord_import_apply(state *st, void *arg, change **out, size_t *n, usher_errmsg *em);

/* The summary people read: format, encoding, separator, mapping, counts
 * ("12 new, 3 updated, 1 revoked, 230 unchanged"), warnings, first rows,
 * the names changed and the tickets revoked. */
void coord_import_print(const coord_import *ci, bool dry_run, FILE *out);

/* The same as JSON for the API and the dashboard (new reference). */
json_t *coord_import_json(const coord_import *ci, bool dry_run);

/* The problems of a refused file as JSON: {"error": "invalid", "message",
 * "problems": [{"line", "message"}], "total"} (new reference). */
json_t *coord_import_refusal_json(const coord_import *ci);

#endif

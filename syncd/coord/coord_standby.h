/* coord_standby.h - several serves of one PostgreSQL event: the one holding
 * the store's lock is active, the others standby. A thread of the serve's
 * own keeps its part right: as standby it tries the lock every
 * COORD_STANDBY_TRY_MS and, once it has it, loads the state (engine_open_db)
 * and serves; as active it notices when another serve took the database over
 * (its session was lost meanwhile) and becomes a standby again. Both write
 * the serve's advertised address to the store's list of serves. */
#ifndef USHER_COORD_STANDBY_H
#define USHER_COORD_STANDBY_H

#include <stdint.h>

#include "coord_engine.h"
#include "coord_http.h"
#include "coord_role.h"
#include "coorddb.h"
#include "error.h"

#define COORD_STANDBY_TRY_MS 500     /* a standby's tries of the lock */
#define COORD_STANDBY_SEEN_MS 1000   /* heartbeats in the list of serves */
#define COORD_STANDBY_FRESH_MS 10000 /* a serve unseen for longer is not listed */

typedef struct coord_standby coord_standby;

typedef struct coord_standby_config {
    const char *db_path;  /* --db: a PostgreSQL database */
    const char *event_id; /* --event-id: which of its events; NULL: its only one */
    reseat_policy reseat;
    int64_t recent_ops;
    coord_role *role;  /* borrowed; its part is set here */
    coord_server *srv; /* borrowed; given each new engine */
} coord_standby_config;

/* Starts the thread. e: the engine when this serve is active already (it
 * took the lock at start; ownership passes here), else NULL with *probe the
 * store opened at start (ownership passes here, *probe = NULL). */
usher_err coord_standby_start(const coord_standby_config *cfg, engine *e, coorddb **probe,
                              coord_standby **out, usher_errmsg *em) USHER_MUST_CHECK;

/* Stops the thread (no change of part after it) and unhooks every engine
 * from the server: call before coord_server_stop. */
void coord_standby_halt(coord_standby *sb);

/* Frees every engine it made (after coord_server_stop) and the store; NULL
 * is a no-op. */
void coord_standby_free(coord_standby *sb);

#endif

/* coordpg.h - the coordinator's store on PostgreSQL (libpq): the contract of
 * coorddb.h on a PostgreSQL database, plugged in by usher-coord with
 * coorddb_set_postgresql(coordpg_backend()) before it opens a store.
 *
 * Same tables and columns as the SQLite store (so the exports' SQL reads
 * both), versioned migrations (meta "usher_schema"), one transaction per
 * group commit answered only once PostgreSQL says COMMIT (durable with the
 * server's default synchronous_commit), every value passed as a parameter of
 * a prepared statement. Differences, as coorddb.h says: no checkpoints of
 * our own, no coorddb_sqlite, backups with pg_dump; coorddb_lock is a session
 * advisory lock.
 */
#ifndef USHER_COORDPG_H
#define USHER_COORDPG_H

#include <stdint.h>

#include "coorddb_backend.h"

/* The store's function table (static: never freed). */
const coorddb_backend *coordpg_backend(void);

/* The advisory lock key of coorddb_lock for an event (its id; "" or NULL
 * for a database's single event): every serve of one event computes the
 * same key, two events on one server never share one. */
int64_t coordpg_lock_key(const char *event_id);

/* Highest schema version this build writes. */
int coordpg_schema_version(void);

#endif

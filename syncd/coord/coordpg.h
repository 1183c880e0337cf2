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
 *
 * A copy of the database is told from the original: meta "log_home" names
 * where the op log lives (the cluster's system identifier, the database's
 * and its meta table's object ids, the server's timeline). Opened where that
 * no longer holds (pg_restore into a new database or over the old one,
 * createdb --template, a point-in-time recovery or a promoted standby), the
 * store gives its op log a new id (coorddb_renew_log_id) before anything else
 * reads it, so that devices whose cursor counts in the original rebuild.
 */
#ifndef USHER_COORDPG_H
#define USHER_COORDPG_H

#include <stdint.h>

#include "coorddb_backend.h"

/* The store's function table (static: never freed). */
const coorddb_backend *coordpg_backend(void);

/* The key of the session advisory lock that makes one serve the only writer
 * of an event (coorddb_lock), from the event's schema: the first event of a
 * database (schema public) has the key a database of one event always had;
 * every other a 64-bit hash of its schema's name. */
int64_t coordpg_lock_key(const char *schema);

/* Highest schema version this build writes. */
int coordpg_schema_version(void);

#endif

/* store.h - opening Usher's SQLite files: WAL mode, durable commits, versioned
 * migrations, and telling a coordinator database from a device journal.
 *
 * Each kind of file has an ordered list of migrations; PRAGMA user_version is
 * the number applied and PRAGMA application_id the kind. Opening runs the
 * missing migrations in one transaction; a file from a newer Usher (higher
 * version) or of the other kind is refused with a message saying what to do.
 */
#ifndef USHER_STORE_H
#define USHER_STORE_H

#include <sqlite3.h>
#include <stdbool.h>

#include "error.h"

typedef enum {
    STORE_COORD = 1,  /* the coordinator's authoritative database */
    STORE_DEVICE = 2, /* a device's journal: outbox, replica, cursor, identity */
} store_kind;

/* Highest schema version this build knows for a kind. */
int store_schema_version(store_kind kind);

/* Opens (creating if missing) and migrates to the newest version. Sets WAL,
 * synchronous=FULL (a commit is on disk when it returns), foreign keys and a
 * busy timeout. The caller closes *out with sqlite3_close. */
usher_err store_open(const char *path, store_kind kind, sqlite3 **out, usher_errmsg *em)
    USHER_MUST_CHECK;

/* As store_open but migrates only up to `version` (tests of migration). */
usher_err store_open_version(const char *path, store_kind kind, int version, sqlite3 **out,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* Transactions. begin takes the write lock at once (BEGIN IMMEDIATE). */
usher_err store_begin(sqlite3 *db, usher_errmsg *em) USHER_MUST_CHECK;
usher_err store_commit(sqlite3 *db, usher_errmsg *em) USHER_MUST_CHECK;
void store_rollback(sqlite3 *db); /* safe to call when no transaction is open */

/* Runs SQL without results; USHER_DB with SQLite's words in em on failure. */
usher_err store_exec(sqlite3 *db, const char *sql, usher_errmsg *em) USHER_MUST_CHECK;

/* A one-row key/value table "meta" exists in both kinds. get copies into out
 * (size bytes); USHER_NOTFOUND when the key is absent. */
usher_err store_meta_get(sqlite3 *db, const char *key, char *out, size_t size, usher_errmsg *em)
    USHER_MUST_CHECK;
usher_err store_meta_set(sqlite3 *db, const char *key, const char *value, usher_errmsg *em)
    USHER_MUST_CHECK;

/* PRAGMA integrity_check == "ok". */
bool store_integrity_ok(sqlite3 *db);

#endif

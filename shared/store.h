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
#include "op.h"

typedef enum {
    STORE_COORD = 1,  /* the coordinator's authoritative database */
    STORE_DEVICE = 2, /* a device's journal: outbox, replica, cursor, identity */
} store_kind;

/* Highest schema version this build knows for a kind. */
int store_schema_version(store_kind kind);

/* Opens (creating if missing) and migrates to the newest version. Sets WAL,
 * synchronous=FULL (a commit is on disk when it returns), foreign keys and a
 * busy timeout. The caller closes *out with sqlite3_close. */
usher_err store_open(const char *path, store_kind kind, sqlite3 **out,
                     usher_errmsg *em) USHER_MUST_CHECK;

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
 * (size bytes); USHER_NOTFOUND when the key is absent, USHER_TOOBIG when the
 * value does not fit (out then untouched). */
usher_err store_meta_get(sqlite3 *db, const char *key, char *out, size_t size,
                         usher_errmsg *em) USHER_MUST_CHECK;
usher_err store_meta_set(sqlite3 *db, const char *key, const char *value,
                         usher_errmsg *em) USHER_MUST_CHECK;
/* As store_meta_get for a key that may be absent: out is "" then, and em is
 * written only on a real failure. */
usher_err store_meta_opt(sqlite3 *db, const char *key, char *out, size_t size,
                         usher_errmsg *em) USHER_MUST_CHECK;
/* As store_meta_get for values of any length (a layout's JSON): *out is a
 * malloc'd copy the caller frees. USHER_NOTFOUND when the key is absent. */
usher_err store_meta_dup(sqlite3 *db, const char *key, char **out,
                         usher_errmsg *em) USHER_MUST_CHECK;

/* Turns the last SQLite error on db into an usher_err (USHER_BUSY for a locked
 * database, USHER_NOMEM, USHER_IO for a full disk or I/O error, else USHER_DB)
 * with "<what>: <SQLite's words>" in em. For the modules built on this one
 * (journal, coorddb), so that every SQLite failure reads the same way. */
usher_err store_fail(sqlite3 *db, usher_errmsg *em, const char *what);

/* Row helpers shared by journal.c and coorddb.c, which keep ops, verdicts,
 * seats and tickets in the same columns (named as in the struct fields):
 *   op       10 columns: id, device, kind, ticket, seat, at, expect_ticket_seat,
 *            expect_seat_free, party, ttl_ms
 *   verdict   8 columns: status, first, reason, reseat, ticket_seat,
 *            seat_ticket, checked_in_at, checkin_device (op_id is the op's id)
 *   seat      6 columns: ticket, blocked, hold_device, hold_until, lease_device,
 *            lease_until (the change log prefixes them with seat_)
 *   ticket    8 columns: code, name, class, seat, party, checked_in_at,
 *            checkin_device, revoked
 * Kinds, statuses and reasons are stored by their wire names ("" for none).
 * bind_* bind parameters first.. (strings SQLITE_STATIC: step before the value
 * goes away) and return an SQLite result code; read_* read columns first.. */
#define STORE_OP_COLUMNS 12
#define STORE_VERDICT_COLUMNS 8
#define STORE_SEAT_COLUMNS 6
#define STORE_TICKET_COLUMNS 12
int store__bind_op(sqlite3_stmt *st, int first, const usher_op *op);
void store__read_op(sqlite3_stmt *st, int first, usher_op *op);
int store__bind_verdict(sqlite3_stmt *st, int first, const verdict *v);
void store__read_verdict(sqlite3_stmt *st, int first, verdict *v);
int store__bind_seat(sqlite3_stmt *st, int first, const seat_state *s);
void store__read_seat(sqlite3_stmt *st, int first, seat_state *s);
int store__bind_ticket(sqlite3_stmt *st, int first, const ticket_state *t);
void store__read_ticket(sqlite3_stmt *st, int first, ticket_state *t);
/* Copies a text column into buf (size bytes), "" for NULL; truncates. */
void store__column_text(sqlite3_stmt *st, int col, char *buf, size_t size);

/* PRAGMA integrity_check == "ok". */
bool store_integrity_ok(sqlite3 *db);

#endif

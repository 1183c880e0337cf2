/* coorddb.h - the coordinator's authoritative store: the event, its layout and
 * signing key, seats, tickets, the op log with verdicts, the change log
 * (sequence numbers), alerts, check-ins and devices with hashed tokens.
 *
 * One contract, two stores. A --db that is a file path is a SQLite database
 * (coorddb.c, the default); a PostgreSQL connection string (coordwhere.h) is
 * a PostgreSQL database, through the store a program registers with
 * coorddb_set_postgresql (coorddb_backend.h; usher-coord's is
 * syncd/coord/coordpg.c: libusher never links libpq). Callers do not tell them
 * apart: every function below means the same on both, except where it says
 * "PostgreSQL:".
 *
 * The coordinator keeps the state in memory (state.h) and writes through: each
 * batch of ops is one transaction that stores the ops, their verdicts, the
 * changes they made (numbered here) and the resulting rows. On start it loads
 * the state back from the rows.
 */
#ifndef USHER_COORDDB_H
#define USHER_COORDDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coordwhere.h"
#include "error.h"
#include "layout.h"
#include "layout_change.h"
#include "op.h"
#include "qrsig.h"
#include "settings.h"
#include "state.h"
#include "ticket.h"

typedef struct coorddb coorddb;

/* Opens (creating and migrating) a coordinator store: a SQLite file, or a
 * PostgreSQL database named in libpq's syntax (coordwhere.h). USHER_INVAL for
 * a connection string with a password in it (coordwhere_check), or for
 * PostgreSQL in a program that registered no PostgreSQL store; USHER_SCHEMA
 * for a store of a newer Usher or a database that is not Usher's. */
usher_err coorddb_open(const char *path, coorddb **out, usher_errmsg *em) USHER_MUST_CHECK;

/* coorddb_open for one event of a store that may hold many. A PostgreSQL
 * database holds any number of events, each with an id the organiser chose
 * (coordwhere_event_id_check); event_id selects one, and NULL selects the
 * only one (USHER_INVAL naming them all when there are several; a database
 * with none yet opens for init, as coorddb_open). An id the database lacks
 * is USHER_NOTFOUND naming those it has, unless create is set: the handle is
 * then for a new event of that id, made by coorddb_init_event. A SQLite file
 * holds one event: an event_id is refused there (USHER_INVAL). coorddb_open
 * is coorddb_open_event(path, NULL, false, ...). */
usher_err coorddb_open_event(const char *path, const char *event_id, bool create, coorddb **out,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* The events a store holds, by id (PostgreSQL; a SQLite file gives its one
 * event, id ""): *out malloc'd (caller frees), *n rows. An event whose init
 * never finished is not listed. */
typedef struct coorddb_event_row {
    char id[COORDWHERE_EVENT_ID_SIZE];
    char name[USHER_EVENT_NAME_SIZE];
    int64_t created_at;
} coorddb_event_row;
usher_err coorddb_events(const char *path, coorddb_event_row **out, size_t *n,
                         usher_errmsg *em) USHER_MUST_CHECK;

void coorddb_free(coorddb *db); /* NULL is a no-op; releases coorddb_lock */

/* Which store db is. */
coordwhere_kind coorddb_kind(const coorddb *db);

/* Takes the store for this one writer until db is freed: serve holds it all
 * the time (its state is in memory), and the commands that write outside
 * serve (tickets import, event set) take it too, so they refuse to run
 * under a serve. SQLite: an exclusive flock on the file; PostgreSQL: a
 * session advisory lock on db's connection. USHER_BUSY with "in use by a
 * running 'usher-coord serve'" when another holds it. */
usher_err coorddb_lock(coorddb *db, usher_errmsg *em) USHER_MUST_CHECK;

/* Copies the coordinator database src into the new file dst (refused when
 * dst exists) with SQLite's online backup: one consistent moment of src,
 * taken while serve runs. Written as dst.partial, checked to open as a
 * coordinator database, then renamed: dst is whole or absent.
 * PostgreSQL: refused (USHER_INVAL): `usher-coord backup` runs pg_dump
 * instead (coord_pgdump.h). */
usher_err coorddb_backup(const char *src, const char *dst, usher_errmsg *em) USHER_MUST_CHECK;

/* Puts the backup file `backup` in place of the database `dst` (no serve may
 * hold it: the caller checks): copied with SQLite's backup API into
 * dst.partial, given a new log id, then renamed over dst. A dst that exists
 * must hold the same event (USHER_CONFLICT otherwise: nothing changed); it is
 * kept as `replaced` (dst.replaced-YYYYmmddTHHMMSSZ, with its -wal), whose
 * name is written to replaced (size bytes; "" when dst did not exist). */
usher_err coorddb_restore(const char *backup, const char *dst, char *replaced, size_t size,
                          usher_errmsg *em) USHER_MUST_CHECK;

/* Gives db's op log a new id (coord_event.log_id), so that every device
 * rebuilds from the snapshot at its next sync and sends again the ops it
 * holds accepted: what a restore does. The caller holds coorddb_lock (no
 * serve runs). PostgreSQL: `usher-coord restore` runs it on a database the
 * organiser restored with pg_restore; the store also does it by itself when
 * it is opened on a copy of its database (coordpg.h). */
usher_err coorddb_renew_log_id(coorddb *db, usher_errmsg *em) USHER_MUST_CHECK;

/* Event facts. */
#define COORDDB_LOG_ID_SIZE 64

typedef struct coord_event {
    char event_id[64]; /* random, generated by coorddb_init_event */
    char name[USHER_EVENT_NAME_SIZE];
    int64_t hold_ttl_ms;
    reseat_policy reseat;
    int64_t created_at;
    uint8_t pk[QRSIG_PK_BYTES];
    uint8_t sk[QRSIG_SK_BYTES];
    event_settings settings; /* defaults (settings_default) until set */
    /* Names this copy of the op log: a backup and a restore each give their
     * file a new one, so that a device whose cursor counts in the log as it
     * was before the restore notices and rebuilds (even once the restored log
     * has grown past its cursor). A database that never had one: event_id. */
    char log_id[COORDDB_LOG_ID_SIZE];
    /* The id that selects the event among the others of its PostgreSQL
     * database (--event-id); "" on SQLite (one event a file). */
    char id[COORDWHERE_EVENT_ID_SIZE];
} coord_event;

/* Creates the event once: name, layout (stored as JSON, seats created) and a new
 * signing key. USHER_EXISTS if the database already holds an event (on
 * PostgreSQL: an event of the id db was opened with). */
usher_err coorddb_init_event(coorddb *db, const char *name, const layout *l, int64_t now,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* Stores the event's settings (all of them, one transaction). USHER_INVAL for
 * a damaged PIN hash or time zone name, USHER_NOTFOUND before init. */
usher_err coorddb_set_settings(coorddb *db, const event_settings *s,
                               usher_errmsg *em) USHER_MUST_CHECK;

/* USHER_NOTFOUND with "run usher-coord init" when there is no event yet. */
usher_err coorddb_get_event(coorddb *db, coord_event *out, usher_errmsg *em) USHER_MUST_CHECK;

/* The stored layout JSON (malloc'd, caller frees). */
usher_err coorddb_layout_json(coorddb *db, char **json, usher_errmsg *em) USHER_MUST_CHECK;

/* Loads layout and state (seats, tickets, the verdicts of ops not yet in
 * op_ids, for duplicate answers) and checks the invariant. Caller frees both (state first). */
usher_err coorddb_load(coorddb *db, const state_config *cfg, layout **l, state **st,
                       usher_errmsg *em) USHER_MUST_CHECK;

/* Imports tickets into db and st in one transaction, logging one change per
 * ticket. All or nothing: USHER_EXISTS (naming the first known code) and
 * nothing added if any code is already there. *added counts them. When the
 * list's codes are weak (ticket_list_classify) the event's codes become weak
 * in the same transaction, unless the organiser set them (event set
 * --codes); strong codes never make a weak event strong. */
usher_err coorddb_add_tickets(coorddb *db, state *st, const ticket_list *tl, int64_t now,
                              size_t *added, usher_errmsg *em) USHER_MUST_CHECK;

/* Op ids for duplicates. Every committed op's id is in the op log at once,
 * and in the compact op_ids table once coorddb_save_op_ids has run: one
 * transaction that adds every op logged since its last run, in key order (a
 * batch touches each leaf once, where one row per commit would add a random
 * page to every commit). coorddb_load remembers only the verdicts of ops not
 * yet saved; coorddb_find_verdict finds the others. coorddb_ops_unsaved counts
 * the committed ops not in op_ids yet. */
int64_t coorddb_ops_unsaved(const coorddb *db);
usher_err coorddb_save_op_ids(coorddb *db, usher_errmsg *em) USHER_MUST_CHECK;

/* The first verdict of a saved op id into *out. USHER_NOTFOUND (message
 * untouched) when no saved op has that id. */
usher_err coorddb_find_verdict(coorddb *db, const char *op_id, verdict *out,
                               usher_errmsg *em) USHER_MUST_CHECK;
/* coorddb_find_verdict for n ids at once (op_ids[i] NULL: skipped): found[i]
 * says whether out[i] was set. On PostgreSQL one round trip for all of them.
 * USHER_OK unless the database failed (found[] then all false). */
usher_err coorddb_find_verdicts(coorddb *db, const char *const *op_ids, size_t n, verdict *out,
                                bool *found, usher_errmsg *em) USHER_MUST_CHECK;

/* Persists a batch that was just applied to the in-memory state: for each i,
 * ops[i] and res[i] (verdict, changes, alerts). One transaction. Numbers every
 * change (res[i].changes[k].seq set here) and returns the last sequence in
 * *last_seq. On failure memory is ahead of disk: when coorddb_unsure() then
 * says so, the outcome is unknown (see there); otherwise nothing was written
 * and the caller may reload the state from the database. */
usher_err coorddb_commit(coorddb *db, const usher_op *ops, apply_result *res, size_t n, int64_t now,
                         int64_t *last_seq, usher_errmsg *em) USHER_MUST_CHECK;

/* An organiser's change made outside the op log: imports and re-imports,
 * corrections. fn changes the state it is given and returns the changes it
 * made (*out malloc'd, seq 0). It runs first on a copy of st, whose changes
 * are written in one transaction with the trail (alerts with before/after
 * text, may be NULL/0), then on st itself once that is durable (fn must do
 * the same to both). new_codes (may be NULL): the tickets of an imported file,
 * whose codes make the event's codes weak when they are (as
 * coorddb_add_tickets) and whose seats are remembered (coorddb_import_seats).
 * *last_seq (may be NULL) is the newest sequence after.
 * On failure nothing is written and st is untouched, except when fn fails on
 * st after the commit (USHER_NOMEM: restart usher-coord). */
typedef struct coord_alert coord_alert;
typedef usher_err (*coorddb_admin_fn)(state *st, void *arg, change **out, size_t *n,
                                      usher_errmsg *em);
usher_err coorddb_admin_change(coorddb *db, state *st, coorddb_admin_fn fn, void *arg,
                               const coord_alert *trail, size_t ntrail,
                               const ticket_list *new_codes, int64_t now, int64_t *last_seq,
                               usher_errmsg *em) USHER_MUST_CHECK;

/* The seat each ticket's latest imported file gave it (tickets imported with a
 * seat only), sorted by code (strcmp), appended to *out as code + seat
 * records (name and class empty): ticket_merge_plan's last_seats. An admin
 * change with new_codes (an import) records the seats its file gives, in the
 * same transaction. USHER_DB, USHER_NOMEM. */
usher_err coorddb_import_seats(coorddb *db, ticket_list *out, usher_errmsg *em) USHER_MUST_CHECK;

/* Highest sequence number in the change log (0 when empty). */
int64_t coorddb_last_seq(coorddb *db);

/* Up to max changes with seq > cursor, in order; *more when more remain.
 * *out is malloc'd (caller frees). */
usher_err coorddb_changes_since(coorddb *db, int64_t cursor, size_t max, change **out, size_t *n,
                                bool *more, usher_errmsg *em) USHER_MUST_CHECK;

/* Devices and their bearer tokens (stored as a BLAKE2b hash of 256 random bits, never in clear). */
typedef struct coord_device {
    char id[USHER_DEVICE_SIZE];
    usher_role role;
    int64_t created_at;
    int64_t last_seen; /* 0 = never */
    int64_t cursor;    /* last cursor it reported */
    int64_t pending;   /* pending ops it reported */
    bool disabled;
    char entrance[ENTRANCE_NAME_SIZE]; /* the entrance a door belongs to, "" = none */
} coord_device;

#define COORD_TOKEN_SIZE 53 /* base32 of 32 random bytes + NUL */

/* Adds a device named `id` ([A-Za-z0-9_.-]{1,64}) with a role; writes its new
 * token (shown once) into token. USHER_EXISTS if the name is taken. */
usher_err coorddb_device_add(coorddb *db, const char *id, usher_role role, int64_t now,
                             char token[COORD_TOKEN_SIZE], usher_errmsg *em) USHER_MUST_CHECK;

/* Finds the device a token belongs to (constant-time comparison of hashes).
 * USHER_FORBIDDEN for an unknown or disabled token. */
usher_err coorddb_device_auth(coorddb *db, const char *token, coord_device *out,
                              usher_errmsg *em) USHER_MUST_CHECK;

/* Records that a device synced: last_seen, cursor and pending count. */
usher_err coorddb_device_seen(coorddb *db, const char *id, int64_t now, int64_t cursor,
                              int64_t pending, usher_errmsg *em) USHER_MUST_CHECK;

/* Disables a device (its token is then refused with USHER_FORBIDDEN, e.g. a
 * lost kiosk) or enables it again. USHER_NOTFOUND for an unknown id. */
usher_err coorddb_device_set_disabled(coorddb *db, const char *id, bool disabled,
                                      usher_errmsg *em) USHER_MUST_CHECK;

/* Every device, by id. *out malloc'd. */
usher_err coorddb_devices(coorddb *db, coord_device **out, size_t *n,
                          usher_errmsg *em) USHER_MUST_CHECK;

/* Stored alerts, newest first (max rows), each with its row id and ack time. */
#define COORD_TRAIL_SIZE 560 /* "name / class / note: ... / attention" of a ticket */
typedef struct coord_alert {
    int64_t id;
    alert a;
    char before[COORD_TRAIL_SIZE]; /* corrections: what it read before; "" otherwise */
    char after[COORD_TRAIL_SIZE];
    int64_t created_at;
    int64_t acked_at; /* 0 = open */
} coord_alert;

/* The layout's version: 1 as init stored it, one more at each
 * coorddb_set_layout. */
usher_err coorddb_layout_version(coorddb *db, int64_t *out, usher_errmsg *em) USHER_MUST_CHECK;

/* Replaces the event's layout, in one transaction: the layout JSON (next's
 * layout), its version (one more), every seat row from next (the state
 * already moved onto the new layout: layout_change_apply, which holds the
 * rule), one CHANGE_LAYOUT in the change log, so that every device takes the
 * snapshot again, and the trail's alerts (who, when, before, after; may be
 * NULL/0). *version and *last_seq (either may be NULL) are the new version
 * and the newest sequence. Nothing is written on failure. */
usher_err coorddb_set_layout(coorddb *db, const state *next, const coord_alert *trail,
                             size_t ntrail, int64_t now, int64_t *version, int64_t *last_seq,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* What replacing the layout did (coorddb_change_layout). */
typedef struct coorddb_layout_result {
    bool changed;    /* false: next is the layout already; nothing is written */
    int64_t version; /* the layout's version after (as before when not changed or a dry run) */
    int64_t last_seq;
    int seats, sections; /* next's */
    layout_change_counts counts;
    state *st; /* changed and not a dry run: the state over next, the caller's to free */
} coorddb_layout_result;

/* The one path for a new layout (usher-coord layout set, PUT /v1/layout):
 * layout_change_apply moves st onto next (USHER_CONFLICT with its reason
 * when a seat holding a ticket would be dropped, renumbered, moved to another
 * section or re-classed: nothing is written), then, unless dry_run or next
 * equals the stored layout, coorddb_set_layout with a layout_changed alert
 * naming who (a device id) and the counts before and after. st is not
 * changed; *out is filled on success, and out->st (next borrowed by it) is
 * then the new state to serve from. */
usher_err coorddb_change_layout(coorddb *db, const state *st, const layout *next, const char *who,
                                int64_t now, bool dry_run, coorddb_layout_result *out,
                                usher_errmsg *em) USHER_MUST_CHECK;

usher_err coorddb_alerts(coorddb *db, bool open_only, size_t max, coord_alert **out, size_t *n,
                         usher_errmsg *em) USHER_MUST_CHECK;
/* USHER_NOTFOUND for an unknown id; acking twice is fine. */
usher_err coorddb_alert_ack(coorddb *db, int64_t id, int64_t now,
                            usher_errmsg *em) USHER_MUST_CHECK;

/* Every check-in scan recorded (duplicates included), in time order. */
typedef struct coord_checkin {
    char ticket[USHER_CODE_SIZE];
    char device[USHER_DEVICE_SIZE];
    int64_t at;
    bool duplicate;
    char op_id[USHER_OPID_SIZE];
    bool manual;                       /* admitted by staff from the staff screen */
    char entrance[ENTRANCE_NAME_SIZE]; /* the door's entrance when it scanned, "" = none */
    char override[OP_OVERRIDE_SIZE];   /* "entrance": staff admitted it at the wrong one */
} coord_checkin;

usher_err coorddb_checkins(coorddb *db, coord_checkin **out, size_t *n,
                           usher_errmsg *em) USHER_MUST_CHECK;

/* Every refused scan of a revoked ticket (from the revoked-scan alerts: such
 * a scan records no check-in), in time order, as check-ins with duplicate
 * false. *out malloc'd. */
usher_err coorddb_revoked_scans(coorddb *db, coord_checkin **out, size_t *n,
                                usher_errmsg *em) USHER_MUST_CHECK;

/* True once a commit on db failed with an I/O error (a failed fsync): the
 * transaction may be on disk or not, and SQLite's recovery decides which when
 * the file is next opened. Whoever holds db must then stop writing and
 * answering from it, and be restarted; a retried op then finds its first
 * verdict (durable) or nothing (absent). */
bool coorddb_unsure(const coorddb *db);

/* True once db's one-writer lock (coorddb_lock) is gone for good: its
 * PostgreSQL session ended (a network partition, the server restarted) and
 * another serve took the lock meanwhile. Every call on db then fails with
 * USHER_BUSY, so the serve holding it writes nothing more; it must stop
 * answering from its state in memory. SQLite: never (a flock held by this
 * process cannot be lost). */
bool coorddb_lock_lost(const coorddb *db);

/* ---- the serves of an event (PostgreSQL: an active and its standbys) ---- */

#define COORD_URL_SIZE 256 /* "http://host:port" as devices should use it */

typedef struct coord_serve {
    char url[COORD_URL_SIZE]; /* the address the serve advertises */
    bool active;              /* the newest to take the lock (at most one of a list) */
    int64_t since;            /* when it took the lock (ms), 0 = never */
    int64_t seen_at;          /* its last heartbeat (ms) */
} coord_serve;

typedef enum {
    COORDDB_SERVE_ALIVE,   /* a heartbeat: seen_at only */
    COORDDB_SERVE_ACTIVE,  /* took the lock: the active from now (every other one is not) */
    COORDDB_SERVE_STANDBY, /* does not hold the lock (any more) */
} coorddb_serve_role;

/* Records a serve of this event by the address it advertises, at now (wall
 * clock ms). Written on any connection (it needs no lock: it is not the
 * event's state). SQLite: nothing, USHER_OK (one serve, one machine). */
usher_err coorddb_serve_seen(coorddb *db, const char *url, coorddb_serve_role role, int64_t now,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* The serves of this event: the active first (also when its heartbeat is
 * older), then every other seen after seen_after, by address; at most max
 * into out, *n of them. SQLite: none. */
usher_err coorddb_serves(coorddb *db, int64_t seen_after, coord_serve *out, size_t max, size_t *n,
                         usher_errmsg *em) USHER_MUST_CHECK;

/* Stores alerts raised outside a commit of ops (a device's clock found far
 * from the coordinator's) in one transaction, created at now. */
usher_err coorddb_add_alerts(coorddb *db, const alert *a, size_t n, int64_t now,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* Records the sync health of several devices (as coorddb_device_seen, ids
 * that are not in the database are skipped) in one transaction: one fsync for
 * all of them. */
usher_err coorddb_devices_seen(coorddb *db, const coord_device *devs, size_t n,
                               usher_errmsg *em) USHER_MUST_CHECK;

/* WAL checkpoints off the writer's path (PostgreSQL: none of our own, it
 * checkpoints by itself: manual_checkpoints and checkpoint do nothing and
 * succeed, wal_frames is 0). coorddb_manual_checkpoints stops this
 * connection from checkpointing after its commits (SQLite's
 * wal_autocheckpoint) and starts counting the frames in the write-ahead log
 * after each commit (coorddb_wal_frames; 0 before the first commit).
 * coorddb_checkpoint runs a PASSIVE checkpoint (never waits for the writer or
 * readers) from any connection to the same file; *log_frames and *done_frames
 * (either may be NULL) say how many frames the log holds and how many of them
 * are now in the database. A commit's durability never depends on a
 * checkpoint: with synchronous=FULL the log itself is synced at commit. */
usher_err coorddb_manual_checkpoints(coorddb *db, usher_errmsg *em) USHER_MUST_CHECK;
int64_t coorddb_wal_frames(coorddb *db);
usher_err coorddb_checkpoint(coorddb *db, int *log_frames, int *done_frames,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* Read-only queries of the coordinator's exports: runs sql (no parameters;
 * SQL that SQLite and PostgreSQL both read: the two stores have the same
 * tables and columns) and calls fn with each row's columns as text (numbers
 * in decimal, NULL as ""), valid during the call. At most
 * COORDDB_MAX_COLUMNS columns. USHER_DB with the database's words. */
#define COORDDB_MAX_COLUMNS 32
typedef void (*coorddb_row_fn)(void *arg, int ncols, const char *const *cols);
usher_err coorddb_read_rows(coorddb *db, const char *sql, coorddb_row_fn fn, void *arg,
                            usher_errmsg *em) USHER_MUST_CHECK;

/* One statement that writes (SQL both stores read, parameters $1..$n as
 * text, each first used in that order), in a transaction of its own;
 * *changed (may be NULL) = the rows it changed. For the organisers' small
 * tables (entrances, a door's entrance: coord_entrance.h); the writers are
 * serialised by coorddb_lock and, while serving, the committer. USHER_DB
 * with the database's words. */
usher_err coorddb_write(coorddb *db, const char *sql, const char *const *params, size_t n,
                        int64_t *changed, usher_errmsg *em) USHER_MUST_CHECK;

/* The underlying SQLite connection (tests look into the file). Owned by db.
 * PostgreSQL: NULL. */
struct sqlite3 *coorddb_sqlite(coorddb *db);

#endif

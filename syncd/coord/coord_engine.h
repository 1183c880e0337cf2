/* coord_engine.h - the coordinator's core: the authoritative state in memory, one
 * committer thread that applies queued requests in arrival order and makes
 * each group durable in one SQLite transaction (group commit), and a ring of
 * recent changes for pulls and event streams.
 *
 * Threads: any thread may submit; the committer alone writes the state and the
 * database; readers take engine_read_begin/end around looking at the state.
 */
#ifndef USHER_COORD_ENGINE_H
#define USHER_COORD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coorddb.h"
#include "error.h"
#include "op.h"
#include "state.h"
#include "ticket.h"

#define ENGINE_MAX_PULL 1000 /* changes in one sync response */

typedef struct engine engine;

/* One sync request (or an organiser's batch of ops). The submitter fills the
 * inputs and keeps the struct alive until `done` has been called; the engine
 * fills the outputs, then calls done(req) from the committer thread. */
typedef struct engine_req {
    /* in */
    char device[USHER_DEVICE_SIZE];
    int64_t cursor; /* pull changes after this; -1 = push only */
    usher_op *ops;  /* borrowed; op.device is overwritten with `device` */
    size_t nops;
    void (*done)(struct engine_req *req);
    void *ctx; /* the submitter's */
    /* out */
    usher_err err; /* USHER_OK, or why nothing was done */
    char errmsg[256];
    verdict *verdicts; /* nops of them; malloc'd, freed by engine_req_release */
    /* The pulled changes are those after `cursor` up to `new_cursor`, nchanges
     * of them. When changes_in_ring, `changes` is NULL and their JSON text is
     * in the change ring (engine_changes_json); otherwise they were read from
     * the database into `changes` (malloc'd). */
    change *changes;
    size_t nchanges;
    bool changes_in_ring;
    int64_t new_cursor;
    bool more;
    /* engine's */
    usher_err (*db_fn)(coorddb *db, void *arg); /* a database job instead of ops */
    void *db_arg;
    bool db_quiet; /* the job reads no device health: no flush before it */
    struct engine_req *next;
} engine_req;

void engine_req_release(engine_req *req);

/* Opens the database (event_id: which of a PostgreSQL database's events,
 * NULL for its only one: coorddb_open_event), takes its lock for this one
 * writer (coorddb_lock: USHER_BUSY while another serve holds it), loads the
 * state and starts the committer. The
 * on_commit callback (may be NULL) runs on the committer thread after every
 * durable group with the last sequence number. */
usher_err engine_open(const char *db_path, const char *event_id, reseat_policy reseat,
                      void (*on_commit)(void *ctx, int64_t last_seq), void *ctx, engine **out,
                      usher_errmsg *em) USHER_MUST_CHECK;
/* The same on a store already open (db_path names it, for the SQLite
 * checkpointer's own connection), which may hold its lock already (a
 * standby took it: coorddb_lock again is then a no-op). Takes *db over
 * (*db = NULL), whatever the outcome. */
usher_err engine_open_db(const char *db_path, coorddb **db, reseat_policy reseat,
                         void (*on_commit)(void *ctx, int64_t last_seq), void *ctx, engine **out,
                         usher_errmsg *em) USHER_MUST_CHECK;
/* True once the store's one-writer lock is lost for good (coorddb_lock_lost:
 * another serve took the PostgreSQL database over): the engine is broken and
 * writes nothing more. */
bool engine_lock_lost(engine *e);
/* Stops the engine writing for good (it refuses every op from now on, as
 * broken, with why): a serve that found another one active calls it before
 * it becomes a standby. */
void engine_retire(engine *e, const char *why);
/* Stops the committer after the queue drains; NULL is a no-op. */
void engine_free(engine *e);

/* Duplicate detection keeps the verdicts of the last 1 to 2 x recent_ops ops
 * in memory (default ENGINE_RECENT_OPS) and finds older ones in the
 * database's op id table, which receives the ids every recent_ops ops in one
 * sorted batch. Set it before serving. */
#define ENGINE_RECENT_OPS 8192
void engine_set_recent_ops(engine *e, int64_t n);

/* Sets (or clears, with NULL) the after-commit callback. */
void engine_set_notify(engine *e, void (*on_commit)(void *ctx, int64_t last_seq), void *ctx);

void engine_submit(engine *e, engine_req *req);

/* Submits and waits (for callers that may block). */
void engine_run(engine *e, engine_req *req);

/* Read access to the state: between begin and end the state does not change. */
const state *engine_read_begin(engine *e);
void engine_read_end(engine *e);

const coord_event *engine_event(engine *e); /* immutable after open, but for its settings */

/* The event's settings now (an import of weak codes makes them weak while
 * serving): a copy, taken under the state's lock. */
void engine_settings(engine *e, event_settings *out);
/* The layout's JSON as stored; valid between engine_read_begin and
 * engine_read_end (engine_set_layout replaces it). */
const char *engine_layout_json(engine *e);
int64_t engine_last_seq(engine *e);

/* Copies into buf the text of the SSE events for changes after `after`, up to
 * size bytes of whole events; *next is the seq of the last event copied.
 * Returns bytes written (0 when nothing new); -1 when `after` is older than
 * the ring holds (the listener must resync through /v1/sync). */
long engine_events_since(engine *e, int64_t after, char *buf, size_t size, int64_t *next);

/* The JSON text of changes after..after+n (objects separated by commas, no
 * brackets), copied from the ring into *out (malloc'd, caller frees; *len its
 * length; NUL-terminated). USHER_NOTFOUND when the ring no longer holds all of
 * them (overwritten since the commit: the caller answers with no changes and
 * more = true); USHER_NOMEM. */
usher_err engine_changes_json(engine *e, int64_t after, size_t n, char **out,
                              size_t *len) USHER_MUST_CHECK;

/* Bearer tokens. The cache answers without waiting: USHER_OK (*out set) for a
 * token checked within the last 30 s, USHER_FORBIDDEN for a malformed one,
 * USHER_BUSY when the database must be asked (a new token, or the last check
 * is too old: a device disabled meanwhile must be refused). Then
 * engine_auth_prepare turns req into a database job for engine_submit: on the
 * committer it checks the token, caches the answer and sets req->err
 * (USHER_FORBIDDEN for an unknown or disabled token, another code when the
 * database failed: try again) and job->dev. job and req
 * belong to the caller and must live until req->done. A token in active use
 * is re-checked in the background before its check grows old, so that its
 * requests never wait for the database. */
typedef struct engine_auth_job {
    engine *e;
    char token[COORD_TOKEN_SIZE];
    coord_device dev;
} engine_auth_job;
usher_err engine_auth_cached(engine *e, const char *token, coord_device *out) USHER_MUST_CHECK;
void engine_auth_prepare(engine *e, engine_req *req, engine_auth_job *job, const char *token);

/* Remembers a device's sync health (flushed to the database now and then)
 * and counts the sync (engine_stats.syncs).
 * clock is the device's own clock as it sent (0 = not sent): a device found
 * more than USHER_CLOCK_SKEW_ALERT_MS from the coordinator's clock raises a
 * clock_skew alert, once until it comes back within half of that. */
void engine_device_seen(engine *e, const char *device, int64_t cursor, int64_t pending,
                        int64_t clock);

/* Runs fn with the database from the committer thread (exports, devices,
 * alerts, acks): serialised with commits. */
usher_err engine_with_db(engine *e, usher_err (*fn)(coorddb *db, void *arg), void *arg);

/* Adds tickets while serving (late sales, walk-ins): into the database and
 * the live state in one transaction, one change per ticket into the log and
 * the ring, listeners woken; every device learns them like any change. All or
 * nothing, as coorddb_add_tickets (USHER_EXISTS naming a known code). Runs on
 * the committer, serialised with commits; blocks the caller until done. */
usher_err engine_add_tickets(engine *e, const ticket_list *tl, size_t *added, usher_errmsg *em);

/* An organiser's change outside the op log while serving (re-imports,
 * corrections): coorddb_admin_change on the committer under the state's write
 * lock, then its changes go into the ring and listeners are woken, so every
 * device hears of them at once. Blocks the caller until done; *last_seq (may
 * be NULL) is the newest sequence number after it. */
usher_err engine_admin_change(engine *e, coorddb_admin_fn fn, void *arg, const coord_alert *trail,
                              size_t ntrail, const ticket_list *new_codes, int64_t *last_seq,
                              usher_errmsg *em);

/* Replaces the venue's layout while serving (PUT /v1/layout):
 * coorddb_change_layout on the committer under the state's write lock, so
 * that no op is applied halfway; refused (USHER_CONFLICT, with the reason)
 * when a seat holding a ticket would be dropped, renumbered, moved or
 * re-classed, and nothing changes. Once durable the engine serves from the
 * new layout and state, the layout change goes into the ring and listeners
 * are woken, so every device takes the snapshot again. On success with
 * out->changed and not dry_run the engine takes *next over (*next = NULL);
 * otherwise *next stays the caller's. who: the organiser's device id for the
 * alert. Blocks the caller until done. */
usher_err engine_set_layout(engine *e, layout **next, const char *who, bool dry_run,
                            coorddb_layout_result *out, usher_errmsg *em) USHER_MUST_CHECK;

/* False once a failed commit could not be undone by reloading the state
 * (for good when broken, for a while when waiting for the database): the
 * engine then refuses every op (USHER_DB) and /healthz says so. */
bool engine_healthy(engine *e);
/* Why the engine refuses every op (a sentence), or NULL while healthy. */
const char *engine_broken_reason(engine *e);
/* True while ops are refused because a PostgreSQL server could not be
 * reached to reload the state after a failed commit; the committer reloads
 * it before the next group once the server answers. Not broken: no restart
 * is needed. */
bool engine_waiting_for_db(engine *e);

/* Upper bounds (seconds) of the commit-time histogram's buckets, ascending;
 * a last bucket (+Inf) follows them. */
#define ENGINE_COMMIT_BUCKETS 12
extern const double engine_commit_bounds[ENGINE_COMMIT_BUCKETS];

/* Counters for /metrics. */
typedef struct engine_stats {
    uint64_t requests, ops, groups, commit_failures, checkpoints;
    uint64_t accepted, rejected, duplicates, reseats;
    double commit_seconds; /* applying and committing, every group */
    /* Groups by their time applying and committing: [i] took at most
     * engine_commit_bounds[i] and more than the bound before (not
     * cumulative); [ENGINE_COMMIT_BUCKETS] took longer than every bound. */
    uint64_t commit_hist[ENGINE_COMMIT_BUCKETS + 1];
    uint64_t snapshots; /* snapshots built for new devices */
    uint64_t syncs;     /* POST /v1/sync requests taken (engine_device_seen) */
} engine_stats;
void engine_get_stats(engine *e, engine_stats *out);

/* Counts a snapshot built (GET /v1/snapshot). */
void engine_count_snapshot(engine *e);

/* A device that synced within this window is online (/v1/devices, /metrics). */
#define ENGINE_ONLINE_WINDOW_MS 30000
/* Devices that synced with this server within ENGINE_ONLINE_WINDOW_MS of
 * now (wall-clock ms). */
uint64_t engine_devices_online(engine *e, int64_t now);

#endif

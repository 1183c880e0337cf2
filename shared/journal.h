/* journal.h - a device's SQLite journal: its identity, the outbox of operations it
 * made, the replica of the coordinator's state and the sync cursor.
 *
 * Two processes share one journal file (WAL): the kiosk appends ops and reads;
 * syncd pushes the outbox, records verdicts and applies changes. Each call is
 * one transaction; an appended op is durable when journal_append returns.
 */
#ifndef USHER_JOURNAL_H
#define USHER_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "layout.h"
#include "op.h"
#include "settings.h"
#include "state.h"

typedef struct journal journal;

/* Opens or creates a device journal (migrating it). Free with journal_free. */
usher_err journal_open(const char *path, journal **out, usher_errmsg *em) USHER_MUST_CHECK;
void journal_free(journal *j); /* NULL is a no-op */

/* Identity and event facts, set by syncd at bootstrap (from /v1/snapshot). */
typedef struct journal_identity {
    char device[USHER_DEVICE_SIZE]; /* "" until provisioned */
    usher_role role;
    char event_id[64];
    char event_name[USHER_EVENT_NAME_SIZE];
    char pubkey_hex[65]; /* event's Ed25519 public key, hex */
    int64_t hold_ttl_ms;
    event_settings settings; /* read here; written by journal_set_settings only */
} journal_identity;

usher_err journal_get_identity(journal *j, journal_identity *out,
                               usher_errmsg *em) USHER_MUST_CHECK;
usher_err journal_set_identity(journal *j, const journal_identity *id,
                               usher_errmsg *em) USHER_MUST_CHECK;

/* The event's settings (codes strong or weak, staff PIN hash, time zone) as
 * the coordinator sent them with the snapshot or a sync answer; one
 * transaction. USHER_INVAL for damaged values. Before any, the identity
 * reads settings_default. */
usher_err journal_set_settings(journal *j, const event_settings *s,
                               usher_errmsg *em) USHER_MUST_CHECK;

/* The entrances and the device's own (s->mine) as the coordinator sent them
 * with the snapshot or a sync answer, replacing those stored; one
 * transaction. USHER_INVAL for an entrance that does not check
 * (entrance_check). journal_entrances reads them back (none, and no entrance
 * of its own, before any). */
usher_err journal_set_entrances(journal *j, const entrance_set *s,
                                usher_errmsg *em) USHER_MUST_CHECK;
usher_err journal_entrances(journal *j, entrance_set *out, usher_errmsg *em) USHER_MUST_CHECK;

/* The layout JSON as the coordinator sent it; NULL with USHER_NOTFOUND before
 * bootstrap. Caller frees *json. */
usher_err journal_get_layout_json(journal *j, char **json, usher_errmsg *em) USHER_MUST_CHECK;
usher_err journal_set_layout_json(journal *j, const char *json, usher_errmsg *em) USHER_MUST_CHECK;

/* A number that moves every time the layout JSON is stored (bootstrap, a new
 * layout): the kiosk reads the layout again when it moved. 0 before any;
 * -1 when it cannot be read. */
int64_t journal_layout_stamp(journal *j);

/* The coordinator replaced the venue's layout (a CHANGE_LAYOUT in the log):
 * in one transaction, the replica is emptied and rebuilt from a snapshot
 * taken since (its layout JSON, its changes, its cursor, which becomes the
 * cursor even if lower), the layout stamp moves and the device is marked
 * online at now. The outbox is untouched: pending ops stay pending (one for
 * a seat the new layout lacks is rejected unknown_seat by the coordinator).
 * Errors as journal_apply_round; nothing changes on failure. */
usher_err journal_replace_replica(journal *j, const char *layout_json, const change *c, size_t nc,
                                  int64_t cursor, int64_t now, usher_errmsg *em) USHER_MUST_CHECK;

/* Appends one op as pending (the kiosk's call: one durable transaction). The op
 * must validate; USHER_EXISTS if its id is already in the outbox. */
usher_err journal_append(journal *j, const usher_op *op, usher_errmsg *em) USHER_MUST_CHECK;
/* Appends n ops in one transaction, all or none (syncd's lease upkeep: one
 * fsync for a block of leases). Errors as journal_append, naming the op. */
usher_err journal_append_all(journal *j, const usher_op *ops, size_t n,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* Outbox states. */
typedef enum {
    OUTBOX_PENDING = 0, /* not yet answered by the coordinator */
    OUTBOX_ACCEPTED = 1,
    OUTBOX_REJECTED = 2,
} outbox_state;

typedef struct outbox_entry {
    int64_t seq; /* local order */
    usher_op op;
    outbox_state state;
    verdict v; /* valid when state != OUTBOX_PENDING */
    int64_t created_at, decided_at;
} outbox_entry;

/* Up to max pending ops, oldest first. *ops is malloc'd (caller frees). */
usher_err journal_pending(journal *j, size_t max, usher_op **ops, size_t *n,
                          usher_errmsg *em) USHER_MUST_CHECK;
/* Number of pending ops. */
usher_err journal_pending_count(journal *j, int64_t *n, usher_errmsg *em) USHER_MUST_CHECK;

/* After the coordinator's log was restored from a backup (its cursor is
 * behind this device's, or its log id changed), with the coordinator's new
 * snapshot in hand (whole: the simulator's; usher-syncd stages its pages
 * itself): the snapshot staged, then in one transaction (journal_stage_finish)
 * the replica replaced by it, the cursor and the log id set and every op the
 * coordinator had accepted put back in the outbox as pending. Nothing is empty
 * meanwhile: a kiosk reading the journal sees the old replica or the new.
 * Sending the ops again is safe: the coordinator answers an op id it knows
 * with its first verdict and applies one it lost as a new arrival.
 * *requeued (may be NULL) gets how many went back. */
usher_err journal_rebuild(journal *j, const change *c, size_t nc, int64_t cursor,
                          const char *log_id, int64_t *requeued, usher_errmsg *em) USHER_MUST_CHECK;

/* A snapshot in pages (a stadium's does not fit one answer, nor memory):
 * journal_stage_begin empties the staging tables, journal_stage_changes
 * writes one page's changes there (one transaction each; the replica is
 * untouched, so a kiosk keeps its view while the pages come), and
 * journal_stage_finish makes what was staged the replica in one
 * transaction: cursor, log id, layout (when given) and online status set,
 * the staging tables emptied and, for a rebuild after a restore, every op
 * the coordinator had accepted back in the outbox (*requeued, may be NULL,
 * how many). Pending ops always stay pending. A join cut
 * short leaves only staging rows, which the next join's begin drops. */
usher_err journal_stage_begin(journal *j, usher_errmsg *em) USHER_MUST_CHECK;
usher_err journal_stage_changes(journal *j, const change *c, size_t nc,
                                usher_errmsg *em) USHER_MUST_CHECK;
typedef struct journal_snapshot_end {
    int64_t cursor;          /* the snapshot's: the cursor from now on */
    const char *log_id;      /* the op log copy it counts in ("" or NULL: none) */
    const char *layout_json; /* stored too when not NULL (the layout stamp moves) */
    bool requeue;            /* a restore: ops the coordinator had accepted are sent again */
} journal_snapshot_end;
usher_err journal_stage_finish(journal *j, const journal_snapshot_end *end, int64_t now,
                               int64_t *requeued, usher_errmsg *em) USHER_MUST_CHECK;

/* The copy of the coordinator's op log the cursor counts in (the snapshot's
 * and every sync answer's "log"; "" before one was seen). size >= 64. */
usher_err journal_get_log_id(journal *j, char *out, size_t size, usher_errmsg *em) USHER_MUST_CHECK;
usher_err journal_set_log_id(journal *j, const char *log_id, usher_errmsg *em) USHER_MUST_CHECK;

/* Number of outbox entries in a state (e.g. OUTBOX_REJECTED for the status). */
usher_err journal_outbox_count(journal *j, outbox_state which, int64_t *n,
                               usher_errmsg *em) USHER_MUST_CHECK;

/* One outbox entry by op id; USHER_NOTFOUND if absent. */
usher_err journal_outbox_get(journal *j, const char *op_id, outbox_entry *out,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* Lists outbox entries after local seq `after`, oldest first (max entries).
 * *out is malloc'd. */
usher_err journal_outbox_list(journal *j, int64_t after, size_t max, outbox_entry **out, size_t *n,
                              usher_errmsg *em) USHER_MUST_CHECK;

/* One sync round, in one transaction: records the verdicts (by op id; unknown
 * ids ignored), upserts the changes after the cursor into the replica (one at
 * or below it is there already or was replaced since: a stale answer never
 * puts an older value back; a change without a seq, a snapshot's, always
 * goes in) and sets the cursor (only forward). Also marks the device online
 * with last_sync_at = now. */
usher_err journal_apply_round(journal *j, const verdict *v, size_t nv, const change *c, size_t nc,
                              int64_t cursor, int64_t now, usher_errmsg *em) USHER_MUST_CHECK;

int64_t journal_cursor(journal *j); /* 0 before the first round */

/* Sync health as syncd last wrote it, for the kiosk's status bar. */
typedef struct journal_status {
    bool online;
    int64_t last_sync_at; /* ms, 0 = never */
    int64_t last_attempt_at;
    char last_error[256];  /* "" when the last attempt worked */
    char wake_socket[108]; /* datagram socket syncd listens on, "" if none */
    /* The coordinator's clock minus this device's, ms, as usher-syncd last
     * measured it (0 before the first measure); the device's programs add it
     * to their clock, so that every time they write or show is the
     * coordinator's. */
    int64_t clock_offset_ms;
    int64_t clock_measured_at; /* device clock, ms; 0 = never measured */
    /* usher-syncd stopped pulling: the journal's disk is full (it keeps
     * everything and goes on once there is space again). */
    bool storage_full;
} journal_status;

usher_err journal_get_status(journal *j, journal_status *out, usher_errmsg *em) USHER_MUST_CHECK;
/* Records an attempt: online or not, and the error text ("" when fine). */
usher_err journal_set_status(journal *j, bool online, const char *error, int64_t now,
                             usher_errmsg *em) USHER_MUST_CHECK;
/* Records that the journal's disk is full (usher-syncd stopped pulling; the
 * device is then offline with `error` as the last error) or that it is not
 * any more (the rest of the status is left to the next round). */
usher_err journal_set_storage_full(journal *j, bool full, const char *error, int64_t now,
                                   usher_errmsg *em) USHER_MUST_CHECK;
/* Records the measured clock offset (coordinator minus device, ms) at the
 * device's time now. */
usher_err journal_set_clock(journal *j, int64_t offset_ms, int64_t now,
                            usher_errmsg *em) USHER_MUST_CHECK;
usher_err journal_set_wake_socket(journal *j, const char *path, usher_errmsg *em) USHER_MUST_CHECK;

/* Builds what the device should show: the replica (seats, tickets) as a state
 * over layout l, then every pending op applied on top with state_apply at
 * `now` (no reseat, no duplicate memory), each dated by its wait so far
 * (now - at). `now` is the coordinator's time as the device knows it (its
 * clock plus clock_offset_ms), the clock the replica's hold and lease times
 * are in. Pending `lease` ops are left out: a
 * lease counts only once the coordinator has granted it, so that a device
 * offline never seats a guest on a seat it merely asked for. Caller frees
 * *out. */
usher_err journal_load_view(journal *j, const layout *l, int64_t now, state **out,
                            usher_errmsg *em) USHER_MUST_CHECK;

/* Applies one op of this device's outbox to a view as journal_load_view
 * does (a lease not granted yet counts for nothing; the op is dated by how
 * long it has waited). The kiosk calls it for the ops it has just appended,
 * so that its view stays what a full read would give without reading the
 * journal again. */
void journal_view_apply(state *view, const usher_op *op, int64_t now);

/* The offline policy usher-syncd runs with (shared/README.md conflict rule 8), stored in meta
 * ("offline_policy", "lease_size") for the kiosk to read: with
 * JOURNAL_POLICY_LEASE, offline, a kiosk offers only the seats leased to it. */
typedef enum {
    JOURNAL_POLICY_OPTIMISTIC = 0, /* offer every seat believed free; reseat settles */
    JOURNAL_POLICY_LEASE = 1,      /* keep about lease_size free seats leased */
} journal_policy;

#define JOURNAL_LEASE_SIZE_DEFAULT 10
#define JOURNAL_LEASE_SIZE_MAX 500

/* Reads the policy; a journal never told has JOURNAL_POLICY_OPTIMISTIC and
 * lease_size 0. USHER_DB when meta holds something this build does not know. */
usher_err journal_get_policy(journal *j, journal_policy *policy, int *lease_size,
                             usher_errmsg *em) USHER_MUST_CHECK;
/* Stores the policy (one transaction). lease_size must be
 * 1..JOURNAL_LEASE_SIZE_MAX for JOURNAL_POLICY_LEASE and is stored as 0 for
 * JOURNAL_POLICY_OPTIMISTIC; USHER_INVAL otherwise. */
usher_err journal_set_policy(journal *j, journal_policy policy, int lease_size,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* How long a call waits for another connection's write lock before it fails
 * with USHER_BUSY (journal_open sets store.c's default, 5 s). The kiosk sets a
 * short one so that a locked journal never freezes its screen. */
void journal_set_busy_timeout(journal *j, int ms);

/* Cheap change detection: PRAGMA data_version of this connection; it moves
 * when another connection (syncd) commits. */
int64_t journal_data_version(journal *j);

#endif

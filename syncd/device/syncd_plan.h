/* syncd_plan.h - what usher-syncd decides, as pure functions: the snapshot's
 * parse, what an answer from the coordinator means, the retry backoff and the
 * lease policy's plan. No I/O and no clock: `now` and randomness are
 * arguments, so tests and the simulator (tests/sim/) drive it exactly as
 * syncd_main.c does.
 *
 * The rule it owns: only the coordinator's own answers count. An answer
 * changes an op's state or stops the daemon only when it is a 2xx sync answer
 * that decodes and matches the batch sent, or an Usher JSON error
 * (proto_error_decode) whose status and code are ones the coordinator sends
 * for this request. Anything else (an HTML page from a hotel network, a
 * proxy's 403, a truncated body, a 5xx) is "offline, retry".
 */
#ifndef USHER_SYNCD_PLAN_H
#define USHER_SYNCD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "journal.h"
#include "layout.h"
#include "op.h"
#include "protocol.h"
#include "state.h"

/* ---- answers --------------------------------------------------------------- */

typedef enum {
    SYNCD_ACT_APPLY,     /* a sync answer to record (verdicts, changes, cursor) */
    SYNCD_ACT_RETRY,     /* offline, or not the coordinator's answer: retry later */
    SYNCD_ACT_REJECT_OP, /* the coordinator refused the one op sent: record it rejected */
    SYNCD_ACT_SPLIT,     /* the coordinator refused a batch: send one op at a time */
    SYNCD_ACT_STOP_AUTH, /* the token is refused or not for this: a person must act */
    SYNCD_ACT_REBUILD,   /* the device's cursor is ahead of the coordinator's log, or counts
                          * in another copy of it (it was restored from a backup):
                          * rebuild the replica, send again */
} syncd_act;

/* The words of a syncd_act ("retry"), for logs and tests. */
const char *syncd_act_name(syncd_act a);

/* What the answer (status 0 = none came; body may be NULL) to POST /v1/sync
 * for ops[0..nops) means. On SYNCD_ACT_APPLY *sr holds the decoded answer
 * (release it with proto_sync_response_release); it has one verdict per op,
 * in order, each naming its op. For every other act, why (if non-NULL) gets
 * a sentence for the log and `status`. */
syncd_act syncd_plan_sync_answer(long status, const char *body, size_t len, const usher_op *ops,
                                 size_t nops, sync_response *sr, char *why, size_t whysize);

/* Whether a sync answer's cursor counts in the op log this device follows:
 * `mine` is the log id the journal holds, `theirs` the answer's ("" when
 * either is unknown: an older coordinator, or a journal from before log ids;
 * the caller then keeps theirs). SYNCD_ACT_REBUILD, with why, when they
 * differ: the coordinator's database was restored from a backup, and its
 * changes after this cursor are not the ones this device missed, even when
 * the restored log has grown past it. Otherwise SYNCD_ACT_APPLY. */
syncd_act syncd_plan_log_check(const char *mine, const char *theirs, char *why, size_t whysize);

/* ---- several coordinators (an active and its standbys) ------------------------ */

#define SYNCD_MAX_COORDINATORS 8
#define SYNCD_URL_SIZE 256

/* The coordinators a device may use (--coordinator URL1,URL2,...): one
 * serves (the active), the others are standbys that answer 503 "standby"
 * naming it, or are down. `current` is the one in use. */
typedef struct syncd_coordinators {
    char url[SYNCD_MAX_COORDINATORS][SYNCD_URL_SIZE]; /* no trailing '/' */
    size_t n;
    size_t current;
} syncd_coordinators;

/* Parses --coordinator: one URL or several separated by commas, each
 * http:// or https:// with a host, at most SYNCD_MAX_COORDINATORS, none
 * twice (trailing '/' dropped). False with why on anything else; *out is
 * written only on success (current = 0). */
bool syncd_plan_coordinators(const char *arg, syncd_coordinators *out, char *why, size_t whysize);

/* Whether an answer is a standby coordinator's refusal (503 "standby"); then
 * active (size bytes) holds the active's address it names, or "" when it
 * names none. */
bool syncd_plan_standby(long status, const char *body, size_t len, char *active, size_t size);

/* Whether the coordinator in use did not serve and another of the list
 * should be tried: no answer came (answered false); a standby's refusal
 * (active set to the address it names, or ""); or a 503 without Retry-After
 * (its database failed or cannot be reached: a standby may be taking over;
 * active ""). A 503 with Retry-After is a limit: wait, do not move. Any
 * other answer: false. */
bool syncd_plan_move(bool answered, long status, const char *body, size_t len,
                     int64_t retry_after_s, char *active, size_t size);

/* Which coordinator to use after the current one did not serve (no answer,
 * or a standby's refusal naming `advertised`, "" or NULL for none): the
 * advertised one when it is in the list (the same with or without a
 * trailing '/') and not the current one, else the next in the list after
 * the current, round.
 * With one coordinator: that one. */
size_t syncd_plan_coordinator_next(const syncd_coordinators *c, const char *advertised);

/* ---- the snapshot (bootstrap) ------------------------------------------------ */

/* GET /v1/snapshot's answer, parsed. Owns layout_json, l and changes. */
typedef struct syncd_snapshot {
    journal_identity id;
    char *layout_json; /* the layout as compact JSON, for journal_set_layout_json */
    layout *l;
    change *changes;
    size_t nchanges;
    int64_t cursor;
    char log_id[PROTO_LOG_ID_SIZE]; /* the op log copy the cursor counts in ("" = not sent) */
    size_t pages;           /* the changes come in this many pages (changes empty); 0 = all in it */
    bool has_entrances;     /* the coordinator sent "entrances" */
    entrance_set entrances; /* the entrances and this device's own */
} syncd_snapshot;

void syncd_snapshot_release(syncd_snapshot *s); /* zeroed or released: a no-op */

/* What the answer to GET /v1/snapshot means: SYNCD_ACT_APPLY with *out
 * filled (release with syncd_snapshot_release), SYNCD_ACT_STOP_AUTH, or
 * SYNCD_ACT_RETRY (malformed, not the coordinator's, offline) with why. */
syncd_act syncd_plan_snapshot_answer(long status, const char *body, size_t len, syncd_snapshot *out,
                                     char *why, size_t whysize);

/* A sync answer's changes up to the first CHANGE_LAYOUT (the coordinator
 * replaced the venue's layout): how many to apply over the old layout, n
 * when there is none. With k < n the device applies c[0..k), sets its cursor
 * to c[k].seq - 1 and rebuilds its replica from a new snapshot
 * (journal_replace_replica), which holds everything after. */
size_t syncd_plan_layout_cut(const change *c, size_t n);

/* Changes from the event stream (syncd_events), in the order they came:
 * what an idle device does with them without a sync round. It applies
 * c[skip .. skip + apply) in one journal round (journal_apply_round, no
 * verdicts, cursor = the last one's seq) when their seqs continue its
 * cursor exactly (cursor + 1, + 2, ...); the first `skip` are at or below
 * the cursor (a sync round pulled them already) and are dropped. `pull`:
 * a normal sync round as well, for what the stream cannot give: pending ops
 * in the outbox or the lease policy (nothing is applied then), a gap, a seq
 * going back, a new layout or new entrances (the run stops before it; the
 * round pulls the rest). Nothing queued: nothing to do. */
typedef struct syncd_stream_step {
    size_t skip, apply;
    bool pull;
} syncd_stream_step;
syncd_stream_step syncd_plan_stream(int64_t cursor, int64_t pending, bool lease, const change *c,
                                    size_t n);

/* A snapshot in pages: usher-syncd asks GET /v1/snapshot?paged=1 for the
 * head (event, device, layout, cursor, log, "pages": P) and then
 * GET /v1/snapshot?cursor=C&page=I for I = 0 .. P-1, never holding more than
 * one page. What page I's answer means: SYNCD_ACT_APPLY with its changes in
 * *changes (*n of them; the caller frees the array) when it is page I of P at
 * cursor C; SYNCD_ACT_RETRY when the coordinator's snapshot moved on (410
 * snapshot_gone, or another cursor: join again from the head), when it is
 * malformed, or not the coordinator's answer; SYNCD_ACT_STOP_AUTH. */
#define SYNCD_SNAPSHOT_PAGES_MAX PROTO_SNAPSHOT_PAGES_MAX
/* The paged head leaves the layout out (a stadium's is megabytes): it comes
 * from GET /v1/snapshot?cursor=C&page=layout, as the text stored. *body is
 * the NUL-terminated answer (len bytes); SYNCD_ACT_APPLY when it is a valid
 * layout: snap->layout_json takes *body (no copy: *body is then NULL) and
 * snap->l is set (any earlier ones freed); else as for a page, *body kept. */
syncd_act syncd_plan_snapshot_layout(long status, char **body, size_t len, syncd_snapshot *snap,
                                     char *why, size_t whysize);
syncd_act syncd_plan_snapshot_page(long status, const char *body, size_t len, int64_t cursor,
                                   size_t page, size_t pages, change **changes, size_t *n,
                                   char *why, size_t whysize);

/* ---- backoff ------------------------------------------------------------------ */

#define SYNCD_BACKOFF_FIRST_MS 100
#define SYNCD_BACKOFF_CAP_MS 2000 /* offline retries: capped exponential, jittered */
/* ...but when the coordinator's host refuses the connection (down or
 * restarting), a try costs a SYN and a RST: retry briskly, so that a queue
 * starts draining within a quarter second of its return (scripts/bench drain). */
#define SYNCD_BACKOFF_REFUSED_CAP_MS 250

/* Offline retries: 100 ms doubling to the cap; 0 = online. */
typedef struct syncd_backoff {
    int64_t ms;
} syncd_backoff;

/* After a failed round: doubles the backoff (capped at 250 ms when refused,
 * else 2 s) and returns the wait before the next try, jittered into
 * [ms/2, ms] by `random` (any value; the caller's random source). */
int64_t syncd_backoff_next(syncd_backoff *b, bool refused, uint32_t random);

/* The wait before the next try after an answer of status carrying a
 * Retry-After of retry_after_s seconds (0 = none): a 503 with Retry-After is
 * the coordinator asking for that long, so never less than it (at most
 * SYNCD_RETRY_AFTER_MAX_S, so that a wrong header cannot park a device);
 * anything else keeps backoff_ms, the jittered backoff. */
#define SYNCD_RETRY_AFTER_MAX_S 300
int64_t syncd_plan_retry_wait(int64_t backoff_ms, long status, int64_t retry_after_s);

/* ---- the device's own journal failing -------------------------------------- */

/* What a failure to read or write the device's journal (err, from a round's
 * journal call) means. The rule it owns: a full disk never stops usher-syncd.
 * It stops pulling (every change pulled needs space), keeps every op and
 * verdict it has, says so in `status`, and goes on when there is space again;
 * the coordinator keeps what it was sent meanwhile, and a verdict that could
 * not be recorded comes back as `duplicate` when the op is sent again. */
typedef enum {
    SYNCD_LOCAL_STOP,       /* the journal is unusable (damaged, a failing disk): exit */
    SYNCD_LOCAL_RETRY,      /* busy (the kiosk holds its lock): retry after the backoff */
    SYNCD_LOCAL_WAIT_SPACE, /* the disk is full: stop pulling, wait for space */
} syncd_local_act;

syncd_local_act syncd_plan_journal_failure(usher_err err);

/* While waiting for space: the free space is looked at every
 * SYNCD_SPACE_CHECK_MS, and a round is tried again once SYNCD_SPACE_RESUME_BYTES
 * are free, or SYNCD_SPACE_RETRY_MS after the last try whatever the free space
 * (a small disk may hold a few rounds with less). */
#define SYNCD_SPACE_CHECK_MS 2000
#define SYNCD_SPACE_RESUME_BYTES (256 * 1024)
#define SYNCD_SPACE_RETRY_MS 60000
/* usher-syncd keeps this much of the journal's disk in a reserve file (the
 * journal's path + "-reserve") while there is space, and gives it back the
 * moment the disk is full: room to record that in the journal, and for a
 * few more guests at the kiosk. */
#define SYNCD_SPACE_RESERVE_BYTES (64 * 1024)

/* Whether to try a round again while waiting for space: free_bytes on the
 * journal's disk (-1 when unknown), since_try_ms since the last round failed
 * for want of space. */
bool syncd_plan_space_resume(int64_t free_bytes, int64_t since_try_ms);

/* Whether to make the reserve file again (it is missing): only with room for
 * it and SYNCD_SPACE_RESUME_BYTES besides, so that making it never fills the
 * disk. */
bool syncd_plan_space_reserve(int64_t free_bytes);

/* ---- the clock ------------------------------------------------------------------ */

/* Time is the coordinator's. A device measures its clock's offset from the
 * coordinator's clock (`now` in each sync answer) and adds it to its own, so
 * that what it writes and shows is in the coordinator's time; each op sent
 * carries its wait in the outbox, a difference of two readings of that one
 * clock, from which the coordinator dates the op by its own clock. */

/* The coordinator's clock minus the device's, from an answer carrying the
 * coordinator's clock coord_now, sent and received at the device's raw clock
 * readings sent and recv (taken at the midpoint: the error is at most half
 * the round trip). False when the answer says nothing: no coord_now (an older
 * coordinator), or recv < sent (the clock was set during the call). */
bool syncd_plan_clock_offset(int64_t coord_now, int64_t sent, int64_t recv, int64_t *offset);

/* Whether a new offset is worth writing down: none known yet, or it moved by
 * 250 ms or more (noise of the round trip below that). */
bool syncd_plan_clock_moved(bool known, int64_t old_offset, int64_t new_offset);

/* Whether an offset is worth a person's look (USHER_CLOCK_SKEW_ALERT_MS). */
bool syncd_plan_clock_skewed(int64_t offset);

/* Sets each op's wait_ms: how long it has waited in the outbox at now, the
 * device's clock plus its offset (what the kiosk dated it by); 0 for an op
 * dated after now (the clock was set back meanwhile). */
void syncd_plan_waits(usher_op *ops, size_t n, int64_t now);

/* ---- the lease policy ------------------------------------------------------- */

#define SYNCD_LEASE_TTL_MS USHER_DEFAULT_LEASE_TTL_MS

/* Whether a device of this role may run the policy; false with why when not
 * (a door may not lease). */
bool syncd_plan_lease_allowed(usher_role role, journal_policy policy, char *why, size_t whysize);

/* Where a device starts looking for seats to lease: a spot derived from its
 * id (FNV-1a), so that two devices rarely reach for the same block. */
int syncd_plan_lease_start(const char *device, int nseats);

/* Plans the lease ops that keep n..2n free seats leased to device, from its
 * view v (over layout l) at now, into ops (room for max): renew its leases
 * with less than half the 30-minute term left, lease free seats in layout
 * order from the device's start while it has fewer than n, and give back all
 * but the first n when it has more than 2n. Every lease it counts on thus has
 * at least 15 minutes left once the round is through (more than the 5 minutes
 * a kiosk needs to count on it). Returns how many ops it planned; each has a
 * fresh op id, which a caller may replace. */
size_t syncd_plan_leases(const state *v, const layout *l, const char *device, int n, int64_t now,
                         usher_op *ops, size_t max);

/* The unlease ops that give back every free seat leased to device (on stop). */
size_t syncd_plan_lease_return(const state *v, const layout *l, const char *device, int64_t now,
                               usher_op *ops, size_t max);

#endif

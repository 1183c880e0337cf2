/* syncd_main.c - usher-syncd: keeps a device's journal and the coordinator in step.
 *
 *   run     bootstrap from /v1/snapshot once, then push pending ops and pull
 *           changes whenever the kiosk nudges, the event stream moves, or a
 *           poll or retry is due; offline is normal and retried with backoff;
 *           with --offline-policy lease, keeps a block of seats leased
 *   status  one JSON object describing the device's sync health
 *   dump    what the device believes now, as CSV
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "journal.h"
#include "journal_print.h"
#include "layout.h"
#include "protocol.h"
#include "sdnotify.h"
#include "syncd_events.h"
#include "syncd_net.h"
#include "syncd_plan.h"
#include "syncd_space.h"
#include "text.h"
#include "timestamp.h"
#include "wake.h"

#define BATCH USHER_MAX_BATCH
#define POLL_MS 10000       /* a round now and then even when nothing nudges */
#define LEASE_QUIET_MS 1000 /* upkeep at most this often when nothing is due */
#define LEASE_PASSES 4      /* exchanges (with upkeeps between) in one round */

static const char usage[] =
    "usage: usher-syncd COMMAND [options]\n"
    "\n"
    "  run    --db FILE --coordinator URL[,URL2...] --token TOKEN\n"
    "         [--offline-policy optimistic|lease [--lease-size N]] [--wake-socket NAME]\n"
    "  status --db FILE      (one JSON object: device, online, cursor, pending, rejected,\n"
    "                         last_sync_at, last_error, clock_offset_ms, storage_full)\n"
    "  dump   --db FILE seats|tickets|outbox   (CSV: what this device believes now)\n";

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("usher-syncd: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char t[TIMESTAMP_TEXT_SIZE];
    timestamp_format(timestamp_now_ms(), t);
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s usher-syncd: ", t);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- the sync loop ------------------------------------------------------- */

typedef struct syncd {
    journal *j;
    syncd_net *net;               /* to coords.url[coords.current] */
    syncd_coordinators coords;    /* --coordinator's list */
    const char *token, *cacert;   /* for a new connection when moving */
    bool move;                    /* the current coordinator did not serve: try another */
    char move_to[SYNCD_URL_SIZE]; /* the active a standby named ("" = none) */
    journal_identity id;
    char err[512];
    bool one_at_a_time; /* after a refused batch: find the op the coordinator refuses */
    journal_policy policy;
    int lease_size;         /* N: keep N..2N free seats leased (lease policy) */
    layout *l;              /* the event's layout, parsed once for lease upkeep */
    int64_t lease_quiet_at; /* mono ms before which an idle upkeep is skipped */
    bool lease_deferred;    /* an upkeep was skipped: the loop runs a round at quiet_at */
    long last_status;       /* the last answer's HTTP status (0 = none), for Retry-After */
    int64_t clock_offset;   /* the coordinator's clock minus this device's, ms */
    bool clock_known;       /* clock_offset was measured (now or by an earlier run) */
    const char *db;         /* the journal's path: its disk, the reserve file beside it */
    usher_err local_err;    /* ROUND_LOCAL: what the failed journal call returned */
    bool full;              /* the journal's disk is full: waiting for space, not pulling */
    int64_t full_tried_at;  /* mono ms of the last round that failed for want of space */
    bool reserve_wanted;  /* the reserve file is (or may be) missing: make it when there is room */
    sdnotify sd;          /* systemd: ready, and the watchdog pinged from the loop */
    bool entrances_known; /* `entrances` is what the journal holds */
    entrance_set entrances; /* the entrances and this door's own, as last stored */
    int64_t stream_applied; /* changes applied straight from the event stream */
} syncd;

/* The coordinator's time as this device knows it: what every time this
 * program writes into the journal is in, like the kiosk's (a Pi has no
 * real-time clock: its own may be hours off, or at 1970). */
static int64_t syncd_now(const syncd *s)
{
    return timestamp_now_ms() + s->clock_offset;
}

/* Takes the coordinator's clock from an answer received between the device's
 * raw clock readings sent and recv; writes the offset down when it moved,
 * and says so in the log when the device's clock is far off. */
static void clock_measured(syncd *s, int64_t coord_now, int64_t sent, int64_t recv)
{
    int64_t off;
    if (!syncd_plan_clock_offset(coord_now, sent, recv, &off) ||
        !syncd_plan_clock_moved(s->clock_known, s->clock_offset, off))
        return;
    bool was_skewed = s->clock_known && syncd_plan_clock_skewed(s->clock_offset);
    bool skewed = syncd_plan_clock_skewed(off);
    s->clock_offset = off;
    s->clock_known = true;
    usher_errmsg em = {{0}};
    if (journal_set_clock(s->j, off, recv, &em))
        say("cannot record the clock offset: %s", em.text);
    if (skewed || was_skewed)
        say("clock: this device's clock is %lld s %s the coordinator's; times here follow the "
            "coordinator%s",
            (long long)((off < 0 ? -off : off) / 1000), off > 0 ? "behind" : "ahead of",
            skewed ? " (set the device's clock or its NTP server)" : "");
}

/* Every call to the coordinator: one that shows it does not serve
 * (syncd_plan_move: no answer, a standby's refusal, a 503 without
 * Retry-After) marks it (s->move), so that the loop moves to another when
 * it has a list. */
static net_result net_call(syncd *s, const char *path, const char *body, char **resp, size_t *len,
                           long *status, char *err, size_t errsize)
{
    net_result r = syncd_net_call(s->net, path, body, resp, len, status, err, errsize);
    if (syncd_plan_move(r == NET_OK, r == NET_OK ? *status : 0, r == NET_OK ? *resp : NULL,
                        r == NET_OK ? *len : 0, syncd_net_retry_after(s->net), s->move_to,
                        sizeof s->move_to))
        s->move = true;
    return r;
}

/* ROUND_AUTH: the token is refused; main exits 3 ("a person must look").
 * ROUND_LOCAL: the device's own journal failed (s->local_err); what that
 * means (a full disk: wait for space) is syncd_plan_journal_failure's. */
typedef enum { ROUND_OK, ROUND_OFFLINE, ROUND_FATAL, ROUND_AUTH, ROUND_LOCAL } round_result;

static round_result journal_failed(syncd *s, usher_err err, const char *what,
                                   const usher_errmsg *em)
{
    snprintf(s->err, sizeof s->err, "%s: %s", what, em->text);
    s->local_err = err;
    return ROUND_LOCAL;
}

static round_result stop_auth(syncd *s, const char *what)
{
    snprintf(s->err + strlen(s->err), sizeof s->err - strlen(s->err),
             " (%s: check --token; make a new one with 'usher-coord device add')", what);
    return ROUND_AUTH;
}

/* Why a snapshot is taken: a first join, a rebuild after a restore (the ops
 * the coordinator had accepted are sent again), a new layout (the outbox
 * stays as it is). */
typedef enum { SNAP_JOIN, SNAP_REBUILD, SNAP_RELAYOUT } snap_why;

/* One GET of the snapshot: its head into *snap (release it) on ROUND_OK. */
static round_result fetch_head(syncd *s, syncd_snapshot *snap)
{
    char *body = NULL;
    size_t len = 0;
    long status = 0;
    memset(snap, 0, sizeof *snap);
    if (net_call(s, "/v1/snapshot?paged=1", NULL, &body, &len, &status, s->err, sizeof s->err) !=
        NET_OK)
        return ROUND_OFFLINE;
    s->last_status = status;
    syncd_act act = syncd_plan_snapshot_answer(status, body, len, snap, s->err, sizeof s->err);
    free(body);
    if (act == SYNCD_ACT_STOP_AUTH)
        return stop_auth(s, "snapshot");
    return act == SYNCD_ACT_APPLY ? ROUND_OK : ROUND_OFFLINE;
}

/* The layout of a paged snapshot: a page of its own. */
static round_result fetch_layout(syncd *s, syncd_snapshot *snap)
{
    char path[96], *body = NULL;
    size_t len = 0;
    long status = 0;
    snprintf(path, sizeof path, "/v1/snapshot?cursor=%lld&page=layout", (long long)snap->cursor);
    if (net_call(s, path, NULL, &body, &len, &status, s->err, sizeof s->err) != NET_OK)
        return ROUND_OFFLINE;
    s->last_status = status;
    syncd_act act = syncd_plan_snapshot_layout(status, &body, len, snap, s->err, sizeof s->err);
    free(body);
    if (act == SYNCD_ACT_STOP_AUTH)
        return stop_auth(s, "snapshot");
    return act == SYNCD_ACT_APPLY ? ROUND_OK : ROUND_OFFLINE;
}

/* Fetches page after page of the snapshot into the journal's staging tables
 * (never more than a page in memory). */
static round_result fetch_pages(syncd *s, const syncd_snapshot *snap)
{
    usher_errmsg em = {{0}};
    usher_err err = journal_stage_begin(s->j, &em);
    if (!err && snap->nchanges)
        err = journal_stage_changes(s->j, snap->changes, snap->nchanges, &em);
    if (err)
        return journal_failed(s, err, "cannot stage the snapshot", &em);
    for (size_t i = 0; i < snap->pages; i++) {
        char path[96], *body = NULL;
        size_t len = 0;
        long status = 0;
        snprintf(path, sizeof path, "/v1/snapshot?cursor=%lld&page=%zu", (long long)snap->cursor,
                 i);
        if (net_call(s, path, NULL, &body, &len, &status, s->err, sizeof s->err) != NET_OK)
            return ROUND_OFFLINE;
        s->last_status = status;
        change *cs = NULL;
        size_t n = 0;
        syncd_act act = syncd_plan_snapshot_page(status, body, len, snap->cursor, i, snap->pages,
                                                 &cs, &n, s->err, sizeof s->err);
        free(body);
        if (act == SYNCD_ACT_STOP_AUTH)
            return stop_auth(s, "snapshot");
        if (act != SYNCD_ACT_APPLY)
            return ROUND_OFFLINE; /* the next try joins again from the head */
        err = journal_stage_changes(s->j, cs, n, &em);
        free(cs);
        if (err)
            return journal_failed(s, err, "cannot stage the snapshot", &em);
    }
    return ROUND_OK;
}

/* Takes the snapshot, in pages, and makes it the replica in one transaction
 * (a kiosk sees the old replica until then, never a part of the new one). A
 * join then stores layout, settings and identity, identity last (its
 * presence marks a finished bootstrap, so a crash repeats it). */
static round_result take_snapshot(syncd *s, snap_why why)
{
    syncd_snapshot snap;
    round_result out = fetch_head(s, &snap);
    if (out == ROUND_OK && !snap.layout_json)
        out = fetch_layout(s, &snap);
    if (out == ROUND_OK)
        out = fetch_pages(s, &snap);
    if (out != ROUND_OK) {
        syncd_snapshot_release(&snap);
        return out;
    }
    usher_errmsg em = {{0}};
    int64_t requeued = 0;
    journal_snapshot_end end = {.cursor = snap.cursor,
                                .log_id = snap.log_id,
                                .layout_json = snap.layout_json,
                                .requeue = why == SNAP_REBUILD};
    usher_err err = journal_stage_finish(s->j, &end, syncd_now(s), &requeued, &em);
    if (!err)
        err = journal_set_settings(s->j, &snap.id.settings, &em);
    if (!err && snap.has_entrances)
        err = journal_set_entrances(s->j, &snap.entrances, &em);
    if (!err && snap.has_entrances) {
        s->entrances = snap.entrances;
        s->entrances_known = true;
    }
    if (!err && why == SNAP_JOIN)
        err = journal_set_identity(s->j, &snap.id, &em);
    if (err) {
        out = journal_failed(s, err, "cannot store the snapshot", &em);
        goto out;
    }
    s->id.settings = snap.id.settings;
    layout_free(s->l); /* the lease upkeep parses the layout again */
    s->l = NULL;
    if (why == SNAP_JOIN) {
        s->id = snap.id;
        say("bootstrapped as %s (%s) for \"%s\": %d seats, cursor %lld, %zu pages", snap.id.device,
            role_name(snap.id.role), snap.id.event_name, layout_seat_count(snap.l),
            (long long)snap.cursor, snap.pages ? snap.pages : 1);
    } else if (why == SNAP_REBUILD) {
        say("rebuilt the replica from the snapshot (cursor %lld); %lld accepted ops back in the "
            "outbox, to be sent again",
            (long long)snap.cursor, (long long)requeued);
        s->err[0] = '\0';
    } else {
        say("new layout: %d seats in %d sections; replica rebuilt from the snapshot at cursor "
            "%lld",
            layout_seat_count(snap.l), layout_section_count(snap.l), (long long)snap.cursor);
    }
out:
    syncd_snapshot_release(&snap);
    return out;
}

static round_result bootstrap(syncd *s)
{
    return take_snapshot(s, SNAP_JOIN);
}

/* The coordinator's log is not the one this device followed: its cursor is
 * behind this device's, or it names another copy of the log (it was restored
 * from a backup and lost the ops after that moment). Never a reason to stop:
 * take the snapshot, then in one transaction replace the replica with it and
 * put every op it had accepted back in the outbox, to be sent again (a known
 * op id is answered with its first verdict; a lost one is applied as a new
 * arrival, with the conflict rules and their alerts). Offline meanwhile, the
 * device keeps its old replica and tries again. */
static round_result rebuild(syncd *s)
{
    say("%s", s->err);
    return take_snapshot(s, SNAP_REBUILD);
}

/* The coordinator replaced the venue's layout: the replica is rebuilt from a
 * new snapshot over it, in one transaction, and the outbox stays as it is
 * (nothing pending is lost or sent twice). The kiosk sees the layout stamp
 * move and draws the new map. Offline meanwhile: the cursor is still before
 * the layout change, so the next round finds it again. */
static round_result relayout(syncd *s)
{
    return take_snapshot(s, SNAP_RELAYOUT);
}

/* The coordinator refused one op outright (400 invalid): record it as
 * rejected here so that it does not block the queue behind it. */
static void reject_locally(syncd *s, const usher_op *op)
{
    verdict v;
    memset(&v, 0, sizeof v);
    text_copy(v.op_id, sizeof v.op_id, op->id);
    v.status = VERDICT_REJECTED;
    v.reason = REASON_INVALID;
    usher_errmsg em = {{0}};
    if (journal_apply_round(s->j, &v, 1, NULL, 0, journal_cursor(s->j), syncd_now(s), &em))
        say("cannot record the refusal of op %s: %s", op->id, em.text);
    else
        say("op %s (%s) refused by the coordinator: %s", op->id, op_kind_name(op->kind), s->err);
}

/* Keeps the event's settings a sync answer carries, when they changed. */
static usher_err note_settings(syncd *s, const sync_response *sr)
{
    if (!sr->has_event || settings_same(&sr->event, &s->id.settings))
        return USHER_OK;
    usher_errmsg em = {{0}};
    usher_err err = journal_set_settings(s->j, &sr->event, &em);
    if (err) {
        journal_failed(s, err, "journal", &em);
        return err;
    }
    s->id.settings = sr->event;
    say("event settings: codes %s, time zone %s, staff PIN %s",
        ticketcode_strength_name(sr->event.codes), sr->event.tz[0] ? sr->event.tz : "UTC",
        sr->event.pin_hash[0] ? "set" : "none");
    return USHER_OK;
}

/* Keeps the entrances a sync answer carries (and this door's own), when
 * they changed. */
static usher_err note_entrances(syncd *s, const sync_response *sr)
{
    if (!sr->has_entrances || !sr->entrances ||
        (s->entrances_known && !memcmp(sr->entrances, &s->entrances, sizeof s->entrances)))
        return USHER_OK;
    usher_errmsg em = {{0}};
    usher_err err = journal_set_entrances(s->j, sr->entrances, &em);
    if (err) {
        journal_failed(s, err, "journal", &em);
        return err;
    }
    s->entrances = *sr->entrances;
    s->entrances_known = true;
    say("entrances: %zu, this device's: %s", sr->entrances->n,
        sr->entrances->mine[0] ? sr->entrances->mine : "none");
    return USHER_OK;
}

/* One push-and-pull exchange; *again when more is waiting on either side.
 * What the answer means is syncd_plan_sync_answer's to say. */
static round_result exchange(syncd *s, bool *again)
{
    usher_errmsg em = {{0}};
    usher_op *ops = NULL;
    size_t nops = 0;
    *again = false;
    usher_err err = journal_pending(s->j, s->one_at_a_time ? 1 : BATCH, &ops, &nops, &em);
    if (err)
        return journal_failed(s, err, "journal", &em);
    /* Each op's wait in the outbox: the coordinator dates it by its own clock
     * (op_happened_at); the device's `at` is only a record. */
    int64_t sent = timestamp_now_ms();
    syncd_plan_waits(ops, nops, sent + s->clock_offset);
    sync_request req = {
        .cursor = journal_cursor(s->j), .ops = ops, .nops = nops, .clock = sent > 0 ? sent : 1};
    text_copy(req.device, sizeof req.device, s->id.device);
    /* The kiosk's printer goes with every sync (a kiosk without one has no
     * row); a journal that cannot say is no reason to stop syncing. */
    if (journal_print_report(s->j, &req.printer, &req.has_printer, &em)) {
        say("cannot read the printer's state: %s", em.text);
        req.has_printer = false;
    }
    char *body = proto_sync_request_encode(&req);
    char *resp = NULL;
    size_t len = 0;
    long status = 0;
    round_result out = ROUND_OFFLINE;
    if (!body) {
        snprintf(s->err, sizeof s->err, "out of memory");
        goto out;
    }
    if (net_call(s, "/v1/sync", body, &resp, &len, &status, s->err, sizeof s->err) != NET_OK)
        goto out;
    s->last_status = status;
    sync_response sr;
    char log_id[PROTO_LOG_ID_SIZE] = "";
    switch (syncd_plan_sync_answer(status, resp, len, ops, nops, &sr, s->err, sizeof s->err)) {
    case SYNCD_ACT_APPLY: {
        clock_measured(s, sr.now, sent, timestamp_now_ms());
        size_t k = syncd_plan_layout_cut(sr.changes, sr.nchanges);
        int64_t cursor = k < sr.nchanges ? sr.changes[k].seq - 1 : sr.cursor;
        if ((err = journal_get_log_id(s->j, log_id, sizeof log_id, &em)) != USHER_OK) {
            out = journal_failed(s, err, "journal", &em);
        } else if (syncd_plan_log_check(log_id, sr.log, s->err, sizeof s->err) ==
                   SYNCD_ACT_REBUILD) {
            out = rebuild(s); /* this answer's changes count in another log: dropped */
            *again = out == ROUND_OK;
        } else if ((!log_id[0] && sr.log[0] &&
                    (err = journal_set_log_id(s->j, sr.log, &em)) != USHER_OK) ||
                   (err = journal_apply_round(s->j, sr.verdicts, sr.nverdicts, sr.changes, k,
                                              cursor, syncd_now(s), &em)) != USHER_OK) {
            out = journal_failed(s, err, "cannot record the coordinator's answer", &em);
        } else if (note_settings(s, &sr) != USHER_OK || note_entrances(s, &sr) != USHER_OK) {
            out = ROUND_LOCAL;
        } else if (k < sr.nchanges) {
            out = relayout(s);
            s->one_at_a_time = false;
            *again = out == ROUND_OK;
        } else {
            out = ROUND_OK;
            s->one_at_a_time = false;
            *again = sr.more || nops == BATCH;
        }
        proto_sync_response_release(&sr);
        break;
    }
    case SYNCD_ACT_REJECT_OP:
        reject_locally(s, &ops[0]);
        s->one_at_a_time = false;
        *again = true;
        out = ROUND_OK;
        break;
    case SYNCD_ACT_SPLIT:
        s->one_at_a_time = true; /* find the one it will not take */
        *again = true;
        out = ROUND_OK;
        break;
    case SYNCD_ACT_RETRY:
        out = ROUND_OFFLINE;
        break;
    case SYNCD_ACT_STOP_AUTH:
        out = stop_auth(s, "sync");
        break;
    case SYNCD_ACT_REBUILD:
        out = rebuild(s);
        *again = out == ROUND_OK;
        break;
    }
out:
    free(resp);
    free(body);
    free(ops);
    return out;
}

/* ---- the lease policy ------------------------------------------------------ */

/* The view (replica + own pending ops) at now, over the layout parsed once. */
static usher_err load_view(syncd *s, int64_t now, state **v, usher_errmsg *em)
{
    if (!s->l) {
        char *text = NULL;
        usher_err err = journal_get_layout_json(s->j, &text, em);
        if (!err)
            err = layout_from_json(text, strlen(text), &s->l, em);
        free(text);
        if (err)
            return err;
    }
    return journal_load_view(s->j, s->l, now, v, em);
}

/* One upkeep of the lease policy after a round with the coordinator: appends
 * the planned ops to the outbox (one transaction) for the next exchange.
 * Returns how many; 0 when nothing was due or on a local failure (logged). */
static size_t lease_upkeep(syncd *s)
{
    int64_t mono = timestamp_mono_ms(), now = syncd_now(s);
    /* Building the view costs ~25 ms for 10,000 seats: in a rush, when rounds
     * follow each other, look at most once a second. */
    s->lease_deferred = mono < s->lease_quiet_at;
    if (s->lease_deferred)
        return 0;
    usher_errmsg em = {{0}};
    state *v = NULL;
    usher_op *ops = NULL;
    size_t nops = 0;
    if (load_view(s, now, &v, &em)) {
        say("lease upkeep: %s", em.text);
        goto out;
    }
    if (!(ops = malloc(BATCH * sizeof *ops))) {
        say("lease upkeep: out of memory");
        goto out;
    }
    nops = syncd_plan_leases(v, s->l, s->id.device, s->lease_size, now, ops, BATCH);
    if (nops && journal_append_all(s->j, ops, nops, &em)) {
        say("lease upkeep: %s", em.text);
        nops = 0;
    }
out:
    if (!nops)
        s->lease_quiet_at = mono + LEASE_QUIET_MS;
    free(ops);
    state_free(v);
    return nops;
}

/* Stopping while online: give every free seat leased to this device back in
 * one last exchange, so that they return to the pool at once rather than when
 * their leases run out. Best effort: a failure only means they expire. */
static void lease_return(syncd *s)
{
    int64_t now = syncd_now(s);
    usher_errmsg em = {{0}};
    state *v = NULL;
    usher_op *ops = NULL;
    size_t nops = 0;
    bool again = false;
    if (load_view(s, now, &v, &em)) {
        say("cannot return leased seats: %s", em.text);
        goto out;
    }
    if (!(ops = malloc(BATCH * sizeof *ops)))
        goto out;
    nops = syncd_plan_lease_return(v, s->l, s->id.device, now, ops, BATCH);
    if (!nops)
        goto out;
    if (journal_append_all(s->j, ops, nops, &em)) {
        say("cannot return leased seats: %s", em.text);
        goto out;
    }
    s->err[0] = '\0';
    if (exchange(s, &again) == ROUND_OK)
        say("returned %zu leased seats", nops);
    else
        say("could not return %zu leased seats (%s); they expire by themselves", nops, s->err);
out:
    free(ops);
    state_free(v);
}

/* A door device may not lease: refuse the policy instead of having every
 * batch refused. */
static round_result lease_allowed(syncd *s)
{
    return syncd_plan_lease_allowed(s->id.role, s->policy, s->err, sizeof s->err) ? ROUND_OK
                                                                                  : ROUND_FATAL;
}

/* Pushes and pulls until nothing waits on either side; under the lease policy
 * each time tops up the device's leases and pushes them at once. */
static round_result sync_round(syncd *s)
{
    s->err[0] = '\0';
    s->last_status = 0;
    if (!s->id.device[0]) {
        round_result r = bootstrap(s);
        if (r == ROUND_OK)
            r = lease_allowed(s);
        if (r != ROUND_OK)
            return r;
    }
    round_result r = ROUND_OK;
    for (int pass = 1;; pass++) {
        bool again = true;
        for (int i = 0; again && r == ROUND_OK && i < 10000; i++) {
            r = exchange(s, &again);
            sdnotify_alive(&s->sd, timestamp_mono_ms()); /* a long drain is not a hang */
        }
        /* Every upkeep that appends is followed by an exchange that pushes it. */
        if (r != ROUND_OK || pass == LEASE_PASSES || s->policy != JOURNAL_POLICY_LEASE ||
            !lease_upkeep(s))
            break;
    }
    return r;
}

static volatile sig_atomic_t stop_signal;
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    stop_signal = sig;
    (void)!write(signal_pipe[1], "s", 1);
}

/* The journal's disk is full: give back the reserve (room to say so in the
 * journal), record it for `status` and the kiosk, and stop pulling until
 * there is space (syncd_plan_journal_failure). */
static void storage_full(syncd *s, int64_t mono)
{
    bool released = syncd_space_release(s->db);
    s->full_tried_at = mono;
    s->reserve_wanted = true;
    if (s->full && !released)
        return; /* said already */
    char text[sizeof s->err + 96];
    snprintf(text, sizeof text,
             "storage full: %s; not pulling until there is space on the journal's disk "
             "(everything is kept)",
             s->err);
    usher_errmsg em = {{0}};
    if (journal_set_storage_full(s->j, true, text, syncd_now(s), &em))
        say("%s; cannot record it in the journal either: %s", text, em.text);
    else if (!s->full)
        say("%s%s", text, released ? " (gave back the reserve to record it)" : "");
    sdnotify_status("storage full: waiting for space on the journal's disk");
    s->full = true;
}

/* A round worked: when the disk was full, say that it goes on; make the
 * reserve again once there is room for it. */
static void storage_ok(syncd *s)
{
    usher_errmsg em = {{0}};
    if (s->full) {
        s->full = false;
        if (journal_set_storage_full(s->j, false, NULL, syncd_now(s), &em))
            say("cannot record that the disk has space again: %s", em.text);
        say("storage: space on the journal's disk again; pulling again");
    }
    if (s->reserve_wanted && syncd_plan_space_reserve(syncd_space_free(s->db)))
        s->reserve_wanted = !syncd_space_reserve(s->db, SYNCD_SPACE_RESERVE_BYTES);
}

/* The current coordinator did not serve: a new connection to the one
 * syncd_plan_coordinator_next picks, and the event stream follows. */
static usher_err move_coordinator(syncd *s, syncd_events *ev, usher_errmsg *em)
{
    size_t next = syncd_plan_coordinator_next(&s->coords, s->move_to);
    s->move = false;
    if (next == s->coords.current)
        return USHER_OK;
    syncd_net *n = NULL;
    usher_err err = syncd_net_new(s->coords.url[next], s->token, s->cacert, &n, em);
    if (err)
        return err;
    say("coordinator %s %s: moving to %s", s->coords.url[s->coords.current],
        s->move_to[0] ? "is a standby" : "does not serve", s->coords.url[next]);
    syncd_net_free(s->net);
    s->net = n;
    s->coords.current = next;
    s->move_to[0] = '\0';
    syncd_events_follow(ev, s->coords.url[next]);
    return USHER_OK;
}

/* Changes the event stream queued: an idle device applies the run that
 * continues its cursor in one journal round, as a sync answer's changes go
 * (syncd_plan_stream decides); true when a sync round is wanted as well. */
static bool stream_apply(syncd *s, syncd_events *ev, bool online)
{
    static change q[SYNCD_EVENTS_QUEUE];
    size_t n = syncd_events_take(ev, q, SYNCD_EVENTS_QUEUE);
    if (!n)
        return false;
    if (!online || s->full || !s->id.device[0])
        return true; /* the round that comes pulls them */
    usher_errmsg em = {{0}};
    int64_t pending = 0;
    if (journal_pending_count(s->j, &pending, &em) != USHER_OK) {
        say("cannot count the outbox: %s", em.text);
        return true;
    }
    syncd_stream_step st =
        syncd_plan_stream(journal_cursor(s->j), pending, s->policy == JOURNAL_POLICY_LEASE, q, n);
    if (st.apply) {
        const change *c = q + st.skip;
        usher_err err =
            journal_apply_round(s->j, NULL, 0, c, st.apply, c[st.apply - 1].seq, syncd_now(s), &em);
        if (err != USHER_OK) {
            say("cannot apply the event stream's changes: %s", em.text);
            if (syncd_plan_journal_failure(err) == SYNCD_LOCAL_WAIT_SPACE) {
                /* As a round's failure: the reserve given back, "storage full"
                 * recorded, no pulls until there is space. */
                journal_failed(s, err, "cannot apply the event stream's changes", &em);
                storage_full(s, timestamp_mono_ms());
                return false;
            }
            return true;
        }
        s->stream_applied += (int64_t)st.apply;
    }
    return st.pull;
}

static int run_loop(syncd *s, int wake_fd, int notify_rd, int notify_wr, const char *url,
                    const char *token, const char *cacert)
{
    syncd_events *ev = NULL;
    usher_errmsg em = {{0}};
    if (syncd_events_start(url, token, cacert, notify_wr, &ev, &em) != USHER_OK)
        return fail("%s", em.text);
    syncd_backoff backoff = {0};
    int64_t next_try = 0;   /* the next poll when online, retry when not */
    int64_t not_before = 0; /* a 503's Retry-After: no try before this, nudged or not */
    bool online = false, need = true;
    int rc = 0;
    while (!stop_signal) {
        int64_t now = timestamp_mono_ms();
        sdnotify_alive(&s->sd, now); /* from here only: a wedged loop stops the pings */
        bool due = (need || now >= next_try) && now >= not_before;
        if (due && s->full &&
            !syncd_plan_space_resume(syncd_space_free(s->db), now - s->full_tried_at)) {
            need = false; /* still full: look again later, pull nothing */
            next_try = now + SYNCD_SPACE_CHECK_MS;
            due = false;
        }
        if (due) {
            need = false;
            s->move = false;
            uint64_t conn = syncd_events_connection(ev);
            round_result r = sync_round(s);
            if (r == ROUND_OK)
                syncd_events_trust(ev, conn); /* its log checked: its changes may be applied */
            now = timestamp_mono_ms();
            syncd_local_act local =
                r == ROUND_LOCAL ? syncd_plan_journal_failure(s->local_err) : SYNCD_LOCAL_STOP;
            if (r == ROUND_OK) {
                if (!online) {
                    say("online: in step with the coordinator (cursor %lld)",
                        (long long)journal_cursor(s->j));
                    sdnotify_status("online");
                }
                online = true;
                backoff.ms = 0;
                next_try = now + POLL_MS;
                if (s->lease_deferred && s->lease_quiet_at < next_try)
                    next_try = s->lease_quiet_at; /* the lease upkeep it skipped */
                storage_ok(s);
            } else if (r == ROUND_LOCAL && local == SYNCD_LOCAL_WAIT_SPACE) {
                storage_full(s, now);
                online = false;
                next_try = now + SYNCD_SPACE_CHECK_MS;
            } else if (r == ROUND_OFFLINE && s->move && s->coords.n > 1) {
                /* Another coordinator of the list: the active a standby
                 * named is tried at once, the next of the list after the
                 * backoff (all of them may be down). */
                bool named = s->move_to[0] != '\0';
                if (move_coordinator(s, ev, &em) != USHER_OK) {
                    rc = fail("%s", em.text);
                    break;
                }
                if (journal_set_status(s->j, false, s->err, syncd_now(s), &em))
                    say("cannot record status: %s", em.text);
                online = false;
                not_before = 0;
                next_try = named ? now
                                 : now + syncd_backoff_next(&backoff, syncd_net_refused(s->net),
                                                            (uint32_t)rand());
                need = named;
            } else if (r == ROUND_OFFLINE || (r == ROUND_LOCAL && local == SYNCD_LOCAL_RETRY)) {
                if (journal_set_status(s->j, false, s->err, syncd_now(s), &em))
                    say("cannot record status: %s", em.text);
                if (online || !backoff.ms) {
                    say("offline: %s (retrying)", s->err);
                    sdnotify_status("offline (retrying)");
                }
                online = false;
                next_try = now + syncd_plan_retry_wait(
                                     syncd_backoff_next(&backoff, syncd_net_refused(s->net),
                                                        (uint32_t)rand()),
                                     s->last_status, syncd_net_retry_after(s->net));
                if (s->last_status == 503 && syncd_net_retry_after(s->net) > 0)
                    not_before = next_try;
            } else {
                (void)!journal_set_status(s->j, false, s->err, syncd_now(s), NULL);
                rc = fail("stopping: %s", s->err);
                if (r == ROUND_AUTH)
                    rc = 3;
                break;
            }
        }
        int64_t wait = (need && not_before <= now ? now : next_try) - now;
        if (not_before > now && wait < not_before - now)
            wait = not_before - now;
        struct pollfd p[3] = {
            {wake_fd, POLLIN, 0}, {notify_rd, POLLIN, 0}, {signal_pipe[0], POLLIN, 0}};
        wait = sdnotify_cap_wait(&s->sd, wait < 0 ? 0 : wait > 60000 ? 60000 : wait);
        int got = poll(p, 3, (int)wait);
        if (got < 0 && errno != EINTR)
            break;
        if (got > 0 && (p[0].revents & POLLIN)) {
            wake_drain(wake_fd);
            if (online)
                need = true; /* offline, a nudge waits for the retry */
        }
        if (got > 0 && (p[1].revents & POLLIN)) {
            char buf[256];
            ssize_t k;
            bool pull = false, changes = false;
            while ((k = read(notify_rd, buf, sizeof buf)) > 0)
                for (ssize_t i = 0; i < k; i++)
                    changes |= buf[i] == SYNCD_EVENTS_CHANGES,
                        pull |= buf[i] != SYNCD_EVENTS_CHANGES;
            if (changes && stream_apply(s, ev, online))
                pull = true;
            if (pull && !s->full) {
                need = true; /* the stream moved or reconnected: the coordinator is there */
                backoff.ms = 0;
            }
        }
    }
    sdnotify_stopping();
    syncd_events_stop(ev);
    if (stop_signal)
        say("stopping (signal %d); %lld changes applied from the event stream", (int)stop_signal,
            (long long)s->stream_applied);
    if (stop_signal && online && s->policy == JOURNAL_POLICY_LEASE)
        lease_return(s);
    return rc;
}

/* A non-blocking, close-on-exec pipe. */
static int make_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        if (fcntl(fds[i], F_SETFL, O_NONBLOCK) != 0 || fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0)
            return -1;
    return 0;
}

/* Opens the journal; on a full disk gives back the reserve and tries again
 * every SYNCD_SPACE_CHECK_MS until it opens or a signal stops it (never a
 * reason to exit). On failure s->err says why and s->j stays NULL. */
static usher_err open_journal(syncd *s)
{
    usher_errmsg em = {{0}};
    bool said = false;
    for (;;) {
        usher_err err = journal_open(s->db, &s->j, &em);
        if (err != USHER_FULL || stop_signal) {
            if (err)
                text_copy(s->err, sizeof s->err, em.text);
            return err;
        }
        bool released = syncd_space_release(s->db);
        if (!said || released)
            say("%s; waiting for space to open it%s", em.text,
                released ? " (gave back the reserve)" : "");
        /* Serving in its way: the kiosk (started once syncd is ready) must
         * come up and say that the disk is full. */
        sdnotify_ready(&s->sd, "storage full: waiting for space to open the journal");
        said = true;
        if (released)
            continue;
        sdnotify_alive(&s->sd, timestamp_mono_ms());
        struct pollfd p = {signal_pipe[0], POLLIN, 0};
        (void)poll(&p, 1, (int)sdnotify_cap_wait(&s->sd, SYNCD_SPACE_CHECK_MS));
    }
}

static int cmd_run(int argc, char **argv)
{
    static const cli_spec specs[] = {
        {"db", true},         {"coordinator", true}, {"token", true}, {"offline-policy", true},
        {"lease-size", true}, {"wake-socket", true}, {"cacert", true}};
    const int ns = (int)(sizeof specs / sizeof specs[0]);
    if (cli_wants_help(argc, argv)) {
        fputs("usage: usher-syncd run --db FILE --coordinator URL[,URL2...] [--token TOKEN]\n"
              "                       [--offline-policy optimistic|lease [--lease-size N]]\n"
              "                       [--wake-socket NAME] [--cacert FILE.pem]\n"
              "Keeps the journal FILE in step with the coordinator at URL\n"
              "(http://HOST:PORT or https://...). Several URLs, comma-separated, are the\n"
              "serves of one event (an active and its standbys): it uses the one that\n"
              "serves and moves when that one stops answering or is a standby.\n"
              "The first run fetches the event from\n"
              "/v1/snapshot. Offline is normal: ops wait in the journal and are pushed\n"
              "when the coordinator answers again. A refused token stops it (exit 3).\n"
              "The token (from 'usher-coord device add') may come from the environment\n"
              "variable USHER_TOKEN instead, which keeps it out of the process list.\n"
              "--cacert: the certificates to trust for https (PEM), e.g. a coordinator's\n"
              "self-signed certificate; default: the system's.\n"
              "\n"
              "--offline-policy optimistic (the default): offline, the kiosk offers every\n"
              "seat it believes free; the coordinator's reseat rule settles conflicts.\n"
              "--offline-policy lease: while online, keep N..2N free seats leased to this\n"
              "device (--lease-size N, 1..500, default 10; each lease lasts 30 minutes\n"
              "and is renewed); offline, the kiosk offers only those, so offline seating\n"
              "cannot conflict. Stopping (SIGTERM, SIGINT) while online gives them back.\n",
              stdout);
        return 0;
    }
    cli c;
    usher_errmsg em = {{0}};
    if (cli_parse(specs, ns, argc, argv, &c, &em))
        return fail("%s", em.text);
    const char *db = cli_get(specs, ns, &c, "db"), *url = cli_get(specs, ns, &c, "coordinator");
    const char *token = cli_get(specs, ns, &c, "token");
    const char *policy = cli_get(specs, ns, &c, "offline-policy");
    const char *cacert = cli_get(specs, ns, &c, "cacert");
    if (!token)
        token = getenv("USHER_TOKEN");
    if (!db || !url || !token)
        return fail("run needs --db, --coordinator and --token (or USHER_TOKEN in the "
                    "environment; see --help)");
    if (cacert && access(cacert, R_OK) != 0)
        return fail("--cacert %s: cannot read it (%s); give a PEM file of the coordinator's "
                    "certificate or its CA",
                    cacert, strerror(errno));
    if (c.nargs)
        return fail("unexpected argument '%s'", c.args[0]);
    journal_policy pol = JOURNAL_POLICY_OPTIMISTIC;
    if (policy && !strcmp(policy, "lease"))
        pol = JOURNAL_POLICY_LEASE;
    else if (policy && strcmp(policy, "optimistic") != 0)
        return fail("--offline-policy: '%s' is not a policy (optimistic or lease)", policy);
    const char *size_text = cli_get(specs, ns, &c, "lease-size");
    int64_t lease_size = pol == JOURNAL_POLICY_LEASE ? JOURNAL_LEASE_SIZE_DEFAULT : 0;
    if (size_text && pol != JOURNAL_POLICY_LEASE)
        return fail("--lease-size goes with --offline-policy lease");
    if (size_text && !text_parse_i64(size_text, 1, JOURNAL_LEASE_SIZE_MAX, &lease_size))
        return fail("--lease-size: '%s' is not a number of seats from 1 to %d", size_text,
                    JOURNAL_LEASE_SIZE_MAX);
    syncd s;
    memset(&s, 0, sizeof s);
    char why[256];
    if (!syncd_plan_coordinators(url, &s.coords, why, sizeof why))
        return fail("%s", why);
    const char *base = s.coords.url[0];
    s.token = token;
    s.cacert = cacert;
    s.policy = pol;
    s.lease_size = (int)lease_size;
    s.db = db;
    s.reserve_wanted = true;
    sdnotify_init(&s.sd);
    int rc = 0, wake_fd = -1, notify[2] = {-1, -1};
    if (make_pipe(notify) || make_pipe(signal_pipe)) {
        rc = fail("cannot make a pipe: %s", strerror(errno));
        goto out;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (open_journal(&s) || journal_get_identity(s.j, &s.id, &em)) {
        rc = stop_signal ? 0 : fail("%s", s.j ? em.text : s.err);
        goto out;
    }
    /* The reserve first, before the first round says "online": a disk that
     * fills at once can then still have its "storage full" recorded. */
    if (syncd_plan_space_reserve(syncd_space_free(s.db)))
        s.reserve_wanted = !syncd_space_reserve(s.db, SYNCD_SPACE_RESERVE_BYTES);
    journal_status jst;
    if (journal_get_status(s.j, &jst, &em) == USHER_OK && jst.clock_measured_at) {
        s.clock_offset = jst.clock_offset_ms; /* until the first answer measures it again */
        s.clock_known = true;
    }
    if (s.id.device[0] && lease_allowed(&s) != ROUND_OK) {
        rc = fail("%s", s.err);
        goto out;
    }
    /* For the kiosk: under the lease policy it offers only leased seats offline.
     * On a full disk the one written before stays (said in the log). */
    usher_err err = journal_set_policy(s.j, s.policy, s.lease_size, &em);
    if (err == USHER_FULL)
        say("cannot record the offline policy: %s", em.text);
    else if (err) {
        rc = fail("%s", em.text);
        goto out;
    }
    if (syncd_net_new(base, token, cacert, &s.net, &em)) {
        rc = fail("%s", em.text);
        goto out;
    }
    char wake_name[WAKE_NAME_SIZE];
    if (cli_get(specs, ns, &c, "wake-socket"))
        text_copy(wake_name, sizeof wake_name, cli_get(specs, ns, &c, "wake-socket"));
    else
        wake_default_name(db, wake_name);
    if ((wake_fd = wake_listen(wake_name, &em)) < 0) {
        rc = fail("%s", em.text);
        goto out;
    }
    err = journal_set_wake_socket(s.j, wake_name, &em);
    if (err == USHER_FULL)
        say("cannot record the wake socket: %s", em.text);
    else if (err) {
        rc = fail("%s", em.text);
        goto out;
    }
    srand((unsigned)timestamp_now_ms() ^ (unsigned)getpid());
    say("journal %s, coordinator %s%s, offline policy %s%s", db, base,
        s.coords.n > 1 ? " (and others of --coordinator)" : "",
        s.policy == JOURNAL_POLICY_LEASE ? "lease" : "optimistic",
        s.id.device[0] ? "" : " (not bootstrapped yet)");
    sdnotify_ready(&s.sd, s.id.device[0] ? "serving" : "serving (not bootstrapped yet)");
    rc = run_loop(&s, wake_fd, notify[0], notify[1], base, token, cacert);
out:
    if (wake_fd >= 0)
        close(wake_fd);
    for (int i = 0; i < 2; i++) {
        if (notify[i] >= 0)
            close(notify[i]);
        if (signal_pipe[i] >= 0)
            close(signal_pipe[i]);
    }
    syncd_net_free(s.net);
    layout_free(s.l);
    journal_free(s.j);
    return rc;
}

/* ---- status and dump ------------------------------------------------------ */

static int open_existing(const char *db, journal **j)
{
    usher_errmsg em = {{0}};
    if (access(db, F_OK) != 0)
        return fail("%s does not exist (usher-syncd run creates it)", db);
    if (journal_open(db, j, &em))
        return fail("%s", em.text);
    return 0;
}

static json_t *time_json(int64_t ms)
{
    char t[TIMESTAMP_TEXT_SIZE];
    if (!ms)
        return json_null();
    timestamp_format(ms, t);
    return json_string(t);
}

static int cmd_status(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}};
    if (cli_wants_help(argc, argv)) {
        fputs("usage: usher-syncd status --db FILE\nPrints one JSON object: device, online, "
              "cursor, pending, rejected, last_sync_at, last_error, clock_offset_ms,\n"
              "storage_full (true while usher-syncd waits for space on the journal's disk).\n",
              stdout);
        return 0;
    }
    cli c;
    usher_errmsg em = {{0}};
    if (cli_parse(specs, 1, argc, argv, &c, &em))
        return fail("%s", em.text);
    const char *db = cli_get(specs, 1, &c, "db");
    if (!db)
        return fail("--db FILE is required");
    journal *j = NULL;
    int rc = open_existing(db, &j);
    if (rc)
        return rc;
    journal_identity id;
    journal_status st;
    int64_t pending = 0, rejected = 0;
    if (journal_get_identity(j, &id, &em) || journal_get_status(j, &st, &em) ||
        journal_pending_count(j, &pending, &em) ||
        journal_outbox_count(j, OUTBOX_REJECTED, &rejected, &em)) {
        rc = fail("%s", em.text);
    } else {
        json_t *o = json_pack("{s:s?, s:s?, s:b, s:I, s:I, s:I, s:o, s:s?, s:o, s:b}", "device",
                              id.device[0] ? id.device : NULL, "role", role_name(id.role), "online",
                              st.online, "cursor", (json_int_t)journal_cursor(j), "pending",
                              (json_int_t)pending, "rejected", (json_int_t)rejected, "last_sync_at",
                              time_json(st.last_sync_at), "last_error",
                              st.last_error[0] ? st.last_error : NULL, "clock_offset_ms",
                              st.clock_measured_at ? json_integer(st.clock_offset_ms) : json_null(),
                              "storage_full", st.storage_full);
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (text)
            printf("%s\n", text);
        else
            rc = fail("out of memory");
        free(text);
        json_decref(o);
    }
    journal_free(j);
    return rc;
}

static void csv_cell(const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

/* Another device's lease reads as "held": this device may not use the seat. */
static const char *seat_word(seat_status st)
{
    switch (st) {
    case SEAT_HELD_BY_ME:
        return "held_by_me";
    case SEAT_HELD_OTHER:
    case SEAT_LEASED_OTHER:
        return "held";
    case SEAT_TAKEN:
        return "taken";
    case SEAT_BLOCKED:
        return "blocked";
    case SEAT_LEASED_BY_ME:
        return "leased";
    case SEAT_FREE:
        break;
    }
    return "free";
}

static void dump_seats(const state *v, const char *device, int64_t now)
{
    const layout *l = state_layout(v);
    puts("seat,label,section,class,state,ticket,name");
    for (int i = 0; i < state_seat_count(v); i++) {
        const layout_seat *ls = layout_seat_at(l, i);
        const seat_state *s = state_seat(v, i);
        int ti = state_find_ticket(v, s->ticket);
        csv_cell(ls->id), putchar(','), csv_cell(ls->label), putchar(',');
        csv_cell(layout_section_at(l, ls->section)->id), putchar(','), csv_cell(ls->klass);
        printf(",%s,", seat_word(state_seat_status(v, i, device, now)));
        csv_cell(s->ticket), putchar(','), csv_cell(ti >= 0 ? state_ticket(v, ti)->name : "");
        putchar('\n');
    }
}

static void dump_tickets(const state *v)
{
    puts("ticket_number,full_name,class,seat,checked_in_at,checkin_device,revoked,note,attention");
    for (int i = 0; i < state_ticket_count(v); i++) {
        const ticket_state *t = state_ticket(v, i);
        char at[TIMESTAMP_TEXT_SIZE] = "";
        if (t->checked_in_at)
            timestamp_format(t->checked_in_at, at);
        csv_cell(t->code), putchar(','), csv_cell(t->name), putchar(','), csv_cell(t->klass);
        putchar(','), csv_cell(t->seat);
        printf(",%s,", at);
        csv_cell(t->checkin_device);
        printf(",%d,", t->revoked ? 1 : 0);
        csv_cell(t->note);
        printf(",%d\n", t->attention ? 1 : 0);
    }
}

static int dump_outbox(journal *j)
{
    static const char *const states[] = {"pending", "accepted", "rejected"};
    usher_errmsg em = {{0}};
    puts("seq,id,kind,ticket,seat,at,state,reason,reseat,ticket_seat");
    int64_t after = 0;
    for (;;) {
        outbox_entry *es = NULL;
        size_t n = 0;
        if (journal_outbox_list(j, after, 1000, &es, &n, &em))
            return fail("%s", em.text);
        for (size_t i = 0; i < n; i++) {
            const outbox_entry *e = &es[i];
            char at[TIMESTAMP_TEXT_SIZE];
            timestamp_format(e->op.at, at);
            const char *reason = verdict_reason_name(e->v.reason);
            printf("%lld,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", (long long)e->seq, e->op.id,
                   op_kind_name(e->op.kind), e->op.ticket, e->op.seat, at, states[e->state],
                   e->state == OUTBOX_PENDING || !reason ? "" : reason, e->v.reseat,
                   e->v.ticket_seat);
            after = e->seq;
        }
        free(es);
        if (n < 1000)
            return 0;
    }
}

static int cmd_dump(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}};
    if (cli_wants_help(argc, argv)) {
        fputs("usage: usher-syncd dump --db FILE seats|tickets|outbox\n"
              "CSV of what this device believes now: the replica plus its own pending ops.\n",
              stdout);
        return 0;
    }
    cli c;
    usher_errmsg em = {{0}};
    if (cli_parse(specs, 1, argc, argv, &c, &em))
        return fail("%s", em.text);
    const char *db = cli_get(specs, 1, &c, "db");
    if (!db || c.nargs != 1 ||
        (strcmp(c.args[0], "seats") && strcmp(c.args[0], "tickets") && strcmp(c.args[0], "outbox")))
        return fail("usage: usher-syncd dump --db FILE seats|tickets|outbox");
    journal *j = NULL;
    int rc = open_existing(db, &j);
    if (rc)
        return rc;
    if (!strcmp(c.args[0], "outbox")) {
        rc = dump_outbox(j);
        journal_free(j);
        return rc;
    }
    char *text = NULL;
    layout *l = NULL;
    state *v = NULL;
    journal_identity id;
    journal_status jst;
    int64_t now = timestamp_now_ms();
    if (journal_get_status(j, &jst, NULL) == USHER_OK)
        now += jst.clock_offset_ms; /* the coordinator's time, as the kiosk shows it */
    if (journal_get_layout_json(j, &text, &em) || journal_get_identity(j, &id, &em) ||
        layout_from_json(text, strlen(text), &l, &em) || journal_load_view(j, l, now, &v, &em)) {
        rc = fail("%s (has usher-syncd run bootstrapped this journal?)", em.text);
    } else if (!strcmp(c.args[0], "seats")) {
        dump_seats(v, id.device, now);
    } else {
        dump_tickets(v);
    }
    state_free(v);
    layout_free(l);
    free(text);
    journal_free(j);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc;
    if (!strcmp(argv[1], "run"))
        rc = cmd_run(argc - 2, argv + 2);
    else if (!strcmp(argv[1], "status"))
        rc = cmd_status(argc - 2, argv + 2);
    else if (!strcmp(argv[1], "dump"))
        rc = cmd_dump(argc - 2, argv + 2);
    else
        rc = fail("unknown command '%s' (try usher-syncd --help)", argv[1]);
    curl_global_cleanup();
    return rc;
}

/* sim.c - one simulated world per seed: coordinator, devices, network, clocks,
 * crashes; then healing and the invariants (sim.h). */
#include "sim.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coorddb.h"
#include "faultvfs.h"
#include "journal.h"
#include "protocol.h"
#include "qrsig.h"
#include "state.h"
#include "syncd_plan.h"
#include "text.h"

#define T0 1795000000000LL /* the simulated clock starts here (2026-11-18) */
#define NKIOSK 3
#define NDEV (NKIOSK + 1) /* and one door */
#define NTICKETS 14
#define FAULT_STEPS 600 /* steps with faults, then healing */
#define HEAL_STEPS 6000
#define STEP_MAX_MS 200
#define POLL_MS 10000   /* syncd's poll when nothing nudges */
#define TIMEOUT_MS 3000 /* a request without an answer by then is offline */
#define BATCH 8         /* ops per request (syncd: 1000): rounds of several requests */
#define PULL_MAX 16     /* changes per answer (coordinator: 1000): `more` pulls */
#define MAX_MSGS 4096
#define MAX_SAVED 4096

static const char *layout_text =
    "{\"name\":\"Sim\",\"sections\":["
    "{\"kind\":\"table\",\"id\":\"T01\",\"x\":0,\"y\":0,\"seats\":6},"
    "{\"kind\":\"table\",\"id\":\"T02\",\"x\":300,\"y\":0,\"seats\":6}]}";

/* ---- randomness and the trace ------------------------------------------------ */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r) /* splitmix64 */
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int rng_int(rng *r, int n)
{
    return n > 0 ? (int)(rng_next(r) % (uint64_t)n) : 0;
}

static bool rng_chance(rng *r, double p)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0) < p;
}

static void rng_opid(rng *r, char out[USHER_OPID_SIZE])
{
    uint8_t b[16];
    for (int i = 0; i < 16; i += 8) {
        uint64_t v = rng_next(r);
        memcpy(b + i, &v, 8);
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    char hex[33];
    text_hex(b, sizeof b, hex);
    snprintf(out, USHER_OPID_SIZE, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
}

/* ---- the world ----------------------------------------------------------------- */

typedef struct net_msg {
    int64_t at;
    uint64_t seq;
    bool to_coord;
    int dev;
    uint64_t call;
    bool snapshot;
    long status; /* answers: 0 = the connection was refused */
    char *body;
    size_t len;
} net_msg;

typedef struct device {
    char name[USHER_DEVICE_SIZE];
    usher_role role;
    char dir[512], path[600];
    journal *j;
    layout *l;
    bool up, bootstrapped, stopped;
    bool rebuilding; /* the coordinator's log is another copy: the next call takes the snapshot */
    int64_t down_until, partitioned_until, skew;
    /* syncd */
    bool online, one_at_a_time, waiting;
    syncd_backoff backoff;
    int64_t next_try, deadline;
    uint64_t call;
    usher_op *sent;
    size_t nsent;
    char *last_body; /* the last answer, for a cache replaying it */
    size_t last_len;
    long last_status;
    /* kiosk or door */
    int64_t next_action;
    usher_op unsaved[4]; /* the journal refused them: retried in order */
    int nunsaved;
} device;

typedef struct world {
    const sim_options *o;
    sim_result *res;
    rng r;
    int64_t t;
    bool healing;
    uint64_t trace;
    char dir[512];
    /* the coordinator */
    char cdir[512], cpath[600], bpath[600];
    bool have_backup; /* bpath holds a backup of the coordinator, taken earlier */
    coorddb *db;
    layout *cl;
    state *st;
    bool cup;
    int64_t cdown_until;
    /* devices and the network */
    device d[NDEV];
    net_msg *msgs;
    size_t nmsgs;
    uint64_t msg_seq;
    /* what kiosks and doors were told was saved */
    char (*saved)[USHER_OPID_SIZE];
    int nsaved;
    bool failed;
} world;

static void fail(world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(world *w, const char *fmt, ...)
{
    if (w->failed)
        return;
    w->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->res->failure, sizeof w->res->failure, fmt, ap);
    va_end(ap);
}

static void trace(world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace(world *w, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    uint64_t h = w->trace ^ (uint64_t)w->t;
    for (const char *p = buf; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    w->trace = h;
    if (w->o->verbose)
        fprintf(stderr, "%9.3f %s\n", (double)(w->t - T0) / 1000.0, buf);
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static int64_t dev_now(const world *w, const device *d)
{
    return w->t + d->skew;
}

/* ---- the network ----------------------------------------------------------------- */

static void net_put(world *w, bool to_coord, int dev, uint64_t call, bool snapshot, long status,
                    const char *body, size_t len, int64_t delay)
{
    if (w->nmsgs == MAX_MSGS) {
        fail(w, "simulator: more than %d messages in flight", MAX_MSGS);
        return;
    }
    net_msg *m = &w->msgs[w->nmsgs++];
    memset(m, 0, sizeof *m);
    m->at = w->t + delay;
    m->seq = w->msg_seq++;
    m->to_coord = to_coord, m->dev = dev, m->call = call, m->snapshot = snapshot;
    m->status = status;
    if (body) {
        m->body = malloc(len + 1);
        if (!m->body) {
            fail(w, "simulator: out of memory");
            return;
        }
        memcpy(m->body, body, len);
        m->body[len] = '\0';
        m->len = len;
    }
}

static int64_t net_delay(world *w)
{
    if (w->healing)
        return 1 + rng_int(&w->r, 20);
    if (rng_chance(&w->r, 0.1)) { /* a slow path: answers overtake each other */
        w->res->stats.delayed++;
        return 200 + rng_int(&w->r, 4000);
    }
    return 1 + rng_int(&w->r, 60);
}

/* What something on the way answers instead of the coordinator. */
static void middlebox_answer(world *w, int dev, uint64_t call, bool snapshot, const char *real,
                             size_t real_len)
{
    static const long pages[] = {400, 401, 403, 404, 409, 502, 200};
    device *d = &w->d[dev];
    w->res->stats.middlebox++;
    int kind = rng_int(&w->r, real ? 4 : 2);
    if (kind <= 1) {
        long status = pages[rng_int(&w->r, (int)(sizeof pages / sizeof pages[0]))];
        char page[200];
        snprintf(page, sizeof page,
                 "<html><body><h1>%ld</h1>Please accept the terms of the venue Wi-Fi</body></html>",
                 status);
        trace(w, "middlebox: %s gets an HTML %ld", d->name, status);
        net_put(w, false, dev, call, snapshot, status, page, strlen(page), net_delay(w));
    } else if (kind == 2) {
        trace(w, "middlebox: %s gets a truncated answer", d->name);
        net_put(w, false, dev, call, snapshot, 200, real, real_len / 2, net_delay(w));
    } else if (d->last_body) {
        trace(w, "middlebox: %s gets a stale answer replayed", d->name);
        net_put(w, false, dev, call, snapshot, d->last_status, d->last_body, d->last_len,
                net_delay(w));
    } else {
        net_put(w, false, dev, call, snapshot, 502, "Bad Gateway", 11, net_delay(w));
    }
}

/* ---- the coordinator ---------------------------------------------------------------- */

static state_config coord_config(void)
{
    state_config cfg = {.reseat = RESEAT_NEAREST, .remember_ops = true};
    return cfg;
}

static bool coord_open(world *w)
{
    usher_errmsg em = {{0}};
    state_config cfg = coord_config();
    if (coorddb_open(w->cpath, &w->db, &em) != USHER_OK ||
        coorddb_load(w->db, &cfg, &w->cl, &w->st, &em) != USHER_OK) {
        fail(w, "the coordinator's database does not reopen: %s", em.text);
        return false;
    }
    w->cup = true;
    return true;
}

static void coord_close(world *w)
{
    coorddb_free(w->db);
    state_free(w->st);
    layout_free(w->cl);
    w->db = NULL, w->st = NULL, w->cl = NULL;
}

static void coord_crash(world *w)
{
    bool power = rng_chance(&w->r, 0.5);
    faultvfs_crash_begin();
    coord_close(w);
    faultvfs_crash_end(w->cdir, power);
    w->cup = false;
    w->cdown_until = w->t + 300 + rng_int(&w->r, 5000);
    w->res->stats.coord_crashes++;
    w->res->stats.power_losses += power;
    trace(w, "coordinator crashes%s", power ? " (power lost)" : "");
}

/* usher-coord backup while serving: SQLite's online backup into bpath. */
static void coord_backup(world *w)
{
    usher_errmsg em = {{0}};
    unlink(w->bpath);
    if (coorddb_backup(w->cpath, w->bpath, &em) != USHER_OK) {
        trace(w, "coordinator backup failed: %s", em.text);
        return;
    }
    w->have_backup = true;
    w->res->stats.backups++;
    trace(w, "coordinator backed up at cursor %lld", (long long)coorddb_last_seq(w->db));
}

/* An organiser restores that backup (usher-coord restore, serve stopped):
 * every op accepted since is gone from the coordinator until the devices,
 * seeing a log that is behind them or another copy, rebuild and send again
 * every op they hold as accepted. */
static void coord_restore(world *w)
{
    usher_errmsg em = {{0}};
    char replaced[1024];
    int64_t before = coorddb_last_seq(w->db);
    coord_close(w);
    if (coorddb_restore(w->bpath, w->cpath, replaced, sizeof replaced, &em) != USHER_OK) {
        fail(w, "usher-coord restore: %s", em.text);
        return;
    }
    faultvfs_forget(w->cdir); /* the file at cpath is another one now */
    unlink(w->bpath);
    w->have_backup = false;
    w->res->stats.restores++;
    if (coord_open(w))
        trace(w, "coordinator restored from its backup: cursor %lld -> %lld", (long long)before,
              (long long)coorddb_last_seq(w->db));
}

static bool coord_setup(world *w)
{
    usher_errmsg em = {{0}};
    layout *l = NULL;
    if (coorddb_open(w->cpath, &w->db, &em) != USHER_OK ||
        layout_from_json(layout_text, strlen(layout_text), &l, &em) != USHER_OK ||
        coorddb_init_event(w->db, "Sim", l, T0, &em) != USHER_OK) {
        layout_free(l);
        fail(w, "simulator setup: %s", em.text);
        return false;
    }
    layout_free(l);
    coord_close(w);
    if (!coord_open(w))
        return false;
    ticket_list tl = {0};
    for (int i = 0; i < NTICKETS; i++) {
        ticket_rec rec;
        memset(&rec, 0, sizeof rec);
        snprintf(rec.code, sizeof rec.code, "SIM-%04d", i + 1);
        snprintf(rec.name, sizeof rec.name, "Guest %d", i + 1);
        if (ticket_list_push(&tl, &rec) != USHER_OK) {
            ticket_list_release(&tl);
            fail(w, "simulator setup: out of memory");
            return false;
        }
    }
    size_t added = 0;
    usher_err err = coorddb_add_tickets(w->db, w->st, &tl, T0, &added, &em);
    ticket_list_release(&tl);
    if (err) {
        fail(w, "simulator setup: %s", em.text);
        return false;
    }
    return true;
}

static char *error_body(long *status, long st, const char *code, const char *msg)
{
    *status = st;
    return proto_error_body(code, msg);
}

/* GET /v1/snapshot as coord_api.c answers it. */
static char *coord_snapshot(world *w, const device *d, long *status)
{
    coord_event ev;
    usher_errmsg em = {{0}};
    char *lay_text = NULL;
    if (coorddb_get_event(w->db, &ev, &em) || coorddb_layout_json(w->db, &lay_text, &em))
        return error_body(status, 500, "internal", em.text);
    char pk[2 * QRSIG_PK_BYTES + 1];
    qrsig_pk_to_text(ev.pk, pk);
    json_t *changes = json_array();
    for (int i = 0; i < state_ticket_count(w->st); i++) {
        change c;
        memset(&c, 0, sizeof c);
        c.type = CHANGE_TICKET;
        c.ticket = *state_ticket(w->st, i);
        json_array_append_new(changes, proto_change_encode(&c));
    }
    for (int i = 0; i < state_seat_count(w->st); i++) {
        const seat_state *s = state_seat(w->st, i);
        if (!s->ticket[0] && !s->blocked && !s->hold_device[0] && !s->lease_device[0])
            continue;
        change c;
        memset(&c, 0, sizeof c);
        c.type = CHANGE_SEAT;
        text_copy(c.seat_id, sizeof c.seat_id, layout_seat_at(w->cl, i)->id);
        c.seat = *s;
        json_array_append_new(changes, proto_change_encode(&c));
    }
    json_t *o =
        json_pack("{s:{s:s, s:s, s:I, s:s, s:s}, s:{s:s, s:s}, s:o, s:I, s:s, s:o}", "event", "id",
                  ev.event_id, "name", ev.name, "hold_ttl_ms", (json_int_t)ev.hold_ttl_ms, "pubkey",
                  pk, "reseat", "nearest", "device", "id", d->name, "role", role_name(d->role),
                  "layout", json_loads(lay_text, 0, NULL), "cursor",
                  (json_int_t)coorddb_last_seq(w->db), "log", ev.log_id, "changes", changes);
    free(lay_text);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    *status = 200;
    return text;
}

/* Applies and commits as the engine's committer does (coord_engine.c
 * run_group): in memory first, then one transaction; a failed commit reloads
 * the state from the database and answers 503. */
static bool coord_commit(world *w, usher_op *ops, size_t n, apply_result *res)
{
    for (size_t i = 0; i < n; i++)
        state_apply(w->st, &ops[i], w->t, &res[i]);
    int64_t last = 0;
    usher_errmsg em = {{0}};
    if (!w->healing && rng_chance(&w->r, 0.04))
        faultvfs_fail_at(1 + (uint64_t)rng_int(&w->r, 30), false);
    usher_err err = n ? coorddb_commit(w->db, ops, res, n, w->t, &last, &em) : USHER_OK;
    bool fired = faultvfs_fired();
    faultvfs_fail_at(0, false);
    w->res->stats.io_failures += fired;
    if (!err)
        return true;
    trace(w, "coordinator: commit failed (%s)%s", em.text,
          w->o->bug == SIM_BUG_NO_RELOAD ? "; planted bug: no reload" : "");
    if (w->o->bug == SIM_BUG_NO_RELOAD)
        return false;
    coord_close(w);
    coord_open(w);
    return false;
}

/* POST /v1/sync as coord_api.c answers it. */
static char *coord_sync(world *w, const device *d, const char *body, size_t len, long *status)
{
    sync_request sr;
    usher_errmsg em = {{0}};
    usher_err err = proto_sync_request_decode(body, len, &sr, &em);
    if (err)
        return error_body(status, err == USHER_TOOBIG ? 413 : 400,
                          err == USHER_TOOBIG  ? "too_large"
                          : err == USHER_PARSE ? "bad_json"
                                               : "invalid",
                          em.text);
    char *out = NULL;
    apply_result *res = NULL;
    change *cs = NULL;
    if (sr.device[0] && strcmp(sr.device, d->name) != 0) {
        out = error_body(status, 403, "forbidden", "this token belongs to another device");
        goto done;
    }
    for (size_t i = 0; i < sr.nops; i++) {
        if (!op_allowed(d->role, sr.ops[i].kind)) {
            out = error_body(status, 403, "forbidden", "this role may not");
            goto done;
        }
        text_copy(sr.ops[i].device, sizeof sr.ops[i].device, d->name);
    }
    if (sr.cursor > coorddb_last_seq(w->db)) {
        out = error_body(status, 409, "cursor_ahead", "cursor ahead of this coordinator");
        goto done;
    }
    res = calloc(sr.nops ? sr.nops : 1, sizeof *res);
    if (!res || !coord_commit(w, sr.ops, sr.nops, res)) {
        out = error_body(status, 503, "unavailable", "the coordinator could not save; retry");
        goto done;
    }
    verdict *vs = calloc(sr.nops ? sr.nops : 1, sizeof *vs);
    size_t nc = 0;
    bool more = false;
    if (!vs || coorddb_changes_since(w->db, sr.cursor, PULL_MAX, &cs, &nc, &more, &em)) {
        free(vs);
        out = error_body(status, 503, "unavailable", "could not read the change log");
        goto done;
    }
    for (size_t i = 0; i < sr.nops; i++) {
        vs[i] = res[i].v;
        w->res->stats.ops_accepted += vs[i].status == VERDICT_ACCEPTED;
    }
    sync_response r;
    memset(&r, 0, sizeof r);
    r.verdicts = vs, r.nverdicts = sr.nops, r.changes = cs, r.nchanges = nc;
    r.cursor = nc ? cs[nc - 1].seq : sr.cursor;
    r.more = more;
    coord_event ev;
    if (coorddb_get_event(w->db, &ev, &em) == USHER_OK) /* as the engine's copy of it */
        text_copy(r.log, sizeof r.log, ev.log_id);
    out = proto_sync_response_encode(&r);
    free(vs);
    *status = 200;
    if (sr.nops) /* the event stream nudges every other device */
        for (int k = 0; k < NDEV; k++)
            if (&w->d[k] != d && w->d[k].online && w->d[k].next_try > w->t + 300)
                w->d[k].next_try = w->t + 50 + rng_int(&w->r, 250);
done:
    free(cs);
    free(res);
    proto_sync_request_release(&sr);
    return out;
}

static void coord_receive(world *w, const net_msg *m)
{
    device *d = &w->d[m->dev];
    if (!w->cup) {
        net_put(w, false, m->dev, m->call, m->snapshot, 0, NULL, 0, 1); /* refused */
        return;
    }
    long status = 0;
    char *body =
        m->snapshot ? coord_snapshot(w, d, &status) : coord_sync(w, d, m->body, m->len, &status);
    if (!body) {
        fail(w, "simulator: out of memory answering %s", d->name);
        return;
    }
    trace(w, "coordinator answers %s: %ld %016llx", d->name, status,
          m->snapshot ? 0ull : (unsigned long long)hash_bytes(body, strlen(body)));
    bool cut = !w->healing && d->partitioned_until > w->t;
    if (cut || (!w->healing && rng_chance(&w->r, 0.03))) {
        w->res->stats.dropped++;
        trace(w, "network: the answer to %s is lost", d->name);
    } else if (!w->healing && rng_chance(&w->r, 0.04)) {
        middlebox_answer(w, m->dev, m->call, m->snapshot, body, strlen(body));
    } else {
        net_put(w, false, m->dev, m->call, m->snapshot, status, body, strlen(body), net_delay(w));
    }
    free(body);
}

/* ---- devices ----------------------------------------------------------------------- */

static bool dev_open(world *w, device *d)
{
    usher_errmsg em = {{0}};
    journal_identity id;
    if (journal_open(d->path, &d->j, &em) != USHER_OK ||
        journal_get_identity(d->j, &id, &em) != USHER_OK) {
        fail(w, "%s: the journal does not reopen: %s", d->name, em.text);
        return false;
    }
    d->bootstrapped = id.device[0] != '\0';
    if (d->bootstrapped) {
        char *text = NULL;
        if (journal_get_layout_json(d->j, &text, &em) != USHER_OK ||
            layout_from_json(text, strlen(text), &d->l, &em) != USHER_OK) {
            free(text);
            fail(w, "%s: bootstrapped journal without its layout: %s", d->name, em.text);
            return false;
        }
        free(text);
    }
    d->up = true;
    d->online = d->waiting = d->one_at_a_time = false;
    d->backoff.ms = 0;
    d->next_try = w->t;
    return true;
}

static void dev_crash(world *w, device *d, bool power, const char *why)
{
    faultvfs_crash_begin();
    journal_free(d->j);
    faultvfs_crash_end(d->dir, power);
    d->j = NULL;
    layout_free(d->l);
    d->l = NULL;
    free(d->sent);
    d->sent = NULL, d->nsent = 0;
    d->up = d->waiting = d->online = false;
    d->nunsaved = 0; /* the kiosk's memory is gone; the guest was told "not saved" */
    d->down_until = w->t + 200 + rng_int(&w->r, 3000);
    w->res->stats.device_crashes++;
    w->res->stats.power_losses += power;
    trace(w, "%s crashes (%s)%s", d->name, why, power ? ", power lost" : "");
}

/* The armed failure of a journal call on a device, now and then. */
/* A device's journal call may fail: an I/O error, or (a third of them) the
 * disk full from some write on. */
static void maybe_arm(world *w)
{
    if (w->healing || !rng_chance(&w->r, 0.03))
        return;
    if (rng_chance(&w->r, 0.3))
        faultvfs_full_at(1 + (uint64_t)rng_int(&w->r, 20));
    else
        faultvfs_fail_at(1 + (uint64_t)rng_int(&w->r, 20), false);
}

static bool disarm(world *w)
{
    bool fired = faultvfs_fired(), full = faultvfs_full_fired();
    faultvfs_fail_at(0, false);
    w->res->stats.io_failures += fired;
    w->res->stats.disk_full += full;
    return fired || full;
}

static void dev_send(world *w, device *d, int k)
{
    usher_errmsg em = {{0}};
    char *body = NULL;
    bool snapshot = !d->bootstrapped || d->rebuilding;
    if (!snapshot) {
        free(d->sent);
        d->sent = NULL;
        if (journal_pending(d->j, d->one_at_a_time ? 1 : BATCH, &d->sent, &d->nsent, &em)) {
            fail(w, "%s: journal_pending: %s", d->name, em.text);
            return;
        }
        sync_request req = {.cursor = journal_cursor(d->j), .ops = d->sent, .nops = d->nsent};
        text_copy(req.device, sizeof req.device, d->name);
        body = proto_sync_request_encode(&req);
        if (!body) {
            fail(w, "simulator: out of memory");
            return;
        }
    }
    d->call++;
    d->waiting = true;
    d->deadline = w->t + TIMEOUT_MS;
    w->res->stats.rounds++;
    size_t len = body ? strlen(body) : 0;
    trace(w, "%s sends %s (%zu ops, cursor %lld)", d->name, snapshot ? "snapshot" : "sync",
          d->nsent, snapshot ? 0ll : (long long)journal_cursor(d->j));
    if (!w->healing && (d->partitioned_until > w->t || rng_chance(&w->r, 0.03))) {
        w->res->stats.dropped++;
        trace(w, "network: %s's request is lost", d->name);
    } else if (!w->healing && rng_chance(&w->r, 0.03)) {
        middlebox_answer(w, k, d->call, snapshot, NULL, 0); /* a portal answers at once */
    } else {
        net_put(w, true, k, d->call, snapshot, 0, body, len, net_delay(w));
        if (!w->healing && rng_chance(&w->r, 0.03)) { /* the request arrives twice */
            w->res->stats.duplicated++;
            net_put(w, true, k, d->call, snapshot, 0, body, len, net_delay(w) + 100);
        }
    }
    free(body);
}

static void dev_offline(world *w, device *d, bool refused, const char *why)
{
    d->online = false;
    d->next_try = w->t + syncd_backoff_next(&d->backoff, refused, (uint32_t)rng_next(&w->r));
    trace(w, "%s offline: %s", d->name, why);
}

static void dev_round_done(world *w, device *d, bool again)
{
    d->online = true;
    d->backoff.ms = 0;
    d->next_try = again ? w->t : w->t + POLL_MS;
}

/* What syncd_main.c does when a round's journal call failed with err
 * (syncd_plan_journal_failure): a full disk never stops it, it waits for
 * space (here the disk has room again at its next look); busy is offline;
 * anything else stops syncd, and systemd starts it again. */
static void dev_journal_failed(world *w, device *d, usher_err err, const char *what)
{
    switch (syncd_plan_journal_failure(err)) {
    case SYNCD_LOCAL_WAIT_SPACE:
        d->online = false;
        d->next_try = w->t + SYNCD_SPACE_CHECK_MS;
        trace(w, "%s: storage full (%s): no pulling until there is space", d->name, what);
        break;
    case SYNCD_LOCAL_RETRY:
        dev_offline(w, d, false, what);
        break;
    case SYNCD_LOCAL_STOP:
        dev_crash(w, d, false, what);
        break;
    }
}

static void dev_snapshot_answer(world *w, device *d, long status, const char *body, size_t len)
{
    syncd_snapshot snap;
    memset(&snap, 0, sizeof snap);
    char why[512] = "";
    syncd_act act = syncd_plan_snapshot_answer(status, body, len, &snap, why, sizeof why);
    if (act == SYNCD_ACT_RETRY) {
        dev_offline(w, d, false, why);
        return;
    }
    if (act != SYNCD_ACT_APPLY) {
        d->stopped = true;
        fail(w, "%s stopped on a snapshot answer (%s): %s", d->name, syncd_act_name(act), why);
        return;
    }
    usher_errmsg em = {{0}};
    if (d->bootstrapped && d->rebuilding) {
        /* As syncd_main.c's rebuild: the snapshot replaces the replica and
         * every accepted op goes back to be sent again, in one transaction. */
        int64_t requeued = 0;
        maybe_arm(w);
        usher_err err = journal_rebuild(d->j, snap.changes, snap.nchanges, snap.cursor, snap.log_id,
                                        &requeued, &em);
        bool fired = disarm(w);
        if (err && !fired)
            fail(w, "%s: journal_rebuild: %s", d->name, em.text);
        else if (err)
            dev_crash(w, d, false, "syncd stops: cannot rebuild");
        else {
            d->rebuilding = false;
            w->res->stats.rebuilds++;
            trace(w, "%s rebuilt from the snapshot at cursor %lld: %lld ops sent again", d->name,
                  (long long)snap.cursor, (long long)requeued);
            dev_round_done(w, d, true);
        }
        syncd_snapshot_release(&snap);
        return;
    }
    maybe_arm(w);
    usher_err err = journal_apply_round(d->j, NULL, 0, snap.changes, snap.nchanges, snap.cursor,
                                        dev_now(w, d), &em);
    if (!err)
        err = journal_set_log_id(d->j, snap.log_id, &em);
    if (!err)
        err = journal_set_layout_json(d->j, snap.layout_json, &em);
    if (!err)
        err = journal_set_identity(d->j, &snap.id, &em);
    bool fired = disarm(w);
    if (err) {
        if (!fired)
            fail(w, "%s: cannot store the snapshot: %s", d->name, em.text);
        else
            dev_journal_failed(w, d, err, "cannot store the snapshot");
        syncd_snapshot_release(&snap);
        return;
    }
    d->l = snap.l;
    snap.l = NULL;
    d->bootstrapped = true;
    trace(w, "%s bootstrapped at cursor %lld", d->name, (long long)snap.cursor);
    syncd_snapshot_release(&snap);
    dev_round_done(w, d, true);
}

/* What syncd_main.c's exchange does with an answer. */
static void dev_sync_answer(world *w, device *d, long status, const char *body, size_t len)
{
    sync_response sr;
    char why[512] = "";
    syncd_act act =
        syncd_plan_sync_answer(status, body, len, d->sent, d->nsent, &sr, why, sizeof why);
    if (w->o->bug == SIM_BUG_MIDDLEBOX_REJECTS && act == SYNCD_ACT_RETRY && status == 400 &&
        d->nsent == 1)
        act = SYNCD_ACT_REJECT_OP; /* planted: any 400 counts, as the old syncd had it */
    usher_errmsg em = {{0}};
    usher_err err = USHER_OK;
    switch (act) {
    case SYNCD_ACT_APPLY: {
        char mine[PROTO_LOG_ID_SIZE] = "";
        err = journal_get_log_id(d->j, mine, sizeof mine, &em);
        if (!err && syncd_plan_log_check(mine, sr.log, why, sizeof why) == SYNCD_ACT_REBUILD) {
            trace(w, "%s: %s", d->name, why);
            d->rebuilding = true;
            dev_round_done(w, d, true);
            proto_sync_response_release(&sr);
            act = SYNCD_ACT_REBUILD; /* nothing recorded from this answer */
            break;
        }
        maybe_arm(w);
        if (!err && !mine[0] && sr.log[0])
            err = journal_set_log_id(d->j, sr.log, &em);
        if (!err)
            err = journal_apply_round(d->j, sr.verdicts, sr.nverdicts, sr.changes, sr.nchanges,
                                      sr.cursor, dev_now(w, d), &em);
        if (!err) {
            d->one_at_a_time = false;
            trace(w, "%s applies %zu verdicts, %zu changes, cursor %lld", d->name, sr.nverdicts,
                  sr.nchanges, (long long)sr.cursor);
            dev_round_done(w, d, sr.more || d->nsent == BATCH);
        }
        proto_sync_response_release(&sr);
        break;
    }
    case SYNCD_ACT_REJECT_OP: {
        verdict v;
        memset(&v, 0, sizeof v);
        text_copy(v.op_id, sizeof v.op_id, d->sent[0].id);
        v.status = VERDICT_REJECTED;
        v.reason = REASON_INVALID;
        maybe_arm(w);
        err = journal_apply_round(d->j, &v, 1, NULL, 0, journal_cursor(d->j), dev_now(w, d), &em);
        trace(w, "%s records op %s as refused: %s", d->name, v.op_id, why);
        d->one_at_a_time = false;
        if (!err)
            dev_round_done(w, d, true);
        break;
    }
    case SYNCD_ACT_SPLIT:
        d->one_at_a_time = true;
        dev_round_done(w, d, true);
        break;
    case SYNCD_ACT_RETRY:
        dev_offline(w, d, false, why);
        break;
    case SYNCD_ACT_REBUILD:
        /* The coordinator's log is behind this device's cursor (a restore):
         * the next call takes the snapshot (dev_snapshot_answer rebuilds). */
        trace(w, "%s: %s", d->name, why);
        d->rebuilding = true;
        dev_round_done(w, d, true);
        break;
    case SYNCD_ACT_STOP_AUTH:
        d->stopped = true;
        fail(w, "%s stopped (%s): %s", d->name, syncd_act_name(act), why);
        break;
    }
    if (act == SYNCD_ACT_APPLY || act == SYNCD_ACT_REJECT_OP) {
        bool fired = disarm(w);
        if (err && !fired)
            fail(w, "%s: journal_apply_round: %s", d->name, em.text);
        else if (err)
            dev_journal_failed(w, d, err, "cannot record the round");
    }
}

static void dev_receive(world *w, const net_msg *m)
{
    device *d = &w->d[m->dev];
    if (!d->up || !d->waiting || m->call != d->call) {
        trace(w, "%s: a late answer is dropped", d->name);
        return;
    }
    if (!w->healing && d->partitioned_until > w->t) {
        w->res->stats.dropped++;
        return; /* it times out */
    }
    d->waiting = false;
    if (m->status == 0) {
        dev_offline(w, d, true, "connection refused");
        return;
    }
    if (!m->snapshot && m->status == 200) {
        free(d->last_body);
        d->last_body = malloc(m->len + 1);
        if (d->last_body) {
            memcpy(d->last_body, m->body, m->len + 1);
            d->last_len = m->len;
            d->last_status = m->status;
        }
    }
    if (m->snapshot)
        dev_snapshot_answer(w, d, m->status, m->body, m->len);
    else
        dev_sync_answer(w, d, m->status, m->body, m->len);
}

/* ---- the kiosk and the door ------------------------------------------------------------ */

static void remember_saved(world *w, const usher_op *op)
{
    if (w->nsaved < MAX_SAVED)
        text_copy(w->saved[w->nsaved++], USHER_OPID_SIZE, op->id);
    w->res->stats.ops_saved++;
}

/* Appends as the kiosk does: durably, or kept in memory and retried. */
static void dev_append(world *w, device *d, usher_op *op)
{
    usher_errmsg em = {{0}};
    maybe_arm(w);
    usher_err err = journal_append(d->j, op, &em);
    bool fired = disarm(w);
    if (err == USHER_OK || err == USHER_EXISTS) {
        remember_saved(w, op);
        trace(w, "%s saves %s %s %s %s", d->name, op_kind_name(op->kind), op->id, op->ticket,
              op->seat);
        if (d->online && !d->waiting)
            d->next_try = w->t; /* the kiosk wakes syncd */
    } else if (!fired) {
        fail(w, "%s: journal_append: %s", d->name, em.text);
    } else if (d->nunsaved < 4) {
        d->unsaved[d->nunsaved++] = *op;
        trace(w, "%s could not save %s (kept, retried)", d->name, op->id);
    }
}

static void retry_unsaved(world *w, device *d)
{
    int n = d->nunsaved;
    usher_op ops[4];
    memcpy(ops, d->unsaved, sizeof ops);
    d->nunsaved = 0;
    for (int i = 0; i < n; i++)
        dev_append(w, d, &ops[i]);
}

static void new_op(world *w, device *d, usher_op *op, op_kind kind, const char *ticket,
                   const char *seat)
{
    op_init(op, kind, d->name, dev_now(w, d));
    rng_opid(&w->r, op->id);
    text_copy(op->ticket, sizeof op->ticket, ticket ? ticket : "");
    text_copy(op->seat, sizeof op->seat, seat ? seat : "");
}

/* A guest at a kiosk: a ticket, a seat the kiosk shows free, hold, assign;
 * or a guest changing their mind. */
static void kiosk_act(world *w, device *d, const state *v)
{
    int64_t now = dev_now(w, d);
    const ticket_state *t = state_ticket(v, rng_int(&w->r, state_ticket_count(v)));
    usher_op op;
    if (t->seat[0] && rng_chance(&w->r, 0.3)) {
        new_op(w, d, &op, OP_UNASSIGN, t->code, NULL);
        dev_append(w, d, &op);
        return;
    }
    int n = state_seat_count(v), start = rng_int(&w->r, n);
    for (int k = 0; k < n; k++) {
        int si = (start + k) % n;
        if (state_seat_status(v, si, d->name, now) != SEAT_FREE)
            continue;
        const char *seat = layout_seat_at(d->l, si)->id;
        new_op(w, d, &op, OP_HOLD, NULL, seat);
        op.ttl_ms = USHER_DEFAULT_HOLD_TTL_MS;
        dev_append(w, d, &op);
        if (rng_chance(&w->r, 0.15)) { /* walked away: the hold is let go */
            new_op(w, d, &op, OP_RELEASE, NULL, seat);
            dev_append(w, d, &op);
            return;
        }
        new_op(w, d, &op, OP_ASSIGN, t->code, seat);
        text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat, t->seat);
        dev_append(w, d, &op);
        return;
    }
}

static void door_act(world *w, device *d, const state *v)
{
    const ticket_state *t = state_ticket(v, rng_int(&w->r, state_ticket_count(v)));
    usher_op op;
    new_op(w, d, &op, OP_CHECKIN, t->code, NULL);
    dev_append(w, d, &op);
}

static void dev_act(world *w, device *d)
{
    d->next_action = w->t + 500 + rng_int(&w->r, 3000);
    retry_unsaved(w, d);
    if (w->healing || !d->bootstrapped || !d->up)
        return;
    state *v = NULL;
    usher_errmsg em = {{0}};
    if (journal_load_view(d->j, d->l, dev_now(w, d), &v, &em) != USHER_OK) {
        fail(w, "%s: journal_load_view: %s", d->name, em.text);
        return;
    }
    if (!state_check(v, &em))
        fail(w, "%s: its view breaks the seat invariant: %s", d->name, em.text);
    else if (d->role == ROLE_DOOR)
        door_act(w, d, v);
    else
        kiosk_act(w, d, v);
    state_free(v);
}

/* ---- faults ---------------------------------------------------------------------------------- */

static void inject_faults(world *w)
{
    rng *r = &w->r;
    if (w->cup && rng_chance(r, 0.006))
        coord_crash(w);
    if (w->cup && !w->have_backup && rng_chance(r, 0.003))
        coord_backup(w);
    else if (w->cup && w->have_backup && rng_chance(r, 0.002))
        coord_restore(w);
    if (rng_chance(r, 0.02)) {
        device *d = &w->d[rng_int(r, NDEV)];
        if (d->up)
            dev_crash(w, d, rng_chance(r, 0.5), "killed");
    }
    if (rng_chance(r, 0.01)) {
        device *d = &w->d[rng_int(r, NDEV)];
        d->partitioned_until = w->t + 1000 + rng_int(r, 20000);
        w->res->stats.partitions++;
        trace(w, "network: %s cut off", d->name);
    }
    if (rng_chance(r, 0.005)) {
        static const int64_t jumps[] = {-7200000, -600000, -5000, 0, 5000, 600000, 7200000};
        device *d = &w->d[rng_int(r, NDEV)];
        if (rng_chance(r, 0.2))
            d->skew = -(w->t - 2 * 86400000LL); /* no real-time clock: 1970 */
        else
            d->skew = jumps[rng_int(r, (int)(sizeof jumps / sizeof jumps[0]))];
        w->res->stats.clock_jumps++;
        trace(w, "%s's clock jumps to %+lld ms", d->name, (long long)d->skew);
    }
}

/* ---- one step -------------------------------------------------------------------------------- */

static void deliver_due(world *w)
{
    for (;;) {
        size_t best = w->nmsgs;
        for (size_t i = 0; i < w->nmsgs; i++)
            if (w->msgs[i].at <= w->t &&
                (best == w->nmsgs || w->msgs[i].at < w->msgs[best].at ||
                 (w->msgs[i].at == w->msgs[best].at && w->msgs[i].seq < w->msgs[best].seq)))
                best = i;
        if (best == w->nmsgs || w->failed)
            return;
        net_msg m = w->msgs[best];
        w->msgs[best] = w->msgs[--w->nmsgs];
        if (m.to_coord)
            coord_receive(w, &m);
        else
            dev_receive(w, &m);
        free(m.body);
    }
}

static void step(world *w)
{
    w->t += 1 + rng_int(&w->r, w->healing ? 100 : STEP_MAX_MS);
    w->res->stats.steps++;
    if (!w->healing)
        inject_faults(w);
    if (!w->cup && (w->healing || w->t >= w->cdown_until)) {
        if (coord_open(w))
            trace(w, "coordinator restarts at cursor %lld", (long long)coorddb_last_seq(w->db));
    }
    deliver_due(w);
    for (int k = 0; k < NDEV && !w->failed; k++) {
        device *d = &w->d[k];
        if (!d->up) {
            if ((w->healing || w->t >= d->down_until) && dev_open(w, d))
                trace(w, "%s restarts", d->name);
            continue;
        }
        if (d->waiting && w->t >= d->deadline) {
            d->waiting = false;
            dev_offline(w, d, false, "timed out");
        }
        if (!d->waiting && w->t >= d->next_try)
            dev_send(w, d, k);
        if (w->t >= d->next_action)
            dev_act(w, d);
    }
    if (w->st && w->res->stats.steps % 50 == 0) {
        usher_errmsg em = {{0}};
        if (!state_check(w->st, &em))
            fail(w, "the coordinator's state breaks the seat invariant: %s", em.text);
    }
}

/* ---- the invariants ----------------------------------------------------------------------------
 */

static bool converged(world *w)
{
    if (!w->cup)
        return false;
    int64_t last = coorddb_last_seq(w->db);
    for (int k = 0; k < NDEV; k++) {
        device *d = &w->d[k];
        int64_t pending = 0;
        if (!d->up || d->waiting || d->nunsaved || !d->bootstrapped ||
            journal_pending_count(d->j, &pending, NULL) || pending || journal_cursor(d->j) != last)
            return false;
    }
    return true;
}

static bool seat_same(const seat_state *a, const seat_state *b)
{
    return !strcmp(a->ticket, b->ticket) && a->blocked == b->blocked &&
           !strcmp(a->hold_device, b->hold_device) && a->hold_until == b->hold_until &&
           !strcmp(a->lease_device, b->lease_device) && a->lease_until == b->lease_until;
}

static bool ticket_same(const ticket_state *a, const ticket_state *b)
{
    return !strcmp(a->code, b->code) && !strcmp(a->seat, b->seat) &&
           a->checked_in_at == b->checked_in_at && !strcmp(a->checkin_device, b->checkin_device) &&
           a->revoked == b->revoked && !strcmp(a->party, b->party);
}

/* Two states hold the same seats and tickets; what differs goes into why. */
static bool same_state(const state *a, const state *b, char *why, size_t size)
{
    if (state_seat_count(a) != state_seat_count(b) ||
        state_ticket_count(a) != state_ticket_count(b)) {
        snprintf(why, size, "different sizes");
        return false;
    }
    for (int i = 0; i < state_seat_count(a); i++) {
        if (!seat_same(state_seat(a, i), state_seat(b, i))) {
            snprintf(why, size, "seat %s: ticket '%s' vs '%s'",
                     layout_seat_at(state_layout(a), i)->id, state_seat(a, i)->ticket,
                     state_seat(b, i)->ticket);
            return false;
        }
    }
    for (int i = 0; i < state_ticket_count(a); i++) {
        const ticket_state *ta = state_ticket(a, i);
        int j = state_find_ticket(b, ta->code);
        if (j < 0 || !ticket_same(ta, state_ticket(b, j))) {
            snprintf(why, size, "ticket %s: seat '%s' vs '%s'", ta->code, ta->seat,
                     j < 0 ? "(missing)" : state_ticket(b, j)->seat);
            return false;
        }
    }
    return true;
}

static bool refused_on_a_device(world *w, const char *op_id)
{
    for (int k = 0; k < NDEV; k++) {
        outbox_entry e;
        if (journal_outbox_get(w->d[k].j, op_id, &e, NULL) == USHER_OK)
            return e.state == OUTBOX_REJECTED;
    }
    return false;
}

static void check_devices(world *w)
{
    usher_errmsg em = {{0}};
    char why[256];
    for (int k = 0; k < NDEV && !w->failed; k++) {
        device *d = &w->d[k];
        state *v = NULL;
        if (journal_load_view(d->j, d->l, w->t, &v, &em) != USHER_OK) {
            fail(w, "%s: journal_load_view: %s", d->name, em.text);
            return;
        }
        if (!state_check(v, &em))
            fail(w, "%s: its replica breaks the seat invariant: %s", d->name, em.text);
        else if (!same_state(w->st, v, why, sizeof why))
            fail(w, "%s did not converge: %s", d->name, why);
        state_free(v);
        /* Every op it holds as decided has the coordinator's verdict. */
        int64_t after = 0;
        for (;;) {
            outbox_entry *es = NULL;
            size_t n = 0;
            if (journal_outbox_list(d->j, after, 500, &es, &n, &em) != USHER_OK) {
                fail(w, "%s: journal_outbox_list: %s", d->name, em.text);
                return;
            }
            for (size_t i = 0; i < n && !w->failed; i++) {
                const verdict *cv = state_recall(w->st, es[i].op.id);
                verdict_status mine = verdict_effective(&es[i].v);
                if (!cv && es[i].state == OUTBOX_REJECTED && w->res->stats.restores)
                    ; /* refused before a restore that forgot it: a refusal stays one (a
                       * guest told no is never told yes later), and is not sent again */
                else if (!cv)
                    fail(w, "%s holds op %s as %s; the coordinator has no record of it", d->name,
                         es[i].op.id, es[i].state == OUTBOX_ACCEPTED ? "accepted" : "rejected");
                else if (mine != verdict_effective(cv))
                    fail(w, "%s holds op %s as %s; the coordinator's verdict is %s", d->name,
                         es[i].op.id, verdict_status_name(mine),
                         verdict_status_name(verdict_effective(cv)));
                after = es[i].seq;
            }
            free(es);
            if (n < 500)
                break;
        }
    }
    /* Every op a kiosk or door said was saved reached the coordinator (a
     * restore may forget a refusal: the device still holds it refused). */
    for (int i = 0; i < w->nsaved && !w->failed; i++)
        if (!state_recall(w->st, w->saved[i]) &&
            !(w->res->stats.restores && refused_on_a_device(w, w->saved[i])))
            fail(w, "op %s was saved on its device, then lost (the coordinator never got it)",
                 w->saved[i]);
}

/* The op log replayed from empty through state_apply gives the state. */
static void check_replay(world *w)
{
    state_config cfg = coord_config();
    state *r = state_new(w->cl, &cfg);
    sqlite3_stmt *st = NULL;
    usher_errmsg em = {{0}};
    if (!r) {
        fail(w, "simulator: out of memory");
        return;
    }
    for (int i = 0; i < NTICKETS; i++) {
        char code[USHER_CODE_SIZE], name[USHER_NAME_SIZE];
        snprintf(code, sizeof code, "SIM-%04d", i + 1);
        snprintf(name, sizeof name, "Guest %d", i + 1);
        if (state_add_ticket(r, code, name, "", NULL, &em) != USHER_OK)
            fail(w, "replay: %s", em.text);
    }
    sqlite3 *db = coorddb_sqlite(w->db);
    if (sqlite3_prepare_v2(db,
                           "SELECT id, device, kind, ticket, seat, at, expect_ticket_seat, "
                           "expect_seat_free, party, ttl_ms, received_at FROM ops ORDER BY seq",
                           -1, &st, NULL) != SQLITE_OK) {
        fail(w, "replay: %s", sqlite3_errmsg(db));
        state_free(r);
        return;
    }
    int64_t nops = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        usher_op op;
        memset(&op, 0, sizeof op);
        text_copy(op.id, sizeof op.id, (const char *)sqlite3_column_text(st, 0));
        text_copy(op.device, sizeof op.device, (const char *)sqlite3_column_text(st, 1));
        op.kind = op_kind_parse((const char *)sqlite3_column_text(st, 2));
        text_copy(op.ticket, sizeof op.ticket, (const char *)sqlite3_column_text(st, 3));
        text_copy(op.seat, sizeof op.seat, (const char *)sqlite3_column_text(st, 4));
        op.at = sqlite3_column_int64(st, 5);
        text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat,
                  (const char *)sqlite3_column_text(st, 6));
        op.expect_seat_free = sqlite3_column_int(st, 7) != 0;
        text_copy(op.party, sizeof op.party, (const char *)sqlite3_column_text(st, 8));
        op.ttl_ms = sqlite3_column_int64(st, 9);
        apply_result res;
        state_apply(r, &op, sqlite3_column_int64(st, 10), &res);
        nops++;
    }
    sqlite3_finalize(st);
    char why[256];
    if (!w->failed && !same_state(w->st, r, why, sizeof why))
        fail(w,
             "the op log (%lld ops) replayed from empty differs from the coordinator's state: %s",
             (long long)nops, why);
    state_free(r);
}

/* ---- a run --------------------------------------------------------------------------------------
 */

bool sim_bug_parse(const char *name, sim_bug *out)
{
    static const struct {
        const char *name;
        sim_bug bug;
    } bugs[] = {{"none", SIM_BUG_NONE},
                {"middlebox-rejects", SIM_BUG_MIDDLEBOX_REJECTS},
                {"no-reload", SIM_BUG_NO_RELOAD},
                {"forget-sync", SIM_BUG_FORGET_SYNC}};
    for (size_t i = 0; name && i < sizeof bugs / sizeof bugs[0]; i++) {
        if (!strcmp(name, bugs[i].name)) {
            *out = bugs[i].bug;
            return true;
        }
    }
    *out = SIM_BUG_NONE;
    return false;
}

static bool world_setup(world *w)
{
    snprintf(w->cdir, sizeof w->cdir, "%s/coord", w->dir);
    snprintf(w->cpath, sizeof w->cpath, "%s/coord.db", w->cdir);
    snprintf(w->bpath, sizeof w->bpath, "%s/coord-backup.db", w->dir);
    if (mkdir(w->cdir, 0700) != 0) {
        fail(w, "simulator: mkdir %s: %s", w->cdir, strerror(errno));
        return false;
    }
    if (!coord_setup(w))
        return false;
    for (int k = 0; k < NDEV; k++) {
        device *d = &w->d[k];
        d->role = k < NKIOSK ? ROLE_KIOSK : ROLE_DOOR;
        snprintf(d->name, sizeof d->name, k < NKIOSK ? "kiosk-%d" : "door-%d",
                 k < NKIOSK ? k + 1 : k - NKIOSK + 1);
        char dir[sizeof d->dir], path[sizeof d->path]; /* locals: no -Wrestrict doubt */
        snprintf(dir, sizeof dir, "%s/%s", w->dir, d->name);
        snprintf(path, sizeof path, "%s/journal.db", dir);
        memcpy(d->dir, dir, sizeof dir);
        memcpy(d->path, path, sizeof path);
        if (mkdir(d->dir, 0700) != 0) {
            fail(w, "simulator: mkdir %s: %s", d->dir, strerror(errno));
            return false;
        }
        d->skew = rng_chance(&w->r, 0.3) ? (int64_t)rng_int(&w->r, 1200001) - 600000
                                         : (int64_t)rng_int(&w->r, 4001) - 2000;
        d->next_action = T0 + rng_int(&w->r, 2000);
        if (!dev_open(w, d))
            return false;
    }
    if (w->o->bug == SIM_BUG_FORGET_SYNC)
        faultvfs_lie_about_sync("/kiosk-");
    return true;
}

static void world_free(world *w)
{
    for (int k = 0; k < NDEV; k++) {
        journal_free(w->d[k].j);
        layout_free(w->d[k].l);
        free(w->d[k].sent);
        free(w->d[k].last_body);
    }
    coord_close(w);
    for (size_t i = 0; i < w->nmsgs; i++)
        free(w->msgs[i].body);
    free(w->msgs);
    free(w->saved);
    faultvfs_reset();
    char path[700];
    for (int k = 0; k <= NDEV; k++) {
        const char *dir = k < NDEV ? w->d[k].dir : w->cdir;
        static const char *const files[] = {"journal.db", "journal.db-wal", "journal.db-shm",
                                            "coord.db",   "coord.db-wal",   "coord.db-shm"};
        for (size_t i = 0; dir[0] && i < sizeof files / sizeof files[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[i]);
            unlink(path);
        }
        if (dir[0])
            rmdir(dir);
    }
}

/* ---- randomness from the seed ---------------------------------------------------------------
 * Event ids, signing keys and op log ids come from libsodium's randombytes;
 * in the simulator they come from the seed too, so that a run (and the
 * trace hash of every answer holding a log id) replays exactly. */

static uint64_t sim_random_state;

static uint32_t sim_random(void)
{
    uint64_t z = (sim_random_state += 0x9e3779b97f4a7c15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static void sim_random_buf(void *const buf, const size_t size)
{
    unsigned char *p = buf;
    for (size_t i = 0; i < size; i++)
        p[i] = (unsigned char)sim_random();
}

static const char *sim_random_name(void)
{
    return "usher-sim seeded";
}

static randombytes_implementation sim_randombytes = {
    .implementation_name = sim_random_name,
    .random = sim_random,
    .buf = sim_random_buf,
};

int sim_run(const sim_options *opts, sim_result *res)
{
    memset(res, 0, sizeof *res);
    static bool seeded_random;
    if (!seeded_random) { /* before anything calls sodium_init */
        randombytes_set_implementation(&sim_randombytes);
        if (sodium_init() < 0) { /* once, here: it draws its own random bytes */
            snprintf(res->failure, sizeof res->failure, "libsodium does not initialise");
            return -1;
        }
        seeded_random = true;
    }
    sim_random_state = opts->seed * 0x2545f4914f6cdd1dull;
    if (faultvfs_install() != SQLITE_OK) {
        snprintf(res->failure, sizeof res->failure, "cannot install the fault VFS");
        return -1;
    }
    faultvfs_reset();
    world *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(res->failure, sizeof res->failure, "out of memory");
        return -1;
    }
    w->o = opts;
    w->res = res;
    w->r.s = opts->seed;
    w->t = T0;
    w->trace = 1469598103934665603ull;
    w->msgs = calloc(MAX_MSGS, sizeof *w->msgs);
    w->saved = calloc(MAX_SAVED, sizeof *w->saved);
    text_copy(w->dir, sizeof w->dir, opts->dir);
    int rc = 0;
    if (!w->msgs || !w->saved || !world_setup(w)) {
        rc = -1;
        goto out;
    }
    for (int i = 0; i < FAULT_STEPS && !w->failed; i++)
        step(w);
    w->healing = true;
    faultvfs_lie_about_sync(NULL);
    for (int k = 0; k < NDEV; k++)
        w->d[k].partitioned_until = 0;
    int heal = 0;
    for (; heal < HEAL_STEPS && !w->failed && !converged(w); heal++)
        step(w);
    if (!w->failed && heal == HEAL_STEPS)
        fail(w, "no convergence after %d healing steps", HEAL_STEPS);
    if (!w->failed)
        check_devices(w);
    if (!w->failed)
        check_replay(w);
    trace(w, "end: %s", w->failed ? res->failure : "ok");
out:
    res->ok = !w->failed;
    res->trace = w->trace;
    res->stats.sim_ms = w->t - T0;
    world_free(w);
    free(w);
    return rc;
}

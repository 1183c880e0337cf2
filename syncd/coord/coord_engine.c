/* coord_engine.c - group commit over the in-memory state, the change ring for pulls
 * and event streams, and the token cache. */
#include "coord_engine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "text.h"
#include "timestamp.h"

#define RING_CAP 16384
#define AUTH_SLOTS 1024 /* a power of two */
#define AUTH_PROBES 8   /* slots a token may sit in, from its hash on */
#define DEVICE_FLUSH_MS 2000
#define AUTH_TTL_MS 30000       /* a token's check is trusted this long (disabled tokens) */
#define AUTH_REFRESH_MS 20000   /* a token in use is re-checked in the background after this */
#define CKPT_FRAMES 1000        /* checkpoints start once the log holds this many frames */
#define CKPT_INTERVAL_MS 20     /* the checkpointer's pause between passes */
#define CKPT_IDLE_FRAMES 2048   /* the committer finishes the copy when idle past this */
#define CKPT_WRITER_FRAMES 8192 /* or in any case past this (32 MiB) */

/* Only the change's text: a change struct here (about 1 kB, for a ticket's
 * name and note) would be 16 MiB of ring for any event, however small. */
typedef struct ring_entry {
    char *event; /* "id: N\nevent: change\ndata: {...}\n\n" */
    size_t len;
    size_t data_off, data_len; /* the change's JSON inside event */
} ring_entry;

typedef struct auth_entry {
    uint8_t hash[32];
    coord_device dev;
    int64_t checked_at; /* mono ms */
    bool used, refreshing;
} auth_entry;

typedef struct seen_entry {
    char device[USHER_DEVICE_SIZE];
    int64_t at, cursor, pending;
    bool dirty;
    bool skewed;        /* its clock was found off: alerted, until it is back */
    bool skew_due;      /* ...and the alert is still to be stored */
    int64_t skew_clock; /* the device's clock, then */
    int64_t skew_at;    /* the coordinator's */
} seen_entry;

struct engine {
    /* Set when a commit failed with an I/O error (a failed fsync: what the
     * file holds is unknown until SQLite's recovery at the next start), or
     * failed and the state could not be reloaded either: memory may be ahead
     * of the disk, so nothing more is accepted until a restart. */
    atomic_bool broken;
    char broken_why[USHER_ERRMSG_SIZE]; /* written once, before broken is set */
    /* A commit failed cleanly and the state could not be reloaded because a
     * PostgreSQL server could not be reached (restarting, failing over):
     * every op is refused, as when broken, until a reload succeeds, which the
     * committer tries before each group. Only the committer writes it. */
    atomic_bool reload_pending;
    coorddb *db;
    layout *l;
    state *st;
    coord_event ev;
    char *layout_json;
    void (*on_commit)(void *ctx, int64_t last_seq);
    void *on_commit_ctx;

    pthread_t thread;
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    engine_req *qhead, *qtail;
    bool stopping;

    pthread_rwlock_t rw; /* the state, for readers */

    pthread_mutex_t ring_lock;
    ring_entry *ring; /* ring[seq % RING_CAP] */
    int64_t ring_first, last_seq;

    pthread_mutex_t misc_lock; /* auth cache, seen devices, stats */
    auth_entry auth[AUTH_SLOTS];
    seen_entry *seen;
    size_t nseen, seen_cap;
    /* Open-addressing index of seen by device id: entry i + 1, 0 = empty;
     * 2 x seen_cap slots, so a sync finds its device at once among 10,000. */
    uint32_t *seen_index;
    int64_t last_flush;
    engine_stats stats;
    _Atomic int64_t recent_ops; /* ops between saves of their ids */

    /* WAL checkpoints run on their own thread and connection, so that the
     * committer never copies pages into the database file or waits for its
     * fsync between two groups. */
    coorddb *ckdb;
    pthread_t ck_thread;
    pthread_mutex_t ck_lock;
    pthread_cond_t ck_cond;
    bool ck_due, ck_stop, ck_started;
};

void engine_req_release(engine_req *req)
{
    free(req->verdicts);
    free(req->changes);
    req->verdicts = NULL;
    req->changes = NULL;
}

/* ---- the change ring -------------------------------------------------- */

static void ring_put(engine *e, const change *c)
{
    json_t *j = proto_change_encode(c);
    char *data = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    const char *text = data ? data : "{}";
    size_t data_len = strlen(text), cap = data_len + 64, off = 0, len = 0;
    char *ev = malloc(cap);
    if (ev) {
        int head = snprintf(ev, cap, "id: %lld\nevent: change\ndata: ", (long long)c->seq);
        off = head > 0 ? (size_t)head : 0;
        memcpy(ev + off, text, data_len);
        memcpy(ev + off + data_len, "\n\n", 3);
        len = off + data_len + 2;
    }
    ring_entry *r = &e->ring[c->seq % RING_CAP];
    pthread_mutex_lock(&e->ring_lock);
    free(r->event);
    r->event = ev;
    r->len = len;
    r->data_off = off;
    r->data_len = ev ? data_len : 0;
    if (c->seq - e->ring_first >= RING_CAP)
        e->ring_first = c->seq - RING_CAP + 1;
    e->last_seq = c->seq;
    pthread_mutex_unlock(&e->ring_lock);
    free(data);
}

long engine_events_since(engine *e, int64_t after, char *buf, size_t size, int64_t *next)
{
    size_t n = 0;
    pthread_mutex_lock(&e->ring_lock);
    if (after + 1 < e->ring_first && after < e->last_seq) {
        pthread_mutex_unlock(&e->ring_lock);
        return -1;
    }
    int64_t seq = after;
    while (seq < e->last_seq) {
        const ring_entry *r = &e->ring[(seq + 1) % RING_CAP];
        if (!r->event || r->len > size - n)
            break;
        memcpy(buf + n, r->event, r->len);
        n += r->len;
        seq++;
    }
    pthread_mutex_unlock(&e->ring_lock);
    *next = seq;
    return (long)n;
}

bool engine_healthy(engine *e)
{
    return !atomic_load(&e->broken) && !atomic_load(&e->reload_pending);
}

bool engine_waiting_for_db(engine *e)
{
    return atomic_load(&e->reload_pending);
}

static void engine_break(engine *e, const char *why);

/* Memory is ahead of the database: reload what the database holds. A
 * PostgreSQL server that cannot be reached (USHER_IO) is waited for; any
 * other failure breaks the engine. On the committer thread, holding the
 * state's write lock. */
static void reload_state(engine *e)
{
    state *st = NULL;
    layout *l = NULL;
    state_config cfg = *state_get_config(e->st);
    usher_errmsg lem = {{0}};
    char *json = NULL;
    usher_err lerr = coorddb_load(e->db, &cfg, &l, &st, &lem);
    if (lerr == USHER_OK)
        lerr = coorddb_layout_json(e->db, &json, &lem); /* the layout may have changed too */
    if (lerr != USHER_OK) {
        state_free(st);
        layout_free(l);
        st = NULL, l = NULL;
    }
    if (lerr == USHER_OK) {
        state_free(e->st);
        layout_free(e->l);
        free(e->layout_json);
        e->st = st, e->l = l, e->layout_json = json;
        if (atomic_load(&e->reload_pending))
            fprintf(stderr, "usher-coord: the database answers again: state reloaded\n");
        atomic_store(&e->reload_pending, false);
    } else if (lerr == USHER_IO && coorddb_kind(e->db) == COORDWHERE_POSTGRESQL) {
        if (!atomic_load(&e->reload_pending))
            fprintf(stderr,
                    "usher-coord: cannot reload the state (%s): refusing every op until the "
                    "database answers again\n",
                    lem.text);
        atomic_store(&e->reload_pending, true);
    } else {
        char why[USHER_ERRMSG_SIZE];
        snprintf(why, sizeof why, "a commit failed and the state cannot be reloaded (%s)",
                 lem.text);
        engine_break(e, why);
    }
}

const char *engine_broken_reason(engine *e)
{
    return atomic_load(&e->broken) ? e->broken_why : NULL;
}

/* From now on every op is refused (503) and /healthz says why. */
static void engine_break(engine *e, const char *why)
{
    if (atomic_load(&e->broken))
        return;
    text_copy(e->broken_why, sizeof e->broken_why, why);
    fprintf(stderr,
            "usher-coord: %s: refusing every op from now on; restart usher-coord (the ops "
            "answered 503 are then either saved, and a retrying device is told so, or absent)\n",
            why);
    atomic_store(&e->broken, true);
}

int64_t engine_last_seq(engine *e)
{
    pthread_mutex_lock(&e->ring_lock);
    int64_t s = e->last_seq;
    pthread_mutex_unlock(&e->ring_lock);
    return s;
}

usher_err engine_changes_json(engine *e, int64_t after, size_t n, char **out, size_t *len)
{
    usher_err err = USHER_OK;
    char *buf = NULL;
    size_t used = 0;
    pthread_mutex_lock(&e->ring_lock);
    int64_t last = after + (int64_t)n;
    if (after + 1 < e->ring_first || last > e->last_seq) {
        err = USHER_NOTFOUND;
        goto out;
    }
    size_t size = n + 1; /* commas and the NUL */
    for (int64_t seq = after + 1; seq <= last; seq++)
        size += e->ring[seq % RING_CAP].data_len;
    buf = malloc(size);
    if (!buf) {
        err = USHER_NOMEM;
        goto out;
    }
    for (int64_t seq = after + 1; seq <= last; seq++) {
        const ring_entry *r = &e->ring[seq % RING_CAP];
        if (!r->event) { /* its text could not be made (out of memory) */
            err = USHER_NOMEM;
            goto out;
        }
        if (seq > after + 1)
            buf[used++] = ',';
        memcpy(buf + used, r->event + r->data_off, r->data_len);
        used += r->data_len;
    }
    buf[used] = '\0';
out:
    pthread_mutex_unlock(&e->ring_lock);
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    *len = used;
    return USHER_OK;
}

/* Fills req's pulled changes after its cursor, from the ring when it holds
 * them (the reply copies their JSON text from there), else from the database
 * (committer thread only). */
static void pull_changes(engine *e, engine_req *req)
{
    req->new_cursor = req->cursor;
    if (req->cursor < 0)
        return;
    int64_t last = e->last_seq;
    if (req->cursor >= last)
        return;
    if (req->cursor + 1 >= e->ring_first) {
        size_t n = (size_t)(last - req->cursor);
        if (n > ENGINE_MAX_PULL)
            n = ENGINE_MAX_PULL;
        req->changes_in_ring = true;
        req->nchanges = n;
        req->new_cursor = req->cursor + (int64_t)n;
        req->more = req->new_cursor < last;
        return;
    }
    usher_errmsg em = {{0}};
    if (coorddb_changes_since(e->db, req->cursor, ENGINE_MAX_PULL, &req->changes, &req->nchanges,
                              &req->more, &em) != USHER_OK)
        goto fail;
    if (req->nchanges)
        req->new_cursor = req->changes[req->nchanges - 1].seq;
    return;
fail:
    req->err = USHER_DB;
    text_copy(req->errmsg, sizeof req->errmsg, "could not read the change log");
}

/* ---- the committer ------------------------------------------------------ */

static void flush_seen(engine *e, int64_t now, bool force)
{
    pthread_mutex_lock(&e->misc_lock);
    if (!force && now - e->last_flush < DEVICE_FLUSH_MS) {
        pthread_mutex_unlock(&e->misc_lock);
        return;
    }
    e->last_flush = now;
    size_t n = 0;
    for (size_t i = 0; i < e->nseen; i++)
        n += e->seen[i].dirty;
    coord_device *devs = n ? calloc(n, sizeof *devs) : NULL;
    size_t k = 0, na = 0;
    for (size_t i = 0; i < e->nseen; i++)
        na += e->seen[i].skew_due;
    alert *al = na ? calloc(na, sizeof *al) : NULL;
    na = 0;
    for (size_t i = 0; al && i < e->nseen; i++) {
        if (!e->seen[i].skew_due)
            continue;
        alert *a = &al[na++];
        a->kind = ALERT_CLOCK_SKEW;
        text_copy(a->device, sizeof a->device, e->seen[i].device);
        a->at = e->seen[i].skew_at;
        a->other_at = e->seen[i].skew_clock;
        e->seen[i].skew_due = false;
    }
    for (size_t i = 0; devs && i < e->nseen; i++) {
        if (!e->seen[i].dirty)
            continue;
        text_copy(devs[k].id, sizeof devs[k].id, e->seen[i].device);
        devs[k].last_seen = e->seen[i].at;
        devs[k].cursor = e->seen[i].cursor;
        devs[k].pending = e->seen[i].pending;
        e->seen[i].dirty = false;
        k++;
    }
    pthread_mutex_unlock(&e->misc_lock);
    if (devs) {
        /* One transaction (one fsync) for all of them. Health is advisory: a
         * failed flush is forgotten, the next sync of each device sets it. */
        usher_err err = coorddb_devices_seen(e->db, devs, k, NULL);
        (void)err;
    }
    if (al) {
        usher_errmsg em = {{0}};
        if (coorddb_add_alerts(e->db, al, na, now, &em))
            fprintf(stderr, "usher-coord: cannot store a clock alert: %s\n", em.text);
    }
    free(al);
    free(devs);
}

/* Keeps the write-ahead log short without stalling commits. The checkpointer
 * thread copies the log into the database (at most every CKPT_INTERVAL_MS
 * while the log holds CKPT_FRAMES or more). The log restarts from its
 * beginning, instead of growing, only when it was wholly copied at the moment
 * a write begins, which a busy committer never gives the checkpointer: so
 * the committer copies the rest itself (little: the checkpointer keeps up)
 * when it has nothing queued and the log holds CKPT_IDLE_FRAMES, or in any
 * case past CKPT_WRITER_FRAMES (committer thread only). */
static void checkpoint_if_due(engine *e)
{
    int64_t frames = coorddb_wal_frames(e->db);
    if (frames < CKPT_FRAMES)
        return;
    pthread_mutex_lock(&e->qlock);
    bool idle = !e->qhead;
    pthread_mutex_unlock(&e->qlock);
    if (frames >= CKPT_WRITER_FRAMES || (idle && frames >= CKPT_IDLE_FRAMES) || !e->ck_started) {
        usher_errmsg em = {{0}};
        if (coorddb_checkpoint(e->db, NULL, NULL, &em) != USHER_OK)
            fprintf(stderr, "usher-coord: %s\n", em.text);
        return;
    }
    pthread_mutex_lock(&e->ck_lock);
    e->ck_due = true;
    pthread_cond_signal(&e->ck_cond);
    pthread_mutex_unlock(&e->ck_lock);
}

static void *checkpointer(void *arg)
{
    engine *e = arg;
    int64_t last_report = 0;
    prctl(PR_SET_NAME, "coord-ckpt", 0, 0, 0);
    pthread_mutex_lock(&e->ck_lock);
    for (;;) {
        while (!e->ck_due && !e->ck_stop)
            pthread_cond_wait(&e->ck_cond, &e->ck_lock);
        if (e->ck_stop)
            break;
        e->ck_due = false;
        pthread_mutex_unlock(&e->ck_lock);
        usher_errmsg em = {{0}};
        usher_err err = coorddb_checkpoint(e->ckdb, NULL, NULL, &em);
        int64_t now = timestamp_mono_ms();
        if (err && now - last_report > 60000) { /* the log grows meanwhile; say so once a minute */
            fprintf(stderr, "usher-coord: %s\n", em.text);
            last_report = now;
        }
        pthread_mutex_lock(&e->misc_lock);
        e->stats.checkpoints += err == USHER_OK;
        pthread_mutex_unlock(&e->misc_lock);
        /* A pause between passes: each pass ends with an fsync of the
         * database, and a page changed by many groups is copied once. */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += CKPT_INTERVAL_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&e->ck_lock);
        while (!e->ck_stop && pthread_cond_timedwait(&e->ck_cond, &e->ck_lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&e->ck_lock);
    return NULL;
}

static void run_db_job(engine *e, engine_req *r)
{
    if (!r->db_quiet)
        flush_seen(e, timestamp_now_ms(), true); /* a job may read device health */
    r->err = r->db_fn(e->db, r->db_arg);
    if (coorddb_unsure(e->db))
        engine_break(e, "the database's disk failed while saving");
}

/* Every recent_ops ops, their ids go to the database's op id table in one
 * sorted batch; then the older generation in memory is forgotten, so memory
 * holds at most two generations of verdicts, however long the event. */
static void save_op_ids_if_due(engine *e)
{
    if (coorddb_ops_unsaved(e->db) < atomic_load(&e->recent_ops))
        return;
    usher_errmsg em = {{0}};
    if (coorddb_save_op_ids(e->db, &em) != USHER_OK) {
        /* Nothing lost: the ids stay in memory and the next try adds them. */
        fprintf(stderr, "usher-coord: saving op ids: %s (will retry)\n", em.text);
        return;
    }
    pthread_rwlock_wrlock(&e->rw);
    state_forget_older(e->st);
    pthread_rwlock_unlock(&e->rw);
}

/* Applies a group of op requests and commits them in one transaction. */
static void run_group(engine *e, engine_req *group)
{
    size_t n = 0;
    for (engine_req *r = group; r; r = r->next)
        n += r->nops;
    usher_op *ops = n ? malloc(n * sizeof *ops) : NULL;
    apply_result *res = n ? malloc(n * sizeof *res) : NULL;
    if (n && (!ops || !res)) {
        for (engine_req *r = group; r; r = r->next) {
            r->err = USHER_NOMEM;
            text_copy(r->errmsg, sizeof r->errmsg, "coordinator out of memory");
        }
        goto out;
    }
    if (atomic_load(&e->reload_pending)) { /* the database is back? */
        pthread_rwlock_wrlock(&e->rw);
        reload_state(e);
        pthread_rwlock_unlock(&e->rw);
    }
    if (atomic_load(&e->reload_pending)) {
        for (engine_req *r = group; r; r = r->next) {
            r->err = USHER_DB;
            text_copy(r->errmsg, sizeof r->errmsg,
                      "the coordinator's database cannot be reached; retry");
        }
        goto out;
    }
    if (atomic_load(&e->broken)) {
        for (engine_req *r = group; r; r = r->next) {
            r->err = USHER_DB;
            text_copy(r->errmsg, sizeof r->errmsg,
                      "the coordinator's database failed: restart usher-coord (see its log)");
        }
        goto out;
    }
    int64_t now = timestamp_now_ms();
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t k = 0;
    for (engine_req *r = group; r; r = r->next) {
        for (size_t i = 0; i < r->nops; i++, k++) {
            ops[k] = r->ops[i];
            text_copy(ops[k].device, sizeof ops[k].device, r->device);
        }
    }
    /* An id not remembered may be an older op's: found in the database
     * before the write lock (only this thread changes the state). */
    bool *old = n ? calloc(n, sizeof *old) : NULL;
    const char **ask = n ? malloc(n * sizeof *ask) : NULL;
    if (old && ask) {
        for (size_t i = 0; i < n; i++) /* NULL: not to look up */
            ask[i] = !op_id_valid(ops[i].id) || state_recall(e->st, ops[i].id) ? NULL : ops[i].id;
        usher_errmsg fem = {{0}};
        verdict *found = malloc(n * sizeof *found);
        /* All of the group's lookups at once: one round trip on PostgreSQL. */
        if (!found || coorddb_find_verdicts(e->db, ask, n, found, old, &fem) != USHER_OK) {
            fprintf(stderr, "usher-coord: looking up old ops: %s\n",
                    found ? fem.text : "out of memory");
            memset(old, 0, n * sizeof *old);
        }
        for (size_t i = 0; found && i < n; i++)
            if (old[i])
                res[i].v = found[i];
        free(found);
    }
    free(ask);
    pthread_rwlock_wrlock(&e->rw);
    for (size_t i = 0; i < n; i++) {
        if (old && old[i] && state_remember(e->st, &res[i].v) == USHER_NOMEM)
            fprintf(stderr, "usher-coord: out of memory remembering op %s\n", ops[i].id);
        state_apply(e->st, &ops[i], now, &res[i]);
    }
    free(old);
    int64_t last = 0;
    usher_errmsg em = {{0}};
    usher_err err = n ? coorddb_commit(e->db, ops, res, n, now, &last, &em) : USHER_OK;
    if (err && coorddb_unsure(e->db)) {
        /* The disk failed during the commit (fsync): the group may be on
         * disk or not, and only SQLite's recovery at the next start knows.
         * Reloading now could read either; carrying on could make a refused
         * op durable later. Stop instead. */
        char why[USHER_ERRMSG_SIZE];
        snprintf(why, sizeof why, "commit failed: %s", em.text);
        engine_break(e, why);
    } else if (err) {
        fprintf(stderr, "usher-coord: commit failed: %s; reloading state\n", em.text);
        reload_state(e);
    } else {
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < res[i].nchanges; c++)
                ring_put(e, &res[i].changes[c]);
    }
    k = 0;
    for (engine_req *r = group; r; r = r->next) {
        if (err) {
            r->err = USHER_DB;
            text_copy(r->errmsg, sizeof r->errmsg, "the coordinator could not save; retry");
            k += r->nops;
            continue;
        }
        r->verdicts = r->nops ? malloc(r->nops * sizeof *r->verdicts) : NULL;
        if (r->nops && !r->verdicts) {
            r->err = USHER_NOMEM;
            k += r->nops;
            continue;
        }
        for (size_t i = 0; i < r->nops; i++, k++)
            r->verdicts[i] = res[k].v;
        pull_changes(e, r);
    }
    pthread_rwlock_unlock(&e->rw);
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    size_t b = 0;
    while (b < ENGINE_COMMIT_BUCKETS && took > engine_commit_bounds[b])
        b++;
    pthread_mutex_lock(&e->misc_lock);
    e->stats.groups++;
    e->stats.commit_failures += err != USHER_OK;
    e->stats.commit_seconds += took;
    e->stats.commit_hist[b]++;
    for (size_t i = 0; !err && i < n; i++) {
        e->stats.ops++;
        e->stats.accepted += res[i].v.status == VERDICT_ACCEPTED;
        e->stats.rejected += res[i].v.status == VERDICT_REJECTED;
        e->stats.duplicates += res[i].v.status == VERDICT_DUPLICATE;
        e->stats.reseats += res[i].v.status == VERDICT_REJECTED && res[i].v.reseat[0];
    }
    pthread_mutex_unlock(&e->misc_lock);
    pthread_mutex_lock(&e->qlock);
    void (*notify)(void *, int64_t) = e->on_commit;
    void *notify_ctx = e->on_commit_ctx;
    pthread_mutex_unlock(&e->qlock);
    if (!err && last && notify)
        notify(notify_ctx, last);
    if (!err)
        save_op_ids_if_due(e);
out:
    free(ops);
    free(res);
}

static void *committer(void *arg)
{
    engine *e = arg;
    prctl(PR_SET_NAME, "coord-commit", 0, 0, 0); /* for top -H and perf */
    for (;;) {
        pthread_mutex_lock(&e->qlock);
        while (!e->qhead && !e->stopping)
            pthread_cond_wait(&e->qcond, &e->qlock);
        engine_req *group = e->qhead;
        e->qhead = e->qtail = NULL;
        bool stop = e->stopping && !group;
        pthread_mutex_unlock(&e->qlock);
        if (stop)
            break;
        /* Database jobs run alone, in order; runs of op requests between
         * them form one group. */
        while (group) {
            engine_req *next;
            if (group->db_fn) {
                next = group->next;
                group->next = NULL; /* the job alone is answered below */
                run_db_job(e, group);
            } else {
                engine_req *end = group;
                while (end->next && !end->next->db_fn)
                    end = end->next;
                next = end->next;
                end->next = NULL;
                run_group(e, group);
            }
            while (group) {
                engine_req *after = group->next;
                group->next = NULL;
                group->done(group);
                group = after;
            }
            group = next;
        }
        flush_seen(e, timestamp_now_ms(), false);
        checkpoint_if_due(e);
    }
    return NULL;
}

void engine_set_recent_ops(engine *e, int64_t n)
{
    atomic_store(&e->recent_ops, n);
}

void engine_set_notify(engine *e, void (*on_commit)(void *ctx, int64_t last_seq), void *ctx)
{
    pthread_mutex_lock(&e->qlock);
    e->on_commit = on_commit;
    e->on_commit_ctx = ctx;
    pthread_mutex_unlock(&e->qlock);
}

void engine_submit(engine *e, engine_req *req)
{
    req->next = NULL;
    req->err = USHER_OK;
    req->errmsg[0] = '\0';
    req->verdicts = NULL;
    req->changes = NULL;
    req->nchanges = 0;
    req->changes_in_ring = false;
    req->more = false;
    pthread_mutex_lock(&e->qlock);
    if (e->qtail)
        e->qtail->next = req;
    else
        e->qhead = req;
    e->qtail = req;
    pthread_cond_signal(&e->qcond);
    pthread_mutex_unlock(&e->qlock);
}

typedef struct waiter {
    pthread_mutex_t m;
    pthread_cond_t c;
    bool done;
} waiter;

static void wake_waiter(engine_req *req)
{
    waiter *w = req->ctx;
    pthread_mutex_lock(&w->m);
    w->done = true;
    pthread_cond_signal(&w->c);
    pthread_mutex_unlock(&w->m);
}

void engine_run(engine *e, engine_req *req)
{
    waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
    req->done = wake_waiter;
    req->ctx = &w;
    engine_submit(e, req);
    pthread_mutex_lock(&w.m);
    while (!w.done)
        pthread_cond_wait(&w.c, &w.m);
    pthread_mutex_unlock(&w.m);
}

usher_err engine_with_db(engine *e, usher_err (*fn)(coorddb *db, void *arg), void *arg)
{
    engine_req req;
    memset(&req, 0, sizeof req);
    req.db_fn = fn;
    req.db_arg = arg;
    engine_run(e, &req);
    return req.err;
}

/* ---- tickets while serving ------------------------------------------------ */

typedef struct add_tickets_job {
    engine *e;
    const ticket_list *tl;
    size_t added;
    usher_errmsg *em;
} add_tickets_job;

static void publish_since(engine *e, coorddb *db, int64_t before);

/* On the committer: the state changes under the write lock, the new changes
 * go into the ring in order, then listeners hear of them. */
/* The import may have made the codes weak (write lock held). */
static void reread_settings(engine *e, coorddb *db)
{
    coord_event ev;
    usher_errmsg ev_em = {{0}};
    if (coorddb_get_event(db, &ev, &ev_em) == USHER_OK) {
        e->ev.settings = ev.settings;
        state_set_reentry_refused(e->st, ev.settings.reentry_refused);
    } else
        fprintf(stderr, "usher-coord: cannot reread the event's settings: %s\n", ev_em.text);
    sodium_memzero(&ev, sizeof ev);
}

static usher_err add_tickets_in_db(coorddb *db, void *arg)
{
    add_tickets_job *job = arg;
    engine *e = job->e;
    if (atomic_load(&e->broken) || atomic_load(&e->reload_pending))
        return usher_fail(
            job->em, USHER_DB,
            atomic_load(&e->broken)
                ? "the coordinator's database failed: restart usher-coord (see its log)"
                : "the coordinator's database cannot be reached; retry");
    int64_t before = coorddb_last_seq(db);
    pthread_rwlock_wrlock(&e->rw);
    usher_err err =
        coorddb_add_tickets(db, e->st, job->tl, timestamp_now_ms(), &job->added, job->em);
    if (!err)
        reread_settings(e, db);
    pthread_rwlock_unlock(&e->rw);
    if (err)
        return err;
    publish_since(e, db, before);
    return USHER_OK;
}

/* Puts the changes after `before` into the ring, in order, then wakes the
 * listeners (committer thread). */
static void publish_since(engine *e, coorddb *db, int64_t before)
{
    int64_t last = before;
    for (;;) {
        change *cs = NULL;
        size_t n = 0;
        bool more = false;
        usher_errmsg em = {{0}};
        if (coorddb_changes_since(db, last, 1000, &cs, &n, &more, &em) != USHER_OK) {
            /* Saved, but not in memory: devices pull the gap from the database. */
            fprintf(stderr, "usher-coord: new tickets saved, ring not updated: %s\n", em.text);
            break;
        }
        for (size_t i = 0; i < n; i++)
            ring_put(e, &cs[i]);
        if (n)
            last = cs[n - 1].seq;
        free(cs);
        if (!more || !n)
            break;
    }
    pthread_mutex_lock(&e->qlock);
    void (*notify)(void *, int64_t) = e->on_commit;
    void *notify_ctx = e->on_commit_ctx;
    pthread_mutex_unlock(&e->qlock);
    if (notify && last > before)
        notify(notify_ctx, last);
}

typedef struct admin_job {
    engine *e;
    coorddb_admin_fn fn;
    void *arg;
    const coord_alert *trail;
    size_t ntrail;
    const ticket_list *new_codes;
    int64_t last;
    usher_errmsg *em;
} admin_job;

static usher_err admin_in_db(coorddb *db, void *arg)
{
    admin_job *job = arg;
    engine *e = job->e;
    if (atomic_load(&e->broken) || atomic_load(&e->reload_pending))
        return usher_fail(
            job->em, USHER_DB,
            atomic_load(&e->broken)
                ? "the coordinator's database failed: restart usher-coord (see its log)"
                : "the coordinator's database cannot be reached; retry");
    int64_t before = coorddb_last_seq(db);
    pthread_rwlock_wrlock(&e->rw);
    usher_err err = coorddb_admin_change(db, e->st, job->fn, job->arg, job->trail, job->ntrail,
                                         job->new_codes, timestamp_now_ms(), &job->last, job->em);
    if (!err && job->new_codes)
        reread_settings(e, db);
    pthread_rwlock_unlock(&e->rw);
    if (err)
        return err;
    publish_since(e, db, before);
    return USHER_OK;
}

usher_err engine_admin_change(engine *e, coorddb_admin_fn fn, void *arg, const coord_alert *trail,
                              size_t ntrail, const ticket_list *new_codes, int64_t *last_seq,
                              usher_errmsg *em)
{
    admin_job job = {e, fn, arg, trail, ntrail, new_codes, 0, em};
    usher_err err = engine_with_db(e, admin_in_db, &job);
    if (!err && last_seq)
        *last_seq = job.last;
    return err;
}

typedef struct layout_job {
    engine *e;
    layout **next;
    const char *who;
    bool dry_run;
    coorddb_layout_result *out;
    usher_errmsg *em;
} layout_job;

static usher_err layout_in_db(coorddb *db, void *arg)
{
    layout_job *job = arg;
    engine *e = job->e;
    if (atomic_load(&e->broken))
        return usher_fail(job->em, USHER_DB,
                          "the coordinator's database failed: restart usher-coord (see its log)");
    int64_t before = coorddb_last_seq(db);
    char *json = NULL;
    pthread_rwlock_wrlock(&e->rw);
    usher_err err = coorddb_change_layout(db, e->st, *job->next, job->who, timestamp_now_ms(),
                                          job->dry_run, job->out, job->em);
    if (!err && job->out->st) {
        /* Durable: serve from the new layout. Its JSON as stored; if memory
         * runs out for the copy, the old text is kept until a restart rather
         * than none (the state and the database are right either way). */
        json = layout_to_json(*job->next);
        state_free(e->st);
        layout_free(e->l);
        e->st = job->out->st;
        e->l = *job->next;
        *job->next = NULL;
        job->out->st = NULL;
        if (json) {
            free(e->layout_json);
            e->layout_json = json;
        } else {
            fprintf(stderr, "usher-coord: out of memory keeping the new layout's JSON\n");
        }
    }
    pthread_rwlock_unlock(&e->rw);
    if (err)
        return err;
    publish_since(e, db, before);
    return USHER_OK;
}

usher_err engine_set_layout(engine *e, layout **next, const char *who, bool dry_run,
                            coorddb_layout_result *out, usher_errmsg *em)
{
    layout_job job = {e, next, who, dry_run, out, em};
    return engine_with_db(e, layout_in_db, &job);
}

usher_err engine_add_tickets(engine *e, const ticket_list *tl, size_t *added, usher_errmsg *em)
{
    add_tickets_job job = {e, tl, 0, em};
    usher_err err = engine_with_db(e, add_tickets_in_db, &job);
    if (!err && added)
        *added = job.added;
    return err;
}

/* ---- reads, auth, health ---------------------------------------------- */

const state *engine_read_begin(engine *e)
{
    pthread_rwlock_rdlock(&e->rw);
    return e->st;
}

void engine_read_end(engine *e)
{
    pthread_rwlock_unlock(&e->rw);
}

const coord_event *engine_event(engine *e)
{
    return &e->ev;
}

void engine_settings(engine *e, event_settings *out)
{
    pthread_rwlock_rdlock(&e->rw);
    *out = e->ev.settings;
    pthread_rwlock_unlock(&e->rw);
}

const char *engine_layout_json(engine *e)
{
    return e->layout_json; /* the caller holds the read lock */
}

/* ---- bearer tokens ------------------------------------------------------ */

static void token_key(const char *token, uint8_t h[32])
{
    crypto_generichash(h, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

/* The slot holding hash h, or -1 (misc_lock held). */
static int auth_find(engine *e, const uint8_t h[32])
{
    size_t base = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
    for (size_t i = 0; i < AUTH_PROBES; i++) {
        size_t k = (base + i) & (AUTH_SLOTS - 1);
        if (e->auth[k].used && sodium_memcmp(e->auth[k].hash, h, 32) == 0)
            return (int)k;
    }
    return -1;
}

/* Caches dev as the device of hash h, or forgets h when dev is NULL (misc_lock
 * held). A full neighbourhood gives up its oldest check. */
static void auth_store(engine *e, const uint8_t h[32], const coord_device *dev)
{
    int k = auth_find(e, h);
    if (!dev) {
        if (k >= 0)
            e->auth[k].used = false;
        return;
    }
    if (k < 0) {
        size_t base = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
        for (size_t i = 0; i < AUTH_PROBES; i++) {
            size_t j = (base + i) & (AUTH_SLOTS - 1);
            if (!e->auth[j].used) {
                k = (int)j;
                break;
            }
            if (k < 0 || e->auth[j].checked_at < e->auth[k].checked_at)
                k = (int)j;
        }
    }
    memcpy(e->auth[k].hash, h, 32);
    e->auth[k].dev = *dev;
    e->auth[k].checked_at = timestamp_mono_ms();
    e->auth[k].used = true;
    e->auth[k].refreshing = false;
}

/* The database job of a token check (committer thread). */
static usher_err auth_in_db(coorddb *db, void *arg)
{
    engine_auth_job *j = arg;
    uint8_t h[32];
    token_key(j->token, h);
    usher_err err = coorddb_device_auth(db, j->token, &j->dev, NULL);
    pthread_mutex_lock(&j->e->misc_lock);
    if (err == USHER_OK || err == USHER_FORBIDDEN)
        auth_store(j->e, h, err ? NULL : &j->dev);
    else {
        int k = auth_find(j->e, h); /* the database failed: try again later */
        if (k >= 0)
            j->e->auth[k].refreshing = false;
    }
    pthread_mutex_unlock(&j->e->misc_lock);
    return err;
}

void engine_auth_prepare(engine *e, engine_req *req, engine_auth_job *job, const char *token)
{
    memset(job, 0, sizeof *job);
    job->e = e;
    text_copy(job->token, sizeof job->token, token);
    req->db_fn = auth_in_db;
    req->db_arg = job;
    req->db_quiet = true;
    req->ops = NULL;
    req->nops = 0;
    req->cursor = -1;
}

/* A background re-check: the request and its job in one block, freed when done. */
typedef struct auth_refresh {
    engine_req req; /* first: done() gets its address */
    engine_auth_job job;
} auth_refresh;

static void auth_refresh_done(engine_req *req)
{
    free(req);
}

usher_err engine_auth_cached(engine *e, const char *token, coord_device *out)
{
    if (!token || strlen(token) != COORD_TOKEN_SIZE - 1)
        return USHER_FORBIDDEN;
    uint8_t h[32];
    token_key(token, h);
    int64_t now = timestamp_mono_ms();
    bool refresh = false;
    usher_err err = USHER_BUSY;
    pthread_mutex_lock(&e->misc_lock);
    int k = auth_find(e, h);
    if (k >= 0 && now - e->auth[k].checked_at < AUTH_TTL_MS) {
        *out = e->auth[k].dev;
        err = USHER_OK;
        if (now - e->auth[k].checked_at >= AUTH_REFRESH_MS && !e->auth[k].refreshing)
            refresh = e->auth[k].refreshing = true;
    }
    pthread_mutex_unlock(&e->misc_lock);
    if (refresh) {
        auth_refresh *r = calloc(1, sizeof *r);
        if (r) {
            engine_auth_prepare(e, &r->req, &r->job, token);
            r->req.done = auth_refresh_done;
            engine_submit(e, &r->req);
        } else {
            pthread_mutex_lock(&e->misc_lock);
            if ((k = auth_find(e, h)) >= 0)
                e->auth[k].refreshing = false;
            pthread_mutex_unlock(&e->misc_lock);
        }
    }
    return err;
}

static size_t seen_hash(const char *device, size_t slots)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = device; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h & (slots - 1);
}

/* The index slot of device: its entry's, or the empty one it would take. */
static size_t seen_slot(const engine *e, const char *device)
{
    size_t slots = 2 * e->seen_cap, k = seen_hash(device, slots);
    while (e->seen_index[k] && strcmp(e->seen[e->seen_index[k] - 1].device, device) != 0)
        k = (k + 1) & (slots - 1);
    return k;
}

/* Doubles the entries and rebuilds the index (misc_lock held); false when out
 * of memory (nothing changed). */
static bool seen_grow(engine *e)
{
    size_t cap = e->seen_cap ? e->seen_cap * 2 : 16;
    uint32_t *index = calloc(2 * cap, sizeof *index);
    seen_entry *s = index ? realloc(e->seen, cap * sizeof *s) : NULL;
    if (!s) {
        free(index);
        return false;
    }
    free(e->seen_index);
    e->seen = s;
    e->seen_cap = cap;
    e->seen_index = index;
    for (size_t i = 0; i < e->nseen; i++)
        e->seen_index[seen_slot(e, e->seen[i].device)] = (uint32_t)(i + 1);
    return true;
}

void engine_device_seen(engine *e, const char *device, int64_t cursor, int64_t pending,
                        int64_t clock)
{
    int64_t now = timestamp_now_ms();
    pthread_mutex_lock(&e->misc_lock);
    if (e->nseen == e->seen_cap && !seen_grow(e)) {
        pthread_mutex_unlock(&e->misc_lock);
        return;
    }
    size_t k = seen_slot(e, device);
    size_t i;
    if (e->seen_index[k]) {
        i = e->seen_index[k] - 1;
    } else {
        i = e->nseen++;
        memset(&e->seen[i], 0, sizeof e->seen[i]);
        text_copy(e->seen[i].device, sizeof e->seen[i].device, device);
        e->seen_index[k] = (uint32_t)(i + 1);
    }
    e->seen[i].at = now;
    e->seen[i].cursor = cursor;
    e->seen[i].pending = pending;
    e->seen[i].dirty = true;
    if (clock) {
        int64_t skew = now - clock, off = skew < 0 ? -skew : skew;
        seen_entry *s = &e->seen[i];
        if (!s->skewed && off > USHER_CLOCK_SKEW_ALERT_MS) {
            s->skewed = s->skew_due = true;
            s->skew_at = now;
            s->skew_clock = clock;
        } else if (s->skewed && off < USHER_CLOCK_SKEW_ALERT_MS / 2) {
            s->skewed = false; /* set right: a new skew is a new alert */
        }
    }
    pthread_mutex_unlock(&e->misc_lock);
}

const double engine_commit_bounds[ENGINE_COMMIT_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

void engine_count_snapshot(engine *e)
{
    pthread_mutex_lock(&e->misc_lock);
    e->stats.snapshots++;
    pthread_mutex_unlock(&e->misc_lock);
}

uint64_t engine_devices_online(engine *e, int64_t now)
{
    uint64_t n = 0;
    pthread_mutex_lock(&e->misc_lock);
    for (size_t i = 0; i < e->nseen; i++)
        n += now - e->seen[i].at < ENGINE_ONLINE_WINDOW_MS;
    pthread_mutex_unlock(&e->misc_lock);
    return n;
}

void engine_get_stats(engine *e, engine_stats *out)
{
    pthread_mutex_lock(&e->misc_lock);
    *out = e->stats;
    pthread_mutex_unlock(&e->misc_lock);
}

/* ---- lifecycle ---------------------------------------------------------- */

/* Opens the checkpointer's own connection and starts its thread. Without them
 * (they failed) the writer checkpoints as SQLite does by default. */
static void start_checkpointer(engine *e, const char *db_path)
{
    usher_errmsg em = {{0}};
    if (coorddb_kind(e->db) != COORDWHERE_SQLITE)
        return; /* PostgreSQL checkpoints by itself */
    if (coorddb_open(db_path, &e->ckdb, &em) != USHER_OK) {
        fprintf(stderr, "usher-coord: checkpoints stay on the writer: %s\n", em.text);
        return;
    }
    if (pthread_create(&e->ck_thread, NULL, checkpointer, e) != 0) {
        fprintf(stderr, "usher-coord: checkpoints stay on the writer: cannot start a thread\n");
        coorddb_free(e->ckdb);
        e->ckdb = NULL;
        return;
    }
    e->ck_started = true;
    if (coorddb_manual_checkpoints(e->db, &em) != USHER_OK)
        fprintf(stderr, "usher-coord: %s\n", em.text);
}

static void stop_checkpointer(engine *e)
{
    if (e->ck_started) {
        pthread_mutex_lock(&e->ck_lock);
        e->ck_stop = true;
        pthread_cond_signal(&e->ck_cond);
        pthread_mutex_unlock(&e->ck_lock);
        pthread_join(e->ck_thread, NULL);
        e->ck_started = false;
    }
    coorddb_free(e->ckdb);
    e->ckdb = NULL;
}

static void destroy_locks(engine *e)
{
    pthread_mutex_destroy(&e->qlock);
    pthread_cond_destroy(&e->qcond);
    pthread_rwlock_destroy(&e->rw);
    pthread_mutex_destroy(&e->ring_lock);
    pthread_mutex_destroy(&e->misc_lock);
    pthread_mutex_destroy(&e->ck_lock);
    pthread_cond_destroy(&e->ck_cond);
}

usher_err engine_open(const char *db_path, reseat_policy reseat,
                      void (*on_commit)(void *ctx, int64_t last_seq), void *ctx, engine **out,
                      usher_errmsg *em)
{
    usher_err err = USHER_NOMEM;
    engine *e = calloc(1, sizeof *e);
    if (!e)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    atomic_init(&e->broken, false);
    atomic_init(&e->reload_pending, false);
    pthread_mutex_init(&e->qlock, NULL);
    pthread_cond_init(&e->qcond, NULL);
    pthread_rwlock_init(&e->rw, NULL);
    pthread_mutex_init(&e->ring_lock, NULL);
    pthread_mutex_init(&e->misc_lock, NULL);
    pthread_mutex_init(&e->ck_lock, NULL);
    pthread_cond_init(&e->ck_cond, NULL);
    e->ring = calloc(RING_CAP, sizeof *e->ring);
    if (!e->ring)
        goto fail;
    if ((err = coorddb_open(db_path, &e->db, em)) != USHER_OK)
        goto fail;
    /* The one writer: held on the writer's own connection (PostgreSQL takes
     * it again there after a reconnection, or stops writing). */
    if ((err = coorddb_lock(e->db, em)) != USHER_OK)
        goto fail;
    if ((err = coorddb_get_event(e->db, &e->ev, em)) != USHER_OK)
        goto fail;
    if ((err = coorddb_layout_json(e->db, &e->layout_json, em)) != USHER_OK)
        goto fail;
    /* Ids of ops logged since the last save (all of them in a database made
     * before the op id table) go there now, so none is loaded into memory. */
    atomic_init(&e->recent_ops, ENGINE_RECENT_OPS);
    if (coorddb_ops_unsaved(e->db) > 0 && (err = coorddb_save_op_ids(e->db, em)) != USHER_OK)
        goto fail;
    state_config cfg = {.reseat = reseat,
                        .hold_ttl_ms = e->ev.hold_ttl_ms,
                        .late_after_ms = 5 * 60 * 1000,
                        .remember_ops = true,
                        .reentry_refused = e->ev.settings.reentry_refused};
    if ((err = coorddb_load(e->db, &cfg, &e->l, &e->st, em)) != USHER_OK)
        goto fail;
    /* Warm the ring with the newest changes so that devices a little behind
     * and event-stream resumes are served from memory. */
    int64_t last = coorddb_last_seq(e->db);
    int64_t from = last > RING_CAP ? last - RING_CAP : 0;
    e->ring_first = from + 1;
    e->last_seq = from;
    while (e->last_seq < last) {
        change *cs = NULL;
        size_t n = 0;
        bool more = false;
        if ((err = coorddb_changes_since(e->db, e->last_seq, 4096, &cs, &n, &more, em)))
            goto fail;
        for (size_t i = 0; i < n; i++)
            ring_put(e, &cs[i]);
        free(cs);
        if (!n)
            break;
    }
    e->on_commit = on_commit;
    e->on_commit_ctx = ctx;
    start_checkpointer(e, db_path);
    if (pthread_create(&e->thread, NULL, committer, e) != 0) {
        err = usher_fail(em, USHER_IO, "cannot start the committer thread");
        goto fail;
    }
    *out = e;
    return USHER_OK;
fail:
    stop_checkpointer(e);
    if (e->ring)
        for (size_t i = 0; i < RING_CAP; i++)
            free(e->ring[i].event);
    free(e->ring);
    state_free(e->st);
    layout_free(e->l);
    free(e->layout_json);
    coorddb_free(e->db);
    destroy_locks(e);
    free(e);
    return err;
}

void engine_free(engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->qlock);
    e->stopping = true;
    pthread_cond_signal(&e->qcond);
    pthread_mutex_unlock(&e->qlock);
    pthread_join(e->thread, NULL);
    stop_checkpointer(e);
    e->last_flush = 0;
    flush_seen(e, timestamp_now_ms(), true);
    for (size_t i = 0; i < RING_CAP; i++)
        free(e->ring[i].event);
    free(e->ring);
    free(e->seen);
    free(e->seen_index);
    state_free(e->st);
    layout_free(e->l);
    free(e->layout_json);
    coorddb_free(e->db);
    destroy_locks(e);
    free(e);
}

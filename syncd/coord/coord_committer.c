/* coord_committer.c - the one writer: requests queued in arrival order,
 * runs of op requests applied and made durable in one transaction (group
 * commit), database jobs run alone between them; a failed commit reloads the
 * state or stops the engine. */
#include "coord_engine__internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "text.h"
#include "timestamp.h"

bool engine_healthy(engine *e)
{
    return !atomic_load(&e->broken) && !atomic_load(&e->reload_pending);
}

bool engine_waiting_for_db(engine *e)
{
    return atomic_load(&e->reload_pending);
}

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
void engine_break(engine *e, const char *why)
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

void engine_retire(engine *e, const char *why)
{
    if (atomic_load(&e->broken))
        return;
    text_copy(e->broken_why, sizeof e->broken_why, why);
    atomic_store(&e->broken, true); /* no restart needed: the serve is a standby now */
}

/* The store's lock went to another serve (coorddb_lock_lost): no restart
 * is needed, the serve turns standby (coord_standby.c); said once. */
static void lock_lost(engine *e, const char *why)
{
    if (!atomic_load(&e->broken))
        fprintf(stderr, "usher-coord: %s: writing nothing more\n", why);
    engine_retire(e, why);
}

static void run_db_job(engine *e, engine_req *r)
{
    if (!r->db_quiet)
        health_flush(e, timestamp_now_ms(), true); /* a job may read device health */
    r->err = r->db_fn(e->db, r->db_arg);
    if (coorddb_lock_lost(e->db))
        lock_lost(e, "another 'usher-coord serve' took the database over while this one's "
                     "session with PostgreSQL was lost");
    else if (coorddb_unsure(e->db))
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
    if (err && coorddb_lock_lost(e->db)) {
        /* Another serve writes the database now: nothing of this group was
         * written, and this engine's state is not the database's any more.
         * No restart is needed: the serve turns standby (coord_standby.c). */
        lock_lost(e, em.text);
    } else if (err && coorddb_unsure(e->db)) {
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
        ring_pull(e, r);
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

void *committer_main(void *arg)
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
        health_flush(e, timestamp_now_ms(), false);
        checkpoint_if_due(e);
    }
    return NULL;
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

/* coord_engine.c - the engine: open and close, reads of the state, and the
 * organiser's changes while serving (tickets, corrections, a new layout), each
 * run as a job on the committer. Its other jobs have files of their own
 * (coord_engine__internal.h lists them). */
#include "coord_engine__internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "timestamp.h"

void engine_req_release(engine_req *req)
{
    free(req->verdicts);
    free(req->changes);
    req->verdicts = NULL;
    req->changes = NULL;
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

typedef struct add_tickets_job {
    engine *e;
    const ticket_list *tl;
    size_t added;
    usher_errmsg *em;
} add_tickets_job;

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

/* True (em says why) while no change may be made: the database failed or
 * cannot be reached (the committer thread). */
static bool db_unusable(engine *e, usher_errmsg *em)
{
    if (!atomic_load(&e->broken) && !atomic_load(&e->reload_pending))
        return false;
    usher_fail(em, USHER_DB,
               atomic_load(&e->broken)
                   ? "the coordinator's database failed: restart usher-coord (see its log)"
                   : "the coordinator's database cannot be reached; retry");
    return true;
}

/* On the committer: the state changes under the write lock, the new changes
 * go into the ring in order, then listeners hear of them. */
static usher_err add_tickets_in_db(coorddb *db, void *arg)
{
    add_tickets_job *job = arg;
    engine *e = job->e;
    if (db_unusable(e, job->em))
        return USHER_DB;
    int64_t before = coorddb_last_seq(db);
    pthread_rwlock_wrlock(&e->rw);
    usher_err err =
        coorddb_add_tickets(db, e->st, job->tl, timestamp_now_ms(), &job->added, job->em);
    if (!err)
        reread_settings(e, db);
    pthread_rwlock_unlock(&e->rw);
    if (err)
        return err;
    ring_publish(e, db, before);
    return USHER_OK;
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
    if (db_unusable(e, job->em))
        return USHER_DB;
    int64_t before = coorddb_last_seq(db);
    pthread_rwlock_wrlock(&e->rw);
    usher_err err = coorddb_admin_change(db, e->st, job->fn, job->arg, job->trail, job->ntrail,
                                         job->new_codes, timestamp_now_ms(), &job->last, job->em);
    if (!err && job->new_codes)
        reread_settings(e, db);
    pthread_rwlock_unlock(&e->rw);
    if (err)
        return err;
    ring_publish(e, db, before);
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
    ring_publish(e, db, before);
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

usher_err engine_open(const char *db_path, const char *event_id, reseat_policy reseat,
                      void (*on_commit)(void *ctx, int64_t last_seq), void *ctx, engine **out,
                      usher_errmsg *em)
{
    coorddb *db = NULL;
    usher_err err = coorddb_open_event(db_path, event_id, false, &db, em);
    if (!err)
        err = engine_open_db(db_path, &db, reseat, on_commit, ctx, out, em);
    coorddb_free(db);
    return err;
}

usher_err engine_open_db(const char *db_path, coorddb **db, reseat_policy reseat,
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
    e->db = *db; /* ours from here, also on failure */
    *db = NULL;
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
    checkpoint_start(e, db_path);
    if (pthread_create(&e->thread, NULL, committer_main, e) != 0) {
        err = usher_fail(em, USHER_IO, "cannot start the committer thread");
        goto fail;
    }
    *out = e;
    return USHER_OK;
fail:
    checkpoint_stop(e);
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

bool engine_lock_lost(engine *e)
{
    return coorddb_lock_lost(e->db);
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
    checkpoint_stop(e);
    e->last_flush = 0;
    health_flush(e, timestamp_now_ms(), true);
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

/* coord_standby.c - the thread that keeps a PostgreSQL serve's part right:
 * standby trying the lock, active watching that it still is, the list of
 * serves in the store kept fresh. */
#include "coord_standby.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "timestamp.h"

#define MAX_ENGINES 64 /* takeovers in one run; past it a serve stays standby */

struct coord_standby {
    coord_standby_config cfg;
    char db_path[4096];
    char event_id[64];            /* "": the database's only event */
    coorddb *probe;               /* a connection without the lock: tries, heartbeats, the list */
    engine *engines[MAX_ENGINES]; /* [n-1] the current one; older ones retired */
    size_t nengines;
    bool active;
    bool advertised;   /* active, and the store's list says so (its row written) */
    int64_t last_seen; /* wall ms of the last heartbeat */
    bool said_unreachable;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop;
};

static engine *current(coord_standby *sb)
{
    return sb->nengines ? sb->engines[sb->nengines - 1] : NULL;
}

static bool probe_ready(coord_standby *sb)
{
    if (sb->probe)
        return true;
    usher_errmsg em = {{0}};
    if (coorddb_open_event(sb->db_path, sb->event_id[0] ? sb->event_id : NULL, false, &sb->probe,
                           &em) != USHER_OK) {
        if (!sb->said_unreachable)
            fprintf(stderr, "usher-coord: standby: %s (trying again)\n", em.text);
        sb->said_unreachable = true;
        return false;
    }
    sb->said_unreachable = false;
    return true;
}

/* A failed call on the probe: a broken connection is opened again next time. */
static void probe_failed(coord_standby *sb, const usher_errmsg *em)
{
    if (!sb->said_unreachable)
        fprintf(stderr, "usher-coord: %s: %s (trying again)\n", sb->active ? "active" : "standby",
                em->text);
    sb->said_unreachable = true;
    coorddb_free(sb->probe);
    sb->probe = NULL;
}

/* Writes this serve's row and reads the list into the role. Returns the
 * list's active (copied into active, "" when none). */
static void refresh(coord_standby *sb, coorddb_serve_role how, int64_t now, char *active,
                    size_t size)
{
    active[0] = '\0';
    if (!probe_ready(sb))
        return;
    usher_errmsg em = {{0}};
    coord_serve list[COORD_ROLE_MAX_SERVES];
    size_t n = 0;
    if (how == COORDDB_SERVE_ALIVE && sb->active && !sb->advertised)
        how = COORDDB_SERVE_ACTIVE; /* the takeover's row is not written yet */
    bool write = how != COORDDB_SERVE_ALIVE || now - sb->last_seen >= COORD_STANDBY_SEEN_MS;
    if (write &&
        coorddb_serve_seen(sb->probe, coord_role_self(sb->cfg.role), how, now, &em) != USHER_OK) {
        probe_failed(sb, &em);
        return;
    }
    if (write)
        sb->last_seen = now;
    if (how == COORDDB_SERVE_ACTIVE)
        sb->advertised = true;
    else if (how == COORDDB_SERVE_STANDBY)
        sb->advertised = false;
    if (coorddb_serves(sb->probe, now - COORD_STANDBY_FRESH_MS, list, COORD_ROLE_MAX_SERVES, &n,
                       &em) != USHER_OK) {
        probe_failed(sb, &em);
        return;
    }
    sb->said_unreachable = false;
    coord_role_set_serves(sb->cfg.role, list, n);
    if (n && list[0].active)
        snprintf(active, size, "%s", list[0].url);
}

static void become_active(coord_standby *sb, engine *e)
{
    engine_set_recent_ops(e, sb->cfg.recent_ops);
    coord_server_set_engine(sb->cfg.srv, e);
    engine_set_notify(e, coord_server_notify, sb->cfg.srv);
    sb->engines[sb->nengines++] = e;
    sb->active = true;
    sb->advertised = false;
    char active[COORD_URL_SIZE];
    refresh(sb, COORDDB_SERVE_ACTIVE, timestamp_now_ms(), active, sizeof active);
    coord_role_set(sb->cfg.role, COORD_ROLE_ACTIVE);
}

/* Standby: one try of the lock; on success the probe's connection (holding
 * the lock) becomes the engine's. */
static void try_takeover(coord_standby *sb)
{
    if (!probe_ready(sb) || sb->nengines == MAX_ENGINES)
        return;
    usher_errmsg em = {{0}};
    usher_err err = coorddb_lock(sb->probe, &em);
    if (err == USHER_BUSY)
        return;
    if (err) {
        probe_failed(sb, &em);
        return;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    engine *e = NULL;
    err = engine_open_db(sb->db_path, &sb->probe, sb->cfg.reseat, NULL, NULL, &e, &em);
    if (err) { /* the probe went with it (and the lock): try again */
        fprintf(stderr, "usher-coord: standby: took the lock but cannot load the state: %s\n",
                em.text);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    become_active(sb, e);
    fprintf(stderr, "usher-coord: took over: active now, state loaded in %.0f ms\n",
            (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
}

/* Active: stays so while its engine holds the lock and the list names no
 * other active. Else a standby from now: the engine writes nothing more,
 * event streams end (their devices reconnect elsewhere). */
static void check_active(coord_standby *sb, int64_t now)
{
    char active[COORD_URL_SIZE];
    refresh(sb, COORDDB_SERVE_ALIVE, now, active, sizeof active);
    engine *e = current(sb);
    bool lost = engine_lock_lost(e);
    bool other = sb->advertised && active[0] && strcmp(active, coord_role_self(sb->cfg.role)) != 0;
    if (!lost && !other)
        return;
    engine_retire(e, "another 'usher-coord serve' took the database over; this one is a "
                     "standby now");
    sb->active = false;
    coord_role_set(sb->cfg.role, COORD_ROLE_STANDBY);
    coord_server_end_streams(sb->cfg.srv);
    fprintf(stderr,
            "usher-coord: another serve%s%s took the database over (%s): standby now, "
            "writing nothing\n",
            other ? " at " : "", other ? active : "",
            lost ? "this one's PostgreSQL session was lost" : "the list of serves says so");
    refresh(sb, COORDDB_SERVE_STANDBY, now, active, sizeof active);
}

static void *standby_main(void *arg)
{
    coord_standby *sb = arg;
    prctl(PR_SET_NAME, "coord-standby", 0, 0, 0);
    pthread_mutex_lock(&sb->mu);
    while (!sb->stop) {
        pthread_mutex_unlock(&sb->mu);
        int64_t now = timestamp_now_ms();
        if (sb->active) {
            check_active(sb, now);
        } else {
            char active[COORD_URL_SIZE];
            refresh(sb, COORDDB_SERVE_ALIVE, now, active, sizeof active);
            try_takeover(sb);
        }
        pthread_mutex_lock(&sb->mu);
        if (sb->stop)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = until.tv_nsec + (int64_t)COORD_STANDBY_TRY_MS * 1000000;
        until.tv_sec += ns / 1000000000;
        until.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&sb->cond, &sb->mu, &until);
    }
    pthread_mutex_unlock(&sb->mu);
    return NULL;
}

usher_err coord_standby_start(const coord_standby_config *cfg, engine *e, coorddb **probe,
                              coord_standby **out, usher_errmsg *em)
{
    coord_standby *sb = calloc(1, sizeof *sb);
    if (!sb)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    sb->cfg = *cfg;
    snprintf(sb->db_path, sizeof sb->db_path, "%s", cfg->db_path);
    snprintf(sb->event_id, sizeof sb->event_id, "%s", cfg->event_id ? cfg->event_id : "");
    pthread_mutex_init(&sb->mu, NULL);
    pthread_cond_init(&sb->cond, NULL);
    if (probe) {
        sb->probe = *probe;
        *probe = NULL;
    }
    if (e) {
        engine_set_notify(e, coord_server_notify, cfg->srv);
        sb->engines[sb->nengines++] = e;
        sb->active = true;
        char active[COORD_URL_SIZE];
        refresh(sb, COORDDB_SERVE_ACTIVE, timestamp_now_ms(), active, sizeof active);
        coord_role_set(cfg->role, COORD_ROLE_ACTIVE);
    } else {
        coord_role_set(cfg->role, COORD_ROLE_STANDBY);
        char active[COORD_URL_SIZE]; /* named from the first answer on */
        refresh(sb, COORDDB_SERVE_ALIVE, timestamp_now_ms(), active, sizeof active);
    }
    if (pthread_create(&sb->thread, NULL, standby_main, sb) != 0) {
        sb->nengines = 0; /* the caller keeps e */
        coord_standby_free(sb);
        return usher_fail(em, USHER_IO, "cannot start a thread: %s", strerror(errno));
    }
    *out = sb;
    return USHER_OK;
}

void coord_standby_halt(coord_standby *sb)
{
    if (!sb)
        return;
    pthread_mutex_lock(&sb->mu);
    bool running = !sb->stop;
    sb->stop = true;
    pthread_cond_signal(&sb->cond);
    pthread_mutex_unlock(&sb->mu);
    if (running)
        pthread_join(sb->thread, NULL);
    for (size_t i = 0; i < sb->nengines; i++)
        engine_set_notify(sb->engines[i], NULL, NULL);
}

void coord_standby_free(coord_standby *sb)
{
    if (!sb)
        return;
    for (size_t i = 0; i < sb->nengines; i++)
        engine_free(sb->engines[i]);
    coorddb_free(sb->probe);
    pthread_cond_destroy(&sb->cond);
    pthread_mutex_destroy(&sb->mu);
    free(sb);
}

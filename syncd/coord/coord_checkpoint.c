/* coord_checkpoint.c - the SQLite write-ahead log copied into the database
 * on a thread and connection of its own, so that the committer never waits
 * for it between two groups. */
#include "coord_engine__internal.h"

#include <stdio.h>
#include <sys/prctl.h>
#include <time.h>

#include "timestamp.h"

/* Keeps the write-ahead log short without stalling commits. The checkpointer
 * thread copies the log into the database (at most every CKPT_INTERVAL_MS
 * while the log holds CKPT_FRAMES or more). The log restarts from its
 * beginning, instead of growing, only when it was wholly copied at the moment
 * a write begins, which a busy committer never gives the checkpointer: so
 * the committer copies the rest itself (little: the checkpointer keeps up)
 * when it has nothing queued and the log holds CKPT_IDLE_FRAMES, or in any
 * case past CKPT_WRITER_FRAMES (committer thread only). */
void checkpoint_if_due(engine *e)
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

/* Opens the checkpointer's own connection and starts its thread. Without them
 * (they failed) the writer checkpoints as SQLite does by default. */
void checkpoint_start(engine *e, const char *db_path)
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

void checkpoint_stop(engine *e)
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

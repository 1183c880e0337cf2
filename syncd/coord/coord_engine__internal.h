/* coord_engine__internal.h - the engine's own insides, shared by the files
 * of its jobs and by no one else: coord_engine.c (open, close, reads, the
 * organiser's changes while serving), coord_committer.c (the one writer: group
 * commit), coord_checkpoint.c (the SQLite log copied in the background),
 * coord_ring.c (recent changes for pulls and event streams), coord_tokens.c
 * (bearer tokens checked once and cached), coord_health.c (devices seen,
 * clock skew, counters). Include coord_engine.h instead anywhere else. */
#ifndef USHER_COORD_ENGINE_INTERNAL_H
#define USHER_COORD_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "coord_engine.h"
#include "protocol.h"

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

/* coord_ring.c: puts one change into the ring (committer thread). */
void ring_put(engine *e, const change *c);
/* coord_ring.c: fills req's pulled changes after its cursor, from the ring
 * or the database (committer thread). */
void ring_pull(engine *e, engine_req *req);
/* coord_ring.c: puts the changes after `before` into the ring, in order, then
 * wakes the listeners (committer thread). */
void ring_publish(engine *e, coorddb *db, int64_t before);
/* coord_committer.c: the committer thread's body. */
void *committer_main(void *arg);
/* coord_committer.c: from now on every op is refused (503). */
void engine_break(engine *e, const char *why);
/* coord_health.c: stores devices seen since the last flush (committer thread;
 * at most every DEVICE_FLUSH_MS unless forced). */
void health_flush(engine *e, int64_t now, bool force);
/* coord_checkpoint.c: asks for a checkpoint when the log has grown, or does
 * it on the committer when it must (committer thread). */
void checkpoint_if_due(engine *e);
/* coord_checkpoint.c: its own connection and thread (SQLite only). */
void checkpoint_start(engine *e, const char *db_path);
void checkpoint_stop(engine *e);

#endif

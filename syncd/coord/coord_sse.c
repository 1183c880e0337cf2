/* coord_sse.c - the coordinator's event streams (Server-Sent Events): slots,
 * the watcher thread, streams written straight to their sockets as HTTP/1.1
 * chunks, partial writes, batched wakes, keep-alives and resets. */
#include "coord_sse.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "coord_sse_plan.h"
#include "protocol.h"
#include "text.h"
#include "timestamp.h"

/* A stream whose keep-alives go unacknowledged this long is dead (a device
 * that lost power sends no FIN): the kernel ends it, freeing its slot. */
#define STREAM_USER_TIMEOUT_MS 45000
#define WAKE_KEY UINT64_MAX /* the watcher's eventfd in its epoll set */
/* The kernel's send buffer of a stream written by the watcher: a listener
 * slow to read keeps its backlog in the ring (one copy for everyone), not
 * in a kernel buffer of its own that grows to megabytes. */
#define STREAM_SNDBUF (64 * 1024)
/* HTTP worker threads told apart; a stream started on a thread beyond them
 * (never, with libmicrohttpd's pool) is paced in the last one's queue. */
#define MAX_WORKERS 16
/* libmicrohttpd's buffer for a stream's body, and the watcher's for a chunk. */
#define STREAM_BLOCK (16 * 1024)

typedef struct sse_conn {
    struct MHD_Connection *mc;
    coord_sse *hub;
    int64_t sent;          /* last seq written */
    int64_t last_write_ms; /* for keep-alives */
    bool suspended, keepalive_due, reset_sent;
    bool closing; /* the client hung up: end the stream */
    bool queued;  /* in the wake queue */
    bool paced;   /* woken from the queue: counted in its worker's in_flight */
    bool direct;  /* plain HTTP/1.1 and watched: written by the watcher once its head is out */
    bool owned;   /* direct, and suspended with nothing owed: its socket is the watcher's */
    char *pend;   /* owned: chunk bytes the socket did not take yet (EPOLLOUT asked) */
    size_t pend_len, pend_off;
    uint8_t worker;     /* index in the hub's workers */
    int64_t resumed_ms; /* when paced: when it was woken */
    struct sse_conn *qprev, *qnext;
    int fd; /* watched for the client's hang-up (and owned: writable); -1 once not */
    uint32_t slot;
    char device[USHER_DEVICE_SIZE];
    struct sse_conn *prev, *next;
} sse_conn;

/* A stream's place in the watcher's table: epoll events carry the slot and
 * its generation, so an event for a stream already gone is recognised. */
typedef struct sse_slot {
    sse_conn *c;
    uint32_t gen;
    uint32_t next_free;
} sse_slot;

/* One HTTP worker thread's streams waiting to be woken, in order, and how
 * many of its streams are woken but not yet suspended again. */
typedef struct sse_worker {
    pthread_t tid;
    sse_conn *qhead, *qtail;
    unsigned in_flight;
} sse_worker;

struct coord_sse {
    _Atomic(engine *) e; /* replaced when a standby takes over */
    limits *lim;
    bool tls;
    void (*tick)(void *ctx, int64_t now);
    void *tick_ctx;
    pthread_mutex_t hub_lock;
    sse_conn *streams;
    size_t nstreams;
    sse_worker workers[MAX_WORKERS];
    unsigned nworkers;          /* seen so far */
    _Atomic int64_t notify_seq; /* the last commit's seq, for the watcher */
    atomic_bool stopping;       /* set under hub_lock */
    sse_slot *slots;            /* limits' max_streams of them */
    uint32_t nslots, free_slot;
    int watch_fd, wake_fd;        /* the watcher thread's epoll set and its eventfd */
    bool started;                 /* watch_thread runs */
    char wbuf[STREAM_BLOCK + 32]; /* the watcher's chunk being written (hub_lock held) */
    pthread_t watch_thread;
};

/* ---- waking streams, a few at a time (hub_lock held) --------------------- */

/* Streams are woken per HTTP worker thread (the thread that owns their
 * connection), in batches (SSE_BATCH). libmicrohttpd 0.9.75 looks for resumed
 * connections by walking every suspended connection of the thread, once per
 * pass of its event loop: a stream woken alone costs a walk of thousands, a
 * batch costs one walk. A thread then writes at most a batch before it looks
 * at its other sockets again, so a sync arriving during a fan-out waits for a
 * batch, not for every stream. A batch is refilled once it is down to a
 * quarter (a slow stream still being written does not hold the others back);
 * a stream still being written after SSE_SLOW_MS is no longer counted
 * (coord_sse_plan.h). */

/* The index of the calling HTTP worker thread (hub_lock held). */
static uint8_t worker_index(coord_sse *h)
{
    pthread_t self = pthread_self();
    for (unsigned i = 0; i < h->nworkers; i++)
        if (pthread_equal(h->workers[i].tid, self))
            return (uint8_t)i;
    if (h->nworkers == MAX_WORKERS)
        return MAX_WORKERS - 1;
    h->workers[h->nworkers].tid = self;
    return (uint8_t)h->nworkers++;
}

static void queue_stream(coord_sse *h, sse_conn *c)
{
    if (c->queued)
        return;
    sse_worker *w = &h->workers[c->worker];
    c->queued = true;
    c->qnext = NULL;
    c->qprev = w->qtail;
    if (w->qtail)
        w->qtail->qnext = c;
    else
        w->qhead = c;
    w->qtail = c;
}

static void unqueue_stream(coord_sse *h, sse_conn *c)
{
    if (!c->queued)
        return;
    sse_worker *w = &h->workers[c->worker];
    if (c->qprev)
        c->qprev->qnext = c->qnext;
    else
        w->qhead = c->qnext;
    if (c->qnext)
        c->qnext->qprev = c->qprev;
    else
        w->qtail = c->qprev;
    c->queued = false;
}

/* c no longer counts against its worker's batch. */
static void unpace(coord_sse *h, sse_conn *c)
{
    if (c->paced) {
        c->paced = false;
        h->workers[c->worker].in_flight--;
    }
}

/* Resumes c if suspended; paced: it counts against its worker's batch until
 * it is suspended again. */
static void resume_stream(coord_sse *h, sse_conn *c, bool paced)
{
    unqueue_stream(h, c);
    if (!c->suspended)
        return; /* being written: it reads every change since c->sent anyway */
    c->suspended = false;
    if (paced) {
        c->paced = true;
        c->resumed_ms = timestamp_mono_ms();
        h->workers[c->worker].in_flight++;
    }
    MHD_resume_connection(c->mc);
}

/* Refills worker w's batch from its queue once the batch is down to
 * SSE_REFILL: the whole refill is one pass of w's event loop. */
static void pump_worker(coord_sse *h, sse_worker *w)
{
    unsigned target = w->in_flight + sse_batch_refill(w->in_flight);
    while (w->in_flight < target && w->qhead)
        resume_stream(h, w->qhead, true);
}

static void pump_streams(coord_sse *h)
{
    for (unsigned i = 0; i < h->nworkers; i++)
        pump_worker(h, &h->workers[i]);
}

/* c is done for now (suspended, or ending): its worker's batch may refill. */
static void stream_landed(coord_sse *h, sse_conn *c)
{
    unpace(h, c);
    pump_worker(h, &h->workers[c->worker]);
}

/* What c receives next, at most max bytes into buf (hub_lock held): the
 * changes after c->sent, a reset when it is too far behind the ring or ahead
 * of the log, or a keep-alive comment when one is due; 0 when nothing. */
static size_t stream_next(coord_sse *h, sse_conn *c, char *buf, size_t max)
{
    int n = 0;
    int64_t next = c->sent;
    /* A Last-Event-ID ahead of the log comes from another database (the
     * event was re-created): resync like a listener too far behind. */
    long got =
        c->sent > engine_last_seq(h->e) ? -1 : engine_events_since(h->e, c->sent, buf, max, &next);
    if (got < 0) {
        /* Too far behind for the ring, or ahead of it: tell the listener to resync. */
        int64_t last = engine_last_seq(h->e);
        n = (ssize_t)proto_sse_reset(last, buf, max);
        c->sent = last;
    } else if (got > 0) {
        c->sent = next;
        c->keepalive_due = false;
        return (size_t)got;
    } else if (c->keepalive_due) {
        n = (ssize_t)proto_sse_keepalive(buf, max);
    }
    c->keepalive_due = false;
    return n > 0 && (size_t)n < max ? (size_t)n : 0;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    sse_conn *c = cls;
    coord_sse *h = c->hub;
    pthread_mutex_lock(&h->hub_lock);
    if (h->stopping || c->closing) {
        pthread_mutex_unlock(&h->hub_lock);
        /* Stopping, or the client is gone: end the stream now, freeing its
         * slot (a clean end: an error would be logged for every device that
         * goes away). */
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = stream_next(h, c, buf, max);
    if (n > 0) {
        c->last_write_ms = timestamp_mono_ms();
    } else {
        /* Nothing owed, and libmicrohttpd asks only once it has sent all it
         * was given: a direct stream's socket is the watcher's from now on. */
        c->suspended = true;
        if (c->direct && !c->owned) {
            c->owned = true;
            /* Each chunk leaves at once, whatever libmicrohttpd last set. */
            int on = 1, off = 0, sndbuf = STREAM_SNDBUF;
            setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
            setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
            setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        }
        MHD_suspend_connection(c->mc);
        stream_landed(h, c);
    }
    pthread_mutex_unlock(&h->hub_lock);
    return (ssize_t)n;
}

/* Stops watching c's socket (hub_lock held). MHD closes the socket only
 * after the stream's response is freed, so the descriptor is still c's. */
static void sse_unwatch(coord_sse *h, sse_conn *c)
{
    if (c->fd < 0)
        return;
    epoll_ctl(h->watch_fd, EPOLL_CTL_DEL, c->fd, NULL);
    c->fd = -1;
}

/* The client of c is gone (or misbehaves): end the stream at once, through
 * libmicrohttpd, which frees its slot (hub_lock held). A chunk an owned
 * stream's socket took only part of is not finished: its client is gone. */
static void sse_end(coord_sse *h, sse_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    sse_unwatch(h, c);
    resume_stream(h, c, false);
}

/* Asks the watcher for c's socket becoming writable, or no longer. */
static void direct_want_out(coord_sse *h, sse_conn *c, bool out)
{
    sse_slot *sl = &h->slots[c->slot];
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0),
                             .data.u64 = sse_slot_key(c->slot, sl->gen)};
    if (epoll_ctl(h->watch_fd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
        sse_end(h, c);
}

/* Sends len bytes of an owned stream's chunk; what the socket does not take
 * waits in c->pend for EPOLLOUT. False when the stream cannot take more now. */
static bool direct_send(coord_sse *h, sse_conn *c, const char *p, size_t len)
{
    ssize_t w = send(c->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    size_t left = 0;
    sse_sent got = sse_chunk_sent(len, w, w < 0 ? errno : 0, &left);
    if (got == SSE_SENT_ALL)
        return true;
    if (got == SSE_SENT_GONE) {
        sse_end(h, c); /* reset by the client, or gone */
        return false;
    }
    c->pend = malloc(left);
    if (!c->pend) {
        sse_end(h, c); /* a chunk cut short cannot be carried on */
        return false;
    }
    memcpy(c->pend, p + (len - left), left);
    c->pend_len = left;
    c->pend_off = 0;
    direct_want_out(h, c, true);
    return false;
}

/* Writes an owned stream what it is due, straight to its socket as HTTP/1.1
 * chunks (libmicrohttpd's framing of the same body: it chunks every body of
 * unknown size to an HTTP/1.1 request, and has written its last chunk in
 * full before the stream became owned), until it is caught up or its socket
 * is full (hub_lock held). */
static void direct_write(coord_sse *h, sse_conn *c)
{
    while (!c->closing && !c->pend) {
        char *data = h->wbuf + SSE_CHUNK_HEAD;
        size_t n = stream_next(h, c, data, sse_chunk_room(sizeof h->wbuf));
        size_t len;
        char *chunk = n ? sse_chunk_frame(data, n, &len) : NULL;
        if (!chunk)
            return;
        c->last_write_ms = timestamp_mono_ms();
        if (!direct_send(h, c, chunk, len) || c->sent >= engine_last_seq(h->e))
            return; /* caught up (the usual case: one look at the ring, not two) */
    }
}

/* An owned stream's socket took more: the rest of its chunk, then whatever
 * it is due meanwhile (hub_lock held). */
static void direct_flush(coord_sse *h, sse_conn *c)
{
    if (!c->pend)
        return;
    size_t len = c->pend_len - c->pend_off, left = 0;
    ssize_t w = send(c->fd, c->pend + c->pend_off, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    sse_sent got = sse_chunk_sent(len, w, w < 0 ? errno : 0, &left);
    if (got == SSE_SENT_GONE) {
        sse_end(h, c);
        return;
    }
    if (got == SSE_SENT_PART) {
        c->pend_off += len - left;
        return;
    }
    free(c->pend);
    c->pend = NULL;
    direct_want_out(h, c, false);
    direct_write(h, c);
}

static void sse_free(void *cls)
{
    sse_conn *c = cls;
    coord_sse *h = c->hub;
    pthread_mutex_lock(&h->hub_lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->streams = c->next;
    if (c->next)
        c->next->prev = c->prev;
    h->nstreams--;
    sse_unwatch(h, c);
    unqueue_stream(h, c);
    stream_landed(h, c);
    sse_slot *sl = &h->slots[c->slot];
    sl->c = NULL;
    sl->gen++;
    sl->next_free = h->free_slot;
    h->free_slot = c->slot;
    limits_stream_close(h->lim, c->device);
    pthread_mutex_unlock(&h->hub_lock);
    free(c->pend);
    free(c);
}

/* The watcher saw an event on the socket of the stream in slot key: writable
 * again (an owned stream), or the client hung up (or sent anything, which a
 * listener never does): then the stream ends at once. */
static void sse_event(coord_sse *h, uint64_t key, uint32_t events)
{
    uint32_t slot, gen;
    sse_slot_of_key(key, &slot, &gen);
    pthread_mutex_lock(&h->hub_lock);
    sse_conn *c = slot < h->nslots && h->slots[slot].gen == gen ? h->slots[slot].c : NULL;
    if (c && (events & ~(uint32_t)EPOLLOUT))
        sse_end(h, c);
    else if (c && c->owned && !c->closing)
        direct_flush(h, c);
    pthread_mutex_unlock(&h->hub_lock);
}

/* What wake_streams does for one stream (hub_lock held). */
static void wake_one(coord_sse *h, sse_conn *c, bool keepalive, int64_t last_seq, int64_t now)
{
    if (keepalive && c->paced && sse_batch_slow(c->resumed_ms, now))
        unpace(h, c); /* a slow reader: the rest of its batch goes on */
    if (keepalive && !sse_keepalive_due(c->last_write_ms, now))
        return;
    if (!keepalive && c->sent >= last_seq)
        return;
    c->keepalive_due |= keepalive;
    if (c->owned)
        direct_write(h, c);
    else if (c->suspended)
        queue_stream(h, c);
}

/* Wakes streams: those behind last_seq (a commit), or those due a keep-alive
 * (keepalive): owned ones written here, the others through their worker's
 * queue; when stopping, every one at once. The lock is let go every few
 * streams, so a stream opening or closing, or a worker's stream being
 * written, waits for a few sends, not for all of them. */
static void wake_streams(coord_sse *h, bool keepalive, int64_t last_seq)
{
    int64_t now = timestamp_mono_ms();
    pthread_mutex_lock(&h->hub_lock);
    if (h->stopping) {
        for (sse_conn *c = h->streams; c; c = c->next)
            resume_stream(h, c, false);
        pthread_mutex_unlock(&h->hub_lock);
        return;
    }
    for (uint32_t i = 0; i < h->nslots; i++) {
        if (i % 32 == 31) {
            pump_streams(h);
            pthread_mutex_unlock(&h->hub_lock);
            pthread_mutex_lock(&h->hub_lock);
            if (h->stopping)
                break;
        }
        if (h->slots[i].c)
            wake_one(h, h->slots[i].c, keepalive, last_seq, now);
    }
    pump_streams(h);
    pthread_mutex_unlock(&h->hub_lock);
}

/* Called by the committer after a commit: the watcher thread wakes the
 * streams, so the committer goes on with the next group at once. */
void coord_sse_notify(coord_sse *h, int64_t last_seq)
{
    int64_t seen = atomic_load(&h->notify_seq);
    while (seen < last_seq && !atomic_compare_exchange_weak(&h->notify_seq, &seen, last_seq))
        ;
    uint64_t one = 1;
    ssize_t w = write(h->wake_fd, &one, sizeof one);
    (void)w;
}

bool coord_sse_stopping(coord_sse *h)
{
    return atomic_load(&h->stopping);
}

/* The watcher thread: streams' hang-ups as they happen; once a second,
 * keep-alives and the tick (the server's deadlines). */
static void *watch_loop(void *arg)
{
    coord_sse *h = arg;
    struct epoll_event ev[256];
    int64_t next_tick = timestamp_mono_ms() + 1000;
    int64_t woken_seq = 0; /* the last commit the streams were woken for */
    while (!coord_sse_stopping(h)) {
        int64_t wait = next_tick - timestamp_mono_ms();
        int n = epoll_wait(h->watch_fd, ev, 256, wait < 0 ? 0 : wait > 1000 ? 1000 : (int)wait);
        for (int i = 0; i < n; i++) {
            if (ev[i].data.u64 == WAKE_KEY) {
                uint64_t v;
                ssize_t got = read(h->wake_fd, &v, sizeof v);
                (void)got;
                int64_t seq = atomic_load(&h->notify_seq);
                if (seq != woken_seq && !coord_sse_stopping(h)) {
                    wake_streams(h, false, seq);
                    woken_seq = seq;
                }
            } else {
                sse_event(h, ev[i].data.u64, ev[i].events);
            }
        }
        int64_t now = timestamp_mono_ms();
        if (now >= next_tick && !coord_sse_stopping(h)) {
            wake_streams(h, true, 0);
            if (h->tick)
                h->tick(h->tick_ctx, now);
            next_tick = now + 1000;
        }
    }
    return NULL;
}

enum MHD_Result coord_sse_open(coord_sse *h, struct MHD_Connection *mc, const coord_device *dev,
                               bool http11, limit_kind *refused)
{
    /* Every dashboard open shares the organisers' token: only devices are capped. */
    *refused = limits_stream_open(h->lim, dev->id, dev->role != ROLE_ADMIN);
    if (*refused != LIMIT_NONE)
        return MHD_NO;
    sse_conn *c = calloc(1, sizeof *c);
    if (!c) {
        limits_stream_close(h->lim, dev->id);
        return MHD_NO;
    }
    c->mc = mc;
    c->hub = h;
    c->fd = -1;
    text_copy(c->device, sizeof c->device, dev->id);
    c->last_write_ms = timestamp_mono_ms();
    const char *last = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Last-Event-ID");
    if (!last)
        last = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "last_event_id");
    int64_t from = 0;
    if (proto_sse_last_id_parse(last, &from))
        c->sent = from;
    else
        c->sent = engine_last_seq(h->e); /* a new listener starts from now */
    c->keepalive_due = true;             /* an opening comment flushes the headers */
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, sse_read, c, sse_free);
    if (!resp) {
        limits_stream_close(h->lim, c->device);
        free(c);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd = ci ? ci->connect_fd : -1;
    if (fd >= 0) {
        unsigned ut = STREAM_USER_TIMEOUT_MS;
        setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof ut);
    }
    pthread_mutex_lock(&h->hub_lock);
    c->worker = worker_index(h); /* handlers run on the connection's own thread */
    /* limits_stream_open admitted it, so a slot is free. */
    c->slot = h->free_slot;
    sse_slot *sl = &h->slots[c->slot];
    h->free_slot = sl->next_free;
    sl->c = c;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
                             .data.u64 = sse_slot_key(c->slot, sl->gen)};
    if (fd >= 0 && epoll_ctl(h->watch_fd, EPOLL_CTL_ADD, fd, &ev) == 0)
        c->fd = fd;
    /* libmicrohttpd holds a TLS session's state, and frames an HTTP/1.0 body
     * by closing: only a plain HTTP/1.1 stream is written by the watcher. */
    c->direct = !h->tls && c->fd >= 0 && http11;
    c->next = h->streams;
    if (h->streams)
        h->streams->prev = c;
    h->streams = c;
    h->nstreams++;
    pthread_mutex_unlock(&h->hub_lock);
    /* From here on sse_free (with the response) undoes all of the above. */
    enum MHD_Result ret = MHD_queue_response(mc, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- lifecycle ---------------------------------------------------------- */

usher_err coord_sse_new(const coord_sse_config *cfg, engine *e, coord_sse **out, usher_errmsg *em)
{
    coord_sse *h = calloc(1, sizeof *h);
    if (!h)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    atomic_init(&h->e, e);
    h->lim = cfg->lim;
    h->tls = cfg->tls;
    h->tick = cfg->tick;
    h->tick_ctx = cfg->tick_ctx;
    pthread_mutex_init(&h->hub_lock, NULL);
    h->nslots = cfg->max_streams;
    h->slots = calloc(h->nslots ? h->nslots : 1, sizeof *h->slots);
    h->watch_fd = epoll_create1(EPOLL_CLOEXEC);
    h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event wev = {.events = EPOLLIN, .data.u64 = WAKE_KEY};
    if (!h->slots || h->watch_fd < 0 || h->wake_fd < 0 ||
        epoll_ctl(h->watch_fd, EPOLL_CTL_ADD, h->wake_fd, &wev) != 0) {
        usher_err err = usher_fail(em, USHER_NOMEM, "cannot set up the event-stream watcher: %s",
                                   strerror(errno));
        coord_sse_free(h);
        return err;
    }
    for (uint32_t i = 0; i < h->nslots; i++)
        h->slots[i].next_free = i + 1;
    *out = h;
    return USHER_OK;
}

usher_err coord_sse_start(coord_sse *h, usher_errmsg *em)
{
    if (pthread_create(&h->watch_thread, NULL, watch_loop, h) != 0)
        return usher_fail(em, USHER_IO, "cannot start a thread");
    h->started = true;
    return USHER_OK;
}

void coord_sse_set_engine(coord_sse *h, engine *e)
{
    atomic_store(&h->e, e);
}

void coord_sse_end_all(coord_sse *h)
{
    pthread_mutex_lock(&h->hub_lock);
    for (sse_conn *c = h->streams; c; c = c->next) {
        c->closing = true;
        resume_stream(h, c, false);
    }
    pthread_mutex_unlock(&h->hub_lock);
}

void coord_sse_stop(coord_sse *h)
{
    pthread_mutex_lock(&h->hub_lock);
    h->stopping = true;
    pthread_mutex_unlock(&h->hub_lock);
    uint64_t one = 1;
    ssize_t w = write(h->wake_fd, &one, sizeof one);
    (void)w;
    if (h->started)
        pthread_join(h->watch_thread, NULL);
    h->started = false;
}

size_t coord_sse_count(coord_sse *h)
{
    pthread_mutex_lock(&h->hub_lock);
    size_t n = h->nstreams;
    pthread_mutex_unlock(&h->hub_lock);
    return n;
}

void coord_sse_free(coord_sse *h)
{
    if (!h)
        return;
    if (h->started)
        coord_sse_stop(h);
    if (h->watch_fd >= 0)
        close(h->watch_fd);
    if (h->wake_fd >= 0)
        close(h->wake_fd);
    free(h->slots);
    pthread_mutex_destroy(&h->hub_lock);
    free(h);
}

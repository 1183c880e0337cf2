/* coord_sse.h - the coordinator's event streams (Server-Sent Events on
 * GET /v1/events), for coord_http.c only: the streams' slots, the watcher
 * thread that writes a plain HTTP/1.1 stream straight to its socket once
 * libmicrohttpd has sent its head, partial writes, wakes in batches per HTTP
 * worker thread, keep-alives and resets. The HTTP core calls this module;
 * this module knows nothing of the core but the tick it is given. */
#ifndef USHER_COORD_SSE_H
#define USHER_COORD_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "coord_engine.h"
#include "coord_limits.h"
#include "error.h"

typedef struct coord_sse coord_sse;

typedef struct coord_sse_config {
    uint32_t max_streams; /* slots: limits' max_streams (it admits no more) */
    bool tls;             /* streams go through libmicrohttpd (it holds the TLS session) */
    limits *lim;          /* borrowed: every stream's open and close is counted there */
    /* Called on the watcher thread once a second, after the keep-alives
     * (the server's connection deadlines); may be NULL. */
    void (*tick)(void *ctx, int64_t now);
    void *tick_ctx;
} coord_sse_config;

/* Makes the streams' hub: slots, the watcher's epoll set and eventfd; the
 * watcher thread starts with coord_sse_start. e is borrowed (NULL for a
 * standby until coord_sse_set_engine). Freed with coord_sse_free. */
usher_err coord_sse_new(const coord_sse_config *cfg, engine *e, coord_sse **out,
                        usher_errmsg *em) USHER_MUST_CHECK;

/* Starts the watcher thread. */
usher_err coord_sse_start(coord_sse *h, usher_errmsg *em) USHER_MUST_CHECK;

/* The engine the streams read their changes from (borrowed). */
void coord_sse_set_engine(coord_sse *h, engine *e);

/* Opens a stream on mc for dev (an HTTP/1.1 request: http11) and queues its
 * response, returning what MHD_queue_response did. *refused is set to the
 * limit that refuses it (then nothing is queued and the caller answers), or
 * to LIMIT_NONE. The organisers' streams (ROLE_ADMIN: every dashboard shares
 * one token) are not capped per device. */
enum MHD_Result coord_sse_open(coord_sse *h, struct MHD_Connection *mc, const coord_device *dev,
                               bool http11, limit_kind *refused);

/* Wakes the streams behind last_seq (the engine's on_commit, through the
 * server): the watcher does it, so the committer goes on at once. */
void coord_sse_notify(coord_sse *h, int64_t last_seq);

/* Ends every stream now (their clients reconnect). */
void coord_sse_end_all(coord_sse *h);

/* Stops the watcher thread (joined); every stream ends at its next write.
 * coord_sse_stopping is true from here on. */
void coord_sse_stop(coord_sse *h);
bool coord_sse_stopping(coord_sse *h);

/* Streams open: libmicrohttpd has not freed their responses yet. */
size_t coord_sse_count(coord_sse *h);

/* Frees the hub once libmicrohttpd is stopped (no stream left); NULL is a
 * no-op. */
void coord_sse_free(coord_sse *h);

#endif

/* coord_http.h - usher-coord's HTTP server (libmicrohttpd): routing, request
 * bodies, bearer-token roles, JSON errors, static dashboard files, the event
 * stream (its streams in coord_sse.c), and requests that wait for the
 * committer without holding a thread. */
#ifndef USHER_COORD_HTTP_H
#define USHER_COORD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "coord_engine.h"
#include "coord_limits.h"
#include "coord_role.h"
#include "error.h"

typedef struct coord_server coord_server;
struct http_request;
struct http_reply;

typedef struct coord_server_config {
    const char *listen;  /* "127.0.0.1:8080" (port 0 = any free port) */
    const char *web_dir; /* the dashboard's static files */
    unsigned threads;    /* HTTP worker threads */
    /* https: the certificate chain and private key, PEM text (both or
     * neither; borrowed until coord_server_stop). NULL: plain http. */
    const char *tls_cert_pem, *tls_key_pem;
    /* Connection and event-stream limits (limits_config_default for the
     * defaults). Fitted to the open-file limit at start (coord_limits.h),
     * whose soft value is raised to the hard one first. */
    limits_config limits;
    /* Changes a snapshot page holds (coord_snapshot.h; 0 = SNAP_PAGE_DEFAULT). */
    size_t snapshot_page;
    /* The routes: fills r for a request this server does not answer itself
     * (everything but the event stream, static files and refusals), or
     * submits it to the engine. usher-coord gives coord_api_dispatch; the
     * server knows no route of the API, so the API's file may use this one's
     * helpers below without either depending on the other both ways. */
    void (*api)(struct http_request *req, struct http_reply *r);
    /* A device's printer failing this long is an alert (coord_printers.h;
     * 0 = COORD_PRINTER_ALERT_MS). */
    int64_t printer_alert_ms;
    /* This serve's part (borrowed until coord_server_stop; NULL = always
     * active, the engine given at start). While it is not active, every
     * request under /v1/ is refused 503 "standby" with the active's address
     * (body, X-Usher-Active, Retry-After), /healthz answers 503 role
     * standby, and the dashboard's files are served. */
    coord_role *role;
} coord_server_config;

/* Starts serving; engine is borrowed. e may be NULL for a standby: it is
 * given later with coord_server_set_engine, before the role turns active. */
usher_err coord_server_start(const coord_server_config *cfg, engine *e, coord_server **out,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* The engine to serve from (borrowed; it must outlive the server, or be
 * replaced first while the role is standby). Set it before turning the role
 * active. */
void coord_server_set_engine(coord_server *s, engine *e);

/* Ends every event stream now (their devices reconnect: after a demotion,
 * to the new active). */
void coord_server_end_streams(coord_server *s);

/* The port actually bound. */
unsigned coord_server_port(coord_server *s);

/* Wakes event-stream listeners after a commit (engine's on_commit). */
void coord_server_notify(void *server, int64_t last_seq);

/* Stops listening, ends event streams and frees; NULL is a no-op. */
void coord_server_stop(coord_server *s);

/* ---- for the routes (coord_api.c) -------------------------------------- */

/* What a handler answers. body is malloc'd (freed by the server). */
typedef struct http_reply {
    unsigned status;
    const char *type; /* content type; NULL = application/json */
    char *body;
    size_t len;
    const char *disposition;     /* Content-Disposition, or NULL */
    unsigned retry_after;        /* seconds for a Retry-After header; 0 = none */
    bool close;                  /* Connection: close (the connection ends after it) */
    const char *encoding;        /* Content-Encoding of body ("gzip"), or NULL: send_reply
                                  * gzips a large JSON or CSV body for a client that takes it */
    char active[COORD_URL_SIZE]; /* an X-Usher-Active header (a standby's refusal), or "" */
    bool any_origin;             /* Access-Control-Allow-Origin: * (public answers only) */
} http_reply;

/* A request as handlers see it. */
typedef struct http_request {
    const char *method;
    const char *path; /* without the query */
    const char *body;
    size_t len;
    bool body_too_big;
    coord_device dev; /* the authenticated device */
    struct MHD_Connection *mc;
    engine *e;
    coord_role *role;                       /* NULL: always active */
    struct snapcache *snaps;                /* the snapshot's pages, built once per cursor */
    struct coord_printers *printers;        /* the devices' printers, as their syncs report them */
    struct coord_entrance_cache *entrances; /* the entrances and the doors' (coord_entrance.h) */
    void *conn;                             /* the server's per-connection state */
} http_request;

/* True when the request's Accept-Encoding takes gzip. */
bool http_accepts_gzip(const http_request *req);

/* Sets an error reply {"error": code, "message": ...}. */
void http_error(http_reply *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Sets a JSON reply, stealing the reference to j. */
void http_json(http_reply *r, unsigned status, json_t *j);
/* The server's connection and stream counts and the limits in force (after
 * fitting them to the open-file limit), for /metrics. */
void http_limits_stats(const http_request *req, limits_stats *out, limits_config *cfg);
/* A query argument or NULL. */
const char *http_query(const http_request *req, const char *key);

/* Submits req->conn's engine request and suspends the connection until the
 * committer is done; then `finish` builds the reply. The ops array is owned
 * by the connection state from here on (freed with it). */
void http_submit(http_request *req, usher_op *ops, size_t nops, int64_t cursor,
                 void (*finish)(http_request *req, engine_req *er, http_reply *r));

/* Runs fn(db, job) on the committer thread (serialised with commits, like
 * engine_with_db) while the connection waits suspended, so that no HTTP
 * thread waits for the database; then `finish` builds the reply (er->err is
 * what fn returned). job belongs to the connection from here on: job_free(job)
 * runs when the request ends, answered or not. */
void http_submit_db(http_request *req, usher_err (*fn)(coorddb *db, void *job), void *job,
                    void (*job_free)(void *job),
                    void (*finish)(http_request *req, engine_req *er, http_reply *r));

#endif

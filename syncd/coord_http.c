/* coord_http.c - the coordinator's HTTP core on libmicrohttpd: connections, bodies,
 * authentication, routing to coord_api.c, static files and Server-Sent Events. */
#include "coord_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coord_api.h"
#include "protocol.h"
#include "text.h"
#include "timestamp.h"

#define KEEPALIVE_MS 15000
#define STATIC_MAX (8 * 1024 * 1024)

typedef struct sse_conn {
    struct MHD_Connection *mc;
    coord_server *srv;
    int64_t sent;          /* last seq written */
    int64_t last_write_ms; /* for keep-alives */
    bool suspended, keepalive_due, reset_sent;
    struct sse_conn *prev, *next;
} sse_conn;

struct coord_server {
    struct MHD_Daemon *d;
    engine *e;
    char web_dir[4096];
    unsigned port;
    pthread_mutex_t hub_lock;
    sse_conn *streams;
    size_t nstreams;
    size_t inflight; /* requests handed to the committer, not yet answered */
    bool stopping;
    pthread_t ka_thread;
    pthread_mutex_t ka_lock;
    pthread_cond_t ka_cond;
};

/* Per-connection state from the first callback to the completion callback. */
typedef struct conn_state {
    char *body;
    size_t len, cap;
    bool too_big;
    bool submitted; /* set by http_submit: the handler must not reply now */
    enum {
        PHASE_NEW,
        PHASE_AUTH_WAITING, /* the committer checks the token */
        PHASE_AUTH_READY,
        PHASE_WAITING, /* the committer runs the request */
        PHASE_READY,
        PHASE_ANSWERED
    } phase;
    coord_server *srv;
    engine_req er;
    engine_auth_job auth;
    usher_op *ops;
    void *job; /* http_submit_db's, freed with job_free */
    void (*job_free)(void *job);
    http_request req;
    void (*finish)(http_request *req, engine_req *er, http_reply *r);
} conn_state;

/* ---- replies ------------------------------------------------------------ */

void http_json(http_reply *r, unsigned status, json_t *j)
{
    r->status = status;
    r->type = "application/json";
    r->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!r->body) {
        r->status = 500;
        r->body = strdup("{\"error\":\"internal\",\"message\":\"out of memory\"}");
    }
    r->len = r->body ? strlen(r->body) : 0;
}

void http_error(http_reply *r, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    free(r->body);
    r->status = status;
    r->type = "application/json";
    r->body = proto_error_body(code, msg);
    r->len = r->body ? strlen(r->body) : 0;
}

const char *http_query(const http_request *req, const char *key)
{
    return MHD_lookup_connection_value(req->mc, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result send_reply(struct MHD_Connection *mc, http_reply *r)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    r->body = NULL;
    MHD_add_response_header(resp, "Content-Type", r->type ? r->type : "application/json");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r->disposition)
        MHD_add_response_header(resp, "Content-Disposition", r->disposition);
    enum MHD_Result ret = MHD_queue_response(mc, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- waiting for the committer without a thread ------------------------ */

static void request_done(engine_req *er)
{
    conn_state *cs = er->ctx;
    cs->phase = cs->phase == PHASE_AUTH_WAITING ? PHASE_AUTH_READY : PHASE_READY;
    MHD_resume_connection(cs->req.mc);
}

static void count_inflight(coord_server *s, int delta)
{
    pthread_mutex_lock(&s->hub_lock);
    s->inflight += (size_t)delta; /* wraps back for -1 */
    pthread_mutex_unlock(&s->hub_lock);
}

void http_submit(http_request *req, usher_op *ops, size_t nops, int64_t cursor,
                 void (*finish)(http_request *req, engine_req *er, http_reply *r))
{
    conn_state *cs = req->conn;
    cs->ops = ops;
    cs->finish = finish;
    memset(&cs->er, 0, sizeof cs->er);
    text_copy(cs->er.device, sizeof cs->er.device, req->dev.id);
    cs->er.ops = ops;
    cs->er.nops = nops;
    cs->er.cursor = cursor;
    cs->er.done = request_done;
    cs->er.ctx = cs;
    cs->phase = PHASE_WAITING;
    cs->submitted = true;
    count_inflight(cs->srv, 1);
    MHD_suspend_connection(req->mc);
    engine_submit(req->e, &cs->er);
}

void http_submit_db(http_request *req, usher_err (*fn)(coorddb *db, void *job), void *job,
                    void (*job_free)(void *job),
                    void (*finish)(http_request *req, engine_req *er, http_reply *r))
{
    conn_state *cs = req->conn;
    cs->job = job;
    cs->job_free = job_free;
    cs->finish = finish;
    memset(&cs->er, 0, sizeof cs->er);
    cs->er.db_fn = fn;
    cs->er.db_arg = job;
    cs->er.cursor = -1;
    cs->er.done = request_done;
    cs->er.ctx = cs;
    cs->phase = PHASE_WAITING;
    cs->submitted = true;
    count_inflight(cs->srv, 1);
    MHD_suspend_connection(req->mc);
    engine_submit(req->e, &cs->er);
}

/* ---- static files --------------------------------------------------------- */

static const char *mime_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return "application/octet-stream";
    if (!strcmp(dot, ".html"))
        return "text/html; charset=utf-8";
    if (!strcmp(dot, ".js"))
        return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".css"))
        return "text/css; charset=utf-8";
    if (!strcmp(dot, ".svg"))
        return "image/svg+xml";
    if (!strcmp(dot, ".png"))
        return "image/png";
    if (!strcmp(dot, ".json"))
        return "application/json";
    return "application/octet-stream";
}

/* Serves web_dir/path for GET. Paths with "..", backslashes, NULs or hidden
 * parts are refused before touching the file system. */
static void serve_static(coord_server *s, const char *path, http_reply *r)
{
    if (!strcmp(path, "/"))
        path = "/index.html";
    if (strstr(path, "..") || strchr(path, '\\') || strstr(path, "/.") || strlen(path) > 200) {
        http_error(r, 400, "bad_path", "path %.80s is not allowed", path);
        return;
    }
    for (const char *p = path; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("/._-", *p))) {
            http_error(r, 400, "bad_path", "path %.80s is not allowed", path);
            return;
        }
    char full[4400];
    snprintf(full, sizeof full, "%s%s", s->web_dir, path);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_MAX) {
        if (fd >= 0)
            close(fd);
        http_error(r, 404, "not_found", "no such page: %.80s", path);
        return;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t got = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (got != st.st_size) {
        free(buf);
        http_error(r, 500, "internal", "could not read %.80s", path);
        return;
    }
    r->status = 200;
    r->type = mime_of(path);
    r->body = buf;
    r->len = (size_t)got;
}

/* ---- Server-Sent Events ------------------------------------------------- */

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    sse_conn *c = cls;
    coord_server *s = c->srv;
    ssize_t n = 0;
    pthread_mutex_lock(&s->hub_lock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->hub_lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    int64_t next = c->sent;
    /* A Last-Event-ID ahead of the log comes from another database (the
     * event was re-created): resync like a listener too far behind. */
    long got =
        c->sent > engine_last_seq(s->e) ? -1 : engine_events_since(s->e, c->sent, buf, max, &next);
    if (got < 0) {
        /* Too far behind for the ring, or ahead of it: tell the listener to resync. */
        int64_t last = engine_last_seq(s->e);
        n = snprintf(buf, max, "id: %lld\nevent: reset\ndata: {\"seq\":%lld}\n\n", (long long)last,
                     (long long)last);
        c->sent = last;
    } else if (got > 0) {
        n = got;
        c->sent = next;
    } else if (c->keepalive_due) {
        n = snprintf(buf, max, ": keep-alive\n\n");
    }
    c->keepalive_due = false;
    if (n > 0) {
        c->last_write_ms = timestamp_mono_ms();
    } else {
        c->suspended = true;
        MHD_suspend_connection(c->mc);
    }
    pthread_mutex_unlock(&s->hub_lock);
    return n;
}

static void sse_free(void *cls)
{
    sse_conn *c = cls;
    coord_server *s = c->srv;
    pthread_mutex_lock(&s->hub_lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->streams = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nstreams--;
    pthread_mutex_unlock(&s->hub_lock);
    free(c);
}

/* Resumes suspended streams: all (keep-alive or stop) or those behind. */
static void wake_streams(coord_server *s, bool keepalive)
{
    int64_t now = timestamp_mono_ms();
    pthread_mutex_lock(&s->hub_lock);
    for (sse_conn *c = s->streams; c; c = c->next) {
        if (keepalive && !s->stopping && now - c->last_write_ms < KEEPALIVE_MS - 500)
            continue;
        if (keepalive)
            c->keepalive_due = true;
        if (c->suspended) {
            c->suspended = false;
            MHD_resume_connection(c->mc);
        }
    }
    pthread_mutex_unlock(&s->hub_lock);
}

void coord_server_notify(void *server, int64_t last_seq)
{
    (void)last_seq;
    wake_streams(server, false);
}

static void *keepalive_loop(void *arg)
{
    coord_server *s = arg;
    pthread_mutex_lock(&s->ka_lock);
    while (!s->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 1;
        pthread_cond_timedwait(&s->ka_cond, &s->ka_lock, &ts);
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->ka_lock);
        wake_streams(s, true);
        pthread_mutex_lock(&s->ka_lock);
    }
    pthread_mutex_unlock(&s->ka_lock);
    return NULL;
}

static enum MHD_Result start_stream(coord_server *s, struct MHD_Connection *mc)
{
    sse_conn *c = calloc(1, sizeof *c);
    if (!c)
        return MHD_NO;
    c->mc = mc;
    c->srv = s;
    c->last_write_ms = timestamp_mono_ms();
    const char *last = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Last-Event-ID");
    if (!last)
        last = MHD_lookup_connection_value(mc, MHD_GET_ARGUMENT_KIND, "last_event_id");
    int64_t from = 0;
    if (last && text_parse_i64(last, 0, INT64_MAX / 2, &from))
        c->sent = from;
    else
        c->sent = engine_last_seq(s->e); /* a new listener starts from now */
    c->keepalive_due = true;             /* an opening comment flushes the headers */
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sse_read, c, sse_free);
    if (!resp) {
        free(c);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    pthread_mutex_lock(&s->hub_lock);
    c->next = s->streams;
    if (s->streams)
        s->streams->prev = c;
    s->streams = c;
    s->nstreams++;
    pthread_mutex_unlock(&s->hub_lock);
    enum MHD_Result ret = MHD_queue_response(mc, 200, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- authentication and dispatch ----------------------------------------- */

/* USHER_OK (req->dev set), USHER_FORBIDDEN (no token, or a malformed one), or
 * USHER_BUSY: the database must be asked; the connection then waits for the
 * committer (suspended: no thread waits) and comes back as PHASE_AUTH_READY. */
static usher_err authenticate(coord_server *s, conn_state *cs)
{
    http_request *req = &cs->req;
    const char *h = MHD_lookup_connection_value(req->mc, MHD_HEADER_KIND, "Authorization");
    const char *token = NULL;
    if (h && !strncasecmp(h, "Bearer ", 7))
        token = h + 7;
    else if (!strcmp(req->method, "GET"))
        token = http_query(req, "access_token"); /* EventSource and download links */
    if (!token)
        return USHER_FORBIDDEN;
    usher_err err = engine_auth_cached(s->e, token, &req->dev);
    if (err != USHER_BUSY)
        return err;
    memset(&cs->er, 0, sizeof cs->er);
    engine_auth_prepare(s->e, &cs->er, &cs->auth, token);
    cs->er.done = request_done;
    cs->er.ctx = cs;
    cs->phase = PHASE_AUTH_WAITING;
    count_inflight(s, 1);
    MHD_suspend_connection(req->mc);
    engine_submit(s->e, &cs->er);
    return USHER_BUSY;
}

/* The committer is done with cs->er and the request has left its hands. */
static void answered(coord_server *s, conn_state *cs)
{
    engine_req_release(&cs->er);
    cs->phase = PHASE_ANSWERED;
    count_inflight(s, -1);
}

static enum MHD_Result refuse_token(struct MHD_Connection *mc, http_reply *r)
{
    http_error(r, 401, "unauthorized",
               "missing or unknown bearer token: send 'Authorization: Bearer TOKEN' with a "
               "token from 'usher-coord device add'");
    return send_reply(mc, r);
}

/* Routes an authenticated request (or an open path). */
static enum MHD_Result dispatch(coord_server *s, conn_state *cs, struct MHD_Connection *mc,
                                http_reply *r)
{
    http_request *req = &cs->req;
    if (!strcmp(req->path, "/v1/events")) {
        if (strcmp(req->method, "GET")) {
            http_error(r, 405, "method_not_allowed", "use GET for /v1/events");
            return send_reply(mc, r);
        }
        return start_stream(s, mc);
    }
    coord_api_dispatch(req, r);
    if (cs->submitted) {
        /* Suspended until the committer is done (it may already be: phase is
         * written by the committer thread, so it is not looked at here). */
        cs->submitted = false;
        return MHD_YES;
    }
    return send_reply(mc, r);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *mc, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    coord_server *s = cls;
    conn_state *cs = *con_cls;
    if (!cs) {
        cs = calloc(1, sizeof *cs);
        if (!cs)
            return MHD_NO;
        cs->srv = s;
        *con_cls = cs;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!cs->too_big) {
            if (cs->len + *upload_size > PROTO_MAX_BODY) {
                cs->too_big = true;
            } else {
                if (cs->len + *upload_size + 1 > cs->cap) {
                    size_t cap = cs->cap ? cs->cap : 4096;
                    while (cap < cs->len + *upload_size + 1)
                        cap *= 2;
                    char *b = realloc(cs->body, cap);
                    if (!b)
                        return MHD_NO;
                    cs->body = b;
                    cs->cap = cap;
                }
                memcpy(cs->body + cs->len, upload, *upload_size);
                cs->len += *upload_size;
                cs->body[cs->len] = '\0';
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    http_reply r = {0};
    if (cs->phase == PHASE_READY) {
        cs->finish(&cs->req, &cs->er, &r);
        answered(s, cs);
        return send_reply(mc, &r);
    }
    if (cs->phase == PHASE_AUTH_READY) {
        usher_err err = cs->er.err;
        cs->req.dev = cs->auth.dev;
        answered(s, cs);
        cs->phase = PHASE_NEW;
        sodium_memzero(cs->auth.token, sizeof cs->auth.token);
        if (err == USHER_FORBIDDEN)
            return refuse_token(mc, &r);
        if (err) {
            http_error(&r, 503, "unavailable", "could not check the token; try again");
            return send_reply(mc, &r);
        }
        return dispatch(s, cs, mc, &r);
    }
    pthread_mutex_lock(&s->hub_lock);
    bool stopping = s->stopping;
    pthread_mutex_unlock(&s->hub_lock);
    if (stopping) {
        http_error(&r, 503, "unavailable", "the coordinator is stopping; retry shortly");
        return send_reply(mc, &r);
    }
    http_request *req = &cs->req;
    req->method = method;
    req->path = url;
    req->body = cs->body ? cs->body : "";
    req->len = cs->len;
    req->body_too_big = cs->too_big;
    req->mc = mc;
    req->e = s->e;
    req->conn = cs;
    if (strncmp(url, "/v1/", 4) != 0 && strcmp(url, "/metrics") != 0 &&
        strcmp(url, "/healthz") != 0) {
        if (strcmp(method, "GET") && strcmp(method, "HEAD"))
            http_error(&r, 405, "method_not_allowed", "%s is not allowed on %.80s", method, url);
        else
            serve_static(s, url, &r);
        return send_reply(mc, &r);
    }
    bool open_path = !strcmp(url, "/healthz") || !strcmp(url, "/metrics");
    if (!open_path) {
        usher_err err = authenticate(s, cs);
        if (err == USHER_BUSY)
            return MHD_YES; /* suspended until the committer has checked the token */
        if (err)
            return refuse_token(mc, &r);
    }
    return dispatch(s, cs, mc, &r);
}

static void completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)mc;
    (void)toe;
    coord_server *s = cls;
    conn_state *cs = *con_cls;
    if (!cs)
        return;
    if (cs->phase == PHASE_WAITING || cs->phase == PHASE_AUTH_WAITING)
        return; /* the committer still owns cs->er; cannot happen while it runs */
    if (cs->phase == PHASE_READY || cs->phase == PHASE_AUTH_READY)
        answered(s, cs); /* the client left before its answer was sent */
    if (cs->job_free)
        cs->job_free(cs->job);
    free(cs->body);
    free(cs->ops);
    free(cs);
    *con_cls = NULL;
}

/* ---- lifecycle ---------------------------------------------------------- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX in the path and query like MHD does, except that %00 becomes
 * DEL: a NUL would silently cut "/index.html%00.png" to "/index.html", and
 * DEL is refused by every check downstream. */
static size_t unescape(void *cls, struct MHD_Connection *mc, char *s)
{
    (void)cls;
    (void)mc;
    char *w = s;
    for (const char *r = s; *r; r++) {
        int hi, lo;
        if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0) {
            int v = hi * 16 + lo;
            *w++ = v ? (char)v : '\x7f';
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static usher_err parse_listen(const char *listen, struct sockaddr_in *sa, usher_errmsg *em)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    int64_t port;
    if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host ||
        !text_parse_i64(colon + 1, 0, 65535, &port))
        return usher_fail(em, USHER_INVAL, "--listen %s: expected HOST:PORT, e.g. 127.0.0.1:8080",
                          listen);
    text_copyn(host, sizeof host, listen, (size_t)(colon - listen));
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return usher_fail(em, USHER_INVAL, "--listen %s: %s is not an IPv4 address", listen, host);
    return USHER_OK;
}

/* One port, one coordinator: a port another program listens on is refused
 * with a sentence (libmicrohttpd's own failure says little). SO_REUSEADDR
 * only, as libmicrohttpd binds: a restarted server gets its port back at
 * once, while a second one can never share it (no SO_REUSEPORT, which would
 * split the requests between two servers with different tokens and state). */
static usher_err port_free(const struct sockaddr_in *sa, const char *listen, usher_errmsg *em)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return usher_fail(em, USHER_IO, "cannot make a socket: %s", strerror(errno));
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    usher_err err = USHER_OK;
    if (bind(fd, (const struct sockaddr *)sa, sizeof *sa) != 0) {
        if (errno == EADDRINUSE)
            err = usher_fail(em, USHER_EXISTS,
                             "cannot listen on %s: the port is in use (another usher-coord serve, "
                             "or another program, listens there): stop it or pick another "
                             "--listen",
                             listen);
        else
            err = usher_fail(em, USHER_IO, "cannot listen on %s: %s", listen, strerror(errno));
    }
    close(fd);
    return err;
}

usher_err coord_server_start(const coord_server_config *cfg, engine *e, coord_server **out,
                             usher_errmsg *em)
{
    struct sockaddr_in sa;
    usher_err err = parse_listen(cfg->listen, &sa, em);
    if (err)
        return err;
    if (sa.sin_port && (err = port_free(&sa, cfg->listen, em)))
        return err;
    coord_server *s = calloc(1, sizeof *s);
    if (!s)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    s->e = e;
    text_copy(s->web_dir, sizeof s->web_dir, cfg->web_dir ? cfg->web_dir : "");
    pthread_mutex_init(&s->hub_lock, NULL);
    pthread_mutex_init(&s->ka_lock, NULL);
    pthread_cond_init(&s->ka_cond, NULL);
    unsigned threads = cfg->threads ? cfg->threads : 2;
    bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    if (tls && !MHD_is_feature_supported(MHD_FEATURE_TLS)) {
        err = usher_fail(em, USHER_INVAL,
                         "this libmicrohttpd has no TLS support: serve plain "
                         "http behind a TLS proxy instead");
        goto fail;
    }
    s->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                                MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0),
                            0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
                            4000u, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_NOTIFY_COMPLETED,
                            completed, s, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
                            MHD_OPTION_ARRAY, tls ? tls_opts : tls_opts + 2, MHD_OPTION_END);
    if (!s->d && tls) {
        err = usher_fail(em, USHER_INVAL,
                         "cannot serve https on %s: check that the key matches the certificate "
                         "and both are PEM (libmicrohttpd's reason is above)",
                         cfg->listen);
        goto fail;
    }
    if (!s->d) {
        err = usher_fail(em, USHER_IO, "cannot listen on %s: %s (is another server there?)",
                         cfg->listen, strerror(errno));
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : ntohs(sa.sin_port);
    if (pthread_create(&s->ka_thread, NULL, keepalive_loop, s) != 0) {
        MHD_stop_daemon(s->d);
        err = usher_fail(em, USHER_IO, "cannot start a thread");
        goto fail;
    }
    *out = s;
    return USHER_OK;
fail:
    pthread_mutex_destroy(&s->hub_lock);
    pthread_mutex_destroy(&s->ka_lock);
    pthread_cond_destroy(&s->ka_cond);
    free(s);
    return err;
}

unsigned coord_server_port(coord_server *s)
{
    return s->port;
}

void coord_server_stop(coord_server *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->ka_lock);
    pthread_mutex_lock(&s->hub_lock);
    s->stopping = true;
    pthread_mutex_unlock(&s->hub_lock);
    pthread_cond_signal(&s->ka_cond);
    pthread_mutex_unlock(&s->ka_lock);
    pthread_join(s->ka_thread, NULL);
    MHD_quiesce_daemon(s->d);
    wake_streams(s, true); /* streams end: a suspended connection must not outlive the daemon */
    /* Requests waiting for the committer are answered first (it is still
     * running): MHD must not be stopped with a connection suspended. */
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&s->hub_lock);
        size_t left = s->nstreams + s->inflight;
        pthread_mutex_unlock(&s->hub_lock);
        if (!left)
            break;
        usleep(10000);
    }
    pthread_mutex_lock(&s->hub_lock);
    size_t stuck = s->inflight;
    pthread_mutex_unlock(&s->hub_lock);
    if (stuck) {
        /* The committer still holds requests after 10 s (a disk that stopped
         * answering?): stopping MHD now would abort, freeing would let the
         * committer resume a freed connection. The process is ending: leave
         * the server as it is. */
        fprintf(stderr,
                "usher-coord: %zu requests still with the database after 10 s; exiting "
                "without waiting for them (their ops are retried by the devices)\n",
                stuck);
        return;
    }
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->hub_lock);
    pthread_mutex_destroy(&s->ka_lock);
    pthread_cond_destroy(&s->ka_cond);
    free(s);
}

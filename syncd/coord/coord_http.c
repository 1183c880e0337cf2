/* coord_http.c - the coordinator's HTTP core on libmicrohttpd: connections, bodies,
 * authentication, routing to the API (given at start), static files; the event
 * streams are coord_sse.c's. */
#include "coord_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coord_entrance.h"
#include "coord_gzip.h"
#include "coord_printers.h"
#include "coord_snapshot.h"
#include "coord_sse.h"
#include "protocol.h"
#include "text.h"
#include "timestamp.h"

#define STATIC_MAX (8 * 1024 * 1024)

/* One TCP connection, from accept to close (MHD's socket context). */
typedef struct conn_rec {
    int fd;
    limits_addr addr;
    limit_kind over; /* LIMIT_CONNECTIONS: its requests get 503 */
    limits_phase phase;
    int64_t deadline; /* monotonic ms by which it must leave phase; 0 = none */
    bool cut;         /* shut down at its deadline */
    struct conn_rec *prev, *next;
} conn_rec;

struct coord_server {
    struct MHD_Daemon *d;
    _Atomic(engine *) e; /* replaced when a standby takes over */
    coord_role *role;
    void (*api)(http_request *req, http_reply *r); /* the routes (coord_server_config) */
    char web_dir[4096];
    unsigned port;
    coord_sse *sse; /* the event streams and their watcher thread */
    /* Atomic, so that a request never waits for the streams' lock, which the
     * watcher holds while it writes streams. */
    _Atomic size_t inflight; /* requests handed to the committer, not yet answered */
    limits *lim;
    snapcache *snaps;
    coord_printers *printers;
    coord_entrance_cache *entrances;
    pthread_mutex_t conn_lock; /* conns and each conn_rec's phase */
    conn_rec *conns;
};

/* Per-connection state from the first callback to the completion callback. */
typedef struct conn_state {
    char *body;
    size_t len, cap;
    bool too_big;
    bool submitted; /* set by http_submit: the handler must not reply now */
    bool served;    /* its headers and body are in (deadlines no longer apply) */
    bool http11;    /* an HTTP/1.1 request: a stream's body goes in chunks */
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

bool http_accepts_gzip(const http_request *req)
{
    return coord_gzip_accepted(
        MHD_lookup_connection_value(req->mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING));
}

/* A large JSON or CSV answer to a client that takes gzip goes compressed
 * (sync answers pulling many changes, exports, the whole snapshot). */
static void maybe_gzip(struct MHD_Connection *mc, http_reply *r)
{
    const char *type = r->type ? r->type : "application/json";
    if (r->encoding || r->len < COORD_GZIP_MIN || r->status != 200 ||
        (strncmp(type, "application/json", 16) && strncmp(type, "text/csv", 8)) ||
        !coord_gzip_accepted(
            MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING)))
        return;
    unsigned char *gz = NULL;
    size_t n = 0;
    if (coord_gzip(r->body, r->len, &gz, &n) != USHER_OK)
        return; /* sent as it is */
    free(r->body);
    r->body = (char *)gz;
    r->len = n;
    r->encoding = "gzip";
}

static enum MHD_Result send_reply(struct MHD_Connection *mc, http_reply *r)
{
    maybe_gzip(mc, r);
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
    if (r->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    if (r->close)
        MHD_add_response_header(resp, "Connection", "close");
    if (r->encoding)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, r->encoding);
    if (r->active[0])
        MHD_add_response_header(resp, "X-Usher-Active", r->active);
    if (r->any_origin)
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
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
    if (delta > 0)
        atomic_fetch_add(&s->inflight, (size_t)delta);
    else
        atomic_fetch_sub(&s->inflight, (size_t)-delta);
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

/* Cuts connections past their deadline: a shut-down socket makes MHD close
 * the connection at once (its descriptor stays MHD's until then). */
static void sweep_deadlines(void *server, int64_t now)
{
    coord_server *s = server;
    pthread_mutex_lock(&s->conn_lock);
    for (conn_rec *r = s->conns; r; r = r->next) {
        if (!r->deadline || r->cut || now < r->deadline)
            continue;
        r->cut = true;
        (void)limits_deadline_missed(s->lim, r->phase);
        shutdown(r->fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&s->conn_lock);
}

/* Sets what rep answers for a request refused at limit k. */
static void refuse_at_limit(http_reply *r, limit_kind k)
{
    if (k == LIMIT_STREAMS || k == LIMIT_DEVICE_STREAMS)
        http_error(r, 503, "unavailable",
                   k == LIMIT_STREAMS
                       ? "the coordinator holds as many event streams as it may; retry later"
                       : "this device already holds as many event streams as it may (close "
                         "the others); retry later");
    else
        http_error(r, 503, "unavailable",
                   "the coordinator holds as many connections as it may; retry later");
    r->retry_after = limit_retry_after_s(k);
    r->close = true;
}

/* Wakes event-stream listeners after a commit: coord_sse.c's watcher does it. */
void coord_server_notify(void *server, int64_t last_seq)
{
    coord_server *s = server;
    coord_sse_notify(s->sse, last_seq);
}

/* GET /v1/events: a stream (coord_sse.c), or 503 at a limit. */
static enum MHD_Result start_stream(coord_server *s, conn_state *cs, struct MHD_Connection *mc,
                                    http_reply *r)
{
    limit_kind k = LIMIT_NONE;
    enum MHD_Result ret = coord_sse_open(s->sse, mc, &cs->req.dev, cs->http11, &k);
    if (k == LIMIT_NONE)
        return ret;
    refuse_at_limit(r, k);
    return send_reply(mc, r);
}

static bool is_stopping(coord_server *s)
{
    return coord_sse_stopping(s->sse);
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

static enum MHD_Result refuse_token(coord_server *s, struct MHD_Connection *mc, http_reply *r)
{
    /* A PostgreSQL database may hold many events, and a token is one event's. */
    const char *id = engine_event(s->e)->id;
    if (id[0]) {
        char msg[300];
        snprintf(msg, sizeof msg,
                 "missing or unknown bearer token for the event \"%s\" (a token belongs to "
                 "one event): send 'Authorization: Bearer TOKEN' with a token from "
                 "'usher-coord device add --event-id %s'",
                 id, id);
        http_error(r, 401, "unauthorized", "%s", msg);
    } else {
        http_error(r, 401, "unauthorized",
                   "missing or unknown bearer token: send 'Authorization: Bearer TOKEN' with a "
                   "token from 'usher-coord device add'");
    }
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
        return start_stream(s, cs, mc, r);
    }
    s->api(req, r);
    if (cs->submitted) {
        /* Suspended until the committer is done (it may already be: phase is
         * written by the committer thread, so it is not looked at here). */
        cs->submitted = false;
        return MHD_YES;
    }
    return send_reply(mc, r);
}

/* ---- connections: limits and deadlines ---------------------------------- */

static void addr_of(const struct sockaddr *sa, limits_addr *out)
{
    memset(out, 0, sizeof *out);
    if (sa && sa->sa_family == AF_INET) {
        memcpy(out->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        out->len = 4;
    } else if (sa && sa->sa_family == AF_INET6) {
        memcpy(out->b, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        out->len = 16;
    }
}

/* Refuses a connection from an address that holds its share already, before
 * it costs more than the accept: the client sees the connection closed. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
    coord_server *s = cls;
    limits_addr a;
    addr_of(len >= sizeof(struct sockaddr_in) ? addr : NULL, &a);
    return limits_conn_allowed(s->lim, &a) == LIMIT_NONE ? MHD_YES : MHD_NO;
}

static conn_rec *rec_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The connection enters phase now: its deadline follows (coord_limits.h). */
static void set_phase(coord_server *s, struct MHD_Connection *mc, limits_phase phase)
{
    conn_rec *r = rec_of(mc);
    if (!r)
        return;
    pthread_mutex_lock(&s->conn_lock);
    r->phase = phase;
    r->deadline = limits_deadline(s->lim, phase, timestamp_mono_ms());
    pthread_mutex_unlock(&s->conn_lock);
}

static void notify_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    coord_server *s = cls;
    conn_rec *r = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        r = calloc(1, sizeof *r);
        *socket_context = r;
        if (!r)
            return; /* not counted, and no deadline: MHD's idle timeout still applies */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        r->fd = ci ? ci->connect_fd : -1;
        ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        addr_of(ci ? ci->client_addr : NULL, &r->addr);
        r->over = limits_conn_open(s->lim, &r->addr);
        r->phase = LIMITS_PHASE_HEADERS;
        r->deadline = limits_deadline(s->lim, r->phase, timestamp_mono_ms());
        pthread_mutex_lock(&s->conn_lock);
        r->next = s->conns;
        if (s->conns)
            s->conns->prev = r;
        s->conns = r;
        if (r->over == LIMIT_ADDRESS && r->fd >= 0)
            shutdown(r->fd, SHUT_RDWR); /* its address went over meanwhile */
        pthread_mutex_unlock(&s->conn_lock);
        return;
    }
    if (!r)
        return;
    pthread_mutex_lock(&s->conn_lock);
    if (r->prev)
        r->prev->next = r->next;
    else
        s->conns = r->next;
    if (r->next)
        r->next->prev = r->prev;
    pthread_mutex_unlock(&s->conn_lock);
    limits_conn_close(s->lim, &r->addr);
    free(r);
    *socket_context = NULL;
}

static bool expects_body(struct MHD_Connection *mc)
{
    const char *cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Content-Length");
    return MHD_lookup_connection_value(mc, MHD_HEADER_KIND, "Transfer-Encoding") ||
           (cl && strcmp(cl, "0") != 0);
}

void http_limits_stats(const http_request *req, limits_stats *out, limits_config *cfg)
{
    const conn_state *cs = req->conn;
    limits_get_stats(cs->srv->lim, out);
    *cfg = *limits_config_of(cs->srv->lim);
}

/* A standby (or a serve that lost the database to another) answers for
 * itself on /healthz and /metrics, and refuses the rest with the active's
 * address, so that devices and the dashboard move there. */
static void standby_reply(coord_server *s, const char *url, http_reply *r)
{
    char active[COORD_URL_SIZE];
    coord_role_active(s->role, active, sizeof active);
    if (!strcmp(url, "/healthz")) {
        json_t *o = json_pack("{s:b}", "ok", 0);
        coord_role_put_json(s->role, o);
        if (o)
            json_object_set_new(o, "error",
                                json_string("standby: another usher-coord serve holds the "
                                            "database; this one takes over if it stops"));
        http_json(r, 503, o);
        r->any_origin = true;
    } else if (!strcmp(url, "/metrics")) {
        r->status = 200;
        r->type = "text/plain; version=0.0.4";
        r->body = strdup("# HELP usher_active 1 when this coordinator is the active one, 0 for "
                         "a standby.\n# TYPE usher_active gauge\nusher_active 0\n");
        r->len = r->body ? strlen(r->body) : 0;
        r->status = r->body ? 200 : 500;
    } else {
        char msg[512];
        if (active[0])
            snprintf(msg, sizeof msg,
                     "this coordinator is a standby; the active coordinator is at %s", active);
        else
            snprintf(msg, sizeof msg,
                     "this coordinator is a standby and knows no active one yet; retry shortly");
        free(r->body);
        r->status = 503;
        r->type = "application/json";
        r->body = proto_standby_body(msg, active);
        r->len = r->body ? strlen(r->body) : 0;
        r->retry_after = 1;
        text_copy(r->active, sizeof r->active, active);
    }
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *mc, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    coord_server *s = cls;
    conn_state *cs = *con_cls;
    if (!cs) {
        conn_rec *rec = rec_of(mc);
        if (rec && rec->over == LIMIT_CONNECTIONS) {
            /* Over the limit: answered at once, and the connection ends. */
            http_reply r = {0};
            refuse_at_limit(&r, LIMIT_CONNECTIONS);
            return send_reply(mc, &r);
        }
        cs = calloc(1, sizeof *cs);
        if (!cs)
            return MHD_NO;
        cs->srv = s;
        cs->http11 = version && !strcmp(version, MHD_HTTP_VERSION_1_1);
        cs->served = !expects_body(mc);
        set_phase(s, mc, cs->served ? LIMITS_PHASE_SERVED : LIMITS_PHASE_BODY);
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
    if (!cs->served) {
        cs->served = true;
        set_phase(s, mc, LIMITS_PHASE_SERVED);
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
            return refuse_token(s, mc, &r);
        if (err) {
            http_error(&r, 503, "unavailable", "could not check the token; try again");
            return send_reply(mc, &r);
        }
        return dispatch(s, cs, mc, &r);
    }
    if (is_stopping(s)) {
        http_error(&r, 503, "unavailable", "the coordinator is stopping; retry shortly");
        r.retry_after = 2;
        r.close = true;
        return send_reply(mc, &r);
    }
    if (s->role && coord_role_get(s->role) != COORD_ROLE_ACTIVE &&
        (!strncmp(url, "/v1/", 4) || !strcmp(url, "/metrics") || !strcmp(url, "/healthz"))) {
        standby_reply(s, url, &r);
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
    req->role = s->role;
    req->snaps = s->snaps;
    req->printers = s->printers;
    req->entrances = s->entrances;
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
            return refuse_token(s, mc, &r);
    }
    return dispatch(s, cs, mc, &r);
}

static void completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    coord_server *s = cls;
    conn_state *cs = *con_cls;
    set_phase(s, mc, LIMITS_PHASE_IDLE); /* kept alive: the next request must come in time */
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

/* Raises the soft open-file limit to the hard one and fits the limits into
 * it, saying so when the limit is the reason for fewer connections. */
static void fit_open_files(limits_config *lc)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    uint64_t need = limits_fds_needed(lc);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        /* Only a privileged process may raise its hard limit: try. */
        struct rlimit want = {need, need};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl = want;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            rl.rlim_cur = rl.rlim_max;
    }
    unsigned asked = lc->max_connections;
    if (rl.rlim_cur != RLIM_INFINITY && limits_fit_fds(lc, (uint64_t)rl.rlim_cur))
        fprintf(stderr,
                "usher-coord: the open-file limit (%llu) allows %u connections, not %u: raise "
                "it (systemd: LimitNOFILE=%llu; a shell: ulimit -n) to serve more devices\n",
                (unsigned long long)rl.rlim_cur, lc->max_connections, asked,
                (unsigned long long)limits_fds_needed(&(limits_config){.max_connections = asked}));
}

static void server_release(coord_server *s)
{
    coord_sse_free(s->sse);
    limits_free(s->lim);
    snapcache_free(s->snaps);
    coord_printers_free(s->printers);
    coord_entrance_cache_free(s->entrances);
    pthread_mutex_destroy(&s->conn_lock);
    free(s);
}

static usher_err entrances_job(coorddb *db, void *arg)
{
    void **a = arg;
    return coord_entrance_cache_load(a[0], db, a[1]);
}

/* Fills the entrances' serving copy from the database, on the committer. */
static usher_err load_entrances(engine *e, coord_entrance_cache *c, usher_errmsg *em)
{
    void *a[] = {c, em};
    return engine_with_db(e, entrances_job, a);
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
    limits_config lc = cfg->limits;
    if ((err = limits_config_check(&lc, em)))
        return err;
    if (!cfg->api)
        return usher_fail(em, USHER_INVAL, "the server has no routes (coord_server_config.api)");
    coord_server *s = calloc(1, sizeof *s);
    if (!s)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    atomic_init(&s->e, e);
    s->api = cfg->api;
    s->role = cfg->role;
    text_copy(s->web_dir, sizeof s->web_dir, cfg->web_dir ? cfg->web_dir : "");
    pthread_mutex_init(&s->conn_lock, NULL);
    fit_open_files(&lc);
    if ((err = limits_new(&lc, &s->lim, em)))
        goto fail;
    s->snaps =
        snapcache_new(cfg->snapshot_page ? cfg->snapshot_page : SNAP_PAGE_DEFAULT, SNAP_REUSE_MS);
    s->printers = coord_printers_new(cfg->printer_alert_ms > 0 ? cfg->printer_alert_ms
                                                               : COORD_PRINTER_ALERT_MS);
    s->entrances = coord_entrance_cache_new();
    if (!s->snaps || !s->printers || !s->entrances) {
        err = usher_fail(em, USHER_NOMEM, "out of memory");
        goto fail;
    }
    if (e && (err = load_entrances(e, s->entrances, em))) /* a standby: at its takeover */
        goto fail;
    unsigned threads = cfg->threads ? cfg->threads : 8;
    bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
    coord_sse_config sc = {.max_streams = lc.max_streams,
                           .tls = tls,
                           .lim = s->lim,
                           .tick = sweep_deadlines,
                           .tick_ctx = s};
    if ((err = coord_sse_new(&sc, e, &s->sse, em)))
        goto fail;
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
    /* libmicrohttpd's own limit leaves room above ours so that a client over
     * ours is answered 503 rather than left unanswered in the kernel's queue.
     * Its idle timeout is a backstop behind the deadlines (watch_loop). */
    unsigned hard = lc.max_connections + limits_spare_connections(&lc);
    unsigned idle_s = 60;
    unsigned longest = lc.header_ms > lc.body_ms ? lc.header_ms : lc.body_ms;
    longest = longest > lc.idle_ms ? longest : lc.idle_ms;
    if (longest / 1000 + 5 > idle_s)
        idle_s = longest / 1000 + 5;
    s->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                                MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0),
                            0, accept_policy, s, handle, s, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_LIMIT, hard, MHD_OPTION_CONNECTION_TIMEOUT,
                            idle_s, MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096u,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_NOTIFY_CONNECTION,
                            notify_connection, s, MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
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
    if ((err = coord_sse_start(s->sse, em))) {
        MHD_stop_daemon(s->d);
        goto fail;
    }
    *out = s;
    return USHER_OK;
fail:
    server_release(s);
    return err;
}

void coord_server_set_engine(coord_server *s, engine *e)
{
    usher_errmsg em = {{0}};
    if (e && load_entrances(e, s->entrances, &em) != USHER_OK)
        fprintf(stderr,
                "usher-coord: the entrances are not read (%s): devices get none until "
                "a change of them\n",
                em.text);
    atomic_store(&s->e, e);
    coord_sse_set_engine(s->sse, e);
}

void coord_server_end_streams(coord_server *s)
{
    coord_sse_end_all(s->sse);
}

unsigned coord_server_port(coord_server *s)
{
    return s->port;
}

void coord_server_stop(coord_server *s)
{
    if (!s)
        return;
    coord_sse_stop(s->sse);
    MHD_quiesce_daemon(s->d);
    coord_sse_end_all(s->sse); /* a suspended connection must not outlive the daemon */
    /* Requests waiting for the committer are answered first (it is still
     * running): MHD must not be stopped with a connection suspended. */
    for (int i = 0; i < 1000; i++) {
        size_t left = coord_sse_count(s->sse) + atomic_load(&s->inflight);
        if (!left)
            break;
        usleep(10000);
    }
    size_t stuck = atomic_load(&s->inflight);
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
    server_release(s);
}

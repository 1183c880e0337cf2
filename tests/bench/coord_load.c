/* coord_load.c - load generator for scripts/bench: single-op POST /v1/sync from N
 * keep-alive clients (throughput, latency), SSE fan-out latency to L listeners
 * with a probe sync's latency meanwhile, and a flood of idle connections from
 * one address with a probe from another. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_dev.h"
#include "cli.h"
#include "op.h"
#include "text.h"
#include "timestamp.h"

#define MAX_CLIENTS 256
#define MAX_LISTENERS 20000
#define MAX_SOURCES 250 /* listeners' source addresses: 127.0.1.1 .. 127.0.1.250 */
#define PROBE_ADDR "127.0.0.2"
#define MAX_RESPONSE (8 * 1024 * 1024)
#define IO_TIMEOUT_S 10

static const char usage[] =
    "usage: coord_load sync  --port N --token T[,T2,...] [--clients 32] [--seconds 5]\n"
    "       coord_load sse   --port N --token T [--listen-token T] [--listeners 200]\n"
    "                        [--ops 100] [--interval-ms 20] [--sources 1] [--probe-ms 0]\n"
    "                        [--readers 2] [--server-pid PID] [--nap-us 0]\n"
    "       coord_load flood --port N --token T [--idle 5000] [--seconds 5] [--probe-ms 20]\n"
    "common: [--host 127.0.0.1] [--seat-offset N]\n"
    "\n"
    "sync: N clients, one keep-alive connection each, send single-op POST /v1/sync\n"
    "      back to back for the given seconds (hold then release of a seat of their\n"
    "      own, following the returned cursor like a device does). With several\n"
    "      comma-separated tokens, client i uses token i mod count (one kiosk each).\n"
    "sse:  L listeners on GET /v1/events; one sender issues K single-op syncs spaced\n"
    "      --interval-ms apart; prints how long each event took to reach each listener.\n"
    "      --sources S spreads the listeners over S source addresses (127.0.1.1..,\n"
    "      for a coordinator's per-address limit); --probe-ms P makes a new client\n"
    "      on 127.0.0.2 sync (no ops, a fresh connection each time) every P ms\n"
    "      meanwhile and prints its latency (probe_*). --readers R reads the listeners\n"
    "      on R threads (each its own share and epoll set), so that this tool's reading\n"
    "      is not one core's queue; load_cpu_s is its CPU time while the ops went out,\n"
    "      server_cpu_s the CPU time of process PID (the coordinator on this machine)\n"
    "      meanwhile, and server_cpu_ms_per_op that per op sent. --nap-us U: a reader\n"
    "      that woke for events sleeps U us before it waits again, so it is woken\n"
    "      once for many streams (on loopback the server pays each wake-up).\n"
    "flood: holds --idle idle connections from 127.0.0.1 (the coordinator keeps\n"
    "      its per-address share and closes the rest) while a probe on 127.0.0.2\n"
    "      syncs every --probe-ms for --seconds; prints the probe's latency and how\n"
    "      many of the idle connections the coordinator still held.\n"
    "Output: one line of key=value pairs (scripts/bench reads it). accepted_total counts\n"
    "every op the server answered 'accepted', warm-up included; load_cpu_s is this tool's\n"
    "own CPU time during the run and load_cpu_share that over all CPUs' time.\n";

typedef struct config {
    const char *host, *token, *listen_token; /* token: the first of tokens */
    char **tokens;                           /* --token split at commas */
    int ntokens;
    int port, clients, listeners, ops, interval_ms, seat_offset;
    int sources, probe_ms, idle, readers, server_pid, nap_us;
    double seconds;
    char **seats; /* from GET /v1/layout */
    int nseats;
    int64_t start_cursor; /* from /healthz */
} config;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until_ns(int64_t t)
{
    struct timespec ts = {(time_t)(t / 1000000000), (long)(t % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* ---- connections and HTTP/1.1 responses --------------------------------- */

typedef struct conn {
    int fd;
    char *buf;
    size_t len, cap;
    bool small; /* an event-stream listener: start with a small buffer */
} conn;

typedef struct response {
    int status;
    const char *body; /* inside conn.buf, NUL-terminated; valid until the next read */
    size_t body_len, total;
    bool close; /* the server will close the connection */
} response;

/* Connects from source (an IPv4 address; NULL: any). */
static int conn_open_from(conn *c, const char *host, int port, const char *source)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    struct timeval tv = {IO_TIMEOUT_S, 0};
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (source) {
        struct sockaddr_in from;
        memset(&from, 0, sizeof from);
        from.sin_family = AF_INET;
        if (inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
            bind(fd, (struct sockaddr *)&from, sizeof from) != 0) {
            close(fd);
            return -1;
        }
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->len = 0;
    return 0;
}

static int conn_open(conn *c, const char *host, int port)
{
    return conn_open_from(c, host, port, NULL);
}

static void conn_close(conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->len = 0;
}

static void conn_release(conn *c)
{
    conn_close(c);
    free(c->buf);
    c->buf = NULL;
    c->cap = 0;
}

/* Reads more bytes into c->buf, keeping room for a terminating NUL. */
static int conn_fill(conn *c)
{
    if (c->cap - c->len < 4096) {
        size_t cap = c->cap ? c->cap * 2 : c->small ? 8192 : 65536;
        if (cap > MAX_RESPONSE + 65536)
            return -1;
        char *b = realloc(c->buf, cap);
        if (!b)
            return -1;
        c->buf = b;
        c->cap = cap;
    }
    for (;;) {
        ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c->len += (size_t)r;
        return 0;
    }
}

/* Value of header `name` in the header block hdr (not NUL-terminated), or NULL. */
static const char *header_value(const char *hdr, size_t len, const char *name, size_t *vlen)
{
    size_t n = strlen(name);
    const char *p = memchr(hdr, '\n', len), *end = hdr + len;
    while (p && p + 1 < end) {
        const char *line = p + 1;
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol)
            break;
        if ((size_t)(eol - line) > n && !strncasecmp(line, name, n) && line[n] == ':') {
            const char *v = line + n + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol;
    }
    return NULL;
}

/* Where the blank line ending a response head starts in buf[0..len), or NULL. */
static const char *head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 4 <= len; i++)
        if (buf[i] == '\r' && !memcmp(buf + i, "\r\n\r\n", 4))
            return buf + i;
    return NULL;
}

/* Parses the status line and headers ending at hdr_len; -1 when malformed. */
static int parse_head(const char *buf, size_t hdr_len, response *r, long long *content_length)
{
    if (hdr_len < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
        return -1;
    char code[4];
    text_copyn(code, sizeof code, buf + 9, 3);
    int64_t status;
    if (!text_parse_i64(code, 100, 599, &status))
        return -1;
    r->status = (int)status;
    size_t vl = 0;
    const char *v = header_value(buf, hdr_len, "Connection", &vl);
    r->close = v && vl == 5 && !strncasecmp(v, "close", 5);
    v = header_value(buf, hdr_len, "Content-Length", &vl);
    char num[24];
    int64_t cl;
    if (!v || vl >= sizeof num)
        return -1; /* the coordinator sends Content-Length on every non-stream reply */
    text_copyn(num, sizeof num, v, vl);
    if (!text_parse_i64(num, 0, MAX_RESPONSE, &cl))
        return -1;
    *content_length = cl;
    return 0;
}

/* Reads one whole response (Content-Length framed). Call conn_consume after. */
static int read_response(conn *c, response *r)
{
    size_t hdr_len = 0;
    long long cl = -1;
    for (;;) {
        if (!hdr_len) {
            const char *e = head_end(c->buf, c->len);
            if (e) {
                hdr_len = (size_t)(e - c->buf) + 4;
                if (parse_head(c->buf, hdr_len, r, &cl) != 0)
                    return -1;
            }
        }
        if (hdr_len && c->len >= hdr_len + (size_t)cl)
            break;
        if (conn_fill(c) != 0)
            return -1;
    }
    r->total = hdr_len + (size_t)cl;
    /* Keep the byte after the body for the NUL; pipelined bytes are not used. */
    if (c->len > r->total)
        return -1;
    c->buf[r->total] = '\0';
    r->body = c->buf + hdr_len;
    r->body_len = (size_t)cl;
    return 0;
}

static void conn_consume(conn *c, const response *r)
{
    size_t rest = c->len - r->total;
    memmove(c->buf, c->buf + r->total, rest);
    c->len = rest;
}

static int http_get(conn *c, const config *cfg, const char *path, const char *token, response *r)
{
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s%s\r\n", path,
                     cfg->host, cfg->port, token ? "Authorization: Bearer " : "",
                     token ? token : "", token ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof req || bench_send_all(c->fd, req, (size_t)n) != 0)
        return -1;
    return read_response(c, r);
}

/* ---- scanning reply bodies ------------------------------------------------ */

/* The integer after "key": in body, or -1. */
static int64_t scan_int(const char *body, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(body, pat);
    if (!p)
        return -1;
    return strtoll(p + strlen(pat), NULL, 10);
}

typedef enum { V_ACCEPTED, V_REJECTED, V_DUPLICATE, V_OTHER } vstatus;

/* The first verdict's status: the encoder writes "verdicts" before "changes",
 * so the first "status" after it is the op's own. */
static vstatus scan_verdict(const char *body)
{
    const char *v = strstr(body, "\"verdicts\":[");
    const char *s = v ? strstr(v, "\"status\":\"") : NULL;
    if (!s)
        return V_OTHER;
    s += 10;
    if (!strncmp(s, "accepted\"", 9))
        return V_ACCEPTED;
    if (!strncmp(s, "rejected\"", 9))
        return V_REJECTED;
    if (!strncmp(s, "duplicate\"", 10))
        return V_DUPLICATE;
    return V_OTHER;
}

/* ---- one sync request ----------------------------------------------------- */

typedef struct sync_out {
    int status;
    vstatus verdict;
    int64_t cursor; /* from the reply, -1 if absent */
} sync_out;

/* Sends one single-op sync (hold or release of seat) and reads the reply. */
static int sync_one(conn *c, const config *cfg, const char *token, int64_t cursor, bool hold,
                    const char *seat, sync_out *out)
{
    char id[USHER_OPID_SIZE], at[TIMESTAMP_TEXT_SIZE], body[512], req[1024];
    op_new_id(id);
    timestamp_format(timestamp_now_ms(), at);
    int bl = snprintf(body, sizeof body,
                      "{\"cursor\":%lld,\"ops\":[{\"id\":\"%s\",\"kind\":\"%s\",\"seat\":\"%s\","
                      "\"at\":\"%s\"}]}",
                      (long long)cursor, id, hold ? "hold" : "release", seat, at);
    int n = snprintf(req, sizeof req,
                     "POST /v1/sync HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                     cfg->host, cfg->port, token, bl, body);
    if (bl < 0 || (size_t)bl >= sizeof body || n < 0 || (size_t)n >= sizeof req)
        return -1;
    if (bench_send_all(c->fd, req, (size_t)n) != 0)
        return -1;
    response r;
    if (read_response(c, &r) != 0)
        return -1;
    out->status = r.status;
    out->verdict = r.status == 200 ? scan_verdict(r.body) : V_OTHER;
    out->cursor = r.status == 200 ? scan_int(r.body, "cursor") : -1;
    conn_consume(c, &r);
    if (r.close)
        conn_close(c);
    return 0;
}

/* ---- latency samples ------------------------------------------------------ */

typedef struct samples {
    int64_t *v; /* ns */
    size_t n, cap;
} samples;

static int samples_add(samples *s, int64_t x)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        int64_t *v = realloc(s->v, cap * sizeof *v);
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = x;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile in ms of sorted samples; 0 when empty. */
static double pct_ms(const samples *s, double p)
{
    if (!s->n)
        return 0;
    size_t k = (size_t)(p / 100.0 * (double)s->n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > s->n)
        k = s->n;
    return (double)s->v[k - 1] / 1e6;
}

/* ---- the server's own counters (GET /metrics) ----------------------------- */

typedef struct metrics {
    double ops, groups, commit_s;
    bool ok;
} metrics;

static double metric(const char *body, const char *name)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\n%s ", name);
    const char *p = strstr(body, pat);
    return p ? strtod(p + strlen(pat), NULL) : 0;
}

static metrics get_metrics(const config *cfg)
{
    metrics m = {0, 0, 0, false};
    conn c = {-1, NULL, 0, 0, false};
    response r;
    if (conn_open(&c, cfg->host, cfg->port) == 0 && http_get(&c, cfg, "/metrics", NULL, &r) == 0 &&
        r.status == 200) {
        m.ops = metric(r.body, "usher_ops_total{verdict=\"accepted\"}") +
                metric(r.body, "usher_ops_total{verdict=\"rejected\"}") +
                metric(r.body, "usher_ops_total{verdict=\"duplicate\"}");
        m.groups = metric(r.body, "usher_commit_groups_total");
        m.commit_s = metric(r.body, "usher_commit_seconds_total");
        m.ok = true;
    }
    conn_release(&c);
    return m;
}

/* ---- sync mode ------------------------------------------------------------ */

/* Lets every client warm up, then starts them together at t0. */
typedef struct gate {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int ready;
    bool go, abort;
    int64_t t0;
} gate;

typedef struct client {
    const config *cfg;
    const char *seat, *token;
    gate *g;
    conn c;
    int64_t cursor, finished_ns;
    samples lat;
    long long requests, http200, http_other, errors, accepted, rejected, duplicate, other;
    long long accepted_total; /* warm-up included */
    long long pulled;         /* changes received, from cursor steps */
} client;

/* One request with bookkeeping; counts go to the stats only when `measure`. */
static void client_step(client *cl, bool hold, bool measure)
{
    const config *cfg = cl->cfg;
    if (cl->c.fd < 0 && conn_open(&cl->c, cfg->host, cfg->port) != 0) {
        cl->errors += measure;
        usleep(1000);
        return;
    }
    sync_out o;
    int64_t t = now_ns();
    if (sync_one(&cl->c, cfg, cl->token, cl->cursor, hold, cl->seat, &o) != 0) {
        cl->errors += measure; /* unanswered: the op may or may not be on disk */
        conn_close(&cl->c);
        return;
    }
    int64_t dt = now_ns() - t;
    cl->accepted_total += o.verdict == V_ACCEPTED;
    if (o.cursor > cl->cursor) {
        cl->pulled += measure ? o.cursor - cl->cursor : 0;
        cl->cursor = o.cursor;
    }
    if (!measure)
        return;
    cl->requests++;
    if (o.status != 200) {
        cl->http_other++;
        return;
    }
    cl->http200++;
    cl->accepted += o.verdict == V_ACCEPTED;
    cl->rejected += o.verdict == V_REJECTED;
    cl->duplicate += o.verdict == V_DUPLICATE;
    cl->other += o.verdict == V_OTHER;
    samples_add(&cl->lat, dt);
}

/* Returns the start time, or 0 when the run was called off. */
static int64_t gate_wait(gate *g)
{
    pthread_mutex_lock(&g->m);
    g->ready++;
    pthread_cond_broadcast(&g->cv);
    while (!g->go)
        pthread_cond_wait(&g->cv, &g->m);
    int64_t t0 = g->abort ? 0 : g->t0;
    pthread_mutex_unlock(&g->m);
    return t0;
}

static void gate_open(gate *g, int clients, bool abort)
{
    pthread_mutex_lock(&g->m);
    while (!abort && g->ready < clients)
        pthread_cond_wait(&g->cv, &g->m);
    g->t0 = now_ns();
    g->go = true;
    g->abort = abort;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->m);
}

static void *client_main(void *arg)
{
    client *cl = arg;
    bool hold = true;
    client_step(cl, hold, false); /* warm-up: connects and caches the token */
    hold = !hold;
    int64_t t0 = gate_wait(cl->g);
    int64_t end = t0 + (int64_t)(cl->cfg->seconds * 1e9);
    while (t0 && now_ns() < end) {
        client_step(cl, hold, true);
        hold = !hold;
    }
    if (!hold)
        client_step(cl, false, false); /* leave the seat free */
    cl->finished_ns = now_ns();
    return NULL;
}

static void sum_clients(client *cls, int n, client *sum, samples *all)
{
    memset(sum, 0, sizeof *sum);
    for (int i = 0; i < n; i++) {
        client *c = &cls[i];
        sum->requests += c->requests;
        sum->http200 += c->http200;
        sum->http_other += c->http_other;
        sum->errors += c->errors;
        sum->accepted += c->accepted;
        sum->rejected += c->rejected;
        sum->duplicate += c->duplicate;
        sum->other += c->other;
        sum->accepted_total += c->accepted_total;
        sum->pulled += c->pulled;
        if (c->finished_ns > sum->finished_ns)
            sum->finished_ns = c->finished_ns;
        for (size_t k = 0; k < c->lat.n; k++)
            samples_add(all, c->lat.v[k]);
    }
    qsort(all->v, all->n, sizeof *all->v, cmp_i64);
}

/* This process's CPU time (user + system, every thread) in seconds: the load
 * tool shares the machine with the server, so its share is printed. */
static double cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* Process pid's CPU time (user + system) in seconds from /proc; -1 if unknown. */
static double pid_cpu_seconds(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long ut = 0, st = 0;
    /* After ")": state, then fields 4.. ; utime and stime are fields 14 and 15. */
    if (!p ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    long tck = sysconf(_SC_CLK_TCK);
    return (double)(ut + st) / (double)(tck > 0 ? tck : 100);
}

static double online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (double)n : 1;
}

static int run_sync(const config *cfg)
{
    int n = cfg->clients;
    client *cls = calloc((size_t)n, sizeof *cls);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, false, false, 0};
    int rc = 1, started = 0;
    if (!cls || !th)
        goto out;
    for (int i = 0; i < n; i++) {
        cls[i].cfg = cfg;
        cls[i].seat = cfg->seats[(cfg->seat_offset + i) % cfg->nseats];
        cls[i].token = cfg->tokens[i % cfg->ntokens];
        cls[i].g = &g;
        cls[i].c.fd = -1;
        cls[i].cursor = cfg->start_cursor;
    }
    metrics m0 = get_metrics(cfg);
    for (; started < n; started++)
        if (pthread_create(&th[started], NULL, client_main, &cls[started]) != 0)
            break;
    gate_open(&g, n, started < n);
    double cpu0 = cpu_seconds();
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (started < n) {
        fprintf(stderr, "coord_load: could start only %d of %d client threads\n", started, n);
        goto out;
    }
    double cpu = cpu_seconds() - cpu0;
    metrics m1 = get_metrics(cfg);
    client sum;
    samples all = {0};
    sum_clients(cls, n, &sum, &all);
    double secs = (double)(sum.finished_ns - g.t0) / 1e9;
    double groups = m1.groups - m0.groups;
    bool have_m = m0.ok && m1.ok && groups > 0;
    printf("sync clients=%d seconds=%.3f requests=%lld http_200=%lld http_other=%lld "
           "errors=%lld accepted=%lld rejected=%lld duplicate=%lld unparsed=%lld rps=%.1f "
           "p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f changes_per_reply=%.1f "
           "accepted_total=%lld commit_groups=%.0f ops_per_group=%.1f commit_ms_per_group=%.3f "
           "committer_busy=%.2f load_cpu_s=%.2f load_cpu_share=%.2f\n",
           n, secs, sum.requests, sum.http200, sum.http_other, sum.errors, sum.accepted,
           sum.rejected, sum.duplicate, sum.other, secs > 0 ? (double)sum.http200 / secs : 0,
           pct_ms(&all, 50), pct_ms(&all, 99), pct_ms(&all, 99.9), pct_ms(&all, 100),
           sum.requests ? (double)sum.pulled / (double)sum.requests : 0, sum.accepted_total,
           have_m ? groups : 0, have_m ? (m1.ops - m0.ops) / groups : 0,
           have_m ? (m1.commit_s - m0.commit_s) * 1000 / groups : 0,
           have_m && secs > 0 ? (m1.commit_s - m0.commit_s) / secs : 0, cpu,
           secs > 0 ? cpu / (secs * online_cpus()) : 0);
    free(all.v);
    rc = sum.errors || sum.http_other ? 3 : 0;
out:
    for (int i = 0; cls && i < n; i++) {
        conn_release(&cls[i].c);
        free(cls[i].lat.v);
    }
    free(cls);
    free(th);
    return rc;
}

/* ---- sse mode ------------------------------------------------------------- */

typedef struct listener {
    conn c;
    bool head_done, chunked;
    size_t pos;           /* decoded up to here in c.buf (after the head) */
    long long chunk_left; /* -1: expecting a chunk-size line */
    bool chunk_crlf;      /* expecting the CRLF after a chunk's data */
    char line[1024];
    size_t llen;
    int64_t *recv_ns; /* [seq - base], 0 = not yet */
    int got;
} listener;

typedef struct sse_run {
    const config *cfg;
    int64_t base; /* seq before the first op */
    int64_t *send_ns, *resp_ns, *seq;
    long long accepted_total, failures;
    _Atomic bool sender_done;
    double cpu_s;        /* this tool's CPU time while the ops went out */
    double server_cpu_s; /* --server-pid's meanwhile; -1 unknown */
} sse_run;

static void sse_line(listener *l, const sse_run *run, int64_t t)
{
    l->line[l->llen] = '\0';
    if (strncmp(l->line, "id:", 3) != 0)
        return;
    const char *v = l->line + 3 + (l->line[3] == ' ');
    int64_t seq;
    if (!text_parse_i64(v, 0, INT64_MAX, &seq))
        return;
    int64_t k = seq - run->base;
    if (k >= 1 && k <= run->cfg->ops && !l->recv_ns[k]) {
        l->recv_ns[k] = t;
        l->got++;
    }
}

/* Feeds decoded event-stream bytes to the line parser. */
static void sse_bytes(listener *l, const sse_run *run, const char *p, size_t n, int64_t t)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            if (l->llen && l->line[l->llen - 1] == '\r')
                l->llen--;
            sse_line(l, run, t);
            l->llen = 0;
        } else if (l->llen + 1 < sizeof l->line) {
            l->line[l->llen++] = p[i];
        }
    }
}

/* Undoes chunked transfer coding from l->pos on; -1 on a framing error. */
static int sse_dechunk(listener *l, const sse_run *run, int64_t t)
{
    conn *c = &l->c;
    while (l->pos < c->len) {
        char *p = c->buf + l->pos;
        size_t avail = c->len - l->pos;
        if (!l->chunked) {
            sse_bytes(l, run, p, avail, t);
            l->pos += avail;
        } else if (l->chunk_crlf || l->chunk_left < 0) {
            char *eol = memchr(p, '\n', avail);
            if (!eol)
                break;
            if (!l->chunk_crlf) {
                l->chunk_left = strtoll(p, NULL, 16);
                if (l->chunk_left <= 0)
                    return -1; /* 0 = the stream ended */
            }
            l->chunk_crlf = false;
            l->pos += (size_t)(eol - p) + 1;
        } else {
            size_t take = avail < (size_t)l->chunk_left ? avail : (size_t)l->chunk_left;
            sse_bytes(l, run, p, take, t);
            l->pos += take;
            l->chunk_left -= (long long)take;
            if (!l->chunk_left) {
                l->chunk_left = -1;
                l->chunk_crlf = true;
            }
        }
    }
    /* Drop what is decoded so the buffer stays small. */
    memmove(c->buf, c->buf + l->pos, c->len - l->pos);
    c->len -= l->pos;
    l->pos = 0;
    return 0;
}

static int sse_head(listener *l)
{
    conn *c = &l->c;
    const char *e = head_end(c->buf, c->len);
    if (!e)
        return 0;
    size_t hl = (size_t)(e - c->buf) + 4;
    if (c->len < 12 || strncmp(c->buf + 9, "200", 3) != 0)
        return -1;
    size_t vl = 0;
    const char *v = header_value(c->buf, hl, "Transfer-Encoding", &vl);
    l->chunked = v && vl == 7 && !strncasecmp(v, "chunked", 7);
    l->chunk_left = -1;
    l->head_done = true;
    l->pos = hl;
    return 1;
}

/* Reads what one listener has; -1 when it failed. Its socket is watched
 * edge-triggered (level-triggered, epoll would look at every ready socket
 * twice: ten thousand a change), so it is read until a read comes back short
 * of the room it had, which a stream socket does only once it is empty. */
static int sse_read_one(listener *l, const sse_run *run)
{
    for (;;) {
        size_t before = l->c.len;
        if (conn_fill(&l->c) != 0)
            return -1;
        bool short_read = l->c.len - before < l->c.cap - before - 1;
        int64_t t = now_ns();
        if (!l->head_done) {
            int h = sse_head(l);
            if (h < 0)
                return h;
            if (h == 0 && short_read)
                return 0;
            if (h == 0)
                continue;
        }
        if (sse_dechunk(l, run, t) != 0)
            return -1;
        if (short_read)
            return 0;
    }
}

static void *sender_main(void *arg)
{
    sse_run *run = arg;
    const config *cfg = run->cfg;
    conn c = {-1, NULL, 0, 0, false};
    int64_t cursor = run->base;
    const char *seat = cfg->seats[(cfg->seat_offset + MAX_CLIENTS) % cfg->nseats];
    int64_t next = now_ns();
    for (int k = 1; k <= cfg->ops; k++) {
        sleep_until_ns(next);
        next += (int64_t)cfg->interval_ms * 1000000;
        sync_out o;
        if (c.fd < 0 && conn_open(&c, cfg->host, cfg->port) != 0) {
            run->failures++;
            continue;
        }
        run->send_ns[k] = now_ns();
        if (sync_one(&c, cfg, cfg->token, cursor, k % 2 == 1, seat, &o) != 0) {
            run->failures++;
            conn_close(&c);
            continue;
        }
        run->resp_ns[k] = now_ns();
        run->accepted_total += o.verdict == V_ACCEPTED;
        run->failures += o.verdict != V_ACCEPTED;
        /* Only this sender writes, so the reply's cursor is its own change. */
        if (o.cursor > cursor)
            cursor = o.cursor;
        run->seq[k] = o.cursor;
    }
    if (cfg->ops % 2 == 1) {
        sync_out o;
        if (c.fd >= 0 && sync_one(&c, cfg, cfg->token, cursor, false, seat, &o) == 0)
            run->accepted_total += o.verdict == V_ACCEPTED;
    }
    conn_release(&c);
    atomic_store(&run->sender_done, true);
    return NULL;
}

static int sse_connect_all(const config *cfg, listener *ls, int n)
{
    const char *tok = cfg->listen_token ? cfg->listen_token : cfg->token;
    char req[512];
    int len = snprintf(req, sizeof req,
                       "GET /v1/events HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                       "Accept: text/event-stream\r\n\r\n",
                       cfg->host, cfg->port, tok);
    for (int i = 0; i < n; i++) {
        char src[24];
        ls[i].c.fd = -1;
        ls[i].c.small = true;
        if (cfg->sources)
            snprintf(src, sizeof src, "127.0.1.%d", 1 + i % cfg->sources);
        if (conn_open_from(&ls[i].c, cfg->host, cfg->port, cfg->sources ? src : NULL) != 0 ||
            bench_send_all(ls[i].c.fd, req, (size_t)len) != 0) {
            fprintf(stderr, "coord_load: listener %d cannot connect: %s\n", i, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Waits on every listener (one epoll set: ten thousand of them cost poll()
 * a scan per wake-up) until all have their heads, or all saw every op, or
 * time is up. */
static int sse_loop(sse_run *run, listener *ls, int n, bool until_heads)
{
    /* After a wake-up with events, a nap of --nap-us before the next wait: on
     * loopback the server's send pays for waking this thread, which a device
     * on its own machine would not cost it. */
    int nap_us = until_heads ? 0 : run->cfg->nap_us;
    bool busy = false;
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return -1;
    int heads = 0, complete = 0, rc = 0;
    for (int i = 0; i < n; i++) {
        heads += ls[i].head_done;
        complete += ls[i].got == run->cfg->ops;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u32 = (uint32_t)i};
        if (ls[i].c.fd >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, ls[i].c.fd, &ev) != 0) {
            close(ep);
            return -1;
        }
    }
    struct epoll_event evs[1024];
    int64_t deadline = 0;
    for (;;) {
        if (until_heads ? heads == n : complete == n)
            break;
        int64_t now = now_ns();
        if (!deadline && (until_heads || atomic_load(&run->sender_done)))
            deadline = now + 5000000000LL;
        if (deadline && now > deadline) {
            rc = until_heads ? -1 : 0;
            break;
        }
        if (nap_us && busy)
            usleep((useconds_t)nap_us); /* let more arrive: fewer wake-ups to pay */
        int got = epoll_wait(ep, evs, 1024, 50);
        if (got < 0 && errno != EINTR) {
            rc = -1;
            break;
        }
        busy = got > 0 && got < 1024;
        for (int k = 0; k < got; k++) {
            listener *l = &ls[evs[k].data.u32];
            if (l->c.fd < 0)
                continue;
            bool had_head = l->head_done, was_complete = l->got == run->cfg->ops;
            if (sse_read_one(l, run) != 0) {
                fprintf(stderr, "coord_load: listener %u: stream failed or ended\n",
                        evs[k].data.u32);
                epoll_ctl(ep, EPOLL_CTL_DEL, l->c.fd, NULL);
                conn_close(&l->c);
                continue;
            }
            heads += !had_head && l->head_done;
            complete += !was_complete && l->got == run->cfg->ops;
        }
    }
    close(ep);
    return rc;
}

/* ---- the probe: a new client's sync now and then, from 127.0.0.2 ------------ */

typedef struct probe {
    const config *cfg;
    int interval_ms;
    samples lat;          /* answered 200 */
    long long unanswered; /* no answer at all (connection refused, closed, timed out) */
    long long other;      /* answered, not 200 (a 503 at a limit) */
    _Atomic bool stop;
    pthread_t th;
    bool running;
} probe;

/* One sync with no ops on a fresh connection; its HTTP status, -1 for none. */
static int probe_once(const config *cfg, int64_t *ns)
{
    conn c = {-1, NULL, 0, 0, true};
    char body[128], req[768];
    int status = -1;
    int bl =
        snprintf(body, sizeof body, "{\"cursor\":%lld,\"ops\":[]}", (long long)cfg->start_cursor);
    int n = snprintf(req, sizeof req,
                     "POST /v1/sync HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %d\r\n"
                     "Connection: close\r\n\r\n%s",
                     cfg->host, cfg->port, cfg->token, bl, body);
    int64_t t = now_ns();
    response r;
    if (n > 0 && (size_t)n < sizeof req &&
        conn_open_from(&c, cfg->host, cfg->port, PROBE_ADDR) == 0 &&
        bench_send_all(c.fd, req, (size_t)n) == 0 && read_response(&c, &r) == 0)
        status = r.status;
    *ns = now_ns() - t;
    conn_release(&c);
    return status;
}

static void *probe_main(void *arg)
{
    probe *p = arg;
    int64_t next = now_ns();
    while (!atomic_load(&p->stop)) {
        sleep_until_ns(next);
        next += (int64_t)p->interval_ms * 1000000;
        int64_t ns;
        int status = probe_once(p->cfg, &ns);
        if (status == 200)
            samples_add(&p->lat, ns);
        else if (status < 0)
            p->unanswered++;
        else
            p->other++;
    }
    return NULL;
}

static void probe_start(probe *p, const config *cfg, int interval_ms)
{
    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    p->interval_ms = interval_ms;
    if (interval_ms > 0)
        p->running = pthread_create(&p->th, NULL, probe_main, p) == 0;
}

/* Stops the probe; its figures as key=value pairs in out. */
static void probe_stop(probe *p, char *out, size_t size)
{
    if (p->running) {
        atomic_store(&p->stop, true);
        pthread_join(p->th, NULL);
    }
    qsort(p->lat.v, p->lat.n, sizeof(int64_t), cmp_i64);
    snprintf(out, size,
             "probe_n=%zu probe_p50_ms=%.3f probe_p99_ms=%.3f probe_max_ms=%.3f "
             "probe_unanswered=%lld probe_not_200=%lld",
             p->lat.n, pct_ms(&p->lat, 50), pct_ms(&p->lat, 99), pct_ms(&p->lat, 100),
             p->unanswered, p->other);
    free(p->lat.v);
    p->lat.v = NULL;
}

static void sse_report(const sse_run *run, listener *ls, int n, const char *probe_kv)
{
    const config *cfg = run->cfg;
    samples from_send = {0}, after_resp = {0}, all_reached = {0}, sync_lat = {0};
    long long missed = 0;
    for (int k = 1; k <= cfg->ops; k++) {
        if (!run->resp_ns[k])
            continue;
        samples_add(&sync_lat, run->resp_ns[k] - run->send_ns[k]);
        int64_t last = 0;
        bool everyone = true;
        for (int i = 0; i < n; i++) {
            int64_t idx = run->seq[k] - run->base;
            int64_t t = idx >= 1 && idx <= cfg->ops ? ls[i].recv_ns[idx] : 0;
            if (!t) {
                missed++;
                everyone = false;
                continue;
            }
            samples_add(&from_send, t - run->send_ns[k]);
            samples_add(&after_resp, t - run->resp_ns[k]);
            if (t > last)
                last = t;
        }
        if (everyone)
            samples_add(&all_reached, last - run->send_ns[k]);
    }
    qsort(from_send.v, from_send.n, sizeof(int64_t), cmp_i64);
    qsort(after_resp.v, after_resp.n, sizeof(int64_t), cmp_i64);
    qsort(all_reached.v, all_reached.n, sizeof(int64_t), cmp_i64);
    qsort(sync_lat.v, sync_lat.n, sizeof(int64_t), cmp_i64);
    printf("sse listeners=%d ops=%d events=%zu missed=%lld failures=%lld "
           "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f all_p50_ms=%.3f all_p99_ms=%.3f "
           "after_reply_p50_ms=%.3f after_reply_p99_ms=%.3f sync_p50_ms=%.3f "
           "accepted_total=%lld load_cpu_s=%.3f readers=%d nap_us=%d server_cpu_s=%.3f "
           "server_cpu_ms_per_op=%.2f load_cpu_ms_per_op=%.2f %s\n",
           n, cfg->ops, from_send.n, missed, run->failures, pct_ms(&from_send, 50),
           pct_ms(&from_send, 99), pct_ms(&from_send, 100), pct_ms(&all_reached, 50),
           pct_ms(&all_reached, 99), pct_ms(&after_resp, 50), pct_ms(&after_resp, 99),
           pct_ms(&sync_lat, 50), run->accepted_total, run->cpu_s, cfg->readers, cfg->nap_us,
           run->server_cpu_s, run->server_cpu_s >= 0 ? run->server_cpu_s * 1000 / cfg->ops : -1,
           run->cpu_s * 1000 / cfg->ops, probe_kv);
    free(from_send.v);
    free(after_resp.v);
    free(all_reached.v);
    free(sync_lat.v);
}

/* One reader thread's share of the listeners. */
typedef struct sse_reader {
    sse_run *run;
    listener *ls;
    int n, rc;
    pthread_t th;
    bool started;
} sse_reader;

static void *reader_main(void *arg)
{
    sse_reader *r = arg;
    r->rc = sse_loop(r->run, r->ls, r->n, false);
    return NULL;
}

/* Reads every listener on cfg->readers threads until all saw every op (or
 * time is up); 0 when every thread ended well. */
static int sse_read_all(sse_run *run, listener *ls, int n)
{
    int nr = run->cfg->readers < n ? run->cfg->readers : n, rc = 0;
    sse_reader rd[64];
    for (int i = 0; i < nr; i++) {
        int from = (int)((long long)n * i / nr), to = (int)((long long)n * (i + 1) / nr);
        rd[i] = (sse_reader){.run = run, .ls = ls + from, .n = to - from};
        rd[i].started = i > 0 && pthread_create(&rd[i].th, NULL, reader_main, &rd[i]) == 0;
        if (i > 0 && !rd[i].started)
            reader_main(&rd[i]); /* no thread: read this share after the others */
    }
    reader_main(&rd[0]);
    for (int i = 0; i < nr; i++) {
        if (rd[i].started)
            pthread_join(rd[i].th, NULL);
        rc |= rd[i].rc;
    }
    return rc;
}

static int run_sse(const config *cfg)
{
    int n = cfg->listeners, rc = 1;
    size_t k = (size_t)cfg->ops + 1;
    sse_run run = {.cfg = cfg, .base = cfg->start_cursor};
    listener *ls = calloc((size_t)n, sizeof *ls);
    run.send_ns = calloc(k, sizeof(int64_t));
    run.resp_ns = calloc(k, sizeof(int64_t));
    run.seq = calloc(k, sizeof(int64_t));
    for (int i = 0; ls && i < n; i++)
        ls[i].c.fd = -1;
    for (int i = 0; ls && i < n; i++)
        if (!(ls[i].recv_ns = calloc(k, sizeof(int64_t))))
            goto out;
    if (!ls || !run.send_ns || !run.resp_ns || !run.seq)
        goto out;
    if (sse_connect_all(cfg, ls, n) != 0 || sse_loop(&run, ls, n, true) != 0) {
        fprintf(stderr, "coord_load: not every listener got its stream open\n");
        goto out;
    }
    pthread_t th;
    probe pr;
    char probe_kv[256];
    probe_start(&pr, cfg, cfg->probe_ms);
    double cpu0 = cpu_seconds();
    double srv0 = cfg->server_pid ? pid_cpu_seconds(cfg->server_pid) : -1;
    if (pthread_create(&th, NULL, sender_main, &run) != 0) {
        probe_stop(&pr, probe_kv, sizeof probe_kv);
        goto out;
    }
    int lrc = sse_read_all(&run, ls, n);
    pthread_join(th, NULL);
    run.cpu_s = cpu_seconds() - cpu0;
    double srv1 = cfg->server_pid ? pid_cpu_seconds(cfg->server_pid) : -1;
    run.server_cpu_s = srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1;
    probe_stop(&pr, probe_kv, sizeof probe_kv);
    sse_report(&run, ls, n, probe_kv);
    rc = lrc != 0 || run.failures ? 3 : 0;
out:
    for (int i = 0; ls && i < n; i++) {
        conn_release(&ls[i].c);
        free(ls[i].recv_ns);
    }
    free(ls);
    free(run.send_ns);
    free(run.resp_ns);
    free(run.seq);
    return rc;
}

/* ---- flood mode -------------------------------------------------------------- */

/* A /metrics value fetched from the probe's address (127.0.0.1 may be full). */
static double flood_metric(const config *cfg, const char *name)
{
    conn c = {-1, NULL, 0, 0, false};
    response r;
    double v = -1;
    if (conn_open_from(&c, cfg->host, cfg->port, PROBE_ADDR) == 0 &&
        http_get(&c, cfg, "/metrics", NULL, &r) == 0 && r.status == 200)
        v = metric(r.body, name);
    conn_release(&c);
    return v;
}

/* How many of fds[0..n) the server has not closed. */
static int still_open(const int *fds, int n)
{
    int open = 0;
    for (int i = 0; i < n; i++) {
        struct pollfd p = {fds[i], POLLIN, 0}; /* readable: closed (or answered) */
        open += poll(&p, 1, 0) == 0;
    }
    return open;
}

static int run_flood(const config *cfg)
{
    int n = cfg->idle, opened = 0, rc = 1;
    int *fds = calloc((size_t)n, sizeof *fds);
    if (!fds)
        return 1;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cfg->port);
    inet_pton(AF_INET, cfg->host, &sa.sin_addr);
    for (; opened < n; opened++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            fprintf(stderr, "coord_load: idle connection %d: %s\n", opened, strerror(errno));
            if (fd >= 0)
                close(fd);
            break;
        }
        fds[opened] = fd;
    }
    usleep(500000); /* the coordinator has accepted (or closed) them all */
    int held0 = still_open(fds, opened);
    probe pr;
    char probe_kv[256];
    probe_start(&pr, cfg, cfg->probe_ms ? cfg->probe_ms : 20);
    usleep((useconds_t)(cfg->seconds * 1e6));
    probe_stop(&pr, probe_kv, sizeof probe_kv);
    int held1 = still_open(fds, opened);
    double refused = flood_metric(cfg, "usher_refusals_total{limit=\"address\"}");
    double conns = flood_metric(cfg, "usher_http_connections");
    printf("flood idle=%d connected=%d held_at_start=%d held_at_end=%d refused_address=%.0f "
           "server_connections=%.0f %s\n",
           n, opened, held0, held1, refused, conns, probe_kv);
    rc = opened == n && pr.unanswered == 0 ? 0 : 3;
    for (int i = 0; i < opened; i++)
        close(fds[i]);
    free(fds);
    return rc;
}

/* Lets this process open what the run needs: the soft open-file limit up to
 * the hard one, and the hard one too where the process may. */
static void raise_nofile(rlim_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
        struct rlimit want = {need, need};
        if (setrlimit(RLIMIT_NOFILE, &want) == 0)
            return;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---- set-up: seats from the layout, the current cursor -------------------- */

static int load_seats(config *cfg, const char *json, size_t len)
{
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *secs = json_object_get(root, "sections");
    size_t i, j;
    json_t *sec, *seat;
    json_array_foreach(secs, i, sec)
    {
        json_array_foreach(json_object_get(sec, "seats"), j, seat)
        {
            const char *id = json_string_value(json_object_get(seat, "id"));
            char **s = realloc(cfg->seats, (size_t)(cfg->nseats + 1) * sizeof *s);
            if (!id || !s || !(s[cfg->nseats] = strdup(id))) {
                if (s)
                    cfg->seats = s;
                json_decref(root);
                return -1;
            }
            cfg->seats = s;
            cfg->nseats++;
        }
    }
    json_decref(root);
    return cfg->nseats > 0 ? 0 : -1;
}

static int prepare(config *cfg)
{
    conn c = {-1, NULL, 0, 0, false};
    response r;
    int rc = -1;
    if (conn_open(&c, cfg->host, cfg->port) != 0) {
        fprintf(stderr, "coord_load: cannot connect to %s:%d: %s\n", cfg->host, cfg->port,
                strerror(errno));
        goto out;
    }
    if (http_get(&c, cfg, "/v1/layout", cfg->token, &r) != 0 || r.status != 200 ||
        load_seats(cfg, r.body, r.body_len) != 0) {
        fprintf(stderr, "coord_load: GET /v1/layout failed (is the token right?)\n");
        goto out;
    }
    conn_consume(&c, &r);
    if (http_get(&c, cfg, "/healthz", NULL, &r) != 0 || r.status != 200 ||
        (cfg->start_cursor = scan_int(r.body, "cursor")) < 0) {
        fprintf(stderr, "coord_load: GET /healthz failed\n");
        goto out;
    }
    rc = 0;
out:
    conn_release(&c);
    return rc;
}

/* Splits --token at commas into cfg->tokens; -1 on an empty piece or OOM. */
static int split_tokens(config *cfg, const char *list)
{
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char **t = realloc(cfg->tokens, (size_t)(cfg->ntokens + 1) * sizeof *t);
        if (!t)
            return -1;
        cfg->tokens = t;
        if (!n || !(t[cfg->ntokens] = strndup(p, n)))
            return -1;
        cfg->ntokens++;
        if (!comma)
            break;
        p = comma + 1;
    }
    cfg->token = cfg->tokens[0];
    return 0;
}

/* ---- main ----------------------------------------------------------------- */

static int int_opt(const char *v, const char *name, int64_t min, int64_t max, int *out)
{
    int64_t x;
    if (!v)
        return 0;
    if (!text_parse_i64(v, min, max, &x)) {
        fprintf(stderr, "coord_load: --%s: a whole number from %lld to %lld\n", name,
                (long long)min, (long long)max);
        return -1;
    }
    *out = (int)x;
    return 0;
}

static int seconds_opt(const char *v, double *out)
{
    char *end = NULL;
    double x = v ? strtod(v, &end) : 0;
    if (!v)
        return 0;
    if (end == v || *end || !(x > 0 && x <= 3600)) {
        fprintf(stderr, "coord_load: --seconds: a number above 0, at most 3600\n");
        return -1;
    }
    *out = x;
    return 0;
}

static void config_release(config *cfg)
{
    for (int i = 0; i < cfg->nseats; i++)
        free(cfg->seats[i]);
    free(cfg->seats);
    for (int i = 0; i < cfg->ntokens; i++)
        free(cfg->tokens[i]);
    free(cfg->tokens);
}

/* Fills cfg from the options after the mode word; 0 or an exit status. */
static int parse_config(int argc, char **argv, config *cfg)
{
    static const cli_spec specs[] = {
        {"host", true},        {"port", true},        {"token", true},      {"listen-token", true},
        {"clients", true},     {"seconds", true},     {"listeners", true},  {"ops", true},
        {"interval-ms", true}, {"seat-offset", true}, {"sources", true},    {"probe-ms", true},
        {"idle", true},        {"readers", true},     {"server-pid", true}, {"nap-us", true}};
    const int ns = (int)(sizeof specs / sizeof specs[0]);
    cli c;
    usher_errmsg em = {{0}};
    if (cli_parse(specs, ns, argc, argv, &c, &em) != USHER_OK) {
        fprintf(stderr, "coord_load: %s\n", em.text);
        return 2;
    }
#define OPT(name) cli_get(specs, ns, &c, name)
    if (OPT("host"))
        cfg->host = OPT("host");
    cfg->listen_token = OPT("listen-token");
    if (seconds_opt(OPT("seconds"), &cfg->seconds) ||
        int_opt(OPT("port"), "port", 1, 65535, &cfg->port) ||
        int_opt(OPT("clients"), "clients", 1, MAX_CLIENTS, &cfg->clients) ||
        int_opt(OPT("listeners"), "listeners", 1, MAX_LISTENERS, &cfg->listeners) ||
        int_opt(OPT("ops"), "ops", 1, 100000, &cfg->ops) ||
        int_opt(OPT("interval-ms"), "interval-ms", 0, 10000, &cfg->interval_ms) ||
        int_opt(OPT("seat-offset"), "seat-offset", 0, 1000000, &cfg->seat_offset) ||
        int_opt(OPT("sources"), "sources", 0, MAX_SOURCES, &cfg->sources) ||
        int_opt(OPT("probe-ms"), "probe-ms", 0, 10000, &cfg->probe_ms) ||
        int_opt(OPT("idle"), "idle", 1, MAX_LISTENERS, &cfg->idle) ||
        int_opt(OPT("readers"), "readers", 1, 64, &cfg->readers) ||
        int_opt(OPT("server-pid"), "server-pid", 1, INT32_MAX, &cfg->server_pid) ||
        int_opt(OPT("nap-us"), "nap-us", 0, 100000, &cfg->nap_us))
        return 2;
    if (!cfg->port || !OPT("token")) {
        fprintf(stderr, "coord_load: --port and --token are required (see --help)\n");
        return 2;
    }
    if (split_tokens(cfg, OPT("token")) != 0) {
        fprintf(stderr, "coord_load: --token: one token or several joined by commas\n");
        return 2;
    }
#undef OPT
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    bool sync = !strcmp(argv[1], "sync"), flood = !strcmp(argv[1], "flood");
    if (!sync && !flood && strcmp(argv[1], "sse")) {
        fprintf(stderr, "coord_load: unknown mode '%s': sync, sse or flood\n", argv[1]);
        return 2;
    }
    config cfg = {.host = "127.0.0.1",
                  .clients = 32,
                  .seconds = 5,
                  .listeners = 200,
                  .ops = 100,
                  .interval_ms = 20,
                  .idle = 5000,
                  .readers = 2};
    int rc = parse_config(argc - 2, argv + 2, &cfg);
    if (!rc && (sodium_init() < 0 || prepare(&cfg) != 0))
        rc = 1;
    if (!rc) {
        raise_nofile((rlim_t)(flood ? cfg.idle : cfg.listeners) + 256);
        rc = sync ? run_sync(&cfg) : flood ? run_flood(&cfg) : run_sse(&cfg);
    }
    config_release(&cfg);
    return rc;
}

/* coord_limits.c - connection and event-stream limits: counts by address and
 * by device in two small hash tables, deadlines, refusals (coord_limits.h). */
#include "coord_limits.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096u
#define KEY_MAX 64

static const char *const names[LIMIT_COUNT] = {
#define LIMIT_NAME(name, label) label,
    LIMIT_MAP(LIMIT_NAME)
#undef LIMIT_NAME
};

const char *limit_name(limit_kind k)
{
    return k >= 0 && k < LIMIT_COUNT ? names[k] : "none";
}

unsigned limit_retry_after_s(limit_kind k)
{
    /* Streams are long-lived: a slot frees up less often than a request's. */
    return k == LIMIT_STREAMS || k == LIMIT_DEVICE_STREAMS ? 5 : 2;
}

void limits_config_default(limits_config *cfg)
{
    cfg->max_connections = LIMITS_DEFAULT_CONNECTIONS;
    cfg->per_address = LIMITS_DEFAULT_PER_ADDRESS;
    cfg->max_streams = LIMITS_DEFAULT_STREAMS;
    cfg->streams_per_device = LIMITS_DEFAULT_DEVICE_STREAMS;
    cfg->header_ms = LIMITS_DEFAULT_HEADER_MS;
    cfg->body_ms = LIMITS_DEFAULT_BODY_MS;
    cfg->idle_ms = LIMITS_DEFAULT_IDLE_MS;
}

unsigned limits_spare_connections(const limits_config *cfg)
{
    unsigned spare = cfg->max_connections / 16;
    return spare < 32 ? 32 : spare;
}

uint64_t limits_fds_needed(const limits_config *cfg)
{
    return (uint64_t)cfg->max_connections + limits_spare_connections(cfg) + LIMITS_FD_RESERVE;
}

bool limits_fit_fds(limits_config *cfg, uint64_t nofile)
{
    if (limits_fds_needed(cfg) <= nofile)
        return false;
    /* max + max/16 + reserve <= nofile, and the spare is at least 32. */
    uint64_t room = nofile > LIMITS_FD_RESERVE + 32 ? nofile - LIMITS_FD_RESERVE - 32 : 0;
    uint64_t max = room * 16 / 17;
    if (max < 64)
        max = 64;
    while (max > 64 &&
           limits_fds_needed(&(limits_config){.max_connections = (unsigned)max}) > nofile)
        max--;
    cfg->max_connections = (unsigned)max;
    if (cfg->max_streams > cfg->max_connections)
        cfg->max_streams = cfg->max_connections;
    return true;
}

usher_err limits_config_check(const limits_config *cfg, usher_errmsg *em)
{
    if (cfg->max_connections < 1 || cfg->max_connections > 1000000)
        return usher_fail(em, USHER_INVAL, "--max-connections: a whole number from 1 to 1000000");
    if (cfg->per_address > 1000000)
        return usher_fail(em, USHER_INVAL,
                          "--per-address: a whole number from 0 (no limit) to 1000000");
    if (cfg->max_streams < 1 || cfg->max_streams > cfg->max_connections)
        return usher_fail(em, USHER_INVAL,
                          "--max-streams: a whole number from 1 to --max-connections (%u)",
                          cfg->max_connections);
    if (cfg->streams_per_device > 1000000)
        return usher_fail(em, USHER_INVAL,
                          "--streams-per-device: a whole number from 0 (no limit) to 1000000");
    if (cfg->header_ms < 1000 || cfg->header_ms > 3600000)
        return usher_fail(em, USHER_INVAL, "--header-timeout: seconds, from 1 to 3600");
    if (cfg->body_ms < 1000 || cfg->body_ms > 3600000)
        return usher_fail(em, USHER_INVAL, "--body-timeout: seconds, from 1 to 3600");
    if (cfg->idle_ms < 1000 || cfg->idle_ms > 3600000)
        return usher_fail(em, USHER_INVAL, "the keep-alive timeout: seconds, from 1 to 3600");
    return USHER_OK;
}

/* ---- counts by key ------------------------------------------------------- */

typedef struct node {
    unsigned char key[KEY_MAX];
    size_t len;
    uint64_t count;
    struct node *next;
} node;

typedef struct table {
    node *b[BUCKETS];
    uint64_t keys;
} table;

static uint32_t hash(const unsigned char *k, size_t n)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ k[i]) * 16777619u;
    return h;
}

static node **find(table *t, const unsigned char *k, size_t n)
{
    node **p = &t->b[hash(k, n) % BUCKETS];
    while (*p && !((*p)->len == n && !memcmp((*p)->key, k, n)))
        p = &(*p)->next;
    return p;
}

static uint64_t count_of(table *t, const unsigned char *k, size_t n)
{
    node **p = find(t, k, n);
    return *p ? (*p)->count : 0;
}

/* false when out of memory (the key is then not counted). */
static bool count_up(table *t, const unsigned char *k, size_t n)
{
    node **p = find(t, k, n);
    if (!*p) {
        node *x = calloc(1, sizeof *x);
        if (!x)
            return false;
        memcpy(x->key, k, n);
        x->len = n;
        *p = x;
        t->keys++;
    }
    (*p)->count++;
    return true;
}

static void count_down(table *t, const unsigned char *k, size_t n)
{
    node **p = find(t, k, n);
    if (!*p)
        return;
    if (--(*p)->count == 0) {
        node *x = *p;
        *p = x->next;
        free(x);
        t->keys--;
    }
}

static void table_release(table *t)
{
    for (size_t i = 0; i < BUCKETS; i++)
        for (node *x = t->b[i], *next; x; x = next) {
            next = x->next;
            free(x);
        }
}

/* ---- the bookkeeper ------------------------------------------------------ */

struct limits {
    limits_config cfg;
    pthread_mutex_t lock;
    table addrs, devices;
    uint64_t connections, streams;
    uint64_t refused[LIMIT_COUNT];
};

usher_err limits_new(const limits_config *cfg, limits **out, usher_errmsg *em)
{
    usher_err err = limits_config_check(cfg, em);
    if (err)
        return err;
    limits *l = calloc(1, sizeof *l);
    if (!l)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    l->cfg = *cfg;
    pthread_mutex_init(&l->lock, NULL);
    *out = l;
    return USHER_OK;
}

void limits_free(limits *l)
{
    if (!l)
        return;
    table_release(&l->addrs);
    table_release(&l->devices);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

const limits_config *limits_config_of(const limits *l)
{
    return &l->cfg;
}

static size_t addr_len(const limits_addr *a)
{
    return a->len <= sizeof a->b ? a->len : sizeof a->b;
}

limit_kind limits_conn_allowed(limits *l, const limits_addr *a)
{
    limit_kind k = LIMIT_NONE;
    pthread_mutex_lock(&l->lock);
    if (l->cfg.per_address && count_of(&l->addrs, a->b, addr_len(a)) >= l->cfg.per_address) {
        k = LIMIT_ADDRESS;
        l->refused[k]++;
    }
    pthread_mutex_unlock(&l->lock);
    return k;
}

limit_kind limits_conn_open(limits *l, const limits_addr *a)
{
    limit_kind k = LIMIT_NONE;
    pthread_mutex_lock(&l->lock);
    l->connections++;
    /* Counted even when out of memory for its node: conn_close then finds
     * none to take down, and the total still matches. */
    (void)count_up(&l->addrs, a->b, addr_len(a));
    if (l->cfg.per_address && count_of(&l->addrs, a->b, addr_len(a)) > l->cfg.per_address)
        k = LIMIT_ADDRESS;
    else if (l->connections > l->cfg.max_connections)
        k = LIMIT_CONNECTIONS;
    if (k != LIMIT_NONE)
        l->refused[k]++;
    pthread_mutex_unlock(&l->lock);
    return k;
}

void limits_conn_close(limits *l, const limits_addr *a)
{
    pthread_mutex_lock(&l->lock);
    if (l->connections)
        l->connections--;
    count_down(&l->addrs, a->b, addr_len(a));
    pthread_mutex_unlock(&l->lock);
}

static size_t device_len(const char *device)
{
    size_t n = strlen(device);
    return n < KEY_MAX ? n : KEY_MAX;
}

limit_kind limits_stream_open(limits *l, const char *device, bool capped)
{
    const unsigned char *k = (const unsigned char *)device;
    size_t n = device_len(device);
    limit_kind kind = LIMIT_NONE;
    pthread_mutex_lock(&l->lock);
    if (l->streams >= l->cfg.max_streams)
        kind = LIMIT_STREAMS;
    else if (capped && l->cfg.streams_per_device &&
             count_of(&l->devices, k, n) >= l->cfg.streams_per_device)
        kind = LIMIT_DEVICE_STREAMS;
    else if (!count_up(&l->devices, k, n))
        kind = LIMIT_STREAMS; /* out of memory: as if full */
    if (kind == LIMIT_NONE)
        l->streams++;
    else
        l->refused[kind]++;
    pthread_mutex_unlock(&l->lock);
    return kind;
}

void limits_stream_close(limits *l, const char *device)
{
    pthread_mutex_lock(&l->lock);
    if (l->streams)
        l->streams--;
    count_down(&l->devices, (const unsigned char *)device, device_len(device));
    pthread_mutex_unlock(&l->lock);
}

int64_t limits_deadline(const limits *l, limits_phase phase, int64_t now)
{
    switch (phase) {
    case LIMITS_PHASE_HEADERS:
        return now + l->cfg.header_ms;
    case LIMITS_PHASE_BODY:
        return now + l->cfg.body_ms;
    case LIMITS_PHASE_IDLE:
        return now + l->cfg.idle_ms;
    case LIMITS_PHASE_SERVED:
        break;
    }
    return 0;
}

limit_kind limits_deadline_missed(limits *l, limits_phase phase)
{
    limit_kind k = phase == LIMITS_PHASE_BODY ? LIMIT_BODY_DEADLINE : LIMIT_HEADER_DEADLINE;
    pthread_mutex_lock(&l->lock);
    l->refused[k]++;
    pthread_mutex_unlock(&l->lock);
    return k;
}

void limits_get_stats(limits *l, limits_stats *out)
{
    pthread_mutex_lock(&l->lock);
    out->connections = l->connections;
    out->streams = l->streams;
    out->addresses = l->addrs.keys;
    memcpy(out->refused, l->refused, sizeof out->refused);
    pthread_mutex_unlock(&l->lock);
}

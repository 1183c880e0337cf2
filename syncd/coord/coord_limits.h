/* coord_limits.h - the coordinator's connection limits as bookkeeping without
 * I/O: connections in all and per client address, event streams in all and
 * per device, the deadlines a connection must meet, and what was refused.
 * coord_http.c (connections) and coord_sse.c (streams) pass addresses,
 * device ids and `now` in and act on the answers (closing a socket,
 * answering 503 with Retry-After). */
#ifndef USHER_COORD_LIMITS_H
#define USHER_COORD_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Every limit at which a connection or a stream is refused or cut. */
#define LIMIT_MAP(X)                                                                               \
    X(ADDRESS, "address")                 /* connections from one client address */                \
    X(CONNECTIONS, "connections")         /* connections in all: 503 */                            \
    X(STREAMS, "streams")                 /* event streams in all: 503 */                          \
    X(DEVICE_STREAMS, "device_streams")   /* event streams of one device (token): 503 */           \
    X(HEADER_DEADLINE, "header_deadline") /* a request's headers not in on time: closed */         \
    X(BODY_DEADLINE, "body_deadline")     /* a request's body not in on time: closed */

typedef enum limit_kind {
    LIMIT_NONE = -1,
#define LIMIT_ENUM(name, label) LIMIT_##name,
    LIMIT_MAP(LIMIT_ENUM)
#undef LIMIT_ENUM
        LIMIT_COUNT
} limit_kind;

/* The limit's name as /metrics labels it ("address", ...); "none" for
 * LIMIT_NONE. */
const char *limit_name(limit_kind k);

/* Seconds a client refused at this limit is told to wait (Retry-After). */
unsigned limit_retry_after_s(limit_kind k);

typedef struct limits_config {
    unsigned max_connections;    /* open connections before requests get 503 (> 0) */
    unsigned per_address;        /* connections from one address; 0 = no limit */
    unsigned max_streams;        /* event streams open at once (> 0) */
    unsigned streams_per_device; /* event streams of one device; 0 = no limit */
    unsigned header_ms;          /* a new connection's request headers, from accept */
    unsigned body_ms;            /* a request's body, from its headers */
    unsigned idle_ms;            /* a kept-alive connection's next request headers */
} limits_config;

/* The defaults of `usher-coord serve`: 10,000 devices with two connections
 * each, and room to spare. */
#define LIMITS_DEFAULT_CONNECTIONS 24000u
#define LIMITS_DEFAULT_PER_ADDRESS 256u
#define LIMITS_DEFAULT_STREAMS 12000u
#define LIMITS_DEFAULT_DEVICE_STREAMS 8u
#define LIMITS_DEFAULT_HEADER_MS 10000u
#define LIMITS_DEFAULT_BODY_MS 30000u
#define LIMITS_DEFAULT_IDLE_MS 60000u
void limits_config_default(limits_config *cfg);

/* File descriptors the server needs beside its connections (database files,
 * event loops, the listening socket, log files). */
#define LIMITS_FD_RESERVE 128u

/* Connections accepted beyond max_connections only to be answered 503 (the
 * library's own hard limit is max_connections plus these): past them, new
 * connections wait in the kernel's queue instead. */
unsigned limits_spare_connections(const limits_config *cfg);

/* Fits cfg into an open-file limit of nofile descriptors: lowers
 * max_connections (and max_streams with it) when max_connections + spare +
 * LIMITS_FD_RESERVE do not fit. Returns true when it had to; false when cfg
 * fits as it is. A limit too small for even 64 connections leaves 64. */
bool limits_fit_fds(limits_config *cfg, uint64_t nofile);

/* File descriptors cfg needs in all. */
uint64_t limits_fds_needed(const limits_config *cfg);

/* Checks a configuration: USHER_INVAL with a message naming the option
 * (as `usher-coord serve` spells it) when a value is out of range. */
usher_err limits_config_check(const limits_config *cfg, usher_errmsg *em) USHER_MUST_CHECK;

/* A client's address: 4 bytes (IPv4) or 16 (IPv6). */
typedef struct limits_addr {
    unsigned char b[16];
    unsigned char len;
} limits_addr;

typedef struct limits limits;

/* A new bookkeeper; cfg is copied. It is thread-safe (one internal mutex). */
usher_err limits_new(const limits_config *cfg, limits **out, usher_errmsg *em) USHER_MUST_CHECK;
/* NULL is a no-op. */
void limits_free(limits *l);
/* The configuration in force (after limits_fit_fds, if any). */
const limits_config *limits_config_of(const limits *l);

/* Would a connection from a be accepted? LIMIT_ADDRESS when its address
 * already has per_address connections (counted as a refusal), LIMIT_NONE
 * otherwise. Counts nothing else: limits_conn_open does. */
limit_kind limits_conn_allowed(limits *l, const limits_addr *a);

/* Counts an accepted connection from a; it must be matched by one
 * limits_conn_close(a). Returns LIMIT_NONE, LIMIT_ADDRESS (the address went
 * over its limit meanwhile: close it) or LIMIT_CONNECTIONS (over the total:
 * answer its request with 503); refusals are counted. */
limit_kind limits_conn_open(limits *l, const limits_addr *a);
void limits_conn_close(limits *l, const limits_addr *a);

/* Counts an event stream of device (a device id): LIMIT_NONE, or
 * LIMIT_STREAMS / LIMIT_DEVICE_STREAMS when refused (not counted as open,
 * counted as a refusal). capped = false exempts the device from
 * streams_per_device (the organisers' token, shared by every dashboard open),
 * never from max_streams. An open stream is matched by limits_stream_close. */
limit_kind limits_stream_open(limits *l, const char *device, bool capped);
void limits_stream_close(limits *l, const char *device);

/* Where a connection is in its request, for its deadline. */
typedef enum limits_phase {
    LIMITS_PHASE_HEADERS, /* accepted, its first request's headers not yet in */
    LIMITS_PHASE_BODY,    /* headers in, the body being received */
    LIMITS_PHASE_SERVED,  /* the server has it (waiting for the database, answering, a stream) */
    LIMITS_PHASE_IDLE     /* answered, kept alive for the next request */
} limits_phase;

/* The monotonic time (ms) by which a connection entering phase at now must
 * have left it, or 0 for none (LIMITS_PHASE_SERVED). */
int64_t limits_deadline(const limits *l, limits_phase phase, int64_t now);

/* A connection was cut at its deadline: counts LIMIT_HEADER_DEADLINE (from
 * LIMITS_PHASE_HEADERS or LIMITS_PHASE_IDLE) or LIMIT_BODY_DEADLINE; returns which. */
limit_kind limits_deadline_missed(limits *l, limits_phase phase);

typedef struct limits_stats {
    uint64_t connections, streams, addresses; /* open now; addresses with a connection */
    uint64_t refused[LIMIT_COUNT];            /* since start, by limit */
} limits_stats;
void limits_get_stats(limits *l, limits_stats *out);

#endif

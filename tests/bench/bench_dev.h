/* bench_dev.h - what the load tools of tests/bench share: a device journal used
 * as the kiosk uses it (journal_append, then a nudge on syncd's wake socket;
 * the view = replica + own pending ops) and one blocking HTTP call (libcurl). */
#ifndef USHER_BENCH_DEV_H
#define USHER_BENCH_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "layout.h"
#include "state.h"

typedef struct bench_dev {
    journal *j;
    layout *l; /* parsed from the journal once it is bootstrapped */
    journal_identity id;
    char wake[108]; /* syncd's wake socket, from the journal */
    char path[512];
} bench_dev;

/* Opens the journal at path, which usher-syncd must have bootstrapped (identity
 * and layout present); USHER_NOTFOUND with a message otherwise. Release with
 * bench_dev_close (also after a failure). */
usher_err bench_dev_open(bench_dev *d, const char *path, usher_errmsg *em);
void bench_dev_close(bench_dev *d);

/* The device's view at now (wall-clock ms), as the kiosk draws it. Caller
 * frees *v with state_free. */
usher_err bench_dev_view(bench_dev *d, int64_t now, state **v, usher_errmsg *em);

/* One user action: appends the n ops in one transaction (journal_append for
 * one op, journal_append_all for several), then nudges syncd. */
usher_err bench_dev_act(bench_dev *d, const usher_op *ops, size_t n, usher_errmsg *em);

/* One HTTP request to url with an optional bearer token; POST when body is
 * not NULL. Returns the status (0 when nothing answered) and the body in
 * *resp (malloc'd, NUL-terminated, may be NULL; caller frees). */
/* Writes all n bytes to a socket (EINTR retried, no SIGPIPE); 0 or -1. */
int bench_send_all(int fd, const char *p, size_t n);

long bench_http(const char *url, const char *token, const char *body, char **resp,
                double timeout_s);

/* Nanoseconds on the monotonic clock. */
int64_t bench_now_ns(void);
/* The value at fraction q (0..1) of n sorted numbers. */
double bench_quantile(const double *sorted, size_t n, double q);
int bench_cmp_double(const void *a, const void *b);

#endif

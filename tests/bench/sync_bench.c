/* sync_bench.c - load tool for scripts/bench's device sections: what a kiosk
 * sees of usher-syncd. It acts on device journals exactly as the kiosk does
 * (journal_append, then a datagram on syncd's wake socket) and watches them the
 * kiosk's cheap way (PRAGMA data_version, then the view).
 *
 *   sync_bench latency --a JOURNAL --b JOURNAL [--samples 300] [--interval-ms 20]
 *       one assign at a time on device A; how long until device B's view shows
 *       the seat taken (and until A's outbox holds the verdict)
 *   sync_bench fill --dir DIR --devices N [--ops 1000]
 *       appends K assigns (distinct tickets and seats) to each DIR/dev-I.journal,
 *       one transaction a device, for a coordinator that is down
 *   sync_bench converge --dir DIR --devices N --url URL
 *       counts the pending ops, says "sync_bench: ready" on stderr (start the
 *       coordinator then), waits for URL/healthz to answer, then until every
 *       journal's outbox is empty and every cursor equals the coordinator's
 *
 * Output: one line of key=value pairs that scripts/bench reads. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_dev.h"
#include "cli.h"
#include "text.h"
#include "timestamp.h"

#define MAX_DEVICES 64
#define SAMPLE_TIMEOUT_NS (5 * 1000000000LL)

static const cli_spec specs[] = {{"a", true},           {"b", true},   {"samples", true},
                                 {"interval-ms", true}, {"dir", true}, {"devices", true},
                                 {"ops", true},         {"url", true}};
#define NSPECS ((int)(sizeof specs / sizeof specs[0]))

static void pause_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static int64_t opt_int(const cli *c, const char *name, int64_t def, int64_t min, int64_t max)
{
    const char *s = cli_get(specs, NSPECS, c, name);
    int64_t v;
    if (!s)
        return def;
    if (!text_parse_i64(s, min, max, &v)) {
        fprintf(stderr, "sync_bench: --%s: a whole number from %lld to %lld\n", name,
                (long long)min, (long long)max);
        exit(2);
    }
    return v;
}

/* ---- latency -------------------------------------------------------------- */

/* True when B's view shows seat si taken by ticket. */
static bool b_sees(bench_dev *b, int si, const char *ticket)
{
    usher_errmsg em = {{0}};
    state *v = NULL;
    if (bench_dev_view(b, timestamp_now_ms(), &v, &em)) {
        fprintf(stderr, "sync_bench: %s\n", em.text);
        return false;
    }
    bool seen = state_seat_status(v, si, b->id.device, timestamp_now_ms()) == SEAT_TAKEN &&
                !strcmp(state_seat(v, si)->ticket, ticket);
    state_free(v);
    return seen;
}

static void summary(const char *what, double *ms, size_t n)
{
    qsort(ms, n, sizeof *ms, bench_cmp_double);
    printf(" %s_p50_ms=%.2f %s_p90_ms=%.2f %s_p99_ms=%.2f %s_max_ms=%.2f", what,
           bench_quantile(ms, n, 0.5), what, bench_quantile(ms, n, 0.9), what,
           bench_quantile(ms, n, 0.99), what, n ? ms[n - 1] : 0.0);
}

static int cmd_latency(const cli *c)
{
    const char *pa = cli_get(specs, NSPECS, c, "a"), *pb = cli_get(specs, NSPECS, c, "b");
    int64_t want = opt_int(c, "samples", 300, 1, 100000);
    int64_t interval = opt_int(c, "interval-ms", 20, 0, 10000);
    if (!pa || !pb) {
        fprintf(stderr, "sync_bench latency: needs --a JOURNAL --b JOURNAL\n");
        return 2;
    }
    bench_dev a, b;
    usher_errmsg em = {{0}};
    state *v = NULL;
    int rc = 1;
    double *seen = NULL, *decided = NULL, *append = NULL;
    int *seats = NULL, *tickets = NULL;
    if (bench_dev_open(&a, pa, &em) || bench_dev_open(&b, pb, &em) ||
        bench_dev_view(&a, timestamp_now_ms(), &v, &em)) {
        fprintf(stderr, "sync_bench: %s\n", em.text);
        goto out;
    }
    int ns = state_seat_count(v), nt = state_ticket_count(v), nfree = 0, nunseated = 0;
    seats = calloc((size_t)ns + 1, sizeof *seats);
    tickets = calloc((size_t)nt + 1, sizeof *tickets);
    seen = calloc((size_t)want, sizeof *seen);
    decided = calloc((size_t)want, sizeof *decided);
    append = calloc((size_t)want, sizeof *append);
    if (!seats || !tickets || !seen || !decided || !append)
        goto out;
    for (int i = 0; i < ns; i++)
        if (state_seat_status(v, i, a.id.device, timestamp_now_ms()) == SEAT_FREE &&
            !layout_seat_at(a.l, i)->klass[0])
            seats[nfree++] = i;
    for (int i = 0; i < nt; i++)
        if (!state_ticket(v, i)->seat[0] && !state_ticket(v, i)->revoked)
            tickets[nunseated++] = i;
    size_t n = (size_t)want;
    if ((size_t)nfree < n || (size_t)nunseated < n) {
        fprintf(stderr, "sync_bench: only %d free seats and %d unseated tickets for %zu samples\n",
                nfree, nunseated, n);
        goto out;
    }
    size_t got = 0, timeouts = 0;
    for (size_t i = 0; i < n; i++) {
        usher_op op;
        op_init(&op, OP_ASSIGN, a.id.device, timestamp_now_ms());
        text_copy(op.ticket, sizeof op.ticket, state_ticket(v, tickets[i])->code);
        text_copy(op.seat, sizeof op.seat, layout_seat_at(a.l, seats[i])->id);
        int64_t va = journal_data_version(a.j), vb = journal_data_version(b.j);
        int64_t t0 = bench_now_ns();
        if (bench_dev_act(&a, &op, 1, &em)) {
            fprintf(stderr, "sync_bench: %s\n", em.text);
            goto out;
        }
        int64_t t1 = bench_now_ns(), t_seen = 0, t_dec = 0;
        while ((!t_seen || !t_dec) && bench_now_ns() - t0 < SAMPLE_TIMEOUT_NS) {
            int64_t nb = journal_data_version(b.j), na = journal_data_version(a.j);
            if (!t_seen && nb != vb) {
                vb = nb;
                if (b_sees(&b, seats[i], op.ticket))
                    t_seen = bench_now_ns();
            }
            if (!t_dec && na != va) {
                outbox_entry e;
                va = na;
                if (!journal_outbox_get(a.j, op.id, &e, &em) && e.state != OUTBOX_PENDING)
                    t_dec = bench_now_ns();
            }
            pause_us(100);
        }
        if (!t_seen || !t_dec) {
            timeouts++;
            continue;
        }
        append[got] = (double)(t1 - t0) / 1e6;
        decided[got] = (double)(t_dec - t0) / 1e6;
        seen[got++] = (double)(t_seen - t0) / 1e6;
        pause_us((long)(interval * 1000 + rand() % (interval * 500 + 1)));
    }
    printf("latency samples=%zu timeouts=%zu", got, timeouts);
    summary("seen", seen, got);
    summary("verdict", decided, got);
    summary("append", append, got);
    printf("\n");
    rc = timeouts ? 1 : 0;
out:
    free(seen), free(decided), free(append), free(seats), free(tickets);
    state_free(v);
    bench_dev_close(&a);
    bench_dev_close(&b);
    return rc;
}

/* ---- fill and converge ---------------------------------------------------- */

static int open_devices(const cli *c, bench_dev *devs, int *n)
{
    const char *dir = cli_get(specs, NSPECS, c, "dir");
    *n = (int)opt_int(c, "devices", 10, 1, MAX_DEVICES);
    if (!dir) {
        fprintf(stderr, "sync_bench: needs --dir DIR (with dev-1.journal ...)\n");
        return 2;
    }
    for (int i = 0; i < *n; i++) {
        char path[600];
        usher_errmsg em = {{0}};
        snprintf(path, sizeof path, "%s/dev-%d.journal", dir, i + 1);
        if (bench_dev_open(&devs[i], path, &em)) {
            fprintf(stderr, "sync_bench: %s\n", em.text);
            for (int k = 0; k <= i; k++)
                bench_dev_close(&devs[k]);
            return 1;
        }
    }
    return 0;
}

static int cmd_fill(const cli *c)
{
    bench_dev devs[MAX_DEVICES];
    int n, rc = open_devices(c, devs, &n);
    if (rc)
        return rc;
    int64_t k = opt_int(c, "ops", 1000, 1, 100000);
    usher_op *ops = calloc((size_t)k, sizeof *ops);
    int64_t t0 = bench_now_ns();
    for (int d = 0; ops && d < n && !rc; d++) {
        usher_errmsg em = {{0}};
        state *v = NULL;
        if (bench_dev_view(&devs[d], timestamp_now_ms(), &v, &em)) {
            fprintf(stderr, "sync_bench: %s\n", em.text);
            rc = 1;
            break;
        }
        /* Device d seats tickets d*k.. on seats d*k.. (both in their order). */
        int64_t first = d * k, si = 0, ti = 0, made = 0;
        int ns = state_seat_count(v), nt = state_ticket_count(v);
        for (int64_t skip = 0; si < ns && skip < first; si++)
            skip += state_seat_status(v, (int)si, NULL, timestamp_now_ms()) == SEAT_FREE;
        for (int64_t skip = 0; ti < nt && skip < first; ti++)
            skip += !state_ticket(v, (int)ti)->seat[0];
        for (; made < k && si < ns && ti < nt; si++) {
            if (state_seat_status(v, (int)si, NULL, timestamp_now_ms()) != SEAT_FREE)
                continue;
            while (ti < nt && state_ticket(v, (int)ti)->seat[0])
                ti++;
            if (ti >= nt)
                break;
            usher_op *op = &ops[made++];
            op_init(op, OP_ASSIGN, devs[d].id.device, timestamp_now_ms());
            text_copy(op->ticket, sizeof op->ticket, state_ticket(v, (int)ti++)->code);
            text_copy(op->seat, sizeof op->seat, layout_seat_at(devs[d].l, (int)si)->id);
        }
        state_free(v);
        if (made < k) {
            fprintf(stderr, "sync_bench: not enough free seats and tickets for %d x %lld ops\n", n,
                    (long long)k);
            rc = 1;
        } else if (bench_dev_act(&devs[d], ops, (size_t)k, &em)) {
            fprintf(stderr, "sync_bench: %s\n", em.text);
            rc = 1;
        }
    }
    if (!rc)
        printf("fill devices=%d ops=%lld ms=%.0f\n", n, (long long)(n * k),
               (double)(bench_now_ns() - t0) / 1e6);
    free(ops);
    for (int d = 0; d < n; d++)
        bench_dev_close(&devs[d]);
    return ops ? rc : 1;
}

/* The coordinator's cursor from /healthz, or -1 when it does not answer. */
static int64_t coord_cursor(const char *url)
{
    char full[600], *body = NULL;
    snprintf(full, sizeof full, "%s/healthz", url);
    long st = bench_http(full, NULL, NULL, &body, 2.0);
    json_t *j = st == 200 && body ? json_loads(body, 0, NULL) : NULL;
    json_t *cur = json_object_get(j, "cursor");
    int64_t out = json_is_integer(cur) ? json_integer_value(cur) : -1;
    json_decref(j);
    free(body);
    return out;
}

static double ms_since(int64_t t0, int64_t t)
{
    return t ? (double)(t - t0) / 1e6 : -1;
}

static int cmd_converge(const cli *c)
{
    bench_dev devs[MAX_DEVICES];
    const char *url = cli_get(specs, NSPECS, c, "url");
    if (!url) {
        fprintf(stderr, "sync_bench converge: needs --url http://127.0.0.1:PORT\n");
        return 2;
    }
    int n, rc = open_devices(c, devs, &n);
    if (rc)
        return rc;
    int64_t start = bench_now_ns(), up = 0, pending0[MAX_DEVICES], first[MAX_DEVICES] = {0},
            drained[MAX_DEVICES] = {0}, total = 0, cursor = -1;
    usher_errmsg em = {{0}};
    for (int d = 0; d < n; d++) {
        if (journal_pending_count(devs[d].j, &pending0[d], &em))
            pending0[d] = 0;
        total += pending0[d];
    }
    /* Counted before the coordinator starts: the caller waits for this line. */
    fprintf(stderr, "sync_bench: ready\n");
    while (coord_cursor(url) < 0 && bench_now_ns() - start < 60 * 1000000000LL)
        pause_us(2000);
    up = bench_now_ns();
    int64_t done = 0, all_drained = 0;
    while (!done && bench_now_ns() - up < 120 * 1000000000LL) {
        bool all_empty = true, same = true;
        int64_t c0 = journal_cursor(devs[0].j);
        for (int d = 0; d < n; d++) {
            int64_t p = 0;
            if (journal_pending_count(devs[d].j, &p, &em))
                p = 1;
            if (!first[d] && p < pending0[d])
                first[d] = bench_now_ns();
            if (!drained[d] && !p)
                drained[d] = bench_now_ns();
            all_empty &= !p;
            same &= journal_cursor(devs[d].j) == c0;
        }
        if (all_empty && !all_drained)
            all_drained = bench_now_ns();
        if (all_empty && same && (cursor = coord_cursor(url)) == c0)
            done = bench_now_ns();
        else
            pause_us(5000);
    }
    double firsts[MAX_DEVICES], drains[MAX_DEVICES];
    for (int d = 0; d < n; d++) {
        firsts[d] = ms_since(up, first[d]);
        drains[d] = ms_since(up, drained[d]);
    }
    qsort(firsts, (size_t)n, sizeof *firsts, bench_cmp_double);
    qsort(drains, (size_t)n, sizeof *drains, bench_cmp_double);
    printf("converge devices=%d ops=%lld waited_for_coord_ms=%.0f converged=%d converge_ms=%.0f "
           "drained_ms=%.0f first_push_min_ms=%.0f first_push_p50_ms=%.0f first_push_max_ms=%.0f "
           "drained_min_ms=%.0f drained_p50_ms=%.0f cursor=%lld\n",
           n, (long long)total, ms_since(start, up), done ? 1 : 0, ms_since(up, done),
           ms_since(up, all_drained), firsts[0], bench_quantile(firsts, (size_t)n, 0.5),
           firsts[n - 1], drains[0], bench_quantile(drains, (size_t)n, 0.5), (long long)cursor);
    for (int d = 0; d < n; d++)
        bench_dev_close(&devs[d]);
    return done ? 0 : 1;
}

int main(int argc, char **argv)
{
    cli c;
    usher_errmsg em = {{0}};
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs("usage: sync_bench latency|fill|converge ... (see the top of sync_bench.c)\n",
              argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (cli_parse(specs, NSPECS, argc - 2, argv + 2, &c, &em)) {
        fprintf(stderr, "sync_bench: %s\n", em.text);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    srand((unsigned)timestamp_now_ms());
    int rc = 2;
    if (!strcmp(argv[1], "latency"))
        rc = cmd_latency(&c);
    else if (!strcmp(argv[1], "fill"))
        rc = cmd_fill(&c);
    else if (!strcmp(argv[1], "converge"))
        rc = cmd_converge(&c);
    else
        fprintf(stderr, "sync_bench: unknown command '%s'\n", argv[1]);
    curl_global_cleanup();
    return rc;
}

/* rush.c - the guest rush: plays many kiosks at once against a coordinator
 * through real usher-syncd processes on real journals (scripts/rush wraps it).
 *
 * Each device is a journal with its own usher-syncd, reaching the coordinator
 * through a loopback proxy the rush can cut (rush_proxy.c). Guests come in
 * parties of 1 to 4; friends (parties of one group) want the same table and
 * queue at different kiosks at nearly the same moment. At its kiosk a party
 * looks at the view (replica + own pending ops), holds seats at its table or
 * the nearest with room, thinks, then confirms (assigns) if the view still
 * shows them held for it, or picks again. Meanwhile links drop and come back,
 * so offline kiosks seat from stale views and the coordinator's reseat rule
 * settles the collisions. At the end every link is restored, the rush waits
 * until every device has converged and checks the invariants (rush_check.c).
 *
 *   rush --url http://127.0.0.1:PORT --admin-token T --syncd PATH --dir DIR
 *        [--tokens T1,T2,...] [--devices 10] [--guests 200] [--seconds 10]
 *        [--seed N] [--no-drops]
 *   rush --check-only --url URL --admin-token T --dir DIR [--devices N]
 *        checks the invariants of an earlier rush's journals (no usher-syncd
 *        is started: tests use it to see the checks fail on a tampered state)
 *
 * Exit: 0 every invariant held, 1 one failed, 2 bad arguments, 3 could not run.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "rush.h"
#include "text.h"
#include "timestamp.h"

extern char **environ;

static const cli_spec specs[] = {{"url", true},       {"admin-token", true}, {"tokens", true},
                                 {"syncd", true},     {"dir", true},         {"devices", true},
                                 {"guests", true},    {"seconds", true},     {"seed", true},
                                 {"no-drops", false}, {"check-only", false}};
#define NSPECS ((int)(sizeof specs / sizeof specs[0]))

static volatile sig_atomic_t stopping; /* SIGINT or SIGTERM: wind down */

static void on_signal(int sig)
{
    stopping = sig;
}

static void pause_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static uint64_t next_rand(rush *r)
{
    r->rng ^= r->rng << 13; /* xorshift64: repeatable choices from --seed */
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    return r->rng;
}

static int64_t rand_in(rush *r, int64_t lo, int64_t hi) /* lo..hi inclusive */
{
    return lo + (int64_t)(next_rand(r) % (uint64_t)(hi - lo + 1));
}

/* ---- devices ------------------------------------------------------------------ */

static int spawn_syncd(rush *r, int i, const char *syncd, const char *token)
{
    rush_device *d = &r->dev[i];
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", rush_proxy_port(r->proxy, i));
    char *argv[] = {(char *)syncd, "run",     "--db",        d->journal, "--coordinator",
                    url,           "--token", (char *)token, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int rc = posix_spawn(&d->pid, syncd, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        fprintf(stderr, "rush: cannot start %s: %s\n", syncd, strerror(rc));
        d->pid = 0;
        return -1;
    }
    return 0;
}

/* Waits until every journal is bootstrapped and its usher-syncd online. */
static int wait_devices(rush *r)
{
    int64_t until = timestamp_mono_ms() + 60000;
    for (int i = 0; i < r->ndev; i++) {
        rush_device *d = &r->dev[i];
        usher_errmsg em = {{0}};
        journal_status st = {0};
        for (;;) {
            int status;
            if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
                d->pid = 0;
                fprintf(stderr, "rush: usher-syncd of device %d stopped (its log: %s)\n", i + 1,
                        d->log);
                return -1;
            }
            if (!d->d.j && access(d->journal, F_OK) == 0) {
                if (bench_dev_open(&d->d, d->journal, &em))
                    bench_dev_close(&d->d); /* not bootstrapped yet */
            }
            if (d->d.j && !journal_get_status(d->d.j, &st, &em) && st.online && st.wake_socket[0])
                break;
            if (stopping)
                return -1;
            if (timestamp_mono_ms() > until) {
                fprintf(stderr, "rush: device %d did not come online within 60 s (log: %s)\n",
                        i + 1, d->log);
                return -1;
            }
            pause_ms(20);
        }
    }
    return 0;
}

static int stop_devices(rush *r)
{
    int bad = 0;
    for (int i = 0; i < r->ndev; i++)
        if (r->dev[i].pid > 0)
            kill(r->dev[i].pid, SIGTERM);
    for (int i = 0; i < r->ndev; i++) {
        int status = 0;
        if (r->dev[i].pid <= 0)
            continue;
        if (waitpid(r->dev[i].pid, &status, 0) == r->dev[i].pid &&
            !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            fprintf(stderr, "rush: usher-syncd of device %d ended badly (status %d; log %s)\n",
                    i + 1, status, r->dev[i].log);
            bad++;
        }
        r->dev[i].pid = 0;
    }
    return bad;
}

/* ---- guests --------------------------------------------------------------------- */

/* The guests: the first M unseated, unrevoked tickets in device 1's view. */
static int pick_guests(rush *r, int want)
{
    usher_errmsg em = {{0}};
    state *v = NULL;
    if (bench_dev_view(&r->dev[0].d, timestamp_now_ms(), &v, &em)) {
        fprintf(stderr, "rush: %s\n", em.text);
        return -1;
    }
    r->code = calloc((size_t)want + 1, sizeof *r->code);
    r->klass = calloc((size_t)want + 1, sizeof *r->klass);
    if (!r->code || !r->klass) {
        state_free(v);
        return -1;
    }
    r->nguests = 0;
    for (int i = 0; i < state_ticket_count(v) && r->nguests < want; i++) {
        const ticket_state *t = state_ticket(v, i);
        if (t->seat[0] || t->revoked)
            continue;
        text_copy(r->code[r->nguests], sizeof r->code[0], t->code);
        text_copy(r->klass[r->nguests++], sizeof r->klass[0], t->klass);
    }
    state_free(v);
    return 0;
}

/* Parties of 1..4 in groups of 1..3 friends' parties wanting one table; each
 * group arrives at a random moment of the rush, its parties within 300 ms at
 * different kiosks. Two thirds of the groups aim at the first third of the
 * sections (the tables near the stage), so groups collide too. */
static int plan_parties(rush *r, int64_t start, int64_t seconds)
{
    const layout *l = r->dev[0].d.l;
    int nsec = layout_section_count(l);
    r->parties = calloc((size_t)r->nguests + 1, sizeof *r->parties);
    r->group_section = calloc((size_t)r->nguests + 1, sizeof *r->group_section);
    if (!r->parties || !r->group_section)
        return -1;
    for (int g = 0; g < r->nguests; g++)
        r->group_section[g] =
            next_rand(r) % 3 ? (int)rand_in(r, 0, (nsec - 1) / 3) : (int)rand_in(r, 0, nsec - 1);
    int guest = 0;
    while (guest < r->nguests) {
        int g = r->ngroups++, nparties = (int)rand_in(r, 1, 3);
        int64_t at = start + rand_in(r, 0, seconds * 800); /* the last fifth confirms */
        int dev0 = (int)rand_in(r, 0, r->ndev - 1);
        for (int k = 0; k < nparties && guest < r->nguests; k++) {
            rush_party *p = &r->parties[r->nparties++];
            p->first = guest;
            p->size = (int)rand_in(r, 1, RUSH_MAX_PARTY);
            if (p->size > r->nguests - guest)
                p->size = r->nguests - guest;
            guest += p->size;
            p->group = g;
            p->dev = (dev0 + k) % r->ndev;
            p->at = at + rand_in(r, 0, 300);
            op_new_id(p->id);
        }
    }
    return 0;
}

static double dist2(const layout_section *a, const layout_section *b)
{
    return (a->x - b->x) * (a->x - b->x) + (a->y - b->y) * (a->y - b->y);
}

/* Seats for party p in view v: free seats open to every guest's class at its
 * group's table, else at the nearest section with room for the whole party. */
static bool pick_seats(rush *r, rush_party *p, const state *v, const char *device, int64_t now)
{
    const layout *l = state_layout(v);
    const layout_section *target = layout_section_at(l, r->group_section[p->group]);
    int nsec = layout_section_count(l);
    bool *tried = calloc((size_t)nsec, sizeof *tried);
    bool found = false;
    for (int round = 0; tried && round < nsec && !found; round++) {
        int best = -1;
        for (int s = 0; s < nsec; s++)
            if (!tried[s] && (best < 0 || dist2(layout_section_at(l, s), target) <
                                              dist2(layout_section_at(l, best), target)))
                best = s;
        tried[best] = true;
        const layout_section *sec = layout_section_at(l, best);
        int got = 0;
        for (int si = sec->first_seat; si < sec->first_seat + sec->seat_count && got < p->size;
             si++) {
            bool ok = state_seat_status(v, si, device, now) == SEAT_FREE;
            for (int k = 0; ok && k < p->size; k++)
                ok = domain_class_allows(layout_seat_at(l, si)->klass, r->klass[p->first + k]);
            if (ok)
                p->seats[got++] = si;
        }
        found = got == p->size;
    }
    free(tried);
    return found;
}

/* One kiosk action: the ops in one transaction, then the wake nudge. */
static int act(rush *r, int dev, const usher_op *ops, int n)
{
    usher_errmsg em = {{0}};
    if (!n)
        return 0;
    if (bench_dev_act(&r->dev[dev].d, ops, (size_t)n, &em)) {
        fprintf(stderr, "rush: device %d: %s\n", dev + 1, em.text);
        return -1;
    }
    r->ops_written += n;
    if (rush_proxy_offline(r->proxy, dev))
        r->dev[dev].ops_offline += n;
    return 0;
}

/* Seat ops for party p at its kiosk: kind for each chosen seat. */
static int seat_ops(rush *r, rush_party *p, const state *v, op_kind kind, usher_op *ops)
{
    rush_device *d = &r->dev[p->dev];
    int n = 0;
    for (int k = 0; k < p->size; k++) {
        usher_op *op = &ops[n++];
        op_init(op, kind, d->d.id.device, timestamp_now_ms());
        text_copy(op->seat, sizeof op->seat, layout_seat_at(d->d.l, p->seats[k])->id);
        if (kind == OP_ASSIGN) {
            int ti = state_find_ticket(v, r->code[p->first + k]);
            text_copy(op->ticket, sizeof op->ticket, r->code[p->first + k]);
            text_copy(op->party, sizeof op->party, p->id);
            if (ti >= 0)
                text_copy(op->expect_ticket_seat, sizeof op->expect_ticket_seat,
                          state_ticket(v, ti)->seat);
        }
    }
    return n;
}

/* The party's next step at its kiosk. */
static int step(rush *r, rush_party *p, int64_t mono)
{
    rush_device *d = &r->dev[p->dev];
    usher_errmsg em = {{0}};
    usher_op ops[RUSH_MAX_PARTY];
    state *v = NULL;
    int64_t now = timestamp_now_ms();
    int rc = 0;
    if (bench_dev_view(&d->d, now, &v, &em)) {
        fprintf(stderr, "rush: device %d: %s\n", p->dev + 1, em.text);
        return -1;
    }
    if (p->step == 1) { /* confirm what the view still shows held for us */
        bool lost = false;
        for (int k = 0; k < p->size; k++) {
            seat_status st = state_seat_status(v, p->seats[k], d->d.id.device, now);
            lost |= st != SEAT_HELD_BY_ME && st != SEAT_FREE;
        }
        if (!lost) {
            rc = act(r, p->dev, ops, seat_ops(r, p, v, OP_ASSIGN, ops));
            p->step = 2;
            p->seated = true;
            goto out;
        }
        /* Someone else got there first: let go of what is still ours, pick again. */
        int n = 0;
        for (int k = 0; k < p->size; k++)
            if (state_seat_status(v, p->seats[k], d->d.id.device, now) == SEAT_HELD_BY_ME) {
                op_init(&ops[n], OP_RELEASE, d->d.id.device, now);
                text_copy(ops[n++].seat, sizeof ops[0].seat,
                          layout_seat_at(d->d.l, p->seats[k])->id);
            }
        r->lost_before_confirm++;
        if ((rc = act(r, p->dev, ops, n)) != 0)
            goto out;
        if (++p->tries >= 3) {
            p->step = 2;
            r->gave_up++;
            goto out;
        }
        state_free(v);
        v = NULL;
        if (bench_dev_view(&d->d, now, &v, &em)) {
            fprintf(stderr, "rush: device %d: %s\n", p->dev + 1, em.text);
            return -1;
        }
    }
    if (!pick_seats(r, p, v, d->d.id.device, now)) {
        p->step = 2;
        p->no_room = true;
        goto out;
    }
    rc = act(r, p->dev, ops, seat_ops(r, p, v, OP_HOLD, ops));
    p->step = 1;
    p->at = mono + rand_in(r, 100, 600); /* the guest looks at the map, taps Confirm */
out:
    state_free(v);
    return rc;
}

/* Cuts a random online link now and then (at most a third of them at once,
 * for 0.5 to 2 s) and restores the ones whose time is up. */
static void drops(rush *r, int64_t mono, int64_t seconds, bool enabled)
{
    int down = 0;
    for (int i = 0; i < r->ndev; i++) {
        rush_device *d = &r->dev[i];
        if (d->online_at && mono >= d->online_at) {
            rush_proxy_set_offline(r->proxy, i, false);
            d->online_at = 0;
        }
        down += d->online_at != 0;
    }
    /* On average each device drops about once a rush. */
    if (!enabled || mono < r->next_drop)
        return;
    r->next_drop = mono + rand_in(r, 0, 2 * seconds * 1000 / r->ndev);
    if (down * 3 >= r->ndev)
        return;
    int i = (int)rand_in(r, 0, r->ndev - 1);
    if (r->dev[i].online_at)
        return;
    int64_t len = rand_in(r, 500, 2000);
    rush_proxy_set_offline(r->proxy, i, true);
    r->dev[i].online_at = mono + len;
    r->dev[i].offline_ms += len;
    r->dev[i].episodes++;
}

/* Until every outbox is empty and every cursor equals the coordinator's (twice,
 * 50 ms apart); the time it took, or -1 after 60 s. */
static int64_t converge(rush *r)
{
    int64_t t0 = timestamp_mono_ms(), ok_since = 0;
    while (timestamp_mono_ms() - t0 < 60000 && !stopping) {
        int64_t cursor = rush_coord_cursor(r);
        bool ok = cursor >= 0;
        for (int i = 0; ok && i < r->ndev; i++) {
            int64_t pending = 1;
            usher_errmsg em = {{0}};
            ok = !journal_pending_count(r->dev[i].d.j, &pending, &em) && !pending &&
                 journal_cursor(r->dev[i].d.j) == cursor;
        }
        if (!ok)
            ok_since = 0;
        else if (!ok_since)
            ok_since = timestamp_mono_ms();
        else if (timestamp_mono_ms() - ok_since >= 50)
            return ok_since - t0;
        pause_ms(10);
    }
    return -1;
}

static int64_t opt(const cli *c, const char *name, int64_t def, int64_t min, int64_t max, bool *bad)
{
    const char *s = cli_get(specs, NSPECS, c, name);
    int64_t v;
    if (!s)
        return def;
    if (!text_parse_i64(s, min, max, &v)) {
        fprintf(stderr, "rush: --%s: a whole number from %lld to %lld, not '%s'\n", name,
                (long long)min, (long long)max, s);
        *bad = true;
    }
    return v;
}

/* Splits "http://HOST:PORT" (IPv4 host, no path). */
static bool parse_url(const char *url, char *host, size_t hsize, int *port)
{
    int64_t p;
    const char *h = !strncmp(url, "http://", 7) ? url + 7 : NULL;
    const char *colon = h ? strrchr(h, ':') : NULL;
    if (!colon || !text_copyn(host, hsize, h, (size_t)(colon - h)) ||
        !text_parse_i64(colon + 1, 1, 65535, &p))
        return false;
    if (!strcmp(host, "localhost"))
        text_copy(host, hsize, "127.0.0.1");
    *port = (int)p;
    return true;
}

/* --check-only: the journals of an earlier rush, checked as they are. */
static int check_only(rush *r, const char *dir)
{
    for (int i = 0; i < r->ndev; i++) {
        usher_errmsg em = {{0}};
        snprintf(r->dev[i].journal, sizeof r->dev[i].journal, "%s/dev-%d.journal", dir, i + 1);
        if (access(r->dev[i].journal, F_OK) != 0 ||
            bench_dev_open(&r->dev[i].d, r->dev[i].journal, &em)) {
            fprintf(stderr, "rush: %s: %s\n", r->dev[i].journal,
                    em.text[0] ? em.text : "no such journal (check --dir and --devices)");
            return 3;
        }
    }
    r->nguests = 0;
    return rush_check(r, converge(r)) ? 1 : 0;
}

static int run(rush *r, const cli *c, int64_t seconds, bool drops_on)
{
    const char *syncd = cli_get(specs, NSPECS, c, "syncd"), *dir = cli_get(specs, NSPECS, c, "dir");
    const char *tokens = cli_get(specs, NSPECS, c, "tokens");
    char tokbuf[8192], *tok[RUSH_MAX_DEVICES];
    int ntok = 0;
    text_copy(tokbuf, sizeof tokbuf, tokens ? tokens : r->admin_token);
    for (char *s = tokbuf, *e; s && ntok < RUSH_MAX_DEVICES; s = e ? e + 1 : NULL) {
        e = strchr(s, ',');
        if (e)
            *e = '\0';
        if (*s)
            tok[ntok++] = s;
    }
    if (!ntok) {
        fprintf(stderr, "rush: --tokens: no token in '%s'\n", tokens);
        return 2;
    }
    for (int i = 0; i < r->ndev; i++) {
        rush_device *d = &r->dev[i];
        snprintf(d->journal, sizeof d->journal, "%s/dev-%d.journal", dir, i + 1);
        snprintf(d->log, sizeof d->log, "%s/dev-%d.log", dir, i + 1);
        if (access(d->journal, F_OK) == 0) {
            fprintf(stderr, "rush: %s exists: give a new --dir for every rush\n", d->journal);
            return 2;
        }
    }
    for (int i = 0; i < r->ndev; i++)
        if (spawn_syncd(r, i, syncd, tok[i % ntok]))
            return 3;
    fprintf(stderr, "rush: %d devices starting (journals and logs in %s)\n", r->ndev, dir);
    if (wait_devices(r) || pick_guests(r, r->nguests))
        return 3;
    if (!r->nguests) {
        fprintf(stderr, "rush: the event has no unseated ticket left to play a guest\n");
        return 3;
    }
    int64_t start = timestamp_mono_ms();
    r->next_drop = start + rand_in(r, 0, seconds * 1000 / r->ndev);
    if (plan_parties(r, start, seconds))
        return 3;
    fprintf(stderr, "rush: %d guests in %d parties (%d groups of friends), %lld s\n", r->nguests,
            r->nparties, r->ngroups, (long long)seconds);
    for (int done = 0; done < r->nparties && !stopping;) {
        int64_t mono = timestamp_mono_ms();
        drops(r, mono, seconds, drops_on);
        done = 0;
        for (int i = 0; i < r->nparties; i++) {
            rush_party *p = &r->parties[i];
            if (p->step < 2 && mono >= p->at && step(r, p, mono))
                return 3;
            done += p->step == 2;
        }
        pause_ms(5);
    }
    int64_t ops_end = timestamp_mono_ms();
    for (int i = 0; i < r->ndev; i++) {
        if (r->dev[i].online_at) /* count only the time it really was cut */
            r->dev[i].offline_ms -= r->dev[i].online_at - ops_end;
        r->dev[i].online_at = 0;
        rush_proxy_set_offline(r->proxy, i, false);
    }
    fprintf(stderr, "rush: the last guest confirmed after %.1f s; waiting for the devices\n",
            (double)(ops_end - start) / 1000);
    int64_t conv = converge(r);
    if (stopping) {
        fprintf(stderr, "rush: stopped by signal %d before the checks\n", (int)stopping);
        return 3;
    }
    int failed = rush_check(r, conv);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    cli c;
    usher_errmsg em = {{0}};
    if (cli_wants_help(argc, argv)) {
        fputs("usage: rush --url http://127.0.0.1:PORT --admin-token T --syncd PATH --dir DIR\n"
              "            [--tokens T1,T2,...] [--devices 10] [--guests 200] [--seconds 10]\n"
              "            [--seed N] [--no-drops]\n"
              "(scripts/rush runs it; see the top of tests/bench/rush.c)\n",
              stdout);
        return 0;
    }
    if (cli_parse(specs, NSPECS, argc - 1, argv + 1, &c, &em)) {
        fprintf(stderr, "rush: %s\n", em.text);
        return 2;
    }
    static rush r;
    bool bad = false;
    char host[256];
    int port = 0;
    r.url = cli_get(specs, NSPECS, &c, "url");
    r.admin_token = cli_get(specs, NSPECS, &c, "admin-token");
    r.ndev = (int)opt(&c, "devices", 10, 1, RUSH_MAX_DEVICES, &bad);
    r.nguests = (int)opt(&c, "guests", 200, 1, 100000, &bad);
    int64_t seconds = opt(&c, "seconds", 10, 1, 3600, &bad);
    int64_t seed = opt(&c, "seed", timestamp_now_ms() % 1000000, 0, INT64_MAX, &bad);
    if (bad)
        return 2;
    bool only = cli_get(specs, NSPECS, &c, "check-only") != NULL;
    if (!r.url || !r.admin_token || (!only && !cli_get(specs, NSPECS, &c, "syncd")) ||
        !cli_get(specs, NSPECS, &c, "dir")) {
        fprintf(stderr, "rush: needs --url, --admin-token, --syncd and --dir (see --help)\n");
        return 2;
    }
    if (!parse_url(r.url, host, sizeof host, &port)) {
        fprintf(stderr, "rush: --url %s: expected http://IPV4:PORT, e.g. http://127.0.0.1:8080\n",
                r.url);
        return 2;
    }
    r.rng = (uint64_t)seed * 2654435761u + 1;
    fprintf(stderr, "rush: seed %lld (--seed repeats the choices, not the timing)\n",
            (long long)seed);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0); /* the report interleaves with stderr's progress */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int rc = 3;
    if (only)
        rc = check_only(&r, cli_get(specs, NSPECS, &c, "dir"));
    else if (rush_proxy_new(host, port, r.ndev, &r.proxy, &em))
        fprintf(stderr, "rush: %s\n", em.text);
    else
        rc = run(&r, &c, seconds, !cli_get(specs, NSPECS, &c, "no-drops"));
    if (stop_devices(&r) && rc == 0)
        rc = 1;
    rush_proxy_free(r.proxy);
    for (int i = 0; i < r.ndev; i++)
        bench_dev_close(&r.dev[i].d);
    free(r.code), free(r.klass), free(r.parties), free(r.group_section);
    curl_global_cleanup();
    return rc;
}

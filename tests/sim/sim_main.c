/* sim_main.c - usher-sim: runs simulated worlds (sim.h) by seed, replays one,
 * runs as many as fit in a duration, or shows that a planted bug is caught. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim.h"
#include "text.h"

static const char usage[] =
    "usage: usher-sim [--seed N | --first N --seeds COUNT | --seconds S] [--bug NAME]\n"
    "                 [--expect-caught] [--twice] [--verbose]\n"
    "\n"
    "  --seed N         run the world of seed N (what a failing run prints)\n"
    "  --first N        the first seed of a series (default 1)\n"
    "  --seeds COUNT    run COUNT seeds from --first (default 1)\n"
    "  --seconds S      run seeds from --first until S seconds have passed\n"
    "  --bug NAME       plant a bug: middlebox-rejects, no-reload or forget-sync\n"
    "  --expect-caught  succeed only if some seed fails its checks (with --bug),\n"
    "                   and that seed fails again the same way when replayed\n"
    "  --twice          run every seed twice and require the same trace\n"
    "  --verbose        print the trace of each run on stderr\n"
    "Exit 0 when every seed passed (or, with --expect-caught, when the bug was\n"
    "caught), 1 when a seed failed, 2 on bad arguments.\n";

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct totals {
    uint64_t seeds;
    int64_t sim_ms;
    sim_stats s;
} totals;

static void add(totals *t, const sim_stats *s)
{
    t->seeds++;
    t->sim_ms += s->sim_ms;
    t->s.steps += s->steps, t->s.ops_saved += s->ops_saved, t->s.ops_accepted += s->ops_accepted;
    t->s.rounds += s->rounds, t->s.dropped += s->dropped, t->s.duplicated += s->duplicated;
    t->s.delayed += s->delayed, t->s.middlebox += s->middlebox, t->s.partitions += s->partitions;
    t->s.device_crashes += s->device_crashes, t->s.coord_crashes += s->coord_crashes;
    t->s.power_losses += s->power_losses, t->s.io_failures += s->io_failures;
    t->s.clock_jumps += s->clock_jumps, t->s.disk_full += s->disk_full;
    t->s.backups += s->backups, t->s.restores += s->restores, t->s.rebuilds += s->rebuilds;
}

static void print_totals(const totals *t, uint64_t first, double secs)
{
    const sim_stats *s = &t->s;
    uint64_t faults = s->dropped + s->duplicated + s->delayed + s->middlebox + s->partitions +
                      s->device_crashes + s->coord_crashes + s->io_failures + s->clock_jumps +
                      s->restores + s->disk_full;
    printf("usher-sim: %llu seeds (%llu..%llu) in %.1f s: %.2f simulated hours, %llu faults\n",
           (unsigned long long)t->seeds, (unsigned long long)first,
           (unsigned long long)(first + t->seeds - (t->seeds ? 1 : 0)), secs,
           (double)t->sim_ms / 3600000.0, (unsigned long long)faults);
    printf("  ops saved %llu, accepted %llu, sync requests %llu\n",
           (unsigned long long)s->ops_saved, (unsigned long long)s->ops_accepted,
           (unsigned long long)s->rounds);
    printf("  messages lost %llu, duplicated %llu, delayed %llu, middlebox answers %llu, "
           "partitions %llu\n",
           (unsigned long long)s->dropped, (unsigned long long)s->duplicated,
           (unsigned long long)s->delayed, (unsigned long long)s->middlebox,
           (unsigned long long)s->partitions);
    printf("  device crashes %llu, coordinator crashes %llu (power lost %llu), I/O failures "
           "%llu, full disks %llu, clock jumps %llu\n",
           (unsigned long long)s->device_crashes, (unsigned long long)s->coord_crashes,
           (unsigned long long)s->power_losses, (unsigned long long)s->io_failures,
           (unsigned long long)s->disk_full, (unsigned long long)s->clock_jumps);
    printf("  coordinator backups %llu, restored from one %llu, device rebuilds %llu\n",
           (unsigned long long)s->backups, (unsigned long long)s->restores,
           (unsigned long long)s->rebuilds);
}

/* Runs one seed in a fresh folder. Returns 0 (res filled) or -1. */
static int run_one(uint64_t seed, sim_bug bug, bool verbose, sim_result *res)
{
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/usher-sim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "usher-sim: cannot make a folder in %s: %s\n", tmp ? tmp : "/tmp",
                strerror(errno));
        return -1;
    }
    sim_options o = {.seed = seed, .dir = dir, .bug = bug, .verbose = verbose};
    int rc = sim_run(&o, res);
    rmdir(dir);
    if (rc != 0)
        fprintf(stderr, "usher-sim: seed %llu could not run: %s\n", (unsigned long long)seed,
                res->failure);
    return rc;
}

static bool parse_u64(const char *flag, const char *text, int64_t max, int64_t *out)
{
    if (text && text_parse_i64(text, 0, max, out))
        return true;
    fprintf(stderr, "usher-sim: %s needs a number from 0 to %lld (got '%s')\n", flag,
            (long long)max, text ? text : "");
    return false;
}

int main(int argc, char **argv)
{
    int64_t first = 1, count = 1, seconds = 0;
    bool single = false, expect = false, twice = false, verbose = false;
    sim_bug bug = SIM_BUG_NONE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--seed")) {
            if (!parse_u64(a, v, INT64_MAX, &first))
                return 2;
            single = true, count = 1, i++;
        } else if (!strcmp(a, "--first")) {
            if (!parse_u64(a, v, INT64_MAX, &first))
                return 2;
            i++;
        } else if (!strcmp(a, "--seeds")) {
            if (!parse_u64(a, v, 100000000, &count))
                return 2;
            i++;
        } else if (!strcmp(a, "--seconds")) {
            if (!parse_u64(a, v, 30 * 86400, &seconds))
                return 2;
            i++;
        } else if (!strcmp(a, "--bug")) {
            if (!sim_bug_parse(v, &bug) || bug == SIM_BUG_NONE) {
                fprintf(stderr,
                        "usher-sim: --bug: '%s' is not a planted bug "
                        "(middlebox-rejects, no-reload, forget-sync)\n",
                        v ? v : "");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--expect-caught")) {
            expect = true;
        } else if (!strcmp(a, "--twice")) {
            twice = true;
        } else if (!strcmp(a, "--verbose")) {
            verbose = true;
        } else {
            fprintf(stderr, "usher-sim: unknown argument '%s' (try --help)\n", a);
            return 2;
        }
    }
    if (expect && bug == SIM_BUG_NONE) {
        fputs("usher-sim: --expect-caught goes with --bug NAME\n", stderr);
        return 2;
    }
    (void)single;
    double start = wall_seconds();
    totals t;
    memset(&t, 0, sizeof t);
    for (uint64_t seed = (uint64_t)first;; seed++) {
        if (seconds ? wall_seconds() - start >= (double)seconds
                    : seed >= (uint64_t)first + (uint64_t)count)
            break;
        sim_result res;
        if (run_one(seed, bug, verbose, &res) != 0)
            return 1;
        add(&t, &res.stats);
        if (twice) {
            sim_result again;
            if (run_one(seed, bug, false, &again) != 0)
                return 1;
            if (again.trace != res.trace || again.ok != res.ok) {
                printf("usher-sim: seed %llu does not replay exactly (trace %016llx, then "
                       "%016llx)\n",
                       (unsigned long long)seed, (unsigned long long)res.trace,
                       (unsigned long long)again.trace);
                return 1;
            }
        }
        if (res.ok)
            continue;
        printf("usher-sim: seed %llu FAILED: %s\n  replay: usher-sim --seed %llu%s%s "
               "--verbose\n",
               (unsigned long long)seed, res.failure, (unsigned long long)seed,
               bug ? " --bug " : "",
               bug == SIM_BUG_MIDDLEBOX_REJECTS ? "middlebox-rejects"
               : bug == SIM_BUG_NO_RELOAD       ? "no-reload"
               : bug == SIM_BUG_FORGET_SYNC     ? "forget-sync"
                                                : "");
        if (!expect)
            return 1;
        sim_result again;
        if (run_one(seed, bug, false, &again) != 0)
            return 1;
        if (again.ok || again.trace != res.trace || strcmp(again.failure, res.failure) != 0) {
            printf("usher-sim: the planted bug was caught, but seed %llu did not fail the same "
                   "way again\n",
                   (unsigned long long)seed);
            return 1;
        }
        printf("usher-sim: planted bug caught by seed %llu, and it replays exactly (trace "
               "%016llx)\n",
               (unsigned long long)seed, (unsigned long long)res.trace);
        return 0;
    }
    print_totals(&t, (uint64_t)first, wall_seconds() - start);
    if (expect) {
        printf("usher-sim: the planted bug was NOT caught in %llu seeds\n",
               (unsigned long long)t.seeds);
        return 1;
    }
    return 0;
}

/* sim.h - Usher's deterministic simulator: the coordinator (state machine and
 * the real coorddb), several devices (the real journal, syncd's decisions from
 * syncd_plan.c, a kiosk or door actor) and a simulated network, clocks and
 * crashes, and the coordinator's database restored from an earlier backup
 * (devices rebuild and send again what it lost), in one process and one
 * thread, all driven by one seed. SQLite
 * files live in a temporary folder and run through faultvfs (I/O failures,
 * power loss). The same seed gives the same run, byte for byte.
 *
 * Every run ends by healing the world and checking the invariants: no seat
 * holds two tickets nor a ticket two seats (coordinator and every device);
 * every op a device holds as decided is in the coordinator's log with the
 * same verdict, and every op a kiosk saved reached the coordinator; every
 * device converges to the coordinator's state; the op log replayed from empty
 * through state_apply gives the coordinator's state.
 */
#ifndef USHER_SIM_H
#define USHER_SIM_H

#include <stdbool.h>
#include <stdint.h>

/* Bugs the simulator can plant on purpose, to show its checks catch them. */
typedef enum {
    SIM_BUG_NONE = 0,
    SIM_BUG_MIDDLEBOX_REJECTS, /* a device treats any 400 as the coordinator's (the old syncd) */
    SIM_BUG_NO_RELOAD,   /* the coordinator keeps memory ahead of disk after a failed commit */
    SIM_BUG_FORGET_SYNC, /* the device journal's syncs are lies (power loss eats saved ops) */
} sim_bug;

/* "middlebox-rejects" etc.; SIM_BUG_NONE (and false) when unknown. */
bool sim_bug_parse(const char *name, sim_bug *out);

typedef struct sim_options {
    uint64_t seed;
    const char *dir; /* a folder for the run's files (emptied after) */
    sim_bug bug;
    bool verbose; /* the trace on stderr */
} sim_options;

typedef struct sim_stats {
    int64_t sim_ms; /* simulated time, faults and healing */
    uint64_t steps, ops_saved, ops_accepted, rounds;
    uint64_t dropped, duplicated, delayed, middlebox, partitions;
    uint64_t device_crashes, coord_crashes, power_losses, io_failures, clock_jumps;
    uint64_t backups, restores, rebuilds; /* the coordinator restored from an earlier backup */
    uint64_t disk_full;                   /* a device's journal write refused for a full disk */
} sim_stats;

typedef struct sim_result {
    bool ok;
    char failure[512]; /* the invariant that broke, when !ok */
    uint64_t trace;    /* a hash of everything that happened: equal runs, equal hashes */
    sim_stats stats;
} sim_result;

/* Runs one world from opts->seed. Returns 0 with *res filled (res->ok says
 * whether every invariant held), or -1 when the run could not be set up (the
 * message in res->failure). */
int sim_run(const sim_options *opts, sim_result *res);

#endif

/* rush.h - the guest rush (tests/bench/rush.c): what the driver and the
 * invariant checks (rush_check.c) share. */
#ifndef USHER_RUSH_H
#define USHER_RUSH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench_dev.h"
#include "rush_proxy.h"

#define RUSH_MAX_DEVICES 64
#define RUSH_MAX_PARTY 4

typedef struct rush_device {
    bench_dev d;
    pid_t pid; /* its usher-syncd */
    char journal[600], log[600];
    int64_t online_at;   /* mono ms when a cut link comes back; 0 = online */
    int64_t offline_ms;  /* total time cut */
    int episodes;        /* times cut */
    int64_t ops_offline; /* ops written while cut */
} rush_device;

typedef struct rush_party {
    int first, size; /* its guests: tickets[first .. first+size) */
    int group;       /* friends: parties of a group want the same table */
    int dev;         /* the kiosk it queues at */
    int64_t at;      /* mono ms of its next step */
    int step;        /* 0: arrives and picks, 1: holds, confirms at `at`, 2: done */
    int tries;
    int seats[RUSH_MAX_PARTY];
    char id[USHER_OPID_SIZE];
    bool seated, no_room;
} rush_party;

typedef struct rush {
    const char *url, *admin_token;
    int ndev;
    rush_device dev[RUSH_MAX_DEVICES];
    rush_proxy *proxy;
    /* the guests: ticket codes and classes */
    int nguests;
    char (*code)[USHER_CODE_SIZE];
    char (*klass)[USHER_CLASS_SIZE];
    int nparties;
    rush_party *parties;
    int *group_section; /* target section of each friend group */
    int ngroups;
    uint64_t rng;
    int64_t next_drop; /* mono ms when a link may be cut next */
    /* what happened */
    int64_t ops_written, lost_before_confirm, gave_up;
} rush;

/* Checks the invariants once every device has converged and prints one line
 * for each ("ok   ..." or "FAIL ..."), then the outcome counts. Returns the
 * number of invariants that failed. converge_ms < 0: the devices did not
 * converge in time. */
int rush_check(rush *r, int64_t converge_ms);

/* The coordinator's cursor from /healthz, -1 when it does not answer. */
int64_t rush_coord_cursor(const rush *r);

#endif

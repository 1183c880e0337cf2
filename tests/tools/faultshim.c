/* faultshim.c - test tool: an LD_PRELOAD library that gives a real Usher
 * process the faults of a real venue, so that integration tests can run the
 * real programs through them:
 *
 *   USHER_FAULT_CLOCK=+MS | -MS   the wall clock (CLOCK_REALTIME, time(),
 *                                 gettimeofday()) is that far ahead or behind
 *   USHER_FAULT_CLOCK=@MS         the wall clock starts at MS since the epoch
 *                                 (a Pi without a real-time clock: @0 is 1970)
 *                                 and runs on from there
 *   USHER_FAULT_FSYNC=PATH        while the file PATH exists, fsync() and
 *                                 fdatasync() fail with EIO (a dying disk)
 *
 * Monotonic clocks are left alone. Test code only: never installed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int (*real_clock_gettime)(clockid_t, struct timespec *);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

static int64_t shift_ns; /* added to the real wall clock */
static int shift_ready;

static void load(void)
{
    if (!real_clock_gettime)
        real_clock_gettime =
            (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
    if (!real_fsync)
        real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    if (!real_fdatasync)
        real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    if (shift_ready)
        return;
    shift_ready = 1;
    const char *v = getenv("USHER_FAULT_CLOCK");
    if (!v || !*v)
        return;
    char *end = NULL;
    long long ms = strtoll(v + (*v == '@' || *v == '+'), &end, 10);
    if (!end || *end)
        return;
    if (*v == '@') {
        struct timespec now;
        real_clock_gettime(CLOCK_REALTIME, &now);
        shift_ns = (int64_t)ms * 1000000 - ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec);
    } else {
        shift_ns = (int64_t)ms * 1000000;
    }
}

static int is_wall(clockid_t id)
{
    return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
    load();
    int rc = real_clock_gettime(id, ts);
    if (rc == 0 && is_wall(id) && shift_ns) {
        int64_t ns = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec + shift_ns;
        if (ns < 0)
            ns = 0;
        ts->tv_sec = (time_t)(ns / 1000000000);
        ts->tv_nsec = (long)(ns % 1000000000);
    }
    return rc;
}

int gettimeofday(struct timeval *tv, void *tz)
{
    (void)tz;
    struct timespec ts;
    int rc = clock_gettime(CLOCK_REALTIME, &ts);
    if (rc == 0) {
        tv->tv_sec = ts.tv_sec;
        tv->tv_usec = ts.tv_nsec / 1000;
    }
    return rc;
}

time_t time(time_t *out)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out)
        *out = ts.tv_sec;
    return ts.tv_sec;
}

static int fsync_fails(void)
{
    const char *flag = getenv("USHER_FAULT_FSYNC");
    return flag && *flag && access(flag, F_OK) == 0;
}

int fsync(int fd)
{
    load();
    if (fsync_fails()) {
        errno = EIO;
        return -1;
    }
    return real_fsync(fd);
}

int fdatasync(int fd)
{
    load();
    if (fsync_fails()) {
        errno = EIO;
        return -1;
    }
    return real_fdatasync(fd);
}

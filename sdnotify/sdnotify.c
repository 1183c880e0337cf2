/* sdnotify.c - sd_notify for the kiosk's and syncd's units (see sdnotify.h). */
#include "sdnotify.h"

#include <stdio.h>
#include <systemd/sd-daemon.h>

void sdnotify_init(sdnotify *n)
{
    uint64_t usec = 0;
    n->watchdog_ms = 0;
    n->last_ping = 0;
    n->ready = false;
    /* > 0 when the watchdog is on for this very process (WATCHDOG_PID, when
     * set, names it). The environment is kept: sd_notify reads it each time. */
    if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 1000)
        n->watchdog_ms = (int64_t)(usec / 1000);
}

void sdnotify_ready(sdnotify *n, const char *status)
{
    if (!n->ready)
        sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "serving");
    else if (status)
        sdnotify_status(status);
    n->ready = true;
}

void sdnotify_status(const char *status)
{
    if (status)
        sd_notifyf(0, "STATUS=%s", status);
}

bool sdnotify_due(const sdnotify *n, int64_t now)
{
    return n->watchdog_ms > 0 && (n->last_ping == 0 || now - n->last_ping >= n->watchdog_ms / 4);
}

void sdnotify_alive(sdnotify *n, int64_t now)
{
    if (!sdnotify_due(n, now))
        return;
    sd_notify(0, "WATCHDOG=1");
    n->last_ping = now ? now : 1;
}

void sdnotify_stopping(void)
{
    sd_notify(0, "STOPPING=1");
}

int64_t sdnotify_cap_wait(const sdnotify *n, int64_t wait_ms)
{
    if (n->watchdog_ms <= 0)
        return wait_ms;
    int64_t cap = n->watchdog_ms / 2;
    return wait_ms > cap ? cap : wait_ms;
}

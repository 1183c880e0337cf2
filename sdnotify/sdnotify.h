/* sdnotify.h - telling systemd how a service is doing (sd_notify from
 * libsystemd): ready once serving, alive from the main loop for the unit's
 * watchdog (WatchdogSec=), stopping. Linked by usher-kiosk and usher-syncd;
 * libusher (shared/) stays without libsystemd.
 *
 * Not under systemd (no NOTIFY_SOCKET, or no watchdog asked for) every call
 * does nothing, so the programs run the same by hand and in tests. A test
 * may give NOTIFY_SOCKET (a datagram socket path) and WATCHDOG_USEC itself,
 * as systemd would.
 *
 * The rule it owns: a program pings at least every half of the watchdog's
 * time (WATCHDOG_USEC / 2), and only from its main loop, so that a loop that
 * hangs stops the pings and systemd restarts it (a crash restarts it anyway).
 */
#ifndef USHER_SDNOTIFY_H
#define USHER_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sdnotify {
    int64_t watchdog_ms; /* WATCHDOG_USEC in ms; 0 = no watchdog */
    int64_t last_ping;   /* monotonic ms of the last WATCHDOG=1; 0 = none yet */
    bool ready;          /* READY=1 sent */
} sdnotify;

/* Reads what systemd asked for (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID)
 * into n. */
void sdnotify_init(sdnotify *n);

/* READY=1 with a STATUS= line (may be NULL), once; later calls send only
 * the status. */
void sdnotify_ready(sdnotify *n, const char *status);

/* A STATUS= line for `systemctl status` (no-op without NOTIFY_SOCKET). */
void sdnotify_status(const char *status);

/* From the main loop, every time round: WATCHDOG=1 when a quarter of the
 * watchdog's time has passed since the last one (now: monotonic ms). */
void sdnotify_alive(sdnotify *n, int64_t now);

/* STOPPING=1 (a clean exit is on its way). */
void sdnotify_stopping(void);

/* Pure parts, for the shell's loop and the unit test. */

/* Whether sdnotify_alive at now sends a ping: a watchdog is on and none was
 * sent for watchdog_ms / 4 (a loop that sleeps at most watchdog_ms / 2 thus
 * pings within 3/4 of the watchdog's time at worst). */
bool sdnotify_due(const sdnotify *n, int64_t now);

/* A main loop's sleep of wait_ms, capped at half the watchdog's time (no cap
 * without a watchdog). */
int64_t sdnotify_cap_wait(const sdnotify *n, int64_t wait_ms);

#endif

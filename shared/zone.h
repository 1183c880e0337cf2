/* zone.h - the event's time zone for every time a person reads: door
 * verdicts, the dashboard, the human columns of exports. RFC 3339 text
 * (timestamp.h) stays UTC.
 *
 * The zone is the process's (the TZ variable): a program picks the event's
 * zone with zone_use before it starts threads, and again when it changes
 * (the kiosk, single-threaded, when sync delivers a new one).
 */
#ifndef USHER_ZONE_H
#define USHER_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "settings.h"

/* Makes tz (an IANA name, "" = UTC) the zone of zone_format. Not
 * thread-safe: call before threads start. */
void zone_use(const char *tz);

/* The zone in use ("UTC" for ""). */
const char *zone_current(void);

typedef enum {
    ZONE_HM = 0,   /* "19:42" */
    ZONE_DATETIME, /* "2026-12-02 19:42:05" */
} zone_style;

struct tm;

/* Breaks ms (since the epoch) into local time in the zone in use into out;
 * false (out untouched) for 0 or a time the C library cannot break down. */
bool zone_local(int64_t ms, struct tm *out);

/* Writes ms (since the epoch) as local time in the zone in use; "" for 0. */
void zone_format(int64_t ms, zone_style style, char *out, size_t size);

/* True when tz names a zone this machine knows (settings_tz_ok and a
 * zoneinfo file under /usr/share/zoneinfo, from Debian's tzdata); "UTC" and
 * "" always. Reads the file system. */
bool zone_exists(const char *tz);

/* This machine's own zone into out: $TZ, /etc/timezone or the target of
 * /etc/localtime; "UTC" when none says. Reads the file system. */
void zone_machine(char out[SETTINGS_TZ_SIZE]);

#endif

/* coord_printers.h - the devices' seat-card printers as their syncs report
 * them (the sync request's `printer`), kept beside the devices' sync health
 * and dated by the coordinator's clock: since when each has been failing
 * (offline, out of paper, stopped ...), and whether that has lasted long
 * enough to alert the organisers. In memory only: every sync of a device
 * sends its printer again (at least every 10 s while online), so a restarted
 * coordinator knows them all again within seconds. Thread-safe. */
#ifndef USHER_COORD_PRINTERS_H
#define USHER_COORD_PRINTERS_H

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"
#include "printer.h"

#define COORD_PRINTER_ALERT_MS 60000 /* failing this long is an alert (serve --printer-alert) */

typedef struct coord_printers coord_printers;

/* An empty table whose alerts come after alert_ms of failing (> 0). NULL
 * when out of memory. Free with coord_printers_free (NULL is a no-op). */
coord_printers *coord_printers_new(int64_t alert_ms);
void coord_printers_free(coord_printers *p);

/* A sync of `device` at the coordinator's time now: r its printer's report
 * (printer_report_ok: the protocol checked it), or NULL when the sync
 * carried none (the device has no printer: it is forgotten). A report that
 * is not printer_report_ok is ignored (false), nothing changes. */
bool coord_printers_report(coord_printers *p, const char *device, const printer_report *r,
                           int64_t now);

/* A device's printer as last reported. */
typedef struct coord_printer {
    printer_report report;
    int64_t seen_at;       /* when that report came */
    int64_t failing_since; /* when it began failing (printer_state_failing), 0 = fine */
    bool alert;            /* failing for alert_ms or more at `now` */
} coord_printer;

/* The device's printer at now into *out: true, or false when it reported
 * none. */
bool coord_printers_get(coord_printers *p, const char *device, int64_t now, coord_printer *out);

/* Printers failing now, those of them alerting, and the cards waiting on
 * every printer (for /metrics). */
typedef struct coord_printers_counts {
    int64_t printers, failing, alerting, waiting;
} coord_printers_counts;
void coord_printers_count(coord_printers *p, int64_t now, coord_printers_counts *out);

#endif

/* printer.h - a device's seat-card printer as the device reports it: the
 * state words every program shares (the kiosk writes them to its journal,
 * usher-syncd sends them with its syncs, the coordinator and the dashboard
 * read them), the counts, and which states are failing. Pure. */
#ifndef USHER_PRINTER_H
#define USHER_PRINTER_H

#include <stdbool.h>
#include <stdint.h>

/* The printer's state as reported. UNKNOWN: not asked yet (a kiosk just
 * started). */
#define PRINTER_STATE_MAP(X)                                                                       \
    X(OK, "ok")                                                                                    \
    X(UNKNOWN, "unknown")                                                                          \
    X(STOPPED, "stopped")                                                                          \
    X(OFFLINE, "offline")                                                                          \
    X(NO_PAPER, "out_of_paper")                                                                    \
    X(MISSING, "missing")                                                                          \
    X(NO_CUPS, "no_cups")

typedef enum {
#define PRINTER_STATE_ENUM(e, s) PRINTER_##e,
    PRINTER_STATE_MAP(PRINTER_STATE_ENUM)
#undef PRINTER_STATE_ENUM
} printer_state;

#define PRINTER_NAME_SIZE 128
#define PRINTER_PROBLEM_SIZE 256
#define PRINTER_COUNT_MAX 100000000 /* waiting and printed: more is a garbage report */

/* A device's printer report. Invariants (printer_report_ok): name is a CUPS
 * queue name (1..127 printable bytes without space, '/', '#' or '\\'),
 * problem printable UTF-8 (may be ""), counts 0..PRINTER_COUNT_MAX. */
typedef struct printer_report {
    printer_state state;
    char name[PRINTER_NAME_SIZE];
    int64_t waiting; /* cards not printed yet */
    int64_t printed; /* cards printed since the kiosk started */
    char problem[PRINTER_PROBLEM_SIZE];
} printer_report;

/* "ok", "offline", ... (the wire's and the journal's word). */
const char *printer_state_name(printer_state s);
/* The state for a word, or -1 for anything else. */
int printer_state_parse(const char *name);

/* True when the printer cannot print now (stopped, offline, out of paper,
 * not found, CUPS silent): the cards wait. */
bool printer_state_failing(printer_state s);

/* True when name can be a CUPS queue: 1..127 printable characters without
 * space, '/', '#' or '\\'. */
bool printer_name_ok(const char *name);

/* True when r holds the invariants above (a report read from a journal or
 * a device is checked with it before use). */
bool printer_report_ok(const printer_report *r);

#endif

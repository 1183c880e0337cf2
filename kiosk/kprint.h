/* kprint.h - the kiosk's seat-card printer: a worker thread that renders
 * each card to PDF (kcardpdf.h) and prints it through CUPS (libcups), one
 * at a time in order, retrying with backoff (kprintq.h) while the printer is
 * stopped, offline, out of paper or CUPS does not answer, and watching each
 * job until it came out. The screen never waits for it: kprint_cards only
 * queues, kprint_status only copies. CUPS is found as every CUPS program
 * finds it (the CUPS_SERVER environment variable, else the local
 * scheduler). */
#ifndef USHER_KPRINT_H
#define USHER_KPRINT_H

#include "error.h"
#include "kcard.h"
#include "kprintq.h"

typedef struct kprint kprint;

/* Starts the worker for the CUPS queue `printer` (cards in the font family
 * `font`). Unknown or stopped queues are not an error: the status says so
 * and the cards wait. USHER_INVAL for a name CUPS cannot have, USHER_NOMEM
 * when the thread cannot start. Stop with kprint_stop. */
usher_err kprint_start(const char *printer, const char *font, kprint **out,
                       usher_errmsg *em) USHER_MUST_CHECK;

/* Stops the worker (a card being sent is finished, waiting ones are said on
 * stderr) and frees p. NULL is a no-op. */
void kprint_stop(kprint *p);

/* Queues n cards; returns at once. */
void kprint_cards(kprint *p, const kcard *cards, int n);

/* The printer's state, the last problem and the counts, as last seen. */
void kprint_status(kprint *p, kprinter_status *out);

/* The cards waiting, oldest first (the one at the printer too): up to max
 * copied to out; returns how many. */
int kprint_waiting(kprint *p, kcard *out, int max);

/* True when name can be a CUPS queue (printer_name_ok). */
bool kprint_name_ok(const char *name);

#endif

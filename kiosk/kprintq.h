/* kprintq.h - the seat cards waiting for the printer and when to try each
 * again (the retry plan), and what a printer's state means for them. Pure:
 * kprint.c asks CUPS and calls these with its clock. */
#ifndef USHER_KPRINTQ_H
#define USHER_KPRINTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "kcard.h"
#include "printer.h"

/* The printer as the kiosk sees it. OFF: no --printer. */
#define KPRINTER_MAP(X)                                                                            \
    X(OFF, "off")                                                                                  \
    X(UNKNOWN, "not checked yet")                                                                  \
    X(READY, "ready")                                                                              \
    X(PRINTING, "printing")                                                                        \
    X(STOPPED, "stopped")                                                                          \
    X(OFFLINE, "offline")                                                                          \
    X(NO_PAPER, "out of paper")                                                                    \
    X(MISSING, "not found")                                                                        \
    X(NO_CUPS, "CUPS not answering")

typedef enum {
#define KPRINTER_ENUM(e, s) KPRINTER_##e,
    KPRINTER_MAP(KPRINTER_ENUM)
#undef KPRINTER_ENUM
} kprinter_state;

/* "ready", "out of paper", ... (English; the screen translates). */
const char *kprinter_state_name(kprinter_state s);

/* True when a card may be sent to a printer in state s. */
bool kprinter_takes_cards(kprinter_state s);

/* The state from what CUPS says about a queue: printer-state (3 idle, 4
 * processing, 5 stopped), printer-state-reasons (a comma-separated list:
 * "media-empty-error", "offline-report", "paused", "none"; NULL = none) and
 * printer-is-accepting-jobs. Paper and offline reasons win over the state
 * (a printer out of paper may still say "idle"). */
kprinter_state kprinter_classify(int ipp_state, const char *reasons, bool accepting);

/* What the kiosk shows staff about its printer (kprint_status). */
typedef struct kprinter_status {
    kprinter_state state;
    char name[128];     /* the CUPS queue, "" when OFF */
    char reasons[128];  /* CUPS's printer-state-reasons, "" = none */
    char problem[256];  /* the last problem in words, "" = none so far */
    int waiting;        /* cards not printed yet (one may be at the printer) */
    int printed;        /* cards printed since the kiosk started */
    int dropped;        /* cards given up (the queue was full) */
    uint64_t queue_gen; /* kprintq's gen: moves whenever the cards waiting change */
} kprinter_status;

/* What the device reports of its printer (journal, sync, dashboard):
 * false when there is none to report (state OFF). READY and PRINTING are
 * "ok", NOT UNKNOWN "unknown", the rest their own failing state. */
bool kprinter_report(const kprinter_status *s, printer_report *out);

#define KPRINTQ_MAX 32               /* cards kept while the printer is away */
#define KPRINTQ_BACKOFF_MS 1000      /* the first retry after a failure... */
#define KPRINTQ_BACKOFF_MAX_MS 30000 /* ...doubling up to this */

typedef struct kprintq_item {
    uint64_t id; /* 1, 2, ... in the order pushed: finds it again after others left */
    kcard card;
    int attempts;    /* sends that failed */
    int64_t next_at; /* not sent again before this */
    int job;         /* the CUPS job printing it, 0 = not sent */
} kprintq_item;

/* Cards in the order asked, oldest first; one at the printer at a time, so
 * that a party's cards come out in order. Zero-initialised = empty. */
typedef struct kprintq {
    kprintq_item items[KPRINTQ_MAX];
    int n;
    int dropped;
    uint64_t last_id;
    uint64_t gen; /* counts every change of which cards wait (push, done, drop) */
} kprintq;

/* Adds a card to send at once. A full queue gives up its oldest card not at
 * the printer (counted in dropped): the newest guest is the one waiting. */
void kprintq_push(kprintq *q, const kcard *c, int64_t now);

/* The wait before the next try after `attempts` failed sends: 1 s, 2 s, 4 s
 * ... KPRINTQ_BACKOFF_MAX_MS. */
int64_t kprintq_backoff_ms(int attempts);

/* The card to send now to a printer in state s: its index, or -1 (nothing
 * due, one already at the printer, or the printer does not take cards). */
int kprintq_due(const kprintq *q, kprinter_state s, int64_t now);

/* The index of the card with this id, -1 when it left the queue. */
int kprintq_find(const kprintq *q, uint64_t id);

/* The card at the printer (sent as a job), or -1. */
int kprintq_at_printer(const kprintq *q);

/* Card i was sent as CUPS job `job` (> 0). */
void kprintq_sent(kprintq *q, int i, int job);

/* Card i could not be sent, or its job was aborted or cancelled: it waits
 * kprintq_backoff_ms before the next try. */
void kprintq_failed(kprintq *q, int i, int64_t now);

/* Card i came out of the printer: it leaves the queue. */
void kprintq_done(kprintq *q, int i);

#endif

/* app.h - the kiosk's imperative shell around the state machine: reads the
 * journal into a kworld (only when PRAGMA data_version moved or after its own
 * appends: then the seat view is not read again, the ops just saved are
 * applied to it, unless someone else wrote meanwhile), feeds inputs to kmodel_update and carries
 * out the effects (ops appended in one durable transaction, then a wake nudge to syncd). No SDL.
 *
 * The journal is shared with usher-syncd: the kiosk waits at most
 * KAPP_BUSY_MS for its lock, so that a busy journal never freezes the
 * screen. Ops it could not save and the model did not undo (check-ins,
 * releases) stay in memory, in order, and are appended again at every input
 * and tick until they are durable: each op keeps its id and the time it was
 * made, so it is never lost and never written twice. */
#ifndef USHER_APP_H
#define USHER_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "kmodel.h"

#define KAPP_BUSY_MS 200       /* the journal's lock, while the kiosk runs */
#define KAPP_BUSY_LAST_MS 5000 /* and for the last try at exit */
#define KAPP_REOPEN_MS 1000    /* a journal on a full disk: tried again this often */

/* Where seat cards go: the program's printer (kprint.h), set after
 * kapp_open; all NULL = no printer. print gets the cards of ops just saved
 * (or of a reprint); status fills the world's printer before every input. */
typedef struct kapp_printer {
    void (*print)(void *ctx, const kcard *cards, int n);
    void (*status)(void *ctx, kprinter_status *out);
    int (*waiting)(void *ctx, kcard *out, int max); /* the cards not printed yet */
    void *ctx;
} kapp_printer;

typedef struct kapp {
    journal *j;
    layout *l;
    int64_t layout_stamp; /* journal_layout_stamp when l was read */
    state *view;
    kworld w;
    int64_t dv;
    bool loaded;
    kmodel m;
    int64_t clock_offset; /* headless scripts move the clock with `wait` */
    bool quit;
    int64_t appended; /* ops appended since start */
    char last_error[USHER_ERRMSG_SIZE];
    keffects *unsaved; /* batches not saved yet, oldest first (malloc'd) */
    int nunsaved, capunsaved;
    int64_t last_retry; /* when unsaved ops were last tried without a new one */
    ktone tone;         /* the last verdict's sound asked for (KTONE_NONE before any) */
    unsigned ntones;    /* how many were asked for: the shell plays each new one */
    char *db;           /* the journal's path (malloc'd): opened again after a full disk */
    int64_t reopen_at;  /* monotonic ms: the next try to open it (j is NULL meanwhile) */
    bool view_stale;    /* the view may not be the journal's: read it in full next time */
    int64_t view_reads; /* full reads of the seat view (journal_load_view) so far */
    kapp_printer printer;
    /* What the journal holds of the printer (journal_print.h), as last saved:
     * saved again when the report or the cards waiting change. */
    bool print_saved;
    bool saved_has;
    printer_report saved_report;
    uint64_t saved_gen;
    entrance_set *entrances; /* as the journal holds them (malloc'd; w.entrances points here) */
} kapp;

/* Opens the journal at db (which must exist: usher-syncd creates it) and
 * reads the world. USHER_NOTFOUND / USHER_DB with a message otherwise. When
 * the journal's disk is too full to open it, the kiosk starts anyway with no
 * journal (j NULL, w.storage_full: the "cannot save" screen, nothing saved)
 * and kapp_refresh tries again every KAPP_REOPEN_MS. */
usher_err kapp_open(kapp *a, const char *db, const kconfig *cfg, usher_errmsg *em) USHER_MUST_CHECK;
/* Tries the unsaved ops a last time (waiting longer for the lock), says on
 * stderr what could not be saved, and frees everything. */
void kapp_close(kapp *a);

/* Once the printer is set (or not: no --printer): the cards the journal
 * kept from before a restart go to the printer again, oldest first; without
 * a printer the journal's printer report goes (usher-syncd then reports
 * none), its cards stay. */
void kapp_printer_restore(kapp *a);

/* Saves the printer's report and the cards waiting in the journal when they
 * changed since the last save (a failed save is tried again at the next
 * input), and wakes usher-syncd when the report changed, so that the
 * coordinator hears it within a sync. kapp_input does it; the program calls
 * it once more before kapp_close. */
void kapp_printer_save(kapp *a, int64_t now);

/* The kiosk's clock: the coordinator's time as this device knows it (wall
 * clock plus the offset usher-syncd measured, journal_status), plus the
 * scripted offset. A device whose own clock is wrong (a Pi has no real-time
 * clock) thus holds, shows and dates everything by the coordinator's. */
int64_t kapp_now(const kapp *a);

/* Re-reads the world when the journal changed (or always when force).
 * Returns true when it did. A read error keeps the old world and is noted in
 * last_error (and on stderr once); the next call reads again. */
bool kapp_refresh(kapp *a, int64_t now, bool force);

/* One input through update; effects carried out (unsaved ops retried
 * first). */
void kapp_input(kapp *a, const kiosk_input *in, int64_t now);

#endif

/* app.h - the kiosk's imperative shell around the state machine: reads the
 * journal into a kworld (only when PRAGMA data_version moved or after its own
 * appends), feeds inputs to kmodel_update and carries out the effects (ops
 * appended in one durable transaction, then a wake nudge to syncd). No SDL. */
#ifndef USHER_APP_H
#define USHER_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "journal.h"
#include "kmodel.h"

typedef struct kapp {
    journal *j;
    layout *l;
    state *view;
    kworld w;
    int64_t dv;
    bool loaded;
    kmodel m;
    int64_t clock_offset; /* headless scripts move the clock with `wait` */
    bool quit;
    int64_t appended; /* ops appended since start */
    char last_error[USHER_ERRMSG_SIZE];
} kapp;

/* Opens the journal at db (which must exist: usher-syncd creates it) and
 * reads the world. USHER_NOTFOUND / USHER_DB with a message otherwise. */
usher_err kapp_open(kapp *a, const char *db, const kconfig *cfg, usher_errmsg *em) USHER_MUST_CHECK;
void kapp_close(kapp *a);

/* The kiosk's clock: wall clock plus the scripted offset. */
int64_t kapp_now(const kapp *a);

/* Re-reads the world when the journal changed (or always when force).
 * Returns true when it did. A read error keeps the old world and is noted in
 * last_error (and on stderr once). */
bool kapp_refresh(kapp *a, int64_t now, bool force);

/* One input through update; effects carried out. */
void kapp_input(kapp *a, const kiosk_input *in, int64_t now);

#endif

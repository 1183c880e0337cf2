/* kdoor.h - door mode inside the kiosk's state machine: a scan's verdict,
 * its check-in op, staff's admissions and the verdict's timer. Called by
 * kmodel.c and kfind.c; calls only kshared.c. */
#ifndef USHER_KDOOR_H
#define USHER_KDOOR_H

#include "kmodel.h"

/* The code or payload typed or scanned (m->entry) judged: the verdict on
 * screen and, for a ticket, its check-in (or checkout) op. */
void kdoor__submit(kmodel *m, const kworld *w, int64_t now, keffects *fx);
/* Staff admit the ticket `code` after checking the guest's name: a verdict
 * as for a scan, and the check-in op records `manual`. */
void kdoor__admit_manual(kmodel *m, const kworld *w, const char *code, int64_t now, keffects *fx);
/* Staff admit a ticket scanned at the wrong entrance (after the PIN): the
 * check-in records override "entrance". */
void kdoor__admit_override(kmodel *m, const kworld *w, const char *code, int64_t now, keffects *fx);
/* Print my card again on a verdict (kmodel_door_reprint_ok): one more card,
 * and the verdict stays long enough to hand it over. */
void kdoor__reprint(kmodel *m, const kworld *w, int64_t now, keffects *fx);
/* A verdict on screen follows the world (the coordinator may say another
 * door admitted the ticket first) and ends after its time. */
void kdoor__timers(kmodel *m, const kworld *w, int64_t now);

#endif

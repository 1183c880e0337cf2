/* kshared.h - the model's helpers that every screen uses (kdoor.c, kguest.c,
 * kfind.c, kmodel.c): messages, ops, typed codes, seat cards, the party's
 * reset and the way home. Inside the state machine only; they call nothing
 * above them, so the model's files depend one way: kmodel.c -> kfind.c ->
 * kdoor.c / kguest.c -> kshared.c. */
#ifndef USHER_KSHARED_H
#define USHER_KSHARED_H

#include "kmodel.h"

/* Marks words for the catalogue that are translated later (ui.c shows a
 * verdict's title through the catalogue). */
#define N_(s) s

/* Opens a message box. */
void kshared__msg(kmodel *m, kmsg_kind kind, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Queues an op of kind for this device at now; NULL when full. */
usher_op *kshared__op(keffects *fx, const kworld *w, op_kind kind, int64_t now);
/* A typed (not scanned) ticket code, normalised into code; false when it
 * cannot be one (bad characters, or longer than a code: never cut short). */
bool kshared__typed_code(const char *text, char code[USHER_CODE_SIZE]);
/* Records a QR payload refused as forged or altered (its first characters,
 * printable ASCII) as a scan_refused op: the dashboard's alert. */
void kshared__refused_scan(kmodel *m, const kworld *w, const char *payload, int64_t now,
                           keffects *fx);
/* Asks for a seat card for ticket code (when the kiosk has a printer):
 * name, seat ("" = none) and note (NULL = none) as the card says them. */
void kshared__card(const kmodel *m, const kworld *w, const char *code, const char *name,
                   const char *seat, const char *note, keffects *fx);
/* The language a new guest sees: the event's unless this kiosk was started
 * with --lang. */
const char *kshared__default_lang(const kmodel *m, const kworld *w);
/* Ends the guest's session: lets go of the party's seats still held (release
 * ops when fx is not NULL) and forgets the party, its proof and the map. */
void kshared__party_reset(kmodel *m, const kworld *w, int64_t now, keffects *fx);
/* The home screen of the current mode (the party reset, typed text, search,
 * message and language forgotten). */
void kshared__go_home(kmodel *m, const kworld *w, int64_t now, keffects *fx);

#endif

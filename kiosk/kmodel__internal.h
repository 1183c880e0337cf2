/* kmodel__internal.h - what kmodel.c (common, door, staff) and kguest.c (the
 * guest flow) share inside the state machine. Not for other modules. */
#ifndef USHER_KMODEL__INTERNAL_H
#define USHER_KMODEL__INTERNAL_H

#include "kmodel.h"

/* Marks words for the catalogue that are translated later (ui.c shows a
 * verdict's title through the catalogue). */
#define N_(s) s

/* Opens a message box. */
void kmodel__msg(kmodel *m, kmsg_kind kind, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Queues an op of kind for this device at now; NULL when full. */
usher_op *kmodel__op(keffects *fx, const kworld *w, op_kind kind, int64_t now);
/* A typed (not scanned) ticket code, normalised into code; false when it
 * cannot be one (bad characters, or longer than a code: never cut short). */
bool kmodel__typed_code(const char *text, char code[USHER_CODE_SIZE]);
/* Records a QR payload refused as forged or altered (its first characters,
 * printable ASCII) as a scan_refused op: the dashboard's alert. */
void kmodel__refused_scan(kmodel *m, const kworld *w, const char *payload, int64_t now,
                          keffects *fx);
/* Asks for a seat card for ticket code (when the kiosk has a printer):
 * name, seat ("" = none) and note (NULL = none) as the card says them. */
void kmodel__card(const kmodel *m, const kworld *w, const char *code, const char *name,
                  const char *seat, const char *note, keffects *fx);
/* The home screen of the current mode. */
void kmodel__go_home(kmodel *m, const kworld *w, int64_t now, keffects *fx);

/* Guest flow (kguest.c). */
void kguest__reset(kmodel *m, const kworld *w, int64_t now, keffects *fx); /* releases holds */
void kguest__button(kmodel *m, const kworld *w, const char *name, int64_t now, keffects *fx);
void kguest__map_tap(kmodel *m, const kworld *w, float x, float y, int64_t now, keffects *fx);
void kguest__submit(kmodel *m, const kworld *w, int64_t now, keffects *fx);
void kguest__timers(kmodel *m, const kworld *w, int64_t now, keffects *fx);
void kguest__ensure_map(kmodel *m, const kworld *w);

/* Door mode (kmodel.c). */
void kdoor__submit(kmodel *m, const kworld *w, int64_t now, keffects *fx);
/* Staff admit the ticket `code` after checking the guest's name: a verdict
 * as for a scan, and the check-in op records `manual`. */
void kdoor__admit_manual(kmodel *m, const kworld *w, const char *code, int64_t now, keffects *fx);
/* Staff admit a ticket scanned at the wrong entrance (after the PIN): the
 * check-in records override "entrance". */
void kdoor__admit_override(kmodel *m, const kworld *w, const char *code, int64_t now, keffects *fx);

/* Staff search at a door (kfind.c): opened from the maintenance screen. */
void kfind__open(kmodel *m, const kworld *w);
void kfind__text(kmodel *m, const kworld *w, const char *text); /* typed (UTF-8) */
void kfind__backspace(kmodel *m, const kworld *w);
/* A button on the search screen; false when name is not one of its own. */
bool kfind__button(kmodel *m, const kworld *w, const char *name, int64_t now, keffects *fx);

#endif

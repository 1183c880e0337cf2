/* journal_print.h - the seat-card printer's part of a device's journal: the
 * kiosk writes its printer's report and the cards still to print (one
 * transaction, whenever either changed); usher-syncd reads the report to
 * send with its syncs; a kiosk starting again reads the cards to print them.
 * A card is the kiosk's own text (kcard_to_text): the journal keeps it as it
 * is given. */
#ifndef USHER_JOURNAL_PRINT_H
#define USHER_JOURNAL_PRINT_H

#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "printer.h"

#define JOURNAL_PRINT_CARDS_MAX 256  /* cards kept: more is refused */
#define JOURNAL_PRINT_CARD_MAX 16384 /* bytes of one card's text */

/* Replaces the report (r NULL: the kiosk has no printer; the row goes) and
 * the cards waiting (n texts, oldest first) in one transaction, at the
 * device's time now. USHER_INVAL for a report that is not printer_report_ok,
 * too many cards or a card too long or empty (nothing written). */
usher_err journal_print_save(journal *j, const printer_report *r, const char *const *cards,
                             size_t n, int64_t now, usher_errmsg *em) USHER_MUST_CHECK;

/* Removes the report only (a kiosk started without a printer): usher-syncd
 * then reports none; the cards stay for a later start with one. */
usher_err journal_print_forget(journal *j, usher_errmsg *em) USHER_MUST_CHECK;

/* The report as the kiosk last wrote it into *out, *has = true; *has =
 * false when there is none (no printer, or a row that breaks the report's
 * rules: a garbage row is never sent). */
usher_err journal_print_report(journal *j, printer_report *out, bool *has,
                               usher_errmsg *em) USHER_MUST_CHECK;

/* The cards waiting, oldest first: *cards is a malloc'd array of *n
 * malloc'd texts (the caller frees each and the array; NULL when none). */
usher_err journal_print_cards(journal *j, char ***cards, size_t *n,
                              usher_errmsg *em) USHER_MUST_CHECK;

#endif

/* ticket_merge.h - what importing a ticket file into an event would change:
 * new tickets, names and classes corrected, tickets revoked because the file
 * now says void (or, on request, because they are no longer in it), tickets
 * seated where the file pre-assigns a seat, the rest unchanged. Pure: a plan
 * from (state, file, now), then the plan applied to a state giving the
 * changes every device must hear of.
 */
#ifndef USHER_TICKET_MERGE_H
#define USHER_TICKET_MERGE_H

#include <stddef.h>

#include "error.h"
#include "op.h"
#include "state.h"
#include "ticket.h"

typedef enum ticket_missing {
    TICKET_MISSING_KEEP = 0, /* tickets the file no longer lists stay (the default) */
    TICKET_MISSING_REVOKE,   /* ...are revoked */
} ticket_missing;

/* One ticket whose name, class, note or attention flag (when the file has
 * those columns) the file changes: rec is the file's, the
 * before_* fields what the event had. */
typedef struct ticket_update {
    ticket_rec rec;
    char before_name[USHER_NAME_SIZE];
    char before_class[USHER_CLASS_SIZE];
    char before_note[USHER_TICKET_NOTE_SIZE];
    bool before_attention;
} ticket_update;

/* One ticket the file seats: rec is the file's row (rec.seat the seat), before
 * the seat it has now ("" for a new or unseated ticket; else a move). */
typedef struct ticket_seating {
    ticket_rec rec;
    char before[USHER_SEAT_ID_SIZE];
} ticket_seating;

/* Init with {0}; release with ticket_merge_release. */
typedef struct ticket_merge {
    ticket_list added;      /* codes the event does not know, file order */
    ticket_update *updated; /* known codes with another name, class or note */
    size_t nupdated;
    ticket_list revoked;    /* to revoke: void in the file, then missing (policy) */
    size_t revoked_void;    /* of them, void rows of the file */
    size_t revoked_missing; /* of them, not in the file */
    size_t unchanged;       /* listed, nothing to change (void and already revoked included) */
    size_t missing_kept;    /* not in the file, kept (TICKET_MISSING_KEEP) */
    size_t still_revoked;   /* listed as valid but revoked in the event: left revoked */
    size_t void_unknown;    /* void rows of codes the event never had: nothing to do */
    ticket_seating *seated; /* tickets to seat (new seat or a move), file order */
    size_t nseated;
    size_t moved;      /* of them, tickets that sit elsewhere now */
    size_t seats_kept; /* the file's seat is the one it gave before, but the ticket was moved
                          or unseated since: left where it is */
} ticket_merge;

void ticket_merge_release(ticket_merge *m);

/* Compares the file's tickets and void rows with the event's state at `now`
 * (ms, the coordinator's clock: holds and leases end by it). The file's lists
 * must hold each code and each seat once (ticket_csv_parse_ex checks this).
 * A ticket the organiser revoked stays revoked even when the file lists it
 * as valid (undo a revoke on purpose: state_unrevoke_ticket), and is not
 * seated.
 *
 * A row with a seat (rec.seat) seats its ticket there, or moves it there
 * when it sits elsewhere, as an organiser's move would; a seat that a ticket
 * being revoked by this import holds counts as free. last_seats (may be NULL:
 * none) holds the seat each ticket's previous import gave it, sorted by code
 * (strcmp): when the row's seat is that one, the file did not change it, and
 * a ticket moved or unseated since stays as it is (counted in seats_kept).
 * Refused, each a problem
 * in rep naming the row's line and the fix: a seat the layout lacks, a seat
 * of a class the ticket's class may not use, a blocked seat, a seat that
 * holds another ticket, a seat a device holds or has leased at now. Then the
 * function returns USHER_PARSE and *out is untouched: nothing of the file is
 * imported. rep may be NULL (problems then only counted in the return).
 * USHER_NOMEM; *out is released first and filled only on success. */
usher_err ticket_merge_plan(const state *st, const ticket_list *tickets, const ticket_list *voided,
                            ticket_missing missing, const ticket_list *last_seats, int64_t now,
                            ticket_merge *out, csv_report *rep) USHER_MUST_CHECK;

/* Total number of changed tickets (added + updated + revoked + seated). */
size_t ticket_merge_changes(const ticket_merge *m);

/* Applies a plan to st: adds, edits, revokes (state_apply's revoke, so a
 * seated ticket's seat is freed), then seats (state_apply's assign, as the
 * organiser's deliberate move: the expected seat is the ticket's current one,
 * never reseated elsewhere). The changes made, in order, go to *out (a
 * malloc'd array the caller frees; seq 0) and *n. device and now stamp the
 * revoke and assign ops. On failure (USHER_NOMEM, or a plan that does not fit st: it
 * was made from another state) st may be partly changed: apply to a clone
 * first. */
usher_err ticket_merge_apply(state *st, const ticket_merge *m, const char *device, int64_t now,
                             change **out, size_t *n, usher_errmsg *em) USHER_MUST_CHECK;

#endif

/* state.h - the seating state machine: a pure function from (state, op, now) to a
 * verdict, the changes it made and the alerts it raised (shared/README.md "Conflict
 * rules"). No I/O: the coordinator persists what it returns; a device builds
 * its view as replica + its own pending ops through the same function.
 *
 * Invariant kept by every function here: a seat holds at most one ticket and a
 * ticket sits in at most one seat, and the two agree.
 */
#ifndef USHER_STATE_H
#define USHER_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"
#include "error.h"
#include "layout.h"
#include "op.h"

typedef enum {
    RESEAT_NONE = 0,    /* a conflicting assign is only rejected */
    RESEAT_NEAREST = 1, /* ...and the ticket is seated at the nearest free eligible seat */
} reseat_policy;

typedef struct state_config {
    reseat_policy reseat;
    int64_t hold_ttl_ms;   /* default hold length; 0 = USHER_DEFAULT_HOLD_TTL_MS */
    int64_t late_after_ms; /* ops older than this on arrival raise LATE_UPLOAD; 0 = never */
    bool remember_ops;     /* keep verdicts by op id to answer duplicates (coordinator) */
    bool reentry_refused;  /* a checked-out ticket's checkin is a duplicate, not a re-entry */
} state_config;

#define STATE_MAX_CHANGES 4
#define STATE_MAX_ALERTS 2

typedef struct apply_result {
    verdict v;
    int nchanges;
    change changes[STATE_MAX_CHANGES]; /* seq = 0: the caller numbers them */
    int nalerts;
    alert alerts[STATE_MAX_ALERTS];
} apply_result;

typedef struct state state;

/* Makes an empty state (every seat free, no tickets) over layout l, which is
 * borrowed and must outlive the state. NULL on OOM. */
state *state_new(const layout *l, const state_config *cfg);
void state_free(state *st); /* NULL is a no-op */

/* Deep copy (same borrowed layout). NULL on OOM. */
state *state_clone(const state *st);

const layout *state_layout(const state *st);

/* A copy of st over another layout, next (borrowed: it must outlive the
 * copy): every ticket as it is (seat id, check-in, revocation, party), every
 * seat of next whose id st's layout has keeps that seat's state (ticket,
 * block, hold, lease), new seats are free, seats next lacks are gone with
 * their holds, leases and blocks; the remembered verdicts and the config are
 * kept. USHER_CONFLICT (naming ticket and seat) when a seated ticket's seat
 * is not in next: layout_change_check is the rule that refuses such a change
 * first, with the reason for a person; USHER_NOMEM. *out set only on
 * success; the caller frees it. */
usher_err state_rebase(const state *st, const layout *next, state **out,
                       usher_errmsg *em) USHER_MUST_CHECK;
const state_config *state_get_config(const state *st);
/* Changes the re-entry policy (the event's settings changed). */
void state_set_reentry_refused(state *st, bool refused);

/* Adds a ticket (import). USHER_EXISTS when the code is known, USHER_INVAL for
 * a bad code. On success *out (if non-NULL) is the CHANGE_TICKET to log. */
usher_err state_add_ticket(state *st, const char *code, const char *name, const char *klass,
                           change *out, usher_errmsg *em) USHER_MUST_CHECK;

/* Corrects a ticket's name and class (an organiser's edit or a re-import).
 * name follows state_add_ticket's rules, klass may be "" (no class). The
 * seat, check-in and revocation are kept. USHER_NOTFOUND for an unknown code,
 * USHER_INVAL for a bad name or class; *out (if non-NULL) is the
 * CHANGE_TICKET to log, written only on success. */
usher_err state_edit_ticket(state *st, const char *code, const char *name, const char *klass,
                            change *out, usher_errmsg *em) USHER_MUST_CHECK;

/* Sets a ticket's note for door staff and its special-attention flag (an
 * import or an organiser's edit). note follows ticket_note_clean's rules
 * (already clean: it is checked, not folded), "" = none. USHER_NOTFOUND for an
 * unknown code, USHER_INVAL for a bad note; *out as state_edit_ticket. */
usher_err state_note_ticket(state *st, const char *code, const char *note, bool attention,
                            change *out, usher_errmsg *em) USHER_MUST_CHECK;

/* Undoes a revoke: the ticket admits and can be seated again (it was unseated
 * when revoked). USHER_NOTFOUND for an unknown code, USHER_CONFLICT when it is
 * not revoked; *out as state_edit_ticket. */
usher_err state_unrevoke_ticket(state *st, const char *code, change *out,
                                usher_errmsg *em) USHER_MUST_CHECK;

/* Applies one validated op at coordinator time `now` (ms). Always fills *res;
 * never fails: a bad op is a rejected verdict. With remember_ops a repeated
 * op id returns the first verdict as VERDICT_DUPLICATE and changes nothing.
 *
 * Leases (offline policy `lease`): `lease` reserves a free seat (not blocked,
 * taken, held by another or leased to another) for op->device until now +
 * ttl_ms; leasing one's own seat again renews it. `unlease` clears the
 * device's own lease and is otherwise an accepted no-op. Another device's
 * active lease refuses a hold (SEAT_LEASED) and makes an assign a conflict
 * like a seat held by another (SEAT_LEASED, then the reseat policy); the
 * lessee's own assign takes the seat and ends the lease. The reseat policy
 * never picks a leased seat; blocking a seat ends its lease; an expired lease
 * counts for nothing.
 *
 * Exit and re-entry: `checkout` of a ticket inside (checked in, not out
 * since) sets checked_out_at; of any other ticket it is rejected NOT_INSIDE.
 * A `checkin` of a checked-out ticket is a re-entry (accepted: checked_in_at
 * the new time, checked_out_at 0) unless cfg.reentry_refused, when it is a
 * duplicate check-in with its alert. In/out ops are applied in arrival order;
 * one whose time is older than the ticket's last entry or exit still applies
 * and raises INOUT_CONFLICT. */
void state_apply(state *st, const usher_op *op, int64_t now, apply_result *res);

/* Upserts a change from the coordinator (a replica following the log). The
 * other side of the seat<->ticket link is kept in step (a seat's old occupant
 * loses it; a ticket leaves its old seat), so the invariant holds after every
 * change and a replica that applied the log in order equals the coordinator.
 * A ticket a replica has not heard of yet is created. USHER_NOTFOUND for a
 * seat the layout lacks, USHER_INVAL for a malformed change or a
 * CHANGE_LAYOUT (a new layout is not an upsert: the replica is built again
 * from a snapshot over it); the state is then unchanged. */
usher_err state_apply_change(state *st, const change *c, usher_errmsg *em) USHER_MUST_CHECK;

/* Records a verdict from the log so that duplicates are answered after a
 * restart (coordinator loading its database). */
usher_err state_remember(state *st, const verdict *v) USHER_MUST_CHECK;

/* Looks a verdict up by op id among those remembered; NULL when unknown. The
 * pointer is valid until the next state_apply, state_remember or
 * state_forget_older. */
const verdict *state_recall(const state *st, const char *op_id);

/* Remembered verdicts are kept in two generations; new ones go to the newer.
 * state_forget_older drops the older generation and makes the newer one
 * older: the owner calls it once every verdict of the newer generation can be
 * found elsewhere (the coordinator's op id table), so memory holds at most two
 * generations however long the event runs. state_remembered counts both. */
void state_forget_older(state *st);
size_t state_remembered(const state *st);

int state_seat_count(const state *st);
const seat_state *state_seat(const state *st, int seat_index);
int state_ticket_count(const state *st);
const ticket_state *state_ticket(const state *st, int ticket_index);
/* Index of a ticket by (upper-case) code, or -1. */
int state_find_ticket(const state *st, const char *code);

/* The seat's occupancy as a device should show it at `now` to `device`, in
 * this order: blocked, taken, held (an active hold), leased (an active lease),
 * free. So a leased seat its lessee holds for a guest is SEAT_HELD_BY_ME.
 * With device NULL (the coordinator's own view) every hold and lease is
 * another's. */
typedef enum {
    SEAT_FREE = 0,
    SEAT_HELD_BY_ME,
    SEAT_HELD_OTHER,
    SEAT_TAKEN,
    SEAT_BLOCKED,
    SEAT_LEASED_BY_ME,
    SEAT_LEASED_OTHER,
} seat_status;
seat_status state_seat_status(const state *st, int seat_index, const char *device, int64_t now);

/* Counts: seats taken, tickets checked in, tickets not revoked, tickets
 * inside (checked in and not checked out since); `held` and
 * `leased` count seats without a ticket whose status (device NULL) is held or
 * leased at `now`. */
typedef struct state_stats {
    int seats, seated, blocked, held;
    int tickets, revoked, checked_in;
    int leased;
    int inside;
} state_stats;
void state_get_stats(const state *st, int64_t now, state_stats *out);

/* Checks the two-way seat<->ticket invariant; false (with a message) if broken.
 * For tests and a coordinator's self-check on load. */
bool state_check(const state *st, usher_errmsg *em);

#endif

/* op.h - operations, verdicts, changes and alerts: what flows through the journal
 * and the sync protocol (shared/README.md "How the pieces fit"). Plain values. */
#ifndef USHER_OP_H
#define USHER_OP_H

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"
#include "entrance.h"
#include "error.h"

/* X(enum suffix, wire name). Wire names are part of the protocol. */
#define OP_KIND_MAP(X)                                                                             \
    X(HOLD, "hold")                                                                                \
    X(RELEASE, "release")                                                                          \
    X(ASSIGN, "assign")                                                                            \
    X(UNASSIGN, "unassign")                                                                        \
    X(CHECKIN, "checkin")                                                                          \
    X(REVOKE, "revoke")                                                                            \
    X(BLOCK, "block")                                                                              \
    X(UNBLOCK, "unblock")                                                                          \
    X(LEASE, "lease")                                                                              \
    X(UNLEASE, "unlease")                                                                          \
    X(SCAN_REFUSED, "scan_refused")                                                                \
    X(CHECKOUT, "checkout")

typedef enum {
    OP_NONE = 0,
#define OP_KIND_ENUM(e, s) OP_##e,
    OP_KIND_MAP(OP_KIND_ENUM)
#undef OP_KIND_ENUM
} op_kind;

#define OP_OVERRIDE_SIZE 16
#define OP_OVERRIDE_ENTRANCE "entrance" /* a checkin at an entrance that does not admit it */

/* One state change asked for by a device (or an organiser).
 *
 * Fields by kind (others are ignored and left empty):
 *   hold      seat, ttl_ms (0 = event default, at most 1 h)
 *   release   seat
 *   assign    ticket, seat, expect_ticket_seat, expect_seat_free, party
 *   unassign  ticket, seat (optional: the seat the device believed it had)
 *   checkin   ticket
 *   checkout  ticket (a door in exit mode: the guest left; re-entry is a checkin)
 *   revoke    ticket
 *   block     seat
 *   unblock   seat
 *   lease     seat, ttl_ms (0 = USHER_DEFAULT_LEASE_TTL_MS, 30 min; at most 4 h)
 *   unlease   seat
 *   scan_refused  note: the first characters of a QR payload a device refused
 *             as forged or altered (printable ASCII); the coordinator raises a
 *             scan_refused alert and changes nothing
 *
 * A checkin may be `manual`: staff admitted the guest from the staff screen
 * after a name check (the code alone would not admit); op.device says which
 * device. A checkin names the `entrance` its door belonged to when it
 * scanned ("" = none), and `override` is "entrance" when staff admitted a
 * ticket that entrance does not admit (entrance.h) behind the staff PIN.
 *
 * Compare-and-set: expect_ticket_seat is the seat the device believed the
 * ticket had ("" = unseated); expect_seat_free says it believed the seat free.
 * Absent in JSON they mean "unseated" and "free". */
typedef struct usher_op {
    char id[USHER_OPID_SIZE];       /* client-generated UUID */
    char device[USHER_DEVICE_SIZE]; /* set by the coordinator from the token */
    op_kind kind;
    char ticket[USHER_CODE_SIZE];
    char seat[USHER_SEAT_ID_SIZE];
    int64_t at; /* the device's clock when the person acted, ms: a record, never a judge */
    char expect_ticket_seat[USHER_SEAT_ID_SIZE];
    bool expect_seat_free;
    char party[USHER_OPID_SIZE];       /* groups tickets seated together; may be "" */
    int64_t ttl_ms;                    /* hold and lease only */
    bool manual;                       /* checkin only: admitted by staff */
    char note[USHER_NOTE_SIZE];        /* scan_refused only */
    char entrance[ENTRANCE_NAME_SIZE]; /* checkin only: the door's entrance, "" = none */
    char override[OP_OVERRIDE_SIZE];   /* checkin only: "" or "entrance" (staff overrode it) */
    /* How long the op had waited in the device's outbox when it was sent, ms,
     * measured by usher-syncd as a difference of two readings of one clock,
     * so that the clock's error cancels out (0 = sent at once). */
    int64_t wait_ms;
} usher_op;

/* When the op happened by the coordinator's clock: it arrived at `now`
 * after waiting wait_ms in the device's outbox (clamped to 0..now). Time is
 * the coordinator's: hold lifetimes, late uploads and the order of
 * check-ins are judged by this, never by the device's own `at`. */
int64_t op_happened_at(const usher_op *op, int64_t now);

/* Wire name of a kind ("assign"); NULL for OP_NONE or strays. */
const char *op_kind_name(op_kind kind);
/* OP_NONE when unknown. */
op_kind op_kind_parse(const char *name);

/* True when a device of this role may submit this kind (the roles in syncd/README.md "HTTP API").
 */
bool op_allowed(usher_role role, op_kind kind);

/* Writes a fresh random (v4) UUID from libsodium's randomness into out. */
void op_new_id(char out[USHER_OPID_SIZE]);

/* True when s is a UUID in canonical text form (8-4-4-4-12 hex). */
bool op_id_valid(const char *s);

/* Checks an op's fields for its kind: ids well-formed, required fields
 * present, nothing that the kind does not take. On failure writes which field
 * and why into em and returns USHER_INVAL. */
usher_err op_validate(const usher_op *op, usher_errmsg *em) USHER_MUST_CHECK;

/* Initialises op for kind with a new id, the given device and time, and
 * expect_seat_free = true. */
void op_init(usher_op *op, op_kind kind, const char *device, int64_t at);

#define VERDICT_STATUS_MAP(X)                                                                      \
    X(ACCEPTED, "accepted")                                                                        \
    X(REJECTED, "rejected")                                                                        \
    X(DUPLICATE, "duplicate")

typedef enum {
    VERDICT_NONE = 0,
#define VERDICT_ENUM(e, s) VERDICT_##e,
    VERDICT_STATUS_MAP(VERDICT_ENUM)
#undef VERDICT_ENUM
} verdict_status;

/* Why an op was rejected, or a note on an accepted one (duplicate_checkin). */
#define REASON_MAP(X)                                                                              \
    X(SEAT_TAKEN, "seat_taken")                                                                    \
    X(SEAT_HELD, "seat_held")                                                                      \
    X(SEAT_BLOCKED, "seat_blocked")                                                                \
    X(UNKNOWN_TICKET, "unknown_ticket")                                                            \
    X(UNKNOWN_SEAT, "unknown_seat")                                                                \
    X(REVOKED, "revoked")                                                                          \
    X(CLASS_NOT_ALLOWED, "class_not_allowed")                                                      \
    X(TICKET_SEATED, "ticket_seated")                                                              \
    X(NOT_SEATED, "not_seated")                                                                    \
    X(DUPLICATE_CHECKIN, "duplicate_checkin")                                                      \
    X(NO_FREE_SEAT, "no_free_seat")                                                                \
    X(FORBIDDEN, "forbidden")                                                                      \
    X(INVALID, "invalid")                                                                          \
    X(SEAT_LEASED, "seat_leased")                                                                  \
    X(NOT_INSIDE, "not_inside")

typedef enum {
    REASON_NONE = 0,
#define REASON_ENUM(e, s) REASON_##e,
    REASON_MAP(REASON_ENUM)
#undef REASON_ENUM
} verdict_reason;

const char *verdict_status_name(verdict_status s);
verdict_status verdict_status_parse(const char *name);
const char *verdict_reason_name(verdict_reason r);     /* NULL for REASON_NONE */
verdict_reason verdict_reason_parse(const char *name); /* REASON_NONE when unknown */

/* The coordinator's answer to one op.
 *
 * A duplicate (the same op id again) has status VERDICT_DUPLICATE, `first`
 * set to the original status and every other field as the original verdict
 * had it. A rejected assign that the coordinator re-seated elsewhere (reseat
 * policy) has reason SEAT_TAKEN, SEAT_HELD, SEAT_LEASED or SEAT_BLOCKED and
 * `reseat` = the new seat. */
typedef struct verdict {
    char op_id[USHER_OPID_SIZE];
    verdict_status status;
    verdict_status first; /* original status, for duplicates */
    verdict_reason reason;
    char reseat[USHER_SEAT_ID_SIZE];        /* seat given instead, "" if none */
    char ticket_seat[USHER_SEAT_ID_SIZE];   /* the op's ticket's seat after the op */
    char seat_ticket[USHER_CODE_SIZE];      /* the op's seat's occupant after the op */
    int64_t checked_in_at;                  /* checkin: the first check-in's time */
    char checkin_device[USHER_DEVICE_SIZE]; /* checkin: the first check-in's door */
} verdict;

/* The effective status: `first` for duplicates, else `status`. */
verdict_status verdict_effective(const verdict *v);

typedef enum {
    CHANGE_NONE = 0,
    CHANGE_SEAT = 1,      /* seat_id's new seat_state */
    CHANGE_TICKET = 2,    /* ticket.code's new ticket_state */
    CHANGE_LAYOUT = 3,    /* the venue's layout was replaced: its new version */
    CHANGE_ENTRANCES = 4, /* the entrances (or a door's) changed: every sync answer carries
                             them whole, this only says "sync now" */
} change_type;

/* One entry of the coordinator's change log: the whole new state of one seat or
 * one ticket, so that applying changes is an idempotent upsert. A
 * CHANGE_LAYOUT says only that the layout is now version layout_version: a
 * replica takes the snapshot again (new layout, every seat and ticket). */
typedef struct change {
    int64_t seq; /* server sequence number; 0 until persisted */
    change_type type;
    char seat_id[USHER_SEAT_ID_SIZE]; /* CHANGE_SEAT */
    seat_state seat;                  /* CHANGE_SEAT */
    ticket_state ticket;              /* CHANGE_TICKET */
    int64_t layout_version;           /* CHANGE_LAYOUT: 2, 3, ... (the first layout is 1) */
} change;

#define ALERT_KIND_MAP(X)                                                                          \
    X(RESEAT, "reseat")                                                                            \
    X(DUPLICATE_CHECKIN, "duplicate_checkin")                                                      \
    X(LATE_UPLOAD, "late_upload")                                                                  \
    X(REVOKED_SCAN, "revoked_scan")                                                                \
    X(SCAN_REFUSED, "scan_refused")                                                                \
    X(CLOCK_SKEW, "clock_skew")                                                                    \
    X(TICKET_EDITED, "ticket_edited")                                                              \
    X(TICKET_UNREVOKED, "ticket_unrevoked")                                                        \
    X(LAYOUT_CHANGED, "layout_changed")                                                            \
    X(INOUT_CONFLICT, "inout_conflict")

typedef enum {
    ALERT_NONE = 0,
#define ALERT_ENUM(e, s) ALERT_##e,
    ALERT_KIND_MAP(ALERT_ENUM)
#undef ALERT_ENUM
} alert_kind;

const char *alert_kind_name(alert_kind k);
alert_kind alert_kind_parse(const char *name);

/* Something an organiser should look at. For RESEAT: seat = the seat asked
 * for, other_seat = the seat given. For DUPLICATE_CHECKIN: device/at = this
 * scan, other_device/other_at = the first one. For SCAN_REFUSED: device/at =
 * where and when a forged or altered QR code was scanned, note = its first
 * characters. For CLOCK_SKEW: device, at =
 * the coordinator's clock, other_at = the device's clock at that moment. For
 * INOUT_CONFLICT (a checkin or checkout whose time is older than the
 * ticket's last entry or exit, applied anyway in arrival order): device/at =
 * this op, other_device/other_at = the last entry or exit it went before,
 * note = "in" or "out" (which one that was). */
typedef struct alert {
    alert_kind kind;
    char ticket[USHER_CODE_SIZE];
    char seat[USHER_SEAT_ID_SIZE];
    char other_seat[USHER_SEAT_ID_SIZE];
    char device[USHER_DEVICE_SIZE];
    char other_device[USHER_DEVICE_SIZE];
    int64_t at;
    int64_t other_at;
    char op_id[USHER_OPID_SIZE];
    char note[USHER_NOTE_SIZE];
} alert;

#endif

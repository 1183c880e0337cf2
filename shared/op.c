/* op.c - names, roles, ids and validation of operations, verdicts and alerts. */
#include "op.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "text.h"
#include "ticketcode.h"

static const char *const op_names[] = {NULL,
#define OP_KIND_NAME(e, s) s,
                                       OP_KIND_MAP(OP_KIND_NAME)
#undef OP_KIND_NAME
};
#define OP_KIND_COUNT (sizeof op_names / sizeof op_names[0])

const char *op_kind_name(op_kind kind)
{
    return (unsigned)kind < OP_KIND_COUNT ? op_names[kind] : NULL;
}

op_kind op_kind_parse(const char *name)
{
    for (size_t i = 1; name && i < OP_KIND_COUNT; i++)
        if (!strcmp(name, op_names[i]))
            return (op_kind)i;
    return OP_NONE;
}

bool op_allowed(usher_role role, op_kind kind)
{
    switch (role) {
    case ROLE_ADMIN:
        return kind != OP_NONE && (unsigned)kind < OP_KIND_COUNT;
    case ROLE_KIOSK:
        return kind == OP_HOLD || kind == OP_RELEASE || kind == OP_ASSIGN || kind == OP_UNASSIGN ||
               kind == OP_LEASE || kind == OP_UNLEASE || kind == OP_SCAN_REFUSED;
    case ROLE_DOOR:
        return kind == OP_CHECKIN || kind == OP_CHECKOUT || kind == OP_SCAN_REFUSED;
    case ROLE_NONE:
        break;
    }
    return false;
}

void op_new_id(char out[USHER_OPID_SIZE])
{
    uint8_t b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char hex[33];
    text_hex(b, sizeof b, hex);
    snprintf(out, USHER_OPID_SIZE, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
             hex + 20);
}

bool op_id_valid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

void op_init(usher_op *op, op_kind kind, const char *device, int64_t at)
{
    memset(op, 0, sizeof *op);
    op_new_id(op->id);
    op->kind = kind;
    text_copy(op->device, sizeof op->device, device ? device : "");
    op->at = at;
    op->expect_seat_free = true;
}

/* Which fields each kind takes: T = ticket, S = seat, s = seat optional, N = note. */
static const char *op_fields(op_kind kind)
{
    switch (kind) {
    case OP_HOLD:
    case OP_RELEASE:
    case OP_BLOCK:
    case OP_UNBLOCK:
    case OP_LEASE:
    case OP_UNLEASE:
        return "S";
    case OP_ASSIGN:
        return "TS";
    case OP_UNASSIGN:
        return "Ts";
    case OP_CHECKIN:
    case OP_CHECKOUT:
    case OP_REVOKE:
        return "T";
    case OP_SCAN_REFUSED:
        return "N";
    case OP_NONE:
        break;
    }
    return NULL;
}

usher_err op_validate(const usher_op *op, usher_errmsg *em)
{
    const char *fields = op_fields(op->kind);
    if (!fields)
        return usher_fail(em, USHER_INVAL,
                          "kind: unknown operation (expected hold, release, assign, unassign, "
                          "checkin, checkout, revoke, block, unblock, lease, unlease or "
                          "scan_refused)");
    if (!op_id_valid(op->id))
        return usher_fail(em, USHER_INVAL, "id: \"%.40s\" is not a UUID", op->id);
    if (op->device[0] && !text_is_ident(op->device, USHER_DEVICE_SIZE - 1))
        return usher_fail(em, USHER_INVAL, "device: \"%.64s\" is not a device id", op->device);
    if (op->at <= 0)
        return usher_fail(em, USHER_INVAL, "at: missing or before 1970");
    bool wants_ticket = strchr(fields, 'T') != NULL;
    bool wants_seat = strchr(fields, 'S') != NULL, seat_optional = strchr(fields, 's') != NULL;
    const char *kind = op_kind_name(op->kind);
    if (wants_ticket && !op->ticket[0])
        return usher_fail(em, USHER_INVAL, "ticket: required for %s", kind);
    if (!wants_ticket && op->ticket[0] && op->kind != OP_HOLD)
        return usher_fail(em, USHER_INVAL, "ticket: not taken by %s", kind);
    if (op->ticket[0] && !ticketcode_valid(op->ticket))
        return usher_fail(em, USHER_INVAL,
                          "ticket: \"%.40s\" is not a ticket code (A-Z, 0-9 and '-', at most "
                          "32)",
                          op->ticket);
    if (wants_seat && !op->seat[0])
        return usher_fail(em, USHER_INVAL, "seat: required for %s", kind);
    if (!wants_seat && !seat_optional && op->seat[0])
        return usher_fail(em, USHER_INVAL, "seat: not taken by %s", kind);
    if (op->seat[0] && !text_is_ident(op->seat, USHER_SEAT_ID_SIZE - 1))
        return usher_fail(em, USHER_INVAL, "seat: \"%.40s\" is not a seat id", op->seat);
    if (op->expect_ticket_seat[0] && !text_is_ident(op->expect_ticket_seat, USHER_SEAT_ID_SIZE - 1))
        return usher_fail(em, USHER_INVAL, "expect_ticket_seat: \"%.40s\" is not a seat id",
                          op->expect_ticket_seat);
    if (op->party[0] && !text_is_ident(op->party, USHER_OPID_SIZE - 1))
        return usher_fail(em, USHER_INVAL, "party: \"%.40s\" is not an id", op->party);
    if (op->manual && op->kind != OP_CHECKIN)
        return usher_fail(em, USHER_INVAL, "manual: only a checkin is manual, not %s", kind);
    if ((op->entrance[0] || op->override[0]) && op->kind != OP_CHECKIN)
        return usher_fail(em, USHER_INVAL, "entrance: only a checkin names one, not %s", kind);
    if (op->entrance[0] && !entrance_name_ok(op->entrance))
        return usher_fail(em, USHER_INVAL, "entrance: \"%.40s\" is not an entrance's name",
                          op->entrance);
    if (op->override[0] && strcmp(op->override, OP_OVERRIDE_ENTRANCE))
        return usher_fail(em, USHER_INVAL, "override: \"%.16s\" is not \"entrance\"", op->override);
    if (op->override[0] && !op->entrance[0])
        return usher_fail(em, USHER_INVAL, "override: an entrance override names the entrance");
    bool wants_note = strchr(fields, 'N') != NULL;
    if (wants_note && !op->note[0])
        return usher_fail(em, USHER_INVAL, "note: required for %s", kind);
    if (!wants_note && op->note[0])
        return usher_fail(em, USHER_INVAL, "note: not taken by %s", kind);
    for (const char *p = op->note; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            return usher_fail(em, USHER_INVAL, "note: printable ASCII only");
    /* A lease outlives a hold: it covers a stretch offline, not one guest's choice. */
    int64_t max_ttl = op->kind == OP_LEASE ? USHER_MAX_LEASE_TTL_MS : USHER_MAX_HOLD_TTL_MS;
    if (op->ttl_ms < 0 || op->ttl_ms > max_ttl)
        return usher_fail(em, USHER_INVAL, "ttl_ms: must be 0..%lld for %s", (long long)max_ttl,
                          kind);
    return USHER_OK;
}

static const char *const status_names[] = {NULL,
#define VERDICT_NAME(e, s) s,
                                           VERDICT_STATUS_MAP(VERDICT_NAME)
#undef VERDICT_NAME
};

static const char *const reason_names[] = {NULL,
#define REASON_NAME(e, s) s,
                                           REASON_MAP(REASON_NAME)
#undef REASON_NAME
};

static const char *const alert_names[] = {NULL,
#define ALERT_NAME(e, s) s,
                                          ALERT_KIND_MAP(ALERT_NAME)
#undef ALERT_NAME
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int lookup(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 1; name && i < n; i++)
        if (!strcmp(name, names[i]))
            return (int)i;
    return 0;
}

const char *verdict_status_name(verdict_status s)
{
    return (unsigned)s < COUNT(status_names) ? status_names[s] : NULL;
}

verdict_status verdict_status_parse(const char *name)
{
    return (verdict_status)lookup(status_names, COUNT(status_names), name);
}

const char *verdict_reason_name(verdict_reason r)
{
    return (unsigned)r < COUNT(reason_names) ? reason_names[r] : NULL;
}

verdict_reason verdict_reason_parse(const char *name)
{
    return (verdict_reason)lookup(reason_names, COUNT(reason_names), name);
}

const char *alert_kind_name(alert_kind k)
{
    return (unsigned)k < COUNT(alert_names) ? alert_names[k] : NULL;
}

alert_kind alert_kind_parse(const char *name)
{
    return (alert_kind)lookup(alert_names, COUNT(alert_names), name);
}

verdict_status verdict_effective(const verdict *v)
{
    return v->status == VERDICT_DUPLICATE ? v->first : v->status;
}

int64_t op_happened_at(const usher_op *op, int64_t now)
{
    int64_t wait = op->wait_ms;
    if (wait < 0)
        wait = 0;
    if (wait > now)
        wait = now;
    return now - wait;
}

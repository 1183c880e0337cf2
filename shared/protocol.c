/* protocol.c - the sync protocol's JSON: strict decoding and canonical encoding of
 * ops, verdicts, changes, alerts and the POST /v1/sync bodies.
 *
 * Wire format (copied into syncd/README.md). Times are RFC 3339 strings, always
 * written as "2026-11-22T07:32:35.123Z"; counters are JSON integers (never
 * reals or strings); ids are [A-Za-z0-9_.-] (seats up to 16, devices up to 64,
 * parties up to 36); ticket codes are [A-Z0-9-]{1,32} (lower case is accepted
 * and upper-cased); op ids are UUIDs. Keys marked ? may be left out; the
 * encoder leaves out empty strings, zero times and default values, and writes
 * keys in the order shown. An empty string reads as a left-out key; unknown
 * extra keys are ignored.
 *
 *   op       {"kind": "hold|release|assign|unassign|checkin|revoke|block|unblock|
 *                     lease|unlease|scan_refused|checkout",
 *             "id": uuid, "device"?: id, "ticket"?: code, "seat"?: id,
 *             "at": time, "expect_ticket_seat"?: id|null (absent/null = unseated),
 *             "expect_seat_free"?: bool (absent = true), "party"?: id,
 *             "ttl_ms"?: int >= 0, "manual"?: bool (checkin: staff admitted),
 *             "note"?: text (scan_refused: the payload's first 40 characters),
 *             "wait_ms"?: int >= 0,
 *             "entrance"?: text (checkin: the door's entrance when it scanned),
 *             "override"?: "entrance" (checkin: staff admitted it at an entrance
 *                          that does not admit its class or section)}
 *            `at` is the device's clock, kept as a record; `wait_ms` is how long
 *            the op waited in the device's outbox (usher-syncd measures it), from
 *            which the coordinator dates it by its own clock (op_happened_at).
 *            Which of ticket/seat/... a kind takes: op.h; checked by op_validate.
 *   verdict  {"status": "accepted|rejected|duplicate",
 *             "first"?: "accepted|rejected" (required for, and only for, duplicate),
 *             "reason"?: "seat_taken|seat_held|...", "id": uuid, "reseat"?: id,
 *             "ticket_seat"?: id, "seat_ticket"?: code, "checked_in_at"?: time,
 *             "checkin_device"?: id}
 *   change   {"seq": int >= 0, "type": "seat", "seat": id, "ticket": code|null,
 *             "blocked": bool, "hold_device"?: id, "hold_until"?: time,
 *             "lease_device"?: id, "lease_until"?: time}
 *            {"seq": int >= 0, "type": "ticket", "code": code, "name": text,
 *             "class": text, "seat": id|null, "party"?: id, "checked_in_at"?: time,
 *             "checkin_device"?: id, "revoked": bool, "checked_out_at"?: time,
 *             "checkout_device"?: id (checked out: the guest left, 0/absent = not out)}
 *            {"seq": int >= 0, "type": "layout", "version": int >= 2}: the venue's
 *             layout was replaced; a device takes GET /v1/snapshot again
 *            {"seq": int >= 0, "type": "entrances"}: the entrances or a door's
 *             entrance changed (the sync answer's "entrances" has them: a
 *             device need only sync)
 *            (text: UTF-8 without control characters, name <= 256 bytes,
 *             class <= 16; either may be "")
 *   alert    {"kind": "reseat|duplicate_checkin|late_upload|revoked_scan|scan_refused|
 *                      clock_skew",
 *             "ticket"?: code, "seat"?: id, "other_seat"?: id, "device"?: id,
 *             "other_device"?: id, "at"?: time, "other_at"?: time, "op_id"?: uuid,
 *             "note"?: text}
 *   event    {"codes": "strong|weak", "pin_hash"?: text (crypto_pwhash_str),
 *             "tz"?: text (IANA zone; absent = UTC),
 *             "lang"?: en|de|fr|es|ar|zh (the kiosks' default; absent = theirs),
 *             "reentry"?: "allowed|refused" (absent = allowed)}
 *   entrances {"door"?: text (the asking device's own entrance; absent = none),
 *             "all": [{"name": text, "classes"?: [text, ...],
 *                      "sections"?: [id, ...], "doors"?: [id, ...]}, ...]}
 *            (at most 32 entrances, 16 classes, 16 sections, 32 doors each; names
 *             1..40 bytes, entrance.h; an empty or absent list admits all)
 *
 *   printer  {"state": "ok|unknown|stopped|offline|out_of_paper|missing|no_cups",
 *             "name": text (the CUPS queue: 1..127 bytes, no space / # \\),
 *             "waiting"?: int (cards not printed yet), "printed"?: int (since the
 *             kiosk started; both at most 100000000), "problem"?: text (<= 255)}
 *
 *   POST /v1/sync request   {"device"?: id, "cursor": int >= 0, "clock"?: time,
 *                            "printer"?: printer, "ops": [op, ...]}
 *                           `clock` is the device's own clock as it sent (the
 *                           coordinator compares it with its own: skew alert);
 *                           `printer` is the device's seat-card printer as its
 *                           kiosk last saw it (absent: it has none)
 *                           at most 1000 ops (USHER_MAX_BATCH)
 *   POST /v1/sync response  {"cursor": int >= 0, "more": bool, "now"?: time,
 *                            "log"?: id, "verdicts": [verdict, ...],
 *                            "changes": [change, ...],
 *                            "event"?: event,  (the event's settings, for devices)
 *                            "entrances"?: entrances}
 *                           `now` is the coordinator's clock as it answered:
 *                           devices measure their clock's offset from it;
 *                           `log` names the copy of the op log the cursor
 *                           counts in (a restore from a backup makes a new
 *                           one: a device that knew another rebuilds)
 *                           at most 1000 verdicts, one per op of the request
 *   any error               {"error": "CODE", "message": "a sentence"}
 *
 * Bodies over 4 MiB (PROTO_MAX_BODY) and oversized batches are refused as
 * TOOBIG; text that is not JSON as PARSE (with line and column); JSON with
 * duplicate keys, out-of-range numbers or anything above that breaks these
 * rules as INVAL, with a message naming the field ("ops[3].seat: expected a
 * string, got an integer").
 */
#include "protocol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "ticketcode.h"
#include "timestamp.h"

/* ---- field tables: one description drives both decoding and encoding ---- */

typedef enum {
    F_TEXT,  /* any printable UTF-8, may be "" */
    F_IDENT, /* seat, device or party id: [A-Za-z0-9_.-] */
    F_CODE,  /* ticket code: [A-Z0-9-], upper-cased on decode */
    F_UUID,  /* op id */
    F_TIME,  /* int64_t ms, RFC 3339 on the wire; 0 = absent */
    F_INT,   /* int64_t >= 0; 0 = absent */
    F_BOOL,
} field_type;

enum {
    REQ = 1,          /* must be present */
    NULLABLE = 2,     /* null means "" (and "" is written as null when REQ) */
    DEFAULT_TRUE = 4, /* a bool that is true when absent (and left out when true) */
};

typedef struct field {
    const char *key;
    field_type type;
    unsigned flags;
    size_t off;  /* offset of the member in the struct */
    size_t size; /* buffer size for strings */
} field;

#define STR(T, key, type, flags, member)                                                           \
    {                                                                                              \
        key, type, flags, offsetof(T, member), sizeof(((T *)0)->member)                            \
    }
#define NUM(T, key, type, flags, member)                                                           \
    {                                                                                              \
        key, type, flags, offsetof(T, member), 0                                                   \
    }
#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

static const field op_fields[] = {
    STR(usher_op, "id", F_UUID, REQ, id),
    STR(usher_op, "device", F_IDENT, 0, device),
    STR(usher_op, "ticket", F_CODE, 0, ticket),
    STR(usher_op, "seat", F_IDENT, 0, seat),
    NUM(usher_op, "at", F_TIME, REQ, at),
    STR(usher_op, "expect_ticket_seat", F_IDENT, NULLABLE, expect_ticket_seat),
    NUM(usher_op, "expect_seat_free", F_BOOL, DEFAULT_TRUE, expect_seat_free),
    STR(usher_op, "party", F_IDENT, 0, party),
    NUM(usher_op, "ttl_ms", F_INT, 0, ttl_ms),
    NUM(usher_op, "manual", F_BOOL, 0, manual),
    STR(usher_op, "note", F_TEXT, 0, note),
    NUM(usher_op, "wait_ms", F_INT, 0, wait_ms),
    STR(usher_op, "entrance", F_TEXT, 0, entrance),
    STR(usher_op, "override", F_TEXT, 0, override),
};

static const field verdict_fields[] = {
    STR(verdict, "id", F_UUID, REQ, op_id),
    STR(verdict, "reseat", F_IDENT, 0, reseat),
    STR(verdict, "ticket_seat", F_IDENT, 0, ticket_seat),
    STR(verdict, "seat_ticket", F_CODE, 0, seat_ticket),
    NUM(verdict, "checked_in_at", F_TIME, 0, checked_in_at),
    STR(verdict, "checkin_device", F_IDENT, 0, checkin_device),
};

static const field change_seq_fields[] = {
    NUM(change, "seq", F_INT, REQ, seq),
};

static const field seat_change_fields[] = {
    STR(change, "seat", F_IDENT, REQ, seat_id),
    STR(change, "ticket", F_CODE, REQ | NULLABLE, seat.ticket),
    NUM(change, "blocked", F_BOOL, REQ, seat.blocked),
    STR(change, "hold_device", F_IDENT, 0, seat.hold_device),
    NUM(change, "hold_until", F_TIME, 0, seat.hold_until),
    STR(change, "lease_device", F_IDENT, 0, seat.lease_device),
    NUM(change, "lease_until", F_TIME, 0, seat.lease_until),
};

static const field layout_change_fields[] = {
    NUM(change, "version", F_INT, REQ, layout_version),
};

static const field ticket_change_fields[] = {
    STR(change, "code", F_CODE, REQ, ticket.code),
    STR(change, "name", F_TEXT, REQ, ticket.name),
    STR(change, "class", F_TEXT, REQ, ticket.klass),
    STR(change, "seat", F_IDENT, REQ | NULLABLE, ticket.seat),
    STR(change, "party", F_IDENT, 0, ticket.party),
    NUM(change, "checked_in_at", F_TIME, 0, ticket.checked_in_at),
    STR(change, "checkin_device", F_IDENT, 0, ticket.checkin_device),
    NUM(change, "revoked", F_BOOL, REQ, ticket.revoked),
    STR(change, "note", F_TEXT, 0, ticket.note),
    NUM(change, "attention", F_BOOL, 0, ticket.attention),
    NUM(change, "checked_out_at", F_TIME, 0, ticket.checked_out_at),
    STR(change, "checkout_device", F_IDENT, 0, ticket.checkout_device),
};

static const field alert_fields[] = {
    STR(alert, "ticket", F_CODE, 0, ticket),
    STR(alert, "seat", F_IDENT, 0, seat),
    STR(alert, "other_seat", F_IDENT, 0, other_seat),
    STR(alert, "device", F_IDENT, 0, device),
    STR(alert, "other_device", F_IDENT, 0, other_device),
    NUM(alert, "at", F_TIME, 0, at),
    NUM(alert, "other_at", F_TIME, 0, other_at),
    STR(alert, "op_id", F_UUID, 0, op_id),
    STR(alert, "note", F_TEXT, 0, note),
};

static const field settings_fields[] = {
    STR(event_settings, "pin_hash", F_TEXT, 0, pin_hash),
    STR(event_settings, "tz", F_TEXT, 0, tz),
    STR(event_settings, "lang", F_TEXT, 0, lang),
};

static const field request_fields[] = {
    STR(sync_request, "device", F_IDENT, 0, device),
    NUM(sync_request, "cursor", F_INT, REQ, cursor),
    NUM(sync_request, "clock", F_TIME, 0, clock),
};

static const field printer_fields[] = {
    STR(printer_report, "name", F_TEXT, REQ, name),
    NUM(printer_report, "waiting", F_INT, 0, waiting),
    NUM(printer_report, "printed", F_INT, 0, printed),
    STR(printer_report, "problem", F_TEXT, 0, problem),
};

static const field response_fields[] = {
    NUM(sync_response, "cursor", F_INT, REQ, cursor),
    NUM(sync_response, "more", F_BOOL, REQ, more),
    NUM(sync_response, "now", F_TIME, 0, now),
    STR(sync_response, "log", F_IDENT, 0, log),
};

/* "one of a, b, c" lists for messages, built from the X-macro tables. */
#define ONE_OF(e, s) " " s
static const char op_kinds[] = OP_KIND_MAP(ONE_OF);
static const char statuses[] = VERDICT_STATUS_MAP(ONE_OF);
static const char reasons[] = REASON_MAP(ONE_OF);
static const char alert_kinds[] = ALERT_KIND_MAP(ONE_OF);
static const char printer_states[] = PRINTER_STATE_MAP(ONE_OF);
#undef ONE_OF

/* ---- decoding ---- */

/* Where messages point: "ops[3]" + "seat" = "ops[3].seat". */
/* Where a field is ("ops[3].seat"), for error messages. Formatted only when
 * an error needs it: decoding a page of 1000 changes looks at ten thousand
 * fields, and nearly always finds nothing wrong. */
typedef struct path {
    const char *where, *key;
    char text[160];
} path;

static path path_of(const char *where, const char *key)
{
    path p;
    p.where = where;
    p.key = key;
    p.text[0] = '\0';
    return p;
}

static const char *path_text(path *p)
{
    bool has_where = p->where && *p->where;
    snprintf(p->text, sizeof p->text, "%s%s%s", has_where ? p->where : "", has_where ? "." : "",
             p->key);
    return p->text;
}

static const char *where_or(const char *where, const char *fallback)
{
    return where && *where ? where : fallback;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        break;
    }
    return "null";
}

static usher_err wrong_type(usher_errmsg *em, path *p, const char *want, const json_t *v)
{
    return usher_fail(em, USHER_INVAL, "%s: expected %s, got %s", path_text(p), want, json_kind(v));
}

/* Checks a string already copied into dst against the rules of its type. */
static usher_err check_text(const field *f, path *p, char *dst, usher_errmsg *em)
{
    if (!*dst) {
        bool may_be_empty = f->type == F_TEXT || !(f->flags & REQ) || (f->flags & NULLABLE);
        return may_be_empty ? USHER_OK
                            : usher_fail(em, USHER_INVAL, "%s: must not be empty", path_text(p));
    }
    switch (f->type) {
    case F_TEXT:
        if (!text_printable(dst))
            return usher_fail(em, USHER_INVAL, "%s: contains a control character", path_text(p));
        break;
    case F_IDENT:
        if (!text_is_ident(dst, f->size - 1))
            return usher_fail(em, USHER_INVAL,
                              "%s: \"%.40s\" is not an id (letters, digits, '_', '.' and '-')",
                              path_text(p), dst);
        break;
    case F_CODE:
        ticketcode_upcase(dst);
        if (!ticketcode_valid(dst))
            return usher_fail(em, USHER_INVAL,
                              "%s: \"%.40s\" is not a ticket code (letters, digits and '-')",
                              path_text(p), dst);
        break;
    case F_UUID:
        if (!op_id_valid(dst))
            return usher_fail(em, USHER_INVAL,
                              "%s: \"%.40s\" is not a UUID (8-4-4-4-12 hex digits)", path_text(p),
                              dst);
        break;
    default:
        break;
    }
    return USHER_OK;
}

static usher_err read_string(const field *f, path *p, const json_t *v, char *dst, usher_errmsg *em)
{
    if (json_is_null(v) && (f->flags & NULLABLE)) {
        dst[0] = '\0';
        return USHER_OK;
    }
    if (!json_is_string(v))
        return wrong_type(em, p, f->flags & NULLABLE ? "a string or null" : "a string", v);
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (memchr(s, '\0', len))
        return usher_fail(em, USHER_INVAL, "%s: contains a NUL character", path_text(p));
    if (len >= f->size)
        return usher_fail(em, USHER_INVAL, "%s: too long (%zu bytes; at most %zu)", path_text(p),
                          len, f->size - 1);
    memcpy(dst, s, len + 1);
    return check_text(f, p, dst, em);
}

static usher_err read_time(path *p, const json_t *v, int64_t *dst, usher_errmsg *em)
{
    if (!json_is_string(v))
        return wrong_type(em, p, "an RFC 3339 time string", v);
    if (!timestamp_parse(json_string_value(v), dst))
        return usher_fail(em, USHER_INVAL,
                          "%s: \"%.40s\" is not an RFC 3339 time between 1970 and 9999 "
                          "(e.g. \"2026-11-22T07:32:35.123Z\")",
                          path_text(p), json_string_value(v));
    return USHER_OK;
}

static usher_err read_int(path *p, const json_t *v, int64_t *dst, usher_errmsg *em)
{
    if (!json_is_integer(v))
        return wrong_type(em, p, "an integer", v);
    json_int_t n = json_integer_value(v);
    if (n < 0)
        return usher_fail(em, USHER_INVAL, "%s: must be 0 or more, not %lld", path_text(p),
                          (long long)n);
    *dst = n;
    return USHER_OK;
}

static usher_err read_field(const field *f, const char *where, const json_t *obj, char *base,
                            usher_errmsg *em)
{
    path p = path_of(where, f->key);
    const json_t *v = json_object_get(obj, f->key);
    void *dst = base + f->off;
    if (!v) {
        if (f->flags & REQ)
            return usher_fail(em, USHER_INVAL, "%s: missing", path_text(&p));
        if (f->type == F_BOOL)
            *(bool *)dst = (f->flags & DEFAULT_TRUE) != 0;
        return USHER_OK; /* strings and numbers are already zero */
    }
    switch (f->type) {
    case F_TIME:
        return read_time(&p, v, dst, em);
    case F_INT:
        return read_int(&p, v, dst, em);
    case F_BOOL:
        if (!json_is_boolean(v))
            return wrong_type(em, &p, "true or false", v);
        *(bool *)dst = json_is_true(v);
        return USHER_OK;
    default:
        return read_string(f, &p, v, dst, em);
    }
}

/* Fills the members of base that the table names. base must be zeroed. */
static usher_err read_fields(const field *fs, size_t n, const char *where, const json_t *obj,
                             void *base, usher_errmsg *em)
{
    for (size_t i = 0; i < n; i++) {
        usher_err err = read_field(&fs[i], where, obj, base, em);
        if (err)
            return err;
    }
    return USHER_OK;
}

static usher_err need_object(const json_t *j, const char *where, const char *what, usher_errmsg *em)
{
    if (json_is_object(j))
        return USHER_OK;
    return usher_fail(em, USHER_INVAL, "%s: expected an object, got %s", where_or(where, what),
                      j ? json_kind(j) : "nothing");
}

/* Points *name at the enum name at key (borrowed from obj); "" when absent
 * and optional. */
static usher_err read_name(const json_t *obj, const char *where, const char *key, bool required,
                           const char **name, usher_errmsg *em)
{
    path p = path_of(where, key);
    const json_t *v = json_object_get(obj, key);
    *name = "";
    if (!v)
        return required ? usher_fail(em, USHER_INVAL, "%s: missing", path_text(&p)) : USHER_OK;
    if (!json_is_string(v))
        return wrong_type(em, &p, "a string", v);
    *name = json_string_value(v);
    return USHER_OK;
}

static usher_err unknown_name(usher_errmsg *em, const char *where, const char *key,
                              const char *name, const char *choices)
{
    path p = path_of(where, key);
    return usher_fail(em, USHER_INVAL, "%s: unknown value \"%.40s\" (expected one of%s)",
                      path_text(&p), name, choices);
}

usher_err proto_op_decode(const json_t *j, const char *where, usher_op *out, usher_errmsg *em)
{
    usher_op op;
    const char *name = "";
    memset(&op, 0, sizeof op);
    usher_err err = need_object(j, where, "op", em);
    if (!err)
        err = read_name(j, where, "kind", true, &name, em);
    if (!err && (op.kind = op_kind_parse(name)) == OP_NONE)
        err = unknown_name(em, where, "kind", name, op_kinds);
    if (!err)
        err = read_fields(op_fields, NFIELDS(op_fields), where, j, &op, em);
    if (!err && (err = op_validate(&op, em)) != USHER_OK && where && *where)
        usher_errmsg_prefix(em, "%s", where);
    if (!err)
        *out = op;
    return err;
}

/* status, first and reason: first is there exactly when status is duplicate. */
static usher_err read_statuses(const json_t *j, const char *where, verdict *v, usher_errmsg *em)
{
    const char *name = "";
    usher_err err = read_name(j, where, "status", true, &name, em);
    if (!err && (v->status = verdict_status_parse(name)) == VERDICT_NONE)
        err = unknown_name(em, where, "status", name, statuses);
    bool dup = v->status == VERDICT_DUPLICATE;
    if (!err)
        err = read_name(j, where, "first", dup, &name, em);
    if (!err && !dup && name[0]) {
        path first = path_of(where, "first");
        err =
            usher_fail(em, USHER_INVAL, "%s: only a duplicate verdict has one", path_text(&first));
    }
    if (!err && dup) {
        v->first = verdict_status_parse(name);
        if (v->first != VERDICT_ACCEPTED && v->first != VERDICT_REJECTED)
            err = unknown_name(em, where, "first", name, " accepted rejected");
    }
    if (!err)
        err = read_name(j, where, "reason", false, &name, em);
    if (!err && name[0] && (v->reason = verdict_reason_parse(name)) == REASON_NONE)
        err = unknown_name(em, where, "reason", name, reasons);
    return err;
}

usher_err proto_verdict_decode(const json_t *j, const char *where, verdict *out, usher_errmsg *em)
{
    verdict v;
    memset(&v, 0, sizeof v);
    usher_err err = need_object(j, where, "verdict", em);
    if (!err)
        err = read_statuses(j, where, &v, em);
    if (!err)
        err = read_fields(verdict_fields, NFIELDS(verdict_fields), where, j, &v, em);
    if (!err)
        *out = v;
    return err;
}

usher_err proto_change_decode(const json_t *j, const char *where, change *out, usher_errmsg *em)
{
    change c;
    const char *name = "";
    memset(&c, 0, sizeof c);
    usher_err err = need_object(j, where, "change", em);
    if (!err)
        err = read_fields(change_seq_fields, NFIELDS(change_seq_fields), where, j, &c, em);
    if (!err)
        err = read_name(j, where, "type", true, &name, em);
    if (!err) {
        if (!strcmp(name, "seat")) {
            c.type = CHANGE_SEAT;
            err = read_fields(seat_change_fields, NFIELDS(seat_change_fields), where, j, &c, em);
        } else if (!strcmp(name, "ticket")) {
            c.type = CHANGE_TICKET;
            err =
                read_fields(ticket_change_fields, NFIELDS(ticket_change_fields), where, j, &c, em);
        } else if (!strcmp(name, "layout")) {
            c.type = CHANGE_LAYOUT;
            err =
                read_fields(layout_change_fields, NFIELDS(layout_change_fields), where, j, &c, em);
        } else if (!strcmp(name, "entrances")) {
            c.type = CHANGE_ENTRANCES;
        } else {
            err = unknown_name(em, where, "type", name, " seat ticket layout entrances");
        }
    }
    if (!err)
        *out = c;
    return err;
}

usher_err proto_alert_decode(const json_t *j, const char *where, alert *out, usher_errmsg *em)
{
    alert a;
    const char *name = "";
    memset(&a, 0, sizeof a);
    usher_err err = need_object(j, where, "alert", em);
    if (!err)
        err = read_name(j, where, "kind", true, &name, em);
    if (!err && (a.kind = alert_kind_parse(name)) == ALERT_NONE)
        err = unknown_name(em, where, "kind", name, alert_kinds);
    if (!err)
        err = read_fields(alert_fields, NFIELDS(alert_fields), where, j, &a, em);
    if (!err)
        *out = a;
    return err;
}

/* ---- bodies and arrays ---- */

static usher_err load_body(const char *body, size_t len, json_t **out, usher_errmsg *em)
{
    if (len > PROTO_MAX_BODY)
        return usher_fail(em, USHER_TOOBIG, "body is %zu bytes; at most %d are accepted", len,
                          PROTO_MAX_BODY);
    if (len == 0)
        return usher_fail(em, USHER_PARSE, "body is empty; expected a JSON object");
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        /* Duplicate keys, \u0000 and huge numbers are well-formed JSON that we
         * refuse, not broken text. */
        enum json_error_code code = json_error_code(&jerr);
        bool content = code == json_error_duplicate_key || code == json_error_null_character ||
                       code == json_error_numeric_overflow;
        if (code == json_error_out_of_memory)
            return usher_fail(em, USHER_NOMEM, "out of memory reading the body");
        return usher_fail(em, content ? USHER_INVAL : USHER_PARSE, "body, line %d, column %d: %s",
                          jerr.line, jerr.column, jerr.text);
    }
    if (!json_is_object(root)) {
        usher_fail(em, USHER_INVAL, "body: expected a JSON object, got %s", json_kind(root));
        json_decref(root);
        return USHER_INVAL;
    }
    *out = root;
    return USHER_OK;
}

typedef usher_err (*elem_decoder)(const json_t *j, const char *where, void *out, usher_errmsg *em);

static usher_err op_decode_elem(const json_t *j, const char *where, void *out, usher_errmsg *em)
{
    return proto_op_decode(j, where, out, em);
}

static usher_err verdict_decode_elem(const json_t *j, const char *where, void *out,
                                     usher_errmsg *em)
{
    return proto_verdict_decode(j, where, out, em);
}

static usher_err change_decode_elem(const json_t *j, const char *where, void *out, usher_errmsg *em)
{
    return proto_change_decode(j, where, out, em);
}

/* Decodes root[key], an array of at most max elements of elem_size bytes, into
 * a new array (NULL when empty) that the caller frees. */
static usher_err decode_array(const json_t *root, const char *key, size_t max, size_t elem_size,
                              elem_decoder decode, void **out, size_t *out_n, usher_errmsg *em)
{
    const json_t *arr = json_object_get(root, key);
    if (!arr)
        return usher_fail(em, USHER_INVAL, "%s: missing", key);
    if (!json_is_array(arr))
        return usher_fail(em, USHER_INVAL, "%s: expected an array, got %s", key, json_kind(arr));
    size_t n = json_array_size(arr);
    if (n > max)
        return usher_fail(em, USHER_TOOBIG, "%s: %zu entries; at most %zu fit in one batch", key, n,
                          max);
    char *items = NULL;
    if (n > 0 && !(items = calloc(n, elem_size)))
        return usher_fail(em, USHER_NOMEM, "out of memory reading %s", key);
    for (size_t i = 0; i < n; i++) {
        char where[48];
        snprintf(where, sizeof where, "%s[%zu]", key, i);
        usher_err err = decode(json_array_get(arr, i), where, items + i * elem_size, em);
        if (err) {
            free(items);
            return err;
        }
    }
    *out = items;
    *out_n = n;
    return USHER_OK;
}

void proto_sync_request_release(sync_request *r)
{
    if (!r)
        return;
    free(r->ops);
    r->ops = NULL;
    r->nops = 0;
}

void proto_sync_response_release(sync_response *r)
{
    if (!r)
        return;
    free(r->verdicts);
    free(r->changes);
    free(r->entrances);
    r->verdicts = NULL;
    r->changes = NULL;
    r->entrances = NULL;
    r->has_entrances = false;
    r->nverdicts = r->nchanges = 0;
}

/* A device's printer report: the state by name, the fields, then the
 * report's own rules (printer_report_ok) so that nothing else reads garbage. */
static usher_err printer_decode(const json_t *j, printer_report *out, usher_errmsg *em)
{
    printer_report p;
    const char *name = "";
    memset(&p, 0, sizeof p);
    usher_err err = need_object(j, "printer", "printer", em);
    if (!err)
        err = read_name(j, "printer", "state", true, &name, em);
    int st = printer_state_parse(name);
    if (!err && st < 0)
        err = unknown_name(em, "printer", "state", name, printer_states);
    if (!err)
        err = read_fields(printer_fields, NFIELDS(printer_fields), "printer", j, &p, em);
    if (err)
        return err;
    p.state = (printer_state)st;
    if (!printer_name_ok(p.name))
        return usher_fail(em, USHER_INVAL,
                          "printer.name: \"%.40s\" is not a CUPS queue name (1 to 127 printable "
                          "characters without spaces, '/', '#' or '\\')",
                          p.name);
    if (p.waiting > PRINTER_COUNT_MAX || p.printed > PRINTER_COUNT_MAX)
        return usher_fail(em, USHER_INVAL, "printer.%s: at most %d",
                          p.waiting > PRINTER_COUNT_MAX ? "waiting" : "printed", PRINTER_COUNT_MAX);
    if (!printer_report_ok(&p))
        return usher_fail(em, USHER_INVAL, "printer: not a printer report");
    *out = p;
    return USHER_OK;
}

usher_err proto_sync_request_decode(const char *body, size_t len, sync_request *out,
                                    usher_errmsg *em)
{
    sync_request r;
    json_t *root = NULL;
    void *ops = NULL;
    memset(&r, 0, sizeof r);
    usher_err err = load_body(body, len, &root, em);
    if (err)
        goto out;
    err = read_fields(request_fields, NFIELDS(request_fields), "", root, &r, em);
    if (err)
        goto out;
    const json_t *pr = json_object_get(root, "printer");
    if (pr && !json_is_null(pr)) {
        err = printer_decode(pr, &r.printer, em);
        if (err)
            goto out;
        r.has_printer = true;
    }
    err = decode_array(root, "ops", USHER_MAX_BATCH, sizeof(usher_op), op_decode_elem, &ops,
                       &r.nops, em);
    if (err)
        goto out;
    r.ops = ops;
    *out = r;
out:
    json_decref(root);
    return err;
}

usher_err proto_settings_decode(const json_t *j, const char *where, event_settings *out,
                                usher_errmsg *em)
{
    event_settings s;
    const char *name = "";
    memset(&s, 0, sizeof s);
    usher_err err = need_object(j, where, "event", em);
    if (!err)
        err = read_name(j, where, "codes", true, &name, em);
    int codes = ticketcode_strength_parse(name);
    if (!err && codes < 0)
        err = unknown_name(em, where, "codes", name, " strong weak");
    if (!err)
        err = read_fields(settings_fields, NFIELDS(settings_fields), where, j, &s, em);
    const char *reentry = NULL;
    if (!err)
        err = read_name(j, where, "reentry", false, &reentry, em);
    if (!err && reentry[0] && settings_reentry_parse(reentry) < 0)
        err = unknown_name(em, where, "reentry", reentry, " allowed refused");
    if (!err)
        s.reentry_refused = settings_reentry_parse(reentry) == 1;
    if (!err && !settings_pin_hash_ok(s.pin_hash)) {
        path p = path_of(where, "pin_hash");
        err = usher_fail(em, USHER_INVAL, "%s: not a crypto_pwhash_str hash", path_text(&p));
    }
    if (!err && !settings_tz_ok(s.tz)) {
        path p = path_of(where, "tz");
        err = usher_fail(em, USHER_INVAL, "%s: \"%.40s\" is not a time zone name", path_text(&p),
                         s.tz);
    }
    if (!err && !settings_lang_ok(s.lang)) {
        path p = path_of(where, "lang");
        err = usher_fail(em, USHER_INVAL, "%s: \"%.16s\" is not one of " SETTINGS_LANGS,
                         path_text(&p), s.lang);
    }
    if (!err) {
        s.codes = (ticketcode_strength)codes;
        *out = s;
    }
    return err;
}

/* A list of rule names at obj[key] (absent = none) into items (stride), at
 * most max of them. */
static usher_err read_names(const json_t *obj, const char *where, const char *key, char *items,
                            size_t stride, size_t max, size_t *n, usher_errmsg *em)
{
    path p = path_of(where, key);
    const json_t *arr = json_object_get(obj, key);
    *n = 0;
    if (!arr)
        return USHER_OK;
    if (!json_is_array(arr))
        return wrong_type(em, &p, "an array", arr);
    if (json_array_size(arr) > max)
        return usher_fail(em, USHER_INVAL, "%s: more than %zu names", path_text(&p), max);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *v = json_array_get(arr, i);
        if (!json_is_string(v))
            return wrong_type(em, &p, "an array of strings", v);
        if (!text_copy(items + i * stride, stride, json_string_value(v)))
            return usher_fail(em, USHER_INVAL, "%s[%zu]: longer than %zu bytes", path_text(&p), i,
                              stride - 1);
    }
    *n = json_array_size(arr);
    return USHER_OK;
}

usher_err proto_entrances_decode(const json_t *j, const char *where, entrance_set *out,
                                 usher_errmsg *em)
{
    entrance_set *s = calloc(1, sizeof *s);
    if (!s)
        return usher_fail(em, USHER_NOMEM, "out of memory reading the entrances");
    const char *door = "";
    usher_err err = need_object(j, where, "entrances", em);
    if (!err)
        err = read_name(j, where, "door", false, &door, em);
    if (!err && door[0] && !entrance_name_ok(door)) {
        path p = path_of(where, "door");
        err = usher_fail(em, USHER_INVAL, "%s: not an entrance's name", path_text(&p));
    }
    if (!err)
        text_copy(s->mine, sizeof s->mine, door);
    const json_t *all = err ? NULL : json_object_get(j, "all");
    path pa = path_of(where, "all");
    if (!err && !json_is_array(all))
        err = all ? wrong_type(em, &pa, "an array", all)
                  : usher_fail(em, USHER_INVAL, "%s: missing", path_text(&pa));
    if (!err && json_array_size(all) > ENTRANCE_MAX)
        err =
            usher_fail(em, USHER_INVAL, "%s: more than %d entrances", path_text(&pa), ENTRANCE_MAX);
    for (size_t i = 0; !err && i < json_array_size(all); i++) {
        char at[96];
        snprintf(at, sizeof at, "%s[%zu]", path_text(&pa), i);
        const json_t *o = json_array_get(all, i);
        entrance *e = &s->all[i];
        const char *name = "";
        err = need_object(o, at, "entrance", em);
        if (!err)
            err = read_name(o, at, "name", true, &name, em);
        if (!err && !text_copy(e->name, sizeof e->name, name))
            err =
                usher_fail(em, USHER_INVAL, "%s.name: longer than %d bytes", at, ENTRANCE_NAME_MAX);
        if (!err)
            err = read_names(o, at, "classes", e->classes[0], sizeof e->classes[0],
                             ENTRANCE_MAX_RULES, &e->nclasses, em);
        if (!err)
            err = read_names(o, at, "sections", e->sections[0], sizeof e->sections[0],
                             ENTRANCE_MAX_RULES, &e->nsections, em);
        if (!err)
            err = read_names(o, at, "doors", e->doors[0], sizeof e->doors[0], ENTRANCE_MAX_DOORS,
                             &e->ndoors, em);
        if (!err && (err = entrance_check(e, em)) != USHER_OK)
            usher_errmsg_prefix(em, "%s", at);
        for (size_t k = 0; !err && k < i; k++)
            if (entrance_same_name(s->all[k].name, e->name))
                err = usher_fail(em, USHER_INVAL, "%s.name: \"%s\" is there twice", at, e->name);
        s->n = i + 1;
    }
    if (!err)
        *out = *s;
    free(s);
    return err;
}

usher_err proto_sync_response_decode(const char *body, size_t len, sync_response *out,
                                     usher_errmsg *em)
{
    sync_response r;
    json_t *root = NULL;
    void *verdicts = NULL, *changes = NULL;
    memset(&r, 0, sizeof r);
    usher_err err = load_body(body, len, &root, em);
    if (err)
        goto fail;
    err = read_fields(response_fields, NFIELDS(response_fields), "", root, &r, em);
    if (err)
        goto fail;
    err = decode_array(root, "verdicts", USHER_MAX_BATCH, sizeof(verdict), verdict_decode_elem,
                       &verdicts, &r.nverdicts, em);
    if (err)
        goto fail;
    const json_t *ev = json_object_get(root, "event");
    if (ev) {
        err = proto_settings_decode(ev, "event", &r.event, em);
        if (err)
            goto fail;
        r.has_event = true;
    }
    const json_t *ents = json_object_get(root, "entrances");
    if (ents) {
        r.entrances = malloc(sizeof *r.entrances);
        err = r.entrances ? proto_entrances_decode(ents, "entrances", r.entrances, em)
                          : usher_fail(em, USHER_NOMEM, "out of memory reading the entrances");
        if (err)
            goto fail;
        r.has_entrances = true;
    }
    err = decode_array(root, "changes", SIZE_MAX, sizeof(change), change_decode_elem, &changes,
                       &r.nchanges, em);
    if (err)
        goto fail;
    r.verdicts = verdicts;
    r.changes = changes;
    *out = r;
    json_decref(root);
    return USHER_OK;
fail:
    free(verdicts);
    free(r.entrances);
    json_decref(root);
    return err;
}

/* ---- encoding ---- */

/* Sets obj[key] = v, taking v; false (and v released) on failure. */
static bool put(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0;
}

static json_t *time_value(int64_t ms)
{
    char text[TIMESTAMP_TEXT_SIZE];
    timestamp_format(ms, text);
    return json_string(text);
}

static bool write_field(json_t *obj, const field *f, const char *base)
{
    const void *src = base + f->off;
    bool req = (f->flags & REQ) != 0;
    switch (f->type) {
    case F_TIME:
    case F_INT: {
        int64_t n = *(const int64_t *)src;
        if (!req && n == 0)
            return true;
        return put(obj, f->key, f->type == F_TIME ? time_value(n) : json_integer(n));
    }
    case F_BOOL: {
        bool b = *(const bool *)src;
        if (!req && b == ((f->flags & DEFAULT_TRUE) != 0))
            return true;
        return put(obj, f->key, json_boolean(b));
    }
    default: {
        const char *s = src;
        if (!s[0] && (f->flags & NULLABLE))
            return !req || put(obj, f->key, json_null());
        if (!s[0] && !req)
            return true;
        return put(obj, f->key, json_string(s));
    }
    }
}

static bool write_fields(json_t *obj, const field *fs, size_t n, const void *base)
{
    for (size_t i = 0; i < n; i++)
        if (!write_field(obj, &fs[i], base))
            return false;
    return true;
}

/* Returns obj, or NULL (and obj released) when ok is false. */
static json_t *finish(json_t *obj, bool ok)
{
    if (ok)
        return obj;
    json_decref(obj);
    return NULL;
}

json_t *proto_op_encode(const usher_op *op)
{
    json_t *obj = json_object();
    bool ok = obj && put(obj, "kind", json_string(op_kind_name(op->kind))) &&
              write_fields(obj, op_fields, NFIELDS(op_fields), op);
    return finish(obj, ok);
}

json_t *proto_verdict_encode(const verdict *v)
{
    json_t *obj = json_object();
    bool ok = obj && put(obj, "status", json_string(verdict_status_name(v->status)));
    if (ok && v->status == VERDICT_DUPLICATE)
        ok = put(obj, "first", json_string(verdict_status_name(v->first)));
    if (ok && v->reason != REASON_NONE)
        ok = put(obj, "reason", json_string(verdict_reason_name(v->reason)));
    ok = ok && write_fields(obj, verdict_fields, NFIELDS(verdict_fields), v);
    return finish(obj, ok);
}

json_t *proto_change_encode(const change *c)
{
    json_t *obj = json_object();
    bool ok = obj && write_fields(obj, change_seq_fields, NFIELDS(change_seq_fields), c);
    if (ok && c->type == CHANGE_SEAT)
        ok = put(obj, "type", json_string("seat")) &&
             write_fields(obj, seat_change_fields, NFIELDS(seat_change_fields), c);
    else if (ok && c->type == CHANGE_TICKET)
        ok = put(obj, "type", json_string("ticket")) &&
             write_fields(obj, ticket_change_fields, NFIELDS(ticket_change_fields), c);
    else if (ok && c->type == CHANGE_LAYOUT)
        ok = put(obj, "type", json_string("layout")) &&
             write_fields(obj, layout_change_fields, NFIELDS(layout_change_fields), c);
    else if (ok && c->type == CHANGE_ENTRANCES)
        ok = put(obj, "type", json_string("entrances"));
    else
        ok = false; /* CHANGE_NONE has no wire form */
    return finish(obj, ok);
}

json_t *proto_alert_encode(const alert *a)
{
    json_t *obj = json_object();
    bool ok = obj && put(obj, "kind", json_string(alert_kind_name(a->kind))) &&
              write_fields(obj, alert_fields, NFIELDS(alert_fields), a);
    return finish(obj, ok);
}

json_t *proto_settings_encode(const event_settings *s)
{
    json_t *obj = json_object();
    bool ok = obj && put(obj, "codes", json_string(ticketcode_strength_name(s->codes))) &&
              write_fields(obj, settings_fields, NFIELDS(settings_fields), s) &&
              (!s->reentry_refused || put(obj, "reentry", json_string("refused")));
    return finish(obj, ok);
}

static json_t *name_array(const char *items, size_t stride, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_string(items + i * stride)) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

json_t *proto_entrances_encode(const entrance_set *s)
{
    return proto_entrances_encode_door(s, s->mine);
}

json_t *proto_entrances_encode_door(const entrance_set *s, const char *door)
{
    json_t *obj = json_object(), *all = json_array();
    bool ok = obj && put(obj, "all", all) && (!door[0] || put(obj, "door", json_string(door)));
    for (size_t i = 0; ok && i < s->n; i++) {
        const entrance *e = &s->all[i];
        json_t *o = json_object();
        ok =
            o && json_array_append_new(all, o) == 0 && put(o, "name", json_string(e->name)) &&
            (!e->nclasses ||
             put(o, "classes", name_array(e->classes[0], sizeof e->classes[0], e->nclasses))) &&
            (!e->nsections ||
             put(o, "sections", name_array(e->sections[0], sizeof e->sections[0], e->nsections))) &&
            (!e->ndoors || put(o, "doors", name_array(e->doors[0], sizeof e->doors[0], e->ndoors)));
    }
    return finish(obj, ok);
}

typedef json_t *(*elem_encoder)(const void *item);

static json_t *op_encode_elem(const void *item)
{
    return proto_op_encode(item);
}

static json_t *verdict_encode_elem(const void *item)
{
    return proto_verdict_encode(item);
}

static json_t *change_encode_elem(const void *item)
{
    return proto_change_encode(item);
}

static bool put_array(json_t *obj, const char *key, const void *items, size_t n, size_t elem_size,
                      elem_encoder encode)
{
    json_t *arr = json_array();
    if (!put(obj, key, arr))
        return false;
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(arr, encode((const char *)items + i * elem_size)) != 0)
            return false;
    return true;
}

/* Compact text of obj, releasing obj; NULL when obj is NULL or on OOM. */
static char *dump(json_t *obj)
{
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    return text;
}

char *proto_sync_request_encode(const sync_request *r)
{
    json_t *obj = json_object();
    bool ok = obj && write_fields(obj, request_fields, NFIELDS(request_fields), r);
    if (ok && r->has_printer) {
        json_t *p = json_object();
        ok = p && put(p, "state", json_string(printer_state_name(r->printer.state))) &&
             write_fields(p, printer_fields, NFIELDS(printer_fields), &r->printer);
        ok = put(obj, "printer", finish(p, ok));
    }
    ok = ok && put_array(obj, "ops", r->ops, r->nops, sizeof *r->ops, op_encode_elem);
    return dump(finish(obj, ok));
}

char *proto_sync_response_encode(const sync_response *r)
{
    json_t *obj = json_object();
    bool ok =
        obj && write_fields(obj, response_fields, NFIELDS(response_fields), r) &&
        put_array(obj, "verdicts", r->verdicts, r->nverdicts, sizeof *r->verdicts,
                  verdict_encode_elem) &&
        put_array(obj, "changes", r->changes, r->nchanges, sizeof *r->changes, change_encode_elem);
    if (ok && r->has_event)
        ok = put(obj, "event", proto_settings_encode(&r->event));
    if (ok && r->has_entrances && r->entrances)
        ok = put(obj, "entrances", proto_entrances_encode(r->entrances));
    return dump(finish(obj, ok));
}

size_t proto_sync_response_head(const sync_response *r, char *out, size_t size)
{
    char now[TIMESTAMP_TEXT_SIZE];
    timestamp_format(r->now, now);
    char log[PROTO_LOG_ID_SIZE + 16] = "";
    if (r->log[0] && text_is_ident(r->log, sizeof r->log - 1))
        snprintf(log, sizeof log, "\"log\":\"%s\",", r->log);
    int n = snprintf(out, size, "{\"cursor\":%lld,\"more\":%s,\"now\":\"%s\",%s\"verdicts\":[",
                     (long long)r->cursor, r->more ? "true" : "false", now, log);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* A growing text buffer; failed once memory ran out (then p is NULL). */
typedef struct textbuf {
    char *p;
    size_t len, cap;
    bool failed;
} textbuf;

static void tb_put(textbuf *b, const char *text, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            free(b->p);
            *b = (textbuf){.failed = true};
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, text, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void tb_puts(textbuf *b, const char *text)
{
    tb_put(b, text, strlen(text));
}

/* Appends the compact JSON of j (released). */
static void tb_json(textbuf *b, json_t *j)
{
    char *text = dump(j);
    if (!text) {
        free(b->p);
        *b = (textbuf){.failed = true};
        return;
    }
    tb_puts(b, text);
    free(text);
}

char *proto_sync_response_write(const sync_response *r, const char *changes_text,
                                size_t changes_len, size_t *len)
{
    textbuf b = {0};
    char head[128 + PROTO_LOG_ID_SIZE];
    size_t n = proto_sync_response_head(r, head, sizeof head);
    if (!n)
        return NULL;
    tb_put(&b, head, n);
    for (size_t i = 0; i < r->nverdicts; i++) {
        if (i)
            tb_put(&b, ",", 1);
        tb_json(&b, proto_verdict_encode(&r->verdicts[i]));
    }
    tb_puts(&b, "],\"changes\":[");
    if (changes_text)
        tb_put(&b, changes_text, changes_len);
    for (size_t i = 0; !changes_text && i < r->nchanges; i++) {
        if (i)
            tb_put(&b, ",", 1);
        tb_json(&b, proto_change_encode(&r->changes[i]));
    }
    tb_puts(&b, "],\"event\":");
    tb_json(&b, proto_settings_encode(&r->event));
    if (r->entrances_text) {
        tb_puts(&b, ",\"entrances\":");
        tb_puts(&b, r->entrances_text);
    } else if (r->has_entrances && r->entrances) {
        tb_puts(&b, ",\"entrances\":");
        tb_json(&b, proto_entrances_encode(r->entrances));
    }
    tb_puts(&b, "}");
    if (b.failed)
        return NULL;
    *len = b.len;
    return b.p;
}

/* ---- the event stream ------------------------------------------------------ */

char *proto_sse_change(const change *c, size_t *len, size_t *data_off, size_t *data_len)
{
    char *data = dump(proto_change_encode(c));
    if (!data)
        return NULL;
    char head[64];
    int h = snprintf(head, sizeof head, "id: %lld\nevent: change\ndata: ", (long long)c->seq);
    size_t dlen = strlen(data), off = (size_t)h;
    char *ev = malloc(off + dlen + 3);
    if (ev) {
        memcpy(ev, head, off);
        memcpy(ev + off, data, dlen);
        memcpy(ev + off + dlen, "\n\n", 3);
        *len = off + dlen + 2;
        *data_off = off;
        *data_len = dlen;
    }
    free(data);
    return ev;
}

size_t proto_sse_reset(int64_t seq, char *out, size_t size)
{
    int n = snprintf(out, size, "id: %lld\nevent: reset\ndata: {\"seq\":%lld}\n\n", (long long)seq,
                     (long long)seq);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

size_t proto_sse_keepalive(char *out, size_t size)
{
    int n = snprintf(out, size, ": keep-alive\n\n");
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

size_t proto_sse_last_id_header(int64_t id, char *out, size_t size)
{
    int n = snprintf(out, size, "Last-Event-ID: %lld", (long long)id);
    return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

bool proto_sse_last_id_parse(const char *value, int64_t *id)
{
    return value && text_parse_i64(value, 0, INT64_MAX / 2, id);
}

void proto_sse_reader_init(proto_sse_reader *r, int64_t last_id)
{
    memset(r, 0, sizeof *r);
    r->last_id = last_id;
}

void proto_sse_reader_sink(proto_sse_reader *r, proto_sse_sink sink, void *ctx)
{
    r->sink = sink;
    r->sink_ctx = ctx;
}

static void sse_frame_clear(proto_sse_reader *r)
{
    r->frame_id = 0;
    r->event[0] = '\0';
    r->datalen = 0;
    r->frame_bad = false;
}

void proto_sse_reader_restart(proto_sse_reader *r)
{
    if (r->frame_id && r->sink)
        r->sink(r->sink_ctx, NULL); /* its id counted, its change never came */
    r->linelen = 0;
    r->line_cut = r->after_cr = false;
    sse_frame_clear(r);
}

/* The end of a frame with a new id: its change, or NULL for "pull". */
static void sse_dispatch(proto_sse_reader *r)
{
    if (!r->frame_id || !r->sink)
        return;
    change c;
    bool ok = false;
    if (!r->frame_bad && !strcmp(r->event, "change")) {
        json_t *j = json_loadb(r->data, r->datalen, JSON_REJECT_DUPLICATES, NULL);
        usher_errmsg em = {{0}};
        ok = j && proto_change_decode(j, "change", &c, &em) == USHER_OK && c.seq == r->frame_id;
        json_decref(j);
    }
    r->sink(r->sink_ctx, ok ? &c : NULL);
}

/* A field's value: after "name:" and one optional space. */
static const char *sse_field(const char *line, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(line, name, n) != 0 || line[n] != ':')
        return NULL;
    return line + n + 1 + (line[n + 1] == ' ');
}

/* A whole line: an "id:" field with a new id? */
static bool sse_line(proto_sse_reader *r)
{
    if (!r->linelen) {
        sse_dispatch(r);
        sse_frame_clear(r);
        return false;
    }
    const char *v;
    if ((v = sse_field(r->line, "data"))) {
        size_t n = r->linelen - (size_t)(v - r->line);
        if (r->line_cut || r->datalen + n + 1 > sizeof r->data) {
            r->frame_bad = true;
        } else {
            if (r->datalen)
                r->data[r->datalen++] = '\n';
            memcpy(r->data + r->datalen, v, n);
            r->datalen += n;
        }
        return false;
    }
    if ((v = sse_field(r->line, "event"))) {
        if (r->line_cut || strlen(v) >= sizeof r->event)
            r->frame_bad = true;
        else
            text_copy(r->event, sizeof r->event, v);
        return false;
    }
    int64_t id;
    if (!(v = sse_field(r->line, "id")) || r->line_cut)
        return false;
    while (*v == ' ')
        v++;
    if (!proto_sse_last_id_parse(v, &id) || id <= r->last_id)
        return false;
    r->last_id = id;
    r->frame_id = id;
    return true;
}

bool proto_sse_reader_feed(proto_sse_reader *r, const char *data, size_t n)
{
    bool news = false;
    for (size_t i = 0; i < n; i++) {
        char c = data[i];
        if (c == '\n' && r->after_cr) {
            r->after_cr = false; /* the "\n" of a "\r\n" */
            continue;
        }
        r->after_cr = c == '\r';
        if (c == '\n' || c == '\r') {
            r->line[r->linelen] = '\0';
            news |= sse_line(r);
            r->linelen = 0;
            r->line_cut = false;
        } else if (r->linelen < sizeof r->line - 1) {
            r->line[r->linelen++] = c;
        } else {
            r->line_cut = true;
        }
    }
    return news;
}

/* ---- the snapshot ------------------------------------------------------------ */

void proto_snapshot_release(proto_snapshot *s)
{
    if (!s)
        return;
    free(s->layout_json);
    free(s->changes);
    free(s->entrances);
    memset(s, 0, sizeof *s);
}

json_t *proto_event_encode(const proto_event *e)
{
    json_t *obj = proto_settings_encode(&e->settings);
    json_t *facts = json_pack("{s:s, s:s, s:I, s:s, s:s}", "id", e->id, "name", e->name,
                              "hold_ttl_ms", (json_int_t)e->hold_ttl_ms, "pubkey", e->pubkey,
                              "reseat", e->reseat_nearest ? "nearest" : "none");
    if (!obj || !facts || json_object_update(obj, facts) != 0) {
        json_decref(obj);
        obj = NULL;
    }
    json_decref(facts);
    return obj;
}

char *proto_snapshot_write(const proto_snapshot *s, const char *const *parts,
                           const size_t *part_len, size_t nparts, size_t *len)
{
    textbuf b = {0};
    tb_puts(&b, "{\"event\":");
    tb_json(&b, proto_event_encode(&s->event));
    tb_puts(&b, ",\"device\":");
    tb_json(&b, json_pack("{s:s, s:s}", "id", s->device, "role", role_name(s->role)));
    if (s->entrances_text) {
        tb_puts(&b, ",\"entrances\":");
        tb_puts(&b, s->entrances_text);
    } else if (s->has_entrances && s->entrances) {
        tb_puts(&b, ",\"entrances\":");
        tb_json(&b, proto_entrances_encode(s->entrances));
    }
    if (s->layout_json) {
        tb_puts(&b, ",\"layout\":");
        tb_puts(&b, s->layout_json);
    }
    char line[128 + PROTO_LOG_ID_SIZE];
    snprintf(line, sizeof line, ",\"cursor\":%lld,", (long long)s->cursor);
    tb_puts(&b, line);
    if (s->log[0] && text_is_ident(s->log, sizeof s->log - 1)) { /* a coordinator's always is */
        snprintf(line, sizeof line, "\"log\":\"%s\",", s->log);
        tb_puts(&b, line);
    }
    if (!s->layout_json) {
        snprintf(line, sizeof line, "\"pages\":%zu,\"changes_total\":%zu}", s->pages,
                 s->changes_total);
        tb_puts(&b, line);
    } else {
        tb_puts(&b, "\"changes\":[");
        bool first = true;
        for (size_t i = 0; i < nparts; i++) {
            if (!part_len[i])
                continue;
            if (!first)
                tb_put(&b, ",", 1);
            tb_put(&b, parts[i], part_len[i]);
            first = false;
        }
        tb_puts(&b, "]}");
    }
    if (b.failed)
        return NULL;
    *len = b.len;
    return b.p;
}

static bool copy_str(const json_t *obj, const char *key, char *out, size_t size)
{
    const char *v = json_string_value(json_object_get(obj, key));
    return v && text_copy(out, size, v);
}

/* The changes of a snapshot or page (chs an array). */
static usher_err changes_decode(const json_t *chs, change **out, size_t *n, usher_errmsg *em)
{
    size_t k = json_array_size(chs);
    change *cs = calloc(k ? k : 1, sizeof *cs);
    if (!cs)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    for (size_t i = 0; i < k; i++) {
        usher_err err = proto_change_decode(json_array_get(chs, i), "snapshot.changes", &cs[i], em);
        if (err) {
            free(cs);
            return err;
        }
    }
    *out = cs;
    *n = k;
    return USHER_OK;
}

static usher_err snapshot_body(const json_t *root, proto_snapshot *s, usher_errmsg *em)
{
    json_t *ev = json_object_get(root, "event"), *dev = json_object_get(root, "device");
    json_t *lay = json_object_get(root, "layout"), *chs = json_object_get(root, "changes");
    json_t *cur = json_object_get(root, "cursor"), *log = json_object_get(root, "log");
    json_t *pages = json_object_get(root, "pages");
    if (log && (!json_is_string(log) || !text_is_ident(json_string_value(log), 63)))
        return usher_fail(em, USHER_INVAL, "snapshot from the coordinator: \"log\" is not an id");
    if (log)
        text_copy(s->log, sizeof s->log, json_string_value(log));
    /* A paged head leaves the layout out: it is a page of its own. */
    if (!json_is_object(ev) || !json_is_object(dev) || (!json_is_object(lay) && !pages) ||
        (!json_is_array(chs) && !pages) || !json_is_integer(cur) || json_integer_value(cur) < 0)
        return usher_fail(em, USHER_INVAL, "snapshot from the coordinator is malformed");
    if (pages && (!json_is_integer(pages) || json_integer_value(pages) < 1 ||
                  json_integer_value(pages) > PROTO_SNAPSHOT_PAGES_MAX))
        return usher_fail(em, USHER_INVAL,
                          "snapshot from the coordinator: \"pages\" is not 1 to %d",
                          PROTO_SNAPSHOT_PAGES_MAX);
    s->pages = pages ? (size_t)json_integer_value(pages) : 0;
    s->cursor = json_integer_value(cur);
    json_t *total = json_object_get(root, "changes_total");
    if (json_is_integer(total) && json_integer_value(total) >= 0)
        s->changes_total = (size_t)json_integer_value(total);
    if (json_is_object(lay) && !(s->layout_json = json_dumps(lay, JSON_COMPACT)))
        return usher_fail(em, USHER_NOMEM, "out of memory");
    usher_err err = USHER_OK;
    if (json_is_array(chs) && (err = changes_decode(chs, &s->changes, &s->nchanges, em)))
        return err;
    proto_event *e = &s->event;
    json_t *ttl = json_object_get(ev, "hold_ttl_ms");
    s->role = role_parse(json_string_value(json_object_get(dev, "role")));
    if (!copy_str(dev, "id", s->device, sizeof s->device) ||
        !copy_str(ev, "id", e->id, sizeof e->id) ||
        !copy_str(ev, "name", e->name, sizeof e->name) ||
        !copy_str(ev, "pubkey", e->pubkey, sizeof e->pubkey) || !json_is_integer(ttl) ||
        s->role == ROLE_NONE)
        return usher_fail(em, USHER_INVAL,
                          "snapshot from the coordinator lacks the event or device");
    e->hold_ttl_ms = json_integer_value(ttl);
    const char *reseat = json_string_value(json_object_get(ev, "reseat"));
    e->reseat_nearest = !reseat || strcmp(reseat, "none") != 0;
    settings_default(&e->settings);
    if (json_object_get(ev, "codes") &&
        (err = proto_settings_decode(ev, "snapshot.event", &e->settings, em)))
        return err;
    const json_t *ents = json_object_get(root, "entrances");
    if (ents) {
        if (!(s->entrances = malloc(sizeof *s->entrances)))
            return usher_fail(em, USHER_NOMEM, "out of memory reading the entrances");
        if ((err = proto_entrances_decode(ents, "snapshot.entrances", s->entrances, em)))
            return err;
        s->has_entrances = true;
    }
    return USHER_OK;
}

usher_err proto_snapshot_decode(const char *body, size_t len, proto_snapshot *out, usher_errmsg *em)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    if (!root)
        return usher_fail(em, USHER_PARSE, "snapshot from the coordinator is not JSON");
    proto_snapshot s;
    memset(&s, 0, sizeof s);
    usher_err err = snapshot_body(root, &s, em);
    json_decref(root);
    if (err) {
        proto_snapshot_release(&s);
        return err;
    }
    *out = s;
    return USHER_OK;
}

char *proto_snapshot_page_write(int64_t cursor, size_t page, size_t pages, const char *items,
                                size_t items_len, size_t *len, size_t *items_at)
{
    char head[128];
    int hn =
        snprintf(head, sizeof head, "{\"cursor\":%lld,\"page\":%zu,\"pages\":%zu,\"changes\":[",
                 (long long)cursor, page, pages);
    textbuf b = {0};
    tb_put(&b, head, (size_t)hn);
    if (items_len)
        tb_put(&b, items, items_len);
    tb_put(&b, "]}", 2);
    if (b.failed)
        return NULL;
    *len = b.len;
    *items_at = (size_t)hn;
    return b.p;
}

usher_err proto_snapshot_page_decode(const char *body, size_t len, int64_t *cursor, size_t *page,
                                     size_t *pages, change **changes, size_t *n, usher_errmsg *em)
{
    json_t *root = json_loadb(body, len, 0, NULL);
    if (!root)
        return usher_fail(em, USHER_PARSE, "a snapshot page from the coordinator is not JSON");
    json_t *cur = json_object_get(root, "cursor"), *pg = json_object_get(root, "page");
    json_t *pgs = json_object_get(root, "pages"), *chs = json_object_get(root, "changes");
    usher_err err = USHER_OK;
    if (!json_is_integer(cur) || !json_is_integer(pg) || !json_is_integer(pgs) ||
        !json_is_array(chs) || json_integer_value(pg) < 0 || json_integer_value(pgs) < 0)
        err = usher_fail(em, USHER_INVAL, "a snapshot page from the coordinator is malformed");
    change *cs = NULL;
    size_t k = 0;
    if (!err)
        err = changes_decode(chs, &cs, &k, em);
    if (!err) {
        *cursor = json_integer_value(cur);
        *page = (size_t)json_integer_value(pg);
        *pages = (size_t)json_integer_value(pgs);
        *changes = cs;
        *n = k;
    }
    json_decref(root);
    return err;
}

/* A JSON string of s; bytes that are not UTF-8 become '?' so that an error
 * message with a stray byte still gets through. */
static json_t *lossy_string(const char *s)
{
    if (!s)
        s = "";
    size_t len = strlen(s);
    if (text_utf8_valid(s, len))
        return json_stringn(s, len);
    char *copy = malloc(len + 1);
    if (!copy)
        return NULL;
    for (size_t i = 0; i <= len; i++)
        copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
    json_t *v = json_stringn(copy, len);
    free(copy);
    return v;
}

char *proto_error_body(const char *code, const char *message)
{
    json_t *obj = json_object();
    bool ok =
        obj && put(obj, "error", lossy_string(code)) && put(obj, "message", lossy_string(message));
    return dump(finish(obj, ok));
}

char *proto_standby_body(const char *message, const char *active)
{
    json_t *obj = json_object();
    bool ok = obj && put(obj, "error", json_string("standby")) &&
              put(obj, "message", lossy_string(message)) &&
              (!active || !*active || put(obj, "active", lossy_string(active)));
    return dump(finish(obj, ok));
}

usher_err proto_standby_decode(const char *body, size_t len, char *active, size_t size)
{
    char code[40], msg[8];
    if (proto_error_decode(body, len, code, sizeof code, msg, sizeof msg) != USHER_OK ||
        strcmp(code, "standby") != 0)
        return USHER_PARSE;
    usher_err out = USHER_PARSE;
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *a = json_object_get(root, "active");
    if (!a)
        out = USHER_NOTFOUND;
    else if (json_is_string(a) && json_string_length(a) > 0 && json_string_length(a) < size &&
             !memchr(json_string_value(a), '\0', json_string_length(a))) {
        memcpy(active, json_string_value(a), json_string_length(a) + 1);
        out = USHER_OK;
    }
    json_decref(root);
    return out;
}

usher_err proto_error_decode(const char *body, size_t len, char *code, size_t code_size,
                             char *message, size_t message_size)
{
    usher_err out = USHER_PARSE;
    json_t *root = body && len <= PROTO_MAX_BODY ? json_loadb(body, len, 0, NULL) : NULL;
    const char *c = json_string_value(json_object_get(root, "error"));
    const char *m = json_string_value(json_object_get(root, "message"));
    size_t n = c ? strlen(c) : 0;
    if (!json_is_object(root) || !c || !m || n == 0 || n > 32)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (!((c[i] >= 'a' && c[i] <= 'z') || c[i] == '_'))
            goto out;
    if (!text_copy(code, code_size, c))
        goto out;
    snprintf(message, message_size, "%s", m);
    out = USHER_OK;
out:
    json_decref(root);
    return out;
}

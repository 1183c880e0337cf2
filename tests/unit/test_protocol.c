/* test_protocol.c - the sync protocol's JSON: exact encodings, round trips for
 * every kind of value, and every refusal with the field it names. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "text.h"
#include "timestamp.h"

#define ID1 "0f8fad5b-d9cb-469f-a165-70867728950e"
#define ID2 "7c9e6679-7425-40de-944b-e07fc1f90ae7"
#define AT 1795332755123 /* 2026-11-22T07:32:35.123Z */
#define AT_TEXT "2026-11-22T07:32:35.123Z"
#define MAX_MS INT64_C(253402300799999)

/* ---- helpers ---- */

/* Compact JSON text of j (released); malloc'd. */
static char *dump_json(json_t *j)
{
    char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return t;
}

/* Test JSON is written with single quotes; this turns them into double ones. */
static char *dq(const char *text)
{
    char *s = strdup(text);
    assert_non_null(s);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    return s;
}

static json_t *js(const char *text)
{
    char *s = dq(text);
    json_error_t jerr;
    json_t *j = json_loads(s, JSON_DECODE_ANY, &jerr);
    if (!j)
        fail_msg("test JSON %s does not parse: %s", s, jerr.text);
    free(s);
    return j;
}

/* Compact text with sorted keys, for exact comparisons. */
static void assert_json(const json_t *j, const char *want_sq)
{
    assert_non_null(j);
    char *got = json_dumps(j, JSON_COMPACT);
    char *want = dq(want_sq);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    free(want);
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("message \"%s\" should contain \"%s\"", text, needle);
}

/* A string of n copies of c, as a JSON string value in single quotes. */
static char *long_value(size_t n, char c)
{
    char *s = malloc(n + 3);
    assert_non_null(s);
    s[0] = '\'';
    memset(s + 1, c, n);
    s[n + 1] = '\'';
    s[n + 2] = '\0';
    return s;
}

static void assert_ops_equal(const usher_op *a, const usher_op *b)
{
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->device, b->device);
    assert_int_equal(a->kind, b->kind);
    assert_string_equal(a->ticket, b->ticket);
    assert_string_equal(a->seat, b->seat);
    assert_int_equal(a->at, b->at);
    assert_string_equal(a->expect_ticket_seat, b->expect_ticket_seat);
    assert_int_equal(a->expect_seat_free, b->expect_seat_free);
    assert_string_equal(a->party, b->party);
    assert_int_equal(a->ttl_ms, b->ttl_ms);
}

static void assert_verdicts_equal(const verdict *a, const verdict *b)
{
    assert_string_equal(a->op_id, b->op_id);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->first, b->first);
    assert_int_equal(a->reason, b->reason);
    assert_string_equal(a->reseat, b->reseat);
    assert_string_equal(a->ticket_seat, b->ticket_seat);
    assert_string_equal(a->seat_ticket, b->seat_ticket);
    assert_int_equal(a->checked_in_at, b->checked_in_at);
    assert_string_equal(a->checkin_device, b->checkin_device);
}

static void assert_changes_equal(const change *a, const change *b)
{
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->type, b->type);
    assert_string_equal(a->seat_id, b->seat_id);
    assert_string_equal(a->seat.ticket, b->seat.ticket);
    assert_int_equal(a->seat.blocked, b->seat.blocked);
    assert_string_equal(a->seat.hold_device, b->seat.hold_device);
    assert_int_equal(a->seat.hold_until, b->seat.hold_until);
    assert_string_equal(a->seat.lease_device, b->seat.lease_device);
    assert_int_equal(a->seat.lease_until, b->seat.lease_until);
    assert_string_equal(a->ticket.code, b->ticket.code);
    assert_string_equal(a->ticket.name, b->ticket.name);
    assert_string_equal(a->ticket.klass, b->ticket.klass);
    assert_string_equal(a->ticket.seat, b->ticket.seat);
    assert_string_equal(a->ticket.party, b->ticket.party);
    assert_int_equal(a->ticket.checked_in_at, b->ticket.checked_in_at);
    assert_string_equal(a->ticket.checkin_device, b->ticket.checkin_device);
    assert_int_equal(a->ticket.revoked, b->ticket.revoked);
    assert_string_equal(a->ticket.note, b->ticket.note);
    assert_int_equal(a->ticket.attention, b->ticket.attention);
    assert_int_equal(a->ticket.checked_out_at, b->ticket.checked_out_at);
    assert_string_equal(a->ticket.checkout_device, b->ticket.checkout_device);
    assert_int_equal(a->layout_version, b->layout_version);
}

static void assert_alerts_equal(const alert *a, const alert *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_string_equal(a->ticket, b->ticket);
    assert_string_equal(a->seat, b->seat);
    assert_string_equal(a->other_seat, b->other_seat);
    assert_string_equal(a->device, b->device);
    assert_string_equal(a->other_device, b->other_device);
    assert_int_equal(a->at, b->at);
    assert_int_equal(a->other_at, b->other_at);
    assert_string_equal(a->op_id, b->op_id);
}

/* Encodes, goes through text (as on the wire), and parses back. */
static json_t *through_text(json_t *j)
{
    assert_non_null(j);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_non_null(text);
    json_decref(j);
    json_error_t jerr;
    json_t *back = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    assert_non_null(back);
    free(text);
    return back;
}

static void op_round_trip(const usher_op *op)
{
    usher_errmsg em = {{0}};
    assert_int_equal(op_validate(op, &em), USHER_OK);
    json_t *j = through_text(proto_op_encode(op));
    usher_op back;
    if (proto_op_decode(j, "ops[0]", &back, &em) != USHER_OK)
        fail_msg("op does not round-trip: %s", em.text);
    assert_ops_equal(op, &back);
    json_decref(j);
}

static void verdict_round_trip(const verdict *v)
{
    usher_errmsg em = {{0}};
    json_t *j = through_text(proto_verdict_encode(v));
    verdict back;
    if (proto_verdict_decode(j, "verdicts[0]", &back, &em) != USHER_OK)
        fail_msg("verdict does not round-trip: %s", em.text);
    assert_verdicts_equal(v, &back);
    json_decref(j);
}

static void change_round_trip(const change *c)
{
    usher_errmsg em = {{0}};
    json_t *j = through_text(proto_change_encode(c));
    change back;
    if (proto_change_decode(j, "changes[0]", &back, &em) != USHER_OK)
        fail_msg("change does not round-trip: %s", em.text);
    assert_changes_equal(c, &back);
    json_decref(j);
}

static void alert_round_trip(const alert *a)
{
    usher_errmsg em = {{0}};
    json_t *j = through_text(proto_alert_encode(a));
    alert back;
    if (proto_alert_decode(j, "alert", &back, &em) != USHER_OK)
        fail_msg("alert does not round-trip: %s", em.text);
    assert_alerts_equal(a, &back);
    json_decref(j);
}

static usher_op sample_op(op_kind kind)
{
    usher_op op;
    memset(&op, 0, sizeof op);
    text_copy(op.id, sizeof op.id, ID1);
    text_copy(op.device, sizeof op.device, "kiosk-1");
    op.kind = kind;
    op.at = AT;
    op.expect_seat_free = true;
    if (kind != OP_CHECKIN && kind != OP_REVOKE)
        text_copy(op.seat, sizeof op.seat, "T07-03");
    if (kind == OP_ASSIGN || kind == OP_UNASSIGN || kind == OP_CHECKIN || kind == OP_REVOKE)
        text_copy(op.ticket, sizeof op.ticket, "GALA-0001");
    return op;
}

/* ---- exact encodings ---- */

static void op_encode_leaves_out_defaults(void **state)
{
    (void)state;
    usher_op op = sample_op(OP_ASSIGN);
    op.device[0] = '\0';
    json_t *j = proto_op_encode(&op);
    assert_json(j, "{'kind':'assign','id':'" ID1 "','ticket':'GALA-0001','seat':'T07-03',"
                   "'at':'" AT_TEXT "'}");
    json_decref(j);
}

static void op_encode_writes_every_field_set(void **state)
{
    (void)state;
    usher_op op = sample_op(OP_ASSIGN);
    text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat, "T01-01");
    op.expect_seat_free = false;
    text_copy(op.party, sizeof op.party, ID2);
    json_t *j = proto_op_encode(&op);
    assert_json(j, "{'kind':'assign','id':'" ID1 "','device':'kiosk-1','ticket':'GALA-0001',"
                   "'seat':'T07-03','at':'" AT_TEXT "','expect_ticket_seat':'T01-01',"
                   "'expect_seat_free':false,'party':'" ID2 "'}");
    json_decref(j);

    usher_op hold = sample_op(OP_HOLD);
    hold.ttl_ms = 120000;
    j = proto_op_encode(&hold);
    assert_json(j, "{'kind':'hold','id':'" ID1 "','device':'kiosk-1','seat':'T07-03',"
                   "'at':'" AT_TEXT "','ttl_ms':120000}");
    json_decref(j);

    usher_op lease = sample_op(OP_LEASE);
    lease.ttl_ms = 1800000;
    j = proto_op_encode(&lease);
    assert_json(j, "{'kind':'lease','id':'" ID1 "','device':'kiosk-1','seat':'T07-03',"
                   "'at':'" AT_TEXT "','ttl_ms':1800000}");
    json_decref(j);
    usher_op unlease = sample_op(OP_UNLEASE);
    j = proto_op_encode(&unlease);
    assert_json(j, "{'kind':'unlease','id':'" ID1 "','device':'kiosk-1','seat':'T07-03',"
                   "'at':'" AT_TEXT "'}");
    json_decref(j);
}

static void verdict_encode_exact(void **state)
{
    (void)state;
    verdict v;
    memset(&v, 0, sizeof v);
    text_copy(v.op_id, sizeof v.op_id, ID1);
    v.status = VERDICT_ACCEPTED;
    json_t *j = proto_verdict_encode(&v);
    assert_json(j, "{'status':'accepted','id':'" ID1 "'}");
    json_decref(j);

    v.status = VERDICT_DUPLICATE;
    v.first = VERDICT_REJECTED;
    v.reason = REASON_SEAT_TAKEN;
    text_copy(v.reseat, sizeof v.reseat, "T07-04");
    text_copy(v.ticket_seat, sizeof v.ticket_seat, "T07-04");
    text_copy(v.seat_ticket, sizeof v.seat_ticket, "GALA-0002");
    j = proto_verdict_encode(&v);
    assert_json(j, "{'status':'duplicate','first':'rejected','reason':'seat_taken','id':'" ID1
                   "','reseat':'T07-04','ticket_seat':'T07-04','seat_ticket':'GALA-0002'}");
    json_decref(j);
}

static void change_encode_exact(void **state)
{
    (void)state;
    change c;
    memset(&c, 0, sizeof c);
    c.seq = 41;
    c.type = CHANGE_SEAT;
    text_copy(c.seat_id, sizeof c.seat_id, "T07-03");
    json_t *j = proto_change_encode(&c);
    assert_json(j, "{'seq':41,'type':'seat','seat':'T07-03','ticket':null,'blocked':false}");
    json_decref(j);
    /* A new layout: its version alone; decoded back as it was. */
    change l;
    memset(&l, 0, sizeof l);
    l.seq = 40;
    l.type = CHANGE_LAYOUT;
    l.layout_version = 3;
    j = proto_change_encode(&l);
    assert_json(j, "{'seq':40,'type':'layout','version':3}");
    change back;
    usher_errmsg em = {{0}};
    assert_int_equal(proto_change_decode(j, "changes[0]", &back, &em), USHER_OK);
    assert_changes_equal(&l, &back);
    json_decref(j);
    j = json_pack("{s:i, s:s}", "seq", 40, "type", "layout");
    assert_int_equal(proto_change_decode(j, "changes[0]", &back, &em), USHER_INVAL);
    assert_string_equal(em.text, "changes[0].version: missing");
    json_decref(j);
    /* A lease: both keys, after the hold's. */
    text_copy(c.seat.lease_device, sizeof c.seat.lease_device, "kiosk-3");
    c.seat.lease_until = AT;
    j = proto_change_encode(&c);
    assert_json(j, "{'seq':41,'type':'seat','seat':'T07-03','ticket':null,'blocked':false,"
                   "'lease_device':'kiosk-3','lease_until':'" AT_TEXT "'}");
    json_decref(j);

    memset(&c, 0, sizeof c);
    c.seq = 42;
    c.type = CHANGE_TICKET;
    text_copy(c.ticket.code, sizeof c.ticket.code, "GALA-0001");
    text_copy(c.ticket.name, sizeof c.ticket.name, "Ada \"Countess\" Lovelace");
    j = proto_change_encode(&c);
    assert_json(j, "{'seq':42,'type':'ticket','code':'GALA-0001',"
                   "'name':'Ada \\'Countess\\' Lovelace','class':'','seat':null,'revoked':false}");
    json_decref(j);
    /* A note for door staff and the attention flag: after revoked, only when set. */
    text_copy(c.ticket.note, sizeof c.ticket.note, "wheelchair, escort to table 4");
    c.ticket.attention = true;
    j = proto_change_encode(&c);
    assert_json(j, "{'seq':42,'type':'ticket','code':'GALA-0001',"
                   "'name':'Ada \\'Countess\\' Lovelace','class':'','seat':null,'revoked':false,"
                   "'note':'wheelchair, escort to table 4','attention':true}");
    json_decref(j);
}

static void alert_encode_exact(void **state)
{
    (void)state;
    alert a;
    memset(&a, 0, sizeof a);
    a.kind = ALERT_DUPLICATE_CHECKIN;
    text_copy(a.ticket, sizeof a.ticket, "GALA-0001");
    text_copy(a.device, sizeof a.device, "door-2");
    text_copy(a.other_device, sizeof a.other_device, "door-1");
    a.at = AT;
    a.other_at = 0;
    json_t *j = proto_alert_encode(&a);
    assert_json(j, "{'kind':'duplicate_checkin','ticket':'GALA-0001','device':'door-2',"
                   "'other_device':'door-1','at':'" AT_TEXT "'}");
    json_decref(j);
}

static void error_body_exact(void **state)
{
    (void)state;
    char *body = proto_error_body("INVAL", "ops[1].seat: expected a string, got an integer");
    assert_string_equal(body,
                        "{\"error\":\"INVAL\",\"message\":\"ops[1].seat: expected a string, got "
                        "an integer\"}");
    free(body);
    body = proto_error_body("PARSE", "line 2: \"x\"\n\tend");
    assert_string_equal(body, "{\"error\":\"PARSE\",\"message\":\"line 2: \\\"x\\\"\\n\\tend\"}");
    free(body);
    body = proto_error_body("IO", NULL);
    assert_string_equal(body, "{\"error\":\"IO\",\"message\":\"\"}");
    free(body);
    /* A stray non-UTF-8 byte must not lose the whole message. */
    body = proto_error_body("INVAL", "seat \xff\xfe bad, caf\xc3\xa9");
    assert_string_equal(body, "{\"error\":\"INVAL\",\"message\":\"seat ?? bad, caf??\"}");
    free(body);
}

static void standby_body_exact(void **state)
{
    (void)state;
    char *body = proto_standby_body("a standby", "http://a:8080");
    assert_string_equal(body, "{\"error\":\"standby\",\"message\":\"a standby\",\"active\":"
                              "\"http://a:8080\"}");
    char active[32] = "";
    assert_int_equal(proto_standby_decode(body, strlen(body), active, sizeof active), USHER_OK);
    assert_string_equal(active, "http://a:8080");
    char tiny[8] = "kept";
    assert_int_equal(proto_standby_decode(body, strlen(body), tiny, sizeof tiny), USHER_PARSE);
    assert_string_equal(tiny, "kept");
    free(body);
    body = proto_standby_body("none known", "");
    assert_string_equal(body, "{\"error\":\"standby\",\"message\":\"none known\"}");
    assert_int_equal(proto_standby_decode(body, strlen(body), active, sizeof active),
                     USHER_NOTFOUND);
    free(body);
    const char *other = "{\"error\":\"unavailable\",\"message\":\"m\",\"active\":\"http://a:1\"}";
    assert_int_equal(proto_standby_decode(other, strlen(other), active, sizeof active),
                     USHER_PARSE);
    assert_int_equal(proto_standby_decode("<html>", 6, active, sizeof active), USHER_PARSE);
}

/* ---- round trips of hand-picked values ---- */

static void op_round_trips_every_kind(void **state)
{
    (void)state;
    for (op_kind k = OP_HOLD; k <= OP_UNLEASE; k++) {
        usher_op op = sample_op(k);
        op_round_trip(&op);
    }
    usher_op op = sample_op(OP_ASSIGN);
    text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat, "A-12");
    op.expect_seat_free = false;
    text_copy(op.party, sizeof op.party, ID2);
    op.device[0] = '\0';
    op_round_trip(&op);
    op = sample_op(OP_HOLD);
    op.ttl_ms = 3600000;
    op.at = MAX_MS;
    op_round_trip(&op);
    op = sample_op(OP_UNASSIGN);
    op.seat[0] = '\0';
    op.at = 1;
    op_round_trip(&op);
    op = sample_op(OP_LEASE);
    op.ttl_ms = USHER_MAX_LEASE_TTL_MS;
    op_round_trip(&op);
}

static void verdict_round_trips(void **state)
{
    (void)state;
    verdict v;
    memset(&v, 0, sizeof v);
    text_copy(v.op_id, sizeof v.op_id, ID1);
    v.status = VERDICT_ACCEPTED;
    verdict_round_trip(&v);
    text_copy(v.ticket_seat, sizeof v.ticket_seat, "T07-03");
    text_copy(v.seat_ticket, sizeof v.seat_ticket, "GALA-0001");
    verdict_round_trip(&v);

    v.status = VERDICT_REJECTED;
    v.reason = REASON_SEAT_TAKEN;
    text_copy(v.reseat, sizeof v.reseat, "T07-04");
    verdict_round_trip(&v);

    v.status = VERDICT_DUPLICATE;
    v.first = VERDICT_REJECTED;
    verdict_round_trip(&v);
    v.first = VERDICT_ACCEPTED;
    verdict_round_trip(&v);

    memset(&v, 0, sizeof v);
    text_copy(v.op_id, sizeof v.op_id, ID2);
    v.status = VERDICT_ACCEPTED;
    v.reason = REASON_DUPLICATE_CHECKIN;
    v.checked_in_at = AT;
    text_copy(v.checkin_device, sizeof v.checkin_device, "door-1");
    verdict_round_trip(&v);
    for (verdict_reason r = REASON_SEAT_TAKEN; r <= REASON_SEAT_LEASED; r++) {
        v.reason = r;
        verdict_round_trip(&v);
    }
}

static void change_round_trips(void **state)
{
    (void)state;
    change c;
    memset(&c, 0, sizeof c);
    c.seq = 1;
    c.type = CHANGE_SEAT;
    text_copy(c.seat_id, sizeof c.seat_id, "T07-03");
    change_round_trip(&c); /* free */
    text_copy(c.seat.hold_device, sizeof c.seat.hold_device, "kiosk-2");
    c.seat.hold_until = AT + 120000;
    change_round_trip(&c); /* held */
    text_copy(c.seat.lease_device, sizeof c.seat.lease_device, "kiosk-2");
    c.seat.lease_until = AT + 1800000;
    change_round_trip(&c); /* leased and held by the lessee */
    memset(&c.seat, 0, sizeof c.seat);
    text_copy(c.seat.lease_device, sizeof c.seat.lease_device, "kiosk-3");
    c.seat.lease_until = MAX_MS;
    change_round_trip(&c); /* leased */
    memset(&c.seat, 0, sizeof c.seat);
    text_copy(c.seat.ticket, sizeof c.seat.ticket, "GALA-0001");
    c.seq = INT64_MAX;
    change_round_trip(&c); /* taken */
    memset(&c.seat, 0, sizeof c.seat);
    c.seat.blocked = true;
    c.seq = 0;
    change_round_trip(&c); /* blocked */

    memset(&c, 0, sizeof c);
    c.seq = 7;
    c.type = CHANGE_TICKET;
    text_copy(c.ticket.code, sizeof c.ticket.code, "GALA-0001");
    text_copy(c.ticket.name, sizeof c.ticket.name, "Zo\xc3\xab O'Brien \xe2\x80\x94 \\ \"x\"");
    text_copy(c.ticket.klass, sizeof c.ticket.klass, "VIP");
    change_round_trip(&c); /* unseated */
    text_copy(c.ticket.seat, sizeof c.ticket.seat, "T07-03");
    text_copy(c.ticket.party, sizeof c.ticket.party, ID2);
    change_round_trip(&c); /* seated */
    c.ticket.checked_in_at = AT;
    text_copy(c.ticket.checkin_device, sizeof c.ticket.checkin_device, "door-1");
    change_round_trip(&c); /* checked in */
    c.ticket.checked_out_at = AT + 60000;
    text_copy(c.ticket.checkout_device, sizeof c.ticket.checkout_device, "door-2");
    change_round_trip(&c); /* checked out */
    c.ticket.checked_out_at = 0;
    c.ticket.checkout_device[0] = '\0';
    c.ticket.revoked = true;
    change_round_trip(&c); /* revoked */
    c.ticket.revoked = false;
    text_copy(c.ticket.note, sizeof c.ticket.note,
              "Rollstuhl \xe2\x80\x94 Tisch 4, \"Begleitung\"");
    change_round_trip(&c); /* a note */
    c.ticket.attention = true;
    change_round_trip(&c); /* ...and special attention */
    memset(c.ticket.note, 'n', USHER_TICKET_NOTE_SIZE - 1);
    c.ticket.note[USHER_TICKET_NOTE_SIZE - 1] = '\0';
    change_round_trip(&c); /* the longest note */
}

static void alert_round_trips_every_kind(void **state)
{
    (void)state;
    for (alert_kind k = ALERT_RESEAT; k <= ALERT_REVOKED_SCAN; k++) {
        alert a;
        memset(&a, 0, sizeof a);
        a.kind = k;
        alert_round_trip(&a);
        text_copy(a.ticket, sizeof a.ticket, "GALA-0001");
        text_copy(a.seat, sizeof a.seat, "T07-03");
        text_copy(a.other_seat, sizeof a.other_seat, "T07-04");
        text_copy(a.device, sizeof a.device, "door-2");
        text_copy(a.other_device, sizeof a.other_device, "door-1");
        a.at = AT;
        a.other_at = AT - 60000;
        text_copy(a.op_id, sizeof a.op_id, ID1);
        alert_round_trip(&a);
    }
}

static void sample_request(sync_request *r, usher_op ops[3])
{
    memset(r, 0, sizeof *r);
    text_copy(r->device, sizeof r->device, "kiosk-1");
    r->cursor = 1234;
    ops[0] = sample_op(OP_HOLD);
    ops[1] = sample_op(OP_ASSIGN);
    text_copy(ops[1].id, sizeof ops[1].id, ID2);
    ops[1].expect_seat_free = false;
    ops[2] = sample_op(OP_CHECKIN);
    r->ops = ops;
    r->nops = 3;
}

static void request_round_trips(void **state)
{
    (void)state;
    usher_op ops[3];
    sync_request r;
    sample_request(&r, ops);
    char *text = proto_sync_request_encode(&r);
    assert_non_null(text);
    sync_request back;
    usher_errmsg em = {{0}};
    if (proto_sync_request_decode(text, strlen(text), &back, &em) != USHER_OK)
        fail_msg("request does not round-trip: %s", em.text);
    assert_string_equal(back.device, "kiosk-1");
    assert_int_equal(back.cursor, 1234);
    assert_int_equal(back.nops, 3);
    for (size_t i = 0; i < 3; i++)
        assert_ops_equal(&ops[i], &back.ops[i]);
    /* The encoding is canonical: encoding the decoded value gives the same text. */
    char *again = proto_sync_request_encode(&back);
    assert_string_equal(again, text);
    free(again);
    free(text);
    proto_sync_request_release(&back);
    assert_null(back.ops);
    assert_int_equal(back.nops, 0);
    proto_sync_request_release(&back); /* twice is harmless */
    proto_sync_request_release(NULL);
}

static void expect_request_refused(const char *sq, usher_err want, const char *needle);

static void request_printer_round_trips(void **state)
{
    (void)state;
    sync_request r;
    memset(&r, 0, sizeof r);
    r.has_printer = true;
    r.printer.state = PRINTER_OFFLINE;
    text_copy(r.printer.name, sizeof r.printer.name, "door-printer");
    r.printer.waiting = 3;
    r.printer.printed = 40;
    text_copy(r.printer.problem, sizeof r.printer.problem, "offline (offline-report)");
    char *text = proto_sync_request_encode(&r);
    assert_string_equal(text, "{\"cursor\":0,\"printer\":{\"state\":\"offline\",\"name\":"
                              "\"door-printer\",\"waiting\":3,\"printed\":40,\"problem\":"
                              "\"offline (offline-report)\"},\"ops\":[]}");
    sync_request back;
    assert_int_equal(proto_sync_request_decode(text, strlen(text), &back, NULL), USHER_OK);
    assert_true(back.has_printer);
    assert_int_equal(back.printer.state, PRINTER_OFFLINE);
    assert_string_equal(back.printer.name, "door-printer");
    assert_int_equal(back.printer.waiting, 3);
    assert_int_equal(back.printer.printed, 40);
    assert_string_equal(back.printer.problem, "offline (offline-report)");
    proto_sync_request_release(&back);
    free(text);
    /* absent or null: no printer */
    const char *none = "{\"cursor\":0,\"printer\":null,\"ops\":[]}";
    assert_int_equal(proto_sync_request_decode(none, strlen(none), &back, NULL), USHER_OK);
    assert_false(back.has_printer);
    proto_sync_request_release(&back);
}

static void request_refuses_garbage_printer(void **state)
{
    (void)state;
    expect_request_refused("{'cursor':0,'printer':'offline','ops':[]}", USHER_INVAL,
                           "printer: expected an object, got a string");
    expect_request_refused("{'cursor':0,'printer':{'name':'p'},'ops':[]}", USHER_INVAL,
                           "printer.state: missing");
    expect_request_refused("{'cursor':0,'printer':{'state':'on fire','name':'p'},'ops':[]}",
                           USHER_INVAL, "printer.state: unknown value \"on fire\"");
    expect_request_refused("{'cursor':0,'printer':{'state':'ok'},'ops':[]}", USHER_INVAL,
                           "printer.name: missing");
    expect_request_refused("{'cursor':0,'printer':{'state':'ok','name':'a b'},'ops':[]}",
                           USHER_INVAL, "printer.name: \"a b\" is not a CUPS queue name");
    expect_request_refused("{'cursor':0,'printer':{'state':'ok','name':'p','waiting':-1},'ops':[]}",
                           USHER_INVAL, "printer.waiting: must be 0 or more");
    expect_request_refused("{'cursor':0,'printer':{'state':'ok','name':'p','waiting':'3'},"
                           "'ops':[]}",
                           USHER_INVAL, "printer.waiting: expected an integer");
    expect_request_refused("{'cursor':0,'printer':{'state':'ok','name':'p','printed':"
                           "1000000000},'ops':[]}",
                           USHER_INVAL, "printer.printed: at most 100000000");
    expect_request_refused("{'cursor':0,'printer':{'state':'ok','name':'p','problem':'a\\u0007'},"
                           "'ops':[]}",
                           USHER_INVAL, "printer.problem");
    expect_request_refused("{'cursor':0,'printer':{'state':'ok','name':'p','problem':7},'ops':[]}",
                           USHER_INVAL, "printer.problem: expected a string");
}

static void request_empty_batch(void **state)
{
    (void)state;
    sync_request r;
    memset(&r, 0, sizeof r);
    char *text = proto_sync_request_encode(&r);
    assert_string_equal(text, "{\"cursor\":0,\"ops\":[]}");
    sync_request back;
    assert_int_equal(proto_sync_request_decode(text, strlen(text), &back, NULL), USHER_OK);
    assert_string_equal(back.device, "");
    assert_int_equal(back.cursor, 0);
    assert_int_equal(back.nops, 0);
    proto_sync_request_release(&back);
    free(text);
}

static void response_round_trips(void **state)
{
    (void)state;
    verdict vs[2];
    memset(vs, 0, sizeof vs);
    text_copy(vs[0].op_id, sizeof vs[0].op_id, ID1);
    vs[0].status = VERDICT_ACCEPTED;
    text_copy(vs[1].op_id, sizeof vs[1].op_id, ID2);
    vs[1].status = VERDICT_REJECTED;
    vs[1].reason = REASON_SEAT_TAKEN;
    text_copy(vs[1].reseat, sizeof vs[1].reseat, "T07-05");
    change cs[2];
    memset(cs, 0, sizeof cs);
    cs[0].seq = 99;
    cs[0].type = CHANGE_SEAT;
    text_copy(cs[0].seat_id, sizeof cs[0].seat_id, "T07-05");
    text_copy(cs[0].seat.ticket, sizeof cs[0].seat.ticket, "GALA-0001");
    cs[1].seq = 100;
    cs[1].type = CHANGE_TICKET;
    text_copy(cs[1].ticket.code, sizeof cs[1].ticket.code, "GALA-0001");
    text_copy(cs[1].ticket.name, sizeof cs[1].ticket.name, "Ada Lovelace");
    text_copy(cs[1].ticket.seat, sizeof cs[1].ticket.seat, "T07-05");
    sync_response r = {vs,
                       2,
                       cs,
                       2,
                       100,
                       true,
                       true,
                       {TICKETCODE_WEAK, false, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA",
                        "Europe/Berlin", "de", true},
                       0,
                       "L00ff",
                       false,
                       NULL,
                       NULL};
    char *text = proto_sync_response_encode(&r);
    assert_non_null(text);
    sync_response back;
    usher_errmsg em = {{0}};
    if (proto_sync_response_decode(text, strlen(text), &back, &em) != USHER_OK)
        fail_msg("response does not round-trip: %s", em.text);
    assert_int_equal(back.cursor, 100);
    assert_true(back.more);
    assert_int_equal(back.nverdicts, 2);
    assert_int_equal(back.nchanges, 2);
    assert_true(back.has_event);
    assert_true(settings_same(&back.event, &r.event));
    assert_string_equal(back.event.lang, "de");
    assert_true(back.event.reentry_refused);
    assert_non_null(strstr(text, "\"reentry\":\"refused\""));
    assert_string_equal(back.log, "L00ff");
    for (size_t i = 0; i < 2; i++) {
        assert_verdicts_equal(&vs[i], &back.verdicts[i]);
        assert_changes_equal(&cs[i], &back.changes[i]);
    }
    char *again = proto_sync_response_encode(&back);
    assert_string_equal(again, text);
    free(again);
    free(text);
    proto_sync_response_release(&back);
    assert_null(back.verdicts);
    assert_null(back.changes);
    proto_sync_response_release(NULL);

    sync_response empty = {NULL, 0, NULL, 0, 0, false, false, {0}, 0, "", false, NULL, NULL};
    text = proto_sync_response_encode(&empty);
    assert_string_equal(text, "{\"cursor\":0,\"more\":false,\"verdicts\":[],\"changes\":[]}");
    free(text);
}

/* ---- what decoding accepts beyond the canonical form ---- */

static void op_decode_normalises(void **state)
{
    (void)state;
    json_t *j = js("{'kind':'assign','id':'" ID1 "','ticket':'gala-0001','seat':'T07-03',"
                   "'at':'2026-11-22t08:32:35.123456+01:00','expect_ticket_seat':null,"
                   "'future_field':[1,2,3]}");
    usher_op op;
    usher_errmsg em = {{0}};
    assert_int_equal(proto_op_decode(j, "ops[0]", &op, &em), USHER_OK);
    assert_string_equal(op.ticket, "GALA-0001"); /* upper-cased */
    assert_int_equal(op.at, AT);
    assert_string_equal(op.expect_ticket_seat, "");
    assert_true(op.expect_seat_free); /* absent = true */
    assert_string_equal(op.device, "");
    assert_int_equal(op.ttl_ms, 0);
    json_decref(j);

    /* Empty optional strings are the same as absent ones. */
    j = js("{'kind':'checkin','id':'" ID1 "','ticket':'G-1','seat':'','at':'" AT_TEXT "'}");
    assert_int_equal(proto_op_decode(j, NULL, &op, &em), USHER_OK);
    assert_string_equal(op.seat, "");
    json_decref(j);
}

static void request_body_need_not_be_terminated(void **state)
{
    (void)state;
    char *body = dq("{'cursor':5,'ops':[]}garbage after the body");
    size_t len = strlen("{'cursor':5,'ops':[]}");
    sync_request r;
    assert_int_equal(proto_sync_request_decode(body, len, &r, NULL), USHER_OK);
    assert_int_equal(r.cursor, 5);
    proto_sync_request_release(&r);
    free(body);
}

/* ---- refusals of single values ---- */

typedef struct refusal {
    const char *key;   /* field to replace or remove */
    const char *value; /* single-quoted JSON, or NULL to remove the key */
    const char *needle;
} refusal;

static const char assign_base[] = "{'kind':'assign','id':'" ID1 "','device':'kiosk-1',"
                                  "'ticket':'GALA-0001','seat':'T07-03','at':'" AT_TEXT "',"
                                  "'expect_ticket_seat':'T01-01','expect_seat_free':false,"
                                  "'party':'p-1'}";
static const char hold_base[] =
    "{'kind':'hold','id':'" ID1 "','seat':'T07-03','at':'" AT_TEXT "','ttl_ms':1000}";

typedef usher_err (*decoder)(const json_t *j, const char *where, void *out, usher_errmsg *em);

static usher_err decode_op(const json_t *j, const char *where, void *out, usher_errmsg *em)
{
    return proto_op_decode(j, where, out, em);
}

static usher_err decode_verdict(const json_t *j, const char *where, void *out, usher_errmsg *em)
{
    return proto_verdict_decode(j, where, out, em);
}

static usher_err decode_change(const json_t *j, const char *where, void *out, usher_errmsg *em)
{
    return proto_change_decode(j, where, out, em);
}

static usher_err decode_alert(const json_t *j, const char *where, void *out, usher_errmsg *em)
{
    return proto_alert_decode(j, where, out, em);
}

/* Applies each refusal to base and checks the decoder refuses it with
 * USHER_INVAL, a message containing needle, and *out untouched. */
static void check_refusals(const char *base, const refusal *rs, size_t n, const char *where,
                           decoder decode, size_t out_size)
{
    json_t *ok = js(base);
    union {
        usher_op op;
        verdict v;
        change c;
        alert a;
    } out_storage;
    unsigned char *out = (unsigned char *)&out_storage;
    assert_true(out_size <= sizeof out_storage);
    usher_errmsg em = {{0}};
    if (decode(ok, where, out, &em) != USHER_OK)
        fail_msg("base value should decode: %s", em.text);
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_deep_copy(ok);
        if (rs[i].value)
            json_object_set_new(j, rs[i].key, js(rs[i].value));
        else
            json_object_del(j, rs[i].key);
        memset(out, 0xa5, sizeof out_storage);
        memset(&em, 0, sizeof em);
        usher_err err = decode(j, where, out, &em);
        if (err != USHER_INVAL)
            fail_msg("case %zu (%s = %s): got %s, want INVAL", i, rs[i].key,
                     rs[i].value ? rs[i].value : "(removed)", usher_errname(err));
        assert_contains(em.text, rs[i].needle);
        for (size_t b = 0; b < out_size; b++)
            if (out[b] != 0xa5)
                fail_msg("case %zu wrote into *out on failure", i);
        json_decref(j);
    }
    json_decref(ok);
}

/* One refusal: set key to value (NULL: remove the key), expect needle in the message. */
#define R(key, value, needle)                                                                      \
    {                                                                                              \
        key, value, needle                                                                         \
    }

static void op_refuses_wrong_types(void **state)
{
    (void)state;
    static const refusal rs[] = {
        R("kind", "3", "ops[1].kind: expected a string, got an integer"),
        R("id", "5", "ops[1].id: expected a string, got an integer"),
        R("device", "true", "ops[1].device: expected a string, got a boolean"),
        R("ticket", "[]", "ops[1].ticket: expected a string, got an array"),
        R("seat", "7", "ops[1].seat: expected a string, got an integer"),
        R("seat", "null", "ops[1].seat: expected a string, got null"),
        R("seat", "{}", "ops[1].seat: expected a string, got an object"),
        R("at", "1795332755123", "ops[1].at: expected an RFC 3339 time string, got an integer"),
        R("expect_ticket_seat", "5", "ops[1].expect_ticket_seat: expected a string or null"),
        R("expect_seat_free", "'yes'",
          "ops[1].expect_seat_free: expected true or false, got a string"),
        R("expect_seat_free", "0", "ops[1].expect_seat_free: expected true or false"),
        R("party", "1.5", "ops[1].party: expected a string, got a number with a fraction"),
    };
    check_refusals(assign_base, rs, sizeof rs / sizeof rs[0], "ops[1]", decode_op,
                   sizeof(usher_op));
    static const refusal ttl[] = {
        R("ttl_ms", "'120000'", "ops[1].ttl_ms: expected an integer, got a string"),
        R("ttl_ms", "1000.0", "ops[1].ttl_ms: expected an integer, got a number with a fraction"),
        R("ttl_ms", "1e3", "ops[1].ttl_ms: expected an integer"),
        R("ttl_ms", "-1", "ops[1].ttl_ms: must be 0 or more"),
        R("ttl_ms", "7200000", "ops[1]: ttl_ms"), /* op_validate's range */
    };
    check_refusals(hold_base, ttl, sizeof ttl / sizeof ttl[0], "ops[1]", decode_op,
                   sizeof(usher_op));
}

static void op_refuses_missing_and_unknown(void **state)
{
    (void)state;
    static const refusal rs[] = {
        R("kind", NULL, "ops[1].kind: missing"),
        R("kind", "'teleport'", "ops[1].kind: unknown value \"teleport\""),
        R("kind", "'ASSIGN'", "ops[1].kind: unknown value"),
        R("id", NULL, "ops[1].id: missing"),
        R("at", NULL, "ops[1].at: missing"),
        /* Required by the kind: op_validate's message, prefixed. */
        R("ticket", NULL, "ops[1]: ticket: required for assign"),
        R("seat", NULL, "ops[1]: seat: required for assign"),
        R("kind", "'checkin'", "ops[1]: seat: not taken by checkin"),
    };
    check_refusals(assign_base, rs, sizeof rs / sizeof rs[0], "ops[1]", decode_op,
                   sizeof(usher_op));
}

static void op_refuses_bad_values(void **state)
{
    (void)state;
    char *seat17 = long_value(17, 'S'), *code33 = long_value(33, 'C');
    char *dev65 = long_value(65, 'd'), *party37 = long_value(37, 'p');
    char *id37 = long_value(37, 'a');
    const refusal rs[] = {
        R("id", "'not-a-uuid'", "ops[1].id: \"not-a-uuid\" is not a UUID"),
        R("id", "'0f8fad5b-d9cb-469f-a165-70867728950'", "ops[1].id: "),
        R("id", "'0f8fad5b-d9cb-469f-a165-70867728950g'", "is not a UUID"),
        R("id", id37, "ops[1].id: too long (37 bytes; at most 36)"),
        R("seat", seat17, "ops[1].seat: too long (17 bytes; at most 16)"),
        R("seat", "'T07/03'", "ops[1].seat: \"T07/03\" is not an id"),
        R("ticket", code33, "ops[1].ticket: too long (33 bytes; at most 32)"),
        R("ticket", "'GALA 0001'", "ops[1].ticket: \"GALA 0001\" is not a ticket code"),
        R("ticket", "'GALA_0001'", "is not a ticket code"),
        R("device", dev65, "ops[1].device: too long (65 bytes; at most 64)"),
        R("device", "'kiosk 1'", "ops[1].device: \"kiosk 1\" is not an id"),
        R("party", party37, "ops[1].party: too long (37 bytes; at most 36)"),
        R("expect_ticket_seat", seat17, "ops[1].expect_ticket_seat: too long"),
        R("at", "'2026-02-30T07:32:35Z'", "ops[1].at: \"2026-02-30T07:32:35Z\" is not an RFC 3339"),
        R("at", "'2026-11-22T07:32:35'", "ops[1].at: "),
        R("at", "'2026-11-22T24:00:00Z'", "ops[1].at: "),
        R("at", "'1969-12-31T23:59:59Z'", "ops[1].at: "),
        R("at", "'2026-11-22T07:32:35Z junk'", "ops[1].at: "),
        R("at", "'1970-01-01T00:00:00Z'", "ops[1]: at:"), /* op_validate: at must be > 0 */
    };
    check_refusals(assign_base, rs, sizeof rs / sizeof rs[0], "ops[1]", decode_op,
                   sizeof(usher_op));
    free(seat17);
    free(code33);
    free(dev65);
    free(party37);
    free(id37);
}

static void op_refuses_non_objects_and_nul(void **state)
{
    (void)state;
    usher_op out;
    usher_errmsg em = {{0}};
    json_t *j = js("[1]");
    assert_int_equal(proto_op_decode(j, "ops[4]", &out, &em), USHER_INVAL);
    assert_string_equal(em.text, "ops[4]: expected an object, got an array");
    json_decref(j);
    j = json_string("assign");
    assert_int_equal(proto_op_decode(j, NULL, &out, &em), USHER_INVAL);
    assert_string_equal(em.text, "op: expected an object, got a string");
    json_decref(j);

    /* Only a caller-built value can hold a NUL; the text parser refuses \u0000. */
    j = js(assign_base);
    json_object_set_new(j, "seat", json_stringn("T07\0-03", 7));
    assert_int_equal(proto_op_decode(j, "ops[0]", &out, &em), USHER_INVAL);
    assert_contains(em.text, "ops[0].seat: contains a NUL");
    json_decref(j);

    /* No where: the message starts with the field. */
    j = js(assign_base);
    json_object_set_new(j, "seat", json_integer(1));
    assert_int_equal(proto_op_decode(j, NULL, &out, &em), USHER_INVAL);
    assert_string_equal(em.text, "seat: expected a string, got an integer");
    json_decref(j);
    assert_int_equal(proto_op_decode(NULL, "ops[0]", &out, NULL), USHER_INVAL);
}

static const char verdict_base[] =
    "{'status':'rejected','reason':'seat_taken','id':'" ID1 "','reseat':'T07-04',"
    "'ticket_seat':'T07-04','seat_ticket':'GALA-0002','checked_in_at':'" AT_TEXT "',"
    "'checkin_device':'door-1'}";

static void verdict_refusals(void **state)
{
    (void)state;
    char *seat17 = long_value(17, 'S');
    const refusal rs[] = {
        R("status", NULL, "verdicts[2].status: missing"),
        R("status", "1", "verdicts[2].status: expected a string, got an integer"),
        R("status", "'maybe'", "verdicts[2].status: unknown value \"maybe\""),
        R("status", "'duplicate'", "verdicts[2].first: missing"),
        R("first", "'accepted'", "verdicts[2].first: only a duplicate verdict has one"),
        R("reason", "'bad_luck'", "verdicts[2].reason: unknown value \"bad_luck\""),
        R("reason", "2", "verdicts[2].reason: expected a string"),
        R("id", NULL, "verdicts[2].id: missing"),
        R("id", "'x'", "verdicts[2].id: \"x\" is not a UUID"),
        R("reseat", seat17, "verdicts[2].reseat: too long (17 bytes; at most 16)"),
        R("ticket_seat", "5", "verdicts[2].ticket_seat: expected a string"),
        R("seat_ticket", "'GALA 2'", "verdicts[2].seat_ticket: \"GALA 2\" is not a ticket code"),
        R("checked_in_at", "'yesterday'", "verdicts[2].checked_in_at: \"yesterday\" is not"),
        R("checked_in_at", "0", "verdicts[2].checked_in_at: expected an RFC 3339 time string"),
        R("checkin_device", "'door 1'", "verdicts[2].checkin_device: \"door 1\" is not an id"),
    };
    check_refusals(verdict_base, rs, sizeof rs / sizeof rs[0], "verdicts[2]", decode_verdict,
                   sizeof(verdict));
    static const char dup_base[] = "{'status':'duplicate','first':'accepted','id':'" ID1 "'}";
    static const refusal dup[] = {
        R("first", "'duplicate'", "verdicts[2].first: unknown value \"duplicate\""),
        R("first", "'nope'", "verdicts[2].first: unknown value"),
        R("first", "true", "verdicts[2].first: expected a string, got a boolean"),
    };
    check_refusals(dup_base, dup, sizeof dup / sizeof dup[0], "verdicts[2]", decode_verdict,
                   sizeof(verdict));
    free(seat17);
}

static const char seat_change_base[] = "{'seq':12,'type':'seat','seat':'T07-03',"
                                       "'ticket':'GALA-0001','blocked':false,"
                                       "'hold_device':'kiosk-1','hold_until':'" AT_TEXT "'}";
static const char ticket_change_base[] =
    "{'seq':13,'type':'ticket','code':'GALA-0001','name':'Ada','class':'VIP','seat':'T07-03',"
    "'party':'p-1','checked_in_at':'" AT_TEXT "','checkin_device':'door-1','revoked':false}";

static void change_refusals(void **state)
{
    (void)state;
    const refusal seat[] = {
        R("seq", NULL, "changes[0].seq: missing"),
        R("seq", "'12'", "changes[0].seq: expected an integer, got a string"),
        R("seq", "12.0", "changes[0].seq: expected an integer, got a number with a fraction"),
        R("seq", "-1", "changes[0].seq: must be 0 or more"),
        R("type", NULL, "changes[0].type: missing"),
        R("type", "'table'", "changes[0].type: unknown value \"table\""),
        R("type", "2", "changes[0].type: expected a string"),
        R("seat", NULL, "changes[0].seat: missing"),
        R("seat", "''", "changes[0].seat: must not be empty"),
        R("seat", "null", "changes[0].seat: expected a string, got null"),
        R("ticket", NULL, "changes[0].ticket: missing"),
        R("ticket", "5", "changes[0].ticket: expected a string or null, got an integer"),
        R("ticket", "'G A'", "changes[0].ticket: \"G A\" is not a ticket code"),
        R("blocked", NULL, "changes[0].blocked: missing"),
        R("blocked", "'no'", "changes[0].blocked: expected true or false, got a string"),
        R("hold_device", "'a b'", "changes[0].hold_device: \"a b\" is not an id"),
        R("hold_until", "'2026-13-01T00:00:00Z'", "changes[0].hold_until: "),
        R("lease_device", "'a b'", "changes[0].lease_device: \"a b\" is not an id"),
        R("lease_device", "7", "changes[0].lease_device: expected a string, got an integer"),
        R("lease_until", "'tomorrow'", "changes[0].lease_until: \"tomorrow\" is not an RFC 3339"),
        R("lease_until", "5", "changes[0].lease_until: expected an RFC 3339 time string"),
    };
    check_refusals(seat_change_base, seat, sizeof seat / sizeof seat[0], "changes[0]",
                   decode_change, sizeof(change));

    char *name257 = long_value(257, 'n'), *class17 = long_value(17, 'c'),
         *note201 = long_value(201, 'o');
    const refusal ticket[] = {
        R("code", NULL, "changes[0].code: missing"),
        R("code", "''", "changes[0].code: must not be empty"),
        R("code", "null", "changes[0].code: expected a string, got null"),
        R("name", NULL, "changes[0].name: missing"),
        R("name", "5", "changes[0].name: expected a string, got an integer"),
        R("name", name257, "changes[0].name: too long (257 bytes; at most 256)"),
        R("name", "'Ada\\nLovelace'", "changes[0].name: contains a control character"),
        R("class", NULL, "changes[0].class: missing"),
        R("class", class17, "changes[0].class: too long (17 bytes; at most 16)"),
        R("seat", NULL, "changes[0].seat: missing"),
        R("seat", "false", "changes[0].seat: expected a string or null, got a boolean"),
        R("party", "'p 1'", "changes[0].party: \"p 1\" is not an id"),
        R("checked_in_at", "'2026-11-22'", "changes[0].checked_in_at: "),
        R("checkin_device", "[]", "changes[0].checkin_device: expected a string"),
        R("revoked", NULL, "changes[0].revoked: missing"),
        R("revoked", "null", "changes[0].revoked: expected true or false, got null"),
        R("note", note201, "changes[0].note: too long (201 bytes; at most 200)"),
        R("note", "'ramp\\tplease'", "changes[0].note: contains a control character"),
        R("note", "7", "changes[0].note: expected a string, got an integer"),
        R("attention", "'yes'", "changes[0].attention: expected true or false, got a string"),
    };
    check_refusals(ticket_change_base, ticket, sizeof ticket / sizeof ticket[0], "changes[0]",
                   decode_change, sizeof(change));
    free(name257);
    free(class17);
    free(note201);
}

static void alert_refusals(void **state)
{
    (void)state;
    static const char base[] =
        "{'kind':'reseat','ticket':'GALA-0001','seat':'T07-03','other_seat':'T07-04',"
        "'device':'kiosk-1','other_device':'kiosk-2','at':'" AT_TEXT "','other_at':'" AT_TEXT
        "','op_id':'" ID1 "'}";
    static const refusal rs[] = {
        R("kind", NULL, "alerts[3].kind: missing"),
        R("kind", "'fire'", "alerts[3].kind: unknown value \"fire\""),
        R("ticket", "'bad code!'", "alerts[3].ticket: "),
        R("seat", "1", "alerts[3].seat: expected a string"),
        R("other_seat", "'x y'", "alerts[3].other_seat: "),
        R("device", "'a/b'", "alerts[3].device: "),
        R("other_device", "{}", "alerts[3].other_device: expected a string, got an object"),
        R("at", "'soon'", "alerts[3].at: \"soon\" is not an RFC 3339"),
        R("other_at", "12", "alerts[3].other_at: expected an RFC 3339 time string"),
        R("op_id", "'123'", "alerts[3].op_id: \"123\" is not a UUID"),
    };
    check_refusals(base, rs, sizeof rs / sizeof rs[0], "alerts[3]", decode_alert, sizeof(alert));
}

/* ---- refusals of whole bodies ---- */

static usher_err request_from(const char *sq, sync_request *out, usher_errmsg *em)
{
    char *body = dq(sq);
    usher_err err = proto_sync_request_decode(body, strlen(body), out, em);
    free(body);
    return err;
}

static void expect_request_refused(const char *sq, usher_err want, const char *needle)
{
    sync_request r;
    memset(&r, 0xa5, sizeof r);
    usher_errmsg em = {{0}};
    usher_err err = request_from(sq, &r, &em);
    if (err != want)
        fail_msg("%s: got %s (%s), want %s", sq, usher_errname(err), em.text, usher_errname(want));
    assert_contains(em.text, needle);
    unsigned char *b = (unsigned char *)&r;
    for (size_t i = 0; i < sizeof r; i++)
        assert_int_equal(b[i], 0xa5);
}

static void request_refuses_bad_content(void **state)
{
    (void)state;
    expect_request_refused("{'cursor':-1,'ops':[]}", USHER_INVAL, "cursor: must be 0 or more");
    expect_request_refused("{'cursor':1.5,'ops':[]}", USHER_INVAL,
                           "cursor: expected an integer, got a number with a fraction");
    expect_request_refused("{'cursor':'7','ops':[]}", USHER_INVAL,
                           "cursor: expected an integer, got a string");
    expect_request_refused("{'ops':[]}", USHER_INVAL, "cursor: missing");
    expect_request_refused("{'cursor':0}", USHER_INVAL, "ops: missing");
    expect_request_refused("{'cursor':0,'ops':{}}", USHER_INVAL,
                           "ops: expected an array, got an object");
    expect_request_refused("{'cursor':0,'device':'kiosk 1','ops':[]}", USHER_INVAL,
                           "device: \"kiosk 1\" is not an id");
    expect_request_refused("[]", USHER_INVAL, "expected a JSON object, got an array");
    expect_request_refused("{'cursor':0,'ops':[{'kind':'release','id':'" ID1
                           "','seat':'A-1','at':'" AT_TEXT "'},{'kind':'release','id':'" ID2
                           "','seat':12,'at':'" AT_TEXT "'}]}",
                           USHER_INVAL, "ops[1].seat: expected a string, got an integer");
    expect_request_refused("{'cursor':0,'ops':[{'kind':'release','id':'" ID1
                           "','seat':'A-1','at':'" AT_TEXT "'}, 5]}",
                           USHER_INVAL, "ops[1]: expected an object, got an integer");
}

static void request_refuses_duplicate_keys(void **state)
{
    (void)state;
    expect_request_refused("{'cursor':1,'cursor':2,'ops':[]}", USHER_INVAL, "duplicate");
    expect_request_refused("{'cursor':1,'ops':[{'kind':'hold','kind':'release'}]}", USHER_INVAL,
                           "line 1");
}

static void request_refuses_malformed_json(void **state)
{
    (void)state;
    expect_request_refused("{'cursor': 0,\n 'ops': [}", USHER_PARSE, "line 2, column ");
    expect_request_refused("{'cursor': 0, 'ops': []} trailing", USHER_PARSE, "line 1");
    expect_request_refused("{'cursor': 0, 'ops': [", USHER_PARSE, "line 1");
    expect_request_refused("cursor=0", USHER_PARSE, "line 1, column ");
    expect_request_refused("{'cursor': 0, 'ops': [], 'device': '\xff'}", USHER_PARSE, "line 1");
    expect_request_refused("", USHER_PARSE, "empty");
    /* Well-formed JSON that we still refuse: content, not syntax. */
    expect_request_refused("{'cursor': 99999999999999999999, 'ops': []}", USHER_INVAL, "line 1");
    expect_request_refused("{'cursor': 0, 'ops': [], 'device': 'a\\u0000b'}", USHER_INVAL,
                           "line 1");
}

/* A request body with n release ops. */
static char *batch_body(size_t n)
{
    size_t cap = 64 + n * 160;
    char *body = malloc(cap);
    assert_non_null(body);
    size_t len = (size_t)snprintf(body, cap, "{\"cursor\":0,\"ops\":[");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(body + len, cap - len,
                                "%s{\"kind\":\"release\",\"id\":\"%08zx-d9cb-469f-a165-"
                                "70867728950e\",\"seat\":\"T%zu\",\"at\":\"" AT_TEXT "\"}",
                                i ? "," : "", i, i);
    snprintf(body + len, cap - len, "]}");
    return body;
}

static void request_batch_limit(void **state)
{
    (void)state;
    char *body = batch_body(USHER_MAX_BATCH);
    sync_request r;
    usher_errmsg em = {{0}};
    if (proto_sync_request_decode(body, strlen(body), &r, &em) != USHER_OK)
        fail_msg("a full batch should decode: %s", em.text);
    assert_int_equal(r.nops, USHER_MAX_BATCH);
    assert_string_equal(r.ops[999].seat, "T999");
    proto_sync_request_release(&r);
    free(body);

    body = batch_body(USHER_MAX_BATCH + 1);
    memset(&r, 0xa5, sizeof r);
    assert_int_equal(proto_sync_request_decode(body, strlen(body), &r, &em), USHER_TOOBIG);
    assert_contains(em.text, "ops: 1001 entries; at most 1000");
    assert_int_equal(((unsigned char *)&r)[0], 0xa5);
    free(body);
}

static void request_body_size_limit(void **state)
{
    (void)state;
    /* Exactly PROTO_MAX_BODY bytes (padded with spaces) is accepted... */
    char *body = malloc(PROTO_MAX_BODY + 1);
    assert_non_null(body);
    memset(body, ' ', PROTO_MAX_BODY + 1);
    memcpy(body, "{\"cursor\":3,\"ops\":[]}", 21);
    sync_request r;
    usher_errmsg em = {{0}};
    assert_int_equal(proto_sync_request_decode(body, PROTO_MAX_BODY, &r, &em), USHER_OK);
    assert_int_equal(r.cursor, 3);
    proto_sync_request_release(&r);
    /* ...one byte more is not, before any parsing. */
    memset(&r, 0xa5, sizeof r);
    assert_int_equal(proto_sync_request_decode(body, PROTO_MAX_BODY + 1, &r, &em), USHER_TOOBIG);
    assert_contains(em.text, "4194305 bytes");
    assert_int_equal(((unsigned char *)&r)[0], 0xa5);
    sync_response resp;
    assert_int_equal(proto_sync_response_decode(body, PROTO_MAX_BODY + 1, &resp, &em),
                     USHER_TOOBIG);
    free(body);
}

static usher_err response_from(const char *sq, sync_response *out, usher_errmsg *em)
{
    char *body = dq(sq);
    usher_err err = proto_sync_response_decode(body, strlen(body), out, em);
    free(body);
    return err;
}

static void response_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        usher_err err;
        const char *needle;
    } cases[] = {
        {"{'cursor':1,'more':false,'verdicts':[],'changes':[]", USHER_PARSE, "line 1"},
        {"{'cursor':-5,'more':false,'verdicts':[],'changes':[]}", USHER_INVAL,
         "cursor: must be 0 or more"},
        {"{'cursor':1,'verdicts':[],'changes':[]}", USHER_INVAL, "more: missing"},
        {"{'cursor':1,'more':'no','verdicts':[],'changes':[]}", USHER_INVAL,
         "more: expected true or false"},
        {"{'cursor':1,'more':false,'changes':[]}", USHER_INVAL, "verdicts: missing"},
        {"{'cursor':1,'more':false,'verdicts':[],'changes':null}", USHER_INVAL,
         "changes: expected an array, got null"},
        {"{'cursor':1,'more':false,'verdicts':[{'status':'accepted','id':'" ID1
         "'},{'status':'fine','id':'" ID1 "'}],'changes':[]}",
         USHER_INVAL, "verdicts[1].status: unknown value \"fine\""},
        {"{'cursor':1,'more':false,'verdicts':[],'changes':[{'seq':1,'type':'seat',"
         "'seat':'A-1','ticket':null,'blocked':false},{'seq':2,'type':'seat','seat':'A 2',"
         "'ticket':null,'blocked':false}]}",
         USHER_INVAL, "changes[1].seat: \"A 2\" is not an id"},
        {"{'cursor':1,'cursor':1,'more':false,'verdicts':[],'changes':[]}", USHER_INVAL,
         "duplicate"},
        {"{'cursor':1,'more':false,'verdicts':[],'changes':[],'event':{'codes':'strong',"
         "'lang':'xx'}}",
         USHER_INVAL, "event.lang: \"xx\" is not one of en de fr es ar zh"},
        {"{'cursor':1,'more':false,'verdicts':[],'changes':[],'event':{'codes':'strong',"
         "'lang':'e'}}",
         USHER_INVAL, "event.lang"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sync_response r;
        memset(&r, 0xa5, sizeof r);
        usher_errmsg em = {{0}};
        usher_err err = response_from(cases[i].body, &r, &em);
        if (err != cases[i].err)
            fail_msg("case %zu: got %s (%s)", i, usher_errname(err), em.text);
        assert_contains(em.text, cases[i].needle);
        assert_int_equal(((unsigned char *)&r)[0], 0xa5);
    }
}

/* Entrances and a checkin's entrance and override: encoded, read back the
 * same, and a bad list refused naming the field. */
static void entrances_round_trip(void **state)
{
    (void)state;
    sync_response *r = calloc(1, sizeof *r), *back = calloc(1, sizeof *back);
    assert_non_null(r);
    assert_non_null(back);
    r->cursor = 3;
    r->has_entrances = true;
    entrance_set *s = calloc(1, sizeof *s);
    assert_non_null(s);
    r->entrances = s;
    text_copy(s->mine, sizeof s->mine, "Südeingang");
    text_copy(s->all[0].name, sizeof s->all[0].name, "Südeingang");
    text_copy(s->all[0].classes[0], sizeof s->all[0].classes[0], "VIP");
    s->all[0].nclasses = 1;
    text_copy(s->all[1].name, sizeof s->all[1].name, "B");
    text_copy(s->all[1].sections[0], sizeof s->all[1].sections[0], "T01");
    text_copy(s->all[1].sections[1], sizeof s->all[1].sections[1], "T02");
    s->all[1].nsections = 2;
    text_copy(s->all[1].doors[0], sizeof s->all[1].doors[0], "door-1");
    s->all[1].ndoors = 1;
    text_copy(s->all[2].name, sizeof s->all[2].name, "Everyone");
    s->n = 3;
    char *text = proto_sync_response_encode(r);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"entrances\":{\"all\":[{\"name\":\"Südeingang\",\"classes\":"
                                 "[\"VIP\"]},{\"name\":\"B\",\"sections\":[\"T01\",\"T02\"],"
                                 "\"doors\":[\"door-1\"]},"
                                 "{\"name\":\"Everyone\"}],\"door\":\"Südeingang\"}"));
    usher_errmsg em = {{0}};
    assert_int_equal(proto_sync_response_decode(text, strlen(text), back, &em), USHER_OK);
    assert_true(back->has_entrances);
    assert_memory_equal(back->entrances, r->entrances, sizeof *r->entrances);
    proto_sync_response_release(back);
    free(text);

    /* Refusals name the field; nothing is written. */
    static const char *const bad[][2] = {
        {"{'cursor':1,'more':false,'verdicts':[],'changes':[],'entrances':{'all':[{'name':'A'},"
         "{'name':'a'}]}}",
         "entrances.all[1].name: \"a\" is there twice"},
        {"{'cursor':1,'more':false,'verdicts':[],'changes':[],'entrances':{'all':[{'name':''}]}}",
         "entrances.all[0]: an entrance's name"},
        {"{'cursor':1,'more':false,'verdicts':[],'changes':[],'entrances':{'all':[{'name':'A',"
         "'classes':'VIP'}]}}",
         "entrances.all[0].classes: expected an array"},
        {"{'cursor':1,'more':false,'verdicts':[],'changes':[],'entrances':{'door':'A,B','all':[]}}",
         "entrances.door: not an entrance's name"},
        {"{'cursor':1,'more':false,'verdicts':[],'changes':[],'entrances':[]}",
         "entrances: expected an object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *body = dq(bad[i][0]);
        memset(back, 0, sizeof *back);
        back->cursor = 77;
        assert_int_equal(proto_sync_response_decode(body, strlen(body), back, &em), USHER_INVAL);
        if (!strstr(em.text, bad[i][1]))
            fail_msg("%s: got \"%s\"", bad[i][1], em.text);
        assert_int_equal(back->cursor, 77);
        free(body);
    }

    /* The entrances' mark in the change log: type and seq only. */
    change mark = {.seq = 42, .type = CHANGE_ENTRANCES}, mark_back;
    json_t *mj = proto_change_encode(&mark);
    char *mtext = json_dumps(mj, JSON_COMPACT);
    assert_string_equal(mtext, "{\"seq\":42,\"type\":\"entrances\"}");
    assert_int_equal(proto_change_decode(mj, "changes[0]", &mark_back, &em), USHER_OK);
    assert_memory_equal(&mark, &mark_back, sizeof mark);
    free(mtext);
    json_decref(mj);

    /* A checkin's entrance and override travel with the op. */
    usher_op op, op_back;
    op_init(&op, OP_CHECKIN, "door-1", AT);
    text_copy(op.ticket, sizeof op.ticket, "GALA-0001");
    text_copy(op.entrance, sizeof op.entrance, "B");
    text_copy(op.override, sizeof op.override, OP_OVERRIDE_ENTRANCE);
    json_t *j = proto_op_encode(&op);
    assert_string_equal(json_string_value(json_object_get(j, "override")), "entrance");
    assert_int_equal(proto_op_decode(j, "ops[0]", &op_back, &em), USHER_OK);
    assert_memory_equal(&op, &op_back, sizeof op);
    json_object_set_new(j, "override", json_string("vip"));
    assert_int_equal(proto_op_decode(j, "ops[0]", &op_back, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "override"));
    json_object_del(j, "override");
    json_object_set_new(j, "kind", json_string("checkout"));
    assert_int_equal(proto_op_decode(j, "ops[0]", &op_back, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "entrance: only a checkin"));
    json_decref(j);
    free(r->entrances);
    free(r);
    free(back);
}

static void response_verdict_limit(void **state)
{
    (void)state;
    size_t n = USHER_MAX_BATCH + 1;
    verdict *vs = calloc(n, sizeof *vs);
    assert_non_null(vs);
    for (size_t i = 0; i < n; i++) {
        text_copy(vs[i].op_id, sizeof vs[i].op_id, ID1);
        vs[i].status = VERDICT_ACCEPTED;
    }
    sync_response r = {vs, n, NULL, 0, 1, false, false, {0}, 0, "", false, NULL, NULL};
    char *text = proto_sync_response_encode(&r);
    assert_non_null(text);
    sync_response back;
    usher_errmsg em = {{0}};
    assert_int_equal(proto_sync_response_decode(text, strlen(text), &back, &em), USHER_TOOBIG);
    assert_contains(em.text, "verdicts: 1001 entries");
    free(text);
    r.nverdicts = USHER_MAX_BATCH;
    text = proto_sync_response_encode(&r);
    assert_int_equal(proto_sync_response_decode(text, strlen(text), &back, &em), USHER_OK);
    assert_int_equal(back.nverdicts, USHER_MAX_BATCH);
    proto_sync_response_release(&back);
    free(text);
    free(vs);
}

/* ---- pseudo-random round trips ---- */

/* xorshift64*: a fixed sequence, so that a failure can be replayed. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static size_t rnd_below(uint64_t *s, size_t n)
{
    return (size_t)(rnd(s) % n);
}

static bool rnd_bool(uint64_t *s)
{
    return rnd(s) & 1;
}

static void rnd_from(uint64_t *s, const char *charset, char *out, size_t size, bool may_be_empty)
{
    size_t len = rnd_below(s, size - 1) + 1;
    if (may_be_empty && rnd_below(s, 3) == 0)
        len = 0;
    size_t nc = strlen(charset);
    for (size_t i = 0; i < len; i++)
        out[i] = charset[rnd_below(s, nc)];
    out[len] = '\0';
}

static const char ident_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
static const char code_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";

static void rnd_ident(uint64_t *s, char *out, size_t size, bool may_be_empty)
{
    rnd_from(s, ident_chars, out, size, may_be_empty);
}

static void rnd_code(uint64_t *s, char *out, size_t size, bool may_be_empty)
{
    rnd_from(s, code_chars, out, size, may_be_empty);
}

static void rnd_uuid(uint64_t *s, char *out)
{
    static const char hex[] = "0123456789abcdefABCDEF";
    for (int i = 0; i < 36; i++)
        out[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hex[rnd_below(s, 22)];
    out[36] = '\0';
}

/* Printable UTF-8 with characters JSON must escape. */
static void rnd_text(uint64_t *s, char *out, size_t size)
{
    static const char *const pieces[] = {
        "a", "Z", " ", "'", "\"", "\\", "/", "0", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x8e\x9f"};
    size_t want = rnd_below(s, size), len = 0;
    while (len < want) {
        const char *p = pieces[rnd_below(s, sizeof pieces / sizeof pieces[0])];
        size_t n = strlen(p);
        if (len + n >= size)
            break;
        memcpy(out + len, p, n);
        len += n;
    }
    out[len] = '\0';
}

static int64_t rnd_time(uint64_t *s, bool may_be_zero)
{
    if (may_be_zero && rnd_below(s, 3) == 0)
        return 0;
    return 1 + (int64_t)(rnd(s) % (uint64_t)MAX_MS);
}

static void rnd_op(uint64_t *s, usher_op *op)
{
    memset(op, 0, sizeof *op);
    op->kind = (op_kind)(1 + rnd_below(s, OP_UNLEASE));
    rnd_uuid(s, op->id);
    rnd_ident(s, op->device, sizeof op->device, true);
    op->at = rnd_time(s, false);
    op->expect_seat_free = true;
    switch (op->kind) {
    case OP_HOLD:
        op->ttl_ms = (int64_t)rnd_below(s, 3600001);
        rnd_code(s, op->ticket, sizeof op->ticket, true);
        rnd_ident(s, op->seat, sizeof op->seat, false);
        break;
    case OP_ASSIGN:
        rnd_ident(s, op->expect_ticket_seat, sizeof op->expect_ticket_seat, true);
        op->expect_seat_free = rnd_bool(s);
        rnd_ident(s, op->party, sizeof op->party, true);
        rnd_code(s, op->ticket, sizeof op->ticket, false);
        rnd_ident(s, op->seat, sizeof op->seat, false);
        break;
    case OP_UNASSIGN:
        rnd_code(s, op->ticket, sizeof op->ticket, false);
        rnd_ident(s, op->seat, sizeof op->seat, true);
        break;
    case OP_CHECKIN:
    case OP_REVOKE:
        rnd_code(s, op->ticket, sizeof op->ticket, false);
        break;
    case OP_LEASE:
        op->ttl_ms = (int64_t)rnd_below(s, USHER_MAX_LEASE_TTL_MS + 1);
        rnd_ident(s, op->seat, sizeof op->seat, false);
        break;
    default:
        rnd_ident(s, op->seat, sizeof op->seat, false);
        break;
    }
}

static void rnd_verdict(uint64_t *s, verdict *v)
{
    memset(v, 0, sizeof *v);
    rnd_uuid(s, v->op_id);
    v->status = (verdict_status)(1 + rnd_below(s, 3));
    if (v->status == VERDICT_DUPLICATE)
        v->first = (verdict_status)(1 + rnd_below(s, 2));
    v->reason = (verdict_reason)rnd_below(s, REASON_SEAT_LEASED + 1);
    rnd_ident(s, v->reseat, sizeof v->reseat, true);
    rnd_ident(s, v->ticket_seat, sizeof v->ticket_seat, true);
    rnd_code(s, v->seat_ticket, sizeof v->seat_ticket, true);
    v->checked_in_at = rnd_time(s, true);
    rnd_ident(s, v->checkin_device, sizeof v->checkin_device, true);
}

static void rnd_change(uint64_t *s, change *c)
{
    memset(c, 0, sizeof *c);
    c->seq = (int64_t)(rnd(s) >> 1);
    if (rnd_bool(s)) {
        c->type = CHANGE_SEAT;
        rnd_ident(s, c->seat_id, sizeof c->seat_id, false);
        rnd_code(s, c->seat.ticket, sizeof c->seat.ticket, true);
        c->seat.blocked = rnd_bool(s);
        rnd_ident(s, c->seat.hold_device, sizeof c->seat.hold_device, true);
        c->seat.hold_until = rnd_time(s, true);
        rnd_ident(s, c->seat.lease_device, sizeof c->seat.lease_device, true);
        c->seat.lease_until = rnd_time(s, true);
    } else {
        c->type = CHANGE_TICKET;
        rnd_code(s, c->ticket.code, sizeof c->ticket.code, false);
        rnd_text(s, c->ticket.name, sizeof c->ticket.name);
        rnd_text(s, c->ticket.klass, sizeof c->ticket.klass);
        rnd_ident(s, c->ticket.seat, sizeof c->ticket.seat, true);
        rnd_ident(s, c->ticket.party, sizeof c->ticket.party, true);
        c->ticket.checked_in_at = rnd_time(s, true);
        rnd_ident(s, c->ticket.checkin_device, sizeof c->ticket.checkin_device, true);
        c->ticket.revoked = rnd_bool(s);
    }
}

static void rnd_alert(uint64_t *s, alert *a)
{
    memset(a, 0, sizeof *a);
    a->kind = (alert_kind)(1 + rnd_below(s, ALERT_REVOKED_SCAN));
    rnd_code(s, a->ticket, sizeof a->ticket, true);
    rnd_ident(s, a->seat, sizeof a->seat, true);
    rnd_ident(s, a->other_seat, sizeof a->other_seat, true);
    rnd_ident(s, a->device, sizeof a->device, true);
    rnd_ident(s, a->other_device, sizeof a->other_device, true);
    a->at = rnd_time(s, true);
    a->other_at = rnd_time(s, true);
    if (rnd_bool(s))
        rnd_uuid(s, a->op_id);
}

static void random_values_round_trip(void **state)
{
    (void)state;
    uint64_t seed = 0x0badc0ffee1234ULL;
    for (int i = 0; i < 3000; i++) {
        usher_op op;
        rnd_op(&seed, &op);
        op_round_trip(&op);
        verdict v;
        rnd_verdict(&seed, &v);
        verdict_round_trip(&v);
        change c;
        rnd_change(&seed, &c);
        change_round_trip(&c);
        alert a;
        rnd_alert(&seed, &a);
        alert_round_trip(&a);
    }
}

static void random_bodies_round_trip(void **state)
{
    (void)state;
    uint64_t seed = 0x5eedULL;
    for (int round = 0; round < 20; round++) {
        size_t n = rnd_below(&seed, 60);
        usher_op *ops = calloc(n + 1, sizeof *ops);
        verdict *vs = calloc(n + 1, sizeof *vs);
        change *cs = calloc(n + 1, sizeof *cs);
        assert_true(ops && vs && cs);
        for (size_t i = 0; i < n; i++) {
            rnd_op(&seed, &ops[i]);
            rnd_verdict(&seed, &vs[i]);
            rnd_change(&seed, &cs[i]);
        }
        sync_request rq = {.cursor = (int64_t)(rnd(&seed) >> 1), .ops = ops, .nops = n};
        rnd_ident(&seed, rq.device, sizeof rq.device, true);
        sync_response rs = {
            vs, n,     cs,   n,   (int64_t)(rnd(&seed) >> 1), rnd_bool(&seed), false, {0}, 0,
            "", false, NULL, NULL};

        char *text = proto_sync_request_encode(&rq);
        sync_request rq2;
        usher_errmsg em = {{0}};
        if (proto_sync_request_decode(text, strlen(text), &rq2, &em) != USHER_OK)
            fail_msg("round %d: %s", round, em.text);
        assert_string_equal(rq2.device, rq.device);
        assert_int_equal(rq2.cursor, rq.cursor);
        assert_int_equal(rq2.nops, n);
        for (size_t i = 0; i < n; i++)
            assert_ops_equal(&ops[i], &rq2.ops[i]);
        proto_sync_request_release(&rq2);
        free(text);

        text = proto_sync_response_encode(&rs);
        sync_response rs2;
        if (proto_sync_response_decode(text, strlen(text), &rs2, &em) != USHER_OK)
            fail_msg("round %d: %s", round, em.text);
        assert_int_equal(rs2.cursor, rs.cursor);
        assert_int_equal(rs2.more, rs.more);
        assert_int_equal(rs2.nverdicts, n);
        assert_int_equal(rs2.nchanges, n);
        for (size_t i = 0; i < n; i++) {
            assert_verdicts_equal(&vs[i], &rs2.verdicts[i]);
            assert_changes_equal(&cs[i], &rs2.changes[i]);
        }
        proto_sync_response_release(&rs2);
        free(text);
        free(ops);
        free(vs);
        free(cs);
    }
}

/* The coordinator writes a sync answer's head with proto_sync_response_head
 * and copies the rest in: it decodes like a whole answer, log id included;
 * an id that is not one is left out rather than written. */
static void response_head_carries_the_log(void **state)
{
    (void)state;
    sync_response h = {.cursor = 9, .more = true, .now = 1795000000000LL};
    text_copy(h.log, sizeof h.log, "L7e");
    char text[512];
    size_t n = proto_sync_response_head(&h, text, sizeof text);
    assert_true(n > 0);
    snprintf(text + n, sizeof text - n, "],\"changes\":[]}");
    sync_response back;
    usher_errmsg em = {{0}};
    assert_int_equal(proto_sync_response_decode(text, strlen(text), &back, &em), USHER_OK);
    assert_string_equal(back.log, "L7e");
    assert_int_equal(back.cursor, 9);
    proto_sync_response_release(&back);
    text_copy(h.log, sizeof h.log, "a\"b");
    n = proto_sync_response_head(&h, text, sizeof text);
    assert_null(strstr(text, "\"log\""));
}

/* The coordinator's whole sync answer, with its changes encoded here or
 * copied in as text: the exact bytes, the same either way, decoded back. */
static void response_write_exact_and_round_trips(void **state)
{
    (void)state;
    verdict v;
    memset(&v, 0, sizeof v);
    text_copy(v.op_id, sizeof v.op_id, ID1);
    v.status = VERDICT_ACCEPTED;
    text_copy(v.ticket_seat, sizeof v.ticket_seat, "T07-03");
    change cs[2];
    memset(cs, 0, sizeof cs);
    cs[0].seq = 41;
    cs[0].type = CHANGE_SEAT;
    text_copy(cs[0].seat_id, sizeof cs[0].seat_id, "T07-03");
    cs[1].seq = 42;
    cs[1].type = CHANGE_TICKET;
    text_copy(cs[1].ticket.code, sizeof cs[1].ticket.code, "GALA-0001");
    text_copy(cs[1].ticket.name, sizeof cs[1].ticket.name, "Zo\xc3\xab Z");
    sync_response r = {.verdicts = &v,
                       .nverdicts = 1,
                       .changes = cs,
                       .nchanges = 2,
                       .cursor = 42,
                       .more = false,
                       .has_event = true,
                       .now = AT};
    settings_default(&r.event);
    text_copy(r.log, sizeof r.log, "L5f0c");
    size_t len = 0;
    char *text = proto_sync_response_write(&r, NULL, 0, &len);
    assert_non_null(text);
    char *want = dq("{'cursor':42,'more':false,'now':'" AT_TEXT "','log':'L5f0c','verdicts':"
                    "[{'status':'accepted','id':'" ID1 "','ticket_seat':'T07-03'}],'changes':"
                    "[{'seq':41,'type':'seat','seat':'T07-03','ticket':null,'blocked':false},"
                    "{'seq':42,'type':'ticket','code':'GALA-0001','name':'Zo\xc3\xab Z',"
                    "'class':'','seat':null,'revoked':false}],'event':{'codes':'strong'}}");
    assert_string_equal(text, want);
    assert_int_equal(len, strlen(text));
    sync_response back;
    usher_errmsg em = {{0}};
    if (proto_sync_response_decode(text, len, &back, &em) != USHER_OK)
        fail_msg("the written answer does not decode: %s", em.text);
    assert_int_equal(back.cursor, 42);
    assert_int_equal(back.now, AT);
    assert_string_equal(back.log, "L5f0c");
    assert_true(back.has_event);
    assert_int_equal(back.nverdicts, 1);
    assert_verdicts_equal(&v, &back.verdicts[0]);
    assert_int_equal(back.nchanges, 2);
    for (size_t i = 0; i < 2; i++)
        assert_changes_equal(&cs[i], &back.changes[i]);
    proto_sync_response_release(&back);
    free(want);

    /* The changes as the ring keeps them: the data of their frames, joined. */
    size_t flen[2], off[2], dlen[2];
    char *frame[2];
    for (int i = 0; i < 2; i++)
        assert_non_null(frame[i] = proto_sse_change(&cs[i], &flen[i], &off[i], &dlen[i]));
    char joined[1024];
    int n = snprintf(joined, sizeof joined, "%.*s,%.*s", (int)dlen[0], frame[0] + off[0],
                     (int)dlen[1], frame[1] + off[1]);
    size_t len2 = 0;
    char *text2 = proto_sync_response_write(&r, joined, (size_t)n, &len2);
    assert_string_equal(text2, text);
    assert_int_equal(len2, len);
    free(text2);
    /* No changes (a pull that found none in the ring): an empty array. */
    text2 = proto_sync_response_write(&r, "", 0, &len2);
    assert_non_null(strstr(text2, "\"changes\":[],\"event\":{\"codes\":\"strong\"}}"));
    free(text2);
    for (int i = 0; i < 2; i++)
        free(frame[i]);
    free(text);
}

/* A change's event-stream frame, the resync frame and the keep-alive: exact
 * bytes; the frame's data is the change's JSON, which decodes back. */
static void sse_frames_exact(void **state)
{
    (void)state;
    change c;
    memset(&c, 0, sizeof c);
    c.seq = 41;
    c.type = CHANGE_SEAT;
    text_copy(c.seat_id, sizeof c.seat_id, "T07-03");
    size_t len = 0, off = 0, dlen = 0;
    char *f = proto_sse_change(&c, &len, &off, &dlen);
    assert_non_null(f);
    char *want = dq("id: 41\nevent: change\ndata: "
                    "{'seq':41,'type':'seat','seat':'T07-03','ticket':null,'blocked':false}\n\n");
    assert_string_equal(f, want);
    assert_int_equal(len, strlen(want));
    assert_int_equal(off, strlen("id: 41\nevent: change\ndata: "));
    assert_int_equal(off + dlen + 2, len);
    json_error_t je;
    json_t *j = json_loadb(f + off, dlen, 0, &je);
    assert_non_null(j);
    change back;
    usher_errmsg em = {{0}};
    assert_int_equal(proto_change_decode(j, "data", &back, &em), USHER_OK);
    assert_changes_equal(&c, &back);
    json_decref(j);
    free(want);
    free(f);

    char buf[128];
    size_t n = proto_sse_reset(77, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    assert_string_equal(buf, "id: 77\nevent: reset\ndata: {\"seq\":77}\n\n");
    assert_int_equal(proto_sse_reset(77, buf, 20), 0);
    assert_int_equal(proto_sse_keepalive(buf, sizeof buf), 14);
    assert_string_equal(buf, ": keep-alive\n\n");
    assert_int_equal(proto_sse_keepalive(buf, 14), 0);
}

/* The reader finds the ids the writer wrote, however the bytes are cut. */
static void sse_reader_reads_what_is_written(void **state)
{
    (void)state;
    char stream[2048] = "";
    size_t n = 0;
    change c;
    memset(&c, 0, sizeof c);
    c.type = CHANGE_SEAT;
    text_copy(c.seat_id, sizeof c.seat_id, "A-1");
    for (int64_t seq = 1; seq <= 3; seq++) {
        c.seq = seq;
        size_t len, off, dlen;
        char *f = proto_sse_change(&c, &len, &off, &dlen);
        memcpy(stream + n, f, len);
        n += len;
        free(f);
        n += proto_sse_keepalive(stream + n, sizeof stream - n);
    }
    n += proto_sse_reset(9, stream + n, sizeof stream - n);
    for (size_t cut = 1; cut <= n; cut++) { /* in pieces of every size */
        proto_sse_reader r;
        proto_sse_reader_init(&r, 0);
        int news = 0;
        for (size_t at = 0; at < n; at += cut)
            news += proto_sse_reader_feed(&r, stream + at, at + cut <= n ? cut : n - at);
        assert_int_equal(r.last_id, 9);
        assert_true(news >= 1 && news <= 4);
        if (cut == 1)
            assert_int_equal(news, 4); /* each id on its own */
    }
    /* Resuming: the header, and its value read back. */
    char hdr[64];
    assert_int_equal(proto_sse_last_id_header(1234, hdr, sizeof hdr),
                     strlen("Last-Event-ID: 1234"));
    assert_string_equal(hdr, "Last-Event-ID: 1234");
    assert_int_equal(proto_sse_last_id_header(1234, hdr, 10), 0);
    int64_t id = -1;
    assert_true(proto_sse_last_id_parse(hdr + strlen("Last-Event-ID: "), &id));
    assert_int_equal(id, 1234);
    assert_false(proto_sse_last_id_parse("-1", &id));
    assert_false(proto_sse_last_id_parse("12a", &id));
    assert_false(proto_sse_last_id_parse(NULL, &id));
    assert_int_equal(id, 1234);
    /* Resumed after 2: ids 1 and 2 are old news. */
    proto_sse_reader r;
    proto_sse_reader_init(&r, 2);
    assert_false(proto_sse_reader_feed(&r, "id: 1\n\nid:2\r\n", 13));
    assert_true(proto_sse_reader_feed(&r, "id:3\r\n", 6));
    assert_int_equal(r.last_id, 3);
    /* Not ids: garbage, negative, huge, a data line that says id: */
    const char *junk = "id: x\nid: -4\nid: 99999999999999999999\ndata: id: 50\n: id: 60\n";
    assert_false(proto_sse_reader_feed(&r, junk, strlen(junk)));
    assert_int_equal(r.last_id, 3);
    /* A line cut by a dropped connection does not run into the next one. */
    assert_false(proto_sse_reader_feed(&r, "id: 4", 5));
    proto_sse_reader_restart(&r);
    assert_true(proto_sse_reader_feed(&r, "id: 5\n", 6));
    assert_int_equal(r.last_id, 5);
    /* An over-long line is cut, not overflowed. */
    char longline[600];
    memset(longline, '7', sizeof longline);
    memcpy(longline, "id: ", 4);
    longline[sizeof longline - 1] = '\n';
    assert_false(proto_sse_reader_feed(&r, longline, sizeof longline));
    assert_int_equal(r.last_id, 5);
}

/* What a sink was given: changes by seq, and the pulls (NULL). */
typedef struct sink_log {
    int64_t seqs[32];
    change last;
    int nchanges, npulls;
} sink_log;

static void sink_record(void *ctx, const change *c)
{
    sink_log *l = ctx;
    if (!c) {
        l->npulls++;
        return;
    }
    if (l->nchanges < 32)
        l->seqs[l->nchanges] = c->seq;
    l->nchanges++;
    l->last = *c;
}

static size_t add_frame(char *stream, size_t n, size_t size, const change *c)
{
    size_t len, off, dlen;
    char *f = proto_sse_change(c, &len, &off, &dlen);
    assert_non_null(f);
    assert_true(n + len < size);
    memcpy(stream + n, f, len);
    free(f);
    return n + len;
}

/* Whole change frames reach the sink decoded, however the bytes are cut;
 * a reset, an undecodable or cut frame reach it as a pull; keep-alives and
 * old ids reach it not at all. */
static void sse_reader_yields_changes(void **state)
{
    (void)state;
    static char stream[32768];
    size_t n = 0;
    change c;
    memset(&c, 0, sizeof c);
    c.type = CHANGE_SEAT;
    text_copy(c.seat_id, sizeof c.seat_id, "A-1");
    text_copy(c.seat.ticket, sizeof c.seat.ticket, "GALA-0001");
    for (int64_t seq = 1; seq <= 3; seq++) {
        c.seq = seq;
        n = add_frame(stream, n, sizeof stream, &c);
        n += proto_sse_keepalive(stream + n, sizeof stream - n);
    }
    n += proto_sse_reset(4, stream + n, sizeof stream - n);
    /* Malformed data at 5, a change whose seq is not its id at 6, CRLF at 7. */
    const char *bad = "id: 5\nevent: change\ndata: {\"seq\":5,\"type\":\"seat\",\"seat\":\n\n"
                      "id: 6\nevent: change\ndata: {\"seq\":60,\"type\":\"entrances\"}\n\n"
                      "id: 7\r\nevent: change\r\ndata: {\"seq\":7,\"type\":\"entrances\"}\r\n\r\n"
                      ": keep-alive\n\n";
    memcpy(stream + n, bad, strlen(bad));
    n += strlen(bad);
    c.seq = 8;
    n = add_frame(stream, n, sizeof stream, &c);
    for (size_t cut = 1; cut <= n; cut++) { /* in pieces of every size */
        proto_sse_reader r;
        sink_log l;
        memset(&l, 0, sizeof l);
        proto_sse_reader_init(&r, 0);
        proto_sse_reader_sink(&r, sink_record, &l);
        for (size_t at = 0; at < n; at += cut)
            (void)proto_sse_reader_feed(&r, stream + at, at + cut <= n ? cut : n - at);
        assert_int_equal(r.last_id, 8);
        assert_int_equal(l.nchanges, 5);
        assert_int_equal(l.seqs[0], 1);
        assert_int_equal(l.seqs[1], 2);
        assert_int_equal(l.seqs[2], 3);
        assert_int_equal(l.seqs[3], 7);
        assert_int_equal(l.seqs[4], 8);
        assert_int_equal(l.npulls, 3); /* the reset, 5 and 6 */
        assert_int_equal(l.last.type, CHANGE_SEAT);
        assert_string_equal(l.last.seat_id, "A-1");
        assert_string_equal(l.last.seat.ticket, "GALA-0001");
    }
    /* Resumed after 2: frames 1 and 2 are old news, even whole. */
    proto_sse_reader r;
    sink_log l;
    memset(&l, 0, sizeof l);
    proto_sse_reader_init(&r, 2);
    proto_sse_reader_sink(&r, sink_record, &l);
    (void)proto_sse_reader_feed(&r, stream, n);
    assert_int_equal(l.nchanges, 3);
    assert_int_equal(l.seqs[0], 3);
    /* A frame cut by a dropped connection: a pull, and nothing runs on. */
    memset(&l, 0, sizeof l);
    proto_sse_reader_init(&r, 8);
    proto_sse_reader_sink(&r, sink_record, &l);
    c.seq = 9;
    size_t m = add_frame(stream, 0, sizeof stream, &c);
    (void)proto_sse_reader_feed(&r, stream, m - 5);
    assert_int_equal(l.npulls + l.nchanges, 0);
    proto_sse_reader_restart(&r);
    assert_int_equal(l.npulls, 1);
    (void)proto_sse_reader_feed(&r, "\n\n", 2);
    assert_int_equal(l.npulls, 1);
    assert_int_equal(l.nchanges, 0);
    /* An over-long data line: a pull, never an overflow or a change. */
    memset(&l, 0, sizeof l);
    static char longframe[PROTO_SSE_LINE_MAX * 2 + 64];
    int h = snprintf(longframe, sizeof longframe, "id: 10\nevent: change\ndata: ");
    memset(longframe + h, 'x', PROTO_SSE_LINE_MAX + 10);
    memcpy(longframe + h + PROTO_SSE_LINE_MAX + 10, "\n\n", 2);
    (void)proto_sse_reader_feed(&r, longframe, (size_t)h + PROTO_SSE_LINE_MAX + 12);
    assert_int_equal(l.npulls, 1);
    assert_int_equal(l.nchanges, 0);
    assert_int_equal(r.last_id, 10);
    /* Many data lines running over the frame's room: a pull too. */
    memset(&l, 0, sizeof l);
    (void)proto_sse_reader_feed(&r, "id: 11\nevent: change\n", 22);
    char dl[1100];
    memset(dl, 'y', sizeof dl);
    memcpy(dl, "data: ", 6);
    dl[sizeof dl - 1] = '\n';
    for (int i = 0; i < 9; i++)
        (void)proto_sse_reader_feed(&r, dl, sizeof dl);
    (void)proto_sse_reader_feed(&r, "\n", 1);
    assert_int_equal(l.npulls, 1);
    assert_int_equal(l.nchanges, 0);
}

static void sample_snapshot(proto_snapshot *s, const char *layout)
{
    memset(s, 0, sizeof *s);
    text_copy(s->event.id, sizeof s->event.id, "e0f1");
    text_copy(s->event.name, sizeof s->event.name, "Gala \xe2\x80\x94 2026");
    s->event.hold_ttl_ms = 120000;
    memset(s->event.pubkey, 'a', 64);
    s->event.reseat_nearest = true;
    settings_default(&s->event.settings);
    text_copy(s->event.settings.tz, sizeof s->event.settings.tz, "Europe/Berlin");
    text_copy(s->device, sizeof s->device, "kiosk-1");
    s->role = ROLE_KIOSK;
    s->layout_json = (char *)layout;
    s->cursor = 42;
    text_copy(s->log, sizeof s->log, "L5f0c");
}

/* The snapshot's head, whole and paged, and a page: exact bytes, decoded
 * back to what was written; what is not a snapshot refused. */
static void snapshot_write_and_decode(void **state)
{
    (void)state;
    change cs[2];
    memset(cs, 0, sizeof cs);
    cs[0].seq = 0;
    cs[0].type = CHANGE_TICKET;
    text_copy(cs[0].ticket.code, sizeof cs[0].ticket.code, "GALA-0001");
    text_copy(cs[0].ticket.name, sizeof cs[0].ticket.name, "Ada");
    cs[1].type = CHANGE_SEAT;
    text_copy(cs[1].seat_id, sizeof cs[1].seat_id, "T01-01");
    text_copy(cs[1].seat.ticket, sizeof cs[1].seat.ticket, "GALA-0001");
    char *item[2];
    for (int i = 0; i < 2; i++)
        assert_non_null(item[i] = dump_json(proto_change_encode(&cs[i])));
    /* The pages' items: one page of one change, an empty one, one more. */
    const char *parts[3] = {item[0], "", item[1]};
    size_t lens[3] = {strlen(item[0]), 0, strlen(item[1])};
    const char *layout = "{\"name\":\"L\",\"sections\":[]}";
    proto_snapshot s;
    sample_snapshot(&s, layout);
    size_t len = 0;
    char *text = proto_snapshot_write(&s, parts, lens, 3, &len);
    assert_non_null(text);
    assert_int_equal(len, strlen(text));
    char *want = dq("{'event':{'codes':'strong','tz':'Europe/Berlin','id':'e0f1','name':'Gala "
                    "\xe2\x80\x94 2026','hold_ttl_ms':120000,'pubkey':'"
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa','reseat':"
                    "'nearest'},'device':{'id':'kiosk-1','role':'kiosk'},'layout':{'name':'L',"
                    "'sections':[]},'cursor':42,'log':'L5f0c','changes':[");
    if (strncmp(text, want, strlen(want)) != 0)
        fail_msg("head: %s", text);
    proto_snapshot back;
    usher_errmsg em = {{0}};
    if (proto_snapshot_decode(text, len, &back, &em) != USHER_OK)
        fail_msg("the snapshot does not decode: %s", em.text);
    assert_string_equal(back.event.id, "e0f1");
    assert_string_equal(back.event.name, s.event.name);
    assert_int_equal(back.event.hold_ttl_ms, 120000);
    assert_string_equal(back.event.pubkey, s.event.pubkey);
    assert_true(back.event.reseat_nearest);
    assert_true(settings_same(&back.event.settings, &s.event.settings));
    assert_string_equal(back.device, "kiosk-1");
    assert_int_equal(back.role, ROLE_KIOSK);
    assert_string_equal(back.layout_json, layout);
    assert_int_equal(back.cursor, 42);
    assert_string_equal(back.log, "L5f0c");
    assert_int_equal(back.pages, 0);
    assert_int_equal(back.nchanges, 2);
    for (int i = 0; i < 2; i++)
        assert_changes_equal(&cs[i], &back.changes[i]);
    proto_snapshot_release(&back);
    proto_snapshot_release(&back); /* twice: a no-op */
    free(text);
    free(want);

    /* Paged: no layout, no changes, "pages" and "changes_total". */
    s.layout_json = NULL;
    s.pages = 3;
    s.changes_total = 12001;
    s.event.reseat_nearest = false;
    text = proto_snapshot_write(&s, NULL, NULL, 0, &len);
    assert_non_null(strstr(text, "\"reseat\":\"none\"}"));
    assert_non_null(
        strstr(text, "},\"cursor\":42,\"log\":\"L5f0c\",\"pages\":3,\"changes_total\":12001}"));
    assert_int_equal(proto_snapshot_decode(text, len, &back, &em), USHER_OK);
    assert_null(back.layout_json);
    assert_int_equal(back.pages, 3);
    assert_int_equal(back.changes_total, 12001);
    assert_int_equal(back.nchanges, 0);
    assert_false(back.event.reseat_nearest);
    proto_snapshot_release(&back);
    free(text);
    /* No log id (none to tell): no "log", and it still decodes. */
    s.log[0] = '\0';
    text = proto_snapshot_write(&s, NULL, NULL, 0, &len);
    assert_null(strstr(text, "\"log\""));
    assert_int_equal(proto_snapshot_decode(text, len, &back, &em), USHER_OK);
    assert_string_equal(back.log, "");
    proto_snapshot_release(&back);
    free(text);

    /* A page: exact bytes, where its items are, decoded back. */
    char items[256];
    int n = snprintf(items, sizeof items, "%s,%s", item[0], item[1]);
    size_t at = 0;
    text = proto_snapshot_page_write(42, 1, 3, items, (size_t)n, &len, &at);
    assert_non_null(text);
    want = malloc(len + 1);
    snprintf(want, len + 1, "{\"cursor\":42,\"page\":1,\"pages\":3,\"changes\":[%s]}", items);
    assert_string_equal(text, want);
    assert_int_equal(at, strlen("{\"cursor\":42,\"page\":1,\"pages\":3,\"changes\":["));
    assert_memory_equal(text + at, items, (size_t)n);
    int64_t cur = 0;
    size_t pg = 0, pgs = 0, k = 0;
    change *got = NULL;
    assert_int_equal(proto_snapshot_page_decode(text, len, &cur, &pg, &pgs, &got, &k, &em),
                     USHER_OK);
    assert_int_equal(cur, 42);
    assert_int_equal(pg, 1);
    assert_int_equal(pgs, 3);
    assert_int_equal(k, 2);
    for (int i = 0; i < 2; i++)
        assert_changes_equal(&cs[i], &got[i]);
    free(got);
    free(text);
    free(want);
    text = proto_snapshot_page_write(7, 0, 1, NULL, 0, &len, &at);
    assert_string_equal(text, "{\"cursor\":7,\"page\":0,\"pages\":1,\"changes\":[]}");
    free(text);
    for (int i = 0; i < 2; i++)
        free(item[i]);

    /* Not snapshots: refused, nothing filled. */
    const char *bad[] = {"<html>",
                         "{}",
                         "[]",
                         "{'event':{},'device':{},'layout':{},'cursor':1,'changes':[]}",
                         "{'event':{'id':'e','name':'n','hold_ttl_ms':1,'pubkey':'p'},"
                         "'device':{'id':'d','role':'boss'},'layout':{},'cursor':1,'changes':[]}",
                         "{'event':{'id':'e','name':'n','hold_ttl_ms':1,'pubkey':'p'},"
                         "'device':{'id':'d','role':'door'},'cursor':1,'pages':0}",
                         "{'event':{'id':'e','name':'n','hold_ttl_ms':1,'pubkey':'p'},"
                         "'device':{'id':'d','role':'door'},'layout':{},'cursor':-1,'changes':[]}",
                         "{'event':{'id':'e','name':'n','hold_ttl_ms':1,'pubkey':'p'},"
                         "'device':{'id':'d','role':'door'},'layout':{},'cursor':1,'log':'<b>',"
                         "'changes':[]}",
                         "{'event':{'id':'e','name':'n','hold_ttl_ms':1,'pubkey':'p'},"
                         "'device':{'id':'d','role':'door'},'layout':{},'cursor':1,"
                         "'changes':[{'seq':1,'type':'nope'}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *b = dq(bad[i]);
        memset(&back, 0x5a, sizeof back);
        if (proto_snapshot_decode(b, strlen(b), &back, &em) == USHER_OK)
            fail_msg("not a snapshot, decoded: %s", b);
        assert_int_equal(((unsigned char *)&back)[0], 0x5a);
        free(b);
    }
    char *good = dq("{'event':{'id':'e','name':'n','hold_ttl_ms':1,'pubkey':'p'},"
                    "'device':{'id':'d','role':'door'},'layout':{},'cursor':1,'changes':[]}");
    assert_int_equal(proto_snapshot_decode(good, strlen(good), &back, &em), USHER_OK);
    proto_snapshot_release(&back);
    free(good);
    const char *badpage[] = {"<html>", "{'cursor':1,'page':0,'pages':1}",
                             "{'cursor':1,'page':-1,'pages':1,'changes':[]}",
                             "{'cursor':'1','page':0,'pages':1,'changes':[]}"};
    for (size_t i = 0; i < sizeof badpage / sizeof badpage[0]; i++) {
        char *b = dq(badpage[i]);
        got = NULL;
        if (proto_snapshot_page_decode(b, strlen(b), &cur, &pg, &pgs, &got, &k, &em) == USHER_OK)
            fail_msg("not a page, decoded: %s", b);
        assert_null(got);
        free(b);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(snapshot_write_and_decode),
    cmocka_unit_test(response_write_exact_and_round_trips),
    cmocka_unit_test(sse_frames_exact),
    cmocka_unit_test(sse_reader_reads_what_is_written),
    cmocka_unit_test(sse_reader_yields_changes),
    cmocka_unit_test(response_head_carries_the_log),
    cmocka_unit_test(op_encode_leaves_out_defaults),
    cmocka_unit_test(op_encode_writes_every_field_set),
    cmocka_unit_test(verdict_encode_exact),
    cmocka_unit_test(change_encode_exact),
    cmocka_unit_test(alert_encode_exact),
    cmocka_unit_test(error_body_exact),
    cmocka_unit_test(standby_body_exact),
    cmocka_unit_test(op_round_trips_every_kind),
    cmocka_unit_test(verdict_round_trips),
    cmocka_unit_test(change_round_trips),
    cmocka_unit_test(alert_round_trips_every_kind),
    cmocka_unit_test(request_round_trips),
    cmocka_unit_test(request_empty_batch),
    cmocka_unit_test(request_printer_round_trips),
    cmocka_unit_test(request_refuses_garbage_printer),
    cmocka_unit_test(response_round_trips),
    cmocka_unit_test(op_decode_normalises),
    cmocka_unit_test(request_body_need_not_be_terminated),
    cmocka_unit_test(op_refuses_wrong_types),
    cmocka_unit_test(op_refuses_missing_and_unknown),
    cmocka_unit_test(op_refuses_bad_values),
    cmocka_unit_test(op_refuses_non_objects_and_nul),
    cmocka_unit_test(verdict_refusals),
    cmocka_unit_test(change_refusals),
    cmocka_unit_test(alert_refusals),
    cmocka_unit_test(request_refuses_bad_content),
    cmocka_unit_test(request_refuses_duplicate_keys),
    cmocka_unit_test(request_refuses_malformed_json),
    cmocka_unit_test(request_batch_limit),
    cmocka_unit_test(request_body_size_limit),
    cmocka_unit_test(response_refusals),
    cmocka_unit_test(response_verdict_limit),
    cmocka_unit_test(entrances_round_trip),
    cmocka_unit_test(random_values_round_trip),
    cmocka_unit_test(random_bodies_round_trip),
};

TESTUTIL_MAIN(tests)

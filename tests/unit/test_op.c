/* test_op.c - operation names, roles, ids and validation; error texts; roles. */
#include "testutil.h"

#include <string.h>

#include "domain.h"
#include "error.h"
#include "op.h"
#include "text.h"

static usher_op valid_assign(void)
{
    usher_op op;
    op_init(&op, OP_ASSIGN, "kiosk-1", 1795000000000LL);
    text_copy(op.ticket, sizeof op.ticket, "GALA-0001");
    text_copy(op.seat, sizeof op.seat, "T01-01");
    return op;
}

static void kind_names_round_trip(void **unused)
{
    int n = 0;
    for (op_kind k = OP_HOLD; op_kind_name(k); k++, n++)
        assert_int_equal(op_kind_parse(op_kind_name(k)), k);
    assert_int_equal(n, 12);
    assert_int_equal(op_kind_parse("scan_refused"), OP_SCAN_REFUSED);
    assert_int_equal(op_kind_parse("checkout"), OP_CHECKOUT);
    assert_string_equal(verdict_reason_name(REASON_NOT_INSIDE), "not_inside");
    assert_int_equal(alert_kind_parse("inout_conflict"), ALERT_INOUT_CONFLICT);
    assert_string_equal(op_kind_name(OP_LEASE), "lease");
    assert_int_equal(op_kind_parse("unlease"), OP_UNLEASE);
    assert_int_equal(op_kind_parse("Assign"), OP_NONE);
    assert_int_equal(op_kind_parse(""), OP_NONE);
    assert_null(op_kind_name(OP_NONE));
    assert_null(op_kind_name((op_kind)99));
    assert_int_equal(verdict_reason_parse("seat_taken"), REASON_SEAT_TAKEN);
    assert_string_equal(verdict_reason_name(REASON_DUPLICATE_CHECKIN), "duplicate_checkin");
    assert_int_equal(verdict_status_parse("duplicate"), VERDICT_DUPLICATE);
    assert_int_equal(alert_kind_parse("reseat"), ALERT_RESEAT);
    assert_null(verdict_reason_name(REASON_NONE));
    assert_string_equal(verdict_reason_name(REASON_SEAT_LEASED), "seat_leased");
    assert_int_equal(verdict_reason_parse("seat_leased"), REASON_SEAT_LEASED);
}

static void roles_may_do_only_their_ops(void **unused)
{
    assert_true(op_allowed(ROLE_KIOSK, OP_ASSIGN));
    assert_true(op_allowed(ROLE_DOOR, OP_CHECKOUT));
    assert_false(op_allowed(ROLE_KIOSK, OP_CHECKOUT));
    assert_true(op_allowed(ROLE_KIOSK, OP_HOLD));
    assert_false(op_allowed(ROLE_KIOSK, OP_CHECKIN));
    assert_false(op_allowed(ROLE_KIOSK, OP_REVOKE));
    assert_true(op_allowed(ROLE_KIOSK, OP_LEASE));
    assert_true(op_allowed(ROLE_KIOSK, OP_UNLEASE));
    assert_false(op_allowed(ROLE_DOOR, OP_LEASE));
    assert_false(op_allowed(ROLE_DOOR, OP_UNLEASE));
    assert_false(op_allowed(ROLE_KIOSK, OP_BLOCK));
    assert_true(op_allowed(ROLE_DOOR, OP_CHECKIN));
    assert_false(op_allowed(ROLE_DOOR, OP_ASSIGN));
    for (op_kind k = OP_HOLD; op_kind_name(k); k++)
        assert_true(op_allowed(ROLE_ADMIN, k));
    assert_false(op_allowed(ROLE_NONE, OP_ASSIGN));
    assert_false(op_allowed(ROLE_ADMIN, OP_NONE));
    assert_int_equal(role_parse("door"), ROLE_DOOR);
    assert_int_equal(role_parse("root"), ROLE_NONE);
    assert_string_equal(role_name(ROLE_ADMIN), "admin");
}

static void new_ids_are_v4_uuids_and_unique(void **unused)
{
    char a[USHER_OPID_SIZE], b[USHER_OPID_SIZE];
    op_new_id(a);
    op_new_id(b);
    assert_true(op_id_valid(a));
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '4');
    assert_true(strchr("89ab", a[19]) != NULL);
    assert_string_not_equal(a, b);
    assert_false(op_id_valid("not-a-uuid"));
    assert_false(op_id_valid("123e4567-e89b-12d3-a456-42661417400g"));
    assert_false(op_id_valid("123e4567e89b-12d3-a456-4266141740000"));
    assert_true(op_id_valid("123E4567-E89B-12D3-A456-426614174000"));
}

static void validate_accepts_well_formed_ops(void **unused)
{
    usher_op op = valid_assign();
    assert_int_equal(op_validate(&op, NULL), USHER_OK);
    usher_op ci;
    op_init(&ci, OP_CHECKIN, "door-1", 1795000000000LL);
    text_copy(ci.ticket, sizeof ci.ticket, "GALA-0001");
    assert_int_equal(op_validate(&ci, NULL), USHER_OK);
    usher_op un;
    op_init(&un, OP_UNASSIGN, "k", 1795000000000LL);
    text_copy(un.ticket, sizeof un.ticket, "GALA-0001");
    assert_int_equal(op_validate(&un, NULL), USHER_OK); /* seat is optional */
}

static void validate_names_the_bad_field(void **unused)
{
    usher_errmsg em = {{0}};
    usher_op op = valid_assign();
    op.seat[0] = '\0';
    assert_int_equal(op_validate(&op, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "seat: required for assign"));

    op = valid_assign();
    op.ticket[0] = '\0';
    assert_int_equal(op_validate(&op, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "ticket: required"));

    op = valid_assign();
    text_copy(op.ticket, sizeof op.ticket, "gala 1");
    assert_int_equal(op_validate(&op, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "is not a ticket code"));

    op = valid_assign();
    text_copy(op.seat, sizeof op.seat, "T01 01");
    assert_int_equal(op_validate(&op, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "seat:"));

    op = valid_assign();
    text_copy(op.id, sizeof op.id, "1234");
    assert_int_equal(op_validate(&op, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "id:"));

    op = valid_assign();
    op.kind = (op_kind)42;
    assert_int_equal(op_validate(&op, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "unknown operation"));
    assert_non_null(strstr(em.text, "unlease or scan_refused"));

    op = valid_assign();
    op.at = 0;
    assert_int_equal(op_validate(&op, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "at:"));

    usher_op ci;
    op_init(&ci, OP_CHECKIN, "door-1", 1795000000000LL);
    text_copy(ci.ticket, sizeof ci.ticket, "GALA-0001");
    text_copy(ci.seat, sizeof ci.seat, "T01-01");
    assert_int_equal(op_validate(&ci, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "seat: not taken by checkin"));

    usher_op h;
    op_init(&h, OP_HOLD, "k", 1795000000000LL);
    text_copy(h.seat, sizeof h.seat, "T01-01");
    h.ttl_ms = -5;
    assert_int_equal(op_validate(&h, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "ttl_ms"));
}

static void lease_ops_validate_their_ttl(void **unused)
{
    usher_errmsg em = {{0}};
    usher_op l;
    op_init(&l, OP_LEASE, "kiosk-1", 1795000000000LL);
    text_copy(l.seat, sizeof l.seat, "T01-01");
    assert_int_equal(op_validate(&l, &em), USHER_OK); /* ttl 0 = the default 30 min */
    l.ttl_ms = USHER_MAX_LEASE_TTL_MS;                /* 4 h */
    assert_int_equal(op_validate(&l, &em), USHER_OK);
    l.ttl_ms = USHER_MAX_LEASE_TTL_MS + 1;
    assert_int_equal(op_validate(&l, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "ttl_ms: must be 0..14400000 for lease"));
    l.ttl_ms = -1;
    assert_int_equal(op_validate(&l, &em), USHER_INVAL);
    /* Holds keep their 1 h limit. */
    usher_op h;
    op_init(&h, OP_HOLD, "kiosk-1", 1795000000000LL);
    text_copy(h.seat, sizeof h.seat, "T01-01");
    h.ttl_ms = USHER_MAX_HOLD_TTL_MS;
    assert_int_equal(op_validate(&h, &em), USHER_OK);
    h.ttl_ms = USHER_MAX_HOLD_TTL_MS + 1;
    assert_int_equal(op_validate(&h, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "ttl_ms: must be 0..3600000 for hold"));
    /* A lease names a seat and nothing else. */
    l.ttl_ms = 0;
    l.seat[0] = '\0';
    assert_int_equal(op_validate(&l, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "seat: required for lease"));
    usher_op u;
    op_init(&u, OP_UNLEASE, "kiosk-1", 1795000000000LL);
    text_copy(u.seat, sizeof u.seat, "T01-01");
    assert_int_equal(op_validate(&u, &em), USHER_OK);
    text_copy(u.ticket, sizeof u.ticket, "GALA-0001");
    assert_int_equal(op_validate(&u, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "ticket: not taken by unlease"));
}

static void errors_have_stable_codes_and_texts(void **unused)
{
    assert_int_equal(USHER_OK, 0);
    assert_int_equal(USHER_SCHEMA, 9);
    assert_string_equal(usher_errname(USHER_NOTFOUND), "NOTFOUND");
    assert_string_equal(usher_strerror(USHER_OK), "success");
    assert_string_equal(usher_strerror((usher_err)1234), "unknown error");
    usher_errmsg em = {{0}};
    assert_int_equal(usher_fail(&em, USHER_PARSE, "line %d: bad", 14), USHER_PARSE);
    assert_string_equal(em.text, "line 14: bad");
    usher_errmsg_prefix(&em, "%s", "tickets.csv");
    assert_string_equal(em.text, "tickets.csv: line 14: bad");
    assert_int_equal(usher_fail(NULL, USHER_IO, "ignored"), USHER_IO);
}

static void seat_classes(void **unused)
{
    assert_true(domain_class_allows("", "VIP"));
    assert_true(domain_class_allows("", ""));
    assert_true(domain_class_allows("VIP", "vip"));
    assert_false(domain_class_allows("VIP", ""));
    assert_false(domain_class_allows("VIP", "Regular"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(kind_names_round_trip),
    cmocka_unit_test(roles_may_do_only_their_ops),
    cmocka_unit_test(new_ids_are_v4_uuids_and_unique),
    cmocka_unit_test(validate_accepts_well_formed_ops),
    cmocka_unit_test(validate_names_the_bad_field),
    cmocka_unit_test(lease_ops_validate_their_ttl),
    cmocka_unit_test(errors_have_stable_codes_and_texts),
    cmocka_unit_test(seat_classes),
};

TESTUTIL_MAIN(tests)

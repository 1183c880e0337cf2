/* test_layout_change.c - layout_change_check: what a new layout may change
 * while tickets sit in the current one. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "layout_change.h"
#include "state.h"

#define CUR                                                                                        \
    "{\"sections\": [{\"kind\": \"table\", \"id\": \"T01\", \"x\": 0, \"y\": 0, \"seats\": 4},"    \
    " {\"kind\": \"row\", \"id\": \"A\", \"x\": 0, \"y\": 500, \"seats\": 3, \"class\": "          \
    "\"VIP\"}]}"

static layout *parse(const char *json)
{
    usher_errmsg em = {{0}};
    layout *l = NULL;
    if (layout_from_json(json, strlen(json), &l, &em) != USHER_OK)
        fail_msg("layout_from_json: %s\n%s", em.text, json);
    return l;
}

/* The message of checking `next` against CUR with T01-02 and A-1 taken;
 * "" when the change is allowed. */
static const char *check(const char *next, char *buf, size_t cap)
{
    layout *a = parse(CUR), *b = parse(next);
    layout_taken taken[] = {{"T01-02", "GALA-0002"}, {"A-1", "GALA-0005"}};
    usher_errmsg em = {{0}};
    usher_err err = layout_change_check(a, b, taken, 2, &em);
    snprintf(buf, cap, "%s", err ? em.text : "");
    if (err)
        assert_int_equal(err, USHER_CONFLICT);
    layout_free(a);
    layout_free(b);
    return buf;
}

static void allows_added_moved_and_free_seats_changed(void **ctx)
{
    (void)ctx;
    char m[USHER_ERRMSG_SIZE];
    /* moved drawings, a new section, a free seat's class changed, free seats dropped */
    assert_string_equal(
        check(
            "{\"sections\": [{\"kind\": \"table\", \"id\": \"T01\", \"x\": 900, \"y\": 40, "
            "\"seats\": 3},"
            " {\"kind\": \"row\", \"id\": \"A\", \"x\": 0, \"y\": 700, \"curve\": 30, \"seats\": ["
            "  {\"id\": \"A-1\", \"label\": \"1\", \"x\": 0, \"y\": 700, \"class\": \"VIP\"},"
            "  {\"id\": \"A-2\", \"label\": \"2\", \"x\": 60, \"y\": 700, \"class\": "
            "\"Wheelchair\"}]},"
            " {\"kind\": \"table\", \"id\": \"T02\", \"x\": 400, \"y\": 0, \"seats\": 8}]}",
            m, sizeof m),
        "");
    assert_string_equal(check(CUR, m, sizeof m), "");
}

static void refuses_a_taken_seat_dropped(void **ctx)
{
    (void)ctx;
    char m[USHER_ERRMSG_SIZE];
    assert_string_equal(
        check("{\"sections\": [{\"kind\": \"table\", \"id\": \"T01\", \"x\": 0, \"y\": 0, "
              "\"seats\": 1},"
              " {\"kind\": \"row\", \"id\": \"A\", \"x\": 0, \"y\": 500, \"seats\": 3, \"class\": "
              "\"VIP\"}]}",
              m, sizeof m),
        "seat T01-02 holds ticket GALA-0002: the new layout drops it; unseat or move the guest "
        "first, or keep the seat as it is");
}

static void refuses_a_taken_seat_renumbered_reclassed_or_moved(void **ctx)
{
    (void)ctx;
    char m[USHER_ERRMSG_SIZE];
    const char *tail = "{\"kind\": \"table\", \"id\": \"T01\", \"x\": 0, \"y\": 0, \"seats\": 4}]}";
    char next[1024];
    snprintf(next, sizeof next,
             "{\"sections\": [{\"kind\": \"row\", \"id\": \"A\", \"x\": 0, \"y\": 500, \"seats\": ["
             " {\"id\": \"A-1\", \"label\": \"7\", \"x\": 0, \"y\": 500, \"class\": \"VIP\"}]}, %s",
             tail);
    assert_string_equal(
        check(next, m, sizeof m),
        "seat A-1 holds ticket GALA-0005: the new layout renumbers it (seat 7, was 1); "
        "unseat or move the guest first, or keep the seat as it is");
    snprintf(next, sizeof next,
             "{\"sections\": [{\"kind\": \"row\", \"id\": \"A\", \"x\": 0, \"y\": 500, \"seats\": "
             "3}, %s",
             tail);
    assert_string_equal(
        check(next, m, sizeof m),
        "seat A-1 holds ticket GALA-0005: the new layout changes its class to \"\" (was "
        "\"VIP\"); unseat or move the guest first, or keep the seat as it is");
    snprintf(next, sizeof next,
             "{\"sections\": [{\"kind\": \"row\", \"id\": \"B\", \"x\": 0, \"y\": 500, \"seats\": ["
             " {\"id\": \"A-1\", \"label\": \"1\", \"x\": 0, \"y\": 500, \"class\": \"VIP\"}]}, %s",
             tail);
    assert_string_equal(
        check(next, m, sizeof m),
        "seat A-1 holds ticket GALA-0005: the new layout puts it in section B (was A); "
        "unseat or move the guest first, or keep the seat as it is");
}

static void refuses_no_layout(void **ctx)
{
    (void)ctx;
    usher_errmsg em = {{0}};
    assert_int_equal(layout_change_check(NULL, NULL, NULL, 0, &em), USHER_INVAL);
}

/* CUR with T01-02 seated (GALA-0002, checked in), A-1 seated (GALA-0005),
 * T01-04 blocked, A-3 held by kiosk-1, and GALA-0009 unseated and revoked. */
static state *busy_state(const layout *l)
{
    state_config cfg = {.reseat = RESEAT_NONE};
    state *st = state_new(l, &cfg);
    assert_non_null(st);
    const char *const codes[] = {"GALA-0002", "GALA-0005", "GALA-0009"};
    usher_errmsg em = {{0}};
    for (int i = 0; i < 3; i++)
        assert_int_equal(state_add_ticket(st, codes[i], "Guest", i == 1 ? "VIP" : "", NULL, &em),
                         USHER_OK);
    const struct {
        op_kind kind;
        const char *ticket, *seat;
    } steps[] = {
        {OP_ASSIGN, "GALA-0002", "T01-02"},
        {OP_ASSIGN, "GALA-0005", "A-1"},
        {OP_CHECKIN, "GALA-0002", ""},
        {OP_BLOCK, "", "T01-04"},
        {OP_HOLD, "", "A-3"},
        {OP_REVOKE, "GALA-0009", ""},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        usher_op op;
        op_init(&op, steps[i].kind, "kiosk-1", 1000);
        snprintf(op.id, sizeof op.id, "6e70656a-ca3f-48d3-a4ad-acc73e8370%02d", (int)i);
        snprintf(op.ticket, sizeof op.ticket, "%s", steps[i].ticket);
        snprintf(op.seat, sizeof op.seat, "%s", steps[i].seat);
        apply_result res;
        state_apply(st, &op, 1000, &res);
        if (res.v.status != VERDICT_ACCEPTED)
            fail_msg("step %zu: %s", i, verdict_reason_name(res.v.reason));
    }
    return st;
}

/* A new section and a free seat dropped: everything sitting stays put. */
static void apply_keeps_every_ticket_and_seat(void **ctx)
{
    (void)ctx;
    layout *a = parse(CUR);
    layout *b =
        parse("{\"sections\": [{\"kind\": \"table\", \"id\": \"T01\", \"x\": 900, \"y\": 0, "
              "\"seats\": 4}, {\"kind\": \"row\", \"id\": \"A\", \"x\": 0, \"y\": 500, "
              "\"seats\": 2, \"class\": \"VIP\"},"
              " {\"kind\": \"table\", \"id\": \"T02\", \"x\": 400, \"y\": 0, \"seats\": 6}]}");
    state *st = busy_state(a), *ns = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(layout_change_apply(st, b, &ns, &em), USHER_OK);
    assert_ptr_equal(state_layout(ns), b);
    assert_int_equal(state_seat_count(ns), 12);
    assert_string_equal(state_seat(ns, layout_find_seat(b, "T01-02"))->ticket, "GALA-0002");
    assert_string_equal(state_seat(ns, layout_find_seat(b, "A-1"))->ticket, "GALA-0005");
    assert_true(state_seat(ns, layout_find_seat(b, "T01-04"))->blocked);
    assert_string_equal(state_seat(ns, layout_find_seat(b, "T02-06"))->ticket, "");
    assert_int_equal(layout_find_seat(b, "A-3"), -1); /* the held free seat is gone */
    const ticket_state *t = state_ticket(ns, state_find_ticket(ns, "GALA-0002"));
    assert_string_equal(t->seat, "T01-02");
    assert_true(t->checked_in_at > 0);
    assert_true(state_ticket(ns, state_find_ticket(ns, "GALA-0009"))->revoked);
    assert_true(state_check(ns, &em));
    /* st itself is untouched */
    assert_ptr_equal(state_layout(st), a);
    assert_int_equal(state_seat_count(st), 7);
    layout_change_counts n;
    layout_change_count(a, b, &n);
    assert_int_equal(n.seats_added, 6);
    assert_int_equal(n.seats_dropped, 1);
    assert_int_equal(n.seats_kept, 6);
    assert_int_equal(n.sections_added, 1);
    assert_int_equal(n.sections_dropped, 0);
    state_free(ns);
    state_free(st);
    layout_free(b);
    layout_free(a);
}

/* Dropping a taken seat is refused with the rule's reason and no new state. */
static void apply_refuses_a_taken_seat_dropped(void **ctx)
{
    (void)ctx;
    layout *a = parse(CUR);
    layout *b = parse("{\"sections\": [{\"kind\": \"table\", \"id\": \"T05\", \"x\": 0, "
                      "\"y\": 0, \"seats\": 4}]}");
    state *st = busy_state(a), *ns = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(layout_change_apply(st, b, &ns, &em), USHER_CONFLICT);
    assert_null(ns);
    assert_string_equal(em.text, "seat T01-02 holds ticket GALA-0002: the new layout drops it; "
                                 "unseat or move the guest first, or keep the seat as it is");
    /* state_rebase alone keeps the invariant too: it refuses as well */
    assert_int_equal(state_rebase(st, b, &ns, &em), USHER_CONFLICT);
    assert_null(ns);
    state_free(st);
    layout_free(b);
    layout_free(a);
}

/* Before the event opens (nothing seated) any layout replaces any other. */
static void apply_before_opening_takes_any_layout(void **ctx)
{
    (void)ctx;
    layout *a = parse(CUR), *b = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(layout_generate("theatre:3x5", &b, &em), USHER_OK);
    state_config cfg = {0};
    state *st = state_new(a, &cfg), *ns = NULL;
    assert_int_equal(state_add_ticket(st, "GALA-0001", "Guest", "VIP", NULL, &em), USHER_OK);
    assert_int_equal(layout_change_apply(st, b, &ns, &em), USHER_OK);
    assert_int_equal(state_seat_count(ns), 15);
    assert_int_equal(state_ticket_count(ns), 1);
    state_free(ns);
    state_free(st);
    layout_free(b);
    layout_free(a);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(apply_keeps_every_ticket_and_seat),
    cmocka_unit_test(apply_refuses_a_taken_seat_dropped),
    cmocka_unit_test(apply_before_opening_takes_any_layout),
    cmocka_unit_test(allows_added_moved_and_free_seats_changed),
    cmocka_unit_test(refuses_a_taken_seat_dropped),
    cmocka_unit_test(refuses_a_taken_seat_renumbered_reclassed_or_moved),
    cmocka_unit_test(refuses_no_layout),
};

TESTUTIL_MAIN(tests)

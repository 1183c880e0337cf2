/* test_layout_change.c - layout_change_check: what a new layout may change
 * while tickets sit in the current one. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "layout_change.h"

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

static void allows_added_moved_and_free_seats_changed(void **state)
{
    (void)state;
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

static void refuses_a_taken_seat_dropped(void **state)
{
    (void)state;
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

static void refuses_a_taken_seat_renumbered_reclassed_or_moved(void **state)
{
    (void)state;
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

static void refuses_no_layout(void **state)
{
    (void)state;
    usher_errmsg em = {{0}};
    assert_int_equal(layout_change_check(NULL, NULL, NULL, 0, &em), USHER_INVAL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(allows_added_moved_and_free_seats_changed),
    cmocka_unit_test(refuses_a_taken_seat_dropped),
    cmocka_unit_test(refuses_a_taken_seat_renumbered_reclassed_or_moved),
    cmocka_unit_test(refuses_no_layout),
};

TESTUTIL_MAIN(tests)

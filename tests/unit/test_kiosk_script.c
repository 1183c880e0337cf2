/* test_kiosk_script.c - the kiosk's script language: every command, quoting,
 * comments, and clear errors (kiosk/script.c). */
#include "testutil.h"

#include <string.h>

#include "script.h"

static kscript_cmd parse_ok(const char *line)
{
    kscript_cmd c;
    usher_errmsg em = {{0}};
    usher_err err = kscript_parse(line, 7, &c, &em);
    if (err)
        fail_msg("%s: %s", line, em.text);
    assert_int_equal(c.line, 7);
    return c;
}

static void parses_every_command(void **unused)
{
    kscript_cmd c = parse_ok("tap 10 20.5");
    assert_int_equal(c.kind, SC_TAP);
    assert_true(c.x == 10 && c.y == 20.5f);
    c = parse_ok("tap seat T07-03");
    assert_int_equal(c.kind, SC_TAP_SEAT);
    assert_string_equal(c.arg, "T07-03");
    c = parse_ok("tap button confirm");
    assert_int_equal(c.kind, SC_TAP_BUTTON);
    assert_string_equal(c.arg, "confirm");
    assert_int_equal(parse_ok("down 1 2").kind, SC_DOWN);
    assert_int_equal(parse_ok("move 1 2").kind, SC_MOVE);
    assert_int_equal(parse_ok("up 1 2").kind, SC_UP);
    c = parse_ok("drag 1 2 3 4");
    assert_true(c.kind == SC_DRAG && c.x2 == 3 && c.y2 == 4);
    c = parse_ok("zoom 2.5");
    assert_true(c.kind == SC_ZOOM && c.factor == 2.5 && c.x < 0);
    c = parse_ok("zoom 0.5 100 200");
    assert_true(c.x == 100 && c.y == 200);
    c = parse_ok("type GALA-0001");
    assert_true(c.kind == SC_TYPE && !strcmp(c.arg, "GALA-0001"));
    c = parse_ok("key Return");
    assert_true(c.kind == SC_KEY && !strcmp(c.arg, "Return"));
    c = parse_ok("scan U1.ABC.DEF");
    assert_true(c.kind == SC_SCAN && !strcmp(c.end, "enter"));
    assert_string_equal(parse_ok("scan X tab").end, "tab");
    assert_string_equal(parse_ok("scan X none").end, "none");
    c = parse_ok("wait 250");
    assert_true(c.kind == SC_WAIT && c.ms == 250);
    assert_int_equal(parse_ok("sleep 10").kind, SC_SLEEP);
    c = parse_ok("stall 3000");
    assert_true(c.kind == SC_STALL && c.ms == 3000);
    c = parse_ok("shot seat-map_1");
    assert_true(c.kind == SC_SHOT && !strcmp(c.arg, "seat-map_1"));
}

static void parses_expectations(void **unused)
{
    kscript_cmd c = parse_ok("expect screen seatmap");
    assert_true(c.kind == SC_EXPECT && c.what == EX_SCREEN && !c.await);
    c = parse_ok("expect text \"Table 7, seat 3\"");
    assert_true(c.what == EX_TEXT && !strcmp(c.arg, "Table 7, seat 3"));
    c = parse_ok("expect text \"say \\\"hi\\\"\"");
    assert_string_equal(c.arg, "say \"hi\"");
    c = parse_ok("expect seat T01-01 mine");
    assert_true(c.what == EX_SEAT && !strcmp(c.arg, "T01-01") && !strcmp(c.arg2, "mine"));
    c = parse_ok("await verdict admitted");
    assert_true(c.what == EX_VERDICT && c.await && c.ms > 0);
    assert_int_equal(parse_ok("expect notext \"x\"").what, EX_NOTEXT);
    assert_int_equal(parse_ok("expect button ok").what, EX_BUTTON);
}

static void blank_lines_and_comments_do_nothing(void **unused)
{
    assert_int_equal(parse_ok("").kind, SC_NONE);
    assert_int_equal(parse_ok("   \t").kind, SC_NONE);
    assert_int_equal(parse_ok("# tap 1 2").kind, SC_NONE);
    assert_int_equal(parse_ok("tap 1 2 # the corner").kind, SC_TAP);
}

static void refuses_what_it_cannot_read(void **unused)
{
    static const char *const bad[] = {
        "tap",
        "tap 1",
        "tap x y",
        "tap seat",
        "wait",
        "wait -1",
        "wait 1s",
        "stall",
        "stall -5",
        "stall 3600001",
        "zoom 0",
        "zoom -2",
        "zoom 2 1",
        "key",
        "shot a/b",
        "shot",
        "expect",
        "expect screen",
        "expect seat T01-01",
        "expect colour red",
        "scan X later",
        "type \"open",
        "fly 1 2",
        "tap 1 2 3 4 5 6 7",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kscript_cmd c;
        usher_errmsg em = {{0}};
        if (kscript_parse(bad[i], 3, &c, &em) != USHER_PARSE)
            fail_msg("accepted: %s", bad[i]);
        assert_non_null(strstr(em.text, "line 3: "));
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(parses_every_command),
    cmocka_unit_test(parses_expectations),
    cmocka_unit_test(blank_lines_and_comments_do_nothing),
    cmocka_unit_test(refuses_what_it_cannot_read),
};

TESTUTIL_MAIN(tests)

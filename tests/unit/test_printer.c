/* test_printer.c - a device's printer report: the state words, which states
 * fail, CUPS queue names, and the report's rules. */
#include "testutil.h"

#include <string.h>

#include "printer.h"
#include "text.h"

static void state_words_round_trip(void **unused)
{
    (void)unused;
    for (int s = PRINTER_OK; s <= PRINTER_NO_CUPS; s++)
        assert_int_equal(printer_state_parse(printer_state_name((printer_state)s)), s);
    assert_string_equal(printer_state_name(PRINTER_NO_PAPER), "out_of_paper");
    assert_int_equal(printer_state_parse("OK"), -1);
    assert_int_equal(printer_state_parse(""), -1);
    assert_int_equal(printer_state_parse(NULL), -1);
}

static void failing_states(void **unused)
{
    (void)unused;
    assert_false(printer_state_failing(PRINTER_OK));
    assert_false(printer_state_failing(PRINTER_UNKNOWN));
    assert_true(printer_state_failing(PRINTER_OFFLINE));
    assert_true(printer_state_failing(PRINTER_NO_PAPER));
    assert_true(printer_state_failing(PRINTER_STOPPED));
    assert_true(printer_state_failing(PRINTER_MISSING));
    assert_true(printer_state_failing(PRINTER_NO_CUPS));
}

static void queue_names(void **unused)
{
    (void)unused;
    assert_true(printer_name_ok("door-printer"));
    assert_true(printer_name_ok("Cups_PDF.2"));
    assert_false(printer_name_ok(""));
    assert_false(printer_name_ok("a b"));
    assert_false(printer_name_ok("a/b"));
    assert_false(printer_name_ok("a#b"));
    assert_false(printer_name_ok("a\\b"));
    assert_false(printer_name_ok("a\tb"));
    char longname[200];
    memset(longname, 'p', sizeof longname);
    longname[127] = '\0';
    assert_true(printer_name_ok(longname));
    longname[127] = 'p';
    longname[128] = '\0';
    assert_false(printer_name_ok(longname));
}

static void report_rules(void **unused)
{
    (void)unused;
    printer_report r;
    memset(&r, 0, sizeof r);
    assert_false(printer_report_ok(&r)); /* no name */
    text_copy(r.name, sizeof r.name, "p");
    assert_true(printer_report_ok(&r));
    r.waiting = PRINTER_COUNT_MAX + 1;
    assert_false(printer_report_ok(&r));
    r.waiting = 3;
    r.printed = -1;
    assert_false(printer_report_ok(&r));
    r.printed = 0;
    r.state = (printer_state)99;
    assert_false(printer_report_ok(&r));
    r.state = PRINTER_OK;
    text_copy(r.problem, sizeof r.problem, "bell\a");
    assert_false(printer_report_ok(&r));
    text_copy(r.problem, sizeof r.problem, "\xc3");
    assert_false(printer_report_ok(&r));
    text_copy(r.problem, sizeof r.problem, "offline (paused) · Ünïcode");
    assert_true(printer_report_ok(&r));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(state_words_round_trip),
    cmocka_unit_test(failing_states),
    cmocka_unit_test(queue_names),
    cmocka_unit_test(report_rules),
};

TESTUTIL_MAIN(tests)

/* test_coord_printers.c - the devices' printers on the coordinator: since
 * when each has been failing by the coordinator's clock, the alert after a
 * while, back to fine, forgotten when a sync carries none, garbage ignored. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "coord_printers.h"
#include "text.h"

#define T0 1795000000000LL
#define ALERT 60000

static printer_report rep(printer_state s, int64_t waiting)
{
    printer_report r;
    memset(&r, 0, sizeof r);
    r.state = s;
    text_copy(r.name, sizeof r.name, "door-printer");
    r.waiting = waiting;
    return r;
}

static void failing_for_a_while_alerts(void **unused)
{
    (void)unused;
    coord_printers *p = coord_printers_new(ALERT);
    assert_non_null(p);
    coord_printer c;
    assert_false(coord_printers_get(p, "door-1", T0, &c));
    printer_report ok = rep(PRINTER_OK, 0), off = rep(PRINTER_OFFLINE, 3);
    assert_true(coord_printers_report(p, "door-1", &ok, T0));
    assert_true(coord_printers_get(p, "door-1", T0, &c));
    assert_int_equal(c.failing_since, 0);
    assert_false(c.alert);
    /* offline: failing since its first report, not its latest */
    assert_true(coord_printers_report(p, "door-1", &off, T0 + 1000));
    assert_true(coord_printers_report(p, "door-1", &off, T0 + 20000));
    assert_true(coord_printers_get(p, "door-1", T0 + 20000, &c));
    assert_int_equal(c.failing_since, T0 + 1000);
    assert_int_equal(c.seen_at, T0 + 20000);
    assert_int_equal(c.report.waiting, 3);
    assert_false(c.alert);
    assert_true(coord_printers_get(p, "door-1", T0 + 1000 + ALERT, &c));
    assert_true(c.alert);
    coord_printers_counts n;
    coord_printers_count(p, T0 + 1000 + ALERT, &n);
    assert_int_equal(n.printers, 1);
    assert_int_equal(n.failing, 1);
    assert_int_equal(n.alerting, 1);
    assert_int_equal(n.waiting, 3);
    /* out of paper next is still the same trouble */
    printer_report paper = rep(PRINTER_NO_PAPER, 4);
    assert_true(coord_printers_report(p, "door-1", &paper, T0 + 90000));
    assert_true(coord_printers_get(p, "door-1", T0 + 90000, &c));
    assert_int_equal(c.failing_since, T0 + 1000);
    /* back: fine again, the next failure counts from its own start */
    assert_true(coord_printers_report(p, "door-1", &ok, T0 + 100000));
    assert_true(coord_printers_get(p, "door-1", T0 + 100000, &c));
    assert_int_equal(c.failing_since, 0);
    assert_false(c.alert);
    coord_printers_free(p);
    coord_printers_free(NULL);
}

static void no_printer_is_forgotten_and_garbage_ignored(void **unused)
{
    (void)unused;
    coord_printers *p = coord_printers_new(ALERT);
    printer_report off = rep(PRINTER_OFFLINE, 1);
    char name[32];
    for (int i = 40; i >= 0; i--) { /* out of order: the table keeps them sorted */
        snprintf(name, sizeof name, "door-%02d", i);
        assert_true(coord_printers_report(p, name, &off, T0));
    }
    coord_printer c;
    assert_true(coord_printers_report(p, "door-07", NULL, T0 + 1));
    assert_false(coord_printers_get(p, "door-07", T0 + 1, &c));
    assert_true(coord_printers_get(p, "door-08", T0 + 1, &c));
    assert_true(coord_printers_get(p, "door-00", T0 + 1, &c));
    assert_true(coord_printers_get(p, "door-40", T0 + 1, &c));
    coord_printers_counts n;
    coord_printers_count(p, T0, &n);
    assert_int_equal(n.printers, 40);
    printer_report bad = rep(PRINTER_OK, 0);
    text_copy(bad.name, sizeof bad.name, "two words");
    assert_false(coord_printers_report(p, "door-08", &bad, T0 + 2));
    bad = rep((printer_state)42, 0);
    assert_false(coord_printers_report(p, "door-08", &bad, T0 + 2));
    bad = rep(PRINTER_OK, -3);
    assert_false(coord_printers_report(p, "door-08", &bad, T0 + 2));
    assert_true(coord_printers_get(p, "door-08", T0 + 2, &c));
    assert_int_equal(c.report.state, PRINTER_OFFLINE); /* unchanged */
    assert_int_equal(c.seen_at, T0);
    assert_null(coord_printers_new(0));
    coord_printers_free(p);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(failing_for_a_while_alerts),
    cmocka_unit_test(no_printer_is_forgotten_and_garbage_ignored),
};

TESTUTIL_MAIN(tests)

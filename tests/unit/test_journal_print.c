/* test_journal_print.c - the printer's part of a device journal on real
 * SQLite files: the report and the cards waiting saved in one transaction,
 * read back by a second connection (usher-syncd's), garbage rows and bad
 * input refused with nothing written. */
#include "testutil.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "journal_print.h"
#include "text.h"

#define NOW 1795000000000LL

typedef struct fx {
    char *dir, *path;
    journal *j;
} fx;

static int setup(void **ctx)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = testutil_tmpdir();
    f->path = testutil_path(f->dir, "journal.db");
    usher_errmsg em = {{0}};
    if (journal_open(f->path, &f->j, &em) != USHER_OK)
        fail_msg("journal_open: %s", em.text);
    *ctx = f;
    return 0;
}

static int teardown(void **ctx)
{
    fx *f = *ctx;
    journal_free(f->j);
    testutil_rmtree(f->dir);
    free(f->path);
    free(f->dir);
    free(f);
    return 0;
}

static printer_report report(printer_state s, int64_t waiting)
{
    printer_report r;
    memset(&r, 0, sizeof r);
    r.state = s;
    text_copy(r.name, sizeof r.name, "door-printer");
    r.waiting = waiting;
    r.printed = 7;
    text_copy(r.problem, sizeof r.problem, "offline (offline-report)");
    return r;
}

static void free_cards(char **cards, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(cards[i]);
    free(cards);
}

static void fresh_journal_has_no_printer(void **ctx)
{
    fx *f = *ctx;
    printer_report r;
    bool has = true;
    assert_int_equal(journal_print_report(f->j, &r, &has, NULL), USHER_OK);
    assert_false(has);
    char **cards = (char **)1;
    size_t n = 9;
    assert_int_equal(journal_print_cards(f->j, &cards, &n, NULL), USHER_OK);
    assert_int_equal(n, 0);
    assert_null(cards);
}

static void report_and_cards_seen_by_a_second_connection(void **ctx)
{
    fx *f = *ctx;
    printer_report r = report(PRINTER_OFFLINE, 2);
    const char *cards[] = {"{\"code\":\"GALA-0001\"}", "{\"code\":\"GALA-0002\"}"};
    usher_errmsg em = {{0}};
    assert_int_equal(journal_print_save(f->j, &r, cards, 2, NOW, &em), USHER_OK);
    journal *other = NULL;
    assert_int_equal(journal_open(f->path, &other, &em), USHER_OK);
    printer_report back;
    bool has = false;
    assert_int_equal(journal_print_report(other, &back, &has, &em), USHER_OK);
    assert_true(has);
    assert_int_equal(back.state, PRINTER_OFFLINE);
    assert_string_equal(back.name, "door-printer");
    assert_int_equal(back.waiting, 2);
    assert_int_equal(back.printed, 7);
    assert_string_equal(back.problem, "offline (offline-report)");
    char **got = NULL;
    size_t n = 0;
    assert_int_equal(journal_print_cards(other, &got, &n, &em), USHER_OK);
    assert_int_equal(n, 2);
    assert_string_equal(got[0], cards[0]); /* oldest first */
    assert_string_equal(got[1], cards[1]);
    free_cards(got, n);
    /* printed: the queue empties, the state is ok; then no printer at all */
    r = report(PRINTER_OK, 0);
    r.problem[0] = '\0';
    assert_int_equal(journal_print_save(f->j, &r, NULL, 0, NOW + 1, &em), USHER_OK);
    assert_int_equal(journal_print_cards(other, &got, &n, &em), USHER_OK);
    assert_int_equal(n, 0);
    assert_int_equal(journal_print_report(other, &back, &has, &em), USHER_OK);
    assert_true(has);
    assert_int_equal(back.state, PRINTER_OK);
    assert_int_equal(journal_print_save(f->j, NULL, NULL, 0, NOW + 2, &em), USHER_OK);
    assert_int_equal(journal_print_report(other, &back, &has, &em), USHER_OK);
    assert_false(has);
    journal_free(other);
}

static void bad_input_writes_nothing(void **ctx)
{
    fx *f = *ctx;
    printer_report good = report(PRINTER_NO_PAPER, 1);
    const char *one[] = {"card"};
    usher_errmsg em = {{0}};
    assert_int_equal(journal_print_save(f->j, &good, one, 1, NOW, &em), USHER_OK);
    printer_report bad = good;
    text_copy(bad.name, sizeof bad.name, "has space");
    assert_int_equal(journal_print_save(f->j, &bad, NULL, 0, NOW, &em), USHER_INVAL);
    bad = good;
    bad.waiting = -1;
    assert_int_equal(journal_print_save(f->j, &bad, NULL, 0, NOW, &em), USHER_INVAL);
    const char *empty[] = {""};
    assert_int_equal(journal_print_save(f->j, &good, empty, 1, NOW, &em), USHER_INVAL);
    assert_int_equal(journal_print_save(f->j, &good, one, JOURNAL_PRINT_CARDS_MAX + 1, NOW, &em),
                     USHER_INVAL);
    /* still the first save */
    char **got = NULL;
    size_t n = 0;
    assert_int_equal(journal_print_cards(f->j, &got, &n, &em), USHER_OK);
    assert_int_equal(n, 1);
    assert_string_equal(got[0], "card");
    free_cards(got, n);
    printer_report back;
    bool has = false;
    assert_int_equal(journal_print_report(f->j, &back, &has, &em), USHER_OK);
    assert_true(has);
    assert_int_equal(back.state, PRINTER_NO_PAPER);
}

static void garbage_row_is_not_a_report(void **ctx)
{
    fx *f = *ctx;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    static const char *const rows[] = {
        "INSERT OR REPLACE INTO printer VALUES (1, 'on fire', 'p', 0, 0, '', 1)",
        "INSERT OR REPLACE INTO printer VALUES (1, 'ok', 'a b', 0, 0, '', 1)",
        "INSERT OR REPLACE INTO printer VALUES (1, 'ok', 'p', -5, 0, '', 1)",
        "INSERT OR REPLACE INTO printer VALUES (1, 'ok', 'p', 0, 0, char(7), 1)",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_int_equal(sqlite3_exec(db, rows[i], NULL, NULL, NULL), SQLITE_OK);
        printer_report r;
        bool has = true;
        assert_int_equal(journal_print_report(f->j, &r, &has, NULL), USHER_OK);
        if (has)
            fail_msg("row %zu read as a report", i);
    }
    sqlite3_close(db);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(fresh_journal_has_no_printer, setup, teardown),
    cmocka_unit_test_setup_teardown(report_and_cards_seen_by_a_second_connection, setup, teardown),
    cmocka_unit_test_setup_teardown(bad_input_writes_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(garbage_row_is_not_a_report, setup, teardown),
};

TESTUTIL_MAIN(tests)

/* test_cli.c - command-line option parsing and its one-line errors. */
#include "testutil.h"

#include <string.h>

#include "cli.h"

static const cli_spec specs[] = {{"db", true}, {"count", true}, {"headless", false}};
#define NSPECS 3

static usher_err parse(int argc, char **argv, cli *c, usher_errmsg *em)
{
    return cli_parse(specs, NSPECS, argc, argv, c, em);
}

static void options_and_words_in_any_order(void **unused)
{
    char *argv[] = {"import", "--db", "e.db", "--headless", "t.csv", "--count=5"};
    cli c;
    assert_int_equal(parse(6, argv, &c, NULL), USHER_OK);
    assert_string_equal(cli_get(specs, NSPECS, &c, "db"), "e.db");
    assert_string_equal(cli_get(specs, NSPECS, &c, "count"), "5");
    assert_string_equal(cli_get(specs, NSPECS, &c, "headless"), "");
    assert_null(cli_get(specs, NSPECS, &c, "nope"));
    assert_int_equal(c.nargs, 2);
    assert_string_equal(c.args[0], "import");
    assert_string_equal(c.args[1], "t.csv");
}

static void errors_name_the_option(void **unused)
{
    cli c;
    usher_errmsg em = {{0}};
    char *a1[] = {"--dbx", "x"};
    assert_int_equal(parse(2, a1, &c, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "unknown option '--dbx'"));
    char *a2[] = {"--db"};
    assert_int_equal(parse(1, a2, &c, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "--db needs a value"));
    char *a3[] = {"--db", "a", "--db", "b"};
    assert_int_equal(parse(4, a3, &c, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "given twice"));
    char *a4[] = {"--headless=1"};
    assert_int_equal(parse(1, a4, &c, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "takes no value"));
    char *a5[] = {"--db="};
    assert_int_equal(parse(1, a5, &c, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "non-empty"));
    char *a6[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
    assert_int_equal(parse(9, a6, &c, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "unexpected argument '9'"));
}

static void help_is_noticed(void **unused)
{
    char *a[] = {"--db", "x", "-h"};
    assert_true(cli_wants_help(3, a));
    char *b[] = {"--db", "x"};
    assert_false(cli_wants_help(2, b));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(options_and_words_in_any_order),
    cmocka_unit_test(errors_name_the_option),
    cmocka_unit_test(help_is_noticed),
};

TESTUTIL_MAIN(tests)

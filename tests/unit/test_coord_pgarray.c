/* test_coord_pgarray.c - PostgreSQL array literals in text form (syncd/coord/pgarray.c):
 * quoting and escaping of every awkward character, numbers, not-UTF-8 text,
 * reuse. The literals' meaning on a real server is checked end to end by
 * pgstore.awkward_text_round_trips. */
#include "testutil.h"

#include <stdint.h>
#include <string.h>

#include "pgarray.h"

static void texts_quoted_and_escaped(void **unused)
{
    (void)unused;
    pgarray a = {0};
    pgarray_text(&a, "T05-01");
    pgarray_text(&a, "Smith, Jane \"JJ\"");
    pgarray_text(&a, "back\\slash {brace} NULL");
    pgarray_text(&a, "");
    pgarray_text(&a, NULL);
    pgarray_text(&a, "Zoë 李小龙");
    assert_string_equal(pgarray_finish(&a), "{\"T05-01\",\"Smith, Jane \\\"JJ\\\"\","
                                            "\"back\\\\slash {brace} NULL\",\"\",\"\","
                                            "\"Zoë 李小龙\"}");
    assert_int_equal(a.count, 6);
    pgarray_release(&a);
}

static void numbers(void **unused)
{
    (void)unused;
    pgarray a = {0};
    pgarray_i64(&a, 0);
    pgarray_i64(&a, -1);
    pgarray_i64(&a, INT64_MAX);
    pgarray_i64(&a, INT64_MIN);
    assert_string_equal(pgarray_finish(&a), "{0,-1,9223372036854775807,-9223372036854775808}");
    pgarray_release(&a);
}

static void empty_and_reuse(void **unused)
{
    (void)unused;
    pgarray a = {0};
    assert_string_equal(pgarray_finish(&a), "{}");
    pgarray_clear(&a);
    pgarray_text(&a, "x");
    assert_string_equal(pgarray_finish(&a), "{\"x\"}");
    pgarray_clear(&a);
    assert_int_equal(a.count, 0);
    pgarray_i64(&a, 7);
    assert_string_equal(pgarray_finish(&a), "{7}");
    pgarray_release(&a);
    assert_null(a.s);
    pgarray_release(&a); /* twice is fine */
}

static void not_utf8_made_safe(void **unused)
{
    (void)unused;
    pgarray a = {0};
    pgarray_text(&a, "caf\xc3"); /* a copy cut in half a character */
    pgarray_text(&a, "\xff\"\xfe");
    assert_string_equal(pgarray_finish(&a), "{\"caf?\",\"?\\\"?\"}");
    pgarray_release(&a);
}

static void long_text_grows(void **unused)
{
    (void)unused;
    pgarray a = {0};
    char big[5000];
    memset(big, '"', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < 50; i++)
        pgarray_text(&a, big);
    const char *lit = pgarray_finish(&a);
    assert_non_null(lit);
    /* each element: 2 quotes + 2 bytes a '"', commas between, braces */
    assert_int_equal(strlen(lit), 50 * (2 + 2 * 4999) + 49 + 2);
    pgarray_release(&a);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(texts_quoted_and_escaped), cmocka_unit_test(numbers),
    cmocka_unit_test(empty_and_reuse),          cmocka_unit_test(not_utf8_made_safe),
    cmocka_unit_test(long_text_grows),
};

TESTUTIL_MAIN(tests)

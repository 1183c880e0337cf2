/* test_fold.c - case and accent folding in several scripts (utf8proc). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "fold.h"

static void folds_latin_case_and_accents(void **state)
{
    (void)state;
    assert_true(fold_equal("Ångström", "angstrom"));
    assert_true(fold_equal("ZOË", "zoe"));
    assert_true(fold_equal("Émile", "emile"));
    assert_true(fold_equal("Nguyễn", "nguyen"));
    assert_true(fold_equal("Straße", "STRASSE"));
    assert_false(fold_equal("Anna", "Anne"));
}

static void folds_other_scripts(void **state)
{
    (void)state;
    assert_true(fold_equal("НАБОКОВ", "набоков"));
    assert_true(fold_equal("Ἀθῆναι", "αθηναι"));
    assert_true(fold_contains("Владимир Набоков", "набоков"));
    /* Scripts without case are left as they are. */
    assert_true(fold_equal("王小明", "王小明"));
    assert_true(fold_contains("محمد علي", "علي"));
}

static void folds_white_space(void **state)
{
    (void)state;
    char *f = fold_dup("  Jean \t\n Dupont  ");
    assert_non_null(f);
    assert_string_equal(f, "jean dupont");
    free(f);
}

static void contains_and_bounds(void **state)
{
    (void)state;
    assert_true(fold_contains("Zoë Ångström", ""));
    assert_true(fold_contains("Zoë Ångström", "ANGS"));
    assert_false(fold_contains("Zoë", "zoey"));
    char small[4];
    assert_int_equal(fold_into("Ångström", small, sizeof small), USHER_TOOBIG);
    assert_string_equal(small, "");
    char big[32];
    assert_int_equal(fold_into("Ångström", big, sizeof big), USHER_OK);
    assert_string_equal(big, "angstrom");
}

static void refuses_invalid_utf8(void **state)
{
    (void)state;
    assert_null(fold_dup("Jos\xe9"));
    assert_false(fold_contains("Jos\xe9", "jos"));
    assert_false(fold_equal("\xff", "\xff"));
    char out[8];
    assert_int_equal(fold_into("\xc3", out, sizeof out), USHER_PARSE);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(folds_latin_case_and_accents),
    cmocka_unit_test(folds_other_scripts),
    cmocka_unit_test(folds_white_space),
    cmocka_unit_test(contains_and_bounds),
    cmocka_unit_test(refuses_invalid_utf8),
};

TESTUTIL_MAIN(tests)

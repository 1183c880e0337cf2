/* test_coord_pgdump.c - backup's running of pg_dump: real programs of the
 * machine in its place (false, true, ls, a name in no folder of PATH), so
 * that every way it can fail is seen to leave no file; the real pg_dump is
 * run by the integration tests (pgstore.backup_with_pg_dump). */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coord_pgdump.h"

/* How many entries folder dir holds. */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void failures_leave_no_file(void **unused)
{
    (void)unused;
    char *dir = testutil_tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s/b.dump", dir);
    usher_errmsg em = {{0}};
    assert_int_equal(coord_pgdump("usher-no-such-pg_dump", "dbname=x", out, &em), USHER_IO);
    assert_non_null(strstr(em.text, "not installed"));
    assert_non_null(strstr(em.text, "postgresql-client"));
    assert_int_equal(entries(dir), 0);
    assert_int_equal(coord_pgdump("false", "dbname=x", out, &em), USHER_IO);
    assert_non_null(strstr(em.text, "exit status 1"));
    assert_int_equal(entries(dir), 0);
    /* ls -Fc -d WHERE -f TMP: WHERE is no file, so it fails saying so. */
    assert_int_equal(coord_pgdump("ls", "/usher-nowhere-at-all", out, &em), USHER_IO);
    assert_non_null(strstr(em.text, "exit status 2"));
    assert_non_null(strstr(em.text, "usher-nowhere-at-all")); /* its own words */
    assert_null(strchr(em.text, '\n'));
    assert_int_equal(entries(dir), 0);
    assert_int_equal(coord_pgdump("true", "dbname=x", out, &em), USHER_IO);
    assert_non_null(strstr(em.text, "wrote nothing"));
    assert_int_equal(entries(dir), 0);
    testutil_rmtree(dir);
    free(dir);
}

static void out_checked(void **unused)
{
    (void)unused;
    char *dir = testutil_tmpdir();
    char out[4096];
    usher_errmsg em = {{0}};
    snprintf(out, sizeof out, "%s/missing/b.dump", dir);
    assert_int_equal(coord_pgdump("true", "dbname=x", out, &em), USHER_IO);
    assert_non_null(strstr(em.text, "No such file or directory"));
    assert_int_equal(entries(dir), 0);
    snprintf(out, sizeof out, "%s/b.dump", dir);
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fputs("older", f);
    fclose(f);
    assert_int_equal(coord_pgdump("true", "dbname=x", out, &em), USHER_EXISTS);
    assert_non_null(strstr(em.text, "never overwrites"));
    assert_int_equal(entries(dir), 1);
    assert_int_equal(coord_pgdump("true", "dbname=x", "", &em), USHER_INVAL);
    testutil_rmtree(dir);
    free(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(failures_leave_no_file),
    cmocka_unit_test(out_checked),
};

TESTUTIL_MAIN(tests)

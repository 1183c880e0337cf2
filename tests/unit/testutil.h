/* testutil.h - helpers shared by the unit tests: temporary folders, fixtures,
 * and a main() that lets ctest run one case at a time. */
#ifndef USHER_TESTUTIL_H
#define USHER_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* A fresh empty folder under $TMPDIR (or /tmp), removed by testutil_rmtree.
 * Returns a malloc'd path. */
char *testutil_tmpdir(void);
/* Removes a folder and everything in it (best effort). */
void testutil_rmtree(const char *path);
/* Joins folder and name into a malloc'd path. */
char *testutil_path(const char *dir, const char *name);
/* Reads a file under tests/data into a malloc'd NUL-terminated buffer. */
char *testutil_fixture(const char *name, size_t *len);
/* Writes len bytes to path; asserts on failure. */
void testutil_write(const char *path, const char *data, size_t len);

/* Runs the group, or only the case named by argv[1] when given (ctest does). */
#define TESTUTIL_MAIN(tests)                                                                       \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        if (argc > 1)                                                                              \
            cmocka_set_test_filter(argv[1]);                                                       \
        return cmocka_run_group_tests(tests, NULL, NULL);                                          \
    }

#endif

/* test_wake.c - kiosk-to-syncd nudges over local datagram sockets. */
#include "testutil.h"

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wake.h"

static bool readable(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void abstract_socket_receives_a_nudge(void **unused)
{
    char dir_name[WAKE_NAME_SIZE];
    char *dir = testutil_tmpdir();
    char *db = testutil_path(dir, "journal.db");
    testutil_write(db, "", 0);
    wake_default_name(db, dir_name);
    assert_int_equal(dir_name[0], '@');
    int fd = wake_listen(dir_name, NULL);
    assert_true(fd >= 0);
    assert_false(readable(fd, 0));
    wake_send(dir_name);
    wake_send(dir_name);
    assert_true(readable(fd, 1000));
    wake_drain(fd);
    assert_false(readable(fd, 0));
    /* A second listener on the same name is refused with a reason. */
    usher_errmsg em = {{0}};
    assert_int_equal(wake_listen(dir_name, &em), -1);
    assert_non_null(strstr(em.text, "another usher-syncd"));
    close(fd);
    free(db);
    testutil_rmtree(dir);
    free(dir);
}

static void file_socket_and_nobody_listening(void **unused)
{
    char *dir = testutil_tmpdir();
    char *path = testutil_path(dir, "wake.sock");
    wake_send(path); /* nobody listens: nothing happens, nothing blocks */
    int fd = wake_listen(path, NULL);
    assert_true(fd >= 0);
    wake_send(path);
    assert_true(readable(fd, 1000));
    close(fd);
    usher_errmsg em = {{0}};
    assert_int_equal(wake_listen("", &em), -1);
    assert_non_null(strstr(em.text, "empty or too long"));
    free(path);
    testutil_rmtree(dir);
    free(dir);
}

static void default_names_differ_by_journal(void **unused)
{
    char a[WAKE_NAME_SIZE], b[WAKE_NAME_SIZE];
    wake_default_name("/tmp/a.db", a);
    wake_default_name("/tmp/b.db", b);
    assert_string_not_equal(a, b);
    wake_default_name("/tmp/a.db", b);
    assert_string_equal(a, b);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(abstract_socket_receives_a_nudge),
    cmocka_unit_test(file_socket_and_nobody_listening),
    cmocka_unit_test(default_names_differ_by_journal),
};

TESTUTIL_MAIN(tests)

/* test_sdnotify.c - the sd_notify module: when a ping is due and how long the
 * loop may sleep (pure), and what reaches a real datagram socket named by
 * NOTIFY_SOCKET through libsystemd, as systemd would receive it. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"

static void due_every_quarter_and_sleep_capped_at_half(void **unused)
{
    (void)unused;
    sdnotify n = {.watchdog_ms = 2000};
    assert_true(sdnotify_due(&n, 5)); /* none sent yet */
    n.last_ping = 1000;
    assert_false(sdnotify_due(&n, 1000));
    assert_false(sdnotify_due(&n, 1499));
    assert_true(sdnotify_due(&n, 1500));
    assert_int_equal(sdnotify_cap_wait(&n, 60000), 1000);
    assert_int_equal(sdnotify_cap_wait(&n, 200), 200);
    assert_int_equal(sdnotify_cap_wait(&n, 0), 0);
    sdnotify off = {0};
    assert_false(sdnotify_due(&off, 123456));
    assert_int_equal(sdnotify_cap_wait(&off, 60000), 60000);
}

typedef struct listener {
    int fd;
    char path[108];
    char *dir;
} listener;

static listener listen_here(void)
{
    listener l;
    l.dir = testutil_tmpdir();
    snprintf(l.path, sizeof l.path, "%s/notify", l.dir);
    l.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    assert_true(l.fd >= 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, l.path, strlen(l.path) + 1);
    assert_int_equal(bind(l.fd, (struct sockaddr *)&a, sizeof a), 0);
    return l;
}

/* The next datagram, "" when none is waiting. */
static void next_message(listener *l, char *out, size_t size)
{
    ssize_t n = recv(l->fd, out, size - 1, 0);
    out[n > 0 ? n : 0] = '\0';
}

static void messages_reach_the_socket(void **unused)
{
    (void)unused;
    listener l = listen_here();
    setenv("NOTIFY_SOCKET", l.path, 1);
    setenv("WATCHDOG_USEC", "3000000", 1);
    unsetenv("WATCHDOG_PID");
    sdnotify n;
    sdnotify_init(&n);
    assert_int_equal(n.watchdog_ms, 3000);
    char got[256];
    sdnotify_ready(&n, "serving");
    next_message(&l, got, sizeof got);
    assert_non_null(strstr(got, "READY=1"));
    assert_non_null(strstr(got, "STATUS=serving"));
    sdnotify_ready(&n, "online"); /* once ready, only the status */
    next_message(&l, got, sizeof got);
    assert_string_equal(got, "STATUS=online");
    sdnotify_alive(&n, 10000);
    next_message(&l, got, sizeof got);
    assert_string_equal(got, "WATCHDOG=1");
    sdnotify_alive(&n, 10500); /* not due: nothing sent */
    next_message(&l, got, sizeof got);
    assert_string_equal(got, "");
    sdnotify_alive(&n, 10750);
    next_message(&l, got, sizeof got);
    assert_string_equal(got, "WATCHDOG=1");
    sdnotify_stopping();
    next_message(&l, got, sizeof got);
    assert_string_equal(got, "STOPPING=1");
    /* Another process's watchdog (WATCHDOG_PID names another pid): none here. */
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid() + 1);
    setenv("WATCHDOG_PID", pid, 1);
    sdnotify_init(&n);
    assert_int_equal(n.watchdog_ms, 0);
    unsetenv("WATCHDOG_PID");
    /* Not under systemd: nothing at all, and no failure. */
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    sdnotify_init(&n);
    assert_int_equal(n.watchdog_ms, 0);
    sdnotify_ready(&n, "serving");
    sdnotify_alive(&n, 20000);
    next_message(&l, got, sizeof got);
    assert_string_equal(got, "");
    close(l.fd);
    testutil_rmtree(l.dir);
    free(l.dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(due_every_quarter_and_sleep_capped_at_half),
    cmocka_unit_test(messages_reach_the_socket),
};

TESTUTIL_MAIN(tests)

/* wake.c - local datagram sockets for kiosk -> syncd nudges. */
#include "wake.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "text.h"

void wake_default_name(const char *db_path, char out[WAKE_NAME_SIZE])
{
    char abs[PATH_MAX];
    const char *p = realpath(db_path, abs) ? abs : db_path;
    uint64_t h = 1469598103934665603ull;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(out, WAKE_NAME_SIZE, "@usher-wake-%016llx", (unsigned long long)h);
}

static socklen_t make_addr(const char *name, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof sa->sun_path)
        return 0;
    memcpy(sa->sun_path, name, n);
    if (name[0] == '@')
        sa->sun_path[0] = '\0'; /* abstract: the length counts, not a NUL */
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
}

int wake_listen(const char *name, usher_errmsg *em)
{
    struct sockaddr_un sa;
    socklen_t len = make_addr(name, &sa);
    if (!len) {
        usher_fail(em, USHER_INVAL, "wake socket name \"%.40s\" is empty or too long", name);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        usher_fail(em, USHER_IO, "cannot make a local socket: %s", strerror(errno));
        return -1;
    }
    if (name[0] != '@')
        unlink(name); /* a file left by a crashed predecessor */
    if (bind(fd, (struct sockaddr *)&sa, len) != 0) {
        usher_fail(em, USHER_IO,
                   "cannot listen on %s: %s (is another usher-syncd running on this journal?)",
                   name, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void wake_send(const char *name)
{
    struct sockaddr_un sa;
    socklen_t len = make_addr(name, &sa);
    if (!len)
        return;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    (void)!sendto(fd, "w", 1, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
    close(fd);
}

void wake_drain(int fd)
{
    char buf[64];
    while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) >= 0)
        ;
}

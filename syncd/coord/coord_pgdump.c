/* coord_pgdump.c - a PostgreSQL store's backup with pg_dump (coord_pgdump.h). */
#include "coord_pgdump.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "text.h"

extern char **environ;

/* pg_dump's own words kept for the message (its first error is at the start). */
#define PGDUMP_SAID 300

/* Reads fd to its end, keeping the first size-1 bytes as one line of text
 * (newlines and tabs as spaces, trailing spaces cut). */
static void read_said(int fd, char *said, size_t size)
{
    size_t n = 0;
    char buf[1024];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r && n + 1 < size; i++)
            said[n++] = (buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t') ? ' ' : buf[i];
    }
    while (n > 0 && said[n - 1] == ' ')
        n--;
    said[n] = '\0';
}

/* The folder holding path made durable (the link just made in it). */
static void sync_folder_of(const char *path)
{
    char copy[4096];
    text_copy(copy, sizeof copy, path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

/* Runs prog's argv with stdin from /dev/null and stdout and stderr into
 * said; its wait status in *status. USHER_IO when it cannot be started. */
static usher_err run(const char *prog, char *const argv[], int *status, char *said, size_t size,
                     usher_errmsg *em)
{
    int p[2];
    if (pipe(p) != 0)
        return usher_fail(em, USHER_IO, "cannot run %s: %s", prog, strerror(errno));
    (void)fcntl(p[0], F_SETFD, FD_CLOEXEC); /* the child keeps only its dup2'd copies */
    (void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
    posix_spawn_file_actions_t fa;
    pid_t pid = -1;
    int rc = posix_spawn_file_actions_init(&fa);
    if (!rc)
        rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    if (!rc)
        rc = posix_spawn_file_actions_adddup2(&fa, p[1], 2);
    if (!rc)
        rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc) {
        close(p[0]);
        if (rc == ENOENT)
            return usher_fail(em, USHER_IO,
                              "%s is not installed here (not found in PATH): install Debian's "
                              "postgresql-client (apt-get install postgresql-client); nothing "
                              "was written",
                              prog);
        return usher_fail(em, USHER_IO, "cannot run %s: %s (Debian package postgresql-client)",
                          prog, strerror(rc));
    }
    read_said(p[0], said, size);
    close(p[0]);
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR)
            return usher_fail(em, USHER_IO, "waiting for %s: %s", prog, strerror(errno));
    }
    return USHER_OK;
}

usher_err coord_pgdump(const char *prog, const char *where, const char *out, usher_errmsg *em)
{
    if (!out[0])
        return usher_fail(em, USHER_INVAL, "backup: OUT is empty: give the new file's name");
    if (access(out, F_OK) == 0)
        return usher_fail(em, USHER_EXISTS,
                          "%s already exists: give a new file name (a backup never overwrites)",
                          out);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.partial-XXXXXX", out) >= (int)sizeof tmp)
        return usher_fail(em, USHER_INVAL, "%s: path too long", out);
    int fd = mkstemp(tmp); /* mode 0600: the dump holds the event's signing key */
    if (fd < 0)
        return usher_fail(em, USHER_IO,
                          "%s: cannot create a file there (%s): is its folder there and "
                          "writable? nothing was written",
                          out, strerror(errno));
    close(fd);
    /* -d takes the connection string whole (conninfo or URI): libpq reads
     * PGPASSFILE and the environment as for every other command. */
    char *const argv[] = {(char *)prog, "-Fc", "-d", (char *)where, "-f", tmp, NULL};
    char said[PGDUMP_SAID];
    int status = 0;
    usher_err err = run(prog, argv, &status, said, sizeof said, em);
    if (!err && WIFSIGNALED(status))
        err = usher_fail(em, USHER_IO, "%s was killed (signal %d)%s%s; nothing was written to %s",
                         prog, WTERMSIG(status), said[0] ? ": " : "", said, out);
    else if (!err && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
        err = usher_fail(em, USHER_IO,
                         "%s failed (exit status %d): %s; nothing was written to %s (pg_dump is "
                         "Debian's postgresql-client, of the server's major version or newer)",
                         prog, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                         said[0] ? said : "(it said nothing)", out);
    struct stat st;
    if (!err && (stat(tmp, &st) != 0 || st.st_size == 0))
        err = usher_fail(em, USHER_IO, "%s succeeded but wrote nothing; nothing was written to %s",
                         prog, out);
    /* link() rather than rename(): it fails on an OUT made meanwhile. */
    if (!err && link(tmp, out) != 0)
        err = errno == EEXIST
                  ? usher_fail(em, USHER_EXISTS,
                               "%s already exists (made while pg_dump ran): give a "
                               "new file name (a backup never overwrites)",
                               out)
                  : usher_fail(em, USHER_IO, "cannot name the dump %s: %s", out, strerror(errno));
    unlink(tmp);
    if (!err)
        sync_folder_of(out);
    return err;
}

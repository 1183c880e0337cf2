/* syncd_space.c - free space on the journal's disk and the reserve file. */
#define _GNU_SOURCE
#include "syncd_space.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static bool reserve_path(const char *path, char *out, size_t size)
{
    int n = snprintf(out, size, "%s-reserve", path);
    return n > 0 && (size_t)n < size;
}

int64_t syncd_space_free(const char *path)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int n = slash ? snprintf(dir, sizeof dir, "%.*s", (int)(slash - path + 1), path)
                  : snprintf(dir, sizeof dir, ".");
    struct statvfs st;
    if (n <= 0 || (size_t)n >= sizeof dir || statvfs(dir, &st) != 0)
        return -1;
    return (int64_t)st.f_bavail * (int64_t)st.f_frsize;
}

bool syncd_space_reserved(const char *path)
{
    char rp[PATH_MAX];
    struct stat sb;
    return reserve_path(path, rp, sizeof rp) && stat(rp, &sb) == 0;
}

bool syncd_space_reserve(const char *path, int64_t bytes)
{
    char rp[PATH_MAX];
    if (!reserve_path(path, rp, sizeof rp))
        return false;
    if (syncd_space_reserved(path))
        return true;
    int fd = open(rp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    /* Real blocks, not a sparse file: only allocated space is space given
     * back when it is removed. Written where fallocate is not supported. */
    bool ok = fallocate(fd, 0, 0, (off_t)bytes) == 0;
    if (!ok && (errno == EOPNOTSUPP || errno == ENOSYS)) {
        static const char zeros[4096];
        ok = true;
        for (int64_t done = 0; ok && done < bytes; done += (int64_t)sizeof zeros)
            ok = write(fd, zeros, sizeof zeros) == (ssize_t)sizeof zeros;
    }
    ok = ok && fsync(fd) == 0;
    if (close(fd) != 0)
        ok = false;
    if (!ok)
        unlink(rp);
    return ok;
}

bool syncd_space_release(const char *path)
{
    char rp[PATH_MAX];
    return reserve_path(path, rp, sizeof rp) && unlink(rp) == 0;
}

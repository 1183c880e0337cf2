/* storevfs.c - the system's SQLite VFS with the WAL index given real disk
 * blocks before use (storevfs.h says why). Every method but xShmMap passes
 * straight through.
 *
 * How: after the system VFS maps a region of the -shm file, the region is
 * prefaulted writable (madvise MADV_POPULATE_WRITE): the kernel allocates its
 * blocks now, and answers EFAULT instead of raising SIGBUS when it cannot.
 * The obvious alternative, fallocate on the -shm file before SQLite maps it,
 * does not work: the first connection truncates the file (freeing the
 * blocks), and a second descriptor of it, once closed, would drop the POSIX
 * locks SQLite holds on it. */
#define _GNU_SOURCE
#include "storevfs.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

typedef struct sv_file {
    sqlite3_file base;
    sqlite3_file *real; /* the system VFS's file, in the memory right after this struct */
} sv_file;

static struct {
    pthread_once_t once;
    int rc;
    sqlite3_vfs *real;
    sqlite3_vfs vfs;
} g = {PTHREAD_ONCE_INIT, SQLITE_OK, NULL, {0}};

#define REAL(file) (((sv_file *)(file))->real)
#define METHODS(file) (REAL(file)->pMethods)

static int sv_close(sqlite3_file *f)
{
    return METHODS(f)->xClose(REAL(f));
}

static int sv_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
    return METHODS(f)->xRead(REAL(f), buf, amt, off);
}

static int sv_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    return METHODS(f)->xWrite(REAL(f), buf, amt, off);
}

static int sv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return METHODS(f)->xTruncate(REAL(f), size);
}

static int sv_sync(sqlite3_file *f, int flags)
{
    return METHODS(f)->xSync(REAL(f), flags);
}

static int sv_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return METHODS(f)->xFileSize(REAL(f), size);
}

static int sv_lock(sqlite3_file *f, int level)
{
    return METHODS(f)->xLock(REAL(f), level);
}

static int sv_unlock(sqlite3_file *f, int level)
{
    return METHODS(f)->xUnlock(REAL(f), level);
}

static int sv_check_reserved(sqlite3_file *f, int *out)
{
    return METHODS(f)->xCheckReservedLock(REAL(f), out);
}

static int sv_file_control(sqlite3_file *f, int op, void *arg)
{
    return METHODS(f)->xFileControl(REAL(f), op, arg);
}

static int sv_sector_size(sqlite3_file *f)
{
    return METHODS(f)->xSectorSize(REAL(f));
}

static int sv_device_characteristics(sqlite3_file *f)
{
    return METHODS(f)->xDeviceCharacteristics(REAL(f));
}

/* Gives the mapped [p, p + size) its disk blocks. SQLITE_FULL when the file
 * system has none left; SQLITE_OK where the kernel cannot prefault (before
 * Linux 5.14): then it is as safe as SQLite alone. */
static int populate(void volatile *p, int size)
{
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)p, end = start + (uintptr_t)size;
    if (page <= 0)
        return SQLITE_OK;
    start &= ~((uintptr_t)page - 1);
    if (madvise((void *)start, end - start, MADV_POPULATE_WRITE) == 0)
        return SQLITE_OK;
    if (errno == EFAULT)
        return SQLITE_FULL; /* a store there would have been SIGBUS */
    if (errno == ENOMEM)
        return SQLITE_NOMEM;
    return SQLITE_OK; /* EINVAL: an older kernel */
}

static int sv_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **pp)
{
    if (METHODS(f)->iVersion < 2)
        return SQLITE_IOERR_SHMOPEN; /* a system VFS without shared memory: no WAL */
    int rc = METHODS(f)->xShmMap(REAL(f), region, size, extend, pp);
    if (rc != SQLITE_OK || !*pp)
        return rc;
    rc = populate(*pp, size);
    if (rc != SQLITE_OK)
        *pp = NULL; /* SQLite keeps what it is handed: it must not keep this region */
    return rc;
}

static int sv_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    if (METHODS(f)->iVersion < 2)
        return SQLITE_IOERR_SHMLOCK;
    return METHODS(f)->xShmLock(REAL(f), offset, n, flags);
}

static void sv_shm_barrier(sqlite3_file *f)
{
    if (METHODS(f)->iVersion >= 2)
        METHODS(f)->xShmBarrier(REAL(f));
}

static int sv_shm_unmap(sqlite3_file *f, int delete_flag)
{
    if (METHODS(f)->iVersion < 2)
        return SQLITE_OK;
    return METHODS(f)->xShmUnmap(REAL(f), delete_flag);
}

static int sv_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp)
{
    if (METHODS(f)->iVersion < 3) {
        *pp = NULL;
        return SQLITE_OK;
    }
    return METHODS(f)->xFetch(REAL(f), off, amt, pp);
}

static int sv_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    if (METHODS(f)->iVersion < 3)
        return SQLITE_OK;
    return METHODS(f)->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods sv_io = {
    3,
    sv_close,
    sv_read,
    sv_write,
    sv_truncate,
    sv_sync,
    sv_file_size,
    sv_lock,
    sv_unlock,
    sv_check_reserved,
    sv_file_control,
    sv_sector_size,
    sv_device_characteristics,
    sv_shm_map,
    sv_shm_lock,
    sv_shm_barrier,
    sv_shm_unmap,
    sv_fetch,
    sv_unfetch,
};

static int sv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    (void)vfs;
    sv_file *f = (sv_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)(f + 1);
    int rc = g.real->xOpen(g.real, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK || !f->real->pMethods) {
        /* The system VFS closes what it opened on failure; SQLite calls no
         * method of ours when pMethods is NULL. */
        if (rc == SQLITE_OK && !f->real->pMethods)
            rc = SQLITE_CANTOPEN;
        f->base.pMethods = NULL;
        return rc;
    }
    f->base.pMethods = &sv_io;
    return SQLITE_OK;
}

static void install_once(void)
{
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (!real) {
        g.rc = SQLITE_ERROR;
        return;
    }
    g.vfs = *real;
    g.vfs.pNext = NULL;
    g.vfs.zName = storevfs_name();
    g.vfs.szOsFile = (int)sizeof(sv_file) + real->szOsFile;
    g.vfs.xOpen = sv_open;
    g.real = real;
    g.rc = sqlite3_vfs_register(&g.vfs, 1);
}

int storevfs_install(void)
{
    pthread_once(&g.once, install_once);
    return g.rc;
}

const char *storevfs_name(void)
{
    return "usher-store";
}

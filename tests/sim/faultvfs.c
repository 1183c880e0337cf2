/* faultvfs.c - a fault-injecting, power-loss-simulating SQLite VFS for tests. */
#include "faultvfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bytes a write or truncation replaced, to put back on power loss. */
typedef struct fv_undo {
    struct fv_undo *next; /* older */
    sqlite3_int64 off;
    int len;
    unsigned char data[];
} fv_undo;

/* What the VFS knows of one file path, across its connections. */
typedef struct fv_inode {
    struct fv_inode *next;
    char *path;
    bool dirty;                /* written since its last sync */
    sqlite3_int64 synced_size; /* its size at the last sync (valid when dirty) */
    fv_undo *undo;             /* newest first */
} fv_inode;

typedef struct fv_file {
    sqlite3_file base;
    fv_inode *ino;      /* NULL for temporary files: nothing to lose */
    sqlite3_file *real; /* the wrapped file, in the memory right after this struct */
} fv_file;

static struct {
    sqlite3_vfs *real;
    sqlite3_vfs vfs;
    uint64_t calls, fail_at, failures;
    bool persist, fired, crashing;
    uint64_t writes, full_at; /* faultvfs_full_at */
    bool full_fired;
    fv_inode *inodes;
    char lie[64]; /* faultvfs_lie_about_sync */
} g;

static bool should_fail(void)
{
    g.calls++;
    if (!g.fail_at || g.calls < g.fail_at || (g.calls > g.fail_at && !g.persist))
        return false;
    g.fired = true;
    g.failures++;
    return true;
}

/* A write on a disk armed to be full from its full_at-th write on. */
static bool disk_full(void)
{
    if (!g.full_at || ++g.writes < g.full_at)
        return false;
    g.full_fired = true;
    g.failures++;
    return true;
}

static fv_inode *inode_get(const char *path, bool create)
{
    for (fv_inode *i = g.inodes; i; i = i->next)
        if (!strcmp(i->path, path))
            return i;
    if (!create)
        return NULL;
    fv_inode *i = calloc(1, sizeof *i);
    if (!i || !(i->path = strdup(path))) {
        free(i);
        return NULL;
    }
    i->next = g.inodes;
    g.inodes = i;
    return i;
}

static void undo_free(fv_inode *ino)
{
    for (fv_undo *u = ino->undo, *next; u; u = next) {
        next = u->next;
        free(u);
    }
    ino->undo = NULL;
    ino->dirty = false;
}

static void inode_drop(const char *path)
{
    for (fv_inode **p = &g.inodes; *p; p = &(*p)->next) {
        if (!strcmp((*p)->path, path)) {
            fv_inode *i = *p;
            *p = i->next;
            undo_free(i);
            free(i->path);
            free(i);
            return;
        }
    }
}

/* Before a change to [off, off + len) of f: remember the part of the synced
 * content it replaces. */
static int remember(fv_file *f, sqlite3_int64 off, sqlite3_int64 len)
{
    fv_inode *ino = f->ino;
    if (!ino)
        return SQLITE_OK;
    if (!ino->dirty) {
        sqlite3_int64 size = 0;
        int rc = f->real->pMethods->xFileSize(f->real, &size);
        if (rc != SQLITE_OK)
            return rc;
        ino->synced_size = size;
        ino->dirty = true;
    }
    if (off >= ino->synced_size || len <= 0)
        return SQLITE_OK;
    if (len > ino->synced_size - off)
        len = ino->synced_size - off;
    fv_undo *u = malloc(sizeof *u + (size_t)len);
    if (!u)
        return SQLITE_NOMEM;
    u->off = off;
    u->len = (int)len;
    int rc = f->real->pMethods->xRead(f->real, u->data, (int)len, off);
    if (rc != SQLITE_OK && rc != SQLITE_IOERR_SHORT_READ) { /* a short read zero-fills */
        free(u);
        return rc;
    }
    u->next = ino->undo;
    ino->undo = u;
    return SQLITE_OK;
}

/* ---- file methods ------------------------------------------------------------ */

static int fv_close(sqlite3_file *file)
{
    fv_file *f = (fv_file *)file;
    return f->real->pMethods->xClose(f->real);
}

static int fv_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
    fv_file *f = (fv_file *)file;
    if (should_fail())
        return SQLITE_IOERR_READ;
    return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int fv_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
    fv_file *f = (fv_file *)file;
    if (g.crashing || should_fail())
        return SQLITE_IOERR_WRITE;
    if (disk_full())
        return SQLITE_FULL;
    int rc = remember(f, off, amt);
    return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, buf, amt, off);
}

static int fv_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    fv_file *f = (fv_file *)file;
    if (g.crashing || should_fail())
        return SQLITE_IOERR_TRUNCATE;
    sqlite3_int64 cur = 0;
    int rc = f->real->pMethods->xFileSize(f->real, &cur);
    if (rc == SQLITE_OK && size < cur)
        rc = remember(f, size, cur - size);
    else if (rc == SQLITE_OK)
        rc = remember(f, cur, 0); /* marks it dirty: the size to go back to */
    return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int fv_sync(sqlite3_file *file, int flags)
{
    fv_file *f = (fv_file *)file;
    (void)flags;
    if (g.crashing || should_fail())
        return SQLITE_IOERR_FSYNC;
    if (f->ino && !(g.lie[0] && strstr(f->ino->path, g.lie)))
        undo_free(f->ino); /* durable now; the disk itself is not asked */
    return SQLITE_OK;
}

static int fv_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    fv_file *f = (fv_file *)file;
    if (should_fail())
        return SQLITE_IOERR_FSTAT;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int fv_lock(sqlite3_file *file, int level)
{
    fv_file *f = (fv_file *)file;
    if (g.crashing && level >= SQLITE_LOCK_RESERVED)
        return SQLITE_BUSY; /* going down: no writer, no checkpoint on close */
    return f->real->pMethods->xLock(f->real, level);
}

static int fv_unlock(sqlite3_file *file, int level)
{
    fv_file *f = (fv_file *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int fv_check_reserved(sqlite3_file *file, int *out)
{
    fv_file *f = (fv_file *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int fv_file_control(sqlite3_file *file, int op, void *arg)
{
    fv_file *f = (fv_file *)file;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int fv_sector_size(sqlite3_file *file)
{
    fv_file *f = (fv_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int fv_device_characteristics(sqlite3_file *file)
{
    fv_file *f = (fv_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int fv_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **pp)
{
    fv_file *f = (fv_file *)file;
    if (should_fail())
        return SQLITE_IOERR_SHMMAP;
    return f->real->pMethods->xShmMap(f->real, region, size, extend, pp);
}

static int fv_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    fv_file *f = (fv_file *)file;
    if (g.crashing && (flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE))
        return SQLITE_BUSY;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void fv_shm_barrier(sqlite3_file *file)
{
    fv_file *f = (fv_file *)file;
    f->real->pMethods->xShmBarrier(f->real);
}

static int fv_shm_unmap(sqlite3_file *file, int delete_flag)
{
    fv_file *f = (fv_file *)file;
    return f->real->pMethods->xShmUnmap(f->real, g.crashing ? 0 : delete_flag);
}

/* Version 2: shared memory, but no memory-mapped reads (every byte goes
 * through xRead and xWrite). */
static const sqlite3_io_methods fv_io = {
    2,
    fv_close,
    fv_read,
    fv_write,
    fv_truncate,
    fv_sync,
    fv_file_size,
    fv_lock,
    fv_unlock,
    fv_check_reserved,
    fv_file_control,
    fv_sector_size,
    fv_device_characteristics,
    fv_shm_map,
    fv_shm_lock,
    fv_shm_barrier,
    fv_shm_unmap,
    NULL,
    NULL,
};

/* ---- VFS methods ---------------------------------------------------------------- */

static int fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    (void)vfs;
    fv_file *f = (fv_file *)file;
    memset(f, 0, sizeof *f);
    if (should_fail())
        return SQLITE_CANTOPEN;
    f->real = (sqlite3_file *)(f + 1);
    int rc = g.real->xOpen(g.real, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (f->real->pMethods)
            f->real->pMethods->xClose(f->real);
        f->base.pMethods = NULL;
        return rc;
    }
    if (name && (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)))
        f->ino = inode_get(name, true);
    f->base.pMethods = &fv_io;
    return SQLITE_OK;
}

static int fv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    if (g.crashing || should_fail())
        return SQLITE_IOERR_DELETE;
    int rc = g.real->xDelete(g.real, name, sync_dir);
    if (rc == SQLITE_OK)
        inode_drop(name);
    return rc;
}

int faultvfs_install(void)
{
    if (g.real)
        return SQLITE_OK;
    sqlite3_vfs *real = sqlite3_vfs_find(NULL);
    if (!real)
        return SQLITE_ERROR;
    g.vfs = *real;
    g.vfs.pNext = NULL;
    g.vfs.zName = "usher-faultvfs";
    g.vfs.szOsFile = (int)sizeof(fv_file) + real->szOsFile;
    g.vfs.xOpen = fv_open;
    g.vfs.xDelete = fv_delete;
    g.real = real;
    int rc = sqlite3_vfs_register(&g.vfs, 1);
    if (rc != SQLITE_OK)
        g.real = NULL;
    return rc;
}

void faultvfs_fail_at(uint64_t n, bool persist)
{
    g.fail_at = n;
    g.persist = persist;
    g.calls = 0;
    g.fired = false;
    g.full_at = g.writes = 0;
    g.full_fired = false;
}

void faultvfs_full_at(uint64_t n)
{
    faultvfs_fail_at(0, false);
    g.full_at = n;
}

bool faultvfs_full_fired(void)
{
    return g.full_fired;
}

uint64_t faultvfs_calls(void)
{
    return g.calls;
}

bool faultvfs_fired(void)
{
    return g.fired;
}

uint64_t faultvfs_failures(void)
{
    return g.failures;
}

void faultvfs_crash_begin(void)
{
    g.crashing = true;
}

/* Puts back what the unsynced writes to one file replaced. */
static uint64_t power_loss(fv_inode *ino)
{
    uint64_t undone = 0;
    int fd = open(ino->path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 0; /* gone: nothing left to lose */
    for (fv_undo *u = ino->undo; u; u = u->next, undone++)
        if (pwrite(fd, u->data, (size_t)u->len, u->off) != u->len)
            break;
    if (ftruncate(fd, ino->synced_size) != 0)
        undone = 0;
    close(fd);
    return undone + 1; /* the cut back to the synced size counts too */
}

uint64_t faultvfs_crash_end(const char *path_prefix, bool lose_power)
{
    uint64_t undone = 0;
    size_t plen = path_prefix ? strlen(path_prefix) : 0;
    for (fv_inode *i = g.inodes; i && lose_power; i = i->next) {
        if (plen && strncmp(i->path, path_prefix, plen) != 0)
            continue;
        if (i->dirty)
            undone += power_loss(i);
        undo_free(i);
    }
    g.crashing = false;
    return undone;
}

void faultvfs_forget(const char *path_prefix)
{
    size_t plen = strlen(path_prefix);
    for (fv_inode *i = g.inodes; i; i = i->next)
        if (!strncmp(i->path, path_prefix, plen))
            undo_free(i);
}

void faultvfs_lie_about_sync(const char *path_part)
{
    snprintf(g.lie, sizeof g.lie, "%s", path_part ? path_part : "");
}

void faultvfs_reset(void)
{
    g.lie[0] = '\0';
    while (g.inodes) {
        fv_inode *i = g.inodes;
        g.inodes = i->next;
        undo_free(i);
        free(i->path);
        free(i);
    }
    g.calls = g.fail_at = g.failures = 0;
    g.persist = g.fired = g.crashing = false;
    g.writes = g.full_at = 0;
    g.full_fired = false;
}

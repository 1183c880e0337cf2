/* storevfs.h - the SQLite VFS every Usher file is opened through: the system's
 * own, except that the WAL index (the "-shm" file, which SQLite maps into
 * memory) is given real disk blocks before SQLite touches it.
 *
 * Why: SQLite extends the -shm file by writing one byte at the end of each
 * 4 KiB page and then maps it. On a file system with 1 KiB blocks (what mke2fs
 * picks for a small partition) the other three blocks of each page stay holes;
 * when the disk is full, the first store into such a hole kills the program
 * with SIGBUS. Here each mapped region is allocated whole (fallocate) first,
 * and a region that cannot be allocated is SQLITE_FULL: a clean "disk full"
 * error instead of a dead process.
 */
#ifndef USHER_STOREVFS_H
#define USHER_STOREVFS_H

/* Registers the VFS as the process's default, wrapping the default at the time
 * of the first call (so a test VFS installed earlier stays underneath). Safe
 * to call from any thread, any number of times; returns an SQLite result
 * code (SQLITE_OK when registered now or before). store_open calls it. */
int storevfs_install(void);

/* The name of the VFS ("usher-store"). */
const char *storevfs_name(void);

#endif

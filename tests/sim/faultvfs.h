/* faultvfs.h - a SQLite VFS for tests: fails any I/O call by its count and
 * simulates power loss by dropping every write that was not synced.
 *
 * It wraps the platform's default VFS and, once installed, is the default
 * itself, so journal_open and coorddb_open run through it unchanged. Counted
 * calls: open, delete, read, write, truncate, sync, file size, shm map. A
 * sync is recorded (the writes before it become durable) but not passed to
 * the disk: durability is what this VFS says it is, and the tests run fast.
 *
 * Power loss, per file: every write and truncation since the file's last sync
 * is undone, in reverse order, and the file cut back to its size at that
 * sync. Between faultvfs_crash_begin and faultvfs_crash_end the "machine is
 * going down": writes, truncations, syncs, deletions and write locks fail, so
 * closing connections (as a killed process would not) changes nothing on
 * disk. Not thread-safe: one thread uses SQLite while it is installed.
 */
#ifndef USHER_FAULTVFS_H
#define USHER_FAULTVFS_H

#include <stdbool.h>
#include <stdint.h>

/* Registers the VFS as the default (once; later calls do nothing). Returns
 * SQLITE_OK or SQLite's error. */
int faultvfs_install(void);

/* Arms a failure: the nth counted call from now fails (1 = the next one);
 * with persist, every call from the nth on fails (a disk gone for good).
 * n = 0 disarms. Resets faultvfs_calls and faultvfs_fired. */
void faultvfs_fail_at(uint64_t n, bool persist);

/* Arms a full disk: from the nth write from now on (1 = the next one), every
 * write fails with SQLITE_FULL, as on a disk with no block left; reads and
 * everything else go on. faultvfs_fail_at (0 included) disarms it. */
void faultvfs_full_at(uint64_t n);
bool faultvfs_full_fired(void); /* whether the full disk refused a write since then */

uint64_t faultvfs_calls(void);    /* counted calls since the last faultvfs_fail_at */
bool faultvfs_fired(void);        /* whether the armed failure has fired since then */
uint64_t faultvfs_failures(void); /* every failure injected since install */

/* The start and end of a crash (see above). crash_end with power_loss drops
 * every unsynced write of the files whose path starts with path_prefix (the
 * machine that lost power; NULL = every file); without, they stay (a process
 * killed, the machine up). Returns how many writes and truncations it undid. */
void faultvfs_crash_begin(void);
uint64_t faultvfs_crash_end(const char *path_prefix, bool power_loss);

/* A planted bug, for the simulator to show it catches it: syncs of files
 * whose path contains path_part are acknowledged but not recorded, so a
 * power loss drops what they "made durable". NULL ends it. */
void faultvfs_lie_about_sync(const char *path_part);

/* Forgets the unsynced writes of the files whose path starts with
 * path_prefix: they were replaced outside SQLite (a restore renames another
 * file over them), so a later power loss has nothing of theirs to undo. */
void faultvfs_forget(const char *path_prefix);

/* Forgets every file's unsynced writes and the counters (between tests). */
void faultvfs_reset(void);

#endif

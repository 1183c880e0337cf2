/* syncd_space.h - the journal's disk for usher-syncd: how much of it is free,
 * and the reserve file kept beside the journal while there is space and
 * given back the moment the disk is full (syncd_plan.h says when). */
#ifndef USHER_SYNCD_SPACE_H
#define USHER_SYNCD_SPACE_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes free for this process on the file system holding the file at path
 * (statvfs of its folder); -1 when that cannot be known. */
int64_t syncd_space_free(const char *path);

/* Makes the reserve file (path + "-reserve") of bytes with its blocks
 * allocated, unless it is there; true when it is there now. A failure (no
 * room) leaves no partial file. */
bool syncd_space_reserve(const char *path, int64_t bytes);

/* Removes the reserve file; true when there was one (space given back). */
bool syncd_space_release(const char *path);

/* Whether the reserve file is there. */
bool syncd_space_reserved(const char *path);

#endif

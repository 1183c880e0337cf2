/* coord_snapshot.h - the snapshot a device joins with: every ticket and every
 * seat that is not free, as changes, cut into pages of compact JSON (each
 * also gzipped once), built once per cursor and shared by the devices that
 * join together. A stadium's snapshot (100,000 tickets: about 15 MB of JSON)
 * is never built again for every device or every retry, and a device never
 * holds more than a page of it.
 *
 * The cache keeps the latest build and the one before (for devices still
 * fetching its pages). A join is handed the latest build when it is at the
 * current cursor, or younger than the reuse time and over the same layout: a
 * snapshot at an older cursor is as good, since the device then pulls the
 * changes after it (but one over an old layout is not).
 * Threads: every call is safe from any thread; building holds the cache's
 * lock, so devices that ask together wait for the one build.
 */
#ifndef USHER_COORD_SNAPSHOT_H
#define USHER_COORD_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "state.h"

#define SNAP_PAGE_DEFAULT 5000 /* changes a page (about 1 MB of JSON) */
#define SNAP_PAGE_MAX 100000
#define SNAP_REUSE_MS 10000 /* a build this young serves a join at a later cursor */

typedef struct snap_page {
    char *body; /* {"cursor":C,"page":i,"pages":P,"changes":[...]} */
    size_t len;
    unsigned char *gz; /* body, gzipped */
    size_t gzlen;
    size_t items_at, items_n; /* the changes' items inside body: "{...},{...}" */
} snap_page;

typedef struct snap_build {
    int64_t cursor;   /* the change log's last seq it was built at */
    int64_t built_at; /* ms */
    size_t npages;    /* at least 1 (an empty event has one empty page) */
    size_t nchanges;
    snap_page *pages;
    char *layout_json;    /* the layout the state was over, compact (layout_to_json_compact) */
    uint64_t layout_hash; /* of the layout text it was built from: a new layout, a new build */
    size_t layout_len;
    int refs; /* the cache's lock guards it */
} snap_build;

/* Builds the pages of st at cursor; layout_json is the coordinator's text of
 * st's layout (only its hash is kept: the layout served is st's own, compact).
 * Pure: the caller keeps both from changing meanwhile. USHER_NOMEM when
 * memory runs out. */
usher_err snap_build_new(const state *st, const char *layout_json, int64_t cursor,
                         size_t page_changes, int64_t now, snap_build **out) USHER_MUST_CHECK;
void snap_build_free(snap_build *b); /* NULL is a no-op */

typedef struct snapcache snapcache;

/* page_changes 1..SNAP_PAGE_MAX; reuse_ms >= 0. NULL on OOM. */
snapcache *snapcache_new(size_t page_changes, int64_t reuse_ms);
void snapcache_free(snapcache *c); /* NULL is a no-op; no build may still be held */

/* The build a joining device gets, with a reference (snapcache_release):
 * the latest when it is at cursor or younger than reuse_ms, else a new one
 * built from st and layout_json at cursor (read-locked by the caller). NULL
 * on OOM. */
snap_build *snapcache_join(snapcache *c, const state *st, const char *layout_json, int64_t cursor,
                           int64_t now);
/* The build at cursor when the cache still keeps it (referenced), else NULL:
 * the device asks for the pages of a snapshot that has moved on. */
snap_build *snapcache_at(snapcache *c, int64_t cursor);
void snapcache_release(snapcache *c, snap_build *b); /* NULL is a no-op */
/* Builds made since the cache was made (for /metrics). */
uint64_t snapcache_builds(snapcache *c);

#endif

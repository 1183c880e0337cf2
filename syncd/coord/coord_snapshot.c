/* coord_snapshot.c - see coord_snapshot.h. */
#include "coord_snapshot.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord_gzip.h"
#include "layout.h"
#include "protocol.h"
#include "text.h"

/* A growing text buffer; failed once any append ran out of memory. */
typedef struct buf {
    char *p;
    size_t len, cap;
    bool failed;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* The items of each page as they are encoded: "{...},{...}". */
typedef struct pages_text {
    buf *items;
    size_t n, cap;
    size_t in_page, per_page, total;
    bool failed;
} pages_text;

static void add_change(pages_text *pt, const change *c)
{
    if (pt->failed)
        return;
    if (!pt->n || pt->in_page == pt->per_page) {
        if (pt->n == pt->cap) {
            size_t cap = pt->cap ? 2 * pt->cap : 8;
            buf *p = realloc(pt->items, cap * sizeof *p);
            if (!p) {
                pt->failed = true;
                return;
            }
            memset(p + pt->cap, 0, (cap - pt->cap) * sizeof *p);
            pt->items = p;
            pt->cap = cap;
        }
        pt->n++;
        pt->in_page = 0;
    }
    json_t *j = proto_change_encode(c);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        pt->failed = true;
        return;
    }
    buf *b = &pt->items[pt->n - 1];
    if (pt->in_page)
        put(b, ",", 1);
    put(b, text, strlen(text));
    free(text);
    pt->failed |= b->failed;
    pt->in_page++;
    pt->total++;
}

/* FNV-1a of n bytes: tells a new layout text from the one a build was made over. */
static uint64_t text_hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

void snap_build_free(snap_build *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->npages; i++) {
        free(b->pages[i].body);
        free(b->pages[i].gz);
    }
    free(b->pages);
    free(b->layout_json);
    free(b);
}

usher_err snap_build_new(const state *st, const char *layout_json, int64_t cursor,
                         size_t page_changes, int64_t now, snap_build **out)
{
    pages_text pt = {.per_page = page_changes ? page_changes : SNAP_PAGE_DEFAULT};
    for (int i = 0; i < state_ticket_count(st) && !pt.failed; i++) {
        change c;
        memset(&c, 0, sizeof c);
        c.type = CHANGE_TICKET;
        c.ticket = *state_ticket(st, i);
        add_change(&pt, &c);
    }
    const layout *l = state_layout(st);
    for (int i = 0; i < state_seat_count(st) && !pt.failed; i++) {
        const seat_state *s = state_seat(st, i);
        if (!s->ticket[0] && !s->blocked && !s->hold_device[0] && !s->lease_device[0])
            continue; /* a device starts with every seat free */
        change c;
        memset(&c, 0, sizeof c);
        c.type = CHANGE_SEAT;
        text_copy(c.seat_id, sizeof c.seat_id, layout_seat_at(l, i)->id);
        c.seat = *s;
        add_change(&pt, &c);
    }
    size_t npages = pt.n ? pt.n : 1;
    snap_build *b = calloc(1, sizeof *b);
    if (b)
        b->pages = calloc(npages, sizeof *b->pages);
    if (b) {
        b->layout_json = layout_to_json_compact(state_layout(st));
        b->layout_len = layout_json ? strlen(layout_json) : 0;
        b->layout_hash = text_hash(layout_json, b->layout_len);
    }
    usher_err err = pt.failed || !b || !b->pages || !b->layout_json ? USHER_NOMEM : USHER_OK;
    if (b) {
        b->cursor = cursor;
        b->built_at = now;
        b->nchanges = pt.total;
        b->npages = b->pages ? npages : 0;
    }
    for (size_t i = 0; !err && i < npages; i++) {
        const buf *items = i < pt.n ? &pt.items[i] : NULL;
        size_t len = 0, at = 0;
        char *body = proto_snapshot_page_write(cursor, i, npages, items ? items->p : NULL,
                                               items ? items->len : 0, &len, &at);
        if (!body) {
            err = USHER_NOMEM;
            break;
        }
        snap_page *pg = &b->pages[i];
        pg->body = body;
        pg->len = len;
        pg->items_at = at;
        pg->items_n = items ? items->len : 0;
        err = coord_gzip(pg->body, pg->len, &pg->gz, &pg->gzlen);
    }
    for (size_t i = 0; i < pt.n; i++)
        free(pt.items[i].p);
    free(pt.items);
    if (err) {
        snap_build_free(b);
        return err;
    }
    *out = b;
    return USHER_OK;
}

/* ---- the cache ------------------------------------------------------------- */

struct snapcache {
    pthread_mutex_t lock;
    size_t page_changes;
    int64_t reuse_ms;
    snap_build *latest, *before;
    uint64_t builds;
};

snapcache *snapcache_new(size_t page_changes, int64_t reuse_ms)
{
    snapcache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->page_changes = page_changes < 1               ? SNAP_PAGE_DEFAULT
                      : page_changes > SNAP_PAGE_MAX ? SNAP_PAGE_MAX
                                                     : page_changes;
    c->reuse_ms = reuse_ms < 0 ? 0 : reuse_ms;
    return c;
}

static void unref(snap_build *b) /* lock held */
{
    if (b && --b->refs == 0)
        snap_build_free(b);
}

void snapcache_free(snapcache *c)
{
    if (!c)
        return;
    unref(c->latest);
    unref(c->before);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

snap_build *snapcache_join(snapcache *c, const state *st, const char *layout_json, int64_t cursor,
                           int64_t now)
{
    pthread_mutex_lock(&c->lock);
    snap_build *b = c->latest;
    /* Never across a new layout: a device that follows one needs a snapshot
     * over it. */
    size_t len = layout_json ? strlen(layout_json) : 0;
    if (!b || b->layout_len != len || b->layout_hash != text_hash(layout_json, len) ||
        (b->cursor != cursor && now - b->built_at >= c->reuse_ms)) {
        snap_build *fresh = NULL;
        if (snap_build_new(st, layout_json, cursor, c->page_changes, now, &fresh) != USHER_OK) {
            pthread_mutex_unlock(&c->lock);
            return NULL;
        }
        fresh->refs = 1; /* the cache's */
        c->builds++;
        unref(c->before);
        c->before = c->latest;
        c->latest = b = fresh;
    }
    b->refs++;
    pthread_mutex_unlock(&c->lock);
    return b;
}

snap_build *snapcache_at(snapcache *c, int64_t cursor)
{
    pthread_mutex_lock(&c->lock);
    snap_build *b = c->latest && c->latest->cursor == cursor   ? c->latest
                    : c->before && c->before->cursor == cursor ? c->before
                                                               : NULL;
    if (b)
        b->refs++;
    pthread_mutex_unlock(&c->lock);
    return b;
}

void snapcache_release(snapcache *c, snap_build *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&c->lock);
    unref(b);
    pthread_mutex_unlock(&c->lock);
}

uint64_t snapcache_builds(snapcache *c)
{
    pthread_mutex_lock(&c->lock);
    uint64_t n = c->builds;
    pthread_mutex_unlock(&c->lock);
    return n;
}

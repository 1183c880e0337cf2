/* coord_ring.c - the ring of recent changes, each kept as its event-stream
 * frame and JSON text once, for pulls, event streams and resumes. */
#include "coord_engine__internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

void ring_put(engine *e, const change *c)
{
    size_t len = 0, off = 0, data_len = 0;
    char *ev = proto_sse_change(c, &len, &off, &data_len); /* NULL: out of memory */
    ring_entry *r = &e->ring[c->seq % RING_CAP];
    pthread_mutex_lock(&e->ring_lock);
    free(r->event);
    r->event = ev;
    r->len = len;
    r->data_off = off;
    r->data_len = ev ? data_len : 0;
    if (c->seq - e->ring_first >= RING_CAP)
        e->ring_first = c->seq - RING_CAP + 1;
    e->last_seq = c->seq;
    pthread_mutex_unlock(&e->ring_lock);
}

long engine_events_since(engine *e, int64_t after, char *buf, size_t size, int64_t *next)
{
    size_t n = 0;
    pthread_mutex_lock(&e->ring_lock);
    if (after + 1 < e->ring_first && after < e->last_seq) {
        pthread_mutex_unlock(&e->ring_lock);
        return -1;
    }
    int64_t seq = after;
    while (seq < e->last_seq) {
        const ring_entry *r = &e->ring[(seq + 1) % RING_CAP];
        if (!r->event || r->len > size - n)
            break;
        memcpy(buf + n, r->event, r->len);
        n += r->len;
        seq++;
    }
    pthread_mutex_unlock(&e->ring_lock);
    *next = seq;
    return (long)n;
}

int64_t engine_last_seq(engine *e)
{
    pthread_mutex_lock(&e->ring_lock);
    int64_t s = e->last_seq;
    pthread_mutex_unlock(&e->ring_lock);
    return s;
}

usher_err engine_changes_json(engine *e, int64_t after, size_t n, char **out, size_t *len)
{
    usher_err err = USHER_OK;
    char *buf = NULL;
    size_t used = 0;
    pthread_mutex_lock(&e->ring_lock);
    int64_t last = after + (int64_t)n;
    if (after + 1 < e->ring_first || last > e->last_seq) {
        err = USHER_NOTFOUND;
        goto out;
    }
    size_t size = n + 1; /* commas and the NUL */
    for (int64_t seq = after + 1; seq <= last; seq++)
        size += e->ring[seq % RING_CAP].data_len;
    buf = malloc(size);
    if (!buf) {
        err = USHER_NOMEM;
        goto out;
    }
    for (int64_t seq = after + 1; seq <= last; seq++) {
        const ring_entry *r = &e->ring[seq % RING_CAP];
        if (!r->event) { /* its text could not be made (out of memory) */
            err = USHER_NOMEM;
            goto out;
        }
        if (seq > after + 1)
            buf[used++] = ',';
        memcpy(buf + used, r->event + r->data_off, r->data_len);
        used += r->data_len;
    }
    buf[used] = '\0';
out:
    pthread_mutex_unlock(&e->ring_lock);
    if (err) {
        free(buf);
        return err;
    }
    *out = buf;
    *len = used;
    return USHER_OK;
}

/* Fills req's pulled changes after its cursor, from the ring when it holds
 * them (the reply copies their JSON text from there), else from the database
 * (committer thread only). */
void ring_pull(engine *e, engine_req *req)
{
    req->new_cursor = req->cursor;
    if (req->cursor < 0)
        return;
    int64_t last = e->last_seq;
    if (req->cursor >= last)
        return;
    if (req->cursor + 1 >= e->ring_first) {
        size_t n = (size_t)(last - req->cursor);
        if (n > ENGINE_MAX_PULL)
            n = ENGINE_MAX_PULL;
        req->changes_in_ring = true;
        req->nchanges = n;
        req->new_cursor = req->cursor + (int64_t)n;
        req->more = req->new_cursor < last;
        return;
    }
    usher_errmsg em = {{0}};
    if (coorddb_changes_since(e->db, req->cursor, ENGINE_MAX_PULL, &req->changes, &req->nchanges,
                              &req->more, &em) != USHER_OK)
        goto fail;
    if (req->nchanges)
        req->new_cursor = req->changes[req->nchanges - 1].seq;
    return;
fail:
    req->err = USHER_DB;
    text_copy(req->errmsg, sizeof req->errmsg, "could not read the change log");
}

/* Puts the changes after `before` into the ring, in order, then wakes the
 * listeners (committer thread). */
void ring_publish(engine *e, coorddb *db, int64_t before)
{
    int64_t last = before;
    for (;;) {
        change *cs = NULL;
        size_t n = 0;
        bool more = false;
        usher_errmsg em = {{0}};
        if (coorddb_changes_since(db, last, 1000, &cs, &n, &more, &em) != USHER_OK) {
            /* Saved, but not in memory: devices pull the gap from the database. */
            fprintf(stderr, "usher-coord: new tickets saved, ring not updated: %s\n", em.text);
            break;
        }
        for (size_t i = 0; i < n; i++)
            ring_put(e, &cs[i]);
        if (n)
            last = cs[n - 1].seq;
        free(cs);
        if (!more || !n)
            break;
    }
    pthread_mutex_lock(&e->qlock);
    void (*notify)(void *, int64_t) = e->on_commit;
    void *notify_ctx = e->on_commit_ctx;
    pthread_mutex_unlock(&e->qlock);
    if (notify && last > before)
        notify(notify_ctx, last);
}

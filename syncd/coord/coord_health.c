/* coord_health.c - devices seen (last sync, cursor, pending ops, clock
 * skew), stored in batches, and the engine's counters for /metrics. */
#include "coord_engine__internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "timestamp.h"

void health_flush(engine *e, int64_t now, bool force)
{
    pthread_mutex_lock(&e->misc_lock);
    if (!force && now - e->last_flush < DEVICE_FLUSH_MS) {
        pthread_mutex_unlock(&e->misc_lock);
        return;
    }
    e->last_flush = now;
    size_t n = 0;
    for (size_t i = 0; i < e->nseen; i++)
        n += e->seen[i].dirty;
    coord_device *devs = n ? calloc(n, sizeof *devs) : NULL;
    size_t k = 0, na = 0;
    for (size_t i = 0; i < e->nseen; i++)
        na += e->seen[i].skew_due;
    alert *al = na ? calloc(na, sizeof *al) : NULL;
    na = 0;
    for (size_t i = 0; al && i < e->nseen; i++) {
        if (!e->seen[i].skew_due)
            continue;
        alert *a = &al[na++];
        a->kind = ALERT_CLOCK_SKEW;
        text_copy(a->device, sizeof a->device, e->seen[i].device);
        a->at = e->seen[i].skew_at;
        a->other_at = e->seen[i].skew_clock;
        e->seen[i].skew_due = false;
    }
    for (size_t i = 0; devs && i < e->nseen; i++) {
        if (!e->seen[i].dirty)
            continue;
        text_copy(devs[k].id, sizeof devs[k].id, e->seen[i].device);
        devs[k].last_seen = e->seen[i].at;
        devs[k].cursor = e->seen[i].cursor;
        devs[k].pending = e->seen[i].pending;
        e->seen[i].dirty = false;
        k++;
    }
    pthread_mutex_unlock(&e->misc_lock);
    if (devs) {
        /* One transaction (one fsync) for all of them. Health is advisory: a
         * failed flush is forgotten, the next sync of each device sets it. */
        usher_err err = coorddb_devices_seen(e->db, devs, k, NULL);
        (void)err;
    }
    if (al) {
        usher_errmsg em = {{0}};
        if (coorddb_add_alerts(e->db, al, na, now, &em))
            fprintf(stderr, "usher-coord: cannot store a clock alert: %s\n", em.text);
    }
    free(al);
    free(devs);
}

static size_t seen_hash(const char *device, size_t slots)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const char *p = device; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h & (slots - 1);
}

/* The index slot of device: its entry's, or the empty one it would take. */
static size_t seen_slot(const engine *e, const char *device)
{
    size_t slots = 2 * e->seen_cap, k = seen_hash(device, slots);
    while (e->seen_index[k] && strcmp(e->seen[e->seen_index[k] - 1].device, device) != 0)
        k = (k + 1) & (slots - 1);
    return k;
}

/* Doubles the entries and rebuilds the index (misc_lock held); false when out
 * of memory (nothing changed). */
static bool seen_grow(engine *e)
{
    size_t cap = e->seen_cap ? e->seen_cap * 2 : 16;
    uint32_t *index = calloc(2 * cap, sizeof *index);
    seen_entry *s = index ? realloc(e->seen, cap * sizeof *s) : NULL;
    if (!s) {
        free(index);
        return false;
    }
    free(e->seen_index);
    e->seen = s;
    e->seen_cap = cap;
    e->seen_index = index;
    for (size_t i = 0; i < e->nseen; i++)
        e->seen_index[seen_slot(e, e->seen[i].device)] = (uint32_t)(i + 1);
    return true;
}

void engine_device_seen(engine *e, const char *device, int64_t cursor, int64_t pending,
                        int64_t clock)
{
    int64_t now = timestamp_now_ms();
    pthread_mutex_lock(&e->misc_lock);
    e->stats.syncs++; /* usher_syncs_total */
    if (e->nseen == e->seen_cap && !seen_grow(e)) {
        pthread_mutex_unlock(&e->misc_lock);
        return;
    }
    size_t k = seen_slot(e, device);
    size_t i;
    if (e->seen_index[k]) {
        i = e->seen_index[k] - 1;
    } else {
        i = e->nseen++;
        memset(&e->seen[i], 0, sizeof e->seen[i]);
        text_copy(e->seen[i].device, sizeof e->seen[i].device, device);
        e->seen_index[k] = (uint32_t)(i + 1);
    }
    e->seen[i].at = now;
    e->seen[i].cursor = cursor;
    e->seen[i].pending = pending;
    e->seen[i].dirty = true;
    if (clock) {
        int64_t skew = now - clock, off = skew < 0 ? -skew : skew;
        seen_entry *s = &e->seen[i];
        if (!s->skewed && off > USHER_CLOCK_SKEW_ALERT_MS) {
            s->skewed = s->skew_due = true;
            s->skew_at = now;
            s->skew_clock = clock;
        } else if (s->skewed && off < USHER_CLOCK_SKEW_ALERT_MS / 2) {
            s->skewed = false; /* set right: a new skew is a new alert */
        }
    }
    pthread_mutex_unlock(&e->misc_lock);
}

const double engine_commit_bounds[ENGINE_COMMIT_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

void engine_count_snapshot(engine *e)
{
    pthread_mutex_lock(&e->misc_lock);
    e->stats.snapshots++;
    pthread_mutex_unlock(&e->misc_lock);
}

uint64_t engine_devices_online(engine *e, int64_t now)
{
    uint64_t n = 0;
    pthread_mutex_lock(&e->misc_lock);
    for (size_t i = 0; i < e->nseen; i++)
        n += now - e->seen[i].at < ENGINE_ONLINE_WINDOW_MS;
    pthread_mutex_unlock(&e->misc_lock);
    return n;
}

void engine_get_stats(engine *e, engine_stats *out)
{
    pthread_mutex_lock(&e->misc_lock);
    *out = e->stats;
    pthread_mutex_unlock(&e->misc_lock);
}

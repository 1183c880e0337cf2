/* coord_printers.c - see coord_printers.h. A sorted array of the devices
 * that have a printer (looked up by binary search on every sync). */
#include "coord_printers.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

typedef struct entry {
    char device[USHER_DEVICE_SIZE];
    coord_printer p;
} entry;

struct coord_printers {
    pthread_mutex_t lock; /* guards everything below */
    int64_t alert_ms;
    entry *e;
    size_t n, cap;
};

coord_printers *coord_printers_new(int64_t alert_ms)
{
    if (alert_ms <= 0)
        return NULL;
    coord_printers *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->alert_ms = alert_ms;
    pthread_mutex_init(&p->lock, NULL);
    return p;
}

void coord_printers_free(coord_printers *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->lock);
    free(p->e);
    free(p);
}

/* Where device is, or where it would go (*found false). */
static size_t find(const coord_printers *p, const char *device, bool *found)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(p->e[mid].device, device);
        if (!c) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static bool grow(coord_printers *p)
{
    if (p->n < p->cap)
        return true;
    size_t cap = p->cap ? 2 * p->cap : 16;
    entry *e = realloc(p->e, cap * sizeof *e);
    if (!e)
        return false;
    p->e = e;
    p->cap = cap;
    return true;
}

bool coord_printers_report(coord_printers *p, const char *device, const printer_report *r,
                           int64_t now)
{
    if (r && !printer_report_ok(r))
        return false;
    pthread_mutex_lock(&p->lock);
    bool found = false, ok = true;
    size_t i = find(p, device, &found);
    if (!r) {
        if (found) {
            memmove(&p->e[i], &p->e[i + 1], (p->n - i - 1) * sizeof *p->e);
            p->n--;
        }
    } else if (found || (ok = grow(p))) {
        if (!found) {
            memmove(&p->e[i + 1], &p->e[i], (p->n - i) * sizeof *p->e);
            p->n++;
            memset(&p->e[i], 0, sizeof p->e[i]);
            text_copy(p->e[i].device, sizeof p->e[i].device, device);
        }
        coord_printer *c = &p->e[i].p;
        bool failing = printer_state_failing(r->state);
        /* A new printer (another queue) starts its own record. */
        if (!failing || strcmp(c->report.name, r->name) != 0)
            c->failing_since = 0;
        if (failing && !c->failing_since)
            c->failing_since = now > 0 ? now : 1;
        c->report = *r;
        c->seen_at = now;
    }
    pthread_mutex_unlock(&p->lock);
    return ok;
}

static void at_now(const coord_printers *p, coord_printer *c, int64_t now)
{
    c->alert = c->failing_since && now - c->failing_since >= p->alert_ms;
}

bool coord_printers_get(coord_printers *p, const char *device, int64_t now, coord_printer *out)
{
    pthread_mutex_lock(&p->lock);
    bool found = false;
    size_t i = find(p, device, &found);
    if (found) {
        *out = p->e[i].p;
        at_now(p, out, now);
    }
    pthread_mutex_unlock(&p->lock);
    return found;
}

void coord_printers_count(coord_printers *p, int64_t now, coord_printers_counts *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n; i++) {
        coord_printer c = p->e[i].p;
        at_now(p, &c, now);
        out->printers++;
        out->failing += c.failing_since != 0;
        out->alerting += c.alert;
        out->waiting += c.report.waiting;
    }
    pthread_mutex_unlock(&p->lock);
}

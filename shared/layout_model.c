/* layout_model.c - the layout in memory: sections and seats in arrays, O(1)
 * lookup of each by id (open addressing), built by layout.c's parser and the
 * generators (layout__internal.h), read through layout.h's accessors. */
#include "layout.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layout__internal.h"
#include "text.h"

#define NAME_SIZE USHER_EVENT_NAME_SIZE

/* Open addressing over seat or section indexes, keyed by their ids. */
typedef struct id_index {
    int *slots; /* an index into seats or sections, -1 = empty */
    size_t cap; /* 0 or a power of two, kept at least twice `used` */
    int used;
    bool seats;
} id_index;

struct layout {
    char name[NAME_SIZE];
    layout_section *sections;
    int nsections, cap_sections;
    layout_seat *seats;
    int nseats, cap_seats;
    id_index seat_ix, section_ix;
    double minx, miny, maxx, maxy;
};

usher_err layout__oom(usher_errmsg *em)
{
    return usher_fail(em, USHER_NOMEM, "out of memory while building the layout");
}

/* --- id index --- */

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

static const char *entry_id(const layout *l, const id_index *ix, int i)
{
    return ix->seats ? l->seats[i].id : l->sections[i].id;
}

/* The slot holding id, or the empty slot where it would go. */
static size_t ix_slot(const layout *l, const id_index *ix, const char *id)
{
    size_t mask = ix->cap - 1;
    size_t s = fnv1a(id) & mask;
    while (ix->slots[s] >= 0 && strcmp(entry_id(l, ix, ix->slots[s]), id) != 0)
        s = (s + 1) & mask;
    return s;
}

static int ix_find(const layout *l, const id_index *ix, const char *id)
{
    if (!l || !id || !ix->cap)
        return -1;
    return ix->slots[ix_slot(l, ix, id)];
}

static bool ix_grow(const layout *l, id_index *ix)
{
    size_t cap = ix->cap ? ix->cap * 2 : 64;
    int *slots = malloc(cap * sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < cap; i++)
        slots[i] = -1;
    int *old = ix->slots;
    size_t oldcap = ix->cap;
    ix->slots = slots;
    ix->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i] >= 0)
            ix->slots[ix_slot(l, ix, entry_id(l, ix, old[i]))] = old[i];
    free(old);
    return true;
}

/* Indexes entry i. Returns -1 when added, the index of an earlier entry with the
 * same id (i is then not added), or -2 when out of memory. */
static int ix_add(const layout *l, id_index *ix, int i)
{
    if ((size_t)(ix->used + 1) * 2 > ix->cap && !ix_grow(l, ix))
        return -2;
    size_t s = ix_slot(l, ix, entry_id(l, ix, i));
    if (ix->slots[s] >= 0)
        return ix->slots[s];
    ix->slots[s] = i;
    ix->used++;
    return -1;
}

/* --- building --- */

layout *layout__alloc(void)
{
    layout *l = calloc(1, sizeof *l);
    if (l)
        l->seat_ix.seats = true;
    return l;
}

/* Appends a section; its id must be new. */
usher_err layout__push_section(layout *l, const layout_section *sec, usher_errmsg *em)
{
    if (l->nsections == l->cap_sections) {
        int cap = l->cap_sections ? l->cap_sections * 2 : 16;
        layout_section *p = realloc(l->sections, (size_t)cap * sizeof *p);
        if (!p)
            return layout__oom(em);
        l->sections = p;
        l->cap_sections = cap;
    }
    int i = l->nsections;
    l->sections[i] = *sec;
    int first = ix_add(l, &l->section_ix, i);
    if (first == -2)
        return layout__oom(em);
    if (first >= 0)
        return usher_fail(em, USHER_INVAL,
                          "sections[%d].id: duplicate section id \"%s\" (first at sections[%d])", i,
                          sec->id, first);
    l->nsections++;
    return USHER_OK;
}

/* Appends a seat; its id must be new. `listed` says whether it came from a
 * "seats" array (for the message naming it). */
usher_err layout__push_seat(layout *l, const layout_seat *seat, bool listed, usher_errmsg *em)
{
    if (l->nseats == l->cap_seats) {
        int cap = l->cap_seats ? l->cap_seats * 2 : 64;
        layout_seat *p = realloc(l->seats, (size_t)cap * sizeof *p);
        if (!p)
            return layout__oom(em);
        l->seats = p;
        l->cap_seats = cap;
    }
    l->seats[l->nseats] = *seat;
    int first = ix_add(l, &l->seat_ix, l->nseats);
    if (first == -2)
        return layout__oom(em);
    if (first >= 0) {
        const layout_seat *f = &l->seats[first];
        if (listed)
            return usher_fail(em, USHER_INVAL,
                              "sections[%d].seats[%d].id: duplicate seat id \"%s\" "
                              "(first at sections[%d].seats[%d])",
                              seat->section, seat->number - 1, seat->id, f->section, f->number - 1);
        return usher_fail(em, USHER_INVAL,
                          "sections[%d]: generated seat id \"%s\" is already taken (first at "
                          "sections[%d].seats[%d]); rename the section or list its seats",
                          seat->section, seat->id, f->section, f->number - 1);
    }
    l->nseats++;
    return USHER_OK;
}

void layout__set_name(layout *l, const char *name)
{
    text_copy(l->name, sizeof l->name, name);
}

/* Bounds of every seat and of each section's seats, with half a seat of
 * margin; called once when built. */
void layout__finish(layout *l)
{
    double m = LAYOUT_SEAT_SIZE / 2;
    l->minx = l->miny = INFINITY;
    l->maxx = l->maxy = -INFINITY;
    for (int k = 0; k < l->nsections; k++) {
        layout_section *sec = &l->sections[k];
        sec->minx = sec->miny = INFINITY;
        sec->maxx = sec->maxy = -INFINITY;
    }
    for (int i = 0; i < l->nseats; i++) {
        const layout_seat *s = &l->seats[i];
        l->minx = fmin(l->minx, s->x - m);
        l->miny = fmin(l->miny, s->y - m);
        l->maxx = fmax(l->maxx, s->x + m);
        l->maxy = fmax(l->maxy, s->y + m);
        if (s->section >= 0 && s->section < l->nsections) {
            layout_section *sec = &l->sections[s->section];
            sec->minx = fmin(sec->minx, s->x - m);
            sec->miny = fmin(sec->miny, s->y - m);
            sec->maxx = fmax(sec->maxx, s->x + m);
            sec->maxy = fmax(sec->maxy, s->y + m);
        }
    }
}

/* --- accessors --- */

void layout_free(layout *l)
{
    if (!l)
        return;
    free(l->seat_ix.slots);
    free(l->section_ix.slots);
    free(l->seats);
    free(l->sections);
    free(l);
}

const char *layout_name(const layout *l)
{
    return l->name;
}

int layout_seat_count(const layout *l)
{
    return l->nseats;
}

int layout_section_count(const layout *l)
{
    return l->nsections;
}

const layout_seat *layout_seat_at(const layout *l, int i)
{
    return &l->seats[i];
}

const layout_section *layout_section_at(const layout *l, int i)
{
    return &l->sections[i];
}

int layout_find_seat(const layout *l, const char *id)
{
    return l ? ix_find(l, &l->seat_ix, id) : -1;
}

int layout_find_section(const layout *l, const char *id)
{
    return l ? ix_find(l, &l->section_ix, id) : -1;
}

void layout_bounds(const layout *l, double *minx, double *miny, double *maxx, double *maxy)
{
    *minx = l->minx;
    *miny = l->miny;
    *maxx = l->maxx;
    *maxy = l->maxy;
}

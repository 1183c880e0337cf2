/* layout.c - venue layouts: the model with O(1) lookup of seats and sections by id,
 * parsed from JSON and written back as JSON (generators: layout_gen.c).
 *
 * The JSON format (also described in assets/layouts/README.md):
 *
 *   {"name": "Grand Hall",                      optional text, up to 128 bytes
 *    "sections": [                              1..LAYOUT_MAX_SECTIONS objects
 *      {"kind": "table",                        "table" (round) or "row" (theatre)
 *       "id": "T01",                            1..16 of [A-Za-z0-9_.-], unique
 *       "label": "Table 1",                     optional; "Table N" / "Row X"
 *       "x": 100, "y": 100,                     table: centre; row: centre of the row
 *       "class": "VIP",                         optional default class of its seats
 *       "radius": 100,                          table only, optional: the circle the
 *                                               seats' centres sit on
 *       "seats": 10},                           a count (seats generated) or an array
 *      {"kind": "row", "id": "A", "x": 800, "y": 900,
 *       "spacing": 55,                          row only, optional: between seat centres
 *       "curve": 40,                            row only, optional: the ends sit this
 *                                               much nearer the stage (smaller y)
 *       "seats": [{"id": "A-1", "label": "1", "x": 750, "y": 860, "class": ""}, ...]}]}
 *
 * Coordinates are layout units with y growing downward (as on a screen), each
 * within [-1e6, 1e6]. Counted seats are generated: "T01-01".."T01-10" round a
 * table (seat 1 at the top, then clockwise, 2 digits at least), "A-1".."A-30"
 * along a row from left to right. An explicit seat needs id, x and y; its label
 * defaults to its position in the array and its class to the section's. Each
 * section holds 1..LAYOUT_MAX_SEATS_PER_SECTION seats, the layout at most
 * USHER_MAX_SEATS. Unknown keys are ignored; duplicate keys are refused.
 */
#include "layout.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "layout__internal.h"
#include "text.h"

#define COORD_MAX LAYOUT__COORD_MAX
#define RADIUS_MAX 1e5
#define SPACING_MAX LAYOUT__SPACING_MAX
#define CURVE_MAX LAYOUT__CURVE_MAX
#define FILE_MAX ((size_t)16 << 20)
#define NAME_SIZE USHER_EVENT_NAME_SIZE
#define PATH_SIZE 64

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

/* --- JSON reading --- */

static const char *json_what(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_NULL:
        return "null";
    }
    return "an unknown value";
}

/* The separator between a path and a key: none at the top level. */
static const char *dot(const char *path)
{
    return *path ? "." : "";
}

/* Finds string key; *s = NULL when absent. */
static usher_err get_string(const json_t *obj, const char *path, const char *key, const char **s,
                            usher_errmsg *em)
{
    const json_t *v = json_object_get(obj, key);
    *s = NULL;
    if (!v)
        return USHER_OK;
    if (!json_is_string(v))
        return usher_fail(em, USHER_INVAL, "%s%s%s: must be a string, not %s", path, dot(path), key,
                          json_what(v));
    *s = json_string_value(v);
    return USHER_OK;
}

/* Reads a text shown to people: printable, below size bytes, maybe empty. When
 * the key is absent, copies def (or fails when def is NULL). */
static usher_err get_text(const json_t *obj, const char *path, const char *key, const char *def,
                          bool allow_empty, char *out, size_t size, usher_errmsg *em)
{
    const char *s;
    usher_err err = get_string(obj, path, key, &s, em);
    if (err)
        return err;
    if (!s && !def)
        return usher_fail(em, USHER_INVAL, "%s: missing key \"%s\"", path, key);
    if (!s)
        s = def;
    size_t len = strlen(s);
    if (!len && !allow_empty)
        return usher_fail(em, USHER_INVAL, "%s%s%s: must not be empty", path, dot(path), key);
    if (len >= size)
        return usher_fail(em, USHER_INVAL, "%s%s%s: too long (%zu bytes; at most %zu)", path,
                          dot(path), key, len, size - 1);
    if (!text_printable(s))
        return usher_fail(em, USHER_INVAL, "%s%s%s: contains control characters", path, dot(path),
                          key);
    text_copy(out, size, s);
    return USHER_OK;
}

/* Reads a required section or seat id. */
static usher_err get_ident(const json_t *obj, const char *path, char *out, usher_errmsg *em)
{
    const char *s;
    usher_err err = get_string(obj, path, "id", &s, em);
    if (err)
        return err;
    if (!s)
        return usher_fail(em, USHER_INVAL, "%s: missing key \"id\"", path);
    if (!*s)
        return usher_fail(em, USHER_INVAL, "%s.id: must not be empty", path);
    if (!text_is_ident(s, USHER_SEAT_ID_SIZE - 1)) {
        if (!text_printable(s))
            return usher_fail(em, USHER_INVAL, "%s.id: contains control characters", path);
        return usher_fail(em, USHER_INVAL,
                          "%s.id: \"%.40s\" is not a valid id; use 1 to %d characters from "
                          "A-Z a-z 0-9 _ . -",
                          path, s, USHER_SEAT_ID_SIZE - 1);
    }
    text_copy(out, USHER_SEAT_ID_SIZE, s);
    return USHER_OK;
}

/* Reads a number in [min, max]; def NULL makes the key required. */
static usher_err get_number(const json_t *obj, const char *path, const char *key, const double *def,
                            double min, double max, double *out, usher_errmsg *em)
{
    const json_t *v = json_object_get(obj, key);
    if (!v && !def)
        return usher_fail(em, USHER_INVAL, "%s: missing key \"%s\"", path, key);
    if (!v) {
        *out = *def;
        return USHER_OK;
    }
    if (!json_is_number(v))
        return usher_fail(em, USHER_INVAL, "%s.%s: must be a number, not %s", path, key,
                          json_what(v));
    double d = json_number_value(v);
    if (!isfinite(d) || d < min || d > max)
        return usher_fail(em, USHER_INVAL, "%s.%s: %.10g is out of range; use %.0f to %.0f", path,
                          key, d, min, max);
    *out = d;
    return USHER_OK;
}

/* The number of seats "seats" gives: a count or the length of an array. */
static usher_err get_seat_count(const json_t *seats, const char *path, int *n, usher_errmsg *em)
{
    long long count;
    if (!seats)
        return usher_fail(em, USHER_INVAL,
                          "%s: missing key \"seats\" (a seat count or an array of seats)", path);
    if (json_is_integer(seats))
        count = json_integer_value(seats);
    else if (json_is_array(seats))
        count = (long long)json_array_size(seats);
    else
        return usher_fail(em, USHER_INVAL,
                          "%s.seats: must be a seat count or an array of seats, not %s", path,
                          json_what(seats));
    if (count < 1 || count > LAYOUT_MAX_SEATS_PER_SECTION)
        return usher_fail(em, USHER_INVAL, "%s.seats: %lld seats; a section holds 1 to %d", path,
                          count, LAYOUT_MAX_SEATS_PER_SECTION);
    *n = (int)count;
    return USHER_OK;
}

/* "Table 7" for "T07", "Table <id>" for other ids, "Row <id>" for rows. */
static void default_label(const layout_section *sec, char *out, size_t size)
{
    const char *id = sec->id;
    size_t n = strlen(id);
    bool tnum = sec->kind == SECTION_TABLE && n >= 2 && n <= 10 && id[0] == 'T' &&
                strspn(id + 1, "0123456789") == n - 1;
    if (tnum)
        snprintf(out, size, "Table %ld", strtol(id + 1, NULL, 10));
    else
        snprintf(out, size, "%s %s", sec->kind == SECTION_TABLE ? "Table" : "Row", id);
}

/* kind, id, label, class and centre of a section. */
static usher_err parse_section_head(const json_t *js, const char *path, layout_section *sec,
                                    usher_errmsg *em)
{
    const char *kind;
    usher_err err = get_string(js, path, "kind", &kind, em);
    if (err)
        return err;
    if (!kind)
        return usher_fail(em, USHER_INVAL, "%s: missing key \"kind\" (\"table\" or \"row\")", path);
    if (!strcmp(kind, "table"))
        sec->kind = SECTION_TABLE;
    else if (!strcmp(kind, "row"))
        sec->kind = SECTION_ROW;
    else
        return usher_fail(em, USHER_INVAL,
                          "%s.kind: unknown kind \"%.40s\"; use \"table\" or \"row\"", path, kind);
    char label[USHER_LABEL_SIZE];
    if ((err = get_ident(js, path, sec->id, em)))
        return err;
    default_label(sec, label, sizeof label);
    if ((err = get_text(js, path, "label", label, false, sec->label, sizeof sec->label, em)) ||
        (err = get_text(js, path, "class", "", true, sec->klass, sizeof sec->klass, em)) ||
        (err = get_number(js, path, "x", NULL, -COORD_MAX, COORD_MAX, &sec->x, em)) ||
        (err = get_number(js, path, "y", NULL, -COORD_MAX, COORD_MAX, &sec->y, em)))
        return err;
    return USHER_OK;
}

/* One entry of a "seats" array. */
static usher_err parse_seat(layout *l, const json_t *js, int si, int j, usher_errmsg *em)
{
    char path[PATH_SIZE];
    snprintf(path, sizeof path, "sections[%d].seats[%d]", si, j);
    if (!json_is_object(js))
        return usher_fail(em, USHER_INVAL, "%s: must be an object, not %s", path, json_what(js));
    layout_seat seat = {.section = si, .number = j + 1};
    char number[16];
    snprintf(number, sizeof number, "%d", j + 1);
    const char *klass = l->sections[si].klass;
    usher_err err;
    if ((err = get_ident(js, path, seat.id, em)) ||
        (err = get_text(js, path, "label", number, false, seat.label, sizeof seat.label, em)) ||
        (err = get_text(js, path, "class", klass, true, seat.klass, sizeof seat.klass, em)) ||
        (err = get_number(js, path, "x", NULL, -COORD_MAX, COORD_MAX, &seat.x, em)) ||
        (err = get_number(js, path, "y", NULL, -COORD_MAX, COORD_MAX, &seat.y, em)))
        return err;
    return layout__push_seat(l, &seat, true, em);
}

/* Table radius, or row spacing and curve, checked against counted seats. */
static usher_err parse_geometry(const json_t *js, const char *path, bool counted,
                                layout_section *sec, double *spacing, double *curve,
                                usher_errmsg *em)
{
    usher_err err;
    if (sec->kind == SECTION_ROW) {
        const double sp = LAYOUT__ROW_SPACING, cu = 0.0;
        if (!counted)
            return USHER_OK;
        if ((err = get_number(js, path, "spacing", &sp, LAYOUT_SEAT_SIZE, SPACING_MAX, spacing,
                              em)) ||
            (err = get_number(js, path, "curve", &cu, -CURVE_MAX, CURVE_MAX, curve, em)))
            return err;
        return USHER_OK;
    }
    const double r = layout__default_radius(sec->seat_count);
    if ((err = get_number(js, path, "radius", &r, 1.0, RADIUS_MAX, &sec->radius, em)))
        return err;
    double need = layout__min_radius(sec->seat_count);
    if (counted && sec->radius < need - 1e-9)
        return usher_fail(em, USHER_INVAL,
                          "%s.radius: %.10g is too small for %d seats (they would overlap); use "
                          "at least %.0f",
                          path, sec->radius, sec->seat_count, ceil(need));
    return USHER_OK;
}

static usher_err parse_section(layout *l, const json_t *js, int si, usher_errmsg *em)
{
    char path[PATH_SIZE];
    snprintf(path, sizeof path, "sections[%d]", si);
    if (!json_is_object(js))
        return usher_fail(em, USHER_INVAL, "%s: must be an object, not %s", path, json_what(js));
    layout_section sec = {.first_seat = l->nseats};
    double spacing = 0, curve = 0;
    const json_t *seats = json_object_get(js, "seats");
    bool counted = json_is_integer(seats);
    usher_err err;
    if ((err = parse_section_head(js, path, &sec, em)) ||
        (err = get_seat_count(seats, path, &sec.seat_count, em)) ||
        (err = parse_geometry(js, path, counted, &sec, &spacing, &curve, em)))
        return err;
    if (l->nseats + sec.seat_count > USHER_MAX_SEATS)
        return usher_fail(em, USHER_INVAL,
                          "%s.seats: the layout would have %d seats; the limit is %d", path,
                          l->nseats + sec.seat_count, USHER_MAX_SEATS);
    if ((err = layout__push_section(l, &sec, em)))
        return err;
    if (counted)
        return layout__generate_seats(l, si, spacing, curve, em);
    for (int j = 0; j < sec.seat_count; j++)
        if ((err = parse_seat(l, json_array_get(seats, (size_t)j), si, j, em)))
            return err;
    return USHER_OK;
}

static usher_err parse_root(layout *l, const json_t *root, usher_errmsg *em)
{
    if (!json_is_object(root))
        return usher_fail(em, USHER_INVAL, "the layout must be a JSON object, not %s",
                          json_what(root));
    usher_err err = get_text(root, "", "name", "", true, l->name, sizeof l->name, em);
    if (err)
        return err;
    const json_t *sections = json_object_get(root, "sections");
    if (!sections)
        return usher_fail(em, USHER_INVAL,
                          "missing key \"sections\" (the array of tables and rows)");
    if (!json_is_array(sections))
        return usher_fail(em, USHER_INVAL, "sections: must be an array, not %s",
                          json_what(sections));
    size_t n = json_array_size(sections);
    if (n == 0)
        return usher_fail(em, USHER_INVAL,
                          "sections: the array is empty; a layout needs at least one table or row");
    if (n > LAYOUT_MAX_SECTIONS)
        return usher_fail(em, USHER_INVAL, "sections: %zu sections; at most %d", n,
                          LAYOUT_MAX_SECTIONS);
    for (size_t i = 0; i < n; i++)
        if ((err = parse_section(l, json_array_get(sections, i), (int)i, em)))
            return err;
    return USHER_OK;
}

usher_err layout_from_json(const char *text, size_t len, layout **out, usher_errmsg *em)
{
    if (!text || !out)
        return usher_fail(em, USHER_INVAL, "no layout text given");
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return usher_fail(em, USHER_PARSE, "invalid JSON at line %d, column %d: %s", jerr.line,
                          jerr.column, jerr.text);
    usher_err err = USHER_OK;
    layout *l = layout__alloc();
    if (!l)
        err = layout__oom(em);
    if (!err)
        err = parse_root(l, root, em);
    json_decref(root);
    if (err) {
        layout_free(l);
        return err;
    }
    layout__finish(l);
    *out = l;
    return USHER_OK;
}

/* Reads a whole file of at most FILE_MAX bytes into a malloc'd buffer. */
static usher_err read_file(const char *path, char **data, size_t *len, usher_errmsg *em)
{
    usher_err err = USHER_OK;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return usher_fail(em, errno == ENOENT ? USHER_NOTFOUND : USHER_IO,
                          "%s: cannot open the layout file: %s", path, strerror(errno));
    for (;;) {
        if (n == cap) {
            if (cap > FILE_MAX) {
                err = usher_fail(em, USHER_TOOBIG,
                                 "%s: the file is larger than %zu MiB; a layout is much smaller",
                                 path, FILE_MAX >> 20);
                goto out;
            }
            cap = cap ? cap * 2 : 65536;
            if (cap > FILE_MAX + 1)
                cap = FILE_MAX + 1;
            char *p = realloc(buf, cap);
            if (!p) {
                err = usher_fail(em, USHER_NOMEM, "%s: out of memory reading the file", path);
                goto out;
            }
            buf = p;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) {
            err = usher_fail(em, USHER_IO, "%s: cannot read the layout file: %s", path,
                             strerror(errno));
            goto out;
        }
        if (feof(f))
            break;
    }
    if (n > FILE_MAX)
        err = usher_fail(em, USHER_TOOBIG,
                         "%s: the file is larger than %zu MiB; a layout is much smaller", path,
                         FILE_MAX >> 20);
out:
    fclose(f);
    if (err) {
        free(buf);
        return err;
    }
    *data = buf;
    *len = n;
    return USHER_OK;
}

usher_err layout_load_file(const char *path, layout **out, usher_errmsg *em)
{
    if (!path || !out)
        return usher_fail(em, USHER_INVAL, "no layout file given");
    char *data = NULL;
    size_t len = 0;
    usher_err err = read_file(path, &data, &len, em);
    if (err)
        return err;
    err = layout_from_json(data, len, out, em);
    if (err)
        usher_errmsg_prefix(em, "%s", path);
    free(data);
    return err;
}

usher_err layout_open(const char *spec_or_path, layout **out, usher_errmsg *em)
{
    if (!spec_or_path || !out)
        return usher_fail(em, USHER_INVAL, "no layout given");
    if (!strncmp(spec_or_path, "gala:", 5) || !strncmp(spec_or_path, "theatre:", 8))
        return layout_generate(spec_or_path, out, em);
    return layout_load_file(spec_or_path, out, em);
}

/* --- JSON writing --- */

/* Whole numbers as integers ("100", not "100.0"); the rest with 17 digits,
 * which reads back to the same double. */
static json_t *json_coord(double v)
{
    if (v == floor(v) && fabs(v) <= COORD_MAX)
        return json_integer((json_int_t)v);
    return json_real(v);
}

/* Adds key = value to obj; false (and value released) on failure. */
static bool put(json_t *obj, const char *key, json_t *value)
{
    return json_object_set_new(obj, key, value) == 0;
}

static json_t *seat_to_json(const layout *l, const layout_seat *s)
{
    json_t *o = json_object();
    char number[16];
    snprintf(number, sizeof number, "%d", s->number);
    bool ok = o && put(o, "id", json_string(s->id)) && put(o, "x", json_coord(s->x)) &&
              put(o, "y", json_coord(s->y));
    if (ok && strcmp(s->label, number) != 0)
        ok = put(o, "label", json_string(s->label));
    if (ok && strcmp(s->klass, l->sections[s->section].klass) != 0)
        ok = put(o, "class", json_string(s->klass));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *section_to_json(const layout *l, const layout_section *sec, bool compact)
{
    json_t *o = json_object();
    json_t *seats = json_array();
    bool ok = o && seats &&
              put(o, "kind", json_string(sec->kind == SECTION_TABLE ? "table" : "row")) &&
              put(o, "id", json_string(sec->id)) && put(o, "label", json_string(sec->label)) &&
              put(o, "x", json_coord(sec->x)) && put(o, "y", json_coord(sec->y));
    if (ok && sec->kind == SECTION_TABLE)
        ok = put(o, "radius", json_coord(sec->radius));
    if (ok && sec->klass[0])
        ok = put(o, "class", json_string(sec->klass));
    double spacing = 0, curve = 0;
    if (ok && compact && layout__counted_form(l, sec, &spacing, &curve)) {
        json_decref(seats);
        ok = put(o, "seats", json_integer(sec->seat_count));
        if (ok && sec->kind == SECTION_ROW)
            ok = put(o, "spacing", json_real(spacing)) && put(o, "curve", json_real(curve));
        if (!ok) {
            json_decref(o);
            return NULL;
        }
        return o;
    }
    for (int i = 0; ok && i < sec->seat_count; i++)
        ok = json_array_append_new(seats, seat_to_json(l, &l->seats[sec->first_seat + i])) == 0;
    if (ok)
        ok = put(o, "seats", seats);
    else
        json_decref(seats);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static char *to_json(const layout *l, bool compact)
{
    json_t *root = json_object();
    json_t *sections = json_array();
    char *text = NULL;
    bool ok = root && sections && put(root, "name", json_string(l->name));
    for (int i = 0; ok && i < l->nsections; i++)
        ok = json_array_append_new(sections, section_to_json(l, &l->sections[i], compact)) == 0;
    if (ok) {
        ok = put(root, "sections", sections);
        sections = NULL;
    }
    if (ok)
        text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(sections);
    json_decref(root);
    return text;
}

char *layout_to_json(const layout *l)
{
    return to_json(l, false);
}

char *layout_to_json_compact(const layout *l)
{
    return to_json(l, true);
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

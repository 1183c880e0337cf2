/* coord_entrance.c - entrances in the coordinator's store (both stores, one SQL). */
#include "coord_entrance.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fold.h"
#include "protocol.h"
#include "text.h"

/* ---- reading ----------------------------------------------------------- */

typedef struct read_ctx {
    entrance_set *set;
    bool bad; /* a stored row that does not read as an entrance */
} read_ctx;

static void entrance_row(void *arg, int ncols, const char *const *cols)
{
    read_ctx *rc = arg;
    if (ncols != 3 || rc->set->n == ENTRANCE_MAX) {
        rc->bad = true;
        return;
    }
    entrance *e = &rc->set->all[rc->set->n];
    memset(e, 0, sizeof *e);
    usher_errmsg em = {{0}};
    if (!text_copy(e->name, sizeof e->name, cols[0]) ||
        entrance_parse_list(cols[1], "classes", e->classes[0], sizeof e->classes[0], &e->nclasses,
                            &em) != USHER_OK ||
        entrance_parse_list(cols[2], "sections", e->sections[0], sizeof e->sections[0],
                            &e->nsections, &em) != USHER_OK ||
        entrance_check(e, &em) != USHER_OK) {
        rc->bad = true;
        return;
    }
    rc->set->n++;
}

usher_err coord_entrances_read(coorddb *db, entrance_set *out, usher_errmsg *em)
{
    entrance_set *s = calloc(1, sizeof *s);
    if (!s)
        return usher_fail(em, USHER_NOMEM, "out of memory reading the entrances");
    read_ctx rc = {s, false};
    usher_err err = coorddb_read_rows(
        db, "SELECT name, classes, sections FROM entrances ORDER BY created_at, name_key",
        entrance_row, &rc, em);
    if (!err && rc.bad)
        err = usher_fail(em, USHER_DB, "the coordinator database holds an entrance it cannot read");
    if (!err)
        *out = *s;
    free(s);
    return err;
}

/* ---- names for messages ---------------------------------------------------- */

typedef struct names {
    char **v;
    size_t n, cap;
    bool nomem;
} names;

static void names_add(names *ns, const char *s)
{
    if (!s[0])
        return;
    for (size_t i = 0; i < ns->n; i++)
        if (!strcasecmp(ns->v[i], s))
            return;
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? ns->cap * 2 : 16;
        char **v = realloc(ns->v, cap * sizeof *v);
        if (!v) {
            ns->nomem = true;
            return;
        }
        ns->v = v;
        ns->cap = cap;
    }
    if (!(ns->v[ns->n] = strdup(s)))
        ns->nomem = true;
    else
        ns->n++;
}

static void names_free(names *ns)
{
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    free(ns->v);
}

/* The spelling in ns of s (ASCII case ignored), or NULL. */
static const char *names_find(const names *ns, const char *s)
{
    for (size_t i = 0; i < ns->n; i++)
        if (!strcasecmp(ns->v[i], s))
            return ns->v[i];
    return NULL;
}

/* "A, B, C" (the first few, then "and N more") into out. */
static void names_list(const names *ns, char *out, size_t size)
{
    size_t used = 0, shown = 0;
    out[0] = 0;
    for (size_t i = 0; i < ns->n && shown < 12; i++, shown++) {
        int w = snprintf(out + used, size - used, "%s%s", i ? ", " : "", ns->v[i]);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
    if (shown < ns->n && used < size)
        snprintf(out + used, size - used, " and %zu more", ns->n - shown);
}

static void class_row(void *arg, int ncols, const char *const *cols)
{
    if (ncols == 1)
        names_add(arg, cols[0]);
}

/* ---- adding, removing, assigning ---------------------------------------------- */

/* Checks each of items (stride) against known, rewriting it as known spells
 * it; USHER_INVAL naming those unknown and what exists. */
static usher_err check_known(char *items, size_t stride, size_t n, const names *known,
                             const char *what, const char *none, usher_errmsg *em)
{
    char bad[512] = "";
    size_t nbad = 0, used = 0;
    for (size_t i = 0; i < n; i++) {
        char *it = items + i * stride;
        const char *k = names_find(known, it);
        if (k) {
            text_copy(it, stride, k);
            continue;
        }
        int w = snprintf(bad + used, sizeof bad - used, "%s\"%s\"", nbad ? ", " : "", it);
        if (w > 0 && (size_t)w < sizeof bad - used)
            used += (size_t)w;
        nbad++;
    }
    if (!nbad)
        return USHER_OK;
    char have[512];
    names_list(known, have, sizeof have);
    const char *many = !strcmp(what, "class") ? "classes" : "sections";
    if (!known->n)
        return usher_fail(em, USHER_INVAL, "unknown %s %s: %s", nbad > 1 ? many : what, bad, none);
    return usher_fail(em, USHER_INVAL, "unknown %s %s (the event's %s: %s)", nbad > 1 ? many : what,
                      bad, many, have);
}

usher_err coord_entrance_add(coorddb *db, const layout *l, const entrance *in, int64_t now,
                             usher_errmsg *em)
{
    entrance e = *in;
    usher_err err = entrance_check(&e, em);
    if (err)
        return err;
    entrance_set *have = calloc(1, sizeof *have);
    names classes = {0}, sections = {0};
    if (!have)
        return usher_fail(em, USHER_NOMEM, "out of memory adding an entrance");
    err = coord_entrances_read(db, have, em);
    const entrance *same = err ? NULL : entrance_find(have, e.name);
    if (!err && same)
        err = usher_fail(em, USHER_EXISTS, "entrance \"%s\" exists already%s%s%s", e.name,
                         strcmp(same->name, e.name) ? " (as \"" : "",
                         strcmp(same->name, e.name) ? same->name : "",
                         strcmp(same->name, e.name) ? "\")" : "");
    if (!err && have->n >= ENTRANCE_MAX)
        err = usher_fail(em, USHER_INVAL, "an event has at most %d entrances; remove one first",
                         ENTRANCE_MAX);
    if (!err && e.nclasses)
        err = coorddb_read_rows(db, "SELECT DISTINCT class FROM tickets WHERE class <> ''",
                                class_row, &classes, em);
    for (int i = 0; !err && e.nclasses && i < layout_seat_count(l); i++)
        names_add(&classes, layout_seat_at(l, i)->klass);
    for (int i = 0; !err && i < layout_section_count(l); i++) {
        names_add(&sections, layout_section_at(l, i)->id);
        if (e.nclasses)
            names_add(&classes, layout_section_at(l, i)->klass);
    }
    if (!err && (classes.nomem || sections.nomem))
        err = usher_fail(em, USHER_NOMEM, "out of memory adding an entrance");
    if (!err)
        err = check_known(e.classes[0], sizeof e.classes[0], e.nclasses, &classes, "class",
                          "the event has no ticket classes yet (import tickets with a class "
                          "column first)",
                          em);
    if (!err)
        err = check_known(e.sections[0], sizeof e.sections[0], e.nsections, &sections, "section",
                          "the layout has no sections", em);
    char key[4 * ENTRANCE_NAME_SIZE], cls[512], secs[512], at[24];
    if (!err && fold_into(e.name, key, sizeof key) != USHER_OK)
        err = usher_fail(em, USHER_INVAL, "entrance \"%s\": not a name", e.name);
    if (!err) {
        entrance_join(e.classes[0], sizeof e.classes[0], e.nclasses, cls, sizeof cls);
        entrance_join(e.sections[0], sizeof e.sections[0], e.nsections, secs, sizeof secs);
        snprintf(at, sizeof at, "%lld", (long long)now);
        const char *p[] = {key, e.name, cls, secs, at};
        err = coorddb_write(db,
                            "INSERT INTO entrances(name_key, name, classes, sections, created_at) "
                            "VALUES ($1, $2, $3, $4, $5)",
                            p, 5, NULL, em);
    }
    names_free(&classes);
    names_free(&sections);
    free(have);
    return err;
}

/* The devices at one entrance, or one device's role: read from every
 * device's row (read_rows takes no parameters, and a venue has few). */
typedef struct device_scan {
    const char *entrance; /* collect the ids of devices at this entrance */
    const char *id;       /* find this device's role */
    char list[512];
    size_t n, used;
    char role[16];
    bool found;
} device_scan;

static void device_scan_row(void *arg, int ncols, const char *const *cols)
{
    device_scan *d = arg;
    if (ncols != 3)
        return;
    if (d->id && !strcmp(cols[0], d->id)) {
        text_copy(d->role, sizeof d->role, cols[1]);
        d->found = true;
    }
    if (!d->entrance || strcmp(cols[2], d->entrance))
        return;
    int w =
        snprintf(d->list + d->used, sizeof d->list - d->used, "%s%s", d->n ? ", " : "", cols[0]);
    if (w > 0 && (size_t)w < sizeof d->list - d->used)
        d->used += (size_t)w;
    d->n++;
}

static usher_err scan_devices(coorddb *db, device_scan *d, usher_errmsg *em)
{
    return coorddb_read_rows(db, "SELECT id, role, entrance FROM devices ORDER BY id",
                             device_scan_row, d, em);
}

/* "A, B" of s's names, or "none". */
static void entrance_names(const entrance_set *s, char *out, size_t size)
{
    size_t used = 0;
    text_copy(out, size, "there are none");
    for (size_t i = 0; i < s->n; i++) {
        int w = snprintf(out + used, size - used, "%s%s", i ? ", " : "", s->all[i].name);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
}

usher_err coord_entrance_remove(coorddb *db, const char *name, usher_errmsg *em)
{
    entrance_set *have = calloc(1, sizeof *have);
    if (!have)
        return usher_fail(em, USHER_NOMEM, "out of memory removing an entrance");
    usher_err err = coord_entrances_read(db, have, em);
    const entrance *e = err ? NULL : entrance_find(have, name);
    char list[ENTRANCE_MAX * (ENTRANCE_NAME_SIZE + 2)];
    if (!err && !e) {
        entrance_names(have, list, sizeof list);
        err = usher_fail(em, USHER_NOTFOUND, "no entrance \"%.40s\" (entrances: %s)", name, list);
    }
    device_scan d = {.entrance = e ? e->name : NULL};
    const char *p[] = {e ? e->name : ""};
    if (!err)
        err = scan_devices(db, &d, em);
    if (!err && d.n)
        err = usher_fail(em, USHER_CONFLICT,
                         "entrance \"%s\" still has %s %s: put %s at another entrance first "
                         "(usher-coord device set --name ID --entrance OTHER, or --entrance "
                         "none; or on the dashboard's devices table)",
                         e->name, d.n > 1 ? "doors" : "door", d.list, d.n > 1 ? "them" : "it");
    if (!err)
        err = coorddb_write(db, "DELETE FROM entrances WHERE name = $1", p, 1, NULL, em);
    free(have);
    return err;
}

usher_err coord_entrance_assign(coorddb *db, const char *id, const char *name, usher_errmsg *em)
{
    if (!text_is_ident(id, USHER_DEVICE_SIZE - 1))
        return usher_fail(em, USHER_NOTFOUND, "no device \"%.64s\"", id);
    device_scan dr = {.id = id};
    usher_err err = scan_devices(db, &dr, em);
    if (!err && !dr.found)
        return usher_fail(em, USHER_NOTFOUND, "no device \"%s\" (usher-coord device list)", id);
    if (!err && strcmp(dr.role, "door"))
        return usher_fail(em, USHER_INVAL,
                          "device \"%s\" has the role %s: only a door belongs to an entrance", id,
                          dr.role);
    if (err)
        return err;
    entrance_set *have = calloc(1, sizeof *have);
    if (!have)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    const entrance *e = NULL;
    if (name[0]) {
        err = coord_entrances_read(db, have, em);
        if (!err && !(e = entrance_find(have, name))) {
            char list[ENTRANCE_MAX * (ENTRANCE_NAME_SIZE + 2)];
            entrance_names(have, list, sizeof list);
            err = usher_fail(em, USHER_NOTFOUND,
                             "no entrance \"%.40s\" (entrances: %s; add it with usher-coord "
                             "entrance add)",
                             name, list);
        }
    }
    if (!err) {
        const char *p[] = {e ? e->name : "", id};
        err = coorddb_write(db, "UPDATE devices SET entrance = $1 WHERE id = $2", p, 2, NULL, em);
    }
    free(have);
    return err;
}

/* ---- the serving coordinator's copy ------------------------------------------ */

typedef struct door_entrance {
    char id[USHER_DEVICE_SIZE];
    char entrance[ENTRANCE_NAME_SIZE];
} door_entrance;

struct coord_entrance_cache {
    pthread_mutex_t mu;
    entrance_set set;
    door_entrance *doors;
    size_t ndoors;
};

coord_entrance_cache *coord_entrance_cache_new(void)
{
    coord_entrance_cache *c = calloc(1, sizeof *c);
    if (c)
        pthread_mutex_init(&c->mu, NULL);
    return c;
}

void coord_entrance_cache_free(coord_entrance_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->mu);
    free(c->doors);
    free(c);
}

typedef struct doors_ctx {
    door_entrance *v;
    size_t n, cap;
    bool nomem;
} doors_ctx;

static void door_entrance_row(void *arg, int ncols, const char *const *cols)
{
    doors_ctx *d = arg;
    if (ncols != 2 || d->nomem)
        return;
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 16;
        door_entrance *v = realloc(d->v, cap * sizeof *v);
        if (!v) {
            d->nomem = true;
            return;
        }
        d->v = v;
        d->cap = cap;
    }
    text_copy(d->v[d->n].id, sizeof d->v[d->n].id, cols[0]);
    text_copy(d->v[d->n].entrance, sizeof d->v[d->n].entrance, cols[1]);
    d->n++;
}

usher_err coord_entrance_cache_load(coord_entrance_cache *c, coorddb *db, usher_errmsg *em)
{
    entrance_set *s = calloc(1, sizeof *s);
    doors_ctx d = {0};
    if (!s)
        return usher_fail(em, USHER_NOMEM, "out of memory reading the entrances");
    usher_err err = coord_entrances_read(db, s, em);
    if (!err)
        err = coorddb_read_rows(db, "SELECT id, entrance FROM devices ORDER BY id",
                                door_entrance_row, &d, em);
    if (!err && d.nomem)
        err = usher_fail(em, USHER_NOMEM, "out of memory reading the devices");
    for (size_t i = 0; !err && i < d.n; i++) {
        /* Each entrance lists its doors: devices count from them. */
        entrance *e = (entrance *)entrance_find(s, d.v[i].entrance);
        if (e && e->ndoors < ENTRANCE_MAX_DOORS)
            text_copy(e->doors[e->ndoors++], USHER_DEVICE_SIZE, d.v[i].id);
    }
    if (!err) {
        pthread_mutex_lock(&c->mu);
        c->set = *s;
        free(c->doors);
        c->doors = d.v;
        c->ndoors = d.n;
        d.v = NULL;
        pthread_mutex_unlock(&c->mu);
    }
    free(d.v);
    free(s);
    return err;
}

/* A device the cache did not know (added while serving: `device add` writes
 * beside serve): it learns it with the entrance its token's row gives, into
 * the entrance's doors too (mu held). */
static void learn_door(coord_entrance_cache *c, const char *device, const char *name)
{
    door_entrance *v = realloc(c->doors, (c->ndoors + 1) * sizeof *v);
    if (!v)
        return; /* asked again next time */
    c->doors = v;
    text_copy(v[c->ndoors].id, sizeof v[c->ndoors].id, device);
    text_copy(v[c->ndoors].entrance, sizeof v[c->ndoors].entrance, name);
    c->ndoors++;
    entrance *e = (entrance *)entrance_find(&c->set, name);
    if (e && e->ndoors < ENTRANCE_MAX_DOORS)
        text_copy(e->doors[e->ndoors++], USHER_DEVICE_SIZE, device);
}

void coord_entrance_cache_get(coord_entrance_cache *c, const char *device, const char *fallback,
                              entrance_set *out)
{
    pthread_mutex_lock(&c->mu);
    const char *mine = NULL;
    for (size_t i = 0; i < c->ndoors && !mine; i++)
        if (!strcmp(c->doors[i].id, device))
            mine = c->doors[i].entrance;
    if (!mine && fallback && fallback[0] && text_is_ident(device, USHER_DEVICE_SIZE - 1))
        learn_door(c, device, fallback);
    *out = c->set;
    text_copy(out->mine, sizeof out->mine, mine ? mine : fallback ? fallback : "");
    pthread_mutex_unlock(&c->mu);
}

json_t *coord_entrance_cache_json(coord_entrance_cache *c, const char *device, const char *fallback)
{
    pthread_mutex_lock(&c->mu);
    const char *mine = NULL;
    for (size_t i = 0; i < c->ndoors && !mine; i++)
        if (!strcmp(c->doors[i].id, device))
            mine = c->doors[i].entrance;
    if (!mine && fallback && fallback[0] && text_is_ident(device, USHER_DEVICE_SIZE - 1))
        learn_door(c, device, fallback);
    json_t *j = proto_entrances_encode_door(&c->set, mine ? mine : fallback ? fallback : "");
    pthread_mutex_unlock(&c->mu);
    return j;
}

void coord_entrance_cache_counts(coord_entrance_cache *c, const state *st, entrance_set *set,
                                 entrance_count counts[ENTRANCE_MAX])
{
    pthread_mutex_lock(&c->mu);
    *set = c->set;
    pthread_mutex_unlock(&c->mu);
    set->mine[0] = 0;
    entrance_count_all(set, st, counts);
}

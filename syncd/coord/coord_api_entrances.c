/* coord_api_entrances.c - the entrances' endpoints: each change runs on the
 * committer (http_submit_db), then the serving copy (coord_entrance_cache) is
 * read again, so that the next sync answer of every device carries it. */
#include "coord_api_entrances.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "text.h"
#include "timestamp.h"

json_t *coord_api_entrances_for(const http_request *req)
{
    return coord_entrance_cache_json(req->entrances, req->dev.id, req->dev.entrance);
}

static json_t *names_json(const char *items, size_t stride, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(items + i * stride));
    return a;
}

json_t *coord_api_entrances_counts(const http_request *req, const state *st)
{
    entrance_set *s = malloc(sizeof *s);
    entrance_count *counts = malloc(ENTRANCE_MAX * sizeof *counts);
    json_t *out = s && counts ? json_array() : NULL;
    if (out)
        coord_entrance_cache_counts(req->entrances, st, s, counts);
    for (size_t i = 0; out && i < s->n; i++) {
        const entrance *e = &s->all[i];
        json_t *doors = names_json(e->doors[0], sizeof e->doors[0], e->ndoors);
        json_array_append_new(
            out, json_pack("{s:s, s:o, s:o, s:o, s:I, s:I, s:I}", "name", e->name, "classes",
                           names_json(e->classes[0], sizeof e->classes[0], e->nclasses), "sections",
                           names_json(e->sections[0], sizeof e->sections[0], e->nsections), "doors",
                           doors, "admitted", (json_int_t)counts[i].admitted, "expected",
                           (json_int_t)counts[i].expected, "inside", (json_int_t)counts[i].inside));
    }
    free(s);
    free(counts);
    return out;
}

/* A label value in Prometheus' text format: \\, \" and \n escaped. */
static void label_value(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f);
        fputc(*s, f);
    }
}

void coord_api_entrances_metrics(FILE *f, const http_request *req, const state *st)
{
    entrance_set *s = malloc(sizeof *s);
    entrance_count *counts = malloc(ENTRANCE_MAX * sizeof *counts);
    if (s && counts) {
        coord_entrance_cache_counts(req->entrances, st, s, counts);
        static const struct {
            const char *name, *help;
        } m[] = {
            {"usher_entrance_admitted",
             "Tickets checked in whose last entry was by a door of this entrance."},
            {"usher_entrance_expected", "Tickets this entrance admits (a ticket several "
                                        "entrances admit counts in each)."},
            {"usher_entrance_inside",
             "Tickets inside now whose last entry was by a door of this entrance."},
        };
        for (size_t k = 0; k < 3 && s->n; k++) {
            fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", m[k].name, m[k].help, m[k].name);
            for (size_t i = 0; i < s->n; i++) {
                fprintf(f, "%s{entrance=\"", m[k].name);
                label_value(f, s->all[i].name);
                int64_t v = k == 0   ? counts[i].admitted
                            : k == 1 ? counts[i].expected
                                     : counts[i].inside;
                fprintf(f, "\"} %lld\n", (long long)v);
            }
        }
    }
    free(s);
    free(counts);
}

void coord_api_entrances_get(http_request *req, http_reply *r)
{
    const state *st = engine_read_begin(req->e);
    json_t *list = coord_api_entrances_counts(req, st);
    engine_read_end(req->e);
    if (!list) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    http_json(r, 200,
              json_pack("{s:o, s:s}", "entrances", list, "counts",
                        "admitted and inside: by the entrance of the door that let the ticket in "
                        "last; expected: tickets it admits (a ticket several entrances admit "
                        "counts in each)"));
}

/* ---- changes ----------------------------------------------------------- */

typedef enum { JOB_ADD, JOB_REMOVE, JOB_ASSIGN } job_kind;

typedef struct entrance_job {
    job_kind kind;
    engine *e;
    coord_entrance_cache *cache;
    entrance ent;                      /* add */
    char name[4 * ENTRANCE_NAME_SIZE]; /* remove, assign ("" = none) */
    char device[USHER_DEVICE_SIZE];    /* assign */
    usher_errmsg em;
} entrance_job;

static usher_err run_job(coorddb *db, void *arg)
{
    entrance_job *j = arg;
    usher_err err;
    if (j->kind == JOB_ADD) {
        const state *st = engine_read_begin(j->e);
        err = coord_entrance_add(db, state_layout(st), &j->ent, timestamp_now_ms(), &j->em);
        engine_read_end(j->e);
    } else if (j->kind == JOB_REMOVE) {
        err = coord_entrance_remove(db, j->name, &j->em);
    } else {
        err = coord_entrance_assign(db, j->device, j->name, &j->em);
    }
    usher_errmsg lem = {{0}};
    if (!err && coord_entrance_cache_load(j->cache, db, &lem) != USHER_OK)
        fprintf(stderr, "usher-coord: entrances saved, not reread: %s\n", lem.text);
    return err;
}

/* A coorddb_admin_fn: one CHANGE_ENTRANCES, the state untouched. */
static usher_err entrances_mark(state *st, void *arg, change **out, size_t *n, usher_errmsg *em)
{
    (void)st;
    (void)arg;
    change *c = calloc(1, sizeof *c);
    if (!c)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    c->type = CHANGE_ENTRANCES;
    *out = c;
    *n = 1;
    return USHER_OK;
}

/* Every device hears at once that the entrances changed: a mark in the
 * change log (and the event stream), after which it syncs and the answer
 * carries them. Without it a device still learns them at its next poll. */
static void tell_devices(http_request *req)
{
    usher_errmsg em = {{0}};
    if (engine_admin_change(req->e, entrances_mark, NULL, NULL, 0, NULL, NULL, &em) != USHER_OK)
        fprintf(stderr, "usher-coord: entrances saved; devices learn them at their next sync: %s\n",
                em.text);
}

static void finish_job(http_request *req, engine_req *er, http_reply *r)
{
    entrance_job *j = er->db_arg;
    switch (er->err) {
    case USHER_OK:
        tell_devices(req);
        http_json(r, 200, json_pack("{s:b}", "ok", 1));
        break;
    case USHER_INVAL:
        http_error(r, 400, "invalid", "%s", j->em.text);
        break;
    case USHER_EXISTS:
        http_error(r, 409, "exists", "%s", j->em.text);
        break;
    case USHER_CONFLICT:
        http_error(r, 409, "in_use", "%s", j->em.text);
        break;
    case USHER_NOTFOUND:
        http_error(r, 404, "not_found", "%s", j->em.text);
        break;
    default:
        http_error(r, 503, "unavailable", "could not save (%s); try again", j->em.text);
    }
}

static entrance_job *new_job(http_request *req, http_reply *r, job_kind kind)
{
    entrance_job *j = calloc(1, sizeof *j);
    if (!j) {
        http_error(r, 500, "internal", "out of memory");
        return NULL;
    }
    j->kind = kind;
    j->e = req->e;
    j->cache = req->entrances;
    return j;
}

/* A list as JSON: an array of strings, a string "A,B", null or absent. */
static bool read_list(const json_t *v, const char *what, char *out, size_t size, size_t *n,
                      usher_errmsg *em)
{
    if (!v || json_is_null(v)) {
        *n = 0;
        return true;
    }
    if (json_is_string(v))
        return entrance_parse_list(json_string_value(v), what, out, size, n, em) == USHER_OK;
    if (!json_is_array(v)) {
        usher_fail(em, USHER_INVAL, "%s: a list of names (an array of strings, or \"A,B\")", what);
        return false;
    }
    char joined[ENTRANCE_MAX_RULES * 70] = "";
    size_t used = 0;
    if (json_array_size(v) > ENTRANCE_MAX_RULES) {
        usher_fail(em, USHER_INVAL, "%s: more than %d names", what, ENTRANCE_MAX_RULES);
        return false;
    }
    for (size_t i = 0; i < json_array_size(v); i++) {
        const json_t *it = json_array_get(v, i);
        const char *s = json_string_value(it);
        if (!s || !s[0] || strchr(s, ',') || strlen(s) >= size) {
            usher_fail(em, USHER_INVAL, "%s[%zu]: a name of 1 to %zu bytes without a comma", what,
                       i, size - 1);
            return false;
        }
        used += (size_t)snprintf(joined + used, sizeof joined - used, "%s%s", i ? "," : "", s);
    }
    return entrance_parse_list(joined, what, out, size, n, em) == USHER_OK;
}

void coord_api_entrances_post(http_request *req, http_reply *r)
{
    json_error_t je;
    json_t *body = req->len ? json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES, &je) : NULL;
    const json_t *name = json_object_get(body, "name");
    entrance_job *j = NULL;
    usher_errmsg em = {{0}};
    if (!json_is_object(body) || !json_is_string(name)) {
        http_error(r, 400, "invalid",
                   "an entrance is a JSON body {\"name\": \"Gate B\", \"classes\": [\"VIP\"], "
                   "\"sections\": [\"T01\"]} (classes and sections may be left out: every one)");
        goto out;
    }
    if (!(j = new_job(req, r, JOB_ADD)))
        goto out;
    if (!text_copy(j->ent.name, sizeof j->ent.name, json_string_value(name)) ||
        !entrance_name_ok(j->ent.name)) {
        http_error(r, 400, "invalid",
                   "name: 1 to %d bytes of printable UTF-8, no comma or slash, no spaces at "
                   "either end",
                   ENTRANCE_NAME_MAX);
        goto out;
    }
    if (!read_list(json_object_get(body, "classes"), "classes", j->ent.classes[0],
                   sizeof j->ent.classes[0], &j->ent.nclasses, &em) ||
        !read_list(json_object_get(body, "sections"), "sections", j->ent.sections[0],
                   sizeof j->ent.sections[0], &j->ent.nsections, &em)) {
        http_error(r, 400, "invalid", "%s", em.text);
        goto out;
    }
    http_submit_db(req, run_job, j, free, finish_job);
    j = NULL;
out:
    free(j);
    json_decref(body);
}

bool coord_api_entrance_path(const char *p)
{
    return !strncmp(p, "/v1/entrances/", 14) && p[14] && !strchr(p + 14, '/');
}

bool coord_api_device_path(const char *p)
{
    return !strncmp(p, "/v1/devices/", 12) && p[12] && !strchr(p + 12, '/');
}

void coord_api_entrance_delete(http_request *req, http_reply *r)
{
    entrance_job *j = new_job(req, r, JOB_REMOVE);
    if (!j)
        return;
    if (!text_copy(j->name, sizeof j->name, req->path + 14)) {
        http_error(r, 404, "not_found", "no such entrance");
        free(j);
        return;
    }
    http_submit_db(req, run_job, j, free, finish_job);
}

void coord_api_device_put(http_request *req, http_reply *r)
{
    json_error_t je;
    json_t *body = req->len ? json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES, &je) : NULL;
    const json_t *ent = json_object_get(body, "entrance");
    entrance_job *j = NULL;
    if (!json_is_object(body) || !ent || (!json_is_string(ent) && !json_is_null(ent))) {
        http_error(r, 400, "invalid",
                   "a door's entrance is a JSON body {\"entrance\": \"Gate B\"} (null or \"\": "
                   "none, it then admits every ticket)");
        goto out;
    }
    if (!(j = new_job(req, r, JOB_ASSIGN)))
        goto out;
    const char *name = json_is_string(ent) ? json_string_value(ent) : "";
    if (!text_copy(j->name, sizeof j->name, name) ||
        !text_copy(j->device, sizeof j->device, req->path + 12)) {
        http_error(r, 404, "not_found", "no such device or entrance");
        goto out;
    }
    http_submit_db(req, run_job, j, free, finish_job);
    j = NULL;
out:
    free(j);
    json_decref(body);
}

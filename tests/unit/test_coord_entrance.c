/* test_coord_entrance.c - entrances in the coordinator's store on a real
 * SQLite file: added with classes and sections checked against the event's,
 * refused with a sentence and nothing written, a door put at one, removal
 * refused while a door belongs to it, the serving copy with each entrance's
 * doors, and the counts over a state (entrance_count). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord_entrance.h"
#include "coorddb.h"
#include "text.h"

#define NOW 1795000000000LL

static const char *two_tables = "{\"name\":\"Two\",\"sections\":["
                                "{\"kind\":\"table\",\"id\":\"T01\",\"x\":0,\"y\":0,\"seats\":4},"
                                "{\"kind\":\"table\",\"id\":\"T02\",\"x\":300,\"y\":0,\"seats\":4,"
                                "\"class\":\"Press\"}]}";

static const state_config coord_cfg = {.reseat = RESEAT_NEAREST, .remember_ops = true};

typedef struct fx {
    char *dir, *path;
    coorddb *db;
    layout *l;
    state *st;
} fx;

static void must(usher_err err, const usher_errmsg *em, const char *what)
{
    if (err != USHER_OK)
        fail_msg("%s: %s (%s)", what, usher_errname(err), em->text);
}

static int setup(void **ctx)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = testutil_tmpdir();
    f->path = testutil_path(f->dir, "coord.db");
    usher_errmsg em = {{0}};
    must(coorddb_open(f->path, &f->db, &em), &em, "open");
    layout *l = NULL;
    must(layout_from_json(two_tables, strlen(two_tables), &l, &em), &em, "layout");
    must(coorddb_init_event(f->db, "Gala", l, NOW, &em), &em, "init");
    layout_free(l);
    must(coorddb_load(f->db, &coord_cfg, &f->l, &f->st, &em), &em, "load");
    ticket_list tl = {0};
    for (int i = 1; i <= 4; i++) {
        ticket_rec r;
        memset(&r, 0, sizeof r);
        snprintf(r.code, sizeof r.code, "GALA-%04d", i);
        snprintf(r.name, sizeof r.name, "Guest %d", i);
        text_copy(r.klass, sizeof r.klass, i == 1 ? "VIP" : "Regular");
        must(ticket_list_push(&tl, &r), &em, "push");
    }
    size_t added = 0;
    must(coorddb_add_tickets(f->db, f->st, &tl, NOW, &added, &em), &em, "add");
    ticket_list_release(&tl);
    char token[COORD_TOKEN_SIZE];
    must(coorddb_device_add(f->db, "door-1", ROLE_DOOR, NOW, token, &em), &em, "door-1");
    must(coorddb_device_add(f->db, "kiosk-1", ROLE_KIOSK, NOW, token, &em), &em, "kiosk-1");
    *ctx = f;
    return 0;
}

static int teardown(void **ctx)
{
    fx *f = *ctx;
    state_free(f->st);
    layout_free(f->l);
    coorddb_free(f->db);
    testutil_rmtree(f->dir);
    free(f->path);
    free(f->dir);
    free(f);
    return 0;
}

static entrance mk(const char *name, const char *classes, const char *sections)
{
    entrance e;
    memset(&e, 0, sizeof e);
    text_copy(e.name, sizeof e.name, name);
    usher_errmsg em = {{0}};
    must(entrance_parse_list(classes, "classes", e.classes[0], sizeof e.classes[0], &e.nclasses,
                             &em),
         &em, "classes");
    must(entrance_parse_list(sections, "sections", e.sections[0], sizeof e.sections[0],
                             &e.nsections, &em),
         &em, "sections");
    return e;
}

static void read_all(fx *f, entrance_set *s)
{
    usher_errmsg em = {{0}};
    must(coord_entrances_read(f->db, s, &em), &em, "read");
}

static void add_check_and_refusals(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    entrance e = mk("Main", "regular", "");
    must(coord_entrance_add(f->db, f->l, &e, NOW, &em), &em, "add Main");
    e = mk("Press gate", "press", "t02"); /* a seat class counts too; spelled as the event does */
    must(coord_entrance_add(f->db, f->l, &e, NOW + 1, &em), &em, "add Press gate");
    entrance_set *s = calloc(1, sizeof *s);
    assert_non_null(s);
    read_all(f, s);
    assert_int_equal(s->n, 2);
    assert_string_equal(s->all[0].name, "Main");
    assert_string_equal(s->all[0].classes[0], "Regular");
    assert_string_equal(s->all[1].classes[0], "Press");
    assert_string_equal(s->all[1].sections[0], "T02");

    e = mk("MAIN", "", "");
    assert_int_equal(coord_entrance_add(f->db, f->l, &e, NOW, &em), USHER_EXISTS);
    assert_non_null(strstr(em.text, "\"MAIN\" exists already (as \"Main\")"));
    e = mk("X", "Gold,VIP,Silver", "");
    assert_int_equal(coord_entrance_add(f->db, f->l, &e, NOW, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "unknown classes \"Gold\", \"Silver\""));
    assert_non_null(strstr(em.text, "VIP, Regular, Press"));
    e = mk("X", "", "T09");
    assert_int_equal(coord_entrance_add(f->db, f->l, &e, NOW, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "unknown section \"T09\" (the event's sections: T01, T02)"));
    e = mk("X", "", "");
    text_copy(e.name, sizeof e.name, " X");
    assert_int_equal(coord_entrance_add(f->db, f->l, &e, NOW, &em), USHER_INVAL);
    read_all(f, s);
    assert_int_equal(s->n, 2); /* nothing written by the refusals */
    free(s);
}

static void doors_and_removal(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    entrance e = mk("Main", "", "");
    must(coord_entrance_add(f->db, f->l, &e, NOW, &em), &em, "add");
    assert_int_equal(coord_entrance_assign(f->db, "kiosk-1", "Main", &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "only a door"));
    assert_int_equal(coord_entrance_assign(f->db, "ghost", "Main", &em), USHER_NOTFOUND);
    assert_int_equal(coord_entrance_assign(f->db, "door-1", "Nope", &em), USHER_NOTFOUND);
    assert_non_null(strstr(em.text, "no entrance \"Nope\" (entrances: Main"));
    must(coord_entrance_assign(f->db, "door-1", "main", &em), &em, "assign");
    coord_device *ds = NULL;
    size_t n = 0;
    must(coorddb_devices(f->db, &ds, &n, &em), &em, "devices");
    assert_int_equal(n, 2);
    assert_string_equal(ds[0].entrance, "Main"); /* stored as it is named */
    free(ds);

    coord_entrance_cache *c = coord_entrance_cache_new();
    assert_non_null(c);
    must(coord_entrance_cache_load(c, f->db, &em), &em, "cache");
    entrance_set *s = calloc(1, sizeof *s);
    assert_non_null(s);
    coord_entrance_cache_get(c, "door-1", "", s);
    assert_string_equal(s->mine, "Main");
    assert_int_equal(s->all[0].ndoors, 1);
    assert_string_equal(s->all[0].doors[0], "door-1");
    coord_entrance_cache_get(c, "door-9", "Main", s); /* unknown: its token's word, kept */
    assert_string_equal(s->mine, "Main");
    coord_entrance_cache_get(c, "door-9", "", s);
    assert_string_equal(s->mine, "Main");
    assert_int_equal(s->all[0].ndoors, 2);
    assert_string_equal(s->all[0].doors[1], "door-9");
    json_t *j = coord_entrance_cache_json(c, "door-1", "");
    char *text = json_dumps(j, JSON_COMPACT);
    assert_string_equal(text, "{\"all\":[{\"name\":\"Main\",\"doors\":[\"door-1\",\"door-9\"]}],"
                              "\"door\":\"Main\"}");
    free(text);
    json_decref(j);

    assert_int_equal(coord_entrance_remove(f->db, "MAIN", &em), USHER_CONFLICT);
    assert_non_null(strstr(em.text, "still has door door-1"));
    assert_int_equal(coord_entrance_remove(f->db, "Side", &em), USHER_NOTFOUND);
    must(coord_entrance_assign(f->db, "door-1", "", &em), &em, "none");
    must(coord_entrance_remove(f->db, "MAIN", &em), &em, "remove");
    read_all(f, s);
    assert_int_equal(s->n, 0);
    free(s);
    coord_entrance_cache_free(c);
}

static void counts(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    entrance e = mk("Main", "Regular", "");
    must(coord_entrance_add(f->db, f->l, &e, NOW, &em), &em, "Main");
    e = mk("All", "", "");
    must(coord_entrance_add(f->db, f->l, &e, NOW + 1, &em), &em, "All");
    must(coord_entrance_assign(f->db, "door-1", "Main", &em), &em, "assign");
    coord_entrance_cache *c = coord_entrance_cache_new();
    must(coord_entrance_cache_load(c, f->db, &em), &em, "cache");
    /* GALA-0002 in by door-1, GALA-0003 in and out again. */
    const char *in[] = {"GALA-0002", "GALA-0003"};
    for (int i = 0; i < 2; i++) {
        usher_op op;
        op_init(&op, OP_CHECKIN, "door-1", NOW + 10 + i);
        text_copy(op.ticket, sizeof op.ticket, in[i]);
        apply_result r;
        state_apply(f->st, &op, NOW + 10 + i, &r);
        assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    }
    usher_op out;
    op_init(&out, OP_CHECKOUT, "door-1", NOW + 20);
    text_copy(out.ticket, sizeof out.ticket, "GALA-0003");
    apply_result r;
    state_apply(f->st, &out, NOW + 20, &r);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    entrance_set *s = calloc(1, sizeof *s);
    entrance_count n[ENTRANCE_MAX];
    coord_entrance_cache_counts(c, f->st, s, n);
    assert_int_equal(s->n, 2);
    assert_int_equal(n[0].expected, 3); /* the Regular tickets */
    assert_int_equal(n[1].expected, 4); /* every ticket: counted in both */
    assert_int_equal(n[0].admitted, 2);
    assert_int_equal(n[0].inside, 1);
    assert_int_equal(n[1].admitted, 0); /* no door at All */
    assert_int_equal(entrance_count_inside(&s->all[0], f->st), 1);
    free(s);
    coord_entrance_cache_free(c);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(add_check_and_refusals, setup, teardown),
    cmocka_unit_test_setup_teardown(doors_and_removal, setup, teardown),
    cmocka_unit_test_setup_teardown(counts, setup, teardown),
};

TESTUTIL_MAIN(tests)

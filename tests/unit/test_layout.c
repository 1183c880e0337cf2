/* test_layout.c - venue layouts: the generators, JSON parsing with every refusal
 * and its message, geometry, round trips through layout_to_json, seat lookup. */
#include "testutil.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layout.h"
#include "text.h"

#define ASSETS USHER_TEST_DATA "/../../assets/layouts"

static layout *gen(const char *spec)
{
    usher_errmsg em = {{0}};
    layout *l = NULL;
    if (layout_generate(spec, &l, &em) != USHER_OK)
        fail_msg("layout_generate(%s): %s", spec, em.text);
    return l;
}

static layout *parse(const char *json)
{
    usher_errmsg em = {{0}};
    layout *l = NULL;
    if (layout_from_json(json, strlen(json), &l, &em) != USHER_OK)
        fail_msg("layout_from_json: %s\n%s", em.text, json);
    return l;
}

static layout *load(const char *path)
{
    usher_errmsg em = {{0}};
    layout *l = NULL;
    if (layout_load_file(path, &l, &em) != USHER_OK)
        fail_msg("layout_load_file: %s", em.text);
    return l;
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("message \"%s\" lacks \"%s\"", text, part);
}

/* Parsing json fails with code and a message containing part; out untouched. */
static void json_fails(const char *json, usher_err code, const char *part)
{
    usher_errmsg em = {{0}};
    layout *sentinel = (layout *)&em, *l = sentinel;
    usher_err err = layout_from_json(json, strlen(json), &l, &em);
    if (err != code)
        fail_msg("expected %s, got %s (%s) for %s", usher_errname(code), usher_errname(err),
                 em.text, json);
    assert_ptr_equal(l, sentinel);
    assert_contains(em.text, part);
    assert_int_equal(layout_from_json(json, strlen(json), &l, NULL), code);
}

static void spec_fails(const char *spec, const char *part)
{
    usher_errmsg em = {{0}};
    layout *sentinel = (layout *)&em, *l = sentinel;
    usher_err err = layout_generate(spec, &l, &em);
    if (err != USHER_INVAL)
        fail_msg("spec \"%s\": expected INVAL, got %s (%s)", spec, usher_errname(err), em.text);
    assert_ptr_equal(l, sentinel);
    assert_contains(em.text, part);
    assert_contains(em.text, "\"gala:TABLESxSEATS\"");
    assert_contains(em.text, "\"theatre:ROWSxSEATS\"");
}

/* One section around a body of keys, for the bad-input cases. */
static void section_fails(const char *body, const char *part)
{
    char json[1024];
    snprintf(json, sizeof json, "{\"sections\":[%s]}", body);
    json_fails(json, USHER_INVAL, part);
}

static double dist(const layout_seat *a, const layout_seat *b)
{
    return hypot(a->x - b->x, a->y - b->y);
}

/* Generated positions are multiples of 1/1024, so their JSON is short. */
static void assert_on_grid(const layout *l)
{
    for (int i = 0; i < layout_seat_count(l); i++) {
        const layout_seat *s = layout_seat_at(l, i);
        assert_true(s->x * 1024 == round(s->x * 1024) && s->y * 1024 == round(s->y * 1024));
    }
}

static void assert_seats_apart(const layout *l)
{
    double best = INFINITY;
    for (int i = 0; i < layout_seat_count(l); i++)
        for (int j = i + 1; j < layout_seat_count(l); j++)
            best = fmin(best, dist(layout_seat_at(l, i), layout_seat_at(l, j)));
    if (best < LAYOUT_SEAT_SIZE)
        fail_msg("two seats only %g apart", best);
}

/* Every seat is found by its id at its own index (so ids are unique), each
 * section's seats are contiguous and point back at it. */
static void assert_consistent(const layout *l)
{
    int next = 0;
    for (int s = 0; s < layout_section_count(l); s++) {
        const layout_section *sec = layout_section_at(l, s);
        assert_int_equal(layout_find_section(l, sec->id), s);
        assert_int_equal(sec->first_seat, next);
        for (int k = 0; k < sec->seat_count; k++) {
            const layout_seat *seat = layout_seat_at(l, next + k);
            assert_int_equal(seat->section, s);
            assert_int_equal(seat->number, k + 1);
        }
        next += sec->seat_count;
    }
    assert_int_equal(next, layout_seat_count(l));
    for (int i = 0; i < layout_seat_count(l); i++) {
        const layout_seat *seat = layout_seat_at(l, i);
        assert_true(seat->id[0] != '\0');
        assert_int_equal(layout_find_seat(l, seat->id), i);
    }
}

static void assert_same(const layout *a, const layout *b)
{
    assert_string_equal(layout_name(a), layout_name(b));
    assert_int_equal(layout_section_count(a), layout_section_count(b));
    assert_int_equal(layout_seat_count(a), layout_seat_count(b));
    for (int i = 0; i < layout_section_count(a); i++) {
        const layout_section *x = layout_section_at(a, i), *y = layout_section_at(b, i);
        assert_string_equal(x->id, y->id);
        assert_string_equal(x->label, y->label);
        assert_string_equal(x->klass, y->klass);
        assert_int_equal(x->kind, y->kind);
        assert_int_equal(x->first_seat, y->first_seat);
        assert_int_equal(x->seat_count, y->seat_count);
        /* Written with 17 digits, positions read back exactly. */
        assert_true(x->x == y->x && x->y == y->y && x->radius == y->radius);
    }
    for (int i = 0; i < layout_seat_count(a); i++) {
        const layout_seat *x = layout_seat_at(a, i), *y = layout_seat_at(b, i);
        assert_string_equal(x->id, y->id);
        assert_string_equal(x->label, y->label);
        assert_string_equal(x->klass, y->klass);
        assert_int_equal(x->section, y->section);
        assert_int_equal(x->number, y->number);
        assert_true(x->x == y->x && x->y == y->y);
    }
}

/* to_json, then from_json, gives the same layout, and the same text again. */
static void assert_round_trip(const layout *l)
{
    char *text = layout_to_json(l);
    assert_non_null(text);
    layout *back = parse(text);
    assert_same(l, back);
    char *again = layout_to_json(back);
    assert_non_null(again);
    assert_string_equal(text, again);
    free(again);
    free(text);
    layout_free(back);
}

static const char *seat_id(const layout *l, int i)
{
    return layout_seat_at(l, i)->id;
}

/* --- generators --- */

static void gala_shape_and_ids(void **unused)
{
    layout *l = gen("gala:25x10");
    assert_int_equal(layout_section_count(l), 25);
    assert_int_equal(layout_seat_count(l), 250);
    assert_string_equal(seat_id(l, 0), "T01-01");
    assert_string_equal(seat_id(l, 9), "T01-10");
    assert_string_equal(seat_id(l, 10), "T02-01");
    assert_string_equal(seat_id(l, 249), "T25-10");
    assert_string_equal(layout_section_at(l, 0)->id, "T01");
    assert_string_equal(layout_section_at(l, 0)->label, "Table 1");
    assert_string_equal(layout_section_at(l, 24)->label, "Table 25");
    assert_string_equal(layout_seat_at(l, 12)->label, "3");
    assert_string_equal(layout_name(l), "Gala: 25 tables of 10 seats");
    for (int i = 0; i < 250; i++)
        assert_string_equal(layout_seat_at(l, i)->klass, "");
    assert_int_equal(layout_section_at(l, 6)->kind, SECTION_TABLE);
    assert_consistent(l);
    layout_free(l);
}

static void gala_vip_tables(void **unused)
{
    layout *l = gen("gala:25x10,vip=2");
    assert_string_equal(layout_section_at(l, 0)->klass, "VIP");
    assert_string_equal(layout_section_at(l, 1)->klass, "VIP");
    assert_string_equal(layout_section_at(l, 2)->klass, "");
    for (int i = 0; i < layout_seat_count(l); i++)
        assert_string_equal(layout_seat_at(l, i)->klass, i < 20 ? "VIP" : "");
    layout_free(l);

    l = gen("gala:3x2,vip=3");
    for (int i = 0; i < layout_seat_count(l); i++)
        assert_string_equal(layout_seat_at(l, i)->klass, "VIP");
    layout_free(l);
    l = gen("gala:3x2,vip=0");
    assert_string_equal(layout_seat_at(l, 0)->klass, "");
    layout_free(l);
}

static void gala_ids_widen(void **unused)
{
    layout *l = gen("gala:120x10");
    assert_string_equal(layout_section_at(l, 0)->id, "T001");
    assert_string_equal(seat_id(l, 0), "T001-01");
    assert_string_equal(seat_id(l, 999), "T100-10");
    assert_string_equal(seat_id(l, 1199), "T120-10");
    assert_string_equal(layout_section_at(l, 119)->label, "Table 120");
    assert_consistent(l);
    layout_free(l);

    l = gen("gala:99x1");
    assert_string_equal(seat_id(l, 98), "T99-01");
    layout_free(l);

    l = gen("gala:3x100");
    assert_string_equal(seat_id(l, 0), "T01-001");
    assert_string_equal(seat_id(l, 299), "T03-100");
    layout_free(l);
}

static void gala_geometry(void **unused)
{
    layout *l = gen("gala:25x10");
    for (int s = 0; s < layout_section_count(l); s++) {
        const layout_section *sec = layout_section_at(l, s);
        assert_true(sec->radius >= LAYOUT_SEAT_SIZE);
        for (int k = 0; k < sec->seat_count; k++) {
            const layout_seat *seat = layout_seat_at(l, sec->first_seat + k);
            /* On the circle, up to the 1/1024 grid generated seats sit on. */
            assert_true(fabs(hypot(seat->x - sec->x, seat->y - sec->y) - sec->radius) < 1e-3);
        }
        /* Seat 1 at the top (y grows downward), seat 2 clockwise from it. */
        const layout_seat *one = layout_seat_at(l, sec->first_seat);
        assert_true(fabs(one->x - sec->x) < 1e-9);
        assert_true(fabs(one->y - (sec->y - sec->radius)) < 1e-9);
        assert_true(layout_seat_at(l, sec->first_seat + 1)->x > sec->x);
    }
    /* Five tables a row: T02 beside T01, T06 below it, close neighbours. */
    const layout_section *t1 = layout_section_at(l, 0), *t2 = layout_section_at(l, 1),
                         *t6 = layout_section_at(l, 5);
    assert_true(t1->y == t2->y && t2->x > t1->x);
    assert_true(t1->x == t6->x && t6->y > t1->y);
    assert_true(t2->x - t1->x < 4 * t1->radius);
    assert_true(layout_section_at(l, 4)->y == t1->y);
    assert_seats_apart(l);
    assert_on_grid(l);
    layout_free(l);

    l = gen("gala:7x30");
    assert_seats_apart(l);
    layout_free(l);
    l = gen("gala:3x1");
    assert_seats_apart(l);
    layout_free(l);
}

static void theatre_shape_and_ids(void **unused)
{
    layout *l = gen("theatre:20x30,vip=1");
    assert_int_equal(layout_section_count(l), 20);
    assert_int_equal(layout_seat_count(l), 600);
    assert_string_equal(seat_id(l, 0), "A-1");
    assert_string_equal(seat_id(l, 29), "A-30");
    assert_string_equal(seat_id(l, 30), "B-1");
    assert_string_equal(seat_id(l, 599), "T-30");
    assert_string_equal(layout_section_at(l, 19)->id, "T");
    assert_string_equal(layout_section_at(l, 0)->label, "Row A");
    assert_int_equal(layout_section_at(l, 0)->kind, SECTION_ROW);
    assert_string_equal(layout_seat_at(l, 29)->label, "30");
    assert_string_equal(layout_seat_at(l, 29)->klass, "VIP");
    assert_string_equal(layout_seat_at(l, 30)->klass, "");
    assert_string_equal(layout_name(l), "Theatre: 20 rows of 30 seats");
    assert_consistent(l);
    layout_free(l);

    l = gen("theatre:2x120");
    assert_string_equal(seat_id(l, 0), "A-1");
    assert_string_equal(seat_id(l, 239), "B-120");
    layout_free(l);
}

static void theatre_row_names(void **unused)
{
    layout *l = gen("theatre:703x1");
    static const struct {
        int i;
        const char *id;
    } want[] = {{0, "A"},   {25, "Z"},  {26, "AA"},  {27, "AB"},
                {51, "AZ"}, {52, "BA"}, {701, "ZZ"}, {702, "AAA"}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        assert_string_equal(layout_section_at(l, want[k].i)->id, want[k].id);
    assert_string_equal(seat_id(l, 702), "AAA-1");
    assert_consistent(l);
    layout_free(l);
}

static void theatre_geometry(void **unused)
{
    layout *l = gen("theatre:20x30");
    for (int r = 0; r < 20; r++) {
        const layout_section *sec = layout_section_at(l, r);
        const layout_seat *first = layout_seat_at(l, sec->first_seat);
        const layout_seat *mid = layout_seat_at(l, sec->first_seat + 14);
        const layout_seat *last = layout_seat_at(l, sec->first_seat + 29);
        for (int k = 1; k < 30; k++) {
            const layout_seat *a = layout_seat_at(l, sec->first_seat + k - 1);
            const layout_seat *b = layout_seat_at(l, sec->first_seat + k);
            assert_true(fabs(b->x - a->x - 55.0) < 1e-9);
        }
        /* Centred on x; a gentle curve: the ends nearer the stage (y-). */
        assert_true(fabs((first->x + last->x) / 2 - sec->x) < 1e-9);
        assert_true(fabs(first->y - last->y) < 1e-9);
        assert_true(first->y < mid->y && mid->y <= sec->y);
        assert_true(sec->y - first->y < 0.1 * (last->x - first->x));
        if (r > 0)
            assert_true(sec->y > layout_section_at(l, r - 1)->y);
    }
    assert_seats_apart(l);
    assert_on_grid(l);
    layout_free(l);
}

static void generator_limits(void **unused)
{
    layout *l = gen("gala:2000x125");
    assert_int_equal(layout_seat_count(l), USHER_MAX_SEATS);
    assert_string_equal(seat_id(l, USHER_MAX_SEATS - 1), "T2000-125");
    assert_consistent(l);
    layout_free(l);
    l = gen("theatre:250x1000");
    assert_int_equal(layout_seat_count(l), USHER_MAX_SEATS);
    assert_string_equal(seat_id(l, 100 * 1000 - 1), "CV-1000");
    assert_string_equal(seat_id(l, USHER_MAX_SEATS - 1), "IP-1000");
    assert_consistent(l);
    layout_free(l);
    l = gen("gala:100x1000");
    assert_string_equal(seat_id(l, 0), "T001-0001");
    assert_string_equal(seat_id(l, 100 * 1000 - 1), "T100-1000");
    layout_free(l);
}

static void generator_bad_specs(void **unused)
{
    spec_fails("gala:0x10", "the number of tables must be 1 to 2000");
    spec_fails("gala:2001x1", "the number of tables must be 1 to 2000");
    spec_fails("theatre:0x5", "the number of rows must be 1 to 2000");
    spec_fails("gala:25x0", "seats per table must be 1 to 1000");
    spec_fails("theatre:5x1001", "seats per row must be 1 to 1000");
    spec_fails("gala:300x1000", "300000 seats in all; at most 250000");
    spec_fails("gala:25x10,vip=26", "vip=26 but only 25 tables");
    spec_fails("circus:5x5", "\"circus:5x5\": unknown shape");
    spec_fails("", "unknown shape");
    spec_fails("gala", "unknown shape");
    spec_fails("galax:5x5", "unknown shape");
    static const char *garbled[] = {
        "gala:25x",          "gala:25x10x",       "gala:-1x5",       "gala:",
        "gala:x10",          "gala:25",           "gala: 25x10",     "gala:25X10",
        "gala:+5x5",         "gala:25x10,",       "gala:25x10,vip=", "gala:25x10,vop=2",
        "gala:25x10,vip=2,", "gala:25x10,vip=-1", "gala:99999999x1", "theatre:5x5 ",
        "gala:25x10;vip=2",  "theatre:5x5x5",
    };
    for (size_t i = 0; i < sizeof garbled / sizeof garbled[0]; i++) {
        char part[80];
        snprintf(part, sizeof part, "\"%s\" is not understood", garbled[i]);
        spec_fails(garbled[i], part);
    }
    usher_errmsg em = {{0}};
    layout *l = NULL;
    assert_int_equal(layout_generate(NULL, &l, &em), USHER_INVAL);
    assert_null(l);
    assert_int_equal(layout_generate("gala:0x1", &l, NULL), USHER_INVAL);
}

/* --- JSON --- */

static void json_defaults(void **unused)
{
    layout *l = parse("{\"sections\":["
                      "{\"kind\":\"table\",\"id\":\"T07\",\"x\":0,\"y\":0,\"seats\":4},"
                      "{\"kind\":\"row\",\"id\":\"B\",\"x\":0,\"y\":500,\"seats\":3,"
                      "\"spacing\":60,\"curve\":10},"
                      "{\"kind\":\"table\",\"id\":\"VIP1\",\"x\":500,\"y\":0,\"seats\":1,"
                      "\"class\":\"VIP\"}]}");
    assert_string_equal(layout_name(l), "");
    assert_int_equal(layout_section_count(l), 3);
    assert_int_equal(layout_seat_count(l), 8);
    const layout_section *t = layout_section_at(l, 0);
    assert_string_equal(t->label, "Table 7");
    assert_string_equal(t->klass, "");
    assert_true(t->radius == 75.0);
    assert_string_equal(seat_id(l, 0), "T07-01");
    assert_string_equal(seat_id(l, 3), "T07-04");
    assert_string_equal(layout_seat_at(l, 3)->label, "4");
    assert_true(fabs(layout_seat_at(l, 0)->x) < 1e-9 && layout_seat_at(l, 0)->y == -75.0);
    assert_true(fabs(layout_seat_at(l, 1)->x - 75.0) < 1e-9);
    assert_true(fabs(layout_seat_at(l, 1)->y) < 1e-9);
    const layout_section *row = layout_section_at(l, 1);
    assert_string_equal(row->label, "Row B");
    assert_true(row->radius == 0.0);
    assert_string_equal(seat_id(l, 4), "B-1");
    assert_string_equal(seat_id(l, 6), "B-3");
    assert_true(layout_seat_at(l, 4)->x == -60.0 && layout_seat_at(l, 4)->y == 490.0);
    assert_true(layout_seat_at(l, 5)->x == 0.0 && layout_seat_at(l, 5)->y == 500.0);
    assert_true(layout_seat_at(l, 6)->x == 60.0 && layout_seat_at(l, 6)->y == 490.0);
    assert_string_equal(layout_section_at(l, 2)->label, "Table VIP1");
    assert_string_equal(seat_id(l, 7), "VIP1-01");
    assert_string_equal(layout_seat_at(l, 7)->klass, "VIP");
    assert_int_equal(layout_find_section(l, "B"), 1);
    assert_int_equal(layout_find_section(l, "C"), -1);
    assert_consistent(l);
    layout_free(l);
}

static void json_default_radius_keeps_seats_apart(void **unused)
{
    static const int counts[] = {1, 2, 3, 8, 10, 12, 20, 50, 1000};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        char json[200];
        snprintf(json, sizeof json,
                 "{\"sections\":[{\"kind\":\"table\",\"id\":\"T\",\"x\":0,\"y\":0,\"seats\":%d}]}",
                 counts[i]);
        layout *l = parse(json);
        assert_true(layout_section_at(l, 0)->radius >= 75.0);
        if (counts[i] > 1) {
            double d = dist(layout_seat_at(l, 0), layout_seat_at(l, 1));
            assert_true(d >= LAYOUT_SEAT_SIZE);
        }
        layout_free(l);
    }
}

static void json_explicit_seats(void **unused)
{
    layout *l = load(USHER_TEST_DATA "/layouts/explicit.json");
    assert_string_equal(layout_name(l), "Fixture: explicit seats");
    assert_int_equal(layout_seat_count(l), 6);
    const layout_seat *a = layout_seat_at(l, 0), *b = layout_seat_at(l, 1),
                      *c = layout_seat_at(l, 2);
    assert_string_equal(a->id, "T01-A");
    assert_string_equal(a->label, "1");
    assert_string_equal(a->klass, "VIP");
    assert_true(a->x == 0.0 && a->y == -60.0);
    assert_string_equal(b->label, "Bee");
    assert_string_equal(b->klass, "");
    assert_string_equal(c->label, "3");
    assert_string_equal(c->klass, "Access");
    assert_true(c->x == -60.5 && c->y == 0.25);
    assert_int_equal(c->number, 3);
    assert_true(layout_section_at(l, 0)->radius == 60.0);
    assert_string_equal(layout_section_at(l, 1)->label, "Balcony");
    assert_string_equal(seat_id(l, 5), "R-3");
    assert_true(layout_seat_at(l, 5)->x == 50.0);
    assert_consistent(l);
    layout_free(l);
}

static void json_bad_top_level(void **unused)
{
    json_fails("[]", USHER_INVAL, "the layout must be a JSON object, not an array");
    json_fails("{}", USHER_INVAL, "missing key \"sections\"");
    json_fails("{\"sections\":{}}", USHER_INVAL, "sections: must be an array, not an object");
    json_fails("{\"sections\":[]}", USHER_INVAL, "sections: the array is empty");
    json_fails("{\"name\":5,\"sections\":[]}", USHER_INVAL, "name: must be a string, not a number");
    json_fails("{\"name\":\"a\\nb\",\"sections\":[]}", USHER_INVAL,
               "name: contains control characters");
    char json[400];
    snprintf(json, sizeof json, "{\"name\":\"%0129d\",\"sections\":[]}", 0);
    json_fails(json, USHER_INVAL, "name: too long (129 bytes; at most 128)");
    json_fails("{\"sections\":[5]}", USHER_INVAL, "sections[0]: must be an object, not a number");
}

static void json_malformed(void **unused)
{
    json_fails("", USHER_PARSE, "invalid JSON at line 1");
    json_fails("{\"sections\": [}", USHER_PARSE, "line 1, column 15");
    json_fails("{\"a\":1,\n\"a\":2}", USHER_PARSE, "line 2");
    json_fails("{\"a\":1,\n\"a\":2}", USHER_PARSE, "duplicate");
    json_fails("{\"sections\":[{\"kind\":\"row\",\"x\":1e999}]}", USHER_PARSE, "line 1");
    json_fails("{\"name\":\"\xff\",\"sections\":[]}", USHER_PARSE, "line 1");
    size_t len = 0;
    char *text = testutil_fixture("layouts/bad-syntax.json", &len);
    usher_errmsg em = {{0}};
    layout *l = NULL;
    assert_int_equal(layout_from_json(text, len, &l, &em), USHER_PARSE);
    assert_null(l);
    assert_contains(em.text, "invalid JSON at line 4, column 59");
    free(text);
    assert_int_equal(layout_from_json(NULL, 0, &l, &em), USHER_INVAL);
}

static void json_bad_section_keys(void **unused)
{
    section_fails("{\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2}",
                  "sections[0]: missing key \"kind\"");
    section_fails("{\"kind\":1,\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2}",
                  "sections[0].kind: must be a string, not a number");
    section_fails("{\"kind\":\"booth\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2}",
                  "sections[0].kind: unknown kind \"booth\"; use \"table\" or \"row\"");
    section_fails("{\"kind\":\"table\",\"x\":0,\"y\":0,\"seats\":2}",
                  "sections[0]: missing key \"id\"");
    section_fails("{\"kind\":\"table\",\"id\":\"\",\"x\":0,\"y\":0,\"seats\":2}",
                  "sections[0].id: must not be empty");
    section_fails("{\"kind\":\"table\",\"id\":\"T 1\",\"x\":0,\"y\":0,\"seats\":2}",
                  "sections[0].id: \"T 1\" is not a valid id");
    section_fails("{\"kind\":\"table\",\"id\":\"ABCDEFGHIJKLMNOPQ\",\"x\":0,\"y\":0,\"seats\":2}",
                  "not a valid id; use 1 to 16 characters");
    section_fails("{\"kind\":\"table\",\"id\":[],\"x\":0,\"y\":0,\"seats\":2}",
                  "sections[0].id: must be a string, not an array");
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"y\":0,\"seats\":2}",
                  "sections[0]: missing key \"x\"");
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"seats\":2}",
                  "sections[0]: missing key \"y\"");
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":\"0\",\"y\":0,\"seats\":2}",
                  "sections[0].x: must be a number, not a string");
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":2e6,\"y\":0,\"seats\":2}",
                  "sections[0].x: 2000000 is out of range; use -1000000 to 1000000");
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":-1000000.5,\"seats\":2}",
                  "sections[0].y: -1000000.5 is out of range");
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2,\"label\":\"\"}",
                  "sections[0].label: must not be empty");
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2,"
                  "\"label\":\"123456789012345678901234567890123\"}",
                  "sections[0].label: too long (33 bytes; at most 32)");
    section_fails(
        "{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2,\"label\":\"a\\tb\"}",
        "sections[0].label: contains control characters");
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2,"
                  "\"class\":\"ABCDEFGHIJKLMNOPQ\"}",
                  "sections[0].class: too long (17 bytes; at most 16)");
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2,\"class\":true}",
                  "sections[0].class: must be a string, not true");
}

static void json_bad_seat_counts(void **unused)
{
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0}",
                  "sections[0]: missing key \"seats\" (a seat count or an array of seats)");
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":0}",
                  "sections[0].seats: 0 seats; a section holds 1 to 1000");
    section_fails("{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":0,\"seats\":1001}",
                  "sections[0].seats: 1001 seats; a section holds 1 to 1000");
    section_fails("{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":0,\"seats\":-3}",
                  "sections[0].seats: -3 seats");
    section_fails("{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":0,\"seats\":[]}",
                  "sections[0].seats: 0 seats");
    section_fails("{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":0,\"seats\":\"ten\"}",
                  "sections[0].seats: must be a seat count or an array of seats, not a string");
    section_fails("{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":0,\"seats\":2.5}",
                  "sections[0].seats: must be a seat count or an array of seats, not a number");

    /* 1001 explicit seats. */
    size_t cap = 64 * 1024, n = 0;
    char *json = malloc(cap);
    assert_non_null(json);
    n += (size_t)snprintf(
        json + n, cap - n,
        "{\"sections\":[{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":0,\"seats\":[");
    for (int i = 0; i < 1001; i++)
        n += (size_t)snprintf(json + n, cap - n, "%s{\"id\":\"A-%d\",\"x\":%d,\"y\":0}",
                              i ? "," : "", i + 1, i * 60);
    snprintf(json + n, cap - n, "]}]}");
    json_fails(json, USHER_INVAL, "sections[0].seats: 1001 seats; a section holds 1 to 1000");
    free(json);
}

static void json_bad_geometry(void **unused)
{
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2,\"radius\":0}",
                  "sections[0].radius: 0 is out of range; use 1 to 100000");
    section_fails(
        "{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2,\"radius\":\"big\"}",
        "sections[0].radius: must be a number, not a string");
    section_fails("{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":10,\"radius\":40}",
                  "sections[0].radius: 40 is too small for 10 seats (they would overlap); use at "
                  "least 81");
    section_fails("{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":0,\"seats\":10,\"spacing\":40}",
                  "sections[0].spacing: 40 is out of range; use 50 to 10000");
    section_fails("{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":0,\"seats\":10,\"curve\":null}",
                  "sections[0].curve: must be a number, not null");
    section_fails("{\"kind\":\"row\",\"id\":\"A\",\"x\":999990,\"y\":0,\"seats\":10}",
                  "sections[0]: seat A-6 would sit at (1000018, 0), outside the drawing area");
    section_fails("{\"kind\":\"row\",\"id\":\"ABCDEFGHIJKLMNOP\",\"x\":0,\"y\":0,\"seats\":10}",
                  "sections[0].id: \"ABCDEFGHIJKLMNOP\" is too long to number its 10 seats");
    section_fails("{\"kind\":\"table\",\"id\":\"ABCDEFGHIJKLMN\",\"x\":0,\"y\":0,\"seats\":3}",
                  "too long to number its 3 seats");
    section_fails("{\"kind\":\"table\",\"id\":\"ABCDEFGHIJKLM\",\"x\":0,\"y\":0,\"seats\":100}",
                  "too long to number its 100 seats");
    section_fails("{\"kind\":\"row\",\"id\":\"ABCDEFGHIJKLMNO\",\"x\":0,\"y\":0,\"seats\":9}",
                  "too long to number its 9 seats");
    /* A small table radius is fine with explicit seats; so are 13-char ids. */
    layout *l =
        parse("{\"sections\":[{\"kind\":\"table\",\"id\":\"ABCDEFGHIJKLM\",\"x\":0,\"y\":0,"
              "\"radius\":5,\"seats\":[{\"id\":\"a\",\"x\":0,\"y\":0}]},"
              "{\"kind\":\"table\",\"id\":\"ABCDEFGHIJKLZ\",\"x\":0,\"y\":0,\"seats\":99}]}");
    assert_true(layout_section_at(l, 0)->radius == 5.0);
    assert_string_equal(seat_id(l, 1), "ABCDEFGHIJKLZ-01");
    assert_string_equal(seat_id(l, 99), "ABCDEFGHIJKLZ-99");
    layout_free(l);
    l = parse("{\"sections\":[{\"kind\":\"row\",\"id\":\"ABCDEFGHIJKLMN\",\"x\":0,\"y\":0,"
              "\"seats\":9}]}");
    assert_string_equal(seat_id(l, 8), "ABCDEFGHIJKLMN-9");
    layout_free(l);
}

static void json_bad_explicit_seats(void **unused)
{
    const char *head = "{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":0,\"seats\":";
    static const struct {
        const char *seats, *part;
    } cases[] = {
        {"[{\"id\":\"A-1\",\"x\":0,\"y\":0},\"A-2\"]",
         "sections[0].seats[1]: must be an object, not a string"},
        {"[{\"x\":0,\"y\":0}]", "sections[0].seats[0]: missing key \"id\""},
        {"[{\"id\":\"\",\"x\":0,\"y\":0}]", "sections[0].seats[0].id: must not be empty"},
        {"[{\"id\":\"A/1\",\"x\":0,\"y\":0}]",
         "sections[0].seats[0].id: \"A/1\" is not a valid id"},
        {"[{\"id\":\"A-1\",\"y\":0}]", "sections[0].seats[0]: missing key \"x\""},
        {"[{\"id\":\"A-1\",\"x\":0}]", "sections[0].seats[0]: missing key \"y\""},
        {"[{\"id\":\"A-1\",\"x\":0,\"y\":[1]}]",
         "sections[0].seats[0].y: must be a number, not an array"},
        {"[{\"id\":\"A-1\",\"x\":0,\"y\":1000001}]",
         "sections[0].seats[0].y: 1000001 is out of range"},
        {"[{\"id\":\"A-1\",\"x\":0,\"y\":0,\"label\":\"\"}]",
         "sections[0].seats[0].label: must not be empty"},
        {"[{\"id\":\"A-1\",\"x\":0,\"y\":0,\"class\":5}]",
         "sections[0].seats[0].class: must be a string, not a number"},
        {"[{\"id\":\"A-1\",\"x\":0,\"y\":0},{\"id\":\"A-1\",\"x\":60,\"y\":0}]",
         "sections[0].seats[1].id: duplicate seat id \"A-1\" (first at sections[0].seats[0])"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        snprintf(body, sizeof body, "%s%s}", head, cases[i].seats);
        section_fails(body, cases[i].part);
    }
}

static void json_duplicates(void **unused)
{
    size_t len = 0;
    char *text = testutil_fixture("layouts/dup-seat.json", &len);
    usher_errmsg em = {{0}};
    layout *l = NULL;
    assert_int_equal(layout_from_json(text, len, &l, &em), USHER_INVAL);
    assert_null(l);
    assert_string_equal(em.text, "sections[3].seats[7].id: duplicate seat id \"T04-08\" "
                                 "(first at sections[3].seats[2])");
    free(text);

    json_fails("{\"sections\":[{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2},"
               "{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":500,"
               "\"seats\":[{\"id\":\"T1-02\",\"x\":0,\"y\":500}]}]}",
               USHER_INVAL,
               "sections[1].seats[0].id: duplicate seat id \"T1-02\" (first at "
               "sections[0].seats[1])");
    json_fails("{\"sections\":[{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":500,"
               "\"seats\":[{\"id\":\"T1-01\",\"x\":0,\"y\":500}]},"
               "{\"kind\":\"table\",\"id\":\"T1\",\"x\":0,\"y\":0,\"seats\":2}]}",
               USHER_INVAL,
               "sections[1]: generated seat id \"T1-01\" is already taken (first at "
               "sections[0].seats[0])");
    json_fails("{\"sections\":[{\"kind\":\"table\",\"id\":\"T01\",\"x\":0,\"y\":0,\"seats\":2},"
               "{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":500,\"seats\":2},"
               "{\"kind\":\"table\",\"id\":\"T01\",\"x\":500,\"y\":0,\"seats\":[]}]}",
               USHER_INVAL, "sections[2].seats: 0 seats");
    json_fails("{\"sections\":[{\"kind\":\"table\",\"id\":\"T01\",\"x\":0,\"y\":0,\"seats\":2},"
               "{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":500,\"seats\":2},"
               "{\"kind\":\"table\",\"id\":\"T01\",\"x\":500,\"y\":0,\"seats\":3}]}",
               USHER_INVAL, "sections[2].id: duplicate section id \"T01\" (first at sections[0])");
}

/* A JSON layout of n copies of one section body with ids S0, S1, ... */
static char *many_sections(int n, const char *body)
{
    size_t cap = (size_t)n * (strlen(body) + 32) + 64, len = 0;
    char *json = malloc(cap);
    assert_non_null(json);
    len += (size_t)snprintf(json, cap, "{\"sections\":[");
    for (int i = 0; i < n; i++)
        len +=
            (size_t)snprintf(json + len, cap - len, "%s{\"id\":\"S%d\",%s}", i ? "," : "", i, body);
    snprintf(json + len, cap - len, "]}");
    return json;
}

static void json_size_limits(void **unused)
{
    const char *row = "\"kind\":\"row\",\"x\":0,\"y\":0,\"seats\":1";
    char *json = many_sections(LAYOUT_MAX_SECTIONS, row);
    layout *l = parse(json);
    assert_int_equal(layout_section_count(l), LAYOUT_MAX_SECTIONS);
    assert_consistent(l);
    layout_free(l);
    free(json);

    json = many_sections(LAYOUT_MAX_SECTIONS + 1, row);
    json_fails(json, USHER_INVAL, "sections: 2001 sections; at most 2000");
    free(json);

    const char *big = "\"kind\":\"row\",\"x\":0,\"y\":0,\"seats\":1000";
    json = many_sections(250, big);
    l = parse(json);
    assert_int_equal(layout_seat_count(l), USHER_MAX_SEATS);
    layout_free(l);
    free(json);

    json = many_sections(251, big);
    json_fails(json, USHER_INVAL,
               "sections[250].seats: the layout would have 251000 seats; the limit is 250000");
    free(json);
}

/* --- output, lookup, files --- */

static void round_trips(void **unused)
{
    static const char *specs[] = {"gala:25x10,vip=3", "theatre:30x7,vip=1", "gala:1x1",
                                  "theatre:1x1", "gala:3x100"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        layout *l = gen(specs[i]);
        assert_round_trip(l);
        layout_free(l);
    }
    layout *l = load(USHER_TEST_DATA "/layouts/explicit.json");
    assert_round_trip(l);
    layout_free(l);
    l = parse("{\"name\":\"Odd \\u00e9 numbers\",\"sections\":[{\"kind\":\"table\",\"id\":\"X\","
              "\"label\":\"Round \\\"one\\\"\",\"x\":0.1,\"y\":-1e-7,\"radius\":123.456789,"
              "\"class\":\"VIP\",\"seats\":[{\"id\":\"X.1\",\"label\":\"7\",\"x\":1e6,"
              "\"y\":-0.3333333333333333,\"class\":\"\"},{\"id\":\"X_2\",\"x\":-1e6,\"y\":"
              "1234567.0e-3}]}]}");
    assert_round_trip(l);
    layout_free(l);
}

static void to_json_lists_every_seat(void **unused)
{
    layout *l = gen("gala:1x2,vip=1");
    char *text = layout_to_json(l);
    assert_non_null(text);
    assert_contains(text, "\"name\":\"Gala: 1 table of 2 seats\"");
    assert_contains(text, "\"kind\":\"table\",\"id\":\"T01\",\"label\":\"Table 1\"");
    assert_contains(text, "\"class\":\"VIP\"");
    assert_contains(text, "{\"id\":\"T01-01\",\"x\":125,\"y\":50}");
    assert_contains(text, "{\"id\":\"T01-02\",\"x\":125,\"y\":200}");
    assert_contains(text, "\"id\":\"T01-02\"");
    free(text);
    layout_free(l);
}

static void find_seat_lookup(void **unused)
{
    layout *l = gen("gala:49x12");
    assert_consistent(l);
    assert_int_equal(layout_find_seat(l, "T01-01"), 0);
    assert_int_equal(layout_find_seat(l, "T49-12"), 49 * 12 - 1);
    assert_int_equal(layout_find_seat(l, "T50-01"), -1);
    assert_int_equal(layout_find_seat(l, "t01-01"), -1);
    assert_int_equal(layout_find_seat(l, "T01-1"), -1);
    assert_int_equal(layout_find_seat(l, ""), -1);
    assert_int_equal(layout_find_seat(l, NULL), -1);
    assert_int_equal(layout_find_section(l, "T49"), 48);
    assert_int_equal(layout_find_section(l, "T01-01"), -1);
    assert_int_equal(layout_find_section(l, NULL), -1);
    layout_free(l);
    layout_free(NULL);
}

static void bounds_cover_seats(void **unused)
{
    layout *l = gen("gala:1x4");
    double minx, miny, maxx, maxy;
    layout_bounds(l, &minx, &miny, &maxx, &maxy);
    /* One table of radius 75 centred at (125, 125), half a seat of margin. */
    assert_true(fabs(minx - 25) < 1e-9 && fabs(maxx - 225) < 1e-9);
    assert_true(fabs(miny - 25) < 1e-9 && fabs(maxy - 225) < 1e-9);
    layout_free(l);

    l = load(USHER_TEST_DATA "/layouts/explicit.json");
    layout_bounds(l, &minx, &miny, &maxx, &maxy);
    assert_true(minx == -85.5 && maxx == 85.0 && miny == -85.0 && maxy == 325.0);
    layout_free(l);
}

static void load_file_errors(void **unused)
{
    usher_errmsg em = {{0}};
    layout *l = NULL;
    const char *bad = USHER_TEST_DATA "/layouts/bad-syntax.json";
    assert_int_equal(layout_load_file(bad, &l, &em), USHER_PARSE);
    assert_null(l);
    assert_int_equal(strncmp(em.text, bad, strlen(bad)), 0);
    assert_contains(em.text, ": invalid JSON at line 4, column 59");

    const char *dup = USHER_TEST_DATA "/layouts/dup-seat.json";
    assert_int_equal(layout_load_file(dup, &l, &em), USHER_INVAL);
    assert_int_equal(strncmp(em.text, dup, strlen(dup)), 0);
    assert_contains(em.text, ": sections[3].seats[7].id: duplicate seat id");

    const char *missing = USHER_TEST_DATA "/layouts/no-such-file.json";
    assert_int_equal(layout_load_file(missing, &l, &em), USHER_NOTFOUND);
    assert_contains(em.text, "no-such-file.json: cannot open the layout file");

    assert_int_equal(layout_load_file(USHER_TEST_DATA "/layouts", &l, &em), USHER_IO);
    assert_contains(em.text, "/layouts: cannot read the layout file");
    assert_null(l);
    assert_int_equal(layout_load_file(missing, &l, NULL), USHER_NOTFOUND);
}

static void load_file_size_limit(void **unused)
{
    char *dir = testutil_tmpdir();
    char *path = testutil_path(dir, "huge.json");
    usher_errmsg em = {{0}};
    layout *l = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    /* Exactly 16 MiB is read (and refused as JSON); one byte more is too big. */
    assert_int_equal(ftruncate(fd, (off_t)16 << 20), 0);
    assert_int_equal(layout_load_file(path, &l, &em), USHER_PARSE);
    assert_int_equal(ftruncate(fd, ((off_t)16 << 20) + 1), 0);
    assert_int_equal(close(fd), 0);
    assert_int_equal(layout_load_file(path, &l, &em), USHER_TOOBIG);
    assert_null(l);
    assert_contains(em.text, "huge.json: the file is larger than 16 MiB");
    free(path);
    testutil_rmtree(dir);
    free(dir);
}

static void open_dispatches(void **unused)
{
    usher_errmsg em = {{0}};
    layout *l = NULL;
    assert_int_equal(layout_open("gala:2x3", &l, &em), USHER_OK);
    assert_int_equal(layout_seat_count(l), 6);
    layout_free(l);
    l = NULL;
    assert_int_equal(layout_open("theatre:2x3,vip=2", &l, &em), USHER_OK);
    assert_string_equal(seat_id(l, 5), "B-3");
    layout_free(l);
    l = NULL;
    assert_int_equal(layout_open(USHER_TEST_DATA "/layouts/explicit.json", &l, &em), USHER_OK);
    assert_int_equal(layout_seat_count(l), 6);
    layout_free(l);
    l = NULL;
    assert_int_equal(layout_open("theatre:x", &l, &em), USHER_INVAL);
    assert_contains(em.text, "\"theatre:x\" is not understood");
    assert_int_equal(layout_open("gala", &l, &em), USHER_NOTFOUND);
    assert_contains(em.text, "gala: cannot open the layout file");
    assert_null(l);
    assert_int_equal(layout_open(NULL, &l, &em), USHER_INVAL);
}

/* A generated section's label is the generator's English word and its
 * number or row: a screen may say it in its language; any other is the
 * organiser's own and is shown as written. */
static void generated_labels_known(void **unused)
{
    usher_errmsg em = {{0}};
    layout *l = NULL;
    assert_int_equal(layout_open("gala:12x3", &l, &em), USHER_OK);
    assert_string_equal(layout_section_at(l, 11)->label, "Table 12");
    assert_string_equal(layout_generated_label(layout_section_at(l, 11)), "12");
    layout_free(l);
    l = NULL;
    assert_int_equal(layout_open("theatre:30x3", &l, &em), USHER_OK);
    assert_string_equal(layout_generated_label(layout_section_at(l, 27)),
                        layout_section_at(l, 27)->id);
    layout_free(l);
    layout_section own = {.kind = SECTION_TABLE, .id = "T01"};
    const char *const mine[] = {"Rose table", "Table",   "Table ", "Table 07",
                                "Table 7b",   "table 7", "Row A"};
    for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
        text_copy(own.label, sizeof own.label, mine[i]);
        assert_null(layout_generated_label(&own));
    }
    layout_section row = {.kind = SECTION_ROW, .id = "A", .label = "Row B"};
    assert_null(layout_generated_label(&row)); /* not its own row's name */
    text_copy(row.label, sizeof row.label, "Row A");
    assert_string_equal(layout_generated_label(&row), "A");
    text_copy(row.label, sizeof row.label, "Table 1");
    assert_null(layout_generated_label(&row));
}

static void sample_files_load(void **unused)
{
    layout *l = load(ASSETS "/small-hall.json");
    assert_string_equal(layout_name(l), "Small Hall");
    assert_int_equal(layout_section_count(l), 10);
    assert_int_equal(layout_seat_count(l), 3 * 10 + 3 * 8 + 2 * 14 + 2 * 16);
    int tables = 0, vip = 0;
    for (int i = 0; i < layout_section_count(l); i++) {
        tables += layout_section_at(l, i)->kind == SECTION_TABLE;
        vip += !strcmp(layout_section_at(l, i)->klass, "VIP");
    }
    assert_int_equal(tables, 6);
    assert_int_equal(vip, 2);
    assert_string_equal(layout_seat_at(l, layout_find_seat(l, "T02-10"))->klass, "VIP");
    assert_string_equal(layout_seat_at(l, layout_find_seat(l, "D-16"))->klass, "");
    assert_seats_apart(l);
    assert_consistent(l);
    assert_round_trip(l);
    layout_free(l);

    l = load(ASSETS "/garden-dinner.json");
    assert_string_equal(layout_section_at(l, 0)->label, "Head table");
    assert_string_equal(layout_seat_at(l, layout_find_seat(l, "H-4"))->label, "Guest of honour");
    assert_string_equal(layout_seat_at(l, layout_find_seat(l, "H-1"))->klass, "VIP");
    assert_string_equal(layout_seat_at(l, layout_find_seat(l, "T02-04"))->klass, "Access");
    assert_string_equal(layout_seat_at(l, layout_find_seat(l, "T01-08"))->label, "8");
    assert_seats_apart(l);
    assert_consistent(l);
    assert_round_trip(l);
    layout_free(l);

    l = load(USHER_TEST_DATA "/layouts/explicit.json");
    assert_consistent(l);
    layout_free(l);
}

/* The compact form (what devices get): a section whose seats are what its
 * count makes is written as the count, the rest seat by seat; either way it
 * reads back the same layout. A 100,000-seat theatre is kilobytes. */
static void compact_json_reads_back_the_same(void **unused)
{
    (void)unused;
    static const char *const specs[] = {"gala:25x10,vip=2", "theatre:200x500", "theatre:3x7"};
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        layout *l = NULL, *back = NULL;
        assert_int_equal(layout_generate(specs[i], &l, NULL), USHER_OK);
        char *text = layout_to_json_compact(l);
        assert_non_null(text);
        assert_null(strstr(text, "\"seats\":[")); /* every section counted */
        usher_errmsg em = {{0}};
        if (layout_from_json(text, strlen(text), &back, &em) != USHER_OK)
            fail_msg("%s: %s", specs[i], em.text);
        assert_same(l, back);
        if (!strcmp(specs[i], "theatre:200x500"))
            assert_true(strlen(text) < 50000);
        free(text);
        layout_free(back);
        layout_free(l);
    }
    /* A seat made different (its own class) keeps its section listed. */
    const char *json = "{\"sections\":[{\"kind\":\"row\",\"id\":\"A\",\"x\":0,\"y\":0,"
                       "\"seats\":[{\"id\":\"A-1\",\"x\":-27.5,\"y\":0},"
                       "{\"id\":\"A-2\",\"x\":27.5,\"y\":0,\"class\":\"VIP\"}]},"
                       "{\"kind\":\"row\",\"id\":\"B\",\"x\":0,\"y\":90,"
                       "\"seats\":[{\"id\":\"B-1\",\"x\":-27.5,\"y\":90},"
                       "{\"id\":\"B-2\",\"x\":27.5,\"y\":90}]}]}";
    layout *l = NULL, *back = NULL;
    assert_int_equal(layout_from_json(json, strlen(json), &l, NULL), USHER_OK);
    char *text = layout_to_json_compact(l);
    assert_non_null(strstr(text, "\"id\":\"A\",\"label\":\"Row A\",\"x\":0,\"y\":0,\"seats\":["));
    assert_non_null(strstr(text, "\"id\":\"B\",\"label\":\"Row B\",\"x\":0,\"y\":90,\"seats\":2"));
    assert_int_equal(layout_from_json(text, strlen(text), &back, NULL), USHER_OK);
    assert_same(l, back);
    free(text);
    layout_free(back);
    layout_free(l);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(compact_json_reads_back_the_same),
    cmocka_unit_test(gala_shape_and_ids),
    cmocka_unit_test(gala_vip_tables),
    cmocka_unit_test(gala_ids_widen),
    cmocka_unit_test(gala_geometry),
    cmocka_unit_test(theatre_shape_and_ids),
    cmocka_unit_test(theatre_row_names),
    cmocka_unit_test(theatre_geometry),
    cmocka_unit_test(generator_limits),
    cmocka_unit_test(generator_bad_specs),
    cmocka_unit_test(json_defaults),
    cmocka_unit_test(json_default_radius_keeps_seats_apart),
    cmocka_unit_test(json_explicit_seats),
    cmocka_unit_test(json_bad_top_level),
    cmocka_unit_test(json_malformed),
    cmocka_unit_test(json_bad_section_keys),
    cmocka_unit_test(json_bad_seat_counts),
    cmocka_unit_test(json_bad_geometry),
    cmocka_unit_test(json_bad_explicit_seats),
    cmocka_unit_test(json_duplicates),
    cmocka_unit_test(json_size_limits),
    cmocka_unit_test(round_trips),
    cmocka_unit_test(to_json_lists_every_seat),
    cmocka_unit_test(find_seat_lookup),
    cmocka_unit_test(bounds_cover_seats),
    cmocka_unit_test(load_file_errors),
    cmocka_unit_test(load_file_size_limit),
    cmocka_unit_test(open_dispatches),
    cmocka_unit_test(generated_labels_known),
    cmocka_unit_test(sample_files_load),
};

TESTUTIL_MAIN(tests)

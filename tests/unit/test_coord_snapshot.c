/* test_coord_snapshot.c - the snapshot's pages and their cache: every ticket
 * and every seat that is not free, cut into pages that are JSON and gzip,
 * one build per cursor shared by joining devices, none across a new layout. */
#include "testutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "coord_gzip.h"
#include "coord_snapshot.h"
#include "layout.h"
#include "protocol.h"
#include "text.h"

#define NOW 1795000000000LL

typedef struct world {
    layout *l;
    state *st;
} world;

/* 2 tables of 4, 7 tickets, 2 of them seated, one seat blocked: 10 changes. */
static void world_init(world *w)
{
    assert_int_equal(layout_generate("gala:2x4", &w->l, NULL), USHER_OK);
    state_config cfg = {.reseat = RESEAT_NONE};
    w->st = state_new(w->l, &cfg);
    for (int i = 1; i <= 7; i++) {
        char code[16], name[32];
        snprintf(code, sizeof code, "GALA-%04d", i);
        snprintf(name, sizeof name, "Guest \"%d\"", i);
        assert_int_equal(state_add_ticket(w->st, code, name, "", NULL, NULL), USHER_OK);
    }
    static const char *const ops[][3] = {{"assign", "GALA-0001", "T01-01"},
                                         {"assign", "GALA-0002", "T02-04"},
                                         {"block", "", "T01-02"}};
    for (size_t i = 0; i < 3; i++) {
        usher_op op;
        op_init(&op, (op_kind)op_kind_parse(ops[i][0]), "admin", NOW);
        text_copy(op.ticket, sizeof op.ticket, ops[i][1]);
        text_copy(op.seat, sizeof op.seat, ops[i][2]);
        apply_result res;
        state_apply(w->st, &op, NOW, &res);
        assert_int_equal(res.v.status, VERDICT_ACCEPTED);
    }
}

static void world_release(world *w)
{
    state_free(w->st);
    layout_free(w->l);
}

static char *gunzip(const unsigned char *gz, size_t n, size_t *outn)
{
    size_t cap = 1 << 20;
    char *out = malloc(cap);
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)gz;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap - 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    *outn = cap - 1 - z.avail_out;
    out[*outn] = '\0';
    inflateEnd(&z);
    return out;
}

static void pages_hold_every_change_once(void **unused)
{
    (void)unused;
    world w;
    world_init(&w);
    snap_build *b = NULL;
    assert_int_equal(snap_build_new(w.st, "{\"L\":1}", 42, 3, NOW, &b), USHER_OK);
    assert_int_equal(b->nchanges, 10); /* 7 tickets + 2 seated + 1 blocked */
    assert_int_equal(b->npages, 4);    /* 3 + 3 + 3 + 1 */
    /* The layout served is the state's own, its counted tables as counts. */
    layout *back = NULL;
    assert_int_equal(layout_from_json(b->layout_json, strlen(b->layout_json), &back, NULL),
                     USHER_OK);
    assert_int_equal(layout_seat_count(back), 8);
    assert_non_null(strstr(b->layout_json, "\"seats\":4"));
    layout_free(back);
    int tickets = 0, seats = 0;
    for (size_t i = 0; i < b->npages; i++) {
        const snap_page *p = &b->pages[i];
        json_error_t je;
        json_t *j = json_loadb(p->body, p->len, 0, &je);
        assert_non_null(j);
        assert_int_equal(json_integer_value(json_object_get(j, "cursor")), 42);
        assert_int_equal(json_integer_value(json_object_get(j, "page")), (json_int_t)i);
        assert_int_equal(json_integer_value(json_object_get(j, "pages")), 4);
        json_t *chs = json_object_get(j, "changes");
        assert_int_equal(json_array_size(chs), i < 3 ? 3 : 1);
        for (size_t k = 0; k < json_array_size(chs); k++) {
            change c;
            usher_errmsg em = {{0}};
            assert_int_equal(proto_change_decode(json_array_get(chs, k), "c", &c, &em), USHER_OK);
            tickets += c.type == CHANGE_TICKET;
            seats += c.type == CHANGE_SEAT;
        }
        /* The items inside the body are the array's contents. */
        assert_int_equal(p->body[p->items_at - 1], '[');
        assert_int_equal(p->body[p->items_at + p->items_n], ']');
        /* The gzip is the body. */
        size_t n = 0;
        char *plain = gunzip(p->gz, p->gzlen, &n);
        assert_int_equal(n, p->len);
        assert_memory_equal(plain, p->body, n);
        free(plain);
        json_decref(j);
    }
    assert_int_equal(tickets, 7);
    assert_int_equal(seats, 3);
    snap_build_free(b);
    world_release(&w);
}

static void an_empty_event_has_one_empty_page(void **unused)
{
    (void)unused;
    layout *l = NULL;
    assert_int_equal(layout_generate("gala:1x4", &l, NULL), USHER_OK);
    state_config cfg = {.reseat = RESEAT_NONE};
    state *st = state_new(l, &cfg);
    snap_build *b = NULL;
    assert_int_equal(snap_build_new(st, "{}", 0, 100, NOW, &b), USHER_OK);
    assert_int_equal(b->npages, 1);
    assert_int_equal(b->nchanges, 0);
    assert_string_equal(b->pages[0].body, "{\"cursor\":0,\"page\":0,\"pages\":1,\"changes\":[]}");
    snap_build_free(b);
    state_free(st);
    layout_free(l);
}

static void one_build_per_cursor_shared(void **unused)
{
    (void)unused;
    world w;
    world_init(&w);
    snapcache *c = snapcache_new(4, 10000);
    assert_non_null(c);
    snap_build *a = snapcache_join(c, w.st, "{}", 7, NOW);
    snap_build *b = snapcache_join(c, w.st, "{}", 7, NOW + 50000); /* same cursor: shared */
    assert_ptr_equal(a, b);
    assert_int_equal(snapcache_builds(c), 1);
    /* A later cursor past the reuse time: a new build. */
    snap_build *d = snapcache_join(c, w.st, "{}", 8, NOW + 50000);
    assert_ptr_not_equal(d, a);
    assert_int_equal(d->cursor, 8);
    assert_int_equal(snapcache_builds(c), 2);
    snapcache_release(c, d);
    snapcache_release(c, a);
    snapcache_release(c, b);
    snapcache_free(c);
    world_release(&w);
}

static void reuse_within_the_reuse_time_never_across_a_layout(void **unused)
{
    (void)unused;
    world w;
    world_init(&w);
    snapcache *c = snapcache_new(4, 10000);
    snap_build *a = snapcache_join(c, w.st, "{}", 7, NOW);
    snap_build *b = snapcache_join(c, w.st, "{}", 9, NOW + 3000);
    assert_ptr_equal(a, b); /* young enough: cursor 7 serves a join at 9 */
    assert_int_equal(snapcache_builds(c), 1);
    snap_build *n = snapcache_join(c, w.st, "{\"new\":1}", 9, NOW + 3000);
    assert_ptr_not_equal(n, a); /* a new layout: built again */
    assert_int_equal(n->cursor, 9);
    assert_int_equal(snapcache_builds(c), 2);
    /* Pages of the build before are still there for devices fetching them;
     * one older than that is gone. */
    snap_build *old = snapcache_at(c, 7);
    assert_ptr_equal(old, a);
    snapcache_release(c, old);
    snap_build *x = snapcache_join(c, w.st, "{\"new\":1}", 12, NOW + 30000);
    assert_int_equal(snapcache_builds(c), 3);
    assert_null(snapcache_at(c, 7));
    snap_build *y = snapcache_at(c, 9);
    assert_ptr_equal(y, n);
    snapcache_release(c, y);
    /* A build still held outlives the cache's hold on it. */
    assert_int_equal(a->cursor, 7);
    assert_int_equal(a->pages[0].body[0], '{');
    snapcache_release(c, x);
    snapcache_release(c, n);
    snapcache_release(c, b);
    snapcache_release(c, a);
    snapcache_free(c);
    world_release(&w);
}

static void gzip_accepted_when_asked(void **unused)
{
    (void)unused;
    assert_true(coord_gzip_accepted("gzip"));
    assert_true(coord_gzip_accepted("deflate, gzip;q=0.8, br"));
    assert_true(coord_gzip_accepted("*"));
    assert_true(coord_gzip_accepted(" GZIP "));
    assert_false(coord_gzip_accepted(NULL));
    assert_false(coord_gzip_accepted(""));
    assert_false(coord_gzip_accepted("identity"));
    assert_false(coord_gzip_accepted("gzip;q=0"));
    assert_false(coord_gzip_accepted("x-gzip2"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(pages_hold_every_change_once),
    cmocka_unit_test(an_empty_event_has_one_empty_page),
    cmocka_unit_test(one_build_per_cursor_shared),
    cmocka_unit_test(reuse_within_the_reuse_time_never_across_a_layout),
    cmocka_unit_test(gzip_accepted_when_asked),
};

TESTUTIL_MAIN(tests)

/* test_guest_find.c - the one guest search (dashboard and door staff): part
 * of a name or a code, case and accents ignored, in the state's order. */
#include "testutil.h"

#include <string.h>

#include "guest_find.h"
#include "layout.h"
#include "text.h"

typedef struct world {
    layout *l;
    state *st;
} world;

static void world_init(world *w)
{
    assert_int_equal(layout_generate("gala:2x4", &w->l, NULL), USHER_OK);
    state_config cfg = {.reseat = RESEAT_NONE};
    w->st = state_new(w->l, &cfg);
    static const char *const names[][2] = {
        {"GALA-0001", "Ann Smith"},  {"GALA-0002", "Zoë Durand"}, {"GALA-0003", "Владимир Набоков"},
        {"GALA-0004", "Émile Zola"}, {"GALA-0005", "王小明"},     {"X7KQ-P2M9", "Nguyễn Văn An"},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_int_equal(state_add_ticket(w->st, names[i][0], names[i][1], "Regular", NULL, NULL),
                         USHER_OK);
}

static void world_release(world *w)
{
    state_free(w->st);
    layout_free(w->l);
}

static const char *hit(const world *w, const char *q)
{
    int idx[1];
    return guest_find(w->st, q, GUEST_ALL, idx, 1) == 1 ? state_ticket(w->st, idx[0])->code : "";
}

static void names_in_every_script_fold(void **unused)
{
    (void)unused;
    world w;
    world_init(&w);
    assert_string_equal(hit(&w, "ZOE"), "GALA-0002");
    assert_string_equal(hit(&w, "набоков"), "GALA-0003");
    assert_string_equal(hit(&w, "emile"), "GALA-0004");
    assert_string_equal(hit(&w, "小明"), "GALA-0005");
    assert_string_equal(hit(&w, "nguyen"), "X7KQ-P2M9");
    assert_string_equal(hit(&w, "  smith "), "GALA-0001");
    world_release(&w);
}

static void codes_match_in_part_and_any_case(void **unused)
{
    (void)unused;
    world w;
    world_init(&w);
    assert_string_equal(hit(&w, "x7kq"), "X7KQ-P2M9");
    int idx[8];
    assert_int_equal(guest_find(w.st, "gala-000", GUEST_ALL, idx, 8), 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(idx[i], i); /* the state's order */
    world_release(&w);
}

static void counts_beyond_what_it_keeps(void **unused)
{
    (void)unused;
    world w;
    world_init(&w);
    int idx[2] = {-1, -1};
    /* every code or name holds an a */
    assert_int_equal(guest_find(w.st, "a", GUEST_ALL, idx, 2), 6);
    assert_int_equal(idx[0], 0);
    assert_int_equal(idx[1], 1);
    assert_int_equal(guest_find(w.st, NULL, GUEST_ALL, NULL, 0), 6);
    assert_int_equal(guest_find(w.st, "", GUEST_ALL, NULL, 0), 6);
    assert_int_equal(guest_find(w.st, "nobody", GUEST_ALL, idx, 2), 0);
    world_release(&w);
}

static void bad_queries_match_nothing(void **unused)
{
    (void)unused;
    world w;
    world_init(&w);
    int idx[2];
    assert_int_equal(guest_find(w.st, "\xc3", GUEST_ALL, idx, 2), 0); /* cut UTF-8 */
    char longq[GUEST_FIND_QUERY_MAX + 2];
    memset(longq, 'a', sizeof longq - 1);
    longq[sizeof longq - 1] = '\0';
    assert_int_equal(guest_find(w.st, longq, GUEST_ALL, idx, 2), 0);
    world_release(&w);
}

static void door(world *w, op_kind kind, const char *code, int64_t now)
{
    usher_op op;
    op_init(&op, kind, "door-1", now);
    text_copy(op.ticket, sizeof op.ticket, code);
    apply_result r;
    state_apply(w->st, &op, now, &r);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
}

static void inside_filter_keeps_guests_inside_now(void **unused)
{
    (void)unused;
    world w;
    world_init(&w);
    int idx[8];
    assert_int_equal(guest_find(w.st, NULL, GUEST_INSIDE, idx, 8), 0); /* nobody arrived */
    door(&w, OP_CHECKIN, "GALA-0002", 1000);
    door(&w, OP_CHECKIN, "GALA-0004", 2000);
    door(&w, OP_CHECKIN, "GALA-0005", 3000);
    door(&w, OP_CHECKOUT, "GALA-0004", 4000); /* left */
    assert_int_equal(guest_find(w.st, "", GUEST_INSIDE, idx, 8), 2);
    assert_string_equal(state_ticket(w.st, idx[0])->code, "GALA-0002");
    assert_string_equal(state_ticket(w.st, idx[1])->code, "GALA-0005");
    assert_int_equal(guest_find(w.st, "zola", GUEST_INSIDE, idx, 8), 0);
    assert_int_equal(guest_find(w.st, "zola", GUEST_ALL, idx, 8), 1);
    door(&w, OP_CHECKIN, "GALA-0004", 5000); /* back in */
    assert_int_equal(guest_find(w.st, "zola", GUEST_INSIDE, idx, 8), 1);
    assert_int_equal(guest_find(w.st, "gala", GUEST_INSIDE, NULL, 0), 3);
    world_release(&w);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(names_in_every_script_fold),
    cmocka_unit_test(codes_match_in_part_and_any_case),
    cmocka_unit_test(counts_beyond_what_it_keeps),
    cmocka_unit_test(bad_queries_match_nothing),
    cmocka_unit_test(inside_filter_keeps_guests_inside_now),
};

TESTUTIL_MAIN(tests)

/* test_ticket_merge.c - a newer ticket file against an event: notes for door
 * staff and the attention flag update only when the file has those columns. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "state.h"
#include "text.h"
#include "ticket_merge.h"

typedef struct fixture {
    layout *l;
    state *st;
} fixture;

static fixture make(void)
{
    fixture f = {0};
    assert_int_equal(layout_generate("gala:2x4", &f.l, NULL), USHER_OK);
    state_config cfg = {.reseat = RESEAT_NONE};
    f.st = state_new(f.l, &cfg);
    assert_non_null(f.st);
    assert_int_equal(state_add_ticket(f.st, "N-1", "Ada", "", NULL, NULL), USHER_OK);
    assert_int_equal(state_note_ticket(f.st, "N-1", "needs a ramp", true, NULL, NULL), USHER_OK);
    assert_int_equal(state_add_ticket(f.st, "N-2", "Alan", "", NULL, NULL), USHER_OK);
    return f;
}

static void drop(fixture *f)
{
    state_free(f->st);
    layout_free(f->l);
}

static ticket_rec rec(const char *code, const char *name, const char *note, bool attention,
                      bool noted)
{
    ticket_rec r;
    memset(&r, 0, sizeof r);
    text_copy(r.code, sizeof r.code, code);
    text_copy(r.name, sizeof r.name, name);
    text_copy(r.note, sizeof r.note, note);
    r.attention = attention;
    r.noted = noted;
    return r;
}

static void plan(fixture *f, const ticket_rec *rs, size_t n, ticket_merge *m)
{
    ticket_list tl = {0}, voided = {0};
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ticket_list_push(&tl, &rs[i]), USHER_OK);
    memset(m, 0, sizeof *m);
    assert_int_equal(ticket_merge_plan(f->st, &tl, &voided, TICKET_MISSING_KEEP, m), USHER_OK);
    ticket_list_release(&tl);
}

static const ticket_state *ticket(fixture *f, const char *code)
{
    return state_ticket(f->st, state_find_ticket(f->st, code));
}

static void a_file_without_notes_keeps_them(void **unused)
{
    (void)unused;
    fixture f = make();
    ticket_rec rs[] = {rec("N-1", "Ada", "", false, false), rec("N-2", "Alan", "", false, false)};
    ticket_merge m;
    plan(&f, rs, 2, &m);
    assert_int_equal(m.nupdated, 0);
    assert_int_equal(m.unchanged, 2);
    ticket_merge_release(&m);
    assert_string_equal(ticket(&f, "N-1")->note, "needs a ramp");
    drop(&f);
}

static void a_file_with_notes_sets_and_clears_them(void **unused)
{
    (void)unused;
    fixture f = make();
    ticket_rec rs[] = {rec("N-1", "Ada", "", false, true), rec("N-2", "Alan", "vegan", true, true),
                       rec("N-3", "Grace", "hard of hearing", true, true)};
    ticket_merge m;
    plan(&f, rs, 3, &m);
    assert_int_equal(m.nupdated, 2);
    assert_int_equal(m.added.count, 1);
    assert_string_equal(m.updated[0].before_note, "needs a ramp");
    assert_true(m.updated[0].before_attention);
    change *cs = NULL;
    size_t n = 0;
    usher_errmsg em = {{0}};
    assert_int_equal(ticket_merge_apply(f.st, &m, "admin", 1000, &cs, &n, &em), USHER_OK);
    assert_int_equal(n, 3); /* one change a ticket, name and note together */
    for (size_t i = 0; i < n; i++) {
        const ticket_state *t = &cs[i].ticket;
        if (!strcmp(t->code, "N-3")) {
            assert_string_equal(t->note, "hard of hearing");
            assert_true(t->attention);
        }
    }
    free(cs);
    ticket_merge_release(&m);
    assert_string_equal(ticket(&f, "N-1")->note, "");
    assert_false(ticket(&f, "N-1")->attention);
    assert_string_equal(ticket(&f, "N-2")->note, "vegan");
    assert_true(ticket(&f, "N-2")->attention);
    assert_string_equal(ticket(&f, "N-3")->note, "hard of hearing");
    drop(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(a_file_without_notes_keeps_them),
    cmocka_unit_test(a_file_with_notes_sets_and_clears_them),
};

TESTUTIL_MAIN(tests)

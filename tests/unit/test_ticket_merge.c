/* test_ticket_merge.c - a ticket file against an event: new, updated, revoked
 * and unchanged tickets, and the seats a file pre-assigns: seated as the
 * organiser's own assign, refused line by line when the layout lacks the
 * seat, its class does not fit, it is blocked, taken or held, and moved on a
 * re-import only when the new seat is free. Notes for door staff and the
 * attention flag update only when the file has those columns. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "ticket_merge.h"

#define NOW 1700000000000LL

typedef struct fixture {
    layout *l;
    state *st;
} fixture;

/* gala:2x4,vip=1: T01-01..T01-04 are VIP seats, T02-01..T02-04 open to all;
 * tickets GALA-1 (Ann, seated at T02-01) and GALA-2 (Bob, unseated). */
static void fixture_init(fixture *f)
{
    usher_errmsg em = {{0}};
    assert_int_equal(layout_generate("gala:2x4,vip=1", &f->l, &em), USHER_OK);
    state_config cfg = {0};
    f->st = state_new(f->l, &cfg);
    assert_non_null(f->st);
    assert_int_equal(state_add_ticket(f->st, "GALA-1", "Ann", "", NULL, &em), USHER_OK);
    assert_int_equal(state_add_ticket(f->st, "GALA-2", "Bob", "", NULL, &em), USHER_OK);
    usher_op op;
    op_init(&op, OP_ASSIGN, "k1", NOW);
    text_copy(op.ticket, sizeof op.ticket, "GALA-1");
    text_copy(op.seat, sizeof op.seat, "T02-01");
    apply_result res;
    state_apply(f->st, &op, NOW, &res);
    assert_int_equal(res.v.status, VERDICT_ACCEPTED);
}

static void fixture_release(fixture *f)
{
    state_free(f->st);
    layout_free(f->l);
}

static void push(ticket_list *tl, const char *code, const char *name, const char *klass,
                 const char *seat, int line)
{
    ticket_rec r = {.line = line};
    text_copy(r.code, sizeof r.code, code);
    text_copy(r.name, sizeof r.name, name);
    text_copy(r.klass, sizeof r.klass, klass);
    text_copy(r.seat, sizeof r.seat, seat);
    assert_int_equal(ticket_list_push(tl, &r), USHER_OK);
}

static const char *seat_of(const state *st, const char *code)
{
    int ti = state_find_ticket(st, code);
    assert_true(ti >= 0);
    return state_ticket(st, ti)->seat;
}

/* Plans and applies; returns the changes' count. */
static size_t plan_apply(fixture *f, const ticket_list *tl, const ticket_list *voided,
                         ticket_merge *m)
{
    csv_report rep = {0};
    assert_int_equal(ticket_merge_plan(f->st, tl, voided, TICKET_MISSING_KEEP, NULL, NOW, m, &rep),
                     USHER_OK);
    assert_int_equal(rep.total, 0);
    change *cs = NULL;
    size_t n = 0;
    usher_errmsg em = {{0}};
    assert_int_equal(ticket_merge_apply(f->st, m, "admin", NOW, &cs, &n, &em), USHER_OK);
    free(cs);
    assert_true(state_check(f->st, &em));
    return n;
}

/* The plan is refused: every problem is in rep, *m stays as it was. */
static void plan_refused(fixture *f, const ticket_list *tl, csv_report *rep)
{
    ticket_merge m = {0};
    assert_int_equal(ticket_merge_plan(f->st, tl, NULL, TICKET_MISSING_KEEP, NULL, NOW, &m, rep),
                     USHER_PARSE);
    assert_int_equal(m.nseated + m.added.count, 0);
}

static void new_tickets_are_seated_where_the_file_says(void **unused)
{
    (void)unused;
    fixture f;
    fixture_init(&f);
    ticket_list tl = {0};
    push(&tl, "GALA-3", "Cleo", "VIP", "T01-01", 2);
    push(&tl, "GALA-4", "Dan", "", "", 3); /* no seat: the guest chooses */
    push(&tl, "GALA-5", "Eve", "", "T02-02", 4);
    ticket_merge m = {0};
    size_t n = plan_apply(&f, &tl, NULL, &m);
    assert_int_equal(m.added.count, 3);
    assert_int_equal(m.nseated, 2);
    assert_int_equal(m.moved, 0);
    assert_int_equal(ticket_merge_changes(&m), 5);
    assert_string_equal(m.seated[0].rec.seat, "T01-01");
    assert_string_equal(m.seated[0].before, "");
    /* 3 tickets added, then each seat: the seat and the ticket */
    assert_int_equal(n, 3 + 2 * 2);
    assert_string_equal(seat_of(f.st, "GALA-3"), "T01-01");
    assert_string_equal(seat_of(f.st, "GALA-4"), "");
    assert_string_equal(seat_of(f.st, "GALA-5"), "T02-02");
    assert_string_equal(state_seat(f.st, layout_find_seat(f.l, "T02-02"))->ticket, "GALA-5");
    /* the same file again: nothing to do */
    ticket_merge again = {0};
    assert_int_equal(plan_apply(&f, &tl, NULL, &again), 0);
    assert_int_equal(again.unchanged, 3);
    assert_int_equal(again.nseated, 0);
    ticket_merge_release(&m);
    ticket_merge_release(&again);
    ticket_list_release(&tl);
    fixture_release(&f);
}

static void seats_that_cannot_be_had_are_named_by_line(void **unused)
{
    (void)unused;
    fixture f;
    fixture_init(&f);
    usher_op op;
    op_init(&op, OP_BLOCK, "admin", NOW);
    text_copy(op.seat, sizeof op.seat, "T02-03");
    apply_result res;
    state_apply(f.st, &op, NOW, &res);
    op_init(&op, OP_HOLD, "k2", NOW);
    text_copy(op.seat, sizeof op.seat, "T02-04");
    state_apply(f.st, &op, NOW, &res);
    assert_int_equal(res.v.status, VERDICT_ACCEPTED);
    ticket_list tl = {0};
    push(&tl, "GALA-3", "Cleo", "", "Z99-01", 2);    /* not in the layout */
    push(&tl, "GALA-4", "Dan", "", "T01-02", 3);     /* a VIP seat */
    push(&tl, "GALA-5", "Eve", "", "T02-01", 4);     /* Ann's */
    push(&tl, "GALA-6", "Finn", "", "T02-03", 5);    /* blocked */
    push(&tl, "GALA-7", "Gus", "", "T02-04", 6);     /* held at a kiosk */
    push(&tl, "GALA-8", "Hana", "VIP", "T01-03", 7); /* fine, but the file is refused */
    csv_report rep = {0};
    plan_refused(&f, &tl, &rep);
    assert_int_equal(rep.total, 5);
    assert_int_equal(rep.items[0].line, 2);
    assert_non_null(
        strstr(rep.items[0].message, "line 2: seat Z99-01 is not in the venue's layout"));
    assert_non_null(strstr(rep.items[0].message, "--map seat="));
    assert_non_null(strstr(rep.items[1].message, "line 3: seat T01-02 is for VIP tickets"));
    assert_non_null(
        strstr(rep.items[2].message, "line 4: seat T02-01 already holds ticket GALA-1 (Ann)"));
    assert_non_null(strstr(rep.items[2].message, "move or unseat GALA-1"));
    assert_non_null(strstr(rep.items[3].message, "line 5: seat T02-03 is blocked"));
    assert_non_null(
        strstr(rep.items[4].message, "line 6: seat T02-04 is being chosen at device k2"));
    assert_int_equal(state_ticket_count(f.st), 2); /* nothing imported */
    /* once the hold has run out the seat is free */
    csv_report later = {0};
    ticket_list one = {0};
    push(&one, "GALA-7", "Gus", "", "T02-04", 6);
    ticket_merge m = {0};
    assert_int_equal(ticket_merge_plan(f.st, &one, NULL, TICKET_MISSING_KEEP, NULL,
                                       NOW + USHER_DEFAULT_HOLD_TTL_MS + 1, &m, &later),
                     USHER_OK);
    assert_int_equal(m.nseated, 1);
    ticket_merge_release(&m);
    csv_report_release(&later);
    csv_report_release(&rep);
    ticket_list_release(&one);
    ticket_list_release(&tl);
    fixture_release(&f);
}

static void a_reimport_moves_a_ticket_only_to_a_free_seat(void **unused)
{
    (void)unused;
    fixture f;
    fixture_init(&f);
    ticket_list tl = {0};
    push(&tl, "GALA-1", "Ann", "", "T02-03", 2); /* Ann moves from T02-01 */
    push(&tl, "GALA-2", "Bob", "", "T02-01", 3); /* Bob wants Ann's old seat */
    csv_report rep = {0};
    plan_refused(&f, &tl, &rep); /* Ann still sits there when the plan is made */
    assert_int_equal(rep.total, 1);
    assert_non_null(
        strstr(rep.items[0].message, "line 3: seat T02-01 already holds ticket GALA-1"));
    csv_report_release(&rep);
    ticket_list_release(&tl);
    /* to a free seat: moved, as the organiser's deliberate move */
    push(&tl, "GALA-1", "Ann", "", "T02-03", 2);
    push(&tl, "GALA-2", "Bob", "", "T02-02", 3);
    ticket_merge m = {0};
    plan_apply(&f, &tl, NULL, &m);
    assert_int_equal(m.nseated, 2);
    assert_int_equal(m.moved, 1);
    assert_int_equal(m.unchanged, 0); /* a new seat is a change */
    assert_string_equal(m.seated[0].before, "T02-01");
    assert_string_equal(seat_of(f.st, "GALA-1"), "T02-03");
    assert_string_equal(seat_of(f.st, "GALA-2"), "T02-02");
    assert_string_equal(state_seat(f.st, layout_find_seat(f.l, "T02-01"))->ticket, "");
    ticket_merge_release(&m);
    ticket_list_release(&tl);
    fixture_release(&f);
}

/* The file gave Ann T02-01 before; the organiser moved her to T02-03 since. */
static void a_move_made_since_the_last_import_is_kept(void **unused)
{
    (void)unused;
    fixture f;
    fixture_init(&f);
    usher_op op;
    op_init(&op, OP_ASSIGN, "admin", NOW);
    text_copy(op.ticket, sizeof op.ticket, "GALA-1");
    text_copy(op.seat, sizeof op.seat, "T02-03");
    text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat, "T02-01");
    apply_result res;
    state_apply(f.st, &op, NOW, &res);
    assert_int_equal(res.v.status, VERDICT_ACCEPTED);
    ticket_list last = {0}, tl = {0};
    push(&last, "GALA-0", "", "", "T01-01", 0); /* sorted by code */
    push(&last, "GALA-1", "", "", "T02-01", 0);
    push(&tl, "GALA-1", "Ann", "", "T02-01", 2); /* the same file again */
    ticket_merge m = {0};
    csv_report rep = {0};
    assert_int_equal(ticket_merge_plan(f.st, &tl, NULL, TICKET_MISSING_KEEP, &last, NOW, &m, &rep),
                     USHER_OK);
    assert_int_equal(m.seats_kept, 1);
    assert_int_equal(m.nseated, 0);
    assert_int_equal(m.unchanged, 1);
    assert_int_equal(ticket_merge_changes(&m), 0);
    /* without the memory of the last import, the file's seat would win */
    assert_int_equal(ticket_merge_plan(f.st, &tl, NULL, TICKET_MISSING_KEEP, NULL, NOW, &m, &rep),
                     USHER_OK);
    assert_int_equal(m.nseated, 1);
    assert_int_equal(m.moved, 1);
    /* a file that gives another seat now: moved there */
    ticket_list_release(&tl);
    push(&tl, "GALA-1", "Ann", "", "T02-04", 2);
    assert_int_equal(ticket_merge_plan(f.st, &tl, NULL, TICKET_MISSING_KEEP, &last, NOW, &m, &rep),
                     USHER_OK);
    assert_int_equal(m.seats_kept, 0);
    assert_int_equal(m.nseated, 1);
    assert_string_equal(m.seated[0].before, "T02-03");
    ticket_merge_release(&m);
    csv_report_release(&rep);
    ticket_list_release(&tl);
    ticket_list_release(&last);
    fixture_release(&f);
}

static void a_seat_freed_by_a_void_row_can_be_given(void **unused)
{
    (void)unused;
    fixture f;
    fixture_init(&f);
    ticket_list tl = {0}, voided = {0};
    push(&tl, "GALA-2", "Bob", "", "T02-01", 2);
    push(&voided, "GALA-1", "Ann", "", "", 3); /* Ann's ticket is void now */
    ticket_merge m = {0};
    plan_apply(&f, &tl, &voided, &m);
    assert_int_equal(m.revoked.count, 1);
    assert_int_equal(m.nseated, 1);
    assert_string_equal(seat_of(f.st, "GALA-2"), "T02-01");
    assert_string_equal(seat_of(f.st, "GALA-1"), "");
    ticket_merge_release(&m);
    ticket_list_release(&tl);
    ticket_list_release(&voided);
    fixture_release(&f);
}

static void a_revoked_ticket_is_not_seated(void **unused)
{
    (void)unused;
    fixture f;
    fixture_init(&f);
    usher_op op;
    op_init(&op, OP_REVOKE, "admin", NOW);
    text_copy(op.ticket, sizeof op.ticket, "GALA-2");
    apply_result res;
    state_apply(f.st, &op, NOW, &res);
    ticket_list tl = {0};
    push(&tl, "GALA-2", "Bob", "", "T02-02", 2);
    ticket_merge m = {0};
    plan_apply(&f, &tl, NULL, &m);
    assert_int_equal(m.still_revoked, 1);
    assert_int_equal(m.nseated, 0);
    assert_string_equal(seat_of(f.st, "GALA-2"), "");
    ticket_merge_release(&m);
    ticket_list_release(&tl);
    fixture_release(&f);
}

/* ---- notes and special attention ---------------------------------------- */

static fixture make_noted(void)
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
    fixture_release(f);
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
    csv_report rep = {0};
    assert_int_equal(
        ticket_merge_plan(f->st, &tl, &voided, TICKET_MISSING_KEEP, NULL, NOW, m, &rep), USHER_OK);
    assert_int_equal(rep.total, 0);
    csv_report_release(&rep);
    ticket_list_release(&tl);
}

static const ticket_state *ticket(fixture *f, const char *code)
{
    return state_ticket(f->st, state_find_ticket(f->st, code));
}

static void a_file_without_notes_keeps_them(void **unused)
{
    (void)unused;
    fixture f = make_noted();
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
    fixture f = make_noted();
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

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_tickets_are_seated_where_the_file_says),
        cmocka_unit_test(seats_that_cannot_be_had_are_named_by_line),
        cmocka_unit_test(a_reimport_moves_a_ticket_only_to_a_free_seat),
        cmocka_unit_test(a_move_made_since_the_last_import_is_kept),
        cmocka_unit_test(a_seat_freed_by_a_void_row_can_be_given),
        cmocka_unit_test(a_revoked_ticket_is_not_seated),
        cmocka_unit_test(a_file_without_notes_keeps_them),
        cmocka_unit_test(a_file_with_notes_sets_and_clears_them),
    };
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

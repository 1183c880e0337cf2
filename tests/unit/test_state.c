/* test_state.c - the seating state machine: every conflict rule of shared/README.md, and
 * a randomized run of thousands of interleaved, late and duplicated ops. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "op.h"
#include "state.h"
#include "text.h"

#define NOW 1795000000000LL /* a fixed coordinator clock, ms */

/* Four tables of four seats in a line, 300 units apart; T04 is VIP. */
static const char *line_json =
    "{\"name\":\"Line\",\"sections\":["
    "{\"kind\":\"table\",\"id\":\"T01\",\"x\":0,\"y\":0,\"seats\":4},"
    "{\"kind\":\"table\",\"id\":\"T02\",\"x\":300,\"y\":0,\"seats\":4},"
    "{\"kind\":\"table\",\"id\":\"T03\",\"x\":600,\"y\":0,\"seats\":4},"
    "{\"kind\":\"table\",\"id\":\"T04\",\"x\":900,\"y\":0,\"seats\":4,\"class\":\"VIP\"}]}";

typedef struct fixture {
    layout *l;
    state *st;
} fixture;

static fixture make(reseat_policy policy, int ntickets)
{
    fixture f = {0};
    usher_errmsg em = {{0}};
    usher_err e = layout_from_json(line_json, strlen(line_json), &f.l, &em);
    if (e)
        fail_msg("layout: %s", em.text);
    state_config cfg = {.reseat = policy, .remember_ops = true, .late_after_ms = 600000};
    f.st = state_new(f.l, &cfg);
    assert_non_null(f.st);
    for (int i = 1; i <= ntickets; i++) {
        char code[USHER_CODE_SIZE];
        snprintf(code, sizeof code, "GALA-%04d", i);
        assert_int_equal(state_add_ticket(f.st, code, "Guest", i <= 2 ? "VIP" : "", NULL, NULL),
                         USHER_OK);
    }
    return f;
}

static void drop(fixture *f)
{
    state_free(f->st);
    layout_free(f->l);
}

static usher_op mkop(op_kind kind, const char *device, const char *ticket, const char *seat)
{
    usher_op op;
    op_init(&op, kind, device, NOW - 1000);
    text_copy(op.ticket, sizeof op.ticket, ticket ? ticket : "");
    text_copy(op.seat, sizeof op.seat, seat ? seat : "");
    return op;
}

static apply_result run(fixture *f, const usher_op *op, int64_t now)
{
    apply_result r;
    state_apply(f->st, op, now, &r);
    usher_errmsg em = {{0}};
    if (!state_check(f->st, &em))
        fail_msg("invariant broken: %s", em.text);
    return r;
}

static apply_result assign(fixture *f, const char *dev, const char *ticket, const char *seat)
{
    usher_op op = mkop(OP_ASSIGN, dev, ticket, seat);
    return run(f, &op, NOW);
}

static const char *seat_of(fixture *f, const char *code)
{
    return state_ticket(f->st, state_find_ticket(f->st, code))->seat;
}

static void assign_free_seat_accepted(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    apply_result r = assign(&f, "kiosk-a", "GALA-0003", "T01-02");
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.v.reason, REASON_NONE);
    assert_string_equal(r.v.ticket_seat, "T01-02");
    assert_string_equal(r.v.seat_ticket, "GALA-0003");
    assert_string_equal(seat_of(&f, "GALA-0003"), "T01-02");
    assert_int_equal(r.nchanges, 2); /* the seat and the ticket */
    assert_int_equal(r.changes[0].type, CHANGE_SEAT);
    assert_string_equal(r.changes[0].seat.ticket, "GALA-0003");
    assert_int_equal(r.changes[1].type, CHANGE_TICKET);
    assert_int_equal(r.nalerts, 0);
    drop(&f);
}

static void taken_seat_reseated_at_same_table(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    assign(&f, "kiosk-a", "GALA-0003", "T02-01");
    apply_result r = assign(&f, "kiosk-b", "GALA-0004", "T02-01");
    assert_int_equal(r.v.status, VERDICT_REJECTED);
    assert_int_equal(r.v.reason, REASON_SEAT_TAKEN);
    assert_int_equal(strncmp(r.v.reseat, "T02-", 4), 0);
    assert_string_not_equal(r.v.reseat, "T02-01");
    assert_string_equal(seat_of(&f, "GALA-0004"), r.v.reseat);
    assert_string_equal(seat_of(&f, "GALA-0003"), "T02-01");
    assert_int_equal(r.nalerts, 1);
    assert_int_equal(r.alerts[0].kind, ALERT_RESEAT);
    assert_string_equal(r.alerts[0].seat, "T02-01");
    assert_string_equal(r.alerts[0].other_seat, r.v.reseat);
    assert_string_equal(r.alerts[0].device, "kiosk-b");
    drop(&f);
}

static void reseat_goes_to_neighbouring_table_not_vip(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 12);
    /* T03 full; T04 (VIP, nearest to its right) is not for a regular ticket. */
    const char *t03[] = {"T03-01", "T03-02", "T03-03", "T03-04"};
    for (int i = 0; i < 4; i++) {
        char code[16];
        snprintf(code, sizeof code, "GALA-%04d", 3 + i);
        assert_int_equal(assign(&f, "kiosk-a", code, t03[i]).v.status, VERDICT_ACCEPTED);
    }
    apply_result r = assign(&f, "kiosk-b", "GALA-0009", "T03-02");
    assert_int_equal(r.v.reason, REASON_SEAT_TAKEN);
    assert_int_equal(strncmp(r.v.reseat, "T02-", 4), 0);
    /* A VIP ticket bumped from T03 may take the nearer VIP table. */
    r = assign(&f, "kiosk-b", "GALA-0001", "T03-03");
    assert_int_equal(r.v.reason, REASON_SEAT_TAKEN);
    assert_true(!strncmp(r.v.reseat, "T02-", 4) || !strncmp(r.v.reseat, "T04-", 4));
    drop(&f);
}

static void reseat_keeps_party_together(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 12);
    /* The party already sits at T01; T02 is full; a member asks for T02. */
    for (int i = 0; i < 4; i++) {
        char code[16], seat[16];
        snprintf(code, sizeof code, "GALA-%04d", 3 + i);
        snprintf(seat, sizeof seat, "T02-%02d", i + 1);
        assign(&f, "kiosk-a", code, seat);
    }
    usher_op op = mkop(OP_ASSIGN, "kiosk-b", "GALA-0007", "T03-01");
    text_copy(op.party, sizeof op.party, "party-1");
    assert_int_equal(run(&f, &op, NOW).v.status, VERDICT_ACCEPTED);
    op = mkop(OP_ASSIGN, "kiosk-b", "GALA-0008", "T02-02");
    text_copy(op.party, sizeof op.party, "party-1");
    apply_result r = run(&f, &op, NOW);
    assert_int_equal(r.v.reason, REASON_SEAT_TAKEN);
    /* T01 and T03 are equally near T02; the party's table wins. */
    assert_int_equal(strncmp(r.v.reseat, "T03-", 4), 0);
    drop(&f);
}

static void no_reseat_policy_only_rejects(void **unused)
{
    fixture f = make(RESEAT_NONE, 5);
    assign(&f, "kiosk-a", "GALA-0003", "T01-01");
    apply_result r = assign(&f, "kiosk-b", "GALA-0004", "T01-01");
    assert_int_equal(r.v.status, VERDICT_REJECTED);
    assert_int_equal(r.v.reason, REASON_SEAT_TAKEN);
    assert_string_equal(r.v.reseat, "");
    assert_string_equal(r.v.seat_ticket, "GALA-0003");
    assert_string_equal(seat_of(&f, "GALA-0004"), "");
    assert_int_equal(r.nchanges, 0);
    drop(&f);
}

static void full_venue_rejects_without_reseat(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 15);
    int n = 0;
    for (int t = 1; t <= 3; t++)
        for (int s = 1; s <= 4; s++) {
            char code[16], seat[16];
            snprintf(code, sizeof code, "GALA-%04d", 3 + n++);
            snprintf(seat, sizeof seat, "T%02d-%02d", t, s);
            assign(&f, "kiosk-a", code, seat);
        }
    apply_result r = assign(&f, "kiosk-b", "GALA-0015", "T01-01");
    assert_int_equal(r.v.reason, REASON_SEAT_TAKEN);
    assert_string_equal(r.v.reseat, ""); /* only VIP seats are left */
    assert_string_equal(seat_of(&f, "GALA-0015"), "");
    drop(&f);
}

static void ticket_seated_twice_first_wins(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    assert_int_equal(assign(&f, "kiosk-a", "GALA-0003", "T01-01").v.status, VERDICT_ACCEPTED);
    /* kiosk-b believed the ticket unseated. */
    apply_result r = assign(&f, "kiosk-b", "GALA-0003", "T03-01");
    assert_int_equal(r.v.status, VERDICT_REJECTED);
    assert_int_equal(r.v.reason, REASON_TICKET_SEATED);
    assert_string_equal(r.v.ticket_seat, "T01-01");
    assert_string_equal(seat_of(&f, "GALA-0003"), "T01-01");
    /* The same seat again is simply granted. */
    assert_int_equal(assign(&f, "kiosk-b", "GALA-0003", "T01-01").v.status, VERDICT_ACCEPTED);
    drop(&f);
}

static void deliberate_move_with_expectation(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    assign(&f, "kiosk-a", "GALA-0003", "T01-01");
    usher_op op = mkop(OP_ASSIGN, "kiosk-b", "GALA-0003", "T03-04");
    text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat, "T01-01");
    apply_result r = run(&f, &op, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_string_equal(seat_of(&f, "GALA-0003"), "T03-04");
    assert_string_equal(state_seat(f.st, layout_find_seat(f.l, "T01-01"))->ticket, "");
    assert_int_equal(r.nchanges, 3);
    /* A move onto a taken seat fails and the guest keeps the old seat. */
    assign(&f, "kiosk-a", "GALA-0004", "T02-01");
    op = mkop(OP_ASSIGN, "kiosk-b", "GALA-0003", "T02-01");
    text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat, "T03-04");
    r = run(&f, &op, NOW);
    assert_int_equal(r.v.reason, REASON_SEAT_TAKEN);
    assert_string_equal(r.v.reseat, "");
    assert_string_equal(seat_of(&f, "GALA-0003"), "T03-04");
    drop(&f);
}

static void repeated_op_id_gets_first_verdict(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    usher_op a = mkop(OP_ASSIGN, "kiosk-a", "GALA-0003", "T01-01");
    apply_result first = run(&f, &a, NOW);
    usher_op b = mkop(OP_ASSIGN, "kiosk-b", "GALA-0004", "T01-01");
    apply_result bfirst = run(&f, &b, NOW);
    assert_int_equal(bfirst.v.reason, REASON_SEAT_TAKEN);
    /* Resend both after the state moved on: same verdicts, no changes. */
    usher_op c = mkop(OP_UNASSIGN, "kiosk-a", "GALA-0003", "T01-01");
    run(&f, &c, NOW);
    apply_result again = run(&f, &a, NOW + 5000);
    assert_int_equal(again.v.status, VERDICT_DUPLICATE);
    assert_int_equal(again.v.first, VERDICT_ACCEPTED);
    assert_string_equal(again.v.ticket_seat, first.v.ticket_seat);
    assert_int_equal(again.nchanges, 0);
    assert_string_equal(seat_of(&f, "GALA-0003"), "");
    apply_result bagain = run(&f, &b, NOW + 5000);
    assert_int_equal(bagain.v.status, VERDICT_DUPLICATE);
    assert_int_equal(bagain.v.first, VERDICT_REJECTED);
    assert_int_equal(bagain.v.reason, REASON_SEAT_TAKEN);
    assert_string_equal(bagain.v.reseat, bfirst.v.reseat);
    assert_int_equal(verdict_effective(&bagain.v), VERDICT_REJECTED);
    assert_non_null(state_recall(f.st, a.id));
    drop(&f);
}

/* Two generations of verdicts: forgetting drops the older one only; a
 * verdict remembered again (found in the database) answers as before. */
static void forget_older_keeps_the_newer_generation(void **unused)
{
    (void)unused;
    fixture f = make(RESEAT_NONE, 6);
    usher_op a = mkop(OP_ASSIGN, "k1", "GALA-0003", "T01-01");
    usher_op b = mkop(OP_ASSIGN, "k1", "GALA-0004", "T01-02");
    apply_result ra = run(&f, &a, NOW);
    assert_int_equal(ra.v.status, VERDICT_ACCEPTED);
    state_forget_older(f.st); /* a's generation is now the older */
    run(&f, &b, NOW);
    assert_int_equal(state_remembered(f.st), 2);
    assert_non_null(state_recall(f.st, a.id));
    assert_int_equal(run(&f, &a, NOW).v.status, VERDICT_DUPLICATE);
    state_forget_older(f.st); /* a forgotten, b older */
    assert_null(state_recall(f.st, a.id));
    assert_non_null(state_recall(f.st, b.id));
    assert_int_equal(state_remembered(f.st), 1);
    state *copy = state_clone(f.st);
    assert_non_null(copy);
    assert_non_null(state_recall(copy, b.id));
    state_free(copy);
    /* Remembered again (as the coordinator does from its database). */
    assert_int_equal(state_remember(f.st, &ra.v), USHER_OK);
    assert_int_equal(state_remember(f.st, &ra.v), USHER_EXISTS);
    apply_result again = run(&f, &a, NOW);
    assert_int_equal(again.v.status, VERDICT_DUPLICATE);
    assert_int_equal(again.v.first, VERDICT_ACCEPTED);
    assert_int_equal(again.nchanges, 0);
    state_forget_older(f.st);
    state_forget_older(f.st);
    assert_int_equal(state_remembered(f.st), 0);
    drop(&f);
}

static void checkin_then_duplicate_alert(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    assign(&f, "kiosk-a", "GALA-0003", "T01-01");
    usher_op a = mkop(OP_CHECKIN, "door-1", "GALA-0003", NULL);
    a.wait_ms = 60000;
    apply_result r = run(&f, &a, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.v.reason, REASON_NONE);
    assert_int_equal(r.v.checked_in_at, NOW - 60000);
    assert_string_equal(r.v.ticket_seat, "T01-01");
    usher_op b = mkop(OP_CHECKIN, "door-2", "GALA-0003", NULL);
    b.wait_ms = 30000;
    r = run(&f, &b, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.v.reason, REASON_DUPLICATE_CHECKIN);
    assert_string_equal(r.v.checkin_device, "door-1");
    assert_int_equal(r.nalerts, 1);
    assert_int_equal(r.alerts[0].kind, ALERT_DUPLICATE_CHECKIN);
    assert_string_equal(r.alerts[0].device, "door-2");
    assert_string_equal(r.alerts[0].other_device, "door-1");
    assert_int_equal(r.alerts[0].other_at, NOW - 60000);
    assert_int_equal(r.nchanges, 0);
    /* An earlier scan arriving late becomes the ticket's check-in. */
    usher_op c = mkop(OP_CHECKIN, "door-3", "GALA-0003", NULL);
    c.wait_ms = 90000;
    r = run(&f, &c, NOW);
    assert_int_equal(r.v.reason, REASON_DUPLICATE_CHECKIN);
    const ticket_state *t = state_ticket(f.st, state_find_ticket(f.st, "GALA-0003"));
    assert_int_equal(t->checked_in_at, NOW - 90000);
    assert_string_equal(t->checkin_device, "door-3");
    drop(&f);
}

static void checkout_and_reentry(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    const ticket_state *t = state_ticket(f.st, state_find_ticket(f.st, "GALA-0003"));
    /* Not yet in: a checkout is refused and changes nothing. */
    usher_op o0 = mkop(OP_CHECKOUT, "door-1", "GALA-0003", NULL);
    apply_result r = run(&f, &o0, NOW);
    assert_int_equal(r.v.status, VERDICT_REJECTED);
    assert_int_equal(r.v.reason, REASON_NOT_INSIDE);
    assert_int_equal(r.nchanges, 0);
    usher_op bad = mkop(OP_CHECKOUT, "door-1", "NOPE-1", NULL);
    assert_int_equal(run(&f, &bad, NOW).v.reason, REASON_UNKNOWN_TICKET);
    usher_op in = mkop(OP_CHECKIN, "door-1", "GALA-0003", NULL);
    run(&f, &in, NOW);
    state_stats ss;
    state_get_stats(f.st, NOW, &ss);
    assert_int_equal(ss.inside, 1);
    /* Out. */
    usher_op out = mkop(OP_CHECKOUT, "door-2", "GALA-0003", NULL);
    r = run(&f, &out, NOW + 1000);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nalerts, 0);
    assert_int_equal(r.nchanges, 1);
    assert_int_equal(r.changes[0].ticket.checked_out_at, NOW + 1000);
    assert_int_equal(t->checked_out_at, NOW + 1000);
    assert_string_equal(t->checkout_device, "door-2");
    state_get_stats(f.st, NOW, &ss);
    assert_int_equal(ss.inside, 0);
    assert_int_equal(ss.checked_in, 1);
    /* Out twice: not inside. */
    usher_op out2 = mkop(OP_CHECKOUT, "door-2", "GALA-0003", NULL);
    assert_int_equal(run(&f, &out2, NOW + 1500).v.reason, REASON_NOT_INSIDE);
    /* Back in: a re-entry, not a duplicate. */
    usher_op back = mkop(OP_CHECKIN, "door-3", "GALA-0003", NULL);
    r = run(&f, &back, NOW + 2000);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.v.reason, REASON_NONE);
    assert_int_equal(r.nalerts, 0);
    assert_int_equal(r.v.checked_in_at, NOW + 2000);
    assert_int_equal(t->checked_out_at, 0);
    assert_string_equal(t->checkin_device, "door-3");
    assert_string_equal(t->checkout_device, "");
    state_get_stats(f.st, NOW, &ss);
    assert_int_equal(ss.inside, 1);
    /* Inside again: a second scan is today's duplicate. */
    usher_op dup = mkop(OP_CHECKIN, "door-4", "GALA-0003", NULL);
    r = run(&f, &dup, NOW + 3000);
    assert_int_equal(r.v.reason, REASON_DUPLICATE_CHECKIN);
    assert_int_equal(r.alerts[0].kind, ALERT_DUPLICATE_CHECKIN);
    drop(&f);
}

static void reentry_refused_is_duplicate(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    state_config cfg = *state_get_config(f.st);
    cfg.reentry_refused = true;
    state *st2 = state_new(f.l, &cfg);
    assert_non_null(st2);
    state_free(f.st);
    f.st = st2;
    assert_int_equal(state_add_ticket(f.st, "GALA-0003", "Guest", "", NULL, NULL), USHER_OK);
    usher_op in = mkop(OP_CHECKIN, "door-1", "GALA-0003", NULL);
    run(&f, &in, NOW);
    usher_op out = mkop(OP_CHECKOUT, "door-1", "GALA-0003", NULL);
    assert_int_equal(run(&f, &out, NOW + 1000).v.status, VERDICT_ACCEPTED);
    usher_op back = mkop(OP_CHECKIN, "door-2", "GALA-0003", NULL);
    apply_result r = run(&f, &back, NOW + 2000);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.v.reason, REASON_DUPLICATE_CHECKIN);
    assert_int_equal(r.nchanges, 0);
    assert_int_equal(r.nalerts, 1);
    assert_int_equal(r.alerts[0].kind, ALERT_DUPLICATE_CHECKIN);
    const ticket_state *t = state_ticket(f.st, state_find_ticket(f.st, "GALA-0003"));
    assert_int_equal(t->checked_out_at, NOW + 1000);
    assert_int_equal(t->checked_in_at, NOW);
    drop(&f);
}

static void inout_out_of_order_alerts(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    /* door-1 scans in at NOW, uploads at once. door-2 (offline) scanned the
     * guest out at NOW - 5000 (by its wait) and uploads later: applied in
     * arrival order, with an alert naming both. */
    usher_op in = mkop(OP_CHECKIN, "door-1", "GALA-0003", NULL);
    run(&f, &in, NOW);
    usher_op out = mkop(OP_CHECKOUT, "door-2", "GALA-0003", NULL);
    out.wait_ms = 15000;
    apply_result r = run(&f, &out, NOW + 10000);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nalerts, 1);
    assert_int_equal(r.alerts[0].kind, ALERT_INOUT_CONFLICT);
    assert_string_equal(r.alerts[0].ticket, "GALA-0003");
    assert_string_equal(r.alerts[0].device, "door-2");
    assert_int_equal(r.alerts[0].at, NOW - 5000);
    assert_string_equal(r.alerts[0].other_device, "door-1");
    assert_int_equal(r.alerts[0].other_at, NOW);
    assert_string_equal(r.alerts[0].note, "in");
    const ticket_state *t = state_ticket(f.st, state_find_ticket(f.st, "GALA-0003"));
    assert_int_equal(t->checked_out_at, NOW - 5000);
    /* A re-entry scanned before that exit, arriving after it. */
    usher_op back = mkop(OP_CHECKIN, "door-3", "GALA-0003", NULL);
    back.wait_ms = 30000;
    r = run(&f, &back, NOW + 20000);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nalerts, 1);
    assert_int_equal(r.alerts[0].kind, ALERT_INOUT_CONFLICT);
    assert_string_equal(r.alerts[0].other_device, "door-2");
    assert_int_equal(r.alerts[0].other_at, NOW - 5000);
    assert_string_equal(r.alerts[0].note, "out");
    assert_int_equal(t->checked_out_at, 0);
    assert_int_equal(t->checked_in_at, NOW - 10000);
    drop(&f);
}

static void revoked_ticket_refused_everywhere(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    assign(&f, "kiosk-a", "GALA-0003", "T01-01");
    usher_op rv = mkop(OP_REVOKE, "admin", "GALA-0003", NULL);
    apply_result r = run(&f, &rv, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_string_equal(seat_of(&f, "GALA-0003"), ""); /* the seat is freed */
    assert_string_equal(state_seat(f.st, layout_find_seat(f.l, "T01-01"))->ticket, "");
    assert_int_equal(assign(&f, "kiosk-a", "GALA-0003", "T01-02").v.reason, REASON_REVOKED);
    usher_op ci = mkop(OP_CHECKIN, "door-1", "GALA-0003", NULL);
    r = run(&f, &ci, NOW);
    assert_int_equal(r.v.status, VERDICT_REJECTED);
    assert_int_equal(r.v.reason, REASON_REVOKED);
    assert_int_equal(r.nalerts, 1);
    assert_int_equal(r.alerts[0].kind, ALERT_REVOKED_SCAN);
    drop(&f);
}

static void unknown_ticket_and_seat(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    assert_int_equal(assign(&f, "k", "NOPE-1", "T01-01").v.reason, REASON_UNKNOWN_TICKET);
    assert_int_equal(assign(&f, "k", "GALA-0003", "T99-01").v.reason, REASON_UNKNOWN_SEAT);
    usher_op ci = mkop(OP_CHECKIN, "door", "NOPE-1", NULL);
    assert_int_equal(run(&f, &ci, NOW).v.reason, REASON_UNKNOWN_TICKET);
    usher_op h = mkop(OP_HOLD, "k", NULL, "X-1");
    assert_int_equal(run(&f, &h, NOW).v.reason, REASON_UNKNOWN_SEAT);
    drop(&f);
}

static void class_not_allowed(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    apply_result r = assign(&f, "k", "GALA-0003", "T04-01");
    assert_int_equal(r.v.status, VERDICT_REJECTED);
    assert_int_equal(r.v.reason, REASON_CLASS_NOT_ALLOWED);
    assert_string_equal(r.v.reseat, "");
    /* VIP tickets (GALA-0001/2) may sit at VIP and open tables. */
    assert_int_equal(assign(&f, "k", "GALA-0001", "T04-01").v.status, VERDICT_ACCEPTED);
    assert_int_equal(assign(&f, "k", "GALA-0002", "T01-01").v.status, VERDICT_ACCEPTED);
    usher_op h = mkop(OP_HOLD, "k", "GALA-0003", "T04-02");
    assert_int_equal(run(&f, &h, NOW).v.reason, REASON_CLASS_NOT_ALLOWED);
    drop(&f);
}

static void holds_block_others_and_expire(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    usher_op h = mkop(OP_HOLD, "kiosk-a", NULL, "T01-01");
    h.at = NOW;
    apply_result r = run(&f, &h, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    int si = layout_find_seat(f.l, "T01-01");
    assert_int_equal(state_seat(f.st, si)->hold_until, NOW + USHER_DEFAULT_HOLD_TTL_MS);
    assert_int_equal(state_seat_status(f.st, si, "kiosk-a", NOW), SEAT_HELD_BY_ME);
    assert_int_equal(state_seat_status(f.st, si, "kiosk-b", NOW), SEAT_HELD_OTHER);
    usher_op h2 = mkop(OP_HOLD, "kiosk-b", NULL, "T01-01");
    h2.at = NOW;
    assert_int_equal(run(&f, &h2, NOW + 1).v.reason, REASON_SEAT_HELD);
    /* Another device's assign onto the held seat is a conflict (reseated). */
    r = assign(&f, "kiosk-b", "GALA-0004", "T01-01");
    assert_int_equal(r.v.reason, REASON_SEAT_HELD);
    assert_string_not_equal(r.v.reseat, "");
    /* The holder's own assign takes it and clears the hold. */
    r = assign(&f, "kiosk-a", "GALA-0003", "T01-01");
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_string_equal(state_seat(f.st, si)->hold_device, "");
    /* Expiry by the coordinator's clock. */
    usher_op h3 = mkop(OP_HOLD, "kiosk-a", NULL, "T03-03");
    h3.at = NOW;
    run(&f, &h3, NOW);
    int s3 = layout_find_seat(f.l, "T03-03");
    int64_t later = NOW + USHER_DEFAULT_HOLD_TTL_MS;
    assert_int_equal(state_seat_status(f.st, s3, "kiosk-b", later), SEAT_FREE);
    usher_op h4 = mkop(OP_HOLD, "kiosk-b", NULL, "T03-03");
    h4.at = later;
    assert_int_equal(run(&f, &h4, later).v.status, VERDICT_ACCEPTED);
    drop(&f);
}

static void stale_offline_hold_changes_nothing(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    usher_op h = mkop(OP_HOLD, "kiosk-a", NULL, "T01-01");
    h.wait_ms = 10 * 60 * 1000; /* made offline ten minutes ago */
    apply_result r = run(&f, &h, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nchanges, 0);
    assert_int_equal(state_seat_status(f.st, 0, "kiosk-b", NOW), SEAT_FREE);
    drop(&f);
}

static void release_only_own_hold(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    usher_op h = mkop(OP_HOLD, "kiosk-a", NULL, "T01-01");
    h.at = NOW;
    run(&f, &h, NOW);
    usher_op rb = mkop(OP_RELEASE, "kiosk-b", NULL, "T01-01");
    apply_result r = run(&f, &rb, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nchanges, 0);
    assert_int_equal(state_seat_status(f.st, 0, "kiosk-b", NOW), SEAT_HELD_OTHER);
    usher_op ra = mkop(OP_RELEASE, "kiosk-a", NULL, "T01-01");
    r = run(&f, &ra, NOW);
    assert_int_equal(r.nchanges, 1);
    assert_int_equal(state_seat_status(f.st, 0, "kiosk-b", NOW), SEAT_FREE);
    drop(&f);
}

static void unassign_rules(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    usher_op u = mkop(OP_UNASSIGN, "k", "GALA-0003", NULL);
    assert_int_equal(run(&f, &u, NOW).v.reason, REASON_NOT_SEATED);
    assign(&f, "k", "GALA-0003", "T01-01");
    usher_op wrong = mkop(OP_UNASSIGN, "k", "GALA-0003", "T01-02");
    apply_result r = run(&f, &wrong, NOW);
    assert_int_equal(r.v.reason, REASON_TICKET_SEATED);
    assert_string_equal(r.v.ticket_seat, "T01-01");
    usher_op right = mkop(OP_UNASSIGN, "k", "GALA-0003", "T01-01");
    r = run(&f, &right, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_string_equal(seat_of(&f, "GALA-0003"), "");
    assert_int_equal(state_seat_status(f.st, 0, "k", NOW), SEAT_FREE);
    drop(&f);
}

static void block_and_unblock(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    usher_op b = mkop(OP_BLOCK, "admin", NULL, "T01-01");
    assert_int_equal(run(&f, &b, NOW).v.status, VERDICT_ACCEPTED);
    assert_int_equal(state_seat_status(f.st, 0, "k", NOW), SEAT_BLOCKED);
    apply_result r = assign(&f, "k", "GALA-0003", "T01-01");
    assert_int_equal(r.v.reason, REASON_SEAT_BLOCKED);
    assert_string_not_equal(r.v.reseat, ""); /* blocked meanwhile: reseated */
    /* An occupied seat cannot be blocked. */
    usher_op b2 = mkop(OP_BLOCK, "admin", NULL, r.v.reseat);
    assert_int_equal(run(&f, &b2, NOW).v.reason, REASON_SEAT_TAKEN);
    usher_op ub = mkop(OP_UNBLOCK, "admin", NULL, "T01-01");
    assert_int_equal(run(&f, &ub, NOW).nchanges, 1);
    assert_int_equal(state_seat_status(f.st, 0, "k", NOW), SEAT_FREE);
    drop(&f);
}

static void invalid_op_rejected_and_changes_nothing(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    usher_op op = mkop(OP_ASSIGN, "k", "GALA-0003", "");
    apply_result r = run(&f, &op, NOW);
    assert_int_equal(r.v.status, VERDICT_REJECTED);
    assert_int_equal(r.v.reason, REASON_INVALID);
    assert_int_equal(r.nchanges, 0);
    op = mkop(OP_NONE, "k", "GALA-0003", "T01-01");
    assert_int_equal(run(&f, &op, NOW).v.reason, REASON_INVALID);
    op = mkop(OP_ASSIGN, "k", "bad code!", "T01-01");
    assert_int_equal(run(&f, &op, NOW).v.reason, REASON_INVALID);
    drop(&f);
}

static void late_upload_raises_alert(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    usher_op op = mkop(OP_ASSIGN, "k", "GALA-0003", "T01-01");
    op.wait_ms = 3600 * 1000;
    apply_result r = run(&f, &op, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nalerts, 1);
    assert_int_equal(r.alerts[0].kind, ALERT_LATE_UPLOAD);
    assert_int_equal(r.alerts[0].at, NOW - 3600 * 1000); /* when it happened, coordinator time */
    drop(&f);
}

/* Time is the coordinator's (finding 1): a device's wall clock, however
 * wrong, never decides how long a hold lives, whether an upload is late or
 * which scan came first; only the op's measured wait in the outbox does. */
static void device_clock_never_judges(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    /* A kiosk ten minutes behind holds a seat it just chose: held, for the
     * whole TTL from arrival. */
    usher_op h = mkop(OP_HOLD, "kiosk-a", NULL, "T01-01");
    h.at = NOW - 10 * 60 * 1000;
    apply_result r = run(&f, &h, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nchanges, 1);
    assert_int_equal(state_seat_status(f.st, 0, "kiosk-b", NOW), SEAT_HELD_OTHER);
    assert_int_equal(state_seat(f.st, 0)->hold_until, NOW + USHER_DEFAULT_HOLD_TTL_MS);
    /* ...and another kiosk cannot take it meanwhile. */
    usher_op b = mkop(OP_HOLD, "kiosk-b", NULL, "T01-01");
    assert_int_equal(run(&f, &b, NOW + 1000).v.reason, REASON_SEAT_HELD);
    /* Its assign an hour "late" by its clock raises no late_upload. */
    usher_op as = mkop(OP_ASSIGN, "kiosk-a", "GALA-0003", "T01-01");
    as.at = NOW - 3600 * 1000;
    r = run(&f, &as, NOW + 2000);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nalerts, 0);
    /* A door at 1970 checks in at the coordinator's time, not 1970-01-02. */
    usher_op c1 = mkop(OP_CHECKIN, "door-1970", "GALA-0003", NULL);
    c1.at = 86400000;
    c1.wait_ms = 5000;
    r = run(&f, &c1, NOW + 10000);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    const ticket_state *t = state_ticket(f.st, state_find_ticket(f.st, "GALA-0003"));
    assert_int_equal(t->checked_in_at, NOW + 5000);
    /* A door two hours behind, scanning later, does not become the first. */
    usher_op c2 = mkop(OP_CHECKIN, "door-slow", "GALA-0003", NULL);
    c2.at = NOW - 2 * 3600 * 1000;
    r = run(&f, &c2, NOW + 20000);
    assert_int_equal(r.v.reason, REASON_DUPLICATE_CHECKIN);
    assert_string_equal(t->checkin_device, "door-1970");
    assert_int_equal(t->checked_in_at, NOW + 5000);
    assert_int_equal(r.alerts[0].at, NOW + 20000);
    /* A wait longer than the coordinator's clock is clamped, never negative. */
    usher_op w = mkop(OP_HOLD, "kiosk-c", NULL, "T02-01");
    w.wait_ms = INT64_MAX;
    assert_int_equal(op_happened_at(&w, NOW), 0);
    r = run(&f, &w, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nchanges, 0); /* expired long ago */
    drop(&f);
}

static void add_ticket_refusals(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 1);
    usher_errmsg em = {{0}};
    assert_int_equal(state_add_ticket(f.st, "GALA-0001", "X", "", NULL, &em), USHER_EXISTS);
    assert_non_null(strstr(em.text, "GALA-0001"));
    assert_int_equal(state_add_ticket(f.st, "gala-2", "X", "", NULL, &em), USHER_INVAL);
    assert_int_equal(state_add_ticket(f.st, "G-3", "two\nlines", "", NULL, &em), USHER_INVAL);
    assert_int_equal(state_add_ticket(f.st, "G-4", "\xff\xfe", "", NULL, &em), USHER_INVAL);
    change c;
    assert_int_equal(state_add_ticket(f.st, "G-5", "Zoë Ångström", "VIP", &c, &em), USHER_OK);
    assert_int_equal(c.type, CHANGE_TICKET);
    assert_string_equal(c.ticket.name, "Zoë Ångström");
    assert_int_equal(state_ticket_count(f.st), 2);
    drop(&f);
}

static void note_ticket_keeps_the_rest(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 3);
    assign(&f, "k", "GALA-0003", "T01-01");
    usher_errmsg em = {{0}};
    change c;
    assert_int_equal(
        state_note_ticket(f.st, "GALA-0003", "wheelchair, escort to table 4", true, &c, &em),
        USHER_OK);
    assert_int_equal(c.type, CHANGE_TICKET);
    assert_string_equal(c.ticket.note, "wheelchair, escort to table 4");
    assert_true(c.ticket.attention);
    assert_string_equal(c.ticket.seat, "T01-01"); /* the seat, name and class are kept */
    assert_string_equal(c.ticket.name, "Guest");
    /* an edit of name and class keeps the note */
    assert_int_equal(state_edit_ticket(f.st, "GALA-0003", "Ada", "", &c, &em), USHER_OK);
    assert_string_equal(c.ticket.note, "wheelchair, escort to table 4");
    assert_true(c.ticket.attention);
    /* bad notes change nothing */
    char big[USHER_TICKET_NOTE_SIZE + 1];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(state_note_ticket(f.st, "GALA-0003", big, false, &c, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "at most 200 bytes"));
    assert_int_equal(state_note_ticket(f.st, "GALA-0003", "two\nlines", false, &c, &em),
                     USHER_INVAL);
    assert_int_equal(state_note_ticket(f.st, "NOPE-1", "x", false, &c, &em), USHER_NOTFOUND);
    const ticket_state *t = state_ticket(f.st, state_find_ticket(f.st, "GALA-0003"));
    assert_string_equal(t->note, "wheelchair, escort to table 4");
    assert_true(t->attention);
    /* cleared: no note, no flag */
    assert_int_equal(state_note_ticket(f.st, "GALA-0003", "", false, NULL, &em), USHER_OK);
    assert_string_equal(t->note, "");
    assert_false(t->attention);
    drop(&f);
}

static bool same_seat(const seat_state *a, const seat_state *b)
{
    return !strcmp(a->ticket, b->ticket) && a->blocked == b->blocked &&
           !strcmp(a->hold_device, b->hold_device) && a->hold_until == b->hold_until &&
           !strcmp(a->lease_device, b->lease_device) && a->lease_until == b->lease_until;
}

static bool same_ticket(const ticket_state *a, const ticket_state *b)
{
    return !strcmp(a->code, b->code) && !strcmp(a->name, b->name) && !strcmp(a->klass, b->klass) &&
           !strcmp(a->seat, b->seat) && !strcmp(a->party, b->party) &&
           a->checked_in_at == b->checked_in_at && !strcmp(a->checkin_device, b->checkin_device) &&
           a->checked_out_at == b->checked_out_at && a->revoked == b->revoked &&
           !strcmp(a->note, b->note) && a->attention == b->attention;
}

static bool same_state(const state *a, const state *b)
{
    if (state_seat_count(a) != state_seat_count(b) ||
        state_ticket_count(a) != state_ticket_count(b))
        return false;
    for (int i = 0; i < state_seat_count(a); i++)
        if (!same_seat(state_seat(a, i), state_seat(b, i)))
            return false;
    for (int i = 0; i < state_ticket_count(a); i++) {
        const ticket_state *ta = state_ticket(a, i);
        int j = state_find_ticket(b, ta->code);
        if (j < 0 || !same_ticket(ta, state_ticket(b, j)))
            return false;
    }
    return true;
}

static void replica_following_changes_equals_coordinator(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 8);
    state_config rc = {0};
    state *replica = state_new(f.l, &rc);
    assert_non_null(replica);
    for (int i = 0; i < state_ticket_count(f.st); i++) {
        change c;
        memset(&c, 0, sizeof c);
        c.type = CHANGE_TICKET;
        c.ticket = *state_ticket(f.st, i);
        assert_int_equal(state_apply_change(replica, &c, NULL), USHER_OK);
    }
    const char *seats[] = {"T01-01", "T01-01", "T02-03", "T01-02", "T03-01"};
    const char *codes[] = {"GALA-0003", "GALA-0004", "GALA-0005", "GALA-0003", "GALA-0006"};
    change nc;
    assert_int_equal(
        state_note_ticket(f.st, "GALA-0004", "vegan; hard of hearing", true, &nc, NULL), USHER_OK);
    assert_int_equal(state_apply_change(replica, &nc, NULL), USHER_OK);
    for (int i = 0; i < 5; i++) {
        usher_op op = mkop(OP_ASSIGN, "k", codes[i], seats[i]);
        if (i == 3)
            text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat, "T01-01");
        apply_result r = run(&f, &op, NOW);
        for (int k = 0; k < r.nchanges; k++)
            assert_int_equal(state_apply_change(replica, &r.changes[k], NULL), USHER_OK);
        assert_true(state_check(replica, NULL));
    }
    assert_true(same_state(f.st, replica));
    change bad;
    memset(&bad, 0, sizeof bad);
    bad.type = CHANGE_SEAT;
    text_copy(bad.seat_id, sizeof bad.seat_id, "Z-99");
    usher_errmsg em = {{0}};
    assert_int_equal(state_apply_change(replica, &bad, &em), USHER_NOTFOUND);
    assert_non_null(strstr(em.text, "Z-99"));
    state_free(replica);
    drop(&f);
}

static void clone_is_independent(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    assign(&f, "k", "GALA-0003", "T01-01");
    state *copy = state_clone(f.st);
    assert_non_null(copy);
    assign(&f, "k", "GALA-0004", "T01-02");
    assert_string_equal(state_seat(copy, 1)->ticket, "");
    assert_string_equal(state_seat(copy, 0)->ticket, "GALA-0003");
    assert_int_equal(state_find_ticket(copy, "GALA-0004"), 3);
    state_free(copy);
    drop(&f);
}

static void stats_count(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    assign(&f, "k", "GALA-0003", "T01-01");
    usher_op ci = mkop(OP_CHECKIN, "door", "GALA-0003", NULL);
    run(&f, &ci, NOW);
    usher_op rv = mkop(OP_REVOKE, "admin", "GALA-0005", NULL);
    run(&f, &rv, NOW);
    usher_op b = mkop(OP_BLOCK, "admin", NULL, "T02-02");
    run(&f, &b, NOW);
    state_stats s;
    state_get_stats(f.st, NOW, &s);
    assert_int_equal(s.seats, 16);
    assert_int_equal(s.seated, 1);
    assert_int_equal(s.blocked, 1);
    assert_int_equal(s.tickets, 4);
    assert_int_equal(s.revoked, 1);
    assert_int_equal(s.checked_in, 1);
    drop(&f);
}

/* ---- leases (offline policy `lease`) ------------------------------------ */

#define LEASE_DEFAULT USHER_DEFAULT_LEASE_TTL_MS

static apply_result lease(fixture *f, const char *dev, const char *seat, int64_t ttl, int64_t now)
{
    usher_op op = mkop(OP_LEASE, dev, NULL, seat);
    op.ttl_ms = ttl;
    return run(f, &op, now);
}

static apply_result unlease(fixture *f, const char *dev, const char *seat, int64_t now)
{
    usher_op op = mkop(OP_UNLEASE, dev, NULL, seat);
    return run(f, &op, now);
}

static const seat_state *seat_named(fixture *f, const char *id)
{
    return state_seat(f->st, layout_find_seat(f->l, id));
}

static seat_status status_of(fixture *f, const char *id, const char *dev, int64_t now)
{
    return state_seat_status(f->st, layout_find_seat(f->l, id), dev, now);
}

static void lease_reserves_renews_and_unleases(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    apply_result r = lease(&f, "kiosk-a", "T01-01", 0, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.v.reason, REASON_NONE);
    assert_int_equal(r.nchanges, 1);
    assert_int_equal(r.changes[0].type, CHANGE_SEAT);
    assert_string_equal(r.changes[0].seat_id, "T01-01");
    assert_string_equal(r.changes[0].seat.lease_device, "kiosk-a");
    assert_int_equal(r.changes[0].seat.lease_until, NOW + LEASE_DEFAULT);
    assert_string_equal(seat_named(&f, "T01-01")->lease_device, "kiosk-a");
    assert_int_equal(status_of(&f, "T01-01", "kiosk-a", NOW), SEAT_LEASED_BY_ME);
    assert_int_equal(status_of(&f, "T01-01", "kiosk-b", NOW), SEAT_LEASED_OTHER);
    assert_int_equal(status_of(&f, "T01-01", NULL, NOW), SEAT_LEASED_OTHER);
    /* The lessee leasing again renews from now, with the ttl it asks for. */
    r = lease(&f, "kiosk-a", "T01-01", 60000, NOW + 1000);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nchanges, 1);
    assert_int_equal(seat_named(&f, "T01-01")->lease_until, NOW + 1000 + 60000);
    /* Another device may neither lease it nor give it back. */
    r = lease(&f, "kiosk-b", "T01-01", 0, NOW + 2000);
    assert_int_equal(r.v.status, VERDICT_REJECTED);
    assert_int_equal(r.v.reason, REASON_SEAT_LEASED);
    assert_int_equal(r.nchanges, 0);
    r = unlease(&f, "kiosk-b", "T01-01", NOW + 2000);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nchanges, 0);
    assert_string_equal(seat_named(&f, "T01-01")->lease_device, "kiosk-a");
    /* The lessee gives it back. */
    r = unlease(&f, "kiosk-a", "T01-01", NOW + 3000);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nchanges, 1);
    assert_string_equal(r.changes[0].seat.lease_device, "");
    assert_int_equal(r.changes[0].seat.lease_until, 0);
    assert_int_equal(status_of(&f, "T01-01", "kiosk-a", NOW + 3000), SEAT_FREE);
    /* Unleasing a seat nobody leased is accepted and changes nothing. */
    r = unlease(&f, "kiosk-a", "T01-01", NOW + 4000);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nchanges, 0);
    assert_int_equal(unlease(&f, "kiosk-a", "Z-99", NOW).v.reason, REASON_UNKNOWN_SEAT);
    drop(&f);
}

static void lease_refused_on_seats_not_free(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    assert_int_equal(lease(&f, "kiosk-a", "T99-01", 0, NOW).v.reason, REASON_UNKNOWN_SEAT);
    usher_op b = mkop(OP_BLOCK, "admin", NULL, "T01-01");
    run(&f, &b, NOW);
    assert_int_equal(lease(&f, "kiosk-a", "T01-01", 0, NOW).v.reason, REASON_SEAT_BLOCKED);
    assign(&f, "kiosk-b", "GALA-0003", "T01-02");
    assert_int_equal(lease(&f, "kiosk-a", "T01-02", 0, NOW).v.reason, REASON_SEAT_TAKEN);
    usher_op h = mkop(OP_HOLD, "kiosk-b", NULL, "T01-03");
    h.at = NOW;
    run(&f, &h, NOW);
    apply_result r = lease(&f, "kiosk-a", "T01-03", 0, NOW);
    assert_int_equal(r.v.status, VERDICT_REJECTED);
    assert_int_equal(r.v.reason, REASON_SEAT_HELD);
    assert_string_equal(seat_named(&f, "T01-03")->lease_device, "");
    /* A seat the device itself holds may be leased to it. */
    assert_int_equal(lease(&f, "kiosk-b", "T01-03", 0, NOW).v.status, VERDICT_ACCEPTED);
    /* Over the 4 h limit is an invalid op, not a lease. */
    r = lease(&f, "kiosk-a", "T01-04", USHER_MAX_LEASE_TTL_MS + 1, NOW);
    assert_int_equal(r.v.reason, REASON_INVALID);
    assert_int_equal(r.nchanges, 0);
    assert_int_equal(lease(&f, "kiosk-a", "T01-04", USHER_MAX_LEASE_TTL_MS, NOW).v.status,
                     VERDICT_ACCEPTED);
    assert_int_equal(seat_named(&f, "T01-04")->lease_until, NOW + USHER_MAX_LEASE_TTL_MS);
    drop(&f);
}

static void others_hold_refused_on_leased_seat(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    lease(&f, "kiosk-a", "T01-01", 0, NOW);
    usher_op hb = mkop(OP_HOLD, "kiosk-b", NULL, "T01-01");
    hb.at = NOW;
    apply_result r = run(&f, &hb, NOW);
    assert_int_equal(r.v.status, VERDICT_REJECTED);
    assert_int_equal(r.v.reason, REASON_SEAT_LEASED);
    assert_int_equal(r.nchanges, 0);
    /* The lessee holds it for a guest choosing: held by me, still leased. */
    usher_op ha = mkop(OP_HOLD, "kiosk-a", NULL, "T01-01");
    ha.at = NOW;
    assert_int_equal(run(&f, &ha, NOW).v.status, VERDICT_ACCEPTED);
    assert_int_equal(status_of(&f, "T01-01", "kiosk-a", NOW), SEAT_HELD_BY_ME);
    assert_int_equal(status_of(&f, "T01-01", "kiosk-b", NOW), SEAT_HELD_OTHER);
    assert_string_equal(seat_named(&f, "T01-01")->lease_device, "kiosk-a");
    /* Released, it is the lessee's leased seat again. */
    usher_op ra = mkop(OP_RELEASE, "kiosk-a", NULL, "T01-01");
    run(&f, &ra, NOW);
    assert_int_equal(status_of(&f, "T01-01", "kiosk-a", NOW), SEAT_LEASED_BY_ME);
    drop(&f);
}

static void others_assign_on_leased_seat_is_reseated_away(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    lease(&f, "kiosk-a", "T02-01", 0, NOW);
    apply_result r = assign(&f, "kiosk-b", "GALA-0004", "T02-01");
    assert_int_equal(r.v.status, VERDICT_REJECTED);
    assert_int_equal(r.v.reason, REASON_SEAT_LEASED);
    assert_int_equal(strncmp(r.v.reseat, "T02-", 4), 0);
    assert_string_not_equal(r.v.reseat, "T02-01");
    assert_string_equal(seat_of(&f, "GALA-0004"), r.v.reseat);
    assert_string_equal(r.v.seat_ticket, "");
    assert_int_equal(r.nalerts, 1);
    assert_int_equal(r.alerts[0].kind, ALERT_RESEAT);
    assert_string_equal(r.alerts[0].seat, "T02-01");
    /* The seat is still the lessee's. */
    assert_int_equal(status_of(&f, "T02-01", "kiosk-a", NOW), SEAT_LEASED_BY_ME);
    drop(&f);
    /* Without the reseat policy it is only rejected. */
    f = make(RESEAT_NONE, 5);
    lease(&f, "kiosk-a", "T02-01", 0, NOW);
    r = assign(&f, "kiosk-b", "GALA-0004", "T02-01");
    assert_int_equal(r.v.reason, REASON_SEAT_LEASED);
    assert_string_equal(r.v.reseat, "");
    assert_int_equal(r.nchanges, 0);
    assert_string_equal(seat_of(&f, "GALA-0004"), "");
    drop(&f);
}

static void lessee_assign_takes_seat_and_ends_lease(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    lease(&f, "kiosk-a", "T03-02", 0, NOW);
    apply_result r = assign(&f, "kiosk-a", "GALA-0003", "T03-02");
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.v.reason, REASON_NONE);
    assert_int_equal(r.nalerts, 0);
    assert_int_equal(r.nchanges, 2);
    assert_string_equal(r.changes[0].seat.ticket, "GALA-0003");
    assert_string_equal(r.changes[0].seat.lease_device, "");
    assert_int_equal(r.changes[0].seat.lease_until, 0);
    assert_string_equal(seat_named(&f, "T03-02")->lease_device, "");
    assert_int_equal(status_of(&f, "T03-02", "kiosk-a", NOW), SEAT_TAKEN);
    /* Unseated again, the seat is free for anyone, not leased. */
    usher_op u = mkop(OP_UNASSIGN, "kiosk-a", "GALA-0003", "T03-02");
    run(&f, &u, NOW);
    assert_int_equal(status_of(&f, "T03-02", "kiosk-a", NOW), SEAT_FREE);
    drop(&f);
}

static void nearest_free_seat_skips_leased_seats(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 8);
    /* T02: seat 1 taken, seats 2-4 leased to kiosk-a. */
    assign(&f, "kiosk-c", "GALA-0003", "T02-01");
    for (int i = 2; i <= 4; i++) {
        char seat[16];
        snprintf(seat, sizeof seat, "T02-%02d", i);
        assert_int_equal(lease(&f, "kiosk-a", seat, 0, NOW).v.status, VERDICT_ACCEPTED);
    }
    apply_result r = assign(&f, "kiosk-b", "GALA-0004", "T02-01");
    assert_int_equal(r.v.reason, REASON_SEAT_TAKEN);
    assert_true(!strncmp(r.v.reseat, "T01-", 4) || !strncmp(r.v.reseat, "T03-", 4));
    /* Even the lessee's own bumped guest is not put on a leased seat. */
    r = assign(&f, "kiosk-a", "GALA-0005", "T02-01");
    assert_int_equal(r.v.reason, REASON_SEAT_TAKEN);
    assert_true(!strncmp(r.v.reseat, "T01-", 4) || !strncmp(r.v.reseat, "T03-", 4));
    for (int i = 2; i <= 4; i++) {
        char seat[16];
        snprintf(seat, sizeof seat, "T02-%02d", i);
        assert_string_equal(seat_named(&f, seat)->ticket, "");
        assert_int_equal(status_of(&f, seat, "kiosk-a", NOW), SEAT_LEASED_BY_ME);
    }
    drop(&f);
}

static void expired_lease_counts_for_nothing(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 8);
    lease(&f, "kiosk-a", "T01-01", 60000, NOW);
    lease(&f, "kiosk-a", "T02-02", 60000, NOW);
    int64_t later = NOW + 60000; /* lease_until <= now: gone */
    assert_int_equal(status_of(&f, "T01-01", "kiosk-a", later - 1), SEAT_LEASED_BY_ME);
    assert_int_equal(status_of(&f, "T01-01", "kiosk-a", later), SEAT_FREE);
    assert_int_equal(status_of(&f, "T01-01", "kiosk-b", later), SEAT_FREE);
    state_stats st;
    state_get_stats(f.st, later, &st);
    assert_int_equal(st.leased, 0);
    /* Another device may hold, lease and take it. */
    usher_op h = mkop(OP_HOLD, "kiosk-b", NULL, "T01-01");
    h.at = later;
    assert_int_equal(run(&f, &h, later).v.status, VERDICT_ACCEPTED);
    usher_op rel = mkop(OP_RELEASE, "kiosk-b", NULL, "T01-01");
    run(&f, &rel, later);
    assert_int_equal(lease(&f, "kiosk-b", "T01-01", 0, later).v.status, VERDICT_ACCEPTED);
    assert_string_equal(seat_named(&f, "T01-01")->lease_device, "kiosk-b");
    usher_op a = mkop(OP_ASSIGN, "kiosk-c", "GALA-0003", "T02-02");
    assert_int_equal(run(&f, &a, later).v.status, VERDICT_ACCEPTED);
    /* And the reseat policy may use an expired lease's seat. */
    assign(&f, "kiosk-c", "GALA-0004", "T03-01");
    lease(&f, "kiosk-a", "T03-02", 60000, NOW);
    for (int i = 3; i <= 4; i++) {
        char seat[16];
        snprintf(seat, sizeof seat, "T03-%02d", i);
        lease(&f, "kiosk-a", seat, 0, NOW);
    }
    usher_op bump = mkop(OP_ASSIGN, "kiosk-d", "GALA-0005", "T03-01");
    apply_result r = run(&f, &bump, later);
    assert_int_equal(r.v.reason, REASON_SEAT_TAKEN);
    assert_string_equal(r.v.reseat, "T03-02");
    drop(&f);
}

static void block_ends_a_lease(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    lease(&f, "kiosk-a", "T01-01", 0, NOW);
    usher_op b = mkop(OP_BLOCK, "admin", NULL, "T01-01");
    apply_result r = run(&f, &b, NOW);
    assert_int_equal(r.v.status, VERDICT_ACCEPTED);
    assert_int_equal(r.nchanges, 1);
    assert_string_equal(r.changes[0].seat.lease_device, "");
    assert_int_equal(r.changes[0].seat.lease_until, 0);
    assert_int_equal(status_of(&f, "T01-01", "kiosk-a", NOW), SEAT_BLOCKED);
    usher_op ub = mkop(OP_UNBLOCK, "admin", NULL, "T01-01");
    run(&f, &ub, NOW);
    assert_int_equal(status_of(&f, "T01-01", "kiosk-a", NOW), SEAT_FREE);
    drop(&f);
}

static void stats_count_leased_seats(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    lease(&f, "kiosk-a", "T01-01", 0, NOW);
    lease(&f, "kiosk-a", "T01-02", 0, NOW);
    lease(&f, "kiosk-b", "T02-01", 0, NOW);
    usher_op h = mkop(OP_HOLD, "kiosk-a", NULL, "T01-02"); /* the lessee's own hold */
    h.at = NOW;
    run(&f, &h, NOW);
    state_stats s;
    state_get_stats(f.st, NOW, &s);
    assert_int_equal(s.leased, 2);
    assert_int_equal(s.held, 1);
    assert_int_equal(s.seated, 0);
    assign(&f, "kiosk-a", "GALA-0003", "T01-01");
    state_get_stats(f.st, NOW, &s);
    assert_int_equal(s.leased, 1);
    assert_int_equal(s.seated, 1);
    drop(&f);
}

static void replica_follows_lease_changes(void **unused)
{
    fixture f = make(RESEAT_NEAREST, 5);
    state_config rc = {0};
    state *replica = state_new(f.l, &rc);
    assert_non_null(replica);
    apply_result rs[5];
    rs[0] = lease(&f, "kiosk-a", "T01-01", 0, NOW);
    rs[1] = lease(&f, "kiosk-a", "T01-02", 0, NOW);
    rs[2] = lease(&f, "kiosk-b", "T02-01", 0, NOW);
    rs[3] = assign(&f, "kiosk-a", "GALA-0003", "T01-01");
    rs[4] = unlease(&f, "kiosk-b", "T02-01", NOW);
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < rs[i].nchanges; k++)
            assert_int_equal(state_apply_change(replica, &rs[i].changes[k], NULL), USHER_OK);
    for (int i = 0; i < state_seat_count(f.st); i++)
        assert_true(same_seat(state_seat(f.st, i), state_seat(replica, i)));
    int si = layout_find_seat(f.l, "T01-02");
    assert_int_equal(state_seat_status(replica, si, "kiosk-a", NOW), SEAT_LEASED_BY_ME);
    state_free(replica);
    drop(&f);
}

/* ---- randomized interleavings ------------------------------------------ */

typedef struct rng {
    uint64_t s;
} rng;

static uint32_t rnd(rng *r, uint32_t n)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s % n);
}

#define NDEV 4
#define MAXOPS 4096

typedef struct sim_device {
    char id[16];
    usher_op outbox[MAXOPS];
    int nout;    /* ops made */
    int sent;    /* ops delivered so far */
    state *view; /* what the device shows: last sync + its pending ops */
    bool offline;
} sim_device;

typedef struct sim {
    layout *l;
    state *coord;
    state *replica; /* follows the change log */
    sim_device dev[NDEV];
    verdict first[NDEV][MAXOPS];
    bool *checked; /* tickets with an accepted check-in */
    int ntickets;
    int64_t now;
    long accepted, rejected, reseats, duplicates, leased;
} sim;

static void sim_refresh_view(sim *s, sim_device *d)
{
    state_free(d->view);
    d->view = state_clone(s->coord);
    assert_non_null(d->view);
    for (int k = d->sent; k < d->nout; k++) {
        apply_result r;
        state_apply(d->view, &d->outbox[k], s->now, &r);
    }
}

static void sim_check(sim *s)
{
    usher_errmsg em = {{0}};
    if (!state_check(s->coord, &em))
        fail_msg("coordinator: %s", em.text);
    /* No ticket in two seats, counted independently of the ticket side. */
    int n = state_seat_count(s->coord);
    for (int i = 0; i < n; i++) {
        const char *t = state_seat(s->coord, i)->ticket;
        for (int j = i + 1; t[0] && j < n; j++)
            assert_string_not_equal(t, state_seat(s->coord, j)->ticket);
    }
    for (int i = 0; i < s->ntickets; i++)
        if (s->checked[i])
            assert_true(state_ticket(s->coord, i)->checked_in_at != 0);
    /* A lease is only ever on a seat without a ticket that is not blocked. */
    for (int i = 0; i < n; i++) {
        const seat_state *ss = state_seat(s->coord, i);
        if (ss->lease_device[0])
            assert_true(!ss->ticket[0] && !ss->blocked);
    }
}

/* The coordinator receives one op (maybe again). */
static void sim_deliver(sim *s, int di, int k)
{
    sim_device *d = &s->dev[di];
    usher_op *op = &d->outbox[k];
    apply_result r;
    state_apply(s->coord, op, s->now, &r);
    if (k < d->sent) {
        /* A retry: the first verdict, unchanged, and nothing changes. */
        const verdict *f = &s->first[di][k];
        assert_int_equal(r.v.status, VERDICT_DUPLICATE);
        assert_int_equal(r.v.first, f->status);
        assert_int_equal(r.v.reason, f->reason);
        assert_string_equal(r.v.reseat, f->reseat);
        assert_string_equal(r.v.ticket_seat, f->ticket_seat);
        assert_int_equal(r.nchanges, 0);
        s->duplicates++;
        return;
    }
    s->first[di][k] = r.v;
    d->sent = k + 1;
    if (r.v.status == VERDICT_ACCEPTED)
        s->accepted++;
    else
        s->rejected++;
    if (r.v.reseat[0])
        s->reseats++;
    if (r.v.reason == REASON_SEAT_LEASED)
        s->leased++;
    if (op->kind == OP_CHECKIN && r.v.status == VERDICT_ACCEPTED)
        s->checked[state_find_ticket(s->coord, op->ticket)] = true;
    for (int c = 0; c < r.nchanges; c++)
        assert_int_equal(state_apply_change(s->replica, &r.changes[c], NULL), USHER_OK);
    sim_check(s);
}

/* A device acts on what it sees, as a kiosk or a door would. */
static void sim_act(sim *s, rng *g, int di)
{
    sim_device *d = &s->dev[di];
    if (d->nout >= MAXOPS)
        return;
    usher_op op;
    int t = (int)rnd(g, (uint32_t)s->ntickets);
    const ticket_state *ts = state_ticket(d->view, t);
    int seat = (int)rnd(g, (uint32_t)state_seat_count(d->view));
    const char *seat_id = layout_seat_at(s->l, seat)->id;
    switch (rnd(g, 12)) {
    case 0:
    case 1:
        op_init(&op, OP_HOLD, d->id, s->now);
        text_copy(op.seat, sizeof op.seat, seat_id);
        break;
    case 2:
        op_init(&op, OP_RELEASE, d->id, s->now);
        text_copy(op.seat, sizeof op.seat, seat_id);
        break;
    case 3:
    case 4:
    case 5:
        op_init(&op, OP_ASSIGN, d->id, s->now);
        text_copy(op.ticket, sizeof op.ticket, ts->code);
        text_copy(op.seat, sizeof op.seat, seat_id);
        text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat, ts->seat);
        op.expect_seat_free = state_seat_status(d->view, seat, d->id, s->now) == SEAT_FREE;
        if (rnd(g, 2))
            snprintf(op.party, sizeof op.party, "p%d", t / 3);
        break;
    case 6:
        op_init(&op, OP_UNASSIGN, d->id, s->now);
        text_copy(op.ticket, sizeof op.ticket, ts->code);
        text_copy(op.seat, sizeof op.seat, ts->seat);
        break;
    case 7:
    case 8:
        op_init(&op, OP_CHECKIN, d->id, s->now - rnd(g, 100000));
        text_copy(op.ticket, sizeof op.ticket, ts->code);
        break;
    case 10:
        op_init(&op, OP_LEASE, d->id, s->now);
        text_copy(op.seat, sizeof op.seat, seat_id);
        op.ttl_ms = rnd(g, 2) ? 0 : 60000;
        break;
    case 11:
        op_init(&op, OP_UNLEASE, d->id, s->now);
        text_copy(op.seat, sizeof op.seat, seat_id);
        break;
    default:
        op_init(&op, rnd(g, 5) ? (rnd(g, 2) ? OP_BLOCK : OP_UNBLOCK) : OP_REVOKE, d->id, s->now);
        if (op.kind == OP_REVOKE)
            text_copy(op.ticket, sizeof op.ticket, ts->code);
        else
            text_copy(op.seat, sizeof op.seat, seat_id);
        break;
    }
    d->outbox[d->nout++] = op;
    apply_result r;
    state_apply(d->view, &op, s->now, &r); /* what the kiosk shows at once */
}

static void run_simulation(uint64_t seed, int steps, sim *s)
{
    rng g = {seed * 2654435761u + 1};
    usher_errmsg em = {{0}};
    if (layout_generate("gala:6x5,vip=1", &s->l, &em))
        fail_msg("layout: %s", em.text);
    state_config cfg = {.reseat = RESEAT_NEAREST, .remember_ops = true};
    s->coord = state_new(s->l, &cfg);
    state_config rc = {0};
    s->replica = state_new(s->l, &rc);
    s->ntickets = 36;
    s->checked = calloc((size_t)s->ntickets, sizeof *s->checked);
    assert_true(s->coord && s->replica && s->checked);
    for (int i = 0; i < s->ntickets; i++) {
        char code[16];
        change c;
        snprintf(code, sizeof code, "T-%03d", i);
        assert_int_equal(state_add_ticket(s->coord, code, "Guest", i < 6 ? "VIP" : "", &c, NULL),
                         USHER_OK);
        assert_int_equal(state_apply_change(s->replica, &c, NULL), USHER_OK);
    }
    s->now = NOW;
    for (int di = 0; di < NDEV; di++) {
        snprintf(s->dev[di].id, sizeof s->dev[di].id, "dev-%d", di);
        sim_refresh_view(s, &s->dev[di]);
    }
    for (int step = 0; step < steps; step++) {
        s->now += rnd(&g, 5000);
        int di = (int)rnd(&g, NDEV);
        sim_device *d = &s->dev[di];
        uint32_t what = rnd(&g, 20);
        if (what < 12) {
            sim_act(s, &g, di);
        } else if (what < 14) {
            d->offline = !d->offline; /* the venue network comes and goes */
        } else if (!d->offline) {
            /* Sync: push part or all of the outbox, sometimes resending a few
             * ops already answered (a lost response), then pull. */
            int upto = d->sent + (int)rnd(&g, (uint32_t)(d->nout - d->sent + 1));
            if (d->sent > 0 && rnd(&g, 3) == 0)
                sim_deliver(s, di, (int)rnd(&g, (uint32_t)d->sent));
            while (d->sent < upto)
                sim_deliver(s, di, d->sent);
            sim_refresh_view(s, d);
        }
    }
    /* Everyone comes back online and drains. */
    for (int di = 0; di < NDEV; di++) {
        while (s->dev[di].sent < s->dev[di].nout)
            sim_deliver(s, di, s->dev[di].sent);
        for (int k = 0; k < s->dev[di].nout; k += 7)
            sim_deliver(s, di, k);
    }
    if (!same_state(s->coord, s->replica))
        fail_msg("seed %llu: the replica following the log differs", (unsigned long long)seed);
}

static void sim_release(sim *s)
{
    for (int di = 0; di < NDEV; di++)
        state_free(s->dev[di].view);
    state_free(s->coord);
    state_free(s->replica);
    free(s->checked);
    layout_free(s->l);
}

static void randomized_interleavings_keep_the_rules(void **unused)
{
    long accepted = 0, rejected = 0, reseats = 0, duplicates = 0, leased = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        sim *s = calloc(1, sizeof *s);
        assert_non_null(s);
        run_simulation(seed, 1500, s);
        accepted += s->accepted, rejected += s->rejected;
        reseats += s->reseats, duplicates += s->duplicates, leased += s->leased;
        sim_release(s);
        free(s);
    }
    printf("randomized: %ld accepted, %ld rejected, %ld reseats, %ld duplicates, %ld refused "
           "for a lease\n",
           accepted, rejected, reseats, duplicates, leased);
    /* The run must exercise every path it claims to check. */
    assert_true(accepted > 1000);
    assert_true(rejected > 100);
    assert_true(reseats > 10);
    assert_true(duplicates > 100);
    assert_true(leased > 10);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(assign_free_seat_accepted),
    cmocka_unit_test(taken_seat_reseated_at_same_table),
    cmocka_unit_test(reseat_goes_to_neighbouring_table_not_vip),
    cmocka_unit_test(reseat_keeps_party_together),
    cmocka_unit_test(no_reseat_policy_only_rejects),
    cmocka_unit_test(full_venue_rejects_without_reseat),
    cmocka_unit_test(ticket_seated_twice_first_wins),
    cmocka_unit_test(deliberate_move_with_expectation),
    cmocka_unit_test(repeated_op_id_gets_first_verdict),
    cmocka_unit_test(checkin_then_duplicate_alert),
    cmocka_unit_test(checkout_and_reentry),
    cmocka_unit_test(reentry_refused_is_duplicate),
    cmocka_unit_test(inout_out_of_order_alerts),
    cmocka_unit_test(revoked_ticket_refused_everywhere),
    cmocka_unit_test(unknown_ticket_and_seat),
    cmocka_unit_test(class_not_allowed),
    cmocka_unit_test(holds_block_others_and_expire),
    cmocka_unit_test(stale_offline_hold_changes_nothing),
    cmocka_unit_test(release_only_own_hold),
    cmocka_unit_test(unassign_rules),
    cmocka_unit_test(block_and_unblock),
    cmocka_unit_test(invalid_op_rejected_and_changes_nothing),
    cmocka_unit_test(late_upload_raises_alert),
    cmocka_unit_test(device_clock_never_judges),
    cmocka_unit_test(add_ticket_refusals),
    cmocka_unit_test(note_ticket_keeps_the_rest),
    cmocka_unit_test(replica_following_changes_equals_coordinator),
    cmocka_unit_test(clone_is_independent),
    cmocka_unit_test(stats_count),
    cmocka_unit_test(lease_reserves_renews_and_unleases),
    cmocka_unit_test(lease_refused_on_seats_not_free),
    cmocka_unit_test(others_hold_refused_on_leased_seat),
    cmocka_unit_test(others_assign_on_leased_seat_is_reseated_away),
    cmocka_unit_test(lessee_assign_takes_seat_and_ends_lease),
    cmocka_unit_test(nearest_free_seat_skips_leased_seats),
    cmocka_unit_test(expired_lease_counts_for_nothing),
    cmocka_unit_test(block_ends_a_lease),
    cmocka_unit_test(stats_count_leased_seats),
    cmocka_unit_test(replica_follows_lease_changes),
    cmocka_unit_test(randomized_interleavings_keep_the_rules),
    cmocka_unit_test(forget_older_keeps_the_newer_generation),
};

TESTUTIL_MAIN(tests)

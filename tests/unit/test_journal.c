/* test_journal.c - the device journal on real SQLite files: durable appends seen by
 * a second connection, verdicts and replica changes from sync rounds, the view
 * of replica + pending ops, status and change detection. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "store.h"
#include "text.h"

#define NOW 1795000000000LL

/* Two tables of four seats: T01-01..T01-04, T02-01..T02-04. */
static const char *two_tables =
    "{\"name\":\"Two\",\"sections\":["
    "{\"kind\":\"table\",\"id\":\"T01\",\"x\":0,\"y\":0,\"seats\":4},"
    "{\"kind\":\"table\",\"id\":\"T02\",\"x\":300,\"y\":0,\"seats\":4}]}";

typedef struct fx {
    char *dir, *path;
    journal *j;
} fx;

static int setup(void **ctx)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = testutil_tmpdir();
    f->path = testutil_path(f->dir, "journal.db");
    usher_errmsg em = {{0}};
    if (journal_open(f->path, &f->j, &em) != USHER_OK)
        fail_msg("journal_open: %s", em.text);
    *ctx = f;
    return 0;
}

static int teardown(void **ctx)
{
    fx *f = *ctx;
    journal_free(f->j);
    testutil_rmtree(f->dir);
    free(f->path);
    free(f->dir);
    free(f);
    return 0;
}

static usher_op mkop(op_kind kind, const char *ticket, const char *seat, int64_t at)
{
    usher_op op;
    op_init(&op, kind, "kiosk-1", at);
    text_copy(op.ticket, sizeof op.ticket, ticket ? ticket : "");
    text_copy(op.seat, sizeof op.seat, seat ? seat : "");
    return op;
}

static void append_ok(journal *j, const usher_op *op)
{
    usher_errmsg em = {{0}};
    if (journal_append(j, op, &em) != USHER_OK)
        fail_msg("journal_append: %s", em.text);
}

static change seat_change(const char *id, const char *ticket)
{
    change c;
    memset(&c, 0, sizeof c);
    c.type = CHANGE_SEAT;
    text_copy(c.seat_id, sizeof c.seat_id, id);
    text_copy(c.seat.ticket, sizeof c.seat.ticket, ticket);
    return c;
}

static change ticket_change(const char *code, const char *name, const char *seat)
{
    change c;
    memset(&c, 0, sizeof c);
    c.type = CHANGE_TICKET;
    text_copy(c.ticket.code, sizeof c.ticket.code, code);
    text_copy(c.ticket.name, sizeof c.ticket.name, name);
    text_copy(c.ticket.seat, sizeof c.ticket.seat, seat);
    return c;
}

static verdict mkverdict(const char *op_id, verdict_status s, verdict_reason r)
{
    verdict v;
    memset(&v, 0, sizeof v);
    text_copy(v.op_id, sizeof v.op_id, op_id);
    v.status = s;
    v.reason = r;
    return v;
}

static void fresh_journal_is_empty(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    journal_identity id;
    assert_int_equal(journal_get_identity(f->j, &id, &em), USHER_OK);
    assert_string_equal(id.device, "");
    assert_int_equal(id.role, ROLE_NONE);
    assert_string_equal(id.event_id, "");
    assert_int_equal(id.hold_ttl_ms, 0);
    assert_int_equal(journal_cursor(f->j), 0);
    journal_status s;
    assert_int_equal(journal_get_status(f->j, &s, &em), USHER_OK);
    assert_false(s.online);
    assert_int_equal(s.last_sync_at, 0);
    assert_string_equal(s.last_error, "");
    assert_string_equal(s.wake_socket, "");
    char *json = (char *)"untouched";
    assert_int_equal(journal_get_layout_json(f->j, &json, &em), USHER_NOTFOUND);
    assert_string_equal(json, "untouched");
    assert_non_null(strstr(em.text, "no layout yet"));
    int64_t n = -1;
    assert_int_equal(journal_pending_count(f->j, &n, &em), USHER_OK);
    assert_int_equal(n, 0);
    usher_op *ops = NULL;
    size_t nops = 9;
    assert_int_equal(journal_pending(f->j, 10, &ops, &nops, &em), USHER_OK);
    assert_int_equal(nops, 0);
    free(ops);
}

static void identity_and_layout_survive_reopen(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    journal_identity id;
    memset(&id, 0, sizeof id);
    text_copy(id.device, sizeof id.device, "kiosk-1");
    id.role = ROLE_KIOSK;
    text_copy(id.event_id, sizeof id.event_id, "0123456789abcdef0123456789abcdef");
    text_copy(id.event_name, sizeof id.event_name, "Winter Gala");
    text_copy(id.pubkey_hex, sizeof id.pubkey_hex,
              "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    id.hold_ttl_ms = 90000;
    assert_int_equal(journal_set_identity(f->j, &id, &em), USHER_OK);
    assert_int_equal(journal_set_layout_json(f->j, two_tables, &em), USHER_OK);
    journal_free(f->j);
    assert_int_equal(journal_open(f->path, &f->j, &em), USHER_OK);

    journal_identity got;
    assert_int_equal(journal_get_identity(f->j, &got, &em), USHER_OK);
    assert_string_equal(got.device, "kiosk-1");
    assert_int_equal(got.role, ROLE_KIOSK);
    assert_string_equal(got.event_id, id.event_id);
    assert_string_equal(got.event_name, "Winter Gala");
    assert_string_equal(got.pubkey_hex, id.pubkey_hex);
    assert_int_equal(got.hold_ttl_ms, 90000);
    char *json = NULL;
    assert_int_equal(journal_get_layout_json(f->j, &json, &em), USHER_OK);
    assert_string_equal(json, two_tables);
    free(json);
}

static void identity_with_bad_device_is_refused(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    journal_identity id;
    memset(&id, 0, sizeof id);
    text_copy(id.device, sizeof id.device, "kiosk 1");
    id.role = ROLE_KIOSK;
    assert_int_equal(journal_set_identity(f->j, &id, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "\"kiosk 1\""));
    text_copy(id.device, sizeof id.device, "kiosk-1");
    id.role = (usher_role)42;
    assert_int_equal(journal_set_identity(f->j, &id, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "role"));
    journal_identity got;
    assert_int_equal(journal_get_identity(f->j, &got, &em), USHER_OK);
    assert_string_equal(got.device, ""); /* nothing was written */
}

static void append_is_durable_and_seen_by_second_connection(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    journal *other = NULL;
    assert_int_equal(journal_open(f->path, &other, &em), USHER_OK);
    usher_op op = mkop(OP_ASSIGN, "GALA-0001", "T01-02", NOW);
    text_copy(op.party, sizeof op.party, "party-7");
    op.expect_seat_free = false;
    append_ok(f->j, &op);

    int64_t n = 0;
    assert_int_equal(journal_pending_count(other, &n, &em), USHER_OK);
    assert_int_equal(n, 1);
    outbox_entry e;
    assert_int_equal(journal_outbox_get(other, op.id, &e, &em), USHER_OK);
    assert_int_equal(e.state, OUTBOX_PENDING);
    assert_int_equal(e.seq, 1);
    assert_string_equal(e.op.id, op.id);
    assert_string_equal(e.op.device, "kiosk-1");
    assert_int_equal(e.op.kind, OP_ASSIGN);
    assert_string_equal(e.op.ticket, "GALA-0001");
    assert_string_equal(e.op.seat, "T01-02");
    assert_string_equal(e.op.party, "party-7");
    assert_false(e.op.expect_seat_free);
    assert_int_equal(e.op.at, NOW);
    assert_int_equal(e.created_at, NOW);
    assert_int_equal(e.decided_at, 0);
    assert_int_equal(e.v.status, VERDICT_NONE);
    assert_int_equal(journal_outbox_get(other, "00000000-0000-4000-8000-000000000000", &e, &em),
                     USHER_NOTFOUND);
    assert_non_null(strstr(em.text, "00000000-0000-4000-8000-000000000000"));
    journal_free(other);
}

static void duplicate_or_invalid_append_is_refused(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    usher_op op = mkop(OP_CHECKIN, "GALA-0001", NULL, NOW);
    append_ok(f->j, &op);
    assert_int_equal(journal_append(f->j, &op, &em), USHER_EXISTS);
    assert_non_null(strstr(em.text, op.id));
    usher_op bad = mkop(OP_CHECKIN, NULL, NULL, NOW);
    assert_int_equal(journal_append(f->j, &bad, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "ticket"));
    int64_t n = 0;
    assert_int_equal(journal_pending_count(f->j, &n, &em), USHER_OK);
    assert_int_equal(n, 1);
}

static void pending_comes_oldest_first(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    usher_op ops[5];
    for (int i = 0; i < 5; i++) {
        /* Device clocks may go backwards: local order is append order. */
        ops[i] = mkop(OP_HOLD, NULL, i % 2 ? "T01-01" : "T02-01", NOW - i);
        append_ok(f->j, &ops[i]);
    }
    usher_op *got = NULL;
    size_t n = 0;
    assert_int_equal(journal_pending(f->j, 3, &got, &n, &em), USHER_OK);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(got[i].id, ops[i].id);
    free(got);

    outbox_entry *list = NULL;
    assert_int_equal(journal_outbox_list(f->j, 2, 10, &list, &n, &em), USHER_OK);
    assert_int_equal(n, 3);
    assert_int_equal(list[0].seq, 3);
    assert_string_equal(list[0].op.id, ops[2].id);
    assert_string_equal(list[2].op.id, ops[4].id);
    free(list);
}

static void apply_round_records_verdicts_changes_and_cursor(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    usher_op a = mkop(OP_ASSIGN, "GALA-0001", "T01-01", NOW);
    usher_op b = mkop(OP_ASSIGN, "GALA-0002", "T01-02", NOW);
    usher_op c = mkop(OP_CHECKIN, "GALA-0003", NULL, NOW);
    usher_op d = mkop(OP_HOLD, NULL, "T02-01", NOW);
    append_ok(f->j, &a);
    append_ok(f->j, &b);
    append_ok(f->j, &c);
    append_ok(f->j, &d);

    verdict v[4];
    v[0] = mkverdict(a.id, VERDICT_ACCEPTED, REASON_NONE);
    text_copy(v[0].ticket_seat, sizeof v[0].ticket_seat, "T01-01");
    v[1] = mkverdict(b.id, VERDICT_REJECTED, REASON_SEAT_TAKEN);
    text_copy(v[1].reseat, sizeof v[1].reseat, "T02-04");
    v[2] = mkverdict(c.id, VERDICT_DUPLICATE, REASON_NONE); /* a retry's answer */
    v[2].first = VERDICT_ACCEPTED;
    v[2].checked_in_at = NOW - 5;
    text_copy(v[2].checkin_device, sizeof v[2].checkin_device, "door-2");
    v[3] = mkverdict("00000000-0000-4000-8000-0000000000ff", VERDICT_ACCEPTED, REASON_NONE);
    change ch[3] = {seat_change("T01-01", "GALA-0001"), ticket_change("GALA-0001", "Ann", "T01-01"),
                    ticket_change("GALA-0002", "Bob", "")};
    assert_int_equal(journal_apply_round(f->j, v, 4, ch, 3, 17, NOW + 100, &em), USHER_OK);

    outbox_entry e;
    assert_int_equal(journal_outbox_get(f->j, a.id, &e, &em), USHER_OK);
    assert_int_equal(e.state, OUTBOX_ACCEPTED);
    assert_int_equal(e.v.status, VERDICT_ACCEPTED);
    assert_string_equal(e.v.op_id, a.id);
    assert_string_equal(e.v.ticket_seat, "T01-01");
    assert_int_equal(e.decided_at, NOW + 100);
    assert_int_equal(journal_outbox_get(f->j, b.id, &e, &em), USHER_OK);
    assert_int_equal(e.state, OUTBOX_REJECTED);
    assert_int_equal(e.v.reason, REASON_SEAT_TAKEN);
    assert_string_equal(e.v.reseat, "T02-04");
    assert_int_equal(journal_outbox_get(f->j, c.id, &e, &em), USHER_OK);
    assert_int_equal(e.state, OUTBOX_ACCEPTED);
    assert_int_equal(e.v.status, VERDICT_DUPLICATE);
    assert_int_equal(e.v.first, VERDICT_ACCEPTED);
    assert_int_equal(e.v.checked_in_at, NOW - 5);
    assert_string_equal(e.v.checkin_device, "door-2");
    assert_int_equal(journal_outbox_get(f->j, d.id, &e, &em), USHER_OK);
    assert_int_equal(e.state, OUTBOX_PENDING);

    int64_t n = 0;
    assert_int_equal(journal_pending_count(f->j, &n, &em), USHER_OK);
    assert_int_equal(n, 1);
    assert_int_equal(journal_cursor(f->j), 17);
    journal_status s;
    assert_int_equal(journal_get_status(f->j, &s, &em), USHER_OK);
    assert_true(s.online);
    assert_int_equal(s.last_sync_at, NOW + 100);

    /* An older cursor (a retried response) never moves it back. */
    assert_int_equal(journal_apply_round(f->j, NULL, 0, NULL, 0, 9, NOW + 200, &em), USHER_OK);
    assert_int_equal(journal_cursor(f->j), 17);
    assert_int_equal(journal_apply_round(f->j, NULL, 0, NULL, 0, 18, NOW + 300, &em), USHER_OK);
    assert_int_equal(journal_cursor(f->j), 18);

    /* The replica holds the changes (seen through a view). */
    layout *l = NULL;
    assert_int_equal(layout_from_json(two_tables, strlen(two_tables), &l, &em), USHER_OK);
    state *st = NULL;
    assert_int_equal(journal_load_view(f->j, l, NOW + 300, &st, &em), USHER_OK);
    int t1 = state_find_ticket(st, "GALA-0001");
    assert_true(t1 >= 0);
    assert_string_equal(state_ticket(st, t1)->name, "Ann");
    assert_string_equal(state_ticket(st, t1)->seat, "T01-01");
    assert_string_equal(state_seat(st, layout_find_seat(l, "T01-01"))->ticket, "GALA-0001");
    assert_true(state_find_ticket(st, "GALA-0002") >= 0);
    state_free(st);
    layout_free(l);
}

static void bad_round_changes_nothing(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    usher_op a = mkop(OP_ASSIGN, "GALA-0001", "T01-01", NOW);
    append_ok(f->j, &a);
    verdict v[2] = {mkverdict(a.id, VERDICT_ACCEPTED, REASON_NONE),
                    mkverdict(a.id, VERDICT_NONE, REASON_NONE)};
    change ch = seat_change("T01-01", "GALA-0001");
    assert_int_equal(journal_apply_round(f->j, v, 2, &ch, 1, 5, NOW, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, a.id));
    change bad = {.type = CHANGE_NONE, .seq = 4};
    assert_int_equal(journal_apply_round(f->j, v, 1, &bad, 1, 5, NOW, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "change 4"));

    outbox_entry e;
    assert_int_equal(journal_outbox_get(f->j, a.id, &e, &em), USHER_OK);
    assert_int_equal(e.state, OUTBOX_PENDING);
    assert_int_equal(journal_cursor(f->j), 0);
    journal_status s;
    assert_int_equal(journal_get_status(f->j, &s, &em), USHER_OK);
    assert_false(s.online);
}

static void view_shows_pending_ops_on_top_of_replica(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    change ch[4] = {seat_change("T01-01", "GALA-0001"), ticket_change("GALA-0001", "Ann", "T01-01"),
                    ticket_change("GALA-0002", "Bob", ""), ticket_change("GALA-0003", "Cy", "")};
    assert_int_equal(journal_apply_round(f->j, NULL, 0, ch, 4, 4, NOW, &em), USHER_OK);

    usher_op mine = mkop(OP_ASSIGN, "GALA-0002", "T01-02", NOW + 10);
    usher_op clash = mkop(OP_ASSIGN, "GALA-0003", "T01-01", NOW + 20); /* taken meanwhile */
    usher_op hold = mkop(OP_HOLD, NULL, "T02-03", NOW + 30);
    append_ok(f->j, &mine);
    append_ok(f->j, &clash);
    append_ok(f->j, &hold);

    layout *l = NULL;
    assert_int_equal(layout_from_json(two_tables, strlen(two_tables), &l, &em), USHER_OK);
    state *st = NULL;
    assert_int_equal(journal_load_view(f->j, l, NOW + 40, &st, &em), USHER_OK);
    assert_true(state_check(st, &em));
    assert_string_equal(state_seat(st, layout_find_seat(l, "T01-01"))->ticket, "GALA-0001");
    assert_string_equal(state_seat(st, layout_find_seat(l, "T01-02"))->ticket, "GALA-0002");
    assert_string_equal(state_ticket(st, state_find_ticket(st, "GALA-0002"))->seat, "T01-02");
    assert_string_equal(state_ticket(st, state_find_ticket(st, "GALA-0003"))->seat, "");
    assert_int_equal(state_seat_status(st, layout_find_seat(l, "T02-03"), "kiosk-1", NOW + 40),
                     SEAT_HELD_BY_ME);
    assert_int_equal(state_seat_status(st, layout_find_seat(l, "T02-03"), "kiosk-2", NOW + 40),
                     SEAT_HELD_OTHER);
    state_free(st);

    /* Once the coordinator answers, the op leaves the pending overlay. */
    verdict v = mkverdict(mine.id, VERDICT_REJECTED, REASON_SEAT_TAKEN);
    assert_int_equal(journal_apply_round(f->j, &v, 1, NULL, 0, 4, NOW + 50, &em), USHER_OK);
    assert_int_equal(journal_load_view(f->j, l, NOW + 60, &st, &em), USHER_OK);
    assert_string_equal(state_seat(st, layout_find_seat(l, "T01-02"))->ticket, "");
    state_free(st);
    layout_free(l);
}

static change lease_change(const char *id, const char *device, int64_t until)
{
    change c = seat_change(id, "");
    text_copy(c.seat.lease_device, sizeof c.seat.lease_device, device);
    c.seat.lease_until = until;
    return c;
}

static seat_status status_at(const state *st, const layout *l, const char *seat, int64_t now)
{
    return state_seat_status(st, layout_find_seat(l, seat), "kiosk-1", now);
}

static void view_counts_only_granted_leases(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    int64_t until = NOW + USHER_DEFAULT_LEASE_TTL_MS;
    change ch[3] = {lease_change("T01-01", "kiosk-1", until),
                    lease_change("T01-02", "kiosk-2", until),
                    ticket_change("GALA-0001", "Ann", "")};
    assert_int_equal(journal_apply_round(f->j, NULL, 0, ch, 3, 3, NOW, &em), USHER_OK);
    layout *l = NULL;
    assert_int_equal(layout_from_json(two_tables, strlen(two_tables), &l, &em), USHER_OK);
    state *st = NULL;
    assert_int_equal(journal_load_view(f->j, l, NOW + 10, &st, &em), USHER_OK);
    const seat_state *s = state_seat(st, layout_find_seat(l, "T01-01"));
    assert_string_equal(s->lease_device, "kiosk-1");
    assert_int_equal(s->lease_until, until);
    assert_int_equal(status_at(st, l, "T01-01", NOW + 10), SEAT_LEASED_BY_ME);
    assert_int_equal(status_at(st, l, "T01-02", NOW + 10), SEAT_LEASED_OTHER);
    assert_int_equal(status_at(st, l, "T01-01", until), SEAT_FREE); /* expired */
    state_free(st);

    /* A lease asked for but not granted yet is nothing to count on; a pending
     * assign onto an own leased seat takes it. */
    usher_op ask = mkop(OP_LEASE, NULL, "T02-01", NOW + 20);
    usher_op sit = mkop(OP_ASSIGN, "GALA-0001", "T01-01", NOW + 30);
    append_ok(f->j, &ask);
    append_ok(f->j, &sit);
    assert_int_equal(journal_load_view(f->j, l, NOW + 40, &st, &em), USHER_OK);
    assert_int_equal(status_at(st, l, "T02-01", NOW + 40), SEAT_FREE);
    assert_int_equal(status_at(st, l, "T01-01", NOW + 40), SEAT_TAKEN);
    assert_string_equal(state_seat(st, layout_find_seat(l, "T01-01"))->lease_device, "");
    state_free(st);

    /* Granted: the coordinator's change brings it in. A pending unlease shows
     * at once. */
    verdict v = mkverdict(ask.id, VERDICT_ACCEPTED, REASON_NONE);
    change granted = lease_change("T02-01", "kiosk-1", until + 20);
    assert_int_equal(journal_apply_round(f->j, &v, 1, &granted, 1, 4, NOW + 50, &em), USHER_OK);
    usher_op back = mkop(OP_UNLEASE, NULL, "T02-01", NOW + 60);
    assert_int_equal(journal_load_view(f->j, l, NOW + 60, &st, &em), USHER_OK);
    assert_int_equal(status_at(st, l, "T02-01", NOW + 60), SEAT_LEASED_BY_ME);
    state_free(st);
    append_ok(f->j, &back);
    assert_int_equal(journal_load_view(f->j, l, NOW + 70, &st, &em), USHER_OK);
    assert_int_equal(status_at(st, l, "T02-01", NOW + 70), SEAT_FREE);
    state_free(st);
    layout_free(l);
}

static void append_all_is_all_or_nothing(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    usher_op ops[3] = {mkop(OP_LEASE, NULL, "T01-01", NOW), mkop(OP_LEASE, NULL, "T01-02", NOW),
                       mkop(OP_LEASE, NULL, "", NOW)}; /* the third lacks its seat */
    assert_int_equal(journal_append_all(f->j, ops, 3, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "op 3 of 3: seat: required for lease"));
    int64_t n = -1;
    assert_int_equal(journal_pending_count(f->j, &n, &em), USHER_OK);
    assert_int_equal(n, 0);
    assert_int_equal(journal_append_all(f->j, ops, 2, &em), USHER_OK);
    assert_int_equal(journal_pending_count(f->j, &n, &em), USHER_OK);
    assert_int_equal(n, 2);
    /* The same ids again: refused as a whole. */
    assert_int_equal(journal_append_all(f->j, ops, 2, &em), USHER_EXISTS);
    assert_non_null(strstr(em.text, "op 1 of 2"));
    assert_int_equal(journal_pending_count(f->j, &n, &em), USHER_OK);
    assert_int_equal(n, 2);
}

static void policy_set_get_and_refusals(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    journal_policy p = JOURNAL_POLICY_LEASE;
    int size = -1;
    assert_int_equal(journal_get_policy(f->j, &p, &size, &em), USHER_OK);
    assert_int_equal(p, JOURNAL_POLICY_OPTIMISTIC); /* never told */
    assert_int_equal(size, 0);
    assert_int_equal(journal_set_policy(f->j, JOURNAL_POLICY_LEASE, 5, &em), USHER_OK);
    /* The kiosk reads it on its own connection. */
    journal *kiosk = NULL;
    assert_int_equal(journal_open(f->path, &kiosk, &em), USHER_OK);
    assert_int_equal(journal_get_policy(kiosk, &p, &size, &em), USHER_OK);
    assert_int_equal(p, JOURNAL_POLICY_LEASE);
    assert_int_equal(size, 5);
    journal_free(kiosk);

    assert_int_equal(journal_set_policy(f->j, JOURNAL_POLICY_LEASE, 0, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "lease size 0: it must be 1..500"));
    assert_int_equal(journal_set_policy(f->j, JOURNAL_POLICY_LEASE, 501, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "501"));
    assert_int_equal(journal_set_policy(f->j, (journal_policy)7, 5, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "unknown offline policy 7"));
    assert_int_equal(journal_get_policy(f->j, &p, &size, &em), USHER_OK);
    assert_int_equal(p, JOURNAL_POLICY_LEASE); /* refusals changed nothing */
    assert_int_equal(size, 5);

    assert_int_equal(journal_set_policy(f->j, JOURNAL_POLICY_OPTIMISTIC, 12, &em), USHER_OK);
    assert_int_equal(journal_get_policy(f->j, &p, &size, &em), USHER_OK);
    assert_int_equal(p, JOURNAL_POLICY_OPTIMISTIC);
    assert_int_equal(size, 0);

    /* A value this build does not know is reported, not guessed at. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE meta SET value = 'pessimistic' "
                                  "WHERE key = 'offline_policy'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    p = JOURNAL_POLICY_LEASE;
    assert_int_equal(journal_get_policy(f->j, &p, &size, &em), USHER_DB);
    assert_non_null(strstr(em.text, "\"offline_policy\" is \"pessimistic\""));
    assert_int_equal(p, JOURNAL_POLICY_LEASE); /* untouched on failure */
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE meta SET value = CASE key WHEN 'offline_policy' "
                                  "THEN 'lease' ELSE '9999' END "
                                  "WHERE key IN ('offline_policy', 'lease_size')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(journal_get_policy(f->j, &p, &size, &em), USHER_DB);
    assert_non_null(strstr(em.text, "\"lease_size\" is 9999; it must be 0..500"));
}

static void view_refuses_replica_outside_layout(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    change ch = seat_change("Z99-01", "");
    assert_int_equal(journal_apply_round(f->j, NULL, 0, &ch, 1, 1, NOW, &em), USHER_OK);
    layout *l = NULL;
    assert_int_equal(layout_from_json(two_tables, strlen(two_tables), &l, &em), USHER_OK);
    state *st = (state *)&em; /* any non-NULL marker: must stay untouched */
    assert_int_equal(journal_load_view(f->j, l, NOW, &st, &em), USHER_NOTFOUND);
    assert_ptr_equal(st, (state *)&em);
    assert_non_null(strstr(em.text, "Z99-01"));
    layout_free(l);
}

/* A new layout: the replica is rebuilt from the snapshot in one go (a seat
 * the new layout lacks is gone), the cursor is the snapshot's, the layout
 * stamp moves, pending ops stay pending; a layout change is never upserted. */
static void replace_replica_for_a_new_layout(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    assert_int_equal(journal_layout_stamp(f->j), 0);
    assert_int_equal(journal_set_layout_json(f->j, two_tables, &em), USHER_OK);
    assert_int_equal(journal_layout_stamp(f->j), 1);
    change old[2] = {seat_change("T02-04", ""), ticket_change("GALA-0001", "Ann", "T01-01")};
    old[0].seat.blocked = true;
    change seat11 = seat_change("T01-01", "GALA-0001");
    assert_int_equal(journal_apply_round(f->j, NULL, 0, old, 2, 5, NOW, &em), USHER_OK);
    assert_int_equal(journal_apply_round(f->j, NULL, 0, &seat11, 1, 6, NOW, &em), USHER_OK);
    usher_op op = mkop(OP_HOLD, NULL, "T01-02", NOW);
    append_ok(f->j, &op);
    change lay;
    memset(&lay, 0, sizeof lay);
    lay.seq = 7;
    lay.type = CHANGE_LAYOUT;
    lay.layout_version = 2;
    assert_int_equal(journal_apply_round(f->j, NULL, 0, &lay, 1, 7, NOW, &em), USHER_INVAL);
    assert_int_equal(journal_cursor(f->j), 6);

    const char *one = "{\"name\":\"One\",\"sections\":["
                      "{\"kind\":\"table\",\"id\":\"T01\",\"x\":0,\"y\":0,\"seats\":6}]}";
    change snap[2] = {ticket_change("GALA-0001", "Ann", "T01-01"),
                      seat_change("T01-01", "GALA-0001")};
    assert_int_equal(journal_replace_replica(f->j, one, snap, 2, 7, NOW + 1, &em), USHER_OK);
    assert_int_equal(journal_cursor(f->j), 7);
    assert_int_equal(journal_layout_stamp(f->j), 2);
    char *json = NULL;
    assert_int_equal(journal_get_layout_json(f->j, &json, &em), USHER_OK);
    assert_string_equal(json, one);
    free(json);
    int64_t pending = 0;
    assert_int_equal(journal_pending_count(f->j, &pending, &em), USHER_OK);
    assert_int_equal(pending, 1);
    layout *l = NULL;
    assert_int_equal(layout_from_json(one, strlen(one), &l, &em), USHER_OK);
    state *v = NULL;
    assert_int_equal(journal_load_view(f->j, l, NOW + 2, &v, &em), USHER_OK); /* T02-04 is gone */
    assert_string_equal(state_seat(v, layout_find_seat(l, "T01-01"))->ticket, "GALA-0001");
    assert_string_equal(state_seat(v, layout_find_seat(l, "T01-02"))->hold_device, "kiosk-1");
    state_free(v);
    layout_free(l);
}

static void data_version_moves_on_other_commits(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    journal *syncd = NULL;
    assert_int_equal(journal_open(f->path, &syncd, &em), USHER_OK);
    int64_t v0 = journal_data_version(f->j);
    assert_true(v0 >= 0);
    assert_int_equal(journal_data_version(f->j), v0);
    /* The kiosk's own commits do not count: it knows about them. */
    usher_op op = mkop(OP_HOLD, NULL, "T01-01", NOW);
    append_ok(f->j, &op);
    assert_int_equal(journal_data_version(f->j), v0);
    assert_int_equal(journal_set_status(syncd, true, "", NOW, &em), USHER_OK);
    int64_t v1 = journal_data_version(f->j);
    assert_int_not_equal(v1, v0);
    assert_int_equal(journal_data_version(f->j), v1);
    journal_free(syncd);
}

static void status_set_and_get(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    assert_int_equal(journal_set_status(f->j, false, "coordinator unreachable", NOW, &em),
                     USHER_OK);
    journal_status s;
    assert_int_equal(journal_get_status(f->j, &s, &em), USHER_OK);
    assert_false(s.online);
    assert_int_equal(s.last_attempt_at, NOW);
    assert_int_equal(s.last_sync_at, 0);
    assert_string_equal(s.last_error, "coordinator unreachable");
    assert_int_equal(journal_set_wake_socket(f->j, "/run/usher/syncd.sock", &em), USHER_OK);
    char longpath[200];
    memset(longpath, 'x', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    assert_int_equal(journal_set_wake_socket(f->j, longpath, &em), USHER_TOOBIG);
    assert_int_equal(journal_set_status(f->j, true, "", NOW + 5, &em), USHER_OK);
    assert_int_equal(journal_get_status(f->j, &s, &em), USHER_OK);
    assert_true(s.online);
    assert_int_equal(s.last_attempt_at, NOW + 5);
    assert_string_equal(s.last_error, "");
    assert_string_equal(s.wake_socket, "/run/usher/syncd.sock");
}

static void coordinator_file_is_not_a_journal(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    char *path = testutil_path(f->dir, "coord.db");
    sqlite3 *db = NULL;
    assert_int_equal(store_open(path, STORE_COORD, &db, &em), USHER_OK);
    sqlite3_close(db);
    journal *j = NULL;
    assert_int_equal(journal_open(path, &j, &em), USHER_SCHEMA);
    assert_null(j);
    assert_non_null(strstr(em.text, "is a coordinator database, not a device journal"));
    free(path);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(fresh_journal_is_empty, setup, teardown),
    cmocka_unit_test_setup_teardown(identity_and_layout_survive_reopen, setup, teardown),
    cmocka_unit_test_setup_teardown(identity_with_bad_device_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(append_is_durable_and_seen_by_second_connection, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(duplicate_or_invalid_append_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(pending_comes_oldest_first, setup, teardown),
    cmocka_unit_test_setup_teardown(apply_round_records_verdicts_changes_and_cursor, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(bad_round_changes_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(view_shows_pending_ops_on_top_of_replica, setup, teardown),
    cmocka_unit_test_setup_teardown(view_counts_only_granted_leases, setup, teardown),
    cmocka_unit_test_setup_teardown(append_all_is_all_or_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(policy_set_get_and_refusals, setup, teardown),
    cmocka_unit_test_setup_teardown(view_refuses_replica_outside_layout, setup, teardown),
    cmocka_unit_test_setup_teardown(replace_replica_for_a_new_layout, setup, teardown),
    cmocka_unit_test_setup_teardown(data_version_moves_on_other_commits, setup, teardown),
    cmocka_unit_test_setup_teardown(status_set_and_get, setup, teardown),
    cmocka_unit_test_setup_teardown(coordinator_file_is_not_a_journal, setup, teardown),
};

TESTUTIL_MAIN(tests)

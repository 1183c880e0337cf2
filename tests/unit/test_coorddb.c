/* test_coorddb.c - the coordinator's database on real SQLite files: the event and
 * its key, loading the state back after a restart, all-or-nothing imports and
 * batches, the numbered change log, device tokens, alerts and check-ins. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coorddb.h"
#include "layout_change.h"
#include "store.h"
#include "text.h"

#define NOW 1795000000000LL

/* Two tables of four seats: T01-01..T01-04, T02-01..T02-04. */
static const char *two_tables =
    "{\"name\":\"Two\",\"sections\":["
    "{\"kind\":\"table\",\"id\":\"T01\",\"x\":0,\"y\":0,\"seats\":4},"
    "{\"kind\":\"table\",\"id\":\"T02\",\"x\":300,\"y\":0,\"seats\":4}]}";

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

static void open_db(fx *f)
{
    usher_errmsg em = {{0}};
    must(coorddb_open(f->path, &f->db, &em), &em, "coorddb_open");
}

/* Loads layout and state from the database (as usher-coord does on start). */
static void load(fx *f)
{
    usher_errmsg em = {{0}};
    state_free(f->st);
    layout_free(f->l);
    f->st = NULL;
    f->l = NULL;
    must(coorddb_load(f->db, &coord_cfg, &f->l, &f->st, &em), &em, "coorddb_load");
}

static int setup_empty(void **ctx)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = testutil_tmpdir();
    f->path = testutil_path(f->dir, "coord.db");
    open_db(f);
    *ctx = f;
    return 0;
}

/* An event over two_tables with tickets GALA-0001..GALA-0006. */
static int setup_event(void **ctx)
{
    setup_empty(ctx);
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    layout *l = NULL;
    must(layout_from_json(two_tables, strlen(two_tables), &l, &em), &em, "layout");
    must(coorddb_init_event(f->db, "Winter Gala", l, NOW - 1000000, &em), &em, "init");
    layout_free(l);
    load(f);
    ticket_list tl = {0};
    for (int i = 1; i <= 6; i++) {
        ticket_rec r;
        memset(&r, 0, sizeof r);
        snprintf(r.code, sizeof r.code, "GALA-%04d", i);
        snprintf(r.name, sizeof r.name, "Guest %d", i);
        text_copy(r.klass, sizeof r.klass, i == 1 ? "VIP" : "");
        must(ticket_list_push(&tl, &r), &em, "push");
    }
    size_t added = 0;
    must(coorddb_add_tickets(f->db, f->st, &tl, NOW - 900000, &added, &em), &em, "add");
    assert_int_equal(added, 6);
    ticket_list_release(&tl);
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

static int64_t count(fx *f, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(coorddb_sqlite(f->db), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static usher_op mkop(op_kind kind, const char *device, const char *ticket, const char *seat,
                     int64_t at)
{
    usher_op op;
    op_init(&op, kind, device, at);
    text_copy(op.ticket, sizeof op.ticket, ticket ? ticket : "");
    text_copy(op.seat, sizeof op.seat, seat ? seat : "");
    return op;
}

static void seat_eq(const seat_state *a, const seat_state *b)
{
    assert_string_equal(a->ticket, b->ticket);
    assert_int_equal(a->blocked, b->blocked);
    assert_string_equal(a->hold_device, b->hold_device);
    assert_int_equal(a->hold_until, b->hold_until);
    assert_string_equal(a->lease_device, b->lease_device);
    assert_int_equal(a->lease_until, b->lease_until);
}

static void ticket_eq(const ticket_state *a, const ticket_state *b)
{
    assert_string_equal(a->code, b->code);
    assert_string_equal(a->name, b->name);
    assert_string_equal(a->klass, b->klass);
    assert_string_equal(a->seat, b->seat);
    assert_string_equal(a->party, b->party);
    assert_int_equal(a->checked_in_at, b->checked_in_at);
    assert_string_equal(a->checkin_device, b->checkin_device);
    assert_int_equal(a->revoked, b->revoked);
    assert_string_equal(a->note, b->note);
    assert_int_equal(a->attention, b->attention);
    assert_int_equal(a->checked_out_at, b->checked_out_at);
    assert_string_equal(a->checkout_device, b->checkout_device);
}

static void verdict_eq(const verdict *a, const verdict *b)
{
    assert_string_equal(a->op_id, b->op_id);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->first, b->first);
    assert_int_equal(a->reason, b->reason);
    assert_string_equal(a->reseat, b->reseat);
    assert_string_equal(a->ticket_seat, b->ticket_seat);
    assert_string_equal(a->seat_ticket, b->seat_ticket);
    assert_int_equal(a->checked_in_at, b->checked_in_at);
    assert_string_equal(a->checkin_device, b->checkin_device);
}

static void change_eq(const change *a, const change *b)
{
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->type, b->type);
    if (a->type == CHANGE_SEAT) {
        assert_string_equal(a->seat_id, b->seat_id);
        seat_eq(&a->seat, &b->seat);
    } else {
        ticket_eq(&a->ticket, &b->ticket);
    }
}

/* Applies ops to the state and commits them as one batch. */
static usher_err run_batch(fx *f, const usher_op *ops, apply_result *res, size_t n, int64_t now,
                           int64_t *last, usher_errmsg *em)
{
    for (size_t i = 0; i < n; i++)
        state_apply(f->st, &ops[i], now, &res[i]);
    return coorddb_commit(f->db, ops, res, n, now, last, em);
}

/* ---- the event ---- */

static void no_event_yet(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    coord_event ev;
    assert_int_equal(coorddb_get_event(f->db, &ev, &em), USHER_NOTFOUND);
    assert_non_null(strstr(em.text, "run usher-coord init"));
    char *json = NULL;
    assert_int_equal(coorddb_layout_json(f->db, &json, &em), USHER_NOTFOUND);
    assert_null(json);
    layout *l = NULL;
    state *st = NULL;
    assert_int_equal(coorddb_load(f->db, &coord_cfg, &l, &st, &em), USHER_NOTFOUND);
    assert_null(l);
    assert_null(st);
    assert_int_equal(coorddb_last_seq(f->db), 0);
}

static void init_event_once(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    layout *l = NULL;
    must(layout_from_json(two_tables, strlen(two_tables), &l, &em), &em, "layout");
    assert_int_equal(coorddb_init_event(f->db, "", l, NOW, &em), USHER_INVAL);
    assert_int_equal(coorddb_init_event(f->db, "Bad\nname", l, NOW, &em), USHER_INVAL);
    assert_int_equal(coorddb_init_event(f->db, "Winter Gala", l, NOW, &em), USHER_OK);
    assert_int_equal(coorddb_init_event(f->db, "Other", l, NOW, &em), USHER_EXISTS);
    assert_non_null(strstr(em.text, "\"Winter Gala\""));
    layout_free(l);

    coord_event ev;
    assert_int_equal(coorddb_get_event(f->db, &ev, &em), USHER_OK);
    assert_string_equal(ev.name, "Winter Gala");
    assert_int_equal(strlen(ev.event_id), 32);
    assert_int_equal(ev.created_at, NOW);
    assert_int_equal(ev.hold_ttl_ms, USHER_DEFAULT_HOLD_TTL_MS);
    assert_int_equal(ev.reseat, RESEAT_NEAREST);
    /* The stored key pair belongs together: sign with sk, verify with pk. */
    char payload[QRSIG_PAYLOAD_SIZE], code[USHER_CODE_SIZE];
    must(qrsig_sign(ev.sk, ev.event_id, "GALA-0001", payload, &em), &em, "sign");
    must(qrsig_verify(ev.pk, ev.event_id, payload, code, &em), &em, "verify");
    assert_string_equal(code, "GALA-0001");
    assert_int_equal(count(f, "SELECT count(*) FROM seats"), 8);
    assert_int_equal(count(f, "SELECT count(*) FROM seats WHERE id = 'T02-04' AND idx = 7"), 1);

    /* The layout comes back as the same seats. */
    load(f);
    assert_int_equal(layout_seat_count(f->l), 8);
    assert_string_equal(layout_seat_at(f->l, 4)->id, "T02-01");
    assert_int_equal(state_ticket_count(f->st), 0);
}

/* ---- tickets ---- */

static void add_tickets_all_or_nothing(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    int64_t seq0 = coorddb_last_seq(f->db);
    assert_int_equal(seq0, 6); /* one change per imported ticket */
    ticket_list tl = {0};
    ticket_rec a = {.code = "NEW-1", .name = "New One"},
               known = {.code = "GALA-0003", .name = "Again"};
    must(ticket_list_push(&tl, &a), &em, "push");
    must(ticket_list_push(&tl, &known), &em, "push");
    size_t added = 99;
    assert_int_equal(coorddb_add_tickets(f->db, f->st, &tl, NOW, &added, &em), USHER_EXISTS);
    assert_non_null(strstr(em.text, "GALA-0003"));
    assert_int_equal(added, 99);
    ticket_list_release(&tl);

    ticket_list twice = {0};
    ticket_rec b = {.code = "NEW-2", .name = "New Two"};
    must(ticket_list_push(&twice, &a), &em, "push");
    must(ticket_list_push(&twice, &b), &em, "push");
    must(ticket_list_push(&twice, &a), &em, "push");
    assert_int_equal(coorddb_add_tickets(f->db, f->st, &twice, NOW, &added, &em), USHER_EXISTS);
    assert_non_null(strstr(em.text, "NEW-1 is listed twice"));
    ticket_list_release(&twice);

    ticket_list badname = {0};
    ticket_rec c = {.code = "NEW-3", .name = "Tab\there"};
    must(ticket_list_push(&badname, &a), &em, "push");
    must(ticket_list_push(&badname, &c), &em, "push");
    assert_int_equal(coorddb_add_tickets(f->db, f->st, &badname, NOW, &added, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "NEW-3"));
    assert_non_null(strstr(em.text, "nothing was added"));
    ticket_list_release(&badname);

    /* Nothing of the three attempts reached memory or disk. */
    assert_int_equal(state_ticket_count(f->st), 6);
    assert_int_equal(state_find_ticket(f->st, "NEW-1"), -1);
    assert_int_equal(count(f, "SELECT count(*) FROM tickets"), 6);
    assert_int_equal(count(f, "SELECT count(*) FROM changes"), 6);
    assert_int_equal(coorddb_last_seq(f->db), seq0);

    ticket_list good = {0};
    must(ticket_list_push(&good, &a), &em, "push");
    must(ticket_list_push(&good, &b), &em, "push");
    must(coorddb_add_tickets(f->db, f->st, &good, NOW, &added, &em), &em, "add");
    assert_int_equal(added, 2);
    ticket_list_release(&good);
    assert_int_equal(state_ticket_count(f->st), 8);
    assert_int_equal(coorddb_last_seq(f->db), seq0 + 2);
    change *ch = NULL;
    size_t n = 0;
    bool more = true;
    must(coorddb_changes_since(f->db, seq0, 10, &ch, &n, &more, &em), &em, "changes");
    assert_int_equal(n, 2);
    assert_false(more);
    assert_int_equal(ch[0].seq, seq0 + 1);
    assert_int_equal(ch[0].type, CHANGE_TICKET);
    assert_string_equal(ch[0].ticket.code, "NEW-1");
    assert_string_equal(ch[0].ticket.name, "New One");
    assert_string_equal(ch[1].ticket.code, "NEW-2");
    free(ch);

    ticket_list empty = {0};
    must(coorddb_add_tickets(f->db, f->st, &empty, NOW, &added, &em), &em, "add none");
    assert_int_equal(added, 0);
}

/* A note and the attention flag are stored on the ticket and in the change
 * log, and read back after a restart. */
static void notes_are_logged_and_survive_reopen(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    int64_t seq0 = coorddb_last_seq(f->db);
    ticket_list tl = {0};
    ticket_rec a = {.code = "NOTE-1",
                    .name = "Noted Guest",
                    .note = "wheelchair, escort to table 4",
                    .attention = true,
                    .noted = true};
    ticket_rec b = {.code = "NOTE-2", .name = "Plain Guest", .noted = true};
    must(ticket_list_push(&tl, &a), &em, "push");
    must(ticket_list_push(&tl, &b), &em, "push");
    size_t added = 0;
    must(coorddb_add_tickets(f->db, f->st, &tl, NOW, &added, &em), &em, "add");
    ticket_list_release(&tl);
    assert_int_equal(added, 2);
    assert_int_equal(coorddb_last_seq(f->db), seq0 + 2); /* one change a ticket, note and all */
    change *ch = NULL;
    size_t n = 0;
    bool more = true;
    must(coorddb_changes_since(f->db, seq0, 10, &ch, &n, &more, &em), &em, "changes");
    assert_int_equal(n, 2);
    assert_string_equal(ch[0].ticket.note, "wheelchair, escort to table 4");
    assert_true(ch[0].ticket.attention);
    assert_string_equal(ch[1].ticket.note, "");
    assert_false(ch[1].ticket.attention);
    free(ch);
    coorddb_free(f->db);
    open_db(f);
    load(f);
    const ticket_state *t = state_ticket(f->st, state_find_ticket(f->st, "NOTE-1"));
    assert_string_equal(t->note, "wheelchair, escort to table 4");
    assert_true(t->attention);
    assert_int_equal(count(f, "SELECT count(*) FROM tickets WHERE attention = 1"), 1);
}

/* ---- batches ---- */

static void load_after_reopen_equals_memory(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    usher_op ops[7] = {
        mkop(OP_ASSIGN, "kiosk-1", "GALA-0002", "T01-02", NOW - 50),
        mkop(OP_ASSIGN, "kiosk-2", "GALA-0003", "T01-02", NOW - 40), /* taken: reseated */
        mkop(OP_HOLD, "kiosk-1", NULL, "T02-04", NOW - 30),
        mkop(OP_CHECKIN, "door-1", "GALA-0002", NULL, NOW - 20),
        mkop(OP_REVOKE, "admin", "GALA-0006", NULL, NOW - 10),
        mkop(OP_BLOCK, "admin", NULL, "T02-03", NOW - 5),
        mkop(OP_CHECKOUT, "door-2", "GALA-0002", NULL, NOW - 3),
    };
    apply_result res[7];
    int64_t last = 0;
    must(run_batch(f, ops, res, 7, NOW, &last, &em), &em, "commit");
    assert_int_equal(res[0].v.status, VERDICT_ACCEPTED);
    assert_int_equal(res[1].v.status, VERDICT_REJECTED);
    assert_true(res[1].v.reseat[0] != '\0');
    assert_int_equal(res[6].v.status, VERDICT_ACCEPTED);
    assert_int_equal(last, coorddb_last_seq(f->db));

    state *before = state_clone(f->st);
    assert_non_null(before);
    coorddb_free(f->db);
    open_db(f);
    layout *old_layout = f->l;
    f->l = NULL; /* keep the layout `before` borrows alive until the end */
    state *keep = f->st;
    f->st = NULL;
    load(f);

    assert_int_equal(state_seat_count(f->st), state_seat_count(before));
    for (int i = 0; i < state_seat_count(before); i++)
        seat_eq(state_seat(f->st, i), state_seat(before, i));
    assert_int_equal(state_ticket_count(f->st), state_ticket_count(before));
    for (int i = 0; i < state_ticket_count(before); i++) {
        const ticket_state *t = state_ticket(before, i);
        int k = state_find_ticket(f->st, t->code);
        assert_true(k >= 0);
        ticket_eq(state_ticket(f->st, k), t);
    }
    /* Every verdict is remembered: a retried op gets its first answer. */
    for (int i = 0; i < 7; i++) {
        const verdict *v = state_recall(f->st, ops[i].id);
        assert_non_null(v);
        verdict_eq(v, &res[i].v);
    }
    apply_result again;
    state_apply(f->st, &ops[1], NOW + 10, &again);
    assert_int_equal(again.v.status, VERDICT_DUPLICATE);
    assert_int_equal(again.v.first, VERDICT_REJECTED);
    assert_string_equal(again.v.reseat, res[1].v.reseat);
    state_free(before);
    state_free(keep);
    layout_free(old_layout);
}

static void commit_numbering_is_contiguous_across_reopen(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    int64_t seq0 = coorddb_last_seq(f->db);
    usher_op a[2] = {mkop(OP_ASSIGN, "kiosk-1", "GALA-0001", "T01-01", NOW),
                     mkop(OP_HOLD, "kiosk-1", NULL, "T01-03", NOW)};
    apply_result ra[2];
    int64_t last = 0;
    must(run_batch(f, a, ra, 2, NOW, &last, &em), &em, "commit 1");
    int expected = ra[0].nchanges + ra[1].nchanges;
    assert_true(expected >= 3);
    assert_int_equal(last, seq0 + expected);
    assert_int_equal(ra[0].changes[0].seq, seq0 + 1);
    assert_int_equal(ra[1].changes[ra[1].nchanges - 1].seq, last);

    coorddb_free(f->db);
    open_db(f);
    load(f);
    assert_int_equal(coorddb_last_seq(f->db), last);
    usher_op b = mkop(OP_UNASSIGN, "kiosk-1", "GALA-0001", "T01-01", NOW + 5);
    apply_result rb;
    int64_t last2 = 0;
    must(run_batch(f, &b, &rb, 1, NOW + 10, &last2, &em), &em, "commit 2");
    assert_int_equal(rb.v.status, VERDICT_ACCEPTED);
    assert_int_equal(rb.changes[0].seq, last + 1);
    assert_int_equal(last2, last + rb.nchanges);

    change *ch = NULL;
    size_t n = 0;
    bool more = true;
    must(coorddb_changes_since(f->db, 0, 1000, &ch, &n, &more, &em), &em, "changes");
    assert_int_equal((int64_t)n, last2);
    assert_false(more);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ch[i].seq, (int64_t)i + 1);
    /* The last change is the unassigned ticket, as the state reported it. */
    change_eq(&ch[n - 1], &rb.changes[rb.nchanges - 1]);
    free(ch);
    /* ops.seq keeps arrival order across the restart. */
    assert_int_equal(count(f, "SELECT max(seq) FROM ops"), 3);
    assert_int_equal(count(f, "SELECT count(*) FROM ops WHERE seq = 3 AND kind = 'unassign'"), 1);
}

/* A new layout (a third table) with guests seated: one transaction, the
 * seats rows and the state after a restart as they were plus the new seats,
 * one layout change in the log, the version and the trail. */
static void layout_change_is_durable_and_logged(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    usher_op a[2] = {mkop(OP_ASSIGN, "kiosk-1", "GALA-0002", "T02-03", NOW),
                     mkop(OP_BLOCK, "admin", NULL, "T01-04", NOW)};
    apply_result ra[2];
    int64_t last = 0, version = 0, seq = 0;
    must(run_batch(f, a, ra, 2, NOW, &last, &em), &em, "commit");
    must(coorddb_layout_version(f->db, &version, &em), &em, "version");
    assert_int_equal(version, 1);
    const char *three = "{\"name\":\"Three\",\"sections\":["
                        "{\"kind\":\"table\",\"id\":\"T01\",\"x\":0,\"y\":0,\"seats\":4},"
                        "{\"kind\":\"table\",\"id\":\"T02\",\"x\":300,\"y\":0,\"seats\":4},"
                        "{\"kind\":\"table\",\"id\":\"T03\",\"x\":600,\"y\":0,\"seats\":6}]}";
    layout *next = NULL;
    state *nst = NULL;
    must(layout_from_json(three, strlen(three), &next, &em), &em, "layout");
    must(layout_change_apply(f->st, next, &nst, &em), &em, "apply");
    coord_alert trail;
    memset(&trail, 0, sizeof trail);
    trail.a.kind = ALERT_LAYOUT_CHANGED;
    text_copy(trail.a.device, sizeof trail.a.device, "admin");
    trail.a.at = NOW;
    text_copy(trail.before, sizeof trail.before, "8 seats, 2 sections");
    text_copy(trail.after, sizeof trail.after, "14 seats, 3 sections");
    must(coorddb_set_layout(f->db, nst, &trail, 1, NOW + 1, &version, &seq, &em), &em, "set");
    assert_int_equal(version, 2);
    assert_int_equal(seq, last + 1);
    state_free(nst);
    layout_free(next);

    coorddb_free(f->db);
    open_db(f);
    load(f);
    assert_int_equal(layout_seat_count(f->l), 14);
    assert_int_equal(count(f, "SELECT count(*) FROM seats"), 14);
    int si = layout_find_seat(f->l, "T02-03");
    assert_string_equal(state_seat(f->st, si)->ticket, "GALA-0002");
    assert_true(state_seat(f->st, layout_find_seat(f->l, "T01-04"))->blocked);
    assert_string_equal(state_seat(f->st, layout_find_seat(f->l, "T03-06"))->ticket, "");
    assert_int_equal(state_ticket_count(f->st), 6);
    must(coorddb_layout_version(f->db, &version, &em), &em, "version");
    assert_int_equal(version, 2);
    change *ch = NULL;
    size_t n = 0;
    bool more = true;
    must(coorddb_changes_since(f->db, last, 10, &ch, &n, &more, &em), &em, "changes");
    assert_int_equal(n, 1);
    assert_int_equal(ch[0].type, CHANGE_LAYOUT);
    assert_int_equal(ch[0].layout_version, 2);
    assert_int_equal(ch[0].seq, last + 1);
    free(ch);
    coord_alert *as = NULL;
    must(coorddb_alerts(f->db, false, 10, &as, &n, &em), &em, "alerts");
    assert_true(n >= 1);
    assert_int_equal(as[0].a.kind, ALERT_LAYOUT_CHANGED);
    assert_string_equal(as[0].a.device, "admin");
    assert_string_equal(as[0].after, "14 seats, 3 sections");
    free(as);
    char *json = NULL;
    must(coorddb_layout_json(f->db, &json, &em), &em, "json");
    assert_non_null(strstr(json, "T03-06"));
    free(json);
}

static void leases_are_logged_and_survive_reopen(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    int64_t seq0 = coorddb_last_seq(f->db);
    usher_op ops[5] = {
        mkop(OP_LEASE, "kiosk-1", NULL, "T01-01", NOW - 50),
        mkop(OP_LEASE, "kiosk-1", NULL, "T01-02", NOW - 40),
        mkop(OP_LEASE, "kiosk-2", NULL, "T02-01", NOW - 30),
        mkop(OP_ASSIGN, "kiosk-1", "GALA-0002", "T01-02", NOW - 20), /* the lessee's */
        mkop(OP_ASSIGN, "kiosk-2", "GALA-0003", "T01-01", NOW - 10), /* another's lease */
    };
    ops[0].ttl_ms = 600000;
    apply_result res[5];
    int64_t last = 0;
    must(run_batch(f, ops, res, 5, NOW, &last, &em), &em, "commit");
    for (int i = 0; i < 4; i++)
        assert_int_equal(res[i].v.status, VERDICT_ACCEPTED);
    assert_int_equal(res[4].v.reason, REASON_SEAT_LEASED);
    assert_true(res[4].v.reseat[0] != '\0');
    assert_int_equal(count(f, "SELECT count(*) FROM seats WHERE id = 'T01-01' AND "
                              "lease_device = 'kiosk-1' AND lease_until = 1795000600000"),
                     1);
    assert_int_equal(count(f, "SELECT count(*) FROM seats WHERE id = 'T01-02' AND "
                              "lease_device = '' AND ticket = 'GALA-0002'"),
                     1);
    assert_int_equal(count(f, "SELECT count(*) FROM ops WHERE kind = 'lease'"), 3);
    assert_int_equal(count(f, "SELECT count(*) FROM ops WHERE reason = 'seat_leased'"), 1);

    /* The change log carries the lease as the state reported it. */
    change *ch = NULL;
    size_t n = 0;
    bool more = true;
    must(coorddb_changes_since(f->db, seq0, 1000, &ch, &n, &more, &em), &em, "changes");
    assert_int_equal((int64_t)n, last - seq0);
    change_eq(&ch[0], &res[0].changes[0]);
    assert_string_equal(ch[0].seat.lease_device, "kiosk-1");
    assert_int_equal(ch[0].seat.lease_until, NOW + 600000);
    change_eq(&ch[2], &res[2].changes[0]);
    free(ch);

    state *before = state_clone(f->st);
    assert_non_null(before);
    coorddb_free(f->db);
    open_db(f);
    layout *old_layout = f->l;
    f->l = NULL;
    state *keep = f->st;
    f->st = NULL;
    load(f);
    for (int i = 0; i < state_seat_count(before); i++)
        seat_eq(state_seat(f->st, i), state_seat(before, i));
    int si = layout_find_seat(f->l, "T02-01");
    assert_int_equal(state_seat_status(f->st, si, "kiosk-2", NOW), SEAT_LEASED_BY_ME);
    state_free(before);
    state_free(keep);
    layout_free(old_layout);
}

static void changes_since_pages(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    /* 6 ticket changes from the import. */
    change *ch = NULL;
    size_t n = 0;
    bool more = false;
    must(coorddb_changes_since(f->db, 0, 4, &ch, &n, &more, &em), &em, "page 1");
    assert_int_equal(n, 4);
    assert_true(more);
    assert_int_equal(ch[0].seq, 1);
    assert_int_equal(ch[3].seq, 4);
    assert_string_equal(ch[3].ticket.code, "GALA-0004");
    assert_string_equal(ch[0].ticket.klass, "VIP");
    int64_t cursor = ch[3].seq;
    free(ch);
    must(coorddb_changes_since(f->db, cursor, 4, &ch, &n, &more, &em), &em, "page 2");
    assert_int_equal(n, 2);
    assert_false(more);
    assert_int_equal(ch[1].seq, 6);
    free(ch);
    must(coorddb_changes_since(f->db, 4, 2, &ch, &n, &more, &em), &em, "exact page");
    assert_int_equal(n, 2);
    assert_false(more);
    free(ch);
    must(coorddb_changes_since(f->db, 6, 4, &ch, &n, &more, &em), &em, "caught up");
    assert_int_equal(n, 0);
    assert_false(more);
    free(ch);
}

static void failed_batch_writes_nothing(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    int64_t seq0 = coorddb_last_seq(f->db);
    usher_op ops[3] = {mkop(OP_ASSIGN, "kiosk-1", "GALA-0002", "T01-02", NOW),
                       mkop(OP_CHECKIN, "door-1", "GALA-0002", NULL, NOW)};
    ops[2] = ops[0]; /* the same op id twice inside one batch */
    apply_result res[3];
    for (size_t i = 0; i < 3; i++)
        state_apply(f->st, &ops[i], NOW, &res[i]);
    res[2] = res[0]; /* as if answered afresh rather than as a duplicate */
    int64_t last = -1;
    assert_int_equal(coorddb_commit(f->db, ops, res, 3, NOW, &last, &em), USHER_EXISTS);
    assert_non_null(strstr(em.text, ops[0].id));
    assert_int_equal(last, -1);
    assert_int_equal(res[0].changes[0].seq, 0); /* not numbered: not written */
    assert_int_equal(coorddb_last_seq(f->db), seq0);
    assert_int_equal(count(f, "SELECT count(*) FROM ops"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM changes"), seq0);
    assert_int_equal(count(f, "SELECT count(*) FROM checkins"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM seats WHERE ticket <> ''"), 0);
    assert_int_equal(count(f, "SELECT count(*) FROM tickets WHERE seat <> ''"), 0);

    /* The caller reloads (memory was ahead) and the next batch numbers on. */
    load(f);
    assert_int_equal(state_find_ticket(f->st, "GALA-0002") >= 0, 1);
    assert_string_equal(state_ticket(f->st, state_find_ticket(f->st, "GALA-0002"))->seat, "");
    must(run_batch(f, ops, res, 1, NOW, &last, &em), &em, "retry");
    assert_int_equal(res[0].changes[0].seq, seq0 + 1);
}

static void duplicates_are_not_written_again(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    usher_op op = mkop(OP_ASSIGN, "kiosk-1", "GALA-0004", "T02-01", NOW);
    apply_result r;
    int64_t last = 0, last2 = 0;
    must(run_batch(f, &op, &r, 1, NOW, &last, &em), &em, "first");
    must(run_batch(f, &op, &r, 1, NOW + 1, &last2, &em), &em, "retry");
    assert_int_equal(r.v.status, VERDICT_DUPLICATE);
    assert_int_equal(last2, last);
    assert_int_equal(count(f, "SELECT count(*) FROM ops"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM ops WHERE status = 'accepted' AND "
                              "ticket_seat = 'T02-01' AND received_at = 1795000000000"),
                     1);
}

/* ---- check-ins and alerts ---- */

static void checkins_and_alerts(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    usher_op ops[4] = {
        mkop(OP_CHECKIN, "door-1", "GALA-0005", NULL, NOW - 300),
        mkop(OP_CHECKIN, "door-2", "GALA-0005", NULL, NOW - 100), /* same ticket again */
        mkop(OP_CHECKIN, "door-1", "GALA-0004", NULL, NOW - 200),
        mkop(OP_CHECKIN, "door-1", "NOPE-1", NULL, NOW - 50), /* unknown: rejected */
    };
    for (int k = 0; k < 4; k++) /* dated by their wait, the coordinator's clock */
        ops[k].wait_ms = NOW - ops[k].at;
    apply_result res[4];
    int64_t last = 0;
    must(run_batch(f, ops, res, 4, NOW, &last, &em), &em, "commit");
    assert_int_equal(res[1].v.status, VERDICT_ACCEPTED);
    assert_int_equal(res[1].v.reason, REASON_DUPLICATE_CHECKIN);
    assert_int_equal(res[3].v.status, VERDICT_REJECTED);

    coord_checkin *ci = NULL;
    size_t n = 0;
    must(coorddb_checkins(f->db, &ci, &n, &em), &em, "checkins");
    assert_int_equal(n, 3); /* in time order, the rejected scan left out */
    assert_string_equal(ci[0].ticket, "GALA-0005");
    assert_string_equal(ci[0].device, "door-1");
    assert_int_equal(ci[0].at, NOW - 300);
    assert_false(ci[0].duplicate);
    assert_string_equal(ci[0].op_id, ops[0].id);
    assert_string_equal(ci[1].ticket, "GALA-0004");
    assert_string_equal(ci[2].ticket, "GALA-0005");
    assert_string_equal(ci[2].device, "door-2");
    assert_true(ci[2].duplicate);
    free(ci);

    coord_alert *al = NULL;
    must(coorddb_alerts(f->db, true, 10, &al, &n, &em), &em, "alerts");
    assert_int_equal(n, 1);
    assert_int_equal(al[0].a.kind, ALERT_DUPLICATE_CHECKIN);
    assert_string_equal(al[0].a.ticket, "GALA-0005");
    assert_string_equal(al[0].a.device, "door-2");
    assert_string_equal(al[0].a.other_device, "door-1");
    assert_int_equal(al[0].a.other_at, NOW - 300);
    assert_string_equal(al[0].a.op_id, ops[1].id);
    assert_int_equal(al[0].created_at, NOW);
    assert_int_equal(al[0].acked_at, 0);
    int64_t first_id = al[0].id;
    free(al);

    /* A second duplicate scan: newest first in the list. */
    usher_op third = mkop(OP_CHECKIN, "door-3", "GALA-0005", NULL, NOW + 5);
    apply_result r3;
    must(run_batch(f, &third, &r3, 1, NOW + 10, &last, &em), &em, "commit 2");
    must(coorddb_alerts(f->db, false, 10, &al, &n, &em), &em, "alerts");
    assert_int_equal(n, 2);
    assert_string_equal(al[0].a.device, "door-3");
    assert_int_equal(al[1].id, first_id);
    free(al);
    must(coorddb_alerts(f->db, false, 1, &al, &n, &em), &em, "alerts max 1");
    assert_int_equal(n, 1);
    free(al);

    must(coorddb_alert_ack(f->db, first_id, NOW + 20, &em), &em, "ack");
    must(coorddb_alert_ack(f->db, first_id, NOW + 30, &em), &em, "ack twice");
    assert_int_equal(coorddb_alert_ack(f->db, 9999, NOW, &em), USHER_NOTFOUND);
    assert_non_null(strstr(em.text, "9999"));
    must(coorddb_alerts(f->db, true, 10, &al, &n, &em), &em, "open alerts");
    assert_int_equal(n, 1);
    assert_string_equal(al[0].a.device, "door-3");
    free(al);
    must(coorddb_alerts(f->db, false, 10, &al, &n, &em), &em, "all alerts");
    assert_int_equal(al[1].acked_at, NOW + 20); /* the first acknowledgement stands */
    free(al);
}

/* ---- devices ---- */

static void devices_and_tokens(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    char tok[COORD_TOKEN_SIZE], tok2[COORD_TOKEN_SIZE];
    must(coorddb_device_add(f->db, "kiosk-1", ROLE_KIOSK, NOW, tok, &em), &em, "add");
    must(coorddb_device_add(f->db, "door.A", ROLE_DOOR, NOW + 1, tok2, &em), &em, "add 2");
    assert_int_equal(strlen(tok), 52);
    uint8_t raw[32];
    assert_true(text_base32_decode(tok, raw, sizeof raw));
    assert_string_not_equal(tok, tok2);

    coord_device d;
    must(coorddb_device_auth(f->db, tok, &d, &em), &em, "auth");
    assert_string_equal(d.id, "kiosk-1");
    assert_int_equal(d.role, ROLE_KIOSK);
    assert_int_equal(d.created_at, NOW);
    assert_false(d.disabled);
    must(coorddb_device_auth(f->db, tok2, &d, &em), &em, "auth 2");
    assert_string_equal(d.id, "door.A");

    char wrong[COORD_TOKEN_SIZE];
    memcpy(wrong, tok, sizeof wrong);
    wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
    memset(&d, 0x5a, sizeof d);
    coord_device untouched = d;
    assert_int_equal(coorddb_device_auth(f->db, wrong, &d, &em), USHER_FORBIDDEN);
    assert_memory_equal(&d, &untouched, sizeof d);
    assert_int_equal(coorddb_device_auth(f->db, "", &d, &em), USHER_FORBIDDEN);
    assert_int_equal(coorddb_device_auth(f->db, "short", &d, &em), USHER_FORBIDDEN);

    /* The token is not stored in clear. */
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(coorddb_sqlite(f->db),
                                        "SELECT count(*) FROM devices WHERE "
                                        "instr(CAST(token_hash AS TEXT), ?1) > 0 OR "
                                        "length(token_hash) <> 32",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, tok, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);

    must(coorddb_device_set_disabled(f->db, "kiosk-1", true, &em), &em, "disable");
    assert_int_equal(coorddb_device_auth(f->db, tok, &d, &em), USHER_FORBIDDEN);
    assert_non_null(strstr(em.text, "kiosk-1 is disabled"));
    must(coorddb_device_set_disabled(f->db, "kiosk-1", false, &em), &em, "enable");
    must(coorddb_device_auth(f->db, tok, &d, &em), &em, "auth again");
    assert_int_equal(coorddb_device_set_disabled(f->db, "ghost", true, &em), USHER_NOTFOUND);

    char keep[COORD_TOKEN_SIZE] = "unchanged";
    assert_int_equal(coorddb_device_add(f->db, "kiosk-1", ROLE_DOOR, NOW, keep, &em), USHER_EXISTS);
    assert_non_null(strstr(em.text, "kiosk-1"));
    assert_string_equal(keep, "unchanged");
    assert_int_equal(coorddb_device_add(f->db, "kiosk 2", ROLE_KIOSK, NOW, keep, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "\"kiosk 2\""));
    assert_int_equal(coorddb_device_add(f->db, "kiosk-2", ROLE_NONE, NOW, keep, &em), USHER_INVAL);
    char longname[80];
    memset(longname, 'k', 65);
    longname[65] = '\0';
    assert_int_equal(coorddb_device_add(f->db, longname, ROLE_KIOSK, NOW, keep, &em), USHER_INVAL);

    must(coorddb_device_seen(f->db, "door.A", NOW + 50, 42, 3, &em), &em, "seen");
    assert_int_equal(coorddb_device_seen(f->db, "ghost", NOW, 1, 0, &em), USHER_NOTFOUND);
    coord_device *all = NULL;
    size_t n = 0;
    must(coorddb_devices(f->db, &all, &n, &em), &em, "devices");
    assert_int_equal(n, 2);
    assert_string_equal(all[0].id, "door.A"); /* by id */
    assert_int_equal(all[0].role, ROLE_DOOR);
    assert_int_equal(all[0].last_seen, NOW + 50);
    assert_int_equal(all[0].cursor, 42);
    assert_int_equal(all[0].pending, 3);
    assert_string_equal(all[1].id, "kiosk-1");
    assert_int_equal(all[1].last_seen, 0);
    free(all);
}

static void database_survives_integrity_check(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    usher_op op = mkop(OP_CHECKIN, "door-1", "GALA-0001", NULL, NOW);
    apply_result r;
    int64_t last = 0;
    must(run_batch(f, &op, &r, 1, NOW, &last, &em), &em, "commit");
    assert_true(store_integrity_ok(coorddb_sqlite(f->db)));
    assert_int_equal(count(f, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

/* A backup and a restore each give their file a new op log id (the devices'
 * sign of a restore); the event stays; a restore over a database of another
 * event is refused; the replaced database is kept beside. */
static void backup_and_restore_new_log_ids(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    coord_event live, got;
    must(coorddb_get_event(f->db, &live, &em), &em, "get_event");
    assert_string_equal(live.log_id, live.event_id); /* never restored: the event id */
    char *bak = testutil_path(f->dir, "coord.backup");
    must(coorddb_backup(f->path, bak, &em), &em, "backup");
    coorddb_free(f->db);
    f->db = NULL;
    char replaced[1024] = "x";
    must(coorddb_restore(bak, f->path, replaced, sizeof replaced, &em), &em, "restore");
    assert_non_null(strstr(replaced, "coord.db.replaced-"));
    FILE *old = fopen(replaced, "rb");
    assert_non_null(old);
    fclose(old);
    open_db(f);
    must(coorddb_get_event(f->db, &got, &em), &em, "get_event");
    assert_string_equal(got.event_id, live.event_id);
    assert_string_not_equal(got.log_id, live.log_id);
    char first[COORDDB_LOG_ID_SIZE];
    text_copy(first, sizeof first, got.log_id);
    /* The same backup restored again: another id still. */
    coorddb_free(f->db);
    f->db = NULL;
    must(coorddb_restore(bak, f->path, replaced, sizeof replaced, &em), &em, "restore again");
    open_db(f);
    must(coorddb_get_event(f->db, &got, &em), &em, "get_event");
    assert_string_not_equal(got.log_id, first);
    /* Another event's database is no backup of this one. */
    char *other = testutil_path(f->dir, "other.db");
    coorddb *o = NULL;
    layout *l = NULL;
    must(coorddb_open(other, &o, &em), &em, "open other");
    must(layout_from_json(two_tables, strlen(two_tables), &l, &em), &em, "layout");
    must(coorddb_init_event(o, "Other", l, NOW, &em), &em, "init other");
    layout_free(l);
    coorddb_free(o);
    coorddb_free(f->db);
    f->db = NULL;
    assert_int_equal(coorddb_restore(other, f->path, replaced, sizeof replaced, &em),
                     USHER_CONFLICT);
    assert_non_null(strstr(em.text, "another event"));
    open_db(f);
    must(coorddb_get_event(f->db, &got, &em), &em, "get_event");
    assert_string_equal(got.event_id, live.event_id); /* untouched */
    free(bak);
    free(other);
}

/* coorddb_renew_log_id: a new id each time, kept on reopen, the event the same. */
static void renew_log_id_gives_a_new_id(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    coord_event before, after, again;
    must(coorddb_get_event(f->db, &before, &em), &em, "get_event");
    must(coorddb_renew_log_id(f->db, &em), &em, "renew");
    must(coorddb_get_event(f->db, &after, &em), &em, "get_event");
    assert_string_not_equal(after.log_id, before.log_id);
    assert_string_equal(after.event_id, before.event_id);
    coorddb_free(f->db);
    f->db = NULL;
    open_db(f);
    must(coorddb_get_event(f->db, &again, &em), &em, "get_event after reopen");
    assert_string_equal(again.log_id, after.log_id);
    must(coorddb_renew_log_id(f->db, &em), &em, "renew again");
    must(coorddb_get_event(f->db, &again, &em), &em, "get_event");
    assert_string_not_equal(again.log_id, after.log_id);
}

/* The re-entry policy is an event setting: allowed unless set, kept on reopen. */
static void reentry_policy_is_kept(void **ctx)
{
    fx *f = *ctx;
    usher_errmsg em = {{0}};
    coord_event ev;
    must(coorddb_get_event(f->db, &ev, &em), &em, "get_event");
    assert_false(ev.settings.reentry_refused);
    ev.settings.reentry_refused = true;
    must(coorddb_set_settings(f->db, &ev.settings, &em), &em, "set_settings");
    coorddb_free(f->db);
    open_db(f);
    must(coorddb_get_event(f->db, &ev, &em), &em, "get_event");
    assert_true(ev.settings.reentry_refused);
    assert_int_equal(count(f, "SELECT count(*) FROM meta WHERE key = 'reentry' AND "
                              "value = 'refused'"),
                     1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(no_event_yet, setup_empty, teardown),
    cmocka_unit_test_setup_teardown(init_event_once, setup_empty, teardown),
    cmocka_unit_test_setup_teardown(add_tickets_all_or_nothing, setup_event, teardown),
    cmocka_unit_test_setup_teardown(backup_and_restore_new_log_ids, setup_event, teardown),
    cmocka_unit_test_setup_teardown(renew_log_id_gives_a_new_id, setup_event, teardown),
    cmocka_unit_test_setup_teardown(load_after_reopen_equals_memory, setup_event, teardown),
    cmocka_unit_test_setup_teardown(notes_are_logged_and_survive_reopen, setup_event, teardown),
    cmocka_unit_test_setup_teardown(reentry_policy_is_kept, setup_event, teardown),
    cmocka_unit_test_setup_teardown(commit_numbering_is_contiguous_across_reopen, setup_event,
                                    teardown),
    cmocka_unit_test_setup_teardown(leases_are_logged_and_survive_reopen, setup_event, teardown),
    cmocka_unit_test_setup_teardown(layout_change_is_durable_and_logged, setup_event, teardown),
    cmocka_unit_test_setup_teardown(changes_since_pages, setup_event, teardown),
    cmocka_unit_test_setup_teardown(failed_batch_writes_nothing, setup_event, teardown),
    cmocka_unit_test_setup_teardown(duplicates_are_not_written_again, setup_event, teardown),
    cmocka_unit_test_setup_teardown(checkins_and_alerts, setup_event, teardown),
    cmocka_unit_test_setup_teardown(devices_and_tokens, setup_event, teardown),
    cmocka_unit_test_setup_teardown(database_survives_integrity_check, setup_event, teardown),
};

TESTUTIL_MAIN(tests)

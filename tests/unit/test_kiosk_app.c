/* test_kiosk_app.c - the kiosk's shell around its journal (kiosk/app.c) on a
 * real journal file in a temporary folder, with a second connection standing
 * in for usher-syncd: when the world is read again, and what happens to ops
 * the journal cannot take. */
#include "testutil.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "journal.h"
#include "layout.h"
#include "seatmap.h"
#include "state.h"
#include "text.h"
#include "ui.h"

typedef struct fixture {
    char *dir, *path;
    journal *syncd; /* the other process's connection */
    kapp a;
} fixture;

static journal_identity identity_as(const char *event_name, usher_role role)
{
    journal_identity id;
    memset(&id, 0, sizeof id);
    text_copy(id.device, sizeof id.device, role == ROLE_DOOR ? "door-1" : "kiosk-1");
    id.role = role;
    text_copy(id.event_id, sizeof id.event_id, "ev1");
    text_copy(id.event_name, sizeof id.event_name, event_name);
    id.hold_ttl_ms = 120000;
    return id;
}

static journal_identity identity(const char *event_name)
{
    return identity_as(event_name, ROLE_DOOR);
}

/* A ticket as the coordinator sends it (a round of syncd's). */
static void syncd_adds_ticket(fixture *f, int64_t seq, const char *code, const char *name)
{
    change c;
    memset(&c, 0, sizeof c);
    c.seq = seq;
    c.type = CHANGE_TICKET;
    text_copy(c.ticket.code, sizeof c.ticket.code, code);
    text_copy(c.ticket.name, sizeof c.ticket.name, name);
    assert_int_equal(journal_apply_round(f->syncd, NULL, 0, &c, 1, seq, 1000, NULL), USHER_OK);
}

/* A bootstrapped journal with tickets A-1 (and B-2 for a guest kiosk), and
 * the kiosk's app on it in mode. */
static fixture *setup_as(kmode mode)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->dir = testutil_tmpdir();
    f->path = testutil_path(f->dir, "door.journal");
    assert_int_equal(journal_open(f->path, &f->syncd, NULL), USHER_OK);
    layout *l = NULL;
    assert_int_equal(layout_generate("gala:2x4", &l, NULL), USHER_OK);
    char *json = layout_to_json(l);
    assert_non_null(json);
    assert_int_equal(journal_set_layout_json(f->syncd, json, NULL), USHER_OK);
    free(json);
    layout_free(l);
    syncd_adds_ticket(f, 1, "A-1", "Ann");
    if (mode == KMODE_GUEST)
        syncd_adds_ticket(f, 2, "B-2", "Bob");
    journal_identity id = identity_as("Old Name", mode == KMODE_DOOR ? ROLE_DOOR : ROLE_KIOSK);
    assert_int_equal(journal_set_identity(f->syncd, &id, NULL), USHER_OK);
    kconfig cfg = {.mode = mode,
                   .w = 800,
                   .h = 480,
                   .ppmm = 140 / 25.4,
                   .idle_ms = 60000,
                   .verdict_ms = 3000,
                   .longpress_ms = 3000};
    text_copy(cfg.pin, sizeof cfg.pin, "2580");
    usher_errmsg em = {{0}};
    if (kapp_open(&f->a, f->path, &cfg, &em))
        fail_msg("kapp_open: %s", em.text);
    assert_non_null(f->a.w.l);
    assert_string_equal(f->a.w.id.event_name, "Old Name");
    return f;
}

static fixture *setup(void)
{
    return setup_as(KMODE_DOOR);
}

static void teardown(fixture *f)
{
    kapp_close(&f->a);
    journal_free(f->syncd);
    testutil_rmtree(f->dir);
    free(f->path);
    free(f->dir);
    free(f);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err ? err : "?");
}

static int64_t outbox_checkins(fixture *f, const char *ticket)
{
    outbox_entry *e = NULL;
    size_t n = 0;
    assert_int_equal(journal_outbox_list(f->syncd, 0, 100, &e, &n, NULL), USHER_OK);
    int64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += e[i].op.kind == OP_CHECKIN && !strcmp(e[i].op.ticket, ticket);
    free(e);
    return k;
}

static void scan(fixture *f, const char *code, int64_t now)
{
    for (const char *p = code; *p; p++) {
        kiosk_input in = {.kind = KIN_TEXT};
        in.text[0] = *p;
        kapp_input(&f->a, &in, now);
    }
    kiosk_input ret = {.kind = KIN_KEY, .key = KKEY_RETURN};
    kapp_input(&f->a, &ret, now);
}

static void tick(fixture *f, int64_t now)
{
    kapp_refresh(&f->a, now, false);
    kiosk_input in = {.kind = KIN_TICK};
    kapp_input(&f->a, &in, now);
}

/* A read that failed is tried again at the next refresh, not only when
 * syncd happens to write again: data_version is kept only with a world read
 * in full. (The journal is mended through the kiosk's own connection, whose
 * commits do not move its data_version.) */
static void a_failed_read_is_read_again(void **unused)
{
    fixture *f = setup();
    int64_t now = kapp_now(&f->a);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    exec_sql(db, "UPDATE meta SET value = 'New Name' WHERE key = 'event_name';"
                 "UPDATE meta SET value = 'not a number' WHERE key = 'hold_ttl_ms'");
    sqlite3_close(db);
    assert_false(kapp_refresh(&f->a, now, false));
    assert_non_null(strstr(f->a.last_error, "hold_ttl_ms"));
    assert_string_equal(f->a.w.id.event_name, "Old Name");
    journal_identity id = identity("New Name");
    assert_int_equal(journal_set_identity(f->a.j, &id, NULL), USHER_OK);
    assert_true(kapp_refresh(&f->a, now, false));
    assert_string_equal(f->a.w.id.event_name, "New Name");
    assert_string_equal(f->a.last_error, "");
    assert_false(kapp_refresh(&f->a, now, false)); /* nothing new */
    teardown(f);
}

/* A scan while another connection holds the journal's write lock: the op is
 * kept, the verdict waits, and the very op is saved once the lock goes, at
 * a tick, once only. */
static void a_check_in_the_journal_refused_is_saved_later_once(void **unused)
{
    fixture *f = setup();
    int64_t now = kapp_now(&f->a);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    exec_sql(db, "BEGIN IMMEDIATE");
    scan(f, "A-1", now);
    assert_int_equal(f->a.m.screen, SCR_VERDICT);
    assert_false(f->a.m.verdict.saved);
    assert_int_equal(f->a.nunsaved, 1);
    assert_int_equal(f->a.w.unsaved, 1);
    assert_int_equal(f->a.m.admitted, 0);
    char id[USHER_OPID_SIZE];
    text_copy(id, sizeof id, f->a.m.verdict.op_id);
    assert_string_equal(f->a.unsaved[0].ops[0].id, id);
    tick(f, now + 100); /* still locked: kept */
    assert_int_equal(f->a.nunsaved, 1);
    exec_sql(db, "ROLLBACK");
    sqlite3_close(db);
    tick(f, now + 200); /* tried at most once a second without a new op */
    assert_int_equal(f->a.nunsaved, 1);
    tick(f, now + 1100);
    assert_int_equal(f->a.nunsaved, 0);
    assert_int_equal(f->a.w.unsaved, 0);
    assert_true(f->a.m.verdict.saved);
    assert_int_equal(f->a.m.admitted, 1);
    assert_int_equal(f->a.w.pending, 1);
    outbox_entry e;
    assert_int_equal(journal_outbox_get(f->syncd, id, &e, NULL), USHER_OK);
    assert_int_equal(e.op.at, now); /* when the guest was scanned */
    tick(f, now + 2200);
    assert_int_equal(outbox_checkins(f, "A-1"), 1);
    teardown(f);
}

/* The shell's printer hooks (the program's are kprint.c's): the cards
 * handed over, and a printer that is ready. */
typedef struct printed {
    kcard cards[8];
    int n;
} printed;

static void record_cards(void *ctx, const kcard *cards, int n)
{
    printed *p = ctx;
    for (int i = 0; i < n && p->n < 8; i++)
        p->cards[p->n++] = cards[i];
}

static void ready_printer(void *ctx, kprinter_status *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
    out->state = KPRINTER_READY;
    text_copy(out->name, sizeof out->name, "door-printer");
}

/* A door admission's card goes to the printer only once its check-in is
 * durable: not while the journal refuses it, once when it is saved later. */
static void a_card_is_printed_once_its_check_in_is_saved(void **unused)
{
    fixture *f = setup();
    printed got = {0};
    f->a.printer = (kapp_printer){.print = record_cards, .status = ready_printer, .ctx = &got};
    int64_t now = kapp_now(&f->a);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    exec_sql(db, "BEGIN IMMEDIATE");
    scan(f, "A-1", now);
    assert_int_equal(f->a.m.verdict.kind, VERDICT_ADMITTED);
    assert_int_equal(f->a.w.printer.state, KPRINTER_READY); /* read before the input */
    assert_int_equal(got.n, 0);                             /* not saved: no card */
    exec_sql(db, "ROLLBACK");
    sqlite3_close(db);
    tick(f, now + 1100);
    assert_int_equal(f->a.nunsaved, 0);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.cards[0].code, "A-1");
    assert_string_equal(got.cards[0].name, "Ann");
    assert_string_equal(got.cards[0].note, "Admitted at door-1");
    assert_string_equal(got.cards[0].event, "Old Name");
    tick(f, now + 2200);
    assert_int_equal(got.n, 1); /* once */
    teardown(f);
}

/* usher-syncd rebuilt the replica over a new layout (a table more): the
 * kiosk reads the layout again at its next refresh, without a restart, and
 * fits its map to it; nothing new, nothing read again. */
static void a_new_layout_is_read_again(void **unused)
{
    fixture *f = setup();
    int64_t now = kapp_now(&f->a);
    assert_int_equal(layout_seat_count(f->a.w.l), 8);
    f->a.m.map_ready = true;
    layout *l = NULL;
    assert_int_equal(layout_generate("gala:3x4", &l, NULL), USHER_OK);
    char *json = layout_to_json(l);
    assert_non_null(json);
    change c;
    memset(&c, 0, sizeof c);
    c.type = CHANGE_TICKET;
    text_copy(c.ticket.code, sizeof c.ticket.code, "A-1");
    text_copy(c.ticket.name, sizeof c.ticket.name, "Ann");
    text_copy(c.ticket.seat, sizeof c.ticket.seat, "T03-04");
    change seat = c;
    memset(&seat, 0, sizeof seat);
    seat.type = CHANGE_SEAT;
    text_copy(seat.seat_id, sizeof seat.seat_id, "T03-04");
    text_copy(seat.seat.ticket, sizeof seat.seat.ticket, "A-1");
    change cs[2] = {c, seat};
    assert_int_equal(journal_replace_replica(f->syncd, json, cs, 2, 5, 2000, NULL), USHER_OK);
    free(json);
    layout_free(l);
    assert_true(kapp_refresh(&f->a, now, false));
    assert_int_equal(layout_seat_count(f->a.w.l), 12);
    assert_ptr_equal(f->a.w.l, f->a.l);
    assert_ptr_equal(state_layout(f->a.view), f->a.l);
    assert_string_equal(state_seat(f->a.view, layout_find_seat(f->a.l, "T03-04"))->ticket, "A-1");
    assert_false(f->a.m.map_ready); /* fitted again at the next input */
    const layout *kept = f->a.l;
    assert_false(kapp_refresh(&f->a, now, false));
    assert_true(kapp_refresh(&f->a, now, true));
    assert_ptr_equal(f->a.l, kept); /* the stamp did not move: not read again */
    teardown(f);
}

/* A finger on a button of the frame on screen (the shell's hit test
 * names it). */
static void tap_button(fixture *f, const char *name, int64_t now)
{
    ui_frame fr;
    ui_frame_init(&fr);
    fr.skip_seats = true;
    ui_build(&f->a.m, &f->a.w, now, &fr);
    const ui_button *b = ui_find_button(&fr, name);
    if (!b || !b->enabled)
        fail_msg("button %s not on screen %s", name, kscreen_name(f->a.m.screen));
    kiosk_input d = {.kind = KIN_DOWN, .x = b->r.x + b->r.w / 2, .y = b->r.y + b->r.h / 2};
    kiosk_input u = d;
    u.kind = KIN_UP;
    text_copy(u.button, sizeof u.button, name);
    ui_frame_release(&fr);
    kapp_input(&f->a, &d, now);
    kapp_input(&f->a, &u, now);
}

/* A finger on a seat of the map (a map tap: no button under it). */
static void tap_seat(fixture *f, const char *id, int64_t now)
{
    const layout_seat *s = layout_seat_at(f->a.l, layout_find_seat(f->a.l, id));
    for (int i = 0; i < 3; i++) {
        float x, y;
        seatmap_to_screen(&f->a.m.map, s->x, s->y, &x, &y);
        bool close = seatmap_tappable(&f->a.m.map);
        kiosk_input d = {.kind = KIN_DOWN, .x = x, .y = y}, u = d;
        u.kind = KIN_UP;
        kapp_input(&f->a, &d, now);
        kapp_input(&f->a, &u, now);
        if (close)
            return;
    }
    fail_msg("seat %s never became tappable", id);
}

/* The kiosk's view is what a full read of the journal gives now. */
static void assert_view_is_the_journals(fixture *f, int64_t now)
{
    state *full = NULL;
    assert_int_equal(journal_load_view(f->syncd, f->a.l, now, &full, NULL), USHER_OK);
    const state *v = f->a.view;
    assert_int_equal(state_seat_count(v), state_seat_count(full));
    for (int i = 0; i < state_seat_count(v); i++) {
        const seat_state *a = state_seat(v, i), *b = state_seat(full, i);
        assert_string_equal(a->ticket, b->ticket);
        assert_int_equal(a->blocked, b->blocked);
        assert_string_equal(a->hold_device, b->hold_device);
        assert_int_equal(a->hold_until, b->hold_until);
        assert_string_equal(a->lease_device, b->lease_device);
        assert_int_equal(a->lease_until, b->lease_until);
    }
    assert_int_equal(state_ticket_count(v), state_ticket_count(full));
    for (int i = 0; i < state_ticket_count(v); i++) {
        const ticket_state *a = state_ticket(v, i), *b = state_ticket(full, i);
        assert_string_equal(a->code, b->code);
        assert_string_equal(a->seat, b->seat);
        assert_string_equal(a->party, b->party);
        assert_int_equal(a->checked_in_at, b->checked_in_at);
        assert_int_equal(a->revoked, b->revoked);
    }
    state_free(full);
}

static const char *seat_of(fixture *f, const char *code)
{
    return state_ticket(f->a.view, state_find_ticket(f->a.view, code))->seat;
}

/* After the kiosk's own appends (holds, a release, the party's assigns) the
 * view is not read again: the ops just saved are applied to it, and it is
 * what a full read gives. When syncd wrote meanwhile, it is read in full. */
static void own_ops_update_the_view_without_a_read(void **unused)
{
    fixture *f = setup_as(KMODE_GUEST);
    int64_t now = kapp_now(&f->a);
    tap_button(f, "start", now);
    scan(f, "A-1", now);
    scan(f, "B-2", now);
    assert_int_equal(f->a.m.nparty, 2);
    tap_button(f, "seats", now);
    assert_int_equal(f->a.m.screen, SCR_SEATMAP);
    int64_t reads = f->a.view_reads, appended = f->a.appended;
    /* One moment for the holds: a full read dates a pending hold from the
     * read (as if it reached the coordinator then), the kiosk's own view
     * from when it was saved; either way the model's own timer decides
     * when the guest's hold runs out. */
    tap_seat(f, "T01-01", now + 1000);
    tap_seat(f, "T01-03", now + 1000);
    tap_seat(f, "T01-03", now + 1000); /* released again */
    tap_seat(f, "T01-02", now + 1000);
    assert_view_is_the_journals(f, now + 1000);
    tap_button(f, "confirm", now + 5000);
    tap_button(f, "yes", now + 6000);
    assert_int_equal(f->a.m.screen, SCR_DONE);
    assert_int_equal(f->a.appended - appended, 6); /* 3 holds, a release, 2 assigns */
    assert_int_equal(f->a.w.pending, f->a.appended);
    assert_int_equal(f->a.view_reads, reads); /* never read again */
    assert_string_equal(seat_of(f, "A-1"), "T01-01");
    assert_string_equal(seat_of(f, "B-2"), "T01-02");
    assert_view_is_the_journals(f, now + 6000);
    /* syncd writes (a late sale), the loop reads it; the next guest comes;
     * syncd writes again just before the guest's hold is saved: someone
     * else wrote, so then the view is read in full. */
    tap_button(f, "done", now + 7000);
    syncd_adds_ticket(f, 3, "C-3", "Cat");
    assert_true(kapp_refresh(&f->a, now + 7000, false));
    tap_button(f, "start", now + 8000);
    scan(f, "C-3", now + 8000);
    assert_int_equal(f->a.m.nparty, 1);
    tap_button(f, "seats", now + 9000);
    reads = f->a.view_reads;
    syncd_adds_ticket(f, 4, "D-4", "Dan");
    tap_seat(f, "T02-01", now + 9000);
    assert_int_equal(f->a.view_reads, reads + 1);
    assert_int_equal(f->a.appended - appended, 7);
    assert_true(state_find_ticket(f->a.view, "D-4") >= 0);
    assert_view_is_the_journals(f, now + 9000);
    teardown(f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(own_ops_update_the_view_without_a_read),
    cmocka_unit_test(a_failed_read_is_read_again),
    cmocka_unit_test(a_check_in_the_journal_refused_is_saved_later_once),
    cmocka_unit_test(a_new_layout_is_read_again),
    cmocka_unit_test(a_card_is_printed_once_its_check_in_is_saved),
};

TESTUTIL_MAIN(tests)

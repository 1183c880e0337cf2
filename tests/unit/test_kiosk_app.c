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
#include "text.h"

typedef struct fixture {
    char *dir, *path;
    journal *syncd; /* the other process's connection */
    kapp a;
} fixture;

static journal_identity identity(const char *event_name)
{
    journal_identity id;
    memset(&id, 0, sizeof id);
    text_copy(id.device, sizeof id.device, "door-1");
    id.role = ROLE_DOOR;
    text_copy(id.event_id, sizeof id.event_id, "ev1");
    text_copy(id.event_name, sizeof id.event_name, event_name);
    id.hold_ttl_ms = 120000;
    return id;
}

/* A bootstrapped door journal with ticket A-1, and the kiosk's app on it. */
static fixture *setup(void)
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
    change c;
    memset(&c, 0, sizeof c);
    c.seq = 1;
    c.type = CHANGE_TICKET;
    text_copy(c.ticket.code, sizeof c.ticket.code, "A-1");
    text_copy(c.ticket.name, sizeof c.ticket.name, "Ann");
    assert_int_equal(journal_apply_round(f->syncd, NULL, 0, &c, 1, 1, 1000, NULL), USHER_OK);
    journal_identity id = identity("Old Name");
    assert_int_equal(journal_set_identity(f->syncd, &id, NULL), USHER_OK);
    kconfig cfg = {.mode = KMODE_DOOR,
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

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(a_failed_read_is_read_again),
    cmocka_unit_test(a_check_in_the_journal_refused_is_saved_later_once),
    cmocka_unit_test(a_new_layout_is_read_again),
    cmocka_unit_test(a_card_is_printed_once_its_check_in_is_saved),
};

TESTUTIL_MAIN(tests)

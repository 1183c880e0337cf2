/* test_kiosk_model.c - the kiosk's screen state machine (kiosk/kmodel.c,
 * kguest.c, kdoor.c, kfind.c, kshared.c) driven through its one input path,
 * on a world whose view is the real seating state machine: ops the kiosk
 * emits are applied to it as the journal would show them. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmodel.h"
#include "ktone.h"
#include "qrsig.h"
#include "state.h"
#include "text.h"
#include "ui.h"
#include "zone.h"

#define T0 1800000000000LL

/* A tiny shell: the world, the model, the clock and the ops seen. */
typedef struct fixture {
    layout *l;
    state *st;
    kworld w;
    kmodel m;
    int64_t now;
    keffects fx;      /* of the last input */
    usher_op ops[64]; /* every op saved, in order */
    int nops;
    bool fail_saves;     /* the journal refuses every append (locked, disk full) */
    keffects unsaved[8]; /* what the shell keeps to retry, oldest first */
    int nunsaved;
} fixture;

static void add_ticket(fixture *f, const char *code, const char *name, const char *klass)
{
    assert_int_equal(state_add_ticket(f->st, code, name, klass, NULL, NULL), USHER_OK);
}

static void apply_op(fixture *f, op_kind kind, const char *device, const char *ticket,
                     const char *seat)
{
    usher_op op;
    op_init(&op, kind, device, f->now);
    text_copy(op.ticket, sizeof op.ticket, ticket);
    text_copy(op.seat, sizeof op.seat, seat);
    apply_result res;
    state_apply(f->st, &op, f->now, &res);
    assert_int_equal(res.v.status, VERDICT_ACCEPTED);
}

static fixture *setup(kmode mode)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(layout_generate("gala:2x4,vip=1", &f->l, NULL), USHER_OK);
    state_config cfg = {.reseat = RESEAT_NONE};
    f->st = state_new(f->l, &cfg);
    f->now = T0;
    add_ticket(f, "A-1", "Ann", "Regular");
    add_ticket(f, "B-2", "Bob", "Regular");
    add_ticket(f, "C-3", "Cat", "Regular");
    add_ticket(f, "D-4", "Dan", "Regular");
    add_ticket(f, "V-1", "Vera", "VIP");
    apply_op(f, OP_REVOKE, "admin", "C-3", "");
    apply_op(f, OP_ASSIGN, "admin", "D-4", "T02-04");
    f->w.l = f->l;
    f->w.view = f->st;
    text_copy(f->w.id.device, sizeof f->w.id.device, "k1");
    text_copy(f->w.id.event_name, sizeof f->w.id.event_name, "Test Gala");
    f->w.id.hold_ttl_ms = 120000;
    f->w.st.online = true;
    f->w.st.last_sync_at = f->w.st.last_attempt_at = T0;
    kconfig kc = {.mode = mode,
                  .w = 800,
                  .h = 480,
                  .ppmm = 140 / 25.4,
                  .idle_ms = 60000,
                  .verdict_ms = 3000,
                  .longpress_ms = 3000};
    text_copy(kc.pin, sizeof kc.pin, "2580");
    kmodel_init(&f->m, &kc, &f->w, f->now);
    return f;
}

static void teardown(fixture *f)
{
    state_free(f->st);
    layout_free(f->l);
    free(f);
}

/* A batch saved: applied to the view (as the journal's pending ops would
 * be), remembered, and told to the model. */
static void saved(fixture *f, const keffects *fx)
{
    for (int i = 0; i < fx->nops; i++) {
        apply_result res;
        state_apply(f->st, &fx->ops[i], f->now, &res);
        if (f->nops < 64)
            f->ops[f->nops++] = fx->ops[i];
    }
    kmodel_saved(&f->m, &f->w, fx, f->now);
}

/* The shell's retry at a tick once the journal takes appends again. */
static void retry_unsaved(fixture *f)
{
    for (int i = 0; i < f->nunsaved; i++)
        saved(f, &f->unsaved[i]);
    f->nunsaved = 0;
}

/* One input, its ops saved as the shell would (or refused, when
 * fail_saves: the model undoes them or the shell keeps them). */
static void input(fixture *f, const kiosk_input *in)
{
    kmodel_update(&f->m, &f->w, in, f->now, &f->fx);
    if (!f->fx.nops)
        return;
    if (f->fail_saves) {
        keffects keep = f->fx;
        kmodel_save_failed(&f->m, &f->w, &keep,
                           "journal: the database is busy (database is locked)", f->now);
        if (keep.nops) {
            assert_true(f->nunsaved < 8);
            f->unsaved[f->nunsaved++] = keep;
        }
        return;
    }
    saved(f, &f->fx);
}

static void tick(fixture *f, int64_t ms)
{
    f->now += ms;
    kiosk_input in = {.kind = KIN_TICK};
    input(f, &in);
}

/* A finger: the lift is hit-tested on the frame as the shell would draw it. */
static void tap_xy(fixture *f, float x, float y)
{
    kiosk_input d = {.kind = KIN_DOWN, .x = x, .y = y}, u = {.kind = KIN_UP, .x = x, .y = y};
    input(f, &d);
    ui_frame fr;
    ui_frame_init(&fr);
    fr.skip_seats = true;
    ui_build(&f->m, &f->w, f->now, &fr);
    ui_hit(&fr, &u);
    ui_frame_release(&fr);
    input(f, &u);
}

static bool button_rect(fixture *f, const char *name, krect *r)
{
    ui_frame fr;
    ui_frame_init(&fr);
    fr.skip_seats = true;
    ui_build(&f->m, &f->w, f->now, &fr);
    const ui_button *b = ui_find_button(&fr, name);
    bool ok = b && b->enabled;
    if (b)
        *r = b->r;
    ui_frame_release(&fr);
    return ok;
}

static void tap_button(fixture *f, const char *name)
{
    krect r;
    if (!button_rect(f, name, &r))
        fail_msg("button %s not on screen %s", name, kscreen_name(f->m.screen));
    tap_xy(f, r.x + r.w / 2, r.y + r.h / 2);
}

static void type(fixture *f, const char *text, int64_t gap)
{
    for (const char *p = text; *p; p++) {
        kiosk_input in = {.kind = KIN_TEXT};
        in.text[0] = *p;
        f->now += gap;
        input(f, &in);
    }
}

static void key(fixture *f, kkey k)
{
    kiosk_input in = {.kind = KIN_KEY, .key = k};
    input(f, &in);
}

static void enter_code(fixture *f, const char *code)
{
    type(f, code, 150);
    key(f, KKEY_RETURN);
}

static void tap_seat(fixture *f, const char *id)
{
    assert_int_equal(f->m.screen, SCR_SEATMAP);
    const layout_seat *s = layout_seat_at(f->l, layout_find_seat(f->l, id));
    for (int i = 0; i < 3; i++) {
        float x, y;
        seatmap_to_screen(&f->m.map, s->x, s->y, &x, &y);
        bool close = seatmap_tappable(&f->m.map);
        tap_xy(f, x, y);
        if (close)
            return;
    }
    fail_msg("seat %s never became tappable", id);
}

static klook look(fixture *f, const char *id)
{
    return kmodel_seat_look(&f->m, &f->w, layout_find_seat(f->l, id), f->now);
}

static int count_ops(fixture *f, op_kind kind)
{
    int n = 0;
    for (int i = 0; i < f->nops; i++)
        n += f->ops[i].kind == kind;
    return n;
}

static void to_seatmap(fixture *f, const char *const *codes, int n)
{
    tap_button(f, "start");
    assert_int_equal(f->m.screen, SCR_ENTRY);
    for (int i = 0; i < n; i++)
        enter_code(f, codes[i]);
    assert_int_equal(f->m.nparty, n);
    tap_button(f, "seats");
    assert_int_equal(f->m.screen, SCR_SEATMAP);
}

/* ---- guest --------------------------------------------------------------------- */

static void waiting_until_the_journal_is_set_up(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    kworld empty = f->w;
    empty.l = NULL;
    empty.view = NULL;
    kmodel_init(&f->m, &f->m.cfg, &empty, f->now);
    assert_int_equal(f->m.screen, SCR_WAITING);
    kiosk_input in = {.kind = KIN_TICK};
    kmodel_update(&f->m, &f->w, &in, f->now, &f->fx);
    assert_int_equal(f->m.screen, SCR_ATTRACT);
    teardown(f);
}

/* A journal on a full disk: the storage screen at start (no journal at all)
 * and from an idle screen when syncd says so; a guest already choosing is
 * left alone; the start screen again once there is space. */
static void storage_full_says_so(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    kworld none = f->w;
    none.l = NULL;
    none.view = NULL;
    none.storage_full = true;
    kconfig cfg = f->m.cfg; /* kmodel_init clears the model first */
    kmodel_init(&f->m, &cfg, &none, f->now);
    assert_int_equal(f->m.screen, SCR_STORAGE);
    kiosk_input in = {.kind = KIN_TICK};
    kmodel_update(&f->m, &none, &in, f->now, &f->fx);
    assert_int_equal(f->m.screen, SCR_STORAGE);
    assert_int_equal(f->fx.nops, 0);
    tick(f, 100); /* opened at last, with space */
    assert_int_equal(f->m.screen, SCR_ATTRACT);
    /* A guest choosing when syncd finds the disk full carries on... */
    tap_button(f, "start");
    assert_int_equal(f->m.screen, SCR_ENTRY);
    f->w.st.storage_full = true;
    tick(f, 100);
    assert_int_equal(f->m.screen, SCR_ENTRY);
    /* ...the next one sees the storage screen, where taps and keys do nothing. */
    tap_button(f, "cancel");
    tick(f, 100);
    assert_int_equal(f->m.screen, SCR_STORAGE);
    tap_xy(f, 400, 240);
    kiosk_input key = {.kind = KIN_TEXT};
    text_copy(key.text, sizeof key.text, "A");
    input(f, &key);
    assert_int_equal(f->m.screen, SCR_STORAGE);
    assert_int_equal(f->nops, 0);
    f->w.st.storage_full = false;
    tick(f, 100);
    assert_int_equal(f->m.screen, SCR_ATTRACT);
    teardown(f);
}

static void codes_typed_or_keyed_make_a_party(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    tap_button(f, "start");
    enter_code(f, " a-1 ");
    for (const char *p = "B-2"; *p; p++) {
        char name[8] = "key_";
        name[4] = *p;
        name[5] = '\0';
        tap_button(f, name);
    }
    tap_button(f, "ok");
    assert_int_equal(f->m.nparty, 2);
    assert_string_equal(f->m.party[0].code, "A-1");
    assert_string_equal(f->m.party[0].name, "Ann");
    assert_string_equal(f->m.party[1].code, "B-2");
    enter_code(f, "A-1");
    assert_int_equal(f->m.msg.kind, MSG_INFO);
    assert_string_equal(f->m.msg.title, "Already added");
    assert_int_equal(f->m.nparty, 2);
    teardown(f);
}

static void refusals_say_what_to_do(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    tap_button(f, "start");
    enter_code(f, "Z-9");
    assert_int_equal(f->m.msg.kind, MSG_REFUSAL);
    assert_string_equal(f->m.msg.title, "Unknown ticket");
    assert_non_null(strstr(f->m.msg.body, "Please check the number"));
    tap_button(f, "ok");
    enter_code(f, "C-3");
    assert_string_equal(f->m.msg.title, "Ticket cancelled");
    assert_non_null(strstr(f->m.msg.body, "front desk"));
    key(f, KKEY_RETURN);
    enter_code(f, "bad code!");
    assert_string_equal(f->m.msg.title, "Not a ticket number");
    key(f, KKEY_RETURN);
    /* A generated-looking code whose check character is wrong: a typo. */
    enter_code(f, "GALA-7KQ3M-XH2PA");
    assert_string_equal(f->m.msg.title, "Mistyped?");
    assert_int_equal(f->m.nparty, 0);
    assert_int_equal(f->nops, 0);
    teardown(f);
}

static void wrong_codes_slow_the_keypad_more_each_time(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    tap_button(f, "start");
    for (int i = 0; i < 3; i++) {
        enter_code(f, "Z-9");
        key(f, KKEY_RETURN);
    }
    krect r;
    assert_false(button_rect(f, "key_A", &r)); /* disabled */
    int64_t first = f->m.locked_until - f->now;
    assert_true(first > 4000 && first <= 5000);
    enter_code(f, "A-1"); /* even a right code waits */
    assert_string_equal(f->m.msg.title, "Please wait");
    assert_int_equal(f->m.nparty, 0);
    key(f, KKEY_RETURN);
    tick(f, first);
    assert_true(button_rect(f, "key_A", &r));
    enter_code(f, "Z-8");
    key(f, KKEY_RETURN);
    int64_t second = f->m.locked_until - f->now;
    assert_true(second > first && second <= 10000);
    tick(f, second);
    enter_code(f, "A-1");
    assert_int_equal(f->m.nparty, 1);
    assert_int_equal(f->m.wrong, 0);
    teardown(f);
}

static void seated_ticket_can_keep_or_change(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    tap_button(f, "start");
    enter_code(f, "D-4");
    assert_true(f->m.msg.offer_change);
    assert_non_null(strstr(f->m.msg.body, "Table 2, seat 4"));
    tap_button(f, "keep");
    assert_int_equal(f->m.nparty, 0);
    enter_code(f, "D-4");
    tap_button(f, "change");
    assert_int_equal(f->m.nparty, 1);
    assert_string_equal(f->m.party[0].had_seat, "T02-04");
    tap_button(f, "seats");
    assert_int_equal(look(f, "T02-04"), LOOK_MINE);
    tap_seat(f, "T02-01");
    tap_button(f, "confirm");
    tap_button(f, "yes");
    const usher_op *a = &f->ops[f->nops - 1];
    assert_int_equal(a->kind, OP_ASSIGN);
    assert_string_equal(a->seat, "T02-01");
    assert_string_equal(a->expect_ticket_seat, "T02-04"); /* a deliberate move */
    teardown(f);
}

static void tap_holds_tap_again_releases(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    const char *codes[] = {"A-1"};
    to_seatmap(f, codes, 1);
    assert_int_equal(look(f, "T02-01"), LOOK_FREE);
    tap_seat(f, "T02-01");
    assert_int_equal(count_ops(f, OP_HOLD), 1);
    assert_string_equal(f->ops[0].seat, "T02-01");
    assert_int_equal(f->ops[0].ttl_ms, 120000);
    assert_string_equal(f->ops[0].device, "k1");
    assert_int_equal(look(f, "T02-01"), LOOK_MINE);
    assert_string_equal(f->m.party[0].seat, "T02-01");
    tap_seat(f, "T02-01");
    assert_int_equal(count_ops(f, OP_RELEASE), 1);
    assert_int_equal(look(f, "T02-01"), LOOK_FREE);
    assert_string_equal(f->m.party[0].seat, "");
    teardown(f);
}

static void class_and_taken_seats_are_refused(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    const char *codes[] = {"A-1"};
    to_seatmap(f, codes, 1);
    assert_int_equal(look(f, "T01-01"), LOOK_CLASS);
    tap_seat(f, "T01-01");
    assert_string_equal(f->m.msg.title, "Not for this ticket");
    assert_non_null(strstr(f->m.msg.body, "VIP"));
    tap_button(f, "ok");
    assert_int_equal(look(f, "T02-04"), LOOK_TAKEN);
    tap_seat(f, "T02-04");
    assert_string_equal(f->m.msg.title, "Seat taken");
    tap_button(f, "ok");
    apply_op(f, OP_HOLD, "k2", "", "T02-03");
    assert_int_equal(look(f, "T02-03"), LOOK_HELD);
    tap_seat(f, "T02-03");
    assert_string_equal(f->m.msg.title, "Seat being chosen");
    assert_int_equal(f->nops, 0);
    teardown(f);
}

static void confirm_assigns_the_party_together(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    const char *codes[] = {"A-1", "B-2"};
    to_seatmap(f, codes, 2);
    krect r;
    tap_seat(f, "T02-01");
    assert_false(button_rect(f, "confirm", &r)); /* B-2 has no seat yet */
    tap_seat(f, "T02-02");
    tap_button(f, "confirm");
    assert_int_equal(f->m.screen, SCR_CONFIRM);
    int before = f->nops;
    tap_button(f, "yes");
    assert_int_equal(f->m.screen, SCR_DONE);
    assert_int_equal(f->nops - before, 2);
    const usher_op *a = &f->ops[before], *b = &f->ops[before + 1];
    assert_true(a->kind == OP_ASSIGN && b->kind == OP_ASSIGN);
    assert_string_equal(a->ticket, "A-1");
    assert_string_equal(a->seat, "T02-01");
    assert_string_equal(b->ticket, "B-2");
    assert_string_equal(b->seat, "T02-02");
    assert_true(a->party[0] && !strcmp(a->party, b->party));
    assert_string_equal(a->expect_ticket_seat, "");
    char qr[400];
    kmodel_confirmation_text(&f->m, &f->w, qr, sizeof qr);
    assert_non_null(strstr(qr, "A-1 T02-01 (Table 2, seat 1)"));
    assert_non_null(strstr(qr, "B-2 T02-02"));
    teardown(f);
}

static void seat_taken_meanwhile_is_told(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    const char *codes[] = {"A-1"};
    to_seatmap(f, codes, 1);
    tap_seat(f, "T02-02");
    /* The coordinator refused the hold: another kiosk seated B-2 there. */
    apply_op(f, OP_RELEASE, "k1", "", "T02-02");
    apply_op(f, OP_ASSIGN, "k2", "B-2", "T02-02");
    tick(f, 100);
    assert_string_equal(f->m.msg.title, "Seat taken meanwhile");
    assert_non_null(strstr(f->m.msg.body, "Table 2, seat 2"));
    assert_string_equal(f->m.party[0].seat, "");
    assert_int_equal(look(f, "T02-02"), LOOK_TAKEN);
    teardown(f);
}

static void reseat_shows_on_the_confirmation(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    const char *codes[] = {"A-1"};
    to_seatmap(f, codes, 1);
    tap_seat(f, "T02-02");
    tap_button(f, "confirm");
    tap_button(f, "yes");
    /* syncd later records: seat taken, the coordinator seated A-1 at T02-03. */
    apply_op(f, OP_UNASSIGN, "admin", "A-1", "");
    apply_op(f, OP_ASSIGN, "admin", "A-1", "T02-03");
    tick(f, 100);
    assert_string_equal(kmodel_guest_seat(&f->m, &f->w, 0), "T02-03");
    ui_frame fr;
    ui_frame_init(&fr);
    ui_build(&f->m, &f->w, f->now, &fr);
    assert_true(ui_has_text(&fr, "Seat changed"));
    assert_true(ui_has_text(&fr, "now sits at Table 2, seat 3"));
    ui_frame_release(&fr);
    teardown(f);
}

static void a_confirmation_not_saved_goes_back(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    const char *codes[] = {"A-1"};
    to_seatmap(f, codes, 1);
    tap_seat(f, "T02-02");
    tap_button(f, "confirm");
    f->fail_saves = true;
    tap_button(f, "yes");
    assert_int_equal(f->m.screen, SCR_CONFIRM);
    assert_string_equal(f->m.party[0].assigned, "");
    assert_string_equal(f->m.msg.title, "Not saved");
    assert_int_equal(count_ops(f, OP_ASSIGN), 0);
    assert_int_equal(f->nunsaved, 0); /* undone: the guest taps Yes again */
    /* The guest reads plain words; the journal's are for staff. */
    assert_string_equal(f->m.msg.body,
                        "This kiosk could not save that; please try again or ask staff.");
    assert_non_null(strstr(f->m.save_error, "database is locked"));
    f->fail_saves = false;
    tap_button(f, "ok");
    tap_button(f, "yes");
    assert_int_equal(f->m.screen, SCR_DONE);
    assert_int_equal(count_ops(f, OP_ASSIGN), 1);
    teardown(f);
}

/* A hold the journal refused is let go at once: not "taken at another
 * kiosk" a tick later (the seat was never anybody's). */
static void a_hold_not_saved_is_let_go_plainly(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    const char *codes[] = {"A-1"};
    to_seatmap(f, codes, 1);
    f->fail_saves = true;
    tap_seat(f, "T02-02");
    assert_string_equal(f->m.msg.title, "Not saved");
    assert_null(strstr(f->m.msg.body, "locked"));
    assert_string_equal(f->m.party[0].seat, "");
    assert_int_equal(f->nunsaved, 0);
    f->fail_saves = false;
    tap_button(f, "ok");
    tick(f, 100);
    assert_int_equal(f->m.msg.kind, MSG_NONE);
    assert_int_equal(look(f, "T02-02"), LOOK_FREE);
    tap_seat(f, "T02-02");
    assert_int_equal(count_ops(f, OP_HOLD), 1);
    assert_string_equal(f->m.party[0].seat, "T02-02");
    teardown(f);
}

/* The ticket is revoked at the front desk while its guest chooses: it leaves
 * the party (its hold let go) and is never confirmed. */
static void a_ticket_revoked_while_choosing_leaves_the_party(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    const char *codes[] = {"A-1", "B-2"};
    to_seatmap(f, codes, 2);
    tap_seat(f, "T02-01");
    tap_seat(f, "T02-02");
    tap_button(f, "confirm");
    assert_int_equal(f->m.screen, SCR_CONFIRM);
    apply_op(f, OP_REVOKE, "admin", "A-1", "");
    tap_button(f, "yes");
    assert_string_equal(f->m.msg.title, "Ticket cancelled");
    assert_non_null(strstr(f->m.msg.body, "A-1 was cancelled"));
    assert_int_equal(f->m.screen, SCR_SEATMAP);
    assert_int_equal(count_ops(f, OP_ASSIGN), 0);
    assert_int_equal(f->m.nparty, 1);
    assert_string_equal(f->m.party[0].code, "B-2");
    assert_int_equal(f->ops[f->nops - 1].kind, OP_RELEASE);
    assert_string_equal(f->ops[f->nops - 1].seat, "T02-01");
    tap_button(f, "ok");
    tap_button(f, "confirm");
    tap_button(f, "yes");
    assert_int_equal(f->m.screen, SCR_DONE);
    assert_int_equal(count_ops(f, OP_ASSIGN), 1);
    assert_string_equal(f->ops[f->nops - 1].ticket, "B-2");
    teardown(f);
}

/* Confirmed offline, refused by the coordinator (revoked meanwhile): the
 * confirmation says so, shows no seat for it and leaves it out of the QR. */
static void a_refused_assign_is_not_seated_on_the_confirmation(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    const char *codes[] = {"A-1", "B-2"};
    to_seatmap(f, codes, 2);
    tap_seat(f, "T02-01");
    tap_seat(f, "T02-02");
    tap_button(f, "confirm");
    tap_button(f, "yes");
    assert_int_equal(f->m.screen, SCR_DONE);
    const char *ids[KPARTY_MAX];
    assert_int_equal(kmodel_watched_ops(&f->m, ids, KPARTY_MAX), 2);
    /* syncd records the verdicts: A-1's assign rejected (revoked). */
    apply_op(f, OP_UNASSIGN, "admin", "A-1", "");
    apply_op(f, OP_REVOKE, "admin", "A-1", "");
    f->w.nops = 2;
    text_copy(f->w.ops[0].op_id, sizeof f->w.ops[0].op_id, ids[0]);
    f->w.ops[0].state = OUTBOX_REJECTED;
    f->w.ops[0].reason = REASON_REVOKED;
    text_copy(f->w.ops[1].op_id, sizeof f->w.ops[1].op_id, ids[1]);
    f->w.ops[1].state = OUTBOX_ACCEPTED;
    tick(f, 100);
    assert_true(kmodel_guest_refused(&f->m, &f->w, 0));
    assert_false(kmodel_guest_refused(&f->m, &f->w, 1));
    assert_string_equal(kmodel_guest_seat(&f->m, &f->w, 0), "");
    char qr[KMODEL_QR_TEXT_SIZE];
    assert_int_equal(kmodel_confirmation_text(&f->m, &f->w, qr, sizeof qr), 1);
    assert_null(strstr(qr, "A-1"));
    assert_non_null(strstr(qr, "B-2 T02-02"));
    ui_frame fr;
    ui_frame_init(&fr);
    ui_build(&f->m, &f->w, f->now, &fr);
    assert_false(ui_has_text(&fr, "You are seated"));
    assert_true(ui_has_text(&fr, "Not every ticket could be seated"));
    assert_true(ui_has_text(&fr, "A-1 Ann: NOT seated - ticket cancelled"));
    assert_true(ui_has_text(&fr, "B-2 Bob: Table 2, seat 2"));
    assert_false(ui_has_text(&fr, "Seat changed"));
    assert_string_equal(fr.qr_text, qr);
    ui_frame_release(&fr);
    teardown(f);
}

/* A code longer than a ticket's is refused, not cut to length and taken. */
static void a_code_too_long_is_not_a_ticket(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    add_ticket(f, "PARTY-00000000000000000000000001", "Pat", "Regular");
    tap_button(f, "start");
    type(f, "PARTY-00000000000000000000000001JUNK", 2);
    key(f, KKEY_RETURN);
    assert_string_equal(f->m.msg.title, "Not a ticket number");
    assert_int_equal(f->m.nparty, 0);
    key(f, KKEY_RETURN);
    enter_code(f, "PARTY-00000000000000000000000001");
    assert_int_equal(f->m.nparty, 1);
    teardown(f);
    f = setup(KMODE_DOOR);
    add_ticket(f, "PARTY-00000000000000000000000001", "Pat", "Regular");
    type(f, "PARTY-00000000000000000000000001JUNK", 2);
    key(f, KKEY_RETURN);
    assert_int_equal(f->m.verdict.kind, VERDICT_REFUSED);
    assert_string_equal(f->m.verdict.title, "NOT VALID");
    assert_int_equal(f->nops, 0);
    teardown(f);
}

static void idle_guest_releases_holds(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    const char *codes[] = {"A-1"};
    to_seatmap(f, codes, 1);
    tap_seat(f, "T02-01");
    tick(f, 59000);
    assert_int_equal(f->m.screen, SCR_SEATMAP);
    tick(f, 1000);
    assert_int_equal(f->m.screen, SCR_ATTRACT);
    assert_int_equal(f->ops[f->nops - 1].kind, OP_RELEASE);
    assert_string_equal(f->ops[f->nops - 1].seat, "T02-01");
    assert_int_equal(f->m.nparty, 0);
    teardown(f);
}

static void expired_hold_is_released(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    f->m.cfg.idle_ms = 600000;
    const char *codes[] = {"A-1"};
    to_seatmap(f, codes, 1);
    tap_seat(f, "T02-01");
    int64_t until = f->m.party[0].hold_until;
    tick(f, until - f->now);
    assert_string_equal(f->m.msg.title, "Time ran out");
    assert_int_equal(f->ops[f->nops - 1].kind, OP_RELEASE);
    assert_string_equal(f->m.party[0].seat, "");
    teardown(f);
}

static void offline_lease_policy_offers_only_leased_seats(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    f->w.policy = JOURNAL_POLICY_LEASE;
    apply_op(f, OP_LEASE, "k1", "", "T02-01");
    const char *codes[] = {"A-1"};
    to_seatmap(f, codes, 1);
    assert_int_equal(look(f, "T02-02"), LOOK_FREE); /* online: every free seat */
    f->w.st.online = false;
    assert_true(kmodel_offline(&f->w, f->now));
    assert_int_equal(look(f, "T02-02"), LOOK_UNAVAILABLE);
    assert_int_equal(look(f, "T02-01"), LOOK_FREE);
    tap_seat(f, "T02-02");
    assert_string_equal(f->m.msg.title, "Offline");
    assert_int_equal(count_ops(f, OP_HOLD), 0);
    teardown(f);
}

static void silent_syncd_counts_as_offline(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    assert_false(kmodel_offline(&f->w, f->now + 29000));
    assert_true(kmodel_offline(&f->w, f->now + 31000));
    teardown(f);
}

/* ---- door and staff ------------------------------------------------------------ */

static void door_verdicts(void **unused)
{
    zone_use("UTC");
    fixture *f = setup(KMODE_DOOR);
    assert_int_equal(f->m.screen, SCR_DOOR);
    enter_code(f, "D-4");
    assert_int_equal(f->m.screen, SCR_VERDICT);
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_string_equal(f->m.verdict.name, "Dan");
    assert_string_equal(f->m.verdict.seat, "T02-04");
    assert_int_equal(f->ops[f->nops - 1].kind, OP_CHECKIN);
    assert_string_equal(f->ops[f->nops - 1].ticket, "D-4");
    tick(f, 3000);
    assert_int_equal(f->m.screen, SCR_DOOR);
    enter_code(f, "D-4");
    assert_int_equal(f->m.verdict.kind, VERDICT_ALREADY);
    /* When, in the event's zone and as English writes it; the day too once
     * it was not today. */
    assert_string_equal(f->m.verdict.detail, "Checked in at 8:00 AM by k1");
    tick(f, 3000);
    f->now += 2 * 86400000LL;
    enter_code(f, "D-4");
    assert_string_equal(f->m.verdict.detail, "Checked in at 15 Jan, 8:00 AM by k1");
    enter_code(f, "C-3");
    assert_int_equal(f->m.verdict.kind, VERDICT_REFUSED);
    assert_string_equal(f->m.verdict.title, "REVOKED");
    int n = f->nops;
    enter_code(f, "Q-7");
    assert_int_equal(f->m.verdict.kind, VERDICT_REFUSED);
    assert_string_equal(f->m.verdict.title, "UNKNOWN TICKET");
    assert_int_equal(f->nops, n); /* nothing to record for a code nobody issued */
    type(f, "U1.A-1.NOTASIGNATURE", 2);
    key(f, KKEY_TAB);
    assert_int_equal(f->m.verdict.kind, VERDICT_REFUSED);
    assert_non_null(strstr(f->m.verdict.detail, "forged, altered"));
    assert_int_equal(f->nops, n + 1); /* a scan_refused op: the dashboard's alert */
    teardown(f);
}

/* Exit mode: the toggle on the door screen; a ticket inside is scanned out
 * (GOODBYE, a checkout op), any other is NOT INSIDE and nothing is
 * recorded; back in entry mode the guest is WELCOME BACK (a checkin op), or
 * NO RE-ENTRY when the event refuses it. */
static void door_exit_mode_and_reentry(void **unused)
{
    fixture *f = setup(KMODE_DOOR);
    enter_code(f, "A-1"); /* in */
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    tick(f, 3000);
    assert_int_equal(f->m.screen, SCR_DOOR);
    ui_frame fr;
    ui_frame_init(&fr);
    ui_build(&f->m, &f->w, f->now, &fr);
    assert_true(ui_has_text(&fr, "inside now 1"));
    assert_true(ui_has_text(&fr, "Exit mode"));
    ui_frame_release(&fr);
    krect r;
    assert_true(button_rect(f, "exit_mode", &r));
    tap_xy(f, r.x + r.w / 2, r.y + r.h / 2);
    assert_true(f->m.exit_mode);
    ui_frame_init(&fr);
    ui_build(&f->m, &f->w, f->now, &fr);
    assert_true(ui_has_text(&fr, "Entry mode"));
    assert_true(ui_has_text(&fr, "EXIT"));
    ui_frame_release(&fr);
    int n = f->nops;
    enter_code(f, "B-2"); /* never came in */
    assert_int_equal(f->m.verdict.kind, VERDICT_ALREADY);
    assert_string_equal(f->m.verdict.title, "NOT INSIDE");
    assert_int_equal(f->nops, n);
    tick(f, 3000);
    enter_code(f, "A-1"); /* out */
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_string_equal(f->m.verdict.title, "GOODBYE");
    assert_int_equal(f->nops, n + 1);
    assert_int_equal(f->ops[f->nops - 1].kind, OP_CHECKOUT);
    assert_true(f->m.verdict.saved);
    tick(f, 100); /* another door's check-in does not turn GOODBYE amber */
    assert_string_equal(f->m.verdict.title, "GOODBYE");
    tick(f, 3000);
    ui_frame_init(&fr);
    ui_build(&f->m, &f->w, f->now, &fr);
    assert_true(ui_has_text(&fr, "inside now 0"));
    ui_frame_release(&fr);
    enter_code(f, "A-1"); /* out again: not inside */
    assert_string_equal(f->m.verdict.title, "NOT INSIDE");
    tick(f, 3000);
    assert_true(button_rect(f, "exit_mode", &r));
    tap_xy(f, r.x + r.w / 2, r.y + r.h / 2);
    assert_false(f->m.exit_mode);
    enter_code(f, "A-1"); /* back in */
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_string_equal(f->m.verdict.title, "WELCOME BACK");
    assert_int_equal(f->ops[f->nops - 1].kind, OP_CHECKIN);
    tick(f, 3000);
    /* The event refuses re-entry: out, then NO RE-ENTRY (still recorded:
     * the coordinator raises its duplicate alert). */
    f->m.exit_mode = true;
    enter_code(f, "A-1");
    assert_string_equal(f->m.verdict.title, "GOODBYE");
    tick(f, 3000);
    f->m.exit_mode = false;
    f->w.id.settings.reentry_refused = true;
    n = f->nops;
    enter_code(f, "A-1");
    assert_int_equal(f->m.verdict.kind, VERDICT_REFUSED);
    assert_string_equal(f->m.verdict.title, "NO RE-ENTRY");
    assert_int_equal(f->nops, n + 1);
    assert_int_equal(f->ops[f->nops - 1].kind, OP_CHECKIN);
    teardown(f);
}

/* The journal refuses the check-in (locked, disk full): the verdict is not
 * green and says NOT RECORDED, stays until the op is saved, and the
 * admission counts only then; the op saved later is the one made at the
 * scan. */
static void door_verdict_not_recorded_until_saved(void **unused)
{
    fixture *f = setup(KMODE_DOOR);
    f->fail_saves = true;
    enter_code(f, "A-1");
    assert_int_equal(f->m.screen, SCR_VERDICT);
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_false(f->m.verdict.saved);
    assert_int_equal(f->nunsaved, 1);
    assert_int_equal(f->unsaved[0].nops, 1);
    assert_int_equal(f->unsaved[0].ops[0].kind, OP_CHECKIN);
    assert_string_equal(f->unsaved[0].ops[0].id, f->m.verdict.op_id);
    assert_int_equal(f->m.admitted, 0);
    ui_frame fr;
    ui_frame_init(&fr);
    ui_build(&f->m, &f->w, f->now, &fr);
    assert_true(ui_has_text(&fr, "NOT RECORDED"));
    assert_true(ui_has_text(&fr, "tell staff"));
    assert_false(ui_has_text(&fr, "admitted here: 1"));
    kcolor green = {20, 120, 50, 255}; /* ui.c's verdict green */
    for (int i = 0; i < fr.nitems; i++)
        assert_false(fr.items[i].kind == UI_FILL && !memcmp(&fr.items[i].c, &green, sizeof green));
    ui_frame_release(&fr);
    tick(f, 10000); /* no timer while unsaved */
    assert_int_equal(f->m.screen, SCR_VERDICT);
    f->fail_saves = false;
    retry_unsaved(f);
    assert_true(f->m.verdict.saved);
    assert_int_equal(f->m.admitted, 1);
    assert_int_equal(count_ops(f, OP_CHECKIN), 1);
    tick(f, 2900);
    assert_int_equal(f->m.screen, SCR_VERDICT);
    tick(f, 100);
    assert_int_equal(f->m.screen, SCR_DOOR);
    teardown(f);
}

static void door_verdict_follows_the_coordinator(void **unused)
{
    fixture *f = setup(KMODE_DOOR);
    enter_code(f, "A-1");
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    /* The coordinator says another door was first: the replica now has it. */
    state_free(f->st);
    state_config cfg = {.reseat = RESEAT_NONE};
    f->st = state_new(f->l, &cfg);
    add_ticket(f, "A-1", "Ann", "Regular");
    apply_op(f, OP_CHECKIN, "door-2", "A-1", "");
    f->w.view = f->st;
    tick(f, 100);
    assert_int_equal(f->m.verdict.kind, VERDICT_ALREADY);
    assert_int_equal(f->fx.tone, KTONE_ALREADY); /* staff hear the turn to amber */
    assert_non_null(strstr(f->m.verdict.detail, "door-2"));
    teardown(f);
}

static void scanner_without_terminator_submits_after_a_pause(void **unused)
{
    fixture *f = setup(KMODE_DOOR);
    add_ticket(f, "SCAN-0001", "Sam", "");
    type(f, "SCAN-0001", 3); /* scanner speed */
    tick(f, 100);
    assert_int_equal(f->m.screen, SCR_DOOR);
    tick(f, 300);
    assert_int_equal(f->m.screen, SCR_VERDICT);
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    /* A person typing slowly is not a scanner: no submit on a pause. */
    tick(f, 3000);
    type(f, "B-2", 400);
    tick(f, 1000);
    assert_int_equal(f->m.screen, SCR_DOOR);
    assert_string_equal(f->m.entry, "B-2");
    teardown(f);
}

static void staff_gesture_pin_and_maintenance(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    kiosk_input d = {.kind = KIN_DOWN, .x = 5, .y = 5};
    input(f, &d);
    tick(f, 2900);
    assert_int_equal(f->m.screen, SCR_ATTRACT);
    tick(f, 200);
    assert_int_equal(f->m.screen, SCR_PIN);
    kiosk_input u = {.kind = KIN_UP, .x = 5, .y = 5};
    input(f, &u);
    type(f, "1111", 100);
    key(f, KKEY_RETURN);
    assert_string_equal(f->m.msg.title, "Wrong PIN");
    key(f, KKEY_RETURN);
    tap_button(f, "pin_2");
    tap_button(f, "pin_5");
    tap_button(f, "pin_8");
    tap_button(f, "pin_0");
    tap_button(f, "pin_ok");
    assert_int_equal(f->m.screen, SCR_MAINT);
    tap_button(f, "door");
    assert_int_equal(f->m.mode, KMODE_DOOR);
    assert_int_equal(f->m.screen, SCR_DOOR);
    input(f, &d);
    tick(f, 3000);
    input(f, &u);
    type(f, "2580", 100);
    key(f, KKEY_RETURN);
    tap_button(f, "quit");
    assert_true(f->fx.quit);
    teardown(f);
}

/* Signed tickets: this event's admits (offline: the key is on the device); a
 * genuine one of another event says so, with its name, and raises no forgery
 * alert; one altered by a byte is refused as forged and recorded. */
static void door_tells_another_event_from_a_forgery(void **unused)
{
    (void)unused;
    fixture *f = setup(KMODE_DOOR);
    qrsig_keypair here, there;
    assert_int_equal(qrsig_keygen(&here), USHER_OK);
    assert_int_equal(qrsig_keygen(&there), USHER_OK);
    memcpy(f->w.pk, here.pk, sizeof f->w.pk);
    f->w.have_pk = true;
    text_copy(f->w.id.event_id, sizeof f->w.id.event_id, "ev-here");
    char ours[QRSIG_PAYLOAD_SIZE], theirs[QRSIG_PAYLOAD_SIZE], nameless[QRSIG_PAYLOAD_SIZE];
    assert_int_equal(qrsig_sign2(here.sk, "ev-here", "Test Gala", "B-2", ours, NULL), USHER_OK);
    assert_int_equal(qrsig_sign2(there.sk, "ev-there", "Summer Ball", "B-2", theirs, NULL),
                     USHER_OK);
    assert_int_equal(qrsig_sign2(there.sk, "ev-there", NULL, "B-2", nameless, NULL), USHER_OK);
    type(f, theirs, 2);
    key(f, KKEY_RETURN);
    assert_int_equal(f->m.verdict.kind, VERDICT_REFUSED);
    assert_string_equal(f->m.verdict.title, "ANOTHER EVENT");
    assert_non_null(strstr(f->m.verdict.detail, "This ticket is for Summer Ball"));
    assert_int_equal(f->nops, 0);
    tick(f, 3500);
    type(f, nameless, 2);
    key(f, KKEY_RETURN);
    assert_string_equal(f->m.verdict.detail,
                        "This ticket is for another event. Send the guest to the front desk");
    assert_int_equal(f->nops, 0);
    tick(f, 3500);
    char bad[QRSIG_PAYLOAD_SIZE];
    text_copy(bad, sizeof bad, ours);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'A' ? 'B' : 'A';
    type(f, bad, 2);
    key(f, KKEY_RETURN);
    assert_string_equal(f->m.verdict.title, "NOT VALID");
    assert_int_equal(f->nops, 1);
    assert_int_equal(f->ops[0].kind, OP_SCAN_REFUSED);
    tick(f, 3500);
    type(f, ours, 2);
    key(f, KKEY_RETURN);
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_string_equal(f->m.verdict.name, "Bob");
    assert_int_equal(f->nops, 2);
    assert_string_equal(f->ops[1].ticket, "B-2");
    teardown(f);
}

/* The same at a guest kiosk: another event's ticket is named, not counted
 * as a wrong code, and raises no alert; a forged one is both. */
static void guest_kiosk_names_another_event(void **unused)
{
    (void)unused;
    fixture *f = setup(KMODE_GUEST);
    qrsig_keypair here, there;
    assert_int_equal(qrsig_keygen(&here), USHER_OK);
    assert_int_equal(qrsig_keygen(&there), USHER_OK);
    memcpy(f->w.pk, here.pk, sizeof f->w.pk);
    f->w.have_pk = true;
    text_copy(f->w.id.event_id, sizeof f->w.id.event_id, "ev-here");
    char theirs[QRSIG_PAYLOAD_SIZE], ours[QRSIG_PAYLOAD_SIZE];
    assert_int_equal(qrsig_sign2(there.sk, "ev-there", "Summer Ball", "A-1", theirs, NULL),
                     USHER_OK);
    assert_int_equal(qrsig_sign2(here.sk, "ev-here", "Test Gala", "A-1", ours, NULL), USHER_OK);
    tap_xy(f, 400, 300);
    assert_int_equal(f->m.screen, SCR_ENTRY);
    type(f, theirs, 2);
    key(f, KKEY_RETURN);
    assert_string_equal(f->m.msg.title, "Another event");
    assert_non_null(strstr(f->m.msg.body, "This ticket is for Summer Ball"));
    assert_int_equal(f->m.wrong, 0);
    assert_int_equal(f->nops, 0);
    key(f, KKEY_RETURN);
    ours[strlen(ours) - 2] = ours[strlen(ours) - 2] == 'A' ? 'B' : 'A';
    type(f, ours, 2);
    key(f, KKEY_RETURN);
    assert_string_equal(f->m.msg.title, "Not a valid ticket");
    assert_int_equal(f->m.wrong, 1);
    assert_int_equal(f->nops, 1);
    assert_int_equal(f->ops[0].kind, OP_SCAN_REFUSED);
    teardown(f);
}

static void open_find(fixture *f)
{
    kiosk_input d = {.kind = KIN_DOWN, .x = 5, .y = 5}, u = {.kind = KIN_UP, .x = 5, .y = 5};
    input(f, &d);
    tick(f, 3000);
    input(f, &u);
    assert_int_equal(f->m.screen, SCR_PIN);
    type(f, "2580", 100);
    key(f, KKEY_RETURN);
    assert_int_equal(f->m.screen, SCR_MAINT);
    tap_button(f, "find");
    assert_int_equal(f->m.screen, SCR_FIND);
}

static void staff_find_a_guest_by_name_and_admit_them(void **unused)
{
    (void)unused;
    fixture *f = setup(KMODE_DOOR);
    add_ticket(f, "E-5", "\u00c5sa \u00c5ngstr\u00f6m", "Regular");
    /* The door alone offers no search: guests in the queue would read the list. */
    krect r;
    assert_false(button_rect(f, "find", &r));
    open_find(f);
    tap_button(f, "key_A");
    assert_int_equal(f->m.nfind, 0); /* one letter: not yet */
    tap_button(f, "key_N");
    assert_int_equal(f->m.find_total, 3); /* Ann, Dan, Ångström */
    tap_button(f, "key_N");
    assert_int_equal(f->m.find_total, 1);
    assert_string_equal(f->m.find_hits[0], "A-1");
    tap_button(f, "find_0");
    assert_int_equal(f->m.screen, SCR_VERDICT);
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_string_equal(f->m.verdict.detail, "Admitted by staff after a name check");
    assert_int_equal(f->nops, 1);
    assert_int_equal(f->ops[0].kind, OP_CHECKIN);
    assert_string_equal(f->ops[0].ticket, "A-1");
    assert_true(f->ops[0].manual);
    assert_string_equal(f->ops[0].device, "k1");
    /* Accents and case ignored, typed on a keyboard in one go. */
    open_find(f);
    kiosk_input in = {.kind = KIN_TEXT};
    text_copy(in.text, sizeof in.text, "ANGSTROM");
    input(f, &in);
    assert_int_equal(f->m.find_total, 1);
    assert_string_equal(f->m.find_hits[0], "E-5");
    key(f, KKEY_BACKSPACE);
    assert_string_equal(f->m.find, "ANGSTRO");
    /* Back: the query is forgotten. */
    tap_button(f, "back");
    assert_int_equal(f->m.screen, SCR_MAINT);
    tap_button(f, "find");
    assert_string_equal(f->m.find, "");
    /* A cancelled ticket is refused, one already in is shown: neither recorded. */
    type(f, "cat", 100);
    tap_button(f, "find_0");
    assert_int_equal(f->m.verdict.kind, VERDICT_REFUSED);
    open_find(f);
    type(f, "ann", 100);
    tap_button(f, "find_0");
    assert_int_equal(f->m.verdict.kind, VERDICT_ALREADY);
    assert_int_equal(f->nops, 1);
    /* Left alone, the search closes and takes the query with it. */
    open_find(f);
    type(f, "ve", 100);
    tick(f, 61000);
    assert_int_equal(f->m.screen, SCR_DOOR);
    assert_string_equal(f->m.find, "");
    teardown(f);
}

static void a_short_press_in_the_corner_is_just_a_tap(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    tap_xy(f, 5, 5);
    tick(f, 5000);
    assert_int_equal(f->m.screen, SCR_ATTRACT);
    teardown(f);
}

/* ---- notes, special attention and the door's tones ------------------------------ */

static bool frame_has(fixture *f, const char *needle)
{
    ui_frame fr;
    ui_frame_init(&fr);
    ui_build(&f->m, &f->w, f->now, &fr);
    bool has = ui_has_text(&fr, needle);
    ui_frame_release(&fr);
    return has;
}

static void door_tones_tell_each_verdict(void **unused)
{
    fixture *f = setup(KMODE_DOOR);
    enter_code(f, "D-4");
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_int_equal(f->fx.tone, KTONE_ADMITTED);
    tick(f, 100);
    assert_int_equal(f->fx.tone, KTONE_NONE); /* one tone a verdict, not one a frame */
    tick(f, 3000);
    enter_code(f, "D-4");
    assert_int_equal(f->fx.tone, KTONE_ALREADY);
    enter_code(f, "C-3");
    assert_int_equal(f->fx.tone, KTONE_REFUSED);
    enter_code(f, "Q-7");
    assert_int_equal(f->fx.tone, KTONE_REFUSED);
    assert_false(frame_has(f, "ATTENTION"));
    assert_string_equal(ktone_name(KTONE_ATTENTION), "attention");
    assert_string_equal(ktone_name(KTONE_ADMITTED), "admitted");
    assert_string_equal(ktone_name(KTONE_ALREADY), "already");
    assert_string_equal(ktone_name(KTONE_REFUSED), "refused");
    assert_string_equal(ktone_name((ktone)99), "none");
    teardown(f);
}

/* Entrances: a VIP ticket at the Regular entrance's door is WRONG ENTRANCE
 * naming the VIP one, amber, and not recorded; a Regular one is admitted
 * with the door's entrance on its checkin; staff's Admit here behind the PIN
 * (a wrong PIN first) admits the VIP ticket with override "entrance". */
static void door_sends_a_ticket_to_its_entrance(void **unused)
{
    fixture *f = setup(KMODE_DOOR);
    entrance_set *es = calloc(1, sizeof *es);
    assert_non_null(es);
    text_copy(es->all[0].name, sizeof es->all[0].name, "Main");
    text_copy(es->all[0].classes[0], sizeof es->all[0].classes[0], "Regular");
    es->all[0].nclasses = 1;
    text_copy(es->all[0].doors[0], sizeof es->all[0].doors[0], "k1");
    es->all[0].ndoors = 1;
    text_copy(es->all[1].name, sizeof es->all[1].name, "VIP lounge");
    text_copy(es->all[1].classes[0], sizeof es->all[1].classes[0], "VIP");
    es->all[1].nclasses = 1;
    es->n = 2;
    text_copy(es->mine, sizeof es->mine, "main");
    f->w.entrances = es;
    int n = f->nops;
    enter_code(f, "V-1");
    assert_int_equal(f->m.verdict.kind, VERDICT_ALREADY);
    assert_true(f->m.verdict.wrong_entrance);
    assert_string_equal(f->m.verdict.title, "WRONG ENTRANCE");
    assert_string_equal(f->m.verdict.go_to, "Entrance VIP lounge, please");
    assert_string_equal(f->m.verdict.name, "Vera");
    assert_int_equal(f->nops, n); /* nothing recorded */
    tick(f, 3000);
    enter_code(f, "A-1");
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_string_equal(f->ops[f->nops - 1].entrance, "Main");
    assert_string_equal(f->ops[f->nops - 1].override, "");
    tick(f, 3000);
    enter_code(f, "V-1");
    tap_button(f, "override");
    assert_int_equal(f->m.screen, SCR_PIN);
    type(f, "1111", 100);
    key(f, KKEY_RETURN);
    assert_string_equal(f->m.msg.title, "Wrong PIN");
    key(f, KKEY_RETURN);
    type(f, "2580", 100);
    key(f, KKEY_RETURN);
    assert_int_equal(f->m.screen, SCR_VERDICT);
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_string_equal(f->m.verdict.detail, "Admitted here by staff: not this entrance's ticket");
    usher_op *op = &f->ops[f->nops - 1];
    assert_int_equal(op->kind, OP_CHECKIN);
    assert_string_equal(op->ticket, "V-1");
    assert_string_equal(op->entrance, "Main");
    assert_string_equal(op->override, "entrance");
    assert_int_equal(op_validate(op, NULL), USHER_OK);
    /* A ticket no entrance admits has nowhere better to go. */
    es->all[1].nclasses = 0;
    text_copy(es->all[1].sections[0], sizeof es->all[1].sections[0], "T09");
    es->all[1].nsections = 1;
    tick(f, 3000);
    apply_op(f, OP_CHECKOUT, "k1", "V-1", "");
    enter_code(f, "V-1");
    assert_false(f->m.verdict.wrong_entrance);
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED); /* WELCOME BACK */
    free(es);
    teardown(f);
}

static void door_verdict_shows_note_and_attention(void **unused)
{
    fixture *f = setup(KMODE_DOOR);
    assert_int_equal(
        state_note_ticket(f->st, "A-1", "wheelchair, escort to table 4", true, NULL, NULL),
        USHER_OK);
    assert_int_equal(state_note_ticket(f->st, "B-2", "vegan meal", false, NULL, NULL), USHER_OK);
    assert_int_equal(state_note_ticket(f->st, "C-3", "was rude", true, NULL, NULL), USHER_OK);
    enter_code(f, "A-1");
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_true(f->m.verdict.attention);
    assert_string_equal(f->m.verdict.note, "wheelchair, escort to table 4");
    assert_int_equal(f->fx.tone, KTONE_ATTENTION);
    assert_true(frame_has(f, "ATTENTION"));
    assert_true(frame_has(f, "Note: wheelchair, escort to table 4"));
    assert_true(frame_has(f, "Ann"));
    assert_true(frame_has(f, "WELCOME"));
    tick(f, 3000);
    enter_code(f, "A-1"); /* in already: staff must still look */
    assert_int_equal(f->m.verdict.kind, VERDICT_ALREADY);
    assert_int_equal(f->fx.tone, KTONE_ATTENTION);
    assert_true(frame_has(f, "ATTENTION"));
    enter_code(f, "B-2"); /* a note alone: no banner, the note and the call */
    assert_int_equal(f->fx.tone, KTONE_ATTENTION);
    assert_false(frame_has(f, "ATTENTION"));
    assert_true(frame_has(f, "Note: vegan meal"));
    enter_code(f, "C-3"); /* refused: red, and its note is not what matters */
    assert_int_equal(f->fx.tone, KTONE_REFUSED);
    assert_false(frame_has(f, "was rude"));
    teardown(f);
}

static void guest_confirmation_asks_to_see_staff(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    assert_int_equal(
        state_note_ticket(f->st, "B-2", "wheelchair, escort to table 4", true, NULL, NULL),
        USHER_OK);
    const char *codes[] = {"A-1", "B-2"};
    to_seatmap(f, codes, 2);
    tap_seat(f, "T02-01");
    tap_seat(f, "T02-02");
    tap_button(f, "confirm");
    tap_button(f, "yes");
    assert_int_equal(f->m.screen, SCR_DONE);
    assert_true(kmodel_party_needs_staff(&f->m, &f->w));
    assert_true(frame_has(f, "Please see a member of staff"));
    assert_false(frame_has(f, "wheelchair")); /* the note is for staff only */
    assert_false(frame_has(f, "ATTENTION"));
    teardown(f);

    f = setup(KMODE_GUEST);
    const char *plain[] = {"A-1"};
    to_seatmap(f, plain, 1);
    tap_seat(f, "T02-01");
    tap_button(f, "confirm");
    tap_button(f, "yes");
    assert_int_equal(f->m.screen, SCR_DONE);
    assert_false(kmodel_party_needs_staff(&f->m, &f->w));
    assert_false(frame_has(f, "member of staff"));
    teardown(f);
}

static void tones_are_distinct_and_follow_the_volume(void **unused)
{
    static int16_t buf[48000];
    const ktone all[] = {KTONE_ADMITTED, KTONE_ALREADY, KTONE_REFUSED, KTONE_ATTENTION};
    size_t len[4];
    for (int i = 0; i < 4; i++) {
        len[i] = ktone_render(all[i], 100, 48000, buf, sizeof buf / sizeof *buf);
        assert_int_equal(len[i], ktone_samples(all[i], 48000));
        assert_true(len[i] > 48000 / 10);                   /* long enough to hear */
        assert_true(len[i] <= 48000 * KTONE_MAX_MS / 1000); /* short enough not to lag */
        int peak = 0;
        for (size_t k = 0; k < len[i]; k++)
            peak = abs(buf[k]) > peak ? abs(buf[k]) : peak;
        assert_true(peak > 4000 && peak <= 16000);
        assert_int_equal(buf[0], 0); /* faded in: no click */
        for (int j = 0; j < i; j++)
            assert_int_not_equal(len[i], len[j]); /* told apart by rhythm too */
    }
    size_t n = ktone_render(KTONE_ADMITTED, 10, 48000, buf, sizeof buf / sizeof *buf);
    int peak = 0;
    for (size_t k = 0; k < n; k++)
        peak = abs(buf[k]) > peak ? abs(buf[k]) : peak;
    assert_true(peak > 0 && peak <= 1600);
    assert_int_equal(ktone_render(KTONE_ADMITTED, 0, 48000, buf, 1000), 0); /* silent */
    assert_int_equal(ktone_render(KTONE_NONE, 100, 48000, buf, 1000), 0);
    assert_int_equal(ktone_render(KTONE_ADMITTED, 100, 100, buf, 1000), 0); /* bad rate */
    assert_int_equal(ktone_render(KTONE_REFUSED, 100, 48000, buf, 10), 10); /* capped */
}

/* With a printer, a confirmation asks for a seat card per ticket (of the
 * seats just assigned), Print my card again asks again, and a confirmation
 * the journal refused asks for none; without a printer, nothing. */
static void a_confirmation_asks_for_seat_cards(void **unused)
{
    fixture *f = setup(KMODE_GUEST);
    f->w.printer.state = KPRINTER_READY;
    const char *codes[] = {"A-1", "B-2"};
    to_seatmap(f, codes, 2);
    tap_seat(f, "T02-01");
    tap_seat(f, "T02-02");
    tap_button(f, "confirm");
    f->fail_saves = true;
    tap_button(f, "yes");
    assert_int_equal(f->m.screen, SCR_CONFIRM);
    assert_int_equal(f->nunsaved, 0); /* nothing kept: no card of an unsaved seat */
    f->fail_saves = false;
    tap_button(f, "ok");
    tap_button(f, "yes");
    assert_int_equal(f->m.screen, SCR_DONE);
    assert_int_equal(f->fx.ncards, 2);
    assert_string_equal(f->fx.cards[0].name, "Ann");
    assert_string_equal(f->fx.cards[0].place, "Table 2, seat 1");
    assert_string_equal(f->fx.cards[0].event, "Test Gala");
    assert_string_equal(f->fx.cards[1].qr, "Test Gala\nB-2 T02-02 (Table 2, seat 2)\n");
    tap_button(f, "reprint");
    assert_int_equal(f->fx.nops, 0);
    assert_int_equal(f->fx.ncards, 2);
    tap_button(f, "reprint");
    assert_int_equal(f->fx.ncards, 2);
    krect r;
    assert_false(button_rect(f, "reprint", &r)); /* KREPRINT_MAX: no more */
    tap_xy(f, r.x + r.w / 2, r.y + r.h / 2);     /* disabled: nothing */
    assert_int_equal(f->fx.ncards, 0);
    assert_int_equal(f->m.reprints, KREPRINT_MAX);
    tap_button(f, "done");
    assert_int_equal(f->fx.ncards, 0);
    teardown(f);

    f = setup(KMODE_GUEST); /* no --printer */
    to_seatmap(f, codes, 1);
    tap_seat(f, "T02-03");
    tap_button(f, "confirm");
    tap_button(f, "yes");
    assert_int_equal(f->m.screen, SCR_DONE);
    assert_int_equal(f->fx.ncards, 0);
    teardown(f);
}

/* A door admission asks for a card naming the door; a second scan
 * (already in) and a refusal ask for none. */
static void a_door_admission_asks_for_a_card(void **unused)
{
    fixture *f = setup(KMODE_DOOR);
    f->w.printer.state = KPRINTER_STOPPED; /* asked all the same: the card waits */
    enter_code(f, "D-4");
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_int_equal(f->fx.ncards, 1);
    assert_string_equal(f->fx.cards[0].name, "Dan");
    assert_string_equal(f->fx.cards[0].seat, "T02-04");
    assert_string_equal(f->fx.cards[0].note, "Admitted at k1");
    tick(f, 3000);
    enter_code(f, "D-4");
    assert_int_equal(f->m.verdict.kind, VERDICT_ALREADY);
    assert_int_equal(f->fx.ncards, 0);
    enter_code(f, "C-3");
    assert_int_equal(f->fx.ncards, 0);
    teardown(f);
}

/* The door's reprint: offered on the verdict of a ticket checked in, once,
 * never without a printer, in exit mode or for a refused ticket. */
static void a_door_verdict_offers_its_card_again(void **unused)
{
    (void)unused;
    fixture *f = setup(KMODE_DOOR);
    enter_code(f, "D-4"); /* no printer: no card, no offer */
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_false(kmodel_door_reprint_ok(&f->m, &f->w));
    tick(f, 3000);
    f->w.printer.state = KPRINTER_READY;
    enter_code(f, "D-4");
    assert_int_equal(f->m.verdict.kind, VERDICT_ALREADY);
    assert_true(kmodel_door_reprint_ok(&f->m, &f->w));
    tap_button(f, "reprint_card");
    assert_int_equal(f->fx.ncards, 1);
    assert_string_equal(f->fx.cards[0].code, "D-4");
    assert_string_equal(f->fx.cards[0].seat, "T02-04");
    assert_string_equal(f->fx.cards[0].note, "Admitted at k1");
    assert_int_equal(f->m.screen, SCR_VERDICT);         /* still shown: the card is handed over */
    assert_false(kmodel_door_reprint_ok(&f->m, &f->w)); /* once */
    tick(f, 3000);
    enter_code(f, "C-3"); /* revoked: refused, nothing to print */
    assert_int_equal(f->m.verdict.kind, VERDICT_REFUSED);
    assert_false(kmodel_door_reprint_ok(&f->m, &f->w));
    tick(f, 3000);
    enter_code(f, "A-1"); /* admitted now (and saved): its card again too */
    assert_int_equal(f->m.verdict.kind, VERDICT_ADMITTED);
    assert_true(kmodel_door_reprint_ok(&f->m, &f->w));
    tick(f, 3000);
    f->m.exit_mode = true;
    enter_code(f, "A-1"); /* GOODBYE: no card */
    assert_true(f->m.verdict.checkout);
    assert_false(kmodel_door_reprint_ok(&f->m, &f->w));
    teardown(f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(waiting_until_the_journal_is_set_up),
    cmocka_unit_test(storage_full_says_so),
    cmocka_unit_test(codes_typed_or_keyed_make_a_party),
    cmocka_unit_test(refusals_say_what_to_do),
    cmocka_unit_test(wrong_codes_slow_the_keypad_more_each_time),
    cmocka_unit_test(seated_ticket_can_keep_or_change),
    cmocka_unit_test(tap_holds_tap_again_releases),
    cmocka_unit_test(class_and_taken_seats_are_refused),
    cmocka_unit_test(confirm_assigns_the_party_together),
    cmocka_unit_test(seat_taken_meanwhile_is_told),
    cmocka_unit_test(reseat_shows_on_the_confirmation),
    cmocka_unit_test(a_confirmation_not_saved_goes_back),
    cmocka_unit_test(a_hold_not_saved_is_let_go_plainly),
    cmocka_unit_test(a_ticket_revoked_while_choosing_leaves_the_party),
    cmocka_unit_test(a_refused_assign_is_not_seated_on_the_confirmation),
    cmocka_unit_test(a_code_too_long_is_not_a_ticket),
    cmocka_unit_test(idle_guest_releases_holds),
    cmocka_unit_test(expired_hold_is_released),
    cmocka_unit_test(offline_lease_policy_offers_only_leased_seats),
    cmocka_unit_test(silent_syncd_counts_as_offline),
    cmocka_unit_test(door_verdicts),
    cmocka_unit_test(door_exit_mode_and_reentry),
    cmocka_unit_test(door_tones_tell_each_verdict),
    cmocka_unit_test(door_verdict_shows_note_and_attention),
    cmocka_unit_test(door_sends_a_ticket_to_its_entrance),
    cmocka_unit_test(guest_confirmation_asks_to_see_staff),
    cmocka_unit_test(tones_are_distinct_and_follow_the_volume),
    cmocka_unit_test(a_confirmation_asks_for_seat_cards),
    cmocka_unit_test(a_door_admission_asks_for_a_card),
    cmocka_unit_test(a_door_verdict_offers_its_card_again),
    cmocka_unit_test(door_verdict_not_recorded_until_saved),
    cmocka_unit_test(door_verdict_follows_the_coordinator),
    cmocka_unit_test(scanner_without_terminator_submits_after_a_pause),
    cmocka_unit_test(staff_gesture_pin_and_maintenance),
    cmocka_unit_test(staff_find_a_guest_by_name_and_admit_them),
    cmocka_unit_test(door_tells_another_event_from_a_forgery),
    cmocka_unit_test(guest_kiosk_names_another_event),
    cmocka_unit_test(a_short_press_in_the_corner_is_just_a_tap),
};

TESTUTIL_MAIN(tests)

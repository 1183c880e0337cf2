/* test_kiosk_ui.c - the kiosk's display list (kiosk/ui.c): every button a finger
 * can hit on the target screens, the status bar, the legend, and frame
 * hashes that change exactly when the picture does. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmodel.h"
#include "qrcode.h"
#include "state.h"
#include "text.h"
#include "ui.h"

#define T0 1800000000000LL

typedef struct world {
    layout *l;
    state *st;
    kworld w;
} world;

static void world_init(world *wd)
{
    memset(wd, 0, sizeof *wd);
    assert_int_equal(layout_generate("gala:25x10,vip=2", &wd->l, NULL), USHER_OK);
    state_config cfg = {.reseat = RESEAT_NONE};
    wd->st = state_new(wd->l, &cfg);
    assert_int_equal(state_add_ticket(wd->st, "GALA-0001", "Ann", "Regular", NULL, NULL), USHER_OK);
    wd->w.l = wd->l;
    wd->w.view = wd->st;
    text_copy(wd->w.id.device, sizeof wd->w.id.device, "k1");
    text_copy(wd->w.id.event_name, sizeof wd->w.id.event_name, "Gala");
    wd->w.st.online = true;
    wd->w.st.last_sync_at = wd->w.st.last_attempt_at = T0;
    wd->w.pending = 3;
}

static void world_release(world *wd)
{
    state_free(wd->st);
    layout_free(wd->l);
}

/* A model on screen s of a w x h screen at ppi, with a one-ticket party. */
static void model_on(kmodel *m, const kworld *w, kscreen s, int width, int height, double ppi)
{
    kconfig cfg = {.mode = s == SCR_DOOR || s == SCR_VERDICT || s == SCR_FIND ? KMODE_DOOR
                                                                              : KMODE_GUEST,
                   .w = width,
                   .h = height,
                   .ppmm = ppi / 25.4,
                   .idle_ms = 60000,
                   .verdict_ms = 3000,
                   .longpress_ms = 3000};
    kmodel_init(m, &cfg, w, T0);
    m->screen = s;
    m->nparty = 1;
    text_copy(m->party[0].code, sizeof m->party[0].code, "GALA-0001");
    text_copy(m->party[0].seat, sizeof m->party[0].seat, "T05-01");
    text_copy(m->party[0].assigned, sizeof m->party[0].assigned, "T05-01");
    m->verdict.kind = VERDICT_ADMITTED;
    kiosk_input tick = {.kind = KIN_TICK};
    keffects fx;
    kmodel_update(m, w, &tick, T0, &fx);
    m->screen = s;
    if (s == SCR_SEATMAP) {
        m->party[0].assigned[0] = '\0';
        m->party[0].hold_until = T0 + 60000;
    }
    if (s == SCR_FIND) { /* staff found Ann */
        text_copy(m->find, sizeof m->find, "ann");
        text_copy(m->find_hits[0], sizeof m->find_hits[0], "GALA-0001");
        m->nfind = 1;
        m->find_total = 1;
    }
}

/* A message box as the model opens them. */
static void msg_for_test(kmodel *m, kmsg_kind kind)
{
    memset(&m->msg, 0, sizeof m->msg);
    m->msg.kind = kind;
    text_copy(m->msg.title, sizeof m->msg.title, kind == MSG_INFO ? "Already seated" : "Refused");
    text_copy(m->msg.body, sizeof m->msg.body, "GALA-0001 already has a seat. Keep it?");
    m->msg.offer_change = kind == MSG_INFO;
}

static void every_button_is_finger_sized_on_the_target_screens(void **unused)
{
    /* 7" 800x480 (about 133 ppi) and 10" 1280x800 (about 151 ppi): 9 mm. */
    static const struct {
        int w, h;
        double ppi;
    } screens[] = {{800, 480, 133}, {1280, 800, 151}};
    static const kscreen all[] = {SCR_ATTRACT, SCR_ENTRY,   SCR_SEATMAP, SCR_CONFIRM, SCR_DONE,
                                  SCR_DOOR,    SCR_VERDICT, SCR_PIN,     SCR_MAINT,   SCR_FIND};
    world wd;
    world_init(&wd);
    for (size_t s = 0; s < 2; s++) {
        double mm9 = 9 * screens[s].ppi / 25.4;
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
            for (int msg = 0; msg < 2; msg++) {
                kmodel m;
                model_on(&m, &wd.w, all[i], screens[s].w, screens[s].h, screens[s].ppi);
                if (msg)
                    m.msg.kind = MSG_INFO;
                ui_frame f;
                ui_frame_init(&f);
                ui_build(&m, &wd.w, T0, &f);
                assert_false(f.oom);
                assert_true(f.nbuttons > 0 || all[i] == SCR_DOOR); /* door: scan only */
                for (int b = 0; b < f.nbuttons; b++) {
                    const ui_button *bt = &f.buttons[b];
                    if (bt->r.w + 0.5 < mm9 || bt->r.h + 0.5 < mm9)
                        fail_msg("%dx%d screen %s: button %s is %.0fx%.0f px, under 9 mm (%.0f px)",
                                 screens[s].w, screens[s].h, kscreen_name(all[i]), bt->name,
                                 bt->r.w, bt->r.h, mm9);
                    /* And on the screen. */
                    assert_true(bt->r.x >= 0 && bt->r.y >= 0);
                    assert_true(bt->r.x + bt->r.w <= screens[s].w + 0.5);
                    assert_true(bt->r.y + bt->r.h <= screens[s].h + 0.5);
                }
                ui_frame_release(&f);
            }
        }
    }
    world_release(&wd);
}

static void keypad_has_every_character_of_a_code(void **unused)
{
    world wd;
    world_init(&wd);
    kmodel m;
    model_on(&m, &wd.w, SCR_ENTRY, 800, 480, 133);
    ui_frame f;
    ui_frame_init(&f);
    ui_build(&m, &wd.w, T0, &f);
    for (const char *p = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"; *p; p++) {
        char name[8] = "key_";
        name[4] = *p;
        name[5] = '\0';
        assert_non_null(ui_find_button(&f, name));
    }
    assert_non_null(ui_find_button(&f, "del"));
    assert_non_null(ui_find_button(&f, "ok"));
    ui_frame_release(&f);
    world_release(&wd);
}

static void status_bar_says_online_age_and_pending(void **unused)
{
    world wd;
    world_init(&wd);
    kmodel m;
    model_on(&m, &wd.w, SCR_ATTRACT, 1280, 800, 151);
    ui_frame f;
    ui_frame_init(&f);
    ui_build(&m, &wd.w, T0 + 2000, &f);
    assert_true(ui_has_text(&f, "Online"));
    assert_true(ui_has_text(&f, "synced just now - 3 pending"));
    ui_build(&m, &wd.w, T0 + 25000, &f);
    assert_true(ui_has_text(&f, "synced 20 s ago"));
    wd.w.st.online = false;
    ui_build(&m, &wd.w, T0 + 125000, &f);
    assert_true(ui_has_text(&f, "OFFLINE"));
    assert_true(ui_has_text(&f, "synced 2 min ago"));
    ui_frame_release(&f);
    world_release(&wd);
}

static void seat_map_has_every_seat_and_a_legend(void **unused)
{
    world wd;
    world_init(&wd);
    kmodel m;
    model_on(&m, &wd.w, SCR_SEATMAP, 1280, 800, 151);
    ui_frame f;
    ui_frame_init(&f);
    ui_build(&m, &wd.w, T0, &f);
    assert_int_equal(f.nseats, 250); /* the overview shows the whole gala */
    int mine = 0, cls = 0;
    for (int i = 0; i < f.nseats; i++) {
        mine += f.seats[i].look == LOOK_MINE;
        cls += f.seats[i].look == LOOK_CLASS;
    }
    assert_int_equal(mine, 1);
    assert_int_equal(cls, 20); /* two VIP tables, a Regular ticket */
    static const char *const legend[] = {"Free",         "Yours",   "Taken",
                                         "Being chosen", "Blocked", "Not for your ticket"};
    for (size_t i = 0; i < sizeof legend / sizeof legend[0]; i++)
        assert_true(ui_has_text(&f, legend[i]));
    assert_true(ui_has_text(&f, "(held 1:00)"));
    ui_frame_release(&f);
    world_release(&wd);
}

/* On the 7" screen the whole legend does not fit beside a zoomed map: it
 * names the looks of the seats on screen, and only those. */
static void a_short_legend_names_what_is_on_screen(void **unused)
{
    world wd;
    world_init(&wd);
    kmodel m;
    model_on(&m, &wd.w, SCR_SEATMAP, 800, 480, 140);
    ui_frame f;
    ui_frame_init(&f);
    ui_build(&m, &wd.w, T0, &f);
    krect a = m.map.area;
    seatmap_focus(&m.map, seatmap_tap_scale(&m.map) * 1.5, a.x + a.w * 0.75f, a.y + a.h * 0.75f);
    ui_build(&m, &wd.w, T0, &f);
    static const char *const words[LOOK_COUNT] = {
        [LOOK_FREE] = "Free",  [LOOK_HELD] = "Being chosen", [LOOK_TAKEN] = "Taken",
        [LOOK_MINE] = "Yours", [LOOK_BLOCKED] = "Blocked",   [LOOK_CLASS] = "Not for your ticket"};
    bool on[LOOK_COUNT] = {false};
    for (int i = 0; i < f.nseats; i++)
        on[f.seats[i].look] = true;
    int absent = 0, named = 0;
    for (int k = 0; k < LOOK_COUNT; k++) {
        if (!words[k])
            continue;
        absent += !on[k];
        named += ui_has_text(&f, words[k]);
        if (!on[k] && ui_has_text(&f, words[k]))
            fail_msg("the legend names %s, which no seat on screen is", words[k]);
    }
    assert_true(absent > 0); /* the zoom leaves some looks off screen */
    assert_true(named > 0);
    ui_frame_release(&f);
    world_release(&wd);
}

/* A zoomed-in map pans tables under the status bar: the bar is drawn after
 * every map item, so no table disc or label shows through it. */
static void status_bar_is_drawn_over_the_map(void **unused)
{
    world wd;
    world_init(&wd);
    kmodel m;
    model_on(&m, &wd.w, SCR_SEATMAP, 1280, 800, 151);
    klayout L;
    klayout_compute(&L, 1280, 800, m.cfg.ppmm);
    float top = L.bar;
    ui_frame f;
    ui_frame_init(&f);
    ui_build(&m, &wd.w, T0, &f);
    int seats_at = -1, bar_at = -1;
    for (int i = 0; i < f.nitems; i++) {
        const ui_item *it = &f.items[i];
        if (it->kind == UI_SEATS)
            seats_at = i;
        if (it->kind == UI_FILL && it->r.x == 0 && it->r.y == 0 && it->r.h == top &&
            it->r.w == 1280)
            bar_at = i;
    }
    assert_true(seats_at >= 0);
    assert_true(bar_at > seats_at); /* the map's tables and seats come first */
    ui_frame_release(&f);
    world_release(&wd);
}

static void frame_hash_changes_only_with_the_picture(void **unused)
{
    world wd;
    world_init(&wd);
    kmodel m;
    model_on(&m, &wd.w, SCR_SEATMAP, 1280, 800, 151);
    ui_frame f;
    ui_frame_init(&f);
    ui_build(&m, &wd.w, T0, &f);
    uint64_t a = ui_frame_hash(&f);
    ui_build(&m, &wd.w, T0 + 200, &f); /* the countdown still shows 1:00 */
    assert_true(ui_frame_hash(&f) == a);
    ui_build(&m, &wd.w, T0 + 1500, &f); /* ...now 0:59 */
    uint64_t b = ui_frame_hash(&f);
    assert_true(b != a);
    m.party[0].seat[0] = '\0';
    ui_build(&m, &wd.w, T0 + 1500, &f);
    assert_true(ui_frame_hash(&f) != b);
    ui_frame_release(&f);
    world_release(&wd);
}

static void waiting_screen_before_bootstrap(void **unused)
{
    world wd;
    world_init(&wd);
    kworld empty = wd.w;
    empty.l = NULL;
    empty.view = NULL;
    kmodel m;
    kconfig cfg = {.w = 800, .h = 480, .ppmm = 5, .idle_ms = 1000};
    kmodel_init(&m, &cfg, &empty, T0);
    ui_frame f;
    ui_frame_init(&f);
    ui_build(&m, &empty, T0, &f);
    assert_true(ui_has_text(&f, "Waiting for the coordinator"));
    ui_frame_release(&f);
    world_release(&wd);
}

/* A party of eight with the longest codes and seat words: every ticket in
 * the confirmation's QR code, and the code's modules at least 2 pixels on
 * both target screens (what a phone camera and zbarimg read). */
static void confirmation_qr_holds_a_party_of_eight(void **unused)
{
    world wd;
    world_init(&wd);
    text_copy(wd.w.id.event_name, sizeof wd.w.id.event_name,
              "The Annual Gala of the Society of Very Long Event Names and Their Friends 2026");
    static const int sizes[][2] = {{800, 480}, {1280, 800}};
    for (int s = 0; s < 2; s++) {
        kmodel m;
        model_on(&m, &wd.w, SCR_DONE, sizes[s][0], sizes[s][1], 140);
        m.nparty = KPARTY_MAX;
        for (int i = 0; i < KPARTY_MAX; i++) {
            kguest *g = &m.party[i];
            memset(g, 0, sizeof *g);
            snprintf(g->code, sizeof g->code, "PARTY-%026d", i + 1);
            snprintf(g->seat, sizeof g->seat, "T%02d-10", 10 + i);
            text_copy(g->assigned, sizeof g->assigned, g->seat);
        }
        ui_frame f;
        ui_frame_init(&f);
        ui_build(&m, &wd.w, T0, &f);
        for (int i = 0; i < KPARTY_MAX; i++) {
            char line[96];
            snprintf(line, sizeof line, "%s %s (Table %d, seat 10)\n", m.party[i].code,
                     m.party[i].seat, 10 + i);
            if (!strstr(f.qr_text, line))
                fail_msg("QR text lacks %s: %s", line, f.qr_text);
        }
        const ui_item *qr = NULL;
        for (int i = 0; i < f.nitems; i++)
            if (f.items[i].kind == UI_QR)
                qr = &f.items[i];
        assert_non_null(qr);
        qrcode q;
        assert_int_equal(qrcode_encode(f.qr_text, &q, NULL), USHER_OK);
        int side = (int)(qr->r.w < qr->r.h ? qr->r.w : qr->r.h);
        if (side / (q.width + 8) < 2)
            fail_msg("%dx%d: a %d-module code in %d px", sizes[s][0], sizes[s][1], q.width, side);
        qrcode_release(&q);
        ui_frame_release(&f);
    }
    world_release(&wd);
}

/* Every text on every screen and verdict (and over every message box) reads
 * against what is under it with a WCAG AA contrast of at least 4.5:1. */
static int low_contrast(const ui_frame *f, const char *what)
{
    int bad = 0;
    for (int i = 0; i < f->nitems; i++) {
        const ui_item *it = &f->items[i];
        if (it->kind != UI_TEXT || !it->text[0])
            continue;
        kcolor bg = ui_text_background(f, i);
        double c = ui_contrast(it->c, bg);
        if (c < 4.5) {
            print_error("%s: \"%.40s\" has contrast %.2f:1 (text %d,%d,%d on %d,%d,%d)\n", what,
                        it->text, c, it->c.r, it->c.g, it->c.b, bg.r, bg.g, bg.b);
            bad++;
        }
    }
    return bad;
}

static void every_text_has_aa_contrast(void **unused)
{
    (void)unused;
    world wd;
    world_init(&wd);
    static const kscreen all[] = {SCR_ATTRACT, SCR_ENTRY, SCR_SEATMAP, SCR_CONFIRM, SCR_DONE,
                                  SCR_DOOR,    SCR_PIN,   SCR_MAINT,   SCR_FIND};
    static const kverdict_kind verdicts[] = {VERDICT_ADMITTED, VERDICT_ALREADY, VERDICT_REFUSED,
                                             VERDICT_SHOW_QR};
    int bad = 0;
    ui_frame f;
    ui_frame_init(&f);
    kmodel m;
    char what[96];
    for (int online = 0; online < 2; online++) {
        wd.w.st.online = online;
        for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
            for (int msg = 0; msg < 3; msg++) {
                model_on(&m, &wd.w, all[i], 1280, 800, 151);
                if (msg)
                    msg_for_test(&m, msg == 1 ? MSG_INFO : MSG_REFUSAL);
                if (all[i] == SCR_ENTRY && msg == 0) {
                    m.locked_until = T0 + 5000; /* the paused keypad's warning */
                    text_copy(m.proof_code, sizeof m.proof_code, "GALA-0001");
                }
                ui_build(&m, &wd.w, T0, &f);
                snprintf(what, sizeof what, "%s (msg %d, online %d)", kscreen_name(all[i]), msg,
                         online);
                bad += low_contrast(&f, what);
            }
        }
        for (size_t v = 0; v < sizeof verdicts / sizeof *verdicts; v++) {
            for (int saved = 0; saved < 2; saved++) {
                model_on(&m, &wd.w, SCR_VERDICT, 800, 480, 133);
                m.verdict.kind = verdicts[v];
                m.verdict.saved = saved;
                text_copy(m.verdict.title, sizeof m.verdict.title, "WELCOME");
                text_copy(m.verdict.name, sizeof m.verdict.name, "Ann");
                text_copy(m.verdict.detail, sizeof m.verdict.detail, "Checked in at 19:42");
                text_copy(m.verdict.code, sizeof m.verdict.code, "GALA-0001");
                ui_build(&m, &wd.w, T0, &f);
                snprintf(what, sizeof what, "verdict %d (saved %d)", (int)verdicts[v], saved);
                bad += low_contrast(&f, what);
            }
        }
    }
    ui_frame_release(&f);
    world_release(&wd);
    assert_int_equal(bad, 0);
}

static void contrast_ratio_matches_wcag(void **unused)
{
    (void)unused;
    kcolor black = {0, 0, 0, 255}, white = {255, 255, 255, 255}, amber = {235, 150, 20, 255};
    assert_true(fabs(ui_contrast(black, white) - 21.0) < 0.01);
    assert_true(fabs(ui_contrast(white, white) - 1.0) < 1e-9);
    /* The example: white on the old amber, about 2.4:1. */
    assert_true(ui_contrast(white, amber) < 2.5 && ui_contrast(white, amber) > 2.2);
}

/* A stadium's overview (100,000 seats) is drawn as runs of its rows, green
 * as their free share, not as 100,000 dots: a few hundred items, no seat;
 * the arena (10,000) and the gala keep their seats; close enough to choose,
 * the stadium's seats are drawn again. */
static void a_stadium_overview_draws_sections(void **unused)
{
    (void)unused;
    static const struct {
        const char *spec;
        bool lod;
    } venues[] = {{"theatre:200x500", true}, {"theatre:100x100", false}, {"gala:25x10", false}};
    for (size_t v = 0; v < sizeof venues / sizeof *venues; v++) {
        layout *l = NULL;
        assert_int_equal(layout_generate(venues[v].spec, &l, NULL), USHER_OK);
        state_config cfg = {.reseat = RESEAT_NONE};
        state *st = state_new(l, &cfg);
        assert_int_equal(state_add_ticket(st, "GALA-0001", "Ann", "Regular", NULL, NULL), USHER_OK);
        kworld w;
        memset(&w, 0, sizeof w);
        w.l = l;
        w.view = st;
        text_copy(w.id.device, sizeof w.id.device, "k1");
        w.st.online = true;
        kmodel m;
        model_on(&m, &w, SCR_SEATMAP, 1280, 800, 151);
        kiosk_input tick = {.kind = KIN_TICK};
        keffects fx;
        kmodel_update(&m, &w, &tick, T0, &fx); /* on the seat map: it is fitted */
        ui_frame f;
        ui_frame_init(&f);
        ui_build(&m, &w, T0, &f);
        int fills = 0;
        bool seats_item = false;
        for (int i = 0; i < f.nitems; i++) {
            fills += f.items[i].kind == UI_FILL;
            seats_item |= f.items[i].kind == UI_SEATS;
        }
        assert_int_equal(seatmap_lod(&m.map, layout_seat_count(l)), venues[v].lod);
        if (venues[v].lod) {
            assert_int_equal(f.nseats, 0);
            assert_false(seats_item);
            assert_in_range(fills, 200, 900); /* 200 rows, at most 600 runs, the screen's */
        } else {
            assert_true(f.nseats > 0);
        }
        if (venues[v].lod) { /* close enough to choose: seats again */
            seatmap_focus(&m.map, seatmap_tap_scale(&m.map), 400, 400);
            ui_frame_release(&f);
            ui_frame_init(&f);
            ui_build(&m, &w, T0, &f);
            assert_false(seatmap_lod(&m.map, layout_seat_count(l)));
            assert_true(f.nseats > 0 && f.nseats < 2000);
        }
        ui_frame_release(&f);
        state_free(st);
        layout_free(l);
    }
}

/* Fitted whole on a small screen, the map is an overview: the hint says what
 * to tap near, a table where the venue has tables, a row in a theatre. */
static void overview_hint_names_tables_or_rows(void **unused)
{
    (void)unused;
    static const struct {
        const char *spec, *hint, *not ;
    } venues[] = {{"theatre:60x40", "Tap near your row", "Tap near your table"},
                  {"gala:300x10", "Tap near your table", "Tap near your row"}};
    for (size_t v = 0; v < sizeof venues / sizeof *venues; v++) {
        layout *l = NULL;
        assert_int_equal(layout_generate(venues[v].spec, &l, NULL), USHER_OK);
        state_config cfg = {.reseat = RESEAT_NONE};
        state *st = state_new(l, &cfg);
        assert_int_equal(state_add_ticket(st, "GALA-0001", "Ann", "Regular", NULL, NULL), USHER_OK);
        kworld w;
        memset(&w, 0, sizeof w);
        w.l = l;
        w.view = st;
        text_copy(w.id.device, sizeof w.id.device, "k1");
        w.st.online = true;
        kmodel m;
        model_on(&m, &w, SCR_SEATMAP, 800, 480, 133);
        kiosk_input tick = {.kind = KIN_TICK};
        keffects fx;
        kmodel_update(&m, &w, &tick, T0, &fx);
        assert_false(seatmap_tappable(&m.map)); /* else there is no hint to check */
        ui_frame f;
        ui_frame_init(&f);
        ui_build(&m, &w, T0, &f);
        assert_true(ui_has_text(&f, venues[v].hint));
        assert_false(ui_has_text(&f, venues[v].not ));
        ui_frame_release(&f);
        state_free(st);
        layout_free(l);
    }
}

/* Staff search on the 7" 800x480 screen: four matches all shown (two
 * columns), none overlapping another or the keypad; at 1280x800 in one. */
static void find_shows_four_matches_on_the_small_screen(void **unused)
{
    (void)unused;
    world wd;
    world_init(&wd);
    static const char *const codes[] = {"GALA-0002", "GALA-0003", "GALA-0004", "GALA-0005"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(state_add_ticket(wd.st, codes[i], "Guest", "Regular", NULL, NULL),
                         USHER_OK);
    static const struct {
        int w, h;
        double ppi;
        int cols;
    } screens[] = {{800, 480, 133, 2}, {800, 480, 140, 2}, {1280, 800, 151, 1}};
    for (size_t s = 0; s < sizeof screens / sizeof screens[0]; s++) {
        kmodel m;
        model_on(&m, &wd.w, SCR_FIND, screens[s].w, screens[s].h, screens[s].ppi);
        text_copy(m.find, sizeof m.find, "guest");
        for (int i = 0; i < 4; i++)
            text_copy(m.find_hits[i], sizeof m.find_hits[i], codes[i]);
        m.nfind = 4;
        m.find_total = 4;
        ui_frame f;
        ui_frame_init(&f);
        ui_build(&m, &wd.w, T0, &f);
        const ui_button *key = ui_find_button(&f, "key_1");
        assert_non_null(key);
        float xs[4];
        for (int i = 0; i < 4; i++) {
            char name[8] = "find_0";
            name[5] = (char)('0' + i);
            const ui_button *b = ui_find_button(&f, name);
            if (!b)
                fail_msg("%dx%d: match %d not shown", screens[s].w, screens[s].h, i);
            assert_true(b->r.y + b->r.h <= key->r.y); /* above the keypad */
            xs[i] = b->r.x;
            for (int k = 0; k < i; k++) {
                char oname[8];
                snprintf(oname, sizeof oname, "find_%d", k);
                const ui_button *o = ui_find_button(&f, oname);
                bool apart = b->r.x >= o->r.x + o->r.w || o->r.x >= b->r.x + b->r.w ||
                             b->r.y >= o->r.y + o->r.h || o->r.y >= b->r.y + b->r.h;
                assert_true(apart);
            }
        }
        int cols = 1 + (xs[3] != xs[0]);
        assert_int_equal(cols, screens[s].cols);
        ui_frame_release(&f);
    }
    world_release(&wd);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(a_stadium_overview_draws_sections),
    cmocka_unit_test(overview_hint_names_tables_or_rows),
    cmocka_unit_test(confirmation_qr_holds_a_party_of_eight),
    cmocka_unit_test(every_button_is_finger_sized_on_the_target_screens),
    cmocka_unit_test(find_shows_four_matches_on_the_small_screen),
    cmocka_unit_test(keypad_has_every_character_of_a_code),
    cmocka_unit_test(status_bar_says_online_age_and_pending),
    cmocka_unit_test(seat_map_has_every_seat_and_a_legend),
    cmocka_unit_test(a_short_legend_names_what_is_on_screen),
    cmocka_unit_test(status_bar_is_drawn_over_the_map),
    cmocka_unit_test(frame_hash_changes_only_with_the_picture),
    cmocka_unit_test(waiting_screen_before_bootstrap),
    cmocka_unit_test(every_text_has_aa_contrast),
    cmocka_unit_test(contrast_ratio_matches_wcag),
};

TESTUTIL_MAIN(tests)

/* runner.c - headless script runner (see runner.h). */
#include "runner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "kpng.h"
#include "script.h"
#include "text.h"
#include "timestamp.h"
#include "ui.h"

static void build(krunner *k, ui_frame *f);

/* As a finger on the screen: a lift is hit-tested on the frame the kiosk
 * shows (the shell's job), then goes to the model. */
static void input(krunner *k, kin_kind kind, float x, float y)
{
    kiosk_input in = {.kind = kind, .x = x, .y = y};
    if (kind == KIN_UP) {
        ui_frame f;
        ui_frame_init(&f);
        f.skip_seats = true;
        build(k, &f);
        ui_hit(&f, &in);
        ui_frame_release(&f);
    }
    kapp_input(k->app, &in, kapp_now(k->app));
}

static void tick(krunner *k)
{
    if (k->sd)
        sdnotify_alive(k->sd, timestamp_mono_ms()); /* the script's loop is the main loop */
    kapp_refresh(k->app, kapp_now(k->app), false);
    input(k, KIN_TICK, 0, 0);
}

static void tap(krunner *k, float x, float y)
{
    input(k, KIN_DOWN, x, y);
    input(k, KIN_UP, x, y);
}

/* Moves the script's clock by ms, ticking every 100 ms of it so timers run
 * as they would. */
static void advance(krunner *k, int64_t ms)
{
    while (ms > 0) {
        int64_t step = ms < 100 ? ms : 100;
        k->app->clock_offset += step;
        ms -= step;
        tick(k);
    }
}

static void build(krunner *k, ui_frame *f)
{
    ui_build(&k->app->m, &k->app->w, kapp_now(k->app), f);
    if (k->nudge[0])
        ui_nudge_button(f, k->nudge, k->nudge_x, k->nudge_y);
}

void krunner_render(krunner *k)
{
    ui_frame f;
    ui_frame_init(&f);
    build(k, &f);
    kdraw_update(k->draw, &f); /* only what changed since the last shot, as on screen */
    SDL_RenderPresent(k->r);
    ui_frame_release(&f);
}

static int fail(krunner *k, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(krunner *k, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s:%d: %s\n", k->script, line, msg);
    return 1;
}

/* Every text item: its box, where its pixels landed, its size, and whether
 * it had to be shortened or has characters no font has. */
static json_t *texts_json(krunner *k, const ui_frame *f)
{
    json_t *texts = json_array();
    for (int i = 0; texts && i < f->nitems; i++) {
        const ui_item *it = &f->items[i];
        if (it->kind != UI_TEXT || !it->text[0])
            continue;
        kdraw_text t;
        usher_errmsg em = {{0}};
        if (kdraw_measure(k->draw, f, it, &t, &em))
            continue;
        json_array_append_new(texts,
                              json_pack("{s:s,s:[f,f,f,f],s:[f,f,f,f],s:f,s:b,s:b,s:i}", "text",
                                        it->text, "box", it->r.x, it->r.y, it->r.w, it->r.h, "ink",
                                        t.box.x, t.box.y, t.box.w, t.box.h, "px", it->px, "wrap",
                                        it->wrap, "shortened", t.shortened, "missing", t.unknown));
    }
    return texts;
}

/* Beside each screenshot, what is where on it (for tests and support): the
 * screen and its geometry, every seat on screen (centre, radius, look),
 * every button and every text. */
static int write_sidecar(krunner *k, const char *path)
{
    ui_frame f;
    ui_frame_init(&f);
    build(k, &f);
    json_t *root = json_object(), *seats = json_object(), *buttons = json_object();
    json_t *texts = NULL;
    int rc = -1;
    if (!root || !seats || !buttons || f.oom)
        goto out;
    klayout L;
    const kconfig *cfg = &k->app->m.cfg;
    klayout_compute(&L, cfg->w, cfg->h, cfg->ppmm);
    texts = texts_json(k, &f);
    json_object_set_new(root, "geometry",
                        json_pack("{s:i,s:i,s:f,s:f,s:f,s:s,s:b}", "w", L.w, "h", L.h, "ppmm",
                                  L.ppmm, "min_px", L.min_px, "finger", L.finger, "lang",
                                  k->app->m.lang, "rtl", f.rtl));
    if (k->app->m.screen == SCR_SEATMAP && k->app->m.map_ready && !k->app->m.msg.kind) {
        krect a = k->app->m.map.area;
        json_object_set_new(json_object_get(root, "geometry"), "map",
                            json_pack("[f,f,f,f]", a.x, a.y, a.w, a.h));
    }
    json_object_set(root, "texts", texts);
    for (int i = 0; i < f.nseats; i++) {
        const ui_seat *s = &f.seats[i];
        json_object_set_new(seats, layout_seat_at(k->app->w.l, s->index)->id,
                            json_pack("[f,f,f,s]", s->x, s->y, s->radius, klook_name(s->look)));
    }
    for (int i = 0; i < f.nbuttons; i++) {
        const ui_button *b = &f.buttons[i];
        json_object_set_new(buttons, b->name,
                            json_pack("[f,f,f,f,b]", b->r.x, b->r.y, b->r.w, b->r.h, b->enabled));
    }
    json_object_set_new(root, "screen", json_string(kscreen_name(k->app->m.screen)));
    /* headless runs are silent: the last sound a verdict asked for, and how many */
    json_object_set_new(root, "tone", json_string(ktone_name(k->app->tone)));
    json_object_set_new(root, "tones", json_integer((json_int_t)k->app->ntones));
    json_object_set(root, "seats", seats);
    json_object_set(root, "buttons", buttons);
    rc = json_dump_file(root, path, JSON_COMPACT | JSON_SORT_KEYS);
out:
    json_decref(texts);
    json_decref(seats);
    json_decref(buttons);
    json_decref(root);
    ui_frame_release(&f);
    return rc;
}

static int shot(krunner *k, const kscript_cmd *c)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.png", k->shots, c->arg);
    krunner_render(k);
    usher_errmsg em = {{0}};
    SDL_Surface *s = k->surface;
    if (SDL_MUSTLOCK(s))
        SDL_LockSurface(s);
    usher_err err = kpng_write_argb(path, s->pixels, s->w, s->h, s->pitch, &em);
    if (SDL_MUSTLOCK(s))
        SDL_UnlockSurface(s);
    if (err)
        return fail(k, c->line, "shot: %s", em.text);
    snprintf(path, sizeof path, "%s/%s.json", k->shots, c->arg);
    if (write_sidecar(k, path))
        return fail(k, c->line, "shot: cannot write %s", path);
    return 0;
}

/* Does an expectation hold? Writes what was seen into got. */
static bool holds(krunner *k, const kscript_cmd *c, char *got, size_t size)
{
    kapp *a = k->app;
    ui_frame f;
    ui_frame_init(&f);
    build(k, &f);
    bool ok = false;
    switch (c->what) {
    case EX_SCREEN:
        snprintf(got, size, "%s", kscreen_name(a->m.screen));
        ok = !strcmp(got, c->arg);
        break;
    case EX_TEXT:
    case EX_NOTEXT: {
        ok = ui_has_text(&f, c->arg) == (c->what == EX_TEXT);
        size_t used = 0;
        got[0] = '\0';
        for (int i = 0; i < f.nitems && used + 4 < size; i++)
            if (f.items[i].kind == UI_TEXT && f.items[i].text[0]) {
                int n = snprintf(got + used, size - used, "%s\"%s\"", used ? ", " : "",
                                 f.items[i].text);
                used += n > 0 ? (size_t)n : 0;
            }
        break;
    }
    case EX_SEAT: {
        int si = a->w.l ? layout_find_seat(a->w.l, c->arg) : -1;
        if (si < 0) {
            snprintf(got, size, "no seat %s in the layout", c->arg);
            break;
        }
        klook look = kmodel_seat_look(&a->m, &a->w, si, kapp_now(a));
        snprintf(got, size, "%s", klook_name(look));
        ok = !strcmp(got, c->arg2);
        break;
    }
    case EX_VERDICT: {
        static const char *const names[] = {"none", "admitted", "already", "refused", "show_qr"};
        /* A verdict whose check-in is not durable yet is not yet one. */
        const char *v = a->m.screen != SCR_VERDICT ? "none"
                        : a->m.verdict.saved       ? names[a->m.verdict.kind]
                                                   : "unrecorded";
        snprintf(got, size, "%s (%s)", v, a->m.verdict.detail);
        ok = !strcmp(v, c->arg);
        break;
    }
    case EX_BUTTON: {
        const ui_button *b = ui_find_button(&f, c->arg);
        snprintf(got, size, "%s", b ? b->enabled ? "enabled" : "disabled" : "absent");
        ok = b && b->enabled;
        break;
    }
    }
    ui_frame_release(&f);
    return ok;
}

static const char *what_name(kscript_expect e)
{
    switch (e) {
    case EX_SCREEN:
        return "screen";
    case EX_TEXT:
        return "text";
    case EX_NOTEXT:
        return "no text";
    case EX_SEAT:
        return "seat";
    case EX_VERDICT:
        return "verdict";
    case EX_BUTTON:
        return "button";
    }
    return "?";
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int expect(krunner *k, const kscript_cmd *c)
{
    char got[4096];
    int64_t waited = 0;
    for (;;) {
        tick(k);
        if (holds(k, c, got, sizeof got))
            return 0;
        if (!c->await || waited >= c->ms)
            break;
        sleep_ms(50);
        waited += 50;
    }
    if (c->what == EX_SEAT)
        return fail(k, c->line, "expected seat %s %s, got %s", c->arg, c->arg2, got);
    return fail(k, c->line, "expected %s %s%s, got %s", what_name(c->what), c->arg,
                c->await ? " within 20 s" : "", got);
}

static int run_line(krunner *k, const kscript_cmd *c);

static int tap_seat(krunner *k, const kscript_cmd *c)
{
    kapp *a = k->app;
    int si = a->w.l ? layout_find_seat(a->w.l, c->arg) : -1;
    if (si < 0)
        return fail(k, c->line, "expected a seat, got \"%s\" (not in the layout)", c->arg);
    if (a->m.screen != SCR_SEATMAP || !a->m.map_ready)
        return fail(k, c->line, "expected screen seatmap to tap a seat, got %s",
                    kscreen_name(a->m.screen));
    const layout_seat *s = layout_seat_at(a->w.l, si);
    /* As a person would: tap the overview near the seat to come closer, then
     * tap the seat. */
    for (int round = 0; round < 3; round++) {
        float x, y;
        seatmap_to_screen(&a->m.map, s->x, s->y, &x, &y);
        krect ar = a->m.map.area;
        ui_frame f;
        ui_frame_init(&f);
        f.skip_seats = true;
        build(k, &f);
        bool covered = ui_button_at(&f, x, y) != NULL;
        ui_frame_release(&f);
        if (!krect_has(ar, x, y) || covered) { /* drag it into view, as a finger would */
            float cx = ar.x + ar.w / 2, cy = ar.y + ar.h / 2;
            kscript_cmd drag = {
                .kind = SC_DRAG, .x = cx, .y = cy, .x2 = cx + (cx - x), .y2 = cy + (cy - y)};
            run_line(k, &drag);
            seatmap_to_screen(&a->m.map, s->x, s->y, &x, &y);
            if (!krect_has(ar, x, y))
                return fail(k, c->line, "expected seat %s on screen, got it outside the map",
                            c->arg);
        }
        bool close = seatmap_tappable(&a->m.map);
        tap(k, x, y);
        if (close)
            return 0;
    }
    return fail(k, c->line, "expected seat %s to become tappable, got a map that will not zoom",
                c->arg);
}

static int run_line(krunner *k, const kscript_cmd *c)
{
    kapp *a = k->app;
    switch (c->kind) {
    case SC_NONE:
        return 0;
    case SC_TAP:
        tap(k, c->x, c->y);
        return 0;
    case SC_DOWN:
        input(k, KIN_DOWN, c->x, c->y);
        return 0;
    case SC_MOVE:
        input(k, KIN_MOVE, c->x, c->y);
        return 0;
    case SC_UP:
        input(k, KIN_UP, c->x, c->y);
        return 0;
    case SC_DRAG:
        input(k, KIN_DOWN, c->x, c->y);
        for (int i = 1; i <= 8; i++)
            input(k, KIN_MOVE, c->x + (c->x2 - c->x) * i / 8, c->y + (c->y2 - c->y) * i / 8);
        input(k, KIN_UP, c->x2, c->y2);
        return 0;
    case SC_ZOOM: {
        krect ar = kmodel_map_area(&a->m.cfg, a->m.lang);
        kiosk_input in = {.kind = KIN_ZOOM, .factor = (float)c->factor, .x = c->x, .y = c->y};
        if (c->x < 0) {
            in.x = ar.x + ar.w / 2;
            in.y = ar.y + ar.h / 2;
        }
        kapp_input(a, &in, kapp_now(a));
        return 0;
    }
    case SC_TAP_SEAT:
        return tap_seat(k, c);
    case SC_TAP_BUTTON: {
        ui_frame f;
        ui_frame_init(&f);
        f.skip_seats = true;
        build(k, &f);
        const ui_button *b = ui_find_button(&f, c->arg);
        krect r = b ? b->r : (krect){0, 0, 0, 0};
        bool enabled = b && b->enabled;
        ui_frame_release(&f);
        if (!enabled)
            return fail(k, c->line, "expected button %s on screen %s, got %s", c->arg,
                        kscreen_name(a->m.screen), b ? "it disabled" : "no such button");
        tap(k, r.x + r.w / 2, r.y + r.h / 2);
        return 0;
    }
    case SC_TYPE:
        /* A person: a character every 150 ms, not fast enough to look like a scanner. */
        for (const char *p = c->arg; *p; p++) {
            kiosk_input in = {.kind = KIN_TEXT};
            in.text[0] = *p;
            a->clock_offset += 150;
            kapp_input(a, &in, kapp_now(a));
        }
        return 0;
    case SC_SCAN: {
        for (const char *p = c->arg; *p; p++) {
            kiosk_input in = {.kind = KIN_TEXT};
            in.text[0] = *p;
            a->clock_offset += 2;
            kapp_input(a, &in, kapp_now(a));
        }
        if (strcmp(c->end, "none") != 0) {
            kiosk_input in = {.kind = KIN_KEY,
                              .key = !strcmp(c->end, "tab") ? KKEY_TAB : KKEY_RETURN};
            kapp_input(a, &in, kapp_now(a));
        } else {
            advance(k, 400); /* the pause that ends a scan without a terminator */
        }
        return 0;
    }
    case SC_KEY: {
        kkey key = kinput_key_parse(c->arg);
        if (!key)
            return fail(k, c->line, "expected Return, Tab, BackSpace or Escape, got %s", c->arg);
        kiosk_input in = {.kind = KIN_KEY, .key = key};
        kapp_input(a, &in, kapp_now(a));
        return 0;
    }
    case SC_WAIT:
        advance(k, c->ms);
        return 0;
    case SC_SLEEP:
        for (int64_t t = 0; t < c->ms; t += 50) {
            sleep_ms(c->ms - t < 50 ? c->ms - t : 50);
            tick(k);
        }
        return 0;
    case SC_STALL:
        sleep_ms(c->ms); /* hung: nothing ticks, nothing pings */
        return 0;
    case SC_SHOT:
        return shot(k, c);
    case SC_NUDGE:
        text_copy(k->nudge, sizeof k->nudge, c->arg);
        k->nudge_x = c->x;
        k->nudge_y = c->y;
        return 0;
    case SC_EXPECT:
        return expect(k, c);
    }
    return 0;
}

int krunner_run(krunner *k)
{
    FILE *f = fopen(k->script, "r");
    if (!f) {
        fprintf(stderr, "usher-kiosk: --script %s: %s\n", k->script, strerror(errno));
        return 2;
    }
    char line[1024];
    int lineno = 0, rc = 0;
    if (k->sd)
        sdnotify_ready(k->sd, "running a script (headless)");
    while (rc == 0 && !k->app->quit && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        kscript_cmd c;
        usher_errmsg em = {{0}};
        if (kscript_parse(line, lineno, &c, &em)) {
            fprintf(stderr, "%s:%s\n", k->script, em.text + 5); /* "line N: ..." -> ":N: ..." */
            rc = 2;
            break;
        }
        tick(k);
        rc = run_line(k, &c);
    }
    fclose(f);
    return rc;
}

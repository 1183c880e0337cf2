/* bench.c - the seat-map frame benchmark (see bench.h). */
#include "bench.h"

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app.h"

#include "draw.h"
#include "text.h"
#include "timestamp.h"
#include "ui.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static state *busy_state(const layout *l, int64_t now)
{
    state_config cfg = {.reseat = RESEAT_NONE};
    state *st = state_new(l, &cfg);
    if (!st)
        return NULL;
    int n = layout_seat_count(l);
    for (int i = 0; i < n; i += 3) {
        char code[USHER_CODE_SIZE];
        snprintf(code, sizeof code, "B-%06d", i);
        if (state_add_ticket(st, code, "Bench Guest", "", NULL, NULL) != USHER_OK)
            continue;
        usher_op op;
        op_init(&op, OP_ASSIGN, "bench", now);
        text_copy(op.ticket, sizeof op.ticket, code);
        text_copy(op.seat, sizeof op.seat, layout_seat_at(l, i)->id);
        apply_result res;
        state_apply(st, &op, now, &res);
    }
    return st;
}

static void report(const char *label, double *t, int n, int seats, int drawn, const kmodel *m)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    int p99 = (int)(n * 0.99);
    if (p99 >= n)
        p99 = n - 1;
    printf("%-28s %5d seats (%5d on screen) %dx%d: median %7.3f ms  p99 %7.3f ms  (%d frames)\n",
           label, seats, drawn, m->cfg.w, m->cfg.h, t[n / 2], t[p99], n);
}

/* Full frames (a new screen), then frames where a guest taps a seat (its
 * colour and the panel change: the dirty rectangle is redrawn). */
static void run(const char *label, kmodel *m, const kworld *w, kdraw *d, SDL_Renderer *r, int n,
                int seats)
{
    double *t = malloc((size_t)n * sizeof *t);
    ui_frame f;
    ui_frame_init(&f);
    if (!t)
        return;
    double freq = (double)SDL_GetPerformanceFrequency();
    int64_t now = timestamp_now_ms();
    char name[64];
    for (int i = 0; i < n; i++) {
        Uint64 t0 = SDL_GetPerformanceCounter();
        ui_build(m, w, now, &f);
        kdraw_frame(d, &f);
        SDL_RenderPresent(r);
        t[i] = (double)(SDL_GetPerformanceCounter() - t0) * 1000.0 / freq;
    }
    snprintf(name, sizeof name, "%s, full frame", label);
    report(name, t, n, seats, f.nseats, m);
    /* The seat a guest taps: the one nearest the middle of the map. */
    krect a = m->map.area;
    int si = seatmap_hit(&m->map, w->l, a.x + a.w / 2, a.y + a.h / 2);
    if (si < 0 && f.nseats)
        si = f.seats[f.nseats / 2].index;
    for (int i = 0; i < n && si >= 0; i++) {
        text_copy(m->party[0].seat, sizeof m->party[0].seat,
                  i % 2 ? "" : layout_seat_at(w->l, si)->id);
        m->party[0].hold_until = now + 60000;
        Uint64 t0 = SDL_GetPerformanceCounter();
        ui_build(m, w, now, &f);
        kdraw_update(d, &f);
        SDL_RenderPresent(r);
        t[i] = (double)(SDL_GetPerformanceCounter() - t0) * 1000.0 / freq;
    }
    m->party[0].seat[0] = '\0';
    snprintf(name, sizeof name, "%s, seat tapped", label);
    report(name, t, n, seats, f.nseats, m);
    ui_frame_release(&f);
    free(t);
}

int kbench_frames(const char *spec, int n, const char *font, const kconfig *cfg)
{
    usher_errmsg em = {{0}};
    layout *l = NULL;
    if (layout_generate(spec, &l, &em)) {
        fprintf(stderr, "usher-kiosk: --layout %s: %s\n", spec, em.text);
        return 2;
    }
    int64_t now = timestamp_now_ms();
    state *st = busy_state(l, now);
    SDL_Surface *s =
        SDL_CreateRGBSurfaceWithFormat(0, cfg->w, cfg->h, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = s ? SDL_CreateSoftwareRenderer(s) : NULL;
    kdraw *d = NULL;
    int rc = 1;
    if (!st || !r) {
        fprintf(stderr, "usher-kiosk: bench set-up failed: %s\n", SDL_GetError());
        goto out;
    }
    if (kdraw_new(r, font, &d, &em)) {
        fprintf(stderr, "usher-kiosk: %s\n", em.text);
        goto out;
    }
    kworld w;
    memset(&w, 0, sizeof w);
    w.l = l;
    w.view = st;
    w.st.online = true;
    w.st.last_sync_at = w.st.last_attempt_at = now;
    text_copy(w.id.device, sizeof w.id.device, "bench-kiosk");
    text_copy(w.id.event_name, sizeof w.id.event_name, "Bench");
    kmodel m;
    kmodel_init(&m, cfg, &w, now);
    m.screen = SCR_SEATMAP;
    m.nparty = 1;
    text_copy(m.party[0].code, sizeof m.party[0].code, "B-GUEST");
    text_copy(m.party[0].name, sizeof m.party[0].name, "Bench Guest");
    kiosk_input tick = {.kind = KIN_TICK};
    keffects fx;
    kmodel_update(&m, &w, &tick, now, &fx);
    run("overview", &m, &w, d, r, n, layout_seat_count(l));
    krect a = m.map.area;
    seatmap_focus(&m.map, seatmap_tap_scale(&m.map), a.x + a.w / 2, a.y + a.h / 2);
    run("finger zoom", &m, &w, d, r, n, layout_seat_count(l));
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %ld KB\n", ru.ru_maxrss);
    rc = 0;
out:
    kdraw_free(d);
    if (r)
        SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    state_free(st);
    layout_free(l);
    return rc;
}

/* A journal in a fresh temporary folder, set up as syncd would leave it after
 * bootstrap (identity, layout), for the tap benchmark. */
static usher_err bench_journal(const char *dir, const layout *l, char *path, size_t size,
                               usher_errmsg *em)
{
    snprintf(path, size, "%s/journal.db", dir);
    journal *j = NULL;
    char *json = layout_to_json(l);
    usher_err err =
        json ? journal_open(path, &j, em) : usher_fail(em, USHER_NOMEM, "out of memory");
    journal_identity id = {.role = ROLE_KIOSK, .hold_ttl_ms = USHER_DEFAULT_HOLD_TTL_MS};
    text_copy(id.device, sizeof id.device, "bench-kiosk");
    text_copy(id.event_id, sizeof id.event_id, "bench");
    text_copy(id.event_name, sizeof id.event_name, "Bench");
    if (!err)
        err = journal_set_layout_json(j, json, em);
    if (!err)
        err = journal_set_identity(j, &id, em);
    journal_free(j);
    free(json);
    return err;
}

static void remove_journal(const char *dir, const char *path)
{
    char p[4200];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    rmdir(dir);
}

int kbench_taps(const char *spec, int n, const kconfig *cfg)
{
    usher_errmsg em = {{0}};
    layout *l = NULL;
    if (layout_generate(spec, &l, &em)) {
        fprintf(stderr, "usher-kiosk: --layout %s: %s\n", spec, em.text);
        return 2;
    }
    char dir[] = "/tmp/usher-kiosk-bench-XXXXXX", path[4096];
    if (!mkdtemp(dir)) {
        fprintf(stderr, "usher-kiosk: cannot make a temporary folder in /tmp\n");
        layout_free(l);
        return 1;
    }
    kapp a;
    int rc = 1;
    double *t = malloc((size_t)n * sizeof *t);
    if (!t || bench_journal(dir, l, path, sizeof path, &em) || kapp_open(&a, path, cfg, &em)) {
        fprintf(stderr, "usher-kiosk: bench set-up: %s\n", t ? em.text : "out of memory");
        goto out;
    }
    kapp *ap = &a;
    ap->m.screen = SCR_SEATMAP;
    ap->m.nparty = 1;
    text_copy(ap->m.party[0].code, sizeof ap->m.party[0].code, "B-GUEST");
    kiosk_input tick = {.kind = KIN_TICK};
    kapp_input(ap, &tick, kapp_now(ap));
    double freq = (double)SDL_GetPerformanceFrequency();
    int seats = layout_seat_count(l);
    for (int i = 0; i < n; i++) {
        /* Tap a seat (a hold), then the same seat again (a release): each is
         * one op made durable, then the view rebuilt from the journal. */
        const layout_seat *s = layout_seat_at(l, (i / 2 * 7) % seats);
        float x, y;
        if (i % 2 == 0) {
            seatmap_to_screen(&ap->m.map, s->x, s->y, &x, &y);
            seatmap_focus(&ap->m.map, seatmap_tap_scale(&ap->m.map), x, y);
        }
        seatmap_to_screen(&ap->m.map, s->x, s->y, &x, &y);
        int64_t before = ap->appended;
        Uint64 t0 = SDL_GetPerformanceCounter();
        kiosk_input d = {.kind = KIN_DOWN, .x = x, .y = y}, u = {.kind = KIN_UP, .x = x, .y = y};
        kapp_input(ap, &d, kapp_now(ap));
        kapp_input(ap, &u, kapp_now(ap));
        t[i] = (double)(SDL_GetPerformanceCounter() - t0) * 1000.0 / freq;
        if (ap->appended != before + 1) {
            fprintf(stderr, "usher-kiosk: bench: tap %d made %lld ops, not 1 (%s)\n", i,
                    (long long)(ap->appended - before), ap->last_error);
            kapp_close(ap);
            goto out;
        }
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    printf("tap to durable op + view      %5d seats: median %7.3f ms  p99 %7.3f ms  (%d taps)\n",
           seats, t[n / 2], t[n * 99 / 100 < n ? n * 99 / 100 : n - 1], n);
    kapp_close(ap);
    rc = 0;
out:
    remove_journal(dir, path);
    free(t);
    layout_free(l);
    return rc;
}

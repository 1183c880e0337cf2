/* main.c - usher-kiosk: the command line, the catalogues, SDL set-up and the
 * event loop (sleeping in SDL_WaitEventTimeout, redrawing only when the
 * display list changed), the headless script mode and the frame benchmark. */
#include <SDL.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app.h"
#include "bench.h"
#include "cli.h"
#include "draw.h"
#include "kaudio.h"
#include "kprint.h"
#include "ktr.h"
#include "runner.h"
#include "sdlin.h"
#include "sdnotify.h"
#include "text.h"
#include "timestamp.h"
#include "ui.h"

#define DEFAULT_FONT "Noto Sans"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: usher-kiosk --db FILE [--mode guest|door|exit] [--window WxH | --fullscreen]\n"
        "                   [--font FAMILY] [--lang LANG] [--idle-seconds N] [--pin DIGITS]\n"
        "                   [--ppi N] [--volume 0..100] [--printer NAME]\n"
        "                   [--headless --script FILE --shots DIR]\n"
        "       usher-kiosk [--bench-frames N] [--bench-taps N] --layout gala:25x10|theatre:RxS\n"
        "                   [--window WxH]\n"
        "       usher-kiosk --db FILE --bench-start [--window WxH]\n"
        "\n"
        "The touchscreen app for guests (seat choice) and door staff (check-in). It reads\n"
        "the device journal that usher-syncd keeps (--db) and never touches the network.\n"
        "  --mode         guest, door or exit (a door that scans guests out; default: the\n"
        "                 device's role)\n"
        "  --window WxH   a window of that size (default 1280x800); --fullscreen for a kiosk\n"
        "  --font         the first font family (default " DEFAULT_FONT "); fontconfig finds\n"
        "                 the others a name needs\n"
        "  --lang         the default language: en de fr es ar zh (default en)\n"
        "  --idle-seconds back to the start screen after this long untouched (default 60)\n"
        "  --pin          this device's staff PIN instead of the event's (usher-coord init\n"
        "                 prints that one); the staff screen opens\n"
        "                 after holding the top-left corner for 3 s\n"
        "  --ppi          screen pixels per inch, for text and targets of the right size\n"
        "                 (default: what the display reports, else 140)\n"
        "  --volume       the loudness of the door's verdict tones, 0 (silent) to 100\n"
        "                 (default 70); headless runs are always silent\n"
        "  --printer      print a seat card after each confirmation (guest) or admission\n"
        "                 (door) on this CUPS queue (lpstat -p lists them)\n"
        "  --headless     no window: run --script (kiosk/README.md), screenshots to --shots\n"
        "  --bench-frames draw N frames of a generated venue's seat map and print the\n"
        "                 median and p99 frame time (software renderer)\n"
        "  --bench-taps   tap seats N times on a temporary journal; print the median and\n"
        "                 p99 time from tap to durable op and updated view\n"
        "  --bench-start  quit once the first attract screen is on the display, printing\n"
        "                 when (ms since the epoch) and the peak RSS so far\n");
}

/* The catalogues: beside the program in a build tree (kiosk/locale), else
 * PREFIX/share/locale for an installed /usr/local/bin/usher-kiosk. */
static void find_catalogues(void)
{
    char exe[PATH_MAX], dir[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        ktr_init("/usr/local/share/locale");
        return;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    snprintf(dir, sizeof dir, "%s/locale", exe);
    if (access(dir, R_OK) != 0)
        snprintf(dir, sizeof dir, "%s/../share/locale", exe);
    ktr_init(dir);
}

static bool parse_size(const char *s, int *w, int *h)
{
    char a[16], b[16];
    const char *x = strchr(s, 'x');
    int64_t vw, vh;
    if (!x || !text_copyn(a, sizeof a, s, (size_t)(x - s)) || !text_copy(b, sizeof b, x + 1) ||
        !text_parse_i64(a, 320, 8192, &vw) || !text_parse_i64(b, 240, 8192, &vh))
        return false;
    *w = (int)vw;
    *h = (int)vh;
    return true;
}

/* SDL_WaitEventTimeout sleeps in the kernel only where the video driver can
 * wait (X11, Wayland, Windows, macOS); elsewhere (KMSDRM on a Pi, offscreen)
 * SDL 2 polls every millisecond, several % of a core. There we poll
 * ourselves: every 10 ms just after a touch (a frame at most of latency), every
 * 30 ms when idle. */
static bool driver_can_wait(void)
{
    const char *d = SDL_GetCurrentVideoDriver();
    return d && (!strcmp(d, "x11") || !strcmp(d, "wayland") || !strcmp(d, "windows") ||
                 !strcmp(d, "cocoa"));
}

static int wait_event(SDL_Event *ev, int timeout_ms, bool can_wait, bool active)
{
    if (can_wait)
        return SDL_WaitEventTimeout(ev, timeout_ms);
    Uint32 start = SDL_GetTicks();
    for (;;) {
        if (SDL_PollEvent(ev))
            return 1;
        Uint32 spent = SDL_GetTicks() - start;
        if (spent >= (Uint32)timeout_ms)
            return 0;
        Uint32 nap = active ? 10 : 30;
        SDL_Delay(nap < (Uint32)timeout_ms - spent ? nap : (Uint32)timeout_ms - spent);
    }
}

/* The windowed (or fullscreen) event loop. */
/* A verdict asked for a sound since the last look: play it. */
static void play_new_tone(kapp *a, kaudio *au, unsigned *played)
{
    if (a->ntones != *played)
        kaudio_play(au, a->tone);
    *played = a->ntones;
}

/* --bench-start: the first attract screen is on the display. */
static void report_start(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("attract shown at %lld ms since the epoch, peak RSS %ld KB\n",
           (long long)timestamp_now_ms(), ru.ru_maxrss);
    fflush(stdout);
}

static int run_window(kapp *a, const char *font, bool fullscreen, int w, int h, bool ppi_given,
                      int volume, bool bench_start)
{
    SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "0");
    SDL_SetHint(SDL_HINT_MOUSE_TOUCH_EVENTS, "0");
    SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "0");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "usher-kiosk: cannot start the display: %s (no screen? use --headless)\n",
                SDL_GetError());
        return 1;
    }
    int rc = 1;
    kdraw *d = NULL;
    SDL_Renderer *r = NULL;
    SDL_Window *win = SDL_CreateWindow("Usher", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, w,
                                       h, fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
    if (!win) {
        fprintf(stderr, "usher-kiosk: cannot open a window: %s\n", SDL_GetError());
        goto out;
    }
    SDL_GetWindowSize(win, &w, &h);
    r = SDL_CreateRenderer(win, -1, SDL_RENDERER_PRESENTVSYNC);
    if (!r)
        r = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    if (!r) {
        fprintf(stderr, "usher-kiosk: cannot draw: %s\n", SDL_GetError());
        goto out;
    }
    if (fullscreen)
        SDL_ShowCursor(SDL_DISABLE);
    float ddpi = 0;
    if (!ppi_given && SDL_GetDisplayDPI(SDL_GetWindowDisplayIndex(win), &ddpi, NULL, NULL) == 0 &&
        ddpi >= 50 && ddpi <= 600)
        a->m.cfg.ppmm = ddpi / 25.4; /* the display's own density, when it says */
    a->m.cfg.w = w;
    a->m.cfg.h = h;
    a->m.map_ready = false; /* fitted again to this size */
    usher_errmsg em = {{0}};
    if (kdraw_new(r, font, &d, &em)) {
        fprintf(stderr, "usher-kiosk: %s\n", em.text);
        goto out;
    }
    /* Everything is drawn on a canvas that keeps the last picture, so that a
     * change redraws only its dirty rectangle; the canvas is then shown. */
    SDL_Texture *canvas =
        SDL_CreateTexture(r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET, w, h);
    if (canvas && SDL_SetRenderTarget(r, canvas) != 0) {
        SDL_DestroyTexture(canvas);
        canvas = NULL;
    }
    SDL_StartTextInput();
    bool can_wait = driver_can_wait();
    fprintf(stderr, "usher-kiosk: %s mode on %s %dx%d (%s)\n",
            a->m.mode == KMODE_DOOR ? "door" : "guest", SDL_GetCurrentVideoDriver(), w, h,
            canvas ? "partial redraws" : "full redraws");
    kaudio *au = kaudio_open(volume);
    unsigned played = a->ntones;
    sdlin_state ss = {0};
    ui_frame f;
    ui_frame_init(&f);
    bool force = true;
    sdnotify sd;
    sdnotify_init(&sd);
    while (!a->quit) {
        sdnotify_alive(&sd, timestamp_mono_ms()); /* from the loop only: a hang stops it */
        int64_t now = kapp_now(a);
        kapp_refresh(a, now, false);
        /* Quick ticks while something counts down or a finger is down. */
        kscreen s = a->m.screen;
        bool busy = a->m.down || a->m.entry[0] || s == SCR_VERDICT || s == SCR_SEATMAP ||
                    s == SCR_CONFIRM || now < a->m.locked_until;
        SDL_Event ev;
        bool active = now - a->m.last_input_at < 5000;
        int got = wait_event(&ev, (int)sdnotify_cap_wait(&sd, busy ? 200 : 1000), can_wait, active);
        while (got) {
            kiosk_input in;
            if (ev.type == SDL_QUIT)
                a->quit = true;
            else if (ev.type == SDL_WINDOWEVENT || ev.type == SDL_RENDER_TARGETS_RESET ||
                     ev.type == SDL_RENDER_DEVICE_RESET)
                force = true;
            else if (sdlin_convert(&ss, &ev, w, h, &in)) {
                ui_hit(&f, &in); /* on the frame on screen */
                kapp_input(a, &in, kapp_now(a));
            }
            got = SDL_PollEvent(&ev);
        }
        kiosk_input tick = {.kind = KIN_TICK};
        kapp_input(a, &tick, kapp_now(a));
        play_new_tone(a, au, &played);
        ui_build(&a->m, &a->w, kapp_now(a), &f);
        int drawn = 2;
        if (force || !canvas)
            kdraw_frame(d, &f);
        else
            drawn = kdraw_update(d, &f);
        force = false;
        if (drawn && canvas) {
            SDL_SetRenderTarget(r, NULL);
            SDL_RenderCopy(r, canvas, NULL, NULL);
            SDL_RenderPresent(r);
            SDL_SetRenderTarget(r, canvas);
        } else if (drawn) {
            SDL_RenderPresent(r);
        }
        sdnotify_ready(&sd, NULL); /* the first frame is on screen */
        if (bench_start && drawn && a->m.screen == SCR_ATTRACT) {
            report_start();
            a->quit = true;
        }
    }
    sdnotify_stopping();
    if (canvas)
        SDL_DestroyTexture(canvas);
    ui_frame_release(&f);
    kaudio_free(au);
    rc = 0;
out:
    kdraw_free(d);
    if (r)
        SDL_DestroyRenderer(r);
    if (win)
        SDL_DestroyWindow(win);
    SDL_Quit();
    return rc;
}

static int run_headless(kapp *a, const char *font, const char *script, const char *shots, int w,
                        int h)
{
    if (!a->w.l && !a->w.storage_full) { /* a full disk: its screen says so */
        fprintf(stderr, "usher-kiosk: the journal has not been set up yet: waiting for the "
                        "coordinator (run usher-syncd against it first)\n");
        return 3;
    }
    a->m.cfg.w = w;
    a->m.cfg.h = h;
    a->m.map_ready = false;
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_Renderer *r = s ? SDL_CreateSoftwareRenderer(s) : NULL;
    if (!r) {
        fprintf(stderr, "usher-kiosk: cannot draw off screen: %s\n", SDL_GetError());
        SDL_FreeSurface(s);
        return 1;
    }
    kdraw *d = NULL;
    usher_errmsg em = {{0}};
    int rc = 1;
    if (kdraw_new(r, font, &d, &em)) {
        fprintf(stderr, "usher-kiosk: %s\n", em.text);
        goto out;
    }
    sdnotify sd;
    sdnotify_init(&sd);
    krunner k = {
        .app = a, .draw = d, .r = r, .surface = s, .script = script, .shots = shots, .sd = &sd};
    rc = krunner_run(&k);
    sdnotify_stopping();
out:
    kdraw_free(d);
    SDL_DestroyRenderer(r);
    SDL_FreeSurface(s);
    return rc;
}

/* The kiosk shell's printer hooks (app.h), onto the printer's thread. */
static void print_cards(void *ctx, const kcard *cards, int n)
{
    kprint_cards(ctx, cards, n);
}

static void printer_status(void *ctx, kprinter_status *out)
{
    kprint_status(ctx, out);
}

static int printer_waiting(void *ctx, kcard *out, int max)
{
    return kprint_waiting(ctx, out, max);
}

int main(int argc, char **argv)
{
    static const cli_spec specs[] = {
        {"db", true},           {"mode", true},      {"window", true}, {"fullscreen", false},
        {"font", true},         {"headless", false}, {"script", true}, {"shots", true},
        {"idle-seconds", true}, {"pin", true},       {"ppi", true},    {"bench-frames", true},
        {"bench-taps", true},   {"layout", true},    {"lang", true},   {"volume", true},
        {"bench-start", false}, {"printer", true},
    };
    const int ns = (int)(sizeof specs / sizeof specs[0]);
    if (cli_wants_help(argc, argv)) {
        usage(stdout);
        return 0;
    }
    cli c;
    usher_errmsg em = {{0}};
    if (cli_parse(specs, ns, argc - 1, argv + 1, &c, &em)) {
        fprintf(stderr, "usher-kiosk: %s (see --help)\n", em.text);
        return 2;
    }
#define OPT(name) cli_get(specs, ns, &c, name)
    const char *why = NULL;
    int w = 1280, h = 800;
    int64_t idle = 60, ppi = 140, frames = 0, taps = 0, volume = 70;
    kconfig cfg = {.mode = KMODE_GUEST,
                   .verdict_ms = 3000,
                   .longpress_ms = 3000,
                   .still_ms = 15000,
                   .lang = "en"};
    if (c.nargs)
        why = "unexpected words after the options";
    else if (OPT("window") && !parse_size(OPT("window"), &w, &h))
        why = "--window takes WIDTHxHEIGHT, e.g. 800x480 (320x240 to 8192x8192)";
    else if (OPT("window") && OPT("fullscreen"))
        why = "--window and --fullscreen exclude each other";
    else if (OPT("idle-seconds") && !text_parse_i64(OPT("idle-seconds"), 5, 3600, &idle))
        why = "--idle-seconds takes 5..3600";
    else if (OPT("ppi") && !text_parse_i64(OPT("ppi"), 50, 600, &ppi))
        why = "--ppi takes 50..600";
    else if (OPT("volume") && !text_parse_i64(OPT("volume"), 0, 100, &volume))
        why = "--volume takes 0 (silent) to 100";
    else if (OPT("pin") && (strlen(OPT("pin")) < 4 || strlen(OPT("pin")) > 12 ||
                            strspn(OPT("pin"), "0123456789") != strlen(OPT("pin"))))
        why = "--pin takes 4 to 12 digits";
    else if (OPT("font") && (!OPT("font")[0] || strlen(OPT("font")) > 100))
        why = "--font takes a font family name, e.g. \"Noto Sans\"";
    else if (OPT("lang") && !ktr_known(OPT("lang")))
        why = "--lang takes en, de, fr, es, ar or zh";
    else if (OPT("printer") && !kprint_name_ok(OPT("printer")))
        why = "--printer takes a CUPS queue name (no spaces, '/', '#' or '\\'; lpstat -p lists "
              "them)";
    else if (OPT("mode") && strcmp(OPT("mode"), "guest") && strcmp(OPT("mode"), "door") &&
             strcmp(OPT("mode"), "exit"))
        why = "--mode takes guest, door or exit";
    else if (OPT("bench-frames") &&
             (!text_parse_i64(OPT("bench-frames"), 1, 1000000, &frames) || !OPT("layout")))
        why = "--bench-frames takes a count 1..1000000 and needs --layout SPEC";
    else if (OPT("bench-taps") &&
             (!text_parse_i64(OPT("bench-taps"), 1, 100000, &taps) || !OPT("layout")))
        why = "--bench-taps takes a count 1..100000 and needs --layout SPEC";
    else if (!OPT("bench-frames") && !OPT("bench-taps") && !OPT("db"))
        why = "--db FILE is required (the device journal usher-syncd keeps)";
    else if (OPT("bench-start") && (OPT("headless") || OPT("bench-frames") || OPT("bench-taps")))
        why = "--bench-start runs the windowed kiosk on --db (not --headless or another bench)";
    else if (OPT("headless") && (!OPT("script") || !OPT("shots")))
        why = "--headless needs --script FILE and --shots DIR";
    else if (!OPT("headless") && (OPT("script") || OPT("shots")))
        why = "--script and --shots work with --headless only";
    if (why) {
        fprintf(stderr, "usher-kiosk: %s\n", why);
        return 2;
    }
    if (OPT("shots") && access(OPT("shots"), W_OK) != 0) {
        fprintf(stderr, "usher-kiosk: --shots %s: not a writable folder\n", OPT("shots"));
        return 2;
    }
    if (OPT("pin"))
        text_copy(cfg.pin, sizeof cfg.pin, OPT("pin"));
    cfg.mode_auto = !OPT("mode");
    if (OPT("mode") && (!strcmp(OPT("mode"), "door") || !strcmp(OPT("mode"), "exit")))
        cfg.mode = KMODE_DOOR;
    cfg.exit_door = OPT("mode") && !strcmp(OPT("mode"), "exit");
    cfg.idle_ms = idle * 1000;
    cfg.ppmm = (double)ppi / 25.4;
    cfg.w = w;
    cfg.h = h;
    if (OPT("lang")) {
        text_copy(cfg.lang, sizeof cfg.lang, OPT("lang"));
        cfg.lang_fixed = true;
    }
    find_catalogues();
    const char *font = OPT("font") ? OPT("font") : DEFAULT_FONT;
    int rc;
    if (frames || taps) {
        rc = frames ? kbench_frames(OPT("layout"), (int)frames, font, &cfg) : 0;
        if (!rc && taps)
            rc = kbench_taps(OPT("layout"), (int)taps, &cfg);
        return rc;
    }
    kapp a;
    if (kapp_open(&a, OPT("db"), &cfg, &em)) {
        fprintf(stderr, "usher-kiosk: %s\n", em.text);
        return 1;
    }
    kprint *printer = NULL;
    if (OPT("printer")) {
        if (kprint_start(OPT("printer"), font, &printer, &em)) {
            fprintf(stderr, "usher-kiosk: %s\n", em.text);
            kapp_close(&a);
            return 1;
        }
        a.printer = (kapp_printer){.print = print_cards,
                                   .status = printer_status,
                                   .waiting = printer_waiting,
                                   .ctx = printer};
        printer_status(printer, &a.w.printer);
    }
    kapp_printer_restore(&a); /* cards a restart left waiting are printed now */
    if (OPT("headless"))
        rc = run_headless(&a, font, OPT("script"), OPT("shots"), w, h);
    else
        rc = run_window(&a, font, OPT("fullscreen") != NULL, w, h, OPT("ppi") != NULL, (int)volume,
                        OPT("bench-start") != NULL);
    if (printer) {
        printer_status(printer, &a.w.printer);
        kapp_printer_save(&a, kapp_now(&a)); /* what is still waiting, for the next start */
        int waiting = a.w.printer.waiting;
        if (waiting && a.print_saved && a.saved_gen == a.w.printer.queue_gen)
            fprintf(stderr,
                    "usher-kiosk: %d seat card%s kept in the journal, printed at the next "
                    "start\n",
                    waiting, waiting == 1 ? "" : "s");
    }
    kapp_close(&a);
    kprint_stop(printer);
    return rc;
#undef OPT
}

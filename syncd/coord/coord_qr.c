/* coord_qr.c - PDF sheets of signed QR tickets (Cairo + Pango), files rendered
 * in parallel: each thread takes the next whole file and owns its surface, so
 * nothing Cairo or Pango holds is shared between threads. */
#include "coord_qr.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coord_export.h"
#include "qrcode.h"
#include "qrsig.h"
#include "text.h"

#define MM (72.0 / 25.4)
#define MARGIN (10 * MM)
#define PAD (3 * MM)
#define MIN_QR (22 * MM)   /* quiet zone included: about 0.45 mm a module */
#define MIN_TEXT (25 * MM) /* room for a name on two lines */

void coord_qr_page_size(coord_qr_paper paper, double *w, double *h)
{
    if (paper == COORD_QR_LETTER) {
        *w = 612, *h = 792; /* 8.5 x 11 in */
    } else {
        *w = 210 * MM, *h = 297 * MM;
    }
}

usher_err coord_qr_card_at(const coord_qr_opts *o, int slot, coord_qr_card *out, usher_errmsg *em)
{
    if (o->cols < 1 || o->cols > 8 || o->rows < 1 || o->rows > 12)
        return usher_fail(em, USHER_INVAL, "--grid %dx%d: from 1x1 to 8x12 cards a page", o->cols,
                          o->rows);
    if (slot < 0 || slot >= o->cols * o->rows)
        return usher_fail(em, USHER_INVAL, "card %d is not on a %dx%d page", slot, o->cols,
                          o->rows);
    double pw, ph;
    coord_qr_page_size(o->paper, &pw, &ph);
    coord_qr_card c;
    c.w = (pw - 2 * MARGIN) / o->cols;
    c.h = (ph - 2 * MARGIN) / o->rows;
    c.x = MARGIN + (slot % o->cols) * c.w;
    c.y = MARGIN + (slot / o->cols) * c.h;
    c.qr_side = c.h - 2 * PAD < c.w * 0.5 ? c.h - 2 * PAD : c.w * 0.5;
    c.qr_x = c.x + PAD;
    c.qr_y = c.y + (c.h - c.qr_side) / 2;
    c.text_x = c.qr_x + c.qr_side;
    c.text_w = c.x + c.w - PAD - c.text_x;
    if (c.qr_side < MIN_QR || c.text_w < MIN_TEXT)
        return usher_fail(em, USHER_INVAL,
                          "--grid %dx%d: cards of %.0f x %.0f mm are too small for a QR code "
                          "a scanner reads and the name beside it (at least 22 mm and 25 mm): "
                          "choose fewer cards a page",
                          o->cols, o->rows, c.w / MM, c.h / MM);
    *out = c;
    return USHER_OK;
}

/* ---- rendering ------------------------------------------------------------ */

typedef struct job {
    const coord_event *ev;
    const state *st;
    const coord_qr_opts *o;
    const char *dir;
    const int *idx; /* ticket indices to print */
    int n;
    int per_file, nfiles;
    char (*payloads)[QRSIG_PAYLOAD_SIZE];
    coord_qr_card cards[8 * 12];
    atomic_int next_file;
    atomic_bool failed;
    pthread_mutex_t lock; /* guards err and em */
    usher_err err;
    usher_errmsg em;
} job;

static void job_fail(job *j, usher_err err, const usher_errmsg *em)
{
    pthread_mutex_lock(&j->lock);
    if (!j->err) {
        j->err = err;
        j->em = *em;
    }
    pthread_mutex_unlock(&j->lock);
    atomic_store(&j->failed, true);
}

/* Each QR code as a 1-bit stencil of its own, one pixel a module, at its
 * card's own place. (One stencil for the whole page, every code on one
 * module grid, was cheaper to write, but codes aligned to the module across a
 * sheet made zbar miss one in ten when it saw the page at once.) A smaller
 * code (a shorter payload) keeps the module size and is centred; the paper
 * is the light modules and the quiet zones. */
static usher_err draw_qrs(cairo_t *cr, const qrcode *qs, int n, const coord_qr_card *cards,
                          double pw, double ph, usher_errmsg *em)
{
    (void)pw, (void)ph;
    int side = 0;
    for (int k = 0; k < n; k++)
        side = qs[k].width + 8 > side ? qs[k].width + 8 : side; /* with the quiet zone */
    if (n == 0)
        return USHER_OK;
    double m = cards[0].qr_side / side; /* every card's QR square is the same */
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_A1, side, side);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return usher_fail(em, USHER_NOMEM, "out of memory drawing QR codes");
    }
    int stride = cairo_image_surface_get_stride(img);
    for (int k = 0; k < n; k++) {
        const qrcode *q = &qs[k];
        cairo_surface_flush(img);
        unsigned char *px = cairo_image_surface_get_data(img);
        memset(px, 0, (size_t)stride * (size_t)side);
        int off = (side - (q->width + 8)) / 2 + 4;
        for (int y = 0; y < q->width; y++) {
            /* A1 packs pixels in 32-bit words, the first pixel in the word's
             * low bit on a little-endian machine, its high bit on a big-endian one */
            uint32_t *row = (uint32_t *)(void *)(px + (size_t)(off + y) * (size_t)stride);
            for (int x = 0; x < q->width; x++)
                if (qrcode_dark(q, x, y)) {
                    int bit = (off + x) & 31;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
                    bit = 31 - bit;
#endif
                    row[(off + x) >> 5] |= (uint32_t)1 << bit;
                }
        }
        cairo_surface_mark_dirty(img);
        cairo_save(cr);
        cairo_translate(cr, cards[k].qr_x, cards[k].qr_y);
        cairo_scale(cr, m, m);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_pattern_t *mask = cairo_pattern_create_for_surface(img);
        cairo_pattern_set_filter(mask, CAIRO_FILTER_NEAREST);
        cairo_mask(cr, mask);
        cairo_pattern_destroy(mask);
        cairo_restore(cr);
    }
    cairo_surface_destroy(img);
    return USHER_OK;
}

/* Shows a laid-out text at *y in the card's text column; *y moves down. */
static void show(cairo_t *cr, PangoLayout *pl, double grey, const coord_qr_card *c, double *y)
{
    cairo_set_source_rgb(cr, grey, grey, grey);
    cairo_move_to(cr, c->text_x, *y);
    pango_cairo_show_layout(cr, pl);
    int w, h;
    pango_layout_get_size(pl, &w, &h);
    *y += (double)h / PANGO_SCALE + 2;
}

/* Lays out one line or two of text in the card's text column. */
static void lay_out(PangoLayout *pl, const PangoFontDescription *font, const char *s, int lines,
                    const coord_qr_card *c)
{
    pango_layout_set_font_description(pl, font);
    pango_layout_set_width(pl, (int)(c->text_w * PANGO_SCALE));
    pango_layout_set_height(pl, -lines);
    pango_layout_set_text(pl, s, -1);
}

static void draw_text(cairo_t *cr, PangoLayout *pl, const PangoFontDescription *font, const char *s,
                      int lines, double grey, const coord_qr_card *c, double *y)
{
    lay_out(pl, font, s, lines, c);
    show(cr, pl, grey, c, y);
}

/* One line that must be read whole (a ticket code, a seat): never cut, set
 * smaller when it is wider than the column. */
static void draw_whole(cairo_t *cr, PangoLayout *pl, PangoFontDescription *font, const char *s,
                       const coord_qr_card *c, double *y)
{
    int size = pango_font_description_get_size(font);
    pango_layout_set_font_description(pl, font);
    pango_layout_set_width(pl, -1);
    pango_layout_set_height(pl, -1);
    pango_layout_set_text(pl, s, -1);
    int w, h;
    pango_layout_get_size(pl, &w, &h);
    if (w > c->text_w * PANGO_SCALE) {
        pango_font_description_set_size(font, (int)(size * (c->text_w * PANGO_SCALE / w) * 0.98));
        pango_layout_set_font_description(pl, font);
        pango_font_description_set_size(font, size);
        pango_layout_get_size(pl, &w, &h);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, c->text_x, *y);
    pango_cairo_show_layout(cr, pl);
    *y += (double)h / PANGO_SCALE + 2;
}

typedef struct fonts {
    PangoFontDescription *small, *name, *code;
} fonts;

/* event: the event's name laid out once for every card of a file (the same
 * text and column on each: shaped once). */
/* A card's border and words; its QR code is the page's (draw_qrs). */
static void draw_card(cairo_t *cr, PangoLayout *pl, fonts *f, PangoLayout *event,
                      const ticket_state *t, const coord_qr_card *c)
{
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 0.5);
    static const double dash[] = {3, 3};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_rectangle(cr, c->x + 0.25, c->y + 0.25, c->w - 0.5, c->h - 0.5);
    cairo_stroke(cr);
    double y = c->qr_y + c->qr_side * 0.08;
    show(cr, event, 0.35, c, &y);
    draw_text(cr, pl, f->name, t->name[0] ? t->name : "Guest", 2, 0, c, &y);
    draw_whole(cr, pl, f->code, t->code, c, &y);
    char line[64];
    if (t->seat[0]) {
        snprintf(line, sizeof line, "Seat %s", t->seat);
        draw_whole(cr, pl, f->code, line, c, &y);
    }
    if (t->klass[0])
        draw_text(cr, pl, f->small, t->klass, 1, 0.35, c, &y);
}

static usher_err write_svg(const char *dir, const char *code, const qrcode *q, usher_errmsg *em)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.svg", dir, code);
    char *svg = qrcode_svg(q, 4);
    if (!svg)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    FILE *f = fopen(path, "wb");
    bool ok = f && fputs(svg, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    free(svg);
    return ok ? USHER_OK : usher_fail(em, USHER_IO, "cannot write %s: %s", path, strerror(errno));
}

static fonts fonts_for(const coord_qr_card *c)
{
    /* Sizes follow the card: 14 pt names on the default 2x5 A4 cards. */
    double s = c->h / 157.0;
    s = s > 1.2 ? 1.2 : s < 0.55 ? 0.55 : s;
    fonts f = {pango_font_description_from_string("Sans"),
               pango_font_description_from_string("Sans Bold"),
               pango_font_description_from_string("Monospace Bold")};
    pango_font_description_set_size(f.small, (int)(8 * s * PANGO_SCALE));
    pango_font_description_set_size(f.name, (int)(14 * s * PANGO_SCALE));
    pango_font_description_set_size(f.code, (int)(11 * s * PANGO_SCALE));
    return f;
}

static void fonts_release(fonts *f)
{
    pango_font_description_free(f->small);
    pango_font_description_free(f->name);
    pango_font_description_free(f->code);
}

static usher_err render_file(job *j, int file, usher_errmsg *em)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tickets-%04d.pdf", j->dir, file + 1);
    double pw, ph;
    coord_qr_page_size(j->o->paper, &pw, &ph);
    cairo_surface_t *sf = cairo_pdf_surface_create(path, pw, ph);
    cairo_t *cr = cairo_create(sf);
    PangoLayout *pl = pango_cairo_create_layout(cr);
    pango_layout_set_ellipsize(pl, PANGO_ELLIPSIZE_END);
    pango_layout_set_wrap(pl, PANGO_WRAP_WORD_CHAR);
    fonts f = fonts_for(&j->cards[0]);
    PangoLayout *event = pango_cairo_create_layout(cr);
    pango_layout_set_ellipsize(event, PANGO_ELLIPSIZE_END);
    lay_out(event, f.small, j->ev->name, 1, &j->cards[0]);
    int per_page = j->o->cols * j->o->rows;
    int first = file * j->per_file;
    int end = first + j->per_file < j->n ? first + j->per_file : j->n;
    usher_err err = USHER_OK;
    qrcode qs[8 * 12];
    for (int p = first; !err && p < end && !atomic_load(&j->failed); p += per_page) {
        int n = end - p < per_page ? end - p : per_page, made = 0;
        for (; made < n; made++) {
            const ticket_state *t = state_ticket(j->st, j->idx[p + made]);
            qs[made] = (qrcode){0};
            err = qrsig_sign2(j->ev->sk, j->ev->event_id, j->ev->name, t->code,
                              j->payloads[p + made], em);
            if (!err)
                err = qrcode_encode(j->payloads[p + made], &qs[made], em);
            if (err) {
                usher_errmsg_prefix(em, "ticket %s", t->code);
                break;
            }
        }
        if (!err && p != first)
            cairo_show_page(cr);
        if (!err)
            err = draw_qrs(cr, qs, n, j->cards, pw, ph, em);
        for (int k = 0; !err && k < n; k++) {
            const ticket_state *t = state_ticket(j->st, j->idx[p + k]);
            draw_card(cr, pl, &f, event, t, &j->cards[k]);
            if (j->o->per_ticket_svg)
                err = write_svg(j->dir, t->code, &qs[k], em);
        }
        for (int k = 0; k < made; k++)
            qrcode_release(&qs[k]);
    }
    fonts_release(&f);
    g_object_unref(event);
    g_object_unref(pl);
    cairo_destroy(cr);
    cairo_surface_finish(sf);
    if (!err && cairo_surface_status(sf) != CAIRO_STATUS_SUCCESS)
        err = usher_fail(em, USHER_IO, "cannot write %s: %s", path,
                         cairo_status_to_string(cairo_surface_status(sf)));
    cairo_surface_destroy(sf);
    return err;
}

static void *worker(void *arg)
{
    job *j = arg;
    for (;;) {
        int file = atomic_fetch_add(&j->next_file, 1);
        if (file >= j->nfiles || atomic_load(&j->failed))
            break;
        usher_errmsg em = {{0}};
        usher_err err = render_file(j, file, &em);
        if (err)
            job_fail(j, err, &em);
    }
    pango_cairo_font_map_set_default(NULL); /* this thread's fonts, freed now */
    return NULL;
}

static usher_err write_payloads(const job *j, usher_errmsg *em)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/payloads.csv", j->dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return usher_fail(em, USHER_IO, "cannot write %s: %s", path, strerror(errno));
    fputs("ticket_number,full_name,payload\r\n", f);
    for (int i = 0; i < j->n; i++) {
        const ticket_state *t = state_ticket(j->st, j->idx[i]);
        coord_export_cell(f, t->code);
        fputc(',', f);
        coord_export_cell(f, t->name);
        fprintf(f, ",%s\r\n", j->payloads[i]);
    }
    bool ok = !ferror(f);
    if (fclose(f) != 0)
        ok = false;
    return ok ? USHER_OK : usher_fail(em, USHER_IO, "cannot write %s", path);
}

usher_err coord_qr_write(const coord_event *ev, const state *st, const char *dir,
                         const coord_qr_opts *o, int *tickets, int *files, usher_errmsg *em)
{
    if (o->jobs < 1 || o->jobs > 16)
        return usher_fail(em, USHER_INVAL, "--jobs %d: from 1 to 16", o->jobs);
    if (o->per_file < 1)
        return usher_fail(em, USHER_INVAL, "--per-file: at least 1 ticket a file");
    job *j = calloc(1, sizeof *j);
    int *idx = malloc(((size_t)state_ticket_count(st) + 1) * sizeof *idx);
    usher_err err = USHER_OK;
    pthread_t th[16];
    int started = 0;
    if (!j || !idx) {
        err = usher_fail(em, USHER_NOMEM, "out of memory");
        goto out;
    }
    int per_page = o->cols * o->rows;
    for (int s = 0; s < per_page || s == 0; s++)
        if ((err = coord_qr_card_at(o, s, &j->cards[s], em)))
            goto out;
    pthread_mutex_init(&j->lock, NULL);
    j->ev = ev, j->st = st, j->o = o, j->dir = dir, j->idx = idx;
    for (int i = 0; i < state_ticket_count(st); i++)
        if (!state_ticket(st, i)->revoked)
            idx[j->n++] = i;
    /* whole pages in every file */
    j->per_file = (o->per_file + per_page - 1) / per_page * per_page;
    j->nfiles = j->n ? (j->n + j->per_file - 1) / j->per_file : 0;
    j->payloads = malloc(((size_t)j->n + 1) * sizeof *j->payloads);
    if (!j->payloads) {
        err = usher_fail(em, USHER_NOMEM, "out of memory");
        goto out_lock;
    }
    for (; started < o->jobs && started < j->nfiles; started++)
        if (pthread_create(&th[started], NULL, worker, j) != 0)
            break;
    if (started == 0 && j->nfiles > 0)
        worker(j); /* no thread to spare: render here */
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    /* Cairo's and fontconfig's process-wide caches are left alone: their
     * debug resets (cairo_debug_reset_static_data, FcFini) abort when any
     * font object is still alive somewhere in the process, which GLib and
     * Pango do not promise. Leak checkers are told about those caches in
     * tests/lsan.supp instead. */
    if (j->err) {
        err = j->err;
        *em = j->em;
        goto out_lock;
    }
    err = write_payloads(j, em);
    if (!err) {
        *tickets = j->n;
        *files = j->nfiles;
    }
out_lock:
    pthread_mutex_destroy(&j->lock);
out:
    if (j)
        free(j->payloads);
    free(j);
    free(idx);
    return err;
}

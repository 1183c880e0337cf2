/* kcardpdf.c - a seat card as a PDF page (kcardpdf.h). The layout follows
 * usher-coord's QR sheets: the code as a small image drawn without
 * smoothing, names wrapped on two lines, a seat and a code never cut. */
#include "kcardpdf.h"

#include <cairo-pdf.h>
#include <pango/pangocairo.h>
#include <stdint.h>

#include "qrcode.h"

#define MM (72.0 / 25.4)
#define PAD (4 * MM)
#define QR_SIDE (36 * MM) /* a version 4-6 code: about 0.8 mm a module */

typedef struct box {
    double x, y, w;
} box;

static void qr_draw(cairo_t *cr, const qrcode *q, double x, double y, double side_pt)
{
    int side = q->width + 8; /* with the quiet zone */
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, side, side);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return;
    }
    cairo_surface_flush(img);
    unsigned char *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int r = 0; r < side; r++) {
        uint32_t *row = (uint32_t *)(void *)(px + (size_t)r * (size_t)stride);
        for (int c = 0; c < side; c++) {
            bool dark = c >= 4 && r >= 4 && c < q->width + 4 && r < q->width + 4 &&
                        qrcode_dark(q, c - 4, r - 4);
            row[c] = dark ? 0x000000 : 0xffffff;
        }
    }
    cairo_surface_mark_dirty(img);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, side_pt / side, side_pt / side);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_rectangle(cr, 0, 0, side, side);
    cairo_fill(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
}

/* One line of the card at b->y; b->y moves down. whole: never cut (set
 * smaller when too wide); else wrapped on up to `lines` lines with an
 * ellipsis. */
static void line_draw(cairo_t *cr, PangoLayout *pl, const char *family, double pt, bool bold,
                      double grey, const char *s, bool whole, int lines, box *b, int *cut)
{
    PangoFontDescription *fd = pango_font_description_new();
    pango_font_description_set_family(fd, family);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_size(fd, (int)(pt * PANGO_SCALE));
    pango_layout_set_font_description(pl, fd);
    pango_layout_set_text(pl, s, -1);
    int w, h;
    if (whole) {
        pango_layout_set_width(pl, -1);
        pango_layout_set_height(pl, -1);
        pango_layout_get_size(pl, &w, &h);
        if (w > b->w * PANGO_SCALE) {
            pango_font_description_set_size(
                fd, (int)(pt * PANGO_SCALE * (b->w * PANGO_SCALE / w) * 0.98));
            pango_layout_set_font_description(pl, fd);
        }
    } else {
        pango_layout_set_width(pl, (int)(b->w * PANGO_SCALE));
        pango_layout_set_height(pl, -lines);
        pango_layout_set_ellipsize(pl, PANGO_ELLIPSIZE_END);
        pango_layout_set_wrap(pl, PANGO_WRAP_WORD_CHAR);
        /* A name is read whole: set smaller (down to 60 %) before it is cut. */
        for (double f = 0.9; pango_layout_is_ellipsized(pl) && f >= 0.6; f -= 0.1) {
            pango_font_description_set_size(fd, (int)(pt * f * PANGO_SCALE));
            pango_layout_set_font_description(pl, fd);
        }
        *cut += pango_layout_is_ellipsized(pl);
    }
    pango_layout_get_size(pl, &w, &h);
    cairo_set_source_rgb(cr, grey, grey, grey);
    cairo_move_to(cr, b->x, b->y);
    pango_cairo_show_layout(cr, pl);
    b->y += (double)h / PANGO_SCALE + 1.5 * MM;
    pango_layout_set_ellipsize(pl, PANGO_ELLIPSIZE_NONE);
    pango_font_description_free(fd);
}

usher_err kcardpdf_write(const kcard *c, const char *font, const char *path, int *cut,
                         usher_errmsg *em)
{
    int ncut = 0;
    qrcode q = {0};
    usher_err err = qrcode_encode(c->qr, &q, em);
    if (err)
        return err;
    double pw = KCARDPDF_W_MM * MM, ph = KCARDPDF_H_MM * MM;
    cairo_surface_t *s = cairo_pdf_surface_create(path, pw, ph);
    cairo_t *cr = cairo_create(s);
    PangoLayout *pl = pango_cairo_create_layout(cr);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, c->code);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    qr_draw(cr, &q, pw - PAD - QR_SIDE, (ph - QR_SIDE) / 2, QR_SIDE);
    box b = {PAD, PAD, pw - 3 * PAD - QR_SIDE};
    kcard_line lines[KCARD_LINES_MAX];
    int n = kcard_lines(c, lines);
    for (int i = 0; i < n; i++) {
        const char *t = lines[i].text;
        switch (lines[i].role) {
        case KCARD_EVENT:
            line_draw(cr, pl, font, 8, false, 0.35, t, false, 1, &b, &ncut);
            break;
        case KCARD_NAME:
            line_draw(cr, pl, font, 16, true, 0, t, false, 2, &b, &ncut);
            break;
        case KCARD_PLACE:
            line_draw(cr, pl, font, 13, true, 0, t, true, 1, &b, &ncut);
            break;
        case KCARD_CODE:
            line_draw(cr, pl, font, 10, false, 0, t, true, 1, &b, &ncut);
            break;
        case KCARD_NOTE:
            line_draw(cr, pl, font, 8, false, 0.35, t, false, 2, &b, &ncut);
            break;
        }
    }
    g_object_unref(pl);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    qrcode_release(&q);
    if (cut)
        *cut = ncut;
    if (st != CAIRO_STATUS_SUCCESS)
        return usher_fail(em, USHER_IO, "%s: cannot write the seat card: %s", path,
                          cairo_status_to_string(st));
    return USHER_OK;
}

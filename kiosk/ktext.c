/* ktext.c - Pango + Cairo text for the kiosk (see ktext.h). */
#include "ktext.h"

#include <pango/pangocairo.h>
#include <stdlib.h>
#include <string.h>

struct ktext {
    PangoFontMap *map;
    PangoContext *ctx;
    char family[128];
};

usher_err ktext_new(const char *family, ktext **out, usher_errmsg *em)
{
    ktext *t = calloc(1, sizeof *t);
    if (!t)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    snprintf(t->family, sizeof t->family, "%s", family && family[0] ? family : "Noto Sans");
    t->map = pango_cairo_font_map_new();
    t->ctx = t->map ? pango_font_map_create_context(t->map) : NULL;
    if (!t->ctx) {
        ktext_free(t);
        return usher_fail(em, USHER_NOMEM, "out of memory (text engine)");
    }
    /* Grey antialiasing: the kiosk's texture may be drawn on any background. */
    cairo_font_options_t *fo = cairo_font_options_create();
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    pango_cairo_context_set_font_options(t->ctx, fo);
    cairo_font_options_destroy(fo);
    /* A font for Latin text must exist: the rest falls back from it. */
    PangoFontDescription *d = pango_font_description_from_string(t->family);
    pango_font_description_set_absolute_size(d, 20 * PANGO_SCALE);
    PangoFont *f = pango_font_map_load_font(t->map, t->ctx, d);
    pango_font_description_free(d);
    if (!f) {
        ktext_free(t);
        return usher_fail(em, USHER_NOTFOUND,
                          "no font found for \"%s\": install fonts-noto-core (apt-get install "
                          "fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji)",
                          family);
    }
    g_object_unref(f);
    *out = t;
    return USHER_OK;
}

void ktext_free(ktext *t)
{
    if (!t)
        return;
    if (t->ctx)
        g_object_unref(t->ctx);
    if (t->map)
        g_object_unref(t->map);
    free(t);
}

static PangoLayout *lay_out(ktext *t, const char *utf8, const ktext_opts *o)
{
    pango_context_set_base_dir(t->ctx, o->rtl ? PANGO_DIRECTION_RTL : PANGO_DIRECTION_LTR);
    PangoLayout *l = pango_layout_new(t->ctx);
    if (!l)
        return NULL;
    PangoFontDescription *d = pango_font_description_from_string(t->family);
    pango_font_description_set_absolute_size(d, (double)o->px * PANGO_SCALE);
    pango_layout_set_font_description(l, d);
    pango_font_description_free(d);
    pango_layout_set_text(l, utf8, -1);
    if (o->width > 0) {
        pango_layout_set_width(l, o->width * PANGO_SCALE);
        if (o->wrap) {
            pango_layout_set_wrap(l, PANGO_WRAP_WORD_CHAR);
            if (o->height > 0)
                pango_layout_set_height(l, o->height * PANGO_SCALE);
        }
        pango_layout_set_ellipsize(l, PANGO_ELLIPSIZE_END);
        if (!o->wrap)
            pango_layout_set_height(l, 0); /* one line */
    }
    /* In an RTL UI every paragraph is RTL, even one that starts with a
     * ticket code ("GALA-0001: المقعد 1"); otherwise the first strong
     * character decides (a Hebrew name in an English line). */
    if (o->rtl)
        pango_layout_set_auto_dir(l, FALSE);
    /* o->align is on screen; Pango swaps left and right in an RTL paragraph. */
    int align = o->rtl ? -o->align : o->align;
    pango_layout_set_alignment(l, align < 0   ? PANGO_ALIGN_LEFT
                                  : align > 0 ? PANGO_ALIGN_RIGHT
                                              : PANGO_ALIGN_CENTER);
    return l;
}

/* The ink box to keep: the logical extents (so that baselines line up
 * between texts), as whole pixels from the layout's origin. */
static void extents(PangoLayout *l, const ktext_opts *o, int *x, int *w, int *h)
{
    PangoRectangle ink, log;
    pango_layout_get_pixel_extents(l, &ink, &log);
    *x = log.x;
    *w = log.width;
    *h = log.height;
    if (o->width > 0 && o->wrap) { /* aligned lines: the whole box width */
        *x = 0;
        *w = o->width;
    }
    if (*w < 1)
        *w = 1;
    if (*h < 1)
        *h = 1;
}

static usher_err run(ktext *t, const char *utf8, const ktext_opts *o, ktext_img *out, bool draw,
                     usher_errmsg *em)
{
    if (!(o->px >= 1 && o->px <= 2000))
        return usher_fail(em, USHER_INVAL, "text size %.1f px: must be 1..2000", (double)o->px);
    PangoLayout *l = lay_out(t, utf8 ? utf8 : "", o);
    if (!l)
        return usher_fail(em, USHER_NOMEM, "out of memory (text layout)");
    ktext_img img = {0};
    int x0;
    extents(l, o, &x0, &img.w, &img.h);
    img.shortened = pango_layout_is_ellipsized(l);
    img.unknown = pango_layout_get_unknown_glyphs_count(l);
    usher_err err = USHER_OK;
    if (draw) {
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, img.w, img.h);
        if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
            cairo_surface_destroy(s);
            err = usher_fail(em, USHER_NOMEM, "out of memory (%dx%d text)", img.w, img.h);
            goto out;
        }
        cairo_t *cr = cairo_create(s);
        cairo_set_source_rgba(cr, o->r / 255.0, o->g / 255.0, o->b / 255.0, o->a / 255.0);
        cairo_move_to(cr, -x0, 0);
        pango_cairo_show_layout(cr, l);
        cairo_destroy(cr);
        cairo_surface_flush(s);
        img.pixels = malloc((size_t)img.w * (size_t)img.h * sizeof *img.pixels);
        if (!img.pixels) {
            cairo_surface_destroy(s);
            err = usher_fail(em, USHER_NOMEM, "out of memory (%dx%d text)", img.w, img.h);
            goto out;
        }
        /* Cairo's pixels are premultiplied; SDL's blending wants them straight. */
        const unsigned char *base = cairo_image_surface_get_data(s);
        int stride = cairo_image_surface_get_stride(s);
        for (int y = 0; y < img.h; y++) {
            const uint32_t *src = (const uint32_t *)(const void *)(base + (size_t)y * stride);
            uint32_t *dst = img.pixels + (size_t)y * img.w;
            for (int x = 0; x < img.w; x++) {
                uint32_t p = src[x], a = p >> 24;
                if (a == 0 || a == 255) {
                    dst[x] = a ? p : 0;
                    continue;
                }
                uint32_t r = ((p >> 16 & 255) * 255 + a / 2) / a;
                uint32_t g = ((p >> 8 & 255) * 255 + a / 2) / a;
                uint32_t b = ((p & 255) * 255 + a / 2) / a;
                dst[x] = a << 24 | (r > 255 ? 255 : r) << 16 | (g > 255 ? 255 : g) << 8 |
                         (b > 255 ? 255 : b);
            }
        }
        cairo_surface_destroy(s);
    }
    *out = img;
out:
    g_object_unref(l);
    return err;
}

usher_err ktext_render(ktext *t, const char *utf8, const ktext_opts *o, ktext_img *out,
                       usher_errmsg *em)
{
    return run(t, utf8, o, out, true, em);
}

usher_err ktext_measure(ktext *t, const char *utf8, const ktext_opts *o, ktext_img *out,
                        usher_errmsg *em)
{
    return run(t, utf8, o, out, false, em);
}

void ktext_img_release(ktext_img *img)
{
    if (!img)
        return;
    free(img->pixels);
    memset(img, 0, sizeof *img);
}

int ktext_index_x(ktext *t, const char *utf8, float px, int index)
{
    if (!utf8 || index < 0 || (size_t)index >= strlen(utf8))
        return -1;
    ktext_opts o = {.px = px, .align = -1};
    PangoLayout *l = lay_out(t, utf8, &o);
    if (!l)
        return -1;
    PangoRectangle pos;
    pango_layout_index_to_pos(l, index, &pos);
    g_object_unref(l);
    /* An RTL character's box has a negative width: its left edge is x + width. */
    int x = pos.width < 0 ? pos.x + pos.width : pos.x;
    return PANGO_PIXELS(x);
}

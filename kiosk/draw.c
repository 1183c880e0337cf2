/* draw.c - SDL rendering of the display list (see draw.h). */
#include "draw.h"

#include <stdlib.h>
#include <string.h>

#include "ktext.h"
#include "qrcode.h"
#include "text.h"

#define TEXT_CACHE 512
#define DISC_CACHE 64

typedef struct text_entry {
    uint64_t hash;
    SDL_Texture *tex;
    int w, h;
    uint64_t used;
} text_entry;

typedef struct disc_entry {
    int d;
    Uint32 rgba;
    SDL_Texture *tex;
    uint64_t used;
} disc_entry;

struct kdraw {
    SDL_Renderer *r;
    ktext *text;
    bool rtl;
    text_entry texts[TEXT_CACHE];
    disc_entry discs[DISC_CACHE];
    uint64_t tick;
    char qr_text[KMODEL_QR_TEXT_SIZE];
    qrcode qr;
    bool have_qr;
    SDL_FRect *rects;
    int nrects;
    /* the frame drawn last, to redraw only what changed */
    ui_frame prev;
    bool have_prev;
    bool clipping; /* a dirty rectangle is set */
    SDL_Rect dirty;
};

usher_err kdraw_new(SDL_Renderer *r, const char *family, kdraw **out, usher_errmsg *em)
{
    kdraw *d = calloc(1, sizeof *d);
    if (!d)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    d->r = r;
    usher_err err = ktext_new(family, &d->text, em);
    if (err) {
        kdraw_free(d);
        return err;
    }
    *out = d;
    return USHER_OK;
}

static ktext_opts opts_of(const kdraw *d, const ui_item *it)
{
    ktext_opts o = {.px = it->px,
                    .width = (int)it->r.w,
                    .height = it->wrap ? (int)it->r.h : 0,
                    .wrap = it->wrap,
                    .align = it->align,
                    .rtl = d->rtl,
                    .r = it->c.r,
                    .g = it->c.g,
                    .b = it->c.b,
                    .a = it->c.a};
    return o;
}

usher_err kdraw_measure(kdraw *d, const ui_frame *f, const ui_item *it, kdraw_text *out,
                        usher_errmsg *em)
{
    d->rtl = f->rtl;
    ktext_opts o = opts_of(d, it);
    ktext_img img;
    usher_err err = ktext_measure(d->text, it->text, &o, &img, em);
    if (err)
        return err;
    float x = it->r.x, y = it->wrap ? it->r.y : it->r.y + (it->r.h - img.h) / 2;
    if (it->align == 0)
        x = it->r.x + (it->r.w - img.w) / 2;
    else if (it->align > 0)
        x = it->r.x + it->r.w - img.w;
    out->box = (krect){x, y, (float)img.w, (float)img.h};
    out->shortened = img.shortened;
    out->unknown = img.unknown;
    return USHER_OK;
}

void kdraw_free(kdraw *d)
{
    if (!d)
        return;
    for (int i = 0; i < TEXT_CACHE; i++)
        if (d->texts[i].tex)
            SDL_DestroyTexture(d->texts[i].tex);
    for (int i = 0; i < DISC_CACHE; i++)
        if (d->discs[i].tex)
            SDL_DestroyTexture(d->discs[i].tex);
    ktext_free(d->text);
    if (d->have_qr)
        qrcode_release(&d->qr);
    free(d->rects);
    ui_frame_release(&d->prev);
    free(d);
}

static uint64_t text_hash(const ui_item *it)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *p = it->text; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    uint32_t extra[6] = {(uint32_t)(it->px * 64),
                         (uint32_t)it->c.r << 24 | (uint32_t)it->c.g << 16 |
                             (uint32_t)it->c.b << 8 | it->c.a,
                         (uint32_t)it->r.w,
                         it->wrap ? (uint32_t)it->r.h : 0,
                         (uint32_t)(it->align + 1) | (uint32_t)it->wrap << 2,
                         0x9e3779b9u};
    const unsigned char *b = (const unsigned char *)extra;
    for (size_t i = 0; i < sizeof extra; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static text_entry *text_get(kdraw *d, const ui_item *it)
{
    uint64_t h = text_hash(it) ^ (uint64_t)d->rtl;
    text_entry *victim = &d->texts[0];
    for (int i = 0; i < TEXT_CACHE; i++) {
        text_entry *e = &d->texts[i];
        if (e->tex && e->hash == h) {
            e->used = d->tick;
            return e;
        }
        if (!e->tex || e->used < victim->used)
            victim = e;
        if (!victim->tex)
            break;
    }
    if (victim->tex)
        SDL_DestroyTexture(victim->tex);
    memset(victim, 0, sizeof *victim);
    ktext_opts o = opts_of(d, it);
    ktext_img img;
    usher_errmsg em = {{0}};
    if (ktext_render(d->text, it->text, &o, &img, &em))
        return NULL;
    victim->tex =
        SDL_CreateTexture(d->r, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STATIC, img.w, img.h);
    if (victim->tex) {
        SDL_UpdateTexture(victim->tex, NULL, img.pixels, img.w * 4);
        SDL_SetTextureBlendMode(victim->tex, SDL_BLENDMODE_BLEND);
    }
    victim->w = img.w;
    victim->h = img.h;
    ktext_img_release(&img);
    if (!victim->tex)
        return NULL;
    victim->hash = h;
    victim->used = d->tick;
    return victim;
}

static void draw_text(kdraw *d, const ui_item *it)
{
    if (!it->text[0])
        return;
    text_entry *e = text_get(d, it);
    if (!e)
        return;
    /* Never shrunk: a text too long for its box was shortened by the
     * layout (an ellipsis), and the shot's JSON says so. */
    float w = (float)e->w, h = (float)e->h;
    float x = it->r.x, y = it->wrap ? it->r.y : it->r.y + (it->r.h - h) / 2;
    if (it->align == 0)
        x = it->r.x + (it->r.w - w) / 2;
    else if (it->align > 0)
        x = it->r.x + it->r.w - w;
    /* Whole pixels and the texture's own size: the software renderer's
     * unscaled blit, several times faster than a scaled one. */
    SDL_Rect dst = {(int)(x + 0.5f), (int)(y + 0.5f), (int)(w + 0.5f), (int)(h + 0.5f)};
    SDL_RenderCopy(d->r, e->tex, NULL, &dst);
}

/* An anti-aliased disc of diameter dpx in colour c (4x4 samples a pixel).
 * One texture per colour and size: changing a texture's colour modulation
 * makes SDL's software renderer rebuild its blitter on every seat. */
static SDL_Texture *disc_get(kdraw *d, int dpx, kcolor c)
{
    Uint32 rgba = (Uint32)c.r << 24 | (Uint32)c.g << 16 | (Uint32)c.b << 8 | c.a;
    disc_entry *victim = &d->discs[0];
    for (int i = 0; i < DISC_CACHE; i++) {
        disc_entry *e = &d->discs[i];
        if (e->tex && e->d == dpx && e->rgba == rgba) {
            e->used = d->tick;
            return e->tex;
        }
        if (!e->tex || e->used < victim->used)
            victim = e;
    }
    if (victim->tex)
        SDL_DestroyTexture(victim->tex);
    memset(victim, 0, sizeof *victim);
    SDL_Surface *s = SDL_CreateRGBSurfaceWithFormat(0, dpx, dpx, 32, SDL_PIXELFORMAT_ARGB8888);
    if (!s)
        return NULL;
    float rad = dpx / 2.0f;
    Uint32 rgb = (Uint32)c.r << 16 | (Uint32)c.g << 8 | c.b;
    for (int y = 0; y < dpx; y++) {
        Uint32 *row = (Uint32 *)((Uint8 *)s->pixels + y * s->pitch);
        for (int x = 0; x < dpx; x++) {
            int in = 0;
            for (int sy = 0; sy < 4; sy++)
                for (int sx = 0; sx < 4; sx++) {
                    float px = x + (sx + 0.5f) / 4 - rad, py = y + (sy + 0.5f) / 4 - rad;
                    in += px * px + py * py <= rad * rad;
                }
            Uint32 a = (Uint32)(in * c.a / 16);
            row[x] = a << 24 | rgb;
        }
    }
    victim->tex = SDL_CreateTextureFromSurface(d->r, s);
    SDL_FreeSurface(s);
    if (!victim->tex)
        return NULL;
    SDL_SetTextureBlendMode(victim->tex, SDL_BLENDMODE_BLEND);
    victim->d = dpx;
    victim->rgba = rgba;
    victim->used = d->tick;
    return victim->tex;
}

static void draw_disc(kdraw *d, krect r, kcolor c)
{
    int dpx = (int)(r.w + 0.5f);
    if (dpx < 3) {
        SDL_SetRenderDrawColor(d->r, c.r, c.g, c.b, c.a);
        SDL_FRect fr = {r.x, r.y, r.w, r.h};
        SDL_RenderFillRectF(d->r, &fr);
        return;
    }
    SDL_Texture *t = disc_get(d, dpx > 1024 ? 1024 : dpx, c);
    if (!t)
        return;
    /* The texture's own size at a whole-pixel position: an unscaled blit. */
    int size = dpx > 1024 ? 1024 : dpx;
    float cx = r.x + r.w / 2, cy = r.y + r.h / 2;
    SDL_Rect dst = {(int)(cx - size / 2.0f + 0.5f), (int)(cy - size / 2.0f + 0.5f), size, size};
    SDL_RenderCopy(d->r, t, NULL, &dst);
}

static bool rects_reserve(kdraw *d, int n)
{
    if (n <= d->nrects)
        return true;
    SDL_FRect *p = realloc(d->rects, (size_t)n * sizeof *p);
    if (!p)
        return false;
    d->rects = p;
    d->nrects = n;
    return true;
}

static void draw_seats(kdraw *d, const ui_frame *f, krect clip)
{
    SDL_Rect cr = {(int)clip.x, (int)clip.y, (int)clip.w, (int)clip.h};
    if (d->clipping && !SDL_IntersectRect(&cr, &d->dirty, &cr))
        return;
    SDL_RenderSetClipRect(d->r, &cr);
    float x0 = (float)cr.x, y0 = (float)cr.y, x1 = (float)(cr.x + cr.w), y1 = (float)(cr.y + cr.h);
    if (f->nseats && f->seats[0].radius < 2.5f) { /* tiny: squares, one call per colour */
        if (!rects_reserve(d, f->nseats))
            goto out;
        for (int k = 0; k < LOOK_COUNT; k++) {
            int n = 0;
            for (int i = 0; i < f->nseats; i++) {
                const ui_seat *s = &f->seats[i];
                if ((int)s->look != k)
                    continue;
                SDL_FRect r = {s->x - s->radius, s->y - s->radius, 2 * s->radius, 2 * s->radius};
                d->rects[n++] = r;
            }
            kcolor c = ui_look_colors[k];
            SDL_SetRenderDrawColor(d->r, c.r, c.g, c.b, c.a);
            if (n)
                SDL_RenderFillRectsF(d->r, d->rects, n);
        }
        goto out;
    }
    for (int i = 0; i < f->nseats; i++) {
        const ui_seat *s = &f->seats[i];
        if (s->x + s->radius < x0 || s->y + s->radius < y0 || s->x - s->radius > x1 ||
            s->y - s->radius > y1)
            continue;
        krect r = {s->x - s->radius, s->y - s->radius, 2 * s->radius, 2 * s->radius};
        draw_disc(d, r, ui_look_colors[s->look]);
    }
out:
    SDL_RenderSetClipRect(d->r, d->clipping ? &d->dirty : NULL);
}

static void draw_qr(kdraw *d, const ui_frame *f, const ui_item *it)
{
    if (!d->have_qr || strcmp(d->qr_text, f->qr_text) != 0) {
        if (d->have_qr)
            qrcode_release(&d->qr);
        d->have_qr = qrcode_encode(f->qr_text, &d->qr, NULL) == USHER_OK;
        text_copy(d->qr_text, sizeof d->qr_text, f->qr_text);
        if (!d->have_qr)
            return;
    }
    int side = (int)(it->r.w < it->r.h ? it->r.w : it->r.h);
    int mod = side / (d->qr.width + 8);
    if (mod < 1)
        mod = 1;
    int total = mod * (d->qr.width + 8);
    int x0 = (int)it->r.x + (side - total) / 2, y0 = (int)it->r.y + (side - total) / 2;
    SDL_SetRenderDrawColor(d->r, 255, 255, 255, 255);
    SDL_Rect bg = {x0, y0, total, total};
    SDL_RenderFillRect(d->r, &bg);
    SDL_SetRenderDrawColor(d->r, it->c.r, it->c.g, it->c.b, 255);
    for (int y = 0; y < d->qr.width; y++)
        for (int x = 0; x < d->qr.width; x++)
            if (qrcode_dark(&d->qr, x, y)) {
                SDL_Rect m = {x0 + (x + 4) * mod, y0 + (y + 4) * mod, mod, mod};
                SDL_RenderFillRect(d->r, &m);
            }
}

static void draw_items(kdraw *d, const ui_frame *f)
{
    d->tick++;
    d->rtl = f->rtl;
    SDL_SetRenderDrawBlendMode(d->r, SDL_BLENDMODE_BLEND);
    for (int i = 0; i < f->nitems; i++) {
        const ui_item *it = &f->items[i];
        SDL_FRect r = {it->r.x, it->r.y, it->r.w, it->r.h};
        if (d->clipping && (r.x > d->dirty.x + d->dirty.w || r.y > d->dirty.y + d->dirty.h ||
                            r.x + r.w < d->dirty.x || r.y + r.h < d->dirty.y))
            continue;
        switch (it->kind) {
        case UI_FILL:
            /* Opaque fills skip blending: most of the screen, much faster in software. */
            SDL_SetRenderDrawBlendMode(d->r,
                                       it->c.a == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
            SDL_SetRenderDrawColor(d->r, it->c.r, it->c.g, it->c.b, it->c.a);
            SDL_RenderFillRectF(d->r, &r);
            SDL_SetRenderDrawBlendMode(d->r, SDL_BLENDMODE_BLEND);
            break;
        case UI_FRAME:
        case UI_RING:
            SDL_SetRenderDrawColor(d->r, it->c.r, it->c.g, it->c.b, it->c.a);
            SDL_RenderDrawRectF(d->r, &r);
            break;
        case UI_DISC:
            draw_disc(d, it->r, it->c);
            break;
        case UI_TEXT:
            draw_text(d, it);
            break;
        case UI_SEATS:
            draw_seats(d, f, it->r);
            break;
        case UI_QR:
            draw_qr(d, f, it);
            break;
        }
    }
}

/* Remembers f as the picture on screen. */
static void keep(kdraw *d, const ui_frame *f)
{
    ui_frame *p = &d->prev;
    d->have_prev = false;
    if (p->cap < f->nitems) {
        ui_item *n = realloc(p->items, (size_t)f->nitems * sizeof *n);
        if (!n)
            return;
        p->items = n;
        p->cap = f->nitems;
    }
    if (p->seatcap < f->nseats) {
        ui_seat *n = realloc(p->seats, (size_t)f->nseats * sizeof *n);
        if (!n)
            return;
        p->seats = n;
        p->seatcap = f->nseats;
    }
    if (f->nitems)
        memcpy(p->items, f->items, (size_t)f->nitems * sizeof *p->items);
    if (f->nseats)
        memcpy(p->seats, f->seats, (size_t)f->nseats * sizeof *p->seats);
    p->nitems = f->nitems;
    p->nseats = f->nseats;
    d->have_prev = true;
}

void kdraw_frame(kdraw *d, const ui_frame *f)
{
    d->clipping = false;
    SDL_RenderSetClipRect(d->r, NULL);
    draw_items(d, f);
    keep(d, f);
}

static bool item_same(const ui_item *a, const ui_item *b)
{
    return a->kind == b->kind && !memcmp(&a->r, &b->r, sizeof a->r) &&
           !memcmp(&a->c, &b->c, sizeof a->c) && a->px == b->px && a->align == b->align &&
           a->wrap == b->wrap && !strcmp(a->text, b->text);
}

#define MAX_DIRTY 16

/* The dirty rectangles of one update: overlapping ones merge; too many
 * become their union. */
typedef struct dirty_set {
    SDL_Rect r[MAX_DIRTY];
    int n;
} dirty_set;

static void grow(dirty_set *ds, float x, float y, float w, float h)
{
    SDL_Rect r = {(int)x - 2, (int)y - 2, (int)w + 5, (int)h + 5};
    for (int i = 0; i < ds->n; i++) {
        if (SDL_HasIntersection(&ds->r[i], &r)) {
            SDL_UnionRect(&ds->r[i], &r, &r);
            ds->r[i] = ds->r[--ds->n];
            i = -1; /* the grown rectangle may now meet others */
        }
    }
    if (ds->n == MAX_DIRTY) {
        for (int i = 1; i < ds->n; i++)
            SDL_UnionRect(&ds->r[0], &ds->r[i], &ds->r[0]);
        SDL_UnionRect(&ds->r[0], &r, &ds->r[0]);
        ds->n = 1;
        return;
    }
    ds->r[ds->n++] = r;
}

int kdraw_update(kdraw *d, const ui_frame *f)
{
    const ui_frame *p = &d->prev;
    if (!d->have_prev || p->nitems != f->nitems) {
        kdraw_frame(d, f);
        return 2;
    }
    dirty_set ds = {.n = 0};
    for (int i = 0; i < f->nitems; i++) {
        const ui_item *a = &p->items[i], *b = &f->items[i];
        if (item_same(a, b))
            continue;
        grow(&ds, a->r.x, a->r.y, a->r.w, a->r.h);
        grow(&ds, b->r.x, b->r.y, b->r.w, b->r.h);
    }
    if (p->nseats != f->nseats) {
        for (int i = 0; i < f->nitems; i++)
            if (f->items[i].kind == UI_SEATS)
                grow(&ds, f->items[i].r.x, f->items[i].r.y, f->items[i].r.w, f->items[i].r.h);
    } else {
        for (int i = 0; i < f->nseats; i++) {
            const ui_seat *a = &p->seats[i], *b = &f->seats[i];
            if (!memcmp(a, b, sizeof *a))
                continue;
            grow(&ds, a->x - a->radius, a->y - a->radius, 2 * a->radius, 2 * a->radius);
            grow(&ds, b->x - b->radius, b->y - b->radius, 2 * b->radius, 2 * b->radius);
        }
    }
    if (!ds.n)
        return 0;
    d->clipping = true;
    for (int i = 0; i < ds.n; i++) {
        d->dirty = ds.r[i];
        SDL_RenderSetClipRect(d->r, &d->dirty);
        draw_items(d, f);
    }
    d->clipping = false;
    SDL_RenderSetClipRect(d->r, NULL);
    keep(d, f);
    return 1;
}

/* klayout.c - screen geometry from size and density (see klayout.h). */
#include "klayout.h"

#include <math.h>

float klayout_min_px(double ppmm)
{
    return (float)ceil(KLAYOUT_MIN_CAP_MM * ppmm / KLAYOUT_CAP_RATIO);
}

krect klayout_map_rect(const klayout *L, bool rtl)
{
    krect r = L->map;
    if (rtl)
        r.x = (float)L->w - r.x - r.w;
    return r;
}

float klayout_line(const klayout *L, ui_font font)
{
    /* Room for the tallest fallback fonts (Noto Sans CJK, Arabic, Devanagari). */
    return ceilf(L->px[font] * 1.6f);
}

static krect R(float x, float y, float w, float h)
{
    krect r = {x, y, w, h};
    return r;
}

void klayout_compute(klayout *L, int w, int h, double ppmm)
{
    L->w = w < 1 ? 1 : w;
    L->h = h < 1 ? 1 : h;
    L->ppmm = ppmm < 1 ? 1 : ppmm > 40 ? 40 : ppmm;
    L->portrait = L->h > L->w;
    float W = (float)L->w, H = (float)L->h, shorter = L->portrait ? W : H;
    L->finger = ceilf((float)(KLAYOUT_FINGER_MM * L->ppmm));
    L->gap = ceilf((float)(1.5 * L->ppmm));
    L->min_px = klayout_min_px(L->ppmm);
    /* Text grows with the screen (a big screen is read from further away)
     * but never below the minimum; the steps keep headings above body. */
    float s = shorter / 32;
    if (s < L->min_px)
        s = L->min_px;
    L->px[FONT_S] = roundf(s);
    L->px[FONT_M] = roundf(s * 1.2f);
    L->px[FONT_L] = roundf(s * 1.5f);
    L->px[FONT_XL] = roundf(s * 2.2f);
    L->bar = ceilf(klayout_line(L, FONT_S) + L->gap);
    L->target = fmaxf(L->finger, klayout_line(L, FONT_M) + L->gap);
    L->key = fmaxf(L->finger, klayout_line(L, FONT_L));
    L->body = R(0, L->bar, W, H - L->bar);
    /* The seat map: the panel beside it in landscape (at least the width of
     * its buttons' words), below it in portrait; the gutter for the zoom
     * buttons between map and panel. */
    float gutter = L->key + 2 * L->gap;
    if (L->portrait) {
        float ph = H * 0.36f;
        float need = 5 * klayout_line(L, FONT_S) + 3 * (L->target + L->gap) + 2 * L->gap;
        if (ph < need)
            ph = need;
        if (ph > L->body.h * 0.6f)
            ph = L->body.h * 0.6f;
        float mh = L->body.h - ph;
        L->map = R(0, L->bar, W - gutter, mh);
        L->gutter = R(W - gutter, L->bar, gutter, mh);
        L->panel = R(0, L->bar + mh, W, ph);
    } else {
        float pw = W * 0.3f;
        float need = L->px[FONT_M] * 9;
        if (pw < need)
            pw = need;
        if (pw > W * 0.45f)
            pw = W * 0.45f;
        float mw = W - pw - gutter;
        L->map = R(0, L->bar, mw, L->body.h);
        L->gutter = R(mw, L->bar, gutter, L->body.h);
        L->panel = R(mw + gutter, L->bar, pw, L->body.h);
    }
}

/* seatmap.c - seat-map geometry (see seatmap.h). */
#include "seatmap.h"

#include <math.h>

bool krect_has(krect r, float x, float y)
{
    return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

double seatmap_min_pitch(const layout *l)
{
    double best = 0;
    for (int s = 0; s < layout_section_count(l); s++) {
        const layout_section *sec = layout_section_at(l, s);
        for (int k = 1; k < sec->seat_count; k++) {
            const layout_seat *a = layout_seat_at(l, sec->first_seat + k - 1);
            const layout_seat *b = layout_seat_at(l, sec->first_seat + k);
            double d = hypot(a->x - b->x, a->y - b->y);
            if (d > 0 && (best == 0 || d < best))
                best = d;
        }
    }
    return best > 0 ? best : LAYOUT_SEAT_SIZE;
}

/* A venue bigger than the area may be dragged up to `pad` pixels past its
 * edges, so that no seat must stay under the zoom buttons. */
static void clamp_axis(double *o, double lo, double hi, double scale, float start, float len,
                       double pad)
{
    double content = (hi - lo) * scale;
    if (content <= len + 0.5) { /* fits (rounding aside): centred */
        *o = start + (len - content) / 2 - lo * scale;
        return;
    }
    double omax = start - lo * scale + pad;       /* left edge near the area's start */
    double omin = start + len - hi * scale - pad; /* right edge near the area's end */
    if (*o > omax)
        *o = omax;
    if (*o < omin)
        *o = omin;
}

static void clamp_pan(seatmap *m)
{
    double pad = 1.5 * m->finger;
    clamp_axis(&m->ox, m->minx, m->maxx, m->scale, m->area.x, m->area.w, pad);
    clamp_axis(&m->oy, m->miny, m->maxy, m->scale, m->area.y, m->area.h, pad);
}

void seatmap_fit(seatmap *m, const layout *l, krect area, double finger)
{
    m->area = area;
    layout_bounds(l, &m->minx, &m->miny, &m->maxx, &m->maxy);
    /* Every seat whole on the overview: a seat's disc around its centre. */
    m->minx -= LAYOUT_SEAT_SIZE * 0.6;
    m->miny -= LAYOUT_SEAT_SIZE * 0.6;
    m->maxx += LAYOUT_SEAT_SIZE * 0.6;
    m->maxy += LAYOUT_SEAT_SIZE * 0.6;
    m->pitch = seatmap_min_pitch(l);
    m->finger = finger > 1 ? finger : 1;
    double w = m->maxx - m->minx, h = m->maxy - m->miny;
    if (w < 1)
        w = 1;
    if (h < 1)
        h = 1;
    double sx = area.w / w, sy = area.h / h;
    m->fit_scale = sx < sy ? sx : sy;
    double tap = seatmap_tap_scale(m);
    /* Never closer than twice the tappable scale, nor than a seat filling a
     * fifth of the area. */
    m->max_scale = 2 * tap;
    double big = (area.w < area.h ? area.w : area.h) / 5 / LAYOUT_SEAT_SIZE;
    if (m->max_scale < big)
        m->max_scale = big;
    if (m->max_scale < m->fit_scale)
        m->max_scale = m->fit_scale;
    m->scale = m->fit_scale;
    m->ox = m->oy = 0;
    clamp_pan(m);
}

double seatmap_tap_scale(const seatmap *m)
{
    return m->finger / m->pitch;
}

bool seatmap_tappable(const seatmap *m)
{
    return m->scale * m->pitch >= m->finger * 0.999;
}

void seatmap_to_screen(const seatmap *m, double ux, double uy, float *sx, float *sy)
{
    *sx = (float)(m->ox + ux * m->scale);
    *sy = (float)(m->oy + uy * m->scale);
}

void seatmap_to_layout(const seatmap *m, float sx, float sy, double *ux, double *uy)
{
    *ux = (sx - m->ox) / m->scale;
    *uy = (sy - m->oy) / m->scale;
}

bool seatmap_lod(const seatmap *m, int nseats)
{
    return nseats > SEATMAP_LOD_MIN_SEATS && seatmap_seat_radius(m) < SEATMAP_LOD_PX;
}

float seatmap_seat_radius(const seatmap *m)
{
    double r = LAYOUT_SEAT_SIZE * m->scale / 2 * 0.9;
    /* Neighbours must not merge into one blob. */
    double limit = m->pitch * m->scale * 0.45;
    if (r > limit)
        r = limit;
    return r < 1 ? 1.0f : (float)r;
}

static double clamp_scale(const seatmap *m, double s)
{
    if (s > m->max_scale)
        s = m->max_scale;
    if (s < m->fit_scale)
        s = m->fit_scale;
    return s;
}

void seatmap_zoom(seatmap *m, double factor, float sx, float sy)
{
    if (!(factor > 0))
        return;
    double ux, uy;
    seatmap_to_layout(m, sx, sy, &ux, &uy);
    m->scale = clamp_scale(m, m->scale * factor);
    m->ox = sx - ux * m->scale;
    m->oy = sy - uy * m->scale;
    clamp_pan(m);
}

void seatmap_focus(seatmap *m, double s, float sx, float sy)
{
    double ux, uy;
    seatmap_to_layout(m, sx, sy, &ux, &uy);
    m->scale = clamp_scale(m, s);
    m->ox = m->area.x + m->area.w / 2 - ux * m->scale;
    m->oy = m->area.y + m->area.h / 2 - uy * m->scale;
    clamp_pan(m);
}

void seatmap_pan(seatmap *m, float dx, float dy)
{
    m->ox += dx;
    m->oy += dy;
    clamp_pan(m);
}

int seatmap_hit(const seatmap *m, const layout *l, float sx, float sy)
{
    if (!krect_has(m->area, sx, sy))
        return -1;
    double reach = seatmap_seat_radius(m);
    if (reach < m->finger / 2)
        reach = m->finger / 2;
    /* Never past half-way to a neighbour: the nearest seat wins anyway. */
    double best = reach * reach;
    int hit = -1;
    for (int i = 0; i < layout_seat_count(l); i++) {
        const layout_seat *s = layout_seat_at(l, i);
        float x, y;
        seatmap_to_screen(m, s->x, s->y, &x, &y);
        double d = (x - sx) * (double)(x - sx) + (y - sy) * (double)(y - sy);
        if (d <= best) {
            best = d;
            hit = i;
        }
    }
    return hit;
}

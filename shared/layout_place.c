/* layout_place.c - where counted seats go: round a table from the top
 * clockwise or along a row bent toward the stage, on a fine grid, and whether
 * a section's seats are exactly what its count would make (so the layout's
 * JSON can say the count instead). */
#include "layout.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "layout__internal.h"
#include "text.h"

#define COORD_MAX LAYOUT__COORD_MAX
#define TABLE_MIN_RADIUS 75.0 /* 1.5 seats */
#define TABLE_SEAT_PITCH 60.0 /* default chord between seats round a table */
#define GRID 1024.0           /* generated seats sit on a 1/1024-unit grid */
#define PI 3.14159265358979323846

/* --- seats of a counted section --- */

int layout__digits(int n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* The radius that keeps n seats round a table comfortably apart, in whole units. */
double layout__default_radius(int n)
{
    double r = n >= 2 ? ceil(TABLE_SEAT_PITCH / (2.0 * sin(PI / n))) : 0.0;
    return r > TABLE_MIN_RADIUS ? r : TABLE_MIN_RADIUS;
}

/* Rounds a generated coordinate to the grid: short, exact in JSON, and the same
 * on every machine that parses it. */
static double on_grid(double v)
{
    return round(v * GRID) / GRID;
}

/* The smallest radius at which n seats round a table do not overlap. */
double layout__min_radius(int n)
{
    return n >= 2 ? LAYOUT_SEAT_SIZE / (2.0 * sin(PI / n)) : 1.0;
}

/* Where seat k (0-based) of a counted section goes: round a table from the top
 * clockwise, or left to right along a row whose ends bend `curve` toward y-. */
static void place_seat(const layout_section *sec, int k, double spacing, double curve, double *x,
                       double *y)
{
    int n = sec->seat_count;
    if (sec->kind == SECTION_TABLE) {
        double a = 2.0 * PI * k / n;
        *x = on_grid(sec->x + sec->radius * sin(a));
        *y = on_grid(sec->y - sec->radius * cos(a));
        return;
    }
    double half = (n - 1) / 2.0 * spacing;
    double dx = (k - (n - 1) / 2.0) * spacing;
    *x = on_grid(sec->x + dx);
    *y = on_grid(half > 0 ? sec->y - curve * (dx / half) * (dx / half) : sec->y);
}

/* Writes prefix sep n (n zero-padded to width) into an id buffer; false when
 * it does not fit (callers check lengths first). */
bool layout__numbered_id(char out[USHER_SEAT_ID_SIZE], const char *prefix, const char *sep,
                         int width, int n)
{
    int len = snprintf(out, USHER_SEAT_ID_SIZE, "%s%s%0*d", prefix, sep, width, n);
    return len > 0 && len < USHER_SEAT_ID_SIZE;
}

/* Makes the seat_count seats of section si, the last section pushed. */
usher_err layout__generate_seats(layout *l, int si, double spacing, double curve, usher_errmsg *em)
{
    const layout_section *sec = layout_section_at(l, si);
    int n = sec->seat_count;
    int width = 1; /* A-1..A-30, but T01-01..T01-10 and T01-001..T01-120 */
    if (sec->kind == SECTION_TABLE)
        width = layout__digits(n) < 2 ? 2 : layout__digits(n);
    char last[USHER_SEAT_ID_SIZE];
    if (!layout__numbered_id(last, sec->id, "-", width, n)) /* the longest id */
        return usher_fail(em, USHER_INVAL,
                          "sections[%d].id: \"%s\" is too long to number its %d seats (seat ids "
                          "have at most %d characters); use a shorter id or list the seats",
                          si, sec->id, n, USHER_SEAT_ID_SIZE - 1);
    for (int k = 0; k < n; k++) {
        layout_seat seat = {.section = si, .number = k + 1};
        if (!layout__numbered_id(seat.id, sec->id, "-", width, k + 1))
            return usher_fail(em, USHER_INVAL, "sections[%d]: seat id too long", si);
        snprintf(seat.label, sizeof seat.label, "%d", k + 1);
        text_copy(seat.klass, sizeof seat.klass, sec->klass);
        place_seat(sec, k, spacing, curve, &seat.x, &seat.y);
        if (fabs(seat.x) > COORD_MAX || fabs(seat.y) > COORD_MAX)
            return usher_fail(em, USHER_INVAL,
                              "sections[%d]: seat %s would sit at (%.0f, %.0f), outside the "
                              "drawing area (|x| and |y| at most %.0f); move the section",
                              si, seat.id, seat.x, seat.y, COORD_MAX);
        usher_err err = layout__push_seat(l, &seat, false, em);
        if (err)
            return err;
    }
    return USHER_OK;
}

/* True when seat k of sec, as generated with spacing and curve, is exactly
 * the seat l holds there: id, label, class and place. */
static bool seat_is_generated(const layout *l, const layout_section *sec, int width, int k,
                              double spacing, double curve)
{
    const layout_seat *s = layout_seat_at(l, sec->first_seat + k);
    char id[USHER_SEAT_ID_SIZE], label[16];
    double x, y;
    if (!layout__numbered_id(id, sec->id, "-", width, k + 1) || strcmp(id, s->id) != 0)
        return false;
    snprintf(label, sizeof label, "%d", k + 1);
    if (strcmp(label, s->label) != 0 || strcmp(s->klass, sec->klass) != 0)
        return false;
    place_seat(sec, k, spacing, curve, &x, &y);
    return x == s->x && y == s->y;
}

static bool all_generated(const layout *l, const layout_section *sec, int width, double spacing,
                          double curve)
{
    for (int k = 0; k < sec->seat_count; k++)
        if (!seat_is_generated(l, sec, width, k, spacing, curve))
            return false;
    return true;
}

bool layout__counted_form(const layout *l, const layout_section *sec, double *spacing,
                          double *curve)
{
    int n = sec->seat_count;
    if (n < 1 || n > LAYOUT_MAX_SEATS_PER_SECTION)
        return false;
    if (sec->kind == SECTION_TABLE) {
        int width = layout__digits(n) < 2 ? 2 : layout__digits(n);
        return sec->radius >= layout__min_radius(n) - 1e-9 && all_generated(l, sec, width, 0, 0);
    }
    if (n == 1) {
        *spacing = LAYOUT__ROW_SPACING, *curve = 0;
        return all_generated(l, sec, 1, *spacing, *curve);
    }
    /* The spacing and curve the seats were made with, read off the ends and
     * tried as read, on the grid and whole: the one that makes every seat
     * again exactly is the counted form. */
    const layout_seat *a = layout_seat_at(l, sec->first_seat);
    const layout_seat *b = layout_seat_at(l, sec->first_seat + n - 1);
    double sp = (b->x - a->x) / (n - 1), cu = sec->y - a->y;
    const double sps[] = {sp, round(sp * GRID) / GRID, round(sp)};
    const double cus[] = {cu, round(cu * GRID) / GRID, round(cu)};
    for (size_t i = 0; i < sizeof sps / sizeof *sps; i++)
        for (size_t j = 0; j < sizeof cus / sizeof *cus; j++)
            if (sps[i] >= LAYOUT_SEAT_SIZE && sps[i] <= LAYOUT__SPACING_MAX &&
                fabs(cus[j]) <= LAYOUT__CURVE_MAX && all_generated(l, sec, 1, sps[i], cus[j])) {
                *spacing = sps[i], *curve = cus[j];
                return true;
            }
    return false;
}

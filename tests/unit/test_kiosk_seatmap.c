/* test_kiosk_seatmap.c - the kiosk's seat-map geometry: fit, zoom and pan limits,
 * finger-sized targets and hit testing (kiosk/seatmap.c). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "layout.h"
#include "seatmap.h"

static layout *gen(const char *spec)
{
    layout *l = NULL;
    assert_int_equal(layout_generate(spec, &l, NULL), USHER_OK);
    return l;
}

static const krect AREA = {0, 40, 800, 600};

static void fit_shows_the_whole_venue(void **unused)
{
    layout *l = gen("gala:25x10");
    seatmap m;
    seatmap_fit(&m, l, AREA, 50);
    for (int i = 0; i < layout_seat_count(l); i++) {
        float x, y;
        seatmap_to_screen(&m, layout_seat_at(l, i)->x, layout_seat_at(l, i)->y, &x, &y);
        assert_true(krect_has(AREA, x, y));
    }
    assert_true(m.scale == m.fit_scale);
    /* Round trip screen <-> layout. */
    double ux, uy;
    float sx, sy;
    seatmap_to_screen(&m, 123.5, 456.25, &sx, &sy);
    seatmap_to_layout(&m, sx, sy, &ux, &uy);
    assert_true(fabs(ux - 123.5) < 0.01 && fabs(uy - 456.25) < 0.01);
    layout_free(l);
}

static void zoom_stays_within_limits(void **unused)
{
    layout *l = gen("gala:25x10");
    seatmap m;
    seatmap_fit(&m, l, AREA, 50);
    seatmap_zoom(&m, 0.1, 400, 300);
    assert_true(m.scale == m.fit_scale); /* never smaller than the whole venue */
    for (int i = 0; i < 50; i++)
        seatmap_zoom(&m, 2, 400, 300);
    assert_true(m.scale == m.max_scale);
    assert_true(m.max_scale >= seatmap_tap_scale(&m));
    layout_free(l);
}

static void zoom_keeps_the_point_under_the_fingers(void **unused)
{
    layout *l = gen("theatre:100x100");
    seatmap m;
    seatmap_fit(&m, l, AREA, 50);
    /* Closer than the overview, so that no axis is re-centred. */
    seatmap_focus(&m, seatmap_tap_scale(&m), 400, 340);
    double ux, uy, vx, vy;
    seatmap_to_layout(&m, 420, 310, &ux, &uy);
    seatmap_zoom(&m, 1.5, 420, 310);
    seatmap_to_layout(&m, 420, 310, &vx, &vy);
    assert_true(fabs(ux - vx) < 0.5 && fabs(uy - vy) < 0.5);
    layout_free(l);
}

static void overview_is_not_tappable_until_seats_are_finger_apart(void **unused)
{
    layout *l = gen("theatre:100x100");
    seatmap m;
    seatmap_fit(&m, l, AREA, 50);
    assert_false(seatmap_tappable(&m));
    seatmap_focus(&m, seatmap_tap_scale(&m), 400, 300);
    assert_true(seatmap_tappable(&m));
    /* Neighbouring seats are now at least a finger apart on screen. */
    assert_true(m.pitch * m.scale >= 49.9);
    layout_free(l);
}

static void hit_picks_the_nearest_seat_within_reach(void **unused)
{
    layout *l = gen("gala:4x8");
    seatmap m;
    seatmap_fit(&m, l, AREA, 50);
    seatmap_focus(&m, seatmap_tap_scale(&m), 400, 340);
    int target = layout_find_seat(l, "T02-03");
    float x, y;
    seatmap_to_screen(&m, layout_seat_at(l, target)->x, layout_seat_at(l, target)->y, &x, &y);
    if (krect_has(AREA, x, y)) {
        assert_int_equal(seatmap_hit(&m, l, x, y), target);
        assert_int_equal(seatmap_hit(&m, l, x + 10, y - 10), target); /* a finger off-centre */
    }
    /* A table's centre is far from every seat: nothing. */
    const layout_section *t = layout_section_at(l, 0);
    seatmap_to_screen(&m, t->x, t->y, &x, &y);
    if (krect_has(AREA, x, y))
        assert_int_equal(seatmap_hit(&m, l, x, y), -1);
    /* Outside the area: nothing. */
    assert_int_equal(seatmap_hit(&m, l, 5, 5), -1);
    layout_free(l);
}

static void pan_is_clamped_and_small_venues_centred(void **unused)
{
    layout *l = gen("gala:1x4");
    seatmap m;
    seatmap_fit(&m, l, AREA, 50);
    double ox = m.ox, oy = m.oy;
    seatmap_pan(&m, 500, 500); /* the whole venue fits: it stays centred */
    assert_true(fabs(m.ox - ox) < 0.01 && fabs(m.oy - oy) < 0.01);
    layout_free(l);
    l = gen("theatre:100x100");
    seatmap_fit(&m, l, AREA, 50);
    seatmap_focus(&m, m.max_scale, 400, 300);
    seatmap_pan(&m, 1e6, 1e6);
    /* The venue's top-left corner is at most 1.5 fingers inside the area. */
    float x, y;
    seatmap_to_screen(&m, m.minx, m.miny, &x, &y);
    assert_true(x <= AREA.x + 1.5 * 50 + 0.5 && y <= AREA.y + 1.5 * 50 + 0.5);
    layout_free(l);
}

static void radius_never_merges_neighbours(void **unused)
{
    layout *l = gen("gala:25x10");
    seatmap m;
    seatmap_fit(&m, l, AREA, 50);
    for (int i = 0; i < 10; i++) {
        float r = seatmap_seat_radius(&m);
        assert_true(r >= 1);
        assert_true(2 * r <= m.pitch * m.scale + 0.01 || r == 1);
        seatmap_zoom(&m, 1.5, 400, 300);
    }
    assert_true(seatmap_min_pitch(l) > 0);
    layout_free(l);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(fit_shows_the_whole_venue),
    cmocka_unit_test(zoom_stays_within_limits),
    cmocka_unit_test(zoom_keeps_the_point_under_the_fingers),
    cmocka_unit_test(overview_is_not_tappable_until_seats_are_finger_apart),
    cmocka_unit_test(hit_picks_the_nearest_seat_within_reach),
    cmocka_unit_test(pan_is_clamped_and_small_venues_centred),
    cmocka_unit_test(radius_never_merges_neighbours),
};

TESTUTIL_MAIN(tests)

/* test_kiosk_text.c - the kiosk's text engine (kiosk/ktext.c) through Pango:
 * right-to-left order for Hebrew and for Arabic inside a Latin line (glyph
 * positions of each character), a glyph no installed font has is reported,
 * and a size out of range is refused. Needs the Noto fonts of the README's
 * install commands (fonts-noto-core). */
#include "testutil.h"

#include <string.h>

#include "ktext.h"

static ktext *engine(void)
{
    ktext *t = NULL;
    usher_errmsg em = {{0}};
    if (ktext_new("Noto Sans", &t, &em) != USHER_OK)
        fail_msg("ktext_new: %s", em.text);
    return t;
}

/* The x of the character starting at the first byte of needle in s. */
static int x_of(ktext *t, const char *s, const char *needle)
{
    const char *p = strstr(s, needle);
    assert_non_null(p);
    int x = ktext_index_x(t, s, 40, (int)(p - s));
    assert_true(x >= 0);
    return x;
}

static void hebrew_reads_right_to_left(void **unused)
{
    (void)unused;
    ktext *t = engine();
    const char *s = "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"; /* shalom: shin lamed vav final-mem */
    int shin = x_of(t, s, "\xd7\xa9"), lamed = x_of(t, s, "\xd7\x9c");
    int vav = x_of(t, s, "\xd7\x95"), mem = x_of(t, s, "\xd7\x9d");
    assert_true(shin > lamed);
    assert_true(lamed > vav);
    assert_true(vav > mem);
    ktext_free(t);
}

static void arabic_inside_a_latin_line(void **unused)
{
    (void)unused;
    ktext *t = engine();
    /* "Table " + Arabic "salam" (sin lam alif mim) + " VIP": Latin left to
     * right, the Arabic word right to left between "Table" and "VIP". (A
     * digit after it would join the Arabic run: the bidi algorithm's rule.) */
    const char *s = "Table \xd8\xb3\xd9\x84\xd8\xa7\xd9\x85 VIP";
    int T = x_of(t, s, "T"), b = x_of(t, s, "b");
    int sin = x_of(t, s, "\xd8\xb3"), mim = x_of(t, s, "\xd9\x85"), vip = x_of(t, s, "V");
    assert_true(T < b);
    assert_true(sin > mim);
    assert_true(b < mim);
    assert_true(sin < vip);
    assert_int_equal(ktext_index_x(t, s, 40, (int)strlen(s)), -1);
    ktext_free(t);
}

static void every_script_has_glyphs_and_a_missing_one_is_reported(void **unused)
{
    (void)unused;
    ktext *t = engine();
    static const char *const names[] = {
        "\xe5\xbc\xa0\xe4\xbc\x9f",                                                 /* Chinese */
        "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",                                         /* Hebrew */
        "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85",                                         /* Arabic */
        "\xe0\xa4\xa8\xe0\xa4\xae\xe0\xa4\xb8\xe0\xa5\x8d\xe0\xa4\xa4\xe0\xa5\x87", /* Devanagari */
        "\xe0\xb8\xaa\xe0\xb8\xa7\xe0\xb8\xb1\xe0\xb8\xaa\xe0\xb8\x94\xe0\xb8\xb5", /* Thai */
        "\xce\x9d\xce\xaf\xce\xba\xce\xbf\xcf\x82",                                 /* Greek */
        "\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd",                                         /* Cyrillic */
    };
    ktext_opts o = {.px = 30, .r = 255, .g = 255, .b = 255, .a = 255};
    usher_errmsg em = {{0}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ktext_img img;
        assert_int_equal(ktext_render(t, names[i], &o, &img, &em), USHER_OK);
        if (img.unknown)
            fail_msg("name %zu: %d characters without a glyph", i, img.unknown);
        assert_true(img.w > 0 && img.h > 0 && img.pixels);
        ktext_img_release(&img);
    }
    /* U+10FFFD, a private-use character no font draws: a box, and said so. */
    ktext_img img;
    assert_int_equal(ktext_render(t, "Ann \xf4\x8f\xbf\xbd", &o, &img, &em), USHER_OK);
    assert_true(img.unknown >= 1);
    ktext_img_release(&img);
    ktext_free(t);
}

static void a_size_out_of_range_is_refused(void **unused)
{
    (void)unused;
    ktext *t = engine();
    ktext_img img;
    memset(&img, 0xa5, sizeof img);
    usher_errmsg em = {{0}};
    ktext_opts o = {.px = 0};
    assert_int_equal(ktext_render(t, "Ann", &o, &img, &em), USHER_INVAL);
    assert_true(em.text[0]);
    assert_int_equal(((unsigned char *)&img)[0], 0xa5);
    ktext_free(t);
    ktext_free(NULL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(hebrew_reads_right_to_left),
    cmocka_unit_test(arabic_inside_a_latin_line),
    cmocka_unit_test(every_script_has_glyphs_and_a_missing_one_is_reported),
    cmocka_unit_test(a_size_out_of_range_is_refused),
};

TESTUTIL_MAIN(tests)

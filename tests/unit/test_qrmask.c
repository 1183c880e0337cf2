/* test_qrmask.c - the mask chooser against a real encoder: for every version
 * qrmask handles and every error correction level, re-masking a symbol gives
 * bit for bit what qrcodegen makes with that mask, and the mask chosen is the
 * one of the lowest penalty. */
#include "testutil.h"

#include <qrcodegen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qrcode.h"
#include "qrenc.h"
#include "qrmask.h"

/* qrcodegen's symbol of text at (version, ecl, mask) as one byte a module. */
static int make(const char *text, int version, enum qrcodegen_Ecc ecl, int mask, unsigned char *out)
{
    static uint8_t qr[qrcodegen_BUFFER_LEN_MAX], tmp[qrcodegen_BUFFER_LEN_MAX];
    assert_true(qrcodegen_encodeText(text, tmp, qr, ecl, version, version,
                                     (enum qrcodegen_Mask)mask, false));
    int w = qrcodegen_getSize(qr);
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            out[y * w + x] = qrcodegen_getModule(qr, x, y);
    return w;
}

static const char *text_for(int version)
{
    /* short enough for version 1 at level H; padding fills the rest */
    static const char *texts[] = {"U2", "U2.ABC.DE", "HELLO 123", "GALA-0001"};
    return texts[version % 4];
}

static void every_mask_matches_qrcodegen(void **unused)
{
    static unsigned char want[QRMASK_MAX_WIDTH * QRMASK_MAX_WIDTH],
        got[QRMASK_MAX_WIDTH * QRMASK_MAX_WIDTH];
    int checked = 0;
    for (int v = 1; v <= 9; v++)
        for (int e = 0; e < 4; e++)
            for (int from = 0; from < 8; from++) {
                int w = make(text_for(v), v, (enum qrcodegen_Ecc)e, from, got);
                assert_int_equal(w, 17 + 4 * v);
                int m, ecl;
                assert_true(qrmask_format(got, w, &m, &ecl));
                assert_int_equal(m, from);
                static const int bits[4] = {1, 0, 3, 2}; /* L M Q H */
                assert_int_equal(ecl, bits[e]);
                int to = (from + 3 + v) % 8;
                assert_true(qrmask_apply(got, w, to));
                make(text_for(v), v, (enum qrcodegen_Ecc)e, to, want);
                assert_memory_equal(got, want, (size_t)w * (size_t)w);
                checked++;
            }
    assert_int_equal(checked, 9 * 4 * 8);
}

static void choice_has_the_lowest_penalty(void **unused)
{
    static unsigned char sym[QRMASK_MAX_WIDTH * QRMASK_MAX_WIDTH],
        each[QRMASK_MAX_WIDTH * QRMASK_MAX_WIDTH];
    int differs = 0;
    for (int v = 1; v <= 9; v++) {
        int w = make(text_for(v), v, qrcodegen_Ecc_MEDIUM, 0, sym);
        long low = -1;
        int best = -1;
        for (int m = 0; m < 8; m++) {
            make(text_for(v), v, qrcodegen_Ecc_MEDIUM, m, each);
            long p = qrmask_penalty(each, w);
            assert_true(p > 0);
            if (best < 0 || p < low)
                low = p, best = m;
        }
        int chosen = qrmask_choose(sym, w);
        assert_int_equal(chosen, best);
        assert_int_equal(qrmask_penalty(sym, w), low);
        make(text_for(v), v, qrcodegen_Ecc_MEDIUM, chosen, each);
        assert_memory_equal(sym, each, (size_t)w * (size_t)w);
        differs += best != 0;
    }
    assert_true(differs > 0); /* not every code keeps mask 0 */
}

static void penalty_of_known_patterns(void **unused)
{
    enum { W = 21 };
    unsigned char m[W * W];
    memset(m, 0, sizeof m);
    /* All light: 42 runs of 21 (3 + 16 each), 20 x 20 blocks of 3, no finder
     * look-alike (it needs dark), 50 % from half dark (9 steps of 10). */
    assert_int_equal(qrmask_penalty(m, W), 42 * 19 + 400 * 3 + 90);
    /* One row 1011101 (x 7..13) in the middle (y 10) of light. N1: that row
     * 7 + 7 light (5 + 5), the other 20 rows 19 each, its five dark columns
     * 10 + 10 light (8 + 8), the other 16 columns 19 each. N2: 16 of the 400
     * blocks hold a dark module. N3: the pattern with four light modules
     * before it and after it. N4: 9 steps again. */
    for (int x = 0; x < 7; x++)
        m[10 * W + 7 + x] = (0x5d >> x) & 1;
    assert_int_equal(qrmask_penalty(m, W),
                     (10 + 20 * 19 + 5 * 16 + 16 * 19) + (400 - 16) * 3 + 2 * 40 + 90);
}

static void what_it_cannot_handle_is_left_alone(void **unused)
{
    unsigned char m[25 * 25];
    memset(m, 0, sizeof m);
    assert_int_equal(qrmask_choose(m, 25), -1); /* no valid format information */
    for (size_t i = 0; i < sizeof m; i++)
        assert_int_equal(m[i], 0);
    assert_int_equal(qrmask_choose(m, 22), -1); /* not a QR width */
    assert_false(qrmask_apply(m, 25, 8));
    int mask, ecl;
    assert_false(qrmask_format(m, QRMASK_MAX_WIDTH + 4, &mask, &ecl));
}

static void wide_codes_still_encode(void **unused)
{
    /* Past version 9 qrcode.c keeps qrcodegen's own choice. */
    char text[400];
    memset(text, 'A', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    qrcode q = {0};
    assert_int_equal(qrcode_encode(text, &q, NULL), USHER_OK);
    assert_true(q.width > QRMASK_MAX_WIDTH);
    qrcode_release(&q);
}

/* qrenc against qrcodegen_encodeText (level M, boosted, mask 0 after
 * re-masking both): every length from 1 to the most version 9 holds, so every
 * version, block structure and padding length, and an odd and even count. */
static void qrenc_matches_qrcodegen(void **unused)
{
    static const char set[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    static uint8_t qr[qrcodegen_BUFFER_LEN_MAX], tmp[qrcodegen_BUFFER_LEN_MAX];
    static unsigned char got[QRMASK_MAX_WIDTH * QRMASK_MAX_WIDTH],
        want[QRMASK_MAX_WIDTH * QRMASK_MAX_WIDTH];
    char text[400];
    int versions[10] = {0}, len = 1;
    for (;; len++) {
        for (int i = 0; i < len; i++)
            text[i] = set[(i * 7 + len * 13 + i * i) % 45];
        text[0] = 'U'; /* never digits only */
        text[len] = '\0';
        int w = 0;
        if (!qrenc_encode(text, got, &w))
            break;
        assert_true(qrcodegen_encodeText(text, tmp, qr, qrcodegen_Ecc_MEDIUM, 1, 40,
                                         qrcodegen_Mask_0, true));
        assert_int_equal(qrcodegen_getSize(qr), w);
        for (int y = 0; y < w; y++)
            for (int x = 0; x < w; x++)
                want[y * w + x] = qrcodegen_getModule(qr, x, y);
        assert_true(qrmask_apply(got, w, 0));
        assert_memory_equal(got, want, (size_t)w * (size_t)w);
        versions[(w - 17) / 4]++;
    }
    assert_int_equal(len, 263); /* version 9 at level M holds 262 characters */
    for (int v = 1; v <= 9; v++)
        assert_true(versions[v] > 0);
}

static void qrenc_refuses_what_it_does_not_make(void **unused)
{
    unsigned char m[QRMASK_MAX_WIDTH * QRMASK_MAX_WIDTH];
    int w = -1;
    assert_false(qrenc_handles(""));
    assert_false(qrenc_handles("12345"));  /* numeric mode is qrcodegen's */
    assert_false(qrenc_handles("U2.abc")); /* lower case is not alphanumeric */
    assert_false(qrenc_handles("Zoë"));
    assert_true(qrenc_handles("U2.ABC-1 $%*+/:"));
    assert_false(qrenc_encode("lower", m, &w));
    assert_int_equal(w, -1);
    char big[300];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_false(qrenc_encode(big, m, &w)); /* version 10 or more */
    assert_int_equal(w, -1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(qrenc_matches_qrcodegen),
    cmocka_unit_test(qrenc_refuses_what_it_does_not_make),
    cmocka_unit_test(every_mask_matches_qrcodegen),
    cmocka_unit_test(choice_has_the_lowest_penalty),
    cmocka_unit_test(penalty_of_known_patterns),
    cmocka_unit_test(what_it_cannot_handle_is_left_alone),
    cmocka_unit_test(wide_codes_still_encode),
};

TESTUTIL_MAIN(tests)

/* test_qrcode.c - QR codes we make decode with a real decoder (zbarimg): both the
 * module matrix (as a PGM image) and the SVG (rendered by rsvg-convert). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrcode.h"

/* Runs cmd and returns its first output line (malloc'd), or NULL. */
static char *run_line(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[1024] = "";
    char *got = fgets(buf, sizeof buf, p) ? strdup(buf) : NULL;
    pclose(p);
    if (got)
        got[strcspn(got, "\r\n")] = '\0';
    return got;
}

static void write_pgm(const qrcode *q, const char *path, int scale)
{
    int side = (q->width + 8) * scale;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fprintf(f, "P5\n%d %d\n255\n", side, side);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            int mx = x / scale - 4, my = y / scale - 4;
            bool dark =
                mx >= 0 && my >= 0 && mx < q->width && my < q->width && qrcode_dark(q, mx, my);
            fputc(dark ? 0 : 255, f);
        }
    assert_int_equal(fclose(f), 0);
}

static const char *payload =
    "U1.GALA-0001.ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJ"
    "KLMNOPQRSTUVWXYZ234567ABCDEFG";

static void matrix_decodes_with_zbarimg(void **unused)
{
    qrcode q = {0};
    assert_int_equal(qrcode_encode(payload, &q, NULL), USHER_OK);
    assert_true(q.width >= 21 && (q.width - 17) % 4 == 0);
    char *dir = testutil_tmpdir();
    char *pgm = testutil_path(dir, "q.pgm");
    write_pgm(&q, pgm, 4);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "zbarimg --raw -q '%s' 2>/dev/null", pgm);
    char *got = run_line(cmd);
    assert_non_null(got);
    assert_string_equal(got, payload);
    free(got);
    free(pgm);
    testutil_rmtree(dir);
    free(dir);
    qrcode_release(&q);
}

static void svg_decodes_with_zbarimg(void **unused)
{
    qrcode q = {0};
    const char *text = "Table 7, seat 3 — Zoë";
    assert_int_equal(qrcode_encode(text, &q, NULL), USHER_OK);
    char *svg = qrcode_svg(&q, 8);
    assert_non_null(svg);
    assert_non_null(strstr(svg, "<svg"));
    char *dir = testutil_tmpdir();
    char *svgp = testutil_path(dir, "q.svg"), *png = testutil_path(dir, "q.png");
    testutil_write(svgp, svg, strlen(svg));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rsvg-convert -o '%s' '%s' && zbarimg --raw -q '%s' 2>/dev/null", png,
             svgp, png);
    char *got = run_line(cmd);
    assert_non_null(got);
    assert_string_equal(got, text);
    free(got);
    free(svg);
    free(svgp);
    free(png);
    testutil_rmtree(dir);
    free(dir);
    qrcode_release(&q);
}

static void too_long_text_is_refused(void **unused)
{
    size_t n = 8000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'x', n);
    big[n] = '\0';
    qrcode q = {0};
    usher_errmsg em = {{0}};
    assert_int_equal(qrcode_encode(big, &q, &em), USHER_TOOBIG);
    assert_null(q.modules);
    free(big);
    qrcode_release(&q); /* releasing an empty one is fine */
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(matrix_decodes_with_zbarimg),
    cmocka_unit_test(svg_decodes_with_zbarimg),
    cmocka_unit_test(too_long_text_is_refused),
};

TESTUTIL_MAIN(tests)

/* qrcode.c - QR matrices and SVG: a ticket's payload through qrenc, any other
 * text through Nayuki's qrcodegen (the mask chosen by qrmask up to version 9). */
#include "qrcode.h"

#include <qrcodegen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qrenc.h"
#include "qrmask.h"

/* A ticket's payload: qrenc, the same symbol as qrcodegen's below. */
static usher_err encode_fast(const char *text, qrcode *out, usher_errmsg *em)
{
    unsigned char sym[QRMASK_MAX_WIDTH * QRMASK_MAX_WIDTH];
    int w;
    if (!qrenc_encode(text, sym, &w))
        return USHER_NOTFOUND;
    unsigned char *m = malloc((size_t)w * (size_t)w);
    if (!m)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    memcpy(m, sym, (size_t)w * (size_t)w);
    out->width = w;
    out->modules = m;
    return USHER_OK;
}

usher_err qrcode_encode(const char *text, qrcode *out, usher_errmsg *em)
{
    usher_err fast = encode_fast(text, out, em);
    if (fast != USHER_NOTFOUND)
        return fast;
    uint8_t qr[qrcodegen_BUFFER_LEN_MAX], tmp[qrcodegen_BUFFER_LEN_MAX];
    /* Mask 0 first: qrmask picks the best of the eight far faster than
     * qrcodegen's own search; a code too wide for it gets that search. */
    if (!qrcodegen_encodeText(text, tmp, qr, qrcodegen_Ecc_MEDIUM, qrcodegen_VERSION_MIN,
                              qrcodegen_VERSION_MAX, qrcodegen_Mask_0, true))
        return usher_fail(em, USHER_TOOBIG, "text too long for a QR code");
    int w = qrcodegen_getSize(qr);
    if (w > QRMASK_MAX_WIDTH &&
        !qrcodegen_encodeText(text, tmp, qr, qrcodegen_Ecc_MEDIUM, qrcodegen_VERSION_MIN,
                              qrcodegen_VERSION_MAX, qrcodegen_Mask_AUTO, true))
        return usher_fail(em, USHER_TOOBIG, "text too long for a QR code");
    unsigned char *m = malloc((size_t)w * (size_t)w);
    if (!m)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    for (int y = 0; y < w; y++)
        for (int x = 0; x < w; x++)
            m[y * w + x] = qrcodegen_getModule(qr, x, y);
    if (w <= QRMASK_MAX_WIDTH)
        (void)qrmask_choose(m, w); /* -1 only for a symbol qrcodegen never makes */
    out->width = w;
    out->modules = m;
    return USHER_OK;
}

void qrcode_release(qrcode *q)
{
    if (!q)
        return;
    free(q->modules);
    q->modules = NULL;
    q->width = 0;
}

char *qrcode_svg(const qrcode *q, int px)
{
    int side = (q->width + 8) * px;
    /* Each dark run becomes "M x y h w v px h -w z" (< 48 bytes). */
    size_t cap = 512 + (size_t)q->width * (size_t)q->width * 48;
    char *svg = malloc(cap);
    if (!svg)
        return NULL;
    size_t n =
        (size_t)snprintf(svg, cap,
                         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                         "height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
                         "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                         side, side, side, side, side, side);
    for (int y = 0; y < q->width; y++) {
        for (int x = 0; x < q->width;) {
            if (!qrcode_dark(q, x, y)) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < q->width && qrcode_dark(q, x + run, y))
                run++;
            n += (size_t)snprintf(svg + n, cap - n, "M%d %dh%dv%dh-%dz", (x + 4) * px, (y + 4) * px,
                                  run * px, px, run * px);
            x += run;
        }
    }
    snprintf(svg + n, cap - n, "\"/></svg>\n");
    return svg;
}

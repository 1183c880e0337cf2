/* qrcode.c - QR matrices and SVG through libqrencode. */
#include "qrcode.h"

#include <errno.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

usher_err qrcode_encode(const char *text, qrcode *out, usher_errmsg *em)
{
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (!qr)
        return errno == ERANGE ? usher_fail(em, USHER_TOOBIG, "text too long for a QR code")
                               : usher_fail(em, USHER_NOMEM, "cannot make a QR code");
    size_t n = (size_t)qr->width * (size_t)qr->width;
    unsigned char *m = malloc(n);
    if (!m) {
        QRcode_free(qr);
        return usher_fail(em, USHER_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        m[i] = qr->data[i] & 1;
    out->width = qr->width;
    out->modules = m;
    QRcode_free(qr);
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

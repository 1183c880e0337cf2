/* qrcode.h - QR codes from text (qrenc or qrcodegen, qrmask): the module matrix for drawing on a
 * screen, and SVG for printing. Used by the coordinator's QR sheet and the
 * kiosk's confirmation screen. */
#ifndef USHER_QRCODE_H
#define USHER_QRCODE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* A square of modules; dark(q, x, y) says whether a module is dark. */
typedef struct qrcode {
    int width;              /* modules per side, without the quiet zone */
    unsigned char *modules; /* width*width bytes, 1 = dark; owned */
} qrcode;

/* Encodes text (numeric or alphanumeric mode when every character allows it,
 * else 8-bit; error correction level M, raised to Q or H when that fits the
 * same version; the mask of the lowest penalty; the same symbol whichever of
 * qrenc and qrcodegen makes it). USHER_TOOBIG when it does not fit a QR code.
 * Release with qrcode_release. */
usher_err qrcode_encode(const char *text, qrcode *out, usher_errmsg *em) USHER_MUST_CHECK;
void qrcode_release(qrcode *q);

static inline bool qrcode_dark(const qrcode *q, int x, int y)
{
    return q->modules[y * q->width + x] != 0;
}

/* An SVG document of the code with a 4-module quiet zone, `px` user units per
 * module, dark on white, one path. Returns a malloc'd string (caller frees),
 * NULL on OOM. */
char *qrcode_svg(const qrcode *q, int px);

#endif

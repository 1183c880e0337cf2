/* qrenc.h - a fast QR encoder for the one kind of text a ticket holds: upper
 * case alphanumeric (QR's 45-character set), versions 1 to 9. The codewords
 * (bit stream, padding, Reed-Solomon blocks, interleaving) and their placement
 * are the standard's, made exactly as Nayuki's qrcodegen makes them (the tests
 * compare every module), without its per-module function calls; qrmask picks
 * the mask. Pure: no allocation, no I/O. qrcode.c uses it when it can and
 * qrcodegen otherwise. */
#ifndef USHER_QRENC_H
#define USHER_QRENC_H

#include <stdbool.h>

#include "qrmask.h"

/* True when text is one qrenc encodes the way qrcodegen_encodeText would:
 * not empty, every character in the alphanumeric set, not only digits (that is
 * numeric mode). */
bool qrenc_handles(const char *text);

/* Encodes text at error correction level M, raised to Q or H when that fits
 * the same version (qrcodegen's boostEcl), in the smallest version that holds
 * it, masked by qrmask: out gets width*width bytes (1 = dark), row-major.
 * False (out untouched) when qrenc_handles is false or the text needs a
 * version above 9. */
bool qrenc_encode(const char *text, unsigned char out[QRMASK_MAX_WIDTH * QRMASK_MAX_WIDTH],
                  int *width);

#endif

/* kcardpdf.h - a seat card (kcard.h) drawn as a one-page PDF with Cairo and
 * Pango: the text on the left in any script, the QR code on the right. */
#ifndef USHER_KCARDPDF_H
#define USHER_KCARDPDF_H

#include "error.h"
#include "kcard.h"

#define KCARDPDF_W_MM 100.0 /* the page: a place card, or a label printer's roll */
#define KCARDPDF_H_MM 55.0

/* Writes the card to path (created or replaced) in the font family `font`
 * (fontconfig finds others for characters it lacks). A name too long for
 * its two lines is set smaller, down to 60 %, and only then cut with an
 * ellipsis: *cut (may be NULL) says how many lines were cut. USHER_IO when
 * the file cannot be written, USHER_TOOBIG when the QR text does not fit a
 * code. */
usher_err kcardpdf_write(const kcard *c, const char *font, const char *path, int *cut,
                         usher_errmsg *em) USHER_MUST_CHECK;

#endif

/* textenc.h - the text encodings organisers' files come in, turned into UTF-8:
 * UTF-8 with or without a byte order mark, UTF-16 with a BOM (Excel's
 * "Unicode text") and Windows-1252 (Excel's plain "CSV" in western locales)
 * for a file that is not valid UTF-8. Conversion goes through iconv(3).
 */
#ifndef USHER_TEXTENC_H
#define USHER_TEXTENC_H

#include <stddef.h>

#include "error.h"

typedef enum textenc {
    TEXTENC_UTF8 = 0,
    TEXTENC_UTF8_BOM,
    TEXTENC_UTF16LE,
    TEXTENC_UTF16BE,
    TEXTENC_CP1252,
} textenc;

/* A person's name for an encoding: "UTF-8", "UTF-8 with BOM", "UTF-16 LE",
 * "UTF-16 BE", "Windows-1252"; never NULL. */
const char *textenc_name(textenc enc);

/* True when a file in this encoding was converted (its bytes are not the
 * UTF-8 that is stored). */
int textenc_converted(textenc enc);

/* Recognises data's encoding and returns its text as UTF-8 without a BOM in a
 * new NUL-terminated buffer (*out, *outlen; the caller frees *out with free()).
 * UTF-16 needs its BOM; valid UTF-8 is taken as it is; anything else is read
 * as Windows-1252. USHER_PARSE with a sentence in em when the bytes are none
 * of these (UTF-16 with a broken surrogate or an odd length, a NUL byte, a
 * byte Windows-1252 leaves undefined), USHER_NOMEM when memory runs out.
 * Out-parameters are set only on success. */
usher_err textenc_decode(const char *data, size_t len, char **out, size_t *outlen, textenc *enc,
                         usher_errmsg *em) USHER_MUST_CHECK;

#endif

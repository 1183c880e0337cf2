/* textenc.c - organisers' files to UTF-8: BOM sniffing, a UTF-8 check, and
 * iconv(3) for UTF-16 and Windows-1252. */
#include "textenc.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

const char *textenc_name(textenc enc)
{
    switch (enc) {
    case TEXTENC_UTF8:
        return "UTF-8";
    case TEXTENC_UTF8_BOM:
        return "UTF-8 with BOM";
    case TEXTENC_UTF16LE:
        return "UTF-16 LE";
    case TEXTENC_UTF16BE:
        return "UTF-16 BE";
    case TEXTENC_CP1252:
        return "Windows-1252";
    }
    return "UTF-8";
}

int textenc_converted(textenc enc)
{
    return enc == TEXTENC_UTF16LE || enc == TEXTENC_UTF16BE || enc == TEXTENC_CP1252;
}

/* The first offset of a NUL byte, or len. */
static size_t find_nul(const char *s, size_t len)
{
    const char *z = memchr(s, '\0', len);
    return z ? (size_t)(z - s) : len;
}

static usher_err copy_out(const char *s, size_t len, char **out, size_t *outlen)
{
    char *buf = malloc(len + 1);
    if (!buf)
        return USHER_NOMEM;
    if (len)
        memcpy(buf, s, len);
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    return USHER_OK;
}

/* Converts len bytes from charset `from` to UTF-8 with iconv. The output can
 * grow to 3 bytes for each input byte (Windows-1252) or 3 for 2 (UTF-16). */
static usher_err convert(const char *from, const char *s, size_t len, char **out, size_t *outlen,
                         usher_errmsg *em)
{
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return usher_fail(em, USHER_IO, "cannot convert from %s on this machine (iconv)", from);
    usher_err err = USHER_OK;
    size_t cap = len * 3 + 1;
    char *buf = malloc(cap);
    if (!buf) {
        err = USHER_NOMEM;
        goto out;
    }
    char *in = (char *)s, *o = buf;
    size_t inleft = len, oleft = cap - 1;
    if (iconv(cd, &in, &inleft, &o, &oleft) == (size_t)-1) {
        size_t at = (size_t)(in - s);
        if (errno == E2BIG)
            err = USHER_NOMEM;
        else if (errno == EINVAL)
            err = usher_fail(em, USHER_PARSE,
                             "the file ends in the middle of a %s character: it is cut short "
                             "or not %s; save it again",
                             from, from);
        else
            err = usher_fail(em, USHER_PARSE,
                             "byte %zu (0x%02x) is not valid %s: save the file as \"CSV UTF-8\"",
                             at, (unsigned char)s[at], from);
        goto out;
    }
    *o = '\0';
    *out = buf;
    *outlen = (size_t)(o - buf);
    buf = NULL;
out:
    free(buf);
    iconv_close(cd);
    return err;
}

usher_err textenc_decode(const char *data, size_t len, char **out, size_t *outlen, textenc *enc,
                         usher_errmsg *em)
{
    if (!out || !outlen || !enc || (!data && len))
        return usher_fail(em, USHER_INVAL, "textenc_decode: bad arguments");
    const unsigned char *u = (const unsigned char *)data;
    textenc e;
    char *buf = NULL;
    size_t n = 0;
    usher_err err;
    if (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))) {
        e = u[0] == 0xff ? TEXTENC_UTF16LE : TEXTENC_UTF16BE;
        if (len % 2)
            return usher_fail(em, USHER_PARSE,
                              "the file starts like UTF-16 but has an odd number of bytes: it "
                              "is cut short; save it again");
        err = convert(e == TEXTENC_UTF16LE ? "UTF-16LE" : "UTF-16BE", data + 2, len - 2, &buf, &n,
                      em);
        if (err)
            return err;
    } else if (len >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) {
        e = TEXTENC_UTF8_BOM;
        if (!text_utf8_valid(data + 3, len - 3))
            return usher_fail(em, USHER_PARSE,
                              "the file says it is UTF-8 (it starts with a UTF-8 byte order "
                              "mark) but is not valid UTF-8: save it again as \"CSV UTF-8\"");
        if ((err = copy_out(data + 3, len - 3, &buf, &n)))
            return err;
    } else if (text_utf8_valid(data, len)) {
        e = TEXTENC_UTF8;
        if ((err = copy_out(data, len, &buf, &n)))
            return err;
    } else {
        e = TEXTENC_CP1252;
        if ((err = convert("WINDOWS-1252", data, len, &buf, &n, em)))
            return err;
    }
    if (find_nul(buf, n) < n) {
        free(buf);
        return usher_fail(em, USHER_PARSE,
                          "the file holds a NUL character: UTF-16 without a byte order "
                          "mark, or not a text file; save it as \"CSV UTF-8\"");
    }
    *out = buf;
    *outlen = n;
    *enc = e;
    return USHER_OK;
}

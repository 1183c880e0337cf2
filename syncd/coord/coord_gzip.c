/* coord_gzip.c - see coord_gzip.h. */
#include "coord_gzip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

usher_err coord_gzip(const void *in, size_t n, unsigned char **out, size_t *outn)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: a gzip wrapper; level 6: zlib's balance. */
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return USHER_NOMEM;
    size_t cap = deflateBound(&z, (uLong)n);
    unsigned char *buf = malloc(cap ? cap : 1);
    if (!buf) {
        deflateEnd(&z);
        return USHER_NOMEM;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t len = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) { /* deflateBound is a bound: never for a whole input */
        free(buf);
        return USHER_NOMEM;
    }
    *out = buf;
    *outn = len;
    return USHER_OK;
}

bool coord_gzip_accepted(const char *v)
{
    for (const char *p = v; p && *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        const char *end = p + strcspn(p, ",");
        size_t name = strcspn(p, ";, \t");
        if ((name == 4 && !strncasecmp(p, "gzip", 4)) || (name == 1 && *p == '*')) {
            const char *q = memchr(p, ';', (size_t)(end - p));
            bool zero = false;
            if (q) {
                q++;
                while (*q == ' ')
                    q++;
                if ((*q == 'q' || *q == 'Q') && q[1] == '=') {
                    double w = strtod(q + 2, NULL);
                    zero = w <= 0.0;
                }
            }
            return !zero;
        }
        p = end;
    }
    return false;
}

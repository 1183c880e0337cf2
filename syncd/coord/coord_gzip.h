/* coord_gzip.h - gzip bodies for HTTP answers (zlib): snapshot pages once
 * when they are built, and large answers to clients that send
 * `Accept-Encoding: gzip`. Pure.
 */
#ifndef USHER_COORD_GZIP_H
#define USHER_COORD_GZIP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Answers at least this long are worth compressing. */
#define COORD_GZIP_MIN 8192

/* Compresses n bytes of in into a new gzip stream *out (*outn bytes; the
 * caller frees it). USHER_NOMEM when memory runs out (*out untouched). */
usher_err coord_gzip(const void *in, size_t n, unsigned char **out, size_t *outn) USHER_MUST_CHECK;

/* True when an Accept-Encoding header value (NULL = absent) takes gzip: a
 * `gzip` coding without `q=0`. */
bool coord_gzip_accepted(const char *accept_encoding);

#endif

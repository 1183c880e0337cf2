/* text.h - small string helpers: bounded copies, UTF-8 checks, base32, identifiers.
 * Replaces the functions README.md "Working on the code" bans (strcpy, strcat, sprintf, atoi,
 * strtok). */
#ifndef USHER_TEXT_H
#define USHER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies src into dst (size bytes, always NUL-terminated when size > 0).
 * Returns false when src did not fit (dst then holds a truncated copy). */
bool text_copy(char *dst, size_t size, const char *src);

/* Like text_copy for the first n bytes of src. */
bool text_copyn(char *dst, size_t size, const char *src, size_t n);

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool text_utf8_valid(const char *s, size_t len);

/* True when s has no control characters (bytes < 0x20 or 0x7f), so it can be
 * shown on one line. */
bool text_printable(const char *s);

/* True when s is 1..max chars of [A-Za-z0-9_.-]: the charset of seat ids,
 * section ids and device ids. */
bool text_is_ident(const char *s, size_t max);

/* Parses a whole decimal integer in [min, max]; no sign tricks, no trailing junk. */
bool text_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* RFC 4648 base32 (A-Z2-7), no padding. out must hold base32_len(n)+1 bytes. */
size_t text_base32_len(size_t n);
void text_base32_encode(const uint8_t *in, size_t n, char *out);
/* Decodes exactly outlen bytes; accepts lower case; false on any bad char or
 * a length that does not match. */
bool text_base32_decode(const char *in, uint8_t *out, size_t outlen);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void text_hex(const uint8_t *in, size_t n, char *out);

#endif

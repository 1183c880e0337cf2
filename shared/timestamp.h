/* timestamp.h - Usher's clock: milliseconds since the Unix epoch, UTC, and their
 * RFC 3339 text form ("2026-11-22T07:32:35.123Z"). */
#ifndef USHER_TIMESTAMP_H
#define USHER_TIMESTAMP_H

#include <stdbool.h>
#include <stdint.h>

#define TIMESTAMP_TEXT_SIZE 32

/* Wall-clock now in ms. The only impure function here: pure code takes `now`. */
int64_t timestamp_now_ms(void);

/* Monotonic ms, for timeouts and measurements. */
int64_t timestamp_mono_ms(void);

/* Formats ms as RFC 3339 UTC with milliseconds into out (TIMESTAMP_TEXT_SIZE). */
void timestamp_format(int64_t ms, char out[TIMESTAMP_TEXT_SIZE]);

/* Parses RFC 3339 ("2026-11-22T07:32:35Z", fractions up to 9 digits, "Z" or
 * "+hh:mm"/"-hh:mm"); years 1970..9999. Returns false on anything else. */
bool timestamp_parse(const char *s, int64_t *out_ms);

#endif

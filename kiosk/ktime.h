/* ktime.h - dates and times as the guest's language writes them ("7:42 PM",
 * "19:42", "2. Dez.", "12月2日"). Each language's catalogue holds the
 * patterns, the month names, AM/PM and the digits it writes them with
 * (kiosk/po/README.md); the C library's locales (LC_TIME) are never used, so
 * a device without generated locales writes them right. */
#ifndef USHER_KTIME_H
#define USHER_KTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef enum {
    KTIME_TIME = 0, /* a time of day: "7:42 PM" */
    KTIME_DATE,     /* a day of the year: "2 Dec" */
    KTIME_DATETIME, /* both: "2 Dec, 7:42 PM" */
    KTIME_STYLES
} ktime_style;

/* The words a pattern is written with: month names (abbreviated as in a
 * date), AM and PM, and the ten digits 0-9 (each one UTF-8 character).
 * Borrowed strings. */
typedef struct {
    const char *months[12];
    const char *am, *pm;
    const char *digits[10];
} ktime_words;

/* True when pattern uses only what ktime_render writes: %H %-H (hour 0-23,
 * two digits or as few as needed), %I %-I (1-12), %M (minute), %p (AM/PM),
 * %d %-d (day), %m %-m (month number), %b (month name), %Y (year), %%.
 * Everything else in it is written as it stands. */
bool ktime_pattern_ok(const char *pattern);

/* Writes tm by pattern with words into out (size > 0: always terminated;
 * a piece that does not fit whole is left off). Pure. Returns false, with
 * out "", when the pattern is not ktime_pattern_ok or tm's fields are out
 * of range. */
bool ktime_render(const char *pattern, const ktime_words *words, const struct tm *tm, char *out,
                  size_t size);

/* style's pattern in English: the catalogue's msgid. */
const char *ktime_msgid(ktime_style style);

/* lang's pattern for style (the catalogue's; English's when the catalogue's
 * is not ktime_pattern_ok). Lives as long as the process. */
const char *ktime_pattern(const char *lang, ktime_style style);

/* lang's words (the catalogue's; a digit row that is not ten characters
 * gives 0-9). */
void ktime_words_of(const char *lang, ktime_words *out);

/* tm in lang's way (ktime_pattern + ktime_words_of + ktime_render). */
void ktime_format(const char *lang, ktime_style style, const struct tm *tm, char *out, size_t size);

/* ms since the epoch in the event's time zone (zone.h) in lang's way; ""
 * for 0. */
void ktime_at(const char *lang, ktime_style style, int64_t ms, char *out, size_t size);

#endif

/* ktime.c - dates and times in the guest's language (see ktime.h). */
#include "ktime.h"

#include <stdio.h>
#include <string.h>

#include "ktr.h"
#include "text.h"
#include "zone.h"

#define N_(s) s

/* The patterns are the catalogue's words like any other: English's are the
 * msgids. */
static const char *const patterns[KTIME_STYLES] = {
    /* TRANSLATORS: a time of day, as your language writes it. %H hour 00-23,
       %-H hour 0-23, %I hour 01-12, %-I hour 1-12, %M minute, %p the word
       for AM or PM (translated below). German: %H:%M. */
    [KTIME_TIME] = N_("%-I:%M %p"),
    /* TRANSLATORS: a day of the year. %d day 01-31, %-d day 1-31, %m month
       01-12, %-m month 1-12, %b the month's name (translated below), %Y the
       year. German: %-d. %b; Chinese: %-m月%-d日. */
    [KTIME_DATE] = N_("%-d %b"),
    /* TRANSLATORS: a day and a time of day together, with the same letters
       as the two patterns above. */
    [KTIME_DATETIME] = N_("%-d %b, %-I:%M %p"),
};

static const char *const month_ids[12] = {
    /* TRANSLATORS: January's name as your language writes it in a short
       date ("2 Jan"): abbreviated if it abbreviates months (German: Jan.). */
    N_("Jan"),
    /* TRANSLATORS: February in a short date. */
    N_("Feb"),
    /* TRANSLATORS: March in a short date. */
    N_("Mar"),
    /* TRANSLATORS: April in a short date. */
    N_("Apr"),
    /* TRANSLATORS: May in a short date. */
    N_("May"),
    /* TRANSLATORS: June in a short date. */
    N_("Jun"),
    /* TRANSLATORS: July in a short date. */
    N_("Jul"),
    /* TRANSLATORS: August in a short date. */
    N_("Aug"),
    /* TRANSLATORS: September in a short date. */
    N_("Sep"),
    /* TRANSLATORS: October in a short date. */
    N_("Oct"),
    /* TRANSLATORS: November in a short date. */
    N_("Nov"),
    /* TRANSLATORS: December in a short date. */
    N_("Dec"),
};

/* TRANSLATORS: the ten digits 0 to 9 your language writes times and dates
   with, in order (Arabic: Latin 0123456789 or Arabic-Indic ٠١٢٣٤٥٦٧٨٩). */
static const char *const digits_id = N_("0123456789");
/* TRANSLATORS: before noon, for %p in a time pattern. */
static const char *const am_id = N_("AM");
/* TRANSLATORS: after noon, for %p in a time pattern. */
static const char *const pm_id = N_("PM");

static const char *const latin[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};

/* The directive at p (just after '%'): its letter, and whether it drops
 * leading zeros ("%-d"); 0 when it is not one ktime writes. */
static char directive(const char *p, bool *unpadded)
{
    *unpadded = p[0] == '-';
    char c = *unpadded ? p[1] : p[0];
    if (*unpadded)
        return c && strchr("HIdm", c) ? c : 0;
    return c && strchr("HIMpdmbY%", c) ? c : 0;
}

bool ktime_pattern_ok(const char *pattern)
{
    if (!pattern || !pattern[0])
        return false;
    for (const char *p = pattern; *p; p++) {
        if (*p != '%')
            continue;
        bool unpadded;
        if (!directive(p + 1, &unpadded))
            return false;
        p += unpadded ? 2 : 1;
    }
    return true;
}

typedef struct {
    char *out;
    size_t size, used;
    bool full;
} sink;

static void put(sink *s, const char *text, size_t n)
{
    if (s->full || s->used + n >= s->size) {
        s->full = true;
        return;
    }
    memcpy(s->out + s->used, text, n);
    s->used += n;
    s->out[s->used] = '\0';
}

/* A number in the language's digits, at least width digits long. */
static void put_number(sink *s, const ktime_words *w, int value, int width)
{
    char ascii[16];
    snprintf(ascii, sizeof ascii, "%0*d", width, value);
    char piece[16 * 8];
    size_t n = 0;
    for (const char *p = ascii; *p; p++) {
        const char *d = w->digits[*p - '0'];
        size_t dl = strlen(d);
        if (n + dl >= sizeof piece)
            break;
        memcpy(piece + n, d, dl);
        n += dl;
    }
    put(s, piece, n); /* a number is never split */
}

static bool tm_ok(const struct tm *tm)
{
    return tm && tm->tm_hour >= 0 && tm->tm_hour <= 23 && tm->tm_min >= 0 && tm->tm_min <= 59 &&
           tm->tm_mday >= 1 && tm->tm_mday <= 31 && tm->tm_mon >= 0 && tm->tm_mon <= 11 &&
           tm->tm_year >= -1900 && tm->tm_year <= 9999 - 1900;
}

bool ktime_render(const char *pattern, const ktime_words *words, const struct tm *tm, char *out,
                  size_t size)
{
    if (!size)
        return false;
    out[0] = '\0';
    if (!ktime_pattern_ok(pattern) || !tm_ok(tm) || !words)
        return false;
    sink s = {.out = out, .size = size};
    for (const char *p = pattern; *p; p++) {
        if (*p != '%') {
            size_t n = strcspn(p, "%");
            put(&s, p, n);
            p += n - 1;
            continue;
        }
        bool unpadded;
        char c = directive(p + 1, &unpadded);
        p += unpadded ? 2 : 1;
        int w2 = unpadded ? 1 : 2, h12 = tm->tm_hour % 12 ? tm->tm_hour % 12 : 12;
        switch (c) {
        case 'H':
            put_number(&s, words, tm->tm_hour, w2);
            break;
        case 'I':
            put_number(&s, words, h12, w2);
            break;
        case 'M':
            put_number(&s, words, tm->tm_min, 2);
            break;
        case 'd':
            put_number(&s, words, tm->tm_mday, w2);
            break;
        case 'm':
            put_number(&s, words, tm->tm_mon + 1, w2);
            break;
        case 'Y':
            put_number(&s, words, tm->tm_year + 1900, 4);
            break;
        case 'p': {
            const char *ap = tm->tm_hour < 12 ? words->am : words->pm;
            put(&s, ap, strlen(ap));
            break;
        }
        case 'b':
            put(&s, words->months[tm->tm_mon], strlen(words->months[tm->tm_mon]));
            break;
        default: /* '%' */
            put(&s, "%", 1);
            break;
        }
    }
    return true;
}

const char *ktime_msgid(ktime_style style)
{
    return patterns[style >= 0 && style < KTIME_STYLES ? style : KTIME_DATETIME];
}

const char *ktime_pattern(const char *lang, ktime_style style)
{
    if (style < 0 || style >= KTIME_STYLES)
        style = KTIME_DATETIME;
    const char *p = ktr_in(lang, patterns[style]);
    return ktime_pattern_ok(p) ? p : patterns[style];
}

void ktime_words_of(const char *lang, ktime_words *out)
{
    for (int i = 0; i < 12; i++)
        out->months[i] = ktr_in(lang, month_ids[i]);
    out->am = ktr_in(lang, am_id);
    out->pm = ktr_in(lang, pm_id);
    /* Ten characters, each one UTF-8 sequence, kept in a table per process
     * for the language looked up last (a switch is a guest's tap). */
    static char row[64], split[10][8];
    const char *d = ktr_in(lang, digits_id);
    bool ok = strlen(d) < sizeof row;
    if (ok && strcmp(row, d) != 0) {
        int n = 0;
        for (const unsigned char *p = (const unsigned char *)d; *p && ok;) {
            size_t len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : 4;
            if (n == 10 || strnlen((const char *)p, len) < len || len >= sizeof split[0]) {
                ok = false;
                break;
            }
            memcpy(split[n], p, len);
            split[n][len] = '\0';
            n++;
            p += len;
        }
        ok = ok && n == 10;
        text_copy(row, sizeof row, ok ? d : "");
    }
    for (int i = 0; i < 10; i++)
        out->digits[i] = ok && row[0] ? split[i] : latin[i];
}

void ktime_format(const char *lang, ktime_style style, const struct tm *tm, char *out, size_t size)
{
    ktime_words w;
    ktime_words_of(lang, &w);
    ktime_render(ktime_pattern(lang, style), &w, tm, out, size);
}

void ktime_at(const char *lang, ktime_style style, int64_t ms, char *out, size_t size)
{
    struct tm tm;
    if (!size)
        return;
    out[0] = '\0';
    if (ms && zone_local(ms, &tm))
        ktime_format(lang, style, &tm, out, size);
}

/* timestamp.c - Usher's clock and its RFC 3339 text form, with our own calendar
 * arithmetic (no locale, no time zone database, no timegm). */
#include "timestamp.h"

#include <time.h>

#define MS_PER_DAY INT64_C(86400000)
/* 9999-12-31T23:59:59.999Z: the last instant four year digits can write. */
#define TIMESTAMP_MAX_MS INT64_C(253402300799999)

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil: eras of 400 years, March-based years so that February's
 * leap day falls at the end). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil, for days >= 0. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t timestamp_now_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

int64_t timestamp_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

/* Writes v as exactly n decimal digits at p. */
static char *put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

static char *put_char(char *p, char c)
{
    *p = c;
    return p + 1;
}

/* Values outside 1970..9999 are clamped to the ends of that range, so that what
 * we write always parses back. */
void timestamp_format(int64_t ms, char out[TIMESTAMP_TEXT_SIZE])
{
    if (ms < 0)
        ms = 0;
    if (ms > TIMESTAMP_MAX_MS)
        ms = TIMESTAMP_MAX_MS;
    int64_t rest = ms % MS_PER_DAY;
    int y, m, d;
    civil_from_days(ms / MS_PER_DAY, &y, &m, &d);
    char *p = out;
    p = put_char(put_digits(p, y, 4), '-');
    p = put_char(put_digits(p, m, 2), '-');
    p = put_char(put_digits(p, d, 2), 'T');
    p = put_char(put_digits(p, rest / 3600000, 2), ':');
    p = put_char(put_digits(p, rest / 60000 % 60, 2), ':');
    p = put_char(put_digits(p, rest / 1000 % 60, 2), '.');
    p = put_char(put_digits(p, rest % 1000, 3), 'Z');
    *p = '\0';
}

/* Reads exactly n decimal digits at *p and advances past them. */
static bool digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect(const char **p, char a, char b)
{
    if (**p != a && **p != b)
        return false;
    (*p)++;
    return true;
}

/* "YYYY-MM-DD" into days since the epoch. */
static bool parse_date(const char **p, int64_t *days)
{
    int y, m, d;
    if (!digits(p, 4, &y) || !expect(p, '-', '-') || !digits(p, 2, &m) || !expect(p, '-', '-') ||
        !digits(p, 2, &d))
        return false;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

/* "HH:MM:SS[.fraction]" into ms since midnight. Leap seconds (:60) are
 * refused: Unix time has no place for them. */
static bool parse_time(const char **p, int64_t *ms)
{
    int hh, mi, ss, frac = 0, n = 0;
    if (!digits(p, 2, &hh) || !expect(p, ':', ':') || !digits(p, 2, &mi) || !expect(p, ':', ':') ||
        !digits(p, 2, &ss))
        return false;
    if (hh > 23 || mi > 59 || ss > 59)
        return false;
    if (**p == '.') {
        (*p)++;
        /* Up to 9 digits; kept to the millisecond by truncation, so that a
         * time never moves into the next second (or year). */
        for (; **p >= '0' && **p <= '9'; (*p)++, n++)
            if (n < 3)
                frac = frac * 10 + (**p - '0');
        if (n < 1 || n > 9)
            return false;
        for (int i = n; i < 3; i++)
            frac *= 10;
    }
    *ms = ((int64_t)hh * 3600 + mi * 60 + ss) * 1000 + frac;
    return true;
}

/* "Z", "z" or "+hh:mm"/"-hh:mm" into ms east of UTC. */
static bool parse_offset(const char **p, int64_t *ms)
{
    if (expect(p, 'Z', 'z')) {
        *ms = 0;
        return true;
    }
    char sign = **p;
    int hh, mi;
    if (!expect(p, '+', '-') || !digits(p, 2, &hh) || !expect(p, ':', ':') || !digits(p, 2, &mi))
        return false;
    if (hh > 23 || mi > 59)
        return false;
    *ms = ((int64_t)hh * 60 + mi) * 60000 * (sign == '-' ? -1 : 1);
    return true;
}

bool timestamp_parse(const char *s, int64_t *out_ms)
{
    if (!s)
        return false;
    const char *p = s;
    int64_t days, tod, offset;
    if (!parse_date(&p, &days) || !expect(&p, 'T', 't') || !parse_time(&p, &tod) ||
        !parse_offset(&p, &offset) || *p != '\0')
        return false;
    int64_t ms = days * MS_PER_DAY + tod - offset;
    /* An offset can carry a 1970 or 9999 local time outside what we can write. */
    if (ms < 0 || ms > TIMESTAMP_MAX_MS)
        return false;
    *out_ms = ms;
    return true;
}

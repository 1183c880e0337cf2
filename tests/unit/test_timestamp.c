/* test_timestamp.c - RFC 3339 parsing and formatting, checked against known
 * instants and against the C library's gmtime_r. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timestamp.h"

#define MAX_MS INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

static void assert_formats(int64_t ms, const char *want)
{
    char out[TIMESTAMP_TEXT_SIZE];
    timestamp_format(ms, out);
    assert_string_equal(out, want);
}

static void assert_parses(const char *s, int64_t want)
{
    int64_t ms = -1;
    if (!timestamp_parse(s, &ms))
        fail_msg("\"%s\" should parse", s);
    assert_int_equal(ms, want);
}

static void assert_refused(const char *s)
{
    int64_t ms = 42;
    if (timestamp_parse(s, &ms))
        fail_msg("\"%s\" should be refused", s ? s : "(null)");
    assert_int_equal(ms, 42); /* untouched on failure */
}

static void format_known_instants(void **state)
{
    (void)state;
    assert_formats(0, "1970-01-01T00:00:00.000Z");
    assert_formats(1, "1970-01-01T00:00:00.001Z");
    assert_formats(1795332755123, "2026-11-22T07:32:35.123Z");
    assert_formats(1709208000000, "2024-02-29T12:00:00.000Z");
    assert_formats(951868800000 - 1, "2000-02-29T23:59:59.999Z");
    assert_formats(951868800000, "2000-03-01T00:00:00.000Z");
    assert_formats(2147483648000, "2038-01-19T03:14:08.000Z");
    assert_formats(MAX_MS, "9999-12-31T23:59:59.999Z");
}

static void format_clamps_out_of_range(void **state)
{
    (void)state;
    assert_formats(-1, "1970-01-01T00:00:00.000Z");
    assert_formats(INT64_MIN, "1970-01-01T00:00:00.000Z");
    assert_formats(MAX_MS + 1, "9999-12-31T23:59:59.999Z");
    assert_formats(INT64_MAX, "9999-12-31T23:59:59.999Z");
}

static void parse_utc_forms(void **state)
{
    (void)state;
    assert_parses("2026-11-22T07:32:35Z", 1795332755000);
    assert_parses("2026-11-22T07:32:35.123Z", 1795332755123);
    assert_parses("2026-11-22t07:32:35.123z", 1795332755123);
    assert_parses("1970-01-01T00:00:00Z", 0);
    assert_parses("9999-12-31T23:59:59.999Z", MAX_MS);
    assert_parses("2024-02-29T12:00:00Z", 1709208000000);
    assert_parses("2000-02-29T00:00:00Z", 951782400000);
}

static void parse_fractions_truncate_to_ms(void **state)
{
    (void)state;
    assert_parses("2026-11-22T07:32:35.1Z", 1795332755100);
    assert_parses("2026-11-22T07:32:35.12Z", 1795332755120);
    assert_parses("2026-11-22T07:32:35.1239Z", 1795332755123);
    assert_parses("2026-11-22T07:32:35.000001Z", 1795332755000);
    assert_parses("2026-11-22T07:32:35.999999999Z", 1795332755999);
    assert_parses("9999-12-31T23:59:59.999999999Z", MAX_MS);
}

static void parse_offsets(void **state)
{
    (void)state;
    assert_parses("2026-11-22T08:32:35.123+01:00", 1795332755123);
    assert_parses("2026-11-22T13:02:35.123+05:30", 1795332755123);
    assert_parses("2026-11-21T23:32:35.123-08:00", 1795332755123);
    assert_parses("2026-11-22T07:32:35.123+00:00", 1795332755123);
    assert_parses("2026-11-22T07:32:35.123-00:00", 1795332755123);
    assert_parses("1970-01-01T01:00:00+01:00", 0);
    assert_parses("9999-12-31T22:59:59.999-01:00", MAX_MS);
    /* The offset carries the time across a day, month and year. */
    assert_parses("2024-12-31T23:30:00-01:00", 1735691400000);
}

static void parse_refuses_bad_dates(void **state)
{
    (void)state;
    assert_refused("2023-02-29T00:00:00Z");
    assert_refused("2100-02-29T00:00:00Z");
    assert_refused("2024-02-30T00:00:00Z");
    assert_refused("2024-04-31T00:00:00Z");
    assert_refused("2024-13-01T00:00:00Z");
    assert_refused("2024-00-10T00:00:00Z");
    assert_refused("2024-01-00T00:00:00Z");
    assert_refused("2024-01-32T00:00:00Z");
    assert_refused("1969-12-31T23:59:59Z");
    assert_refused("0000-01-01T00:00:00Z");
    assert_refused("10000-01-01T00:00:00Z");
    assert_refused("2024-1-01T00:00:00Z");
    assert_refused("24-01-01T00:00:00Z");
    assert_refused("2024/01/01T00:00:00Z");
}

static void parse_refuses_bad_times(void **state)
{
    (void)state;
    assert_refused("2024-01-01T24:00:00Z");
    assert_refused("2024-01-01T23:60:00Z");
    assert_refused("2024-01-01T23:59:60Z"); /* leap seconds: Unix time has none */
    assert_refused("2024-01-01T1:00:00Z");
    assert_refused("2024-01-01T10:00Z");
    assert_refused("2024-01-01T10:00:00.Z");
    assert_refused("2024-01-01T10:00:00.1234567890Z");
    assert_refused("2024-01-01T10:00:00,5Z");
    assert_refused("2024-01-01 10:00:00Z");
    assert_refused("2024-01-0110:00:00Z");
}

static void parse_refuses_bad_offsets(void **state)
{
    (void)state;
    assert_refused("2024-01-01T10:00:00");
    assert_refused("2024-01-01T10:00:00.123");
    assert_refused("2024-01-01T10:00:00+0100");
    assert_refused("2024-01-01T10:00:00+01");
    assert_refused("2024-01-01T10:00:00+24:00");
    assert_refused("2024-01-01T10:00:00+01:60");
    assert_refused("2024-01-01T10:00:00 Z");
    assert_refused("2024-01-01T10:00:00UTC");
    /* Local times at the edges that fall outside 1970..9999 in UTC. */
    assert_refused("1970-01-01T00:30:00+01:00");
    assert_refused("9999-12-31T23:30:00-01:00");
}

static void parse_refuses_junk(void **state)
{
    (void)state;
    assert_refused(NULL);
    assert_refused("");
    assert_refused("now");
    assert_refused("2024-01-01T10:00:00Zx");
    assert_refused("2024-01-01T10:00:00Z ");
    assert_refused(" 2024-01-01T10:00:00Z");
    assert_refused("2024-01-01T10:00:00+01:00:00");
    assert_refused("+2024-01-01T10:00:00Z");
    assert_refused("2024-01-01");
    assert_refused("1700000000000");
}

/* xorshift64*: a fixed sequence, so that a failure can be replayed. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

/* Every instant formats as gmtime_r says and parses back to itself. */
static void format_matches_gmtime_and_round_trips(void **state)
{
    (void)state;
    uint64_t seed = 0x5eed1234abcdULL;
    for (int i = 0; i < 20000; i++) {
        int64_t ms = (int64_t)(next_random(&seed) % (uint64_t)(MAX_MS + 1));
        if (i < 4)
            ms = (int64_t[]){0, MAX_MS, 951782400000, 4107542400000}[i];
        time_t secs = (time_t)(ms / 1000);
        struct tm tm;
        assert_non_null(gmtime_r(&secs, &tm));
        char want[64];
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
        char text[TIMESTAMP_TEXT_SIZE];
        timestamp_format(ms, text);
        assert_string_equal(text, want);
        int64_t back = -1;
        assert_true(timestamp_parse(text, &back));
        assert_int_equal(back, ms);
    }
}

static void clocks_are_plausible(void **state)
{
    (void)state;
    int64_t now = timestamp_now_ms();
    assert_true(now > 1577836800000); /* after 2020-01-01 */
    assert_true(now < MAX_MS);
    int64_t a = timestamp_mono_ms();
    int64_t b = timestamp_mono_ms();
    assert_true(a >= 0);
    assert_true(b >= a);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(format_known_instants),
    cmocka_unit_test(format_clamps_out_of_range),
    cmocka_unit_test(parse_utc_forms),
    cmocka_unit_test(parse_fractions_truncate_to_ms),
    cmocka_unit_test(parse_offsets),
    cmocka_unit_test(parse_refuses_bad_dates),
    cmocka_unit_test(parse_refuses_bad_times),
    cmocka_unit_test(parse_refuses_bad_offsets),
    cmocka_unit_test(parse_refuses_junk),
    cmocka_unit_test(format_matches_gmtime_and_round_trips),
    cmocka_unit_test(clocks_are_plausible),
};

TESTUTIL_MAIN(tests)

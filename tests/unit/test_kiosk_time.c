/* test_kiosk_time.c - dates and times as each language writes them
 * (kiosk/ktime.c), through the kiosk's real catalogues (kiosk/po, compiled
 * by the build) and never through the C library's locales. */
#include "testutil.h"

#include <locale.h>
#include <string.h>
#include <time.h>

#include "ktime.h"
#include "ktr.h"
#include "zone.h"

/* 2 December 2026, 19:42 (a Wednesday). */
static struct tm evening(void)
{
    struct tm tm = {
        .tm_year = 2026 - 1900, .tm_mon = 11, .tm_mday = 2, .tm_hour = 19, .tm_min = 42};
    return tm;
}

static int setup(void **unused)
{
    ktr_init(USHER_KIOSK_LOCALE);
    /* Whatever LC_TIME says, the catalogue decides. */
    setlocale(LC_TIME, "C");
    return 0;
}

static void check(const char *lang, ktime_style style, const struct tm *tm, const char *want)
{
    char out[96];
    ktime_format(lang, style, tm, out, sizeof out);
    if (strcmp(out, want) != 0)
        fail_msg("%s style %d: got \"%s\", want \"%s\"", lang, (int)style, out, want);
}

static void each_language_writes_its_own(void **unused)
{
    struct tm tm = evening();
    check("en", KTIME_TIME, &tm, "7:42 PM");
    check("en", KTIME_DATE, &tm, "2 Dec");
    check("en", KTIME_DATETIME, &tm, "2 Dec, 7:42 PM");
    check("de", KTIME_TIME, &tm, "19:42");
    check("de", KTIME_DATE, &tm, "2. Dez.");
    check("de", KTIME_DATETIME, &tm, "2. Dez., 19:42");
    check("fr", KTIME_TIME, &tm, "19:42");
    check("fr", KTIME_DATE, &tm, "2 déc.");
    check("fr", KTIME_DATETIME, &tm, "2 déc. à 19:42");
    check("es", KTIME_TIME, &tm, "19:42");
    check("es", KTIME_DATE, &tm, "2 dic");
    check("es", KTIME_DATETIME, &tm, "2 dic, 19:42");
    check("zh", KTIME_TIME, &tm, "19:42");
    check("zh", KTIME_DATE, &tm, "12月2日");
    check("zh", KTIME_DATETIME, &tm, "12月2日 19:42");
    /* Arabic: its catalogue chooses Arabic-Indic digits and a 12-hour clock. */
    check("ar", KTIME_TIME, &tm, "٧:٤٢ م");
    check("ar", KTIME_DATE, &tm, "٢ ديسمبر");
    check("ar", KTIME_DATETIME, &tm, "٢ ديسمبر، ٧:٤٢ م");
    /* An unknown language is English. */
    check("xx", KTIME_TIME, &tm, "7:42 PM");
}

static void twelve_hour_clock_around_midnight_and_noon(void **unused)
{
    struct tm tm = evening();
    tm.tm_hour = 0, tm.tm_min = 5;
    check("en", KTIME_TIME, &tm, "12:05 AM");
    check("de", KTIME_TIME, &tm, "00:05");
    check("ar", KTIME_TIME, &tm, "١٢:٠٥ ص");
    tm.tm_hour = 12, tm.tm_min = 0;
    check("en", KTIME_TIME, &tm, "12:00 PM");
    tm.tm_hour = 9, tm.tm_min = 7;
    check("en", KTIME_TIME, &tm, "9:07 AM");
    check("fr", KTIME_TIME, &tm, "09:07");
    tm.tm_mon = 4, tm.tm_mday = 31; /* each month its own word */
    check("de", KTIME_DATE, &tm, "31. Mai");
    check("zh", KTIME_DATE, &tm, "5月31日");
    check("en", KTIME_DATE, &tm, "31 May");
}

/* Every catalogue's patterns are ones ktime writes (a translator's slip
 * would otherwise fall back to English without a word). */
static void every_catalogue_pattern_is_understood(void **unused)
{
    for (int i = 0; i < ktr_nlangs; i++)
        for (int s = 0; s < KTIME_STYLES; s++) {
            const char *p = ktr_in(ktr_langs[i], ktime_msgid((ktime_style)s));
            if (!ktime_pattern_ok(p))
                fail_msg("%s: pattern \"%s\" is not understood", ktr_langs[i], p);
            assert_string_equal(ktime_pattern(ktr_langs[i], (ktime_style)s), p);
        }
    /* The catalogues are really read: German's differs from English's. */
    assert_string_not_equal(ktime_pattern("de", KTIME_TIME), ktime_msgid(KTIME_TIME));
}

static void bad_patterns_and_times_write_nothing(void **unused)
{
    ktime_words w;
    ktime_words_of("en", &w);
    struct tm tm = evening();
    char out[32] = "x";
    const char *const bad[] = {"", "%", "%Q", "%-M", "%-", "%H:%M %-p", "%E"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(ktime_pattern_ok(bad[i]));
        assert_false(ktime_render(bad[i], &w, &tm, out, sizeof out));
        assert_string_equal(out, "");
    }
    assert_false(ktime_pattern_ok(NULL));
    assert_true(ktime_render("100%% at %H", &w, &tm, out, sizeof out));
    assert_string_equal(out, "100% at 19");
    tm.tm_hour = 24;
    assert_false(ktime_render("%H", &w, &tm, out, sizeof out));
    tm = evening();
    tm.tm_mon = 12;
    assert_false(ktime_render("%b", &w, &tm, out, sizeof out));
}

/* A buffer too small gets whole pieces only: never half a number or half
 * a UTF-8 character. */
static void a_small_buffer_keeps_whole_pieces(void **unused)
{
    struct tm tm = evening();
    char out[8];
    ktime_format("en", KTIME_TIME, &tm, out, 5);
    assert_string_equal(out, "7:42");
    ktime_format("ar", KTIME_TIME, &tm, out, sizeof out); /* ٧:٤٢ is 2+1+4 bytes */
    assert_string_equal(out, "٧:٤٢");
    ktime_format("zh", KTIME_DATE, &tm, out, sizeof out);
    assert_string_equal(out, "12月2");
}

/* A time since the epoch in the event's zone. */
static void at_follows_the_event_zone(void **unused)
{
    int64_t ms = 1796236920000LL; /* 2026-12-02T18:42:00Z */
    char out[64];
    zone_use("Europe/Berlin");
    ktime_at("de", KTIME_TIME, ms, out, sizeof out);
    assert_string_equal(out, "19:42");
    zone_use("America/New_York");
    ktime_at("en", KTIME_DATETIME, ms, out, sizeof out);
    assert_string_equal(out, "2 Dec, 1:42 PM");
    ktime_at("en", KTIME_TIME, 0, out, sizeof out);
    assert_string_equal(out, "");
    zone_use("UTC");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(each_language_writes_its_own),
    cmocka_unit_test(twelve_hour_clock_around_midnight_and_noon),
    cmocka_unit_test(every_catalogue_pattern_is_understood),
    cmocka_unit_test(bad_patterns_and_times_write_nothing),
    cmocka_unit_test(a_small_buffer_keeps_whole_pieces),
    cmocka_unit_test(at_follows_the_event_zone),
};

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    return cmocka_run_group_tests(tests, setup, NULL);
}

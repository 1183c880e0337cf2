/* test_text.c - bounded copies, UTF-8 checks, identifiers, integer parsing,
 * base32 (RFC 4648 test vectors) and hex. */
#include "testutil.h"

#include <stdint.h>
#include <string.h>

#include "text.h"

static void copy_fits(void **state)
{
    (void)state;
    char buf[6];
    memset(buf, 'x', sizeof buf);
    assert_true(text_copy(buf, sizeof buf, "hello"));
    assert_string_equal(buf, "hello");
    assert_true(text_copy(buf, sizeof buf, ""));
    assert_string_equal(buf, "");
}

static void copy_truncates_and_says_so(void **state)
{
    (void)state;
    char buf[6];
    assert_false(text_copy(buf, sizeof buf, "hello!"));
    assert_string_equal(buf, "hello");
    char one[1] = {'x'};
    assert_false(text_copy(one, sizeof one, "a"));
    assert_int_equal(one[0], '\0');
    assert_true(text_copy(one, sizeof one, ""));
    assert_int_equal(one[0], '\0');
}

static void copy_size_zero_writes_nothing(void **state)
{
    (void)state;
    char c = 'x';
    assert_false(text_copy(&c, 0, "a"));
    assert_int_equal(c, 'x');
}

static void copyn_takes_a_prefix(void **state)
{
    (void)state;
    char buf[8];
    assert_true(text_copyn(buf, sizeof buf, "seat-12,rest", 7));
    assert_string_equal(buf, "seat-12");
    assert_true(text_copyn(buf, sizeof buf, "ab", 10)); /* stops at the NUL */
    assert_string_equal(buf, "ab");
    assert_true(text_copyn(buf, sizeof buf, "abc", 0));
    assert_string_equal(buf, "");
    assert_false(text_copyn(buf, sizeof buf, "abcdefghij", 9));
    assert_string_equal(buf, "abcdefg");
    /* src need not be NUL-terminated within n. */
    const char raw[3] = {'x', 'y', 'z'};
    assert_true(text_copyn(buf, sizeof buf, raw, sizeof raw));
    assert_string_equal(buf, "xyz");
}

static void utf8_accepts_well_formed(void **state)
{
    (void)state;
    const char *good[] = {
        "",
        "plain ASCII",
        "Z\xc3\xbc"
        "rich",             /* ü */
        "\xe2\x82\xac 5",   /* € */
        "\xf0\x9f\x8e\x9f", /* 🎟 (4 bytes) */
        "\xc2\x80",         /* U+0080, smallest 2-byte */
        "\xe0\xa0\x80",     /* U+0800, smallest 3-byte */
        "\xed\x9f\xbf",     /* U+D7FF, just below surrogates */
        "\xee\x80\x80",     /* U+E000, just above */
        "\xf4\x8f\xbf\xbf", /* U+10FFFF, the last code point */
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!text_utf8_valid(good[i], strlen(good[i])))
            fail_msg("case %zu should be valid UTF-8", i);
}

static void utf8_refuses_malformed(void **state)
{
    (void)state;
    const char *bad[] = {
        "\x80",             /* lone continuation */
        "\xc3",             /* truncated 2-byte */
        "\xe2\x82",         /* truncated 3-byte */
        "\xf0\x9f\x8e",     /* truncated 4-byte */
        "\xc3\x28",         /* bad continuation */
        "\xc0\xaf",         /* overlong '/' */
        "\xc1\xbf",         /* overlong */
        "\xe0\x80\xaf",     /* overlong 3-byte */
        "\xf0\x80\x80\xaf", /* overlong 4-byte */
        "\xed\xa0\x80",     /* U+D800 surrogate */
        "\xed\xbf\xbf",     /* U+DFFF surrogate */
        "\xf4\x90\x80\x80", /* U+110000, beyond Unicode */
        "\xf8\x88\x80\x80\x80",
        "\xff",
        "ok\xfe",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (text_utf8_valid(bad[i], strlen(bad[i])))
            fail_msg("case %zu should be refused", i);
}

static void utf8_respects_len(void **state)
{
    (void)state;
    /* A multi-byte sequence cut by len is refused even though the bytes
     * after len would complete it. */
    assert_false(text_utf8_valid("\xe2\x82\xac", 2));
    assert_true(text_utf8_valid("\xe2\x82\xac", 3));
    assert_true(text_utf8_valid("ab\xff", 2));
    /* An embedded NUL is a valid code point. */
    assert_true(text_utf8_valid("a\0b", 3));
}

static void printable_refuses_control_characters(void **state)
{
    (void)state;
    assert_true(text_printable(""));
    assert_true(text_printable("Ada Lovelace"));
    assert_true(text_printable("Z\xc3\xbcrich \xe2\x82\xac"));
    assert_false(text_printable("tab\there"));
    assert_false(text_printable("new\nline"));
    assert_false(text_printable("\r"));
    assert_false(text_printable("esc\x1b[0m"));
    assert_false(text_printable("del\x7f"));
    assert_false(text_printable("\x01"));
}

static void ident_accepts_charset_and_length(void **state)
{
    (void)state;
    assert_true(text_is_ident("T07-03", 16));
    assert_true(text_is_ident("A-12", 16));
    assert_true(text_is_ident("kiosk_1.door", 64));
    assert_true(text_is_ident("a", 1));
    assert_true(text_is_ident("0123456789abcdef", 16));
    assert_false(text_is_ident("0123456789abcdefg", 16));
    assert_false(text_is_ident("ab", 1));
}

static void ident_refuses_other_characters(void **state)
{
    (void)state;
    assert_false(text_is_ident("", 16));
    assert_false(text_is_ident("T07 03", 16));
    assert_false(text_is_ident("T07/03", 16));
    assert_false(text_is_ident("seat:1", 16));
    assert_false(text_is_ident("caf\xc3\xa9", 16));
    assert_false(text_is_ident("a\tb", 16));
    assert_false(text_is_ident("x+y", 16));
}

static void parse_i64_accepts_whole_numbers(void **state)
{
    (void)state;
    int64_t v = -1;
    assert_true(text_parse_i64("0", 0, 10, &v));
    assert_int_equal(v, 0);
    assert_true(text_parse_i64("120000", 0, INT64_MAX, &v));
    assert_int_equal(v, 120000);
    assert_true(text_parse_i64("-5", -10, 10, &v));
    assert_int_equal(v, -5);
    assert_true(text_parse_i64("007", 0, 10, &v));
    assert_int_equal(v, 7);
    assert_true(text_parse_i64("9223372036854775807", INT64_MIN, INT64_MAX, &v));
    assert_int_equal(v, INT64_MAX);
    assert_true(text_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX, &v));
    assert_int_equal(v, INT64_MIN);
    assert_true(text_parse_i64("10", 10, 10, &v));
    assert_int_equal(v, 10);
}

static void parse_i64_refuses_junk_and_range(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        " 1",
        "1 ",
        "+1",
        "1x",
        "0x10",
        "1.5",
        "1e3",
        "-",
        "--1",
        "- 1",
        "abc",
        "9223372036854775808",  /* overflows int64 */
        "-9223372036854775809", /* underflows */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 42;
        if (text_parse_i64(bad[i], INT64_MIN, INT64_MAX, &v))
            fail_msg("\"%s\" should be refused", bad[i]);
        assert_int_equal(v, 42);
    }
    int64_t v = 42;
    assert_false(text_parse_i64(NULL, 0, 10, &v));
    assert_false(text_parse_i64("11", 0, 10, &v));
    assert_false(text_parse_i64("-1", 0, 10, &v));
    assert_false(text_parse_i64("9", 10, 20, &v));
    assert_int_equal(v, 42);
}

/* RFC 4648 section 10, without padding. */
static const struct {
    const char *in, *out;
} b32_vectors[] = {
    {"", ""},
    {"f", "MY"},
    {"fo", "MZXQ"},
    {"foo", "MZXW6"},
    {"foob", "MZXW6YQ"},
    {"fooba", "MZXW6YTB"},
    {"foobar", "MZXW6YTBOI"},
};

static void base32_rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof b32_vectors / sizeof b32_vectors[0]; i++) {
        const char *in = b32_vectors[i].in;
        size_t n = strlen(in);
        assert_int_equal(text_base32_len(n), strlen(b32_vectors[i].out));
        char out[32];
        text_base32_encode((const uint8_t *)in, n, out);
        assert_string_equal(out, b32_vectors[i].out);
        uint8_t back[16] = {0};
        assert_true(text_base32_decode(out, back, n));
        assert_memory_equal(back, in, n);
    }
}

static void base32_round_trips_all_bytes(void **state)
{
    (void)state;
    uint8_t in[64];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 37 + 11);
    in[0] = 0x00;
    in[1] = 0xff;
    for (size_t n = 0; n <= sizeof in; n++) {
        char text[128];
        text_base32_encode(in, n, text);
        assert_int_equal(strlen(text), text_base32_len(n));
        uint8_t back[64];
        assert_true(text_base32_decode(text, back, n));
        assert_memory_equal(back, in, n);
    }
}

static void base32_decode_accepts_lower_case(void **state)
{
    (void)state;
    uint8_t out[6];
    assert_true(text_base32_decode("mzxw6ytboi", out, 6));
    assert_memory_equal(out, "foobar", 6);
}

static void base32_decode_refuses_bad_input(void **state)
{
    (void)state;
    uint8_t out[8];
    assert_false(text_base32_decode("MZXW6YTBO1", out, 6)); /* '1' is not base32 */
    assert_false(text_base32_decode("MZXW6YTBO=", out, 6)); /* no padding */
    assert_false(text_base32_decode("MZXW6YTBOI", out, 5)); /* too long */
    assert_false(text_base32_decode("MZXW6YTB", out, 6));   /* too short */
    assert_false(text_base32_decode("MZ", out, 0));
    /* "MY" and "MZ" decode to the same byte; only the one with zero padding
     * bits is the canonical encoding of "f". */
    assert_true(text_base32_decode("MY", out, 1));
    assert_false(text_base32_decode("MZ", out, 1));
    assert_true(text_base32_decode("", out, 0));
}

static void hex_is_lower_case(void **state)
{
    (void)state;
    const uint8_t in[] = {0x00, 0x01, 0xab, 0xcd, 0xef, 0xff, 0x10};
    char out[2 * sizeof in + 1];
    text_hex(in, sizeof in, out);
    assert_string_equal(out, "0001abcdefff10");
    text_hex(in, 0, out);
    assert_string_equal(out, "");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(copy_fits),
    cmocka_unit_test(copy_truncates_and_says_so),
    cmocka_unit_test(copy_size_zero_writes_nothing),
    cmocka_unit_test(copyn_takes_a_prefix),
    cmocka_unit_test(utf8_accepts_well_formed),
    cmocka_unit_test(utf8_refuses_malformed),
    cmocka_unit_test(utf8_respects_len),
    cmocka_unit_test(printable_refuses_control_characters),
    cmocka_unit_test(ident_accepts_charset_and_length),
    cmocka_unit_test(ident_refuses_other_characters),
    cmocka_unit_test(parse_i64_accepts_whole_numbers),
    cmocka_unit_test(parse_i64_refuses_junk_and_range),
    cmocka_unit_test(base32_rfc4648_vectors),
    cmocka_unit_test(base32_round_trips_all_bytes),
    cmocka_unit_test(base32_decode_accepts_lower_case),
    cmocka_unit_test(base32_decode_refuses_bad_input),
    cmocka_unit_test(hex_is_lower_case),
};

TESTUTIL_MAIN(tests)

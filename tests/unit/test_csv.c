/* test_csv.c - the RFC 4180 record reader: quoting, line ends, BOM, physical
 * line numbers, and flaws marked with the line they are on. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* ---- helpers ------------------------------------------------------------------ */

typedef struct dump {
    char text[4096];
    size_t len;
} dump;

static void put(dump *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(dump *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->text + d->len, sizeof d->text - d->len, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < sizeof d->text - d->len);
    d->len += (size_t)n;
}

/* One record as "LINE:field|field", a NUL byte shown as <0>, a flaw as
 * {stray@LINE} or {after@LINE}, an unterminated record ending in
 * " (open quote at LINE)". */
static void put_record(dump *d, const csv_record *rec)
{
    static const char *flaws[] = {"", "stray", "after"};
    put(d, "%s%d:", d->len ? "\n" : "", rec->line);
    for (size_t k = 0; k < rec->count; k++) {
        const csv_field *f = &rec->fields[k];
        assert_int_equal(f->text[f->len], '\0');
        put(d, "%s", k ? "|" : "");
        for (size_t j = 0; j < f->len; j++) {
            if (f->text[j])
                put(d, "%c", f->text[j]);
            else
                put(d, "<0>");
        }
        if (f->flaw)
            put(d, "{%s@%d}", flaws[f->flaw], f->flaw_line);
        else
            assert_int_equal(f->flaw_line, 0);
    }
    if (rec->unterminated)
        put(d, " (open quote at %d)", rec->quote_line);
    else
        assert_int_equal(rec->quote_line, 0);
}

/* Reads every record of data[0..len) and checks them against want, one record
 * a line as put_record writes them ("" for no records at all). */
static void expect_n(const char *data, size_t len, const char *want)
{
    csv_reader *r = csv_reader_new(data, len);
    assert_non_null(r);
    dump d = {.len = 0};
    csv_record rec = {0};
    bool got;
    for (;;) {
        assert_int_equal(csv_next(r, &rec, &got), USHER_OK);
        if (!got)
            break;
        assert_true(rec.count >= 1);
        put_record(&d, &rec);
    }
    /* The end stays the end, and leaves rec alone. */
    csv_record before = rec;
    assert_int_equal(csv_next(r, &rec, &got), USHER_OK);
    assert_false(got);
    assert_memory_equal(&before, &rec, sizeof rec);
    csv_reader_free(r);
    assert_string_equal(d.text, want);
}

static void expect(const char *data, const char *want)
{
    expect_n(data, strlen(data), want);
}

/* ---- records and fields ------------------------------------------------------- */

static void plain_records(void **state)
{
    (void)state;
    expect("a,b,c\nd,e,f\n", "1:a|b|c\n2:d|e|f");
    expect("one", "1:one");
    expect("a,,c,", "1:a||c|");
    expect(",", "1:|");
}

static void empty_and_null_input(void **state)
{
    (void)state;
    expect("", "");
    expect_n(NULL, 0, "");
    assert_null(csv_reader_new(NULL, 3));
    csv_reader_free(NULL);
}

static void empty_lines_are_records_of_one_empty_field(void **state)
{
    (void)state;
    expect("\n", "1:");
    expect("a\n\nb\n", "1:a\n2:\n3:b");
    expect("\r\n\r\n", "1:\n2:");
}

/* ---- line ends ---------------------------------------------------------------- */

static void crlf_lf_and_lone_cr_each_end_a_line(void **state)
{
    (void)state;
    expect("a\r\nb\nc\rd", "1:a\n2:b\n3:c\n4:d");
    expect("a\r\nb\r\n", "1:a\n2:b");
    /* Two CRs are two line ends; CR LF is one. */
    expect("a\r\rb", "1:a\n2:\n3:b");
    expect("a\n\rb", "1:a\n2:\n3:b");
    expect("a\r\n\nb", "1:a\n2:\n3:b");
}

static void last_line_with_or_without_line_end(void **state)
{
    (void)state;
    expect("a,b", "1:a|b");
    expect("a,b\n", "1:a|b");
    expect("a,b\r", "1:a|b");
    expect("a,b\r\n", "1:a|b");
}

/* ---- quoting ------------------------------------------------------------------ */

static void quoted_commas_and_doubled_quotes(void **state)
{
    (void)state;
    expect("\"a,b\",\"say \"\"hi\"\"\",\"\"\n", "1:a,b|say \"hi\"|");
    expect("\"\"\"\"", "1:\"");
    expect("\"x\"\"\",y", "1:x\"|y");
}

static void quoted_line_breaks_stay_in_the_field_and_count_as_lines(void **state)
{
    (void)state;
    expect("x,\"one\ntwo\r\nthree\rfour\"\ny\n", "1:x|one\ntwo\r\nthree\rfour\n5:y");
    expect("\"\n\n\",z\r\nnext", "1:\n\n|z\n4:next");
}

static void spaces_around_quoted_fields_dropped_unquoted_kept(void **state)
{
    (void)state;
    expect("  \"a\"  , b ,\t\"c\"\t\n", "1:a| b |c");
    expect(" \" x \" ", "1: x ");
    expect("\t\n", "1:\t");
}

static void bom_skipped_only_at_the_start(void **state)
{
    (void)state;
    expect("\xef\xbb\xbf"
           "a,b\n",
           "1:a|b");
    expect("\xef\xbb\xbf", "");
    expect("\xef\xbb\xbf\r\n", "1:");
    expect("\xef\xbb\xbf\"q\"", "1:q");
    expect("a\n\xef\xbb\xbf"
           "b",
           "1:a\n2:\xef\xbb\xbf"
           "b");
    expect("\xef\xbb", "1:\xef\xbb");
}

static void nul_bytes_kept_with_their_length(void **state)
{
    (void)state;
    expect_n("a\0b,c", 5, "1:a<0>b|c");
    expect_n("\"\0\"", 3, "1:<0>");
}

/* ---- flaws -------------------------------------------------------------------- */

static void stray_quote_kept_and_marked_with_its_line(void **state)
{
    (void)state;
    expect("a\"b,c\n", "1:a\"b{stray@1}|c");
    /* Only the first flaw of a field is kept; a later quote opens nothing. */
    expect("a\"b\"c,d", "1:a\"b\"c{stray@1}|d");
    /* A quote after text is stray even when spaces come first. */
    expect(" x \"y\"", "1: x \"y\"{stray@1}");
    /* The flaw's own line, where the record began on an earlier one. */
    expect("\"x\ny\",a\"b\nz", "1:x\ny|a\"b{stray@2}\n3:z");
}

static void text_after_a_closing_quote_dropped_and_marked(void **state)
{
    (void)state;
    expect("\"ab\"cd,e\n", "1:ab{after@1}|e");
    expect("\"ab\" x \"y\"\nz", "1:ab{after@1}\n2:z");
    expect("\"a\nb\"c", "1:a\nb{after@2}");
    /* Spaces after the closing quote are no flaw. */
    expect("\"ab\" \t,c", "1:ab|c");
}

static void unterminated_quote_takes_the_rest_of_the_data(void **state)
{
    (void)state;
    expect("a,\"bc\nd\n", "1:a|bc\nd\n (open quote at 1)");
    /* The record starts on line 1, the unclosed quote opens on line 2. */
    expect("q,\"x\ny\",\"z\nw", "1:q|x\ny|z\nw (open quote at 2)");
    /* A doubled quote at the very end is content, not a close. */
    expect("\"abc\"\"", "1:abc\" (open quote at 1)");
    expect("\"", "1: (open quote at 1)");
    expect("a\n\"", "1:a\n2: (open quote at 2)");
    /* A quote closed by the last byte is fine. */
    expect("\"abc\"", "1:abc");
}

/* ---- blank records ------------------------------------------------------------ */

static bool first_record_blank(const char *data)
{
    csv_reader *r = csv_reader_new(data, strlen(data));
    assert_non_null(r);
    csv_record rec;
    bool got;
    assert_int_equal(csv_next(r, &rec, &got), USHER_OK);
    assert_true(got);
    bool blank = csv_record_blank(&rec);
    csv_reader_free(r);
    return blank;
}

static void blank_records(void **state)
{
    (void)state;
    assert_true(first_record_blank("\n"));
    assert_true(first_record_blank(" \t\r\n"));
    assert_true(first_record_blank(",,\n"));
    assert_true(first_record_blank(" , \t,\n"));
    assert_true(first_record_blank("\"\",\"\"\n"));
    assert_true(first_record_blank(" \"\" ,\n"));
    assert_false(first_record_blank(",x,\n"));
    assert_true(first_record_blank("\" \"\n"));    /* a quoted space */
    assert_false(first_record_blank(",\"\n"));     /* unterminated */
    assert_false(first_record_blank("\""));        /* unterminated, empty */
    assert_false(first_record_blank(" ,\" \t"));   /* unterminated, blank */
    assert_false(first_record_blank("\"\"x,\n"));  /* text after a quote */
    assert_false(first_record_blank(",\"\"\"\n")); /* unterminated, holding a quote */
    assert_false(first_record_blank("\xc2\xa0\n"));
}

/* ---- size and reuse ----------------------------------------------------------- */

/* Records far larger than the reader's first buffers, so field text must
 * survive the buffer moving as it grows; then a small record after them. */
static void big_records_and_many_fields(void **state)
{
    (void)state;
    size_t nf = 3000, big = 200000;
    size_t cap = nf * 8 + big + 64, n = 0;
    char *data = malloc(cap);
    assert_non_null(data);
    for (size_t k = 0; k < nf; k++)
        n += (size_t)snprintf(data + n, cap - n, "%s%zu", k ? "," : "", k);
    data[n++] = '\n';
    data[n++] = '"';
    for (size_t k = 0; k < big; k++)
        data[n++] = k % 1000 == 999 ? '\n' : (char)('a' + k % 26);
    n += (size_t)snprintf(data + n, cap - n, "\",tail\nlast");

    csv_reader *r = csv_reader_new(data, n);
    assert_non_null(r);
    csv_record rec;
    bool got;
    assert_int_equal(csv_next(r, &rec, &got), USHER_OK);
    assert_true(got);
    assert_int_equal(rec.line, 1);
    assert_int_equal(rec.count, nf);
    for (size_t k = 0; k < nf; k++) {
        char want[16];
        snprintf(want, sizeof want, "%zu", k);
        assert_string_equal(rec.fields[k].text, want);
    }
    assert_int_equal(csv_next(r, &rec, &got), USHER_OK);
    assert_true(got);
    assert_int_equal(rec.line, 2);
    assert_int_equal(rec.count, 2);
    assert_int_equal(rec.fields[0].len, big);
    for (size_t k = 0; k < big; k++)
        assert_int_equal(rec.fields[0].text[k], k % 1000 == 999 ? '\n' : 'a' + (int)(k % 26));
    assert_string_equal(rec.fields[1].text, "tail");
    assert_int_equal(csv_next(r, &rec, &got), USHER_OK);
    assert_true(got);
    assert_int_equal(rec.line, 3 + (int)(big / 1000));
    assert_int_equal(rec.count, 1);
    assert_string_equal(rec.fields[0].text, "last");
    assert_int_equal(csv_next(r, &rec, &got), USHER_OK);
    assert_false(got);
    csv_reader_free(r);
    free(data);
}

/* The reader stops at len, not at a NUL, and never reads past it. */
static void reads_exactly_len_bytes(void **state)
{
    (void)state;
    char *data = malloc(5);
    assert_non_null(data);
    memcpy(data, "ab,\"c", 5); /* no terminating NUL: ASan catches an overread */
    expect_n(data, 5, "1:ab|c (open quote at 1)");
    expect_n(data, 2, "1:ab");
    expect_n(data, 0, "");
    free(data);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(plain_records),
    cmocka_unit_test(empty_and_null_input),
    cmocka_unit_test(empty_lines_are_records_of_one_empty_field),
    cmocka_unit_test(crlf_lf_and_lone_cr_each_end_a_line),
    cmocka_unit_test(last_line_with_or_without_line_end),
    cmocka_unit_test(quoted_commas_and_doubled_quotes),
    cmocka_unit_test(quoted_line_breaks_stay_in_the_field_and_count_as_lines),
    cmocka_unit_test(spaces_around_quoted_fields_dropped_unquoted_kept),
    cmocka_unit_test(bom_skipped_only_at_the_start),
    cmocka_unit_test(nul_bytes_kept_with_their_length),
    cmocka_unit_test(stray_quote_kept_and_marked_with_its_line),
    cmocka_unit_test(text_after_a_closing_quote_dropped_and_marked),
    cmocka_unit_test(unterminated_quote_takes_the_rest_of_the_data),
    cmocka_unit_test(blank_records),
    cmocka_unit_test(big_records_and_many_fields),
    cmocka_unit_test(reads_exactly_len_bytes),
};

TESTUTIL_MAIN(tests)

/* test_ticket.c - the ticket CSV parser (RFC 4180, all or nothing, line-numbered
 * problems). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "ticket.h"

/* ---- helpers ------------------------------------------------------------------ */

static usher_err parse(const char *csv, ticket_list *tl, csv_report *rep)
{
    return ticket_csv_parse(csv, strlen(csv), tl, rep);
}

static void assert_rec(const ticket_list *tl, size_t i, const char *code, const char *name,
                       const char *klass)
{
    assert_true(i < tl->count);
    assert_string_equal(tl->items[i].code, code);
    assert_string_equal(tl->items[i].name, name);
    assert_string_equal(tl->items[i].klass, klass);
}

static void assert_problem(const csv_report *rep, size_t i, int line, const char *message)
{
    assert_true(i < rep->count);
    assert_int_equal(rep->items[i].line, line);
    assert_string_equal(rep->items[i].message, message);
}

/* Parses len bytes into a list that already holds one record, expecting
 * USHER_PARSE, exactly one problem, and the list untouched. */
static void expect_one_problem_n(const char *csv, size_t len, int line, const char *message)
{
    ticket_list tl = {0};
    ticket_rec keep = {.code = "KEEP-1", .name = "Kept Guest", .klass = "VIP"};
    assert_int_equal(ticket_list_push(&tl, &keep), USHER_OK);
    csv_report rep = {0};
    assert_int_equal(ticket_csv_parse(csv, len, &tl, &rep), USHER_PARSE);
    assert_int_equal(rep.total, 1);
    assert_int_equal(rep.count, 1);
    assert_problem(&rep, 0, line, message);
    assert_int_equal(tl.count, 1);
    assert_rec(&tl, 0, "KEEP-1", "Kept Guest", "VIP");
    csv_report_release(&rep);
    ticket_list_release(&tl);
}

static void expect_one_problem(const char *csv, int line, const char *message)
{
    expect_one_problem_n(csv, strlen(csv), line, message);
}

/* ---- lists ---------------------------------------------------------------- */

static void list_push_grows_and_release_resets(void **state)
{
    (void)state;
    ticket_list tl = {0};
    for (int k = 0; k < 100; k++) {
        ticket_rec r = {0};
        snprintf(r.code, sizeof r.code, "T-%d", k);
        assert_int_equal(ticket_list_push(&tl, &r), USHER_OK);
    }
    assert_int_equal(tl.count, 100);
    assert_true(tl.cap >= 100);
    assert_string_equal(tl.items[57].code, "T-57");
    ticket_list_release(&tl);
    assert_null(tl.items);
    assert_int_equal(tl.count, 0);
    assert_int_equal(tl.cap, 0);
    ticket_list_release(NULL);
    csv_report_release(NULL);
}

/* ---- CSV: what must import -------------------------------------------------- */

static void csv_acceptance_quoted_name(void **state)
{
    (void)state;
    ticket_list tl = {0};
    csv_report rep = {0};
    const char *csv = "ticket_number,full_name\nGALA-0001,\"Smith, Jane \"\"JJ\"\"\"\n";
    assert_int_equal(parse(csv, &tl, &rep), USHER_OK);
    assert_int_equal(rep.total, 0);
    assert_int_equal(tl.count, 1);
    assert_rec(&tl, 0, "GALA-0001", "Smith, Jane \"JJ\"", "");
    assert_int_equal(strlen(tl.items[0].name), 16);
    ticket_list_release(&tl);
}

static void csv_acceptance_utf8_names_byte_for_byte(void **state)
{
    (void)state;
    const char zoe[] = "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m";      /* Zoë Ångström */
    const char bruce[] = "\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99"; /* 李小龙 */
    char csv[256];
    snprintf(csv, sizeof csv, "ticket_number,full_name,class\nA-1,%s,VIP\nA-2,\"%s\",\n", zoe,
             bruce);
    ticket_list tl = {0};
    csv_report rep = {0};
    assert_int_equal(parse(csv, &tl, &rep), USHER_OK);
    assert_int_equal(tl.count, 2);
    assert_int_equal(strlen(tl.items[0].name), sizeof zoe - 1);
    assert_memory_equal(tl.items[0].name, zoe, sizeof zoe);
    assert_int_equal(strlen(tl.items[1].name), sizeof bruce - 1);
    assert_memory_equal(tl.items[1].name, bruce, sizeof bruce);
    assert_string_equal(tl.items[0].klass, "VIP");
    assert_string_equal(tl.items[1].klass, "");
    ticket_list_release(&tl);
}

static void csv_good_fixture(void **state)
{
    (void)state;
    size_t len;
    char *csv = testutil_fixture("csv/good.csv", &len);
    ticket_list tl = {0};
    csv_report rep = {0};
    assert_int_equal(ticket_csv_parse(csv, len, &tl, &rep), USHER_OK);
    assert_int_equal(rep.total, 0);
    assert_int_equal(tl.count, 4);
    assert_rec(&tl, 0, "GALA-0001", "Smith, Jane \"JJ\"", "VIP");
    assert_rec(&tl, 1, "GALA-0002", "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m", "");
    assert_rec(&tl, 2, "GALA-0003", "\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99", "Regular");
    assert_rec(&tl, 3, "GALA-0004", "Ada Lovelace", "VIP");
    ticket_list_release(&tl);
    free(csv);
}

static void csv_bom_crlf_fixture(void **state)
{
    (void)state;
    size_t len;
    char *csv = testutil_fixture("csv/bom-crlf.csv", &len);
    ticket_list tl = {0};
    csv_report rep = {0};
    assert_int_equal(ticket_csv_parse(csv, len, &tl, &rep), USHER_OK);
    assert_int_equal(tl.count, 2);
    assert_rec(&tl, 0, "A-1", "Anna", "");
    assert_rec(&tl, 1, "B-2", "Berg, Bo", "");
    ticket_list_release(&tl);
    free(csv);
}

static void csv_sample_asset_imports(void **state)
{
    (void)state;
    size_t len;
    char *csv = testutil_fixture("../../assets/tickets/gala-sample.csv", &len);
    ticket_list tl = {0};
    csv_report rep = {0};
    assert_int_equal(ticket_csv_parse(csv, len, &tl, &rep), USHER_OK);
    assert_int_equal(tl.count, 12);
    assert_rec(&tl, 0, "GALA-0001", "Smith, Jane \"JJ\"", "VIP");
    assert_rec(&tl, 2, "GALA-0003", "\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99", "Regular");
    assert_rec(&tl, 11, "GALA-0012", "Raman, Priya (Dr.)", "Regular");
    size_t vip = 0;
    for (size_t k = 0; k < tl.count; k++)
        vip += strcmp(tl.items[k].klass, "VIP") == 0;
    assert_int_equal(vip, 4);
    ticket_list_release(&tl);
    free(csv);
}

static void csv_crlf_and_last_line_without_newline(void **state)
{
    (void)state;
    ticket_list tl = {0};
    csv_report rep = {0};
    assert_int_equal(parse("ticket_number,full_name\r\nA-1,Ann\r\nB-2,Bob", &tl, &rep), USHER_OK);
    assert_int_equal(tl.count, 2);
    assert_rec(&tl, 1, "B-2", "Bob", "");
    /* The same with a final CRLF gives the same records. */
    ticket_list tl2 = {0};
    assert_int_equal(parse("ticket_number,full_name\r\nA-1,Ann\r\nB-2,Bob\r\n", &tl2, &rep),
                     USHER_OK);
    assert_int_equal(tl2.count, 2);
    assert_rec(&tl2, 1, "B-2", "Bob", "");
    ticket_list_release(&tl);
    ticket_list_release(&tl2);
}

static void csv_appends_to_existing_list(void **state)
{
    (void)state;
    ticket_list tl = {0};
    ticket_rec first = {.code = "OLD-1", .name = "Old Guest", .klass = ""};
    assert_int_equal(ticket_list_push(&tl, &first), USHER_OK);
    assert_int_equal(parse("ticket_number,full_name\nNEW-1,New Guest\n", &tl, NULL), USHER_OK);
    assert_int_equal(tl.count, 2);
    assert_rec(&tl, 0, "OLD-1", "Old Guest", "");
    assert_rec(&tl, 1, "NEW-1", "New Guest", "");
    ticket_list_release(&tl);
}

static void csv_header_only_imports_nothing(void **state)
{
    (void)state;
    ticket_list tl = {0};
    csv_report rep = {0};
    assert_int_equal(parse("ticket_number,full_name\n\n", &tl, &rep), USHER_OK);
    assert_int_equal(tl.count, 0);
    assert_int_equal(rep.total, 0);
}

static void csv_blank_lines_skipped_lines_counted(void **state)
{
    (void)state;
    ticket_list tl = {0};
    csv_report rep = {0};
    /* Blank lines before the header, between rows, and a spreadsheet's ",,". */
    const char *good = "\n\nticket_number,full_name,class\n\nA-1,Ann,\n,,\n  ,  ,\nB-2,Bob,\n\n";
    assert_int_equal(parse(good, &tl, &rep), USHER_OK);
    assert_int_equal(tl.count, 2);
    ticket_list_release(&tl);
    expect_one_problem("\n\nticket_number,full_name\n\nA-1,Ann\n\n\nB-2,\n", 8,
                       "line 8: missing name");
}

static void csv_lone_cr_line_ends(void **state)
{
    (void)state;
    ticket_list tl = {0};
    assert_int_equal(parse("ticket_number,full_name\rA-1,Ann\rB-2,Bob\r", &tl, NULL), USHER_OK);
    assert_int_equal(tl.count, 2);
    assert_rec(&tl, 1, "B-2", "Bob", "");
    ticket_list_release(&tl);
    expect_one_problem("ticket_number,full_name\rA-1,Ann\rB-2,\r", 3, "line 3: missing name");
}

static void csv_line_is_where_record_starts(void **state)
{
    (void)state;
    /* A quoted note spanning three lines (LF, then CRLF) pushes the next row
     * to physical line 5. */
    expect_one_problem("ticket_number,full_name,notes\nA-1,Ann,\"one\ntwo\r\nthree\"\n,Bob,x\n", 5,
                       "line 5: missing ticket number");
    /* A record whose bad field is on its second line still reports its first. */
    expect_one_problem("ticket_number,notes,full_name\nA-1,\"long\nnote\",\n", 2,
                       "line 2: missing name");
}

static void csv_header_any_order_case_and_spaces(void **state)
{
    (void)state;
    ticket_list tl = {0};
    const char *csv = "Seat Pref, CLASS ,  Full_Name,Ticket_Number ,extra\n"
                      "aisle,vip,Ann,a-1,zzz\n"
                      "window, Regular ,Bob,B-2\n";
    assert_int_equal(parse(csv, &tl, NULL), USHER_OK);
    assert_int_equal(tl.count, 2);
    assert_rec(&tl, 0, "A-1", "Ann", "vip");
    assert_rec(&tl, 1, "B-2", "Bob", "Regular");
    ticket_list_release(&tl);
}

static void csv_short_row_without_class_is_fine(void **state)
{
    (void)state;
    ticket_list tl = {0};
    assert_int_equal(parse("ticket_number,full_name,class\nA-1,Ann\n", &tl, NULL), USHER_OK);
    assert_rec(&tl, 0, "A-1", "Ann", "");
    ticket_list_release(&tl);
}

static void csv_spaces_around_quoted_fields(void **state)
{
    (void)state;
    ticket_list tl = {0};
    assert_int_equal(parse("ticket_number,full_name\nA-1 ,  \"Doe, Jo\"  \n", &tl, NULL), USHER_OK);
    assert_rec(&tl, 0, "A-1", "Doe, Jo", "");
    ticket_list_release(&tl);
}

static void csv_field_limits_inclusive(void **state)
{
    (void)state;
    char code[40], name[300], klass[20], csv[512];
    memset(code, 'C', 32), code[32] = '\0';
    memset(name, 'n', 256), name[256] = '\0';
    memset(klass, 'k', 16), klass[16] = '\0';
    snprintf(csv, sizeof csv, "ticket_number,full_name,class\n%s,%s,%s\n", code, name, klass);
    ticket_list tl = {0};
    assert_int_equal(parse(csv, &tl, NULL), USHER_OK);
    assert_rec(&tl, 0, code, name, klass);
    ticket_list_release(&tl);
}

/* ---- CSV: what must be refused ------------------------------------------------ */

static void csv_malformed_fixture_reports_every_line(void **state)
{
    (void)state;
    size_t len;
    char *csv = testutil_fixture("csv/bad.csv", &len);
    ticket_list tl = {0};
    ticket_rec keep = {.code = "KEEP-1", .name = "Kept Guest", .klass = ""};
    assert_int_equal(ticket_list_push(&tl, &keep), USHER_OK);
    csv_report rep = {0};
    assert_int_equal(ticket_csv_parse(csv, len, &tl, &rep), USHER_PARSE);
    assert_int_equal(tl.count, 1);
    assert_rec(&tl, 0, "KEEP-1", "Kept Guest", "");
    assert_int_equal(rep.total, 11);
    assert_int_equal(rep.count, 11);
    size_t i = 0;
    assert_problem(&rep, i++, 3, "line 3: missing ticket number");
    assert_problem(&rep, i++, 4, "line 4: missing name");
    assert_problem(&rep, i++, 5, "line 5: duplicate ticket number GALA-0001 (first on line 2)");
    assert_problem(&rep, i++, 6,
                   "line 6: the ticket number has a character that is not allowed: '#' "
                   "(use A-Z, 0-9 and -)");
    assert_problem(&rep, i++, 7,
                   "line 7: the class has a character that is not allowed: '/' "
                   "(use letters, digits, spaces, _ and -)");
    assert_problem(&rep, i++, 8,
                   "line 8: only 1 field, but the header puts full_name in column 2 "
                   "(is a comma missing?)");
    assert_problem(&rep, i++, 9,
                   "line 9: a stray quote in full_name: wrap a field that holds quotes in "
                   "quotes and double each inner quote (\"\")");
    assert_problem(&rep, i++, 10,
                   "line 10: the name contains a line break; names are shown on one line, "
                   "so remove it");
    assert_problem(&rep, i++, 12,
                   "line 12: text after a closing quote in full_name: wrap a field that holds "
                   "quotes in quotes and double each inner quote (\"\")");
    assert_problem(&rep, i++, 13,
                   "line 13: the name is not valid UTF-8: save the file as \"CSV UTF-8\" "
                   "(it may be in an older encoding such as Latin-1)");
    assert_problem(&rep, i++, 14,
                   "line 14: a quoted field opened on this line is never closed: add the "
                   "missing closing quote (\")");
    csv_report_release(&rep);
    assert_null(rep.items);
    assert_int_equal(rep.total, 0);
    ticket_list_release(&tl);
    free(csv);
}

static void csv_missing_header(void **state)
{
    (void)state;
    size_t len;
    char *csv = testutil_fixture("csv/no-header.csv", &len);
    expect_one_problem_n(csv, len, 1,
                         "line 1: the header has no ticket_number and full_name columns; the "
                         "first line must name the columns, e.g. "
                         "\"ticket_number,full_name,class\"");
    free(csv);
    expect_one_problem("ticket_number,name\nA-1,Ann\n", 1,
                       "line 1: the header has no full_name column; the first line must name "
                       "the columns, e.g. \"ticket_number,full_name,class\"");
}

static void csv_missing_code_header(void **state)
{
    (void)state;
    expect_one_problem("code,full_name\nA-1,Ann\n", 1,
                       "line 1: the header has no ticket_number column; the first line must "
                       "name the columns, e.g. \"ticket_number,full_name,class\"");
}

static void csv_duplicate_header_column(void **state)
{
    (void)state;
    expect_one_problem("ticket_number,full_name,Full_Name\nA-1,Ann,Anna\n", 1,
                       "line 1: the header names full_name twice (columns 2 and 3): keep one "
                       "of them");
}

static void csv_empty_file(void **state)
{
    (void)state;
    const char *msg = "line 1: the file is empty: the first line must name the columns, e.g. "
                      "\"ticket_number,full_name,class\"";
    expect_one_problem_n(NULL, 0, 1, msg);
    expect_one_problem("", 1, msg);
    expect_one_problem("\xef\xbb\xbf\r\n\n \n", 1, msg);
}

static void csv_duplicate_codes_case_insensitive(void **state)
{
    (void)state;
    expect_one_problem("ticket_number,full_name\nGALA-7,Ann\nB-1,Bob\n gala-7 ,Cy\n", 4,
                       "line 4: duplicate ticket number GALA-7 (first on line 2)");
}

static void csv_duplicate_reported_per_repeat(void **state)
{
    (void)state;
    ticket_list tl = {0};
    csv_report rep = {0};
    assert_int_equal(parse("ticket_number,full_name\nX,A\nX,B\nX,C\n", &tl, &rep), USHER_PARSE);
    assert_int_equal(rep.count, 2);
    assert_problem(&rep, 0, 3, "line 3: duplicate ticket number X (first on line 2)");
    assert_problem(&rep, 1, 4, "line 4: duplicate ticket number X (first on line 2)");
    assert_int_equal(tl.count, 0);
    assert_null(tl.items);
    csv_report_release(&rep);
}

static void csv_too_long_fields(void **state)
{
    (void)state;
    char code[40], name[300], klass[20], csv[512];
    memset(code, 'C', 33), code[33] = '\0';
    memset(name, 'n', 257), name[257] = '\0';
    memset(klass, 'k', 17), klass[17] = '\0';
    snprintf(csv, sizeof csv, "ticket_number,full_name,class\n%s,%s,%s\n", code, name, klass);
    ticket_list tl = {0};
    csv_report rep = {0};
    assert_int_equal(parse(csv, &tl, &rep), USHER_PARSE);
    assert_int_equal(rep.count, 3);
    assert_problem(&rep, 0, 2, "line 2: the ticket number is too long (33 characters; at most 32)");
    assert_problem(&rep, 1, 2, "line 2: the name is too long (257 bytes; at most 256)");
    assert_problem(
        &rep, 2, 2,
        "line 2: the class is too long (17 characters; at most 16): shorten it in the file,"
        " or import without classes (--map class=)");
    csv_report_release(&rep);
}

static void csv_bad_characters_named(void **state)
{
    (void)state;
    expect_one_problem("ticket_number,full_name\nCAF\xc3\x89-1,Ann\n", 2,
                       "line 2: the ticket number has a character that is not allowed: "
                       "\"\xc3\x89\" (use A-Z, 0-9 and -)");
    expect_one_problem("ticket_number,full_name\nO'NEILL-1,Ann\n", 2,
                       "line 2: the ticket number has a character that is not allowed: an "
                       "apostrophe (use A-Z, 0-9 and -)");
    expect_one_problem("ticket_number,full_name\nAB 12,Ann\n", 2,
                       "line 2: the ticket number has a character that is not allowed: a space "
                       "(use A-Z, 0-9 and -)");
    expect_one_problem("ticket_number,full_name\nA-1,Ann\tLee\n", 2,
                       "line 2: the name contains a tab; names are shown on one line, so "
                       "remove it");
    static const char nul[] = "ticket_number,full_name\nA-1,Ann\0Lee\n";
    expect_one_problem_n(nul, sizeof nul - 1, 2,
                         "line 2: the name contains a control character (0x00); names are "
                         "shown on one line, so remove it");
    expect_one_problem("ticket_number,full_name\nA-1,\"Ann\r\nLee\"\n", 2,
                       "line 2: the name contains a line break; names are shown on one line, "
                       "so remove it");
    expect_one_problem("ticket_number,full_name,class\nA-1,Ann,V\xffP\n", 2,
                       "line 2: the class has a character that is not allowed: a byte that is "
                       "not UTF-8 (0xff) (use letters, digits, spaces, _ and -)");
    /* Overlong encodings and surrogates are not UTF-8 either. */
    expect_one_problem("ticket_number,full_name\nA-1,\xc0\xafx\n", 2,
                       "line 2: the name is not valid UTF-8: save the file as \"CSV UTF-8\" (it "
                       "may be in an older encoding such as Latin-1)");
    expect_one_problem("ticket_number,full_name\nA-1,\xed\xa0\x80x\n", 2,
                       "line 2: the name is not valid UTF-8: save the file as \"CSV UTF-8\" (it "
                       "may be in an older encoding such as Latin-1)");
}

static void csv_quoted_blank_fields_are_missing(void **state)
{
    (void)state;
    expect_one_problem("ticket_number,full_name\n\"  \",Ann\n", 2, "line 2: missing ticket number");
    expect_one_problem("ticket_number,full_name\nA-1,\"   \"\n", 2, "line 2: missing name");
}

static void csv_wrong_field_count_only_when_required_missing(void **state)
{
    (void)state;
    expect_one_problem("full_name,class,ticket_number\nAnn,VIP\n", 2,
                       "line 2: only 2 fields, but the header puts ticket_number in column 3 "
                       "(is a comma missing?)");
    ticket_list tl = {0};
    assert_int_equal(parse("ticket_number,full_name\nA-1,Ann,extra,fields\n", &tl, NULL), USHER_OK);
    assert_rec(&tl, 0, "A-1", "Ann", "");
    ticket_list_release(&tl);
}

static void csv_unterminated_quote_reports_start(void **state)
{
    (void)state;
    expect_one_problem("ticket_number,full_name\nA-1,Ann\nB-2,\"Bob\nC-3,Cy\nD-4,Di\n", 3,
                       "line 3: a quoted field opened on this line is never closed: add the "
                       "missing closing quote (\")");
    expect_one_problem("ticket_number,notes,full_name\nA-1,\"two\nlines\",\"Ann\n", 2,
                       "line 2: the quoted field opened on line 3 is never closed: add the "
                       "missing closing quote (\")");
}

static void csv_stray_quote_in_code(void **state)
{
    (void)state;
    /* One problem for the field, not a second one about its characters. */
    expect_one_problem("ticket_number,full_name\nA\"1,Ann\n", 2,
                       "line 2: a stray quote in ticket_number: wrap a field that holds quotes "
                       "in quotes and double each inner quote (\"\")");
    expect_one_problem("ticket_number,full_name,notes\nA-1,Ann,say \"hi\"\n", 2,
                       "line 2: a stray quote in field 3: wrap a field that holds quotes in "
                       "quotes and double each inner quote (\"\")");
}

static void csv_problem_cap_keeps_first_and_counts_all(void **state)
{
    (void)state;
    size_t rows = CSV_MAX_PROBLEMS + 5;
    size_t size = 32 + rows * 4;
    char *csv = malloc(size);
    assert_non_null(csv);
    size_t o = (size_t)snprintf(csv, size, "ticket_number,full_name\n");
    for (size_t k = 0; k < rows; k++)
        o += (size_t)snprintf(csv + o, size - o, ",x\n");
    ticket_list tl = {0};
    csv_report rep = {0};
    assert_int_equal(ticket_csv_parse(csv, o, &tl, &rep), USHER_PARSE);
    assert_int_equal(rep.count, CSV_MAX_PROBLEMS);
    assert_int_equal(rep.total, CSV_MAX_PROBLEMS + 5);
    assert_problem(&rep, CSV_MAX_PROBLEMS - 1, CSV_MAX_PROBLEMS + 1,
                   "line 1001: missing ticket number");
    csv_report_release(&rep);
    free(csv);
}

static char *many_rows(size_t rows, size_t *len)
{
    size_t size = 32 + rows * 16;
    char *csv = malloc(size);
    assert_non_null(csv);
    size_t o = (size_t)snprintf(csv, size, "ticket_number,full_name\n");
    for (size_t k = 0; k < rows; k++)
        o += (size_t)snprintf(csv + o, size - o, "T%zu,N\n", k);
    *len = o;
    return csv;
}

static void csv_ticket_count_limit(void **state)
{
    (void)state;
    size_t len;
    char *csv = many_rows(USHER_MAX_TICKETS, &len);
    ticket_list tl = {0};
    assert_int_equal(ticket_csv_parse(csv, len, &tl, NULL), USHER_OK);
    assert_int_equal(tl.count, USHER_MAX_TICKETS);
    assert_rec(&tl, USHER_MAX_TICKETS - 1, "T499999", "N", "");
    ticket_list_release(&tl);
    free(csv);
    csv = many_rows(USHER_MAX_TICKETS + 1, &len);
    expect_one_problem_n(csv, len, USHER_MAX_TICKETS + 2,
                         "line 500002: more than 500000 tickets in one file: split it into "
                         "several files");
    free(csv);
}

/* ---- CSV: random input never crashes ------------------------------------------ */

static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s; /* xorshift32: fixed seed, same bytes every run */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

static void check_fuzz_outcome(usher_err err, const ticket_list *tl, const csv_report *rep)
{
    assert_true(err == USHER_OK || err == USHER_PARSE);
    if (err == USHER_PARSE) {
        assert_true(rep->total >= 1);
        assert_int_equal(rep->count, rep->total < CSV_MAX_PROBLEMS ? rep->total : CSV_MAX_PROBLEMS);
        assert_int_equal(tl->count, 1); /* only the sentinel */
        for (size_t k = 0; k < rep->count; k++) {
            assert_true(rep->items[k].line >= 1);
            assert_memory_equal(rep->items[k].message, "line ", 5);
        }
        return;
    }
    assert_int_equal(rep->total, 0);
    for (size_t k = 1; k < tl->count; k++) {
        const ticket_rec *r = &tl->items[k];
        char code[USHER_CODE_SIZE];
        assert_true(text_copy(code, sizeof code, r->code));
        assert_true(ticketcode_normalize(code));
        assert_string_equal(code, r->code);
        size_t n = strlen(r->name);
        assert_true(n >= 1 && n <= 256);
        assert_true(text_utf8_valid(r->name, n));
        assert_true(text_printable(r->name));
        assert_true(r->name[0] != ' ' && r->name[n - 1] != ' ');
        assert_true(strlen(r->klass) <= 16);
    }
}

/* Fills buf with CSV-like bytes: random bytes, bytes from a pool of the
 * characters that matter, or well-formed rows of random pieces. */
static size_t fuzz_input(int iter, uint32_t *seed, char *buf, size_t size)
{
    static const char pool[] = ",\"\r\n \tAZaz09-\xc3\xa9\xff\xef\xbb\xbf";
    static const char *const pieces[] = {"A-1",
                                         "b2",
                                         "\"Doe, Jo\"",
                                         "\"say \"\"hi\"\"\"",
                                         "Zo\xc3\xab",
                                         " x ",
                                         "",
                                         ",",
                                         "VIP",
                                         "\"two\nlines\"",
                                         "\r\n",
                                         "\n",
                                         "\"",
                                         "\xe6\x9d\x8e",
                                         "-",
                                         "\t"};
    static const char *const names[] = {"Ann", "\"Doe, Jo\"", "Zo\xc3\xab", "\"say \"\"hi\"\"\"",
                                        " x ", "\xe6\x9d\x8e"};
    static const char *const classes[] = {"", "VIP", " Regular "};
    size_t o = 0;
    if (iter % 2 == 0 || iter % 4 == 3)
        o = (size_t)snprintf(buf, size, "ticket_number,full_name,class\n");
    size_t n = rng_next(seed) % 200;
    int mode = iter % 4;
    if (mode == 3) { /* well-formed rows, one byte changed now and then */
        for (size_t row = 0; row < n % 40 && o + 64 < size; row++)
            o += (size_t)snprintf(buf + o, size - o, "c%zu,%s,%s%s", row, names[rng_next(seed) % 6],
                                  classes[rng_next(seed) % 3], rng_next(seed) % 2 ? "\n" : "\r\n");
        if (o > 0 && rng_next(seed) % 3 == 0)
            buf[rng_next(seed) % o] = (char)(rng_next(seed) & 0xff);
        return o;
    }
    while (n-- > 0 && o + 16 < size) {
        uint32_t r = rng_next(seed);
        if (mode == 0) {
            buf[o++] = (char)(r & 0xff);
        } else if (mode == 1) {
            buf[o++] = pool[r % (sizeof pool - 1)];
        } else {
            const char *p = pieces[r % (sizeof pieces / sizeof *pieces)];
            size_t len = strlen(p);
            memcpy(buf + o, p, len);
            o += len;
        }
    }
    return o;
}

static void csv_fuzz_random_bytes(void **state)
{
    (void)state;
    uint32_t seed = 0x5eed1234u;
    char buf[2048];
    size_t parsed_ok = 0;
    for (int iter = 0; iter < 6000; iter++) {
        size_t o = fuzz_input(iter, &seed, buf, sizeof buf);
        /* An exact-size heap copy, so ASan catches any read past the end. */
        char *data = malloc(o ? o : 1);
        assert_non_null(data);
        memcpy(data, buf, o);
        ticket_list tl = {0};
        ticket_rec sentinel = {.code = "S", .name = "Sentinel", .klass = ""};
        assert_int_equal(ticket_list_push(&tl, &sentinel), USHER_OK);
        csv_report rep = {0};
        usher_err err = ticket_csv_parse(data, o, &tl, &rep);
        check_fuzz_outcome(err, &tl, &rep);
        parsed_ok += err == USHER_OK && tl.count > 1;
        csv_report_release(&rep);
        ticket_list_release(&tl);
        free(data);
    }
    assert_true(parsed_ok > 500); /* the generator does reach the success path */
}

static void csv_fuzz_mutated_fixture(void **state)
{
    (void)state;
    size_t len;
    char *good = testutil_fixture("csv/good.csv", &len);
    uint32_t seed = 0xc0ffee11u;
    for (int iter = 0; iter < 3000; iter++) {
        char *data = malloc(len);
        assert_non_null(data);
        memcpy(data, good, len);
        int flips = 1 + (int)(rng_next(&seed) % 4);
        for (int f = 0; f < flips; f++)
            data[rng_next(&seed) % len] = (char)(rng_next(&seed) & 0xff);
        size_t cut = len - rng_next(&seed) % 8;
        ticket_list tl = {0};
        ticket_rec sentinel = {.code = "S", .name = "Sentinel", .klass = ""};
        assert_int_equal(ticket_list_push(&tl, &sentinel), USHER_OK);
        csv_report rep = {0};
        check_fuzz_outcome(ticket_csv_parse(data, cut, &tl, &rep), &tl, &rep);
        csv_report_release(&rep);
        ticket_list_release(&tl);
        free(data);
    }
    free(good);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(list_push_grows_and_release_resets),
    cmocka_unit_test(csv_acceptance_quoted_name),
    cmocka_unit_test(csv_acceptance_utf8_names_byte_for_byte),
    cmocka_unit_test(csv_good_fixture),
    cmocka_unit_test(csv_bom_crlf_fixture),
    cmocka_unit_test(csv_sample_asset_imports),
    cmocka_unit_test(csv_crlf_and_last_line_without_newline),
    cmocka_unit_test(csv_appends_to_existing_list),
    cmocka_unit_test(csv_header_only_imports_nothing),
    cmocka_unit_test(csv_blank_lines_skipped_lines_counted),
    cmocka_unit_test(csv_lone_cr_line_ends),
    cmocka_unit_test(csv_line_is_where_record_starts),
    cmocka_unit_test(csv_header_any_order_case_and_spaces),
    cmocka_unit_test(csv_short_row_without_class_is_fine),
    cmocka_unit_test(csv_spaces_around_quoted_fields),
    cmocka_unit_test(csv_field_limits_inclusive),
    cmocka_unit_test(csv_malformed_fixture_reports_every_line),
    cmocka_unit_test(csv_missing_header),
    cmocka_unit_test(csv_missing_code_header),
    cmocka_unit_test(csv_duplicate_header_column),
    cmocka_unit_test(csv_empty_file),
    cmocka_unit_test(csv_duplicate_codes_case_insensitive),
    cmocka_unit_test(csv_duplicate_reported_per_repeat),
    cmocka_unit_test(csv_too_long_fields),
    cmocka_unit_test(csv_bad_characters_named),
    cmocka_unit_test(csv_quoted_blank_fields_are_missing),
    cmocka_unit_test(csv_wrong_field_count_only_when_required_missing),
    cmocka_unit_test(csv_unterminated_quote_reports_start),
    cmocka_unit_test(csv_stray_quote_in_code),
    cmocka_unit_test(csv_problem_cap_keeps_first_and_counts_all),
    cmocka_unit_test(csv_ticket_count_limit),
    cmocka_unit_test(csv_fuzz_random_bytes),
    cmocka_unit_test(csv_fuzz_mutated_fixture),
};

TESTUTIL_MAIN(tests)

/* ticket.c - the organisers' ticket import (columns, field rules, duplicates, all
 * or nothing) over csv.c's records; the code rule itself is ticketcode.c's. */
#include "ticket.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "text.h"

#define NAME_MAX_BYTES (USHER_NAME_SIZE - 1)
#define CLASS_MAX (USHER_CLASS_SIZE - 1)
#define NOTE_MAX_BYTES (USHER_TICKET_NOTE_SIZE - 1)
#define HEADER_EXAMPLE "ticket_number,full_name,class"

/* ---- lists and reports ---------------------------------------------------- */

static usher_err list_reserve(ticket_list *tl, size_t extra)
{
    if (extra <= tl->cap - tl->count)
        return USHER_OK;
    size_t limit = SIZE_MAX / 2 / sizeof(ticket_rec);
    if (extra > limit - tl->count)
        return USHER_NOMEM;
    size_t need = tl->count + extra;
    size_t cap = tl->cap * 2 > need ? tl->cap * 2 : need;
    if (cap < 16)
        cap = 16;
    ticket_rec *items = realloc(tl->items, cap * sizeof *items);
    if (!items)
        return USHER_NOMEM;
    tl->items = items;
    tl->cap = cap;
    return USHER_OK;
}

usher_err ticket_list_push(ticket_list *tl, const ticket_rec *rec)
{
    usher_err err = list_reserve(tl, 1);
    if (err)
        return err;
    tl->items[tl->count++] = *rec;
    return USHER_OK;
}

usher_err ticket_list_classify(const ticket_list *tl, ticketcode_report *out)
{
    const char **codes = malloc((tl->count ? tl->count : 1) * sizeof *codes);
    if (!codes) {
        memset(out, 0, sizeof *out);
        out->strength = TICKETCODE_WEAK;
        out->weak = tl->count;
        return USHER_NOMEM;
    }
    for (size_t i = 0; i < tl->count; i++)
        codes[i] = tl->items[i].code;
    ticketcode_classify(codes, tl->count, out);
    free(codes);
    return USHER_OK;
}

void ticket_list_release(ticket_list *tl)
{
    if (!tl)
        return;
    free(tl->items);
    tl->items = NULL;
    tl->count = tl->cap = 0;
}

void ticket_parse_extra_release(ticket_parse_extra *x)
{
    if (!x)
        return;
    ticket_list_release(&x->voided);
    csv_report_release(&x->warnings);
}

void csv_report_release(csv_report *r)
{
    if (!r)
        return;
    free(r->items);
    r->items = NULL;
    r->count = r->cap = r->total = 0;
}

/* ---- the parser's working state ------------------------------------------ */

/* Codes seen so far (valid ones, from any row) for duplicate detection: an
 * open-addressing hash of indices into items. */
typedef struct seen_code {
    char code[USHER_CODE_SIZE];
    int line;
} seen_code;

typedef struct seen_set {
    seen_code *items;
    size_t count, cap;
    uint32_t *slots; /* index + 1; 0 = empty */
    size_t nslots;   /* power of two */
} seen_set;

typedef struct parser {
    csv_reader *reader;
    csv_record rec; /* the current record */
    csv_report *rep;
    size_t problems;                   /* found by this call */
    size_t rows;                       /* data rows, blank ones aside */
    bool stop;                         /* a problem after which reading on makes no sense */
    int col_code, col_name, col_class; /* field index, -1 when absent */
    int name_parts[TICKET_NAME_PARTS]; /* col_name is name_parts[0] */
    int nname;
    int col_status;
    int col_seat;
    int col_note, col_attention; /* -1 when absent */
    bool mapped;                 /* columns given by the caller, not the seed header */
    bool strict_space;           /* refuse tabs and line breaks in names */
    char sep;
    char **hdr; /* the header row's cells, for messages (mapped only) */
    size_t nhdr;
    ticket_list tmp;
    ticket_list voided;
    csv_report *warn;
    seen_set seen;
    seen_set seats; /* pre-assigned seats, for a seat given twice */
} parser;

static void parser_release(parser *ps)
{
    csv_reader_free(ps->reader);
    ticket_list_release(&ps->tmp);
    ticket_list_release(&ps->voided);
    for (size_t k = 0; k < ps->nhdr; k++)
        free(ps->hdr[k]);
    free(ps->hdr);
    free(ps->seen.items);
    free(ps->seen.slots);
    free(ps->seats.items);
    free(ps->seats.slots);
}

static usher_err problem(parser *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static usher_err report_add(csv_report *rep, int line, const char *fmt, va_list ap);

/* Records one problem of this import; only the first CSV_MAX_PROBLEMS keep
 * their text. */
static usher_err problem(parser *ps, int line, const char *fmt, ...)
{
    ps->problems++;
    va_list ap;
    va_start(ap, fmt);
    usher_err err = report_add(ps->rep, line, fmt, ap);
    va_end(ap);
    return err;
}

static usher_err warning(parser *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records something fixed on the way (a name's line break folded). */
static usher_err warning(parser *ps, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    usher_err err = report_add(ps->warn, line, fmt, ap);
    va_end(ap);
    return err;
}

static usher_err report_add(csv_report *rep, int line, const char *fmt, va_list ap)
{
    if (!rep)
        return USHER_OK;
    rep->total++;
    if (rep->count >= CSV_MAX_PROBLEMS)
        return USHER_OK;
    if (rep->count == rep->cap) {
        size_t cap = rep->cap ? rep->cap * 2 : 16;
        csv_problem *items = realloc(rep->items, cap * sizeof *items);
        if (!items)
            return USHER_NOMEM;
        rep->items = items;
        rep->cap = cap;
    }
    csv_problem *pr = &rep->items[rep->count++];
    pr->line = line;
    int n = snprintf(pr->message, sizeof pr->message, "line %d: ", line);
    vsnprintf(pr->message + n, sizeof pr->message - (size_t)n, fmt, ap);
    return USHER_OK;
}

usher_err csv_report_add(csv_report *rep, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    usher_err err = report_add(rep, line, fmt, ap);
    va_end(ap);
    return err;
}

/* ---- small text helpers --------------------------------------------------- */

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_blank((unsigned char)(*s)[0]))
        (*s)++, (*n)--;
    while (*n > 0 && is_blank((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool is_alnum(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool class_char_ok(char c)
{
    return is_alnum(c) || c == ' ' || c == '_' || c == '-';
}

static bool ci_equal(const char *s, size_t n, const char *word)
{
    if (strlen(word) != n)
        return false;
    for (size_t k = 0; k < n; k++)
        if (upper(s[k]) != upper(word[k]))
            return false;
    return true;
}

/* Length of the UTF-8 sequence a lead byte announces, 0 for a stray byte. */
static size_t utf8_seq_len(unsigned char c)
{
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if ((c & 0xf0) == 0xe0)
        return 3;
    if (c >= 0xf0 && c <= 0xf4)
        return 4;
    return 0;
}

/* Describes the character at s (len bytes left) for a message: 'x', "é", a
 * space, a tab, an apostrophe, a line break, a control character (0x01), a
 * byte that is not UTF-8 (0xe9). */
static void describe_char(const char *s, size_t len, char *out, size_t size)
{
    unsigned char c = (unsigned char)s[0];
    size_t seq = utf8_seq_len(c);
    if (c == ' ')
        snprintf(out, size, "a space");
    else if (c == '\t')
        snprintf(out, size, "a tab");
    else if (c == '\n' || c == '\r')
        snprintf(out, size, "a line break");
    else if (c == '\'')
        snprintf(out, size, "an apostrophe");
    else if (c < 0x20 || c == 0x7f)
        snprintf(out, size, "a control character (0x%02x)", c);
    else if (c < 0x80)
        snprintf(out, size, "'%c'", c);
    else if (seq > 0 && seq <= len && text_utf8_valid(s, seq))
        snprintf(out, size, "\"%.*s\"", (int)seq, s);
    else
        snprintf(out, size, "a byte that is not UTF-8 (0x%02x)", c);
}

/* Where a field sits, for messages: its column's name when it is one we use. */
static void field_label(const parser *ps, size_t idx, char *out, size_t size)
{
    if (ps->mapped && idx < ps->nhdr)
        snprintf(out, size, "column \"%.40s\"", ps->hdr[idx]);
    else if (ps->mapped)
        snprintf(out, size, "field %zu", idx + 1);
    else if ((int)idx == ps->col_code)
        snprintf(out, size, "ticket_number");
    else if ((int)idx == ps->col_name)
        snprintf(out, size, "full_name");
    else if ((int)idx == ps->col_class)
        snprintf(out, size, "class");
    else
        snprintf(out, size, "field %zu", idx + 1);
}

/* ---- records and their quoting ------------------------------------------- */

static usher_err syntax_problem(parser *ps, size_t idx, csv_flaw flaw)
{
    char where[64];
    field_label(ps, idx, where, sizeof where);
    const char *what =
        flaw == CSV_FLAW_STRAY_QUOTE ? "a stray quote" : "text after a closing quote";
    return problem(ps, ps->rec.line,
                   "%s in %s: wrap a field that holds quotes in quotes and double each "
                   "inner quote (\"\")",
                   what, where);
}

/* Reports what the reader found wrong with the record's quoting, field by
 * field, then a quote never closed. */
static usher_err report_flaws(parser *ps)
{
    const csv_record *r = &ps->rec;
    usher_err err = USHER_OK;
    for (size_t k = 0; k < r->count && !err; k++)
        if (r->fields[k].flaw)
            err = syntax_problem(ps, k, r->fields[k].flaw);
    if (err || !r->unterminated)
        return err;
    if (r->quote_line == r->line)
        return problem(ps, r->line,
                       "a quoted field opened on this line is never closed: add the "
                       "missing closing quote (\")");
    return problem(ps, r->line,
                   "the quoted field opened on line %d is never closed: add the "
                   "missing closing quote (\")",
                   r->quote_line);
}

static void field_text(const parser *ps, int idx, const char **s, size_t *n)
{
    const csv_field *f = &ps->rec.fields[idx];
    *s = f->text;
    *n = f->len;
    trim(s, n);
}

/* ---- header ------------------------------------------------------------------- */

static usher_err header_column(parser *ps, int *col, const char *word, int k)
{
    if (*col < 0) {
        *col = k;
        return USHER_OK;
    }
    return problem(ps, ps->rec.line,
                   "the header names %s twice (columns %d and %d): keep one of them", word,
                   *col + 1, k + 1);
}

/* A caller's mapping: the header row is kept for messages; the columns must
 * exist in it. */
static usher_err read_mapped_header(parser *ps)
{
    ps->hdr = calloc(ps->rec.count, sizeof *ps->hdr);
    if (!ps->hdr)
        return USHER_NOMEM;
    for (size_t k = 0; k < ps->rec.count; k++) {
        const char *s;
        size_t n;
        field_text(ps, (int)k, &s, &n);
        if (!(ps->hdr[k] = malloc(n + 1)))
            return USHER_NOMEM;
        memcpy(ps->hdr[k], s, n);
        ps->hdr[k][n] = '\0';
        ps->nhdr = k + 1;
    }
    int need = ps->col_code > ps->col_name ? ps->col_code : ps->col_name;
    if (ps->col_code >= 0 && ps->col_name >= 0 && (size_t)need < ps->rec.count)
        return USHER_OK;
    ps->stop = true;
    return problem(ps, ps->rec.line, "the header row has no column for the %s",
                   ps->col_code < 0 || (size_t)ps->col_code >= ps->rec.count ? "ticket code"
                                                                             : "name");
}

static usher_err read_header(parser *ps)
{
    if (ps->mapped)
        return read_mapped_header(ps);
    usher_err err = USHER_OK;
    for (size_t k = 0; k < ps->rec.count && k < INT_MAX && !err; k++) {
        const char *s;
        size_t n;
        field_text(ps, (int)k, &s, &n);
        if (ci_equal(s, n, "ticket_number"))
            err = header_column(ps, &ps->col_code, "ticket_number", (int)k);
        else if (ci_equal(s, n, "full_name"))
            err = header_column(ps, &ps->col_name, "full_name", (int)k);
        else if (ci_equal(s, n, "class"))
            err = header_column(ps, &ps->col_class, "class", (int)k);
        else if (ci_equal(s, n, "note"))
            err = header_column(ps, &ps->col_note, "note", (int)k);
        else if (ci_equal(s, n, "attention"))
            err = header_column(ps, &ps->col_attention, "attention", (int)k);
    }
    ps->name_parts[0] = ps->col_name;
    ps->nname = 1;
    if (err || (ps->col_code >= 0 && ps->col_name >= 0))
        return err;
    ps->stop = true;
    const char *missing = ps->col_code >= 0   ? "full_name column"
                          : ps->col_name >= 0 ? "ticket_number column"
                                              : "ticket_number and full_name columns";
    return problem(ps, ps->rec.line,
                   "the header has no %s; the first line must name the columns, e.g. "
                   "\"" HEADER_EXAMPLE "\"",
                   missing);
}

/* ---- fields --------------------------------------------------------------- */

/* Finds the first byte of s[0..n) that ok() refuses; n when none. */
static size_t first_bad(const char *s, size_t n, bool (*ok)(char))
{
    size_t k = 0;
    while (k < n && ok(s[k]))
        k++;
    return k;
}

static usher_err check_code(parser *ps, char out[USHER_CODE_SIZE], bool *ok)
{
    *ok = false;
    if (ps->rec.fields[ps->col_code].flaw)
        return USHER_OK;
    int line = ps->rec.line;
    const char *s;
    size_t n;
    field_text(ps, ps->col_code, &s, &n);
    if (n == 0)
        return problem(ps, line, "missing ticket number");
    size_t bad = first_bad(s, n, ticketcode_typed_char_ok);
    if (bad < n) {
        char what[48];
        describe_char(s + bad, n - bad, what, sizeof what);
        return problem(ps, line,
                       "the ticket number has a character that is not allowed: %s "
                       "(use A-Z, 0-9 and -)",
                       what);
    }
    if (n > TICKETCODE_MAX)
        return problem(ps, line, "the ticket number is too long (%zu characters; at most %d)", n,
                       TICKETCODE_MAX);
    memcpy(out, s, n);
    out[n] = '\0';
    ticketcode_upcase(out);
    *ok = true;
    return USHER_OK;
}

static bool name_char_ok(char c)
{
    unsigned char u = (unsigned char)c;
    return u >= 0x20 && u != 0x7f;
}

/* Joins the name's columns with one space (empty parts left out) into buf. */
static size_t join_name(const parser *ps, char *buf, size_t cap, bool *flawed)
{
    size_t o = 0;
    *flawed = false;
    for (int p = 0; p < ps->nname; p++) {
        int col = ps->name_parts[p];
        if (col < 0 || (size_t)col >= ps->rec.count)
            continue;
        if (ps->rec.fields[col].flaw)
            *flawed = true;
        const char *s;
        size_t n;
        field_text(ps, col, &s, &n);
        if (n == 0)
            continue;
        if (o && o < cap)
            buf[o++] = ' ';
        size_t take = n < cap - o ? n : cap - o;
        memcpy(buf + o, s, take);
        o += take;
        if (take < n)
            return cap; /* too long whatever follows */
    }
    return o;
}

static bool is_fold_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Folds runs of spaces, tabs and line breaks in s[0..n) into one space, in
 * place; *what says what was folded ("a line break", "a tab", "several
 * spaces"), NULL when nothing was. */
static size_t fold_space(char *s, size_t n, const char **what)
{
    size_t o = 0;
    *what = NULL;
    for (size_t k = 0; k < n;) {
        unsigned char c = (unsigned char)s[k];
        if (!is_fold_space(c)) {
            s[o++] = s[k++];
            continue;
        }
        size_t run = k;
        while (k < n && is_fold_space((unsigned char)s[k])) {
            if (s[k] == '\n' || s[k] == '\r')
                *what = "a line break";
            else if (s[k] == '\t' && !*what)
                *what = "a tab";
            k++;
        }
        if (k - run > 1 && !*what)
            *what = "several spaces in a row";
        s[o++] = ' ';
    }
    return o;
}

/* True when s holds U+FFFD REPLACEMENT CHARACTER (EF BF BD in UTF-8). */
static bool holds_replacement(const char *s, size_t n)
{
    for (size_t k = 0; k + 2 < n; k++)
        if ((unsigned char)s[k] == 0xef && (unsigned char)s[k + 1] == 0xbf &&
            (unsigned char)s[k + 2] == 0xbd)
            return true;
    return false;
}

static usher_err check_name(parser *ps, char out[USHER_NAME_SIZE], bool *ok)
{
    *ok = false;
    char buf[USHER_NAME_SIZE * 2];
    bool flawed;
    size_t n = join_name(ps, buf, sizeof buf, &flawed);
    if (flawed)
        return USHER_OK;
    int line = ps->rec.line;
    if (n == 0)
        return problem(ps, line, "missing name");
    if (n >= sizeof buf)
        return problem(ps, line, "the name is too long (more than %d bytes)", NAME_MAX_BYTES);
    if (!text_utf8_valid(buf, n))
        return problem(ps, line,
                       "the name is not valid UTF-8: save the file as \"CSV UTF-8\" "
                       "(it may be in an older encoding such as Latin-1)");
    if (holds_replacement(buf, n))
        return problem(ps, line,
                       "the name holds U+FFFD (\xef\xbf\xbd), the mark of a character lost by an "
                       "earlier conversion: correct the name in the file or the ticket office");
    if (!ps->strict_space) {
        const char *what;
        n = fold_space(buf, n, &what);
        if (what) {
            usher_err err = warning(ps, line, "the name held %s; folded to one space", what);
            if (err)
                return err;
        }
    }
    size_t bad = first_bad(buf, n, name_char_ok);
    if (bad < n) {
        char what[48];
        describe_char(buf + bad, n - bad, what, sizeof what);
        return problem(ps, line, "the name contains %s; names are shown on one line, so remove it",
                       what);
    }
    if (n > NAME_MAX_BYTES)
        return problem(ps, line, "the name is too long (%zu bytes; at most %d)", n, NAME_MAX_BYTES);
    memcpy(out, buf, n);
    out[n] = '\0';
    *ok = true;
    return USHER_OK;
}

/* A void row's name, for the summary only: kept when it would pass, else "". */
static void void_name(const parser *ps, char out[USHER_NAME_SIZE])
{
    char buf[USHER_NAME_SIZE * 2];
    bool flawed;
    const char *what;
    size_t n = join_name(ps, buf, sizeof buf, &flawed);
    out[0] = '\0';
    if (flawed || n >= sizeof buf || !text_utf8_valid(buf, n))
        return;
    n = fold_space(buf, n, &what);
    if (n > NAME_MAX_BYTES || first_bad(buf, n, name_char_ok) < n)
        return;
    memcpy(out, buf, n);
    out[n] = '\0';
}

/* The one rule for a ticket class (a file's cell or an organiser's edit):
 * letters, digits, spaces, _ and -, at most CLASS_MAX; false with the reason
 * in why when s[0..n) breaks it. */
static bool class_ok(const char *s, size_t n, char *why, size_t cap)
{
    size_t bad = first_bad(s, n, class_char_ok);
    if (bad < n) {
        char what[48];
        describe_char(s + bad, n - bad, what, sizeof what);
        snprintf(why, cap,
                 "the class has a character that is not allowed: %s "
                 "(use letters, digits, spaces, _ and -)",
                 what);
        return false;
    }
    if (n > CLASS_MAX) {
        snprintf(why, cap, "the class is too long (%zu characters; at most %d)", n, CLASS_MAX);
        return false;
    }
    return true;
}

static usher_err check_class(parser *ps, char out[USHER_CLASS_SIZE], bool *ok)
{
    *ok = true;
    out[0] = '\0';
    if (ps->col_class < 0 || (size_t)ps->col_class >= ps->rec.count)
        return USHER_OK; /* no class column, or a short row without one */
    *ok = false;
    if (ps->rec.fields[ps->col_class].flaw)
        return USHER_OK;
    int line = ps->rec.line;
    const char *s;
    size_t n;
    field_text(ps, ps->col_class, &s, &n);
    char why[128];
    if (!class_ok(s, n, why, sizeof why)) {
        /* a ticket office's long ticket type: say how to import the file anyway */
        bool only_long = n > CLASS_MAX && first_bad(s, n, class_char_ok) == n;
        return problem(ps, line, "%s%s", why,
                       only_long ? ": shorten it in the file, or import without classes"
                                   " (--map class=)"
                                 : "");
    }
    memcpy(out, s, n);
    out[n] = '\0';
    *ok = true;
    return USHER_OK;
}

/* The one rule for a ticket's note (a file's cell or an organiser's edit):
 * buf[0..n) (writable, n < cap) folded in place; false with the reason in why
 * when it breaks the rule. *folded says whether spaces were folded. */
static bool note_ok(char *buf, size_t *n, bool *folded, char *why, size_t cap)
{
    const char *s = buf;
    size_t len = *n;
    while (len && is_fold_space((unsigned char)s[0]))
        s++, len--;
    while (len && is_fold_space((unsigned char)s[len - 1]))
        len--;
    memmove(buf, s, len);
    if (!text_utf8_valid(buf, len)) {
        snprintf(why, cap, "the note is not valid UTF-8");
        return false;
    }
    if (holds_replacement(buf, len)) {
        snprintf(why, cap,
                 "the note holds U+FFFD (\xef\xbf\xbd), the mark of a character lost by an earlier "
                 "conversion: type the note as it should read");
        return false;
    }
    const char *what;
    len = fold_space(buf, len, &what);
    *folded = what != NULL;
    size_t bad = first_bad(buf, len, name_char_ok);
    if (bad < len) {
        char desc[48];
        describe_char(buf + bad, len - bad, desc, sizeof desc);
        snprintf(why, cap, "the note contains %s; remove it", desc);
        return false;
    }
    if (len > NOTE_MAX_BYTES) {
        snprintf(why, cap, "the note is too long (%zu bytes; at most %d)", len, NOTE_MAX_BYTES);
        *n = len;
        return false;
    }
    buf[len] = '\0';
    *n = len;
    return true;
}

static usher_err check_note(parser *ps, char out[USHER_TICKET_NOTE_SIZE], bool *ok)
{
    *ok = true;
    out[0] = '\0';
    if (ps->col_note < 0 || (size_t)ps->col_note >= ps->rec.count)
        return USHER_OK;
    *ok = false;
    if (ps->rec.fields[ps->col_note].flaw)
        return USHER_OK;
    const char *s;
    size_t n;
    field_text(ps, ps->col_note, &s, &n);
    char buf[USHER_TICKET_NOTE_SIZE * 2], why[160];
    bool folded = false;
    if (n >= sizeof buf)
        return problem(ps, ps->rec.line,
                       "the note is too long (%zu bytes; at most %d): shorten it in the file, or "
                       "import without notes (--map note=)",
                       n, NOTE_MAX_BYTES);
    memcpy(buf, s, n);
    if (!note_ok(buf, &n, &folded, why, sizeof why))
        return problem(ps, ps->rec.line, "%s%s", why,
                       strncmp(why, "the note is too long", 20) == 0
                           ? ": shorten it in the file, or import without notes (--map note=)"
                           : "");
    memcpy(out, buf, n + 1);
    *ok = true;
    return USHER_OK;
}

static bool seat_char_ok(char c)
{
    return is_alnum(c) || c == '_' || c == '.' || c == '-';
}

/* A pre-assigned seat's cell: empty, or a seat id (whether the venue has it
 * is the merge's question: it knows the layout). */
static usher_err check_seat(parser *ps, char out[USHER_SEAT_ID_SIZE], bool *ok)
{
    *ok = true;
    out[0] = '\0';
    if (ps->col_seat < 0 || (size_t)ps->col_seat >= ps->rec.count)
        return USHER_OK;
    *ok = false;
    if (ps->rec.fields[ps->col_seat].flaw)
        return USHER_OK;
    const char *s;
    size_t n;
    field_text(ps, ps->col_seat, &s, &n);
    int shown = n > 40 ? 40 : (int)n;
    size_t bad = first_bad(s, n, seat_char_ok);
    if (bad < n) {
        char what[48];
        describe_char(s + bad, n - bad, what, sizeof what);
        return problem(ps, ps->rec.line,
                       "the seat \"%.*s\" has %s, which no seat id has (letters, digits, _ . and "
                       "-, as the layout writes them: T07-03, A-12): correct it, or import "
                       "without seats (--map seat=)",
                       shown, s, what);
    }
    if (n >= USHER_SEAT_ID_SIZE)
        return problem(ps, ps->rec.line,
                       "the seat \"%.*s\" is too long for a seat id (%zu characters; at most %d): "
                       "correct it, or import without seats (--map seat=)",
                       shown, s, n, USHER_SEAT_ID_SIZE - 1);
    memcpy(out, s, n);
    out[n] = '\0';
    *ok = true;
    return USHER_OK;
}

static usher_err check_attention(parser *ps, bool *out, bool *ok)
{
    *ok = true;
    *out = false;
    if (ps->col_attention < 0 || (size_t)ps->col_attention >= ps->rec.count)
        return USHER_OK;
    *ok = false;
    if (ps->rec.fields[ps->col_attention].flaw)
        return USHER_OK;
    const char *s;
    size_t n;
    field_text(ps, ps->col_attention, &s, &n);
    if (ticket_attention_parse(s, n, out)) {
        *ok = true;
        return USHER_OK;
    }
    char what[48];
    text_copyn(what, sizeof what, s, n > 40 ? 40 : n);
    if (!text_utf8_valid(what, strlen(what)) || !text_printable(what))
        text_copy(what, sizeof what, "?");
    return problem(ps, ps->rec.line,
                   "the attention column reads \"%s\": write yes or no (or leave it empty)", what);
}

/* ---- duplicate codes ------------------------------------------------------ */

static uint32_t hash_code(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void seen_insert_slot(seen_set *st, size_t idx)
{
    size_t mask = st->nslots - 1;
    size_t k = hash_code(st->items[idx].code) & mask;
    while (st->slots[k])
        k = (k + 1) & mask;
    st->slots[k] = (uint32_t)(idx + 1);
}

static usher_err seen_grow(seen_set *st)
{
    if (st->count == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 256;
        seen_code *items = realloc(st->items, cap * sizeof *items);
        if (!items)
            return USHER_NOMEM;
        st->items = items;
        st->cap = cap;
    }
    if ((st->count + 1) * 2 <= st->nslots)
        return USHER_OK;
    size_t nslots = st->nslots ? st->nslots * 2 : 1024;
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return USHER_NOMEM;
    free(st->slots);
    st->slots = slots;
    st->nslots = nslots;
    for (size_t k = 0; k < st->count; k++)
        seen_insert_slot(st, k);
    return USHER_OK;
}

/* Remembers code; *first is the line it was first seen on, 0 when new. */
static usher_err seen_add(seen_set *st, const char *code, int line, int *first)
{
    *first = 0;
    if (st->nslots) {
        size_t mask = st->nslots - 1;
        for (size_t k = hash_code(code) & mask; st->slots[k]; k = (k + 1) & mask) {
            const seen_code *sc = &st->items[st->slots[k] - 1];
            if (strcmp(sc->code, code) == 0) {
                *first = sc->line;
                return USHER_OK;
            }
        }
    }
    usher_err err = seen_grow(st);
    if (err)
        return err;
    seen_code *sc = &st->items[st->count];
    text_copy(sc->code, sizeof sc->code, code);
    sc->line = line;
    seen_insert_slot(st, st->count++);
    return USHER_OK;
}

/* ---- records ------------------------------------------------------------------ */

static const char *sep_name(char sep)
{
    return sep == ';' ? "semicolon" : sep == '\t' ? "tab" : "comma";
}

static usher_err check_row_width(parser *ps, bool *ok)
{
    int need = ps->col_code > ps->col_name ? ps->col_code : ps->col_name;
    *ok = ps->rec.count > (size_t)need;
    if (*ok)
        return USHER_OK;
    char col[64];
    field_label(ps, (size_t)need, col, sizeof col);
    if (!ps->mapped)
        snprintf(col, sizeof col, "%s", need == ps->col_code ? "ticket_number" : "full_name");
    return problem(ps, ps->rec.line,
                   "only %zu field%s, but the header puts %s in column %d (is a %s missing?)",
                   ps->rec.count, ps->rec.count == 1 ? "" : "s", col, need + 1, sep_name(ps->sep));
}

static const char *const void_words[] = {"void",     "voided",  "cancelled", "canceled",
                                         "refunded", "deleted", "expired",   "not attending"};

bool ticket_status_is_void(const char *s, size_t n)
{
    if (!s)
        return false;
    trim(&s, &n);
    for (size_t k = 0; k < sizeof void_words / sizeof *void_words; k++)
        if (ci_equal(s, n, void_words[k]))
            return true;
    return false;
}

static bool row_is_void(const parser *ps)
{
    int col = ps->col_status;
    if (col < 0 || (size_t)col >= ps->rec.count)
        return false;
    return ticket_status_is_void(ps->rec.fields[col].text, ps->rec.fields[col].len);
}

static usher_err check_record(parser *ps)
{
    if (ps->rec.unterminated)
        return USHER_OK; /* reported; its fields hold the rest of the file */
    if (++ps->rows > USHER_MAX_TICKETS) {
        ps->stop = true;
        return problem(ps, ps->rec.line,
                       "more than %d tickets in one file: split it into several files",
                       USHER_MAX_TICKETS);
    }
    bool ok, code_ok = false, name_ok = false, class_ok = false, note_fine = false, att_ok = false,
             seat_ok = true;
    usher_err err = check_row_width(ps, &ok);
    if (err || !ok)
        return err;
    ticket_rec rec = {0};
    int first = 0;
    err = check_code(ps, rec.code, &code_ok);
    if (!err && code_ok)
        err = seen_add(&ps->seen, rec.code, ps->rec.line, &first);
    if (!err && first)
        err = problem(ps, ps->rec.line, "duplicate ticket number %s (first on line %d)", rec.code,
                      first);
    if (!err && row_is_void(ps)) {
        if (!code_ok || first || ps->problems)
            return USHER_OK;
        void_name(ps, rec.name);
        rec.line = ps->rec.line;
        return ticket_list_push(&ps->voided, &rec);
    }
    if (!err)
        err = check_name(ps, rec.name, &name_ok);
    if (!err)
        err = check_class(ps, rec.klass, &class_ok);
    if (!err)
        err = check_note(ps, rec.note, &note_fine);
    if (!err)
        err = check_attention(ps, &rec.attention, &att_ok);
    rec.noted = ps->col_note >= 0 || ps->col_attention >= 0;
    if (!err)
        err = check_seat(ps, rec.seat, &seat_ok);
    int seat_first = 0;
    if (!err && seat_ok && rec.seat[0])
        err = seen_add(&ps->seats, rec.seat, ps->rec.line, &seat_first);
    if (!err && seat_first)
        err = problem(ps, ps->rec.line,
                      "seat %s is given to two tickets (first on line %d): a seat holds one "
                      "ticket, so correct one of them in the file",
                      rec.seat, seat_first);
    if (err || !code_ok || first || !name_ok || !class_ok || !note_fine || !att_ok || !seat_ok ||
        seat_first || ps->problems)
        return err; /* once anything is wrong nothing is imported */
    rec.line = ps->rec.line;
    return ticket_list_push(&ps->tmp, &rec);
}

static usher_err parse_all(parser *ps)
{
    bool got, header = false;
    usher_err err = USHER_OK;
    while (!err && !ps->stop) {
        err = csv_next(ps->reader, &ps->rec, &got);
        if (!err && got)
            err = report_flaws(ps);
        if (err || !got)
            break;
        if (csv_record_blank(&ps->rec))
            continue;
        if (header)
            err = check_record(ps);
        else
            err = read_header(ps);
        header = true;
    }
    if (!err && !header)
        err = problem(ps, 1,
                      "the file is empty: the first line must name the columns, e.g. "
                      "\"" HEADER_EXAMPLE "\"");
    return err;
}

usher_err ticket_csv_parse_ex(const char *data, size_t len, const ticket_parse_opts *opts,
                              ticket_list *out, ticket_parse_extra *extra, csv_report *rep)
{
    static const ticket_parse_opts defaults = {0};
    if (!opts)
        opts = &defaults;
    char sep = opts->sep ? opts->sep : ',';
    if (!out || (!data && len))
        return USHER_INVAL;
    parser ps = {
        .reader = csv_reader_new_sep(data, len, sep),
        .rep = rep,
        .col_code = -1,
        .col_name = -1,
        .col_class = -1,
        .col_status = -1,
        .col_note = -1,
        .col_attention = -1,
        .col_seat = -1,
        .sep = sep,
        .strict_space = opts->strict_space,
        .warn = extra ? &extra->warnings : NULL,
    };
    if (opts->cols) {
        const ticket_columns *c = opts->cols;
        ps.mapped = true;
        ps.col_code = c->code;
        ps.nname = c->nname < TICKET_NAME_PARTS ? c->nname : TICKET_NAME_PARTS;
        for (int k = 0; k < ps.nname; k++)
            ps.name_parts[k] = c->name[k];
        ps.col_name = ps.nname > 0 ? c->name[0] : -1;
        for (int k = 1; k < ps.nname; k++)
            if (c->name[k] > ps.col_name)
                ps.col_name = c->name[k];
        ps.col_class = c->klass;
        ps.col_status = c->status;
        ps.col_note = c->note;
        ps.col_attention = c->attention;
        ps.col_seat = c->seat;
    }
    usher_err err = ps.reader ? parse_all(&ps) : USHER_NOMEM;
    if (err)
        goto out;
    if (ps.problems) {
        err = USHER_PARSE;
        goto out;
    }
    err = list_reserve(out, ps.tmp.count);
    if (!err && extra)
        err = list_reserve(&extra->voided, ps.voided.count);
    if (err)
        goto out;
    if (ps.tmp.count)
        memcpy(out->items + out->count, ps.tmp.items, ps.tmp.count * sizeof *ps.tmp.items);
    out->count += ps.tmp.count;
    if (extra && ps.voided.count) {
        memcpy(extra->voided.items + extra->voided.count, ps.voided.items,
               ps.voided.count * sizeof *ps.voided.items);
        extra->voided.count += ps.voided.count;
    }
out:
    parser_release(&ps);
    return err;
}

usher_err ticket_csv_parse(const char *data, size_t len, ticket_list *out, csv_report *rep)
{
    ticket_parse_opts opts = {.strict_space = true};
    return ticket_csv_parse_ex(data, len, &opts, out, NULL, rep);
}

/* ---- corrections ------------------------------------------------------------ */

usher_err ticket_name_clean(const char *in, char out[USHER_NAME_SIZE], usher_errmsg *em)
{
    if (!in)
        return usher_fail(em, USHER_INVAL, "missing name");
    size_t n = strlen(in);
    if (n >= USHER_NAME_SIZE * 2)
        return usher_fail(em, USHER_INVAL, "the name is too long (at most %d bytes)",
                          NAME_MAX_BYTES);
    char buf[USHER_NAME_SIZE * 2];
    memcpy(buf, in, n);
    const char *s = buf;
    trim(&s, &n);
    while (n && is_fold_space((unsigned char)s[0]))
        s++, n--;
    while (n && is_fold_space((unsigned char)s[n - 1]))
        n--;
    memmove(buf, s, n);
    if (n == 0)
        return usher_fail(em, USHER_INVAL, "missing name");
    if (!text_utf8_valid(buf, n))
        return usher_fail(em, USHER_INVAL, "the name is not valid UTF-8");
    if (holds_replacement(buf, n))
        return usher_fail(em, USHER_INVAL,
                          "the name holds U+FFFD (\xef\xbf\xbd), the mark of a lost character: "
                          "type the name as it should read");
    const char *what;
    n = fold_space(buf, n, &what);
    size_t bad = first_bad(buf, n, name_char_ok);
    if (bad < n) {
        char desc[48];
        describe_char(buf + bad, n - bad, desc, sizeof desc);
        return usher_fail(em, USHER_INVAL, "the name contains %s; remove it", desc);
    }
    if (n > NAME_MAX_BYTES)
        return usher_fail(em, USHER_INVAL, "the name is too long (%zu bytes; at most %d)", n,
                          NAME_MAX_BYTES);
    memcpy(out, buf, n);
    out[n] = '\0';
    return USHER_OK;
}

usher_err ticket_class_clean(const char *in, char out[USHER_CLASS_SIZE], usher_errmsg *em)
{
    const char *s = in ? in : "";
    size_t n = strlen(s);
    trim(&s, &n);
    char why[128];
    if (!class_ok(s, n, why, sizeof why))
        return usher_fail(em, USHER_INVAL, "%s", why);
    memcpy(out, s, n);
    out[n] = '\0';
    return USHER_OK;
}

usher_err ticket_note_clean(const char *in, char out[USHER_TICKET_NOTE_SIZE], usher_errmsg *em)
{
    const char *s = in ? in : "";
    size_t n = strlen(s);
    char buf[USHER_TICKET_NOTE_SIZE * 2], why[160];
    bool folded;
    if (n >= sizeof buf)
        return usher_fail(em, USHER_INVAL, "the note is too long (at most %d bytes)",
                          NOTE_MAX_BYTES);
    memcpy(buf, s, n);
    if (!note_ok(buf, &n, &folded, why, sizeof why))
        return usher_fail(em, USHER_INVAL, "%s", why);
    memcpy(out, buf, n + 1);
    return USHER_OK;
}

static const char *const yes_words[] = {"yes", "y", "true", "1", "x", "ja", "oui", "si", "sí"};
static const char *const no_words[] = {"no", "n", "false", "0", "nein", "non", "-"};

bool ticket_attention_parse(const char *s, size_t n, bool *out)
{
    if (!s)
        return false;
    trim(&s, &n);
    if (n == 0) {
        *out = false;
        return true;
    }
    for (size_t k = 0; k < sizeof yes_words / sizeof *yes_words; k++)
        if (ci_equal(s, n, yes_words[k])) {
            *out = true;
            return true;
        }
    for (size_t k = 0; k < sizeof no_words / sizeof *no_words; k++)
        if (ci_equal(s, n, no_words[k])) {
            *out = false;
            return true;
        }
    return false;
}

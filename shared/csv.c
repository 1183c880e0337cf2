/* csv.c - an RFC 4180 record reader: bytes to records of unquoted fields, with
 * physical line numbers and quoting flaws marked rather than refused. */
#include "csv.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum tok_state {
    T_FIELD,  /* unquoted field (or start of a field) */
    T_QUOTED, /* inside quotes */
    T_QUOTE,  /* a quote inside quotes: closing, or the first of a pair */
    T_AFTER,  /* after the closing quote: only spaces until , or line end */
};

/* The field being read. */
typedef struct tok {
    enum tok_state state;
    size_t start;    /* buf offset where the field began */
    bool only_space; /* unquoted content so far is only spaces and tabs */
    csv_flaw flaw;
    int flaw_line;
    int qline; /* line of the opening quote */
} tok;

struct csv_reader {
    const unsigned char *p;
    size_t n, i;
    int line;     /* physical line of the next byte */
    bool prev_cr; /* the last byte was a CR (a following LF ends no new line) */
    char *buf;    /* the current record's fields, each followed by a NUL */
    size_t len, cap;
    size_t *offs; /* where each field starts in buf (buf moves as it grows) */
    csv_field *fields;
    size_t nfields, fcap;
    unsigned char sep; /* the field separator: ',' ';' or '\t' */
};

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

csv_reader *csv_reader_new(const char *data, size_t len)
{
    return csv_reader_new_sep(data, len, ',');
}

csv_reader *csv_reader_new_sep(const char *data, size_t len, char sep)
{
    if ((!data && len) || (sep != ',' && sep != ';' && sep != '\t'))
        return NULL;
    csv_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};
    r->p = (const unsigned char *)data;
    r->n = len;
    r->line = 1;
    r->sep = (unsigned char)sep;
    if (len >= 3 && memcmp(data, bom, 3) == 0)
        r->i = 3;
    return r;
}

void csv_reader_free(csv_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->offs);
    free(r->fields);
    free(r);
}

static usher_err buf_append(csv_reader *r, unsigned char c)
{
    if (r->len == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        char *buf = realloc(r->buf, cap);
        if (!buf)
            return USHER_NOMEM;
        r->buf = buf;
        r->cap = cap;
    }
    r->buf[r->len++] = (char)c;
    return USHER_OK;
}

static usher_err fields_reserve(csv_reader *r)
{
    if (r->nfields < r->fcap)
        return USHER_OK;
    size_t cap = r->fcap ? r->fcap * 2 : 8;
    size_t *offs = realloc(r->offs, cap * sizeof *offs);
    if (!offs)
        return USHER_NOMEM;
    r->offs = offs;
    csv_field *fields = realloc(r->fields, cap * sizeof *fields);
    if (!fields)
        return USHER_NOMEM;
    r->fields = fields;
    r->fcap = cap;
    return USHER_OK;
}

static usher_err end_field(csv_reader *r, tok *t)
{
    usher_err err = fields_reserve(r);
    if (!err)
        err = buf_append(r, '\0');
    if (err)
        return err;
    r->offs[r->nfields] = t->start;
    r->fields[r->nfields++] =
        (csv_field){NULL, r->len - 1 - t->start, t->flaw, t->flaw ? t->flaw_line : 0};
    *t = (tok){.state = T_FIELD, .start = r->len, .only_space = true};
    return USHER_OK;
}

static void mark_flaw(const csv_reader *r, tok *t, csv_flaw flaw)
{
    if (t->flaw)
        return; /* the first one says enough */
    t->flaw = flaw;
    t->flaw_line = r->line;
}

/* Feeds one byte to the field being read; *eol is set when it ended the record. */
static usher_err tok_byte(csv_reader *r, tok *t, unsigned char c, bool *eol)
{
    bool line_end = c == '\r' || c == '\n';
    switch (t->state) {
    case T_QUOTED:
        if (c == '"') {
            t->state = T_QUOTE;
            return USHER_OK;
        }
        return buf_append(r, c);
    case T_QUOTE:
        if (c == '"') {
            t->state = T_QUOTED;
            return buf_append(r, c);
        }
        t->state = T_AFTER;
        return tok_byte(r, t, c, eol);
    case T_AFTER:
        if (c == r->sep || line_end) {
            *eol = line_end;
            return end_field(r, t);
        }
        if (!is_blank(c))
            mark_flaw(r, t, CSV_FLAW_TEXT_AFTER_QUOTE);
        return USHER_OK;
    case T_FIELD:
        break;
    }
    if (c == r->sep || line_end) {
        *eol = line_end;
        return end_field(r, t);
    }
    if (c == '"' && t->only_space && !t->flaw) {
        r->len = t->start; /* spaces before an opening quote are not content */
        t->state = T_QUOTED;
        t->qline = r->line;
        return USHER_OK;
    }
    if (c == '"')
        mark_flaw(r, t, CSV_FLAW_STRAY_QUOTE);
    if (!is_blank(c))
        t->only_space = false;
    return buf_append(r, c);
}

/* Reads bytes up to the end of the record (or of the data) into the reader. */
static usher_err read_record(csv_reader *r, int *qline)
{
    tok t = {.state = T_FIELD, .only_space = true};
    bool eol = false;
    while (!eol && r->i < r->n) {
        unsigned char c = r->p[r->i++];
        bool newline = c == '\r' || (c == '\n' && !r->prev_cr);
        r->prev_cr = c == '\r';
        if (newline && r->line < INT_MAX)
            r->line++;
        usher_err err = tok_byte(r, &t, c, &eol);
        if (err)
            return err;
    }
    if (eol)
        return USHER_OK;
    *qline = t.state == T_QUOTED ? t.qline : 0;
    return end_field(r, &t);
}

usher_err csv_next(csv_reader *r, csv_record *rec, bool *got)
{
    r->len = r->nfields = 0;
    if (r->prev_cr && r->i < r->n && r->p[r->i] == '\n') {
        r->i++; /* the LF of a CRLF that ended the last record */
        r->prev_cr = false;
    }
    if (r->i >= r->n) {
        *got = false;
        return USHER_OK;
    }
    int line = r->line, qline = 0;
    usher_err err = read_record(r, &qline);
    if (err)
        return err;
    for (size_t k = 0; k < r->nfields; k++)
        r->fields[k].text = r->buf + r->offs[k];
    *rec = (csv_record){
        .fields = r->fields,
        .count = r->nfields,
        .line = line,
        .unterminated = qline > 0,
        .quote_line = qline,
    };
    *got = true;
    return USHER_OK;
}

bool csv_record_blank(const csv_record *rec)
{
    for (size_t k = 0; k < rec->count; k++) {
        const csv_field *f = &rec->fields[k];
        if (f->flaw)
            return false;
        for (size_t j = 0; j < f->len; j++)
            if (!is_blank((unsigned char)f->text[j]))
                return false;
    }
    return !rec->unterminated;
}

/* ticket_import.c - ticket office exports: encoding, separator, the formats
 * known by their header rows, the organiser's mapping; the rows themselves
 * are read by ticket.c. Where each header row comes from: tests/data/imports/. */
#include "ticket_import.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "text.h"

#define MAXC 4 /* candidates a field may have */

/* One export format. A field's candidates are header cells, the first present
 * wins; `first`/`last` make the name when no full-name column is there. */
typedef struct export_format {
    const char *name;
    const char *need[6]; /* all present: this is the format */
    const char *code[MAXC];
    const char *no_code; /* why a file without any code column cannot be read */
    const char *full[MAXC];
    const char *first, *last;
    const char *klass[MAXC];
    const char *status[MAXC];
    const char *seat[MAXC];
    const char *note[MAXC];
    const char *attention[MAXC];
} export_format;

#define NO_CODE_HINT "or name the column that holds each ticket's own code with --map code=COLUMN"

static const export_format formats[] = {
    {
        .name = "pretix check-in list",
        .need = {"Order code", "Attendee name", "Product", "Checked in"},
        .code = {"Secret"},
        .no_code = "this pretix check-in list has no Secret column, and an order code is shared by "
                   "every ticket of an order: export it again with \"Include QR-code secrets\" "
                   "ticked, " NO_CODE_HINT,
        .full = {"Attendee name"},
        .klass = {"Product"},
        .seat = {"Seat ID"},
        .note = {"Comment"},
        .attention = {"Requires special attention", "Special attention"},
    },
    {
        .name = "pretix order data (order positions)",
        .need = {"Order code", "Position ID", "Attendee name", "Product"},
        .code = {"Ticket secret", "Secret"},
        .no_code = "this pretix export has no Ticket secret column, and an order code is shared by "
                   "every ticket of an order: export \"Order data\" from a pretix version that "
                   "lists ticket secrets, " NO_CODE_HINT,
        .full = {"Attendee name"},
        .klass = {"Product"},
        .status = {"Status"},
        .seat = {"Seat ID"},
        .note = {"Order comment", "Comment"},
        .attention = {"Requires special attention", "Special attention"},
    },
    {
        .name = "Eventbrite attendee report",
        .need = {"Order #", "First Name", "Last Name", "Ticket Type"},
        .code = {"Barcode #", "Barcode", "Attendee #"},
        .no_code =
            "this Eventbrite report has neither Barcode # nor Attendee #, and an order number "
            "is shared by every ticket of an order: add the barcode column to the attendee "
            "report, " NO_CODE_HINT,
        .first = "First Name",
        .last = "Last Name",
        .klass = {"Ticket Type"},
        .status = {"Attendee Status", "Status"},
        .seat = {"Seat", "Seating"},
        .note = {"Notes"},
    },
    {
        .name = "Tito tickets",
        .need = {"Ticket Reference", "Ticket First Name", "Ticket Last Name"},
        .code = {"Ticket Reference"},
        .no_code = NO_CODE_HINT,
        .full = {"Ticket Full Name"},
        .first = "Ticket First Name",
        .last = "Ticket Last Name",
        .klass = {"Ticket", "Release"},
        .status = {"Void Status", "Status"},
        .note = {"Tags"},
    },
    {
        .name = "Ticket Tailor issued tickets",
        .need = {"Barcode", "Ticket type", "Order ID"},
        .code = {"Barcode"},
        .no_code = NO_CODE_HINT,
        .full = {"Full name", "Name"},
        .first = "First name",
        .last = "Last name",
        .klass = {"Ticket type"},
        .status = {"Status"},
        .seat = {"Seat", "Reserved seat"},
        .note = {"Notes"},
    },
    {
        .name = "Hi.Events attendees",
        .need = {"Public ID", "Short ID", "First Name", "Last Name", "Product Name"},
        .code = {"Public ID"},
        .no_code = NO_CODE_HINT,
        .first = "First Name",
        .last = "Last Name",
        .klass = {"Product Name"},
        .status = {"Status"},
        .note = {"Notes"},
    },
    {
        .name = "Usher tickets (ticket_number,full_name[,class])",
        .need = {"ticket_number", "full_name"},
        .code = {"ticket_number"},
        .no_code = NO_CODE_HINT,
        .full = {"full_name"},
        .klass = {"class"},
        .status = {"status"},
        .seat = {"seat"},
        .note = {"note"},
        .attention = {"attention"},
    },
};

#define MAPPED_NAME "your mapping (--map)"

static const char *const field_names[TICKET_FIELD_COUNT] = {"code", "name", "class",    "status",
                                                            "seat", "note", "attention"};

const char *ticket_field_name(ticket_field f)
{
    return f >= 0 && f < TICKET_FIELD_COUNT ? field_names[f] : "";
}

const char *ticket_import_sep_name(char sep)
{
    return sep == ';' ? "semicolon" : sep == '\t' ? "tab" : "comma";
}

void ticket_import_release(ticket_import *ti)
{
    if (!ti)
        return;
    ticket_list_release(&ti->tickets);
    ticket_parse_extra_release(&ti->more);
    memset(ti, 0, sizeof *ti);
}

/* ---- the header row ------------------------------------------------------------ */

typedef struct header {
    char **cells; /* trimmed */
    size_t n;
    int line;
} header;

static void header_release(header *h)
{
    for (size_t k = 0; k < h->n; k++)
        free(h->cells[k]);
    free(h->cells);
}

/* The separator the header row (its first non-blank line) uses most, outside
 * quotes: a comma when none appears. */
static char detect_sep(const char *s, size_t len)
{
    size_t k = 0;
    while (k < len && (s[k] == '\r' || s[k] == '\n' || s[k] == ' '))
        k++;
    size_t comma = 0, semi = 0, tab = 0;
    bool quoted = false;
    for (; k < len; k++) {
        char c = s[k];
        if (c == '"')
            quoted = !quoted;
        else if (!quoted && (c == '\n' || c == '\r'))
            break;
        else if (!quoted && c == ',')
            comma++;
        else if (!quoted && c == ';')
            semi++;
        else if (!quoted && c == '\t')
            tab++;
    }
    if (tab > comma && tab >= semi)
        return '\t';
    if (semi > comma)
        return ';';
    return ',';
}

static usher_err read_header(const char *s, size_t len, char sep, header *h, usher_errmsg *em)
{
    csv_reader *r = csv_reader_new_sep(s, len, sep);
    if (!r)
        return USHER_NOMEM;
    csv_record rec;
    bool got = false;
    usher_err err;
    do
        err = csv_next(r, &rec, &got);
    while (!err && got && csv_record_blank(&rec));
    if (err)
        goto out;
    if (!got) {
        err = usher_fail(em, USHER_PARSE,
                         "the file is empty: the first line must name the columns, e.g. "
                         "\"ticket_number,full_name,class\"");
        goto out;
    }
    if (!(h->cells = calloc(rec.count, sizeof *h->cells))) {
        err = USHER_NOMEM;
        goto out;
    }
    h->line = rec.line;
    for (size_t k = 0; k < rec.count; k++) {
        const char *t = rec.fields[k].text;
        size_t n = rec.fields[k].len;
        while (n && (*t == ' ' || *t == '\t'))
            t++, n--;
        while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
            n--;
        if (!(h->cells[k] = malloc(n + 1))) {
            err = USHER_NOMEM;
            goto out;
        }
        memcpy(h->cells[k], t, n);
        h->cells[k][n] = '\0';
        h->n = k + 1;
    }
out:
    csv_reader_free(r);
    return err;
}

static bool ci_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y)
            return false;
    }
    return !*a && !*b;
}

static int header_find(const header *h, const char *name)
{
    if (!name)
        return -1;
    for (size_t k = 0; k < h->n; k++)
        if (ci_eq(h->cells[k], name))
            return (int)k;
    return -1;
}

static void map_set(ticket_import_map *m, const header *h, int col)
{
    if (col < 0 || m->ncols >= TICKET_NAME_PARTS)
        return;
    m->cols[m->ncols] = col;
    text_copy(m->names[m->ncols], sizeof m->names[m->ncols], h->cells[col]);
    m->ncols++;
}

static void map_first(ticket_import_map *m, const header *h, const char *const *cands)
{
    for (int k = 0; k < MAXC && cands[k]; k++) {
        int col = header_find(h, cands[k]);
        if (col >= 0) {
            map_set(m, h, col);
            return;
        }
    }
}

static bool format_matches(const export_format *f, const header *h)
{
    for (size_t k = 0; k < sizeof f->need / sizeof *f->need && f->need[k]; k++)
        if (header_find(h, f->need[k]) < 0)
            return false;
    return true;
}

static void map_format(const export_format *f, const header *h, ticket_import *ti)
{
    ticket_import_map *m = ti->map;
    map_first(&m[TICKET_FIELD_CODE], h, f->code);
    map_first(&m[TICKET_FIELD_NAME], h, f->full);
    if (!m[TICKET_FIELD_NAME].ncols) {
        map_set(&m[TICKET_FIELD_NAME], h, header_find(h, f->first));
        map_set(&m[TICKET_FIELD_NAME], h, header_find(h, f->last));
    }
    map_first(&m[TICKET_FIELD_CLASS], h, f->klass);
    map_first(&m[TICKET_FIELD_STATUS], h, f->status);
    map_first(&m[TICKET_FIELD_SEAT], h, f->seat);
    map_first(&m[TICKET_FIELD_NOTE], h, f->note);
    map_first(&m[TICKET_FIELD_ATTENTION], h, f->attention);
}

/* The header's cells for a message: "A, B, C" (cut short when long). */
static void header_list(const header *h, char *out, size_t cap)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t k = 0; k < h->n && o + 1 < cap; k++) {
        int n = snprintf(out + o, cap - o, "%s\"%s\"", k ? ", " : "", h->cells[k]);
        if (n < 0 || (size_t)n >= cap - o) {
            if (cap > 4)
                memcpy(out + cap - 4, "...", 4);
            return;
        }
        o += (size_t)n;
    }
}

/* ---- --map ------------------------------------------------------------------- */

static usher_err map_column(const header *h, const char *want, int *col, usher_errmsg *em)
{
    *col = header_find(h, want);
    if (*col >= 0)
        return USHER_OK;
    int64_t num;
    if (text_parse_i64(want, 1, (int64_t)h->n, &num)) {
        *col = (int)num - 1;
        return USHER_OK;
    }
    char cols[300];
    header_list(h, cols, sizeof cols);
    return usher_fail(em, USHER_PARSE,
                      "--map names a column \"%s\" that the header row does not have; it has %s",
                      want, cols);
}

static bool trim_copy(char *out, size_t cap, const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= cap)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

static usher_err apply_one(ticket_import *ti, const header *h, const char *pair, size_t n,
                           usher_errmsg *em)
{
    const char *eq = memchr(pair, '=', n);
    char key[16], val[256];
    if (!eq || !trim_copy(key, sizeof key, pair, (size_t)(eq - pair)) ||
        !trim_copy(val, sizeof val, eq + 1, n - (size_t)(eq - pair) - 1))
        return usher_fail(em, USHER_PARSE,
                          "--map takes FIELD=COLUMN pairs separated by commas, e.g. "
                          "code=Barcode,name=First Name+Last Name,class=Ticket Type");
    ticket_field f = TICKET_FIELD_COUNT;
    for (int k = 0; k < TICKET_FIELD_COUNT; k++)
        if (ci_eq(key, field_names[k]))
            f = (ticket_field)k;
    if (f == TICKET_FIELD_COUNT)
        return usher_fail(em, USHER_PARSE,
                          "--map knows the fields code, name, class, status, seat, note and "
                          "attention, not \"%s\"",
                          key);
    ticket_import_map m = {0};
    size_t vlen = strlen(val);
    if (vlen && val[vlen - 1] == '+')
        return usher_fail(em, USHER_PARSE, "--map %s= has an empty column name", key);
    const char *p = val;
    while (*p) {
        const char *plus = f == TICKET_FIELD_NAME ? strchr(p, '+') : NULL;
        size_t len = plus ? (size_t)(plus - p) : strlen(p);
        char part[256];
        trim_copy(part, sizeof part, p, len);
        if (!part[0])
            return usher_fail(em, USHER_PARSE, "--map %s= has an empty column name", key);
        if (m.ncols == TICKET_NAME_PARTS)
            return usher_fail(em, USHER_PARSE, "--map name= joins at most %d columns",
                              TICKET_NAME_PARTS);
        int col;
        usher_err err = map_column(h, part, &col, em);
        if (err)
            return err;
        map_set(&m, h, col);
        p += len + (plus ? 1 : 0);
    }
    ti->map[f] = m; /* an empty value drops the field */
    return USHER_OK;
}

static usher_err apply_map(ticket_import *ti, const header *h, const char *spec, usher_errmsg *em)
{
    const char *p = spec;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        usher_err err = apply_one(ti, h, p, n, em);
        if (err)
            return err;
        p += n + (comma ? 1 : 0);
    }
    return USHER_OK;
}

/* ---- reading ----------------------------------------------------------------- */

void ticket_import_map_text(const ticket_import *ti, ticket_field f, char *out, size_t cap)
{
    const ticket_import_map *m = &ti->map[f];
    if (!cap)
        return;
    if (!m->ncols) {
        snprintf(out, cap, "-");
        return;
    }
    size_t o = 0;
    out[0] = '\0';
    for (int k = 0; k < m->ncols && o < cap; k++) {
        int n = snprintf(out + o, cap - o, "%s\"%s\"", k ? " + " : "", m->names[k]);
        if (n < 0)
            break;
        o += (size_t)n;
    }
}

/* Which format the header row is, and its mapping; with a map spec the
 * organiser's pairs override. */
static usher_err find_mapping(ticket_import *ti, const header *h, const char *spec,
                              const export_format **fmt, usher_errmsg *em)
{
    *fmt = NULL;
    for (size_t k = 0; k < sizeof formats / sizeof *formats; k++)
        if (format_matches(&formats[k], h)) {
            *fmt = &formats[k];
            break;
        }
    if (*fmt) {
        ti->format = (*fmt)->name;
        map_format(*fmt, h, ti);
    }
    if (spec && *spec) {
        usher_err err = apply_map(ti, h, spec, em);
        if (err)
            return err;
        if (!*fmt)
            ti->format = MAPPED_NAME;
    }
    if (ti->map[TICKET_FIELD_CODE].ncols && ti->map[TICKET_FIELD_NAME].ncols)
        return USHER_OK;
    if (*fmt && !ti->map[TICKET_FIELD_CODE].ncols)
        return usher_fail(em, USHER_PARSE, "%s", (*fmt)->no_code);
    char cols[300];
    header_list(h, cols, sizeof cols);
    if (spec && *spec)
        return usher_fail(em, USHER_PARSE, "--map must name the %s column too (the header has %s)",
                          ti->map[TICKET_FIELD_CODE].ncols ? "name" : "code", cols);
    return usher_fail(em, USHER_PARSE,
                      "line %d: the header row is no export Usher knows (pretix, Eventbrite, Tito, "
                      "Ticket Tailor, Hi.Events) and has no ticket_number and full_name columns; "
                      "name the columns with --map code=COLUMN,name=COLUMN+COLUMN,class=COLUMN "
                      "(the header has %s)",
                      h->line, cols);
}

usher_err ticket_import_read(const char *data, size_t len, const char *map_spec, ticket_import *out,
                             csv_report *rep, usher_errmsg *em)
{
    if (!out || (!data && len))
        return usher_fail(em, USHER_INVAL, "ticket_import_read: bad arguments");
    ticket_import ti = {0};
    header h = {0};
    char *text = NULL;
    size_t n = 0;
    const export_format *fmt;
    usher_err err = textenc_decode(data, len, &text, &n, &ti.encoding, em);
    if (err)
        return err;
    ti.sep = detect_sep(text, n);
    if ((err = read_header(text, n, ti.sep, &h, em)))
        goto fail;
    if ((err = find_mapping(&ti, &h, map_spec, &fmt, em)))
        goto fail;
    ticket_columns cols = {.klass = -1, .status = -1, .seat = -1, .note = -1, .attention = -1};
    cols.code = ti.map[TICKET_FIELD_CODE].cols[0];
    cols.nname = ti.map[TICKET_FIELD_NAME].ncols;
    memcpy(cols.name, ti.map[TICKET_FIELD_NAME].cols, sizeof cols.name);
    if (ti.map[TICKET_FIELD_CLASS].ncols)
        cols.klass = ti.map[TICKET_FIELD_CLASS].cols[0];
    if (ti.map[TICKET_FIELD_STATUS].ncols)
        cols.status = ti.map[TICKET_FIELD_STATUS].cols[0];
    if (ti.map[TICKET_FIELD_NOTE].ncols)
        cols.note = ti.map[TICKET_FIELD_NOTE].cols[0];
    if (ti.map[TICKET_FIELD_ATTENTION].ncols)
        cols.attention = ti.map[TICKET_FIELD_ATTENTION].cols[0];
    if (ti.map[TICKET_FIELD_SEAT].ncols)
        cols.seat = ti.map[TICKET_FIELD_SEAT].cols[0];
    ticket_parse_opts opts = {.sep = ti.sep, .cols = &cols};
    err = ticket_csv_parse_ex(text, n, &opts, &ti.tickets, &ti.more, rep);
    if (err == USHER_PARSE)
        usher_fail(em, USHER_PARSE, "%zu problem%s in the file", rep ? rep->total : 0,
                   rep && rep->total == 1 ? "" : "s");
    if (err)
        goto fail;
    header_release(&h);
    free(text);
    ticket_import_release(out);
    *out = ti;
    return USHER_OK;
fail:
    header_release(&h);
    free(text);
    ticket_import_release(&ti);
    return err;
}

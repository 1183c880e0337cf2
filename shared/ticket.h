/* ticket.h - tickets from the organisers: CSV import (RFC 4180). What a ticket
 * code is (characters, normal form, generated codes, strong or weak) is
 * ticketcode.h's.
 */
#ifndef USHER_TICKET_H
#define USHER_TICKET_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"
#include "error.h"
#include "ticketcode.h"

typedef struct ticket_rec {
    char code[USHER_CODE_SIZE];
    char name[USHER_NAME_SIZE];
    char klass[USHER_CLASS_SIZE];
    char seat[USHER_SEAT_ID_SIZE];     /* a seat the file pre-assigns; "" = none (guests choose) */
    int line;                          /* the file's physical line; 0 when not from a file */
    char note[USHER_TICKET_NOTE_SIZE]; /* for door staff; "" = none */
    bool attention;                    /* requires special attention */
    bool noted; /* the file had a note or attention column: a re-import sets both */
} ticket_rec;

/* A growable array of ticket records; init with {0}, release with
 * ticket_list_release. */
typedef struct ticket_list {
    ticket_rec *items;
    size_t count, cap;
} ticket_list;

usher_err ticket_list_push(ticket_list *tl, const ticket_rec *rec) USHER_MUST_CHECK;

/* Classifies the list's codes as one file (ticketcode_classify). USHER_NOMEM
 * (and *out weak) when memory runs out. */
usher_err ticket_list_classify(const ticket_list *tl, ticketcode_report *out) USHER_MUST_CHECK;
void ticket_list_release(ticket_list *tl);

/* One problem found in a CSV file. The message starts with "line N: " and
 * reads whole, so a caller only prefixes the file name
 * ("tickets.csv line 14: missing ticket number"). */
typedef struct csv_problem {
    int line; /* 1-based physical line where the record starts */
    char message[256];
} csv_problem;

/* Every problem of one import, in file order; at most CSV_MAX_PROBLEMS kept,
 * `total` counts them all. Init with {0}; release with csv_report_release. */
#define CSV_MAX_PROBLEMS 1000
typedef struct csv_report {
    csv_problem *items;
    size_t count, cap;
    size_t total;
} csv_report;

void csv_report_release(csv_report *r);

/* Adds one problem of line `line` to rep: the message reads "line N: " and
 * then fmt. Only the first CSV_MAX_PROBLEMS keep their text; total counts all.
 * rep may be NULL (nothing kept). USHER_NOMEM. */
usher_err csv_report_add(csv_report *rep, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses the organisers' CSV: a header line naming ticket_number, full_name and
 * optionally class (any order, case-insensitive, extra columns ignored), then
 * one ticket a record. RFC 4180: quoted fields with commas, doubled quotes and
 * newlines; CRLF, LF or a lone CR; a leading UTF-8 BOM; a last line with or
 * without a newline. Spaces around a quoted field are tolerated. Every field
 * is trimmed of surrounding spaces and tabs. Codes are upper-cased and must be
 * [A-Z0-9-]{1,32}; names are kept otherwise byte for byte and must be 1..256
 * bytes of valid UTF-8 without control characters (a name is shown on one
 * line, so a quoted name holding a line break is refused); a class is
 * [A-Za-z0-9 _-]{0,16}, "" when the column is absent. Blank lines (and rows
 * whose fields are all empty, as spreadsheets export) are skipped. Line
 * numbers are physical lines, so they match what an editor shows.
 *
 * All or nothing: when any record is bad (missing code or name, bad
 * characters, over-long field, invalid UTF-8, duplicate code, too few fields,
 * unterminated or stray quote, more than USHER_MAX_TICKETS rows) every problem
 * goes into rep (may be NULL) and the function returns USHER_PARSE with out
 * untouched. On success the records are appended to out. USHER_NOMEM when
 * memory runs out (out untouched). */
usher_err ticket_csv_parse(const char *data, size_t len, ticket_list *out,
                           csv_report *rep) USHER_MUST_CHECK;

/* Which field of a record holds what, for a ticket office's export (see
 * ticket_import.h, which finds them from the header row). -1 = no such
 * column. A name may be several columns (first + last), joined with one
 * space, empty parts left out. */
#define TICKET_NAME_PARTS 4
typedef struct ticket_columns {
    int code;
    int name[TICKET_NAME_PARTS];
    int nname;
    int klass;
    int status;    /* a row whose status is void/cancelled/refunded... is set aside */
    int seat;      /* a pre-assigned seat id ("" = none); ignored on void rows */
    int note;      /* a note for door staff (ticket_note_clean's rules) */
    int attention; /* yes/no (ticket_attention_parse) */
} ticket_columns;

/* How ticket_csv_parse_ex reads a file. Zeroed = ticket_csv_parse's rules,
 * except that whitespace inside names is folded (below). */
typedef struct ticket_parse_opts {
    char sep;                   /* ',' (when 0), ';' or '\t' */
    const ticket_columns *cols; /* NULL: the header names ticket_number, full_name[, class] */
    bool strict_space;          /* refuse a name holding a tab or a line break */
} ticket_parse_opts;

/* What a parse found besides the tickets. Init with {0}; release with
 * ticket_parse_extra_release. */
typedef struct ticket_parse_extra {
    ticket_list voided;  /* rows whose status says void/cancelled (code; name may be "") */
    csv_report warnings; /* fixed without refusing: "line 7: the name held a line break..." */
} ticket_parse_extra;

void ticket_parse_extra_release(ticket_parse_extra *x);

/* ticket_csv_parse with options: the field separator, the columns (the first
 * non-blank record is then the header and is skipped; a seat column's cells
 * must be seat ids, [A-Za-z0-9_.-]{1,16} or empty, and no seat may be given
 * to two tickets of the file), and names whose tabs,
 * line breaks and runs of spaces are folded into one space with a warning in
 * extra (unless strict_space). A name holding U+FFFD (a character some
 * earlier conversion lost) is refused. Rows whose status column reads void,
 * voided, cancelled, canceled, refunded, deleted, expired or not attending go into
 * extra->voided, not out (their code must still be valid; names are not
 * checked). All or nothing as ticket_csv_parse: on USHER_PARSE out and extra's
 * lists are untouched and rep holds every problem. extra may be NULL. */
usher_err ticket_csv_parse_ex(const char *data, size_t len, const ticket_parse_opts *opts,
                              ticket_list *out, ticket_parse_extra *extra,
                              csv_report *rep) USHER_MUST_CHECK;

/* A name typed by an organiser (a correction), by the import's rules: trimmed,
 * tabs, line breaks and runs of spaces folded to one space, then 1..256 bytes
 * of UTF-8 without control characters or U+FFFD. Writes it into out and
 * returns USHER_OK, or USHER_INVAL with the reason in em (out untouched). */
usher_err ticket_name_clean(const char *in, char out[USHER_NAME_SIZE],
                            usher_errmsg *em) USHER_MUST_CHECK;

/* A class by the import's rules: [A-Za-z0-9 _-]{0,16} after trimming ("" = no
 * class). USHER_INVAL with the reason in em (out untouched). */
usher_err ticket_class_clean(const char *in, char out[USHER_CLASS_SIZE],
                             usher_errmsg *em) USHER_MUST_CHECK;

/* A ticket's note for door staff (a file's cell or an organiser's edit):
 * trimmed, tabs, line breaks and runs of spaces folded to one space (a note is
 * shown on a few lines of a door's screen), then 0..200 bytes of UTF-8
 * without control characters or U+FFFD ("" = no note). USHER_INVAL with the
 * reason in em (out untouched). */
usher_err ticket_note_clean(const char *in, char out[USHER_TICKET_NOTE_SIZE],
                            usher_errmsg *em) USHER_MUST_CHECK;

/* Reads a "requires special attention" cell: yes, y, true, 1, x, ja, oui, si
 * mean true; no, n, false, 0, nein, non, - and "" mean false (any case,
 * trimmed). false when the cell is none of them (*out untouched). */
bool ticket_attention_parse(const char *s, size_t n, bool *out);

/* True for a status cell that means the ticket no longer admits anyone
 * (void, voided, cancelled, canceled, refunded, deleted, expired, not attending;
 * any case). */
bool ticket_status_is_void(const char *s, size_t n);

#endif

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
    char message[160];
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

#endif

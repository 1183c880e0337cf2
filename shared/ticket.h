/* ticket.h - tickets from the organisers: CSV import (RFC 4180) and generated codes.
 *
 * Ticket codes are what guests type: [A-Z0-9-]{1,32}, compared upper-cased.
 * Generated codes look like "GALA-7KQ3M-XH2PC": a prefix, ten random base32
 * (Crockford) characters from libsodium, and a check character that catches
 * any single mistyped character or swapped neighbours.
 */
#ifndef USHER_TICKET_H
#define USHER_TICKET_H

#include <stdbool.h>
#include <stddef.h>

#include "domain.h"
#include "error.h"

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
void ticket_list_release(ticket_list *tl);

/* One problem found in a CSV file. */
typedef struct csv_problem {
    int line;            /* 1-based physical line where the record starts */
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
 * newlines; CRLF or LF; a leading UTF-8 BOM; a last line with or without a
 * newline. Names are kept byte for byte (valid UTF-8 required); codes are
 * upper-cased. Blank lines are skipped.
 *
 * All or nothing: when any record is bad (missing code or name, bad code
 * characters, over-long field, invalid UTF-8, duplicate code, unterminated
 * quote) every problem goes into rep and the function returns USHER_PARSE with
 * out untouched. On success the records are appended to out. */
usher_err ticket_csv_parse(const char *data, size_t len, ticket_list *out, csv_report *rep)
    USHER_MUST_CHECK;

/* Normalises a typed code in place (trims spaces, upper-cases) and checks its
 * charset and length. Returns false when it cannot be a ticket code. */
bool ticket_code_normalize(char *code);

/* Writes a fresh unguessable code "PREFIX-XXXXX-XXXXC" into out. The prefix
 * is 1..12 chars of [A-Z0-9] (upper-cased); "" gives "XXXXX-XXXXC". */
usher_err ticket_code_generate(const char *prefix, char out[USHER_CODE_SIZE], usher_errmsg *em)
    USHER_MUST_CHECK;

/* True when code has the shape of a generated code and its check character
 * matches (so a typo can be reported before any lookup). */
bool ticket_code_check_ok(const char *code);

/* True when code has the shape of a generated code (check char aside). */
bool ticket_code_is_generated(const char *code);

#endif

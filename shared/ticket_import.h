/* ticket_import.h - an organiser's ticket file as it comes from the ticket
 * office: its encoding (textenc), its separator (comma, semicolon or tab,
 * from the header row), its format (recognised by the header row: pretix,
 * Eventbrite, Tito, Ticket Tailor, Hi.Events, Usher's own) or the organiser's
 * mapping (`code=COLUMN,name=COLUMN+COLUMN,class=COLUMN,status=COLUMN,
 * seat=COLUMN,note=COLUMN,attention=COLUMN`), then
 * the tickets by ticket.c's rules. One code path for the CLI, the API and the
 * dashboard: the file's bytes go in, a summary and the tickets come out.
 */
#ifndef USHER_TICKET_IMPORT_H
#define USHER_TICKET_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "textenc.h"
#include "ticket.h"

/* What a field of Usher's tickets is read from. */
typedef enum ticket_field {
    TICKET_FIELD_CODE = 0,
    TICKET_FIELD_NAME,
    TICKET_FIELD_CLASS,
    TICKET_FIELD_STATUS,
    TICKET_FIELD_SEAT,      /* a pre-assigned seat id: the import seats the ticket there */
    TICKET_FIELD_NOTE,      /* a note for door staff (comments, "wheelchair, escort") */
    TICKET_FIELD_ATTENTION, /* yes/no: requires special attention at the door */
    TICKET_FIELD_COUNT,
} ticket_field;

/* "code", "name", "class", "status", "seat", "note", "attention". */
const char *ticket_field_name(ticket_field f);

#define TICKET_IMPORT_COLNAME 64
typedef struct ticket_import_map {
    int ncols; /* 0 = not mapped */
    int cols[TICKET_NAME_PARTS];
    char names[TICKET_NAME_PARTS][TICKET_IMPORT_COLNAME]; /* header text of each */
} ticket_import_map;

/* One file read. Init with {0}; release with ticket_import_release. */
typedef struct ticket_import {
    textenc encoding;
    char sep;           /* ',', ';' or '\t' */
    const char *format; /* "pretix check-in list", ..., "your mapping"; static text */
    ticket_import_map map[TICKET_FIELD_COUNT];
    ticket_list tickets;     /* rows to import, file order */
    ticket_parse_extra more; /* void rows and warnings */
} ticket_import;

void ticket_import_release(ticket_import *ti);

/* Reads a ticket file's bytes. map_spec (may be NULL or "") overrides or
 * completes the recognised format's mapping: comma-separated FIELD=COLUMN
 * pairs, FIELD one of code, name, class, status, seat, note, attention, COLUMN a header cell (any
 * case) or a 1-based column number, a name may join columns with '+', and an
 * empty COLUMN drops the field ("class="). On success fills *out (released
 * first). Errors: USHER_PARSE with every problem in rep (line by line, as
 * ticket_csv_parse) or, for problems of the file as a whole (encoding,
 * unrecognised header, a bad map_spec), one sentence in em saying what to do;
 * out is then untouched. USHER_NOMEM. */
usher_err ticket_import_read(const char *data, size_t len, const char *map_spec, ticket_import *out,
                             csv_report *rep, usher_errmsg *em) USHER_MUST_CHECK;

/* "comma", "semicolon", "tab". */
const char *ticket_import_sep_name(char sep);

/* Writes field f's columns as people read them ("\"First Name\" + \"Last
 * Name\"", "-" when unmapped) into out. */
void ticket_import_map_text(const ticket_import *ti, ticket_field f, char *out, size_t cap);

#endif

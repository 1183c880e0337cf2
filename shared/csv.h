/* csv.h - a reader of RFC 4180 CSV text that yields one record of fields at a
 * time, with the physical line each record starts on; it knows no columns.
 *
 * Accepted: quoted fields holding separators (a comma unless told otherwise), doubled quotes ("")
 * and line breaks; records ended by CRLF, LF or a lone CR; a leading UTF-8 BOM (skipped); a last
 * record with or without a line break. Spaces and tabs before an opening quote
 * and after a closing one are dropped; unquoted fields are kept byte for byte
 * (trimming is the caller's choice). Nothing is refused: a malformed field is
 * read on as best it can be and marked with a flaw, so a caller can report
 * every problem of a file in one pass. Line numbers are physical lines (a CRLF
 * is one line end), so they match what an editor shows.
 */
#ifndef USHER_CSV_H
#define USHER_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* What is wrong with a field's quoting; only its first flaw is kept. */
typedef enum csv_flaw {
    CSV_FLAW_NONE = 0,
    CSV_FLAW_STRAY_QUOTE,      /* a quote inside an unquoted field: a"b */
    CSV_FLAW_TEXT_AFTER_QUOTE, /* something other than spaces after "ab" */
} csv_flaw;

/* One field, unquoted. text[len] is '\0', but the field may itself hold NUL
 * bytes: len is its length. A field with a stray quote keeps it as text; text
 * after a closing quote is dropped ("ab"cd reads as ab). */
typedef struct csv_field {
    const char *text;
    size_t len;
    csv_flaw flaw;
    int flaw_line; /* physical line of the flaw; 0 without one */
} csv_field;

/* One record. An unterminated record is one whose quoted field runs to the end
 * of the data: that field holds the rest of the file, and quote_line says where
 * its opening quote was. */
typedef struct csv_record {
    const csv_field *fields; /* count >= 1 */
    size_t count;
    int line; /* physical line of the record's first byte, 1-based */
    bool unterminated;
    int quote_line; /* line of the unclosed opening quote; 0 unless unterminated */
} csv_record;

typedef struct csv_reader csv_reader;

/* Starts reading data[0..len). The reader keeps a pointer to data, which must
 * outlive it; data may be NULL when len is 0. Returns NULL when out of memory
 * or when data is NULL with len > 0. Free with csv_reader_free. */
csv_reader *csv_reader_new(const char *data, size_t len);

/* The same with another field separator: ',', ';' (Excel in much of Europe)
 * or '\t' (Excel's "Unicode text"). NULL for any other sep. */
csv_reader *csv_reader_new_sep(const char *data, size_t len, char sep);

void csv_reader_free(csv_reader *r); /* NULL is a no-op */

/* Reads the next record into *rec; *got is false (and *rec untouched) at the
 * end of the data. An empty line is a record of one empty field. rec's fields
 * belong to the reader and stay valid until the next csv_next or
 * csv_reader_free. USHER_NOMEM when memory runs out (the reader should then
 * be freed); rec and got are then untouched. */
usher_err csv_next(csv_reader *r, csv_record *rec, bool *got) USHER_MUST_CHECK;

/* True for a record with nothing in it: every field empty or only spaces and
 * tabs (an empty line, or ",," from a spreadsheet's empty row), none flawed,
 * and not unterminated. */
bool csv_record_blank(const csv_record *rec);

#endif

/* pgarray.h - PostgreSQL array literals in text form, built one element at a
 * time: {"T05-01","Smith, Jane \"JJ\""} and {1,0,42}. The PostgreSQL store
 * (coordpg.c) sends a group's rows as one such array a column, a parameter
 * of an INSERT ... SELECT FROM unnest(...). Pure: no libpq, no I/O.
 */
#ifndef USHER_PGARRAY_H
#define USHER_PGARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing literal; zero-initialise it. Owns s (pgarray_release frees). */
typedef struct pgarray {
    char *s;
    size_t len, cap;
    size_t count; /* elements added */
    bool nomem;   /* an allocation failed: pgarray_finish says NULL */
} pgarray;

/* Adds one text element, double-quoted with '"' and '\' escaped (so commas,
 * braces, spaces and NULL-looking words stay text). v NULL adds "". Text
 * that is not UTF-8 (which the database refuses) has its bytes from 0x80 up
 * made '?': one damaged name never fails a whole group. */
void pgarray_text(pgarray *a, const char *v);

/* Adds one whole number. */
void pgarray_i64(pgarray *a, int64_t v);

/* The literal, closed ("{}" with no element); NULL when memory ran out.
 * Valid until the next call on a; add nothing more before pgarray_clear. */
const char *pgarray_finish(pgarray *a);

/* Empties a for reuse, keeping its memory. */
void pgarray_clear(pgarray *a);

/* Frees a's memory; a is empty and reusable after. */
void pgarray_release(pgarray *a);

#endif

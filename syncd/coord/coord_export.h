/* coord_export.h - the organisers' CSV exports (assignments, check-ins, alerts),
 * shared by `usher-coord export` and the dashboard's download buttons. */
#ifndef USHER_COORD_EXPORT_H
#define USHER_COORD_EXPORT_H

#include <stdio.h>

#include "coorddb.h"
#include "error.h"

/* Writes one export ("assignments", "checkins" or "alerts") as RFC 4180 CSV
 * with a header line. Cells that a spreadsheet would run as a formula (=, +,
 * -, @ first) are prefixed with a quote. USHER_INVAL for an unknown name. */
usher_err coord_export(coorddb *db, const char *what, FILE *out, usher_errmsg *em) USHER_MUST_CHECK;

/* Writes one RFC 4180 cell (quoted when it holds a comma, quote or line
 * break; a leading = + - @ gets a quote so that a spreadsheet does not run it
 * as a formula). */
void coord_export_cell(FILE *out, const char *s);

/* True when what names an export. */
int coord_export_known(const char *what);

#endif

/* coord_pgdump.h - `usher-coord backup` of a PostgreSQL store: Debian's
 * pg_dump (package postgresql-client) run with an argument vector, never a
 * shell, into a temporary file beside the backup's name, which it takes only
 * once pg_dump succeeded. */
#ifndef USHER_COORD_PGDUMP_H
#define USHER_COORD_PGDUMP_H

#include "error.h"

/* Runs `PROG -Fc -d WHERE -f TMP` (PROG is "pg_dump", looked up in PATH)
 * with TMP a new file OUT.partial-XXXXXX beside OUT, then links TMP to OUT
 * and removes TMP: OUT appears whole or not at all, and an OUT that exists
 * (also one made meanwhile) is never overwritten (USHER_EXISTS). WHERE goes
 * to libpq as it is, so PGPASSFILE and the PG* environment apply. The whole
 * database is dumped: every event in it and the registry of events, in one
 * snapshot (pg_dump's), consistent while serve commits. A PROG missing from
 * PATH, failing (its exit status or signal and its own error text in the
 * message) or writing nothing leaves no file: USHER_IO. */
usher_err coord_pgdump(const char *prog, const char *where, const char *out,
                       usher_errmsg *em) USHER_MUST_CHECK;

#endif

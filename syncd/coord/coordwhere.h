/* coordwhere.h - what a coordinator's --db names: a SQLite file, or a
 * PostgreSQL database in libpq's own syntax (a postgresql:// URI or key=value
 * words with host= or dbname=), and the check that it carries no password.
 * Pure: no I/O, no libpq.
 */
#ifndef USHER_COORDWHERE_H
#define USHER_COORDWHERE_H

#include "error.h"

typedef enum {
    COORDWHERE_SQLITE = 1,     /* a file path */
    COORDWHERE_POSTGRESQL = 2, /* a libpq connection string */
} coordwhere_kind;

/* The kind a --db value names: POSTGRESQL for "postgresql://..." or
 * "postgres://..." and for key=value words of which one is host= or dbname=
 * ("host=/run/postgresql dbname=gala"); SQLITE for anything else (a file
 * name, which may hold '=' or spaces as long as it is not such words). */
coordwhere_kind coordwhere_kind_of(const char *where);

/* Checks a --db value before anything opens it: not empty, and for
 * PostgreSQL no password in it (a password= word, a ?password= parameter or
 * user:password@ in a URI): a command line is seen by every user of the
 * machine (ps) and kept in shell histories. USHER_INVAL with a sentence
 * naming libpq's PGPASSFILE (~/.pgpass) and PGPASSWORD. */
usher_err coordwhere_check(const char *where, usher_errmsg *em) USHER_MUST_CHECK;

/* An event's id, which selects one of the events a PostgreSQL database holds
 * (--event-id): 1 to 32 of a-z, 0-9 and '-', starting with a letter or a
 * digit ("spring-gala-2026"). The organiser chooses it at init; it never
 * changes, and it is what `usher-coord events` prints. */
#define COORDWHERE_EVENT_ID_SIZE 33

/* USHER_INVAL with a sentence saying the rule when id is not an event id. */
usher_err coordwhere_event_id_check(const char *id, usher_errmsg *em) USHER_MUST_CHECK;

/* The event id init proposes for an event name when the organiser gives
 * none: ASCII letters lowered, digits kept, every other run of bytes one
 * '-', none at either end, at most 32 bytes; "event" when nothing is left
 * ("Spring Gala 2026" -> "spring-gala-2026"). Always a valid event id. */
void coordwhere_event_id_from_name(const char *name, char out[COORDWHERE_EVENT_ID_SIZE]);

#endif

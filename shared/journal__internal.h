/* journal__internal.h - what journal.c lends the journal's other files
 * (journal_print.c); not part of libusher's API. */
#ifndef USHER_JOURNAL__INTERNAL_H
#define USHER_JOURNAL__INTERNAL_H

#include <sqlite3.h>

#include "journal.h"

/* The journal's connection (owned by j). */
sqlite3 *journal__db(journal *j);

#endif

/* wake.h - the kiosk's nudge to syncd: a datagram on a local socket named in the
 * journal, so that a new op is pushed at once instead of at the next poll.
 *
 * Names starting with '@' are Linux abstract sockets (no file to clean up);
 * others are file paths. A lost nudge costs only latency: syncd also polls.
 */
#ifndef USHER_WAKE_H
#define USHER_WAKE_H

#include <stddef.h>

#include "error.h"

#define WAKE_NAME_SIZE 108

/* The default name for the journal at db_path: "@usher-wake-<hash of the
 * absolute path>". */
void wake_default_name(const char *db_path, char out[WAKE_NAME_SIZE]);

/* Binds a non-blocking datagram socket to name; returns the fd (the caller
 * closes it) or -1 with a message. */
int wake_listen(const char *name, usher_errmsg *em);

/* Sends one empty datagram to name; silently does nothing when nobody
 * listens. Never blocks. */
void wake_send(const char *name);

/* Reads and discards every queued datagram on fd. */
void wake_drain(int fd);

#endif

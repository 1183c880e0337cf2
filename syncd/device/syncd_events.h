/* syncd_events.h - follows the coordinator's event stream (/v1/events) on a thread
 * of its own and nudges the sync loop through a pipe when anything changes,
 * so a seat taken elsewhere reaches this device within milliseconds. */
#ifndef USHER_SYNCD_EVENTS_H
#define USHER_SYNCD_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef struct syncd_events syncd_events;

/* Starts listening. Each event (and each successful connect) writes a byte to
 * notify_fd. The stream resumes from the last id seen. cacert as for
 * syncd_net_new. */
usher_err syncd_events_start(const char *base_url, const char *token, const char *cacert,
                             int notify_fd, syncd_events **out, usher_errmsg *em) USHER_MUST_CHECK;

/* Follows another coordinator from now (base_url as for start): the stream
 * ends and reconnects there at once, resuming from the last id seen (the
 * coordinators of one event share its log). */
void syncd_events_follow(syncd_events *ev, const char *base_url);

/* True while the stream is connected. */
bool syncd_events_connected(syncd_events *ev);

/* Stops the thread (within about a second) and frees; NULL is a no-op. */
void syncd_events_stop(syncd_events *ev);

#endif

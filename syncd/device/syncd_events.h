/* syncd_events.h - follows the coordinator's event stream (/v1/events) on a thread
 * of its own: each whole change frame, decoded, goes into a bounded queue
 * for the sync loop to apply (syncd_plan_stream), and the loop is nudged
 * through a pipe, so a seat taken elsewhere reaches this device within
 * milliseconds without a sync round per change. */
#ifndef USHER_SYNCD_EVENTS_H
#define USHER_SYNCD_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "op.h"

typedef struct syncd_events syncd_events;

/* The bytes written to notify_fd: SYNCD_EVENTS_CHANGES when changes were
 * queued (syncd_events_take), SYNCD_EVENTS_PULL when a sync round is wanted:
 * a (re)connect or a broken stream, a reset, a frame that did not decode,
 * the queue full (the change is dropped), or a change on a connection no
 * sync round has vouched for yet (syncd_events_trust). */
#define SYNCD_EVENTS_CHANGES 'c'
#define SYNCD_EVENTS_PULL 'e'
#define SYNCD_EVENTS_QUEUE 256 /* changes queued at most */

/* Starts listening. The stream resumes from the last id seen. cacert as for
 * syncd_net_new. */
usher_err syncd_events_start(const char *base_url, const char *token, const char *cacert,
                             int notify_fd, syncd_events **out, usher_errmsg *em) USHER_MUST_CHECK;

/* Follows another coordinator from now (base_url as for start): the stream
 * ends and reconnects there at once, resuming from the last id seen (the
 * coordinators of one event share its log). */
void syncd_events_follow(syncd_events *ev, const char *base_url);

/* Takes up to max queued changes, oldest first, into out: how many. */
size_t syncd_events_take(syncd_events *ev, change *out, size_t max);

/* A stream's changes are queued only once a sync round that began while it
 * was the current connection has worked: that round checked the
 * coordinator's log (syncd_plan_log_check), which the stream's frames do not
 * carry. The loop takes the connection's number before a round
 * (syncd_events_connection) and gives it back when the round worked
 * (syncd_events_trust; a number since replaced by a reconnect is ignored). */
uint64_t syncd_events_connection(syncd_events *ev);
void syncd_events_trust(syncd_events *ev, uint64_t connection);

/* True while the stream is connected. */
bool syncd_events_connected(syncd_events *ev);

/* Stops the thread (within about a second) and frees; NULL is a no-op. */
void syncd_events_stop(syncd_events *ev);

#endif

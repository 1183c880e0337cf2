/* coord_sse_plan.h - the arithmetic of the coordinator's event streams, pure
 * (no I/O, `now` an argument): a frame as an HTTP/1.1 chunk, what a partial
 * send leaves of it, how many streams a worker thread wakes at once, when a
 * stream is slow or due a keep-alive, and the watcher's key for a stream's
 * slot. coord_sse.c acts on the answers. */
#ifndef USHER_COORD_SSE_PLAN_H
#define USHER_COORD_SSE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A stream is sent a keep-alive comment when it has been silent this long
 * (less half a second: the watcher looks once a second). */
#define SSE_KEEPALIVE_MS 15000
/* Streams are woken per HTTP worker thread, in batches of SSE_BATCH; a batch
 * is refilled once it is down to SSE_REFILL; a stream still being written
 * SSE_SLOW_MS after it was woken no longer counts against its batch
 * (coord_sse.c says why). */
#define SSE_BATCH 1024
#define SSE_REFILL (SSE_BATCH / 4)
#define SSE_SLOW_MS 1000

/* Room a chunk needs around its data: its size line before, CRLF after. */
#define SSE_CHUNK_HEAD 16
#define SSE_CHUNK_TAIL 2

/* The most data bytes a chunk framed in a buffer of size bytes may hold (0
 * when the buffer has no room for the framing). */
size_t sse_chunk_room(size_t size);

/* Frames the n bytes at data as one HTTP/1.1 chunk in place: its size in
 * lowercase hex and CRLF in the SSE_CHUNK_HEAD bytes before data, CRLF in
 * the SSE_CHUNK_TAIL bytes after it (both must be the caller's). Returns
 * where the chunk starts and sets *len to its length; NULL (nothing
 * written) when n is 0, which would be the body's last chunk, not a frame,
 * or when its size line does not fit in SSE_CHUNK_HEAD. */
char *sse_chunk_frame(char *data, size_t n, size_t *len);

/* What a non-blocking send of len bytes (len > 0) did, given what it
 * returned (w) and errno when w < 0. */
typedef enum sse_sent {
    SSE_SENT_ALL,  /* every byte is out */
    SSE_SENT_PART, /* *left bytes, the tail, wait for the socket to take more */
    SSE_SENT_GONE  /* the client reset the connection or is gone: the stream ends */
} sse_sent;
/* *left is set for SSE_SENT_PART only: len less what was taken (all of len
 * when the socket was full: EAGAIN, EWOULDBLOCK, or a signal: EINTR). */
sse_sent sse_chunk_sent(size_t len, ssize_t w, int err, size_t *left);

/* How many more of a worker's queued streams to wake now, when in_flight of
 * its streams are woken and not yet suspended again: none while more than
 * SSE_REFILL are, else enough for SSE_BATCH in flight. */
unsigned sse_batch_refill(unsigned in_flight);

/* True when a stream woken at resumed_ms and still being written at now is
 * a slow reader: the rest of its batch goes on without it. */
bool sse_batch_slow(int64_t resumed_ms, int64_t now);

/* True when a stream last written at last_write_ms is due a keep-alive at
 * now (monotonic milliseconds). */
bool sse_keepalive_due(int64_t last_write_ms, int64_t now);

/* The watcher's epoll key of a stream: its slot and the slot's generation,
 * so that an event for a stream already gone is recognised. No slot's key is
 * UINT64_MAX (the watcher's own wake-up) while slot < UINT32_MAX. */
uint64_t sse_slot_key(uint32_t slot, uint32_t gen);
void sse_slot_of_key(uint64_t key, uint32_t *slot, uint32_t *gen);

#endif

/* coord_sse_plan.c - the arithmetic of the coordinator's event streams, pure:
 * chunk framing, partial sends, batches, keep-alives, slot keys. */
#include "coord_sse_plan.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

size_t sse_chunk_room(size_t size)
{
    return size > SSE_CHUNK_HEAD + SSE_CHUNK_TAIL ? size - SSE_CHUNK_HEAD - SSE_CHUNK_TAIL : 0;
}

char *sse_chunk_frame(char *data, size_t n, size_t *len)
{
    char head[32];
    int hl = snprintf(head, sizeof head, "%zx\r\n", n);
    if (!n || hl <= 0 || (size_t)hl > SSE_CHUNK_HEAD)
        return NULL;
    memcpy(data - hl, head, (size_t)hl);
    memcpy(data + n, "\r\n", SSE_CHUNK_TAIL);
    *len = (size_t)hl + n + SSE_CHUNK_TAIL;
    return data - hl;
}

sse_sent sse_chunk_sent(size_t len, ssize_t w, int err, size_t *left)
{
    if (w >= 0 && (size_t)w >= len)
        return SSE_SENT_ALL;
    if (w < 0 && err != EAGAIN && err != EWOULDBLOCK && err != EINTR)
        return SSE_SENT_GONE;
    *left = len - (w > 0 ? (size_t)w : 0);
    return SSE_SENT_PART;
}

unsigned sse_batch_refill(unsigned in_flight)
{
    return in_flight > SSE_REFILL ? 0 : SSE_BATCH - in_flight;
}

bool sse_batch_slow(int64_t resumed_ms, int64_t now)
{
    return now - resumed_ms > SSE_SLOW_MS;
}

bool sse_keepalive_due(int64_t last_write_ms, int64_t now)
{
    return now - last_write_ms >= SSE_KEEPALIVE_MS - 500;
}

uint64_t sse_slot_key(uint32_t slot, uint32_t gen)
{
    return ((uint64_t)gen << 32) | slot;
}

void sse_slot_of_key(uint64_t key, uint32_t *slot, uint32_t *gen)
{
    *slot = (uint32_t)(key & 0xffffffffu);
    *gen = (uint32_t)(key >> 32);
}

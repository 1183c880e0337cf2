/* test_coord_sse.c - the arithmetic of the coordinator's event streams
 * (coord_sse_plan.c): HTTP/1.1 chunk framing, partial sends, batches,
 * keep-alives and slot keys. */
#include "testutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "coord_sse_plan.h"
#include "protocol.h"

/* Reads one chunk as an HTTP/1.1 client would (RFC 9112 7.1): its size in
 * hex, CRLF, the data, CRLF. Returns the data's length, or -1. */
static long read_chunk(const char *p, size_t len, const char **data)
{
    char *end;
    long n = strtol(p, &end, 16);
    if (end == p || (size_t)(end - p) + 2 > len || memcmp(end, "\r\n", 2))
        return -1;
    size_t head = (size_t)(end - p) + 2;
    if (n <= 0 || head + (size_t)n + 2 != len || memcmp(p + head + n, "\r\n", 2))
        return -1;
    *data = p + head;
    return n;
}

static void a_frame_becomes_one_chunk_in_place(void **unused)
{
    (void)unused;
    char buf[256];
    memset(buf, '#', sizeof buf);
    char *data = buf + SSE_CHUNK_HEAD;
    size_t n = proto_sse_reset(42, data, sse_chunk_room(sizeof buf));
    assert_true(n > 0);
    char frame[256];
    memcpy(frame, data, n);
    size_t len = 0;
    char *chunk = sse_chunk_frame(data, n, &len);
    assert_non_null(chunk);
    assert_true(chunk >= buf && chunk + len <= buf + sizeof buf);
    const char *got;
    assert_int_equal(read_chunk(chunk, len, &got), (long)n);
    assert_memory_equal(got, frame, n);
    /* The size line is lowercase hex, without leading zeros. */
    char want[16];
    snprintf(want, sizeof want, "%zx\r\n", n);
    assert_memory_equal(chunk, want, strlen(want));
    assert_int_equal(len, strlen(want) + n + 2);
    /* Nothing outside the chunk is touched. */
    assert_int_equal(buf[sizeof buf - 1], '#');
    assert_int_equal(chunk[-1], '#');
}

static void the_largest_frame_fits_its_buffer(void **unused)
{
    (void)unused;
    enum { SIZE = 16 * 1024 + 32 };
    char *buf = malloc(SIZE);
    assert_non_null(buf);
    size_t room = sse_chunk_room(SIZE);
    assert_int_equal(room, SIZE - SSE_CHUNK_HEAD - SSE_CHUNK_TAIL);
    char *data = buf + SSE_CHUNK_HEAD;
    memset(data, 'x', room);
    size_t len = 0;
    char *chunk = sse_chunk_frame(data, room, &len);
    assert_non_null(chunk);
    assert_memory_equal(chunk, "400e\r\n", 6); /* 16,398 bytes */
    assert_ptr_equal(chunk + len, buf + SIZE);
    const char *got;
    assert_int_equal(read_chunk(chunk, len, &got), (long)room);
    free(buf);
    /* A buffer without room for the framing holds no chunk. */
    assert_int_equal(sse_chunk_room(SSE_CHUNK_HEAD + SSE_CHUNK_TAIL), 0);
    assert_int_equal(sse_chunk_room(0), 0);
    assert_int_equal(sse_chunk_room(SSE_CHUNK_HEAD + SSE_CHUNK_TAIL + 1), 1);
}

static void an_empty_frame_is_not_a_chunk(void **unused)
{
    (void)unused;
    /* "0\r\n\r\n" would end the body: the stream would be over. */
    char buf[32];
    memset(buf, '#', sizeof buf);
    size_t len = 7;
    assert_null(sse_chunk_frame(buf + SSE_CHUNK_HEAD, 0, &len));
    assert_int_equal(len, 7);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], '#');
}

static void a_partial_send_leaves_the_tail(void **unused)
{
    (void)unused;
    size_t left = 99;
    assert_int_equal(sse_chunk_sent(100, 100, 0, &left), SSE_SENT_ALL);
    assert_int_equal(left, 99); /* set for a part only */
    assert_int_equal(sse_chunk_sent(100, 37, 0, &left), SSE_SENT_PART);
    assert_int_equal(left, 63);
    assert_int_equal(sse_chunk_sent(100, 99, 0, &left), SSE_SENT_PART);
    assert_int_equal(left, 1);
    assert_int_equal(sse_chunk_sent(100, 0, 0, &left), SSE_SENT_PART);
    assert_int_equal(left, 100);
    /* A full socket, or a signal: all of it waits. */
    left = 0;
    assert_int_equal(sse_chunk_sent(100, -1, EAGAIN, &left), SSE_SENT_PART);
    assert_int_equal(left, 100);
    left = 0;
    assert_int_equal(sse_chunk_sent(100, -1, EWOULDBLOCK, &left), SSE_SENT_PART);
    assert_int_equal(left, 100);
    left = 0;
    assert_int_equal(sse_chunk_sent(5, -1, EINTR, &left), SSE_SENT_PART);
    assert_int_equal(left, 5);
}

static void a_reset_or_a_broken_pipe_ends_the_stream(void **unused)
{
    (void)unused;
    size_t left = 99;
    assert_int_equal(sse_chunk_sent(100, -1, ECONNRESET, &left), SSE_SENT_GONE);
    assert_int_equal(sse_chunk_sent(100, -1, EPIPE, &left), SSE_SENT_GONE);
    assert_int_equal(sse_chunk_sent(100, -1, EBADF, &left), SSE_SENT_GONE);
    assert_int_equal(left, 99);
}

static void a_partial_send_carried_on_sends_every_byte_once(void **unused)
{
    (void)unused;
    /* The watcher's way: send, keep the tail, send the tail when the socket
     * is writable again, until it is all out. */
    const char *chunk = "17\r\nid: 7\ndata: {\"seq\":7}\n\n\r\n";
    size_t len = strlen(chunk), off = 0;
    const ssize_t takes[] = {3, -1, 0, 10, 2, 100};
    char wire[64] = {0};
    size_t wlen = 0;
    for (size_t i = 0; i < sizeof takes / sizeof *takes && off < len; i++) {
        size_t want = len - off, left = 0;
        ssize_t w = takes[i] > (ssize_t)want ? (ssize_t)want : takes[i];
        if (w > 0) {
            memcpy(wire + wlen, chunk + off, (size_t)w);
            wlen += (size_t)w;
        }
        sse_sent got = sse_chunk_sent(want, w, w < 0 ? EAGAIN : 0, &left);
        if (got == SSE_SENT_ALL) {
            off = len;
            break;
        }
        assert_int_equal(got, SSE_SENT_PART);
        off += want - left;
    }
    assert_int_equal(off, len);
    assert_int_equal(wlen, len);
    assert_memory_equal(wire, chunk, len);
}

static void a_batch_refills_at_a_quarter(void **unused)
{
    (void)unused;
    assert_int_equal(sse_batch_refill(0), SSE_BATCH);
    assert_int_equal(sse_batch_refill(1), SSE_BATCH - 1);
    assert_int_equal(sse_batch_refill(SSE_REFILL), SSE_BATCH - SSE_REFILL);
    assert_int_equal(sse_batch_refill(SSE_REFILL + 1), 0);
    assert_int_equal(sse_batch_refill(SSE_BATCH - 1), 0);
    assert_int_equal(sse_batch_refill(SSE_BATCH), 0);
    assert_int_equal(sse_batch_refill(SSE_BATCH + 5), 0); /* never a wrap-around */
    /* Refilled, a batch is full. */
    for (unsigned f = 0; f <= SSE_REFILL; f++)
        assert_int_equal(f + sse_batch_refill(f), SSE_BATCH);
}

static void slow_readers_and_keepalives_by_the_clock(void **unused)
{
    (void)unused;
    assert_false(sse_batch_slow(5000, 5000));
    assert_false(sse_batch_slow(5000, 5000 + SSE_SLOW_MS));
    assert_true(sse_batch_slow(5000, 5000 + SSE_SLOW_MS + 1));
    /* Due half a second early: the watcher looks once a second. */
    assert_false(sse_keepalive_due(1000, 1000));
    assert_false(sse_keepalive_due(1000, 1000 + SSE_KEEPALIVE_MS - 501));
    assert_true(sse_keepalive_due(1000, 1000 + SSE_KEEPALIVE_MS - 500));
    assert_true(sse_keepalive_due(1000, 1000 + SSE_KEEPALIVE_MS));
    assert_true(sse_keepalive_due(1000, 1000 + 10 * SSE_KEEPALIVE_MS));
}

static void slot_keys_carry_the_generation(void **unused)
{
    (void)unused;
    uint32_t slot, gen;
    uint64_t k = sse_slot_key(9999, 7);
    sse_slot_of_key(k, &slot, &gen);
    assert_int_equal(slot, 9999);
    assert_int_equal(gen, 7);
    /* The same slot reused is another key: an old event is not the new stream's. */
    assert_true(sse_slot_key(9999, 8) != k);
    sse_slot_of_key(sse_slot_key(UINT32_MAX - 1, UINT32_MAX), &slot, &gen);
    assert_int_equal(slot, UINT32_MAX - 1);
    assert_int_equal(gen, UINT32_MAX);
    /* No slot's key is the watcher's wake-up (UINT64_MAX). */
    assert_true(sse_slot_key(UINT32_MAX - 1, UINT32_MAX) != UINT64_MAX);
    assert_true(sse_slot_key(0, 0) == 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(a_frame_becomes_one_chunk_in_place),
    cmocka_unit_test(the_largest_frame_fits_its_buffer),
    cmocka_unit_test(an_empty_frame_is_not_a_chunk),
    cmocka_unit_test(a_partial_send_leaves_the_tail),
    cmocka_unit_test(a_reset_or_a_broken_pipe_ends_the_stream),
    cmocka_unit_test(a_partial_send_carried_on_sends_every_byte_once),
    cmocka_unit_test(a_batch_refills_at_a_quarter),
    cmocka_unit_test(slow_readers_and_keepalives_by_the_clock),
    cmocka_unit_test(slot_keys_carry_the_generation),
};

TESTUTIL_MAIN(tests)

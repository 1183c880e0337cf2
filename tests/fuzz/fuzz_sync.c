/* fuzz_sync.c - the coordinator's and the device's protocol decoders: a
 * POST /v1/sync body (what any client may send), its response, a snapshot's
 * head and page and the event stream (what a device accepts from the
 * network). A decoded body must encode and decode again to the same thing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

/* A change the stream reader yields is its frame's: the newest id. */
static void sse_frame(void *ctx, const change *c)
{
    const proto_sse_reader *r = ctx;
    if (c && c->seq != r->last_id)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    usher_errmsg em = {0};
    sync_request rq = {0};
    if (proto_sync_request_decode((const char *)data, size, &rq, &em) == USHER_OK) {
        char *again = proto_sync_request_encode(&rq);
        sync_request rq2 = {0};
        if (again) {
            if (proto_sync_request_decode(again, strlen(again), &rq2, &em) != USHER_OK ||
                rq2.nops != rq.nops || rq2.cursor != rq.cursor ||
                rq2.has_printer != rq.has_printer ||
                (rq.has_printer && (rq2.printer.state != rq.printer.state ||
                                    rq2.printer.waiting != rq.printer.waiting ||
                                    strcmp(rq2.printer.name, rq.printer.name) != 0)))
                abort(); /* decode(encode(x)) must be x */
            proto_sync_request_release(&rq2);
        }
        free(again);
        proto_sync_request_release(&rq);
    }
    sync_response rs = {0};
    if (proto_sync_response_decode((const char *)data, size, &rs, &em) == USHER_OK) {
        char *again = proto_sync_response_encode(&rs);
        sync_response rs2 = {0};
        if (again) {
            if (proto_sync_response_decode(again, strlen(again), &rs2, &em) != USHER_OK ||
                rs2.nverdicts != rs.nverdicts || rs2.nchanges != rs.nchanges ||
                rs2.cursor != rs.cursor || rs2.more != rs.more ||
                rs2.has_entrances != rs.has_entrances ||
                (rs.entrances && memcmp(rs2.entrances, rs.entrances, sizeof *rs.entrances) != 0))
                abort();
            proto_sync_response_release(&rs2);
        }
        free(again);
        proto_sync_response_release(&rs);
    }
    proto_snapshot sn;
    if (proto_snapshot_decode((const char *)data, size, &sn, &em) == USHER_OK) {
        /* Written again (its changes as one part), it reads the same. */
        sync_response as = {.changes = sn.changes, .nchanges = sn.nchanges};
        settings_default(&as.event);
        size_t rlen = 0, len = 0;
        char *resp = proto_sync_response_write(&as, NULL, 0, &rlen);
        const char *items = resp ? strstr(resp, "\"changes\":[") : NULL;
        const char *end = resp ? strstr(resp, "],\"event\":") : NULL;
        if (items && end) {
            items += strlen("\"changes\":[");
            const char *parts[1] = {items};
            size_t lens[1] = {(size_t)(end - items)};
            char *again = proto_snapshot_write(&sn, parts, lens, 1, &len);
            proto_snapshot sn2;
            if (again) {
                if (proto_snapshot_decode(again, len, &sn2, &em) != USHER_OK ||
                    sn2.nchanges != sn.nchanges || sn2.cursor != sn.cursor ||
                    sn2.pages != sn.pages || strcmp(sn2.device, sn.device) != 0)
                    abort();
                proto_snapshot_release(&sn2);
            }
            free(again);
        }
        free(resp);
        proto_snapshot_release(&sn);
    }
    int64_t cursor = 0;
    size_t page = 0, pages = 0, n = 0;
    change *cs = NULL;
    if (proto_snapshot_page_decode((const char *)data, size, &cursor, &page, &pages, &cs, &n,
                                   &em) == USHER_OK)
        free(cs);
    static proto_sse_reader rd;
    proto_sse_reader_init(&rd, 0);
    proto_sse_reader_sink(&rd, sse_frame, &rd);
    int64_t before = rd.last_id;
    for (size_t at = 0; at < size; at += 7) { /* in pieces, as a stream comes */
        proto_sse_reader_feed(&rd, (const char *)data + at, size - at < 7 ? size - at : 7);
        if (rd.last_id < before)
            abort(); /* the last id only grows */
        before = rd.last_id;
    }
    return 0;
}

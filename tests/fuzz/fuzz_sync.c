/* fuzz_sync.c - the coordinator's and the device's protocol decoders: a
 * POST /v1/sync body (what any client may send) and its response (what a
 * device accepts from the network). A decoded body must encode and decode
 * again to the same thing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

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
                rq2.nops != rq.nops || rq2.cursor != rq.cursor)
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
    return 0;
}

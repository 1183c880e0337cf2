/* protocol.h - the sync protocol's JSON (jansson): ops, verdicts, changes, alerts,
 * and the POST /v1/sync request and response (syncd/README.md has examples).
 *
 * Decoding is strict: wrong types, missing required fields, unknown kinds,
 * over-long strings, bad ids or timestamps and oversized batches are refused
 * with a message naming the field ("ops[3].seat: expected a string").
 * Unknown extra keys are ignored (forward compatibility). For every value x
 * that validates, decode(encode(x)) == x.
 */
#ifndef USHER_PROTOCOL_H
#define USHER_PROTOCOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entrance.h"
#include "error.h"
#include "op.h"
#include "settings.h"

/* Largest request or response body either end accepts. */
#define PROTO_MAX_BODY (4 * 1024 * 1024)

/* Encoders return a new reference (NULL only on OOM). */
json_t *proto_op_encode(const usher_op *op);
json_t *proto_verdict_encode(const verdict *v);
json_t *proto_change_encode(const change *c);
json_t *proto_alert_encode(const alert *a);

/* The event's settings a device follows: {"codes", "pin_hash"?, "tz"?}, in
 * the snapshot's "event" and in every sync response. codes_by_organiser is
 * the coordinator's own and not on the wire. */
json_t *proto_settings_encode(const event_settings *s);
usher_err proto_settings_decode(const json_t *j, const char *where, event_settings *out,
                                usher_errmsg *em) USHER_MUST_CHECK;

/* The entrances a device follows, and its own (s->mine): {"door"?, "all": [...]},
 * in the snapshot and in every sync response. The decoder checks every
 * entrance (entrance_check) and refuses a name given twice. */
json_t *proto_entrances_encode(const entrance_set *s);
/* The same with `door` as the device's own instead of s->mine ("" = none). */
json_t *proto_entrances_encode_door(const entrance_set *s, const char *door);
usher_err proto_entrances_decode(const json_t *j, const char *where, entrance_set *out,
                                 usher_errmsg *em) USHER_MUST_CHECK;

/* Decoders fill *out only on success; `where` prefixes messages ("ops[3]"). */
usher_err proto_op_decode(const json_t *j, const char *where, usher_op *out,
                          usher_errmsg *em) USHER_MUST_CHECK;
usher_err proto_verdict_decode(const json_t *j, const char *where, verdict *out,
                               usher_errmsg *em) USHER_MUST_CHECK;
usher_err proto_change_decode(const json_t *j, const char *where, change *out,
                              usher_errmsg *em) USHER_MUST_CHECK;
usher_err proto_alert_decode(const json_t *j, const char *where, alert *out,
                             usher_errmsg *em) USHER_MUST_CHECK;

/* POST /v1/sync request: {"device"?, "cursor", "ops": [...]}. The arrays are
 * owned by the struct: release with proto_sync_request_release. */
typedef struct sync_request {
    char device[USHER_DEVICE_SIZE]; /* optional; "" when absent */
    int64_t cursor;                 /* >= 0 */
    usher_op *ops;
    size_t nops;   /* <= USHER_MAX_BATCH */
    int64_t clock; /* the device's own wall clock as it sent this, ms; 0 = not sent */
} sync_request;

/* Response: {"verdicts": [...], "changes": [...], "cursor", "more", "event"?}. */
/* Names one copy of the coordinator's op log: a restore from a backup makes
 * a new one, and a device whose cursor counts in another copy rebuilds. */
#define PROTO_LOG_ID_SIZE 64

typedef struct sync_response {
    verdict *verdicts;
    size_t nverdicts;
    change *changes;
    size_t nchanges;
    int64_t cursor;
    bool more;
    bool has_event;              /* "event" was there (a coordinator before it sends none) */
    event_settings event;        /* the event's settings, when has_event */
    int64_t now;                 /* the coordinator's clock when it answered, ms; 0 = not sent */
    char log[PROTO_LOG_ID_SIZE]; /* the coordinator's op log copy ("" = not sent) */
    bool has_entrances;          /* "entrances" was there (decoding: entrances is set) */
    entrance_set *entrances;     /* the entrances and this device's own; malloc'd by the
                                    decoder, freed by proto_sync_response_release */
} sync_response;

void proto_sync_request_release(sync_request *r);
void proto_sync_response_release(sync_response *r);

/* Text in, struct out (body need not be NUL-terminated). USHER_TOOBIG for a
 * body over PROTO_MAX_BODY or a batch over USHER_MAX_BATCH, USHER_PARSE for
 * malformed JSON, USHER_INVAL for a well-formed body with bad content. */
usher_err proto_sync_request_decode(const char *body, size_t len, sync_request *out,
                                    usher_errmsg *em) USHER_MUST_CHECK;
usher_err proto_sync_response_decode(const char *body, size_t len, sync_response *out,
                                     usher_errmsg *em) USHER_MUST_CHECK;

/* Struct in, compact JSON text out (malloc'd, caller frees); NULL on OOM. */
char *proto_sync_request_encode(const sync_request *r);
char *proto_sync_response_encode(const sync_response *r);

/* Writes the start of a sync response, up to and including `"verdicts":[`,
 * for a server that streams the verdicts and changes after it (cursor, more
 * and now from r; the arrays are ignored). Returns its length, 0 when it does
 * not fit in size. */
size_t proto_sync_response_head(const sync_response *r, char *out, size_t size);

/* The error body every HTTP error uses: {"error": code, "message": text}. */
char *proto_error_body(const char *code, const char *message);

/* Reads an error body written by proto_error_body: a JSON object whose
 * "error" is a short code of lowercase letters and '_' and whose "message" is
 * a string. Copies both (truncated to the sizes) and returns USHER_OK; any
 * other body (an HTML page, a proxy's JSON, a truncated text) is USHER_PARSE
 * and leaves the outputs alone. body need not be NUL-terminated. */
usher_err proto_error_decode(const char *body, size_t len, char *code, size_t code_size,
                             char *message, size_t message_size) USHER_MUST_CHECK;

#endif

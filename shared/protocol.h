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
#include "printer.h"
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
    size_t nops;            /* <= USHER_MAX_BATCH */
    int64_t clock;          /* the device's own wall clock as it sent this, ms; 0 = not sent */
    bool has_printer;       /* "printer" was there: the device has a seat-card printer */
    printer_report printer; /* its report, when has_printer (printer_report_ok holds) */
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
    /* Writing only (proto_sync_response_write): the entrances already encoded
     * (proto_entrances_encode_door's JSON as text), or NULL: r->entrances
     * when has_entrances, else none. Borrowed. */
    const char *entrances_text;
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

/* The whole answer to POST /v1/sync as the coordinator writes it: the head
 * (proto_sync_response_head), r's verdicts, then the changes: changes_text
 * when not NULL (changes_len bytes: the changes' compact JSON objects joined
 * by ',', as proto_sse_change located them in their frames; r->changes is
 * then ignored), else r->changes encoded here, then "event" with r->event
 * (always written). malloc'd and NUL-terminated, *len its length; NULL on
 * OOM. proto_sync_response_decode reads it back as r. */
char *proto_sync_response_write(const sync_response *r, const char *changes_text,
                                size_t changes_len, size_t *len);

/* ---- the event stream, GET /v1/events (text/event-stream) ---------------------
 * A change:        "id: SEQ\nevent: change\ndata: CHANGE\n\n" (CHANGE: compact JSON)
 * A resync:        "id: SEQ\nevent: reset\ndata: {\"seq\":SEQ}\n\n" (the listener
 *                  was too far behind or ahead: it pulls from its own cursor)
 * A keep-alive:    ": keep-alive\n\n" (a comment, every 15 s of silence)
 * A listener resumes with Last-Event-ID: the last id it read. */

/* The frame of change c (malloc'd, *len bytes, NUL-terminated); its CHANGE
 * is at *data_off, *data_len bytes (what a sync answer copies). NULL on OOM. */
char *proto_sse_change(const change *c, size_t *len, size_t *data_off, size_t *data_len);

/* The resync frame at seq, and the keep-alive comment, written into out:
 * their length, 0 when they do not fit in size. */
size_t proto_sse_reset(int64_t seq, char *out, size_t size);
size_t proto_sse_keepalive(char *out, size_t size);

/* Resuming: the request header "Last-Event-ID: ID" (written into out: its
 * length, 0 when it does not fit), and an ID read back from such a header's
 * value (false for anything but a whole number 0 .. INT64_MAX / 2). */
size_t proto_sse_last_id_header(int64_t id, char *out, size_t size);
bool proto_sse_last_id_parse(const char *value, int64_t *id);

/* Reads a stream's bytes as they come: its "id:" lines, and, given a sink,
 * each whole frame (a blank line ends it) with an id above the last one:
 * a change frame whose data decodes (proto_change_decode) and carries its
 * frame's id as seq goes to the sink as that change; a reset, or a change
 * frame that does not decode, or one cut by an over-long line, goes to the
 * sink as NULL ("pull": the listener asks for the changes itself). Frames
 * without an id (keep-alives) and older ids go nowhere. Lines end at "\n",
 * "\r" or "\r\n". */
#define PROTO_SSE_LINE_MAX 8192 /* a longer line is cut (its frame goes as NULL) */
typedef void (*proto_sse_sink)(void *ctx, const change *c);
typedef struct proto_sse_reader {
    int64_t last_id;     /* the highest id read (or resumed from) */
    proto_sse_sink sink; /* NULL: only the ids (proto_sse_reader_sink sets it) */
    void *sink_ctx;
    char line[PROTO_SSE_LINE_MAX];
    size_t linelen;
    bool line_cut, after_cr;
    /* The frame being read: */
    int64_t frame_id; /* its new id, 0 when it has none (yet) */
    char event[16];   /* its "event:" field */
    char data[PROTO_SSE_LINE_MAX];
    size_t datalen;
    bool frame_bad; /* a line of it was cut, or its data ran over */
} proto_sse_reader;

/* A reader that resumes after last_id (0: from the start). */
void proto_sse_reader_init(proto_sse_reader *r, int64_t last_id);
/* Whole frames from now on go to sink(ctx, ...) (see above). */
void proto_sse_reader_sink(proto_sse_reader *r, proto_sse_sink sink, void *ctx);
/* A new connection: a line or frame cut off by the old one is dropped (a
 * frame with a new id goes to the sink as NULL: its change is not known). */
void proto_sse_reader_restart(proto_sse_reader *r);
/* Feeds n bytes; true when they held an id above the last one (r->last_id
 * is then the highest). Ids are whole numbers 0 .. INT64_MAX / 2. */
bool proto_sse_reader_feed(proto_sse_reader *r, const char *data, size_t n);

/* ---- the snapshot, GET /v1/snapshot ------------------------------------------
 * Head:  {"event": EVENT, "device": {"id", "role"}, "layout"?: LAYOUT,
 *         "cursor": C, "log"?: id, then either "changes": [CHANGE...] (all of
 *         them) or "pages": P, "changes_total": N (paged: no layout either;
 *         it is fetched as a page of its own)
 * EVENT: the settings (proto_settings_encode) and "id", "name",
 *         "hold_ttl_ms", "pubkey" (hex), "reseat": "nearest"|"none"
 * Page:  {"cursor": C, "page": I, "pages": P, "changes": [CHANGE...]}
 * LAYOUT is layout.c's JSON, passed through as text. */

/* The event as a device learns it. */
typedef struct proto_event {
    char id[64];
    char name[USHER_EVENT_NAME_SIZE];
    int64_t hold_ttl_ms;
    char pubkey[65]; /* the Ed25519 public key, hex */
    bool reseat_nearest;
    event_settings settings; /* defaults (settings_default) when the event has none */
} proto_event;

/* EVENT as a JSON object (new reference; NULL on OOM). */
json_t *proto_event_encode(const proto_event *e);

typedef struct proto_snapshot {
    proto_event event;
    char device[USHER_DEVICE_SIZE];
    usher_role role;
    char *layout_json; /* compact text; NULL in a paged head. Owned */
    change *changes;   /* owned; none in a paged head */
    size_t nchanges;
    int64_t cursor;
    char log[PROTO_LOG_ID_SIZE]; /* "" when not sent */
    size_t pages;                /* 0: every change is in it; else 1 .. PROTO_SNAPSHOT_PAGES_MAX */
    size_t changes_total;        /* paged: how many changes the pages hold */
    bool has_entrances;          /* "entrances" was there (decoding: entrances is set) */
    entrance_set *entrances;     /* decoding: malloc'd, freed by proto_snapshot_release */
    /* Writing only: the entrances already encoded (as entrances_text of a
     * sync_response), or NULL: entrances when has_entrances, else none. */
    const char *entrances_text;
} proto_snapshot;

#define PROTO_SNAPSHOT_PAGES_MAX 1000000

void proto_snapshot_release(proto_snapshot *s); /* zeroed or released: a no-op */

/* The head from s (layout_json NULL: paged, with s->pages and
 * s->changes_total; else with the changes): the changes as text, nparts
 * pieces (each CHANGE objects joined by ',', empty pieces skipped) joined by
 * ','. malloc'd, NUL-terminated, *len bytes; NULL on OOM. */
char *proto_snapshot_write(const proto_snapshot *s, const char *const *parts,
                           const size_t *part_len, size_t nparts, size_t *len);

/* Decodes a head into *out (on success only; release it). USHER_PARSE for
 * text that is not JSON, USHER_INVAL (the message naming what) for a body
 * that is not a snapshot. */
usher_err proto_snapshot_decode(const char *body, size_t len, proto_snapshot *out,
                                usher_errmsg *em) USHER_MUST_CHECK;

/* Page `page` of `pages` at cursor, around its changes' text (items:
 * CHANGE objects joined by ',', items_len bytes). malloc'd, *len bytes,
 * *items_at where the items begin in it; NULL on OOM. */
char *proto_snapshot_page_write(int64_t cursor, size_t page, size_t pages, const char *items,
                                size_t items_len, size_t *len, size_t *items_at);

/* Decodes a page: its cursor, number, page count and changes (*changes
 * malloc'd, *n of them; set on success only). Errors as
 * proto_snapshot_decode. */
usher_err proto_snapshot_page_decode(const char *body, size_t len, int64_t *cursor, size_t *page,
                                     size_t *pages, change **changes, size_t *n,
                                     usher_errmsg *em) USHER_MUST_CHECK;

/* The error body every HTTP error uses: {"error": code, "message": text}. */
char *proto_error_body(const char *code, const char *message);

/* Reads an error body written by proto_error_body: a JSON object whose
 * "error" is a short code of lowercase letters and '_' and whose "message" is
 * a string. Copies both (truncated to the sizes) and returns USHER_OK; any
 * other body (an HTML page, a proxy's JSON, a truncated text) is USHER_PARSE
 * and leaves the outputs alone. body need not be NUL-terminated. */
usher_err proto_error_decode(const char *body, size_t len, char *code, size_t code_size,
                             char *message, size_t message_size) USHER_MUST_CHECK;

/* A standby coordinator's refusal (503): {"error": "standby", "message":
 * text, "active": URL}, the active coordinator's address (devices move
 * there), left out when the standby knows none. Malloc'd; NULL on OOM. */
char *proto_standby_body(const char *message, const char *active);

/* Reads a standby's refusal: USHER_OK with the active's address copied into
 * active (at most size bytes; a longer one is USHER_PARSE); USHER_NOTFOUND
 * for a standby's refusal naming no active; USHER_PARSE for any other body
 * (not an error of code "standby"). active is written only on USHER_OK. */
usher_err proto_standby_decode(const char *body, size_t len, char *active,
                               size_t size) USHER_MUST_CHECK;

#endif

/* coord_api.c - handlers of the coordinator's JSON API (syncd/README.md documents
 * every endpoint with examples). */
#include "coord_api.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "coord_api_entrances.h"
#include "coord_export.h"
#include "coord_import.h"
#include "coord_printers.h"
#include "coord_snapshot.h"
#include "guest_find.h"
#include "protocol.h"
#include "qrsig.h"
#include "text.h"
#include "ticket.h"
#include "timestamp.h"

#define SEARCH_LIMIT 50

static bool is_admin(const http_request *req)
{
    return req->dev.role == ROLE_ADMIN;
}

static json_t *time_or_null(int64_t ms)
{
    if (!ms)
        return json_null();
    char t[TIMESTAMP_TEXT_SIZE];
    timestamp_format(ms, t);
    return json_string(t);
}

/* ---- POST /v1/sync ------------------------------------------------------ */

/* The sync response (proto_sync_response_write), with the changes' JSON
 * copied from the change ring instead of encoded again for every reply (32
 * clients each pulling every change is 32 encodings of it). */
static void finish_sync(http_request *req, engine_req *er, http_reply *r)
{
    if (er->err) {
        http_error(r, 503, "unavailable", "%s", er->errmsg[0] ? er->errmsg : "try again");
        return;
    }
    int64_t cursor = er->new_cursor;
    bool more = er->more;
    char *ring_text = NULL;
    size_t ring_len = 0;
    if (er->changes_in_ring && er->nchanges) {
        usher_err err =
            engine_changes_json(req->e, er->cursor, er->nchanges, &ring_text, &ring_len);
        if (err == USHER_NOTFOUND) {
            /* Overwritten since the commit: nothing pulled this time. */
            cursor = er->cursor;
            more = true;
        } else if (err) {
            http_error(r, 500, "internal", "out of memory");
            return;
        }
    }
    sync_response h = {.cursor = cursor,
                       .more = more,
                       .now = timestamp_now_ms(),
                       .verdicts = er->verdicts,
                       .nverdicts = er->nops,
                       .changes = er->changes_in_ring ? NULL : er->changes,
                       .nchanges = er->changes_in_ring ? 0 : er->nchanges,
                       .has_event = true};
    text_copy(h.log, sizeof h.log, engine_event(req->e)->log_id);
    engine_settings(req->e, &h.event);
    size_t len = 0;
    /* The entrances and the asking door's own, encoded under the cache's lock. */
    json_t *ents = coord_api_entrances_for(req);
    char *ents_text = ents ? json_dumps(ents, JSON_COMPACT) : NULL;
    json_decref(ents);
    h.entrances_text = ents_text;
    /* A pull from the ring that found nothing has no text: "" (no changes). */
    char *body = proto_sync_response_write(
        &h, ring_text ? ring_text : (er->changes_in_ring ? "" : NULL), ring_len, &len);
    free(ring_text);
    free(ents_text);
    if (!body) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    r->status = 200;
    r->type = "application/json";
    r->body = body;
    r->len = len;
}

static void api_sync(http_request *req, http_reply *r)
{
    if (req->body_too_big) {
        http_error(r, 413, "too_large", "request body over %d bytes: send fewer ops per batch",
                   PROTO_MAX_BODY);
        return;
    }
    sync_request sr;
    usher_errmsg em = {{0}};
    usher_err err = proto_sync_request_decode(req->body, req->len, &sr, &em);
    if (err) {
        http_error(r, err == USHER_TOOBIG ? 413 : 400,
                   err == USHER_TOOBIG  ? "too_large"
                   : err == USHER_PARSE ? "bad_json"
                                        : "invalid",
                   "%s", em.text);
        return;
    }
    if (sr.device[0] && strcmp(sr.device, req->dev.id) != 0) {
        http_error(r, 403, "forbidden", "this token belongs to device %s, not %s", req->dev.id,
                   sr.device);
        goto out;
    }
    for (size_t i = 0; i < sr.nops; i++) {
        if (!op_allowed(req->dev.role, sr.ops[i].kind)) {
            http_error(r, 403, "forbidden", "ops[%zu]: a %s device may not %s", i,
                       role_name(req->dev.role), op_kind_name(sr.ops[i].kind));
            goto out;
        }
    }
    int64_t last = engine_last_seq(req->e);
    if (sr.cursor > last) {
        http_error(r, 409, "cursor_ahead",
                   "cursor %lld is ahead of this coordinator (%lld): the device was set up "
                   "against another database; re-provision it",
                   (long long)sr.cursor, (long long)last);
        goto out;
    }
    engine_device_seen(req->e, req->dev.id, sr.cursor, (int64_t)sr.nops, sr.clock);
    coord_printers_report(req->printers, req->dev.id, sr.has_printer ? &sr.printer : NULL,
                          timestamp_now_ms());
    http_submit(req, sr.ops, sr.nops, sr.cursor, finish_sync);
    sr.ops = NULL; /* owned by the connection now */
out:
    proto_sync_request_release(&sr);
}

/* ---- snapshot, layout, public key --------------------------------------- */

/* The event as a device learns it: its facts, and its settings (codes,
 * PIN hash, time zone). */
static void event_facts(engine *e, proto_event *out)
{
    const coord_event *ev = engine_event(e);
    memset(out, 0, sizeof *out);
    text_copy(out->id, sizeof out->id, ev->event_id);
    text_copy(out->name, sizeof out->name, ev->name);
    out->hold_ttl_ms = ev->hold_ttl_ms;
    qrsig_pk_to_text(ev->pk, out->pubkey);
    out->reseat_nearest = ev->reseat == RESEAT_NEAREST;
    engine_settings(e, &out->settings);
}

static json_t *event_json(engine *e)
{
    proto_event pe;
    event_facts(e, &pe);
    return proto_event_encode(&pe);
}

static bool query_flag(const http_request *req, const char *key, bool *bad);

/* GET /v1/snapshot?cursor=C&page=I: one page of a snapshot (gzipped for a
 * client that takes it: it was compressed once, when built). */
static void api_snapshot_page(http_request *req, http_reply *r, const char *cur, const char *pg)
{
    int64_t cursor = 0, page = 0;
    bool layout_page = pg && !strcmp(pg, "layout");
    if (!cur || !pg || !text_parse_i64(cur, 0, INT64_MAX, &cursor) ||
        (!layout_page && !text_parse_i64(pg, 0, 100000000, &page))) {
        http_error(r, 400, "invalid",
                   "a snapshot page needs cursor=N&page=N (whole numbers) or page=layout");
        return;
    }
    snap_build *b = snapcache_at(req->snaps, cursor);
    if (!b) {
        http_error(r, 410, "snapshot_gone",
                   "the snapshot at cursor %lld is no longer kept: ask /v1/snapshot again",
                   (long long)cursor);
        return;
    }
    if (layout_page) { /* the build's own layout: the state's pages are over it */
        r->body = strdup(b->layout_json);
        r->len = r->body ? strlen(r->body) : 0;
        r->status = 200;
        r->type = "application/json";
        snapcache_release(req->snaps, b);
        if (!r->body)
            http_error(r, 500, "internal", "out of memory");
        return;
    }
    if ((uint64_t)page >= b->npages) {
        http_error(r, 404, "not_found", "the snapshot at cursor %lld has %zu pages",
                   (long long)cursor, b->npages);
        snapcache_release(req->snaps, b);
        return;
    }
    const snap_page *p = &b->pages[page];
    bool gz = http_accepts_gzip(req);
    size_t n = gz ? p->gzlen : p->len;
    r->body = malloc(n ? n : 1);
    if (r->body) {
        memcpy(r->body, gz ? (const char *)p->gz : p->body, n);
        r->len = n;
        r->status = 200;
        r->type = "application/json";
        r->encoding = gz ? "gzip" : NULL;
    }
    snapcache_release(req->snaps, b);
    if (!r->body)
        http_error(r, 500, "internal", "out of memory");
}

/* GET /v1/snapshot: what a device joins with. The event, the device, the
 * layout, the cursor and the log id, then either "pages": P (?paged=1:
 * usher-syncd then fetches the pages one by one) or every change in one
 * answer (for older devices and people with curl). The changes come from the
 * snapshot cache (coord_snapshot.h): built once per cursor, not per device. */
static void api_snapshot(http_request *req, http_reply *r)
{
    const char *cur = http_query(req, "cursor"), *pg = http_query(req, "page");
    if (cur || pg) {
        api_snapshot_page(req, r, cur, pg);
        return;
    }
    bool bad = false, paged = query_flag(req, "paged", &bad);
    if (bad) {
        http_error(r, 400, "invalid", "paged: 1 or 0");
        return;
    }
    const state *st = engine_read_begin(req->e);
    /* The layout and the state under one lock: a new layout replaces both. */
    snap_build *b = snapcache_join(req->snaps, st, engine_layout_json(req->e),
                                   engine_last_seq(req->e), timestamp_now_ms());
    engine_read_end(req->e);
    if (!b) {
        http_error(r, 500, "internal", "out of memory building the snapshot");
        return;
    }
    engine_count_snapshot(req->e);
    proto_snapshot head = {.layout_json = paged ? NULL : b->layout_json,
                           .cursor = b->cursor,
                           .role = req->dev.role,
                           .pages = b->npages,
                           .changes_total = b->nchanges};
    event_facts(req->e, &head.event);
    text_copy(head.device, sizeof head.device, req->dev.id);
    text_copy(head.log, sizeof head.log, engine_event(req->e)->log_id);
    json_t *ents = coord_api_entrances_for(req); /* and the asking door's own */
    char *ents_text = ents ? json_dumps(ents, JSON_COMPACT) : NULL;
    json_decref(ents);
    head.entrances_text = ents_text;
    /* Not paged: every change in one answer, the pages' items copied in. */
    const char **parts = paged ? NULL : calloc(b->npages ? b->npages : 1, sizeof *parts);
    size_t *lens = paged ? NULL : calloc(b->npages ? b->npages : 1, sizeof *lens);
    char *body = NULL;
    size_t len = 0;
    if (paged || (parts && lens)) {
        for (size_t i = 0; !paged && i < b->npages; i++) {
            parts[i] = b->pages[i].body + b->pages[i].items_at;
            lens[i] = b->pages[i].items_n;
        }
        body = proto_snapshot_write(&head, parts, lens, paged ? 0 : b->npages, &len);
    }
    free(parts);
    free(lens);
    free(ents_text);
    snapcache_release(req->snaps, b);
    if (!body) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    r->status = 200;
    r->type = "application/json";
    r->body = body;
    r->len = len;
}

/* GET /v1/layout: devices and the organisers' designer read it. */
static void api_layout(http_request *req, http_reply *r)
{
    engine_read_begin(req->e);
    r->body = strdup(engine_layout_json(req->e));
    engine_read_end(req->e);
    r->status = 200;
    r->type = "application/json";
    r->len = r->body ? strlen(r->body) : 0;
}

/* The designer's errors: {"error": {"code", "message"}, "message"} (the
 * sentence also where every other answer has it). */
/* Refusals of a layout: the one error shape of every answer. */
static void layout_error(http_reply *r, unsigned status, const char *code, const char *message)
{
    http_error(r, status, code, "%s", message);
}

/* PUT /v1/layout (?dry_run=1): the venue's new layout, as the designer
 * saves it; the rule for seats that hold tickets is layout_change's. */
static void api_layout_put(http_request *req, http_reply *r)
{
    char msg[USHER_ERRMSG_SIZE];
    if (req->body_too_big) {
        snprintf(msg, sizeof msg, "layout over %d bytes", PROTO_MAX_BODY);
        layout_error(r, 413, "too_large", msg);
        return;
    }
    if (!req->len) {
        layout_error(r, 400, "bad_layout",
                     "PUT /v1/layout needs the layout JSON as its body (the format of "
                     "GET /v1/layout)");
        return;
    }
    const char *dry = http_query(req, "dry_run");
    if (dry && strcmp(dry, "0") && strcmp(dry, "1")) {
        layout_error(r, 400, "bad_layout", "dry_run is 1 or 0");
        return;
    }
    bool dry_run = dry && !strcmp(dry, "1");
    usher_errmsg em = {{0}};
    layout *next = NULL;
    if (layout_from_json(req->body, req->len, &next, &em) != USHER_OK) {
        layout_error(r, 400, "bad_layout", em.text);
        return;
    }
    coorddb_layout_result res;
    usher_err err = engine_set_layout(req->e, &next, req->dev.id, dry_run, &res, &em);
    if (err == USHER_CONFLICT)
        layout_error(r, 409, "layout_conflict", em.text);
    else if (err == USHER_NOMEM)
        layout_error(r, 503, "unavailable", "out of memory; try again");
    else if (err) {
        snprintf(msg, sizeof msg, "could not save the layout (%s); try again", em.text);
        layout_error(r, 503, "unavailable", msg);
    } else
        http_json(r, 200,
                  json_pack("{s:b, s:i, s:i, s:I, s:b, s:b, s:I, s:{s:i, s:i, s:i, s:i}}", "ok", 1,
                            "seats", res.seats, "sections", res.sections, "version",
                            (json_int_t)res.version, "changed", res.changed && !dry_run, "dry_run",
                            dry_run, "cursor", (json_int_t)res.last_seq, "counts", "seats_added",
                            res.counts.seats_added, "seats_dropped", res.counts.seats_dropped,
                            "sections_added", res.counts.sections_added, "sections_dropped",
                            res.counts.sections_dropped));
    layout_free(next);
}

/* ---- organiser reads ------------------------------------------------------ */

static const char *seat_state_name(seat_status s)
{
    switch (s) {
    case SEAT_HELD_BY_ME:
    case SEAT_HELD_OTHER:
        return "held";
    case SEAT_TAKEN:
        return "taken";
    case SEAT_BLOCKED:
        return "blocked";
    case SEAT_LEASED_BY_ME:
    case SEAT_LEASED_OTHER:
        return "leased";
    case SEAT_FREE:
        break;
    }
    return "free";
}

static void api_seats(http_request *req, http_reply *r)
{
    int64_t now = timestamp_now_ms();
    json_t *arr = json_array();
    const state *st = engine_read_begin(req->e);
    const layout *l = state_layout(st);
    for (int i = 0; i < state_seat_count(st); i++) {
        const seat_state *s = state_seat(st, i);
        json_t *o = json_pack("{s:s, s:s}", "id", layout_seat_at(l, i)->id, "state",
                              seat_state_name(state_seat_status(st, i, NULL, now)));
        if (s->ticket[0]) {
            const ticket_state *t = state_ticket(st, state_find_ticket(st, s->ticket));
            json_object_set_new(o, "ticket", json_string(t->code));
            json_object_set_new(o, "name", json_string(t->name));
            json_object_set_new(o, "class", json_string(t->klass));
            json_object_set_new(o, "checked_in", json_boolean(t->checked_in_at != 0));
            if (t->attention)
                json_object_set_new(o, "attention", json_true());
        }
        if (s->hold_device[0] && s->hold_until > now)
            json_object_set_new(o, "held_by", json_string(s->hold_device));
        if (!s->ticket[0] && !s->blocked && s->lease_device[0] && s->lease_until > now) {
            json_object_set_new(o, "leased_by", json_string(s->lease_device));
            json_object_set_new(o, "leased_until", time_or_null(s->lease_until));
        }
        json_array_append_new(arr, o);
    }
    engine_read_end(req->e);
    http_json(r, 200, json_pack("{s:o}", "seats", arr));
}

static json_t *ticket_json(const ticket_state *t)
{
    /* Absent values are null, as in the change log: an unseated ticket's seat,
     * the check-in of one never scanned, the exit of one not out. */
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:s, s:b, s:o, s:o, s:b}", "code",
                     t->code, "name", t->name, "class", t->klass, "seat",
                     t->seat[0] ? json_string(t->seat) : json_null(), "checked_in_at",
                     time_or_null(t->checked_in_at), "checkin_device",
                     t->checkin_device[0] ? json_string(t->checkin_device) : json_null(), "revoked",
                     t->revoked, "note", t->note, "attention", t->attention, "checked_out_at",
                     time_or_null(t->checked_out_at), "checkout_device",
                     t->checkout_device[0] ? json_string(t->checkout_device) : json_null(),
                     "inside", domain_ticket_inside(t));
}

static void api_tickets(http_request *req, http_reply *r)
{
    const char *q = http_query(req, "q");
    if (q && strlen(q) > GUEST_FIND_QUERY_MAX) {
        http_error(r, 400, "invalid", "q: at most 100 characters");
        return;
    }
    if (q && !text_utf8_valid(q, strlen(q))) {
        http_error(r, 400, "invalid", "q: not valid UTF-8");
        return;
    }
    const char *inside = http_query(req, "inside");
    if (inside && strcmp(inside, "0") && strcmp(inside, "1")) {
        http_error(r, 400, "invalid", "inside: 1 (only guests inside now) or 0");
        return;
    }
    guest_filter filter = inside && !strcmp(inside, "1") ? GUEST_INSIDE : GUEST_ALL;
    /* guest_find.h decides what matches: case and accents in every script */
    int idx[SEARCH_LIMIT];
    json_t *arr = json_array();
    const state *st = engine_read_begin(req->e);
    size_t total = guest_find(st, q, filter, idx, SEARCH_LIMIT);
    for (size_t i = 0; i < total && i < SEARCH_LIMIT; i++)
        json_array_append_new(arr, ticket_json(state_ticket(st, idx[i])));
    engine_read_end(req->e);
    http_json(r, 200, json_pack("{s:o, s:I}", "tickets", arr, "total", (json_int_t)total));
}

/* True for a query flag that is on ("1", "true", "yes"); false when absent. */
static bool query_flag(const http_request *req, const char *key, bool *bad)
{
    const char *v = http_query(req, key);
    if (!v)
        return false;
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes"))
        return true;
    if (strcmp(v, "0") && strcmp(v, "false") && strcmp(v, "no"))
        *bad = true;
    return false;
}

/* What the file's codes are, into an import's answer: "codes": "strong|weak",
 * "weak": n, "example"?, "why"?, "event_codes" (the event's after it). */
static void add_codes(engine *e, json_t *obj, const ticket_list *tl)
{
    ticketcode_report rep;
    if (ticket_list_classify(tl, &rep) != USHER_OK)
        rep.strength = TICKETCODE_WEAK;
    event_settings s;
    engine_settings(e, &s);
    json_object_set_new(obj, "codes", json_string(ticketcode_strength_name(rep.strength)));
    json_object_set_new(obj, "weak", json_integer((json_int_t)rep.weak));
    json_object_set_new(obj, "event_codes", json_string(ticketcode_strength_name(s.codes)));
    if (rep.example[0]) {
        json_object_set_new(obj, "example", json_string(rep.example));
        json_object_set_new(obj, "why", json_string(rep.why));
    }
}

/* POST /v1/tickets/import[?dry_run=1][&map=SPEC][&missing=keep|revoke]: a
 * ticket file's bytes, exactly as `usher-coord tickets import` reads them
 * (coord_import). A dry run answers the preview and changes nothing; an
 * import merges and answers the same summary with the new cursor. */
static void api_tickets_import(http_request *req, http_reply *r)
{
    if (req->body_too_big) {
        http_error(r, 413, "too_large", "file over %d bytes: split it into several imports",
                   PROTO_MAX_BODY);
        return;
    }
    bool bad = false;
    bool dry_run = query_flag(req, "dry_run", &bad);
    const char *missing = http_query(req, "missing");
    if (bad || (missing && strcmp(missing, "keep") && strcmp(missing, "revoke"))) {
        http_error(r, 400, "invalid",
                   "dry_run takes 1 or 0 and missing takes keep or revoke (tickets no longer in "
                   "the file are kept by default)");
        return;
    }
    coord_import_opts opts = {
        .map = http_query(req, "map"),
        .missing =
            missing && !strcmp(missing, "revoke") ? TICKET_MISSING_REVOKE : TICKET_MISSING_KEEP,
        .device = req->dev.id,
    };
    coord_import ci;
    coord_import_init(&ci, &opts);
    usher_err err = coord_import_read(&ci, req->body, req->len);
    usher_err serr = err ? USHER_OK : engine_with_db(req->e, coord_import_load_seats, &ci);
    if (err == USHER_PARSE) {
        http_json(r, 400, coord_import_refusal_json(&ci));
    } else if (err) {
        http_error(r, 500, "internal", "out of memory reading the file");
    } else if (serr) {
        http_error(r, 503, "unavailable", "could not read the event's seats (%s); try again",
                   ci.em.text);
    } else if (dry_run) {
        const state *st = engine_read_begin(req->e);
        err = coord_import_plan(&ci, st);
        engine_read_end(req->e);
        if (err == USHER_PARSE)
            http_json(r, 400, coord_import_refusal_json(&ci)); /* the seats, line by line */
        else if (err)
            http_error(r, 500, "internal", "out of memory planning the import");
        else {
            json_t *j = coord_import_json(&ci, true);
            add_codes(req->e, j, &ci.file.tickets);
            http_json(r, 200, j);
        }
    } else {
        usher_errmsg em = {{0}};
        int64_t cursor = 0;
        err = engine_admin_change(req->e, coord_import_apply, &ci, NULL, 0, &ci.file.tickets,
                                  &cursor, &em);
        if (err == USHER_PARSE) {
            http_json(r, 400, coord_import_refusal_json(&ci));
        } else if (err) {
            http_error(r, 503, "unavailable", "could not save the tickets (%s); try again",
                       em.text);
        } else {
            json_t *j = coord_import_json(&ci, false);
            json_object_set_new(j, "cursor", json_integer((json_int_t)cursor));
            add_codes(req->e, j, &ci.file.tickets);
            http_json(r, 200, j);
        }
    }
    coord_import_release(&ci);
}

static void api_stats(http_request *req, http_reply *r)
{
    int64_t now = timestamp_now_ms();
    state_stats s;
    json_t *sections = json_array();
    const state *st = engine_read_begin(req->e);
    state_get_stats(st, now, &s);
    const layout *l = state_layout(st);
    for (int k = 0; k < layout_section_count(l); k++) {
        const layout_section *sec = layout_section_at(l, k);
        int seated = 0, in = 0;
        for (int i = sec->first_seat; i < sec->first_seat + sec->seat_count; i++) {
            const seat_state *ss = state_seat(st, i);
            if (!ss->ticket[0])
                continue;
            seated++;
            in += state_ticket(st, state_find_ticket(st, ss->ticket))->checked_in_at != 0;
        }
        json_array_append_new(sections, json_pack("{s:s, s:s, s:i, s:i, s:i}", "id", sec->id,
                                                  "label", sec->label, "seats", sec->seat_count,
                                                  "seated", seated, "checked_in", in));
    }
    json_t *entrances = coord_api_entrances_counts(req, st);
    engine_read_end(req->e);
    event_settings es;
    engine_settings(req->e, &es);
    json_t *event = json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", engine_event(req->e)->name,
                              "codes", ticketcode_strength_name(es.codes), "codes_by",
                              es.codes_by_organiser ? "organiser" : "import", "tz",
                              es.tz[0] ? es.tz : "UTC", "staff_pin", es.pin_hash[0] != 0);
    http_json(r, 200,
              json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:o, s:o, s:o*}",
                        "seats", s.seats, "seated", s.seated, "blocked", s.blocked, "held", s.held,
                        "leased", s.leased, "expected", s.tickets, "revoked", s.revoked,
                        "checked_in", s.checked_in, "inside", s.inside, "cursor",
                        (json_int_t)engine_last_seq(req->e), "sections", sections, "event", event,
                        "entrances", entrances));
}

/* Database reads and alert acks run on the committer thread
 * (http_submit_db): the connection waits, no HTTP thread does. */
typedef struct db_read {
    const char *key; /* the reply's {key: out} */
    json_t *out;
    coord_printers *printers; /* devices: their printers */
    bool open_only;           /* alerts: ?open=1 */
    int64_t id;               /* alert id for acks */
} db_read;

static void db_read_free(void *p)
{
    db_read *d = p;
    if (d)
        json_decref(d->out);
    free(d);
}

static usher_err read_alerts(coorddb *db, void *arg)
{
    db_read *d = arg;
    coord_alert *as = NULL;
    size_t n = 0;
    usher_err err = coorddb_alerts(db, d->open_only, 500, &as, &n, NULL);
    if (err)
        return err;
    d->out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o = proto_alert_encode(&as[i].a);
        json_object_set_new(o, "id", json_integer(as[i].id));
        json_object_set_new(o, "created_at", time_or_null(as[i].created_at));
        json_object_set_new(o, "acked_at", time_or_null(as[i].acked_at));
        if (as[i].before[0] || as[i].after[0]) { /* a correction's trail */
            json_object_set_new(o, "before", json_string(as[i].before));
            json_object_set_new(o, "after", json_string(as[i].after));
        }
        json_array_append_new(d->out, o);
    }
    free(as);
    return USHER_OK;
}

/* A device's printer as /v1/devices shows it: its report, when that came,
 * since when it has been failing (null: it is fine) and whether that is an
 * alert (failing for serve --printer-alert seconds). */
static json_t *printer_json(const coord_printer *cp)
{
    const printer_report *p = &cp->report;
    return json_pack("{s:s, s:s, s:b, s:I, s:I, s:s, s:o, s:o, s:b}", "name", p->name, "state",
                     printer_state_name(p->state), "failing", printer_state_failing(p->state),
                     "waiting", (json_int_t)p->waiting, "printed", (json_int_t)p->printed,
                     "problem", p->problem, "seen_at", time_or_null(cp->seen_at), "failing_since",
                     time_or_null(cp->failing_since), "alert", cp->alert);
}

static usher_err read_devices(coorddb *db, void *arg)
{
    db_read *d = arg;
    coord_device *ds = NULL;
    size_t n = 0;
    usher_err err = coorddb_devices(db, &ds, &n, NULL);
    if (err)
        return err;
    int64_t now = timestamp_now_ms();
    d->out = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o =
            json_pack("{s:s, s:s, s:o, s:b, s:I, s:I, s:b, s:s}", "id", ds[i].id, "role",
                      role_name(ds[i].role), "last_seen", time_or_null(ds[i].last_seen), "online",
                      ds[i].last_seen && now - ds[i].last_seen < ENGINE_ONLINE_WINDOW_MS, "cursor",
                      (json_int_t)ds[i].cursor, "pending", (json_int_t)ds[i].pending, "disabled",
                      ds[i].disabled, "entrance", ds[i].entrance);
        coord_printer cp;
        if (o && coord_printers_get(d->printers, ds[i].id, now, &cp))
            json_object_set_new(o, "printer", printer_json(&cp));
        json_array_append_new(d->out, o);
    }
    free(ds);
    return USHER_OK;
}

static json_t *scan_json(const coord_checkin *c, bool revoked)
{
    json_t *o = json_pack("{s:s, s:s, s:o, s:b, s:b}", "ticket", c->ticket, "device", c->device,
                          "at", time_or_null(c->at), "duplicate", c->duplicate, "revoked", revoked);
    /* The door's entrance and a staff override: only when there was one. */
    if (o && c->entrance[0])
        json_object_set_new(o, "entrance", json_string(c->entrance));
    if (o && c->override[0])
        json_object_set_new(o, "override", json_string(c->override));
    return o;
}

/* Every scan at a door: the check-ins (duplicates included) and the refused
 * scans of revoked tickets, merged in time order. */
static usher_err read_checkins(coorddb *db, void *arg)
{
    db_read *d = arg;
    coord_checkin *cs = NULL, *rs = NULL;
    size_t n = 0, nr = 0;
    usher_err err = coorddb_checkins(db, &cs, &n, NULL);
    if (!err)
        err = coorddb_revoked_scans(db, &rs, &nr, NULL);
    if (err)
        goto out;
    d->out = json_array();
    for (size_t i = 0, k = 0; i < n || k < nr;) {
        bool take_revoked = k < nr && (i == n || rs[k].at < cs[i].at);
        json_array_append_new(d->out, take_revoked ? scan_json(&rs[k++], true)
                                                   : scan_json(&cs[i++], false));
    }
out:
    free(cs);
    free(rs);
    return err;
}

static usher_err ack_alert(coorddb *db, void *arg)
{
    db_read *d = arg;
    return coorddb_alert_ack(db, d->id, timestamp_now_ms(), NULL);
}

static void finish_list(http_request *req, engine_req *er, http_reply *r)
{
    db_read *d = er->db_arg;
    (void)req;
    if (er->err || !d->out) {
        http_error(r, 503, "unavailable", "could not read the database; try again");
        return;
    }
    http_json(r, 200, json_pack("{s:O}", d->key, d->out));
}

static void db_list(http_request *req, http_reply *r, usher_err (*fn)(coorddb *, void *),
                    const char *key)
{
    db_read *d = calloc(1, sizeof *d);
    if (!d) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    d->key = key;
    d->printers = req->printers;
    const char *open = http_query(req, "open");
    d->open_only = open && !strcmp(open, "1");
    http_submit_db(req, fn, d, db_read_free, finish_list);
}

typedef struct export_job {
    const char *what;
    char *buf;
    size_t len;
} export_job;

static void export_job_free(void *p)
{
    export_job *j = p;
    if (j)
        free(j->buf);
    free(j);
}

static usher_err run_export(coorddb *db, void *arg)
{
    export_job *j = arg;
    FILE *f = open_memstream(&j->buf, &j->len);
    if (!f)
        return USHER_NOMEM;
    usher_err err = coord_export(db, j->what, f, NULL);
    fclose(f);
    return err;
}

static void finish_export(http_request *req, engine_req *er, http_reply *r)
{
    export_job *j = er->db_arg;
    (void)req;
    if (er->err || !j->buf) {
        http_error(r, 503, "unavailable", "could not export; try again");
        return;
    }
    r->status = 200;
    r->type = "text/csv; charset=utf-8";
    r->body = j->buf; /* the reply's now */
    r->len = j->len;
    j->buf = NULL;
    r->disposition = !strcmp(j->what, "assignments") ? "attachment; filename=\"assignments.csv\""
                     : !strcmp(j->what, "checkins")  ? "attachment; filename=\"checkins.csv\""
                                                     : "attachment; filename=\"alerts.csv\"";
}

/* `what` is one of coord_export's names (a static string there or here). */
static void api_export(http_request *req, http_reply *r, const char *what)
{
    export_job *j = calloc(1, sizeof *j);
    if (!j) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    j->what = !strcmp(what, "assignments") ? "assignments"
              : !strcmp(what, "checkins")  ? "checkins"
                                           : "alerts";
    http_submit_db(req, run_export, j, export_job_free, finish_export);
}

/* ---- organiser actions: ops through the committer -------------------------- */

static void finish_action(http_request *req, engine_req *er, http_reply *r)
{
    if (er->err) {
        http_error(r, 503, "unavailable", "%s", er->errmsg);
        return;
    }
    const verdict *v = &er->verdicts[0];
    unsigned status = verdict_effective(v) == VERDICT_ACCEPTED ? 200 : 409;
    http_json(r, status, json_pack("{s:o}", "verdict", proto_verdict_encode(v)));
}

/* Reads an optional JSON body's string field. */
static bool body_string(const http_request *req, const char *key, char *out, size_t size)
{
    out[0] = '\0';
    if (!req->len)
        return true;
    json_t *j = json_loadb(req->body, req->len, 0, NULL);
    json_t *v = j ? json_object_get(j, key) : NULL;
    bool ok = j && json_is_object(j) &&
              (!v || (json_is_string(v) && text_copy(out, size, json_string_value(v))));
    json_decref(j);
    return ok;
}

static void api_action(http_request *req, http_reply *r, op_kind kind, const char *ticket,
                       const char *seat, const char *expect)
{
    usher_op *op = calloc(1, sizeof *op);
    if (!op) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    op_init(op, kind, req->dev.id, timestamp_now_ms());
    bool ok =
        text_copy(op->ticket, sizeof op->ticket, ticket ? ticket : "") &&
        text_copy(op->seat, sizeof op->seat, seat ? seat : "") &&
        text_copy(op->expect_ticket_seat, sizeof op->expect_ticket_seat, expect ? expect : "");
    if (op->ticket[0])
        for (char *p = op->ticket; *p; p++)
            *p = (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : *p;
    usher_errmsg em = {{0}};
    if (!ok || op_validate(op, &em) != USHER_OK) {
        http_error(r, 400, "invalid", "%s", ok ? em.text : "ticket or seat too long");
        free(op);
        return;
    }
    http_submit(req, op, 1, -1, finish_action);
}

/* ---- corrections --------------------------------------------------------- */

/* An organiser's correction of one ticket; the trail is filled in by the
 * first run of correction_apply (on the copy), before it is written. */
typedef struct correction {
    char code[USHER_CODE_SIZE];
    bool unrevoke;
    char name[USHER_NAME_SIZE];
    char klass[USHER_CLASS_SIZE];
    char note[USHER_TICKET_NOTE_SIZE];
    bool attention;
    coord_alert trail;
} correction;

static void ticket_text(const ticket_state *t, char *out, size_t cap)
{
    snprintf(out, cap, "%s / %s%s%s%s%s", t->name, t->klass[0] ? t->klass : "-",
             t->note[0] ? " / note: " : "", t->note, t->attention ? " / attention" : "",
             t->revoked ? " (revoked)" : "");
}

static usher_err correction_apply(state *st, void *arg, change **out, size_t *n, usher_errmsg *em)
{
    correction *c = arg;
    int ti = state_find_ticket(st, c->code);
    if (ti < 0)
        return usher_fail(em, USHER_NOTFOUND, "no ticket %s", c->code);
    ticket_text(state_ticket(st, ti), c->trail.before, sizeof c->trail.before);
    change *ch = malloc(sizeof *ch);
    if (!ch)
        return usher_fail(em, USHER_NOMEM, "out of memory");
    usher_err err = c->unrevoke ? state_unrevoke_ticket(st, c->code, ch, em)
                                : state_edit_ticket(st, c->code, c->name, c->klass, ch, em);
    if (!err && !c->unrevoke)
        err = state_note_ticket(st, c->code, c->note, c->attention, ch, em);
    if (err) {
        free(ch);
        return err;
    }
    ticket_text(state_ticket(st, ti), c->trail.after, sizeof c->trail.after);
    *out = ch;
    *n = 1;
    return USHER_OK;
}

/* A string field of an edit: absent (keep), a string, or null (none). */
static bool edit_field_ok(const json_t *v)
{
    return !v || json_is_string(v) || json_is_null(v);
}

static const char *edit_text(const json_t *v, const char *current)
{
    return !v ? current : json_is_string(v) ? json_string_value(v) : "";
}

/* Reads {"name"?, "class"?, "note"?, "attention"?} for an edit over the
 * ticket's current values; false with a reply on bad input. */
static bool read_edit(http_request *req, http_reply *r, correction *c, const ticket_state *t)
{
    json_error_t je;
    json_t *j = req->len ? json_loadb(req->body, req->len, 0, &je) : NULL;
    json_t *name = j ? json_object_get(j, "name") : NULL;
    json_t *klass = j ? json_object_get(j, "class") : NULL;
    json_t *note = j ? json_object_get(j, "note") : NULL;
    json_t *att = j ? json_object_get(j, "attention") : NULL;
    usher_errmsg em = {{0}};
    bool ok = false;
    if (!j || !json_is_object(j) || (!name && !klass && !note && !att) ||
        (name && !json_is_string(name)) || !edit_field_ok(klass) || !edit_field_ok(note) ||
        (att && !json_is_boolean(att)))
        http_error(r, 400, "invalid",
                   "edit needs a JSON body {\"name\": \"...\", \"class\": \"...\", \"note\": "
                   "\"...\", \"attention\": true|false} (any of them; \"class\" or \"note\": "
                   "null for none)");
    else if (ticket_name_clean(name ? json_string_value(name) : t->name, c->name, &em) ||
             ticket_class_clean(edit_text(klass, t->klass), c->klass, &em) ||
             ticket_note_clean(edit_text(note, t->note), c->note, &em))
        http_error(r, 400, "invalid", "%s", em.text);
    else
        ok = true;
    c->attention = att ? json_is_true(att) : t->attention;
    json_decref(j);
    return ok;
}

/* POST /v1/tickets/CODE/edit {"name", "class", "note", "attention"} and /v1/tickets/CODE/unrevoke:
 * a change every device pulls, and an alert naming who, when, before, after. */
static void api_correct(http_request *req, http_reply *r, const char *id, bool unrevoke)
{
    correction *c = calloc(1, sizeof *c);
    if (!c) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    text_copy(c->code, sizeof c->code, id);
    bool known = ticketcode_normalize(c->code);
    c->unrevoke = unrevoke;
    const state *st = engine_read_begin(req->e);
    int ti = known ? state_find_ticket(st, c->code) : -1;
    ticket_state cur = {0};
    if (ti >= 0)
        cur = *state_ticket(st, ti);
    engine_read_end(req->e);
    if (ti < 0) {
        http_error(r, 404, "not_found", "no ticket %.40s", id);
        goto out;
    }
    if (unrevoke && !cur.revoked) {
        http_error(r, 409, "not_revoked", "ticket %s is not revoked: nothing to undo", c->code);
        goto out;
    }
    if (!unrevoke && !read_edit(req, r, c, &cur))
        goto out;
    if (!unrevoke && !strcmp(c->name, cur.name) && !strcmp(c->klass, cur.klass) &&
        !strcmp(c->note, cur.note) && c->attention == cur.attention) {
        http_json(r, 200, json_pack("{s:b, s:o}", "changed", 0, "ticket", ticket_json(&cur)));
        goto out;
    }
    c->trail.a.kind = unrevoke ? ALERT_TICKET_UNREVOKED : ALERT_TICKET_EDITED;
    text_copy(c->trail.a.ticket, sizeof c->trail.a.ticket, c->code);
    text_copy(c->trail.a.device, sizeof c->trail.a.device, req->dev.id);
    c->trail.a.at = timestamp_now_ms();
    usher_errmsg em = {{0}};
    int64_t cursor = 0;
    usher_err err =
        engine_admin_change(req->e, correction_apply, c, &c->trail, 1, NULL, &cursor, &em);
    if (err == USHER_NOTFOUND || err == USHER_CONFLICT || err == USHER_INVAL) {
        http_error(r,
                   err == USHER_NOTFOUND   ? 404
                   : err == USHER_CONFLICT ? 409
                                           : 400,
                   err == USHER_NOTFOUND   ? "not_found"
                   : err == USHER_CONFLICT ? "not_revoked"
                                           : "invalid",
                   "%s", em.text);
        goto out;
    }
    if (err) {
        http_error(r, 503, "unavailable", "could not save the correction (%s); try again", em.text);
        goto out;
    }
    st = engine_read_begin(req->e);
    ti = state_find_ticket(st, c->code);
    json_t *tj = ti >= 0 ? ticket_json(state_ticket(st, ti)) : json_null();
    engine_read_end(req->e);
    http_json(r, 200,
              json_pack("{s:b, s:o, s:I, s:{s:s, s:o, s:s, s:s}}", "changed", 1, "ticket", tj,
                        "cursor", (json_int_t)cursor, "trail", "who", c->trail.a.device, "when",
                        time_or_null(c->trail.a.at), "before", c->trail.before, "after",
                        c->trail.after));
out:
    free(c);
}

/* /v1/seats/ID/(block|unblock) and /v1/tickets/CODE/(revoke|unseat|move). */
static void api_item_action(http_request *req, http_reply *r, const char *rest, bool seats)
{
    char id[64], verb[16];
    const char *slash = strchr(rest, '/');
    if (!slash || (size_t)(slash - rest) >= sizeof id || strlen(slash + 1) >= sizeof verb) {
        http_error(r, 404, "not_found", "no such endpoint");
        return;
    }
    text_copyn(id, sizeof id, rest, (size_t)(slash - rest));
    text_copy(verb, sizeof verb, slash + 1);
    if (seats && (!strcmp(verb, "block") || !strcmp(verb, "unblock"))) {
        api_action(req, r, !strcmp(verb, "block") ? OP_BLOCK : OP_UNBLOCK, NULL, id, NULL);
        return;
    }
    if (!seats && !strcmp(verb, "revoke")) {
        api_action(req, r, OP_REVOKE, id, NULL, NULL);
        return;
    }
    if (!seats && (!strcmp(verb, "edit") || !strcmp(verb, "unrevoke"))) {
        api_correct(req, r, id, !strcmp(verb, "unrevoke"));
        return;
    }
    if (!seats && !strcmp(verb, "unseat")) {
        api_action(req, r, OP_UNASSIGN, id, NULL, NULL);
        return;
    }
    if (!seats && !strcmp(verb, "move")) {
        char seat[USHER_SEAT_ID_SIZE];
        if (!body_string(req, "seat", seat, sizeof seat) || !seat[0]) {
            http_error(r, 400, "invalid", "move needs a JSON body {\"seat\": \"T07-03\"}");
            return;
        }
        /* A deliberate move: the organiser's expectation is the current seat. */
        char cur[USHER_SEAT_ID_SIZE] = "";
        const state *st = engine_read_begin(req->e);
        char code[USHER_CODE_SIZE];
        text_copy(code, sizeof code, id);
        ticketcode_upcase(code);
        int ti = state_find_ticket(st, code);
        if (ti >= 0)
            text_copy(cur, sizeof cur, state_ticket(st, ti)->seat);
        engine_read_end(req->e);
        api_action(req, r, OP_ASSIGN, id, seat, cur);
        return;
    }
    http_error(r, 404, "not_found", "no such action: %.20s", verb);
}

/* ---- health and metrics -------------------------------------------------- */

/* One metric's HELP and TYPE lines (promtool wants both for every metric). */
static void metric_head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void metric_u64(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
    metric_head(f, name, type, help);
    fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

static void metrics_engine(FILE *f, engine *e, const engine_stats *es)
{
    metric_head(f, "usher_ops_total", "counter", "Operations applied, by verdict.");
    fprintf(f,
            "usher_ops_total{verdict=\"accepted\"} %llu\n"
            "usher_ops_total{verdict=\"rejected\"} %llu\n"
            "usher_ops_total{verdict=\"duplicate\"} %llu\n",
            (unsigned long long)es->accepted, (unsigned long long)es->rejected,
            (unsigned long long)es->duplicates);
    metric_u64(f, "usher_reseats_total", "counter", "Tickets moved by the reseat policy.",
               es->reseats);
    metric_u64(f, "usher_commit_groups_total", "counter", "Durable group commits.", es->groups);
    metric_u64(f, "usher_commit_failures_total", "counter",
               "Group commits that failed (their requests were answered 503).",
               es->commit_failures);
    metric_head(f, "usher_commit_seconds_total", "counter",
                "Time spent applying and committing groups.");
    fprintf(f, "usher_commit_seconds_total %.6f\n", es->commit_seconds);
    metric_head(f, "usher_commit_duration_seconds", "histogram",
                "Time one group took to apply and commit (one fsync).");
    uint64_t cum = 0;
    for (size_t b = 0; b < ENGINE_COMMIT_BUCKETS; b++) {
        cum += es->commit_hist[b];
        fprintf(f, "usher_commit_duration_seconds_bucket{le=\"%g\"} %llu\n",
                engine_commit_bounds[b], (unsigned long long)cum);
    }
    cum += es->commit_hist[ENGINE_COMMIT_BUCKETS];
    fprintf(f,
            "usher_commit_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
            "usher_commit_duration_seconds_sum %.6f\n"
            "usher_commit_duration_seconds_count %llu\n",
            (unsigned long long)cum, es->commit_seconds, (unsigned long long)cum);
    metric_u64(f, "usher_checkpoints_total", "counter", "Passes of the log checkpointer thread.",
               es->checkpoints);
    metric_u64(f, "usher_snapshot_joins_total", "counter",
               "Devices that asked for the snapshot (GET /v1/snapshot).", es->snapshots);
    metric_u64(f, "usher_syncs_total", "counter", "Sync requests (POST /v1/sync) taken.",
               es->syncs);
    metric_head(f, "usher_last_seq", "gauge", "Sequence number of the newest change.");
    fprintf(f, "usher_last_seq %lld\n", (long long)engine_last_seq(e));
    metric_u64(f, "usher_devices_online", "gauge", "Devices that synced in the last 30 seconds.",
               engine_devices_online(e, timestamp_now_ms()));
    metric_u64(f, "usher_active", "gauge",
               "1 when this coordinator is the active one, 0 for a standby.", 1);
}

static void metrics_limits(FILE *f, const limits_stats *ls, const limits_config *lc)
{
    metric_u64(f, "usher_http_connections", "gauge", "HTTP connections open.", ls->connections);
    metric_u64(f, "usher_http_connections_max", "gauge",
               "Open connections beyond which requests are answered 503.", lc->max_connections);
    metric_u64(f, "usher_http_client_addresses", "gauge", "Client addresses holding a connection.",
               ls->addresses);
    metric_u64(f, "usher_event_streams", "gauge", "Event streams (GET /v1/events) open.",
               ls->streams);
    metric_u64(f, "usher_event_streams_max", "gauge",
               "Open event streams beyond which new ones are answered 503.", lc->max_streams);
    metric_head(f, "usher_refusals_total", "counter",
                "Connections and requests refused or cut at a limit, by limit.");
    for (int k = 0; k < LIMIT_COUNT; k++)
        fprintf(f, "usher_refusals_total{limit=\"%s\"} %llu\n", limit_name((limit_kind)k),
                (unsigned long long)ls->refused[k]);
}

static void api_metrics(http_request *req, http_reply *r)
{
    engine_stats es;
    engine_get_stats(req->e, &es);
    limits_stats ls;
    limits_config lc;
    http_limits_stats(req, &ls, &lc);
    state_stats s;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    const state *st = engine_read_begin(req->e);
    state_get_stats(st, timestamp_now_ms(), &s);
    coord_api_entrances_metrics(f, req, st); /* under the same lock; order is free */
    engine_read_end(req->e);
    metrics_engine(f, req->e, &es);
    metric_u64(f, "usher_snapshot_builds_total", "counter",
               "Snapshots built: once per cursor, shared by the devices joining together.",
               snapcache_builds(req->snaps));
    metrics_limits(f, &ls, &lc);
    metric_u64(f, "usher_seats", "gauge", "Seats in the layout.", (uint64_t)s.seats);
    metric_u64(f, "usher_seats_taken", "gauge", "Seats with a ticket.", (uint64_t)s.seated);
    metric_u64(f, "usher_seats_leased", "gauge", "Seats leased to a device.", (uint64_t)s.leased);
    metric_u64(f, "usher_tickets", "gauge", "Tickets of the event.", (uint64_t)s.tickets);
    metric_u64(f, "usher_checked_in", "gauge", "Tickets checked in at a door.",
               (uint64_t)s.checked_in);
    metric_u64(f, "usher_inside", "gauge",
               "Tickets inside now: checked in and not checked out since.", (uint64_t)s.inside);
    coord_printers_counts pc;
    coord_printers_count(req->printers, timestamp_now_ms(), &pc);
    metric_u64(f, "usher_printers", "gauge", "Devices with a seat-card printer.",
               (uint64_t)pc.printers);
    metric_u64(f, "usher_printers_failing", "gauge",
               "Seat-card printers that cannot print now (offline, out of paper, stopped).",
               (uint64_t)pc.failing);
    metric_u64(f, "usher_printers_alerting", "gauge",
               "Seat-card printers failing for longer than serve --printer-alert.",
               (uint64_t)pc.alerting);
    metric_u64(f, "usher_printer_cards_waiting", "gauge",
               "Seat cards waiting for their printer, on every device.", (uint64_t)pc.waiting);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    r->status = 200;
    r->type = "text/plain; version=0.0.4";
    r->body = buf;
    r->len = len;
}

/* ---- routing -------------------------------------------------------------- */

static void api_healthz(http_request *req, http_reply *r)
{
    const char *why = engine_broken_reason(req->e);
    bool waiting = !why && engine_waiting_for_db(req->e);
    json_t *o = json_pack("{s:b, s:I}", "ok", !why && !waiting, "cursor",
                          (json_int_t)engine_last_seq(req->e));
    if (o && why)
        json_object_set_new(o, "error",
                            json_sprintf("%s: restart usher-coord once the disk is sound", why));
    else if (o && waiting)
        json_object_set_new(o, "error",
                            json_string("the coordinator's database cannot be reached: waiting "
                                        "for it (ops are refused meanwhile)"));
    if (req->role)
        coord_role_put_json(req->role, o); /* the serves a dashboard may move to */
    http_json(r, why || waiting ? 503 : 200, o);
    r->any_origin = true; /* a dashboard served by another serve of the event asks */
}

static void api_pubkey(http_request *req, http_reply *r)
{
    http_json(r, 200, event_json(req->e));
}

static void api_alerts(http_request *req, http_reply *r)
{
    db_list(req, r, read_alerts, "alerts");
}

static void api_devices(http_request *req, http_reply *r)
{
    db_list(req, r, read_devices, "devices");
}

static void api_checkins(http_request *req, http_reply *r)
{
    db_list(req, r, read_checkins, "checkins");
}

/* GET /v1/export/NAME.csv; the route matched only known names. */
static void api_export_named(http_request *req, http_reply *r)
{
    char what[32];
    const char *name = req->path + 11;
    text_copyn(what, sizeof what, name, strlen(name) - 4);
    api_export(req, r, what);
}

static void api_seat_action(http_request *req, http_reply *r)
{
    api_item_action(req, r, req->path + 10, true);
}

static void api_ticket_action(http_request *req, http_reply *r)
{
    api_item_action(req, r, req->path + 12, false);
}

static void finish_ack(http_request *req, engine_req *er, http_reply *r)
{
    db_read *d = er->db_arg;
    (void)req;
    if (er->err == USHER_NOTFOUND)
        http_error(r, 404, "not_found", "no alert %lld", (long long)d->id);
    else if (er->err)
        http_error(r, 503, "unavailable", "could not save; try again");
    else
        http_json(r, 200, json_pack("{s:b}", "ok", 1));
}

/* POST /v1/alerts/ID/ack; the route matched the shape. */
static void api_alert_ack(http_request *req, http_reply *r)
{
    const char *rest = req->path + 11, *slash = strchr(rest, '/');
    char num[24];
    int64_t id = 0;
    text_copyn(num, sizeof num, rest, (size_t)(slash - rest));
    if (!text_parse_i64(num, 1, INT64_MAX, &id)) {
        http_error(r, 404, "not_found", "no alert %.24s: acknowledge with POST /v1/alerts/ID/ack",
                   num);
        return;
    }
    db_read *d = calloc(1, sizeof *d);
    if (!d) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    d->id = id;
    http_submit_db(req, ack_alert, d, db_read_free, finish_ack);
}

/* "PREFIX" + one non-empty segment without '/' + "/" + one of verbs (a
 * NULL-terminated list). */
static bool item_path(const char *p, const char *prefix, const char *const *verbs)
{
    size_t n = strlen(prefix);
    if (strncmp(p, prefix, n) != 0)
        return false;
    const char *id = p + n, *slash = strchr(id, '/');
    if (!slash || slash == id)
        return false;
    for (const char *const *v = verbs; *v; v++)
        if (!strcmp(slash + 1, *v))
            return true;
    return false;
}

static bool seat_action_path(const char *p)
{
    static const char *const verbs[] = {"block", "unblock", NULL};
    return item_path(p, "/v1/seats/", verbs);
}

static bool ticket_action_path(const char *p)
{
    static const char *const verbs[] = {"revoke", "unrevoke", "edit", "unseat", "move", NULL};
    return item_path(p, "/v1/tickets/", verbs);
}

static bool alert_ack_path(const char *p)
{
    static const char *const verbs[] = {"ack", NULL};
    return item_path(p, "/v1/alerts/", verbs);
}

static bool export_path(const char *p)
{
    if (strncmp(p, "/v1/export/", 11) != 0)
        return false;
    const char *name = p + 11, *dot = strstr(name, ".csv");
    char what[32];
    if (!dot || dot[4] || (size_t)(dot - name) >= sizeof what)
        return false;
    text_copyn(what, sizeof what, name, (size_t)(dot - name));
    return coord_export_known(what);
}

typedef enum { ROUTE_OPEN, ROUTE_DEVICE, ROUTE_ADMIN } route_access;

/* One endpoint: a fixed path or a path shape, its method and who may call it. */
typedef struct route {
    const char *path;                /* exact path, or NULL with match */
    bool (*match)(const char *path); /* a shape (with an id inside) */
    const char *method;
    route_access who;
    void (*fn)(http_request *req, http_reply *r);
} route;

static const route routes[] = {
    {"/healthz", NULL, "GET", ROUTE_OPEN, api_healthz},
    {"/metrics", NULL, "GET", ROUTE_OPEN, api_metrics},
    {"/v1/sync", NULL, "POST", ROUTE_DEVICE, api_sync},
    {"/v1/snapshot", NULL, "GET", ROUTE_DEVICE, api_snapshot},
    {"/v1/layout", NULL, "GET", ROUTE_DEVICE, api_layout},
    {"/v1/layout", NULL, "PUT", ROUTE_ADMIN, api_layout_put},
    {"/v1/pubkey", NULL, "GET", ROUTE_DEVICE, api_pubkey},
    {"/v1/seats", NULL, "GET", ROUTE_ADMIN, api_seats},
    {"/v1/tickets", NULL, "GET", ROUTE_ADMIN, api_tickets},
    {"/v1/stats", NULL, "GET", ROUTE_ADMIN, api_stats},
    {"/v1/alerts", NULL, "GET", ROUTE_ADMIN, api_alerts},
    {"/v1/devices", NULL, "GET", ROUTE_ADMIN, api_devices},
    {NULL, coord_api_device_path, "PUT", ROUTE_ADMIN, coord_api_device_put},
    {NULL, coord_api_device_path, "POST", ROUTE_ADMIN, coord_api_device_put},
    {"/v1/entrances", NULL, "GET", ROUTE_ADMIN, coord_api_entrances_get},
    {"/v1/entrances", NULL, "POST", ROUTE_ADMIN, coord_api_entrances_post},
    {NULL, coord_api_entrance_path, "DELETE", ROUTE_ADMIN, coord_api_entrance_delete},
    {"/v1/checkins", NULL, "GET", ROUTE_ADMIN, api_checkins},
    {NULL, export_path, "GET", ROUTE_ADMIN, api_export_named},
    {NULL, seat_action_path, "POST", ROUTE_ADMIN, api_seat_action},
    {"/v1/tickets/import", NULL, "POST", ROUTE_ADMIN, api_tickets_import},
    {NULL, ticket_action_path, "POST", ROUTE_ADMIN, api_ticket_action},
    {NULL, alert_ack_path, "POST", ROUTE_ADMIN, api_alert_ack},
};

/* What a caller learns, in this order: 404 for a path that is no endpoint,
 * 405 for the wrong method, 403 for a role that may not call it. */
void coord_api_dispatch(http_request *req, http_reply *r)
{
    const char *p = req->path, *m = req->method;
    const route *found = NULL;
    /* A path may have several methods: the first route with the path, or
     * the one whose method matches. */
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route *rt = &routes[i];
        if (rt->path ? !strcmp(p, rt->path) : rt->match(p)) {
            if (!found)
                found = rt;
            if (!strcmp(m, rt->method)) {
                found = rt;
                break;
            }
        }
    }
    if (!found) {
        if (!strncmp(p, "/v1/export/", 11))
            http_error(r, 404, "not_found",
                       "exports are /v1/export/assignments.csv, checkins.csv and alerts.csv");
        else if (!strncmp(p, "/v1/alerts/", 11))
            http_error(r, 404, "not_found", "acknowledge with POST /v1/alerts/ID/ack");
        else
            http_error(r, 404, "not_found", "no such endpoint: %.80s", p);
        return;
    }
    if (strcmp(m, found->method) != 0) {
        http_error(r, 405, "method_not_allowed", "use %s for %.80s", found->method, p);
        return;
    }
    if (found->who == ROUTE_ADMIN && !is_admin(req)) {
        http_error(r, 403, "forbidden", "%.80s needs an admin token", p);
        return;
    }
    found->fn(req, r);
}

/* coord_api.c - handlers of the coordinator's JSON API (syncd/README.md documents
 * every endpoint with examples). */
#include "coord_api.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "coord_export.h"
#include "protocol.h"
#include "qrsig.h"
#include "text.h"
#include "ticket.h"
#include "timestamp.h"

#define ONLINE_WINDOW_MS 30000
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

/* A growing reply body. */
typedef struct body_buf {
    char *p;
    size_t len, cap;
    bool failed; /* out of memory: p freed */
} body_buf;

static void body_put(body_buf *b, const char *text, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            free(b->p);
            *b = (body_buf){.failed = true};
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, text, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void body_puts(body_buf *b, const char *text)
{
    body_put(b, text, strlen(text));
}

/* Appends the compact JSON of j (released), or fails the body. */
static void body_json(body_buf *b, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        free(b->p);
        *b = (body_buf){.failed = true};
        return;
    }
    body_puts(b, text);
    free(text);
}

/* The sync response, {"cursor","more","verdicts","changes","event"} as
 * proto_sync_response_encode writes it, but with the changes' JSON copied from
 * the change ring instead of encoded again for every reply (32 clients each
 * pulling every change is 32 encodings of it). */
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
    body_buf b = {0};
    char head[64];
    snprintf(head, sizeof head, "{\"cursor\":%lld,\"more\":%s,\"verdicts\":[", (long long)cursor,
             more ? "true" : "false");
    body_puts(&b, head);
    for (size_t i = 0; i < er->nops; i++) {
        if (i)
            body_put(&b, ",", 1);
        body_json(&b, proto_verdict_encode(&er->verdicts[i]));
    }
    body_puts(&b, "],\"changes\":[");
    if (ring_text)
        body_put(&b, ring_text, ring_len);
    for (size_t i = 0; !er->changes_in_ring && i < er->nchanges; i++) {
        if (i)
            body_put(&b, ",", 1);
        body_json(&b, proto_change_encode(&er->changes[i]));
    }
    body_puts(&b, "],\"event\":");
    event_settings s;
    engine_settings(req->e, &s);
    body_json(&b, proto_settings_encode(&s));
    body_puts(&b, "}");
    free(ring_text);
    if (b.failed) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    r->status = 200;
    r->type = "application/json";
    r->body = b.p;
    r->len = b.len;
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
    engine_device_seen(req->e, req->dev.id, sr.cursor, (int64_t)sr.nops);
    http_submit(req, sr.ops, sr.nops, sr.cursor, finish_sync);
    sr.ops = NULL; /* owned by the connection now */
out:
    proto_sync_request_release(&sr);
}

/* ---- snapshot, layout, public key --------------------------------------- */

/* The event as a device learns it: its facts, and its settings (codes,
 * PIN hash, time zone) in the same object. */
static json_t *event_json(engine *e)
{
    const coord_event *ev = engine_event(e);
    char pk[2 * QRSIG_PK_BYTES + 1];
    qrsig_pk_to_text(ev->pk, pk);
    event_settings s;
    engine_settings(e, &s);
    json_t *obj = proto_settings_encode(&s);
    json_t *facts = json_pack("{s:s, s:s, s:I, s:s, s:s}", "id", ev->event_id, "name", ev->name,
                              "hold_ttl_ms", (json_int_t)ev->hold_ttl_ms, "pubkey", pk, "reseat",
                              ev->reseat == RESEAT_NEAREST ? "nearest" : "none");
    if (!obj || !facts || json_object_update(obj, facts) != 0) {
        json_decref(obj);
        obj = NULL;
    }
    json_decref(facts);
    return obj;
}

static void api_snapshot(http_request *req, http_reply *r)
{
    json_t *lay = json_loads(engine_layout_json(req->e), 0, NULL);
    json_t *changes = json_array();
    const state *st = engine_read_begin(req->e);
    int64_t cursor = engine_last_seq(req->e);
    const layout *l = state_layout(st);
    for (int i = 0; i < state_ticket_count(st); i++) {
        change c;
        memset(&c, 0, sizeof c);
        c.type = CHANGE_TICKET;
        c.ticket = *state_ticket(st, i);
        json_array_append_new(changes, proto_change_encode(&c));
    }
    for (int i = 0; i < state_seat_count(st); i++) {
        const seat_state *s = state_seat(st, i);
        if (!s->ticket[0] && !s->blocked && !s->hold_device[0] && !s->lease_device[0])
            continue; /* a device starts with every seat free */
        change c;
        memset(&c, 0, sizeof c);
        c.type = CHANGE_SEAT;
        text_copy(c.seat_id, sizeof c.seat_id, layout_seat_at(l, i)->id);
        c.seat = *s;
        json_array_append_new(changes, proto_change_encode(&c));
    }
    engine_read_end(req->e);
    http_json(r, 200,
              json_pack("{s:o, s:{s:s, s:s}, s:o, s:I, s:o}", "event", event_json(req->e), "device",
                        "id", req->dev.id, "role", role_name(req->dev.role), "layout",
                        lay ? lay : json_null(), "cursor", (json_int_t)cursor, "changes", changes));
}

static void api_layout(http_request *req, http_reply *r)
{
    const char *text = engine_layout_json(req->e);
    r->status = 200;
    r->type = "application/json";
    r->body = strdup(text);
    r->len = r->body ? strlen(r->body) : 0;
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
     * the check-in of one never scanned. */
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:b}", "code", t->code, "name", t->name,
                     "class", t->klass, "seat", t->seat[0] ? json_string(t->seat) : json_null(),
                     "checked_in_at", time_or_null(t->checked_in_at), "checkin_device",
                     t->checkin_device[0] ? json_string(t->checkin_device) : json_null(), "revoked",
                     t->revoked);
}

/* Case-insensitive substring for ASCII; UTF-8 bytes compare exactly. */
static bool contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return true;
    return n == 0;
}

static void api_tickets(http_request *req, http_reply *r)
{
    const char *q = http_query(req, "q");
    if (q && strlen(q) > 100) {
        http_error(r, 400, "invalid", "q: at most 100 characters");
        return;
    }
    json_t *arr = json_array();
    size_t total = 0;
    const state *st = engine_read_begin(req->e);
    for (int i = 0; i < state_ticket_count(st); i++) {
        const ticket_state *t = state_ticket(st, i);
        if (q && *q && !contains(t->code, q) && !contains(t->name, q))
            continue;
        if (total++ < SEARCH_LIMIT)
            json_array_append_new(arr, ticket_json(t));
    }
    engine_read_end(req->e);
    http_json(r, 200, json_pack("{s:o, s:I}", "tickets", arr, "total", (json_int_t)total));
}

/* What an import added, and what its codes are: {"added", "cursor", "codes":
 * "strong|weak", "weak": n, "example"?, "why"?, "event_codes"}. */
static json_t *import_answer(engine *e, const ticket_list *tl, size_t added)
{
    ticketcode_report rep;
    if (ticket_list_classify(tl, &rep) != USHER_OK)
        rep.strength = TICKETCODE_WEAK;
    event_settings s;
    engine_settings(e, &s);
    json_t *obj =
        json_pack("{s:I, s:I, s:s, s:I, s:s}", "added", (json_int_t)added, "cursor",
                  (json_int_t)engine_last_seq(e), "codes", ticketcode_strength_name(rep.strength),
                  "weak", (json_int_t)rep.weak, "event_codes", ticketcode_strength_name(s.codes));
    if (obj && rep.example[0]) {
        json_object_set_new(obj, "example", json_string(rep.example));
        json_object_set_new(obj, "why", json_string(rep.why));
    }
    return obj;
}

/* POST /v1/tickets/import: the organisers' CSV (as `usher-coord tickets
 * import`) while serving. All or nothing; every problem by line. */
static void api_tickets_import(http_request *req, http_reply *r)
{
    if (req->body_too_big) {
        http_error(r, 413, "too_large", "CSV over %d bytes: split it into several imports",
                   PROTO_MAX_BODY);
        return;
    }
    ticket_list tl = {0};
    csv_report rep = {0};
    usher_err err = ticket_csv_parse(req->body, req->len, &tl, &rep);
    if (err == USHER_PARSE) {
        json_t *problems = json_array();
        for (size_t i = 0; i < rep.count; i++)
            json_array_append_new(problems, json_pack("{s:i, s:s}", "line", rep.items[i].line,
                                                      "message", rep.items[i].message));
        char msg[256];
        snprintf(msg, sizeof msg, "%zu problem%s in the CSV; nothing imported%s%s", rep.total,
                 rep.total == 1 ? "" : "s", rep.count ? ": " : "",
                 rep.count ? rep.items[0].message : "");
        http_json(r, 400,
                  json_pack("{s:s, s:s, s:o, s:I}", "error", "invalid", "message", msg, "problems",
                            problems, "total", (json_int_t)rep.total));
    } else if (err) {
        http_error(r, 500, "internal", "out of memory reading the CSV");
    } else if (tl.count == 0) {
        http_error(r, 400, "invalid",
                   "the CSV holds no ticket: a header line "
                   "(ticket_number,full_name[,class]) and one line a ticket");
    } else {
        usher_errmsg em = {{0}};
        size_t added = 0;
        err = engine_add_tickets(req->e, &tl, &added, &em);
        if (err == USHER_EXISTS)
            http_error(r, 409, "exists", "%s; nothing imported", em.text);
        else if (err)
            http_error(r, 503, "unavailable", "could not save the tickets (%s); try again",
                       em.text);
        else
            http_json(r, 200, import_answer(req->e, &tl, added));
    }
    ticket_list_release(&tl);
    csv_report_release(&rep);
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
    engine_read_end(req->e);
    event_settings es;
    engine_settings(req->e, &es);
    json_t *event = json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", engine_event(req->e)->name,
                              "codes", ticketcode_strength_name(es.codes), "codes_by",
                              es.codes_by_organiser ? "organiser" : "import", "tz",
                              es.tz[0] ? es.tz : "UTC", "staff_pin", es.pin_hash[0] != 0);
    http_json(r, 200,
              json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:o, s:o}", "seats", s.seats,
                        "seated", s.seated, "blocked", s.blocked, "held", s.held, "leased",
                        s.leased, "expected", s.tickets, "revoked", s.revoked, "checked_in",
                        s.checked_in, "cursor", (json_int_t)engine_last_seq(req->e), "sections",
                        sections, "event", event));
}

/* Database reads and alert acks run on the committer thread
 * (http_submit_db): the connection waits, no HTTP thread does. */
typedef struct db_read {
    const char *key; /* the reply's {key: out} */
    json_t *out;
    bool open_only; /* alerts: ?open=1 */
    int64_t id;     /* alert id for acks */
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
        json_array_append_new(d->out, o);
    }
    free(as);
    return USHER_OK;
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
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            d->out, json_pack("{s:s, s:s, s:o, s:b, s:I, s:I, s:b}", "id", ds[i].id, "role",
                              role_name(ds[i].role), "last_seen", time_or_null(ds[i].last_seen),
                              "online", ds[i].last_seen && now - ds[i].last_seen < ONLINE_WINDOW_MS,
                              "cursor", (json_int_t)ds[i].cursor, "pending",
                              (json_int_t)ds[i].pending, "disabled", ds[i].disabled));
    free(ds);
    return USHER_OK;
}

static json_t *scan_json(const coord_checkin *c, bool revoked)
{
    return json_pack("{s:s, s:s, s:o, s:b, s:b}", "ticket", c->ticket, "device", c->device, "at",
                     time_or_null(c->at), "duplicate", c->duplicate, "revoked", revoked);
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

static void api_metrics(http_request *req, http_reply *r)
{
    engine_stats es;
    engine_get_stats(req->e, &es);
    state_stats s;
    const state *st = engine_read_begin(req->e);
    state_get_stats(st, timestamp_now_ms(), &s);
    engine_read_end(req->e);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    fprintf(f,
            "# HELP usher_ops_total Operations applied, by verdict.\n"
            "# TYPE usher_ops_total counter\n"
            "usher_ops_total{verdict=\"accepted\"} %llu\n"
            "usher_ops_total{verdict=\"rejected\"} %llu\n"
            "usher_ops_total{verdict=\"duplicate\"} %llu\n"
            "# HELP usher_reseats_total Tickets moved by the reseat policy.\n"
            "# TYPE usher_reseats_total counter\n"
            "usher_reseats_total %llu\n"
            "# HELP usher_commit_groups_total Durable group commits.\n"
            "# TYPE usher_commit_groups_total counter\n"
            "usher_commit_groups_total %llu\n"
            "usher_commit_failures_total %llu\n"
            "# HELP usher_commit_seconds_total Time spent applying and committing.\n"
            "# TYPE usher_commit_seconds_total counter\n"
            "usher_commit_seconds_total %.6f\n"
            "# HELP usher_checkpoints_total Passes of the log checkpointer thread.\n"
            "# TYPE usher_checkpoints_total counter\n"
            "usher_checkpoints_total %llu\n"
            "# TYPE usher_last_seq gauge\nusher_last_seq %lld\n"
            "# TYPE usher_seats gauge\nusher_seats %d\n"
            "# TYPE usher_seats_taken gauge\nusher_seats_taken %d\n"
            "# TYPE usher_seats_leased gauge\nusher_seats_leased %d\n"
            "# TYPE usher_tickets gauge\nusher_tickets %d\n"
            "# TYPE usher_checked_in gauge\nusher_checked_in %d\n",
            (unsigned long long)es.accepted, (unsigned long long)es.rejected,
            (unsigned long long)es.duplicates, (unsigned long long)es.reseats,
            (unsigned long long)es.groups, (unsigned long long)es.commit_failures,
            es.commit_seconds, (unsigned long long)es.checkpoints,
            (long long)engine_last_seq(req->e), s.seats, s.seated, s.leased, s.tickets,
            s.checked_in);
    fclose(f);
    r->status = 200;
    r->type = "text/plain; version=0.0.4";
    r->body = buf;
    r->len = len;
}

/* ---- routing -------------------------------------------------------------- */

static void api_healthz(http_request *req, http_reply *r)
{
    bool ok = engine_healthy(req->e);
    http_json(r, ok ? 200 : 503,
              json_pack("{s:b, s:I}", "ok", ok, "cursor", (json_int_t)engine_last_seq(req->e)));
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
    static const char *const verbs[] = {"revoke", "unseat", "move", NULL};
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
    {"/v1/pubkey", NULL, "GET", ROUTE_DEVICE, api_pubkey},
    {"/v1/seats", NULL, "GET", ROUTE_ADMIN, api_seats},
    {"/v1/tickets", NULL, "GET", ROUTE_ADMIN, api_tickets},
    {"/v1/stats", NULL, "GET", ROUTE_ADMIN, api_stats},
    {"/v1/alerts", NULL, "GET", ROUTE_ADMIN, api_alerts},
    {"/v1/devices", NULL, "GET", ROUTE_ADMIN, api_devices},
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
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route *rt = &routes[i];
        if (rt->path ? !strcmp(p, rt->path) : rt->match(p)) {
            found = rt;
            break;
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

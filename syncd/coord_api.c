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

static void finish_sync(http_request *req, engine_req *er, http_reply *r)
{
    if (er->err) {
        http_error(r, 503, "unavailable", "%s", er->errmsg[0] ? er->errmsg : "try again");
        return;
    }
    sync_response resp = {er->verdicts, er->nops,       er->changes,
                          er->nchanges, er->new_cursor, er->more};
    char *body = proto_sync_response_encode(&resp);
    if (!body) {
        http_error(r, 500, "internal", "out of memory");
        return;
    }
    r->status = 200;
    r->type = "application/json";
    r->body = body;
    r->len = strlen(body);
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

static json_t *event_json(engine *e)
{
    const coord_event *ev = engine_event(e);
    char pk[2 * QRSIG_PK_BYTES + 1];
    qrsig_pk_to_text(ev->pk, pk);
    return json_pack("{s:s, s:s, s:I, s:s, s:s}", "id", ev->event_id, "name", ev->name,
                     "hold_ttl_ms", (json_int_t)ev->hold_ttl_ms, "pubkey", pk, "reseat",
                     ev->reseat == RESEAT_NEAREST ? "nearest" : "none");
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
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:b}", "code", t->code, "name", t->name,
                     "class", t->klass, "seat", t->seat, "checked_in_at",
                     time_or_null(t->checked_in_at), "checkin_device", t->checkin_device, "revoked",
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
    http_json(r, 200,
              json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:I, s:o}", "seats", s.seats,
                        "seated", s.seated, "blocked", s.blocked, "held", s.held, "leased",
                        s.leased, "expected", s.tickets, "revoked", s.revoked, "checked_in",
                        s.checked_in, "cursor", (json_int_t)engine_last_seq(req->e), "sections",
                        sections));
}

/* Database reads run on the committer thread (engine_with_db). */
typedef struct db_read {
    http_request *req;
    json_t *out;
    int64_t id; /* alert id for acks */
} db_read;

static usher_err read_alerts(coorddb *db, void *arg)
{
    db_read *d = arg;
    coord_alert *as = NULL;
    size_t n = 0;
    const char *open = http_query(d->req, "open");
    usher_err err = coorddb_alerts(db, open && !strcmp(open, "1"), 500, &as, &n, NULL);
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

static usher_err read_checkins(coorddb *db, void *arg)
{
    db_read *d = arg;
    coord_checkin *cs = NULL;
    size_t n = 0;
    usher_err err = coorddb_checkins(db, &cs, &n, NULL);
    if (err)
        return err;
    d->out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(d->out,
                              json_pack("{s:s, s:s, s:o, s:b}", "ticket", cs[i].ticket, "device",
                                        cs[i].device, "at", time_or_null(cs[i].at), "duplicate",
                                        cs[i].duplicate));
    free(cs);
    return USHER_OK;
}

static usher_err ack_alert(coorddb *db, void *arg)
{
    db_read *d = arg;
    return coorddb_alert_ack(db, d->id, timestamp_now_ms(), NULL);
}

static void db_list(http_request *req, http_reply *r, usher_err (*fn)(coorddb *, void *),
                    const char *key)
{
    db_read d = {req, NULL, 0};
    if (engine_with_db(req->e, fn, &d) != USHER_OK) {
        json_decref(d.out);
        http_error(r, 503, "unavailable", "could not read the database; try again");
        return;
    }
    http_json(r, 200, json_pack("{s:o}", key, d.out));
}

typedef struct export_job {
    const char *what;
    char *buf;
    size_t len;
} export_job;

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

static void api_export(http_request *req, http_reply *r, const char *what)
{
    export_job j = {what, NULL, 0};
    if (engine_with_db(req->e, run_export, &j) != USHER_OK) {
        free(j.buf);
        http_error(r, 503, "unavailable", "could not export; try again");
        return;
    }
    r->status = 200;
    r->type = "text/csv; charset=utf-8";
    r->body = j.buf;
    r->len = j.len;
    r->disposition = !strcmp(what, "assignments") ? "attachment; filename=\"assignments.csv\""
                     : !strcmp(what, "checkins")  ? "attachment; filename=\"checkins.csv\""
                                                  : "attachment; filename=\"alerts.csv\"";
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
        for (char *p = code; *p; p++)
            *p = (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : *p;
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
            "# TYPE usher_last_seq gauge\nusher_last_seq %lld\n"
            "# TYPE usher_seats gauge\nusher_seats %d\n"
            "# TYPE usher_seats_taken gauge\nusher_seats_taken %d\n"
            "# TYPE usher_seats_leased gauge\nusher_seats_leased %d\n"
            "# TYPE usher_tickets gauge\nusher_tickets %d\n"
            "# TYPE usher_checked_in gauge\nusher_checked_in %d\n",
            (unsigned long long)es.accepted, (unsigned long long)es.rejected,
            (unsigned long long)es.duplicates, (unsigned long long)es.reseats,
            (unsigned long long)es.groups, (unsigned long long)es.commit_failures,
            es.commit_seconds, (long long)engine_last_seq(req->e), s.seats, s.seated, s.leased,
            s.tickets, s.checked_in);
    fclose(f);
    r->status = 200;
    r->type = "text/plain; version=0.0.4";
    r->body = buf;
    r->len = len;
}

/* ---- routing -------------------------------------------------------------- */

void coord_api_dispatch(http_request *req, http_reply *r)
{
    const char *p = req->path, *m = req->method;
    bool get = !strcmp(m, "GET"), post = !strcmp(m, "POST");
    if (!strcmp(p, "/healthz")) {
        if (get)
            http_json(
                r, 200,
                json_pack("{s:b, s:I}", "ok", 1, "cursor", (json_int_t)engine_last_seq(req->e)));
        else
            http_error(r, 405, "method_not_allowed", "use GET");
        return;
    }
    if (!strcmp(p, "/metrics")) {
        if (get)
            api_metrics(req, r);
        else
            http_error(r, 405, "method_not_allowed", "use GET");
        return;
    }
    if (!strcmp(p, "/v1/sync")) {
        if (post)
            api_sync(req, r);
        else
            http_error(r, 405, "method_not_allowed", "use POST for /v1/sync");
        return;
    }
    /* Everything below is a read (GET) unless it names an action (POST). */
    bool action = !strncmp(p, "/v1/seats/", 10) || !strncmp(p, "/v1/tickets/", 12) ||
                  !strncmp(p, "/v1/alerts/", 11);
    if ((action && !post) || (!action && !get)) {
        http_error(r, 405, "method_not_allowed", "%s is not allowed on %.80s", m, p);
        return;
    }
    if (!strcmp(p, "/v1/snapshot")) {
        api_snapshot(req, r);
        return;
    }
    if (!strcmp(p, "/v1/layout")) {
        api_layout(req, r);
        return;
    }
    if (!strcmp(p, "/v1/pubkey")) {
        http_json(r, 200, event_json(req->e));
        return;
    }
    if (!is_admin(req)) {
        http_error(r, 403, "forbidden", "%.80s needs an admin token", p);
        return;
    }
    if (!strcmp(p, "/v1/seats")) {
        api_seats(req, r);
        return;
    }
    if (!strcmp(p, "/v1/tickets")) {
        api_tickets(req, r);
        return;
    }
    if (!strcmp(p, "/v1/stats")) {
        api_stats(req, r);
        return;
    }
    if (!strcmp(p, "/v1/alerts")) {
        db_list(req, r, read_alerts, "alerts");
        return;
    }
    if (!strcmp(p, "/v1/devices")) {
        db_list(req, r, read_devices, "devices");
        return;
    }
    if (!strcmp(p, "/v1/checkins")) {
        db_list(req, r, read_checkins, "checkins");
        return;
    }
    if (!strncmp(p, "/v1/export/", 11)) {
        char what[32];
        const char *name = p + 11;
        const char *dot = strstr(name, ".csv");
        if (dot && !dot[4] && (size_t)(dot - name) < sizeof what) {
            text_copyn(what, sizeof what, name, (size_t)(dot - name));
            if (coord_export_known(what)) {
                api_export(req, r, what);
                return;
            }
        }
        http_error(r, 404, "not_found",
                   "exports are /v1/export/assignments.csv, checkins.csv and alerts.csv");
        return;
    }
    if (!strncmp(p, "/v1/seats/", 10)) {
        api_item_action(req, r, p + 10, true);
        return;
    }
    if (!strncmp(p, "/v1/tickets/", 12)) {
        api_item_action(req, r, p + 12, false);
        return;
    }
    if (!strncmp(p, "/v1/alerts/", 11)) {
        db_read d = {req, NULL, 0};
        const char *rest = p + 11, *slash = strchr(rest, '/');
        char num[24];
        if (slash && !strcmp(slash, "/ack") && (size_t)(slash - rest) < sizeof num) {
            text_copyn(num, sizeof num, rest, (size_t)(slash - rest));
            if (text_parse_i64(num, 1, INT64_MAX, &d.id)) {
                usher_err err = engine_with_db(req->e, ack_alert, &d);
                if (err == USHER_NOTFOUND)
                    http_error(r, 404, "not_found", "no alert %lld", (long long)d.id);
                else if (err)
                    http_error(r, 503, "unavailable", "could not save; try again");
                else
                    http_json(r, 200, json_pack("{s:b}", "ok", 1));
                return;
            }
        }
        http_error(r, 404, "not_found", "acknowledge with POST /v1/alerts/ID/ack");
        return;
    }
    http_error(r, 404, "not_found", "no such endpoint: %.80s", p);
}

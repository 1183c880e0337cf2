/* syncd_plan.c - usher-syncd's decisions: answers, snapshot, backoff, leases. */
#include "syncd_plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

const char *syncd_act_name(syncd_act a)
{
    switch (a) {
    case SYNCD_ACT_APPLY:
        return "apply";
    case SYNCD_ACT_RETRY:
        return "retry";
    case SYNCD_ACT_REJECT_OP:
        return "reject_op";
    case SYNCD_ACT_SPLIT:
        return "split";
    case SYNCD_ACT_STOP_AUTH:
        return "stop_auth";
    case SYNCD_ACT_REBUILD:
        return "rebuild";
    }
    return "?";
}

static void say_why(char *why, size_t whysize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say_why(char *why, size_t whysize, const char *fmt, ...)
{
    if (!why || !whysize)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysize, fmt, ap);
    va_end(ap);
}

/* The errors the coordinator sends on the device endpoints, each with the
 * one status it goes with (syncd/README.md, HTTP API). */
typedef struct known_error {
    long status;
    const char *code;
} known_error;

static const known_error known_errors[] = {
    {400, "invalid"},       {400, "bad_json"},  {401, "unauthorized"}, {403, "forbidden"},
    {409, "cursor_ahead"},  {413, "too_large"}, {503, "unavailable"},  {500, "internal"},
    {410, "snapshot_gone"}, {404, "not_found"},
};

/* True when body is the coordinator's own error for status: an Usher JSON
 * error whose code goes with that status. */
static bool coordinator_error(long status, const char *body, size_t len, char *code,
                              size_t code_size, char *msg, size_t msg_size)
{
    if (proto_error_decode(body, len, code, code_size, msg, msg_size) != USHER_OK)
        return false;
    for (size_t i = 0; i < sizeof known_errors / sizeof known_errors[0]; i++)
        if (known_errors[i].status == status && !strcmp(known_errors[i].code, code))
            return true;
    return false;
}

/* An answer that is not the coordinator's: say what it looked like. */
static syncd_act not_ours(long status, const char *body, size_t len, char *why, size_t whysize)
{
    if (!status)
        say_why(why, whysize, "no answer from the coordinator");
    else if (!body || !len)
        say_why(why, whysize,
                "HTTP %ld from the coordinator's address with no body: not the coordinator's "
                "own answer (retrying)",
                status);
    else
        say_why(why, whysize,
                "HTTP %ld from the coordinator's address, not in the coordinator's words (a proxy "
                "or a captive portal on the way?); retrying",
                status);
    return SYNCD_ACT_RETRY;
}

/* The act for an error answer both requests share: 401/403 stop, the rest retry. */
static syncd_act common_error(long status, const char *code, const char *msg, char *why,
                              size_t whysize)
{
    say_why(why, whysize, "coordinator answered %ld %s: %s", status, code, msg);
    if (!strcmp(code, "unauthorized") || !strcmp(code, "forbidden"))
        return SYNCD_ACT_STOP_AUTH;
    return SYNCD_ACT_RETRY; /* 5xx: the coordinator is there but cannot serve now */
}

static syncd_act sync_error(long status, const char *code, const char *msg, size_t nops, char *why,
                            size_t whysize)
{
    if (!strcmp(code, "invalid") || !strcmp(code, "too_large")) {
        say_why(why, whysize, "coordinator answered %ld %s: %s", status, code, msg);
        return nops > 1 ? SYNCD_ACT_SPLIT : nops == 1 ? SYNCD_ACT_REJECT_OP : SYNCD_ACT_RETRY;
    }
    if (!strcmp(code, "cursor_ahead")) {
        say_why(why, whysize,
                "coordinator answered %ld %s: %s (its log was restored from a backup?); "
                "rebuilding the replica from its snapshot and sending again every op it "
                "had accepted",
                status, code, msg);
        return SYNCD_ACT_REBUILD;
    }
    if (!strcmp(code, "bad_json")) {
        /* Our encoder writes only JSON: the body was damaged on the way. */
        say_why(why, whysize,
                "coordinator could not read the request (%s): damaged on the way? "
                "retrying",
                msg);
        return SYNCD_ACT_RETRY;
    }
    return common_error(status, code, msg, why, whysize);
}

syncd_act syncd_plan_sync_answer(long status, const char *body, size_t len, const usher_op *ops,
                                 size_t nops, sync_response *sr, char *why, size_t whysize)
{
    char code[40], msg[256];
    if (status >= 200 && status < 300 && body && len) {
        usher_errmsg em = {{0}};
        sync_response r;
        if (proto_sync_response_decode(body, len, &r, &em) != USHER_OK) {
            say_why(why, whysize, "garbled answer from the coordinator: %s", em.text);
            return SYNCD_ACT_RETRY;
        }
        if (r.nverdicts != nops) {
            say_why(why, whysize, "coordinator answered %zu verdicts for %zu ops", r.nverdicts,
                    nops);
            proto_sync_response_release(&r);
            return SYNCD_ACT_RETRY;
        }
        for (size_t i = 0; i < nops; i++) {
            if (strcmp(r.verdicts[i].op_id, ops[i].id) != 0) {
                say_why(why, whysize,
                        "answer's verdict %zu is for op %s, not %s: not an answer to this "
                        "request (retrying)",
                        i, r.verdicts[i].op_id, ops[i].id);
                proto_sync_response_release(&r);
                return SYNCD_ACT_RETRY;
            }
        }
        *sr = r;
        return SYNCD_ACT_APPLY;
    }
    if (!coordinator_error(status, body, len, code, sizeof code, msg, sizeof msg))
        return not_ours(status, body, len, why, whysize);
    return sync_error(status, code, msg, nops, why, whysize);
}

/* ---- the snapshot ----------------------------------------------------------- */

void syncd_snapshot_release(syncd_snapshot *s)
{
    if (!s)
        return;
    layout_free(s->l);
    free(s->changes);
    free(s->layout_json);
    memset(s, 0, sizeof *s);
}

static bool identity_parse(const json_t *ev, const json_t *dev, journal_identity *id)
{
    memset(id, 0, sizeof *id);
    const char *dev_id = json_string_value(json_object_get(dev, "id"));
    const char *eid = json_string_value(json_object_get(ev, "id"));
    const char *ename = json_string_value(json_object_get(ev, "name"));
    const char *pk = json_string_value(json_object_get(ev, "pubkey"));
    json_t *ttl = json_object_get(ev, "hold_ttl_ms");
    id->role = role_parse(json_string_value(json_object_get(dev, "role")));
    if (!dev_id || !eid || !ename || !pk || !json_is_integer(ttl) || id->role == ROLE_NONE ||
        !text_copy(id->device, sizeof id->device, dev_id) ||
        !text_copy(id->event_id, sizeof id->event_id, eid) ||
        !text_copy(id->event_name, sizeof id->event_name, ename) ||
        !text_copy(id->pubkey_hex, sizeof id->pubkey_hex, pk))
        return false;
    id->hold_ttl_ms = json_integer_value(ttl);
    return true;
}

syncd_act syncd_plan_log_check(const char *mine, const char *theirs, char *why, size_t whysize)
{
    if (!mine || !theirs || !mine[0] || !theirs[0] || !strcmp(mine, theirs))
        return SYNCD_ACT_APPLY;
    say_why(why, whysize,
            "the coordinator's op log is another copy (%.40s, this device followed %.40s): its "
            "database was restored from a backup; rebuilding the replica from its snapshot and "
            "sending again every op it had accepted",
            theirs, mine);
    return SYNCD_ACT_REBUILD;
}

/* Parses a 2xx snapshot body into *out (on success only). */
static bool snapshot_parse(const char *body, size_t len, syncd_snapshot *out, char *why,
                           size_t whysize)
{
    syncd_snapshot s;
    memset(&s, 0, sizeof s);
    bool ok = false;
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *ev = json_object_get(root, "event"), *dev = json_object_get(root, "device");
    json_t *lay = json_object_get(root, "layout"), *chs = json_object_get(root, "changes");
    json_t *cur = json_object_get(root, "cursor"), *log = json_object_get(root, "log");
    usher_errmsg em = {{0}};
    if (log && (!json_is_string(log) || !text_is_ident(json_string_value(log), 63))) {
        say_why(why, whysize, "snapshot from the coordinator: \"log\" is not an id");
        goto out;
    }
    if (log)
        text_copy(s.log_id, sizeof s.log_id, json_string_value(log));
    json_t *pages = json_object_get(root, "pages");
    /* A paged head leaves the layout out: it is a page of its own. */
    if (!json_is_object(ev) || !json_is_object(dev) || (!json_is_object(lay) && !pages) ||
        (!json_is_array(chs) && !pages) || !json_is_integer(cur) || json_integer_value(cur) < 0) {
        say_why(why, whysize, "snapshot from the coordinator is malformed");
        goto out;
    }
    if (pages && (!json_is_integer(pages) || json_integer_value(pages) < 1 ||
                  json_integer_value(pages) > SYNCD_SNAPSHOT_PAGES_MAX)) {
        say_why(why, whysize, "snapshot from the coordinator: \"pages\" is not 1 to %d",
                SYNCD_SNAPSHOT_PAGES_MAX);
        goto out;
    }
    s.pages = pages ? (size_t)json_integer_value(pages) : 0;
    if (json_is_object(lay)) {
        s.layout_json = json_dumps(lay, JSON_COMPACT);
        if (!s.layout_json) {
            say_why(why, whysize, "out of memory");
            goto out;
        }
        if (layout_from_json(s.layout_json, strlen(s.layout_json), &s.l, &em) != USHER_OK) {
            say_why(why, whysize, "snapshot layout: %s", em.text);
            goto out;
        }
    }
    s.nchanges = json_is_array(chs) ? json_array_size(chs) : 0;
    s.changes = calloc(s.nchanges ? s.nchanges : 1, sizeof *s.changes);
    if (!s.changes) {
        say_why(why, whysize, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < s.nchanges; i++) {
        if (proto_change_decode(json_array_get(chs, i), "snapshot.changes", &s.changes[i], &em)) {
            say_why(why, whysize, "%s", em.text);
            goto out;
        }
    }
    if (!identity_parse(ev, dev, &s.id)) {
        say_why(why, whysize, "snapshot from the coordinator lacks the event or device");
        goto out;
    }
    settings_default(&s.id.settings);
    if (json_object_get(ev, "codes") &&
        proto_settings_decode(ev, "snapshot.event", &s.id.settings, &em) != USHER_OK) {
        say_why(why, whysize, "%s", em.text);
        goto out;
    }
    json_t *ents = json_object_get(root, "entrances");
    if (ents && proto_entrances_decode(ents, "snapshot.entrances", &s.entrances, &em) != USHER_OK) {
        say_why(why, whysize, "%s", em.text);
        goto out;
    }
    s.has_entrances = ents != NULL;
    s.cursor = json_integer_value(cur);
    *out = s;
    ok = true;
out:
    if (!ok)
        syncd_snapshot_release(&s);
    json_decref(root);
    return ok;
}

syncd_act syncd_plan_snapshot_answer(long status, const char *body, size_t len, syncd_snapshot *out,
                                     char *why, size_t whysize)
{
    char code[40], msg[256];
    if (status >= 200 && status < 300 && body && len)
        return snapshot_parse(body, len, out, why, whysize) ? SYNCD_ACT_APPLY : SYNCD_ACT_RETRY;
    if (!coordinator_error(status, body, len, code, sizeof code, msg, sizeof msg))
        return not_ours(status, body, len, why, whysize);
    return common_error(status, code, msg, why, whysize);
}

/* What a non-2xx answer to a snapshot page (or its layout) means. */
static syncd_act page_error(long status, const char *body, size_t len, char *why, size_t whysize)
{
    char code[40], msg[256];
    if (!coordinator_error(status, body, len, code, sizeof code, msg, sizeof msg))
        return not_ours(status, body, len, why, whysize);
    if (!strcmp(code, "snapshot_gone")) {
        say_why(why, whysize,
                "the coordinator's snapshot moved on while this device joined: joining again");
        return SYNCD_ACT_RETRY;
    }
    return common_error(status, code, msg, why, whysize);
}

syncd_act syncd_plan_snapshot_layout(long status, char **body, size_t len, syncd_snapshot *snap,
                                     char *why, size_t whysize)
{
    if (!(status >= 200 && status < 300 && *body && len))
        return page_error(status, *body, len, why, whysize);
    usher_errmsg em = {{0}};
    layout *l = NULL;
    /* A stadium's layout is megabytes: it is parsed where it came in, and
     * kept without a copy. */
    if (layout_from_json(*body, len, &l, &em) != USHER_OK) {
        say_why(why, whysize, "snapshot layout: %s", em.text);
        return SYNCD_ACT_RETRY;
    }
    char *text = realloc(*body, len + 1); /* the receive buffer, trimmed */
    if (!text) {
        layout_free(l);
        say_why(why, whysize, "out of memory");
        return SYNCD_ACT_RETRY;
    }
    text[len] = '\0';
    *body = NULL;
    free(snap->layout_json);
    layout_free(snap->l);
    snap->layout_json = text;
    snap->l = l;
    return SYNCD_ACT_APPLY;
}

syncd_act syncd_plan_snapshot_page(long status, const char *body, size_t len, int64_t cursor,
                                   size_t page, size_t pages, change **changes, size_t *n,
                                   char *why, size_t whysize)
{
    if (!(status >= 200 && status < 300 && body && len))
        return page_error(status, body, len, why, whysize);
    syncd_act act = SYNCD_ACT_RETRY;
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *cur = json_object_get(root, "cursor"), *pg = json_object_get(root, "page");
    json_t *pgs = json_object_get(root, "pages"), *chs = json_object_get(root, "changes");
    change *cs = NULL;
    if (!json_is_integer(cur) || !json_is_integer(pg) || !json_is_integer(pgs) ||
        !json_is_array(chs)) {
        say_why(why, whysize, "snapshot page %zu from the coordinator is malformed", page);
        goto out;
    }
    if (json_integer_value(cur) != cursor || json_integer_value(pg) != (json_int_t)page ||
        json_integer_value(pgs) != (json_int_t)pages) {
        say_why(why, whysize,
                "snapshot page from the coordinator is not page %zu of %zu at cursor %lld: "
                "joining again",
                page, pages, (long long)cursor);
        goto out;
    }
    size_t k = json_array_size(chs);
    cs = calloc(k ? k : 1, sizeof *cs);
    if (!cs) {
        say_why(why, whysize, "out of memory");
        goto out;
    }
    usher_errmsg em = {{0}};
    for (size_t i = 0; i < k; i++) {
        if (proto_change_decode(json_array_get(chs, i), "snapshot.changes", &cs[i], &em)) {
            say_why(why, whysize, "%s", em.text);
            goto out;
        }
    }
    *changes = cs;
    *n = k;
    cs = NULL;
    act = SYNCD_ACT_APPLY;
out:
    free(cs);
    json_decref(root);
    return act;
}

/* ---- backoff ------------------------------------------------------------------ */

int64_t syncd_backoff_next(syncd_backoff *b, bool refused, uint32_t random)
{
    int64_t cap = refused ? SYNCD_BACKOFF_REFUSED_CAP_MS : SYNCD_BACKOFF_CAP_MS;
    b->ms = b->ms ? b->ms * 2 : SYNCD_BACKOFF_FIRST_MS;
    if (b->ms > cap)
        b->ms = cap;
    return b->ms / 2 + (int64_t)(random % (uint32_t)(b->ms / 2 + 1));
}

int64_t syncd_plan_retry_wait(int64_t backoff_ms, long status, int64_t retry_after_s)
{
    if (status != 503 || retry_after_s <= 0)
        return backoff_ms;
    if (retry_after_s > SYNCD_RETRY_AFTER_MAX_S)
        retry_after_s = SYNCD_RETRY_AFTER_MAX_S;
    return retry_after_s * 1000 > backoff_ms ? retry_after_s * 1000 : backoff_ms;
}

/* ---- the device's own journal failing -------------------------------------- */

syncd_local_act syncd_plan_journal_failure(usher_err err)
{
    switch (err) {
    case USHER_FULL:
        return SYNCD_LOCAL_WAIT_SPACE;
    case USHER_BUSY:
    case USHER_NOMEM:
        return SYNCD_LOCAL_RETRY;
    default:
        return SYNCD_LOCAL_STOP;
    }
}

bool syncd_plan_space_resume(int64_t free_bytes, int64_t since_try_ms)
{
    return free_bytes >= SYNCD_SPACE_RESUME_BYTES || since_try_ms >= SYNCD_SPACE_RETRY_MS;
}

bool syncd_plan_space_reserve(int64_t free_bytes)
{
    return free_bytes >= SYNCD_SPACE_RESUME_BYTES + SYNCD_SPACE_RESERVE_BYTES;
}

/* ---- the clock ------------------------------------------------------------------ */

bool syncd_plan_clock_offset(int64_t coord_now, int64_t sent, int64_t recv, int64_t *offset)
{
    if (coord_now <= 0 || recv < sent)
        return false;
    *offset = coord_now - (sent + (recv - sent) / 2);
    return true;
}

bool syncd_plan_clock_moved(bool known, int64_t old_offset, int64_t new_offset)
{
    int64_t d = new_offset - old_offset;
    return !known || d >= 250 || d <= -250;
}

bool syncd_plan_clock_skewed(int64_t offset)
{
    return offset > USHER_CLOCK_SKEW_ALERT_MS || offset < -USHER_CLOCK_SKEW_ALERT_MS;
}

void syncd_plan_waits(usher_op *ops, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++)
        ops[i].wait_ms = now > ops[i].at ? now - ops[i].at : 0;
}

/* ---- the lease policy ------------------------------------------------------- */

bool syncd_plan_lease_allowed(usher_role role, journal_policy policy, char *why, size_t whysize)
{
    if (policy != JOURNAL_POLICY_LEASE || op_allowed(role, OP_LEASE))
        return true;
    say_why(why, whysize,
            "--offline-policy lease: this device's role (%s) may not lease seats; run it "
            "with --offline-policy optimistic",
            role_name(role) ? role_name(role) : "none");
    return false;
}

int syncd_plan_lease_start(const char *device, int nseats)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = device; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return nseats > 0 ? (int)(h % (uint64_t)nseats) : 0;
}

static void lease_op(usher_op *op, op_kind kind, const char *device, const char *seat, int64_t now)
{
    op_init(op, kind, device, now);
    text_copy(op->seat, sizeof op->seat, seat);
    if (kind == OP_LEASE)
        op->ttl_ms = SYNCD_LEASE_TTL_MS;
}

size_t syncd_plan_leases(const state *v, const layout *l, const char *device, int n, int64_t now,
                         usher_op *ops, size_t max)
{
    const int nseats = state_seat_count(v), start = syncd_plan_lease_start(device, nseats);
    int have = 0;
    for (int si = 0; si < nseats; si++)
        have += state_seat_status(v, si, device, now) == SEAT_LEASED_BY_ME;
    size_t nops = 0;
    int kept = 0, want = n - have;
    for (int k = 0; k < nseats && nops < max; k++) {
        int si = (start + k) % nseats;
        const char *id = layout_seat_at(l, si)->id;
        seat_status st = state_seat_status(v, si, device, now);
        if (st == SEAT_LEASED_BY_ME) {
            if (have > 2 * n && kept >= n)
                lease_op(&ops[nops++], OP_UNLEASE, device, id, now);
            else if (state_seat(v, si)->lease_until - now < SYNCD_LEASE_TTL_MS / 2)
                lease_op(&ops[nops++], OP_LEASE, device, id, now); /* renew */
            kept++;
        } else if (st == SEAT_FREE && want > 0) {
            lease_op(&ops[nops++], OP_LEASE, device, id, now);
            want--;
        }
    }
    return nops;
}

size_t syncd_plan_lease_return(const state *v, const layout *l, const char *device, int64_t now,
                               usher_op *ops, size_t max)
{
    size_t nops = 0;
    for (int si = 0; si < state_seat_count(v) && nops < max; si++) {
        const seat_state *ss = state_seat(v, si);
        if (!ss->ticket[0] && !ss->blocked && ss->lease_until > now &&
            !strcmp(ss->lease_device, device))
            lease_op(&ops[nops++], OP_UNLEASE, device, layout_seat_at(l, si)->id, now);
    }
    return nops;
}

size_t syncd_plan_layout_cut(const change *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c[i].type == CHANGE_LAYOUT)
            return i;
    return n;
}

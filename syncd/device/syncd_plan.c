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
    {410, "snapshot_gone"}, {404, "not_found"}, {503, "standby"},
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

/* ---- several coordinators -------------------------------------------------- */

/* The length of url without its trailing '/'s. */
static size_t url_len(const char *url, size_t n)
{
    while (n && url[n - 1] == '/')
        n--;
    return n;
}

bool syncd_plan_coordinators(const char *arg, syncd_coordinators *out, char *why, size_t whysize)
{
    syncd_coordinators c;
    memset(&c, 0, sizeof c);
    const char *p = arg ? arg : "";
    for (;;) {
        size_t n = strcspn(p, ",");
        size_t k = url_len(p, n);
        const char *host = k > 7 && !strncmp(p, "http://", 7)    ? p + 7
                           : k > 8 && !strncmp(p, "https://", 8) ? p + 8
                                                                 : NULL;
        if (!host || host == p + k || *host == '/' || *host == ':') {
            say_why(why, whysize,
                    "--coordinator: '%.*s' is not a coordinator's address (http://HOST:PORT or "
                    "https://...; several separated by commas)",
                    (int)(n > 80 ? 80 : n), p);
            return false;
        }
        for (size_t i = 0; i < k; i++)
            if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] > '~') {
                say_why(why, whysize, "--coordinator: '%.*s' holds a space or a control byte",
                        (int)(n > 80 ? 80 : n), p);
                return false;
            }
        if (c.n == SYNCD_MAX_COORDINATORS || k >= SYNCD_URL_SIZE) {
            say_why(why, whysize,
                    c.n == SYNCD_MAX_COORDINATORS
                        ? "--coordinator: at most %d coordinators"
                        : "--coordinator: an address longer than %d bytes",
                    c.n == SYNCD_MAX_COORDINATORS ? SYNCD_MAX_COORDINATORS : SYNCD_URL_SIZE - 1);
            return false;
        }
        memcpy(c.url[c.n], p, k);
        c.url[c.n][k] = '\0';
        for (size_t i = 0; i < c.n; i++)
            if (!strcmp(c.url[i], c.url[c.n])) {
                say_why(why, whysize, "--coordinator: %s is given twice", c.url[i]);
                return false;
            }
        c.n++;
        if (!p[n])
            break;
        p += n + 1;
    }
    *out = c;
    return true;
}

bool syncd_plan_standby(long status, const char *body, size_t len, char *active, size_t size)
{
    if (status != 503 || !body)
        return false;
    char a[SYNCD_URL_SIZE];
    usher_err err = proto_standby_decode(body, len, a, sizeof a);
    if (err != USHER_OK && err != USHER_NOTFOUND)
        return false;
    text_copy(active, size, err == USHER_OK ? a : "");
    return true;
}

bool syncd_plan_move(bool answered, long status, const char *body, size_t len,
                     int64_t retry_after_s, char *active, size_t size)
{
    if (!answered || (status == 503 && !syncd_plan_standby(status, body, len, active, size) &&
                      retry_after_s <= 0)) {
        text_copy(active, size, "");
        return true;
    }
    return syncd_plan_standby(status, body, len, active, size);
}

size_t syncd_plan_coordinator_next(const syncd_coordinators *c, const char *advertised)
{
    if (c->n <= 1)
        return 0;
    if (advertised && *advertised) {
        size_t k = url_len(advertised, strlen(advertised));
        for (size_t i = 0; i < c->n; i++)
            if (i != c->current && strlen(c->url[i]) == k && !strncmp(c->url[i], advertised, k))
                return i;
    }
    return (c->current + 1) % c->n;
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

/* Parses a 2xx snapshot body into *out (on success only): protocol.c reads
 * it, layout.c its layout. */
static bool snapshot_parse(const char *body, size_t len, syncd_snapshot *out, char *why,
                           size_t whysize)
{
    proto_snapshot p;
    usher_errmsg em = {{0}};
    if (proto_snapshot_decode(body, len, &p, &em) != USHER_OK) {
        say_why(why, whysize, "%s", em.text);
        return false;
    }
    syncd_snapshot s;
    memset(&s, 0, sizeof s);
    if (p.layout_json &&
        layout_from_json(p.layout_json, strlen(p.layout_json), &s.l, &em) != USHER_OK) {
        say_why(why, whysize, "snapshot layout: %s", em.text);
        proto_snapshot_release(&p);
        return false;
    }
    journal_identity *id = &s.id;
    text_copy(id->device, sizeof id->device, p.device);
    id->role = p.role;
    text_copy(id->event_id, sizeof id->event_id, p.event.id);
    text_copy(id->event_name, sizeof id->event_name, p.event.name);
    text_copy(id->pubkey_hex, sizeof id->pubkey_hex, p.event.pubkey);
    id->hold_ttl_ms = p.event.hold_ttl_ms;
    id->settings = p.event.settings;
    s.layout_json = p.layout_json; /* taken over */
    s.changes = p.changes;
    s.nchanges = p.nchanges;
    s.cursor = p.cursor;
    s.pages = p.pages;
    text_copy(s.log_id, sizeof s.log_id, p.log);
    if (p.has_entrances && p.entrances) { /* copied: p's is freed with it */
        s.entrances = *p.entrances;
        s.has_entrances = true;
    }
    free(p.entrances); /* the rest of p is s's now */
    *out = s;
    return true;
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
    int64_t cur = 0;
    size_t pg = 0, pgs = 0, k = 0;
    change *cs = NULL;
    usher_errmsg em = {{0}};
    if (proto_snapshot_page_decode(body, len, &cur, &pg, &pgs, &cs, &k, &em) != USHER_OK) {
        say_why(why, whysize, "snapshot page %zu: %s", page, em.text);
        return SYNCD_ACT_RETRY;
    }
    if (cur != cursor || pg != page || pgs != pages) {
        say_why(why, whysize,
                "snapshot page from the coordinator is not page %zu of %zu at cursor %lld: "
                "joining again",
                page, pages, (long long)cursor);
        free(cs);
        return SYNCD_ACT_RETRY;
    }
    *changes = cs;
    *n = k;
    return SYNCD_ACT_APPLY;
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

syncd_stream_step syncd_plan_stream(int64_t cursor, int64_t pending, bool lease, const change *c,
                                    size_t n)
{
    syncd_stream_step st = {0, 0, false};
    if (!n)
        return st;
    if (pending > 0 || lease) {
        st.pull = true;
        return st;
    }
    while (st.skip < n && c[st.skip].seq <= cursor)
        st.skip++;
    for (size_t i = st.skip; i < n; i++) {
        if (c[i].seq != cursor + 1 + (int64_t)st.apply || c[i].type == CHANGE_LAYOUT ||
            c[i].type == CHANGE_ENTRANCES) {
            st.pull = true;
            break;
        }
        st.apply++;
    }
    return st;
}

size_t syncd_plan_layout_cut(const change *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c[i].type == CHANGE_LAYOUT)
            return i;
    return n;
}

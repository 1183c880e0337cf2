/* test_syncd_plan.c - usher-syncd's decisions without a network: which answers
 * count (only the coordinator's own), the snapshot parse, backoff and the
 * lease plan. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syncd_plan.h"
#include "text.h"

#define NOW 1795000000000LL

static const char *two_tables =
    "{\"name\":\"Two\",\"sections\":["
    "{\"kind\":\"table\",\"id\":\"T01\",\"x\":0,\"y\":0,\"seats\":4},"
    "{\"kind\":\"table\",\"id\":\"T02\",\"x\":300,\"y\":0,\"seats\":4}]}";

static usher_op mkop(const char *ticket, const char *seat)
{
    usher_op op;
    op_init(&op, OP_ASSIGN, "kiosk-1", NOW);
    text_copy(op.ticket, sizeof op.ticket, ticket);
    text_copy(op.seat, sizeof op.seat, seat);
    return op;
}

/* A 200 sync answer with one accepted verdict per op. */
static char *answer_for(const usher_op *ops, size_t n)
{
    verdict *vs = calloc(n ? n : 1, sizeof *vs);
    assert_non_null(vs);
    for (size_t i = 0; i < n; i++) {
        text_copy(vs[i].op_id, sizeof vs[i].op_id, ops[i].id);
        vs[i].status = VERDICT_ACCEPTED;
    }
    sync_response r = {vs, n, NULL, 0, 7, false, false, {0}, 0, "", false, NULL, NULL};
    char *text = proto_sync_response_encode(&r);
    free(vs);
    assert_non_null(text);
    return text;
}

static syncd_act act_of(long status, const char *body, size_t nops)
{
    usher_op ops[2] = {mkop("GALA-0001", "T01-01"), mkop("GALA-0002", "T01-02")};
    sync_response sr;
    char why[512] = "";
    syncd_act a = syncd_plan_sync_answer(status, body, body ? strlen(body) : 0, ops, nops, &sr, why,
                                         sizeof why);
    if (a == SYNCD_ACT_APPLY)
        proto_sync_response_release(&sr);
    else
        assert_true(why[0]); /* every other act says why */
    return a;
}

static void test_sync_answer_applied(void **ctx)
{
    (void)ctx;
    usher_op ops[2] = {mkop("GALA-0001", "T01-01"), mkop("GALA-0002", "T01-02")};
    char *text = answer_for(ops, 2);
    sync_response sr;
    char why[256] = "";
    assert_int_equal(syncd_plan_sync_answer(200, text, strlen(text), ops, 2, &sr, why, sizeof why),
                     SYNCD_ACT_APPLY);
    assert_int_equal(sr.nverdicts, 2);
    assert_int_equal(sr.cursor, 7);
    proto_sync_response_release(&sr);
    /* The same answer for other ops (a cache replaying another request's) is not ours. */
    usher_op other[2] = {mkop("GALA-0003", "T01-03"), mkop("GALA-0004", "T01-04")};
    assert_int_equal(
        syncd_plan_sync_answer(200, text, strlen(text), other, 2, &sr, why, sizeof why),
        SYNCD_ACT_RETRY);
    assert_non_null(strstr(why, "not an answer to this request"));
    /* ...nor is one verdict short. */
    assert_int_equal(syncd_plan_sync_answer(200, text, strlen(text), ops, 1, &sr, why, sizeof why),
                     SYNCD_ACT_RETRY);
    free(text);
}

static void test_coordinator_errors_count(void **ctx)
{
    (void)ctx;
    assert_int_equal(act_of(400, "{\"error\":\"invalid\",\"message\":\"ops[0].seat\"}", 1),
                     SYNCD_ACT_REJECT_OP);
    assert_int_equal(act_of(400, "{\"error\":\"invalid\",\"message\":\"ops[1].seat\"}", 2),
                     SYNCD_ACT_SPLIT);
    assert_int_equal(act_of(413, "{\"error\":\"too_large\",\"message\":\"fewer\"}", 2),
                     SYNCD_ACT_SPLIT);
    assert_int_equal(act_of(401, "{\"error\":\"unauthorized\",\"message\":\"token\"}", 1),
                     SYNCD_ACT_STOP_AUTH);
    assert_int_equal(act_of(403, "{\"error\":\"forbidden\",\"message\":\"not yours\"}", 1),
                     SYNCD_ACT_STOP_AUTH);
    assert_int_equal(act_of(409, "{\"error\":\"cursor_ahead\",\"message\":\"ahead\"}", 1),
                     SYNCD_ACT_REBUILD);
    /* The coordinator could not read it: damaged on the way, so send it again. */
    assert_int_equal(act_of(400, "{\"error\":\"bad_json\",\"message\":\"line 1\"}", 1),
                     SYNCD_ACT_RETRY);
    assert_int_equal(act_of(503, "{\"error\":\"unavailable\",\"message\":\"busy\"}", 1),
                     SYNCD_ACT_RETRY);
}

/* Finding 3: a hotel network's pages and a proxy's answers never change an
 * op's state and never stop syncd. */
static void test_middlebox_answers_are_offline(void **ctx)
{
    (void)ctx;
    const char *html = "<html><body><h1>400 Bad Request</h1>Hotel WiFi</body></html>";
    for (size_t nops = 1; nops <= 2; nops++) {
        assert_int_equal(act_of(400, html, nops), SYNCD_ACT_RETRY);
        assert_int_equal(act_of(401, html, nops), SYNCD_ACT_RETRY);
        assert_int_equal(act_of(403, html, nops), SYNCD_ACT_RETRY);
        assert_int_equal(act_of(404, html, nops), SYNCD_ACT_RETRY);
        assert_int_equal(act_of(409, html, nops), SYNCD_ACT_RETRY);
        assert_int_equal(act_of(502, html, nops), SYNCD_ACT_RETRY);
        assert_int_equal(act_of(200, html, nops), SYNCD_ACT_RETRY); /* captive portal */
        assert_int_equal(act_of(400, NULL, nops), SYNCD_ACT_RETRY);
        assert_int_equal(act_of(403, "", nops), SYNCD_ACT_RETRY);
        /* Truncated Usher error. */
        assert_int_equal(act_of(400, "{\"error\":\"invalid\",\"mess", nops), SYNCD_ACT_RETRY);
        /* A proxy's own JSON. */
        assert_int_equal(act_of(403, "{\"error\":\"Forbidden\",\"message\":\"blocked\"}", nops),
                         SYNCD_ACT_RETRY);
        assert_int_equal(act_of(403, "{\"error\":\"forbidden\"}", nops), SYNCD_ACT_RETRY);
        assert_int_equal(act_of(403, "[\"forbidden\"]", nops), SYNCD_ACT_RETRY);
        /* A code with the wrong status is not the coordinator's either. */
        assert_int_equal(act_of(400, "{\"error\":\"unauthorized\",\"message\":\"x\"}", nops),
                         SYNCD_ACT_RETRY);
        assert_int_equal(act_of(403, "{\"error\":\"invalid\",\"message\":\"x\"}", nops),
                         SYNCD_ACT_RETRY);
        assert_int_equal(act_of(418, "{\"error\":\"teapot\",\"message\":\"x\"}", nops),
                         SYNCD_ACT_RETRY);
        assert_int_equal(act_of(0, NULL, nops), SYNCD_ACT_RETRY);
    }
}

static void test_error_decode(void **ctx)
{
    (void)ctx;
    char code[16] = "unchanged", msg[8] = "same";
    const char *ok = "{\"error\":\"invalid\",\"message\":\"a long sentence\"}";
    assert_int_equal(proto_error_decode(ok, strlen(ok), code, sizeof code, msg, sizeof msg),
                     USHER_OK);
    assert_string_equal(code, "invalid");
    assert_string_equal(msg, "a long "); /* truncated to the buffer */
    char *body = proto_error_body("cursor_ahead", "ahead");
    assert_int_equal(proto_error_decode(body, strlen(body), code, sizeof code, msg, sizeof msg),
                     USHER_OK);
    assert_string_equal(code, "cursor_ahead");
    free(body);
    char c2[8] = "keep", m2[8] = "keep";
    const char *bad[] = {"",
                         "<html>",
                         "{\"error\":\"in valid\",\"message\":\"m\"}",
                         "{\"error\":1,\"message\":\"m\"}",
                         "{\"error\":\"x\",\"message\":2}",
                         "{\"error\":\"\",\"message\":\"m\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(proto_error_decode(bad[i], strlen(bad[i]), c2, sizeof c2, m2, sizeof m2),
                         USHER_PARSE);
        assert_string_equal(c2, "keep");
        assert_string_equal(m2, "keep");
    }
}

static const char *snapshot_body =
    "{\"event\":{\"id\":\"ev-1\",\"name\":\"Gala\",\"hold_ttl_ms\":120000,"
    "\"pubkey\":\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"},"
    "\"device\":{\"id\":\"kiosk-1\",\"role\":\"kiosk\"},"
    "\"layout\":{\"name\":\"Two\",\"sections\":[{\"kind\":\"table\",\"id\":\"T01\",\"x\":0,"
    "\"y\":0,\"seats\":4}]},"
    "\"cursor\":3,\"changes\":[{\"seq\":1,\"type\":\"ticket\",\"code\":\"GALA-0001\","
    "\"name\":\"Smith, Jane\",\"class\":\"\",\"seat\":null,\"revoked\":false}]}";

static void test_snapshot(void **ctx)
{
    (void)ctx;
    syncd_snapshot s;
    memset(&s, 0, sizeof s);
    char why[256] = "";
    assert_int_equal(
        syncd_plan_snapshot_answer(200, snapshot_body, strlen(snapshot_body), &s, why, sizeof why),
        SYNCD_ACT_APPLY);
    assert_string_equal(s.id.device, "kiosk-1");
    assert_int_equal(s.id.role, ROLE_KIOSK);
    assert_string_equal(s.id.event_name, "Gala");
    assert_int_equal(s.id.hold_ttl_ms, 120000);
    assert_int_equal(s.cursor, 3);
    assert_int_equal(s.nchanges, 1);
    assert_string_equal(s.changes[0].ticket.code, "GALA-0001");
    assert_int_equal(layout_seat_count(s.l), 4);
    assert_non_null(strstr(s.layout_json, "\"T01\""));
    syncd_snapshot_release(&s);
    syncd_snapshot_release(&s); /* released twice: a no-op */

    /* Each required part missing, in turn, is malformed: retry, nothing filled. */
    const char *cut[] = {"\"event\"", "\"device\"", "\"layout\"", "\"cursor\"", "\"changes\""};
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        char *b = strdup(snapshot_body);
        assert_non_null(b);
        char *at = strstr(b, cut[i]);
        at[1] = 'X'; /* renames the key */
        syncd_snapshot t;
        memset(&t, 0, sizeof t);
        assert_int_equal(syncd_plan_snapshot_answer(200, b, strlen(b), &t, why, sizeof why),
                         SYNCD_ACT_RETRY);
        assert_null(t.l);
        assert_null(t.changes);
        free(b);
    }
    assert_int_equal(syncd_plan_snapshot_answer(403, "<html>no</html>", 15, &s, why, sizeof why),
                     SYNCD_ACT_RETRY);
    const char *auth = "{\"error\":\"unauthorized\",\"message\":\"unknown token\"}";
    assert_int_equal(syncd_plan_snapshot_answer(401, auth, strlen(auth), &s, why, sizeof why),
                     SYNCD_ACT_STOP_AUTH);
    assert_non_null(strstr(why, "unknown token"));
}

/* The op log copy: the snapshot names it; an answer naming another one means
 * a restore (rebuild); an unknown one on either side is kept, not acted on. */
static void test_log_id(void **ctx)
{
    (void)ctx;
    char why[512] = "";
    assert_int_equal(syncd_plan_log_check("Laa", "Laa", why, sizeof why), SYNCD_ACT_APPLY);
    assert_int_equal(syncd_plan_log_check("", "Laa", why, sizeof why), SYNCD_ACT_APPLY);
    assert_int_equal(syncd_plan_log_check("Laa", "", why, sizeof why), SYNCD_ACT_APPLY);
    assert_string_equal(why, "");
    assert_int_equal(syncd_plan_log_check("Laa", "Lbb", why, sizeof why), SYNCD_ACT_REBUILD);
    assert_non_null(strstr(why, "restored from a backup"));
    assert_non_null(strstr(why, "Lbb"));

    char body[2048];
    syncd_snapshot s;
    memset(&s, 0, sizeof s);
    assert_int_equal(
        syncd_plan_snapshot_answer(200, snapshot_body, strlen(snapshot_body), &s, why, sizeof why),
        SYNCD_ACT_APPLY);
    assert_string_equal(s.log_id, ""); /* an older coordinator sends none */
    syncd_snapshot_release(&s);
    snprintf(body, sizeof body, "%.*s,\"log\":\"L0f3a\"}", (int)strlen(snapshot_body) - 1,
             snapshot_body);
    assert_int_equal(syncd_plan_snapshot_answer(200, body, strlen(body), &s, why, sizeof why),
                     SYNCD_ACT_APPLY);
    assert_string_equal(s.log_id, "L0f3a");
    syncd_snapshot_release(&s);
    snprintf(body, sizeof body, "%.*s,\"log\":\"<b>\"}", (int)strlen(snapshot_body) - 1,
             snapshot_body);
    assert_int_equal(syncd_plan_snapshot_answer(200, body, strlen(body), &s, why, sizeof why),
                     SYNCD_ACT_RETRY);
    assert_null(s.l);
}

/* A page of a paged snapshot: taken only when it is the page asked for, of
 * that snapshot; a snapshot that moved on means joining again. */
static void test_snapshot_page(void **ctx)
{
    (void)ctx;
    char why[256] = "";
    const char *page = "{\"cursor\":9,\"page\":1,\"pages\":3,\"changes\":[{\"seq\":1,"
                       "\"type\":\"ticket\",\"code\":\"GALA-0001\",\"name\":\"Jane\","
                       "\"class\":\"\",\"seat\":null,\"revoked\":false}]}";
    change *cs = NULL;
    size_t n = 0;
    assert_int_equal(
        syncd_plan_snapshot_page(200, page, strlen(page), 9, 1, 3, &cs, &n, why, sizeof why),
        SYNCD_ACT_APPLY);
    assert_int_equal(n, 1);
    assert_string_equal(cs[0].ticket.code, "GALA-0001");
    free(cs);
    cs = NULL;
    /* Another page, another cursor, another count: join again, nothing kept. */
    assert_int_equal(
        syncd_plan_snapshot_page(200, page, strlen(page), 9, 2, 3, &cs, &n, why, sizeof why),
        SYNCD_ACT_RETRY);
    assert_int_equal(
        syncd_plan_snapshot_page(200, page, strlen(page), 8, 1, 3, &cs, &n, why, sizeof why),
        SYNCD_ACT_RETRY);
    assert_non_null(strstr(why, "joining again"));
    assert_int_equal(
        syncd_plan_snapshot_page(200, page, strlen(page), 9, 1, 4, &cs, &n, why, sizeof why),
        SYNCD_ACT_RETRY);
    assert_null(cs);
    const char *gone = "{\"error\":\"snapshot_gone\",\"message\":\"ask again\"}";
    assert_int_equal(
        syncd_plan_snapshot_page(410, gone, strlen(gone), 9, 1, 3, &cs, &n, why, sizeof why),
        SYNCD_ACT_RETRY);
    assert_non_null(strstr(why, "moved on"));
    assert_int_equal(syncd_plan_snapshot_page(200, "<html>", 6, 9, 1, 3, &cs, &n, why, sizeof why),
                     SYNCD_ACT_RETRY);
    const char *auth = "{\"error\":\"unauthorized\",\"message\":\"unknown token\"}";
    assert_int_equal(
        syncd_plan_snapshot_page(401, auth, strlen(auth), 9, 1, 3, &cs, &n, why, sizeof why),
        SYNCD_ACT_STOP_AUTH);
    assert_null(cs);
    /* The paged head: "pages" instead of the changes. */
    char head[2048];
    const char *at = strstr(snapshot_body, ",\"changes\"");
    snprintf(head, sizeof head, "%.*s,\"pages\":3}", (int)(at - snapshot_body), snapshot_body);
    syncd_snapshot s;
    memset(&s, 0, sizeof s);
    assert_int_equal(syncd_plan_snapshot_answer(200, head, strlen(head), &s, why, sizeof why),
                     SYNCD_ACT_APPLY);
    assert_int_equal(s.pages, 3);
    assert_int_equal(s.nchanges, 0);
    syncd_snapshot_release(&s);
    snprintf(head, sizeof head, "%.*s,\"pages\":0}", (int)(at - snapshot_body), snapshot_body);
    assert_int_equal(syncd_plan_snapshot_answer(200, head, strlen(head), &s, why, sizeof why),
                     SYNCD_ACT_RETRY);
}

/* A 503 with Retry-After is the coordinator asking for that long: never a
 * faster retry; anything else keeps the backoff; a huge value is capped. */
static void test_retry_after(void **ctx)
{
    (void)ctx;
    assert_int_equal(syncd_plan_retry_wait(150, 503, 5), 5000);
    assert_int_equal(syncd_plan_retry_wait(150, 503, 0), 150);
    assert_int_equal(syncd_plan_retry_wait(9000, 503, 2), 9000);
    assert_int_equal(syncd_plan_retry_wait(150, 200, 5), 150);
    assert_int_equal(syncd_plan_retry_wait(150, 0, 5), 150);
    assert_int_equal(syncd_plan_retry_wait(150, 503, 1000000), SYNCD_RETRY_AFTER_MAX_S * 1000);
}

static void test_coordinator_list(void **ctx)
{
    (void)ctx;
    syncd_coordinators c;
    char why[256] = "";
    assert_true(syncd_plan_coordinators("http://a:8080/", &c, why, sizeof why));
    assert_int_equal(c.n, 1);
    assert_string_equal(c.url[0], "http://a:8080");
    assert_int_equal(syncd_plan_coordinator_next(&c, NULL), 0); /* one: stays */
    assert_int_equal(syncd_plan_coordinator_next(&c, "http://b:1"), 0);
    assert_true(
        syncd_plan_coordinators("http://a:8080,https://b.venue:8443/,http://c:1", &c, why, 256));
    assert_int_equal(c.n, 3);
    assert_string_equal(c.url[1], "https://b.venue:8443");
    assert_int_equal(c.current, 0);
    /* No answer: the next, round. */
    assert_int_equal(syncd_plan_coordinator_next(&c, ""), 1);
    c.current = 2;
    assert_int_equal(syncd_plan_coordinator_next(&c, NULL), 0);
    /* A standby named the active: that one, with or without a '/'. */
    c.current = 0;
    assert_int_equal(syncd_plan_coordinator_next(&c, "http://c:1/"), 2);
    assert_int_equal(syncd_plan_coordinator_next(&c, "https://b.venue:8443"), 1);
    /* ...not in the list (another name for it, or not ours): the next. */
    c.current = 1;
    assert_int_equal(syncd_plan_coordinator_next(&c, "http://10.0.0.9:8080"), 2);
    /* ...the current one itself (a stale list): the next, never a loop. */
    assert_int_equal(syncd_plan_coordinator_next(&c, "https://b.venue:8443"), 2);
    const char *bad[] = {"",
                         "a:8080",
                         "http://",
                         "http://a,",
                         ",http://a",
                         "http://a,,http://b",
                         "http://a b",
                         "http://a,http://a/",
                         "ftp://a",
                         "http:///x",
                         "http://a,http://b,http://c,http://d,"
                         "http://e,http://f,http://g,http://h,"
                         "http://i"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        syncd_coordinators kept = c;
        why[0] = '\0';
        assert_false(syncd_plan_coordinators(bad[i], &c, why, sizeof why));
        assert_true(strstr(why, "--coordinator") != NULL);
        assert_memory_equal(&kept, &c, sizeof c); /* untouched */
    }
}

static void test_standby_answer(void **ctx)
{
    (void)ctx;
    char active[SYNCD_URL_SIZE] = "x";
    char *body = proto_standby_body("a standby", "http://a:8080");
    assert_true(syncd_plan_standby(503, body, strlen(body), active, sizeof active));
    assert_string_equal(active, "http://a:8080");
    assert_false(syncd_plan_standby(200, body, strlen(body), active, sizeof active));
    /* The coordinator's own error: retried (offline), not an op refusal. */
    usher_op op = mkop("T-1", "T01-01");
    char why[256];
    sync_response sr;
    assert_int_equal(syncd_plan_sync_answer(503, body, strlen(body), &op, 1, &sr, why, sizeof why),
                     SYNCD_ACT_RETRY);
    assert_true(strstr(why, "standby") != NULL);
    free(body);
    body = proto_standby_body("a standby that knows none", NULL);
    assert_true(syncd_plan_standby(503, body, strlen(body), active, sizeof active));
    assert_string_equal(active, "");
    free(body);
    /* Other 503s are not a standby's: no move to an address from them. */
    const char *others[] = {"{\"error\":\"unavailable\",\"message\":\"busy\"}", "<html>503</html>",
                            "{\"error\":\"standby\",\"message\":\"m\",\"active\":7}",
                            "{\"error\":\"standby\",\"active\":\"http://a:1\"}"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        text_copy(active, sizeof active, "kept");
        assert_false(syncd_plan_standby(503, others[i], strlen(others[i]), active, sizeof active));
        assert_string_equal(active, "kept");
    }
}

static void test_move(void **ctx)
{
    (void)ctx;
    char active[SYNCD_URL_SIZE] = "x";
    assert_true(syncd_plan_move(false, 0, NULL, 0, 0, active, sizeof active)); /* no answer */
    assert_string_equal(active, "");
    char *body = proto_standby_body("a standby", "http://a:1");
    assert_true(syncd_plan_move(true, 503, body, strlen(body), 1, active, sizeof active));
    assert_string_equal(active, "http://a:1"); /* its Retry-After does not hold a device */
    free(body);
    const char *down = "{\"error\":\"unavailable\",\"message\":\"the database cannot be reached\"}";
    assert_true(syncd_plan_move(true, 503, down, strlen(down), 0, active, sizeof active));
    assert_string_equal(active, "");
    text_copy(active, sizeof active, "kept");
    /* A limit's 503 (Retry-After), an answer, a 500, a refusal: stay. */
    assert_false(syncd_plan_move(true, 503, down, strlen(down), 2, active, sizeof active));
    assert_false(syncd_plan_move(true, 200, "{}", 2, 0, active, sizeof active));
    assert_false(syncd_plan_move(true, 500, down, strlen(down), 0, active, sizeof active));
    assert_false(syncd_plan_move(true, 401, down, strlen(down), 0, active, sizeof active));
    assert_string_equal(active, "kept");
}

static void test_backoff(void **ctx)
{
    (void)ctx;
    syncd_backoff b = {0};
    int64_t want[] = {100, 200, 400, 800, 1600, 2000, 2000};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int64_t lo = syncd_backoff_next(&b, false, 0);
        assert_int_equal(b.ms, want[i]);
        assert_int_equal(lo, want[i] / 2);
    }
    syncd_backoff c = {0};
    for (int i = 0; i < 10; i++) {
        int64_t w = syncd_backoff_next(&c, true, 0xffffffffu);
        assert_true(w >= c.ms / 2 && w <= c.ms);
        assert_true(c.ms <= SYNCD_BACKOFF_REFUSED_CAP_MS);
    }
    assert_int_equal(c.ms, SYNCD_BACKOFF_REFUSED_CAP_MS);
}

typedef struct lease_fx {
    layout *l;
    state *v;
} lease_fx;

static int lease_setup(void **ctx)
{
    lease_fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    usher_errmsg em = {{0}};
    assert_int_equal(layout_from_json(two_tables, strlen(two_tables), &f->l, &em), USHER_OK);
    state_config cfg = {0};
    f->v = state_new(f->l, &cfg);
    assert_non_null(f->v);
    *ctx = f;
    return 0;
}

static int lease_teardown(void **ctx)
{
    lease_fx *f = *ctx;
    state_free(f->v);
    layout_free(f->l);
    free(f);
    return 0;
}

static void apply_all(state *v, const usher_op *ops, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        apply_result r;
        state_apply(v, &ops[i], now, &r);
        assert_int_equal(r.v.status, VERDICT_ACCEPTED);
        for (int c = 0; c < r.nchanges; c++) {
            usher_errmsg em = {{0}};
            assert_int_equal(state_apply_change(v, &r.changes[c], &em), USHER_OK);
        }
    }
}

static void test_lease_plan(void **ctx)
{
    lease_fx *f = *ctx;
    usher_op ops[16];
    size_t n = syncd_plan_leases(f->v, f->l, "kiosk-1", 3, NOW, ops, 16);
    assert_int_equal(n, 3);
    int start = syncd_plan_lease_start("kiosk-1", 8);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ops[i].kind, OP_LEASE);
        assert_int_equal(ops[i].ttl_ms, SYNCD_LEASE_TTL_MS);
        assert_string_equal(ops[i].seat, layout_seat_at(f->l, (start + (int)i) % 8)->id);
    }
    apply_all(f->v, ops, n, NOW);
    /* Enough leased: nothing to do until half the term is gone... */
    assert_int_equal(syncd_plan_leases(f->v, f->l, "kiosk-1", 3, NOW + 60000, ops, 16), 0);
    /* ...then the three are renewed. */
    int64_t later = NOW + SYNCD_LEASE_TTL_MS / 2 + 1;
    assert_int_equal(syncd_plan_leases(f->v, f->l, "kiosk-1", 3, later, ops, 16), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ops[i].kind, OP_LEASE);
    /* Room for fewer ops than planned: stops at max. */
    assert_int_equal(syncd_plan_leases(f->v, f->l, "kiosk-2", 5, NOW, ops, 2), 2);
    /* On stop every free seat leased to kiosk-1 is given back. */
    n = syncd_plan_lease_return(f->v, f->l, "kiosk-1", NOW + 1000, ops, 16);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ops[i].kind, OP_UNLEASE);
    assert_int_equal(syncd_plan_lease_return(f->v, f->l, "kiosk-2", NOW, ops, 16), 0);
}

static void test_lease_gives_back_surplus(void **ctx)
{
    lease_fx *f = *ctx;
    usher_op ops[16];
    size_t n = syncd_plan_leases(f->v, f->l, "kiosk-1", 7, NOW, ops, 16);
    assert_int_equal(n, 7);
    apply_all(f->v, ops, n, NOW);
    /* With N = 2, 7 > 2N: all but the first 2 go back. */
    n = syncd_plan_leases(f->v, f->l, "kiosk-1", 2, NOW + 1000, ops, 16);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ops[i].kind, OP_UNLEASE);
}

static void test_lease_allowed(void **ctx)
{
    (void)ctx;
    char why[256] = "";
    assert_true(syncd_plan_lease_allowed(ROLE_KIOSK, JOURNAL_POLICY_LEASE, why, sizeof why));
    assert_true(syncd_plan_lease_allowed(ROLE_DOOR, JOURNAL_POLICY_OPTIMISTIC, why, sizeof why));
    assert_false(syncd_plan_lease_allowed(ROLE_DOOR, JOURNAL_POLICY_LEASE, why, sizeof why));
    assert_non_null(strstr(why, "optimistic"));
}

/* The changes up to a new layout are applied; the rest come with the snapshot. */
static void test_layout_cut(void **unused)
{
    (void)unused;
    change c[3];
    memset(c, 0, sizeof c);
    c[0].type = CHANGE_TICKET, c[1].type = CHANGE_SEAT, c[2].type = CHANGE_SEAT;
    assert_int_equal(syncd_plan_layout_cut(c, 3), 3);
    assert_int_equal(syncd_plan_layout_cut(NULL, 0), 0);
    c[1].type = CHANGE_LAYOUT;
    assert_int_equal(syncd_plan_layout_cut(c, 3), 1);
    c[0].type = CHANGE_LAYOUT;
    assert_int_equal(syncd_plan_layout_cut(c, 3), 0);
}

/* Stream changes: a run that continues the cursor is applied; the rest is
 * a sync round's. */
static void expect_step(syncd_stream_step st, size_t skip, size_t apply, bool pull)
{
    assert_int_equal(st.skip, skip);
    assert_int_equal(st.apply, apply);
    assert_int_equal(st.pull, pull);
}

static void test_stream(void **unused)
{
    (void)unused;
    change c[6];
    memset(c, 0, sizeof c);
    for (int i = 0; i < 6; i++) {
        c[i].type = CHANGE_SEAT;
        c[i].seq = 11 + i; /* 11 .. 16 */
    }
    expect_step(syncd_plan_stream(10, 0, false, NULL, 0), 0, 0, false); /* nothing queued */
    expect_step(syncd_plan_stream(10, 0, false, c, 6), 0, 6, false);    /* 11.. continues 10 */
    expect_step(syncd_plan_stream(10, 1, false, c, 6), 0, 0, true);     /* pending ops */
    expect_step(syncd_plan_stream(10, 0, true, c, 6), 0, 0, true);      /* the lease policy */
    expect_step(syncd_plan_stream(9, 0, false, c, 6), 0, 0, true);      /* 10 missed: a gap */
    expect_step(syncd_plan_stream(12, 0, false, c, 6), 2, 4, false);    /* 11, 12 pulled already */
    expect_step(syncd_plan_stream(16, 0, false, c, 6), 6, 0, false);    /* all of them */
    expect_step(syncd_plan_stream(0, 0, false, c, 6), 0, 0, true);      /* before the first */
    c[3].seq = 20;                                                      /* 11 12 13 20 15 16 */
    expect_step(syncd_plan_stream(10, 0, false, c, 6), 0, 3, true);
    c[3].seq = 12; /* back: 11 12 13 12 */
    expect_step(syncd_plan_stream(10, 0, false, c, 6), 0, 3, true);
    c[3].seq = 14;
    c[2].type = CHANGE_LAYOUT; /* the run stops before a new layout */
    expect_step(syncd_plan_stream(10, 0, false, c, 6), 0, 2, true);
    c[2].type = CHANGE_ENTRANCES; /* and new entrances (the answer carries them) */
    expect_step(syncd_plan_stream(10, 0, false, c, 6), 0, 2, true);
    c[2].type = CHANGE_TICKET;
    expect_step(syncd_plan_stream(10, 0, false, c, 6), 0, 6, false);
    c[0].type = CHANGE_LAYOUT;
    expect_step(syncd_plan_stream(10, 0, false, c, 6), 0, 0, true);
}

/* A full disk never stops syncd: it waits for space; a busy journal is
 * retried; only a journal that cannot be used at all stops it. */
static void test_journal_failure(void **ctx)
{
    (void)ctx;
    assert_int_equal(syncd_plan_journal_failure(USHER_FULL), SYNCD_LOCAL_WAIT_SPACE);
    assert_int_equal(syncd_plan_journal_failure(USHER_BUSY), SYNCD_LOCAL_RETRY);
    assert_int_equal(syncd_plan_journal_failure(USHER_NOMEM), SYNCD_LOCAL_RETRY);
    assert_int_equal(syncd_plan_journal_failure(USHER_IO), SYNCD_LOCAL_STOP);
    assert_int_equal(syncd_plan_journal_failure(USHER_DB), SYNCD_LOCAL_STOP);
    assert_int_equal(syncd_plan_journal_failure(USHER_SCHEMA), SYNCD_LOCAL_STOP);
}

/* Waiting for space: a round again once enough is free, or after a minute
 * whatever the free space; the reserve only with room for it besides. */
static void test_space(void **ctx)
{
    (void)ctx;
    assert_false(syncd_plan_space_resume(0, 0));
    assert_false(syncd_plan_space_resume(-1, SYNCD_SPACE_CHECK_MS));
    assert_false(syncd_plan_space_resume(SYNCD_SPACE_RESUME_BYTES - 1, SYNCD_SPACE_RETRY_MS - 1));
    assert_true(syncd_plan_space_resume(SYNCD_SPACE_RESUME_BYTES, 0));
    assert_true(syncd_plan_space_resume(0, SYNCD_SPACE_RETRY_MS));
    assert_true(syncd_plan_space_resume(-1, SYNCD_SPACE_RETRY_MS));
    assert_false(syncd_plan_space_reserve(-1));
    assert_false(syncd_plan_space_reserve(SYNCD_SPACE_RESUME_BYTES));
    assert_false(
        syncd_plan_space_reserve(SYNCD_SPACE_RESUME_BYTES + SYNCD_SPACE_RESERVE_BYTES - 1));
    assert_true(syncd_plan_space_reserve(SYNCD_SPACE_RESUME_BYTES + SYNCD_SPACE_RESERVE_BYTES));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_sync_answer_applied),
    cmocka_unit_test(test_coordinator_errors_count),
    cmocka_unit_test(test_middlebox_answers_are_offline),
    cmocka_unit_test(test_error_decode),
    cmocka_unit_test(test_snapshot),
    cmocka_unit_test(test_log_id),
    cmocka_unit_test(test_snapshot_page),
    cmocka_unit_test(test_backoff),
    cmocka_unit_test(test_retry_after),
    cmocka_unit_test(test_coordinator_list),
    cmocka_unit_test(test_standby_answer),
    cmocka_unit_test(test_move),
    cmocka_unit_test_setup_teardown(test_lease_plan, lease_setup, lease_teardown),
    cmocka_unit_test_setup_teardown(test_lease_gives_back_surplus, lease_setup, lease_teardown),
    cmocka_unit_test(test_lease_allowed),
    cmocka_unit_test(test_layout_cut),
    cmocka_unit_test(test_stream),
    cmocka_unit_test(test_journal_failure),
    cmocka_unit_test(test_space),
};

TESTUTIL_MAIN(tests)

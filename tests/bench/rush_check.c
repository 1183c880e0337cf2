/* rush_check.c - the guest rush's end: checks the invariants against the
 * coordinator's API and every device journal, and says what happened. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "rush.h"
#include "text.h"
#include "timestamp.h"

typedef struct tally {
    int64_t by_kind[OP_UNLEASE + 1];
    int64_t accepted, rejected, reseats, by_reason[REASON_SEAT_LEASED + 1];
    int64_t assign_conflicts, hold_refused; /* assigns rejected; holds refused */
} tally;

int64_t rush_coord_cursor(const rush *r)
{
    char url[600], *body = NULL;
    snprintf(url, sizeof url, "%s/healthz", r->url);
    long st = bench_http(url, NULL, NULL, &body, 5.0);
    json_t *j = st == 200 && body ? json_loads(body, 0, NULL) : NULL;
    json_t *cur = json_object_get(j, "cursor");
    int64_t out = json_is_integer(cur) ? json_integer_value(cur) : -1;
    json_decref(j);
    free(body);
    return out;
}

static int verdict_line(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int verdict_line(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(ok ? "  ok   " : "  FAIL ", stdout);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    return ok ? 0 : 1;
}

/* The coordinator's seats (GET /v1/seats) as the ticket on each seat of
 * layout l, by seat index ("" when none). */
static char (*coord_seats(const rush *r, const layout *l, char *why,
                          size_t whysize))[USHER_CODE_SIZE]
{
    char url[600], *body = NULL;
    snprintf(url, sizeof url, "%s/v1/seats", r->url);
    long st = bench_http(url, r->admin_token, NULL, &body, 30.0);
    json_t *j = st == 200 && body ? json_loads(body, 0, NULL) : NULL;
    json_t *seats = json_object_get(j, "seats"), *s;
    char(*out)[USHER_CODE_SIZE] = NULL;
    size_t i;
    if (!json_is_array(seats)) {
        snprintf(why, whysize, "GET /v1/seats answered %ld%s", st,
                 st == 403 || st == 401 ? " (--admin-token must be an admin's token)" : "");
        goto done;
    }
    out = calloc((size_t)layout_seat_count(l) + 1, sizeof *out);
    json_array_foreach(seats, i, s)
    {
        int si = layout_find_seat(l, json_string_value(json_object_get(s, "id")));
        const char *t = json_string_value(json_object_get(s, "ticket"));
        if (out && si >= 0 && t)
            text_copy(out[si], sizeof out[0], t);
    }
done:
    json_decref(j);
    free(body);
    return out;
}

/* Where each ticket sits: the taken seats sorted by ticket code. */
typedef struct sitting {
    const char *ticket;
    int seat;
} sitting;

static int by_ticket(const void *a, const void *b)
{
    return strcmp(((const sitting *)a)->ticket, ((const sitting *)b)->ticket);
}

/* The taken seats of seats[0..n) by ticket (malloc'd, *count of them). */
static sitting *sittings(char (*seats)[USHER_CODE_SIZE], int n, int *count)
{
    sitting *out = calloc((size_t)n + 1, sizeof *out);
    *count = 0;
    for (int si = 0; out && si < n; si++)
        if (seats[si][0])
            out[(*count)++] = (sitting){seats[si], si};
    if (out)
        qsort(out, (size_t)*count, sizeof *out, by_ticket);
    return out;
}

/* The seat index of ticket in the sorted sittings, or -1. */
static int seat_of(const sitting *sit, int count, const char *ticket)
{
    sitting key = {ticket, -1};
    const sitting *hit = bsearch(&key, sit, (size_t)count, sizeof key, by_ticket);
    return hit ? hit->seat : -1;
}

/* No ticket on two seats: the first ticket seen twice, or NULL. */
static const char *ticket_twice(const sitting *sit, int count)
{
    for (int i = 1; i < count; i++)
        if (!strcmp(sit[i - 1].ticket, sit[i].ticket))
            return sit[i].ticket;
    return NULL;
}

/* Re-sends every decided op of every outbox (admin token, batches of 1000):
 * each must come back `duplicate` of the verdict the device holds, and the
 * cursor must not move. Also tallies what happened. */
static int replay(rush *r, tally *t, int64_t *replayed, char *why, size_t whysize)
{
    int64_t before = rush_coord_cursor(r);
    usher_op *ops = calloc(USHER_MAX_BATCH, sizeof *ops);
    outbox_entry *seen = calloc(USHER_MAX_BATCH, sizeof *seen);
    int bad = 0;
    char url[600];
    snprintf(url, sizeof url, "%s/v1/sync", r->url);
    for (int d = 0; ops && seen && d < r->ndev && !bad; d++) {
        int64_t after = 0;
        for (;;) {
            outbox_entry *es = NULL;
            size_t n = 0, nops = 0;
            usher_errmsg em = {{0}};
            if (journal_outbox_list(r->dev[d].d.j, after, USHER_MAX_BATCH, &es, &n, &em)) {
                snprintf(why, whysize, "device %d: %s", d + 1, em.text);
                bad = 1;
                break;
            }
            for (size_t i = 0; i < n; i++) {
                after = es[i].seq;
                t->by_kind[es[i].op.kind]++;
                if (es[i].state == OUTBOX_PENDING)
                    continue;
                if (es[i].state == OUTBOX_ACCEPTED)
                    t->accepted++;
                else
                    t->rejected++, t->by_reason[es[i].v.reason]++;
                if (es[i].state == OUTBOX_REJECTED && es[i].op.kind == OP_ASSIGN)
                    t->assign_conflicts++;
                if (es[i].state == OUTBOX_REJECTED && es[i].op.kind == OP_HOLD)
                    t->hold_refused++;
                t->reseats += es[i].v.reseat[0] != 0;
                seen[nops] = es[i];
                ops[nops++] = es[i].op;
            }
            free(es);
            if (nops) {
                sync_request req = {.cursor = before, .ops = ops, .nops = nops};
                char *body = proto_sync_request_encode(&req), *resp = NULL;
                sync_response sr;
                long st = body ? bench_http(url, r->admin_token, body, &resp, 30.0) : 0;
                if (st != 200 || proto_sync_response_decode(resp, strlen(resp), &sr, &em)) {
                    snprintf(why, whysize, "re-sending device %d's ops: answer %ld %s", d + 1, st,
                             resp ? resp : "");
                    bad = 1;
                } else {
                    for (size_t i = 0; i < nops && i < sr.nverdicts && !bad; i++) {
                        const verdict *v = &sr.verdicts[i], *mine = &seen[i].v;
                        verdict_status want =
                            seen[i].state == OUTBOX_ACCEPTED ? VERDICT_ACCEPTED : VERDICT_REJECTED;
                        if (v->status != VERDICT_DUPLICATE)
                            snprintf(why, whysize,
                                     "op %s (%s, device %d) was applied anew (%s): the "
                                     "coordinator had no record of it",
                                     seen[i].op.id, op_kind_name(seen[i].op.kind), d + 1,
                                     verdict_status_name(v->status));
                        else if (v->first != want || v->reason != mine->reason ||
                                 strcmp(v->reseat, mine->reseat))
                            snprintf(why, whysize,
                                     "op %s (%s, device %d): the coordinator's verdict is %s "
                                     "%s %s, the device holds %s %s %s",
                                     seen[i].op.id, op_kind_name(seen[i].op.kind), d + 1,
                                     verdict_status_name(v->first),
                                     verdict_reason_name(v->reason) ? verdict_reason_name(v->reason)
                                                                    : "",
                                     v->reseat, verdict_status_name(want),
                                     verdict_reason_name(mine->reason)
                                         ? verdict_reason_name(mine->reason)
                                         : "",
                                     mine->reseat);
                        if (why[0]) {
                            bad = 1;
                        }
                    }
                    if (!bad && sr.nverdicts != nops) {
                        snprintf(why, whysize, "%zu verdicts for %zu re-sent ops", sr.nverdicts,
                                 nops);
                        bad = 1;
                    }
                    *replayed += (int64_t)nops;
                    proto_sync_response_release(&sr);
                }
                free(body);
                free(resp);
            }
            if (n < USHER_MAX_BATCH || bad)
                break;
        }
    }
    free(ops);
    free(seen);
    if (!bad && rush_coord_cursor(r) != before) {
        snprintf(why, whysize,
                 "the coordinator's cursor moved from %lld to %lld: a re-sent op "
                 "was applied anew",
                 (long long)before, (long long)rush_coord_cursor(r));
        bad = 1;
    }
    return bad;
}

/* Every assign's verdict holds in the coordinator's final seats: accepted =
 * the ticket sits on the op's seat, reseated = on the verdict's seat,
 * rejected without a reseat = nowhere (every ticket is assigned once). */
static int verdicts_hold(rush *r, const layout *l, const sitting *sit, int nsit, char *why,
                         size_t whysize)
{
    for (int d = 0; d < r->ndev; d++) {
        int64_t after = 0;
        for (;;) {
            outbox_entry *es = NULL;
            size_t n = 0;
            usher_errmsg em = {{0}};
            if (journal_outbox_list(r->dev[d].d.j, after, USHER_MAX_BATCH, &es, &n, &em))
                return snprintf(why, whysize, "device %d: %s", d + 1, em.text), 1;
            for (size_t i = 0; i < n; i++) {
                const outbox_entry *e = &es[i];
                after = e->seq;
                if (e->op.kind != OP_ASSIGN || e->state == OUTBOX_PENDING)
                    continue;
                const char *want = e->state == OUTBOX_ACCEPTED ? e->op.seat : e->v.reseat;
                int si = seat_of(sit, nsit, e->op.ticket);
                const char *has = si >= 0 ? layout_seat_at(l, si)->id : "";
                if (strcmp(want, has)) {
                    snprintf(why, whysize,
                             "%s: device %d's verdict says %s, the coordinator "
                             "seats it %s",
                             e->op.ticket, d + 1, want[0] ? want : "nowhere",
                             has[0] ? has : "nowhere");
                    free(es);
                    return 1;
                }
            }
            free(es);
            if (n < USHER_MAX_BATCH)
                break;
        }
    }
    return 0;
}

int rush_check(rush *r, int64_t converge_ms)
{
    const layout *l = r->dev[0].d.l;
    int ns = layout_seat_count(l), failed = 0, twice_dev = 0, differ_dev = 0;
    char why[1024] = "", dwhy[512] = "";
    tally t;
    memset(&t, 0, sizeof t);
    int64_t cursor = rush_coord_cursor(r), replayed = 0, offline_ms = 0, ops_offline = 0;
    int episodes = 0, taken = 0;
    char(*seats)[USHER_CODE_SIZE] = coord_seats(r, l, why, sizeof why);
    printf("invariants:\n");
    if (!seats) {
        printf("  FAIL cannot read the coordinator's seats: %s\n", why);
        return 1;
    }
    int nsit = 0;
    sitting *sit = sittings(seats, ns, &nsit);
    if (!sit) {
        free(seats);
        printf("  FAIL out of memory\n");
        return 1;
    }
    taken = nsit;
    const char *twice = ticket_twice(sit, nsit);
    failed += verdict_line(!twice,
                           "no seat twice on the coordinator: %d seats taken, %s (GET "
                           "/v1/seats)",
                           taken, twice ? "a ticket on two seats:" : "each by its own ticket");
    if (twice)
        printf("       %s\n", twice);
    for (int d = 0; d < r->ndev; d++) {
        usher_errmsg em = {{0}};
        state *v = NULL;
        int64_t pending = 0;
        if (bench_dev_view(&r->dev[d].d, timestamp_now_ms(), &v, &em) ||
            journal_pending_count(r->dev[d].d.j, &pending, &em)) {
            snprintf(dwhy, sizeof dwhy, "device %d: %s", d + 1, em.text);
            twice_dev++;
            continue;
        }
        if (!state_check(v, &em)) {
            if (!twice_dev++)
                snprintf(dwhy, sizeof dwhy, "device %d: %s", d + 1, em.text);
        }
        int diff = 0;
        for (int si = 0; si < ns; si++)
            diff += strcmp(state_seat(v, si)->ticket, seats[si]) != 0;
        if ((diff || pending || journal_cursor(r->dev[d].d.j) != cursor) && !differ_dev++)
            snprintf(why, sizeof why,
                     "device %d: %d seats differ from /v1/seats, %lld pending, "
                     "cursor %lld (the coordinator's: %lld)",
                     d + 1, diff, (long long)pending, (long long)journal_cursor(r->dev[d].d.j),
                     (long long)cursor);
        state_free(v);
        offline_ms += r->dev[d].offline_ms;
        episodes += r->dev[d].episodes;
        ops_offline += r->dev[d].ops_offline;
    }
    failed += verdict_line(!twice_dev,
                           "no seat twice in any device journal (%d journals, each "
                           "view checked both ways: seat -> ticket -> seat)%s%s",
                           r->ndev, twice_dev ? ": " : "", dwhy);
    if (converge_ms >= 0 && !differ_dev)
        failed += verdict_line(true,
                               "every device converged %lld ms after the last guest "
                               "confirmed: outboxes empty, cursor %lld everywhere, seats equal "
                               "to /v1/seats",
                               (long long)converge_ms, (long long)cursor);
    else
        failed += verdict_line(false, "every device converged: %d of %d did not%s (%s)", differ_dev,
                               r->ndev, converge_ms < 0 ? " within 60 s" : "", why);
    why[0] = '\0';
    int bad = replay(r, &t, &replayed, why, sizeof why);
    failed += verdict_line(!bad,
                           "every decided op is in the coordinator's op log: %lld re-sent, "
                           "each answered 'duplicate' of the verdict its device holds, cursor "
                           "unchanged%s%s",
                           (long long)replayed, bad ? ": " : "", why);
    why[0] = '\0';
    bad = verdicts_hold(r, l, sit, nsit, why, sizeof why);
    failed += verdict_line(!bad,
                           "every assign's verdict holds in the final seats (accepted: its "
                           "seat; reseated: the new seat; rejected: none)%s%s",
                           bad ? ": " : "", why);
    int seated = 0, no_room = 0, confirmed = 0;
    for (int i = 0; i < r->nguests; i++)
        seated += seat_of(sit, nsit, r->code[i]) >= 0;
    for (int i = 0; i < r->nparties; i++)
        no_room += r->parties[i].no_room, confirmed += r->parties[i].seated;
    int64_t conflicts = t.assign_conflicts + t.hold_refused;
    printf("what happened:\n");
    printf("  ops written %lld: hold %lld, release %lld, assign %lld; %lld written while the "
           "device was cut off\n",
           (long long)r->ops_written, (long long)t.by_kind[OP_HOLD],
           (long long)t.by_kind[OP_RELEASE], (long long)t.by_kind[OP_ASSIGN],
           (long long)ops_offline);
    printf("  verdicts: %lld accepted, %lld rejected", (long long)t.accepted,
           (long long)t.rejected);
    for (int k = 1; k <= REASON_SEAT_LEASED; k++)
        if (t.by_reason[k])
            printf(", %s %lld", verdict_reason_name((verdict_reason)k), (long long)t.by_reason[k]);
    printf("\n  conflicts %lld: %lld assigns lost their seat to another kiosk (reseated by the "
           "coordinator: %lld), %lld holds refused\n",
           (long long)conflicts, (long long)t.assign_conflicts, (long long)t.reseats,
           (long long)t.hold_refused);
    printf("  kiosks: %d of %d parties confirmed, %lld saw a seat go before confirming, %lld "
           "gave up after 3 tries, %d found no room\n",
           confirmed, r->nparties, (long long)r->lost_before_confirm, (long long)r->gave_up,
           no_room);
    printf("  links cut %d times, %.1f s in all; guests seated %d of %d\n", episodes,
           (double)offline_ms / 1000, seated, r->nguests);
    printf("rush-result invariants_failed=%d devices=%d guests=%d parties=%d ops=%lld "
           "accepted=%lld rejected=%lld conflicts=%lld reseats=%lld drops=%d ops_offline=%lld "
           "seated=%d converge_ms=%lld replayed=%lld\n",
           failed, r->ndev, r->nguests, r->nparties, (long long)r->ops_written,
           (long long)t.accepted, (long long)t.rejected, (long long)conflicts, (long long)t.reseats,
           episodes, (long long)ops_offline, seated, (long long)converge_ms, (long long)replayed);
    printf("RESULT: %s\n", failed ? "FAILED" : "ok");
    free(sit);
    free(seats);
    return failed;
}

/* state.c - the seating state machine (shared/README.md "Conflict rules"), pure: it takes
 * `now` as an argument and does no I/O. Tickets and remembered verdicts are
 * found through small open-addressing hash tables keyed by code and op id;
 * verdicts are kept in two generations so that the owner can forget the older
 * one once it is stored elsewhere (the coordinator's database). */
#include "state.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "ticketcode.h"

/* Open addressing over int32 slots holding index+1 (0 = empty). */
typedef struct index_table {
    int32_t *slots;
    size_t cap; /* power of two, or 0 */
} index_table;

/* One generation of remembered verdicts and its op id index. */
typedef struct verdict_gen {
    verdict *v;
    size_t n, cap;
    index_table ix; /* op id -> index in v */
} verdict_gen;

struct state {
    const layout *l;
    state_config cfg;
    int nseats;
    seat_state *seats;
    ticket_state *tickets;
    int ntickets, tcap;
    index_table tix;   /* ticket code -> ticket index */
    verdict_gen vg[2]; /* remembered verdicts: [0] the newer generation */
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Finds the slot for key: either the one holding it or the empty one where it
 * would go. name_of(ctx, i) gives the key of entry i. */
static size_t table_probe(const index_table *t, const char *key,
                          const char *(*name_of)(const void *, int32_t), const void *st)
{
    size_t mask = t->cap - 1, i = hash_str(key) & mask;
    while (t->slots[i] && strcmp(name_of(st, t->slots[i] - 1), key) != 0)
        i = (i + 1) & mask;
    return i;
}

static const char *ticket_key(const void *ctx, int32_t i)
{
    return ((const state *)ctx)->tickets[i].code;
}

static const char *verdict_key(const void *ctx, int32_t i)
{
    return ((const verdict_gen *)ctx)->v[i].op_id;
}

/* Grows t to hold `count` entries at most half full, re-inserting all. */
static bool table_reserve(index_table *t, size_t count,
                          const char *(*name_of)(const void *, int32_t), const void *st)
{
    if (t->cap >= 2 * count && t->cap)
        return true;
    size_t cap = t->cap ? t->cap : 64;
    while (cap < 2 * count)
        cap *= 2;
    int32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    index_table nt = {slots, cap};
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i])
            slots[table_probe(&nt, name_of(st, t->slots[i] - 1), name_of, st)] = t->slots[i];
    free(t->slots);
    *t = nt;
    return true;
}

static bool table_copy(index_table *dst, const index_table *src)
{
    dst->cap = src->cap;
    dst->slots = NULL;
    if (!src->cap)
        return true;
    dst->slots = malloc(src->cap * sizeof *src->slots);
    if (!dst->slots)
        return false;
    memcpy(dst->slots, src->slots, src->cap * sizeof *src->slots);
    return true;
}

state *state_new(const layout *l, const state_config *cfg)
{
    state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->l = l;
    if (cfg)
        st->cfg = *cfg;
    if (st->cfg.hold_ttl_ms <= 0)
        st->cfg.hold_ttl_ms = USHER_DEFAULT_HOLD_TTL_MS;
    st->nseats = layout_seat_count(l);
    st->seats = calloc(st->nseats ? (size_t)st->nseats : 1, sizeof *st->seats);
    if (!st->seats) {
        free(st);
        return NULL;
    }
    return st;
}

void state_free(state *st)
{
    if (!st)
        return;
    free(st->seats);
    free(st->tickets);
    free(st->tix.slots);
    for (int g = 0; g < 2; g++) {
        free(st->vg[g].v);
        free(st->vg[g].ix.slots);
    }
    free(st);
}

static bool gen_copy(verdict_gen *dst, const verdict_gen *src)
{
    *dst = *src;
    dst->v = NULL;
    if (!table_copy(&dst->ix, &src->ix))
        return false;
    dst->v = malloc((src->cap ? src->cap : 1) * sizeof *dst->v);
    if (!dst->v)
        return false;
    if (src->n)
        memcpy(dst->v, src->v, src->n * sizeof *dst->v);
    return true;
}

state *state_clone(const state *src)
{
    state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    *st = *src;
    st->seats = NULL, st->tickets = NULL, st->tix.slots = NULL;
    memset(st->vg, 0, sizeof st->vg);
    st->seats = malloc((src->nseats ? (size_t)src->nseats : 1) * sizeof *st->seats);
    st->tickets = malloc((src->tcap ? (size_t)src->tcap : 1) * sizeof *st->tickets);
    if (!st->seats || !st->tickets || !table_copy(&st->tix, &src->tix) ||
        !gen_copy(&st->vg[0], &src->vg[0]) || !gen_copy(&st->vg[1], &src->vg[1])) {
        state_free(st);
        return NULL;
    }
    /* memcpy from NULL is undefined even for zero bytes: copy only what exists. */
    if (src->nseats)
        memcpy(st->seats, src->seats, (size_t)src->nseats * sizeof *st->seats);
    if (src->ntickets)
        memcpy(st->tickets, src->tickets, (size_t)src->ntickets * sizeof *st->tickets);
    return st;
}

const layout *state_layout(const state *st)
{
    return st->l;
}

usher_err state_rebase(const state *st, const layout *next, state **out, usher_errmsg *em)
{
    for (int ti = 0; ti < st->ntickets; ti++) {
        const ticket_state *t = &st->tickets[ti];
        if (t->seat[0] && layout_find_seat(next, t->seat) < 0)
            return usher_fail(em, USHER_CONFLICT,
                              "ticket %s sits in seat %s, which the new layout does not have",
                              t->code, t->seat);
    }
    int n = layout_seat_count(next);
    seat_state *seats = calloc(n ? (size_t)n : 1, sizeof *seats);
    state *ns = seats ? state_clone(st) : NULL;
    if (!ns) {
        free(seats);
        return usher_fail(em, USHER_NOMEM, "out of memory moving the state to the new layout");
    }
    for (int i = 0; i < n; i++) {
        int old = layout_find_seat(st->l, layout_seat_at(next, i)->id);
        if (old >= 0)
            seats[i] = st->seats[old];
    }
    free(ns->seats);
    ns->seats = seats;
    ns->nseats = n;
    ns->l = next;
    *out = ns;
    return USHER_OK;
}

const state_config *state_get_config(const state *st)
{
    return &st->cfg;
}

void state_set_reentry_refused(state *st, bool refused)
{
    st->cfg.reentry_refused = refused;
}

int state_seat_count(const state *st)
{
    return st->nseats;
}

const seat_state *state_seat(const state *st, int i)
{
    return &st->seats[i];
}

int state_ticket_count(const state *st)
{
    return st->ntickets;
}

const ticket_state *state_ticket(const state *st, int i)
{
    return &st->tickets[i];
}

int state_find_ticket(const state *st, const char *code)
{
    if (!st->tix.cap || !code || !*code)
        return -1;
    int32_t v = st->tix.slots[table_probe(&st->tix, code, ticket_key, st)];
    return v ? v - 1 : -1;
}

const verdict *state_recall(const state *st, const char *op_id)
{
    if (!op_id)
        return NULL;
    for (int g = 0; g < 2; g++) {
        const verdict_gen *vg = &st->vg[g];
        if (!vg->ix.cap)
            continue;
        int32_t v = vg->ix.slots[table_probe(&vg->ix, op_id, verdict_key, vg)];
        if (v)
            return &vg->v[v - 1];
    }
    return NULL;
}

size_t state_remembered(const state *st)
{
    return st->vg[0].n + st->vg[1].n;
}

void state_forget_older(state *st)
{
    free(st->vg[1].v);
    free(st->vg[1].ix.slots);
    st->vg[1] = st->vg[0];
    memset(&st->vg[0], 0, sizeof st->vg[0]);
}

/* Makes room for one more ticket; false on OOM. */
static bool reserve_ticket(state *st)
{
    if (st->ntickets == st->tcap) {
        int cap = st->tcap ? st->tcap * 2 : 64;
        ticket_state *t = realloc(st->tickets, (size_t)cap * sizeof *t);
        if (!t)
            return false;
        st->tickets = t;
        st->tcap = cap;
    }
    return table_reserve(&st->tix, (size_t)st->ntickets + 1, ticket_key, st);
}

/* Appends a ticket whose code is known to be new; room reserved beforehand. */
static int insert_ticket(state *st, const ticket_state *t)
{
    int i = st->ntickets++;
    st->tickets[i] = *t;
    st->tix.slots[table_probe(&st->tix, t->code, ticket_key, st)] = i + 1;
    return i;
}

static bool reserve_verdict(state *st)
{
    verdict_gen *vg = &st->vg[0];
    if (vg->n == vg->cap) {
        size_t cap = vg->cap ? vg->cap * 2 : 256;
        verdict *v = realloc(vg->v, cap * sizeof *v);
        if (!v)
            return false;
        vg->v = v;
        vg->cap = cap;
    }
    return table_reserve(&vg->ix, vg->n + 1, verdict_key, vg);
}

usher_err state_remember(state *st, const verdict *v)
{
    if (!op_id_valid(v->op_id))
        return USHER_INVAL;
    if (state_recall(st, v->op_id))
        return USHER_EXISTS;
    if (!reserve_verdict(st))
        return USHER_NOMEM;
    verdict_gen *vg = &st->vg[0];
    size_t i = vg->n++;
    vg->v[i] = *v;
    vg->ix.slots[table_probe(&vg->ix, v->op_id, verdict_key, vg)] = (int32_t)i + 1;
    return USHER_OK;
}

usher_err state_add_ticket(state *st, const char *code, const char *name, const char *klass,
                           change *out, usher_errmsg *em)
{
    if (!ticketcode_valid(code))
        return usher_fail(em, USHER_INVAL, "\"%.40s\" is not a ticket code", code);
    if (!name || strlen(name) >= USHER_NAME_SIZE || !text_utf8_valid(name, strlen(name)) ||
        !text_printable(name))
        return usher_fail(em, USHER_INVAL,
                          "ticket %s: the name must be one line of UTF-8, at "
                          "most 256 bytes",
                          code);
    if (klass && strlen(klass) >= USHER_CLASS_SIZE)
        return usher_fail(em, USHER_INVAL, "ticket %s: class longer than 16 characters", code);
    if (state_find_ticket(st, code) >= 0)
        return usher_fail(em, USHER_EXISTS, "ticket %s already exists", code);
    if ((size_t)st->ntickets >= USHER_MAX_TICKETS)
        return usher_fail(em, USHER_TOOBIG, "an event holds at most %d tickets", USHER_MAX_TICKETS);
    if (!reserve_ticket(st))
        return usher_fail(em, USHER_NOMEM, "out of memory adding ticket %s", code);
    ticket_state t = {0};
    text_copy(t.code, sizeof t.code, code);
    text_copy(t.name, sizeof t.name, name);
    text_copy(t.klass, sizeof t.klass, klass ? klass : "");
    int i = insert_ticket(st, &t);
    if (out) {
        memset(out, 0, sizeof *out);
        out->type = CHANGE_TICKET;
        out->ticket = st->tickets[i];
    }
    return USHER_OK;
}

static bool name_ok(const char *name)
{
    return name && name[0] && strlen(name) < USHER_NAME_SIZE &&
           text_utf8_valid(name, strlen(name)) && text_printable(name);
}

static void ticket_change(const state *st, int ti, change *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    out->type = CHANGE_TICKET;
    out->ticket = st->tickets[ti];
}

usher_err state_edit_ticket(state *st, const char *code, const char *name, const char *klass,
                            change *out, usher_errmsg *em)
{
    int ti = code ? state_find_ticket(st, code) : -1;
    if (ti < 0)
        return usher_fail(em, USHER_NOTFOUND, "no ticket %.40s", code ? code : "");
    if (!name_ok(name))
        return usher_fail(em, USHER_INVAL,
                          "ticket %s: the name must be one line of UTF-8, 1 to 256 bytes", code);
    if (!klass)
        klass = "";
    if (strlen(klass) >= USHER_CLASS_SIZE)
        return usher_fail(em, USHER_INVAL, "ticket %s: class longer than 16 characters", code);
    text_copy(st->tickets[ti].name, sizeof st->tickets[ti].name, name);
    text_copy(st->tickets[ti].klass, sizeof st->tickets[ti].klass, klass);
    ticket_change(st, ti, out);
    return USHER_OK;
}

usher_err state_note_ticket(state *st, const char *code, const char *note, bool attention,
                            change *out, usher_errmsg *em)
{
    int ti = code ? state_find_ticket(st, code) : -1;
    if (ti < 0)
        return usher_fail(em, USHER_NOTFOUND, "no ticket %.40s", code ? code : "");
    if (!note)
        note = "";
    if (strlen(note) >= USHER_TICKET_NOTE_SIZE || !text_utf8_valid(note, strlen(note)) ||
        !text_printable(note))
        return usher_fail(em, USHER_INVAL,
                          "ticket %s: the note must be one line of UTF-8, at most %d bytes", code,
                          USHER_TICKET_NOTE_SIZE - 1);
    text_copy(st->tickets[ti].note, sizeof st->tickets[ti].note, note);
    st->tickets[ti].attention = attention;
    ticket_change(st, ti, out);
    return USHER_OK;
}

usher_err state_unrevoke_ticket(state *st, const char *code, change *out, usher_errmsg *em)
{
    int ti = code ? state_find_ticket(st, code) : -1;
    if (ti < 0)
        return usher_fail(em, USHER_NOTFOUND, "no ticket %.40s", code ? code : "");
    if (!st->tickets[ti].revoked)
        return usher_fail(em, USHER_CONFLICT, "ticket %s is not revoked", code);
    st->tickets[ti].revoked = false;
    ticket_change(st, ti, out);
    return USHER_OK;
}

/* ---- applying operations ---------------------------------------------- */

static bool hold_active(const seat_state *s, int64_t now)
{
    return s->hold_device[0] && s->hold_until > now;
}

static bool lease_active(const seat_state *s, int64_t now)
{
    return s->lease_device[0] && s->lease_until > now;
}

/* Another device's active hold or lease keeps `device` off the seat. */
static bool held_by_other(const seat_state *s, const char *device, int64_t now)
{
    return hold_active(s, now) && strcmp(s->hold_device, device) != 0;
}

static bool leased_to_other(const seat_state *s, const char *device, int64_t now)
{
    return lease_active(s, now) && strcmp(s->lease_device, device) != 0;
}

static void clear_hold(seat_state *s)
{
    s->hold_device[0] = '\0';
    s->hold_until = 0;
}

static void clear_lease(seat_state *s)
{
    s->lease_device[0] = '\0';
    s->lease_until = 0;
}

static void emit_seat(const state *st, apply_result *res, int si)
{
    if (res->nchanges >= STATE_MAX_CHANGES)
        return;
    change *c = &res->changes[res->nchanges++];
    memset(c, 0, sizeof *c);
    c->type = CHANGE_SEAT;
    text_copy(c->seat_id, sizeof c->seat_id, layout_seat_at(st->l, si)->id);
    c->seat = st->seats[si];
}

static void emit_ticket(const state *st, apply_result *res, int ti)
{
    if (res->nchanges >= STATE_MAX_CHANGES)
        return;
    change *c = &res->changes[res->nchanges++];
    memset(c, 0, sizeof *c);
    c->type = CHANGE_TICKET;
    c->ticket = st->tickets[ti];
}

static alert *add_alert(apply_result *res, alert_kind kind, const usher_op *op, int64_t now)
{
    if (res->nalerts >= STATE_MAX_ALERTS)
        return NULL;
    alert *a = &res->alerts[res->nalerts++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    text_copy(a->ticket, sizeof a->ticket, op->ticket);
    text_copy(a->seat, sizeof a->seat, op->seat);
    text_copy(a->device, sizeof a->device, op->device);
    text_copy(a->op_id, sizeof a->op_id, op->id);
    a->at = op_happened_at(op, now);
    return a;
}

/* An in/out op older than the entry or exit it follows in arrival order. */
static void inout_alert(apply_result *res, const usher_op *op, int64_t now,
                        const char *other_device, int64_t other_at, const char *which)
{
    alert *a = add_alert(res, ALERT_INOUT_CONFLICT, op, now);
    if (!a)
        return;
    text_copy(a->other_device, sizeof a->other_device, other_device);
    a->other_at = other_at;
    text_copy(a->note, sizeof a->note, which);
}

static int seat_of_ticket(const state *st, int ti)
{
    return st->tickets[ti].seat[0] ? layout_find_seat(st->l, st->tickets[ti].seat) : -1;
}

static void seat_ticket(state *st, int si, int ti)
{
    seat_state *s = &st->seats[si];
    text_copy(s->ticket, sizeof s->ticket, st->tickets[ti].code);
    clear_hold(s);
    clear_lease(s); /* the seat is taken: the lease has served */
    text_copy(st->tickets[ti].seat, sizeof st->tickets[ti].seat, layout_seat_at(st->l, si)->id);
}

static void unseat_ticket(state *st, int si, int ti)
{
    st->seats[si].ticket[0] = '\0';
    st->tickets[ti].seat[0] = '\0';
}

static double dist(double ax, double ay, double bx, double by)
{
    return hypot(ax - bx, ay - by);
}

/* A seat the coordinator may give away now: no ticket, not blocked, not held,
 * not leased (a lease keeps the seat for its device's guests). */
static bool seat_open(const state *st, int si, int64_t now)
{
    const seat_state *s = &st->seats[si];
    return !s->ticket[0] && !s->blocked && !hold_active(s, now) && !lease_active(s, now);
}

/* The nearest free seat the ticket may use: same section as the seat asked for
 * first, then sections where its party already sits, then the others by
 * distance between section centres; within a tier, nearest to the seat asked
 * for. -1 when none. */
static int nearest_free_seat(const state *st, int ti, int want, const char *party, int64_t now)
{
    const layout_seat *ws = layout_seat_at(st->l, want);
    const layout_section *wsec = layout_section_at(st->l, ws->section);
    int nsec = layout_section_count(st->l);
    unsigned char *party_sec = party[0] ? calloc((size_t)nsec, 1) : NULL;
    if (party_sec) {
        for (int k = 0; k < st->ntickets; k++) {
            const ticket_state *t = &st->tickets[k];
            if (k != ti && t->seat[0] && !strcmp(t->party, party)) {
                int si = layout_find_seat(st->l, t->seat);
                if (si >= 0)
                    party_sec[layout_seat_at(st->l, si)->section] = 1;
            }
        }
    }
    int best = -1, best_tier = 3;
    double best_sec = 0, best_seat = 0;
    for (int si = 0; si < st->nseats; si++) {
        const layout_seat *s = layout_seat_at(st->l, si);
        if (!seat_open(st, si, now) || !domain_class_allows(s->klass, st->tickets[ti].klass))
            continue;
        const layout_section *sec = layout_section_at(st->l, s->section);
        int tier = s->section == ws->section ? 0 : (party_sec && party_sec[s->section]) ? 1 : 2;
        double dsec = dist(sec->x, sec->y, wsec->x, wsec->y);
        double dseat = dist(s->x, s->y, ws->x, ws->y);
        if (best < 0 || tier < best_tier ||
            (tier == best_tier && (dsec < best_sec || (dsec == best_sec && dseat < best_seat)))) {
            best = si, best_tier = tier, best_sec = dsec, best_seat = dseat;
        }
    }
    free(party_sec);
    return best;
}

static void reject(apply_result *res, verdict_reason why)
{
    res->v.status = VERDICT_REJECTED;
    res->v.reason = why;
}

static void apply_hold(state *st, const usher_op *op, int64_t now, apply_result *res)
{
    int si = layout_find_seat(st->l, op->seat);
    if (si < 0) {
        reject(res, REASON_UNKNOWN_SEAT);
        return;
    }
    seat_state *s = &st->seats[si];
    if (s->blocked) {
        reject(res, REASON_SEAT_BLOCKED);
        return;
    }
    if (s->ticket[0]) {
        reject(res, REASON_SEAT_TAKEN);
        return;
    }
    if (held_by_other(s, op->device, now)) {
        reject(res, REASON_SEAT_HELD);
        return;
    }
    if (leased_to_other(s, op->device, now)) {
        reject(res, REASON_SEAT_LEASED);
        return;
    }
    if (op->ticket[0]) {
        int ti = state_find_ticket(st, op->ticket);
        if (ti < 0) {
            reject(res, REASON_UNKNOWN_TICKET);
            return;
        }
        if (!domain_class_allows(layout_seat_at(st->l, si)->klass, st->tickets[ti].klass)) {
            reject(res, REASON_CLASS_NOT_ALLOWED);
            return;
        }
    }
    int64_t ttl = op->ttl_ms > 0 ? op->ttl_ms : st->cfg.hold_ttl_ms;
    res->v.status = VERDICT_ACCEPTED;
    /* An offline kiosk's hold that arrives after it would have expired is
     * history: accept it without holding the seat now. Its age is its wait
     * in the outbox, never the device's clock. */
    if (op_happened_at(op, now) + ttl <= now)
        return;
    text_copy(s->hold_device, sizeof s->hold_device, op->device);
    s->hold_until = now + ttl;
    emit_seat(st, res, si);
}

static void apply_release(state *st, const usher_op *op, apply_result *res)
{
    int si = layout_find_seat(st->l, op->seat);
    if (si < 0) {
        reject(res, REASON_UNKNOWN_SEAT);
        return;
    }
    res->v.status = VERDICT_ACCEPTED;
    seat_state *s = &st->seats[si];
    if (s->hold_device[0] && !strcmp(s->hold_device, op->device)) {
        clear_hold(s);
        emit_seat(st, res, si);
    }
}

/* Reserves a free seat for the op's device (offline policy `lease`); the
 * lessee leasing it again renews it from now. */
static void apply_lease(state *st, const usher_op *op, int64_t now, apply_result *res)
{
    int si = layout_find_seat(st->l, op->seat);
    if (si < 0) {
        reject(res, REASON_UNKNOWN_SEAT);
        return;
    }
    seat_state *s = &st->seats[si];
    if (s->blocked) {
        reject(res, REASON_SEAT_BLOCKED);
        return;
    }
    if (s->ticket[0]) {
        reject(res, REASON_SEAT_TAKEN);
        return;
    }
    if (held_by_other(s, op->device, now)) {
        reject(res, REASON_SEAT_HELD);
        return;
    }
    if (leased_to_other(s, op->device, now)) {
        reject(res, REASON_SEAT_LEASED);
        return;
    }
    res->v.status = VERDICT_ACCEPTED;
    text_copy(s->lease_device, sizeof s->lease_device, op->device);
    s->lease_until = now + (op->ttl_ms > 0 ? op->ttl_ms : USHER_DEFAULT_LEASE_TTL_MS);
    emit_seat(st, res, si);
}

/* Gives a lease back; anyone else's lease (or none) is left alone. */
static void apply_unlease(state *st, const usher_op *op, apply_result *res)
{
    int si = layout_find_seat(st->l, op->seat);
    if (si < 0) {
        reject(res, REASON_UNKNOWN_SEAT);
        return;
    }
    res->v.status = VERDICT_ACCEPTED;
    seat_state *s = &st->seats[si];
    if (s->lease_device[0] && !strcmp(s->lease_device, op->device)) {
        clear_lease(s);
        emit_seat(st, res, si);
    }
}

/* The asked-for seat cannot be had: reject, and by policy seat an unseated
 * ticket at the nearest free eligible seat instead (rule 2). */
static void assign_conflict(state *st, const usher_op *op, int ti, int si, verdict_reason why,
                            int64_t now, apply_result *res)
{
    reject(res, why);
    if (st->cfg.reseat != RESEAT_NEAREST || !op->expect_seat_free || st->tickets[ti].seat[0])
        return;
    int alt = nearest_free_seat(st, ti, si, op->party, now);
    if (alt < 0)
        return;
    seat_ticket(st, alt, ti);
    text_copy(st->tickets[ti].party, sizeof st->tickets[ti].party, op->party);
    text_copy(res->v.reseat, sizeof res->v.reseat, layout_seat_at(st->l, alt)->id);
    emit_seat(st, res, alt);
    emit_ticket(st, res, ti);
    alert *a = add_alert(res, ALERT_RESEAT, op, now);
    if (a)
        text_copy(a->other_seat, sizeof a->other_seat, res->v.reseat);
}

static void apply_assign(state *st, const usher_op *op, int64_t now, apply_result *res)
{
    int ti = state_find_ticket(st, op->ticket);
    if (ti < 0) {
        reject(res, REASON_UNKNOWN_TICKET);
        return;
    }
    ticket_state *t = &st->tickets[ti];
    if (t->revoked) {
        reject(res, REASON_REVOKED);
        return;
    }
    int si = layout_find_seat(st->l, op->seat);
    if (si < 0) {
        reject(res, REASON_UNKNOWN_SEAT);
        return;
    }
    if (!domain_class_allows(layout_seat_at(st->l, si)->klass, t->klass)) {
        reject(res, REASON_CLASS_NOT_ALLOWED);
        return;
    }
    int cur = seat_of_ticket(st, ti);
    if (cur == si) { /* already there: the wish is granted */
        res->v.status = VERDICT_ACCEPTED;
        return;
    }
    /* Rule 3: a seated ticket moves only when the device knew where it sat. */
    if (cur >= 0 && strcmp(op->expect_ticket_seat, t->seat) != 0) {
        reject(res, REASON_TICKET_SEATED);
        return;
    }
    seat_state *s = &st->seats[si];
    if (s->blocked) {
        assign_conflict(st, op, ti, si, REASON_SEAT_BLOCKED, now, res);
        return;
    }
    if (s->ticket[0]) {
        assign_conflict(st, op, ti, si, REASON_SEAT_TAKEN, now, res);
        return;
    }
    if (held_by_other(s, op->device, now)) {
        assign_conflict(st, op, ti, si, REASON_SEAT_HELD, now, res);
        return;
    }
    if (leased_to_other(s, op->device, now)) {
        assign_conflict(st, op, ti, si, REASON_SEAT_LEASED, now, res);
        return;
    }
    res->v.status = VERDICT_ACCEPTED;
    if (cur >= 0) {
        unseat_ticket(st, cur, ti);
        emit_seat(st, res, cur);
    }
    seat_ticket(st, si, ti);
    text_copy(t->party, sizeof t->party, op->party);
    emit_seat(st, res, si);
    emit_ticket(st, res, ti);
}

static void apply_unassign(state *st, const usher_op *op, apply_result *res)
{
    int ti = state_find_ticket(st, op->ticket);
    if (ti < 0) {
        reject(res, REASON_UNKNOWN_TICKET);
        return;
    }
    int cur = seat_of_ticket(st, ti);
    if (cur < 0) {
        reject(res, REASON_NOT_SEATED);
        return;
    }
    if (op->seat[0] && strcmp(op->seat, st->tickets[ti].seat) != 0) {
        reject(res, REASON_TICKET_SEATED);
        return;
    }
    res->v.status = VERDICT_ACCEPTED;
    unseat_ticket(st, cur, ti);
    st->tickets[ti].party[0] = '\0';
    emit_seat(st, res, cur);
    emit_ticket(st, res, ti);
}

static void apply_checkin(state *st, const usher_op *op, int64_t now, apply_result *res)
{
    int ti = state_find_ticket(st, op->ticket);
    if (ti < 0) {
        reject(res, REASON_UNKNOWN_TICKET);
        return;
    }
    ticket_state *t = &st->tickets[ti];
    if (t->revoked) {
        reject(res, REASON_REVOKED);
        add_alert(res, ALERT_REVOKED_SCAN, op, now);
        return;
    }
    res->v.status = VERDICT_ACCEPTED;
    int64_t at = op_happened_at(op, now);
    if (t->checked_in_at && t->checked_out_at && !st->cfg.reentry_refused) {
        /* Re-entry: the guest left and comes back. Arrival order decides. */
        if (at < t->checked_out_at)
            inout_alert(res, op, now, t->checkout_device, t->checked_out_at, "out");
        t->checked_in_at = at > 0 ? at : 1;
        text_copy(t->checkin_device, sizeof t->checkin_device, op->device);
        t->checked_out_at = 0;
        t->checkout_device[0] = '\0';
        emit_ticket(st, res, ti);
        return;
    }
    if (t->checked_in_at && t->checked_out_at) {
        /* Re-entry refused: today's duplicate check-in, nothing changes. */
        res->v.reason = REASON_DUPLICATE_CHECKIN;
        alert *a = add_alert(res, ALERT_DUPLICATE_CHECKIN, op, now);
        if (a) {
            text_copy(a->seat, sizeof a->seat, t->seat);
            text_copy(a->other_device, sizeof a->other_device, t->checkin_device);
            a->other_at = t->checked_in_at;
        }
        res->v.checked_in_at = t->checked_in_at;
        text_copy(res->v.checkin_device, sizeof res->v.checkin_device, t->checkin_device);
        return;
    }
    if (t->checked_in_at) {
        /* Rule 4: both scans happened; the ticket keeps the earliest. */
        res->v.reason = REASON_DUPLICATE_CHECKIN;
        alert *a = add_alert(res, ALERT_DUPLICATE_CHECKIN, op, now);
        if (a) {
            text_copy(a->seat, sizeof a->seat, t->seat);
            text_copy(a->other_device, sizeof a->other_device, t->checkin_device);
            a->other_at = t->checked_in_at;
        }
        res->v.checked_in_at = t->checked_in_at;
        text_copy(res->v.checkin_device, sizeof res->v.checkin_device, t->checkin_device);
        if (at < t->checked_in_at) {
            t->checked_in_at = at;
            text_copy(t->checkin_device, sizeof t->checkin_device, op->device);
            emit_ticket(st, res, ti);
        }
        return;
    }
    t->checked_in_at = at;
    text_copy(t->checkin_device, sizeof t->checkin_device, op->device);
    emit_ticket(st, res, ti);
}

static void apply_checkout(state *st, const usher_op *op, int64_t now, apply_result *res)
{
    int ti = state_find_ticket(st, op->ticket);
    if (ti < 0) {
        reject(res, REASON_UNKNOWN_TICKET);
        return;
    }
    ticket_state *t = &st->tickets[ti];
    if (!t->checked_in_at || t->checked_out_at) {
        reject(res, REASON_NOT_INSIDE);
        return;
    }
    res->v.status = VERDICT_ACCEPTED;
    int64_t at = op_happened_at(op, now);
    if (at < t->checked_in_at)
        inout_alert(res, op, now, t->checkin_device, t->checked_in_at, "in");
    t->checked_out_at = at > 0 ? at : 1;
    text_copy(t->checkout_device, sizeof t->checkout_device, op->device);
    emit_ticket(st, res, ti);
}

static void apply_revoke(state *st, const usher_op *op, apply_result *res)
{
    int ti = state_find_ticket(st, op->ticket);
    if (ti < 0) {
        reject(res, REASON_UNKNOWN_TICKET);
        return;
    }
    res->v.status = VERDICT_ACCEPTED;
    if (st->tickets[ti].revoked)
        return;
    int cur = seat_of_ticket(st, ti);
    if (cur >= 0) {
        unseat_ticket(st, cur, ti);
        emit_seat(st, res, cur);
    }
    st->tickets[ti].revoked = true;
    emit_ticket(st, res, ti);
}

static void apply_block(state *st, const usher_op *op, bool block, int64_t now, apply_result *res)
{
    int si = layout_find_seat(st->l, op->seat);
    if (si < 0) {
        reject(res, REASON_UNKNOWN_SEAT);
        return;
    }
    seat_state *s = &st->seats[si];
    if (block && s->ticket[0]) {
        reject(res, REASON_SEAT_TAKEN);
        return;
    }
    res->v.status = VERDICT_ACCEPTED;
    if (s->blocked == block)
        return;
    s->blocked = block;
    clear_hold(s);
    clear_lease(s);
    emit_seat(st, res, si);
}

/* Fills the verdict's picture of the state after the op. */
static void describe(const state *st, const usher_op *op, apply_result *res)
{
    int ti = state_find_ticket(st, op->ticket);
    if (ti >= 0) {
        const ticket_state *t = &st->tickets[ti];
        text_copy(res->v.ticket_seat, sizeof res->v.ticket_seat, t->seat);
        if (op->kind == OP_CHECKIN && !res->v.checked_in_at) {
            res->v.checked_in_at = t->checked_in_at;
            text_copy(res->v.checkin_device, sizeof res->v.checkin_device, t->checkin_device);
        }
    }
    int si = op->seat[0] ? layout_find_seat(st->l, op->seat) : -1;
    if (si >= 0)
        text_copy(res->v.seat_ticket, sizeof res->v.seat_ticket, st->seats[si].ticket);
}

void state_apply(state *st, const usher_op *op, int64_t now, apply_result *res)
{
    memset(res, 0, sizeof *res);
    text_copy(res->v.op_id, sizeof res->v.op_id, op->id);
    if (st->cfg.remember_ops) {
        const verdict *first = state_recall(st, op->id);
        if (first) {
            res->v = *first;
            res->v.first = first->status;
            res->v.status = VERDICT_DUPLICATE;
            return;
        }
        if (!reserve_verdict(st)) {
            reject(res, REASON_INVALID);
            return;
        } /* out of memory: changes nothing */
    }
    if (op_validate(op, NULL) != USHER_OK) {
        reject(res, REASON_INVALID);
    } else {
        switch (op->kind) {
        case OP_HOLD:
            apply_hold(st, op, now, res);
            break;
        case OP_RELEASE:
            apply_release(st, op, res);
            break;
        case OP_ASSIGN:
            apply_assign(st, op, now, res);
            break;
        case OP_UNASSIGN:
            apply_unassign(st, op, res);
            break;
        case OP_CHECKIN:
            apply_checkin(st, op, now, res);
            break;
        case OP_CHECKOUT:
            apply_checkout(st, op, now, res);
            break;
        case OP_REVOKE:
            apply_revoke(st, op, res);
            break;
        case OP_BLOCK:
        case OP_UNBLOCK:
            apply_block(st, op, op->kind == OP_BLOCK, now, res);
            break;
        case OP_LEASE:
            apply_lease(st, op, now, res);
            break;
        case OP_UNLEASE:
            apply_unlease(st, op, res);
            break;
        case OP_SCAN_REFUSED: {
            /* Nothing changes; the organisers learn where and when. */
            res->v.status = VERDICT_ACCEPTED;
            alert *a = add_alert(res, ALERT_SCAN_REFUSED, op, now);
            if (a)
                text_copy(a->note, sizeof a->note, op->note);
            break;
        }
        case OP_NONE:
            reject(res, REASON_INVALID);
            break;
        }
        describe(st, op, res);
        if (st->cfg.late_after_ms > 0 && now - op_happened_at(op, now) > st->cfg.late_after_ms &&
            (op->kind == OP_ASSIGN || op->kind == OP_CHECKIN || op->kind == OP_CHECKOUT))
            add_alert(res, ALERT_LATE_UPLOAD, op, now);
    }
    if (st->cfg.remember_ops) {
        usher_err e = state_remember(st, &res->v);
        (void)e; /* room was reserved above; the id is new */
    }
}

/* ---- following the coordinator's log (replicas) ------------------------ */

/* Finds or creates a ticket by code for a replica that learns of it. */
static int replica_ticket(state *st, const char *code)
{
    int ti = state_find_ticket(st, code);
    if (ti >= 0)
        return ti;
    if (!reserve_ticket(st))
        return -1;
    ticket_state t = {0};
    text_copy(t.code, sizeof t.code, code);
    return insert_ticket(st, &t);
}

usher_err state_apply_change(state *st, const change *c, usher_errmsg *em)
{
    if (c->type == CHANGE_SEAT) {
        int si = layout_find_seat(st->l, c->seat_id);
        if (si < 0)
            return usher_fail(em, USHER_NOTFOUND, "change %lld: seat %s is not in the layout",
                              (long long)c->seq, c->seat_id);
        int ti = -1;
        if (c->seat.ticket[0] &&
            (!ticketcode_valid(c->seat.ticket) || (ti = replica_ticket(st, c->seat.ticket)) < 0))
            return usher_fail(em, USHER_INVAL, "change %lld: bad ticket in seat %s",
                              (long long)c->seq, c->seat_id);
        /* Keep both sides in step: the seat's old occupant loses it and the
         * new one leaves any other seat. */
        int old = state_find_ticket(st, st->seats[si].ticket);
        if (old >= 0 && old != ti)
            st->tickets[old].seat[0] = '\0';
        if (ti >= 0) {
            int prev = seat_of_ticket(st, ti);
            if (prev >= 0 && prev != si)
                st->seats[prev].ticket[0] = '\0';
            text_copy(st->tickets[ti].seat, sizeof st->tickets[ti].seat, c->seat_id);
        }
        st->seats[si] = c->seat;
        return USHER_OK;
    }
    if (c->type == CHANGE_TICKET) {
        const ticket_state *nt = &c->ticket;
        int si = nt->seat[0] ? layout_find_seat(st->l, nt->seat) : -1;
        if (!ticketcode_valid(nt->code) || (nt->seat[0] && si < 0))
            return usher_fail(em, USHER_INVAL, "change %lld: bad ticket %.40s or seat %.20s",
                              (long long)c->seq, nt->code, nt->seat);
        int ti = replica_ticket(st, nt->code);
        if (ti < 0)
            return usher_fail(em, USHER_NOMEM, "out of memory");
        int prev = seat_of_ticket(st, ti);
        if (prev >= 0 && prev != si)
            st->seats[prev].ticket[0] = '\0';
        if (si >= 0) {
            int other = state_find_ticket(st, st->seats[si].ticket);
            if (other >= 0 && other != ti)
                st->tickets[other].seat[0] = '\0';
            text_copy(st->seats[si].ticket, sizeof st->seats[si].ticket, nt->code);
        }
        st->tickets[ti] = *nt;
        return USHER_OK;
    }
    if (c->type == CHANGE_ENTRANCES)
        return USHER_OK; /* nothing of the seats and tickets */
    if (c->type == CHANGE_LAYOUT)
        return usher_fail(em, USHER_INVAL,
                          "change %lld: the layout was replaced (version %lld): take the "
                          "snapshot again",
                          (long long)c->seq, (long long)c->layout_version);
    return usher_fail(em, USHER_INVAL, "change %lld: unknown type", (long long)c->seq);
}

/* ---- views ------------------------------------------------------------ */

seat_status state_seat_status(const state *st, int si, const char *device, int64_t now)
{
    const seat_state *s = &st->seats[si];
    if (s->blocked)
        return SEAT_BLOCKED;
    if (s->ticket[0])
        return SEAT_TAKEN;
    if (hold_active(s, now))
        return device && !strcmp(device, s->hold_device) ? SEAT_HELD_BY_ME : SEAT_HELD_OTHER;
    if (lease_active(s, now))
        return device && !strcmp(device, s->lease_device) ? SEAT_LEASED_BY_ME : SEAT_LEASED_OTHER;
    return SEAT_FREE;
}

void state_get_stats(const state *st, int64_t now, state_stats *out)
{
    memset(out, 0, sizeof *out);
    out->seats = st->nseats;
    for (int i = 0; i < st->nseats; i++) {
        const seat_state *s = &st->seats[i];
        out->seated += s->ticket[0] != '\0';
        out->blocked += s->blocked;
        seat_status ss = state_seat_status(st, i, NULL, now);
        out->held += ss == SEAT_HELD_OTHER;
        out->leased += ss == SEAT_LEASED_OTHER;
    }
    for (int i = 0; i < st->ntickets; i++) {
        const ticket_state *t = &st->tickets[i];
        if (t->revoked) {
            out->revoked++;
            continue;
        }
        out->tickets++;
        out->checked_in += t->checked_in_at != 0;
        out->inside += domain_ticket_inside(t);
    }
}

bool state_check(const state *st, usher_errmsg *em)
{
    for (int si = 0; si < st->nseats; si++) {
        const char *code = st->seats[si].ticket;
        if (!code[0])
            continue;
        int ti = state_find_ticket(st, code);
        const char *id = layout_seat_at(st->l, si)->id;
        if (ti < 0 || strcmp(st->tickets[ti].seat, id) != 0) {
            usher_fail(em, USHER_CONFLICT, "seat %s holds %s, which is not seated there", id, code);
            return false;
        }
    }
    for (int ti = 0; ti < st->ntickets; ti++) {
        const ticket_state *t = &st->tickets[ti];
        if (!t->seat[0])
            continue;
        int si = layout_find_seat(st->l, t->seat);
        if (si < 0 || strcmp(st->seats[si].ticket, t->code) != 0) {
            usher_fail(em, USHER_CONFLICT, "ticket %s says seat %s, which does not hold it",
                       t->code, t->seat);
            return false;
        }
    }
    return true;
}

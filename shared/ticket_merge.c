/* ticket_merge.c - a ticket file against an event's tickets: the plan and its
 * application (re-imports of a newer export, late sales, pre-assigned seats). */
#include "ticket_merge.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

void ticket_merge_release(ticket_merge *m)
{
    if (!m)
        return;
    ticket_list_release(&m->added);
    ticket_list_release(&m->revoked);
    free(m->updated);
    free(m->seated);
    memset(m, 0, sizeof *m);
}

size_t ticket_merge_changes(const ticket_merge *m)
{
    return m->added.count + m->nupdated + m->revoked.count + m->nseated;
}

static usher_err push_update(ticket_merge *m, size_t *cap, const ticket_rec *r,
                             const ticket_state *t)
{
    if (m->nupdated == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        ticket_update *u = realloc(m->updated, c * sizeof *u);
        if (!u)
            return USHER_NOMEM;
        m->updated = u;
        *cap = c;
    }
    ticket_update *u = &m->updated[m->nupdated++];
    u->rec = *r;
    text_copy(u->before_name, sizeof u->before_name, t->name);
    text_copy(u->before_class, sizeof u->before_class, t->klass);
    text_copy(u->before_note, sizeof u->before_note, t->note);
    u->before_attention = t->attention;
    return USHER_OK;
}

static usher_err plan_tickets(const state *st, const ticket_list *tl, ticket_merge *m, bool *listed,
                              size_t *cap)
{
    usher_err err = USHER_OK;
    for (size_t i = 0; i < tl->count && !err; i++) {
        const ticket_rec *r = &tl->items[i];
        int ti = state_find_ticket(st, r->code);
        if (ti < 0) {
            err = ticket_list_push(&m->added, r);
            continue;
        }
        listed[ti] = true;
        const ticket_state *t = state_ticket(st, ti);
        bool renoted = r->noted && (strcmp(t->note, r->note) || t->attention != r->attention);
        if (strcmp(t->name, r->name) || strcmp(t->klass, r->klass) || renoted)
            err = push_update(m, cap, r, t);
        else if (t->revoked)
            m->still_revoked++;
        else if (!r->seat[0] || !strcmp(r->seat, t->seat))
            m->unchanged++; /* a new seat only: counted as seated */
    }
    return err;
}

static usher_err plan_voided(const state *st, const ticket_list *vl, ticket_merge *m, bool *listed)
{
    usher_err err = USHER_OK;
    for (size_t i = 0; i < vl->count && !err; i++) {
        int ti = state_find_ticket(st, vl->items[i].code);
        if (ti < 0) {
            m->void_unknown++;
            continue;
        }
        listed[ti] = true;
        if (state_ticket(st, ti)->revoked) {
            m->unchanged++;
            continue;
        }
        ticket_rec r = vl->items[i];
        text_copy(r.name, sizeof r.name, state_ticket(st, ti)->name);
        err = ticket_list_push(&m->revoked, &r);
        m->revoked_void++;
    }
    return err;
}

static usher_err plan_missing(const state *st, ticket_missing missing, ticket_merge *m,
                              const bool *listed)
{
    for (int ti = 0; ti < state_ticket_count(st); ti++) {
        const ticket_state *t = state_ticket(st, ti);
        if (listed[ti] || t->revoked)
            continue;
        if (missing == TICKET_MISSING_KEEP) {
            m->missing_kept++;
            continue;
        }
        ticket_rec r = {0};
        text_copy(r.code, sizeof r.code, t->code);
        text_copy(r.name, sizeof r.name, t->name);
        text_copy(r.klass, sizeof r.klass, t->klass);
        usher_err err = ticket_list_push(&m->revoked, &r);
        if (err)
            return err;
        m->revoked_missing++;
    }
    return USHER_OK;
}

/* ---- pre-assigned seats ---------------------------------------------------- */

static usher_err push_seating(ticket_merge *m, size_t *cap, const ticket_rec *r, const char *before)
{
    if (m->nseated == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        ticket_seating *s = realloc(m->seated, c * sizeof *s);
        if (!s)
            return USHER_NOMEM;
        m->seated = s;
        *cap = c;
    }
    ticket_seating *s = &m->seated[m->nseated++];
    s->rec = *r;
    text_copy(s->before, sizeof s->before, before);
    m->moved += before[0] != '\0';
    return USHER_OK;
}

/* True when the ticket in seat_ticket is one this import revokes (its seat is
 * then free for the file's rows). */
static bool being_revoked(const state *st, const bool *revoking, const char *code)
{
    int ti = state_find_ticket(st, code);
    return ti >= 0 && revoking[ti];
}

/* Why the row's seat cannot be its ticket's (one problem in rep), or nothing;
 * *take is true when the ticket is to be seated there. */
static usher_err check_one_seat(const state *st, const ticket_rec *r, const bool *revoking,
                                int64_t now, csv_report *rep, size_t *problems, bool *take)
{
    *take = false;
    int si = layout_find_seat(state_layout(st), r->seat);
    int line = r->line;
    (*problems)++;
    if (si < 0)
        return csv_report_add(rep, line,
                              "seat %s is not in the venue's layout: correct the seat in the "
                              "file, add it to the layout (the venue designer or usher-coord "
                              "layout set), or import without seats (--map seat=)",
                              r->seat);
    const layout_seat *ls = layout_seat_at(state_layout(st), si);
    if (!domain_class_allows(ls->klass, r->klass))
        return csv_report_add(rep, line,
                              "seat %s is for %s tickets and ticket %s is %s%s: correct the seat "
                              "or the class in the file",
                              r->seat, ls->klass, r->code, r->klass[0] ? "of class " : "",
                              r->klass[0] ? r->klass : "without a class");
    const seat_state *ss = state_seat(st, si);
    if (ss->ticket[0] && !strcmp(ss->ticket, r->code)) {
        (*problems)--;
        return USHER_OK; /* already there */
    }
    if (ss->blocked)
        return csv_report_add(rep, line,
                              "seat %s is blocked: unblock it on the dashboard first, or give "
                              "ticket %s another seat in the file",
                              r->seat, r->code);
    if (ss->ticket[0] && !being_revoked(st, revoking, ss->ticket)) {
        int oi = state_find_ticket(st, ss->ticket);
        return csv_report_add(rep, line,
                              "seat %s already holds ticket %s (%.60s): give ticket %s another "
                              "seat in the file, or move or unseat %s on the dashboard first",
                              r->seat, ss->ticket, oi >= 0 ? state_ticket(st, oi)->name : "",
                              r->code, ss->ticket);
    }
    if (!ss->ticket[0]) {
        seat_status s = state_seat_status(st, si, NULL, now);
        if (s == SEAT_HELD_OTHER)
            return csv_report_add(rep, line,
                                  "seat %s is being chosen at device %s right now: import again "
                                  "in a minute or two, or give ticket %s another seat",
                                  r->seat, ss->hold_device, r->code);
        if (s == SEAT_LEASED_OTHER)
            return csv_report_add(rep, line,
                                  "seat %s is leased to device %s for offline seating: it gives "
                                  "the seat back within 30 minutes online, or give ticket %s "
                                  "another seat",
                                  r->seat, ss->lease_device, r->code);
    }
    (*problems)--;
    *take = true;
    return USHER_OK;
}

static int by_code(const void *key, const void *elem)
{
    return strcmp(key, ((const ticket_rec *)elem)->code);
}

/* The seat the previous import gave code, or NULL. */
static const char *last_seat(const ticket_list *last, const char *code)
{
    if (!last || !last->count)
        return NULL;
    const ticket_rec *r = bsearch(code, last->items, last->count, sizeof *last->items, by_code);
    return r ? r->seat : NULL;
}

static usher_err plan_seats(const state *st, const ticket_list *tl, const ticket_list *last,
                            ticket_merge *m, int64_t now, csv_report *rep, size_t *problems)
{
    int nt = state_ticket_count(st);
    bool *revoking = calloc((size_t)nt + 1, sizeof *revoking);
    if (!revoking)
        return USHER_NOMEM;
    for (size_t i = 0; i < m->revoked.count; i++) {
        int ti = state_find_ticket(st, m->revoked.items[i].code);
        if (ti >= 0)
            revoking[ti] = true;
    }
    size_t cap = 0;
    usher_err err = USHER_OK;
    for (size_t i = 0; i < tl->count && !err; i++) {
        const ticket_rec *r = &tl->items[i];
        if (!r->seat[0])
            continue;
        int ti = state_find_ticket(st, r->code);
        const ticket_state *t = ti >= 0 ? state_ticket(st, ti) : NULL;
        if (t && (t->revoked || !strcmp(t->seat, r->seat)))
            continue; /* revoked stays unseated; already there */
        const char *before = t ? last_seat(last, r->code) : NULL;
        if (before && !strcmp(before, r->seat)) {
            m->seats_kept++; /* moved or unseated since the file gave this seat */
            if (!strcmp(t->name, r->name) && !strcmp(t->klass, r->klass))
                m->unchanged++;
            continue;
        }
        bool take;
        err = check_one_seat(st, r, revoking, now, rep, problems, &take);
        if (!err && take)
            err = push_seating(m, &cap, r, t ? t->seat : "");
    }
    free(revoking);
    return err;
}

usher_err ticket_merge_plan(const state *st, const ticket_list *tickets, const ticket_list *voided,
                            ticket_missing missing, const ticket_list *last_seats, int64_t now,
                            ticket_merge *out, csv_report *rep)
{
    ticket_merge m = {0};
    size_t cap = 0, problems = 0;
    int nt = state_ticket_count(st);
    bool *listed = calloc((size_t)nt + 1, sizeof *listed);
    if (!listed)
        return USHER_NOMEM;
    usher_err err = plan_tickets(st, tickets, &m, listed, &cap);
    if (!err && voided)
        err = plan_voided(st, voided, &m, listed);
    if (!err)
        err = plan_missing(st, missing, &m, listed);
    free(listed);
    if (!err)
        err = plan_seats(st, tickets, last_seats, &m, now, rep, &problems);
    if (!err && problems)
        err = USHER_PARSE;
    if (err) {
        ticket_merge_release(&m);
        return err;
    }
    ticket_merge_release(out);
    *out = m;
    return USHER_OK;
}

typedef struct change_buf {
    change *items;
    size_t n, cap;
} change_buf;

static usher_err put(change_buf *b, const change *c)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        change *items = realloc(b->items, cap * sizeof *items);
        if (!items)
            return USHER_NOMEM;
        b->items = items;
        b->cap = cap;
    }
    b->items[b->n++] = *c;
    return USHER_OK;
}

static usher_err revoke_one(state *st, const char *code, const char *device, int64_t now,
                            change_buf *b, usher_errmsg *em)
{
    usher_op op;
    op_init(&op, OP_REVOKE, device, now);
    text_copy(op.ticket, sizeof op.ticket, code);
    apply_result res;
    state_apply(st, &op, now, &res);
    if (verdict_effective(&res.v) != VERDICT_ACCEPTED)
        return usher_fail(em, USHER_CONFLICT, "ticket %s could not be revoked", code);
    usher_err err = USHER_OK;
    for (int k = 0; k < res.nchanges && !err; k++)
        err = put(b, &res.changes[k]);
    return err;
}

/* The organiser's own assign: a deliberate move from the seat the plan saw
 * (expect_ticket_seat), never reseated elsewhere (expect_seat_free false). */
static usher_err seat_one(state *st, const ticket_seating *s, const char *device, int64_t now,
                          change_buf *b, usher_errmsg *em)
{
    usher_op op;
    op_init(&op, OP_ASSIGN, device, now);
    text_copy(op.ticket, sizeof op.ticket, s->rec.code);
    text_copy(op.seat, sizeof op.seat, s->rec.seat);
    text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat, s->before);
    op.expect_seat_free = false;
    apply_result res;
    state_apply(st, &op, now, &res);
    if (verdict_effective(&res.v) != VERDICT_ACCEPTED || res.v.reseat[0]) {
        const char *why = verdict_reason_name(res.v.reason);
        return usher_fail(em, USHER_CONFLICT, "ticket %s could not be seated at %s (%s)",
                          s->rec.code, s->rec.seat, why ? why : "refused");
    }
    usher_err err = USHER_OK;
    for (int k = 0; k < res.nchanges && !err; k++)
        err = put(b, &res.changes[k]);
    return err;
}

usher_err ticket_merge_apply(state *st, const ticket_merge *m, const char *device, int64_t now,
                             change **out, size_t *n, usher_errmsg *em)
{
    change_buf b = {0};
    change c;
    usher_err err = USHER_OK;
    for (size_t i = 0; i < m->added.count && !err; i++) {
        const ticket_rec *r = &m->added.items[i];
        err = state_add_ticket(st, r->code, r->name, r->klass, &c, em);
        if (!err && (r->note[0] || r->attention))
            err = state_note_ticket(st, r->code, r->note, r->attention, &c, em);
        if (!err)
            err = put(&b, &c);
    }
    for (size_t i = 0; i < m->nupdated && !err; i++) {
        const ticket_rec *r = &m->updated[i].rec;
        err = state_edit_ticket(st, r->code, r->name, r->klass, &c, em);
        if (!err && r->noted)
            err = state_note_ticket(st, r->code, r->note, r->attention, &c, em);
        if (!err)
            err = put(&b, &c);
    }
    for (size_t i = 0; i < m->revoked.count && !err; i++)
        err = revoke_one(st, m->revoked.items[i].code, device, now, &b, em);
    for (size_t i = 0; i < m->nseated && !err; i++)
        err = seat_one(st, &m->seated[i], device, now, &b, em);
    if (err) {
        free(b.items);
        return err;
    }
    *out = b.items;
    *n = b.n;
    return USHER_OK;
}

/* ticket_merge.c - a ticket file against an event's tickets: the plan and its
 * application (re-imports of a newer export, late sales). */
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
    memset(m, 0, sizeof *m);
}

size_t ticket_merge_changes(const ticket_merge *m)
{
    return m->added.count + m->nupdated + m->revoked.count;
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
        else
            m->unchanged++;
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

usher_err ticket_merge_plan(const state *st, const ticket_list *tickets, const ticket_list *voided,
                            ticket_missing missing, ticket_merge *out)
{
    ticket_merge m = {0};
    size_t cap = 0;
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
    if (err) {
        free(b.items);
        return err;
    }
    *out = b.items;
    *n = b.n;
    return USHER_OK;
}

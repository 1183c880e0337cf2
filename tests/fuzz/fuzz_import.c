/* fuzz_import.c - a ticket office's file through the whole import path: its
 * encoding, separator, format and mapping (ticket_import), then the plan
 * against an event (ticket_merge: a gala of two tables, the first VIP, one
 * ticket seated, a seat blocked, a seat held). A refused file or plan keeps
 * nothing and names a problem; a plan applied to a copy of the event keeps
 * the seat<->ticket invariant and seats every ticket where the file says. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "ticket_import.h"
#include "ticket_merge.h"

#define NOW 1700000000000LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static state *event(layout **l)
{
    usher_errmsg em = {{0}};
    if (layout_generate("gala:2x4,vip=1", l, &em))
        abort();
    state_config cfg = {0};
    state *st = state_new(*l, &cfg);
    if (!st || state_add_ticket(st, "GALA-1", "Ann", "", NULL, &em) ||
        state_add_ticket(st, "GALA-2", "Bob", "VIP", NULL, &em))
        abort();
    static const struct {
        op_kind kind;
        const char *ticket, *seat;
    } ops[] = {{OP_ASSIGN, "GALA-1", "T02-01"}, {OP_BLOCK, "", "T02-02"}, {OP_HOLD, "", "T02-03"}};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        usher_op op;
        op_init(&op, ops[i].kind, "k1", NOW);
        text_copy(op.ticket, sizeof op.ticket, ops[i].ticket);
        text_copy(op.seat, sizeof op.seat, ops[i].seat);
        apply_result res;
        state_apply(st, &op, NOW, &res);
        if (res.v.status != VERDICT_ACCEPTED)
            abort();
    }
    return st;
}

static void check_plan(const ticket_import *ti, const state *st)
{
    ticket_merge m = {0};
    csv_report rep = {0};
    usher_err err = ticket_merge_plan(st, &ti->tickets, &ti->more.voided, TICKET_MISSING_KEEP, NULL,
                                      NOW, &m, &rep);
    if (err == USHER_PARSE && (rep.total == 0 || ticket_merge_changes(&m) != 0))
        abort(); /* refused: nothing planned, and at least one problem named */
    if (err == USHER_OK) {
        state *copy = state_clone(st);
        change *cs = NULL;
        size_t n = 0;
        usher_errmsg em = {{0}};
        if (!copy || ticket_merge_apply(copy, &m, "admin", NOW, &cs, &n, &em) != USHER_OK ||
            !state_check(copy, &em))
            abort();
        for (size_t i = 0; i < m.nseated; i++) {
            int t = state_find_ticket(copy, m.seated[i].rec.code);
            if (t < 0 || strcmp(state_ticket(copy, t)->seat, m.seated[i].rec.seat))
                abort();
        }
        free(cs);
        state_free(copy);
    } else if (err != USHER_PARSE && err != USHER_NOMEM) {
        abort();
    }
    ticket_merge_release(&m);
    csv_report_release(&rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static layout *l;
    static state *st;
    if (!st)
        st = event(&l);
    ticket_import ti = {0};
    csv_report rep = {0};
    usher_errmsg em = {{0}};
    /* the seats as the file maps them, then a mapping of the organiser's */
    static const char *const maps[] = {NULL, "seat=3"};
    for (size_t k = 0; k < sizeof maps / sizeof *maps; k++) {
        usher_err err = ticket_import_read((const char *)data, size, maps[k], &ti, &rep, &em);
        if (err == USHER_PARSE && ti.tickets.count != 0)
            abort();
        if (err == USHER_PARSE && rep.total == 0 && !em.text[0])
            abort(); /* refused without a word */
        if (err == USHER_OK)
            check_plan(&ti, st);
        ticket_import_release(&ti);
        csv_report_release(&rep);
        memset(&em, 0, sizeof em);
    }
    return 0;
}

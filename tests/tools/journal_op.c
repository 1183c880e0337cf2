/* journal_op.c - test tool: appends one op to a device journal through the same
 * libusher calls the kiosk makes (journal_append, then a wake nudge), and
 * prints the op id. Lets tests drive usher-syncd before and beside the kiosk.
 *
 *   journal-op --db FILE assign TICKET SEAT [--expect SEAT] [--party ID]
 *   journal-op --db FILE hold SEAT [--ttl MS] | release SEAT | checkin TICKET
 *   journal-op --db FILE unassign TICKET [SEAT]
 *   journal-op --db FILE lease SEAT [--ttl MS] | unlease SEAT
 *   journal-op --db FILE assign-leased TICKET   (the first seat leased to this
 *                                               device in its view; prints OPID SEAT)
 *   journal-op --db FILE verdict OP_ID     (prints state,reason,reseat of an op)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "journal.h"
#include "layout.h"
#include "text.h"
#include "timestamp.h"
#include "wake.h"

static int verdict_of(journal *j, const char *id)
{
    outbox_entry e;
    usher_errmsg em = {{0}};
    if (journal_outbox_get(j, id, &e, &em)) {
        fprintf(stderr, "journal-op: %s\n", em.text);
        return 1;
    }
    static const char *const states[] = {"pending", "accepted", "rejected"};
    const char *reason = verdict_reason_name(e.v.reason);
    printf("%s,%s,%s\n", states[e.state], e.state && reason ? reason : "", e.v.reseat);
    return 0;
}

/* The first seat (layout order) leased to this device and free in its view,
 * as a kiosk offline under the lease policy would offer it; -1 when none. */
static int first_leased_seat(const state *v, const char *device, int64_t now)
{
    for (int i = 0; i < state_seat_count(v); i++)
        if (state_seat_status(v, i, device, now) == SEAT_LEASED_BY_ME)
            return i;
    return -1;
}

/* Fills op (an assign of ticket) with the seat a kiosk would pick offline. */
static int pick_leased(journal *j, const char *device, usher_op *op)
{
    usher_errmsg em = {{0}};
    char *text = NULL;
    layout *l = NULL;
    state *v = NULL;
    int rc = 1;
    if (journal_get_layout_json(j, &text, &em) || layout_from_json(text, strlen(text), &l, &em) ||
        journal_load_view(j, l, op->at, &v, &em)) {
        fprintf(stderr, "journal-op: %s\n", em.text);
        goto out;
    }
    int si = first_leased_seat(v, device, op->at);
    if (si < 0) {
        fprintf(stderr,
                "journal-op: no seat is leased to %s in its view (is usher-syncd "
                "running with --offline-policy lease?)\n",
                device);
        goto out;
    }
    text_copy(op->seat, sizeof op->seat, layout_seat_at(l, si)->id);
    int ti = state_find_ticket(v, op->ticket);
    if (ti >= 0)
        text_copy(op->expect_ticket_seat, sizeof op->expect_ticket_seat, state_ticket(v, ti)->seat);
    rc = 0;
out:
    state_free(v);
    layout_free(l);
    free(text);
    return rc;
}

int main(int argc, char **argv)
{
    static const cli_spec specs[] = {
        {"db", true}, {"expect", true}, {"party", true}, {"ttl", true}};
    const int ns = (int)(sizeof specs / sizeof specs[0]);
    cli c;
    usher_errmsg em = {{0}};
    if (cli_parse(specs, ns, argc - 1, argv + 1, &c, &em) || !cli_get(specs, ns, &c, "db") ||
        c.nargs < 2) {
        fprintf(stderr, "journal-op: %s\n", em.text[0] ? em.text : "see the source for usage");
        return 2;
    }
    journal *j = NULL;
    if (journal_open(cli_get(specs, ns, &c, "db"), &j, &em)) {
        fprintf(stderr, "journal-op: %s\n", em.text);
        return 1;
    }
    int rc = 0;
    if (!strcmp(c.args[0], "verdict")) {
        rc = verdict_of(j, c.args[1]);
        journal_free(j);
        return rc;
    }
    journal_identity id;
    journal_status st;
    usher_op op;
    bool leased = !strcmp(c.args[0], "assign-leased");
    op_kind kind = leased ? OP_ASSIGN : op_kind_parse(c.args[0]);
    if (journal_get_identity(j, &id, &em) || journal_get_status(j, &st, &em) || !kind) {
        fprintf(stderr, "journal-op: %s\n", kind ? em.text : "unknown kind");
        journal_free(j);
        return 1;
    }
    /* Dated like the kiosk dates it: the coordinator's time as syncd measured it. */
    int64_t now = timestamp_now_ms() + st.clock_offset_ms;
    op_init(&op, kind, id.device, now);
    const char *a = c.args[1], *b = c.nargs > 2 ? c.args[2] : "";
    if (kind == OP_HOLD || kind == OP_RELEASE || kind == OP_BLOCK || kind == OP_UNBLOCK ||
        kind == OP_LEASE || kind == OP_UNLEASE) {
        text_copy(op.seat, sizeof op.seat, a);
    } else {
        text_copy(op.ticket, sizeof op.ticket, a);
        text_copy(op.seat, sizeof op.seat, b);
    }
    if (cli_get(specs, ns, &c, "expect"))
        text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat,
                  cli_get(specs, ns, &c, "expect"));
    if (cli_get(specs, ns, &c, "party"))
        text_copy(op.party, sizeof op.party, cli_get(specs, ns, &c, "party"));
    if (cli_get(specs, ns, &c, "ttl") &&
        !text_parse_i64(cli_get(specs, ns, &c, "ttl"), 0, INT64_MAX, &op.ttl_ms)) {
        fprintf(stderr, "journal-op: --ttl: not a number of milliseconds\n");
        journal_free(j);
        return 2;
    }
    if (leased && (b[0] || pick_leased(j, id.device, &op))) {
        if (b[0])
            fprintf(stderr, "journal-op: assign-leased takes a ticket only\n");
        rc = 1;
    } else if (journal_append(j, &op, &em)) {
        fprintf(stderr, "journal-op: %s\n", em.text);
        rc = 1;
    } else {
        if (st.wake_socket[0])
            wake_send(st.wake_socket);
        if (leased)
            printf("%s %s\n", op.id, op.seat);
        else
            printf("%s\n", op.id);
    }
    journal_free(j);
    return rc;
}

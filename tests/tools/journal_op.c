/* journal_op.c - test tool: appends one op to a device journal through the same
 * libusher calls the kiosk makes (journal_append, then a wake nudge), and
 * prints the op id. Lets tests drive usher-syncd before and beside the kiosk.
 *
 *   journal-op --db FILE assign TICKET SEAT [--expect SEAT] [--party ID]
 *   journal-op --db FILE hold SEAT | release SEAT | checkin TICKET
 *   journal-op --db FILE unassign TICKET [SEAT]
 *   journal-op --db FILE verdict OP_ID     (prints state,reason,reseat of an op)
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "journal.h"
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

int main(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}, {"expect", true}, {"party", true}};
    cli c;
    usher_errmsg em = {{0}};
    if (cli_parse(specs, 3, argc - 1, argv + 1, &c, &em) || !cli_get(specs, 3, &c, "db") ||
        c.nargs < 2) {
        fprintf(stderr, "journal-op: %s\n", em.text[0] ? em.text : "see the source for usage");
        return 2;
    }
    journal *j = NULL;
    if (journal_open(cli_get(specs, 3, &c, "db"), &j, &em)) {
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
    op_kind kind = op_kind_parse(c.args[0]);
    if (journal_get_identity(j, &id, &em) || journal_get_status(j, &st, &em) || !kind) {
        fprintf(stderr, "journal-op: %s\n", kind ? em.text : "unknown kind");
        journal_free(j);
        return 1;
    }
    op_init(&op, kind, id.device, timestamp_now_ms());
    const char *a = c.args[1], *b = c.nargs > 2 ? c.args[2] : "";
    if (kind == OP_HOLD || kind == OP_RELEASE || kind == OP_BLOCK || kind == OP_UNBLOCK) {
        text_copy(op.seat, sizeof op.seat, a);
    } else {
        text_copy(op.ticket, sizeof op.ticket, a);
        text_copy(op.seat, sizeof op.seat, b);
    }
    if (cli_get(specs, 3, &c, "expect"))
        text_copy(op.expect_ticket_seat, sizeof op.expect_ticket_seat,
                  cli_get(specs, 3, &c, "expect"));
    if (cli_get(specs, 3, &c, "party"))
        text_copy(op.party, sizeof op.party, cli_get(specs, 3, &c, "party"));
    if (journal_append(j, &op, &em)) {
        fprintf(stderr, "journal-op: %s\n", em.text);
        rc = 1;
    } else {
        if (st.wake_socket[0])
            wake_send(st.wake_socket);
        printf("%s\n", op.id);
    }
    journal_free(j);
    return rc;
}

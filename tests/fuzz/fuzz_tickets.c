/* fuzz_tickets.c - the organisers' ticket CSV: every file is either imported
 * whole or refused with line-numbered problems; nothing in between. An
 * imported file's codes are then classified strong or weak. */
#include <stdint.h>
#include <stdlib.h>

#include "ticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ticket_list tl = {0};
    csv_report rep = {0};
    usher_err err = ticket_csv_parse((const char *)data, size, &tl, &rep);
    if (err == USHER_PARSE && (tl.count != 0 || rep.total == 0))
        abort(); /* refused: nothing kept, and at least one problem named */
    if (err == USHER_OK && tl.count) {
        const char **codes = malloc(tl.count * sizeof *codes);
        if (!codes)
            abort();
        for (size_t i = 0; i < tl.count; i++)
            codes[i] = tl.items[i].code;
        ticketcode_report r;
        ticketcode_classify(codes, tl.count, &r);
        if (r.weak > tl.count || (r.strength == TICKETCODE_STRONG) != (r.weak == 0))
            abort();
        free(codes);
    }
    ticket_list_release(&tl);
    csv_report_release(&rep);
    return 0;
}

/* fuzz_tickets.c - the organisers' ticket CSV: every file is either imported
 * whole or refused with line-numbered problems; nothing in between. */
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
    ticket_list_release(&tl);
    csv_report_release(&rep);
    return 0;
}

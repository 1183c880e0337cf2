/* printer.c - see printer.h. */
#include "printer.h"

#include <string.h>

#include "text.h"

static const char *const names[] = {
#define PRINTER_STATE_NAME(e, s) s,
    PRINTER_STATE_MAP(PRINTER_STATE_NAME)
#undef PRINTER_STATE_NAME
};

#define NSTATES ((int)(sizeof names / sizeof names[0]))

const char *printer_state_name(printer_state s)
{
    return (int)s >= 0 && (int)s < NSTATES ? names[s] : "unknown";
}

int printer_state_parse(const char *name)
{
    for (int i = 0; name && i < NSTATES; i++)
        if (!strcmp(name, names[i]))
            return i;
    return -1;
}

bool printer_state_failing(printer_state s)
{
    return s != PRINTER_OK && s != PRINTER_UNKNOWN;
}

bool printer_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n >= PRINTER_NAME_SIZE || !text_printable(name))
        return false;
    return strcspn(name, " /#\\") == n;
}

bool printer_report_ok(const printer_report *r)
{
    return (int)r->state >= 0 && (int)r->state < NSTATES && memchr(r->name, '\0', sizeof r->name) &&
           printer_name_ok(r->name) && memchr(r->problem, '\0', sizeof r->problem) &&
           text_utf8_valid(r->problem, strlen(r->problem)) &&
           (!r->problem[0] || text_printable(r->problem)) && r->waiting >= 0 &&
           r->waiting <= PRINTER_COUNT_MAX && r->printed >= 0 && r->printed <= PRINTER_COUNT_MAX;
}

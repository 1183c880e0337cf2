/* guest_find.c - see guest_find.h. */
#include "guest_find.h"

#include <string.h>

#include "fold.h"

/* True when text, folded, holds the folded needle. */
static bool folded_holds(const char *text, const char *needle)
{
    char buf[USHER_NAME_SIZE * 4];
    return fold_into(text, buf, sizeof buf) == USHER_OK && strstr(buf, needle);
}

size_t guest_find(const state *st, const char *query, guest_filter filter, int *idx, size_t max)
{
    char needle[GUEST_FIND_QUERY_MAX * 4] = "";
    if (query && strlen(query) > GUEST_FIND_QUERY_MAX)
        return 0;
    if (query && fold_into(query, needle, sizeof needle) != USHER_OK)
        return 0;
    size_t total = 0;
    for (int i = 0; i < state_ticket_count(st); i++) {
        const ticket_state *t = state_ticket(st, i);
        if (filter == GUEST_INSIDE && !domain_ticket_inside(t))
            continue;
        if (needle[0] && !folded_holds(t->code, needle) && !folded_holds(t->name, needle))
            continue;
        if (total < max)
            idx[total] = i;
        total++;
    }
    return total;
}

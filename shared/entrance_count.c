/* entrance_count.c - per-entrance admitted, expected and inside counts. */
#include "entrance_count.h"

#include <string.h>

/* The index of the entrance that lists door `device`, or -1. */
static int door_entrance(const entrance_set *s, const char *device)
{
    if (!device[0])
        return -1;
    for (size_t k = 0; k < s->n; k++)
        for (size_t d = 0; d < s->all[k].ndoors; d++)
            if (!strcmp(s->all[k].doors[d], device))
                return (int)k;
    return -1;
}

void entrance_count_all(const entrance_set *s, const state *st, entrance_count out[ENTRANCE_MAX])
{
    memset(out, 0, ENTRANCE_MAX * sizeof *out);
    const layout *l = state_layout(st);
    const char *last_device = NULL;
    int last = -1;
    for (int i = 0; i < state_ticket_count(st); i++) {
        const ticket_state *t = state_ticket(st, i);
        if (t->revoked)
            continue;
        const char *section = "";
        int si = t->seat[0] && l ? layout_find_seat(l, t->seat) : -1;
        if (si >= 0)
            section = layout_section_at(l, layout_seat_at(l, si)->section)->id;
        for (size_t k = 0; k < s->n; k++)
            out[k].expected += entrance_admits(&s->all[k], t->klass, section);
        if (!t->checked_in_at)
            continue;
        /* Check-ins come from a few doors: the last one's entrance is remembered. */
        if (!last_device || strcmp(last_device, t->checkin_device)) {
            last_device = t->checkin_device;
            last = door_entrance(s, t->checkin_device);
        }
        if (last < 0)
            continue;
        out[last].admitted++;
        out[last].inside += t->checked_out_at == 0;
    }
}

int64_t entrance_count_inside(const entrance *e, const state *st)
{
    int64_t n = 0;
    for (int i = 0; i < state_ticket_count(st); i++) {
        const ticket_state *t = state_ticket(st, i);
        if (t->revoked || !t->checked_in_at || t->checked_out_at || !t->checkin_device[0])
            continue;
        for (size_t d = 0; d < e->ndoors; d++)
            if (!strcmp(e->doors[d], t->checkin_device)) {
                n++;
                break;
            }
    }
    return n;
}

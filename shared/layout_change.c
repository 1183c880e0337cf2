/* layout_change.c - may a new layout replace the current one while tickets
 * sit in it (layout_change.h)? */
#include "layout_change.h"

#include <stdlib.h>
#include <string.h>

#define FIX "; unseat or move the guest first, or keep the seat as it is"

static usher_err check_one(const layout *cur, const layout *next, const layout_taken *t,
                           usher_errmsg *em)
{
    int ci = layout_find_seat(cur, t->seat);
    if (ci < 0)
        return USHER_OK; /* not a seat of the current layout: nothing to keep */
    int ni = layout_find_seat(next, t->seat);
    if (ni < 0)
        return usher_fail(em, USHER_CONFLICT,
                          "seat %s holds ticket %s: the new layout drops it" FIX, t->seat,
                          t->ticket);
    const layout_seat *a = layout_seat_at(cur, ci), *b = layout_seat_at(next, ni);
    const layout_section *sa = layout_section_at(cur, a->section);
    const layout_section *sb = layout_section_at(next, b->section);
    if (strcmp(a->label, b->label) || a->number != b->number)
        return usher_fail(
            em, USHER_CONFLICT,
            "seat %s holds ticket %s: the new layout renumbers it (seat %s, was %s)" FIX, t->seat,
            t->ticket, b->label, a->label);
    if (strcmp(sa->id, sb->id))
        return usher_fail(
            em, USHER_CONFLICT,
            "seat %s holds ticket %s: the new layout puts it in section %s (was %s)" FIX, t->seat,
            t->ticket, sb->id, sa->id);
    if (strcmp(a->klass, b->klass))
        return usher_fail(
            em, USHER_CONFLICT,
            "seat %s holds ticket %s: the new layout changes its class to \"%s\" (was "
            "\"%s\")" FIX,
            t->seat, t->ticket, b->klass, a->klass);
    return USHER_OK;
}

usher_err layout_change_check(const layout *cur, const layout *next, const layout_taken *taken,
                              size_t n, usher_errmsg *em)
{
    if (!cur || !next || (n && !taken))
        return usher_fail(em, USHER_INVAL, "layout_change_check: no layout");
    for (size_t i = 0; i < n; i++) {
        usher_err err = check_one(cur, next, &taken[i], em);
        if (err)
            return err;
    }
    return USHER_OK;
}

void layout_change_count(const layout *cur, const layout *next, layout_change_counts *out)
{
    memset(out, 0, sizeof *out);
    for (int i = 0; i < layout_seat_count(next); i++) {
        if (layout_find_seat(cur, layout_seat_at(next, i)->id) < 0)
            out->seats_added++;
        else
            out->seats_kept++;
    }
    out->seats_dropped = layout_seat_count(cur) - out->seats_kept;
    int kept = 0;
    for (int i = 0; i < layout_section_count(next); i++) {
        if (layout_find_section(cur, layout_section_at(next, i)->id) < 0)
            out->sections_added++;
        else
            kept++;
    }
    out->sections_dropped = layout_section_count(cur) - kept;
}

usher_err layout_change_apply(const state *st, const layout *next, state **out, usher_errmsg *em)
{
    const layout *cur = state_layout(st);
    int nseats = state_seat_count(st);
    layout_taken *taken = malloc((nseats ? (size_t)nseats : 1) * sizeof *taken);
    if (!taken)
        return usher_fail(em, USHER_NOMEM, "out of memory checking the new layout");
    size_t n = 0;
    for (int i = 0; i < nseats; i++) {
        const seat_state *s = state_seat(st, i);
        if (s->ticket[0])
            taken[n++] = (layout_taken){layout_seat_at(cur, i)->id, s->ticket};
    }
    usher_err err = layout_change_check(cur, next, taken, n, em);
    free(taken);
    if (!err)
        err = state_rebase(st, next, out, em);
    return err;
}

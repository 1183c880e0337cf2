/* layout_change.c - may a new layout replace the current one while tickets
 * sit in it (layout_change.h)? */
#include "layout_change.h"

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

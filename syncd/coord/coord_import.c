/* coord_import.c - a ticket file into the event: read, plan, show, apply; the
 * same for the command line and the API. */
#include "coord_import.h"

#include <string.h>

#include "timestamp.h"

#define SHOW_ROWS 5     /* first rows shown */
#define SHOW_CHANGES 50 /* updated / revoked tickets listed */

void coord_import_init(coord_import *ci, const coord_import_opts *opts)
{
    memset(ci, 0, sizeof *ci);
    if (opts)
        ci->opts = *opts;
    if (!ci->opts.device)
        ci->opts.device = "usher-coord";
}

void coord_import_release(coord_import *ci)
{
    if (!ci)
        return;
    ticket_import_release(&ci->file);
    csv_report_release(&ci->problems);
    ticket_merge_release(&ci->plan);
    ticket_list_release(&ci->last_seats);
    ci->read = false;
}

usher_err coord_import_read(coord_import *ci, const char *data, size_t len)
{
    usher_err err = ticket_import_read(data, len, ci->opts.map, &ci->file, &ci->problems, &ci->em);
    if (!err && ci->file.tickets.count == 0 && ci->file.more.voided.count == 0)
        err = usher_fail(&ci->em, USHER_PARSE,
                         "the file holds no ticket: a header row, then one row a ticket");
    ci->read = !err;
    return err;
}

usher_err coord_import_load_seats(coorddb *db, void *arg)
{
    coord_import *ci = arg;
    ticket_list_release(&ci->last_seats);
    return coorddb_import_seats(db, &ci->last_seats, &ci->em);
}

usher_err coord_import_plan(coord_import *ci, const state *st)
{
    csv_report_release(&ci->problems);
    usher_err err =
        ticket_merge_plan(st, &ci->file.tickets, &ci->file.more.voided, ci->opts.missing,
                          &ci->last_seats, timestamp_now_ms(), &ci->plan, &ci->problems);
    if (err == USHER_PARSE)
        usher_fail(&ci->em, USHER_PARSE, "%zu problem%s with the event's seats", ci->problems.total,
                   ci->problems.total == 1 ? "" : "s");
    return err;
}

usher_err coord_import_apply(state *st, void *arg, change **out, size_t *n, usher_errmsg *em)
{
    coord_import *ci = arg;
    usher_err err = coord_import_plan(ci, st);
    if (err == USHER_PARSE)
        return usher_fail(em, err, "%s", ci->em.text);
    if (err)
        return usher_fail(em, err, "out of memory planning the import");
    return ticket_merge_apply(st, &ci->plan, ci->opts.device, timestamp_now_ms(), out, n, em);
}

/* ---- text ------------------------------------------------------------------- */

static const char *const field_note[TICKET_FIELD_COUNT] = {
    [TICKET_FIELD_STATUS] = " (void and cancelled rows are skipped)",
    [TICKET_FIELD_SEAT] = " (each ticket is seated there; an empty cell: the guest chooses)",
    [TICKET_FIELD_NOTE] = " (shown to door staff)",
    [TICKET_FIELD_ATTENTION] = " (yes/no: the door shows ATTENTION)",
};

void coord_import_print(const coord_import *ci, bool dry_run, FILE *out)
{
    const ticket_import *f = &ci->file;
    const ticket_merge *m = &ci->plan;
    fprintf(out, "format: %s\n", f->format);
    fprintf(out, "encoding: %s%s; separator: %s\n", textenc_name(f->encoding),
            textenc_converted(f->encoding) ? " (converted to UTF-8)" : "",
            ticket_import_sep_name(f->sep));
    for (int k = 0; k < TICKET_FIELD_COUNT; k++) {
        char cols[300];
        ticket_import_map_text(f, (ticket_field)k, cols, sizeof cols);
        fprintf(out, "  %-6s <- %s%s\n", ticket_field_name((ticket_field)k), cols,
                f->map[k].ncols && field_note[k] ? field_note[k] : "");
    }
    fprintf(out, "%zu ticket%s in the file, %zu void or cancelled row%s skipped\n",
            f->tickets.count, f->tickets.count == 1 ? "" : "s", f->more.voided.count,
            f->more.voided.count == 1 ? "" : "s");
    for (size_t i = 0; i < f->more.warnings.count; i++)
        fprintf(out, "warning: %s\n", f->more.warnings.items[i].message);
    if (f->more.warnings.total > f->more.warnings.count)
        fprintf(out, "warning: ... and %zu more\n",
                f->more.warnings.total - f->more.warnings.count);
    fprintf(out, "first rows:\n");
    for (size_t i = 0; i < f->tickets.count && i < SHOW_ROWS; i++) {
        const ticket_rec *r = &f->tickets.items[i];
        fprintf(out, "  %-20s %s%s%s%s%s\n", r->code, r->name, r->klass[0] ? " / " : "", r->klass,
                r->seat[0] ? ", seat " : "", r->seat);
    }
    for (size_t i = 0; i < m->nupdated && i < SHOW_CHANGES; i++) {
        const ticket_update *u = &m->updated[i];
        fprintf(out, "update %s: %s / %s -> %s / %s", u->rec.code, u->before_name,
                u->before_class[0] ? u->before_class : "-", u->rec.name,
                u->rec.klass[0] ? u->rec.klass : "-");
        if (u->rec.noted && strcmp(u->before_note, u->rec.note))
            fprintf(out, "; note \"%s\" -> \"%s\"", u->before_note, u->rec.note);
        if (u->rec.noted && u->before_attention != u->rec.attention)
            fprintf(out, "; attention %s -> %s", u->before_attention ? "yes" : "no",
                    u->rec.attention ? "yes" : "no");
        fputc('\n', out);
    }
    for (size_t i = 0; i < m->revoked.count && i < SHOW_CHANGES; i++)
        fprintf(out, "revoke %s (%s): %s\n", m->revoked.items[i].code, m->revoked.items[i].name,
                i < m->revoked_void ? "void in the file" : "no longer in the file");
    for (size_t i = 0; i < m->nseated && i < SHOW_CHANGES; i++) {
        const ticket_seating *s = &m->seated[i];
        if (s->before[0])
            fprintf(out, "move %s (%s): seat %s -> %s\n", s->rec.code, s->rec.name, s->before,
                    s->rec.seat);
        else
            fprintf(out, "seat %s (%s): %s\n", s->rec.code, s->rec.name, s->rec.seat);
    }
    if (m->nseated > SHOW_CHANGES)
        fprintf(out, "... and %zu more seated\n", m->nseated - SHOW_CHANGES);
    fprintf(out, "%s%zu new, %zu updated, %zu revoked, %zu unchanged", dry_run ? "would be: " : "",
            m->added.count, m->nupdated, m->revoked.count, m->unchanged);
    if (m->nseated)
        fprintf(out, ", %zu seated", m->nseated);
    if (m->moved)
        fprintf(out, " (%zu moved)", m->moved);
    if (m->seats_kept)
        fprintf(out, "; %zu moved or unseated since the last import stay where they are",
                m->seats_kept);
    if (m->missing_kept)
        fprintf(out, "; %zu not in the file kept (--revoke-missing revokes them)", m->missing_kept);
    if (m->still_revoked)
        fprintf(out, "; %zu revoked here stay revoked", m->still_revoked);
    fputc('\n', out);
    if (dry_run)
        fprintf(out, "dry run: nothing was written; run again without --dry-run to import\n");
}

/* ---- JSON ------------------------------------------------------------------- */

static json_t *rec_json(const ticket_rec *r)
{
    json_t *o = json_pack("{s:s, s:s, s:s?}", "code", r->code, "name", r->name, "class",
                          r->klass[0] ? r->klass : NULL);
    if (r->seat[0])
        json_object_set_new(o, "seat", json_string(r->seat));
    return o;
}

static json_t *report_json(const csv_report *rep)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < rep->count; i++)
        json_array_append_new(arr, json_pack("{s:i, s:s}", "line", rep->items[i].line, "message",
                                             rep->items[i].message));
    return arr;
}

static json_t *mapping_json(const ticket_import *f)
{
    json_t *o = json_object();
    for (int k = 0; k < TICKET_FIELD_COUNT; k++) {
        json_t *cols = json_array();
        for (int c = 0; c < f->map[k].ncols; c++)
            json_array_append_new(cols, json_string(f->map[k].names[c]));
        json_object_set_new(o, ticket_field_name((ticket_field)k), cols);
    }
    return o;
}

json_t *coord_import_json(const coord_import *ci, bool dry_run)
{
    const ticket_import *f = &ci->file;
    const ticket_merge *m = &ci->plan;
    json_t *first = json_array(), *updated = json_array(), *revoked = json_array();
    for (size_t i = 0; i < f->tickets.count && i < SHOW_ROWS; i++)
        json_array_append_new(first, rec_json(&f->tickets.items[i]));
    for (size_t i = 0; i < m->nupdated && i < SHOW_CHANGES; i++) {
        const ticket_update *u = &m->updated[i];
        json_t *before = json_pack("{s:s, s:s?}", "name", u->before_name, "class",
                                   u->before_class[0] ? u->before_class : NULL);
        json_t *after = json_pack("{s:s, s:s?}", "name", u->rec.name, "class",
                                  u->rec.klass[0] ? u->rec.klass : NULL);
        if (u->rec.noted && before && after) { /* the file has notes: say what they do */
            json_object_set_new(before, "note", json_string(u->before_note));
            json_object_set_new(before, "attention", json_boolean(u->before_attention));
            json_object_set_new(after, "note", json_string(u->rec.note));
            json_object_set_new(after, "attention", json_boolean(u->rec.attention));
        }
        json_array_append_new(updated, json_pack("{s:s, s:o, s:o}", "code", u->rec.code, "before",
                                                 before, "after", after));
    }
    for (size_t i = 0; i < m->revoked.count && i < SHOW_CHANGES; i++)
        json_array_append_new(revoked,
                              json_pack("{s:s, s:s, s:s}", "code", m->revoked.items[i].code, "name",
                                        m->revoked.items[i].name, "why",
                                        i < m->revoked_void ? "void" : "missing"));
    char sep[2] = {f->sep, 0};
    json_t *o =
        json_pack("{s:b, s:s, s:s, s:b, s:s, s:s, s:o, s:I, s:I, s:o, s:o}", "dry_run", dry_run,
                  "format", f->format, "encoding", textenc_name(f->encoding), "converted",
                  textenc_converted(f->encoding), "separator", ticket_import_sep_name(f->sep),
                  "separator_char", sep, "mapping", mapping_json(f), "rows",
                  (json_int_t)f->tickets.count, "void_rows", (json_int_t)f->more.voided.count,
                  "warnings", report_json(&f->more.warnings), "first_rows", first);
    json_t *counts = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "new", (json_int_t)m->added.count, "updated",
        (json_int_t)m->nupdated, "revoked", (json_int_t)m->revoked.count, "revoked_void",
        (json_int_t)m->revoked_void, "revoked_missing", (json_int_t)m->revoked_missing, "unchanged",
        (json_int_t)m->unchanged, "missing_kept", (json_int_t)m->missing_kept, "still_revoked",
        (json_int_t)m->still_revoked);
    json_object_update(o, counts);
    json_decref(counts);
    json_object_set_new(o, "added", json_integer((json_int_t)m->added.count));
    json_object_set_new(o, "updates", updated);
    json_object_set_new(o, "revokes", revoked);
    json_t *seats = json_array();
    for (size_t i = 0; i < m->nseated && i < SHOW_CHANGES; i++) {
        const ticket_seating *s = &m->seated[i];
        json_array_append_new(seats, json_pack("{s:s, s:s, s:s, s:s?}", "code", s->rec.code, "name",
                                               s->rec.name, "seat", s->rec.seat, "before",
                                               s->before[0] ? s->before : NULL));
    }
    json_object_set_new(o, "seats", seats);
    json_object_set_new(o, "seated", json_integer((json_int_t)m->nseated));
    json_object_set_new(o, "moved", json_integer((json_int_t)m->moved));
    json_object_set_new(o, "seats_kept", json_integer((json_int_t)m->seats_kept));
    return o;
}

json_t *coord_import_refusal_json(const coord_import *ci)
{
    char msg[USHER_ERRMSG_SIZE + 200];
    const csv_report *rep = &ci->problems;
    if (rep->total)
        snprintf(msg, sizeof msg, "%zu problem%s in the file; nothing imported%s%s", rep->total,
                 rep->total == 1 ? "" : "s", rep->count ? ": " : "",
                 rep->count ? rep->items[0].message : "");
    else
        snprintf(msg, sizeof msg, "%s; nothing imported", ci->em.text);
    return json_pack("{s:s, s:s, s:o, s:I}", "error", "invalid", "message", msg, "problems",
                     report_json(rep), "total", (json_int_t)rep->total);
}

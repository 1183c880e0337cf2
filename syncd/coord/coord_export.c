/* coord_export.c - CSV exports straight from the coordinator's tables (SQL
 * that both stores read, through coorddb_read_rows). */
#include "coord_export.h"

#include <string.h>

#include "text.h"
#include "timestamp.h"
#include "zone.h"

typedef struct export_def {
    const char *name;
    const char *header;
    const char *sql;
    unsigned time_cols;  /* bit i: column i holds ms to print as RFC 3339 (UTC) */
    unsigned local_cols; /* bit i: column i holds ms to print in the event's zone */
} export_def;

/* When an op in the log happened by the coordinator's clock, in SQL both
 * stores read (the op log as `o`): op_happened_at, received_at less the
 * outbox wait, clamped. */
#define O_HAPPENED                                                                                 \
    "(o.received_at - CASE WHEN o.wait_ms < 0 THEN 0 WHEN o.wait_ms > o.received_at THEN "         \
    "o.received_at ELSE o.wait_ms END)"

/* One row per pass through a door, in time order: check-ins from their
 * table, exits (accepted checkout ops) from the op log. A re-entry is an `in`
 * row (not a duplicate) after an `out` of the same ticket. */
static const char checkins_sql[] =
    "SELECT x.ticket, COALESCE(t.name, ''), x.device, x.at, x.duplicate, x.manual, x.at, "
    "x.direction, CASE WHEN x.direction = 'in' AND x.duplicate = 0 AND EXISTS (SELECT 1 FROM ops o "
    "WHERE o.ticket = x.ticket AND o.ticket <> '' AND o.kind = 'checkout' AND o.status = "
    "'accepted' AND " O_HAPPENED " <= x.at) THEN 1 ELSE 0 END, x.entrance, x.override "
    "FROM (SELECT ticket, device, at, duplicate, manual, 'in' AS direction, id AS n, entrance, "
    "override FROM checkins "
    "UNION ALL SELECT o.ticket, o.device, " O_HAPPENED ", 0, 0, 'out', o.seq, "
    "COALESCE((SELECT d.entrance FROM devices d WHERE d.id = o.device), ''), '' FROM ops o "
    "WHERE o.kind = 'checkout' AND o.status = 'accepted') x "
    "LEFT JOIN tickets t ON t.code = x.ticket ORDER BY x.at, x.n";

/* The RFC 3339 columns stay as they were (scripts read them); the *_local
 * columns at the end are for people: "2026-12-02 19:42:05" in the event's
 * time zone (zone_use). */
static const export_def exports[] = {
    {"assignments",
     "ticket_number,full_name,class,seat,checked_in_at,checkin_device,revoked,note,attention,"
     "checked_in_local,checked_out_at,checkout_device,checked_out_local",
     "SELECT code, name, class, seat, checked_in_at, checkin_device, revoked, note, attention, "
     "checked_in_at, checked_out_at, checkout_device, checked_out_at FROM tickets ORDER BY code",
     (1u << 4) | (1u << 10), (1u << 9) | (1u << 12)},
    {"checkins",
     "ticket_number,full_name,device,at,duplicate,manual,at_local,direction,reentry,entrance,"
     "override",
     checkins_sql, 1u << 3, 1u << 6},
    {"alerts",
     "id,kind,ticket_number,seat,other_seat,device,other_device,at,other_at,created_at,acked_at,"
     "note,at_local",
     "SELECT id, kind, ticket, seat, other_seat, device, other_device, at, other_at, created_at, "
     "acked_at, note, at FROM alerts ORDER BY id",
     (1u << 7) | (1u << 8) | (1u << 9) | (1u << 10), 1u << 12},
};

int coord_export_known(const char *what)
{
    for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++)
        if (!strcmp(what, exports[i].name))
            return 1;
    return 0;
}

void coord_export_cell(FILE *out, const char *s)
{
    bool formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@';
    bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

typedef struct export_run {
    const export_def *def;
    FILE *out;
} export_run;

/* A time column's milliseconds (0 for anything else: the stores write numbers). */
static int64_t cell_ms(const char *v)
{
    int64_t ms = 0;
    return text_parse_i64(v, INT64_MIN, INT64_MAX, &ms) ? ms : 0;
}

static void write_row(void *arg, int n, const char *const *cols)
{
    const export_run *r = arg;
    for (int c = 0; c < n; c++) {
        if (c)
            fputc(',', r->out);
        if (r->def->local_cols & (1u << c)) {
            char t[32];
            zone_format(cell_ms(cols[c]), ZONE_DATETIME, t, sizeof t);
            fputs(t, r->out);
        } else if (r->def->time_cols & (1u << c)) {
            int64_t ms = cell_ms(cols[c]);
            char t[TIMESTAMP_TEXT_SIZE] = "";
            if (ms)
                timestamp_format(ms, t);
            fputs(t, r->out);
        } else {
            coord_export_cell(r->out, cols[c]);
        }
    }
    fputs("\r\n", r->out);
}

usher_err coord_export(coorddb *db, const char *what, FILE *out, usher_errmsg *em)
{
    const export_def *def = NULL;
    for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++)
        if (!strcmp(what, exports[i].name))
            def = &exports[i];
    if (!def)
        return usher_fail(em, USHER_INVAL,
                          "unknown export '%s': choose assignments, checkins or alerts", what);
    fprintf(out, "%s\r\n", def->header);
    export_run run = {def, out};
    usher_err err = coorddb_read_rows(db, def->sql, write_row, &run, em);
    if (err) {
        usher_errmsg_prefix(em, "export %s failed", what);
        return err;
    }
    return USHER_OK;
}

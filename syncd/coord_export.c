/* coord_export.c - CSV exports straight from the coordinator's tables. */
#include "coord_export.h"

#include <sqlite3.h>
#include <string.h>

#include "timestamp.h"
#include "zone.h"

typedef struct export_def {
    const char *name;
    const char *header;
    const char *sql;
    unsigned time_cols;  /* bit i: column i holds ms to print as RFC 3339 (UTC) */
    unsigned local_cols; /* bit i: column i holds ms to print in the event's zone */
} export_def;

/* The RFC 3339 columns stay as they were (scripts read them); the *_local
 * columns at the end are for people: "2026-12-02 19:42:05" in the event's
 * time zone (zone_use). */
static const export_def exports[] = {
    {"assignments",
     "ticket_number,full_name,class,seat,checked_in_at,checkin_device,revoked,note,attention,"
     "checked_in_local",
     "SELECT code, name, class, seat, checked_in_at, checkin_device, revoked, note, attention, "
     "checked_in_at FROM tickets ORDER BY code",
     1u << 4, 1u << 9},
    {"checkins", "ticket_number,full_name,device,at,duplicate,manual,at_local",
     "SELECT c.ticket, COALESCE(t.name, ''), c.device, c.at, c.duplicate, c.manual, c.at "
     "FROM checkins c LEFT JOIN tickets t ON t.code = c.ticket ORDER BY c.at, c.id",
     1u << 3, 1u << 6},
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

usher_err coord_export(coorddb *db, const char *what, FILE *out, usher_errmsg *em)
{
    const export_def *def = NULL;
    for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++)
        if (!strcmp(what, exports[i].name))
            def = &exports[i];
    if (!def)
        return usher_fail(em, USHER_INVAL,
                          "unknown export '%s': choose assignments, checkins or alerts", what);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(coorddb_sqlite(db), def->sql, -1, &st, NULL) != SQLITE_OK)
        return usher_fail(em, USHER_DB, "cannot read the database: %s",
                          sqlite3_errmsg(coorddb_sqlite(db)));
    fprintf(out, "%s\r\n", def->header);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int n = sqlite3_column_count(st);
        for (int c = 0; c < n; c++) {
            if (c)
                fputc(',', out);
            if (def->local_cols & (1u << c)) {
                char t[32];
                zone_format(sqlite3_column_int64(st, c), ZONE_DATETIME, t, sizeof t);
                fputs(t, out);
            } else if (def->time_cols & (1u << c)) {
                int64_t ms = sqlite3_column_int64(st, c);
                char t[TIMESTAMP_TEXT_SIZE] = "";
                if (ms)
                    timestamp_format(ms, t);
                fputs(t, out);
            } else {
                const unsigned char *v = sqlite3_column_text(st, c);
                coord_export_cell(out, v ? (const char *)v : "");
            }
        }
        fputs("\r\n", out);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return usher_fail(em, USHER_DB, "export %s failed: %s", what,
                          sqlite3_errmsg(coorddb_sqlite(db)));
    return USHER_OK;
}

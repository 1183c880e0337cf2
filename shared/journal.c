/* journal.c - a device's SQLite journal: identity and status in meta, the outbox of
 * its ops with their verdicts, and the replica of the coordinator's seats and
 * tickets (r_seats, r_tickets). Each public call is one transaction. */
#include "journal.h"
#include "journal__internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "text.h"

/* Columns of an outbox row, in the order read_entry expects. */
#define OUTBOX_COLUMNS                                                                             \
    "seq, id, device, kind, ticket, seat, at, expect_ticket_seat, expect_seat_free, "              \
    "party, ttl_ms, manual, note, state, status, first, reason, reseat, ticket_seat, "             \
    "seat_ticket, checked_in_at, checkin_device, created_at, decided_at, entrance, override"

/* The statements used on every sync round or redraw, prepared once. */
enum {
    J_APPEND,
    J_PENDING,
    J_PENDING_COUNT,
    J_STATE_COUNT,
    J_GET,
    J_LIST,
    J_DECIDE,
    J_SEAT_UPSERT,
    J_TICKET_UPSERT,
    J_STAGE_SEAT_UPSERT, /* the same into the staging tables (a snapshot in pages) */
    J_STAGE_TICKET_UPSERT,
    J_DATA_VERSION,
    J_COUNT
};

static const char *const journal_sql[J_COUNT] = {
    [J_APPEND] = "INSERT INTO outbox(id, device, kind, ticket, seat, at, expect_ticket_seat, "
                 "expect_seat_free, party, ttl_ms, manual, note, created_at, entrance, "
                 "override) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [J_PENDING] = "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE state = 0 ORDER BY seq LIMIT ?1",
    [J_PENDING_COUNT] = "SELECT count(*) FROM outbox WHERE state = 0",
    [J_STATE_COUNT] = "SELECT count(*) FROM outbox WHERE state = ?1",
    [J_GET] = "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE id = ?1",
    [J_LIST] = "SELECT " OUTBOX_COLUMNS " FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [J_DECIDE] = "UPDATE outbox SET state = ?1, status = ?2, first = ?3, reason = ?4, "
                 "reseat = ?5, ticket_seat = ?6, seat_ticket = ?7, checked_in_at = ?8, "
                 "checkin_device = ?9, decided_at = ?10 WHERE id = ?11",
#define SEAT_UPSERT(table)                                                                         \
    "INSERT INTO " table "(id, ticket, blocked, hold_device, hold_until, "                         \
    "lease_device, lease_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "                              \
    "ON CONFLICT(id) DO UPDATE SET "                                                               \
    "ticket = excluded.ticket, blocked = excluded.blocked, "                                       \
    "hold_device = excluded.hold_device, hold_until = excluded.hold_until, "                       \
    "lease_device = excluded.lease_device, lease_until = excluded.lease_until"
#define TICKET_UPSERT(table)                                                                       \
    "INSERT INTO " table "(code, name, class, seat, party, checked_in_at, "                        \
    "checkin_device, revoked, note, attention, checked_out_at, checkout_device) "                  \
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "                                  \
    "ON CONFLICT(code) DO UPDATE SET name = excluded.name, "                                       \
    "class = excluded.class, seat = excluded.seat, party = excluded.party, "                       \
    "checked_in_at = excluded.checked_in_at, "                                                     \
    "checkin_device = excluded.checkin_device, revoked = excluded.revoked, "                       \
    "note = excluded.note, attention = excluded.attention, "                                       \
    "checked_out_at = excluded.checked_out_at, checkout_device = excluded.checkout_device"
    [J_SEAT_UPSERT] = SEAT_UPSERT("r_seats"),
    [J_TICKET_UPSERT] = TICKET_UPSERT("r_tickets"),
    [J_STAGE_SEAT_UPSERT] = SEAT_UPSERT("s_seats"),
    [J_STAGE_TICKET_UPSERT] = TICKET_UPSERT("s_tickets"),
    [J_DATA_VERSION] = "PRAGMA data_version",
};

struct journal {
    sqlite3 *db;
    sqlite3_stmt *stmt[J_COUNT];
};

/* Meta keys. */
#define K_ENTRANCE "entrance" /* the device's own entrance, "" = none */
#define K_DEVICE "device"
#define K_ROLE "role"
#define K_EVENT_ID "event_id"
#define K_EVENT_NAME "event_name"
#define K_PUBKEY "pubkey"
#define K_HOLD_TTL "hold_ttl_ms"
#define K_CODES "codes"
#define K_PIN_HASH "pin_hash"
#define K_TZ "tz"
#define K_LANG "lang"
#define K_REENTRY "reentry"
#define K_LAYOUT "layout"
#define K_LAYOUT_STAMP "layout_stamp" /* one more at every new layout JSON */
#define K_CURSOR "cursor"
#define K_LOG_ID "log_id" /* the coordinator's op log copy the cursor counts in */
#define K_ONLINE "online"
#define K_LAST_SYNC "last_sync_at"
#define K_LAST_ATTEMPT "last_attempt_at"
#define K_LAST_ERROR "last_error"
#define K_WAKE "wake_socket"
#define K_POLICY "offline_policy"
#define K_LEASE_SIZE "lease_size"
#define K_CLOCK_OFFSET "clock_offset_ms"
#define K_CLOCK_AT "clock_measured_at"
#define K_STORAGE_FULL "storage_full"

usher_err journal_open(const char *path, journal **out, usher_errmsg *em)
{
    journal *j = calloc(1, sizeof *j);
    if (!j)
        return usher_fail(em, USHER_NOMEM, "out of memory opening %s", path);
    usher_err err = store_open(path, STORE_DEVICE, &j->db, em);
    if (err) {
        free(j);
        return err;
    }
    *out = j;
    return USHER_OK;
}

sqlite3 *journal__db(journal *j)
{
    return j->db;
}

void journal_free(journal *j)
{
    if (!j)
        return;
    for (int i = 0; i < J_COUNT; i++)
        sqlite3_finalize(j->stmt[i]);
    sqlite3_close(j->db);
    free(j);
}

/* A cached statement, reset and ready for binding. */
static usher_err jstmt(journal *j, int id, sqlite3_stmt **out, usher_errmsg *em)
{
    if (!j->stmt[id] && sqlite3_prepare_v3(j->db, journal_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                           &j->stmt[id], NULL) != SQLITE_OK)
        return store_fail(j->db, em, "journal: preparing a query");
    sqlite3_reset(j->stmt[id]);
    sqlite3_clear_bindings(j->stmt[id]);
    *out = j->stmt[id];
    return USHER_OK;
}

/* ---- meta ---------------------------------------------------------------- */

/* Reads a text key, "" when absent (em is written only on a real failure). */
static usher_err meta_text(journal *j, const char *key, char *out, size_t size, usher_errmsg *em)
{
    return store_meta_opt(j->db, key, out, size, em);
}

/* Reads a number key, 0 when absent. */
static usher_err meta_i64(journal *j, const char *key, int64_t *out, usher_errmsg *em)
{
    char buf[32];
    usher_err err = meta_text(j, key, buf, sizeof buf, em);
    if (err)
        return err;
    if (!buf[0]) {
        *out = 0;
        return USHER_OK;
    }
    if (!text_parse_i64(buf, INT64_MIN, INT64_MAX, out))
        return usher_fail(em, USHER_DB, "journal: meta \"%s\" is not a number (\"%s\")", key, buf);
    return USHER_OK;
}

static usher_err meta_set_i64(journal *j, const char *key, int64_t v, usher_errmsg *em)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return store_meta_set(j->db, key, buf, em);
}

/* A round with the coordinator went through at now (transaction held). */
static usher_err mark_synced(journal *j, int64_t now, usher_errmsg *em)
{
    usher_err err = meta_set_i64(j, K_ONLINE, 1, em);
    if (!err)
        err = meta_set_i64(j, K_LAST_SYNC, now, em);
    if (!err)
        err = meta_set_i64(j, K_LAST_ATTEMPT, now, em);
    if (!err)
        err = store_meta_set(j->db, K_LAST_ERROR, "", em);
    return err;
}

/* The event's settings as sync last delivered them; the defaults
 * (settings_default) before it did. */
static usher_err read_settings(journal *j, event_settings *s, usher_errmsg *em)
{
    char codes[16];
    settings_default(s);
    usher_err err = meta_text(j, K_CODES, codes, sizeof codes, em);
    if (!err)
        err = meta_text(j, K_PIN_HASH, s->pin_hash, sizeof s->pin_hash, em);
    if (!err)
        err = meta_text(j, K_TZ, s->tz, sizeof s->tz, em);
    if (!err)
        err = meta_text(j, K_LANG, s->lang, sizeof s->lang, em);
    if (!err && !settings_lang_ok(s->lang))
        s->lang[0] = '\0'; /* a damaged language: the kiosk's own default */
    char reentry[16] = "";
    if (!err)
        err = meta_text(j, K_REENTRY, reentry, sizeof reentry, em);
    if (err)
        return err;
    s->reentry_refused = settings_reentry_parse(reentry) == 1;
    int strength = ticketcode_strength_parse(codes);
    if (codes[0] && strength < 0)
        return usher_fail(em, USHER_DB, "journal: meta \"codes\" is \"%s\"", codes);
    if (strength >= 0)
        s->codes = (ticketcode_strength)strength;
    return USHER_OK;
}

usher_err journal_get_identity(journal *j, journal_identity *out, usher_errmsg *em)
{
    journal_identity id;
    memset(&id, 0, sizeof id);
    char role[16];
    usher_err err = meta_text(j, K_DEVICE, id.device, sizeof id.device, em);
    if (!err)
        err = meta_text(j, K_ROLE, role, sizeof role, em);
    if (!err)
        err = meta_text(j, K_EVENT_ID, id.event_id, sizeof id.event_id, em);
    if (!err)
        err = meta_text(j, K_EVENT_NAME, id.event_name, sizeof id.event_name, em);
    if (!err)
        err = meta_text(j, K_PUBKEY, id.pubkey_hex, sizeof id.pubkey_hex, em);
    if (!err)
        err = meta_i64(j, K_HOLD_TTL, &id.hold_ttl_ms, em);
    if (!err)
        err = read_settings(j, &id.settings, em);
    if (err)
        return err;
    id.role = role_parse(role);
    *out = id;
    return USHER_OK;
}

usher_err journal_set_settings(journal *j, const event_settings *s, usher_errmsg *em)
{
    if (!settings_pin_hash_ok(s->pin_hash) || !settings_tz_ok(s->tz) ||
        !settings_lang_ok(s->lang) ||
        (s->codes != TICKETCODE_STRONG && s->codes != TICKETCODE_WEAK))
        return usher_fail(em, USHER_INVAL,
                          "event settings: bad PIN hash, time zone, language or codes");
    usher_err err = store_begin(j->db, em);
    if (!err)
        err = store_meta_set(j->db, K_CODES, ticketcode_strength_name(s->codes), em);
    if (!err)
        err = store_meta_set(j->db, K_PIN_HASH, s->pin_hash, em);
    if (!err)
        err = store_meta_set(j->db, K_TZ, s->tz, em);
    if (!err)
        err = store_meta_set(j->db, K_LANG, s->lang, em);
    if (!err)
        err = store_meta_set(j->db, K_REENTRY, settings_reentry_name(s->reentry_refused), em);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

usher_err journal_set_entrances(journal *j, const entrance_set *s, usher_errmsg *em)
{
    if (s->n > ENTRANCE_MAX || (s->mine[0] && !entrance_name_ok(s->mine)))
        return usher_fail(em, USHER_INVAL, "entrances: too many, or a bad name");
    for (size_t i = 0; i < s->n; i++) {
        usher_err err = entrance_check(&s->all[i], em);
        if (err)
            return err;
    }
    sqlite3_stmt *st = NULL;
    usher_err err = store_begin(j->db, em);
    if (!err)
        err = store_exec(j->db, "DELETE FROM r_entrances", em);
    if (!err && sqlite3_prepare_v2(j->db,
                                   "INSERT INTO r_entrances(pos, name, classes, sections, doors) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5)",
                                   -1, &st, NULL) != SQLITE_OK)
        err = store_fail(j->db, em, "journal: storing the entrances");
    for (size_t i = 0; !err && i < s->n; i++) {
        const entrance *e = &s->all[i];
        char classes[512], sections[512], doors[ENTRANCE_MAX_DOORS * USHER_DEVICE_SIZE];
        entrance_join(e->classes[0], sizeof e->classes[0], e->nclasses, classes, sizeof classes);
        entrance_join(e->doors[0], sizeof e->doors[0], e->ndoors, doors, sizeof doors);
        entrance_join(e->sections[0], sizeof e->sections[0], e->nsections, sections,
                      sizeof sections);
        int rc = sqlite3_bind_int64(st, 1, (int64_t)i);
        rc |= sqlite3_bind_text(st, 2, e->name, -1, SQLITE_STATIC);
        rc |= sqlite3_bind_text(st, 3, classes, -1, SQLITE_TRANSIENT);
        rc |= sqlite3_bind_text(st, 4, sections, -1, SQLITE_TRANSIENT);
        rc |= sqlite3_bind_text(st, 5, doors, -1, SQLITE_TRANSIENT);
        if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
            err = store_fail(j->db, em, "journal: storing the entrances");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (!err)
        err = store_meta_set(j->db, K_ENTRANCE, s->mine, em);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

/* "door-1,door-2" into e's doors. */
static usher_err read_doors(const char *text, entrance *e, usher_errmsg *em)
{
    e->ndoors = 0;
    for (const char *p = text ? text : ""; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (e->ndoors == ENTRANCE_MAX_DOORS || len == 0 || len >= USHER_DEVICE_SIZE)
            return usher_fail(em, USHER_INVAL, "journal: entrance %s: bad doors", e->name);
        text_copyn(e->doors[e->ndoors++], USHER_DEVICE_SIZE, p, len);
        p = end ? end + 1 : p + len;
    }
    return USHER_OK;
}

usher_err journal_entrances(journal *j, entrance_set *out, usher_errmsg *em)
{
    entrance_set *s = calloc(1, sizeof *s);
    if (!s)
        return usher_fail(em, USHER_NOMEM, "out of memory reading the entrances");
    sqlite3_stmt *st = NULL;
    usher_err err = USHER_OK;
    if (sqlite3_prepare_v2(j->db,
                           "SELECT name, classes, sections, doors FROM r_entrances ORDER BY pos",
                           -1, &st, NULL) != SQLITE_OK)
        err = store_fail(j->db, em, "journal: reading the entrances");
    int rc = SQLITE_DONE;
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW && s->n < ENTRANCE_MAX) {
        entrance *e = &s->all[s->n];
        const char *classes = (const char *)sqlite3_column_text(st, 1);
        const char *sections = (const char *)sqlite3_column_text(st, 2);
        store__column_text(st, 0, e->name, sizeof e->name);
        err = entrance_parse_list(classes, "classes", e->classes[0], sizeof e->classes[0],
                                  &e->nclasses, em);
        if (!err)
            err = entrance_parse_list(sections, "sections", e->sections[0], sizeof e->sections[0],
                                      &e->nsections, em);
        if (!err)
            err = read_doors((const char *)sqlite3_column_text(st, 3), e, em);
        s->n++;
    }
    if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW)
        err = store_fail(j->db, em, "journal: reading the entrances");
    sqlite3_finalize(st);
    if (!err)
        err = store_meta_get(j->db, K_ENTRANCE, s->mine, sizeof s->mine, em);
    if (err == USHER_NOTFOUND) {
        s->mine[0] = 0;
        err = USHER_OK;
    }
    if (!err)
        *out = *s;
    free(s);
    return err;
}

usher_err journal_set_identity(journal *j, const journal_identity *id, usher_errmsg *em)
{
    if (id->device[0] && !text_is_ident(id->device, USHER_DEVICE_SIZE - 1))
        return usher_fail(em, USHER_INVAL,
                          "device id \"%.64s\" may use only A-Z, a-z, 0-9, '_', '.' and '-'",
                          id->device);
    if (id->role != ROLE_NONE && !role_name(id->role))
        return usher_fail(em, USHER_INVAL, "unknown device role %d", (int)id->role);
    if (id->hold_ttl_ms < 0)
        return usher_fail(em, USHER_INVAL, "hold_ttl_ms must not be negative");
    usher_err err = store_begin(j->db, em);
    if (err)
        return err;
    const char *role = id->role != ROLE_NONE ? role_name(id->role) : "";
    if (!err)
        err = store_meta_set(j->db, K_DEVICE, id->device, em);
    if (!err)
        err = store_meta_set(j->db, K_ROLE, role, em);
    if (!err)
        err = store_meta_set(j->db, K_EVENT_ID, id->event_id, em);
    if (!err)
        err = store_meta_set(j->db, K_EVENT_NAME, id->event_name, em);
    if (!err)
        err = store_meta_set(j->db, K_PUBKEY, id->pubkey_hex, em);
    if (!err)
        err = meta_set_i64(j, K_HOLD_TTL, id->hold_ttl_ms, em);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

usher_err journal_get_layout_json(journal *j, char **json, usher_errmsg *em)
{
    usher_err err = store_meta_dup(j->db, K_LAYOUT, json, em);
    if (err == USHER_NOTFOUND)
        err = usher_fail(em, USHER_NOTFOUND,
                         "this device has no layout yet: usher-syncd fetches it from the "
                         "coordinator on first contact");
    return err;
}

/* Stores the layout and moves its stamp (the caller holds the transaction). */
static usher_err put_layout(journal *j, const char *json, usher_errmsg *em)
{
    int64_t stamp = 0;
    usher_err err = meta_i64(j, K_LAYOUT_STAMP, &stamp, em);
    if (!err)
        err = store_meta_set(j->db, K_LAYOUT, json, em);
    if (!err)
        err = meta_set_i64(j, K_LAYOUT_STAMP, stamp + 1, em);
    return err;
}

usher_err journal_set_layout_json(journal *j, const char *json, usher_errmsg *em)
{
    usher_err err = store_begin(j->db, em);
    if (!err)
        err = put_layout(j, json, em);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

int64_t journal_layout_stamp(journal *j)
{
    int64_t stamp = 0;
    if (meta_i64(j, K_LAYOUT_STAMP, &stamp, NULL) != USHER_OK)
        return -1;
    return stamp;
}

int64_t journal_cursor(journal *j)
{
    int64_t c = 0;
    if (meta_i64(j, K_CURSOR, &c, NULL) != USHER_OK)
        return 0;
    return c;
}

usher_err journal_get_status(journal *j, journal_status *out, usher_errmsg *em)
{
    journal_status s;
    memset(&s, 0, sizeof s);
    int64_t online = 0;
    usher_err err = meta_i64(j, K_ONLINE, &online, em);
    if (!err)
        err = meta_i64(j, K_LAST_SYNC, &s.last_sync_at, em);
    if (!err)
        err = meta_i64(j, K_LAST_ATTEMPT, &s.last_attempt_at, em);
    if (!err)
        err = meta_text(j, K_LAST_ERROR, s.last_error, sizeof s.last_error, em);
    if (!err)
        err = meta_text(j, K_WAKE, s.wake_socket, sizeof s.wake_socket, em);
    if (!err)
        err = meta_i64(j, K_CLOCK_OFFSET, &s.clock_offset_ms, em);
    if (!err)
        err = meta_i64(j, K_CLOCK_AT, &s.clock_measured_at, em);
    int64_t full = 0;
    if (!err)
        err = meta_i64(j, K_STORAGE_FULL, &full, em);
    if (err)
        return err;
    s.online = online != 0;
    s.storage_full = full != 0;
    *out = s;
    return USHER_OK;
}

usher_err journal_set_status(journal *j, bool online, const char *error, int64_t now,
                             usher_errmsg *em)
{
    /* Keep the text within what journal_get_status can hand back. */
    char text[sizeof((journal_status *)0)->last_error];
    text_copy(text, sizeof text, error ? error : "");
    usher_err err = store_begin(j->db, em);
    if (err)
        return err;
    err = meta_set_i64(j, K_ONLINE, online, em);
    if (!err)
        err = meta_set_i64(j, K_LAST_ATTEMPT, now, em);
    if (!err)
        err = store_meta_set(j->db, K_LAST_ERROR, text, em);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

usher_err journal_set_storage_full(journal *j, bool full, const char *error, int64_t now,
                                   usher_errmsg *em)
{
    char text[sizeof((journal_status *)0)->last_error];
    text_copy(text, sizeof text, error ? error : "");
    usher_err err = store_begin(j->db, em);
    if (err)
        return err;
    err = meta_set_i64(j, K_STORAGE_FULL, full, em);
    if (!err && full)
        err = meta_set_i64(j, K_ONLINE, 0, em);
    if (!err && full)
        err = meta_set_i64(j, K_LAST_ATTEMPT, now, em);
    if (!err && full)
        err = store_meta_set(j->db, K_LAST_ERROR, text, em);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

usher_err journal_set_clock(journal *j, int64_t offset_ms, int64_t now, usher_errmsg *em)
{
    usher_err err = store_begin(j->db, em);
    if (err)
        return err;
    err = meta_set_i64(j, K_CLOCK_OFFSET, offset_ms, em);
    if (!err)
        err = meta_set_i64(j, K_CLOCK_AT, now, em);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

usher_err journal_set_wake_socket(journal *j, const char *path, usher_errmsg *em)
{
    if (path && strlen(path) >= sizeof((journal_status *)0)->wake_socket)
        return usher_fail(em, USHER_TOOBIG, "socket path \"%.60s...\" is too long for a socket",
                          path);
    return store_meta_set(j->db, K_WAKE, path ? path : "", em);
}

static const char *policy_name(journal_policy p)
{
    return p == JOURNAL_POLICY_LEASE        ? "lease"
           : p == JOURNAL_POLICY_OPTIMISTIC ? "optimistic"
                                            : NULL;
}

usher_err journal_get_policy(journal *j, journal_policy *policy, int *lease_size, usher_errmsg *em)
{
    char name[32];
    int64_t size = 0;
    usher_err err = meta_text(j, K_POLICY, name, sizeof name, em);
    if (!err)
        err = meta_i64(j, K_LEASE_SIZE, &size, em);
    if (err)
        return err;
    journal_policy p = JOURNAL_POLICY_OPTIMISTIC;
    if (!strcmp(name, "lease"))
        p = JOURNAL_POLICY_LEASE;
    else if (name[0] && strcmp(name, "optimistic") != 0)
        return usher_fail(em, USHER_DB,
                          "journal: meta \"%s\" is \"%s\"; it must be \"optimistic\" or \"lease\"",
                          K_POLICY, name);
    if (size < 0 || size > JOURNAL_LEASE_SIZE_MAX)
        return usher_fail(em, USHER_DB, "journal: meta \"%s\" is %lld; it must be 0..%d",
                          K_LEASE_SIZE, (long long)size, JOURNAL_LEASE_SIZE_MAX);
    *policy = p;
    *lease_size = p == JOURNAL_POLICY_LEASE ? (int)size : 0;
    return USHER_OK;
}

usher_err journal_set_policy(journal *j, journal_policy policy, int lease_size, usher_errmsg *em)
{
    const char *name = policy_name(policy);
    if (!name)
        return usher_fail(em, USHER_INVAL, "unknown offline policy %d (optimistic or lease)",
                          (int)policy);
    if (policy == JOURNAL_POLICY_LEASE && (lease_size < 1 || lease_size > JOURNAL_LEASE_SIZE_MAX))
        return usher_fail(em, USHER_INVAL, "lease size %d: it must be 1..%d seats", lease_size,
                          JOURNAL_LEASE_SIZE_MAX);
    usher_err err = store_begin(j->db, em);
    if (err)
        return err;
    err = store_meta_set(j->db, K_POLICY, name, em);
    if (!err)
        err = meta_set_i64(j, K_LEASE_SIZE, policy == JOURNAL_POLICY_LEASE ? lease_size : 0, em);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

/* ---- rebuild after a restore ------------------------------------------------ */

static usher_err upsert_change(journal *j, const change *c, usher_errmsg *em);
static usher_err upsert_into(journal *j, const change *c, bool staging, usher_errmsg *em);

/* A snapshot held whole (the simulator, tests): staged, then swapped in. */
static usher_err swap_in(journal *j, const change *c, size_t nc, const journal_snapshot_end *end,
                         int64_t now, int64_t *requeued, usher_errmsg *em)
{
    usher_err err = journal_stage_begin(j, em);
    if (!err)
        err = journal_stage_changes(j, c, nc, em);
    if (!err)
        err = journal_stage_finish(j, end, now, requeued, em);
    return err;
}

usher_err journal_rebuild(journal *j, const change *c, size_t nc, int64_t cursor,
                          const char *log_id, int64_t *requeued, usher_errmsg *em)
{
    journal_snapshot_end end = {.cursor = cursor, .log_id = log_id, .requeue = true};
    int64_t now = 0;
    usher_err err = meta_i64(j, K_LAST_SYNC, &now, em); /* the status stays as it was */
    if (!err)
        err = swap_in(j, c, nc, &end, now, requeued, em);
    return err;
}

usher_err journal_get_log_id(journal *j, char *out, size_t size, usher_errmsg *em)
{
    return meta_text(j, K_LOG_ID, out, size, em);
}

usher_err journal_set_log_id(journal *j, const char *log_id, usher_errmsg *em)
{
    return store_meta_set(j->db, K_LOG_ID, log_id, em);
}

usher_err journal_stage_begin(journal *j, usher_errmsg *em)
{
    if (sqlite3_exec(j->db, "DELETE FROM s_seats; DELETE FROM s_tickets", NULL, NULL, NULL) !=
        SQLITE_OK)
        return store_fail(j->db, em, "journal: emptying the snapshot's staging tables");
    return USHER_OK;
}

usher_err journal_stage_changes(journal *j, const change *c, size_t nc, usher_errmsg *em)
{
    usher_err err = store_begin(j->db, em);
    for (size_t i = 0; !err && i < nc; i++)
        err = upsert_into(j, &c[i], true, em);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

usher_err journal_stage_finish(journal *j, const journal_snapshot_end *end, int64_t now,
                               int64_t *requeued, usher_errmsg *em)
{
    usher_err err = store_begin(j->db, em);
    if (err)
        return err;
    if (sqlite3_exec(j->db,
                     "DELETE FROM r_seats; DELETE FROM r_tickets; "
                     "INSERT INTO r_seats SELECT * FROM s_seats; "
                     "INSERT INTO r_tickets SELECT * FROM s_tickets; "
                     "DELETE FROM s_seats; DELETE FROM s_tickets",
                     NULL, NULL, NULL) != SQLITE_OK)
        err = store_fail(j->db, em, "journal: making the staged snapshot the replica");
    if (!err && end->layout_json)
        err = put_layout(j, end->layout_json, em);
    if (!err && end->requeue) {
        if (sqlite3_exec(j->db, "UPDATE outbox SET state = 0 WHERE state = 1", NULL, NULL, NULL) !=
            SQLITE_OK)
            err = store_fail(j->db, em, "journal: sending again the ops a restore lost");
        else if (requeued)
            *requeued = sqlite3_changes(j->db);
    }
    if (!err)
        err = meta_set_i64(j, K_CURSOR, end->cursor, em);
    if (!err)
        err = store_meta_set(j->db, K_LOG_ID, end->log_id ? end->log_id : "", em);
    if (!err)
        err = mark_synced(j, now, em);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

/* ---- the outbox ---------------------------------------------------------- */

/* Writes one op as pending, inside the caller's transaction or its own. */
static usher_err append_one(journal *j, const usher_op *op, usher_errmsg *em)
{
    usher_err err = op_validate(op, em);
    if (err)
        return err;
    sqlite3_stmt *st = NULL;
    err = jstmt(j, J_APPEND, &st, em);
    if (err)
        return err;
    /* created_at: the device's clock when the person acted is also when the
     * kiosk wrote it down, and keeps this function free of a clock. */
    if (store__bind_op(st, 1, op) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1 + STORE_OP_COLUMNS, op->at) != SQLITE_OK ||
        sqlite3_bind_text(st, 2 + STORE_OP_COLUMNS, op->entrance, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 3 + STORE_OP_COLUMNS, op->override, -1, SQLITE_STATIC) != SQLITE_OK) {
        err = store_fail(j->db, em, "journal: appending an op");
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(j->db) == SQLITE_CONSTRAINT_UNIQUE)
            err = usher_fail(em, USHER_EXISTS, "op %s is already in the outbox", op->id);
        else
            err = store_fail(j->db, em, "journal: appending an op");
    }
out:
    sqlite3_reset(st);
    return err;
}

usher_err journal_append(journal *j, const usher_op *op, usher_errmsg *em)
{
    return append_one(j, op, em);
}

usher_err journal_append_all(journal *j, const usher_op *ops, size_t n, usher_errmsg *em)
{
    usher_err err = store_begin(j->db, em);
    for (size_t i = 0; !err && i < n; i++)
        if ((err = append_one(j, &ops[i], em)) != USHER_OK)
            usher_errmsg_prefix(em, "op %zu of %zu", i + 1, n);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

static void read_entry(sqlite3_stmt *st, outbox_entry *e)
{
    memset(e, 0, sizeof *e);
    e->seq = sqlite3_column_int64(st, 0);
    store__read_op(st, 1, &e->op);
    e->state = (outbox_state)sqlite3_column_int(st, 1 + STORE_OP_COLUMNS);
    store__read_verdict(st, 2 + STORE_OP_COLUMNS, &e->v);
    text_copy(e->v.op_id, sizeof e->v.op_id, e->op.id);
    e->created_at = sqlite3_column_int64(st, 2 + STORE_OP_COLUMNS + STORE_VERDICT_COLUMNS);
    e->decided_at = sqlite3_column_int64(st, 3 + STORE_OP_COLUMNS + STORE_VERDICT_COLUMNS);
    store__column_text(st, 4 + STORE_OP_COLUMNS + STORE_VERDICT_COLUMNS, e->op.entrance,
                       sizeof e->op.entrance);
    store__column_text(st, 5 + STORE_OP_COLUMNS + STORE_VERDICT_COLUMNS, e->op.override,
                       sizeof e->op.override);
}

/* Steps st to the end, collecting entries into a malloc'd array (at least one
 * element allocated, so that an empty answer is not mistaken for OOM). */
static usher_err collect(journal *j, sqlite3_stmt *st, size_t max, outbox_entry **out, size_t *n,
                         usher_errmsg *em)
{
    size_t cap = max < 64 ? (max ? max : 1) : 64, count = 0;
    outbox_entry *v = malloc(cap * sizeof *v);
    if (!v)
        return usher_fail(em, USHER_NOMEM, "out of memory reading the outbox");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            outbox_entry *bigger = realloc(v, 2 * cap * sizeof *v);
            if (!bigger) {
                free(v);
                return usher_fail(em, USHER_NOMEM, "out of memory reading the outbox");
            }
            v = bigger, cap *= 2;
        }
        read_entry(st, &v[count++]);
    }
    if (rc != SQLITE_DONE) {
        free(v);
        return store_fail(j->db, em, "journal: reading the outbox");
    }
    *out = v;
    *n = count;
    return USHER_OK;
}

static sqlite3_int64 limit_of(size_t max)
{
    return max > (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)max;
}

usher_err journal_pending(journal *j, size_t max, usher_op **ops, size_t *n, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = jstmt(j, J_PENDING, &st, em);
    if (err)
        return err;
    outbox_entry *e = NULL;
    size_t count = 0;
    sqlite3_bind_int64(st, 1, limit_of(max));
    err = collect(j, st, max, &e, &count, em);
    sqlite3_reset(st);
    if (err)
        return err;
    usher_op *v = malloc((count ? count : 1) * sizeof *v);
    if (!v) {
        free(e);
        return usher_fail(em, USHER_NOMEM, "out of memory reading the outbox");
    }
    for (size_t i = 0; i < count; i++)
        v[i] = e[i].op;
    free(e);
    *ops = v;
    *n = count;
    return USHER_OK;
}

usher_err journal_pending_count(journal *j, int64_t *n, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = jstmt(j, J_PENDING_COUNT, &st, em);
    if (err)
        return err;
    if (sqlite3_step(st) == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        err = store_fail(j->db, em, "journal: counting pending ops");
    sqlite3_reset(st);
    return err;
}

usher_err journal_outbox_count(journal *j, outbox_state which, int64_t *n, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = jstmt(j, J_STATE_COUNT, &st, em);
    if (err)
        return err;
    sqlite3_bind_int(st, 1, (int)which);
    if (sqlite3_step(st) == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    else
        err = store_fail(j->db, em, "journal: counting outbox entries");
    sqlite3_reset(st);
    return err;
}

usher_err journal_outbox_get(journal *j, const char *op_id, outbox_entry *out, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = jstmt(j, J_GET, &st, em);
    if (err)
        return err;
    sqlite3_bind_text(st, 1, op_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_entry(st, out);
    else if (rc == SQLITE_DONE)
        err = usher_fail(em, USHER_NOTFOUND, "op %.40s is not in the outbox", op_id);
    else
        err = store_fail(j->db, em, "journal: reading the outbox");
    sqlite3_reset(st);
    return err;
}

usher_err journal_outbox_list(journal *j, int64_t after, size_t max, outbox_entry **out, size_t *n,
                              usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = jstmt(j, J_LIST, &st, em);
    if (err)
        return err;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, limit_of(max));
    err = collect(j, st, max, out, n, em);
    sqlite3_reset(st);
    return err;
}

/* ---- sync rounds ---------------------------------------------------------- */

static usher_err record_verdict(journal *j, const verdict *v, int64_t now, usher_errmsg *em)
{
    verdict_status eff = verdict_effective(v);
    if (eff != VERDICT_ACCEPTED && eff != VERDICT_REJECTED)
        return usher_fail(em, USHER_INVAL, "verdict for op %.40s: neither accepted nor rejected",
                          v->op_id);
    sqlite3_stmt *st = NULL;
    usher_err err = jstmt(j, J_DECIDE, &st, em);
    if (err)
        return err;
    int rc = sqlite3_bind_int(st, 1, eff == VERDICT_ACCEPTED ? OUTBOX_ACCEPTED : OUTBOX_REJECTED);
    rc |= store__bind_verdict(st, 2, v);
    rc |= sqlite3_bind_int64(st, 2 + STORE_VERDICT_COLUMNS, now);
    rc |= sqlite3_bind_text(st, 3 + STORE_VERDICT_COLUMNS, v->op_id, -1, SQLITE_STATIC);
    if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
        err = store_fail(j->db, em, "journal: recording a verdict");
    sqlite3_reset(st); /* an unknown op id updates nothing: ignored */
    return err;
}

static usher_err upsert_into(journal *j, const change *c, bool staging, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err;
    int rc;
    if (c->type == CHANGE_SEAT) {
        if (!c->seat_id[0])
            return usher_fail(em, USHER_INVAL, "change %lld: seat change without a seat id",
                              (long long)c->seq);
        if ((err = jstmt(j, staging ? J_STAGE_SEAT_UPSERT : J_SEAT_UPSERT, &st, em)))
            return err;
        rc = sqlite3_bind_text(st, 1, c->seat_id, -1, SQLITE_STATIC);
        rc |= store__bind_seat(st, 2, &c->seat);
    } else if (c->type == CHANGE_TICKET) {
        if (!c->ticket.code[0])
            return usher_fail(em, USHER_INVAL, "change %lld: ticket change without a code",
                              (long long)c->seq);
        if ((err = jstmt(j, staging ? J_STAGE_TICKET_UPSERT : J_TICKET_UPSERT, &st, em)))
            return err;
        rc = store__bind_ticket(st, 1, &c->ticket);
    } else if (c->type == CHANGE_ENTRANCES) {
        return USHER_OK; /* the sync answer's entrances are stored beside (journal_set_entrances) */
    } else if (c->type == CHANGE_LAYOUT) {
        return usher_fail(em, USHER_INVAL,
                          "change %lld: a new layout is not an upsert: the replica is built "
                          "again from the snapshot (journal_replace_replica)",
                          (long long)c->seq);
    } else {
        return usher_fail(em, USHER_INVAL, "change %lld: unknown type %d", (long long)c->seq,
                          (int)c->type);
    }
    if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
        err = store_fail(j->db, em, "journal: updating the replica");
    sqlite3_reset(st);
    return err;
}

static usher_err upsert_change(journal *j, const change *c, usher_errmsg *em)
{
    return upsert_into(j, c, false, em);
}

usher_err journal_apply_round(journal *j, const verdict *v, size_t nv, const change *c, size_t nc,
                              int64_t cursor, int64_t now, usher_errmsg *em)
{
    int64_t old = 0;
    usher_err err = store_begin(j->db, em);
    if (err)
        return err;
    if (!err)
        err = meta_i64(j, K_CURSOR, &old, em);
    for (size_t i = 0; !err && i < nv; i++)
        err = record_verdict(j, &v[i], now, em);
    /* A change at or below the cursor is in the replica already, or was
     * replaced by a later one: an answer replayed late (a cache on the way,
     * a retried request) must not put the older value back. */
    for (size_t i = 0; !err && i < nc; i++)
        if (c[i].seq <= 0 || c[i].seq > old)
            err = upsert_change(j, &c[i], em);
    if (!err && cursor > old)
        err = meta_set_i64(j, K_CURSOR, cursor, em);
    if (!err)
        err = mark_synced(j, now, em);
    if (!err)
        err = store_commit(j->db, em);
    if (err)
        store_rollback(j->db);
    return err;
}

usher_err journal_replace_replica(journal *j, const char *layout_json, const change *c, size_t nc,
                                  int64_t cursor, int64_t now, usher_errmsg *em)
{
    char log_id[64];
    usher_err err = journal_get_log_id(j, log_id, sizeof log_id, em);
    journal_snapshot_end end = {.cursor = cursor, .log_id = log_id, .layout_json = layout_json};
    if (!err)
        err = swap_in(j, c, nc, &end, now, NULL, em);
    return err;
}

/* ---- the view -------------------------------------------------------------- */

/* Feeds every replica row of one table into st as a change. */
static usher_err load_rows(journal *j, state *st, change_type type, usher_errmsg *em)
{
    const char *sql = type == CHANGE_SEAT
                          ? "SELECT id, ticket, blocked, hold_device, hold_until, lease_device, "
                            "lease_until FROM r_seats"
                          : "SELECT code, name, class, seat, party, checked_in_at, "
                            "checkin_device, revoked, note, attention, checked_out_at, "
                            "checkout_device FROM r_tickets";
    sqlite3_stmt *q = NULL;
    usher_err err = USHER_OK;
    if (sqlite3_prepare_v2(j->db, sql, -1, &q, NULL) != SQLITE_OK) {
        err = store_fail(j->db, em, "journal: reading the replica");
        goto out;
    }
    int rc = SQLITE_DONE;
    change c;
    while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        memset(&c, 0, sizeof c);
        c.type = type;
        if (type == CHANGE_SEAT) {
            store__column_text(q, 0, c.seat_id, sizeof c.seat_id);
            store__read_seat(q, 1, &c.seat);
        } else {
            store__read_ticket(q, 0, &c.ticket);
        }
        err = state_apply_change(st, &c, em);
        if (err)
            usher_errmsg_prefix(em, "journal: the replica does not fit the layout");
    }
    if (!err && rc != SQLITE_DONE)
        err = store_fail(j->db, em, "journal: reading the replica");
out:
    sqlite3_finalize(q);
    return err;
}

void journal_view_apply(state *view, const usher_op *op, int64_t now)
{
    if (op->kind == OP_LEASE)
        return; /* not granted yet: nothing to count on */
    /* Like the coordinator, date the op by how long it has waited, so that
     * a pending hold here expires when it would there. */
    usher_op o = *op;
    o.wait_ms = now > o.at ? now - o.at : 0;
    apply_result res;
    state_apply(view, &o, now, &res);
}

usher_err journal_load_view(journal *j, const layout *l, int64_t now, state **out, usher_errmsg *em)
{
    state_config cfg = {.reseat = RESEAT_NONE, .remember_ops = false};
    state *st = NULL;
    usher_op *ops = NULL;
    size_t n = 0;
    /* One read transaction, so that syncd committing meanwhile cannot show a
     * replica from one round with the outbox of another. */
    usher_err err = store_exec(j->db, "BEGIN", em);
    if (err)
        return err;
    err = meta_i64(j, K_HOLD_TTL, &cfg.hold_ttl_ms, em);
    char reentry[16] = "";
    if (!err)
        err = meta_text(j, K_REENTRY, reentry, sizeof reentry, em);
    if (err)
        goto out;
    cfg.reentry_refused = settings_reentry_parse(reentry) == 1;
    st = state_new(l, &cfg);
    if (!st) {
        err = usher_fail(em, USHER_NOMEM, "out of memory building the seat view");
        goto out;
    }
    err = load_rows(j, st, CHANGE_TICKET, em);
    if (!err)
        err = load_rows(j, st, CHANGE_SEAT, em);
    if (!err)
        err = journal_pending(j, (size_t)-1, &ops, &n, em);
    if (err)
        goto out;
    for (size_t i = 0; i < n; i++)
        journal_view_apply(st, &ops[i], now);
out:
    store_rollback(j->db); /* ends the read transaction */
    free(ops);
    if (err) {
        state_free(st);
        return err;
    }
    *out = st;
    return USHER_OK;
}

void journal_set_busy_timeout(journal *j, int ms)
{
    sqlite3_busy_timeout(j->db, ms > 0 ? ms : 0);
}

int64_t journal_data_version(journal *j)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (jstmt(j, J_DATA_VERSION, &st, NULL) != USHER_OK)
        return v;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return v;
}

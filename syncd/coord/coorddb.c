/* coorddb.c - the coordinator's SQLite database: event and key in meta, seats and
 * tickets rows, the op log with verdicts, the numbered change log, alerts,
 * check-ins and devices with hashed tokens. Writes follow the in-memory state. */
#include "coorddb.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <unistd.h>

#include "coorddb_backend.h"
#include "coordwhere.h"
#include "store.h"
#include "text.h"

/* Meta keys. */
#define K_EVENT_ID "event_id"
#define K_EVENT_NAME "event_name"
#define K_CREATED "created_at"
#define K_HOLD_TTL "hold_ttl_ms"
#define K_RESEAT "reseat"
#define K_PK "signing_pk"
#define K_SK "signing_sk"
#define K_LAYOUT "layout"
#define K_LAYOUT_VERSION "layout_version" /* absent: 1, the layout init stored */
#define K_CODES "codes"                   /* strong | weak */
#define K_CODES_BY "codes_by"             /* import | organiser */
#define K_PIN_HASH "pin_hash"
#define K_TZ "tz"
#define K_LANG "lang"
#define K_REENTRY "reentry"
#define K_LOG_ID "log_id" /* this copy of the op log (absent: the event id) */

#define TOKEN_BYTES 32
#define TOKEN_HASH_BYTES crypto_generichash_BYTES /* BLAKE2b-256 */

#define CHANGE_COLUMNS                                                                             \
    "seq, type, seat_id, seat_ticket, seat_blocked, seat_hold_device, seat_hold_until, "           \
    "seat_lease_device, seat_lease_until, ticket_code, ticket_name, ticket_class, ticket_seat, "   \
    "ticket_party, "                                                                               \
    "ticket_checked_in_at, ticket_checkin_device, ticket_revoked, ticket_note, ticket_attention, " \
    "ticket_checked_out_at, ticket_checkout_device, layout_version"
#define DEVICE_COLUMNS "id, role, created_at, last_seen, cursor, pending, disabled, entrance"
#define ALERT_COLUMNS                                                                              \
    "id, kind, ticket, seat, other_seat, device, other_device, at, other_at, op_id, "              \
    "created_at, acked_at, note, before_text, after_text"

/* Statements of the write path and of every sync request, prepared once. */
enum {
    C_OP_INSERT,
    C_CHANGE_INSERT,
    C_SEAT_UPDATE,
    C_TICKET_UPSERT,
    C_ALERT_INSERT,
    C_CHECKIN_INSERT,
    C_CHANGES_SINCE,
    C_AUTH,
    C_SEEN,
    C_FIND_VERDICT,
    C_COUNT
};

static const char *const coord_sql[C_COUNT] = {
    [C_OP_INSERT] = "INSERT INTO ops(id, device, kind, ticket, seat, at, expect_ticket_seat, "
                    "expect_seat_free, party, ttl_ms, manual, note, status, first, reason, "
                    "reseat, ticket_seat, seat_ticket, checked_in_at, checkin_device, seq, "
                    "received_at, wait_ms) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                    "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
    [C_CHANGE_INSERT] = "INSERT INTO changes(seq, type, at, op_id, seat_id, seat_ticket, "
                        "seat_blocked, seat_hold_device, seat_hold_until, seat_lease_device, "
                        "seat_lease_until, ticket_code, ticket_name, ticket_class, ticket_seat, "
                        "ticket_party, ticket_checked_in_at, ticket_checkin_device, "
                        "ticket_revoked, ticket_note, ticket_attention, ticket_checked_out_at, "
                        "ticket_checkout_device, layout_version) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                        "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
    [C_SEAT_UPDATE] = "UPDATE seats SET ticket = ?1, blocked = ?2, hold_device = ?3, "
                      "hold_until = ?4, lease_device = ?5, lease_until = ?6 WHERE id = ?7",
    [C_TICKET_UPSERT] = "INSERT INTO tickets(code, name, class, seat, party, checked_in_at, "
                        "checkin_device, revoked, note, attention, checked_out_at, "
                        "checkout_device, added_at) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                        "ON CONFLICT(code) DO UPDATE SET name = excluded.name, "
                        "class = excluded.class, seat = excluded.seat, party = excluded.party, "
                        "checked_in_at = excluded.checked_in_at, "
                        "checkin_device = excluded.checkin_device, revoked = excluded.revoked, "
                        "note = excluded.note, attention = excluded.attention, "
                        "checked_out_at = excluded.checked_out_at, "
                        "checkout_device = excluded.checkout_device",
    [C_ALERT_INSERT] = "INSERT INTO alerts(kind, ticket, seat, other_seat, device, other_device, "
                       "at, other_at, op_id, created_at, note, before_text, after_text) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [C_CHECKIN_INSERT] = "INSERT INTO checkins(ticket, device, at, duplicate, op_id, manual, "
                         "entrance, override) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [C_CHANGES_SINCE] = "SELECT " CHANGE_COLUMNS " FROM changes WHERE seq > ?1 "
                        "ORDER BY seq LIMIT ?2",
    [C_AUTH] = "SELECT " DEVICE_COLUMNS ", token_hash FROM devices WHERE token_hash = ?1",
    [C_SEEN] = "UPDATE devices SET last_seen = ?2, cursor = ?3, pending = ?4 WHERE id = ?1",
    [C_FIND_VERDICT] = "SELECT o.id, o.status, o.first, o.reason, o.reseat, o.ticket_seat, "
                       "o.seat_ticket, o.checked_in_at, o.checkin_device "
                       "FROM op_ids k JOIN ops o ON o.seq = k.seq WHERE k.id = ?1",
};

struct coorddb {
    const coorddb_backend *be; /* another store (PostgreSQL): impl is it, the rest unused */
    coorddb_impl *impl;
    int lock_fd; /* coorddb_lock's hold on the file, -1 */
    sqlite3 *db;
    sqlite3_stmt *stmt[C_COUNT];
    int64_t last_seq;    /* highest committed change seq */
    int64_t last_op_seq; /* highest committed ops.seq (arrival order) */
    int64_t op_ids_seq;  /* ops up to this seq are in op_ids */
    int64_t wal_frames;  /* frames in the log after the last commit (manual checkpoints) */
    bool unsure;         /* a commit failed with an I/O error: the file's content is unknown */
    char *path;          /* the file, for coorddb_lock */
};

/* Commits, and notes a failure that leaves the outcome unknown: an I/O error
 * while committing (a failed fsync above all) may leave the transaction's
 * frames in the log, where SQLite's recovery finds them after a restart. A
 * full disk or a busy lock is a clean failure: nothing was written. */
static usher_err commit(coorddb *db, usher_errmsg *em)
{
    if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return USHER_OK;
    int rc = sqlite3_errcode(db->db) & 0xff;
    usher_err err = store_fail(db->db, em, "cannot commit");
    if (rc == SQLITE_IOERR || rc == SQLITE_CORRUPT) {
        db->unsure = true;
        usher_errmsg_prefix(em, "the disk failed while saving, so what it holds is unknown");
    }
    store_rollback(db->db);
    return err;
}

/* A cached statement, reset and ready for binding. */
static usher_err cstmt(coorddb *db, int id, sqlite3_stmt **out, usher_errmsg *em)
{
    if (!db->stmt[id] && sqlite3_prepare_v3(db->db, coord_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                            &db->stmt[id], NULL) != SQLITE_OK)
        return store_fail(db->db, em, "coordinator database: preparing a query");
    sqlite3_reset(db->stmt[id]);
    sqlite3_clear_bindings(db->stmt[id]);
    *out = db->stmt[id];
    return USHER_OK;
}

/* Runs a cached write statement (already bound) to completion and resets it. */
static usher_err step_done(coorddb *db, sqlite3_stmt *st, int bind_rc, const char *what,
                           usher_errmsg *em)
{
    usher_err err = USHER_OK;
    if (bind_rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
        err = store_fail(db->db, em, what);
    sqlite3_reset(st);
    return err;
}

static usher_err query_i64(coorddb *db, const char *sql, int64_t *out, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = USHER_OK;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        err = store_fail(db->db, em, "coordinator database");
    else
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return err;
}

static usher_err meta_i64(coorddb *db, const char *key, int64_t *out, usher_errmsg *em);

static const coorddb_backend *postgresql_backend;

void coorddb_set_postgresql(const coorddb_backend *b)
{
    postgresql_backend = b;
}

/* Opens a store of another kind (PostgreSQL) behind the same handle. */
static usher_err no_postgresql(usher_errmsg *em)
{
    return usher_fail(em, USHER_INVAL,
                      "--db names a PostgreSQL database, and this program has no "
                      "PostgreSQL store: only usher-coord does");
}

static usher_err open_other(const char *where, const char *event_id, bool create, coorddb *db,
                            usher_errmsg *em)
{
    if (!postgresql_backend)
        return no_postgresql(em);
    db->be = postgresql_backend;
    return db->be->open(where, event_id, create, &db->impl, em);
}

usher_err coorddb_open(const char *path, coorddb **out, usher_errmsg *em)
{
    return coorddb_open_event(path, NULL, false, out, em);
}

usher_err coorddb_events(const char *path, coorddb_event_row **out, size_t *n, usher_errmsg *em)
{
    usher_err err = coordwhere_check(path, em);
    if (err)
        return err;
    if (coordwhere_kind_of(path) == COORDWHERE_POSTGRESQL)
        return postgresql_backend ? postgresql_backend->events(path, out, n, em)
                                  : no_postgresql(em);
    coorddb *db = NULL;
    coord_event ev;
    if ((err = coorddb_open(path, &db, em)) == USHER_OK)
        err = coorddb_get_event(db, &ev, em);
    coorddb_free(db);
    coorddb_event_row *row = err ? NULL : calloc(1, sizeof *row);
    if (!err && !row)
        err = usher_fail(em, USHER_NOMEM, "out of memory");
    if (!err) {
        text_copy(row->name, sizeof row->name, ev.name);
        row->created_at = ev.created_at;
        *out = row;
        *n = 1;
    }
    sodium_memzero(&ev, sizeof ev);
    return err;
}

usher_err coorddb_open_event(const char *path, const char *event_id, bool create, coorddb **out,
                             usher_errmsg *em)
{
    if (sodium_init() < 0)
        return usher_fail(em, USHER_IO, "libsodium cannot initialise (no system randomness?)");
    usher_err err = coordwhere_check(path, em);
    if (err)
        return err;
    coorddb *db = calloc(1, sizeof *db);
    if (!db)
        return usher_fail(em, USHER_NOMEM, "out of memory opening %s", path);
    db->lock_fd = -1;
    if (event_id && (err = coordwhere_event_id_check(event_id, em)))
        goto fail;
    if (coordwhere_kind_of(path) == COORDWHERE_POSTGRESQL) {
        if ((err = open_other(path, event_id, create, db, em)))
            goto fail;
        *out = db;
        return USHER_OK;
    }
    if (event_id) {
        err = usher_fail(em, USHER_INVAL,
                         "--event-id selects one of the events of a PostgreSQL database; the "
                         "SQLite file %s holds one event: leave --event-id out",
                         path);
        goto fail;
    }
    db->path = strdup(path);
    if (!db->path) {
        err = usher_fail(em, USHER_NOMEM, "out of memory opening %s", path);
        goto fail;
    }
    err = store_open(path, STORE_COORD, &db->db, em);
    /* A page cache of 2 MiB (SQLite's default, said here so that it stays
     * a decision) holds the op id table's upper pages (a million op ids have
     * about 120) and a batch's leaves, and bounds what the database costs in
     * memory however long the event runs: 8 MiB was most of a 250-seat
     * event's growth in RSS over a million ops (to 2.1 x its RSS with none). */
    if (!err)
        err = store_exec(db->db, "PRAGMA cache_size = -2048", em);
    if (!err)
        err = query_i64(db, "SELECT coalesce(max(seq), 0) FROM changes", &db->last_seq, em);
    if (!err)
        err = query_i64(db, "SELECT coalesce(max(seq), 0) FROM ops", &db->last_op_seq, em);
    if (!err)
        err = meta_i64(db, "op_ids_seq", &db->op_ids_seq, em);
    if (err)
        goto fail;
    *out = db;
    return USHER_OK;
fail:
    coorddb_free(db);
    return err;
}

void coorddb_free(coorddb *db)
{
    if (!db)
        return;
    if (db->be && db->impl)
        db->be->free(db->impl);
    if (db->lock_fd >= 0)
        close(db->lock_fd);
    free(db->path);
    for (int i = 0; i < C_COUNT; i++)
        sqlite3_finalize(db->stmt[i]);
    sqlite3_close(db->db);
    free(db);
}

coordwhere_kind coorddb_kind(const coorddb *db)
{
    return db->be ? COORDWHERE_POSTGRESQL : COORDWHERE_SQLITE;
}

usher_err coorddb_lock(coorddb *db, usher_errmsg *em)
{
    if (db->be)
        return db->be->lock(db->impl, em);
    if (db->lock_fd >= 0)
        return USHER_OK;
    int fd = open(db->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return usher_fail(em, USHER_IO, "cannot open %s: %s", db->path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return usher_fail(em, USHER_BUSY,
                          "%s is in use by a running 'usher-coord serve': stop it first", db->path);
    }
    db->lock_fd = fd;
    return USHER_OK;
}

usher_err coorddb_read_rows(coorddb *db, const char *sql, coorddb_row_fn fn, void *arg,
                            usher_errmsg *em)
{
    if (db->be)
        return db->be->read_rows(db->impl, sql, fn, arg, em);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(db->db, em, "cannot read the database");
    int rc, n = sqlite3_column_count(st);
    const char *cols[COORDDB_MAX_COLUMNS];
    if (n > COORDDB_MAX_COLUMNS) {
        sqlite3_finalize(st);
        return usher_fail(em, USHER_INVAL, "a query of more than %d columns", COORDDB_MAX_COLUMNS);
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < n; c++) {
            const char *v = (const char *)sqlite3_column_text(st, c);
            cols[c] = v ? v : "";
        }
        fn(arg, n, cols);
    }
    usher_err err = rc == SQLITE_DONE ? USHER_OK : store_fail(db->db, em, "reading the database");
    sqlite3_finalize(st);
    return err;
}

usher_err coorddb_write(coorddb *db, const char *sql, const char *const *params, size_t n,
                        int64_t *changed, usher_errmsg *em)
{
    if (db->be)
        return db->be->write(db->impl, sql, params, n, changed, em);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(db->db, em, "cannot write to the database");
    int rc = SQLITE_OK;
    for (size_t i = 0; i < n; i++)
        rc |= sqlite3_bind_text(st, (int)i + 1, params[i], -1, SQLITE_TRANSIENT);
    usher_err err = USHER_OK;
    if (rc != SQLITE_OK || sqlite3_bind_parameter_count(st) != (int)n ||
        sqlite3_step(st) != SQLITE_DONE)
        err = store_fail(db->db, em, "cannot write to the database");
    else if (changed)
        *changed = sqlite3_changes(db->db);
    sqlite3_finalize(st);
    return err;
}

struct sqlite3 *coorddb_sqlite(coorddb *db)
{
    if (db->be)
        return NULL;
    return db->db;
}

int64_t coorddb_last_seq(coorddb *db)
{
    if (db->be)
        return db->be->last_seq(db->impl);
    return db->last_seq;
}

/* ---- the event ------------------------------------------------------------- */

static usher_err meta_set_i64(coorddb *db, const char *key, int64_t v, usher_errmsg *em)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    return store_meta_set(db->db, key, buf, em);
}

static usher_err meta_i64(coorddb *db, const char *key, int64_t *out, usher_errmsg *em)
{
    char buf[32];
    usher_err err = store_meta_get(db->db, key, buf, sizeof buf, em);
    if (!err && !text_parse_i64(buf, INT64_MIN, INT64_MAX, out))
        err = usher_fail(em, USHER_DB, "coordinator database: meta \"%s\" is not a number", key);
    return err;
}

static usher_err insert_seats(coorddb *db, const layout *l, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = USHER_OK;
    if (sqlite3_prepare_v2(db->db, "INSERT INTO seats(idx, id) VALUES (?1, ?2)", -1, &st, NULL) !=
        SQLITE_OK)
        return store_fail(db->db, em, "coordinator database: adding seats");
    for (int i = 0; !err && i < layout_seat_count(l); i++) {
        sqlite3_reset(st);
        int rc = sqlite3_bind_int(st, 1, i);
        rc |= sqlite3_bind_text(st, 2, layout_seat_at(l, i)->id, -1, SQLITE_STATIC);
        if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
            err = store_fail(db->db, em, "coordinator database: adding seats");
    }
    sqlite3_finalize(st);
    return err;
}

/* Writes the event's meta rows; the caller holds the transaction. */
static usher_err write_event(coorddb *db, const char *name, const char *layout_json, int64_t now,
                             usher_errmsg *em)
{
    uint8_t raw_id[16];
    char event_id[2 * sizeof raw_id + 1];
    randombytes_buf(raw_id, sizeof raw_id);
    text_hex(raw_id, sizeof raw_id, event_id);
    qrsig_keypair kp;
    char pk[2 * QRSIG_PK_BYTES + 1], sk[QRSIG_KEY_TEXT_SIZE];
    usher_err err = qrsig_keygen(&kp);
    if (err)
        return usher_fail(em, err, "cannot make the event's signing key (libsodium failed)");
    qrsig_pk_to_text(kp.pk, pk);
    qrsig_sk_to_text(kp.sk, sk);
    err = store_meta_set(db->db, K_EVENT_ID, event_id, em);
    if (!err)
        err = store_meta_set(db->db, K_EVENT_NAME, name, em);
    if (!err)
        err = meta_set_i64(db, K_CREATED, now, em);
    if (!err)
        err = meta_set_i64(db, K_HOLD_TTL, USHER_DEFAULT_HOLD_TTL_MS, em);
    if (!err)
        err = store_meta_set(db->db, K_RESEAT, "nearest", em);
    if (!err)
        err = store_meta_set(db->db, K_PK, pk, em);
    if (!err)
        err = store_meta_set(db->db, K_SK, sk, em);
    if (!err)
        err = store_meta_set(db->db, K_LAYOUT, layout_json, em);
    sodium_memzero(&kp, sizeof kp);
    sodium_memzero(sk, sizeof sk);
    return err;
}

usher_err coorddb_init_event(coorddb *db, const char *name, const layout *l, int64_t now,
                             usher_errmsg *em)
{
    if (db->be)
        return db->be->init_event(db->impl, name, l, now, em);
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len >= USHER_EVENT_NAME_SIZE || !text_utf8_valid(name, len) ||
        !text_printable(name))
        return usher_fail(em, USHER_INVAL,
                          "the event name must be one line of UTF-8, 1 to %d bytes",
                          USHER_EVENT_NAME_SIZE - 1);
    char *json = layout_to_json(l);
    if (!json)
        return usher_fail(em, USHER_NOMEM, "out of memory storing the layout");
    char existing[USHER_EVENT_NAME_SIZE];
    usher_err err = store_begin(db->db, em);
    if (err)
        goto out;
    usher_errmsg probe; /* NOTFOUND is the good answer here: keep em clean */
    err = store_meta_get(db->db, K_EVENT_NAME, existing, sizeof existing, &probe);
    if (err != USHER_OK && err != USHER_NOTFOUND && em)
        *em = probe;
    if (err == USHER_OK)
        err = usher_fail(em, USHER_EXISTS,
                         "this database already holds the event \"%s\"; use a new database "
                         "file for a new event",
                         existing);
    if (err != USHER_NOTFOUND)
        goto out;
    err = write_event(db, name, json, now, em);
    if (!err)
        err = insert_seats(db, l, em);
    if (!err)
        err = commit(db, em);
out:
    store_rollback(db->db);
    free(json);
    return err;
}

/* Reads one optional meta text: *found false (and out "") when absent. */
static usher_err meta_opt(coorddb *db, const char *key, char *out, size_t size, usher_errmsg *em)
{
    return store_meta_opt(db->db, key, out, size, em);
}

/* The event settings; an event made before they existed reads the defaults
 * (settings_default), and its codes as its tickets are. */
static usher_err read_settings(coorddb *db, event_settings *s, usher_errmsg *em)
{
    char codes[16], by[16];
    settings_default(s);
    usher_err err = meta_opt(db, K_CODES, codes, sizeof codes, em);
    if (!err)
        err = meta_opt(db, K_CODES_BY, by, sizeof by, em);
    if (!err)
        err = meta_opt(db, K_PIN_HASH, s->pin_hash, sizeof s->pin_hash, em);
    if (!err)
        err = meta_opt(db, K_TZ, s->tz, sizeof s->tz, em);
    if (!err)
        err = meta_opt(db, K_LANG, s->lang, sizeof s->lang, em);
    char reentry[16] = "";
    if (!err)
        err = meta_opt(db, K_REENTRY, reentry, sizeof reentry, em);
    if (err)
        return err;
    if (reentry[0] && settings_reentry_parse(reentry) < 0)
        return usher_fail(em, USHER_DB, "meta \"reentry\" is \"%s\"; it must be allowed or refused",
                          reentry);
    s->reentry_refused = settings_reentry_parse(reentry) == 1;
    int strength = codes[0] ? ticketcode_strength_parse(codes) : (int)TICKETCODE_STRONG;
    if (strength < 0)
        return usher_fail(em, USHER_DB, "meta \"codes\" is \"%s\"; it must be strong or weak",
                          codes);
    s->codes = (ticketcode_strength)strength;
    s->codes_by_organiser = !strcmp(by, "organiser");
    if (!settings_pin_hash_ok(s->pin_hash) || !settings_tz_ok(s->tz) || !settings_lang_ok(s->lang))
        return usher_fail(em, USHER_DB,
                          "the event's staff PIN hash, time zone or language is damaged");
    return USHER_OK;
}

static usher_err write_settings(coorddb *db, const event_settings *s, usher_errmsg *em)
{
    usher_err err = store_meta_set(db->db, K_CODES, ticketcode_strength_name(s->codes), em);
    if (!err)
        err =
            store_meta_set(db->db, K_CODES_BY, s->codes_by_organiser ? "organiser" : "import", em);
    if (!err)
        err = store_meta_set(db->db, K_PIN_HASH, s->pin_hash, em);
    if (!err)
        err = store_meta_set(db->db, K_TZ, s->tz, em);
    if (!err)
        err = store_meta_set(db->db, K_LANG, s->lang, em);
    if (!err)
        err = store_meta_set(db->db, K_REENTRY, settings_reentry_name(s->reentry_refused), em);
    return err;
}

usher_err coorddb_set_settings(coorddb *db, const event_settings *s, usher_errmsg *em)
{
    if (db->be)
        return db->be->set_settings(db->impl, s, em);
    if (!settings_pin_hash_ok(s->pin_hash) || !settings_tz_ok(s->tz) ||
        !settings_lang_ok(s->lang) ||
        (s->codes != TICKETCODE_STRONG && s->codes != TICKETCODE_WEAK))
        return usher_fail(em, USHER_INVAL,
                          "event settings: bad PIN hash, time zone, language or codes");
    char probe[64];
    usher_err err = store_begin(db->db, em);
    if (!err)
        err = store_meta_get(db->db, K_EVENT_ID, probe, sizeof probe, em);
    if (err == USHER_NOTFOUND)
        err = usher_fail(em, USHER_NOTFOUND,
                         "this database holds no event yet: run usher-coord init");
    if (!err)
        err = write_settings(db, s, em);
    if (!err)
        err = store_commit(db->db, em);
    store_rollback(db->db);
    return err;
}

usher_err coorddb_get_event(coorddb *db, coord_event *out, usher_errmsg *em)
{
    if (db->be) {
        usher_err err = db->be->get_event(db->impl, out, em);
        if (!err && !out->log_id[0]) /* a store without log ids: the event's own */
            text_copy(out->log_id, sizeof out->log_id, out->event_id);
        return err;
    }
    coord_event ev;
    memset(&ev, 0, sizeof ev);
    char reseat[16], pk[2 * QRSIG_PK_BYTES + 1], sk[QRSIG_KEY_TEXT_SIZE];
    usher_err err = store_meta_get(db->db, K_EVENT_ID, ev.event_id, sizeof ev.event_id, em);
    if (err == USHER_NOTFOUND)
        return usher_fail(em, USHER_NOTFOUND,
                          "this database holds no event yet: run usher-coord init");
    if (!err)
        err = store_meta_get(db->db, K_EVENT_NAME, ev.name, sizeof ev.name, em);
    if (!err)
        err = meta_i64(db, K_CREATED, &ev.created_at, em);
    if (!err)
        err = meta_i64(db, K_HOLD_TTL, &ev.hold_ttl_ms, em);
    if (!err)
        err = store_meta_get(db->db, K_RESEAT, reseat, sizeof reseat, em);
    if (!err)
        err = store_meta_get(db->db, K_PK, pk, sizeof pk, em);
    if (!err)
        err = store_meta_get(db->db, K_SK, sk, sizeof sk, em);
    if (!err && (!qrsig_pk_from_text(pk, ev.pk) || !qrsig_sk_from_text(sk, ev.sk)))
        err = usher_fail(em, USHER_DB, "the event's signing key in the database is damaged");
    if (!err && strcmp(reseat, "nearest") != 0 && strcmp(reseat, "none") != 0)
        err = usher_fail(em, USHER_DB,
                         "meta \"reseat\" is \"%s\"; it must be \"nearest\" or \"none\"", reseat);
    sodium_memzero(sk, sizeof sk);
    if (err) {
        sodium_memzero(&ev, sizeof ev);
        return err;
    }
    ev.reseat = strcmp(reseat, "nearest") == 0 ? RESEAT_NEAREST : RESEAT_NONE;
    err = meta_opt(db, K_LOG_ID, ev.log_id, sizeof ev.log_id, em);
    if (!err && !ev.log_id[0])
        text_copy(ev.log_id, sizeof ev.log_id, ev.event_id);
    if (!err)
        err = read_settings(db, &ev.settings, em);
    if (err) {
        sodium_memzero(&ev, sizeof ev);
        return err;
    }
    *out = ev;
    sodium_memzero(&ev, sizeof ev);
    return USHER_OK;
}

usher_err coorddb_layout_json(coorddb *db, char **json, usher_errmsg *em)
{
    if (db->be)
        return db->be->layout_json(db->impl, json, em);
    usher_err err = store_meta_dup(db->db, K_LAYOUT, json, em);
    if (err == USHER_NOTFOUND)
        return usher_fail(em, USHER_NOTFOUND,
                          "this database holds no event yet: run usher-coord init");
    return err;
}

/* ---- loading the state ------------------------------------------------------ */

/* Feeds every seats or tickets row into st as a change. */
static usher_err load_rows(coorddb *db, state *st, change_type type, usher_errmsg *em)
{
    const char *sql = type == CHANGE_SEAT
                          ? "SELECT id, ticket, blocked, hold_device, hold_until, lease_device, "
                            "lease_until FROM seats ORDER BY idx"
                          : "SELECT code, name, class, seat, party, checked_in_at, "
                            "checkin_device, revoked, note, attention, checked_out_at, "
                            "checkout_device FROM tickets";
    sqlite3_stmt *q = NULL;
    usher_err err = USHER_OK;
    int rc = SQLITE_DONE;
    if (sqlite3_prepare_v2(db->db, sql, -1, &q, NULL) != SQLITE_OK) {
        err = store_fail(db->db, em, "coordinator database: loading");
        goto out;
    }
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
            usher_errmsg_prefix(em, "coordinator database: loading %s",
                                type == CHANGE_SEAT ? "seats" : "tickets");
    }
    if (!err && rc != SQLITE_DONE)
        err = store_fail(db->db, em, "coordinator database: loading");
out:
    sqlite3_finalize(q);
    return err;
}

/* Remembers the logged verdicts not yet in op_ids (the rest are found there),
 * so that a retried op is answered as before. */
static usher_err load_verdicts(coorddb *db, state *st, usher_errmsg *em)
{
    sqlite3_stmt *q = NULL;
    usher_err err = USHER_OK;
    int rc = SQLITE_DONE;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT id, status, first, reason, reseat, ticket_seat, seat_ticket, "
                           "checked_in_at, checkin_device FROM ops WHERE seq > ?1 ORDER BY seq",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(q, 1, db->op_ids_seq) != SQLITE_OK) {
        err = store_fail(db->db, em, "coordinator database: loading verdicts");
        goto out;
    }
    verdict v;
    while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        store__read_verdict(q, 1, &v);
        store__column_text(q, 0, v.op_id, sizeof v.op_id);
        usher_err e = state_remember(st, &v);
        if (e == USHER_NOMEM)
            err = usher_fail(em, e, "out of memory loading verdicts");
        /* INVAL (an id that is no UUID) cannot be retried as a duplicate
         * anyway. EXISTS cannot happen: the committer never writes an id it
         * already remembers, and coorddb_commit refuses one twice in a
         * batch (schema 4 keeps no unique index on ops.id). */
    }
    if (!err && rc != SQLITE_DONE)
        err = store_fail(db->db, em, "coordinator database: loading verdicts");
out:
    sqlite3_finalize(q);
    return err;
}

usher_err coorddb_load(coorddb *db, const state_config *cfg, layout **l, state **st,
                       usher_errmsg *em)
{
    if (db->be)
        return db->be->load(db->impl, cfg, l, st, em);
    char *json = NULL;
    layout *lay = NULL;
    state *s = NULL;
    usher_err err = store_exec(db->db, "BEGIN", em);
    if (err)
        return err;
    err = coorddb_layout_json(db, &json, em);
    if (err)
        goto fail;
    err = layout_from_json(json, strlen(json), &lay, em);
    if (err) {
        usher_errmsg_prefix(em, "the layout stored in the database");
        goto fail;
    }
    s = state_new(lay, cfg);
    if (!s) {
        err = usher_fail(em, USHER_NOMEM, "out of memory loading the state");
        goto fail;
    }
    err = load_rows(db, s, CHANGE_TICKET, em);
    if (!err)
        err = load_rows(db, s, CHANGE_SEAT, em);
    if (!err && cfg->remember_ops)
        err = load_verdicts(db, s, em);
    if (err)
        goto fail;
    if (!state_check(s, em)) {
        usher_errmsg_prefix(em, "the database breaks the one-seat-one-ticket rule");
        err = USHER_CONFLICT;
        goto fail;
    }
    store_rollback(db->db);
    free(json);
    *l = lay;
    *st = s;
    return USHER_OK;
fail:
    store_rollback(db->db);
    state_free(s);
    layout_free(lay);
    free(json);
    return err;
}

/* ---- writing changes ---------------------------------------------------------- */

/* Logs change c as number seq and updates the seats or tickets row it describes.
 * The caller holds the transaction. */
static usher_err write_change(coorddb *db, const change *c, int64_t seq, const char *op_id,
                              int64_t now, usher_errmsg *em)
{
    static const seat_state no_seat;
    static const ticket_state no_ticket;
    bool is_seat = c->type == CHANGE_SEAT, is_layout = c->type == CHANGE_LAYOUT;
    bool is_entrances = c->type == CHANGE_ENTRANCES;
    if (!is_seat && !is_layout && !is_entrances && c->type != CHANGE_TICKET)
        return usher_fail(em, USHER_INVAL, "change of unknown type %d", (int)c->type);
    sqlite3_stmt *st = NULL;
    usher_err err = cstmt(db, C_CHANGE_INSERT, &st, em);
    if (err)
        return err;
    int rc = sqlite3_bind_int64(st, 1, seq);
    rc |= sqlite3_bind_text(st, 2,
                            is_seat        ? "seat"
                            : is_layout    ? "layout"
                            : is_entrances ? "entrances"
                                           : "ticket",
                            -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int64(st, 3, now);
    rc |= sqlite3_bind_text(st, 4, op_id ? op_id : "", -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 5, is_seat ? c->seat_id : "", -1, SQLITE_STATIC);
    rc |= store__bind_seat(st, 6, is_seat ? &c->seat : &no_seat);
    rc |= store__bind_ticket(st, 6 + STORE_SEAT_COLUMNS,
                             is_seat || is_layout || is_entrances ? &no_ticket : &c->ticket);
    rc |= sqlite3_bind_int64(st, 6 + STORE_SEAT_COLUMNS + STORE_TICKET_COLUMNS,
                             is_layout ? c->layout_version : 0);
    if ((err = step_done(db, st, rc, "coordinator database: logging a change", em)))
        return err;
    if (is_layout || is_entrances)
        return USHER_OK; /* the seats' rows are written by coorddb_set_layout; an entrance
                            change is only a mark (coord_entrance.c wrote the rows) */
    if (is_seat) {
        if ((err = cstmt(db, C_SEAT_UPDATE, &st, em)))
            return err;
        rc = store__bind_seat(st, 1, &c->seat);
        rc |= sqlite3_bind_text(st, 1 + STORE_SEAT_COLUMNS, c->seat_id, -1, SQLITE_STATIC);
        if ((err = step_done(db, st, rc, "coordinator database: updating a seat", em)))
            return err;
        if (sqlite3_changes(db->db) != 1)
            return usher_fail(em, USHER_NOTFOUND, "seat %s is not in the database", c->seat_id);
        return USHER_OK;
    }
    if ((err = cstmt(db, C_TICKET_UPSERT, &st, em)))
        return err;
    rc = store__bind_ticket(st, 1, &c->ticket);
    rc |= sqlite3_bind_int64(st, 1 + STORE_TICKET_COLUMNS, now);
    return step_done(db, st, rc, "coordinator database: updating a ticket", em);
}

/* Adds tickets to a copy of st first, so that every check state_add_ticket
 * makes runs before anything is written or the real state is touched. */
static usher_err add_tickets_tx(coorddb *db, state *trial, const ticket_list *tl, int64_t now,
                                usher_errmsg *em)
{
    change c;
    usher_err err = USHER_OK;
    for (size_t i = 0; !err && i < tl->count; i++) {
        const ticket_rec *r = &tl->items[i];
        err = state_add_ticket(trial, r->code, r->name, r->klass, &c, em);
        if (!err && (r->note[0] || r->attention))
            err = state_note_ticket(trial, r->code, r->note, r->attention, &c, em);
        if (err == USHER_EXISTS)
            err = usher_fail(em, USHER_EXISTS, "ticket %s is listed twice; nothing was added",
                             r->code);
        else if (err)
            usher_errmsg_prefix(em, "nothing was added");
        else
            err = write_change(db, &c, db->last_seq + 1 + (int64_t)i, NULL, now, em);
    }
    return err;
}

/* A file of weak codes makes the event's codes weak, unless the organiser
 * decided (event set --codes); the caller holds the transaction. */
static usher_err note_codes(coorddb *db, const ticket_list *tl, usher_errmsg *em)
{
    event_settings s;
    usher_err err = read_settings(db, &s, em);
    if (err || s.codes_by_organiser || s.codes == TICKETCODE_WEAK)
        return err;
    ticketcode_report rep;
    err = ticket_list_classify(tl, &rep);
    if (err)
        return usher_fail(em, err, "out of memory checking the ticket codes");
    if (rep.strength == TICKETCODE_WEAK)
        err = store_meta_set(db->db, K_CODES, ticketcode_strength_name(TICKETCODE_WEAK), em);
    return err;
}

/* The seats an imported file gives (the caller holds the transaction). */
static usher_err note_import_seats(coorddb *db, const ticket_list *tl, usher_errmsg *em)
{
    sqlite3_stmt *q = NULL;
    usher_err err = USHER_OK;
    for (size_t i = 0; i < tl->count && !err; i++) {
        const ticket_rec *r = &tl->items[i];
        if (!r->seat[0])
            continue;
        if (!q && sqlite3_prepare_v2(db->db,
                                     "INSERT INTO import_seats(code, seat) VALUES (?1, ?2) "
                                     "ON CONFLICT(code) DO UPDATE SET seat = excluded.seat",
                                     -1, &q, NULL) != SQLITE_OK) {
            err = store_fail(db->db, em, "coordinator database: remembering the file's seats");
            break;
        }
        sqlite3_reset(q);
        int rc = sqlite3_bind_text(q, 1, r->code, -1, SQLITE_STATIC);
        rc |= sqlite3_bind_text(q, 2, r->seat, -1, SQLITE_STATIC);
        if (rc != SQLITE_OK || sqlite3_step(q) != SQLITE_DONE)
            err = store_fail(db->db, em, "coordinator database: remembering the file's seats");
    }
    sqlite3_finalize(q);
    return err;
}

usher_err coorddb_import_seats(coorddb *db, ticket_list *out, usher_errmsg *em)
{
    if (db->be)
        return db->be->import_seats(db->impl, out, em);
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db->db, "SELECT code, seat FROM import_seats ORDER BY code", -1, &q,
                           NULL) != SQLITE_OK)
        return store_fail(db->db, em, "coordinator database: reading the imported seats");
    usher_err err = USHER_OK;
    int rc = SQLITE_DONE;
    while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        ticket_rec r = {0};
        const char *code = (const char *)sqlite3_column_text(q, 0);
        const char *seat = (const char *)sqlite3_column_text(q, 1);
        text_copy(r.code, sizeof r.code, code ? code : "");
        text_copy(r.seat, sizeof r.seat, seat ? seat : "");
        err = ticket_list_push(out, &r);
        if (err)
            err = usher_fail(em, err, "out of memory reading the imported seats");
    }
    if (!err && rc != SQLITE_DONE)
        err = store_fail(db->db, em, "coordinator database: reading the imported seats");
    sqlite3_finalize(q);
    return err;
}

usher_err coorddb_add_tickets(coorddb *db, state *st, const ticket_list *tl, int64_t now,
                              size_t *added, usher_errmsg *em)
{
    if (db->be)
        return db->be->add_tickets(db->impl, st, tl, now, added, em);
    for (size_t i = 0; i < tl->count; i++)
        if (state_find_ticket(st, tl->items[i].code) >= 0)
            return usher_fail(em, USHER_EXISTS, "ticket %s is already imported; nothing was added",
                              tl->items[i].code);
    if (tl->count == 0) {
        *added = 0;
        return USHER_OK;
    }
    state *trial = state_clone(st);
    if (!trial)
        return usher_fail(em, USHER_NOMEM, "out of memory importing tickets");
    usher_err err = store_begin(db->db, em);
    if (!err)
        err = add_tickets_tx(db, trial, tl, now, em);
    if (!err)
        err = note_codes(db, tl, em);
    if (!err)
        err = commit(db, em);
    store_rollback(db->db);
    state_free(trial);
    if (err)
        return err;
    db->last_seq += (int64_t)tl->count;
    for (size_t i = 0; i < tl->count; i++) {
        const ticket_rec *r = &tl->items[i];
        if (state_add_ticket(st, r->code, r->name, r->klass, NULL, NULL) != USHER_OK ||
            ((r->note[0] || r->attention) &&
             state_note_ticket(st, r->code, r->note, r->attention, NULL, NULL) != USHER_OK))
            return usher_fail(em, USHER_NOMEM,
                              "the tickets were saved but memory ran out; restart "
                              "usher-coord");
    }
    *added = tl->count;
    return USHER_OK;
}

static usher_err write_alert_trail(coorddb *db, const alert *a, const char *before,
                                   const char *after, int64_t now, usher_errmsg *em);

usher_err coorddb_admin_change(coorddb *db, state *st, coorddb_admin_fn fn, void *arg,
                               const coord_alert *trail, size_t ntrail,
                               const ticket_list *new_codes, int64_t now, int64_t *last_seq,
                               usher_errmsg *em)
{
    if (db->be)
        return db->be->admin_change(db->impl, st, fn, arg, trail, ntrail, new_codes, now, last_seq,
                                    em);
    change *cs = NULL;
    size_t n = 0;
    state *trial = state_clone(st);
    if (!trial)
        return usher_fail(em, USHER_NOMEM, "out of memory changing tickets");
    usher_err err = fn(trial, arg, &cs, &n, em);
    state_free(trial);
    if (!err)
        err = store_begin(db->db, em);
    for (size_t i = 0; !err && i < n; i++)
        err = write_change(db, &cs[i], db->last_seq + 1 + (int64_t)i, NULL, now, em);
    for (size_t i = 0; !err && i < ntrail; i++)
        err = write_alert_trail(db, &trail[i].a, trail[i].before, trail[i].after, now, em);
    if (!err && new_codes && new_codes->count)
        err = note_codes(db, new_codes, em);
    if (!err && new_codes)
        err = note_import_seats(db, new_codes, em);
    if (!err)
        err = store_commit(db->db, em);
    store_rollback(db->db);
    free(cs);
    if (err)
        return err;
    db->last_seq += (int64_t)n;
    cs = NULL;
    if (fn(st, arg, &cs, &n, em) != USHER_OK)
        return usher_fail(em, USHER_NOMEM,
                          "the tickets were saved but memory ran out; restart usher-coord");
    free(cs);
    if (last_seq)
        *last_seq = db->last_seq;
    return USHER_OK;
}

usher_err coorddb_layout_version(coorddb *db, int64_t *out, usher_errmsg *em)
{
    if (db->be)
        return db->be->layout_version(db->impl, out, em);
    int64_t v = 1;
    usher_errmsg lem = {{0}};
    usher_err err = meta_i64(db, K_LAYOUT_VERSION, &v, &lem);
    if (err == USHER_NOTFOUND)
        err = USHER_OK, v = 1;
    else if (err)
        return usher_fail(em, err, "%s", lem.text);
    if (!err && v < 1)
        err = usher_fail(em, USHER_DB, "coordinator database: layout version %lld is below 1",
                         (long long)v);
    if (!err)
        *out = v;
    return err;
}

/* Rewrites every seats row from st, in its layout's order (the caller holds
 * the transaction). */
static usher_err write_seat_rows(coorddb *db, const state *st, usher_errmsg *em)
{
    usher_err err = store_exec(db->db, "DELETE FROM seats", em);
    sqlite3_stmt *q = NULL;
    if (!err && sqlite3_prepare_v2(db->db,
                                   "INSERT INTO seats(idx, id, ticket, blocked, hold_device, "
                                   "hold_until, lease_device, lease_until) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                   -1, &q, NULL) != SQLITE_OK)
        err = store_fail(db->db, em, "coordinator database: writing the new seats");
    const layout *l = state_layout(st);
    for (int i = 0; !err && i < state_seat_count(st); i++) {
        sqlite3_reset(q);
        int rc = sqlite3_bind_int(q, 1, i);
        rc |= sqlite3_bind_text(q, 2, layout_seat_at(l, i)->id, -1, SQLITE_STATIC);
        rc |= store__bind_seat(q, 3, state_seat(st, i));
        if (rc != SQLITE_OK || sqlite3_step(q) != SQLITE_DONE)
            err = store_fail(db->db, em, "coordinator database: writing the new seats");
    }
    sqlite3_finalize(q);
    return err;
}

usher_err coorddb_set_layout(coorddb *db, const state *next, const coord_alert *trail,
                             size_t ntrail, int64_t now, int64_t *version, int64_t *last_seq,
                             usher_errmsg *em)
{
    if (db->be)
        return db->be->set_layout(db->impl, next, trail, ntrail, now, version, last_seq, em);
    char *json = layout_to_json(state_layout(next));
    if (!json)
        return usher_fail(em, USHER_NOMEM, "out of memory storing the layout");
    int64_t v = 0;
    usher_err err = store_begin(db->db, em);
    if (!err)
        err = coorddb_layout_version(db, &v, em);
    change c;
    memset(&c, 0, sizeof c);
    c.type = CHANGE_LAYOUT;
    c.layout_version = ++v;
    if (!err)
        err = store_meta_set(db->db, K_LAYOUT, json, em);
    if (!err)
        err = meta_set_i64(db, K_LAYOUT_VERSION, v, em);
    if (!err)
        err = write_seat_rows(db, next, em);
    if (!err)
        err = write_change(db, &c, db->last_seq + 1, NULL, now, em);
    for (size_t i = 0; !err && i < ntrail; i++)
        err = write_alert_trail(db, &trail[i].a, trail[i].before, trail[i].after, now, em);
    if (!err)
        err = commit(db, em);
    store_rollback(db->db);
    free(json);
    if (err)
        return err;
    db->last_seq++;
    if (version)
        *version = v;
    if (last_seq)
        *last_seq = db->last_seq;
    return USHER_OK;
}

/* "250 seats in 25 sections (version 1)" for the alert's trail. */
static void layout_text(const layout *l, int64_t version, char *out, size_t cap)
{
    snprintf(out, cap, "%d seats in %d sections (version %lld)", layout_seat_count(l),
             layout_section_count(l), (long long)version);
}

usher_err coorddb_change_layout(coorddb *db, const state *st, const layout *next, const char *who,
                                int64_t now, bool dry_run, coorddb_layout_result *out,
                                usher_errmsg *em)
{
    coorddb_layout_result r;
    memset(&r, 0, sizeof r);
    char *cur = NULL, *json = NULL;
    state *nst = NULL;
    usher_err err = coorddb_layout_version(db, &r.version, em);
    if (!err)
        err = coorddb_layout_json(db, &cur, em);
    if (!err)
        err = layout_change_apply(st, next, &nst, em);
    if (!err && !(json = layout_to_json(next)))
        err = usher_fail(em, USHER_NOMEM, "out of memory comparing the layouts");
    if (err)
        goto out;
    r.seats = layout_seat_count(next);
    r.sections = layout_section_count(next);
    layout_change_count(state_layout(st), next, &r.counts);
    r.changed = strcmp(cur, json) != 0;
    r.last_seq = db->last_seq;
    if (!r.changed || dry_run)
        goto out;
    coord_alert trail;
    memset(&trail, 0, sizeof trail);
    trail.a.kind = ALERT_LAYOUT_CHANGED;
    text_copy(trail.a.device, sizeof trail.a.device, who ? who : "");
    trail.a.at = now;
    snprintf(trail.a.note, sizeof trail.a.note, "seats +%d -%d, sections +%d -%d",
             r.counts.seats_added, r.counts.seats_dropped, r.counts.sections_added,
             r.counts.sections_dropped);
    layout_text(state_layout(st), r.version, trail.before, sizeof trail.before);
    layout_text(next, r.version + 1, trail.after, sizeof trail.after);
    err = coorddb_set_layout(db, nst, &trail, 1, now, &r.version, &r.last_seq, em);
    if (!err) {
        r.st = nst;
        nst = NULL;
    }
out:
    state_free(nst);
    free(cur);
    free(json);
    if (!err)
        *out = r;
    return err;
}

static usher_err write_op(coorddb *db, const usher_op *op, const verdict *v, int64_t op_seq,
                          int64_t now, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = cstmt(db, C_OP_INSERT, &st, em);
    if (err)
        return err;
    int rc = store__bind_op(st, 1, op);
    rc |= store__bind_verdict(st, 1 + STORE_OP_COLUMNS, v);
    rc |= sqlite3_bind_int64(st, 1 + STORE_OP_COLUMNS + STORE_VERDICT_COLUMNS, op_seq);
    rc |= sqlite3_bind_int64(st, 2 + STORE_OP_COLUMNS + STORE_VERDICT_COLUMNS, now);
    rc |= sqlite3_bind_int64(st, 3 + STORE_OP_COLUMNS + STORE_VERDICT_COLUMNS, op->wait_ms);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE) {
        sqlite3_reset(st);
        return USHER_OK;
    }
    if (sqlite3_extended_errcode(db->db) == SQLITE_CONSTRAINT_PRIMARYKEY ||
        sqlite3_extended_errcode(db->db) == SQLITE_CONSTRAINT_UNIQUE)
        err = usher_fail(em, USHER_EXISTS, "op %s is already in the log", op->id);
    else
        err = store_fail(db->db, em, "coordinator database: logging an op");
    sqlite3_reset(st);
    return err;
}

static usher_err write_alert(coorddb *db, const alert *a, int64_t now, usher_errmsg *em)
{
    return write_alert_trail(db, a, "", "", now, em);
}

static usher_err write_alert_trail(coorddb *db, const alert *a, const char *before,
                                   const char *after, int64_t now, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = cstmt(db, C_ALERT_INSERT, &st, em);
    if (err)
        return err;
    const char *kind = alert_kind_name(a->kind);
    int rc = sqlite3_bind_text(st, 1, kind ? kind : "", -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 2, a->ticket, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 3, a->seat, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 4, a->other_seat, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 5, a->device, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 6, a->other_device, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int64(st, 7, a->at);
    rc |= sqlite3_bind_int64(st, 8, a->other_at);
    rc |= sqlite3_bind_text(st, 9, a->op_id, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int64(st, 10, now);
    rc |= sqlite3_bind_text(st, 11, a->note, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 12, before, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 13, after, -1, SQLITE_STATIC);
    return step_done(db, st, rc, "coordinator database: storing an alert", em);
}

static usher_err write_checkin(coorddb *db, const usher_op *op, const verdict *v, int64_t now,
                               usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = cstmt(db, C_CHECKIN_INSERT, &st, em);
    if (err)
        return err;
    int rc = sqlite3_bind_text(st, 1, op->ticket, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 2, op->device, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int64(st, 3, op_happened_at(op, now)); /* the coordinator's clock */
    rc |= sqlite3_bind_int(st, 4, v->reason == REASON_DUPLICATE_CHECKIN);
    rc |= sqlite3_bind_text(st, 5, op->id, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int(st, 6, op->manual);
    rc |= sqlite3_bind_text(st, 7, op->entrance, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 8, op->override, -1, SQLITE_STATIC);
    return step_done(db, st, rc, "coordinator database: recording a check-in", em);
}

/* Writes one op with everything it caused; *seq and *op_seq count up. */
static usher_err write_result(coorddb *db, const usher_op *op, const apply_result *r, int64_t now,
                              int64_t *seq, int64_t *op_seq, usher_errmsg *em)
{
    usher_err err = write_op(db, op, &r->v, *op_seq + 1, now, em);
    if (err)
        return err;
    ++*op_seq;
    for (int k = 0; k < r->nchanges; k++) {
        if ((err = write_change(db, &r->changes[k], *seq + 1, op->id, now, em)))
            return err;
        ++*seq;
    }
    for (int k = 0; k < r->nalerts; k++)
        if ((err = write_alert(db, &r->alerts[k], now, em)))
            return err;
    if (op->kind == OP_CHECKIN && r->v.status == VERDICT_ACCEPTED)
        err = write_checkin(db, op, &r->v, now, em);
    return err;
}

static int cmp_op_id(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An op id twice among the ops to write (the state machine answers a repeat
 * as a duplicate, which is not written: this guards the log without relying
 * on an index over its random ids). */
static usher_err check_batch_ids(const usher_op *ops, const apply_result *res, size_t n,
                                 usher_errmsg *em)
{
    const char **ids = n ? malloc(n * sizeof *ids) : NULL;
    if (n && !ids)
        return usher_fail(em, USHER_NOMEM, "out of memory checking a batch");
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (res[i].v.status != VERDICT_DUPLICATE)
            ids[k++] = ops[i].id;
    qsort(ids, k, sizeof *ids, cmp_op_id);
    usher_err err = USHER_OK;
    for (size_t i = 1; !err && i < k; i++)
        if (!strcmp(ids[i - 1], ids[i]))
            err = usher_fail(em, USHER_EXISTS, "op %s is already in the log", ids[i]);
    free(ids);
    return err;
}

usher_err coorddb_commit(coorddb *db, const usher_op *ops, apply_result *res, size_t n, int64_t now,
                         int64_t *last_seq, usher_errmsg *em)
{
    if (db->be)
        return db->be->commit(db->impl, ops, res, n, now, last_seq, em);
    int64_t seq = db->last_seq, op_seq = db->last_op_seq;
    usher_err err = check_batch_ids(ops, res, n, em);
    if (err)
        return err;
    err = store_begin(db->db, em);
    if (err)
        return err;
    for (size_t i = 0; !err && i < n; i++)
        if (res[i].v.status != VERDICT_DUPLICATE) /* answered from memory: nothing new */
            err = write_result(db, &ops[i], &res[i], now, &seq, &op_seq, em);
    if (!err)
        err = commit(db, em);
    if (err) {
        store_rollback(db->db);
        return err;
    }
    /* Committed: number the changes in the caller's results the same way. */
    int64_t next = db->last_seq;
    for (size_t i = 0; i < n; i++)
        if (res[i].v.status != VERDICT_DUPLICATE)
            for (int k = 0; k < res[i].nchanges; k++)
                res[i].changes[k].seq = ++next;
    db->last_seq = seq;
    db->last_op_seq = op_seq;
    *last_seq = seq;
    return USHER_OK;
}

/* ---- op ids ---------------------------------------------------------------------- */

/* The op_ids key of an op id: 16 bytes for a lower-case UUID (what devices
 * make), else its text (36 bytes), so two spellings never share a key. */
static int op_id_key(const char *id, uint8_t out[USHER_OPID_SIZE])
{
    size_t len = strlen(id);
    if (len != 36 || !op_id_valid(id))
        goto text;
    int k = 0;
    for (size_t i = 0; i < 36; i++) {
        char c = id[i];
        if (c == '-')
            continue;
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            goto text;
        if (k % 2 == 0)
            out[k / 2] = (uint8_t)(v << 4);
        else
            out[k / 2] |= (uint8_t)v;
        k++;
    }
    return 16;
text:
    len = len < USHER_OPID_SIZE ? len : USHER_OPID_SIZE - 1;
    memcpy(out, id, len);
    return (int)len;
}

int64_t coorddb_ops_unsaved(const coorddb *db)
{
    if (db->be)
        return db->be->ops_unsaved(db->impl);
    return db->last_op_seq - db->op_ids_seq;
}

typedef struct id_row {
    uint8_t key[USHER_OPID_SIZE];
    int len;
    int64_t seq;
} id_row;

static int cmp_id_row(const void *a, const void *b)
{
    const id_row *x = a, *y = b;
    int n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->key, y->key, (size_t)n);
    return c ? c : x->len - y->len;
}

usher_err coorddb_save_op_ids(coorddb *db, usher_errmsg *em)
{
    if (db->be)
        return db->be->save_op_ids(db->impl, em);
    size_t cap = 1024, n = 0;
    id_row *rows = malloc(cap * sizeof *rows);
    sqlite3_stmt *q = NULL, *ins = NULL;
    usher_err err = USHER_OK;
    if (!rows)
        return usher_fail(em, USHER_NOMEM, "out of memory saving op ids");
    if ((err = store_begin(db->db, em)))
        goto out;
    if (sqlite3_prepare_v2(db->db, "SELECT seq, id FROM ops WHERE seq > ?1", -1, &q, NULL) ||
        sqlite3_bind_int64(q, 1, db->op_ids_seq) ||
        sqlite3_prepare_v2(db->db, "INSERT OR IGNORE INTO op_ids(id, seq) VALUES (?1, ?2)", -1,
                           &ins, NULL)) {
        err = store_fail(db->db, em, "coordinator database: saving op ids");
        goto fail;
    }
    int rc;
    int64_t top = db->op_ids_seq;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            id_row *bigger = realloc(rows, 2 * cap * sizeof *rows);
            if (!bigger) {
                err = usher_fail(em, USHER_NOMEM, "out of memory saving op ids");
                goto fail;
            }
            rows = bigger, cap *= 2;
        }
        const char *id = (const char *)sqlite3_column_text(q, 1);
        rows[n].seq = sqlite3_column_int64(q, 0);
        rows[n].len = op_id_key(id ? id : "", rows[n].key);
        top = rows[n].seq > top ? rows[n].seq : top;
        n++;
    }
    if (rc != SQLITE_DONE) {
        err = store_fail(db->db, em, "coordinator database: saving op ids");
        goto fail;
    }
    /* In key order, the batch touches each leaf of the table once. */
    qsort(rows, n, sizeof *rows, cmp_id_row);
    for (size_t i = 0; !err && i < n; i++) {
        int b = sqlite3_bind_blob(ins, 1, rows[i].key, rows[i].len, SQLITE_STATIC);
        b |= sqlite3_bind_int64(ins, 2, rows[i].seq);
        err = step_done(db, ins, b, "coordinator database: saving op ids", em);
    }
    if (!err)
        err = meta_set_i64(db, "op_ids_seq", top, em);
    if (!err)
        err = store_commit(db->db, em);
    if (err)
        goto fail;
    db->op_ids_seq = top;
    goto out;
fail:
    store_rollback(db->db);
out:
    sqlite3_finalize(q);
    sqlite3_finalize(ins);
    free(rows);
    return err;
}

usher_err coorddb_find_verdict(coorddb *db, const char *op_id, verdict *out, usher_errmsg *em)
{
    if (db->be)
        return db->be->find_verdict(db->impl, op_id, out, em);
    sqlite3_stmt *st = NULL;
    usher_err err = cstmt(db, C_FIND_VERDICT, &st, em);
    if (err)
        return err;
    uint8_t key[USHER_OPID_SIZE];
    int len = op_id_key(op_id, key);
    if (sqlite3_bind_blob(st, 1, key, len, SQLITE_STATIC) != SQLITE_OK) {
        err = store_fail(db->db, em, "coordinator database: finding an op");
        goto out;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        verdict v;
        memset(&v, 0, sizeof v);
        store__read_verdict(st, 1, &v);
        store__column_text(st, 0, v.op_id, sizeof v.op_id);
        if (strcmp(v.op_id, op_id) == 0)
            *out = v;
        else
            err = USHER_NOTFOUND; /* cannot happen: keys are exact */
    } else if (rc == SQLITE_DONE) {
        err = USHER_NOTFOUND;
    } else {
        err = store_fail(db->db, em, "coordinator database: finding an op");
    }
out:
    sqlite3_reset(st);
    return err;
}

usher_err coorddb_find_verdicts(coorddb *db, const char *const *op_ids, size_t n, verdict *out,
                                bool *found, usher_errmsg *em)
{
    if (db->be)
        return db->be->find_verdicts(db->impl, op_ids, n, out, found, em);
    usher_err err = USHER_OK;
    for (size_t i = 0; i < n; i++) {
        found[i] = false;
        if (!op_ids[i] || err)
            continue;
        usher_err e = coorddb_find_verdict(db, op_ids[i], &out[i], em);
        if (e == USHER_OK)
            found[i] = true;
        else if (e != USHER_NOTFOUND)
            err = e;
    }
    if (err)
        for (size_t i = 0; i < n; i++)
            found[i] = false;
    return err;
}

/* ---- reading the change log ------------------------------------------------------ */

/* Runs a listing query and collects rows with read() into a malloc'd array of
 * elements of `size` bytes (at least one allocated). */
static usher_err collect(coorddb *db, sqlite3_stmt *st, size_t size,
                         void (*read)(sqlite3_stmt *, void *), void **out, size_t *n,
                         usher_errmsg *em)
{
    size_t cap = 16, count = 0;
    char *v = malloc(cap * size);
    int rc = SQLITE_DONE;
    while (v && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            char *bigger = realloc(v, 2 * cap * size);
            if (!bigger) {
                free(v);
                return usher_fail(em, USHER_NOMEM, "out of memory reading the database");
            }
            v = bigger, cap *= 2;
        }
        read(st, v + count++ * size);
    }
    if (!v)
        return usher_fail(em, USHER_NOMEM, "out of memory reading the database");
    if (rc != SQLITE_DONE) {
        free(v);
        return store_fail(db->db, em, "coordinator database: reading");
    }
    *out = v;
    *n = count;
    return USHER_OK;
}

static void read_change(sqlite3_stmt *st, change *c)
{
    memset(c, 0, sizeof *c);
    c->seq = sqlite3_column_int64(st, 0);
    const char *type = (const char *)sqlite3_column_text(st, 1);
    if (type && !strcmp(type, "seat")) {
        c->type = CHANGE_SEAT;
        store__column_text(st, 2, c->seat_id, sizeof c->seat_id);
        store__read_seat(st, 3, &c->seat);
    } else if (type && !strcmp(type, "entrances")) {
        c->type = CHANGE_ENTRANCES;
    } else if (type && !strcmp(type, "layout")) {
        c->type = CHANGE_LAYOUT;
        c->layout_version = sqlite3_column_int64(st, 3 + STORE_SEAT_COLUMNS + STORE_TICKET_COLUMNS);
    } else {
        c->type = CHANGE_TICKET;
        store__read_ticket(st, 3 + STORE_SEAT_COLUMNS, &c->ticket);
    }
}

static void read_change_row(sqlite3_stmt *st, void *p)
{
    read_change(st, p);
}

usher_err coorddb_changes_since(coorddb *db, int64_t cursor, size_t max, change **out, size_t *n,
                                bool *more, usher_errmsg *em)
{
    if (db->be)
        return db->be->changes_since(db->impl, cursor, max, out, n, more, em);
    if (max > (size_t)INT32_MAX)
        max = INT32_MAX;
    sqlite3_stmt *st = NULL;
    usher_err err = cstmt(db, C_CHANGES_SINCE, &st, em);
    if (err)
        return err;
    change *v = NULL;
    size_t count = 0;
    int rc = sqlite3_bind_int64(st, 1, cursor);
    rc |= sqlite3_bind_int64(st, 2, (sqlite3_int64)max + 1); /* one more tells if more remain */
    if (rc != SQLITE_OK)
        err = store_fail(db->db, em, "coordinator database: reading changes");
    else
        err = collect(db, st, sizeof *v, read_change_row, (void **)&v, &count, em);
    sqlite3_reset(st);
    if (err)
        return err;
    *more = count > max;
    *n = count > max ? max : count;
    *out = v;
    return USHER_OK;
}

/* ---- devices ---------------------------------------------------------------------- */

static void token_hash(const char *token, uint8_t out[TOKEN_HASH_BYTES])
{
    crypto_generichash(out, TOKEN_HASH_BYTES, (const unsigned char *)token, strlen(token), NULL, 0);
}

usher_err coorddb_device_add(coorddb *db, const char *id, usher_role role, int64_t now,
                             char token[COORD_TOKEN_SIZE], usher_errmsg *em)
{
    if (db->be)
        return db->be->device_add(db->impl, id, role, now, token, em);
    if (!id || !text_is_ident(id, USHER_DEVICE_SIZE - 1))
        return usher_fail(em, USHER_INVAL,
                          "device name \"%.64s\": use 1 to 64 of A-Z, a-z, 0-9, '_', '.', '-'",
                          id ? id : "");
    const char *rname = role_name(role);
    if (!rname)
        return usher_fail(em, USHER_INVAL, "device %s: the role must be kiosk, door or admin", id);
    uint8_t raw[TOKEN_BYTES], hash[TOKEN_HASH_BYTES];
    char text[COORD_TOKEN_SIZE];
    randombytes_buf(raw, sizeof raw);
    text_base32_encode(raw, sizeof raw, text);
    token_hash(text, hash);
    sqlite3_stmt *st = NULL;
    usher_err err = USHER_OK;
    if (sqlite3_prepare_v2(db->db,
                           "INSERT INTO devices(id, role, token_hash, created_at) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           -1, &st, NULL) != SQLITE_OK) {
        err = store_fail(db->db, em, "coordinator database: adding a device");
        goto out;
    }
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_text(st, 2, rname, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_blob(st, 3, hash, sizeof hash, SQLITE_STATIC);
    rc |= sqlite3_bind_int64(st, 4, now);
    if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE) {
        memcpy(token, text, COORD_TOKEN_SIZE);
    } else if ((sqlite3_extended_errcode(db->db) & 0xff) == SQLITE_CONSTRAINT) {
        err = usher_fail(em, USHER_EXISTS, "device %s already exists; pick another name", id);
    } else {
        err = store_fail(db->db, em, "coordinator database: adding a device");
    }
out:
    sqlite3_finalize(st);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(text, sizeof text);
    return err;
}

static void read_device(sqlite3_stmt *st, coord_device *d)
{
    memset(d, 0, sizeof *d);
    store__column_text(st, 0, d->id, sizeof d->id);
    d->role = role_parse((const char *)sqlite3_column_text(st, 1));
    d->created_at = sqlite3_column_int64(st, 2);
    d->last_seen = sqlite3_column_int64(st, 3);
    d->cursor = sqlite3_column_int64(st, 4);
    d->pending = sqlite3_column_int64(st, 5);
    d->disabled = sqlite3_column_int(st, 6) != 0;
    store__column_text(st, 7, d->entrance, sizeof d->entrance);
}

usher_err coorddb_device_auth(coorddb *db, const char *token, coord_device *out, usher_errmsg *em)
{
    if (db->be)
        return db->be->device_auth(db->impl, token, out, em);
    /* Longer than any token we issue: refuse without hashing a novel. */
    if (!token || strlen(token) != COORD_TOKEN_SIZE - 1)
        return usher_fail(em, USHER_FORBIDDEN, "unknown device token");
    uint8_t hash[TOKEN_HASH_BYTES];
    token_hash(token, hash);
    sqlite3_stmt *st = NULL;
    usher_err err = cstmt(db, C_AUTH, &st, em);
    if (err)
        return err;
    coord_device d;
    sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *stored = sqlite3_column_blob(st, 8);
        bool same = stored && sqlite3_column_bytes(st, 8) == TOKEN_HASH_BYTES &&
                    sodium_memcmp(stored, hash, TOKEN_HASH_BYTES) == 0;
        read_device(st, &d);
        if (!same)
            err = usher_fail(em, USHER_FORBIDDEN, "unknown device token");
        else if (d.disabled)
            err = usher_fail(em, USHER_FORBIDDEN,
                             "device %s is disabled; an organiser can enable it again", d.id);
    } else if (rc == SQLITE_DONE) {
        err = usher_fail(em, USHER_FORBIDDEN, "unknown device token");
    } else {
        err = store_fail(db->db, em, "coordinator database: checking a token");
    }
    sqlite3_reset(st);
    if (!err)
        *out = d;
    return err;
}

usher_err coorddb_device_seen(coorddb *db, const char *id, int64_t now, int64_t cursor,
                              int64_t pending, usher_errmsg *em)
{
    if (db->be)
        return db->be->device_seen(db->impl, id, now, cursor, pending, em);
    sqlite3_stmt *st = NULL;
    usher_err err = cstmt(db, C_SEEN, &st, em);
    if (err)
        return err;
    int rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc |= sqlite3_bind_int64(st, 2, now);
    rc |= sqlite3_bind_int64(st, 3, cursor);
    rc |= sqlite3_bind_int64(st, 4, pending);
    if ((err = step_done(db, st, rc, "coordinator database: recording a device's sync", em)))
        return err;
    if (sqlite3_changes(db->db) == 0)
        return usher_fail(em, USHER_NOTFOUND, "no device named %.64s", id);
    return USHER_OK;
}

usher_err coorddb_device_set_disabled(coorddb *db, const char *id, bool disabled, usher_errmsg *em)
{
    if (db->be)
        return db->be->device_set_disabled(db->impl, id, disabled, em);
    sqlite3_stmt *st = NULL;
    usher_err err = USHER_OK;
    if (sqlite3_prepare_v2(db->db, "UPDATE devices SET disabled = ?2 WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int(st, 2, disabled) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
        err = store_fail(db->db, em, "coordinator database: changing a device");
    else if (sqlite3_changes(db->db) == 0)
        err = usher_fail(em, USHER_NOTFOUND, "no device named %.64s", id);
    sqlite3_finalize(st);
    return err;
}

static void read_device_row(sqlite3_stmt *st, void *p)
{
    read_device(st, p);
}

usher_err coorddb_devices(coorddb *db, coord_device **out, size_t *n, usher_errmsg *em)
{
    if (db->be)
        return db->be->devices(db->impl, out, n, em);
    sqlite3_stmt *st = NULL;
    usher_err err;
    if (sqlite3_prepare_v2(db->db, "SELECT " DEVICE_COLUMNS " FROM devices ORDER BY id", -1, &st,
                           NULL) != SQLITE_OK)
        err = store_fail(db->db, em, "coordinator database: listing devices");
    else
        err = collect(db, st, sizeof **out, read_device_row, (void **)out, n, em);
    sqlite3_finalize(st);
    return err;
}

bool coorddb_unsure(const coorddb *db)
{
    if (db->be)
        return db->be->unsure(db->impl);
    return db->unsure;
}

bool coorddb_lock_lost(const coorddb *db)
{
    return db->be ? db->be->lock_lost(db->impl) : false;
}

usher_err coorddb_serve_seen(coorddb *db, const char *url, coorddb_serve_role role, int64_t now,
                             usher_errmsg *em)
{
    return db->be ? db->be->serve_seen(db->impl, url, role, now, em) : USHER_OK;
}

usher_err coorddb_serves(coorddb *db, int64_t seen_after, coord_serve *out, size_t max, size_t *n,
                         usher_errmsg *em)
{
    if (db->be)
        return db->be->serves(db->impl, seen_after, out, max, n, em);
    *n = 0;
    return USHER_OK;
}

usher_err coorddb_add_alerts(coorddb *db, const alert *a, size_t n, int64_t now, usher_errmsg *em)
{
    if (db->be)
        return db->be->add_alerts(db->impl, a, n, now, em);
    if (!n)
        return USHER_OK;
    usher_err err = store_begin(db->db, em);
    if (err)
        return err;
    for (size_t i = 0; !err && i < n; i++)
        err = write_alert(db, &a[i], now, em);
    if (!err)
        err = commit(db, em);
    store_rollback(db->db);
    return err;
}

usher_err coorddb_devices_seen(coorddb *db, const coord_device *devs, size_t n, usher_errmsg *em)
{
    if (db->be)
        return db->be->devices_seen(db->impl, devs, n, em);
    if (!n)
        return USHER_OK;
    usher_err err = store_begin(db->db, em);
    if (err)
        return err;
    for (size_t i = 0; !err && i < n; i++) {
        err = coorddb_device_seen(db, devs[i].id, devs[i].last_seen, devs[i].cursor,
                                  devs[i].pending, em);
        if (err == USHER_NOTFOUND)
            err = USHER_OK; /* removed meanwhile: nothing to record */
    }
    if (!err)
        err = commit(db, em);
    store_rollback(db->db);
    return err;
}

/* ---- checkpoints ---------------------------------------------------------------------- */

static int count_frames(void *arg, sqlite3 *conn, const char *schema, int frames)
{
    (void)conn;
    (void)schema;
    ((coorddb *)arg)->wal_frames = frames;
    return SQLITE_OK;
}

usher_err coorddb_manual_checkpoints(coorddb *db, usher_errmsg *em)
{
    if (db->be)
        return USHER_OK; /* PostgreSQL checkpoints by itself */
    /* A WAL hook replaces SQLite's own (the one that checkpoints after a commit
     * once the log passes wal_autocheckpoint pages). */
    sqlite3_wal_hook(db->db, count_frames, db);
    (void)em;
    return USHER_OK;
}

int64_t coorddb_wal_frames(coorddb *db)
{
    if (db->be)
        return 0;
    return db->wal_frames;
}

usher_err coorddb_checkpoint(coorddb *db, int *log_frames, int *done_frames, usher_errmsg *em)
{
    if (db->be) {
        (void)em;
        if (log_frames)
            *log_frames = 0;
        if (done_frames)
            *done_frames = 0;
        return USHER_OK;
    }
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(db->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) /* BUSY: another checkpoint is running */
        return store_fail(db->db, em, "coordinator database: checkpointing the log");
    if (log_frames)
        *log_frames = log;
    if (done_frames)
        *done_frames = done;
    return USHER_OK;
}

/* ---- alerts and check-ins ------------------------------------------------------------ */

static void read_alert_row(sqlite3_stmt *st, void *p)
{
    coord_alert *ca = p;
    memset(ca, 0, sizeof *ca);
    ca->id = sqlite3_column_int64(st, 0);
    ca->a.kind = alert_kind_parse((const char *)sqlite3_column_text(st, 1));
    store__column_text(st, 2, ca->a.ticket, sizeof ca->a.ticket);
    store__column_text(st, 3, ca->a.seat, sizeof ca->a.seat);
    store__column_text(st, 4, ca->a.other_seat, sizeof ca->a.other_seat);
    store__column_text(st, 5, ca->a.device, sizeof ca->a.device);
    store__column_text(st, 6, ca->a.other_device, sizeof ca->a.other_device);
    ca->a.at = sqlite3_column_int64(st, 7);
    ca->a.other_at = sqlite3_column_int64(st, 8);
    store__column_text(st, 9, ca->a.op_id, sizeof ca->a.op_id);
    ca->created_at = sqlite3_column_int64(st, 10);
    ca->acked_at = sqlite3_column_int64(st, 11);
    store__column_text(st, 12, ca->a.note, sizeof ca->a.note);
    store__column_text(st, 13, ca->before, sizeof ca->before);
    store__column_text(st, 14, ca->after, sizeof ca->after);
}

usher_err coorddb_alerts(coorddb *db, bool open_only, size_t max, coord_alert **out, size_t *n,
                         usher_errmsg *em)
{
    if (db->be)
        return db->be->alerts(db->impl, open_only, max, out, n, em);
    const char *sql = open_only ? "SELECT " ALERT_COLUMNS " FROM alerts WHERE acked_at = 0 "
                                  "ORDER BY id DESC LIMIT ?1"
                                : "SELECT " ALERT_COLUMNS " FROM alerts "
                                  "ORDER BY id DESC LIMIT ?1";
    sqlite3_stmt *st = NULL;
    usher_err err;
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max) != SQLITE_OK)
        err = store_fail(db->db, em, "coordinator database: listing alerts");
    else
        err = collect(db, st, sizeof **out, read_alert_row, (void **)out, n, em);
    sqlite3_finalize(st);
    return err;
}

usher_err coorddb_alert_ack(coorddb *db, int64_t id, int64_t now, usher_errmsg *em)
{
    if (db->be)
        return db->be->alert_ack(db->impl, id, now, em);
    sqlite3_stmt *st = NULL;
    usher_err err = USHER_OK;
    /* The first acknowledgement's time stands; a second one changes nothing. */
    if (sqlite3_prepare_v2(db->db,
                           "UPDATE alerts SET acked_at = CASE WHEN acked_at = 0 THEN ?2 "
                           "ELSE acked_at END WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK || sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE)
        err = store_fail(db->db, em, "coordinator database: acknowledging an alert");
    else if (sqlite3_changes(db->db) == 0)
        err = usher_fail(em, USHER_NOTFOUND, "there is no alert %lld", (long long)id);
    sqlite3_finalize(st);
    return err;
}

static void read_checkin_row(sqlite3_stmt *st, void *p)
{
    coord_checkin *c = p;
    memset(c, 0, sizeof *c);
    store__column_text(st, 0, c->ticket, sizeof c->ticket);
    store__column_text(st, 1, c->device, sizeof c->device);
    c->at = sqlite3_column_int64(st, 2);
    c->duplicate = sqlite3_column_int(st, 3) != 0;
    store__column_text(st, 4, c->op_id, sizeof c->op_id);
    c->manual = sqlite3_column_int(st, 5) != 0;
    store__column_text(st, 6, c->entrance, sizeof c->entrance);
    store__column_text(st, 7, c->override, sizeof c->override);
}

usher_err coorddb_checkins(coorddb *db, coord_checkin **out, size_t *n, usher_errmsg *em)
{
    if (db->be)
        return db->be->checkins(db->impl, out, n, em);
    sqlite3_stmt *st = NULL;
    usher_err err;
    if (sqlite3_prepare_v2(
            db->db,
            "SELECT ticket, device, at, duplicate, op_id, manual, entrance, override "
            "FROM checkins "
            "ORDER BY at, id",
            -1, &st, NULL) != SQLITE_OK)
        err = store_fail(db->db, em, "coordinator database: listing check-ins");
    else
        err = collect(db, st, sizeof **out, read_checkin_row, (void **)out, n, em);
    sqlite3_finalize(st);
    return err;
}

usher_err coorddb_revoked_scans(coorddb *db, coord_checkin **out, size_t *n, usher_errmsg *em)
{
    if (db->be)
        return db->be->revoked_scans(db->impl, out, n, em);
    sqlite3_stmt *st = NULL;
    usher_err err;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT ticket, device, at, 0, op_id, 0, '', '' FROM alerts "
                           "WHERE kind = 'revoked_scan' ORDER BY at, id",
                           -1, &st, NULL) != SQLITE_OK)
        err = store_fail(db->db, em, "coordinator database: listing refused scans");
    else
        err = collect(db, st, sizeof **out, read_checkin_row, (void **)out, n, em);
    sqlite3_finalize(st);
    return err;
}

/* ---- backup ---------------------------------------------------------------- */

/* Copies src into the new file dst with SQLite's online backup, in one step:
 * one read transaction, so the copy is one consistent moment of src even
 * while serve commits to it. */
static usher_err backup_copy(const char *src, const char *dst, usher_errmsg *em)
{
    sqlite3 *from = NULL, *to = NULL;
    usher_err err = USHER_OK;
    if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        err = usher_fail(em, USHER_DB, "%s: cannot open it (%s)", src,
                         from ? sqlite3_errmsg(from) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(from, 5000);
    if (sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        err = usher_fail(em, USHER_IO, "%s: cannot create it (%s)", dst,
                         to ? sqlite3_errmsg(to) : "out of memory");
        goto out;
    }
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    if (!b) {
        err = usher_fail(em, USHER_DB, "backup of %s: %s", src, sqlite3_errmsg(to));
        goto out;
    }
    int rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        err = usher_fail(em, USHER_DB,
                         "backup of %s into %s failed: %s (is it a coordinator "
                         "database? is the disk full?)",
                         src, dst, sqlite3_errstr(rc));
out:
    sqlite3_close(from);
    sqlite3_close(to);
    return err;
}

/* A new name for this copy of the op log (random, hex). */
static usher_err renew_log_id(coorddb *db, usher_errmsg *em)
{
    uint8_t raw[16];
    char id[2 * sizeof raw + 2] = "L";
    randombytes_buf(raw, sizeof raw);
    text_hex(raw, sizeof raw, id + 1);
    return store_meta_set(db->db, K_LOG_ID, id, em);
}

usher_err coorddb_renew_log_id(coorddb *db, usher_errmsg *em)
{
    if (db->be)
        return db->be->renew_log_id(db->impl, em);
    return renew_log_id(db, em);
}

usher_err coorddb_backup(const char *src, const char *dst, usher_errmsg *em)
{
    usher_err err = coordwhere_check(src, em);
    if (err)
        return err;
    if (coordwhere_kind_of(src) == COORDWHERE_POSTGRESQL)
        return usher_fail(em, USHER_INVAL,
                          "%s: a PostgreSQL store is backed up with pg_dump ('usher-coord "
                          "backup' runs it), not into %s by the store",
                          src, dst);
    if (access(src, R_OK) != 0)
        return usher_fail(em, USHER_IO, "--db %s: cannot read it (%s)", src, strerror(errno));
    if (access(dst, F_OK) == 0)
        return usher_fail(em, USHER_EXISTS,
                          "%s already exists: give a new file name (a backup never overwrites)",
                          dst);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.partial", dst) >= (int)sizeof tmp)
        return usher_fail(em, USHER_INVAL, "%s: path too long", dst);
    unlink(tmp);
    err = backup_copy(src, tmp, em);
    if (!err) {
        /* A coordinator database (coorddb_open checks), with its own log id:
         * restored by a plain copy, it is still told from the live log. */
        coorddb *db = NULL;
        err = coorddb_open(tmp, &db, em);
        if (!err)
            err = renew_log_id(db, em);
        coorddb_free(db);
    }
    if (!err && rename(tmp, dst) != 0)
        err = usher_fail(em, USHER_IO, "cannot rename %s to %s: %s", tmp, dst, strerror(errno));
    if (err)
        unlink(tmp);
    return err;
}

/* The event id in a coordinator database file. */
static usher_err event_id_of(const char *path, char id[64], usher_errmsg *em)
{
    coorddb *db = NULL;
    coord_event ev;
    usher_err err = coorddb_open(path, &db, em);
    if (!err)
        err = coorddb_get_event(db, &ev, em);
    if (!err)
        text_copy(id, 64, ev.event_id);
    sodium_memzero(&ev, sizeof ev);
    coorddb_free(db);
    if (err)
        usher_errmsg_prefix(em, "%s", path);
    return err;
}

/* Renames from to to when from exists (a database's -wal beside it). */
static usher_err rename_if_there(const char *from, const char *to, usher_errmsg *em)
{
    if (rename(from, to) == 0 || errno == ENOENT)
        return USHER_OK;
    return usher_fail(em, USHER_IO, "cannot rename %s to %s: %s", from, to, strerror(errno));
}

usher_err coorddb_restore(const char *backup, const char *dst, char *replaced, size_t size,
                          usher_errmsg *em)
{
    if (size)
        replaced[0] = '\0';
    if (coordwhere_kind_of(dst) == COORDWHERE_POSTGRESQL ||
        coordwhere_kind_of(backup) == COORDWHERE_POSTGRESQL)
        return usher_fail(em, USHER_INVAL,
                          "a PostgreSQL store is restored with PostgreSQL's own tools "
                          "(pg_restore into an empty database), then 'usher-coord restore "
                          "--db DATABASE' with no BACKUP gives its op log a new id");
    char want[64], have[64], tmp[4096], old[4096], a[4200], b[4200];
    usher_err err = event_id_of(backup, want, em);
    if (err)
        return err;
    bool exists = access(dst, F_OK) == 0;
    if (exists && (err = event_id_of(dst, have, em)) != USHER_OK)
        return err;
    if (exists && strcmp(want, have) != 0)
        return usher_fail(em, USHER_CONFLICT,
                          "%s is a backup of another event (id %s) than %s holds (id %s): "
                          "restore a backup of this event, or restore into a new file",
                          backup, want, dst, have);
    char stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime_r(&t, &tm));
    if (snprintf(tmp, sizeof tmp, "%s.partial", dst) >= (int)sizeof tmp ||
        snprintf(old, sizeof old, "%s.replaced-%s", dst, stamp) >= (int)sizeof old)
        return usher_fail(em, USHER_INVAL, "%s: path too long", dst);
    unlink(tmp);
    err = backup_copy(backup, tmp, em);
    if (!err) {
        coorddb *db = NULL;
        err = coorddb_open(tmp, &db, em);
        if (!err)
            err = renew_log_id(db, em); /* a second restore of the same backup is new too */
        coorddb_free(db);
    }
    if (!err && exists) {
        /* The replaced database is kept whole: with its write-ahead log,
         * which must never be read against the restored file. */
        snprintf(a, sizeof a, "%s-wal", dst);
        snprintf(b, sizeof b, "%s-wal", old);
        err = rename_if_there(a, b, em);
        if (!err && rename(dst, old) != 0) {
            err = usher_fail(em, USHER_IO, "cannot rename %s to %s: %s", dst, old, strerror(errno));
            (void)rename(b, a); /* the log goes back beside its database */
        }
        snprintf(a, sizeof a, "%s-shm", dst);
        unlink(a);
    }
    if (!err && rename(tmp, dst) != 0)
        err = usher_fail(em, USHER_IO, "cannot rename %s to %s: %s", tmp, dst, strerror(errno));
    if (err) {
        unlink(tmp);
        return err;
    }
    if (exists)
        text_copy(replaced, size, old);
    return USHER_OK;
}

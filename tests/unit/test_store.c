/* test_store.c - opening Usher's SQLite files: pragmas, migrations from an older
 * schema, and refusing newer, foreign or mistaken files with a clear message. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "storevfs.h"
#include "text.h"

typedef struct tmp {
    char *dir, *path;
} tmp;

static tmp tmp_make(const char *name)
{
    tmp t;
    t.dir = testutil_tmpdir();
    t.path = testutil_path(t.dir, name);
    return t;
}

static void tmp_drop(tmp *t)
{
    testutil_rmtree(t->dir);
    free(t->path);
    free(t->dir);
}

static int pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static bool has_object(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = ?1", -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n > 0;
}

/* Runs SQL on a plain connection, outside Usher's code. */
static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void schema_versions(void **unused)
{
    (void)unused;
    assert_int_equal(store_schema_version(STORE_COORD), 13);
    assert_int_equal(store_schema_version(STORE_DEVICE), 9);
    assert_int_equal(store_schema_version((store_kind)7), 0);
}

static void fresh_coord_has_pragmas_and_stamp(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA application_id"), 0x55534843);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), store_schema_version(STORE_COORD));
    assert_int_equal(pragma_int(db, "PRAGMA synchronous"), 2); /* FULL */
    assert_int_equal(pragma_int(db, "PRAGMA foreign_keys"), 1);
    assert_true(pragma_int(db, "PRAGMA busy_timeout") >= 5000);
    /* The write-ahead log is bounded: checkpointed every 1000 pages, kept at
     * most 4 MiB after one. */
    assert_int_equal(pragma_int(db, "PRAGMA wal_autocheckpoint"), 1000);
    assert_int_equal(pragma_int(db, "PRAGMA journal_size_limit"), 4 * 1024 * 1024);
    /* Through the VFS that allocates the WAL index before SQLite uses it. */
    sqlite3_vfs *vfs = NULL;
    assert_int_equal(sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs), SQLITE_OK);
    assert_non_null(vfs);
    assert_string_equal(vfs->zName, storevfs_name());
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    assert_true(has_object(db, "ops"));
    assert_true(has_object(db, "devices"));
    assert_true(store_integrity_ok(db));
    sqlite3_close(db);
    /* Reopening a current file changes nothing and works. */
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), store_schema_version(STORE_COORD));
    sqlite3_close(db);
    tmp_drop(&t);
}

static void fresh_device_is_stamped_as_journal(void **unused)
{
    (void)unused;
    tmp t = tmp_make("journal.db");
    sqlite3 *db = NULL;
    assert_int_equal(store_open(t.path, STORE_DEVICE, &db, NULL), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA application_id"), 0x55534844);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), store_schema_version(STORE_DEVICE));
    assert_true(has_object(db, "outbox"));
    assert_true(has_object(db, "r_seats"));
    assert_false(has_object(db, "ops"));
    sqlite3_close(db);
    tmp_drop(&t);
}

static void coord_v1_migrates_to_latest(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open_version(t.path, STORE_COORD, 1, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), 1);
    assert_false(has_object(db, "checkins_by_time"));
    assert_int_equal(store_meta_set(db, "event_name", "Old gala", &em), USHER_OK);
    assert_int_equal(store_exec(db,
                                "INSERT INTO seats(idx, id, ticket) VALUES (0, 'T01-01', 'A1');"
                                "INSERT INTO tickets(code, name, seat) VALUES ('A1', 'Ann', "
                                "'T01-01')",
                                &em),
                     USHER_OK);
    sqlite3_close(db);

    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), store_schema_version(STORE_COORD));
    assert_true(has_object(db, "checkins_by_time"));
    assert_true(has_object(db, "alerts_open"));
    char name[64];
    assert_int_equal(store_meta_get(db, "event_name", name, sizeof name, &em), USHER_OK);
    assert_string_equal(name, "Old gala");
    assert_int_equal(pragma_int(db, "SELECT count(*) FROM tickets WHERE seat = 'T01-01'"), 1);
    assert_true(store_integrity_ok(db));
    sqlite3_close(db);

    /* Asking for an older version of a newer file does not downgrade it. */
    assert_int_equal(store_open_version(t.path, STORE_COORD, 1, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), store_schema_version(STORE_COORD));
    sqlite3_close(db);
    tmp_drop(&t);
}

static void device_v1_migrates_to_latest(void **unused)
{
    (void)unused;
    tmp t = tmp_make("journal.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open_version(t.path, STORE_DEVICE, 1, &db, &em), USHER_OK);
    assert_false(has_object(db, "outbox_pending"));
    assert_int_equal(store_exec(db,
                                "INSERT INTO outbox(id, kind, at, created_at) VALUES "
                                "('00000000-0000-4000-8000-000000000001', 'checkin', 5, 5)",
                                &em),
                     USHER_OK);
    sqlite3_close(db);
    assert_int_equal(store_open(t.path, STORE_DEVICE, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), store_schema_version(STORE_DEVICE));
    assert_true(has_object(db, "outbox_pending"));
    assert_int_equal(pragma_int(db, "SELECT count(*) FROM outbox WHERE state = 0"), 1);
    sqlite3_close(db);
    tmp_drop(&t);
}

/* Reads one seat row through the shared helper (columns as in store.h). */
static seat_state read_seat_row(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    seat_state s;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    store__read_seat(st, 0, &s);
    sqlite3_finalize(st);
    return s;
}

static void coord_v2_seat_row_migrates_with_no_lease(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open_version(t.path, STORE_COORD, 2, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), 2);
    assert_int_equal(store_exec(db,
                                "INSERT INTO seats(idx, id, ticket, blocked, hold_device, "
                                "hold_until) VALUES (0, 'T01-01', '', 0, 'kiosk-1', 99);"
                                "INSERT INTO changes(seq, type, at, seat_id, seat_hold_device, "
                                "seat_hold_until) VALUES (1, 'seat', 5, 'T01-01', 'kiosk-1', 99)",
                                &em),
                     USHER_OK);
    sqlite3_close(db);

    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), store_schema_version(STORE_COORD));
    seat_state s = read_seat_row(db, "SELECT ticket, blocked, hold_device, hold_until, "
                                     "lease_device, lease_until FROM seats WHERE id = 'T01-01'");
    assert_string_equal(s.ticket, "");
    assert_false(s.blocked);
    assert_string_equal(s.hold_device, "kiosk-1");
    assert_int_equal(s.hold_until, 99);
    assert_string_equal(s.lease_device, "");
    assert_int_equal(s.lease_until, 0);
    s = read_seat_row(db, "SELECT seat_ticket, seat_blocked, seat_hold_device, seat_hold_until, "
                          "seat_lease_device, seat_lease_until FROM changes WHERE seq = 1");
    assert_string_equal(s.hold_device, "kiosk-1");
    assert_string_equal(s.lease_device, "");
    assert_int_equal(s.lease_until, 0);
    /* The new columns take a lease through the shared bind helper. */
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "UPDATE seats SET ticket = ?1, blocked = ?2, "
                                        "hold_device = ?3, hold_until = ?4, lease_device = ?5, "
                                        "lease_until = ?6 WHERE id = 'T01-01'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    seat_state leased = {.lease_until = 1234};
    text_copy(leased.lease_device, sizeof leased.lease_device, "kiosk-2");
    assert_int_equal(store__bind_seat(st, 1, &leased), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    s = read_seat_row(db, "SELECT ticket, blocked, hold_device, hold_until, lease_device, "
                          "lease_until FROM seats WHERE id = 'T01-01'");
    assert_string_equal(s.lease_device, "kiosk-2");
    assert_int_equal(s.lease_until, 1234);
    assert_string_equal(s.hold_device, "");
    assert_true(store_integrity_ok(db));
    sqlite3_close(db);
    tmp_drop(&t);
}

/* Schema 4 keys the op log by arrival order: ops and check-ins written under
 * schema 3 come through with their ids, verdicts and order. */
static void coord_v3_op_log_migrates_to_v4(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open_version(t.path, STORE_COORD, 3, &db, &em), USHER_OK);
    assert_int_equal(store_exec(db,
                                "INSERT INTO ops(id, seq, device, kind, ticket, at, received_at, "
                                "status) VALUES ('00000000-0000-4000-8000-000000000002', 2, "
                                "'door-1', 'checkin', 'A1', 7, 8, 'accepted'), "
                                "('00000000-0000-4000-8000-000000000001', 1, 'k', 'assign', "
                                "'A1', 5, 6, 'rejected');"
                                "INSERT INTO checkins(ticket, device, at, op_id) VALUES ('A1', "
                                "'door-1', 7, '00000000-0000-4000-8000-000000000002')",
                                &em),
                     USHER_OK);
    sqlite3_close(db);
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), store_schema_version(STORE_COORD));
    assert_int_equal(pragma_int(db, "SELECT count(*) FROM ops"), 2);
    assert_int_equal(pragma_int(db, "SELECT seq FROM ops WHERE id = "
                                    "'00000000-0000-4000-8000-000000000002' AND status = "
                                    "'accepted' AND device = 'door-1'"),
                     2);
    assert_int_equal(pragma_int(db, "SELECT min(seq) FROM ops WHERE status = 'rejected'"), 1);
    assert_int_equal(pragma_int(db, "SELECT count(*) FROM checkins WHERE op_id = "
                                    "'00000000-0000-4000-8000-000000000002'"),
                     1);
    assert_true(has_object(db, "ops_by_ticket"));
    assert_true(has_object(db, "checkins_by_time"));
    assert_int_equal(pragma_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_true(store_integrity_ok(db));
    sqlite3_close(db);
    tmp_drop(&t);
}

/* 13: the change log copied to take 'entrances' marks, every column kept;
 * entrances, a door's entrance and a check-in's entrance and override. */
static void coord_v12_change_log_migrates_to_v13(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open_version(t.path, STORE_COORD, 12, &db, &em), USHER_OK);
    assert_int_equal(
        store_exec(db,
                   "INSERT INTO changes(seq, type, at, ticket_code, ticket_name, ticket_note, "
                   "ticket_attention, ticket_checked_out_at, ticket_checkout_device) VALUES "
                   "(1, 'ticket', 5, 'A1', 'Ann', 'wheelchair', 1, 9, 'door-2');"
                   "INSERT INTO changes(seq, type, at, layout_version) VALUES (2, 'layout', 6, 2);"
                   "INSERT INTO changes(seq, type, at, seat_id, seat_lease_device, "
                   "seat_lease_until) VALUES (3, 'seat', 7, 'T01-01', 'k1', 99)",
                   &em),
        USHER_OK);
    assert_int_equal(
        store_exec(db, "INSERT INTO changes(seq, type, at) VALUES (4, 'entrances', 8)", &em),
        USHER_DB); /* not before 13 */
    sqlite3_close(db);
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "SELECT count(*) FROM changes"), 3);
    assert_int_equal(pragma_int(db, "SELECT count(*) FROM changes WHERE seq = 1 AND "
                                    "ticket_note = 'wheelchair' AND ticket_attention = 1 AND "
                                    "ticket_checked_out_at = 9 AND "
                                    "ticket_checkout_device = 'door-2'"),
                     1);
    assert_int_equal(pragma_int(db, "SELECT layout_version FROM changes WHERE seq = 2"), 2);
    assert_int_equal(pragma_int(db, "SELECT seat_lease_until FROM changes WHERE seq = 3"), 99);
    assert_int_equal(store_exec(db,
                                "INSERT INTO changes(seq, type, at) VALUES (4, 'entrances', 8);"
                                "INSERT INTO entrances(name_key, name, created_at) "
                                "VALUES ('main', 'Main', 1);"
                                "UPDATE devices SET entrance = 'Main'",
                                &em),
                     USHER_OK);
    assert_int_equal(pragma_int(db, "SELECT count(*) FROM checkins WHERE entrance = '' AND "
                                    "override = ''"),
                     0);
    assert_true(store_integrity_ok(db));
    sqlite3_close(db);
    tmp_drop(&t);
}

static void device_v2_replica_seat_migrates_to_v3_with_no_lease(void **unused)
{
    (void)unused;
    tmp t = tmp_make("journal.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open_version(t.path, STORE_DEVICE, 2, &db, &em), USHER_OK);
    assert_int_equal(store_exec(db,
                                "INSERT INTO r_seats(id, ticket, blocked) "
                                "VALUES ('A-12', 'GALA-0001', 0)",
                                &em),
                     USHER_OK);
    sqlite3_close(db);
    assert_int_equal(store_open(t.path, STORE_DEVICE, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), store_schema_version(STORE_DEVICE));
    seat_state s = read_seat_row(db, "SELECT ticket, blocked, hold_device, hold_until, "
                                     "lease_device, lease_until FROM r_seats WHERE id = 'A-12'");
    assert_string_equal(s.ticket, "GALA-0001");
    assert_string_equal(s.hold_device, "");
    assert_string_equal(s.lease_device, "");
    assert_int_equal(s.lease_until, 0);
    sqlite3_close(db);
    tmp_drop(&t);
}

static void failed_migration_changes_nothing(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open_version(t.path, STORE_COORD, 1, &db, &em), USHER_OK);
    /* An object in the way of migration 2's third statement. */
    assert_int_equal(store_exec(db, "CREATE TABLE alerts_open(x)", &em), USHER_OK);
    sqlite3_close(db);
    db = NULL;
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_DB);
    assert_null(db);
    assert_non_null(strstr(em.text, "migration to schema 2 failed"));
    assert_non_null(strstr(em.text, "alerts_open"));
    assert_int_equal(store_open_version(t.path, STORE_COORD, 1, &db, &em), USHER_OK);
    assert_int_equal(pragma_int(db, "PRAGMA user_version"), 1);
    assert_false(has_object(db, "checkins_by_time")); /* rolled back with the rest */
    sqlite3_close(db);
    tmp_drop(&t);
}

static void newer_schema_is_refused(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    sqlite3_close(db);
    raw_exec(t.path, "PRAGMA user_version = 99");
    db = NULL;
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_SCHEMA);
    assert_null(db);
    assert_non_null(strstr(em.text, t.path));
    assert_non_null(strstr(em.text, "newer Usher (schema 99, this build knows 13)"));
    assert_non_null(strstr(em.text, "upgrade usher"));
    tmp_drop(&t);
}

static void journal_opened_as_coord_is_refused(void **unused)
{
    (void)unused;
    tmp t = tmp_make("journal.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open(t.path, STORE_DEVICE, &db, &em), USHER_OK);
    sqlite3_close(db);
    db = NULL;
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_SCHEMA);
    assert_null(db);
    assert_non_null(strstr(em.text, "is a device journal, not a coordinator database"));
    assert_non_null(strstr(em.text, t.path));
    tmp_drop(&t);
}

static void coord_opened_as_journal_is_refused(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    sqlite3_close(db);
    assert_int_equal(store_open(t.path, STORE_DEVICE, &db, &em), USHER_SCHEMA);
    assert_non_null(strstr(em.text, "is a coordinator database, not a device journal"));
    tmp_drop(&t);
}

static void non_sqlite_file_is_refused(void **unused)
{
    (void)unused;
    tmp t = tmp_make("tickets.csv");
    const char *text = "ticket_number,full_name\nGALA-0001,Ann Example\n"
                       "this file is long enough to have a header SQLite would read.\n";
    testutil_write(t.path, text, strlen(text));
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_SCHEMA);
    assert_null(db);
    assert_non_null(strstr(em.text, "is not an Usher database (not an SQLite file"));
    assert_non_null(strstr(em.text, "tickets.csv"));
    /* Nothing was written into it. */
    size_t len = 0;
    FILE *f = fopen(t.path, "rb");
    assert_non_null(f);
    char buf[256];
    len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_int_equal(len, strlen(text));
    tmp_drop(&t);
}

static void foreign_sqlite_file_is_refused(void **unused)
{
    (void)unused;
    tmp t = tmp_make("other.db");
    raw_exec(t.path, "CREATE TABLE recipes(name TEXT)");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open(t.path, STORE_DEVICE, &db, &em), USHER_SCHEMA);
    assert_non_null(strstr(em.text, "not an Usher database (an SQLite file of some other"));
    raw_exec(t.path, "PRAGMA application_id = 1234");
    assert_int_equal(store_open(t.path, STORE_DEVICE, &db, &em), USHER_SCHEMA);
    assert_non_null(strstr(em.text, "not an Usher database"));
    tmp_drop(&t);
}

static void missing_folder_is_reported(void **unused)
{
    (void)unused;
    tmp t = tmp_make("no-such-folder/coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_IO);
    assert_null(db);
    assert_non_null(strstr(em.text, "no-such-folder/coord.db: cannot open"));
    assert_non_null(strstr(em.text, "folder"));
    tmp_drop(&t);
}

static void bad_version_or_kind_is_refused(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open_version(t.path, STORE_COORD, 0, &db, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, "schema 0"));
    int past = store_schema_version(STORE_COORD) + 1;
    char want[32];
    snprintf(want, sizeof want, "schema %d", past);
    assert_int_equal(store_open_version(t.path, STORE_COORD, past, &db, &em), USHER_INVAL);
    assert_non_null(strstr(em.text, want));
    assert_int_equal(store_open(t.path, (store_kind)9, &db, &em), USHER_INVAL);
    assert_null(db);
    tmp_drop(&t);
}

static void meta_get_set(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    char buf[8] = "keep";
    assert_int_equal(store_meta_get(db, "name", buf, sizeof buf, &em), USHER_NOTFOUND);
    assert_non_null(strstr(em.text, "\"name\""));
    assert_string_equal(buf, "keep");
    assert_int_equal(store_meta_set(db, "name", "Gala", &em), USHER_OK);
    assert_int_equal(store_meta_set(db, "name", "Dinner", &em), USHER_OK);
    assert_int_equal(store_meta_get(db, "name", buf, sizeof buf, &em), USHER_OK);
    assert_string_equal(buf, "Dinner");
    assert_int_equal(store_meta_set(db, "long", "far too long for eight", &em), USHER_OK);
    assert_int_equal(store_meta_get(db, "long", buf, sizeof buf, &em), USHER_TOOBIG);
    assert_non_null(strstr(em.text, "\"long\""));
    char *dup = NULL;
    assert_int_equal(store_meta_dup(db, "long", &dup, &em), USHER_OK);
    assert_string_equal(dup, "far too long for eight");
    free(dup);
    assert_int_equal(store_meta_dup(db, "absent", &dup, &em), USHER_NOTFOUND);
    sqlite3_close(db);
    tmp_drop(&t);
}

static void transactions_and_exec_errors(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL, *other = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    store_rollback(db); /* nothing open: harmless */
    assert_int_equal(store_begin(db, &em), USHER_OK);
    assert_int_equal(store_meta_set(db, "k", "v", &em), USHER_OK);
    store_rollback(db);
    char buf[8];
    assert_int_equal(store_meta_get(db, "k", buf, sizeof buf, &em), USHER_NOTFOUND);

    assert_int_equal(store_exec(db, "SELEC nonsense", &em), USHER_DB);
    assert_non_null(strstr(em.text, "syntax error"));

    /* A second writer is told the database is busy (no waiting in tests). */
    assert_int_equal(store_open(t.path, STORE_COORD, &other, &em), USHER_OK);
    sqlite3_busy_timeout(other, 0);
    assert_int_equal(store_begin(db, &em), USHER_OK);
    assert_int_equal(store_begin(other, &em), USHER_BUSY);
    assert_non_null(strstr(em.text, "busy"));
    assert_int_equal(store_meta_set(db, "k", "v", &em), USHER_OK);
    assert_int_equal(store_commit(db, &em), USHER_OK);
    assert_int_equal(store_meta_get(other, "k", buf, sizeof buf, &em), USHER_OK);
    assert_string_equal(buf, "v");
    sqlite3_close(other);
    sqlite3_close(db);
    tmp_drop(&t);
}

static void store_fail_maps_codes(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    assert_int_not_equal(sqlite3_exec(db, "SELECT * FROM nowhere", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_fail(db, &em, "listing"), USHER_DB);
    assert_string_equal(em.text, "listing: no such table: nowhere");
    sqlite3_close(db);
    tmp_drop(&t);
}

/* A database that cannot grow is "storage full" (USHER_FULL), from a
 * statement and from store_exec alike: what syncd and the kiosk act on. */
static void full_database_is_storage_full(void **unused)
{
    (void)unused;
    tmp t = tmp_make("coord.db");
    sqlite3 *db = NULL;
    usher_errmsg em = {{0}};
    assert_int_equal(store_open(t.path, STORE_COORD, &db, &em), USHER_OK);
    int pages = pragma_int(db, "PRAGMA page_count");
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %d", pages + 2);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE big(x)", NULL, NULL, NULL), SQLITE_OK);
    int rc = SQLITE_OK;
    for (int i = 0; i < 100 && rc == SQLITE_OK; i++)
        rc = sqlite3_exec(db, "INSERT INTO big VALUES (zeroblob(2000))", NULL, NULL, NULL);
    assert_int_equal(rc, SQLITE_FULL);
    assert_int_equal(store_fail(db, &em, "appending"), USHER_FULL);
    assert_non_null(strstr(em.text, "appending: storage full"));
    assert_int_equal(store_exec(db, "INSERT INTO big VALUES (zeroblob(2000))", &em), USHER_FULL);
    assert_non_null(strstr(em.text, "storage full"));
    sqlite3_close(db);
    tmp_drop(&t);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(schema_versions),
    cmocka_unit_test(fresh_coord_has_pragmas_and_stamp),
    cmocka_unit_test(fresh_device_is_stamped_as_journal),
    cmocka_unit_test(coord_v1_migrates_to_latest),
    cmocka_unit_test(device_v1_migrates_to_latest),
    cmocka_unit_test(coord_v2_seat_row_migrates_with_no_lease),
    cmocka_unit_test(coord_v3_op_log_migrates_to_v4),
    cmocka_unit_test(coord_v12_change_log_migrates_to_v13),
    cmocka_unit_test(device_v2_replica_seat_migrates_to_v3_with_no_lease),
    cmocka_unit_test(failed_migration_changes_nothing),
    cmocka_unit_test(newer_schema_is_refused),
    cmocka_unit_test(journal_opened_as_coord_is_refused),
    cmocka_unit_test(coord_opened_as_journal_is_refused),
    cmocka_unit_test(non_sqlite_file_is_refused),
    cmocka_unit_test(foreign_sqlite_file_is_refused),
    cmocka_unit_test(missing_folder_is_reported),
    cmocka_unit_test(bad_version_or_kind_is_refused),
    cmocka_unit_test(meta_get_set),
    cmocka_unit_test(transactions_and_exec_errors),
    cmocka_unit_test(store_fail_maps_codes),
    cmocka_unit_test(full_database_is_storage_full),
};

TESTUTIL_MAIN(tests)

/* store.c - opening Usher's SQLite files: pragmas, the two kinds of file and their
 * migrations (one ordered list of SQL scripts per kind). */
#include "store.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storevfs.h"
#include "text.h"
#include "timestamp.h"

/* PRAGMA application_id of each kind: "USHC" and "USHD" in ASCII. */
#define STORE_APPID_COORD 0x55534843
#define STORE_APPID_DEVICE 0x55534844

#define STORE_BUSY_TIMEOUT_MS 5000

/* The write-ahead log is checkpointed into the file every 1000 pages (4 MiB),
 * and kept at most this long after a checkpoint: the space it holds is
 * reused rather than given back, so a full disk still takes a few commits. */
#define STORE_WAL_PAGES 1000
#define STORE_WAL_LIMIT_BYTES (4 * 1024 * 1024)

/* Coordinator migrations. Never edit a released entry: append a new one. */
static const char *const coord_migrations[] = {
    /* 1: the base schema. Kinds, statuses and reasons are stored by their wire
     * names so that organisers' exports read without a decoder ring. */
    "CREATE TABLE meta(\n"
    "  key TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE seats(\n"
    "  idx INTEGER PRIMARY KEY,\n" /* index in the layout */
    "  id TEXT NOT NULL UNIQUE,\n"
    "  ticket TEXT NOT NULL DEFAULT '',\n"
    "  blocked INTEGER NOT NULL DEFAULT 0,\n"
    "  hold_device TEXT NOT NULL DEFAULT '',\n"
    "  hold_until INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE tickets(\n"
    "  code TEXT PRIMARY KEY,\n"
    "  name TEXT NOT NULL,\n"
    "  class TEXT NOT NULL DEFAULT '',\n"
    "  seat TEXT NOT NULL DEFAULT '',\n"
    "  party TEXT NOT NULL DEFAULT '',\n"
    "  checked_in_at INTEGER NOT NULL DEFAULT 0,\n"
    "  checkin_device TEXT NOT NULL DEFAULT '',\n"
    "  revoked INTEGER NOT NULL DEFAULT 0,\n"
    "  added_at INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE ops(\n"
    "  id TEXT PRIMARY KEY,\n"
    "  seq INTEGER NOT NULL UNIQUE,\n" /* arrival order */
    "  device TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL,\n"
    "  ticket TEXT NOT NULL DEFAULT '',\n"
    "  seat TEXT NOT NULL DEFAULT '',\n"
    "  at INTEGER NOT NULL,\n"
    "  expect_ticket_seat TEXT NOT NULL DEFAULT '',\n"
    "  expect_seat_free INTEGER NOT NULL DEFAULT 1,\n"
    "  party TEXT NOT NULL DEFAULT '',\n"
    "  ttl_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  received_at INTEGER NOT NULL,\n"
    "  status TEXT NOT NULL,\n"
    "  first TEXT NOT NULL DEFAULT '',\n"
    "  reason TEXT NOT NULL DEFAULT '',\n"
    "  reseat TEXT NOT NULL DEFAULT '',\n"
    "  ticket_seat TEXT NOT NULL DEFAULT '',\n"
    "  seat_ticket TEXT NOT NULL DEFAULT '',\n"
    "  checked_in_at INTEGER NOT NULL DEFAULT 0,\n"
    "  checkin_device TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "CREATE TABLE changes(\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  type TEXT NOT NULL CHECK (type IN ('seat', 'ticket')),\n"
    "  at INTEGER NOT NULL,\n"
    "  op_id TEXT NOT NULL DEFAULT '',\n" /* the op that made it; '' for imports */
    "  seat_id TEXT NOT NULL DEFAULT '',\n"
    "  seat_ticket TEXT NOT NULL DEFAULT '',\n"
    "  seat_blocked INTEGER NOT NULL DEFAULT 0,\n"
    "  seat_hold_device TEXT NOT NULL DEFAULT '',\n"
    "  seat_hold_until INTEGER NOT NULL DEFAULT 0,\n"
    "  ticket_code TEXT NOT NULL DEFAULT '',\n"
    "  ticket_name TEXT NOT NULL DEFAULT '',\n"
    "  ticket_class TEXT NOT NULL DEFAULT '',\n"
    "  ticket_seat TEXT NOT NULL DEFAULT '',\n"
    "  ticket_party TEXT NOT NULL DEFAULT '',\n"
    "  ticket_checked_in_at INTEGER NOT NULL DEFAULT 0,\n"
    "  ticket_checkin_device TEXT NOT NULL DEFAULT '',\n"
    "  ticket_revoked INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE alerts(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  kind TEXT NOT NULL,\n"
    "  ticket TEXT NOT NULL DEFAULT '',\n"
    "  seat TEXT NOT NULL DEFAULT '',\n"
    "  other_seat TEXT NOT NULL DEFAULT '',\n"
    "  device TEXT NOT NULL DEFAULT '',\n"
    "  other_device TEXT NOT NULL DEFAULT '',\n"
    "  at INTEGER NOT NULL DEFAULT 0,\n"
    "  other_at INTEGER NOT NULL DEFAULT 0,\n"
    "  op_id TEXT NOT NULL DEFAULT '',\n"
    "  created_at INTEGER NOT NULL,\n"
    "  acked_at INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE checkins(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  ticket TEXT NOT NULL,\n"
    "  device TEXT NOT NULL,\n"
    "  at INTEGER NOT NULL,\n"
    "  duplicate INTEGER NOT NULL DEFAULT 0,\n"
    "  op_id TEXT NOT NULL REFERENCES ops(id)\n"
    ");\n"
    "CREATE TABLE devices(\n"
    "  id TEXT PRIMARY KEY,\n"
    "  role TEXT NOT NULL,\n"
    "  token_hash BLOB NOT NULL UNIQUE,\n"
    "  created_at INTEGER NOT NULL,\n"
    "  last_seen INTEGER NOT NULL DEFAULT 0,\n"
    "  cursor INTEGER NOT NULL DEFAULT 0,\n"
    "  pending INTEGER NOT NULL DEFAULT 0,\n"
    "  disabled INTEGER NOT NULL DEFAULT 0\n"
    ");\n",

    /* 2: indexes for what the dashboard and exports ask all day: check-ins in
     * time order and by ticket, open alerts, a ticket's or a device's ops. */
    "CREATE INDEX checkins_by_time ON checkins(at, id);\n"
    "CREATE INDEX checkins_by_ticket ON checkins(ticket);\n"
    "CREATE INDEX alerts_open ON alerts(id) WHERE acked_at = 0;\n"
    "CREATE INDEX ops_by_ticket ON ops(ticket) WHERE ticket <> '';\n"
    "CREATE INDEX ops_by_device ON ops(device, seq);\n",

    /* 3: seat leases (offline policy `lease`): the device a free seat is
     * reserved for and until when, on the seat and in the change log. */
    "ALTER TABLE seats ADD COLUMN lease_device TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE seats ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE changes ADD COLUMN seat_lease_device TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE changes ADD COLUMN seat_lease_until INTEGER NOT NULL DEFAULT 0;\n",

    /* 4: the op log keyed by arrival order. Its index on the random op ids
     * put one more page per op into every commit's log (over half of the
     * bytes a group commit syncs); a retried id is answered from memory
     * (coorddb_load loads every verdict), so the log keeps no id index and
     * check-ins no foreign key to it. */
    "CREATE TABLE checkins_new(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  ticket TEXT NOT NULL,\n"
    "  device TEXT NOT NULL,\n"
    "  at INTEGER NOT NULL,\n"
    "  duplicate INTEGER NOT NULL DEFAULT 0,\n"
    "  op_id TEXT NOT NULL\n"
    ");\n"
    "INSERT INTO checkins_new SELECT id, ticket, device, at, duplicate, op_id FROM checkins;\n"
    "DROP TABLE checkins;\n"
    "ALTER TABLE checkins_new RENAME TO checkins;\n"
    "CREATE INDEX checkins_by_time ON checkins(at, id);\n"
    "CREATE INDEX checkins_by_ticket ON checkins(ticket);\n"
    "CREATE TABLE ops_new(\n"
    "  seq INTEGER PRIMARY KEY,\n" /* arrival order */
    "  id TEXT NOT NULL,\n"
    "  device TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL,\n"
    "  ticket TEXT NOT NULL DEFAULT '',\n"
    "  seat TEXT NOT NULL DEFAULT '',\n"
    "  at INTEGER NOT NULL,\n"
    "  expect_ticket_seat TEXT NOT NULL DEFAULT '',\n"
    "  expect_seat_free INTEGER NOT NULL DEFAULT 1,\n"
    "  party TEXT NOT NULL DEFAULT '',\n"
    "  ttl_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  received_at INTEGER NOT NULL,\n"
    "  status TEXT NOT NULL,\n"
    "  first TEXT NOT NULL DEFAULT '',\n"
    "  reason TEXT NOT NULL DEFAULT '',\n"
    "  reseat TEXT NOT NULL DEFAULT '',\n"
    "  ticket_seat TEXT NOT NULL DEFAULT '',\n"
    "  seat_ticket TEXT NOT NULL DEFAULT '',\n"
    "  checked_in_at INTEGER NOT NULL DEFAULT 0,\n"
    "  checkin_device TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "INSERT INTO ops_new(seq, id, device, kind, ticket, seat, at, expect_ticket_seat, "
    "expect_seat_free, party, ttl_ms, received_at, status, first, reason, reseat, ticket_seat, "
    "seat_ticket, checked_in_at, checkin_device) "
    "SELECT seq, id, device, kind, ticket, seat, at, expect_ticket_seat, expect_seat_free, party, "
    "ttl_ms, received_at, status, first, reason, reseat, ticket_seat, seat_ticket, "
    "checked_in_at, checkin_device FROM ops;\n"
    "DROP TABLE ops;\n"
    "ALTER TABLE ops_new RENAME TO ops;\n"
    "CREATE INDEX ops_by_ticket ON ops(ticket) WHERE ticket <> '';\n"
    "CREATE INDEX ops_by_device ON ops(device, seq);\n",

    /* 5: ticket identity. A check-in staff made by hand after a name check
     * (manual), and a refused scan's first characters (note) on its op and
     * its scan_refused alert. The event's settings (codes, PIN hash, time
     * zone) are meta rows: an event made before them reads the defaults. */
    "ALTER TABLE ops ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE ops ADD COLUMN note TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE checkins ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE alerts ADD COLUMN note TEXT NOT NULL DEFAULT '';\n",
    /* 6: how long each op waited in its device's outbox (usher-syncd measures
     * it): with received_at, when it happened by the coordinator's clock. */
    "ALTER TABLE ops ADD COLUMN wait_ms INTEGER NOT NULL DEFAULT 0;\n",
    /* 7: the trail of an organiser's correction (ticket_edited,
     * ticket_unrevoked alerts): what the ticket read before and after. */
    "ALTER TABLE alerts ADD COLUMN before_text TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE alerts ADD COLUMN after_text TEXT NOT NULL DEFAULT '';\n",

    /* 8: duplicates found in the database, not only in memory. Every op id
     * is kept, compact (16 bytes for a lower-case UUID), keyed for lookup,
     * with its place in the op log. The coordinator writes the ids in sorted
     * batches of thousands (coorddb_save_op_ids), not one random page per op
     * in every commit; op_ids_seq says how far the log is in the table. */
    "CREATE TABLE op_ids(\n"
    "  id BLOB PRIMARY KEY,\n"
    "  seq INTEGER NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "INSERT INTO meta(key, value) VALUES ('op_ids_seq', '0');\n",

    /* 9: the venue's layout replaced while serving: a 'layout' change in the
     * log carries its new version (meta layout_version; 1 until the first
     * change). SQLite cannot widen a CHECK, so the log is copied once. */
    "CREATE TABLE changes_new(\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  type TEXT NOT NULL CHECK (type IN ('seat', 'ticket', 'layout')),\n"
    "  at INTEGER NOT NULL,\n"
    "  op_id TEXT NOT NULL DEFAULT '',\n"
    "  seat_id TEXT NOT NULL DEFAULT '',\n"
    "  seat_ticket TEXT NOT NULL DEFAULT '',\n"
    "  seat_blocked INTEGER NOT NULL DEFAULT 0,\n"
    "  seat_hold_device TEXT NOT NULL DEFAULT '',\n"
    "  seat_hold_until INTEGER NOT NULL DEFAULT 0,\n"
    "  ticket_code TEXT NOT NULL DEFAULT '',\n"
    "  ticket_name TEXT NOT NULL DEFAULT '',\n"
    "  ticket_class TEXT NOT NULL DEFAULT '',\n"
    "  ticket_seat TEXT NOT NULL DEFAULT '',\n"
    "  ticket_party TEXT NOT NULL DEFAULT '',\n"
    "  ticket_checked_in_at INTEGER NOT NULL DEFAULT 0,\n"
    "  ticket_checkin_device TEXT NOT NULL DEFAULT '',\n"
    "  ticket_revoked INTEGER NOT NULL DEFAULT 0,\n"
    "  seat_lease_device TEXT NOT NULL DEFAULT '',\n"
    "  seat_lease_until INTEGER NOT NULL DEFAULT 0,\n"
    "  layout_version INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "INSERT INTO changes_new(seq, type, at, op_id, seat_id, seat_ticket, seat_blocked, "
    "seat_hold_device, seat_hold_until, ticket_code, ticket_name, ticket_class, ticket_seat, "
    "ticket_party, ticket_checked_in_at, ticket_checkin_device, ticket_revoked, "
    "seat_lease_device, seat_lease_until) "
    "SELECT seq, type, at, op_id, seat_id, seat_ticket, seat_blocked, seat_hold_device, "
    "seat_hold_until, ticket_code, ticket_name, ticket_class, ticket_seat, ticket_party, "
    "ticket_checked_in_at, ticket_checkin_device, ticket_revoked, seat_lease_device, "
    "seat_lease_until FROM changes;\n"
    "DROP TABLE changes;\n"
    "ALTER TABLE changes_new RENAME TO changes;\n",
    /* 10: the seat each ticket's latest imported file gave it, so that a
     * re-import moves a ticket only when the file's seat changed, never back
     * over a move made since (coorddb_import_seats). */
    "CREATE TABLE import_seats(\n"
    "  code TEXT PRIMARY KEY,\n"
    "  seat TEXT NOT NULL\n"
    ") WITHOUT ROWID;\n",

    /* 11: a ticket's note for door staff and its special-attention flag, on
     * the ticket and in the change log. */
    "ALTER TABLE tickets ADD COLUMN note TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE tickets ADD COLUMN attention INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE changes ADD COLUMN ticket_note TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE changes ADD COLUMN ticket_attention INTEGER NOT NULL DEFAULT 0;\n",

    /* 12: exit and re-entry: when (and by which door) a ticket last went out;
     * 0 = not out, so inside = checked in and not out. */
    "ALTER TABLE tickets ADD COLUMN checked_out_at INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE tickets ADD COLUMN checkout_device TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE changes ADD COLUMN ticket_checked_out_at INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE changes ADD COLUMN ticket_checkout_device TEXT NOT NULL DEFAULT '';\n",

    /* 13: entrances (name_key: the name folded, entrance_same_name, so that
     * no two read the same; classes and sections joined with commas), the
     * entrance a door belongs to, and the entrance of each check-in with
     * its staff override ("entrance" or ""). */
    "CREATE TABLE entrances(\n"
    "  name_key TEXT PRIMARY KEY,\n"
    "  name TEXT NOT NULL,\n"
    "  classes TEXT NOT NULL DEFAULT '',\n"
    "  sections TEXT NOT NULL DEFAULT '',\n"
    "  created_at INTEGER NOT NULL\n"
    ");\n"
    "ALTER TABLE devices ADD COLUMN entrance TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE checkins ADD COLUMN entrance TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE checkins ADD COLUMN override TEXT NOT NULL DEFAULT '';\n"
    /* ...and an 'entrances' change in the log: a mark that tells devices to
     * sync (the answer carries the entrances). SQLite cannot widen a CHECK,
     * so the log is copied once more (as in 9). */
    "CREATE TABLE changes_new(\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  type TEXT NOT NULL CHECK (type IN ('seat', 'ticket', 'layout', 'entrances')),\n"
    "  at INTEGER NOT NULL,\n"
    "  op_id TEXT NOT NULL DEFAULT '',\n"
    "  seat_id TEXT NOT NULL DEFAULT '',\n"
    "  seat_ticket TEXT NOT NULL DEFAULT '',\n"
    "  seat_blocked INTEGER NOT NULL DEFAULT 0,\n"
    "  seat_hold_device TEXT NOT NULL DEFAULT '',\n"
    "  seat_hold_until INTEGER NOT NULL DEFAULT 0,\n"
    "  ticket_code TEXT NOT NULL DEFAULT '',\n"
    "  ticket_name TEXT NOT NULL DEFAULT '',\n"
    "  ticket_class TEXT NOT NULL DEFAULT '',\n"
    "  ticket_seat TEXT NOT NULL DEFAULT '',\n"
    "  ticket_party TEXT NOT NULL DEFAULT '',\n"
    "  ticket_checked_in_at INTEGER NOT NULL DEFAULT 0,\n"
    "  ticket_checkin_device TEXT NOT NULL DEFAULT '',\n"
    "  ticket_revoked INTEGER NOT NULL DEFAULT 0,\n"
    "  seat_lease_device TEXT NOT NULL DEFAULT '',\n"
    "  seat_lease_until INTEGER NOT NULL DEFAULT 0,\n"
    "  layout_version INTEGER NOT NULL DEFAULT 0,\n"
    "  ticket_note TEXT NOT NULL DEFAULT '',\n"
    "  ticket_attention INTEGER NOT NULL DEFAULT 0,\n"
    "  ticket_checked_out_at INTEGER NOT NULL DEFAULT 0,\n"
    "  ticket_checkout_device TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "INSERT INTO changes_new("
    "seq, type, at, op_id, seat_id, seat_ticket, seat_blocked, seat_hold_device, "
    "seat_hold_until, ticket_code, ticket_name, ticket_class, ticket_seat, "
    "ticket_party, ticket_checked_in_at, ticket_checkin_device, ticket_revoked, "
    "seat_lease_device, seat_lease_until, layout_version, ticket_note, "
    "ticket_attention, ticket_checked_out_at, ticket_checkout_device"
    ") SELECT "
    "seq, type, at, op_id, seat_id, seat_ticket, seat_blocked, seat_hold_device, "
    "seat_hold_until, ticket_code, ticket_name, ticket_class, ticket_seat, "
    "ticket_party, ticket_checked_in_at, ticket_checkin_device, ticket_revoked, "
    "seat_lease_device, seat_lease_until, layout_version, ticket_note, "
    "ticket_attention, ticket_checked_out_at, ticket_checkout_device"
    " FROM changes;\n"
    "DROP TABLE changes;\n"
    "ALTER TABLE changes_new RENAME TO changes;\n",
};

/* Device journal migrations. Never edit a released entry: append a new one. */
static const char *const device_migrations[] = {
    /* 1: the base schema. */
    "CREATE TABLE meta(\n"
    "  key TEXT PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE outbox(\n"
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  id TEXT NOT NULL UNIQUE,\n"
    "  device TEXT NOT NULL DEFAULT '',\n"
    "  kind TEXT NOT NULL,\n"
    "  ticket TEXT NOT NULL DEFAULT '',\n"
    "  seat TEXT NOT NULL DEFAULT '',\n"
    "  at INTEGER NOT NULL,\n"
    "  expect_ticket_seat TEXT NOT NULL DEFAULT '',\n"
    "  expect_seat_free INTEGER NOT NULL DEFAULT 1,\n"
    "  party TEXT NOT NULL DEFAULT '',\n"
    "  ttl_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),\n"
    "  status TEXT NOT NULL DEFAULT '',\n"
    "  first TEXT NOT NULL DEFAULT '',\n"
    "  reason TEXT NOT NULL DEFAULT '',\n"
    "  reseat TEXT NOT NULL DEFAULT '',\n"
    "  ticket_seat TEXT NOT NULL DEFAULT '',\n"
    "  seat_ticket TEXT NOT NULL DEFAULT '',\n"
    "  checked_in_at INTEGER NOT NULL DEFAULT 0,\n"
    "  checkin_device TEXT NOT NULL DEFAULT '',\n"
    "  created_at INTEGER NOT NULL,\n"
    "  decided_at INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE r_seats(\n"
    "  id TEXT PRIMARY KEY,\n"
    "  ticket TEXT NOT NULL DEFAULT '',\n"
    "  blocked INTEGER NOT NULL DEFAULT 0,\n"
    "  hold_device TEXT NOT NULL DEFAULT '',\n"
    "  hold_until INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE r_tickets(\n"
    "  code TEXT PRIMARY KEY,\n"
    "  name TEXT NOT NULL DEFAULT '',\n"
    "  class TEXT NOT NULL DEFAULT '',\n"
    "  seat TEXT NOT NULL DEFAULT '',\n"
    "  party TEXT NOT NULL DEFAULT '',\n"
    "  checked_in_at INTEGER NOT NULL DEFAULT 0,\n"
    "  checkin_device TEXT NOT NULL DEFAULT '',\n"
    "  revoked INTEGER NOT NULL DEFAULT 0\n"
    ");\n",

    /* 2: the pending ops are read on every sync round and every redraw of the
     * status bar; without this index each read scans the whole outbox. */
    "CREATE INDEX outbox_pending ON outbox(seq) WHERE state = 0;\n",

    /* 3: seat leases (offline policy `lease`) in the replica. */
    "ALTER TABLE r_seats ADD COLUMN lease_device TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE r_seats ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;\n",

    /* 4: ticket identity: manual check-ins and refused scans in the outbox. */
    "ALTER TABLE outbox ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE outbox ADD COLUMN note TEXT NOT NULL DEFAULT '';\n",

    /* 5: a snapshot arrives in pages (a stadium's is too big for one answer
     * or for memory); they are staged here and become the replica in one
     * transaction once the last has come. */
    "CREATE TABLE s_seats(\n"
    "  id TEXT PRIMARY KEY,\n"
    "  ticket TEXT NOT NULL DEFAULT '',\n"
    "  blocked INTEGER NOT NULL DEFAULT 0,\n"
    "  hold_device TEXT NOT NULL DEFAULT '',\n"
    "  hold_until INTEGER NOT NULL DEFAULT 0,\n"
    "  lease_device TEXT NOT NULL DEFAULT '',\n"
    "  lease_until INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE s_tickets(\n"
    "  code TEXT PRIMARY KEY,\n"
    "  name TEXT NOT NULL DEFAULT '',\n"
    "  class TEXT NOT NULL DEFAULT '',\n"
    "  seat TEXT NOT NULL DEFAULT '',\n"
    "  party TEXT NOT NULL DEFAULT '',\n"
    "  checked_in_at INTEGER NOT NULL DEFAULT 0,\n"
    "  checkin_device TEXT NOT NULL DEFAULT '',\n"
    "  revoked INTEGER NOT NULL DEFAULT 0\n"
    ");\n",

    /* 6: a ticket's note for door staff and its special-attention flag, in
     * the replica and in a snapshot's staging table alike (a staged page is
     * copied whole into the replica). */
    "ALTER TABLE r_tickets ADD COLUMN note TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE r_tickets ADD COLUMN attention INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE s_tickets ADD COLUMN note TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE s_tickets ADD COLUMN attention INTEGER NOT NULL DEFAULT 0;\n",

    /* 7: exit and re-entry, in the replica and the staging table alike (in
     * the same order: a staged page is copied with SELECT *). */
    "ALTER TABLE r_tickets ADD COLUMN checked_out_at INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE r_tickets ADD COLUMN checkout_device TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE s_tickets ADD COLUMN checked_out_at INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE s_tickets ADD COLUMN checkout_device TEXT NOT NULL DEFAULT '';\n",

    /* 8: the kiosk's seat-card printer: its state as the kiosk last saw it
     * (one row; usher-syncd sends it with its syncs) and the cards still to
     * print, oldest first, so that a restarted kiosk prints them. */
    "CREATE TABLE printer(\n"
    "  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "  state TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  waiting INTEGER NOT NULL DEFAULT 0,\n"
    "  printed INTEGER NOT NULL DEFAULT 0,\n"
    "  problem TEXT NOT NULL DEFAULT '',\n"
    "  updated_at INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE print_queue(\n"
    "  seq INTEGER PRIMARY KEY,\n"
    "  card TEXT NOT NULL\n"
    ");\n",
    /* 9: entrances as the coordinator last sent them (pos: their order;
     * classes, sections and doors joined with commas), the device's own in meta
     * ("entrance"), and a check-in's entrance and override in the outbox. */
    "CREATE TABLE r_entrances(\n"
    "  pos INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL,\n"
    "  classes TEXT NOT NULL DEFAULT '',\n"
    "  sections TEXT NOT NULL DEFAULT '',\n"
    "  doors TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "ALTER TABLE outbox ADD COLUMN entrance TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE outbox ADD COLUMN override TEXT NOT NULL DEFAULT '';\n",
};

typedef struct kind_info {
    const char *what; /* "a coordinator database" */
    int appid;
    const char *const *migrations;
    int count;
} kind_info;

static const kind_info kinds[] = {
    {"a coordinator database", STORE_APPID_COORD, coord_migrations,
     (int)(sizeof coord_migrations / sizeof coord_migrations[0])},
    {"a device journal", STORE_APPID_DEVICE, device_migrations,
     (int)(sizeof device_migrations / sizeof device_migrations[0])},
};

static const kind_info *kind_get(store_kind kind)
{
    if (kind == STORE_COORD)
        return &kinds[0];
    if (kind == STORE_DEVICE)
        return &kinds[1];
    return NULL;
}

int store_schema_version(store_kind kind)
{
    const kind_info *k = kind_get(kind);
    return k ? k->count : 0;
}

/* The last system call under SQLite failed because the disk is full. */
static bool full_errno(sqlite3 *db)
{
    int e = db ? sqlite3_system_errno(db) : 0;
    return e == ENOSPC || e == EDQUOT;
}

usher_err store_fail(sqlite3 *db, usher_errmsg *em, const char *what)
{
    int rc = db ? sqlite3_errcode(db) & 0xff : SQLITE_ERROR; /* primary code */
    const char *words = db ? sqlite3_errmsg(db) : "no connection";
    usher_err err = USHER_DB;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        err = USHER_BUSY;
    else if (rc == SQLITE_NOMEM)
        err = USHER_NOMEM;
    else if (rc == SQLITE_FULL || (rc == SQLITE_IOERR && full_errno(db)))
        err = USHER_FULL; /* growing the WAL index reports a full disk as an I/O error */
    else if (rc == SQLITE_IOERR)
        err = USHER_IO;
    if (err == USHER_BUSY)
        return usher_fail(em, err, "%s: the database is busy (%s); try again", what, words);
    if (err == USHER_FULL)
        return usher_fail(em, err, "%s: storage full (%s); free space on its disk", what, words);
    return usher_fail(em, err, "%s: %s", what, words);
}

usher_err store_exec(sqlite3 *db, const char *sql, usher_errmsg *em)
{
    char *words = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &words);
    if (rc == SQLITE_OK)
        return USHER_OK;
    usher_err err = USHER_DB;
    if ((rc & 0xff) == SQLITE_FULL || ((rc & 0xff) == SQLITE_IOERR && full_errno(db)))
        err = usher_fail(em, USHER_FULL, "storage full (%s); free space on its disk",
                         words ? words : sqlite3_errstr(rc));
    else
        err = usher_fail(em, USHER_DB, "database error: %s", words ? words : sqlite3_errstr(rc));
    sqlite3_free(words);
    return err;
}

usher_err store_begin(sqlite3 *db, usher_errmsg *em)
{
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK)
        return USHER_OK;
    return store_fail(db, em, "cannot start a transaction");
}

usher_err store_commit(sqlite3 *db, usher_errmsg *em)
{
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return USHER_OK;
    usher_err err = store_fail(db, em, "cannot commit");
    store_rollback(db);
    return err;
}

void store_rollback(sqlite3 *db)
{
    if (db && !sqlite3_get_autocommit(db))
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* Runs a query returning one integer (a pragma or a count). */
static int query_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            *out = 0;
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* Reads the file's kind and version (0 for a new file) and refuses what this
 * build must not touch. */
static usher_err check_header(sqlite3 *db, const char *path, const kind_info *k, int *version,
                              usher_errmsg *em)
{
    int appid = 0, uv = 0, objects = 0;
    int rc = query_int(db, "PRAGMA application_id", &appid);
    if (rc == SQLITE_OK)
        rc = query_int(db, "PRAGMA user_version", &uv);
    if (rc == SQLITE_OK)
        rc = query_int(db, "SELECT count(*) FROM sqlite_master", &objects);
    if ((rc & 0xff) == SQLITE_NOTADB)
        return usher_fail(em, USHER_SCHEMA,
                          "%s is not an Usher database (not an SQLite file at all); check the "
                          "path",
                          path);
    if (rc != SQLITE_OK)
        return store_fail(db, em, path);
    if (appid != k->appid) {
        const kind_info *other = appid == kinds[0].appid   ? &kinds[0]
                                 : appid == kinds[1].appid ? &kinds[1]
                                                           : NULL;
        if (other)
            return usher_fail(em, USHER_SCHEMA, "%s is %s, not %s", path, other->what, k->what);
        if (appid != 0 || objects > 0)
            return usher_fail(em, USHER_SCHEMA,
                              "%s is not an Usher database (an SQLite file of some other "
                              "program); check the path",
                              path);
    }
    if (uv > k->count)
        return usher_fail(em, USHER_SCHEMA,
                          "%s was written by a newer Usher (schema %d, this build knows %d): "
                          "upgrade usher",
                          path, uv, k->count);
    *version = uv;
    return USHER_OK;
}

/* Runs migrations (version, target] and stamps the file, in one transaction.
 * The header is read again under the write lock: another process opening the
 * same file may have migrated it meanwhile. */
static usher_err migrate(sqlite3 *db, const char *path, const kind_info *k, int target,
                         usher_errmsg *em)
{
    usher_err err = store_begin(db, em);
    if (err)
        return err;
    int version = 0;
    err = check_header(db, path, k, &version, em);
    if (err)
        goto fail;
    for (int v = version + 1; v <= target; v++) {
        err = store_exec(db, k->migrations[v - 1], em);
        if (err) {
            usher_errmsg_prefix(em, "%s: migration to schema %d failed", path, v);
            goto fail;
        }
    }
    if (target > version) {
        char sql[96];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d; PRAGMA application_id = %d", target,
                 k->appid);
        err = store_exec(db, sql, em);
        if (err)
            goto fail;
    }
    err = store_commit(db, em);
    if (err)
        usher_errmsg_prefix(em, "%s", path);
    return err;
fail:
    store_rollback(db);
    return err;
}

static usher_err set_pragmas(sqlite3 *db, const char *path, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = USHER_OK;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        err = store_fail(db, em, path);
        goto out;
    }
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    if (!mode || strcmp(mode, "wal") != 0) {
        err = usher_fail(em, USHER_IO,
                         "%s: cannot use write-ahead logging (journal mode stays \"%s\"); put "
                         "the file on a local disk",
                         path, mode ? mode : "?");
        goto out;
    }
    char sql[160];
    snprintf(sql, sizeof sql,
             "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = "
             "%d; PRAGMA journal_size_limit = %d",
             STORE_WAL_PAGES, STORE_WAL_LIMIT_BYTES);
    err = store_exec(db, sql, em);
    if (err)
        usher_errmsg_prefix(em, "%s", path);
out:
    sqlite3_finalize(st);
    return err;
}

static usher_err open_once(const char *path, const kind_info *k, int version, sqlite3 **out,
                           usher_errmsg *em)
{
    sqlite3 *db = NULL;
    usher_err err = USHER_OK;
    int rc = storevfs_install();
    if (rc != SQLITE_OK)
        return usher_fail(em, USHER_IO, "%s: cannot set up SQLite's file access (%s)", path,
                          sqlite3_errstr(rc));
    /* The default VFS: storevfs, or a test's VFS wrapped around it. */
    rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        if (!db)
            err = usher_fail(em, USHER_NOMEM, "%s: out of memory opening it", path);
        else
            err = usher_fail(em, USHER_IO,
                             "%s: cannot open (%s); check that its folder exists and is "
                             "writable",
                             path, sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
    /* One read transaction: the header's three values must come from the
     * same moment, or a file another process is creating right now looks
     * like a stranger's (tables present, application id not yet written). */
    int current = 0;
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        err = store_fail(db, em, path);
        goto fail;
    }
    err = check_header(db, path, k, &current, em);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    if (err)
        goto fail;
    err = set_pragmas(db, path, em);
    if (err)
        goto fail;
    if (current < version) {
        err = migrate(db, path, k, version, em);
        if (err)
            goto fail;
    }
    *out = db;
    return USHER_OK;
fail:
    sqlite3_close(db);
    return err;
}

usher_err store_open_version(const char *path, store_kind kind, int version, sqlite3 **out,
                             usher_errmsg *em)
{
    const kind_info *k = kind_get(kind);
    if (!k)
        return usher_fail(em, USHER_INVAL, "unknown kind of Usher database (%d)", (int)kind);
    if (version < 1 || version > k->count)
        return usher_fail(em, USHER_INVAL, "schema %d of %s does not exist (1..%d)", version,
                          k->what, k->count);
    /* While another process creates the file (rollback journal until it has
     * switched to WAL), SQLite answers some lock requests with BUSY at once
     * instead of waiting, to avoid a deadlock: start over for a while. */
    int64_t give_up = timestamp_mono_ms() + STORE_BUSY_TIMEOUT_MS;
    for (;;) {
        usher_err err = open_once(path, k, version, out, em);
        if (err != USHER_BUSY || timestamp_mono_ms() > give_up)
            return err;
        struct timespec pause = {0, 20 * 1000000L};
        nanosleep(&pause, NULL);
    }
}

usher_err store_open(const char *path, store_kind kind, sqlite3 **out, usher_errmsg *em)
{
    return store_open_version(path, kind, store_schema_version(kind), out, em);
}

usher_err store_meta_opt(sqlite3 *db, const char *key, char *out, size_t size, usher_errmsg *em)
{
    usher_errmsg probe;
    usher_err err = store_meta_get(db, key, out, size, &probe);
    if (err == USHER_NOTFOUND) {
        out[0] = '\0';
        return USHER_OK;
    }
    if (err && em)
        *em = probe;
    return err;
}

usher_err store_meta_get(sqlite3 *db, const char *key, char *out, size_t size, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = USHER_OK;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK) {
        err = store_fail(db, em, "reading meta");
        goto out;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        err = usher_fail(em, USHER_NOTFOUND, "\"%s\" is not set in this database", key);
        goto out;
    }
    if (rc != SQLITE_ROW) {
        err = store_fail(db, em, "reading meta");
        goto out;
    }
    const char *v = (const char *)sqlite3_column_text(st, 0);
    if (!text_copy(out, size, v ? v : "")) {
        err = usher_fail(em, USHER_TOOBIG, "meta \"%s\" is longer than %zu bytes", key,
                         size ? size - 1 : 0);
        goto out;
    }
out:
    sqlite3_finalize(st);
    return err;
}

usher_err store_meta_dup(sqlite3 *db, const char *key, char **out, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = USHER_OK;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK) {
        err = store_fail(db, em, "reading meta");
        goto out;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        err = usher_fail(em, USHER_NOTFOUND, "\"%s\" is not set in this database", key);
        goto out;
    }
    const char *v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (!v) {
        err = store_fail(db, em, "reading meta");
        goto out;
    }
    size_t len = (size_t)sqlite3_column_bytes(st, 0);
    char *copy = malloc(len + 1);
    if (!copy) {
        err = usher_fail(em, USHER_NOMEM, "out of memory reading \"%s\"", key);
        goto out;
    }
    memcpy(copy, v, len);
    copy[len] = '\0';
    *out = copy;
out:
    sqlite3_finalize(st);
    return err;
}

usher_err store_meta_set(sqlite3 *db, const char *key, const char *value, usher_errmsg *em)
{
    sqlite3_stmt *st = NULL;
    usher_err err = USHER_OK;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE)
        err = store_fail(db, em, "writing meta");
    sqlite3_finalize(st);
    return err;
}

bool store_integrity_ok(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    bool ok = false;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(st, 0);
        ok = r && strcmp(r, "ok") == 0;
    }
    sqlite3_finalize(st);
    return ok;
}

/* ---- row helpers for journal.c and coorddb.c ---------------------------- */

void store__column_text(sqlite3_stmt *st, int col, char *buf, size_t size)
{
    const char *v = (const char *)sqlite3_column_text(st, col);
    text_copy(buf, size, v ? v : "");
}

static int bind_str(sqlite3_stmt *st, int i, const char *s)
{
    return sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_STATIC);
}

int store__bind_op(sqlite3_stmt *st, int first, const usher_op *op)
{
    const char *kind = op_kind_name(op->kind);
    int rc = bind_str(st, first, op->id);
    rc |= bind_str(st, first + 1, op->device);
    rc |= bind_str(st, first + 2, kind);
    rc |= bind_str(st, first + 3, op->ticket);
    rc |= bind_str(st, first + 4, op->seat);
    rc |= sqlite3_bind_int64(st, first + 5, op->at);
    rc |= bind_str(st, first + 6, op->expect_ticket_seat);
    rc |= sqlite3_bind_int(st, first + 7, op->expect_seat_free);
    rc |= bind_str(st, first + 8, op->party);
    rc |= sqlite3_bind_int64(st, first + 9, op->ttl_ms);
    rc |= sqlite3_bind_int(st, first + 10, op->manual);
    rc |= bind_str(st, first + 11, op->note);
    return rc ? SQLITE_ERROR : SQLITE_OK;
}

void store__read_op(sqlite3_stmt *st, int first, usher_op *op)
{
    memset(op, 0, sizeof *op);
    store__column_text(st, first, op->id, sizeof op->id);
    store__column_text(st, first + 1, op->device, sizeof op->device);
    op->kind = op_kind_parse((const char *)sqlite3_column_text(st, first + 2));
    store__column_text(st, first + 3, op->ticket, sizeof op->ticket);
    store__column_text(st, first + 4, op->seat, sizeof op->seat);
    op->at = sqlite3_column_int64(st, first + 5);
    store__column_text(st, first + 6, op->expect_ticket_seat, sizeof op->expect_ticket_seat);
    op->expect_seat_free = sqlite3_column_int(st, first + 7) != 0;
    store__column_text(st, first + 8, op->party, sizeof op->party);
    op->ttl_ms = sqlite3_column_int64(st, first + 9);
    op->manual = sqlite3_column_int(st, first + 10) != 0;
    store__column_text(st, first + 11, op->note, sizeof op->note);
}

int store__bind_verdict(sqlite3_stmt *st, int first, const verdict *v)
{
    int rc = bind_str(st, first, verdict_status_name(v->status));
    rc |= bind_str(st, first + 1, verdict_status_name(v->first));
    rc |= bind_str(st, first + 2, verdict_reason_name(v->reason));
    rc |= bind_str(st, first + 3, v->reseat);
    rc |= bind_str(st, first + 4, v->ticket_seat);
    rc |= bind_str(st, first + 5, v->seat_ticket);
    rc |= sqlite3_bind_int64(st, first + 6, v->checked_in_at);
    rc |= bind_str(st, first + 7, v->checkin_device);
    return rc ? SQLITE_ERROR : SQLITE_OK;
}

void store__read_verdict(sqlite3_stmt *st, int first, verdict *v)
{
    memset(v, 0, sizeof *v);
    v->status = verdict_status_parse((const char *)sqlite3_column_text(st, first));
    v->first = verdict_status_parse((const char *)sqlite3_column_text(st, first + 1));
    v->reason = verdict_reason_parse((const char *)sqlite3_column_text(st, first + 2));
    store__column_text(st, first + 3, v->reseat, sizeof v->reseat);
    store__column_text(st, first + 4, v->ticket_seat, sizeof v->ticket_seat);
    store__column_text(st, first + 5, v->seat_ticket, sizeof v->seat_ticket);
    v->checked_in_at = sqlite3_column_int64(st, first + 6);
    store__column_text(st, first + 7, v->checkin_device, sizeof v->checkin_device);
}

int store__bind_seat(sqlite3_stmt *st, int first, const seat_state *s)
{
    int rc = bind_str(st, first, s->ticket);
    rc |= sqlite3_bind_int(st, first + 1, s->blocked);
    rc |= bind_str(st, first + 2, s->hold_device);
    rc |= sqlite3_bind_int64(st, first + 3, s->hold_until);
    rc |= bind_str(st, first + 4, s->lease_device);
    rc |= sqlite3_bind_int64(st, first + 5, s->lease_until);
    return rc ? SQLITE_ERROR : SQLITE_OK;
}

void store__read_seat(sqlite3_stmt *st, int first, seat_state *s)
{
    memset(s, 0, sizeof *s);
    store__column_text(st, first, s->ticket, sizeof s->ticket);
    s->blocked = sqlite3_column_int(st, first + 1) != 0;
    store__column_text(st, first + 2, s->hold_device, sizeof s->hold_device);
    s->hold_until = sqlite3_column_int64(st, first + 3);
    store__column_text(st, first + 4, s->lease_device, sizeof s->lease_device);
    s->lease_until = sqlite3_column_int64(st, first + 5);
}

int store__bind_ticket(sqlite3_stmt *st, int first, const ticket_state *t)
{
    int rc = bind_str(st, first, t->code);
    rc |= bind_str(st, first + 1, t->name);
    rc |= bind_str(st, first + 2, t->klass);
    rc |= bind_str(st, first + 3, t->seat);
    rc |= bind_str(st, first + 4, t->party);
    rc |= sqlite3_bind_int64(st, first + 5, t->checked_in_at);
    rc |= bind_str(st, first + 6, t->checkin_device);
    rc |= sqlite3_bind_int(st, first + 7, t->revoked);
    rc |= bind_str(st, first + 8, t->note);
    rc |= sqlite3_bind_int(st, first + 9, t->attention);
    rc |= sqlite3_bind_int64(st, first + 10, t->checked_out_at);
    rc |= bind_str(st, first + 11, t->checkout_device);
    return rc ? SQLITE_ERROR : SQLITE_OK;
}

void store__read_ticket(sqlite3_stmt *st, int first, ticket_state *t)
{
    memset(t, 0, sizeof *t);
    store__column_text(st, first, t->code, sizeof t->code);
    store__column_text(st, first + 1, t->name, sizeof t->name);
    store__column_text(st, first + 2, t->klass, sizeof t->klass);
    store__column_text(st, first + 3, t->seat, sizeof t->seat);
    store__column_text(st, first + 4, t->party, sizeof t->party);
    t->checked_in_at = sqlite3_column_int64(st, first + 5);
    store__column_text(st, first + 6, t->checkin_device, sizeof t->checkin_device);
    t->revoked = sqlite3_column_int(st, first + 7) != 0;
    store__column_text(st, first + 8, t->note, sizeof t->note);
    t->attention = sqlite3_column_int(st, first + 9) != 0;
    t->checked_out_at = sqlite3_column_int64(st, first + 10);
    store__column_text(st, first + 11, t->checkout_device, sizeof t->checkout_device);
}

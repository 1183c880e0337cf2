/* coordpg.c - the coordinator's store on PostgreSQL through libpq: schema and
 * migrations, group commits in one transaction, the same rows and answers as
 * the SQLite store (syncd/coord/coorddb.c), read closely and mirrored here. */
#include "coordpg.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coordwhere.h"
#include "pgarray.h"
#include "text.h"

/* Meta keys, as in the SQLite store. */
#define K_SCHEMA "usher_schema" /* the migrations applied */
#define K_EVENT_ID "event_id"
#define K_EVENT_NAME "event_name"
#define K_CREATED "created_at"
#define K_HOLD_TTL "hold_ttl_ms"
#define K_RESEAT "reseat"
#define K_PK "signing_pk"
#define K_SK "signing_sk"
#define K_LAYOUT "layout"
#define K_CODES "codes"
#define K_CODES_BY "codes_by"
#define K_PIN_HASH "pin_hash"
#define K_TZ "tz"
#define K_LANG "lang"
#define K_REENTRY "reentry"
#define K_OP_IDS_SEQ "op_ids_seq"
#define K_LAYOUT_VERSION "layout_version" /* absent: 1, the layout init stored */
#define K_LOG_ID "log_id"                 /* this copy of the op log (absent: the event id) */
#define K_LOG_HOME "log_home"             /* where this copy lives (log_home_here) */

#define TOKEN_BYTES 32
#define TOKEN_HASH_BYTES crypto_generichash_BYTES

/* Advisory lock keys (one 64-bit space per database): "USHC" then a number. */
#define LOCK_MIGRATE INT64_C(0x5553484300000001) /* schema changes, in a transaction */
#define LOCK_SERVE INT64_C(0x5553484300000002)   /* the first event's one writer */

/* Many events in one database: a schema each, named in the registry
 * public.usher_events (event id -> schema). The database's first event lives
 * in the schema public, where a database of one event always had it, and
 * keeps LOCK_SERVE; every further event is the schema usher_ID (the id's '-'
 * as '_': ids have no '_', so no two ids share a schema). */
#define REGISTRY_SQL                                                                               \
    "CREATE TABLE IF NOT EXISTS public.usher_events(\n"                                            \
    "  id TEXT COLLATE \"C\" PRIMARY KEY,\n"                                                       \
    "  schema_name TEXT COLLATE \"C\" NOT NULL UNIQUE,\n"                                          \
    "  created_at BIGINT NOT NULL DEFAULT 0\n"                                                     \
    ");\n"
#define SCHEMA_NAME_SIZE 48

/* Statements in a pipeline between two syncs: results are read at each sync,
 * so that neither side's socket buffer fills while the other waits. */
#define FLUSH_EVERY 512

/* Migrations. Never edit a released entry: append a new one. Text columns
 * sort bytewise (COLLATE "C", as SQLite does) whatever the database's locale;
 * flags are integers 0/1, so that the exports print what SQLite's do. */
static const char *const pg_migrations[] = {
    /* 1: the schema of the SQLite store's version 8, in one step. */
    "CREATE TABLE meta(\n"
    "  key TEXT COLLATE \"C\" PRIMARY KEY,\n"
    "  value TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE seats(\n"
    "  idx INTEGER PRIMARY KEY,\n"
    "  id TEXT COLLATE \"C\" NOT NULL UNIQUE,\n"
    "  ticket TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  blocked INTEGER NOT NULL DEFAULT 0,\n"
    "  hold_device TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  hold_until BIGINT NOT NULL DEFAULT 0,\n"
    "  lease_device TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  lease_until BIGINT NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE tickets(\n"
    "  code TEXT COLLATE \"C\" PRIMARY KEY,\n"
    "  name TEXT COLLATE \"C\" NOT NULL,\n"
    "  class TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  seat TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  party TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  checked_in_at BIGINT NOT NULL DEFAULT 0,\n"
    "  checkin_device TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  revoked INTEGER NOT NULL DEFAULT 0,\n"
    "  added_at BIGINT NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE ops(\n"
    "  seq BIGINT PRIMARY KEY,\n" /* arrival order */
    "  id TEXT COLLATE \"C\" NOT NULL,\n"
    "  device TEXT COLLATE \"C\" NOT NULL,\n"
    "  kind TEXT COLLATE \"C\" NOT NULL,\n"
    "  ticket TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  seat TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  at BIGINT NOT NULL,\n"
    "  expect_ticket_seat TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  expect_seat_free INTEGER NOT NULL DEFAULT 1,\n"
    "  party TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  ttl_ms BIGINT NOT NULL DEFAULT 0,\n"
    "  received_at BIGINT NOT NULL,\n"
    "  status TEXT COLLATE \"C\" NOT NULL,\n"
    "  first TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  reason TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  reseat TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  ticket_seat TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  seat_ticket TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  checked_in_at BIGINT NOT NULL DEFAULT 0,\n"
    "  checkin_device TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  manual INTEGER NOT NULL DEFAULT 0,\n"
    "  note TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  wait_ms BIGINT NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE INDEX ops_by_ticket ON ops(ticket) WHERE ticket <> '';\n"
    "CREATE INDEX ops_by_device ON ops(device, seq);\n"
    "CREATE TABLE changes(\n"
    "  seq BIGINT PRIMARY KEY,\n"
    "  type TEXT COLLATE \"C\" NOT NULL CHECK (type IN ('seat', 'ticket')),\n"
    "  at BIGINT NOT NULL,\n"
    "  op_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  seat_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  seat_ticket TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  seat_blocked INTEGER NOT NULL DEFAULT 0,\n"
    "  seat_hold_device TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  seat_hold_until BIGINT NOT NULL DEFAULT 0,\n"
    "  seat_lease_device TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  seat_lease_until BIGINT NOT NULL DEFAULT 0,\n"
    "  ticket_code TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  ticket_name TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  ticket_class TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  ticket_seat TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  ticket_party TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  ticket_checked_in_at BIGINT NOT NULL DEFAULT 0,\n"
    "  ticket_checkin_device TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  ticket_revoked INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE alerts(\n"
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
    "  kind TEXT COLLATE \"C\" NOT NULL,\n"
    "  ticket TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  seat TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  other_seat TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  device TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  other_device TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  at BIGINT NOT NULL DEFAULT 0,\n"
    "  other_at BIGINT NOT NULL DEFAULT 0,\n"
    "  op_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  created_at BIGINT NOT NULL,\n"
    "  acked_at BIGINT NOT NULL DEFAULT 0,\n"
    "  note TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  before_text TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  after_text TEXT COLLATE \"C\" NOT NULL DEFAULT ''\n"
    ");\n"
    "CREATE INDEX alerts_open ON alerts(id) WHERE acked_at = 0;\n"
    "CREATE TABLE checkins(\n"
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n"
    "  ticket TEXT COLLATE \"C\" NOT NULL,\n"
    "  device TEXT COLLATE \"C\" NOT NULL,\n"
    "  at BIGINT NOT NULL,\n"
    "  duplicate INTEGER NOT NULL DEFAULT 0,\n"
    "  op_id TEXT COLLATE \"C\" NOT NULL,\n"
    "  manual INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE INDEX checkins_by_time ON checkins(at, id);\n"
    "CREATE INDEX checkins_by_ticket ON checkins(ticket);\n"
    "CREATE TABLE devices(\n"
    "  id TEXT COLLATE \"C\" PRIMARY KEY,\n"
    "  role TEXT COLLATE \"C\" NOT NULL,\n"
    "  token_hash BYTEA NOT NULL UNIQUE,\n"
    "  created_at BIGINT NOT NULL,\n"
    "  last_seen BIGINT NOT NULL DEFAULT 0,\n"
    "  cursor BIGINT NOT NULL DEFAULT 0,\n"
    "  pending BIGINT NOT NULL DEFAULT 0,\n"
    "  disabled INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE op_ids(\n"
    "  id BYTEA PRIMARY KEY,\n"
    "  seq BIGINT NOT NULL\n"
    ");\n"
    "INSERT INTO meta(key, value) VALUES ('op_ids_seq', '0');\n",

    /* 2: a ticket's note for door staff and its special-attention flag, on
     * the ticket and in the change log (the SQLite store's version 11). */
    "ALTER TABLE tickets ADD COLUMN note TEXT COLLATE \"C\" NOT NULL DEFAULT '';\n"
    "ALTER TABLE tickets ADD COLUMN attention INTEGER NOT NULL DEFAULT 0;\n"
    "ALTER TABLE changes ADD COLUMN ticket_note TEXT COLLATE \"C\" NOT NULL DEFAULT '';\n"
    "ALTER TABLE changes ADD COLUMN ticket_attention INTEGER NOT NULL DEFAULT 0;\n",

    /* 3: exit and re-entry: when (and by which door) a ticket last went out,
     * on the ticket and in the change log (the SQLite store's version 12). */
    "ALTER TABLE tickets ADD COLUMN checked_out_at BIGINT NOT NULL DEFAULT 0;\n"
    "ALTER TABLE tickets ADD COLUMN checkout_device TEXT COLLATE \"C\" NOT NULL DEFAULT '';\n"
    "ALTER TABLE changes ADD COLUMN ticket_checked_out_at BIGINT NOT NULL DEFAULT 0;\n"
    "ALTER TABLE changes ADD COLUMN ticket_checkout_device TEXT COLLATE \"C\" NOT NULL "
    "DEFAULT '';\n",

    /* 4: the venue's layout replaced (a 'layout' change carrying its new
     * version, meta layout_version), and the seat each ticket's latest
     * imported file gave it (the SQLite store's versions 9 and 10). */
    "ALTER TABLE changes DROP CONSTRAINT changes_type_check;\n"
    "ALTER TABLE changes ADD CONSTRAINT changes_type_check "
    "CHECK (type IN ('seat', 'ticket', 'layout'));\n"
    "ALTER TABLE changes ADD COLUMN layout_version BIGINT NOT NULL DEFAULT 0;\n"
    "CREATE TABLE import_seats(\n"
    "  code TEXT COLLATE \"C\" PRIMARY KEY,\n"
    "  seat TEXT COLLATE \"C\" NOT NULL\n"
    ");\n",
    /* 5: many events in one database: the registry of events and their
     * schemas (made before any migration by the first open that knows it,
     * so that it is there when an older database's event is registered;
     * here for a schema that somehow lacks it). */
    REGISTRY_SQL,
    /* 6: the serves of an event (one active, the others standby), each with
     * the address devices should use, so that a standby can name the active
     * and the active can list them all (coorddb_serve_seen, coorddb_serves). */
    "CREATE TABLE serves(\n"
    "  event TEXT COLLATE \"C\" NOT NULL,\n"
    "  url TEXT COLLATE \"C\" NOT NULL,\n"
    "  active INTEGER NOT NULL DEFAULT 0,\n"
    "  since BIGINT NOT NULL DEFAULT 0,\n" /* when it took the lock */
    "  seen_at BIGINT NOT NULL,\n"
    "  PRIMARY KEY(event, url)\n"
    ");\n",
    /* 7: entrances, a door's entrance, a check-in's entrance and override
     * (the SQLite store's version 13). */
    "CREATE TABLE entrances(\n"
    "  name_key TEXT COLLATE \"C\" PRIMARY KEY,\n"
    "  name TEXT COLLATE \"C\" NOT NULL,\n"
    "  classes TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  sections TEXT COLLATE \"C\" NOT NULL DEFAULT '',\n"
    "  created_at BIGINT NOT NULL\n"
    ");\n"
    "ALTER TABLE devices ADD COLUMN entrance TEXT COLLATE \"C\" NOT NULL DEFAULT '';\n"
    "ALTER TABLE checkins ADD COLUMN entrance TEXT COLLATE \"C\" NOT NULL DEFAULT '';\n"
    "ALTER TABLE checkins ADD COLUMN override TEXT COLLATE \"C\" NOT NULL DEFAULT '';\n"
    /* ...and an 'entrances' change in the log: a mark that tells devices to sync. */
    "ALTER TABLE changes DROP CONSTRAINT changes_type_check;\n"
    "ALTER TABLE changes ADD CONSTRAINT changes_type_check "
    "CHECK (type IN ('seat', 'ticket', 'layout', 'entrances'));\n",
};

#define PG_SCHEMA_VERSION ((int)(sizeof pg_migrations / sizeof pg_migrations[0]))

int coordpg_schema_version(void)
{
    return PG_SCHEMA_VERSION;
}

#define CHANGE_COLUMNS                                                                             \
    "seq, type, seat_id, seat_ticket, seat_blocked, seat_hold_device, seat_hold_until, "           \
    "seat_lease_device, seat_lease_until, ticket_code, ticket_name, ticket_class, ticket_seat, "   \
    "ticket_party, ticket_checked_in_at, ticket_checkin_device, ticket_revoked, ticket_note, "     \
    "ticket_attention, ticket_checked_out_at, ticket_checkout_device, layout_version"
#define DEVICE_COLUMNS "id, role, created_at, last_seen, cursor, pending, disabled, entrance"
#define ALERT_COLUMNS                                                                              \
    "id, kind, ticket, seat, other_seat, device, other_device, at, other_at, op_id, "              \
    "created_at, acked_at, note, before_text, after_text"
#define VERDICT_COLUMNS                                                                            \
    "status, first, reason, reseat, ticket_seat, seat_ticket, checked_in_at, checkin_device"

/* Prepared once per connection (again after a reconnection). */
enum {
    P_OPS_BULK,
    P_CHANGES_BULK,
    P_SEATS_BULK,
    P_TICKETS_BULK,
    P_ALERTS_BULK,
    P_CHECKINS_BULK,
    P_SEAT_INSERT,
    P_CHANGES_SINCE,
    P_AUTH,
    P_SEEN,
    P_FIND_VERDICT,
    P_META_GET,
    P_META_SET,
    P_OPID_INSERT,
    P_REGISTER,
    P_COUNT
};

static const char *const pg_sql[P_COUNT] = {
    /* A group's rows go in one statement a table: arrays of each column
     * (text form), unnest()ed in their order (WITH ORDINALITY where the
     * table numbers its rows). */
    [P_OPS_BULK] = "INSERT INTO ops(id, device, kind, ticket, seat, at, expect_ticket_seat, "
                   "expect_seat_free, party, ttl_ms, manual, note, " VERDICT_COLUMNS
                   ", seq, received_at, wait_ms) "
                   "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], "
                   "$5::text[], $6::bigint[], $7::text[], $8::integer[], $9::text[], "
                   "$10::bigint[], $11::integer[], $12::text[], $13::text[], $14::text[], "
                   "$15::text[], $16::text[], $17::text[], $18::text[], $19::bigint[], "
                   "$20::text[], $21::bigint[], $22::bigint[], $23::bigint[])",
    [P_CHANGES_BULK] = "INSERT INTO changes(seq, type, at, op_id, seat_id, seat_ticket, "
                       "seat_blocked, seat_hold_device, seat_hold_until, seat_lease_device, "
                       "seat_lease_until, ticket_code, ticket_name, ticket_class, ticket_seat, "
                       "ticket_party, ticket_checked_in_at, ticket_checkin_device, "
                       "ticket_revoked, ticket_note, ticket_attention, ticket_checked_out_at, "
                       "ticket_checkout_device) "
                       "SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], "
                       "$5::text[], $6::text[], $7::integer[], $8::text[], $9::bigint[], "
                       "$10::text[], $11::bigint[], $12::text[], $13::text[], $14::text[], "
                       "$15::text[], $16::text[], $17::bigint[], $18::text[], $19::integer[], "
                       "$20::text[], $21::integer[], $22::bigint[], $23::text[])",
    /* An upsert whose insert fails (idx NULL) for a seat not in the table:
     * the error aborts the transaction (an UPDATE of no row would succeed),
     * so that COMMIT can go in the same pipeline. */
    [P_SEATS_BULK] = "INSERT INTO seats(idx, id, ticket, blocked, hold_device, hold_until, "
                     "lease_device, lease_until) "
                     "SELECT (SELECT s.idx FROM seats s WHERE s.id = u.id), u.id, u.ticket, "
                     "u.blocked, u.hold_device, u.hold_until, u.lease_device, u.lease_until "
                     "FROM unnest($1::text[], $2::text[], $3::integer[], $4::text[], "
                     "$5::bigint[], $6::text[], $7::bigint[]) "
                     "AS u(id, ticket, blocked, hold_device, hold_until, lease_device, "
                     "lease_until) "
                     "ON CONFLICT(id) DO UPDATE SET ticket = excluded.ticket, "
                     "blocked = excluded.blocked, hold_device = excluded.hold_device, "
                     "hold_until = excluded.hold_until, lease_device = excluded.lease_device, "
                     "lease_until = excluded.lease_until",
    [P_TICKETS_BULK] = "INSERT INTO tickets(code, name, class, seat, party, checked_in_at, "
                       "checkin_device, revoked, note, attention, checked_out_at, "
                       "checkout_device, added_at) "
                       "SELECT u.*, $13::bigint FROM unnest($1::text[], $2::text[], $3::text[], "
                       "$4::text[], $5::text[], $6::bigint[], $7::text[], $8::integer[], "
                       "$9::text[], $10::integer[], $11::bigint[], $12::text[]) AS u "
                       "ON CONFLICT(code) DO UPDATE SET name = excluded.name, "
                       "class = excluded.class, seat = excluded.seat, party = excluded.party, "
                       "checked_in_at = excluded.checked_in_at, "
                       "checkin_device = excluded.checkin_device, revoked = excluded.revoked, "
                       "note = excluded.note, attention = excluded.attention, "
                       "checked_out_at = excluded.checked_out_at, "
                       "checkout_device = excluded.checkout_device",
    [P_ALERTS_BULK] = "INSERT INTO alerts(kind, ticket, seat, other_seat, device, other_device, "
                      "at, other_at, op_id, created_at, note, before_text, after_text) "
                      "SELECT kind, ticket, seat, other_seat, device, other_device, at, "
                      "other_at, op_id, created_at, note, before_text, after_text "
                      "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
                      "$6::text[], $7::bigint[], $8::bigint[], $9::text[], $10::bigint[], "
                      "$11::text[], $12::text[], $13::text[]) WITH ORDINALITY "
                      "AS u(kind, ticket, seat, other_seat, device, other_device, at, "
                      "other_at, op_id, created_at, note, before_text, after_text, n) "
                      "ORDER BY n",
    [P_CHECKINS_BULK] = "INSERT INTO checkins(ticket, device, at, duplicate, op_id, manual, "
                        "entrance, override) "
                        "SELECT ticket, device, at, duplicate, op_id, manual, entrance, override "
                        "FROM unnest($1::text[], $2::text[], $3::bigint[], $4::integer[], "
                        "$5::text[], $6::integer[], $7::text[], $8::text[]) WITH ORDINALITY "
                        "AS u(ticket, device, at, duplicate, op_id, manual, entrance, override, "
                        "n) ORDER BY n",
    [P_SEAT_INSERT] = "INSERT INTO seats(idx, id) VALUES ($1, $2)",
    [P_CHANGES_SINCE] = "SELECT " CHANGE_COLUMNS " FROM changes WHERE seq > $1 "
                        "ORDER BY seq LIMIT $2",
    [P_AUTH] = "SELECT " DEVICE_COLUMNS ", token_hash FROM devices WHERE token_hash = $1",
    [P_SEEN] = "UPDATE devices SET last_seen = $2, cursor = $3, pending = $4 WHERE id = $1",
    [P_FIND_VERDICT] = "SELECT o.id, o.status, o.first, o.reason, o.reseat, o.ticket_seat, "
                       "o.seat_ticket, o.checked_in_at, o.checkin_device "
                       "FROM op_ids k JOIN ops o ON o.seq = k.seq WHERE k.id = $1",
    [P_META_GET] = "SELECT value FROM meta WHERE key = $1",
    [P_META_SET] = "INSERT INTO meta(key, value) VALUES ($1, $2) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [P_OPID_INSERT] = "INSERT INTO op_ids(id, seq) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    [P_REGISTER] = "INSERT INTO public.usher_events(id, schema_name, created_at) "
                   "VALUES ($1, $2, $3)",
};

/* What a statement sent in a pipeline must do: affect exactly one row
 * (seat_id names the seat in the message) or anything. */
typedef struct sent {
    bool is_commit;                   /* the transaction's COMMIT */
    char seat_id[USHER_SEAT_ID_SIZE]; /* the seat a seat row's statement writes, for messages */
} sent;

/* Columns of one table's rows waiting to be sent (arrays of each). */
#define MAX_COLS 23
typedef struct colset {
    pgarray col[MAX_COLS]; /* one array literal a column */
    size_t rows;
} colset;

typedef struct seat_row {
    char id[USHER_SEAT_ID_SIZE];
    seat_state s;
} seat_row;

/* The rows of the open transaction: appended as the ops are written, sent
 * as one statement a table before COMMIT (or when many have gathered). Seat
 * and ticket rows are kept whole: a seat changed twice in a group is written
 * once, as it is last (an upsert may not touch a row twice). */
typedef struct batch {
    colset ops, changes, alerts, checkins;
    seat_row *seats;
    size_t nseats, seats_cap;
    ticket_state *tickets;
    size_t ntickets, tickets_cap;
    int64_t now; /* tickets' added_at */
    bool nomem;
} batch;

struct coorddb_impl {
    PGconn *conn;
    /* The event this handle works on: its schema (the connection's
     * search_path), its id ("" while a database of no event is opened
     * without one) and whether the registry names it yet (init does). */
    char schema[SCHEMA_NAME_SIZE];
    char event_id[COORDWHERE_EVENT_ID_SIZE];
    bool registered;
    pthread_mutex_t mu; /* recursive: one call on the connection at a time */
    bool prepared;
    bool locked;         /* holds lock_key */
    int64_t lock_key;    /* coordpg_lock_key of the event, once locked */
    _Atomic bool lost;   /* the lock went with a lost session and another serve took it */
    bool unsure;         /* a COMMIT's outcome is unknown */
    int64_t last_seq;    /* highest committed change seq */
    int64_t last_op_seq; /* highest committed ops.seq */
    int64_t op_ids_seq;  /* ops up to this seq are in op_ids */
    batch rows;          /* the open transaction's rows not sent yet */
    /* A Bloom filter of the keys in op_ids: an id it has never seen is not
     * there, so a group of new ops costs no lookup (a false "maybe", under
     * 1 in 100 at 16 bits a key, costs one). NULL: every id is looked up. */
    uint64_t *seen;
    uint64_t seen_bits; /* a power of two */
    int64_t seen_count; /* keys added */
    /* the statements of the open pipeline whose results are not read yet */
    sent *pending;
    size_t npending, cap;
    bool pipe_failed; /* a statement of this transaction failed, or the connection */
    bool saw_error;   /* PostgreSQL answered a statement with an error: rolled back */
    bool committed;   /* PostgreSQL answered COMMIT */
    usher_errmsg pipe_em;
    usher_err pipe_err;
    char home[160]; /* where the op log lived when opened (log_home_here; "" unknown) */
    bool moved;     /* reconnected to another copy of the database: refuse everything */
};

static void batch_flush(coorddb_impl *db);
static void batch_reset(batch *b);
static void batch_release(batch *b);
static void seen_build(coorddb_impl *db);
static usher_err check_log_home(coorddb_impl *db, usher_errmsg *em);
static usher_err check_still_home(coorddb_impl *db, usher_errmsg *em);
static usher_err use_schema(coorddb_impl *db, usher_errmsg *em);
static usher_err session_setup(coorddb_impl *db, usher_errmsg *em);

/* ---- parameters ------------------------------------------------------------ */

#define MAX_PARAMS 24

typedef struct params {
    int n;
    const char *v[MAX_PARAMS];
    int len[MAX_PARAMS];
    int fmt[MAX_PARAMS];
    char num[MAX_PARAMS][24];
    char fixed[MAX_PARAMS][USHER_NAME_SIZE]; /* text that was not UTF-8, made so */
} params;

static void p_text(params *p, const char *s)
{
    s = s ? s : "";
    /* The database refuses text that is not UTF-8; what reaches here was
     * checked long before, but a truncated copy could end in half a
     * character: such bytes become '?' rather than fail a whole group. */
    if (!text_utf8_valid(s, strlen(s))) {
        char *f = p->fixed[p->n];
        size_t k = 0;
        for (; s[k] && k + 1 < sizeof p->fixed[0]; k++)
            f[k] = (unsigned char)s[k] < 0x80 ? s[k] : '?';
        f[k] = '\0';
        s = f;
    }
    p->v[p->n] = s;
    p->len[p->n] = 0;
    p->fmt[p->n] = 0;
    p->n++;
}

static void p_i64(params *p, int64_t x)
{
    snprintf(p->num[p->n], sizeof p->num[0], "%lld", (long long)x);
    p->v[p->n] = p->num[p->n];
    p->len[p->n] = 0;
    p->fmt[p->n] = 0;
    p->n++;
}

static void p_bin(params *p, const void *b, int len)
{
    p->v[p->n] = b;
    p->len[p->n] = len;
    p->fmt[p->n] = 1;
    p->n++;
}

/* ---- reading results --------------------------------------------------------- */

static const char *col(const PGresult *r, int row, int c)
{
    return PQgetvalue(r, row, c); /* "" for NULL */
}

static int64_t col_i64(const PGresult *r, int row, int c)
{
    int64_t v = 0;
    return text_parse_i64(col(r, row, c), INT64_MIN, INT64_MAX, &v) ? v : 0;
}

static void col_text(const PGresult *r, int row, int c, char *buf, size_t size)
{
    text_copy(buf, size, col(r, row, c));
}

static void read_seat(const PGresult *r, int row, int first, seat_state *s)
{
    memset(s, 0, sizeof *s);
    col_text(r, row, first, s->ticket, sizeof s->ticket);
    s->blocked = col_i64(r, row, first + 1) != 0;
    col_text(r, row, first + 2, s->hold_device, sizeof s->hold_device);
    s->hold_until = col_i64(r, row, first + 3);
    col_text(r, row, first + 4, s->lease_device, sizeof s->lease_device);
    s->lease_until = col_i64(r, row, first + 5);
}

static void read_ticket(const PGresult *r, int row, int first, ticket_state *t)
{
    memset(t, 0, sizeof *t);
    col_text(r, row, first, t->code, sizeof t->code);
    col_text(r, row, first + 1, t->name, sizeof t->name);
    col_text(r, row, first + 2, t->klass, sizeof t->klass);
    col_text(r, row, first + 3, t->seat, sizeof t->seat);
    col_text(r, row, first + 4, t->party, sizeof t->party);
    t->checked_in_at = col_i64(r, row, first + 5);
    col_text(r, row, first + 6, t->checkin_device, sizeof t->checkin_device);
    t->revoked = col_i64(r, row, first + 7) != 0;
    col_text(r, row, first + 8, t->note, sizeof t->note);
    t->attention = col_i64(r, row, first + 9) != 0;
    t->checked_out_at = col_i64(r, row, first + 10);
    col_text(r, row, first + 11, t->checkout_device, sizeof t->checkout_device);
}

static void read_verdict(const PGresult *r, int row, int first, verdict *v)
{
    memset(v, 0, sizeof *v);
    v->status = verdict_status_parse(col(r, row, first));
    v->first = verdict_status_parse(col(r, row, first + 1));
    v->reason = verdict_reason_parse(col(r, row, first + 2));
    col_text(r, row, first + 3, v->reseat, sizeof v->reseat);
    col_text(r, row, first + 4, v->ticket_seat, sizeof v->ticket_seat);
    col_text(r, row, first + 5, v->seat_ticket, sizeof v->seat_ticket);
    v->checked_in_at = col_i64(r, row, first + 6);
    col_text(r, row, first + 7, v->checkin_device, sizeof v->checkin_device);
}

/* ---- errors and the connection ------------------------------------------------ */

/* PostgreSQL's words, on one line. */
static void pg_words(coorddb_impl *db, const PGresult *r, char *out, size_t size)
{
    const char *m = r ? PQresultErrorMessage(r) : "";
    if (!m || !*m)
        m = PQerrorMessage(db->conn);
    text_copy(out, size, m && *m ? m : "no answer");
    for (char *c = out; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    size_t n = strlen(out);
    while (n && out[n - 1] == ' ')
        out[--n] = '\0';
}

/* USHER_IO when the server is gone (the connection is broken), else USHER_DB. */
static usher_err pg_fail(coorddb_impl *db, const PGresult *r, usher_errmsg *em, const char *what)
{
    char words[USHER_ERRMSG_SIZE / 2];
    pg_words(db, r, words, sizeof words);
    bool gone = PQstatus(db->conn) != CONNECTION_OK;
    return usher_fail(em, gone ? USHER_IO : USHER_DB, "%s: PostgreSQL says: %s%s", what, words,
                      gone ? " (the connection to the database server is lost)" : "");
}

static bool sqlstate_is(const PGresult *r, const char *code)
{
    const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return s && !strcmp(s, code);
}

static usher_err prepare_all(coorddb_impl *db, usher_errmsg *em)
{
    for (int i = 0; i < P_COUNT; i++) {
        char name[8];
        snprintf(name, sizeof name, "u%d", i);
        PGresult *r = PQprepare(db->conn, name, pg_sql[i], 0, NULL);
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        usher_err err = ok ? USHER_OK : pg_fail(db, r, em, "coordinator database: preparing");
        PQclear(r);
        if (err)
            return err;
    }
    db->prepared = true;
    return USHER_OK;
}

/* A machine that vanishes (no FIN) must not keep its session, and with it
 * the event's lock, for the kernel's two hours of keepalive: the server
 * gives up on this session's TCP connection after about 10 s without an
 * acknowledgement, so that a standby can take over. Ignored on a unix
 * socket; best effort (a server that refuses them keeps its own settings). */
static void keepalive_setup(coorddb_impl *db)
{
    PGresult *r = PQexec(db->conn, "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; "
                                   "SET tcp_keepalives_count = 3; SET tcp_user_timeout = 10000");
    PQclear(r);
}

/* Before each call: a broken connection (the server restarted) is opened
 * again, and the statements prepared on it. */
static usher_err ready(coorddb_impl *db, usher_errmsg *em)
{
    if (atomic_load(&db->lost))
        return usher_fail(em, USHER_BUSY,
                          "this 'usher-coord serve' lost the database to another one (its "
                          "session with PostgreSQL ended meanwhile): it writes nothing more");
    if (db->moved)
        return check_still_home(db, em);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        PQreset(db->conn);
        db->prepared = false;
        if (PQstatus(db->conn) != CONNECTION_OK)
            return pg_fail(db, NULL, em, "cannot reach the PostgreSQL database");
        usher_err err = session_setup(db, em);
        if (err)
            return err;
        if (db->locked) {
            /* The lock went with the old session: another serve may hold it now. */
            PGresult *r = NULL;
            params p = {0};
            p_i64(&p, db->lock_key);
            r = PQexecParams(db->conn, "SELECT pg_try_advisory_lock($1::bigint)", p.n, NULL, p.v,
                             p.len, p.fmt, 0);
            bool got = PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(col(r, 0, 0), "t");
            PQclear(r);
            if (!got) {
                /* For good: nothing more is written on this handle, even
                 * once the other serve is gone (its state in memory is not
                 * what the database holds now). */
                db->locked = false;
                atomic_store(&db->lost, true);
                return usher_fail(em, USHER_BUSY,
                                  "the connection to PostgreSQL was lost and another "
                                  "'usher-coord serve' took the database meanwhile");
            }
        }
    }
    if (db->prepared)
        return USHER_OK;
    usher_err err = check_still_home(db, em); /* a new session: the same database? */
    return err ? err : prepare_all(db, em);
}

static PGresult *run_prepared(coorddb_impl *db, int id, const params *p)
{
    char name[8];
    snprintf(name, sizeof name, "u%d", id);
    return PQexecPrepared(db->conn, name, p ? p->n : 0, p ? p->v : NULL, p ? p->len : NULL,
                          p ? p->fmt : NULL, 0);
}

/* Runs SQL without results (no parameters: fixed text only). */
static usher_err exec(coorddb_impl *db, const char *sql, usher_errmsg *em, const char *what)
{
    PGresult *r = PQexec(db->conn, sql);
    ExecStatusType s = PQresultStatus(r);
    usher_err err =
        s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? USHER_OK : pg_fail(db, r, em, what);
    PQclear(r);
    return err;
}

/* ---- transactions: a pipeline between BEGIN and COMMIT ------------------------------ */

static void tx_send_sql(coorddb_impl *db, const char *sql);

/* BEGIN, and a pipeline for the statements: BEGIN goes with the first of
 * them (one round trip less per transaction). */
static usher_err tx_pipeline(coorddb_impl *db, usher_errmsg *em)
{
    batch_reset(&db->rows);
    db->npending = 0;
    db->pipe_failed = db->saw_error = db->committed = false;
    db->pipe_err = USHER_OK;
    if (!PQenterPipelineMode(db->conn))
        return pg_fail(db, NULL, em, "coordinator database: pipeline mode");
    return USHER_OK;
}

static usher_err tx_begin(coorddb_impl *db, usher_errmsg *em)
{
    usher_err err = tx_pipeline(db, em);
    if (!err)
        tx_send_sql(db, "BEGIN");
    return err;
}

/* Reads the results of every statement sent since the last sync, noting the
 * first failure. */
static void tx_sync(coorddb_impl *db)
{
    if (!PQpipelineSync(db->conn)) {
        if (!db->pipe_failed) {
            db->pipe_failed = true;
            db->pipe_err = pg_fail(db, NULL, &db->pipe_em, "coordinator database: writing");
        }
        db->npending = 0;
        return;
    }
    size_t i = 0;
    int nulls = 0;
    for (;;) {
        PGresult *r = PQgetResult(db->conn);
        if (!r) {
            /* One NULL ends a statement's results; two in a row mean
             * nothing more will come (the connection is gone, whatever
             * PQstatus says yet): never wait for a sync that was lost. */
            if (PQstatus(db->conn) != CONNECTION_OK || ++nulls > 1) {
                if (!db->pipe_failed) {
                    db->pipe_failed = true;
                    db->pipe_err = pg_fail(db, NULL, &db->pipe_em, "coordinator database");
                }
                break;
            }
            continue;
        }
        nulls = 0;
        ExecStatusType s = PQresultStatus(r);
        if (s == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        const sent *what = i < db->npending ? &db->pending[i] : NULL;
        if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
            if (what && what->is_commit) {
                /* COMMIT of a transaction that had failed answers ROLLBACK */
                db->committed = !strcmp(PQcmdStatus(r), "COMMIT");
                db->saw_error |= !db->committed;
            }
        } else {
            db->saw_error = true; /* an error, or skipped after one */
            if (!db->pipe_failed && s != PGRES_PIPELINE_ABORTED) {
                db->pipe_failed = true;
                if (sqlstate_is(r, "23505"))
                    db->pipe_err = usher_fail(&db->pipe_em, USHER_EXISTS,
                                              "coordinator database: a row that is already there");
                else if (sqlstate_is(r, "23502") && what && what->seat_id[0]) {
                    char words[USHER_ERRMSG_SIZE / 2];
                    pg_words(db, r, words, sizeof words); /* its DETAIL names the seat */
                    db->pipe_err = usher_fail(&db->pipe_em, USHER_NOTFOUND,
                                              "a seat of this group is not in the database "
                                              "(PostgreSQL says: %s)",
                                              words);
                } else
                    db->pipe_err = pg_fail(db, r, &db->pipe_em, "coordinator database: writing");
            } else if (!db->pipe_failed) {
                db->pipe_failed = true;
                db->pipe_err = pg_fail(db, r, &db->pipe_em, "coordinator database: writing");
            }
        }
        PQclear(r);
        i++;
    }
    db->npending = 0;
}

/* Room for one more statement in the pipeline's list of results to read;
 * false when the transaction failed already or memory ran out (then failed). */
static bool pending_room(coorddb_impl *db)
{
    if (db->pipe_failed)
        return false;
    if (db->npending == db->cap) {
        size_t cap = db->cap ? 2 * db->cap : 64;
        sent *bigger = realloc(db->pending, cap * sizeof *bigger);
        if (!bigger) {
            db->pipe_failed = true;
            db->pipe_err = usher_fail(&db->pipe_em, USHER_NOMEM, "out of memory writing");
            return false;
        }
        db->pending = bigger, db->cap = cap;
    }
    return true;
}

/* Queues a prepared statement in the transaction's pipeline. */
static void tx_send(coorddb_impl *db, int id, const params *p, const char *seat)
{
    if (!pending_room(db))
        return;
    char name[8];
    snprintf(name, sizeof name, "u%d", id);
    if (!PQsendQueryPrepared(db->conn, name, p->n, p->v, p->len, p->fmt, 0)) {
        db->pipe_failed = true;
        db->pipe_err = pg_fail(db, NULL, &db->pipe_em, "coordinator database: writing");
        return;
    }
    sent *s = &db->pending[db->npending++];
    s->is_commit = false;
    text_copy(s->seat_id, sizeof s->seat_id, seat ? seat : "");
    if (db->npending >= FLUSH_EVERY)
        tx_sync(db);
}

/* Queues fixed SQL (no parameters) in the transaction's pipeline. */
static void tx_send_sql(coorddb_impl *db, const char *sql)
{
    if (!pending_room(db))
        return;
    if (!PQsendQueryParams(db->conn, sql, 0, NULL, NULL, NULL, NULL, 0)) {
        db->pipe_failed = true;
        db->pipe_err = pg_fail(db, NULL, &db->pipe_em, "coordinator database: writing");
        return;
    }
    db->pending[db->npending].is_commit = !strcmp(sql, "COMMIT");
    db->pending[db->npending++].seat_id[0] = '\0';
}

/* Leaves pipeline mode after reading every result; then the first failure. */
static usher_err tx_end_pipeline(coorddb_impl *db, usher_errmsg *em)
{
    if (PQpipelineStatus(db->conn) == PQ_PIPELINE_OFF)
        return db->pipe_failed ? db->pipe_err : USHER_OK;
    tx_sync(db);
    if (!PQexitPipelineMode(db->conn) && !db->pipe_failed) {
        db->pipe_failed = true;
        db->pipe_err = pg_fail(db, NULL, &db->pipe_em, "coordinator database: pipeline mode");
    }
    if (db->pipe_failed && em)
        *em = db->pipe_em;
    return db->pipe_failed ? db->pipe_err : USHER_OK;
}

static void tx_rollback(coorddb_impl *db)
{
    batch_reset(&db->rows);
    if (PQpipelineStatus(db->conn) != PQ_PIPELINE_OFF) {
        tx_sync(db);
        PQexitPipelineMode(db->conn);
    }
    if (PQstatus(db->conn) == CONNECTION_OK && PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
        PGresult *r = PQexec(db->conn, "ROLLBACK");
        PQclear(r);
    }
}

/* COMMIT at the end of the pipeline, then every result. Only a COMMIT that
 * PostgreSQL confirms counts; one sent without an answer (the connection
 * lost, the server gone) may have happened or not: db is unsure from then
 * on. An error answered for any statement is a clean failure (rolled back). */
static usher_err tx_commit(coorddb_impl *db, usher_errmsg *em)
{
    batch_flush(db);
    bool sent_commit = !db->pipe_failed;
    tx_send_sql(db, "COMMIT");
    usher_err err = tx_end_pipeline(db, em);
    if (db->committed && !err)
        return USHER_OK;
    if (!err)
        err = usher_fail(em, USHER_DB, "cannot commit: PostgreSQL gave no answer");
    if (sent_commit && !db->saw_error) {
        db->unsure = true;
        usher_errmsg_prefix(em, "the database server failed while saving, so what it holds is "
                                "unknown");
    }
    tx_rollback(db);
    return err;
}

/* ---- meta ----------------------------------------------------------------------- */

static usher_err meta_dup(coorddb_impl *db, const char *key, char **out, usher_errmsg *em)
{
    params p = {0};
    p_text(&p, key);
    /* Before the statements are prepared (while migrating), as plain text. */
    PGresult *r = db->prepared
                      ? run_prepared(db, P_META_GET, &p)
                      : PQexecParams(db->conn, pg_sql[P_META_GET], p.n, NULL, p.v, p.len, p.fmt, 0);
    usher_err err = USHER_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        err = pg_fail(db, r, em, "coordinator database: reading meta");
    else if (PQntuples(r) == 0)
        err = usher_fail(em, USHER_NOTFOUND, "meta \"%s\" is not set", key);
    else if (!(*out = strdup(col(r, 0, 0))))
        err = usher_fail(em, USHER_NOMEM, "out of memory reading \"%s\"", key);
    PQclear(r);
    return err;
}

/* As store_meta_get: NOTFOUND when absent, TOOBIG when it does not fit. */
static usher_err meta_get(coorddb_impl *db, const char *key, char *out, size_t size,
                          usher_errmsg *em)
{
    char *v = NULL;
    usher_err err = meta_dup(db, key, &v, em);
    if (!err && strlen(v) >= size)
        err = usher_fail(em, USHER_TOOBIG, "meta \"%s\" is too long", key);
    else if (!err)
        memcpy(out, v, strlen(v) + 1);
    free(v);
    return err;
}

static usher_err meta_opt(coorddb_impl *db, const char *key, char *out, size_t size,
                          usher_errmsg *em)
{
    usher_errmsg probe;
    usher_err err = meta_get(db, key, out, size, &probe);
    if (err == USHER_NOTFOUND) {
        out[0] = '\0';
        return USHER_OK;
    }
    if (err && em)
        *em = probe;
    return err;
}

static usher_err meta_i64(coorddb_impl *db, const char *key, int64_t *out, usher_errmsg *em)
{
    char buf[32];
    usher_err err = meta_get(db, key, buf, sizeof buf, em);
    if (!err && !text_parse_i64(buf, INT64_MIN, INT64_MAX, out))
        err = usher_fail(em, USHER_DB, "coordinator database: meta \"%s\" is not a number", key);
    return err;
}

/* In the open transaction's pipeline. */
static void tx_meta_set(coorddb_impl *db, const char *key, const char *value)
{
    params p = {0};
    p_text(&p, key);
    p_text(&p, value);
    tx_send(db, P_META_SET, &p, NULL);
}

static void tx_meta_set_i64(coorddb_impl *db, const char *key, int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    tx_meta_set(db, key, buf);
}

/* ---- opening: schema and migrations ------------------------------------------------ */

static usher_err query_i64(coorddb_impl *db, const char *sql, int64_t *out, usher_errmsg *em)
{
    PGresult *r = PQexec(db->conn, sql);
    usher_err err = USHER_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        err = pg_fail(db, r, em, "coordinator database");
    else
        *out = col_i64(r, 0, 0);
    PQclear(r);
    return err;
}

/* The database this handle is on, for messages: "gala on /run/postgresql". */
static void where_text(coorddb_impl *db, char *out, size_t size)
{
    const char *host = PQhost(db->conn);
    snprintf(out, size, "\"%s\"%s%s", PQdb(db->conn) ? PQdb(db->conn) : "",
             host && *host ? " on " : "", host ? host : "");
}

/* Reads the schema version (0 for an empty database) and refuses what this
 * build cannot use; the caller holds LOCK_MIGRATE in a transaction. */
static usher_err check_schema(coorddb_impl *db, int *version, usher_errmsg *em)
{
    char where[256];
    where_text(db, where, sizeof where);
    PGresult *r = PQexec(db->conn, "SELECT string_agg(tablename, ', ' ORDER BY tablename), "
                                   "bool_or(tablename = 'meta') FROM pg_tables "
                                   "WHERE schemaname = current_schema() "
                                   "AND tablename <> 'usher_events'");
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        usher_err err = pg_fail(db, r, em, "coordinator database: reading its tables");
        PQclear(r);
        return err;
    }
    char tables[200];
    text_copy(tables, sizeof tables, col(r, 0, 0));
    bool has_meta = !strcmp(col(r, 0, 1), "t");
    PQclear(r);
    if (!has_meta) {
        if (tables[0])
            return usher_fail(em, USHER_SCHEMA,
                              "the PostgreSQL database %s is not an Usher coordinator's: it "
                              "holds other tables (%s); give usher-coord a database of its own "
                              "(createdb)",
                              where, tables);
        *version = 0;
        return USHER_OK;
    }
    char v[16];
    usher_errmsg probe;
    usher_err err = meta_get(db, K_SCHEMA, v, sizeof v, &probe);
    int64_t n = 0;
    if (err == USHER_NOTFOUND || (!err && !text_parse_i64(v, 1, 1000000, &n)))
        return usher_fail(em, USHER_SCHEMA,
                          "the PostgreSQL database %s is not an Usher coordinator's (its table "
                          "meta has no usher_schema); give usher-coord a database of its own",
                          where);
    if (err) {
        if (em)
            *em = probe;
        return err;
    }
    if (n > PG_SCHEMA_VERSION)
        return usher_fail(em, USHER_SCHEMA,
                          "the PostgreSQL database %s was written by a newer Usher (schema %lld, "
                          "this build knows %d): use that usher-coord or a newer one",
                          where, (long long)n, PG_SCHEMA_VERSION);
    *version = (int)n;
    return USHER_OK;
}

/* BEGIN and the migrations' lock for the transaction: every open, init and
 * schema change of the database waits for the others here. When BEGIN
 * itself failed the connection is idle (nothing to roll back). */
static usher_err begin_migration(coorddb_impl *db, usher_errmsg *em)
{
    usher_err err = exec(db, "BEGIN", em, "coordinator database: starting a transaction");
    if (err)
        return err;
    params p = {0};
    p_i64(&p, LOCK_MIGRATE);
    PGresult *r = PQexecParams(db->conn, "SELECT pg_advisory_xact_lock($1::bigint)", p.n, NULL, p.v,
                               p.len, p.fmt, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        err = pg_fail(db, r, em, "coordinator database: waiting for another migration");
    PQclear(r);
    return err;
}

static usher_err migrate(coorddb_impl *db, usher_errmsg *em)
{
    usher_err err = begin_migration(db, em);
    if (err && PQtransactionStatus(db->conn) == PQTRANS_IDLE) /* BEGIN failed */
        return err;
    int version = 0;
    if (!err)
        err = check_schema(db, &version, em);
    for (int v = version + 1; !err && v <= PG_SCHEMA_VERSION; v++) {
        err = exec(db, pg_migrations[v - 1], em, "coordinator database: migrating");
        if (err)
            usher_errmsg_prefix(em, "migration to schema %d failed", v);
    }
    if (!err && version < PG_SCHEMA_VERSION) {
        char sql[128];
        snprintf(sql, sizeof sql,
                 "INSERT INTO meta(key, value) VALUES ('" K_SCHEMA "', '%d') "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 PG_SCHEMA_VERSION);
        err = exec(db, sql, em, "coordinator database: migrating");
    }
    if (!err)
        err = exec(db, "COMMIT", em, "coordinator database: migrating");
    if (err) {
        PGresult *rb = PQexec(db->conn, "ROLLBACK");
        PQclear(rb);
    }
    return err;
}

/* ---- many events: the registry, a schema each ------------------------------------ */

int64_t coordpg_lock_key(const char *schema)
{
    if (!strcmp(schema, "public"))
        return LOCK_SERVE; /* what a serve of the database's one event always took */
    char text[SCHEMA_NAME_SIZE + 16];
    int n = snprintf(text, sizeof text, "usher-serve %s", schema);
    uint8_t h[crypto_generichash_BYTES_MIN] = {0};
    (void)!crypto_generichash(h, sizeof h, (const unsigned char *)text,
                              n > 0 ? (unsigned long long)n : 0, NULL, 0); /* cannot fail */
    uint64_t k = 0;
    for (int i = 0; i < 8; i++)
        k = k << 8 | h[i];
    return (int64_t)k;
}

static void schema_of(const char *id, char out[SCHEMA_NAME_SIZE])
{
    snprintf(out, SCHEMA_NAME_SIZE, "usher_%s", id);
    for (char *c = out; *c; c++)
        if (*c == '-')
            *c = '_';
}

/* A schema name from the registry: one this store makes (the SQL quotes it,
 * and a damaged row must not inject anything). */
static bool schema_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= SCHEMA_NAME_SIZE)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

/* The connection works in the event's schema (again after a reconnection). */
static usher_err use_schema(coorddb_impl *db, usher_errmsg *em)
{
    char sql[SCHEMA_NAME_SIZE + 32];
    snprintf(sql, sizeof sql, "SET search_path TO \"%s\"", db->schema);
    return exec(db, sql, em, "coordinator database: choosing the event's schema");
}

/* The registry's rows, by id. */
typedef struct reg_row {
    char id[COORDWHERE_EVENT_ID_SIZE];
    char schema[SCHEMA_NAME_SIZE];
    int64_t created_at;
} reg_row;

/* In a transaction holding LOCK_MIGRATE: refuses a database that is not
 * Usher's (schema public holding other tables), makes the registry, and
 * registers an older database's one event (in public, under the id its name
 * gives). Then reads the registry into *rows (malloc'd) and says whether
 * public holds an event. */
static usher_err registry_read(coorddb_impl *db, reg_row **rows, size_t *n, bool *public_used,
                               usher_errmsg *em)
{
    *rows = NULL;
    *n = 0;
    int version = 0;
    usher_err err = exec(db, "SET LOCAL search_path TO public", em, "coordinator database");
    if (!err)
        err = check_schema(db, &version, em);
    /* A hot standby (or any read-only session) is read, never written: the
     * registry is made and an older database's event registered only where
     * writing is allowed; read-only and unregistered, that event is listed
     * as the registry would list it. */
    bool read_only = false, have_registry = false;
    if (!err) {
        PGresult *q = PQexec(db->conn, "SELECT current_setting('transaction_read_only') = 'on', "
                                       "to_regclass('public.usher_events') IS NOT NULL");
        if (PQresultStatus(q) != PGRES_TUPLES_OK || PQntuples(q) != 1)
            err = pg_fail(db, q, em, "coordinator database: looking for the registry of events");
        else {
            read_only = !strcmp(PQgetvalue(q, 0, 0), "t");
            have_registry = !strcmp(PQgetvalue(q, 0, 1), "t");
        }
        PQclear(q);
    }
    if (!err && !have_registry && !read_only) {
        err = exec(db, REGISTRY_SQL, em, "coordinator database: making the registry of events");
        have_registry = !err;
    }
    char name[USHER_EVENT_NAME_SIZE] = "", created[32] = "0";
    if (!err && version > 0)
        err = meta_opt(db, K_EVENT_NAME, name, sizeof name, em);
    if (!err && version > 0)
        err = meta_opt(db, K_CREATED, created, sizeof created, em);
    *public_used = name[0] != '\0';
    if (!err && name[0] && !have_registry) { /* read-only, never registered */
        reg_row *one = calloc(1, sizeof *one);
        if (!one)
            return usher_fail(em, USHER_NOMEM, "out of memory");
        coordwhere_event_id_from_name(name, one->id);
        text_copy(one->schema, sizeof one->schema, "public");
        one->created_at = strtoll(created, NULL, 10);
        *rows = one;
        *n = 1;
        return USHER_OK;
    }
    if (!err && !have_registry) /* read-only and empty: no events */
        return USHER_OK;
    if (!err && name[0] && !read_only) {
        char id[COORDWHERE_EVENT_ID_SIZE];
        coordwhere_event_id_from_name(name, id);
        params p = {0};
        p_text(&p, id);
        p_text(&p, created);
        PGresult *r =
            PQexecParams(db->conn,
                         "INSERT INTO public.usher_events(id, schema_name, created_at) "
                         "SELECT $1, 'public', $2::bigint WHERE NOT EXISTS "
                         "(SELECT 1 FROM public.usher_events WHERE schema_name = 'public') "
                         "ON CONFLICT DO NOTHING",
                         p.n, NULL, p.v, p.len, p.fmt, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            err = pg_fail(db, r, em, "coordinator database: registering its event");
        PQclear(r);
    }
    if (err)
        return err;
    PGresult *r = PQexec(db->conn, "SELECT id, schema_name, created_at FROM public.usher_events "
                                   "ORDER BY id");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        err = pg_fail(db, r, em, "coordinator database: reading the registry of events");
        PQclear(r);
        return err;
    }
    int rn = PQntuples(r);
    reg_row *out = calloc(rn > 0 ? (size_t)rn : 1, sizeof *out);
    if (!out)
        err = usher_fail(em, USHER_NOMEM, "out of memory");
    for (int i = 0; !err && i < rn; i++) {
        col_text(r, i, 0, out[i].id, sizeof out[i].id);
        col_text(r, i, 1, out[i].schema, sizeof out[i].schema);
        out[i].created_at = col_i64(r, i, 2);
        if (coordwhere_event_id_check(out[i].id, NULL) || !schema_name_ok(out[i].schema))
            err = usher_fail(em, USHER_DB,
                             "the registry of events (public.usher_events) is damaged: its row "
                             "\"%s\" names the schema \"%s\"",
                             out[i].id, out[i].schema);
        if (!strcmp(out[i].schema, "public"))
            *public_used = true;
    }
    PQclear(r);
    if (err) {
        free(out);
        return err;
    }
    *rows = out;
    *n = (size_t)rn;
    return USHER_OK;
}

/* BEGIN, the migrations' lock for the transaction, then the registry read
 * (registry_read). The caller commits or rolls back, unless BEGIN itself
 * failed (the connection is then idle). */
static usher_err registry_begin(coorddb_impl *db, reg_row **rows, size_t *n, bool *public_used,
                                usher_errmsg *em)
{
    usher_err err = begin_migration(db, em);
    if (err && PQtransactionStatus(db->conn) == PQTRANS_IDLE) /* BEGIN failed */
        return err;
    if (!err)
        err = registry_read(db, rows, n, public_used, em);
    return err;
}

/* "a, b, c" of the rows' ids, for messages. */
static void ids_text(const reg_row *rows, size_t n, char *out, size_t size)
{
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && k + 1 < size; i++) {
        int w = snprintf(out + k, size - k, "%s%s", i ? ", " : "", rows[i].id);
        if (w < 0 || (size_t)w >= size - k) {
            snprintf(out + (size > 4 ? size - 4 : 0), size > 4 ? 4 : size, "...");
            break;
        }
        k += (size_t)w;
    }
}

/* Chooses the event's schema (coorddb_open_event's rules), making a new
 * event's schema when create is set; db->schema, event_id, registered. */
static usher_err choose_event(coorddb_impl *db, const char *event_id, bool create, usher_errmsg *em)
{
    reg_row *rows = NULL;
    size_t n = 0;
    bool public_used = false;
    usher_err err = registry_begin(db, &rows, &n, &public_used, em);
    if (err && PQtransactionStatus(db->conn) == PQTRANS_IDLE)
        return err; /* BEGIN itself failed: nothing to roll back */
    char where[256], ids[400];
    where_text(db, where, sizeof where);
    ids_text(rows, n, ids, sizeof ids);
    const reg_row *found = NULL;
    for (size_t i = 0; !err && i < n && event_id; i++)
        if (!strcmp(rows[i].id, event_id))
            found = &rows[i];
    if (err) {
    } else if (!event_id && n > 1) {
        err = usher_fail(em, USHER_INVAL,
                         "the PostgreSQL database %s holds %zu events (%s): choose one with "
                         "--event-id ID ('usher-coord events' lists them with their names)",
                         where, n, ids);
    } else if (!event_id && n == 1) {
        found = &rows[0];
    } else if (!event_id) {
        text_copy(db->schema, sizeof db->schema, "public"); /* no event yet: init makes it here */
    } else if (!found && !create) {
        err = usher_fail(em, USHER_NOTFOUND,
                         n ? "the PostgreSQL database %s holds no event \"%s\"; its events: %s "
                             "('usher-coord events' lists them with their names)"
                           : "the PostgreSQL database %s holds no event \"%s\"%s: run "
                             "'usher-coord init --event-id ...' first",
                         where, event_id, ids);
    } else if (!found) {
        /* A new event: public when it holds none, else a schema of its own,
         * registered by init in the event's own transaction. */
        if (public_used)
            schema_of(event_id, db->schema);
        else
            text_copy(db->schema, sizeof db->schema, "public");
        text_copy(db->event_id, sizeof db->event_id, event_id);
        if (strcmp(db->schema, "public") != 0) {
            char sql[SCHEMA_NAME_SIZE + 40];
            snprintf(sql, sizeof sql, "CREATE SCHEMA IF NOT EXISTS \"%s\"", db->schema);
            err = exec(db, sql, em, "coordinator database: making the event's schema");
        }
    }
    if (!err && found) {
        text_copy(db->schema, sizeof db->schema, found->schema);
        text_copy(db->event_id, sizeof db->event_id, found->id);
        db->registered = true;
    }
    free(rows);
    if (!err)
        err = exec(db, "COMMIT", em, "coordinator database: choosing the event");
    if (err) {
        PGresult *rb = PQexec(db->conn, "ROLLBACK");
        PQclear(rb);
    }
    return err;
}

static void pg_free(coorddb_impl *db)
{
    if (!db)
        return;
    PQfinish(db->conn); /* ends the session: its advisory locks go with it */
    pthread_mutex_destroy(&db->mu);
    batch_release(&db->rows);
    free(db->seen);
    free(db->pending);
    free(db);
}

/* What every session of the store sets (again after a reconnection, which
 * starts a new one). An accepted op is on disk before its answer: the
 * server's default (on, or what a replicated setup chose: remote_write,
 * remote_apply) stands, only "off" (which may lose the last commits in a
 * crash) is raised for this session. "already exists, skipping" of the
 * registry's CREATE ... IF NOT EXISTS is no news for the organiser's
 * terminal. Then the event's schema, once chosen. */
static usher_err session_setup(coorddb_impl *db, usher_errmsg *em)
{
    PGresult *sc = PQexec(db->conn, "SHOW synchronous_commit");
    bool off = PQresultStatus(sc) == PGRES_TUPLES_OK && !strcmp(col(sc, 0, 0), "off");
    PQclear(sc);
    usher_err err = USHER_OK;
    if (off)
        err = exec(db, "SET synchronous_commit = on", em, "coordinator database");
    if (!err)
        err = exec(db, "SET client_min_messages = warning", em, "coordinator database");
    if (!err && db->schema[0])
        err = use_schema(db, em);
    if (!err)
        keepalive_setup(db);
    return err;
}

/* A new handle with its connection made and checked: no event chosen yet. */
static usher_err pg_connect(const char *where, coorddb_impl **out, usher_errmsg *em)
{
    coorddb_impl *db = calloc(1, sizeof *db);
    if (!db)
        return usher_fail(em, USHER_NOMEM, "out of memory opening the PostgreSQL database");
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&db->mu, &a);
    pthread_mutexattr_destroy(&a);
    /* dbname carries the whole string (libpq's expand_dbname); the rest are
     * ours: passwords come from PGPASSFILE or PGPASSWORD as libpq does. */
    const char *keys[] = {"dbname", "application_name", "client_encoding", NULL};
    const char *vals[] = {where, "usher-coord", "UTF8", NULL};
    db->conn = PQconnectdbParams(keys, vals, 1);
    usher_err err = USHER_OK;
    if (!db->conn) {
        err = usher_fail(em, USHER_NOMEM, "out of memory connecting to PostgreSQL");
        goto fail;
    }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        char words[300];
        pg_words(db, NULL, words, sizeof words);
        err = usher_fail(em, USHER_IO,
                         "--db %s: cannot connect to PostgreSQL: %s (is the server running, "
                         "and the database made with createdb?)",
                         where, words);
        goto fail;
    }
    if (PQserverVersion(db->conn) < 120000) {
        err = usher_fail(em, USHER_SCHEMA, "--db %s: PostgreSQL %d is too old: use 12 or newer",
                         where, PQserverVersion(db->conn) / 10000);
        goto fail;
    }
    if ((err = session_setup(db, em)))
        goto fail;
    *out = db;
    return USHER_OK;
fail:
    pg_free(db);
    return err;
}

static usher_err pg_open(const char *where, const char *event_id, bool create, coorddb_impl **out,
                         usher_errmsg *em)
{
    coorddb_impl *db = NULL;
    usher_err err = pg_connect(where, &db, em);
    if (err)
        return err;
    if ((err = choose_event(db, event_id, create, em)) || (err = use_schema(db, em)) ||
        (err = migrate(db, em)) || (err = prepare_all(db, em)))
        goto fail;
    if ((err = query_i64(db, "SELECT coalesce(max(seq), 0) FROM changes", &db->last_seq, em)) ||
        (err = query_i64(db, "SELECT coalesce(max(seq), 0) FROM ops", &db->last_op_seq, em)) ||
        (err = meta_i64(db, K_OP_IDS_SEQ, &db->op_ids_seq, em)) || (err = check_log_home(db, em)))
        goto fail;
    seen_build(db);
    *out = db;
    return USHER_OK;
fail:
    pg_free(db);
    return err;
}

/* Every call below takes the connection (one caller at a time; recursive, so
 * that calls may nest) and makes sure it is up. */
#define LOCKED(db, em, call)                                                                       \
    do {                                                                                           \
        pthread_mutex_lock(&(db)->mu);                                                             \
        usher_err err_ = ready((db), (em));                                                        \
        if (!err_)                                                                                 \
            err_ = (call);                                                                         \
        pthread_mutex_unlock(&(db)->mu);                                                           \
        return err_;                                                                               \
    } while (0)

static usher_err lock_body(coorddb_impl *db, usher_errmsg *em)
{
    if (db->locked)
        return USHER_OK;
    int64_t key = coordpg_lock_key(db->schema);
    params p = {0};
    p_i64(&p, key);
    PGresult *r = PQexecParams(db->conn, "SELECT pg_try_advisory_lock($1::bigint)", p.n, NULL, p.v,
                               p.len, p.fmt, 0);
    usher_err err = USHER_OK;
    char where[256];
    where_text(db, where, sizeof where);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        err = pg_fail(db, r, em, "coordinator database: taking its lock");
    else if (strcmp(col(r, 0, 0), "t") != 0)
        err = db->event_id[0]
                  ? usher_fail(em, USHER_BUSY,
                               "the event \"%s\" of the PostgreSQL database %s is in use by a "
                               "running 'usher-coord serve': stop it first",
                               db->event_id, where)
                  : usher_fail(em, USHER_BUSY,
                               "the PostgreSQL database %s is in use by a running 'usher-coord "
                               "serve': stop it first",
                               where);
    else {
        db->locked = true;
        db->lock_key = key;
    }
    PQclear(r);
    /* What this handle knew of the log may be old (a standby opened it long
     * before it took the lock over): the one writer starts from what the
     * database holds now. */
    if (!err &&
        ((err = query_i64(db, "SELECT coalesce(max(seq), 0) FROM changes", &db->last_seq, em)) ||
         (err = query_i64(db, "SELECT coalesce(max(seq), 0) FROM ops", &db->last_op_seq, em)) ||
         (err = meta_i64(db, K_OP_IDS_SEQ, &db->op_ids_seq, em)))) {
        PGresult *u = PQexecParams(db->conn, "SELECT pg_advisory_unlock($1::bigint)", p.n, NULL,
                                   p.v, p.len, p.fmt, 0);
        PQclear(u);
        db->locked = false;
    }
    if (!err)
        seen_build(db);
    return err;
}

static usher_err pg_lock(coorddb_impl *db, usher_errmsg *em)
{
    LOCKED(db, em, lock_body(db, em));
}

/* ---- the event ------------------------------------------------------------------ */

static usher_err read_settings(coorddb_impl *db, event_settings *s, usher_errmsg *em)
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

static void tx_write_settings(coorddb_impl *db, const event_settings *s)
{
    tx_meta_set(db, K_CODES, ticketcode_strength_name(s->codes));
    tx_meta_set(db, K_CODES_BY, s->codes_by_organiser ? "organiser" : "import");
    tx_meta_set(db, K_PIN_HASH, s->pin_hash);
    tx_meta_set(db, K_TZ, s->tz);
    tx_meta_set(db, K_LANG, s->lang);
    tx_meta_set(db, K_REENTRY, settings_reentry_name(s->reentry_refused));
}

static usher_err init_event_body(coorddb_impl *db, const char *name, const layout *l, int64_t now,
                                 usher_errmsg *em)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len >= USHER_EVENT_NAME_SIZE || !text_utf8_valid(name, len) ||
        !text_printable(name))
        return usher_fail(em, USHER_INVAL,
                          "the event name must be one line of UTF-8, 1 to %d bytes",
                          USHER_EVENT_NAME_SIZE - 1);
    char *json = layout_to_json(l);
    if (!json)
        return usher_fail(em, USHER_NOMEM, "out of memory storing the layout");
    uint8_t raw_id[16];
    char event_id[2 * sizeof raw_id + 1], existing[USHER_EVENT_NAME_SIZE];
    char pk[2 * QRSIG_PK_BYTES + 1], sk[QRSIG_KEY_TEXT_SIZE];
    qrsig_keypair kp;
    usher_err err = exec(db, "BEGIN", em, "coordinator database: starting a transaction");
    if (err)
        goto out;
    /* Two inits at once: the second waits here, then finds the first's event. */
    err = exec(db, "LOCK TABLE meta IN EXCLUSIVE MODE", em, "coordinator database");
    if (err)
        goto out;
    usher_errmsg probe;
    err = meta_get(db, K_EVENT_NAME, existing, sizeof existing, &probe);
    if (err != USHER_OK && err != USHER_NOTFOUND && em)
        *em = probe;
    if (err == USHER_OK && db->registered)
        err = usher_fail(em, USHER_EXISTS,
                         "this database already holds the event \"%s\" under the id \"%s\"; "
                         "choose another --event-id for a new event ('usher-coord events' "
                         "lists them)",
                         existing, db->event_id);
    else if (err == USHER_OK) /* another init took the place meanwhile */
        err = usher_fail(em, USHER_EXISTS,
                         "another init made the event \"%s\" meanwhile where this one was to "
                         "go: run init again",
                         existing);
    if (err != USHER_NOTFOUND)
        goto out;
    randombytes_buf(raw_id, sizeof raw_id);
    text_hex(raw_id, sizeof raw_id, event_id);
    if ((err = qrsig_keygen(&kp)) != USHER_OK) {
        err = usher_fail(em, err, "cannot make the event's signing key (libsodium failed)");
        goto out;
    }
    qrsig_pk_to_text(kp.pk, pk);
    qrsig_sk_to_text(kp.sk, sk);
    sodium_memzero(&kp, sizeof kp);
    if ((err = tx_pipeline(db, em)))
        goto out;
    tx_meta_set(db, K_EVENT_ID, event_id);
    tx_meta_set(db, K_EVENT_NAME, name);
    tx_meta_set_i64(db, K_CREATED, now);
    tx_meta_set_i64(db, K_HOLD_TTL, USHER_DEFAULT_HOLD_TTL_MS);
    tx_meta_set(db, K_RESEAT, "nearest");
    tx_meta_set(db, K_PK, pk);
    tx_meta_set(db, K_SK, sk);
    tx_meta_set(db, K_LAYOUT, json);
    char reg_id[COORDWHERE_EVENT_ID_SIZE];
    text_copy(reg_id, sizeof reg_id, db->event_id);
    if (!reg_id[0]) /* opened without an id: the one its name gives */
        coordwhere_event_id_from_name(name, reg_id);
    if (!db->registered) {
        params p = {0};
        p_text(&p, reg_id);
        p_text(&p, db->schema);
        p_i64(&p, now);
        tx_send(db, P_REGISTER, &p, NULL);
    }
    for (int i = 0; i < layout_seat_count(l); i++) {
        params p = {0};
        p_i64(&p, i);
        p_text(&p, layout_seat_at(l, i)->id);
        tx_send(db, P_SEAT_INSERT, &p, NULL);
    }
    err = tx_commit(db, em);
    if (err == USHER_EXISTS) /* the registry's id: another init took it meanwhile */
        err = usher_fail(em, USHER_EXISTS,
                         "the event id \"%s\" was taken meanwhile; choose another --event-id",
                         reg_id);
    if (!err) {
        text_copy(db->event_id, sizeof db->event_id, reg_id);
        db->registered = true;
    }
out:
    tx_rollback(db);
    sodium_memzero(sk, sizeof sk);
    free(json);
    return err;
}

static usher_err pg_init_event(coorddb_impl *db, const char *name, const layout *l, int64_t now,
                               usher_errmsg *em)
{
    LOCKED(db, em, init_event_body(db, name, l, now, em));
}

static usher_err set_settings_body(coorddb_impl *db, const event_settings *s, usher_errmsg *em)
{
    if (!settings_pin_hash_ok(s->pin_hash) || !settings_tz_ok(s->tz) ||
        !settings_lang_ok(s->lang) ||
        (s->codes != TICKETCODE_STRONG && s->codes != TICKETCODE_WEAK))
        return usher_fail(em, USHER_INVAL,
                          "event settings: bad PIN hash, time zone, language or codes");
    char probe[64];
    usher_err err = meta_get(db, K_EVENT_ID, probe, sizeof probe, em);
    if (err == USHER_NOTFOUND)
        return usher_fail(em, USHER_NOTFOUND,
                          "this database holds no event yet: run usher-coord init");
    if (!err)
        err = tx_begin(db, em);
    if (err)
        return err;
    tx_write_settings(db, s);
    return tx_commit(db, em);
}

static usher_err pg_set_settings(coorddb_impl *db, const event_settings *s, usher_errmsg *em)
{
    LOCKED(db, em, set_settings_body(db, s, em));
}

static usher_err get_event_body(coorddb_impl *db, coord_event *out, usher_errmsg *em)
{
    coord_event ev;
    memset(&ev, 0, sizeof ev);
    char reseat[16], pk[2 * QRSIG_PK_BYTES + 1], sk[QRSIG_KEY_TEXT_SIZE];
    usher_err err = meta_get(db, K_EVENT_ID, ev.event_id, sizeof ev.event_id, em);
    if (err == USHER_NOTFOUND)
        return usher_fail(em, USHER_NOTFOUND,
                          "this database holds no event yet: run usher-coord init");
    if (!err)
        err = meta_get(db, K_EVENT_NAME, ev.name, sizeof ev.name, em);
    if (!err)
        err = meta_i64(db, K_CREATED, &ev.created_at, em);
    if (!err)
        err = meta_i64(db, K_HOLD_TTL, &ev.hold_ttl_ms, em);
    if (!err)
        err = meta_get(db, K_RESEAT, reseat, sizeof reseat, em);
    if (!err)
        err = meta_get(db, K_PK, pk, sizeof pk, em);
    if (!err)
        err = meta_get(db, K_SK, sk, sizeof sk, em);
    if (!err && (!qrsig_pk_from_text(pk, ev.pk) || !qrsig_sk_from_text(sk, ev.sk)))
        err = usher_fail(em, USHER_DB, "the event's signing key in the database is damaged");
    if (!err && strcmp(reseat, "nearest") != 0 && strcmp(reseat, "none") != 0)
        err = usher_fail(em, USHER_DB,
                         "meta \"reseat\" is \"%s\"; it must be \"nearest\" or \"none\"", reseat);
    sodium_memzero(sk, sizeof sk);
    if (!err) {
        ev.reseat = strcmp(reseat, "nearest") == 0 ? RESEAT_NEAREST : RESEAT_NONE;
        err = read_settings(db, &ev.settings, em);
    }
    if (!err)
        err = meta_opt(db, K_LOG_ID, ev.log_id, sizeof ev.log_id, em); /* "": the event id */
    if (!err) {
        text_copy(ev.id, sizeof ev.id, db->event_id);
        *out = ev;
    }
    sodium_memzero(&ev, sizeof ev);
    return err;
}

static usher_err pg_get_event(coorddb_impl *db, coord_event *out, usher_errmsg *em)
{
    LOCKED(db, em, get_event_body(db, out, em));
}

static usher_err layout_json_body(coorddb_impl *db, char **json, usher_errmsg *em)
{
    usher_err err = meta_dup(db, K_LAYOUT, json, em);
    if (err == USHER_NOTFOUND)
        return usher_fail(em, USHER_NOTFOUND,
                          "this database holds no event yet: run usher-coord init");
    return err;
}

static usher_err pg_layout_json(coorddb_impl *db, char **json, usher_errmsg *em)
{
    LOCKED(db, em, layout_json_body(db, json, em));
}

/* ---- loading the state ------------------------------------------------------------ */

static usher_err load_rows(coorddb_impl *db, state *st, change_type type, usher_errmsg *em)
{
    const char *sql = type == CHANGE_SEAT
                          ? "SELECT id, ticket, blocked, hold_device, hold_until, lease_device, "
                            "lease_until FROM seats ORDER BY idx"
                          : "SELECT code, name, class, seat, party, checked_in_at, "
                            "checkin_device, revoked, note, attention, checked_out_at, "
                            "checkout_device FROM tickets";
    PGresult *r = PQexec(db->conn, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        usher_err err = pg_fail(db, r, em, "coordinator database: loading");
        PQclear(r);
        return err;
    }
    usher_err err = USHER_OK;
    change c;
    for (int i = 0; !err && i < PQntuples(r); i++) {
        memset(&c, 0, sizeof c);
        c.type = type;
        if (type == CHANGE_SEAT) {
            col_text(r, i, 0, c.seat_id, sizeof c.seat_id);
            read_seat(r, i, 1, &c.seat);
        } else {
            read_ticket(r, i, 0, &c.ticket);
        }
        err = state_apply_change(st, &c, em);
        if (err)
            usher_errmsg_prefix(em, "coordinator database: loading %s",
                                type == CHANGE_SEAT ? "seats" : "tickets");
    }
    PQclear(r);
    return err;
}

static usher_err load_verdicts(coorddb_impl *db, state *st, usher_errmsg *em)
{
    params p = {0};
    p_i64(&p, db->op_ids_seq);
    PGresult *r = PQexecParams(
        db->conn, "SELECT id, " VERDICT_COLUMNS " FROM ops WHERE seq > $1::bigint ORDER BY seq",
        p.n, NULL, p.v, p.len, p.fmt, 0);
    usher_err err = USHER_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        err = pg_fail(db, r, em, "coordinator database: loading verdicts");
    verdict v;
    for (int i = 0; !err && i < PQntuples(r); i++) {
        read_verdict(r, i, 1, &v);
        col_text(r, i, 0, v.op_id, sizeof v.op_id);
        if (state_remember(st, &v) == USHER_NOMEM)
            err = usher_fail(em, USHER_NOMEM, "out of memory loading verdicts");
    }
    PQclear(r);
    return err;
}

static usher_err load_body(coorddb_impl *db, const state_config *cfg, layout **l, state **st,
                           usher_errmsg *em)
{
    char *json = NULL;
    layout *lay = NULL;
    state *s = NULL;
    /* One snapshot of the database for everything read. */
    usher_err err = exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", em,
                         "coordinator database: loading");
    if (err)
        return err;
    err = layout_json_body(db, &json, em);
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
    tx_rollback(db);
    free(json);
    *l = lay;
    *st = s;
    return USHER_OK;
fail:
    tx_rollback(db);
    state_free(s);
    layout_free(lay);
    free(json);
    return err;
}

static usher_err pg_load(coorddb_impl *db, const state_config *cfg, layout **l, state **st,
                         usher_errmsg *em)
{
    LOCKED(db, em, load_body(db, cfg, l, st, em));
}

/* ---- writing changes --------------------------------------------------------------- */

static void batch_reset(batch *b)
{
    colset *sets[] = {&b->ops, &b->changes, &b->alerts, &b->checkins};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        for (int c = 0; c < MAX_COLS; c++)
            pgarray_clear(&sets[i]->col[c]);
        sets[i]->rows = 0;
    }
    b->nseats = b->ntickets = 0;
    b->nomem = false;
}

static void batch_release(batch *b)
{
    colset *sets[] = {&b->ops, &b->changes, &b->alerts, &b->checkins};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        for (int c = 0; c < MAX_COLS; c++)
            pgarray_release(&sets[i]->col[c]);
    free(b->seats);
    free(b->tickets);
}

/* Sends one table's gathered rows as one statement (ncols arrays, then
 * extra parameters) and empties them. */
static void send_cols(coorddb_impl *db, int stmt, colset *cs, int ncols, const params *extra,
                      const char *seat_marker)
{
    if (!cs->rows)
        return;
    params p = {0};
    bool nomem = db->rows.nomem;
    for (int c = 0; c < ncols; c++) {
        p.v[p.n] = pgarray_finish(&cs->col[c]);
        nomem |= !p.v[p.n];
        p.len[p.n] = 0;
        p.fmt[p.n] = 0;
        p.n++;
    }
    for (int i = 0; extra && i < extra->n; i++) {
        p.v[p.n] = extra->v[i];
        p.len[p.n] = extra->len[i];
        p.fmt[p.n] = extra->fmt[i];
        p.n++;
    }
    if (nomem) {
        if (!db->pipe_failed) {
            db->pipe_failed = true;
            db->pipe_err = usher_fail(&db->pipe_em, USHER_NOMEM, "out of memory writing");
        }
    } else {
        tx_send(db, stmt, &p, seat_marker);
    }
    for (int c = 0; c < ncols; c++)
        pgarray_clear(&cs->col[c]);
    cs->rows = 0;
}

static int cmp_seat_row(const void *a, const void *b)
{
    const seat_row *x = *(const seat_row *const *)a, *y = *(const seat_row *const *)b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x < y ? -1 : x > y);
}

static int cmp_ticket_row(const void *a, const void *b)
{
    const ticket_state *x = *(const ticket_state *const *)a, *y = *(const ticket_state *const *)b;
    int c = strcmp(x->code, y->code);
    return c ? c : (x < y ? -1 : x > y);
}

/* The seat and ticket rows, each written once as it is last. */
static void flush_rows(coorddb_impl *db)
{
    batch *b = &db->rows;
    size_t most = b->nseats > b->ntickets ? b->nseats : b->ntickets;
    if (!most)
        return;
    const void **order = malloc(most * sizeof *order);
    colset *cs = calloc(1, sizeof *cs);
    if (!order || !cs) {
        b->nomem = true;
        free(order);
        free(cs);
        if (!db->pipe_failed) {
            db->pipe_failed = true;
            db->pipe_err = usher_fail(&db->pipe_em, USHER_NOMEM, "out of memory writing");
        }
        return;
    }
    for (size_t i = 0; i < b->nseats; i++)
        order[i] = &b->seats[i];
    qsort(order, b->nseats, sizeof *order, cmp_seat_row);
    for (size_t i = 0; i < b->nseats; i++) {
        const seat_row *r = order[i];
        if (i + 1 < b->nseats && !strcmp(r->id, ((const seat_row *)order[i + 1])->id))
            continue; /* a later change of the same seat follows */
        pgarray_text(&cs->col[0], r->id);
        pgarray_text(&cs->col[1], r->s.ticket);
        pgarray_i64(&cs->col[2], r->s.blocked);
        pgarray_text(&cs->col[3], r->s.hold_device);
        pgarray_i64(&cs->col[4], r->s.hold_until);
        pgarray_text(&cs->col[5], r->s.lease_device);
        pgarray_i64(&cs->col[6], r->s.lease_until);
        cs->rows++;
    }
    send_cols(db, P_SEATS_BULK, cs, 7, NULL, "*");
    for (size_t i = 0; i < b->ntickets; i++)
        order[i] = &b->tickets[i];
    qsort(order, b->ntickets, sizeof *order, cmp_ticket_row);
    for (size_t i = 0; i < b->ntickets; i++) {
        const ticket_state *t = order[i];
        if (i + 1 < b->ntickets && !strcmp(t->code, ((const ticket_state *)order[i + 1])->code))
            continue;
        pgarray_text(&cs->col[0], t->code);
        pgarray_text(&cs->col[1], t->name);
        pgarray_text(&cs->col[2], t->klass);
        pgarray_text(&cs->col[3], t->seat);
        pgarray_text(&cs->col[4], t->party);
        pgarray_i64(&cs->col[5], t->checked_in_at);
        pgarray_text(&cs->col[6], t->checkin_device);
        pgarray_i64(&cs->col[7], t->revoked);
        pgarray_text(&cs->col[8], t->note);
        pgarray_i64(&cs->col[9], t->attention);
        pgarray_i64(&cs->col[10], t->checked_out_at);
        pgarray_text(&cs->col[11], t->checkout_device);
        cs->rows++;
    }
    params extra = {0};
    p_i64(&extra, b->now);
    send_cols(db, P_TICKETS_BULK, cs, 12, &extra, NULL);
    for (int c = 0; c < MAX_COLS; c++)
        pgarray_release(&cs->col[c]);
    free(cs);
    free(order);
    b->nseats = b->ntickets = 0;
}

static void batch_flush(coorddb_impl *db)
{
    if (db->pipe_failed)
        return;
    batch *b = &db->rows;
    send_cols(db, P_OPS_BULK, &b->ops, 23, NULL, NULL);
    send_cols(db, P_CHANGES_BULK, &b->changes, 23, NULL, NULL);
    flush_rows(db);
    send_cols(db, P_ALERTS_BULK, &b->alerts, 13, NULL, NULL);
    send_cols(db, P_CHECKINS_BULK, &b->checkins, 8, NULL, NULL);
}

/* Many rows (an import of thousands of tickets) go in several statements. */
#define BATCH_ROWS 4096

static void batch_maybe_flush(coorddb_impl *db)
{
    batch *b = &db->rows;
    if (b->changes.rows + b->ops.rows + b->alerts.rows >= BATCH_ROWS)
        batch_flush(db);
}

static void *grow(void *v, size_t *cap, size_t n, size_t size, bool *nomem)
{
    if (n < *cap)
        return v;
    size_t c = *cap ? 2 * *cap : 64;
    void *bigger = realloc(v, c * size);
    if (!bigger) {
        *nomem = true;
        return v;
    }
    *cap = c;
    return bigger;
}

/* Gathers change c as number seq and the seats or tickets row it describes. */
static usher_err tx_write_change(coorddb_impl *db, const change *c, int64_t seq, const char *op_id,
                                 int64_t now, usher_errmsg *em)
{
    static const seat_state no_seat;
    static const ticket_state no_ticket;
    bool is_seat = c->type == CHANGE_SEAT, is_entrances = c->type == CHANGE_ENTRANCES;
    if (!is_seat && !is_entrances && c->type != CHANGE_TICKET)
        return usher_fail(em, USHER_INVAL, "change of unknown type %d", (int)c->type);
    batch *b = &db->rows;
    colset *cs = &b->changes;
    const seat_state *st = is_seat ? &c->seat : &no_seat;
    const ticket_state *t = is_seat || is_entrances ? &no_ticket : &c->ticket;
    pgarray_i64(&cs->col[0], seq);
    pgarray_text(&cs->col[1], is_seat ? "seat" : is_entrances ? "entrances" : "ticket");
    pgarray_i64(&cs->col[2], now);
    pgarray_text(&cs->col[3], op_id ? op_id : "");
    pgarray_text(&cs->col[4], is_seat ? c->seat_id : "");
    pgarray_text(&cs->col[5], st->ticket);
    pgarray_i64(&cs->col[6], st->blocked);
    pgarray_text(&cs->col[7], st->hold_device);
    pgarray_i64(&cs->col[8], st->hold_until);
    pgarray_text(&cs->col[9], st->lease_device);
    pgarray_i64(&cs->col[10], st->lease_until);
    pgarray_text(&cs->col[11], t->code);
    pgarray_text(&cs->col[12], t->name);
    pgarray_text(&cs->col[13], t->klass);
    pgarray_text(&cs->col[14], t->seat);
    pgarray_text(&cs->col[15], t->party);
    pgarray_i64(&cs->col[16], t->checked_in_at);
    pgarray_text(&cs->col[17], t->checkin_device);
    pgarray_i64(&cs->col[18], t->revoked);
    pgarray_text(&cs->col[19], t->note);
    pgarray_i64(&cs->col[20], t->attention);
    pgarray_i64(&cs->col[21], t->checked_out_at);
    pgarray_text(&cs->col[22], t->checkout_device);
    cs->rows++;
    b->now = now;
    if (is_entrances) /* only a mark: coord_entrance.c wrote the rows */
        return b->nomem ? usher_fail(em, USHER_NOMEM, "out of memory writing") : USHER_OK;
    if (is_seat) {
        b->seats = grow(b->seats, &b->seats_cap, b->nseats, sizeof *b->seats, &b->nomem);
        if (b->nseats < b->seats_cap) {
            seat_row *r = &b->seats[b->nseats++];
            text_copy(r->id, sizeof r->id, c->seat_id);
            r->s = c->seat;
        }
    } else {
        b->tickets = grow(b->tickets, &b->tickets_cap, b->ntickets, sizeof *b->tickets, &b->nomem);
        if (b->ntickets < b->tickets_cap)
            b->tickets[b->ntickets++] = c->ticket;
    }
    if (b->nomem)
        return usher_fail(em, USHER_NOMEM, "out of memory writing");
    batch_maybe_flush(db);
    return USHER_OK;
}

static void tx_write_alert(coorddb_impl *db, const alert *a, const char *before, const char *after,
                           int64_t now)
{
    batch *b = &db->rows;
    colset *cs = &b->alerts;
    const char *kind = alert_kind_name(a->kind);
    pgarray_text(&cs->col[0], kind ? kind : "");
    pgarray_text(&cs->col[1], a->ticket);
    pgarray_text(&cs->col[2], a->seat);
    pgarray_text(&cs->col[3], a->other_seat);
    pgarray_text(&cs->col[4], a->device);
    pgarray_text(&cs->col[5], a->other_device);
    pgarray_i64(&cs->col[6], a->at);
    pgarray_i64(&cs->col[7], a->other_at);
    pgarray_text(&cs->col[8], a->op_id);
    pgarray_i64(&cs->col[9], now);
    pgarray_text(&cs->col[10], a->note);
    pgarray_text(&cs->col[11], before);
    pgarray_text(&cs->col[12], after);
    cs->rows++;
    batch_maybe_flush(db);
}

/* A file of weak codes makes the event's codes weak, unless the organiser
 * decided; read before the transaction's pipeline starts. */
static usher_err codes_after(coorddb_impl *db, const ticket_list *tl, bool *make_weak,
                             usher_errmsg *em)
{
    *make_weak = false;
    event_settings s;
    usher_err err = read_settings(db, &s, em);
    if (err || s.codes_by_organiser || s.codes == TICKETCODE_WEAK)
        return err;
    ticketcode_report rep;
    err = ticket_list_classify(tl, &rep);
    if (err)
        return usher_fail(em, err, "out of memory checking the ticket codes");
    *make_weak = rep.strength == TICKETCODE_WEAK;
    return USHER_OK;
}

static usher_err add_tickets_body(coorddb_impl *db, state *st, const ticket_list *tl, int64_t now,
                                  size_t *added, usher_errmsg *em)
{
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
    bool weak = false;
    usher_err err = exec(db, "BEGIN", em, "coordinator database: starting a transaction");
    if (!err)
        err = codes_after(db, tl, &weak, em);
    if (!err)
        err = tx_pipeline(db, em);
    change c;
    for (size_t i = 0; !err && i < tl->count; i++) {
        const ticket_rec *r = &tl->items[i];
        err = state_add_ticket(trial, r->code, r->name, r->klass, &c, em);
        if (!err && (r->note[0] || r->attention)) /* as the SQLite store: one change a ticket */
            err = state_note_ticket(trial, r->code, r->note, r->attention, &c, em);
        if (err == USHER_EXISTS)
            err = usher_fail(em, USHER_EXISTS, "ticket %s is listed twice; nothing was added",
                             r->code);
        else if (err)
            usher_errmsg_prefix(em, "nothing was added");
        else
            err = tx_write_change(db, &c, db->last_seq + 1 + (int64_t)i, NULL, now, em);
    }
    if (!err && weak)
        tx_meta_set(db, K_CODES, ticketcode_strength_name(TICKETCODE_WEAK));
    if (!err)
        err = tx_commit(db, em);
    tx_rollback(db);
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

static usher_err pg_add_tickets(coorddb_impl *db, state *st, const ticket_list *tl, int64_t now,
                                size_t *added, usher_errmsg *em)
{
    LOCKED(db, em, add_tickets_body(db, st, tl, now, added, em));
}

static usher_err tx_note_import_seats(coorddb_impl *db, const ticket_list *tl, usher_errmsg *em);

static usher_err admin_change_body(coorddb_impl *db, state *st, coorddb_admin_fn fn, void *arg,
                                   const coord_alert *trail, size_t ntrail,
                                   const ticket_list *new_codes, int64_t now, int64_t *last_seq,
                                   usher_errmsg *em)
{
    change *cs = NULL;
    size_t n = 0;
    state *trial = state_clone(st);
    if (!trial)
        return usher_fail(em, USHER_NOMEM, "out of memory changing tickets");
    usher_err err = fn(trial, arg, &cs, &n, em);
    state_free(trial);
    bool weak = false;
    if (!err)
        err = exec(db, "BEGIN", em, "coordinator database: starting a transaction");
    if (!err && new_codes && new_codes->count)
        err = codes_after(db, new_codes, &weak, em);
    if (!err)
        err = tx_pipeline(db, em);
    for (size_t i = 0; !err && i < n; i++)
        err = tx_write_change(db, &cs[i], db->last_seq + 1 + (int64_t)i, NULL, now, em);
    for (size_t i = 0; !err && i < ntrail; i++)
        tx_write_alert(db, &trail[i].a, trail[i].before, trail[i].after, now);
    if (!err && weak)
        tx_meta_set(db, K_CODES, ticketcode_strength_name(TICKETCODE_WEAK));
    if (!err && new_codes)
        err = tx_note_import_seats(db, new_codes, em);
    if (!err)
        err = tx_commit(db, em);
    tx_rollback(db);
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

static usher_err pg_admin_change(coorddb_impl *db, state *st, coorddb_admin_fn fn, void *arg,
                                 const coord_alert *trail, size_t ntrail,
                                 const ticket_list *new_codes, int64_t now, int64_t *last_seq,
                                 usher_errmsg *em)
{
    LOCKED(db, em, admin_change_body(db, st, fn, arg, trail, ntrail, new_codes, now, last_seq, em));
}

/* Gathers one op with everything it caused; *seq and *op_seq count up. */
static usher_err tx_write_result(coorddb_impl *db, const usher_op *op, const apply_result *r,
                                 int64_t now, int64_t *seq, int64_t *op_seq, usher_errmsg *em)
{
    batch *b = &db->rows;
    colset *o = &b->ops;
    const verdict *v = &r->v;
    pgarray_text(&o->col[0], op->id);
    pgarray_text(&o->col[1], op->device);
    pgarray_text(&o->col[2], op_kind_name(op->kind));
    pgarray_text(&o->col[3], op->ticket);
    pgarray_text(&o->col[4], op->seat);
    pgarray_i64(&o->col[5], op->at);
    pgarray_text(&o->col[6], op->expect_ticket_seat);
    pgarray_i64(&o->col[7], op->expect_seat_free);
    pgarray_text(&o->col[8], op->party);
    pgarray_i64(&o->col[9], op->ttl_ms);
    pgarray_i64(&o->col[10], op->manual);
    pgarray_text(&o->col[11], op->note);
    pgarray_text(&o->col[12], verdict_status_name(v->status));
    pgarray_text(&o->col[13], verdict_status_name(v->first));
    pgarray_text(&o->col[14], verdict_reason_name(v->reason));
    pgarray_text(&o->col[15], v->reseat);
    pgarray_text(&o->col[16], v->ticket_seat);
    pgarray_text(&o->col[17], v->seat_ticket);
    pgarray_i64(&o->col[18], v->checked_in_at);
    pgarray_text(&o->col[19], v->checkin_device);
    pgarray_i64(&o->col[20], *op_seq + 1);
    pgarray_i64(&o->col[21], now);
    pgarray_i64(&o->col[22], op->wait_ms);
    o->rows++;
    ++*op_seq;
    for (int k = 0; k < r->nchanges; k++) {
        usher_err err = tx_write_change(db, &r->changes[k], *seq + 1, op->id, now, em);
        if (err)
            return err;
        ++*seq;
    }
    for (int k = 0; k < r->nalerts; k++)
        tx_write_alert(db, &r->alerts[k], "", "", now);
    if (op->kind == OP_CHECKIN && r->v.status == VERDICT_ACCEPTED) {
        colset *c = &b->checkins;
        pgarray_text(&c->col[0], op->ticket);
        pgarray_text(&c->col[1], op->device);
        pgarray_i64(&c->col[2], op_happened_at(op, now)); /* the coordinator's clock */
        pgarray_i64(&c->col[3], r->v.reason == REASON_DUPLICATE_CHECKIN);
        pgarray_text(&c->col[4], op->id);
        pgarray_i64(&c->col[5], op->manual);
        pgarray_text(&c->col[6], op->entrance);
        pgarray_text(&c->col[7], op->override);
        c->rows++;
    }
    return b->nomem ? usher_fail(em, USHER_NOMEM, "out of memory writing") : USHER_OK;
}

static int cmp_op_id(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An op id twice among the ops to write (the log has no index over its
 * random ids: this guards it). */
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

static usher_err commit_body(coorddb_impl *db, const usher_op *ops, apply_result *res, size_t n,
                             int64_t now, int64_t *last_seq, usher_errmsg *em)
{
    int64_t seq = db->last_seq, op_seq = db->last_op_seq;
    usher_err err = check_batch_ids(ops, res, n, em);
    if (err)
        return err;
    if ((err = tx_begin(db, em)))
        return err;
    for (size_t i = 0; !err && i < n; i++)
        if (res[i].v.status != VERDICT_DUPLICATE)
            err = tx_write_result(db, &ops[i], &res[i], now, &seq, &op_seq, em);
    if (!err)
        err = tx_commit(db, em);
    if (err) {
        tx_rollback(db);
        return err;
    }
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

static usher_err pg_commit(coorddb_impl *db, const usher_op *ops, apply_result *res, size_t n,
                           int64_t now, int64_t *last_seq, usher_errmsg *em)
{
    LOCKED(db, em, commit_body(db, ops, res, n, now, last_seq, em));
}

/* ---- op ids --------------------------------------------------------------------- */

/* As the SQLite store's key: 16 bytes for a lower-case UUID, else its text. */
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

/* Four bit positions for a key, from one 128-bit BLAKE2b of it. */
static void seen_bits_of(const coorddb_impl *db, const uint8_t *key, int len, uint64_t pos[4])
{
    uint8_t h[16];
    crypto_generichash(h, sizeof h, key, (unsigned long long)len, NULL, 0);
    uint64_t a, b;
    memcpy(&a, h, 8);
    memcpy(&b, h + 8, 8);
    for (int i = 0; i < 4; i++)
        pos[i] = (a + (uint64_t)i * (b | 1)) & (db->seen_bits - 1);
}

static void seen_add(coorddb_impl *db, const uint8_t *key, int len)
{
    if (!db->seen)
        return;
    uint64_t pos[4];
    seen_bits_of(db, key, len, pos);
    for (int i = 0; i < 4; i++)
        db->seen[pos[i] / 64] |= UINT64_C(1) << (pos[i] % 64);
    db->seen_count++;
}

static bool seen_maybe(const coorddb_impl *db, const uint8_t *key, int len)
{
    if (!db->seen)
        return true;
    uint64_t pos[4];
    seen_bits_of(db, key, len, pos);
    for (int i = 0; i < 4; i++)
        if (!(db->seen[pos[i] / 64] & (UINT64_C(1) << (pos[i] % 64))))
            return false;
    return true;
}

/* (Re)builds the filter from op_ids, 32 bits a key it holds now (at least
 * 2^20 bits, 128 KiB), so that it takes as many again before it is rebuilt
 * at 16. On failure the filter is off: every id is looked up. */
static void seen_build(coorddb_impl *db)
{
    free(db->seen);
    db->seen = NULL;
    db->seen_count = 0;
    PGresult *r = PQexecParams(db->conn, "SELECT id FROM op_ids", 0, NULL, NULL, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return;
    }
    uint64_t n = (uint64_t)PQntuples(r), bits = UINT64_C(1) << 20;
    while (bits < 32 * (n + 1))
        bits *= 2;
    db->seen = calloc(bits / 64, sizeof *db->seen);
    db->seen_bits = bits;
    for (int i = 0; db->seen && i < PQntuples(r); i++)
        seen_add(db, (const uint8_t *)PQgetvalue(r, i, 0), PQgetlength(r, i, 0));
    PQclear(r);
}

static int64_t pg_ops_unsaved(const coorddb_impl *db)
{
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

static usher_err save_op_ids_body(coorddb_impl *db, usher_errmsg *em)
{
    usher_err err = exec(db, "BEGIN", em, "coordinator database: starting a transaction");
    if (err)
        return err;
    params p = {0};
    p_i64(&p, db->op_ids_seq);
    PGresult *r = PQexecParams(db->conn, "SELECT seq, id FROM ops WHERE seq > $1::bigint", p.n,
                               NULL, p.v, p.len, p.fmt, 0);
    id_row *rows = NULL;
    size_t n = 0;
    int64_t top = db->op_ids_seq;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        err = pg_fail(db, r, em, "coordinator database: saving op ids");
        goto out;
    }
    n = (size_t)PQntuples(r);
    rows = malloc((n ? n : 1) * sizeof *rows);
    if (!rows) {
        err = usher_fail(em, USHER_NOMEM, "out of memory saving op ids");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i].seq = col_i64(r, (int)i, 0);
        rows[i].len = op_id_key(col(r, (int)i, 1), rows[i].key);
        top = rows[i].seq > top ? rows[i].seq : top;
    }
    /* In key order, as the SQLite store: each index page touched once. */
    qsort(rows, n, sizeof *rows, cmp_id_row);
    if ((err = tx_pipeline(db, em)))
        goto out;
    for (size_t i = 0; i < n; i++) {
        params q = {0};
        p_bin(&q, rows[i].key, rows[i].len);
        p_i64(&q, rows[i].seq);
        tx_send(db, P_OPID_INSERT, &q, NULL);
    }
    tx_meta_set_i64(db, K_OP_IDS_SEQ, top);
    err = tx_commit(db, em);
    if (!err) {
        db->op_ids_seq = top;
        if (db->seen && (uint64_t)(db->seen_count + (int64_t)n) * 16 > db->seen_bits)
            seen_build(db); /* bigger, from the table */
        else
            for (size_t i = 0; i < n; i++)
                seen_add(db, rows[i].key, rows[i].len);
    }
out:
    PQclear(r);
    tx_rollback(db);
    free(rows);
    return err;
}

static usher_err pg_save_op_ids(coorddb_impl *db, usher_errmsg *em)
{
    LOCKED(db, em, save_op_ids_body(db, em));
}

static usher_err find_verdict_body(coorddb_impl *db, const char *op_id, verdict *out,
                                   usher_errmsg *em)
{
    uint8_t key[USHER_OPID_SIZE];
    int len = op_id_key(op_id, key);
    params p = {0};
    p_bin(&p, key, len);
    PGresult *r = run_prepared(db, P_FIND_VERDICT, &p);
    usher_err err = USHER_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        err = pg_fail(db, r, em, "coordinator database: finding an op");
    } else if (PQntuples(r) == 0) {
        err = USHER_NOTFOUND;
    } else {
        verdict v;
        read_verdict(r, 0, 1, &v);
        col_text(r, 0, 0, v.op_id, sizeof v.op_id);
        if (strcmp(v.op_id, op_id) == 0)
            *out = v;
        else
            err = USHER_NOTFOUND;
    }
    PQclear(r);
    return err;
}

static usher_err pg_find_verdict(coorddb_impl *db, const char *op_id, verdict *out,
                                 usher_errmsg *em)
{
    LOCKED(db, em, find_verdict_body(db, op_id, out, em));
}

/* Every lookup in one pipeline: one round trip for a group's new ops. */
static usher_err find_verdicts_body(coorddb_impl *db, const char *const *op_ids, size_t n,
                                    verdict *out, bool *found, usher_errmsg *em)
{
    for (size_t i = 0; i < n; i++)
        found[i] = false;
    bool *ask = n ? calloc(n, sizeof *ask) : NULL;
    if (n && !ask)
        return usher_fail(em, USHER_NOMEM, "out of memory finding ops");
    size_t asked = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t key[USHER_OPID_SIZE];
        ask[i] = op_ids[i] && seen_maybe(db, key, op_id_key(op_ids[i], key));
        asked += ask[i];
    }
    if (!asked || !PQenterPipelineMode(db->conn)) {
        free(ask);
        return asked ? pg_fail(db, NULL, em, "coordinator database: pipeline mode") : USHER_OK;
    }
    char name[8];
    snprintf(name, sizeof name, "u%d", P_FIND_VERDICT);
    usher_err err = USHER_OK;
    size_t nsent = 0;
    for (size_t i = 0; !err && i < n; i++) {
        if (!ask[i])
            continue;
        uint8_t key[USHER_OPID_SIZE];
        params p = {0};
        p_bin(&p, key, op_id_key(op_ids[i], key));
        if (!PQsendQueryPrepared(db->conn, name, p.n, p.v, p.len, p.fmt, 0))
            err = pg_fail(db, NULL, em, "coordinator database: finding ops");
        else
            nsent++;
    }
    if (!PQpipelineSync(db->conn) && !err)
        err = pg_fail(db, NULL, em, "coordinator database: finding ops");
    /* The results, in the order sent, then the sync. */
    size_t i = 0, got = 0;
    int nulls = 0;
    for (;;) {
        PGresult *r = PQgetResult(db->conn);
        if (!r) {
            if (PQstatus(db->conn) != CONNECTION_OK || ++nulls > 1) { /* as in tx_sync */
                if (!err)
                    err = pg_fail(db, NULL, em, "coordinator database: finding ops");
                break;
            }
            continue;
        }
        nulls = 0;
        ExecStatusType s = PQresultStatus(r);
        if (s == PGRES_PIPELINE_SYNC) {
            PQclear(r);
            break;
        }
        while (i < n && !ask[i])
            i++;
        if (s != PGRES_TUPLES_OK) {
            if (!err)
                err = pg_fail(db, r, em, "coordinator database: finding ops");
        } else if (i < n && got < nsent && PQntuples(r) > 0) {
            verdict v;
            read_verdict(r, 0, 1, &v);
            col_text(r, 0, 0, v.op_id, sizeof v.op_id);
            if (!strcmp(v.op_id, op_ids[i])) {
                out[i] = v;
                found[i] = true;
            }
        }
        PQclear(r);
        i++, got++;
    }
    if (!PQexitPipelineMode(db->conn) && !err)
        err = pg_fail(db, NULL, em, "coordinator database: pipeline mode");
    if (err)
        for (size_t k = 0; k < n; k++)
            found[k] = false;
    free(ask);
    return err;
}

static usher_err pg_find_verdicts(coorddb_impl *db, const char *const *op_ids, size_t n,
                                  verdict *out, bool *found, usher_errmsg *em)
{
    LOCKED(db, em, find_verdicts_body(db, op_ids, n, out, found, em));
}

/* ---- reading the change log ---------------------------------------------------------- */

static int64_t pg_last_seq(coorddb_impl *db)
{
    return db->last_seq;
}

static usher_err changes_since_body(coorddb_impl *db, int64_t cursor, size_t max, change **out,
                                    size_t *n, bool *more, usher_errmsg *em)
{
    if (max > (size_t)INT32_MAX)
        max = INT32_MAX;
    params p = {0};
    p_i64(&p, cursor);
    p_i64(&p, (int64_t)max + 1); /* one more tells if more remain */
    PGresult *r = run_prepared(db, P_CHANGES_SINCE, &p);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        usher_err err = pg_fail(db, r, em, "coordinator database: reading changes");
        PQclear(r);
        return err;
    }
    size_t count = (size_t)PQntuples(r);
    change *v = malloc((count ? count : 1) * sizeof *v);
    if (!v) {
        PQclear(r);
        return usher_fail(em, USHER_NOMEM, "out of memory reading the database");
    }
    for (size_t i = 0; i < count; i++) {
        change *c = &v[i];
        int row = (int)i;
        memset(c, 0, sizeof *c);
        c->seq = col_i64(r, row, 0);
        if (!strcmp(col(r, row, 1), "seat")) {
            c->type = CHANGE_SEAT;
            col_text(r, row, 2, c->seat_id, sizeof c->seat_id);
            read_seat(r, row, 3, &c->seat);
        } else if (!strcmp(col(r, row, 1), "layout")) {
            c->type = CHANGE_LAYOUT;
            c->layout_version = col_i64(r, row, 21);
        } else if (!strcmp(col(r, row, 1), "entrances")) {
            c->type = CHANGE_ENTRANCES;
        } else {
            c->type = CHANGE_TICKET;
            read_ticket(r, row, 9, &c->ticket);
        }
    }
    PQclear(r);
    *more = count > max;
    *n = count > max ? max : count;
    *out = v;
    return USHER_OK;
}

static usher_err pg_changes_since(coorddb_impl *db, int64_t cursor, size_t max, change **out,
                                  size_t *n, bool *more, usher_errmsg *em)
{
    LOCKED(db, em, changes_since_body(db, cursor, max, out, n, more, em));
}

/* ---- devices ---------------------------------------------------------------------- */

static void token_hash(const char *token, uint8_t out[TOKEN_HASH_BYTES])
{
    crypto_generichash(out, TOKEN_HASH_BYTES, (const unsigned char *)token, strlen(token), NULL, 0);
}

static usher_err device_add_body(coorddb_impl *db, const char *id, usher_role role, int64_t now,
                                 char token[COORD_TOKEN_SIZE], usher_errmsg *em)
{
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
    params p = {0};
    p_text(&p, id);
    p_text(&p, rname);
    p_bin(&p, hash, sizeof hash);
    p_i64(&p, now);
    PGresult *r = PQexecParams(db->conn,
                               "INSERT INTO devices(id, role, token_hash, created_at) "
                               "VALUES ($1, $2, $3, $4::bigint)",
                               p.n, NULL, p.v, p.len, p.fmt, 0);
    usher_err err = USHER_OK;
    if (PQresultStatus(r) == PGRES_COMMAND_OK)
        memcpy(token, text, COORD_TOKEN_SIZE);
    else if (sqlstate_is(r, "23505"))
        err = usher_fail(em, USHER_EXISTS, "device %s already exists; pick another name", id);
    else
        err = pg_fail(db, r, em, "coordinator database: adding a device");
    PQclear(r);
    sodium_memzero(raw, sizeof raw);
    sodium_memzero(text, sizeof text);
    return err;
}

static usher_err pg_device_add(coorddb_impl *db, const char *id, usher_role role, int64_t now,
                               char token[COORD_TOKEN_SIZE], usher_errmsg *em)
{
    LOCKED(db, em, device_add_body(db, id, role, now, token, em));
}

static void read_device(const PGresult *r, int row, coord_device *d)
{
    memset(d, 0, sizeof *d);
    col_text(r, row, 0, d->id, sizeof d->id);
    d->role = role_parse(col(r, row, 1));
    d->created_at = col_i64(r, row, 2);
    d->last_seen = col_i64(r, row, 3);
    d->cursor = col_i64(r, row, 4);
    d->pending = col_i64(r, row, 5);
    d->disabled = col_i64(r, row, 6) != 0;
    col_text(r, row, 7, d->entrance, sizeof d->entrance);
}

static usher_err device_auth_body(coorddb_impl *db, const char *token, coord_device *out,
                                  usher_errmsg *em)
{
    if (!token || strlen(token) != COORD_TOKEN_SIZE - 1)
        return usher_fail(em, USHER_FORBIDDEN, "unknown device token");
    uint8_t hash[TOKEN_HASH_BYTES];
    token_hash(token, hash);
    params p = {0};
    p_bin(&p, hash, sizeof hash);
    /* token_hash comes back in binary (the result format of every column). */
    char name[8];
    snprintf(name, sizeof name, "u%d", P_AUTH);
    PGresult *r = PQexecPrepared(db->conn, name, p.n, p.v, p.len, p.fmt, 0);
    usher_err err = USHER_OK;
    coord_device d;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        err = pg_fail(db, r, em, "coordinator database: checking a token");
    } else if (PQntuples(r) == 0) {
        err = usher_fail(em, USHER_FORBIDDEN, "unknown device token");
    } else {
        size_t blen = 0;
        unsigned char *stored = PQunescapeBytea((const unsigned char *)col(r, 0, 8), &blen);
        bool same = stored && blen == TOKEN_HASH_BYTES &&
                    sodium_memcmp(stored, hash, TOKEN_HASH_BYTES) == 0;
        PQfreemem(stored);
        read_device(r, 0, &d);
        if (!same)
            err = usher_fail(em, USHER_FORBIDDEN, "unknown device token");
        else if (d.disabled)
            err = usher_fail(em, USHER_FORBIDDEN,
                             "device %s is disabled; an organiser can enable it again", d.id);
    }
    PQclear(r);
    if (!err)
        *out = d;
    return err;
}

static usher_err pg_device_auth(coorddb_impl *db, const char *token, coord_device *out,
                                usher_errmsg *em)
{
    LOCKED(db, em, device_auth_body(db, token, out, em));
}

static usher_err device_seen_body(coorddb_impl *db, const char *id, int64_t now, int64_t cursor,
                                  int64_t pending, usher_errmsg *em)
{
    params p = {0};
    p_text(&p, id);
    p_i64(&p, now);
    p_i64(&p, cursor);
    p_i64(&p, pending);
    PGresult *r = run_prepared(db, P_SEEN, &p);
    usher_err err = USHER_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        err = pg_fail(db, r, em, "coordinator database: recording a device's sync");
    else if (!strcmp(PQcmdTuples(r), "0"))
        err = usher_fail(em, USHER_NOTFOUND, "no device named %.64s", id);
    PQclear(r);
    return err;
}

static usher_err pg_device_seen(coorddb_impl *db, const char *id, int64_t now, int64_t cursor,
                                int64_t pending, usher_errmsg *em)
{
    LOCKED(db, em, device_seen_body(db, id, now, cursor, pending, em));
}

static usher_err set_disabled_body(coorddb_impl *db, const char *id, bool disabled,
                                   usher_errmsg *em)
{
    params p = {0};
    p_text(&p, id);
    p_i64(&p, disabled);
    PGresult *r = PQexecParams(db->conn, "UPDATE devices SET disabled = $2::integer WHERE id = $1",
                               p.n, NULL, p.v, p.len, p.fmt, 0);
    usher_err err = USHER_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        err = pg_fail(db, r, em, "coordinator database: changing a device");
    else if (!strcmp(PQcmdTuples(r), "0"))
        err = usher_fail(em, USHER_NOTFOUND, "no device named %.64s", id);
    PQclear(r);
    return err;
}

static usher_err pg_device_set_disabled(coorddb_impl *db, const char *id, bool disabled,
                                        usher_errmsg *em)
{
    LOCKED(db, em, set_disabled_body(db, id, disabled, em));
}

/* Runs a listing query (parameters p, may be NULL) and reads each row with
 * read() into a malloc'd array of elements of `size` bytes. */
static usher_err collect(coorddb_impl *db, const char *sql, const params *p, size_t size,
                         void (*read)(const PGresult *, int, void *), void **out, size_t *n,
                         usher_errmsg *em, const char *what)
{
    PGresult *r = PQexecParams(db->conn, sql, p ? p->n : 0, NULL, p ? p->v : NULL,
                               p ? p->len : NULL, p ? p->fmt : NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        usher_err err = pg_fail(db, r, em, what);
        PQclear(r);
        return err;
    }
    size_t count = (size_t)PQntuples(r);
    char *v = malloc((count ? count : 1) * size);
    if (!v) {
        PQclear(r);
        return usher_fail(em, USHER_NOMEM, "out of memory reading the database");
    }
    for (size_t i = 0; i < count; i++)
        read(r, (int)i, v + i * size);
    PQclear(r);
    *out = v;
    *n = count;
    return USHER_OK;
}

static void read_device_row(const PGresult *r, int row, void *p)
{
    read_device(r, row, p);
}

static usher_err devices_body(coorddb_impl *db, coord_device **out, size_t *n, usher_errmsg *em)
{
    return collect(db, "SELECT " DEVICE_COLUMNS " FROM devices ORDER BY id", NULL, sizeof **out,
                   read_device_row, (void **)out, n, em, "coordinator database: listing devices");
}

static usher_err pg_devices(coorddb_impl *db, coord_device **out, size_t *n, usher_errmsg *em)
{
    LOCKED(db, em, devices_body(db, out, n, em));
}

static bool pg_unsure(const coorddb_impl *db)
{
    return db->unsure;
}

static bool pg_lock_lost(const coorddb_impl *db)
{
    return atomic_load(&((coorddb_impl *)db)->lost);
}

/* ---- the serves of the event (standby) ------------------------------------------------ */

static usher_err serve_seen_body(coorddb_impl *db, const char *url, coorddb_serve_role role,
                                 int64_t now, usher_errmsg *em)
{
    char event_id[64];
    usher_err err = meta_opt(db, K_EVENT_ID, event_id, sizeof event_id, em);
    if (err)
        return err;
    params p = {0};
    p_text(&p, event_id);
    p_text(&p, url);
    p_i64(&p, now);
    /* Taking over: every other serve of the event is no longer the active,
     * in the same statement (one transaction). A heartbeat only says it is
     * alive; a standby (or one that lost the lock) is not the active. */
    static const char *const sql[] = {
        [COORDDB_SERVE_ALIVE] =
            "INSERT INTO serves(event, url, active, since, seen_at) VALUES ($1, $2, 0, 0, $3) "
            "ON CONFLICT(event, url) DO UPDATE SET seen_at = excluded.seen_at",
        [COORDDB_SERVE_ACTIVE] =
            "WITH others AS (UPDATE serves SET active = 0 WHERE event = $1 AND url <> $2 "
            "AND active = 1) "
            "INSERT INTO serves(event, url, active, since, seen_at) VALUES ($1, $2, 1, $3, $3) "
            "ON CONFLICT(event, url) DO UPDATE SET active = 1, since = excluded.since, "
            "seen_at = excluded.seen_at",
        [COORDDB_SERVE_STANDBY] =
            "INSERT INTO serves(event, url, active, since, seen_at) VALUES ($1, $2, 0, 0, $3) "
            "ON CONFLICT(event, url) DO UPDATE SET active = 0, seen_at = excluded.seen_at",
    };
    PGresult *r = PQexecParams(db->conn, sql[role], p.n, NULL, p.v, p.len, p.fmt, 0);
    ExecStatusType s = PQresultStatus(r);
    err = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK
              ? USHER_OK
              : pg_fail(db, r, em, "coordinator database: recording this serve");
    PQclear(r);
    return err;
}

static usher_err pg_serve_seen(coorddb_impl *db, const char *url, coorddb_serve_role role,
                               int64_t now, usher_errmsg *em)
{
    LOCKED(db, em, serve_seen_body(db, url, role, now, em));
}

static usher_err serves_body(coorddb_impl *db, int64_t seen_after, coord_serve *out, size_t max,
                             size_t *n, usher_errmsg *em)
{
    char event_id[64];
    usher_err err = meta_opt(db, K_EVENT_ID, event_id, sizeof event_id, em);
    if (err)
        return err;
    params p = {0};
    p_text(&p, event_id);
    p_i64(&p, seen_after);
    /* The active first (the newest to take over, should two rows say so for
     * a moment), then the others by address. */
    PGresult *r = PQexecParams(db->conn,
                               "SELECT url, active, since, seen_at FROM serves WHERE event = $1 "
                               "AND (active = 1 OR seen_at > $2) "
                               "ORDER BY active DESC, since DESC, url",
                               p.n, NULL, p.v, p.len, p.fmt, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        err = pg_fail(db, r, em, "coordinator database: reading the serves");
        PQclear(r);
        return err;
    }
    size_t k = 0;
    for (int i = 0; i < PQntuples(r) && k < max; i++) {
        coord_serve *s = &out[k];
        memset(s, 0, sizeof *s);
        col_text(r, i, 0, s->url, sizeof s->url);
        s->active = col_i64(r, i, 1) != 0 && k == 0;
        s->since = col_i64(r, i, 2);
        s->seen_at = col_i64(r, i, 3);
        k++;
    }
    PQclear(r);
    *n = k;
    return USHER_OK;
}

static usher_err pg_serves(coorddb_impl *db, int64_t seen_after, coord_serve *out, size_t max,
                           size_t *n, usher_errmsg *em)
{
    LOCKED(db, em, serves_body(db, seen_after, out, max, n, em));
}

static usher_err add_alerts_body(coorddb_impl *db, const alert *a, size_t n, int64_t now,
                                 usher_errmsg *em)
{
    if (!n)
        return USHER_OK;
    usher_err err = tx_begin(db, em);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++)
        tx_write_alert(db, &a[i], "", "", now);
    return tx_commit(db, em);
}

static usher_err pg_add_alerts(coorddb_impl *db, const alert *a, size_t n, int64_t now,
                               usher_errmsg *em)
{
    LOCKED(db, em, add_alerts_body(db, a, n, now, em));
}

static usher_err devices_seen_body(coorddb_impl *db, const coord_device *devs, size_t n,
                                   usher_errmsg *em)
{
    if (!n)
        return USHER_OK;
    usher_err err = tx_begin(db, em);
    if (err)
        return err;
    /* A device removed meanwhile updates no row: nothing to record. */
    for (size_t i = 0; i < n; i++) {
        params p = {0};
        p_text(&p, devs[i].id);
        p_i64(&p, devs[i].last_seen);
        p_i64(&p, devs[i].cursor);
        p_i64(&p, devs[i].pending);
        tx_send(db, P_SEEN, &p, NULL);
    }
    return tx_commit(db, em);
}

static usher_err pg_devices_seen(coorddb_impl *db, const coord_device *devs, size_t n,
                                 usher_errmsg *em)
{
    LOCKED(db, em, devices_seen_body(db, devs, n, em));
}

/* ---- alerts and check-ins ----------------------------------------------------------- */

static void read_alert_row(const PGresult *r, int row, void *p)
{
    coord_alert *ca = p;
    memset(ca, 0, sizeof *ca);
    ca->id = col_i64(r, row, 0);
    ca->a.kind = alert_kind_parse(col(r, row, 1));
    col_text(r, row, 2, ca->a.ticket, sizeof ca->a.ticket);
    col_text(r, row, 3, ca->a.seat, sizeof ca->a.seat);
    col_text(r, row, 4, ca->a.other_seat, sizeof ca->a.other_seat);
    col_text(r, row, 5, ca->a.device, sizeof ca->a.device);
    col_text(r, row, 6, ca->a.other_device, sizeof ca->a.other_device);
    ca->a.at = col_i64(r, row, 7);
    ca->a.other_at = col_i64(r, row, 8);
    col_text(r, row, 9, ca->a.op_id, sizeof ca->a.op_id);
    ca->created_at = col_i64(r, row, 10);
    ca->acked_at = col_i64(r, row, 11);
    col_text(r, row, 12, ca->a.note, sizeof ca->a.note);
    col_text(r, row, 13, ca->before, sizeof ca->before);
    col_text(r, row, 14, ca->after, sizeof ca->after);
}

static usher_err alerts_body(coorddb_impl *db, bool open_only, size_t max, coord_alert **out,
                             size_t *n, usher_errmsg *em)
{
    params p = {0};
    p_i64(&p, max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max);
    return collect(db,
                   open_only ? "SELECT " ALERT_COLUMNS " FROM alerts WHERE acked_at = 0 "
                               "ORDER BY id DESC LIMIT $1::bigint"
                             : "SELECT " ALERT_COLUMNS " FROM alerts "
                               "ORDER BY id DESC LIMIT $1::bigint",
                   &p, sizeof **out, read_alert_row, (void **)out, n, em,
                   "coordinator database: listing alerts");
}

static usher_err pg_alerts(coorddb_impl *db, bool open_only, size_t max, coord_alert **out,
                           size_t *n, usher_errmsg *em)
{
    LOCKED(db, em, alerts_body(db, open_only, max, out, n, em));
}

static usher_err alert_ack_body(coorddb_impl *db, int64_t id, int64_t now, usher_errmsg *em)
{
    params p = {0};
    p_i64(&p, id);
    p_i64(&p, now);
    /* The first acknowledgement's time stands; a second one changes nothing. */
    PGresult *r = PQexecParams(db->conn,
                               "UPDATE alerts SET acked_at = CASE WHEN acked_at = 0 THEN "
                               "$2::bigint ELSE acked_at END WHERE id = $1::bigint",
                               p.n, NULL, p.v, p.len, p.fmt, 0);
    usher_err err = USHER_OK;
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        err = pg_fail(db, r, em, "coordinator database: acknowledging an alert");
    else if (!strcmp(PQcmdTuples(r), "0"))
        err = usher_fail(em, USHER_NOTFOUND, "there is no alert %lld", (long long)id);
    PQclear(r);
    return err;
}

static usher_err pg_alert_ack(coorddb_impl *db, int64_t id, int64_t now, usher_errmsg *em)
{
    LOCKED(db, em, alert_ack_body(db, id, now, em));
}

static void read_checkin_row(const PGresult *r, int row, void *p)
{
    coord_checkin *c = p;
    memset(c, 0, sizeof *c);
    col_text(r, row, 0, c->ticket, sizeof c->ticket);
    col_text(r, row, 1, c->device, sizeof c->device);
    c->at = col_i64(r, row, 2);
    c->duplicate = col_i64(r, row, 3) != 0;
    col_text(r, row, 4, c->op_id, sizeof c->op_id);
    c->manual = col_i64(r, row, 5) != 0;
    col_text(r, row, 6, c->entrance, sizeof c->entrance);
    col_text(r, row, 7, c->override, sizeof c->override);
}

static usher_err checkins_body(coorddb_impl *db, coord_checkin **out, size_t *n, usher_errmsg *em)
{
    return collect(db,
                   "SELECT ticket, device, at, duplicate, op_id, manual, entrance, override "
                   "FROM checkins "
                   "ORDER BY at, id",
                   NULL, sizeof **out, read_checkin_row, (void **)out, n, em,
                   "coordinator database: listing check-ins");
}

static usher_err pg_checkins(coorddb_impl *db, coord_checkin **out, size_t *n, usher_errmsg *em)
{
    LOCKED(db, em, checkins_body(db, out, n, em));
}

static usher_err revoked_scans_body(coorddb_impl *db, coord_checkin **out, size_t *n,
                                    usher_errmsg *em)
{
    return collect(db,
                   "SELECT ticket, device, at, 0, op_id, 0, '', '' FROM alerts "
                   "WHERE kind = 'revoked_scan' ORDER BY at, id",
                   NULL, sizeof **out, read_checkin_row, (void **)out, n, em,
                   "coordinator database: listing refused scans");
}

static usher_err pg_revoked_scans(coorddb_impl *db, coord_checkin **out, size_t *n,
                                  usher_errmsg *em)
{
    LOCKED(db, em, revoked_scans_body(db, out, n, em));
}

/* ---- the exports' queries -------------------------------------------------------------- */

static usher_err read_rows_body(coorddb_impl *db, const char *sql, coorddb_row_fn fn, void *arg,
                                usher_errmsg *em)
{
    PGresult *r = PQexec(db->conn, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        usher_err err = pg_fail(db, r, em, "cannot read the database");
        PQclear(r);
        return err;
    }
    int n = PQnfields(r);
    if (n > COORDDB_MAX_COLUMNS) {
        PQclear(r);
        return usher_fail(em, USHER_INVAL, "a query of more than %d columns", COORDDB_MAX_COLUMNS);
    }
    const char *cols[COORDDB_MAX_COLUMNS];
    for (int i = 0; i < PQntuples(r); i++) {
        for (int c = 0; c < n; c++)
            cols[c] = col(r, i, c);
        fn(arg, n, cols);
    }
    PQclear(r);
    return USHER_OK;
}

static usher_err pg_read_rows(coorddb_impl *db, const char *sql, coorddb_row_fn fn, void *arg,
                              usher_errmsg *em)
{
    LOCKED(db, em, read_rows_body(db, sql, fn, arg, em));
}

/* ---- a new layout, the seats of the last import, the op log's id ------------------ */

/* Queues SQL with parameters (a rare statement, not prepared) in the
 * transaction's pipeline; libpq copies the values at once. */
static void tx_send_params(coorddb_impl *db, const char *sql, const params *p)
{
    if (!pending_room(db))
        return;
    if (!PQsendQueryParams(db->conn, sql, p->n, NULL, p->v, p->len, p->fmt, 0)) {
        db->pipe_failed = true;
        db->pipe_err = pg_fail(db, NULL, &db->pipe_em, "coordinator database: writing");
        return;
    }
    db->pending[db->npending].is_commit = false;
    db->pending[db->npending++].seat_id[0] = '\0';
    if (db->npending >= FLUSH_EVERY)
        tx_sync(db);
}

/* Finished array literals as the parameters of one statement; false when
 * memory ran out building them. */
static bool array_params(pgarray *cols, int n, params *p)
{
    memset(p, 0, sizeof *p);
    for (int c = 0; c < n; c++) {
        p->v[c] = pgarray_finish(&cols[c]);
        if (!p->v[c])
            return false;
    }
    p->n = n;
    return true;
}

static usher_err layout_version_body(coorddb_impl *db, int64_t *out, usher_errmsg *em)
{
    int64_t v = 1;
    usher_errmsg lem = {{0}};
    usher_err err = meta_i64(db, K_LAYOUT_VERSION, &v, &lem);
    if (err == USHER_NOTFOUND)
        err = USHER_OK, v = 1;
    else if (err)
        return usher_fail(em, err, "%s", lem.text);
    if (v < 1)
        return usher_fail(em, USHER_DB, "coordinator database: layout version %lld is below 1",
                          (long long)v);
    *out = v;
    return USHER_OK;
}

static usher_err pg_layout_version(coorddb_impl *db, int64_t *out, usher_errmsg *em)
{
    LOCKED(db, em, layout_version_body(db, out, em));
}

/* Every seat row again from next, in its layout's order, as one statement. */
static void tx_write_seat_rows(coorddb_impl *db, const state *next, usher_errmsg *em,
                               usher_err *err)
{
    pgarray cols[8];
    memset(cols, 0, sizeof cols);
    const layout *l = state_layout(next);
    for (int i = 0; i < state_seat_count(next); i++) {
        const seat_state *s = state_seat(next, i);
        pgarray_i64(&cols[0], i);
        pgarray_text(&cols[1], layout_seat_at(l, i)->id);
        pgarray_text(&cols[2], s->ticket);
        pgarray_i64(&cols[3], s->blocked);
        pgarray_text(&cols[4], s->hold_device);
        pgarray_i64(&cols[5], s->hold_until);
        pgarray_text(&cols[6], s->lease_device);
        pgarray_i64(&cols[7], s->lease_until);
    }
    params p;
    tx_send_sql(db, "DELETE FROM seats");
    if (!array_params(cols, 8, &p))
        *err = usher_fail(em, USHER_NOMEM, "out of memory writing the new seats");
    else
        tx_send_params(db,
                       "INSERT INTO seats(idx, id, ticket, blocked, hold_device, hold_until, "
                       "lease_device, lease_until) "
                       "SELECT * FROM unnest($1::integer[], $2::text[], $3::text[], "
                       "$4::integer[], $5::text[], $6::bigint[], $7::text[], $8::bigint[])",
                       &p);
    for (int c = 0; c < 8; c++)
        pgarray_release(&cols[c]);
}

/* As the SQLite store: the JSON, its version, the seat rows, one 'layout'
 * change and the trail's alerts, in one transaction. */
static usher_err set_layout_body(coorddb_impl *db, const state *next, const coord_alert *trail,
                                 size_t ntrail, int64_t now, int64_t *version, int64_t *last_seq,
                                 usher_errmsg *em)
{
    char *json = layout_to_json(state_layout(next));
    if (!json)
        return usher_fail(em, USHER_NOMEM, "out of memory storing the layout");
    int64_t v = 0;
    usher_err err = exec(db, "BEGIN", em, "coordinator database: starting a transaction");
    if (!err)
        err = layout_version_body(db, &v, em);
    if (!err)
        err = tx_pipeline(db, em);
    if (!err) {
        v++;
        tx_meta_set(db, K_LAYOUT, json);
        tx_meta_set_i64(db, K_LAYOUT_VERSION, v);
        tx_write_seat_rows(db, next, em, &err);
    }
    if (!err) {
        params p = {0};
        p_i64(&p, db->last_seq + 1);
        p_i64(&p, now);
        p_i64(&p, v);
        tx_send_params(db,
                       "INSERT INTO changes(seq, type, at, layout_version) "
                       "VALUES ($1::bigint, 'layout', $2::bigint, $3::bigint)",
                       &p);
        for (size_t i = 0; i < ntrail; i++)
            tx_write_alert(db, &trail[i].a, trail[i].before, trail[i].after, now);
        err = tx_commit(db, em);
    }
    tx_rollback(db);
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

static usher_err pg_set_layout(coorddb_impl *db, const state *next, const coord_alert *trail,
                               size_t ntrail, int64_t now, int64_t *version, int64_t *last_seq,
                               usher_errmsg *em)
{
    LOCKED(db, em, set_layout_body(db, next, trail, ntrail, now, version, last_seq, em));
}

/* The seats an imported file gives, in the open transaction's pipeline (a
 * code listed twice: its last seat, as the SQLite store's row by row). */
static usher_err tx_note_import_seats(coorddb_impl *db, const ticket_list *tl, usher_errmsg *em)
{
    pgarray cols[2];
    memset(cols, 0, sizeof cols);
    for (size_t i = 0; i < tl->count; i++)
        if (tl->items[i].seat[0]) {
            pgarray_text(&cols[0], tl->items[i].code);
            pgarray_text(&cols[1], tl->items[i].seat);
        }
    usher_err err = USHER_OK;
    params p;
    bool any = cols[0].count > 0; /* none: no seat column, or every cell empty */
    if (any && !array_params(cols, 2, &p))
        err = usher_fail(em, USHER_NOMEM, "out of memory remembering the file's seats");
    else if (any)
        tx_send_params(db,
                       "INSERT INTO import_seats(code, seat) "
                       "SELECT DISTINCT ON (code) code, seat "
                       "FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(code, seat, n) "
                       "ORDER BY code, n DESC "
                       "ON CONFLICT(code) DO UPDATE SET seat = excluded.seat",
                       &p);
    for (int c = 0; c < 2; c++)
        pgarray_release(&cols[c]);
    return err;
}

static usher_err import_seats_body(coorddb_impl *db, ticket_list *out, usher_errmsg *em)
{
    PGresult *r = PQexec(db->conn, "SELECT code, seat FROM import_seats ORDER BY code");
    usher_err err = USHER_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        err = pg_fail(db, r, em, "coordinator database: reading the imported seats");
    for (int i = 0; !err && i < PQntuples(r); i++) {
        ticket_rec t;
        memset(&t, 0, sizeof t);
        col_text(r, i, 0, t.code, sizeof t.code);
        col_text(r, i, 1, t.seat, sizeof t.seat);
        if ((err = ticket_list_push(out, &t)) != USHER_OK)
            err = usher_fail(em, err, "out of memory reading the imported seats");
    }
    PQclear(r);
    return err;
}

static usher_err pg_import_seats(coorddb_impl *db, ticket_list *out, usher_errmsg *em)
{
    LOCKED(db, em, import_seats_body(db, out, em));
}

/* A new name for this copy of the op log (random, hex), as the SQLite
 * store's; outside a pipeline (in the caller's transaction, if any). */
static usher_err write_new_log_id(coorddb_impl *db, usher_errmsg *em)
{
    uint8_t raw[16];
    char id[2 * sizeof raw + 2] = "L";
    randombytes_buf(raw, sizeof raw);
    text_hex(raw, sizeof raw, id + 1);
    params p = {0};
    p_text(&p, K_LOG_ID);
    p_text(&p, id);
    PGresult *r = PQexecParams(db->conn, pg_sql[P_META_SET], p.n, NULL, p.v, p.len, p.fmt, 0);
    usher_err err = PQresultStatus(r) == PGRES_COMMAND_OK
                        ? USHER_OK
                        : pg_fail(db, r, em, "coordinator database: renewing the op log's id");
    PQclear(r);
    return err;
}

static usher_err pg_renew_log_id(coorddb_impl *db, usher_errmsg *em)
{
    LOCKED(db, em, write_new_log_id(db, em));
}

/* Where this copy of the op log lives: "SYSID/DB/META/TIMELINE", the
 * cluster's system identifier, the database's and its meta table's object
 * ids (new in a database that pg_restore, createdb --template or a logical
 * copy filled; new for a table pg_restore --clean made again) and the
 * server's timeline (new after a point-in-time recovery or a promoted
 * standby). "" on a server in recovery: a hot standby, read-only, is the
 * copy its primary is. */
static usher_err log_home_here(coorddb_impl *db, char *out, size_t size, usher_errmsg *em)
{
    PGresult *r = PQexec(
        db->conn, "SELECT CASE WHEN pg_is_in_recovery() THEN '' ELSE "
                  "(SELECT system_identifier FROM pg_control_system())::text || '/' || "
                  "(SELECT oid FROM pg_database WHERE datname = current_database())::text || "
                  "'/' || 'meta'::regclass::oid::text || '/' || "
                  "substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END");
    usher_err err = USHER_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        err = pg_fail(db, r, em, "coordinator database: where its op log lives");
    else
        col_text(r, 0, 0, out, size);
    PQclear(r);
    return err;
}

/* Opened on a copy of the database (log_home no longer says where it is):
 * a new log id first, so that no device takes this log for the one its
 * cursor counts in. A database without log_home (new, or of schema 3) is
 * given it. Reads only, when nothing moved. */
static usher_err check_log_home(coorddb_impl *db, usher_errmsg *em)
{
    char here[160], home[160];
    usher_err err = log_home_here(db, here, sizeof here, em);
    if (!err)
        text_copy(db->home, sizeof db->home, here);
    if (!err && here[0])
        err = meta_opt(db, K_LOG_HOME, home, sizeof home, em);
    if (err || !here[0] || !strcmp(home, here))
        return err;
    /* Two opening the copy at once: the second finds the first's home. */
    err = exec(db, "BEGIN", em, "coordinator database: starting a transaction");
    if (!err)
        err = exec(db, "LOCK TABLE meta IN EXCLUSIVE MODE", em, "coordinator database");
    if (!err)
        err = meta_opt(db, K_LOG_HOME, home, sizeof home, em);
    if (!err && home[0] && strcmp(home, here) != 0)
        err = write_new_log_id(db, em);
    if (!err && strcmp(home, here) != 0) {
        params p = {0};
        p_text(&p, K_LOG_HOME);
        p_text(&p, here);
        PGresult *r = run_prepared(db, P_META_SET, &p);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            err = pg_fail(db, r, em, "coordinator database: noting where its op log lives");
        PQclear(r);
    }
    if (!err)
        err = exec(db, "COMMIT", em, "coordinator database: noting where its op log lives");
    if (err) {
        PGresult *rb = PQexec(db->conn, "ROLLBACK");
        PQclear(rb);
    }
    return err;
}

/* After the connection was made again: the database it reached must be the
 * copy this handle opened. Another (a standby promoted under a new timeline,
 * the database restored under the same name) may lack commits that devices
 * were told of, and holds the op log id of the old one: from then on every
 * call is refused and the store is unsure, so that serve stops answering
 * until it is restarted, and opened again it gives the copy a new log id. A
 * database that cannot be read yet (being restored) is not judged. */
static usher_err check_still_home(coorddb_impl *db, usher_errmsg *em)
{
    char here[160];
    usher_errmsg probe;
    if (!db->moved && (!db->home[0] || log_home_here(db, here, sizeof here, &probe) != USHER_OK ||
                       !here[0] || !strcmp(here, db->home)))
        return USHER_OK;
    db->moved = db->unsure = true;
    return usher_fail(em, USHER_DB,
                      "the PostgreSQL database is another copy since the connection to it was "
                      "made again (restored, or its server failed over): restart usher-coord, "
                      "which gives the copy's op log a new id so that devices rebuild");
}

/* The registry's events with their names (each read from its schema's meta). */
static usher_err events_body(coorddb_impl *db, coorddb_event_row **out, size_t *n, usher_errmsg *em)
{
    reg_row *rows = NULL;
    size_t nrows = 0;
    bool public_used = false;
    usher_err err = registry_begin(db, &rows, &nrows, &public_used, em);
    if (err && PQtransactionStatus(db->conn) == PQTRANS_IDLE)
        return err; /* BEGIN itself failed: nothing to roll back */
    PGresult *r = NULL;
    coorddb_event_row *ev = err ? NULL : calloc(nrows ? nrows : 1, sizeof *ev);
    if (!err && !ev)
        err = usher_fail(em, USHER_NOMEM, "out of memory");
    for (size_t i = 0; !err && i < nrows; i++) {
        char sql[SCHEMA_NAME_SIZE + 64];
        snprintf(sql, sizeof sql, "SELECT value FROM \"%s\".meta WHERE key = 'event_name'",
                 rows[i].schema);
        r = PQexec(db->conn, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK)
            err = pg_fail(db, r, em, "coordinator database: reading an event's name");
        else if (PQntuples(r) == 1)
            col_text(r, 0, 0, ev[i].name, sizeof ev[i].name);
        PQclear(r);
        text_copy(ev[i].id, sizeof ev[i].id, rows[i].id);
        ev[i].created_at = rows[i].created_at;
    }
    free(rows);
    if (!err)
        err = exec(db, "COMMIT", em, "coordinator database");
    if (err) {
        PGresult *rb = PQexec(db->conn, "ROLLBACK");
        PQclear(rb);
        free(ev);
        return err;
    }
    *out = ev;
    *n = nrows;
    return USHER_OK;
}

static usher_err pg_events(const char *where, coorddb_event_row **out, size_t *n, usher_errmsg *em)
{
    coorddb_impl *db = NULL;
    usher_err err = pg_connect(where, &db, em);
    if (!err)
        err = events_body(db, out, n, em);
    pg_free(db);
    return err;
}

static usher_err write_body(coorddb_impl *db, const char *sql, const char *const *values, size_t n,
                            int64_t *changed, usher_errmsg *em)
{
    PGresult *r = PQexecParams(db->conn, sql, (int)n, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        usher_err err = pg_fail(db, r, em, "cannot write to the database");
        PQclear(r);
        return err;
    }
    int64_t count = 0;
    if (changed) {
        (void)text_parse_i64(PQcmdTuples(r), 0, INT64_MAX, &count);
        *changed = count;
    }
    PQclear(r);
    return USHER_OK;
}

static usher_err pg_write(coorddb_impl *db, const char *sql, const char *const *values, size_t n,
                          int64_t *changed, usher_errmsg *em)
{
    LOCKED(db, em, write_body(db, sql, values, n, changed, em));
}

static const coorddb_backend pg_backend = {
    .name = "PostgreSQL",
    .open = pg_open,
    .events = pg_events,
    .free = pg_free,
    .lock = pg_lock,
    .init_event = pg_init_event,
    .set_settings = pg_set_settings,
    .get_event = pg_get_event,
    .layout_json = pg_layout_json,
    .load = pg_load,
    .add_tickets = pg_add_tickets,
    .ops_unsaved = pg_ops_unsaved,
    .save_op_ids = pg_save_op_ids,
    .find_verdict = pg_find_verdict,
    .find_verdicts = pg_find_verdicts,
    .commit = pg_commit,
    .admin_change = pg_admin_change,
    .last_seq = pg_last_seq,
    .changes_since = pg_changes_since,
    .device_add = pg_device_add,
    .device_auth = pg_device_auth,
    .device_seen = pg_device_seen,
    .device_set_disabled = pg_device_set_disabled,
    .devices = pg_devices,
    .alerts = pg_alerts,
    .alert_ack = pg_alert_ack,
    .checkins = pg_checkins,
    .revoked_scans = pg_revoked_scans,
    .unsure = pg_unsure,
    .lock_lost = pg_lock_lost,
    .serve_seen = pg_serve_seen,
    .serves = pg_serves,
    .add_alerts = pg_add_alerts,
    .devices_seen = pg_devices_seen,
    .read_rows = pg_read_rows,
    .layout_version = pg_layout_version,
    .set_layout = pg_set_layout,
    .import_seats = pg_import_seats,
    .renew_log_id = pg_renew_log_id,
    .write = pg_write,
};

const coorddb_backend *coordpg_backend(void)
{
    return &pg_backend;
}

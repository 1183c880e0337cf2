/* coord_main.c - usher-coord's command line: init, tickets, device, serve, export, qr.
 * Each command validates its arguments, works in one transaction and exits
 * non-zero with a one-line reason on any error. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "coord_api.h"
#include "coord_engine.h"
#include "coord_entrance.h"
#include "coord_export.h"
#include "coord_http.h"
#include "coord_import.h"
#include "coord_pgdump.h"
#include "coord_printers.h"
#include "coord_qr.h"
#include "coord_role.h"
#include "coord_snapshot.h"
#include "coord_standby.h"
#include "coorddb.h"
#include "coordpg.h"
#include "layout.h"
#include "qrcode.h"
#include "qrsig.h"
#include "text.h"
#include "ticket.h"
#include "timestamp.h"
#include "zone.h"

#ifndef USHER_WEB_DIR
#define USHER_WEB_DIR "assets/web"
#endif

static const char usage[] =
    "usage: usher-coord COMMAND [options]\n"
    "\n"
    "  init    --db FILE [--event NAME] [--layout gala:25x10|theatre:RxS|FILE.json]\n"
    "          [--tz Europe/Berlin]      (prints the event's staff PIN, once)\n"
    "  event set  --db FILE [--codes strong|weak|auto] [--pin DIGITS|new] [--tz ZONE]\n"
    "             [--lang en|de|fr|es|ar|zh] [--reentry allowed|refused]\n"
    "  event show --db FILE\n"
    "  layout set --db FILE [--dry-run] LAYOUT.json | layout get --db FILE\n"
    "  tickets import   --db FILE [--dry-run] [--map SPEC] [--revoke-missing] FILE.csv\n"
    "  tickets generate --db FILE --count N [--prefix GALA] [--class VIP]\n"
    "  device add --db FILE --name NAME --role kiosk|door|admin [--entrance NAME]\n"
    "  device list --db FILE | device disable|enable --db FILE --name NAME\n"
    "  device set --db FILE --name NAME --entrance NAME|none\n"
    "  entrance add --db FILE NAME [--classes A,B] [--sections S1,S2]\n"
    "  entrance list --db FILE | entrance remove --db FILE NAME\n"
    "  serve   --db FILE [--listen 127.0.0.1:8080] [--web DIR] [--threads N]\n"
    "          [--reseat nearest|none] [--advertise URL]   (PostgreSQL: more serve as standby)\n"
    "  export  --db FILE assignments|checkins|alerts      (CSV on stdout)\n"
    "  backup  --db FILE OUT                               (online copy, while serve runs; "
    "pg_dump)\n"
    "  restore --db FILE BACKUP                            (serve stopped; devices rebuild)\n"
    "  restore --db postgresql://...        (after pg_restore: a new op log id; devices rebuild)\n"
    "  qr      --db FILE --out DIR [--page a4|letter] [--grid 2x5] [--per-ticket svg]\n"
    "          (printable PDF sheets of signed QR tickets)\n"
    "  events  --db DB                                     (a PostgreSQL database's events)\n"
    "\n"
    "Every command takes --help. The database is one SQLite file (one event), or a\n"
    "PostgreSQL database (--db \"host=... dbname=...\" or postgresql://...) that may\n"
    "hold many events: every command then takes --event-id ID to choose one (init:\n"
    "the new event's id, by default made from --event), needed once there are two.\n"
    "The layout JSON format is described in assets/layouts/README.md.\n";

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("usher-coord: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

/* Parses options for a command; prints its help on --help. Returns -1 to go
 * on, else the exit status. */
static int parse(const char *help, const cli_spec *specs, int n, int argc, char **argv, cli *c)
{
    if (cli_wants_help(argc, argv)) {
        fputs(help, stdout);
        return 0;
    }
    usher_errmsg em = {{0}};
    if (cli_parse(specs, n, argc, argv, c, &em) != USHER_OK)
        return fail("%s", em.text);
    if (!cli_get(specs, n, c, "db"))
        return fail("--db FILE is required (see --help)");
    return -1;
}

#define GET(name) cli_get(specs, (int)(sizeof specs / sizeof specs[0]), &c, name)
#define PARSE(help)                                                                                \
    do {                                                                                           \
        int rc_ = parse(help, specs, (int)(sizeof specs / sizeof specs[0]), argc, argv, &c);       \
        if (rc_ >= 0)                                                                              \
            return rc_;                                                                            \
    } while (0)

/* An organiser command must not write under a running server, whose state is
 * in memory: serve holds the store's lock (coorddb_lock) all the time. */
static int lock_db(coorddb *db, const char *hint)
{
    usher_errmsg em = {{0}};
    if (coorddb_lock(db, &em) != USHER_OK)
        return fail("%s%s", em.text, hint ? hint : "");
    return 0;
}

/* A file must exist (init makes it); a PostgreSQL database is made with
 * PostgreSQL's createdb, and opening it makes Usher's tables. */
static bool db_missing(const char *where)
{
    return coordwhere_kind_of(where) == COORDWHERE_SQLITE && access(where, F_OK) != 0;
}

/* --event-id ID, which any command takes: one of the events of a PostgreSQL
 * database (NULL: its only one). main takes it out of argv before the
 * command parses its own options. */
static const char *event_id_opt;

static int take_event_id(int *argc, char **argv)
{
    int k = 0;
    for (int i = 0; i < *argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--event-id")) {
            if (i + 1 >= *argc)
                return fail("--event-id needs a value: an event's id (usher-coord events "
                            "lists them)");
            v = argv[++i];
        } else if (!strncmp(argv[i], "--event-id=", 11)) {
            v = argv[i] + 11;
        } else {
            argv[k++] = argv[i];
            continue;
        }
        if (event_id_opt)
            return fail("--event-id is given twice");
        usher_errmsg em = {{0}};
        if (coordwhere_event_id_check(v, &em) != USHER_OK)
            return fail("%s", em.text);
        event_id_opt = v;
    }
    *argc = k;
    argv[k] = NULL;
    return 0;
}

static int open_db(const char *path, bool must_exist, coorddb **db)
{
    usher_errmsg em = {{0}};
    if (must_exist && db_missing(path))
        return fail("%s does not exist: create it with 'usher-coord init --db %s'", path, path);
    if (coorddb_open_event(path, event_id_opt, false, db, &em) != USHER_OK)
        return fail("%s", em.text);
    return 0;
}

/* Checks --tz: a zone this machine knows. */
static int check_tz(const char *tz)
{
    if (!settings_tz_ok(tz) || !zone_exists(tz))
        return fail("--tz: \"%.64s\" is not a time zone this machine knows; use a name "
                    "like Europe/Berlin or America/New_York (see /usr/share/zoneinfo; "
                    "Debian package tzdata)",
                    tz);
    return 0;
}

static void say_pin(const char *pin)
{
    printf("staff PIN: %s (for every kiosk's staff screen; shown only now: write it "
           "down; change it with 'usher-coord event set --pin new')\n",
           pin);
}

static int cmd_init(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}, {"event", true}, {"layout", true}, {"tz", true}};
    cli c;
    PARSE("usage: usher-coord init --db FILE [--event NAME] [--layout SPEC] [--tz ZONE]\n"
          "Creates the event: its layout (default gala:25x10; theatre:RxS; or a JSON file),\n"
          "its signing key for QR tickets, its time zone (default this machine's) and a\n"
          "random 6-digit staff PIN, printed once (stored only as a hash). Refuses a\n"
          "SQLite file that has an event. A PostgreSQL database holds many: each new one\n"
          "has an id (--event-id ID: 1-32 of a-z, 0-9, '-'; default made from --event)\n"
          "that the other commands take to choose it.\n");
    const char *name = GET("event") ? GET("event") : "Usher event";
    const char *spec = GET("layout") ? GET("layout") : "gala:25x10";
    if (strlen(name) >= USHER_EVENT_NAME_SIZE || !text_utf8_valid(name, strlen(name)) ||
        !text_printable(name))
        return fail("--event: one line of text, at most %d bytes", USHER_EVENT_NAME_SIZE - 1);
    event_settings s;
    settings_default(&s);
    if (GET("tz")) {
        if (check_tz(GET("tz")))
            return 1;
        text_copy(s.tz, sizeof s.tz, GET("tz"));
    } else {
        zone_machine(s.tz);
    }
    char pin[SETTINGS_PIN_SIZE];
    usher_errmsg em = {{0}};
    if (settings_pin_new(pin, &em) != USHER_OK || settings_pin_hash(pin, s.pin_hash, &em))
        return fail("%s", em.text);
    layout *l = NULL;
    if (layout_open(spec, &l, &em) != USHER_OK)
        return fail("--layout: %s", em.text);
    /* A new event of a PostgreSQL database has an id: the organiser's, or
     * the one its name gives. */
    char id[COORDWHERE_EVENT_ID_SIZE] = "";
    bool pg = coordwhere_kind_of(GET("db")) == COORDWHERE_POSTGRESQL;
    if (event_id_opt)
        text_copy(id, sizeof id, event_id_opt);
    else if (pg)
        coordwhere_event_id_from_name(name, id);
    coorddb *db = NULL;
    int rc = 0;
    if (coorddb_open_event(GET("db"), id[0] ? id : NULL, true, &db, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc && coorddb_init_event(db, name, l, timestamp_now_ms(), &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc && coorddb_set_settings(db, &s, &em) != USHER_OK)
        rc = fail("the event was created but its settings were not stored (%s): run "
                  "'usher-coord event set --db %s --pin new --tz %s'",
                  em.text, GET("db"), s.tz[0] ? s.tz : "UTC");
    if (!rc) {
        printf("created event \"%s\" with %d seats in %s (time zone %s)\n", name,
               layout_seat_count(l), GET("db"), s.tz[0] ? s.tz : "UTC");
        if (pg)
            printf("event id: %s (give --event-id %s to every command once the database "
                   "holds more than one event)\n",
                   id, id);
        say_pin(pin);
    }
    sodium_memzero(pin, sizeof pin);
    coorddb_free(db);
    layout_free(l);
    return rc;
}

/* What a file's codes mean for the guests, after an import or generate. */
static void say_codes(const ticket_list *tl, const event_settings *s)
{
    ticketcode_report rep;
    if (ticket_list_classify(tl, &rep) != USHER_OK)
        return;
    if (rep.strength == TICKETCODE_STRONG)
        fprintf(stderr, "usher-coord: these codes are strong (they cannot be guessed): a typed "
                        "code admits at the door and seats its guest\n");
    else
        fprintf(stderr,
                "usher-coord: %zu of these codes are weak (%s: %s): a typed weak code never "
                "admits at the door (the guest shows the QR code, or staff admit after a name "
                "check) and a guest kiosk asks for the holder's last name. Print Usher's signed "
                "QR tickets (usher-coord qr) and every guest is strong.\n",
                rep.weak, rep.example, rep.why);
    fprintf(stderr, "usher-coord: the event's codes are %s%s\n", ticketcode_strength_name(s->codes),
            s->codes_by_organiser ? " (set by the organiser: event set --codes)" : "");
}

static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail("cannot read %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 > cap) {
            cap = cap ? cap * 2 : 131072;
            if (cap > 256u * 1024 * 1024) {
                free(buf);
                fclose(f);
                return fail("%s is too large (over 256 MiB)", path);
            }
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                return fail("out of memory reading %s", path);
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return fail("cannot read %s", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

static int add_tickets(const char *dbpath, const ticket_list *tl)
{
    coorddb *db = NULL;
    int rc = open_db(dbpath, true, &db);
    if (!rc)
        rc = lock_db(
            db, "; while it serves, add tickets from the dashboard (Import CSV) or POST a CSV to "
                "/v1/tickets/import");
    layout *l = NULL;
    state *st = NULL;
    usher_errmsg em = {{0}};
    state_config cfg = {0};
    size_t added = 0;
    if (!rc && coorddb_load(db, &cfg, &l, &st, &em) != USHER_OK)
        rc = fail("%s", em.text);
    coord_event ev;
    if (!rc && coorddb_add_tickets(db, st, tl, timestamp_now_ms(), &added, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc && coorddb_get_event(db, &ev, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc) {
        fprintf(stderr, "usher-coord: added %zu tickets (%d in the event)\n", added,
                state_ticket_count(st));
        say_codes(tl, &ev.settings);
        sodium_memzero(&ev, sizeof ev);
    }
    state_free(st);
    layout_free(l);
    coorddb_free(db);
    return rc;
}

/* A refused file's problems on stderr, line by line ("line N: ..."), or the
 * file-level reason; always 1. */
static int report_problems(const char *file, const csv_report *rep, const char *reason)
{
    for (size_t i = 0; i < rep->count; i++)
        fprintf(stderr, "%s: %s\n", file, rep->items[i].message);
    if (rep->total > rep->count)
        fprintf(stderr, "%s: ... and %zu more problems\n", file, rep->total - rep->count);
    if (rep->total)
        return fail("%s: %zu problem%s; nothing imported", file, rep->total,
                    rep->total == 1 ? "" : "s");
    return fail("%s: %s; nothing imported", file, reason);
}

/* Plans the file against the event and, unless a dry run, applies it. */
static int import_into(const char *dbpath, const char *file, coord_import *ci, bool dry_run)
{
    coorddb *db = NULL;
    int rc = open_db(dbpath, true, &db);
    if (!rc)
        rc = lock_db(db, "; while it serves, import from the dashboard (Import CSV) or POST the "
                         "file to /v1/tickets/import");
    layout *l = NULL;
    state *st = NULL;
    usher_errmsg em = {{0}};
    state_config cfg = {0};
    if (!rc && coorddb_load(db, &cfg, &l, &st, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc && coord_import_load_seats(db, ci) != USHER_OK)
        rc = fail("%s", ci->em.text);
    usher_err perr = rc ? USHER_OK : coord_import_plan(ci, st);
    if (perr == USHER_PARSE)
        rc = report_problems(file, &ci->problems, ci->em.text);
    else if (perr)
        rc = fail("out of memory planning the import");
    if (!rc && !dry_run &&
        coorddb_admin_change(db, st, coord_import_apply, ci, NULL, 0, &ci->file.tickets,
                             timestamp_now_ms(), NULL, &em) != USHER_OK)
        rc = fail("%s: %s; nothing imported", file, em.text);
    coord_event ev;
    if (!rc && coorddb_get_event(db, &ev, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc) {
        coord_import_print(ci, dry_run, stdout);
        if (!dry_run)
            printf("imported: %d tickets in the event\n", state_ticket_count(st));
        say_codes(&ci->file.tickets, &ev.settings);
        sodium_memzero(&ev, sizeof ev);
    }
    state_free(st);
    layout_free(l);
    coorddb_free(db);
    return rc;
}

/* layout set: the same rule and messages as PUT /v1/layout
 * (coorddb_change_layout), while no server holds the database. */
static int cmd_layout_set(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}, {"dry-run", false}};
    cli c;
    PARSE("usage: usher-coord layout set --db FILE [--dry-run] LAYOUT.json\n"
          "Replaces the venue's layout (format: assets/layouts/README.md; 'layout get'\n"
          "prints the current one). Seats and sections may be added, drawings moved,\n"
          "free seats re-classed or dropped; a seat that holds a ticket is never dropped,\n"
          "renumbered, moved to another section or re-classed (refused, naming it).\n"
          "Before anyone is seated any layout may replace it. Every device takes the\n"
          "new layout at its next sync. --dry-run checks and writes nothing. While\n"
          "serve runs, save the layout from the dashboard or PUT it to /v1/layout.\n");
    if (c.nargs != 1)
        return fail("layout set needs one file: the layout JSON (see --help)");
    const char *file = c.args[0], *dbpath = GET("db");
    bool dry_run = GET("dry-run") != NULL;
    usher_errmsg em = {{0}};
    layout *next = NULL, *l = NULL;
    state *st = NULL;
    coorddb *db = NULL;
    int rc = 0;
    if (layout_load_file(file, &next, &em) != USHER_OK)
        return fail("%s; nothing changed", em.text);
    rc = open_db(dbpath, true, &db);
    if (!rc)
        rc = lock_db(db, "; while it serves, save the layout from the dashboard or PUT it to "
                         "/v1/layout");
    state_config cfg = {0};
    if (!rc && coorddb_load(db, &cfg, &l, &st, &em) != USHER_OK)
        rc = fail("%s", em.text);
    coorddb_layout_result res;
    memset(&res, 0, sizeof res);
    if (!rc && coorddb_change_layout(db, st, next, "usher-coord", timestamp_now_ms(), dry_run, &res,
                                     &em) != USHER_OK)
        rc = fail("%s: %s; nothing changed", file, em.text);
    if (!rc) {
        printf("%s: %d seats in %d sections; seats +%d -%d, sections +%d -%d\n", file, res.seats,
               res.sections, res.counts.seats_added, res.counts.seats_dropped,
               res.counts.sections_added, res.counts.sections_dropped);
        if (!res.changed)
            printf("the event's layout is this one already (version %lld); nothing written\n",
                   (long long)res.version);
        else if (dry_run)
            printf("dry run: the layout may replace version %lld; nothing written\n",
                   (long long)res.version);
        else
            printf("layout replaced: version %lld; every device takes it at its next sync\n",
                   (long long)res.version);
    }
    state_free(res.st);
    state_free(st);
    layout_free(l);
    layout_free(next);
    coorddb_free(db);
    return rc;
}

/* layout get: the stored layout JSON on stdout (also while serve runs). */
static int cmd_layout_get(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}};
    cli c;
    PARSE("usage: usher-coord layout get --db FILE\n"
          "Prints the event's layout JSON (the format 'layout set' and PUT /v1/layout take).\n");
    if (c.nargs)
        return fail("layout get takes no words, only --db FILE");
    coorddb *db = NULL;
    int rc = open_db(GET("db"), true, &db);
    char *json = NULL;
    usher_errmsg em = {{0}};
    if (!rc && coorddb_layout_json(db, &json, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc)
        printf("%s\n", json);
    free(json);
    coorddb_free(db);
    return rc;
}

static int cmd_tickets_import(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true},
                                     {"map", true},
                                     {"dry-run", false},
                                     {"keep-missing", false},
                                     {"revoke-missing", false}};
    cli c;
    PARSE("usage: usher-coord tickets import --db FILE [--dry-run] [--map SPEC]\n"
          "                                  [--keep-missing|--revoke-missing] FILE.csv\n"
          "Imports a ticket file: Usher's own (ticket_number,full_name[,class]) or a ticket\n"
          "office's attendee export, recognised by its header row (pretix check-in list\n"
          "and order data, Eventbrite attendee report, Tito, Ticket Tailor, Hi.Events).\n"
          "UTF-8 (with or without BOM), UTF-16 with BOM or Windows-1252; comma, semicolon\n"
          "or tab. It prints the format, the mapping and the counts; --dry-run stops there.\n"
          "  --map code=COLUMN,name=COLUMN+COLUMN,class=COLUMN,status=COLUMN,seat=COLUMN\n"
          "        names the columns of any other file (or overrides a recognised one)\n"
          "A seat column (a seat id of the layout; empty: the guest chooses) seats each\n"
          "ticket there, or moves it there on a re-import when the seat is free; a seat\n"
          "the layout lacks, given twice, blocked or holding another ticket refuses the\n"
          "file (--map seat= imports without seats).\n"
          "A newer export of the same event merges: new tickets are added, changed names\n"
          "and classes updated, void rows revoked; tickets no longer in the file are kept\n"
          "(--keep-missing, the default) or revoked (--revoke-missing). A bad file is\n"
          "refused whole, every problem listed by line.\n");
    if (c.nargs != 1)
        return fail("tickets import needs one file: the CSV or text export (see --help)");
    if (GET("keep-missing") && GET("revoke-missing"))
        return fail("choose --keep-missing or --revoke-missing, not both");
    char *data = NULL;
    size_t len = 0;
    int rc = read_file(c.args[0], &data, &len);
    if (rc)
        return rc;
    coord_import_opts opts = {
        .map = GET("map"),
        .missing = GET("revoke-missing") ? TICKET_MISSING_REVOKE : TICKET_MISSING_KEEP,
    };
    coord_import ci;
    coord_import_init(&ci, &opts);
    if (coord_import_read(&ci, data, len) != USHER_OK) {
        rc = report_problems(c.args[0], &ci.problems, ci.em.text);
    } else {
        rc = import_into(GET("db"), c.args[0], &ci, GET("dry-run") != NULL);
    }
    coord_import_release(&ci);
    free(data);
    return rc;
}

static int cmd_tickets_generate(int argc, char **argv)
{
    static const cli_spec specs[] = {
        {"db", true}, {"count", true}, {"prefix", true}, {"class", true}};
    cli c;
    PARSE("usage: usher-coord tickets generate --db FILE --count N [--prefix GALA] [--class VIP]\n"
          "Adds N tickets with unguessable codes (with a check character) and prints the\n"
          "codes, one a line.\n");
    int64_t count;
    if (!GET("count") || !text_parse_i64(GET("count"), 1, USHER_MAX_TICKETS, &count))
        return fail("--count: a whole number from 1 to %d", USHER_MAX_TICKETS);
    const char *klass = GET("class") ? GET("class") : "";
    if (strlen(klass) >= USHER_CLASS_SIZE)
        return fail("--class: at most %d characters", USHER_CLASS_SIZE - 1);
    ticket_list tl = {0};
    usher_errmsg em = {{0}};
    int rc = 0;
    for (int64_t i = 0; !rc && i < count; i++) {
        ticket_rec rec;
        memset(&rec, 0, sizeof rec);
        if (ticketcode_generate(GET("prefix") ? GET("prefix") : "", rec.code, &em) != USHER_OK)
            rc = fail("--prefix: %s", em.text);
        text_copy(rec.klass, sizeof rec.klass, klass);
        if (!rc && ticket_list_push(&tl, &rec) != USHER_OK)
            rc = fail("out of memory");
    }
    if (!rc)
        rc = add_tickets(GET("db"), &tl);
    for (size_t i = 0; !rc && i < tl.count; i++)
        printf("%s\n", tl.items[i].code);
    ticket_list_release(&tl);
    return rc;
}

/* The classification of every ticket the event holds (event set --codes auto). */
static usher_err classify_event(coorddb *db, ticketcode_report *rep, usher_errmsg *em)
{
    layout *l = NULL;
    state *st = NULL;
    state_config cfg = {0};
    usher_err err = coorddb_load(db, &cfg, &l, &st, em);
    const char **codes = NULL;
    if (err)
        goto out;
    int n = state_ticket_count(st);
    codes = malloc((size_t)(n ? n : 1) * sizeof *codes);
    if (!codes) {
        err = usher_fail(em, USHER_NOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++)
        codes[i] = state_ticket(st, i)->code;
    ticketcode_classify(codes, (size_t)n, rep);
out:
    free(codes);
    state_free(st);
    layout_free(l);
    return err;
}

static void print_event(const coord_event *ev)
{
    const event_settings *s = &ev->settings;
    printf("event: %s\n", ev->name);
    if (ev->id[0]) /* PostgreSQL: the id that chooses it among the database's events */
        printf("event id: %s\n", ev->id);
    printf("codes: %s (%s)\n", ticketcode_strength_name(s->codes),
           s->codes_by_organiser ? "set by the organiser" : "from the imported codes");
    printf("time zone: %s\n", s->tz[0] ? s->tz : "UTC");
    printf("kiosk language: %s\n", s->lang[0] ? s->lang : "each kiosk's --lang (en)");
    printf("re-entry: %s\n", s->reentry_refused ? "refused (a guest who left stays out)"
                                                : "allowed (a guest who left may come back in)");
    printf("staff PIN: %s\n",
           s->pin_hash[0] ? "set (stored as a hash)" : "none: set one with 'event set --pin new'");
}

static int cmd_event_show(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}};
    cli c;
    PARSE("usage: usher-coord event show --db FILE\n"
          "Prints the event's settings: whether its codes are strong or weak, its time\n"
          "zone and whether a staff PIN is set. Works while serve runs.\n");
    coorddb *db = NULL;
    int rc = open_db(GET("db"), true, &db);
    coord_event ev;
    usher_errmsg em = {{0}};
    if (!rc && coorddb_get_event(db, &ev, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc) {
        print_event(&ev);
        sodium_memzero(&ev, sizeof ev);
    }
    coorddb_free(db);
    return rc;
}

static int cmd_event_set(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}, {"codes", true}, {"pin", true},
                                     {"tz", true}, {"lang", true},  {"reentry", true}};
    cli c;
    PARSE("usage: usher-coord event set --db FILE [--codes strong|weak|auto] [--pin DIGITS|new]\n"
          "                             [--tz ZONE] [--lang LANG] [--reentry allowed|refused]\n"
          "Changes the event's settings; every device gets them at its next sync.\n"
          "  --codes strong  typed codes admit and seat guests (e.g. the ticket office\n"
          "                  printed its own unguessable barcodes that guests will scan)\n"
          "  --codes weak    a typed code alone never admits; guest kiosks ask for the\n"
          "                  holder's last name\n"
          "  --codes auto    back to what the imported codes are\n"
          "  --pin new       a new random 6-digit staff PIN, printed once; or 4-12 digits\n"
          "  --tz ZONE       the time zone people read times in (Europe/Berlin)\n"
          "  --lang LANG     the kiosks' default language: " SETTINGS_LANGS "\n"
          "  --reentry allowed|refused  whether a guest scanned out at an exit door may\n"
          "                  come back in (allowed: WELCOME BACK; refused: NO RE-ENTRY)\n"
          "Stop 'usher-coord serve' first.\n");
    if (c.nargs)
        return fail("unexpected argument '%s'", c.args[0]);
    const char *codes = GET("codes"), *pin_arg = GET("pin"), *tz = GET("tz");
    const char *lang = GET("lang"), *reentry = GET("reentry");
    if (!codes && !pin_arg && !tz && !lang && !reentry)
        return fail("nothing to set: give --codes, --pin, --tz, --lang or --reentry (see --help)");
    if (reentry && settings_reentry_parse(reentry) < 0)
        return fail("--reentry: allowed or refused");
    if (lang && (!lang[0] || !settings_lang_ok(lang)))
        return fail("--lang: '%s' is not a language the kiosks speak; give one of " SETTINGS_LANGS,
                    lang);
    if (codes && strcmp(codes, "auto") && ticketcode_strength_parse(codes) < 0)
        return fail("--codes: strong, weak or auto");
    if (pin_arg && strcmp(pin_arg, "new") && !settings_pin_valid(pin_arg))
        return fail("--pin: 4 to 12 digits, or 'new' for a random 6-digit PIN");
    if (tz && check_tz(tz))
        return 1;
    coorddb *db = NULL;
    int rc = open_db(GET("db"), true, &db);
    if (!rc)
        rc = lock_db(db, NULL);
    coord_event ev;
    memset(&ev, 0, sizeof ev);
    usher_errmsg em = {{0}};
    char pin[SETTINGS_PIN_SIZE] = "";
    if (!rc && coorddb_get_event(db, &ev, &em) != USHER_OK)
        rc = fail("%s", em.text);
    event_settings s = ev.settings;
    if (!rc && codes && !strcmp(codes, "auto")) {
        ticketcode_report rep;
        if (classify_event(db, &rep, &em) != USHER_OK)
            rc = fail("%s", em.text);
        s.codes = rep.strength;
        s.codes_by_organiser = false;
    } else if (!rc && codes) {
        s.codes = (ticketcode_strength)ticketcode_strength_parse(codes);
        s.codes_by_organiser = true;
    }
    if (!rc && pin_arg) {
        if (!strcmp(pin_arg, "new") && settings_pin_new(pin, &em) != USHER_OK)
            rc = fail("%s", em.text);
        else if (strcmp(pin_arg, "new"))
            text_copy(pin, sizeof pin, pin_arg);
        if (!rc && settings_pin_hash(pin, s.pin_hash, &em) != USHER_OK)
            rc = fail("%s", em.text);
    }
    if (!rc && tz)
        text_copy(s.tz, sizeof s.tz, tz);
    if (!rc && lang)
        text_copy(s.lang, sizeof s.lang, lang);
    if (!rc && reentry)
        s.reentry_refused = settings_reentry_parse(reentry) == 1;
    if (!rc && coorddb_set_settings(db, &s, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc) {
        ev.settings = s;
        print_event(&ev);
        if (pin_arg && !strcmp(pin_arg, "new"))
            say_pin(pin);
    }
    sodium_memzero(pin, sizeof pin);
    sodium_memzero(&ev, sizeof ev);
    coorddb_free(db);
    return rc;
}

static int cmd_device_add(int argc, char **argv)
{
    static const cli_spec specs[] = {
        {"db", true}, {"name", true}, {"role", true}, {"entrance", true}};
    cli c;
    PARSE("usage: usher-coord device add --db FILE --name NAME --role kiosk|door|admin\n"
          "                              [--entrance NAME]\n"
          "Provisions a device and prints its bearer token alone on stdout (shown once;\n"
          "the database keeps only a hash). NAME: letters, digits, '.', '_', '-'.\n"
          "--entrance: the entrance a door belongs to (usher-coord entrance add); it\n"
          "sends a ticket that entrance does not admit to the one that does.\n");
    if (c.nargs)
        return fail("unexpected argument '%s'", c.args[0]);
    const char *name = GET("name"), *role = GET("role");
    if (!name || !text_is_ident(name, USHER_DEVICE_SIZE - 1))
        return fail("--name: 1 to 64 letters, digits, '.', '_' or '-'");
    usher_role r = role_parse(role);
    if (r == ROLE_NONE)
        return fail("--role: kiosk, door or admin");
    const char *ent = GET("entrance");
    if (ent && r != ROLE_DOOR)
        return fail("--entrance: only a door belongs to an entrance (--role door)");
    coorddb *db = NULL;
    int rc = open_db(GET("db"), true, &db);
    char token[COORD_TOKEN_SIZE];
    usher_errmsg em = {{0}};
    entrance_set *have = ent ? calloc(1, sizeof *have) : NULL;
    if (!rc && ent && !have)
        rc = fail("out of memory");
    /* The entrance is checked before the device is made: a refusal adds nothing. */
    if (!rc && ent && coord_entrances_read(db, have, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc && ent && !entrance_find(have, ent))
        rc = fail("--entrance: no entrance \"%s\" (usher-coord entrance list; add it with "
                  "usher-coord entrance add)",
                  ent);
    free(have);
    if (!rc && coorddb_device_add(db, name, r, timestamp_now_ms(), token, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc && ent && coord_entrance_assign(db, name, ent, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc)
        printf("%s\n", token);
    coorddb_free(db);
    return rc;
}

static int cmd_device_list(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}};
    cli c;
    PARSE("usage: usher-coord device list --db FILE\n"
          "Lists devices as CSV: id, role, last_seen, cursor, pending, disabled, entrance.\n");
    coorddb *db = NULL;
    int rc = open_db(GET("db"), true, &db);
    coord_device *ds = NULL;
    size_t n = 0;
    usher_errmsg em = {{0}};
    if (!rc && coorddb_devices(db, &ds, &n, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc)
        printf("id,role,last_seen,cursor,pending,disabled,entrance\n");
    for (size_t i = 0; !rc && i < n; i++) {
        char seen[TIMESTAMP_TEXT_SIZE] = "";
        if (ds[i].last_seen)
            timestamp_format(ds[i].last_seen, seen);
        printf("%s,%s,%s,%lld,%lld,%d,", ds[i].id, role_name(ds[i].role), seen,
               (long long)ds[i].cursor, (long long)ds[i].pending, ds[i].disabled ? 1 : 0);
        coord_export_cell(stdout, ds[i].entrance);
        fputc('\n', stdout);
    }
    free(ds);
    coorddb_free(db);
    return rc;
}

static int cmd_device_disable(int argc, char **argv, bool disable)
{
    static const cli_spec specs[] = {{"db", true}, {"name", true}};
    cli c;
    PARSE("usage: usher-coord device disable|enable --db FILE --name NAME\n"
          "Refuses (or accepts again) a device's token, e.g. for a lost kiosk. A running\n"
          "server notices within 30 seconds.\n");
    if (!GET("name"))
        return fail("--name NAME is required");
    coorddb *db = NULL;
    int rc = open_db(GET("db"), true, &db);
    usher_errmsg em = {{0}};
    if (!rc && coorddb_device_set_disabled(db, GET("name"), disable, &em) != USHER_OK)
        rc = fail("%s", em.text);
    coorddb_free(db);
    return rc;
}

static int cmd_device_set(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}, {"name", true}, {"entrance", true}};
    cli c;
    PARSE("usage: usher-coord device set --db FILE --name NAME --entrance NAME|none\n"
          "Puts a door at an entrance (or at none: it then admits every ticket). Stop\n"
          "'usher-coord serve' first; while it runs, the dashboard's devices table (or\n"
          "PUT /v1/devices/NAME) does it and the door hears of it at its next sync.\n");
    if (c.nargs)
        return fail("unexpected argument '%s'", c.args[0]);
    const char *name = GET("name"), *ent = GET("entrance");
    if (!name || !ent)
        return fail("--name NAME and --entrance NAME|none are required");
    coorddb *db = NULL;
    int rc = open_db(GET("db"), true, &db);
    if (!rc)
        rc = lock_db(db, ": change it on the dashboard (or PUT /v1/devices/NAME) while serving");
    usher_errmsg em = {{0}};
    if (!rc && coord_entrance_assign(db, name, strcmp(ent, "none") ? ent : "", &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc)
        printf("%s: entrance %s\n", name, strcmp(ent, "none") ? ent : "none");
    coorddb_free(db);
    return rc;
}

static int cmd_entrance_add(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}, {"classes", true}, {"sections", true}};
    cli c;
    PARSE("usage: usher-coord entrance add --db FILE NAME [--classes A,B] [--sections S1,S2]\n"
          "Defines an entrance: a door that belongs to it admits tickets of these classes\n"
          "and seated in these sections (none given: every ticket), and sends any other\n"
          "ticket to the entrance that admits it (\"Entrance B, please\"). NAME: 1 to 40\n"
          "bytes, no comma or slash; names that differ only in case or accents are one.\n"
          "Classes are the tickets' and seats' classes, sections the layout's section ids\n"
          "(T07, A). Stop 'usher-coord serve' first; while it runs, add it on the\n"
          "dashboard (or POST /v1/entrances).\n");
    if (c.nargs != 1)
        return fail("entrance add: give the entrance's NAME (see --help)");
    entrance e;
    memset(&e, 0, sizeof e);
    usher_errmsg em = {{0}};
    if (!text_copy(e.name, sizeof e.name, c.args[0]) || !entrance_name_ok(e.name))
        return fail("entrance name \"%s\": 1 to %d bytes of printable UTF-8, no comma or "
                    "slash, no spaces at either end",
                    c.args[0], ENTRANCE_NAME_MAX);
    if (entrance_parse_list(GET("classes"), "--classes", e.classes[0], sizeof e.classes[0],
                            &e.nclasses, &em) != USHER_OK ||
        entrance_parse_list(GET("sections"), "--sections", e.sections[0], sizeof e.sections[0],
                            &e.nsections, &em) != USHER_OK)
        return fail("%s", em.text);
    coorddb *db = NULL;
    char *json = NULL;
    layout *l = NULL;
    int rc = open_db(GET("db"), true, &db);
    if (!rc)
        rc = lock_db(db, ": add it on the dashboard (or POST /v1/entrances) while serving");
    if (!rc && (coorddb_layout_json(db, &json, &em) != USHER_OK ||
                layout_from_json(json, strlen(json), &l, &em) != USHER_OK))
        rc = fail("%s", em.text);
    if (!rc && coord_entrance_add(db, l, &e, timestamp_now_ms(), &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc)
        printf("entrance %s added\n", e.name);
    layout_free(l);
    free(json);
    coorddb_free(db);
    return rc;
}

static int cmd_entrance_list(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}};
    cli c;
    PARSE("usage: usher-coord entrance list --db FILE\n"
          "Lists the entrances as CSV: name, classes, sections (';' between names; empty:\n"
          "every one), doors (the devices that belong to it).\n");
    if (c.nargs)
        return fail("unexpected argument '%s'", c.args[0]);
    coorddb *db = NULL;
    int rc = open_db(GET("db"), true, &db);
    entrance_set *s = calloc(1, sizeof *s);
    coord_device *ds = NULL;
    size_t n = 0;
    usher_errmsg em = {{0}};
    if (!rc && !s)
        rc = fail("out of memory");
    if (!rc && (coord_entrances_read(db, s, &em) != USHER_OK ||
                coorddb_devices(db, &ds, &n, &em) != USHER_OK))
        rc = fail("%s", em.text);
    if (!rc)
        printf("name,classes,sections,doors\n");
    for (size_t i = 0; !rc && i < s->n; i++) {
        const entrance *e = &s->all[i];
        char classes[512], sections[512], doors[2048] = "";
        entrance_join(e->classes[0], sizeof e->classes[0], e->nclasses, classes, sizeof classes);
        entrance_join(e->sections[0], sizeof e->sections[0], e->nsections, sections,
                      sizeof sections);
        size_t used = 0;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(ds[k].entrance, e->name))
                continue;
            int w = snprintf(doors + used, sizeof doors - used, "%s%s", used ? ";" : "", ds[k].id);
            if (w > 0 && (size_t)w < sizeof doors - used)
                used += (size_t)w;
        }
        for (char *p = classes; *p; p++)
            *p = *p == ',' ? ';' : *p;
        for (char *p = sections; *p; p++)
            *p = *p == ',' ? ';' : *p;
        const char *cells[] = {e->name, classes, sections, doors};
        for (size_t k = 0; k < 4; k++) {
            if (k)
                fputc(',', stdout);
            coord_export_cell(stdout, cells[k]);
        }
        fputc('\n', stdout);
    }
    free(ds);
    free(s);
    coorddb_free(db);
    return rc;
}

static int cmd_entrance_remove(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}};
    cli c;
    PARSE("usage: usher-coord entrance remove --db FILE NAME\n"
          "Removes an entrance; refused while a door belongs to it (move the door first:\n"
          "usher-coord device set --name ID --entrance OTHER|none). Stop 'usher-coord\n"
          "serve' first; while it runs, remove it on the dashboard (or DELETE\n"
          "/v1/entrances/NAME).\n");
    if (c.nargs != 1)
        return fail("entrance remove: give the entrance's NAME (see --help)");
    coorddb *db = NULL;
    int rc = open_db(GET("db"), true, &db);
    if (!rc)
        rc = lock_db(db, ": remove it on the dashboard (or DELETE /v1/entrances/NAME) while "
                         "serving");
    usher_errmsg em = {{0}};
    if (!rc && coord_entrance_remove(db, c.args[0], &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc)
        printf("entrance %s removed\n", c.args[0]);
    coorddb_free(db);
    return rc;
}

static int cmd_export(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}};
    cli c;
    PARSE("usage: usher-coord export --db FILE assignments|checkins|alerts\n"
          "Writes the CSV to stdout. Works while serve runs.\n");
    if (c.nargs != 1 || !coord_export_known(c.args[0]))
        return fail("export what? assignments, checkins or alerts");
    coorddb *db = NULL;
    int rc = open_db(GET("db"), true, &db);
    usher_errmsg em = {{0}};
    coord_event ev;
    if (!rc && coorddb_get_event(db, &ev, &em) == USHER_OK) {
        zone_use(ev.settings.tz); /* the human columns */
        sodium_memzero(&ev, sizeof ev);
    }
    if (!rc && coord_export(db, c.args[0], stdout, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc && fflush(stdout) != 0)
        rc = fail("cannot write the export: %s", strerror(errno));
    coorddb_free(db);
    return rc;
}

/* PostgreSQL: pg_dump of the whole database (coord_pgdump.h), once the
 * database is seen to be Usher's, holding events (the one --event-id names). */
static int backup_postgresql(const char *where, const char *out)
{
    usher_errmsg em = {{0}};
    coorddb_event_row *rows = NULL;
    size_t n = 0;
    if (coorddb_events(where, &rows, &n, &em) != USHER_OK)
        return fail("%s", em.text);
    free(rows);
    if (n == 0)
        return fail("%s holds no event yet: nothing to back up (usher-coord init makes one)",
                    where);
    if (event_id_opt) {
        coorddb *db = NULL;
        int rc = open_db(where, true, &db);
        coorddb_free(db);
        if (rc)
            return rc;
    }
    if (coord_pgdump("pg_dump", where, out, &em) != USHER_OK)
        return fail("%s", em.text);
    printf("backed up %s to %s with pg_dump -Fc: the whole database, its %zu event%s and their "
           "registry, as of one moment\n"
           "to restore it: createdb NEWDB && pg_restore --no-owner -d NEWDB %s, then serve "
           "--db on NEWDB: each event's op log gets a new id at its first open (if a restore "
           "is not seen as a copy, 'usher-coord restore --db NEWDB' gives it one)\n",
           where, out, n, n == 1 ? "" : "s", out);
    return 0;
}

static int cmd_backup(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}};
    cli c;
    PARSE("usage: usher-coord backup --db FILE OUT\n"
          "Copies the coordinator database into the new file OUT (SQLite's online backup:\n"
          "one consistent moment, taken while serve runs). To restore it: stop serve, run\n"
          "'usher-coord restore --db FILE OUT', start serve; every device then rebuilds\n"
          "its copy from the restored log and sends again every op it lost (README.md,\n"
          "Reliability). An OUT that exists is never overwritten.\n"
          "PostgreSQL: runs pg_dump -Fc (Debian's postgresql-client) on the whole database\n"
          "(every event in it), also while serve runs; restore with pg_restore into a new\n"
          "database.\n");
    if (c.nargs != 1)
        return fail("backup needs one OUT file: usher-coord backup --db FILE OUT");
    if (!GET("db"))
        return fail("backup needs --db FILE (the coordinator database)");
    if (coordwhere_kind_of(GET("db")) == COORDWHERE_POSTGRESQL) {
        usher_errmsg em = {{0}};
        if (coordwhere_check(GET("db"), &em) != USHER_OK)
            return fail("%s", em.text);
        return backup_postgresql(GET("db"), c.args[0]);
    }
    usher_errmsg em = {{0}};
    if (coorddb_backup(GET("db"), c.args[0], &em) != USHER_OK)
        return fail("%s", em.text);
    printf("backed up %s to %s\n", GET("db"), c.args[0]);
    return 0;
}

/* PostgreSQL: the organiser restored the database with pg_restore; its op
 * log gets a new id (the store also renews it by itself when it finds it is
 * opened on a copy: coordpg.h), refused under a serve. */
static int restore_postgresql(const char *where, int nargs)
{
    if (nargs != 0)
        return fail("a PostgreSQL store is restored with PostgreSQL's own tools: createdb a new "
                    "database, pg_restore --no-owner -d DATABASE BACKUP.dump, then "
                    "'usher-coord restore --db DATABASE' (no BACKUP) to give its op log a new "
                    "id before serving it");
    coorddb *db = NULL;
    coord_event ev;
    usher_errmsg em = {{0}};
    int rc = open_db(where, true, &db);
    if (!rc)
        rc = lock_db(db, NULL);
    if (!rc && coorddb_get_event(db, &ev, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc && coorddb_renew_log_id(db, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc && coorddb_get_event(db, &ev, &em) != USHER_OK)
        rc = fail("%s", em.text);
    if (!rc)
        printf("the op log of \"%s\" has a new id (%s): at their next sync the devices "
               "rebuild their copy from it and send again every op it does not have\n",
               ev.name, ev.log_id);
    sodium_memzero(&ev, sizeof ev);
    coorddb_free(db);
    return rc;
}

static int cmd_restore(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}};
    cli c;
    PARSE("usage: usher-coord restore --db FILE BACKUP\n"
          "Puts BACKUP (made by 'usher-coord backup') in place of the coordinator database\n"
          "FILE; stop serve first. FILE, when it exists, must hold the same event; it is\n"
          "kept beside as FILE.replaced-<time>. The restored log gets a new id: at their\n"
          "next sync the devices see it, rebuild their copy from it and send again every\n"
          "op it does not have (README.md, Reliability).\n"
          "PostgreSQL: 'usher-coord restore --db postgresql://...' (no BACKUP) after\n"
          "pg_restore gives the restored database's op log a new id, the same way.\n");
    const char *db = GET("db");
    if (db && coordwhere_kind_of(db) == COORDWHERE_POSTGRESQL)
        return restore_postgresql(db, c.nargs);
    if (c.nargs != 1)
        return fail("restore needs one BACKUP file: usher-coord restore --db FILE BACKUP");
    if (!db)
        return fail("restore needs --db FILE (the coordinator database to replace)");
    if (access(c.args[0], R_OK) != 0)
        return fail("%s: cannot read it (%s)", c.args[0], strerror(errno));
    /* Refused while a serve holds it. (Not held during the swap: a connection
     * still open on the old file would find the new file's -wal by its name.) */
    coorddb *held = NULL;
    int busy = access(db, F_OK) == 0 && (open_db(db, true, &held) || lock_db(held, NULL));
    coorddb_free(held);
    if (busy)
        return 1;
    usher_errmsg em = {{0}};
    char replaced[4096];
    int rc = 0;
    if (coorddb_restore(c.args[0], db, replaced, sizeof replaced, &em) != USHER_OK)
        rc = fail("%s", em.text);
    else if (replaced[0])
        printf("restored %s from %s (the database it replaced is %s)\n", db, c.args[0], replaced);
    else
        printf("restored %s from %s\n", db, c.args[0]);
    return rc;
}

static int cmd_qr(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true},        {"out", true},  {"page", true},
                                     {"grid", true},      {"jobs", true}, {"per-file", true},
                                     {"per-ticket", true}};
    cli c;
    PARSE("usage: usher-coord qr --db FILE --out DIR [--page a4|letter] [--grid COLSxROWS]\n"
          "                      [--per-file N] [--jobs N] [--per-ticket svg]\n"
          "Writes printable PDF sheets of QR tickets, DIR/tickets-0001.pdf, ...: cards\n"
          "with the guest's name, the ticket code, the seat if any, the class and a signed\n"
          "QR code kiosks verify offline; revoked tickets are left out. --grid sets the\n"
          "cards a page (default 2x5; 3x8 for 63 x 34 mm labels on A4), --per-file the\n"
          "tickets in each PDF (default 5000, whole pages), --jobs the files rendered at\n"
          "once (default: the machine's cores). Also DIR/payloads.csv\n"
          "(ticket_number,full_name,payload: the text each QR holds, for a mail merge)\n"
          "and, with --per-ticket svg, DIR/CODE.svg for each ticket. Works while serve runs.\n");
    const char *dir = GET("out");
    if (!dir)
        return fail("--out DIR is required");
    coord_qr_opts o = {.paper = COORD_QR_A4, .cols = 2, .rows = 5, .per_file = 5000};
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o.jobs = cores < 1 ? 1 : cores > 16 ? 16 : (int)cores;
    const char *page = GET("page");
    if (page && !strcmp(page, "letter"))
        o.paper = COORD_QR_LETTER;
    else if (page && strcmp(page, "a4"))
        return fail("--page %s: a4 or letter", page);
    const char *grid = GET("grid");
    if (grid) {
        char a[8] = "", b[8] = "";
        const char *x = strchr(grid, 'x');
        int64_t cols = 0, rows = 0;
        if (!x || (size_t)(x - grid) >= sizeof a || strlen(x + 1) >= sizeof b)
            return fail("--grid %s: COLSxROWS, such as 2x5 or 3x8", grid);
        memcpy(a, grid, (size_t)(x - grid));
        text_copy(b, sizeof b, x + 1);
        if (!text_parse_i64(a, 1, 8, &cols) || !text_parse_i64(b, 1, 12, &rows))
            return fail("--grid %s: COLSxROWS with 1 to 8 columns and 1 to 12 rows, such as 2x5",
                        grid);
        o.cols = (int)cols, o.rows = (int)rows;
    }
    int64_t v;
    if (GET("jobs")) {
        if (!text_parse_i64(GET("jobs"), 1, 16, &v))
            return fail("--jobs %s: a whole number from 1 to 16", GET("jobs"));
        o.jobs = (int)v;
    }
    if (GET("per-file")) {
        if (!text_parse_i64(GET("per-file"), 1, 1000000, &v))
            return fail("--per-file %s: a whole number of tickets from 1 to 1000000",
                        GET("per-file"));
        o.per_file = (int)v;
    }
    if (GET("per-ticket")) {
        if (strcmp(GET("per-ticket"), "svg"))
            return fail("--per-ticket %s: only svg (one SVG file per ticket)", GET("per-ticket"));
        o.per_ticket_svg = true;
    }
    usher_errmsg em = {{0}};
    coord_qr_card card;
    if (coord_qr_card_at(&o, 0, &card, &em))
        return fail("%s", em.text);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return fail("cannot create %s: %s", dir, strerror(errno));
    coorddb *db = NULL;
    int rc = open_db(GET("db"), true, &db);
    coord_event ev;
    layout *l = NULL;
    state *st = NULL;
    state_config cfg = {0};
    if (!rc && (coorddb_get_event(db, &ev, &em) || coorddb_load(db, &cfg, &l, &st, &em)))
        rc = fail("%s", em.text);
    coorddb_free(db); /* the state is in memory now: serve may go on writing */
    int tickets = 0, files = 0;
    if (!rc && coord_qr_write(&ev, st, dir, &o, &tickets, &files, &em))
        rc = fail("%s", em.text);
    if (!rc)
        fprintf(stderr,
                "usher-coord: wrote %d QR tickets in %d PDF file%s (%s/tickets-0001.pdf...)%s and "
                "%s/payloads.csv\n",
                tickets, files, files == 1 ? "" : "s", dir,
                o.per_ticket_svg ? ", one SVG per ticket" : "", dir);
    state_free(st);
    layout_free(l);
    return rc;
}

/* An optional whole-number option of serve into *out (times scale); 1 with
 * the message printed when it is out of range. */
static int limit_opt(const char *v, const char *name, int64_t min, int64_t max, unsigned scale,
                     unsigned *out)
{
    int64_t x;
    if (!v)
        return 0;
    if (!text_parse_i64(v, min, max, &x))
        return fail("--%s: a whole number from %lld to %lld", name, (long long)min, (long long)max);
    *out = (unsigned)(x * scale);
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true},
                                     {"listen", true},
                                     {"web", true},
                                     {"threads", true},
                                     {"reseat", true},
                                     {"tls-cert", true},
                                     {"tls-key", true},
                                     {"max-connections", true},
                                     {"per-address", true},
                                     {"max-streams", true},
                                     {"streams-per-device", true},
                                     {"header-timeout", true},
                                     {"body-timeout", true},
                                     {"recent-ops", true},
                                     {"snapshot-page", true},
                                     {"printer-alert", true},
                                     {"advertise", true}};
    cli c;
    PARSE("usage: usher-coord serve --db FILE [--listen 127.0.0.1:8080] [--web DIR]\n"
          "                         [--threads N] [--reseat nearest|none]\n"
          "                         [--tls-cert CERT.pem --tls-key KEY.pem]\n"
          "                         [--max-connections 24000] [--per-address 256]\n"
          "                         [--max-streams 12000] [--streams-per-device 8]\n"
          "                         [--header-timeout 10] [--body-timeout 30]\n"
          "                         [--recent-ops 8192] [--snapshot-page 5000]\n"
          "                         [--printer-alert 60]\n"
          "                         [--advertise http://HOST:PORT]\n"
          "Serves the sync protocol, the organisers' API and the dashboard (open\n"
          "http://HOST:PORT/ and give an admin token). Port 0 picks a free port; the\n"
          "chosen address is printed as 'listening on http://HOST:PORT'. Ctrl-C stops.\n"
          "With --tls-cert and --tls-key (PEM files) it serves https instead; devices\n"
          "that do not trust the certificate's issuer take it with usher-syncd --cacert.\n"
          "Limits: past --max-connections open connections (or --max-streams event\n"
          "streams, or --streams-per-device of one device) requests get 503 with\n"
          "Retry-After; one address holds at most --per-address connections (0 = no\n"
          "limit: set it behind a proxy), more are closed at once; a request's headers\n"
          "must arrive within --header-timeout seconds and its body within\n"
          "--body-timeout, or the connection is closed.\n"
          "--recent-ops N (default 8192): verdicts of the last N to 2N ops stay in memory\n"
          "for retried ops; older ones are found in the database.\n"
          "--snapshot-page N (default 5000): changes in each page of the snapshot a\n"
          "joining device fetches (built once, gzipped, shared by devices joining\n"
          "together).\n"
          "--printer-alert S (default 60): a kiosk's seat-card printer failing (offline,\n"
          "out of paper, stopped) for S seconds is an alert on the dashboard.\n"
          "On PostgreSQL several serves of one event may run (on other machines): the\n"
          "one holding the event's lock is active, the others are standby (they\n"
          "answer 503 with the active's address and take over within a second when\n"
          "it stops). --advertise URL: the address devices should use for this serve\n"
          "(default: http://HOST:PORT of --listen; the machine's hostname for 0.0.0.0).\n"
          "SQLite: one serve per file; a second is refused.\n");
    const char *listen = GET("listen") ? GET("listen") : "127.0.0.1:8080";
    const char *web = GET("web") ? GET("web") : getenv("USHER_WEB_DIR");
    if (!web)
        web = USHER_WEB_DIR;
    /* Eight, not one a core: a sync's resume costs its thread a walk over
     * that thread's suspended streams (syncd/README.md, "Connections at
     * scale"), so more threads make each walk shorter. */
    int64_t threads = 8;
    if (GET("threads") && !text_parse_i64(GET("threads"), 1, 64, &threads))
        return fail("--threads: a whole number from 1 to 64");
    limits_config lim;
    limits_config_default(&lim);
    if (limit_opt(GET("max-connections"), "max-connections", 1, 1000000, 1, &lim.max_connections) ||
        limit_opt(GET("per-address"), "per-address", 0, 1000000, 1, &lim.per_address) ||
        limit_opt(GET("max-streams"), "max-streams", 1, 1000000, 1, &lim.max_streams) ||
        limit_opt(GET("streams-per-device"), "streams-per-device", 0, 1000000, 1,
                  &lim.streams_per_device) ||
        limit_opt(GET("header-timeout"), "header-timeout", 1, 3600, 1000, &lim.header_ms) ||
        limit_opt(GET("body-timeout"), "body-timeout", 1, 3600, 1000, &lim.body_ms))
        return 1;
    if (GET("max-connections") && !GET("max-streams") && lim.max_streams > lim.max_connections)
        lim.max_streams = lim.max_connections;
    usher_errmsg lem = {{0}};
    if (limits_config_check(&lim, &lem) != USHER_OK)
        return fail("%s", lem.text);
    int64_t recent_ops = ENGINE_RECENT_OPS;
    if (GET("recent-ops") && !text_parse_i64(GET("recent-ops"), 1, 10000000, &recent_ops))
        return fail("--recent-ops: a whole number from 1 to 10000000");
    int64_t snapshot_page = SNAP_PAGE_DEFAULT;
    if (GET("snapshot-page") &&
        !text_parse_i64(GET("snapshot-page"), 1, SNAP_PAGE_MAX, &snapshot_page))
        return fail("--snapshot-page: a whole number from 1 to %d", SNAP_PAGE_MAX);
    int64_t printer_alert = COORD_PRINTER_ALERT_MS / 1000;
    if (GET("printer-alert") && !text_parse_i64(GET("printer-alert"), 1, 86400, &printer_alert))
        return fail("--printer-alert: seconds from 1 to 86400");
    const char *reseat = GET("reseat") ? GET("reseat") : "nearest";
    if (strcmp(reseat, "nearest") && strcmp(reseat, "none"))
        return fail("--reseat: nearest or none");
    if (!GET("tls-cert") != !GET("tls-key"))
        return fail("--tls-cert and --tls-key go together (a PEM certificate and its key)");
    if (db_missing(GET("db")))
        return fail("%s does not exist: create it with 'usher-coord init --db %s'", GET("db"),
                    GET("db"));
    char *cert = NULL, *key = NULL;
    size_t cert_len = 0, key_len = 0;
    if (GET("tls-cert")) {
        if (read_file(GET("tls-cert"), &cert, &cert_len))
            return 1;
        if (read_file(GET("tls-key"), &key, &key_len)) {
            free(cert);
            return 1;
        }
        const char *bad = !strstr(cert, "-----BEGIN CERTIFICATE-----") ? GET("tls-cert")
                          : !strstr(key, "PRIVATE KEY-----")           ? GET("tls-key")
                                                                       : NULL;
        if (bad) {
            free(cert);
            free(key);
            return fail("%s is not a PEM %s", bad,
                        bad == GET("tls-cert") ? "certificate (-----BEGIN CERTIFICATE-----)"
                                               : "private key (-----BEGIN ... PRIVATE KEY-----)");
        }
    }

    /* Signals are taken by sigwait below; every thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (GET("advertise")) {
        usher_errmsg aem = {{0}};
        if (coord_role_check_url(GET("advertise"), &aem) != USHER_OK) {
            free(cert);
            free(key);
            return fail("%s", aem.text);
        }
    }
    /* A fixed mmap threshold: a block of 256 KiB or more (a batch's results,
     * a snapshot page being built) is mapped for itself and unmapped when
     * freed. glibc's default raises the threshold after each such free, so
     * later big blocks came from the heaps of whichever thread made them and
     * stayed there: tens of MiB that a long event's RSS never gave back. */
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    usher_errmsg em = {{0}};
    engine *e = NULL;
    coorddb *db = NULL;
    coord_server *srv = NULL;
    coord_standby *sb = NULL;
    coord_role *role = coord_role_new("");
    reseat_policy policy = strcmp(reseat, "none") ? RESEAT_NEAREST : RESEAT_NONE;
    int rc = 0;
    if (!role) {
        rc = fail("out of memory");
        goto out;
    }
    if (coorddb_open_event(GET("db"), event_id_opt, false, &db, &em) != USHER_OK) {
        rc = fail("%s", em.text);
        goto out;
    }
    bool pg = coorddb_kind(db) == COORDWHERE_POSTGRESQL;
    usher_err lerr = coorddb_lock(db, &em);
    if (lerr && !(lerr == USHER_BUSY && pg)) { /* SQLite: one serve per file */
        rc = lerr == USHER_BUSY ? fail("%s (a SQLite file has one serve, on one machine; a "
                                       "standby serve needs the PostgreSQL store)",
                                       em.text)
                                : fail("%s", em.text);
        goto out;
    }
    event_settings es;
    if (!lerr) {
        if (engine_open_db(GET("db"), &db, policy, NULL, NULL, &e, &em) != USHER_OK) {
            rc = fail("%s", em.text);
            goto out;
        }
        engine_set_recent_ops(e, recent_ops);
        engine_settings(e, &es);
    } else {
        /* Another serve holds the event: standby until it stops. */
        coord_event ev;
        if (coorddb_get_event(db, &ev, &em) != USHER_OK) {
            rc = fail("%s", em.text);
            goto out;
        }
        es = ev.settings;
        sodium_memzero(&ev, sizeof ev);
    }
    zone_use(es.tz); /* before any thread: times people read are in the event's zone */
    coord_role_set(role, e ? COORD_ROLE_ACTIVE : COORD_ROLE_STANDBY);
    coord_server_config sc = {.listen = listen,
                              .web_dir = web,
                              .threads = (unsigned)threads,
                              .tls_cert_pem = cert,
                              .tls_key_pem = key,
                              .limits = lim,
                              .snapshot_page = (size_t)snapshot_page,
                              .api = coord_api_dispatch,
                              .printer_alert_ms = printer_alert * 1000,
                              .role = role};
    if (coord_server_start(&sc, e, &srv, &em) != USHER_OK) {
        rc = fail("%s", em.text);
        goto out;
    }
    char host[64];
    const char *colon = strrchr(listen, ':');
    text_copyn(host, sizeof host, listen, (size_t)(colon - listen));
    char self[COORD_URL_SIZE], hostname[128] = "";
    if (GET("advertise")) {
        text_copy(self, sizeof self, GET("advertise"));
        for (size_t n = strlen(self); n && self[n - 1] == '/'; n--)
            self[n - 1] = '\0'; /* as devices name it: no trailing '/' */
    } else {
        if (gethostname(hostname, sizeof hostname - 1) != 0)
            hostname[0] = '\0';
        coord_role_default_url(cert != NULL, host, hostname, coord_server_port(srv), self,
                               sizeof self);
    }
    coord_role_set_self(role, self);
    if (pg) {
        coord_standby_config scfg = {.db_path = GET("db"),
                                     .event_id = event_id_opt,
                                     .reseat = policy,
                                     .recent_ops = recent_ops,
                                     .role = role,
                                     .srv = srv};
        if (coord_standby_start(&scfg, e, &db, &sb, &em) != USHER_OK) {
            rc = fail("%s", em.text);
            goto out;
        }
        e = NULL; /* the standby thread's now */
    } else {
        engine_set_notify(e, coord_server_notify, srv);
    }
    printf("listening on %s://%s:%u\n", cert ? "https" : "http", host, coord_server_port(srv));
    if (sb && coord_role_get(role) != COORD_ROLE_ACTIVE)
        fprintf(stderr,
                "usher-coord: standby: another serve holds the event's database; taking over "
                "when it stops (advertising %s)\n",
                self);
    fflush(stdout);
    int sig = 0;
    sigwait(&sigs, &sig);
    fprintf(stderr, "usher-coord: stopping (signal %d)\n", sig);
out:
    coord_standby_halt(sb);
    if (e)
        engine_set_notify(e, NULL, NULL); /* no commit may reach a stopped server */
    coord_server_stop(srv);
    coord_standby_free(sb);
    engine_free(e);
    coorddb_free(db);
    coord_role_free(role);
    free(cert);
    free(key);
    return rc;
}

static int cmd_events(int argc, char **argv)
{
    static const cli_spec specs[] = {{"db", true}};
    cli c;
    PARSE("usage: usher-coord events --db DB\n"
          "Lists the events of a PostgreSQL database, one a line: its id (what --event-id\n"
          "takes), a tab, its name. A SQLite file holds one event: its id prints as '-'.\n");
    coorddb_event_row *rows = NULL;
    size_t n = 0;
    usher_errmsg em = {{0}};
    if (db_missing(GET("db")))
        return fail("%s does not exist: create it with 'usher-coord init --db %s'", GET("db"),
                    GET("db"));
    if (coorddb_events(GET("db"), &rows, &n, &em) != USHER_OK)
        return fail("%s", em.text);
    for (size_t i = 0; i < n; i++)
        printf("%s\t%s\n", rows[i].id[0] ? rows[i].id : "-", rows[i].name);
    if (n == 0)
        fprintf(stderr, "usher-coord: the database holds no event yet: run usher-coord init\n");
    free(rows);
    return 0;
}

int main(int argc, char **argv)
{
    coorddb_set_postgresql(coordpg_backend()); /* --db "host=... dbname=..." */
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (take_event_id(&argc, argv))
        return 1;
    if (!strcmp(cmd, "events"))
        return cmd_events(argc - 2, argv + 2);
    if (!strcmp(cmd, "init"))
        return cmd_init(argc - 2, argv + 2);
    if (!strcmp(cmd, "serve"))
        return cmd_serve(argc - 2, argv + 2);
    if (!strcmp(cmd, "export"))
        return cmd_export(argc - 2, argv + 2);
    if (!strcmp(cmd, "backup"))
        return cmd_backup(argc - 2, argv + 2);
    if (!strcmp(cmd, "restore"))
        return cmd_restore(argc - 2, argv + 2);
    if (!strcmp(cmd, "qr"))
        return cmd_qr(argc - 2, argv + 2);
    if (!strcmp(cmd, "layout") && argc >= 3 && !strcmp(argv[2], "set"))
        return cmd_layout_set(argc - 3, argv + 3);
    if (!strcmp(cmd, "layout") && argc >= 3 && !strcmp(argv[2], "get"))
        return cmd_layout_get(argc - 3, argv + 3);
    if (!strcmp(cmd, "tickets") && argc >= 3 && !strcmp(argv[2], "import"))
        return cmd_tickets_import(argc - 3, argv + 3);
    if (!strcmp(cmd, "tickets") && argc >= 3 && !strcmp(argv[2], "generate"))
        return cmd_tickets_generate(argc - 3, argv + 3);
    if (!strcmp(cmd, "event") && argc >= 3 && !strcmp(argv[2], "set"))
        return cmd_event_set(argc - 3, argv + 3);
    if (!strcmp(cmd, "event") && argc >= 3 && !strcmp(argv[2], "show"))
        return cmd_event_show(argc - 3, argv + 3);
    if (!strcmp(cmd, "device") && argc >= 3 && !strcmp(argv[2], "add"))
        return cmd_device_add(argc - 3, argv + 3);
    if (!strcmp(cmd, "device") && argc >= 3 && !strcmp(argv[2], "list"))
        return cmd_device_list(argc - 3, argv + 3);
    if (!strcmp(cmd, "device") && argc >= 3 &&
        (!strcmp(argv[2], "disable") || !strcmp(argv[2], "enable")))
        return cmd_device_disable(argc - 3, argv + 3, !strcmp(argv[2], "disable"));
    if (!strcmp(cmd, "device") && argc >= 3 && !strcmp(argv[2], "set"))
        return cmd_device_set(argc - 3, argv + 3);
    if (!strcmp(cmd, "entrance") && argc >= 3 && !strcmp(argv[2], "add"))
        return cmd_entrance_add(argc - 3, argv + 3);
    if (!strcmp(cmd, "entrance") && argc >= 3 && !strcmp(argv[2], "list"))
        return cmd_entrance_list(argc - 3, argv + 3);
    if (!strcmp(cmd, "entrance") && argc >= 3 && !strcmp(argv[2], "remove"))
        return cmd_entrance_remove(argc - 3, argv + 3);
    return fail("unknown command '%s' (try usher-coord --help)", cmd);
}

#!/usr/bin/env python3
"""test_events.py - many events in one PostgreSQL database: `init` of a second
event, `--event-id` choosing one in every command, `usher-coord events`, two
serves (one per event) at once on the same database with nothing of one event
visible in the other (tickets, ops, changes, devices, check-ins, alerts,
exports; the same seat id held by different guests), a token of one event
refused by the other's serve, and a database of one event from before (schema
3, no registry) still working without a selector (tests/integration/README.md).

    python3 test_events.py --coord PATH/TO/usher-coord --store postgresql [--pg-dir DIR] [NAME ...]

PostgreSQL only (a SQLite file holds one event): with the SQLite store every
test is skipped. Python 3 standard library only.
"""

import csv
import io
import json
import urllib.error
import urllib.request
import re
import sys

import test_coord as tc
import usher_it as it
from test_coord import call, expect_error, get_json, one_verdict, op, sync
from usher_it import Skip, check, eq

LAYOUT = "gala:6x10"
# The same codes in both events (each event's own tickets), different guests.
GUESTS_A = [("G-0001", "Ada Lovelace", ""), ("G-0002", "Alan Turing", ""), ("A-0003", "Only In A", "")]
GUESTS_B = [("G-0001", "Grace Hopper", ""), ("G-0002", "Edsger Dijkstra", ""), ("B-0003", "Only In B", "")]


class Env(tc.Env):
    """test_coord's Env, every command of it given an event id."""

    def ev(self, event_id, *args, rc=0):
        """usher-coord CMD --db DB --event-id ID ARGS... (args[0] is the command, or two words)."""
        words = 2 if args[0] in ("tickets", "device", "layout", "event") else 1
        return self.run(*args[:words], "--db", self.db, "--event-id", event_id, *args[words:], rc=rc)

    def make_event(self, event_id, name, guests):
        _, out, _ = self.ev(event_id, "init", "--event", name, "--layout", LAYOUT)
        check("event id: %s " % event_id in out, "init printed the event id: %r" % out)
        self.ev(event_id, "tickets", "import", self.write_csv("%s.csv" % event_id, guests))
        tokens = {}
        for name, role in (("admin1", "admin"), ("kiosk1", "kiosk"), ("door1", "door")):
            _, out, _ = self.ev(event_id, "device", "add", "--name", name, "--role", role)
            check(tc.TOKEN_RE.match(out.strip()), "device add printed a token: %r" % out)
            tokens[role] = out.strip()
        return tokens

    def serve_event(self, event_id):
        return self.serve("--event-id", event_id)

    def export_of(self, event_id, what):
        _, out, _ = self.ev(event_id, "export", what)
        return list(csv.DictReader(io.StringIO(out, newline="")))

    def events(self):
        _, out, _ = self.run("events", "--db", self.db)
        return [tuple(line.split("\t")) for line in out.splitlines()]


def pg_only():
    if it.STORE != "postgresql":
        raise Skip("many events are a PostgreSQL database's (run with --store postgresql)")


def refused(env, args, *needles):
    rc, out, err = env.run(*args, rc=None)
    check(rc != 0, "usher-coord %s should fail" % " ".join(args))
    eq(out, "", "%s: stdout" % (args,))
    eq(len(err.splitlines()), 1, "%s: one line on stderr, got %r" % (args, err))
    for n in needles:
        check(n in err, "%s: stderr %r lacks %r" % (args, err, n))
    return err


def test_second_event_init(env):
    pg_only()
    db = env.db
    _, out, _ = env.run("init", "--db", db, "--event", "Spring Gala", "--layout", LAYOUT)
    check("event id: spring-gala " in out, "the id made from the name: %r" % out)
    eq(env.events(), [("spring-gala", "Spring Gala")], "events after the first init")
    # One event: no selector needed, the id works too.
    env.run("device", "add", "--db", db, "--name", "k1", "--role", "kiosk")
    env.run("device", "list", "--db", db, "--event-id", "spring-gala")
    # The same name again is the same id: refused, nothing made.
    refused(env, ["init", "--db", db, "--event", "Spring Gala"], "already holds", "spring-gala")
    refused(env, ["init", "--db", db, "--event", "X", "--event-id", "Bad_Id"], "a-z, 0-9 and '-'")
    refused(env, ["init", "--db", db, "--event", "X", "--event-id"], "--event-id needs a value")
    refused(env, ["device", "list", "--db", db, "--event-id", "a", "--event-id", "b"], "twice")
    eq(env.events(), [("spring-gala", "Spring Gala")], "events after the refused inits")

    _, out, _ = env.run("init", "--db", db, "--event", "Autumn Fair", "--event-id", "fair-2026",
                        "--layout", "gala:2x4")
    check("event id: fair-2026 " in out and "8 seats" in out, "second init: %r" % out)
    eq(env.events(), [("fair-2026", "Autumn Fair"), ("spring-gala", "Spring Gala")], "two events")
    eq(sorted(it.store_sql(db, "SELECT id, schema_name FROM usher_events")),
       [("fair-2026", "usher_fair_2026"), ("spring-gala", "public")], "the registry")

    # Two events: every command needs the selector, and says which there are.
    for args in (["device", "list", "--db", db], ["export", "--db", db, "assignments"],
                 ["layout", "get", "--db", db], ["event", "show", "--db", db], ["serve", "--db", db]):
        refused(env, args, "holds 2 events (fair-2026, spring-gala)", "--event-id")
    refused(env, ["device", "list", "--db", db, "--event-id", "winter"], "no event \"winter\"",
            "fair-2026, spring-gala")
    # Each event its own layout and devices.
    _, out, _ = env.run("layout", "get", "--db", db, "--event-id", "fair-2026")
    eq(len(re.findall(r'"id":"T\d\d-\d\d"', out)), 8, "the second event's layout")
    _, out, _ = env.run("event", "show", "--db", db, "--event-id", "fair-2026")
    check("event: Autumn Fair\nevent id: fair-2026\n" in out, "event show: %r" % out)
    _, out, _ = env.run("device", "list", "--db", db, "--event-id", "fair-2026")
    eq(out.splitlines()[1:], [], "the second event has no device yet")
    _, out, _ = env.run("device", "list", "--db", db, "--event-id", "spring-gala")
    eq([line.split(",")[0] for line in out.splitlines()[1:]], ["k1"], "the first event's devices")
    # A SQLite file holds one event: --event-id is refused there.
    f = env.path("one.db")
    env.run("init", "--db", f, "--layout", LAYOUT)
    refused(env, ["device", "list", "--db", f, "--event-id", "spring-gala"], "SQLite", "one event")
    _, out, _ = env.run("events", "--db", f)
    eq(out, "-\tUsher event\n", "events of a SQLite file")


def test_two_events_kept_apart(env):
    pg_only()
    ta = env.make_event("gala", "Gala", GUESTS_A)
    tb = env.make_event("fair", "Fair", GUESTS_B)
    sa, sb = env.serve_event("gala"), env.serve_event("fair")  # at once, on one database
    pa, pb = sa.port, sb.port
    # The same seat in both events, held by different guests of the same code.
    for p, t in ((pa, ta), (pb, tb)):
        v = one_verdict(p, t["kiosk"], op("assign", ticket="G-0001", seat="T02-03"))
        eq(v["status"], "accepted", "assign G-0001 to T02-03")
    v = one_verdict(pa, ta["kiosk"], op("assign", ticket="G-0002", seat="T02-04"))
    eq(v["status"], "accepted", "a seat only the gala's guest takes")
    # Check-ins and a double check-in's alert in the gala only.
    for _ in range(2):
        one_verdict(pa, ta["door"], op("checkin", ticket="G-0001"))
    seats_a = {s["id"]: s for s in get_json(pa, "/v1/seats", ta["admin"])["seats"]}
    seats_b = {s["id"]: s for s in get_json(pb, "/v1/seats", tb["admin"])["seats"]}
    eq((seats_a["T02-03"]["ticket"], seats_b["T02-03"]["ticket"]), ("G-0001", "G-0001"), "T02-03")
    eq((seats_a["T02-04"]["state"], seats_b["T02-04"]["state"]), ("taken", "free"), "T02-04")
    eq(len(seats_b), 60, "the fair's seats")
    names = {}
    for p, t in ((pa, ta), (pb, tb)):
        tickets = get_json(p, "/v1/tickets", t["admin"])["tickets"]
        names[p] = {x["code"]: x["name"] for x in tickets}
    eq(names[pa], {"G-0001": "Ada Lovelace", "G-0002": "Alan Turing", "A-0003": "Only In A"}, "gala's tickets")
    eq(names[pb], {"G-0001": "Grace Hopper", "G-0002": "Edsger Dijkstra", "B-0003": "Only In B"}, "fair's tickets")
    # Changes: each event's log, numbered from its own start.
    ca = sync(pa, ta["kiosk"], [])["changes"]
    cb = sync(pb, tb["kiosk"], [])["changes"]
    check(all(c.get("code") != "B-0003" for c in ca) and all(c.get("code") != "A-0003" for c in cb),
          "no ticket change of the other event")
    eq(cb[0]["seq"], 1, "the fair's log starts at 1")
    check(ca[-1]["seq"] > cb[-1]["seq"], "the gala's log is longer (%d, %d)" % (ca[-1]["seq"], cb[-1]["seq"]))
    eq([c["seat"] for c in cb if c["type"] == "ticket" and c["code"] == "G-0001"][-1], "T02-03",
       "the fair's guest's seat")
    # The op logs: each event's own (the gala is the database's first event,
    # in the schema public; the fair has a schema of its own).
    eq(it.store_sql(env.db, "SELECT kind, ticket FROM public.ops ORDER BY seq"),
       [("assign", "G-0001"), ("assign", "G-0002"), ("checkin", "G-0001"), ("checkin", "G-0001")],
       "the gala's op log")
    eq(it.store_sql(env.db, "SELECT kind, ticket, seat FROM usher_fair.ops ORDER BY seq"),
       [("assign", "G-0001", "T02-03")], "the fair's op log")
    # Check-ins, alerts, devices.
    eq([c["ticket"] for c in get_json(pa, "/v1/checkins", ta["admin"])["checkins"]],
       ["G-0001", "G-0001"], "gala's check-ins")
    eq(get_json(pb, "/v1/checkins", tb["admin"])["checkins"], [], "fair's check-ins")
    eq([a["kind"] for a in get_json(pa, "/v1/alerts", ta["admin"])["alerts"]], ["duplicate_checkin"],
       "gala's alerts")
    eq(get_json(pb, "/v1/alerts", tb["admin"])["alerts"], [], "fair's alerts")
    eq(len(get_json(pb, "/v1/devices", tb["admin"])["devices"]), 3, "fair's devices")
    # A token of one event is refused by the other's serve, naming the event.
    for p, t, other in ((pb, ta, "fair"), (pa, tb, "gala")):
        for role in ("kiosk", "admin"):
            r = call(p, "POST", "/v1/sync", {"cursor": 0, "ops": []}, t[role])
            j = expect_error(r, 401, "unauthorized", "another event's %s token" % role)
            check('event "%s"' % other in j["message"] and "one event" in j["message"],
                  "the 401 names the event: %r" % j["message"])
    # Exports, while both serve.
    rows_a = {r["ticket_number"]: r for r in env.export_of("gala", "assignments")}
    rows_b = {r["ticket_number"]: r for r in env.export_of("fair", "assignments")}
    eq(sorted(rows_a), ["A-0003", "G-0001", "G-0002"], "gala's export")
    eq(sorted(rows_b), ["B-0003", "G-0001", "G-0002"], "fair's export")
    eq((rows_a["G-0001"]["seat"], rows_b["G-0001"]["seat"], rows_b["G-0002"]["seat"]), ("T02-03", "T02-03", ""),
       "seats in the exports")
    eq(len(env.export_of("gala", "checkins")), 2, "gala's check-ins export")
    eq(env.export_of("fair", "checkins"), [], "fair's check-ins export")
    eq(len(env.export_of("fair", "alerts")), 0, "fair's alerts export")
    # Each serve holds its own event's lock: a second serve of gala is its
    # standby (the lock is gala's, not the database's), and a write to the
    # other event works meanwhile... only while it is not served.
    sg = env.serve_event("gala")
    try:
        urllib.request.urlopen("http://127.0.0.1:%d/healthz" % sg.port, timeout=10)
        check(False, "a second serve of gala answers /healthz 503 as a standby")
    except urllib.error.HTTPError as e:
        health = json.loads(e.read())
        eq((e.code, health.get("role")), (503, "standby"), "a second serve of gala: %r" % health)
    sg.stop()
    refused(env, ["tickets", "import", "--db", env.db, "--event-id", "fair", env.path("fair.csv")], "in use")
    sb.stop()
    env.ev("fair", "tickets", "import", env.write_csv("late.csv", GUESTS_B + [("B-0004", "Late Guest", "")]))
    eq(len(get_json(pa, "/v1/tickets", ta["admin"])["tickets"]), 3, "the gala served on meanwhile")
    sb = env.serve_event("fair")
    eq(len(get_json(sb.port, "/v1/tickets", tb["admin"])["tickets"]), 4, "the fair's late guest")
    # init of a third event while both serve.
    env.make_event("third", "Third", GUESTS_A[:1])
    eq([e[0] for e in env.events()], ["fair", "gala", "third"], "three events")


def test_old_single_event_database(env):
    """A database written before many events (schema 3: no registry) works as
    it did, without a selector, and takes a second event."""
    pg_only()
    env.setup(tickets=tc.SAMPLE, layout=LAYOUT, event="Old Gala")
    # Schema 3 as it was: no entrances (7), no serves (6), no registry (5), no layout changes or import seats (4).
    it.store_exec(env.db, "DROP TABLE IF EXISTS serves; DROP TABLE IF EXISTS entrances; "
                  "ALTER TABLE devices DROP COLUMN IF EXISTS entrance; "
                  "ALTER TABLE checkins DROP COLUMN IF EXISTS entrance; "
                  "ALTER TABLE checkins DROP COLUMN IF EXISTS override; "
                  " DROP TABLE usher_events; DROP TABLE import_seats; "
                  "ALTER TABLE changes DROP COLUMN layout_version; "
                  "ALTER TABLE changes DROP CONSTRAINT changes_type_check; "
                  "ALTER TABLE changes ADD CONSTRAINT changes_type_check CHECK (type IN ('seat', 'ticket')); "
                  "DELETE FROM meta WHERE key IN ('log_home', 'log_id'); "
                  "UPDATE meta SET value = '3' WHERE key = 'usher_schema';")
    eq(it.store_sql(env.db, "SELECT count(*) FROM pg_tables WHERE tablename = 'usher_events'"), [("0",)],
       "no registry")
    s = env.serve()
    k, a = env.tokens["kiosk1"], env.tokens["admin1"]
    eq(one_verdict(s.port, k, op("assign", ticket="GALA-0005", seat="T05-01"))["status"], "accepted", "assign")
    eq(it.store_sql(env.db, "SELECT value FROM meta WHERE key = 'usher_schema'"), [("7",)], "upgraded to 7")
    eq(it.store_sql(env.db, "SELECT id, schema_name FROM usher_events"), [("old-gala", "public")],
       "registered under its name's id")
    s.stop()
    eq(env.events(), [("old-gala", "Old Gala")], "events")
    _, out, _ = env.run("init", "--db", env.db, "--event", "New Fair", "--layout", "gala:2x2")
    check("event id: new-fair " in out, "a second event: %r" % out)
    # The old event, now by its id: its state as it was.
    s = env.serve("--event-id", "old-gala")
    seats = {x["id"]: x for x in get_json(s.port, "/v1/seats", a)["seats"]}
    eq(seats["T05-01"]["ticket"], "GALA-0005", "the old event's seat")
    rows = {r["ticket_number"]: r for r in env.export_of("old-gala", "assignments")}
    eq(rows["GALA-0005"]["seat"], "T05-01", "the old event's export")
    eq(env.export_of("new-fair", "assignments"), [], "the new event's export")


if __name__ == "__main__":
    sys.exit(it.run(__doc__, globals(), binaries=("coord",), env_factory=Env))

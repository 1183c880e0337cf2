#!/usr/bin/env python3
"""test_pgstore.py - what only the PostgreSQL store has: a database that is
not Usher's or is from a newer Usher refused, passwords kept off the command
line, the one-writer lock (a session advisory lock) and its release by
kill -9, backup and restore with pg_dump / pg_restore, and PostgreSQL itself
restarting or crashing under a running coordinator (tests/integration/README.md).

    python3 test_pgstore.py --coord PATH/TO/usher-coord [--pg-dir DIR] [NAME ...]

The rest of the coordinator's behaviour on PostgreSQL is test_coord.py run
with --store postgresql (ctest: coord_pg.*). The tests that restart or crash
the server use a cluster of their own, so that no other test's server loses
its database. Python 3 standard library only.
"""

import json
import os
import subprocess
import sys
import threading
import time

import pgcluster
import test_coord as tc
import usher_it as it
from usher_it import Fail, check, eq, slow

TICKETS = [("P-%04d" % i, "Guest %d" % i, "") for i in range(1, 201)]
SEATS = ["T%02d-%02d" % (t, s) for t in range(3, 23) for s in range(1, 11)]  # no VIP tables


class Env(tc.Env):
    """test_coord's Env on a PostgreSQL database; use_private_cluster() moves
    it to a cluster of its own (stopped and removed at cleanup)."""

    def __init__(self):
        super().__init__()
        self.cluster = None

    def use_private_cluster(self):
        it.drop_store(self.db)
        self.cluster = pgcluster.PgCluster().start()  # its own folder: the postgres user reaches it
        self.db = self.cluster.create_database("private_%d" % os.getpid())
        return self.cluster

    def cleanup(self, failed=False):
        try:
            super().cleanup(failed)
        finally:
            if self.cluster:
                self.cluster.stop()


def refused(env, args, words):
    """A command that must fail with one line on stderr holding `words`."""
    rc, out, err = env.run(*args, rc=None)
    check(rc != 0, "usher-coord %s should fail" % " ".join(args))
    check(words in err, "usher-coord %s: stderr %r lacks %r" % (args[0], err, words))
    eq(out, "", "stdout of a refused command")
    return err


def test_foreign_database_refused(env):
    """A database that holds other tables, one whose meta is not Usher's, and
    one from a newer Usher are refused, and nothing is written into them."""
    it.store_exec(env.db, "CREATE TABLE orders(id integer PRIMARY KEY, total numeric)")
    err = refused(env, ["init", "--db", env.db, "--layout", "gala:2x4"], "not an Usher coordinator's")
    check("orders" in err and "createdb" in err, "the refusal names the table and the fix: %r" % err)
    eq(it.store_tables(env.db), {"orders"}, "tables after the refusal")
    it.store_exec(env.db, "DROP TABLE orders; CREATE TABLE meta(key text PRIMARY KEY, value text)")
    refused(env, ["device", "list", "--db", env.db], "no usher_schema")
    eq(it.store_tables(env.db), {"meta"}, "tables after the second refusal")
    it.store_exec(env.db, "DROP TABLE meta")
    env.setup(tickets=TICKETS[:3], devices=(("admin1", "admin"),))
    it.store_exec(env.db, "UPDATE meta SET value = '99' WHERE key = 'usher_schema'")
    err = refused(env, ["serve", "--db", env.db, "--listen", "127.0.0.1:0"], "newer Usher")
    check("schema 99" in err, "the refusal names the version: %r" % err)
    refused(env, ["export", "--db", env.db, "assignments"], "newer Usher")


def test_password_refused(env):
    """A password in --db (key=value or URI) is refused before anything
    connects, naming ~/.pgpass, PGPASSFILE and PGPASSWORD."""
    host = it.PG.sock
    for where in ("host=%s dbname=nope user=postgres password=secret" % host,
                  "postgresql://postgres:secret@localhost/nope",
                  "postgresql://localhost/nope?sslmode=disable&password=secret"):
        for args in (["init", "--db", where, "--layout", "gala:2x4"], ["serve", "--db", where],
                     ["device", "add", "--db", where, "--name", "k", "--role", "kiosk"]):
            err = refused(env, args, "password")
            check("PGPASSFILE" in err and "PGPASSWORD" in err and "secret" not in err,
                  "the refusal says where passwords go and does not repeat it: %r" % err)
    eq(it.PG.psql("SELECT count(*) FROM pg_database WHERE datname = 'nope'").strip(), "0",
       "no database made")


def standby_of(env, active):
    """A second serve of the event, which must be a standby naming active."""
    sb = env.serve()
    h = tc.call(sb.port, "GET", "/healthz")
    eq((h.status, h.json().get("role"), h.json().get("active")),
       (503, "standby", "http://127.0.0.1:%d" % active.port), "/healthz of a second serve (%r)" % h.body[:300])
    return sb


def test_one_writer_lock(env):
    """serve holds a session advisory lock: a second serve is a standby and an
    import is refused while it runs; kill -9 ends its session, and a new
    serve starts at once with every accepted op."""
    env.setup(tickets=TICKETS[:20])
    k, a = env.tokens["kiosk1"], env.tokens["admin1"]
    srv = env.serve()
    eq(tc.one_verdict(srv.port, k, tc.op("assign", ticket="P-0001", seat="T05-01"))["status"], "accepted",
       "an assign")
    standby_of(env, srv).stop()
    refused(env, ["tickets", "import", "--db", env.db, env.write_csv("late.csv", [("P-0999", "Late", "")])],
            "in use by a running 'usher-coord serve'")
    refused(env, ["event", "set", "--db", env.db, "--lang", "de"], "in use")
    rows = env.export("assignments")  # reads work alongside
    eq({r["ticket_number"]: r["seat"] for r in rows}["P-0001"], "T05-01", "export while serving")
    srv.kill()
    t0 = time.monotonic()
    srv = env.serve()
    check(time.monotonic() - t0 < slow(5), "a new serve after kill -9 within 5 s")
    eq(tc.seat_map(srv.port, a)["T05-01"].get("ticket"), "P-0001", "the accepted assign after kill -9")


def leftovers(env):
    """Files of the test's folder a backup may have left (OUT.partial-*)."""
    return sorted(f for f in os.listdir(env.dir) if ".partial" in f)


def log_id(where):
    rows = it.store_sql(where, "SELECT value FROM meta WHERE key = 'log_id'")
    return rows[0][0] if rows else it.store_sql(where, "SELECT value FROM meta WHERE key = 'event_id'")[0][0]


def test_backup_with_pg_dump(env):
    """usher-coord backup runs pg_dump -Fc while serve runs and assigns keep
    coming: the file is whole (mode 0600: it holds the signing key), nothing
    left beside it, and the output says how to restore; pg_restore into a
    new database and serve on it: the seats the dump saw, a new op log id,
    new ops accepted. An existing OUT is not overwritten, a missing folder
    and a PATH without pg_dump are refused clearly, and leave no file."""
    env.setup(tickets=TICKETS[:60])
    k, a = env.tokens["kiosk1"], env.tokens["admin1"]
    srv = env.serve()
    for i in range(10):
        eq(tc.one_verdict(srv.port, k, tc.op("assign", ticket=TICKETS[i][0], seat=SEATS[i]))["status"],
           "accepted", "assign %d" % i)
    original = log_id(env.db)
    stop, during = threading.Event(), []

    def rush():
        i = 10
        while not stop.is_set() and i < 50:
            v = tc.one_verdict(srv.port, k, tc.op("assign", ticket=TICKETS[i][0], seat=SEATS[i]))
            during.append(v["status"])
            i += 1
    t = threading.Thread(target=rush)
    t.start()
    out = env.path("gala.dump")
    try:
        _, said, _ = env.run("backup", "--db", env.db, out)
    finally:
        stop.set()
        t.join()
    check(during and set(during) == {"accepted"}, "assigns answered while pg_dump ran: %r" % during)
    check("pg_restore --no-owner -d NEWDB" in said and "whole database" in said,
          "backup says what it dumped and how to restore: %r" % said)
    check(os.path.getsize(out) > 1000, "a dump was written (%d bytes)" % os.path.getsize(out))
    eq(os.stat(out).st_mode & 0o777, 0o600, "the dump's mode")
    with open(out, "rb") as f:
        eq(f.read(5), b"PGDMP", "pg_dump's custom format")
    eq(leftovers(env), [], "temporary files left")
    size = os.path.getsize(out)
    err = refused(env, ["backup", "--db", env.db, out], "already exists")
    check("never overwrites" in err, "the refusal says why: %r" % err)
    eq(os.path.getsize(out), size, "the existing backup untouched")
    err = refused(env, ["backup", "--db", env.db, env.path("nowhere/b.dump")], "cannot create")
    check("No such file or directory" in err, "the refusal names the cause: %r" % err)
    check(not os.path.exists(env.path("nowhere")), "no folder made")
    p = subprocess.run([it.COORD, "backup", "--db", env.db, env.path("b.dump")], capture_output=True,
                       timeout=slow(60), env=dict(os.environ, PATH="/nonexistent"))
    err = p.stderr.decode("utf-8", "replace")
    check(p.returncode != 0 and "pg_dump is not installed" in err and "postgresql-client" in err,
          "a PATH without pg_dump: %r" % err)
    check(not os.path.exists(env.path("b.dump")), "no file written")
    eq(leftovers(env), [], "temporary files left after the refusals")
    seen = {sid: e.get("ticket") for sid, e in tc.seat_map(srv.port, a).items()}
    srv.stop()
    restored = it.PG.create_database("restored_%d" % os.getpid())
    try:
        p = subprocess.run(["pg_restore", "--no-owner", "-d", restored, out], capture_output=True,
                           timeout=slow(60))
        eq(p.returncode, 0, "pg_restore (stderr %r)" % p.stderr)
        env_db, env.db = env.db, restored  # serve the copy
        try:
            srv2 = env.serve()
            now = {sid: e.get("ticket") for sid, e in tc.seat_map(srv2.port, a).items()}
            for i in range(10):
                eq(now.get(SEATS[i]), seen.get(SEATS[i]), "seat %s before the backup" % SEATS[i])
            for sid, ticket in now.items():
                check(ticket is None or seen.get(sid) == ticket, "seat %s: %r, never served so" % (sid, ticket))
            check(sum(1 for t in now.values() if t) >= 10, "the restored seats: %r" % now)
            renewed = log_id(restored)
            check(renewed and renewed != original, "the restored op log has a new id (%r, was %r)"
                  % (renewed, original))
            eq(tc.one_verdict(srv2.port, k, tc.op("assign", ticket=TICKETS[55][0], seat=SEATS[55]))["status"],
               "accepted", "and takes new ops")
            srv2.stop()
        finally:
            env.db = env_db
    finally:
        it.drop_store(restored)


def test_backup_of_many_events(env):
    """A database of two events (the second in its schema): backup dumps the
    whole database, with or without --event-id (an unknown id refused, no
    file), and says so; restored, both events are there with their tickets,
    each with a new op log id at its first open."""
    env.setup(tickets=TICKETS[:10])
    env.run("init", "--db", env.db, "--event", "Autumn Fair", "--event-id", "fair", "--layout", "gala:2x4")
    refused(env, ["backup", "--db", env.db, "--event-id", "nope", env.path("x.dump")], "nope")
    check(not os.path.exists(env.path("x.dump")), "no file for an unknown event")
    out = env.path("all.dump")
    _, said, _ = env.run("backup", "--db", env.db, "--event-id", "fair", out)
    check("its 2 events" in said, "backup says it took both events: %r" % said)
    ids = event_ids(env, env.db)
    eq(len(ids), 2, "two events: %r" % ids)
    before = {e: log_id_of(env, env.db, e) for e in ids}
    restored = it.PG.create_database("many_%d" % os.getpid())
    try:
        p = subprocess.run(["pg_restore", "--no-owner", "-d", restored, out], capture_output=True,
                           timeout=slow(60))
        eq(p.returncode, 0, "pg_restore (stderr %r)" % p.stderr)
        eq(event_ids(env, restored), ids, "both events restored")
        first = [i for i in ids if i != "fair"][0]
        _, csv, _ = env.run("export", "--db", restored, "--event-id", first, "assignments")
        eq(len(csv.strip().splitlines()), 11, "the first event's tickets restored")
        for e, old in before.items():
            now = log_id_of(env, restored, e)
            check(now and now != old, "event %s: a new op log id (%r, was %r)" % (e, now, old))
    finally:
        it.drop_store(restored)


def log_id_of(env, where, event):
    """An event's op log id, read after `event show` opened it (a copy's first open renews it)."""
    env.run("event", "show", "--db", where, "--event-id", event)
    schema = it.store_sql(where, "SELECT schema_name FROM public.usher_events WHERE id = '%s'" % event)[0][0]
    rows = it.store_sql(where, "SELECT value FROM %s.meta WHERE key IN ('log_id', 'event_id') "
                        "ORDER BY key DESC" % schema)
    return rows[0][0]


def event_ids(env, where):
    _, listed, _ = env.run("events", "--db", where)
    return sorted(line.split("\t")[0] for line in listed.splitlines())


def test_killed_pg_dump_leaves_no_file(env):
    """pg_dump killed (kill -9) while it waits for a table another session
    holds locked: backup fails saying so and leaves neither OUT nor its
    temporary file; once the lock is gone the same OUT is written."""
    env.setup(tickets=TICKETS[:10])
    name = env.db.split("dbname=")[1].split()[0]
    holder = subprocess.Popen(["psql", "-X", "-q", "-d", env.db], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = env.path("b.dump")
    try:
        holder.stdin.write(b"BEGIN; LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE;\n")
        holder.stdin.flush()
        it.wait_until(lambda: it.PG.psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                         "WHERE c.relname = 'tickets' AND l.mode = 'AccessExclusiveLock' "
                                         "AND l.granted", dbname=name).strip() == "1", slow(10), "the lock held")
        backup = subprocess.Popen([it.COORD, "backup", "--db", env.db, out], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)

        def dumper():
            try:
                with open("/proc/%d/task/%d/children" % (backup.pid, backup.pid)) as f:
                    kids = [int(x) for x in f.read().split()]
            except OSError:
                return None
            waiting = it.PG.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump' "
                                 "AND wait_event_type = 'Lock'", dbname=name).strip()
            return kids[0] if kids and waiting == "1" else None
        pid = it.wait_until(dumper, slow(20), "pg_dump waiting for the lock")
        check(leftovers(env), "pg_dump writes its temporary file meanwhile")
        os.kill(pid, 9)
        so, se = backup.communicate(timeout=slow(30))
        err = se.decode("utf-8", "replace")
        check(backup.returncode != 0 and "killed (signal 9)" in err and "nothing was written" in err,
              "backup of a killed pg_dump: %r" % err)
        check(not os.path.exists(out), "no file under OUT's name")
        eq(leftovers(env), [], "no temporary file left")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    env.run("backup", "--db", env.db, out)
    check(os.path.getsize(out) > 1000, "the backup written once the lock is gone")


def test_schema_3_database_migrates(env):
    """A database of schema 3 (before a layout could change on PostgreSQL:
    no 'layout' changes, no import_seats) holding tickets and a seated guest
    migrates in place when opened: every row kept, no new op log id (it is
    the same database), and it takes a new layout and an import's seats."""
    env.setup(tickets=TICKETS[:10])
    k, a = env.tokens["kiosk1"], env.tokens["admin1"]
    srv = env.serve()
    eq(tc.one_verdict(srv.port, k, tc.op("assign", ticket="P-0001", seat="T05-01"))["status"], "accepted",
       "an assign")
    srv.stop()
    it.store_exec(env.db, "DROP TABLE IF EXISTS serves; DROP TABLE IF EXISTS entrances; "
                  "ALTER TABLE devices DROP COLUMN IF EXISTS entrance; "
                  "ALTER TABLE checkins DROP COLUMN IF EXISTS entrance; "
                  "ALTER TABLE checkins DROP COLUMN IF EXISTS override; "
                  " DROP TABLE import_seats; ALTER TABLE changes DROP COLUMN layout_version; "
                  "ALTER TABLE changes DROP CONSTRAINT changes_type_check; "
                  "ALTER TABLE changes ADD CONSTRAINT changes_type_check CHECK (type IN ('seat', 'ticket')); "
                  "DELETE FROM meta WHERE key IN ('log_home', 'log_id'); "
                  "UPDATE meta SET value = '3' WHERE key = 'usher_schema'")
    _, out, _ = env.run("layout", "get", "--db", env.db)
    version = int(it.store_sql(env.db, "SELECT value FROM meta WHERE key = 'usher_schema'")[0][0])
    check(version > 3, "migrated from schema 3 (now %d)" % version)
    check({"import_seats"} <= it.store_tables(env.db), "import_seats made")
    eq(it.store_sql(env.db, "SELECT count(*) FROM meta WHERE key = 'log_id'"), [("0",)],
       "no new op log id for the same database")
    lay = json.loads(out)
    lay["sections"].append({"kind": "table", "id": "T40", "label": "Table 40", "x": 9000, "y": 100, "seats": 4})
    path = env.path("bigger.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(lay, f)
    _, out, _ = env.run("layout", "set", "--db", env.db, path)
    check("version 2" in out, "the new layout after the migration: %r" % out)
    env.run("tickets", "import", "--db", env.db, env.write_csv(
        "seated.csv", [("P-0002", "Guest 2", "", "T40-02")], header=("ticket_number", "full_name", "class", "seat")))
    eq(it.store_sql(env.db, "SELECT code, seat FROM import_seats"), [("P-0002", "T40-02")], "the import's seat kept")
    srv = env.serve()
    m = tc.seat_map(srv.port, a)
    eq((m["T05-01"].get("ticket"), m["T40-02"].get("ticket"), "T40-04" in m), ("P-0001", "P-0002", True),
       "the guest kept, the new table served with the imported seat")
    srv.stop()


def test_missing_seat_row_refused_whole(env):
    """A seat the layout has but the seats table lost (a damaged database):
    the group that writes it fails whole (PostgreSQL aborts the transaction,
    nothing of it is written), the request is answered with an error, and the
    coordinator reloads its state and goes on."""
    env.setup(tickets=TICKETS[:10])
    k, a = env.tokens["kiosk1"], env.tokens["admin1"]
    it.store_exec(env.db, "DELETE FROM seats WHERE id = 'T05-02'")
    srv = env.serve()
    before = tc.health_cursor(srv.port)
    r = tc.call(srv.port, "POST", "/v1/sync", {"cursor": 0, "ops": [
        tc.op("assign", ticket="P-0001", seat="T05-01"), tc.op("assign", ticket="P-0002", seat="T05-02")]}, k)
    check(r.status >= 500, "the group with the lost seat fails: %d %r" % (r.status, r.body[:200]))
    check("not in the database" in srv.stderr() and "T05-02" in srv.stderr(),
          "the log names the seat: %r" % srv.stderr()[-500:])
    eq(tc.health_cursor(srv.port), before, "nothing of the group is logged")
    eq(it.store_sql(env.db, "SELECT count(*) FROM ops")[0][0], "0", "no op written")
    eq(tc.one_verdict(srv.port, k, tc.op("assign", ticket="P-0001", seat="T05-01"))["status"], "accepted",
       "the next assign")
    eq(tc.seat_map(srv.port, a)["T05-01"].get("ticket"), "P-0001", "and its seat")


def test_awkward_text_round_trips(env):
    """Names with what an array literal or SQL would choke on (quotes,
    backslashes, braces, commas, NULL, apostrophes, other scripts) are
    imported (one statement of arrays), rewritten by assigns in a group and
    read back unchanged: the export and the ticket rows after a restart."""
    names = ['Back\\slash {brace}', '"Quoted", comma', "NULL", "O'Neill; DROP TABLE tickets", "Zoë 李小龙 عربي",
             "{}", ",", '\\"']
    tickets = [("AWK-%d" % i, n, "") for i, n in enumerate(names)]
    env.setup(tickets=tickets)
    k = env.tokens["kiosk1"]
    got = {r["ticket_number"]: r["full_name"] for r in env.export("assignments")}
    eq(got, dict((c, n) for c, n, _ in tickets), "names after the import")
    srv = env.serve()
    ops = [tc.op("assign", ticket=c, seat=SEATS[i]) for i, (c, _, _) in enumerate(tickets)]
    j = tc.sync(srv.port, k, ops)
    eq([v["status"] for v in j["verdicts"]], ["accepted"] * len(ops), "assigns in one group")
    srv.kill()
    rows = {r["ticket_number"]: (r["full_name"], r["seat"]) for r in env.export("assignments")}
    eq(rows, {c: (n, SEATS[i]) for i, (c, n, _) in enumerate(tickets)}, "names and seats after the group")
    eq(it.store_tables(env.db) >= {"tickets", "ops", "changes"}, True, "every table still there")
    srv = env.serve()
    eq(tc.health_cursor(srv.port), len(tickets) * 3, "imports, then two changes an assign")


def rush(port, token, ops, stop_after=None):
    """Sends ops from 16 threads, one request each; returns {op id: verdict}
    of those answered 200 and the count of others (errors, refusals). With
    stop_after, callable(n_answered) tells the threads when to stop."""
    verdicts, others = {}, [0]
    lock = threading.Lock()

    def worker(chunk):
        for o in chunk:
            if stop_after and stop_after(len(verdicts)):
                return
            try:
                r = tc.call(port, "POST", "/v1/sync", {"cursor": 0, "ops": [o]}, token, timeout=slow(5))
                with lock:
                    if r.status == 200:
                        verdicts[o["id"]] = r.json()["verdicts"][0]
                    else:
                        others[0] += 1
            except OSError:
                with lock:
                    others[0] += 1

    threads = [threading.Thread(target=worker, args=(ops[i::16],)) for i in range(16)]
    for t in threads:
        t.start()
    return threads, verdicts, others


def test_server_restart_while_serving(env):
    """PostgreSQL restarted (a clean, fast shutdown) between syncs: the next
    request may fail (never a wrong answer), the coordinator reconnects, takes
    its lock again and goes on with its state whole."""
    pg = env.use_private_cluster()
    env.setup(tickets=TICKETS[:40])
    k, a = env.tokens["kiosk1"], env.tokens["admin1"]
    srv = env.serve()
    for i in range(5):
        eq(tc.one_verdict(srv.port, k, tc.op("assign", ticket=TICKETS[i][0], seat=SEATS[i]))["status"],
           "accepted", "assign %d before" % i)
    pg.restart("fast")
    answered = None
    deadline = time.monotonic() + slow(10)
    o = tc.op("assign", ticket=TICKETS[5][0], seat=SEATS[5])
    while time.monotonic() < deadline and answered is None:
        r = tc.call(srv.port, "POST", "/v1/sync", {"cursor": 0, "ops": [o]}, k)
        if r.status == 200:
            answered = r.json()["verdicts"][0]
        else:
            check(r.status >= 500, "a failed sync is a 5xx, not %d (%r)" % (r.status, r.body[:200]))
            time.sleep(0.2)
    check(answered is not None, "a sync answered within 10 s of PostgreSQL's restart")
    check(answered["status"] in ("accepted", "duplicate"), "the retried assign: %r" % answered)
    eq(tc.get_json(srv.port, "/healthz", None).get("ok"), True, "/healthz after the restart")
    m = tc.seat_map(srv.port, a)
    eq({SEATS[i]: m[SEATS[i]].get("ticket") for i in range(6)}, {SEATS[i]: TICKETS[i][0] for i in range(6)},
       "every assign in /v1/seats")
    standby_of(env, srv).stop()  # the lock is back
    srv.stop()
    srv = env.serve()
    m = tc.seat_map(srv.port, a)
    eq({SEATS[i]: m[SEATS[i]].get("ticket") for i in range(6)}, {SEATS[i]: TICKETS[i][0] for i in range(6)},
       "every assign after a restart of serve")


def test_server_down_for_a_while(env):
    """PostgreSQL stopped for a few seconds under serve (maintenance, a
    failover): syncs are refused with a 5xx and /healthz says the database
    cannot be reached (503), never a wrong answer; once it is back the next
    request reloads the state and is served, without restarting serve."""
    pg = env.use_private_cluster()
    env.setup(tickets=TICKETS[:20])
    k, a = env.tokens["kiosk1"], env.tokens["admin1"]
    srv = env.serve()
    eq(tc.one_verdict(srv.port, k, tc.op("assign", ticket=TICKETS[0][0], seat=SEATS[0]))["status"],
       "accepted", "before")
    pg.halt("fast")
    o = tc.op("assign", ticket=TICKETS[1][0], seat=SEATS[1])
    for _ in range(3):
        r = tc.call(srv.port, "POST", "/v1/sync", {"cursor": 0, "ops": [o]}, k)
        check(r.status >= 500, "a sync while PostgreSQL is down is a 5xx, not %d (%r)" % (r.status, r.body[:200]))
    h = tc.call(srv.port, "GET", "/healthz")
    eq(h.status, 503, "/healthz while PostgreSQL is down (body %r)" % h.body[:200])
    check("cannot be reached" in h.json().get("error", ""), "/healthz says why: %r" % h.json())
    pg.serve()
    answered = None
    deadline = time.monotonic() + slow(10)
    while answered is None and time.monotonic() < deadline:
        r = tc.call(srv.port, "POST", "/v1/sync", {"cursor": 0, "ops": [o]}, k)
        if r.status == 200:
            answered = r.json()["verdicts"][0]
        else:
            time.sleep(0.2)
    check(answered is not None, "served again within 10 s of PostgreSQL's return, without a restart")
    eq(answered["status"], "accepted", "the retried assign")
    eq(tc.get_json(srv.port, "/healthz", None).get("ok"), True, "/healthz after")
    m = tc.seat_map(srv.port, a)
    eq((m[SEATS[0]].get("ticket"), m[SEATS[1]].get("ticket")), (TICKETS[0][0], TICKETS[1][0]), "both assigns")
    check("the database answers again" in srv.stderr(), "the log says it: %r" % srv.stderr()[-800:])
    srv.stop()
    srv = env.serve()
    m = tc.seat_map(srv.port, a)
    eq((m[SEATS[0]].get("ticket"), m[SEATS[1]].get("ticket")), (TICKETS[0][0], TICKETS[1][0]), "after a restart")


def test_server_crash_no_loss(env):
    """PostgreSQL crashes (pg_ctl stop -m immediate: no shutdown checkpoint,
    recovery from its write-ahead log, as after a power cut) in the middle of
    a rush of 200 assigns from 16 threads. Every op answered accepted is in
    the database after recovery, no seat holds two tickets, and each replayed
    op is a duplicate with its first verdict."""
    pg = env.use_private_cluster()
    env.setup(tickets=TICKETS)
    k, a = env.tokens["kiosk1"], env.tokens["admin1"]
    srv = env.serve()
    tc.get_json(srv.port, "/v1/pubkey", k)  # the token looked up once
    ops = [tc.op("assign", ticket=code, seat=seat) for (code, _, _), seat in zip(TICKETS, SEATS)]
    threads, verdicts, others = rush(srv.port, k, ops)
    wait = time.monotonic() + slow(20)
    while len(verdicts) < 60 and time.monotonic() < wait:
        time.sleep(0.005)
    check(len(verdicts) >= 60, "60 answers before the crash (got %d)" % len(verdicts))
    pg.restart("immediate")  # mid-rush
    deadline = time.monotonic() + slow(40)
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    check(not any(t.is_alive() for t in threads),
          "the coordinator answers every request within 40 s of PostgreSQL's crash (stderr: %s)"
          % srv.stderr()[-1500:])
    accepted = {o["id"]: o for o in ops if verdicts.get(o["id"], {}).get("status") == "accepted"}
    print("  %d accepted, %d other answers (errors after the crash)" % (len(accepted), others[0]), flush=True)
    check(len(accepted) >= 60, "accepted before the crash: %d" % len(accepted))
    srv.kill()
    srv = env.serve()
    m = tc.seat_map(srv.port, a)
    taken = {sid: s["ticket"] for sid, s in m.items() if s.get("ticket")}
    eq(len(set(taken.values())), len(taken), "no ticket in two seats")
    for o in accepted.values():
        eq(taken.get(o["seat"]), o["ticket"], "accepted assign of %s to %s after the crash" % (o["ticket"], o["seat"]))
    for o in list(accepted.values())[:50]:
        v = tc.one_verdict(srv.port, k, o)
        eq(v, dict(verdicts[o["id"]], status="duplicate", first="accepted"), "replay of %s" % o["ticket"])
    rows = {r["ticket_number"]: r["seat"] for r in env.export("assignments")}
    for o in accepted.values():
        eq(rows[o["ticket"]], o["seat"], "export after the crash")


def main():
    if "--store" not in sys.argv:
        sys.argv[1:1] = ["--store", "postgresql"]
    return it.run("usher-coord on PostgreSQL", globals(), binaries=("coord",), env_factory=Env)


if __name__ == "__main__":
    sys.exit(main())

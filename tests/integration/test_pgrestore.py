#!/usr/bin/env python3
"""test_pgrestore.py - a coordinator on PostgreSQL restored with PostgreSQL's
own tools (pg_dump -Fc while serving, pg_restore into a new database, over
the old one with --clean, or a createdb --template copy) gives its op log a
new id when it is opened, so that the devices whose cursor counts in the
original rebuild from the snapshot and send again the ops the restore lost;
the same database opened again keeps its id; `usher-coord restore --db
postgresql://...` renews it on demand (tests/integration/README.md).

    python3 test_pgrestore.py --coord PATH --syncd PATH --journal-op PATH [--pg-dir DIR] [NAME ...]

Real usher-coord, usher-syncd, journal-op, pg_dump and pg_restore (Debian's
postgresql-client) against a throwaway cluster (pgcluster.py). Python 3
standard library only.
"""

import os
import re
import subprocess
import sys

import test_coord as tc
import pgcluster
import usher_it as it
from usher_it import check, eq, get_json, slow, wait_until


def log_id(where):
    """The op log id the store holds ("" before anything set one: the event id is used)."""
    rows = it.query(where, "SELECT value FROM meta WHERE key = 'log_id'")
    return rows[0][0] if rows else ""


def event_id(where):
    return it.query(where, "SELECT value FROM meta WHERE key = 'event_id'")[0][0]


def dbname(where):
    return re.search(r"dbname=(\S+)", where).group(1)


def pg_tool(argv, what):
    p = subprocess.run(argv, capture_output=True, timeout=slow(60))
    eq(p.returncode, 0, "%s (stderr %r)" % (what, p.stderr.decode("utf-8", "replace")))


def dump(env, where, name="event.dump"):
    """pg_dump -Fc of the store (also while serve runs): the dump's path."""
    path = env.path(name)
    pg_tool(["pg_dump", "-Fc", "-d", where, "-f", path], "pg_dump")
    return path


def restore_new(env, path, name):
    """createdb + pg_restore: the new database's conninfo (dropped at cleanup)."""
    where = it.PG.create_database("%s_%d" % (name, os.getpid()))
    env.extra_dbs.append(where)
    pg_tool(["pg_restore", "--no-owner", "-d", where, path], "pg_restore into %s" % name)
    return where


class Env(it.Env):
    """usher_it's Env; databases a test restores into are dropped with it."""

    def __init__(self):
        super().__init__()
        self.extra_dbs = []
        self.clusters = []  # private clusters (stopped and removed at cleanup)

    def cleanup(self, failed=False):
        try:
            super().cleanup(failed)
        finally:
            for where in self.extra_dbs:
                it.drop_store(where)
            for c in reversed(self.clusters):
                c.stop()


def coord_on(env, where, port):
    """usher-coord serve on database `where`, on `port` (the devices' URL)."""
    keep, env.db = env.db, where
    try:
        return it.Coord(env, port).start()
    finally:
        env.db = keep


# =============================================================================


def test_restored_database_gives_devices_a_new_log(env):
    """A pg_dump taken while serving, restored with pg_restore into a new
    database after the original is gone: served, its op log has a new id. A
    device that was off while the restored log grew past its cursor sees the
    new id at its first sync, rebuilds and sends its lost op again (without
    the id it would take the restored log's later changes for the ones it
    missed); the other device rebuilds too; no seat holds two tickets."""
    env.setup(devices=(("admin", "admin"), ("k1", "kiosk"), ("k2", "kiosk")))
    admin = env.tokens["admin"]
    coord = env.coord()
    k1, k2 = env.syncd("k1", coord.url), env.syncd("k2", coord.url)
    k1.wait_online()
    k2.wait_online()
    first = k2.op("assign", "GALA-0002", "T01-02")
    wait_until(lambda: k2.verdict(first).startswith("accepted"), slow(5), "k2's op before the dump")
    original_log = log_id(env.db) or event_id(env.db)
    path = dump(env, env.db)
    lost = k1.op("assign", "GALA-0003", "T01-03")
    wait_until(lambda: k1.verdict(lost).startswith("accepted"), slow(5), "k1's op after the dump")
    it.wait_converged(coord, [k1, k2], admin, slow(10))
    cursor_k1 = int(it.query(k1.db, "SELECT value FROM meta WHERE key = 'cursor'")[0][0])
    k1.stop()
    coord.stop()
    # The same database served again keeps its id: nothing was copied.
    coord.start()
    eq(log_id(env.db) or event_id(env.db), original_log, "the original's log id after a restart")
    coord.stop()
    restored = restore_new(env, path, "restored")
    eq(log_id(restored) or event_id(restored), original_log, "pg_restore copies the meta rows as they were")
    coord = coord_on(env, restored, coord.port)
    renewed = log_id(restored)
    check(renewed and renewed != original_log, "the restored database's op log has a new id (%r, was %r)"
          % (renewed, original_log))
    # While k1 is off, the restored log grows past k1's cursor.
    for i in range(cursor_k1 + 2):
        k2.op("assign", "GALA-%04d" % (10 + i % 20), "T%02d-%02d" % (2 + i // 8 % 3, 1 + i % 8))
    wait_until(lambda: it.converged(coord, [k2], admin), slow(20), "k2 drains")
    last = get_json(coord.port, "/v1/stats", admin)["cursor"]
    check(last > cursor_k1, "the restored log (%d) grew past k1's cursor (%d)" % (last, cursor_k1))
    check("rebuilt the replica" in k2.stderr(), "k2 (ahead of the restored log) rebuilt: %s"
          % k2.stderr()[-800:])
    k1.start()
    it.wait_converged(coord, [k1, k2], admin, slow(20))
    seats = {s["id"]: s.get("ticket") for s in get_json(coord.port, "/v1/seats", admin)["seats"]}
    eq(seats.get("T01-03"), "GALA-0003", "k1's lost op is on the restored coordinator")
    eq(seats.get("T01-02"), "GALA-0002", "k2's op from before the dump")
    taken = [t for t in seats.values() if t]
    eq(len(taken), len(set(taken)), "tickets seated twice after the restore")
    eq({sid: t for sid, (st, t) in k1.seats().items() if t}, {sid: t for sid, t in seats.items() if t},
       "k1's replica is the coordinator's")
    check("another copy" in k1.stderr(), "k1 saw the new log id: %s" % k1.stderr()[-800:])
    check(k1.verdict(lost).startswith("accepted"), "k1's lost op: %s" % k1.verdict(lost))
    eq(log_id(restored), renewed, "served again, the restored database keeps its new id")


def test_clean_restore_and_template_copy(env):
    """pg_restore --clean over the database itself, and a createdb
    --template copy, are copies too: each gets a new log id at its first
    open, once (a second open keeps it), and the original keeps its own."""
    env.setup(devices=(("admin", "admin"),))
    before = log_id(env.db) or event_id(env.db)
    copy = it.PG.create_database("copy_%d" % os.getpid())
    it.PG.drop_database(dbname(copy))
    it.PG.psql('CREATE DATABASE "%s" TEMPLATE "%s"' % (dbname(copy), dbname(env.db)))
    env.extra_dbs.append(copy)
    env.tool([it.COORD, "event", "show", "--db", copy])
    copied = log_id(copy)
    check(copied and copied != before, "the template copy's log id is new (%r, was %r)" % (copied, before))
    env.tool([it.COORD, "event", "show", "--db", copy])
    eq(log_id(copy), copied, "opened again, the copy keeps its id")
    env.tool([it.COORD, "event", "show", "--db", env.db])
    eq(log_id(env.db) or event_id(env.db), before, "the original keeps its id")
    path = dump(env, env.db)
    pg_tool(["pg_restore", "--no-owner", "--clean", "--if-exists", "-d", env.db, path],
            "pg_restore --clean over the database")
    env.tool([it.COORD, "device", "list", "--db", env.db])
    cleaned = log_id(env.db)
    check(cleaned and cleaned not in (before, copied), "the cleaned-over database's log id is new (%r)" % cleaned)


def test_restore_command_renews_the_log_id(env):
    """`usher-coord restore --db postgresql://...` with no BACKUP gives the op
    log a new id and prints it; refused while serve holds the database, with
    a BACKUP file (naming pg_restore), and for a database with no event:
    nothing changes then."""
    env.setup(devices=(("admin", "admin"),))
    before = log_id(env.db) or event_id(env.db)
    coord = env.coord()
    p = subprocess.run([it.COORD, "restore", "--db", env.db], capture_output=True, timeout=slow(20))
    check(p.returncode != 0 and b"in use by a running 'usher-coord serve'" in p.stderr,
          "restore while serving: %r" % p.stderr)
    coord.stop()
    p = subprocess.run([it.COORD, "restore", "--db", env.db, env.path("event.dump")], capture_output=True,
                       timeout=slow(20))
    err = p.stderr.decode()
    check(p.returncode != 0 and "pg_restore" in err and "no BACKUP" in err, "restore with a BACKUP: %r" % err)
    eq(log_id(env.db) or event_id(env.db), before, "the refusals changed nothing")
    out = env.tool([it.COORD, "restore", "--db", env.db])
    now = log_id(env.db)
    check(now and now != before, "a new log id (%r, was %r)" % (now, before))
    check(now in out and "rebuild" in out, "restore prints the new id: %r" % out)
    empty = it.PG.create_database("empty_%d" % os.getpid())
    env.extra_dbs.append(empty)
    p = subprocess.run([it.COORD, "restore", "--db", empty], capture_output=True, timeout=slow(20))
    check(p.returncode != 0 and b"usher-coord init" in p.stderr, "a database with no event: %r" % p.stderr)
    eq(log_id(empty), "", "no log id written into it")


def test_database_replaced_under_a_running_serve(env):
    """The database dropped and restored under the same name while serve
    runs: its connection, made again, reaches the copy, which lacks an op the
    device was told of and holds the old op log id. serve refuses every op
    from then on (/healthz says to restart) rather than serve the copy under
    that id; restarted, it gives the copy a new id, and the device rebuilds
    and sends its lost op again. The ops refused meanwhile are not there."""
    env.setup(devices=(("admin", "admin"), ("k1", "kiosk")))
    admin, kiosk = env.tokens["admin"], env.tokens["k1"]
    coord = env.coord()
    k1 = env.syncd("k1", coord.url)
    k1.wait_online()
    before = log_id(env.db) or event_id(env.db)
    path = dump(env, env.db)
    lost = k1.op("assign", "GALA-0003", "T01-03")
    wait_until(lambda: k1.verdict(lost).startswith("accepted"), slow(5), "k1's op after the dump")
    k1.stop()
    name = dbname(env.db)
    it.PG.drop_database(name)  # WITH (FORCE): serve's session ends with it
    it.PG.psql('CREATE DATABASE "%s"' % name)
    pg_tool(["pg_restore", "--no-owner", "-d", env.db, path], "pg_restore under the same name")
    refused = []

    def broken():
        o = tc.op("assign", ticket="GALA-%04d" % (40 + len(refused)), seat="T02-%02d" % (1 + len(refused)))
        r = tc.call(coord.port, "POST", "/v1/sync", {"cursor": 0, "ops": [o]}, kiosk)
        check(r.status != 200, "an op accepted on the copy under the old log id: %r" % r.body[:300])
        refused.append(o)
        h = tc.call(coord.port, "GET", "/healthz")
        return h.status == 503 and not h.json()["ok"] and h
    h = wait_until(broken, slow(15), "serve refusing the copy")
    check("another copy" in coord.stderr() and "restart usher-coord" in coord.stderr(),
          "serve says why: %r" % coord.stderr()[-800:])
    eq(log_id(env.db) or event_id(env.db), before, "nothing written into the copy meanwhile")
    coord.stop()
    coord.start()
    renewed = log_id(env.db)
    check(renewed and renewed != before, "restarted, the copy's op log has a new id (%r)" % renewed)
    k1.start()
    it.wait_converged(coord, [k1], admin, slow(20))
    seats = {s["id"]: s.get("ticket") for s in get_json(coord.port, "/v1/seats", admin)["seats"]}
    eq(seats.get("T01-03"), "GALA-0003", "k1's lost op is on the restarted coordinator")
    for o in refused:
        check(seats.get(o["seat"]) != o["ticket"], "a refused op is in the store: %r" % o)
    check("rebuilt the replica" in k1.stderr(), "k1 rebuilt: %s" % k1.stderr()[-800:])


def meta_of(cluster, name, key):
    """A meta value read straight from a cluster of the test's own ("" when absent)."""
    return cluster.psql("SELECT value FROM meta WHERE key = '%s'" % key, dbname=name).strip()


def test_standby_not_judged_and_promotion_renews(env):
    """A streaming standby of the event's server (pg_basebackup -R, the same
    system identifier and object ids): while it is in recovery usher-coord
    reads it and writes nothing; promoted (a new timeline: it may lack what
    the primary answered), its first open gives the op log a new id, a
    second keeps it, and the old primary keeps its own."""
    primary = pgcluster.PgCluster().start()
    env.clusters.append(primary)
    db = primary.create_database("ev")
    env.tool([it.COORD, "init", "--db", db, "--event", "Standby", "--layout", "gala:2x4"])
    env.tool([it.COORD, "device", "add", "--db", db, "--name", "admin", "--role", "admin"])
    home = meta_of(primary, "ev", "log_home")
    check(home.count("/") == 3, "the primary's log_home: %r" % home)
    eq(meta_of(primary, "ev", "log_id"), "", "no log id on the original")
    standby = pgcluster.PgCluster()
    env.clusters.append(standby)
    os.makedirs(standby.sock, exist_ok=True)
    pw = pgcluster.pwd.getpwnam("postgres")
    pgcluster.chown_tree(standby.base, pw.pw_uid, pw.pw_gid)
    os.chmod(standby.base, 0o711)
    pgcluster.as_postgres([pgcluster.pg_bin("pg_basebackup"), "-h", primary.sock, "-U", "postgres", "-D",
                           standby.data, "-R", "-X", "stream", "-c", "fast"])
    standby.serve()
    copy = standby.conninfo("ev")
    eq(standby.psql("SELECT pg_is_in_recovery()", dbname="ev").strip(), "t", "the standby is in recovery")
    rows = env.tool([it.COORD, "export", "--db", copy, "assignments"])
    check(rows.startswith("ticket_number"), "export from the hot standby: %r" % rows[:200])
    eq((meta_of(standby, "ev", "log_home"), meta_of(standby, "ev", "log_id")), (home, ""),
       "the standby is not judged: nothing written")
    pgcluster.as_postgres([pgcluster.pg_bin("pg_ctl"), "-D", standby.data, "-w", "promote"])
    wait_until(lambda: standby.psql("SELECT pg_is_in_recovery()", dbname="ev").strip() == "f", slow(30),
               "the standby promoted")
    env.tool([it.COORD, "event", "show", "--db", copy])
    renewed, moved = meta_of(standby, "ev", "log_id"), meta_of(standby, "ev", "log_home")
    check(renewed and moved != home and moved.rsplit("/", 1)[0] == home.rsplit("/", 1)[0],
          "the promoted standby (a new timeline only) has a new log id: %r, %r (was %r)" % (renewed, moved, home))
    env.tool([it.COORD, "event", "show", "--db", copy])
    eq(meta_of(standby, "ev", "log_id"), renewed, "opened again, it keeps its id")
    env.tool([it.COORD, "event", "show", "--db", db])
    eq((meta_of(primary, "ev", "log_home"), meta_of(primary, "ev", "log_id")), (home, ""),
       "the old primary keeps its own")


def main():
    if "--store" not in sys.argv:
        sys.argv[1:1] = ["--store", "postgresql"]
    return it.run("usher-coord on PostgreSQL restored with pg_restore", globals(), env_factory=Env)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""test_reliability.py - what a real venue does to Usher, on the real programs:
device clocks far off (or at 1970), a coordinator disk whose fsync fails, a
coordinator restored from a backup, a second coordinator on the same port or
database (full disks under a device: test_fulldisk.py). Real usher-coord,
usher-syncd and journal-op (acting as the kiosk) on 127.0.0.1 in a temporary
folder (tests/integration/README.md); faults come from faultshim.so
(tests/tools), an LD_PRELOAD library.

    python3 test_reliability.py --coord PATH --syncd PATH --journal-op PATH \\
        --faultshim PATH [NAME ...]

Prints "ok NAME", "skip NAME: why" or "FAIL NAME: why" for each test; exits 0
when all passed, 77 when nothing failed but something was skipped, else 1.
"""

import datetime
import json
import os
import subprocess
import uuid
import sys
import time

import usher_it as it
from usher_it import (Fail, Syncd, check, eq, get_json, get_list, http_call, parse_time, slow,
                      wait_until)

MIN = 60 * 1000


def shim_env(env, **faults):
    """The environment that runs a program through faultshim.so with faults
    (USHER_FAULT_CLOCK=..., USHER_FAULT_FSYNC=...)."""
    e = {"LD_PRELOAD": env.options["faultshim"]}
    asan = os.environ.get("ASAN_OPTIONS", "")
    # The shim is loaded before an ASan binary's runtime: allowed, it
    # intercepts nothing ASan does.
    e["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    for k, v in faults.items():
        e["USHER_FAULT_" + k.upper()] = str(v)
    return e


def skewed_syncd(env, name, url, clock):
    """usher-syncd for device `name` whose wall clock is `clock` (faultshim)."""
    s = Syncd(env, name, url)
    s.environ = shim_env(env, clock=clock)
    return s.start()


def op_at_clock(env, dev, clock, *args):
    """journal-op (the kiosk's append) on a device whose wall clock is `clock`."""
    p = subprocess.run([it.JOP, "--db", dev.db] + list(args), capture_output=True,
                       env=dict(os.environ, **shim_env(env, clock=clock)), timeout=slow(30))
    it.no_sanitizer_report(p.stderr.decode("utf-8", "replace"), "journal-op")
    eq(p.returncode, 0, "journal-op %s exit status (%s)" % (" ".join(args), p.stderr.decode()))
    return p.stdout.decode().strip()


def seat_row(coord, admin, seat):
    return [s for s in get_json(coord.port, "/v1/seats", admin)["seats"] if s["id"] == seat][0]


def test_clock_skew(env):
    """Time is the coordinator's: a kiosk 10 min behind holds a seat for the
    whole TTL and raises no late_upload, a door at 1970 checks in at today's
    date, a door 2 h behind does not become the first scan, a device 2 h ahead
    shows live holds as held; syncd measures each offset and the coordinator
    raises one clock_skew alert per device that is off by more than 60 s."""
    env.setup(devices=(("admin", "admin"), ("slow", "kiosk"), ("fast", "kiosk"), ("ok", "kiosk"),
                       ("door1970", "door"), ("doorlate", "door")))
    admin = env.tokens["admin"]
    coord = env.coord()
    clocks = {"slow": -10 * MIN, "fast": +120 * MIN, "door1970": "@86400000",
              "doorlate": -120 * MIN}
    devs = {n: skewed_syncd(env, n, coord.url, c) for n, c in clocks.items()}
    devs["ok"] = env.syncd("ok", coord.url)
    for n, d in devs.items():
        d.wait_online()
    # syncd measured the offsets (coordinator minus device).
    want = {"slow": 10 * MIN, "fast": -120 * MIN, "doorlate": 120 * MIN, "ok": 0}
    for n, w in want.items():
        off = wait_until(lambda: (lambda o: None if o is None else [o])(
            devs[n].status()["clock_offset_ms"]), slow(10), "%s's clock offset measured" % n)[0]
        check(abs(off - w) < 5000, "%s's clock offset is %r ms, not about %d" % (n, off, w))
    off1970 = devs["door1970"].status()["clock_offset_ms"]
    check(off1970 > 50 * 365 * 24 * 3600 * 1000, "door1970's offset %r is not decades" % off1970)

    # A kiosk 10 minutes behind holds a seat: the coordinator holds it too.
    h = op_at_clock(env, devs["slow"], clocks["slow"], "hold", "T01-01")
    wait_until(lambda: devs["slow"].verdict(h) == "accepted,,", slow(5), "slow's hold accepted")
    row = seat_row(coord, admin, "T01-01")
    eq((row["state"], row.get("held_by")), ("held", "slow"),
       "T01-01 on the coordinator after a hold from a kiosk 10 min behind")
    # ...so another kiosk's hold there is refused.
    h2 = devs["ok"].op("hold", "T01-01")
    wait_until(lambda: devs["ok"].verdict(h2).startswith("rejected"), slow(5), "ok's hold refused")
    eq(devs["ok"].verdict(h2), "rejected,seat_held,", "ok's hold on the slow kiosk's held seat")
    # A device 2 h ahead shows that live hold as held, not free.
    wait_until(lambda: devs["fast"].seats()["T01-01"] == ("held", ""), slow(5),
               "the fast device's T01-01 held")
    a = op_at_clock(env, devs["slow"], clocks["slow"], "assign", "GALA-0001", "T01-01")
    wait_until(lambda: devs["slow"].verdict(a) == "accepted,,", slow(5), "slow's assign accepted")

    # A door at 1970 and a door two hours behind scan the same guest, the
    # 1970 door first: today's date, and the first scan stays the first.
    c1 = op_at_clock(env, devs["door1970"], clocks["door1970"], "checkin", "GALA-0001")
    wait_until(lambda: devs["door1970"].verdict(c1) == "accepted,,", slow(5), "the 1970 scan")
    time.sleep(0.3)
    c2 = op_at_clock(env, devs["doorlate"], clocks["doorlate"], "checkin", "GALA-0001")
    wait_until(lambda: devs["doorlate"].verdict(c2) == "accepted,duplicate_checkin,", slow(5),
               "the late door's scan is the duplicate")
    t = [x for x in get_list(coord.port, "/v1/tickets?q=GALA-0001", admin, "tickets")
         if x["code"] == "GALA-0001"][0]
    eq(t["checkin_device"], "door1970", "the first door of GALA-0001")
    check(abs(parse_time(t["checked_in_at"]) - time.time()) < 60,
          "GALA-0001 checked in at %s, not today" % t["checked_in_at"])
    for c in get_list(coord.port, "/v1/checkins", admin, "checkins"):
        check(abs(parse_time(c["at"]) - time.time()) < 60, "a scan dated %s, not now" % c["at"])

    # No late_upload for anything done online; one clock_skew per device off.
    alerts = wait_until(
        lambda: (lambda al: al if len([x for x in al if x["kind"] == "clock_skew"]) >= 4 else None)(
            get_list(coord.port, "/v1/alerts", admin, "alerts")), slow(15), "four clock_skew alerts")
    eq([x for x in alerts if x["kind"] == "late_upload"], [], "late_upload alerts")
    skewed = sorted(x["device"] for x in alerts if x["kind"] == "clock_skew")
    eq(skewed, ["door1970", "doorlate", "fast", "slow"], "devices with a clock_skew alert")
    for x in alerts:
        if x["kind"] == "clock_skew" and x["device"] == "slow":
            d = parse_time(x["at"]) - parse_time(x["other_at"])
            check(abs(d - 600) < 5, "slow's alert says %.0f s off, not 600" % d)
    # The kiosk shows the coordinator's time: the outbox is dated by it.
    for r in devs["door1970"].dump("outbox"):
        check(abs(parse_time(r["at"]) - time.time()) < 60, "door1970's op dated %s" % r["at"])


def sync_body(ops, cursor=0):
    return json.dumps({"cursor": cursor, "ops": ops}).encode()


def assign_op(ticket, seat):
    return {"id": str(uuid.uuid4()), "kind": "assign", "ticket": ticket, "seat": seat,
            "at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")}


def post_sync(coord, token, ops):
    status, _, body = http_call(coord.port, "POST", "/v1/sync", token, sync_body(ops))
    return status, json.loads(body)


def test_fsync_failure_final(env):
    """After a failed fsync of a commit the coordinator refuses every op, even
    once the disk is sound again, and says so on /healthz and in its log;
    after a restart a retried op is either durable (its first verdict) or
    absent (accepted now), never lost or applied twice."""
    env.setup(devices=(("admin", "admin"), ("k", "kiosk")))
    admin, k = env.tokens["admin"], env.tokens["k"]
    flag = env.path("fsync-fails")
    coord = it.Coord(env, it.free_port())
    coord.environ = shim_env(env, fsync=flag)
    coord.start()
    a = assign_op("GALA-0001", "T01-01")
    st, body = post_sync(coord, k, [a])
    eq((st, body["verdicts"][0]["status"]), (200, "accepted"), "an assign while the disk is sound")
    open(flag, "w").close()
    b = assign_op("GALA-0002", "T01-02")
    st, body = post_sync(coord, k, [b])
    eq((st, body.get("error")), (503, "unavailable"), "an assign whose commit's fsync fails")
    os.unlink(flag)  # the disk seems fine again: the coordinator must not believe it
    c = assign_op("GALA-0003", "T01-03")
    st, body = post_sync(coord, k, [c])
    eq((st, body.get("error")), (503, "unavailable"), "an assign after a failed fsync")
    st, _, hb = http_call(coord.port, "GET", "/healthz")
    h = json.loads(hb)
    eq((st, h["ok"]), (503, False), "/healthz after a failed fsync")
    check("restart usher-coord" in h.get("error", ""), "/healthz says what to do: %r" % h)
    st, _, tb = http_call(coord.port, "POST", "/v1/tickets/import", admin,
                          b"ticket_number,full_name\nLATE-1,Late Guest\n")
    check(st >= 500, "a ticket import after a failed fsync answered %d" % st)
    log = coord.stderr()
    check("refusing every op" in log and "restart usher-coord" in log,
          "the coordinator's log does not say it stopped: %r" % log[-800:])
    coord.stop()
    coord.environ = None
    coord.start()
    st, _, hb = http_call(coord.port, "GET", "/healthz")
    eq(st, 200, "/healthz after the restart")
    st, body = post_sync(coord, k, [b, c, a])
    eq(st, 200, "the retried ops after the restart")
    vb, vc, va = body["verdicts"]
    eq((va["status"], va.get("first")), ("duplicate", "accepted"), "the op saved before the fault")
    check((vb["status"], vb.get("first")) in (("duplicate", "accepted"), ("accepted", None)),
          "the op answered 503 at the fault is neither durable nor absent: %r" % vb)
    eq(vc["status"], "accepted", "the op refused after the fault was never applied")
    seats = {s["id"]: s.get("ticket") for s in get_json(coord.port, "/v1/seats", admin)["seats"]}
    eq((seats["T01-01"], seats["T01-02"], seats["T01-03"]), ("GALA-0001", "GALA-0002", "GALA-0003"),
       "the seats once every op was retried")
    print("  (the op answered 503 at the fault was %s)" %
          ("durable" if vb["status"] == "duplicate" else "absent"), flush=True)


def test_one_port_one_coordinator(env):
    """A second `serve` on a port in use is refused with a clear message (no
    SO_REUSEPORT sharing: every request reaches the first server), and so is
    a second `serve` of a database another one holds; a coordinator killed
    with -9 gets its port back at once."""
    env.setup(devices=(("admin", "admin"),))
    other = env.path("other.db")
    env.tool([it.COORD, "init", "--db", other, "--event", "Other"])
    admin = env.tokens["admin"]
    coord = env.coord()
    # Another database on the same port.
    p = subprocess.run([it.COORD, "serve", "--db", other, "--listen", "127.0.0.1:%d" % coord.port],
                       capture_output=True, timeout=slow(20))
    err = p.stderr.decode()
    check(p.returncode != 0, "a second serve on port %d exited %d" % (coord.port, p.returncode))
    check("in use" in err and "--listen" in err,
          "the refusal does not say the port is in use and what to do: %r" % err)
    eq(p.stdout, b"", "the second serve's stdout (no 'listening on' line)")
    # Every request still reaches the first server (with a shared port, some
    # would reach the second one and its tokens would refuse the admin's).
    for _ in range(24):
        st, _, _ = http_call(coord.port, "GET", "/v1/stats", admin)
        eq(st, 200, "/v1/stats on the first server after a second tried the port")
    # The same database on another port.
    p = subprocess.run([it.COORD, "serve", "--db", env.db, "--listen", "127.0.0.1:0"],
                       capture_output=True, timeout=slow(20))
    err = p.stderr.decode()
    check(p.returncode != 0, "a second serve of the same database exited 0")
    check("in use by a running 'usher-coord serve'" in err,
          "the refusal does not say the database is held: %r" % err)
    # kill -9, then at once the same port again.
    coord.restart()
    st, _, _ = http_call(coord.port, "GET", "/healthz")
    eq(st, 200, "/healthz after a restart on the same port")


def test_backup_restore(env):
    """usher-coord backup copies the database while serve runs; after a restore
    from it (stop, copy the backup over the database, start) the devices, whose
    cursors are now ahead of the restored log, do not stop: they rebuild their
    replica and send again the ops the restore lost; every op a guest was told
    accepted is on the coordinator again and no seat holds two tickets."""
    env.setup(devices=(("admin", "admin"), ("k1", "kiosk"), ("k2", "kiosk")))
    admin = env.tokens["admin"]
    coord = env.coord()
    k1, k2 = env.syncd("k1", coord.url), env.syncd("k2", coord.url)
    k1.wait_online()
    k2.wait_online()
    before = [k1.op("assign", "GALA-0001", "T01-01"), k2.op("assign", "GALA-0002", "T01-02")]
    for d, o in zip((k1, k2), before):
        wait_until(lambda: d.verdict(o).startswith("accepted"), slow(5), "op before the backup")
    bak = env.path("coord.backup")
    out = env.tool([it.COORD, "backup", "--db", env.db, bak])
    check("backed up" in out, "backup's line: %r" % out)
    # A second backup to the same file is refused and leaves it alone.
    p = subprocess.run([it.COORD, "backup", "--db", env.db, bak], capture_output=True,
                       timeout=slow(20))
    check(p.returncode != 0 and b"already exists" in p.stderr, "backup over a file: %r" % p.stderr)
    after = [k1.op("assign", "GALA-0003", "T01-03"), k2.op("assign", "GALA-0004", "T01-04")]
    for d, o in zip((k1, k2), after):
        wait_until(lambda: d.verdict(o).startswith("accepted"), slow(5), "op after the backup")
    # Restore: kill the coordinator, put the backup in place, start it again.
    coord.kill9()
    for ext in ("", "-wal", "-shm"):
        if os.path.exists(env.db + ext):
            os.unlink(env.db + ext)
    with open(bak, "rb") as f, open(env.db, "wb") as g:
        g.write(f.read())
    coord.start()
    # The ops after the backup come back from the devices.
    def assigned():
        seats = {s["id"]: s.get("ticket") for s in get_json(coord.port, "/v1/seats", admin)["seats"]}
        want = {"T01-01": "GALA-0001", "T01-02": "GALA-0002", "T01-03": "GALA-0003",
                "T01-04": "GALA-0004"}
        return all(seats.get(k) == v for k, v in want.items()) and seats
    seats = wait_until(assigned, slow(30), "every accepted op on the restored coordinator")
    tickets = [t for t in seats.values() if t]
    eq(len(tickets), len(set(tickets)), "tickets seated twice after the restore")
    for d in (k1, k2):
        check(d.alive(), "%s exited after the restore: %s" % (d.name, d.stderr()[-1500:]))
        check("rebuild" in d.stderr(), "%s did not say it rebuilt: %s" % (d.name, d.stderr()[-800:]))
    for d, o in zip((k1, k2, k1, k2), before + after):
        wait_until(lambda: d.verdict(o).startswith("accepted"), slow(10), "verdict after restore")
    wait_until(lambda: k1.seats().get("T01-04") == ("taken", "GALA-0004"), slow(10),
               "k1's rebuilt replica shows k2's seat")


def test_restore_while_the_log_grew(env):
    """`usher-coord restore` puts a backup in place (serve stopped; the
    database it replaces kept beside it) and gives the restored log a new id.
    A device that was off while the restored log grew past its cursor sees the
    new id at its first sync, rebuilds from the snapshot and sends its lost op
    again (without the id it would take the restored log's changes after its
    cursor as the ones it missed, and miss others). A backup of another event,
    or a database that serve holds, is refused and nothing changes."""
    env.setup(devices=(("admin", "admin"), ("k1", "kiosk"), ("k2", "kiosk")))
    admin = env.tokens["admin"]
    coord = env.coord()
    k1, k2 = env.syncd("k1", coord.url), env.syncd("k2", coord.url)
    k1.wait_online()
    k2.wait_online()
    bak = env.path("coord.backup")
    env.tool([it.COORD, "backup", "--db", env.db, bak])
    lost = k1.op("assign", "GALA-0003", "T01-03")
    wait_until(lambda: k1.verdict(lost).startswith("accepted"), slow(5), "k1's op after the backup")
    it.wait_converged(coord, [k1, k2], admin, slow(10))
    cursor_k1 = int(it.query(k1.db, "SELECT value FROM meta WHERE key = 'cursor'")[0][0])
    k1.stop()
    # Refused while serve holds the database, and for another event's backup.
    p = subprocess.run([it.COORD, "restore", "--db", env.db, bak], capture_output=True, timeout=slow(20))
    check(p.returncode != 0 and b"in use by a running 'usher-coord serve'" in p.stderr,
          "restore while serving: %r" % p.stderr)
    coord.stop()
    other = env.path("other.db")
    env.tool([it.COORD, "init", "--db", other, "--event", "Another", "--layout", "gala:2x4"])
    p = subprocess.run([it.COORD, "restore", "--db", env.db, other], capture_output=True, timeout=slow(20))
    check(p.returncode != 0 and b"a backup of another event" in p.stderr,
          "another event's backup: %r" % p.stderr)
    out = env.tool([it.COORD, "restore", "--db", env.db, bak])
    replaced = [f for f in os.listdir(env.dir) if f.startswith(os.path.basename(env.db) + ".replaced-")]
    eq(len(replaced), 1, "the replaced database kept beside it: %r" % os.listdir(env.dir))
    check(replaced[0] in out, "restore names the kept file: %r" % out)
    coord.start()
    # While k1 is off, the restored log grows past k1's cursor.
    for i in range(cursor_k1 + 2):
        k2.op("assign", "GALA-%04d" % (10 + i % 20), "T%02d-%02d" % (2 + i // 8 % 3, 1 + i % 8))
    wait_until(lambda: it.converged(coord, [k2], admin), slow(20), "k2 drains")
    last = get_json(coord.port, "/v1/stats", admin)["cursor"]
    check(last > cursor_k1, "the restored log (%d) grew past k1's cursor (%d)" % (last, cursor_k1))
    check(get_json(coord.port, "/v1/seats", admin) and True, "coordinator answers")
    k1.start()
    it.wait_converged(coord, [k1, k2], admin, slow(20))
    seats = {s["id"]: s.get("ticket") for s in get_json(coord.port, "/v1/seats", admin)["seats"]}
    coord_view = {sid: t for sid, t in seats.items() if t}
    mine = {sid: t for sid, (st, t) in k1.seats().items() if t}
    eq(mine, coord_view, "k1's replica is the coordinator's")
    eq(seats.get("T01-03"), "GALA-0003", "k1's lost op is on the restored coordinator")
    check("another copy" in k1.stderr(), "k1 saw the new log id: %s" % k1.stderr()[-800:])


# =============================================================================


if __name__ == "__main__":
    sys.exit(it.run("Usher reliability integration tests", globals(),
                    options=(("--faultshim", str, None, "path of faultshim.so (tests/tools)"),)))

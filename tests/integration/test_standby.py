#!/usr/bin/env python3
"""test_standby.py - several `usher-coord serve` of one PostgreSQL event: the
one holding the event's lock is active, the others standby. A standby
refuses with the active's address and says so on /healthz; kill -9 of the
active under a rush of real usher-syncd devices (each with the list of
coordinators) hands over to the standby with no accepted op lost and none
applied twice; an active cut off from PostgreSQL (its session ended) writes
nothing once the standby took over (tests/integration/README.md).

    python3 test_standby.py --coord PATH --syncd PATH --journal-op PATH [--pg-dir DIR] [NAME ...]

PostgreSQL only (the SQLite store is one machine: a second serve is
refused, reliability.one_port_one_coordinator). Python 3 standard library
only.
"""

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid

import browser
import test_dashboard as dash
import usher_it as it
from usher_it import (TICKETS, Fail, check, coord_taken, device_taken, eq, get_json, http_call, slow,
                      wait_converged, wait_until)

LOCK_CLASS, LOCK_OBJ = 0x55534843, 2  # coordpg_lock_key of a database's first event ("USHC", 2)


def health(port):
    status, _, body = http_call(port, "GET", "/healthz")
    return status, json.loads(body.decode())


def wait_role(coord, role, seconds=10):
    return wait_until(lambda: (lambda h: h if h[1].get("role") == role else None)(health(coord.port)),
                      slow(seconds), "%s answers /healthz as %s" % (coord.url, role))


def op(kind, **fields):
    o = {"id": str(uuid.uuid4()), "kind": kind, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    o.update(fields)
    return o


def sync(port, token, ops, timeout=5):
    status, headers, body = http_call(port, "POST", "/v1/sync", token,
                                      json.dumps({"cursor": 0, "ops": ops}).encode(), timeout=timeout)
    return status, dict(headers), json.loads(body.decode()) if body else None


def ops_in_store(env, ids=None):
    """op id -> [status, ...] of the op log (every row; a duplicate is not logged)."""
    rows = it.store_sql(env.db, "SELECT id, status FROM ops ORDER BY seq")
    out = {}
    for i, st in rows:
        out.setdefault(i, []).append(st)
    return out


def lock_holders(env):
    return [r[0] for r in it.store_sql(env.db, "SELECT pid FROM pg_locks WHERE locktype = 'advisory' "
                                       "AND granted AND classid = %d AND objid = %d AND database = "
                                       "(SELECT oid FROM pg_database WHERE datname = current_database())"
                                       % (LOCK_CLASS, LOCK_OBJ))]


def refusal_names(status, headers, body, active, what):
    eq(status, 503, "%s: status (body %r)" % (what, body))
    eq(body.get("error"), "standby", "%s: error code" % what)
    eq(body.get("active"), active, "%s: the active's address" % what)
    check(active in body.get("message", ""), "%s: the message names the active: %r" % (what, body))
    eq(headers.get("X-Usher-Active"), active, "%s: X-Usher-Active" % what)
    eq(headers.get("Retry-After"), "1", "%s: Retry-After" % what)


def test_standby_refuses(env):
    """A second serve of the event is a standby: /healthz 503 role standby
    naming the active; sync, snapshot, events and an organiser's write are
    refused 503 standby with the active's address (body and X-Usher-Active)
    and change nothing; the dashboard's page is served; the active lists both.
    A device given the standby first moves to the active and syncs."""
    env.setup(devices=(("admin", "admin"), ("kiosk1", "kiosk"), ("k2", "kiosk")))
    admin, k = env.tokens["admin"], env.tokens["kiosk1"]
    a = env.coord()
    eq(health(a.port)[1].get("role"), "active", "the first serve's role")
    for bad in ("10.0.0.5:8080", "http://h:1/v1", "http://a:1,http://b:1"):
        p = subprocess.run([it.COORD, "serve", "--db", env.db, "--listen", "127.0.0.1:0", "--advertise", bad],
                           capture_output=True, timeout=slow(20))
        check(p.returncode != 0 and b"--advertise" in p.stderr and not p.stdout,
              "--advertise %s refused with a sentence: %r" % (bad, p.stderr))
    port = it.free_port()
    b = env.coord(port, extra=("--advertise", "http://127.0.0.1:%d/" % port))  # its '/' dropped
    status, h = health(b.port)
    eq((status, h.get("ok"), h.get("role"), h.get("active"), h.get("self")),
       (503, False, "standby", a.url, b.url), "the standby's /healthz (%r)" % h)
    wait_until(lambda: set(health(a.port)[1].get("coordinators", [])) == {a.url, b.url}, slow(5),
               "the active lists both serves")
    eq(health(a.port)[1]["coordinators"][0], a.url, "the active first in the list")
    refusal_names(*sync(b.port, k, [op("assign", ticket="GALA-0001", seat="T01-01")]), a.url, "sync on the standby")
    for method, path, token in (("GET", "/v1/snapshot", k), ("GET", "/v1/events", k),
                                ("POST", "/v1/seats/T01-02/block", admin), ("GET", "/v1/stats", admin),
                                ("GET", "/v1/seats", None)):
        status, headers, body = http_call(b.port, method, path, token, b"" if method == "POST" else None)
        refusal_names(status, dict(headers), json.loads(body.decode()), a.url, "%s %s" % (method, path))
    status, _, page = http_call(b.port, "GET", "/")
    eq(status, 200, "the dashboard's page from the standby")
    check(b"<html" in page.lower(), "the dashboard's page is HTML")
    status, _, m = http_call(b.port, "GET", "/metrics")
    check(status == 200 and b"usher_active 0" in m, "the standby's /metrics: %r" % m[:200])
    check(b"usher_active 1" in http_call(a.port, "GET", "/metrics")[2], "the active's /metrics")
    eq(ops_in_store(env), {}, "nothing written by the refusals")
    eq(coord_taken(a, admin), {}, "no seat taken")
    # A device whose list starts with the standby moves to the active.
    d = env.syncd("k2", "%s,%s" % (b.url, a.url))
    d.wait_online()
    oid = d.op("assign", "GALA-0002", "T02-01")
    wait_until(lambda: d.verdict(oid) == "accepted,,", slow(5), "the device's assign accepted")
    check("is a standby: moving to %s" % a.url in d.stderr(), "the device's log says it moved: %r" % d.stderr()[-800:])
    eq(coord_taken(a, admin), {"T02-01": "GALA-0002"}, "the seat on the active")
    eq(health(b.port)[0], 503, "the standby is still a standby")


def rush_device(dev, seats, tickets, stop, sent):
    """Appends assigns as a kiosk does until stop, each a random free-looking seat."""
    rnd = random.Random(dev.device)
    while not stop.is_set():
        t, s = rnd.choice(tickets), rnd.choice(seats)
        sent.append(dev.op("assign", t, s))
        time.sleep(rnd.uniform(0.005, 0.03))


def test_takeover_under_rush(env):
    """kill -9 of the active while four devices seat guests: the standby takes
    over (its first accepted op well within 3 s of the kill, printed), every
    op a device was told accepted is in the op log once, no seat holds two
    tickets, and every device converges on the new active."""
    names = ["k%d" % i for i in range(1, 5)]
    env.setup(layout="gala:8x10", tickets=[("GALA-%04d" % i, "Guest %d" % i, "") for i in range(1, 121)],
              devices=[("admin", "admin"), ("probe", "kiosk")] + [(n, "kiosk") for n in names])
    admin, probe = env.tokens["admin"], env.tokens["probe"]
    a = env.coord()
    b = env.coord()
    wait_role(b, "standby")
    devs = [env.syncd(n, "%s,%s" % (a.url, b.url)) for n in names]
    for d in devs:
        d.wait_online()
    seats = ["T%02d-%02d" % (t, s) for t in range(1, 9) for s in range(1, 11)]
    stop, sent = threading.Event(), {d.device: [] for d in devs}
    threads = []
    for i, d in enumerate(devs):
        tickets = ["GALA-%04d" % n for n in range(1 + 30 * i, 31 + 30 * i)]  # each device its own guests
        threads.append(threading.Thread(target=rush_device, args=(d, seats, tickets, stop, sent[d.device])))
    for t in threads:
        t.start()
    try:
        wait_until(lambda: sum(len(v) for v in sent.values()) >= 40, slow(20), "40 ops appended before the kill")
        a.kill9()
        t0 = time.monotonic()
        taken = None
        while taken is None and time.monotonic() - t0 < slow(15):
            try:
                st, _, body = sync(b.port, probe, [op("hold", seat="T08-10", ttl_ms=1000)], timeout=2)
                if st == 200 and body["verdicts"][0]["status"] in ("accepted", "rejected"):
                    taken = time.monotonic() - t0
            except OSError:
                pass
            if taken is None:
                time.sleep(0.01)
        check(taken is not None, "the standby served within 15 s of the kill (stderr: %s)" % b.stderr()[-800:])
        print("  takeover: first op answered on the standby %.0f ms after kill -9 of the active"
              % (taken * 1000), flush=True)
        check(taken < slow(3), "takeover within 3 s (%.2f s)" % taken)
        time.sleep(1.0)  # the rush goes on against the new active
    finally:
        stop.set()
        for t in threads:
            t.join()
    eq(health(b.port)[1].get("role"), "active", "the standby's role after the kill")
    wait_converged(b, devs, admin, slow(20), "every device on the new active")
    log = ops_in_store(env)
    accepted = 0
    for d in devs:
        check("moving to %s" % b.url in d.stderr(), "%s moved to the standby: %r" % (d.device, d.stderr()[-600:]))
        for oid in sent[d.device]:
            v = d.verdict(oid)
            check(not v.startswith("pending"), "%s's op %s decided (%s)" % (d.device, oid, v))
            check(oid in log, "%s's op %s (%s) is in the op log" % (d.device, oid, v))
            eq(len(log[oid]), 1, "op %s logged once (%r)" % (oid, log[oid]))
            if v.startswith("accepted"):
                accepted += 1
                eq(log[oid], ["accepted"], "op %s accepted in the log" % oid)
    print("  %d ops from %d devices, %d accepted" % (sum(len(v) for v in sent.values()), len(devs), accepted),
          flush=True)
    # KNOWN DEFECT (issue 16, not fixed yet): now and then, right after a
    # takeover, the new active answers a token it has not checked yet with
    # 503 "could not check the token; try again" (about one full test run in
    # three). A client retries a 503, so nothing is lost; the test waits up to
    # 5 s for the admin's read, says how many 503s it met, and fails if they
    # last.
    t_read, refusals = time.monotonic(), 0
    while True:
        status, _, body = it.http_call(b.port, "GET", "/v1/seats", admin)
        if status != 503 or time.monotonic() - t_read > slow(5):
            break
        refusals += 1
        time.sleep(0.1)
    eq(status, 200, "GET /v1/seats on the new active (after %d 503s: %r)" % (refusals, body[:200]))
    if refusals:
        print("  KNOWN DEFECT: %d 503 answers to the admin's first read after the takeover" % refusals,
              flush=True)
    m = coord_taken(b, admin)
    eq(len(set(m.values())), len(m), "no ticket in two seats")
    for d in devs:
        eq(device_taken(d), m, "%s's replica equals the coordinator's seats" % d.device)
    # The event streams followed too: a seat taken on one device reaches
    # another within 3 s (its poll is every 10 s).
    seat = sorted(m)[0]  # the rush fills the hall: a guest is unseated instead
    oid = devs[0].op("unassign", m[seat], seat)
    wait_until(lambda: seat not in device_taken(devs[1]), slow(3),
               "k1's unassign on the new active reaches k2 through its event stream")
    eq(devs[0].verdict(oid), "accepted,,", "k1's unassign after the takeover")


def test_partitioned_active_stops_writing(env):
    """The active's PostgreSQL session ends while it is frozen (a network
    partition: SIGSTOP, then its session terminated on the server): the
    standby takes over; the old active, running again, refuses every op
    (nothing it was sent reaches the database) and turns standby naming the
    new active; its device moves there."""
    env.setup(devices=(("admin", "admin"), ("kiosk1", "kiosk"), ("k2", "kiosk")))
    admin, k = env.tokens["admin"], env.tokens["kiosk1"]
    a = env.coord()
    b = env.coord()
    wait_role(b, "standby")
    d = env.syncd("k2", "%s,%s" % (a.url, b.url))
    d.wait_online()
    first = d.op("assign", "GALA-0001", "T01-01")
    wait_until(lambda: d.verdict(first) == "accepted,,", slow(5), "an assign through the active")
    eq(len(lock_holders(env)), 1, "one session holds the event's lock")
    os.kill(a.proc.pid, signal.SIGSTOP)
    try:
        # Every coordinator session ends (the standby's too: it connects again
        # at its next try), so the old active finds out from its own commit.
        it.store_sql(env.db, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                     "WHERE application_name = 'usher-coord'")
        wait_role(b, "active")
    finally:
        os.kill(a.proc.pid, signal.SIGCONT)
    late = op("assign", ticket="GALA-0002", seat="T01-02")
    # A few at once: the first finds the connection gone, the next opens it
    # again and finds the lock taken (before the list of serves, read every
    # 500 ms, says so too).
    for _ in range(4):
        st, headers, body = sync(a.port, k, [late])
        check(st == 503, "the old active refuses a sync: %d %r" % (st, body))
    wait_until(lambda: ": writing nothing more" in a.stderr(), slow(5),
               "the old active found the lock lost on its own connection")
    wait_role(a, "standby")
    st, headers, body = sync(a.port, k, [late])
    refusal_names(st, headers, body, b.url, "sync on the old active")
    check("took the database over" in a.stderr(), "the old active's log says why: %r" % a.stderr()[-800:])
    check(late["id"] not in ops_in_store(env), "the op sent to the old active is not in the database")
    eq(len(lock_holders(env)), 1, "one session holds the lock (the new active's)")
    second = d.op("assign", "GALA-0003", "T01-03")
    wait_until(lambda: d.verdict(second) == "accepted,,", slow(10), "the device's next assign, on the new active")
    eq(coord_taken(b, admin), {"T01-01": "GALA-0001", "T01-03": "GALA-0003"}, "the seats on the new active")
    # The old one is a standby now: it takes over again when the new one stops.
    b.stop()
    wait_role(a, "active")
    eq(coord_taken(a, admin), {"T01-01": "GALA-0001", "T01-03": "GALA-0003"}, "the seats after a second takeover")


def test_dashboard_follows(env):
    """The venue designer opened on the standby links to the active's; the
    dashboard opened there moves to the active (its address and the token in
    the fragment), says which coordinator it is on, and when the active is
    killed it moves to the one that took over, live."""
    a, page = dash.start(env)  # a: the active, with the dashboard's files
    b = env.coord(extra=("--web", dash.WEB))
    wait_role(b, "standby")
    admin, kiosk = env.tokens["admin"], env.tokens["kiosk-1"]
    host = lambda c: c.url.split("//", 1)[1]
    # The venue designer on the standby says so and links to the active's (it
    # does not move by itself: edits would be lost).
    page.navigate("%s/designer.html#token=%s" % (b.url, admin))
    page.wait("!document.getElementById('standby-banner').hidden && document.querySelector("
              "'#standby-banner a').href.indexOf(%s) === 0" % json.dumps(a.url + "/designer.html#token="),
              slow(10), "the designer's standby notice", show="document.getElementById('standby-banner').textContent")
    page.navigate("%s/#token=%s" % (b.url, admin))
    page.wait("location.origin === %s" % json.dumps(a.url), slow(10), "the page moved to the active",
              show="[location.href, document.getElementById('standby-banner').textContent]")
    page.wait("document.getElementById('conn').dataset.conn === 'live'"
              " && document.getElementById('coord-where').textContent === %s" % json.dumps("Coordinator " + host(a)),
              slow(10), "live on the active, saying so", show="document.getElementById('coord-where').textContent")
    eq(page.eval("location.hash"), "", "the token left the address bar")
    page.wait("JSON.parse(localStorage.getItem('usher.coordinators') || '[]').length === 2", slow(10),
              "the page knows both serves")
    a.kill9()
    wait_role(b, "active")
    conn = "(document.getElementById('conn') || {dataset: {}}).dataset.conn"  # null while a page loads
    page.wait("location.origin === %s && %s === 'live'" % (json.dumps(b.url), conn),
              slow(20), "the page moved to the new active", show="[location.href, %s]" % conn)
    dash.accepted(b, kiosk, op("assign", ticket="GALA-0005", seat="T20-07"))
    dash.wait_state(page, "T20-07", "taken", "a seat taken on the new active")
    eq(dash.text(page, "coord-where"), "Coordinator " + host(b), "which coordinator the page is on")
    dash.no_page_problems(page)


def guarded(fn):
    def run(env):
        try:
            fn(env)
        except browser.BrowserError as e:
            raise Fail(str(e))
    run.__name__ = fn.__name__
    return run


def main():
    if "--store" not in sys.argv:
        sys.argv[1:1] = ["--store", "postgresql"]
    tests = {n: guarded(fn) for n, fn in globals().items() if n.startswith("test_") and callable(fn)}
    return it.run("usher-coord standby and takeover on PostgreSQL", tests, env_factory=dash.Env)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""test_lease.py - integration tests of the `lease` offline policy
(shared/README.md conflict rule 8): the real usher-coord, usher-syncd in lease
mode and journal-op acting as the kiosk, on 127.0.0.1 in a temporary folder (tests/integration/README.md).

    python3 test_lease.py --coord PATH --syncd PATH --journal-op PATH [NAME ...]

runs the named tests (all when none; "leases_are_disjoint" and
"test_leases_are_disjoint" both name one), prints "ok NAME", "skip NAME: why"
or "FAIL NAME: why" for each and exits 0 when all passed, 77 when nothing
failed but something was skipped, else 1. Python 3 standard library only.
"""

import csv
import http.client
import io
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

import usher_it as it
from usher_it import Fail, check, die_with_parent, eq, no_sanitizer_report, slow, wait_until

LAYOUT = "gala:25x10"  # 250 seats, no seat classes: any guest may sit in any leased seat
LEASE_SIZE = 5


def call(port, method, path, token=None, timeout=30):
    h = {"Authorization": "Bearer " + token} if token else {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, headers=h)
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    eq(r.status, 200, "%s %s status (body %r)" % (method, path, body[:300]))
    return json.loads(body.decode("utf-8"))


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")



# ---- processes ---------------------------------------------------------------


class Proc:
    """A long-running program with its output in files."""

    def __init__(self, env, name, argv):
        self.name = name
        self.out_path = env.path(name + ".out")
        self.err_path = env.path(name + ".err")
        self.out = open(self.out_path, "ab")
        self.err = open(self.err_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL,
                                     preexec_fn=die_with_parent)
        self.stopped = False

    def stderr(self):
        return read_text(self.err_path)

    def _finish(self):
        self.stopped = True
        self.out.close()
        self.err.close()
        no_sanitizer_report(self.stderr(), self.name)

    def stop(self):
        """SIGTERM and wait (SIGKILL after a while); returns the exit status."""
        if self.stopped:
            return self.proc.returncode
        try:
            rc = it.terminate(self.proc, self.name, 20)
        finally:
            self._finish()
        return rc


class Coordinator(Proc):
    def __init__(self, env, port=0):
        n = sum(1 for p in env.procs if isinstance(p, Coordinator))
        Proc.__init__(self, env, "serve%d" % n,
                      [it.COORD, "serve", "--db", env.db, "--listen", "127.0.0.1:%d" % port])
        self.port = None
        deadline = time.monotonic() + slow(10)
        while time.monotonic() < deadline:
            line = read_text(self.out_path).split("\n")[0]
            m = re.match(r"^listening on http://127\.0\.0\.1:(\d+)$", line)
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                self._finish()
                raise Fail("serve exited with %d: %s" % (self.proc.returncode, self.stderr()))
            time.sleep(0.01)
        if self.port is None:
            self.stop()
            raise Fail("serve printed no 'listening on' line within %d s" % slow(10))


class Device:
    """One device: a journal, its usher-syncd and journal-op acting as its kiosk."""

    def __init__(self, env, name, token):
        self.env = env
        self.name = name
        self.token = token
        self.db = env.path(name + ".journal")
        self.syncd = None

    def start(self, port, *extra):
        argv = [it.SYNCD, "run", "--db", self.db, "--coordinator", "http://127.0.0.1:%d" % port,
                "--token", self.token] + list(extra)
        self.syncd = Proc(self.env, self.name + "-syncd", argv)
        self.env.procs.append(self.syncd)

    def start_lease(self, port, size=LEASE_SIZE):
        self.start(port, "--offline-policy", "lease", "--lease-size", str(size))

    def run(self, *args, rc=0):
        p = subprocess.run(list(args), capture_output=True, timeout=slow(60))
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        no_sanitizer_report(err, " ".join(os.path.basename(a) for a in args[:3]))
        if rc is not None:
            eq(p.returncode, rc, "%s exit status (stderr: %s)" % (" ".join(args[1:4]), err))
        return out, err

    def status(self):
        out, _ = self.run(it.SYNCD, "status", "--db", self.db)
        return json.loads(out)

    def seats(self):
        """seat id -> state word from `usher-syncd dump seats` (replica + own pending ops)."""
        out, _ = self.run(it.SYNCD, "dump", "--db", self.db, "seats")
        return {r["seat"]: r["state"] for r in csv.DictReader(io.StringIO(out, newline=""))}

    def leased(self):
        return sorted(s for s, st in self.seats().items() if st == "leased")

    def op(self, *args, rc=0):
        return self.run(it.JOP, "--db", self.db, *args, rc=rc)

    def verdict(self, op_id):
        out, _ = self.op("verdict", op_id)
        return out.strip()

    def wait_settled(self, n=LEASE_SIZE, seconds=20):
        """Waits for settled(n); on failure says what the device looked like."""
        try:
            return wait_until(lambda: self.settled(n), slow(seconds), "%s holds %d leased seats" % (self.name, n))
        except Fail as e:
            words, status = {}, "-"
            try:
                status = self.status()
                for w in self.seats().values():
                    words[w] = words.get(w, 0) + 1
            except Fail:
                pass  # not bootstrapped: the syncd's words say why
            raise Fail("%s\n  status %s\n  seats %s\n  syncd says:\n%s" % (
                e, status, words, self.syncd.stderr()[-3000:] if self.syncd else "-"))

    def settled(self, n=LEASE_SIZE):
        """Online, nothing pending and n seats leased: the leased seats, else None."""
        if not os.path.exists(self.db):
            return None
        st = self.status()
        if not st.get("online") or st.get("pending") != 0:
            return None
        seats = self.leased()
        return seats if len(seats) == n else None


class Env:
    """One test's folder, event database, coordinator and devices."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="usher-lease-")
        self.db = self.path("event.db")
        self.procs = []
        self.tokens = {}

    def path(self, name):
        return os.path.join(self.dir, name)

    def coord(self, *args, rc=0):
        p = subprocess.run([it.COORD] + list(args), capture_output=True, timeout=slow(60))
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        no_sanitizer_report(err, "usher-coord " + args[0])
        eq(p.returncode, rc, "usher-coord %s exit status (stderr: %s)" % (" ".join(args[:2]), err))
        return out

    def setup(self, guests=20, devices=(("admin1", "admin"), ("kiosk1", "kiosk"), ("kiosk2", "kiosk"),
                                         ("kiosk3", "kiosk"))):
        self.coord("init", "--db", self.db, "--layout", LAYOUT, "--event", "Lease Gala")
        path = self.path("tickets.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write("ticket_number,full_name\n")
            for i in range(1, guests + 1):
                f.write("GUEST-%04d,Guest %d\n" % (i, i))
        self.coord("tickets", "import", "--db", self.db, path)
        for name, role in devices:
            self.tokens[name] = self.coord("device", "add", "--db", self.db, "--name", name,
                                           "--role", role).strip()

    def serve(self, port=0):
        c = Coordinator(self, port)
        self.procs.append(c)
        return c

    def device(self, name):
        return Device(self, name, self.tokens[name])

    def cleanup(self, failed=False):
        failure = None
        for p in reversed(self.procs):
            try:
                p.stop()
            except Fail as e:
                failure = failure or e
        shutil.rmtree(self.dir, ignore_errors=True)
        if failure:
            raise failure


def coord_seats(env, port):
    """seat id -> the coordinator's /v1/seats entry (an admin token)."""
    return {s["id"]: s for s in call(port, "GET", "/v1/seats", env.tokens["admin1"])["seats"]}


def two_leasing_devices(env):
    """A coordinator and kiosk1, kiosk2 in lease mode, both settled with their leases."""
    env.setup()
    c = env.serve()
    devs = [env.device("kiosk1"), env.device("kiosk2")]
    for d in devs:
        d.start_lease(c.port)
    leased = [d.wait_settled() for d in devs]
    return c, devs, leased


# =============================================================================


def test_leases_are_disjoint(env):
    c, (a, b), (la, lb) = two_leasing_devices(env)
    check(not set(la) & set(lb), "both devices hold leases on %s" % sorted(set(la) & set(lb)))
    # Each device sees the other's leased seats as not for it.
    sa, sb = a.seats(), b.seats()
    for s in lb:
        eq(sa[s], "held", "kiosk1's word for kiosk2's leased seat %s" % s)
    for s in la:
        eq(sb[s], "held", "kiosk2's word for kiosk1's leased seat %s" % s)
    eq(sum(1 for w in sa.values() if w == "free"), 240, "seats kiosk1 sees free")
    # The coordinator agrees, and names the lessee.
    seats = coord_seats(env, c.port)
    for dev, mine in (("kiosk1", la), ("kiosk2", lb)):
        for s in mine:
            eq(seats[s]["state"], "leased", "/v1/seats state of %s" % s)
            eq(seats[s].get("leased_by"), dev, "/v1/seats leased_by of %s" % s)
            check(isinstance(seats[s].get("leased_until"), str), "/v1/seats leased_until of %s" % s)
    eq(sum(1 for s in seats.values() if s["state"] == "leased"), 10, "leased seats on the coordinator")
    eq(call(c.port, "GET", "/v1/stats", env.tokens["admin1"])["leased"], 10, "/v1/stats leased")
    # The policy is in the journal for the kiosk to read.
    db = sqlite3.connect(a.db)
    try:
        meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('offline_policy', 'lease_size')"))
    finally:
        db.close()
    eq(meta, {"offline_policy": "lease", "lease_size": "5"}, "kiosk1's journal meta")
    # A device that starts now learns the leases from the snapshot.
    k3 = env.device("kiosk3")
    k3.start(c.port)
    wait_until(lambda: os.path.exists(k3.db) and k3.status().get("online"), slow(20), "kiosk3 bootstraps")
    held = sorted(s for s, w in k3.seats().items() if w == "held")
    eq(held, sorted(la + lb), "kiosk3's view of the leased seats")


def test_offline_assigns_never_conflict(env):
    c, (a, b), (la, lb) = two_leasing_devices(env)
    port = c.port
    eq(c.stop(), 0, "coordinator exit status on SIGTERM")
    ops = []  # (device, op id, ticket, seat)
    for d, mine, first in ((a, la, 1), (b, lb, 6)):
        for i in range(LEASE_SIZE):
            ticket = "GUEST-%04d" % (first + i)
            out, _ = d.op("assign-leased", ticket)
            m = re.match(r"^([0-9a-f-]{36}) (\S+)\n$", out)
            check(m, "assign-leased printed %r, not 'OPID SEAT'" % out)
            check(m.group(2) in mine, "%s seated %s on %s, not one of its leased seats %s"
                  % (d.name, ticket, m.group(2), mine))
            ops.append((d, m.group(1), ticket, m.group(2)))
        eq(d.leased(), [], "%s's leased seats once all are used offline" % d.name)
        eq(d.status()["pending"], LEASE_SIZE, "%s's pending ops offline" % d.name)
        _, err = d.op("assign-leased", "GUEST-0020", rc=1)
        check("no seat is leased to" in err, "assign-leased with no lease left says why: %r" % err)
    eq(len({o[3] for o in ops}), 10, "ten distinct seats")
    # The kiosk's nudges made each syncd try, and find the coordinator gone.
    wait_until(lambda: not a.status()["online"] and not b.status()["online"], slow(20),
               "both devices know they are offline")

    c2 = env.serve(port)
    # Back online: every offline assign lands as made, and each device leases afresh.
    for d in (a, b):
        d.wait_settled(seconds=30)
    for d, op_id, ticket, seat in ops:
        eq(d.verdict(op_id), "accepted,,", "verdict of %s's offline assign of %s to %s" % (d.name, ticket, seat))
    for d in (a, b):
        eq(d.status()["rejected"], 0, "%s's rejected ops" % d.name)
    alerts = call(c2.port, "GET", "/v1/alerts", env.tokens["admin1"])["alerts"]
    eq([x for x in alerts if x["kind"] == "reseat"], [], "reseat alerts")
    seats = coord_seats(env, c2.port)
    for d, op_id, ticket, seat in ops:
        eq(seats[seat].get("ticket"), ticket, "the coordinator's occupant of %s" % seat)
    eq(call(c2.port, "GET", "/v1/stats", env.tokens["admin1"])["seated"], 10, "seated guests")


def test_sigterm_returns_leases(env):
    env.setup()
    c = env.serve()
    a = env.device("kiosk1")
    a.start_lease(c.port)
    mine = a.wait_settled()
    seats = coord_seats(env, c.port)
    eq(sorted(s for s, v in seats.items() if v.get("leased_by") == "kiosk1"), mine, "leases on the coordinator")
    eq(a.syncd.stop(), 0, "usher-syncd exit status on SIGTERM")
    check("returned %d leased seats" % LEASE_SIZE in a.syncd.stderr(),
          "usher-syncd says it returned its leases:\n%s" % a.syncd.stderr()[-2000:])
    seats = coord_seats(env, c.port)
    for s in mine:
        eq(seats[s]["state"], "free", "/v1/seats state of %s after SIGTERM" % s)
        check("leased_by" not in seats[s], "%s still leased: %r" % (s, seats[s]))
    eq(a.status()["pending"], 0, "kiosk1's pending ops after the last exchange")


def parse_time(text):
    """RFC 3339 as the coordinator writes it ("2026-11-22T07:32:35.123Z") -> seconds."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()


def test_short_lease_is_renewed(env):
    env.setup()
    c = env.serve()
    a = env.device("kiosk1")
    a.start_lease(c.port)
    mine = a.wait_settled()
    # A lease with one minute left (under half the 30-minute term) is renewed.
    extra = next(s for s, w in sorted(a.seats().items()) if w == "free")
    a.op("lease", extra, "--ttl", "60000")

    def renewed():
        v = coord_seats(env, c.port)[extra]
        left = parse_time(v["leased_until"]) - time.time() if v.get("leased_until") else 0
        return left > 25 * 60 and v.get("leased_by") == "kiosk1"
    wait_until(renewed, slow(20), "the one-minute lease on %s renewed for 30 minutes" % extra)
    a.wait_settled(LEASE_SIZE + 1)
    eq(sorted(set(a.leased()) - {extra}), mine, "the block leased before")


def test_more_than_twice_the_size_is_given_back(env):
    env.setup()
    c = env.serve()
    a = env.device("kiosk1")
    a.start_lease(c.port)
    mine = a.wait_settled()
    # The kiosk's operator leases 6 more by hand: 11 > 2 x 5, so all but 5 go back.
    free = [s for s, w in sorted(a.seats().items()) if w == "free"][:2 * LEASE_SIZE - LEASE_SIZE + 1]
    for s in free:
        a.op("lease", s)
    kept = a.wait_settled()
    eq(kept, mine, "the block it keeps (the first in its order)")
    seats = coord_seats(env, c.port)
    eq(sorted(s for s, v in seats.items() if v["state"] == "leased"), mine, "leased seats on the coordinator")


def test_run_options(env):
    env.setup(devices=(("admin1", "admin"), ("kiosk1", "kiosk"), ("door1", "door")))
    a = env.device("kiosk1")
    base = [it.SYNCD, "run", "--db", a.db, "--coordinator", "http://127.0.0.1:9", "--token", a.token]
    for extra, words in ((["--offline-policy", "pessimistic"], "'pessimistic' is not a policy"),
                         (["--offline-policy", "lease", "--lease-size", "0"], "from 1 to 500"),
                         (["--offline-policy", "lease", "--lease-size", "501"], "from 1 to 500"),
                         (["--offline-policy", "lease", "--lease-size", "ten"], "'ten' is not a number"),
                         (["--lease-size", "5"], "--lease-size goes with --offline-policy lease")):
        _, err = a.run(*(base + extra), rc=1)
        check(words in err, "run %s: expected %r in %r" % (" ".join(extra), words, err))
    # A door may not lease: it stops with a reason rather than send ops the coordinator refuses.
    c = env.serve()
    door = env.device("door1")
    p = subprocess.run([it.SYNCD, "run", "--db", door.db, "--coordinator", "http://127.0.0.1:%d" % c.port,
                        "--token", door.token, "--offline-policy", "lease"],
                       capture_output=True, timeout=slow(30))
    err = p.stderr.decode("utf-8", "replace")
    no_sanitizer_report(err, "usher-syncd run (door)")
    eq(p.returncode, 1, "a door's usher-syncd in lease mode: exit status (stderr: %s)" % err)
    check("may not lease seats" in err, "the door's refusal says why: %r" % err)


# =============================================================================


if __name__ == "__main__":
    sys.exit(it.run("lease policy integration tests", globals(), env_factory=Env))

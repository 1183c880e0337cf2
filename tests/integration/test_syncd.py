#!/usr/bin/env python3
"""test_syncd.py - integration tests of usher-syncd: real usher-coord and usher-syncd
processes on 127.0.0.1, device journals driven by journal-op as the kiosk would
(tests/integration/README.md).

    python3 test_syncd.py --coord PATH --syncd PATH --journal-op PATH [NAME ...]
                          [--kill-ops 400] [--kills 50]

runs the named tests (all when none; "online" and "test_online" both name
test_online), prints "ok NAME (T s)", "skip NAME: why" or "FAIL NAME: why" for
each and exits 0 when all passed, 77 when nothing failed but something was
skipped, else 1. Python 3 standard library only.
"""

import collections
import gzip
import http.client
import http.server
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

import usher_it as it
from usher_it import (TICKETS, Coord, Fail, Syncd, check, converged, coord_taken, device_taken,
                      die_with_parent, eq, free_port, get_json, get_list, http_call, integrity_ok,
                      no_sanitizer_report, parse_time, query, slow, wait_converged, wait_until)

# ---- a fake coordinator ----------------------------------------------------------


class FakeCoord:
    """An HTTP server in a thread standing where the coordinator should be. It
    proxies to the real one, except /v1/sync answers according to `mode`:
    proxy, truncated (real answer cut, Content-Length to match), html (a
    200 web page), 500, wrong_verdicts (real answer less one verdict),
    close_mid_body (real answer's headers, half its body, then a close),
    htmlNNN (a hotel network's HTML page with status NNN) or proxy_json403 (a
    proxy's own JSON 403). `paths` names the paths `mode` applies to.
    /v1/events is an idle event stream (one comment, then silence), or an
    error when events_status is set; with relay_events the real stream,
    frame by frame, less the next drop_frames change frames, with the data
    of the next garble_frames change frames made malformed."""

    def __init__(self, real_port):
        self.real_port = real_port
        self.mode = "proxy"
        self.paths = {"/v1/sync"}
        self.events_status = None
        self.relay_events = False
        self.drop_frames = self.garble_frames = 0
        self.counts = collections.Counter()
        self.times = collections.defaultdict(list)  # retry_after: when each request came
        self.stopping = threading.Event()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.handle(self, "GET")

            def do_POST(self):
                fake.handle(self, "POST")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def proxy(self, h, method, path, body):
        headers = {k: v for k, v in h.headers.items() if k.lower() in ("authorization", "content-type",
                                                                        "last-event-id")}
        conn = http.client.HTTPConnection("127.0.0.1", self.real_port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            return r.status, r.getheader("Content-Type", "application/json"), r.read()
        finally:
            conn.close()

    @staticmethod
    def send(h, status, ctype, body, length=None, close=False):
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body) if length is None else length))
        if close:
            h.send_header("Connection", "close")
            h.close_connection = True
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()

    def frame(self, frame):
        """What the relay passes on of one whole frame (None: nothing)."""
        if b"event: change" not in frame:
            return frame
        if self.drop_frames > 0:
            self.drop_frames -= 1
            self.counts["dropped"] += 1
            return None
        if self.garble_frames > 0:
            self.garble_frames -= 1
            self.counts["garbled"] += 1
            return re.sub(rb"data: [^\n]*\n", b'data: {"seq": 1, "type": "seat", "seat": oops\n', frame)
        return frame

    def relay(self, h):
        headers = {k: v for k, v in h.headers.items() if k.lower() in ("authorization", "last-event-id")}
        conn = http.client.HTTPConnection("127.0.0.1", self.real_port)
        conn.request("GET", h.path, headers=headers)
        r = conn.getresponse()
        if r.status != 200:
            self.send(h, r.status, r.getheader("Content-Type", "application/json"), r.read())
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.close_connection = True
        h.end_headers()
        frame = b""
        while not self.stopping.is_set():
            line = r.readline()
            if not line:
                break
            frame += line
            if line in (b"\n", b"\r\n"):
                out = self.frame(frame)
                frame = b""
                if out:
                    h.wfile.write(out)
                    h.wfile.flush()
        conn.close()

    def events(self, h):
        if self.relay_events:
            self.relay(h)
            return
        if self.events_status:
            self.send(h, self.events_status, "application/json",
                      b'{"error": "unavailable", "message": "try again later"}')
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.close_connection = True
        h.end_headers()
        h.wfile.write(b": keep-alive\n\n")
        h.wfile.flush()
        while not self.stopping.wait(0.1):
            pass

    def handle(self, h, method):
        path = h.path.split("?")[0]
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n) if n else None
        mode = self.mode if path in self.paths else "proxy"
        try:
            if path == "/v1/events":
                self.counts[(path, "events")] += 1
                self.events(h)
                return
            if mode == "html":
                self.send(h, 200, "text/html", b"<html><body><h1>Welcome to the venue Wi-Fi</h1></body></html>")
            elif mode == "500":
                self.send(h, 500, "text/html", b"<html><body>Internal Server Error</body></html>")
            elif re.fullmatch(r"html\d{3}", mode):
                page = b"<!DOCTYPE html><html><body><h1>%s</h1>Please log in to Hotel Wi-Fi</body></html>"
                self.send(h, int(mode[4:]), "text/html; charset=utf-8", page % mode[4:].encode())
            elif mode == "retry_after":  # the coordinator's own 503 at its limits
                self.times[path].append(time.monotonic())
                h.send_response(503)
                h.send_header("Content-Type", "application/json")
                h.send_header("Retry-After", "3")
                b = b'{"error": "unavailable", "message": "too many connections: try again later"}'
                h.send_header("Content-Length", str(len(b)))
                h.end_headers()
                h.wfile.write(b)
                h.wfile.flush()
            elif mode == "proxy_json403":
                self.send(h, 403, "application/json", b'{"error": "Forbidden", "message": "blocked by policy"}')
            else:
                status, ctype, real = self.proxy(h, method, h.path, body)
                if mode == "proxy":
                    self.send(h, status, ctype, real)
                elif mode == "truncated":
                    self.send(h, 200, ctype, real[: len(real) // 2])
                elif mode == "wrong_verdicts":
                    j = json.loads(real)
                    j["verdicts"] = j["verdicts"][:-1]
                    self.send(h, 200, ctype, json.dumps(j).encode())
                elif mode == "close_mid_body":
                    self.send(h, 200, ctype, real[: len(real) // 2], length=len(real), close=True)
                else:
                    raise AssertionError(mode)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self.counts[(path, mode)] += 1


# =============================================================================
# The tests
# =============================================================================


def test_online(env):
    """An assign on device A shows as taken in device B's journal within 2 s."""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk"), ("b", "kiosk")))
    coord = env.coord()
    a = env.syncd("a", coord.url)
    b = env.syncd("b", coord.url)
    a.wait_online()
    b.wait_online()
    eq(b.seats()["T02-03"], ("free", ""), "B's T02-03 before the assign")
    t0 = time.monotonic()
    op = a.op("assign", "GALA-0001", "T02-03")
    wait_until(lambda: b.seats()["T02-03"] == ("taken", "GALA-0001"), slow(2),
               "B's dump seats shows T02-03 taken by GALA-0001")
    dt = time.monotonic() - t0
    eq(a.verdict(op), "accepted,,", "A's verdict")
    row = [r for r in b.dump("seats") if r["seat"] == "T02-03"][0]
    eq((row["state"], row["ticket"], row["name"]), ("taken", "GALA-0001", 'Smith, Jane "JJ"'),
       "B's row for T02-03")
    tickets = {r["ticket_number"]: r for r in b.dump("tickets")}
    eq(tickets["GALA-0001"]["seat"], "T02-03", "B's ticket GALA-0001 seat")
    sts = wait_converged(coord, [a, b], env.tokens["admin"], slow(5))
    for dev, st in zip((a, b), sts):
        eq(st["device"], dev.device, "status device")
        eq(st["role"], "kiosk", "status role")
        eq(st["online"], True, "status online")
        eq(st["pending"], 0, "status pending")
        eq(st["rejected"], 0, "status rejected")
        eq(st["last_error"], None, "status last_error")
        check(isinstance(st["last_sync_at"], str) and
              re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", st["last_sync_at"]),
              "status last_sync_at %r is not a timestamp" % st["last_sync_at"])
    eq(sts[0]["cursor"], sts[1]["cursor"], "cursors of A and B")
    eq(a.seats(), b.seats(), "A's and B's dump seats")
    eq(coord_taken(coord, env.tokens["admin"]), {"T02-03": "GALA-0001"}, "coordinator's taken seats")
    print("  (seen on B %.0f ms after the append)" % (dt * 1000), flush=True)


def test_offline_conflict(env):
    """Two offline kiosks give one seat to two tickets; the first to reach the
    coordinator keeps it and the other is reseated, with an alert."""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk"), ("b", "kiosk")))
    admin = env.tokens["admin"]
    port = free_port()
    coord = env.coord(port)
    a = env.syncd("a", coord.url)
    b = env.syncd("b", coord.url)
    a.wait_online()
    b.wait_online()
    coord.stop()
    opa = a.op("assign", "GALA-0001", "T01-01")
    opb = b.op("assign", "GALA-0002", "T01-01")
    for dev, ticket in ((a, "GALA-0001"), (b, "GALA-0002")):
        st = wait_until(lambda: (lambda s: s if not s["online"] and s["last_error"] else None)(dev.status()),
                        slow(5), "%s reports offline" % dev.device)
        eq(st["pending"], 1, "%s pending while offline" % dev.device)
        check("coordinator" in st["last_error"], "%s last_error %r does not mention the coordinator"
              % (dev.device, st["last_error"]))
        check(dev.alive(), "%s's usher-syncd died while offline" % dev.device)
        eq(dev.seats()["T01-01"], ("taken", ticket), "%s shows its own pending assign" % dev.device)
        eq(dev.verdict(opa if dev is a else opb), "pending,,", "%s's op while offline" % dev.device)
    coord.start()
    t0 = time.monotonic()
    wait_converged(coord, [a, b], admin, slow(5), "after the coordinator came back")
    dt = time.monotonic() - t0
    va, vb = a.verdict(opa), b.verdict(opb)
    accepted = [v for v in (va, vb) if v == "accepted,,"]
    eq(len(accepted), 1, "exactly one of the two assigns accepted (A: %s, B: %s)" % (va, vb))
    if va == "accepted,,":
        winner, loser, loser_op, v = ("GALA-0001", "GALA-0002", opb, vb)
    else:
        winner, loser, loser_op, v = ("GALA-0002", "GALA-0001", opa, va)
    m = re.match(r"^rejected,seat_taken,(T\d\d-\d\d)$", v)
    check(m, "the later assign's verdict is %r, expected rejected,seat_taken,<reseat seat>" % v)
    reseat = m.group(1)
    check(reseat != "T01-01", "reseated on the contested seat")
    check(reseat.startswith("T01-"), "reseat %s is not at the same table (nearest policy)" % reseat)
    sa, sb = a.seats(), b.seats()
    eq(sa, sb, "A's and B's dump seats after the conflict")
    eq(sa["T01-01"], ("taken", winner), "T01-01 on the devices")
    eq(sa[reseat], ("taken", loser), "the reseat seat on the devices")
    eq(coord_taken(coord, admin), {"T01-01": winner, reseat: loser}, "coordinator's taken seats")
    alerts = get_list(coord.port, "/v1/alerts", admin, "alerts")
    reseats = [x for x in alerts if x.get("kind") == "reseat"]
    eq(len(reseats), 1, "reseat alerts (%r)" % alerts)
    al = reseats[0]
    eq((al.get("ticket"), al.get("seat"), al.get("other_seat"), al.get("op_id")),
       (loser, "T01-01", reseat, loser_op), "the reseat alert's ticket, seat asked, seat given, op")
    print("  (converged %.0f ms after the restart)" % (dt * 1000), flush=True)


def test_duplicate_checkin(env):
    """One ticket scanned at two offline doors: both accepted, one as a
    duplicate_checkin, one alert, both scans listed."""
    env.setup(devices=(("admin", "admin"), ("door1", "door"), ("door2", "door")))
    admin = env.tokens["admin"]
    coord = env.coord()
    d1 = env.syncd("door1", coord.url)
    d2 = env.syncd("door2", coord.url)
    eq(d1.wait_online()["role"], "door", "door1's role")
    d2.wait_online()
    coord.stop()
    op1 = d1.op("checkin", "GALA-0007")
    time.sleep(0.5)  # distinct scan times, well beyond the measuring error of the waits
    op2 = d2.op("checkin", "GALA-0007")
    for d in (d1, d2):
        wait_until(lambda: (lambda s: s if not s["online"] and s["pending"] == 1 else None)(d.status()),
                   slow(5), "%s offline with its scan pending" % d.device)
    coord.start()
    wait_converged(coord, [d1, d2], admin, slow(5), "after the coordinator came back")
    v1, v2 = d1.verdict(op1), d2.verdict(op2)
    eq(sorted([v1, v2]), ["accepted,,", "accepted,duplicate_checkin,"], "the two scans' verdicts")
    first, second = ("door1", "door2") if v1 == "accepted,," else ("door2", "door1")
    alerts = [x for x in get_list(coord.port, "/v1/alerts", admin, "alerts") if x.get("kind") == "duplicate_checkin"]
    eq(len(alerts), 1, "duplicate_checkin alerts")
    eq((alerts[0].get("ticket"), alerts[0].get("device"), alerts[0].get("other_device")),
       ("GALA-0007", second, first), "the alert's ticket, this device, the first device")
    checkins = get_list(coord.port, "/v1/checkins", admin, "checkins")
    scans = sorted((c["device"], c["duplicate"]) for c in checkins if c.get("ticket") == "GALA-0007")
    eq(scans, sorted([(first, False), (second, True)]), "/v1/checkins for GALA-0007")
    # Rule 4: the ticket keeps the earliest scan (door1's, by the coordinator's
    # clock: arrival less the scan's wait in the outbox), whichever reached
    # the coordinator first.
    rows = [{r["ticket_number"]: r for r in d.dump("tickets")}["GALA-0007"] for d in (d1, d2)]
    eq(rows[0], rows[1], "door1's and door2's replica of GALA-0007")
    eq(rows[0]["checkin_device"], "door1", "checkin_device of GALA-0007 (the earlier scan)")
    at1 = [r["at"] for r in d1.dump("outbox") if r["id"] == op1]
    eq(len(at1), 1, "door1's scan in its outbox")
    off = abs(parse_time(rows[0]["checked_in_at"]) - parse_time(at1[0]))
    check(off < 0.3, "checked_in_at of GALA-0007 %s is %.3f s from door1's scan time %s"
          % (rows[0]["checked_in_at"], off, at1[0]))


OP_KINDS = ("assign", "assign", "assign", "unassign", "hold", "release")


def test_kill9_loop(env):
    """kill -9 of syncds and the coordinator at random moments while ops keep
    coming: nothing lost, nothing applied twice, everybody agrees."""
    env.setup(layout="gala:4x8", tickets=TICKETS[:40],
              devices=(("admin", "admin"), ("a", "kiosk"), ("b", "kiosk")))
    admin = env.tokens["admin"]
    seed = int(os.environ.get("USHER_TEST_SEED") or time.time_ns() % 1000000007)
    rng, drng = random.Random(seed), random.Random(seed + 1)  # killer's and driver's
    seed_note = "USHER_TEST_SEED=%d" % seed
    coord = env.coord()
    devs = [env.syncd("a", coord.url), env.syncd("b", coord.url)]
    for d in devs:
        d.wait_online()
    seats = ["T%02d-%02d" % (t, s) for t in range(1, 5) for s in range(1, 9)]
    tickets = [t[0] for t in TICKETS[:40]]
    appended = {d.device: [] for d in devs}
    errors = []
    done = threading.Event()

    def driver():
        try:
            for _ in range(env.options["kill_ops"]):
                d = drng.choice(devs)
                kind = drng.choice(OP_KINDS)
                if kind == "assign":
                    args = ("assign", drng.choice(tickets), drng.choice(seats))
                elif kind == "unassign":
                    args = ("unassign", drng.choice(tickets))
                else:
                    args = (kind, drng.choice(seats))
                appended[d.device].append(d.op(*args))
                time.sleep(drng.uniform(0, 0.01))
        except Exception as e:  # reported by the main thread
            errors.append("driver: %s" % e)
        finally:
            done.set()

    th = threading.Thread(target=driver, daemon=True)
    th.start()
    kills = collections.Counter()
    t0 = time.monotonic()
    try:
        n = 0
        while n < env.options["kills"] or not done.is_set():
            time.sleep(rng.uniform(0.02, 0.4))
            victim = rng.choice([coord] + devs)
            check(victim.alive(), "%s died by itself with status %s (stderr: %s)"
                  % (victim.name, victim.proc.returncode, victim.stderr()[-1500:]))
            victim.kill9()
            victim.start()
            kills[victim.name] += 1
            n += 1
            check(time.monotonic() - t0 < slow(120), "the kill loop ran over %d s" % slow(120))
    finally:
        th.join(timeout=slow(60))
    check(not errors, "; ".join(errors))
    for p in [coord] + devs:
        check(p.alive(), "%s is not running at the end" % p.name)
    loop_s = time.monotonic() - t0
    sts = wait_converged(coord, devs, admin, slow(30), "convergence after the kill loop")
    eq(sum(len(v) for v in appended.values()), env.options["kill_ops"], "ops appended")

    # What everyone believes: the devices agree with each other and with the
    # coordinator's memory.
    sa, sb = devs[0].seats(), devs[1].seats()
    eq(sa, sb, "A's and B's dump seats")
    taken = coord_taken(coord, admin)
    eq({s: t for s, (st, t) in sa.items() if st == "taken"}, taken, "devices' taken seats vs /v1/seats")
    api_seats = {s["id"]: s["state"] for s in get_json(coord.port, "/v1/seats", admin)["seats"]}
    eq({s: st for s, (st, _) in sa.items()}, api_seats, "devices' seat states vs /v1/seats")
    outboxes = {d.device: d.dump("outbox") for d in devs}
    for d in devs:
        d.stop()
    coord.stop()

    # The coordinator's database: every op once, verdicts as the devices recorded them.
    rows = query(env.db, "SELECT id, device, status, reason, reseat FROM ops")
    ops = {r[0]: r for r in rows}
    eq(len(ops), len(rows), "ops table ids unique")
    for dev, ids in appended.items():
        box = outboxes[dev]
        box_ids = [r["id"] for r in box]
        eq(len(box_ids), len(set(box_ids)), "%s's outbox lists each op once" % dev)
        eq(sorted(box_ids), sorted(ids), "%s's outbox holds exactly the ops appended" % dev)
        lost = [i for i in ids if i not in ops]
        check(not lost, "%d of %s's ops never reached the coordinator's ops table, e.g. %s (%s)"
              % (len(lost), dev, lost[:3], [r for r in box if r["id"] in lost[:3]]))
        for r in box:
            o = ops[r["id"]]
            eq(o[1], dev, "device of op %s" % r["id"])
            eq((r["state"], r["reason"], r["reseat"]), (o[2], o[3], o[4]),
               "%s's outbox verdict for op %s vs the coordinator's" % (dev, r["id"]))
    extra = [i for i, r in ops.items() if r[1] in appended and i not in set(appended[r[1]])]
    check(not extra, "ops in the coordinator nobody appended: %s" % extra[:3])

    # Replay the change log: the last change of each seat and ticket is what
    # the tables hold, and no seat has two tickets.
    seat_rows = dict(query(env.db, "SELECT id, ticket FROM seats"))
    replay_seat, replay_ticket = {}, {}
    for typ, seat_id, seat_ticket, code, ticket_seat in query(
            env.db, "SELECT type, seat_id, seat_ticket, ticket_code, ticket_seat FROM changes ORDER BY seq"):
        if typ == "seat":
            replay_seat[seat_id] = seat_ticket
        else:
            replay_ticket[code] = ticket_seat
    eq({s: t for s, t in replay_seat.items() if t}, {s: t for s, t in seat_rows.items() if t},
       "seats table vs a replay of the change log")
    eq({s: t for s, t in seat_rows.items() if t}, taken, "seats table vs /v1/seats")
    ticket_rows = dict(query(env.db, "SELECT code, seat FROM tickets"))
    eq({c: s for c, s in replay_ticket.items() if s}, {c: s for c, s in ticket_rows.items() if s},
       "tickets table vs a replay of the change log")
    eq({s: t for t, s in ticket_rows.items() if s}, {s: t for s, t in seat_rows.items() if t},
       "tickets' seats vs seats' tickets")
    dup = query(env.db, "SELECT op_id, type, seat_id, ticket_code, COUNT(*) FROM changes WHERE op_id <> '' "
                        "GROUP BY op_id, type, seat_id, ticket_code HAVING COUNT(*) > 1")
    check(not dup, "changes recorded twice for one op: %s" % dup[:3])
    for p in [env.db] + [d.db for d in devs]:
        integrity_ok(p)
    acc = sum(1 for r in rows if r[2] == "accepted")
    print("  (%s; %d ops, %d accepted; kills %s; loop %.1f s; final cursor %d)"
          % (seed_note, len(rows), acc, dict(kills), loop_s, sts[0]["cursor"]), flush=True)


def test_reconnect_storm(env):
    """Eight devices reconnect at once after each of five coordinator
    restarts (every token misses the coordinator's cache together): none is
    refused, the coordinator survives, every op lands."""
    names = ["k%d" % i for i in range(1, 9)]
    env.setup(devices=[("admin", "admin")] + [(n, "kiosk") for n in names])
    admin = env.tokens["admin"]
    coord = env.coord()
    devs = [env.syncd(n, coord.url) for n in names]
    for d in devs:
        d.wait_online()
    ids = []
    for rnd in range(5):
        coord.kill9()
        for i, d in enumerate(devs):  # one op each while the coordinator is down
            ids.append((d, d.op("hold", "T%02d-%02d" % (1 + i // 8, 1 + i % 8))))
        coord.start()
        try:
            wait_converged(coord, devs, admin, slow(10), "all devices back after restart %d" % (rnd + 1))
        except Fail:
            dead = [(d.name, d.proc.returncode, d.stderr()[-600:]) for d in devs if not d.alive()]
            check(not dead, "usher-syncd exited after a coordinator restart: %s" % dead)
            check(coord.alive(), "usher-coord died (status %s)" % coord.proc.returncode)
            raise
        check(coord.alive(), "usher-coord died (status %s)" % coord.proc.returncode)
    for d, i in ids:
        check(d.verdict(i).split(",")[0] in ("accepted", "rejected"), "op %s of %s undecided" % (i, d.device))
    coord.stop()
    eq(query(env.db, "SELECT COUNT(*) FROM ops")[0][0], len(ids), "ops in the coordinator's database")


def test_coord_restart_no_loss(env):
    """Ops accepted before a SIGTERM restart are still there; devices go on."""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk"), ("b", "kiosk")))
    admin = env.tokens["admin"]
    port = free_port()
    coord = env.coord(port)
    a = env.syncd("a", coord.url)
    a.wait_online()
    ids = [a.op("assign", "GALA-%04d" % i, "T02-%02d" % i) for i in range(1, 6)]
    wait_converged(coord, [a], admin, slow(5))
    for i in ids:
        eq(a.verdict(i), "accepted,,", "verdict before the restart")
    before = coord_taken(coord, admin)
    eq(len(before), 5, "taken seats before the restart")
    cursor = get_json(coord.port, "/healthz", None)["cursor"]
    coord.stop()
    got = query(env.db, "SELECT COUNT(*) FROM ops WHERE status = 'accepted' AND id IN (%s)"
                % ",".join("?" * len(ids)), ids)
    eq(got, [(5,)], "accepted ops in the database after a SIGTERM")
    coord.start()
    eq(coord_taken(coord, admin), before, "taken seats after the restart")
    eq(get_json(coord.port, "/healthz", None)["cursor"], cursor, "cursor after the restart")
    a.wait_online("online again after the restart")
    more = a.op("assign", "GALA-0006", "T03-01")
    b = env.syncd("b", coord.url)
    wait_converged(coord, [a, b], admin, slow(5), "after the restart")
    eq(a.verdict(more), "accepted,,", "an op after the restart")
    want = dict(before, **{"T03-01": "GALA-0006"})
    eq(coord_taken(coord, admin), want, "taken seats")
    eq(device_taken(a), want, "A's taken seats")
    eq(device_taken(b), want, "B's (new device) taken seats")
    for d in (a, b):
        d.stop()
        integrity_ok(d.db)
    coord.stop()
    integrity_ok(env.db)


def test_wrong_token(env):
    """A refused token stops usher-syncd with exit 3 and says so."""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk")))
    coord = env.coord()
    bad = "A" * 52
    check(bad != env.tokens["a"], "the bad token is a real one")
    s = env.syncd("a", coord.url, token=bad)
    try:
        rc = s.proc.wait(timeout=slow(5))
    except subprocess.TimeoutExpired:
        raise Fail("usher-syncd with a bad token still runs after %d s" % slow(5))
    err = s.stderr()
    eq(rc, 3, "exit status with a refused token (stderr: %s)" % err)
    check("token" in err, "stderr does not mention the token: %r" % err)
    check("usher-coord device add" in err, "stderr does not say how to get a token: %r" % err)


class TlsRelay:
    """A TLS front for the coordinator, as a venue would put one (or nginx):
    accepts TLS on a loopback port with a self-signed certificate for
    127.0.0.1 and relays the bytes both ways to the real coordinator's plain
    port, event streams included."""

    def __init__(self, env, real_port):
        import ssl
        self.cert, key = env.path("coord.pem"), env.path("coord.key")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", self.cert],
                           capture_output=True, timeout=slow(30))
        eq(r.returncode, 0, "openssl req (stderr %r)" % r.stderr[-300:])
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(self.cert, key)
        self.real_port = real_port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = "https://127.0.0.1:%d" % self.port
        self.handshakes_failed = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(raw,), daemon=True).start()

    def serve(self, raw):
        try:
            tls = self.ctx.wrap_socket(raw, server_side=True)
        except OSError:
            self.handshakes_failed += 1
            raw.close()
            return
        try:
            back = socket.create_connection(("127.0.0.1", self.real_port))
        except OSError:
            tls.close()
            return

        def pump(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        threading.Thread(target=pump, args=(back, tls), daemon=True).start()
        pump(tls, back)

    def close(self):
        self.sock.close()


def test_tls(env):
    """https: a device trusting the coordinator's self-signed certificate
    (--cacert) syncs through TLS, event stream included, with its token from
    USHER_TOKEN; one that does not trust it stays offline saying why, and
    changes nothing."""
    if not shutil.which("openssl"):
        raise it.Skip("openssl is not installed (scripts/deps test)")
    env.setup(devices=(("admin", "admin"), ("a", "kiosk"), ("b", "kiosk"), ("c", "kiosk")))
    coord = env.coord()
    relay = TlsRelay(env, coord.port)
    try:
        a = Syncd(env, "a", relay.url, extra=("--cacert", relay.cert), token_in_env=True).start()
        b = env.syncd("b", coord.url)  # plain http, beside it
        a.wait_online()
        b.wait_online()
        check("--token" not in a.argv and a.token not in " ".join(a.argv), "a's token is not on its command line")
        a.op("assign", "GALA-0007", "T02-01")
        wait_until(lambda: device_taken(b).get("T02-01") == "GALA-0007", slow(5),
                   "a's assign over https reaches b")
        b.op("assign", "GALA-0008", "T02-02")
        wait_until(lambda: device_taken(a).get("T02-02") == "GALA-0008", slow(5),
                   "b's assign reaches a through the TLS event stream and sync")
        # No --cacert: the system's store does not know this certificate.
        c = Syncd(env, "c", relay.url).start()
        st = wait_until(lambda: (lambda s: s if s["last_error"] else None)(c.status()), slow(10),
                        "c reports why it cannot sync")
        check(not st["online"] and "certificate" in st["last_error"].lower(),
              "c offline because of the certificate: %r" % st)
        check(c.alive(), "an untrusted certificate is retried, not fatal")
        check(relay.handshakes_failed >= 1, "c's handshakes were refused by c itself")
        # A --cacert that cannot be read is refused at once.
        out = subprocess.run([it.SYNCD, "run", "--db", env.path("d.journal"), "--coordinator", relay.url,
                              "--token", env.tokens["c"], "--cacert", env.path("nope.pem")],
                             capture_output=True, timeout=slow(10))
        check(out.returncode != 0 and b"--cacert" in out.stderr, "unreadable --cacert: %r" % out.stderr)
    finally:
        relay.close()


def test_tls_native(env):
    """usher-coord serving https itself (--tls-cert/--tls-key): two devices
    trusting its certificate with --cacert sync both ways, event stream
    included."""
    if not shutil.which("openssl"):
        raise it.Skip("openssl is not installed (scripts/deps test)")
    env.setup(devices=(("admin", "admin"), ("a", "kiosk"), ("b", "kiosk")))
    cert, key = env.path("coord.pem"), env.path("coord.key")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key, "-out", cert], capture_output=True, timeout=slow(30))
    eq(r.returncode, 0, "openssl req (stderr %r)" % r.stderr[-300:])
    coord = env.coord(extra=("--tls-cert", cert, "--tls-key", key))
    check(coord.url.startswith("https://"), "the coordinator serves https")
    a = env.syncd("a", coord.url, extra=("--cacert", cert))
    b = env.syncd("b", coord.url, extra=("--cacert", cert))
    a.wait_online()
    b.wait_online()
    time.sleep(0.3)  # both event streams connected
    a.op("assign", "GALA-0007", "T02-01")
    wait_until(lambda: device_taken(b).get("T02-01") == "GALA-0007", slow(5), "a's assign reaches b over https")
    b.op("assign", "GALA-0008", "T02-02")
    wait_until(lambda: device_taken(a).get("T02-02") == "GALA-0008", slow(5), "b's assign reaches a over https")


def test_notices_coordinator_gone(env):
    """A coordinator that stops while nothing is pending: the broken event
    stream makes syncd try at once, so the journal says offline (and the
    kiosk shows it) within moments, not at the next 10 s poll."""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk")))
    coord = env.coord()
    a = env.syncd("a", coord.url)
    a.wait_online()
    time.sleep(0.5)  # the event stream is connected by now
    coord.stop()
    t0 = time.monotonic()
    st = wait_until(lambda: (lambda s: s if not s["online"] else None)(a.status()), slow(5),
                    "syncd noticing the coordinator is gone")
    check(st["last_error"], "the status says why: %r" % st)
    print("  (offline noticed %.0f ms after the coordinator stopped)" % ((time.monotonic() - t0) * 1000))


def test_unreachable(env):
    """A closed port is offline, not fatal; a coordinator starting there later
    is found without a restart."""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk")))
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    s = env.syncd("a", url)
    st = wait_until(lambda: (lambda x: x if x["last_error"] else None)(s.status()), slow(5),
                    "status shows an error with nobody on the port")
    eq(st["online"], False, "online with nobody on the port")
    check("cannot reach the coordinator" in st["last_error"],
          "last_error %r does not say it cannot reach the coordinator" % st["last_error"])
    time.sleep(1)
    check(s.alive(), "usher-syncd exited with nobody on the port (stderr: %s)" % s.stderr())
    coord = Coord(env, port).start()
    # Online comes with the first answer; the device's identity a moment
    # later, when the bootstrap's last transaction commits.
    st = wait_until(lambda: (lambda x: x if x["online"] and x["device"] else None)(s.status()), slow(5),
                    "online and bootstrapped once a coordinator listens on the port")
    eq((st["device"], st["pending"], st["last_error"]), ("a", 0, None), "status once online")
    op = s.op("assign", "GALA-0003", "T04-04")
    wait_until(lambda: s.verdict(op) == "accepted,,", slow(5), "an op accepted after recovery")
    eq(coord_taken(coord, env.tokens["admin"]), {"T04-04": "GALA-0003"}, "coordinator's taken seats")


def test_garbage(env):
    """Garbled, cut and wrong answers from /v1/sync: usher-syncd stays up,
    says what is wrong, keeps its ops pending, and drains them once the
    coordinator answers properly."""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk")))
    admin = env.tokens["admin"]
    coord = env.coord()
    fake = FakeCoord(coord.port)
    try:
        s = env.syncd("a", fake.url)
        s.wait_online("bootstrapped through the proxy")
        modes = [  # each next to a different message, so the status shows which one answered
            ("truncated", "garbled answer from the coordinator", True),
            ("500", "HTTP 500 from the coordinator's address", False),
            ("html", "garbled answer from the coordinator", False),
            ("wrong_verdicts", "coordinator answered", True),
            ("close_mid_body", "cannot reach the coordinator", True),
        ]
        ids = []
        for i, (mode, text, reached) in enumerate(modes):
            fake.mode = mode
            ids.append(s.op("assign", "GALA-%04d" % (i + 1), "T03-%02d" % (i + 1)))
            seen = fake.counts[("/v1/sync", mode)]
            st = wait_until(lambda: (lambda x: x if fake.counts[("/v1/sync", mode)] > seen and not x["online"]
                                     and text in (x["last_error"] or "") else None)(s.status()),
                            slow(8), "status after a %s answer" % mode)
            check(s.alive(), "usher-syncd died on a %s answer (stderr: %s)" % (mode, s.stderr()[-1500:]))
            if mode == "wrong_verdicts":
                check(re.search(r"answered \d+ verdicts for \d+ ops", st["last_error"]),
                      "last_error after wrong_verdicts: %r" % st["last_error"])
            eq(st["pending"], len(ids), "pending after a %s answer" % mode)
            box = s.dump("outbox")
            eq([(r["id"], r["state"]) for r in box], [(x, "pending") for x in ids],
               "outbox after a %s answer" % mode)
            integrity_ok(s.db)
        eq(device_taken(s), {"T03-%02d" % (i + 1): "GALA-%04d" % (i + 1) for i in range(5)},
           "the device still shows its pending assigns")
        fake.mode = "proxy"
        wait_until(lambda: (lambda x: x if x["online"] and x["pending"] == 0 else None)(s.status()),
                   slow(6), "pending ops drained once the coordinator answers properly")
        st = s.status()
        eq((st["last_error"], st["rejected"]), (None, 0), "status after recovery")
        for i in ids:
            eq(s.verdict(i), "accepted,,", "verdict of op %s after recovery" % i)
        want = {"T03-%02d" % (i + 1): "GALA-%04d" % (i + 1) for i in range(5)}
        eq(coord_taken(coord, admin), want, "coordinator's taken seats")
        wait_until(lambda: device_taken(s) == want, slow(5), "device's replica matches")
        s.stop()
        coord.stop()
        got = query(env.db, "SELECT id, COUNT(*) FROM ops WHERE id IN (%s) GROUP BY id" % ",".join("?" * len(ids)),
                    ids)
        eq(sorted(got), sorted((i, 1) for i in ids), "each op once in the coordinator's ops table")
        integrity_ok(s.db)
        integrity_ok(env.db)
    finally:
        fake.close()


def metric(coord, name):
    status, _, body = http_call(coord.port, "GET", "/metrics")
    eq(status, 200, "/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise Fail("no %s in /metrics" % name)


def test_join_in_pages(env):
    """A snapshot in pages (serve --snapshot-page 7: 60 tickets and 4 taken
    seats in 10 pages): two devices joining together share one build, fetch
    page after page (gzipped) and end with the coordinator's state; the whole
    snapshot in one answer still works for older devices; a page of a
    snapshot no longer kept is 410 snapshot_gone, a page past the end 404."""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk"), ("b", "kiosk")))
    admin = env.tokens["admin"]
    coord = env.coord(extra=("--snapshot-page", "7"))
    for i, seat in enumerate(("T01-01", "T01-02", "T02-05", "T03-08")):
        st, _, body = http_call(coord.port, "POST", "/v1/tickets/GALA-%04d/move" % (i + 1), admin,
                                json.dumps({"seat": seat}))
        eq(st, 200, "move (%r)" % body[:200])
    a, b = env.syncd("a", coord.url), env.syncd("b", coord.url)
    a.wait_online()
    b.wait_online()
    for d in (a, b):
        check("10 pages" in d.stderr(), "%s joined in 10 pages: %s" % (d.name, d.stderr()[-600:]))
        eq(len(d.dump("tickets")), 60, "%s's tickets" % d.name)
        eq({k: v for k, v in d.seats().items() if v[1]},
           {"T01-01": ("taken", "GALA-0001"), "T01-02": ("taken", "GALA-0002"),
            "T02-05": ("taken", "GALA-0003"), "T03-08": ("taken", "GALA-0004")}, "%s's seats" % d.name)
    eq(metric(coord, "usher_snapshot_builds_total"), 1.0, "one build for two devices joining together")
    check(metric(coord, "usher_snapshot_joins_total") >= 2, "joins counted")
    wait_converged(coord, [a, b], admin, slow(10))
    # What a device reads, by hand: the head, a page gzipped, the whole.
    head = get_json(coord.port, "/v1/snapshot?paged=1", env.tokens["a"])
    eq((head["pages"], head["changes_total"], "changes" in head), (10, 64, False), "the paged head")
    conn = http.client.HTTPConnection("127.0.0.1", coord.port, timeout=10)
    conn.request("GET", "/v1/snapshot?cursor=%d&page=3" % head["cursor"],
                 headers={"Authorization": "Bearer " + env.tokens["a"], "Accept-Encoding": "gzip"})
    r = conn.getresponse()
    raw = r.read()
    eq((r.status, r.getheader("Content-Encoding")), (200, "gzip"), "a page, gzipped")
    conn.close()
    page = json.loads(gzip.decompress(raw))
    eq((page["cursor"], page["page"], page["pages"], len(page["changes"])), (head["cursor"], 3, 10, 7),
       "page 3 of 10")
    whole = get_json(coord.port, "/v1/snapshot", env.tokens["a"])
    eq(len(whole["changes"]), 64, "the whole snapshot in one answer")
    st, _, body = http_call(coord.port, "GET", "/v1/snapshot?cursor=%d&page=10" % head["cursor"],
                            env.tokens["a"])
    eq((st, json.loads(body)["error"]), (404, "not_found"), "a page past the end")
    st, _, body = http_call(coord.port, "GET", "/v1/snapshot?cursor=1&page=0", env.tokens["a"])
    eq((st, json.loads(body)["error"]), (410, "snapshot_gone"), "a snapshot no longer kept")
    st, _, body = http_call(coord.port, "GET", "/v1/snapshot?cursor=x&page=0", env.tokens["a"])
    eq(st, 400, "a bad cursor (%r)" % body)


def test_retry_after(env):
    """The coordinator's 503 `unavailable` with `Retry-After: 3` (what it
    answers at its connection limits): usher-syncd waits at least that long
    before it asks again (its own backoff would retry within 2 s), keeps the
    op pending, and sends it once the coordinator takes requests again."""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk")))
    coord = env.coord()
    fake = FakeCoord(coord.port)
    try:
        s = env.syncd("a", fake.url)
        s.wait_online("device a bootstrapped through the proxy")
        fake.mode = "retry_after"
        op = s.op("assign", "GALA-0001", "T02-01")
        wait_until(lambda: len(fake.times["/v1/sync"]) >= 3, slow(20), "three 503 answers")
        t = fake.times["/v1/sync"][:3]
        gaps = [b - a for a, b in zip(t, t[1:])]
        check(all(g >= 2.9 for g in gaps), "retries came sooner than Retry-After: %r" % gaps)
        eq(s.dump("outbox")[0]["state"], "pending", "the op waits")
        check(s.alive(), "usher-syncd stopped on a 503 (stderr: %s)" % s.stderr()[-800:])
        fake.mode = "proxy"
        wait_until(lambda: s.verdict(op).startswith("accepted"), slow(10), "accepted after the 503s")
    finally:
        fake.close()


def test_middlebox_pages(env):
    """Something on the way answering in the coordinator's place (a hotel
    network's HTML 400/401/403/502 pages, a proxy's own JSON 403, a captive
    portal's 200): usher-syncd neither records an op as rejected nor stops,
    for the first snapshot as for sync rounds; the ops stay pending and are
    accepted once the way is clear. (Before, an HTML 400 rejected the guest's
    assign locally and stopped syncd; a 403 page stopped it with exit 3.)"""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk"), ("b", "kiosk")))
    admin = env.tokens["admin"]
    coord = env.coord()
    fake = FakeCoord(coord.port)
    try:
        fake.paths = {"/v1/sync", "/v1/snapshot"}
        for mode in ("html403", "html401", "html400"):
            fake.mode = mode
            b = env.syncd("b", fake.url)
            wait_until(lambda: fake.counts[("/v1/snapshot", mode)] >= 2, slow(8),
                       "device b asking for the snapshot again behind a %s page" % mode)
            check(b.alive(), "usher-syncd stopped on a %s page before its snapshot (stderr: %s)"
                  % (mode, b.stderr()[-1500:]))
            b.stop()
        fake.mode = "proxy"
        b.start()
        b.wait_online("device b bootstrapped once the page is gone")
        s = env.syncd("a", fake.url)
        s.wait_online("device a bootstrapped through the proxy")
        modes = [("html400", "not in the coordinator's words"), ("html403", "not in the coordinator's words"),
                 ("html401", "not in the coordinator's words"), ("html502", "not in the coordinator's words"),
                 ("proxy_json403", "not in the coordinator's words"), ("html", "garbled answer")]
        ids = []
        for i, (mode, text) in enumerate(modes):
            fake.mode = mode
            ids.append(s.op("assign", "GALA-%04d" % (i + 1), "T02-%02d" % (i + 1)))
            seen = fake.counts[("/v1/sync", mode)]
            st = wait_until(lambda: (lambda x: x if fake.counts[("/v1/sync", mode)] >= seen + 2 and not x["online"]
                                     and text in (x["last_error"] or "") else None)(s.status()),
                            slow(10), "status after %s answers" % mode)
            check(s.alive(), "usher-syncd stopped on a %s answer (stderr: %s)" % (mode, s.stderr()[-1500:]))
            eq((st["pending"], st["rejected"]), (len(ids), 0), "pending and rejected after %s answers" % mode)
            eq([(r["id"], r["state"]) for r in s.dump("outbox")], [(x, "pending") for x in ids],
               "outbox after %s answers" % mode)
        fake.mode = "proxy"
        wait_until(lambda: (lambda x: x if x["online"] and x["pending"] == 0 else None)(s.status()),
                   slow(8), "pending ops drained once the way is clear")
        for i in ids:
            eq(s.verdict(i), "accepted,,", "verdict of op %s once the way is clear" % i)
        want = {"T02-%02d" % (i + 1): "GALA-%04d" % (i + 1) for i in range(len(modes))}
        eq(coord_taken(coord, admin), want, "coordinator's taken seats")
        wait_until(lambda: device_taken(b) == want, slow(15),
                   "device b sees a's guests seated (at its next 10 s poll: its event stream is idle)")
        integrity_ok(s.db)
    finally:
        fake.close()


def test_events_error_backoff(env):
    """The coordinator (or a proxy before it) answering errors on both
    /v1/events and /v1/sync: usher-syncd backs off (capped at 2 s) instead of
    retrying as fast as the event stream reconnects."""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk")))
    coord = env.coord()
    fake = FakeCoord(coord.port)
    try:
        fake.events_status = 503
        s = env.syncd("a", fake.url)
        s.wait_online()
        fake.mode = "500"
        s.op("assign", "GALA-0001", "T01-01")
        wait_until(lambda: not s.status()["online"], slow(5), "offline on 500s")
        time.sleep(2)  # let the backoff reach its cap
        n0, e0 = fake.counts[("/v1/sync", "500")], fake.counts[("/v1/events", "events")]
        time.sleep(4)
        n = fake.counts[("/v1/sync", "500")] - n0
        e = fake.counts[("/v1/events", "events")] - e0
        # Capped at 2 s with jitter (1 to 2 s apart): at most 4 or 5 in 4 s.
        check(n <= 6, "%d sync requests in 4 s while the coordinator answers 500 (event stream "
                      "reconnected %d times): the backoff is not applied" % (n, e))
        check(e <= 6, "the event stream reconnected %d times in 4 s to a 503" % e)
        print("  (%d sync requests, %d event-stream connections in 4 s)" % (n, e), flush=True)
        check(s.alive(), "usher-syncd died")
    finally:
        fake.close()


def test_fresh_journal_open_race(env):
    """A brand-new device: the kiosk (here `usher-syncd status`, the same
    journal_open) opens the journal while usher-syncd is creating it. It may
    find no file yet, but must never call it "not an Usher database". The race
    window is narrow, so this tries many fresh journals with three readers each
    (it can miss the bug, never invent it)."""
    bad = []
    for i in range(40):
        db = env.path("fresh%d.journal" % i)
        p = subprocess.Popen([it.SYNCD, "run", "--db", db, "--coordinator", "http://127.0.0.1:9",
                              "--token", "A" * 52], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             preexec_fn=die_with_parent)

        def reader():
            deadline = time.monotonic() + slow(1)
            while time.monotonic() < deadline:
                r = subprocess.run([it.SYNCD, "status", "--db", db], capture_output=True)
                err = r.stderr.decode("utf-8", "replace")
                if r.returncode == 0:
                    return
                if "does not exist" not in err:
                    bad.append(err.strip())
                    return

        ts = [threading.Thread(target=reader) for _ in range(3)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        p.terminate()
        _, err = p.communicate(timeout=slow(10))
        no_sanitizer_report(err.decode("utf-8", "replace"), "usher-syncd run")
        for e in bad:
            no_sanitizer_report(e, "usher-syncd status")
        check(not bad, "opening a journal usher-syncd is creating failed (try %d): %s" % (i + 1, bad[0] if bad else ""))


def stream_applied(dev):
    """How many changes a stopped usher-syncd said it applied from the stream."""
    m = re.search(r"(\d+) changes applied from the event stream", dev.stderr())
    check(m, "%s did not say what it applied from the event stream: %s" % (dev.name, dev.stderr()[-400:]))
    return int(m.group(1))


def test_stream_changes(env):
    """Idle devices take one device's changes from the event stream, not by a
    sync each: four idle devices converge on 24 assigns made one after the
    other on device a, and the coordinator serves far fewer syncs than the
    4 x 24 a sync per change per device would be."""
    idle = ("b", "c", "d", "e")
    env.setup(devices=(("admin", "admin"), ("a", "kiosk")) + tuple((n, "kiosk") for n in idle))
    coord = env.coord()
    a = env.syncd("a", coord.url)
    others = [env.syncd(n, coord.url) for n in idle]
    for d in [a] + others:
        d.wait_online()
    wait_converged(coord, [a] + others, env.tokens["admin"], slow(10))
    syncs0, seq0 = metric(coord, "usher_syncs_total"), metric(coord, "usher_last_seq")
    ops = 24
    for i in range(ops):
        op = a.op("assign", "GALA-%04d" % (i + 1), "T%02d-%02d" % (i // 8 + 1, i % 8 + 1))
        wait_until(lambda: a.verdict(op).startswith("accepted"), slow(5), "assign %d accepted" % i)
    sts = wait_converged(coord, [a] + others, env.tokens["admin"], slow(10))
    syncs = metric(coord, "usher_syncs_total") - syncs0
    changes = metric(coord, "usher_last_seq") - seq0
    for d in others:
        eq(d.seats(), a.seats(), "%s's seats and a's" % d.device)
    eq(len({s["cursor"] for s in sts}), 1, "every device at one cursor")
    check(changes >= ops, "%d changes for %d assigns" % (changes, ops))
    # a syncs about once per assign; the idle devices only now and then
    # (their 10 s poll, a reconnect), not once per change.
    limit = ops * 2 + len(idle) * 3
    check(syncs <= limit, "%d syncs served for %d changes on %d idle devices (at most %d expected; a sync "
          "per change per device would be %d)" % (syncs, changes, len(idle), limit, changes * len(idle)))
    applied = []
    for d in others:
        d.stop()
        applied.append(stream_applied(d))
    check(sum(applied) >= changes * len(idle) // 2,
          "the idle devices applied %r changes from the stream, of %d each" % (applied, changes))
    print("  (%d syncs for %d changes, 1 busy + %d idle devices; applied from the stream: %r)"
          % (syncs, changes, len(idle), applied), flush=True)


def test_stream_gap_and_garbage(env):
    """A change missed on the stream (a frame dropped on the way: its seq
    leaves a gap) and a change whose data line is malformed are each pulled
    by a sync round at once, not at the next poll; the changes that follow
    on each other are applied with no sync."""
    env.setup(devices=(("admin", "admin"), ("b", "kiosk")))
    admin = env.tokens["admin"]
    coord = env.coord()
    fake = FakeCoord(coord.port)
    fake.relay_events = True
    try:
        b = env.syncd("b", fake.url)
        b.wait_online()
        wait_converged(coord, [b], admin, slow(10))
        seats = iter("T%02d-%02d" % (t, s) for t in range(1, 5) for s in range(1, 9))
        tickets = iter("GALA-%04d" % i for i in range(1, 61))

        def move():
            seat, ticket = next(seats), next(tickets)
            st, _, body = http_call(coord.port, "POST", "/v1/tickets/%s/move" % ticket, admin,
                                    json.dumps({"seat": seat}))
            eq(st, 200, "move (%r)" % body[:200])
            return seat, ticket

        def seen(pairs, what):
            wait_until(lambda: all(b.seats()[s] == ("taken", t) for s, t in pairs), slow(3),
                       "b sees %s (before its 10 s poll)" % what)

        syncs = lambda: fake.counts[("/v1/sync", "proxy")]
        s0 = syncs()
        for i in range(5):
            seen([move()], "move %d" % i)
        check(syncs() - s0 <= 1, "%d syncs for 5 moves that came whole on the stream" % (syncs() - s0))
        s1 = syncs()
        fake.drop_frames = 1
        pairs = [move(), move()]
        seen(pairs, "the moves after a dropped frame")
        eq(fake.counts["dropped"], 1, "frames dropped")
        check(syncs() > s1, "no sync pulled the dropped change")
        s2 = syncs()
        fake.garble_frames = 1
        pairs = [move()]
        seen(pairs, "a move whose frame was malformed")
        eq(fake.counts["garbled"], 1, "frames garbled")
        check(syncs() > s2, "no sync pulled the malformed change")
        wait_converged(coord, [b], admin, slow(10))
        eq(device_taken(b), coord_taken(coord, admin), "b's taken seats and the coordinator's")
        b.stop()
        check(stream_applied(b) >= 5, "b applied the whole frames from the stream")
        check(b.proc.returncode == 0, "b exited %r" % b.proc.returncode)
    finally:
        fake.close()


def test_offline_policy_refused(env):
    """An offline policy usher-syncd does not have is refused with a message,
    never silently ignored: an unknown name always, and `lease` while it is not
    implemented (once `run --help` offers it, the lease.* tests cover it)."""
    env.setup(devices=(("admin", "admin"), ("a", "kiosk")))
    coord = env.coord()
    lease_offered = "lease" in env.tool([it.SYNCD, "run", "--help"])
    policies = ["sometimes"] + ([] if lease_offered else ["lease"])
    for n, policy in enumerate(policies):
        s = Syncd(env, "a", coord.url, extra=("--offline-policy", policy))
        s.name += "-%s" % policy
        s.start()
        try:
            rc = s.proc.wait(timeout=slow(5))
        except subprocess.TimeoutExpired:
            raise Fail("usher-syncd --offline-policy %s still runs after %d s" % (policy, slow(5)))
        err = s.stderr()
        check(rc != 0, "--offline-policy %s exited 0 (stderr %r)" % (policy, err))
        check("--offline-policy" in err and "optimistic" in err,
              "the refusal of %r does not name the option and what is available: %r" % (policy, err))
        check(len(err.strip().splitlines()) == 1, "the refusal is not one line: %r" % err)
    devices = {d["id"]: d for d in get_list(coord.port, "/v1/devices", env.tokens["admin"], "devices")}
    eq(devices["a"]["last_seen"], None, "a refused device contacted the coordinator")
    s2 = env.syncd("a", coord.url, extra=("--offline-policy", "optimistic"))
    s2.wait_online("--offline-policy optimistic runs")
    if lease_offered:
        print("  (lease is offered by this build: only an unknown policy was checked)", flush=True)


# =============================================================================


if __name__ == "__main__":
    sys.exit(it.run("usher-syncd integration tests", globals(),
                    options=(("--kill-ops", int, 400, "kill9_loop: ops to append"),
                             ("--kills", int, 50, "kill9_loop: kill -9s to deliver"))))

#!/usr/bin/env python3
"""test_limits.py - usher-coord at its limits: a flood of idle connections from
one address, connections and event streams past their limits (503 with
Retry-After), deadlines for headers and bodies, hung-up streams freeing their
slot, the open-file limit, and /metrics checked by promtool
(tests/integration/README.md).

Real usher-coord processes on 127.0.0.1 (127.0.0.2, also loopback, plays a
second client address); raw sockets where a well-behaved client would not do.
"""

import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

import usher_it as it
from usher_it import Fail, Skip, check, eq, slow

PROBE = "127.0.0.2"  # another loopback address: another client as far as the limits go


def now_iso():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def op(kind, **fields):
    o = {"id": str(uuid.uuid4()), "kind": kind, "at": now_iso()}
    o.update(fields)
    return o


def setup(env, *extra):
    env.setup(devices=(("admin", "admin"), ("k1", "kiosk"), ("k2", "kiosk")))
    return env.coord(extra=list(extra))


def connect(port, source=None, timeout=10):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    return s


def read_reply(s):
    """One whole HTTP response from socket s: (status, headers dict, body) or
    None when the server closed the connection without one."""
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            chunk = b""
        if not chunk:
            return None
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "-1"))
    while n >= 0 and len(body) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def request(port, method, path, token=None, body=None, source=None, timeout=10):
    """One request on a fresh connection (from source): (status, headers, body);
    Fail when the server closes it unanswered."""
    s = connect(port, source, timeout)
    try:
        payload = b"" if body is None else body.encode()
        head = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" % (method, path)
        if token:
            head += "Authorization: Bearer %s\r\n" % token
        if body is not None:
            head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(payload)
        s.sendall(head.encode() + b"\r\n" + payload)
        r = read_reply(s)
        check(r is not None, "%s %s from %s: the connection closed without an answer" %
              (method, path, source or "127.0.0.1"))
        return r
    finally:
        s.close()


def metrics(port, source=PROBE):
    status, _, body = request(port, "GET", "/metrics", source=source)
    eq(status, 200, "GET /metrics status")
    out = {}
    for line in body.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out, body


def refused(m, limit):
    return m['usher_refusals_total{limit="%s"}' % limit]


def closed_by_server(s, seconds):
    """True when the server closes s within seconds (reads return EOF or reset)."""
    s.settimeout(seconds)
    try:
        while True:
            if not s.recv(4096):
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def expect_503(r, what):
    status, headers, body = r
    eq(status, 503, what + ": status")
    ra = headers.get("retry-after", "")
    check(re.fullmatch(r"[1-9][0-9]*", ra), what + ": Retry-After %r is not a number of seconds" % ra)
    eq(headers.get("connection", "").lower(), "close", what + ": Connection header")
    j = json.loads(body)
    eq(j.get("error"), "unavailable", what + ": error code")
    check("retry" in j.get("message", ""), what + ": the message says to retry: %r" % j)


def open_stream(port, token, source=None):
    """GET /v1/events; returns (socket, status, headers, first bytes)."""
    s = connect(port, source)
    s.sendall(("GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
               "Accept: text/event-stream\r\n\r\n" % token).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else None
    return s, status, data


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n if hard == resource.RLIM_INFINITY else min(n, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < n:
        raise Skip("this process may open only %d files, the test needs %d" % (want, n))


# =============================================================================


def test_flood_from_one_address(env):
    """5,000 idle connections from 127.0.0.1: the coordinator keeps its
    per-address share (--per-address, default 256) and closes the rest at
    once; a client on 127.0.0.2 meanwhile syncs, and what it did is right. The
    idle ones it kept are cut at the header deadline."""
    raise_nofile(5400)
    c = setup(env, "--header-timeout", "3")
    k1, admin = env.tokens["k1"], env.tokens["admin"]
    flood = []
    try:
        for _ in range(5000):
            flood.append(connect(c.port, timeout=slow(20)))
        # Every connection is accepted by the kernel; the coordinator decides.
        m, _ = metrics(c.port)
        check(m["usher_http_connections"] <= 256 + 1,
              "the flood holds %d connections, more than its address's 256" % m["usher_http_connections"])
        it.wait_until(lambda: refused(metrics(c.port)[0], "address") >= 5000 - 256, slow(20),
                      "refusals at the per-address limit")
        # Another address syncs as ever: an assign accepted and visible.
        body = json.dumps({"cursor": 0, "ops": [op("assign", ticket="GALA-0002", seat="T02-03")]})
        status, _, reply = request(c.port, "POST", "/v1/sync", k1, body, source=PROBE)
        eq(status, 200, "a sync from 127.0.0.2 during the flood")
        v = json.loads(reply)["verdicts"]
        eq([x["status"] for x in v], ["accepted"], "the probe's verdict")
        status, _, reply = request(c.port, "GET", "/v1/seats", admin, source=PROBE)
        seats = {s["id"]: s for s in json.loads(reply)["seats"]}
        eq((seats["T02-03"]["state"], seats["T02-03"].get("ticket")), ("taken", "GALA-0002"),
           "T02-03 after the probe's assign")
        eq(request(c.port, "GET", "/healthz", source=PROBE)[0], 200, "/healthz from 127.0.0.2")
        # The flood's share sent nothing: cut at the header deadline (3 s).
        it.wait_until(lambda: metrics(c.port)[0]["usher_http_connections"] <= 1, slow(15),
                      "the idle flood connections cut at the header deadline")
        m, _ = metrics(c.port)
        check(refused(m, "header_deadline") >= 250, "header-deadline cuts: %r" % refused(m, "header_deadline"))
        # ...which frees the address: 127.0.0.1 is served again.
        eq(request(c.port, "GET", "/healthz")[0], 200, "/healthz from 127.0.0.1 after the cut")
    finally:
        for s in flood:
            s.close()
    check(c.alive(), "the coordinator survived the flood")


def test_connection_limit_503(env):
    """Past --max-connections a request is answered 503 with Retry-After at
    once (never left hanging) and changes nothing; closing connections makes
    room again."""
    c = setup(env, "--max-connections", "10", "--per-address", "0", "--header-timeout", "60")
    k1, admin = env.tokens["k1"], env.tokens["admin"]
    idle = [connect(c.port) for _ in range(10)]
    try:
        # Once the server (not only the kernel) has accepted them all, a request is refused.
        it.wait_until(lambda: request(c.port, "GET", "/healthz", timeout=slow(5))[0] == 503, slow(5),
                      "a 503 once 10 connections are open")
        expect_503(request(c.port, "GET", "/healthz", timeout=slow(5)), "/healthz over the limit")
        body = json.dumps({"cursor": 0, "ops": [op("assign", ticket="GALA-0003", seat="T03-01")]})
        expect_503(request(c.port, "POST", "/v1/sync", k1, body, timeout=slow(5)), "a sync over the limit")
        for s in idle[:5]:
            s.close()
        it.wait_until(lambda: request(c.port, "GET", "/healthz")[0] == 200, slow(5),
                      "/healthz once connections closed")
        status, _, reply = request(c.port, "GET", "/v1/seats", admin)
        seat = [s for s in json.loads(reply)["seats"] if s["id"] == "T03-01"][0]
        eq(seat["state"], "free", "the refused sync changed nothing")
        m, _ = metrics(c.port, source=None)
        check(refused(m, "connections") >= 3, "refusals at the connection limit: %r" % m)
        eq(m["usher_http_connections_max"], 10, "usher_http_connections_max")
    finally:
        for s in idle:
            s.close()


def test_stream_limits(env):
    """--max-streams and --streams-per-device: a stream past either is 503
    with Retry-After; the organisers' token is exempt from the per-device cap
    only; a stream whose client hangs up frees its slot at once (not at the
    next keep-alive, 15 s later)."""
    c = setup(env, "--max-streams", "3", "--streams-per-device", "2")
    k1, k2, admin = env.tokens["k1"], env.tokens["k2"], env.tokens["admin"]
    socks = []
    try:
        for tok, want in ((k1, 200), (k1, 200)):
            s, status, _ = open_stream(c.port, tok)
            socks.append(s)
            eq(status, want, "a kiosk's stream")
        s, status, data = open_stream(c.port, k1)
        s.close()
        eq(status, 503, "a kiosk's third stream (2 per device)")
        check(b"Retry-After: 5" in data, "its Retry-After: %r" % data[:300])
        s, status, _ = open_stream(c.port, k2)
        socks.append(s)
        eq(status, 200, "another kiosk's stream")
        s, status, data = open_stream(c.port, admin)
        s.close()
        eq(status, 503, "a fourth stream (3 in all), the organisers' token")
        m, _ = metrics(c.port)
        eq((m["usher_event_streams"], refused(m, "device_streams"), refused(m, "streams")), (3, 1, 1),
           "streams open, refusals by limit")
        # A listener hangs up: its slot is free well before any keep-alive.
        socks.pop(0).close()
        it.wait_until(lambda: metrics(c.port)[0]["usher_event_streams"] == 2, slow(3),
                      "the closed stream's slot freed")
        s, status, _ = open_stream(c.port, admin)
        socks.append(s)
        eq(status, 200, "a new stream in the freed slot")
        # The remaining streams still hear changes.
        body = json.dumps({"cursor": 0, "ops": [op("assign", ticket="GALA-0004", seat="T04-04")]})
        eq(request(c.port, "POST", "/v1/sync", k2, body)[0], 200, "a sync")
        for s in socks:
            s.settimeout(slow(3))
            got = b""
            while b"T04-04" not in got:
                chunk = s.recv(65536)
                check(chunk, "a stream ended before its event")
                got += chunk
    finally:
        for s in socks:
            s.close()


def test_deadlines(env):
    """A request's headers must be in within --header-timeout of the
    connection (even dripped a byte at a time, which an idle timeout misses),
    its body within --body-timeout: else the connection is closed and nothing
    changes. A client that behaves is served on a kept-alive connection."""
    c = setup(env, "--header-timeout", "2", "--body-timeout", "2")
    k1 = env.tokens["k1"]
    half = connect(c.port)
    half.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    drip = connect(c.port)
    body = json.dumps({"cursor": 0, "ops": [op("assign", ticket="GALA-0005", seat="T01-05")]}).encode()
    slow_body = connect(c.port)
    slow_body.sendall(("POST /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                       "Content-Length: %d\r\n\r\n" % (k1, len(body))).encode() + body[:10])
    try:
        t_end = time.monotonic() + slow(6)
        drip_cut = False
        for b in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200:
            if time.monotonic() > t_end:
                break
            try:
                drip.sendall(bytes([b]))
            except OSError:
                drip_cut = True
                break
            drip.settimeout(0.3)
            try:
                if drip.recv(1) == b"":
                    drip_cut = True
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                drip_cut = True
                break
        check(drip_cut, "a request dripped a byte at a time was not cut at the header deadline")
        check(closed_by_server(half, slow(5)), "half a request's headers: not closed")
        check(closed_by_server(slow_body, slow(5)), "a body that stopped coming: not closed")
        m, _ = metrics(c.port)
        check(refused(m, "header_deadline") >= 2, "header-deadline cuts: %r" % m)
        eq(refused(m, "body_deadline"), 1, "body-deadline cuts")
        eq(m["usher_ops_total{verdict=\"accepted\"}"], 0, "the cut request applied nothing")
        # A kept-alive connection used well lives on past the deadlines.
        s = connect(c.port)
        for i in range(3):
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            r = read_reply(s)
            check(r is not None and r[0] == 200, "request %d on a kept-alive connection: %r" % (i, r))
            time.sleep(1.2)
        s.close()
    finally:
        for s in (half, drip, slow_body):
            s.close()


def test_metrics_promtool(env):
    """/metrics passes `promtool check metrics` (Debian's prometheus package)
    with every metric in use, and the new ones count what happened."""
    promtool = shutil.which("promtool")
    if not promtool:
        raise Skip("promtool is not installed (scripts/deps test installs prometheus)")
    c = setup(env)
    k1, admin = env.tokens["k1"], env.tokens["admin"]
    s, status, _ = open_stream(c.port, admin)
    try:
        eq(status, 200, "a stream")
        eq(request(c.port, "GET", "/v1/snapshot", k1)[0], 200, "a snapshot")
        for i in range(3):
            body = json.dumps({"cursor": 0, "ops": [op("hold", seat="T01-0%d" % (i + 1))]})
            eq(request(c.port, "POST", "/v1/sync", k1, body)[0], 200, "a sync")
        m, text = metrics(c.port)
        p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, timeout=slow(30))
        eq((p.returncode, p.stdout + p.stderr), (0, b""), "promtool check metrics")
        eq(m["usher_snapshot_builds_total"], 1, "snapshot builds")
        eq(m["usher_event_streams"], 1, "event streams open")
        eq(m["usher_devices_online"], 1, "devices online (k1 synced)")
        check(m["usher_http_connections"] >= 2, "connections open: the stream and /metrics")
        groups = m["usher_commit_groups_total"]
        check(groups >= 3, "commit groups: %r" % groups)
        eq(m["usher_commit_duration_seconds_count"], groups, "histogram count = commit groups")
        eq(m['usher_commit_duration_seconds_bucket{le="+Inf"}'], groups, "+Inf bucket = count")
        buckets = [(float(k.split('"')[1]), v) for k, v in m.items()
                   if k.startswith("usher_commit_duration_seconds_bucket") and "+Inf" not in k]
        check(len(buckets) >= 8, "histogram buckets: %r" % buckets)
        vals = [v for _, v in sorted(buckets)]
        check(vals == sorted(vals), "buckets are cumulative: %r" % vals)
        for name in ("usher_commit_failures_total", "usher_seats", "usher_tickets", "usher_last_seq"):
            check(("# HELP %s " % name).encode() in text and ("# TYPE %s " % name).encode() in text,
                  "%s has HELP and TYPE" % name)
    finally:
        s.close()


def test_many_devices_online(env):
    """40 devices (more than the coordinator's first table of 16, which grows
    and is re-indexed twice) each sync twice: /metrics counts 40 online once
    each, and /v1/devices has every device's own cursor."""
    c = setup(env)
    names = ["dev-%02d" % i for i in range(40)]
    for n in names:
        env.add_device(n, "kiosk")
    cursors = {}
    for rnd in range(2):
        for i, n in enumerate(names):
            cur = i if rnd else 0
            body = json.dumps({"cursor": cur, "ops": []})
            status, _, reply = request(c.port, "POST", "/v1/sync", env.tokens[n], body)
            eq(status, 200, "%s's sync" % n)
            cursors[n] = cur
    m, _ = metrics(c.port)
    eq(m["usher_devices_online"], 40, "devices online")
    def devices_right():
        ds = json.loads(request(c.port, "GET", "/v1/devices", env.tokens["admin"])[2])["devices"]
        got = {d["id"]: d.get("cursor") for d in ds if d["id"] in cursors}
        return got == cursors
    it.wait_until(devices_right, slow(10), "every device's cursor in /v1/devices")


def test_open_file_limit(env):
    """usher-coord raises its soft open-file limit to the hard one, and with
    too few files for --max-connections it serves fewer, saying so."""
    prlimit, setpriv = shutil.which("prlimit"), shutil.which("setpriv")
    if not prlimit or not setpriv:
        raise Skip("prlimit and setpriv (util-linux) are not installed")
    env.setup()
    c = it.Coord(env, it.free_port(), ["--max-connections", "2000"])
    # Without CAP_SYS_RESOURCE (as a systemd service runs it), so that root
    # cannot raise the hard limit either.
    drop = [setpriv, "--bounding-set=-sys_resource"] if os.geteuid() == 0 else []
    c.argv = drop + [prlimit, "--nofile=256:1024", "--"] + c.argv
    c.start()
    with open("/proc/%d/limits" % c.proc.pid) as f:
        line = [l for l in f if l.startswith("Max open files")][0].split()
    eq(line[3:5], ["1024", "1024"], "soft and hard open-file limits of the server")
    m, _ = metrics(c.port, source=None)
    n = m["usher_http_connections_max"]
    check(500 < n < 1024 - 128, "connections allowed with 1024 files: %r" % n)
    check("open-file limit (1024) allows %d connections, not 2000" % n in c.stderr(),
          "the server says why: %r" % c.stderr())
    check("LimitNOFILE=" in c.stderr(), "and how to raise it: %r" % c.stderr())


if __name__ == "__main__":
    sys.exit(it.run("usher-coord limits integration tests", globals(), binaries=("coord",)))

#!/usr/bin/env python3
"""test_rush.py - the guest rush (scripts/rush, tests/bench/rush.c) end to end:
real usher-coord, real usher-syncd processes on real journals, on 127.0.0.1 in
a temporary folder (tests/integration/README.md).

    python3 test_rush.py --coord PATH --syncd PATH --build BUILD_DIR [NAME ...]

BUILD_DIR holds tests/bench/rush (scripts/rush takes every binary from it).
Runs the named tests (all when none), prints "ok NAME", "skip NAME: why" or
"FAIL NAME: why" for each and exits 0 when all passed, 77 when nothing failed
but something was skipped, else 1. Python 3 standard library only.
"""

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import usher_it as it
from usher_it import Fail, check, die_with_parent, eq, no_sanitizer_report, slow

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INVARIANTS = ("no seat twice on the coordinator", "no seat twice in any device journal",
              "every device converged", "every decided op is in the coordinator's op log",
              "every assign's verdict holds in the final seats")


def rush_bin(env):
    return os.path.join(os.path.abspath(env.options["build"]), "tests", "bench", "rush")


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def run(argv, timeout, env=None):
    p = subprocess.run(argv, capture_output=True, timeout=timeout, env=env, stdin=subprocess.DEVNULL,
                       preexec_fn=die_with_parent)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def report(out):
    """The invariant lines {invariant: 'ok'|'FAIL'} and the rush-result figures."""
    lines = {}
    for line in out.splitlines():
        m = re.match(r"^  (ok|FAIL) +(.*)$", line)
        if m:
            for name in INVARIANTS:
                if m.group(2).startswith(name):
                    check(name not in lines, "invariant %r reported twice" % name)
                    lines[name] = m.group(1)
    m = re.search(r"^rush-result (.*)$", out, re.M)
    check(m, "no rush-result line in:\n" + out)
    figures = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    return lines, figures


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="usher-rush-it-")
        self.server = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def coord(self, *args):
        rc, out, err = run([it.COORD] + list(args), slow(30))
        no_sanitizer_report(err, "usher-coord " + args[0])
        eq(rc, 0, "usher-coord %s exit status (stderr: %s)" % (" ".join(args[:2]), err))
        return out.strip()

    def serve(self, db):
        self.out = open(self.path("serve.out"), "wb")  # a new start, a new port
        self.err = open(self.path("serve.err"), "ab")
        self.server = subprocess.Popen([it.COORD, "serve", "--db", db, "--listen", "127.0.0.1:0"],
                                       stdout=self.out, stderr=self.err, stdin=subprocess.DEVNULL,
                                       preexec_fn=die_with_parent)
        deadline = time.monotonic() + slow(10)
        while time.monotonic() < deadline:
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", read_text(self.path("serve.out")))
            if m:
                return m.group(1)
            check(self.server.poll() is None, "serve exited: " + read_text(self.path("serve.err")))
            time.sleep(0.02)
        raise Fail("serve printed no 'listening on' line")

    def stop_server(self):
        if not self.server:
            return
        self.server.send_signal(signal.SIGTERM)
        try:
            rc = self.server.wait(timeout=slow(20))
        except subprocess.TimeoutExpired:
            self.server.kill()
            self.server.wait()
            raise Fail("usher-coord serve did not stop within 20 s of SIGTERM")
        finally:
            self.server = None
            self.out.close()
            self.err.close()
        no_sanitizer_report(read_text(self.path("serve.err")), "usher-coord serve")
        eq(rc, 0, "usher-coord serve exit status on SIGTERM")

    def cleanup(self, failed=False):
        keep = failed
        if self.server:
            self.server.kill()
            self.server.wait()
        if keep:
            os.rename(self.dir, self.dir + ".failed")
            print("  kept %s.failed" % self.dir, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def test_short_rush(env):
    """scripts/rush with its own coordinator: 5 kiosks, 80 guests, links cut
    and restored; every invariant holds and the report adds up."""
    environ = dict(os.environ, TMPDIR=env.dir)
    rc, out, err = run([os.path.join(TOP, "scripts", "rush"), "--build", os.path.abspath(env.options["build"]), "--devices", "5",
                        "--guests", "80", "--seconds", "4", "--seed", "11", "--keep"],
                       slow(90), environ)
    for name in os.listdir(env.dir):  # the folder scripts/rush kept: every process's log
        sub = os.path.join(env.dir, name)
        for f in os.listdir(sub) if os.path.isdir(sub) else []:
            if f.endswith(".log"):
                no_sanitizer_report(read_text(os.path.join(sub, f)), f)
    no_sanitizer_report(err, "scripts/rush")
    eq(rc, 0, "scripts/rush exit status (stdout:\n%s\nstderr:\n%s)" % (out, err))
    lines, fig = report(out)
    eq(lines, {name: "ok" for name in INVARIANTS}, "invariant lines")
    check("RESULT: ok" in out, "no 'RESULT: ok' line")
    eq(fig["invariants_failed"], 0, "invariants_failed")
    eq((fig["devices"], fig["guests"]), (5, 80), "devices and guests")
    # Every decided op was re-sent; each confirmed party wrote one assign per guest.
    eq(fig["replayed"], fig["ops"], "ops re-sent to the coordinator")
    eq(fig["accepted"] + fig["rejected"], fig["ops"], "verdicts")
    check(fig["seated"] <= 80 and fig["ops"] >= fig["seated"], "seated %d of 80 with %d ops"
          % (fig["seated"], fig["ops"]))
    check(fig["converge_ms"] >= 0, "converged")
    check(fig["parties"] >= 20, "80 guests in parties of at most 4: %d parties" % fig["parties"])


def test_checks_fail(env):
    """The checks can fail: a rush on a coordinator of its own, then a device
    journal whose replica lost a seat, then a coordinator that lost an accepted
    op: --check-only reports each, exit 1."""
    db = env.path("coord.db")
    env.coord("init", "--db", db, "--layout", "gala:25x10")
    env.coord("tickets", "generate", "--db", db, "--count", "30")
    admin = env.coord("device", "add", "--db", db, "--name", "organiser", "--role", "admin")
    kiosks = [env.coord("device", "add", "--db", db, "--name", "k%d" % i, "--role", "kiosk")
              for i in range(3)]
    url = env.serve(db)
    common = ["--url", url, "--admin-token", admin, "--dir", env.dir, "--devices", "3"]
    rc, out, err = run([rush_bin(env), "--syncd", it.SYNCD, "--tokens", ",".join(kiosks), "--guests", "30",
                        "--seconds", "2", "--seed", "5", "--no-drops"] + common, slow(60))
    no_sanitizer_report(err, "rush")
    eq(rc, 0, "rush exit status (stdout:\n%s\nstderr:\n%s)" % (out, err))
    lines, fig = report(out)
    eq(lines, {name: "ok" for name in INVARIANTS}, "invariant lines of the real rush")
    eq(fig["drops"], 0, "links cut with --no-drops")

    rc, out, err = run([rush_bin(env), "--check-only"] + common, slow(60))
    no_sanitizer_report(err, "rush --check-only")
    eq(rc, 0, "--check-only on the untouched rush (stdout:\n%s\nstderr:\n%s)" % (out, err))

    # Device 2 forgets who sits on one seat.
    j2 = env.path("dev-2.journal")
    con = sqlite3.connect(j2)
    seat, ticket = con.execute("SELECT id, ticket FROM r_seats WHERE ticket != '' LIMIT 1").fetchone()
    with con:
        con.execute("UPDATE r_seats SET ticket = '' WHERE id = ?", (seat,))
    rc, out, err = run([rush_bin(env), "--check-only"] + common, slow(60))
    no_sanitizer_report(err, "rush --check-only")
    eq(rc, 1, "--check-only with a tampered journal (stdout:\n%s\nstderr:\n%s)" % (out, err))
    lines, fig = report(out)
    eq(lines["every device converged"], "FAIL", "converged line with device 2 tampered")
    eq(lines["no seat twice on the coordinator"], "ok", "the coordinator is fine")
    check(re.search(r"device 2: 1 seats differ", out), "names device 2 and one seat:\n" + out)
    with con:
        con.execute("UPDATE r_seats SET ticket = ? WHERE id = ?", (ticket, seat))
    con.close()

    # The coordinator loses an accepted assign from its op log (stopped first: its
    # state is in memory), then serves again.
    env.stop_server()
    con = sqlite3.connect(db)
    with con:
        (op_id,) = con.execute("SELECT id FROM ops WHERE kind = 'assign' AND status = 'accepted' "
                               "ORDER BY seq DESC LIMIT 1").fetchone()
        con.execute("UPDATE changes SET op_id = '' WHERE op_id = ?", (op_id,))
        con.execute("DELETE FROM ops WHERE id = ?", (op_id,))
    con.close()
    url = env.serve(db)
    common[1] = url
    rc, out, err = run([rush_bin(env), "--check-only"] + common, slow(60))
    no_sanitizer_report(err, "rush --check-only")
    eq(rc, 1, "--check-only with an op missing on the coordinator (stdout:\n%s\nstderr:\n%s)"
       % (out, err))
    lines, fig = report(out)
    eq(lines["every decided op is in the coordinator's op log"], "FAIL", "op log line")
    check(op_id in out, "the report names the lost op %s:\n%s" % (op_id, out))
    env.stop_server()


def main():
    code = it.run("guest rush integration tests", globals(), binaries=("coord", "syncd"),
                  options=(("--build", str, None, "the build folder (with tests/bench/rush)"),),
                  env_factory=Env)
    return code


if __name__ == "__main__":
    sys.exit(main())

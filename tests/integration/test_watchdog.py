#!/usr/bin/env python3
"""test_watchdog.py - usher-syncd and usher-kiosk under systemd's watchdog, on
the real programs: each runs with NOTIFY_SOCKET naming a datagram socket this
test listens on (what systemd gives a Type=notify unit) and WATCHDOG_USEC (what
WatchdogSec= becomes). They must say READY=1 once serving, then WATCHDOG=1
from their main loop at least every half of that time, and go quiet when the
loop hangs (SIGSTOP for syncd, the kiosk script's `stall`), which is when
systemd restarts them. The coordinator on 127.0.0.1 as everywhere
(tests/integration/README.md).

    python3 test_watchdog.py --coord PATH --syncd PATH --journal-op PATH --kiosk PATH [NAME ...]

Prints "ok NAME", "skip NAME: why" or "FAIL NAME: why" for each test; exits 0
when all passed, 77 when nothing failed but something was skipped, else 1.
"""

import os
import signal
import socket
import subprocess
import sys
import time

import test_kiosk
import usher_it as it
from usher_it import Fail, check, eq, slow, wait_until


class NotifySocket:
    """A datagram socket at env.path(name) that records (arrival time, message)."""

    def __init__(self, env, name="notify.sock"):
        self.path = env.path(name)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.05)
        self.got = []

    def drain(self, seconds):
        """Records what arrives for that long."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                continue
            self.got.append((time.monotonic(), data.decode("utf-8", "replace")))

    def wait_for(self, word, seconds, what):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.drain(0.05)
            if any(word in m for _, m in self.got):
                return
        raise Fail("no %s within %.0f s (got %r)" % (what, seconds, [m for _, m in self.got]))

    def pings(self, since=0):
        return [t for t, m in self.got if "WATCHDOG=1" in m.split("\n") and t >= since]

    def close(self):
        self.sock.close()


def gaps(times):
    return [b - a for a, b in zip(times, times[1:])]


def notify_env(sock, watchdog_s):
    return {"NOTIFY_SOCKET": sock.path, "WATCHDOG_USEC": str(int(watchdog_s * 1e6))}


def test_syncd_pings(env):
    """usher-syncd: READY=1 before any WATCHDOG=1, then a ping at least every
    half of WATCHDOG_USEC (2 s here) while online and while the coordinator is
    gone (offline retries); none while it is stopped (SIGSTOP: a hung loop);
    pings again after SIGCONT."""
    env.setup(devices=(("admin", "admin"), ("k", "kiosk")))
    coord = env.coord()
    sock = NotifySocket(env)
    try:
        watchdog = 2.0
        s = it.Syncd(env, "k", coord.url)
        s.environ = notify_env(sock, watchdog)
        s.start()
        sock.wait_for("READY=1", slow(10), "READY=1 from usher-syncd")
        s.wait_online()
        first_ready = min(t for t, m in sock.got if "READY=1" in m)
        check(all(t >= first_ready for t in sock.pings()), "a WATCHDOG=1 came before READY=1")
        t0 = time.monotonic()
        sock.drain(3 * watchdog)
        p = sock.pings(t0)
        check(len(p) >= 4, "%d pings in %.0f s online" % (len(p), 3 * watchdog))
        check(max(gaps(p)) <= 0.75 * watchdog + slow(0.2),
              "pings %.2f s apart online (watchdog %.0f s)" % (max(gaps(p)), watchdog))
        # Offline (the coordinator gone): the retry loop still pings.
        coord.kill9()
        t1 = time.monotonic()
        sock.drain(3 * watchdog)
        p = sock.pings(t1)
        check(len(p) >= 4 and max(gaps(p)) <= 0.75 * watchdog + slow(0.2),
              "pings while offline: %r" % gaps(p))
        print("  (online and offline: %d and %d pings, at most %.2f s apart; watchdog %.0f s)"
              % (len(sock.pings(t0)) - len(p), len(p), max(gaps(sock.pings(t0))), watchdog),
              flush=True)
        # A hung process: no pings (systemd would kill and restart it).
        s.proc.send_signal(signal.SIGSTOP)
        t2 = time.monotonic()
        sock.drain(2 * watchdog)
        eq(sock.pings(t2 + 0.1), [], "pings while usher-syncd is stopped")
        s.proc.send_signal(signal.SIGCONT)
        t3 = time.monotonic()
        sock.drain(watchdog)
        check(sock.pings(t3), "no ping after SIGCONT")
        check(s.alive(), "usher-syncd exited: %s" % s.stderr()[-800:])
        s.stop()
        sock.drain(0.3)
        check(any("STOPPING=1" in m for _, m in sock.got), "no STOPPING=1 on SIGTERM")
    finally:
        sock.close()


def test_syncd_without_systemd(env):
    """Without NOTIFY_SOCKET (by hand, in every other test) nothing changes:
    usher-syncd runs and syncs; with NOTIFY_SOCKET but no WATCHDOG_USEC it
    says READY=1 and sends no pings."""
    env.setup(devices=(("admin", "admin"), ("k", "kiosk")))
    coord = env.coord()
    s = env.syncd("k", coord.url)
    s.wait_online()
    s.stop()
    sock = NotifySocket(env)
    try:
        s.environ = {"NOTIFY_SOCKET": sock.path}
        s.start()
        sock.wait_for("READY=1", slow(10), "READY=1 without a watchdog")
        sock.drain(1.5)
        eq(sock.pings(), [], "pings without WATCHDOG_USEC")
        s.stop()
    finally:
        sock.close()


STALL_SCRIPT = """sleep 3000
stall 5000
sleep 3000
expect screen attract
"""


def test_kiosk_pings_and_stall(env):
    """The headless kiosk: READY=1 once it runs its script, WATCHDOG=1 at least
    every half of WATCHDOG_USEC (2 s here) from its loop, none while the loop
    hangs (the script's `stall 5000`), then pings again."""
    coord, syncds = test_kiosk.start(env)
    sd = syncds["kiosk-1"]
    sock = NotifySocket(env)
    try:
        watchdog = 2.0
        k = test_kiosk.Kiosk(env, sd.db, "stall", STALL_SCRIPT)
        k.argv = ["env", "NOTIFY_SOCKET=%s" % sock.path,
                  "WATCHDOG_USEC=%d" % int(watchdog * 1e6)] + k.argv
        k.start()
        sock.wait_for("READY=1", slow(20), "READY=1 from usher-kiosk")
        while k.proc.poll() is None:
            sock.drain(0.2)
        k.wait()
        sock.drain(0.2)
        ready = min(t for t, m in sock.got if "READY=1" in m)
        p = sock.pings()
        check(all(t >= ready for t in p), "a WATCHDOG=1 came before READY=1")
        g = gaps(p)
        check(len(p) >= 8, "only %d pings: %r" % (len(p), g))
        big = [x for x in g if x > 0.75 * watchdog + slow(0.2)]
        eq(len(big), 1, "gaps over 3/4 of the watchdog's time (only the stall's): %r" % g)
        check(big[0] >= 4.8, "the stall's gap is %.2f s, not about 5 s" % big[0])
        print("  (%d pings, at most %.2f s apart outside the stall; the stall's gap %.2f s)"
              % (len(p), max(x for x in g if x is not big[0]), big[0]), flush=True)
        check(g.index(big[0]) < len(g) - 2, "no pings after the stall: %r" % g)
        check(any("STOPPING=1" in m for _, m in sock.got), "no STOPPING=1 at the end")
    finally:
        sock.close()



def test_kiosk_window_pings(env):
    """The windowed kiosk (SDL's dummy video driver standing in for the
    screen, as the unit runs it on KMSDRM): READY=1 once its first frame is
    drawn, pings from its event loop at least every half of WATCHDOG_USEC
    (2 s here), none while it is stopped (SIGSTOP), STOPPING=1 and exit 0 on
    SIGTERM."""
    coord, syncds = test_kiosk.start(env)
    sock = NotifySocket(env)
    watchdog = 2.0
    e = dict(os.environ, SDL_VIDEODRIVER="dummy", **notify_env(sock, watchdog))
    err = env.path("window.err")
    env.logs.append(("kiosk-window", err))
    with open(err, "wb") as f:
        p = subprocess.Popen([it.KIOSK, "--db", syncds["kiosk-1"].db, "--window", "800x480"],
                             env=e, stdout=subprocess.DEVNULL, stderr=f,
                             preexec_fn=it.die_with_parent)
    try:
        sock.wait_for("READY=1", slow(20), "READY=1 from the windowed kiosk")
        t0 = time.monotonic()
        sock.drain(3 * watchdog)
        pings = sock.pings(t0)
        check(len(pings) >= 4 and max(gaps(pings)) <= 0.75 * watchdog + slow(0.2),
              "pings of the windowed kiosk: %r" % gaps(pings))
        p.send_signal(signal.SIGSTOP)
        t1 = time.monotonic()
        sock.drain(2 * watchdog)
        eq(sock.pings(t1 + 0.1), [], "pings while the kiosk is stopped")
        p.send_signal(signal.SIGCONT)
        p.send_signal(signal.SIGTERM)
        eq(p.wait(timeout=slow(10)), 0, "exit status on SIGTERM")
        sock.drain(0.3)
        check(any("STOPPING=1" in m for _, m in sock.got), "no STOPPING=1 on SIGTERM")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        sock.close()


if __name__ == "__main__":
    sys.exit(it.run("usher-syncd and usher-kiosk under systemd's watchdog", globals(),
                    binaries=("coord", "syncd", "journal-op", "kiosk")))

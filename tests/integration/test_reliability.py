#!/usr/bin/env python3
"""test_reliability.py - what a real venue does to Usher, on the real programs:
device clocks far off (or at 1970), a coordinator disk whose fsync fails, a
coordinator restored from a backup, a second coordinator on the same port or
database, full disks under a device. Real usher-coord, usher-syncd and
journal-op (acting as the kiosk) on 127.0.0.1 in a temporary folder
(tests/integration/README.md); faults come from faultshim.so (tests/tools),
an LD_PRELOAD library, and from small file systems the test mounts as root.

    python3 test_reliability.py --coord PATH --syncd PATH --journal-op PATH \\
        --faultshim PATH [NAME ...]

Prints "ok NAME", "skip NAME: why" or "FAIL NAME: why" for each test; exits 0
when all passed, 77 when nothing failed but something was skipped, else 1.
"""

import os
import subprocess
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


# =============================================================================


if __name__ == "__main__":
    sys.exit(it.run("Usher reliability integration tests", globals(),
                    options=(("--faultshim", str, None, "path of faultshim.so (tests/tools)"),)))

#!/usr/bin/env python3
"""test_e2e.py - Usher as one system: a real usher-coord, one usher-syncd per
device, two headless guest kiosks and a headless door kiosk driven by scripts,
and the organisers' dashboard in headless Chromium, all on 127.0.0.1
(tests/integration/README.md).

    python3 test_e2e.py --coord PATH --syncd PATH --journal-op PATH --kiosk PATH [NAME ...]

The kiosks are the real usher-kiosk (kiosk/README.md's script language); they
see each other only through their journals, their syncd and the coordinator.
Python 3 standard library only; QR tickets need pdftoppm and zbarimg, the
dashboard Chromium (scripts/deps test installs them; a test is skipped, 77,
without them).
"""

import csv
import os
import sys

import browser
import test_dashboard as dash
import test_kiosk as tk
import usher_it as it
from usher_it import Skip, check, eq, get_json, slow, wait_until

LAYOUT = "gala:25x10,vip=2"  # tables T01 and T02 are VIP
TICKETS = [("GALA-%04d" % i, "Guest %d" % i, "Regular") for i in range(1, 41)]
DEVICES = (("admin", "admin"), ("kiosk-a", "kiosk"), ("kiosk-b", "kiosk"), ("door-1", "door"))


def start(env, web=False):
    """The event, a coordinator (serving the dashboard when web) and one
    bootstrapped usher-syncd per device: (coord, {device: syncd})."""
    env.setup(layout=LAYOUT, tickets=TICKETS, devices=DEVICES)
    # The sequential sample codes are weak; these guests type them as if the
    # ticket office's barcodes were unguessable (test_kiosk.py covers weak).
    env.tool([it.COORD, "event", "set", "--db", env.db, "--codes", "strong"])
    coord = env.coord(extra=("--web", dash.WEB) if web else ())
    devices = {}
    for name, _ in DEVICES[1:]:
        devices[name] = env.syncd(name, coord.url)
    for d in devices.values():
        d.wait_online()
    return coord, devices


def seat_party(codes, seats):
    """A guest kiosk script: type the codes, hold the seats, confirm."""
    lines = ["expect screen attract", "tap 640 400", "expect screen entry"]
    for code in codes:
        lines += ["type %s" % code, "key Return", 'expect text "%s"' % code]
    lines += ["tap button seats", "expect screen seatmap"]
    lines += ["tap seat %s" % s for s in seats]
    lines += ["expect seat %s mine" % s for s in seats]
    lines += ["tap button confirm", "expect screen confirm", "tap button yes",
              "expect screen confirmation", "shot confirmation"]
    return "\n".join(lines) + "\n"


def admin(env):
    return env.tokens["admin"]


def taken_on_coord(coord, env):
    return it.coord_taken(coord, admin(env))


def test_party_seen_on_other_kiosk(env):
    """A party of three seated on kiosk A shows as taken on kiosk B's screen,
    pixels included, and in the coordinator's seats."""
    coord, d = start(env)
    party = [("GALA-0001", "T07-01"), ("GALA-0002", "T07-02"), ("GALA-0003", "T07-03")]
    a = tk.kiosk_run(env, d["kiosk-a"].db, "a", seat_party([c for c, _ in party], [s for _, s in party]))
    qr = tk.zbar(env, a.shot("confirmation"))
    for code, seat in party:
        check("%s %s" % (code, seat) in qr, "kiosk A's confirmation QR names %s at %s: %r" % (code, seat, qr))
    # Kiosk B: another guest, at the map while kiosk A's seats arrive.
    b = tk.kiosk_run(env, d["kiosk-b"].db, "b", """
tap 640 400
type GALA-0010
key Return
tap button seats
await seat T07-01 taken
await seat T07-02 taken
await seat T07-03 taken
expect seat T07-04 free
shot map
""")
    for _, seat in party:
        eq(b.seat_rgb("map", seat), tk.SEAT_RGB["taken"], "kiosk B's colour at %s" % seat)
    eq(b.seat_rgb("map", "T07-04"), tk.SEAT_RGB["free"], "kiosk B's colour at T07-04")
    it.wait_converged(coord, list(d.values()), admin(env), slow(10))
    taken = taken_on_coord(coord, env)
    for code, seat in party:
        eq(taken.get(seat), code, "the coordinator's occupant of %s" % seat)
    eq(it.device_taken(d["kiosk-b"]), it.device_taken(d["kiosk-a"]), "both kiosks' journals agree")


def test_door_admits_printed_qr(env):
    """The door kiosk admits a seated guest's printed QR ticket (usher-coord
    qr, rendered and decoded to what a scanner types), green with the seat;
    the second scan is amber; the coordinator records both and one alert."""
    coord, d = start(env)
    tk.kiosk_run(env, d["kiosk-a"].db, "a", seat_party(["GALA-0005"], ["T04-02"]))
    payload = tk.qr_payloads(env, ["GALA-0005"])["GALA-0005"]
    # payloads.csv holds the same text the QR code does, for a mail merge.
    with open(os.path.join(env.path("qr"), "payloads.csv"), encoding="utf-8", newline="") as f:
        rows = {r["ticket_number"]: r for r in csv.DictReader(f)}
    eq(rows["GALA-0005"]["payload"], payload, "payloads.csv's payload for GALA-0005")
    eq(rows["GALA-0005"]["full_name"], "Guest 5", "payloads.csv's name for GALA-0005")
    eq(len(rows), len(TICKETS), "payloads.csv rows")
    door = tk.kiosk_run(env, d["door-1"].db, "door", """
expect screen door
scan %s
expect verdict admitted
expect text "Guest 5"
shot admitted
wait 3500
expect screen door
scan %s
expect verdict already
expect text "Checked in at"
shot again
""" % (payload, payload))
    eq(tk.k_rgb(door, "admitted"), tk.GREEN, "the door's first verdict")
    eq(tk.k_rgb(door, "again"), tk.AMBER, "the door's second verdict")
    it.wait_converged(coord, list(d.values()), admin(env), slow(10))
    scans = [c for c in get_json(coord.port, "/v1/checkins", admin(env))["checkins"]
             if c["ticket"] == "GALA-0005"]
    eq(len(scans), 2, "the coordinator's check-ins of GALA-0005: %r" % scans)
    alerts = [a for a in get_json(coord.port, "/v1/alerts", admin(env))["alerts"]
              if a["kind"] == "duplicate_checkin" and a["ticket"] == "GALA-0005"]
    eq(len(alerts), 1, "duplicate check-in alerts for GALA-0005")


def test_coordinator_outage(env):
    """The coordinator stops: both guest kiosks and the door keep working and
    show OFFLINE; two guests are given the same seat on the two kiosks. The
    coordinator comes back: everything converges, the reseat rule settles the
    conflict, the alert is listed, both kiosks show the final state and the
    dashboard in Chromium shows it too."""
    binary = browser.find_chromium()
    if not binary:
        raise Skip("no Chromium (install Debian's chromium: scripts/deps test)")
    coord, d = start(env, web=True)
    payload = tk.qr_payloads(env, ["GALA-0020"])["GALA-0020"]
    coord.stop()
    wait_until(lambda: all(not dev.status()["online"] for dev in d.values()), slow(20),
               "every device knows it is offline")
    offline = 'expect text "OFFLINE"\n'
    tk.kiosk_run(env, d["kiosk-a"].db, "a-off", offline + seat_party(["GALA-0011"], ["T09-01"]))
    tk.kiosk_run(env, d["kiosk-b"].db, "b-off", offline + seat_party(["GALA-0012"], ["T09-01"]))
    door = tk.kiosk_run(env, d["door-1"].db, "door-off", offline + """
expect screen door
scan %s
expect verdict admitted
expect text "Guest 20"
shot admitted
""" % payload)
    eq(tk.k_rgb(door, "admitted"), tk.GREEN, "the door admits offline")
    for name, dev in d.items():
        check(dev.status()["pending"] >= 1, "%s has pending ops while offline" % name)

    coord.start()  # the same port: the devices find it by themselves
    it.wait_converged(coord, list(d.values()), admin(env), slow(15))
    taken = taken_on_coord(coord, env)
    winner = taken.get("T09-01")
    check(winner in ("GALA-0011", "GALA-0012"), "T09-01 went to one of the two guests: %r" % winner)
    loser = "GALA-0012" if winner == "GALA-0011" else "GALA-0011"
    loser_dev = d["kiosk-b"] if loser == "GALA-0012" else d["kiosk-a"]
    new = [s for s, t in taken.items() if t == loser]
    eq(len(new), 1, "%s seated once: %r" % (loser, new))
    check(new[0].startswith("T09-"), "%s reseated at the same table first: %s" % (loser, new[0]))
    verdicts = tk.outbox(loser_dev.db, "assign")
    eq([(v["state"], v["reason"], v["reseat"]) for v in verdicts], [(2, "seat_taken", new[0])],
       "the losing kiosk's outbox verdict")
    alerts = [a for a in get_json(coord.port, "/v1/alerts", admin(env))["alerts"] if a["kind"] == "reseat"]
    eq([a["ticket"] for a in alerts], [loser], "reseat alerts")
    check(any(c["ticket"] == "GALA-0020" for c in get_json(coord.port, "/v1/checkins", admin(env))["checkins"]),
          "the offline check-in reached the coordinator")
    views = [it.device_taken(dev) for dev in d.values()]
    eq(views[1], views[0], "kiosk B's journal = kiosk A's")
    eq(views[2], views[0], "the door's journal = kiosk A's")
    eq(views[0], taken, "the journals = the coordinator")
    # Both kiosks' screens show the final state.
    for name in ("kiosk-a", "kiosk-b"):
        k = tk.kiosk_run(env, d[name].db, name + "-after", """
expect text "Online"
tap 640 400
type GALA-0030
key Return
tap button seats
expect seat T09-01 taken
expect seat %s taken
shot map
""" % new[0])
        eq(k.seat_rgb("map", new[0]), tk.SEAT_RGB["taken"], "%s's colour at %s" % (name, new[0]))
    # And so does the dashboard.
    page = browser.Browser(binary, env.path("chromium.log"), 1280, 800, preexec_fn=it.die_with_parent,
                           timeout=slow(30))
    env.pages.append(page)
    page.navigate("%s/#token=%s" % (coord.url, admin(env)))
    for seat in ("T09-01", new[0]):
        dash.wait_state(page, seat, "taken", "the dashboard after the outage")
    dash.wait_text(page, "stat-seated", "2", "the dashboard after the outage")
    dash.wait_text(page, "stat-checked-in", "1", "the dashboard after the outage")
    page.screenshot(env.path("dashboard.png"))
    dash.no_page_problems(page)


def main():
    return dash.run_browser_tests("Usher end to end: coordinator, syncd, kiosks, dashboard", globals(),
                                  ("coord", "syncd", "journal-op", "kiosk"))


if __name__ == "__main__":
    sys.exit(main())

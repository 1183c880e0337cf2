#!/usr/bin/env python3
"""test_entrances.py - entrances: defined by the organiser (usher-coord
entrance add|list|remove with serve stopped, the API while serving), a door
put at one (device add --entrance, device set, PUT /v1/devices/ID), the
entrances reaching the door through usher-syncd into its journal, a ticket of
another entrance amber WRONG ENTRANCE "Entrance B, please" and not recorded,
staff admitting it behind the PIN (the check-in records override
"entrance"), and the per-entrance counts on the coordinator, in /metrics and
on the door's count line. Bad input refused with a sentence and no change.

    python3 test_entrances.py --coord PATH --syncd PATH --journal-op PATH --kiosk PATH [NAME ...]

Real usher-coord (SQLite, or PostgreSQL with --store postgresql), real
usher-syncd, the real headless door kiosk (tests/integration/README.md).
"""

import csv
import json
import shutil
import subprocess
import sys

import usher_it as it
from usher_it import check, eq, get_json, http_call, slow, wait_until
import test_kiosk as tk

LONG = "VIP-Lounge Eingang Nord (über den Hof)"  # 39 bytes: near the 40 allowed
PIN = "2468"


def api(coord, env, method, path, body=None):
    status, _, data = http_call(coord.port, method, path, env.tokens["admin"],
                                None if body is None else (body if isinstance(body, bytes)
                                                           else json.dumps(body).encode()))
    try:
        return status, json.loads(data.decode() or "null")
    except ValueError:
        return status, data


def entrances(coord, env):
    status, j = api(coord, env, "GET", "/v1/entrances")
    eq(status, 200, "GET /v1/entrances: %r" % (j,))
    return {e["name"]: e for e in j["entrances"]}


def door_knows(door, name, nudge=True, seconds=20):
    """Waits until usher-syncd has stored this door's entrance as `name`
    (nudge: its wake socket poked meanwhile, as the kiosk does)."""
    def known():
        if nudge:
            tk.wake(door.db)
        return it.query(door.db, "SELECT value FROM meta WHERE key = 'entrance'") == [(name,)]
    wait_until(known, slow(seconds), "door %s hearing its entrance is %r" % (door.name, name))


def door_run(env, db, name, script, size="%dx%d" % (tk.W, tk.H), extra=()):
    k = tk.Kiosk(env, db, name, script, ("--pin", PIN) + tuple(extra))
    k.argv[k.argv.index("--window") + 1] = size
    return k.run()


def outbox_checkins(db):
    return it.query(db, "SELECT ticket, entrance, override, manual FROM outbox "
                        "WHERE kind = 'checkin' ORDER BY seq")


def test_entrances_at_the_door(env):
    """Two entrances (Regular at Main, VIP at a long-named one) defined while
    serving; door-1 at Main. A VIP ticket at door-1: amber WRONG ENTRANCE
    naming the VIP entrance, nothing recorded; a Regular ticket: WELCOME,
    its check-in names Main; the VIP ticket again, admitted by staff behind
    the PIN: the check-in records override "entrance", the coordinator's
    export and the counts say so; the door's count line shows Main's."""
    coord, sd = tk.start(env, devices=(("door-1", "door"), ("door-2", "door")))
    door = sd["door-1"]
    p = tk.qr_payloads(env, ["GALA-0001", "GALA-0002", "VIP-0001"])
    for body in ({"name": "Main", "classes": ["regular"]},  # spelled as the event spells it
                 {"name": LONG, "classes": "VIP"}):
        status, j = api(coord, env, "POST", "/v1/entrances", body)
        eq(status, 200, "POST /v1/entrances %r: %r" % (body, j))
    for dev, ent in (("door-1", "main"), ("door-2", LONG)):
        status, j = api(coord, env, "PUT", "/v1/devices/" + dev, {"entrance": ent})
        eq(status, 200, "PUT /v1/devices/%s: %r" % (dev, j))
    e = entrances(coord, env)
    eq(e["Main"]["classes"], ["Regular"], "the class as the event spells it")
    eq(e["Main"]["doors"], ["door-1"], "Main's doors")
    eq((e["Main"]["expected"], e[LONG]["expected"]), (40, 1), "expected at each entrance")
    # The change log's `entrances` mark reaches the door's event stream: it
    # syncs at once, well before its 10 s poll.
    door_knows(door, "Main", nudge=False, seconds=4)
    eq(it.query(door.db, "SELECT name, classes FROM r_entrances ORDER BY pos"),
       [("Main", "Regular"), (LONG, "VIP")], "the door's copy of the entrances")

    door_run(env, door.db, "wrong", """
expect screen door
expect text "Entrance Main: 0 in"
scan %s
expect text "WRONG ENTRANCE"
expect text "Entrance %s, please"
expect text "Vera Important"
shot wrong
wait 3500
expect screen door
scan %s
expect verdict admitted
expect text "WELCOME"
wait 3500
expect text "Entrance Main: 1 in"
""" % (p["VIP-0001"], LONG, p["GALA-0001"]))
    eq(outbox_checkins(door.db), [("GALA-0001", "Main", "", 0)],
       "the wrong-entrance scan recorded nothing; the right one names Main")

    k = door_run(env, door.db, "override", """
expect screen door
scan %s
expect text "WRONG ENTRANCE"
tap button override
expect screen pin
tap button pin_1
tap button pin_ok
expect text "Wrong PIN"
key Return
type %s
key Return
expect verdict admitted
expect text "WELCOME"
expect text "Admitted here by staff"
wait 3500
expect text "Entrance Main: 2 in"
shot counts
""" % (p["VIP-0001"], PIN))
    eq(outbox_checkins(door.db)[-1], ("VIP-0001", "Main", "entrance", 0),
       "the staff override recorded")
    check("Entrance Main: 2 in" in json.dumps(k.info("counts")), "the count line in the shot")

    it.wait_converged(coord, [door], env.tokens["admin"], slow(15))
    e = entrances(coord, env)
    eq((e["Main"]["admitted"], e["Main"]["inside"]), (2, 2), "Main's admitted and inside")
    eq((e[LONG]["admitted"], e[LONG]["inside"]), (0, 0), "the VIP entrance let nobody in")
    stats = get_json(coord.port, "/v1/stats", env.tokens["admin"])
    eq([x["name"] for x in stats["entrances"]], ["Main", LONG], "/v1/stats carries the entrances")
    metrics = http_call(coord.port, "GET", "/metrics", env.tokens["admin"])[2].decode()
    for line in ('usher_entrance_admitted{entrance="Main"} 2', 'usher_entrance_inside{entrance="Main"} 2',
                 'usher_entrance_expected{entrance="%s"} 1' % LONG,
                 "# TYPE usher_entrance_admitted gauge"):
        check(line in metrics, "/metrics has %r" % line)
    promtool = shutil.which("promtool")
    if promtool:  # Debian's prometheus package (scripts/deps test); limits.metrics_promtool says so
        p = subprocess.run([promtool, "check", "metrics"], input=metrics.encode(), capture_output=True,
                           timeout=slow(30))
        eq((p.returncode, p.stdout + p.stderr), (0, b""), "promtool check metrics with entrances")
    rows = list(csv.DictReader(env.tool([it.COORD, "export", "--db", env.db, "checkins"]).splitlines()))
    got = [(r["ticket_number"], r["entrance"], r["override"]) for r in rows]
    eq(got, [("GALA-0001", "Main", ""), ("VIP-0001", "Main", "entrance")],
       "the checkins export names the entrance and the override")
    scans = it.get_list(coord.port, "/v1/checkins", env.tokens["admin"], "checkins")
    eq([(c["ticket"], c.get("entrance"), c.get("override")) for c in scans],
       [("GALA-0001", "Main", None), ("VIP-0001", "Main", "entrance")], "/v1/checkins too")


def test_entrance_screens(env):
    """The WRONG ENTRANCE verdict and the count line with a long entrance
    name at 800x480 and in portrait (480x800): every text fits its box."""
    coord, sd = tk.start(env, devices=(("door-1", "door"),))
    door = sd["door-1"]
    p = tk.qr_payloads(env, ["VIP-0001"])
    for body in ({"name": LONG, "classes": ["Regular"]}, {"name": "B", "classes": ["VIP"]}):
        eq(api(coord, env, "POST", "/v1/entrances", body)[0], 200, "POST %r" % body)
    eq(api(coord, env, "PUT", "/v1/devices/door-1", {"entrance": LONG})[0], 200, "PUT door-1")
    door_knows(door, LONG)
    coord.stop()  # the door decides from its own copy
    for size in ("800x480", "480x800"):
        k = door_run(env, door.db, "screens-" + size, """
expect screen door
shot door
scan %s
expect text "WRONG ENTRANCE"
expect text "Entrance B, please"
shot wrong
""" % p["VIP-0001"], size=size)
        for shot in ("door", "wrong"):
            for t in k.info(shot)["texts"]:
                eq(t["missing"], 0, "%s %s: missing glyphs in %r" % (size, shot, t["text"]))
        info = k.info("wrong")
        check("override" in info["buttons"], "%s: the Admit here button is drawn" % size)
        bx, by, bw, bh = info["buttons"]["override"][:4]
        for t in info["texts"]:
            x, y, w, h = t["box"]
            # (the status bar's own texts are shortened to fit as they always are)
            check(not t["shortened"] or y == 0, "%s: %r is shortened" % (size, t["text"]))
            if t["text"] != "Admit here (staff)":
                check(x + w <= bx or bx + bw <= x or y + h <= by or by + bh <= y,
                      "%s: %r overlaps the Admit here button" % (size, t["text"]))


def test_entrance_admin(env):
    """The organiser's commands with serve stopped, and the API while
    serving: bad input (unknown class or section, a name taken in another
    case, bad JSON, removing an entrance a door belongs to, a kiosk at an
    entrance) refused with a sentence naming what is wrong, and nothing
    changes."""
    env.setup(layout="gala:4x4,vip=1", tickets=tk.TICKETS, devices=(("admin", "admin"),))
    C = it.COORD

    def refused(args, *needles):
        out = env.tool([C] + args + ["--db", env.db], rc=1)
        eq(out, "", "%s: nothing on stdout" % args)

    def err_of(args):
        import subprocess
        p = subprocess.run([C] + args + ["--db", env.db], capture_output=True, timeout=slow(30))
        check(p.returncode == 1, "%s refused (rc %d)" % (args, p.returncode))
        return p.stderr.decode()

    out = env.tool([C, "entrance", "add", "--db", env.db, "Main", "--classes", "Regular"])
    check("entrance Main added" in out, "entrance add: %r" % out)
    env.tool([C, "entrance", "add", "--db", env.db, "North", "--sections", "t02,T03"])
    e = err_of(["entrance", "add", "MAIN"])
    check('"MAIN" exists already (as "Main")' in e, "a name taken in another case: %r" % e)
    e = err_of(["entrance", "add", "X", "--classes", "Gold,VIP"])
    check('unknown class "Gold"' in e and "VIP" in e and "Regular" in e,
          "an unknown class named, with the classes there are: %r" % e)
    e = err_of(["entrance", "add", "X", "--sections", "T99"])
    check('unknown section "T99"' in e and "T01" in e, "an unknown section: %r" % e)
    e = err_of(["entrance", "add", "A,B"])
    check("no comma or slash" in e, "a comma in the name: %r" % e)
    e = err_of(["entrance", "add", "A/B"])
    check("no comma or slash" in e, "a slash in the name: %r" % e)
    e = err_of(["device", "add", "--name", "k1", "--role", "kiosk", "--entrance", "Main"])
    check("only a door" in e, "a kiosk at an entrance: %r" % e)
    e = err_of(["device", "add", "--name", "d9", "--role", "door", "--entrance", "Nowhere"])
    check('no entrance "Nowhere"' in e, "an unknown entrance: %r" % e)
    devs = env.tool([C, "device", "list", "--db", env.db])
    check("d9" not in devs and "k1" not in devs, "refused devices were not made: %r" % devs)
    env.add_device("door-1", "door")
    env.tool([C, "device", "set", "--db", env.db, "--name", "door-1", "--entrance", "north"])
    e = err_of(["entrance", "remove", "North"])
    check('still has door door-1' in e and "device set" in e, "removing an entrance in use: %r" % e)
    listing = env.tool([C, "entrance", "list", "--db", env.db])
    eq(listing.splitlines(), ["name,classes,sections,doors", "Main,Regular,,", "North,,T02;T03,door-1"],
       "entrance list (sections as the layout spells them)")

    coord = env.coord()
    # Serving: the commands that write say how to do it live instead.
    e = err_of(["entrance", "add", "Late"])
    check("POST /v1/entrances" in e, "entrance add under serve: %r" % e)
    # A door added while serving (device add writes beside serve) is told its
    # entrance from its token's row.
    tok = env.tool([C, "device", "add", "--db", env.db, "--name", "door-9", "--role", "door",
                    "--entrance", "Main"]).strip()
    snap = json.loads(http_call(coord.port, "GET", "/v1/snapshot", tok)[2].decode())
    eq(snap["entrances"]["door"], "Main", "a door added while serving knows its entrance")
    eq([e["name"] for e in snap["entrances"]["all"]], ["Main", "North"], "and the entrances")
    eq(entrances(coord, env)["Main"]["doors"], ["door-9"], "the coordinator counts it at Main")
    before = entrances(coord, env)
    for method, path, body, status, needle in (
            ("POST", "/v1/entrances", b"{bad json", 400, "an entrance is a JSON body"),
            ("POST", "/v1/entrances", {"name": "main"}, 409, "exists already"),
            ("POST", "/v1/entrances", {"name": "X", "classes": ["Gold"]}, 400, 'unknown class "Gold"'),
            ("POST", "/v1/entrances", {"name": "X", "sections": 7}, 400, "sections"),
            ("POST", "/v1/entrances", {"name": ""}, 400, "name: 1 to 40 bytes"),
            ("DELETE", "/v1/entrances/North", None, 409, "still has door door-1"),
            ("DELETE", "/v1/entrances/Nope", None, 404, "no entrance"),
            ("PUT", "/v1/devices/admin", {"entrance": "Main"}, 400, "only a door"),
            ("PUT", "/v1/devices/door-1", {"entrance": "Nope"}, 404, 'no entrance "Nope"'),
            ("PUT", "/v1/devices/door-1", b"[]", 400, "JSON body"),
            ("PUT", "/v1/devices/ghost", {"entrance": ""}, 404, "no device")):
        got, j = api(coord, env, method, path, body)
        eq(got, status, "%s %s %r: %r" % (method, path, body, j))
        check(needle in (j or {}).get("message", ""), "%s %s: %r should say %r" % (method, path, j, needle))
    eq(entrances(coord, env), before, "nothing changed by the refusals")
    # Allowed: the door moved, North removed, an entrance added on the API.
    eq(api(coord, env, "PUT", "/v1/devices/door-1", {"entrance": None})[0], 200, "door-1 at none")
    eq(api(coord, env, "DELETE", "/v1/entrances/north")[0], 200, "North removed")
    eq(api(coord, env, "POST", "/v1/entrances", {"name": "Süd", "sections": ["T04"]})[0], 200, "Süd added")
    eq(sorted(entrances(coord, env)), ["Main", "Süd"], "entrances now")
    coord.stop()
    listing = env.tool([C, "entrance", "list", "--db", env.db])
    eq(listing.splitlines()[1:], ["Main,Regular,,door-9", "Süd,,T04,"], "kept by the store")
    out = env.tool([C, "entrance", "remove", "--db", env.db, "SUD"])
    check("removed" in out, "remove by another spelling: %r" % out)


if __name__ == "__main__":
    sys.exit(it.run("entrances", globals(), binaries=("coord", "syncd", "journal-op", "kiosk")))

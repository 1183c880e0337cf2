#!/usr/bin/env python3
"""test_layout_change.py - the venue's layout replaced while the coordinator
serves: PUT /v1/layout adds a table and a synced headless usher-kiosk, left
running on its seat map, draws the new seats without a restart (its `shot`
JSON), guests keep their seats; a change that would drop a taken seat is
refused 409 with the reason and changes nothing (GET /v1/layout, the guest's
seat, the log); invalid layouts are 400, a kiosk token is refused; before
anyone is seated any layout replaces the old one on every device;
`usher-coord layout set/get` with --dry-run, and refused under serve.

    python3 test_layout_change.py --coord PATH --syncd PATH --journal-op PATH --kiosk PATH [NAME ...]
"""

import json
import socket
import sys

import usher_it as it
from usher_it import check, eq, get_json, http_call, slow, wait_until

import test_kiosk as tk


def put_layout(coord, token, body, query=""):
    """PUT /v1/layout: (status, parsed JSON answer)."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    status, _, raw = http_call(coord.port, "PUT", "/v1/layout" + query, token, body)
    try:
        return status, json.loads(raw.decode("utf-8"))
    except ValueError:
        raise it.Fail("PUT /v1/layout answered %d with %r, not JSON" % (status, raw[:200]))


def get_layout_raw(coord, token):
    status, _, raw = http_call(coord.port, "GET", "/v1/layout", token)
    eq(status, 200, "GET /v1/layout (%r)" % raw[:200])
    return raw


def with_table(layout, tid, seats):
    """layout (parsed) with one more round table to the right of the others."""
    out = json.loads(json.dumps(layout))
    right = max(s["x"] + s.get("radius", 0) for s in out["sections"])
    top = min(s["y"] for s in out["sections"])
    out["sections"].append({"kind": "table", "id": tid, "label": "Table " + tid[1:],
                            "x": right + 250, "y": top, "seats": seats})
    return out


def without_section(layout, sid):
    out = json.loads(json.dumps(layout))
    out["sections"] = [s for s in out["sections"] if s["id"] != sid]
    return out


def move(coord, env, code, seat):
    tk.admin_post(coord, env, "/v1/tickets/%s/move" % code, json.dumps({"seat": seat}))


def alerts_of(coord, env, kind):
    return [a for a in get_json(coord.port, "/v1/alerts", env.tokens["admin"])["alerts"] if a["kind"] == kind]


# =============================================================================


def test_section_added_reaches_a_kiosk(env):
    """A guest is on the seat map of a running kiosk when the organiser adds a
    table: the kiosk draws its seats within seconds, without a restart; the
    guests already seated keep their seats everywhere; the change is one
    layout_changed alert naming the organiser."""
    coord, sd = tk.start(env)
    a = env.tokens["admin"]
    move(coord, env, "GALA-0001", "T07-01")
    dev = sd["kiosk-1"]
    wait_until(lambda: dev.seats().get("T07-01") == ("taken", "GALA-0001"), slow(5), "the device has T07-01 taken")
    k = tk.Kiosk(env, dev.db, "live", """
tap 640 400
type GALA-0003
key Return
tap button seats
expect screen seatmap
expect seat T07-01 taken
shot before
await seat T26-01 free
expect screen seatmap
expect seat T07-01 taken
expect seat T26-06 free
shot after
tap seat T26-02
expect seat T26-02 mine
""").start()
    k.wait_shot("before")
    check("T26-01" not in k.info("before")["seats"], "no T26 before the change")
    eq(len(k.info("before")["seats"]), 250, "the 250 seats of the gala on the overview")
    cur = json.loads(get_layout_raw(coord, a))
    st, j = put_layout(coord, a, with_table(cur, "T26", 6))
    eq(st, 200, "PUT /v1/layout (%r)" % j)
    eq((j["ok"], j["seats"], j["sections"], j["version"], j["changed"]), (True, 256, 26, 2, True), "the answer")
    eq(j["counts"], {"seats_added": 6, "seats_dropped": 0, "sections_added": 1, "sections_dropped": 0},
       "the counts")
    k.wait()
    after = k.info("after")["seats"]
    eq(sorted(s for s in after if s.startswith("T26-")), ["T26-0%d" % i for i in range(1, 7)],
       "the kiosk draws the new table's seats")
    eq(len(after), 256, "and every other seat")
    eq([r["kind"] for r in tk.outbox(dev.db)], ["hold"], "the guest held a new seat")
    wait_until(lambda: [r["state"] for r in tk.outbox(dev.db)] == [1], slow(5), "the hold on T26-02 accepted")
    seats = {s["id"]: s for s in get_json(coord.port, "/v1/seats", a)["seats"]}
    eq((len(seats), seats["T07-01"].get("ticket"), seats["T26-02"]["state"]), (256, "GALA-0001", "held"),
       "the coordinator's seats")
    eq(dev.seats().get("T07-01"), ("taken", "GALA-0001"), "the device keeps the seated guest")
    got = alerts_of(coord, env, "layout_changed")
    eq(len(got), 1, "one layout_changed alert (%r)" % got)
    eq((got[0]["device"], got[0]["before"], got[0]["after"]),
       ("admin", "250 seats in 25 sections (version 1)", "256 seats in 26 sections (version 2)"), "its trail")
    check(got[0]["at"], "the alert says when")
    eq(len(dev.dump("seats")), 256, "the device's replica covers the new layout")


def test_refusals_change_nothing(env):
    """A layout that drops a seat holding a ticket: 409 layout_conflict naming
    the seat, the ticket and the fix; invalid JSON or layouts: 400 bad_layout
    with the parser's message; a kiosk token: 403; none of them changes the
    layout, the guest's seat or the change log. A dry run checks only."""
    coord, sd = tk.start(env)
    a, kt = env.tokens["admin"], env.tokens["kiosk-1"]
    move(coord, env, "GALA-0002", "T05-02")
    before = get_layout_raw(coord, a)
    eq(get_layout_raw(coord, kt), before, "a device reads the same layout")
    cur = json.loads(before)
    cursor = get_json(coord.port, "/healthz", None)["cursor"]
    st, j = put_layout(coord, a, without_section(cur, "T05"))
    eq(st, 409, "dropping T05 (%r)" % j)
    eq(j, {"error": "layout_conflict",
           "message": "seat T05-02 holds ticket GALA-0002: the new layout drops it; unseat or move "
                      "the guest first, or keep the seat as it is"}, "the reason, in the one error shape")
    renumbered = json.loads(json.dumps(cur))
    t5 = [s for s in renumbered["sections"] if s["id"] == "T05"][0]
    t5["seats"][1]["label"] = "9"
    st, j = put_layout(coord, a, renumbered)
    eq((st, j["error"]), (409, "layout_conflict"), "renumbering T05-02 (%r)" % j)
    check("renumbers it" in j["message"], j)
    for body, want, what in [
            ("{\"sections\": [", "invalid JSON", "broken JSON"),
            ("", "needs the layout JSON", "an empty body"),
            (json.dumps({"sections": []}), "sections", "no sections"),
            (json.dumps({"sections": [{"kind": "table", "id": "T01", "x": 0, "y": 0, "seats": 2},
                                      {"kind": "table", "id": "T01", "x": 500, "y": 0, "seats": 2}]}),
             "T01", "a section twice")]:
        st, j = put_layout(coord, a, body)
        eq((st, j.get("error")), (400, "bad_layout"), "%s (%r)" % (what, j))
        check(want in j["message"], "%s: %r" % (what, j))
    st, j = put_layout(coord, kt, with_table(cur, "T26", 4))
    eq((st, j.get("error")), (403, "forbidden"), "a kiosk token (%r)" % j)
    st, j = put_layout(coord, a, with_table(cur, "T26", 4), "?dry_run=1")
    eq((st, j["dry_run"], j["changed"], j["version"], j["seats"]), (200, True, False, 1, 254), "a dry run (%r)" % j)
    st, j = put_layout(coord, a, cur)
    eq((st, j["changed"], j["version"]), (200, False, 1), "the same layout again changes nothing (%r)" % j)
    eq(get_layout_raw(coord, a), before, "the layout is unchanged")
    eq(tk.coord_seat_of(coord, env, "GALA-0002"), "T05-02", "the guest is still seated")
    eq(get_json(coord.port, "/healthz", None)["cursor"], cursor, "nothing in the change log")
    eq(alerts_of(coord, env, "layout_changed"), [], "no layout_changed alert")
    st, _, raw = http_call(coord.port, "DELETE", "/v1/layout", a)
    eq(st, 405, "DELETE /v1/layout (%r)" % raw)


def test_before_opening_any_layout(env):
    """Before anyone is seated the gala may become a theatre: every synced
    device has the rows and none of the tables, its tickets kept."""
    coord, sd = tk.start(env, devices=(("kiosk-1", "kiosk"), ("door-1", "door")))
    other = env.path("theatre.db")
    env.tool([it.COORD, "init", "--db", other, "--layout", "theatre:6x12"])
    theatre = env.tool([it.COORD, "layout", "get", "--db", other])
    st, j = put_layout(coord, env.tokens["admin"], theatre)
    eq((st, j["seats"], j["sections"], j["version"]), (200, 72, 6, 2), "gala to theatre (%r)" % j)
    for name, dev in sd.items():
        wait_until(lambda: "A-1" in dev.seats() and "T01-01" not in dev.seats(), slow(10),
                   "%s has the theatre" % name)
        eq(len(dev.dump("tickets")), len(tk.TICKETS), "%s keeps every ticket" % name)
    k = tk.kiosk_run(env, sd["kiosk-1"].db, "theatre", """
tap 640 400
type GALA-0004
key Return
tap button seats
expect seat F-12 free
shot map
""")
    eq(len(k.info("map")["seats"]), 72, "a kiosk started now draws the theatre")


def test_pending_ops_kept_across_a_new_layout(env):
    """A device offline while the layout changes keeps what it did meanwhile:
    at its next round it pushes its pending ops, meets the layout change,
    rebuilds its replica from the snapshot and sends nothing twice; an op on
    a seat the new layout dropped is rejected unknown_seat. The wire form of
    the change: {"seq", "type": "layout", "version"} in /v1/sync and the
    event stream."""
    coord, sd = tk.start(env)
    a, kt = env.tokens["admin"], env.tokens["kiosk-1"]
    dev = sd["kiosk-1"]
    dev.stop()
    assign = dev.op("assign", "GALA-0005", "T09-03")
    hold = dev.op("hold", "T03-02")
    cursor = get_json(coord.port, "/healthz", None)["cursor"]
    cur = json.loads(get_layout_raw(coord, a))
    st, j = put_layout(coord, a, with_table(without_section(cur, "T03"), "T26", 4))
    eq((st, j["seats"], j["counts"]["seats_dropped"], j["cursor"]), (200, 244, 10, cursor + 1),
       "T03 (free) dropped, T26 added (%r)" % j)
    st, _, raw = http_call(coord.port, "POST", "/v1/sync", kt, json.dumps({"cursor": cursor, "ops": []}))
    eq(st, 200, "a pull after the change (%r)" % raw[:200])
    eq(json.loads(raw)["changes"], [{"seq": cursor + 1, "type": "layout", "version": 2}], "the layout change")
    # The event stream never ends: read until its first event is in.
    s = socket.create_connection(("127.0.0.1", coord.port), timeout=5)
    s.sendall(("GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nLast-Event-ID: %d\r\n\r\n"
               % (kt, cursor)).encode())
    got = b""
    while b"\n\n" not in got.split(b"\r\n\r\n", 1)[-1] or b"data:" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    s.close()
    check(b'"type":"layout"' in got and b'"version":2' in got and (b"id: %d" % (cursor + 1)) in got,
          "the event stream carries the change: %r" % got[-400:])
    dev.start()
    wait_until(lambda: dev.verdict(assign) == "accepted,," and dev.verdict(hold).startswith("rejected"),
               slow(10), "both pending ops answered (%s, %s)" % (dev.verdict(assign), dev.verdict(hold)))
    eq(dev.verdict(hold), "rejected,unknown_seat,", "the hold on a dropped seat")
    seats = dev.seats()
    eq((seats.get("T09-03"), "T26-04" in seats, "T03-02" in seats), (("taken", "GALA-0005"), True, False),
       "the device's replica over the new layout")
    eq(tk.coord_seat_of(coord, env, "GALA-0005"), "T09-03", "the coordinator has the offline assign")
    eq(len(tk.outbox(dev.db)), 2, "nothing appended or sent twice")
    check("new layout: 244 seats in 25 sections" in dev.stderr(), dev.stderr()[-800:])
    wait_until(lambda: dev.status()["cursor"] == get_json(coord.port, "/healthz", None)["cursor"], slow(5),
               "the device caught up")


def test_cli_set_get_and_dry_run(env):
    """usher-coord layout get prints the JSON (also while serving); layout set
    --dry-run writes nothing; layout set applies it with the same rule and
    messages as the API; under a running serve it points to the dashboard."""
    env.setup(layout="gala:4x8")
    coord_tool = lambda *args, rc=0: env.tool([it.COORD] + list(args), rc=rc)
    cur = json.loads(coord_tool("layout", "get", "--db", env.db))
    eq(len(cur["sections"]), 4, "layout get: the 4 tables")
    bigger = env.path("bigger.json")
    with open(bigger, "w", encoding="utf-8") as f:
        json.dump(with_table(cur, "T05", 8), f)
    out = coord_tool("layout", "set", "--db", env.db, "--dry-run", bigger)
    check("seats +8 -0, sections +1 -0" in out and "dry run" in out and "nothing written" in out, out)
    eq(json.loads(coord_tool("layout", "get", "--db", env.db)), cur, "the dry run wrote nothing")
    out = coord_tool("layout", "set", "--db", env.db, bigger)
    check("layout replaced: version 2" in out, out)
    eq(len(json.loads(coord_tool("layout", "get", "--db", env.db))["sections"]), 5, "T05 is there")
    out = coord_tool("layout", "set", "--db", env.db, bigger)
    check("nothing written" in out and "version 2" in out, "the same layout again: %r" % out)
    # Seat a guest, then try to drop the table: refused by the CLI too.
    coord = env.coord()
    move(coord, env, "GALA-0003", "T05-08")
    p = it.subprocess.run([it.COORD, "layout", "set", "--db", env.db, bigger], capture_output=True,
                          timeout=slow(10))
    eq(p.returncode, 1, "layout set under serve")
    check(b"in use by a running 'usher-coord serve'" in p.stderr and b"/v1/layout" in p.stderr, p.stderr)
    eq(len(json.loads(coord_tool("layout", "get", "--db", env.db))["sections"]), 5, "layout get while serving")
    coord.stop()
    smaller = env.path("smaller.json")
    with open(smaller, "w", encoding="utf-8") as f:
        json.dump(cur, f)
    p = it.subprocess.run([it.COORD, "layout", "set", "--db", env.db, smaller], capture_output=True,
                          timeout=slow(10))
    eq(p.returncode, 1, "dropping a taken seat")
    check(b"seat T05-08 holds ticket GALA-0003: the new layout drops it" in p.stderr and
          b"nothing changed" in p.stderr, p.stderr)
    broken = env.path("broken.json")
    with open(broken, "w", encoding="utf-8") as f:
        f.write("{\"sections\": 7}")
    p = it.subprocess.run([it.COORD, "layout", "set", "--db", env.db, broken], capture_output=True,
                          timeout=slow(10))
    check(p.returncode == 1 and b"broken.json" in p.stderr and b"nothing changed" in p.stderr, p.stderr)
    eq(len(json.loads(coord_tool("layout", "get", "--db", env.db))["sections"]), 5, "still five tables")
    eq(it.query(env.db, "SELECT count(*) FROM alerts WHERE kind = 'layout_changed' AND device = 'usher-coord'"),
       [(1,)], "one trail entry for the one change")


if __name__ == "__main__":
    sys.exit(it.run("layout changes while serving", globals(), binaries=("coord", "syncd", "journal-op", "kiosk")))

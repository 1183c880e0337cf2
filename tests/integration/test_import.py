#!/usr/bin/env python3
"""test_import.py - organisers' ticket files end to end: every ticket office
export in tests/data/imports through `usher-coord tickets import` (dry run
first: nothing written), encodings and separators, the file's bytes through
POST /v1/tickets/import (preview, then import), a re-import of a newer export
on a serving coordinator with a real usher-syncd device synced (new, changed,
voided and missing rows), seats the export pre-assigns (taken on a synced
device, refused by line when they cannot be had, moved on a re-import),
corrections (name, class, un-revoke) reaching the device with their alert
trail, and search folding case and accents.

    python3 test_import.py --coord PATH --syncd PATH --journal-op PATH [NAME ...]
"""

import csv
import io
import json
import os
import subprocess
import sys
import urllib.parse

from usher_it import Fail, check, eq, get_json, http_call, query, run, slow, wait_until
import usher_it

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "imports")


def fixture(name):
    return os.path.join(DATA, name)


def coord_tool(env, *args, rc=0):
    return env.tool([usher_it.COORD] + list(args), rc=rc)


def init(env, layout="gala:4x8", devices=(("admin", "admin"),)):
    coord_tool(env, "init", "--db", env.db, "--event", "Import Test", "--layout", layout)
    for name, role in devices:
        env.add_device(name, role)


def db_tickets(env):
    return {r[0]: r[1:] for r in query(env.db, "SELECT code, name, class, revoked FROM tickets")}


def post(port, token, path, body):
    status, _, raw = http_call(port, "POST", path, token, body)
    try:
        return status, json.loads(raw.decode("utf-8"))
    except ValueError:
        raise Fail("POST %s answered %d with %r, not JSON" % (path, status, raw[:200]))


def device_tickets(dev):
    return {r["ticket_number"]: r for r in dev.dump("tickets")}


# =============================================================================


EXPECTED = {
    # file: (format, tickets imported, void rows, one code -> (name, class))
    "pretix-checkin.csv": ("pretix check-in list", 3, 0, ("F4JC8YE2NS6GQ1WLU0XO", "Bruno Laurent", "VIP")),
    "pretix-orders.csv": ("pretix order data (order positions)", 2, 1,
                          ("NQ3V8XK2LC7MR9TBW5YA", "Inès Moreau", "VIP")),
    "eventbrite.csv": ("Eventbrite attendee report", 3, 1, ("550010000310010001", "Владимир Набоков", "Standard")),
    "tito.csv": ("Tito tickets", 2, 1, ("MK2D-1", "Ada Lovelace", "Workshop")),
    "tickettailor.csv": ("Ticket Tailor issued tickets", 2, 1, ("TT9Q4K2M", "Kwame Nkrumah", "General")),
    "hievents.csv": ("Hi.Events attendees", 2, 1, ("A-PZ2W6NBE", "Octavio Paz", "Standard")),
    "seed.csv": ("Usher tickets (ticket_number,full_name[,class])", 2, 0, ("GALA-0002", "José Müller", "")),
}


def test_every_export_format(env):
    """Each fixture: a dry run prints the format and mapping and writes
    nothing; the import stores exactly its valid rows, void rows skipped."""
    for name, (fmt, count, void, (code, nm, klass)) in EXPECTED.items():
        sub = usher_it.new_store(env.dir, name + ".db")  # a file, or a database of its own
        env.db, keep = sub, env.db
        try:
            init(env, devices=())
            out = coord_tool(env, "tickets", "import", "--db", sub, "--dry-run", fixture(name))
            check("format: %s\n" % fmt in out, "%s: dry run names the format: %r" % (name, out))
            check("  code   <- \"" in out and "  name   <- \"" in out, "%s: the mapping is printed" % name)
            check("would be: %d new, 0 updated, 0 revoked, 0 unchanged" % count in out,
                  "%s: dry-run counts: %r" % (name, out))
            check("dry run: nothing was written" in out, "%s: says nothing was written" % name)
            eq(db_tickets(env), {}, "%s: nothing written by the dry run" % name)
            out = coord_tool(env, "tickets", "import", "--db", sub, fixture(name))
            check("%d new, 0 updated, 0 revoked, 0 unchanged" % count in out, "%s: counts: %r" % (name, out))
            check("%d void or cancelled row%s skipped" % (void, "" if void == 1 else "s") in out,
                  "%s: void rows counted: %r" % (name, out))
            got = db_tickets(env)
            eq(len(got), count, "%s: tickets stored" % name)
            eq(got[code][:2], (nm, klass), "%s: %s's name and class" % (name, code))
        finally:
            env.db = keep
            usher_it.drop_store(sub)


def test_encodings_and_separators(env):
    """UTF-8 with BOM and semicolons, UTF-16 with tabs (both byte orders),
    Windows-1252 with semicolons or commas: the same names stored, the
    conversion said; a name holding U+FFFD and bytes that are no encoding are
    refused with nothing written."""
    init(env, devices=())
    cases = [("enc-utf8-bom-semicolon.csv", "UTF-8 with BOM", "semicolon", False),
             ("enc-utf16le-tab.txt", "UTF-16 LE", "tab", True),
             ("enc-utf16be-tab.txt", "UTF-16 BE", "tab", True),
             ("enc-cp1252-semicolon.csv", "Windows-1252", "semicolon", True),
             ("enc-cp1252-comma.csv", "Windows-1252", "comma", True)]
    for i, (name, enc, sep, converted) in enumerate(cases):
        out = coord_tool(env, "tickets", "import", "--db", env.db, fixture(name))
        want = "encoding: %s%s; separator: %s" % (enc, " (converted to UTF-8)" if converted else "", sep)
        check(want in out, "%s: %r in %r" % (name, want, out))
        want = "3 new" if i == 0 else "0 new, 0 updated, 0 revoked, 3 unchanged"
        check(want in out, "%s: %s (%r)" % (name, want, out))
    t = db_tickets(env)
    eq((t["ENC-1"][0], t["ENC-2"][0], t["ENC-3"][0]), ("José Müller", "Zoë Ångström", "François Œuvray"),
       "names as people write them")
    bad = env.path("fffd.csv")
    with open(bad, "wb") as f:
        f.write("ticket_number,full_name\nENC-9,Jos\ufffd M\ufffdller\n".encode("utf-8"))
    p = subprocess.run([usher_it.COORD, "tickets", "import", "--db", env.db, bad],
                                     capture_output=True)
    eq(p.returncode, 1, "a U+FFFD name is refused")
    check("line 2: the name holds U+FFFD" in p.stderr.decode(), "says why: %r" % p.stderr)
    check("ENC-9" not in db_tickets(env), "the U+FFFD name is never stored")
    with open(bad, "wb") as f:
        f.write(b"ticket_number,full_name\nENC-9,Jos\x81\n")
    p = subprocess.run([usher_it.COORD, "tickets", "import", "--db", env.db, bad],
                                     capture_output=True)
    eq(p.returncode, 1, "bytes that are no encoding are refused")
    check("0x81" in p.stderr.decode(), "names the byte: %r" % p.stderr)


def test_map_for_an_unknown_export(env):
    """A header no tool uses is refused with the way out (--map) and its
    columns; with --map it imports, first + last joined."""
    init(env, devices=())
    p = subprocess.run([usher_it.COORD, "tickets", "import", "--db", env.db, fixture("custom.csv")],
                                     capture_output=True)
    eq(p.returncode, 1, "an unknown header without --map")
    err = p.stderr.decode()
    check("--map code=COLUMN" in err and '"Guest ID"' in err, "says how to map: %r" % err)
    out = coord_tool(env, "tickets", "import", "--db", env.db, "--map",
                     "code=Guest ID,name=Given+Family,class=Tier", fixture("custom.csv"))
    check("format: your mapping (--map)" in out and 'name   <- "Given" + "Family"' in out, out)
    eq(db_tickets(env)["G-100"][:2], ("Nadia Boulanger", "VIP"), "mapped ticket")


def test_dashboard_bytes_and_reimport_reach_a_device(env):
    """POST /v1/tickets/import takes the file's bytes (a Windows-1252 file is
    converted exactly as by the CLI); a dry run previews and changes nothing;
    a newer export merges: new, updated, void revoked, missing kept or
    revoked on request; a synced usher-syncd device has every change."""
    init(env, devices=(("admin", "admin"), ("k1", "kiosk")))
    a = env.tokens["admin"]
    coord = env.coord()
    dev = env.syncd("k1", coord.url)
    dev.wait_online()
    with open(fixture("enc-cp1252-semicolon.csv"), "rb") as f:
        body = f.read()
    st, j = post(coord.port, a, "/v1/tickets/import?dry_run=1", body)
    eq(st, 200, "preview status (%r)" % j)
    eq((j["dry_run"], j["format"], j["encoding"], j["converted"], j["separator"]),
       (True, "Usher tickets (ticket_number,full_name[,class])", "Windows-1252", True, "semicolon"),
       "preview: format, encoding, separator")
    eq(j["mapping"]["code"], ["ticket_number"], "preview mapping")
    eq((j["new"], j["updated"], j["revoked"], j["unchanged"]), (3, 0, 0, 0), "preview counts")
    eq(j["first_rows"][0], {"code": "ENC-1", "name": "José Müller", "class": "VIP"}, "preview first row")
    eq(get_json(coord.port, "/v1/tickets", a)["total"], 0, "nothing imported by the preview")
    st, j = post(coord.port, a, "/v1/tickets/import", body)
    eq((st, j["new"], j["dry_run"]), (200, 3, False), "import of the bytes (%r)" % j)
    wait_until(lambda: len(device_tickets(dev)) == 3, slow(5), "the device has the 3 tickets")
    eq(device_tickets(dev)["ENC-1"]["full_name"], "José Müller", "the device's name, converted")
    # A newer export: ENC-1 renamed, ENC-2 void, ENC-3 missing, ENC-4 new.
    newer = ("ticket_number;full_name;class;status\r\nENC-1;José Müller-Lenz;VIP;\r\n"
             "ENC-2;Zoë Ångström;;cancelled\r\nENC-4;Late Sale;;\r\n").encode("cp1252")
    st, j = post(coord.port, a, "/v1/tickets/import?dry_run=1&map=" + urllib.parse.quote("status=status"), newer)
    eq(st, 200, "preview of the newer export (%r)" % j)
    eq((j["new"], j["updated"], j["revoked"], j["unchanged"], j["missing_kept"]), (1, 1, 1, 0, 1),
       "preview: 1 new, 1 updated, 1 revoked, 1 missing kept")
    eq(j["updates"][0], {"code": "ENC-1", "before": {"name": "José Müller", "class": "VIP"},
                         "after": {"name": "José Müller-Lenz", "class": "VIP"}}, "the update shown")
    st, j = post(coord.port, a, "/v1/tickets/import?map=status%3Dstatus", newer)
    eq((st, j["new"], j["updated"], j["revoked"], j["missing_kept"]), (200, 1, 1, 1, 1), "merge (%r)" % j)

    def merged():
        t = device_tickets(dev)
        return (t.get("ENC-1", {}).get("full_name"), t.get("ENC-2", {}).get("revoked"),
                t.get("ENC-3", {}).get("revoked"), "ENC-4" in t)
    wait_until(lambda: merged() == ("José Müller-Lenz", "1", "0", True), slow(5),
               "the device has the merge (now %r)" % (merged(),))
    st, j = post(coord.port, a, "/v1/tickets/import?missing=revoke&map=status%3Dstatus", newer)
    eq((st, j["new"], j["updated"], j["revoked"], j["revoked_missing"], j["unchanged"]), (200, 0, 0, 1, 1, 3),
       "--revoke-missing: ENC-3 revoked (%r)" % j)
    wait_until(lambda: device_tickets(dev)["ENC-3"]["revoked"] == "1", slow(5), "the device has ENC-3 revoked")
    # A newer export with a note for door staff and the attention flag.
    noted = "ticket_number,full_name,note,attention\nENC-4,Late Sale,needs a ramp,yes\n".encode("utf-8")
    st, j = post(coord.port, a, "/v1/tickets/import", noted)
    eq((st, j["updated"], j["unchanged"]), (200, 1, 0), "the note's import (%r)" % j)
    eq((j["updates"][0]["before"]["note"], j["updates"][0]["after"]["note"], j["updates"][0]["after"]["attention"]),
       ("", "needs a ramp", True), "the note's update shown")
    wait_until(lambda: (device_tickets(dev)["ENC-4"]["note"], device_tickets(dev)["ENC-4"]["attention"])
               == ("needs a ramp", "1"), slow(5), "the device has the note")
    # A file without those columns keeps them.
    st, j = post(coord.port, a, "/v1/tickets/import", b"ticket_number,full_name\nENC-4,Late Sale\n")
    eq((st, j["updated"], j["unchanged"]), (200, 0, 1), "a re-import without notes (%r)" % j)
    t = get_json(coord.port, "/v1/tickets?q=ENC-4", a)["tickets"][0]
    eq((t["note"], t["attention"]), ("needs a ramp", True), "the note kept")
    # Bad input changes nothing.
    before = get_json(coord.port, "/healthz", None)["cursor"]
    for path, body, what in [("/v1/tickets/import?missing=maybe", newer, "a bad missing="),
                             ("/v1/tickets/import?map=colour%3Dred", newer, "a bad map="),
                             ("/v1/tickets/import", b"ticket_number,full_name\nX-1,Jos\xef\xbf\xbd\n", "U+FFFD"),
                             ("/v1/tickets/import", b"\xff\xfea", "broken UTF-16")]:
        st, j = post(coord.port, a, path, body)
        eq((st, j.get("error")), (400, "invalid"), "%s is refused (%r)" % (what, j))
    eq(get_json(coord.port, "/healthz", None)["cursor"], before, "nothing changed by the refusals")


def seated_export(env, name, rows):
    """A pretix check-in list like pretix-checkin-seats.csv with other rows:
    (name, secret, seat id or "")."""
    with open(fixture("pretix-checkin-seats.csv"), encoding="utf-8") as f:
        header = f.readline()
    path = env.path(name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(header)
        for who, secret, seat in rows:
            f.write("Q7HNM,%s,Dinner,85.00,,,No,%s,x@example.org,,,2026-10-03,No,,%s,,,,\n"
                    % (who, secret, seat))
    return path


AIKO, KENJI, NGOZI, LARS = ("W9PZ2KQ7TM4XV6BC1NRD", "E3LF8UA5GY0SJ2HW7QKV", "R6DN1OT9ZB3MC5EX8WPA",
                            "K8VB4SH0QF6YN2JU9TMC")


def test_seats_from_the_export_reach_a_device(env):
    """A pretix check-in list with a Seat ID column: the dry run shows the
    seats and writes nothing; seats the layout lacks or that the file gives
    twice refuse the file by line; the import seats each ticket (the seat
    shown taken on a synced device); a re-import moves a ticket only to a
    free seat, else is refused naming the ticket that sits there, and only
    when the file's seat changed: a move the organiser made since stays."""
    init(env, devices=(("admin", "admin"), ("k1", "kiosk")))
    a = env.tokens["admin"]
    src = fixture("pretix-checkin-seats.csv")
    out = coord_tool(env, "tickets", "import", "--db", env.db, "--dry-run", src)
    check('  seat   <- "Seat ID" (each ticket is seated there' in out, "the seat column's mapping: %r" % out)
    check("seat %s (Aiko Tanaka): T01-01\n" % AIKO in out, "the dry run lists the seats: %r" % out)
    check("  %-20s Aiko Tanaka / Dinner, seat T01-01" % AIKO in out, "first rows show the seat: %r" % out)
    check("would be: 4 new, 0 updated, 0 revoked, 0 unchanged, 3 seated" in out, "dry-run counts: %r" % out)
    eq(db_tickets(env), {}, "nothing written by the dry run")
    bad = seated_export(env, "bad.csv", [("Aiko Tanaka", AIKO, "Z9-01"), ("Kenji Tanaka", KENJI, "T01-02"),
                                         ("Ngozi Okafor", NGOZI, "T01-02")])
    p = subprocess.run([usher_it.COORD, "tickets", "import", "--db", env.db, bad], capture_output=True)
    err = p.stderr.decode()
    eq(p.returncode, 1, "a file with seats that cannot be had is refused (%r)" % err)
    check("line 4: seat T01-02 is given to two tickets (first on line 3)" in err, "a seat given twice: %r" % err)
    p = subprocess.run([usher_it.COORD, "tickets", "import", "--db", env.db,
                        seated_export(env, "bad2.csv", [("Aiko Tanaka", AIKO, "Z9-01")])], capture_output=True)
    err = p.stderr.decode()
    eq(p.returncode, 1, "a seat the layout lacks is refused (%r)" % err)
    check("line 2: seat Z9-01 is not in the venue's layout" in err and "--map seat=" in err,
          "names the line and the fix: %r" % err)
    eq(db_tickets(env), {}, "nothing imported from the refused files")
    out = coord_tool(env, "tickets", "import", "--db", env.db, src)
    check("4 new, 0 updated, 0 revoked, 0 unchanged, 3 seated" in out, "import counts: %r" % out)
    eq(dict(query(env.db, "SELECT code, seat FROM tickets WHERE seat <> ''")),
       {AIKO: "T01-01", KENJI: "T01-02", NGOZI: "T03-05"}, "the coordinator's tickets are seated")
    out = coord_tool(env, "tickets", "import", "--db", env.db, src)
    check("0 new, 0 updated, 0 revoked, 4 unchanged\n" in out, "the same file again changes nothing: %r" % out)

    coord = env.coord()
    dev = env.syncd("k1", coord.url)
    dev.wait_online()
    wait_until(lambda: all(dev.seats().get(s) == ("taken", c)
                           for s, c in (("T01-01", AIKO), ("T01-02", KENJI), ("T03-05", NGOZI))),
               slow(5), "the device's journal shows the seats taken (%r)" % (dev.seats().get("T01-01"),))
    eq(device_tickets(dev)[AIKO]["seat"], "T01-01", "the device's ticket has its seat")
    # Late changes from the ticket office: Lars is given Aiko's seat: refused, nothing changes.
    before = get_json(coord.port, "/healthz", None)["cursor"]
    with open(seated_export(env, "taken.csv", [("Aiko Tanaka", AIKO, "T01-01"),
                                               ("Lars Eriksson", LARS, "T01-01")]), "rb") as f:
        body = f.read()
    st, j = post(coord.port, a, "/v1/tickets/import", body)
    eq(st, 400, "a seat that another ticket holds refuses the file (%r)" % j)
    eq(j["total"], 1, "one problem: the seat given twice in the file (%r)" % j)
    check("line 3: seat T01-01 is given to two tickets" in j["problems"][0]["message"], "names it: %r" % j)
    with open(seated_export(env, "taken.csv", [("Lars Eriksson", LARS, "T01-01")]), "rb") as f:
        body = f.read()
    st, j = post(coord.port, a, "/v1/tickets/import?dry_run=1", body)
    eq(st, 400, "the preview says so too (%r)" % j)
    check(j["problems"][0]["message"].startswith(
        "line 2: seat T01-01 already holds ticket %s (Aiko Tanaka)" % AIKO), "names who sits there: %r" % j)
    eq(get_json(coord.port, "/healthz", None)["cursor"], before, "nothing changed by the refusals")
    # Aiko moves to a free seat and Lars takes hers: moved and seated, on the device at once.
    with open(seated_export(env, "moved.csv", [("Aiko Tanaka", AIKO, "T02-02"),
                                               ("Lars Eriksson", LARS, "T02-03")]), "rb") as f:
        body = f.read()
    st, j = post(coord.port, a, "/v1/tickets/import?dry_run=1", body)
    eq((st, j["seated"], j["moved"]), (200, 2, 1), "preview of the move (%r)" % j)
    eq(j["seats"][0], {"code": AIKO, "name": "Aiko Tanaka", "seat": "T02-02", "before": "T01-01"},
       "the move shown")
    st, j = post(coord.port, a, "/v1/tickets/import", body)
    eq((st, j["new"], j["unchanged"], j["seated"], j["moved"]), (200, 0, 0, 2, 1), "the re-import (%r)" % j)
    wait_until(lambda: (dev.seats().get("T02-02"), dev.seats().get("T02-03"), dev.seats().get("T01-01")[0])
               == (("taken", AIKO), ("taken", LARS), "free"), slow(5),
               "the device has Aiko moved and Lars seated (%r)" % (dev.seats().get("T02-02"),))
    # The organiser moves Aiko; the same export again leaves her where she is now.
    st, _, raw = http_call(coord.port, "POST", "/v1/tickets/%s/move" % AIKO, a, json.dumps({"seat": "T04-01"}))
    eq(st, 200, "the organiser's move (%r)" % raw[:200])
    st, j = post(coord.port, a, "/v1/tickets/import", body)
    eq((st, j["seated"], j["seats_kept"], j["unchanged"]), (200, 0, 1, 2),
       "the same file again keeps the organiser's move (%r)" % j)
    eq(get_json(coord.port, "/v1/tickets?q=" + AIKO, a)["tickets"][0]["seat"], "T04-01",
       "Aiko still at the organiser's seat")
    wait_until(lambda: device_tickets(dev)[AIKO]["seat"] == "T04-01", slow(5), "and so on the device")


def test_corrections_reach_a_device(env):
    """Edit a guest's name and class, undo a revoke: each a change the device
    pulls and an alert saying who, when, before and after; bad edits are
    refused and change nothing."""
    init(env, devices=(("admin", "admin"), ("k1", "kiosk")))
    coord_tool(env, "tickets", "import", "--db", env.db, fixture("seed.csv"))
    a = env.tokens["admin"]
    coord = env.coord()
    dev = env.syncd("k1", coord.url)
    dev.wait_online()
    st, j = post(coord.port, a, "/v1/tickets/GALA-0002/edit", json.dumps({"name": "José  Müller\n", "class": "VIP"}))
    eq(st, 200, "edit (%r)" % j)
    eq((j["ticket"]["name"], j["ticket"]["class"]), ("José Müller", "VIP"), "the edited ticket")
    eq((j["trail"]["who"], j["trail"]["before"], j["trail"]["after"]), ("admin", "José Müller / -", "José Müller / VIP"),
       "the trail")
    wait_until(lambda: device_tickets(dev)["GALA-0002"]["class"] == "VIP", slow(5), "the device has the class")
    # a note for door staff and the attention flag: the same correction, the same trail
    st, j = post(coord.port, a, "/v1/tickets/GALA-0002/edit",
                 json.dumps({"note": " wheelchair,\n escort to table 4 ", "attention": True}))
    eq(st, 200, "note edit (%r)" % j)
    eq((j["ticket"]["note"], j["ticket"]["attention"], j["ticket"]["name"]),
       ("wheelchair, escort to table 4", True, "José Müller"), "the noted ticket keeps its name")
    eq(j["trail"]["after"], "José Müller / VIP / note: wheelchair, escort to table 4 / attention", "the note's trail")
    wait_until(lambda: device_tickets(dev)["GALA-0002"]["note"] == "wheelchair, escort to table 4"
               and device_tickets(dev)["GALA-0002"]["attention"] == "1", slow(5), "the device has the note")
    _, _, raw = http_call(coord.port, "GET", "/v1/export/assignments.csv", a)
    rows = {r["ticket_number"]: r for r in csv.DictReader(io.StringIO(raw.decode("utf-8")))}
    eq((rows["GALA-0002"]["note"], rows["GALA-0002"]["attention"], rows["GALA-0001"]["attention"]),
       ("wheelchair, escort to table 4", "1", "0"), "the assignments export has the note and the flag")
    st, j = post(coord.port, a, "/v1/tickets/GALA-0002/edit", json.dumps({"note": None, "attention": False}))
    eq((st, j["ticket"]["note"], j["ticket"]["attention"]), (200, "", False), "the note cleared (%r)" % j)
    st, j = post(coord.port, a, "/v1/tickets/GALA-0001/revoke", "")
    eq(st, 200, "revoke")
    wait_until(lambda: device_tickets(dev)["GALA-0001"]["revoked"] == "1", slow(5), "the device has the revoke")
    st, j = post(coord.port, a, "/v1/tickets/GALA-0001/unrevoke", "")
    eq((st, j["ticket"]["revoked"]), (200, False), "un-revoke (%r)" % j)
    wait_until(lambda: device_tickets(dev)["GALA-0001"]["revoked"] == "0", slow(5), "the device has the un-revoke")
    alerts = get_json(coord.port, "/v1/alerts", a)["alerts"]
    kinds = [(x["kind"], x["ticket"], x.get("device"), x.get("before"), x.get("after")) for x in alerts]
    check(("ticket_edited", "GALA-0002", "admin", "José Müller / -", "José Müller / VIP") in kinds, kinds)
    check(("ticket_unrevoked", "GALA-0001", "admin", 'Smith, Jane "JJ" / VIP (revoked)',
           'Smith, Jane "JJ" / VIP') in kinds, kinds)
    check(all(x["at"] for x in alerts if x["kind"].startswith("ticket_")), "each trail says when")
    before = get_json(coord.port, "/healthz", None)["cursor"]
    for path, body, want in [("/v1/tickets/GALA-0001/unrevoke", "", (409, "not_revoked")),
                             ("/v1/tickets/NOPE-1/edit", '{"name": "X"}', (404, "not_found")),
                             ("/v1/tickets/GALA-0002/edit", '{"name": "Jos\\ufffd"}', (400, "invalid")),
                             ("/v1/tickets/GALA-0002/edit", '{"name": ""}', (400, "invalid")),
                             ("/v1/tickets/GALA-0002/edit", '{"class": "Very Long Class Name!"}', (400, "invalid")),
                             ("/v1/tickets/GALA-0002/edit", '[1]', (400, "invalid")),
                             ("/v1/tickets/GALA-0002/edit", '{"name": 5}', (400, "invalid")),
                             ("/v1/tickets/GALA-0002/edit", json.dumps({"note": "x" * 201}), (400, "invalid")),
                             ("/v1/tickets/GALA-0002/edit", '{"note": "bell\\u0007"}', (400, "invalid")),
                             ("/v1/tickets/GALA-0002/edit", '{"note": 7}', (400, "invalid")),
                             ("/v1/tickets/GALA-0002/edit", '{"attention": "yes"}', (400, "invalid"))]:
        st, j = post(coord.port, a, path, body)
        eq((st, j.get("error")), want, "%s %s (%r)" % (path, body, j))
    eq(get_json(coord.port, "/healthz", None)["cursor"], before, "nothing changed by bad corrections")


def test_search_folds_case_and_accents(env):
    """набоков, ZOË, emile, nguyen find their guests (fold.h)."""
    init(env, devices=(("admin", "admin"),))
    coord_tool(env, "tickets", "import", "--db", env.db, fixture("eventbrite.csv"))
    with open(env.path("more.csv"), "w", encoding="utf-8") as f:
        f.write("ticket_number,full_name\nNG-1,Nguyễn Thị Minh\nZO-1,ZOË KRAVITZ\n")
    coord_tool(env, "tickets", "import", "--db", env.db, env.path("more.csv"))
    a = env.tokens["admin"]
    coord = env.coord()
    for q, want in [("набоков", {"550010000310010001"}), ("ZOË", {"550010000110010001", "ZO-1"}),
                    ("emile", {"550010000210010001"}), ("nguyen", {"NG-1"}), ("ANGSTROM", {"550010000110010001"}),
                    ("zz-nobody", set())]:
        j = get_json(coord.port, "/v1/tickets?q=" + urllib.parse.quote(q), a)
        eq({t["code"] for t in j["tickets"]}, want, "search %r" % q)


if __name__ == "__main__":
    sys.exit(run(__doc__.splitlines()[0], globals()))

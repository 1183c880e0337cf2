#!/usr/bin/env python3
"""test_kiosk.py - UI tests of usher-kiosk: the real kiosk, headless, driven by
its script language (kiosk/README.md) on real device journals that real
usher-syncd processes keep in step with a real usher-coord on 127.0.0.1
(tests/integration/README.md).

    python3 test_kiosk.py --coord PATH --syncd PATH --journal-op PATH --kiosk PATH [NAME ...]

Each test checks what a guest or door keeper sees (the script's `expect`
lines, pixels of the screenshots at the places the kiosk says it drew a seat,
the confirmation QR code decoded by zbarimg) and what the kiosk wrote (the
journal's outbox, then the coordinator's state once synced). Python 3
standard library only; zbarimg, rsvg-convert and pdftoppm (zbar-tools,
librsvg2-bin, poppler-utils) for QR codes, else the test is skipped (77).
"""

import json
import csv
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib

import usher_it as it
from usher_it import Fail, Skip, check, eq, get_json, http_call, no_sanitizer_report, slow, wait_until

LAYOUT = "gala:25x10,vip=2"  # tables T01 and T02 are VIP
TICKETS = [("GALA-%04d" % i, "Guest %d" % i, "Regular") for i in range(1, 41)]
TICKETS.append(("VIP-0001", "Vera Important", "VIP"))
W, H = 1280, 800

# ui.c's colours: seat looks, door verdicts, the status dot.
SEAT_RGB = {"free": (46, 170, 90), "held": (235, 160, 40), "taken": (120, 120, 130),
            "mine": (40, 120, 235), "blocked": (40, 40, 44), "class": (130, 80, 160)}
GREEN, AMBER, RED = (20, 120, 50), (235, 150, 20), (210, 50, 50)
DOT_GREEN = (40, 170, 80)  # the status bar's online dot (no text on it)
# The status bar's dot (ui.c status_bar): bar height min(48, max(28, H/16)).
BAR = min(48, max(28, H / 16))
DOT = (int(BAR * 0.4 + BAR * 0.2), int(BAR / 2))


# ---- pictures ------------------------------------------------------------------


def read_png(path):
    """(width, height, rows of RGB bytes) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    eq(data[:8], b"\x89PNG\r\n\x1a\n", "%s PNG signature" % path)
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = ihdr[0], ihdr[1], ihdr[2], ihdr[3]
    check(depth == 8 and ctype in (2, 6), "%s: 8-bit RGB(A) expected" % path)
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ft == 1:
                line[i] = (line[i] + a) & 255
            elif ft == 2:
                line[i] = (line[i] + b) & 255
            elif ft == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if bpp == 3 else bytes(x for j, x in enumerate(line) if j % 4 != 3))
        prev = line
    return w, h, rows


def pixel(img, x, y):
    w, h, rows = img
    x, y = int(round(x)), int(round(y))
    check(0 <= x < w and 0 <= y < h, "pixel %d,%d outside the %dx%d picture" % (x, y, w, h))
    return tuple(rows[y][3 * x:3 * x + 3])


def tools(*names):
    for n in names:
        if not shutil.which(n):
            raise Skip("%s is not installed (scripts/deps test)" % n)


def zbar(env, png):
    """The text of the one QR code in a picture, as zbarimg reads it."""
    tools("zbarimg")
    out = subprocess.run(["zbarimg", "-q", "--raw", png], capture_output=True, timeout=slow(30))
    eq(out.returncode, 0, "zbarimg %s exit status (stderr %s)" % (png, out.stderr[-300:]))
    return out.stdout.decode("utf-8").rstrip("\n")


def qr_payloads(env, codes, db=None):
    """The signed payload a scanner reads off each ticket's printed QR code
    (usher-coord qr's PDF sheet, its page rendered by pdftoppm, decoded by
    zbarimg), of env's event or of the event in db."""
    tools("pdftoppm", "zbarimg")
    out = env.path("qr" if db is None else "qr-" + os.path.basename(db))
    env.tool([it.COORD, "qr", "--db", db or env.db, "--out", out])
    with open(os.path.join(out, "payloads.csv"), encoding="utf-8", newline="") as f:
        order = [r["ticket_number"] for r in csv.DictReader(f)]
    got = {}
    # 2x5 cards on an A4 page (595 x 842 points less 10 mm margins; 150 dpi):
    # each card rendered alone, as a door's scanner sees one ticket.
    mg, px = 10 * 72 / 25.4, 150 / 72
    cw, ch = (595.276 - 2 * mg) / 2, (841.89 - 2 * mg) / 5
    for code in codes:
        page, k = order.index(code) // 10 + 1, order.index(code) % 10
        png = out + "-" + code
        env.tool(["pdftoppm", "-r", "150", "-png", "-singlefile", "-f", str(page), "-l", str(page),
                  "-x", str(int((mg + k % 2 * cw) * px)), "-y", str(int((mg + k // 2 * ch) * px)),
                  "-W", str(int(cw * px)), "-H", str(int(ch * px)), os.path.join(out, "tickets-0001.pdf"), png])
        r = subprocess.run(["zbarimg", "-q", "--raw", png + ".png"], capture_output=True, timeout=slow(30))
        eq(r.returncode, 0, "zbarimg page %d card %d: %r" % (page, k, r.stderr[-300:]))
        mine = [p for p in r.stdout.decode().split("\n") if p.startswith("U2.") and p.endswith("." + code + "." + p[-103:])]
        eq(len(mine), 1, "the QR of %s on page %d: %r" % (code, page, r.stdout[:300]))
        got[code] = mine[0]
    return got


# ---- the kiosk -------------------------------------------------------------------


class Kiosk:
    """One headless usher-kiosk run of a script on a journal."""

    def __init__(self, env, db, name, script, extra=()):
        self.env, self.name = env, name
        self.shots = env.path("shots-" + name)
        os.makedirs(self.shots, exist_ok=True)
        self.script = env.path(name + ".script")
        with open(self.script, "w", encoding="utf-8") as f:
            f.write(script)
        self.argv = [it.KIOSK, "--db", db, "--headless", "--script", self.script, "--shots",
                     self.shots, "--window", "%dx%d" % (W, H)] + list(extra)
        self.err_path = env.path(name + ".kiosk.err")
        env.logs.append(("kiosk-" + name, self.err_path))
        self.proc = None

    def start(self):
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=err,
                                         stdin=subprocess.DEVNULL, preexec_fn=it.die_with_parent)
        return self

    def wait(self, rc=0, seconds=60):
        try:
            got = self.proc.wait(timeout=slow(seconds))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Fail("kiosk %s still running after %d s (stderr: %s)" % (self.name, slow(seconds), self.stderr()))
        no_sanitizer_report(self.stderr(), "usher-kiosk")
        if rc is not None:
            eq(got, rc, "kiosk %s exit status (stderr: %s)" % (self.name, self.stderr().strip()))
        return got

    def run(self, rc=0):
        self.start()
        self.wait(rc)
        return self

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def shot(self, name):
        return os.path.join(self.shots, name + ".png")

    def wait_shot(self, name):
        """Waits until the running script has written shot NAME (its sidecar
        JSON is written last), so the test can act at that point."""
        path = os.path.join(self.shots, name + ".json")
        wait_until(lambda: os.path.exists(path) or self.proc.poll() is not None, slow(30),
                   "kiosk %s reaching `shot %s`" % (self.name, name))
        check(os.path.exists(path), "kiosk %s ended before `shot %s` (rc %r, stderr: %s)"
              % (self.name, name, self.proc.poll(), self.stderr().strip()))

    def info(self, name):
        with open(os.path.join(self.shots, name + ".json"), encoding="utf-8") as f:
            return json.load(f)

    def seat_rgb(self, shot, seat):
        """The colour drawn at the centre of a seat, where the kiosk says it drew it."""
        seats = self.info(shot)["seats"]
        check(seat in seats, "seat %s is not on screen in %s" % (seat, shot))
        x, y, _, _ = seats[seat]
        return pixel(read_png(self.shot(shot)), x, y)


def kiosk_run(env, db, name, script, rc=0, extra=()):
    return Kiosk(env, db, name, script, extra).run(rc)


def outbox(db, kind=None):
    rows = it.query(db, "SELECT kind, ticket, seat, expect_ticket_seat, party, state, reason, reseat "
                        "FROM outbox ORDER BY seq")
    keys = ("kind", "ticket", "seat", "expect", "party", "state", "reason", "reseat")
    rows = [dict(zip(keys, r)) for r in rows]
    return [r for r in rows if kind is None or r["kind"] == kind]


def wake(db):
    """One datagram on the wake socket syncd named in the journal."""
    name = it.query(db, "SELECT value FROM meta WHERE key = 'wake_socket'")[0][0]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.sendto(b"", "\0" + name[1:] if name.startswith("@") else name)
    finally:
        s.close()


def admin_post(coord, env, path, body=None):
    status, _, data = http_call(coord.port, "POST", path, env.tokens["admin"], body)
    eq(status, 200, "POST %s (body %r)" % (path, data[:300]))


def start(env, devices=(("kiosk-1", "kiosk"),), online=True, codes="strong"):
    """Coordinator with the gala and its guests, and one syncd per device,
    each bootstrapped; returns (coord, {device: syncd}). The guests' codes
    (GALA-0001...) are weak; most tests set them strong as an organiser whose
    ticket office printed its own barcodes would (codes=None keeps them weak)."""
    env.setup(layout=LAYOUT, tickets=TICKETS,
              devices=(("admin", "admin"),) + tuple(devices))
    if codes:
        env.tool([it.COORD, "event", "set", "--db", env.db, "--codes", codes])
    coord = env.coord()
    syncds = {}
    for name, _ in devices:
        syncds[name] = env.syncd(name, coord.url)
        syncds[name].wait_online()
    return coord, syncds


def coord_seat_of(coord, env, code):
    j = get_json(coord.port, "/v1/tickets?q=" + code, env.tokens["admin"])
    for t in j["tickets"]:
        if t["code"] == code:
            return t.get("seat") or ""
    raise Fail("coordinator has no ticket %s: %r" % (code, j))


# ---- tests ----------------------------------------------------------------------


def test_party_of_three(env):
    """A party of three: a typed code, one on the keypad, one scanned; three
    seats held on the map, confirmed; the journal, the coordinator, the
    screenshot and the confirmation QR code all agree."""
    coord, sd = start(env)
    p3 = qr_payloads(env, ["GALA-0003"])["GALA-0003"]
    keys = "\n".join("tap button key_%s" % c for c in "GALA-0002")
    k = kiosk_run(env, sd["kiosk-1"].db, "party", """
expect screen attract
tap 640 400
expect screen entry
type GALA-0001
key Return
expect text "GALA-0001 Guest 1"
%s
tap button ok
scan %s tab
expect text "GALA-0003 Guest 3"
shot entry
tap button seats
expect screen seatmap
tap seat T07-01
tap seat T07-02
tap seat T07-03
expect seat T07-01 mine
expect seat T07-04 free
expect text "Table 7, seat 1 (held "
shot held
tap button confirm
expect screen confirm
expect text "GALA-0002 Guest 2: Table 7, seat 2"
tap button yes
expect screen confirmation
shot done
""" % (keys, p3))
    holds = [(r["seat"]) for r in outbox(sd["kiosk-1"].db, "hold")]
    eq(holds, ["T07-01", "T07-02", "T07-03"], "hold ops in the outbox")
    assigns = outbox(sd["kiosk-1"].db, "assign")
    eq([(r["ticket"], r["seat"], r["expect"]) for r in assigns],
       [("GALA-0001", "T07-01", ""), ("GALA-0002", "T07-02", ""), ("GALA-0003", "T07-03", "")],
       "assign ops in the outbox")
    check(assigns[0]["party"] and len({r["party"] for r in assigns}) == 1,
          "the three assigns share one party id: %r" % assigns)
    eq(k.seat_rgb("held", "T07-01"), SEAT_RGB["mine"], "colour at T07-01 while held")
    eq(k.seat_rgb("held", "T07-04"), SEAT_RGB["free"], "colour at T07-04")
    text = zbar(env, k.shot("done"))
    for code, seat in (("GALA-0001", "T07-01"), ("GALA-0002", "T07-02"), ("GALA-0003", "T07-03")):
        check("%s %s" % (code, seat) in text, "confirmation QR names %s at %s: %r" % (code, seat, text))
    it.wait_converged(coord, [sd["kiosk-1"]], env.tokens["admin"], slow(10))
    taken = it.coord_taken(coord, env.tokens["admin"])
    for code, seat in (("GALA-0001", "T07-01"), ("GALA-0002", "T07-02"), ("GALA-0003", "T07-03")):
        eq(taken.get(seat), code, "coordinator: %s" % seat)
    eq([r["state"] for r in outbox(sd["kiosk-1"].db, "assign")], [1, 1, 1], "assigns accepted")
    # The next guest sees those seats taken.
    k2 = kiosk_run(env, sd["kiosk-1"].db, "next", """
type GALA-0004
key Return
tap button seats
expect seat T07-01 taken
shot map
""")
    eq(k2.seat_rgb("map", "T07-02"), SEAT_RGB["taken"], "colour at T07-02 for the next guest")


def test_event_language(env):
    """The event sets the kiosks' default language (`event set --lang de`):
    it reaches the kiosk through syncd, the attract screen is German, a guest
    taps French, and the next guest sees German again. A kiosk started with
    --lang keeps its own; a language the kiosks do not speak is refused and
    changes nothing."""
    env.setup(layout=LAYOUT, tickets=TICKETS, devices=(("admin", "admin"), ("kiosk-1", "kiosk")))
    out = env.tool([it.COORD, "event", "set", "--db", env.db, "--lang", "de"])
    check("kiosk language: de" in out, "event set --lang de printed %r" % out)
    p = subprocess.run([it.COORD, "event", "set", "--db", env.db, "--lang", "xx"],
                       capture_output=True, timeout=slow(10))
    err = p.stderr.decode()
    check(p.returncode != 0 and "--lang: 'xx' is not a language the kiosks speak" in err
          and "en de fr es ar zh" in err, "event set --lang xx: rc %d, %r" % (p.returncode, err))
    eq(it.query(env.db, "SELECT value FROM meta WHERE key = 'lang'"), [("de",)],
       "the coordinator's language after a refused --lang")
    coord = env.coord()
    sd = env.syncd("kiosk-1", coord.url)
    sd.wait_online()
    eq(it.query(sd.db, "SELECT value FROM meta WHERE key = 'lang'"), [("de",)],
       "the language in the device's journal")
    de = "Berühren Sie den Bildschirm"
    k = kiosk_run(env, sd.db, "lang", """
expect screen attract
expect text "%s"
shot attract_de
tap button lang_fr
expect text "Touchez l'écran"
tap 640 400
expect screen entry
wait 80000
expect screen attract
expect text "%s"
shot home_de
""" % (de, de))
    for shot in ("attract_de", "home_de"):
        texts = [t["text"] for t in k.info(shot)["texts"]]
        check(any(de in t for t in texts), "%s shows %r, not German" % (shot, texts))
        eq(k.info(shot)["geometry"]["lang"], "de", "%s's language" % shot)
    kiosk_run(env, sd.db, "lang_en", """
expect screen attract
expect text "Touch the screen"
""", extra=("--lang", "en"))


def test_refusals(env):
    """Every refusal says what happened: unknown, mistyped (check character),
    revoked, already seated (keep or change: changing moves the guest), seat
    class, and wrong codes slow the keypad down."""
    env.setup(layout=LAYOUT, tickets=TICKETS,
              devices=(("admin", "admin"), ("kiosk-1", "kiosk")))
    env.tool([it.COORD, "tickets", "generate", "--db", env.db, "--count", "1", "--prefix", "GEN"])
    env.tool([it.COORD, "event", "set", "--db", env.db, "--codes", "strong"])
    coord = env.coord()
    sd = env.syncd("kiosk-1", coord.url)
    sd.wait_online()
    admin_post(coord, env, "/v1/tickets/GALA-0010/revoke")
    sd.op("assign", "GALA-0011", "T09-01")
    it.wait_converged(coord, [sd], env.tokens["admin"], slow(10))
    gen = [r["ticket_number"] for r in sd.dump("tickets") if r["ticket_number"].startswith("GEN-")][0]
    # One character changed: the check character catches it.
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    c = gen[-3]
    typo = gen[:-3] + alphabet[(alphabet.index(c) + 1) % 32] + gen[-2:]
    kiosk_run(env, sd.db, "refusals", """
tap 640 400
type GALA-9999
key Return
expect text "Unknown ticket"
expect text "We cannot find ticket GALA-9999"
shot unknown
key Return
type %s
key Return
expect text "Mistyped?"
key Return
type %s
key Return
expect text "Your party: %s"
tap button cancel
expect screen attract
tap 640 400
type GALA-0010
key Return
expect text "Ticket cancelled"
expect text "Please see the front desk"
key Return
type GALA-0011
key Return
expect text "already has a seat: Table 9, seat 1"
expect button keep
expect button change
shot seated
tap button change
expect text "GALA-0011 Guest 11"
type GALA-0012
key Return
tap button seats
expect seat T09-01 mine
expect seat T01-01 class
tap seat T09-05
tap seat T01-01
expect text "Not for this ticket"
expect text "is for VIP tickets"
tap button ok
tap seat T09-06
tap button confirm
tap button yes
expect screen confirmation
""" % (typo, gen, gen))
    assigns = {r["ticket"]: r for r in outbox(sd.db, "assign")}
    eq((assigns["GALA-0011"]["seat"], assigns["GALA-0011"]["expect"]), ("T09-05", "T09-01"),
       "a change carries the seat the kiosk knew (a deliberate move)")
    it.wait_converged(coord, [sd], env.tokens["admin"], slow(10))
    eq(coord_seat_of(coord, env, "GALA-0011"), "T09-05", "GALA-0011 moved at the coordinator")
    eq(coord_seat_of(coord, env, "GALA-0012"), "T09-06", "GALA-0012 seated")
    check(all(r["ticket"] != "GALA-0010" for r in outbox(sd.db)), "nothing written for a revoked ticket")


def test_lockout(env):
    """Three wrong codes pause the keypad (5 s, then longer); a right code
    after the pause works and resets the count."""
    coord, sd = start(env)
    kiosk_run(env, sd["kiosk-1"].db, "lockout", """
tap 640 400
type NOPE-1
key Return
key Return
type NOPE-2
key Return
key Return
expect button key_A
type NOPE-3
key Return
key Return
expect text "keypad is paused"
shot paused
type GALA-0001
key Return
expect text "Please wait"
key Return
wait 5100
expect button key_A
type NOPE-4
key Return
key Return
wait 5100
expect text "keypad is paused"
wait 5000
type GALA-0001
key Return
expect text "GALA-0001 Guest 1"
""")
    with open(os.path.join(env.path("shots-lockout"), "paused.json"), encoding="utf-8") as f:
        buttons = json.load(f)["buttons"]
    eq(buttons["key_A"][4], False, "key A disabled while paused")


def test_seat_taken_meanwhile(env):
    """A kiosk holds a seat while offline; another kiosk takes it; when the
    first syncs, its guest is told and the seat shows taken."""
    coord, sd = start(env, devices=(("kiosk-1", "kiosk"), ("kiosk-2", "kiosk")))
    sd["kiosk-1"].stop()
    k = Kiosk(env, sd["kiosk-1"].db, "meanwhile", """
type GALA-0020
key Return
tap button seats
tap seat T12-01
expect seat T12-01 mine
shot held
await text "Seat taken meanwhile"
expect text "Table 12, seat 1 was just taken at another kiosk"
shot lost
key Return
expect seat T12-01 taken
expect text "GALA-0020: tap a green seat"
""").start()
    k.wait_shot("held")
    sd["kiosk-2"].op("assign", "GALA-0021", "T12-01")
    wait_until(lambda: it.coord_taken(coord, env.tokens["admin"]).get("T12-01") == "GALA-0021",
               slow(10), "T12-01 taken by GALA-0021 at the coordinator")
    sd["kiosk-1"].start()
    k.wait()
    eq([(r["seat"], r["state"], r["reason"]) for r in outbox(sd["kiosk-1"].db, "hold")],
       [("T12-01", 2, "seat_taken")], "the offline hold, refused")


def test_reseat_shown(env):
    """Two kiosks give the same seat away while one is offline: the later
    guest, still at the confirmation, sees the seat the coordinator gave
    instead, and the QR code says so."""
    coord, sd = start(env, devices=(("kiosk-1", "kiosk"), ("kiosk-2", "kiosk")))
    sd["kiosk-2"].stop()
    k = Kiosk(env, sd["kiosk-2"].db, "reseat", """
type GALA-0030
key Return
tap button seats
tap seat T15-01
tap button confirm
tap button yes
expect screen confirmation
shot first
await text "Seat changed"
shot moved
""").start()
    k.wait_shot("first")
    check("GALA-0030 T15-01" in zbar(env, k.shot("first")), "first confirmation names T15-01")
    sd["kiosk-1"].op("assign", "GALA-0031", "T15-01")
    wait_until(lambda: it.coord_taken(coord, env.tokens["admin"]).get("T15-01") == "GALA-0031",
               slow(10), "T15-01 taken by GALA-0031 at the coordinator")
    sd["kiosk-2"].start()
    k.wait()
    new = coord_seat_of(coord, env, "GALA-0030")
    check(new and new != "T15-01", "GALA-0030 reseated at the coordinator: %r" % new)
    a = outbox(sd["kiosk-2"].db, "assign")
    eq([(r["state"], r["reason"], r["reseat"]) for r in a], [(2, "seat_taken", new)],
       "the kiosk's assign verdict")
    text = zbar(env, k.shot("moved"))
    check("GALA-0030 %s" % new in text, "the QR code names the new seat %s: %r" % (new, text))


def test_door(env):
    """Door mode: green for a valid ticket (name, table, seat), amber for a
    second scan (when and where), red for forged, revoked and unknown codes;
    scans end in Enter, Tab or a pause; every admission is a checkin op."""
    coord, sd = start(env, devices=(("door-1", "door"),))
    # Printed first: usher-coord qr leaves revoked tickets off the sheets.
    p = qr_payloads(env, ["GALA-0005", "GALA-0006", "GALA-0007"])
    admin_post(coord, env, "/v1/tickets/GALA-0005/move", json.dumps({"seat": "T03-04"}))
    admin_post(coord, env, "/v1/tickets/GALA-0006/revoke")
    it.wait_converged(coord, [sd["door-1"]], env.tokens["admin"], slow(10))
    forged = p["GALA-0007"].replace("GALA-0007", "GALA-0008")
    # A genuine ticket of the venue's other event, with the same number.
    other = env.path("other.db")
    env.tool([it.COORD, "init", "--db", other, "--event", "Summer Ball", "--layout", "gala:2x4"])
    with open(env.path("other.csv"), "w", encoding="utf-8") as f:
        f.write("ticket_number,full_name\nGALA-0005,Somebody Else\n")
    env.tool([it.COORD, "tickets", "import", "--db", other, env.path("other.csv")])
    elsewhere = qr_payloads(env, ["GALA-0005"], db=other)["GALA-0005"]
    k = kiosk_run(env, sd["door-1"].db, "door", """
expect screen door
expect text "Checked in 0 of 40"
scan %s
expect verdict admitted
expect text "Guest 5"
expect text "Table 3, seat 4"
shot admitted
wait 3500
expect screen door
scan %s none
expect verdict already
expect text "Checked in at"
expect text "by door-1"
shot already
scan %s
expect verdict refused
expect text "forged, altered"
shot forged
scan %s
expect verdict refused
expect text "ANOTHER EVENT"
expect text "This ticket is for Summer Ball, not for this event"
wait 3500
scan %s tab
expect verdict refused
expect text "REVOKED"
type GALA-9999
key Return
expect verdict refused
expect text "UNKNOWN TICKET"
scan %s
expect verdict admitted
expect text "No seat chosen yet"
expect text "Checked in 2 of 40"
""" % (p["GALA-0005"], p["GALA-0005"], forged, elsewhere, p["GALA-0006"], p["GALA-0007"]))
    eq(k_rgb(k, "admitted"), GREEN, "admitted background")
    eq(k_rgb(k, "already"), AMBER, "already-checked-in background")
    eq(k_rgb(k, "forged"), RED, "forged background")
    eq([r["ticket"] for r in outbox(sd["door-1"].db, "checkin")],
       ["GALA-0005", "GALA-0005", "GALA-0006", "GALA-0007"], "checkin ops")
    it.wait_converged(coord, [sd["door-1"]], env.tokens["admin"], slow(10))
    alerts = get_json(coord.port, "/v1/alerts", env.tokens["admin"])["alerts"]
    kinds = sorted(a["kind"] for a in alerts)
    check("duplicate_checkin" in kinds and "revoked_scan" in kinds,
          "alerts for the second scan and the revoked scan: %r" % kinds)
    # The forged scan: an alert with the door, the time and its first characters.
    refused = [a for a in alerts if a["kind"] == "scan_refused"]
    eq(len(refused), 1, "one scan_refused alert, none for the other event's ticket (%r)" % alerts)
    eq(refused[0]["device"], "door-1", "scan_refused: the door")
    check("at" in refused[0], "scan_refused: the time (%r)" % refused[0])
    eq(refused[0]["note"], forged[:40], "scan_refused: the payload's first characters")


def test_door_exit_and_reentry(env):
    """Exit and re-entry: a guest scanned in, scanned out at a door in exit
    mode (GOODBYE, a checkout op) and in again (WELCOME BACK, a checkin op);
    the coordinator's inside count follows: 1, 0, 1. A ticket not inside is
    NOT INSIDE at the exit and nothing is recorded."""
    coord, sd = start(env, devices=(("door-1", "door"),))
    door = sd["door-1"]
    p = qr_payloads(env, ["GALA-0005", "GALA-0006"])
    tok = env.tokens["admin"]

    def inside():
        it.wait_converged(coord, [door], tok, slow(10))
        return get_json(coord.port, "/v1/stats", tok)["inside"]

    eq(inside(), 0, "inside before anyone came")
    kiosk_run(env, door.db, "in", """
expect screen door
scan %s
expect verdict admitted
expect text "WELCOME"
wait 3500
expect text "inside now 1"
""" % p["GALA-0005"])
    eq(inside(), 1, "inside after the check-in")
    kiosk_run(env, door.db, "out", """
expect screen door
expect text "EXIT"
expect text "Entry mode"
scan %s
expect text "NOT INSIDE"
wait 3500
scan %s
expect verdict admitted
expect text "GOODBYE"
wait 3500
expect text "inside now 0"
""" % (p["GALA-0006"], p["GALA-0005"]), extra=("--mode", "exit"))
    eq([r["ticket"] for r in outbox(door.db, "checkout")], ["GALA-0005"],
       "one checkout op, none for the ticket not inside")
    eq(inside(), 0, "inside after the checkout")
    # Started in exit mode, the door's toggle goes back to entry.
    kiosk_run(env, door.db, "back", """
expect screen door
tap button exit_mode
expect text "Exit mode"
scan %s
expect verdict admitted
expect text "WELCOME BACK"
""" % p["GALA-0005"], extra=("--mode", "exit"))
    eq(inside(), 1, "inside after the re-entry")
    alerts = get_json(coord.port, "/v1/alerts", tok)["alerts"]
    check(not [a for a in alerts if a["kind"] == "duplicate_checkin"],
          "a re-entry is no duplicate check-in: %r" % alerts)
    metrics = http_call(coord.port, "GET", "/metrics", tok)[2].decode()
    check("usher_inside 1" in metrics, "usher_inside in /metrics")
    # The organisers refuse re-entry: out once more, then NO RE-ENTRY.
    coord.stop()
    env.tool([it.COORD, "event", "set", "--db", env.db, "--reentry", "maybe"], rc=1)
    out = env.tool([it.COORD, "event", "set", "--db", env.db, "--reentry", "refused"])
    check("re-entry: refused" in out, "event set --reentry refused: %r" % out)
    out = env.tool([it.COORD, "event", "show", "--db", env.db])
    check("re-entry: refused" in out, "event show: %r" % out)
    coord.start()
    wait_until(lambda: it.query(door.db, "SELECT value FROM meta WHERE key = 'reentry'")
               == [("refused",)], slow(20), "the door hearing re-entry is refused")
    kiosk_run(env, door.db, "out2", """
expect screen door
scan %s
expect text "GOODBYE"
""" % p["GALA-0005"], extra=("--mode", "exit"))
    kiosk_run(env, door.db, "refused", """
expect screen door
scan %s
expect verdict refused
expect text "NO RE-ENTRY"
""" % p["GALA-0005"])
    eq(inside(), 0, "inside after a refused re-entry")
    rows = {r["ticket_number"]: r for r in csv.DictReader(
        env.tool([it.COORD, "export", "--db", env.db, "assignments"]).splitlines())}
    eq(rows["GALA-0005"]["checkout_device"], "door-1", "the export names the exit door")
    check(rows["GALA-0005"]["checked_out_at"] and rows["GALA-0005"]["checked_out_local"],
          "the export has when the guest left: %r" % rows["GALA-0005"])
    eq(rows["GALA-0006"]["checked_out_at"], "", "a ticket never out has no checkout time")


def test_weak_codes_door(env):
    """Weak codes (the sequential GALA-0001...): a typed or plain-scanned code
    alone never admits (not green, no checkin op); the signed QR code admits,
    offline too; a signed ticket of another event says so; staff open the
    staff screen with the event's PIN from init (no --pin)."""
    coord, sd = start(env, devices=(("door-1", "door"),), codes=None)
    eq(sd["door-1"].dump("tickets") and True, True, "replica filled")
    p = qr_payloads(env, ["GALA-0003"])
    # Another event's genuine ticket: its own key, its own event id.
    other = it.Env()
    try:
        other.setup(layout=LAYOUT, tickets=[("GALA-0003", "Someone Else", "")])
        other.tool([it.COORD, "qr", "--db", other.db, "--out", other.path("qr")])
        with open(other.path("qr/payloads.csv"), encoding="utf-8") as f:
            foreign = [l.rsplit(",", 1)[1].strip() for l in f.read().splitlines()[1:]][0]
    finally:
        other.cleanup()
    sd["door-1"].stop()  # offline: the signed code and staff still admit
    k = kiosk_run(env, sd["door-1"].db, "weakdoor", """
expect screen door
type GALA-0004
key Return
expect verdict show_qr
expect text "Please show the QR code of your ticket, or ask staff"
shot weak
wait 3500
scan GALA-0004 enter
expect verdict show_qr
wait 3500
scan %s
expect verdict refused
expect text "ANOTHER EVENT"
expect text "This ticket is for Sync Test, not for this event"
wait 3500
scan %s
expect verdict admitted
expect text "Guest 3"
wait 3500
down 10 10
wait 3200
up 10 10
expect screen pin
type %s
key Return
expect screen maintenance
tap button find
expect screen find
tap button key_G
tap button key_U
expect text "guests match: type more"
type "est 4"
expect text "2 found: tap the guest to admit them"
expect text "Guest 4 · GALA-0004 · no seat yet"
shot find
tap button find_0
expect verdict admitted
expect text "Guest 4"
expect text "Admitted by staff after a name check"
shot manual
""" % (foreign, p["GALA-0003"], env.pin))
    check(k_rgb(k, "weak") != GREEN, "a weak code is not green")
    eq(k_rgb(k, "manual"), GREEN, "staff admission: green once saved")
    eq([r["ticket"] for r in outbox(sd["door-1"].db, "checkin")], ["GALA-0003", "GALA-0004"],
       "the signed scan and the staff admission are checkin ops, the weak code alone is not")
    eq(len(outbox(sd["door-1"].db, "scan_refused")), 0, "the other event's ticket: no forgery alert")
    # Back online: the coordinator records the staff admission as manual, by this door.
    sd["door-1"].start()
    it.wait_converged(coord, [sd["door-1"]], env.tokens["admin"], slow(10))
    status, _, body = http_call(coord.port, "GET", "/v1/export/checkins.csv", env.tokens["admin"])
    eq(status, 200, "checkins export")
    rows = list(csv.DictReader(body.decode("utf-8-sig").splitlines()))
    got = {(r["ticket_number"], r["device"], r["manual"]) for r in rows}
    eq(got, {("GALA-0003", "door-1", "0"), ("GALA-0004", "door-1", "1")}, "check-ins (manual: staff)")


def test_codes_override_reaches_doors(env):
    """The organiser's `event set --codes strong` (the ticket office printed
    its own unguessable barcodes) reaches the doors: the same typed code that
    asked for the QR code now admits; `--codes auto` goes back to the
    imports' verdict (weak). Settings change with serve stopped (the CLI
    refuses a database that serve holds); doors learn them at their next
    sync."""
    coord, sd = start(env, devices=(("door-1", "door"),), codes=None)
    typed = """
expect screen door
type GALA-0004
key Return
expect verdict %s
"""
    kiosk_run(env, sd["door-1"].db, "weak", typed % "show_qr", extra=("--mode", "door"))
    coord.stop()
    out = env.tool([it.COORD, "event", "set", "--db", env.db, "--codes", "strong"])
    check("codes: strong (set by the organiser)" in out, "event set: %r" % out)
    coord.start()
    wait_until(lambda: it.query(sd["door-1"].db, "SELECT value FROM meta WHERE key = 'codes'")
               == [("strong",)], slow(10), "the door's journal says codes strong")
    kiosk_run(env, sd["door-1"].db, "strong", typed % "admitted" + 'expect text "Guest 4"\n',
              extra=("--mode", "door"))
    eq([r["ticket"] for r in outbox(sd["door-1"].db, "checkin")], ["GALA-0004"],
       "weak: no check-in; strong: the typed code admits")
    coord.stop()
    out = env.tool([it.COORD, "event", "set", "--db", env.db, "--codes", "auto"])
    check("codes: weak (from the imported codes)" in out, "event set --codes auto: %r" % out)
    coord.start()
    wait_until(lambda: it.query(sd["door-1"].db, "SELECT value FROM meta WHERE key = 'codes'")
               == [("weak",)], slow(10), "the door's journal says codes weak again")


def test_weak_codes_guest(env):
    """Weak codes at a guest kiosk: a typed code asks for the holder's last
    name (wrong names count toward the lockout; case and accents do not
    matter); seeing an already seated ticket needs the same proof; a signed QR
    code and a strong generated code need no name."""
    env.setup(layout=LAYOUT, tickets=TICKETS + [("GALA-0100", "Anders \u00c5ngstr\u00f6m", "")],
              devices=(("admin", "admin"), ("kiosk-1", "kiosk")))
    gen = env.tool([it.COORD, "tickets", "generate", "--db", env.db, "--count", "1",
                    "--prefix", "GEN"]).split()[0]
    coord = env.coord()
    sd = env.syncd("kiosk-1", coord.url)
    sd.wait_online()
    sd.op("assign", "GALA-0011", "T09-01")
    it.wait_converged(coord, [sd], env.tokens["admin"], slow(10))
    eq(get_json(coord.port, "/v1/stats", env.tokens["admin"])["event"]["codes"], "weak",
       "the event's codes (dashboard)")
    p = qr_payloads(env, ["GALA-0002"])
    kiosk_run(env, sd.db, "weakguest", """
tap 640 400
type GALA-0100
key Return
expect text "please type the holder's last name"
type Nobody
key Return
expect text "Name does not match"
key Return
type GALA-0100
key Return
type angstrom
key Return
expect text "Your party: GALA-0100"
type GALA-0011
key Return
expect text "please type the holder's last name"
type 11
key Return
expect text "Already seated"
tap button keep
scan %s enter
expect text "GALA-0002"
type %s
key Return
expect text "%s"
type GALA-0001
key Return
type \u00c5NGSTR\u00d6M
key Return
expect text "Name does not match"
key Return
type GALA-0001
key Return
type Nobody
key Return
expect text "Name does not match"
key Return
type GALA-0001
key Return
type Nobody
key Return
expect text "Name does not match"
key Return
type GALA-0001
key Return
expect text "Please wait"
""" % (p["GALA-0002"], gen.lower(), gen))


def k_rgb(k, shot):
    """The verdict screen's background, below the status bar at the left edge."""
    return pixel(read_png(k.shot(shot)), 5, H - 5)


def test_door_notes(env):
    """A ticket imported with a note and special attention (the dashboard's
    import), and a note added on the dashboard to another: the door's verdict
    shows the note and an ATTENTION banner (amber, a word) and asks for the
    attention tone; a plain ticket gets the admitted tone; the guest's
    confirmation says "Please see a member of staff" and not the note."""
    coord, sd = start(env, devices=(("door-1", "door"), ("kiosk-1", "kiosk")))
    admin = env.tokens["admin"]
    note = "wheelchair \u2014 escort to table 4"
    body = ("ticket_number,full_name,class,note,attention\n"
            "NOTE-1,Nora Note,,\"%s\",yes\n" % note).encode("utf-8")
    status, _, raw = http_call(coord.port, "POST", "/v1/tickets/import", admin, body)
    eq(status, 200, "import with a note (%r)" % raw[:300])
    admin_post(coord, env, "/v1/tickets/GALA-0006/edit", json.dumps({"note": "vegan, hard of hearing"}))
    it.wait_converged(coord, [sd["door-1"], sd["kiosk-1"]], admin, slow(10))
    k = kiosk_run(env, sd["door-1"].db, "notes", """
expect screen door
type NOTE-1
key Return
expect verdict admitted
expect text "Nora Note"
expect text "ATTENTION"
expect text "Note: %s"
shot attention
wait 3500
type GALA-0006
key Return
expect verdict admitted
expect text "Note: vegan, hard of hearing"
shot edited
wait 3500
type GALA-0007
key Return
expect verdict admitted
shot plain
wait 3500
type NOTE-1
key Return
expect verdict already
expect text "ATTENTION"
shot again
""" % note)
    texts = lambda shot: [t["text"] for t in k.info(shot)["texts"]]
    eq(k.info("attention")["tone"], "attention", "the tone of a ticket with attention")
    check(any(t.startswith("ATTENTION") for t in texts("attention")), "the banner: %r" % texts("attention"))
    banner = [t for t in k.info("attention")["texts"] if t["text"].startswith("ATTENTION")][0]
    x, y, w, h = banner["box"]
    eq(pixel(read_png(k.shot("attention")), 3, int(y + h / 2)), AMBER, "the banner's band is amber")
    eq(k_rgb(k, "attention"), GREEN, "the verdict itself is still green")
    eq(k.info("edited")["tone"], "attention", "the tone of a ticket with a note edited on the dashboard")
    check(not any(t.startswith("ATTENTION") for t in texts("edited")), "a note alone: no banner")
    eq(k.info("plain")["tone"], "admitted", "the tone of a plain ticket")
    check(not any("Note:" in t or "ATTENTION" in t for t in texts("plain")), "a plain verdict: %r" % texts("plain"))
    eq(k.info("again")["tone"], "attention", "already in, with attention")
    eq(k.info("again")["tones"], 4, "one tone a verdict")
    # The guest's own confirmation: ask staff, never the note.
    g = kiosk_run(env, sd["kiosk-1"].db, "noteguest", """
tap 640 400
type NOTE-1
key Return
tap button seats
tap seat T07-01
tap button confirm
tap button yes
expect screen confirmation
expect text "Please see a member of staff"
shot done
""")
    done = [t["text"] for t in g.info("done")["texts"]]
    check(not any("wheelchair" in t or "ATTENTION" in t for t in done), "the note stays off the guest's screen: %r" % done)
    eq(g.info("done")["tone"], "none", "a guest kiosk makes no verdict sound")


def test_offline_indicator(env):
    """The status bar turns to OFFLINE when the coordinator goes away; the
    kiosk keeps seating guests and counts its pending ops."""
    coord, sd = start(env)
    k = Kiosk(env, sd["kiosk-1"].db, "offline", """
expect text "Online"
expect text "0 pending"
shot on
await text "OFFLINE"
shot off
tap 640 400
type GALA-0001
key Return
tap button seats
tap seat T04-01
tap button confirm
tap button yes
expect screen confirmation
expect text "2 pending"
""").start()
    k.wait_shot("on")
    coord.kill9()
    # syncd notices at its next round (every 10 s); nudge it as a kiosk op would.
    wake(sd["kiosk-1"].db)
    k.wait()
    eq(pixel(read_png(k.shot("on")), *DOT), DOT_GREEN, "status dot online")
    eq(pixel(read_png(k.shot("off")), *DOT), RED, "status dot offline")
    eq([(r["kind"], r["state"]) for r in outbox(sd["kiosk-1"].db)], [("hold", 0), ("assign", 0)],
       "ops pending while offline")


def test_idle_timeout(env):
    """A guest who walks away: back to the start screen after the idle time,
    and the held seat is released."""
    coord, sd = start(env)
    kiosk_run(env, sd["kiosk-1"].db, "idle", """
tap 640 400
type GALA-0001
key Return
tap button seats
tap seat T20-01
expect seat T20-01 mine
wait 29000
expect screen seatmap
wait 2000
expect screen attract
expect seat T20-01 free
""", extra=("--idle-seconds", "30"))
    eq([(r["kind"], r["seat"]) for r in outbox(sd["kiosk-1"].db)],
       [("hold", "T20-01"), ("release", "T20-01")], "hold then release")


def test_maintenance(env):
    """The staff gesture (top-left corner held 3 s) and the PIN open the
    maintenance screen: device, sync status, mode switch and quit."""
    coord, sd = start(env)
    kiosk_run(env, sd["kiosk-1"].db, "staff", """
down 10 10
wait 2000
expect screen attract
wait 1100
expect screen pin
up 10 10
tap button pin_1
tap button pin_1
tap button pin_1
tap button pin_1
tap button pin_ok
expect text "Wrong PIN"
key Return
tap button pin_1
tap button pin_3
tap button pin_5
tap button pin_7
tap button pin_ok
expect screen maintenance
expect text "Device: kiosk-1 (guest kiosk)"
expect text "Sync: online"
shot maintenance
tap button door
expect screen door
down 5 5
wait 3100
up 5 5
type 1357
key Return
expect screen maintenance
tap button quit
expect screen never-reached
""", extra=("--pin", "1357"))


def test_revoked_while_choosing(env):
    """A ticket revoked at the front desk while its guest holds a seat: the
    kiosk says so, lets the seat go and never confirms it."""
    coord, sd = start(env)
    db = sd["kiosk-1"].db
    k = Kiosk(env, db, "revoked", """
tap 640 400
type GALA-0003
key Return
tap button seats
tap seat T07-01
expect seat T07-01 mine
shot held
await text "Ticket cancelled"
expect text "GALA-0003 was cancelled. Please see the front desk"
key Return
expect screen entry
expect seat T07-01 free
""").start()
    k.wait_shot("held")
    admin_post(coord, env, "/v1/tickets/GALA-0003/revoke")
    wake(db)
    k.wait()
    eq([(r["kind"], r["seat"]) for r in outbox(db)], [("hold", "T07-01"), ("release", "T07-01")],
       "the hold let go, no assign")


def test_refused_assign_not_seated(env):
    """A party confirmed offline; one ticket is revoked before the kiosk syncs:
    the coordinator refuses its assign, and the confirmation stops saying
    that ticket is seated, and its QR code leaves it out."""
    coord, sd = start(env)
    db = sd["kiosk-1"].db
    sd["kiosk-1"].stop()
    k = Kiosk(env, db, "refused", """
tap 640 400
type GALA-0001
key Return
type GALA-0002
key Return
tap button seats
tap seat T06-01
tap seat T06-02
tap button confirm
tap button yes
expect screen confirmation
expect text "You are seated!"
shot first
await text "NOT seated"
expect text "GALA-0001 Guest 1: NOT seated - ticket cancelled"
expect text "Not every ticket could be seated"
expect notext "You are seated"
expect text "GALA-0002 Guest 2: Table 6, seat 2"
shot refused
""").start()
    k.wait_shot("first")
    admin_post(coord, env, "/v1/tickets/GALA-0001/revoke")
    sd["kiosk-1"].start()
    k.wait()
    eq([(r["ticket"], r["state"], r["reason"]) for r in outbox(db, "assign")],
       [("GALA-0001", 2, "revoked"), ("GALA-0002", 1, "")], "the assigns' verdicts")
    text = zbar(env, k.shot("refused"))
    check("GALA-0002 T06-02" in text and "GALA-0001" not in text,
          "the QR code names only the seated ticket: %r" % text)


def lock_journal(db):
    """Another connection holding the journal's write lock (as a long syncd
    transaction, or a stuck one, would)."""
    import sqlite3
    con = sqlite3.connect(db, timeout=1, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    return con


def test_door_journal_locked(env):
    """The journal is locked when a ticket is scanned: the screen does not
    freeze, the verdict is not green but NOT RECORDED, and once the lock goes
    the kiosk saves that very check-in (once) and shows it green."""
    coord, sd = start(env, devices=(("door-1", "door"),))
    db = sd["door-1"].db
    sd["door-1"].stop()
    con = lock_journal(db)
    try:
        k = Kiosk(env, db, "doorlock", """
expect screen door
scan GALA-0002 enter
expect verdict unrecorded
expect text "NOT RECORDED"
expect text "1 NOT SAVED"
expect text "admitted here: 0"
shot unrecorded
await verdict admitted
expect text "WELCOME"
expect text "admitted here: 1"
expect notext "NOT SAVED"
shot recorded
wait 3100
expect screen door
""").start()
        k.wait_shot("unrecorded")
    finally:
        con.execute("ROLLBACK")
        con.close()
    k.wait()
    check(k_rgb(k, "unrecorded") != GREEN, "an unsaved verdict is not green")
    eq(k_rgb(k, "unrecorded"), AMBER, "unsaved verdict background")
    eq(k_rgb(k, "recorded"), GREEN, "saved verdict background")
    eq([r["ticket"] for r in outbox(db, "checkin")], ["GALA-0002"], "one checkin op, saved late")


def test_guest_journal_locked(env):
    """A hold the journal cannot save (locked): the guest reads plain words,
    no SQLite, and is not told someone else took the seat."""
    coord, sd = start(env)
    db = sd["kiosk-1"].db
    sd["kiosk-1"].stop()
    con = lock_journal(db)
    try:
        kiosk_run(env, db, "guestlock", """
tap 640 400
type GALA-0001
key Return
tap button seats
tap seat T05-01
expect text "This kiosk could not save that; please try again or ask staff"
expect notext "database"
expect notext "is locked"
shot notsaved
tap button ok
wait 200
expect notext "taken at another kiosk"
expect seat T05-01 free
expect text "GALA-0001: tap a green seat"
""")
    finally:
        con.execute("ROLLBACK")
        con.close()
    eq(outbox(db), [], "nothing written")


def test_party_of_eight_qr(env):
    """Eight tickets with the longest codes: every one of them in the
    confirmation's QR code, which zbarimg still reads."""
    codes = ["PARTY-%026d" % i for i in range(1, 9)]
    tickets = [(c, "Party Guest %d" % i, "Regular") for i, c in enumerate(codes, 1)]
    env.setup(layout=LAYOUT, tickets=tickets + TICKETS, devices=(("admin", "admin"), ("kiosk-1", "kiosk")))
    env.tool([it.COORD, "event", "set", "--db", env.db, "--codes", "strong"])
    coord = env.coord()
    sd = env.syncd("kiosk-1", coord.url)
    sd.wait_online()
    lines = ["tap 640 400"] + ["scan %s enter" % c for c in codes] + ["tap button seats"]
    lines += ["tap seat T%02d-10" % (10 + i) for i in range(8)]
    lines += ["tap button confirm", "tap button yes", "expect screen confirmation", "shot done"]
    k = kiosk_run(env, sd.db, "party8", "\n".join(lines) + "\n")
    text = zbar(env, k.shot("done"))
    for i, c in enumerate(codes):
        check("%s T%02d-10" % (c, 10 + i) in text, "QR names %s: %r" % (c, text))


def test_code_too_long(env):
    """A code longer than any ticket's (a scan with junk after it) is not a
    ticket, at the kiosk and at the door: never cut to length and accepted."""
    codes = ["PARTY-%026d" % i for i in range(1, 2)]
    env.setup(layout=LAYOUT, tickets=[(codes[0], "Pat", "Regular")] + TICKETS,
              devices=(("admin", "admin"), ("kiosk-1", "kiosk")))
    coord = env.coord()
    sd = env.syncd("kiosk-1", coord.url)
    sd.wait_online()
    kiosk_run(env, sd.db, "long", """
tap 640 400
scan %sJUNK enter
expect text "Not a ticket number"
expect notext "Pat"
""" % codes[0])
    kiosk_run(env, sd.db, "longdoor", """
scan %sJUNK enter
expect verdict refused
expect text "NOT VALID"
""" % codes[0], extra=("--mode", "door"))
    eq(outbox(sd.db), [], "nothing recorded")


def test_window(env):
    """The windowed event loop (SDL's dummy video driver standing in for a
    screen; the offscreen one loads Mesa's EGL, whose leaks LeakSanitizer
    would report) starts in the device's mode and stops cleanly on SIGTERM."""
    coord, sd = start(env, devices=(("door-1", "door"),))
    # the dummy audio driver too: the door opens its speaker for the verdict tones
    e = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    err = env.path("window.err")
    env.logs.append(("kiosk-window", err))
    with open(err, "wb") as f:
        p = subprocess.Popen([it.KIOSK, "--db", sd["door-1"].db, "--window", "800x480"], env=e,
                             stdout=subprocess.DEVNULL, stderr=f, preexec_fn=it.die_with_parent)
    try:
        said = lambda: open(err, encoding="utf-8", errors="replace").read()
        wait_until(lambda: "usher-kiosk: door mode on dummy 800x480" in said() or p.poll() is not None,
                   slow(15), "the kiosk's window")
        check(p.poll() is None, "the windowed kiosk exited with %r: %s" % (p.poll(), said()))
        p.send_signal(signal.SIGTERM)
        eq(p.wait(timeout=slow(10)), 0, "exit status on SIGTERM (stderr: %s)" % said())
        check("no sound" not in said(), "the speaker opened: %s" % said())
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_command_line(env):
    """Bad arguments: one line and a non-zero exit. A journal never set up:
    a clear "waiting for the coordinator". A failed expectation names the
    script line and what was seen."""
    env.setup(layout=LAYOUT, tickets=TICKETS, devices=(("admin", "admin"), ("kiosk-1", "kiosk")))
    for argv, words in (([], "--db FILE is required"),
                        (["--db", "x", "--window", "12x"], "--window takes"),
                        (["--db", "x", "--mode", "bar"], "--mode takes guest, door or exit"),
                        (["--db", "x", "--headless"], "--headless needs --script"),
                        (["--db", "x", "--pin", "12"], "--pin takes"),
                        (["--db", "x", "--lang", "xx"], "--lang takes en, de"),
                        (["--db", "x", "--font", "x" * 101], "--font takes a font family"),
                        (["--db", "x", "--volume", "101"], "--volume takes 0 (silent) to 100"),
                        (["--db", "x", "--volume", "loud"], "--volume takes 0 (silent) to 100"),
                        (["--db", "x", "--bench-start", "--headless"], "--bench-start runs the windowed"),
                        (["--db", "x", "--nonsense"], "nonsense")):
        p = subprocess.run([it.KIOSK] + argv, capture_output=True, timeout=slow(10))
        err = p.stderr.decode()
        eq(p.returncode, 2, "usher-kiosk %s exit status" % " ".join(argv))
        check(words in err and err.count("\n") == 1, "usher-kiosk %s said %r" % (" ".join(argv), err))
    shots = env.path("s")
    os.makedirs(shots)
    p = subprocess.run([it.KIOSK, "--db", env.path("none.journal"), "--headless", "--script", "x",
                        "--shots", shots], capture_output=True, timeout=slow(10))
    check(p.returncode == 1 and b"no such journal" in p.stderr, "missing journal: %r" % p.stderr)
    # A journal that never reached a coordinator.
    lonely = it.Syncd(env, "kiosk-1", "http://127.0.0.1:%d" % it.free_port()).start()
    k = kiosk_run(env, lonely.db, "lonely", "expect screen attract\n", rc=3)
    check("waiting for the coordinator" in k.stderr(), "never set up: %r" % k.stderr())
    lonely.stop()
    # Script errors name the line.
    coord = env.coord()
    sd = env.syncd("kiosk-1", coord.url)
    sd.wait_online()
    k = kiosk_run(env, sd.db, "bad", "\n# a comment\nexpect screen seatmap\n", rc=1)
    check(k.stderr().strip().endswith(".script:3: expected screen seatmap, got attract"),
          "failed expectation: %r" % k.stderr())
    k = kiosk_run(env, sd.db, "syntax", "tap\n", rc=2)
    check(".script:1: cannot read" in k.stderr(), "syntax error: %r" % k.stderr())
    # --bench-start (scripts/bench): the windowed kiosk quits once its first
    # attract screen is on the display, saying when and its peak RSS.
    t0 = int(time.time() * 1000)
    p = subprocess.run([it.KIOSK, "--db", sd.db, "--window", "800x480", "--bench-start"],
                       capture_output=True, timeout=slow(30), env=dict(os.environ, SDL_VIDEODRIVER="dummy"))
    m = re.match(rb"attract shown at (\d+) ms since the epoch, peak RSS (\d+) KB\n$", p.stdout)
    check(p.returncode == 0 and m, "--bench-start: %r %r" % (p.stdout, p.stderr))
    check(t0 <= int(m.group(1)) <= int(time.time() * 1000) and int(m.group(2)) > 1000,
          "--bench-start's figures: %r" % p.stdout)


if __name__ == "__main__":
    sys.exit(it.run("usher-kiosk UI tests", globals(), binaries=("coord", "syncd", "journal-op", "kiosk")))

#!/usr/bin/env python3
"""test_kiosk_layout.py - the kiosk's layout at the screens of real venues:
every screen and door verdict rendered by the real kiosk, headless, at
800x480 (the Pi's 7" panel), 1024x600, 1280x800, 1920x1080, 1080x1920,
800x1280 (portrait) and 3840x2160, with guests named in every script, in
English and in Arabic (mirrored). Each `shot` JSON (kiosk/README.md) is
checked: no two buttons overlap, no button covers the seat map, every text
inside its box and the screen, no text under 2.5 mm cap height, no target
under 9 mm, no character without a font; the overview shows every seat.
One test moves a button on purpose (`nudge`) and checks that the check fails.

    python3 test_kiosk_layout.py --coord PATH --syncd PATH --journal-op PATH --kiosk PATH [NAME ...]
"""

import json
import os
import re
import sqlite3
import subprocess
import sys

import usher_it as it
from usher_it import Fail, check, eq, no_sanitizer_report, slow

import test_kiosk as tk

SIZES = [(800, 480), (1024, 600), (1280, 800), (1920, 1080), (1080, 1920), (800, 1280),
         (3840, 2160)]
# Reference names: one per script the kiosk must draw, and one of 70 characters.
NAMES = {
    "GALA-0001": "Maximiliane Alexandra Konstanze von Hohenzollern-Sigmaringen-Wittelsba",
    "GALA-0002": "محمد عبد الله",
    "GALA-0003": "王小明",
    "GALA-0004": "山田 太郎",
    "GALA-0005": "김민준",
    "GALA-0006": "דוד כהן",
    "GALA-0007": "अर्जुन शर्मा",
    "GALA-0008": "สมชาย ใจดี",
    "GALA-0009": "Γιώργος Παπαδόπουλος",
    "GALA-0010": "Иван Петров",
    "GALA-0011": "Zoë 🎉 Ünal",
}
# The longest note a ticket holds (200 bytes), on the door's verdict.
NOTE = ("Wheelchair user: escort to table 4 by the side door and seat at the aisle; vegan meal; "
        "hard of hearing, speak clearly; guest of honour, tell the host on arrival; nut allergy: "
        "tell the kitchen at once!")
assert len(NOTE.encode("utf-8")) == 200
TICKETS = [(c, NAMES.get(c, "Guest %d" % i), "Regular")
           for c, i in (("GALA-%04d" % i, i) for i in range(1, 41))]
assert len(NAMES["GALA-0001"]) == 70

GUEST = """
expect screen attract
shot attract
tap button start
type NOPE-9999
key Return
expect screen entry
shot refusal
key Return
type GALA-0001
key Return
shot lastname
type Hohenzollern-Sigmaringen-Wittelsba
key Return
type GALA-0002
key Return
type الله
key Return
type GALA-0003
key Return
type 王小明
key Return
shot entry
tap button seats
expect screen seatmap
shot overview
tap seat T07-01
tap seat T07-02
tap seat T07-03
shot seatmap
wait 46000
expect button ok
shot still
tap button ok
tap button confirm
expect screen confirm
shot confirm
tap button yes
expect screen confirmation
shot confirmation
tap button done
down 5 5
wait 3100
up 5 5
expect screen pin
shot pin
tap button pin_2
tap button pin_5
tap button pin_8
tap button pin_0
tap button pin_ok
expect screen maintenance
shot maintenance
"""

DOOR = """
expect screen door
shot door
scan %(ok)s
expect verdict admitted
shot admitted
wait 3500
scan %(ok)s
expect verdict already
shot already
wait 3500
scan %(forged)s
expect verdict refused
shot refused
wait 3500
type GALA-0005
key Return
expect verdict show_qr
shot show_qr
wait 3500
down 5 5
wait 3100
up 5 5
expect screen pin
type 2580
key Return
expect screen maintenance
shot door_maintenance
tap button find
expect screen find
shot find_empty
type "gu"
shot find_many
key BackSpace
key BackSpace
type "김민"
shot find
tap button find_0
expect verdict admitted
shot manual
wait 3500
scan %(noted)s
expect verdict admitted
expect text "Wheelchair user: escort"
shot attention
"""


def run_kiosk(env, db, name, script, size, extra=(), rc=0):
    shots = env.path("shots-" + name)
    os.makedirs(shots, exist_ok=True)
    path = env.path(name + ".script")
    with open(path, "w", encoding="utf-8") as f:
        f.write(script)
    err = env.path(name + ".kiosk.err")
    env.logs.append(("kiosk-" + name, err))
    with open(err, "wb") as e:
        p = subprocess.run([it.KIOSK, "--db", db, "--headless", "--script", path, "--shots", shots,
                            "--window", "%dx%d" % size, "--ppi", "140", "--pin", "2580"] + list(extra),
                           stdout=subprocess.DEVNULL, stderr=e, timeout=slow(120))
    with open(err, "rb") as e:
        text = e.read().decode("utf-8", "replace")
    no_sanitizer_report(text, "usher-kiosk")
    eq(p.returncode, rc, "kiosk %s exit status (stderr: %s)" % (name, text.strip()))
    return shots


def copy_db(src, dst):
    """A consistent copy of a live journal (SQLite's backup API)."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()


def overlap(a, b):
    return (min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]) > 0.5 and
            min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]) > 0.5)


def inside(inner, outer, slack=1.0):
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack and
            inner[0] + inner[2] <= outer[0] + outer[2] + slack and
            inner[1] + inner[3] <= outer[1] + outer[3] + slack)


def problems(info):
    """Everything wrong with one shot's layout, as sentences."""
    g = info["geometry"]
    screen = [0, 0, g["w"], g["h"]]
    out = []
    buttons = sorted(info["buttons"].items())
    for name, (x, y, w, h, enabled) in buttons:
        if min(w, h) < g["finger"] - 0.5:
            out.append("button %s is %.0fx%.0f px, under 9 mm (%.0f px)" % (name, w, h, g["finger"]))
        if not inside([x, y, w, h], screen):
            out.append("button %s is off the screen" % name)
        if "map" in g and overlap([x, y, w, h], g["map"]):
            out.append("button %s covers the seat map" % name)
    for i, (na, a) in enumerate(buttons):
        for nb, b in buttons[i + 1:]:
            if overlap(a[:4], b[:4]):
                out.append("buttons %s and %s overlap" % (na, nb))
    for t in info["texts"]:
        if t["px"] < g["min_px"] - 0.01:
            out.append("text %r is %.0f px, under 2.5 mm cap height (%.0f px)" % (t["text"], t["px"], g["min_px"]))
        if not inside(t["ink"], t["box"]):
            out.append("text %r (%s) is outside its box %s" % (t["text"], t["ink"], t["box"]))
        if not inside(t["ink"], screen):
            out.append("text %r is off the screen" % t["text"])
        if t["missing"]:
            out.append("text %r has %d characters without a font" % (t["text"], t["missing"]))
        # The status bar: the link's state (left) and the sync line (right)
        # are whole; the event's name between them may be shortened.
        bx, by, bw, _ = t["box"]
        if by == 0 and t["shortened"] and (bx < g["w"] * 0.1 or bx + bw > g["w"] * 0.97):
            out.append("status bar text %r is shortened" % t["text"])
    return out


def check_shots(shots, names, where):
    bad = []
    for n in names:
        path = os.path.join(shots, n + ".json")
        check(os.path.exists(path), "%s: no shot %s" % (where, n))
        with open(path, encoding="utf-8") as f:
            info = json.load(f)
        bad += ["%s %s: %s" % (where, n, p) for p in problems(info)]
    return bad


def start(env):
    env.setup(layout=tk.LAYOUT, tickets=TICKETS,
              devices=(("admin", "admin"), ("kiosk-1", "kiosk"), ("door-1", "door")))
    coord = env.coord()
    sds = {}
    # GALA-0001 (the guest script's party) and GALA-0012 (the door's last
    # scan) need staff: the confirmation says so, the verdict shows the note.
    for code in ("GALA-0001", "GALA-0012"):
        tk.admin_post(coord, env, "/v1/tickets/%s/edit" % code, json.dumps({"note": NOTE, "attention": True}))
    for name in ("kiosk-1", "door-1"):
        sds[name] = env.syncd(name, coord.url)
        sds[name].wait_online()
    it.wait_converged(coord, list(sds.values()), env.tokens["admin"], slow(10))
    return coord, sds


GUEST_SHOTS = ["attract", "refusal", "entry", "overview", "seatmap", "still", "confirm",
               "confirmation", "pin", "maintenance"]
DOOR_SHOTS = ["door", "admitted", "already", "refused", "show_qr", "door_maintenance", "find_empty",
              "find_many", "find", "manual", "attention"]


def texts_apart(shots, name, where):
    """A verdict with the longest note: no two texts meet (one column, each
    line in its own band), and the whole note is there."""
    with open(os.path.join(shots, name + ".json"), encoding="utf-8") as f:
        texts = json.load(f)["texts"]
    bad = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            if overlap(a["box"], b["box"]):
                bad.append("%s %s: texts %r and %r overlap" % (where, name, a["text"][:30], b["text"][:30]))
    notes = [t for t in texts if NOTE in t["text"]]
    if len(notes) != 1 or notes[0]["shortened"]:
        bad.append("%s %s: the whole note is not on screen (%r)" % (where, name, notes))
    return bad


SEE_STAFF = {"en": "Please see a member of staff", "ar": "يرجى التوجه إلى أحد الموظفين"}


def guest_matrix(env, lang):
    coord, sds = start(env)
    p = tk.qr_payloads(env, ["GALA-0004", "GALA-0012"])
    forged = p["GALA-0004"].replace("GALA-0004", "GALA-0005")
    bad = []
    for w, h in SIZES:
        tag = "%s-%dx%d" % (lang, w, h)
        # Each run seats its party: a fresh journal copy keeps the runs apart.
        db = env.path("guest-%s.journal" % tag)
        copy_db(sds["kiosk-1"].db, db)
        shots = run_kiosk(env, db, "guest-" + tag, GUEST, (w, h), ("--lang", lang))
        bad += check_shots(shots, GUEST_SHOTS, tag)
        with open(os.path.join(shots, "confirmation.json"), encoding="utf-8") as f:
            said = [t["text"] for t in json.load(f)["texts"]]
        check(SEE_STAFF[lang] in said and not any("Wheelchair" in t for t in said),
              "%s: the confirmation asks to see staff, without the note: %r" % (tag, said))
        with open(os.path.join(shots, "overview.json"), encoding="utf-8") as f:
            ov = json.load(f)
        g = ov["geometry"]
        eq(len(ov["seats"]), 250, "%s: seats on the overview" % tag)
        for sid, (x, y, r, _) in ov["seats"].items():
            if not inside([x - r, y - r, 2 * r, 2 * r], g["map"]):
                bad.append("%s overview: seat %s is cut off" % (tag, sid))
        with open(os.path.join(shots, "seatmap.json"), encoding="utf-8") as f:
            sm = json.load(f)
        seat_labels = [t for t in sm["texts"] if t["text"] in ("1", "2", "3", "4")]
        check(seat_labels, "%s: no seat numbers drawn on the zoomed map" % tag)
        # Each of the three holds shows its countdown whole, however narrow
        # the panel (a shorter form of the line rather than an ellipsis).
        held = [t for t in sm["texts"] if re.search(r"\d:\d\d[)）]", t["text"])]
        whole = [t["text"] for t in held if not t["shortened"]]
        if len(whole) != 3:
            bad.append("%s seatmap: %d of 3 hold countdowns shown whole: %r" %
                       (tag, len(whole), [(t["text"], t["shortened"]) for t in held]))
        db = env.path("door-%s.journal" % tag)
        copy_db(sds["door-1"].db, db)
        shots = run_kiosk(env, db, "door-" + tag,
                          DOOR % {"ok": p["GALA-0004"], "forged": forged, "noted": p["GALA-0012"]},
                          (w, h), ("--lang", lang, "--mode", "door"))
        bad += check_shots(shots, DOOR_SHOTS, tag)
        bad += texts_apart(shots, "attention", tag)
    check(not bad, "%d layout problems:\n  %s" % (len(bad), "\n  ".join(bad[:60])))


def test_matrix_english(env):
    """Every screen and verdict at every size, in English."""
    guest_matrix(env, "en")


def test_matrix_arabic(env):
    """The same in Arabic: the whole screen mirrored, and still nothing
    overlaps, is cut or too small."""
    guest_matrix(env, "ar")


def test_check_catches_an_overlap(env):
    """The check can fail: `nudge` moves the Confirm button onto Add tickets
    and over the map, and the same check names both problems."""
    coord, sds = start(env)
    shots = run_kiosk(env, sds["kiosk-1"].db, "nudged", """
type GALA-0001
key Return
type Hohenzollern-Sigmaringen-Wittelsba
key Return
tap button seats
shot before
nudge confirm -150 40
shot after
""", (1280, 800))
    eq(check_shots(shots, ["before"], "before"), [], "layout problems before the nudge")
    bad = check_shots(shots, ["after"], "after")
    check(any("buttons back and confirm overlap" in b for b in bad), "overlap not caught: %r" % bad)
    check(any("button confirm covers the seat map" in b for b in bad), "map cover not caught: %r" % bad)


if __name__ == "__main__":
    sys.exit(it.run("usher-kiosk layout matrix", globals(),
                    binaries=("coord", "syncd", "journal-op", "kiosk")))

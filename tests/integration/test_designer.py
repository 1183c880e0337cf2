#!/usr/bin/env python3
"""test_designer.py - the venue designer (assets/web/designer.html) in
headless Chromium, against the real usher-coord serving it on 127.0.0.1
(tests/integration/README.md).

    python3 test_designer.py --coord PATH/TO/usher-coord [NAME ...]

Each test starts a coordinator with its own database, opens the designer in
one Chromium page driven over the DevTools protocol (browser.py) with real
mouse or touch events, and checks the layout JSON it exports against the real
validator (`usher-coord init --layout`, then `GET /v1/layout` of that new
event). Saving goes to `PUT /v1/layout`: the event takes the layout (a
running kiosk's journal and headless screen follow it), or refuses a layout
that drops a seat holding a ticket (409, the page shows why and keeps the
edits). Exit 77 (skip) only when no Chromium is installed.

USHER_DESIGNER_SHOTS=DIR keeps the screenshots (designer.png at 1280 x 800,
designer-phone.png at 390 x 844) in DIR.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402
import test_dashboard as dash  # noqa: E402  (its Env closes the pages; run_browser_tests)
import usher_it as it  # noqa: E402
from usher_it import Skip, check, eq, slow  # noqa: E402

WEB = dash.WEB
LAYOUTS = os.path.normpath(os.path.join(WEB, "..", "layouts"))
PHONE = (390, 844)
DESK = (1280, 800)


# ---- setting up -----------------------------------------------------------------


def start(env, layout="gala:1x4", size=DESK, touch=False, event="Designer <b>Test</b>"):
    """An event on `layout` with one ticket, an admin and a kiosk; usher-coord
    serving assets/web; Chromium at `size`. Returns (coord, page)."""
    binary = browser.find_chromium()
    if not binary:
        env.skipped = True
        raise Skip("no Chromium (install Debian's chromium: scripts/deps test)")
    env.tool([it.COORD, "init", "--db", env.db, "--event", event, "--layout", layout])
    path = env.path("tickets.csv")
    with open(path, "w", encoding="utf-8") as f:
        f.write("ticket_number,full_name\nDES-0001,Ann Example\nDES-0002,Bo Example\n")
    env.tool([it.COORD, "tickets", "import", "--db", env.db, path])
    env.add_device("admin", "admin")
    env.add_device("kiosk-1", "kiosk")
    coord = env.coord(extra=("--web", WEB))
    page = browser.Browser(binary, env.path("chromium.log"), size[0], size[1], preexec_fn=it.die_with_parent,
                           timeout=slow(30))
    env.pages.append(page)
    if touch:
        page.call("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    return coord, page


def open_designer(coord, page, token, seats):
    page.navigate("%s/designer.html#token=%s" % (coord.url, token))
    page.wait("document.getElementById('summary').getAttribute('data-seats') === '%d'"
              " && !document.getElementById('main').hidden" % seats, slow(10),
              "the designer with the event's %d seats" % seats,
              show="document.getElementById('summary').textContent + ' / ' + document.getElementById('save-msg').textContent")
    eq(page.eval("location.hash"), "", "the token left in the address bar")


def design(page):
    return page.eval("window.usherDesigner.design()")


def item_by(page, key, value):
    for i in design(page)["items"]:
        if i.get(key) == value:
            return i
    raise it.Fail("no item with %s = %r in the design" % (key, value))


def box(page, selector):
    """[left, top, width, height] of the element (scrolled into view)."""
    b = page.eval("(function () { var e = document.querySelector(%s); if (!e) return null;"
                  " e.scrollIntoView({block: 'nearest', inline: 'nearest'});"
                  " var b = e.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; })()"
                  % json.dumps(selector))
    check(b, "nothing at %s" % selector)
    return b


def mouse(page, kind, x, y, buttons=0, modifiers=0):
    page.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "buttons": buttons,
                                           "clickCount": 1, "modifiers": modifiers})


def click_at(page, x, y, size):
    check(0 <= x < size[0] and 0 <= y < size[1], "a click at (%.0f, %.0f) is off the screen" % (x, y))
    mouse(page, "mouseMoved", x, y)
    mouse(page, "mousePressed", x, y, 1)
    mouse(page, "mouseReleased", x, y)


def click(page, selector, size=DESK):
    """A real left click at the middle of the element."""
    x, y, w, h = box(page, selector)
    click_at(page, x + w / 2, y + h / 2, size)
    time.sleep(0.05)


def drag(page, x0, y0, x1, y1, steps=8):
    """Press at (x0, y0), move in steps, release at (x1, y1): a mouse drag."""
    mouse(page, "mouseMoved", x0, y0)
    mouse(page, "mousePressed", x0, y0, 1)
    for i in range(1, steps + 1):
        mouse(page, "mouseMoved", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps, 1)
    mouse(page, "mouseReleased", x1, y1)
    time.sleep(0.05)


def type_into(page, selector, value, size=DESK):
    """Clicks the field, selects what it holds and types value, then leaves
    it with Tab (the change event), as a person does."""
    click(page, selector, size)
    page.eval("document.querySelector(%s).select(), true" % json.dumps(selector))
    page.call("Input.insertText", {"text": str(value)})
    page.call("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9})
    page.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Tab", "code": "Tab", "windowsVirtualKeyCode": 9})


def seat_centre(page, seat):
    x, y, w, h = box(page, "#dseat-" + seat)
    return x + w / 2, y + h / 2


def body_centre(page, uid):
    """A point of an item's body that no seat covers (what a drag grabs): a
    table's middle, a block of rows' left margin (where the row ids are)."""
    x, y, w, h = box(page, '.item[data-uid="%d"] .body' % uid)
    if page.eval("document.querySelector('.item[data-uid=\"%d\"]').classList.contains('item-rows')" % uid):
        return x + 12, y + h / 2
    return x + w / 2, y + h / 2


def export(page):
    """Export, then the JSON the page shows (and would download)."""
    click(page, "#export")
    page.wait("!document.getElementById('json-card').hidden && document.getElementById('json-out').textContent.length > 10",
              slow(5), "the exported JSON")
    text = page.eval("document.getElementById('json-out').textContent")
    href = page.eval("document.getElementById('download').href")
    check(href.startswith("blob:"), "the Download link %r" % href)
    same = page.eval("fetch(document.getElementById('download').href).then(function (r) { return r.text(); })")
    eq(same, text, "the downloaded file and the JSON shown")
    return json.loads(text)


def validate(env, layout, name):
    """Feeds the layout to the real validator: `usher-coord init --layout`;
    returns the seats of the event it made, as GET /v1/layout lists them,
    {id: (section id, class, x, y)}."""
    path = env.path(name + ".json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(layout, f)
    db = env.path(name + ".db")
    out = env.tool([it.COORD, "init", "--db", db, "--event", "Check", "--layout", path])
    n = sum(s["seats"] if isinstance(s["seats"], int) else len(s["seats"]) for s in layout["sections"])
    check("with %d seats" % n in out, "usher-coord init on the exported layout: %r (want %d seats)" % (out, n))
    token = env.tool([it.COORD, "device", "add", "--db", db, "--name", "check", "--role", "admin"]).strip()
    return seats_of_db(env, db, token, name)


def seats_of_db(env, db, token, name):
    """GET /v1/layout from a coordinator serving db: {seat id: (section, class, x, y)}."""
    port = it.free_port()
    proc = it.Proc(env, "coord-" + name, [it.COORD, "serve", "--db", db, "--listen", "127.0.0.1:%d" % port])
    proc.start()
    try:
        def up():
            try:
                return it.http_call(port, "GET", "/healthz")[0] == 200
            except OSError:
                return False
        it.wait_until(up, slow(10), "the checking coordinator")
        lay = it.get_json(port, "/v1/layout", token)
    finally:
        proc.stop()
    return {s["id"]: (sec["id"], s.get("class", sec.get("class", "")), s["x"], s["y"])
            for sec in lay["sections"] for s in sec["seats"]}


def layout_seats(layout):
    return {s["id"]: (sec["id"], s.get("class", sec.get("class", "")), s["x"], s["y"])
            for sec in layout["sections"] for s in sec["seats"]}


def save_result(page):
    """Clicks Save; returns (data-result, message) once the page has an answer."""
    click(page, "#save")
    js = "document.getElementById('save-msg').getAttribute('data-result')"
    page.wait("%s !== null && %s !== 'pending'" % (js, js), slow(10), "the answer to Save",
              show="document.getElementById('save-msg').textContent")
    return page.eval(js), page.eval("document.getElementById('save-msg').textContent")


def problems(page):
    return page.eval("Array.from(document.querySelectorAll('#problems li')).map(function (l) { return l.textContent; })")


def keep_shot(env, page, name):
    png = page.screenshot(env.path(name))
    d = os.environ.get("USHER_DESIGNER_SHOTS")
    if d:
        os.makedirs(d, exist_ok=True)
        shutil.copyfile(env.path(name), os.path.join(d, name))
    return png


def now_iso():
    t = datetime.now(timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


# ---- the tests ------------------------------------------------------------------


def test_build_venue(env):
    """By mouse: two tables and a block of rows added, one table dragged,
    one turned, a seat made VIP, one blocked, one Wheelchair then undone;
    the export is the documented format, the real validator takes it with
    the same seats and classes; Save goes to PUT /v1/layout."""
    coord, page = start(env, event="Spring Gala")
    admin = env.tokens["admin"]
    open_designer(coord, page, admin, 4)
    eq(page.eval("document.getElementById('event-name').textContent").split(" · ")[0], "Spring Gala", "the event's name")
    eq([i["id"] for i in design(page)["items"]], ["T01"], "the event's layout loaded as one editable table")

    type_into(page, "#table-seats", 8)
    click(page, "#add-table")
    type_into(page, "#table-seats", 6)
    click(page, "#add-table")
    type_into(page, "#rows-count", 3)
    type_into(page, "#rows-seats", 8)
    click(page, "#add-rows")
    page.wait("document.getElementById('summary').getAttribute('data-seats') === '42'", slow(5),
              "4 + 8 + 6 + 3 x 8 seats", show="document.getElementById('summary').textContent")
    t2, t3, rows = item_by(page, "id", "T02"), item_by(page, "id", "T03"), item_by(page, "first", "A")
    eq((t2["seats"], t3["seats"], rows["rows"], rows["perRow"]), (8, 6, 3, 8), "what was added")

    # drag T02 60 px left and 170 px down
    x, y = body_centre(page, t2["uid"])
    k = page.eval("(function () { var r = document.getElementById('plan').getBoundingClientRect();"
                  " return window.usherDesigner.view().w / r.width; })()")
    drag(page, x, y, x - 60, y + 170)
    moved = item_by(page, "id", "T02")
    check(abs(moved["x"] - (t2["x"] - 60 * k)) <= 2 and abs(moved["y"] - (t2["y"] + 170 * k)) <= 2,
          "T02 dragged by (-60, 170) px = (%.0f, %.0f) units went from (%r, %r) to (%r, %r)"
          % (-60 * k, 170 * k, t2["x"], t2["y"], moved["x"], moved["y"]))
    eq(page.eval("window.usherDesigner.selection()"), {"uid": t2["uid"]}, "the dragged table selected")

    # select T03 by its body, turn it twice 15 degrees
    click_at(page, *body_centre(page, t3["uid"]), DESK)
    eq(page.eval("window.usherDesigner.selection()"), {"uid": t3["uid"]}, "T03 selected by a click")
    click(page, "#rot-right")
    click(page, "#rot-right")
    eq(item_by(page, "id", "T03")["angle"], 30, "T03 turned twice")

    # the rows: a section name, a curve, an aisle after seat 4
    click_at(page, *body_centre(page, rows["uid"]), DESK)
    eq(page.eval("window.usherDesigner.selection()"), {"uid": rows["uid"]}, "the rows selected by a click")
    type_into(page, "#f-name", "Stalls")
    type_into(page, "#f-curve", 30)
    type_into(page, "#f-aisles", "4")
    type_into(page, "#f-aisles", "4, 99")
    check("from 1 to 7" in page.eval("document.getElementById('item-msg').textContent"),
          "the message for an aisle after seat 99: %r" % page.eval("document.getElementById('item-msg').textContent"))
    r = item_by(page, "uid", rows["uid"])
    eq((r["name"], r["curve"], r["aisles"]), ("Stalls", 30, [4]), "the rows' name, curve and aisles")
    type_into(page, "#venue-name", "Grand Hall")

    # seats: VIP, blocked, Wheelchair (undone)
    click_at(page, *seat_centre(page, "T02-03"), DESK)
    check("T02-03" in page.eval("document.getElementById('seat-title').textContent"), "seat T02-03 selected")
    click(page, "#mark-vip")
    click_at(page, *seat_centre(page, "A-2"), DESK)
    click(page, "#seat-block")
    eq(page.eval("document.getElementById('dseat-A-2').getAttribute('data-mark')"), "blocked", "A-2 drawn blocked")
    click_at(page, *seat_centre(page, "T03-01"), DESK)
    click(page, "#mark-wheelchair")
    eq(page.eval("document.getElementById('dseat-T03-01').getAttribute('data-mark')"), "Wheelchair", "T03-01 marked")
    click(page, "#undo")
    eq(page.eval("document.getElementById('dseat-T03-01').getAttribute('data-mark')"), "none", "T03-01 after undo")
    eq(page.eval("document.getElementById('dseat-A-2').getAttribute('data-mark')"), "blocked", "A-2 still blocked")

    layout = export(page)
    eq([s["id"] for s in layout["sections"]], ["T01", "T02", "T03", "A", "B", "C"], "the exported sections")
    eq([s["kind"] for s in layout["sections"]], ["table"] * 3 + ["row"] * 3, "their kinds")
    seats = layout_seats(layout)
    eq(len(seats), 42, "exported seats")
    eq(seats["T02-03"][1], "VIP", "T02-03's class")
    eq(seats["T03-01"][1], "", "T03-01's class after the undo")
    eq(sorted(s["id"] for sec in layout["sections"] for s in sec["seats"] if s.get("blocked")), ["A-2"],
       "the seats marked blocked")
    t3s = layout["sections"][2]
    s1 = t3s["seats"][0]
    angle = math.degrees(math.atan2(s1["x"] - t3s["x"], -(s1["y"] - t3s["y"])))
    check(abs(angle - 30) < 0.1, "T03's seat 1 sits at %.2f degrees from the top, not 30" % angle)
    row_a = {s["id"]: s for s in layout["sections"][3]["seats"]}
    eq(layout["sections"][3]["label"], "Stalls, row A", "row A's label")
    eq(layout["name"], "Grand Hall", "the layout's name")
    eq(round(row_a["A-5"]["x"] - row_a["A-4"]["x"], 2), 110.0, "the aisle between A-4 and A-5 (spacing + aisle)")
    eq(round(row_a["A-3"]["x"] - row_a["A-2"]["x"], 2), 55.0, "between A-2 and A-3 (spacing)")
    check(row_a["A-1"]["y"] < row_a["A-4"]["y"] - 20, "the curve: A-1 at y %r is not nearer the stage than A-4 at %r"
          % (row_a["A-1"]["y"], row_a["A-4"]["y"]))
    t2s = layout["sections"][1]
    eq((t2s["x"], t2s["y"]), (moved["x"], moved["y"]), "T02's exported centre")
    check(len(set(seats)) == 42, "seat ids unique")

    # the real validator
    got = validate(env, layout, "exported")
    eq(set(got), set(seats), "the seats usher-coord made of the export")
    for sid, (sec, cls, x, y) in seats.items():
        g = got[sid]
        check(g[0] == sec and g[1] == cls and abs(g[2] - x) < 1e-6 and abs(g[3] - y) < 1e-6,
              "seat %s: exported %r, usher-coord has %r" % (sid, (sec, cls, x, y), g))

    click(page, "#zoom-fit")
    click_at(page, *body_centre(page, t3["uid"]), DESK)
    page.eval("document.activeElement && document.activeElement.blur(), true")
    page.eval("window.scrollTo(0, 0), true")
    time.sleep(0.2)
    png = keep_shot(env, page, "designer.png")
    eq(browser.png_size(png), DESK, "the screenshot's size")

    # A kiosk already running on the event's old layout.
    sd = env.syncd("kiosk-1", coord.url)
    sd.wait_online()
    result, message = save_result(page)
    # PUT /v1/layout: the event has the new layout and the blocked seat.
    eq(result, "saved", "Save (%r)" % message)
    lay = it.get_json(coord.port, "/v1/layout", admin)
    eq(layout_seats(lay).keys(), seats.keys(), "the event's seats after Save")
    eq(layout_seats(lay)["T02-03"][1], "VIP", "T02-03's class on the event")
    st = {s["id"]: s["state"] for s in it.get_list(coord.port, "/v1/seats", admin, "seats")}
    eq(st["A-2"], "blocked", "A-2 blocked on the event after Save")
    dash.no_page_problems(page)
    # ...and the kiosk's map is the designed venue: its journal follows, and
    # the headless kiosk draws every designed seat, A-2 blocked.
    it.wait_until(lambda: sorted(r["seat"] for r in sd.dump("seats")) == sorted(seats), slow(10),
                  "the kiosk's journal on the designed layout")
    it.wait_until(lambda: dict((r["seat"], r["state"]) for r in sd.dump("seats")).get("A-2") == "blocked",
                  slow(10), "A-2 blocked on the kiosk")
    shots = env.path("kiosk-shots")
    os.makedirs(shots, exist_ok=True)
    script = env.path("kiosk.script")
    with open(script, "w", encoding="utf-8") as f:
        # DES-0001 is a weak code: the kiosk asks for the holder's last name
        f.write("tap 640 400\ntype DES-0001\nkey Return\ntype Example\nkey Return\ntap button seats\n"
                "expect screen seatmap\nshot map\n")
    with open(env.path("kiosk.err"), "wb") as err:
        rc = subprocess.run([it.KIOSK, "--db", sd.db, "--headless", "--script", script, "--shots", shots,
                                "--window", "1280x800"], stdout=subprocess.DEVNULL, stderr=err,
                               timeout=slow(60)).returncode
    eq(rc, 0, "the headless kiosk's script (%s)" % open(env.path("kiosk.err")).read()[-600:])
    with open(os.path.join(shots, "map.json"), encoding="utf-8") as f:
        drawn = json.load(f)["seats"]
    eq(sorted(drawn), sorted(seats), "the seats the kiosk draws: the designer's")


def test_sign_in(env):
    """A wrong token brings the sign-in form back saying so; without a
    token the designer still designs and exports, and Save asks to sign in."""
    coord, page = start(env)
    page.navigate("%s/designer.html#token=NOT-A-TOKEN" % coord.url)
    page.wait("!document.getElementById('login').hidden && !document.getElementById('login-error').hidden",
              slow(10), "the sign-in form with a message")
    check("does not accept this token" in page.eval("document.getElementById('login-error').textContent"),
          "the message: %r" % page.eval("document.getElementById('login-error').textContent"))
    eq(page.eval("sessionStorage.getItem('usher.admin_token')"), None, "a refused token kept")
    click(page, "#no-token")
    page.wait("!document.getElementById('main').hidden", slow(5), "the designer without a token")
    click(page, "#add-table")
    layout = export(page)
    eq([len(s["seats"]) for s in layout["sections"]], [10], "a table of 10 seats designed without a coordinator")
    validate(env, layout, "offline")
    click(page, "#save")
    page.wait("!document.getElementById('login').hidden", slow(5), "Save without a token asks to sign in")
    check("Sign in with an admin token" in page.eval("document.getElementById('login-error').textContent"),
          "the message: %r" % page.eval("document.getElementById('login-error').textContent"))
    # a good token now: the design made meanwhile stays, to be saved
    type_into(page, "#token", env.tokens["admin"])
    click(page, "#token-submit")
    page.wait("/event/.test(document.getElementById('event-name').textContent) && !document.getElementById('main').hidden",
              slow(10), "the designer signed in")
    eq(page.eval("document.getElementById('summary').getAttribute('data-seats')"), "10", "the design kept after signing in")
    eq(page.eval("document.getElementById('dirty').textContent"), "Unsaved changes", "the state after signing in")
    # a fresh page loads the event's layout, with nothing changed (leaving
    # with unsaved changes would ask first: this test has said yes)
    check(page.eval("(function () { var e = new Event('beforeunload', {cancelable: true});"
                    " window.dispatchEvent(e); return e.defaultPrevented; })()"), "leaving with unsaved changes asks first")
    page.eval("document.getElementById('dirty').setAttribute('data-dirty', '0'), true")
    page.navigate("%s/designer.html" % coord.url)
    page.wait("document.getElementById('summary').getAttribute('data-seats') === '4'", slow(10), "the event's layout")
    eq(page.eval("document.getElementById('dirty').textContent"), "No changes", "the state after loading")
    dash.no_page_problems(page)


def test_opens_event_layout(env):
    """A generated theatre (20 curved rows of 30) opens as one editable block
    of rows A..T, and the layout the designer makes of it is the event's
    (every seat id, section, class and place): opening changes nothing."""
    coord, page = start(env, layout="theatre:20x30,vip=2")
    admin = env.tokens["admin"]
    open_designer(coord, page, admin, 600)
    items = design(page)["items"]
    eq([(i["type"], i.get("first"), i.get("rows"), i.get("perRow")) for i in items], [("rows", "A", 2, 30), ("rows", "C", 18, 30)],
       "the theatre's rows as blocks (the two VIP rows apart)")
    eq(page.eval("document.getElementById('dirty').textContent"), "No changes", "the state after opening")
    want = layout_seats(it.get_json(coord.port, "/v1/layout", admin))
    got = layout_seats(page.eval("window.usherDesigner.layout()"))
    eq(set(got), set(want), "the designer's seats and the event's")
    for sid, w in want.items():
        g = got[sid]
        check(g[0] == w[0] and g[1] == w[1] and abs(g[2] - w[2]) < 0.01 and abs(g[3] - w[3]) < 0.01,
              "seat %s: the designer has %r, the event %r" % (sid, g, w))
    check(abs(items[1]["curve"]) > 0, "the theatre's curve read back: %r" % items[1]["curve"])
    dash.no_page_problems(page)


def test_import_export(env):
    """Import of the sample layouts: the designer reads counted and listed
    seats exactly as usher-coord does (same ids, classes, places), exports
    them unchanged; its tables and rows come back editable; a broken file is
    refused with the place named and changes nothing."""
    coord, page = start(env)
    open_designer(coord, page, env.tokens["admin"], 4)
    for name in ("small-hall.json", "garden-dinner.json"):
        with open(os.path.join(LAYOUTS, name), encoding="utf-8") as f:
            text = f.read()
        dash.choose_file(page, name, text)
        page.wait("/Imported/.test(document.getElementById('save-msg').textContent)", slow(5), "the import of " + name,
                  show="document.getElementById('save-msg').textContent")
        layout = export(page)
        want = validate(env, json.loads(text), name.split(".")[0] + "-direct")
        got = layout_seats(layout)
        eq(set(got), set(want), "%s: the designer's seats and usher-coord's" % name)
        for sid, w in want.items():
            g = got[sid]
            check(g[0] == w[0] and g[1] == w[1] and abs(g[2] - w[2]) < 0.01 and abs(g[3] - w[3]) < 0.01,
                  "%s seat %s: the designer has %r, usher-coord %r" % (name, sid, g, w))
        validate(env, layout, name.split(".")[0] + "-export")
    # small-hall's counted tables and rows are editable items again
    dash.choose_file(page, "small-hall.json", open(os.path.join(LAYOUTS, "small-hall.json"), encoding="utf-8").read())
    page.wait("/Imported small-hall/.test(document.getElementById('save-msg').textContent)", slow(5), "small-hall again")
    types = sorted(set(i["type"] for i in design(page)["items"]))
    eq(types, ["rows", "table"], "small-hall's sections as tables and row blocks")

    # a turned, curved block of rows with aisles, numbered from the right,
    # and a turned table: made by the designer's model, read back editable
    made = page.eval("""(function () { var M = UsherLayout, d = M.newDesign('Made');
      var r = M.addRows(d, 800, 900, 5, 14); r.angle = 20; r.curve = 45; r.aisles = [4, 10]; r.aisleWidth = 80;
      r.fromRight = true; r.start = 101; r.name = 'Balcony'; r.marks['2:3'] = {cls: 'Wheelchair'}; r.marks['4:0'] = {blocked: true};
      var t = M.addTable(d, 200, 300, 12); t.angle = 45; t.radius = 140; t.cls = 'VIP'; t.marks['5'] = {cls: ''};
      return M.toLayout(d); })()""")
    dash.choose_file(page, "made.json", json.dumps(made))
    page.wait("/Imported made/.test(document.getElementById('save-msg').textContent)", slow(5), "made.json imported")
    items = design(page)["items"]
    eq([i["type"] for i in items], ["rows", "table"], "made.json's items")
    r, t = items
    eq((r["rows"], r["perRow"], r["angle"], r["curve"], r["aisles"], r["aisleWidth"], r["fromRight"], r["start"], r["name"],
        r["first"]), (5, 14, 20, 45, [4, 10], 80, True, 101, "Balcony", "A"), "the block of rows read back")
    eq(made["sections"][0]["seats"][0]["id"], "A-101", "the first seat of row A, numbered from 101")
    eq(r["marks"], {"2:3": {"cls": "Wheelchair"}, "4:0": {"blocked": True}}, "the block's seat marks read back")
    eq((t["angle"], t["radius"], t["cls"], t["marks"]), (45, 140, "VIP", {"5": {"cls": ""}}), "the table read back")
    eq(export(page), made, "made.json exported again")
    validate(env, made, "made")

    before = page.eval("JSON.stringify(window.usherDesigner.layout())")
    bad = {"sections": [{"kind": "table", "id": "T01", "x": 0, "y": 0, "seats": [{"id": "X-1", "x": 0, "y": 0},
                                                                             {"id": "X-1", "x": 90, "y": 0}]}]}
    dash.choose_file(page, "bad.json", json.dumps(bad))
    msg = "document.getElementById('save-msg').textContent"
    page.wait(msg + ".indexOf('duplicate seat id') >= 0", slow(5), "the refusal of a duplicate seat id", show=msg)
    check("sections[0].seats[1].id" in page.eval(msg) and "Nothing was changed" in page.eval(msg),
          "the refusal names the place: %r" % page.eval(msg))
    eq(page.eval("JSON.stringify(window.usherDesigner.layout())"), before, "the design after a refused import")
    dash.choose_file(page, "notjson.json", "{\"sections\": [")
    page.wait(msg + ".indexOf('not JSON') >= 0", slow(5), "the refusal of a file that is not JSON", show=msg)
    dash.no_page_problems(page)


def test_checks(env):
    """The layout is checked in the page as the format says: a duplicate
    table id, an id with a space, an empty venue are named and Save is
    off; names with markup stay text."""
    coord, page = start(env)
    open_designer(coord, page, env.tokens["admin"], 4)
    eq(page.eval("document.getElementById('event-name').textContent").split(" · ")[0], "Designer <b>Test</b>",
       "the event's name, as text")
    eq(page.eval("document.querySelectorAll('#event-name b').length"), 0, "markup from the event's name")
    click(page, "#add-table")
    t2 = item_by(page, "id", "T02")
    click_at(page, *body_centre(page, t2["uid"]), DESK)
    type_into(page, "#f-id", "T01")
    page.wait("document.querySelectorAll('#problems li.error').length > 0", slow(5), "a problem listed")
    p = problems(page)
    check(any('duplicate section id "T01"' in x for x in p), "the problems %r" % p)
    eq(page.eval("document.getElementById('save').disabled"), True, "Save with a duplicate id")
    type_into(page, "#f-id", "T 2")
    m = page.eval("document.getElementById('item-msg').textContent")
    check("A-Z a-z 0-9" in m, "the message for an id with a space: %r" % m)
    eq(item_by(page, "uid", t2["uid"])["id"], "T01", "a refused id changes nothing")
    type_into(page, "#f-id", "T02")
    page.wait("document.getElementById('problems').hidden", slow(5), "no problems once the id is unique")
    evil = "<img src=x onerror=pwned=1>"  # a name field holds 32 bytes
    type_into(page, "#f-label", evil)
    type_into(page, "#venue-name", evil)
    eq(item_by(page, "uid", t2["uid"])["label"], evil, "the name kept as typed")
    check(evil in page.eval("document.getElementById('item-title').textContent"), "the name shown as text")
    layout = export(page)
    eq(layout["name"], evil, "the layout's name")
    check(json.dumps(evil) in page.eval("document.getElementById('json-out').textContent"), "the JSON as text")
    # a block of rows numbered from 101
    click(page, "#add-rows")
    rows = item_by(page, "first", "A")
    click_at(page, *body_centre(page, rows["uid"]), DESK)
    type_into(page, "#f-start", 101)
    row_a = [sec for sec in page.eval("window.usherDesigner.layout()")["sections"] if sec["id"] == "A"][0]
    eq([(x["id"], x.get("label")) for x in row_a["seats"][:2]], [("A-101", "101"), ("A-102", "102")],
       "row A numbered from 101 (ids and labels)")
    # delete everything: no seats is an error
    for i in design(page)["items"]:
        click_at(page, *body_centre(page, i["uid"]), DESK)
        click(page, "#delete")
    p = problems(page)
    check(any("no seats yet" in x for x in p), "the problems of an empty venue: %r" % p)
    eq(page.eval("document.getElementById('save').disabled"), True, "Save of an empty venue")
    click(page, "#undo")
    page.wait("document.getElementById('summary').getAttribute('data-seats') !== null", slow(5), "undo of the delete")
    dash.no_page_problems(page)


KEYS = {"ArrowLeft": 37, "ArrowUp": 38, "ArrowRight": 39, "ArrowDown": 40, "Delete": 46, "r": 82, "d": 68, "z": 90, "y": 89}


def key(page, name, modifiers=0):
    """A key pressed and released (modifiers: 2 Ctrl, 8 Shift)."""
    code = "Key" + name.upper() if len(name) == 1 else name
    for kind in ("rawKeyDown", "keyUp"):
        page.call("Input.dispatchKeyEvent", {"type": kind, "key": name, "code": code, "modifiers": modifiers,
                                             "windowsVirtualKeyCode": KEYS[name]})
    time.sleep(0.03)


def test_keyboard_and_renumber(env):
    """Without a mouse: a table focused by the keyboard moves with the
    arrows, turns with R, is duplicated with D and deleted with Del; Ctrl+Z
    and Ctrl+Y undo and redo. Renumber numbers the tables left to right."""
    coord, page = start(env)
    open_designer(coord, page, env.tokens["admin"], 4)
    click(page, "#add-table")
    t1, t2 = item_by(page, "id", "T01"), item_by(page, "id", "T02")
    page.eval("document.querySelector('.item[data-uid=\"%d\"]').focus(), true" % t1["uid"])
    eq(page.eval("window.usherDesigner.selection()"), {"uid": t1["uid"]}, "T01 selected by keyboard focus")
    key(page, "ArrowRight")
    key(page, "ArrowDown", 8)
    key(page, "r")
    got = item_by(page, "uid", t1["uid"])
    eq((got["x"] - t1["x"], got["y"] - t1["y"], got["angle"]), (10, 50, 15), "T01 after Right, Shift+Down, R")
    key(page, "d")
    eq(len(design(page)["items"]), 3, "items after D")
    eq(item_by(page, "uid", page.eval("window.usherDesigner.selection().uid"))["id"], "T03", "the duplicate's id")
    key(page, "Delete")
    eq([i["id"] for i in design(page)["items"]], ["T01", "T02"], "items after Del")
    key(page, "z", 2)
    eq([i["id"] for i in design(page)["items"]], ["T01", "T02", "T03"], "items after Ctrl+Z")
    key(page, "y", 2)
    eq([i["id"] for i in design(page)["items"]], ["T01", "T02"], "items after Ctrl+Y")
    click(page, "#undo")
    click(page, "#redo")
    eq([i["id"] for i in design(page)["items"]], ["T01", "T02"], "items after Undo and Redo buttons")

    # the turn handle: dragged a quarter round the table's centre, a quarter turn
    click_at(page, *body_centre(page, t1["uid"]), DESK)
    a0 = item_by(page, "uid", t1["uid"])["angle"]
    hx, hy = (lambda b: (b[0] + b[2] / 2, b[1] + b[3] / 2))(box(page, '.item[data-uid="%d"] .turn-handle circle' % t1["uid"]))
    cx, cy = body_centre(page, t1["uid"])
    r = math.hypot(hx - cx, hy - cy)
    a = math.atan2(hx - cx, -(hy - cy))
    mouse(page, "mouseMoved", hx, hy)
    mouse(page, "mousePressed", hx, hy, 1)
    for i in range(1, 10):
        b = a + math.pi / 2 * i / 9
        mouse(page, "mouseMoved", cx + r * math.sin(b), cy - r * math.cos(b), 1)
    mouse(page, "mouseReleased", cx + r * math.sin(a + math.pi / 2), cy - r * math.cos(a + math.pi / 2))
    eq(item_by(page, "uid", t1["uid"])["angle"], (a0 + 90) % 360, "T01 after a quarter turn of its handle")

    # T01 dragged right of T02, then Renumber: the left one is T01 again
    x1, y1 = body_centre(page, t1["uid"])
    x2, _ = body_centre(page, t2["uid"])
    drag(page, x1, y1, x2 + (x2 - x1), y1)
    check(item_by(page, "uid", t1["uid"])["x"] > item_by(page, "uid", t2["uid"])["x"], "T01 dragged right of T02")
    click(page, "#renumber")
    eq((item_by(page, "uid", t2["uid"])["id"], item_by(page, "uid", t1["uid"])["id"]), ("T01", "T02"),
       "the tables renumbered left to right")
    eq(item_by(page, "uid", t2["uid"])["label"], "Table 1", "a default name follows the number")
    layout = export(page)
    eq([s["id"] for s in layout["sections"]], ["T02", "T01"], "the sections after renumbering")
    eq(layout["sections"][1]["seats"][0]["id"], "T01-01", "the seat ids follow")
    dash.no_page_problems(page)


def test_conflict(env):
    """Deleting a table that holds a ticket: the page warns before saving;
    Save is refused by the coordinator (409 layout_conflict, its message
    shown, the edits kept) or, without PUT /v1/layout, the page says it
    cannot change the layout yet."""
    coord, page = start(env)
    admin, kiosk = env.tokens["admin"], env.tokens["kiosk-1"]
    o = {"id": str(uuid.uuid4()), "kind": "assign", "at": now_iso(), "ticket": "DES-0001", "seat": "T01-02"}
    status, _, body = it.http_call(coord.port, "POST", "/v1/sync", kiosk, json.dumps({"cursor": 0, "ops": [o]}))
    eq(status, 200, "the kiosk's assign")
    eq(json.loads(body)["verdicts"][0]["status"], "accepted", "the assign's verdict")
    open_designer(coord, page, admin, 4)
    eq(page.eval("document.getElementById('dseat-T01-02').getAttribute('data-taken')"), "1", "T01-02 shown holding a ticket")
    eq(page.eval("document.getElementById('legend-taken').hidden"), False, "the legend's entry for seats holding a ticket")
    # a guest seated while the organiser designs: the ring follows (event stream)
    o = {"id": str(uuid.uuid4()), "kind": "assign", "at": now_iso(), "ticket": "DES-0002", "seat": "T01-04"}
    status, _, body = it.http_call(coord.port, "POST", "/v1/sync", kiosk, json.dumps({"cursor": 0, "ops": [o]}))
    eq(json.loads(body)["verdicts"][0]["status"], "accepted", "the second assign's verdict")
    page.wait("document.getElementById('dseat-T01-04').getAttribute('data-taken') === '1'", slow(10),
              "T01-04 ringed once a kiosk seats a guest there")
    click(page, "#add-table")
    t1 = item_by(page, "id", "T01")
    click_at(page, *body_centre(page, t1["uid"]), DESK)
    click(page, "#delete")
    p = problems(page)
    check(any("T01-02" in x and "refuse" in x for x in p), "the warning before saving: %r" % p)
    result, message = save_result(page)
    eq(result, "conflict", "Save dropping a taken seat (%r)" % message)
    check("Your changes are kept" in message and "T01-02" in message, "the message %r" % message)
    eq(sorted(layout_seats(it.get_json(coord.port, "/v1/layout", admin))), ["T01-01", "T01-02", "T01-03", "T01-04"],
       "the event's layout after a refused save")
    eq([i["id"] for i in design(page)["items"]], ["T02"], "the edits kept after the refusal")
    dash.no_page_problems(page)


def test_phone(env):
    """At 390 x 844 with a finger: nothing wider than the screen, the
    buttons at least 40 px high; a table added by a tap, dragged by touch,
    a seat tapped and made a companion seat."""
    coord, page = start(env, size=PHONE, touch=True)
    open_designer(coord, page, env.tokens["admin"], 4)
    eq(page.eval("document.documentElement.scrollWidth"), PHONE[0], "the page's width on the phone")
    for sel in ("#add-table", "#add-rows", "#undo", "#redo", "#rot-right", "#zoom-fit", "#save", "#export",
                "#import-label", "#table-seats"):
        x, y, w, h = dash.box_of(page, sel)
        check(h >= 40 and x >= 0 and x + w <= PHONE[0] + 0.5, "%s is %r on the phone: not a finger's target" % (sel, [x, y, w, h]))
    dash.tap_on(page, "#add-table")
    page.wait("document.getElementById('summary').getAttribute('data-seats') === '14'", slow(5), "a table added by a tap")
    t2 = item_by(page, "id", "T02")
    page.eval("window.scrollTo(0, 0), true")
    x, y, w, h = dash.box_of(page, '.item[data-uid="%d"] .body' % t2["uid"], scroll=False)
    cx, cy = x + w / 2, y + h / 2
    check(0 <= cx < PHONE[0] and 0 <= cy < PHONE[1], "T02 is off the phone's screen at (%.0f, %.0f)" % (cx, cy))
    page.call("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": cx, "y": cy, "id": 1}]})
    for i in range(1, 9):
        page.call("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": cx - 6 * i, "y": cy + 5 * i, "id": 1}]})
    page.call("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    moved = item_by(page, "id", "T02")
    check(moved["x"] < t2["x"] and moved["y"] > t2["y"], "T02 dragged by a finger: from (%r, %r) to (%r, %r)"
          % (t2["x"], t2["y"], moved["x"], moved["y"]))
    eq(page.eval("document.documentElement.scrollWidth"), PHONE[0], "the page's width after the drag")
    b = dash.box_of(page, "#dseat-T02-01", scroll=False)
    dash.tap(page, b[0] + b[2] / 2, b[1] + b[3] / 2)
    page.wait("/T02-01/.test(document.getElementById('seat-bar-title').textContent)", slow(5),
              "the tapped seat's bar on the plan")
    # the marks are at the bottom of the plan, where the thumb is: no scrolling
    plan = dash.box_of(page, "#canvas", scroll=False)
    for sel in ("#bar-companion", "#bar-block", "#bar-close"):
        x, y, w, h = dash.box_of(page, sel, scroll=False)
        check(h >= 40 and plan[1] <= y and y + h <= min(plan[1] + plan[3], PHONE[1]) and x >= 0 and x + w <= PHONE[0],
              "%s at %r is not a finger's target on the plan %r" % (sel, [x, y, w, h], plan))
    b = dash.box_of(page, "#bar-companion", scroll=False)
    dash.tap(page, b[0] + b[2] / 2, b[1] + b[3] / 2)
    page.wait("document.getElementById('dseat-T02-01').getAttribute('data-mark') === 'Companion'", slow(5),
              "T02-01 a companion seat")
    keep_shot(env, page, "designer-phone.png")
    b = dash.box_of(page, "#bar-block", scroll=False)
    dash.tap(page, b[0] + b[2] / 2, b[1] + b[3] / 2)
    page.wait("document.getElementById('dseat-T02-01').getAttribute('data-mark') === 'blocked'", slow(5),
              "T02-01 blocked from the bar")
    b = dash.box_of(page, "#bar-close", scroll=False)
    dash.tap(page, b[0] + b[2] / 2, b[1] + b[3] / 2)
    page.wait("document.getElementById('seat-bar').hidden", slow(5), "the bar closed")
    # two fingers moving apart zoom in
    w0 = page.eval("window.usherDesigner.view().w")
    cx, cy = plan[0] + plan[2] / 2, plan[1] + 40
    pts = lambda d: [{"x": cx - d, "y": cy, "id": 1}, {"x": cx + d, "y": cy, "id": 2}]
    page.call("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": pts(30)})
    for d in (45, 60, 75, 90):
        page.call("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": pts(d)})
    page.call("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    w1 = page.eval("window.usherDesigner.view().w")
    check(w1 < w0 * 0.5, "a pinch did not zoom in: the view was %.0f units wide, then %.0f" % (w0, w1))
    dash.no_page_problems(page)


def main():
    return dash.run_browser_tests("the venue designer in headless Chromium", globals(),
                                  ("coord", "syncd", "kiosk"))


if __name__ == "__main__":
    sys.exit(main())

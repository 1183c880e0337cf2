#!/usr/bin/env python3
"""test_dashboard.py - the organisers' dashboard (assets/web) in headless
Chromium, against the real usher-coord serving it on 127.0.0.1
(tests/integration/README.md).

    python3 test_dashboard.py --coord PATH/TO/usher-coord [NAME ...]

Each test starts a coordinator with its own database, opens the dashboard in
one Chromium page driven over the DevTools protocol (browser.py), acts the way
a kiosk, a door or an organiser does, and checks what the same page shows.
Exit 77 (skip) only when no Chromium is installed (scripts/deps test installs
Debian's `chromium`). Python 3 standard library only.
"""

import csv
import json
import os
import sys
import time
import uuid
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402
import usher_it as it  # noqa: E402
from usher_it import Fail, Skip, check, eq, slow  # noqa: E402

WEB = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets", "web"))
LAYOUT = "gala:25x10,vip=2"  # T01 and T02 are VIP tables
EVENT = 'Winter Gala <2026> & "Friends"'
GUESTS = [
    ("GALA-0001", 'Smith, Jane "JJ"', "VIP"),
    ("GALA-0002", "Zoë Ångström", "VIP"),
    ("GALA-0003", "Müller, Jürgen", "Regular"),
    ("GALA-0004", "O'Neill, Siobhán", "Regular"),
    ("GALA-0005", "José Álvarez", "Regular"),
    ("GALA-0006", "Anaïs Lefèvre", "Regular"),
    ("GALA-0007", '<img src=x onerror="window.pwned=1">', "Regular"),
    ("GALA-0008", "Ørjan Bråten", "Regular"),
]
# Seat colours of style.css (--taken, --checked-in), as RGB.
COLOURS = {"taken": (0x2f, 0x6f, 0xdb), "checked-in": (0x15, 0x80, 0x3d)}


# ---- setting up -----------------------------------------------------------------


def now_iso():
    t = datetime.now(timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def op(kind, **fields):
    o = {"id": str(uuid.uuid4()), "kind": kind, "at": now_iso()}
    o.update(fields)
    return o


def push(coord, token, *ops):
    """POST /v1/sync with ops, as a device does; returns the verdicts."""
    status, _, body = it.http_call(coord.port, "POST", "/v1/sync", token,
                                   json.dumps({"cursor": 0, "ops": list(ops)}))
    eq(status, 200, "POST /v1/sync status (body %r)" % body[:300])
    return json.loads(body.decode("utf-8"))["verdicts"]


def accepted(coord, token, o):
    v = push(coord, token, o)[0]
    eq(v["status"], "accepted", "%s %s verdict (%r)" % (o["kind"], o.get("ticket") or o.get("seat"), v))
    return v


def seats(coord, env):
    return {s["id"]: s for s in it.get_list(coord.port, "/v1/seats", env.tokens["admin"], "seats")}


def start(env, width=1280, height=800, serve_args=()):
    """An event with GUESTS, an admin, a kiosk and a door; usher-coord serving
    the dashboard from assets/web; Chromium with a window of width x height.
    Returns (coord, page)."""
    binary = browser.find_chromium()
    if not binary:
        env.skipped = True  # nothing ran: no logs worth keeping
        raise Skip("no Chromium (install Debian's chromium: scripts/deps test)")
    env.tool([it.COORD, "init", "--db", env.db, "--event", EVENT, "--layout", LAYOUT])
    path = env.path("tickets.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("ticket_number", "full_name", "class"))
        w.writerows(GUESTS)
    env.tool([it.COORD, "tickets", "import", "--db", env.db, path])
    for name, role in (("admin", "admin"), ("kiosk-1", "kiosk"), ("door-1", "door")):
        env.add_device(name, role)
    check(os.path.isfile(os.path.join(WEB, "index.html")), "no dashboard at %s" % WEB)
    coord = env.coord(extra=("--web", WEB) + tuple(serve_args))
    page = browser.Browser(binary, env.path("chromium.log"), width, height, preexec_fn=it.die_with_parent,
                           timeout=slow(30))
    env.pages.append(page)
    return coord, page


def open_dashboard(coord, page, token):
    page.navigate("%s/#token=%s" % (coord.url, token))
    page.wait("document.querySelectorAll('#map-wrap svg .seat').length === 250"
              " && document.getElementById('conn').dataset.conn === 'live'"
              " && document.getElementById('stat-expected').textContent === '%d'" % len(GUESTS),
              slow(10), "the dashboard's 250 seats, live, with %d tickets expected" % len(GUESTS))


def state_js(seat):
    return ("(function () { var e = document.getElementById('seat-%s');"
            " return e ? e.getAttribute('data-state') : null; })()" % seat)


def state(page, seat):
    return page.eval(state_js(seat))


def wait_state(page, seat, want, what):
    page.wait("%s === '%s'" % (state_js(seat), want), slow(10),
              "%s: seat %s %s on the map" % (what, seat, want), show=state_js(seat))


def text(page, element_id):
    return page.eval("document.getElementById(%s).textContent" % json.dumps(element_id))


def wait_text(page, element_id, want, what):
    js = "document.getElementById(%s).textContent.trim()" % json.dumps(element_id)
    page.wait("%s === %s" % (js, json.dumps(want)), slow(10), "%s: #%s reads %r" % (what, element_id, want), show=js)


def click(page, selector):
    ok = page.eval("(function () { var e = document.querySelector(%s); if (!e || e.hidden) return false;"
                   " e.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window}));"
                   " return true; })()" % json.dumps(selector))
    check(ok, "nothing visible to click at %s" % selector)


def mouse_click(page, selector):
    """A real left click (pointer and mouse events from Chromium's input
    layer) at the middle of the element, as an organiser's mouse does."""
    box = page.eval("(function () { var e = document.querySelector(%s); if (!e) return null;"
                    " e.scrollIntoView({block: 'nearest', inline: 'nearest'});"
                    " var b = e.getBoundingClientRect(); return [b.left + b.width / 2, b.top + b.height / 2,"
                    " window.scrollY]; })()" % json.dumps(selector))
    check(box, "nothing to click at %s" % selector)
    x, y, _ = box
    check(0 <= x < 1280 and 0 <= y < 800, "%s is off screen at %r (x, y, page scroll)" % (selector, box))
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        page.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                               "buttons": 1 if kind == "mousePressed" else 0, "clickCount": 1})


def no_page_problems(page):
    eq(page.problems, [], "JavaScript errors in the page")
    eq(page.eval("window.pwned === undefined"), True, "a guest's name ran as HTML")


def seat_box(page, seat):
    """Where seat `seat` is drawn: [left, top, width, height] in CSS pixels."""
    return page.eval("(function () { var b = document.getElementById('seat-%s').getBoundingClientRect();"
                     " return [b.left, b.top, b.width, b.height]; })()" % seat)


def seat_pixels(pixel, box, seat):
    """The pixels of a seat drawn in `box`, from a decoded screenshot: the ring
    between 45% and 90% of its radius (the middle holds its number)."""
    x, y, w, h = box
    check(w >= 6 and h >= 6, "seat %s is drawn %.1f x %.1f px: too small to see" % (seat, w, h))
    check(x >= 0 and y >= 0 and x + w <= 1280 and y + h <= 800, "seat %s is off screen at %r" % (seat, box))
    cx, cy, rad = x + w / 2, y + h / 2, min(w, h) / 2
    out = []
    for py in range(int(y), int(y + h) + 1):
        for px in range(int(x), int(x + w) + 1):
            d = ((px + 0.5 - cx) ** 2 + (py + 0.5 - cy) ** 2) ** 0.5
            if 0.45 * rad <= d <= 0.9 * rad:
                out.append(pixel(px, py))
    return out


def share_of(pixels, rgb, tolerance=24):
    near = [p for p in pixels if all(abs(a - b) <= tolerance for a, b in zip(p, rgb))]
    return len(near) / max(1, len(pixels))


# ---- the tests ------------------------------------------------------------------


def test_live_map(env):
    """The map, the counters and a screenshot follow a kiosk's assign and a
    door's check-in live, in the same page, through the event stream."""
    coord, page = start(env)
    admin, kiosk, door = env.tokens["admin"], env.tokens["kiosk-1"], env.tokens["door-1"]
    accepted(coord, kiosk, op("assign", ticket="GALA-0003", seat="T05-02"))
    open_dashboard(coord, page, admin)

    eq(page.eval("location.hash"), "", "the token left in the address bar")
    eq(page.eval("sessionStorage.getItem('usher.admin_token')"), admin, "the token kept for the tab")
    # every seat of the map agrees with the coordinator's /v1/seats
    shown = page.eval("Array.from(document.querySelectorAll('#map-wrap .seat'))"
                      ".map(function (e) { return [e.id, e.getAttribute('data-state')]; })")
    want = {"seat-" + k: v["state"] for k, v in seats(coord, env).items()}
    eq(len(shown), 250, "seat elements")
    eq(dict(shown), want, "the map's seat states")
    eq(state(page, "T05-02"), "taken", "a seat taken before the page opened")
    eq(text(page, "stat-seated"), "1", "#stat-seated")
    eq(text(page, "stat-checked-in"), "0", "#stat-checked-in")
    eq(text(page, "count-free"), "249", "legend: free")
    eq(text(page, "event-name").split(" · ")[0], EVENT, "the event's name in the top bar, as text")
    check(page.eval("document.title").startswith(EVENT), "the page title %r" % page.eval("document.title"))

    # From now on /v1/seats and /v1/stats answers are held back: whatever
    # changes on the map can only come from the event stream.
    page.eval("""(function () {
      var real = window.fetch; window.__held = [];
      window.fetch = function (url, init) {
        if (/^\\/v1\\/(seats|stats)/.test(String(url)))
          return new Promise(function (ok, ko) { window.__held.push(function () { real(url, init).then(ok, ko); }); });
        return real(url, init);
      };
      window.__release = function () { window.fetch = real; window.__held.splice(0).forEach(function (f) { f(); }); };
      return true; })()""")
    accepted(coord, kiosk, op("assign", ticket="GALA-0005", seat="T06-01"))
    wait_state(page, "T06-01", "taken", "a kiosk's assign, from the event stream alone")
    eq(text(page, "stat-seated"), "1", "#stat-seated while /v1/stats is held back")
    page.eval("window.__release(), true")
    wait_text(page, "stat-seated", "2", "after the assign")

    accepted(coord, door, op("checkin", ticket="GALA-0005"))
    wait_state(page, "T06-01", "checked-in", "a door's check-in")
    wait_text(page, "stat-checked-in", "1", "after the check-in")
    eq(text(page, "stat-seated"), "2", "#stat-seated after the check-in")
    eq(state(page, "T05-02"), "taken", "the other seated guest, not arrived")
    # the table's count on the map and in the progress table
    page.wait("Array.from(document.querySelectorAll('#map-wrap text.table-count'))"
              ".some(function (t) { return t.textContent === '1/10 · 1 in'; })", slow(10),
              "table 6's count on the map reads 1/10 · 1 in")
    row = page.eval("Array.from(document.querySelectorAll('#sections-body tr'))"
                    ".map(function (r) { return r.textContent; }).filter(function (t) { return /Table 6/.test(t); })")
    eq(len(row), 1, "table 6's row in the progress table")
    check("1/10" in row[0], "table 6's progress row %r does not read 1/10" % row[0])

    # The screenshot: a PNG of the viewport, the seats in their colours.
    page.eval("document.activeElement && document.activeElement.blur(), true")
    time.sleep(0.4)  # let the colour transition of the bars settle; the seats have none
    png = page.screenshot(env.path("dashboard.png"))
    eq(browser.png_size(png), (1280, 800), "screenshot size")
    check(len(png) > 20000, "the screenshot is only %d bytes" % len(png))
    boxes = {seat: seat_box(page, seat) for seat in ("T06-01", "T05-02", "T07-01")}
    _, _, pixel = browser.png_pixels(png, rows=int(max(b[1] + b[3] for b in boxes.values())) + 2)
    for seat, colour in (("T06-01", "checked-in"), ("T05-02", "taken")):
        share = share_of(seat_pixels(pixel, boxes[seat], seat), COLOURS[colour])
        check(share > 0.5, "seat %s (%s): only %.0f%% of its pixels have its colour in the screenshot"
              % (seat, colour, share * 100))
    free = seat_pixels(pixel, boxes["T07-01"], "T07-01")
    check(share_of(free, COLOURS["taken"]) < 0.05 and share_of(free, COLOURS["checked-in"]) < 0.05,
          "a free seat is painted as taken or checked in")
    no_page_problems(page)


def test_sign_in(env):
    """A wrong token and a kiosk's token bring the sign-in form back with a
    reason; an admin token typed into it opens the dashboard; the tab keeps
    it across a reload; Sign out forgets it."""
    coord, page = start(env)
    page.navigate("%s/#token=NOT-A-TOKEN" % coord.url)
    page.wait("!document.getElementById('login').hidden && !document.getElementById('login-error').hidden",
              slow(10), "the sign-in form with an error, for an unknown token")
    msg = text(page, "login-error")
    check("does not accept this token" in msg and "usher-coord device add" in msg,
          "the message for an unknown token: %r" % msg)
    eq(page.eval("document.getElementById('main').hidden"), True, "the dashboard hidden when signed out")
    eq(page.eval("sessionStorage.getItem('usher.admin_token')"), None, "a refused token kept")

    page.navigate("%s/#token=%s" % (coord.url, env.tokens["kiosk-1"]))
    page.wait("/not to an organiser/.test(document.getElementById('login-error').textContent)", slow(10),
              "the message for a kiosk's token")
    check("admin token" in text(page, "login-error"), "the kiosk message names the admin token")

    page.eval("document.getElementById('token').value = %s; true" % json.dumps(" " + env.tokens["admin"] + "\n"))
    click(page, "#token-submit")
    page.wait("document.querySelectorAll('#map-wrap .seat').length === 250 && document.getElementById('login').hidden",
              slow(10), "the dashboard after typing an admin token")
    page.reload()
    page.wait("document.querySelectorAll('#map-wrap .seat').length === 250", slow(10),
              "still signed in after a reload")
    click(page, "#sign-out")
    page.wait("!document.getElementById('login').hidden && document.getElementById('main').hidden", slow(10),
              "the sign-in form after Sign out")
    eq(page.eval("sessionStorage.getItem('usher.admin_token')"), None, "the token after Sign out")
    eq(page.eval("document.querySelectorAll('#map-wrap .seat').length"), 0, "seats left on the page after Sign out")
    no_page_problems(page)


def test_panels(env):
    """Alerts (shown, acknowledged), devices, ticket search (names as text,
    never HTML) and the three CSV exports."""
    coord, page = start(env)
    admin, kiosk, door = env.tokens["admin"], env.tokens["kiosk-1"], env.tokens["door-1"]
    open_dashboard(coord, page, admin)
    eq(page.eval("document.getElementById('alerts-empty').hidden"), False, "'No alerts.' with no alert")

    accepted(coord, kiosk, op("assign", ticket="GALA-0004", seat="T09-03"))
    v = push(coord, kiosk, op("assign", ticket="GALA-0006", seat="T09-03"))[0]
    eq((v["status"], v.get("reason")), ("rejected", "seat_taken"), "the second assign of T09-03")
    reseat = v["reseat"]
    page.wait("document.querySelectorAll('#alerts-list li.alert').length === 1", slow(10), "the reseat alert")
    alert = page.eval("document.querySelector('#alerts-list li.alert').textContent")
    for part in ("Re-seated", "GALA-0006", "T09-03", reseat, "Acknowledge"):
        check(part in alert, "the alert %r does not mention %r" % (alert, part))
    eq(text(page, "alerts-link"), "1 open alert", "the top bar's alert link")
    wait_state(page, reseat, "taken", "the reseated guest")
    click(page, "#alerts-list li.alert .alert-foot button.btn")
    page.wait("document.querySelector('#alerts-list li.alert.acked') !== null", slow(10), "the alert acknowledged")
    acks = it.get_list(coord.port, "/v1/alerts", admin, "alerts")
    check(len(acks) == 1 and acks[0].get("acked_at"), "the coordinator's alert after Acknowledge: %r" % acks)
    eq(page.eval("document.getElementById('alerts-link').hidden"), True, "the alert link with nothing open")

    # devices: the kiosk synced just now, the door never
    rows = page.wait("(function () { var r = Array.from(document.querySelectorAll('#devices-body tr'))"
                     ".map(function (tr) { return tr.textContent.replace(/\\s+/g, ' ').trim(); });"
                     " return r.length === 3 && /kiosk-1.*Online/.test(r.join('|')) ? r : null; })()",
                     slow(10), "three devices, kiosk-1 online")
    door_row = [r for r in rows if r.startswith("door-1")]
    check(door_row and "Never synced" in door_row[0], "the door that never synced: %r" % rows)

    # ticket search: by accented name, and a name made of HTML stays text
    page.eval("document.getElementById('search').value = 'zoë'; true")
    click(page, "#search-form button")
    page.wait("document.getElementById('tickets-summary').textContent === '1 matching ticket.'", slow(10),
              "one ticket matching zoë")
    check("GALA-0002" in text(page, "tickets-body"), "the search for zoë finds %r" % text(page, "tickets-body"))
    page.eval("document.getElementById('search').value = 'GALA-0007'; true")
    click(page, "#search-form button")
    page.wait("/GALA-0007/.test(document.getElementById('tickets-body').textContent)", slow(10), "GALA-0007 found")
    eq(page.eval("document.querySelectorAll('#tickets-body img, #alerts-list img').length"), 0,
       "elements made from a guest's name")
    check(GUESTS[6][1] in text(page, "tickets-body"), "the HTML-looking name shown as text")

    # the exports: links with the token, CSV downloads that list the seating
    for what, head in (("assignments", "ticket"), ("checkins", "ticket"), ("alerts", "")):
        href = page.eval("document.getElementById('export-%s').href" % what)
        check("/v1/export/%s.csv?access_token=" % what in href, "export link %r" % href)
        got = page.eval("fetch(document.getElementById('export-%s').href)"
                        ".then(function (r) { return r.text().then(function (t) { return [r.status, t]; }); })" % what)
        eq(got[0], 200, "GET %s.csv from the page" % what)
        check(head in got[1].split("\n")[0], "%s.csv header %r" % (what, got[1][:80]))
    body = page.eval("fetch(document.getElementById('export-assignments').href).then(function (r) { return r.text(); })")
    rows = list(csv.DictReader(body.splitlines()))
    check(any(r.get("ticket_number") == "GALA-0004" and "T09-03" in r.values() for r in rows),
          "assignments.csv lacks GALA-0004 at T09-03: %r" % body[:400])
    accepted(coord, door, op("checkin", ticket="GALA-0004"))
    wait_state(page, "T09-03", "checked-in", "the check-in")
    no_page_problems(page)


PHONE = (390, 844)  # a phone held upright, in CSS pixels


def box_of(page, selector, scroll=True):
    """[left, top, width, height] of the element in CSS pixels, scrolled into
    view first (as a finger scrolls to it); None when there is none."""
    return page.eval("(function () { var e = document.querySelector(%s); if (!e) return null;"
                     " if (%s) e.scrollIntoView({block: 'center', inline: 'nearest'});"
                     " var b = e.getBoundingClientRect(); return [b.left, b.top, b.width, b.height]; })()"
                     % (json.dumps(selector), "true" if scroll else "false"))


def reachable(page, selector, finger=True):
    """The element fits on the phone's screen once scrolled to, and (finger)
    is at least 40 px high: where a thumb can tap it. Returns its box."""
    b = box_of(page, selector)
    check(b, "nothing at %s on the phone" % selector)
    x, y, w, h = b
    check(x >= 0 and x + w <= PHONE[0] + 0.5 and y >= 0 and y + h <= PHONE[1] + 0.5,
          "%s is off the %dx%d screen at %r" % (selector, PHONE[0], PHONE[1], b))
    if finger:
        check(h >= 40, "%s is %.0f px high: too small for a finger" % (selector, h))
    return b


def tap(page, x, y):
    """A finger's tap at (x, y): touch events from Chromium's input layer."""
    page.call("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    page.call("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


def tap_on(page, selector):
    x, y, w, h = reachable(page, selector)
    tap(page, x + w / 2, y + h / 2)
    time.sleep(0.15)  # the click that follows a tap


def view_width(page):
    return float(page.eval("document.querySelector('#map-wrap svg').getAttribute('viewBox').split(' ')[2]"))


def too_wide(page):
    """The elements that reach past the phone's screen (for the message)."""
    return page.eval("Array.from(document.querySelectorAll('body *')).filter(function (e) {"
                     " var b = e.getBoundingClientRect(); return b.width > 0 && b.right > %d.5; })"
                     ".slice(0, 5).map(function (e) { return e.tagName + '#' + e.id + '.' + e.className"
                     " + ' ' + Math.round(e.getBoundingClientRect().right); })" % PHONE[0])


def row_text_js(code):
    return ("(function () { var r = Array.from(document.querySelectorAll('#tickets-body tr')).filter("
            "function (tr) { return tr.firstChild && tr.firstChild.textContent === %s; })[0];"
            " return r ? r.textContent.replace(/\\s+/g, ' ').trim() : null; })()" % json.dumps(code))


def test_guest_inside_then_left(env):
    """The guest list shows each guest at the doors, live: Not arrived, Inside
    after a door's check-in, "Left at HH:MM" (and by which door) after an exit
    scan, Inside again after a re-entry; "Inside now" lists only those inside,
    from the coordinator (/v1/tickets?inside=1)."""
    coord, page = start(env)
    admin = env.tokens["admin"]
    door = env.tokens["door-1"]
    exit_door = env.add_device("exit-1", "door")
    open_dashboard(coord, page, admin)
    row = row_text_js("GALA-0003")
    page.wait("/Not arrived/.test(%s)" % row, slow(10), "GALA-0003 not arrived", show=row)
    accepted(coord, door, op("checkin", ticket="GALA-0003"))
    accepted(coord, door, op("checkin", ticket="GALA-0005"))
    page.wait("/Inside/.test(%s)" % row, slow(10), "GALA-0003 inside after the check-in", show=row)
    accepted(coord, exit_door, op("checkout", ticket="GALA-0003"))
    got = page.wait("(function () { var t = %s; return /Left at \\d\\d:\\d\\d\\s*by exit-1/.test(t) ? t : null; })()"
                    % row, slow(10), "GALA-0003 left, with the time and the door", show=row)
    t = [x for x in it.get_list(coord.port, "/v1/tickets?q=GALA-0003", admin, "tickets")][0]
    eq((t["inside"], t["checkout_device"]), (False, "exit-1"), "the coordinator's GALA-0003")
    check(t["checked_out_at"], "checked_out_at in /v1/tickets")
    check("Inside" not in got, "a guest who left is not shown inside: %r" % got)

    # "Inside now": only GALA-0005; the others drop out of the list
    click(page, "#inside-only")
    page.wait("document.getElementById('tickets-summary').textContent === '1 guest inside now.'", slow(10),
              "the inside filter's count", show="document.getElementById('tickets-summary').textContent")
    codes = page.eval("Array.from(document.querySelectorAll('#tickets-body tr')).map(function (tr)"
                      " { return tr.firstChild.textContent; })")
    eq(codes, ["GALA-0005"], "the list filtered to guests inside")
    # a re-entry shows at once in the filtered list
    accepted(coord, door, op("checkin", ticket="GALA-0003"))
    page.wait("document.querySelectorAll('#tickets-body tr').length === 2", slow(10),
              "GALA-0003 back inside, in the filtered list")
    page.wait("/Inside/.test(%s)" % row, slow(10), "GALA-0003 inside again", show=row)
    # the filter off: every ticket again
    click(page, "#inside-only")
    page.wait("document.querySelectorAll('#tickets-body tr').length === %d" % len(GUESTS), slow(10),
              "every ticket with the filter off")
    r = it.http_call(coord.port, "GET", "/v1/tickets?inside=yes", admin)
    eq(r[0], 400, "inside=yes refused")
    no_page_problems(page)


def test_printer_status(env):
    """A door's sync says its seat-card printer is offline with cards
    waiting (the field usher-syncd sends, shared/protocol.c): the devices
    table shows "Printer offline · 3 cards waiting"; failing longer than
    serve --printer-alert, it is an alert beside the others; printing again,
    the alert goes and the line says ready."""
    coord, page = start(env, serve_args=("--printer-alert", "2"))
    door = env.tokens["door-1"]
    open_dashboard(coord, page, env.tokens["admin"])
    printer = {"state": "offline", "name": "door-printer", "waiting": 3, "printed": 12,
               "problem": "offline (offline-report)"}

    def report(p):
        status, _, body = it.http_call(coord.port, "POST", "/v1/sync", door,
                                       json.dumps({"cursor": 0, "ops": [], "printer": p}))
        eq(status, 200, "the door's sync (body %r)" % body[:300])

    report(printer)
    line = ("(function () { var e = document.querySelector('#devices-body .printer-line');"
            " return e ? e.textContent : null; })()")
    page.wait("%s === 'Printer offline · 3 cards waiting'" % line, slow(15), "the door's printer line", show=line)
    eq(page.eval("document.querySelector('#devices-body .printer-line').classList.contains('warn')"), True,
       "a failing printer's line stands out")
    time.sleep(2.2)  # the coordinator's own test times the alert (coord.device_printer_status)
    report(dict(printer, waiting=4))
    alert = ("(function () { var e = document.querySelector('#printer-alerts li');"
             " return e ? e.textContent : null; })()")
    got = page.wait("(function () { var t = %s; return t && t.indexOf('4 cards waiting') >= 0 ? t : null; })()"
                    % alert, slow(15), "the printer alert after --printer-alert 2", show=alert)
    for part in ("Printer failing", "door-1", "door-printer", "offline", "4 cards waiting"):
        check(part in got, "the printer alert %r lacks %r" % (got, part))
    eq(page.eval("document.getElementById('alerts-empty').hidden"), True, "'No alerts.' hidden with a printer alert")
    report({"state": "ok", "name": "door-printer", "printed": 16})
    page.wait("%s === 'Printer ready'" % line, slow(15), "the printer back", show=line)
    page.wait("document.getElementById('printer-alerts').hidden", slow(5), "the alert gone once it prints")
    eq(page.eval("document.getElementById('alerts-empty').hidden"), False, "'No alerts.' again")
    no_page_problems(page)


def test_phone(env):
    """The dashboard at 390x844 with a finger: nothing wider than the screen;
    + and pinch zoom to seats a finger can hit; a tapped seat shows its guest
    on the map, with the way to its actions; search, Edit, Revoke, Import,
    the exports, alerts and Sign out all reachable; screenshots to look at."""
    coord, page = start(env, *PHONE)
    admin, kiosk = env.tokens["admin"], env.tokens["kiosk-1"]
    accepted(coord, kiosk, op("assign", ticket="GALA-0002", seat="T05-02"))
    page.call("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    open_dashboard(coord, page, admin)
    eq(page.eval("document.documentElement.scrollWidth"), PHONE[0],
       "the page's width on the phone (no sideways scroll; too wide: %r)" % too_wide(page))
    page.eval("window.scrollTo(0, 0), true")
    page.screenshot(env.path("phone-fit.png"))

    # Find the seat, then + until a seat is finger-sized (44 px).
    page.eval("document.getElementById('goto-seat').value = 'T05-02'; true")
    tap_on(page, "#goto-form button")
    for _ in range(12):
        if seat_box(page, "T05-02")[2] >= 44:
            break
        tap_on(page, "#zoom-in")
    b = seat_box(page, "T05-02")
    check(b[2] >= 44 and b[3] >= 44, "seat T05-02 is %.0f x %.0f px after zooming in: too small for a finger" % (b[2], b[3]))
    map_box = box_of(page, "#map-wrap", scroll=False)
    check(map_box[1] <= b[1] and b[1] + b[3] <= map_box[1] + map_box[3], "T05-02 is outside the map after zooming")
    # pinch: two fingers moving apart zoom in (from two steps out)
    for _ in range(2):
        tap_on(page, "#zoom-out")
    w0 = view_width(page)
    cx, cy = map_box[0] + map_box[2] / 2, map_box[1] + map_box[3] / 2
    pts = lambda d: [{"x": cx - d, "y": cy, "id": 1}, {"x": cx + d, "y": cy, "id": 2}]
    page.call("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": pts(30)})
    for d in (45, 60, 75, 90):
        page.call("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": pts(d)})
    page.call("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    w1 = view_width(page)
    check(w1 < w0 * 0.7, "a pinch did not zoom in: the view was %.0f wide, then %.0f" % (w0, w1))
    page.eval("document.getElementById('goto-seat').value = 'T05-02'; true")
    tap_on(page, "#goto-form button")
    b = seat_box(page, "T05-02")
    check(b[2] >= 40, "seat T05-02 is %.0f px wide after the pinch" % b[2])

    # A tapped seat shows its guest, on the map.
    page.eval("window.scrollTo(0, 0), true")
    b = seat_box(page, "T05-02")
    tap(page, b[0] + b[2] / 2, b[1] + b[3] / 2)
    page.wait("document.getElementById('tooltip').classList.contains('pinned') &&"
              " !document.getElementById('tooltip').hidden", slow(5), "the tapped seat's card on the map")
    tip = text(page, "tooltip")
    for part in ("T05-02", "Zoë Ångström", "GALA-0002"):
        check(part in tip, "the tapped seat's card %r lacks %r" % (tip, part))
    reachable(page, "#tooltip", finger=False)
    t, b = box_of(page, "#tooltip", scroll=False), seat_box(page, "T05-02")
    check(t[1] + t[3] <= b[1] or b[1] + b[3] <= t[1], "the card %r covers the seat it describes %r" % (t, b))
    page.screenshot(env.path("phone-seat.png"))
    tap_on(page, "#tip-actions")
    for sel in ("#act-unseat", "#act-move"):
        reachable(page, sel)
    eq(text(page, "sd-name"), "Zoë Ångström", "the seat panel after Actions…")

    # Tickets: search, Edit, Revoke with a finger; Import, exports, alerts, sign out.
    page.eval("document.getElementById('search').value = 'GALA-000'; true")
    tap_on(page, "#search-form button")
    page.wait("document.querySelector('button[data-edit=\"GALA-0008\"]') !== null", slow(10), "the ticket list")
    for sel in ('button[data-edit="GALA-0008"]', 'button[data-code="GALA-0008"]', 'label[for="import-file"]',
                "#export-assignments", "#export-checkins", "#export-alerts", "#sign-out", "#search"):
        reachable(page, sel, finger=sel != "#sign-out")
    page.screenshot(env.path("phone-tickets.png"))
    page.eval("window.confirm = function () { return true; }; true")
    tap_on(page, 'button[data-code="GALA-0008"]')
    page.wait("document.getElementById('tickets-msg').textContent.indexOf('revoked') >= 0", slow(10), "the revoke by tap")
    eq(it.get_list(coord.port, "/v1/tickets?q=GALA-0008", admin, "tickets")[0]["revoked"], True,
       "GALA-0008 revoked by a tap")
    eq(page.eval("document.documentElement.scrollWidth"), PHONE[0],
       "the page's width after the ticket list (too wide: %r)" % too_wide(page))
    no_page_problems(page)


def choose_file(page, name, data):
    """As if the organiser picked a file in #import-file: data is its bytes
    (str is saved as UTF-8), so a Windows-1252 file is sent as it is."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    page.eval("(function () { var dt = new DataTransfer();"
              " dt.items.add(new File([new Uint8Array(%s)], %s, {type: 'text/csv'}));"
              " var i = document.getElementById('import-file'); i.files = dt.files;"
              " i.dispatchEvent(new Event('change')); return true; })()" % (json.dumps(list(raw)), json.dumps(name)))


def test_import_csv(env):
    """Import CSV while the event runs: the file's bytes go to the
    coordinator; a preview (format, encoding, mapping, counts) comes first and
    nothing is written until Import; a Windows-1252 file is converted exactly
    as by the CLI (no U+FFFD); a file with a bad row imports nothing and says
    which line."""
    coord, page = start(env)
    admin = env.tokens["admin"]
    open_dashboard(coord, page, admin)
    msg = "document.getElementById('tickets-msg').textContent"
    choose_file(page, "bad.csv", "ticket_number,full_name\nLATE-0001,Ann\n,No Code\n")
    page.wait(msg + ".indexOf('line 3') >= 0", slow(10), "the refusal naming line 3", show=msg)
    check("nothing imported" in text(page, "tickets-msg"), "the refusal says nothing was imported")
    eq(len(it.get_list(coord.port, "/v1/tickets?q=LATE", admin, "tickets")), 0, "nothing imported")
    late = "ticket_number;full_name;class\r\nLATE-0001;José Müller;Regular\r\nLATE-0002;Zoë Ångström;\r\n"
    choose_file(page, "late.csv", late.encode("cp1252"))
    summary = "document.getElementById('import-summary').textContent"
    page.wait("!document.getElementById('import-preview').hidden && " + summary + ".indexOf('2 new') >= 0",
              slow(10), "the preview", show=summary)
    s = text(page, "import-summary")
    check("Windows-1252 (converted to UTF-8); separator: semicolon" in s, "the preview's encoding: %r" % s)
    check("LATE-0001  José Müller / Regular" in s, "the preview's first rows: %r" % s)
    eq(len(it.get_list(coord.port, "/v1/tickets?q=LATE", admin, "tickets")), 0, "nothing imported by the preview")
    click(page, "#import-confirm")
    page.wait(msg + ".indexOf('2 new, 0 updated') >= 0", slow(10), "the import's confirmation", show=msg)
    wait_text(page, "stat-expected", str(len(GUESTS) + 2), "after the import")
    got = {t["code"]: t["name"] for t in it.get_list(coord.port, "/v1/tickets?q=LATE", admin, "tickets")}
    eq(got, {"LATE-0001": "José Müller", "LATE-0002": "Zoë Ångström"}, "the coordinator's new tickets")
    no_page_problems(page)


def test_import_with_seats(env):
    """Import CSV with a seat column: a seat of another class is refused by
    line with nothing imported; the preview lists the seats and counts them;
    Import seats the guest, and the map shows the seat taken at once."""
    coord, page = start(env)
    admin = env.tokens["admin"]
    open_dashboard(coord, page, admin)
    msg = "document.getElementById('tickets-msg').textContent"
    choose_file(page, "vip.csv", "ticket_number,full_name,seat\nLATE-0001,Ann Early,T01-01\n")
    page.wait(msg + ".indexOf('seat T01-01 is for VIP tickets') >= 0", slow(10), "the refusal of a VIP seat",
              show=msg)
    check("line 2" in text(page, "tickets-msg") and "nothing imported" in text(page, "tickets-msg"),
          "the refusal names the line and says nothing was imported: %r" % text(page, "tickets-msg"))
    eq(len(it.get_list(coord.port, "/v1/tickets?q=LATE", admin, "tickets")), 0, "nothing imported")
    choose_file(page, "seated.csv", "ticket_number,full_name,seat\nLATE-0001,Ann Early,T20-01\nLATE-0002,Bo Late,\n")
    summary = "document.getElementById('import-summary').textContent"
    page.wait("!document.getElementById('import-preview').hidden && " + summary + ".indexOf('1 seated') >= 0",
              slow(10), "the preview with its seats", show=summary)
    s = text(page, "import-summary")
    for part in ('seat \u2190 "seat"', "LATE-0001  Ann Early, seat T20-01", "seat LATE-0001 (Ann Early): T20-01",
                 "2 new, 0 updated, 0 revoked, 0 unchanged, 1 seated"):
        check(part in s, "the preview lacks %r: %r" % (part, s))
    eq(state(page, "T20-01"), "free", "the seat before Import")
    click(page, "#import-confirm")
    page.wait(msg + ".indexOf('2 new, 0 updated, 0 revoked, 0 unchanged, 1 seated') >= 0", slow(10),
              "the import's confirmation", show=msg)
    wait_state(page, "T20-01", "taken", "the imported seat")
    eq(seats(coord, env)["T20-01"].get("ticket"), "LATE-0001", "the coordinator's T20-01")
    no_page_problems(page)


def test_corrections(env):
    """Edit a guest's name and class and undo a revoke from the ticket list:
    the coordinator has them, and the alerts show the trail."""
    coord, page = start(env)
    admin = env.tokens["admin"]
    open_dashboard(coord, page, admin)
    page.eval("document.getElementById('search').value = 'GALA-0003';"
              " document.getElementById('search-form').requestSubmit(); true")
    page.wait("document.querySelector('button[data-edit=\"GALA-0003\"]') !== null", slow(10), "the Edit button")
    page.eval("var answers = ['Émile  Zola', 'VIP', 'wheelchair,\\n escort to table 4', 'yes'];"
              " window.prompt = function () { return answers.shift(); };"
              " window.confirm = function () { return true; }; true")
    click(page, 'button[data-edit="GALA-0003"]')
    msg = "document.getElementById('tickets-msg').textContent"
    page.wait(msg + ".indexOf('now reads Émile Zola') >= 0", slow(10), "the edit's message", show=msg)
    t = it.get_list(coord.port, "/v1/tickets?q=GALA-0003", admin, "tickets")[0]
    eq((t["name"], t["class"], t["note"], t["attention"]),
       ("Émile Zola", "VIP", "wheelchair, escort to table 4", True), "the coordinator's corrected ticket")
    # the guest's row shows the flag as a word and the note
    row = "document.querySelector('button[data-edit=\"GALA-0003\"]').closest('tr').textContent"
    page.wait(row + ".indexOf('Attention') >= 0 && " + row + ".indexOf('Note: wheelchair, escort to table 4') >= 0",
              slow(10), "the note and Attention on the guest's row", show=row)
    # a bad answer changes nothing
    page.eval("var answers = ['Émile Zola', 'VIP', 'x', 'perhaps']; window.prompt = function () { return answers.shift(); }; true")
    click(page, 'button[data-edit="GALA-0003"]')
    page.wait(msg + ".indexOf('Answer yes or no') >= 0", slow(10), "the refusal of a bad answer", show=msg)
    eq(it.get_list(coord.port, "/v1/tickets?q=GALA-0003", admin, "tickets")[0]["note"],
       "wheelchair, escort to table 4", "the note after a refused edit")
    click(page, 'button[data-code="GALA-0003"]')  # Revoke
    page.wait(msg + ".indexOf('revoked') >= 0", slow(10), "the revoke", show=msg)
    page.wait("document.querySelector('button[data-code=\"GALA-0003\"]') &&"
              " document.querySelector('button[data-code=\"GALA-0003\"]').textContent === 'Undo revoke'",
              slow(10), "the Undo revoke button")
    click(page, 'button[data-code="GALA-0003"]')
    page.wait(msg + ".indexOf('admits again') >= 0", slow(10), "the un-revoke", show=msg)
    eq(it.get_list(coord.port, "/v1/tickets?q=GALA-0003", admin, "tickets")[0]["revoked"], False, "un-revoked")
    kinds = [a["kind"] for a in it.get_list(coord.port, "/v1/alerts", admin, "alerts")]
    check("ticket_edited" in kinds and "ticket_unrevoked" in kinds, "the trail's alerts: %r" % kinds)
    no_page_problems(page)


def test_new_layout_while_open(env):
    """PUT /v1/layout while the dashboard is open: the new table appears on
    the map without a reload, the seated guest keeps their seat, and the
    layout_changed alert reads as a sentence (seats and sections added, who,
    before and after)."""
    coord, page = start(env)
    admin, kiosk = env.tokens["admin"], env.tokens["kiosk-1"]
    accepted(coord, kiosk, op("assign", ticket="GALA-0003", seat="T05-02"))
    open_dashboard(coord, page, admin)
    wait_state(page, "T05-02", "taken", "before the change")
    page.eval("window.sameDocument = true; true")  # gone if the page were loaded again
    status, _, raw = it.http_call(coord.port, "GET", "/v1/layout", admin)
    eq(status, 200, "GET /v1/layout")
    cur = json.loads(raw.decode("utf-8"))
    right = max(sec["x"] + sec.get("radius", 0) for sec in cur["sections"])
    top = min(sec["y"] for sec in cur["sections"])
    cur["sections"].append({"kind": "table", "id": "T26", "label": "Table 26", "x": right + 250, "y": top,
                            "seats": 10})
    status, _, raw = it.http_call(coord.port, "PUT", "/v1/layout", admin, json.dumps(cur))
    eq(status, 200, "PUT /v1/layout (%r)" % raw[:300])
    page.wait("document.querySelectorAll('#map-wrap svg .seat').length === 260"
              " && document.getElementById('seat-T26-10') !== null", slow(10),
              "the new table's 10 seats on the map", show="document.querySelectorAll('#map-wrap svg .seat').length")
    eq(page.eval("window.sameDocument === true"), True, "the page was not reloaded")
    wait_state(page, "T05-02", "taken", "after the change the guest keeps the seat")
    wait_state(page, "T26-01", "free", "a new seat")
    eq(page.eval("document.querySelectorAll('#map-wrap svg .section[data-section=\"T26\"]').length"), 1,
       "one T26 section drawn")
    alert = ("(function () { var e = document.querySelector('#alerts-list li[data-kind=\"layout_changed\"]');"
             " return e ? e.textContent : ''; })()")
    page.wait(alert + ".indexOf('+10 seats, +1 section, by admin at') >= 0", slow(10),
              "the layout_changed alert", show=alert)
    got = page.eval(alert)
    check(got.startswith("Venue layout changed"), "the alert's heading: %r" % got)
    check("Before: 250 seats in 25 sections (version 1); now: 260 seats in 26 sections (version 2)." in got,
          "the alert says before and after: %r" % got)
    check("layout_changed" not in got and "undefined" not in got, "no code words in the alert: %r" % got)
    # A seat of the new table works like any other: selected, it shows its table.
    mouse_click(page, "#seat-T26-03")  # on screen: the map was fitted to the new venue
    page.wait("document.getElementById('sd-section').textContent === 'Table 26'", slow(10),
              "the new seat's panel", show="document.getElementById('sd-section').textContent")
    eq(text(page, "sd-seat").split(" ")[0], "T26-03", "the selected new seat")
    page.screenshot(env.path("new-layout.png"))
    no_page_problems(page)


def test_seat_actions(env):
    """An organiser selects seats on the map and blocks, unblocks, moves and
    unseats; every action reaches the coordinator and shows on the map."""
    coord, page = start(env)
    admin, kiosk = env.tokens["admin"], env.tokens["kiosk-1"]
    accepted(coord, kiosk, op("assign", ticket="GALA-0008", seat="T11-04"))
    open_dashboard(coord, page, admin)
    page.eval("window.confirm = function () { return true; }; true")  # the unseat question

    mouse_click(page, "#seat-T12-05")
    page.wait("!document.getElementById('seat-detail').hidden && !document.getElementById('act-block').hidden",
              slow(10), "the selected free seat with its Block button")
    eq(text(page, "sd-seat").split(" ")[0], "T12-05", "the selected seat")
    click(page, "#act-block")
    wait_state(page, "T12-05", "blocked", "Block seat")
    eq(seats(coord, env)["T12-05"]["state"], "blocked", "the coordinator's T12-05 after Block")
    page.wait("!document.getElementById('act-unblock').hidden", slow(10), "the Unblock button")
    click(page, "#act-unblock")
    wait_state(page, "T12-05", "free", "Unblock seat")

    mouse_click(page, "#seat-T11-04")
    page.wait("document.getElementById('sd-ticket').textContent === 'GALA-0008'", slow(10), "the guest of T11-04")
    eq(text(page, "sd-name"), "Ørjan Bråten", "the selected seat's guest")
    click(page, "#act-move")
    page.eval("document.getElementById('move-target').value = 't13-01'; true")
    page.eval("document.getElementById('move-form').requestSubmit(), true")
    wait_state(page, "T13-01", "taken", "Move guest to t13-01")
    wait_state(page, "T11-04", "free", "the seat the guest left")
    s = seats(coord, env)
    eq((s["T13-01"]["state"], s["T13-01"].get("ticket")), ("taken", "GALA-0008"), "the coordinator's T13-01")
    check("Moved GALA-0008" in text(page, "seat-msg"), "the move's message: %r" % text(page, "seat-msg"))

    page.wait("!document.getElementById('act-unseat').hidden", slow(10), "the Unseat button of T13-01")
    click(page, "#act-unseat")
    wait_state(page, "T13-01", "free", "Unseat guest")
    eq(seats(coord, env)["T13-01"]["state"], "free", "the coordinator's T13-01 after Unseat")
    wait_text(page, "stat-seated", "0", "after the unseat")

    # A refused action says why in words: a VIP seat for a Regular ticket.
    accepted(coord, kiosk, op("assign", ticket="GALA-0003", seat="T14-01"))
    click(page, "#zoom-fit")  # the move zoomed in on T13-01
    mouse_click(page, "#seat-T14-01")
    page.wait("!document.getElementById('act-move').hidden", slow(10), "the Move button of T14-01")
    click(page, "#act-move")
    page.eval("document.getElementById('move-target').value = 'T01-05'; true")
    page.eval("document.getElementById('move-form').requestSubmit(), true")
    page.wait("/Refused/.test(document.getElementById('seat-msg').textContent)", slow(10), "the refused move")
    check("class may not sit there" in text(page, "seat-msg"), "the refusal: %r" % text(page, "seat-msg"))
    eq(state(page, "T14-01"), "taken", "the guest stays after a refused move")
    no_page_problems(page)


def test_offline_and_back(env):
    """The coordinator stops: the page says so and keeps the map; it comes
    back: the page is live again and shows what changed meanwhile."""
    coord, page = start(env)
    admin, kiosk = env.tokens["admin"], env.tokens["kiosk-1"]
    open_dashboard(coord, page, admin)
    coord.stop()
    page.wait("['reconnecting', 'offline'].indexOf(document.getElementById('conn').dataset.conn) >= 0",
              slow(10), "the connection indicator with the coordinator stopped")
    eq(page.eval("document.querySelectorAll('#map-wrap .seat').length"), 250, "the map kept while offline")
    coord.start()
    accepted(coord, kiosk, op("assign", ticket="GALA-0005", seat="T20-07"))
    page.wait("document.getElementById('conn').dataset.conn === 'live'", slow(20), "Live again")
    wait_state(page, "T20-07", "taken", "a seat taken while the page was reconnecting")
    wait_text(page, "stat-seated", "1", "after the reconnection")
    no_page_problems(page)


class Env(it.Env):
    """usher_it's Env, which also closes the test's Chromium pages."""

    def __init__(self):
        super().__init__()
        self.pages = []
        self.skipped = False

    def cleanup(self, failed=False):
        failed = failed and not self.skipped
        for p in self.pages:
            try:
                p.close()
            except Exception as e:  # a browser that will not close must not hide the result
                print("  (closing Chromium: %s)" % e, flush=True)
        super().cleanup(failed)


def run_browser_tests(description, namespace, binaries):
    """usher_it.run for tests that drive Chromium: a browser that fails is the
    test's failure (not a traceback), and every page is closed at the end."""
    def guarded(fn):
        def run(env):
            try:
                fn(env)
            except browser.BrowserError as e:
                raise Fail(str(e))
        run.__name__ = fn.__name__
        return run

    tests = {name: guarded(fn) for name, fn in namespace.items() if name.startswith("test_") and callable(fn)}
    return it.run(description, tests, binaries=binaries, env_factory=Env)


def test_entrances(env):
    """The Entrances panel: an entrance added on the dashboard's form (a bad
    one refused with the coordinator's sentence, nothing added), the door put
    at it in the devices table, and its admitted / inside counts moving live
    once the door admits a ticket."""
    coord, page = start(env)
    admin, door = env.tokens["admin"], env.tokens["door-1"]
    open_dashboard(coord, page, admin)
    eq(page.eval("document.getElementById('entrances-empty').hidden"), False, "no entrances yet")

    def add(name, classes="", sections=""):
        page.eval("(function () { document.getElementById('entrance-name').value = %s;"
                  " document.getElementById('entrance-classes').value = %s;"
                  " document.getElementById('entrance-sections').value = %s; return true; })()"
                  % (json.dumps(name), json.dumps(classes), json.dumps(sections)))
        page.eval("document.getElementById('entrance-form').requestSubmit(); true")

    def cell(name, what):
        return ("(function () { var r = document.querySelector('#entrances-body tr[data-entrance=%s]');"
                " return r ? r.querySelector('.ent-%s').textContent : null; })()"
                % (json.dumps(json.dumps(name))[1:-1].replace("'", "\\'"), what))

    add("Main", "regular")
    page.wait("%s === '6'" % cell("Main", "expected"), slow(10), "Main expects the 6 Regular tickets",
              show=cell("Main", "expected"))
    wait_text(page, "entrance-msg", "Entrance Main added.", "the form says so")
    add("MAIN")
    page.wait("/exists already/.test(document.getElementById('entrance-msg').textContent)", slow(10),
              "a name taken in another case refused", show="document.getElementById('entrance-msg').textContent")
    add("Gold", "Gold")
    page.wait("/unknown class \"Gold\"/.test(document.getElementById('entrance-msg').textContent)", slow(10),
              "an unknown class refused", show="document.getElementById('entrance-msg').textContent")
    eq(page.eval("document.querySelectorAll('#entrances-body tr').length"), 1, "nothing added by the refusals")

    sel = "#devices-body select[data-device=door-1]"
    page.wait("(function () { var s = document.querySelector(%s); return !!s &&"
              " Array.from(s.options).some(function (o) { return o.value === 'Main'; }); })()" % json.dumps(sel),
              slow(10), "door-1's entrance choice offers Main")
    page.eval("(function () { var s = document.querySelector(%s); s.value = 'Main';"
              " s.dispatchEvent(new Event('change', {bubbles: true})); return true; })()" % json.dumps(sel))
    it.wait_until(lambda: [d.get("entrance") for d in it.get_list(coord.port, "/v1/devices", admin, "devices")
                           if d["id"] == "door-1"] == ["Main"], slow(10), "door-1 at Main on the coordinator")
    page.wait("/doors door-1/.test(document.querySelector('#entrances-body tr').textContent)", slow(10),
              "the panel lists door-1 at Main")
    eq(page.eval(cell("Main", "admitted")), "0", "nobody admitted yet")

    accepted(coord, door, op("checkin", ticket="GALA-0003", entrance="Main"))
    page.wait("%s === '1' && %s === '1'" % (cell("Main", "admitted"), cell("Main", "inside")), slow(10),
              "Main's admitted and inside counts after the door admits a ticket", show=cell("Main", "admitted"))
    accepted(coord, door, op("checkout", ticket="GALA-0003"))
    page.wait("%s === '0' && %s === '1'" % (cell("Main", "inside"), cell("Main", "admitted")), slow(10),
              "inside back to 0 once the guest left, admitted stays", show=cell("Main", "inside"))
    no_page_problems(page)


def main():
    return run_browser_tests("the organisers' dashboard in headless Chromium", globals(), ("coord",))


if __name__ == "__main__":
    sys.exit(main())

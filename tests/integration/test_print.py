#!/usr/bin/env python3
"""test_print.py - seat cards on a printer: the real usher-kiosk (headless,
--printer) on journals that real usher-syncd processes keep in step with a
real usher-coord, printing through a real, throwaway CUPS scheduler
(cupsd.py) to the cups-pdf virtual printer. The printed PDF is turned into
an image (pdftoppm) and its QR code read (zbarimg).

    python3 test_print.py --coord PATH --syncd PATH --journal-op PATH --kiosk PATH [NAME ...]

Skipped (77) when CUPS cannot run here (not root, cupsd or cups-pdf
missing: scripts/deps test) or pdftoppm / zbarimg are missing.
"""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import cupsd
import test_kiosk as tk
import usher_it as it
from usher_it import Skip, check, eq, slow

PRINTER = "usher-test"
PIN = "1357"
# A name in three scripts: the card is drawn with Pango like the screen.
NAME = "Zoë Ångström 李小龙"


class PrintKiosk(tk.Kiosk):
    """A headless kiosk that reaches the test's CUPS (CUPS_SERVER)."""

    def __init__(self, env, db, name, script, cups, extra=(), printer=PRINTER):
        super().__init__(env, db, name, script, ("--printer", printer) + tuple(extra))
        self.environ = dict(os.environ)
        self.environ.update(cups.env)

    def start(self):
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=err,
                                         stdin=subprocess.DEVNULL, env=self.environ,
                                         preexec_fn=it.die_with_parent)
        return self


def cups_for(env):
    """A started throwaway CUPS with the cups-pdf queue PRINTER, stopped in
    the env's cleanup (also when the test fails)."""
    tk.tools("pdftoppm", "zbarimg")
    try:
        c = cupsd.Cups()
    except cupsd.Unavailable as e:
        raise Skip("CUPS cannot run here: %s" % e)
    try:
        c.start()
    except cupsd.Unavailable as e:
        c.remove()
        raise Skip("CUPS cannot run here: %s" % e)

    class Stop:  # env.cleanup stops every entry of env.procs
        def stop(self):
            c.remove()

        def kill9(self):
            c.remove()

    env.procs.append(Stop())
    c.add_pdf_printer(PRINTER)
    return c


def start(env, devices, serve_args=()):
    tickets = list(tk.TICKETS)
    tickets[0] = ("GALA-0001", NAME, "Regular")
    env.setup(layout=tk.LAYOUT, tickets=tickets, devices=(("admin", "admin"),) + tuple(devices))
    env.tool([it.COORD, "event", "set", "--db", env.db, "--codes", "strong"])
    coord = env.coord(extra=tuple(serve_args))
    sd = {}
    for name, _ in devices:
        sd[name] = env.syncd(name, coord.url)
        sd[name].wait_online()
    return coord, sd


def card_of(env, pdf):
    """The QR code's text of a printed card. (Its words are drawn, not
    searchable: cups-pdf prints through PostScript and Ghostscript, so
    pdftotext finds nothing; test_kiosk_card reads the kiosk's own PDF.)"""
    png = env.path(os.path.basename(pdf) + "-page")
    env.tool(["pdftoppm", "-r", "300", "-png", "-singlefile", pdf, png])
    return tk.zbar(env, png + ".png")


# The staff gesture and the PIN: the maintenance screen.
MAINT = """
down 10 10
wait 3100
up 10 10
tap button pin_1
tap button pin_3
tap button pin_5
tap button pin_7
tap button pin_ok
expect screen maintenance
"""


def test_card_printed(env):
    """A guest confirms a seat: one card comes out of the printer, with the
    guest's name (any script), the table and seat, the event, and a QR code
    of the seat that zbarimg reads; the maintenance screen counts it; a
    reprint on the confirmation screen prints a second one."""
    cups = cups_for(env)
    coord, sd = start(env, (("kiosk-1", "kiosk"),))
    PrintKiosk(env, sd["kiosk-1"].db, "guest", """
type GALA-0001
key Return
tap button seats
tap seat T07-03
tap button confirm
tap button yes
expect screen confirmation
expect button reprint
shot done
tap button done
expect screen attract
%s
await text "Printer usher-test: ready, cards waiting: 0, printed: 1"
shot maintenance
""" % MAINT, cups, extra=("--pin", PIN)).run()
    pdfs = cups.wait_pdfs(1, slow(20))
    eq(len(pdfs), 1, "cards printed (%r)" % pdfs)
    eq(card_of(env, pdfs[0]), "Sync Test\nGALA-0001 T07-03 (Table 7, seat 3)", "the card's QR code")
    # The guest's seat reached the coordinator too (the card is of a saved seat).
    it.wait_converged(coord, [sd["kiosk-1"]], env.tokens["admin"], slow(10))
    eq(tk.coord_seat_of(coord, env, "GALA-0001"), "T07-03", "coordinator: the guest's seat")
    # The next guest, and a reprint: the same card again.
    PrintKiosk(env, sd["kiosk-1"].db, "again", """
type GALA-0002
key Return
tap button seats
tap seat T07-04
tap button confirm
tap button yes
expect screen confirmation
tap button reprint
%s
await text "cards waiting: 0, printed: 2"
""" % MAINT.replace("down 10 10", "tap button done\ndown 10 10"), cups, extra=("--pin", PIN)).run()
    pdfs = cups.wait_pdfs(3, slow(20))
    eq(len(pdfs), 3, "cards after the second guest and the reprint (%r)" % pdfs)
    eq(card_of(env, pdfs[1]), card_of(env, pdfs[2]), "the reprint is the same card")
    eq(card_of(env, pdfs[2]), "Sync Test\nGALA-0002 T07-04 (Table 7, seat 4)", "the second guest's card")


def test_printer_offline_then_back(env):
    """A door admits a guest while the printer is disabled (cupsdisable): the
    maintenance screen says the printer is stopped and a card waits; the
    printer enabled again (cupsenable), the card is sent and printed, with
    the seat and the door in it."""
    cups = cups_for(env)
    coord, sd = start(env, (("door-1", "door"),))
    tk.admin_post(coord, env, "/v1/tickets/GALA-0005/move", json.dumps({"seat": "T03-04"}))
    it.wait_converged(coord, [sd["door-1"]], env.tokens["admin"], slow(10))
    cups.run(["cupsdisable", PRINTER])
    k = PrintKiosk(env, sd["door-1"].db, "door", """
expect screen door
type GALA-0005
key Return
expect verdict admitted
wait 3500
%s
await text "Printer usher-test: stopped, cards waiting: 1, printed: 0"
expect text "Printer problem: stopped (paused)"
shot offline
sleep 2000
await text "Printer usher-test: stopped, cards waiting: 1, printed: 0"
shot still-offline
await text "Printer usher-test: ready, cards waiting: 0, printed: 1"
shot back
""" % MAINT, cups, extra=("--pin", PIN)).start()
    k.wait_shot("still-offline")
    eq(cups.pdfs(), [], "nothing printed while the printer is stopped")
    cups.run(["cupsenable", PRINTER])
    k.wait(0)
    pdfs = cups.wait_pdfs(1, slow(20))
    eq(len(pdfs), 1, "the card printed once the printer is back (%r)" % pdfs)
    eq(card_of(env, pdfs[0]), "Sync Test\nGALA-0005 T03-04 (Table 3, seat 4)", "the door's card QR code")
    maint = " ".join(t["text"] for t in k.info("offline")["texts"])
    check("stopped" in maint, "the offline shot shows the stopped printer: %r" % maint[:400])


def door_printer(coord, env, device="door-1"):
    """The device's printer as the coordinator's /v1/devices shows it."""
    devs = it.get_list(coord.port, "/v1/devices", env.tokens["admin"], "devices")
    return {d["id"]: d for d in devs}[device].get("printer")


def wait_door_printer(coord, env, want, what):
    """Polls /v1/devices until the door's printer has the fields of want."""
    deadline = time.monotonic() + slow(15)
    got = None
    while time.monotonic() < deadline:
        got = door_printer(coord, env)
        if got and all(got.get(k) == v for k, v in want.items()):
            return got
        time.sleep(0.1)
    raise it.Fail("%s: the coordinator's printer of door-1 is %r, not %r" % (what, got, want))


def queued_cards(db):
    with sqlite3.connect(db) as c:
        return [json.loads(r[0]) for r in c.execute("SELECT card FROM print_queue ORDER BY seq")]


def test_printer_status_reaches_the_coordinator(env):
    """The door's printer stopped (cupsdisable) with a card waiting: the
    kiosk writes that to its journal, usher-syncd sends it, and the
    coordinator's /v1/devices shows the printer failing with 1 card waiting,
    since when, and the alert after serve --printer-alert; enabled again,
    the card prints and the coordinator shows the printer ready with nothing
    waiting."""
    cups = cups_for(env)
    coord, sd = start(env, (("door-1", "door"),), serve_args=("--printer-alert", "1"))
    tk.admin_post(coord, env, "/v1/tickets/GALA-0005/move", json.dumps({"seat": "T03-04"}))
    it.wait_converged(coord, [sd["door-1"]], env.tokens["admin"], slow(10))
    eq(door_printer(coord, env), None, "no printer before the kiosk runs")
    cups.run(["cupsdisable", PRINTER])
    k = PrintKiosk(env, sd["door-1"].db, "door", """
expect screen door
type GALA-0005
key Return
expect verdict admitted
wait 3500
%s
await text "Printer usher-test: stopped, cards waiting: 1, printed: 0"
shot stopped
await text "Printer usher-test: ready, cards waiting: 0, printed: 1"
shot back
""" % MAINT, cups, extra=("--pin", PIN)).start()
    got = wait_door_printer(coord, env, {"state": "stopped", "waiting": 1, "failing": True},
                            "the stopped printer")
    eq((got["name"], got["printed"]), (PRINTER, 0), "its name and count")
    check(got["failing_since"] and "stopped" in got["problem"], "since when, and why: %r" % got)
    eq([c["code"] for c in queued_cards(sd["door-1"].db)], ["GALA-0005"], "the card kept in the journal")
    time.sleep(1.2)
    got = wait_door_printer(coord, env, {"state": "stopped", "alert": True}, "the alert after 1 s")
    eq(cups.pdfs(), [], "nothing printed while the printer is stopped")
    cups.run(["cupsenable", PRINTER])
    k.wait(0)
    pdfs = cups.wait_pdfs(1, slow(20))
    eq(len(pdfs), 1, "the card printed once the printer is back (%r)" % pdfs)
    got = wait_door_printer(coord, env, {"state": "ok", "waiting": 0, "printed": 1, "failing": False},
                            "the printer back")
    eq((got["failing_since"], got["alert"], got["problem"]), (None, False, ""), "no failure, no alert")
    eq(queued_cards(sd["door-1"].db), [], "no card left in the journal")


def test_cards_waiting_survive_a_restart(env):
    """The kiosk stops while its printer is stopped and a card waits: the
    card stays in the journal; the kiosk started again (the printer enabled)
    prints it, without anyone scanning again, and the journal's queue
    empties."""
    cups = cups_for(env)
    coord, sd = start(env, (("door-1", "door"),))
    tk.admin_post(coord, env, "/v1/tickets/GALA-0005/move", json.dumps({"seat": "T03-04"}))
    it.wait_converged(coord, [sd["door-1"]], env.tokens["admin"], slow(10))
    cups.run(["cupsdisable", PRINTER])
    k = PrintKiosk(env, sd["door-1"].db, "before", """
expect screen door
type GALA-0005
key Return
expect verdict admitted
wait 3500
%s
await text "Printer usher-test: stopped, cards waiting: 1, printed: 0"
""" % MAINT, cups, extra=("--pin", PIN)).run()
    check("1 seat cards were not printed" in k.stderr(), "said on stderr: %r" % k.stderr())
    check("1 seat card kept in the journal, printed at the next start" in k.stderr(),
          "said on stderr: %r" % k.stderr())
    eq([c["code"] for c in queued_cards(sd["door-1"].db)], ["GALA-0005"], "the card waits in the journal")
    eq(cups.pdfs(), [], "nothing printed yet")
    cups.run(["cupsenable", PRINTER])
    k = PrintKiosk(env, sd["door-1"].db, "after", """
expect screen door
%s
await text "Printer usher-test: ready, cards waiting: 0, printed: 1"
""" % MAINT, cups, extra=("--pin", PIN)).run()
    check("1 seat card from before the restart to print" in k.stderr(), "said on stderr: %r" % k.stderr())
    pdfs = cups.wait_pdfs(1, slow(20))
    eq(len(pdfs), 1, "the card printed after the restart (%r)" % pdfs)
    eq(card_of(env, pdfs[0]), "Sync Test\nGALA-0005 T03-04 (Table 3, seat 4)", "the kept card's QR code")
    eq(queued_cards(sd["door-1"].db), [], "the journal's queue empty")
    eq(len(tk.outbox(sd["door-1"].db, "checkin")), 1, "one check-in: the card came from the journal, not a scan")


def test_door_reprint(env):
    """A guest whose card did not come out or got lost: scanned again at the
    door, ALREADY CHECKED IN offers "Print my card again"; one tap prints the
    same card once more (the button then goes). A door without a printer
    offers nothing."""
    cups = cups_for(env)
    coord, sd = start(env, (("door-1", "door"),))
    tk.admin_post(coord, env, "/v1/tickets/GALA-0005/move", json.dumps({"seat": "T03-04"}))
    it.wait_converged(coord, [sd["door-1"]], env.tokens["admin"], slow(10))
    PrintKiosk(env, sd["door-1"].db, "door", """
expect screen door
type GALA-0005
key Return
expect verdict admitted
await text "Print my card again"
wait 3500
type GALA-0005
key Return
expect verdict already
expect text "Print my card again"
shot already
tap button reprint_card
expect notext "Print my card again"
wait 3500
%s
await text "Printer usher-test: ready, cards waiting: 0, printed: 2"
""" % MAINT, cups, extra=("--pin", PIN)).run()
    pdfs = cups.wait_pdfs(2, slow(20))
    eq(len(pdfs), 2, "the card and its reprint (%r)" % pdfs)
    want = "Sync Test\nGALA-0005 T03-04 (Table 3, seat 4)"
    eq((card_of(env, pdfs[0]), card_of(env, pdfs[1])), (want, want), "the same card twice")
    eq(len(tk.outbox(sd["door-1"].db, "checkin")), 2, "the second scan is a check-in (a duplicate); the reprint none")
    tk.kiosk_run(env, sd["door-1"].db, "noprinter", """
expect screen door
type GALA-0005
key Return
expect verdict already
expect notext "Print my card again"
""")


def test_no_such_printer(env):
    """A queue CUPS does not know, and then no CUPS at all (its socket gone):
    the guest is seated all the same, without waiting, and the maintenance
    screen names the printer as not found with the fix (lpadmin). A name
    that cannot be a queue is refused at the start."""
    cups = cups_for(env)
    coord, sd = start(env, (("kiosk-1", "kiosk"),))
    script = """
type GALA-0003
key Return
tap button seats
tap seat T05-0%d
tap button confirm
tap button yes
expect screen confirmation
tap button done
%s
await text "Printer %s: %s, cards waiting: %d, printed: 0"
expect text "%s"
"""
    k = PrintKiosk(env, sd["kiosk-1"].db, "unknown", script % (
        1, MAINT, "nosuch", "not found", 1, "lpadmin -p nosuch"), cups, extra=("--pin", PIN),
        printer="nosuch").run()
    check("printer nosuch: not found in CUPS" in k.stderr(), "said on stderr: %r" % k.stderr())
    cups.stop()  # no scheduler at all now
    # The first guest's card waited in the journal: two now.
    k = PrintKiosk(env, sd["kiosk-1"].db, "nocups", script.replace("GALA-0003", "GALA-0004") % (
        2, MAINT, PRINTER, "CUPS not answering", 2, "CUPS does not answer at " + cups.sock), cups,
        extra=("--pin", PIN)).run()
    seats = [r["seat"] for r in tk.outbox(sd["kiosk-1"].db, "assign")]
    eq(seats, ["T05-01", "T05-02"], "both guests seated without a printer")
    check("CUPS does not answer" in k.stderr(), "said on stderr: %r" % k.stderr())
    for bad, words in (("two words", b"--printer takes a CUPS queue name"),
                       ("a/b", b"--printer takes a CUPS queue name"),
                       ("", b"--printer needs a non-empty value")):
        p = subprocess.run([it.KIOSK, "--db", env.path("x"), "--printer", bad],
                           capture_output=True, timeout=slow(10))
        eq(p.returncode, 2, "--printer %r exit status" % bad)
        check(words in p.stderr and p.stderr.count(b"\n") == 1, "--printer %r: %r" % (bad, p.stderr))


def test_silent_cups(env):
    """A CUPS that takes connections and never answers (a hung scheduler):
    the guest is seated without waiting, the maintenance screen says the
    printer was not checked yet, and the kiosk still quits at once (the
    printer's thread gives up its wait), saying the card was not printed."""
    tk.tools("zbarimg")
    coord, sd = start(env, (("kiosk-1", "kiosk"),))
    sock_path = env.path("silent-cups.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sock_path)
    server.listen(16)
    held = []

    def accept():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)  # read nothing, answer nothing

    threading.Thread(target=accept, daemon=True).start()
    try:
        class Silent:
            env = {"CUPS_SERVER": sock_path}
        t0 = time.monotonic()
        k = PrintKiosk(env, sd["kiosk-1"].db, "silent", """
type GALA-0006
key Return
tap button seats
tap seat T06-01
tap button confirm
tap button yes
expect screen confirmation
tap button done
%s
expect text "Printer usher-test: not checked yet, cards waiting: 1, printed: 0"
""" % MAINT, Silent, extra=("--pin", PIN)).run()
        took = time.monotonic() - t0
        check(took < slow(8), "the kiosk took %.1f s to run and quit with a silent CUPS" % took)
        check("1 seat cards were not printed" in k.stderr(), "said on stderr: %r" % k.stderr())
        eq([r["seat"] for r in tk.outbox(sd["kiosk-1"].db, "assign")], ["T06-01"], "the guest seated")
        check(held, "the kiosk did connect to the silent CUPS")
    finally:
        server.close()
        for c in held:
            c.close()


if __name__ == "__main__":
    sys.exit(it.run("usher-kiosk seat cards through CUPS", globals(),
                    binaries=("coord", "syncd", "journal-op", "kiosk")))

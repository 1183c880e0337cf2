#!/usr/bin/env python3
"""test_fulldisk.py - a device's journal on a full disk, on the real programs:
usher-syncd, journal-op (the kiosk's append) and the headless usher-kiosk on a
real small ext4 file system with 1 KiB blocks (what mke2fs picks for a small
partition), made in a file and loop-mounted for the test, then filled; the
coordinator on 127.0.0.1 as everywhere (tests/integration/README.md).

Needs root; without loop devices (mount -o loop) a tmpfs of the same size
stands in for the disk (said in the output); skipped (77) with the reason
when neither can be mounted.

    python3 test_fulldisk.py --coord PATH --syncd PATH --journal-op PATH --kiosk PATH [NAME ...]

Prints "ok NAME", "skip NAME: why" or "FAIL NAME: why" for each test; exits 0
when all passed, 77 when nothing failed but something was skipped, else 1.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
import time

import test_kiosk
import usher_it as it
from usher_it import Fail, Skip, Syncd, check, eq, get_json, http_call, slow, wait_until

KIB = 1024


class SmallDisk:
    """An ext4 file system of `kib` KiB with 1 KiB blocks, loop-mounted at
    env.path(name); fill() takes all its space but `leave` KiB."""

    def __init__(self, env, name="disk", kib=4096):
        if os.geteuid() != 0:
            raise Skip("needs root to loop-mount a small ext4 (run as root)")
        for tool in ("mke2fs", "mount", "umount"):
            if not shutil.which(tool):
                raise Skip("%s is not installed (e2fsprogs, mount)" % tool)
        self.img = env.path(name + ".img")
        self.dir = env.path(name)
        os.mkdir(self.dir)
        with open(self.img, "wb") as f:
            f.truncate(kib * KIB)
        p = subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-m", "0", self.img],
                           capture_output=True, timeout=slow(30))
        eq(p.returncode, 0, "mke2fs (%s)" % p.stderr.decode().strip())
        p = subprocess.run(["mount", "-o", "loop", self.img, self.dir], capture_output=True,
                           timeout=slow(30))
        self.kind = "ext4 (1 KiB blocks)"
        if p.returncode != 0:
            # No loop devices (a container): a tmpfs of that size is a full
            # disk too, though with 4 KiB pages it has no holes to SIGBUS in.
            why = p.stderr.decode().strip()
            p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%dk" % kib, "usher-test",
                                self.dir], capture_output=True, timeout=slow(30))
            if p.returncode != 0:
                raise Skip("cannot loop-mount a file system (%s) nor mount a tmpfs (%s)"
                           % (why, p.stderr.decode().strip()))
            self.kind = "tmpfs"
            print("  (no loop device here (%s): a %d KiB tmpfs instead)" % (why, kib), flush=True)
        self.filler = os.path.join(self.dir, "filler")

    def path(self, name):
        return os.path.join(self.dir, name)

    def free_kib(self):
        st = os.statvfs(self.dir)
        return st.f_bavail * st.f_frsize // KIB

    def fill(self, leave=0):
        """Writes the filler until the disk is full, then gives `leave` KiB back."""
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            chunk = b"\0" * (64 * KIB)
            while chunk:
                try:
                    os.write(fd, chunk)
                except OSError:
                    chunk = chunk[:len(chunk) // 2] if len(chunk) > KIB else b""
            os.fsync(fd)
        finally:
            os.close(fd)
        if leave:
            os.truncate(self.filler, max(0, os.path.getsize(self.filler) - leave * KIB))
        os.sync()

    def empty(self):
        """Gives all the filler's space back."""
        if os.path.exists(self.filler):
            os.unlink(self.filler)
        os.sync()

    def unmount(self):
        if subprocess.run(["umount", self.dir], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", self.dir], capture_output=True)


def device_on(env, disk, name, url):
    """usher-syncd for device `name` with its journal on the small disk."""
    s = Syncd(env, name, url)
    s.db = disk.path(name + ".journal")
    s.argv[s.argv.index("--db") + 1] = s.db
    return s


def no_signal(p, who):
    """A finished process did not die of a signal (SIGBUS was the bug)."""
    check(p.returncode >= 0, "%s died of signal %d (stderr: %s)" % (who, -p.returncode,
                                                                    p.stderr[-500:]))


def run_tool(argv):
    p = subprocess.run(argv, capture_output=True, timeout=slow(60))
    p.stderr = p.stderr.decode("utf-8", "replace")
    it.no_sanitizer_report(p.stderr, os.path.basename(argv[0]))
    return p


def test_no_sigbus(env):
    """A guest kiosk's and a door's journals on a 1 KiB-block ext4 with 0 to
    96 KiB free: the kiosk's append (a hold, a check-in), `usher-syncd
    status` and a kiosk start (guest and door mode) either work or fail with
    a sentence naming a full disk; none dies of a signal (SQLite's -shm
    mapping used to SIGBUS there), the journals stay sound, and once space is
    back every one works again."""
    env.setup(devices=(("admin", "admin"), ("k", "kiosk"), ("d", "door")))
    coord = env.coord()
    disk = SmallDisk(env)
    try:
        devices = []
        for name, op in (("k", ["hold", "T01-01"]), ("d", ["checkin", "GALA-0001"])):
            s = device_on(env, disk, name, coord.url).start()
            s.wait_online()
            s.stop()
            devices.append((s, op))
        script = env.path("one.script")
        with open(script, "w") as f:
            f.write("shot start\n")
        shots = env.path("shots")
        os.mkdir(shots)
        saved = {s.device: 0 for s, _ in devices}
        for leave in (0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 56, 64, 80, 96):
            for s, op in devices:
                disk.empty()
                disk.fill(leave)
                for argv, who in (
                        ([it.JOP, "--db", s.db] + op, "journal-op " + op[0]),
                        ([it.SYNCD, "status", "--db", s.db], "usher-syncd status"),
                        ([it.KIOSK, "--db", s.db, "--headless", "--script", script, "--shots",
                          shots, "--window", "800x480"], "usher-kiosk")):
                    p = run_tool(argv)
                    no_signal(p, "%s on %s's journal with %d KiB free" % (who, s.device, leave))
                    if p.returncode != 0:
                        check("storage full" in p.stderr,
                              "%s with %d KiB free failed without saying the disk is full: %r"
                              % (who, leave, p.stderr[-400:]))
                    elif who.startswith("journal-op"):
                        saved[s.device] += 1
        check(all(saved.values()), "no op was saved at any level of free space: %r" % saved)
        disk.empty()
        for s, op in devices:
            it.integrity_ok(s.db)
            p = run_tool([it.JOP, "--db", s.db] + (["hold", "T01-02"] if op[0] == "hold"
                                                   else ["checkin", "GALA-0002"]))
            eq((p.returncode, p.stderr), (0, ""), "journal-op on %s once space is back" % s.device)
    finally:
        disk.unmount()


def import_tickets(coord, env, n, prefix):
    """n new tickets through the organisers' import (each a change every
    device pulls), with names long enough to need room in a replica."""
    rows = ["ticket_number,full_name"] + ["%s-%05d,%s %d" % (prefix, i, "Guest " * 8, i)
                                          for i in range(n)]
    st, _, body = http_call(coord.port, "POST", "/v1/tickets/import", env.tokens["admin"],
                            ("\n".join(rows) + "\n").encode())
    eq(st, 200, "importing %d tickets (%r)" % (n, body[:300]))


def test_syncd_waits_for_space(env):
    """usher-syncd whose journal's disk fills up while the coordinator has
    changes for it never exits: it gives back its reserve file, says
    `storage_full` in `status` and in its log, stops pulling (its cursor
    stays), and once space is back it pulls everything and makes the reserve
    again."""
    env.setup(devices=(("admin", "admin"), ("k", "kiosk")))
    coord = env.coord()
    disk = SmallDisk(env)
    try:
        s = device_on(env, disk, "k", coord.url).start()
        st = s.wait_online()
        eq(st["storage_full"], False, "storage_full while there is space")
        reserve = s.db + "-reserve"
        wait_until(lambda: os.path.exists(reserve), slow(10), "syncd's reserve file")
        check(os.path.getsize(reserve) >= 64 * KIB, "the reserve is %d bytes" % os.path.getsize(reserve))
        disk.fill(0)
        import_tickets(coord, env, 1500, "FULL")
        st = wait_until(lambda: (lambda x: x if x["storage_full"] else None)(s.status()), slow(20),
                        "status saying storage_full")
        check(not os.path.exists(reserve), "the reserve is still there on a full disk")
        eq(st["online"], False, "online while the disk is full")
        check("storage full" in (st["last_error"] or ""), "last_error: %r" % st["last_error"])
        cursor = st["cursor"]
        # More changes meanwhile: nothing is pulled, nothing exits.
        import_tickets(coord, env, 200, "MORE")
        time.sleep(slow(4))
        check(s.alive(), "usher-syncd exited on a full disk: %s" % s.stderr()[-1500:])
        st = s.status()
        eq((st["storage_full"], st["cursor"]), (True, cursor), "storage_full and the cursor later")
        check("storage full" in s.stderr(), "the log does not say so: %s" % s.stderr()[-800:])
        # Space again: everything is pulled, and the reserve made again.
        disk.empty()
        back = time.monotonic()
        want = get_json(coord.port, "/healthz", None)["cursor"]
        wait_until(lambda: (lambda x: x if not x["storage_full"] and x["online"] and
                            x["cursor"] == want and x["pending"] == 0 else None)(s.status()),
                   slow(30), "syncd in step once space is back")
        print("  (in step %.1f s after space came back)" % (time.monotonic() - back), flush=True)
        wait_until(lambda: os.path.exists(reserve), slow(15), "the reserve made again")
        check("space on the journal's disk again" in s.stderr(), "the log: %s" % s.stderr()[-800:])
        rows = it.query(s.db, "SELECT count(*) FROM r_tickets WHERE code LIKE 'MORE-%'")
        eq(rows[0][0], 200, "tickets pulled after the disk had space again")
        s.stop()
    finally:
        for p in env.procs:
            p.kill9()
        disk.unmount()


FULL_EN = "This kiosk cannot save: storage full, ask staff"
FULL_DE = "Dieses Terminal kann nicht speichern: Speicher voll, bitte Personal fragen"
STORAGE_SCRIPT = """expect screen storage
expect text "%s"
expect text "Staff: free space"
shot full
await screen attract
expect notext "%s"
shot back
"""


def test_kiosk_starts_on_full_disk(env):
    """A kiosk started on a disk too full to open its journal (nothing else
    has it open) shows "This kiosk cannot save: storage full, ask staff"
    (in German with --lang de) instead of exiting with no screen; once space
    is back it opens the journal by itself and takes guests."""
    env.setup(devices=(("admin", "admin"), ("k", "kiosk")))
    coord = env.coord()
    disk = SmallDisk(env)
    try:
        s = device_on(env, disk, "k", coord.url).start()
        s.wait_online()
        s.stop()
        disk.fill(0)
        p = run_tool([it.JOP, "--db", s.db, "hold", "T01-01"])
        check(p.returncode != 0 and "storage full" in p.stderr,
              "the disk is not too full to open the journal: %r" % p.stderr)
        k = test_kiosk.Kiosk(env, s.db, "full", STORAGE_SCRIPT % (FULL_EN, FULL_EN)).start()
        k.wait_shot("full")
        check("storage full" in k.stderr(), "the kiosk's log: %r" % k.stderr())
        de = test_kiosk.Kiosk(env, s.db, "full-de", "expect screen storage\nexpect text \"%s\"\n"
                              "shot de\n" % FULL_DE, extra=("--lang", "de")).run()
        check(os.path.getsize(de.shot("de")) > 0, "no German screenshot")
        disk.empty()
        k.wait()
        check("opened" in k.stderr(), "the kiosk's log once space was back: %r" % k.stderr())
    finally:
        disk.unmount()


def test_kiosk_while_syncd_finds_disk_full(env):
    """With usher-syncd waiting for space (the journal still opens: syncd
    holds it), a kiosk started then shows the storage-full screen rather than
    taking a guest whose seat it could not save; when syncd has space again,
    the kiosk goes back to its start screen by itself."""
    env.setup(devices=(("admin", "admin"), ("k", "kiosk")))
    coord = env.coord()
    disk = SmallDisk(env)
    try:
        s = device_on(env, disk, "k", coord.url).start()
        s.wait_online()
        disk.fill(0)
        import_tickets(coord, env, 1500, "FULL")
        wait_until(lambda: s.status()["storage_full"] or None, slow(20), "syncd finding the disk full")
        k = test_kiosk.Kiosk(env, s.db, "syncd-full", STORAGE_SCRIPT % (FULL_EN, FULL_EN)).start()
        k.wait_shot("full")
        disk.empty()
        k.wait()
        wait_until(lambda: not s.status()["storage_full"] or None, slow(20), "syncd going on")
        s.stop()
    finally:
        for p in env.procs:
            p.kill9()
        disk.unmount()



def test_kiosk_save_fails_on_full_disk(env):
    """A running kiosk whose hold cannot be saved because the disk just filled
    says so to the guest and wakes usher-syncd, which finds the disk full too
    and records it at once (not at its next poll); the next guest sees the
    storage screen; syncd goes on once there is space."""
    env.setup(layout=test_kiosk.LAYOUT, tickets=test_kiosk.TICKETS,
              devices=(("admin", "admin"), ("k", "kiosk")))
    env.tool([it.COORD, "event", "set", "--db", env.db, "--codes", "strong"])
    coord = env.coord()
    disk = SmallDisk(env)
    try:
        s = device_on(env, disk, "k", coord.url).start()
        s.wait_online()
        k = test_kiosk.Kiosk(env, s.db, "savefull", """shot ready
sleep 3000
tap 640 400
type GALA-0001
key Return
tap button seats
tap seat T05-01
expect text "This kiosk could not save that; please try again or ask staff"
shot notsaved
tap button ok
tap button cancel
await screen storage
expect text "%s"
shot storage
""" % FULL_EN).start()
        k.wait_shot("ready")
        # Every page written from now on needs a new block: no room left in
        # the write-ahead log either.
        con = sqlite3.connect(s.db, timeout=10)
        try:
            eq(con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()[0][0], 0,
               "the checkpoint was blocked")
        finally:
            con.close()
        disk.fill(0)
        k.wait_shot("notsaved")
        t = time.monotonic()
        k.wait_shot("storage")
        # At once (the kiosk woke syncd), not at syncd's next 10 s poll.
        check(time.monotonic() - t < slow(4), "the storage screen %.1f s after the failed save"
              % (time.monotonic() - t))
        print("  (the storage screen %.1f s after the failed save)" % (time.monotonic() - t),
              flush=True)
        k.wait()
        check(s.status()["storage_full"], "syncd did not record the full disk")
        check(s.alive(), "usher-syncd exited: %s" % s.stderr()[-800:])
        disk.empty()
        wait_until(lambda: not s.status()["storage_full"] or None, slow(20), "syncd going on")
        s.stop()
    finally:
        for p in env.procs:
            p.kill9()
        disk.unmount()


if __name__ == "__main__":
    sys.exit(it.run("Usher on a full disk", globals(),
                    binaries=("coord", "syncd", "journal-op", "kiosk")))

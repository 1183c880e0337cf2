#!/usr/bin/env python3
"""test_fulldisk.py - a device's journal on a full disk, on the real programs:
usher-syncd, journal-op (the kiosk's append) and the headless usher-kiosk on a
real small ext4 file system with 1 KiB blocks (what mke2fs picks for a small
partition), made in a file and loop-mounted for the test, then filled; the
coordinator on 127.0.0.1 as everywhere (tests/integration/README.md).

Needs root and loop devices (mount -o loop); skipped (77) with the reason
otherwise.

    python3 test_fulldisk.py --coord PATH --syncd PATH --journal-op PATH --kiosk PATH [NAME ...]

Prints "ok NAME", "skip NAME: why" or "FAIL NAME: why" for each test; exits 0
when all passed, 77 when nothing failed but something was skipped, else 1.
"""

import os
import shutil
import subprocess
import sys
import time

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
        if p.returncode != 0:
            raise Skip("cannot loop-mount a file system here: %s" % p.stderr.decode().strip())
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
    """A journal on a 1 KiB-block ext4 with 0 to 96 KiB free: the kiosk's
    append, `usher-syncd status` and a kiosk start either work or fail with a
    sentence naming a full disk; none dies of a signal (SQLite's -shm mapping
    used to SIGBUS there), the journal stays sound, and once space is back
    every one works again."""
    env.setup(devices=(("admin", "admin"), ("k", "kiosk")))
    coord = env.coord()
    disk = SmallDisk(env)
    try:
        s = device_on(env, disk, "k", coord.url).start()
        s.wait_online()
        s.stop()
        script = env.path("one.script")
        with open(script, "w") as f:
            f.write("shot start\n")
        shots = env.path("shots")
        os.mkdir(shots)
        ok = 0
        for leave in (0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 56, 64, 80, 96):
            disk.empty()
            disk.fill(leave)
            for argv, who in (
                    ([it.JOP, "--db", s.db, "hold", "T01-01"], "journal-op hold"),
                    ([it.SYNCD, "status", "--db", s.db], "usher-syncd status"),
                    ([it.KIOSK, "--db", s.db, "--headless", "--script", script, "--shots", shots,
                      "--window", "800x480"], "usher-kiosk")):
                p = run_tool(argv)
                no_signal(p, "%s with %d KiB free" % (who, leave))
                if p.returncode != 0:
                    check("storage full" in p.stderr,
                          "%s with %d KiB free failed without saying the disk is full: %r"
                          % (who, leave, p.stderr[-400:]))
                elif who == "journal-op hold":
                    ok += 1
        check(ok > 0, "no hold was saved at any level of free space")
        disk.empty()
        it.integrity_ok(s.db)
        p = run_tool([it.JOP, "--db", s.db, "hold", "T01-02"])
        eq((p.returncode, p.stderr), (0, ""), "journal-op once space is back")
    finally:
        disk.unmount()


if __name__ == "__main__":
    sys.exit(it.run("Usher on a full disk", globals(),
                    binaries=("coord", "syncd", "journal-op", "kiosk")))

#!/usr/bin/env python3
"""test_appliance.py - scripts/appliance, staged with --root into a temporary
folder (nothing is started, no user is made): what a kiosk, a door and a
coordinator machine get, and the refusals of bad settings
(tests/integration/README.md).

    python3 test_appliance.py --coord PATH --syncd PATH --kiosk PATH [NAME ...]

The binaries' build folder is the one scripts/appliance installs from
(--build). Python 3 standard library only.
"""

import configparser
import os
import re
import stat
import subprocess
import sys

import usher_it as it
from usher_it import check, eq, slow

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SCRIPT = os.path.join(TOP, "scripts", "appliance")
TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRST"


def build_dir():
    return os.path.dirname(os.path.dirname(os.path.dirname(it.COORD)))  # BUILD/syncd/coord/usher-coord


def appliance(env, *args, rc=0):
    p = subprocess.run([SCRIPT] + list(args) + ["--build", build_dir()], capture_output=True,
                       timeout=slow(60))
    out, err = p.stdout.decode(), p.stderr.decode()
    eq(p.returncode, rc, "scripts/appliance %s exit status (stderr %r)" % (" ".join(args[:1]), err))
    return out, err


def token_file(env, text=TOKEN + "\n", name="device.token"):
    path = env.path(name)
    with open(path, "w") as f:
        f.write(text)
    return path


def read_env(path):
    vals = {}
    with open(path) as f:
        for line in f:
            m = re.match(r'^([A-Z_]+)=("?)(.*)\2$', line.rstrip("\n"))
            if m:
                vals[m.group(1)] = m.group(3)
    return vals


def unit(path):
    """A unit file's [Service] section; its ExecStart's program."""
    cp = configparser.ConfigParser(strict=False, interpolation=None)
    cp.optionxform = str
    cp.read(path)
    check(cp.has_section("Unit") and cp.has_section("Install"), "%s: [Unit] and [Install]" % path)
    return cp["Service"]


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_device(env):
    """A door device: both binaries (they run), the units, the settings file
    readable by root alone with the coordinator, token and mode in it."""
    root = env.path("root")
    out, _ = appliance(env, "device", "--root", root, "--coordinator", "http://192.168.1.10:8080",
                       "--token-file", token_file(env, "  %s \n" % TOKEN), "--mode", "door",
                       "--kiosk-args", "--pin 4711 --ppi 133", "--syncd-args", "--offline-policy lease")
    check("systemctl daemon-reload && systemctl enable --now usher-syncd usher-kiosk" in out,
          "the staged run says how to start it: %r" % out)
    for prog in ("usher-kiosk", "usher-syncd"):
        path = os.path.join(root, "usr/local/bin", prog)
        eq(mode(path), 0o755, "%s mode" % prog)
        r = subprocess.run([path, "--help"], capture_output=True, timeout=slow(30))
        check(b"usage" in r.stdout + r.stderr, "the installed %s runs" % prog)
    env_path = os.path.join(root, "etc/usher/device.env")
    eq(mode(env_path), 0o600, "device.env mode (it holds the token)")
    eq(read_env(env_path), {"USHER_JOURNAL": "/var/lib/usher/journal.db",
                            "USHER_COORDINATOR": "http://192.168.1.10:8080", "USHER_TOKEN": TOKEN,
                            "USHER_KIOSK_ARGS": "--mode door --pin 4711 --ppi 133",
                            "USHER_SYNCD_ARGS": "--offline-policy lease"}, "device.env")
    for name, prog in (("usher-syncd", "usher-syncd"), ("usher-kiosk", "usher-kiosk")):
        svc = unit(os.path.join(root, "etc/systemd/system/%s.service" % name))
        eq(svc["ExecStart"].split()[0], "/usr/local/bin/" + prog, "%s ExecStart" % name)
        eq(svc["EnvironmentFile"], "/etc/usher/device.env", "%s EnvironmentFile" % name)
        eq(svc["User"], "usher", "%s User" % name)
        eq(svc["Restart"], "on-failure", "%s Restart" % name)
        # systemd's watchdog: ready by sd_notify, restarted when the loop hangs.
        eq(svc["Type"], "notify", "%s Type" % name)
        check(int(svc["WatchdogSec"]) >= 10, "%s WatchdogSec %r" % (name, svc.get("WatchdogSec")))
        check("USHER_TOKEN" not in svc["ExecStart"], "%s: no token on the command line" % name)
    eq(unit(os.path.join(root, "etc/systemd/system/usher-syncd.service"))["RestartPreventExitStatus"],
       "3", "usher-syncd stays stopped after exit 3 (a person must look)")
    check(os.path.isdir(os.path.join(root, "var/lib/usher")), "the journal's folder")
    check(os.path.isfile(os.path.join(root, "usr/local/share/doc/usher/kiosk/README.md")),
          "the kiosk's README, which the unit names")


def test_coordinator(env):
    """A coordinator machine: usher-coord, the dashboard's files, its unit."""
    root = env.path("root")
    appliance(env, "coordinator", "--root", root, "--listen", "0.0.0.0:9090")
    eq(read_env(os.path.join(root, "etc/usher/coordinator.env")),
       {"USHER_DB": "/var/lib/usher/event.db", "USHER_LISTEN": "0.0.0.0:9090", "USHER_COORD_ARGS": ""},
       "coordinator.env")
    web = os.path.join(root, "usr/local/share/usher/web")
    eq(sorted(os.listdir(web)), sorted(f for f in os.listdir(os.path.join(TOP, "assets/web"))
                                       if os.path.isfile(os.path.join(TOP, "assets/web", f))),
       "the dashboard's files")
    svc = unit(os.path.join(root, "etc/systemd/system/usher-coord.service"))
    check("--web /usr/local/share/usher/web" in svc["ExecStart"], "ExecStart serves the installed dashboard")
    eq(svc.get("LimitNOFILE"), "65536", "the open-file limit for 10,000 devices' connections")
    r = subprocess.run([os.path.join(root, "usr/local/bin/usher-coord"), "--help"], capture_output=True,
                       timeout=slow(30))
    check(b"serve" in r.stdout + r.stderr, "the installed usher-coord runs")


def test_refusals(env):
    """Bad settings: exit 2, one line saying what to give, nothing installed."""
    good = token_file(env)
    cases = [
        (["device", "--coordinator", "192.168.1.10:8080", "--token-file", good], "coordinator's URL"),
        (["device", "--coordinator", "http://a b", "--token-file", good], "coordinator's URL"),
        (["device", "--coordinator", "http://h:1", "--token-file", env.path("missing")], "--token-file"),
        (["device", "--coordinator", "http://h:1", "--token-file", token_file(env, "not a token", "bad.token")],
         "does not hold a device token"),
        (["device", "--coordinator", "http://h:1", "--token-file", good, "--mode", "bar"], "guest or door"),
        (["device", "--coordinator", "http://h:1", "--token-file", good, "--kiosk-args", "--pin '1'"],
         "may not hold quotes"),
        (["coordinator", "--listen", "everywhere"], "HOST:PORT"),
        (["kiosk"], "'device' or 'coordinator'"),
        (["device", "--frobnicate"], "unknown argument"),
    ]
    for i, (args, says) in enumerate(cases):
        root = env.path("root%d" % i)
        _, err = appliance(env, *(args[:1] + ["--root", root] + args[1:]), rc=2)
        check(says in err and err.count("\n") == 1, "%s: one line naming %r, got %r" % (args, says, err))
        check(not os.path.exists(root), "%s installed something" % args)


if __name__ == "__main__":
    sys.exit(it.run("scripts/appliance, staged", globals(), binaries=("coord", "syncd", "kiosk")))

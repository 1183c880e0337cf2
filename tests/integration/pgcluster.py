#!/usr/bin/env python3
"""pgcluster.py - a throwaway PostgreSQL cluster for the tests: initdb into a
temporary folder as the `postgres` user, a server that listens on a unix socket
in that folder only (no TCP), one database per test, and the folder stopped and
removed at the end (also on failure).

As a context manager:

    with PgCluster() as pg:
        where = pg.create_database("t1")   # "host=DIR/sock dbname=t1 user=postgres"

From the command line, so that ctest can share one cluster per test file
(a fixture's setup and cleanup):

    python3 pgcluster.py start DIR    # initdb (when DIR holds none) and start; prints the conninfo
    python3 pgcluster.py stop DIR     # stop and remove DIR

Needs Debian's postgresql package (initdb and pg_ctl of PostgreSQL 15 or
newer under /usr/lib/postgresql/N/bin) and root (runuser -u postgres).
Python 3 standard library only.
"""

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time


class Unavailable(Exception):
    """PostgreSQL cannot run here (not installed, not root): the reason."""


def pg_bin(tool):
    """The path of a PostgreSQL server tool (initdb, pg_ctl) of the newest
    version installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + tool),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not found:
        raise Unavailable("%s not found under /usr/lib/postgresql/*/bin: install the Debian "
                          "package postgresql (scripts/deps test)" % tool)
    return found[-1]


def as_postgres(argv, **kw):
    """Runs argv as the postgres user (runuser), output captured; CalledProcessError
    carries what the tool said."""
    if os.getuid() != 0:
        raise Unavailable("a throwaway PostgreSQL cluster runs as the postgres user, which "
                          "takes root (runuser); run the tests as root")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable("there is no postgres user: install the Debian package postgresql")
    return subprocess.run(["runuser", "-u", "postgres", "--"] + argv, capture_output=True,
                          check=True, timeout=kw.pop("timeout", 120), **kw)


def chown_tree(path, uid, gid):
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            os.chown(os.path.join(root, n), uid, gid)


class PgCluster:
    """One PostgreSQL server in folder `base` (a new temporary one when None):
    base/data (the cluster), base/sock (its unix socket), base/server.log."""

    def __init__(self, base=None):
        self.base = base or tempfile.mkdtemp(prefix="usher-pg-")
        self.data = os.path.join(self.base, "data")
        self.sock = os.path.join(self.base, "sock")
        self.log = os.path.join(self.base, "server.log")

    def conninfo(self, dbname="usher"):
        """libpq's key=value string for a database of this cluster."""
        return "host=%s dbname=%s user=postgres" % (self.sock, dbname)

    def running(self):
        return os.path.exists(os.path.join(self.data, "postmaster.pid"))

    def start(self):
        """initdb (once) and start the server; returns self. Raises Unavailable
        when PostgreSQL cannot run here, RuntimeError naming the step that failed."""
        initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        pw = pwd.getpwnam("postgres") if os.getuid() == 0 else None
        os.makedirs(self.base, exist_ok=True)
        os.makedirs(self.sock, exist_ok=True)
        if pw:
            chown_tree(self.base, pw.pw_uid, pw.pw_gid)
        os.chmod(self.base, 0o711)  # the postgres user must reach its folders
        try:
            if not os.path.exists(os.path.join(self.data, "PG_VERSION")):
                as_postgres([initdb, "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                             "--locale=C.UTF-8", "--no-sync"])
            if not self.running():
                self.serve()
            self.create_database("usher")
        except subprocess.CalledProcessError as e:
            self.stop()
            raise RuntimeError("PostgreSQL: %s failed: %s%s" % (
                os.path.basename(e.cmd[4]), e.stderr.decode("utf-8", "replace"), self.log_tail()))
        return self

    def serve(self):
        """pg_ctl start: the server on the unix socket only, PostgreSQL's
        defaults otherwise (fsync, synchronous_commit on)."""
        opts = "-c listen_addresses='' -c unix_socket_directories='%s' -c max_connections=200" % self.sock
        as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t", "60", "start"])

    def restart(self, mode="fast"):
        """Stops the server (mode "fast": clients disconnected, a clean
        shutdown; "immediate": as a crash or a power cut, recovery from the
        write-ahead log at the next start) and starts it again."""
        as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-m", mode, "-w", "-t", "60", "stop"])
        self.serve()

    def log_tail(self):
        try:
            with open(self.log, "rb") as f:
                return "\nserver.log: " + f.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def psql(self, sql, dbname="postgres", separator="|"):
        """Runs SQL with psql on the cluster's socket; its output (unaligned,
        no headers, columns split by separator)."""
        p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", separator, "-v", "ON_ERROR_STOP=1",
                            "-h", self.sock, "-U", "postgres", "-d", dbname, "-c", sql],
                           capture_output=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("psql %r: %s" % (sql, p.stderr.decode("utf-8", "replace").strip()))
        return p.stdout.decode("utf-8")

    def create_database(self, name):
        """Creates database `name` (once: an existing one is kept) and returns its conninfo."""
        if not self.psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % name).strip():
            self.psql('CREATE DATABASE "%s"' % name)
        return self.conninfo(name)

    def drop_database(self, name):
        self.psql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)

    def stop(self):
        """Stops the server (fast: its clients are disconnected) and removes the folder."""
        if self.running():
            try:
                as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "-t", "60", "stop"])
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                as_postgres([pg_bin("pg_ctl"), "-D", self.data, "-m", "immediate", "stop"], timeout=30)
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def main(argv):
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print("usage: pgcluster.py start|stop DIR", file=sys.stderr)
        return 2
    pg = PgCluster(os.path.abspath(argv[2]))
    try:
        if argv[1] == "start":
            t0 = time.monotonic()
            pg.start()
            print("%s (started in %.1f s)" % (pg.conninfo(), time.monotonic() - t0))
        else:
            pg.stop()
    except Unavailable as e:
        print("pgcluster: %s" % e, file=sys.stderr)
        return 77
    except RuntimeError as e:
        print("pgcluster: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""usher_it.py - what the integration tests share: checks, waiting, HTTP,
processes (usher-coord, usher-syncd, usher-kiosk) in a temporary folder, and
the runner every test_*.py calls (tests/integration/README.md).

A test file sets its binaries with run(), which parses --coord/--syncd/...
and runs its test_* functions, each with a fresh Env. Python 3 standard
library only.
"""

import argparse
import csv
import datetime
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import traceback

# The binaries under test, set by run() from the command line.
COORD = SYNCD = JOP = KIOSK = None
ASAN = False  # sanitizer build: slower, so time limits stretch
# The coordinator's store (run()'s --store): "sqlite" (a file in each test's
# folder) or "postgresql" (a database of its own for each test in PG, a
# pgcluster.PgCluster: the one --pg-dir names, or one started for the run).
STORE = "sqlite"
PG = None
SANITIZER_MARKS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")

# Tickets with known codes (usher-coord tickets import).
TICKETS = [("GALA-%04d" % i, "Guest %d" % i, "Regular") for i in range(1, 61)]
TICKETS[0] = ("GALA-0001", 'Smith, Jane "JJ"', "Regular")


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def eq(got, want, what):
    if got != want:
        raise Fail("%s: expected %r, got %r" % (what, want, got))


def slow(seconds):
    """A time limit, stretched for sanitizer builds."""
    return seconds * 3 if ASAN else seconds


def no_sanitizer_report(text, who):
    for mark in SANITIZER_MARKS:
        if mark in text:
            raise Fail("%s printed a sanitizer report:\n%s" % (who, text[-4000:]))


def wait_until(fn, seconds, what):
    """Polls fn() until it returns something true; Fail after `seconds`
    naming what was awaited and the last value seen."""
    deadline = time.monotonic() + seconds
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > deadline:
            raise Fail("%s: not within %.1f s (last seen: %r)" % (what, seconds, last))
        time.sleep(0.05)


def free_port():
    """A port nobody listens on now (bound and released at once)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def parse_time(text):
    """An RFC 3339 time as Usher writes it ("2026-11-22T07:32:35.123Z") in
    seconds since the epoch."""
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def integrity_ok(path):
    """PRAGMA integrity_check on a database, opened read-only. A coordinator
    on PostgreSQL (a connection string): every table of the store reads whole
    instead (PostgreSQL checks its own pages; amcheck is not in its default
    install)."""
    if STORE == "postgresql" and path.startswith("host="):
        for t in sorted(store_tables(path)):
            store_sql(path, "SELECT count(*) FROM %s" % t)
        return
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        rows = db.execute("PRAGMA integrity_check").fetchall()
    finally:
        db.close()
    eq(rows, [("ok",)], "PRAGMA integrity_check of %s" % os.path.basename(path))


def sql_literal(v):
    """A value as an SQL literal (the tests' own values only: ids, codes, numbers)."""
    if isinstance(v, (int, float)):
        return repr(v)
    return "'%s'" % str(v).replace("'", "''")


def query(path, sql, args=()):
    """Rows of a read-only query with ? parameters: on a SQLite file, or on
    the coordinator's PostgreSQL store (path a connection string; numbers
    and text come back typed, as sqlite3's do)."""
    if STORE == "postgresql" and path.startswith("host="):
        parts = sql.split("?")
        check(len(parts) == len(args) + 1, "query: %d placeholders, %d values" % (len(parts) - 1, len(args)))
        text = parts[0] + "".join(sql_literal(a) + p for a, p in zip(args, parts[1:]))
        # As JSON, so that numbers come back as numbers and text as text.
        out = PG.psql("SELECT coalesce(json_agg(q), '[]') FROM (%s) q" % text,
                      dbname=re.search(r"dbname=(\S+)", path).group(1))
        rows = json.loads(out, object_pairs_hook=lambda pairs: pairs)
        return [tuple(v for _, v in row) for row in rows]
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


# ---- the coordinator's store --------------------------------------------------


def new_store(folder, name="coord.db"):
    """Where a test's coordinator keeps its data, for --db: a file in the
    test's folder, or a new PostgreSQL database of its own."""
    if STORE == "sqlite":
        return os.path.join(folder, name)
    tag = "%s_%s" % (os.path.basename(folder)[-12:], name.rsplit(".", 1)[0])
    tag = re.sub(r"[^a-z0-9]+", "_", tag.lower())
    return PG.create_database("t_%s_%d" % (tag[-40:], os.getpid()))


def drop_store(where):
    """Removes a test's PostgreSQL database (a file goes with its folder)."""
    if STORE == "postgresql" and PG is not None and where:
        m = re.search(r"dbname=(\S+)", where)
        if m:
            try:
                PG.drop_database(m.group(1))
            except RuntimeError:
                pass  # the cluster is gone already


def store_sql(where, sql):
    """Rows of a query on the store, each a tuple of text (SQLite's values
    as text too, so that both read alike); SQL both databases read."""
    if STORE == "sqlite":
        db = sqlite3.connect("file:%s?mode=ro" % where, uri=True, timeout=10)
        try:
            return [tuple("" if v is None else str(v) for v in r) for r in db.execute(sql).fetchall()]
        finally:
            db.close()
    m = re.search(r"dbname=(\S+)", where)
    out = PG.psql(sql, dbname=m.group(1), separator="\t")
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def store_exec(where, sql):
    """Runs SQL that changes the store (a test's deliberate damage)."""
    if STORE == "sqlite":
        db = sqlite3.connect(where, timeout=10)
        try:
            db.executescript(sql)
            db.commit()
        finally:
            db.close()
    else:
        PG.psql(sql, dbname=re.search(r"dbname=(\S+)", where).group(1))


def store_tables(where):
    """The names of the store's tables."""
    if STORE == "sqlite":
        return {r[0] for r in store_sql(where, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {r[0] for r in store_sql(where, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}


# ---- HTTP --------------------------------------------------------------------


def http_call(port, method, path, token=None, body=None, timeout=10):
    h = {}
    if token:
        h["Authorization"] = "Bearer " + token
    if body is not None:
        h["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        conn.close()


def get_json(port, path, token):
    status, _, body = http_call(port, "GET", path, token)
    eq(status, 200, "GET %s status (body %r)" % (path, body[:300]))
    return json.loads(body.decode("utf-8"))


def get_list(port, path, token, key):
    """A list endpoint's array: {"KEY": [...]}."""
    j = get_json(port, path, token)
    check(isinstance(j, dict) and isinstance(j.get(key), list), "GET %s is not {%r: [...]}: %r" % (path, key, j))
    return j[key]


# ---- processes -----------------------------------------------------------------


def die_with_parent():
    """In the child before exec: SIGKILL when this script dies (say, killed by
    ctest's timeout), so no daemon outlives its test. Linux only; best effort."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def terminate(proc, name, seconds=10):
    """SIGTERM to a Popen and its exit status within `seconds` (stretched
    under ASan); past that, SIGKILL and Fail."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=slow(seconds))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise Fail("%s did not stop within %d s of SIGTERM" % (name, slow(seconds)))


class Proc:
    """A long-running process whose every incarnation logs to its own files."""

    def __init__(self, env, name, argv, environ=None):
        self.env = env
        self.name = name
        self.argv = argv
        self.environ = environ  # extra environment variables
        self.proc = None
        self.runs = 0
        self.err_path = None
        self.out_path = None

    def start(self):
        check(self.proc is None or self.proc.poll() is not None, "%s started twice" % self.name)
        self.runs += 1
        self.out_path = self.env.path("%s.%d.out" % (self.name, self.runs))
        self.err_path = self.env.path("%s.%d.err" % (self.name, self.runs))
        self.env.logs.append((self.name, self.err_path))
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         preexec_fn=die_with_parent,
                                         env=dict(os.environ, **self.environ) if self.environ else None)
        self.env.procs.append(self)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        """SIGTERM and a clean exit (0) within a few seconds."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        rc = terminate(self.proc, self.name)
        eq(rc, 0, "%s exit status on SIGTERM (stderr: %s)" % (self.name, self.stderr()[-1500:]))
        return rc

    def kill9(self):
        if self.alive():
            self.proc.kill()
            self.proc.wait()


class Coord(Proc):
    """usher-coord serve on a fixed port, restartable on the same port."""

    def __init__(self, env, port, extra=()):
        super().__init__(env, "coord", [COORD, "serve", "--db", env.db, "--listen",
                                         "127.0.0.1:%d" % port] + list(extra))
        self.port = port
        scheme = "https" if "--tls-cert" in extra else "http"
        self.url = "%s://127.0.0.1:%d" % (scheme, port)

    def start(self):
        super().start()
        deadline = time.monotonic() + slow(10)
        while time.monotonic() < deadline:
            with open(self.out_path, "rb") as f:
                line = f.readline()
            if line.endswith(b"\n"):
                eq(line.decode(), "listening on %s\n" % self.url, "usher-coord serve's first line")
                return self
            if self.proc.poll() is not None:
                raise Fail("usher-coord serve exited with %d: %s" % (self.proc.returncode, self.stderr()))
            time.sleep(0.01)
        raise Fail("usher-coord serve printed no 'listening on' line within %d s" % slow(10))

    def restart(self):
        self.kill9()
        return self.start()


class Syncd(Proc):
    """usher-syncd run for one device journal."""

    def __init__(self, env, name, url, token=None, extra=(), token_in_env=False):
        """token_in_env: pass the token as USHER_TOKEN, not --token."""
        self.db = env.path(name + ".journal")
        self.token = token or env.tokens[name]
        argv = [SYNCD, "run", "--db", self.db, "--coordinator", url]
        if not token_in_env:
            argv += ["--token", self.token]
        super().__init__(env, "syncd-" + name, argv + list(extra),
                         environ={"USHER_TOKEN": self.token} if token_in_env else None)
        self.device = name

    def start(self):
        """Starts it and waits until it has opened (created, migrated) its
        journal, or has exited."""
        super().start()
        deadline = time.monotonic() + slow(10)
        while "usher-syncd: journal " not in self.stderr() and self.proc.poll() is None:
            check(time.monotonic() < deadline, "%s did not open its journal within %d s (stderr: %s)"
                  % (self.name, slow(10), self.stderr()))
            time.sleep(0.01)
        return self

    def status(self):
        out = self.env.tool([SYNCD, "status", "--db", self.db])
        j = json.loads(out)
        eq(sorted(j), sorted(["device", "role", "online", "cursor", "pending", "rejected",
                              "last_sync_at", "last_error", "clock_offset_ms", "storage_full"]),
           "status JSON keys")
        return j

    def dump(self, what):
        out = self.env.tool([SYNCD, "dump", "--db", self.db, what])
        return list(csv.DictReader(io.StringIO(out, newline="")))

    def seats(self):
        """seat -> (state, ticket), with held_by_me and held the same (the
        device that holds it is the only difference between two devices)."""
        rows = {}
        for r in self.dump("seats"):
            st = "held" if r["state"] == "held_by_me" else r["state"]
            rows[r["seat"]] = (st, r["ticket"])
        return rows

    def op(self, *args):
        """journal-op: appends an op as the kiosk does; returns its id."""
        out = self.env.tool([JOP, "--db", self.db] + list(args)).strip()
        check(re.match(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", out),
              "journal-op printed %r, not an op id" % out)
        return out

    def verdict(self, op_id):
        return self.env.tool([JOP, "--db", self.db, "verdict", op_id]).strip()

    def wait_online(self, what="online"):
        return wait_until(lambda: (lambda s: s if s["online"] and s["device"] else None)(self.status()),
                          slow(10), "%s: %s" % (self.device, what))


class Env:
    """One test's temporary folder, coordinator database, devices and processes."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="usher-syncd-it-")
        self.db = new_store(self.dir)
        self.tokens = {}
        self.procs = []
        self.logs = []  # (who, stderr path) of every process incarnation
        self.threads = []

    def path(self, name):
        return os.path.join(self.dir, name)

    def tool(self, argv, rc=0):
        p = subprocess.run(argv, capture_output=True, timeout=slow(30))
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        no_sanitizer_report(err, " ".join(os.path.basename(a) for a in argv[:3]))
        if rc is not None:
            eq(p.returncode, rc, "%s exit status (stderr: %s)" % (" ".join(argv[1:]), err.strip()))
        return out

    def setup(self, layout="gala:4x8", tickets=TICKETS, devices=(("admin", "admin"),)):
        out = self.tool([COORD, "init", "--db", self.db, "--event", "Sync Test", "--layout", layout])
        m = re.search(r"staff PIN: (\d{6}) ", out)
        check(m, "init printed the staff PIN: %r" % out)
        self.pin = m.group(1)
        path = self.path("tickets.csv")
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(("ticket_number", "full_name", "class"))
            w.writerows(tickets)
        self.tool([COORD, "tickets", "import", "--db", self.db, path])
        for name, role in devices:
            self.add_device(name, role)

    def add_device(self, name, role):
        token = self.tool([COORD, "device", "add", "--db", self.db, "--name", name, "--role", role]).strip()
        check(re.match(r"^[A-Z2-7]{52}$", token), "device add printed %r" % token)
        self.tokens[name] = token
        return token

    def coord(self, port=None, extra=()):
        return Coord(self, port or free_port(), extra).start()

    def syncd(self, name, url, token=None, extra=()):
        return Syncd(self, name, url, token, extra).start()

    def cleanup(self, failed=False):
        """Stops every process still running (each must stop cleanly unless
        the test failed already), then checks every log for sanitizer reports
        and removes the folder (kept, renamed *.failed, when the test or this
        failed)."""
        failure = None
        for p in reversed(self.procs):
            try:
                p.stop()
            except Fail as e:
                failure = failure or (None if failed else e)
        for p in self.procs:
            p.kill9()
        for who, path in self.logs:
            try:
                with open(path, "rb") as f:
                    no_sanitizer_report(f.read().decode("utf-8", "replace"), "%s (%s)" % (who, path))
            except Fail as e:
                failure = failure or e
        drop_store(self.db)
        if failure or failed:
            keep = self.dir + ".failed"
            shutil.rmtree(keep, ignore_errors=True)
            shutil.move(self.dir, keep)
            print("  (logs kept in %s)" % keep, flush=True)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        if failure:
            raise failure


def converged(coord, devices, admin):
    """True when every device has nothing pending and the coordinator's cursor."""
    try:
        cursor = get_json(coord.port, "/healthz", None)["cursor"]
    except (OSError, http.client.HTTPException):
        return None
    sts = [d.status() for d in devices]
    if all(s["pending"] == 0 and s["online"] and s["cursor"] == cursor for s in sts):
        return sts
    return None


def wait_converged(coord, devices, admin, seconds, what="convergence"):
    return wait_until(lambda: converged(coord, devices, admin), seconds,
                      what + " (pending 0, cursors equal to the coordinator's)")


def coord_taken(coord, admin):
    """seat -> ticket for every taken seat, from the coordinator's /v1/seats."""
    return {s["id"]: s["ticket"] for s in get_json(coord.port, "/v1/seats", admin)["seats"]
            if s["state"] == "taken"}


def device_taken(dev):
    return {seat: t for seat, (st, t) in dev.seats().items() if st == "taken"}


# ---- the runner ------------------------------------------------------------------


def run(description, namespace, binaries=("coord", "syncd", "journal-op"), options=(), env_factory=None):
    """The main program of a test file: parses the paths of `binaries` (any of
    coord, syncd, journal-op, kiosk) and `options` ((flag, type, default,
    help) tuples, returned as a dict), then runs the named test_* functions of
    `namespace` (all when none), each with a fresh Env (or env_factory()). Prints "ok NAME (T s)",
    "skip NAME: why" or "FAIL NAME: why" and returns 0 when all passed, 77
    when nothing failed but something was skipped, else 1."""
    global COORD, SYNCD, JOP, KIOSK, ASAN, STORE, PG
    ap = argparse.ArgumentParser(description=description)
    for b in binaries:
        ap.add_argument("--" + b, required=True, help="path of the %s binary" % b)
    for flag, typ, default, text in options:
        ap.add_argument(flag, type=typ, default=default, help=text)
    ap.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite",
                    help="the coordinator's store: a SQLite file (default) or PostgreSQL")
    ap.add_argument("--pg-dir", help="with --store postgresql: the cluster 'pgcluster.py start DIR' "
                    "started (default: one of its own for this run)")
    ap.add_argument("names", nargs="*", help="tests to run (default: all)")
    args = ap.parse_args()
    STORE = args.store
    own_cluster = None
    if STORE == "postgresql":
        import pgcluster
        try:
            if args.pg_dir and os.path.exists(os.path.join(args.pg_dir, "data", "postmaster.pid")):
                PG = pgcluster.PgCluster(os.path.abspath(args.pg_dir))
            else:
                PG = own_cluster = pgcluster.PgCluster().start()
        except pgcluster.Unavailable as e:
            print("skip all: PostgreSQL cannot run here: %s" % e, flush=True)
            return 77
    try:
        return run_tests(args, binaries, options, namespace, env_factory)
    finally:
        if own_cluster:
            own_cluster.stop()


def run_tests(args, binaries, options, namespace, env_factory):
    """run()'s tests, once the store is ready."""
    global COORD, SYNCD, JOP, KIOSK, ASAN
    paths = {b: os.path.abspath(getattr(args, b.replace("-", "_"))) for b in binaries}
    for p in paths.values():
        if not os.access(p, os.X_OK):
            print("FAIL setup: %s is not an executable" % p)
            return 1
    COORD, SYNCD, JOP, KIOSK = (paths.get(b) for b in ("coord", "syncd", "journal-op", "kiosk"))
    with open(next(iter(paths.values())), "rb") as f:
        ASAN = b"__asan_init" in f.read()
    opts = {flag.lstrip("-").replace("-", "_"): getattr(args, flag.lstrip("-").replace("-", "_"))
            for flag, _, _, _ in options}
    tests = {name[5:]: fn for name, fn in namespace.items() if name.startswith("test_") and callable(fn)}
    names = [n[5:] if n.startswith("test_") else n for n in args.names] or list(tests)
    unknown = [n for n in names if n not in tests]
    if unknown:
        print("FAIL setup: unknown tests %s (known: %s)" % (", ".join(unknown), ", ".join(tests)))
        return 1
    failed = skipped = 0
    for name in names:
        env = (env_factory or Env)()
        env.options = opts
        t0 = time.monotonic()
        try:
            try:
                tests[name](env)
            except Skip:
                env.cleanup()  # nothing failed: no folder to keep
                raise
            except BaseException:
                try:
                    env.cleanup(failed=True)
                except Fail as e:
                    print("  (also: %s)" % e, flush=True)
                raise
            env.cleanup()
            print("ok %s (%.1f s)" % (name, time.monotonic() - t0), flush=True)
        except Skip as e:
            skipped += 1
            print("skip %s: %s" % (name, e), flush=True)
        except Fail as e:
            failed += 1
            print("FAIL %s (%.1f s): %s" % (name, time.monotonic() - t0, e), flush=True)
        except Exception:
            failed += 1
            print("FAIL %s: %s" % (name, traceback.format_exc().rstrip()), flush=True)
    if failed:
        return 1
    return 77 if skipped else 0

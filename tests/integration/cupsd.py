"""cupsd.py - a throwaway CUPS scheduler for the printing tests: its own
config, spool and logs in a temporary folder, a unix socket only (no TCP),
and a cups-pdf virtual printer whose PDFs land in that folder.

    with Cups() as cups:                  # Unavailable when CUPS cannot run here
        cups.env                          # {"CUPS_SERVER": ".../cups.sock"}
        cups.add_pdf_printer("usher-test")
        cups.wait_pdfs(1, 20)             # the PDFs printed so far

cupsd runs as root (the cups-pdf backend refuses anything else); the test
runs it in the foreground (cupsd -f -c CONF -s FILES) and stops it at the
end, also when the test fails. The cups-pdf backend reads its settings from
/etc/cups only, one file per instance (cups-pdf:/NAME reads
/etc/cups/cups-pdf-NAME.conf): the instance name is unique to this run and
its file is removed again in stop(). Python 3 standard library only.
"""

import grp
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

CUPSD = "/usr/sbin/cupsd"
LPADMIN = "/usr/sbin/lpadmin"
CUPS_PDF_BACKEND = "/usr/lib/cups/backend/cups-pdf"
CUPS_PDF_PPD = "/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd"
CUPS_PDF_CONF_DIR = "/etc/cups"


class Unavailable(Exception):
    """CUPS cannot run here; the message says why (the test skips)."""


def missing():
    """Why a throwaway CUPS cannot run on this machine, or None."""
    for path, pkg in ((CUPSD, "cups-daemon"), (LPADMIN, "cups-client"),
                      (CUPS_PDF_BACKEND, "printer-driver-cups-pdf"), (CUPS_PDF_PPD, "cups-pdf")):
        if not os.path.exists(path):
            return "%s is missing (Debian package %s; scripts/deps test)" % (path, pkg)
    if os.geteuid() != 0:
        return "cupsd and the cups-pdf backend need root"
    if not os.path.isdir(CUPS_PDF_CONF_DIR):
        return "%s is missing (cups-pdf reads its settings there)" % CUPS_PDF_CONF_DIR
    return None


class Cups:
    def __init__(self):
        why = missing()
        if why:
            raise Unavailable(why)
        # Its own folder, not inside the test's (mkdtemp's 0700): filters run
        # as lp and must reach the spool.
        self.dir = tempfile.mkdtemp(prefix="usher-cups-")
        os.chmod(self.dir, 0o755)
        self.sock = os.path.join(self.dir, "cups.sock")
        self.pdf_dir = os.path.join(self.dir, "pdf")
        self.env = {"CUPS_SERVER": self.sock}
        self.proc = None
        self.instances = []  # cups-pdf instance names, one conf file each

    # -- set-up ---------------------------------------------------------------

    def _write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self):
        d = self.dir
        for sub in ("spool", "spool/tmp", "cache", "state", "log", "pdf", "pdf-spool", "ppd"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
            os.chmod(os.path.join(d, sub), 0o755)
        os.chmod(os.path.join(d, "spool"), 0o710)
        # Filters run as lp and read the spooled documents through the group.
        os.chown(os.path.join(d, "spool"), 0, grp.getgrnam("lp").gr_gid)
        os.chmod(os.path.join(d, "spool/tmp"), 0o1777)
        # Everything of this scheduler lives under d; filters run as lp.
        files = self._write("cups-files.conf", "\n".join([
            "ServerRoot " + d,
            "RequestRoot " + d + "/spool",
            "TempDir " + d + "/spool/tmp",
            "CacheDir " + d + "/cache",
            "StateDir " + d + "/state",
            "ErrorLog " + d + "/log/error_log",
            "AccessLog " + d + "/log/access_log",
            "PageLog " + d + "/log/page_log",
            "Printcap " + d + "/printcap",
            "User lp",
            "Group lp",
            "SystemGroup root",
            "FileDevice No",
            "Sandboxing Relaxed",
            "",
        ]))
        conf = self._write("cupsd.conf", "\n".join([
            "LogLevel info",
            "Listen " + self.sock,
            "Browsing Off",
            "BrowseLocalProtocols none",
            "DefaultShared No",
            "WebInterface No",
            "JobRetryInterval 1",
            "<Location />",
            "  Order allow,deny",
            "  Allow localhost",
            "</Location>",
            "<Policy default>",
            "  <Limit All>",
            "    Order deny,allow",
            "  </Limit>",
            "</Policy>",
            "",
        ]))
        env = dict(os.environ)
        env.pop("CUPS_SERVER", None)
        self.proc = subprocess.Popen([CUPSD, "-f", "-c", conf, "-s", files],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=env, start_new_session=True)
        deadline = time.monotonic() + 15
        while not self._answers():
            if self.proc.poll() is not None:
                raise Unavailable("cupsd exited %d at start: %s%s" % (
                    self.proc.returncode, self.proc.stderr.read().decode(errors="replace"),
                    self.log_tail()))
            if time.monotonic() > deadline:
                raise Unavailable("cupsd did not answer on %s within 15 s%s" % (
                    self.sock, self.log_tail()))
            time.sleep(0.1)
        return self

    def _answers(self):
        if not os.path.exists(self.sock):
            return False
        r = self.run(["lpstat", "-r"], check=False)
        return r.returncode == 0 and "is running" in r.stdout

    def run(self, argv, check=True):
        """A CUPS client command (lpadmin, lpstat, cupsdisable...) against this
        scheduler; its stdout (check: Unavailable/RuntimeError when it fails)."""
        env = dict(os.environ)
        env.update(self.env)
        r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise RuntimeError("%s exited %d: %s%s" % (" ".join(argv), r.returncode,
                                                        r.stderr.strip(), self.log_tail()))
        return r

    def add_pdf_printer(self, name):
        """A cups-pdf queue NAME writing its PDFs into self.pdf_dir."""
        inst = "usher-%s" % uuid.uuid4().hex[:12]
        conf = os.path.join(CUPS_PDF_CONF_DIR, "cups-pdf-%s.conf" % inst)
        with open(conf, "w") as f:
            f.write("Out %s\nAnonDirName %s\nSpool %s\nLabel 1\nTitlePref 1\n"
                    "UserUMask 0022\nGrp root\n" % (
                        self.pdf_dir, self.pdf_dir, os.path.join(self.dir, "pdf-spool")))
        self.instances.append(conf)
        self.run([LPADMIN, "-p", name, "-v", "cups-pdf:/" + inst, "-E", "-P", CUPS_PDF_PPD])
        return name

    # -- what it did ----------------------------------------------------------

    def pdfs(self):
        """The PDFs cups-pdf wrote so far, oldest first."""
        out = []
        for root, _dirs, names in os.walk(self.pdf_dir):
            out += [os.path.join(root, n) for n in names if n.endswith(".pdf")]
        return sorted(out, key=os.path.getmtime)

    def wait_pdfs(self, n, seconds):
        deadline = time.monotonic() + seconds
        while True:
            got = self.pdfs()
            if len(got) >= n:
                time.sleep(0.2)  # cups-pdf writes, then chmods
                return got
            if time.monotonic() > deadline:
                raise RuntimeError("%d PDFs printed within %.0f s, expected %d%s" % (
                    len(got), seconds, n, self.log_tail()))
            time.sleep(0.1)

    def log_tail(self, n=15):
        try:
            with open(os.path.join(self.dir, "log/error_log"), errors="replace") as f:
                lines = f.read().splitlines()[-n:]
        except OSError:
            return ""
        return "\n  cupsd error_log:\n  " + "\n  ".join(lines) if lines else ""

    # -- tear-down ------------------------------------------------------------

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc:
            self.proc.stderr.close()
        self.proc = None
        for conf in self.instances:
            try:
                os.unlink(conf)
            except FileNotFoundError:
                pass
        self.instances = []

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.remove()
            raise

    def __exit__(self, *exc):
        self.remove()
        return False

    def remove(self):
        """stop(), and its folder removed (the PDFs too)."""
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

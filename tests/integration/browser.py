"""browser.py - headless Chromium driven over the DevTools protocol, for the
dashboard's tests (test_dashboard.py) and scripts/screenshots.

Chromium is started with --remote-debugging-pipe: it reads protocol messages
(JSON, each ended by a NUL byte) from its fd 3 and writes answers and events
to its fd 4, so no port, no websocket and nothing beyond the Python 3
standard library is needed. One page (tab) is opened and attached with a flat
session; eval() runs JavaScript in it, wait() polls an expression until it is
true, screenshot() takes a PNG. png_pixels() decodes such a PNG to check
colours.
"""

import base64
import fcntl
import json
import os
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import zlib

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class BrowserError(Exception):
    pass


def find_chromium():
    """The Chromium binary: $USHER_CHROMIUM, else the first of CANDIDATES on
    PATH; None when there is none."""
    env = os.environ.get("USHER_CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def _high_fd(fd):
    """A copy of fd numbered 10 or more, close-on-exec, so that moving the pipe
    ends to fds 3 and 4 in the child cannot clobber one with the other."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return new


class Browser:
    """One headless Chromium with one page of width x height CSS pixels.

    Its stderr goes to `log` (a path). Console errors and uncaught exceptions
    of the page are collected in .problems. close() stops it; a Browser is
    also a context manager."""

    def __init__(self, binary, log, width=1280, height=800, preexec_fn=None, timeout=30):
        self.timeout = timeout
        self.problems = []  # "exception: ..." / "console.error: ..." from the page
        self.events = []  # (method, params) of the page session, for waits on events
        self._lock = threading.Condition()
        self._answers = {}
        self._next_id = 0
        self._dead = None
        self.profile = tempfile.mkdtemp(prefix="usher-chromium-")
        to_r, to_w = os.pipe()  # we write, Chromium reads (its fd 3)
        from_r, from_w = os.pipe()  # Chromium writes (its fd 4), we read
        to_r, from_w = _high_fd(to_r), _high_fd(from_w)
        argv = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--mute-audio", "--hide-scrollbars", "--lang=en-GB",
                "--force-color-profile=srgb", "--force-device-scale-factor=1",
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows",
                "--window-size=%d,%d" % (width, height), "about:blank"]
        def child():  # between fork and exec: the pipe ends become fds 3 and 4
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)
            if preexec_fn:
                preexec_fn()

        self._log = open(log, "ab")
        try:
            # close_fds=False keeps fds 3 and 4; every other fd of ours is
            # close-on-exec (Python's default), so nothing else leaks.
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
                                         close_fds=False, preexec_fn=child)
        finally:
            os.close(to_r)
            os.close(from_w)
        self._w = to_w
        self._r = from_r
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
            self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                     session=False)["sessionId"]
            self.call("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
            self.call("Page.enable")
            self.call("Runtime.enable")
        except BaseException:
            self.close()
            raise

    # ---- the pipe ----

    def _read_loop(self):
        buf = b""
        try:
            while True:
                data = os.read(self._r, 1 << 16)
                if not data:
                    break
                buf += data
                while b"\0" in buf:
                    raw, buf = buf.split(b"\0", 1)
                    self._dispatch(json.loads(raw.decode("utf-8")))
        except (OSError, ValueError) as e:
            with self._lock:
                self._dead = "reading Chromium's pipe: %s" % e
                self._lock.notify_all()
            return
        with self._lock:
            self._dead = "Chromium closed its DevTools pipe (exit status %r)" % self.proc.poll()
            self._lock.notify_all()

    def _dispatch(self, msg):
        with self._lock:
            if "id" in msg:
                self._answers[msg["id"]] = msg
                self._lock.notify_all()
                return
            method, params = msg.get("method"), msg.get("params", {})
            if msg.get("sessionId") != getattr(self, "session", None):
                return
            self.events.append((method, params))
            if method == "Runtime.exceptionThrown":
                d = params.get("exceptionDetails", {})
                text = (d.get("exception") or {}).get("description") or d.get("text")
                self.problems.append("exception: %s (%s:%s)" % (text, d.get("url", ""), d.get("lineNumber")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = [a.get("value", a.get("description", "")) for a in params.get("args", [])]
                self.problems.append("console.%s: %s" % (params["type"], " ".join(map(str, args))))
            self._lock.notify_all()

    def call(self, method, params=None, session=True, timeout=None):
        """Sends one command and returns its result; BrowserError on a
        protocol error, a dead browser or no answer within `timeout`."""
        with self._lock:
            self._next_id += 1
            mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode("utf-8") + b"\0"
        try:
            while data:
                n = os.write(self._w, data)
                data = data[n:]
        except OSError as e:
            raise BrowserError("%s: cannot write to Chromium's pipe (%s)" % (method, e))
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._lock:
            while mid not in self._answers:
                left = deadline - time.monotonic()
                if self._dead:
                    raise BrowserError("%s: %s" % (method, self._dead))
                if left <= 0:
                    raise BrowserError("%s: no answer from Chromium within %.0f s" % (method, timeout or self.timeout))
                self._lock.wait(left)
            msg = self._answers.pop(mid)
        if "error" in msg:
            raise BrowserError("%s: %s" % (method, msg["error"].get("message", msg["error"])))
        return msg.get("result", {})

    # ---- the page ----

    def navigate(self, url):
        """Loads url and waits for its load event (none comes when only the
        #fragment changes: the page itself sees a hashchange)."""
        with self._lock:
            start = len(self.events)
        r = self.call("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise BrowserError("loading %s: %s" % (url, r["errorText"]))
        if r.get("loaderId"):
            self.wait_event("Page.loadEventFired", start)

    def reload(self):
        with self._lock:
            start = len(self.events)
        self.call("Page.reload", {"ignoreCache": True})
        self.wait_event("Page.loadEventFired", start)

    def wait_event(self, method, start=0, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._lock:
            while True:
                for m, p in self.events[start:]:
                    if m == method:
                        return p
                left = deadline - time.monotonic()
                if self._dead:
                    raise BrowserError("waiting for %s: %s" % (method, self._dead))
                if left <= 0:
                    raise BrowserError("no %s within %.0f s" % (method, timeout or self.timeout))
                self._lock.wait(left)

    def eval(self, expr):
        """The value of a JavaScript expression (promises awaited), as JSON
        turns it into Python; BrowserError if it throws."""
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise BrowserError("%s threw %s" % (expr[:200], (d.get("exception") or {}).get("description") or d.get("text")))
        return r.get("result", {}).get("value")

    def wait(self, expr, seconds, what, show=None):
        """Polls expr until it is truthy and returns its value; BrowserError
        after `seconds` with the last value seen (or the value of the
        expression `show`, when given)."""
        deadline = time.monotonic() + seconds
        while True:
            last = self.eval(expr)
            if last:
                return last
            if time.monotonic() > deadline:
                if show:
                    last = self.eval(show)
                raise BrowserError("%s: not within %.1f s (%s %r)" % (what, seconds, "the page shows" if show else
                                                                        "last seen:", last))
            time.sleep(0.05)

    def screenshot(self, path=None, clip=None):
        """A PNG of the viewport (or of clip {x, y, width, height} in CSS
        pixels); written to path if given; returns the bytes."""
        params = {"format": "png"}
        if clip:
            params["clip"] = dict(clip, scale=1)
        png = base64.b64decode(self.call("Page.captureScreenshot", params)["data"])
        if path:
            with open(path, "wb") as f:
                f.write(png)
        return png

    def close(self):
        """Asks Chromium to quit, kills it if it does not, removes its profile."""
        if self.proc.poll() is None and not self._dead:
            try:
                self.call("Browser.close", session=False, timeout=5)
            except BrowserError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._w = self._r = -1
        self._log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- PNG ------------------------------------------------------------------------


def png_size(data):
    """(width, height) from a PNG's IHDR; BrowserError if it is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise BrowserError("not a PNG file")
    return struct.unpack(">II", data[16:24])


def png_pixels(data, rows=None):
    """Decodes an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes):
    returns (width, height, pixel) where pixel(x, y) is an (r, g, b) tuple.
    Only the first `rows` rows are decoded when given (faster)."""
    w, h = png_size(data)
    pos, idat, depth, ctype, interlace = 8, b"", None, None, None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            depth, ctype, interlace = body[8], body[9], body[12]
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + n
    if depth != 8 or ctype not in (2, 6) or interlace != 0:
        raise BrowserError("PNG of depth %r, colour type %r, interlace %r: not decoded here" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    stride = w * bpp
    rows = h if rows is None else max(0, min(h, rows))
    raw = zlib.decompressobj().decompress(idat, rows * (stride + 1))
    out = []
    prev = bytearray(stride)
    for y in range(rows):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ftype == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        elif ftype != 0:
            raise BrowserError("PNG row %d has filter type %d" % (y, ftype))
        out.append(line)
        prev = line

    def pixel(x, y):
        if not (0 <= x < w and 0 <= y < rows):
            raise BrowserError("pixel (%d, %d) outside the decoded %dx%d" % (x, y, w, rows))
        i = x * bpp
        return tuple(out[y][i:i + 3])

    return w, h, pixel

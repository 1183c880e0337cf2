#!/usr/bin/env python3
"""coord_ops.py - a long event's history for scripts/bench: N ops sent to a
running usher-coord in batches (POST /v1/sync, up to 1000 ops a request, each
device on its own keep-alive connection in its own thread). Kiosks hold and
release seats of their own, doors check guests in and out, so the event's
state stays small while its history grows by every op.

  coord_ops.py --port P --db EVENT.db --kiosks T1,T2,... --doors D1,... --ops 1000000
               [--batch 1000] [--round N]
  coord_ops.py --port P --db EVENT.db --kiosks T --snapshot

--snapshot takes a snapshot as a new device does, whole (GET /v1/snapshot) and
in pages (?paged=1, the layout, every page; gzip), and sends no ops.

(--db: the event's database, read only, for its ticket codes.)

Prints one line of key=value pairs: ops sent, verdicts by kind, seconds, ops a
second. Exit status 1 when a request failed or an op was not accepted.
"""
import argparse
import gzip
import http.client
import json
import sqlite3
import sys
import threading
import time
import uuid
from datetime import datetime, timezone


def now_text():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def get(port, path, token=None, gzipped=False):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": "Bearer " + token} if token else {}
    if gzipped:
        headers["Accept-Encoding"] = "gzip"
    c.request("GET", path, headers=headers)
    r = c.getresponse()
    body = r.read()
    if r.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    c.close()
    if r.status != 200:
        sys.exit("coord_ops: GET %s: %d" % (path, r.status))
    return json.loads(body)


def snapshot(port, token):
    """Both ways a device can join; returns the changes they held."""
    whole = get(port, "/v1/snapshot", token, gzipped=True)
    head = get(port, "/v1/snapshot?paged=1", token, gzipped=True)
    cur = head["cursor"]
    get(port, "/v1/snapshot?cursor=%d&page=layout" % cur, token, gzipped=True)
    paged = 0
    for i in range(head["pages"]):
        paged += len(get(port, "/v1/snapshot?cursor=%d&page=%d" % (cur, i), token,
                         gzipped=True)["changes"])
    return len(whole["changes"]), paged


class Device(threading.Thread):
    """Sends its share of ops: kinds alternate over its own seats or tickets,
    so every op is accepted."""

    def __init__(self, port, token, kinds, targets, key, count, batch, step=0):
        super().__init__(daemon=True)
        self.step = step
        self.port, self.token, self.kinds, self.targets, self.key = port, token, kinds, targets, key
        self.count, self.batch = count, batch
        self.verdicts, self.failed = {}, None

    def run(self):
        try:
            self.send_all()
        except Exception as e:  # reported by main
            self.failed = "%s: %s" % (type(e).__name__, e)

    def send_all(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        cursor, sent, step = 0, 0, self.step
        while sent < self.count:
            n = min(self.batch, self.count - sent)
            ops = []
            for _ in range(n):
                # one full round of the first kind over every target, then the second
                target = self.targets[step % len(self.targets)]
                kind = self.kinds[(step // len(self.targets)) % 2]
                ops.append({"id": str(uuid.uuid4()), "kind": kind, self.key: target,
                            "at": now_text()})
                step += 1
            body = json.dumps({"cursor": cursor, "ops": ops})
            c.request("POST", "/v1/sync", body, {"Authorization": "Bearer " + self.token,
                                                 "Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
            if r.status != 200:
                raise RuntimeError("POST /v1/sync: %d %s" % (r.status, data[:200]))
            reply = json.loads(data)
            cursor = reply.get("cursor", cursor)
            for v in reply.get("verdicts", []):
                k = v.get("status", "?")
                self.verdicts[k] = self.verdicts.get(k, 0) + 1
            sent += n
        c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--db", required=True, help="the event's database (read only)")
    ap.add_argument("--kiosks", required=True, help="kiosk tokens, comma-separated")
    ap.add_argument("--doors", default="", help="door tokens, comma-separated")
    ap.add_argument("--ops", type=int, default=1000000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--snapshot", action="store_true", help="take a snapshot, send no ops")
    ap.add_argument("--round", type=int, default=0,
                    help="start at this round (even: hold or checkin first, odd: release or checkout)")
    a = ap.parse_args()
    if not 1 <= a.batch <= 1000 or a.ops < 1:
        sys.exit("coord_ops: --batch from 1 to 1000, --ops at least 1")
    kiosks = [t for t in a.kiosks.split(",") if t]
    if a.snapshot:
        print("snapshot_changes=%d paged_changes=%d" % snapshot(a.port, kiosks[0]))
        return 0
    doors = [t for t in a.doors.split(",") if t]
    layout = get(a.port, "/v1/layout", kiosks[0])
    seats = [s["id"] for sec in layout["sections"] for s in sec["seats"]]
    q = sqlite3.connect("file:%s?mode=ro" % a.db, uri=True)
    codes = [r[0] for r in q.execute("SELECT code FROM tickets WHERE revoked = 0 ORDER BY rowid")]
    q.close()
    devs = []
    share = a.ops // (len(kiosks) + len(doors))
    for i, t in enumerate(kiosks):
        mine = seats[i::len(kiosks)]
        devs.append(Device(a.port, t, ("hold", "release"), mine, "seat", share, a.batch,
                           a.round * len(mine)))
    for i, t in enumerate(doors):
        mine = codes[i::len(doors)] if codes else []
        if not mine:
            sys.exit("coord_ops: no tickets for the doors to check in")
        devs.append(Device(a.port, t, ("checkin", "checkout"), mine, "ticket", share, a.batch,
                           a.round * len(mine)))
    devs[0].count += a.ops - share * len(devs)
    t0 = time.monotonic()
    for d in devs:
        d.start()
    for d in devs:
        d.join()
    secs = time.monotonic() - t0
    verdicts = {}
    for d in devs:
        for k, v in d.verdicts.items():
            verdicts[k] = verdicts.get(k, 0) + v
    failed = [d.failed for d in devs if d.failed]
    print("ops=%d seconds=%.2f ops_per_s=%.0f %s%s" % (
        sum(verdicts.values()), secs, sum(verdicts.values()) / secs if secs else 0,
        " ".join("%s=%d" % kv for kv in sorted(verdicts.items())),
        (" failed=%r" % failed[0]) if failed else ""))
    return 1 if failed or set(verdicts) - {"accepted"} else 0


if __name__ == "__main__":
    sys.exit(main())

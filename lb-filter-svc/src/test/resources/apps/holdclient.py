"""Lab client for the handover tests: one long-lived TCP connection per source address, a line every 100 ms on each,
every reply awaited (2 s). A connection that fails (reset, timeout, closed) is a "break": reported, then a new
connection is opened from the same address.

usage: holdclient.py VIP PORT STOPFILE SRC [SRC ...]
Prints JSON lines: {"ev": "up", "src", "node", "conn"} for each connection's first reply,
{"ev": "break", "src", "node", "conn", "why"} for each failure, and every second {"ev": "tick", "ok": n}
(replies in the last second). Ends when STOPFILE exists (closing every connection cleanly).
"""
import json
import os
import socket
import sys
import threading
import time

vip, port, stopfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
srcs = sys.argv[4:]
lock = threading.Lock()
ok = [0]


def out(**kw):
    with lock:
        print(json.dumps(kw), flush=True)


def hold(src):
    conn = 0
    while not os.path.exists(stopfile):
        conn += 1
        node = None
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2.0)
        try:
            s.bind((src, 0))
            s.connect((vip, port))
            f = s.makefile("rb")
            n = 0
            while not os.path.exists(stopfile):
                n += 1
                s.sendall(b"%s %d\n" % (src.encode(), n))
                line = f.readline()
                if not line:
                    raise ConnectionError("closed")
                who = line.split(b" ", 1)[0].decode()
                if node is None:
                    node = who
                    out(ev="up", src=src, node=node, conn=conn)
                elif who != node:
                    raise ConnectionError("answered by " + who)
                with lock:
                    ok[0] += 1
                time.sleep(0.1)
        except Exception as e:  # noqa: BLE001 - every failure is a break, reported
            out(ev="break", src=src, node=node, conn=conn, why=type(e).__name__ + ":" + str(e)[:60])
            time.sleep(0.2)
        finally:
            s.close()


threads = [threading.Thread(target=hold, args=(s,), daemon=True) for s in srcs]
for t in threads:
    t.start()
while not os.path.exists(stopfile):
    time.sleep(1)
    with lock:
        n, ok[0] = ok[0], 0
    out(ev="tick", ok=n)
for t in threads:
    t.join(5)
out(ev="end")

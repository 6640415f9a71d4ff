"""Recovery probe: one thread per source address retries a request to the VIP until a node other than LOST
answers it (or DEADLINE seconds pass), then prints when. Times are CLOCK_MONOTONIC seconds (as Java's nanoTime).

usage: farmprobe.py VIP PORT LOST DEADLINE SRC [SRC ...]
Prints "ready <t>" once started, then one line per source: "<src> <t|-> <last answer>", then "done".
"""
import socket
import sys
import threading
import time

vip, port, lost, deadline = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
srcs = sys.argv[5:]
out = {}
start = time.monotonic()


def ask(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.25)
    try:
        s.bind((src, 0))
        s.connect((vip, port))
        s.sendall(b"GET / HTTP/1.0\r\nHost: vip\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return body.decode().strip() if b" 200 " in head else "ERR:bad-reply"
    except Exception as e:  # noqa: BLE001 - every failure is a retry
        return "ERR:" + type(e).__name__
    finally:
        s.close()


def probe(src):
    last = "none"
    while time.monotonic() - start < deadline:
        last = ask(src)
        if last.startswith("web@") and last != "web@" + lost:
            out[src] = ("%.6f" % time.monotonic(), last)
            return
        time.sleep(0.01)
    out[src] = ("-", last)


print("ready %.6f" % time.monotonic(), flush=True)
threads = [threading.Thread(target=probe, args=(src,)) for src in srcs]
for t in threads:
    t.start()
for t in threads:
    t.join()
for src in srcs:
    print(src, out[src][0], out[src][1], flush=True)
print("done", flush=True)

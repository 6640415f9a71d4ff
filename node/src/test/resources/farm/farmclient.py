"""Farm test client: one HTTP/1.0 request per source address (one new TCP connection each), WORKERS at a time
(the sample app is socat with its default listen backlog of 5: more parallel SYNs per node would be dropped).

usage: farmclient.py VIP PORT TIMEOUT WORKERS SRC [SRC ...]
Prints one line per source: "<src> <answer>" (answer = the body, or "ERR:<reason>").
"""
import socket
import sys
import threading

vip, port, timeout, workers = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
srcs = sys.argv[5:]
out = {}


def one(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
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
        out[src] = body.decode().strip() if head.startswith(b"HTTP/1.") and b" 200 " in head else "ERR:bad-reply"
    except Exception as e:  # noqa: BLE001 - every failure is reported, never raised
        out[src] = "ERR:" + type(e).__name__
    finally:
        s.close()


queue = list(reversed(srcs))
lock = threading.Lock()


def work():
    while True:
        with lock:
            if not queue:
                return
            src = queue.pop()
        one(src)


threads = [threading.Thread(target=work) for _ in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for src in srcs:
    print(src, out.get(src, "ERR:none"), flush=True)

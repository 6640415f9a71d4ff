"""Lab test client: one HTTP/1.0 request per new TCP connection, from given source addresses.

usage: client.py VIP PORT REPEAT TAG SRC [SRC ...]
Prints one JSON line per request: {"src", "sport", "id", "node"} (node = "ERR:<reason>" on failure).
"""
import json
import socket
import sys

vip, port, repeat, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
srcs = sys.argv[5:]
n = 0
for r in range(repeat):
    for src in srcs:
        n += 1
        rid = "%s-%d" % (tag, n)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2.0)
        sport = 0
        try:
            s.bind((src, 0))
            sport = s.getsockname()[1]
            s.connect((vip, port))
            s.sendall(("GET /r/%s HTTP/1.0\r\nHost: vip\r\n\r\n" % rid).encode())
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            node = body.decode().strip() if head.startswith(b"HTTP/1.") and b" 200 " in head else "ERR:bad reply"
        except Exception as e:  # noqa: BLE001 - every failure is reported, never raised
            node = "ERR:" + type(e).__name__
        finally:
            s.close()
        print(json.dumps({"src": src, "sport": sport, "id": rid, "node": node}), flush=True)

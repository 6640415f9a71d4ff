"""Recovery probe: one thread per source address retries a request to the VIP until a node other than LOST
answers it (or DEADLINE seconds pass), then prints when. Times are CLOCK_MONOTONIC seconds (as Java's nanoTime).

Two timeouts, on purpose different. CONNECT (250 ms): a SYN that no kernel accepts (its bucket not moved yet) is
dropped silently, and the kernel would retransmit it only after 1 s, then 3 s: a new connection every 260 ms
measures the move to within a quarter second instead. REPLY (5 s): once a kernel accepted the connection, the
answer is awaited. The sample app forks socat + sh per connection (listen backlog 5); on a loaded machine that
takes more than 250 ms, and a probe that gave up on the reply after 250 ms kept ~100 abandoned forks a second
going, so the app never answered anyone in time again (run 2 of 2026-12-01: 24 clients "not served within 30 s"
while both survivors owned every bucket — a livelock of the probe, not of the farm).

The first attempts wait for the file GO (created by the bench once LOST is dead and its VIP gone): an attempt
already in flight when LOST died is a connection LOST's kernel accepted and will never answer — lost with its
node, as in any farm without connection sync — and would only measure the probe's REPLY timeout. Before GO,
LOST's own app still answers on its VIP (the agent is dead, not the app): nothing to measure there either.

usage: farmprobe.py VIP PORT LOST DEADLINE GO SRC [SRC ...]
Prints "ready <t>" once started, "go <t>" when GO appeared, then one line per source: "<src> <t|-> <last answer>",
then one line per attempt: "try <src> <start> <end> <answer or ERR:<exception>@<connect|recv>>", then "done".
"""
import os
import socket
import sys
import threading
import time

vip, port, lost, deadline, go = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), sys.argv[5]
srcs = sys.argv[6:]
CONNECT, REPLY = 0.25, 5.0
out = {}
trace = []  # every attempt (list.append is atomic in CPython): printed after the results, for the report
start = time.monotonic()


def ask(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(CONNECT)
    stage = "bind"
    try:
        s.bind((src, 0))
        stage = "connect"
        s.connect((vip, port))
        stage = "recv"
        s.settimeout(REPLY)
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
        return "ERR:" + type(e).__name__ + "@" + stage
    finally:
        s.close()


def probe(src):
    last = "none"
    while time.monotonic() - start < deadline:
        t = time.monotonic()
        last = ask(src)
        trace.append("try %s %.6f %.6f %s" % (src, t, time.monotonic(), last))
        if last.startswith("web@") and last != "web@" + lost:
            out[src] = ("%.6f" % time.monotonic(), last)
            return
        time.sleep(0.01)
    out[src] = ("-", last)


print("ready %.6f" % time.monotonic(), flush=True)
while not os.path.exists(go):
    if time.monotonic() - start > 120:
        sys.exit("no " + go + " within 120 s")
    time.sleep(0.001)
start = time.monotonic()
print("go %.6f" % start, flush=True)
threads = [threading.Thread(target=probe, args=(src,)) for src in srcs]
for t in threads:
    t.start()
for t in threads:
    t.join()
for src in srcs:
    print(src, out[src][0], out[src][1], flush=True)
for line in trace:
    print(line)
print("done", flush=True)

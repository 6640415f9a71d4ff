"""Lab test client for UDP: COUNT datagrams from SRC, each from a new socket (new source port).

usage: udpclient.py VIP PORT COUNT TAG SRC
Prints one JSON line per datagram: {"src", "sport", "id", "nodes"}: every node that answered within 1 s.
"""
import json
import socket
import sys

vip, port, count, tag, src = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
for i in range(count):
    rid = "%s-%d" % (tag, i)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(0.5)
    s.sendto(rid.encode(), (vip, port))
    nodes = []
    try:
        while True:  # collect every answer: more than one would mean two nodes kept the same datagram
            data, _ = s.recvfrom(2048)
            nodes.append(data.decode())
    except socket.timeout:
        pass
    print(json.dumps({"src": src, "sport": s.getsockname()[1], "id": rid, "nodes": nodes}), flush=True)
    s.close()

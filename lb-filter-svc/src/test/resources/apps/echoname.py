"""Lab app for the handover tests: a TCP server that answers every line with "<node> <line>", one thread per
connection (long-lived connections).

usage: echoname.py NODE PORT
"""
import socket
import sys
import threading

node, port = sys.argv[1], int(sys.argv[2])


def serve(conn):
    with conn:
        f = conn.makefile("rb")
        try:
            for line in f:
                conn.sendall(node.encode() + b" " + line)
        except OSError:
            pass


srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", port))
srv.listen(256)
print("listening", port, flush=True)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()

"""UDP app for lab tests: answers every datagram with this node's name; logs "client_ip client_port payload"."""
import socket
import sys

NAME, PORT = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", PORT))
print("listening udp %s %d" % (NAME, PORT), flush=True)
while True:
    data, peer = s.recvfrom(2048)
    print("%s %d %s" % (peer[0], peer[1], data.decode(errors="replace")), flush=True)
    s.sendto(NAME.encode(), peer)

"""Tiny HTTP app for lab tests: answers every GET with this node's name; logs "client_ip client_port path" lines."""
import http.server
import socketserver
import sys

NAME = sys.argv[1]
PORT = int(sys.argv[2])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = (NAME + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        sys.stdout.write("%s %d %s\n" % (self.client_address[0], self.client_address[1], self.path))
        sys.stdout.flush()

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024


sys.stdout.write("listening %s %d\n" % (NAME, PORT))
sys.stdout.flush()
Server(("0.0.0.0", PORT), Handler).serve_forever()

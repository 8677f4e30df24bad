"""A test webhook receiver: answers 200 to every POST and appends it as one JSON line
{"time", "path", "body"} to a file. Usage: receiver.py PORT FILE [BIND]"""
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        try:
            body = json.loads(raw.decode('utf-8'))
        except ValueError:
            body = raw.decode('utf-8', 'replace')
        with open(self.server.record, 'a') as f:
            f.write(json.dumps(dict(time=time.time(), path=self.path, body=body)) + '\n')
        self.send_response(200)
        self.send_header('Content-Type', 'text/plain')
        self.end_headers()
        self.wfile.write(b'ok')

    def do_GET(self):  # readiness probe
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'ready')

    def log_message(self, *args):
        pass


if __name__ == '__main__':
    server = HTTPServer((sys.argv[3] if len(sys.argv) > 3 else '0.0.0.0', int(sys.argv[1])), Handler)
    server.record = sys.argv[2]
    os.makedirs(os.path.dirname(os.path.abspath(server.record)), exist_ok=True)
    open(server.record, 'a').close()
    server.serve_forever()

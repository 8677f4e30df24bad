"""A test webhook receiver: answers 200 to every POST and appends it as one JSON line
{"time", "path", "body"} to a file; it also stands for PagerDuty's Events API (202 with a
JSON status on /v2/enqueue). With SMTP_PORT and SMTP_FILE it runs smtp_sink.py alongside.
Usage: receiver.py PORT FILE [BIND [SMTP_PORT SMTP_FILE]]"""
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
        if self.path.startswith('/v2/enqueue'):  # PagerDuty Events API v2
            self.send_response(202)
            self.send_header('Content-Type', 'application/json')
            self.end_headers()
            self.wfile.write(json.dumps(dict(status='success', message='Event processed',
                                             dedup_key=(body or {}).get('dedup_key'))).encode('utf-8'))
            return
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
    if len(sys.argv) > 5:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from smtp_sink import Sink
        Sink(sys.argv[4], sys.argv[5], sys.argv[3]).start()
    server.serve_forever()

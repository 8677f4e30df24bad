"""A fake Patroni REST API on loopback, for the answers a real Patroni never gives (malformed bodies, a
hostile /cluster): canned answers per (method, path), and a record of every request it received with its
Authorization header and body. Start one per test; tests/integration/test_patroni.py runs the real cluster."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakePatroni(object):
    def __init__(self, host='127.0.0.1'):
        self.routes = {}     # (method, path) -> (status, body) or a callable(fake) -> (status, body)
        self.received = []   # dict(method, path, auth, body)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length).decode('utf-8', 'replace') if length else None
                fake.received.append(dict(method=self.command, path=self.path,
                                          auth=self.headers.get('Authorization'), body=body))
                route = fake.routes.get((self.command, self.path), (404, 'no such endpoint'))
                status, answer = route(fake) if callable(route) else route
                data = (answer if isinstance(answer, str) else json.dumps(answer)).encode('utf-8')
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.url = 'http://%s:%d' % (host, self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, method, path, status, body):
        self.routes[(method, path)] = (status, body)

    def writes(self):
        return [r for r in self.received if r['method'] != 'GET']

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def member(name, role, api_url, state='running', lag=0, **extra):
    m = dict(name=name, role=role, state=state, host='127.0.0.1', port=5432, timeline=1, api_url=api_url)
    if role != 'leader':
        m['lag'] = lag
    m.update(extra)
    return m

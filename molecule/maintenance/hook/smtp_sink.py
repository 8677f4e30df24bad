"""A test SMTP sink: accepts every message and appends it as one JSON line
{"time", "mail_from", "rcpt_to", "tls", "auth_user", "data"} to a file.

STARTTLS when given a certificate and key; AUTH PLAIN (offered only after STARTTLS) when given
a user and password, wrong credentials are refused with 535. Standard library only, so it runs
in the scenario's receiver container and in the integration tests on loopback.
Usage: smtp_sink.py PORT FILE [BIND]"""
import base64
import json
import os
import socketserver
import ssl
import sys
import threading
import time


class Handler(socketserver.StreamRequestHandler):
    def reply(self, text):
        self.wfile.write((text + '\r\n').encode('utf-8'))
        self.wfile.flush()

    def handle(self):
        srv, tls, user = self.server, False, None
        mail_from, rcpt_to = None, []
        self.reply('220 pgwarden-sink ESMTP')
        while True:
            line = self.rfile.readline()
            if not line:
                return
            cmd = line.decode('utf-8', 'replace').rstrip('\r\n')
            verb = cmd.split(' ', 1)[0].upper()
            if verb in ('EHLO', 'HELO'):
                caps = ['pgwarden-sink', '8BITMIME']
                if srv.tls_context and not tls:
                    caps.append('STARTTLS')
                if srv.credentials and (tls or not srv.tls_context):
                    caps.append('AUTH PLAIN')
                for cap in caps[:-1]:
                    self.reply('250-' + cap)
                self.reply('250 ' + caps[-1])
            elif verb == 'STARTTLS' and srv.tls_context and not tls:
                self.reply('220 ready to start TLS')
                self.connection = srv.tls_context.wrap_socket(self.connection, server_side=True)
                self.rfile = self.connection.makefile('rb')
                self.wfile = self.connection.makefile('wb')
                tls = True
            elif verb == 'AUTH' and srv.credentials:
                parts = cmd.split(' ')
                if len(parts) < 3 or parts[1].upper() != 'PLAIN':
                    self.reply('504 only AUTH PLAIN with an initial response')
                    continue
                _zid, got_user, got_pass = base64.b64decode(parts[2]).decode('utf-8').split('\0')
                if (got_user, got_pass) == srv.credentials:
                    user = got_user
                    self.reply('235 authenticated')
                else:
                    self.reply('535 authentication failed')
            elif verb == 'MAIL':
                if srv.credentials and not user:
                    self.reply('530 authentication required')
                    continue
                mail_from, rcpt_to = cmd.split(':', 1)[1].strip(), []
                self.reply('250 ok')
            elif verb == 'RCPT':
                rcpt_to.append(cmd.split(':', 1)[1].strip())
                self.reply('250 ok')
            elif verb == 'DATA':
                self.reply('354 end with .')
                lines = []
                while True:
                    data = self.rfile.readline().decode('utf-8', 'replace')
                    if data.rstrip('\r\n') == '.' or not data:
                        break
                    lines.append(data[1:] if data.startswith('..') else data)
                with srv.lock, open(srv.record, 'a') as f:
                    f.write(json.dumps(dict(time=time.time(), mail_from=mail_from, rcpt_to=rcpt_to, tls=tls,
                                            auth_user=user, data=''.join(lines))) + '\n')
                self.reply('250 queued')
            elif verb in ('RSET', 'NOOP'):
                self.reply('250 ok')
            elif verb == 'QUIT':
                self.reply('221 bye')
                return
            else:
                self.reply('502 not implemented')


class Sink(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port, record, bind='0.0.0.0', certfile=None, keyfile=None, credentials=None):
        socketserver.ThreadingTCPServer.__init__(self, (bind, int(port)), Handler)
        self.record, self.lock, self.credentials = record, threading.Lock(), credentials
        self.tls_context = None
        if certfile:
            self.tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls_context.load_cert_chain(certfile, keyfile)
        os.makedirs(os.path.dirname(os.path.abspath(record)), exist_ok=True)
        open(record, 'a').close()

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


if __name__ == '__main__':
    Sink(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else '0.0.0.0').serve_forever()

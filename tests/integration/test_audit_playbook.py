"""playbooks/audit.yml through a real ansible-playbook: reports per host and for the inventory, per-host
errors that do not stop the others, and the HTML page rendered by a real headless browser (Chromium)."""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import zlib

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync']


def _closed_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there any more: ssh to it is refused at once
    return port


@pytest.fixture(scope='module')
def report(pg, tmp_path_factory):
    pg.query('DROP ROLE IF EXISTS audit_weak')
    pg.query('CREATE ROLE audit_weak LOGIN')
    out = tmp_path_factory.mktemp('audit-report')
    conn = 'ansible_connection=local ansible_python_interpreter=%s audit_become=false audit_login_unix_socket=%s ' \
           'audit_port=%d' % (sys.executable, pg.socket_dir, pg.port)
    inventory = out / 'inventory.ini'
    inventory.write_text('[postgresql]\ndb-good %s audit_rto_minutes=60\ndb-weak %s audit_login_user=audit_weak\n'
                         'db-gone ansible_host=127.0.0.1 ansible_port=%d ansible_user=nobody ansible_connection=ssh\n'
                         % (conn, conn, _closed_port()))
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_HOST_KEY_CHECKING='false', ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_SSH_ARGS='-o ConnectTimeout=5 -o BatchMode=yes')
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', str(inventory),
                           os.path.join(ROOT, 'playbooks', 'audit.yml'), '-e', 'audit_report_dir=%s' % (out / 'r')],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    pg.query('DROP ROLE audit_weak')
    assert proc.returncode in (0, 2, 4), proc.stdout  # failed/unreachable hosts are reported, not fatal
    assert 'PLAY RECAP' in proc.stdout, proc.stdout
    return out / 'r', proc.stdout


def test_reports_for_every_host_and_the_inventory(report):
    out, stdout = report
    names = sorted(os.listdir(out))
    assert names == sorted('%s.%s' % (h, e) for h in ('db-good', 'db-weak', 'db-gone', 'inventory')
                           for e in ('json', 'md', 'html'))
    inv = json.loads((out / 'inventory.json').read_text())
    hosts = dict((h['host'], h) for h in inv['hosts'])
    assert (inv['audited'], inv['errors']) == (1, 2)
    good = hosts['db-good']
    assert good['status'] == 'ok' and good['score']['total'] == 9
    assert ('ssl_off', 'high') in [(f['id'], f['severity']) for f in good['findings']]
    assert hosts['db-weak'] == dict(host='db-weak', report_name='db-weak', status='error', error=(
        'login_user audit_weak lacks the rights to audit this server: it needs membership in pg_monitor '
        '(GRANT pg_monitor TO audit_weak) or superuser'))
    assert hosts['db-gone']['status'] == 'error' and hosts['db-gone']['error'].startswith('unreachable: ')
    assert json.loads((out / 'db-good.json').read_text()) == good
    md = (out / 'inventory.md').read_text()
    assert '| db-weak | - | - | - | - | - | error: login_user audit_weak lacks the rights' in md
    assert '### Operational checklist: %d/9' % good['score']['passed'] in md and '### High findings' in md
    assert '1 host(s) audited, 2 not audited' in stdout
    if os.environ.get('PGW_AUDIT_ARTIFACTS'):
        shutil.copy(str(out / 'inventory.md'), os.environ['PGW_AUDIT_ARTIFACTS'])
        shutil.copy(str(out / 'inventory.html'), os.environ['PGW_AUDIT_ARTIFACTS'])


def _png_size_and_colours(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    width, height = struct.unpack('>II', data[16:24])
    pos, idat = 8, b''
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        if kind == b'IDAT':
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


def test_the_html_page_renders_score_and_findings_in_chromium(report):
    out = report[0]
    chromium = shutil.which('chromium')
    if not chromium:
        pytest.skip('chromium is not installed (scripts/install-deps.sh installs it)')
    page = 'file://%s' % (out / 'inventory.html')
    profile = tempfile.mkdtemp(prefix='pgw-chromium-')
    try:
        dom = subprocess.run([chromium] + CHROMIUM_FLAGS + ['--user-data-dir=%s' % profile, '--dump-dom', page],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=120, check=True).stdout
        shot = str(out.parent / 'inventory.png')
        cmd = [chromium] + CHROMIUM_FLAGS + ['--user-data-dir=%s' % profile, '--screenshot=%s' % shot,
                                             '--window-size=1200,1600', page]
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120, check=True)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    inv = json.loads((out / 'inventory.json').read_text())
    good = [h for h in inv['hosts'] if h['host'] == 'db-good'][0]
    assert '<p class="score">Score %d/9 (%d%%)</p>' % (good['score']['passed'], good['score']['percent']) in dom
    assert dom.count('<tr class="finding high">') == good['summary']['high'] >= 1
    assert dom.count('<tr class="finding ') == len(good['findings'])
    assert 'Not audited: login_user audit_weak lacks the rights' in dom and 'Not audited: unreachable: ' in dom
    width, height, colours = _png_size_and_colours(shot)
    assert (width, height) == (1200, 1600) and colours > 20
    if os.environ.get('PGW_AUDIT_ARTIFACTS'):
        shutil.copy(shot, os.environ['PGW_AUDIT_ARTIFACTS'])

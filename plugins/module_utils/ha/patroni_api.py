# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way the collection talks to Patroni's REST API.

Every request goes through `PatroniApi`: base URLs of the members, basic auth, TLS and
timeouts come from the shared options (doc fragment pgwarden.postgresql.patroni). Each
request is recorded in `requests` (method, URL, body with secrets masked, HTTP status).
In check mode only GET is sent; a POST/PATCH/DELETE is recorded with `sent: false` and
never leaves the controller. Failures raise `PatroniApiError`, naming the URL, the HTTP
status and Patroni's answer.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_plan import HEALTHY_STATES, leader, members

MASK = '********'
_SECRET_KEY = re.compile(r'(password|passphrase|secret|token|private_key)', re.I)

# Options every Patroni module shares (doc fragment pgwarden.postgresql.patroni).
PATRONI_ARGUMENT_SPEC = dict(
    api_url=dict(type='list', elements='str', required=True),
    api_username=dict(type='str'),
    api_password=dict(type='str', no_log=True),
    ca_file=dict(type='path'),
    client_cert=dict(type='path'),
    client_key=dict(type='path', no_log=False),
    validate_certs=dict(type='bool', default=True),
    timeout=dict(type='int', default=30),
)


def patroni_argument_spec(**extra):
    spec = dict((k, dict(v)) for k, v in PATRONI_ARGUMENT_SPEC.items())
    spec.update(extra)
    return spec


def mask_secrets(value):
    """A copy of a request body with the values of secret-looking keys masked."""
    if isinstance(value, dict):
        return dict((k, MASK if _SECRET_KEY.search(str(k)) and v is not None else mask_secrets(v))
                    for k, v in value.items())
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def error_text(text):
    """Patroni's error answer: plain text, or the message of Python's default HTML error page."""
    text = (text or '').strip()
    if text.startswith('<'):
        paragraphs = re.findall(r'<p>(.*?)</p>', text, re.S)
        text = ' '.join(re.sub(r'\s+', ' ', p).strip() for p in paragraphs) or re.sub(r'<[^>]+>|\s+', ' ', text).strip()
    return text[:500]


def base_url(url):
    """A member's base URL from an option value or a /cluster api_url (which ends in /patroni)."""
    url = url.rstrip('/')
    return url[:-len('/patroni')] if url.endswith('/patroni') else url


class PatroniApiError(Exception):
    def __init__(self, method, url, status, message):
        self.method, self.url, self.status, self.body = method, url, status, message
        what = 'HTTP %s' % status if status else 'no answer'
        super(PatroniApiError, self).__init__('%s %s: %s: %s' % (method, url, what, message))


class PatroniApi(object):
    def __init__(self, module):
        p = module.params
        self.module = module
        self.check_mode = module.check_mode
        self.urls = [base_url(u) for u in p['api_url']]
        self.requests = []
        self._auth = dict(url_username=p['api_username'], url_password=p['api_password'],
                          force_basic_auth=bool(p['api_username']))
        self._tls = dict(validate_certs=p['validate_certs'], ca_path=p['ca_file'],
                         client_cert=p['client_cert'], client_key=p['client_key'])
        self.timeout = p['timeout']
        if not self.urls:
            module.fail_json(msg='api_url: give the REST API URL of at least one member')
        for url in self.urls:
            if not re.match(r'^https?://[^/]+$', url):
                module.fail_json(msg='api_url: %r is not a base URL like https://host:8008' % url)

    def request(self, method, url, body=None, timeout=None):
        """Send one request to a full URL; the decoded answer (JSON or text). Recorded; writes skipped in check mode."""
        entry = dict(method=method, url=url, body=mask_secrets(body) if body is not None else None, status=None,
                     sent=not (self.check_mode and method != 'GET'))
        self.requests.append(entry)
        if not entry['sent']:
            return None
        data = to_bytes(json.dumps(body)) if body is not None else None
        headers = {'Content-Type': 'application/json'} if data is not None else {}
        try:
            resp = open_url(url, data=data, headers=headers, method=method, timeout=timeout or self.timeout,
                            http_agent='pgwarden.postgresql', **dict(self._auth, **self._tls))
            entry['status'] = resp.getcode()
            text = to_text(resp.read())
        except HTTPError as e:
            entry['status'] = e.code
            try:
                text = to_text(e.read()).strip()
            except Exception:  # pylint: disable=broad-except
                text = ''
            raise PatroniApiError(method, url, e.code, error_text(text) or to_native(e.reason))
        except (URLError, IOError, OSError) as e:
            raise PatroniApiError(method, url, None, to_native(getattr(e, 'reason', e)))
        try:
            return json.loads(text)
        except ValueError:
            return text

    def status(self, url, timeout=None):
        """HTTP status of a GET health endpoint (/primary, /replica, /health); None when unreachable. Recorded."""
        entry = dict(method='GET', url=url, body=None, status=None, sent=True)
        self.requests.append(entry)
        try:
            resp = open_url(url, method='GET', timeout=timeout or self.timeout, http_agent='pgwarden.postgresql',
                            **self._tls)
            entry['status'] = resp.getcode()
        except HTTPError as e:
            entry['status'] = e.code
        except (URLError, IOError, OSError):
            pass
        return entry['status']

    def cluster_get(self, path):
        """GET a cluster-wide endpoint (/cluster, /config) from the first member that answers."""
        errors = []
        for url in self.urls:
            try:
                return self.request('GET', url + path)
            except PatroniApiError as e:
                errors.append(str(e))
        raise PatroniApiError('GET', ', '.join(u + path for u in self.urls), None,
                              'no member answered: ' + '; '.join(errors))

    def cluster_write(self, method, path, body, timeout=None):
        """A cluster-wide write (PATCH /config, POST /switchover): sent to the first member whose API answers.

        Only an unreachable member is skipped; an HTTP error from Patroni is final (it was received)."""
        last = None
        for url in self.urls:
            try:
                return self.request(method, url + path, body, timeout)
            except PatroniApiError as e:
                if e.status is not None:
                    raise
                last = e
        raise last

    def wait(self, predicate, timeout, interval=1.0):
        """Poll `predicate()` (which may raise PatroniApiError while a member restarts) until it is true or the
        timeout passes; the seconds waited, or None on timeout."""
        start = time.time()
        while True:
            try:
                if predicate():
                    return round(time.time() - start, 1)
            except PatroniApiError:
                pass
            if time.time() - start >= timeout:
                return None
            time.sleep(interval)


def cluster_member(api, name):
    """The member `name` of GET /cluster (normalised), or None."""
    found = [m for m in members(api.cluster_get('/cluster')) if m['name'] == name]
    return found[0] if found else None


def wait_writable(api, name, timeout):
    """Seconds until `name` leads and its GET /primary answers 200; None on timeout."""
    def ready():
        m = cluster_member(api, name)
        return bool(m and leader([m]) and m['state'] == 'running' and m['api_url']
                    and api.status(base_url(m['api_url']) + '/primary') == 200)
    return api.wait(ready, timeout)


def wait_running(api, name, timeout, started_before=None):
    """Seconds until `name` runs (state running/streaming, GET /health 200), nothing pending and, when
    `started_before` is given, its postmaster started after that (a restart or reinit happened)."""
    def ready():
        m = cluster_member(api, name)
        if not m or m['state'] not in HEALTHY_STATES or m['pending_restart'] or not m['api_url']:
            return False
        url = base_url(m['api_url'])
        if started_before is not None and api.request('GET', url + '/patroni').get('postmaster_start_time') == started_before:
            return False
        return api.status(url + '/health') == 200
    return api.wait(ready, timeout)

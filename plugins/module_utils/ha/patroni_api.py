# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way the collection talks to Patroni's REST API.

Every request goes through `PatroniApi`: base URLs of the members, basic auth, TLS and
timeouts come from the shared options (doc fragment pgwarden.postgresql.patroni). Each
request is recorded in `requests` (method, URL, body with secrets masked, HTTP status).
In check mode only GET is sent; a POST/PATCH/DELETE is recorded with `sent: false` and
never leaves the controller. Failures raise `PatroniApiError`, naming the URL, the HTTP
status and Patroni's answer; an answer that is not shaped as Patroni's is such a failure too.

Trust: requests (and the credentials) go only to the URLs of `api_url` and to member URLs that
`/cluster` publishes with https on a host `api_url` names (`trusted()`); anything else is refused
(`UntrustedUrl`) before it is sent, unless `trust_published_urls` is set.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible.module_utils.urls import open_url
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible_collections.pgwarden.postgresql.plugins.module_utils.ha.patroni_plan import (
    HEALTHY_STATES, MalformedAnswer, leader, members)

MASK = '********'
_SECRET_KEY = re.compile(r'(password|passphrase|secret|token|private_key)', re.I)
# a secret inside a text value: conninfo/command-line style key=value, or the password of a URL's user info
_SECRET_IN_TEXT = re.compile(r"((?:password|passphrase|secret|token)[\w-]*\s*[=:]\s*)('[^']*'|\"[^\"]*\"|[^\s'\"]+)", re.I)
_URL_PASSWORD = re.compile(r'(://[^/@:\s]*:)([^/@\s]+)(@)')

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
    trust_published_urls=dict(type='bool', default=False),
)


def patroni_argument_spec(**extra):
    spec = dict((k, dict(v)) for k, v in PATRONI_ARGUMENT_SPEC.items())
    spec.update(extra)
    return spec


def mask_secrets(value):
    """A copy of a body, configuration or module arguments with the values of secret-looking keys masked, and
    secrets inside text (password=..., user:password@host) too."""
    if isinstance(value, dict):
        return dict((k, MASK if _SECRET_KEY.search(str(k)) and v is not None else mask_secrets(v))
                    for k, v in value.items())
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    if isinstance(value, str):
        return _URL_PASSWORD.sub(r'\1' + MASK + r'\3', _SECRET_IN_TEXT.sub(r'\1' + MASK, value))
    return value


def secret_values(value, secret=False):
    """Every secret mask_secrets() would hide, as text (what Ansible's no_log removes from all output)."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from secret_values(v, secret or bool(_SECRET_KEY.search(str(k))))
    elif isinstance(value, list):
        for v in value:
            yield from secret_values(v, secret)
    elif secret and value is not None and not isinstance(value, bool) and str(value):
        yield str(value)
    elif isinstance(value, str):
        for m in _SECRET_IN_TEXT.finditer(value):
            yield m.group(2).strip('\'"') or m.group(2)
        for m in _URL_PASSWORD.finditer(value):
            yield m.group(2)


class PatroniModule(AnsibleModule):
    """AnsibleModule whose arguments never show a secret: the values of secret-looking keys of any option (a
    `config` holding a password) are masked in invocation.module_args, and removed from the log and every
    output as no_log values are."""

    def _hide_secrets(self):
        params = getattr(self, 'params', None) or {}
        # masked by key everywhere we return them; removed from free text too when long enough not to
        # mangle unrelated output (Ansible's no_log removes every occurrence, "on" would hit "connection")
        self.no_log_values.update(v for v in secret_values(params) if len(v) >= 4)
        return dict(module_args=mask_secrets(params))

    def _log_invocation(self):
        self._hide_secrets()
        super(PatroniModule, self)._log_invocation()

    def exit_json(self, **kwargs):
        kwargs['invocation'] = self._hide_secrets()
        super(PatroniModule, self).exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):  # pylint: disable=arguments-differ
        kwargs['invocation'] = self._hide_secrets()
        super(PatroniModule, self).fail_json(msg, **kwargs)


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


def url_origin(url, any_path=False):
    """(scheme, host, port) of an http(s) URL with no user info, query or fragment and (unless `any_path`) at most
    a /patroni path; None for anything else (file://, user@host, ...)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except (ValueError, TypeError, AttributeError):
        return None
    if parts.scheme not in ('http', 'https') or not parts.hostname or '@' in parts.netloc or parts.query \
            or parts.fragment or (not any_path and parts.path.rstrip('/') not in ('', '/patroni')):
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == 'https' else 80)


class PatroniApiError(Exception):
    def __init__(self, method, url, status, message, what=None):
        self.method, self.url, self.status, self.body = method, url, status, message
        what = what or ('HTTP %s' % status if status else 'no answer')
        super(PatroniApiError, self).__init__('%s %s: %s: %s' % (method, url, what, message))


class UntrustedUrl(PatroniApiError):
    """A member URL the module refuses to contact (nothing was sent to it)."""

    def __init__(self, method, url, problem):  # pylint: disable=super-init-not-called
        self.method, self.url, self.status, self.body = method, url, None, problem
        Exception.__init__(self, problem)  # pylint: disable=non-parent-init-called  # the problem names the URL and the option; no "no answer"


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
        self.trust_published = p['trust_published_urls']
        if not self.urls:
            module.fail_json(msg='api_url: give the REST API URL of at least one member')
        for url in self.urls:
            if '@' in url:
                module.fail_json(msg='api_url: a URL holds user info (user@host): give the credentials in '
                                 'api_username/api_password, never in the URL')
            if not re.match(r'^https?://[^/?#]+$', url) or url_origin(url) is None:
                module.fail_json(msg='api_url: %r is not a base URL like https://host:8008' % url)
        if self.timeout < 1:
            module.fail_json(msg='timeout: must be 1 or more seconds')
        self.named = set(url_origin(u) for u in self.urls)

    def trust_problem(self, url, any_path=False):
        """Why `url` must not be contacted (None when it may): only api_url's own URLs, and with https a member on
        a host api_url names, receive requests and the credentials, unless trust_published_urls is set."""
        origin = url_origin(url, any_path)
        if origin is None:
            return 'not an http(s) URL of a REST API (user info, query or another path are refused)'
        if origin in self.named or self.trust_published:
            return None
        if origin[0] != 'https':
            return 'plain http:// on a URL api_url does not name'
        if origin[1] not in set(n[1] for n in self.named):
            return 'host %s is not one api_url names' % origin[1]
        return None

    def member_url(self, member, method='GET'):
        """The base URL of a member of /cluster (normalised), or UntrustedUrl naming the member and the option."""
        problem = self.trust_problem(member['api_url'])
        if problem:
            raise UntrustedUrl(method, member['api_url'], 'member %s publishes its REST API at %s: %s; nothing was sent '
                               'to it (name it in api_url, or set trust_published_urls=true)'
                               % (member['name'], member['api_url'], problem))
        return base_url(member['api_url'])

    def request(self, method, url, body=None, timeout=None):
        """Send one request to a full URL; the decoded answer (JSON or text). Recorded; writes skipped in check mode."""
        problem = self.trust_problem(url, any_path=True)
        if problem:
            raise UntrustedUrl(method, url, 'refused to send a request to %s: %s' % (url, problem))
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

    def get_json(self, url):
        """GET an endpoint that answers a JSON object (/cluster, /config, /patroni); PatroniApiError for anything else."""
        answer = self.request('GET', url)
        if not isinstance(answer, dict):
            what = 'text %s' % error_text(answer)[:200] if isinstance(answer, str) else json.dumps(answer)[:200]
            raise PatroniApiError('GET', url, self.requests[-1]['status'],
                                  'the answer is not a JSON object: %s' % what)
        return answer

    def status(self, url, timeout=None):
        """HTTP status of a GET health endpoint (/primary, /replica, /health); None when unreachable. Recorded."""
        problem = self.trust_problem(url, any_path=True)
        if problem:
            raise UntrustedUrl('GET', url, 'refused to send a request to %s: %s' % (url, problem))
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
        """GET a cluster-wide endpoint (/cluster, /config) from the first member that answers a JSON object."""
        errors = []
        for url in self.urls:
            try:
                return self.get_json(url + path)
            except PatroniApiError as e:
                errors.append(e)
        raise self._all_failed(path, errors)

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

    def cluster_members(self):
        """(GET /cluster, its members normalised) from the first member whose answer is shaped as Patroni's."""
        errors = []
        for url in self.urls:
            try:
                cluster = self.get_json(url + '/cluster')
                return cluster, members(cluster)
            except MalformedAnswer as e:
                errors.append(PatroniApiError('GET', url + '/cluster', self.requests[-1]['status'], str(e)))
            except PatroniApiError as e:
                errors.append(e)
        raise self._all_failed('/cluster', errors)

    def _all_failed(self, path, errors):
        if len(errors) == 1:
            return errors[0]
        return PatroniApiError('GET', ', '.join(u + path for u in self.urls), None,
                               '; '.join(str(e) for e in errors), what='no member answered as Patroni does')

    def wait(self, predicate, timeout, interval=1.0):
        """Poll `predicate()` (which may raise PatroniApiError while a member restarts) until it is true or the
        timeout passes; the seconds waited, or None on timeout."""
        start = time.time()
        while True:
            try:
                if predicate():
                    return round(time.time() - start, 1)
            except UntrustedUrl:
                raise
            except PatroniApiError:
                pass
            if time.time() - start >= timeout:
                return None
            time.sleep(interval)


def cluster_member(api, name):
    """The member `name` of GET /cluster (normalised), or None."""
    found = [m for m in api.cluster_members()[1] if m['name'] == name]
    return found[0] if found else None


def wait_writable(api, name, timeout):
    """Seconds until `name` leads and its GET /primary answers 200; None on timeout."""
    def ready():
        m = cluster_member(api, name)
        return bool(m and leader([m]) and m['state'] == 'running' and api.status(api.member_url(m) + '/primary') == 200)
    return api.wait(ready, timeout)


def wait_running(api, name, timeout, started_before=None):
    """Seconds until `name` runs (state running/streaming, GET /health 200), nothing pending and, when
    `started_before` is given, its postmaster started after that (a restart or reinit happened)."""
    def ready():
        m = cluster_member(api, name)
        if not m or m['state'] not in HEALTHY_STATES or m['pending_restart']:
            return False
        url = api.member_url(m)
        if started_before is not None and api.get_json(url + '/patroni').get('postmaster_start_time') == started_before:
            return False
        return api.status(url + '/health') == 200
    return api.wait(ready, timeout)

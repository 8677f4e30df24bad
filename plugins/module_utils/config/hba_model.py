# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pg_hba.conf as an ordered rule list: validation, rendering, the lockout guard (pure)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re
import unicodedata

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

HEADER = ('# pg_hba.conf managed by pgwarden.postgresql.hba: the rules below are authoritative and\n'
          '# manual changes are overwritten on the next run.\n'
          '# TYPE  DATABASE  USER  ADDRESS  METHOD  [OPTIONS]\n')
INCLUDE_TYPES = ('include', 'include_if_exists', 'include_dir')
CONNECTION_TYPES = ('local', 'host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc')
TYPES = CONNECTION_TYPES + INCLUDE_TYPES
METHODS = ('trust', 'reject', 'scram-sha-256', 'md5', 'password', 'gss', 'sspi', 'ident', 'peer',
           'ldap', 'radius', 'cert', 'pam', 'bsd')
ADDRESS_KEYWORDS = ('all', 'samehost', 'samenet')
# Options each method accepts (PostgreSQL documentation, "Authentication Methods").
_COMMON = ('clientcert',)
METHOD_OPTIONS = {
    'trust': _COMMON, 'reject': (), 'scram-sha-256': _COMMON, 'md5': _COMMON, 'password': _COMMON,
    'gss': _COMMON + ('include_realm', 'krb_realm', 'map'), 'sspi': _COMMON + ('include_realm', 'krb_realm', 'map',
                                                                               'compat_realm', 'upn_username'),
    'ident': _COMMON + ('map',), 'peer': ('map',), 'pam': _COMMON + ('pamservice', 'pam_use_hostname'),
    'bsd': _COMMON, 'cert': ('clientcert', 'map', 'clientname'),
    'ldap': _COMMON + ('ldapserver', 'ldapport', 'ldapscheme', 'ldaptls', 'ldapprefix', 'ldapsuffix', 'ldapbasedn',
                       'ldapbinddn', 'ldapbindpasswd', 'ldapsearchattribute', 'ldapsearchfilter', 'ldapurl'),
    'radius': _COMMON + ('radiusservers', 'radiussecrets', 'radiusidentifiers', 'radiusports'),
}
SECRET_OPTIONS = ('ldapbindpasswd', 'radiussecrets')
MASK = '********'
_HOSTNAME = re.compile(r'^\.?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$')
_PLAIN = re.compile(r'^[A-Za-z0-9_.$+@/^*-]+$')
# pg_hba.conf has no escape: a double quote ends a quoted field, a newline ends the rule, NUL ends the C string.
# Characters no field may hold, by Unicode category (a comment only '\t' and '\n' of them): line and paragraph
# separators (U+2028, U+2029), controls (NUL, '\r', U+0085 NEL among them), format controls (bidi overrides,
# zero-width characters), surrogates and private use. Only '\n' ends a line of pg_hba.conf, but tools that read it (Python's str.splitlines among them) split on
# more, and a comment would then show, or become, another line; bidi controls make a line read otherwise than it is.
_NON_PRINTING = ('Cc', 'Cf', 'Cs', 'Co', 'Zl', 'Zp')
# PostgreSQL's blanks between the words of a line (pg_isblank); nothing else separates them.
_BLANKS = re.compile('[ \t\r]+')


def _fail(index, key, problem):
    raise PlanError('rules[%d].%s' % (index, key) if key else 'rules[%d]' % index, problem)


def check_text(option, value, secret=False, comment=False):
    """The one check of every value written to pg_hba.conf: no double quote, line break, NUL or other control or
    non-printing character (_NON_PRINTING), so that no value can end its field or its line and inject a rule,
    for PostgreSQL or for a tool that splits lines on more than a newline. Returns the value as text."""
    if isinstance(value, bool):
        value = '1' if value else '0'
    elif isinstance(value, (int, float)):
        value = str(value)
    elif not isinstance(value, str):
        raise PlanError(option, 'must be a string, a number or a boolean, not a %s' % type(value).__name__)
    for char in value:
        if comment and char in '\t\n':  # each line of a comment is written as a comment line
            continue
        if char == '"' and not comment:
            raise PlanError(option, 'must not contain a double quote (pg_hba.conf cannot hold it in a field)%s'
                            % ('' if secret else ': %r' % value))
        if unicodedata.category(char) in _NON_PRINTING:
            raise PlanError(option, 'must not contain U+%04X (%s): no line break, line separator, NUL or other control or '
                            'non-printing character%s; only "\\n" ends a line of pg_hba.conf%s'
                            % (ord(char), unicodedata.name(char, 'a control character'),
                               ' (a comment may span lines)' if comment else '', '' if secret else ': %r' % value))
    return value


def secret_values(rules):
    """Every secret value given in the rules, also one given by mistake as an ordinary option (to hide it)."""
    found = set()
    for rule in rules or []:
        if not isinstance(rule, dict):
            continue
        options, secrets = rule.get('options'), rule.get('secret_options')
        pairs = [(k, v) for k, v in options.items() if k in SECRET_OPTIONS] if isinstance(options, dict) else []
        pairs += list(secrets.items()) if isinstance(secrets, dict) else []
        found.update(str(v) for _k, v in pairs if v not in (None, ''))
    return found


def _names(value, index, key):
    if value is None:
        return ['all']
    if isinstance(value, str):  # checked before strip(), which drops U+2028, U+0085 and other Unicode spaces
        value = [v.strip() for v in check_text('rules[%d].%s' % (index, key), value).split(',')]
    if not value:
        _fail(index, key, 'must not be empty')
    for v in value:
        if not isinstance(v, str) or v == '':
            _fail(index, key, 'entries must be non-empty strings')
        check_text('rules[%d].%s' % (index, key), v)
    return list(value)


def _address(value, index):
    if value in ADDRESS_KEYWORDS:
        return value
    if not isinstance(value, str) or not value.strip():
        _fail(index, 'address', 'is required for host rules (a CIDR such as 10.0.0.0/8, a host name, all, '
                                'samehost or samenet)')
    value = check_text('rules[%d].address' % index, value).strip()
    if '%' in value:
        _fail(index, 'address', '%r: IPv6 zone identifiers are not supported in pg_hba.conf' % value)
    try:
        if '/' in value:
            net = ipaddress.ip_network(value, strict=False)
            if str(net.network_address) != value.split('/')[0]:
                _fail(index, 'address', '%r has host bits set; the network is %s' % (value, net))
            return '%s/%d' % (net.network_address, net.prefixlen)
        addr = ipaddress.ip_address(value)
        return '%s/%d' % (addr, addr.max_prefixlen)
    except ValueError as e:
        if '/' in value or re.match(r'^[0-9.]+$', value) or ':' in value:
            _fail(index, 'address', '%r is not a valid address or CIDR: %s' % (value, e))
    if not _HOSTNAME.match(value):
        _fail(index, 'address', '%r is neither a CIDR nor a valid host name' % value)
    return value


def _option_items(options, index, key):
    if options is None:
        return []
    if not isinstance(options, dict):
        _fail(index, key, 'must be a dict such as {clientcert: verify-full, map: certmap}')
    for k in options:
        if not isinstance(k, str):
            _fail(index, key, 'option names must be strings, not %r' % (k,))
        check_text('rules[%d].%s' % (index, key), k)
    return sorted(options.items())


def _options(method, rtype, options, index):
    allowed = METHOD_OPTIONS.get(method, ())
    out = []
    for key, value in _option_items(options, index, 'options'):
        if key not in allowed:
            _fail(index, 'options', '%r is not an option of method %s (allowed: %s)'
                  % (key, method, ', '.join(allowed) or 'none'))
        if key in SECRET_OPTIONS:
            _fail(index, 'options', '%s is a secret: give it in rules[%d].secret_options, which is never shown '
                                    'in results, diffs or logs' % (key, index))
        value = check_text('rules[%d].options.%s' % (index, key), value)
        if key == 'clientcert':
            if value not in ('verify-ca', 'verify-full'):
                _fail(index, 'options', 'clientcert must be verify-ca or verify-full')
            if rtype != 'hostssl':
                _fail(index, 'options', 'clientcert is only valid on hostssl rules')
            if method == 'cert' and value != 'verify-full':
                _fail(index, 'options', 'method cert always verifies the full certificate: clientcert=verify-full')
        out.append((key, value))
    return out


def _secrets(method, secrets, index):
    out = []
    for key, value in _option_items(secrets, index, 'secret_options'):
        if key not in SECRET_OPTIONS or key not in METHOD_OPTIONS.get(method, ()):
            _fail(index, 'secret_options', '%r is not a secret option of method %s (secret options: %s)'
                  % (key, method, ', '.join(k for k in SECRET_OPTIONS if k in METHOD_OPTIONS.get(method, ()))
                     or 'none'))
        if value is None or value == '':
            _fail(index, 'secret_options.%s' % key, 'must not be empty')
        out.append((key, check_text('rules[%d].secret_options.%s' % (index, key), value, secret=True)))
    return out


def _comment(rule, index):
    if rule.get('comment') in (None, ''):
        return None
    return check_text('rules[%d].comment' % index, rule['comment'], comment=True)


def normalise_rules(rules):
    """Validated rules as dicts with every field filled, or PlanError naming rules[i].field."""
    out = []
    for i, rule in enumerate(rules or []):
        rtype = rule.get('type')
        if rtype not in TYPES:
            _fail(i, 'type', 'must be one of %s' % ', '.join(TYPES))
        if rtype in INCLUDE_TYPES:
            if not rule.get('file'):
                _fail(i, 'file', 'is required for %s lines' % rtype)
            out.append(dict(type=rtype, file=check_text('rules[%d].file' % i, rule['file']), comment=_comment(rule, i)))
            continue
        method = rule.get('method')
        if method not in METHODS:
            _fail(i, 'method', 'must be one of %s' % ', '.join(METHODS))
        if rtype == 'local':
            if rule.get('address'):
                _fail(i, 'address', 'local rules match unix-socket connections and take no address')
            address = None
        else:
            address = _address(rule.get('address'), i)
        if method == 'cert' and rtype != 'hostssl':
            _fail(i, 'method', 'cert authentication needs a hostssl rule')
        if method == 'peer' and rtype != 'local':
            _fail(i, 'method', 'peer authentication only works for local rules')
        out.append(dict(type=rtype, databases=_names(rule.get('databases'), i, 'databases'),
                        users=_names(rule.get('users'), i, 'users'), address=address, method=method,
                        options=_options(method, rtype, rule.get('options'), i),
                        secrets=_secrets(method, rule.get('secret_options'), i), comment=_comment(rule, i)))
    return out


def _quote(name):
    return name if _PLAIN.match(name) else '"%s"' % name


def _option_text(key, value):
    return '%s=%s' % (key, value if _PLAIN.match(value) else '"%s"' % value)


def render_rule(rule, masked=True):
    """One rule as a line; secret option values are shown as ******** unless masked=False (the file itself)."""
    if rule['type'] in INCLUDE_TYPES:
        return '%s %s' % (rule['type'], _quote(rule['file']))
    cols = [rule['type'], ','.join(_quote(d) for d in rule['databases']), ','.join(_quote(u) for u in rule['users'])]
    if rule['address']:
        cols.append(rule['address'])
    cols.append(rule['method'])
    secrets = [(k, MASK if masked else v) for k, v in rule.get('secrets', ())]
    cols.extend(_option_text(k, v) for k, v in sorted(rule['options'] + secrets))
    return '  '.join(cols)


def include_lines(text):
    """include/include_if_exists/include_dir lines of an existing file, in order."""
    found = []
    for line in (text or '').split('\n'):  # as PostgreSQL reads it: not str.splitlines (U+2028, U+0085...)
        words = _BLANKS.split(line.split('#', 1)[0].strip(' \t\r'))
        if words[0] in INCLUDE_TYPES:
            found.append(line.strip(' \t\r'))
    return found


def render_file(rules, preserved=()):
    """The file content and, per rule, its line number (for the server's error report)."""
    lines = HEADER.rstrip('\n').split('\n') + ['']
    numbers = []
    for rule in rules:
        if rule.get('comment'):
            lines.extend('# ' + c for c in rule['comment'].split('\n'))
        lines.append(render_rule(rule, masked=False))
        numbers.append(len(lines))
    kept = [line for line in preserved if line not in [render_rule(r) for r in rules]]
    if kept:
        lines += ['', '# include lines found in the previous file, kept by pgwarden'] + kept
    return '\n'.join(lines) + '\n', numbers


def mask(text):
    """A rendered file with LDAP/RADIUS secrets replaced, for diff output."""
    for key in SECRET_OPTIONS:
        text = re.sub(r'(%s=)("[^"]*"|\S+)' % key, r'\1' + MASK, text)
    return text


def hide(text, secrets):
    """`text` (a message) with every secret value replaced."""
    for value in sorted(secrets, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def _matches(names, wanted, user, database_column):
    """True, False, or None when it cannot be known offline (+group, @file, samerole, regex)."""
    result = False
    for n in names:
        if database_column and n == 'replication':
            continue  # matches replication connections only
        if n == 'all' or n == wanted or (database_column and n == 'sameuser' and wanted == user):
            return True
        if (database_column and n in ('samerole', 'samegroup')) or n[:1] in ('+', '@', '/'):
            result = None
    return result


def lockout(rules, user, database, password_given=False):
    """Why the collection's own local connection (unix socket as `user` to `database`) would be refused,
    or None when the first rule that matches it lets it in."""
    allowed = ('peer', 'trust', 'ident') + (('scram-sha-256', 'md5', 'password') if password_given else ())
    for i, rule in enumerate(rules):
        if rule['type'] != 'local':
            continue
        db, usr = _matches(rule['databases'], database, user, True), _matches(rule['users'], user, user, False)
        if db is False or usr is False:
            continue
        if db is None or usr is None:
            if rule['method'] not in allowed:  # may match: assume the worst
                return 'rules[%d] (%s) may match first and refuses it' % (i, render_rule(rule))
            continue
        if rule['method'] in allowed:
            return None
        return 'rules[%d] (%s) matches first and uses %s' % (i, render_rule(rule), rule['method'])
    return 'no local rule lets it in'

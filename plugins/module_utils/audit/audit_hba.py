# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""pg_hba rules as the audit sees them: from pg_hba_file_rules or from the file text (pure).

Both sources give the same rule shape: line, type, databases, users, address (a CIDR,
a keyword or a host name; None for local), method, options, text (the line as written
or rebuilt), error. The findings on them are in hba_findings().
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import shlex

from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.hba_model import CONNECTION_TYPES, _matches

ANY_NETWORKS = ('0.0.0.0/0', '::/0')
LOOPBACK_KEYWORDS = ('samehost', 'localhost')


def _prefix(netmask):
    """The prefix length of a netmask (IPv4 or IPv6: ipaddress takes IPv6 masks only as a length), or None."""
    try:
        mask = ipaddress.ip_address(netmask)
    except ValueError:
        return None
    bits = bin(int(mask))[2:].zfill(mask.max_prefixlen)
    return bits.index('0') if '0' in bits else mask.max_prefixlen


def _cidr(address, netmask):
    """'10.0.0.0/8' or '::/0' from an address and an optional netmask; keywords and host names as they are."""
    if address is None:
        return None
    try:
        if netmask:
            prefix = _prefix(netmask)
            return str(ipaddress.ip_network('%s/%s' % (address, netmask if prefix is None else prefix), strict=False))
        if '/' in address:
            return str(ipaddress.ip_network(address, strict=False))
        ip = ipaddress.ip_address(address)
        return '%s/%d' % (ip, ip.max_prefixlen)
    except ValueError:
        return address


def _text(rule):
    cols = [rule['type'], ','.join(rule['databases']), ','.join(rule['users'])]
    if rule['address']:
        cols.append(rule['address'])
    cols.append(rule['method'] or '?')
    cols.extend(rule['options'])
    return ' '.join(cols)


def from_view(rows, hba_file=None):
    """Rules from pg_hba_file_rules rows (line_number, type, database, user_name, address, netmask,
    auth_method, options, error, and file_name from PostgreSQL 16; hba_file before)."""
    rules = []
    for r in rows or []:
        rule = dict(line=r.get('line_number'), file=r.get('file_name') or hba_file, type=r.get('type'),
                    databases=list(r.get('database') or []), users=list(r.get('user_name') or []),
                    address=_cidr(r.get('address'), r.get('netmask')), method=r.get('auth_method'),
                    options=list(r.get('options') or []), error=r.get('error'))
        rule['text'] = _text(rule)
        rules.append(rule)
    return rules


def _split_list(word):
    return [w.strip('"') for w in word.split(',') if w != '']


def parse_text(text, path=None):
    """Rules from the text of a pg_hba.conf (include lines are reported, not followed)."""
    rules = []
    for number, raw in enumerate((text or '').split('\n'), 1):
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        try:
            words = shlex.split(line, posix=False)
        except ValueError as e:
            rules.append(dict(line=number, file=path, type=None, databases=[], users=[], address=None,
                              method=None, options=[], error=str(e), text=raw.strip()))
            continue
        rule = dict(line=number, file=path, type=words[0], databases=[], users=[], address=None, method=None,
                    options=[], error=None, text=' '.join(words))
        if words[0] not in CONNECTION_TYPES:
            rule['error'] = 'not followed by the audit: %s' % words[0] if words[0].startswith('include') \
                else 'unknown connection type %s' % words[0]
            rules.append(rule)
            continue
        need = 4 if words[0] == 'local' else 5
        if len(words) < need:
            rule['error'] = 'too few fields'
            rules.append(rule)
            continue
        rule['databases'], rule['users'] = _split_list(words[1]), _split_list(words[2])
        rest = words[3:]
        if words[0] != 'local':
            address, rest = rest[0], rest[1:]
            netmask = None
            if '/' not in address and rest and _is_netmask(rest[0]):
                netmask, rest = rest[0], rest[1:]
            rule['address'] = _cidr(address.strip('"'), netmask)
        if not rest:
            rule['error'] = 'no authentication method'
        else:
            rule['method'], rule['options'] = rest[0], rest[1:]
            rule['text'] = _text(rule)
        rules.append(rule)
    return rules


def _is_netmask(word):
    try:
        ipaddress.ip_address(word)
        return True
    except ValueError:
        return False


def is_loopback(address):
    if address in LOOPBACK_KEYWORDS:
        return True
    try:
        return ipaddress.ip_network(address, strict=False).subnet_of(ipaddress.ip_network('127.0.0.0/8')) \
            if ':' not in address else ipaddress.ip_network(address, strict=False) == ipaddress.ip_network('::1/128')
    except (ValueError, TypeError):
        return False


def is_any(address):
    return address in ANY_NETWORKS or address == 'all'


def network(address):
    try:
        return ipaddress.ip_network(address, strict=False)
    except (ValueError, TypeError):
        return None


def covering_split(rules):
    """{family: [rules]}: the rules (each alone narrower than any address) whose networks together cover every
    IPv4 or every IPv6 address (0.0.0.0/1 + 128.0.0.0/1, ::/1 + 8000::/1...); only the widest networks, those
    within no other rule's network, are named."""
    out = {}
    for version, whole in ((4, ipaddress.ip_network('0.0.0.0/0')), (6, ipaddress.ip_network('::/0'))):
        mine = [(r, network(r['address'])) for r in rules]
        mine = [(r, n) for r, n in mine if n is not None and n.version == version and n != whole]
        if not mine or list(ipaddress.collapse_addresses([n for _r, n in mine])) != [whole]:
            continue
        widest = [(r, n) for r, n in mine if not any(o != n and n.subnet_of(o) for _o, o in mine)]
        out[version] = [r for r, _n in widest]
    return out


def matched_roles(rule, roles):
    """Login roles a rule's user column lets in (+group expanded), sorted."""
    names = set()
    members = {}
    for r in roles:
        for g in r.get('member_of') or []:
            members.setdefault(g, set()).add(r['name'])
    for r in roles:
        if not r.get('login'):
            continue
        users = [u for u in rule['users'] if not u.startswith('+')]
        if _matches(users, r['name'], r['name'], False):
            names.add(r['name'])
        for u in rule['users']:
            if u.startswith('+') and r['name'] in _closure(members, u[1:]):
                names.add(r['name'])
    return sorted(names)


def _closure(members, group):
    seen, todo = set(), [group]
    while todo:
        g = todo.pop()
        for m in members.get(g, ()):
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def where(rule):
    return '%sline %s: %s' % (('%s ' % rule['file']) if rule.get('file') else '', rule['line'], rule['text'])

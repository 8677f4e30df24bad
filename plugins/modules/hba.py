#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: hba
short_description: Authoritative, server-validated pg_hba.conf
version_added: 0.1.0
description:
  - Writes C(pg_hba.conf) from an ordered list of rules; the list is authoritative, the file
    starts with a managed header and holds exactly the declared rules in the declared order.
  - Every rule is validated before anything is written (type, method, options per method,
    addresses and CIDR masks), with an error naming the rule index and field.
  - No value can end its field or its line (and so inject a rule) - every value written to the file
    (database and user names, address, option names and values, include file names, comments) is
    refused if it holds a double quote, a line break, NUL or another control character (comments
    may span lines).
  - Only C(\n) ends a line. Unicode line and paragraph separators (U+2028, U+2029), U+0085 (NEL) and other
    controls, format controls (bidi overrides, zero-width characters), surrogates and private-use characters
    are refused in every field, comments included, with an error naming the option; in an existing file they
    are read as part of their line, never as line ends.
  - With O(validate=server) the candidate is written and the server itself parses it
    (C(pg_hba_file_rules)); if it rejects any line, the previous file is put back and the
    server is not reloaded, so a broken rule set is never left in place nor activated.
  - A lockout guard refuses a rule set in which the first C(local) rule matching
    O(login_user) and O(login_db) does not let them in (peer, ident or trust; password
    methods too when O(login_password) is given), unless O(force=true).
  - The file is written atomically (temporary file and rename) with mode O(mode); the
    configuration is reloaded only when the content changed.
  - With O(validate=local) no database connection is made (for a server that is not running
    yet); only the local validation applies and nothing is reloaded.
options:
  rules:
    description:
      - The rules, in order of precedence. Each is a dict with C(type) and, for connection
        rules, C(method), C(databases), C(users), C(address) and C(options).
    type: list
    elements: dict
    required: true
    suboptions:
      type:
        description: Connection type, or an include directive (PostgreSQL 16 or later).
        type: str
        required: true
        choices: [local, host, hostssl, hostnossl, hostgssenc, hostnogssenc, include, include_if_exists, include_dir]
      databases:
        description: Database names or keywords (V(all), V(sameuser), V(samerole), V(replication), C(@file)).
        type: list
        elements: str
        default: [all]
        aliases: [database, db]
      users:
        description: Role names, V(all), C(+group) or C(@file).
        type: list
        elements: str
        default: [all]
        aliases: [user]
      address:
        description:
          - For non-local rules, a CIDR (V(10.0.0.0/8), V(::1/128)), a single address (a /32
            or /128 is added), a host name or C(.domain) suffix, or V(all), V(samehost), V(samenet).
        type: str
      method:
        description: Authentication method.
        type: str
        choices: [trust, reject, scram-sha-256, md5, password, gss, sspi, ident, peer, ldap, radius, cert, pam, bsd]
      options:
        description:
          - 'Method options as a dict, for example C({clientcert: verify-full}) or C({map: certmap}).'
          - Only options of the rule's method are accepted; C(clientcert) only on hostssl rules.
          - The secret options C(ldapbindpasswd) and C(radiussecrets) are refused here; give them in
            O(rules[].secret_options).
        type: dict
      secret_options:
        description:
          - 'Secret method options (C(ldapbindpasswd) for V(ldap), C(radiussecrets) for V(radius)), for example
            C({ldapbindpasswd: "{{ vault_ldap_bind_password }}"}).'
          - Written to the file as given, and shown as C(********) everywhere else (O(rules) in the result,
            the diff, messages, the module's logged arguments).
        type: dict
      file:
        description: File or directory of an include directive.
        type: str
      comment:
        description:
          - A comment written above the rule; each line of it (split on C(\n) only) becomes a comment line.
        type: str
  path:
    description:
      - The file to manage. With O(validate=server) it defaults to the server's C(hba_file)
        and must be that file.
      - A symbolic link (the Debian layout) is written through - the file it points to is replaced
        atomically in its own directory, with its owner, and the link stays a link.
      - Required with O(validate=local).
    type: path
  validate:
    description:
      - V(server) connects, writes the candidate, lets the server parse it and restores the
        previous file if any line is rejected; then reloads when the content changed.
      - V(local) validates the rules without a database connection and only writes the file.
    type: str
    choices: [server, local]
    default: server
  preserve_includes:
    description:
      - Keep C(include), C(include_if_exists) and C(include_dir) lines of the existing file
        that are not declared, after the declared rules.
    type: bool
    default: true
  force:
    description: Write the rules even when the lockout guard finds that they refuse the module's own connection.
    type: bool
    default: false
  backup:
    description: Keep a copy of the previous file next to it (C(pg_hba.conf.TIMESTAMP.N~)) when it changes.
    type: bool
    default: false
  mode:
    description:
      - Permissions of the file, as an octal string such as V('0600'); no access for others is allowed.
      - Quote it. An unquoted C(0600) is read by YAML as an octal number and accepted, as by
        M(ansible.builtin.file); an unquoted C(600) is the decimal number 600 and refused.
    type: raw
    default: '0640'
  reload:
    description: Reload the server configuration when the content changed (O(validate=server) only).
    type: bool
    default: true
extends_documentation_fragment:
  - pgwarden.postgresql.connection
attributes:
  check_mode:
    description: Validates the rules locally and shows the diff; writes nothing and does not reload.
    support: full
  diff_mode:
    description: Shows the file before and after, with LDAP/RADIUS secrets masked.
    support: full
notes:
  - Check mode validates the rules locally and reports the diff; the server check needs the file on disk and
    runs only in a real run.
  - The values of C(ldapbindpasswd) and C(radiussecrets) (O(rules[].secret_options)) are masked in the
    result, the diff and messages.
  - With O(validate=server) the login needs superuser, or the privileges of C(pg_read_all_settings) and
    EXECUTE on C(pg_hba_file_rules()) and C(pg_reload_conf()); the module says which is missing, in
    check mode too.
  - An existing file with bytes that are not UTF-8 (a Latin-1 comment) is read as it is; such bytes in
    kept include lines are written back unchanged, and shown as C(\xNN) in the diff.
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Local peer access for postgres, TLS-only remote access, everything else refused
  pgwarden.postgresql.hba:
    backup: true
    rules:
      - {type: local, databases: [all], users: [postgres], method: peer}
      - {type: local, method: scram-sha-256}
      - {type: hostssl, databases: [app], users: [app], address: 10.0.0.0/8, method: scram-sha-256}
      - {type: hostssl, users: [reporting], address: 10.1.0.0/16, method: cert, options: {clientcert: verify-full}}
      - {type: hostnossl, address: all, method: reject}
  become: true
  become_user: postgres
'''

RETURN = r'''
path:
  description: The file managed.
  returned: always
  type: str
  sample: /etc/postgresql/15/main/pg_hba.conf
rules:
  description: The rule lines as written, secret option values shown as C(********).
  returned: always
  type: list
  elements: str
  sample: ['local  all  postgres  peer', 'hostnossl  all  all  all  reject']
preserved_includes:
  description: Include lines kept from the previous file.
  returned: always
  type: list
  elements: str
backup_file:
  description: The copy of the previous file, when O(backup=true) and the file changed.
  returned: changed and backup requested
  type: str
queries:
  description: Statements executed (the reload), or that would be in check mode.
  returned: always
  type: list
  elements: str
server_errors:
  description: The lines the server rejected, with the rule they belong to, when it rejected the candidate.
  returned: failure
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.connection import (
    DatabaseError, connect, connection_argument_spec)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.executor import ApplyError, apply, read_one
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.files import backup, file_mode, printable, read_text
from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.hba_io import (
    ACCESS_QUERY, RejectedByServer, explain, missing_privileges, same_file, write_judged)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.config.hba_model import (
    INCLUDE_TYPES, CONNECTION_TYPES, METHODS, hide, include_lines, lockout, mask, normalise_rules, render_file,
    render_rule, secret_values)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import SQL, PlanError, Statement

RULE_OPTIONS = dict(
    type=dict(type='str', required=True, choices=list(CONNECTION_TYPES + INCLUDE_TYPES)),
    databases=dict(type='list', elements='str', default=['all'], aliases=['database', 'db']),
    users=dict(type='list', elements='str', default=['all'], aliases=['user']),
    address=dict(type='str'),
    method=dict(type='str', choices=list(METHODS)),
    options=dict(type='dict'),
    secret_options=dict(type='dict', no_log=True),
    file=dict(type='str'),
    comment=dict(type='str'),
)
ARGUMENT_SPEC = connection_argument_spec(
    rules=dict(type='list', elements='dict', required=True, options=RULE_OPTIONS),
    path=dict(type='path'),
    validate=dict(type='str', choices=['server', 'local'], default='server'),
    preserve_includes=dict(type='bool', default=True),
    force=dict(type='bool', default=False),
    backup=dict(type='bool', default=False),
    mode=dict(type='raw', default='0640'),
    reload=dict(type='bool', default=True),
)


def _mode(module):
    """An octal string, or an int as Ansible's file module takes it (YAML reads an unquoted 0600 as 384)."""
    value = module.params['mode']
    mode = -1
    if isinstance(value, int) and not isinstance(value, bool):
        mode = value
    elif isinstance(value, str):
        try:
            mode = int(value, 8)
        except ValueError:
            pass
    if not 0 <= mode <= 0o777 or mode & 0o007:
        module.fail_json(msg="mode: %r is not an octal mode without access for others, such as '0640' or '0600'. "
                         "Quote it in YAML: unquoted, 0600 is read as an octal number but 600 as the decimal "
                         "number 600" % (value,), option='mode')
    return mode


def _server_path(module, conn):
    """The file the server reads, after checking that the login may do what a server-validated run needs."""
    p = module.params
    try:
        access = read_one(conn, ACCESS_QUERY)
    except DatabaseError as e:
        module.fail_json(msg='Reading what login_user %r may do failed: %s' % (p['login_user'], str(e).strip()))
    problem = missing_privileges(access, p['reload'])
    if problem:
        module.fail_json(msg=problem, option='login_user')
    if p['path'] and not same_file(p['path'], access['hba_file']):
        module.fail_json(msg='path: %s is not the file the server reads (%s); use validate=local for it'
                         % (p['path'], access['hba_file']), option='path')
    return p['path'] or access['hba_file']


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_if=[('validate', 'local', ('path',))])
    p = module.params
    secrets = secret_values(p['rules'])
    module.no_log_values.update(secrets)  # also a secret given by mistake in options: refused, never shown
    mode = _mode(module)
    try:
        rules = normalise_rules(p['rules'])
    except PlanError as e:
        module.fail_json(msg=hide('%s; nothing was changed' % e, secrets), option=e.option)
    guard = lockout(rules, p['login_user'], p['login_db'], bool(p['login_password']))
    if guard and not p['force']:
        module.fail_json(msg='rules: lockout guard: the local connection of %r to database %r that this collection '
                         'uses would be refused: %s. Add a local peer rule for it first, or set force=true.'
                         % (p['login_user'], p['login_db'], guard), option='rules')
    conn = connect(module) if p['validate'] == 'server' else None
    path = _server_path(module, conn) if conn is not None else p['path']
    old = read_text(path)
    preserved = include_lines(old) if p['preserve_includes'] else []
    new, numbers = render_file(rules, preserved)
    content_changed = old != new
    changed = content_changed or file_mode(path) != mode
    plan = [Statement(SQL('SELECT pg_reload_conf()'))] if content_changed and conn is not None and p['reload'] else []
    result = dict(changed=changed, path=path, rules=[render_rule(r) for r in rules],
                  preserved_includes=[printable(x) for x in preserved if x in new], queries=[],
                  diff=dict(before=mask(printable(old) or ''), after=mask(printable(new)),
                            before_header=path, after_header=path))
    if module.check_mode or not changed:
        result['queries'] = apply(conn, plan, True) if conn is not None else []
        module.exit_json(**result)
    if p['backup'] and old is not None and content_changed:
        result['backup_file'] = backup(path)
    unchanged = dict(result)
    unchanged['changed'] = False
    try:
        write_judged(conn, path, old, new, mode)
    except RejectedByServer as e:
        errors = [hide(x, secrets) for x in explain(e.errors, numbers)]
        module.fail_json(msg='The server rejected the new pg_hba.conf; the previous file was put back and is still '
                         'active: %s' % '; '.join(errors), server_errors=errors, **unchanged)
    except (IOError, OSError, DatabaseError) as e:
        module.fail_json(msg=hide('Writing %s failed: %s' % (path, e), secrets), **unchanged)
    if conn is not None:
        try:
            result['queries'] = apply(conn, plan, False)
        except ApplyError as e:
            module.fail_json(msg='%s was written, but the reload failed: %s' % (path, e.error), **result)
        conn.close()
    module.exit_json(**result)


if __name__ == '__main__':
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Databases, schemas and extensions: one read query each, pure planners.

Each planner takes the JSON snapshot of its read query (plain dict) and the module
parameters and returns (statements, before, after).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import (
    PlanError, SQL, Statement, ident, join, literal, stmt, user_search_path)

DATABASE_SNAPSHOT = """
SELECT json_build_object(
  'database', (SELECT json_build_object('owner', pg_get_userbyid(datdba), 'encoding', pg_encoding_to_char(encoding),
                 'lc_collate', datcollate, 'lc_ctype', datctype) FROM pg_database WHERE datname = %(name)s),
  'roles', (SELECT coalesce(json_agg(rolname), '[]') FROM pg_roles WHERE rolname = %(owner)s),
  'templates', (SELECT coalesce(json_agg(datname), '[]') FROM pg_database WHERE datname = %(template)s))
"""

SCHEMA_SNAPSHOT = """
SELECT json_build_object(
  'schema', (SELECT json_build_object('owner', pg_get_userbyid(nspowner)) FROM pg_namespace WHERE nspname = %(name)s),
  'roles', (SELECT coalesce(json_agg(rolname), '[]') FROM pg_roles WHERE rolname = %(owner)s))
"""

EXTENSION_SNAPSHOT = """
SELECT json_build_object(
  'extension', (SELECT json_build_object('version', e.extversion, 'schema', n.nspname)
                FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = %(name)s),
  'default_version', (SELECT default_version FROM pg_available_extensions WHERE name = %(name)s),
  'versions', (SELECT coalesce(json_agg(version), '[]') FROM pg_available_extension_versions WHERE name = %(name)s),
  'schemas', (SELECT coalesce(json_agg(nspname), '[]') FROM pg_namespace WHERE nspname = %(schema)s))
"""


def _check_name(value, option):
    if not value or '\x00' in value or len(value.encode('utf-8')) > 63:
        raise PlanError(option, 'must be a non-empty name of at most 63 bytes without NUL, got %r' % (value,))


def _norm_encoding(value):
    return value.upper().replace('-', '').replace('_', '')


def _norm_locale(value):
    return value.lower().replace('-', '')


def plan_database(snap, params):
    name, owner = params['name'], params.get('owner')
    _check_name(name, 'name')
    have = snap['database']
    before = dict(have or {})
    if params['state'] == 'absent':
        if have is None:
            return [], before, {}
        return [stmt('DROP DATABASE {d}', transactional=False, d=ident(name))], before, {}
    if owner is not None and owner not in snap['roles']:
        raise PlanError('owner', 'role %r does not exist' % owner)
    if have is None:
        template = params.get('template')
        if template is not None and template not in snap['templates']:
            raise PlanError('template', 'database %r does not exist' % template)
        clauses = []
        if owner is not None:
            clauses.append(SQL('OWNER {}').format(ident(owner)))
        if template is not None:
            clauses.append(SQL('TEMPLATE {}').format(ident(template)))
        for opt, word in (('encoding', 'ENCODING'), ('lc_collate', 'LC_COLLATE'), ('lc_ctype', 'LC_CTYPE')):
            if params.get(opt) is not None:
                clauses.append(SQL(word + ' {}').format(literal(params[opt])))
        tail = SQL(' WITH {}').format(join(' ', clauses)) if clauses else SQL('')
        after = dict((k, params.get(k)) for k in ('owner', 'encoding', 'lc_collate', 'lc_ctype') if params.get(k))
        return [Statement(SQL('CREATE DATABASE {}{}').format(ident(name), tail), transactional=False)], {}, after
    for opt, norm in (('encoding', _norm_encoding), ('lc_collate', _norm_locale), ('lc_ctype', _norm_locale)):
        if params.get(opt) is not None and norm(params[opt]) != norm(have[opt]):
            raise PlanError(opt, 'database %r exists with %s %r; it is set only when the database is created'
                            % (name, opt, have[opt]))
    after = dict(have)
    statements = []
    if owner is not None and owner != have['owner']:
        statements.append(stmt('ALTER DATABASE {d} OWNER TO {o}', d=ident(name), o=ident(owner)))
        after['owner'] = owner
    return statements, before, after


def plan_schema(snap, params):
    name, owner = params['name'], params.get('owner')
    _check_name(name, 'name')
    have = snap['schema']
    before = dict(have or {})
    if params['state'] == 'absent':
        if have is None:
            return [], before, {}
        return [stmt('DROP SCHEMA {s}' + (' CASCADE' if params.get('cascade') else ''), s=ident(name))], before, {}
    if owner is not None and owner not in snap['roles']:
        raise PlanError('owner', 'role %r does not exist' % owner)
    if have is None:
        if owner is None:
            return [stmt('CREATE SCHEMA {s}', s=ident(name))], {}, {}
        return [stmt('CREATE SCHEMA {s} AUTHORIZATION {o}', s=ident(name), o=ident(owner))], {}, dict(owner=owner)
    if owner is not None and owner != have['owner']:
        return [stmt('ALTER SCHEMA {s} OWNER TO {o}', s=ident(name), o=ident(owner))], before, dict(owner=owner)
    return [], before, before


def plan_extension(snap, params):
    name, schema, version = params['name'], params.get('schema'), params.get('version')
    _check_name(name, 'name')
    have = snap['extension']
    before = dict(have or {})
    cascade = SQL(' CASCADE' if params.get('cascade') else '')
    if params['state'] == 'absent':
        if have is None:
            return [], before, {}
        return [stmt('DROP EXTENSION {e}{c}', e=ident(name), c=cascade)], before, {}
    if snap['default_version'] is None and have is None:
        raise PlanError('name', 'extension %r is not available on the server (is its package installed?)' % name)
    if version == 'latest':
        version = snap['default_version']
    if version is not None and version not in snap['versions'] and (have is None or have['version'] != version):
        raise PlanError('version', 'version %r of %r is not available (available: %s)'
                        % (version, name, ', '.join(sorted(snap['versions']))))
    if schema is not None and schema not in snap['schemas']:
        raise PlanError('schema', 'schema %r does not exist' % schema)
    if have is None:
        clauses = []
        if schema is not None:
            clauses.append(SQL('SCHEMA {}').format(ident(schema)))
        if version is not None:
            clauses.append(SQL('VERSION {}').format(literal(version)))
        tail = SQL(' WITH {}').format(join(' ', clauses)) if clauses else SQL('')
        after = dict(version=version or snap['default_version'], schema=schema)
        create = [stmt('CREATE EXTENSION {e}{t}{c}', e=ident(name), t=tail, c=cascade)]
        if schema is None:  # PostgreSQL's default: the first existing schema of the declared search path
            create.insert(0, Statement(user_search_path(params.get('search_path') or ['public'])))
        return create, {}, after
    statements, after = [], dict(have)
    if schema is not None and schema != have['schema']:
        statements.append(stmt('ALTER EXTENSION {e} SET SCHEMA {s}', e=ident(name), s=ident(schema)))
        after['schema'] = schema
    if version is not None and version != have['version']:
        statements.append(stmt('ALTER EXTENSION {e} UPDATE TO {v}', e=ident(name), v=literal(version)))
        after['version'] = version
    return statements, before, after

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure planners for the Patroni modules: plain dicts in (Patroni's JSON), plans out.

No network here: the modules read Patroni's REST API through patroni_api.PatroniApi,
hand the JSON to these functions and send what they return.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.statements import PlanError

LEADER_ROLES = ('leader', 'master', 'primary', 'standby_leader')
REPLICA_ROLES = ('replica', 'sync_standby', 'quorum_standby')
HEALTHY_STATES = ('running', 'streaming')
_TRUE = ('on', 'true', 'yes', '1')
_FALSE = ('off', 'false', 'no', '0')


# ---- members (GET /cluster)
class MalformedAnswer(ValueError):
    """An answer of Patroni that does not have the shape Patroni documents (the module fails naming it)."""


def _lag(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + '...'


def _checked_member(m, seen):
    if not isinstance(m, dict):
        raise MalformedAnswer('a member of "members" is %s, not a JSON object' % _text(m))
    name = m.get('name')
    if not isinstance(name, str) or not name:
        raise MalformedAnswer('a member has no name (%s)' % _text(m))
    if name in seen:
        raise MalformedAnswer('member %s is listed twice' % name)
    seen.add(name)
    if not isinstance(m.get('api_url'), str) or not m['api_url']:
        raise MalformedAnswer('member %s has no api_url' % name)
    if not isinstance(m.get('tags') or {}, dict):
        raise MalformedAnswer('member %s has tags that are not a JSON object' % name)
    for key in ('role', 'state'):
        if m.get(key) is not None and not isinstance(m[key], str):
            raise MalformedAnswer('member %s has a %s that is not text: %s' % (name, key, _text(m[key])))
    return m


def members(cluster):
    """Members of GET /cluster in a stable, documented form, sorted by name; MalformedAnswer when
    the answer is not shaped as Patroni's (not an object, no "members" list, a member without name or api_url)."""
    if not isinstance(cluster, dict):
        raise MalformedAnswer('the answer is %s, not a JSON object' % _text(cluster))
    if not isinstance(cluster.get('members'), list):
        raise MalformedAnswer('"members" is %s, not a list' % _text(cluster.get('members')))
    if not isinstance(cluster.get('scheduled_switchover') or {}, dict):
        raise MalformedAnswer('"scheduled_switchover" is %s, not a JSON object' % _text(cluster['scheduled_switchover']))
    out, seen = [], set()
    for m in cluster['members']:
        m = _checked_member(m, seen)
        role = m.get('role')
        out.append(dict(
            name=m['name'], role='leader' if role in ('master', 'primary') else role,
            state=m.get('state'), host=m.get('host'), port=m.get('port'), api_url=m['api_url'],
            timeline=m.get('timeline'), lag=0 if role in LEADER_ROLES else _lag(m.get('lag')),
            pending_restart=bool(m.get('pending_restart')), tags=m.get('tags') or {}))
    return sorted(out, key=lambda m: m['name'])


def leaders(member_list):
    return [m for m in member_list if m['role'] in LEADER_ROLES]


def leader(member_list):
    """The leader; None when there is none, or more than one (a split brain is no answer to "which leads")."""
    found = leaders(member_list)
    return found[0] if len(found) == 1 else None


def one_leader(member_list, required=True):
    """The leader, or PlanError when /cluster shows two or more (nothing is sent to a split cluster);
    None without one unless `required`."""
    found = leaders(member_list)
    if len(found) > 1:
        raise PlanError('api_url', 'the cluster shows %d leaders (%s): refusing to act on a split cluster; nothing was changed'
                        % (len(found), ', '.join(m['name'] for m in found)))
    if not found and required:
        raise PlanError('api_url', 'the cluster has no leader now; a switchover needs one (a failover does not)')
    return found[0] if found else None


def healthy_replica_problem(member, maximum_lag=None):
    """Why a member cannot take over as leader (None when it can)."""
    if member['role'] not in REPLICA_ROLES:
        return 'is not a replica (role %s)' % member['role']
    if member['state'] not in HEALTHY_STATES:
        return 'is not healthy (state %s)' % member['state']
    if member['tags'].get('nofailover'):
        return 'has the nofailover tag'
    if member['lag'] is None:
        return 'has an unknown replication lag'
    if maximum_lag is not None and member['lag'] > maximum_lag:
        return 'lags %d bytes behind, more than maximum_lag (%d)' % (member['lag'], maximum_lag)
    return None


# ---- dynamic configuration (GET /config, PATCH /config)
def _same(current, desired):
    """Leaf equality as Patroni sees it (it compares str()), with booleans and on/off alike."""
    def norm(v):
        if isinstance(v, bool):
            return 'on' if v else 'off'
        text = str(v)
        if text.lower() in _TRUE:
            return 'on'
        if text.lower() in _FALSE:
            return 'off'
        return text
    if isinstance(current, (dict, list)) or isinstance(desired, (dict, list)):
        return current == desired
    return norm(current) == norm(desired)


def plan_config_patch(current, desired, path=''):
    """The minimal JSON merge patch (RFC 7386, Patroni's PATCH /config) from current to desired.

    A key of `desired` set to None removes the key; keys `desired` does not name stay as they are."""
    if not isinstance(desired, dict):
        raise PlanError('config', '%s must be a dictionary' % (path or 'the configuration'))
    patch = {}
    for key in sorted(desired):
        want = desired[key]
        where = '%s.%s' % (path, key) if path else key
        if want is None:
            if key in current:
                patch[key] = None
        elif isinstance(want, dict):
            have = current.get(key)
            if isinstance(have, dict):
                sub = plan_config_patch(have, want, where)
                if sub:
                    patch[key] = sub
            else:
                cleaned = prune_nulls(want)
                if cleaned or key not in current:
                    patch[key] = cleaned
        elif key not in current or not _same(current[key], want):
            patch[key] = want
    return patch


def prune_nulls(value):
    if isinstance(value, dict):
        return dict((k, prune_nulls(v)) for k, v in value.items() if v is not None)
    return value


def apply_patch(current, patch):
    """The configuration after Patroni applies `patch` (what the diff's `after` shows)."""
    result = copy.deepcopy(current)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = apply_patch(result[key], value)
        else:
            result[key] = prune_nulls(copy.deepcopy(value))
    return result


# ---- switchover
def plan_switchover(member_list, candidate=None, maximum_lag=None, scheduled=False):
    """(leader name, candidate name or None) of a switchover, or PlanError naming the option.

    Without a named candidate the healthy replica with the least lag is chosen (None when the
    switchover is scheduled: Patroni chooses when the time comes)."""
    if candidate is not None and not candidate.strip():
        raise PlanError('candidate', 'is empty: name a member, or leave it unset for the best healthy replica')
    lead = one_leader(member_list)
    by_name = dict((m['name'], m) for m in member_list)
    if candidate is not None:
        if candidate not in by_name:
            raise PlanError('candidate', '%r is not a member of the cluster (members: %s)'
                            % (candidate, ', '.join(sorted(by_name))))
        if candidate == lead['name']:
            return lead['name'], candidate
        problem = healthy_replica_problem(by_name[candidate], maximum_lag)
        if problem:
            raise PlanError('candidate', '%s %s; nothing was changed' % (candidate, problem))
        return lead['name'], candidate
    problems, healthy = [], []
    for m in member_list:
        if m['name'] == lead['name']:
            continue
        problem = healthy_replica_problem(m, maximum_lag)
        if problem:
            problems.append('%s %s' % (m['name'], problem))
        else:
            healthy.append(m)
    if not healthy:
        raise PlanError('candidate', 'no healthy replica can take over: %s; nothing was changed'
                        % ('; '.join(problems) or 'the cluster has no replica'))
    if scheduled:
        return lead['name'], None
    sync = [m for m in healthy if m['role'] == 'sync_standby']
    best = sorted(sync or healthy, key=lambda m: (m['lag'], m['name']))[0]
    return lead['name'], best['name']


# ---- rolling restart and reinit
def plan_restart(member_list, names=None, pending_only=True, switchover=False, maximum_lag=None):
    """Ordered actions of a rolling restart: replicas first, then (if asked) a switchover away
    from the leader, then the old leader. Each action: dict(action=restart|switchover, member=...)."""
    by_name = dict((m['name'], m) for m in member_list)
    for name in names or []:
        if name not in by_name:
            raise PlanError('members', '%r is not a member of the cluster (members: %s)'
                            % (name, ', '.join(sorted(by_name))))
    lead = one_leader(member_list, required=False)
    chosen = [m for m in member_list if (not names or m['name'] in names)
              and (m['pending_restart'] or not pending_only)]
    actions = [dict(action='restart', member=m['name']) for m in chosen
               if lead is None or m['name'] != lead['name']]
    if lead is not None and lead in chosen:
        if switchover:
            # after the replicas restarted none of them is pending: judge health as it will be then
            after = [dict(m, pending_restart=False) if m in chosen else m for m in member_list]
            _old, new = plan_switchover(after, maximum_lag=maximum_lag)
            actions.append(dict(action='switchover', member=lead['name'], candidate=new))
        actions.append(dict(action='restart', member=lead['name']))
    return actions


def plan_reinit(member_list, name):
    """Refuses a reinit of the leader or an unknown member; the member otherwise."""
    one_leader(member_list, required=False)
    by_name = dict((m['name'], m) for m in member_list)
    if name not in by_name:
        raise PlanError('reinit', '%r is not a member of the cluster (members: %s)' % (name, ', '.join(sorted(by_name))))
    if by_name[name]['role'] in LEADER_ROLES:
        raise PlanError('reinit', '%s is the leader: only a replica can be reinitialised from it' % name)
    return [dict(action='reinit', member=name)]

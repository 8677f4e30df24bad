# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn audit_info results into the reports of playbooks/audit.yml.

audit_host_report(result, host): the report of one host from the registered result of
audit_info (ok, failed or unreachable: errors become a per-host error);
audit_inventory_report(reports, generated_at): all hosts and the totals;
audit_markdown(inventory) and audit_html(inventory): the readable reports (one
self-contained HTML page, inline CSS, no script);
audit_repositories(hosts, hostvars): the `repository` facts that audit_repository_info read on those
hosts (registered as audit_repository; hosts where it failed or did not run are left out).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.pgwarden.postgresql.plugins.module_utils.audit import audit_render


def audit_repositories(hosts, hostvars):
    out = []
    for h in hosts or []:
        try:
            res = hostvars[h].get('audit_repository')
        except (KeyError, AttributeError):
            res = None
        if isinstance(res, dict) and isinstance(res.get('repository'), dict) and not res.get('failed') \
                and not res.get('unreachable'):
            out.append(res['repository'])
    return out


class FilterModule(object):
    def filters(self):
        return dict(audit_host_report=audit_render.host_report,
                    audit_inventory_report=audit_render.inventory_report,
                    audit_markdown=audit_render.markdown,
                    audit_html=audit_render.html,
                    audit_repositories=audit_repositories)

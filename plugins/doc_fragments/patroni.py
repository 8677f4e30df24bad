# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - Base URL of the REST API of one or more cluster members, for example C(https://db1:8008).
      - Cluster-wide reads and writes (C(/cluster), C(/config), C(/switchover)) go to the first member
        that answers; requests for one member (C(/restart), C(/reinitialize), C(/primary)) go to that
        member's own API URL as Patroni publishes it in C(/cluster), only when it is trusted (see
        O(trust_published_urls)).
      - A URL with user info (C(https://user:pass@host)) is refused; give O(api_username)/O(api_password).
    type: list
    elements: str
    required: true
  api_username:
    description:
      - User of the REST API's basic authentication (C(restapi.authentication.username)).
        Patroni needs it for every write (PATCH, POST, DELETE); reads are anonymous.
    type: str
  api_password:
    description:
      - Password of O(api_username). Never returned or logged.
    type: str
  ca_file:
    description:
      - CA certificate (PEM) that signed the REST API's server certificates. Unset means the system's CAs.
    type: path
  client_cert:
    description:
      - Client certificate (PEM), when the REST API requires one (C(restapi.verify_client)).
    type: path
  client_key:
    description:
      - Private key of O(client_cert).
    type: path
  validate_certs:
    description:
      - Verify the REST API's TLS certificate. Turn off only in a lab.
    type: bool
    default: true
  timeout:
    description:
      - Seconds one HTTP request may take. Patroni answers a switchover or restart only when it is
        done, so those requests may take the module's C(wait_timeout) when that is longer.
    type: int
    default: 30
  trust_published_urls:
    description:
      - C(/cluster) comes from the DCS, so a member's API URL there is not the operator's word. By default a
        request (and with it O(api_password)) goes to a member URL only when it is one of O(api_url), or uses
        C(https://) on a host that O(api_url) names; a member published with C(http://) or on another host is
        refused before anything is sent to it, with a message naming the member and its URL.
      - V(true) sends requests to every member URL C(/cluster) publishes. URLs that are not C(http(s)://), or
        hold user info, a query or another path than C(/patroni), are refused either way.
    type: bool
    default: false
notes:
  - The module runs where it can reach the REST API, usually the controller (C(delegate_to=localhost),
    C(run_once=true)) or one of the members.
  - Every request is returned in RV(requests) (method, URL, body with secret-looking values masked, HTTP
    status). In check mode only GET requests are sent; the writes that would be sent are listed with
    C(sent=false).
'''

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: certificate_check
short_description: Check in one module run that a certificate, its key and its CA are what a role would make
version_added: 0.1.0
description:
  - Reads a certificate, and optionally its private key, the CA certificate that must have signed it and a copy
    of that CA, and reports whether they are all as wanted (RV(valid)) and if not, why (RV(reasons)).
  - Read-only; never changes anything, in check mode or not. Roles run it first and skip the steps that make
    keys, signing requests and certificates when it reports the certificate valid, so a re-converge that
    has nothing to do costs one module run per certificate instead of five to seven.
  - A missing, unreadable or unparseable file is a reason, not a failure. Bad options fail naming the option
    (for example C(subject_alt_names[1])) before any file is read.
  - The signature is verified with the CA's public key (EC, RSA PKCS#1 v1.5, Ed25519 and Ed448 keys).
  - A certificate is not valid outside its validity period, expired or not yet valid (its notBefore in the
    future); both make RV(reissue) true. A CA certificate that is expired or not yet valid makes the
    certificate not valid too; when that CA signed it, RV(reissue) is true (issue it again once the CA is new).
  - A certificate whose extensions cannot be read (one present twice, which RFC 5280 forbids, or one that does
    not parse) is a reason (C(certificate malformed)) and RV(reissue) is true, not a failure.
  - Never returns or logs the content of the files.
requirements:
  - cryptography (python3-cryptography on Debian) on the managed host
options:
  certificate_path:
    description: Absolute, normalised path of the PEM certificate to check.
    type: str
    required: true
  private_key_path:
    description:
      - Absolute path of the certificate's PEM private key (not encrypted). Its public key must be the certificate's.
      - A missing key makes the certificate not valid (and RV(reissue) true when the certificate exists).
    type: str
  private_key_curve:
    description:
      - The elliptic curve the private key must use (such as V(secp384r1), what
        M(community.crypto.openssl_privatekey) makes with C(type=ECC)). Another curve or key type makes the
        certificate not valid and RV(reissue) true, as that module would make the key again.
    type: str
  ca_certificate_path:
    description: Absolute path of the PEM certificate of the CA that must have signed the certificate.
    type: str
  ca_certificate_content:
    description:
      - The CA certificate (PEM) itself, instead of O(ca_certificate_path), for a host that has no copy of the CA
        to trust (read it on the CA's host with M(ansible.builtin.slurp)).
    type: str
  ca_copy_path:
    description:
      - Absolute path of a copy of the CA certificate that must be the same certificate as the CA's
        (O(ca_certificate_path) or O(ca_certificate_content)), with O(certificate_owner), O(certificate_group) and
        O(certificate_mode).
    type: str
  self_signed:
    description: The certificate must be self-signed (a CA's own certificate). Excludes O(ca_certificate_path).
    type: bool
    default: false
  common_name:
    description: The subject's common name the certificate must have.
    type: str
  subject_alt_names:
    description:
      - The subject alternative names the certificate must have, no more and no fewer, as M(community.crypto.openssl_csr_pipe)
        takes them (V(DNS:name) or V(IP:address)). Compared as sets; DNS names ignore case, IP addresses are normalised.
    type: list
    elements: str
  extended_key_usage:
    description: The extended key usages the certificate must have, no more and no fewer (V(serverAuth), V(clientAuth), ... or OIDs).
    type: list
    elements: str
  is_ca:
    description: Whether the certificate must (V(true)) or must not (V(false)) be a CA certificate (basic constraints).
    type: bool
  renew_before_days:
    description:
      - The certificate is not valid when it expires within this many days (0 to 36500). An expired certificate is
        never valid; unset, only that is checked.
    type: int
  certificate_owner:
    description: Owner the certificate file (and O(ca_copy_path)) must have.
    type: str
  certificate_group:
    description: Group the certificate file (and O(ca_copy_path)) must have.
    type: str
  certificate_mode:
    description: Permission bits the certificate file (and O(ca_copy_path)) must have, such as C("0644").
    type: raw
  private_key_owner:
    description: Owner the private key file must have.
    type: str
  private_key_group:
    description: Group the private key file must have.
    type: str
  private_key_mode:
    description: Permission bits the private key file must have, such as C("0600").
    type: raw
attributes:
  check_mode:
    description: Runs the same in check mode (it changes nothing in either).
    support: full
  diff_mode:
    description: Nothing to show; nothing changes.
    support: none
author:
  - pgwarden maintainers (@pgwarden)
'''

EXAMPLES = r'''
- name: Check the server certificate
  pgwarden.postgresql.certificate_check:
    certificate_path: /etc/postgresql/pgwarden-tls/server.crt
    private_key_path: /etc/postgresql/pgwarden-tls/server.key
    private_key_curve: secp384r1
    ca_certificate_path: /etc/postgresql/pgwarden-tls/ca.crt
    common_name: db1.example.com
    subject_alt_names: [DNS:db1.example.com, DNS:localhost, IP:127.0.0.1]
    extended_key_usage: [serverAuth]
    renew_before_days: 30
    certificate_owner: postgres
    certificate_group: postgres
    certificate_mode: "0644"
    private_key_owner: postgres
    private_key_group: postgres
    private_key_mode: "0600"
  register: server_check

- name: Issue the server certificate only when the check asks for it
  community.crypto.x509_certificate:
    path: /etc/postgresql/pgwarden-tls/server.crt
    csr_content: "{{ server_csr.csr }}"
    provider: ownca
    ownca_path: /etc/postgresql/pgwarden-tls/ca.crt
    ownca_privatekey_path: /etc/postgresql/pgwarden-tls/ca.key
    force: "{{ server_check.reissue }}"
  when: not server_check.valid
'''

RETURN = r'''
valid:
  description: Whether everything checked is as wanted.
  returned: always
  type: bool
  sample: false
reasons:
  description: Why not, one short sentence each; empty when RV(valid).
  returned: always
  type: list
  elements: str
  sample: ["expires within 30 days", "mode of /etc/etcd/pki/etcd.key is 0640, wanted 0600"]
reissue:
  description:
    - Whether the certificate exists but has to be issued again (expiring, expired or not yet valid, other names,
      usages, CA or key, signed by an expired CA, unreadable or malformed), as opposed to missing or only having the wrong mode or owner. Use it for C(force).
  returned: always
  type: bool
  sample: true
not_after:
  description: When the certificate expires (ISO 8601, UTC), or null when it is missing or unreadable.
  returned: always
  type: str
  sample: "2027-12-02T20:44:00+00:00"
'''

import datetime

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.certificate_check_plan import (
    CertificateCheckError, reasons, reissue, validate)
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.certificate_read import (
    CRYPTOGRAPHY_ERROR, HAS_CRYPTOGRAPHY, observe)

ARGUMENT_SPEC = dict(
    certificate_path=dict(type='str', required=True),
    private_key_path=dict(type='str', no_log=False),
    private_key_curve=dict(type='str', no_log=False),
    ca_certificate_path=dict(type='str'),
    ca_certificate_content=dict(type='str'),
    ca_copy_path=dict(type='str'),
    self_signed=dict(type='bool', default=False),
    common_name=dict(type='str'),
    subject_alt_names=dict(type='list', elements='str'),
    extended_key_usage=dict(type='list', elements='str'),
    is_ca=dict(type='bool'),
    renew_before_days=dict(type='int'),
    certificate_owner=dict(type='str'),
    certificate_group=dict(type='str'),
    certificate_mode=dict(type='raw'),
    private_key_owner=dict(type='str', no_log=False),
    private_key_group=dict(type='str', no_log=False),
    private_key_mode=dict(type='raw', no_log=False),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        wanted = validate(module.params)
    except CertificateCheckError as e:
        module.fail_json(msg=str(e), changed=False)
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography'), exception=to_native(CRYPTOGRAPHY_ERROR), changed=False)
    observed = observe(wanted, datetime.datetime.now(datetime.timezone.utc))
    why = reasons(wanted, observed)
    cert = observed['certificate'] or {}
    not_after = cert.get('not_after')
    module.exit_json(changed=False, valid=not why, reasons=why, reissue=reissue(wanted, observed),
                     not_after=not_after.isoformat() if not_after is not None else None)


if __name__ == '__main__':
    main()

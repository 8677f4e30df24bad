"""certificate_check's planner: validate() refuses bad options naming them, reasons() and reissue() are
pure functions of the wanted properties and the observed facts."""
import datetime

import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.certificate_check_plan import (
    CertificateCheckError, reasons, reissue, validate)

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 12, 2, 20, 0, tzinfo=UTC)
PARAMS = dict(certificate_path='/etc/pki/server.crt', private_key_path='/etc/pki/server.key',
              ca_certificate_path='/etc/pki/ca.crt', common_name='db1',
              subject_alt_names=['DNS:db1', 'DNS:Localhost', 'IP:127.0.0.1'], extended_key_usage=['serverAuth', 'clientAuth'],
              renew_before_days=30, certificate_owner='postgres', certificate_group='postgres', certificate_mode='0644',
              private_key_owner='postgres', private_key_group='postgres', private_key_mode=0o600)


def _observed(**cert):
    c = dict(error=None, not_after=NOW + datetime.timedelta(days=200), common_name='db1',
             subject_alt_names={'DNS:db1', 'DNS:localhost', 'IP:127.0.0.1'}, extended_key_usage={'serverAuth', 'clientAuth'},
             is_ca=False, signed_by_ca=True, signature_error=None, key_matches=True,
             owner='postgres', group='postgres', mode=0o644)
    c.update(cert)
    return dict(now=NOW, certificate=c, private_key=dict(error=None, owner='postgres', group='postgres', mode=0o600),
                ca=dict(error=None), ca_copy=None)


def _check(observed, **params):
    wanted = validate(dict(PARAMS, **params))
    return reasons(wanted, observed), reissue(wanted, observed)


def test_happy_path():
    assert _check(_observed()) == ([], False)


def test_validate_normalises():
    w = validate(dict(PARAMS, subject_alt_names=['dns:DB1.Example.com', 'IP:0:0::1', 'IP:127.0.0.1'],
                      extended_key_usage=['1.3.6.1.5.5.7.3.1', '1.2.3.4'], certificate_mode=0o644))
    assert w['subject_alt_names'] == {'DNS:db1.example.com', 'IP:::1', 'IP:127.0.0.1'}
    assert w['extended_key_usage'] == {'serverAuth', '1.2.3.4'}
    assert w['certificate_mode'] == 0o644 and w['private_key_mode'] == 0o600


def test_missing_certificate_is_not_a_reissue():
    o = _observed()
    o['certificate'] = None
    assert _check(o) == (['certificate missing'], False)
    o['private_key'] = None
    assert _check(o) == (['certificate missing', 'private key missing'], False)


def test_missing_key_under_a_certificate_is_a_reissue():
    o = _observed()
    o['private_key'] = None
    r, again = _check(o)
    assert 'private key missing' in r and 'certificate without its private key' in r and again


@pytest.mark.parametrize('cert, reason', [
    (dict(not_after=NOW + datetime.timedelta(days=29)), 'expires within 30 days'),
    (dict(not_after=NOW - datetime.timedelta(seconds=1)), 'expired'),
    (dict(common_name='db2'), 'common name differs'),
    (dict(subject_alt_names={'DNS:db1', 'DNS:localhost'}), 'subject alt names differ: missing IP:127.0.0.1'),
    (dict(subject_alt_names={'DNS:db1', 'DNS:localhost', 'IP:127.0.0.1', 'DNS:evil'}),
     'subject alt names differ: unexpected DNS:evil'),
    (dict(extended_key_usage={'serverAuth'}), 'extended key usage differs: has serverAuth, wanted clientAuth, serverAuth'),
    (dict(signed_by_ca=False), 'not signed by the CA'),
    (dict(key_matches=False), 'private key does not match the certificate'),
    (dict(error='not a PEM certificate'), 'certificate unreadable: not a PEM certificate'),
])
def test_each_reason_about_the_certificate_is_a_reissue(cert, reason):
    assert _check(_observed(**cert)) == ([reason], True)


@pytest.mark.parametrize('change, reason', [
    (dict(certificate=dict(mode=0o640)), 'mode of /etc/pki/server.crt is 0640, wanted 0644'),
    (dict(certificate=dict(owner='root')), 'owner of /etc/pki/server.crt is root, wanted postgres'),
    (dict(private_key=dict(mode=0o644)), 'mode of /etc/pki/server.key is 0644, wanted 0600'),
    (dict(private_key=dict(group='root')), 'group of /etc/pki/server.key is root, wanted postgres'),
])
def test_attributes_are_reasons_but_no_reissue(change, reason):
    o = _observed()
    for k, v in change.items():
        o[k].update(v)
    assert _check(o) == ([reason], False)


def test_key_curve():
    o = _observed()
    o['private_key']['curve'] = 'secp256r1'
    assert _check(o, private_key_curve='secp384r1') == (
        ['certificate of a private key that is made again', 'private key is an EC secp256r1 key, wanted an EC secp384r1 key'],
        True)
    o['private_key']['curve'] = None
    o['certificate'] = None
    assert _check(o, private_key_curve='secp384r1') == (
        ['certificate missing', 'private key is not an EC key, wanted an EC secp384r1 key'], False)
    o['private_key']['curve'] = 'secp384r1'
    assert _check(o, private_key_curve='secp384r1') == (['certificate missing'], False)


def test_unverifiable_signature_and_missing_ca_are_not_reissues():
    assert _check(_observed(signed_by_ca=None, signature_error='unsupported CA key type X')) == \
        (['signature not verifiable: unsupported CA key type X'], False)
    o = _observed(signed_by_ca=None)
    o['ca'] = None
    assert _check(o) == (['CA certificate missing'], False)


def test_unset_properties_are_not_checked():
    o = _observed(common_name='x', subject_alt_names=set(), extended_key_usage=set(), is_ca=True,
                  not_after=NOW + datetime.timedelta(days=1), owner='root', mode=0o600)
    params = dict((k, None) for k in PARAMS if k not in ('certificate_path', 'private_key_path', 'ca_certificate_path'))
    assert _check(o, **params) == ([], False)


def test_self_signed_and_is_ca():
    o = _observed(is_ca=True, signed_by_ca=False)
    o['ca'] = None
    r, again = _check(o, ca_certificate_path=None, self_signed=True, is_ca=True)
    assert r == ['not self-signed'] and again
    o = _observed(is_ca=False)
    assert _check(o, is_ca=True)[0] == ['not a CA certificate']


def test_ca_copy():
    o = _observed()
    assert _check(o, ca_copy_path='/etc/pgbackrest/tls/ca.crt') == (['CA copy missing'], False)
    o['ca_copy'] = dict(error=None, same=False, owner='postgres', group='postgres', mode=0o600)
    assert _check(o, ca_copy_path='/etc/pgbackrest/tls/ca.crt') == (
        ['CA copy /etc/pgbackrest/tls/ca.crt differs from the CA certificate',
         'mode of /etc/pgbackrest/tls/ca.crt is 0600, wanted 0644'], False)
    o['ca_copy'].update(same=True, mode=0o644)
    assert _check(o, ca_copy_path='/etc/pgbackrest/tls/ca.crt') == ([], False)


def test_hostile_certificate_names_are_quoted():
    r = _check(_observed(subject_alt_names={'DNS:db1', 'DNS:localhost', 'IP:127.0.0.1', 'DNS:a\nb'}))[0]
    assert r == ['subject alt names differ: unexpected DNS:a\\nb']


@pytest.mark.parametrize('bad, message', [
    (dict(certificate_path='server.crt'), 'certificate_path: must be an absolute'),
    (dict(certificate_path=None), 'certificate_path: required'),
    (dict(private_key_path='/etc/pki/../shadow'), 'private_key_path: must be an absolute'),
    (dict(ca_certificate_path='/etc/pki//ca.crt'), 'ca_certificate_path: must be an absolute'),
    (dict(ca_copy_path='/etc/pki/ca.crt\n'), 'ca_copy_path: must not contain'),
    (dict(private_key_path='/etc/pki/server.crt'), 'certificate_path: the certificate, key'),
    (dict(subject_alt_names=['DNS:db1', 'DNS:db1\nIP:1.2.3.4']), 'subject_alt_names[1]: not a DNS name'),
    (dict(subject_alt_names=['DNS:db1,DNS:evil.example']), 'subject_alt_names[0]: not a DNS name'),
    (dict(subject_alt_names=['DNS:db1', 'DNS: db1']), 'subject_alt_names[1]: not a DNS name'),
    (dict(subject_alt_names=['IP:300.1.1.1']), 'subject_alt_names[0]: not an IP address'),
    (dict(subject_alt_names=['URI:http://x']), 'subject_alt_names[0]: must start with'),
    (dict(subject_alt_names=['db1']), 'subject_alt_names[0]: must start with'),
    (dict(subject_alt_names=[7]), 'subject_alt_names[0]: a string'),
    (dict(subject_alt_names='DNS:db1'), 'subject_alt_names: a list'),
    (dict(extended_key_usage=['serverAuth', 'anything']), 'extended_key_usage[1]:'),
    (dict(certificate_mode='7777'), 'certificate_mode: an octal mode'),
    (dict(private_key_mode='4600'), 'private_key_mode: an octal mode'),
    (dict(private_key_mode='rw'), 'private_key_mode: an octal mode'),
    (dict(certificate_mode=True), 'certificate_mode: an octal mode'),
    (dict(renew_before_days=-1), 'renew_before_days:'),
    (dict(renew_before_days=10 ** 12), 'renew_before_days:'),
    (dict(renew_before_days=True), 'renew_before_days:'),
    (dict(certificate_owner='root; rm -rf /'), 'certificate_owner: a user or group name'),
    (dict(common_name='db1\nCN=evil'), 'common_name: one line'),
    (dict(common_name='x' * 65), 'common_name: one line'),
    (dict(is_ca='yes'), 'is_ca:'),
    (dict(self_signed=True), 'self_signed:'),
    (dict(ca_certificate_content='-----BEGIN CERTIFICATE-----\n'), 'ca_certificate_content: give'),
    (dict(ca_certificate_path=None, ca_certificate_content='not pem'), 'ca_certificate_content: a PEM'),
    (dict(ca_certificate_path=None, ca_copy_path='/etc/pki/copy.crt'), 'ca_copy_path: needs the CA'),
    (dict(private_key_path=None), 'private_key_owner: needs private_key_path'),
    (dict(private_key_curve='secp384r1; x'), 'private_key_curve: an elliptic curve name'),
])
def test_hostile_input_fails_naming_the_option(bad, message):
    with pytest.raises(CertificateCheckError) as e:
        validate(dict(PARAMS, **bad))
    assert str(e.value).startswith(message), str(e.value)


def test_a_certificate_not_yet_valid_is_a_reissue():
    o = _observed(not_before=NOW + datetime.timedelta(hours=1))
    assert _check(o) == (['not yet valid (not before 2026-12-02 21:00:00 UTC)'], True)
    assert _check(_observed(not_before=NOW - datetime.timedelta(days=1))) == ([], False)


def test_a_ca_outside_its_validity():
    o = _observed()
    o['ca'] = dict(error=None, not_before=NOW - datetime.timedelta(days=400), not_after=NOW - datetime.timedelta(seconds=1))
    # the leaf it signed is issued again (after the CA), even though the leaf itself is within its own dates
    assert _check(o) == (['signed by a CA certificate that is expired (not after 2026-12-02 19:59:59 UTC)'], True)
    o['ca'] = dict(error=None, not_before=NOW + datetime.timedelta(days=1), not_after=NOW + datetime.timedelta(days=400))
    assert _check(o) == (['signed by a CA certificate that is not yet valid (not before 2026-12-03 20:00:00 UTC)'], True)
    o['certificate']['signed_by_ca'] = False  # another CA signed it: that, and this CA's own problem
    assert _check(o) == (['not signed by the CA', 'CA certificate not yet valid (not before 2026-12-03 20:00:00 UTC)'], True)
    o['certificate']['signed_by_ca'] = None
    r, again = _check(o)
    assert 'CA certificate not yet valid (not before 2026-12-03 20:00:00 UTC)' in r and again is False
    o['certificate'] = None  # nothing to issue again yet, but the CA's problem is said
    assert _check(o) == (['certificate missing', 'CA certificate not yet valid (not before 2026-12-03 20:00:00 UTC)'], False)


def test_a_malformed_certificate_is_a_reason_and_a_reissue():
    o = _observed(malformed='the subjectAltName extension (2.5.29.17) appears twice')
    assert _check(o) == (['certificate malformed: the subjectAltName extension (2.5.29.17) appears twice'], True)

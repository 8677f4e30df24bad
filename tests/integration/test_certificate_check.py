"""pgwarden.postgresql.certificate_check on real certificates made here with cryptography: one read-only
module run says whether a certificate, its key, its CA and a copy of the CA are what a role would make."""
import datetime
import ipaddress
import os

import pytest
from cryptography import x509
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from runner import run_module

MODULE = 'pgwarden.postgresql.certificate_check'
UTC = datetime.timezone.utc


def _key(kind='ec'):
    if kind == 'rsa':
        return rsa.generate_private_key(public_exponent=65537, key_size=2048, backend=default_backend())
    return ec.generate_private_key(ec.SECP384R1(), default_backend())


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(cn='test CA', kind='ec'):
    key = _key(kind)
    now = datetime.datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn)).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256(), default_backend()))
    return key, cert


def _leaf(ca_key, ca_cert, key, cn='db1', sans=('db1', 'localhost'), ips=('127.0.0.1',), days=365,
          ekus=(ExtendedKeyUsageOID.SERVER_AUTH,)):
    now = datetime.datetime.now(UTC)
    names = [x509.DNSName(n) for n in sans] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    return (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage(list(ekus)), critical=False)
            .sign(ca_key, hashes.SHA256(), default_backend()))


def _write(path, data, mode):
    with open(path, 'wb') as f:
        f.write(data)
    os.chmod(path, mode)


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@pytest.fixture
def site(tmp_path):
    """A CA and a server certificate as the tls role lays them out, and the module's arguments for them."""
    d = str(tmp_path)
    ca_key, ca_cert = _ca()
    key = _key()
    _write(d + '/ca.key', _pem_key(ca_key), 0o600)
    _write(d + '/ca.crt', _pem_cert(ca_cert), 0o644)
    _write(d + '/server.key', _pem_key(key), 0o600)
    _write(d + '/server.crt', _pem_cert(_leaf(ca_key, ca_cert, key)), 0o644)
    args = dict(certificate_path=d + '/server.crt', private_key_path=d + '/server.key', ca_certificate_path=d + '/ca.crt',
                common_name='db1', subject_alt_names=['DNS:db1', 'DNS:LOCALHOST', 'IP:127.0.0.1'],
                extended_key_usage=['serverAuth'], renew_before_days=30, certificate_mode='0644', private_key_mode='0600')
    return dict(dir=d, ca_key=ca_key, ca_cert=ca_cert, key=key, args=args)


def test_valid_certificate_is_valid_in_and_out_of_check_mode(site):
    for check in (False, True):
        r = run_module(MODULE, site['args'], check=check)
        assert r['changed'] is False and r['valid'] is True and r['reasons'] == [] and r['reissue'] is False, r
        assert r['not_after'].startswith(str(datetime.datetime.now(UTC).year + 1))


def test_missing_certificate_and_key(site):
    os.unlink(site['dir'] + '/server.crt')
    for check in (False, True):
        r = run_module(MODULE, site['args'], check=check)
        assert r['valid'] is False and r['reasons'] == ['certificate missing'] and r['reissue'] is False
        assert r['not_after'] is None and not r.get('failed')
    os.unlink(site['dir'] + '/server.key')
    r = run_module(MODULE, site['args'])
    assert r['reasons'] == ['certificate missing', 'private key missing'] and r['reissue'] is False


def test_key_missing_under_an_existing_certificate_means_issue_again(site):
    os.unlink(site['dir'] + '/server.key')
    r = run_module(MODULE, site['args'])
    assert r['valid'] is False and r['reissue'] is True and 'private key missing' in r['reasons']


def test_expiring(site):
    cert = _leaf(site['ca_key'], site['ca_cert'], site['key'], days=10)
    _write(site['dir'] + '/server.crt', _pem_cert(cert), 0o644)
    r = run_module(MODULE, site['args'])
    assert r['valid'] is False and r['reasons'] == ['expires within 30 days'] and r['reissue'] is True
    r = run_module(MODULE, dict(site['args'], renew_before_days=5))
    assert r['valid'] is True


def test_names_and_usages_differ(site):
    cert = _leaf(site['ca_key'], site['ca_cert'], site['key'], cn='db2', sans=('db1', 'old.example'), ips=('::1',),
                 ekus=(ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH))
    _write(site['dir'] + '/server.crt', _pem_cert(cert), 0o644)
    r = run_module(MODULE, site['args'])
    assert r['valid'] is False and r['reissue'] is True
    assert 'common name differs' in r['reasons']
    assert 'subject alt names differ: missing DNS:localhost, IP:127.0.0.1; unexpected DNS:old.example, IP:::1' in r['reasons']
    assert any(x.startswith('extended key usage differs') for x in r['reasons'])
    # IP addresses compare normalised
    r = run_module(MODULE, dict(site['args'], common_name='db2', extended_key_usage=['clientAuth', 'serverAuth'],
                                subject_alt_names=['DNS:db1', 'DNS:old.example', 'IP:0:0::1']))
    assert r['valid'] is True, r


def test_signed_by_another_ca_with_the_same_name(site):
    other_key, other_cert = _ca()  # same subject, another key: only the signature tells them apart
    cert = _leaf(other_key, other_cert, site['key'])
    _write(site['dir'] + '/server.crt', _pem_cert(cert), 0o644)
    r = run_module(MODULE, site['args'])
    assert r['valid'] is False and r['reasons'] == ['not signed by the CA'] and r['reissue'] is True


def test_rsa_ca(site):
    ca_key, ca_cert = _ca(kind='rsa')
    _write(site['dir'] + '/ca.crt', _pem_cert(ca_cert), 0o644)
    _write(site['dir'] + '/server.crt', _pem_cert(_leaf(ca_key, ca_cert, site['key'])), 0o644)
    assert run_module(MODULE, site['args'])['valid'] is True
    _write(site['dir'] + '/ca.crt', _pem_cert(_ca(kind='rsa')[1]), 0o644)
    assert run_module(MODULE, site['args'])['reasons'] == ['not signed by the CA']


def test_key_curve(site):
    assert run_module(MODULE, dict(site['args'], private_key_curve='secp384r1'))['valid'] is True
    r = run_module(MODULE, dict(site['args'], private_key_curve='prime256v1'))
    assert r['reasons'] == ['certificate of a private key that is made again',
                            'private key is an EC secp384r1 key, wanted an EC prime256v1 key'] and r['reissue'] is True
    key = _key('rsa')
    _write(site['dir'] + '/server.key', _pem_key(key), 0o600)
    _write(site['dir'] + '/server.crt', _pem_cert(_leaf(site['ca_key'], site['ca_cert'], key)), 0o644)
    assert run_module(MODULE, site['args'])['valid'] is True
    r = run_module(MODULE, dict(site['args'], private_key_curve='secp384r1'))
    assert 'private key is not an EC key, wanted an EC secp384r1 key' in r['reasons'] and r['reissue'] is True


def test_key_mismatch(site):
    _write(site['dir'] + '/server.key', _pem_key(_key()), 0o600)
    r = run_module(MODULE, site['args'])
    assert r['valid'] is False and r['reasons'] == ['private key does not match the certificate'] and r['reissue'] is True


def test_wrong_mode_and_owner(site):
    os.chmod(site['dir'] + '/server.key', 0o640)
    r = run_module(MODULE, dict(site['args'], certificate_owner='no-such-owner-pgw'))
    assert r['valid'] is False and r['reissue'] is False
    assert 'mode of %s/server.key is 0640, wanted 0600' % site['dir'] in r['reasons']
    assert any(x.startswith('owner of %s/server.crt is ' % site['dir']) for x in r['reasons'])
    assert run_module(MODULE, dict(site['args'], private_key_mode='0640'), check=True)['valid'] is True


def test_unparseable_files_are_reasons_not_failures(site):
    _write(site['dir'] + '/server.crt', b'garbage\n', 0o644)
    _write(site['dir'] + '/server.key', b'-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n', 0o600)
    r = run_module(MODULE, site['args'])
    assert not r.get('failed') and r['valid'] is False and r['reissue'] is True
    assert 'certificate unreadable: not a PEM certificate' in r['reasons']
    assert 'private key unreadable: not an unencrypted PEM private key' in r['reasons']
    assert 'secret' not in repr(r)


def test_self_signed_ca(site):
    d = site['dir']
    args = dict(certificate_path=d + '/ca.crt', private_key_path=d + '/ca.key', self_signed=True, is_ca=True,
                common_name='test CA')
    assert run_module(MODULE, args)['valid'] is True
    r = run_module(MODULE, dict(args, certificate_path=d + '/server.crt', private_key_path=d + '/server.key', common_name='db1'))
    assert r['valid'] is False and 'not self-signed' in r['reasons'] and 'not a CA certificate' in r['reasons']


def test_ca_copy_and_ca_content(site):
    d = site['dir']
    ca_pem = _pem_cert(site['ca_cert']).decode()
    args = dict(site['args'], ca_copy_path=d + '/copy.crt')
    r = run_module(MODULE, args)
    assert r['valid'] is False and r['reasons'] == ['CA copy missing'] and r['reissue'] is False
    _write(d + '/copy.crt', _pem_cert(_ca()[1]), 0o644)
    assert run_module(MODULE, args)['reasons'] == ['CA copy %s/copy.crt differs from the CA certificate' % d]
    _write(d + '/copy.crt', ca_pem.encode(), 0o644)
    assert run_module(MODULE, args)['valid'] is True
    del args['ca_certificate_path']
    args['ca_certificate_content'] = ca_pem
    assert run_module(MODULE, args)['valid'] is True
    os.unlink(d + '/ca.crt')  # not used with the content
    assert run_module(MODULE, args)['valid'] is True
    args['ca_certificate_content'] = _pem_cert(_ca()[1]).decode()
    r = run_module(MODULE, args)
    assert 'not signed by the CA' in r['reasons'] and any('differs from the CA' in x for x in r['reasons'])


def test_missing_ca_is_a_reason_but_no_reason_to_issue_again(site):
    os.unlink(site['dir'] + '/ca.crt')
    r = run_module(MODULE, site['args'])
    assert r['valid'] is False and r['reasons'] == ['CA certificate missing'] and r['reissue'] is False


@pytest.mark.parametrize('bad, option', [
    (dict(certificate_path='server.crt'), 'certificate_path'),
    (dict(private_key_path='/etc/../tmp/server.key'), 'private_key_path'),
    (dict(subject_alt_names=['DNS:db1', 'DNS:x\nIP:10.0.0.1']), 'subject_alt_names[1]'),
    (dict(subject_alt_names=['DNS:db1,DNS:evil']), 'subject_alt_names[0]'),
    (dict(certificate_mode='7777'), 'certificate_mode'),
    (dict(renew_before_days=-1), 'renew_before_days'),
    (dict(renew_before_days=10 ** 9), 'renew_before_days'),
])
def test_bad_input_fails_naming_the_option(site, bad, option):
    r = run_module(MODULE, dict(site['args'], **bad))
    assert r.get('failed') and r['msg'].startswith(option + ':'), r


def _dated(ca_key, ca_cert, key, cn, start, end, is_ca=False):
    """A certificate valid from start to end (days from now), signed by ca_key, or self-signed when ca_cert is None."""
    now = datetime.datetime.now(UTC)
    issuer = _name(cn) if ca_cert is None else ca_cert.subject
    builder = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now + datetime.timedelta(days=start))
               .not_valid_after(now + datetime.timedelta(days=end))
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=0 if is_ca else None), critical=True))
    if not is_ca:
        names = [x509.DNSName('db1'), x509.DNSName('localhost'), x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]
        builder = (builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    return builder.sign(ca_key, hashes.SHA256(), default_backend())


def test_not_yet_valid_certificate_is_issued_again(site):
    _write(site['dir'] + '/server.crt', _pem_cert(_dated(site['ca_key'], site['ca_cert'], site['key'], 'db1', 2, 365)), 0o644)
    for check in (False, True):
        r = run_module(MODULE, site['args'], check=check)
        assert r['valid'] is False and r['reissue'] is True and len(r['reasons']) == 1, r
        assert r['reasons'][0].startswith('not yet valid (not before %s' % (datetime.datetime.now(UTC) + datetime.timedelta(days=2)).year)


def test_leaf_signed_by_an_expired_or_future_ca(site):
    d = site['dir']
    for start, end, problem in [(-400, -1, 'expired (not after '), (1, 400, 'not yet valid (not before ')]:
        ca_cert = _dated(site['ca_key'], None, site['ca_key'], 'test CA', start, end, is_ca=True)
        _write(d + '/ca.crt', _pem_cert(ca_cert), 0o644)
        _write(d + '/server.crt', _pem_cert(_leaf(site['ca_key'], ca_cert, site['key'])), 0o644)  # valid dates itself
        r = run_module(MODULE, site['args'])
        assert r['valid'] is False and r['reissue'] is True and len(r['reasons']) == 1, r
        assert r['reasons'][0].startswith('signed by a CA certificate that is ' + problem), r
        # the CA's own check (as the tls role runs it) says so too
        r = run_module(MODULE, dict(certificate_path=d + '/ca.crt', self_signed=True, is_ca=True))
        assert r['valid'] is False and r['reissue'] is True and r['reasons'][0].startswith(problem.split(' (', maxsplit=1)[0]), r


def _der_length(data, pos):
    """(start of the content, end) of the DER element at pos."""
    first = data[pos + 1]
    if first < 0x80:
        return pos + 2, pos + 2 + first
    n = first & 0x7f
    size = int.from_bytes(data[pos + 2:pos + 2 + n], 'big')
    return pos + 2 + n, pos + 2 + n + size


def _der(tag, body):
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    raw = size.to_bytes((size.bit_length() + 7) // 8, 'big')
    return bytes([tag, 0x80 | len(raw)]) + raw + body


def _with_duplicate_san(ca_key, ca_cert, key):
    """A certificate signed by the CA with two subjectAltName extensions. cryptography's builder refuses that
    (and OpenSSL's configuration replaces the first), so: a placeholder extension with an OID of the same length
    (2.5.29.99), its OID turned into 2.5.29.17 in the signed part, which is signed again with the CA's key."""
    sans = x509.SubjectAlternativeName([x509.DNSName('evil.example')])
    placeholder = x509.UnrecognizedExtension(x509.ObjectIdentifier('2.5.29.99'), sans.public_bytes())
    now = datetime.datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(_name('db1')).issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName('db1')]), critical=False)
            .add_extension(placeholder, critical=False)
            .sign(ca_key, hashes.SHA256(), default_backend()))
    tbs = cert.tbs_certificate_bytes
    assert tbs.count(b'\x06\x03\x55\x1d\x63') == 1
    tbs = tbs.replace(b'\x06\x03\x55\x1d\x63', b'\x06\x03\x55\x1d\x11')
    der = cert.public_bytes(serialization.Encoding.DER)
    body, _end = _der_length(der, 0)
    _tbs_start, tbs_end = _der_length(der, body)
    _alg_start, alg_end = _der_length(der, tbs_end)
    signature = ca_key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    return _der(0x30, tbs + der[tbs_end:alg_end] + _der(0x03, b'\x00' + signature))


def test_duplicate_extension_is_a_reason_not_a_traceback(site):
    der = _with_duplicate_san(site['ca_key'], site['ca_cert'], site['key'])
    cert = x509.load_der_x509_certificate(der)
    with pytest.raises(x509.DuplicateExtension):  # what the module used to die of
        cert.extensions
    site['ca_cert'].public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    _write(site['dir'] + '/server.crt', cert.public_bytes(serialization.Encoding.PEM), 0o644)
    for check in (False, True):
        r = run_module(MODULE, site['args'], check=check)
        assert not r.get('failed') and 'Traceback' not in repr(r), r
        assert r['valid'] is False and r['reissue'] is True
        assert r['reasons'] == ['certificate malformed: the subjectAltName extension (2.5.29.17) appears twice'], r

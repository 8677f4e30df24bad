# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificate_check's read step: the facts certificate_check_plan.reasons() needs, read from the files with the
cryptography library (the certificate, its key, its CA, a copy of the CA). Nothing is written."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import grp
import os
import pwd
import stat

from ansible.module_utils.common.text.converters import to_bytes, to_native
from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.certificate_check_plan import EKU_NAMES

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.backends import default_backend
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_ERROR = None
except ImportError as e:  # pragma: no cover - the tls role installs python3-cryptography
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_ERROR = e

try:
    from cryptography.hazmat.primitives.asymmetric import ed25519, ed448
except ImportError:  # pragma: no cover - very old cryptography
    ed25519 = ed448 = None

_MALFORMED = (ValueError, TypeError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) if HAS_CRYPTOGRAPHY else ()
_EKU_BY_OID = dict((oid, name) for name, oid in EKU_NAMES.items())
_UTC = datetime.timezone.utc


def _name(table, ident):
    try:
        return table(ident)[0]
    except KeyError:
        return str(ident)


def _read(path):
    """(facts, data): facts None when the file is missing; data None when it cannot be read."""
    try:
        st = os.stat(path)
    except OSError as e:
        if not os.path.lexists(path):
            return None, None
        return dict(error=to_native(e.strerror or e)), None
    facts = dict(error=None, mode=stat.S_IMODE(st.st_mode),
                 owner=_name(pwd.getpwuid, st.st_uid), group=_name(grp.getgrgid, st.st_gid))
    if not stat.S_ISREG(st.st_mode):
        facts['error'] = 'not a regular file'
        return facts, None
    try:
        with open(path, 'rb') as f:
            data = f.read(1024 * 1024)
    except (IOError, OSError) as e:
        facts['error'] = to_native(e.strerror or e)
        return facts, None
    return facts, data


def _load_cert(data):
    return x509.load_pem_x509_certificate(data, default_backend())


def _spki(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _validity(cert):
    """(not_before, not_after) as aware datetimes in UTC."""
    before, after = getattr(cert, 'not_valid_before_utc', None), getattr(cert, 'not_valid_after_utc', None)
    if after is None:  # cryptography < 42: naive datetimes in UTC
        before, after = cert.not_valid_before.replace(tzinfo=_UTC), cert.not_valid_after.replace(tzinfo=_UTC)
    return before, after


def _ca_facts(cert):
    before, after = _validity(cert)
    return dict(error=None, not_before=before, not_after=after)


def _extension(cert, cls):
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def _malformed(error):
    """A reason from the exception cryptography raised when it parsed the certificate's extensions: it parses
    them only when they are first used, and raises DuplicateExtension (not a ValueError) for an extension
    present twice, which RFC 5280 forbids."""
    if isinstance(error, x509.DuplicateExtension):
        oid = getattr(error, 'oid', None)
        return 'the %s extension (%s) appears twice' % (getattr(oid, '_name', None) or 'unknown',
                                                        getattr(oid, 'dotted_string', '?'))
    return 'an extension cannot be read: %s' % to_native(error)[:200]


def _sans(cert):
    ext = _extension(cert, x509.SubjectAlternativeName)
    out = set()
    for name in ext or ():
        if isinstance(name, x509.DNSName):
            out.add('DNS:' + name.value.lower())
        elif isinstance(name, x509.IPAddress):
            out.add('IP:' + str(name.value))
        else:
            out.add('%s:%s' % (type(name).__name__, name.value))
    return out


def _signed_by(cert, issuer):
    """True, False, or (None, why) when the signature cannot be checked."""
    if cert.issuer != issuer.subject:
        return False, None
    key = issuer.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        elif ed25519 is not None and isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        elif hasattr(cert, 'verify_directly_issued_by'):  # cryptography >= 40, other key types
            cert.verify_directly_issued_by(issuer)
        else:
            return None, 'unsupported CA key type %s' % type(key).__name__
    except InvalidSignature:
        return False, None
    except (TypeError, ValueError) as e:
        return None, to_native(e)[:200]
    return True, None


def _cert_facts(cert, public_key, issuer):
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    eku = _extension(cert, x509.ExtendedKeyUsage)
    bc = _extension(cert, x509.BasicConstraints)
    not_before, not_after = _validity(cert)
    facts = dict(not_before=not_before, not_after=not_after, common_name=to_native(cn[0].value) if cn else None,
                 subject_alt_names=_sans(cert),
                 extended_key_usage=set(_EKU_BY_OID.get(o.dotted_string, o.dotted_string) for o in (eku or ())),
                 is_ca=bool(bc and bc.ca), signed_by_ca=None, signature_error=None,
                 key_matches=None if public_key is None else public_key == _spki(cert.public_key()))
    if issuer is not None:
        facts['signed_by_ca'], facts['signature_error'] = _signed_by(cert, issuer)
    return facts


def observe(wanted, now):
    """The facts reasons() needs, read from the files."""
    observed = dict(now=now, certificate=None, private_key=None, ca=None, ca_copy=None)
    ca_cert = None
    if wanted['ca_certificate_content'] is not None:
        try:
            ca_cert = _load_cert(to_bytes(wanted['ca_certificate_content']))
            observed['ca'] = _ca_facts(ca_cert)
        except ValueError:
            observed['ca'] = dict(error='ca_certificate_content is not a PEM certificate')
    elif wanted['ca_certificate_path'] is not None:
        facts, data = _read(wanted['ca_certificate_path'])
        if facts is not None and data is not None:
            try:
                ca_cert = _load_cert(data)
                facts.update(_ca_facts(ca_cert))
            except ValueError:
                facts['error'] = 'not a PEM certificate'
        observed['ca'] = facts
    if wanted['ca_copy_path'] is not None:
        facts, data = _read(wanted['ca_copy_path'])
        if facts is not None and data is not None:
            try:
                copy = _load_cert(data)
                facts['same'] = ca_cert is not None and \
                    copy.public_bytes(serialization.Encoding.DER) == ca_cert.public_bytes(serialization.Encoding.DER)
            except ValueError:
                facts['error'] = 'not a PEM certificate'
        observed['ca_copy'] = facts
    public_key = None
    if wanted['private_key_path'] is not None:
        facts, data = _read(wanted['private_key_path'])
        if facts is not None and data is not None:
            try:
                private_key = serialization.load_pem_private_key(data, None, default_backend())
                public_key = _spki(private_key.public_key())
                facts['curve'] = private_key.curve.name if isinstance(private_key, ec.EllipticCurvePrivateKey) else None
                private_key = None
            except (TypeError, ValueError):
                facts['error'] = 'not an unencrypted PEM private key'
            except Exception:  # an unsupported key type: never show the key's content in a message
                facts['error'] = 'not a supported private key'
        observed['private_key'] = facts
        data = None
    facts, data = _read(wanted['certificate_path'])
    if facts is not None and data is not None:
        try:
            cert = _load_cert(data)
        except ValueError:
            facts['error'] = 'not a PEM certificate'
        else:
            issuer = cert if wanted['self_signed'] else ca_cert
            try:
                facts.update(_cert_facts(cert, public_key, issuer))
            except _MALFORMED as e:
                facts['malformed'] = _malformed(e)
    observed['certificate'] = facts
    return observed

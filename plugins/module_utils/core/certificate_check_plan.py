# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is a certificate (and its key, its CA, a copy of the CA) what a role would make? validate() the wanted
properties, then reasons() compares them with what the module observed on disk. Pure: the module reads
the files with the cryptography library and passes plain facts in."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re

from ansible_collections.pgwarden.postgresql.plugins.module_utils.core.input_checks import absolute_path, permission_mode

try:
    import ipaddress
except ImportError:  # pragma: no cover - Python 2 has no ipaddress; validate() then refuses IP entries
    ipaddress = None

_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_.-]{0,31}$')
# A DNS name as certificates carry it: labels of letters, digits, '-' and '_', an optional leading '*.'.
_DNS = re.compile(r'^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$')
_CURVE = re.compile(r'^[a-z][a-z0-9]{2,31}$')
_OID = re.compile(r'^[0-2](\.(0|[1-9][0-9]{0,9})){1,20}$')
# The names openssl_csr_pipe and OpenSSL accept for extended key usages, by their dotted OID.
EKU_NAMES = {
    'serverAuth': '1.3.6.1.5.5.7.3.1',
    'clientAuth': '1.3.6.1.5.5.7.3.2',
    'codeSigning': '1.3.6.1.5.5.7.3.3',
    'emailProtection': '1.3.6.1.5.5.7.3.4',
    'timeStamping': '1.3.6.1.5.5.7.3.8',
    'OCSPSigning': '1.3.6.1.5.5.7.3.9',
}
MAX_RENEW_DAYS = 36500
_PATHS = ('certificate_path', 'private_key_path', 'ca_certificate_path', 'ca_copy_path')
_OWNERS = ('certificate_owner', 'certificate_group', 'private_key_owner', 'private_key_group')
_MODES = ('certificate_mode', 'private_key_mode')
# Reasons about the certificate's content: the certificate has to be issued again (not only fixed up).
_REISSUE = 'reissue'


class CertificateCheckError(ValueError):
    """Bad input, naming the option."""


def _path(name, value):
    return absolute_path(name, value, CertificateCheckError)


def _mode(name, value):
    return permission_mode(name, value, CertificateCheckError)


def normalise_san(name, value):
    """'DNS:name' (lower case) or 'IP:address' (compressed), failing naming the entry."""
    if not isinstance(value, str):
        raise CertificateCheckError('%s: a string such as "DNS:db1.example.com" or "IP:192.0.2.1", got %r' % (name, value))
    kind, sep, rest = value.partition(':')
    kind = kind.strip().upper()
    if not sep or kind not in ('DNS', 'IP'):
        raise CertificateCheckError('%s: must start with "DNS:" or "IP:", got %r' % (name, value[:80]))
    if kind == 'DNS':
        if len(rest) > 253 or not _DNS.match(rest):
            raise CertificateCheckError('%s: not a DNS name (letters, digits, "-", "_" and dots): %r' % (name, value[:80]))
        return 'DNS:' + rest.lower()
    if ipaddress is None:
        raise CertificateCheckError('%s: IP entries need Python 3' % name)
    try:
        return 'IP:' + str(ipaddress.ip_address(u'%s' % rest))
    except ValueError:
        raise CertificateCheckError('%s: not an IP address: %r' % (name, value[:80]))


def _eku(name, value):
    if isinstance(value, str) and value in EKU_NAMES:
        return value
    if isinstance(value, str) and _OID.match(value):
        for known, oid in EKU_NAMES.items():
            if oid == value:
                return known
        return value
    raise CertificateCheckError('%s: one of %s or a dotted OID, got %r'
                                % (name, ', '.join(sorted(EKU_NAMES)), value if not isinstance(value, str) else value[:80]))


def validate(params):
    """Normalised wanted properties (a dict), from the module's parameters.

    Raises CertificateCheckError naming the option for the first problem; the module reads nothing before."""
    wanted = dict((k, None) for k in _PATHS + _OWNERS + _MODES)
    wanted['certificate_path'] = _path('certificate_path', params.get('certificate_path'))
    for key in _PATHS[1:]:
        if params.get(key) is not None:
            wanted[key] = _path(key, params[key])
    content = params.get('ca_certificate_content')
    if content is not None and (not isinstance(content, str) or '-----BEGIN CERTIFICATE-----' not in content):
        raise CertificateCheckError('ca_certificate_content: a PEM certificate (-----BEGIN CERTIFICATE-----)')
    wanted['ca_certificate_content'] = content
    wanted['self_signed'] = bool(params.get('self_signed'))
    has_ca = wanted['ca_certificate_path'] is not None or content is not None
    if wanted['ca_certificate_path'] is not None and content is not None:
        raise CertificateCheckError('ca_certificate_content: give ca_certificate_path or ca_certificate_content, not both')
    if wanted['self_signed'] and has_ca:
        raise CertificateCheckError('self_signed: a self-signed certificate has no other CA (drop ca_certificate_path/content)')
    if wanted['ca_copy_path'] is not None and not has_ca:
        raise CertificateCheckError('ca_copy_path: needs the CA to compare with (ca_certificate_path or ca_certificate_content)')
    if len(set(wanted[k] for k in _PATHS if wanted[k] is not None)) != len([k for k in _PATHS if wanted[k] is not None]):
        raise CertificateCheckError('certificate_path: the certificate, key, CA and CA copy must be different files')
    cn = params.get('common_name')
    if cn is not None:
        if not isinstance(cn, str) or not cn or len(cn) > 64 or re.search(r'[\x00-\x1f\x7f]', cn):
            raise CertificateCheckError('common_name: one line of 1 to 64 characters, got %r' % (cn if not isinstance(cn, str) else cn[:80]))
    wanted['common_name'] = cn
    sans = params.get('subject_alt_names')
    if sans is not None:
        if not isinstance(sans, list):
            raise CertificateCheckError('subject_alt_names: a list of "DNS:name" or "IP:address" strings')
        sans = set(normalise_san('subject_alt_names[%d]' % i, v) for i, v in enumerate(sans))
    wanted['subject_alt_names'] = sans
    ekus = params.get('extended_key_usage')
    if ekus is not None:
        if not isinstance(ekus, list):
            raise CertificateCheckError('extended_key_usage: a list such as [serverAuth, clientAuth]')
        ekus = set(_eku('extended_key_usage[%d]' % i, v) for i, v in enumerate(ekus))
    wanted['extended_key_usage'] = ekus
    is_ca = params.get('is_ca')
    if is_ca is not None and not isinstance(is_ca, bool):
        raise CertificateCheckError('is_ca: true or false, got %r' % (is_ca,))
    wanted['is_ca'] = is_ca
    days = params.get('renew_before_days')
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, int) or days < 0 or days > MAX_RENEW_DAYS:
            raise CertificateCheckError('renew_before_days: a whole number of days from 0 to %d, got %r' % (MAX_RENEW_DAYS, days))
    wanted['renew_before_days'] = days
    for key in _OWNERS:
        value = params.get(key)
        if value is not None:
            if not isinstance(value, str) or not _NAME.match(value):
                raise CertificateCheckError('%s: a user or group name, got %r' % (key, value))
            if key.startswith('private_key') and wanted['private_key_path'] is None:
                raise CertificateCheckError('%s: needs private_key_path' % key)
            wanted[key] = value
    curve = params.get('private_key_curve')
    if curve is not None:
        if not isinstance(curve, str) or not _CURVE.match(curve):
            raise CertificateCheckError('private_key_curve: an elliptic curve name such as secp384r1, got %r'
                                        % (curve if not isinstance(curve, str) else curve[:80]))
        if wanted['private_key_path'] is None:
            raise CertificateCheckError('private_key_curve: needs private_key_path')
    wanted['private_key_curve'] = curve
    for key in _MODES:
        if params.get(key) is not None:
            if key.startswith('private_key') and wanted['private_key_path'] is None:
                raise CertificateCheckError('%s: needs private_key_path' % key)
            wanted[key] = _mode(key, params[key])
    return wanted


def _short(values, limit=6):
    values = sorted(values)
    text = ', '.join(repr(v)[1:-1] if not v.isprintable() else v for v in values[:limit])
    return text + (', ...' if len(values) > limit else '')


def _attributes(path, wanted_owner, wanted_group, wanted_mode, seen):
    out = []
    if wanted_mode is not None and seen.get('mode') != wanted_mode:
        have = '?' if seen.get('mode') is None else '%04o' % seen['mode']
        out.append('mode of %s is %s, wanted %04o' % (path, have, wanted_mode))
    if wanted_owner is not None and seen.get('owner') != wanted_owner:
        out.append('owner of %s is %s, wanted %s' % (path, seen.get('owner'), wanted_owner))
    if wanted_group is not None and seen.get('group') != wanted_group:
        out.append('group of %s is %s, wanted %s' % (path, seen.get('group'), wanted_group))
    return out


def _when(moment):
    return moment.strftime('%Y-%m-%d %H:%M:%S UTC')


def _ca_invalid(ca, now):
    """'expired (not after ...)' or 'not yet valid (not before ...)' for a CA outside its validity, else None."""
    if ca is None or now is None:
        return None
    if ca.get('not_after') is not None and ca['not_after'] <= now:
        return 'expired (not after %s)' % _when(ca['not_after'])
    if ca.get('not_before') is not None and ca['not_before'] > now:
        return 'not yet valid (not before %s)' % _when(ca['not_before'])
    return None


def _findings(wanted, observed):
    """(kind, reason) pairs; kind 'reissue' when the existing certificate itself is not the wanted one."""
    found = []
    cert = observed.get('certificate')
    key = observed.get('private_key')
    if wanted['private_key_path'] is not None:
        if key is None:
            found.append(('missing', 'private key missing'))
        elif key.get('error'):
            found.append(('missing', 'private key unreadable: %s' % key['error']))
        else:
            if wanted['private_key_curve'] is not None and key.get('curve') != wanted['private_key_curve']:
                found.append(('key', 'private key is %s, wanted an EC %s key'
                              % (key.get('curve') and 'an EC %s key' % key['curve'] or 'not an EC key', wanted['private_key_curve'])))
            found.extend(('attribute', r) for r in _attributes(
                wanted['private_key_path'], wanted['private_key_owner'], wanted['private_key_group'],
                wanted['private_key_mode'], key))
    ca = observed.get('ca')
    has_ca = wanted['ca_certificate_path'] is not None or wanted['ca_certificate_content'] is not None
    if has_ca and (ca is None or ca.get('error')):
        found.append(('ca', 'CA certificate missing' if ca is None else 'CA certificate unreadable: %s' % ca['error']))
        ca = None
    if cert is None or cert.get('error') or cert.get('malformed'):
        invalid = _ca_invalid(ca, observed.get('now'))
        if invalid:  # else said below, with the certificate's signature
            found.append(('ca', 'CA certificate ' + invalid))
    if wanted['ca_copy_path'] is not None and ca is not None:
        copy = observed.get('ca_copy')
        if copy is None:
            found.append(('copy', 'CA copy missing'))
        elif copy.get('error'):
            found.append(('copy', 'CA copy unreadable: %s' % copy['error']))
        else:
            if not copy.get('same'):
                found.append(('copy', 'CA copy %s differs from the CA certificate' % wanted['ca_copy_path']))
            found.extend(('copy', r) for r in _attributes(
                wanted['ca_copy_path'], wanted['certificate_owner'], wanted['certificate_group'],
                wanted['certificate_mode'], copy))
    if cert is None:
        found.insert(0, ('missing', 'certificate missing'))
        return found
    if cert.get('error'):
        found.insert(0, (_REISSUE, 'certificate unreadable: %s' % cert['error']))
        return found
    if cert.get('malformed'):
        found.insert(0, (_REISSUE, 'certificate malformed: %s' % cert['malformed']))
        return found
    reissue = []
    days = wanted['renew_before_days']
    not_after, now = cert.get('not_after'), observed.get('now')
    if not_after is None or now is None:
        reissue.append('expiry unknown')
    elif not_after <= now:
        reissue.append('expired')
    elif days is not None and not_after - now < datetime.timedelta(days=days):
        reissue.append('expires within %d days' % days)
    if now is not None and cert.get('not_before') is not None and cert['not_before'] > now:
        reissue.append('not yet valid (not before %s)' % _when(cert['not_before']))
    if wanted['common_name'] is not None and cert.get('common_name') != wanted['common_name']:
        reissue.append('common name differs')
    if wanted['subject_alt_names'] is not None:
        have = set(cert.get('subject_alt_names') or ())
        if have != wanted['subject_alt_names']:
            parts = []
            if wanted['subject_alt_names'] - have:
                parts.append('missing ' + _short(wanted['subject_alt_names'] - have))
            if have - wanted['subject_alt_names']:
                parts.append('unexpected ' + _short(have - wanted['subject_alt_names']))
            reissue.append('subject alt names differ: ' + '; '.join(parts))
    if wanted['extended_key_usage'] is not None:
        have = set(cert.get('extended_key_usage') or ())
        if have != wanted['extended_key_usage']:
            reissue.append('extended key usage differs: has %s, wanted %s'
                           % (_short(have) or 'none', _short(wanted['extended_key_usage'])))
    if wanted['is_ca'] is not None and bool(cert.get('is_ca')) != wanted['is_ca']:
        reissue.append('is a CA certificate' if cert.get('is_ca') else 'not a CA certificate')
    ca_invalid = _ca_invalid(ca, now)
    if wanted['self_signed'] or ca is not None:
        if cert.get('signed_by_ca') is False:
            reissue.append('not self-signed' if wanted['self_signed'] else 'not signed by the CA')
        elif cert.get('signed_by_ca') is None:  # cannot tell: not valid, but no reason to issue again
            found.append(('ca', 'signature not verifiable: %s' % (cert.get('signature_error') or 'unsupported key type')))
        if cert.get('signed_by_ca') and ca_invalid:  # a new CA first, then this certificate again
            reissue.append('signed by a CA certificate that is ' + ca_invalid)
        elif ca_invalid:
            found.append(('ca', 'CA certificate ' + ca_invalid))
    if key is not None and not key.get('error') and cert.get('key_matches') is not True:
        reissue.append('private key does not match the certificate')
    if key is None and wanted['private_key_path'] is not None:
        reissue.append('certificate without its private key')
    if any(finding[0] == 'key' for finding in found):  # a new key is made: its certificate with it
        reissue.append('certificate of a private key that is made again')
    found[0:0] = [(_REISSUE, r) for r in reissue]
    found.extend(('attribute', r) for r in _attributes(
        wanted['certificate_path'], wanted['certificate_owner'], wanted['certificate_group'],
        wanted['certificate_mode'], cert))
    return found


def reasons(wanted, observed):
    """Why the certificate is not what was wanted: a list of short strings, empty when it is.

    observed: dict with
      now: aware datetime (UTC);
      certificate: None (missing) or dict(error=None or str, malformed=None or str (e.g. an extension twice),
        not_before, not_after (aware datetimes), common_name,
        subject_alt_names (set of normalised 'DNS:'/'IP:' strings), extended_key_usage (set of names or OIDs),
        is_ca (bool), signed_by_ca (True, False, or None when not verifiable), signature_error, key_matches
        (True/False/None), owner, group, mode (int));
      private_key: None (missing) or dict(error, curve (EC curve name or None), owner, group, mode);
      ca: None (missing) or dict(error, not_before, not_after) - the CA of ca_certificate_path/content;
      ca_copy: None (missing) or dict(error, same (bool, same certificate as the CA), owner, group, mode)."""
    return [finding[1] for finding in _findings(wanted, observed)]


def reissue(wanted, observed):
    """True when the certificate exists but is not the wanted one (expiring, other names, other CA or key,
    unreadable): an issuer has to make it again (force), not only fix its mode or owner."""
    return any(finding[0] == _REISSUE for finding in _findings(wanted, observed))

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client-side password verifiers, so the clear text never reaches the server or its log.

Computes the same SCRAM-SHA-256 verifier as PostgreSQL's pg_be_scram_build_secret
(RFC 5802/7677, SASLprep per RFC 4013 with PostgreSQL's fallback to the raw bytes
when the password is not a valid SASLprep string).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib
import hmac
import os
import re
import stringprep
import unicodedata

SCRAM_PREFIX = 'SCRAM-SHA-256$'
DEFAULT_ITERATIONS = 4096
SALT_BYTES = 16

_SCRAM_RE = re.compile(r'^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$')
_MD5_RE = re.compile(r'^md5[0-9a-f]{32}$')


def is_verifier(value):
    """True when the value is already a SCRAM-SHA-256 or MD5 verifier, not a clear text."""
    return bool(_SCRAM_RE.match(value) or _MD5_RE.match(value))


def is_scram(value):
    return bool(value and _SCRAM_RE.match(value))


def saslprep(password):
    """RFC 4013 SASLprep; returns None where PostgreSQL would use the raw password."""
    if all(ord(c) < 128 for c in password):
        return password
    mapped = []
    for c in password:
        if stringprep.in_table_b1(c):
            continue  # commonly mapped to nothing
        mapped.append(' ' if stringprep.in_table_c12(c) else c)
    s = unicodedata.normalize('NFKC', ''.join(mapped))
    if not s:
        return None
    prohibited = (stringprep.in_table_c12, stringprep.in_table_c21, stringprep.in_table_c22,
                  stringprep.in_table_c3, stringprep.in_table_c4, stringprep.in_table_c5,
                  stringprep.in_table_c6, stringprep.in_table_c7, stringprep.in_table_c8,
                  stringprep.in_table_c9, stringprep.in_table_a1)
    for c in s:
        if any(check(c) for check in prohibited):
            return None
    has_ral = any(stringprep.in_table_d1(c) for c in s)
    if has_ral:
        if any(stringprep.in_table_d2(c) for c in s):
            return None
        if not (stringprep.in_table_d1(s[0]) and stringprep.in_table_d1(s[-1])):
            return None
    return s


def _salted(password, salt, iterations):
    prepared = saslprep(password)
    data = (prepared if prepared is not None else password).encode('utf-8')
    return hashlib.pbkdf2_hmac('sha256', data, salt, iterations)


def _keys(salted):
    client_key = hmac.new(salted, b'Client Key', hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
    return stored_key, server_key


def _b64(data):
    return base64.b64encode(data).decode('ascii')


def scram_verifier(password, salt=None, iterations=DEFAULT_ITERATIONS):
    """The SCRAM-SHA-256 verifier PostgreSQL would store for this password."""
    if salt is None:
        salt = os.urandom(SALT_BYTES)
    stored_key, server_key = _keys(_salted(password, salt, iterations))
    return '%s%d:%s$%s:%s' % (SCRAM_PREFIX, iterations, _b64(salt), _b64(stored_key), _b64(server_key))


def scram_matches(password, verifier):
    """True when `verifier` is a SCRAM-SHA-256 verifier of `password`."""
    m = _SCRAM_RE.match(verifier or '')
    if not m:
        return False
    iterations, salt = int(m.group(1)), base64.b64decode(m.group(2))
    expected = scram_verifier(password, salt=salt, iterations=iterations)
    return hmac.compare_digest(expected, verifier)


def md5_verifier(password, username):
    return 'md5' + hashlib.md5((password + username).encode('utf-8')).hexdigest()

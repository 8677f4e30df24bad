import base64

import pytest

from ansible_collections.pgwarden.postgresql.plugins.module_utils.access import scram

# RFC 7677's example salt and password; integration tests prove libpq logs in with our verifiers.
SALT = base64.b64decode('W22ZaJ0SNY7soEsUEjb6gQ==')


def test_verifier_format_and_roundtrip():
    v = scram.scram_verifier('pencil', salt=SALT)
    assert v.startswith('SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$')
    assert scram.is_scram(v) and scram.is_verifier(v)
    assert scram.scram_matches('pencil', v)
    assert not scram.scram_matches('pencil ', v)


def test_random_salt_differs_but_both_match():
    a, b = scram.scram_verifier('x'), scram.scram_verifier('x')
    assert a != b
    assert scram.scram_matches('x', a) and scram.scram_matches('x', b)


@pytest.mark.parametrize('value,expected', [
    ('md5' + 'a' * 32, True),
    ('md5' + 'A' * 32, False),
    ('SCRAM-SHA-256$4096:abc=$def=:ghi=', True),
    ('SCRAM-SHA-256$x', False),
    ('plain password', False),
])
def test_is_verifier(value, expected):
    assert scram.is_verifier(value) is expected


def test_saslprep_maps_and_normalises():
    # U+00A0 NO-BREAK SPACE maps to a space, U+00AD SOFT HYPHEN to nothing, NFKC on the rest.
    assert scram.saslprep(u'a\u00a0b\u00adc\u2163') == u'a bcIV'
    assert scram.saslprep('ascii only') == 'ascii only'
    # A prohibited character (U+0007 is ASCII: passed through raw like PostgreSQL does)
    assert scram.saslprep(u'\u00e9\u0007') is None


def test_md5_verifier():
    assert scram.md5_verifier('secret', 'alice') == 'md5' + __import__('hashlib').md5(b'secretalice').hexdigest()

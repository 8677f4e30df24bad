# -*- coding: utf-8 -*-
# Copyright: (c) 2026, pgwarden maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client-side guard that splits SQL text into tokens the way PostgreSQL's scanner does.

It follows src/backend/parser/scan.l (PostgreSQL 15 to 17) where token boundaries are at stake:

- identifiers start with a letter, `_` or any non-ASCII character (every byte of a non-ASCII
  character is in \\200-\\377 in any server encoding) and go on with those, digits and `$`;
  so `a$e'...'` and `\u20ace'...'` are an identifier followed by a plain string;
- `E'...'` (backslash escapes) only where the `e` starts a token; `'...'` and `N'...'` take
  backslash escapes only when standard_conforming_strings is off; `B'...'`/`X'...'` end at the
  first quote; `U&'...'` never takes backslash escapes;
- a quoted string goes on after a quote, whitespace holding a newline and another quote, in the
  same escape mode (`E'a'<newline>'\\' ...` is one escape string);
- `$tag$` opens a dollar-quoted string only where the `$` starts a token and the tag does not
  start with a digit; `$1` is a parameter, `$1a` is a syntax error (trailing junk);
- a number followed by an identifier character is a syntax error (trailing junk);
- `--` and `/*` outside quotes start a comment, also inside a run of operator characters.

The guard refuses what could end the surrounding parentheses or the statement (`;`, a comment,
unbalanced parentheses, an unterminated literal) and what the server would refuse as junk anyway.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import string

SPACE = ' \t\n\r\f\v'
HORIZONTAL = ' \t\f\v'
NEWLINE = '\n\r'
_LETTERS = frozenset(string.ascii_letters + '_')
_DIGITS = frozenset(string.digits)
_BASE_DIGITS = dict(x=frozenset(string.hexdigits), o=frozenset('01234567'), b=frozenset('01'))


class LexError(ValueError):
    """The text is not one expression the guard accepts; the message says why."""


def ident_start(c):
    return c in _LETTERS or ord(c) > 127


def ident_cont(c):
    return c in _LETTERS or c in _DIGITS or c == '$' or ord(c) > 127


def _continuation(text, j):
    """Index of the quote that continues a string literal closed just before j, else None."""
    n, k = len(text), j
    while k < n and text[k] in HORIZONTAL:
        k += 1
    if k >= n or text[k] not in NEWLINE:
        return None
    while k < n and text[k] in SPACE:
        k += 1
    return k if k < n and text[k] == "'" else None


def _literal_end(text, i, mode):
    """Index just after the literal whose opening quote is text[i].

    mode: 'q' plain string ('' doubles), 'e' escape string ('' doubles, backslash escapes),
    'b' bit string (ends at the first quote), '"' quoted identifier.
    """
    quote = '"' if mode == '"' else "'"
    n, j = len(text), i + 1
    while True:
        if j >= n:
            raise LexError('unterminated quoted identifier' if mode == '"' else 'unterminated quoted string')
        c = text[j]
        if c == '\\' and mode == 'e':
            j += 2
            continue
        if c != quote:
            j += 1
            continue
        if mode != 'b' and j + 1 < n and text[j + 1] == quote:
            j += 2
            continue
        j += 1
        nxt = _continuation(text, j) if mode != '"' else None
        if nxt is None:
            return j
        j = nxt + 1


def _digits(text, j, allowed):
    """Index after a run of allowed digits with single `_` separators (PostgreSQL 16+)."""
    n = len(text)
    while j < n and (text[j] in allowed or (text[j] == '_' and j + 1 < n and text[j + 1] in allowed)):
        j += 1
    return j


def _number_end(text, i):
    n = len(text)
    if text[i] == '0' and i + 2 < n and text[i + 1] in 'xXoObB':
        base = _BASE_DIGITS[text[i + 1].lower()]
        j = i + 2 + (text[i + 2] == '_')
        if j < n and text[j] in base:
            return _junk(text, _digits(text, j, base), i)
    j = _digits(text, i, _DIGITS)
    if j < n and text[j] == '.' and not text.startswith('..', j):
        j = _digits(text, j + 1, _DIGITS)
    if j < n and text[j] in 'eE':
        k = j + 1 + (j + 1 < n and text[j + 1] in '+-')
        if k >= n or text[k] not in _DIGITS:
            raise LexError('trailing junk after the number at %r' % text[i:j + 1])
        j = _digits(text, k, _DIGITS)
    return _junk(text, j, i)


def _junk(text, j, i=None):
    if j < len(text) and ident_start(text[j]):
        raise LexError('trailing junk after the number at %r' % text[i if i is not None else j:j + 1])
    return j


def _dollar(text, i):
    """(end, kind) of the token starting with `$` at i: a parameter, a dollar-quoted string or `$` alone."""
    n, j = len(text), i + 1
    if j < n and text[j] in _DIGITS:
        j = _digits(text, j, _DIGITS)
        if j < n and ident_start(text[j]):
            raise LexError('trailing junk after the parameter at %r' % text[i:j + 1])
        return j, 'param'
    if j < n and ident_start(text[j]):
        while j < n and ident_cont(text[j]) and text[j] != '$':
            j += 1
    if j < n and text[j] == '$':
        tag = text[i:j + 1]
        close = text.find(tag, j + 1)
        if close < 0:
            raise LexError('unterminated dollar-quoted string')
        return close + len(tag), 'string'
    return i + 1, 'other'


def tokens(text, standard_strings=True):
    """Yield (kind, start, end) of text as PostgreSQL's scanner splits it; raise LexError on comments and junk."""
    plain = 'q' if standard_strings else 'e'
    i, n = 0, len(text)
    while i < n:
        c, nxt = text[i], text[i + 1:i + 2]
        if c in SPACE:
            i += 1
            continue
        if (c, nxt) in (('-', '-'), ('/', '*')):
            raise LexError('comments are not allowed in an expression (at character %d)' % (i + 1))
        kind, mode, start = None, None, i
        if c == "'":
            mode = plain
        elif c == '"':
            mode = '"'
        elif ident_start(c):
            low = c.lower()
            if nxt == "'" and low in 'ebxn':
                mode, i = dict(e='e', b='b', x='b', n=plain)[low], i + 1
            elif low == 'u' and nxt == '&' and text[i + 2:i + 3] in ("'", '"'):
                mode, i = ('q' if text[i + 2] == "'" else '"'), i + 2
            else:
                j = i + 1
                while j < n and ident_cont(text[j]):
                    j += 1
                kind, end = 'identifier', j
        elif c in _DIGITS or (c == '.' and nxt in _DIGITS):
            kind, end = 'number', _number_end(text, i)
        elif c == '$':
            end, kind = _dollar(text, i)
        else:
            kind, end = 'other', i + 1
        if mode is not None:
            kind, end = ('identifier' if mode == '"' else 'string'), _literal_end(text, i, mode)
        yield kind, start, end
        i = end


def check_expression(text, standard_strings=True):
    """Raise LexError (the first problem in the text) unless text stays one parenthesised expression."""
    depth = 0
    for kind, start, _end in tokens(text, standard_strings):
        c = text[start] if kind == 'other' else None
        if c == ';':
            raise LexError('a semicolon is not allowed in an expression (at character %d)' % (start + 1))
        if c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
            if depth < 0:
                raise LexError('unbalanced parentheses (a closing one at character %d)' % (start + 1))
    if depth:
        raise LexError('unbalanced parentheses (%d not closed)' % depth)
    return text

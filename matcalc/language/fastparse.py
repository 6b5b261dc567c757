"""A quick reader for the plainest inputs, so that most commands never import lark.

`tr(A B A^T C)`, `2 a^T X b + tr(X^T X)`: names, integers, `+ - *`, juxtaposition,
parentheses, `tr(...)`, `^T`, `'`, `ᵀ`, `^k`, `^{-k}`, `^0.5`. It builds exactly the `Syntax` tree
(spans included) that the Lark grammar gives, and answers None for anything else: another
construct, a word that may be a function, an error. Then `parser.parse` asks Lark, which
stays the definition of the language (tests/test_fastparse.py compares the two).
"""
from __future__ import annotations

import re
from fractions import Fraction

from .syntax import Line, Syntax

# Characters, as the grammar's terminals see them (ASCII letters and digits only).
_SPACES = frozenset(" \t\f\r\n")
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz_")  # after a name: a word or a subscript goes on
_DIGITS = frozenset("0123456789")
_PUNCT = frozenset("()+*-")
# The tokens of more than one character but names: a number, ^T, ^k or ^{k}.
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_SUPERSCRIPT = re.compile(r"\^(?:(T)|-?[0-9]+(?:\.[0-9]+)?|\{-?[0-9]+(?:\.[0-9]+)?\})")


class _Unknown(Exception):
    """Not in the quick subset: Lark decides."""


def parse(prepared: str) -> Line | None:
    """The Line of `prepared` (bars already classified), or None if Lark must read it."""
    try:
        tokens = _tokens(prepared)
        reader = _Reader(tokens)
        node, _, _ = reader.sum()
        if reader.i != len(tokens):
            return None
        return Line(node)
    except (_Unknown, RecursionError, ValueError):  # ValueError: a number of over 4300 digits
        return None


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of each token: read a character at a time, as most tokens are
    one character (names, parentheses, operators), the others by their patterns."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SPACES:
            i += 1
            continue
        if ch in _LETTERS:  # a name: a letter, digits after it
            end = i + 1
            while end < n and text[end] in _DIGITS:
                end += 1
            after = text[end] if end < n else ""
            if ch == "t" and after == "r" and end == i + 1:  # `tr(`: the one function word read here
                j = end + 1
                while j < n and text[j] in _SPACES:
                    j += 1
                if i and text[i - 1] in _LETTERS or j >= n or text[j] != "(":
                    raise _Unknown
                out.append(("tr", "tr", i, i + 2))
                i += 2
                continue
            # Letters run together may spell a function (det, log, Tr, ...): Lark's business.
            if after in _LOWER or ch in _LOWER and (after in _LETTERS or i and text[i - 1] in _LETTERS):
                raise _Unknown
            out.append(("name", text[i:end], i, end))
            i = end
        elif ch in _PUNCT:
            out.append((ch, ch, i, i + 1))
            i += 1
        elif ch == "'" or ch == "ᵀ":
            out.append(("transpose", ch, i, i + 1))
            i += 1
        elif ch in _DIGITS:
            end = _NUMBER.match(text, i).end()
            if end < n and text[end] == ".":
                raise _Unknown
            out.append(("number", text[i:end], i, end))
            i = end
        elif ch == "^":
            m = _SUPERSCRIPT.match(text, i)
            if m is None:
                raise _Unknown
            end = m.end()
            if m.group(1):  # ^T, not followed by a word
                if end < n and text[end] in _LOWER:
                    raise _Unknown
                out.append(("transpose", "^T", i, end))
            else:  # ^k, ^{-k}, ^0.5
                if end < n and text[end] == ".":
                    raise _Unknown
                out.append(("power", m.group(), i, end))
            i = end
        else:
            raise _Unknown
    return out


_OPERAND = frozenset(("name", "number", "(", "tr"))  # what may follow a factor in `A B`
_POSTFIX = frozenset(("transpose", "power"))


class _Reader:
    """Recursive descent in the grammar's order: sum, signed, product, postfix, atom. Each
    method returns (node, start, end): the node and the extent of its tokens, parentheses
    included, which is what Lark's positions give the node built around it. The next token's
    kind is `kinds[i]` (None past the end): read in place, as the loops below run per token."""

    def __init__(self, tokens):
        self.tokens, self.i = tokens, 0
        self.kinds = [t[0] for t in tokens]
        self.kinds.append(None)

    def take(self, kind: str):
        i = self.i
        if self.kinds[i] != kind:
            raise _Unknown
        self.i = i + 1
        return self.tokens[i]

    def sum(self):
        kinds = self.kinds
        left, start, end = self.signed() if kinds[self.i] == "-" else self.product()
        while kinds[self.i] in ("+", "-"):
            op = "add" if kinds[self.i] == "+" else "sub"
            self.i += 1
            right, _, end = self.signed() if kinds[self.i] == "-" else self.product()
            left = Syntax(op, (left, right), None, (start, end))
        return left, start, end

    def signed(self):
        if self.kinds[self.i] == "-":
            start = self.tokens[self.i][2]
            self.i += 1
            inner, _, end = self.signed()
            return Syntax("neg", (inner,), None, (start, end)), start, end
        return self.product()

    def product(self):
        left, start, end = self.postfix()
        kinds = self.kinds
        while True:
            i = self.i
            kind = kinds[i]
            if kind == "name" and kinds[i + 1] not in _POSTFIX:  # most factors: a bare name, read here
                _, value, _, end = token = self.tokens[i]
                right = Syntax("identity" if value == "I" else "name", (), value, (token[2], end))
                self.i = i + 1
            elif kind == "*":
                self.i = i + 1
                right, _, end = self.signed()
            elif kind in _OPERAND:
                right, _, end = self.postfix()
            else:
                return left, start, end
            left = Syntax("mul", (left, right), None, (start, end))

    def postfix(self):
        i, kinds, tokens = self.i, self.kinds, self.tokens
        if kinds[i] == "name":  # most operands: read here, without a call of atom
            _, value, start, end = tokens[i]
            node = Syntax("identity" if value == "I" else "name", (), value, (start, end))
            i += 1
        else:
            node, start, end = self.atom()
            i = self.i
        while kinds[i] in _POSTFIX:
            kind, value, _, end = tokens[i]
            i += 1
            if kind == "transpose":
                node = Syntax("transpose", (node,), None, (start, end))
            else:  # ^k, ^{-k}, ^0.5: a number as written (the token's pattern)
                node = Syntax("power", (node,), _number(value.strip("^{}")), (start, end))
        self.i = i
        return node, start, end

    def atom(self):
        kind = self.kinds[self.i]
        if kind == "(":
            start = self.tokens[self.i][2]
            self.i += 1
            node, _, _ = self.sum()
            return node, start, self.take(")")[3]
        if kind == "tr":
            start = self.tokens[self.i][2]
            self.i += 1
            self.take("(")
            arg, _, _ = self.sum()
            end = self.take(")")[3]
            return Syntax("call", (arg,), "tr", (start, end)), start, end
        if kind == "name":
            _, value, start, end = self.tokens[self.i]
            self.i += 1
            return Syntax("identity" if value == "I" else "name", (), value, (start, end)), start, end
        if kind == "number":
            _, value, start, end = self.tokens[self.i]
            self.i += 1
            return Syntax("number", (), _number(value), (start, end)), start, end
        raise _Unknown


def _number(written: str) -> Fraction:
    """The value of -?[0-9]+(.[0-9]+)?: Fraction(written), which for a whole number (most)
    reads it with a pattern, so int() first."""
    return Fraction(written) if "." in written else Fraction(int(written))

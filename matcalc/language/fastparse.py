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

# One token: whitespace | name | number | ^T | ^k or ^{k} | single characters.
_TOKEN = re.compile(
    r"(?P<space>[ \t\f\r\n]+)|(?P<name>[A-Za-z][0-9]*)|(?P<number>[0-9]+(?:\.[0-9]+)?)"
    r"|(?P<transpose>\^T|'|ᵀ)|(?P<power>\^-?[0-9]+(?:\.[0-9]+)?|\^\{-?[0-9]+(?:\.[0-9]+)?\})|(?P<punct>[()+*-])"
)
_LETTER = re.compile(r"[A-Za-z]")
_LOWER = re.compile(r"[a-z_]")


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
    except (_Unknown, RecursionError):
        return None


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    out = []
    i, n = 0, len(text)
    match = _TOKEN.match
    while i < n:
        m = match(text, i)
        if m is None:
            raise _Unknown
        kind, end = m.lastgroup, m.end()
        if kind == "space":
            i = end
            continue
        value = m.group()
        if kind == "name":
            before = text[i - 1] if i else ""
            after = text[end] if end < n else ""
            if value == "t" and after == "r":  # `tr(`: the one function word read here
                j = end + 1
                while j < n and text[j] in " \t\f\r\n":
                    j += 1
                if _LETTER.match(before) or j >= n or text[j] != "(":
                    raise _Unknown
                out.append(("tr", "tr", i, i + 2))
                i += 2
                continue
            # Letters run together may spell a function (det, log, Tr, ...): Lark's business.
            if _LOWER.match(value) and (_LETTER.match(before) or _LETTER.match(after)):
                raise _Unknown
            if _LOWER.match(after):
                raise _Unknown
        elif kind == "transpose" and value == "^T" and _LOWER.match(text, end):
            raise _Unknown
        elif kind in ("number", "power") and end < n and text[end] == ".":
            raise _Unknown
        out.append((kind if kind != "punct" else value, value, i, end))
        i = end
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
        left, start, end = self.signed()
        kinds = self.kinds
        while kinds[self.i] in ("+", "-"):
            op = "add" if kinds[self.i] == "+" else "sub"
            self.i += 1
            right, _, end = self.signed()
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
            kind = kinds[self.i]
            if kind == "*":
                self.i += 1
                right, _, end = self.signed()
            elif kind in _OPERAND:
                right, _, end = self.postfix()
            else:
                return left, start, end
            left = Syntax("mul", (left, right), None, (start, end))

    def postfix(self):
        node, start, end = self.atom()
        kinds, tokens = self.kinds, self.tokens
        while kinds[self.i] in _POSTFIX:
            kind, value, _, end = tokens[self.i]
            self.i += 1
            if kind == "transpose":
                node = Syntax("transpose", (node,), None, (start, end))
            else:  # ^k, ^{-k}, ^0.5: a number as written (the token's pattern)
                node = Syntax("power", (node,), Fraction(value.strip("^{}")), (start, end))
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
            return Syntax("number", (), Fraction(value), (start, end)), start, end
        raise _Unknown

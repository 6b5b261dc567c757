"""A quick reader for the plainest inputs, so that most commands never import lark.

`tr(A B A^T C)`, `2 a^T X b + tr(X^T X)`: names, integers, `+ - *`, juxtaposition,
parentheses, `tr(...)`, `^T`, `'`, `ᵀ`, `^k`, `^{-k}`. It builds exactly the `Syntax` tree
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
    r"|(?P<transpose>\^T|'|ᵀ)|(?P<power>\^-?[0-9]|\^\{-?[0-9]+\})|(?P<punct>[()+*-])"
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
    while i < n:
        m = _TOKEN.match(text, i)
        if m is None:
            raise _Unknown
        kind, value = m.lastgroup, m.group()
        if kind == "name":
            before = text[i - 1] if i else ""
            after = text[m.end()] if m.end() < n else ""
            if value == "t" and after == "r":  # `tr(`: the one function word read here
                j = m.end() + 1
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
        elif kind == "transpose" and value == "^T" and _LOWER.match(text, m.end()):
            raise _Unknown
        elif kind == "number" and m.end() < n and text[m.end()] == ".":
            raise _Unknown
        if kind != "space":
            out.append((kind if kind != "punct" else value, value, i, m.end()))
        i = m.end()
    return out


class _Reader:
    """Recursive descent in the grammar's order: sum, signed, product, postfix, atom. Each
    method returns (node, start, end): the node and the extent of its tokens, parentheses
    included, which is what Lark's positions give the node built around it."""

    def __init__(self, tokens):
        self.tokens, self.i = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self, kind: str):
        if self.peek() != kind:
            raise _Unknown
        self.i += 1
        return self.tokens[self.i - 1]

    def sum(self):
        left, start, end = self.signed()
        while self.peek() in ("+", "-"):
            op = "add" if self.take(self.peek())[0] == "+" else "sub"
            right, _, end = self.signed()
            left = Syntax(op, (left, right), span=(start, end))
        return left, start, end

    def signed(self):
        if self.peek() == "-":
            start = self.take("-")[2]
            inner, _, end = self.signed()
            return Syntax("neg", (inner,), span=(start, end)), start, end
        return self.product()

    def product(self):
        left, start, end = self.postfix()
        while True:
            kind = self.peek()
            if kind == "*":
                self.take("*")
                right, _, end = self.signed()
            elif kind in ("name", "number", "(", "tr"):
                right, _, end = self.postfix()
            else:
                return left, start, end
            left = Syntax("mul", (left, right), span=(start, end))

    def postfix(self):
        node, start, end = self.atom()
        while self.peek() in ("transpose", "power"):
            kind, value, _, end = self.take(self.peek())
            if kind == "transpose":
                node = Syntax("transpose", (node,), span=(start, end))
            else:
                node = Syntax("power", (node,), Fraction(value.strip("^{}")), (start, end))
        return node, start, end

    def atom(self):
        kind = self.peek()
        if kind == "(":
            start = self.take("(")[2]
            node, _, _ = self.sum()
            return node, start, self.take(")")[3]
        if kind == "tr":
            start = self.take("tr")[2]
            self.take("(")
            arg, _, _ = self.sum()
            end = self.take(")")[3]
            return Syntax("call", (arg,), "tr", (start, end)), start, end
        if kind == "name":
            _, value, start, end = self.take("name")
            return Syntax("identity" if value == "I" else "name", value=value, span=(start, end)), start, end
        if kind == "number":
            _, value, start, end = self.take("number")
            return Syntax("number", value=Fraction(value), span=(start, end)), start, end
        raise _Unknown

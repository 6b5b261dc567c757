"""The parse tree as written: one immutable node per construct of the input language.

A leaf module: it knows nothing of lark, shapes or mathematics. `span` points back into
the input so that later stages (kinds and shapes) can show the user where a problem is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Syntax:
    """One construct: `op` names it (the grammar's alias), `args` are sub-constructs."""

    op: str
    args: tuple = ()
    value: str | Fraction | None = None  # a name, a number, a function or an exponent
    span: tuple[int, int] = field(default=(0, 0), compare=False)

    def walk(self):
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.args))


@dataclass(frozen=True, slots=True)
class Query:
    """`\\nabla_X f`, `d/dX f` or `\\frac{\\partial}{\\partial X} f`; `transposed` for ∇_{Xᵀ} (seed 3.C);
    `order` 2 for the Hessian `\\nabla^2_x f`. Inside an expression (`2 \\nabla_x f`) a query is
    the node Syntax("query", (f,), (wrt, transposed, order))."""

    wrt: str
    transposed: bool
    body: Syntax
    span: tuple[int, int] = field(default=(0, 0), compare=False)
    order: int = 1
    wrt_span: tuple[int, int] = field(default=(0, 0), compare=False)  # where the variable is written


@dataclass(frozen=True, slots=True)
class Line:
    """A parsed input line: one side, or an identity `lhs = rhs` (for `verify`)."""

    lhs: Syntax | Query
    rhs: Syntax | Query | None = None

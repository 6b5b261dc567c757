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
    # every node of the tree in the order of `walk`, listed on the first call of `nodes` (the
    # stages after the parse each go over the whole tree: kinds, shapes, notes); unset till then
    _nodes: tuple | None = field(default=None, init=False, compare=False, repr=False)

    def walk(self):
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            if node.args:  # most nodes are names and numbers
                stack.extend(node.args[::-1])

    def nodes(self) -> tuple:
        """Every node of the tree, as `walk` gives them: each before its arguments, the first
        argument's subtree first (so reversed, each node after its arguments)."""
        found = getattr(self, "_nodes", None)  # a slot that only this method sets
        if found is None:
            out, stack = [], [self]
            while stack:
                node = stack.pop()
                out.append(node)
                if node.args:
                    stack.extend(node.args[::-1])
            found = tuple(out)
            _set__nodes(self, found)
        return found


def _fast_init(cls, fields: tuple[str, ...], defaults: tuple) -> None:
    """cls.__init__ writing each slot through its descriptor: the frozen dataclass's own
    __init__ goes through object.__setattr__, field by field, for every node of every line."""
    setters = {f"_set_{name}": getattr(cls, name).__set__ for name in fields}
    params = ", ".join(name if i < len(fields) - len(defaults) else f"{name}=_default_{name}"
                       for i, name in enumerate(fields))
    namespace = {**setters, **{f"_default_{name}": d for name, d in zip(fields[len(fields) - len(defaults):], defaults)}}
    exec("\n".join([f"def __init__(self, {params}):", *(f"    _set_{n}(self, {n})" for n in fields)]),  # noqa: S102
         namespace)
    namespace["__init__"].__qualname__ = f"{cls.__name__}.__init__"
    cls.__init__ = namespace["__init__"]


_fast_init(Syntax, ("op", "args", "value", "span"), ((), None, (0, 0)))
_set__nodes = Syntax._nodes.__set__  # nodes() fills it in once: a frozen node's slot, set through its descriptor


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

"""The parse tree as written: one immutable node per construct of the input language.

A leaf module: it knows nothing of lark, shapes or mathematics. `span` points back into
the input so that later stages (kinds and shapes) can show the user where a problem is.
"""
from __future__ import annotations

from fractions import Fraction

from ..frozen import Frozen


class Syntax(Frozen):
    """One construct: `op` names it (the grammar's alias), `args` are sub-constructs; `value`
    is a name, a number, a function or an exponent. `span` is not compared."""

    __slots__ = ("op", "args", "value", "span", "_nodes")
    _fields = ("op", "args", "value", "span")
    _compared = ("op", "args", "value")
    _shown = _fields
    # _nodes: every node of the tree in the order of `walk`, listed on the first call of `nodes`
    # (the stages after the parse each go over the whole tree: kinds, shapes, notes); unset till then

    def __init__(self, op: str, args: tuple = (), value: str | Fraction | None = None,
                 span: tuple[int, int] = (0, 0)):
        # each slot written through its descriptor (assignment refuses): every node of every line
        _set_op(self, op)
        _set_args(self, args)
        _set_value(self, value)
        _set_span(self, span)

    # written out: nodes are compared and hashed often (Frozen's loop over _compared is slower)
    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return (self.op, self.args, self.value) == (other.op, other.args, other.value)
        return NotImplemented

    def __hash__(self):
        return hash((self.op, self.args, self.value))

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
                while True:  # down the first arguments, the others kept for later
                    out.append(node)
                    args = node.args
                    if not args:
                        break
                    if len(args) == 2:  # most nodes with arguments
                        stack.append(args[1])
                    elif len(args) > 2:
                        stack.extend(args[:0:-1])
                    node = args[0]
            found = tuple(out)
            _set__nodes(self, found)
        return found


_set_op, _set_args, _set_value, _set_span, _set__nodes = (
    getattr(Syntax, name).__set__ for name in Syntax.__slots__)  # nodes() fills _nodes in once


class Query(Frozen):
    """`\\nabla_X f`, `d/dX f` or `\\frac{\\partial}{\\partial X} f`; `transposed` for ∇_{Xᵀ} (seed 3.C);
    `order` 2 for the Hessian `\\nabla^2_x f`. Inside an expression (`2 \\nabla_x f`) a query is
    the node Syntax("query", (f,), (wrt, transposed, order)). The spans are not compared;
    `wrt_span` is where the variable is written."""

    __slots__ = _fields = _shown = ("wrt", "transposed", "body", "span", "order", "wrt_span")
    _compared = ("wrt", "transposed", "body", "order")

    def __init__(self, wrt: str, transposed: bool, body: Syntax, span: tuple[int, int] = (0, 0), order: int = 1,
                 wrt_span: tuple[int, int] = (0, 0)):
        self._set(wrt, transposed, body, span, order, wrt_span)


class Line(Frozen):
    """A parsed input line: one side, or an identity `lhs = rhs` (for `verify`)."""

    __slots__ = _fields = _compared = _shown = ("lhs", "rhs")

    def __init__(self, lhs: Syntax | Query, rhs: Syntax | Query | None = None):
        _set_lhs(self, lhs)  # (one a line: through the descriptors, as Syntax's)
        _set_rhs(self, rhs)


_set_lhs, _set_rhs = Line.lhs.__set__, Line.rhs.__set__

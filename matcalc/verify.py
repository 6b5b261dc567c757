"""`verify "LHS = RHS"`: decide an identity between expressions or gradients.

Canonical forms first (`canonical`: transposes to the leaves, the trace rules 1.A-1.D, like
terms collected); if they differ, numbers: both sides on several random instances of distinct,
non-square sizes. A gradient side is then taken by central finite differences of its input as
written, so the numeric verdict does not lean on matcalc's own differentiation rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .calculus import differentiate
from .language import kinds, parser
from .formats import render
from .calculus.canonical import canonical
from .errors import MatcalcError
from .calculus.expr import SCALAR, ZERO, Det, Expr, Power, Sym, Zero, free_symbols, postorder
from .language.syntax import Line, Query, Syntax

INSTANCES = 5
TOLERANCE_EXACT = 1e-8        # both sides evaluated in closed form
TOLERANCE_DIFFERENCES = 1e-5  # a side taken by finite differences
CONDITION_LIMIT = 1e8         # an instance inverting a matrix worse than this is not used


@dataclass(frozen=True)
class Verdict:
    """The outcome: `holds`, `how` ("symbolic" or "numeric") and, numerically, the largest
    relative difference seen over `instances` random instances."""

    source: str
    holds: bool
    how: str
    error: float | None
    instances: int
    lhs: Expr = field(repr=False)   # canonical forms of the two sides
    rhs: Expr = field(repr=False)
    sides: tuple = field(default=(), repr=False)  # each side as written: an Expr, or a gradient's api.Gradient

    def __bool__(self) -> bool:
        return self.holds

    @property
    def steps(self) -> tuple:
        """For an identity that holds symbolically, the chain of equalities from one side to
        the other, each `steps.Step` citing the rule that makes it; () otherwise."""
        from .derivations.chains import verification

        chain = verification(self)
        return chain.steps if chain else ()

    def message(self, style: str = "text") -> str:
        st = render.STYLES[style]
        if self.holds and self.how == "symbolic":
            return f"holds symbolically: both sides are {render.render(self.lhs, st)}"
        over = f"on {self.instances} random instance{'s' if self.instances != 1 else ''}"
        if self.holds:
            return f"holds numerically (max relative error {self.error:.1e} {over})"
        neq = " ≠ " if style == "unicode" else " != "
        return (f"does not hold: {render.render(self.lhs, st)}{neq}{render.render(self.rhs, st)} "
                f"(relative difference up to {self.error:.1e} {over})")

    def __str__(self) -> str:
        return self.message("unicode")


@dataclass
class _Side:
    syntax: Syntax | Query
    value: Expr | None = None     # the side as written (a gradient: matcalc's result)
    body: Expr | None = None      # a gradient's input as written, for finite differences
    var: Sym | None = None        # the variable of a gradient
    gradient: object = None       # a gradient side as an api.Gradient (for its derivation)

    @property
    def written(self):
        return self.gradient if self.query else self.value

    @property
    def query(self) -> bool:
        return isinstance(self.syntax, Query)

    @property
    def tree(self) -> Syntax:
        return self.syntax.body if self.query else self.syntax

    @property
    def is_zero(self) -> bool:  # a bare 0 matches a zero matrix of the other side's shape
        return not self.query and self.syntax.op == "number" and self.syntax.value == 0

    def proxy(self) -> Syntax:
        """A tree with this side's shape: the side itself, or for ∇_X f the variable X (or Xᵀ)."""
        if not self.query:
            return self.syntax
        name = Syntax("name", value=self.syntax.wrt, span=self.syntax.span)
        return Syntax("transpose", (name,), span=self.syntax.span) if self.syntax.transposed else name


def verify(source: str, declared: dict[str, str] | None = None, instances: int = INSTANCES) -> Verdict:
    """Decide `LHS = RHS`; bad input raises MatcalcError."""
    line, typing = identity(source, declared)
    sides = [_Side(line.lhs), _Side(line.rhs)]
    for side in sides:
        _build(side, typing, source)
    for side, other in zip(sides, sides[::-1]):
        if side.is_zero:
            shape = other.value.shape if other.value is not None else SCALAR
            side.value = ZERO if shape == SCALAR else Zero(shape)
    left, right = canonical(sides[0].value), canonical(sides[1].value)
    written = (sides[0].written, sides[1].written)
    if left == right and left.shape == right.shape:
        return Verdict(source, True, "symbolic", None, 0, left, right, written)
    error, count = _numeric(sides, instances)
    if count == 0:
        raise MatcalcError("no random instance where both sides are finite: cannot decide numerically",
                           source, (0, len(source)))
    tolerance = TOLERANCE_DIFFERENCES if any(s.query for s in sides) else TOLERANCE_EXACT
    return Verdict(source, error < tolerance, "numeric", error, count, left, right, written)


def identity(source: str, declared: dict[str, str] | None = None) -> tuple[Line, kinds.Typing]:
    """Parse `LHS = RHS` and type both sides in one namespace, with equal shapes."""
    from .language.declarations import parse_declarations

    line = parser.parse(source)
    if line.rhs is None:
        raise MatcalcError("verify needs an identity with '=', e.g. tr(A B) = tr(B A)", source,
                           (0, len(source)))
    sides = [_Side(line.lhs), _Side(line.rhs)]
    return line, _typing(sides, source, parse_declarations(declared))


def _typing(sides: list[_Side], source: str, declared) -> kinds.Typing:
    """One namespace for both sides: kinds as the two sides read together (a query's input a
    scalar), then dimensions unified so that the sides have one shape (∇_A f has A's shape)."""
    for side in sides:
        if side.query and side.syntax.wrt not in kinds.names_in(side.tree):  # ∇_c of no c
            raise MatcalcError(f"{render.name(side.syntax.wrt, render.TEXT)} does not occur in the expression",
                               source, side.tree.span)
        if side.query:  # a clear error if the thing differentiated is not a scalar
            kinds.infer([side.tree], source, declared, scalar_result=True)
    base = [_scalar(s.tree) for s in sides if s.query]
    base += [s.tree for s in sides if not s.query and not s.is_zero]
    alone = kinds.infer(base or [sides[0].tree], source, declared)
    if any(s.is_zero for s in sides):
        return alone
    coupled = Syntax("sub", (sides[0].proxy(), sides[1].proxy()), span=(0, len(source)))
    try:  # the kinds stay as read; only dimensions are identified
        return kinds.infer(base + [coupled], source, alone.kinds)
    except MatcalcError:
        left, right = (_describe(_shape(s, alone)) for s in sides)
        raise MatcalcError(f"the two sides cannot be equal: the left is {left}, the right {right}",
                           source, (0, len(source))) from None


def _scalar(body: Syntax) -> Syntax:
    """body + 0: type-checks only when body is a scalar, so inference reads it as one."""
    return Syntax("add", (body, Syntax("number", value=0, span=body.span)), span=body.span)


def _shape(side: _Side, typing: kinds.Typing) -> tuple:
    if side.query:
        r, c = typing.shapes[side.syntax.wrt]
        return (c, r) if side.syntax.transposed else (r, c)
    return kinds.build(side.tree, typing, raw=True).shape


def _describe(shape: tuple) -> str:
    r, c = shape
    if shape == SCALAR:
        return "a scalar"
    if c == 1:
        return f"a column vector ({r}×1)"
    if r == 1:
        return f"a row vector (1×{c})"
    return f"a{' square' if r == c else ''} {r}×{c} matrix"


def _build(side: _Side, typing: kinds.Typing, source: str) -> None:
    from .results import Gradient

    if side.is_zero:
        return
    if not side.query:
        side.value = kinds.build(side.tree, typing, raw=True)
        return
    q = side.syntax
    if q.wrt not in typing.kinds:
        raise MatcalcError(f"{render.name(q.wrt, render.TEXT)} does not occur in the expression",
                           source, q.body.span)
    side.var = typing.symbol(q.wrt)
    side.body = kinds.build(q.body, typing, raw=True)
    expression = kinds.build(q.body, typing)
    side.value = differentiate.gradient(expression, side.var, q.transposed)
    side.gradient = Gradient(source, q.wrt, q.transposed, expression, side.body, side.value, typing)


def _numeric(sides: list[_Side], instances: int) -> tuple[float, int]:
    """The largest relative difference of the sides over random instances, and how many
    instances could be evaluated."""
    from .numeric import evaluation as numeric

    symbols: dict = {}
    for side in sides:
        for e in (side.value, side.body):
            if e is not None:
                symbols.update(dict.fromkeys(free_symbols(e)))
    dims = lambda shape: [f for d in shape for f in (d if isinstance(d, tuple) else (d,)) if f != 1]  # noqa: E731
    sized = {d for s in symbols for d in dims(s.shape)}
    for side in sides:
        for e in (side.value, side.body):
            if e is not None and any(d not in sized for n in postorder(e) for d in dims(n.shape)):
                raise MatcalcError("cannot decide: the size of an I or ones here is not the size of any variable")
    worst, count = 0.0, 0
    for seed in range(instances):
        pair = _sample(sides, list(symbols), seed)
        if pair is not None:
            count += 1
            worst = max(worst, numeric.relative_error(*pair))
    return worst, count


def _sample(sides: list[_Side], symbols, seed: int):
    """Both sides on one random instance: the size orders in turn (log|XᵀX| needs X tall),
    then positive data (log, √); None if no instance is finite and well-conditioned."""
    import numpy as np

    from .numeric import evaluation as numeric

    rng = np.random.default_rng(seed)
    orders = numeric.SIZE_ORDERS[seed % 2:] + numeric.SIZE_ORDERS[:seed % 2]
    inputs = [s.body if s.query else s.value for s in sides]
    for positive in (False, True):
        for order in orders:
            try:
                values, sizes = numeric.random_instance(symbols, rng, positive, order, within=inputs)
                with np.errstate(all="ignore"):
                    if not all(_well_conditioned(e, values, sizes) for e in inputs):
                        continue  # (XᵀX)⁻¹ with X wide: numbers mean nothing there
                    a, b = (_evaluate(s, values, sizes) for s in sides)
            except (np.linalg.LinAlgError, numeric.Singular):
                continue
            if np.all(np.isfinite(a)) and np.all(np.isfinite(b)):
                return a, b
    return None


def _well_conditioned(e: Expr, values, sizes) -> bool:
    """Every matrix that e inverts or takes the determinant of is far from singular."""
    import numpy as np

    from .numeric import evaluation as numeric

    for node in postorder(e):
        inner = node.arg if isinstance(node, Det) else \
            node.base if isinstance(node, Power) and node.exponent < 0 else None
        if inner is not None and not inner.is_scalar:
            m = numeric.evaluate(inner, values, sizes)
            if not np.all(np.isfinite(m)) or np.linalg.cond(m) > CONDITION_LIMIT:
                return False
    return True


def _evaluate(side: _Side, values, sizes):
    from .numeric import evaluation as numeric

    if not side.query:
        return numeric.evaluate(side.value, values, sizes)
    grad = numeric.finite_difference_gradient(side.body, side.var, values, sizes)
    return grad.T if side.syntax.transposed else grad

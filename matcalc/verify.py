"""`verify "LHS = RHS"`: decide an identity between expressions or gradients.

Canonical forms first (`canonical`: transposes to the leaves, the trace rules 1.A-1.D, like
terms collected); if they differ, numbers: both sides on several random instances of distinct,
non-square sizes. A gradient side is then taken by central finite differences of its input as
written, so the numeric verdict does not lean on matcalc's own differentiation rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .calculus import algebra, differentiate
from .language import kinds, parser
from .formats import render
from .calculus.canonical import canonical
from .errors import MatcalcError
from .calculus.expr import SCALAR, ZERO, Expr, Sym, Zero, free_symbols, postorder
from .language.syntax import Line, Query, Syntax

INSTANCES = 5  # usable random instances a numeric verdict rests on, at least


@dataclass(frozen=True)
class Verdict:
    """The outcome: `holds`, `how` ("symbolic" or "numeric") and, numerically, the largest
    relative difference seen over `instances` random instances (`numbers`: what they showed,
    a numeric.identities.Comparison)."""

    source: str
    holds: bool
    how: str
    error: float | None
    instances: int
    lhs: Expr = field(repr=False)   # canonical forms of the two sides
    rhs: Expr = field(repr=False)
    sides: tuple = field(default=(), repr=False)  # each side as written: an Expr, or a gradient's api.Gradient
    numbers: object = field(default=None, repr=False, compare=False)
    # of an identity that does not hold: square matrices whose symmetry makes it hold (∇ xᵀAx = 2Ax)
    holds_if_symmetric: tuple = ()

    def __bool__(self) -> bool:
        return self.holds

    @property
    def steps(self) -> tuple:
        """For an identity that holds symbolically, the chain of equalities from one side to
        the other, each `steps.Step` citing the rule that makes it; () otherwise."""
        from .derivations.chains import verification

        chain = verification(self)
        return chain.steps if chain else ()

    def message(self, style: str = "text", inline: bool = False) -> str:
        """One sentence, its expressions in `style`; `inline` (LaTeX): the sentence as a document's
        text, its math between $ … $."""
        st = render.STYLES[style]
        math = (lambda e: f"${render.render(e, st)}$") if inline else (lambda e: render.render(e, st))
        math_name = (lambda n: f"${n}$") if inline else (lambda n: n)
        option = (lambda o: "\\texttt{" + o.replace("--", "-{}-").replace("\\", "\\textbackslash{}") + "}") \
            if inline else (lambda o: o)
        if self.holds and self.how == "symbolic":
            return f"holds symbolically: both sides are {math(self.lhs)}"
        n = self.instances
        over = f"on {n} random instance{'s' if n != 1 else ''}"
        if self.holds:
            return (f"holds numerically (max relative error {self.error:.1e} {over}, all {n} agreeing, "
                    f"{_sizes_seen(self.numbers)})")
        neq = " ≠ " if style == "unicode" else " != "
        numbers = self.numbers
        why = []
        if self.error is not None:
            why.append(f"relative difference up to {self.error:.1e} {over}")
        if numbers is not None and numbers.undefined:
            side = numbers.undefined_side
            other = "right" if side == "left" else "left"
            why.append(f"the {side} side is undefined (NaN or infinite) where the {other} side is finite, "
                       f"on {numbers.undefined} of {n} random instances")
        if numbers is not None and numbers.exact:
            why.append("the exact rational coefficients of the two sides differ")
        sides = (f"${render.render(self.lhs, st)} \\neq {render.render(self.rhs, st)}$" if inline
                 else f"{render.render(self.lhs, st)}{neq}{render.render(self.rhs, st)}")
        said = f"does not hold: {sides} ({'; '.join(why)})"
        if self.holds_if_symmetric:
            names = [math_name(render.name(n, st)) for n in self.holds_if_symmetric]
            flags = " ".join(option(f"--symmetric {render.name(n, render.TEXT)}") for n in self.holds_if_symmetric)
            said += (f"; it holds when {' and '.join(names)} {'is' if len(names) == 1 else 'are'} "
                     f"symmetric ({flags})")
        return said

    def __str__(self) -> str:
        return self.message("unicode")


@dataclass
class _Side:
    syntax: Syntax | Query
    value: Expr | None = None     # the side as written (a gradient: matcalc's result)
    body: Expr | None = None      # a gradient's input as written, for finite differences
    var: Sym | None = None        # the variable of a gradient
    gradient: object = None       # a gradient side as an api.Gradient (for its derivation)
    kind: str = "gradient"        # of a query: "gradient", "jacobian" (a non-scalar f) or "hessian"

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

    def proxy(self) -> Syntax | None:
        """A tree with this side's shape, for the dimensions to be unified: the side itself, or for
        ∇_X f the variable X (or Xᵀ), for the Jacobian ∂vec(F)/∂vec(X) the product vec(F) vec(X)ᵀ
        (f xᵀ for vectors), for a Hessian vec(X) vec(X)ᵀ."""
        if not self.query:
            return self.syntax
        span = self.syntax.span
        name = Syntax("name", value=self.syntax.wrt, span=span)
        if self.kind == "gradient":
            return Syntax("transpose", (name,), span=span) if self.syntax.transposed else name
        left = self.tree if self.kind == "jacobian" else name
        left, right = (Syntax("call", (e,), "vec", span=span) for e in (left, name))
        if self.syntax.transposed:
            left, right = right, left
        return Syntax("mul", (left, Syntax("transpose", (right,), span=span)), span=span)


def verify(source: str, declared: dict[str, str] | None = None, instances: int = INSTANCES,
           conditions: bool = True) -> Verdict:
    """Decide `LHS = RHS`; bad input raises MatcalcError. With `conditions`, an identity that
    does not hold is tried again with its square matrices symmetric, and says if that makes it
    hold: textbooks often state xᵀAx's gradient as 2Ax, for a symmetric A."""
    sides, typing = _typed_sides(source, declared)
    for side in sides:
        _build(side, typing, source)
    if not any(s.is_zero for s in sides) and sides[0].value.shape != sides[1].value.shape:
        left, right = (_describe(s.value.shape) for s in sides)
        raise MatcalcError(f"the two sides cannot be equal: the left is {left}, the right {right}",
                           source, (0, len(source)))
    for side, other in zip(sides, sides[::-1]):
        if side.is_zero:
            shape = other.value.shape if other.value is not None else SCALAR
            side.value = ZERO if shape == SCALAR else Zero(shape)
    try:
        left, right = canonical(sides[0].value), canonical(sides[1].value)
    except ValueError:  # a side whose products do not chain: a shape matcalc cannot compare
        raise MatcalcError("cannot compare the two sides: their shapes do not fit together",
                           source, (0, len(source))) from None
    written = (sides[0].written, sides[1].written)
    if left == right and left.shape == right.shape:
        return Verdict(source, True, "symbolic", None, 0, left, right, written)
    numbers = _numeric(sides, instances, canonical(algebra.sub(left, right)))  # Σ cᵢ Tᵢ, cᵢ exact
    if numbers.usable == 0:
        raise MatcalcError("no random instance where both sides are finite: cannot decide numerically",
                           source, (0, len(source)))
    if numbers.agree and not numbers.several_sizes:  # never "holds" on the strength of one size
        raise MatcalcError("cannot decide numerically: the sides could be compared only at "
                           f"{_sizes_seen(numbers)}, not at even and odd sizes", source, (0, len(source)))
    symmetric = () if numbers.agree or not conditions else _holds_if_symmetric(source, declared, typing, instances)
    return Verdict(source, numbers.agree, "numeric", numbers.error, numbers.usable, left, right, written, numbers,
                   symmetric)


def _holds_if_symmetric(source: str, declared: dict[str, str] | None, typing: kinds.Typing,
                        instances: int) -> tuple:
    """The square matrices (each alone, then all together) whose symmetry makes an identity
    that does not hold hold; () if none does."""
    square = sorted(n for n, kind in typing.kinds.items() if kind == "matrix"
                    and len(set(map(str, typing.shapes[n]))) == 1)
    for names in [[n] for n in square] + ([square] if 1 < len(square) <= 3 else []):
        try:
            v = verify(source, {**(declared or {}), **dict.fromkeys(names, "symmetric")}, instances, False)
        except MatcalcError:
            continue
        if v.holds:
            return tuple(names)
    return ()


def _sizes_seen(numbers) -> str:
    """"sizes 2 to 7" (or "size 3"): the sizes the dimensions took over the instances."""
    seen = sorted({n for sizes in numbers.sizes.values() for n in sizes})
    if not seen:
        return "scalars only"
    return f"size {seen[0]}" if len(seen) == 1 else f"sizes {seen[0]} to {seen[-1]}"


def identity(source: str, declared: dict[str, str] | None = None) -> tuple[Line, kinds.Typing]:
    """Parse `LHS = RHS` and type both sides in one namespace, with equal shapes."""
    sides, typing = _typed_sides(source, declared)
    return Line(sides[0].syntax, sides[1].syntax), typing


def _typed_sides(source: str, declared: dict[str, str] | None) -> tuple[list[_Side], kinds.Typing]:
    from .language.declarations import parse_declarations

    line = parser.parse(source)
    if line.rhs is None:
        raise MatcalcError("verify needs an identity with '=', e.g. tr(A B) = tr(B A)", source,
                           (0, len(source)))
    sides = [_Side(line.lhs), _Side(line.rhs)]
    names = kinds.names_in(*(side.tree for side in sides))
    return sides, _typing(sides, source, parse_declarations(declared, names, source))


def _typing(sides: list[_Side], source: str, declared) -> kinds.Typing:
    """One namespace for both sides: kinds as the two sides read together (a query's input a
    scalar), then dimensions unified so that the sides have one shape (∇_A f has A's shape)."""
    for side in sides:
        if side.query and side.syntax.wrt not in kinds.names_in(side.tree):  # ∇_c of no c
            raise parser.absent(side.syntax, source, render.name(side.syntax.wrt, render.TEXT))
        if side.query:
            side.kind, declared = _query_kind(side, source, declared)
    base = [_scalar(s.tree) if s.kind != "jacobian" else s.tree for s in sides if s.query]
    base += [s.tree for s in sides if not s.query and not s.is_zero]
    alone = kinds.infer(base or [sides[0].tree], source, declared)
    if any(s.is_zero for s in sides):
        return alone
    coupled = Syntax("sub", (sides[0].proxy(), sides[1].proxy()), span=(0, len(source)))
    try:  # the kinds stay as read; only dimensions are identified
        return kinds.infer(base + [coupled], source, alone.kinds)
    except MatcalcError:
        if any(s.kind != "gradient" for s in sides if s.query):
            return alone  # a Jacobian w.r.t. a matrix: its shape is compared once built
        left, right = (_describe(_shape(s, alone)) for s in sides)
        raise MatcalcError(f"the two sides cannot be equal: the left is {left}, the right {right}",
                           source, (0, len(source))) from None


def _query_kind(side: _Side, source: str, declared) -> tuple[str, dict]:
    """∇²_x f is a Hessian; ∇_x f or d/dx f is a gradient or a Jacobian, read as `diff` reads
    it (api._reading): f a scalar with x a vector; else f a scalar of some non-scalar; else a
    Jacobian with x a vector (`d vec(x y^T)/dx`); else a scalar of scalars; else as declared
    (`d/dx (A x) = A`, `d vec(X^{-1})/d vec(X) = …`). Returns the kind and the declarations
    that reading takes."""
    wrt = side.syntax.wrt
    vectors = {**declared, wrt: "vector"} if wrt not in declared and not kinds.is_upper(wrt) else declared
    some_vector = lambda typing: any(k != "scalar" for k in typing.kinds.values())  # noqa: E731
    levels = [(vectors, True, None), (declared, True, some_vector), (vectors, False, None),
              (declared, True, None), (declared, False, None)]
    if side.syntax.order == 2:
        levels = [level for level in levels if level[1]]
    error = None
    for given, scalar, wanted in levels:
        try:
            typing = kinds.infer([side.tree], source, given, scalar_result=scalar)
        except kinds.AmbiguousReading:
            raise
        except MatcalcError as e:
            error = error or e
            continue
        if wanted is None or wanted(typing):
            return "hessian" if side.syntax.order == 2 else "gradient" if scalar else "jacobian", given
    raise error


def _scalar(body: Syntax) -> Syntax:
    """body + 0: type-checks only when body is a scalar, so inference reads it as one."""
    return Syntax("add", (body, Syntax("number", value=0, span=body.span)), span=body.span)


def _shape(side: _Side, typing: kinds.Typing) -> tuple:
    if side.query:
        r, c = typing.shapes[side.syntax.wrt]
        return (c, r) if side.syntax.transposed else (r, c)
    return kinds.build(side.tree, typing, raw=True).shape


def _describe(shape: tuple) -> str:
    r, c = ("·".join(d) if isinstance(d, tuple) else d for d in shape)  # a Jacobian's mn rows
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
        raise parser.absent(q, source, render.name(q.wrt, render.TEXT))
    side.var = typing.symbol(q.wrt)
    side.body = kinds.build(q.body, typing, raw=True)
    expression = kinds.build(q.body, typing)
    if side.kind == "gradient":
        side.value = differentiate.gradient(expression, side.var, q.transposed)
        side.gradient = Gradient(source, q.wrt, q.transposed, expression, side.body, side.value, typing)
        return
    from .calculus import jacobian
    from .calculus.kronecker import transpose
    from .results import Derivative

    try:
        side.value = (jacobian.hessian if side.kind == "hessian" else jacobian.jacobian)(expression, side.var)
    except MatcalcError as e:
        raise MatcalcError(e.message, source, q.span) from None
    if q.transposed:  # (d/dx f)^T: the denominator layout
        side.value = transpose(side.value)
    side.gradient = Derivative(source, q.wrt, q.transposed, expression, side.body, side.value, typing, side.kind)


def _numeric(sides: list[_Side], instances: int, difference: Expr):
    """Both sides on random instances (numeric.identities), after a clear error for an I or ones
    whose size no variable carries."""
    from .numeric import identities

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
    numeric_sides = [identities.Side(s.value, s.body, s.var, bool(s.query and s.syntax.transposed),
                                     s.kind if s.query else "gradient") for s in sides]
    if any(s.kind != "gradient" for s in numeric_sides):  # the coefficient test reads gradients only
        difference = None
    return identities.compare(numeric_sides, difference, instances)

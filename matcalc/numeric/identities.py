"""The numeric half of `verify`: the two sides of an identity on random instances.

- Sizes: a schedule that rotates even and odd sizes through the dimensions, so each dimension
  is seen at several sizes of both parities (det(-A) = -det(A) holds only for odd n), each
  assignment nudged so that what the sides invert can be nonsingular (calculus.sizes).
- Data: plain random data; positive data where both sides are undefined on it (log, √).
- An instance is unusable when a matrix that a side inverts is (nearly) singular, when both
  sides are NaN or infinite there, or when a gradient side is (∇_x f claims nothing where f
  is undefined). Otherwise one side finite and the other not is a disagreement:
  log(x.^2) = 2 log(x) does not hold.
- Coefficients: the difference of the canonical forms is Σ cᵢ Tᵢ with exact rational cᵢ. A
  term Tᵢ that no combination of the others can cancel on the instances makes the sides
  differ however small cᵢ is: tr(A B) = 1.000000001 tr(B A) does not hold, within no
  tolerance.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..calculus.expr import Add, Expr, Sym, free_symbols, postorder
from ..calculus.algebra import split_coefficient
from ..calculus.sizes import assign_sizes, flat_dims
from . import evaluation as numeric

INSTANCES = 5                 # usable instances a verdict rests on, at least
DRAWS = 30                    # instances tried before giving up on finding them
SCHEDULE = (5, 4, 3, 6, 2, 7)  # sizes, rotated through the dimensions from one instance to the next
TOLERANCE_EXACT = 1e-8        # both sides evaluated in closed form
TOLERANCE_DIFFERENCES = 1e-5  # a side taken by finite differences
ZERO_TERM = 1e-12             # a term this small next to the sides is rounding noise, not a term
INDEPENDENT = 1e-6            # a term this far from the span of the others cannot cancel
MAX_TERMS = 64                # the coefficient test looks at differences of at most this many terms


@dataclass(frozen=True)
class Side:
    """One side: an expression, or a gradient. A gradient is taken by central finite differences
    of its input as written (`body`, w.r.t. `var`); `value` is then matcalc's own result, used
    for the coefficient test only where the differences confirm it."""

    value: Expr
    body: Expr | None = None
    var: Sym | None = None
    transposed: bool = False
    kind: str = "gradient"  # of a query side: "gradient", "jacobian" or "hessian"

    @property
    def query(self) -> bool:
        return self.body is not None

    @property
    def input(self) -> Expr:
        return self.body if self.query else self.value


@dataclass(frozen=True)
class Comparison:
    """What the instances showed. `usable` instances were compared, `agreed` of them agreed;
    `error` is the largest relative difference where both sides are finite (None if none
    was); `undefined` counts instances where one side is finite and the other not (the side
    that is not: "left" or "right" in `undefined_side`); `exact` is True when the rational
    coefficients of the difference make the sides differ; `sizes` the sizes each dimension
    took over the usable instances."""

    usable: int
    agreed: int
    error: float | None
    undefined: int = 0
    undefined_side: str | None = None
    exact: bool = False
    sizes: dict = field(default_factory=dict)

    @property
    def agree(self) -> bool:
        return self.usable > 0 and self.agreed == self.usable and not self.exact

    @property
    def several_sizes(self) -> bool:
        """Each dimension was seen at two sizes at least, an even one and an odd one."""
        return all(len(s) >= 2 and {n % 2 for n in s} == {0, 1} for s in self.sizes.values())


def compare(sides: list[Side], difference: Expr | None, instances: int = INSTANCES) -> Comparison:
    """Both sides on random instances until `instances` are usable and every dimension has been
    seen at even and odd sizes (or DRAWS are spent). `difference`: the canonical form of
    left - right (of matcalc's gradients for gradient sides), for the coefficient test."""
    exprs = [e for s in sides for e in (s.value, s.body) if e is not None]
    symbols = list(dict.fromkeys(s for e in exprs for s in free_symbols(e)))
    dims = numeric.dims_of(symbols)
    for e in exprs:  # an I or 𝟏 whose size no variable carries
        for node in postorder(e):
            dims += [d for d in flat_dims(node.shape) if d not in dims]
    inputs = [s.input for s in sides]
    terms = _terms(difference)
    tolerance = TOLERANCE_DIFFERENCES if any(s.query for s in sides) else TOLERANCE_EXACT
    seen: dict = {d: set() for d in dims}
    usable = agreed = undefined = 0
    undefined_side, worst, confirmed = None, None, True
    blocks: list[tuple[float, list[np.ndarray]]] = []
    for draw in range(DRAWS):
        sizes = _sizes(dims, draw, inputs)
        outcome = None
        for positive in (False, True):  # plain data; positive data where both sides are undefined
            rng = np.random.default_rng(draw)
            values = {s.name: numeric.random_value(s, sizes, rng, positive) for s in symbols}
            outcome = _instance(sides, inputs, values, sizes)
            if outcome is not None:
                break
        if outcome is None:
            continue
        usable += 1
        for d in dims:
            seen[d].add(sizes[d])
        kind, a, b, error = outcome
        if kind != "finite":
            undefined += 1
            undefined_side = undefined_side or kind
        else:
            worst = error if worst is None else max(worst, error)
            agreed += error < tolerance
            if terms:
                confirmed = confirmed and all(_confirms(s, v, values, sizes) for s, v in zip(sides, (a, b)))
                scale = max(1.0, float(np.max(np.abs(a))), float(np.max(np.abs(b))))
                with np.errstate(all="ignore"):
                    blocks.append((scale, [numeric.evaluate(t, values, sizes) for _, t in terms]))
        result = Comparison(usable, agreed, worst, undefined, undefined_side, False,
                            {d: sorted(s) for d, s in seen.items()})
        if usable >= instances and result.several_sizes:
            break
    exact = bool(terms) and confirmed and agreed == usable > 0 and _independent_term(terms, blocks)
    return Comparison(usable, agreed, worst, undefined, undefined_side, exact,
                      {d: sorted(s) for d, s in seen.items()})


def _sizes(dims: list, draw: int, inputs) -> dict:
    """The sizes of one draw: the schedule rotated by the draw's number, nudged so that what the
    sides invert can be nonsingular (if no nudge can do it, as drawn: det(x yᵀ) = 0 is data too)."""
    base = list(SCHEDULE) + [len(SCHEDULE) + 2 + i for i in range(max(0, len(dims) - len(SCHEDULE)))]
    order = tuple(base[(j + draw) % len(base)] for j in range(len(base)))
    return assign_sizes(dims, order, inputs) or assign_sizes(dims, order)


def _instance(sides, inputs, values, sizes):
    """("finite", a, b, relative difference), ("left"/"right", ...) when that side alone is not
    finite, or None when the instance is unusable."""
    if any(numeric.ill_conditioned(e, values, sizes) for e in inputs):
        return None  # (XᵀX)⁻¹ with X nearly rank-deficient: numbers mean nothing there
    try:
        with np.errstate(all="ignore"):
            a, b = (_evaluate(s, values, sizes) for s in sides)
    except np.linalg.LinAlgError:
        return None
    finite = [bool(np.all(np.isfinite(v))) for v in (a, b)]
    if not any(finite) or any(s.query and not f for s, f in zip(sides, finite)):
        return None  # a gradient is asked for where its function is defined: elsewhere no claim is made
    if not all(finite):
        return ("left" if not finite[0] else "right", a, b, None)
    return ("finite", a, b, numeric.relative_error(a, b))


def _evaluate(side: Side, values, sizes):
    if not side.query:
        return numeric.evaluate(side.value, values, sizes)
    differences = {"jacobian": numeric.finite_difference_jacobian, "hessian": numeric.finite_difference_hessian}
    grad = differences.get(side.kind, numeric.finite_difference_gradient)(side.body, side.var, values, sizes)
    return grad.T if side.transposed else grad


def _confirms(side: Side, value, values, sizes) -> bool:
    """A gradient side: matcalc's result agrees with the finite differences here."""
    if not side.query:
        return True
    with np.errstate(all="ignore"):
        mine = numeric.evaluate(side.value, values, sizes)
    if mine.shape != value.shape:
        mine = np.broadcast_to(mine, value.shape) if mine.size == 1 else mine
    return mine.shape == value.shape and numeric.relative_error(mine, value) < TOLERANCE_DIFFERENCES


def _terms(difference: Expr | None) -> list[tuple]:
    """Σ cᵢ Tᵢ: (cᵢ, Tᵢ) for each term of the difference of the canonical forms."""
    if difference is None:
        return []
    terms = difference.terms if isinstance(difference, Add) else (difference,)
    if len(terms) > MAX_TERMS:
        return []
    return [split_coefficient(t) for t in terms]


def _independent_term(terms, blocks) -> bool:
    """Some term of Σ cᵢ Tᵢ (every cᵢ ≠ 0, exactly) is not a combination of the others on the
    instances: then Σ cᵢ Tᵢ is not 0, however small cᵢ. Entries are scaled per instance by
    the size of the sides; a term that is rounding noise next to them does not count."""
    if not blocks:
        return False
    columns = []
    for i in range(len(terms)):
        column = np.concatenate([np.ravel(values[i]) / scale for scale, values in blocks])
        if np.all(np.isfinite(column)) and np.max(np.abs(column), initial=0.0) > ZERO_TERM:
            columns.append(column)
    if not columns:
        return False
    m = np.column_stack(columns)
    if m.shape[0] <= m.shape[1] - 1:
        return False  # too few numbers to tell anything apart
    for j in range(m.shape[1]):
        target, others = m[:, j], np.delete(m, j, axis=1)
        if others.shape[1]:
            fit, *_ = np.linalg.lstsq(others, target, rcond=None)
            residual = target - others @ fit
        else:
            residual = target
        if np.linalg.norm(residual) > INDEPENDENT * np.linalg.norm(target):
            return True
    return False

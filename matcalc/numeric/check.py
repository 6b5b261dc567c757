"""`--check`: a result against central finite differences on random data.

A verdict rests only on instances where the numbers mean something: every argument of log,
sqrt and a fractional power positive, nothing inverted singular, no value overflowing, the
differences finite (evaluation.unusable). Other instances are redrawn; when no draw is
usable, the verdict is "could not check" and says why, never "ok" and never "FAILED".

The numbers are those of `dense` (pure Python: no numpy import, which alone costs several
times a bare interpreter's start-up) unless `backend` picks numpy before any work starts: for
what dense cannot evaluate (index notation, by einsum) and where dense would take longer than
numpy and its import (large Kronecker Jacobians and Hessians, and a batch's checks once the
first ones have cost that much). The data are drawn the same way for both, so the verdict does
not depend on which one computed it."""
from __future__ import annotations

from typing import NamedTuple

from ..calculus import functions
from ..calculus.expr import Det, Func, IndexForm, MatMul, Power, VariablePower, free_symbols, postorder
from ..calculus.sizes import size_of

TOLERANCE = 1e-5
INSTANCES = 3  # usable random instances a verdict rests on
DRAWS = 12     # random draws (each in two size orders, plain then positive data) to find them

WHY = {  # evaluation's reasons, as said to the user
    "overflow": "its values overflow the floating-point range on random data",
    "domain": "no random data keeps every argument of log, sqrt and fractional powers positive",
    "singular": "a matrix it inverts is singular on every random instance",
    "differences": "finite differences step outside the domain on every random instance",
    "sizes": "no sizes make the matrices it inverts nonsingular",
}
WORST_FIRST = ("sizes", "singular", "overflow", "domain", "differences")


class Check(NamedTuple):
    """The verdict: the worst relative error over `instances` usable random instances and
    whether it is small enough; with no usable instance, error None, ok False and `reason`."""

    error: float | None
    ok: bool
    instances: int = 0
    reason: str | None = None

    @property
    def checked(self) -> bool:
        return self.error is not None

    def message(self, label: str) -> str:
        if not self.checked:
            return f"check {label}: could not check: {WHY[self.reason]}"
        return (f"check {label}: relative error {self.error:.1e} against finite differences: "
                f"{'ok' if self.ok else 'FAILED'}")


def check_gradient(g, instances: int = INSTANCES, draws: int = DRAWS) -> Check:
    """Check a gradient, Jacobian or Hessian (`g.kind`). Differences are taken of the input as
    written, so a wrong simplification shows too."""
    from . import dense
    from . import evaluation as numeric

    global _dense_overrun
    symbols = free_symbols(g.written)
    kind = getattr(g, "kind", "gradient")
    forms = (g.written, g.result)
    np = backend(forms, symbols, g.variable, kind, _dense_overrun)
    if np is dense:
        _dense_overrun += overrun(forms, symbols, g.variable, kind)
    worst, count, reasons = 0.0, 0, set()
    for seed in range(draws):
        error = None
        for positive in (False, True):  # plain data first; then positive data (log, √)
            rng = dense.Random(seed)
            for order in numeric.SIZE_ORDERS:  # log|XᵀX| needs X tall, log|X Xᵀ| wide
                try:
                    values, sizes = numeric.random_instance(symbols, rng, positive, order, forms, dense)
                except numeric.Singular:
                    return Check(None, False, 0, "sizes")
                if np is not dense:
                    values = {name: np.array(v.tolist()) for name, v in values.items()}
                error, why = numeric.compare(g.written, g.result, g.variable, values, sizes, kind,
                                             g.transposed, np)
                if error is not None:
                    break
                reasons.add(why)
            if error is not None:
                break
        if error is not None:
            worst, count = max(worst, error), count + 1
            if count == instances:
                break
    if count == 0:
        return Check(None, False, 0, next(r for r in WORST_FIRST if r in reasons))
    return Check(worst, bool(worst < TOLERANCE), count)


# What a check costs, in seconds, on this project's 2-core machine under load: a node evaluated by
# dense costs about twice what it costs numpy, dense's arithmetic about 60 ns a multiply-add
# against numpy's next to nothing, numpy's import about 120 ms. Set from timing 124 checks of
# tests/test_dense.py's corpora both ways: 119 choices were the faster one, the other five within
# 65 ms of it.
NODE_SECONDS = {"dense": 30e-6, "numpy": 16e-6}
MULTIPLY_ADD_SECONDS = 60e-9
NUMPY_IMPORT_SECONDS = 0.12

# numpy's import is paid once a process: the time dense has taken beyond numpy's (estimated) over
# the checks made so far. A batch of checks takes numpy once that passes the import's cost, as
# renting skis until the rent would have bought them: never more than twice the better choice.
_dense_overrun = 0.0


def backend(forms, symbols, variable, kind: str, overrun_so_far: float = 0.0):
    """The namespace a check computes with, chosen before any work starts: numpy for index
    notation (einsum), and where the time dense would take beyond numpy's, added to what it took
    beyond numpy's in this process's earlier checks, passes numpy's import; else dense (numpy
    not imported)."""
    from . import dense
    from . import evaluation as numeric

    if any(isinstance(node, IndexForm) for e in forms for node in postorder(e)):
        return numeric.numpy()
    if overrun_so_far + overrun(forms, symbols, variable, kind) > NUMPY_IMPORT_SECONDS:
        return numeric.numpy()
    return dense


def overrun(forms, symbols, variable, kind: str) -> float:
    """How much longer, about, dense takes than numpy for this check (in seconds; at the sizes of
    either size order, the worse)."""
    from . import evaluation as numeric

    worst = 0.0
    for order in numeric.SIZE_ORDERS:
        try:
            sizes = numeric.instance_sizes(symbols, order, forms)
        except numeric.Singular:  # the check will say so
            continue
        dense, numpy = (seconds(np, forms, variable, kind, sizes) for np in ("dense", "numpy"))
        worst = max(worst, dense - numpy)
    return worst


def seconds(np: str, forms, variable, kind: str, sizes) -> float:
    """About how long a check takes with numpy or dense at these sizes: the input as written is
    evaluated twice per entry of the variable (a gradient, a Jacobian) or twice per pair of
    entries (a Hessian), the result twice, on each of INSTANCES instances."""
    written, result = forms
    n = size_of(variable.shape[0], sizes) * size_of(variable.shape[1], sizes)
    evaluations = 2 * n * (n + 1) if kind == "hessian" else 2 * n + 1
    total = 0.0
    for e, times in ((written, evaluations), (result, 2)):
        nodes = set(postorder(e))
        total += times * len(nodes) * NODE_SECONDS[np]
        if np == "dense":
            total += times * sum(multiply_adds(node, sizes) for node in nodes) * MULTIPLY_ADD_SECONDS
    return INSTANCES * total


def multiply_adds(node, sizes) -> int:
    """The arithmetic of one node given its children's values: a product's multiply-adds, n³
    for an inverse or a determinant, one per entry for the rest."""
    r, c = (size_of(d, sizes) for d in node.shape)
    if isinstance(node, MatMul):
        total, rows, inner = r * c, None, None
        for f in node.factors:
            if f.is_scalar:
                continue
            fr, fc = (size_of(d, sizes) for d in f.shape)
            if rows is not None:
                total += rows * inner * fc
            rows, inner = rows or fr, fc
        return total
    if isinstance(node, Det) or isinstance(node, Func) and functions.lookup(node.name).domain == "invertible":
        return size_of(node.children()[0].shape[0], sizes) ** 3
    if isinstance(node, Power) and not node.base.is_scalar:  # repeated squaring, after an inverse
        return r ** 3 * (2 * abs(int(node.exponent)).bit_length() + (node.exponent < 0))
    if isinstance(node, VariablePower) and not node.base.is_scalar:
        return r ** 3 * 6  # k from 2 to 5
    return r * c

"""`--check`: a result against central finite differences on random data (imports numpy).

A verdict rests only on instances where the numbers mean something: every argument of log,
sqrt and a fractional power positive, nothing inverted singular, no value overflowing, the
differences finite (evaluation.unusable). Other instances are redrawn; when no draw is
usable, the verdict is "could not check" and says why, never "ok" and never "FAILED"."""
from __future__ import annotations

from typing import NamedTuple

from ..calculus.expr import free_symbols

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
    import numpy as np

    from . import evaluation as numeric

    symbols = free_symbols(g.written)
    kind = getattr(g, "kind", "gradient")
    forms = (g.written, g.result)
    worst, count, reasons = 0.0, 0, set()
    for seed in range(draws):
        error = None
        for positive in (False, True):  # plain data first; then positive data (log, √)
            rng = np.random.default_rng(seed)
            for order in numeric.SIZE_ORDERS:  # log|XᵀX| needs X tall, log|X Xᵀ| wide
                try:
                    values, sizes = numeric.random_instance(symbols, rng, positive, order, within=forms)
                except numeric.Singular:
                    return Check(None, False, 0, "sizes")
                error, why = numeric.compare(g.written, g.result, g.variable, values, sizes, kind,
                                             g.transposed)
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

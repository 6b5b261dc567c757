"""`--check`: a result against central finite differences on random data (imports numpy)."""
from __future__ import annotations

import functools

from ..calculus.expr import free_symbols

TOLERANCE = 1e-5


def check_gradient(g, seeds=(0, 1, 2)) -> tuple[float, bool]:
    """The worst relative error over a few random instances, and whether it is small enough.

    Differences are taken of the input as written, so a wrong simplification shows too."""
    from . import evaluation as numeric

    symbols = free_symbols(g.written)
    kind = getattr(g, "kind", "gradient")  # a Jacobian or Hessian: column by column, or second differences
    check = numeric.check if kind == "gradient" else functools.partial(numeric.check_jacobian,
                                                                         hessian=kind == "hessian")
    def error_at(seed, positive=False) -> float:
        try:
            return check(g.written, g.result, g.variable, symbols, seed=seed, positive=positive,
                         transposed=g.transposed)
        except ValueError:  # shapes that do not fit (a broken rule), a singular matrix: a failure
            return float("inf")

    worst = 0.0
    for seed in seeds:
        error = error_at(seed)
        if error == float("inf"):
            error = error_at(seed, positive=True)
        worst = max(worst, error)
    return worst, worst < TOLERANCE

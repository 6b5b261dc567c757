"""`--check`: a result against central finite differences on random data (imports numpy)."""
from __future__ import annotations

from .expr import free_symbols

TOLERANCE = 1e-5


def check_gradient(g, seeds=(0, 1, 2)) -> tuple[float, bool]:
    """The worst relative error over a few random instances, and whether it is small enough.

    Differences are taken of the input as written, so a wrong simplification shows too."""
    from . import numeric

    symbols = free_symbols(g.written)
    worst = 0.0
    for seed in seeds:
        error = numeric.check(g.written, g.result, g.variable, symbols, seed=seed, transposed=g.transposed)
        if error == float("inf"):
            error = numeric.check(g.written, g.result, g.variable, symbols, seed=seed, positive=True,
                                  transposed=g.transposed)
        worst = max(worst, error)
    return worst, worst < TOLERANCE

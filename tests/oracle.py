"""The numeric oracle every derivative test goes through: matcalc's gradient against
central finite differences of the input *as written* (not as simplified), on random data of
distinct non-square sizes, and optionally against an independent hand-written formula."""
from __future__ import annotations

import numpy as np

import matcalc
from matcalc.numeric import evaluation as numeric
from matcalc.formats import render
from matcalc.calculus.expr import free_symbols

TOLERANCE = 1e-5


def written_forms(canonical: str) -> list[str]:
    """Ways a test may spell a variable: "mu", "\\mu", "x_i", "x_{i}", "W_2", "W_{2}"."""
    forms = {canonical, render.name(canonical, render.TEXT)}
    base, _, sub = canonical.partition("_")
    if sub:
        forms |= {f"{base}_{{{sub}}}", f"{render.name(base, render.TEXT)}_{{{sub}}}"}
    return sorted(forms)


def numpy_habit(value: np.ndarray, sym):
    """Vectors as 1-D arrays, scalars as floats (the convention of the oracle formulas)."""
    if sym.shape == (1, 1):
        return float(value[0, 0])
    if sym.shape[1] == 1:
        return value[:, 0].copy()
    return value.copy()


def assert_gradient(expr: str, wrt: str, expected=None, declare=None, positive=False, seeds=(0, 1)):
    """Differentiate and check numerically; return the Gradient for further (string) checks."""
    g = matcalc.diff(expr, wrt, declared=declare)
    symbols = free_symbols(g.written)
    var = g.variable
    for seed in seeds:
        rng = np.random.default_rng(seed)
        for order in numeric.SIZE_ORDERS:  # log det(XᵀX) needs X tall, log det(X Xᵀ) wide
            values, sizes = numeric.random_instance(symbols, rng, positive, order, within=(g.written, g.result))
            with np.errstate(all="ignore"):
                got = numeric.evaluate(g.result, values, sizes)
                want = numeric.finite_difference_gradient(g.written, var, values, sizes)
            if np.all(np.isfinite(want)) and np.all(np.isfinite(got)):
                break
        else:
            raise AssertionError(f"{expr}: no random instance where the gradient is finite")
        if g.transposed:
            want = want.T
        got = np.broadcast_to(got, want.shape) if got.size == 1 else got
        err = numeric.relative_error(got, want)
        assert err < TOLERANCE, f"{expr} w.r.t. {wrt}: {g.unicode} differs from finite differences by {err:.2e}"
        if expected is not None:
            env = {}
            for s in symbols:
                for form in written_forms(s.name):
                    env[form] = numpy_habit(values[s.name], s)
            oracle = np.asarray(expected(env), dtype=float).reshape(got.shape)
            err = numeric.relative_error(got, oracle)
            assert err < TOLERANCE, f"{expr} w.r.t. {wrt}: {g.unicode} differs from the oracle by {err:.2e}"
    return g


def used(declared: dict | None, text: str) -> dict:
    """The declarations in `declared` of names that `text` uses: matcalc refuses a declared
    name that does not occur (issue 12, item 6), and a result often drops some (∇ tr(X) = I)."""
    from matcalc.language import kinds, parser
    from matcalc.language.declarations import resolve_name

    line = parser.parse(text)
    trees = [getattr(side, "body", side) for side in (line.lhs, line.rhs) if side is not None]
    names = set(kinds.names_in(*trees))
    return {n: k for n, k in (declared or {}).items() if resolve_name(n) in names}


def run(code: str, env: dict):
    """Evaluate matcalc's NumPy output with `env` as its variables."""
    return np.asarray(eval(code, {"np": np}, dict(env)), dtype=float)  # noqa: S307 - matcalc's own output


def fd_gradient(f, x, eps=1e-6):
    """Central differences of a scalar f, entry by entry, shaped like x."""
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        g[idx] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def close(got, want, tol=1e-6):
    """Same shape, and equal to a relative `tol`."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    assert got.shape == want.shape, (got.shape, want.shape)
    err = np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want)))
    assert err < tol, err

"""`matcalc verify` never says "holds" for a false identity, and says it for true ones
(issue 12). The identities are in tests/false_identities.py: near misses generated from true
identities, and issue 12's hand-written ones.

Each test first confirms with the independent evaluator (tests/evaluator.py), on random data
of even and odd sizes, that the identity really is false (or true), so the test is sound;
only then does it ask matcalc. Identities matcalc gets wrong today are marked
xfail(strict=True), so each flips loudly when verify's numeric verdict is fixed.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

import matcalc
from evaluator import Expression, canonical
from false_identities import DIMS, M, N, SYMMETRIC, TRUE, false_identities, kind

FALSE = false_identities()

# Sizes (n, m): even and odd n, several of each, m ≠ n.
SIZES = [(2, 3), (3, 2), (4, 3), (5, 2), (2, 5), (4, 5), (3, 4), (6, 3)]

# -- matcalc today (measured; each flips to a failure of its xfail once fixed) ---------------------

ABS = "issue 12: |a| on a scalar is read as det(a) = a"
WRONG_TODAY: dict[str, str] = {  # identity -> why matcalc's verdict is wrong today
    # (verify's numeric verdict, fixed in bd7cead, turned 15 more of these from "holds" to "does not hold")
}  # "|a| = a" and "|a b| = a |b|" (|a| read as det(a) = a) are fixed: bars around a scalar are abs


# -- the evaluator's verdict ----------------------------------------------------------------------

def instance(seed: int, n: int, m: int) -> dict:
    rng = np.random.default_rng(seed)
    size = {N: n, M: m, 1: 1}
    values = {}
    for name, (r, c) in DIMS.items():
        r, c = size[r], size[c]
        if name in SYMMETRIC:
            q = rng.standard_normal((r, r))
            values[name] = np.eye(r) + q @ q.T / r
        elif r == c and r > 1:
            values[name] = 2 * np.eye(r) + 0.5 * rng.standard_normal((r, r)) / np.sqrt(r)
        else:
            values[name] = rng.standard_normal((r, c))
    return values


_NABLA = re.compile(r"\\nabla_\{?(\\?[A-Za-z]+)\}?\s+(.*)")


class Side:
    """One side of an identity: an expression, or ∇_V f (finite differences of f)."""

    def __init__(self, text: str):
        m = _NABLA.fullmatch(text.strip())
        self.wrt = canonical(m.group(1)) if m else None
        self.expression = Expression(m.group(2) if m else text)
        self.names = self.expression.names | ({self.wrt} if self.wrt else set())

    def __call__(self, values: dict) -> np.ndarray:
        if self.wrt is None:
            return self.expression(values)
        f, v = self.expression, values[self.wrt]
        G = np.zeros_like(v)
        for idx in np.ndindex(*v.shape):
            h = 1e-6 * max(1.0, abs(v[idx]))
            up, down = dict(values), dict(values)
            up[self.wrt], down[self.wrt] = v.copy(), v.copy()
            up[self.wrt][idx] += h
            down[self.wrt][idx] -= h
            G[idx] = (f(up)[0, 0] - f(down)[0, 0]) / (2 * h)
        return (G + G.T) / 2 if self.wrt in SYMMETRIC else G


def sides(text: str) -> tuple[Side, Side]:
    lhs, rhs = text.split(" = ")
    return Side(lhs), Side(rhs)


def differences(text: str, undefined_counts: bool):
    """The relative difference of the two sides on each instance (None: not finite)."""
    left, right = sides(text)
    out = []
    for seed, (n, m) in enumerate(SIZES):
        values = instance(seed, n, m)
        with np.errstate(all="ignore"):
            a, b = left(values), right(values)
        a, b = np.broadcast_arrays(a, b) if a.size == 1 or b.size == 1 else (a, b)
        assert a.shape == b.shape, f"the evaluator gives shapes {a.shape} and {b.shape}"
        finite = np.all(np.isfinite(a)) and np.all(np.isfinite(b))
        if not finite:
            out.append(np.inf if undefined_counts and not np.array_equal(a, b, equal_nan=False) else None)
            continue
        scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-12)
        out.append(float(np.max(np.abs(a - b))) / scale)
    return out


def declared(text: str) -> dict[str, str]:
    names = set().union(*(s.names for s in sides(text)))
    return {n: kind(n) for n in sorted(names)}


# -- the tests ------------------------------------------------------------------------------------

def _param(identity):
    reason = WRONG_TODAY.get(identity.text)
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(identity, marks=marks, id=identity.text)


@pytest.mark.parametrize("identity", [_param(i) for i in FALSE])
def test_verify_does_not_say_a_false_identity_holds(identity):
    # 1. the identity really is false: the evaluator sees the sides differ, past the margin
    diffs = differences(identity.text, undefined_counts=identity.expect != "false")
    seen = [d for d in diffs if d is not None]
    assert seen and max(seen) > identity.margin, f"the evaluator finds {identity.text} true: {diffs}"
    # 2. matcalc does not say it holds
    try:
        verdict = matcalc.verify(identity.text, declared=declared(identity.text))
    except matcalc.MatcalcError as e:
        assert identity.expect in ("refused", "false or refused"), f"verify refuses a well-formed identity: {e.message}"
        return
    assert identity.expect != "refused", f"verify should refuse {identity.text}, but says {verdict.message()}"
    assert not verdict.holds, verdict.message()


@pytest.mark.parametrize("identity", [_param(i) for i in TRUE])
def test_verify_says_a_true_identity_holds(identity):
    diffs = differences(identity.text, undefined_counts=False)
    seen = [d for d in diffs if d is not None]
    tolerance = 1e-6 if "nabla" in identity.text else 1e-10
    assert len(seen) >= 4 and max(seen) < tolerance, f"the evaluator finds {identity.text} false: {diffs}"
    verdict = matcalc.verify(identity.text, declared=declared(identity.text))
    assert verdict.holds, verdict.message()


def test_the_known_wrong_ones_are_in_the_lists():
    texts = {i.text for i in FALSE + TRUE}
    assert set(WRONG_TODAY) <= texts


def test_counts():
    """The issue asks for at least 200 near-miss false identities, of each family."""
    families = {i.family for i in FALSE}
    assert len(FALSE) >= 200 and len(TRUE) >= 50
    assert {"dropped transpose", "lost factor 2", "non-cyclic reordering inside tr", "det of a sum",
            "swapped inverse factors", "issue 12"} <= families
    assert all(sum(e == f for e in (i.family for i in FALSE)) >= 5 for f in families - {"issue 12", "domain"})

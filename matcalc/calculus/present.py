"""The last pass over a result: written as The Matrix Cookbook writes it.

The engine's simplest form (`algebra`) is exact but mechanical: a product pulled out of a
differential may read x xᵀ A x, and terms that share a scalar repeat it. Here, each an
identity:

  a 1×1 run inside a product is a scalar factor     x xᵀ A x = (xᵀ A x) x
  written in one orientation (scalar-trace, 1.A)    xᵀ Aᵀ x = xᵀ A x, so like terms meet
  terms with the same scalar factors grouped        s A x + s Aᵀ x = s (A x + Aᵀ x)
  a scalar factor of every term taken out           |X| tr(X) X⁻ᵀ + |X| I = |X| (tr(X) X⁻ᵀ + I)
  a term without a minus sign first                 b - a, not -a + b
"""
from __future__ import annotations

import math
from fractions import Fraction

from . import algebra as alg
from .expr import ONE, Add, Const, Expr, MatMul


def present(e: Expr) -> Expr:
    """e in the form the textbook writes it (equal to e)."""
    return positive_first(common_scalars(group_scalars(scalar_units(e))))


def scalar_units(e: Expr) -> Expr:
    """Each term's 1×1 runs taken out of its matrix chain as scalar factors."""
    if isinstance(e, Add):
        terms = [scalar_units(t) for t in e.terms]
        return alg.add(*terms) if any(a is not b for a, b in zip(terms, e.terms)) else e
    if not isinstance(e, MatMul) or e.is_scalar:
        return e
    scalars = [f for f in e.factors if f.is_scalar]
    chain = [f for f in e.factors if not f.is_scalar]
    units = []
    while True:
        run = _inner_unit(chain)
        if run is None:
            break
        i, j = run
        units.append(_oriented(chain[i:j + 1]))
        chain = chain[:i] + chain[j + 1:]
    return alg.mul(*scalars, *units, *chain) if units else e


def _inner_unit(chain: list[Expr]) -> tuple[int, int] | None:
    """(i, j) with chain[i..j] a 1×1 product whose removal leaves a product that still chains
    (x xᵀ A x: xᵀ A x), the leftmost such, shortest; None if there is none."""
    for i, f in enumerate(chain):
        if f.shape[0] != 1:
            continue
        j = next((j for j in range(i, len(chain)) if chain[j].shape[1] == 1), None)
        if j is None:
            return None
        rest = chain[:i] + chain[j + 1:]
        if rest and all(a.shape[1] == b.shape[0] for a, b in zip(rest, rest[1:])):
            return i, j
    return None


def _oriented(run: list[Expr]) -> Expr:
    """A 1×1 product uᵀv = vᵀu (scalar-trace, 1.A) in one orientation, the least by
    `sort_key` (xᵀ A x, not xᵀ Aᵀ x; aᵀ x, not xᵀ a), so that like terms meet."""
    flipped = [alg.transpose(f) for f in reversed(run)]
    best = min(run, flipped, key=lambda r: tuple(alg.sort_key(f) for f in r))
    return MatMul(tuple(best))


def group_scalars(e: Expr) -> Expr:
    """Terms with the same scalar factors (same powers) written once with those factors in
    front: A x / (xᵀAx) + Aᵀ x / (xᵀAx) = (A x + Aᵀ x) / (xᵀAx), the constants' common factor
    too. Groups keep the order of their first term; a lone term stays as it is."""
    if not isinstance(e, Add):
        return e
    # scalars → (c, the other factors, term); the others are multiplied out only for a group
    # of two or more (most sums have none)
    groups: dict[tuple, list[tuple[Fraction, list[Expr], Expr]]] = {}
    for t in e.terms:
        c, rest = alg.split_coefficient(t)
        factors = rest.factors if isinstance(rest, MatMul) else (rest,)
        scalars = tuple(f for f in factors if f.is_scalar)
        others = [f for f in factors if not f.is_scalar]
        key = scalars if scalars and others else ("alone", t)  # all scalar, or no scalar: stays
        groups.setdefault(key, []).append((c, others, t))
    if len(groups) == len(e.terms):
        return e
    terms = []
    for key, members in groups.items():
        if len(members) == 1 or key[0] == "alone":
            terms.extend(t for _, _, t in members)
            continue
        coefficients = [c for c, _, _ in members]
        shared = Fraction(math.gcd(*(c.numerator for c in coefficients)),
                          math.lcm(*(c.denominator for c in coefficients)))
        shared = -shared if all(c < 0 for c in coefficients) else shared
        inner = alg.add(*(alg.scale(c / shared, alg.mul(*others) if others else ONE) for c, others, _ in members))
        terms.append(alg.mul(Const(shared), *key, inner))
    return alg.add(*terms)


def common_scalars(e: Expr) -> Expr:
    """The scalar factors that every term of a sum has (with the same powers) written once, in
    front: |X| tr(X) X⁻ᵀ + |X| I = |X| (tr(X) X⁻ᵀ + I). Constants are left in the terms."""
    if not isinstance(e, Add):
        return e
    split = [alg.split_coefficient(t) for t in e.terms]
    factors = [list(r.factors) if isinstance(r, MatMul) else [r] for _, r in split]
    common = [f for f in factors[0] if f.is_scalar and f != ONE and all(f in fs for fs in factors[1:])]
    if not common or any(all(g.is_scalar for g in fs if g not in common) for fs in factors):
        return e  # nothing shared, or a term that is only the shared factor (s A + s)
    inner = alg.add(*(alg.scale(c, alg.mul(*(g for g in fs if g not in common)))
                      for (c, _), fs in zip(split, factors)))
    return alg.mul(*common, inner)


def positive_first(e: Expr) -> Expr:
    """b - a rather than -a + b: a sum starts with a term that has no minus sign, if it has one."""
    if not isinstance(e, Add):
        return e
    positive = [t for t in e.terms if alg.split_coefficient(t)[0] > 0]
    if not positive or positive[0] is e.terms[0]:
        return e
    return Add((*positive, *(t for t in e.terms if alg.split_coefficient(t)[0] <= 0)))

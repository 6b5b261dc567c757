"""The last pass over a result: written as The Matrix Cookbook writes it.

The engine's simplest form (`algebra`) is exact but mechanical: a product pulled out of a
differential may read x xᵀ A x, and terms that share a scalar repeat it. Here, each an
identity:

  a 1×1 run inside a product is a scalar factor     x xᵀ A x = (xᵀ A x) x
  written in one orientation (scalar-trace, 1.A)    xᵀ Aᵀ x = xᵀ A x, so like terms meet
  terms with the same scalar factors grouped        s A x + s Aᵀ x = s (A x + Aᵀ x)
  a scalar factor of every term taken out           |X| tr(X) X⁻ᵀ + |X| I = |X| (tr(X) X⁻ᵀ + I)
  a term without a minus sign first                 b - a, not -a + b

and, first, in every sum and product of the result (`rewrite`, bottom-up), the forms an ML
paper writes:

  diagonal matrices multiplied                      diag(a) diag(b) = diag(a ∘ b)
  a diagonal matrix times a vector                  diag(a) b = a ∘ b
  a weighted sum of entries                         𝟏ᵀ(a ∘ b) = sum(a ∘ b) = aᵀ b
  diagonal matrices added                           diag(a) - diag(b) = diag(a - b)
  a factor that every term shares taken out         -Xᵀ W r - Xᵀ Wᵀ r = -Xᵀ (W + Wᵀ) r
    (on the left or the right of each term's matrix chain) when it writes two variables or
    more, or when what is left is one term: Xᵀ (diag(a) X - diag(b) X) = Xᵀ diag(a - b) X.
    A lone shared variable stays in its terms, as the seed and the Cookbook write
    A x + Aᵀ x and B X + Bᵀ X.
"""
from __future__ import annotations

import math
from fractions import Fraction

from . import algebra as alg
from . import kronecker as kr
from .expr import (
    ONE, Add, Const, Det, Diag, Diagonal, Expr, Func, Hadamard, HadamardPower, Kron, MatMul, Norm, Ones,
    Power, Sum, Sym, Trace, Transpose, Vec, postorder,
)


def present(e: Expr) -> Expr:
    """e in the form the textbook writes it (equal to e)."""
    return positive_first(common_scalars(group_scalars(scalar_units(rewrite(e)))))


# -- bottom-up: each node rebuilt from its rewritten children, then its own rules -----------------

_REBUILD = {
    Add: lambda e, k: alg.add(*k),
    MatMul: lambda e, k: kr.times(*k),
    Transpose: lambda e, k: kr.transpose(k[0]),
    Hadamard: lambda e, k: alg.hadamard(*k),
    HadamardPower: lambda e, k: alg.hadamard_power(k[0], e.exponent),
    Power: lambda e, k: alg.power(k[0], e.exponent),
    Func: lambda e, k: alg.func(e.name, k[0]),
    Trace: lambda e, k: alg.trace(k[0]),
    Det: lambda e, k: alg.det(k[0]),
    Sum: lambda e, k: alg.sum_entries(k[0]),
    Norm: lambda e, k: alg.norm(k[0], e.kind),
    Diag: lambda e, k: kr.diag(k[0]),
    Diagonal: lambda e, k: kr.diagonal(k[0]),
    Vec: lambda e, k: kr.vec(k[0]),
    Kron: lambda e, k: kr.kron(k[0], k[1]),
}


def rewrite(e: Expr) -> Expr:
    """e with the rules of `_RULES` applied in every node, children first (an equal expression)."""
    done: dict[int, Expr] = {}
    for node in postorder(e):
        children = node.children()
        kids = [done[id(c)] for c in children]
        if any(a is not b for a, b in zip(kids, children)):
            build = _REBUILD.get(type(node))
            node_now = build(node, kids) if build is not None else node
        else:
            node_now = node
        rule = _RULES.get(type(node_now))
        done[id(node)] = rule(node_now) if rule is not None else node_now
    return done[id(e)]


def _product(e: MatMul) -> Expr:
    """diag(a) diag(b) = diag(a ∘ b), diag(a) b = a ∘ b for a vector b, 𝟏ᵀ(a ∘ b) = aᵀ b."""
    factors = list(e.factors)
    changed = False
    i = 0
    while i < len(factors) - 1:
        f, g = factors[i], factors[i + 1]
        if type(f) is Diag and type(g) is Diag:
            factors[i:i + 2] = [kr.diag(alg.hadamard(f.arg, g.arg))]
        elif type(f) is Diag and g.shape[1] == 1 and not g.is_scalar:
            factors[i:i + 2] = [alg.hadamard(f.arg, g)]
        elif type(f) is Ones and f.shape[0] == 1 and type(g) is Hadamard and g.shape[1] == 1 \
                and len(g.factors) == 2:
            factors[i:i + 2] = [alg.transpose(g.factors[0]), g.factors[1]]
        else:
            i += 1
            continue
        changed = True
        i = max(i - 1, 0)
    return kr.times(*factors) if changed else e


def _sum(e: Add) -> Expr:
    out = _diagonals(e)
    return _common_factors(out) if isinstance(out, Add) else out


def _diagonals(e: Add) -> Expr:
    """c₁ diag(a₁) + c₂ diag(a₂) + ... = diag(c₁ a₁ + c₂ a₂ + ...), in the place of the first."""
    places = [i for i, t in enumerate(e.terms) if type(alg.split_coefficient(t)[1]) is Diag]
    if len(places) < 2:
        return e
    inside = []
    for i in places:
        c, d = alg.split_coefficient(e.terms[i])
        inside.append(alg.scale(c, d.arg))
    merged = kr.diag(alg.add(*inside))
    terms = [merged if i == places[0] else t for i, t in enumerate(e.terms) if i == places[0] or i not in places]
    return alg.add(*terms)


def _common_factors(e: Add) -> Expr:
    """Matrix factors on the left and on the right that every term has, taken out once."""
    split = []
    for t in e.terms:
        c, rest = alg.split_coefficient(scalar_units(t))  # x xᵀ A x is (xᵀ A x) x: x is not shared
        factors = rest.factors if isinstance(rest, MatMul) else (rest,)
        scalars = [f for f in factors if f.is_scalar]
        chain = [f for f in factors if not f.is_scalar]
        if not chain or kr.is_number_product(rest):
            return e
        split.append((c, scalars, chain))
    shortest = min(len(chain) for _, _, chain in split)
    left = 0
    while left < shortest - 1 and all(chain[left] == split[0][2][left] for _, _, chain in split):
        left += 1
    right = 0
    while left + right < shortest - 1 and all(chain[-1 - right] == split[0][2][-1 - right] for _, _, chain in split):
        right += 1
    if not left and not right:
        return e
    first = split[0][2]
    coefficients = [c for c, _, _ in split]
    common = Fraction(math.gcd(*(c.numerator for c in coefficients)),
                      math.lcm(*(c.denominator for c in coefficients)))
    common = -common if all(c < 0 for c in coefficients) else common
    inner = alg.add(*(alg.scale(c / common, kr.times(*scalars, *chain[left:len(chain) - right]))
                      for c, scalars, chain in split))
    if isinstance(inner, Add):
        inner = _sum(inner)
    if sum(occurrences(f) for f in first[:left] + first[len(first) - right:]) < 2 and isinstance(inner, Add):
        return e  # a lone variable shared, and still a sum: A x + Aᵀ x, as the seed writes it
    return alg.scale(common, kr.times(*first[:left], positive_first(inner), *first[len(first) - right:]))


def occurrences(e: Expr) -> int:
    """How many variables e writes (a variable used twice counts twice)."""
    count, stack = 0, [e]
    while stack:
        node = stack.pop()
        if type(node) is Sym:
            count += 1
        else:
            stack.extend(node.children())
    return count


def _sum_entries(e: Sum) -> Expr:
    """sum(a ∘ b) = 𝟏ᵀ(a ∘ b) = aᵀ b for vectors a and b."""
    inner = e.arg
    if type(inner) is Hadamard and len(inner.factors) == 2 and inner.shape[1] == 1:
        a, b = inner.factors
        return alg.mul(alg.transpose(a), b)
    return e


_RULES = {MatMul: _product, Add: _sum, Sum: _sum_entries}


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

"""Sizes for random data: distinct sizes for distinct dimensions (so every free matrix is
non-square), chosen so that every matrix an expression inverts or takes the determinant of
can be nonsingular.

A product has at most the rank of its thinnest factor: |A X B| with A m×p, X p×q, B q×m is 0
for all data unless m ≤ p and m ≤ q. Data drawn at sizes that break this test only rounding
noise, and differ from one CPU to the next. Pure Python: the numeric stage and the generated
`--format python` modules both size their data here.
"""
from __future__ import annotations

import itertools

from .expr import (
    Add, Const, Det, Expr, Hadamard, Kron, MatMul, Ones, Power, PowerDifferential, Transpose, Zero,
    postorder,
)

SIZE_ORDERS = ((5, 3, 4, 6, 2, 7, 8, 9, 10, 11, 12, 13), (3, 5, 4, 2, 6, 7, 8, 9, 10, 11, 12, 13))
SEARCH_LIMIT = 5040  # size assignments tried before giving up (7! orderings)


def assign_sizes(dim_names, order=SIZE_ORDERS[0], within=()) -> dict | None:
    """Distinct sizes for the dimensions, taken from `order`; for the expressions `within`, the
    first assignment (nearest `order`) under which everything they invert has full rank. None
    when there is none: then every matrix of some inverse is singular at every size."""
    dim_names = list(dim_names)
    first = {d: order[i] if i < len(order) else 14 + i for i, d in enumerate(dim_names)}
    must = invertible_parts(within)
    if not must:
        return first
    involved = {d for m in must for node in postorder(m) for d in flat_dims(node.shape) if d in first}
    for count, sizes in enumerate(_orderings(dim_names, first, involved)):
        if count >= SEARCH_LIMIT:
            break
        if all(rank_bound(m, sizes) >= size_of(m.shape[0], sizes) for m in must):
            return sizes
    return None


def _orderings(dim_names, first, involved):
    """`first`, then the dimensions `involved` in inverses given other sizes of the same list
    (nearest first), the other dimensions keeping the sizes left over, in order."""
    yield first
    values = [first[d] for d in dim_names]
    moving = [d for d in dim_names if d in involved]
    for chosen in itertools.permutations(values, len(moving)):
        sizes = dict(zip(moving, chosen))
        left = iter(v for v in values if v not in chosen)
        for d in dim_names:
            if d not in sizes:
                sizes[d] = next(left)
        yield sizes


def invertible_parts(exprs) -> list[Expr]:
    """The matrices that exprs take the determinant of or invert: each must be nonsingular."""
    found: dict = {}
    for e in exprs:
        for node in postorder(e):
            inner = node.arg if isinstance(node, Det) else \
                node.base if isinstance(node, Power) and node.exponent < 0 else None
            if inner is not None and not inner.is_scalar:
                found.setdefault(inner)
    return list(found)


def flat_dims(shape) -> list:
    """The named dimensions of a shape (a Kronecker or vec dimension is a tuple of names)."""
    return [f for d in shape for f in (d if isinstance(d, tuple) else (d,)) if f != 1]


def size_of(d, sizes: dict) -> int:
    if isinstance(d, tuple):  # a product of dimensions (vec, ⊗)
        n = 1
        for f in d:
            n *= size_of(f, sizes)
        return n
    return 1 if d == 1 else sizes[d]


def rank_bound(e: Expr, sizes: dict) -> int:
    """An upper bound on the rank of e at these sizes, whatever the data: a product has at most
    the rank of its thinnest factor, a sum at most the sum of its terms' ranks. On random data
    the rank is this bound, so a square e whose bound is below its size is singular."""
    bounds: dict = {}
    for node in postorder(e):
        if node in bounds:
            continue
        full = min(size_of(d, sizes) for d in node.shape)
        k = [bounds[child] for child in node.children()]
        if isinstance(node, Zero) or isinstance(node, Const) and node.value == 0:
            b = 0
        elif isinstance(node, Ones):
            b = 1
        elif isinstance(node, MatMul):
            b = min([full] + [kb for f, kb in zip(node.factors, k) if not f.is_scalar])
            if any(f.is_scalar and kb == 0 for f, kb in zip(node.factors, k)):
                b = 0
        elif isinstance(node, Add):
            b = min(full, sum(k))
        elif isinstance(node, Power) and node.exponent < 0:
            b = full  # an inverse, where it exists, has full rank
        elif isinstance(node, (Transpose, Power, PowerDifferential)):
            b = min(full, k[0])
        elif isinstance(node, (Hadamard, Kron)):  # rank(A ∘ B), rank(A ⊗ B) ≤ rank(A) rank(B)
            b = 1
            for kb in k:
                b *= kb
            b = min(full, b)
        else:  # variables, I, diag(v), elementwise functions, scalars
            b = full
        bounds[node] = b
    return bounds[e]

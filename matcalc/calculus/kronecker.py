"""Simplifying constructors for the nodes of Jacobians: diag, the diagonal of a matrix, vec, ⊗.

Like `algebra`, each applies its local rules once, so results are born simple:

  diag(c v) = c diag(v)    diag(𝟏) = I        diag(diag(v)) = v   (the diagonal of diag(v))
  diag(a bᵀ) = a ∘ b       diag(Aᵀ) = diag(A)  vec(v) = vec(vᵀ) = v for a vector v
  a ⊗ bᵀ = a bᵀ            I ⊗ I = I           (c A) ⊗ B = c (A ⊗ B)

and the rules of the commutation matrix K_{mn} (rule `commutation`), applied by `times`:

  K_{1n} = K_{n1} = I      K_{mn}ᵀ = K_{nm}     K_{nm} K_{mn} = I   (so K_{mn}⁻¹ = K_{nm})
  K_{mn} vec(A) = vec(Aᵀ)  (A m×n)
  K_{pm} (A ⊗ B) K_{nq} = B ⊗ A, and so K_{pm} (A ⊗ B) = (B ⊗ A) K_{qn}   (A m×n, B p×q):
  a K is moved to the right, where a Jacobian's K vec(dX) has it

`times` is `algebra.mul` for products holding a 1×1 product such as xᵀa: that factor is a
number and stays one factor, (xᵀa) I, where splicing it into the matrix chain would not be a
product of matrices any more.
"""
from __future__ import annotations

from . import algebra as alg
from .expr import (
    ONE, Add, Commutation, Const, Diag, Diagonal, Expr, Hadamard, Identity, Kron, MatMul, Ones, Transpose, Vec,
    Zero, dim_product,
)


def eye(d) -> Expr:
    return ONE if d == 1 else Identity(d)


def is_number_product(e: Expr) -> bool:
    """A 1×1 product of matrices, such as xᵀ a: a number, though not a scalar node."""
    return isinstance(e, MatMul) and e.is_scalar and any(not f.is_scalar for f in e.factors)


def times(*factors: Expr) -> Expr:
    """The product of the factors, a 1×1 product of matrices among them kept as one number."""
    numbers, others = [], []
    for f in factors:
        for g in (f.factors if isinstance(f, MatMul) and not is_number_product(f) else (f,)):
            (numbers if is_number_product(g) else others).append(g)
    if any(isinstance(g, (Commutation, Kron)) for g in others):
        others = [g for g in others if g.is_scalar] + _commute([g for g in others if not g.is_scalar])
    rest = alg.mul(*others)
    if not numbers or rest.is_scalar:
        return alg.mul(*numbers, rest)
    if alg.is_zero(rest):
        return rest
    c, core = alg.split_coefficient(rest)
    head = [Const(c)] if c != 1 else []
    numbers.sort(key=alg.sort_key)
    return MatMul((*head, *numbers, *(core.factors if isinstance(core, MatMul) else (core,))))


def _split_scalars(e: Expr) -> tuple[list[Expr], Expr]:
    """e = (s₁ s₂ ...) rest, with the scalar factors of a product taken out."""
    if isinstance(e, MatMul) and any(f.is_scalar for f in e.factors) and not e.is_scalar:
        return [f for f in e.factors if f.is_scalar], alg.mul(*(f for f in e.factors if not f.is_scalar))
    return [], e


def transpose(e: Expr) -> Expr:
    """algebra.transpose, also through ⊗ ((A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ), diag(v)ᵀ = diag(v), and sums."""
    if e.is_scalar:
        return e
    if isinstance(e, Kron):
        return kron(transpose(e.left), transpose(e.right))
    if isinstance(e, Diag):
        return e
    if isinstance(e, Commutation):  # K_{mn}ᵀ = K_{nm}
        return commutation(e.n, e.m)
    if isinstance(e, Add):
        return alg.add(*(transpose(t) for t in e.terms))
    if isinstance(e, MatMul):
        return times(*(transpose(f) for f in reversed(e.factors)))
    return alg.transpose(e)


def diag(v: Expr) -> Expr:
    """The diagonal matrix with the vector v (a column, or a row) on its diagonal."""
    if v.is_scalar:
        return v
    if v.shape[0] == 1:
        return diag(alg.transpose(v))
    n = v.shape[0]
    if alg.is_zero(v):
        return Zero((n, n))
    if isinstance(v, Ones):
        return Identity(n)
    scalars, rest = _split_scalars(v)
    if scalars:
        return times(*scalars, diag(rest))
    return Diag(v)


def diagonal(m: Expr) -> Expr:
    """The column of the diagonal entries of a square matrix."""
    if m.is_scalar:
        return m
    n = m.shape[0]
    if isinstance(m, Identity):
        return Ones((n, 1))
    if alg.is_zero(m):
        return Zero((n, 1))
    if isinstance(m, Diag):
        return m.arg
    if isinstance(m, Transpose):
        return diagonal(m.arg)
    if isinstance(m, Add):
        return alg.add(*(diagonal(t) for t in m.terms))
    if isinstance(m, Hadamard):  # diag(A ∘ B) = diag(A) ∘ diag(B)
        return alg.hadamard(*(diagonal(f) for f in m.factors))
    scalars, rest = _split_scalars(m)
    if scalars:
        return times(*scalars, diagonal(rest))
    if isinstance(m, MatMul) and len(m.factors) == 2 and m.factors[0].shape[1] == 1:
        return alg.hadamard(m.factors[0], alg.transpose(m.factors[1]))  # diag(a bᵀ) = a ∘ b
    if isinstance(m, MatMul):  # diag(Mᵀ) = diag(M): diag(Aᵀ Bᵀ) is written diag(B A)
        flipped = alg.transpose(m)
        if isinstance(flipped, MatMul) and _transposes(flipped) < _transposes(m):
            return Diagonal(flipped)
    return Diagonal(m)


def _transposes(m: MatMul) -> int:
    return sum(isinstance(f, Transpose) for f in m.factors)


def vec(m: Expr) -> Expr:
    """The columns of m stacked: a column vector is its own vec, a row its transpose."""
    if m.is_scalar or m.shape[1] == 1:
        return m
    if m.shape[0] == 1:
        return alg.transpose(m)
    if alg.is_zero(m):
        return Zero((dim_product(m.shape[1], m.shape[0]), 1))
    scalars, rest = _split_scalars(m)
    if scalars:
        return times(*scalars, vec(rest))
    return Vec(m)


def kron(a: Expr, b: Expr) -> Expr:
    """a ⊗ b, written as an ordinary product where it is one (numbers, a column and a row)."""
    if a.is_scalar or b.is_scalar:
        return times(a, b)
    if alg.is_zero(a) or alg.is_zero(b):
        return Zero((dim_product(a.shape[0], b.shape[0]), dim_product(a.shape[1], b.shape[1])))
    if a.shape[1] == 1 and b.shape[0] == 1:  # a ⊗ bᵀ = a bᵀ
        return times(a, b)
    if a.shape[0] == 1 and b.shape[1] == 1:  # aᵀ ⊗ b = b aᵀ
        return times(b, a)
    if isinstance(a, Identity) and isinstance(b, Identity):
        return Identity(dim_product(a.n, b.n))
    (sa, ra), (sb, rb) = _split_scalars(a), _split_scalars(b)
    if sa or sb:
        return times(*sa, *sb, kron(ra, rb))
    return Kron(a, b)


# -- the commutation matrix ------------------------------------------------------------------------

def commutation(m, n) -> Expr:
    """K_{mn}, with K_{mn} vec(A) = vec(Aᵀ) for A m×n; K_{1n} = K_{n1} = I (vec(a) = vec(aᵀ))."""
    if m == 1 or n == 1:
        return eye(dim_product(m, n))
    return Commutation(m, n)


def _commute(chain: list[Expr]) -> list[Expr]:
    """A matrix chain with the mixed-product rule (A ⊗ B)(C ⊗ D) = AC ⊗ BD and the rules of K
    applied until none applies: K_{nm} K_{mn} = I,
    K_{mn} vec(A) = vec(Aᵀ), and K_{pm} (A ⊗ B) = (B ⊗ A) K_{qn}, which moves K to the right."""
    rows, chain = chain[0].shape[0], list(chain)
    changed = True
    while changed:
        changed = False
        for i in range(len(chain) - 1):
            k, right = chain[i], chain[i + 1]
            if isinstance(k, Kron) and isinstance(right, Kron) and _chains(k, right):  # (A ⊗ B)(C ⊗ D)
                chain[i:i + 2] = [kron(alg.mul(k.left, right.left), alg.mul(k.right, right.right))]
                changed = True
                break
            if not isinstance(k, Commutation):
                continue
            if isinstance(right, Commutation) and (right.m, right.n) == (k.n, k.m):  # K_{nm} K_{mn} = I
                chain[i:i + 2] = []
            elif isinstance(right, Vec) and right.arg.shape == (k.m, k.n):  # K_{mn} vec(A) = vec(Aᵀ)
                chain[i:i + 2] = [vec(transpose(right.arg))]
            elif isinstance(right, Kron) and (k.n, k.m) == (right.left.shape[0], right.right.shape[0]):
                a, b = right.left, right.right  # K_{pm} (A ⊗ B) = (B ⊗ A) K_{qn}, A m×n and B p×q
                chain[i:i + 2] = [kron(b, a), commutation(b.shape[1], a.shape[1])]
            else:
                continue
            changed = True
            break
    return chain or [eye(rows)]


def _chains(a: Kron, b: Kron) -> bool:
    """(A ⊗ B)(C ⊗ D) = AC ⊗ BD needs A C and B D to be products."""
    return a.left.shape[1] == b.left.shape[0] and a.right.shape[1] == b.right.shape[0]

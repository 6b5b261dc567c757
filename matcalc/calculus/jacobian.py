"""Jacobians and Hessians, read off the differential as the gradient is (seed 3.A).

For f with values in ℝᵖ and x in ℝⁿ, df = J dx, and J[i, j] = ∂fᵢ/∂xⱼ: rows are outputs
(numerator layout). `jacobian` takes the differential from `differentiate` and brings each
term to J dx. For matrices the same reading goes through vec:

  vec(L dX R) = (Rᵀ ⊗ L) vec(dX)     vec(F ∘ dX) = diag(vec F) vec(dX)     vec(s M) = vec(M) s

and a scalar term s is ⟨G, dX⟩ = vec(G)ᵀ vec(dX), G from `gradient_from_differential`. A term
in dXᵀ takes the commutation matrix: vec(dXᵀ) = K_{mn} vec(dX) for X m×n (rule commutation).
The Hessian is the Jacobian of the gradient, ∂vec(∇f)/∂vec(X) for a matrix X: Magnus and
Neudecker's second identification, d²f = vec(dX)ᵀ H vec(dX) with H symmetric, gives the same
H, because vec(d∇f) = H vec(dX) holds for every dX.
"""
from __future__ import annotations

import itertools

from . import algebra as alg
from . import kronecker as kr
from .differentiate import differential, gradient, gradient_from_differential, has_differential
from ..errors import MatcalcError
from .present import present
from .expr import (
    Add, Commutation, Diag, Diagonal, Differential, Expr, Hadamard, IndexForm, Kron, MatMul, PowerDifferential, Sym,
    Transpose,
    Vec, dim_product,
    postorder,
)

NOT_EXPRESSIBLE = "not expressible in matrix notation"
MAX_POWER_TERMS = 64  # d vec(Xᵏ) is written out as a sum of k Kronecker products up to this k


def jacobian(f: Expr, var: Sym) -> Expr:
    """∂ vec(f) / ∂ vec(x)ᵀ: J[i, j] = ∂fᵢ/∂xⱼ. For vectors and scalars vec is the identity."""
    if var.symmetric and not var.is_scalar:
        raise MatcalcError(
            f"the Jacobian with respect to the symmetric matrix {var.name} is {NOT_EXPRESSIBLE} "
            f"(it needs the duplication matrix); differentiate a scalar expression for its gradient")
    df = differential(f, var)
    try:
        return present(collect(expand(read_jacobian(df, var))))
    except NotExpressible:  # entry by entry, in index notation (rule einstein)
        from .einstein import index_jacobian

        return index_jacobian(df, f.shape, var)


def hessian(f: Expr, var: Sym) -> Expr:
    """∇²f = ∂(∇f)/∂x, symmetric: H[i, j] = ∂²f/∂xᵢ∂xⱼ (for a matrix X, over vec(X))."""
    if not f.is_scalar:
        raise MatcalcError("a Hessian needs a scalar expression")
    if var.symmetric and not var.is_scalar:
        raise MatcalcError(f"the Hessian with respect to the symmetric matrix {var.name} is {NOT_EXPRESSIBLE}")
    g = gradient(f, var)
    if isinstance(g, IndexForm):  # a gradient entry by entry (through vec, ⊗): so is its Jacobian
        from .einstein import index_hessian

        return index_hessian(g, var, differential)
    return jacobian(g, var)


def read_jacobian(df: Expr, var: Sym) -> Expr:
    """K with vec(df) = K vec(dX), for df linear in dX."""
    width = dim_product(var.shape[1], var.shape[0])
    if alg.is_zero(df):
        return alg.zero((dim_product(df.shape[1], df.shape[0]), width))
    if df.is_scalar:  # ⟨G, dX⟩ = vec(G)ᵀ vec(dX)
        return kr.transpose(kr.vec(gradient_from_differential(df, var)))
    if isinstance(df, Differential):
        return kr.eye(width)
    if isinstance(df, Add):
        return alg.add(*(read_jacobian(t, var) for t in df.terms))
    if isinstance(df, Transpose):
        if 1 in df.shape:  # vec(vᵀ) = vec(v) for a vector
            return read_jacobian(df.arg, var)
        pushed = _push_transpose(df.arg)
        if isinstance(pushed, Transpose):  # vec(Mᵀ) = K_{rc} vec(M) for M r×c (commutation)
            rows, columns = pushed.arg.shape
            return kr.times(kr.commutation(rows, columns), read_jacobian(pushed.arg, var))
        return read_jacobian(pushed, var)
    if isinstance(df, Hadamard):  # vec(F ∘ dM) = diag(vec F) vec(dM)
        i = _linear(df.factors, var)
        rest = alg.hadamard(*df.factors[:i], *df.factors[i + 1:])
        return kr.times(kr.diag(kr.vec(rest)), read_jacobian(df.factors[i], var))
    if isinstance(df, MatMul):
        return _read_product(df, var)
    if isinstance(df, PowerDifferential):  # vec(Σ_r Xʳ dX Xᵏ⁻¹⁻ʳ) = Σ_r ((Xᵀ)ᵏ⁻¹⁻ʳ ⊗ Xʳ) vec(dX)
        if isinstance(df.exponent, Expr):
            raise MatcalcError("the Jacobian of a matrix power X^k with a symbolic k is a sum of k Kronecker "
                               "products, Σ_r ((X^T)^{k-1-r} ⊗ X^r), which matcalc writes only for a number k")
        k = int(df.exponent)
        if k > MAX_POWER_TERMS:
            raise MatcalcError(f"the Jacobian of a matrix power X^{k} is a sum of {k} Kronecker products; "
                               f"matcalc writes at most {MAX_POWER_TERMS}")
        x = df.base
        terms = (kr.kron(alg.power(alg.transpose(x), k - 1 - r), alg.power(x, r)) for r in range(k))
        return kr.times(alg.add(*terms), read_jacobian(df.dbase, var))
    if isinstance(df, Vec):  # vec(vec(dM)) = vec(dM)
        return read_jacobian(df.arg, var)
    if isinstance(df, Kron):
        return _read_kron(df, var)
    raise _not_expressible(df, var)


def _read_kron(df: Kron, var: Sym) -> Expr:
    """vec(A ⊗ B) = (I_n ⊗ K_{qm} ⊗ I_p)(vec A ⊗ vec B) for A m×n, B p×q (Magnus and
    Neudecker, Theorem 3.10), and vec A ⊗ vec B = (I ⊗ vec B) vec A = (vec A ⊗ I) vec B."""
    a, b = df.left, df.right
    (m, n), (p, q) = a.shape, b.shape
    spread = kr.kron(kr.kron(kr.eye(n), kr.commutation(q, m)), kr.eye(p))
    if has_differential(a, var):
        return kr.times(spread, kr.kron(kr.eye(dim_product(n, m)), kr.vec(b)), read_jacobian(a, var))
    return kr.times(spread, kr.kron(kr.vec(a), kr.eye(dim_product(q, p))), read_jacobian(b, var))


class NotExpressible(MatcalcError):
    """⊗, vec and K cannot write this derivative: `einstein` writes it entry by entry."""


def _not_expressible(df: Expr, var: Sym) -> MatcalcError:
    x = var.name
    if isinstance(df, Transpose):
        why = f"vec(d{x}ᵀ) = K vec(d{x}) needs the commutation matrix K"
    elif isinstance(df, Diag):
        why = "vec(diag(dv)) needs the matrix that spreads a vector over a diagonal"
    elif isinstance(df, Diagonal):
        why = "diag(dM) needs the matrix that picks a diagonal out of vec(dM)"
    else:
        why = "it needs more than ⊗, diag and vec"
    return NotExpressible(f"this derivative is {NOT_EXPRESSIBLE}: {why}")


def expand(e: Expr) -> Expr:
    """Products that hold ⊗ or K multiplied out over sums, so that the mixed-product rule
    (A ⊗ B)(C ⊗ D) = AC ⊗ BD and the rules of K meet: (I ⊗ X)((Xᵀ ⊗ I) K + I ⊗ Xᵀ) =
    (Xᵀ ⊗ X) K + I ⊗ X Xᵀ. Other products (those of vector Jacobians) are left as they are."""
    if isinstance(e, Add):
        terms = [expand(t) for t in e.terms]
        return alg.add(*terms) if any(a is not b for a, b in zip(terms, e.terms)) else e
    if not isinstance(e, MatMul) or not _has_kronecker(e):
        return e
    choices = [expand(f).terms if isinstance(f, Add) and not f.is_scalar else (f,) for f in e.factors]
    if all(len(c) == 1 for c in choices):
        return e
    return alg.add(*(kr.times(*combo) for combo in itertools.product(*choices)))


def _has_kronecker(e: Expr) -> bool:
    return any(isinstance(node, (Kron, Commutation)) for node in postorder(e))


def collect(e: Expr) -> Expr:
    """Terms that end in the same K collected, M K + N K = (M + N) K, then ⊗ factored."""
    groups: dict[tuple, list[Expr]] = {}
    for t in e.terms if isinstance(e, Add) else (e,):
        c, core = alg.split_coefficient(t)
        last = core.factors[-1] if isinstance(core, MatMul) else None
        if isinstance(last, Commutation):
            rest = kr.times(*core.factors[:-1])
            groups.setdefault(("K", last), []).extend(
                alg.scale(c, u) for u in (rest.terms if isinstance(rest, Add) else (rest,)))
        else:
            groups[("plain", t)] = [t]
    plain = [parts[0] for (what, _), parts in groups.items() if what == "plain"]
    commuted = [_times_k(_collect_kronecker(alg.add(*parts)), k) for (what, k), parts in groups.items() if what == "K"]
    return alg.add(_collect_kronecker(alg.add(*plain)) if plain else alg.zero(e.shape), *commuted)


def _times_k(m: Expr, k: Expr) -> Expr:
    """M K, a minus sign that every term of M has taken out: -(A + B) K, not (-A - B) K."""
    terms = m.terms if isinstance(m, Add) else (m,)
    if len(terms) > 1 and all(alg.split_coefficient(t)[0] < 0 for t in terms):
        return alg.neg(kr.times(alg.add(*(alg.neg(t) for t in terms)), k))
    return kr.times(m, k)


def _collect_kronecker(e: Expr) -> Expr:
    """A ⊗ B + A ⊗ C = A ⊗ (B + C), and B ⊗ A + C ⊗ A = (B + C) ⊗ A, term order kept."""
    for side in ("left", "right"):
        if not isinstance(e, Add):
            return e
        groups: dict[tuple, list[Expr]] = {}  # ("kron", shared factor) → the other factors, scaled
        for t in e.terms:
            c, core = alg.split_coefficient(t)
            if isinstance(core, Kron):
                shared, other = (core.left, core.right) if side == "left" else (core.right, core.left)
                groups.setdefault(("kron", shared), []).append(alg.scale(c, other))
            else:
                groups[("plain", t)] = [t]
        if len(groups) == len(e.terms):
            continue
        terms = []
        for (what, shared), parts in groups.items():
            if what == "plain":
                terms.append(shared)
            elif side == "left":
                terms.append(kr.kron(shared, alg.add(*parts)))
            else:
                terms.append(kr.kron(alg.add(*parts), shared))
        e = alg.add(*terms)
    return e


def _push_transpose(e: Expr) -> Expr:
    if isinstance(e, Add):
        return alg.add(*(alg.transpose(t) for t in e.terms))
    return alg.transpose(e)


def _linear(factors, var) -> int:
    hits = [i for i, f in enumerate(factors) if has_differential(f, var)]
    if len(hits) != 1:  # pragma: no cover - the product rule leaves one dX per term
        raise MatcalcError("internal: a term of the differential is not linear")
    return hits[0]


def _read_product(df: MatMul, var: Sym) -> Expr:
    """vec(s L dM R) = s (Rᵀ ⊗ L) vec(dM); vec(s(dX) M) = vec(M) s(dX)."""
    numbers, chain = _numbers_and_chain(df.factors)
    i = _linear(numbers + chain, var)
    if i < len(numbers):  # the differential sits in a number: vec(s M) = vec(M) s
        others = numbers[:i] + numbers[i + 1:]
        return kr.times(kr.vec(kr.times(*others, *chain)), read_jacobian(numbers[i], var))
    i -= len(numbers)
    left, f, right = chain[:i], chain[i], chain[i + 1:]
    lhs = alg.mul(*left) if left else kr.eye(f.shape[0])
    rhs = alg.mul(*right) if right else kr.eye(f.shape[1])
    if isinstance(f, Diag) and rhs.shape[1] == 1:  # L diag(dv) r = L diag(r) dv
        return kr.times(*numbers, lhs, kr.diag(rhs), read_jacobian(f.arg, var))
    if isinstance(f, Diag) and lhs.shape[0] == 1:  # vec(lᵀ diag(dv) R) = Rᵀ diag(l) dv
        return kr.times(*numbers, kr.transpose(rhs), kr.diag(lhs), read_jacobian(f.arg, var))
    return kr.times(*numbers, kr.kron(kr.transpose(rhs), lhs), read_jacobian(f, var))


def _numbers_and_chain(factors) -> tuple[list[Expr], list[Expr]]:
    """The scalar factors, and the matrix chain; a leading run of the chain whose product is
    1×1 and that is followed by more than a row (as in xᵀa b) is one more number."""
    numbers = [f for f in factors if f.is_scalar]
    chain = [f for f in factors if not f.is_scalar]
    start = 0
    rows = None
    for k, f in enumerate(chain):
        if rows is None:
            rows = f.shape[0]
        elif chain[k - 1].shape[1] != f.shape[0]:
            if rows == 1 and chain[k - 1].shape[1] == 1:  # (1×1 so far) times f: a number
                numbers.append(alg.mul(*chain[start:k]))
                start, rows = k, f.shape[0]
            else:
                raise MatcalcError("internal: a product whose factors do not fit together")
    return numbers, chain[start:]

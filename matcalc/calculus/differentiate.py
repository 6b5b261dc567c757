"""Matrix differentials and gradients, the method behind the seed's derivations.

`differential(f, X)` applies one rule per node (product rule, d(Xᵀ) = (dX)ᵀ, d tr F = tr dF,
Jacobi's formula, d(X⁻¹) = -X⁻¹ dX X⁻¹, ...), giving an expression linear in dX.
`gradient_from_differential` then brings each term to ⟨G, dX⟩ = tr(Gᵀ dX) with the trace
rules 1.A and 1.D and reads off G (seed 3.A): the gradient has X's shape.
"""
from __future__ import annotations

import math
from fractions import Fraction

from . import algebra as alg
from . import functions
from . import kronecker as kr
from ..errors import MatcalcError
from .present import occurrences, present, rewrite
from .expr import (
    ONE, Add, Const, Det, Differential, Expr, Func, Hadamard, HadamardPower, Identity, MatMul,
    Norm, Ones, Power, PowerDifferential, Sum, Sym, Trace, Transpose, Zero, postorder,
)
from .expr import DifferentialOf
from .expr import _LEAVES
from .expr import Commutation, Diag, Diagonal, IndexForm, Kron, Vec, VariablePower

EXPAND_POWER_UP_TO = 8  # d(Xᵏ) is written out as a sum of k terms up to this k


# Nodes whose rule below gives zero when the differentials of all their arguments are zero.
_ZERO_WITH_ARGS = {Add, MatMul, Hadamard, Transpose, Trace, Sum, Det, Power, HadamardPower, Func, Norm, Kron, Vec,
                   VariablePower}
_CONSTANT_LEAVES = {Const, Identity, Ones, Zero, Differential, Commutation}


def differential(f: Expr, var: Sym) -> Expr:
    """d f with respect to var, as an expression linear in Differential(var)."""
    dx = Differential(var)
    d = _Differentials({var: dx})  # a leaf other than var: its zero, when asked
    # The nodes whose differential is not zero, by identity: asking d would hash each child (in
    # Python) at every look. A leaf child is var or has the differential zero.
    varying: set[int] = set()
    h, leaves, is_zero = var._hash, _LEAVES, alg.is_zero
    for node in _inner_postorder(f):
        kind = type(node)
        if kind is MatMul:  # the product rule, asking d only of the factors that vary
            parts = [(i, dx if type(c) in leaves else d[c]) for i, c in enumerate(node.factors)
                     if ((c._hash == h and c == var) if type(c) in leaves else id(c) in varying)]
            if not parts:
                continue  # a constant: zero, as a node not in d
            dnode = _product_rule(node, parts)
        elif kind in _ZERO_WITH_ARGS:  # zero unless a child's differential is not
            for c in node.children():
                if (c._hash == h and c == var) if type(c) in leaves else id(c) in varying:
                    break
            else:
                continue
            dnode = _differential_of(node, var, d)
        else:
            dnode = _differential_of(node, var, d)
        d[node] = dnode
        if not is_zero(dnode):
            varying.add(id(node))
    return d[f]


def _product_rule(e: MatMul, parts) -> Expr:
    """d(U₁ ⋯ Uₙ) = Σᵢ U₁ ⋯ dUᵢ ⋯ Uₙ, `parts` the pairs (i, dUᵢ) of the factors that vary."""
    factors = e.factors
    terms = [alg.mul(*factors[:i], df, *factors[i + 1:]) for i, df in parts]
    return alg.add(*terms) if terms else alg.zero(e.shape)


class _Differentials(dict):
    """dU for each node U of an expression that depends on var; a node not held (a variable
    other than var, a number, a subexpression without var) has the zero of its shape, one per
    shape, made when first asked."""

    __slots__ = ("zeros",)

    def __missing__(self, node: Expr) -> Expr:
        try:
            zeros = self.zeros
        except AttributeError:
            zeros = self.zeros = {}
        zero = zeros.get(node.shape)
        if zero is None:
            zero = zeros[node.shape] = alg.zero(node.shape)
        return zero


def _inner_postorder(root: Expr) -> list[Expr]:
    """The nodes of root that have children, each distinct node once, children before parents,
    left to right: the leaves have their differentials at once (dX for X, else zero)."""
    out: list[Expr] = []
    seen: set[int] = set()
    leaves = _LEAVES
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None:  # the node below: its children are done
            out.append(stack.pop())
            continue
        children = node.children()
        if not children or id(node) in seen:
            continue
        seen.add(id(node))
        stack += (node, None)
        stack += [child for child in reversed(children) if type(child) not in leaves]
    return out


# has_differential of composite nodes, for the gradient being read off (cleared for the next:
# a batch of a million lines must not keep old expressions alive).
_DEPENDS: dict[tuple[Expr, Sym], bool] = {}


def has_differential(e: Expr, var: Sym) -> bool:
    while isinstance(e, Transpose):  # the factors of a product are mostly X, Xᵀ, dX, dXᵀ
        e = e.arg
    if isinstance(e, Differential):
        return e.var == var
    if isinstance(e, (Sym, Const, Identity, Ones, Zero)):
        return False
    key = (e, var)
    found = _DEPENDS.get(key)
    if found is None:
        if len(_DEPENDS) >= 1024:
            _DEPENDS.clear()
        found = _DEPENDS[key] = _reaches(e, var)
    return found


def _reaches(e: Expr, var: Sym) -> bool:
    seen, stack = set(), [e]
    while stack:
        node = stack.pop()
        if isinstance(node, (Differential, DifferentialOf)):  # dX, or d(U) in a line of a derivation
            if node.var == var:
                return True
        elif id(node) not in seen:
            seen.add(id(node))
            stack.extend(node.children())
    return False


def _differential_of(e: Expr, var: Sym, d) -> Expr:
    kind = type(e)  # the common nodes first, by type (no node class derives from another but Integer)
    if kind is MatMul:  # product rule
        get, is_zero = d.get, alg.is_zero  # (None: a factor without var, whose zero is not kept)
        return _product_rule(e, [(i, get(f)) for i, f in enumerate(e.factors)
                                 if get(f) is not None and not is_zero(get(f))])
    if kind is Trace:  # d tr F = tr dF
        return alg.trace(d[e.arg])
    if kind is Transpose:  # d(Xᵀ) = (dX)ᵀ
        return alg.transpose(d[e.arg])
    if kind is Add:  # linearity
        return alg.add(*[d[t] for t in e.terms])
    zero = alg.zero(e.shape)
    if isinstance(e, Sym):
        return Differential(var) if e == var else zero
    if isinstance(e, (Const, Identity, Ones, Zero, Differential, Commutation)):
        return zero
    if isinstance(e, Add):  # linearity
        return alg.add(*(d[t] for t in e.terms))
    if isinstance(e, MatMul):  # product rule
        terms = []
        for i, f in enumerate(e.factors):
            if not alg.is_zero(d[f]):
                terms.append(alg.mul(*e.factors[:i], d[f], *e.factors[i + 1:]))
        return alg.add(*terms) if terms else zero
    if isinstance(e, Hadamard):  # product rule, elementwise
        terms = []
        for i, f in enumerate(e.factors):
            if not alg.is_zero(d[f]):
                terms.append(alg.hadamard(*e.factors[:i], d[f], *e.factors[i + 1:]))
        return alg.add(*terms) if terms else zero
    if isinstance(e, Transpose):  # d(Xᵀ) = (dX)ᵀ
        return alg.transpose(d[e.arg])
    if isinstance(e, Trace):  # d tr F = tr dF
        return alg.trace(d[e.arg])
    if isinstance(e, Sum):
        return alg.sum_entries(d[e.arg])
    if isinstance(e, Kron):  # d(A ⊗ B) = dA ⊗ B + A ⊗ dB
        return alg.add(*(t for t in (kr.kron(d[e.left], e.right), kr.kron(e.left, d[e.right])) if not alg.is_zero(t)))
    if isinstance(e, Vec):  # d vec(M) = vec(dM)
        return kr.vec(d[e.arg])
    if isinstance(e, VariablePower):
        return _variable_power_differential(e, d[e.base], d[e.exponent])
    if isinstance(e, IndexForm):  # not zero because its first child is: a rule of its own, or none
        raise MatcalcError("matcalc cannot yet differentiate a derivative written entry by entry (in index notation)")
    db = d[e.children()[0]] if e.children() else None
    if db is not None and alg.is_zero(db):
        return zero
    if isinstance(e, Det):  # Jacobi: d|X| = |X| tr(X⁻¹ dX)
        return alg.mul(e, alg.trace(alg.mul(alg.inverse(e.arg), db)))
    if isinstance(e, Power):
        return _power_differential(e, db)
    if isinstance(e, HadamardPower):  # d(X^{∘p}) = p X^{∘(p-1)} ∘ dX
        return alg.hadamard(alg.mul(alg.const(e.exponent), alg.hadamard_power(e.base, e.exponent - 1)), db)
    if isinstance(e, Func):  # d f(X) = f'(X) ∘ dX, or the table's rule (softmax, logsumexp)
        f = functions.lookup(e.name)
        if e.name == "log" and isinstance(e.arg, Func) and e.arg.name == "abs":  # d log|u| = du ⊘ u
            u = e.arg.arg
            return alg.hadamard(alg.hadamard_power(u, -1), d[u]) if not alg.is_zero(d[u]) else zero
        if not f.elementwise:
            return f.rule(alg, e, e.arg, db)
        return alg.hadamard(derivative_of_function(e.name, e.arg), db)
    if isinstance(e, Diag):  # d diag(v) = diag(dv)
        return kr.diag(db)
    if isinstance(e, Diagonal):  # d diag(M) = diag(dM)
        return kr.diagonal(db)
    if isinstance(e, Norm):  # d‖U‖ = tr(Uᵀ dU) / ‖U‖
        return alg.mul(alg.power(e, -1), alg.trace(alg.mul(alg.transpose(e.arg), db)))
    raise MatcalcError(f"cannot differentiate {type(e).__name__}")  # pragma: no cover


def _power_differential(e: Power, db: Expr) -> Expr:
    base, p = e.base, e.exponent
    if base.is_scalar:  # d(sᵖ) = p sᵖ⁻¹ ds
        return alg.mul(alg.const(p), alg.power(base, p - 1), db)
    if p == -1:  # d(X⁻¹) = -X⁻¹ dX X⁻¹
        inv = alg.inverse(base)
        return alg.neg(alg.mul(inv, db, inv))
    if p < 0:  # X⁻ᵏ = (X⁻¹)ᵏ
        inv = alg.inverse(base)
        return _power_differential(Power(inv, -p), alg.neg(alg.mul(inv, db, inv)))
    k = int(p)
    if k > EXPAND_POWER_UP_TO:
        return alg.power_differential(base, k, db)
    # d(Xᵏ) = Σ_{r=0}^{k-1} Xʳ dX Xᵏ⁻¹⁻ʳ
    return alg.add(*(alg.mul(alg.power(base, r), db, alg.power(base, k - 1 - r)) for r in range(k)))


def _variable_power_differential(e: VariablePower, db: Expr, dp: Expr) -> Expr:
    """d(aᵇ) = b aᵇ⁻¹ da + aᵇ log(a) db (a > 0); d(Xᵏ) = Σ_{r=0}^{k-1} Xʳ dX Xᵏ⁻¹⁻ʳ for a
    symbolic integer k, which is a constant (dk = 0)."""
    base, p = e.base, e.exponent
    if not base.is_scalar:
        return alg.power_differential(base, p, db)
    terms = []
    if not alg.is_zero(db):
        terms.append(alg.mul(p, alg.variable_power(base, alg.sub(p, ONE)), db))
    if not alg.is_zero(dp):
        terms.append(alg.mul(e, alg.func("log", base), dp))
    return alg.add(*terms)


def derivative_of_function(name: str, x: Expr) -> Expr:
    """f'(x), elementwise for vectors and matrices: the rule in the table of functions."""
    return functions.lookup(name).rule(alg, x)


# -- reading the gradient off ⟨G, dX⟩ -----------------------------------------------------------

def gradient_from_differential(df: Expr, var: Sym) -> Expr:
    """G with df = tr(Gᵀ dX) for every dX (seed 3.A), by pushing a seed down to dX."""
    _DEPENDS.clear()
    return _pull(df, ONE, var, {})


def _pull(e: Expr, seed: Expr, var: Sym, pulled: dict) -> Expr:
    """G such that ⟨seed, e⟩ = ⟨G, dX⟩, for e linear in dX and seed of e's shape.

    `pulled` remembers the answer for each (e, seed). The differential shares the dU of a
    subexpression U between the terms of the product rule (d(U²) = dU U + U dU), and the
    terms often bring the same seed down to it: done once, nested squares such as
    tr((tr((tr(X) X)²) X)²) take polynomial time, not time doubling with each level."""
    if type(e) is Differential:  # ⟨S, dX⟩ = ⟨S, dX⟩: nothing to remember
        return seed
    # by the kept hashes: a tuple of the nodes would hash each (Python code) at every look;
    # two pairs of one hash are told apart by ==, the later one kept
    key = (e._hash, seed._hash)
    entry = pulled.get(key)
    if entry is not None and (entry[0] is e or entry[0] == e) and (entry[1] is seed or entry[1] == seed):
        return entry[2]
    found = _pull_once(e, seed, var, pulled)
    pulled[key] = (e, seed, found)
    return found


def _pull_once(e: Expr, seed: Expr, var: Sym, pulled: dict) -> Expr:
    kind = type(e)  # the common nodes first, by type (no node class derives from another but Integer)
    if kind is MatMul:
        return _pull_product(e, seed, var, pulled)
    if kind is Differential:
        return seed
    if kind is Add:  # 1.B
        return alg.add(*[_pull(t, seed, var, pulled) for t in e.terms])
    if kind is Transpose:  # 1.A: ⟨S, Mᵀ⟩ = ⟨Sᵀ, M⟩
        return _pull(e.arg, alg.transpose(seed), var, pulled)
    if kind is Trace:  # ⟨s, tr M⟩ = ⟨s I, M⟩
        return _pull(e.arg, alg.times_identity(seed, e.arg.shape[0]), var, pulled)
    if isinstance(e, Differential):
        return seed
    if alg.is_zero(e):
        return alg.zero(var.shape)
    if isinstance(e, Add):  # 1.B
        return alg.add(*(_pull(t, seed, var, pulled) for t in e.terms))
    if isinstance(e, Transpose):  # 1.A: ⟨S, Mᵀ⟩ = ⟨Sᵀ, M⟩
        return _pull(e.arg, alg.transpose(seed), var, pulled)
    if isinstance(e, Trace):  # ⟨s, tr M⟩ = ⟨s I, M⟩
        return _pull(e.arg, alg.mul(seed, Identity(e.arg.shape[0])), var, pulled)
    if isinstance(e, Sum):  # ⟨s, sum M⟩ = ⟨s 1 1ᵀ, M⟩
        return _pull(e.arg, alg.mul(seed, Ones(e.arg.shape)), var, pulled)
    if isinstance(e, Hadamard):  # ⟨S, F ∘ M⟩ = ⟨S ∘ F, M⟩
        i = _linear_factor(e.factors, var)
        return _pull(e.factors[i], alg.hadamard(seed, *e.factors[:i], *e.factors[i + 1:]), var, pulled)
    if isinstance(e, MatMul):
        return _pull_product(e, seed, var, pulled)
    if isinstance(e, PowerDifferential):
        return _pull_power(e, seed, var, pulled)
    if isinstance(e, Diag):  # ⟨S, diag(m)⟩ = ⟨diag(S), m⟩
        return _pull(e.arg, kr.diagonal(seed), var, pulled)
    if isinstance(e, Diagonal):  # ⟨s, diag(M)⟩ = ⟨diag(s), M⟩
        return _pull(e.arg, kr.diag(seed), var, pulled)
    if isinstance(e, Vec):  # ⟨s, vec(M)⟩ = ⟨S, M⟩ with vec(S) = s
        return _pull(e.arg, _unvec(seed, e.arg.shape, var), var, pulled)
    if isinstance(e, Kron):
        return _pull_kron(e, seed, var, pulled)
    raise MatcalcError(f"internal: {type(e).__name__} is not linear in d{var.name}")  # pragma: no cover


def _pull_product(e: MatMul, seed: Expr, var: Sym, pulled: dict) -> Expr:
    i = _linear_factor(e.factors, var)
    f = e.factors[i]
    rest = e.factors[:i] + e.factors[i + 1:]
    if f.is_scalar:  # ⟨S, u M⟩ = u tr(Sᵀ M)
        if seed is ONE and len(rest) == 1 and type(rest[0]) is Const and type(rest[0].value) is Fraction:
            # ⟨1, c u⟩ = ⟨c, u⟩: tr(1ᵀ c) is c (as mul and trace give it, or an equal 0 or 1)
            return _pull(f, rest[0], var, pulled)
        return _pull(f, alg.trace(alg.mul(alg.transpose(seed), *rest)), var, pulled)
    scalars = [g for g in rest if g.is_scalar]
    left = [g for g in e.factors[:i] if not g.is_scalar]
    right = [g for g in e.factors[i + 1:] if not g.is_scalar]
    if type(f) is Transpose and _plain(left) and _plain(right):
        # ⟨S, L Mᵀ R⟩ = ⟨R Sᵀ L, M⟩ at once, not Lᵀ S Rᵀ built and then transposed factor by
        # factor: the same product when no factor is more than a variable, its transpose or I
        new_seed = alg.plain_product((*scalars, *right, alg.transpose(seed), *left))
        if new_seed is not None:
            return _pull(f.arg, new_seed, var, pulled)
    # 1.D: ⟨S, L M R⟩ = tr(Sᵀ L M R) = tr(R Sᵀ L M) = ⟨Lᵀ S Rᵀ, M⟩
    new_seed = alg.mul(*scalars, *[alg.transpose(g) for g in reversed(left)], seed,
                       *[alg.transpose(g) for g in reversed(right)])
    return _pull(f, new_seed, var, pulled)


def _plain(factors) -> bool:
    """Whether each factor is a variable, its transpose or I: transposed twice, the same."""
    for g in factors:
        kind = type(g)
        if kind is Transpose:
            g = g.arg
            kind = type(g)
        if kind is not Sym and kind is not Identity:
            return False
    return True


class NotInMatrixForm(MatcalcError):
    """The gradient needs more than matrices (unvec, the blocks of A ⊗ B): `gradient` writes it
    entry by entry instead (rule einstein)."""


def _not_in_matrix_form(var: Sym, why: str) -> MatcalcError:
    return NotInMatrixForm(f"the gradient with respect to {var.name} is not expressible in matrix notation here: {why}")


def _unvec(s: Expr, shape, var: Sym) -> Expr:
    """S of the given shape with vec(S) = s, where matcalc can write it: s = vec(S) itself, a sum
    or multiple of such, 𝟏, or (B ⊗ C) vec(M) = vec(C M Bᵀ) (rule vec)."""
    if 1 in shape:  # vec(v) = v, vec(vᵀ) = v
        return s if shape[1] == 1 else alg.transpose(s)
    if alg.is_zero(s):
        return alg.zero(shape)
    if isinstance(s, Vec) and s.arg.shape == shape:
        return s.arg
    if isinstance(s, Ones):
        return Ones(shape)
    if isinstance(s, Add):
        return alg.add(*(_unvec(t, shape, var) for t in s.terms))
    if isinstance(s, MatMul):
        scalars, rest = _scalar_runs(s.factors)
        rest = [_as_kron(f) for f in rest]
        if scalars:
            return alg.mul(*scalars, _unvec(alg.mul(*rest), shape, var))
        if len(rest) == 2 and isinstance(rest[0], Kron) and isinstance(rest[1], Vec):
            (b, c), m = (rest[0].left, rest[0].right), rest[1].arg
            if c.shape[1] == m.shape[0] and m.shape[1] == b.shape[1] and (c.shape[0], b.shape[0]) == shape:
                return alg.mul(c, m, alg.transpose(b))  # (B ⊗ C) vec(M) = vec(C M Bᵀ)
    raise _not_in_matrix_form(var, "it needs the matrix whose vec is a vector of the derivative (unvec)")


def _scalar_runs(factors) -> tuple[list, list]:
    """The 1×1 runs of a product (xᵀ x in (A ⊗ B) vec(C) xᵀ x) as scalars, and the other factors."""
    scalars, rest, i = [], [], 0
    while i < len(factors):
        f = factors[i]
        if f.is_scalar:
            scalars.append(f)
        elif f.shape[0] == 1:
            j = next((j for j in range(i + 1, len(factors)) if factors[j].shape[1] == 1), None)
            if j is not None:
                scalars.append(alg.mul(*factors[i:j + 1]))
                i = j + 1
                continue
            rest.append(f)
        else:
            rest.append(f)
        i += 1
    return scalars, rest


def _as_kron(e: Expr) -> Expr:
    """(A ⊗ B)ᵀ as Aᵀ ⊗ Bᵀ: the seeds of the rules above meet ⊗ transposed; and, for A and B
    square, (A ⊗ B)ᵏ as Aᵏ ⊗ Bᵏ (the mixed product; k = -1 where A ⊗ B is invertible, which
    it is only when A and B are), as the seed of a determinant brings: d|A ⊗ B| = |A ⊗ B|
    tr((A ⊗ B)⁻¹ d(A ⊗ B))."""
    if isinstance(e, Power) and isinstance(e.exponent, Fraction) and e.exponent.denominator == 1:
        base = _as_kron(e.base)
        if isinstance(base, Kron) and all(f.shape[0] == f.shape[1] for f in (base.left, base.right)):
            return kr.kron(alg.power(base.left, e.exponent), alg.power(base.right, e.exponent))
    return kr.transpose(e.arg) if isinstance(e, Transpose) and isinstance(e.arg, Kron) else e


def _pull_kron(e: Kron, seed: Expr, var: Sym, pulled: dict) -> Expr:
    """⟨S, A ⊗ dB⟩ (or ⟨S, dA ⊗ B⟩) where matcalc can write it: ⟨P ⊗ Q, A ⊗ B⟩ = ⟨P, A⟩ ⟨Q, B⟩,
    and for S = I (a trace) tr(A ⊗ B) = tr(A) tr(B)."""
    inner = 1 if has_differential(e.right, var) else 0
    linear, other = (e.right, e.left) if inner else (e.left, e.right)
    terms = seed.terms if isinstance(seed, Add) else (seed,)
    out = []
    for term in terms:
        c, core = alg.split_coefficient(term)
        scalars, rest = _scalar_runs(core.factors) if isinstance(core, MatMul) else ([], [core])
        if len(rest) == 1:  # |A ⊗ B| (A ⊗ B)⁻ᵀ: the numbers are part of the coefficient
            c, core = alg.mul(alg.const(c), *scalars), rest[0]
        else:
            c = alg.const(c)
        core = _as_kron(core)
        if isinstance(core, Identity) and other.shape[0] == other.shape[1] and linear.shape[0] == linear.shape[1]:
            pair = (Identity(other.shape[0]), Identity(linear.shape[0]))
        elif isinstance(core, Kron) and core.left.shape == e.left.shape:
            pair = (core.left, core.right) if inner else (core.right, core.left)  # (with other, with linear)
        elif _outer(core):  # S = s vec(X) vec(Y)ᵀ: vec(X)ᵀ (A ⊗ B) vec(Y) = tr(Xᵀ B Y Aᵀ) (rule vec)
            scalars, (u, v) = _outer(core)
            (m, n), (p, q) = e.left.shape, e.right.shape
            x, y = _unvec(u, (p, m), var), _unvec(alg.transpose(v), (q, n), var)
            seed_of_linear = alg.mul(alg.transpose(x), e.right, y) if not inner else alg.mul(x, e.left, alg.transpose(y))
            out.append(_pull(linear, alg.mul(c, *scalars, seed_of_linear), var, pulled))
            continue
        else:
            raise _not_in_matrix_form(var, "it needs the blocks of a Kronecker product")
        weight = alg.trace(alg.mul(alg.transpose(pair[0]), other))  # ⟨P, A⟩ = tr(Pᵀ A)
        out.append(_pull(linear, alg.mul(c, weight, pair[1]), var, pulled))
    return alg.add(*out)


def _outer(e: Expr):
    """(scalars, (u, vᵀ)) if e is a product of scalars and a column times a row, else None."""
    if not isinstance(e, MatMul):
        return None
    scalars, rest = _scalar_runs(e.factors)
    if len(rest) == 2 and rest[0].shape[1] == 1 and rest[1].shape[0] == 1:
        return scalars, tuple(rest)
    return None


def _linear_factor(factors, var) -> int:
    """The index of the one factor that holds dX. The factors of a product are mostly X, Xᵀ,
    dX, dXᵀ, numbers: told by their type, has_differential asked of the others only."""
    found = -1
    for i, f in enumerate(factors):
        kind = type(f)
        if kind is Transpose:
            f = f.arg
            kind = type(f)
        if kind in _LEAVES:
            continue
        if kind is Differential and (f.var is var or f.var == var) or kind is not Differential and has_differential(f, var):
            if found >= 0:  # pragma: no cover - the product rule leaves one dX per term
                raise MatcalcError("internal: a term of the differential is not linear")
            found = i
    if found < 0:  # pragma: no cover
        raise MatcalcError("internal: a term of the differential is not linear")
    return found


def _pull_power(e: PowerDifferential, seed: Expr, var: Sym, pulled: dict) -> Expr:
    """⟨S, Σ_r Xʳ dX Xᵏ⁻¹⁻ʳ⟩ = Σ_r ⟨(Xʳ)ᵀ S (Xᵏ⁻¹⁻ʳ)ᵀ, dX⟩ = k (Xᵀ)ᵏ⁻¹ S when S commutes with Xᵀ."""
    scalars = [f for f in (seed.factors if isinstance(seed, MatMul) else (seed,)) if f.is_scalar]
    core = alg.mul(*(f for f in (seed.factors if isinstance(seed, MatMul) else (seed,)) if not f.is_scalar))
    if isinstance(e.exponent, Expr):  # a symbolic integer k
        k = e.exponent
        if isinstance(core, Identity):
            power = alg.variable_power(alg.transpose(e.base), alg.sub(k, ONE))
            return _pull(e.dbase, alg.mul(k, *scalars, power), var, pulled)
        raise MatcalcError(
            "the gradient of a power X^k with a symbolic k is here a sum of k different terms, "
            "Σ_{r=0}^{k-1} (X^r)^T G (X^{k-1-r})^T with G the gradient with respect to X^k, and has no "
            "closed form; matcalc gives it inside a trace such as tr(X^k), or written out for a number k such as X^3")
    k = int(e.exponent)
    if isinstance(core, Identity):
        return _pull(e.dbase, alg.mul(alg.const(k), *scalars, alg.power(alg.transpose(e.base), k - 1)), var, pulled)
    raise MatcalcError(
        f"the gradient of X^{k} here is a sum of {k} different terms; matcalc writes such sums out "
        f"only up to k = {EXPAND_POWER_UP_TO}, or in closed form inside a trace such as tr(X^{k})")


def gradient(f: Expr, var: Sym, transposed: bool = False) -> Expr:
    """∇_X f for a scalar f; ∇_{Xᵀ} f = (∇_X f)ᵀ (seed 3.C). For a symmetric X, the gradient
    in the space of symmetric matrices, (G + Gᵀ)/2."""
    df = differential(f, var)
    try:
        g = gradient_from_differential(df, var)
    except NotInMatrixForm:  # through vec or ⊗: entry by entry, G_kl = ∂f/∂X_kl (rule einstein)
        from .einstein import index_gradient  # (loaded when needed: few inputs need it)

        return index_gradient(df, var, transposed)
    if var.symmetric:
        g = _half(alg.add(g, alg.transpose(g)))
    return present(shortest(rewrite(alg.transpose(g) if transposed else g)))


def shortest(e: Expr) -> Expr:
    """What `simplify` makes of e (its canonical form, multiplied out or not) where that writes
    fewer variables; e as it is otherwise, so that a result keeps the order of its terms."""
    if _nothing_to_cancel(e):
        return e
    from .canonical import simplest  # (not at every call: an import statement costs its look-up)

    try:
        other = simplest(e)
    except ValueError:  # a product canonical cannot split into chains: nothing shorter known
        return e
    return other if occurrences(other) < occurrences(e) else e


# The nodes of a term in which canonical.simplest can write fewer variables only by meeting one
# of them twice: powers of one base that merge (X X⁻¹, a a), a trace rotated until they meet
# (tr(X⁻¹ A X)). Without a sum inside, such a term stays one term, with the same variables.
# What drops variables without a repeat is a zero factor or a zeroth power; functions, ∘, ⊗
# and symbolic exponents have rules of their own: none of these is here.
_TERM_NODES = frozenset({MatMul, Transpose, Sym, Const, Identity, Power, Trace, Det})


def _nothing_to_cancel(e: Expr) -> bool:
    """Whether simplest(e) surely writes no fewer variables than e, so that `shortest` need not
    build it (it is the costliest pass of most gradients): each term of e holds each variable
    once, no sum, no zero, only _TERM_NODES; and no two terms can be like terms: they hold other
    variables, or they are matrices with other chains of plain factors (A Bᵀ C and Cᵀ B Aᵀ)."""
    # the variables of a term → that term; once a second term holds the same ones, the plain
    # chains of all that hold them (most terms have variables of their own: no chain is made)
    held: dict[frozenset, Expr | list] = {}
    for term in e.terms if type(e) is Add else (e,):
        variables = _each_variable_once(term)
        if variables is None:
            return False
        others = held.get(variables)
        if others is None:
            held[variables] = term
            continue
        if type(others) is not list:
            others = held[variables] = [_plain_chain(others)]
        chain = _plain_chain(term)
        if chain is None or any(other is None or chain == other for other in others):
            return False
        others.append(chain)
    return True


def _each_variable_once(term: Expr) -> frozenset | None:
    """The names of the variables of a term made of _TERM_NODES only, with no zero and no
    variable twice; None for any other term. (By name: two variables with one name would count
    as one and make the term refused, which only costs the canonical form.)"""
    names: list[str] = []
    stack = [term]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is MatMul:
            for f in node.factors:  # most factors: a variable or its transpose, taken at once
                kind = type(f)
                if kind is Sym:
                    names.append(f.name)
                elif kind is Transpose and type(f.arg) is Sym:
                    names.append(f.arg.name)
                else:
                    stack.append(f)
        elif kind is Sym:
            names.append(node.name)
        elif kind is Transpose or kind is Trace or kind is Det:
            stack.append(node.arg)
        elif kind is Const:
            if node.value == 0:
                return None
        elif kind is Power:
            if node.exponent == 0:
                return None
            stack.append(node.base)
        elif kind is not Identity:  # a sum, a function, ∘, ⊗, a symbolic exponent, an Integer
            return None
    variables = frozenset(names)
    return variables if len(variables) == len(names) else None


def _plain_chain(term: Expr) -> tuple | None:
    """The matrix factors of a term, when canonical keeps them as they are (its like terms have
    the same ones): each a variable, its transpose or a power of these, the term not a scalar
    and no run of them from the left a 1×1 product (which canonical would rotate); else None."""
    if term.is_scalar:
        return None
    chain = tuple([f for f in (term.factors if type(term) is MatMul else (term,)) if not f.is_scalar])
    for f in chain:
        kind = type(f)
        if kind is Power:
            if f.exponent == 1:  # A¹, which canonical writes A
                return None
            f = f.base
            kind = type(f)
        if kind is Transpose:
            f = f.arg
            if type(f) is not Sym or f.symmetric:  # Sᵀ, which canonical writes S
                return None
        elif kind is not Sym:
            return None
    if chain[0].shape[0] == 1 and any(f.shape[1] == 1 for f in chain[:-1]):
        return None
    return chain


def _half(s: Expr) -> Expr:
    """s / 2, a common factor of the terms taken out first: (2A - 2B)/2 = A - B, (Aᵀ + A)/2 stays."""
    terms = s.terms if isinstance(s, Add) else (s,)
    coefficients = [alg.split_coefficient(t)[0] for t in terms]
    common = Fraction(math.gcd(*(c.numerator for c in coefficients)), math.lcm(*(c.denominator for c in coefficients)))
    if common == 0:
        return s
    common = -common if coefficients[0] < 0 else common  # -(A + B)/2, not (-A - B)/2
    inner = alg.add(*(alg.scale(c / common, alg.split_coefficient(t)[1]) for c, t in zip(coefficients, terms)))
    return alg.mul(alg.const(common / 2), inner)

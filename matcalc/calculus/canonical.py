"""Canonical forms: one representative per class of equal expressions the trace rules can see.

Two expressions with the same canonical form are equal (every rule below is an identity), so
`verify` compares canonical forms before it resorts to numbers, and `simplify` prints them.
The form is rebuilt from the input *as written*, by the rules of this module alone, so a slip
in `algebra` cannot make a false identity look true:

  transposes pushed to the leaves: (AB)ᵀ = BᵀAᵀ, (A⁻¹)ᵀ = (Aᵀ)⁻¹
  1.A  tr(Aᵀ) = tr(A)          1.B  tr(A + B) = tr(A) + tr(B)
  1.C  tr(aA) = a tr(A)        1.D  tr(AB) = tr(BA): a trace is rotated to its least rotation
  a 1×1 product is its own trace (xᵀAy = tr(xᵀAy) = yᵀAᵀx), so it is rotated the same way
  products distributed over sums (for `verify`), like terms collected, terms sorted.
  ⊗: (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ, (A ⊗ B)(C ⊗ D) = AC ⊗ BD; and the commutation matrix (rule
  commutation): K_{1n} = K_{n1} = I, K_{mn}ᵀ = K_{nm}, K_{nm} K_{mn} = I, K_{mn} vec(A) = vec(Aᵀ),
  K_{pm}(A ⊗ B) = (B ⊗ A) K_{qn} (so K_{pm}(A ⊗ B)K_{nq} = B ⊗ A): K moved to the right.
"""
from __future__ import annotations

import itertools
from fractions import Fraction

from . import algebra, functions
from .algebra import sort_key
from .expr import (
    ONE, SCALAR, ZERO, Add, Const, Det, Differential, Expr, Func, Hadamard, HadamardPower,
    Identity, MatMul, Norm, Ones, Power, PowerDifferential, Sum, Sym, Trace, Transpose, Zero,
    postorder, size,
)
from .expr import Commutation, Kron, Vec, VariablePower, dim_product

MAX_TERMS = 512  # distributing a product over sums stops beyond this many terms

# The rules `_Canon` can be asked to apply (rule ids of `rules.py`), in the order in which a
# chain of equalities (`chains.py`) turns them on. "collect" is like terms collected, "sort"
# the terms sorted; the routine rest (transposes to the leaves, products flattened, powers
# merged) is always on.
RULE_ORDER = ("distributive", "1.B", "1.A", "1.C", "1.D", "scalar-trace", "det", "commutation")
ALL = frozenset(RULE_ORDER) | {"collect", "sort"}


def canonical(e: Expr, expand: bool = True) -> Expr:
    """The canonical form of e; with `expand`, products are multiplied out over sums."""
    return _Canon(ALL if expand else ALL - {"distributive"}).of(e)


def rewrite(e: Expr, rules: frozenset) -> Expr:
    """e with only the routine simplifications and `rules` applied: an equal expression."""
    return _Canon(rules).of(e)


def simplest(e: Expr) -> Expr:
    """The canonical form, multiplied out only when that makes it smaller: A(B + C) - AB → A C."""
    canon = _Canon(ALL - {"distributive"})
    kept = canon.of(e)
    if not canon.could_expand:  # multiplying out would take every step the same way: kept again
        return kept
    expanded = canonical(e, expand=True)
    return expanded if size(expanded) < size(kept) else kept


def _zero(shape) -> Expr:
    return ZERO if shape == SCALAR else Zero(shape)


_is_zero = algebra.is_zero


def _is_unit(e: Expr) -> bool:
    """A 1×1 matrix product such as xᵀAy: a scalar that is kept together as one factor."""
    return isinstance(e, MatMul) and e.is_scalar and any(not f.is_scalar for f in e.factors)


_base_exponent = algebra._base_exponent
_split = algebra.split_coefficient  # e = c · rest


class _Canon:
    def __init__(self, rules: frozenset):
        self.rules = rules
        self.expand = "distributive" in rules
        # Whether a step met a sum where `expand` decides (a product or ∘ of a sum, a transposed
        # sum): if none did, the form with `expand` on is this one, step for step (`simplest`).
        self.could_expand = False

    def of(self, e: Expr) -> Expr:
        done: dict[Expr, Expr] = {}
        for node in postorder(e):  # iterative: deep inputs are fine
            if node not in done:
                done[node] = self.node(node, [done[c] for c in node.children()])
        return done[e]

    def node(self, e: Expr, k: list[Expr]) -> Expr:
        if isinstance(e, Add):
            return self.sum(k)
        if isinstance(e, MatMul):
            return self.product(k)
        if isinstance(e, Transpose):
            return self.transpose(k[0])
        if isinstance(e, Power):
            return self.power(k[0], e.exponent)
        if isinstance(e, Trace):
            return self.trace(k[0])
        if isinstance(e, Det):
            return self.det(k[0])
        if isinstance(e, Hadamard):
            return self.hadamard(k)
        if isinstance(e, HadamardPower):
            return self.hadamard_power(k[0], e.exponent)
        if isinstance(e, Func):
            return algebra.func(e.name, k[0])
        if isinstance(e, Sum):
            return self.sum_entries(k[0])
        if isinstance(e, Norm):
            return Norm(k[0], e.kind)
        if isinstance(e, PowerDifferential):
            return PowerDifferential(k[0], e.exponent, k[1])
        if isinstance(e, VariablePower):
            return algebra.variable_power(k[0], _exponent_form(k[1]))
        if isinstance(e, Kron):
            return self.kron(k[0], k[1])
        if isinstance(e, Vec):
            return self.vec(k[0])
        if isinstance(e, Commutation):
            return self.commutation(e.m, e.n)
        return e  # Sym, Const, Identity, Ones, Zero, Differential

    # -- sums -------------------------------------------------------------------------------

    def sum(self, terms: list[Expr]) -> Expr:
        """Like terms collected; terms sorted, positive ones first (so x - μ, not -μ + x)."""
        shape = terms[0].shape
        if "collect" not in self.rules:  # only nested sums opened and zeros dropped
            flat = [u for t in terms for u in (t.terms if isinstance(t, Add) else (t,)) if not _is_zero(u)]
            return _zero(shape) if not flat else flat[0] if len(flat) == 1 else Add(tuple(flat))
        collected = algebra.collect_terms(terms)
        out = [(c, rest) for rest, c in collected.items() if c != 0]  # in order of first appearance
        if "sort" in self.rules:
            out.sort(key=lambda cr: (cr[0] < 0, sort_key(cr[1])))
        if not out:
            return _zero(shape)
        built = [rest if c == 1 else self.product([Const(c), rest]) for c, rest in out]
        return built[0] if len(built) == 1 else Add(tuple(built))

    # -- products ---------------------------------------------------------------------------

    def product(self, factors: list[Expr]) -> Expr:
        flat = self._flatten(factors)
        shape = chain_shape(flat)
        if any(_is_zero(f) for f in flat):
            return _zero(shape)
        combos = self._distributed(flat)
        if combos is not None:
            return self.sum([self.product(list(c)) for c in combos])
        coefficient = Fraction(1)
        powers: dict[Expr, Fraction] = {}
        matrices: list[Expr] = []
        for f in flat:
            if isinstance(f, Const):
                coefficient *= f.value
            elif f.is_scalar:
                base, p = _base_exponent(f)
                powers[base] = powers.get(base, Fraction(0)) + p
            else:
                matrices.append(f)
        chain: list[Expr] = []
        for segment in segments(matrices):
            if chain_shape(segment) == SCALAR:  # a 1×1 product inside a larger one: xᵀy A
                unit = self.scalar_chain(segment)
                c, rest = _split(unit)
                coefficient *= c
                for g in rest.factors if isinstance(rest, MatMul) and not _is_unit(rest) else (rest,):
                    if g != ONE:
                        base, p = _base_exponent(g)
                        powers[base] = powers.get(base, Fraction(0)) + p
            else:
                chain.extend(segment)
        if coefficient == 0:
            return _zero(shape)
        if any(type(b) is Func and b.name in algebra.ENTRYWISE_IDENTITIES for b in powers):
            fewer = algebra.entrywise_identities(powers)  # |x| sign(x) = x, |x|² = x² (algebra's table)
            if fewer is not None:
                return self.product([Const(coefficient), *scalars_of(fewer), *chain])
        if any(isinstance(f, (Kron, Commutation)) for f in chain):
            chain = self.kronecker_chain(chain)
            if any(isinstance(f, MatMul) or f.is_scalar for f in chain):  # a rule gave c (A ⊗ B)
                return self.product([Const(coefficient), *scalars_of(powers), *chain])
        chain = _merge(chain)
        scalars = sorted((b if p == 1 else Power(b, p) for b, p in powers.items() if p != 0), key=sort_key)
        out = ([Const(coefficient)] if coefficient != 1 else []) + scalars + chain
        if not chain and shape != SCALAR:
            out.append(Identity(shape[0]))
        if not out:
            return ONE
        return out[0] if len(out) == 1 else MatMul(tuple(out))

    def _distributed(self, factors):
        """The terms of a product of sums multiplied out, or None (nothing to do, or too many)."""
        if not any(isinstance(f, Add) for f in factors):
            return None
        self.could_expand = True
        if not self.expand:
            return None
        choices = [f.terms if isinstance(f, Add) else (f,) for f in factors]
        count = 1
        for c in choices:
            count *= len(c)
        return itertools.product(*choices) if count <= MAX_TERMS else None

    @staticmethod
    def _flatten(factors) -> list[Expr]:
        """Nested products opened, except 1×1 matrix products (units), which stay whole."""
        flat: list[Expr] = []
        stack = list(reversed(factors))
        while stack:
            f = stack.pop()
            if isinstance(f, MatMul) and not _is_unit(f):
                stack.extend(reversed(f.factors))
            else:
                flat.append(f)  # identities too: they carry the shape; `_merge` drops them
        return flat

    def scalar_chain(self, chain: list[Expr]) -> Expr:
        """A 1×1 product xᵀAy equals tr(xᵀAy), so it is canonicalised as that trace."""
        if "scalar-trace" not in self.rules:
            chain = _merge(chain)
            return chain[0] if len(chain) == 1 else MatMul(tuple(chain))
        return self.trace_chain(chain, every=True)

    # -- transpose, powers ------------------------------------------------------------------

    def transpose(self, e: Expr) -> Expr:
        if e.is_scalar or isinstance(e, Identity):
            return e
        if isinstance(e, Transpose):
            return e.arg
        if isinstance(e, (Sym, Differential)):
            symmetric = e.symmetric if isinstance(e, Sym) else e.var.symmetric
            return e if symmetric else Transpose(e)
        if isinstance(e, (Ones, Zero)):
            return type(e)((e.shape[1], e.shape[0]))
        if isinstance(e, Add):
            self.could_expand = True
            if self.expand or any(isinstance(_split(t)[1], MatMul) for t in e.terms):
                return self.sum([self.transpose(t) for t in e.terms])
            return Transpose(e)  # (x - μ)ᵀ stays whole
        if isinstance(e, MatMul):
            return self.product([self.transpose(f) for f in reversed(e.factors)])
        if isinstance(e, Power):
            return self.power(self.transpose(e.base), e.exponent)
        if isinstance(e, VariablePower):  # (Xᵏ)ᵀ = (Xᵀ)ᵏ
            return algebra.variable_power(self.transpose(e.base), e.exponent)
        if isinstance(e, Hadamard):
            return self.hadamard([self.transpose(f) for f in e.factors])
        if isinstance(e, HadamardPower):
            return self.hadamard_power(self.transpose(e.base), e.exponent)
        if isinstance(e, Func) and getattr(functions.BY_NAME.get(e.name), "shape", "") != "vector":  # exp(X)ᵀ = exp(Xᵀ)
            return algebra.func(e.name, self.transpose(e.arg))
        if isinstance(e, Kron):  # (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ
            return self.kron(self.transpose(e.left), self.transpose(e.right))
        if isinstance(e, Commutation):  # K_{mn}ᵀ = K_{nm}
            return self.commutation(e.n, e.m) if "commutation" in self.rules else Transpose(e)
        return Transpose(e)

    # -- ⊗, vec and the commutation matrix ---------------------------------------------------

    def kron(self, a: Expr, b: Expr) -> Expr:
        """A ⊗ B; with a number, the product; I ⊗ I = I; scalar factors taken out."""
        if a.is_scalar or b.is_scalar:
            return self.product([a, b])
        if _is_zero(a) or _is_zero(b):
            return Zero((dim_product(a.shape[0], b.shape[0]), dim_product(a.shape[1], b.shape[1])))
        if isinstance(a, Identity) and isinstance(b, Identity):
            return Identity(dim_product(a.n, b.n))
        (ca, ra), (cb, rb) = _split(a), _split(b)
        if ca * cb != 1:
            return self.product([Const(ca * cb), Kron(ra, rb)])
        return Kron(a, b)

    def vec(self, m: Expr) -> Expr:
        if m.is_scalar or m.shape[1] == 1:
            return m
        if m.shape[0] == 1:
            return self.transpose(m)
        return Vec(m)

    def commutation(self, m, n) -> Expr:
        if "commutation" in self.rules and (m == 1 or n == 1):  # K_{1n} = K_{n1} = I
            return Identity(dim_product(m, n))
        return Commutation(m, n)

    def kronecker_chain(self, chain: list[Expr]) -> list[Expr]:
        """(A ⊗ B)(C ⊗ D) = AC ⊗ BD, and with rule commutation K_{nm} K_{mn} = I,
        K_{mn} vec(A) = vec(Aᵀ), K_{pm}(A ⊗ B) = (B ⊗ A) K_{qn}, until none applies."""
        commute = "commutation" in self.rules
        changed = True
        while changed:
            changed = False
            for i in range(len(chain) - 1):
                f, g = chain[i], chain[i + 1]
                if isinstance(f, Kron) and isinstance(g, Kron) and f.left.shape[1] == g.left.shape[0] \
                        and f.right.shape[1] == g.right.shape[0]:
                    new = [self.kron(self.product([f.left, g.left]), self.product([f.right, g.right]))]
                elif not commute or not isinstance(f, Commutation):
                    continue
                elif isinstance(g, Commutation) and (g.m, g.n) == (f.n, f.m):
                    new = []
                elif isinstance(g, Vec) and g.arg.shape == (f.m, f.n):
                    new = [self.vec(self.transpose(g.arg))]
                elif isinstance(g, Kron) and (f.n, f.m) == (g.left.shape[0], g.right.shape[0]):  # K_{pm}, A m×n, B p×q
                    new = [self.kron(g.right, g.left), self.commutation(g.right.shape[1], g.left.shape[1])]
                else:
                    continue
                chain = chain[:i] + new + chain[i + 2:]
                changed = True
                break
        return chain

    def power(self, base: Expr, p: Fraction) -> Expr:
        p = Fraction(p)
        trivial = algebra.trivial_power(base, p)
        if trivial is not None:
            return trivial
        if isinstance(base, Power) and p.denominator == 1:
            return self.power(base.base, base.exponent * p)
        if algebra.even_power_of_abs(base, p):
            return self.power(base.arg, p)  # |u|² = u²
        if isinstance(base, MatMul) and p.denominator == 1:
            if all(f.is_scalar for f in base.factors):  # (a b)ᵖ = aᵖ bᵖ
                return self.product([self.power(f, p) for f in base.factors])
            if p == -1 and not base.is_scalar and all(
                    f.shape[0] == f.shape[1] for f in base.factors if not f.is_scalar):
                # (aAB)⁻¹ = a⁻¹ B⁻¹ A⁻¹ when every matrix factor is square
                return self.product([self.power(f, -1) for f in reversed(base.factors)])
        return Power(base, p)

    # -- trace (1.A-1.D) and determinant ----------------------------------------------------

    def trace(self, e: Expr) -> Expr:
        on = self.rules
        if e.is_scalar:  # the trace of a real number is that number
            return e if "scalar-trace" in on else Trace(e)
        if _is_zero(e):
            return ZERO
        if isinstance(e, Add) and "1.B" in on:
            return self.sum([self.trace(t) for t in e.terms])
        if isinstance(e, Transpose) and "1.A" in on:
            return self.trace(e.arg)
        if isinstance(e, MatMul):
            scalars = [f for f in e.factors if f.is_scalar]
            chain = [f for f in e.factors if not f.is_scalar]
            if scalars and "1.C" in on:
                return self.product([*scalars, self.trace_chain(chain)])
            if not scalars:
                return self.trace_chain(chain)
        if isinstance(e, (Identity, Add, Transpose, MatMul)):
            return Trace(e)  # tr(I) = n, a dimension: kept as written; or a rule is off
        return self.trace_chain([e])

    def trace_chain(self, chain: list[Expr], every: bool = False) -> Expr:
        """1.D and 1.A: tr(F₁…Fₖ) is the same for every rotation of F₁…Fₖ and of Fₖᵀ…F₁ᵀ; the
        least of them (by `sort_key`) is the representative, one that starts with a row vector
        if there is such (then it is written as the 1×1 product, without tr: scalar-trace).
        `every`: all of these rules apply, whichever are on (a 1×1 product is its own trace)."""
        merged = _merge(chain)  # X X⁻¹ and I gone first: a rotation that merges is then progress
        if not merged:
            return Trace(Identity(chain[0].shape[0]))
        chain = merged
        on = ALL if every else self.rules
        transposed = [self.transpose(f) for f in reversed(chain)]
        rotations = []
        for c in (chain, transposed) if "1.A" in on else (chain,):
            for i in range(len(c)) if "1.D" in on else (0,):
                r = c[i:] + c[:i]
                if len(_merge(r)) < len(r):  # tr(X⁻¹ A X) = tr(A): rotating brought X⁻¹ to X
                    return self.trace(self.product(r))
                rotations.append(r)
        rows = [r for r in rotations if r[0].shape[0] == 1]
        best = min(rows or rotations, key=lambda r: tuple(sort_key(f) for f in r))
        if not rows or "scalar-trace" not in on:
            return Trace(best[0] if len(best) == 1 else MatMul(tuple(best)))
        if len(segments(best)) > 1:  # (aᵀb)(cᵀd): a product of shorter 1×1 products
            return self.product(best)
        return best[0] if len(best) == 1 else MatMul(tuple(best))

    def det(self, e: Expr) -> Expr:
        if e.is_scalar:
            return e
        if isinstance(e, Identity):
            return ONE
        if "det" not in self.rules:
            return Det(e)
        if isinstance(e, Transpose):  # |Aᵀ| = |A|
            return self.det(e.arg)
        if isinstance(e, Power) and e.exponent.denominator == 1:  # |Aᵏ| = |A|ᵏ
            return self.power(self.det(e.base), e.exponent)
        if isinstance(e, MatMul) and all(not f.is_scalar and f.shape[0] == f.shape[1] for f in e.factors):
            return self.product([self.det(f) for f in e.factors])  # |AB| = |A||B|, A and B square
        return Det(e)

    # -- elementwise ------------------------------------------------------------------------

    def hadamard(self, factors: list[Expr]) -> Expr:
        flat: list[Expr] = []
        for f in factors:
            flat.extend(f.factors if isinstance(f, Hadamard) else (f,))
        combos = self._distributed(flat)
        if combos is not None:
            return self.sum([self.hadamard(list(c)) for c in combos])
        scalars: list[Expr] = []
        matrices: list[Expr] = []
        for f in flat:
            if f.is_scalar:
                scalars.append(f)
                continue
            if isinstance(f, MatMul) and any(g.is_scalar for g in f.factors):  # (sA) ∘ B = s (A ∘ B)
                scalars.extend(g for g in f.factors if g.is_scalar)
                f = self.product([g for g in f.factors if not g.is_scalar])
            matrices.append(f)
        if not matrices:
            return self.product(scalars)
        core = algebra.hadamard(*matrices)
        return self.product([*scalars, core]) if scalars else core

    def hadamard_power(self, base: Expr, p: Fraction) -> Expr:
        if base.is_scalar:
            return self.power(base, p)
        if isinstance(base, MatMul) and any(g.is_scalar for g in base.factors):  # (sA)^∘p = sᵖ A^∘p
            scalars = [self.power(g, p) for g in base.factors if g.is_scalar]
            core = self.product([g for g in base.factors if not g.is_scalar])
            return self.product([*scalars, algebra.hadamard_power(core, p)])
        return algebra.hadamard_power(base, p)

    def sum_entries(self, e: Expr) -> Expr:
        if e.is_scalar:
            return e
        if _is_zero(e):
            return ZERO
        if isinstance(e, Add):
            return self.sum([self.sum_entries(t) for t in e.terms])
        if isinstance(e, Transpose):
            return self.sum_entries(e.arg)
        if isinstance(e, MatMul) and any(f.is_scalar for f in e.factors):
            scalars = [f for f in e.factors if f.is_scalar]
            rest = self.product([f for f in e.factors if not f.is_scalar])
            return self.product([*scalars, self.sum_entries(rest)])
        return Sum(e)


def scalars_of(powers: dict) -> list[Expr]:
    return [b if p == 1 else Power(b, p) for b, p in powers.items() if p != 0]


def chain_shape(factors) -> tuple:
    matrices = [f for f in factors if not f.is_scalar]
    if not matrices:
        return SCALAR
    return (matrices[0].shape[0], matrices[-1].shape[1])


def segments(matrices: list[Expr]) -> list[list[Expr]]:
    """Split a run of matrix factors into products, closing one as soon as it is 1×1: so
    xᵀy A (which `algebra` writes as one flat run) is the scalar xᵀy times A."""
    out: list[list[Expr]] = []
    current: list[Expr] = []
    shape = SCALAR  # chain_shape(current), kept as factors come: a long chain stays linear
    for f in matrices:
        if current and current[-1].shape[1] != f.shape[0]:
            out.append(current)
            current, shape = [], SCALAR
        if not f.is_scalar:
            shape = (f.shape[0] if shape == SCALAR else shape[0], f.shape[1])
        current.append(f)
        if shape == SCALAR:
            out.append(current)
            current = []
    if current:
        out.append(current)
    if sum(1 for s in out if chain_shape(s) != SCALAR) > 1:
        raise ValueError("internal: a product whose factors do not chain")
    return out


def _exponent_form(p: Expr) -> Expr:
    """A canonical exponent (p is canonical) with its number last, as written: k + 1."""
    if isinstance(p, Add):
        return Add(tuple(sorted(p.terms, key=lambda t: isinstance(t, Const))))
    return p


def _merge(chain: list[Expr]) -> list[Expr]:
    """Neighbouring powers of one base merged: X X = X², X X⁻¹ = I (dropped)."""
    out: list[Expr] = []
    for f in chain:
        if isinstance(f, Identity):
            continue
        if out and (isinstance(f, VariablePower) or isinstance(out[-1], VariablePower)):
            merged = algebra.mul(out[-1], f)  # X Xᵏ = Xᵏ⁺¹ (algebra merges symbolic exponents)
            if not isinstance(merged, MatMul):
                out.pop()
                if isinstance(merged, VariablePower):
                    out.append(algebra.variable_power(merged.base, _exponent_form(canonical(merged.exponent))))
                elif not isinstance(merged, Identity):
                    out.append(merged)
                continue
        if out:
            b1, p1 = _base_exponent(out[-1])
            b2, p2 = _base_exponent(f)
            if b1 == b2 and p1.denominator == p2.denominator == 1:
                out.pop()
                if p1 + p2 != 0:
                    out.append(b1 if p1 + p2 == 1 else Power(b1, p1 + p2))
                continue
        out.append(f)
    return out

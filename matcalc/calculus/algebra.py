"""Simplifying constructors: every typed expression is built through these.

Each constructor applies its local rules once, so trees are born in simplest form and
are never re-simplified as a whole (differentiation stays linear). The rules are the
textbook's: transposes pushed to the leaves, like terms collected, scalars in front,
identities and zeros removed, and the trace rules of the seed note:

  1.A  tr(Aᵀ) = tr(A)          1.B  tr(A + B) = tr(A) + tr(B)
  1.C  tr(aA) = a tr(A)        1.D  tr(AB) = tr(BA)  (used to write tr of a 1×1 product as the product)
"""
from __future__ import annotations

from fractions import Fraction

from .expr import (
    ONE, SCALAR, ZERO, Add, Const, Det, Differential, Expr, Func, Hadamard, HadamardPower,
    Identity, MatMul, Norm, Ones, Power, PowerDifferential, Shape, Sum, Sym, Trace, Transpose, Zero,
)
from . import functions
from .expr import KEPT, Integer, VariablePower
from .expr import Diag
from .expr import product_of_shape
from .expr import _TYPES as _expr_types  # node_types' table, emptied with these


def const(value) -> Const:
    return Const(Fraction(value))


def identity(n) -> Identity:
    """I of size n, one node per size (until `forget`): the pull of a trace makes one each time."""
    found = _IDENTITIES.get(n)
    if found is None:
        if len(_IDENTITIES) >= _KEPT:
            _IDENTITIES.clear()
        found = _IDENTITIES[n] = Identity(n)
    return found


def times_identity(s: Expr, n) -> Expr:
    """mul(s, I) for a scalar s (a trace's seed: tr M = ⟨I, M⟩): 1 I = I and c I at once."""
    if s is ONE:
        return identity(n)
    if type(s) is Const and type(s.value) is Fraction and s.value != 0 and s.value != 1 and n != 1:
        return _plain(product_of_shape((s, identity(n)), (n, n)))  # what plain_product makes of it
    return mul(s, identity(n))


def zero(shape: Shape) -> Expr:
    return ZERO if shape == SCALAR else Zero(shape)


def is_zero(e: Expr) -> bool:
    kind = type(e)  # asked of nearly every node built: no node class derives from another
    return kind is Zero or (kind is Const and not e.value)


def split_coefficient(e: Expr) -> tuple[Fraction, Expr]:
    """e = c · rest with c a rational constant."""
    kind = type(e)  # no node class derives from Const or MatMul
    if kind is Const:
        return e.value, ONE
    if kind is MatMul and type(e.factors[0]) is Const:
        rest = e.factors[1:]
        return e.factors[0].value, rest[0] if len(rest) == 1 else MatMul(rest)
    return _ONE, e


def coefficient(e: Expr) -> Fraction:
    """c of e = c · rest (split_coefficient's first part), without building rest."""
    kind = type(e)
    if kind is Const:
        return e.value
    if kind is MatMul and type(e.factors[0]) is Const:
        return e.factors[0].value
    return _ONE


def scale(c: Fraction, e: Expr) -> Expr:
    if c is _ONE or c == 1:
        return e
    if c == 0:
        return zero(e.shape)
    if e == ONE:
        return Const(c)
    return mul(Const(c), e)


# -- sums ---------------------------------------------------------------------------------

def collect_terms(terms) -> dict[Expr, Fraction]:
    """Like terms of a flattened sum, zeros dropped: {rest: total coefficient}, in order of
    first appearance (Aμ + Aμ → {Aμ: 2})."""
    collected: dict[Expr, Fraction] = {}
    for term in terms:
        for t in term.terms if isinstance(term, Add) else (term,):
            if is_zero(t):
                continue
            c, rest = split_coefficient(t)
            previous = collected.get(rest)
            collected[rest] = c if previous is None else previous + c
    return collected


def add(*terms: Expr) -> Expr:
    """Flatten, drop zeros, collect like terms (Aμ + Aμ = 2Aμ) keeping first-appearance order.

    As collect_terms and scale would, but without building what they build for nothing: each
    term is filed under the factors of its rest (a tuple stands for MatMul(tuple), so that the
    rest is made only for like terms), and a term that has no like term is kept as it is
    where scale(c, rest) would make it again: a term without a number in front, and a product
    that plain_product made (a fixed point of mul: tests check both against collect_terms)."""
    if len(terms) == 1:  # one term: alone of its kind, kept as below when it would be
        t = terms[0]
        kind = type(t)
        if kind is MatMul and (type(t.factors[0]) is not Const or _PLAIN.get(id(t)) is t) or (
                kind is not MatMul and kind is not Add and kind is not Const and kind is not Zero):
            return t
    collected: dict = {}  # the key of rest → [total coefficient, the term while it is alone and kept]
    for term in terms:
        for t in term.terms if type(term) is Add else (term,):
            kind, kept = type(t), t
            if kind is MatMul:
                factors = t.factors
                if type(factors[0]) is Const:
                    c = factors[0].value
                    key = factors[1] if len(factors) == 2 else factors[1:]
                    if _PLAIN.get(id(t)) is not t:
                        kept = None  # made some other way: made again, as scale makes it
                else:
                    c, key = _ONE, factors  # (as the rest of a like term with a number in front)
            elif kind is Const:
                c, key = t.value, ONE
                if not c:
                    continue
            elif kind is Zero:
                continue
            else:
                c, key = _ONE, t
            new = [c, kept]
            entry = collected.setdefault(key, new)  # one look: a tuple hashes each of its nodes
            if entry is not new:  # a like term came before it
                entry[0] += c
                entry[1] = None
    out = []
    for key, (c, kept) in collected.items():
        if kept is not None:
            out.append(kept)  # what scale(c, rest) would give: the term itself
        elif c:
            out.append(scale(c, MatMul(key) if type(key) is tuple else key))
    if not out:
        return zero(terms[0].shape)
    return out[0] if len(out) == 1 else Add(tuple(out))


def neg(e: Expr) -> Expr:
    return mul(_MINUS_ONE, e)


def sub(a: Expr, b: Expr) -> Expr:
    return add(a, neg(b))


# -- products -----------------------------------------------------------------------------

_ONE, _ZERO = ONE.value, ZERO.value  # shared: building a Fraction is not free, and `c is _ONE` is quicker than c == 1
_MINUS_ONE = Const(Fraction(-1))


def _base_exponent(e: Expr) -> tuple[Expr, Fraction]:
    if type(e) is Power:  # no node class derives from another: the cheaper test
        return e.base, e.exponent
    return e, _ONE


def mul(*factors: Expr) -> Expr:
    """A product in simplest form: coefficient, then scalar factors (powers of a common base
    merged, so |X|⁻¹|X| = 1), then the matrix chain (identities dropped, Xᵃ Xᵇ = Xᵃ⁺ᵇ)."""
    out = plain_product(factors)
    if out is not None:
        return out
    state = _Fold()
    for f in factors:
        state.read(f)
    return state.result()


# Factors that `plain_product` leaves to the fold: powers may merge with a neighbour, a zero
# zeroes a product.
_FOLDED = frozenset({Power, VariablePower, Zero})
_FOLDED_OR_PRODUCT = _FOLDED | {MatMul}  # a matrix factor that is a product: not flat


def plain_product(factors) -> Expr | None:
    """What the fold of `mul` gives, found without it, for the products that differentiation,
    pulling a seed and transposes mostly build (2 A Bᵀ dX C, tr(M) I, 3 xᵀ A y): constants,
    identities, at most one other scalar and matrix factors that chain, no two neighbours alike
    (no power to merge); None for anything else, which the fold reads."""
    c = _ONE
    number = None  # the Const factor whose value c is, while no other has multiplied it
    scalar = identity = None
    chain: list[Expr] = []
    first = last = None
    if MatMul in map(type, factors):  # (a look in C: most products are of plain factors)
        factors = _parts(factors)
    previous = None  # the kept hash of the chain's last factor
    for f in factors:
        kind = type(f)
        if f.is_scalar:
            if kind is Const:  # as _Fold._take does
                if c is _ONE and type(f.value) is Fraction:
                    c, number = f.value, f
                elif f is not ONE:
                    c *= f.value
                    number = None
                continue
            if kind in _FOLDED or scalar is not None:  # two scalars: sorted, maybe merged (|X|⁻¹ |X|)
                return None
            scalar = f
            continue
        if kind in _FOLDED_OR_PRODUCT:
            return None
        rows, cols = f.shape
        if rows != last:
            if last is not None:  # a 1×1 run read as a scalar factor: the fold's business
                return None
            first = rows
        last = cols
        if kind is Identity:
            identity = f
            continue
        h = f._hash
        if h == previous:  # X X = X²
            return None
        previous = h
        chain.append(f)
    out = []
    if c is not _ONE and c != 1:
        if c == 0:
            return None
        out.append(Const(c) if number is None else number)  # a factor of the product: that node
    if scalar is not None:
        out.append(scalar)
    if chain:
        out += chain
    elif first is not None:  # only identities, all of one size: I itself
        out.append(identity)
    if not out:
        return ONE
    if len(out) == 1:
        return out[0]
    # the factors chain from `first` rows to `last` columns: MatMul's shape, known
    return _plain(product_of_shape(tuple(out), SCALAR if first is None or first == last == 1 else (first, last)))


def _plain(product: MatMul) -> MatMul:
    """product, noted as one that plain_product makes (what `add` and `transpose` look for)."""
    if len(_PLAIN) >= _KEPT:
        _PLAIN.clear()
    _PLAIN[id(product)] = product
    return product


def _parts(factors) -> list[Expr]:
    """The factors as the fold reads them: a product as its factors, but a 1×1 product after a
    matrix whole (last: the columns of the last matrix factor)."""
    out: list[Expr] = []
    last = None
    for factor in factors:
        if type(factor) is MatMul and (not factor.is_scalar or last is None or last == 1):
            out += factor.factors
            for f in factor.factors:
                if not f.is_scalar:
                    last = f.shape[1]
        else:
            out.append(factor)
            if not factor.is_scalar:
                last = factor.shape[1]
    return out


def mul_chain(factors: list[Expr]) -> Expr:
    """mul(...mul(mul(f0, f1), f2)..., fk), the left-nested product a parser builds for
    `M1 M2 ... Mk`, in time linear in the total number of factors.

    Folding one product at a time re-reads the whole chain at every step (quadratic). Here
    the state of `mul` (coefficient, scalar powers, matrix chain) is carried from one step
    to the next instead, brought each time to the state that re-reading that step's result
    would give, so the outcome is exactly the nested one (tests compare the two).
    """
    if len(factors) == 1:
        return factors[0]
    # Where plain_product reads the whole chain, each nested step is plain too and reads what
    # it reads up to there: the same product (the tests compare it with the nested one).
    out = plain_product(factors)
    if out is not None:
        return out
    state = _Fold()
    state.read(factors[0])  # mul(f0, f1) reads both factors in one step
    for factor in factors[1:-1]:
        state.read(factor)
        state.reread()
    state.read(factors[-1])
    return state.result()


class _Fold:
    """The loop of `mul` as an object: what it has gathered so far from its factors."""

    __slots__ = ("coefficient", "scalar_powers", "chain", "first", "last", "zeroed", "blocked")

    def __init__(self):
        self.coefficient = _ONE
        self.scalar_powers: dict[Expr, Fraction] = {}
        self.chain: list[Expr] = []
        self.first = self.last = None  # outer dimensions of the matrix factors seen
        self.zeroed = False            # a zero factor was seen
        self.blocked = False           # an Identity from Xᵃ X⁻ᵃ sits in the chain

    def read(self, factor: Expr) -> None:
        # `type(f) is C` rather than isinstance: no node class derives from another, and this
        # loop runs for every factor of every product built
        product = type(factor) is MatMul
        if product and factor.is_scalar and self.last not in (None, 1):
            self._take(factor)  # A (xᵀy): a 1×1 product after a matrix is a scalar factor, kept whole
            return
        chain = self.chain
        for f in factor.factors if product else (factor,):
            if f.is_scalar:
                self._take(f)
                continue
            rows, cols = f.shape
            if self.first == self.last == 1 and rows != 1:
                self._close_unit()  # (xᵀy) B: the 1×1 product read so far is a scalar factor
            if self.first is None:
                self.first = rows
            self.last = cols
            kind = type(f)
            if self.zeroed or kind is Identity:
                continue
            if kind is Zero:
                self.zeroed = True
                continue
            if chain:
                previous = chain[-1]
                if (kind is not Power and kind is not VariablePower and type(previous) is not Power
                        and type(previous) is not VariablePower and previous._hash != f._hash):
                    chain.append(f)  # no common base with its neighbour (what _push_matrix would find)
                    continue
            _push_matrix(chain, f)
            if type(chain[-1]) is Identity:
                self.blocked = True

    def _close_unit(self) -> None:
        unit = [f for f in self.chain if not isinstance(f, Identity)]
        self.chain.clear()
        self.first = self.last = None
        self.blocked = False
        if unit:
            self._take(unit[0] if len(unit) == 1 else MatMul(tuple(unit)))

    def _take(self, f: Expr) -> None:
        """A scalar factor (matrix factors are pushed on the chain by `read`)."""
        if self.zeroed:
            return
        kind = type(f)
        if kind is Const:
            # Fraction arithmetic is not free: 1 · c is c (a Fraction is immutable, so shared)
            if self.coefficient is _ONE and type(f.value) is Fraction:
                self.coefficient = f.value
            elif f is not ONE:
                self.coefficient *= f.value
        elif kind is Zero:
            self.zeroed = True
        elif kind is Power:
            self._add_power(f.base, f.exponent)
        elif kind is VariablePower:  # k |X|ᵏ⁻¹ |X| = k |X|ᵏ: a symbolic exponent adds like a number
            self._add_power(f.base, f.exponent)
        else:  # a plain scalar factor: its power 1 counted as an int until another joins it
            self._add_power(f, 1)

    def _add_power(self, base: Expr, p) -> None:
        old = self.scalar_powers.get(base)
        if old is None:
            self.scalar_powers[base] = p
        elif isinstance(old, Expr) or isinstance(p, Expr):  # a symbolic exponent: k - 1 + 1 = k
            self.scalar_powers[base] = _symbolic_exponent_sum(old, p)
        else:
            self.scalar_powers[base] = old + p

    def _shape(self) -> Shape:
        return SCALAR if self.first is None else (self.first, self.last)

    def _scalars(self) -> list[Expr]:
        if not self.scalar_powers:
            return []
        scalars = [VariablePower(b, p) if isinstance(p, Expr) else _raw_power(b, p)
                   for b, p in self.scalar_powers.items() if isinstance(p, Expr) or p != 0]
        if len(scalars) > 1:  # sort_key reads whole subtrees: only when there is an order to find
            scalars.sort(key=sort_key)
        return scalars

    def reread(self) -> None:
        """The state `mul` reaches by reading the result of the factors so far."""
        if self.zeroed or (self.coefficient is not _ONE and self.coefficient == 0):
            self.zeroed = True
            return
        scalars, chain = self._scalars(), self.chain
        self.scalar_powers = {}
        for s in scalars:
            self._take(s)
        if self.blocked:  # dropping the Identity lets its neighbours merge: X Y Y⁻¹ X → X²
            self.chain, self.blocked = _merged(chain), False

    def result(self) -> Expr:
        """What `mul` returns after reading the factors so far (as in its last lines)."""
        shape = SCALAR if self.first is None else (self.first, self.last)  # self._shape()
        # the coefficient is mostly the shared _ONE, never multiplied: `is` before Fraction's ==
        c = self.coefficient
        if self.zeroed or (c is not _ONE and c == 0):
            return zero(shape)
        # a chain with no Identity is merged already: each factor was pushed onto its left neighbour
        chain = _merged(self.chain) if self.blocked else self.chain
        out = [Const(c)] if c is not _ONE and c != 1 else []
        if self.scalar_powers:
            powers = self.scalar_powers
            if any(type(b) is Func and b.name in ENTRYWISE_IDENTITIES for b in powers):
                fewer = entrywise_identities(powers)  # |x| sign(x) = x, |x|² = x²
                if fewer is not None:
                    return mul(*out, *(variable_power(b, p) if isinstance(p, Expr) else power(b, p)
                                       for b, p in fewer.items() if p != 0), *chain)
            out += self._scalars()
        out += chain
        if not out:
            return ONE if shape == SCALAR else Identity(shape[0])
        if not chain and shape != SCALAR:
            out.append(Identity(shape[0]))
        return out[0] if len(out) == 1 else MatMul(tuple(out))


def _merged(chain: list[Expr]) -> list[Expr]:
    """The chain without identities, merged again until no cancellation leaves one:
    Y X⁻¹ I X Y → Y I Y → Y²."""
    while True:
        out: list[Expr] = []
        for f in chain:
            if not isinstance(f, Identity):
                _push_matrix(out, f)
        if not any(isinstance(f, Identity) for f in out):
            return out
        chain = out


def _push_matrix(chain: list[Expr], f: Expr) -> None:
    """Append f to a matrix chain, merging with the previous factor when they share a base."""
    if chain and (type(f) is VariablePower or type(chain[-1]) is VariablePower):
        b1, p1 = _symbolic_base_exponent(chain[-1])
        b2, p2 = _symbolic_base_exponent(f)
        if b1 == b2 and b1.shape[0] == b1.shape[1]:  # X Xᵏ = Xᵏ⁺¹ (X⁻¹ Xᵏ = Xᵏ⁻¹, X invertible)
            chain.pop()
            _push_matrix(chain, variable_power(b1, _exponent_sum(p1, p2)))
            return
    if chain:
        b1, p1 = _base_exponent(chain[-1])
        b2, p2 = _base_exponent(f)
        # the cached hashes first: most neighbours differ, and == is a Python-level call
        if (b1 is b2 or (b1._hash == b2._hash and b1 == b2)) and p1.denominator == 1 \
                and p2.denominator == 1 and b1.shape[0] == b1.shape[1]:  # x x in (xᵀx) x is no power: x is not square
            chain.pop()
            total = p1 + p2
            if total == 0:
                chain.append(Identity(b1.shape[0]))
            else:
                _push_matrix(chain, _raw_power(b1, total))
            return
    chain.append(f)


def _raw_power(base: Expr, p: Fraction | int) -> Expr:
    return base if p == 1 else Power(base, p if type(p) is Fraction else Fraction(p))


def trivial_power(base: Expr, p: Fraction) -> Expr | None:
    """base^p when no rule beyond arithmetic is needed (p = 0 or 1, I, a number); else None."""
    if p == 1:
        return base
    if p == 0:
        return ONE if base.is_scalar else Identity(base.shape[0])
    if isinstance(base, Identity):
        return base
    if isinstance(base, Const) and base.value != 0:
        value = exact_power(base.value, p)
        return None if value is None else Const(value)
    return None


def exact_power(c: Fraction, p: Fraction) -> Fraction | None:
    """cᵖ when it is rational and not huge (4^{1/2} = 2, (-8)^{1/3} = -2); else None (2^{1/2},
    (-1)^{1/2}, 2^{10^9}). c ≠ 0."""
    if not small_power(c, p) or c < 0 and p.denominator % 2 == 0:
        return None
    n = p.denominator
    roots = []
    for part in (abs(c.numerator), c.denominator):
        if n == 1:
            roots.append(part)
            continue
        guess = round(part ** (1 / n)) if part.bit_length() < 1000 else -1
        root = next((k for k in (guess - 1, guess, guess + 1) if k >= 0 and k ** n == part), None)
        if root is None:
            return None
        roots.append(root)
    root = Fraction(-roots[0] if c < 0 else roots[0], roots[1])
    return root ** p.numerator


def power(base: Expr, p) -> Expr:
    """base^p: for matrices integer p (p = -1 the inverse), for scalars any rational."""
    p = Fraction(p)
    trivial = trivial_power(base, p)
    if trivial is not None:
        return trivial
    if isinstance(base, Power) and p.denominator == 1:
        return power(base.base, base.exponent * p)
    if even_power_of_abs(base, p):
        return power(base.arg, p)  # |u|² = u²
    if isinstance(base, MatMul) and p.denominator == 1 and all(f.is_scalar for f in base.factors):
        return mul(*(power(f, p) for f in base.factors))
    if not base.is_scalar and isinstance(base, MatMul) and p == -1 and all(
        f.shape[0] == f.shape[1] for f in base.factors if not f.is_scalar
    ):
        # (AB)⁻¹ = B⁻¹A⁻¹ when every factor is square
        return mul(*(power(f, -1) for f in reversed(base.factors)))
    return Power(base, p)


def even_power_of_abs(base: Expr, p: Fraction) -> bool:
    """|u|ᵖ of a scalar u, p an even integer: it is uᵖ."""
    return type(base) is Func and base.name == "abs" and p.denominator == 1 and p % 2 == 0 and base.is_scalar


def small_power(c: Fraction, p: Fraction) -> bool:
    """Whether cᵖ has at most ~1000 digits: 2^{10^9} stays a power (computing it would hang)."""
    return abs(p) * max(c.numerator.bit_length(), c.denominator.bit_length()) <= 3400


def inverse(e: Expr) -> Expr:
    return power(e, -1)


# -- transpose ----------------------------------------------------------------------------

def transpose(e: Expr) -> Expr:
    """Push ᵀ to the leaves: (AB)ᵀ = BᵀAᵀ, (Aᵀ)ᵀ = A, (A⁻¹)ᵀ = (Aᵀ)⁻¹ written A⁻ᵀ."""
    if e.is_scalar:
        return e
    kind = type(e)  # the common cases first, by type: no node class derives from another but Integer
    if kind is Transpose:
        return e.arg
    if kind is Sym:
        return e if e.symmetric else Transpose(e)
    if kind is MatMul:
        if _PLAIN.get(id(e)) is e and type(e.factors[-1]) is Identity:  # (c I)ᵀ = c I: a seed of the pull
            return e
        return mul(*[transpose(f) for f in reversed(e.factors)])
    if isinstance(e, (Const, Identity, Diag)):  # diag(v)ᵀ = diag(v)
        return e
    if isinstance(e, Sym):
        return e if e.symmetric else Transpose(e)
    if isinstance(e, Differential):
        return e if e.var.symmetric else Transpose(e)
    if isinstance(e, (Ones, Zero)):
        return type(e)((e.shape[1], e.shape[0]))
    if isinstance(e, Add):
        terms = [transpose(t) for t in e.terms]
        if _same_terms(terms, e.terms):  # a symmetric sum: (A + Aᵀ)ᵀ = A + Aᵀ, (S - T⁻¹)ᵀ = S - T⁻¹
            return e
        if any(isinstance(split_coefficient(t)[1], MatMul) for t in e.terms):
            # (CᵀABᵀ + CAB)ᵀ = BAᵀC + BᵀAᵀCᵀ; a sum of plain variables stays whole: (x - μ)ᵀ
            return add(*terms)
        return Transpose(e)
    if isinstance(e, MatMul):
        return mul(*(transpose(f) for f in reversed(e.factors)))
    if isinstance(e, Power):
        return power(transpose(e.base), e.exponent)
    if isinstance(e, VariablePower):  # (Xᵏ)ᵀ = (Xᵀ)ᵏ
        return variable_power(transpose(e.base), e.exponent)
    if isinstance(e, Hadamard):
        return hadamard(*(transpose(f) for f in e.factors))
    if isinstance(e, HadamardPower):
        return hadamard_power(transpose(e.base), e.exponent)
    if isinstance(e, Func) and (e.arg.shape[0] != 1 or e.name in _WHOLE):
        # exp(x)ᵀ stays whole for a column x, as the textbook writes it, and adj(X)ᵀ (not
        # elementwise); exp(X)ᵀ = exp(Xᵀ) otherwise
        return func(e.name, transpose(e.arg)) if e.arg.shape[1] != 1 and e.name not in _WHOLE else Transpose(e)
    if isinstance(e, Func):
        return func(e.name, transpose(e.arg))
    return Transpose(e)


def _same_terms(a, b) -> bool:
    """Whether two lists of terms hold the same terms, in any order."""
    if len(a) != len(b):
        return False
    rest = list(b)
    for t in a:
        for i, u in enumerate(rest):
            if t is u or t == u:
                del rest[i]
                break
        else:
            return False
    return True


# -- trace and determinant ----------------------------------------------------------------

def trace(e: Expr) -> Expr:
    if e.is_scalar:  # the trace of a real number is that number
        return e
    if is_zero(e):
        return ZERO
    if isinstance(e, Add):  # 1.B
        return add(*(trace(t) for t in e.terms))
    if isinstance(e, Transpose):  # 1.A
        return trace(e.arg)
    if isinstance(e, MatMul):
        scalars = [f for f in e.factors if f.is_scalar]
        chain = [f for f in e.factors if not f.is_scalar]
        if scalars:  # 1.C
            return mul(*scalars, trace(mul(*chain)))
        for i, f in enumerate(chain):  # 1.D: rotate tr(a bᵀ) to the 1×1 product bᵀa
            if f.shape[0] == 1:
                return mul(*chain[i:], *chain[:i])
    return Trace(e)


def det(e: Expr) -> Expr:
    if e.is_scalar:
        return e
    if isinstance(e, Identity):
        return ONE
    if isinstance(e, Transpose):  # |Aᵀ| = |A|
        return det(e.arg)
    if isinstance(e, Power) and e.exponent.denominator == 1:  # |Aᵏ| = |A|ᵏ
        return power(det(e.base), e.exponent)
    return Det(e)


# -- elementwise ----------------------------------------------------------------------------

def hadamard(*factors: Expr) -> Expr:
    """Elementwise product: commutative, so factors are sorted; X ∘ X = X^{∘2}, and powers of
    one base meet through products and integer powers of products: (a ∘ b)^{∘k} = a^{∘k} ∘ b^{∘k},
    so a ∘ (b ⊘ a) = b and a ⊘ (a ⊘ b) = b. Like every cancellation a ⊘ a = 𝟏, these hold
    wherever the expression as written is defined (there a divides, so it has no zero entry)."""
    flat: list[Expr] = []
    for f in factors:
        flat.extend(f.factors if isinstance(f, Hadamard) else (f,))
    shape = next((f.shape for f in flat if not f.is_scalar), SCALAR)
    if shape == SCALAR:
        return mul(*flat)
    scalars = [f for f in flat if f.is_scalar]
    powers: dict[Expr, Fraction] = {}
    pending = [f for f in reversed(flat) if not f.is_scalar]
    while pending:
        f = pending.pop()
        base, p = (f.base, f.exponent) if type(f) is HadamardPower else (f, _ONE)
        kind = type(base)
        if kind is MatMul and base.factors[0].is_scalar:  # (sA) ∘ B = s (A ∘ B)
            scalars.extend(power(g, p) for g in base.factors if g.is_scalar)
            pending.append(_hadamard_power(mul(*(g for g in base.factors if not g.is_scalar)), p))
            continue
        if p.denominator == 1 and kind is Hadamard:  # (a ∘ b)^{∘k} = a^{∘k} ∘ b^{∘k}
            pending.extend(_hadamard_power(g, p) for g in reversed(base.factors))
            continue
        if p.denominator == 1 and kind is HadamardPower and base.exponent.denominator == 1:
            pending.append(_hadamard_power(base.base, base.exponent * p))
            continue
        if is_zero(base):
            return zero(shape)
        if kind is Ones:
            continue
        powers[base] = powers.get(base, _ZERO) + p
    if any(type(b) is Func and b.name in ENTRYWISE_IDENTITIES for b in powers):
        fewer = entrywise_identities(powers)
        if fewer is not None:
            return hadamard(*scalars, *([_hadamard_power(b, p) for b, p in fewer.items() if p != 0]
                                        or [Ones(next(iter(powers)).shape)]))
    elems = sorted((_hadamard_power(b, p) for b, p in powers.items() if p != 0), key=sort_key)
    if not elems:
        core = Ones(shape)
    else:
        core = elems[0] if len(elems) == 1 else Hadamard(tuple(elems))
    return mul(*scalars, core) if scalars else core


ENTRYWISE_IDENTITIES = frozenset(("step", "sign", "abs", "sqrt", "exp"))


def entrywise_identities(powers: dict[Expr, Fraction]) -> dict[Expr, Fraction] | None:
    """The powers again, fewer, where an identity of step, sign and abs holds entry by entry (at 0
    too, with step(0) = sign(0) = 0): step(u)^{∘k} = step(u), relu(u) ∘ step(u) = relu(u),
    sign(u)^{∘3} = sign(u), abs(u) ∘ sign(u) = u, u ∘ sign(u) = abs(u), abs(u)^{∘2k} = u^{∘2k};
    sqrt(u) is u^{∘1/2} (u ⊘ sqrt(u) = sqrt(u); sqrt(u) ∘ sqrt(u) = u where u ≥ 0 everywhere), and
    exp(u) ∘ exp(v) = exp(u + v) where that sum is shorter (exp(u) ∘ exp(-u) = 𝟏). None if none
    applies. They hold for scalars alike (a product of scalars is entrywise). A base with a
    symbolic exponent (exp(a)^{|a|}) takes part in none of them."""
    symbolic = {b for b, p in powers.items() if isinstance(p, Expr)}
    if not symbolic:
        return _identities_of_numeric_powers(powers)
    fewer = _identities_of_numeric_powers({b: p for b, p in powers.items() if b not in symbolic})
    if fewer is None or symbolic & fewer.keys():  # |a|^a sign(a) a: |a| is written to, stays
        return None
    return {**{b: powers[b] for b in symbolic}, **fewer}


def _identities_of_numeric_powers(powers: dict[Expr, Fraction]) -> dict[Expr, Fraction] | None:
    out = dict(powers)
    changed = False
    for b, p in powers.items():
        if type(b) is Func and b.name in _POWER_LIKE:
            changed = _POWER_LIKE[b.name](out, b) or changed
            continue
        if type(b) is not Func or p.denominator != 1 or p <= 0:
            continue
        if b.name == "abs" and out[b] == p and p % 2 == 0:
            out[b] = _ZERO
            out[b.arg] = out.get(b.arg, _ZERO) + p
            changed = True
            continue
        if b.name == "step" and (p > 1 or out.get(Func("relu", b.arg), _ZERO) > 0):
            out[b] = _ZERO if out.get(Func("relu", b.arg), _ZERO) > 0 else _ONE
            changed = True
        elif b.name == "sign" and p > 2:
            out[b] = Fraction(2 - p % 2)
            changed = True
        elif b.name == "sign" and out[b] == 1 and out.get(Func("abs", b.arg)) == 1:
            out[b] = out[Func("abs", b.arg)] = _ZERO
            out[b.arg] = out.get(b.arg, _ZERO) + 1
            changed = True
        elif b.name == "sign" and out[b] == 1 and out.get(b.arg) == 1:
            out[b] = out[b.arg] = _ZERO
            out[Func("abs", b.arg)] = out.get(Func("abs", b.arg), _ZERO) + 1
            changed = True
    return out if changed else None


def _sqrt_as_half_power(out: dict, root: Expr) -> bool:
    """sqrt(u)ᵖ uᵠ = u^{q + p/2}, written again with u to a whole power and sqrt(u) to the power
    ±1: u ⊘ sqrt(u) = sqrt(u), sqrt(u)^{∘3} = u ∘ sqrt(u); sqrt(u) gone only where u ≥ 0 (a
    false identity of issue 12 is sqrt(x)^{∘2} = x): sqrt(exp(y))^{∘2} = exp(y)."""
    u = root.arg
    p, q = out[root], out.get(u, _ZERO)
    if isinstance(q, Expr):
        return False
    total = q + Fraction(p, 2)
    if total.denominator > 2:  # u^{1/3} ∘ sqrt(u): no whole power of sqrt(u)
        return False
    whole = int(abs(total))  # |total| = whole + 0 or 1/2
    sign = 1 if total > 0 else -1
    new_q, new_p = sign * whole, sign * (2 * (abs(total) - whole))
    if (new_q, new_p) == (q, p) or new_p == 0 and not _nonnegative(u):
        return False  # sqrt(x)^{∘2} = x would hold for x < 0 too, where the left side is undefined
    out[root], out[u] = Fraction(new_p), Fraction(new_q)
    return True


def _exp_of_a_sum(out: dict, e: Expr) -> bool:
    """exp(u)ᵖ ∘ exp(v)ᵠ = exp(p u + q v) when u and v have like terms, so that the sum is shorter:
    exp(u) ∘ exp(-u) = 𝟏, exp(2u) ∘ exp(-u) = exp(u); exp(u) ∘ exp(v) stays two factors."""
    p = out[e]
    if not p:
        return False
    for other, q in list(out.items()):
        if type(other) is not Func or other.name != "exp" or other is e or not q or isinstance(q, Expr):
            continue
        exponent = add(scale(Fraction(p), e.arg), scale(Fraction(q), other.arg))
        if is_zero(exponent) or _terms(exponent) < _terms(e.arg) + _terms(other.arg):
            out[e] = out[other] = _ZERO
            merged = func("exp", exponent)
            if type(merged) is Func:  # else exp(0) = 𝟏: nothing left
                out[merged] = out.get(merged, _ZERO) + 1
            return True
    return False


def _terms(e: Expr) -> int:
    return len(e.terms) if type(e) is Add else 1


# functions that are powers of their argument's powers, merged by `entrywise_identities`
_POWER_LIKE = {"sqrt": _sqrt_as_half_power, "exp": _exp_of_a_sum}


def _hadamard_power(base: Expr, p: Fraction) -> Expr:
    return base if p == 1 else HadamardPower(base, p)


def hadamard_power(base: Expr, p) -> Expr:
    p = Fraction(p)
    if base.is_scalar:
        return power(base, p)
    if p == 0:
        return Ones(base.shape)
    if isinstance(base, HadamardPower) and p.denominator == 1:
        return hadamard_power(base.base, base.exponent * p)
    return hadamard(_hadamard_power(base, p))


_WHOLE = frozenset(f.name for f in functions.TABLE if f.shape == "square")  # adj(X)ᵀ stays whole
_ZERO_AT_ZERO = frozenset(("sin", "tan", "arcsin", "arctan", "sinh", "tanh", "sqrt", "relu", "step", "abs", "sign"))


def func(name: str, arg: Expr) -> Expr:
    if name == "log" and isinstance(arg, Func) and arg.name == "exp":
        return arg.arg
    if name == "exp" and isinstance(arg, Func) and arg.name == "log":
        return arg.arg
    if is_zero(arg) and name in _ZERO_AT_ZERO:  # also of a zero vector: sin(z - z) = 0
        return arg
    if is_zero(arg) and name in ("exp", "cos", "cosh"):  # not exp(1), cos(1)
        return ONE if arg.is_scalar else Ones(arg.shape)
    if isinstance(arg, Const) and arg.value == 1 and name == "log":
        return ZERO
    if isinstance(arg, Const) and name in _EXACT:  # |2| = 2, sign(-3) = -1: exact, like the input
        return const(_EXACT[name](arg.value))
    if name in ("abs", "relu") and _nonnegative(arg):  # ||u|| = |u|, |exp(u)| = exp(u), relu(√u) = √u
        return arg
    return Func(name, arg)


# functions whose every value is ≥ 0 where they are defined
_NONNEGATIVE = frozenset({"abs", "relu", "exp", "sqrt", "sigmoid", "softplus", "step", "cosh", "softmax", "norm1"})


def _nonnegative(e: Expr) -> bool:
    """Whether every entry of e is ≥ 0 wherever e is defined (a sufficient test, not a complete one)."""
    kind = type(e)
    if kind is Func:
        return e.name in _NONNEGATIVE
    if kind is Power and not e.is_scalar:  # a matrix power: X² has negative entries
        return False
    if kind is Power or kind is HadamardPower:  # u^{2k}, u^{p/2k} … ≥ 0; a power of what is ≥ 0 too
        return e.exponent.numerator % 2 == 0 or e.exponent.denominator % 2 == 0 or _nonnegative(e.base)
    if kind is Norm:
        return True
    if kind is Const:
        return e.value >= 0
    return False


_EXACT = {"abs": abs, "sign": lambda v: (v > 0) - (v < 0), "relu": lambda v: max(v, 0), "step": lambda v: int(v > 0)}


def sum_entries(e: Expr) -> Expr:
    if e.is_scalar:
        return e
    if is_zero(e):
        return ZERO
    if isinstance(e, Add):
        return add(*(sum_entries(t) for t in e.terms))
    if isinstance(e, Transpose):
        return sum_entries(e.arg)
    if isinstance(e, MatMul) and e.factors[0].is_scalar:
        scalars = [f for f in e.factors if f.is_scalar]
        return mul(*scalars, sum_entries(mul(*(f for f in e.factors if not f.is_scalar))))
    return Sum(e)


def norm(e: Expr, kind: str) -> Expr:
    if is_zero(e):  # ‖x - x‖ = ‖0‖ = 0, which reads back (‖0‖ would be the norm of a scalar)
        return ZERO
    return Norm(e, kind)


def power_differential(base: Expr, exponent, dbase: Expr) -> Expr:
    """Σ_{r=0}^{k-1} Xʳ dX X^{k-1-r}, k a number or an expression of symbolic integers."""
    return PowerDifferential(base, exponent if isinstance(exponent, Expr) else Fraction(exponent), dbase)


def _symbolic_base_exponent(e: Expr) -> tuple[Expr, Expr]:
    """A matrix factor as base and exponent, the exponent an expression: X^k → (X, k), X² → (X, 2)."""
    if type(e) is VariablePower:
        return e.base, e.exponent
    base, p = _base_exponent(e)
    return base, Const(p)


def _exponent_sum(p: Expr, q: Expr) -> Expr:
    """p + q with the number last, as an exponent is written: k + 1, not 1 + k."""
    total = add(p, q)
    if type(total) is Add:
        total = Add(tuple(sorted(total.terms, key=lambda t: type(t) is Const)))
    return total


def _symbolic_exponent_sum(p, q):
    """p + q where one of them is an expression: a number when the symbols cancel (k − 1 + 1)."""
    total = _exponent_sum(p if isinstance(p, Expr) else Const(Fraction(p)),
                          q if isinstance(q, Expr) else Const(Fraction(q)))
    if type(total) is Const:
        return total.value
    return _ZERO if is_zero(total) else total


def variable_power(base: Expr, exponent: Expr) -> Expr:
    """base^exponent for an exponent that is an expression: a number gives `power`; 1^b = 1,
    I^k = I; (Xᵀ)^k stays as written, as (Xᵀ)² does."""
    if isinstance(exponent, Const):
        return power(base, exponent.value)
    if base == ONE or isinstance(base, Identity):
        return base
    return VariablePower(base, exponent)


# -- a deterministic order for commutative factors -----------------------------------------

_RANK = {Const: 0, Sym: 1, Integer: 1, Differential: 2, Det: 3, Norm: 4, Trace: 5, Sum: 6, Func: 7,
         Power: 8, VariablePower: 8, HadamardPower: 9, Transpose: 10, MatMul: 11, Hadamard: 12, Add: 13}


class _Key(tuple):
    """A sort key (a nested tuple, compared as tuples are) that remembers its comparisons.

    Keys share their children's keys, so the comparisons of two keys that differ deep down
    (log(log(s)) against log(s)) recur at every level of a nested input: remembered, each pair
    of subtrees is compared once, not again for every sort (nested logs were cubic in depth)."""

    __slots__ = ()
    __hash__ = tuple.__hash__

    def __eq__(self, other):
        if self is other:
            return True
        entry = _EQUAL.get((id(self), id(other)))
        if entry is not None and entry[0] is self and entry[1] is other:  # not a reused id
            return entry[2]
        return _remember(_EQUAL, self, other, tuple.__eq__(self, other))

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __lt__(self, other):
        entry = _LESS.get((id(self), id(other)))
        if entry is not None and entry[0] is self and entry[1] is other:
            return entry[2]
        return _remember(_LESS, self, other, tuple.__lt__(self, other))


def _remember(table: dict, a: _Key, b, result):
    if result is not NotImplemented:
        if len(table) >= _KEPT:
            table.clear()
        table[id(a), id(b)] = (a, b, result)  # the pair kept alive, so that its ids stay theirs
    return result


# The keys of the nodes sorted lately and their comparisons, by identity: a node's key is
# built once, not again for every sort and every parent. Not by equality: telling an equal
# copy from the node itself walks the whole tree. Cleared when full, and by a batch after each
# line (forget), so that a long batch does not keep old expressions alive.
_SORT_KEYS: dict[int, tuple[Expr, _Key]] = {}
_EQUAL: dict[tuple[int, int], tuple] = {}
_LESS: dict[tuple[int, int], tuple] = {}
_KEPT = KEPT


_IDENTITIES: dict = {}
# The products plain_product made lately, by identity: `add` keeps such a term as it is.
_PLAIN: dict[int, Expr] = {}
_TABLES = [_SORT_KEYS, _EQUAL, _LESS, _expr_types, _IDENTITIES, _PLAIN]


def table() -> dict:
    """A new table of this kind for another module (present's), emptied by `forget` too."""
    made: dict = {}
    _TABLES.append(made)
    return made


def forget() -> None:
    """Empty the tables above: a batch does after each line, so that its memory stays flat
    (each table kept up to _KEPT entries of old expressions alive)."""
    for kept in _TABLES:
        kept.clear()


def sort_key(e: Expr) -> tuple:
    """A total order that is the same in every process (never depends on hash())."""
    entry = _SORT_KEYS.get(id(e))
    if entry is not None and entry[0] is e:
        return entry[1]
    if len(_SORT_KEYS) >= _KEPT:
        _SORT_KEYS.clear()
    key = _sort_key(e)
    _SORT_KEYS[id(e)] = (e, key)
    return key


def _sort_key(e: Expr) -> tuple:
    parts = [_RANK.get(type(e), 20), type(e).__name__]
    for value in e.key():
        if isinstance(value, Expr):
            parts.append(sort_key(value))
        elif isinstance(value, tuple):
            parts.append(tuple(sort_key(v) if isinstance(v, Expr) else str(v) for v in value))
        else:
            parts.append(str(value))
    return _Key(parts)

"""Whether a step is an instance of the rule it cites: each rule's `applies(before, after)`.

A derivation's steps are checked numerically elsewhere (consecutive lines are equal); these
checks look at the form instead, and catch a step that does more than its rule: a `linearity`
step that also differentiates tanh, a `1.D` step that also transposes. Each check compares
the two lines modulo what the rule may change, and asks that something did change:

- chain (d(uᵖ) = p uᵖ⁻¹ du) and inverse (d(U⁻¹) = -U⁻¹ dU U⁻¹) replace each d(…) they work out by
  the rule's right-hand side, and the line before then reads as the line after (scalars in any
  place, numbers multiplied), nothing else changed;
- the other differential rules (quotient, norm, elementwise, Jacobi, ...) work out parts d(U)
  of the line before; each part worked out must have the rule's outer operation, and the functions that
  appear new in the line after must be those the rule brings (f′(U) for f, U⁻¹ for Jacobi);
- 1.A, 1.B, 1.C, 1.D, 3.C, scalar-trace and distributive read both lines term for term, nothing
  multiplied out, with only the rule's own move invisible (a trace's product read up to rotation
  or transposition, a trace of a sum split, a scalar across a trace, tr(a) = a and aᵀ = a for a
  1×1 a, a product of sums multiplied out, |A B| = |A| |B| for det): a step that also does
  another of these, or merges like terms, fails;
- product, the functions' rules (exp, tanh, …), sum, diag and vec-trace rewrite nodes in place:
  both lines are walked together, and each node is as it was or is that rule's rewrite of it
  (d(U V) = dU V + U dV, d f(U) = f′(U) ∘ dU, nothing else worked out); commutation puts K vec(dX) for each vec(dXᵀ) and nothing else; jacobian, hessian and 3.A read off the factor in front of dX as it was; symmetric
  writes (1/2)(G + Gᵀ) with G's terms as they were;
- einstein and simplify are not checked term for term (their checks say why) and ask less: an
  index form and no new function (einstein), no differential worked out (simplify).
"""
from __future__ import annotations

from fractions import Fraction

from ..calculus import algebra as alg
from ..calculus import functions
from ..calculus.expr import (
    Add, Commutation, Const, Det, Diag, Diagonal, Differential, DifferentialOf, Expr, Func, Hadamard, HadamardPower,
    Identity, IndexForm, Kron, MatMul, Norm, Ones, Power, PowerDifferential, Sum, Sym, Trace, Transpose, Vec,
    VariablePower, Zero, postorder,
)

NONLINEAR = (Func, Det, Norm, Power, VariablePower, HadamardPower, PowerDifferential)


def _nonlinear(e: Expr) -> set:
    return {n for n in postorder(e) if isinstance(n, NONLINEAR)}


def _pending(e: Expr) -> set:
    return {n for n in postorder(e) if isinstance(n, DifferentialOf)}


def _depends(e: Expr, var) -> bool:
    return any(n == var for n in postorder(e))


# -- the differential rules: which parts d(U) were worked out, and what came in --------------------

def _differential_rule(head, brings=lambda u, var: (), whole=False):
    """A check for a rule that works out d(U) for U of the kind `head` accepts; `brings(U, X)`
    are the expressions whose functions may appear new; `whole`: the rule gives d(U) at once,
    leaving no d(…) of U's operands (2.A, 3.B)."""

    def applies(before: Expr, after: Expr) -> bool:
        worked = _pending(before) - _pending(after)
        if not worked or not all(head(p.arg, p.var) for p in worked):
            return False
        parts = {o for p in worked for o in _operands(p.arg, head is _is_linear, p.var)}
        if any(p.arg not in parts for p in _pending(after) - _pending(before)):
            return False  # the rule left d(…) of what is not its operand: it went on below
        shown = set(postorder(after))
        if not whole and any(DifferentialOf(o, p.var) not in shown
                            for p in worked for o in _required(p.arg, head is _is_linear, p.var, shown)):
            return False  # an operand's d(…) was worked out in the same step
        allowed = _nonlinear(before)
        for p in worked:
            for e in brings(p.arg, p.var):
                allowed |= _nonlinear(e)
        return _nonlinear(after) <= allowed

    return applies


def _operands(u: Expr, linear: bool, var) -> set:
    """The parts whose d(…) a rule working out d(u) may leave: u's operands (‖U‖²: U; log|U|: U;
    u / v: v); for linearity, which passes through every linear operation, the first parts below
    that are not linear."""
    if linear:
        out, stack = set(), [u]
        while stack:
            e = stack.pop()
            if seed_3b(e, var):  # 3.B's pattern: d of it is left whole, unless it is all of f
                out.add(e)
            if _is_linear(e, var) and e != var:
                stack.extend(e.children())
            else:
                out.add(e)
                if isinstance(e, MatMul):  # d(a U V) = a d(U V): the product without its constant scalars
                    rest = [f for f in e.factors if not (f.is_scalar and not _depends(f, var))]
                    out.add(_chain(rest))
        return out
    out = set(u.children())
    for c in u.children():
        if isinstance(c, (Norm, Det)) or isinstance(c, Power) and c.base.is_scalar:
            out |= set(c.children())
    return out


def _linear_required(u: Expr, var, shown: set) -> list:
    """Linearity passes through every linear operation (and leaves 3.B's pattern whole where
    the line after shows d of it): the first parts below that are not linear must show d(…)."""
    out, stack = [], [u]
    while stack:
        e = stack.pop()
        if e == var or (isinstance(e, Transpose) and e.arg == var) or not _depends(e, var):
            continue
        if e != u and seed_3b(e, var) and DifferentialOf(e, var) in shown:
            continue
        if _is_linear(e, var):
            stack.extend(e.children())
        elif isinstance(e, MatMul) and DifferentialOf(e, var) not in shown:  # d(a U V) = a d(U V)
            out.append(_chain([f for f in e.factors if not (f.is_scalar and not _depends(f, var))]))
        else:
            out.append(e)
    return out


def _required(u: Expr, linear: bool, var, shown: set = frozenset()) -> list:
    """The operands whose d(…) the line after must show (the variable's is dX, shown at once)."""
    if isinstance(u, Power) and isinstance(u.base, Norm):
        found = [u.base.arg]
    elif isinstance(u, (Norm, Det)):
        found = [u.arg]
    elif isinstance(u, Func) and u.name == "log" and isinstance(u.arg, Det):
        found = [u.arg.arg]
    elif isinstance(u, MatMul) and not linear:
        found = [f.base if isinstance(f, Power) and f.base.is_scalar and f.exponent < 0 else f for f in u.factors]
    elif linear:
        return _linear_required(u, var, shown)
    else:
        found = list(u.children())
    return [o for o in found if _depends(o, var) and o != var and not (isinstance(o, Transpose) and o.arg == var)
            and not _is_linear(o, var)] if linear else \
        [o for o in found if _depends(o, var) and o != var and not (isinstance(o, Transpose) and o.arg == var)]


def _dependent(factors, var) -> int:
    return sum(_depends(f, var) for f in factors)


def _is_linear(u: Expr, var) -> bool:
    if u == var or not _depends(u, var) or isinstance(u, (Add, Trace, Sum, Transpose, Vec, Diag, Diagonal)):
        return True
    if isinstance(u, (MatMul, Hadamard)):
        return _dependent(u.factors, var) == 1
    if isinstance(u, Kron):
        return _dependent((u.left, u.right), var) == 1
    return False


def _is_product(u: Expr, var) -> bool:
    if isinstance(u, (MatMul, Hadamard)):
        return _dependent(u.factors, var) >= 2
    return isinstance(u, Kron) and _dependent((u.left, u.right), var) == 2


def _reciprocals(u: Expr) -> list:
    return [f for f in u.factors if isinstance(f, Power) and f.base.is_scalar and f.exponent < 0]


def _is_quotient(u: Expr, var) -> bool:
    return isinstance(u, MatMul) and _is_product(u, var) and any(_depends(f, var) for f in _reciprocals(u))


def _quotient_brings(u: Expr):
    return [alg.power(f.base, f.exponent - 1) for f in _reciprocals(u)]


def softmax_differential(s: Expr, dz: Expr) -> Expr:
    """d softmax(z) = (diag(s) - s sᵀ) dz, s = softmax(z), as the textbook writes it: the line a
    derivation shows (the engine's rule writes s ∘ dz - s sᵀ dz, the same matrix times dz)."""
    return MatMul((Add((Diag(s), MatMul((Const(Fraction(-1)), s, alg.transpose(s))))), dz))


def _function(name: str):
    """d f(U) = f′(U) ∘ dU (f′(u) du for a 1×1 u), f′ from the table of functions, term for term: where
    d f(U) was, f′(U) times d(U) (dX for U = X), and nothing else changed; for softmax and the other
    functions of a whole vector, what their rule gives for d f(U)."""
    f = functions.lookup(name)

    @_in_place
    def applies(b: Expr, a: Expr) -> bool:
        if not (isinstance(b, DifferentialOf) and isinstance(b.arg, Func) and b.arg.name == name):
            return False
        u, var = b.arg.arg, b.var
        if not f.elementwise:
            return any(_same(a, f.rule(alg, b.arg, u, du)) or name == "softmax" and _same(a, softmax_differential(b.arg, du))
                       for du in {_d(u, var), DifferentialOf(u, var)})
        fp, du = f.rule(alg, u), _d(u, var)
        return any(_same(a, c) for c in (Hadamard((fp, du)), Hadamard((du, fp)), MatMul((fp, du)), MatMul((du, fp))))

    return applies


def _is_scalar_power(u, var):
    return isinstance(u, Power) and u.base.is_scalar and not (isinstance(u.base, Norm) and u.exponent == 2)


def _is_norm(u, var):
    return isinstance(u, Norm) or isinstance(u, Power) and isinstance(u.base, Norm) and u.exponent == 2


def _is_matrix_power(u, var):
    return (isinstance(u, Power) and not u.base.is_scalar and u.exponent > 0) or (
        isinstance(u, VariablePower) and not u.base.is_scalar)


def _powers_of(u: Expr):
    base = u.base
    k = u.exponent if isinstance(u, Power) else None
    out = [alg.inverse(base)]
    if k is not None:
        out += [alg.power(base, r) for r in range(-abs(int(k)) - 1, abs(int(k)) + 1)]
    else:
        out += [alg.variable_power(base, alg.sub(u.exponent, alg.const(1))), u]
    return out


def _power(before: Expr, after: Expr) -> bool:
    """d(Xᵏ) = Σᵣ Xʳ dX Xᵏ⁻¹⁻ʳ, or in a trace Σᵣ tr(Xʳ dX Xᵏ⁻¹⁻ʳ) = k tr(Xᵏ⁻¹ dX): what comes in
    are powers of X."""
    if _pending(before):
        return _differential_rule(_is_matrix_power, lambda u, var: _powers_of(u) + [
            PowerDifferential(u.base, u.exponent, Differential(var) if u.base == var else DifferentialOf(u.base, var))
        ])(before, after)
    gone = {n for n in postorder(before) if isinstance(n, PowerDifferential)} - set(postorder(after))
    allowed = _nonlinear(before)
    for p in gone:
        allowed |= {n for e in _powers_of(Power(p.base, p.exponent)) if isinstance(p.exponent, Fraction)
                    for n in postorder(e)} | {n for n in postorder(after) if getattr(n, "base", None) == p.base}
    return bool(gone) and _nonlinear(after) <= allowed


# -- the seed's patterns: where 2.A and 3.B apply --------------------------------------------------

def _chain(factors) -> Expr:
    return factors[0] if len(factors) == 1 else MatMul(tuple(factors))


def quadratic_form(u: Expr, var):
    """(scalars, M) if u is a quadratic form xᵀ M x in the vector x = var (M None for xᵀ x),
    M and the scalars constant (seed 2.A); None otherwise."""
    if not isinstance(u, MatMul) or var.is_scalar or var.shape[1] != 1:
        return None
    scalars = [f for f in u.factors if f.is_scalar]
    chain = [f for f in u.factors if not f.is_scalar]
    if any(_depends(f, var) for f in scalars) or len(chain) < 2:
        return None
    if chain[0] != alg.transpose(var) or chain[-1] != var or any(_depends(f, var) for f in chain[1:-1]):
        return None
    return scalars, (_chain(chain[1:-1]) if len(chain) > 2 else None)


def seed_3b(u: Expr, var):
    """(B, C) if u is tr(X B Xᵀ C) up to rotation, X = var a matrix, B and C constant (None where
    absent) (seed 3.B); None otherwise."""
    if not isinstance(u, Trace) or not isinstance(u.arg, MatMul) or var.is_scalar or 1 in var.shape:
        return None
    chain = list(u.arg.factors)
    if any(f.is_scalar for f in chain):
        return None
    xt = alg.transpose(var)
    if chain.count(var) != 1 or chain.count(xt) != 1 or sum(_depends(f, var) for f in chain) != 2:
        return None
    i = chain.index(var)
    chain = chain[i:] + chain[:i]
    j = chain.index(xt)
    b, c = chain[1:j], chain[j + 1:]
    return (_chain(b) if b else None), (_chain(c) if c else None)


# -- a line's terms, multiplied out (linearity's tidy-up after df, and steps' regrouping test) -------

def _chain_factors(factors) -> list:
    """A product's matrix factors with whole powers written out (X² is X X, X⁻² is X⁻¹ X⁻¹) and I dropped."""
    out = []
    for f in factors:
        if isinstance(f, Power) and not f.base.is_scalar and f.exponent.denominator == 1 and abs(f.exponent) > 1:
            one = f.base if f.exponent > 0 else alg.inverse(f.base)
            out += [one] * abs(int(f.exponent))
        elif not isinstance(f, Identity):
            out.append(f)
    return out


def _terms(e: Expr, opened=False, entrywise=False) -> dict:
    """e multiplied out, traces opened: {(scalar atoms, matrix chain): coefficient} (a regrouping
    is invisible in it); `entrywise`: whether A ∘ (B + C) is multiplied out too."""
    if entrywise and isinstance(e, Hadamard):
        parts = [[]]
        for f in e.factors:
            parts = [p + [(k, c)] for p in parts for k, c in _terms(f, opened, entrywise).items()]
        out = {}
        for p in parts:
            c = Fraction(1)
            for _, ci in p:
                c *= ci
            key = ((), (("∘", tuple(sorted((repr(k) for k, _ in p)))),))
            out[key] = out.get(key, 0) + c
        return {k: c for k, c in out.items() if c != 0}
    if isinstance(e, Add):
        out: dict = {}
        for t in e.terms:
            for k, c in _terms(t, opened, entrywise).items():
                out[k] = out.get(k, 0) + c
        return {k: c for k, c in out.items() if c != 0}
    if isinstance(e, Const):
        return {((), ()): e.value}
    if isinstance(e, Zero):
        return {}
    if isinstance(e, Transpose) and not e.is_scalar:  # (A B)ᵀ = Bᵀ Aᵀ, term by term
        out = {}
        for (s, m), c in _terms(e.arg, opened, entrywise).items():
            key = (s, tuple(alg.transpose(f) for f in reversed(m)))
            out[key] = out.get(key, 0) + c
        return out
    if isinstance(e, MatMul):
        out = {((), ()): Fraction(1)}
        for f in e.factors:
            nxt: dict = {}
            for (s1, m1), c1 in out.items():
                for (s2, m2), c2 in _terms(f, False, entrywise).items():
                    key = (tuple(sorted(s1 + s2, key=repr)), m1 + m2)
                    nxt[key] = nxt.get(key, 0) + c1 * c2
            out = nxt
        out = {k: c for k, c in out.items() if c != 0}
        return {_scalar_chain(k): c for k, c in out.items()} if e.is_scalar and not opened else out
    if isinstance(e, Trace):
        return {_scalar_chain(k): c for k, c in _terms(e.arg).items()}
    if e.is_scalar:
        return {((e,), ()): Fraction(1)}
    return {((), (e,)): Fraction(1)}


def _scalar_chain(key):
    """A 1×1 product's matrix chain (xᵀ A x) kept as one scalar atom."""
    scalars, chain = key
    if not chain:
        return key
    return tuple(sorted(scalars + (("chain", tuple(_chain_factors(chain))),), key=repr)), ()


def _rotation(chain: tuple) -> tuple:
    rotations = [chain[i:] + chain[:i] for i in range(len(chain))] or [chain]
    return min(rotations, key=repr)


def same_terms(a: Expr, b: Expr) -> bool:
    """Whether a and b are the same terms, multiplied out, traces opened (a regrouping)."""
    return _terms(a) == _terms(b)


# -- the trace rules and distributive: the same line, but for what the rule moves --------------------
#
# Each line is read as a key in which only the rule's own freedom is invisible: the key of a
# product is (number, its scalar factors as a multiset, its matrix factors in order), of a sum the
# multiset of its terms' keys, of anything else its kind and its operands' keys. Only the cited
# rule's move is read away (1.D: a trace's factors up to rotation; 1.A: a trace's product or its
# transpose; distributive: products of sums multiplied out), so a step that also does another
# move changes the key.

def _key(e: Expr, rule: str):
    if isinstance(e, Add):
        terms = []
        for t in e.terms:
            k = _key(t, rule)
            terms.extend(k[1] if _is(k, "+") else [k])
        return "+", tuple(sorted(terms, key=repr))
    if isinstance(e, Const):
        return "*", e.value, (), ()
    if isinstance(e, MatMul):
        return _product_key(e.factors, e.is_scalar, rule)
    if isinstance(e, Trace):
        return _trace_key(e, rule)
    if rule == "distributive" and isinstance(e, Transpose) and isinstance(e.arg, Add):  # (A + B)ᵀ = Aᵀ + Bᵀ
        return _key(Add(tuple(alg.transpose(t) for t in e.arg.terms)), rule)
    if rule == "distributive" and isinstance(e, Hadamard):  # A ∘ (B + C) = A ∘ B + A ∘ C
        return _hadamard_key(e, rule)
    if rule == "det" and (isinstance(e, Det) or isinstance(e, Power) and isinstance(e.base, Det)):
        return _det_key(e, rule)
    if not e.children():
        return e
    return type(e).__name__, tuple(_key(v, rule) if isinstance(v, Expr) else tuple(
        _key(u, rule) if isinstance(u, Expr) else u for u in v) if isinstance(v, tuple) else v for v in e.key())


def _product_key(factors, is_scalar: bool, rule: str):
    """(*, number, scalar factors, matrix chain); a 1×1 product's chain is one scalar ("unit"),
    read up to transposition for scalar-trace (aᵀ b = bᵀ a). For distributive, a product with a
    sum among its factors is the sum of the products, multiplied out; for 1.D, a whole power of
    a matrix is its factors written out (X² is X X, as rotating tr(X dX X) to tr(X X dX) gives)."""
    if rule == "distributive":  # a factor A ∘ (B + C) is the sum A ∘ B + A ∘ C here too, as alone
        factors = [_spread(f.factors, Hadamard) or f if isinstance(f, Hadamard) else f for f in factors]
        spread = _spread(factors)
        if spread is not None:
            return _key(spread, rule)
    number, scalars, chain = Fraction(1), [], []
    for f in factors:
        k = _key(f, rule)
        if _is(k, "*"):
            number *= k[1]
            scalars += k[2]
            if f.is_scalar and k[3]:
                scalars.append(("unit", k[3]))
            else:
                chain += k[3]
        elif f.is_scalar:
            scalars.append(k)
        elif rule == "1.D" and _whole_power(f):
            one = _key(f.base if f.exponent > 0 else alg.inverse(f.base), rule)
            chain += [one] * abs(int(f.exponent))
        elif not isinstance(f, Identity):  # M = a I where a term has no matrix factor: notation
            chain.append(k)
    if is_scalar and chain:
        if rule == "scalar-trace":
            matrices = [f for f in factors if not f.is_scalar]
            other = _product_key([alg.transpose(f) for f in reversed(matrices)], False, "")[3]
            chain = min(tuple(chain), other, key=repr)
        scalars.append(("unit", tuple(chain)))
        chain = []
    return "*", number, tuple(sorted(scalars, key=repr)), tuple(chain)


def _whole_power(f) -> bool:
    return isinstance(f, Power) and not f.base.is_scalar and f.exponent.denominator == 1 and abs(f.exponent) > 1


def _summands(f: Expr) -> tuple:
    """The terms of a factor that is a sum (of a transposed sum, their transposes), else (f,)."""
    if isinstance(f, Add):
        return f.terms
    if isinstance(f, Transpose) and isinstance(f.arg, Add):
        return tuple(alg.transpose(t) for t in f.arg.terms)
    return (f,)


def _spread(factors, kind=MatMul):
    """A product with a sum among its factors as the sum of its products, multiplied out one
    level (the products' own sums are read in turn); None if no factor is a sum."""
    flat = []
    for f in factors:
        flat.extend(f.factors if isinstance(f, kind) else (f,))
    options = [_summands(f) for f in flat]
    if all(len(o) == 1 for o in options):
        return None
    products = [()]
    for o in options:
        products = [p + (t,) for p in products for t in o]
    return Add(tuple(kind(p) for p in products))


def _hadamard_key(e: Hadamard, rule: str):
    """An entrywise product for distributive: multiplied out over sums; the scalars of its
    factors in front (A ∘ (-B) = -(A ∘ B)); the factors in any order (∘ commutes)."""
    spread = _spread(e.factors, Hadamard)
    if spread is not None:
        return _key(spread, rule)
    number, scalars, parts = Fraction(1), [], []
    for f in e.factors:
        k = _key(f, rule)
        if _is(k, "*"):
            number *= k[1]
            scalars += k[2]
            parts.append(k[3][0] if len(k[3]) == 1 else ("*", Fraction(1), (), k[3]))
        else:
            parts.append(k)
    return "*", number, tuple(sorted(scalars, key=repr)), (("∘", tuple(sorted(parts, key=repr))),)


def _trace_key(e: Trace, rule: str):
    if rule == "scalar-trace" and e.arg.is_scalar:  # tr(a) = a
        return _key(e.arg, rule)
    inner = _inner_key(e.arg, rule)
    if rule == "1.B" and _is(inner, "+"):  # tr(A + B) = tr(A) + tr(B)
        return "+", tuple(sorted((_traced(t, rule) for t in inner[1]), key=repr))
    if rule == "1.D" and _is(inner, "*"):  # tr(A B) = tr(B A): the product up to rotation
        inner = inner[:3] + (_rotation(inner[3]),)
    if rule in ("1.A", "ᵀ"):  # tr(Mᵀ) = tr(M): the product or its transpose, factor by factor
        factors = e.arg.factors if isinstance(e.arg, MatMul) else (e.arg,)
        inner = _inner_key(MatMul(tuple(_transposed_twice(f) for f in factors)), rule)
        if rule == "ᵀ":  # transposes pushed to the leaves, nothing transposed: what 1.A must change
            return _traced(inner, rule)
        other = _inner_key(MatMul(tuple(f if f.is_scalar else alg.transpose(f) for f in reversed(factors))), rule)
        return "tr", tuple(sorted((_traced(inner, rule), _traced(other, rule)), key=repr))
    return _traced(inner, rule)


def _transposed_twice(f: Expr) -> Expr:
    """f with its transposes pushed to the leaves ((A B)ᵀ C as Bᵀ Aᵀ C), as 1.A's transpose writes them."""
    return f if f.is_scalar else alg.transpose(alg.transpose(f))


def _inner_key(arg: Expr, rule: str):
    """A trace's argument, read as a product (even of one factor) or a sum."""
    inner = _product_key(arg.factors, False, rule) if isinstance(arg, MatMul) else _key(arg, rule)
    if not _is(inner, "+") and not _is(inner, "*"):
        inner = "*", Fraction(1), (), (inner,)
    return inner


def _traced(inner, rule: str):
    if not _is(inner, "*"):
        inner = "*", Fraction(1), (), (inner,)
    if rule == "1.C" and _is(inner, "*") and inner[3]:  # tr(a A) = a tr(A)
        return "*", inner[1], tuple(sorted(inner[2] + (("tr", ("*", Fraction(1), (), inner[3])),), key=repr)), ()
    return "tr", inner


def _det_key(e: Expr, rule: str):
    """|M| for det: |Aᵀ| = |A|, |A B| = |A| |B|, |Aᵏ| = |A|ᵏ read away, a product of |base|^exponent."""
    power = Fraction(1)
    if isinstance(e, Power):
        e, power = e.base, e.exponent
    found: dict = {}
    for base, exponent in _det_factors(e.arg):
        k = _key(base, rule)
        found[k] = found.get(k, 0) + exponent * power
    scalars = tuple(sorted((("det", k, x) for k, x in found.items() if x), key=repr))
    return "*", Fraction(1), scalars, ()


def _det_factors(m: Expr) -> list:
    if isinstance(m, Transpose):
        return _det_factors(m.arg)
    if isinstance(m, Power) and not m.base.is_scalar and m.exponent.denominator == 1:
        return [(b, x * m.exponent) for b, x in _det_factors(m.base)]
    if isinstance(m, MatMul) and all(f.is_scalar or f.shape[0] == f.shape[1] for f in m.factors):
        if not any(f.is_scalar for f in m.factors):
            return [bx for f in m.factors for bx in _det_factors(f)]
    return [(m, Fraction(1))]


def _collected(before: Expr, after: Expr) -> bool:
    """1.B backwards: terms tr(M₁ R), tr(M₂ R), … of the line before are one term tr((M₁ + M₂ + …) R)
    of the line after; every other term is as it was."""
    left = [_key(t, "1.B") for t in (before.terms if isinstance(before, Add) else (before,))]
    collected = False
    for t in after.terms if isinstance(after, Add) else (after,):
        k = _key(t, "1.B")
        if k in left:
            left.remove(k)
            continue
        if not (isinstance(t, Trace) and isinstance(t.arg, MatMul)):
            return False
        sums = [i for i, f in enumerate(t.arg.factors) if isinstance(f, Add)]
        if len(sums) != 1:
            return False
        i, fs = sums[0], t.arg.factors
        for m in fs[i].terms:
            k = _key(Trace(MatMul((*fs[:i], m, *fs[i + 1:]))), "1.B")
            if k not in left:
                return False
            left.remove(k)
        collected = True
    return collected and not left


def _is(key, tag: str) -> bool:
    return isinstance(key, tuple) and key[0] == tag


def _only(*readings: str):
    def applies(before: Expr, after: Expr) -> bool:
        return before != after and any(_key(before, r) == _key(after, r) for r in readings)
    applies.__doc__ = f"{readings[0]}: the line before and after read alike, but for what {readings[0]} moves."
    return applies


_split = _only("1.B")


def split_or_collect(before: Expr, after: Expr) -> bool:
    """1.B: tr(A + B) = tr(A) + tr(B), term for term, either way: split in place, or tr(M₁ R) + tr(M₂ R)
    collected into tr((M₁ + M₂) R); nothing else moves (no rotation, no scalar across a trace, no like
    terms merged)."""
    return _split(before, after) or _collected(before, after)

scalars_across_trace = _only("1.C")  # tr(a A) = a tr(A): scalar factors across a trace
scalar_trace = _only("scalar-trace")  # a = tr(a) = aᵀ for a 1×1 a


def multiplied_out(before: Expr, after: Expr) -> bool:
    """Multiplying out (also A ∘ (B + C)), collecting terms: the same terms."""
    return before != after and _terms(before, entrywise=True) == _terms(after, entrywise=True)


distributed = _only("distributive")
distributed.__doc__ = """distributive: A (B + C) = A B + A C, (A + B)ᵀ = Aᵀ + Bᵀ, A ∘ (B + C) = A ∘ B + A ∘ C, term for
term: products of sums multiplied out where the step did it, nothing else: no like terms collected
(A B + A B stays two terms), nothing rotated, transposed or moved across a trace."""


_rotated = _only("1.D")
_transposed = _only("1.A")


def rotated(before: Expr, after: Expr) -> bool:
    """1.D: tr(A B) = tr(B A), term for term: each trace's product is a rotation of the one before
    (or as it was), nothing multiplied out, transposed or merged. A whole power counts as its
    factors (tr(X dX X) = tr(X² dX)): algebra writes X X as X², so the rotation alone cannot be shown."""
    return _rotated(before, after)


def transposed_in_trace(before: Expr, after: Expr) -> bool:
    """1.A and 3.C: tr(Mᵀ) = tr(M), term for term: each trace's product is as it was or its transpose,
    factor by factor (transposes pushed to the leaves, as algebra writes them), at least one of them
    transposed (pushing a transpose alone is simplify's), nothing rotated or multiplied out; or (3.C) the gradient with respect to Xᵀ, the transpose of the one with respect to X."""
    if before == after:
        return False
    if not before.is_scalar and (after == alg.transpose(before) or isinstance(after, Transpose) and after.arg == before):
        return True
    return _transposed(before, after) and _key(before, "ᵀ") != _key(after, "ᵀ")


def read_off(before: Expr, after: Expr) -> bool:
    """3.A: df = tr(M dX) gives ∇f = Mᵀ; df = c dx gives c; df = 0 gives 0."""
    if alg.is_zero(before):
        return alg.is_zero(after)
    core = before.arg if isinstance(before, Trace) else before
    factors = list(core.factors) if isinstance(core, MatMul) else [core]
    if not factors or not isinstance(factors[-1], Differential):
        return False
    rest = factors[:-1]
    if not rest:
        return isinstance(after, Identity) or after == Const(Fraction(1))
    m = rest[0] if len(rest) == 1 else MatMul(tuple(rest))
    candidates = {m, alg.transpose(m), Transpose(m), alg.mul(*rest)}
    if all(f.is_scalar for f in rest):  # s I
        candidates |= {MatMul((*rest, Identity(factors[-1].shape[0])))}
    return after in candidates or alg.transpose(after) in candidates


def _hadamard(before: Expr, after: Expr) -> bool:
    """sum(A ∘ B) = tr(Aᵀ B), tr(M (A ∘ B)) = tr((M ∘ Aᵀ) B): an entrywise product with a
    factor holding d is gone, and that factor now ends a product in a trace, as it was."""
    if not no_new_functions(before, after):
        return False
    gone = [h for h in set(postorder(before)) - set(postorder(after)) if isinstance(h, Hadamard)
            and any(_pending(f) or _has_differential(f) for f in h.factors)]
    if not gone:
        return False
    ends = set()
    for t in postorder(after):
        if isinstance(t, Trace):
            factors = [g for g in _chain_factors(t.arg.factors if isinstance(t.arg, MatMul) else (t.arg,))
                       if not g.is_scalar]
            ends |= {tuple(factors[i:]) for i in range(len(factors))}
    for h in gone:
        f = next(f for f in h.factors if _pending(f) or _has_differential(f))
        mine = tuple(g for g in _chain_factors(f.factors if isinstance(f, MatMul) else (f,)) if not g.is_scalar)
        if not any(end[-len(mine):] == mine and len(end) >= len(mine) for end in ends) or not any(
                tuple(end[-len(mine):]) == mine for end in ends):
            return False
    return True


def _has_differential(e: Expr) -> bool:
    return any(isinstance(n, Differential) for n in postorder(e))


def no_new_functions(before: Expr, after: Expr) -> bool:
    """A rearrangement: no function, determinant, norm or power appears that was not there."""
    return before != after and _nonlinear(after) <= _nonlinear(before)


def _is_d_column(e: Expr) -> bool:
    """dx, vec(dX) or vec(dXᵀ): what a term of a Jacobian's line ends in."""
    if isinstance(e, Vec):
        e = e.arg.arg if isinstance(e.arg, Transpose) else e.arg
    return isinstance(e, Differential)


def _powers_untransposed(e: Expr) -> set:
    """The functions, determinants, norms and powers of e, a power of Mᵀ read as one of M ((Xᵀ)⁻¹ = (X⁻¹)ᵀ)."""
    return {Power(n.base.arg, n.exponent) if isinstance(n, Power) and isinstance(n.base, Transpose) else n
            for n in _nonlinear(e)}


def vec_form(before: Expr, after: Expr) -> bool:
    """vec: each term of d vec(F) written K vec(dX) (K dx, K vec(dXᵀ)), term for term: as many terms,
    each with the number and the scalar factors free of d it had (‖x‖² ‖x‖ merged into ‖x‖³ is a
    tidy-up, simplify's step; like terms collected are distributive's); no function, power or norm
    appears that was not there. Which K a term gives is not checked here: reading it is
    calculus/jacobian's work, and the step is checked numerically."""
    terms = after.terms if isinstance(after, Add) else (after,)
    return before != after and _powers_untransposed(after) <= _powers_untransposed(before) and all(
        _is_d_column(t.factors[-1] if isinstance(t, MatMul) else t) for t in terms) and \
        _coefficients(before) == _coefficients(after)


def _coefficients(e: Expr) -> list:
    """Each term's number and scalar factors free of d (1×1 products of matrices aside), as a multiset."""
    out = []
    for t in e.terms if isinstance(e, Add) else (e,):
        number, scalars = Fraction(1), []
        for f in t.factors if isinstance(t, MatMul) else (t,):
            if isinstance(f, Const):
                number *= f.value
            elif f.is_scalar and not _has_differential(f) and not _pending(f):
                k = _key(f, "scalar-trace")
                if _is(k, "*"):  # a 1×1 product xᵀ a may move out of the chain: reading K does that
                    number *= k[1]
                    scalars += [u for u in k[2] if not _is(u, "unit")]
                else:
                    scalars.append(k)
        out.append((number, tuple(sorted(scalars, key=repr))))
    return sorted(out, key=repr)


# -- rules that rewrite one node in place: the two lines are the same tree but where the move was made --

def _in_place(move):
    """A check for a rule that rewrites nodes in place: walking both lines together, each node is
    as it was or `move(node before, node after)` holds for it, at least one move made."""

    def walk(b: Expr, a: Expr) -> int | None:  # the number of moves, None where something else changed
        if b == a:
            return 0
        if move(b, a):
            return 1
        if isinstance(b, Add) and isinstance(a, Add) and len(a.terms) > len(b.terms):
            return terms(list(b.terms), list(a.terms), Add)
        if isinstance(b, MatMul) and isinstance(a, MatMul) and len(a.factors) > len(b.factors):
            return terms(list(b.factors), list(a.factors), MatMul)
        if type(b) is not type(a) or len(b.children()) != len(a.children()) or any(
                not isinstance(u, Expr) and not isinstance(u, tuple) and u != v for u, v in zip(b.key(), a.key())):
            return None
        total = 0
        for u, v in zip(b.children(), a.children()):
            n = walk(u, v)
            if n is None:
                return None
            total += n
        return total

    def terms(bs: list, as_: list, kind) -> int | None:
        """A sum's terms (a product's factors) in order, a term rewritten into a sum written into the
        sum around it (a factor into a product, into the product around it)."""
        if not bs:
            return 0 if not as_ else None
        for k in range(1, len(as_) - len(bs) + 2):
            n = walk(bs[0], as_[0]) if k == 1 else (1 if move(bs[0], kind(tuple(as_[:k]))) else None)
            rest = terms(bs[1:], as_[k:], kind) if n is not None else None
            if rest is not None:
                return n + rest
        return None

    def applies(before: Expr, after: Expr) -> bool:
        return bool(walk(before, after))

    applies.__doc__ = move.__doc__
    return applies


def _same(a: Expr, b: Expr, reading: str = "") -> bool:
    """The same expression, a product's scalars in any place (and, reading "ᵀ", transposes in a
    trace pushed to the leaves)."""
    return _key(a, reading) == _key(b, reading)


def _chain_of(e: Expr) -> tuple[list, list]:
    factors = e.factors if isinstance(e, MatMul) else (e,)
    return [f for f in factors if f.is_scalar], [f for f in factors if not f.is_scalar]


def _shown_t(e: Expr) -> Expr:
    return alg.transpose(e) if e.is_scalar or isinstance(e, (Sym, Transpose, Identity, Ones, Zero)) else Transpose(e)


@_in_place
def _sum_as_trace(b: Expr, a: Expr) -> bool:
    """sum: sum(M) = tr(𝟏ᵀ M) where a sum of entries was, nothing else changed."""
    if not (isinstance(b, Sum) and isinstance(a, Trace)):
        return False
    ones = next((f for f in _chain_of(a.arg)[1]), None)
    return ones is not None and alg.transpose(ones) == Ones(b.arg.shape) and _same(a.arg, MatMul((ones, b.arg)))


@_in_place
def _vec_as_trace(b: Expr, a: Expr) -> bool:
    """vec-trace: tr(vec(A)ᵀ (P ⊗ Q) ⋯ vec(B)) = tr(Aᵀ Q ⋯ B ⋯ Pᵀ) where that trace was, nothing else changed."""
    if not (isinstance(b, Trace) and isinstance(a, Trace)):
        return False
    scalars, chain = _chain_of(b.arg)
    if len(chain) < 2 or not (isinstance(chain[0], Transpose) and isinstance(chain[0].arg, Vec)
                              and isinstance(chain[-1], Vec)):
        return False
    middle = [chain[-1].arg]
    for k in reversed(chain[1:-1]):  # (P ⊗ Q) vec(M) = vec(Q M Pᵀ); (P ⊗ Q)ᵀ = Pᵀ ⊗ Qᵀ
        if isinstance(k, Transpose) and isinstance(k.arg, Kron):
            k = Kron(alg.transpose(k.arg.left), alg.transpose(k.arg.right))
        if not isinstance(k, Kron):
            return False
        middle = [k.right, *middle, _shown_t(k.left)]
    return _same(a, Trace(MatMul((*scalars, _shown_t(chain[0].arg.arg), *middle))), "ᵀ")


@_in_place
def _diag_in_trace(b: Expr, a: Expr) -> bool:
    """diag: tr(P diag(u)) = tr(diag(P)ᵀ u), tr(pᵀ diag(M)) = tr(diag(p) M), the diagonal last in the
    trace, where that trace was, nothing else changed."""
    if not (isinstance(b, Trace) and isinstance(a, Trace)):
        return False
    scalars, chain = _chain_of(b.arg)
    if not chain or not isinstance(chain[-1], (Diag, Diagonal)):
        return False
    last, rest = chain[-1], chain[:-1]
    if isinstance(last, Diagonal):  # pᵀ diag(M): diag(p) M
        p = alg.transpose(MatMul(tuple(rest)) if len(rest) > 1 else rest[0]) if rest else Ones(last.shape)
        want = MatMul((*scalars, Diag(p), last.arg))
    else:  # P diag(u): diag(P)ᵀ u
        left = _shown_t(Diagonal(MatMul(tuple(rest)) if len(rest) > 1 else rest[0])) if rest else \
            Ones((1, last.shape[0]))
        want = MatMul((*scalars, left, last.arg))
    return _same(a, Trace(want), "ᵀ")


@_in_place
def _product_rule(b: Expr, a: Expr) -> bool:
    """product: d(U V W) = dU V W + U dV W + U V dW (also for ∘ and ⊗), term for term: where d of a
    product was, the sum over its factors that depend on X of the product with that factor's d(…) in
    its place (dX, dXᵀ for X, Xᵀ), every other factor as it was; nothing else changed."""
    if not isinstance(b, DifferentialOf) or not _is_product(b.arg, b.var):
        return False
    u, var = b.arg, b.var
    parts = [u.left, u.right] if isinstance(u, Kron) else list(u.factors)
    build = (lambda fs: Kron(*fs)) if isinstance(u, Kron) else (lambda fs: type(u)(tuple(fs)))
    terms = [build(parts[:i] + [_d(f, var)] + parts[i + 1:]) for i, f in enumerate(parts) if _depends(f, var)]
    return _same(a, Add(tuple(terms)))


def _d(f: Expr, var) -> Expr:
    if f == var:
        return Differential(var)
    if isinstance(f, Transpose) and f.arg == var:
        return alg.transpose(Differential(var))
    return DifferentialOf(f, var)


def _worked_out(rewrites):
    """A check for a rule with one way to write d(U): each d(U) the step worked out is replaced by one
    of `rewrites(U, X)` in the line before, which then reads as the line after (a product's scalars in
    any place, its numbers multiplied); nothing else changed."""

    def applies(before: Expr, after: Expr) -> bool:
        worked = _pending(before) - _pending(after)
        if not worked:
            return False
        choices = [[(p, r) for r in rewrites(p.arg, p.var)] for p in worked]
        if not all(choices):
            return False
        target = _key(after, "")
        for pick in _picks(choices):
            if _key(_replaced(before, dict(pick)), "") == target:
                return True
        return False

    return applies


def _picks(choices):
    out = [[]]
    for c in choices:
        out = [p + [x] for p in out for x in c]
    return out


def _replaced(e: Expr, mapping: dict) -> Expr:
    if e in mapping:
        return mapping[e]
    if not e.children():
        return e
    return type(e)(*(_replaced(v, mapping) if isinstance(v, Expr) else tuple(
        _replaced(u, mapping) if isinstance(u, Expr) else u for u in v) if isinstance(v, tuple) else v
        for v in e.key()))


def _chain_rule(u: Expr, var) -> list:
    """d(uᵖ) = p uᵖ⁻¹ du, u a scalar."""
    if not _is_scalar_power(u, var):
        return []
    return [MatMul((Const(u.exponent), alg.power(u.base, u.exponent - 1), _d(u.base, var)))]


def _inverse_rule(u: Expr, var) -> list:
    """d(U⁻¹) = -U⁻¹ dU U⁻¹; d(U⁻ᵏ) = -Σᵣ₌₁ᵏ U⁻ʳ dU U⁻⁽ᵏ⁺¹⁻ʳ⁾ (the product rule on U⁻¹ ⋯ U⁻¹)."""
    if not (isinstance(u, Power) and not u.base.is_scalar and u.exponent < 0 and u.exponent.denominator == 1):
        return []
    k, du = -int(u.exponent), _d(u.base, var)
    terms = tuple(MatMul((Const(-1), alg.power(u.base, -r), du, alg.power(u.base, r - k - 1))) for r in range(1, k + 1))
    return [terms[0] if k == 1 else Add(terms)]


def _commuted(before: Expr, after: Expr) -> bool:
    """commutation: vec(dXᵀ) = K vec(dX), K the commutation matrix, at each vec(dXᵀ); nothing else changed."""
    ks = {n for n in postorder(after) if isinstance(n, Commutation)} - set(postorder(before))
    if len(ks) != 1:
        return False
    k = ks.pop()

    def put(e: Expr) -> Expr:
        if isinstance(e, Vec) and isinstance(e.arg, Transpose) and isinstance(e.arg.arg, Differential):
            return MatMul((k, Vec(e.arg.arg)))
        if not e.children():
            return e
        return type(e)(*(put(v) if isinstance(v, Expr) else tuple(put(u) if isinstance(u, Expr) else u for u in v)
                         if isinstance(v, tuple) else v for v in e.key()))

    put_in = put(before)
    return put_in != before and _same(put_in, after)


def _read_off_derivative(before: Expr, after: Expr) -> bool:
    """jacobian and hessian: df = J dx gives J (J vec(dX) gives J; 0 gives 0): the line after is the
    factor in front of dx as it was; or, in the denominator layout, the transpose of a J read off."""
    if before == after:
        return False
    if alg.is_zero(before):
        return alg.is_zero(after)
    if not _has_differential(before):
        return after in (alg.transpose(before), Transpose(before))
    factors = before.factors if isinstance(before, MatMul) else (before,)
    if not _is_d_column(factors[-1]):
        return False
    rest = factors[:-1]
    if not rest:
        return isinstance(after, Identity)
    return _same(after, rest[0] if len(rest) == 1 else MatMul(tuple(rest)))


def _symmetric_part(before: Expr, after: Expr) -> bool:
    """symmetric: G gives (1/2) (G + Gᵀ), the terms of G as they were."""
    if not (isinstance(after, MatMul) and len(after.factors) == 2 and after.factors[0] == Const(Fraction(1, 2))
            and isinstance(after.factors[1], Add)):
        return False
    terms = before.terms if isinstance(before, Add) else (before,)
    return any(_same(after.factors[1], Add((*terms, t))) for t in (Transpose(before), alg.transpose(before)))


def _entry_by_entry(before: Expr, after: Expr) -> bool:
    """einstein: the line after is written entry by entry (an index form), and no function, power or
    norm appears that was not there. Not term for term: an index form is a sum over index labels, and
    reading it back as the matrix line before is calculus/einstein's own work, so a second reader here
    would be the code under test again; every step is checked numerically instead."""
    return before != after and any(isinstance(n, IndexForm) for n in postorder(after)) and \
        _nonlinear(after) <= _nonlinear(before)


def _tidied(before: Expr, after: Expr) -> bool:
    """simplify: routine tidying differentiates nothing: no d(…) is worked out or left open. Not term
    for term: simplify is the table of tidy-ups ((AB)ᵀ = BᵀAᵀ, like terms, XᵃXᵇ = Xᵃ⁺ᵇ, A I = A,
    cancellations, exp(x) / sum(exp(x)) named softmax(x)), each a rewrite of the algebra, and which of
    them a line needed is the algebra's to say; the trace rules and distributive, which simplify's
    lines must not do, have their own steps and checks."""
    return before != after and _pending(before) == _pending(after)


def _linearity(before: Expr, after: Expr) -> bool:
    """d passes through sums, tr, ᵀ and constant factors (multiplying out and collecting terms
    after df is distributive's step, not this rule's)."""
    return bool(_pending(before)) and _differential_rule(_is_linear)(before, after)


# -- definition: softmax named where f writes it out ---------------------------------------------

def _softmax_argument(e: Expr):
    """z where e is sum(exp(z)) or 𝟏ᵀ exp(z) for a column z (softmax's denominator), else None."""
    ones = isinstance(e, MatMul) and len(e.factors) == 2 and (
        isinstance(e.factors[0], Ones) or isinstance(e.factors[0], Transpose) and isinstance(e.factors[0].arg, Ones))
    inner = e.arg if isinstance(e, Sum) else e.factors[1] if ones else None
    if isinstance(inner, Func) and inner.name == "exp" and inner.shape[1] == 1 and inner.shape[0] != 1:
        return inner.arg
    return None


def softmax_named(e: Expr) -> Expr:
    """e with each exp(z) / sum(exp(z)) (or / 𝟏ᵀ exp(z)) written softmax(z), z a column: in a product,
    the exp(z) factor takes the place of both; and each log(sum(exp(z))) written logsumexp(z);
    nothing else changed."""
    if not e.children():
        return e
    if isinstance(e, Func) and e.name == "log" and _softmax_argument(e.arg) is not None:
        return Func("logsumexp", softmax_named(_softmax_argument(e.arg)))
    if isinstance(e, MatMul):
        factors = [softmax_named(f) for f in e.factors]
        for i, d in enumerate(factors):
            z = _softmax_argument(d.base) if isinstance(d, Power) and d.exponent == -1 else None
            j = next((j for j, f in enumerate(factors) if isinstance(f, Func) and f.name == "exp" and f.arg == z),
                     None) if z is not None else None
            if j is not None:
                factors[j] = Func("softmax", z)
                del factors[i]
                break
        return factors[0] if len(factors) == 1 else MatMul(tuple(factors))
    values = [softmax_named(v) if isinstance(v, Expr) else
              tuple(softmax_named(u) if isinstance(u, Expr) else u for u in v) if isinstance(v, tuple) else v
              for v in e.key()]
    return type(e)(*values)


def named_by_definition(before: Expr, after: Expr) -> bool:
    """definition: the line after is the line before with softmax and logsumexp written for their
    definitions, nothing else."""
    named = softmax_named(before)
    return named != before and _key(named, "definition") == _key(after, "definition")  # products read flat


CHECKS = {
    "1.A": transposed_in_trace,
    "1.B": split_or_collect,
    "1.C": scalars_across_trace,
    "1.D": rotated,
    "3.A": read_off,
    "3.C": transposed_in_trace,
    "scalar-trace": scalar_trace,
    "linearity": _linearity,
    "product": _product_rule,
    "quotient": _differential_rule(_is_quotient, lambda u, var: _quotient_brings(u)),
    "chain": _worked_out(_chain_rule),
    "elementwise": _differential_rule(lambda u, var: isinstance(u, HadamardPower),
                                      lambda u, var: [alg.hadamard_power(u.base, u.exponent - 1)]),
    "norm": _differential_rule(_is_norm, lambda u, var: [alg.power(u, -1)] if isinstance(u, Norm) else []),
    "3.D": _differential_rule(lambda u, var: isinstance(u, Det) and u.arg == var, lambda u, var: [alg.inverse(u.arg)]),
    "jacobi": _differential_rule(lambda u, var: isinstance(u, Det), lambda u, var: [alg.inverse(u.arg)]),
    "logdet": _differential_rule(lambda u, var: isinstance(u, Func) and u.name == "log" and isinstance(u.arg, Det),
                                 lambda u, var: [alg.inverse(u.arg.arg)]),
    "inverse": _worked_out(_inverse_rule),
    "power": lambda before, after: _power(before, after),
    "exponent": _differential_rule(lambda u, var: isinstance(u, VariablePower) and u.base.is_scalar,
                                   lambda u, var: [alg.func("log", u.base),
                                              alg.variable_power(u.base, alg.sub(u.exponent, alg.const(1)))]),
    "2.A": _differential_rule(lambda u, var: quadratic_form(u, var) is not None, whole=True),
    "3.B": _differential_rule(lambda u, var: seed_3b(u, var) is not None, whole=True),
    "hadamard": lambda before, after: _hadamard(before, after),
    "sum": _sum_as_trace,
    "diag": _diag_in_trace,
    "vec-trace": _vec_as_trace,
    "distributive": distributed,
    "definition": named_by_definition,
    "det": _only("det"),
    "commutation": _commuted,
    "vec": vec_form,
    "jacobian": _read_off_derivative,
    "hessian": _read_off_derivative,
    "symmetric": _symmetric_part,
    "einstein": _entry_by_entry,
    "simplify": _tidied,
}
CHECKS.update({f.name: _function(f.name) for f in functions.TABLE})

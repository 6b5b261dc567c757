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
  a row of quotients times their denominators       (y ⊘ e)ᵀ e = eᵀ (y ⊘ e) = sum(y)
  diagonal matrices added                           diag(a) - diag(b) = diag(a - b)
  a factor that every term shares taken out         -Xᵀ W r - Xᵀ Wᵀ r = -Xᵀ (W + Wᵀ) r
    (on the left or the right of each term's matrix chain): Xᵀ exp(X w) - Xᵀ y =
    Xᵀ (exp(X w) - y). A lone column vector shared on the right, or a lone variable around a
    sum M + Mᵀ, stays in its terms, as the seed and the Cookbook write A x + Aᵀ x and B X + Bᵀ X.
  an elementwise factor of every term taken out     σ - σ∘² = σ ∘ (𝟏 - σ), a ∘ (s Wᵀ b) - a ∘ Wᵀ c = a ∘ Wᵀ (s b - c)
  the logistic function named                       𝟏 ⊘ (𝟏 + exp(-z)) = exp(z) ⊘ (𝟏 + exp(z)) = σ(z),
                                                    exp(-z) ⊘ (𝟏 + exp(-z)) = 𝟏 - σ(z)
  and taken out of a sum, for scalars too           σ - σ² = σ (1 - σ)
  softmax named, each exp(z) of a product taking    exp(z) / sum(exp(z)) = exp(z) / (𝟏ᵀ exp(z)) = softmax(z),
    one power of the denominator                    exp(z) exp(z)ᵀ / sum(exp(z))² = softmax(z) softmax(z)ᵀ,
                                                    diag(exp(z)) / sum(exp(z)) = diag(softmax(z))
  log-sum-exp named                                 log(sum(exp(z))) = log(𝟏ᵀ exp(z)) = logsumexp(z)

and, last, σ's derivative written as one piece: σ(z) ∘ (𝟏 - σ(z)) ∘ δ, not σ(z) ∘ δ ∘ (𝟏 - σ(z)).
"""
from __future__ import annotations

import math
from fractions import Fraction

from . import algebra as alg
from . import kronecker as kr
from .functions import BY_NAME as _FUNCTIONS
from .expr import any_node, node_types
from .expr import (
    ONE, Add, Const, Det, Diag, Diagonal, Expr, Func, Hadamard, HadamardPower, Identity, Integer, Kron, MatMul,
    Norm, Ones, Power, Sum, Sym, Trace, Transpose, Vec, Zero, postorder,
)

_ONE = ONE.value  # algebra's shared 1 (building a Fraction is not free): the coefficient of a term without one


def present(e: Expr) -> Expr:
    """e in the form the textbook writes it (equal to e)."""
    return sigma_derivative_together(positive_first(common_scalars(group_scalars(scalar_units(rewrite(e))))))


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
    unchanged = _UNCHANGED
    if unchanged.get(id(e)) is e:  # rewritten before as it is (`present` asks again, after `shortest`)
        return e
    if _plain(e):  # (most gradients) seen on its factors, without gathering its node types
        plain = _PLAIN
        if len(plain) >= alg._KEPT:
            plain.clear()
        plain[id(e)] = e
        return _inert_sum(e) if type(e) is Add else e
    bits = node_types(e)
    if not bits & ~_INERT:  # no node that a rule changes: e as it is, without a walk
        return e
    if type(e) is Add and not bits & ~_INERT & ~Add.type_bit and not any(
            node_types(t) & ~_INERT for t in e.terms):
        return _inert_sum(e)
    done: dict[int, Expr] = {}
    stack: list[tuple[Expr, bool]] = [(e, False)]
    unchanged = _UNCHANGED
    while stack:  # each distinct node once, children first, as expr.postorder; not into _UNCHANGED
        node, expanded = stack.pop()
        children = node.children()
        if not children:  # a leaf: no rule of _RULES is for a leaf, it stays as it is
            done[id(node)] = node
            continue
        if not expanded:
            if id(node) in done:
                continue
            if unchanged.get(id(node)) is node:
                done[id(node)] = node
                continue
            stack.append((node, True))
            stack.extend([(child, False) for child in reversed(children)])
            continue
        kids = [done[id(c)] for c in children]
        node_now = node
        for a, b in zip(kids, children):
            if a is not b:
                build = _REBUILD.get(type(node))
                if build is not None:
                    node_now = build(node, kids)
                break
        rule = _RULES.get(type(node_now))
        out = done[id(node)] = rule(node_now) if rule is not None else node_now
        if out is node:
            if len(unchanged) >= alg._KEPT:
                unchanged.clear()
            unchanged[id(node)] = node
    return done[id(e)]


def _inert_sum(e: Add) -> Expr:
    """A sum of inert terms (most gradients): each term stays, the sum's own rule only."""
    out = _any_sum(e)
    if out is e:
        unchanged = _UNCHANGED
        if len(unchanged) >= alg._KEPT:
            unchanged.clear()
        unchanged[id(e)] = e
    return out


# The node types that no rule of _RULES changes, as a node or as a factor of a product (whose
# rules look for ∘, diag, 𝟏, powers, sums and functions among its factors): an expression of
# these alone is its own rewrite.
_INERT = 0
for _type in (Sym, Integer, Const, Identity, Zero, Transpose, MatMul, Trace, Det):
    _INERT |= _type.type_bit
del _type


def _plain(e: Expr) -> bool:
    """Whether e is a plain term or a sum of them: a term is a variable, its transpose, a number,
    I, or a product of these. Its node types are all _INERT but Add at the top: no rule of
    _RULES applies in it but the sum's own, and it holds no ∘ and no function."""
    for term in e.terms if type(e) is Add else (e,):
        kind = type(term)
        if kind is MatMul:
            for f in term.factors:
                kind = type(f)
                if not (kind is Sym or kind is Const or kind is Transpose and type(f.arg) is Sym or kind is Identity):
                    return False
        elif not (kind is Sym or kind is Const or kind is Transpose and type(term.arg) is Sym or kind is Identity):
            return False
    return True


# The sums and terms that `rewrite` found _plain: the passes that look for ∘ or a function
# (_hadamard_common, σ's) know at once that they hold none, without gathering their node types
# (node_types walks the whole expression the first time). By identity, as _UNCHANGED below.
_PLAIN: dict[int, Expr] = alg.table()


# The nodes `rewrite` gave back as they are: each child did too, and the node's own rule
# returned it, so rewriting it again (`present` does, after `shortest`) would again; it is not
# walked. By identity, the node kept alive so that its id stays its own; emptied when full and
# by a batch after each line (algebra.forget).
_UNCHANGED: dict[int, Expr] = alg.table()


def _product(e: MatMul) -> Expr:
    """diag(a) diag(b) = diag(a ∘ b), diag(a) b = a ∘ b for a vector b, 𝟏ᵀ(a ∘ b) = aᵀ b."""
    for f in e.factors:  # each rule below needs a diag, 𝟏 or ∘ among the factors
        if type(f) in _PRODUCT_RULE_FACTORS:
            break
    else:
        return e
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
        elif type(f) is Hadamard and f.shape[0] == 1 and g.shape[1] == 1 and not g.is_scalar \
                and _fewer_factors(alg.hadamard(alg.transpose(f), g), len(f.factors) + 1):
            # (a ∘ b)ᵀ c = sum(a ∘ b ∘ c), when factors cancel: (y ⊘ e)ᵀ e = sum(y)
            factors[i:i + 2] = [_sum_entries(alg.sum_entries(alg.hadamard(alg.transpose(f), g)))]
        elif f.shape[0] == 1 and type(g) is Hadamard and g.shape[1] == 1 and not f.is_scalar \
                and _cancels(alg.transpose(f), g):
            # aᵀ (b ∘ c) = sum(a ∘ b ∘ c), when a cancels: eᵀ (y ⊘ e) = sum(y)
            factors[i:i + 2] = [_sum_entries(alg.sum_entries(alg.hadamard(alg.transpose(f), g)))]
        else:
            i += 1
            continue
        changed = True
        i = max(i - 1, 0)
    return kr.times(*factors) if changed else e


_PRODUCT_RULE_FACTORS = frozenset({Diag, Ones, Hadamard})


def _fewer_factors(e: Expr, n: int) -> bool:
    return (len(e.factors) if type(e) is Hadamard else 1) < n


def _elementwise_powers(e: Expr) -> dict[Expr, Fraction]:
    """e as a product of elementwise powers: base → exponent."""
    factors = e.factors if type(e) is Hadamard else (e,)
    return {f.base if type(f) is HadamardPower else f: f.exponent if type(f) is HadamardPower else _ONE
            for f in factors}


def _cancels(a: Expr, b: Expr) -> bool:
    """Whether a ∘ b loses a base of a: a ∘ (y ⊘ a) = y."""
    mine, theirs = _elementwise_powers(a), _elementwise_powers(b)
    return any(p + theirs.get(base, 0) == 0 for base, p in mine.items())


def _sum(e: Add) -> Expr:
    out = _diagonals(e)
    return _common_factors(out) if isinstance(out, Add) else out


def _diagonals(e: Add) -> Expr:
    """c₁ diag(a₁) + c₂ diag(a₂) + ... = diag(c₁ a₁ + c₂ a₂ + ...), in the place of the first."""
    places = [i for i, t in enumerate(e.terms) if type(t) is Diag or type(t) is MatMul and len(t.factors) == 2
              and type(t.factors[0]) is Const and type(t.factors[1]) is Diag]  # c diag(a), not split to see it
    if len(places) < 2:
        return e
    inside = []
    for i in places:
        c, d = alg.split_coefficient(e.terms[i])
        inside.append(alg.scale(c, d.arg))
    inner = alg.add(*inside)
    merged = kr.diag(_any_sum(inner) if type(inner) is Add else inner)  # the merged sum takes the rules too
    terms = [merged if i == places[0] else t for i, t in enumerate(e.terms) if i == places[0] or i not in places]
    return alg.add(*terms)


def _common_factors(e: Add) -> Expr:
    """Matrix factors on the left and on the right that every term has, taken out once."""
    if e.shape[0] != 1 and not (_an_end_in_every_term(e.terms) if e.shape[1] != 1
                                else _some_factor_in_every_term(e.terms)):
        return e  # nothing to take out (most sums): not split up to find that
    split = []
    for t in e.terms:
        t = scalar_units(t)  # x xᵀ A x is (xᵀ A x) x: x is not shared
        factors = _rest_factors(t)  # of t = c · rest, rest not built
        scalars = [f for f in factors if f.is_scalar]
        chain = [f for f in factors if not f.is_scalar]
        if not chain or t.is_scalar:  # (a 1×1 product of matrices, xᵀ a: a number)
            return e
        split.append((alg.coefficient(t), scalars, chain))
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
    shared = first[:left] + first[len(first) - right:]
    lone = sum(occurrences(f) for f in shared) < 2
    if lone and not (shared[-1].shape[1] == 1 and right) and _transposed_pairs(split, left, right):
        return e  # as the test below finds, seen on the chains without building the inner sum
    coefficients = [c for c, _, _ in split]
    common = Fraction(math.gcd(*(c.numerator for c in coefficients)),
                      math.lcm(*(c.denominator for c in coefficients)))
    common = -common if all(c < 0 for c in coefficients) else common
    inner = alg.add(*(alg.scale(c / common, kr.times(*scalars, *chain[left:len(chain) - right]))
                      for c, scalars, chain in split))
    if isinstance(inner, Add):
        inner = _sum(inner)
    if lone and isinstance(inner, Add) and (
            shared[-1].shape[1] == 1 and right  # A w / s - B w / t: a column stays in its terms
            or alg.transpose(inner) is inner and any(alg.transpose(t) != t for t in inner.terms)):
        return e  # a lone variable around a sum M + Mᵀ: A x + Aᵀ x and B X + Bᵀ X, as written
    return alg.scale(common, kr.times(*first[:left], positive_first(inner), *first[len(first) - right:]))


def _transposed_pairs(split, left: int, right: int) -> bool:
    """Whether the inner sum of _common_factors (the terms' chains without their shared ends) is
    surely a sum M + Mᵀ that _sum leaves as it is, some term not symmetric: each inner term a
    product of variables and their transposes, no coefficient, scalar or like term to change
    it; each factor read as (variable, transposed), the terms compared without building them
    (or their transposes). False when unsure: the sum is then built and looked at."""
    c0 = split[0][0]
    inner = []
    for c, scalars, chain in split:
        if scalars or c is not c0 and c != c0:  # (mostly the shared 1: Fraction's != is Python code)
            return False
        middle = chain[left:len(chain) - right]
        previous = None
        for f in middle:
            if type(f) is not Sym and not (type(f) is Transpose and type(f.arg) is Sym):
                return False
            if previous is not None and (previous._hash == f._hash or previous.shape[1] != f.shape[0]):
                return False  # X X = X², or not a chain: mul's business
            previous = f
        inner.append(tuple([(f, False) if type(f) is Sym else (f.arg, True) for f in middle]))
    rows, cols = split[0][2][left].shape[0], split[0][2][len(split[0][2]) - right - 1].shape[1]
    terms = set(inner)
    if len(terms) < len(inner) or rows == 1 or cols == 1:
        return False  # like terms, or a row or a column: _sum may take more out
    if len({term[0] for term in inner}) == 1 or len({term[-1] for term in inner}) == 1:
        return False  # a shared end that _sum would take out (_an_end_in_every_term)
    transposed = [tuple([(v, False) if was or v.symmetric else (v, True) for v, was in reversed(term)])
                  for term in inner]
    # the transposes are the terms again, in another order (the terms are distinct: as many
    # transposes make the same set only if they are distinct too)
    return set(transposed) == terms and transposed != inner


def _some_factor_in_every_term(terms) -> bool:
    """Whether some matrix factor occurs in every term, a product's factors looked for inside
    its 1×1 runs too. Without one, _common_factors finds no factor to take out: the chains it
    compares are each term's matrix factors after scalar_units, which only takes 1×1 runs out
    as scalar factors (in a sum that is not a row, they stay scalars: `mul` reads a 1×1 product
    into the chain only where a row vector follows it)."""
    shared = None
    for t in terms:
        factors, stack = set(), [t]
        while stack:
            f = stack.pop()
            if type(f) is MatMul:
                stack.extend(f.factors)
            elif not f.is_scalar:
                factors.add(f)
        shared = factors if shared is None else shared & factors
        if not shared:
            return False
    return True


def _an_end_in_every_term(terms) -> bool:
    """Whether every term of a sum of matrices (neither rows nor columns) may start with the same
    matrix factor, or end with one. Else _common_factors takes nothing out: it looks at the ends
    of each term's chain after scalar_units, which takes out 1×1 runs only, and a run can begin
    only at a factor with one row and end only at one with one column (such an end, or a product
    as an end, and this says yes: the whole look decides)."""
    first_shared = last_shared = True
    first0 = last0 = None  # the first term's ends, by their kept hashes
    for t in terms:
        if type(t) is MatMul:  # its first and last matrix factors (a term of such a sum has one)
            factors = t.factors
            i, j = 0, -1
            while factors[i].is_scalar:
                i += 1
            while factors[j].is_scalar:
                j -= 1
            first, last = factors[i], factors[j]
        else:
            first = last = t
        if first.shape[0] == 1 or last.shape[1] == 1 or type(first) is MatMul or type(last) is MatMul:
            return True
        if first0 is None:
            first0, last0 = first._hash, last._hash
        else:  # equal factors hash alike (two that only collide say yes: the whole look decides)
            first_shared = first_shared and first._hash == first0
            last_shared = last_shared and last._hash == last0
    return first_shared or last_shared


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


# -- functions named: the logistic function -------------------------------------------------------

def _one(shape) -> Expr:
    return ONE if shape == (1, 1) else Ones(shape)


def _logistic_argument(base: Expr) -> Expr | None:
    """u when base is 1 + exp(u) (or 𝟏 + exp(u)), else None."""
    if type(base) is not Add or len(base.terms) != 2:
        return None
    a, b = base.terms
    if type(a) is Func and a.name == "exp":
        a, b = b, a
    if type(b) is Func and b.name == "exp" and (a == ONE or type(a) is Ones):
        return b.arg
    return None


def _sigma(u: Expr) -> Expr:
    """σ(u), written 𝟏 - σ(z) when u = -z: the argument without a minus, so that σ(X w) and
    𝟏 - σ(X w) meet and cancel."""
    c, rest = alg.split_coefficient(u)
    if c < 0:
        return alg.sub(_one(u.shape), alg.func("sigmoid", alg.scale(-c, rest)))
    return alg.func("sigmoid", u)


def _logistic(factors: list[tuple[Expr, Fraction]]) -> list[tuple[Expr, Fraction]] | None:
    """The powers of a product with 1 ⊘ (1 + exp(u)) written σ(-u), then exp(z) ∘ (𝟏 - σ(z))
    written σ(z) and exp(-z) ∘ σ(z) written 𝟏 - σ(z); None when nothing changes."""
    changed = False
    out: list[tuple[Expr, Fraction]] = []
    for base, p in factors:
        u = _logistic_argument(base) if p < 0 and p.denominator == 1 else None
        if u is None:
            out.append((base, p))
        else:
            out.append((_sigma(alg.neg(u)), -p))
            changed = True
    powers: dict[Expr, Fraction] = {}
    for base, p in out:
        powers[base] = powers.get(base, Fraction(0)) + p
    for base in list(powers):
        z = _sigma_argument(base)
        if z is None or powers.get(base, 0) <= 0:
            continue
        complement = type(base) is Add  # 𝟏 - σ(z) pairs with exp(z), σ(z) with exp(-z)
        partner = alg.func("exp", z if complement else alg.neg(z))
        paired = min(powers[base], powers.get(partner, Fraction(0)))
        if paired <= 0:
            continue
        powers[base] -= paired
        powers[partner] -= paired
        other = alg.func("sigmoid", z) if complement else _sigma(alg.neg(z))
        powers[other] = powers.get(other, Fraction(0)) + paired
        changed = True
    return [(b, p) for b, p in powers.items() if p] if changed else None


def _sigma_argument(e: Expr) -> Expr | None:
    """z when e is σ(z) or 𝟏 - σ(z), else None."""
    if type(e) is Func and e.name == "sigmoid":
        return e.arg
    if type(e) is Add and len(e.terms) == 2 and (e.terms[0] == ONE or type(e.terms[0]) is Ones):
        c, rest = alg.split_coefficient(e.terms[1])
        if c == -1 and type(rest) is Func and rest.name == "sigmoid":
            return rest.arg
    return None


def sigma_derivative_together(e: Expr) -> Expr:
    """σ's derivative written as one piece, σ(z) ∘ (𝟏 - σ(z)) ∘ δ rather than σ(z) ∘ δ ∘ (𝟏 - σ(z)):
    in each elementwise or scalar product, 𝟏 - σ(z) stands right after σ(z). Only the order of
    factors changes (both products commute), so this is the last step, after every rule that
    sorts factors."""
    if "sigmoid" not in _FUNCTIONS or _PLAIN.get(id(e)) is e or not node_types(e) & Func.type_bit \
            or not _has_sigmoid(e):
        return e
    done: dict[int, Expr] = {}
    for node in postorder(e):
        children = node.children()
        kids = [done[id(c)] for c in children]
        if any(a is not b for a, b in zip(kids, children)):
            node_now = _with_children(node, kids)
        else:
            node_now = node
        if type(node_now) in (Hadamard, MatMul):
            node_now = _sigma_pairs(node_now)
        done[id(node)] = node_now
    return done[id(e)]


def _has_sigmoid(e: Expr) -> bool:
    """Whether σ occurs in e (each shared node looked at once): without it, no product changes."""
    return any_node(e, lambda node: type(node) is Func and node.name == "sigmoid")


def _with_children(node: Expr, kids: list[Expr]) -> Expr:
    """node with its children replaced, as it is built (no rule applied, no factor sorted)."""
    queue = iter(kids)
    values = []
    for value in node.key():
        if isinstance(value, Expr):
            values.append(next(queue))
        elif isinstance(value, tuple) and any(isinstance(v, Expr) for v in value):
            values.append(tuple(next(queue) if isinstance(v, Expr) else v for v in value))
        else:
            values.append(value)
    return type(node)(*values)


def _sigma_pairs(e: Expr) -> Expr:
    """The factors of a product with each 𝟏 - σ(z) moved right after its σ(z) (for a matrix
    product, among the scalar factors only)."""
    factors = list(e.factors)
    movable = [i for i, f in enumerate(factors) if type(e) is Hadamard or f.is_scalar]
    for i in movable:
        f = factors[i]
        if type(f) is not Func or f.name != "sigmoid":
            continue
        j = next((j for j in movable if j > i + 1 and type(factors[j]) is Add
                  and _sigma_argument(factors[j]) == f.arg), None)
        if j is not None:
            factors.insert(i + 1, factors.pop(j))
    return e if factors == list(e.factors) else type(e)(tuple(factors))


def _power_of(base: Expr, p: Fraction) -> Expr:
    return alg.power(base, p) if base.is_scalar else alg.hadamard_power(base, p)


def _elementwise(e: Expr) -> Expr:
    """The logistic function named in an elementwise product or power."""
    if "sigmoid" not in _FUNCTIONS:
        return e
    if type(e) is Hadamard:
        factors = [(f.base, f.exponent) if type(f) is HadamardPower else (f, _ONE) for f in e.factors]
    else:
        factors = [(e.base, e.exponent)]
    named = _logistic(factors)
    if named is None:
        return e
    return alg.hadamard(*(_power_of(b, p) for b, p in named if p))


def _scalar_product(e: MatMul) -> Expr:
    """The logistic function named among the scalar factors of a product."""
    if "sigmoid" not in _FUNCTIONS:
        return e
    scalars = [(f.base, f.exponent) if type(f) is Power else (f, _ONE) for f in e.factors
               if f.is_scalar and type(f) is not Const]
    named = _logistic(scalars) if any(type(b) in (Add, Func) for b, _ in scalars) else None
    if named is None:
        return e
    others = [f for f in e.factors if not f.is_scalar or type(f) is Const]
    return kr.times(*(alg.power(b, p) for b, p in named if p), *others)


def _scalar_sigma_common(e: Add) -> Expr:
    """σ(z) taken out of a scalar sum whose every term has it: σ - σ² = σ (1 - σ)."""
    if _PLAIN.get(id(e)) is e or not node_types(e) & Func.type_bit:
        return e  # no σ
    split = []
    for t in e.terms:
        c, rest = alg.split_coefficient(t)
        # each factor in its place, the powers of a scalar σ(z) summed at its first place: a factor
        # may repeat (xᵀ x xᵀ x is (xᵀx)²), and only σ's powers are taken out
        order: list[Expr] = []
        powers: dict[Expr, Fraction] = {}
        for f in rest.factors if type(rest) is MatMul else (rest,):
            b, p = (f.base, f.exponent) if type(f) is Power else (f, _ONE)
            if type(b) is Func and b.name == "sigmoid" and b.is_scalar:
                if b not in powers:
                    order.append(b)
                powers[b] = powers.get(b, 0) + p
            else:
                order.append(f)
        split.append((c, powers, order))
    shared = {b: p for b, p in split[0][1].items() if p > 0}
    for _, powers, _ in split[1:]:
        shared = {b: min(p, powers[b]) for b, p in shared.items() if powers.get(b, 0) > 0}
    if not shared:
        return e
    inner = alg.add(*(alg.scale(c, alg.mul(*(alg.power(f, powers[f] - shared.get(f, 0)) if f in powers else f
                                             for f in order if f not in powers or powers[f] != shared.get(f, 0))))
                      for c, powers, order in split))
    out = alg.mul(*(alg.power(b, p) for b, p in shared.items()), positive_first(inner))
    return out if occurrences(out) <= occurrences(e) else e


_ELEMENTWISE = Hadamard.type_bit | HadamardPower.type_bit


def _elementwise_base(t: Expr) -> Expr | tuple:
    """What _hadamard_common takes as the one elementwise factor of a term t with no ∘: t
    without its coefficient, and without its scalar factors when one matrix factor is left.
    A product is given as its factors (a tuple): equal exactly when the products are, and
    not built again without the coefficient only to be compared."""
    kind = type(t)
    if kind is not MatMul:
        return ONE if kind is Const else t
    if len(t.factors) == 2 and type(t.factors[0]) is Const and type(t.factors[1]) is not MatMul:
        return t.factors[1]  # c · rest, rest no product
    factors = _rest_factors(t)
    matrices = [f for f in factors if not f.is_scalar]
    return matrices[0] if len(matrices) == 1 else factors


def _elementwise_bases_differ(terms) -> bool:
    """Whether the terms' _elementwise_base are not all one (each compared with the first's, which
    mostly differs at its first factor: no hash of every factor of every term)."""
    first = _elementwise_base(terms[0])
    for t in terms[1:]:
        if _elementwise_base(t) != first:
            return True
    return False


def _rest_factors(t: Expr) -> tuple:
    """The factors of rest in t = c · rest (alg.split_coefficient), rest not built: (rest,) if
    it is no product."""
    kind = type(t)
    if kind is Const:
        return (ONE,)
    if kind is not MatMul:
        return (t,)
    if type(t.factors[0]) is not Const:
        return t.factors
    if len(t.factors) == 2 and type(t.factors[1]) is MatMul:
        return t.factors[1].factors
    return t.factors[1:]


def _hadamard_common(e: Add) -> Expr:
    """An elementwise factor of every term taken out when that writes fewer variables,
    a ∘ b + a ∘ c = a ∘ (b + c), or as many for σ: σ - σ∘² = σ ∘ (𝟏 - σ)."""
    if e.is_scalar and "sigmoid" in _FUNCTIONS:
        return _scalar_sigma_common(e)
    if e.shape[0] == 1:  # scalars and rows: their elementwise products are written as columns
        return e
    if (_PLAIN.get(id(e)) is e or not node_types(e) & _ELEMENTWISE) and _elementwise_bases_differ(e.terms):
        return e  # no ∘: a factor every term shares is a whole term's matrix part, and they differ
    split = []
    for t in e.terms:
        c, rest = alg.split_coefficient(t)
        scalars: tuple[Expr, ...] = ()
        if type(rest) is MatMul and sum(not f.is_scalar for f in rest.factors) == 1:  # s (a ∘ b): s stays inside
            scalars = tuple(f for f in rest.factors if f.is_scalar)
            rest = next(f for f in rest.factors if not f.is_scalar)
        if type(rest) is Hadamard:
            powers = [(f.base, f.exponent) if type(f) is HadamardPower else (f, _ONE) for f in rest.factors]
        elif type(rest) is HadamardPower:
            powers = [(rest.base, rest.exponent)]
        else:
            powers = [(rest, _ONE)]
        split.append((c, scalars, dict(powers)))
    shared = {b: p for b, p in split[0][2].items() if p > 0 and b.shape == e.shape}
    for _, _, powers in split[1:]:
        shared = {b: min(p, powers[b]) for b, p in shared.items() if powers.get(b, 0) > 0}
    if not shared or any(scalars and all(shared.get(b) == p for b, p in powers.items()) for _, scalars, powers in split):
        return e  # s ∘ y - (sᵀy) s stays: not s ∘ (y - (sᵀy) 𝟏)
    inner = alg.add(*(alg.scale(c, alg.mul(*scalars, alg.hadamard(
        Ones(e.shape), *(_power_of(b, p - shared.get(b, 0)) for b, p in powers.items() if p != shared.get(b, 0)))))
                      for c, scalars, powers in split))
    if type(inner) is Add:  # what is left may share a matrix: σ' ∘ (s Wᵀ a - Wᵀ y) = σ' ∘ Wᵀ (s a - y)
        inner = _sum(inner)
    out = alg.hadamard(*(_power_of(b, p) for b, p in shared.items()), positive_first(inner))
    before, after = occurrences(e), occurrences(out)
    named = all(type(b) is Func and b.name in _FUNCTIONS and b.name == "sigmoid" for b in shared)
    return out if after < before or (after == before and named) else e  # σ - σ∘² = σ ∘ (𝟏 - σ)


# -- functions named: softmax --------------------------------------------------------------------

def _partition_argument(s: Expr) -> Expr | None:
    """z when s is sum(exp(z)) or 𝟏ᵀ exp(z) for a column vector z (softmax's denominator), else None."""
    if type(s) is Sum:
        inner = s.arg
    elif type(s) is MatMul and len(s.factors) == 2 and type(s.factors[0]) is Ones:
        inner = s.factors[1]
    else:
        return None
    if type(inner) is Func and inner.name == "exp" and inner.shape[1] == 1 and inner.shape[0] != 1:
        return inner.arg
    return None


def _with_softmax(f: Expr, z: Expr) -> Expr | None:
    """f with one exp(z) written softmax(z), dividing f by sum(exp(z)): in f itself, its
    transpose, its diagonal matrix, an elementwise product or a 1×1 product; None if f has none."""
    kind = type(f)
    if kind is Func:
        return alg.func("softmax", z) if f.name == "exp" and f.arg == z and f.shape[1] == 1 else None
    if kind in (Transpose, Diag):
        inner = _with_softmax(f.arg, z)
        return None if inner is None else kr.transpose(inner) if kind is Transpose else kr.diag(inner)
    if kind is Hadamard or kind is MatMul and f.is_scalar:
        for i, g in enumerate(f.factors):
            inner = _with_softmax(g, z)
            if inner is not None:
                rest = (*f.factors[:i], inner, *f.factors[i + 1:])
                return alg.hadamard(*rest) if kind is Hadamard else kr.times(*rest)
    return None


def _softmax_product(e: MatMul) -> Expr:
    """exp(z) / sum(exp(z)) = softmax(z) in a product: each exp(z) among its factors takes one
    power of a denominator sum(exp(z)) or 𝟏ᵀ exp(z); diag(exp(z)) / sum(exp(z)) = diag(softmax(z))."""
    if "softmax" not in _FUNCTIONS:
        return e
    factors = list(e.factors)
    changed = False
    for i, d in enumerate(e.factors):
        if type(d) is not Power or d.exponent >= 0 or d.exponent.denominator != 1:
            continue
        z = _partition_argument(d.base)
        if z is None:
            continue
        left = -d.exponent
        for j, f in enumerate(factors):
            while j != i and left:
                named = _with_softmax(factors[j], z)
                if named is None:
                    break
                factors[j] = named
                left -= 1
        if left != -d.exponent:
            factors[i] = alg.power(d.base, -left)
            changed = True
    return kr.times(*factors) if changed else e


def _any_product(e: MatMul) -> Expr:
    out = _scalar_product(e)
    out = _softmax_product(out) if type(out) is MatMul else out
    return _product(out) if type(out) is MatMul else out


def _any_sum(e: Add) -> Expr:
    out = _sum(e)
    return _hadamard_common(out) if type(out) is Add else out


def _logsumexp(e: Func) -> Expr:
    """log(sum(exp(z))) = log(𝟏ᵀ exp(z)) = logsumexp(z) for a column z."""
    z = _partition_argument(e.arg) if e.name == "log" and "logsumexp" in _FUNCTIONS else None
    return e if z is None else alg.func("logsumexp", z)


_RULES = {MatMul: _any_product, Add: _any_sum, Sum: _sum_entries, Func: _logsumexp,
          Hadamard: _elementwise, HadamardPower: _elementwise, Power: _elementwise}


def scalar_units(e: Expr) -> Expr:
    """Each term's 1×1 runs taken out of its matrix chain as scalar factors."""
    if isinstance(e, Add):
        terms = [scalar_units(t) for t in e.terms]
        return alg.add(*terms) if any(a is not b for a, b in zip(terms, e.terms)) else e
    if not isinstance(e, MatMul) or e.is_scalar:
        return e
    if not _row_then_column(e.factors):  # (most products)
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


def _row_then_column(factors) -> bool:
    """Whether a matrix factor with one row comes before one with one column: else _inner_unit
    finds no 1×1 run (one starts at a row, and it ends its search at the first row's column)."""
    for i, f in enumerate(factors):
        if f.shape[0] == 1 and not f.is_scalar:
            for g in factors[i + 1:]:
                if g.shape[1] == 1 and not g.is_scalar:
                    return True
            return False
    return False


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
    if not any(_scalars_and_matrices(t) for t in e.terms) and len(set(e.terms)) == len(e.terms):
        return e  # each term alone (most sums): not split up to find that
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


def _scalars_and_matrices(t: Expr) -> bool:
    """Whether t without its coefficient has both scalar and matrix factors (a group's key)."""
    if type(t) is not MatMul:
        return False
    factors = _rest_factors(t)
    return any(f.is_scalar for f in factors) and any(not f.is_scalar for f in factors)


def common_scalars(e: Expr) -> Expr:
    """The scalar factors that every term of a sum has (with the same powers) written once, in
    front: |X| tr(X) X⁻ᵀ + |X| I = |X| (tr(X) X⁻ᵀ + I). Constants are left in the terms."""
    if not isinstance(e, Add) or not any(f.is_scalar and f != ONE for f in _rest_factors(e.terms[0])):
        return e  # the first term has no scalar to share (most sums)
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
    first = alg.coefficient(e.terms[0])
    if first is _ONE or first > 0:  # (most sums start so; mostly with 1, seen without Fraction's >)
        return e
    positive = [t for t in e.terms if alg.coefficient(t) > 0]
    if not positive or positive[0] is e.terms[0]:
        return e
    return Add((*positive, *(t for t in e.terms if alg.coefficient(t) <= 0)))

"""`shortest` (calculus/differentiate.py) skips canonical.simplest where it cannot write fewer
variables (`_nothing_to_cancel`): the skip must never hide a shorter form. Checked on every
Cookbook and ML case's gradient and on cases built to need the canonical form."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cookbook_cases import CASES
from ml_cases import CASES as ML_CASES
from matcalc import api
from matcalc.calculus import algebra as alg
from matcalc.calculus import differentiate
from matcalc.calculus.canonical import simplest
from matcalc.calculus.expr import Add, Const, Det, Func, Identity, Integer, MatMul, Power, Sym, Trace, Transpose
from matcalc.calculus.present import occurrences, rewrite
from matcalc.errors import MatcalcError


def _gradients_before_shortest():
    """The rewritten gradient that `shortest` is given, for each case that has one."""
    out = []
    for c in [*CASES, *ML_CASES]:
        try:
            expression, typing = api.typed(c.expr, getattr(c, "declare", None) or None)
            var = typing.symbol(c.wrt)
            g = differentiate.gradient_from_differential(differentiate.differential(expression, var), var)
        except (MatcalcError, KeyError):
            continue  # a Jacobian, a query, a form without a gradient in matrix notation
        out.append(pytest.param(rewrite(g), id=c.id))
    return out


@pytest.mark.parametrize("g", _gradients_before_shortest())
def test_the_skip_never_hides_a_shorter_form(g):
    if differentiate._nothing_to_cancel(g):
        try:
            other = simplest(g)
        except ValueError:  # a product canonical cannot split into chains: `shortest` keeps g too
            return
        assert occurrences(other) >= occurrences(g)


A = Sym("A", ("m", "n"), False)
B = Sym("B", ("n", "m"), False)
C = Sym("C", ("m", "m"), False)
S = Sym("S", ("m", "m"), True)
X = Sym("X", ("m", "m"), False)


@pytest.mark.parametrize("e", [
    MatMul((C, X, Power(X, Fraction(-1)))),                  # X X⁻¹ meets
    Add((MatMul((A, B)), MatMul((alg.const(2), A, B)))),   # like terms: A B + 2 A B
    Add((MatMul((C, S)), MatMul((C, Transpose(S))))),        # Sᵀ = S: like terms
    Add((MatMul((C, Power(X, Fraction(1)))), MatMul((C, X)))),  # X¹ = X: like terms
    Add((MatMul((C, X)), MatMul((alg.const(-1), C, X)))),  # they cancel
], ids=["power", "like", "symmetric", "first-power", "cancel"])
def test_the_skip_is_not_taken_where_terms_may_meet(e):
    assert not differentiate._nothing_to_cancel(e)
    assert differentiate.shortest(e) is not None


def test_the_skip_is_taken_for_plain_terms():
    """H Q S X L + Sᵀ Qᵀ Hᵀ X Lᵀ: the same variables, other chains; no variable twice in a term."""
    H, Q, L = (Sym(n, ("m", "m"), False) for n in "HQL")
    T = Sym("T", ("m", "m"), False)
    e = Add((MatMul((H, Q, T, X, L)), MatMul((Transpose(T), Transpose(Q), Transpose(H), X, Transpose(L)))))
    assert differentiate._nothing_to_cancel(e)
    assert occurrences(simplest(e)) >= occurrences(e)


# -- the skip's look is the walk it replaced --------------------------------------------------

def _nothing_to_cancel_walked(e):
    """`_nothing_to_cancel` as first written: every term walked node by node, its set of
    variables (as nodes) and its plain chain made whether or not another term shares them."""
    held = {}
    for term in e.terms if type(e) is Add else (e,):
        names, stack = [], [term]
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind not in differentiate._TERM_NODES:
                return False
            if kind is Sym:
                names.append(node)
            elif kind is Const:
                if node.value == 0:
                    return False
            elif kind is Power:
                if node.exponent == 0:
                    return False
                stack.append(node.base)
            else:
                stack.extend(node.children())
        variables = frozenset(names)
        if len(variables) < len(names):
            return False
        chain = differentiate._plain_chain(term)
        others = held.setdefault(variables, [])
        if any(chain is None or other is None or chain == other for other in others):
            return False
        others.append(chain)
    return True


D, E, F = (Sym(n, ("m", "m"), False) for n in "DEF")
k = Integer("k", (1, 1), False)
s = Sym("s", (1, 1), False)
# square m×m factors (so that any list of them is a product): plain ones, mostly, and the others
PLAIN = [C, D, E, F, X, S, Transpose(C), Transpose(D), Transpose(X), Transpose(S), Identity("m")]
OTHERS = [Power(X, Fraction(-1)), Power(X, Fraction(1)), Power(X, Fraction(0)), Power(Transpose(D), Fraction(2)),
          MatMul((C, D)), Add((C, D)), Func("exp", X), Transpose(MatMul((C, X)))]
SCALARS = [alg.const(2), alg.const(-1), Const(Fraction(0)), s, Trace(X), Trace(MatMul((C, D))), Det(X),
           Power(Det(D), Fraction(-1)), k, Power(s, Fraction(0)), Trace(Power(C, Fraction(0)))]
MATRICES = st.one_of(st.sampled_from(PLAIN), st.sampled_from(PLAIN), st.sampled_from(PLAIN), st.sampled_from(OTHERS))


def _term(scalars, matrices):
    factors = (*scalars, *matrices)
    return factors[0] if len(factors) == 1 else MatMul(factors)


@settings(max_examples=800, deadline=None)
@given(st.lists(st.tuples(st.lists(st.sampled_from(SCALARS), max_size=2),
                          st.lists(MATRICES, min_size=1, max_size=4)), min_size=1, max_size=4))
@example([([], [C, X]), ([], [Transpose(X), Transpose(C)])])
@example([([], [C, X, D]), ([alg.const(2)], [D, X, C]), ([], [C, X, D])])
@example([([], [Transpose(S), X]), ([], [X, S])])  # Sᵀ X has no plain chain: X S may meet it
def test_the_skip_looks_as_the_walk_did(terms):
    e = _term(*terms[0]) if len(terms) == 1 else Add(tuple(_term(*t) for t in terms))
    assert differentiate._nothing_to_cancel(e) == _nothing_to_cancel_walked(e)


def test_the_skip_looks_as_the_walk_did_on_the_benchmark():
    from test_linear_time import _benchmark_inputs

    for source in _benchmark_inputs(300):
        for g in api.gradients_of(source, ["X"]):
            raw = differentiate.gradient_from_differential(differentiate.differential(g.expression, g.variable),
                                                            g.variable)
            assert differentiate._nothing_to_cancel(rewrite(raw)) == _nothing_to_cancel_walked(rewrite(raw)), source

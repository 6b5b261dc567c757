"""`shortest` (calculus/differentiate.py) skips canonical.simplest where it cannot write fewer
variables (`_nothing_to_cancel`): the skip must never hide a shorter form. Checked on every
Cookbook and ML case's gradient and on cases built to need the canonical form."""
from __future__ import annotations

from fractions import Fraction

import pytest

from cookbook_cases import CASES
from ml_cases import CASES as ML_CASES
from matcalc import api
from matcalc.calculus import algebra as alg
from matcalc.calculus import differentiate
from matcalc.calculus.canonical import simplest
from matcalc.calculus.expr import Add, MatMul, Power, Sym, Transpose
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

"""Issue 13 item 4: results in the simplest form an ML paper writes. Each rewrite of the last
pass is checked twice: the result against central finite differences of the input as written
(random data of distinct non-square sizes), and then its printed form."""
from __future__ import annotations

import pytest

import matcalc
from matcalc import api
from oracle import assert_gradient
from test_jacobian import assert_derivative

# (input, wrt, declarations, positive data, the form)
GRADIENTS = [
    # elementwise algebra: (a ∘ b)^{∘k} = a^{∘k} ∘ b^{∘k}, so powers of one base meet
    ("sum(p .* log(p ./ q))", "q", None, True, "-(p ./ q)"),                   # p ⊘ (p ⊘ q) = q
    ("sum(p .* log(p ./ q))", "p", None, True, "log(p ./ q) + ones"),          # a ⊘ a = 𝟏
    ("sum(X .* log(X ./ (W H)) - X + W H)", "W", None, True, "ones H^T - (X ./ W H) H^T"),
    ("sum(X ./ (W H) - log(X ./ (W H)))", "W", None, True, "(1 ./ W H) H^T - (X .* (W H).^{-2}) H^T"),
    ("sum(e .* (y ./ e) .* x)", "x", None, True, "y"),                           # e ∘ (y ⊘ e) = y
    # transposes of symmetric sums dropped, like terms merged
    ("x^T (A + A^T) x", "x", None, False, "2 (A + A^T) x"),
    ("tr(S X) - log(det(X))", "X", {"S": "symmetric", "X": "symmetric"}, False, "S - X^{-1}"),
    (r"\frac{1}{2}(tr(\Sigma_2^{-1} \Sigma_1) - \log|\Sigma_1|)", r"\Sigma_1",
     {r"\Sigma_1": "symmetric", r"\Sigma_2": "symmetric"}, False, r"(1/2) (\Sigma_2^{-1} - \Sigma_1^{-1})"),
]


@pytest.mark.parametrize("source,wrt,declare,positive,form", GRADIENTS, ids=[g[0] + " " + g[1] for g in GRADIENTS])
def test_gradient_in_textbook_form(source, wrt, declare, positive, form):
    g = assert_gradient(source, wrt, declare=declare, positive=positive)
    assert g.text == form


def test_equal_inputs_give_the_same_bytes():
    first = [matcalc.diff("sum(X .* log(X ./ (W H)) - X + W H)", "W").text, matcalc.diff("x^T (A + A^T) x", "x").text]
    second = [matcalc.diff("sum(X .* log(X ./ (W H)) - X + W H)", "W").text, matcalc.diff("x^T (A + A^T) x", "x").text]
    assert first == second

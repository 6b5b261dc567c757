"""The seed note's identities, typed the way the seed types them, as text and numerically."""
import numpy as np
import pytest

import matcalc
from oracle import assert_gradient

SEED = [
    # (id, input as the seed writes it, wrt, the seed's result in matcalc's text form, oracle)
    ("3.A", r"\nabla_A \text{tr}(AB)", None, "B^T", lambda v: v["B"].T),
    ("3.B", r"\nabla_A \text{tr}(ABA^TC)", None, "C^T A B^T + C A B",
     lambda v: v["C"].T @ v["A"] @ v["B"].T + v["C"] @ v["A"] @ v["B"]),
    ("2.A", r"\nabla_\mu \mu^TA\mu", None, r"A \mu + A^T \mu",
     lambda v: v["A"] @ v["mu"] + v["A"].T @ v["mu"]),
    ("3.D", r"\nabla_A \vert A \vert", None, "|A| A^{-T}",
     lambda v: np.linalg.det(v["A"]) * np.linalg.inv(v["A"]).T),
    # 3.C: the gradient with respect to Aᵀ is the transpose of the gradient with respect to A
    ("3.C", r"\nabla_{A^T} \text{tr}(AB)", None, "B", lambda v: v["B"]),
    ("3.C-3.B", r"\nabla_{A^T} \text{tr}(ABA^TC)", None, "B A^T C + B^T A^T C^T",
     lambda v: (v["C"].T @ v["A"] @ v["B"].T + v["C"] @ v["A"] @ v["B"]).T),
]


@pytest.mark.parametrize("rule,source,wrt,text,oracle", SEED, ids=[s[0] for s in SEED])
def test_seed_identity(rule, source, wrt, text, oracle):
    g = assert_gradient(source, wrt, oracle)
    assert g.text == text


def test_seed_unicode_form():
    assert str(matcalc.diff("tr(A B A^T C)", "A")) == "∇_A tr(A B Aᵀ C) = Cᵀ A Bᵀ + C A B"
    assert matcalc.diff(r"\nabla_\mu \mu^TA\mu").unicode == "A μ + Aᵀ μ"
    assert matcalc.diff(r"\nabla_A \vert A \vert").unicode == "|A| A⁻ᵀ"


@pytest.mark.parametrize("source", [
    "tr(ABA^TC)", "tr(A B A^T C)", r"\text{tr}(ABA^TC)", r"\operatorname{tr}(A B A^{T} C)",
    r"\mathrm{tr}(A B A^\top C)", "trace(A*B*A'*C)", r"Tr(A \cdot B \cdot Aᵀ \cdot C)",
])
def test_seed_3b_in_every_spelling(source):
    assert assert_gradient(source, "A").text == "C^T A B^T + C A B"


def test_equal_inputs_give_identical_output():
    first = [str(matcalc.diff(s, w)) for s, w in [("tr(ABA^TC)", "A"), (r"\log|X|", "X")]]
    second = [str(matcalc.diff(s, w)) for s, w in [("tr(ABA^TC)", "A"), (r"\log|X|", "X")]]
    assert first == second

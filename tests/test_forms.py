"""Forms that looked wrong although they were right: each result is checked against central
finite differences on random non-square data first (tests/oracle.py), then its printed form
against the textbook's."""
from __future__ import annotations

import numpy as np
import pytest

import matcalc
from oracle import assert_gradient

inv = np.linalg.inv


# -- a transposed negative power is written (X⁻ᵏ)ᵀ, as the Matrix Cookbook writes it --------------
# ∂tr(AX⁻¹B)/∂X = -X⁻ᵀAᵀBᵀX⁻ᵀ (Cookbook eq. 125); with A = B = I that is -(X⁻²)ᵀ, not -(Xᵀ)⁻²

NEGATIVE_POWERS = [
    ("tr(X^{-1})", "-(X⁻²)ᵀ", "-(X^{-2})^T", lambda v: -(inv(v["X"]) @ inv(v["X"])).T),
    ("tr(X^{-2})", "-2 (X⁻³)ᵀ", "-2 (X^{-3})^T", lambda v: -2 * np.linalg.matrix_power(inv(v["X"]), 3).T),
    ("tr(A X^{-2} B)", "-X⁻ᵀ Aᵀ Bᵀ (X⁻²)ᵀ - (X⁻²)ᵀ Aᵀ Bᵀ X⁻ᵀ", None,
     lambda v: -(inv(v["X"]) @ v["B"] @ v["A"] @ inv(v["X"]) @ inv(v["X"])
                 + inv(v["X"]) @ inv(v["X"]) @ v["B"] @ v["A"] @ inv(v["X"])).T),
    # the inverse itself keeps its own notation
    ("tr(A X^{-1} B)", "-X⁻ᵀ Aᵀ Bᵀ X⁻ᵀ", "-X^{-T} A^T B^T X^{-T}",
     lambda v: -(inv(v["X"]) @ v["B"] @ v["A"] @ inv(v["X"])).T),
]


@pytest.mark.parametrize("source, unicode, text, formula", NEGATIVE_POWERS, ids=[c[0] for c in NEGATIVE_POWERS])
def test_a_transposed_negative_power_is_the_transpose_of_the_power(source, unicode, text, formula):
    g = assert_gradient(source, "X", expected=formula)
    assert g.unicode == unicode
    if text is not None:
        assert g.text == text


def test_the_written_form_reads_back_and_latex_brackets_the_power():
    g = matcalc.diff("tr(X^{-1})", "X")
    assert g.latex == r"-\left(X^{-2}\right)^{T}"
    back = assert_gradient(f"tr(({g.text}) B)", "X")  # the text form is input again
    assert back.unicode == "(X⁻²)ᵀ B X⁻ᵀ + X⁻ᵀ B (X⁻²)ᵀ"
    h = matcalc.hessian("tr(X^{-1})", "X")
    assert h.unicode == "(X⁻² ⊗ X⁻ᵀ + X⁻¹ ⊗ (X⁻²)ᵀ) Kₘₘ"  # checked numerically in test_jacobian

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


# -- sqrt(u) is u to the power 1/2, and exp(u) ∘ exp(v) is exp(u + v) where that is shorter -------
# (algebra.entrywise_identities, beside |u| sign(u) = u: each holds wherever the input is defined)

MERGED = [
    ("exp(y) ./ sqrt(exp(y))", "sqrt(exp(y))"),
    ("sqrt(exp(y)) .* sqrt(exp(y))", "exp(y)"),
    ("x ./ sqrt(x)", "sqrt(x)"),
    ("sqrt(x) ./ x", "1 ./ sqrt(x)"),
    ("sqrt(x).^3", "x .* sqrt(x)"),
    ("exp(y) .* exp(-y)", "ones"),
    ("exp(y - z) .* exp(z - y)", "ones"),
    ("exp(2 y) .* exp(-y)", "exp(y)"),
    ("x .* exp(y) .* exp(-y)", "x"),
    ("sqrt(a) sqrt(a) sqrt(a)", "a sqrt(a)"),
    ("a / sqrt(a)", "sqrt(a)"),
    ("exp(a) exp(b) exp(-a)", "exp(b)"),
    # unchanged: nothing to merge
    ("x ./ x", "ones"),
    ("x .* sqrt(x)", "x .* sqrt(x)"),
    ("exp(y) .* exp(z)", "exp(y) .* exp(z)"),
    ("exp(y) .* exp(y)", "exp(y).^2"),
    ("sqrt(x.^2)", "sqrt(x.^2)"),  # |x|, not x
    # sqrt(x)^{∘2} = x is false where x < 0 (issue 12): kept
    ("sqrt(x) .* sqrt(x)", "sqrt(x).^2"),
    ("sqrt(a) sqrt(a)", "sqrt(a)^2"),
]


@pytest.mark.parametrize("source, simplest", MERGED, ids=[c[0] for c in MERGED])
def test_powers_of_sqrt_and_exp_merge(source, simplest):
    assert matcalc.simplify(source).text == simplest
    assert matcalc.verify(f"{source} = {simplest}").holds


def test_a_square_root_squared_is_not_its_argument():
    assert not matcalc.verify("sqrt(x) .* sqrt(x) = x")
    assert not matcalc.verify("sqrt(x).^4 = x.^2")


GRADIENTS = [  # checked on positive data: sqrt's domain
    ("sum(exp(y) ./ sqrt(exp(y)))", "y", "(1/2) sqrt(exp(y))", lambda v: np.exp(v["y"] / 2) / 2),
    ("a^T (sqrt(x) .* sqrt(x))", "x", "a", lambda v: v["a"]),
    ("a^T (x ./ sqrt(x))", "x", "(1/2) (a ⊘ sqrt(x))", lambda v: v["a"] / np.sqrt(v["x"]) / 2),
    ("sum(sqrt(x).^3)", "x", "(3/2) sqrt(x)", lambda v: 1.5 * np.sqrt(v["x"])),
    ("a^T (exp(A x) .* exp(-A x) .* x)", "x", "a", lambda v: v["a"]),
    ("sum(exp(2 W x) .* exp(-W x))", "W", "exp(W x) xᵀ", lambda v: np.outer(np.exp(v["W"] @ v["x"]), v["x"])),
    ("sqrt(x^T A x) sqrt(x^T A x)", "x", "A x + Aᵀ x", lambda v: (v["A"] + v["A"].T) @ v["x"]),
]


@pytest.mark.parametrize("source, wrt, shown, formula", GRADIENTS, ids=[c[0] for c in GRADIENTS])
def test_gradients_through_merged_powers(source, wrt, shown, formula):
    g = assert_gradient(source, wrt, expected=formula, positive=True)
    assert g.unicode == shown


# -- softmax's step is d softmax(z) = (diag(s) - s sᵀ) dz, as the textbook writes it ---------------

SOFTMAX_STEPS = [
    ("softmax(z)^T y", "z", "((diag(softmax(z)) - softmax(z) softmax(z)ᵀ) dz)ᵀ y"),
    ("y^T softmax(W x)", "W", "yᵀ (diag(softmax(W x)) - softmax(W x) softmax(W x)ᵀ) d(W x)"),
]


@pytest.mark.parametrize("source, wrt, line", SOFTMAX_STEPS, ids=[c[0] for c in SOFTMAX_STEPS])
def test_the_softmax_step_is_the_textbook_jacobian_times_dz(source, wrt, line):
    import test_steps
    from matcalc.derivations.rules import BY_ID
    from matcalc.derivations.steps import derive
    from matcalc.formats import render

    assert_gradient(source, wrt)
    d = derive(matcalc.diff(source, wrt))
    test_steps.check_steps(d, 0)  # each line equal to the one before, on random non-square data
    moves = [(b, s) for b, s in d.moves() if s.rule == "softmax"]
    assert len(moves) == 1
    before, step = moves[0]
    assert BY_ID["softmax"].applies(before, step.expr)
    assert render.render(step.expr, render.UNICODE) == line


def test_the_softmax_step_shows_the_textbook_form_and_a_wrong_one_is_no_instance():
    from matcalc.calculus.expr import Add, Const, Diag, MatMul, Transpose
    from matcalc.derivations.rules import BY_ID
    from matcalc.derivations.steps import derive
    from matcalc.formats import render
    from fractions import Fraction

    d = derive(matcalc.diff("softmax(z)^T y", "z"))
    before, step = next((b, s) for b, s in d.moves() if s.rule == "softmax")
    assert render.render(step.expr, render.UNICODE) == "((diag(softmax(z)) - softmax(z) softmax(z)ᵀ) dz)ᵀ y"
    outer = step.expr.factors[0].arg  # ((diag(s) - s sᵀ) dz)ᵀ y: the product inside the transpose
    s, dz = outer.factors[0].terms[0].arg, outer.factors[1]
    wrong = MatMul((Add((Diag(s), MatMul((Const(Fraction(1)), s, Transpose(s))))), dz))  # + s sᵀ
    assert not BY_ID["softmax"].applies(before, MatMul((Transpose(wrong), step.expr.factors[1])))
    jacobian = derive(matcalc.diff("softmax(z)", "z"))
    assert jacobian.rules == ["softmax", "jacobian"]  # no "distributive" step that changes nothing


# -- a coefficient that 1.C takes out of a trace is written without tr when it is 1×1 ---------------

def test_a_one_by_one_coefficient_is_written_without_tr():
    from matcalc.calculus.expr import Differential, Trace, postorder
    from matcalc.derivations.rules import BY_ID
    from matcalc.derivations.steps import derive
    import test_steps

    source = "-y^T \\log(\\exp(Wx) / (1 + \\operatorname{sum}(\\exp(Wx))))"  # dW held by a 1×1 factor
    assert_gradient(source, "W")
    d = derive(matcalc.diff(source, "W"))
    test_steps.check_steps(d, 0)  # each line equal to the one before, on random non-square data
    moves = d.moves()
    k = next(i for i, (_, s) in enumerate(moves) if s.rule == "1.C")
    before, untraced = moves[k + 1]
    assert untraced.rule == "scalar-trace" and BY_ID["scalar-trace"].applies(before, untraced.expr)
    for _, step in moves[k + 1:]:  # no tr(row column) among the coefficients any more
        assert not any(isinstance(n, Trace) and n.arg.is_scalar
                       and not any(isinstance(m, Differential) for m in postorder(n.arg))
                       for n in postorder(step.expr)), step


# -- \hat{y} and \hat{\mathbf{y}} in one input are asked about, as y and \mathbf{y} are --------------

MIXED_STYLES = [
    (r"\hat{y}^T x + \hat{\mathbf{y}}^T x", "x", r"\hat{\mathbf{y}}", r"\hat{y}"),
    (r"\hat y^T x + \hat{\bm y}^T x", "x", r"\hat{\bm y}", r"\hat{y}"),
    (r"\bar{\mathbf{x}}_1^T y + \bar{x}_1^T y", "y", r"\bar{x}_1", r"\bar{x}_1"),
    (r"x^T \mathbf{x}", "x", r"\mathbf{x}", "x"),  # the plain/bold case, as before
]


@pytest.mark.parametrize("source, wrt, marked, name", MIXED_STYLES, ids=[c[0] for c in MIXED_STYLES])
def test_a_decorated_letter_plain_and_bold_is_refused(source, wrt, marked, name):
    from typer.testing import CliRunner
    from matcalc.cli.app import app

    with pytest.raises(matcalc.MatcalcError, match="both read as the name") as caught:
        matcalc.diff(source, wrt)
    message = caught.value.message
    assert f"are both read as the name {name}: if they are two variables" in message
    start, end = caught.value.span
    assert source[start:end] == marked  # the caret under the second spelling
    result = CliRunner().invoke(app, ["diff", source, wrt])
    assert result.exit_code == 2 and "Traceback" not in result.output


SAME_STYLE = [  # one style throughout: one name, read and differentiated
    (r"\hat{\mathbf{y}}^T x + \hat{\bm{y}}^T x", "2 ŷ"),
    (r"\hat{y}^T x + \hat y^T x", "2 ŷ"),
    (r"y^T x + \hat{\mathbf{y}}^T x", "y + ŷ"),  # y and ŷ are two names
]


@pytest.mark.parametrize("source, shown", SAME_STYLE, ids=[c[0] for c in SAME_STYLE])
def test_a_decorated_letter_in_one_style_is_one_name(source, shown):
    assert assert_gradient(source, "x").unicode == shown


# -- found by feeding inputs nobody designed ----------------------------------------------------------

def test_a_bare_sum_followed_by_a_function_is_asked_about():
    r"""\sum y \log z is Σᵢ yᵢ log zᵢ in a paper: matcalc read sum(y) log(z) without a word (a function
    may follow a bare call, det A det B, but \sum reaches over its term in LaTeX)."""
    from typer.testing import CliRunner
    from matcalc.cli.app import app

    source = r"-\sum y \log \hat{y}"
    with pytest.raises(matcalc.MatcalcError, match=r"unclear how far `\\sum` reaches") as caught:
        matcalc.diff(source, "y")
    assert r"write sum(y .* \log \hat{y}) for the sum over the whole term, or sum(y) \log \hat{y}" in caught.value.message
    start, end = caught.value.span
    assert source[start:end] == r"\sum y \log \hat{y}"
    result = CliRunner().invoke(app, ["diff", source, "y"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    # both suggestions read, and differ
    whole = assert_gradient(r"-sum(y .* \log \hat{y})", r"\hat{y}", positive=True)
    assert whole.unicode == "-(y ⊘ ŷ)"
    first = assert_gradient(r"-sum(y) \log \hat{y}", r"\hat{y}", positive=True)
    assert first.unicode == "-sum(y) / ŷ"
    assert matcalc.diff(r"\det A \det B", "A").text == r"|A| |B| A^{-T}"  # a call after a call: still read


def test_one_over_x_as_a_jacobian_is_written_once_in_parentheses():
    g = matcalc.diff("1 ./ x", "x")
    assert g.lhs("text") == "d/dx (1 ./ x)" and g.lhs("unicode") == "∂(1 ⊘ x)/∂x"
    from test_jacobian import assert_derivative

    assert_derivative(g, expected=lambda v: -np.diag(v["x"] ** -2.0))


def test_matlab_transpose_says_how_matcalc_writes_it():
    with pytest.raises(matcalc.MatcalcError, match=r"unexpected character '\.': x\.' is MATLAB's transpose; write x\^T"):
        matcalc.diff("x.'*A*x", "x")
    assert assert_gradient("x'*A*x", "x").unicode == "A x + Aᵀ x"  # what the message offers reads

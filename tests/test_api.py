"""The Python API: `matcalc.diff` results with .text .latex .numpy .steps _repr_latex_
.to_sympy(), `matcalc.verify`, `matcalc.simplify`; heavy imports stay lazy."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import matcalc
from cookbook_cases import CASES
from matcalc.numeric import evaluation as numeric
from matcalc.calculus.expr import free_symbols
from matcalc.formats.interop import to_sympy


def test_diff_result_object():
    r = matcalc.diff("tr(AB)", "A")
    assert (r.text, r.latex, r.numpy) == ("B^T", "B^{T}", "B.T")
    assert r._repr_latex_() == r"$$\nabla_{A} \operatorname{tr}(A B) = B^{T}$$"
    assert str(r) == "∇_A tr(A B) = Bᵀ"


def test_steps_are_the_derivation():
    steps_module = pytest.importorskip("matcalc.derivations.steps", reason="the derivations module is not there yet")
    r = matcalc.diff(r"\nabla_A \text{tr}(ABA^TC)")
    assert r.steps and all(isinstance(s, steps_module.Step) for s in r.steps)
    assert r.steps[-1].expr == r.result
    assert "3.A" in [s.rule for s in r.steps]


def test_to_sympy_is_a_sympy_matrix_expression():
    sp = pytest.importorskip("sympy")
    m, n = sp.symbols("m n", integer=True, positive=True)
    A, B, C = sp.MatrixSymbol("A", m, n), sp.MatrixSymbol("B", n, n), sp.MatrixSymbol("C", m, m)
    r = matcalc.diff("tr(A B A^T C)", "A")
    assert r.to_sympy() == sp.MatAdd(C.T * A * B.T, C * A * B)
    X = sp.MatrixSymbol("X", m, m)
    assert matcalc.diff(r"\vert X \vert", "X").to_sympy() == sp.Determinant(X) * sp.Inverse(X.T)
    mu = sp.MatrixSymbol("mu", m, 1)
    assert matcalc.diff(r"\nabla_\mu \mu^T A \mu").to_sympy() == sp.MatrixSymbol("A", m, m) * mu \
        + sp.MatrixSymbol("A", m, m).T * mu


def sympy_value(e, symbols, values, sizes):
    import sympy as sp

    subs = {}
    for s in symbols:
        if s.is_scalar:
            subs[sp.Symbol(s.name, real=True)] = sp.Float(values[s.name][0, 0])
        else:
            shape = tuple(1 if d == 1 else sizes[d] for d in s.shape)
            subs[sp.MatrixSymbol(s.name, *shape)] = sp.ImmutableMatrix(values[s.name])
    v = e.xreplace(subs)
    if isinstance(v, sp.MatrixExpr):
        v = v.as_explicit()
    v = v.doit()
    return np.array(v.tolist() if hasattr(v, "tolist") else [[v]], dtype=float)


# SymPy is slow on explicit matrices: every kind of node, not the whole corpus
SYMPY_CASES = ["cb101_tr_AXB", "cb104_tr_AXt_prime", "cb049_det_X", "cb051_det_AXB", "cb057_log_absdet_X",
               "cb063_tr_AXinvB", "cb121_tr_X3", "sum_log_x", "sum_X_had_X", "loss_logsumexp", "sum_sqrt_X",
               "sum_A_eldiv_X", "sum_tanh_Wx", "cb120_trX_trX", "tr_aA_wrt_A", "aT_X_odot_B_c", "frob_XmI_sq",
               "norm_x", "sym_logdet_Sigma", "cb094_ratio_AxBx", "seed_muTAmu"]


@pytest.mark.parametrize("case", [c for c in CASES if c.id in SYMPY_CASES], ids=lambda c: c.id)
def test_to_sympy_evaluates_to_the_same_numbers(case):
    pytest.importorskip("sympy")
    g = matcalc.diff(case.expr, case.wrt, declared=case.declare or None)
    symbols = free_symbols(g.written)
    dims = numeric.dims_of(symbols)
    for order in ((2, 3, 4, 5), (3, 2, 4, 5)):  # small sizes, where nothing inverted is singular
        sizes = numeric.assign_sizes(dims, order, within=(g.written, g.result))
        values = {s.name: numeric.random_value(s, sizes, np.random.default_rng(0), case.positive) for s in symbols}
        want = numeric.evaluate(g.result, values, sizes)
        try:
            got = sympy_value(to_sympy(g.result, sizes), symbols, values, sizes)
        except ValueError:  # SymPy's NonInvertibleMatrixError: try the other sizes
            continue
        assert numeric.relative_error(got, want) < 1e-8, case.id
        return
    pytest.fail("no sizes where the result can be evaluated")


def test_verify_and_simplify():
    assert matcalc.verify(r"\text{tr}(AB) = \text{tr}(BA)")
    verdict = matcalc.verify("tr(AB) = tr(A)tr(B)")
    assert not verdict and "does not hold" in str(verdict)
    s = matcalc.simplify("tr(B A) + tr(A^T B^T)")
    assert (s.text, s.latex, s.numpy) == ("2 tr(A B)", r"2 \operatorname{tr}(A B)", "2 * np.trace(A @ B)")
    assert s._repr_latex_() == r"$$\operatorname{tr}(B A) + \operatorname{tr}(A^{T} B^{T}) = 2 \operatorname{tr}(A B)$$"
    assert matcalc.verify(f"tr(B A) + tr(A^T B^T) = {s.text}").how == "symbolic"


def test_errors_are_matcalc_errors():
    for call in (lambda: matcalc.diff("tr(A", "A"), lambda: matcalc.verify("A = "),
                 lambda: matcalc.simplify("A +")):
        with pytest.raises(matcalc.MatcalcError):
            call()


def test_the_command_path_imports_neither_numpy_nor_sympy():
    code = ("import sys, matcalc.cli.app, matcalc; r = matcalc.diff('tr(AB)', 'A'); r.text; r.latex; r.numpy; "
            "matcalc.simplify('tr(BA)').text; "
            "print(sorted(m for m in ('numpy', 'sympy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import sys, matcalc; matcalc.diff('tr(AB)', 'A').to_sympy(); print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


# -- a notebook's LaTeX with the derivation: steps=True (issue 17) ------------------------------------

NOTEBOOK = [("diff", "\\|W_2 \\tanh(W_1 x) - y\\|^2", "W_1"), ("diff", "tr(A X^T B)", "X"), ("diff", "A X B", "X"),
            ("hessian", "x^T A x + \\|B x\\|^2", "x")]


@pytest.mark.parametrize("command,expr,wrt", NOTEBOOK, ids=[" ".join(c) for c in NOTEBOOK])
def test_steps_true_puts_the_derivation_of_latex_steps_in_repr_latex(command, expr, wrt):
    """`diff(..., steps=True)` and `hessian(..., steps=True)`: `_repr_latex_` is the `aligned` rows of
    `-f latex --steps` in $$ math; without steps, the result alone (as README and the test above pin);
    the Markdown repr and the result itself are the same either way, and the derivation is true."""
    import test_jacobian_steps
    import test_steps
    from typer.testing import CliRunner

    from matcalc.cli.app import app
    from matcalc.derivations.steps import derive

    make = matcalc.hessian if command == "hessian" else matcalc.diff
    shown, plain = make(expr, wrt, steps=True), make(expr, wrt)
    cli = CliRunner().invoke(app, [command, expr, wrt, "-f", "latex", "--steps"])
    assert cli.exit_code == 0, cli.output
    assert shown._repr_latex_() == f"$${cli.stdout.strip()}$$"
    assert shown._repr_latex_().startswith("$$\\begin{aligned}") and shown._repr_latex_().count("&&") > 2
    assert plain._repr_latex_() == f"$${plain.lhs('latex')} = {plain.latex}$$"
    assert shown == plain and shown._repr_markdown_() == plain._repr_markdown_()
    d = derive(shown)
    if getattr(shown, "kind", "gradient") == "gradient":
        test_steps.check_steps(d, 0)  # each step against central differences, non-square sizes
    else:
        test_jacobian_steps.check_steps(d, 0)


def test_simplify_steps_true_puts_the_chain_in_repr_latex():
    from typer.testing import CliRunner

    from matcalc.cli.app import app

    source = "tr(B A) + tr(A^T B^T)"
    cli = CliRunner().invoke(app, ["simplify", source, "-f", "latex", "--steps"]).stdout.strip()
    assert matcalc.simplify(source, steps=True)._repr_latex_() == f"$${cli}$$"
    assert matcalc.simplify(source)._repr_latex_() == \
        r"$$\operatorname{tr}(B A) + \operatorname{tr}(A^{T} B^{T}) = 2 \operatorname{tr}(A B)$$"
    # nothing to show: already simplest, the one line
    assert matcalc.simplify("tr(A B)", steps=True)._repr_latex_() == r"$$\operatorname{tr}(A B) = \operatorname{tr}(A B)$$"


def test_steps_true_reaches_each_result_of_several_variables():
    results = matcalc.diff("x^T A x", ["x", "A"], steps=True)
    assert [r.wrt for r in results] == ["x", "A"]
    assert all(r._repr_latex_().startswith("$$\\begin{aligned}") for r in results)

"""Issue 14's last gap: gradients through vec and ⊗ that matrices cannot write (the matrix whose
vec is a vector, the blocks of A ⊗ B) come entry by entry, in index notation (rule einstein),
with np.einsum in the NumPy and Python output; where a closed form is cheap and general
(|X ⊗ A| = |X|ᵖ |A|ᵐ) it comes in matrix notation. Every answer is checked against central
finite differences of the input, evaluated by the independent tests/evaluator.py, on random
data of distinct sizes (3×4, 2×5; square only where det and inverses need it)."""
from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from evaluator import evaluate
from matcalc.calculus.expr import IndexForm, free_symbols
from matcalc.cli.app import app
from matcalc.errors import MatcalcError
from matcalc.numeric import evaluation as numeric
from oracle import close, fd_gradient, numpy_habit, run


def well_conditioned(rng, n):
    return rng.standard_normal((n, n)) + 3 * np.eye(n)


# (input, wrt, shapes of the variables (square ones well-conditioned), index form expected?, unicode or None)
CASES = [
    ("vec(X)^T A vec(X)", "X", {"X": (3, 4), "A": (12, 12)}, True, "[A₍ₗₖ₎ₑ vec(X)ₑ + vec(X)ᵣ Aᵣ₍ₗₖ₎]ₖₗ"),
    ("a^T kron(X, B) c", "X", {"X": (3, 4), "B": (2, 5), "a": (6, 1), "c": (20, 1)}, True, "[a₍ₖₒ₎ c₍ₗᵣ₎ Bₒᵣ]ₖₗ"),
    ("tr(kron(X, B) C)", "X", {"X": (3, 4), "B": (2, 5), "C": (20, 6)}, True, "[C₍ₗᵣ₎₍ₖₒ₎ Bₒᵣ]ₖₗ"),
    ("det(kron(X, A))", "X", {"X": 3, "A": 2}, False, "|X ⊗ A| tr(I) X⁻ᵀ"),
    # more of the family
    ("a^T kron(A, X) c", "X", {"X": (3, 4), "A": (2, 5), "a": (6, 1), "c": (20, 1)}, True, None),
    ("tr(kron(B, X) C)", "X", {"X": (3, 4), "B": (2, 5), "C": (20, 6)}, True, None),
    ("vec(X^T)^T A vec(X)", "X", {"X": (3, 4), "A": (12, 12)}, True, None),
    ("tr(X^T X) + vec(X)^T A vec(X)", "X", {"X": (3, 4), "A": (12, 12)}, True, None),
    ("vec(X)^T kron(A, B) vec(X)", "X", {"X": (3, 4), "A": (4, 4), "B": (3, 3)}, False, None),
    ("vec(X)^T kron(A, B) vec(Y)", "X", {"X": (2, 3), "A": (3, 4), "B": (2, 5), "Y": (5, 4)}, False, None),
    ("tr((kron(X, A) B)^{-1})", "X", {"X": 3, "A": 2, "B": 6}, True, None),
    ("log(det(kron(X, A)))", "X", {"X": 3, "A": 2}, False, "tr(I) X⁻ᵀ"),
    ("det(kron(A, X))", "X", {"X": 3, "A": 2}, False, "|A ⊗ X| tr(I) X⁻ᵀ"),
    ("tr(kron(X, A)^{-1})", "X", {"X": 3, "A": 2}, False, "-tr(A⁻¹) (Xᵀ)⁻²"),
    ("log(det(kron(X, A) + kron(B, C)))", "X", {"X": 3, "A": 2, "B": 3, "C": 2}, True, None),
    ("a^T kron(x, B) c", "x", {"x": (3, 1), "B": (2, 5), "a": (6, 1), "c": (5, 1)}, True, "[a₍ₖₒ₎ cₑ Bₒₑ]ₖ"),
    ("vec(x y^T)^T A vec(x y^T)", "x", {"x": (3, 1), "y": (4, 1), "A": (12, 12)}, True, None),
]
IDS = [c[0] for c in CASES]


def values_for(shapes: dict, seed: int = 0) -> dict:
    """2-D arrays by name: an int is a well-conditioned square matrix of that size."""
    rng = np.random.default_rng(seed)
    return {n: well_conditioned(rng, s) if isinstance(s, int) else rng.standard_normal(s) for n, s in shapes.items()}


def finite_differences(source: str, wrt: str, values: dict) -> np.ndarray:
    """∂f/∂X entry by entry, f evaluated by the independent evaluator."""
    return fd_gradient(lambda x: evaluate(source, {**values, wrt: x})[0, 0], values[wrt])


def sizes_of(g, values: dict) -> dict:
    sizes = {}
    for s in free_symbols(g.written):
        for d, n in zip(s.shape, values[s.name].shape):
            if isinstance(d, str):
                sizes[d] = n
    return sizes


@pytest.mark.parametrize("source, wrt, shapes, index, shown", CASES, ids=IDS)
def test_gradient_through_vec_and_kron(source, wrt, shapes, index, shown):
    g = matcalc.diff(source, wrt)
    assert isinstance(g.result, IndexForm) == index, g.unicode
    if shown is not None:
        assert g.unicode == shown
    for seed in (0, 1):
        values = values_for(shapes, seed)
        want = finite_differences(source, wrt, values)
        got = numeric.evaluate(g.result, values, sizes_of(g, values))  # matcalc's own evaluation
        close(got, want)
        env = {s.name: numpy_habit(values[s.name], s) for s in free_symbols(g.written)}
        close(run(g.numpy, env).reshape(want.shape), want)  # the pasted NumPy line
    if index:
        assert "np.einsum(" in g.numpy
        assert g.text.startswith("[") and g.text.endswith("]_{kl}" if wrt == "X" else "]_k")
        assert g.latex.startswith("\\left[") and "\\right]_" in g.latex


@pytest.mark.parametrize("source, wrt, shapes, index, shown", CASES, ids=IDS)
def test_every_format_and_steps_from_the_command_line(source, wrt, shapes, index, shown):
    for options in (["-f", "pretty"], ["-f", "text"], ["-f", "latex"], ["-f", "numpy"], ["-f", "json"],
                    ["--steps"], ["--check"]):
        result = CliRunner().invoke(app, ["diff", source, wrt, *options])
        assert result.exit_code == 0, (options, result.output, result.stderr)
        assert "Traceback" not in result.output + result.stderr
    checked = CliRunner().invoke(app, ["diff", source, wrt, "--check"])
    assert "ok" in checked.output


def test_the_numerator_layout_transposes_the_index_form():
    g = matcalc.diff("tr(kron(X, B) C)", "X", layout="numerator")
    assert isinstance(g.result, IndexForm) and g.unicode == "[C₍ₗᵣ₎₍ₖₒ₎ Bₒᵣ]ₗₖ"
    values = values_for({"X": (3, 4), "B": (2, 5), "C": (20, 6)})
    want = finite_differences("tr(kron(X, B) C)", "X", values).T
    close(numeric.evaluate(g.result, values, sizes_of(g, values)), want)
    close(run(g.numpy, values), want)


def test_a_symmetric_variable_gets_the_symmetric_gradient():
    g = matcalc.diff("vec(S)^T A vec(S)", "S", declared={"S": "symmetric"})
    assert isinstance(g.result, IndexForm)
    rng = np.random.default_rng(3)
    s = rng.standard_normal((4, 4))
    values = {"S": s + s.T, "A": rng.standard_normal((16, 16))}
    plain = finite_differences("vec(S)^T A vec(S)", "S", values)
    want = (plain + plain.T) / 2  # the gradient in the space of symmetric matrices, as matcalc defines it
    close(numeric.evaluate(g.result, values, sizes_of(g, values)), want)
    close(run(g.numpy, values), want)


def test_a_python_module_of_an_index_form_checks_itself():
    from matcalc.formats.python_code import python_code
    from test_python_derivatives import run_module

    source = "log(det(kron(X, A) + kron(B, C)))"  # no size that is a product: the module reads them all
    g = matcalc.diff(source, "X")
    assert isinstance(g.result, IndexForm)
    namespace = run_module(python_code([g]))
    assert namespace["check_gradient"]() < 1e-5
    values = values_for({"X": 3, "A": 2, "B": 3, "C": 2})
    value, gradient = namespace["f_and_grad"](**values)
    close(gradient, finite_differences(source, "X", values))


def test_the_hessian_of_an_index_form_is_refused_not_zero():
    """Its gradient is written entry by entry; differentiating that is not done yet. Never 0."""
    with pytest.raises(MatcalcError, match="entry by entry"):
        matcalc.api.hessian("vec(X)^T A vec(X)", "X")

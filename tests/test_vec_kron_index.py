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
    ("vec(X)^T A vec(X)", "X", {"X": (3, 4), "A": (12, 12)}, True, "[A₍ₗₖ₎ₐ vec(X)ₐ + vec(X)ₐ Aₐ₍ₗₖ₎]ₖₗ"),
    ("a^T kron(X, B) c", "X", {"X": (3, 4), "B": (2, 5), "a": (6, 1), "c": (20, 1)}, True, "[a₍ₖₐ₎ c₍ₗₑ₎ Bₐₑ]ₖₗ"),
    ("tr(kron(X, B) C)", "X", {"X": (3, 4), "B": (2, 5), "C": (20, 6)}, True, "[C₍ₗₐ₎₍ₖₑ₎ Bₑₐ]ₖₗ"),
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
    ("tr(kron(X, A)^{-1})", "X", {"X": 3, "A": 2}, False, "-tr(A⁻¹) (X⁻²)ᵀ"),
    ("log(det(kron(X, A) + kron(B, C)))", "X", {"X": 3, "A": 2, "B": 3, "C": 2}, True, None),
    ("a^T kron(x, B) c", "x", {"x": (3, 1), "B": (2, 5), "a": (6, 1), "c": (5, 1)}, True, "[a₍ₖₐ₎ cₑ Bₐₑ]ₖ"),
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
    assert isinstance(g.result, IndexForm) and g.unicode == "[C₍ₗₐ₎₍ₖₑ₎ Bₑₐ]ₗₖ"
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


@pytest.mark.parametrize("source, wrt, shapes, index, shown", CASES, ids=IDS)
def test_a_python_module_checks_itself(source, wrt, shapes, index, shown):
    """-f python: the module's own check, and its gradient against finite differences here (a
    size that is a product, such as A's in vec(X)ᵀ A vec(X), read off its factors)."""
    from matcalc.formats.python_code import python_code
    from test_python_derivatives import run_module

    g = matcalc.diff(source, wrt)
    namespace = run_module(python_code([g]))
    assert namespace["check_gradient"]() < 1e-5
    values = values_for(shapes)
    env = {s.name: numpy_habit(values[s.name], s) for s in free_symbols(g.written)}
    value, gradient = namespace["f_and_grad"](**env)
    want = finite_differences(source, wrt, values)
    close(np.reshape(gradient, want.shape), want)


# -- Hessians: the Jacobian of a gradient written entry by entry, entry by entry ---------------------

HESSIANS = [  # (input, wrt, shapes, hand-written formula over vec or None)
    ("vec(X)^T A vec(X)", "X", {"X": (3, 4), "A": (12, 12)}, lambda v: v["A"] + v["A"].T),
    ("vec(X)^T A vec(X) vec(X)^T vec(X)", "X", {"X": (3, 4), "A": (12, 12)}, None),
    ("a^T kron(X, B) c", "X", {"X": (3, 4), "B": (2, 5), "a": (6, 1), "c": (20, 1)}, lambda v: np.zeros((12, 12))),
    ("tr((kron(X, A) B)^{-1})", "X", {"X": 3, "A": 2, "B": 6}, None),
    ("log(det(kron(X, A) + kron(B, C)))", "X", {"X": 3, "A": 2, "B": 3, "C": 2}, None),
    ("vec(x y^T)^T A vec(x y^T)", "x", {"x": (3, 1), "y": (4, 1), "A": (12, 12)}, None),
]


def fd_hessian(source: str, wrt: str, values: dict) -> np.ndarray:
    """∂²f/∂vec(X)∂vec(X)ᵀ: central differences (step 1e-4) of central differences (step 1e-5)."""
    x0, eps = values[wrt], 1e-4
    columns = []
    for k in range(x0.size):
        step = np.zeros(x0.size)
        step[k] = eps
        step = step.reshape(x0.shape, order="F")
        up, down = (fd_gradient(lambda x: evaluate(source, {**values, wrt: x})[0, 0], x0 + s, eps=1e-5)
                    for s in (step, -step))
        columns.append(((up - down) / (2 * eps)).reshape(-1, order="F"))
    return np.column_stack(columns)


@pytest.mark.parametrize("source, wrt, shapes, formula", HESSIANS, ids=[h[0] for h in HESSIANS])
def test_hessian_through_vec_and_kron(source, wrt, shapes, formula):
    h = matcalc.api.hessian(source, wrt)
    values = values_for(shapes)
    want = fd_hessian(source, wrt, values)
    close(numeric.evaluate(h.result, values, sizes_of(h, values)), want, tol=1e-5)
    env = {s.name: numpy_habit(values[s.name], s) for s in free_symbols(h.written)}
    close(run(h.numpy, env).reshape(want.shape), want, tol=1e-5)
    if formula is not None:
        close(want, formula(values), tol=1e-5)
    if isinstance(h.result, IndexForm):
        assert h.text.endswith("]_{ij,kl}" if wrt == "X" else "]_{i,k}") and "np.einsum(" in h.numpy
    for options in (["-f", "pretty"], ["-f", "text"], ["-f", "latex"], ["-f", "numpy"], ["-f", "json"], ["--steps"]):
        result = CliRunner().invoke(app, ["hessian", source, wrt, *options])
        assert result.exit_code == 0 and "Traceback" not in result.output + result.stderr, (options, result.stderr)


@pytest.mark.parametrize("source, wrt, shapes, formula", HESSIANS, ids=[h[0] for h in HESSIANS])
def test_a_python_module_of_a_hessian_checks_itself(source, wrt, shapes, formula):
    from matcalc.formats.python_code import python_code
    from test_python_derivatives import run_module

    h = matcalc.api.hessian(source, wrt)
    assert run_module(python_code([h]))["check_hessian"]() < 1e-5

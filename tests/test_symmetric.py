"""Symmetric variables (`--symmetric S`): Sᵀ = S everywhere, and ∇_S f is the gradient in the
space of symmetric matrices, sym(G) = (G + Gᵀ)/2 with G the unconstrained gradient.

The check here does not reuse numeric.finite_difference_gradient: the defining property of a
gradient is tested directly. For random *symmetric* directions Δ, the directional derivative
(f(S + εΔ) − f(S − εΔ)) / 2ε must equal ⟨∇_S f, Δ⟩ = tr(∇_S fᵀ Δ), and ∇_S f must be symmetric
(the only symmetric matrix with that property). The Matrix Cookbook's G + Gᵀ − diag(G) is the
derivative entry by entry, ∂f/∂s_ij with s_ij = s_ji one variable: it fails that test."""
from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc import api
from matcalc.numeric import evaluation as numeric
from matcalc.cli.app import app
from matcalc.errors import MatcalcError
from matcalc.calculus.expr import free_symbols
from oracle import assert_gradient, numpy_habit, written_forms

SYM = {"S": "symmetric"}
EPS = 1e-6


def sym(m):
    return (m + m.T) / 2


def setup(g, seed, positive=False):
    rng = np.random.default_rng(seed)
    values, sizes = numeric.random_instance(free_symbols(g.written), rng, positive, within=(g.written, g.result))
    return values, sizes, rng


def directional(f, name, values, sizes, direction):
    up = numeric.scalar(f, {**values, name: values[name] + EPS * direction}, sizes)
    down = numeric.scalar(f, {**values, name: values[name] - EPS * direction}, sizes)
    return (up - down) / (2 * EPS)


def random_symmetric(rng, n):
    m = rng.standard_normal((n, n))
    return m + m.T


CASES = [  # (input, hand-written sym(G) in NumPy, unicode result)
    ("tr(A S)", lambda v: sym(v["A"].T), "(1/2) (Aᵀ + A)"),
    ("x^T S x", lambda v: np.outer(v["x"], v["x"]), "x xᵀ"),
    ("log|S|", lambda v: np.linalg.inv(v["S"]), "S⁻¹"),
    ("tr(S^2)", lambda v: 2 * v["S"], "2 S"),
    ("x^T S^{-1} x", lambda v: -np.linalg.inv(v["S"]) @ np.outer(v["x"], v["x"]) @ np.linalg.inv(v["S"]), None),
    ("tr(S^{-1} A)", lambda v: -np.linalg.inv(v["S"]) @ sym(v["A"]) @ np.linalg.inv(v["S"]), None),
    (r"\|S - A\|_F^2", lambda v: 2 * (v["S"] - sym(v["A"])), None),
    ("tr(S A S B)", lambda v: sym((v["A"] @ v["S"] @ v["B"] + v["B"] @ v["S"] @ v["A"]).T), None),
    (r"(x - \mu)^T S^{-1} (x - \mu) + \log|S|",
     lambda v: np.linalg.inv(v["S"]) - np.linalg.inv(v["S"]) @ np.outer(v["x"] - v["mu"], v["x"] - v["mu"])
     @ np.linalg.inv(v["S"]), None),
]


@pytest.mark.parametrize("expr, formula, shown", CASES, ids=[c[0] for c in CASES])
def test_gradient_in_the_space_of_symmetric_matrices(expr, formula, shown):
    g = matcalc.diff(expr, "S", declared=SYM)
    for seed in range(3):
        values, sizes, rng = setup(g, seed)
        got = numeric.evaluate(g.result, values, sizes)
        assert np.allclose(got, got.T, atol=1e-12), "the gradient w.r.t. a symmetric matrix is symmetric"
        for _ in range(3):
            delta = random_symmetric(rng, got.shape[0])
            want = directional(g.written, "S", values, sizes, delta)
            assert abs(np.sum(got * delta) - want) < 1e-5 * max(1.0, abs(want)), expr
        env = {form: numpy_habit(values[s.name], s) for s in free_symbols(g.written) for form in written_forms(s.name)}
        assert numeric.relative_error(got, formula(env)) < 1e-8
    if shown:
        assert g.unicode == shown


@pytest.mark.parametrize("expr", [c[0] for c in CASES])
def test_it_is_the_symmetric_part_of_the_unconstrained_gradient(expr):
    g = matcalc.diff(expr, "S", declared=SYM)
    free = matcalc.diff(expr, "S", declared={"S": "matrix"})  # S any matrix
    values, sizes, _ = setup(g, 0)  # evaluated where S happens to be symmetric
    free_sizes = {d: values[s.name].shape[axis] for s in free_symbols(free.written)
                  for axis, d in enumerate(s.shape) if d != 1}
    G = numeric.evaluate(free.result, values, free_sizes)
    assert numeric.relative_error(numeric.evaluate(g.result, values, sizes), sym(G)) < 1e-10


def test_the_cookbook_formula_is_a_per_entry_derivative_not_a_gradient():
    """Cookbook (141): ∂f/∂S = G + Gᵀ − diag(G) for symmetric S. It is ∂f/∂s_ij when s_ij and s_ji
    are one variable (both entries move); as a gradient it double-counts the off-diagonal."""
    g = matcalc.diff("tr(A S)", "S", declared=SYM)
    values, sizes, rng = setup(g, 0)
    G = values["A"].T  # the unconstrained gradient of tr(A S)
    cookbook = G + G.T - np.diag(np.diag(G))
    n = G.shape[0]
    for i in range(n):
        for j in range(n):
            e = np.zeros((n, n))
            e[i, j] = e[j, i] = 1.0  # s_ij = s_ji moves as one variable
            assert abs(directional(g.written, "S", values, sizes, e) - cookbook[i, j]) < 1e-6
    delta = random_symmetric(rng, n)
    want = directional(g.written, "S", values, sizes, delta)
    ours = numeric.evaluate(g.result, values, sizes)
    assert abs(np.sum(ours * delta) - want) < 1e-6
    assert abs(np.sum(cookbook * delta) - want) > 1e-3  # not a gradient: ⟨D, Δ⟩ ≠ the change of f
    assert np.allclose(cookbook, 2 * ours - np.diag(np.diag(ours)))  # the two are related so


def test_transposes_of_symmetric_matrices_disappear():
    g = assert_gradient("x^T S x", "x", lambda v: 2 * v["S"] @ v["x"], declare=SYM)
    assert g.unicode == "2 S x"
    assert matcalc.diff("x^T S^T x", "x", declared=SYM).unicode == "2 S x"
    assert api.typed("S^T - S", SYM)[0] == api.typed("0 S", SYM)[0]


def test_jacobians_and_hessians_with_a_symmetric_matrix_inside():
    from test_jacobian import assert_derivative

    g = assert_derivative(matcalc.diff("S x", "x", declared=SYM))
    assert g.unicode == "S"
    g = assert_derivative(matcalc.diff("x^T S", "x", declared=SYM))
    assert g.unicode == "S"
    g = assert_derivative(api.hessian("x^T S x", "x", SYM))
    assert g.unicode == "2 S"


def test_no_jacobian_or_hessian_with_respect_to_a_symmetric_matrix():
    with pytest.raises(MatcalcError, match="not expressible in matrix notation"):
        matcalc.diff("S x", "S", declared=SYM)
    with pytest.raises(MatcalcError, match="not expressible in matrix notation"):
        api.hessian("log|S|", "S", SYM)


def test_check_from_the_command_line():
    result = CliRunner().invoke(app, ["diff", "x^T S x - log|S|", "S", "--symmetric", "S", "--check", "-f", "text"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "\\nabla_S x^T S x - log|S| = x x^T - S^{-1}\n"
    assert "ok" in result.stderr

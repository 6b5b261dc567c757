"""Every function of the table (matcalc/calculus/functions.py), checked the same way: matcalc's
NumPy output evaluated against central finite differences of an oracle written here, on data in
the function's domain and non-square sizes; steps, the rules entry, every format, read-back and
the `-f python` module's own check."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc.calculus import functions
from matcalc.cli.app import app
from matcalc.derivations.rules import BY_ID, listing
from matcalc.formats import render
from matcalc.derivations.steps import DIFFERENTIAL, GRADIENT, VALUE, derive
from matcalc.numeric import evaluation as numeric

runner = CliRunner()
M, N = 3, 4  # X is M×N: non-square


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# The oracle: each function written independently of matcalc, and where its argument lives.
ORACLE = {
    "exp": np.exp, "log": np.log, "sqrt": np.sqrt, "softplus": lambda z: np.log1p(np.exp(z)),
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos,
    "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "sigmoid": _sigmoid,
    "relu": lambda z: np.where(z > 0, z, 0.0), "step": lambda z: np.where(z > 0, 1.0, 0.0),
    "abs": np.abs, "sign": np.sign,
}
ELEMENTWISE = [f.name for f in functions.TABLE if f.elementwise]


def test_the_oracle_covers_the_table():
    assert set(ELEMENTWISE) <= set(ORACLE)


def sample(name, shape, rng):
    """Data in the function's domain, away from the kinks of relu, abs, sign and step."""
    domain = functions.lookup(name).domain
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "unit":
        return rng.uniform(-0.8, 0.8, shape)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.5, shape)


def run(code: str, env: dict):
    return np.asarray(eval(code, {"np": np}, dict(env)), dtype=float)  # noqa: S307 - matcalc's own output


def fd_gradient(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        g[idx] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


def fd_jacobian(f, x, eps=1e-6):
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = eps
        cols.append((np.ravel(f(x + e)) - np.ravel(f(x - e))) / (2 * eps))
    return np.column_stack(cols)


def close(got, want, tol=1e-6):
    got, want = np.asarray(got, float), np.asarray(want, float)
    assert got.shape == want.shape, (got.shape, want.shape)
    err = np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want)))
    assert err < tol, err


# -- derivatives against the oracle -------------------------------------------------------------

@pytest.mark.parametrize("name", ELEMENTWISE)
def test_gradient_of_a_bilinear_form_of_f_of_a_matrix(name):
    rng = np.random.default_rng(1)
    f = ORACLE[name]
    env = {"a": rng.standard_normal(M), "b": rng.standard_normal(N), "X": sample(name, (M, N), rng)}
    for written in (f"a^T {name}(X) b", f"a^T \\operatorname{{{name}}}(X) b"):
        g = matcalc.diff(written, "X")
        want = fd_gradient(lambda X: env["a"] @ f(X) @ env["b"], env["X"])
        close(run(g.numpy, env), want)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_jacobian_of_f_of_a_vector(name):
    rng = np.random.default_rng(2)
    f = ORACLE[name]
    x = sample(name, (N,), rng)
    d = matcalc.diff(f"{name}(x)", "x")
    close(run(d.numpy, {"x": x}), fd_jacobian(f, x))


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_chain_rule_through_a_scalar(name):
    rng = np.random.default_rng(3)
    f = ORACLE[name]
    y = rng.uniform(0.05, 0.15, N)
    x = rng.uniform(0.5, 1.0, N)  # xᵀy in (0.1, 0.6): in every function's domain
    g = matcalc.diff(f"{name}(x^T y) + x^T x", "x")
    close(run(g.numpy, {"x": x, "y": y}), fd_gradient(lambda x: f(x @ y) + x @ x, x))


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if n not in ("relu", "step", "abs", "sign")])
def test_hessian_of_the_sum(name):
    rng = np.random.default_rng(4)
    f = ORACLE[name]
    x = sample(name, (N,), rng)
    h = matcalc.hessian(f"sum({name}(x))", "x")
    grad = lambda x: fd_gradient(lambda z: np.sum(f(z)), x, 1e-5)  # noqa: E731
    close(run(h.numpy, {"x": x}), fd_jacobian(grad, x, 1e-4), tol=1e-4)


def test_relu_and_abs_derivatives_at_zero_are_the_documented_choice():
    x = np.array([0.0, 1.0, -1.0, 0.0])
    assert list(run(matcalc.diff("sum(relu(x))", "x").numpy, {"x": x})) == [0.0, 1.0, 0.0, 0.0]
    assert list(run(matcalc.diff("sum(abs(x))", "x").numpy, {"x": x})) == [0.0, 1.0, -1.0, 0.0]


# -- spellings -----------------------------------------------------------------------------------

def numpy_of(expr, wrt="x"):
    return matcalc.diff(expr, wrt).numpy


def test_sigma_directly_followed_by_a_parenthesis_is_the_logistic_function():
    assert numpy_of("sum(\\sigma(x))") == numpy_of("sum(sigmoid(x))") == numpy_of("sum(σ(x))")
    assert numpy_of("sum(\\operatorname{sigmoid}(x))") == numpy_of("sum(sigmoid(x))")


def test_sigma_elsewhere_is_the_greek_letter():
    g = matcalc.diff("\\sigma (x^T y)", "x")
    assert "sigma" in g.written.__repr__() and "sigmoid" not in repr(g.written)
    assert "sigmoid" not in repr(matcalc.diff("\\sigma^2 x^T x", "x").written)
    assert "sigmoid" not in repr(matcalc.diff("\\sigma_1(x^T x)", "x").written)


def test_max_with_zero_is_relu():
    rng = np.random.default_rng(5)
    W, x = rng.standard_normal((M, N)), rng.standard_normal(N)
    for written in ("sum(\\max(0, W x))", "sum(max(W x, 0))", "sum(relu(W x))"):
        g = matcalc.diff(written, "W")
        close(run(g.numpy, {"W": W, "x": x}), fd_gradient(lambda W: np.sum(np.maximum(W @ x, 0)), W))
    with pytest.raises(matcalc.MatcalcError, match="max\\(0, z\\)"):
        matcalc.diff("sum(max(1, W x))", "W")


def test_bars_around_a_scalar_are_the_absolute_value():
    assert not matcalc.verify("|a| = a")
    g = matcalc.diff("|a| + |x^T y|", "a")
    assert g.text == "sign(a)"
    h = matcalc.diff("|x^T y|", "x")
    x, y = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.2, -1.0])
    close(run(h.numpy, {"x": x, "y": y}), fd_gradient(lambda x: abs(x @ y), x))
    assert matcalc.diff("|X|", "X").text == "|X| X^{-T}"  # of a square matrix: the determinant


# -- steps, rules, formats, read-back, generated modules ------------------------------------------

@pytest.mark.parametrize("name", ELEMENTWISE)
def test_each_function_has_a_rule_cited_by_its_steps(name):
    rule = BY_ID[name]
    assert f"{name} " in listing() and rule.demo
    d = derive(matcalc.diff(*rule.demo))
    assert name in d.rules


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_each_step_evaluates_to_the_one_before(name):
    rng = np.random.default_rng(6)
    g = matcalc.diff(f"a^T {name}(X) b", "X")
    d = derive(g)
    values = {"a": rng.standard_normal((M, 1)), "b": rng.standard_normal((N, 1)), "X": sample(name, (M, N), rng)}
    sizes = {g.typing.shapes["X"][0]: M, g.typing.shapes["X"][1]: N}
    dx = rng.standard_normal((M, N))
    f = lambda X: numeric.scalar(g.written, {**values, "X": X}, sizes)  # noqa: E731
    want = (f(values["X"] + 1e-6 * dx) - f(values["X"] - 1e-6 * dx)) / 2e-6
    for step in d.steps:
        v = numeric.evaluate(step.expr, values, sizes, {"X": dx})
        if step.kind == VALUE:
            continue
        got = float(v[0, 0]) if step.kind == DIFFERENTIAL else float(np.sum(v * dx))
        assert step.kind in (DIFFERENTIAL, GRADIENT) and abs(got - want) < 1e-5 * max(1, abs(want)), step


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_every_format_and_read_back(name):
    rng = np.random.default_rng(7)
    g = matcalc.diff(f"a^T {name}(X) b", "X")
    env = {"a": rng.standard_normal(M), "b": rng.standard_normal(N), "X": sample(name, (M, N), rng)}
    want = run(g.numpy, env)
    row = functions.lookup(name)
    assert row.unicode in render.render(g.written, render.UNICODE)
    for style in ("text", "latex"):
        written = getattr(g, style)
        back = matcalc.simplify(written, declared={"a": "vector", "b": "vector"})
        close(np.broadcast_to(run(back.numpy, env), want.shape), want)  # "0" reads back as 0
        echoed = matcalc.simplify(getattr(matcalc.simplify(f"a^T {name}(X) b"), style))
        assert row.name in repr(echoed.written)
    result = runner.invoke(app, ["diff", f"a^T {name}(X) b", "X", "-f", "json", "--no-steps"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["result"]["numpy"] == g.numpy


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_the_python_module_checks_itself(name):
    result = runner.invoke(app, ["diff", f"a^T {name}(X) b", "X", "-f", "python"])
    assert result.exit_code == 0, result.output
    namespace: dict = {"__name__": "generated"}
    exec(compile(result.stdout, "generated.py", "exec"), namespace)  # noqa: S102 - matcalc's own output
    assert namespace["check_gradient"]() < 1e-5

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
from oracle import assert_gradient, close, fd_gradient, run, used
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


def fd_jacobian(f, x, eps=1e-6):
    cols = []
    for k in range(x.size):
        e = np.zeros(x.size)
        e[k] = eps
        cols.append((np.ravel(f(x + e)) - np.ravel(f(x - e))) / (2 * eps))
    return np.column_stack(cols)


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
        back = matcalc.simplify(written, declared=used({"a": "vector", "b": "vector"}, written))
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


# -- functions of a whole vector: softmax and logsumexp -------------------------------------------

def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _lse(z):
    return np.log(np.sum(np.exp(z)))


def test_softmax_jacobian_is_diag_s_minus_s_s_transpose():
    x = np.random.default_rng(8).standard_normal(N)
    d = matcalc.diff("softmax(x)", "x")
    close(run(d.numpy, {"x": x}), fd_jacobian(_softmax, x))
    s = _softmax(x)
    close(run(d.numpy, {"x": x}), np.diag(s) - np.outer(s, s))


@pytest.mark.parametrize("written", ["-y^T \\log(softmax(W x))", "-y^T \\log(\\operatorname{softmax}(W x))"])
def test_softmax_cross_entropy(written):
    rng = np.random.default_rng(9)
    W, x, y = rng.standard_normal((M, N)), rng.standard_normal(N), rng.uniform(0, 1, M)
    g = matcalc.diff(written, "W")
    close(run(g.numpy, {"W": W, "x": x, "y": y}), fd_gradient(lambda W: -y @ np.log(_softmax(W @ x)), W))


@pytest.mark.parametrize("written", ["logsumexp(W x)", "\\operatorname{LSE}(W x)", "\\log\\sum\\exp(W x)",
                                     "\\log(\\mathbf{1}^T \\exp(W x))"])
def test_logsumexp_in_every_spelling(written):
    rng = np.random.default_rng(10)
    W, x = rng.standard_normal((M, N)), rng.standard_normal(N)
    g = matcalc.diff(written, "W")
    close(run(g.numpy, {"W": W, "x": x}), fd_gradient(lambda W: _lse(W @ x), W))


def test_logsumexp_hessian():
    x = np.random.default_rng(11).standard_normal(N)
    h = matcalc.hessian("logsumexp(x)", "x")
    s = _softmax(x)
    close(run(h.numpy, {"x": x}), np.diag(s) - np.outer(s, s))


def test_lse_written_bare_is_a_product_of_three_names():
    assert matcalc.simplify("LSE").text == "L S E"


@pytest.mark.parametrize("name", ["softmax", "logsumexp"])
def test_vector_functions_have_rules_steps_formats_and_modules(name):
    rule = BY_ID[name]
    d = derive(matcalc.diff(*rule.demo))
    assert name in d.rules
    g = matcalc.diff(f"y^T softmax(x)" if name == "softmax" else "logsumexp(x)", "x")
    rng = np.random.default_rng(12)
    env = {"x": rng.standard_normal(N), "y": rng.standard_normal(N)}
    want = run(g.numpy, env)
    for style in ("text", "latex"):
        back = matcalc.simplify(getattr(g, style), declared={"x": "vector"})
        close(run(back.numpy, env), want)
    result = runner.invoke(app, ["diff", f"a^T {name}(W x)" if name == "softmax" else f"{name}(W x)", "W",
                                 "-f", "python"])
    assert result.exit_code == 0, result.output
    namespace: dict = {"__name__": "generated"}
    exec(compile(result.stdout, "generated.py", "exec"), namespace)  # noqa: S102 - matcalc's own output
    assert namespace["check_gradient"]() < 1e-5


def test_softmax_needs_a_column_vector():
    with pytest.raises(matcalc.MatcalcError, match="softmax needs a column vector"):
        matcalc.diff("sum(softmax(X))", "X")


# -- constants broadcast (issue 13 item 2) -----------------------------------------------------------

@pytest.mark.parametrize("written, oracle", [
    ("sum(log(1 + exp(z)))", lambda z: np.sum(np.log(1 + np.exp(z)))),
    ("sum(log(exp(-z) + vector(1)))", lambda z: np.sum(np.log(np.exp(-z) + 1))),
    ("(1 - z)^T (z - 1)", lambda z: (1 - z) @ (z - 1)),
    ("\\mathbf{1}^T \\exp(z)", lambda z: np.sum(np.exp(z))),
    ("\\mathbb{1}^T (2 .* z) + \\mathbf{1}_n^T (z ./ 2)", lambda z: np.sum(2 * z) + np.sum(z / 2)),
    ("ones^T \\log(2 + z .* z)", lambda z: np.sum(np.log(2 + z * z))),
])
def test_a_number_next_to_a_vector_is_the_constant_vector(written, oracle):
    z = np.random.default_rng(13).standard_normal(N)
    g = matcalc.diff(written, "z")
    close(run(g.numpy, {"z": z}), fd_gradient(oracle, z))


def test_one_minus_a_vector_has_the_jacobian_minus_identity():
    y = np.random.default_rng(14).standard_normal(N)
    close(run(matcalc.diff("1 - y", "y").numpy, {"y": y}), -np.eye(N))


def test_a_number_next_to_a_matrix():
    X = np.random.default_rng(15).standard_normal((M, N))
    g = matcalc.diff("sum((X - 1) .* (X + 2))", "X")
    close(run(g.numpy, {"X": X}), fd_gradient(lambda X: np.sum((X - 1) * (X + 2)), X))


def test_a_scalar_variable_plus_a_vector_stays_an_error_with_a_hint():
    with pytest.raises(matcalc.MatcalcError, match="a number is added to every entry"):
        matcalc.diff("sum(a + A x)", "x", declared={"a": "scalar"})


def test_ones_transposed_times_a_vector_is_a_scalar():
    for written in ("\\mathbf{1}^T \\exp(x)", "\\log(\\mathbf{1}^T \\exp(x))", "(\\mathbf{1}^T x) x^T x"):
        assert type(matcalc.diff(written, "x")).__name__ == "Gradient", written  # not a Jacobian


@pytest.mark.parametrize("written, oracle", [
    ("\\|(x^T \\mathbf{1}) x\\|^2", lambda x: np.sum(x) ** 2 * (x @ x)),
    ("x^T \\mathbf{1} \\mathbf{1}^T W x", lambda x: np.sum(x) * np.sum(W @ x)),
])
def test_a_row_ending_in_ones_is_a_number_not_a_matrix_of_ones(written, oracle):
    """xᵀ𝟏 before a vector is the number Σx (𝟏 the vector of ones), not xᵀ J with J a matrix of ones."""
    x = np.random.default_rng(16).standard_normal(N)
    g = matcalc.diff(written, "x", declared={"W": "matrix"} if "W" in written else None)
    close(run(g.numpy, {"x": x, "W": W}), fd_gradient(oracle, x))


W = np.random.default_rng(17).standard_normal((N, N))


@pytest.mark.parametrize("written, oracle", [
    ("(a + (|2|)^{-1}) a", lambda a: (a + 0.5) * a),          # np.abs(2) ** -1 raised in NumPy
    ("|-3| a + sign(-2) a + relu(-1) a^2 + |(|a|)|", lambda a: 3 * a - a + abs(a)),
])
def test_exact_functions_of_numbers_are_numbers(written, oracle):
    a = 0.7
    g = matcalc.diff(written, "a", declared={"a": "scalar"})
    got = float(eval(g.numpy, {"np": np, "a": a}))  # noqa: S307 - matcalc's own output
    assert abs(got - (oracle(a + 1e-6) - oracle(a - 1e-6)) / 2e-6) < 1e-6


def test_sigma_taken_out_of_a_scalar_sum_keeps_a_repeated_factor():
    """(a xᵀx σ(a))² w.r.t. a: taking σ(a)² out of the sum once dropped one xᵀx of (xᵀx)² (its
    factors xᵀ x xᵀ x were counted as a set); found by tests/test_differential.py."""
    from oracle import assert_gradient

    g = assert_gradient("(a x^T x sigmoid(a))^2", "a", declare={"a": "scalar", "x": "vector"})
    assert g.text.count("(x^T x)^2") == 2, g.text


def test_softmax_keeps_its_transpose_outside():
    """softmax is not elementwise: canonical had pushed ᵀ inside (softmax(x)ᵀ → softmax(xᵀ)),
    and the Hessian of ‖softmax(x)∘² + x - x‖² then took softmax of a row, 5e-2 off (found by
    the differential property in a fresh README run)."""
    from test_jacobian import hess

    source = r"\|softmax(x).^2 + x + y - (x + y)\|^2"
    assert "softmax(x^T)" not in matcalc.diff(source, "x").text
    for s in (source, "sum(softmax(x).^4)"):  # each against second differences of the input as written
        h = hess(s, "x", declare={"y": "vector"} if "y" in s else None)
        assert "softmax(x^T)" not in h.text


# -- identities of step and sign, entry by entry (at 0 too: step(0) = sign(0) = 0) ------------
# relu(u) ∘ step(u) = relu(u), step(u)^{∘2} = step(u), abs(x) ∘ sign(x) = x, x ∘ sign(x) = abs(x):
# the ML gradients read as textbooks write them, ∇‖relu(u)‖ = relu(u) / ‖relu(u)‖.

@pytest.mark.parametrize("expr, wrt, kind, shown, formula", [
    (r"\|relu(u)\|", "u", "diff", "relu(u) / \\|relu(u)\\|",
     lambda v: np.maximum(v["u"], 0) / np.linalg.norm(np.maximum(v["u"], 0))),
    (r"\|relu(W x)\|^2", "W", "diff", "2 relu(W x) x^T",
     lambda v: 2 * np.outer(np.maximum(v["W"] @ v["x"], 0), v["x"])),
    ("abs(x)^T abs(x)", "x", "diff", "2 x", lambda v: 2 * v["x"]),
    ("x^T (sign(x) \\circ x)", "x", "diff", "2 abs(x)", lambda v: 2 * np.abs(v["x"])),
    (r"\|relu(u)\|^2", "u", "hessian", "2 diag(step(u))", lambda v: 2 * np.diag((v["u"] > 0).astype(float))),
    (r"\|relu(u)\|", "u", "hessian", "diag(step(u)) / \\|relu(u)\\| - relu(u) relu(u)^T / \\|relu(u)\\|^3",
     lambda v: (lambda r, n: np.diag((v["u"] > 0).astype(float)) / n - np.outer(r, r) / n ** 3)(
         np.maximum(v["u"], 0), np.linalg.norm(np.maximum(v["u"], 0)))),
])
def test_step_and_sign_identities_give_the_textbook_form(expr, wrt, kind, shown, formula):
    from test_jacobian import hess

    g = assert_gradient(expr, wrt, expected=formula) if kind == "diff" else hess(expr, wrt, expected=formula)
    assert g.text == shown

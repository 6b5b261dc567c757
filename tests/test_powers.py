"""Powers with variables (issue 13, item 3): a^b and a^{xᵀx} with a variable exponent; X^k,
tr(X^k) and tr(A X^k B) with a symbolic integer k. Every result is matcalc's NumPy output,
evaluated, against central finite differences of an oracle written here, on non-square sizes
wherever the shapes allow (X is square for X^k, the other operands are not), for several k;
then steps, the rules entry, every format, read-back, the `-f python` module's own check, and
the refusals where no closed form exists."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc.cli.app import app
from matcalc.derivations.rules import BY_ID, listing
from matcalc.derivations.steps import derive
from matcalc.numeric import evaluation as numeric
from oracle import assert_gradient, close, fd_gradient, run

runner = CliRunner()
M, N = 3, 4  # A is M×N, X is N×N: the operands other than X are non-square
KS = (2, 3, 5)  # the symbolic k takes several values
mp = np.linalg.matrix_power


def data(seed: int, k: int = 3) -> dict:
    """a, b > 0 scalars; x, c of length M, y, d of length N; A M×N, B N×M; X N×N well-conditioned."""
    rng = np.random.default_rng(seed)
    return {"a": rng.uniform(0.5, 1.5), "b": rng.uniform(0.5, 2.0), "x": rng.standard_normal(M) / 2,
            "y": rng.standard_normal(N) / 2, "c": rng.standard_normal(N), "d": rng.standard_normal(N),
            "A": rng.standard_normal((M, N)), "B": rng.standard_normal((N, M)),
            "X": np.eye(N) + 0.3 * rng.standard_normal((N, N)), "k": k}


# (input, variable, oracle: the value as a function of the variable at the data, expected text)
SCALAR_EXPONENTS = [
    ("a^b", "a", lambda v: lambda a: a ** v["b"], "b a^{b - 1}"),
    ("a^b", "b", lambda v: lambda b: v["a"] ** b, "log(a) a^b"),
    ("a^{x^T x}", "x", lambda v: lambda x: v["a"] ** (x @ x), "2 log(a) a^{x^T x} x"),
    ("a^{x^T x}", "a", lambda v: lambda a: a ** (v["x"] @ v["x"]), None),
    ("a^{x^T A y}", "A", lambda v: lambda A: v["a"] ** (v["x"] @ A @ v["y"]), "log(a) a^{x^T A y} x y^T"),
    ("a^{x^T A y}", "y", lambda v: lambda y: v["a"] ** (v["x"] @ v["A"] @ y), None),
    ("b^{a} + a^{b}", "a", lambda v: lambda a: v["b"] ** a + a ** v["b"], None),
    ("(x^T x)^{b}", "x", lambda v: lambda x: (x @ x) ** v["b"], None),
    ("2^{x^T x}", "x", lambda v: lambda x: 2.0 ** (x @ x), None),
    # a scalar base's symbolic power merges with its plain power: k |X|ᵏ⁻¹ |X| = k |X|ᵏ
    ("\\det(X)^b", "X", lambda v: lambda X: np.linalg.det(X) ** v["b"], "b |X|^b X^{-T}"),
    ("a \\det(X)^{b-1} \\det(X)", "X", lambda v: lambda X: v["a"] * np.linalg.det(X) ** v["b"], "a b |X|^b X^{-T}"),
    ("a^{b} \\log(a)", "b", lambda v: lambda b: v["a"] ** b * np.log(v["a"]), None),
]


@pytest.mark.parametrize("source, wrt, oracle, text", SCALAR_EXPONENTS)
def test_a_variable_scalar_exponent(source, wrt, oracle, text):
    for seed in (0, 1):
        v = data(seed)
        g = matcalc.diff(source, wrt)
        close(run(g.numpy, v), fd_gradient(oracle(v), v[wrt]))
        if text is not None:
            assert g.text == text


# (input, variable, oracle, expected text): k symbolic, checked for each k in KS
SYMBOLIC_K = [
    ("tr(X^k)", "X", lambda v: lambda X: np.trace(mp(X, v["k"])), "k (X^T)^{k - 1}"),  # Cookbook 121
    ("tr(X^{k+1})", "X", lambda v: lambda X: np.trace(mp(X, v["k"] + 1)), "(k + 1) (X^T)^k"),
    ("tr(X^{2 k})", "X", lambda v: lambda X: np.trace(mp(X, 2 * v["k"])), "2 k (X^T)^{2 k - 1}"),
    ("tr(A X^k B)", "A", lambda v: lambda A: np.trace(A @ mp(v["X"], v["k"]) @ v["B"]), "B^T (X^T)^k"),
    ("tr(A X^k B)", "B", lambda v: lambda B: np.trace(v["A"] @ mp(v["X"], v["k"]) @ B), "(X^T)^k A^T"),
    ("x^T A X^k c", "x", lambda v: lambda x: x @ v["A"] @ mp(v["X"], v["k"]) @ v["c"], "A X^k c"),
    ("a^k tr(X^k)", "X", lambda v: lambda X: v["a"] ** v["k"] * np.trace(mp(X, v["k"])), None),
    ("a^k tr(X^k)", "a", lambda v: lambda a: a ** v["k"] * np.trace(mp(v["X"], v["k"])), None),
    ("\\log(tr(X^k)) + tr(X^{k-1})", "X",
     lambda v: lambda X: np.log(np.trace(mp(X, v["k"]))) + np.trace(mp(X, v["k"] - 1)), None),
    ("tr((X^T)^k)", "X", lambda v: lambda X: np.trace(mp(X.T, v["k"])), "k (X^T)^{k - 1}"),
    # powers of one base merge, so the trace form is found: X Xᵏ = Xᵏ⁺¹
    ("tr(X X^k)", "X", lambda v: lambda X: np.trace(X @ mp(X, v["k"])), "(k + 1) (X^T)^k"),
    ("tr(X^k X^2)", "X", lambda v: lambda X: np.trace(mp(X, v["k"]) @ X @ X), "(k + 2) (X^T)^{k + 1}"),
    ("tr(X^{-1} X^k)", "X", lambda v: lambda X: np.trace(np.linalg.inv(X) @ mp(X, v["k"])),
     "(k - 1) (X^T)^{k - 2}"),
    ("tr(X^{k-3})", "X", lambda v: lambda X: np.trace(np.linalg.matrix_power(  # k - 3 < 0 for k = 2
        np.linalg.inv(X) if v["k"] < 3 else X, abs(v["k"] - 3))), "(k - 3) (X^T)^{k - 4}"),
]


@pytest.mark.parametrize("source, wrt, oracle, text", SYMBOLIC_K)
def test_a_symbolic_integer_exponent(source, wrt, oracle, text):
    g = matcalc.diff(source, wrt)
    assert g.typing.kinds["k"] == "integer"
    for k in KS:
        v = data(k, k)
        if source.startswith("\\log"):
            v["X"] = v["X"] @ v["X"].T + np.eye(N)  # tr(X^k) > 0
        close(run(g.numpy, v), fd_gradient(oracle(v), v[wrt]))
    if text is not None:
        assert g.text == text


def test_the_hessian_of_a_variable_exponent():
    v = data(2)
    h = matcalc.hessian("a^{x^T x}", "x")
    grad = lambda x: fd_gradient(lambda z: v["a"] ** (z @ z), x, 1e-5)  # noqa: E731
    close(run(h.numpy, v), np.column_stack([(grad(v["x"] + e) - grad(v["x"] - e)) / 2e-4
                                            for e in 1e-4 * np.eye(M)]), tol=1e-5)


# -- what is refused, and why ---------------------------------------------------------------------

@pytest.mark.parametrize("source, wrt, message", [
    ("c^T X^k d", "X", "no closed form"),  # Σ_r (X^r)ᵀ c dᵀ (X^{k-1-r})ᵀ
    ("tr(A X^k B)", "X", "no closed form"),
    ("tr(X^k)", "k", "symbolic integer"),
    ("X^{x^T x}", "x", "the exponent of a matrix power is an integer"),
    ("tr(X^{k/2})", "X", "the exponent of a matrix power is an integer"),
    ("sum(x.^y)", "x", "exp\\(y \\.\\* log\\(x\\)\\)"),
    ("a^{x}", "x", "an exponent is a scalar"),
])
def test_refusals_say_why(source, wrt, message):
    with pytest.raises(matcalc.MatcalcError, match=message):
        matcalc.diff(source, wrt, declared={"x": "vector"} if source == "a^{x}" else None)


def test_no_hessian_of_a_symbolic_power():
    with pytest.raises(matcalc.MatcalcError, match="symbolic k"):
        matcalc.hessian("tr(X^k)", "X")


def test_the_elementwise_form_of_a_variable_exponent_is_suggested_and_works():
    v = data(3)
    v["x"] = np.abs(v["x"]) + 0.5
    v["y"] = v["y"][:M]
    g = matcalc.diff("sum(exp(y .* log(x)))", "x")
    close(run(g.numpy, v), fd_gradient(lambda x: np.sum(x ** v["y"]), v["x"]))


# -- honest numbers: the base of a real power is positive in random data -------------------------

def test_the_base_of_a_real_power_must_be_positive():
    g = matcalc.diff("a^b", "b")
    values, sizes = {"a": np.array([[-0.7]]), "b": np.array([[0.3]])}, {}
    assert numeric.unusable(g.written, values, sizes) == numeric.DOMAIN
    values["a"] = np.array([[0.7]])
    assert numeric.unusable(g.written, values, sizes) is None
    from matcalc.numeric.check import check_gradient
    assert check_gradient(g).ok


@pytest.mark.parametrize("source, wrt", [("a^b", "a"), ("a^b", "b"), ("a^{x^T x}", "x"), ("tr(X^k)", "X"),
                                         ("tr(A X^k B)", "B")])
def test_check_passes_on_random_data(source, wrt):
    result = runner.invoke(app, ["diff", source, wrt, "--check"])
    assert result.exit_code == 0, result.output
    assert ": ok" in result.output


def test_random_data_gives_k_several_whole_values():
    g = matcalc.diff("tr(X^k)", "X")
    k = g.variable  # X; k is an argument beside it
    seen = set()
    for seed in range(8):
        values, _ = numeric.random_instance(matcalc.calculus.expr.free_symbols(g.written),
                                            np.random.default_rng(seed))
        seen.add(float(values["k"][0, 0]))
    assert len(seen) >= 3 and all(v == int(v) and v >= 2 for v in seen) and k.name == "X"


# -- steps, rules, formats, read-back, generated modules ------------------------------------------

def test_rules_list_the_variable_exponent_and_the_symbolic_power():
    assert "exponent " in listing()
    rule = BY_ID["exponent"]
    assert "exponent" in derive(matcalc.diff(*rule.demo)).rules
    assert "power" in derive(matcalc.diff("tr(X^k)", "X")).rules
    result = runner.invoke(app, ["rules", "exponent"])
    assert result.exit_code == 0 and "b aᵇ⁻¹ da + aᵇ log(a) db" in result.output


@pytest.mark.parametrize("source, wrt, rule", [("a^{x^T x}", "x", "exponent"), ("a^b", "b", "exponent"),
                                               ("tr(X^k)", "X", "power"), ("tr(X^{k+1})", "X", "power")])
def test_steps_show_the_derivation(source, wrt, rule):
    d = derive(matcalc.diff(source, wrt))
    assert rule in d.rules
    result = runner.invoke(app, ["diff", source, wrt, "--steps"])
    assert result.exit_code == 0, result.output
    assert f"[{rule}]" in result.output


def test_steps_of_tr_x_k_collapse_the_sum():
    result = runner.invoke(app, ["diff", "tr(X^k)", "X", "--steps", "-f", "pretty"])
    assert result.exit_code == 0, result.output
    assert "Σᵣ₌₀ᵏ⁻¹ Xʳ dX Xᵏ⁻¹⁻ʳ" in result.output and "k Xᵏ⁻¹ dX" in result.output


FORMS = [("a^b", "b"), ("a^{x^T x}", "x"), ("a^{x^T A y}", "A"), ("tr(X^k)", "X"), ("tr(X^{k+1})", "X"),
         ("tr(A X^k B)", "A"), ("x^T A X^k c", "x")]


@pytest.mark.parametrize("source, wrt", FORMS)
def test_every_format(source, wrt):
    g = matcalc.diff(source, wrt)
    out = {}
    for fmt in ("text", "pretty", "latex", "numpy", "json"):
        result = runner.invoke(app, ["diff", source, wrt, "-f", fmt])
        assert result.exit_code == 0, result.output
        out[fmt] = result.stdout.strip()
    assert out["text"] == f"{g.lhs('text')} = {g.text}"
    assert out["numpy"] == g.numpy
    assert json.loads(out["json"])["result"]["numpy"] == g.numpy
    if "k" in source:
        assert json.loads(out["json"])["kinds"]["k"] == "integer"
    assert "^{" not in out["pretty"].split("=")[-1] or "x" in source  # aᵇ, (Xᵀ)ᵏ⁻¹ in superscript


@pytest.mark.parametrize("source, wrt", FORMS)
def test_text_and_latex_read_back(source, wrt):
    for fmt in ("text", "latex"):
        line = runner.invoke(app, ["diff", source, wrt, "-f", fmt]).stdout.strip()
        verdict = runner.invoke(app, ["verify", line])
        assert verdict.exit_code == 0 and verdict.stdout.startswith("holds"), (line, verdict.output)


@pytest.mark.parametrize("source, wrt", FORMS + [("a^b", "a")])
def test_the_python_module_checks_itself(source, wrt):
    result = runner.invoke(app, ["diff", source, wrt, "-f", "python"])
    assert result.exit_code == 0, result.output
    namespace: dict = {"__name__": "generated"}
    exec(compile(result.stdout, "generated.py", "exec"), namespace)  # noqa: S102 - matcalc's own output
    assert namespace["check_gradient"]() < 1e-5
    if "k" in source:
        assert "positive integer" in result.stdout


def test_a_wrong_symbolic_identity_does_not_hold():
    assert not matcalc.verify("\\nabla_X tr(X^k) = k (X^T)^k")
    assert not matcalc.verify("\\nabla_X tr(X^k) = (X^T)^{k - 1}")
    assert not matcalc.verify("\\nabla_b a^b = a^b")
    assert matcalc.verify("\\nabla_X tr(X^k) = k (X^{k-1})^T")


def test_a_declared_scalar_in_a_matrix_exponent_is_read_as_an_integer_and_said():
    g = matcalc.diff("tr(X^a)", "X", declared={"a": "scalar"})
    assert g.typing.kinds["a"] == "integer" and "symbolic integer" in g.typing.reading
    assert matcalc.diff("tr(X^k)", "X").typing.reading is None  # one reading only: nothing to say
    result = runner.invoke(app, ["diff", "tr(X^a)", "X", "--scalar", "a", "-f", "json"])
    assert result.exit_code == 0 and "symbolic integer" in json.loads(result.stdout)["reading"]


def test_a_power_of_a_vector_blames_the_base():
    with pytest.raises(matcalc.MatcalcError, match="a matrix power needs a square matrix, but `x`"):
        matcalc.diff("x^k", "x", declared={"x": "vector"})


@pytest.mark.parametrize("source", ["tr(X^k)", "tr(X^{k-3})", "tr(X^{-k})"])
def test_each_step_of_a_symbolic_power_evaluates_to_the_differential(source):
    """The steps' d(Xᵏ) evaluated at whole k (negative exponents too: X^{k-3} at k = 2) against
    central differences of the input."""
    g = matcalc.diff(source, "X")
    d = derive(g)
    rng = np.random.default_rng(11)
    X = np.eye(N) + 0.3 * rng.standard_normal((N, N))
    dX = rng.standard_normal((N, N))
    sizes = {g.typing.shapes["X"][0]: N}
    for k in KS:
        values = {"X": X, "k": np.array([[float(k)]])}
        f = lambda Y: numeric.scalar(g.written, {**values, "X": Y}, sizes)  # noqa: E731
        want = (f(X + 1e-6 * dX) - f(X - 1e-6 * dX)) / 2e-6
        for step in d.steps:
            v = numeric.evaluate(step.expr, values, sizes, {"X": dX})
            got = float(v[0, 0]) if step.kind == "differential" else float(np.sum(v * dX))
            assert abs(got - want) < 1e-5 * max(1, abs(want)), (source, k, step)


@pytest.mark.parametrize("expr", ["(exp(a))^{abs(a)}", "sqrt(a)^{a} sqrt(a)", "abs(a)^{a} sign(a)",
                                  "exp(a)^{a} exp(a)", "exp(a)^{a} exp(-a)"])
def test_an_entrywise_identity_leaves_a_symbolic_exponent_alone(expr):
    """|a| sign(a) = a and its kin merged powers as numbers: a base with a symbolic exponent
    (|a|^a next to the sign(a) a that its derivative brings) was a TypeError, not an answer.
    The explore run of the differential test found (exp(a))^{abs(a)}."""
    assert_gradient(expr, "a", declare={"a": "scalar"}, positive=True)
    assert_gradient(expr, "a", declare={"a": "scalar"})

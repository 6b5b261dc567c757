"""Every output format on the seed identities and the Cookbook corpus: text and LaTeX parse
back to the same expression, NumPy runs and matches finite differences, the python export
runs and its own check_gradient passes, JSON has the documented fields, and `--check`
catches a deliberately broken rule."""
from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import matcalc
from cookbook_cases import CASES
from matcalc.calculus import algebra
from matcalc.calculus import differentiate
from matcalc.language import kinds
from matcalc.numeric import evaluation as numeric
from matcalc.cli import output
from matcalc.formats import render
from matcalc.calculus.canonical import canonical
from matcalc.cli.app import app
from matcalc.calculus.expr import Add, Const, Func, Identity, MatMul, Ones, Power, Sym, Trace, Transpose, free_symbols
from matcalc.formats.numpy_code import identifier
from matcalc.formats.python_code import python_code
from matcalc.verify import identity
from oracle import numpy_habit

SEED = [  # (id, input as the seed writes it, wrt)
    ("2.A", r"\nabla_\mu \mu^TA\mu", None),
    ("3.A", r"\nabla_A \text{tr}(AB)", None),
    ("3.B", r"\nabla_A \text{tr}(ABA^TC)", None),
    ("3.C", r"\nabla_{A^T} \text{tr}(ABA^TC)", None),
    ("3.D", r"\nabla_A \vert A \vert", None),
]
EXTRA = [  # other kinds of result: w.r.t. a scalar, a symmetric matrix, two variables at once
    ("scalar", r"\lambda \|w\|^2 + \log(\lambda)", "\\lambda", {"\\lambda": "scalar"}),
    ("symmetric", "x^T S x - \\log|S|", "S", {"S": "symmetric"}),
    ("transposed", "a^T X^{-1} b", "X^T", {}),
    ("subscripts", "tr(W_2^T W_2) + x_{12}^T W_2 x_{12}", "W_2", {}),
    ("division inside a product", "a (b / c) d + tr(A)", "a", {n: "scalar" for n in "abcd"}),
]

def results():
    out = [pytest.param(s, w, None, id=i) for i, s, w in SEED]
    out += [pytest.param(s, w, d, id=i) for i, s, w, d in EXTRA]
    # sum_tanh_Wx reads back `(ones - tanh(W x).^2) x^T`: ones there is the all-ones vector
    out += [pytest.param(c.expr, c.wrt, c.declare or None, id=c.id) for c in CASES]
    return out


def gradient(source, wrt, declare):
    return matcalc.diff(source, wrt, declared=declare)


# -- text and LaTeX parse back --------------------------------------------------------------------

@pytest.mark.parametrize("style", ["text", "latex"])
@pytest.mark.parametrize("source,wrt,declare", results())
def test_output_parses_back_to_the_same_expression(source, wrt, declare, style):
    """`∇_X f = G` as printed, read back with the same kinds: the same f and the same G."""
    g = gradient(source, wrt, declare)
    printed = output.gradient_line(g, style)
    declared = {render.name(n, render.TEXT): k for n, k in g.typing.kinds.items()}
    line, typing = identity(printed, declared)
    assert kinds.build(line.rhs, typing) == g.result, printed
    assert kinds.build(line.lhs.body, typing) == g.expression, printed


def test_text_and_latex_notation():
    g = matcalc.diff(r"\nabla_A \vert A \vert")
    assert (g.text, g.latex) == ("|A| A^{-T}", r"\left| A \right| A^{-T}")
    g = matcalc.diff("tr(A B A^T C)", "A")
    assert output.gradient_line(g, "latex") == r"\nabla_{A} \operatorname{tr}(A B A^{T} C) = C^{T} A B^{T} + C A B"
    assert matcalc.diff("sum(log(X))", "X").latex == r"X^{\circ -1}"  # no ⊘ in the input language


def test_a_product_beside_a_hadamard_product_is_parenthesised():
    """Issue 17: `(…) W₂ ∘ (…)ᵀ` left the reader guessing which binds tighter; every format
    writes `((…) W₂) ∘ (…)ᵀ`, and the result still reads back (test above)."""
    g = matcalc.diff(r"\|W_2 \tanh(W_1 x) - y\|^2", "W_1")
    assert g.unicode == "2 ((W₂ᵀ (W₂ tanh(W₁ x) - y)) ∘ (𝟏 - tanh(W₁ x)∘²)) xᵀ"
    assert g.text == "2 ((W_2^T (W_2 tanh(W_1 x) - y)) .* (ones - tanh(W_1 x).^2)) x^T"
    assert g.latex.startswith(r"2 \left(\left(W_2^{T} \left(W_2 \tanh(W_1 x) - y\right)\right) \circ")
    for source, wrt, shown in [("sum(x .* (A y))", "x", "A y"), ("sum(X ./ (A B))", "X", "1 ./ (A B)"),
                               ("sum(exp(y .* (X w)))", "w", "X^T (y .* exp(y .* (X w)))")]:
        assert matcalc.diff(source, wrt).text == shown


# -- NumPy ----------------------------------------------------------------------------------------

def instance(g, positive=False):
    """Random data where the input is finite (as the oracle chooses it), with the gradient by
    central finite differences."""
    symbols = free_symbols(g.written)
    rng = np.random.default_rng(0)
    for order in numeric.SIZE_ORDERS:
        values, sizes = numeric.random_instance(symbols, rng, positive, order, within=(g.written, g.result))
        with np.errstate(all="ignore"):
            want = numeric.finite_difference_gradient(g.written, g.variable, values, sizes)
        if np.all(np.isfinite(want)):
            break
    if g.transposed:
        want = want.T
    env = {"np": np, **{identifier(s.name): numpy_habit(values[s.name], s) for s in symbols}}
    return env, values, sizes, want


@pytest.mark.parametrize("source,wrt,declare", [p for p in results() if not p.marks] + [
    pytest.param("sum(tanh(W x))", "W", None, id="sum_tanh_Wx")])
def test_numpy_runs_as_pasted_and_matches_finite_differences(source, wrt, declare):
    g = gradient(source, wrt, declare)
    positive = next((c.positive for c in CASES if c.expr == source), False)
    env, values, sizes, want = instance(g, positive)
    code = g.numpy
    assert "\n" not in code
    got = eval(code, env)  # vectors are 1-D arrays, scalars floats
    shaped = want if g.transposed else numpy_habit(want, g.variable)  # the variable's shape, 1-D for a vector
    assert np.shape(got) == np.shape(shaped), f"{code}: shape {np.shape(got)}, want {np.shape(shaped)}"
    assert numeric.relative_error(got, shaped) < 1e-5, code
    value = eval(output.forms(g.expression, g.expression)["numpy"], env)
    assert np.ndim(value) == 0
    assert abs(value - numeric.scalar(g.written, values, sizes)) <= 1e-8 * max(1.0, abs(value))


def test_numpy_names_and_notation():
    assert matcalc.diff(r"\lambda \|w\|^2", "w").numpy == "2 * lambda_ * w"
    assert matcalc.diff(r"a^T \Sigma b", "\\Sigma").numpy == "np.outer(a, b)"
    assert matcalc.diff("tr(W_2 X_{12})", "W_2").numpy == "X_12.T"
    assert matcalc.diff(r"\log|X|", "X").numpy == "np.linalg.inv(X.T)"
    assert matcalc.diff("tr(X)", "X").numpy == "np.eye(X.shape[0])"
    assert matcalc.diff("sum(X .* A)", "X").numpy == "A"


# -- the python export ----------------------------------------------------------------------------

def run_module(code: str) -> dict:
    namespace = {"__name__": "pasted"}
    exec(compile(code, "<pasted>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("source,wrt,declare", [p for p in results() if not p.marks])
def test_python_export_runs_and_passes_its_own_check(source, wrt, declare):
    g = gradient(source, wrt, declare)
    namespace = run_module(output.gradient_line(g, "python"))
    assert namespace["check_gradient"]() < 1e-5


def test_python_export_has_one_gradient_per_variable_and_computes_shared_parts_once():
    gs = matcalc.diff(r"\log|X| + |X| tr(X^{-1} B)", ["X", "B"])
    code = python_code(gs)
    assert "def f_and_grad(X, B):" in code and "return value, grad_X, grad_B" in code
    assert code.count("np.linalg.det(X)") == 1  # |X| computed once
    assert r"Input: \log|X| + |X| tr(X^{-1} B)" in code
    namespace = run_module(code)
    assert namespace["check_gradient"](seed=3) < 1e-5
    X, B = 2 * np.eye(3) + 0.1 * np.ones((3, 3)), np.arange(9.0).reshape(3, 3)
    value, grad_X, grad_B = namespace["f_and_grad"](X, B)
    assert np.isclose(value, np.log(np.linalg.det(X)) + np.linalg.det(X) * np.trace(np.linalg.inv(X) @ B))
    with pytest.raises(AssertionError, match="B should be 3×3"):
        namespace["f_and_grad"](X, np.ones((3, 2)))
    f = run_module(python_code([matcalc.diff("x^T A y", "x")]))["f_and_grad"]
    with pytest.raises(AssertionError, match=r"y should be a vector of length 4, not \(3,\)"):
        f(np.ones(3), np.ones((3, 4)), np.ones(3))


def test_python_check_gradient_catches_a_wrong_gradient():
    g = matcalc.diff("tr(A B A^T C)", "A")
    one_term = g.replace(result=g.result.terms[1])  # the product rule forgotten: C A B
    with pytest.raises(AssertionError, match="differs from finite differences"):
        run_module(python_code([one_term]))["check_gradient"]()
    transposed = g.replace(result=algebra.transpose(g.result))  # ∇_{Aᵀ} for ∇_A (3.C)
    with pytest.raises(AssertionError, match="has shape"):
        run_module(python_code([transposed]))["check_gradient"]()


def test_python_export_from_the_command_line():
    result = CliRunner().invoke(app, ["diff", "x^T S x", "x", "S", "--symmetric", "S", "-f", "python"])
    assert result.exit_code == 0, result.output
    namespace = run_module(result.stdout)
    assert "grad_x" in result.stdout and "grad_S" in result.stdout
    assert namespace["check_gradient"]() < 1e-5


# -- JSON -----------------------------------------------------------------------------------------

def test_json_record_fields():
    result = CliRunner().invoke(app, ["diff", r"\nabla_\mu \mu^TA\mu", "-f", "json"])
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert list(record) == ["input", "wrt", "value", "result", "kinds", "shapes", "steps"]
    assert record["input"] == r"\nabla_\mu \mu^TA\mu"
    assert record["wrt"] == r"\mu"
    assert record["result"] == {"text": r"A \mu + A^T \mu", "latex": r"A \mu + A^{T} \mu", "numpy": "A @ mu + A.T @ mu"}
    assert record["value"]["numpy"] == "mu @ A @ mu"
    assert record["kinds"] == {r"\mu": "vector", "A": "matrix"}
    assert record["shapes"] == {r"\mu": ["m", 1], "A": ["m", "m"]}
    assert isinstance(record["steps"], list)


def test_json_error_record():
    error = None
    try:
        matcalc.diff("tr(A B", "A")
    except matcalc.MatcalcError as e:
        error = e
    record = output.error_record("tr(A B", error)
    assert record["input"] == "tr(A B"
    assert set(record["error"]) == {"message", "line", "column"} and record["error"]["line"] == 1
    result = CliRunner().invoke(app, ["simplify", "tr(A B", "-f", "json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout.splitlines()[0])["error"]["message"] == record["error"]["message"]


# -- --check ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["tr(A B A^T C)", "A"], [r"\lambda \|w\|^2 + \log(\lambda)", "\\lambda"], ["x^T S x", "S", "--symmetric", "S"],
    ["a^T X^{-1} b", "X^T"], [r"\log|X|", "X"], ["sum(log(x))", "x"],
])
def test_check_passes_on_every_kind_of_result(args):
    result = CliRunner().invoke(app, ["diff", *args, "--check", "-f", "text"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.stderr and "relative error" in result.stderr


def test_check_catches_a_broken_differentiation_rule(monkeypatch):
    right = differentiate.derivative_of_function

    def wrong(name, x):  # log' taken as exp: a wrong rule
        return right("exp" if name == "log" else name, x)

    monkeypatch.setattr(differentiate, "derivative_of_function", wrong)
    result = CliRunner().invoke(app, ["diff", "sum(log(x))", "x", "--check", "-f", "text"])
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.stderr


def test_check_catches_a_broken_algebra_rule(monkeypatch):
    monkeypatch.setattr(algebra, "transpose", lambda e: e)  # (AB)ᵀ = AB: wrong
    result = CliRunner().invoke(app, ["diff", "tr(A B)", "A", "--check", "-f", "text"])
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.stderr


@pytest.mark.parametrize("source", ["(x^T y) A B", "A (x^T y)", "(x^T y) z^T", "(a^T b)(c^T d) x"])
def test_numpy_of_a_scalar_product_times_a_matrix(source):
    """xᵀy is a number in NumPy (1-D vectors): it multiplies what follows with *, not @."""
    from matcalc import api
    from matcalc.formats.numpy_code import to_numpy

    e, _ = api.typed(source)
    symbols = free_symbols(e)
    values, sizes = numeric.random_instance(symbols, np.random.default_rng(0), within=(e,))
    env = {"np": np, **{identifier(s.name): numpy_habit(values[s.name], s) for s in symbols}}
    want = numeric.evaluate(canonical(e), values, sizes)  # xᵀy kept as one factor there
    got = eval(to_numpy(e), env)
    assert numeric.relative_error(np.reshape(got, want.shape), want) < 1e-12
    assert np.ndim(got) == sum(d != 1 for d in canonical(e).shape)


# -- a product of names is written at once as `product` writes it ---------------------------------

_A, _B = Sym("A", ("m", "n"), False), Sym("B", ("n", "m"), False)
_NAMES = [_A, _B, Transpose(_A), Transpose(_B), Sym("x", ("n", 1), False), Sym("s", (1, 1), False),
          Sym("W_2", ("m", "n"), False), Sym("mu", (1, 1), False), Transpose(Sym("yhat", ("n", 1), False)),
          Const(Fraction(2)), Const(Fraction(12)), Trace(MatMul((_A, _B))), Trace(_A)]
_OTHERS = [Const(Fraction(1)), Const(Fraction(-3)), Const(Fraction(1, 2)), Const(Fraction(3, 2)), Identity("n"),
           Ones(("n", 1)), Trace(MatMul((Const(Fraction(-1)), _A, _B))), Power(Sym("s", (1, 1), False), Fraction(-1)), Func("exp", Sym("s", (1, 1), False)),
           Transpose(Transpose(_A))]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_NAMES), st.sampled_from(_NAMES), st.sampled_from(_OTHERS)),
                min_size=1, max_size=6), st.sampled_from(sorted(render.STYLES)))
@example([Const(Fraction(3, 2)), _A], "text")  # (3/2) A
@example([Const(Fraction(1)), _A, _B], "text")  # A B
def test_a_product_of_names_is_written_as_the_product_writes_it(factors, style):
    writer = render._Renderer(render.STYLES[style])
    fast = writer.names(factors)
    if fast is not None:
        assert fast == writer.product(factors)[0]


_PRODUCTS = st.lists(st.one_of(st.sampled_from(_NAMES), st.sampled_from(_NAMES), st.sampled_from(_OTHERS)),
                     min_size=2, max_size=4).map(lambda fs: MatMul(tuple(fs)))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_PRODUCTS, st.sampled_from(_NAMES + _OTHERS)), min_size=2, max_size=4),
       st.sampled_from(sorted(render.STYLES)))
def test_sums_of_products_of_names_are_written_as_without_the_one_pass(terms, style):
    e = Add(tuple(terms))
    fast = render.render(e, render.STYLES[style])
    with pytest.MonkeyPatch.context() as m:
        m.setattr(render._Renderer, "names", lambda self, factors: None)  # every product through `product`
        assert render.render(e, render.STYLES[style]) == fast

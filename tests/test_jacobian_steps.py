"""Derivations (`--steps`) of Jacobians and Hessians.

Every step of every derivation of the corpus (the Jacobians, vec/Kronecker forms and Hessians
of test_jacobian.py, layouts, symmetric matrices inside) is evaluated on random data of
distinct non-square sizes with a random dx (dX): consecutive steps must be equal, so a
derivation with a false step fails here. What a step is compared by depends on its kind:
f itself; the differential d f (d vec(F), J dx and ⟨∇f, dx⟩ are all vec(d f)); and in a
Hessian d(∇f) (d vec(∇f) and H dx are vec(d ∇f)). The first of each is compared with central
differences of the input as written (of the gradient, for d(∇f))."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc import api
from matcalc.numeric import evaluation as numeric
from matcalc.formats import render
from matcalc.cli.app import app
from matcalc.calculus.expr import free_symbols
from matcalc.formats.numpy_code import identifier
from matcalc.derivations.rules import BY_ID, RULES
from matcalc.derivations.steps import (
    DIFFERENTIAL, GRADIENT, GRADIENT_DIFFERENTIAL, GRADIENT_VEC_DIFFERENTIAL, HESSIAN, JACOBIAN, JACOBIAN_T,
    VALUE, VEC_DIFFERENTIAL, derive,
)
from oracle import numpy_habit
from test_jacobian import EINSTEIN, HESSIANS, JACOBIANS, KRONECKER
from test_steps import _all_finite, _random_direction, lines

SYM = {"S": "symmetric"}
# (id, command, input, wrt, declarations, layout)
CORPUS = (
    [(f"jacobian {e}", "diff", e, w, d, None) for e, w, d, _, _ in JACOBIANS + KRONECKER + EINSTEIN]
    + [(f"hessian {e}", "hessian", e, w, d, None) for e, w, d, _, _ in HESSIANS]
    + [(f"denominator {e}", "diff", e, w, {"x": "vector"} if "x" in e else {}, "denominator") for e, w in
       [("A x", "x"), ("exp(x) / sum(exp(x))", "x"), ("A X B", "X"), ("tanh(W x + b)", "W"), ("x^T A", "x")]]
    + [("symmetric S x", "diff", "S x", "x", SYM, None), ("symmetric x^T S", "diff", "x^T S", "x", SYM, None),
       ("X .* X", "diff", "X .* X", "X", None, None),
       ("hessian a^T x", "hessian", "a^T x", "x", None, None),  # d(∇f) = 0
       ("hessian tr(X^T X)", "hessian", "tr(X^T X)", "X", None, None),
       ("hessian x^T A x + sum(exp(x))", "hessian", "x^T A x + sum(exp(x))", "x", None, None),
       # the gradient entry by entry (rule einstein), and so its Jacobian
       ("hessian vec(X)^T A vec(X)", "hessian", "vec(X)^T A vec(X)", "X", None, None),
       ("hessian tr(kron(X, B) C) tr(X^T X)", "hessian", "tr(kron(X, B) C) tr(X^T X)", "X", None, None)]
)


def result(command, expr, wrt, declare=None, layout=None):
    if command == "hessian":
        return api.hessian(expr, wrt, declare)
    return matcalc.diff(expr, wrt, declared=declare, layout=layout)


def vec(a) -> np.ndarray:
    return np.asarray(a, dtype=float).reshape(-1, 1, order="F")


def observed(step, value, dx) -> tuple[str, np.ndarray]:
    """What a step's value is compared by: ("value", f), ("df", vec(d f)) or ("dgrad", vec(d ∇f))."""
    kind = step.kind
    if kind == VALUE:
        return "value", value
    if kind == DIFFERENTIAL:
        return "df", vec(value)
    if kind == VEC_DIFFERENTIAL:
        return "df", value
    if kind == JACOBIAN:
        return "df", value @ vec(dx)
    if kind == JACOBIAN_T:
        return "df", value.T @ vec(dx)
    if kind == GRADIENT:  # ⟨∇f, dx⟩
        return "df", np.array([[np.sum(np.broadcast_to(value, dx.shape) * dx)]])
    if kind == GRADIENT_DIFFERENTIAL:
        return "dgrad", vec(value)
    if kind == GRADIENT_VEC_DIFFERENTIAL:
        return "dgrad", value
    if kind == HESSIAN:
        return "dgrad", value @ vec(dx)
    raise AssertionError(f"a step of kind {kind!r} in a Jacobian or Hessian derivation")


def instance(d, seed, positive):
    g, var = d.gradient, d.gradient.variable
    rng = np.random.default_rng(seed)
    for _ in range(3):
        for order in numeric.SIZE_ORDERS:
            values, sizes = numeric.random_instance(free_symbols(g.written), rng, positive, order,
                                                    within=(g.written, g.result, *(s.expr for s in d.steps)))
            dx = _random_direction(var, values, rng)
            with np.errstate(all="ignore"):
                finite = np.all(np.isfinite(numeric.evaluate(g.written, values, sizes)))
            if finite and _all_finite(d, values, sizes, dx):
                return values, sizes, dx
    raise AssertionError(f"{g.source}: no random instance where every step is finite")


def check_steps(d, seed=0, positive=False) -> None:
    """Evaluate each step on random data and a random dx; consecutive steps must agree."""
    g, var = d.gradient, d.gradient.variable
    values, sizes, dx = instance(d, seed, positive)
    x0 = np.asarray(values[var.name], dtype=float)
    eps = 1e-6

    def central(e):  # the change of e along dx, by central differences
        with np.errstate(all="ignore"):
            up = numeric.evaluate(e, {**values, var.name: x0 + eps * dx}, sizes)
            down = numeric.evaluate(e, {**values, var.name: x0 - eps * dx}, sizes)
        return vec((up - down) / (2 * eps))

    expected = {"value": numeric.evaluate(g.written, values, sizes), "df": central(g.written)}
    tolerance = {"value": 1e-9, "df": 1e-5, "dgrad": 1e-5}
    gradient = None
    for i, step in enumerate(d.steps):
        label = f"{g.source}: step {i} [{step.rule}] {render.render(step.expr, render.UNICODE)}"
        try:
            value = numeric.evaluate(step.expr, values, sizes, {var.name: dx})
            what, got = observed(step, value, dx)
        except ValueError as e:  # shapes that do not fit
            raise AssertionError(f"{label}: {e}") from None
        if step.kind == GRADIENT:
            gradient = step.expr
        if what == "dgrad" and what not in expected:  # d(∇f): the change of the gradient just derived
            expected["dgrad"] = central(gradient)
        want = expected[what]
        assert got.shape == want.shape, f"{label} has shape {got.shape}, not {want.shape}"
        error = np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want)))
        assert error <= tolerance[what], f"{label} differs from the step before by {error:.1e}"
        expected[what], tolerance[what] = got, 1e-8
    assert d.steps[-1].kind in ((HESSIAN,) if g.kind == "hessian" else (JACOBIAN_T,) if g.transposed else (JACOBIAN,))
    assert d.steps[-1].expr == g.result


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_every_step_of_every_derivation_is_an_equality(case):
    _, command, expr, wrt, declare, layout = case
    d = derive(result(command, expr, wrt, declare, layout))
    for seed in (0, 1):
        check_steps(d, seed, positive="log" in expr)


def _replace(d, i, expr):
    steps = list(d.steps)
    steps[i] = type(steps[i])(steps[i].rule, expr, "a false step", steps[i].kind)
    return type(d)(d.gradient, tuple(steps))


def test_a_false_step_fails_the_check():
    d = derive(matcalc.diff("exp(x) / sum(exp(x))", "x"))
    i = next(i for i, s in enumerate(d.steps) if s.rule == "vec")
    with pytest.raises(AssertionError, match=r"step \d+ \[vec\]"):  # a term dropped
        check_steps(_replace(d, i, d.steps[i].expr.terms[0]))
    d = derive(api.hessian("x^T A x", "x"))
    i = next(i for i, s in enumerate(d.steps) if s.rule == "hessian")
    with pytest.raises(AssertionError, match=r"step \d+ \[hessian\]"):  # A + Aᵀ read off as A
        check_steps(_replace(d, i, d.steps[i].expr.terms[0]))
    d = derive(matcalc.diff("A X B", "X"))
    i = next(i for i, s in enumerate(d.steps) if s.rule == "jacobian")
    kron = d.steps[i].expr
    with pytest.raises(AssertionError, match=r"step \d+ \[jacobian\]"):  # Bᵀ ⊗ A read off as B ⊗ A
        check_steps(_replace(d, i, type(kron)(kron.left.arg, kron.right)))


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_every_step_has_a_numpy_form_that_runs(case):
    from matcalc.cli.output import step_numpy

    _, command, expr, wrt, declare, layout = case
    d = derive(result(command, expr, wrt, declare, layout))
    g, var = d.gradient, d.gradient.variable
    values, sizes, dx = instance(d, 2, "log" in expr)
    env = {"np": np, **{identifier(s.name): numpy_habit(values[s.name], s) for s in free_symbols(g.written)},
           "d" + identifier(var.name): numpy_habit(dx, var)}
    for step in d.steps:
        code = step_numpy(step, g)
        with np.errstate(all="ignore"):
            want = numeric.evaluate(step.expr, values, sizes, {var.name: dx})
            got = eval(code, env)  # noqa: S307 - our own generated code
        assert np.allclose(np.reshape(got, -1), np.reshape(want, -1)), (step.rule, code)


# -- what the derivations say --------------------------------------------------------------------

def test_jacobian_of_a_linear_map():
    d = derive(matcalc.diff("A x", "x"))
    assert lines(d) == ["A dx  [linearity]", "A  [jacobian]"]
    assert [d.lhs(s.kind) for s in d.steps] == ["d(A x)", "∂(A x)/∂x"]


def test_jacobian_of_an_entrywise_function():
    d = derive(matcalc.diff("exp(x)", "x"))
    assert lines(d) == ["exp(x) ∘ dx  [exp]", "diag(exp(x)) dx  [vec]", "diag(exp(x))  [jacobian]"]


def test_kronecker_form_through_vec():
    d = derive(matcalc.diff("A X B", "X"))
    assert lines(d) == ["A dX B  [linearity]", "(Bᵀ ⊗ A) vec(dX)  [vec]", "Bᵀ ⊗ A  [jacobian]"]
    assert [s.kind for s in d.steps] == [DIFFERENTIAL, VEC_DIFFERENTIAL, JACOBIAN]
    assert d.lhs(VEC_DIFFERENTIAL, "text") == "d vec(A X B)"
    assert d.lhs(VEC_DIFFERENTIAL, "latex") == r"\mathrm{d}\,\operatorname{vec}(A X B)"


def test_softmax_terms_collected_then_read_off():
    d = derive(matcalc.diff("exp(x) / sum(exp(x))", "x"))
    assert d.rules == ["quotient", "linearity", "exp", "vec", "distributive", "jacobian", "simplify"]
    assert lines(d)[-3:] == [
        "(diag(exp(x)) / sum(exp(x)) - exp(x) exp(x)ᵀ / sum(exp(x))²) dx  [distributive]",
        "diag(exp(x)) / sum(exp(x)) - exp(x) exp(x)ᵀ / sum(exp(x))²  [jacobian]",
        "diag(softmax(x)) - softmax(x) softmax(x)ᵀ  [simplify]"]  # the last pass names softmax


def test_denominator_layout_transposes_at_the_end():
    d = derive(matcalc.diff("A x", "x", layout="denominator"))
    assert lines(d) == ["A dx  [linearity]", "A  [jacobian]", "Aᵀ  [jacobian]"]
    assert [s.kind for s in d.steps][-2:] == [JACOBIAN, JACOBIAN_T]
    assert d.lhs(JACOBIAN_T) == "(∂(A x)/∂x)ᵀ" and d.lhs(JACOBIAN) == "∂(A x)/∂x"


def test_hessian_is_the_gradient_then_its_jacobian():
    g = api.hessian("x^T A x", "x")
    d = derive(g)
    gradient = derive(matcalc.diff("x^T A x", "x"))
    n = len(gradient.steps)
    assert d.steps[:n] == gradient.steps  # the gradient's own derivation, step for step
    assert lines(d)[n:] == ["A dx + Aᵀ dx  [linearity]", "(A + Aᵀ) dx  [distributive]", "A + Aᵀ  [hessian]"]
    assert [d.lhs(k) for k in (GRADIENT, GRADIENT_DIFFERENTIAL, HESSIAN)] == [
        "∇_x xᵀ A x", "d(∇_x xᵀ A x)", "∇²_x xᵀ A x"]
    assert d.lhs(GRADIENT_DIFFERENTIAL, "text") == r"d(\nabla_x x^T A x)"
    assert d.lhs(GRADIENT_DIFFERENTIAL, "latex") == r"\mathrm{d}\,\left(\nabla_{x} x^{T} A x\right)"


def test_hessian_of_a_matrix_goes_through_vec():
    d = derive(api.hessian("tr(X^T A X)", "X"))
    assert lines(d)[-4:] == ["(I ⊗ A) vec(dX) + (I ⊗ Aᵀ) vec(dX)  [vec]", "(I ⊗ A + I ⊗ Aᵀ) vec(dX)  [distributive]",
                             "I ⊗ A + I ⊗ Aᵀ  [hessian]", "I ⊗ (A + Aᵀ)  [simplify]"]
    assert d.lhs(GRADIENT_VEC_DIFFERENTIAL) == "d vec(∇_X tr(Xᵀ A X))"


def test_every_cited_rule_is_in_the_table():
    cited = set()
    for _, command, expr, wrt, declare, layout in CORPUS:
        cited |= set(derive(result(command, expr, wrt, declare, layout)).rules)
    assert cited <= set(BY_ID), cited - set(BY_ID)
    assert {"jacobian", "vec", "hessian", "linearity", "product", "simplify"} <= cited


def test_the_new_rules_and_their_demos():
    for rule_id in ("jacobian", "vec", "hessian"):
        rule = BY_ID[rule_id]
        expr, wrt = rule.demo
        assert rule_id in derive(result(rule.subcommand, expr, wrt, rule.declare or None)).rules
    assert BY_ID["hessian"].command() == 'matcalc hessian "x^T A x" x --steps'
    assert BY_ID["vec"].command() == 'matcalc diff "A X B" X --steps'
    assert all(r.subcommand in ("diff", "hessian") for r in RULES)


def test_rules_say_the_cookbook_formula_is_not_a_gradient():
    result = runner.invoke(app, ["rules", "symmetric"])
    assert result.exit_code == 0
    assert "G + Gᵀ − diag(G) is a per-entry derivative" in result.stdout and "not a gradient" in result.stdout


# -- the command line ------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_diff_steps_on_a_jacobian():
    result = runner.invoke(app, ["diff", "A X B", "X", "--steps", "-f", "text"])
    assert result.exit_code == 0, result.output
    assert "no step-by-step derivation" not in result.stderr
    assert [line.split() for line in result.stdout.splitlines()] == [
        "d vec(A X B)/d vec(X) = kron(B^T, A)".split(),
        "d(A X B) = A dX B [linearity]".split(),
        "d vec(A X B) = kron(B^T, A) vec(dX) [vec]".split(),
        "d vec(A X B)/d vec(X) = kron(B^T, A) [jacobian]".split(),
    ]


def test_cli_diff_steps_on_a_jacobian_pretty():
    result = runner.invoke(app, ["diff", "exp(x)", "x", "--steps", "-f", "pretty"])
    assert result.exit_code == 0 and not result.stderr, result.output
    assert [line.split() for line in result.stdout.splitlines()] == [
        "∂exp(x)/∂x = diag(exp(x))".split(),
        "d exp(x) = exp(x) ∘ dx exp exponential".split(),
        "= diag(exp(x)) dx vec vec and Kronecker products".split(),
        "∂exp(x)/∂x = diag(exp(x)) jacobian reading off a Jacobian".split(),
        "x is a vector here; for the other reading declare --scalar x".split()]  # issue 12: readings said


@pytest.mark.parametrize("fmt", ["latex", "numpy", "json"])
def test_cli_diff_steps_on_a_jacobian_in_other_formats(fmt):
    result = runner.invoke(app, ["diff", "exp(x) / sum(exp(x))", "x", "--steps", "-f", fmt])
    # issue 12: the reading taken is said, on stderr (JSON: in the record)
    note = "" if fmt == "json" else "note: x is a vector here; for the other reading declare --scalar x\n"
    assert result.exit_code == 0 and result.stderr == note, result.output
    out = result.stdout
    if fmt == "json":
        record = json.loads(out)
        assert record["derivative"] == "jacobian"
        assert [s["rule"] for s in record["steps"]] == [
            "quotient", "linearity", "exp", "vec", "distributive", "jacobian", "simplify"]
        assert record["steps"][-1]["kind"] == "jacobian" and record["steps"][-1]["text"] == record["result"]["text"]
    elif fmt == "latex":
        assert out.startswith("\\begin{aligned}") and "\\text{vec (vec and Kronecker products)}" in out
        assert out.splitlines()[-3].startswith("\\frac{\\partial")  # ∂f/∂x = J, then softmax named
    else:
        assert out.splitlines()[-1] == matcalc.diff("exp(x) / sum(exp(x))", "x").numpy
        assert any(line.endswith("[distributive]") and "@ dx" in line for line in out.splitlines())  # collected


def test_cli_hessian_steps_text():
    result = runner.invoke(app, ["hessian", "x^T A x", "x", "--steps", "-f", "text"])
    assert result.exit_code == 0 and not result.stderr, result.output
    out = result.stdout.splitlines()
    assert out[0] == "\\nabla^2_x x^T A x = A + A^T"
    assert out[1].split() == "d(x^T A x) = dx^T A x + x^T A dx [product]".split()
    assert out[-3:] == ["  d(\\nabla_x x^T A x) = A dx + A^T dx    [linearity]",
                        "                      = (A + A^T) dx    [distributive]",
                        "   \\nabla^2_x x^T A x = A + A^T    [hessian]"]


def test_cli_hessian_steps_json_and_no_steps():
    result = runner.invoke(app, ["hessian", "log(sum(exp(x)))", "x", "-f", "json"])
    record = json.loads(result.stdout)
    assert record["derivative"] == "hessian"
    rules = [s["rule"] for s in record["steps"]]
    assert rules[:2] == ["definition", "logsumexp"] and "3.A" in rules and rules[-1] == "hessian"  # LSE named first
    assert record["steps"][-1]["text"] == record["result"]["text"]
    assert {s["kind"] for s in record["steps"]} >= {"differential", "gradient", "gradient differential", "hessian"}
    result = runner.invoke(app, ["hessian", "log(sum(exp(x)))", "x", "-f", "json", "--no-steps"])
    assert json.loads(result.stdout)["steps"] == []
    for args in (["--no-steps"], []):  # off by default when piped
        result = runner.invoke(app, ["hessian", "x^T A x", "x", "-f", "text", *args])
        assert result.exit_code == 0 and result.stdout == "\\nabla^2_x x^T A x = A + A^T\n"

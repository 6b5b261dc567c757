"""Derivations (`--steps`) and the rule table (`matcalc rules`).

Every step of every derivation of the corpus is evaluated on random data with a random dX:
consecutive steps must be equal, so a derivation with a false step fails here."""
from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from cookbook_cases import CASES
from matcalc.numeric import evaluation as numeric
from matcalc.formats import render
from matcalc.cli.app import app
from matcalc.calculus.differentiate import differential
from matcalc.calculus.expr import DifferentialOf, PowerDifferential, free_symbols, postorder
from matcalc.formats.numpy_code import identifier
from matcalc.derivations.rules import BY_ID, RULES
from matcalc.derivations.steps import DIFFERENTIAL, GRADIENT, GRADIENT_T, VALUE, derive
from oracle import assert_gradient, numpy_habit

# beyond the Cookbook corpus: ∇ with respect to Xᵀ (3.C), symmetric variables, scalars, huge
# powers (closed form), cancelling terms, the sum rule, products of traces
EXTRA = [
    ("tr(A X^T B)", "X^T", {}, False),
    ("a^T X^{-1} b", "X^T", {}, False),
    ("x^T S x", "S", {"S": "symmetric"}, False),
    ("tr(S\\Theta) - \\log|\\Theta|", "\\Theta", {"\\Theta": "symmetric"}, False),
    ("tr(X^{10})", "X", {}, False),
    ("tr(A X) - tr(X A)", "X", {}, False),
    ("sum(W x)", "W", {}, False),
    ("tr(A^T X) tr(B X)", "X", {}, False),
    ("a^3 tr(A) + log(a) x^T x", "a", {"a": "scalar"}, True),
    ("tr(A X^T B)", "X", {}, False),
    ("a x", "a", {"a": "scalar"}, False),  # a vector times a scalar: df = x da as it stands
    # through vec and ⊗ (rule vec-trace): vec(A)ᵀ (P ⊗ Q) vec(B) = tr(Aᵀ Q B Pᵀ)
    ("vec(X)^T vec(X)", "X", {}, False),
    ("vec(X)^T kron(A, B) vec(Y)", "A", {}, False),
    ("vec(X)^T kron(A, B) vec(Y)", "B", {}, False),
    ("vec(X)^T kron(A, B) vec(Y)", "X", {}, False),
    ("vec(X)^T kron(A, B) vec(Y)", "Y", {}, False),
    ("vec(X)^T (A \\otimes B)^T vec(Y)", "B", {}, False),
    ("vec(X)^T kron(A, B) vec(X)", "X", {}, False),
    ("vec(X)^T kron(I, A) vec(X)", "X", {}, False),
    ("vec(X)^T kron(X, B) vec(Y)", "X", {}, False),
    ("vec(A X B)^T vec(X)", "X", {}, False),
    ("(vec(X)^T vec(X))^2", "X", {}, False),
    ("tr(X^T X) + vec(X)^T vec(C)", "X", {}, False),
    ("(x^T A x)/(x^T x)", "x", {}, False),  # the quotient rule (issue 17)
    # where no matrix writes the gradient: entry by entry (rule einstein)
    ("vec(X)^T A vec(X)", "X", {}, False),
    ("vec(X)^T A vec(X)", "X^T", {}, False),
    ("tr(kron(X, B) C)", "X", {}, False),
    ("a^T kron(X, B) c", "X", {}, False),
    # diagonals (rule diag): tr(P diag(u)) = diag(P)ᵀ u, tr(pᵀ diag(M)) = tr(diag(p) M)
    ("sum(diag(X))", "X", {}, False),
    ("a^T diag(X)", "X", {}, False),
    ("x^T diag(v) x", "v", {}, False),
    ("diag(X)^T A diag(X)", "X", {}, False),
    ("sum(exp(diag(X)))", "X", {}, False),
    ("tr(diag(v))", "v", {}, False),
    ("tr(A diag(v) B)", "v", {}, False),
    ("a^T diag(A X B)", "X", {}, False),
    # a trace inside a trace (1.C takes it out): d|adj X| = |adj X| tr(adj(X)⁻¹ d adj(X))
    ("det(adj(X))", "X", {}, False),
    ("tr(adj(X))", "X", {}, False),
]
CORPUS = [(c.id, c.expr, c.wrt, c.declare, c.positive) for c in CASES] + [
    (f"extra{i}", *case) for i, case in enumerate(EXTRA)]


def derivation(expr, wrt, declare=None):
    return derive(matcalc.diff(expr, wrt, declared=declare or None))


def lines(d) -> list[str]:
    return [f"{render.render(s.expr, render.UNICODE)}  [{s.rule}]" for s in d.steps]


# -- the seed's derivations cite the seed's rules ----------------------------------------------

def test_seed_3A_reads_off_the_gradient():
    assert_gradient("tr(AB)", "A", lambda v: v["B"].T)
    d = derivation("tr(AB)", "A")
    assert d.rules == ["linearity", "1.D", "3.A"]
    assert lines(d) == ["tr(dA B)  [linearity]", "tr(B dA)  [1.D]", "Bᵀ  [3.A]"]


def test_seed_3B_product_rule_3C_1D_3A():
    g = assert_gradient("tr(ABA^TC)", "A", lambda v: v["C"].T @ v["A"] @ v["B"].T + v["C"] @ v["A"] @ v["B"])
    d = derive(g)
    cited = d.rules
    for rule in ("product", "3.C", "1.D", "3.A"):  # in the seed's order
        assert rule in cited
    assert cited.index("product") < cited.index("3.C") < cited.index("1.D") < cited.index("3.A")
    assert lines(d) == [
        "tr(d(A B Aᵀ C))  [linearity]",
        "tr(dA B Aᵀ C + A B dAᵀ C)  [product]",
        "tr(dA B Aᵀ C) + tr(A B dAᵀ C)  [1.B]",
        "tr(dA B Aᵀ C) + tr(Cᵀ dA Bᵀ Aᵀ)  [3.C]",
        "tr(B Aᵀ C dA) + tr(Bᵀ Aᵀ Cᵀ dA)  [1.D]",
        "tr((B Aᵀ C + Bᵀ Aᵀ Cᵀ) dA)  [1.B]",
        "(B Aᵀ C + Bᵀ Aᵀ Cᵀ)ᵀ  [3.A]",
        "Cᵀ A Bᵀ + C A B  [simplify]",
    ]


def test_seed_2A_scalar_trace_then_as_in_3B():
    g = assert_gradient("\\mu^TA\\mu", "\\mu", lambda v: v["A"] @ v["\\mu"] + v["A"].T @ v["\\mu"])
    d = derive(g)
    assert d.rules[:3] == ["product", "scalar-trace", "3.C"]
    assert "3.A" in d.rules
    assert BY_ID["scalar-trace"].explanation.startswith("The trace of a real number is that number")
    assert render.render(d.steps[-1].expr, render.UNICODE) == "A μ + Aᵀ μ"


def test_seed_3D_then_3A():
    """Issue 17: d|A| is the seed's 3.D in differential form (Jacobi's formula for the variable itself)."""
    g = assert_gradient("|A|", "A", lambda v: np.linalg.det(v["A"]) * np.linalg.inv(v["A"]).T)
    d = derive(g)
    assert d.rules[0] == "3.D" and "3.A" in d.rules
    assert "3.D" in BY_ID["jacobi"].explanation  # Jacobi's formula is the seed's cofactor argument
    assert render.render(d.steps[-1].expr, render.UNICODE) == "|A| A⁻ᵀ"


# -- every step of every derivation, numerically -------------------------------------------------

def _random_direction(var, values, rng):
    dx = rng.standard_normal(np.shape(values[var.name]))
    return (dx + dx.T) / 2 if var.symmetric else dx


def _all_finite(d, values, sizes, dx) -> bool:
    name = d.gradient.variable.name
    try:
        with np.errstate(all="ignore"):
            return all(np.all(np.isfinite(numeric.evaluate(s.expr, values, sizes, {name: dx}))) for s in d.steps)
    except np.linalg.LinAlgError:
        return False


def check_steps(d, seed=0, positive=False) -> None:
    """Evaluate each step on random data and a random dX; consecutive steps must agree."""
    g, var = d.gradient, d.gradient.variable
    rng = np.random.default_rng(seed)
    eps = 1e-6

    def f_at(x):
        with np.errstate(all="ignore"):
            return numeric.scalar(g.written, {**values, var.name: x}, sizes)

    for _ in range(3):
        for order in numeric.SIZE_ORDERS:  # log|XᵀX| needs X tall, |A X B| needs A wide
            values, sizes = numeric.random_instance(free_symbols(g.written), rng, positive, order,
                                                    within=(g.written, g.result, *(s.expr for s in d.steps)))
            dx = _random_direction(var, values, rng)
            x0 = np.asarray(values[var.name], dtype=float)
            expected = {VALUE: f_at(x0), DIFFERENTIAL: (f_at(x0 + eps * dx) - f_at(x0 - eps * dx)) / (2 * eps)}
            if np.all(np.isfinite(list(expected.values()))) and _all_finite(d, values, sizes, dx):
                break
        else:
            continue
        break
    else:
        raise AssertionError(f"{g.source}: no random instance where every step is finite")
    tolerance = {VALUE: 1e-9, DIFFERENTIAL: 1e-5}  # the first differential against finite differences
    previous = DIFFERENTIAL
    for i, step in enumerate(d.steps):
        value = numeric.evaluate(step.expr, values, sizes, {var.name: dx})
        if step.kind in (VALUE, DIFFERENTIAL):
            got = float(value[0, 0])
        else:  # ⟨G, dX⟩ must be the differential
            direction = dx.T if step.kind == GRADIENT_T else dx
            got = float(np.sum(np.broadcast_to(value, direction.shape) * direction))
        kind = VALUE if step.kind == VALUE else DIFFERENTIAL
        want = expected[kind]
        scale = max(1.0, abs(want))
        assert abs(got - want) <= tolerance[kind] * scale, (
            f"{g.source}: step {i} [{step.rule}] {render.render(step.expr, render.UNICODE)} "
            f"gives {got!r}, the step before gives {want!r}")
        expected[kind], tolerance[kind] = got, 1e-8
        previous = step.kind
    assert previous in (GRADIENT, GRADIENT_T)
    assert d.steps[-1].expr == g.result


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_every_step_of_every_derivation_is_an_equality(case):
    _, expr, wrt, declare, positive = case
    d = derivation(expr, wrt, declare)
    for seed in (0, 1):
        check_steps(d, seed, positive)
    shown = [(s.kind, render.render(s.expr, render.UNICODE)) for s in d.steps]
    assert all(a != b for a, b in zip(shown, shown[1:])), "a line printed twice in a row"


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_every_step_has_a_numpy_form_that_runs(case):
    _, expr, wrt, declare, positive = case
    d = derivation(expr, wrt, declare)
    g, var = d.gradient, d.gradient.variable
    symbols = free_symbols(g.written)
    rng = np.random.default_rng(2)
    values, sizes = numeric.random_instance(symbols, rng, positive,
                                             within=(g.written, g.result, *(s.expr for s in d.steps)))
    dx = _random_direction(var, values, rng)
    env = {"np": np, **{identifier(s.name): numpy_habit(values[s.name], s) for s in symbols},
           "d" + identifier(var.name): numpy_habit(dx, var)}
    from matcalc.cli.output import step_numpy

    for step in d.steps:
        code = step_numpy(step, g)
        if code is None:  # NumPy has no closed form for Σ_r Xʳ dX Xᵏ⁻¹⁻ʳ (also as d(Xᵏ) worked out)
            worked = [differential(n.arg, n.var) for n in postorder(step.expr) if isinstance(n, DifferentialOf)]
            assert any(isinstance(n, PowerDifferential) for e in (step.expr, *worked) for n in postorder(e))
            continue
        with np.errstate(all="ignore"):
            want = numeric.evaluate(step.expr, values, sizes, {var.name: dx})
            got = eval(code, env)  # noqa: S307 - our own generated code
        assert np.allclose(np.reshape(got, -1), np.reshape(want, -1), equal_nan=True), (step.rule, step_numpy(step, g))


def test_a_false_step_fails_the_check():
    d = derivation("tr(ABA^TC)", "A")
    i = next(i for i, s in enumerate(d.steps) if s.rule == "1.D")
    broken = list(d.steps)
    broken[i] = type(d.steps[i])("1.D", d.steps[i - 1].expr.terms[0], "a dropped term")
    with pytest.raises(AssertionError, match=r"step \d+ \[1.D\]"):
        check_steps(type(d)(d.gradient, tuple(broken)))


# -- the rule table --------------------------------------------------------------------------

def test_every_cited_rule_is_in_the_table():
    cited = set()
    for _, expr, wrt, declare, _ in CORPUS:
        cited |= set(derivation(expr, wrt, declare).rules)
    assert cited <= set(BY_ID), cited - set(BY_ID)
    assert {"product", "3.C", "1.D", "3.A", "1.B", "1.C", "scalar-trace", "jacobi", "logdet", "inverse",
            "power", "hadamard", "elementwise", "norm", "chain", "sum", "symmetric", "simplify"} <= cited


def test_each_demo_shows_its_rule():
    for rule in RULES:
        if rule.identity is not None:  # a rule of simplify/verify chains: tests/test_chains.py
            continue
        if rule.subcommand == "hessian":  # `matcalc hessian ... --steps`
            d = derive(matcalc.api.hessian(*rule.demo, rule.declare or None))
        else:
            d = derivation(*rule.demo, rule.declare)
        assert rule.id in d.rules or str(d.gradient) == rule.statement, rule.id


def test_seed_ids_and_unique_ids():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert {"1.A", "1.B", "1.C", "1.D", "2.A", "3.A", "3.B", "3.C", "3.D"} <= set(ids)


# -- the command line -------------------------------------------------------------------------

runner = CliRunner()


def test_cli_diff_steps_text():
    result = runner.invoke(app, ["diff", "tr(A B A^T C)", "A", "--steps"])
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert out[0] == "\\nabla_A tr(A B A^T C) = C^T A B^T + C A B"
    assert out[1].split() == "d tr(A B A^T C) = tr(d(A B A^T C)) [linearity]".split()
    assert out[2].split() == "= tr(dA B A^T C + A B dA^T C) [product]".split()
    assert out[-1].split() == "= C^T A B^T + C A B [simplify]".split()
    assert any(line.rstrip().endswith("[3.C]") for line in out)


def test_cli_diff_no_steps_and_piped_default():
    for args in (["--no-steps"], []):
        result = runner.invoke(app, ["diff", "tr(A B A^T C)", "A", *args])
        assert result.exit_code == 0
        assert result.stdout == "\\nabla_A tr(A B A^T C) = C^T A B^T + C A B\n"


def test_cli_diff_steps_json_and_latex():
    import json

    result = runner.invoke(app, ["diff", "|A|", "A", "--steps", "-f", "json"])
    record = json.loads(result.stdout)
    assert [s["rule"] for s in record["steps"]] == ["3.D", "1.C", "3.A", "simplify"]
    assert record["steps"][0]["numpy"] == "np.linalg.det(A) * np.trace(np.linalg.inv(A) @ dA)"
    assert {"rule", "text", "latex", "numpy"} <= set(record["steps"][0])
    result = runner.invoke(app, ["diff", "|A|", "A", "--steps", "-f", "latex"])
    assert result.stdout.startswith("\\begin{aligned}")
    assert "&& \\text{" in result.stdout and result.stdout.rstrip().endswith("\\end{aligned}")


def test_cli_rules():
    result = runner.invoke(app, ["rules"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.stdout.splitlines()] == [r.id for r in RULES]
    result = runner.invoke(app, ["rules", "3.D"])
    assert result.exit_code == 0
    assert "∇_A |A| = |A| A⁻ᵀ" in result.stdout and 'matcalc diff "|A|" A --steps' in result.stdout
    result = runner.invoke(app, ["rules", "nosuch"])
    assert result.exit_code == 2
    assert "nosuch" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("expr", ["tr(X^{1000000})", "tr(X^k)", "tr(X^{2k})", "tr((A X)^{20})"])
def test_unicode_steps_hold_no_latex(expr):
    """Σᵣ₌₀ᵏ⁻¹ Xʳ dX Xᵏ⁻¹⁻ʳ in Unicode; `\\sum_{r=0}^{k-1}` stays in the text and LaTeX forms."""
    d = derivation(expr, "X")
    shown = lines(d)
    assert shown[0].startswith("tr(d(") and shown[1].startswith("tr(Σᵣ₌₀"), shown[:2]  # d(Xᵏ), then the power rule
    assert not any(c in line for line in shown for c in "{}\\_^"), shown
    assert "\\sum_{r=0}^" in render.render(d.steps[1].expr, render.TEXT)


def test_a_symmetric_gradient_reads_off_g_first_and_says_so():
    """Issue 17: the 3.A line is the unconstrained gradient G, not yet ∇_S f = (G + Gᵀ)/2."""
    from matcalc.derivations.steps import UNCONSTRAINED

    d = derivation("tr(A S)", "S", {"S": "symmetric"})
    check_steps(d)
    assert lines(d) == ["tr(A dS)  [linearity]", "Aᵀ  [3.A]", "(1/2) (Aᵀ + A)  [symmetric]"]
    assert [s.kind for s in d.steps] == [DIFFERENTIAL, UNCONSTRAINED, GRADIENT]
    assert d.lhs(UNCONSTRAINED) == "G" and d.lhs(GRADIENT) == "∇_S tr(A S)"
    result = runner.invoke(app, ["diff", "tr(A S)", "S", "--symmetric", "S", "--steps", "-f", "text"])
    assert result.exit_code == 0
    assert [line.split("=")[0].strip() for line in result.stdout.splitlines()[1:]] == [
        "d tr(A S)", "G", "\\nabla_S tr(A S)"]

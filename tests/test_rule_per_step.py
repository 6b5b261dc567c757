"""Issue 17: one rule per step, everywhere.

Every derivation of the test corpus is walked: the gradients of the Cookbook corpus and its
extras (test_steps.py), the Jacobians and Hessians (test_jacobian_steps.py), the machine-learning
objectives (ml_cases.py), the seed's identities (test_seed.py), the `simplify` and `verify` chains
(test_chains.py) and the README's `--steps` examples.

(a) Each step cites one rule id that `matcalc rules` lists, and is numerically equal to the step
    before: the checks of test_steps.py, test_jacobian_steps.py and test_chains.py, reused.
(b) Each step is an instance of the rule it cites, where the rule has an `applies` check
    (derivations/applies.py): that catches a step that does more than its rule.
"""
from __future__ import annotations

import re
import shlex

import pytest
from typer.testing import CliRunner

import matcalc
import oracle
import test_chains
import test_jacobian_steps
import test_steps
from matcalc import api
from matcalc.calculus.expr import DifferentialOf, postorder
from matcalc.cli.app import app
from matcalc.derivations import chains
from matcalc.derivations.rules import BY_ID
from matcalc.derivations.steps import DIFFERENTIAL, NoDerivation, derive
from matcalc.formats import render
from ml_cases import CASES as ML
from test_readme import EXAMPLES as README
from test_seed import SEED


def _listed() -> set[str]:
    result = CliRunner().invoke(app, ["rules"])
    assert result.exit_code == 0
    return {line.split()[0] for line in result.stdout.splitlines()}


LISTED = _listed()


def _gradient(expr, wrt, declare=None, positive=False):
    d = derive(matcalc.diff(expr, wrt, declared=declare or None))
    return d, lambda: test_steps.check_steps(d, 0, positive)


def _derivative(command, expr, wrt, declare=None, layout=None, positive=False):
    d = derive(test_jacobian_steps.result(command, expr, wrt, declare or None, layout))
    return d, lambda: test_jacobian_steps.check_steps(d, 0, positive)


def _any(command, expr, wrt, declare=None, layout=None, positive=False):
    g = test_jacobian_steps.result(command, expr, wrt, declare or None, layout)
    if getattr(g, "kind", "gradient") == "gradient":
        return _gradient(expr, wrt, declare, positive)
    return _derivative(command, expr, wrt, declare, layout, positive)


def _simplification(source):
    s, positive = test_chains.simplify_case(source)
    chain = chains.simplification(s)
    return chain, lambda: test_chains.assert_chain_holds([s.written] + [t.expr for t in chain.steps], positive)


def _verification(source):
    v = matcalc.verify(source)
    chain = chains.verification(v)
    return chain, lambda: test_chains.assert_verification_holds(chain)


def _readme(command):
    """A README `--steps` example as (command, input, wrt, declarations, layout), or None."""
    words = shlex.split(command)
    if "--steps" not in words or words[1] not in ("diff", "hessian", "simplify", "verify"):
        return None
    declare, layout, rest, i = {}, None, [], 2
    while i < len(words):
        w = words[i]
        if w in ("--symmetric", "--scalar", "--vector", "--matrix"):
            declare[words[i + 1]] = w[2:]
            i += 2
        elif w in ("-f", "--format", "--layout"):
            layout = words[i + 1] if w == "--layout" else layout
            i += 2
        elif w.startswith("-"):
            i += 1
        else:
            rest.append(w)
            i += 1
    return words[1], rest, declare, layout


def corpus() -> list:
    """(id, thunk) for every derivation: the thunk gives (derivation or chain, its numeric check)."""
    out = [(f"gradient {c[1]} wrt {c[2]}", lambda c=c: _gradient(c[1], c[2], c[3], c[4])) for c in test_steps.CORPUS]
    out += [(c[0], lambda c=c: _derivative(*c[1:])) for c in test_jacobian_steps.CORPUS]
    out += [(f"ml {c.id}", lambda c=c: _any("hessian" if c.kind == "hessian" else "diff", c.expr, c.wrt, c.declare,
                                            None, c.positive))
            for c in ML if not c.xfail_value and not c.prepare]  # random data cannot keep b - A x > 0
    out += [(f"seed {rule}", lambda s=source: _gradient(s, None)) for rule, source, *_ in SEED]
    out += [(f"simplify {s}", lambda s=s: _simplification(s)) for s in test_chains.SIMPLIFY]
    out += [(f"verify {s}", lambda s=s: _verification(s)) for s in test_chains.IDENTITIES]
    for command, _, _ in README:
        found = _readme(command)
        if found is None:
            continue
        kind, args, declare, layout = found
        if kind == "simplify":
            out.append((f"readme {command}", lambda a=args: _simplification(a[0])))
        elif kind == "verify":
            out.append((f"readme {command}", lambda a=args: _verification(a[0])))
        else:
            for wrt in args[1:] or [None]:
                out.append((f"readme {command} wrt {wrt}",
                            lambda k=kind, a=args, w=wrt, d=declare, lay=layout: _any(k, a[0], w, d, lay)))
    return out


CORPUS = corpus()
IDS = [name for name, _ in CORPUS]

# Steps that do more than their rule, listed, not hidden: strict, so each fails loudly once mended.
OFFENDERS: dict[str, str] = {}


# Inputs with no step-by-step derivation (before issue 17 as now): `--steps` says so on stderr.
NO_DERIVATION: set[str] = set()


def _no_derivation(name):
    if name in NO_DERIVATION:
        return [pytest.mark.xfail(strict=True, raises=NoDerivation, reason="no step-by-step derivation for this form")]
    return []


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0], marks=_no_derivation(c[0])) for c in CORPUS])
def test_each_step_cites_one_listed_rule_and_equals_the_step_before(case):
    _, build = case
    d, check = build()
    assert d is not None
    for step in d.steps:
        assert isinstance(step.rule, str) and step.rule in LISTED, step.rule
    rules = [s.rule for s in d.steps]
    assert ("simplify", "simplify") not in set(zip(rules, rules[1:])), "two tidy-ups in a row: one step"
    check()


def _marks(name):
    if name in OFFENDERS:
        return [pytest.mark.xfail(strict=True, reason=f"issue 17: {OFFENDERS[name]}")]
    return _no_derivation(name)


@pytest.mark.parametrize("case", [pytest.param(c, id=c[0], marks=_marks(c[0])) for c in CORPUS])
def test_each_step_is_an_instance_of_its_rule(case):
    _, build = case
    d, _ = build()
    wrong = []
    for before, step in d.moves():
        applies = BY_ID[step.rule].applies
        if applies is not None and before is not None and not applies(before, step.expr):
            wrong.append(f"[{step.rule}] {_shown(before)}  →  {_shown(step.expr)}")
    assert not wrong, "steps that are not instances of their rule alone:\n" + "\n".join(wrong)


def _shown(e) -> str:
    return render.render(e, render.UNICODE)


def test_the_corpus_is_walked_whole():
    kinds = {name.split()[0] for name in IDS}
    assert {"gradient", "jacobian", "hessian", "ml", "seed", "simplify", "verify", "readme"} <= kinds
    assert len(CORPUS) > 400
    with_checks = {r.id for r in BY_ID.values() if r.applies}
    assert {"1.A", "1.B", "1.C", "1.D", "3.A", "3.C", "3.D", "2.A", "3.B", "linearity", "product", "quotient",
            "chain", "norm", "tanh", "exp", "scalar-trace", "distributive", "commutation", "jacobian", "vec",
            "hessian", "symmetric", "sum", "diag", "vec-trace", "det", "einstein", "simplify"} <= with_checks
    assert with_checks == set(BY_ID)  # every rule has a check (how strict: derivations/applies.py)


# -- the checks catch a step that does more than its rule --------------------------------------------

NETWORK = ("\\|W_2 \\tanh(W_1 x) - y\\|^2", "W_1")


def _merged(d, rule: str) -> tuple:
    """The line before the first `rule` step, and the line after the step that follows it: two
    rules done in one step."""
    moves = d.moves()
    i = next(i for i, (_, s) in enumerate(moves) if s.rule == rule)
    return moves[i][0], moves[i + 1][1].expr


@pytest.mark.parametrize("rule", ["norm", "linearity", "tanh", "scalar-trace", "hadamard", "1.D", "1.C"])
def test_two_rules_in_one_step_fail_the_first_rules_check(rule):
    d = derive(matcalc.diff(*NETWORK))
    before, after = _merged(d, rule)
    if BY_ID[rule].applies is None:
        pytest.skip(f"{rule} has no check")
    assert not BY_ID[rule].applies(before, after)


def test_the_network_derivation_is_one_rule_per_step():
    """The issue's example: d‖r‖² = 2 rᵀ dr (norm), dr = W₂ d tanh(W₁x) (linearity), d tanh(u) =
    (𝟏 - tanh(u)∘²) ∘ du (tanh), du = dW₁ x (linearity)."""
    d, check = _gradient(*NETWORK)
    check()
    assert [s.rule for s in d.steps[:4]] == ["norm", "linearity", "tanh", "linearity"]
    assert [_shown(s.expr) for s in d.steps[:4]] == [
        "2 (W₂ tanh(W₁ x) - y)ᵀ d(W₂ tanh(W₁ x) - y)",
        "2 (W₂ tanh(W₁ x) - y)ᵀ W₂ d tanh(W₁ x)",
        "2 (W₂ tanh(W₁ x) - y)ᵀ W₂ ((𝟏 - tanh(W₁ x)∘²) ∘ d(W₁ x))",
        "2 (W₂ tanh(W₁ x) - y)ᵀ W₂ ((𝟏 - tanh(W₁ x)∘²) ∘ (dW₁ x))",
    ]
    assert sum(isinstance(n, DifferentialOf) for n in postorder(d.steps[0].expr)) == 1  # d(r), not yet worked out


def test_a_rotation_that_also_transposes_is_not_1D():
    applies = BY_ID["1.D"].applies
    before, rotation, transposed, scaled = matcalc.simplify("tr(A B C) + tr(B C A) + tr(C^T B^T A^T) + tr(2 B C A)",
                                                           {}).written.terms
    assert applies(before, rotation)
    assert not applies(before, transposed)  # 1.A, not 1.D
    assert not applies(before, before)  # a step changes something
    assert not applies(2 * 0 or scaled, rotation)  # 2 tr(A B C) is not tr(A B C)


def test_an_elementwise_step_brings_its_own_derivative():
    """d tanh(u) = (𝟏 - tanh(u)∘²) ∘ du: citing exp for it, or sigmoid's derivative under tanh, fails."""
    d = derive(matcalc.diff(*NETWORK))
    i = next(i for i, s in enumerate(d.steps) if s.rule == "tanh")
    before, step = d.moves()[i]
    assert BY_ID["tanh"].applies(before, step.expr)
    assert not BY_ID["exp"].applies(before, step.expr)
    assert not BY_ID["linearity"].applies(before, step.expr)
    assert not BY_ID["product"].applies(before, step.expr)


# -- the seed's rules where they apply (issue 17) ---------------------------------------------------

def test_3D_is_cited_for_the_determinant_in_diff_and_verify():
    d, check = _gradient("|A|", "A")
    check()
    assert d.rules[0] == "3.D"
    chain = chains.verification(matcalc.verify("\\nabla_A \\vert A \\vert = \\vert A \\vert (A^{-1})^T"))
    assert "3.D" in chain.rules


def test_2A_for_a_quadratic_form_inside_f():
    d, check = _gradient("x^T A x + b^T x", "x")
    check()
    assert d.rules[:2] == ["linearity", "2.A"]
    assert _shown(d.steps[1].expr) == "xᵀ (A + Aᵀ) dx + bᵀ dx"
    chain = chains.verification(matcalc.verify("\\nabla_x x^T A x = A x + A^T x"))
    assert chain.rules[0] == "2.A"


def test_3B_for_the_pattern_inside_f():
    d, check = _gradient("tr(X B X^T C) + tr(X)", "X")
    check()
    assert "3.B" in d.rules and "product" not in d.rules
    chain = chains.verification(matcalc.verify("\\nabla_A tr(A B A^T C) = C^T A B^T + C A B"))
    assert chain.rules[0] == "3.B"


def test_the_seed_proofs_stay_proofs():
    """f itself the pattern of 2.A or 3.B: the derivation is the seed's proof (product, 3.C, 1.D, 3.A)."""
    for expr, wrt in [("x^T A x", "x"), ("tr(A B A^T C)", "A")]:
        rules = derive(matcalc.diff(expr, wrt)).rules
        assert "product" in rules and "3.C" in rules and "2.A" not in rules and "3.B" not in rules


def test_the_listing_has_the_new_rules_and_no_latex():
    listing = CliRunner().invoke(app, ["rules"]).stdout
    assert {"chain", "quotient", "norm", "elementwise", "tanh", "exp", "sigmoid", "3.D"} <= LISTED
    for rule in BY_ID.values():
        for text in (rule.statement, rule.explanation, rule.example):  # commands to type (`...`) aside
            assert not re.search(r"[{}\\^]|_\{", re.sub(r"`[^`]*`", "", text)), (rule.id, text)
    assert "Σᵣ₌₀ᵏ⁻¹" in listing and "Kₘₙ" in listing and "∇_Aᵀ" in listing


def test_a_chain_stage_that_does_more_than_its_rule_is_split():
    """canonical.rewrite with 1.D switched on also cancels A A⁻¹, and reads a trace by 1.A as its
    transpose's rotation: the chain shows the rule's own move, then the tidying, and no detour."""
    def chain(source):
        s = matcalc.simplify(source)
        return [(render.render(t.expr, render.TEXT), t.rule) for t in chains.simplification(s).steps]

    assert chain("tr(A^{-1} B A)") == [("tr(B A A^{-1})", "1.D"), ("tr(B)", "simplify")]
    assert chain("tr(X^T A)") == [("tr(A X^T)", "1.D")]
    assert chain("tr(2X^T A)") == [("2 tr(X^T A)", "1.C"), ("2 tr(A X^T)", "1.D")]
    assert chain("a^T sin(x)") == [("sin(x)^T a", "scalar-trace"), ("sin(x^T) a", "simplify")]


# -- steps that did two things, split (issue 17) -----------------------------------------------------

def test_multiplying_out_inside_a_trace_is_its_own_step_before_1B():
    """d tr((Xᵀ C X)⁻¹ Xᵀ B X) holds tr(… (dXᵀ C X + Xᵀ C dX) … + …): the product is multiplied out
    in the trace (distributive), then the trace of the sum is split (1.B alone)."""
    d, check = _gradient("tr((X^T C X)^{-1} (X^T B X))", "X")
    check()  # every step equal to the one before, on non-square data
    moves = d.moves()
    i = next(i for i, (_, s) in enumerate(moves) if s.rule == "distributive")
    (before, spread), (_, split) = moves[i], moves[i + 1]
    assert split.rule == "1.B"
    assert _shown(spread.expr).count("tr(") == 1 and _shown(split.expr).count("tr(") == 4
    assert BY_ID["distributive"].applies(before, spread.expr)
    assert BY_ID["1.B"].applies(spread.expr, split.expr)


def test_vec_reads_K_off_and_simplify_merges_the_powers():
    """x / ‖x‖: vec writes -x xᵀ dx / (‖x‖² ‖x‖), the coefficient as the term had it; the merge into
    ‖x‖³ is a simplify step of its own, and a vec step that merged would fail vec's check."""
    d, check = _derivative("diff", "x / \\|x\\|", "x")
    check()
    moves = d.moves()
    i = next(i for i, (_, s) in enumerate(moves) if s.rule == "vec")
    (before, read), (_, merged) = moves[i], moves[i + 1]
    assert merged.rule == "simplify"
    assert "(‖x‖² ‖x‖)" in _shown(read.expr) and "‖x‖³" in _shown(merged.expr)
    vec = BY_ID["vec"].applies
    assert vec(before, read.expr)
    assert not vec(before, merged.expr)  # vec and the tidy-up in one step
    assert not vec(before, before)  # a step changes something


def test_vec_has_a_check_that_wants_each_term_to_end_in_dx():
    d, _ = _derivative("diff", "A X B", "X")
    before, step = next((b, s) for b, s in d.moves() if s.rule == "vec")
    vec = BY_ID["vec"].applies
    assert vec(before, step.expr)
    assert not vec(step.expr, before)  # A dX B: no term ends in vec(dX)


# -- the trace rules and distributive are checked term for term (issue 17) -------------------------

def _sides(identity: str):
    """The two sides of an identity, read together (one set of sizes), as two lines of a step."""
    return matcalc.verify(identity).sides


@pytest.mark.parametrize("rule,before,after", [
    ("1.B", "tr(A B + C D)", "tr(A B) + tr(C D)"),  # split in place
    ("1.B", "tr(A B) + tr(C B)", "tr((A + C) B)"),  # collected: tr(M₁ R) + tr(M₂ R) = tr((M₁ + M₂) R)
    ("1.B", "tr(A B) + tr(A B)", "tr((A + A) B)"),
    ("1.C", "2 tr(A B C)", "tr(2 A B C)"),
    ("1.C", "a tr(A B) + b tr(C D)", "tr(a A B) + tr(b C D)"),
    ("scalar-trace", "a^T X b", "tr(a^T X b)"),
    ("scalar-trace", "a^T X b", "b^T X^T a"),
    ("1.D", "tr(A B C)", "tr(C A B)"),
    ("1.D", "tr(A B) + 2 tr(C D E)", "tr(B A) + 2 tr(E C D)"),  # each term rotated on its own
    ("1.D", "tr(X A X)", "tr(A X^2)"),  # X X is written X²
    ("1.D", "x^T A x tr(B C)", "x^T A x tr(C B)"),
    ("1.A", "tr(B A^T)", "tr(A B^T)"),
    ("1.A", "tr(A B) + tr(C D)", "tr(B^T A^T) + tr(C D)"),
    ("1.A", "tr((A B)^T C)", "tr(C^T A B)"),
    ("3.C", "tr(A X^T B)", "tr(B^T X A^T)"),
    ("distributive", "A (B + C) - A B", "A B + A C - A B"),  # like terms stay for simplify
    ("distributive", "tr(A (B + C) D)", "tr(A B D + A C D)"),
    ("distributive", "(x - y)^T A (x - y)", "x^T A x - x^T A y - y^T A x + y^T A y"),
    ("distributive", "A .* (B - C)", "A .* B - A .* C"),
])
def test_the_trace_rules_accept_their_own_move(rule, before, after):
    b, a = _sides(f"{before} = {after}")
    assert BY_ID[rule].applies(b, a)
    assert not BY_ID[rule].applies(b, b)  # a step changes something


@pytest.mark.parametrize("rule,before,after,also", [
    ("1.B", "tr(A (B + C))", "tr(A B) + tr(A C)", "distributive"),
    ("1.B", "tr(A B) + tr(A B)", "tr(2 A B)", "like terms collected"),
    ("1.B", "tr(2 A B + C D)", "2 tr(A B) + tr(C D)", "1.C"),
    ("1.B", "tr(A B + C D)", "tr(B A) + tr(C D)", "1.D"),
    ("1.C", "2 tr(A (B + C))", "tr(2 A B) + tr(2 A C)", "distributive and 1.B"),
    ("1.C", "2 tr(A B C)", "tr(2 C A B)", "1.D"),
    ("1.C", "2 tr(A B^T)", "tr(2 B A^T)", "1.A"),
    ("scalar-trace", "a^T (X + Y) b", "a^T X b + b^T Y^T a", "distributive"),
    ("scalar-trace", "a^T X b", "tr(b a^T X)", "1.D"),
    ("1.D", "tr(A B C)", "tr(B^T A^T C^T)", "1.A"),
    ("1.D", "2 tr(A B C)", "tr(2 C A B)", "1.C"),
    ("1.D", "tr(A (B + C) D)", "tr(D A B + D A C)", "distributive"),
    ("1.D", "tr(A (B + C) D)", "tr(D A B) + tr(D A C)", "distributive and 1.B"),
    ("1.D", "tr(A B) + tr(B A)", "2 tr(A B)", "like terms collected"),
    ("1.D", "tr(A^{-1} B A)", "tr(B)", "A A⁻¹ cancelled"),
    ("1.A", "tr(A B C)", "tr(B^T A^T C^T)", "1.D"),
    ("1.A", "tr(A (B + C))", "tr(B^T A^T) + tr(C^T A^T)", "distributive and 1.B"),
    ("1.A", "tr(A B) + tr(A B)", "2 tr(B^T A^T)", "like terms collected"),
    ("1.A", "2 tr(A B)", "tr(2 B^T A^T)", "1.C"),
    ("1.A", "tr((A B)^T C)", "tr(B^T A^T C)", "a transpose pushed, nothing transposed: simplify"),
    ("3.C", "tr(A X^T B)", "tr(A^T B^T X)", "1.D"),
    ("distributive", "A (B + C) - A B", "A C", "like terms collected"),
    ("distributive", "A B + A B", "2 A B", "like terms collected, nothing multiplied out"),
    ("distributive", "tr(A (B + C))", "tr(B A + C A)", "1.D"),
    ("distributive", "tr(A (B + C))", "tr(A B) + tr(A C)", "1.B"),
    ("distributive", "(A (B + C))^T", "B^T A^T + C^T A^T", "(A B)ᵀ = Bᵀ Aᵀ"),
])
def test_the_trace_rules_reject_a_step_that_does_two_things(rule, before, after, also):
    """Each step is true (the sides are equal), but does `also` besides the rule: the check says no.
    The checks before this (the same terms once multiplied out) said yes to the first of each
    for 1.B, 1.C, scalar-trace, 1.D, 1.A and distributive."""
    b, a = _sides(f"{before} = {after}")
    assert matcalc.verify(f"{before} = {after}")  # a true step ...
    assert not BY_ID[rule].applies(b, a), also  # ... that is not this rule alone


def test_the_old_merged_step_of_the_trace_phase_fails_1B():
    """d tr((Xᵀ C X)⁻¹ Xᵀ B X): multiplying out and splitting the trace in one step, as it was before
    they were split, is not 1.B; like terms merged with the collection is not 1.B either."""
    d, _ = _gradient("tr((X^T C X)^{-1} (X^T B X))", "X")
    before, after = _merged(d, "distributive")
    assert not BY_ID["1.B"].applies(before, after)
    d, _ = _gradient("tr(X^2)", "X")
    moves = d.moves()
    i = max(i for i, (_, s) in enumerate(moves) if s.rule == "1.B")
    assert moves[i + 1][1].rule == "simplify"  # tr((X + X) dX), then tr(2 X dX)
    assert not BY_ID["1.B"].applies(moves[i][0], moves[i + 1][1].expr)


# -- softmax written out: named first, then its own differential (issue 17) --------------------------

SOFTMAX_WRITTEN_OUT = ["-y^T \\log(\\exp(Wx) / \\operatorname{sum}(\\exp(Wx)))",
                       "-y^T \\log\\left(\\frac{\\exp(Wx)}{\\mathbf{1}^T \\exp(Wx)}\\right)",
                       "-y^T \\log(e^{Wx} / (\\mathbf{1}^T e^{Wx}))"]


@pytest.mark.parametrize("expr", SOFTMAX_WRITTEN_OUT)
def test_softmax_written_out_is_named_then_differentiated_by_its_own_rule(expr):
    """exp(Wx) / sum(exp(Wx)) = softmax(Wx) (definition), then d softmax(z) = (diag(s) - s sᵀ) dz
    (softmax), the chain of linear steps, and the gradient read off (3.A). Before, the trace phase
    stopped (NoDerivation)."""
    d, check = _gradient(expr, "W")
    check()  # each step equal to the one before, on non-square random data; the last is the gradient
    oracle.assert_gradient(expr, "W")  # and the gradient is the finite differences' of f
    assert d.rules[:4] == ["definition", "linearity", "log", "softmax"]
    assert _shown(d.steps[0].expr) == "-yᵀ log(softmax(W x))"
    assert d.lhs(DIFFERENTIAL) == "d(-yᵀ log(softmax(W x)))"  # d of f as named
    before, step = d.moves()[0]
    assert BY_ID["definition"].applies(before, step.expr)
    assert not BY_ID["definition"].applies(before, before)  # a step changes something
    assert d.steps[-1].expr == d.gradient.result and "3.A" in d.rules


def test_the_definition_check_wants_softmax_named_and_nothing_else():
    b, a = _sides("y^T (exp(W x) / sum(exp(W x))) = y^T softmax(W x)")
    named = BY_ID["definition"].applies
    assert named(b, a)
    b2, a2 = _sides("y^T (exp(W x) / sum(exp(W x))) = softmax(W x)^T y")
    assert not named(b2, a2)  # also transposed: scalar-trace's move too
    b3, a3 = _sides("2 y^T (exp(W x) / sum(exp(W x))) = y^T softmax(W x) + y^T softmax(W x)")
    assert not named(b3, a3)


def test_dX_held_by_a_1x1_factor_leaves_the_trace_by_1C():
    """-yᵀ log(exp(Wx) / (1 + sum(exp(Wx)))) is no softmax: the quotient rule leaves d sum(exp(Wx)) =
    sum(exp(Wx) ∘ (dW x)), a 1×1 factor, inside the trace of a term; a Hadamard move brings it to the
    front of the product. It leaves the trace by 1.C, becomes a trace of its own (hadamard), and 1.D
    rotates dW to its end. Before, the derivation stopped there (NoDerivation)."""
    expr = "-y^T \\log(\\exp(Wx) / (1 + \\operatorname{sum}(\\exp(Wx))))"
    d, check = _gradient(expr, "W")
    check()
    oracle.assert_gradient(expr, "W")
    assert "definition" not in d.rules and "quotient" in d.rules
    moves = d.moves()
    out = [k for k, (_, s) in enumerate(moves) if s.rule == "1.C"]
    before, step = moves[out[0]]
    assert BY_ID["1.C"].applies(before, step.expr)
    after = [s.rule for _, s in moves[out[0] + 1:]]
    assert after[:2] == ["scalar-trace", "hadamard"] and "1.D" in after and after[-2:] == ["3.A", "simplify"]


# -- multiplying out and collecting after df cite distributive, not linearity (issue 17) ---------------

@pytest.mark.parametrize("command,expr,wrt,declare,rule_line", [
    ("diff", "a^T (X + X^T) b", "X", None, "a^T dX b + a^T dX^T b"),  # the matrix path: multiplied out
    ("diff", "x (x + a)", "x", {"x": "scalar", "a": "scalar"}, "((x + a) + x) dx"),  # the scalar path: collected
    ("hessian", "x^T A x", "x", None, "(A + A^T) dx"),  # a Jacobian's terms collected
    ("diff", "X^T X", "X", None, "(kron(X^T, I) K_{mn} + kron(I, X^T)) vec(dX)"),
])
def test_multiplying_out_and_collecting_after_df_is_distributive(command, expr, wrt, declare, rule_line):
    """d passes through the linear operations (linearity); once df is written, multiplying a product
    out over a sum, or collecting terms in dX, is the distributive law: that step cites it, and
    linearity's check, which wants a d(…) worked out, says no to it."""
    d, check = _any(command, expr, wrt, declare)
    check()  # each step equal to the one before, on non-square random data
    if command == "diff" and getattr(d.gradient, "kind", "gradient") == "gradient":
        oracle.assert_gradient(expr, wrt, declare=declare)
    moves = d.moves()
    before, step = next((b, s) for b, s in moves if render.render(s.expr, render.TEXT) == rule_line)
    assert step.rule == "distributive"
    assert BY_ID["distributive"].applies(before, step.expr)
    assert not BY_ID["linearity"].applies(before, step.expr)
    assert all(s.rule != "linearity" or "multiply out" not in s.note and "collect" not in s.note for s in d.steps)


def test_multiplying_out_stops_at_a_trace_and_1B_splits_it():
    """d tr(X² B) = tr((dX X + X dX) B): the product is multiplied out inside the trace (distributive),
    then the trace of the sum is split (1.B); the strict distributive check refuses the two at once."""
    d, check = _gradient("tr(X^2 B)", "X")
    check()
    oracle.assert_gradient("tr(X^2 B)", "X")
    lines = [(render.render(s.expr, render.TEXT), s.rule) for s in d.steps]
    i = lines.index(("tr(dX X B + X dX B)", "distributive"))
    assert lines[i + 1] == ("tr(dX X B) + tr(X dX B)", "1.B")
    moves = d.moves()
    assert not BY_ID["distributive"].applies(moves[i][0], moves[i + 1][1].expr)


def test_a_scalar_differential_leaves_the_trace_by_1C_before_the_terms_are_collected():
    """The GP noise term: (1/2) tr(dη (K + η I)⁻¹ I) is (1/2) dη tr((K + η I)⁻¹ I) by 1.C; only then
    are the terms in dη collected (distributive), nothing else tidied in that step."""
    expr = "\\frac{1}{2} y^T (K + \\eta I)^{-1} y + \\frac{1}{2}\\log\\det(K + \\eta I)"
    d, check = _gradient(expr, "\\eta", positive=True)
    check()
    rules = [s.rule for s in d.steps]
    i = rules.index("1.C")
    assert rules[i + 1:i + 3] == ["distributive", "3.A"]
    moves = d.moves()
    assert BY_ID["1.C"].applies(moves[i][0], moves[i][1].expr)
    assert BY_ID["distributive"].applies(moves[i + 1][0], moves[i + 1][1].expr)


def test_distributive_reads_an_entrywise_sum_inside_a_product_as_a_sum():
    """yᵀ (A ∘ (B - C)) = yᵀ (A ∘ B) - yᵀ (A ∘ C) is one multiplying out (the softmax cross-entropy's
    line after its softmax step); the check read A ∘ (B - C) as a sum alone but not as a factor."""
    b, a = _sides("y^T (A .* (B - C)) = y^T (A .* B) - y^T (A .* C)")
    assert BY_ID["distributive"].applies(b, a)
    b, wrong = _sides("y^T (A .* (B - C)) = y^T (A .* B) - y^T (C .* A) + y^T (A .* B) - y^T (A .* B)")
    assert not BY_ID["distributive"].applies(b, wrong)  # like terms added and cancelled: not alone


# -- the rules that rewrite in place, read off or tidy have checks too (issue 17) ---------------------

@pytest.mark.parametrize("rule,command,expr,wrt,merged_with", [
    ("sum", "diff", "sum(A X B)", "X", "next"),  # and 1.D
    ("diag", "diff", "tr(A diag(v) B)", "v", "previous"),  # and 1.D
    ("vec-trace", "diff", "vec(X)^T kron(A, B) vec(Y)", "A", "next"),  # and 3.C
    ("vec-trace", "diff", "vec(X)^T kron(A, B) vec(Y)", "A", "previous"),  # and scalar-trace
    ("commutation", "jacobian", "X^T X", "X", "next"),  # and the terms collected
    ("commutation", "jacobian", "X^T X", "X", "previous"),  # and vec
    ("jacobian", "jacobian", "X^T X", "X", "previous"),  # and the terms collected
    ("hessian", "hessian", "x^T A x", "x", "previous"),
    ("symmetric", "diff", "x^T S x", "S", "next"),  # and simplify: (1/2)(x xᵀ + (x xᵀ)ᵀ) = x xᵀ
    ("product", "diff", "tr(A B A^T C)", "A", "next"),
    ("product", "diff", "tr((X^T C X)^{-1} (X^T B X))", "X", "next"),  # and the inverse's d(…) worked out
    ("product", "diff", "\\mu^T \\Sigma^{-1} \\mu", "\\mu", "next"),  # and scalar-trace
    # log(1 + …): no log-sum-exp, which the derivation would name (rule definition) and not take apart
    ("exp", "diff", "log(1 + sum(exp(W x)))", "W", "next"),  # and d(W x) worked out
    ("log", "diff", "log(1 + sum(exp(W x)))", "W", "next"),  # and sum(d exp(W x)) worked out
    ("exp", "jacobian", "exp(x) / sum(exp(x))", "x", "next"),  # and vec
    ("chain", "diff", "(x^T A x)^3", "x", "next"),  # and d(xᵀ A x) worked out
    ("inverse", "diff", "tr(A X^{-1} B)", "X", "next"),  # and 1.D
    ("inverse", "diff", "tr((X^T C X)^{-1} A)", "X", "next"),  # and d(Xᵀ C X) worked out
])
def test_a_rule_merged_with_its_neighbour_fails_its_check(rule, command, expr, wrt, merged_with):
    """The rule's own step passes its check; the same step merged with the step after it (or before
    it), a true step that does two things, fails."""
    declare = {"S": "symmetric"} if rule == "symmetric" else None
    d, check = _gradient(expr, wrt, declare) if command == "diff" else _derivative(command, expr, wrt)
    check()  # every step equal to the one before, on non-square data
    moves = d.moves()
    i = next(i for i, (_, s) in enumerate(moves) if s.rule == rule)
    applies = BY_ID[rule].applies
    before, after = moves[i][0], moves[i][1].expr
    assert applies(before, after)
    assert not applies(before, before)
    if merged_with == "next":
        assert not applies(before, moves[i + 1][1].expr), moves[i + 1][1].rule
    else:
        assert moves[i - 1][0] is not None and not applies(moves[i - 1][0], after), moves[i - 1][1].rule


@pytest.mark.parametrize("before,after,ok", [
    ("|A^T B|", "|A| |B|", True),
    ("|X^3| + |X^T|", "|X|^3 + |X|", True),
    ("|X^{-1}|", "|X|^{-1}", True),
    ("|A^T| |B|^{-1} |B|", "|A|", False),  # and |B|⁻¹ |B| = 1: simplify
    ("|A B| tr(C D)", "|A| |B| tr(D C)", False),  # and 1.D
    ("|A B| + |A B|", "2 |A| |B|", False),  # and like terms collected
])
def test_det_reads_determinants_of_products_powers_and_transposes_alone(before, after, ok):
    b, a = _sides(f"{before} = {after}")
    assert matcalc.verify(f"{before} = {after}")
    assert BY_ID["det"].applies(b, a) is ok


def test_simplify_and_einstein_differentiate_nothing():
    """simplify's check (and einstein's) are not term for term (see their docstrings): they ask
    only that the step works nothing out (simplify) or writes an index form and brings no function
    (einstein). A differential worked out in a step that cites simplify fails."""
    d = derive(matcalc.diff(*NETWORK))
    before, step = d.moves()[1]  # dr = W₂ d tanh(W₁x): linearity works d(r) out
    assert step.rule == "linearity" and not BY_ID["simplify"].applies(before, step.expr)
    e, _ = _derivative("jacobian", "A diag(x) B", "x")
    (before, step), = [(b, s) for b, s in e.moves() if s.rule == "einstein"]
    assert BY_ID["einstein"].applies(before, step.expr) and not BY_ID["einstein"].applies(before, before)
    assert BY_ID["simplify"].applies is not None and BY_ID["einstein"].applies is not None


def test_vec_is_term_for_term_and_does_not_collect():
    """d((aᵀx) x) = (aᵀ dx) x + (aᵀ x) dx: vec writes each term K dx, as many terms with their scalars;
    the same step with the terms also collected, ((x aᵀ + (aᵀ x) I) dx, distributive's), is not vec
    alone (each term ends in dx and nothing new appears, which was all the check asked before)."""
    d, check = _derivative("jacobian", "(a^T x) x", "x")
    check()
    moves = d.moves()
    i = next(i for i, (_, s) in enumerate(moves) if s.rule == "vec")
    assert moves[i + 1][1].rule == "distributive"
    vec = BY_ID["vec"].applies
    assert vec(moves[i][0], moves[i][1].expr)
    assert not vec(moves[i][0], moves[i + 1][1].expr)


@pytest.mark.parametrize("expr", ["\\log(\\operatorname{sum}(\\exp(Wx))) - y^T W x",
                                  "\\log(\\mathbf{1}^T \\exp(Wx)) - y^T W x"])
def test_log_sum_exp_written_out_is_named_then_differentiated_by_its_own_rule(expr):
    """log(sum(exp(Wx))) = logsumexp(Wx) (definition), then d logsumexp(z) = softmax(z)ᵀ dz
    (logsumexp), where before it went through log, sum and exp one by one."""
    d, check = _gradient(expr, "W")
    check()
    oracle.assert_gradient(expr, "W")
    assert d.rules[:3] == ["definition", "linearity", "logsumexp"] and "exp" not in d.rules
    assert _shown(d.steps[0].expr) == "logsumexp(W x) - yᵀ W x"
    before, step = d.moves()[0]
    assert BY_ID["definition"].applies(before, step.expr)

"""`simplify --steps` and `verify --steps`: the chain of equalities that shows which rules take
an expression to its simplest form, and which rules make the two sides of an identity equal.

Every step of every chain over the corpus is evaluated on random data of distinct, non-square
sizes: consecutive steps must be equal, so a chain with a false step fails here."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from cookbook_cases import CASES
from matcalc.derivations import chains
from matcalc.numeric import evaluation as numeric
from matcalc.formats import render
from matcalc.cli.app import app
from matcalc.calculus.expr import free_symbols, postorder
from matcalc.derivations.rules import BY_ID, RULES
from matcalc.derivations.steps import derive
from test_simplify import EXAMPLES, well_conditioned
from test_steps import check_steps
from test_verify import SEED

IDENTITIES = [source for _, source in SEED] + [
    "tr(A (B + C)) = tr(A B) + tr(C A)",
    "x^T A y + y^T A^T x = 2 y^T A^T x",
    "tr(A^{-1} B A) = tr(B)",
    "|A^T B| = |B| |A|",
    "(x - \\mu)^T A (x - \\mu) = x^T A x - \\mu^T A x - x^T A \\mu + \\mu^T A \\mu",
    "tr(C A B) + tr(B C A) = 2 tr(A B C)",
    "\\nabla_X tr(X^T X) = 2 X",
    "2 X = \\nabla_X tr(X^T X)",
    "\\nabla_X tr(A X) = \\nabla_X tr(X A)",
    "((A B)^T)^T = A B",
    "tr(x x^T) = x^T x",
]
SIMPLIFY = [source for source, _ in EXAMPLES] + [c.expr for c in CASES]


def text(e) -> str:
    return render.render(e, render.TEXT)


def assert_chain_holds(forms, positive=False):
    """Consecutive expressions of a chain are equal on random instances of distinct sizes."""
    symbols = sorted({s for e in forms for s in free_symbols(e)}, key=lambda s: s.name)
    checked = 0
    for seed in range(4):
        rng = np.random.default_rng(seed)
        values, sizes = numeric.random_instance(symbols, rng, positive, numeric.SIZE_ORDERS[seed % 2],
                                                 within=forms)
        for e in forms:  # an I whose size no variable carries
            for node in postorder(e):
                sizes.update({d: 4 for d in node.shape if d != 1 and d not in sizes})
        with np.errstate(all="ignore"):
            if not all(well_conditioned(e, values, sizes) for e in forms):
                continue
            numbers = [np.asarray(numeric.evaluate(e, values, sizes), dtype=float) for e in forms]
        if not all(np.all(np.isfinite(n)) for n in numbers):
            continue
        for (a, na), (b, nb) in zip(zip(forms, numbers), zip(forms[1:], numbers[1:])):
            nb = np.broadcast_to(nb, na.shape) if nb.size == 1 else nb
            na = np.broadcast_to(na, nb.shape) if na.size == 1 else na
            assert numeric.relative_error(nb, na) < 1e-8, f"{text(a)}  ≠  {text(b)}"
        checked += 1
    assert checked, "no random instance where the chain can be evaluated"


def assert_verification_holds(chain):
    """A verify chain's steps are equalities: a gradient side's derivation as diff's (each
    differential step equal to the one before and to finite differences of f, the gradient read
    off it), then each later form equal to the one before, starting from that gradient. Two
    gradient sides: each side so, the two ending in the same form."""
    end = chain.other_at if chain.other is not None else len(chain.steps)
    _assert_side_holds(chain.start, chain.steps[:end], chain.derived)
    if chain.other is not None:
        other = chain.other_derivation
        _assert_side_holds(chain.other, other.steps, chain.other_derived)
        assert text(chain.steps[end - 1].expr) == text(chain.steps[-1].expr)  # they meet
        assert all(s.kind.startswith(chains.OTHER) for s in chain.steps[end:])


def _assert_side_holds(start, steps, derived):
    """A side's derivation is diff's, maybe without its last tidy-up (where the chain's next step
    tidies further: two `simplify` in a row are one); the rest holds from the gradient's line."""
    if derived:
        whole = derive(start, seed=True)
        assert tuple(steps[:derived]) == whole.steps[:derived]  # diff's derivation, step for step
        check_steps(dataclasses.replace(whole, steps=tuple(steps[:derived]) + whole.steps[derived:]))
        assert derived == len(whole.steps) or (derived == len(whole.steps) - 1 and steps[derived].rule == "simplify")
    first = steps[derived - 1].expr if derived else start
    assert_chain_holds([first] + [step.expr for step in steps[derived:]])


def simplify_case(source):
    case = next((c for c in CASES if c.expr == source), None)
    return matcalc.simplify(source, (case.declare or None) if case else None), bool(case and case.positive)


@pytest.mark.parametrize("source", SIMPLIFY)
def test_every_step_of_every_simplification_is_an_equality(source):
    s, positive = simplify_case(source)
    chain = chains.simplification(s)
    forms = [s.written] + [step.expr for step in chain.steps]
    assert text(forms[-1]) == s.text  # it ends in the simplest form ...
    assert_chain_holds(forms, positive)  # ... and every step is an identity
    assert set(chain.rules) <= set(BY_ID)


@pytest.mark.parametrize("source", IDENTITIES)
def test_every_step_of_every_verification_is_an_equality(source):
    v = matcalc.verify(source)
    assert v and v.how == "symbolic", str(v)
    chain = chains.verification(v)
    start, end = chain.start, v.sides[1] if chain.start is v.sides[0] else v.sides[0]
    if not hasattr(end, "lhs"):  # the chain ends at the other side as written
        assert text(chain.steps[-1].expr) == text(end)
    if hasattr(start, "lhs"):  # diff's derivation, maybe without its last tidy-up (then the chain's)
        assert len(derive(start, seed=True).steps) - chain.derived in (0, 1)
    else:
        assert chain.derived == 0
    assert_verification_holds(chain)
    rules = [s.rule for s in chain.steps]
    assert ("simplify", "simplify") not in set(zip(rules, rules[1:])), "two tidy-ups in a row"
    assert set(chain.rules) <= set(BY_ID)


def test_a_false_step_fails_the_check(monkeypatch):
    real = chains.rewrite

    def wrong(e, rules):  # a 1.A that forgets a transpose: tr(Aᵀ B) + tr(C) = tr(A B) + tr(C)
        return matcalc.simplify("tr(A B) + tr(C)").result if "1.A" in rules else real(e, rules)

    monkeypatch.setattr(chains, "rewrite", wrong)
    s = matcalc.simplify("tr(A^T B) + tr(C)")
    forms = [s.written] + [step.expr for step in chains.simplification(s).steps]
    with pytest.raises(AssertionError):
        assert_chain_holds(forms)


@pytest.mark.parametrize("rule,source", SEED[:4], ids=[r for r, _ in SEED[:4]])
def test_the_seed_trace_rules_are_cited_by_their_identities(rule, source):
    chain = chains.verification(matcalc.verify(source))
    assert chain.rules == [rule]


def test_seed_gradients_are_derived_inside_verify():
    """A gradient side is derived as diff derives it, one rule a step, the seed's rule first where
    the identity is that rule (2.A, 3.B, 3.D); with respect to Aᵀ, 3.C after the gradient."""
    assert chains.verification(matcalc.verify(SEED[5][1])).rules == ["linearity", "1.D", "3.A"]
    for i, first in [(4, "2.A"), (6, "3.B"), (8, "3.D")]:
        assert chains.verification(matcalc.verify(SEED[i][1])).rules[0] == first, SEED[i]
    chain = chains.verification(matcalc.verify(SEED[7][1]))
    assert chain.rules[:2] == ["3.B", "3.A"] and "3.C" in chain.rules
    assert [s.kind for s in chain.steps][:chain.derived] == [s.kind for s in chain.derivation.steps]
    assert chain.steps[chain.derived - 1].kind == "transposed gradient"


def test_a_verify_chain_shows_the_gradient_derivation():
    r = cli("verify", "\\nabla_A tr(A B) = B^T", "--steps", "-f", "text")
    assert r.exit_code == 0, r.output
    assert r.stdout == ("holds symbolically: both sides are B^T\n"
                        "         d tr(A B) = tr(dA B)    [linearity]\n"
                        "                   = tr(B dA)    [1.D]\n"
                        "  \\nabla_A tr(A B) = B^T    [3.A]\n")


def test_a_false_step_in_a_gradient_side_fails_the_check():
    chain = chains.verification(matcalc.verify("\\nabla_A tr(A B C) = C^T B^T"))
    assert chain.derived
    i = next(i for i, s in enumerate(chain.steps) if s.rule == "1.D")
    wrong = dataclasses.replace(chain.steps[i], expr=chain.steps[i - 1].expr.arg)  # tr dropped: a matrix, not df
    broken = dataclasses.replace(chain, steps=chain.steps[:i] + (wrong,) + chain.steps[i + 1:])
    with pytest.raises(AssertionError):
        assert_verification_holds(broken)


def test_rules_of_simplify_and_verify_have_identities_that_cite_them():
    shown = [r for r in RULES if r.identity]
    assert {"1.A", "distributive", "det"} <= {r.id for r in shown}
    for r in shown:
        chain = chains.verification(matcalc.verify(r.identity))
        assert r.id in chain.rules, (r.id, chain.rules)
        assert r.command() == f'matcalc verify "{r.identity}" --steps'


def test_the_chain_from_one_side_to_the_other():
    chain = chains.verification(matcalc.verify("tr(A (B + C)) = tr(A B) + tr(C A)"))
    assert [(text(s.expr), s.rule) for s in chain.steps] == [
        ("tr(A B + A C)", "distributive"),
        ("tr(A B) + tr(A C)", "1.B"),
        ("tr(A B) + tr(C A)", "1.D"),   # the right side as written, reached backwards by 1.D
    ]


def test_no_step_only_reorders_terms():
    chain = chains.simplification(matcalc.simplify("tr(C A B) + tr(B C A) - tr(A B C)"))
    assert [(text(s.expr), s.rule) for s in chain.steps] == [
        ("tr(A B C) + tr(A B C) - tr(A B C)", "1.D"), ("tr(A B C)", "simplify")]


def test_numeric_verdicts_have_no_chain():
    assert chains.verification(matcalc.verify("tr(A B C) = tr(C B A)")) is None
    assert chains.verification(matcalc.verify("\\log|A B| = \\log|A| + \\log|B|")) is None


def cli(*args):
    return CliRunner().invoke(app, list(args))


def test_cli_simplify_steps_text():
    r = cli("simplify", "tr(x x^T) + tr(A^T)", "--steps", "-f", "text")
    assert r.exit_code == 0, r.output
    assert r.stdout == (
        "tr(A) + x^T x\n"
        "  tr(x x^T) + tr(A^T) = tr(x x^T) + tr(A)    [1.A]\n"
        "                      = tr(x^T x) + tr(A)    [1.D]\n"
        "                      = x^T x + tr(A)    [scalar-trace]\n"
        "                      = tr(A) + x^T x    [simplify]\n")


def test_cli_verify_steps_text_and_latex():
    r = cli("verify", "tr(A B) = tr(B A)", "--steps", "-f", "text")
    assert r.exit_code == 0, r.output
    assert r.stdout == "holds symbolically: both sides are tr(A B)\n  tr(A B) = tr(B A)    [1.D]\n"
    r = cli("verify", "tr(A B) = tr(B A)", "--steps", "-f", "latex")
    assert r.stdout.splitlines()[1:] == [
        "\\begin{aligned}",
        "\\operatorname{tr}(A B) &= \\operatorname{tr}(B A) && \\text{1.D (cyclic property)}",
        "\\end{aligned}"]


def test_cli_steps_off_when_piped_on_in_json_unless_no_steps():
    assert cli("verify", "tr(A B) = tr(B A)").stdout == "holds symbolically: both sides are tr(A B)\n"
    assert cli("simplify", "tr(B A)").stdout == "tr(A B)\n"
    record = json.loads(cli("simplify", "tr(B A)", "-f", "json").stdout)
    assert [s["rule"] for s in record["steps"]] == ["1.D"]
    assert record["steps"][0]["numpy"] == "np.trace(A @ B)"
    assert json.loads(cli("simplify", "tr(B A)", "-f", "json", "--no-steps").stdout)["steps"] == []
    record = json.loads(cli("verify", "tr(A B) = tr(B A)", "-f", "json").stdout)
    assert [(s["rule"], s["text"]) for s in record["steps"]] == [("1.D", "tr(B A)")]


def test_cli_pretty_steps_and_batches():
    r = cli("verify", "tr(A^T) = tr(A)", "--steps", "-f", "pretty")
    assert r.stdout.splitlines() == ["holds symbolically: both sides are tr(A)",
                                     "  tr(Aᵀ) = tr(A)  1.A transpose in a trace"]
    r = CliRunner().invoke(app, ["simplify", "-", "--steps", "-f", "text"], input="tr(B A)\ntr(A\n")
    assert r.exit_code == 1
    assert r.stdout.splitlines()[:2] == ["tr(A B)", "  tr(B A) = tr(A B)    [1.D]"]


# -- two gradient sides, each derived; no two tidy-ups in a row (issue 17) ---------------------------

def test_two_gradient_sides_are_each_derived_and_meet():
    """∇_X tr(A X) = ∇_X tr(X A): both sides derived one rule a step (the right one was reached by
    its value in one step, or not shown at all), each with its own left-hand sides, meeting at Aᵀ."""
    r = cli("verify", "\\nabla_X tr(AX) = \\nabla_X tr(XA)", "--steps", "-f", "text")
    assert r.exit_code == 0, r.output
    assert r.stdout == ("holds symbolically: both sides are A^T\n"
                        "         d tr(A X) = tr(A dX)    [linearity]\n"
                        "  \\nabla_X tr(A X) = A^T    [3.A]\n"
                        "         d tr(X A) = tr(dX A)    [linearity]\n"
                        "                   = tr(A dX)    [1.D]\n"
                        "  \\nabla_X tr(X A) = A^T    [3.A]\n")
    chain = chains.verification(matcalc.verify("\\nabla_X tr(AX) = \\nabla_X tr(XA)"))
    assert chain.other is not None and chain.other_derivation.steps == derive(chain.other, seed=True).steps
    assert_verification_holds(chain)  # each side on non-square random data, finite differences included
    for side in ("tr(A X)", "tr(X A)"):
        oracle_gradient(side, "X")


def oracle_gradient(expr, wrt):
    from oracle import assert_gradient
    assert_gradient(expr, wrt)


@pytest.mark.parametrize("identity,meet", [
    ("\\nabla_x x^T A x = \\nabla_x x^T A^T x", "A x + A^T x"),
    ("\\nabla_X tr(X^T A X) = \\nabla_X tr(X X^T A^T)", "A X + A^T X"),
    ("\\nabla_X tr(X^T X) = \\nabla_X tr(X X^T)", "2 X"),
])
def test_two_gradient_sides_meet_at_a_common_form(identity, meet):
    chain = chains.verification(matcalc.verify(identity))
    assert_verification_holds(chain)
    left, right = chain.steps[:chain.other_at], chain.steps[chain.other_at:]
    assert text(left[-1].expr) == text(right[-1].expr) == meet
    assert right[0].kind.startswith(chains.OTHER) and chain.lhs(right[0].kind, "text").startswith("d")
    rules = [s.rule for s in chain.steps]
    assert "3.A" in rules[:chain.other_at] and "3.A" in rules[chain.other_at:]


def test_a_derived_side_ends_in_one_tidy_up():
    """∇_A |A| = |A| (A⁻¹)ᵀ: the derivation's last `simplify` (to |A| A⁻ᵀ) and the chain's (back to the
    right side as written) were two lines in a row; they are one."""
    chain = chains.verification(matcalc.verify("\\nabla_A \\vert A \\vert = \\vert A \\vert (A^{-1})^T"))
    assert [(text(s.expr), s.rule) for s in chain.steps[-2:]] == [("(|A| A^{-1})^T", "3.A"),
                                                                   ("|A| (A^{-1})^T", "simplify")]
    assert chain.derived == len(derive(chain.start, seed=True).steps) - 1
    assert_verification_holds(chain)

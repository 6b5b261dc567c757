"""`matcalc verify "LHS = RHS"`: the seed's identities hold, false ones fail with the size of the
discrepancy, bad input exits 2; canonical forms first, then random instances."""
from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

import matcalc
from matcalc.calculus import differentiate
from matcalc.cli.app import app

# Each identity of the seed note, written as the seed writes it. 3.C, stated for every f, is
# checked with the f of 3.B (a side is an expression or one ∇, not the transpose of a ∇).
SEED = [
    ("1.A", r"\text{tr}(A^T) = \text{tr}(A)"),
    ("1.B", r"\text{tr}(A+B) = \text{tr}(A)+\text{tr}(B)"),
    ("1.C", r"\text{tr}(aA) = a\text{tr}(A)"),
    ("1.D", r"\text{tr}(AB) = \text{tr}(BA)"),
    ("2.A", r"\nabla_\mu \mu^TA\mu = A\mu + A^T\mu"),
    ("3.A", r"\nabla_A \text{tr}(AB)= B^T"),
    ("3.B", r"\nabla_A \text{tr}(ABA^TC) = C^TAB^T + CAB"),
    ("3.C", r"\nabla_{A^T} \text{tr}(ABA^TC) = \left(C^TAB^T + CAB\right)^T"),
    ("3.D", r"\nabla_A \vert A \vert = \vert A \vert (A^{-1})^T"),
]

FALSE = [
    ("tr(AB) = tr(A)tr(B)", "tr(A B) != tr(A) tr(B)"),
    (r"\nabla_A tr(AB) = B", "B^T != B"),
    (r"\nabla_x x^T A x = 2 A x", "A x + A^T x != 2 A x"),
    ("tr(A B C) = tr(C B A)", "tr(A B C) != tr(A C B)"),
    (r"\log|A + B| = \log|A| + \log|B|", None),
]


def run(*args):
    return CliRunner().invoke(app, ["verify", *args, "-f", "text"])


@pytest.mark.parametrize("rule,source", SEED, ids=[s[0] for s in SEED])
def test_the_seed_identities_hold_symbolically(rule, source):
    verdict = matcalc.verify(source)
    assert verdict and verdict.how == "symbolic", str(verdict)
    result = run(source)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("holds symbolically: both sides are ")


@pytest.mark.parametrize("source,shown", FALSE, ids=[f[0] for f in FALSE])
def test_false_identities_fail_with_the_size_of_the_discrepancy(source, shown):
    verdict = matcalc.verify(source)
    assert not verdict and verdict.how == "numeric" and verdict.error > 1e-3
    result = run(source)
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("does not hold: ")
    assert re.search(r"relative difference up to \d\.\de[+-]\d\d on 5 random instances", result.stdout)
    if shown:
        assert shown in result.stdout


@pytest.mark.parametrize("source", [
    "tr(AB) = ",                      # a side is missing
    "tr(A B)",                        # no '='
    "tr(A B = tr(B A)",               # unbalanced
    r"\nabla_x x^T x = x^T",          # a column cannot equal a row
    r"\nabla_A A B = B",              # ∇ of a matrix
    r"\nabla_A tr(B) = 0",            # A does not occur
])
def test_bad_input_exits_2_with_a_message(source):
    result = run(source)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and "Traceback" not in result.output
    with pytest.raises(matcalc.MatcalcError):
        matcalc.verify(source)


def test_shapes_of_the_sides_must_agree():
    with pytest.raises(matcalc.MatcalcError, match="the two sides cannot be equal: the left is a column vector"):
        matcalc.verify(r"\nabla_x x^T x = x^T")


def test_numeric_verdict_says_how_and_how_well():
    verdict = matcalc.verify(r"\log|A B| = \log|A| + \log|B|")  # |AB| = |A||B| needs A, B square: numbers
    assert verdict and verdict.how == "numeric" and verdict.error < 1e-8 and verdict.instances == 5
    result = run(r"\|x\|^2 = x^T x")
    assert result.exit_code == 0
    assert re.fullmatch(r"holds numerically \(max relative error \d\.\de-\d\d on 5 random instances, "
                        r"all 5 agreeing, sizes 2 to \d\)\n",
                        result.stdout)


def test_degenerate_instances_are_not_used():
    """(XᵀX)⁻¹ is singular for a wide X: such random instances are skipped, not counted."""
    verdict = matcalc.verify("(X^T X)^{-1} X^T X = I")
    assert verdict and verdict.how == "numeric" and verdict.error < 1e-8
    assert not matcalc.verify("X (X^T X)^{-1} X^T = I")  # a projection, not the identity


def test_zero_on_one_side_is_a_zero_matrix():
    assert matcalc.verify(r"\nabla_A tr(A) - tr(A^T) = 0").how == "symbolic"
    assert matcalc.verify("A B - (B^T A^T)^T = 0")
    assert not matcalc.verify(r"\nabla_A tr(A) = 0")
    assert not matcalc.verify("A - A^T = 0")


def test_both_sides_share_one_namespace():
    assert matcalc.verify("tr(aA) = a tr(A)")          # a is a scalar on both sides
    assert matcalc.verify(r"\nabla_x a^T x = a")       # a and x are vectors of one length
    assert matcalc.verify("x^T S y = y^T S x", {"S": "symmetric"})
    assert not matcalc.verify("x^T A y = y^T A x")


def test_numbers_do_not_lean_on_the_differentiation_rules(monkeypatch):
    """With a wrong rule the symbolic forms differ, but the finite differences of the input
    still show that the identity holds."""
    right = differentiate.derivative_of_function
    monkeypatch.setattr(differentiate, "derivative_of_function",
                        lambda name, x: right("exp" if name == "log" else name, x))
    verdict = matcalc.verify(r"\nabla_x sum(\log(x)) = 1 ./ x")
    assert verdict and verdict.how == "numeric"


def test_json_verdict():
    result = CliRunner().invoke(app, ["verify", r"\nabla_A tr(AB) = B", "-f", "json"])
    assert result.exit_code == 1
    record = json.loads(result.stdout)
    assert record["holds"] is False and record["how"] == "numeric" and record["error"] > 0.01
    assert record["lhs"]["text"] == "B^T" and record["rhs"]["numpy"] == "B"


@pytest.mark.parametrize("source,names", [
    (r"\nabla_x x^T A x = 2 A x", ("A",)),                   # the textbook's form for a symmetric A
    (r"\nabla_X tr(X^T A X) = 2 A X", ("A",)),
    (r"(AB)^T = B A", ("A", "B")),                           # neither alone: both together
    (r"\nabla_{\Sigma} x^T \Sigma x = x x^T + x x^T", ()),   # false under symmetry too (one x x^T)
    (r"tr(AB) = tr(A) tr(B)", ()),                           # no symmetry makes it hold
    (r"\nabla_A tr(AB) = B", ("B",)),                         # B^T = B: B square and symmetric
])
def test_a_false_identity_says_which_symmetry_would_make_it_hold(source, names):
    """The hint is honest: with exactly the declarations it names, the identity holds."""
    verdict = matcalc.verify(source)
    assert not verdict and verdict.holds_if_symmetric == names, verdict.holds_if_symmetric
    record = json.loads(CliRunner().invoke(app, ["verify", source, "-f", "json"]).stdout)
    assert record["holds_if_symmetric"] == list(names)
    if names:
        flags = " ".join(f"--symmetric {n}" for n in names)
        assert run(source).stdout.rstrip().endswith(f"; it holds when {' and '.join(names)} "
                                                    f"{'is' if len(names) == 1 else 'are'} symmetric ({flags})")
        assert matcalc.verify(source, dict.fromkeys(names, "symmetric"))


def test_verify_function_stays_the_function():
    import matcalc.verify  # noqa: F401  (the module of the same name must not shadow it)

    assert callable(matcalc.verify) and matcalc.verify("tr(AB) = tr(BA)")

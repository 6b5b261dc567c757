"""An honest --check (issue 12, item 7): no false alarm on any result of the test corpus, never
"ok" on NaN or inf, and "could not check: ..." (exit 1) where no random data is usable, worded
so that it cannot be mistaken for FAILED."""
from fractions import Fraction

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
import ml_cases
from cookbook_cases import CASES
from matcalc.calculus import algebra
from matcalc.cli.app import app
from matcalc.numeric.check import check_gradient
from oracle import assert_gradient
from test_seed import SEED


def run(*args):
    return CliRunner().invoke(app, list(args))


# -- no false alarm on the corpus --------------------------------------------------------------

CORPUS = ([(c.id, c.expr, c.wrt, c.declare or None, "gradient") for c in CASES]
          + [(s[0], s[1], s[2], None, "gradient") for s in SEED]
          + [(c.id, c.expr, c.wrt, dict(c.declare) or None, c.kind) for c in ml_cases.CASES if not c.xfail_value])


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_check_raises_no_false_alarm_on_the_corpus(case):
    _, expr, wrt, declare, kind = case
    run_ = matcalc.hessian if kind == "hessian" else matcalc.diff
    verdict = check_gradient(run_(expr, wrt, declared=declare))
    assert verdict.checked, verdict.message("∇")
    assert verdict.ok, verdict.message("∇")
    assert verdict.instances >= 2


# -- never "ok" on NaN or inf ----------------------------------------------------------------------

def wrong(expr: str, result):
    """matcalc's gradient of expr w.r.t. X with its result replaced by result(X)."""
    g = matcalc.diff(expr, "X")
    return g.replace(result=result(g.variable))


NOWHERE_FINITE = {
    "sqrt(-X .* X)": lambda X: algebra.func("sqrt", algebra.neg(algebra.hadamard(X, X))),
    "log(-exp(X))": lambda X: algebra.func("log", algebra.neg(algebra.func("exp", X))),
    "exp(1000 exp(X))": lambda X: algebra.func("exp", algebra.scale(Fraction(1000), algebra.func("exp", X))),
}


@pytest.mark.parametrize("result", NOWHERE_FINITE, ids=list(NOWHERE_FINITE))
def test_a_result_that_is_nan_or_inf_everywhere_is_never_ok(result):
    verdict = check_gradient(wrong("tr(X)", NOWHERE_FINITE[result]))
    assert not verdict.ok and not verdict.checked
    message = verdict.message("∇_X")
    assert message.startswith("check ∇_X: could not check: ") and "FAILED" not in message
    assert " ok" not in message


def test_a_nan_hidden_under_a_trace_is_not_ok():
    """tr(√X) with X near 2I: √ of the negative off-diagonal entries is NaN, and the trace never
    looks at them. --check once said ok at such data (max(0, nan) is 0)."""
    verdict = check_gradient(matcalc.diff("tr(sqrt(X))", "X"))
    assert verdict.ok and verdict.checked and verdict.error < 1e-5  # on positive data
    verdict = check_gradient(wrong("tr(sqrt(X))", lambda X: algebra.func("sqrt", algebra.neg(X))))
    assert not verdict.ok


def test_a_wrong_finite_result_is_still_failed():
    verdict = check_gradient(wrong("tr(X^T X)", lambda X: X))  # the right answer is 2 X
    assert verdict.checked and not verdict.ok
    assert verdict.message("∇_X").endswith("FAILED")


# -- the commands quoted in issue 12 --------------------------------------------------------------

@pytest.mark.parametrize("expr, wrt, positive, oracle", [
    ("det(A X B)", "X", False, None),
    (r"\log|A X B|", "X", True, None),
    ("tr(sqrt(X))", "X", True, lambda v: np.diag(0.5 / np.sqrt(np.diag(v["X"])))),
    (r"\mathbf{1}^T x + x^T x", "x", False, lambda v: 1 + 2 * v["x"]),
])
def test_quoted_right_answers_check_ok(expr, wrt, positive, oracle):
    assert_gradient(expr, wrt, oracle, positive=positive)
    result = run("diff", expr, wrt, "--check", "-f", "text")
    assert result.exit_code == 0, result.output
    assert "against finite differences: ok\n" in result.stderr, result.stderr
    assert "FAILED" not in result.stderr and "Traceback" not in result.output


def test_check_of_ones_transposed_x_gives_no_traceback():
    result = run("diff", r"\mathbf{1}^T x", "x", "--check", "-f", "text")
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "ok" in result.stderr


def test_check_of_an_overflowing_power_says_could_not_check():
    """The README's tr(X^{1000000}): the numbers overflow; that is no failure of the result."""
    result = run("diff", "tr(X^{1000000})", "X", "--check", "-f", "text")
    assert result.exit_code == 1
    assert result.stderr == ("check ∇_X: could not check: its values overflow the floating-point "
                             "range on random data\n")
    assert result.stdout == "\\nabla_X tr(X^{1000000}) = 1000000 (X^T)^{999999}\n"


def test_a_hessian_near_an_inverse_is_not_a_false_alarm_and_a_wrong_one_fails():
    """Second differences with a step of 1e-4 missed this right Hessian by 1.1e-5 where
    (X ⊗ A) B is near singular; the check takes a tenth of the step there too."""
    h = matcalc.hessian("tr((kron(X, A) B)^{-1})", "X")
    verdict = check_gradient(h)
    assert verdict.checked and verdict.ok, verdict.message("∇²")
    off = h.replace(result=algebra.scale(Fraction(101, 100), h.result))  # 1% off
    verdict = check_gradient(off)
    assert verdict.checked and not verdict.ok, verdict.message("∇²")

"""Issue 12 items 2-4 and 12: every input is read as written or refused with a caret.

Numbers as written (exponents, scientific notation, zero denominators), bars and brackets,
queries as expressions, lone CR line ends and the hints that teach the language. Each right
answer is checked against central finite differences on non-square data (tests/oracle.py)."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc.cli.app import app
from matcalc.errors import MatcalcError
from matcalc.language import parser
from matcalc.language.syntax import Query
from oracle import assert_gradient

runner = CliRunner()


def refused(source: str, *wrts: str, command: str = "diff") -> MatcalcError:
    """The error a command gives, checked to exit 2 with a caret and no traceback."""
    result = runner.invoke(app, [command, source, *wrts])
    assert result.exit_code == 2, (source, result.output)
    assert "^" in result.stderr and "Traceback" not in result.output
    with pytest.raises(MatcalcError) as info:
        if command == "verify":
            matcalc.verify(source)
        else:
            matcalc.diff(source, list(wrts))
    return info.value


# -- A. numbers as written -------------------------------------------------------------------

EXPONENTS = [  # (input, exponent of x^T y, as read)
    ("(x^T y)^{0.5}", Fraction(1, 2)), ("(x^T y)^0.5", Fraction(1, 2)), ("(x^T y)^{1.5}", Fraction(3, 2)),
    ("(x^T y)^{2.0}", Fraction(2)), ("(x^T y)^{-0.5}", Fraction(-1, 2)), ("(x^T y)^{1/2}", Fraction(1, 2)),
    ("(x^T y)^{-1/2}", Fraction(-1, 2)), ("(x^T y)^-0.5", Fraction(-1, 2)), ("(x^T y)^{ 3 / 4 }", Fraction(3, 4)),
    ("(x^T y)^.5", Fraction(1, 2)), ("(x^T y)^12", Fraction(12)), ("(x^T y)^{1.25/2}", Fraction(5, 8)),
]


@pytest.mark.parametrize(("source", "p"), EXPONENTS)
def test_exponents_mean_what_they_say(source, p):
    line = parser.parse(source)
    assert line.lhs.op == "power" and line.lhs.value == p
    assert_gradient(source, "x", lambda v: float(p) * (v["x"] @ v["y"]) ** float(p - 1) * v["y"], positive=True)


@pytest.mark.parametrize("source", ["sum(x.^{0.5})", "sum(x.^0.5)", "sum(x^{\\circ 0.5})", "sum(x^{\\circ 1/2})"])
def test_elementwise_exponents_mean_what_they_say(source):
    assert_gradient(source, "x", lambda v: 0.5 * v["x"] ** -0.5, positive=True)


def test_a_power_of_a_number_is_exact():
    g = assert_gradient("(-2)^{3} x^T x + (-8)^{1/3} x^T x", "x", lambda v: -20 * v["x"])
    assert g.text == "-20 x"
    assert "(-2)^3" in g.lhs("text")  # the echo keeps the sign: never (-)^3


@pytest.mark.parametrize(("source", "message"), [
    ("1e5 tr(X)", "scientific notation"), ("2.5e-3 tr(X)", "scientific notation"), ("tr(X) 3E+2", "scientific notation"),
    ("x^{1e2} tr(X)", "scientific notation"), ("1.5.5 tr(X)", "one decimal point"), (".5.5 tr(X)", "one decimal point"),
    ("(-1)^{1/2} tr(X)", "not a real number"), ("(-4)^{0.5} tr(X)", "not a real number"),
    ("tr(X)^{2/0}", "division by zero"), ("tr(X)^{\\circ 1/0}", "division by zero"), ("0/0 tr(X)", "division by zero"),
    ("tr(X)/0", "division by zero"), ("tr(X) / (1 - 1)", "division by zero"), ("\\frac{tr(X)}{0}", "division by zero"),
    ("X ./ 0", "division by zero"), ("0^{-1} tr(X)", "division by zero"), ("0^-2 tr(X)", "division by zero"),
    ("tr(A_10 X)", "needs braces"), ("tr(\\Sigma_12 X)", "needs braces"),  # A_1 times 0 to LaTeX
])
def test_numbers_matcalc_does_not_guess_at_are_refused(source, message):
    assert message in refused(source, "X").message


def test_a_braced_subscript_and_a_subscript_before_a_letter_are_read():
    assert matcalc.diff("tr(A_{10} X) + x^T W_1x", "X").text == "A_{10}^T"


def test_zero_over_zero_is_no_identity():
    assert "division by zero" in refused("0/0 = 0", command="verify").message


def test_the_name_e5_is_still_a_name():
    assert_gradient("e5^T x + 2 e_1^T x", "x", lambda v: v["e5"] + 2 * v["e_1"])


# -- B. bars and brackets --------------------------------------------------------------------

def test_a_letter_d_closes_a_bar():
    assert_gradient("\\log|I + 2 T / d|", "T", lambda v: 2 / v["d"] * np.linalg.inv(np.eye(len(v["T"])) + 2 * v["T"] / v["d"]).T)
    assert_gradient("\\log|I + 2 T / d|", "d")
    assert_gradient("\\|x - d\\|^2", "x", lambda v: 2 * (v["x"] - v["d"]))
    assert_gradient("\\|x - d\\|^2", "d", lambda v: -2 * (v["x"] - v["d"]))
    assert_gradient("|d^T A d| + \\|B d\\|_2", "d")


def test_log_det_prints_what_reads_back():
    g = matcalc.diff("\\log\\det(I + 2T/d)", "T")
    printed = f"{g.lhs('text')} = {g.text}"
    assert matcalc.verify(printed), printed


@pytest.mark.parametrize(("source", "oracle"), [
    ("[x^T A x]", lambda v: (v["A"] + v["A"].T) @ v["x"]),
    ("\\left[ x^T A x \\right]^2", lambda v: 2 * (v["x"] @ v["A"] @ v["x"]) * (v["A"] + v["A"].T) @ v["x"]),
    ("\\big( A x \\big)^T \\Big[ B x \\Big]", lambda v: v["A"].T @ v["B"] @ v["x"] + v["B"].T @ v["A"] @ v["x"]),
    ("\\Bigl( x^T x \\Bigr) + \\bigg[ 2 x^T x \\bigg]", lambda v: 6 * v["x"]),
    ("\\mathrm{Tr}[x x^T A]", lambda v: (v["A"] + v["A"].T) @ v["x"]),
    ("\\operatorname{tr}\\left[ A x x^T \\right]", lambda v: (v["A"] + v["A"].T) @ v["x"]),
    ("\\exp[x^T x]", lambda v: 2 * np.exp(v["x"] @ v["x"]) * v["x"]),
])
def test_brackets_group_like_parentheses(source, oracle):
    assert_gradient(source, "x", oracle)


@pytest.mark.parametrize(("source", "message"), [
    ("[x^T x", "bracket [ is opened but never closed"), ("x^T x]", "closing bracket"), ("(x^T x]", "']'"),
])
def test_unbalanced_brackets_are_refused(source, message):
    assert message in refused(source, "x").message


# -- C. queries are expressions --------------------------------------------------------------

def test_the_seeds_own_3c_verifies_as_written():
    verdict = matcalc.verify("\\nabla_{A^T} \\text{tr}(AB) = (\\nabla_A \\text{tr}(AB))^T")
    assert verdict and verdict.how == "symbolic"


@pytest.mark.parametrize("source", [
    "2 \\nabla_x x^T A x = 2 (A + A^T) x",
    "(\\nabla_A tr(A B))^T = B",
    "(\\nabla_x x^T A x)^T = x^T (A + A^T)",
    "\\nabla_x x^T A x = \\nabla_x x^T A^T x",
    "x^T (\\nabla_x x^T x) = 2 x^T x",
    "(A + A^T) x = \\nabla_x x^T A x",
    "\\nabla_X \\log|X| = (\\nabla_{X^T} \\log|X|)^T",
])
def test_a_query_stands_anywhere_in_an_identity(source):
    assert matcalc.verify(source), source


@pytest.mark.parametrize("source", ["2 \\nabla_x x^T A x = (A + A^T) x", "(\\nabla_A tr(A B))^T = B^T"])
def test_a_false_identity_with_queries_does_not_hold(source):
    assert not matcalc.verify(source)


def test_a_query_inside_an_expression_is_differentiated():
    assert_gradient("x^T (\\nabla_x x^T A x)", "x", lambda v: 2 * (v["A"] + v["A"].T) @ v["x"])
    assert_gradient("y^T (2 \\nabla_x x^T A x)", "y", lambda v: 2 * (v["A"] + v["A"].T) @ v["x"])


def test_a_query_with_its_own_variable_gives_one_result():
    result = runner.invoke(app, ["diff", "\\nabla_x x^T A x", "x"])
    assert result.exit_code == 0 and result.stdout.count("\n") == 1, result.stdout
    g = matcalc.diff("\\nabla_x x^T A x", "x")
    assert not isinstance(g, list)


def test_a_variable_other_than_the_querys_is_an_error():
    error = refused("\\nabla_x x^T A x", "A")
    assert "with respect to x" in error.message and "A is given too" in error.message


def test_a_space_after_nabla_underscore_is_explained():
    error = refused("\\nabla_ tr(X)")
    assert "comes right after the _" in error.message and "`r(X)`" in error.message


def test_a_query_of_a_variable_that_does_not_occur_points_at_it():
    error = refused("2 \\nabla_y x^T x", "x")
    assert error.message == "y does not occur in the expression" and error.span == (9, 10)


@pytest.mark.parametrize(("source", "wrt"), [("x^T A x", "x"), ("\\log(x^T A x)", "x"), ("\\|A x - b\\|^2", "x")])
def test_hessian_output_reads_back_and_verifies(source, wrt):
    h = matcalc.hessian(source, wrt)
    printed = f"{h.lhs('text')} = {h.text}"
    assert printed.startswith("\\nabla^2_x ")
    verdict = matcalc.verify(printed)
    assert verdict, printed
    assert not matcalc.verify(f"{h.lhs('text')} = {h.text} + I")


@pytest.mark.parametrize(("source", "wrt"), [("A x", "x"), ("exp(W x)", "x"), ("A X B", "X"), ("X^{-1}", "X"),
                                             ("X x", "X"), ("x y^T", "x")])
def test_jacobian_output_reads_back_and_verifies(source, wrt):
    d = matcalc.diff(source, wrt)
    printed = f"{d.lhs('text')} = {d.text}"
    verdict = matcalc.verify(printed)
    assert verdict, printed


def test_jacobian_identities_are_checked_numerically():
    assert matcalc.verify("d/dx (A x) = A")
    assert not matcalc.verify("d/dx (A x) = 2 A")
    assert matcalc.verify("d/dx exp(W x) = diag(exp(W x)) W", {"x": "vector"})
    assert not matcalc.verify("d/dx exp(W x) = diag(exp(W x)) W^T W W^T", {"x": "vector"})
    assert not matcalc.verify("d/dx (A x) = A^T")  # A square then, and not symmetric
    assert "cannot be equal" in refused("d/dx (A x) = x", command="verify").message
    assert matcalc.verify("(d/dx (A x))^T = A^T") and matcalc.verify("d/dx x = I")
    assert matcalc.verify("\\left(\\frac{\\partial \\left(A x\\right)}{\\partial x}\\right)^{T} = A^T")


def test_the_vec_jacobian_reads_back():
    assert matcalc.verify("d vec(X^{-1})/d vec(X) = -kron(X^{-T}, X^{-1})")


# -- E. messages that teach, and line ends ---------------------------------------------------

@pytest.mark.parametrize(("source", "hint"), [
    ("x.T A x", "write x^T"), ("A @ x + b", "A B"), ("x**2 + b", "x^2"),
    ("nabla_x x^T A x", "single quotes"), ("frac{1}{2} x^T x", "single quotes"),
])
def test_hints_for_what_other_languages_write(source, hint):
    assert hint in refused(source, "x").message


def test_an_expression_split_by_the_shell_is_explained():
    error = refused("x^T", "A", "x", "+", "b^T", "x", "x")
    assert "put it in quotes" in error.message
    error = refused("x^T", "A", "x", "x")  # was: "A does not occur"
    assert "x is given twice" in error.message and "put it in quotes: matcalc diff 'x^T A x' x" in error.message
    error = refused("x^T", "x", "x")  # was d/dx (x^T) = I: the variable given twice, silently once
    assert "x is given twice" in error.message and "matcalc diff 'x^T x' x" in error.message


def test_an_expression_in_place_of_the_command_says_where_it_goes():
    result = runner.invoke(app, ["x^T A x", "x"])
    assert result.exit_code == 2
    assert "an expression comes after a command, as in matcalc diff 'x^T A x' VARIABLE" in result.output


def test_a_lone_cr_ends_a_batch_line(tmp_path):
    f = tmp_path / "old-mac.txt"
    f.write_bytes(b"tr(A X)\rx^T X x\r\r# a comment\rlog|X|\r")
    result = runner.invoke(app, ["diff", "-i", str(f), "X"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["\\nabla_X tr(A X) = A^T", "\\nabla_X x^T X x = x x^T",
                                          "\\nabla_X log|X| = X^{-T}"]
    mixed = tmp_path / "mixed.txt"
    mixed.write_bytes(b"tr(A X)\r\nx^T X x\rlog|X|\n")
    result = runner.invoke(app, ["diff", "-i", str(mixed), "X"])
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 3, result.output


def test_a_query_side_is_still_a_query():
    assert isinstance(parser.parse("(\\nabla_x x^T x)").lhs, Query)
    assert parser.parse("\\nabla^2_x x^T x").lhs.order == 2

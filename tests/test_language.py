"""Every notation of the input language parses, and means what its plain spelling means."""
import pytest

import matcalc
from matcalc.api import typed
from matcalc.errors import MatcalcError
from oracle import assert_gradient

SAME = [
    # names
    (r"\mu^T A \mu", "μ^T A μ"), ("W1 x", "W1 * x"), ("W_2 x", "W_{2} x"), (r"x_{i}^T x_{i}", "x_i^T x_i"),
    (r"tr(\Sigma)", "tr(Σ)"),
    # products and scalar multiples
    ("AB", "A B"), ("A*B", "A B"), (r"A \cdot B", "A B"), ("2A", "2 A"), ("aA", "a A"),
    ("0.5 x^T A x", r"\frac{1}{2} x^T A x"), ("x^T A x / 2", "0.5 x^T A x"), (r"\frac{x^T x}{2}", "x^T x / 2"),
    ("A - B", "A + -B"), ("A - B", "A + (-B)"), ("-(A - B)", "-1 (A - B)"),
    # transpose, inverse, powers
    ("A^T", "A^{T}"), ("A^T", r"A^\top"), ("A^T", r"A^{\top}"), ("A^T", "A'"), ("A^T", "Aᵀ"),
    ("X^{-1}", "inv(X)"), ("X^{-1}", "X⁻¹"), ("X^{-T}", "(X^{-1})^T"), ("X^{-T}", "inv(X^T)"),
    ("X^2", "X X"), ("X^{3}", "X X X"), ("X^{-2}", "X^{-1} X^{-1}"),
    # Hadamard
    ("A .* B", r"A \odot B"), ("A .* B", "A ∘ B"), ("A ./ B", "A .* B.^{-1}"),
    # trace
    ("tr(A)", "trace(A)"), ("tr(A)", "Tr(A)"), ("tr(A)", r"\text{tr}(A)"), ("tr(A)", r"\mathrm{tr}(A)"),
    ("tr(A)", r"\operatorname{tr}(A)"),
    # determinant and log-determinant
    ("det(X)", r"\det X"), ("det(X)", r"\det(X)"), ("det(X)", "|X|"), ("det(X)", r"\vert X \vert"),
    ("det(X)", r"\left| X \right|"), ("log(det(X))", "log det X"), ("log(det(X))", r"\log|X|"),
    ("log(det(X))", r"\ln\det(X)"), ("log(det(X))", "logdet(X)"), ("|A| |B|", "det(A) det(B)"),
    # functions
    ("log(x^T x)", r"\log(x^T x)"), ("log(x^T x)", "ln(x^T x)"), ("exp(x)", r"\exp(x)"),
    ("sqrt(x^T x)", r"\sqrt{x^T x}"), ("sin(X)", r"\sin(X)"), ("tanh(x)", r"\tanh x"), ("sum(X)", r"\operatorname{sum}(X)"),
    # norms
    (r"\|x\|", "||x||"), (r"\|x\|", r"\lVert x \rVert"), (r"\|x\|^2", "||x||^2"), (r"\|X\|_F", r"\|X\|_{F}"),
    (r"\|A x - b\|^2", r"\left\| A x - b \right\|^2"),
    # identity, grouping, spacing
    ("X + I", "X + I I"), ("X I", "X"), ("(A + B) C", r"\left( A + B \right) C"), ("(A + B) C", "{A + B} C"),
    ("A B", r"A \, B"), ("A B", r"A\;B"), ("A B", r"A \! B"),
]


@pytest.mark.parametrize("a,b", SAME)
def test_notations_mean_the_same(a, b):
    assert typed(a)[0] == typed(b)[0], (a, b)


QUERIES = [r"\nabla_A tr(A B)", r"\nabla_{A} tr(A B)", "d/dA tr(A B)", r"\frac{\partial}{\partial A} tr(A B)",
           r"\nabla_A \text{tr}(AB)", "∇_A tr(A B)"]


@pytest.mark.parametrize("query", QUERIES)
def test_query_spellings(query):
    assert assert_gradient(query, None).text == "B^T"


@pytest.mark.parametrize("source,wrt,text", [
    ("tr(aA)", "a", "tr(A)"),                                       # seed 1.C: a is a scalar
    (r"\mu^TA\mu", r"\mu", r"A \mu + A^T \mu"),                      # seed 2.A: μ is a vector
    (r"\lambda\|w\|^2 + \|Xw-y\|^2", "w", r"2 \lambda w + 2 X^T (X w - y)"),
    ("a^T X b", "X", "a b^T"),
])
def test_lower_case_kinds(source, wrt, text):
    assert assert_gradient(source, wrt).text == text


@pytest.mark.parametrize("written", [r"\lambda", "λ", "lambda"])
def test_names_on_the_command_line(written):
    g = assert_gradient(r"\lambda\|w\|^2 + \|Xw-y\|^2", written, declare={written: "scalar"})
    assert g.text == r"\|w\|^2"


def test_declarations_override():
    g = assert_gradient("x^T S x", "x", declare={"S": "symmetric"})
    assert g.text == "2 S x"
    with pytest.raises(MatcalcError):
        matcalc.diff("tr(aA)", "a", declared={"a": "vector"})


def test_a_bad_declared_name_is_shown_as_typed():
    with pytest.raises(MatcalcError) as e:
        matcalc.diff("x^T x", "x", declared={"\\foo": "scalar"})
    assert e.value.message.startswith("'\\foo' is not a variable name")  # one backslash, as typed


def test_ambiguity_names_the_candidates():
    # both d and e may be the scalar; the error names each reading and the declaration
    with pytest.raises(MatcalcError) as e:
        matcalc.diff("a^T b + c^T d e", "a")
    assert "d scalar" in e.value.message and "e scalar" in e.value.message
    assert "--scalar" in e.value.message
    assert assert_gradient("a^T b + c^T d e", "a", declare={"e": "scalar"}).text == "b"


def test_type_error_points_at_the_subexpression():
    source = "tr(A B) + x^T C"
    with pytest.raises(MatcalcError) as e:
        matcalc.diff(source, "A")
    assert "row vector" in e.value.message or "matrix" in e.value.message
    start, end = e.value.span
    assert 0 <= start < end <= len(source)


@pytest.mark.parametrize("bad", ["tr(A B", "A +", "tr()", "|A", r"\frac{1}{", "A $ B", "", "   ", "A B)"])
def test_parse_errors_are_clean(bad):
    with pytest.raises(MatcalcError) as e:
        matcalc.diff(bad, "A")
    assert e.value.message and e.value.caret_lines() or not bad.strip()


@pytest.mark.parametrize("source", ["det(x) + tr(A)", "tr(x) + tr(A)", "x^T inv(x) + tr(A)", r"\log|x| + tr(A)"])
def test_square_requirements(source):
    with pytest.raises(MatcalcError, match="square"):
        matcalc.diff(source, "A", declared={"x": "vector"})


def test_division_is_left_associative():
    # a/b/c is (a/b)/c and a/b c is (a/b) c, as in most programming languages
    scalars = {n: "scalar" for n in "abc"}
    assert assert_gradient("a/b/c", "a", declare=scalars).text == "1 / (b c)"
    assert assert_gradient("tr(A)/2 tr(B)", "A").text == "(1/2) tr(B) I"


def test_ones_is_a_vector_or_a_matrix_as_its_context_says():
    from matcalc.api import typed

    assert typed("ones + x")[0].shape == typed("x")[0].shape            # the all-ones vector
    e, t = typed("ones .* X")
    assert e.shape == t.shapes["X"]                                      # the all-ones matrix
    assert assert_gradient("x^T (ones - x)", "x").text == "ones - 2 x"


def test_an_expression_may_start_with_a_minus_on_the_command_line():
    # click would read "-log(...)" as the options -l -o -g; the negative log-likelihood is common
    from typer.testing import CliRunner

    from matcalc.cli.app import app

    g = assert_gradient("-log(x^T x)", "x", lambda v: -2 * v["x"] / (v["x"] @ v["x"]))
    run = CliRunner().invoke(app, ["diff", "-log(x^T x)", "x", "-f", "text", "--check"])
    assert run.exit_code == 0, run.output
    assert run.stdout == f"\\nabla_x -log(x^T x) = {g.text}\n"
    assert CliRunner().invoke(app, ["simplify", "-tr(B A)", "-f", "text"]).stdout == "-tr(A B)\n"
    assert CliRunner().invoke(app, ["verify", "-tr(A B) = -tr(B A)", "-f", "text"]).exit_code == 0
    assert CliRunner().invoke(app, ["hessian", "-x^T x", "x", "-f", "text"]).stdout == "\\nabla^2_x -x^T x = -2 I\n"
    assert CliRunner().invoke(app, ["diff", "-f", "text", "x^T x", "x"]).stdout == "\\nabla_x x^T x = 2 x\n"
    for command in ("diff", "hessian", "verify", "simplify"):  # the command's own short options stay options
        assert CliRunner().invoke(app, [command, "-h"]).stdout.lstrip().startswith("Usage: ")

"""Issue 12, item 5: readings are said. When another reading of the kinds type-checks and gives
another answer, the output says which was taken and how to ask for the other; the tie-break
gives a newcomer what they expect for `a x^T x` w.r.t. a (a scalar) and `exp(x)` (x a vector)."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc.cli.app import app
from matcalc.cli.batch import Printer
from oracle import assert_gradient
from test_jacobian import assert_derivative, hess, jac

runner = CliRunner()


def test_a_coefficient_is_a_scalar():
    g = assert_gradient("a x^T x", "a", expected=lambda v: v["x"] @ v["x"])
    assert g.typing.kinds == {"a": "scalar", "x": "vector"}
    assert g.text == "x^T x"
    assert g.typing.reading == "a is a scalar here; for the other reading declare --vector a"


def test_the_other_reading_is_the_one_declared():
    g = jac("a x^T x", "a", declare={"a": "vector"}, expected=lambda v: (v["x"] @ v["x"]) * np.eye(len(v["a"])))
    assert g.typing.reading is None  # nothing left to choose


def test_scalars_read_where_a_vector_fits_too_are_said():
    """x y x w.r.t. x: only a scalar x type-checks, and y may be a scalar (the reading taken,
    a gradient) or a vector (a Jacobian); the note was missing (no level of the search held it)."""
    g = assert_gradient("x y x", "x", expected=lambda v: 2 * v["x"] * v["y"])
    assert g.typing.kinds == {"x": "scalar", "y": "scalar"}
    assert g.typing.reading == "y is a scalar here; for the other reading declare --vector y"
    other = jac("x y x", "x", declare={"y": "vector"}, expected=lambda v: 2 * v["x"] * v["y"].reshape(-1, 1))
    assert other.typing.reading is None


def test_a_lone_variable_of_an_elementwise_function_is_a_vector():
    g = jac("exp(x)", "x", expected=lambda v: np.diag(np.exp(v["x"])))
    assert g.text == "diag(exp(x))"
    assert g.typing.reading == "x is a vector here; for the other reading declare --scalar x"
    scalar = assert_gradient("exp(x)", "x", declare={"x": "scalar"}, expected=lambda v: np.exp(v["x"]))
    assert scalar.typing.reading is None


@pytest.mark.parametrize("expr, wrt", [
    ("x^T A x", "x"), ("tr(A B A^T C)", "A"), (r"\lambda\|w\|^2 + \|Xw-y\|^2", "w"), ("tr(aA)", "a"),
    ("a^T X b", "X"), (r"\log|X|", "X"),
])
def test_one_reading_no_note(expr, wrt):
    g = matcalc.diff(expr, wrt)
    assert g.typing.reading is None, g.typing.reading


def test_a_function_of_a_square_matrix_says_it_is_taken_entry_by_entry():
    # tr(e^X) in the matrix-exponential reading has gradient (e^X)ᵀ; matcalc's is exp(X) ∘ I
    g = assert_gradient("tr(exp(X))", "X", expected=lambda v: np.diag(np.diag(np.exp(v["X"]))))
    assert g.typing.reading == "exp(X) is taken entry by entry, not as the matrix exponential"
    g = assert_gradient("tr(log(X B))", "X", positive=True,
                        expected=lambda v: np.diag(1 / np.diag(v["X"] @ v["B"])) @ v["B"].T)
    assert g.typing.reading == "log(X B) is taken entry by entry, not as the matrix logarithm"
    h = hess("sum(sqrt(X))", "X", positive=True, declare={"X": "matrix"},
             expected=lambda v: np.diag(np.reshape(-0.25 * v["X"] ** -1.5, -1, order="F")))
    assert h.typing.reading is None  # X need not be square: nothing else to read
    result = runner.invoke(app, ["diff", "tr(e^{X})", "X", "-f", "text"])
    assert result.exit_code == 0
    assert result.stderr == "note: exp(X) is taken entry by entry, not as the matrix exponential\n"
    for expr, wrt in [("sum(exp(W x))", "W"), ("sum(log(X))", "X"), ("tr(A^T relu(X))", "X"),
                      ("tr(A log(X B))", "X")]:
        assert matcalc.diff(expr, wrt).typing.reading is None, expr  # not square, or no matrix meaning


def test_a_transpose_lookalike_says_how_it_was_read():
    # x^t is x to the power t and xTAx the product x T A x: answered (both are readings of the
    # language), and the note names the transpose a newcomer meant
    g = jac("x^t A x", "x", positive=True)
    assert g.typing.reading == "x^t is read as x to the power t; for the transpose write x^T"
    g = jac("xTAx", "x")
    assert g.typing.reading == "T after x is read as a matrix named T; for the transpose write x^T"
    result = runner.invoke(app, ["diff", "x^tx", "x", "-f", "text"])
    assert result.exit_code == 0 and result.stderr.endswith("for the transpose write x^T\n")
    for expr, wrt in [(r"1 - \beta^t", r"\beta"), ("x^T A x", "x"), ("tr(A T)", "A"), ("tr(ABA^TC)", "A")]:
        assert matcalc.diff(expr, wrt).typing.reading is None, expr  # a Greek base; T spaced or ^T


def test_a_transposed_variable_read_as_a_scalar_says_why():
    # x^T x^T has no vector reading; the scalar one (x², ∇ = 2x) is the only one, and a
    # transpose of a scalar is seldom meant: the note says it and what failed for a vector
    g = assert_gradient("x^T x^T x", "x", expected=lambda v: 3 * v["x"] ** 2)
    assert g.typing.reading == ("x is read as a scalar, whose transpose is itself; as a vector: cannot multiply "
                                "`x^T` (a row vector) by `x^T` (a row vector): inner dimensions differ")
    for expr in ("x^2", "x^T x", "\\sin(x^T) x"):
        reading = matcalc.diff(expr, "x").typing.reading
        assert reading is None or "whose transpose is itself" not in reading, (expr, reading)


def test_a_hessian_says_its_reading_too():
    g = hess("a x^T x + a^2", "a", expected=lambda v: np.array([[2.0]]))
    assert g.typing.kinds["a"] == "scalar"
    assert g.typing.reading is None  # a Hessian needs a scalar expression: the vector a gives none


def test_text_output_says_it_on_stderr_and_leaves_stdout_alone():
    result = runner.invoke(app, ["diff", "a x^T x", "a", "-f", "text"])
    assert result.exit_code == 0
    assert result.stdout == "\\nabla_a a x^T x = x^T x\n"
    assert result.stderr == "note: a is a scalar here; for the other reading declare --vector a\n"
    declared = runner.invoke(app, ["diff", "a x^T x", "a", "-f", "text", "--scalar", "a"])
    assert declared.exit_code == 0 and declared.stderr == ""


def test_numpy_output_says_it_on_stderr():
    result = runner.invoke(app, ["diff", "exp(x)", "x", "-f", "numpy"])
    assert result.stdout == "np.diag(np.exp(x))\n"
    assert "--scalar x" in result.stderr


def test_json_carries_the_kinds_and_the_reading():
    result = runner.invoke(app, ["diff", "a x^T x", "a", "-f", "json", "--no-steps"])
    record = json.loads(result.stdout)
    assert record["kinds"] == {"a": "scalar", "x": "vector"}
    assert record["reading"] == "a is a scalar here; for the other reading declare --vector a"
    plain = json.loads(runner.invoke(app, ["diff", "x^T A x", "x", "-f", "json", "--no-steps"]).stdout)
    assert "reading" not in plain


def test_pretty_output_puts_it_on_a_dim_line_under_the_result():
    from matcalc.cli.batch import _diff_line
    from matcalc.cli.pretty import Terminal

    printer = Printer("pretty")
    out = io.StringIO()
    printer._pretty.terminal = Terminal(file=out, styled=True, width=200)
    assert _diff_line("a x^T x", ["a"], {}, printer, False) == 0
    lines = out.getvalue().splitlines()
    assert "xᵀ x" in lines[0]
    assert lines[1] == "\x1b[2ma is a scalar here; for the other reading declare --vector a\x1b[0m"


def test_a_batch_says_it_for_the_lines_that_read_two_ways(tmp_path):
    f = tmp_path / "in.txt"
    f.write_text("a x^T x\nx^T x a^2\n")
    result = runner.invoke(app, ["diff", "-i", str(f), "a", "-f", "text"])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["\\nabla_a a x^T x = x^T x", "\\nabla_a x^T x a^2 = 2 a x^T x"]
    assert result.stderr.splitlines() == ["note: a is a scalar here; for the other reading declare --vector a",
                                          "2 ok, 0 failed"]


def test_both_readings_are_right():
    """The reading said is the one computed, and the other reading is right too."""
    assert_gradient("a x^T x", "a", expected=lambda v: v["x"] @ v["x"])
    g = matcalc.diff("a x^T x", "a", declared={"a": "vector"})
    assert_derivative(g, expected=lambda v: (v["x"] @ v["x"]) * np.eye(len(v["a"])))


def test_a_denominator_in_parentheses_is_not_wrapped_twice():
    g = assert_gradient("ln(1+x^Tx)", "x", expected=lambda v: 2 * v["x"] / (1 + v["x"] @ v["x"]))
    assert g.text == "2 x / (1 + x^T x)"
    assert matcalc.verify(f"\\nabla_x ln(1+x^Tx) = {g.text}").holds


def test_a_product_sign_between_letters_read_as_scalars_names_what_vectors_need():
    """A paper's w · x + b is the inner product of vectors, x × y their cross product, NumPy's
    x * y their entrywise product; matcalc's ·, × and * are the product of scalars and matrices,
    so the only reading makes a letter a scalar. The answer stands (it is right for that
    reading), and the note says which letter is a scalar and what to write for vectors."""
    g = assert_gradient(r"(w \cdot x + b)^2", "w", expected=lambda v: 2 * v["x"] * (v["w"] * v["x"] + v["b"]))
    assert g.typing.kinds == {"w": "scalar", "x": "scalar", "b": "scalar"}
    assert g.typing.reading == "w · x is read with w and x scalars; for the inner product of vectors write w^T x"
    g = jac(r"w \cdot x + b", "w", expected=lambda v: v["x"] * np.eye(len(v["w"])))
    assert g.typing.reading.endswith("w · x is read with x a scalar; for the inner product of vectors write w^T x")
    result = runner.invoke(app, ["diff", "x · y", "y", "-f", "text"])
    assert result.exit_code == 0
    assert "x · y is read with x a scalar; for the inner product of vectors write x^T y" in result.stderr
    g = assert_gradient(r"(x \times y)^T z", "x", expected=lambda v: v["y"] * v["z"])
    assert g.typing.reading == "x × y is read with y a scalar; the cross product of vectors is not read"
    g = assert_gradient("sum(x * y)", "x", expected=lambda v: v["y"] * np.ones_like(v["x"]))
    assert g.typing.reading == ("x * y is read with y a scalar; for the entrywise product of vectors write "
                                "x .* y, for the inner product x^T y")
    inner = assert_gradient("w^T x + b", "w", expected=lambda v: v["x"])  # what the note says to write
    assert inner.typing.reading is None
    for expr, wrt, declared in [(r"\lambda \cdot x^T x", "x", None), (r"2 \cdot x^T x", "x", None),
                                (r"A \cdot x", "x", None), (r"w \cdot x", "w", {"x": "scalar"}),
                                ("w x + b", "w", None), ("x^T * y", "x", None), ("a * x^T x", "x", None)]:
        reading = matcalc.diff(expr, wrt, declared=declared).typing.reading
        assert reading is None or "inner product" not in reading, (expr, reading)

"""Every command issue 12 quotes, as a user would type it, with the exit code it must give.

Issue 12 ("Trust") lists inputs that matcalc once misread, answered wrongly, or answered with a
traceback. Each is here once: an answer (exit 0) is checked against central finite differences
of the independent evaluator in tests/evaluator.py on random data of distinct sizes; a refusal
(exit 2) must be a one-sentence error with the input and a caret, never a traceback; `verify`
of a false identity must say "does not hold" (exit 1). Other test files cover each theme in
depth (test_vocabulary, test_readings, test_check, test_verify_numbers, test_limits, test_fuzz);
this file is the issue's own list, so that none of its commands is left out.
"""
from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from evaluator import Expression
from matcalc.cli.app import app

RUNNER = CliRunner()


def invoke(*args: str):
    return RUNNER.invoke(app, list(args))


# -- answered: (expression, wrt, declared kinds, shapes of the data) ---------------------------
# Sizes are distinct (3, 4, 5) and non-square wherever the expression allows.

ANSWERED = [
    ("softmax(x)", "x", {}, {"x": (4, 1)}),
    ("sigmoid(x)", "x", {}, {"x": (4, 1)}),
    ("sum(relu(x))", "x", {}, {"x": (4, 1)}),
    ("sum(tan(x))", "x", {}, {"x": (4, 1)}),
    ("sum(abs(x))", "x", {}, {"x": (4, 1)}),
    ("log(abs(det(X)))", "X", {}, {"X": (4, 4)}),
    ("\\cosh(x)", "x", {}, {"x": (4, 1)}),
    ("\\sigma(A x)", "x", {}, {"A": (3, 4), "x": (4, 1)}),
    ("(x^T y)^{0.5}", "x", {}, {"x": (4, 1), "y": (4, 1)}),
    ("(x^T y)^{1.5}", "x", {}, {"x": (4, 1), "y": (4, 1)}),
    ("(x^T y)^{2.0}", "x", {}, {"x": (4, 1), "y": (4, 1)}),
    ("(x^T y)^0.5", "x", {}, {"x": (4, 1), "y": (4, 1)}),
    ("sum(x.^{0.5})", "x", {}, {"x": (4, 1)}),
    ("\\log|I + 2 T / d|", "T", {"d": "scalar"}, {"T": (4, 4), "d": (1, 1)}),
    ("\\|x - d\\|^2", "x", {"d": "vector"}, {"x": (4, 1), "d": (4, 1)}),
    ("\\log\\det(I + 2T/d)", "T", {"d": "scalar"}, {"T": (4, 4), "d": (1, 1)}),
    ("\\mathrm{Tr}[A X]", "X", {}, {"A": (3, 5), "X": (5, 3)}),
    ("det(A X B)", "X", {}, {"A": (3, 4), "X": (4, 5), "B": (5, 3)}),
    ("\\log|A X B|", "X", {}, {"A": (3, 4), "X": (4, 5), "B": (5, 3)}),
    ("tr(sqrt(X))", "X", {}, {"X": (4, 4)}),
    ("\\nabla_x x^T A x", "x", {}, {"x": (4, 1), "A": (4, 4)}),
    ("1 ./ (1 + \\exp(-x))", "x", {"x": "vector"}, {"x": (4, 1)}),
    ("a x^T x", "a", {}, {"a": (1, 1), "x": (4, 1)}),
    ("e^{x^T x}", "x", {}, {"x": (3, 1)}),
    ("sum(log(1 + exp(-y .* (X w))))", "w", {}, {"y": (5, 1), "X": (5, 3), "w": (3, 1)}),
    ("w^T G ((x^T U x) u)", "x", {}, {"w": (3, 1), "G": (3, 5), "x": (4, 1), "U": (4, 4), "u": (5, 1)}),
    ("\\mathbf{1}^T x", "x", {}, {"x": (4, 1)}),
    ("\\mathbf{1}^T x + x^T x", "x", {}, {"x": (4, 1)}),
    ("x^T B x_T + tr(B)", "x_T", {}, {"x": (4, 1), "B": (4, 4), "x_T": (4, 1)}),
]


def data(shapes: dict, seed: int, positive: bool) -> dict:
    """Random values: square matrices near 2I (nonsingular, det > 0), T near I/4 so that
    I + 2T/d stays positive definite, d away from 0; every entry positive when the expression
    takes a root of it (`positive`)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, (r, c) in sorted(shapes.items()):
        if name == "d" and (r, c) == (1, 1):
            out[name] = np.array([[1.5 + rng.random()]])
        elif r == c and r > 1:
            out[name] = (0.25 if name == "T" else 2.0) * np.eye(r) + 0.1 * rng.standard_normal((r, r))
        else:
            out[name] = rng.standard_normal((r, c))
        if positive:
            out[name] = np.abs(out[name]) + 0.5
    return out


def as_numpy_argument(value: np.ndarray, declared_vector: bool):
    """The README's convention for -f numpy: vectors 1-D, scalars floats."""
    r, c = value.shape
    if (r, c) == (1, 1) and not declared_vector:
        return float(value[0, 0])
    return value[:, 0].copy() if c == 1 else value.copy()


def finite_differences(expression: Expression, values: dict, wrt: str, h: float = 1e-6) -> np.ndarray:
    """d f / d wrt, one column per entry of wrt (column-major), f flattened column-major."""
    columns = []
    for j in range(values[wrt].shape[1]):
        for i in range(values[wrt].shape[0]):
            plus, minus = dict(values), dict(values)
            plus[wrt] = values[wrt].copy()
            minus[wrt] = values[wrt].copy()
            plus[wrt][i, j] += h
            minus[wrt][i, j] -= h
            columns.append(((expression(plus) - expression(minus)) / (2 * h)).ravel(order="F"))
    return np.array(columns).T


def evaluator_text(text: str) -> str:
    """The evaluator reads the body of a query; a query names its own variable."""
    return text.replace("\\nabla_x ", "")


@pytest.mark.parametrize("text,wrt,declared,shapes", ANSWERED, ids=[a[0] for a in ANSWERED])
def test_the_answer_matches_finite_differences(text, wrt, declared, shapes):
    result = matcalc.diff(text, None if text.startswith("\\nabla") else wrt, declared=declared or None)
    expression = Expression(evaluator_text(text))
    for seed in range(12, 40):  # data in the domain: log|A X B| needs det(A X B) > 0
        values = data(shapes, seed, positive=any(w in text for w in ("sqrt", "0.5", "1.5")))
        with np.errstate(all="ignore"):
            if np.all(np.isfinite(expression(values))):
                break
    env = {"np": np}
    for name, value in values.items():
        env[name] = as_numpy_argument(value, declared.get(name) == "vector")
    with np.errstate(all="raise"):
        got = np.asarray(eval(result.numpy, env), dtype=float)  # noqa: S307 - matcalc's own output
    want = finite_differences(expression, values, wrt)
    r, c = values[wrt].shape
    if want.shape[0] == 1:  # a gradient: shaped like the variable
        want = want.reshape((r, c), order="F")
        want = want[:, 0] if c == 1 and (r, c) != (1, 1) else want
        want = float(want[0, 0]) if np.shape(want) == (1, 1) else want
        got = np.broadcast_to(got, np.shape(want)) if got.size == 1 else got
    assert np.shape(got) == np.shape(want), (np.shape(got), np.shape(want), result.text)
    scale = max(1.0, float(np.max(np.abs(want))))
    assert float(np.max(np.abs(got - want))) / scale < 1e-6, result.text


# -- refused: a clear error (exit 2), the input echoed with a caret, never a traceback ---------

REFUSED = [
    (("diff", "norm(x)", "x"), "norm"),
    (("diff", "foo(X)", "X"), "foo"),
    (("diff", "transpose(A)", "A"), "transpose"),
    (("diff", "x^T A x", "x", "--scalar", "q"), "q"),
    (("diff", "x^T A x", "x", "--scalar", "a", "--vector", "a"), "a"),
    (("diff", "\\nabla_x x^T A x", "A"), "A"),
    (("diff", "x.T A x", "x"), "x^T"),
    (("diff", "x", "x", "--format", "xml"), "xml"),
    (("diff", "1e5 x^T x", "x"), "1e5"),
    (("diff", "1.5.5 x^T x", "x"), "1.5.5"),
    (("diff", "0/0 tr(X)", "X"), "0"),
    (("diff", "tr(X)/0", "X"), "0"),
    (("diff", "(-1)^{1/2} tr(X)", "X"), "-1"),
    (("diff", "tr(Α X)", "X"), "A"),
    (("diff", "tr(X^{2/0})", "X"), "0"),
    (("diff", "\\nabla_ tr(X)"), "\\nabla"),
    (("verify", "0/0 = 0"), "0"),
]


@pytest.mark.parametrize("args,named", REFUSED, ids=[" ".join(a[0]) for a in REFUSED])
def test_a_refusal_is_a_clear_error(args, named):
    result = invoke(*args)
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert named in result.output, result.output


def test_matcalc_diff_with_a_misspelt_kind_is_refused_in_the_api_too():
    with pytest.raises(matcalc.MatcalcError, match="scalr"):
        matcalc.diff("a x^T x", "a", declared={"a": "scalr"})


def test_a_query_with_its_own_wrt_gives_one_result():
    result = invoke("diff", "\\nabla_x x^T A x", "x", "-f", "text")
    assert result.exit_code == 0 and result.stdout.count("=") == 1, result.stdout


# -- verify: true identities hold, the false ones quoted do not --------------------------------

HOLDS = [
    "\\nabla^2_x x^T A x = A + A^T",
    "d/dx (A x) = A",
    "\\nabla_{A^T} \\text{tr}(AB) = (\\nabla_A \\text{tr}(AB))^T",
    "\\nabla_X log|\\det X| = X^{-T}",
]

FALSE = [
    "\\det(-A) = -\\det(A)",
    "\\det(2 (X X^T)^{-1}) = 8 \\det((X X^T)^{-1})",
    "tr(A B) = 1.000000001 tr(B A)",
    "x^T x = x^T x + 0.000000001",
    "log(x.^2) = 2 log(x)",
    "|a| = a",
]


@pytest.mark.parametrize("identity", HOLDS)
def test_a_true_identity_holds(identity):
    result = invoke("verify", identity)
    assert result.exit_code == 0 and "holds" in result.stdout, result.output


@pytest.mark.parametrize("identity", FALSE)
def test_a_false_identity_does_not_hold(identity):
    result = invoke("verify", identity)
    assert result.exit_code == 1 and "does not hold" in result.stdout, result.output


# -- generated modules and --check ---------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ("diff", "x^T B x_T + tr(B)", "x^T", "x_T", "-f", "python"),
    ("hessian", "z^T p tanh(x^T) q", "x", "-f", "python"),
    ("diff", "\\mathbf{1}^T x + x^T x", "x", "-f", "python"),
])
def test_a_generated_module_checks_itself(args, tmp_path):
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    names = [line.split("(")[0][4:] for line in result.stdout.splitlines() if line.startswith("def ")]
    assert len(names) == len(set(names)), names  # no name reused
    namespace: dict = {}
    exec(compile(result.stdout, "generated.py", "exec"), namespace)  # noqa: S102 - matcalc's own output
    checks = [n for n in names if n.startswith("check")]
    assert checks
    for name in checks:
        namespace[name]()  # raises AssertionError if the module disagrees with its own differences


@pytest.mark.parametrize("args,verdict,code", [
    (("diff", "det(A X B)", "X", "--check"), "ok", 0),
    (("diff", "\\log|A X B|", "X", "--check"), "ok", 0),
    (("diff", "tr(sqrt(X))", "X", "--check"), "ok", 0),
    (("diff", "\\mathbf{1}^T x", "x", "--check"), "ok", 0),
    (("diff", "tr(X^{1000000})", "X", "--check"), "could not check", 1),
])
def test_check_is_honest(args, verdict, code):
    result = invoke(*args)
    assert result.exit_code == code and verdict in result.output, result.output
    assert "FAILED" not in result.output

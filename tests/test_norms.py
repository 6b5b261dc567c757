"""The words of issue 13 beside the table's elementwise functions: ‖x‖₁ (`norm1`, `\\|x\\|_1`,
entrywise for matrices), ‖x‖₂ (`norm2`, `\\|x\\|_2`), powers before or after a norm's subscript,
`e^{…}` for exp, ⟨A, B⟩ (`\\langle A, B \\rangle`) and adj(X).

Each is checked as test_functions checks the table: matcalc's NumPy output evaluated against
central finite differences of an oracle written here, on non-square sizes (X is 3×4); steps
citing a rule of `matcalc rules`; every format; and each text and LaTeX line reads back and
`matcalc verify` holds for it."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc.cli.app import app
from matcalc.cli.output import gradient_line
from matcalc.derivations.rules import BY_ID, listing
from matcalc.derivations.steps import derive
from oracle import close, fd_gradient, run, used

runner = CliRunner()
M, N, P = 3, 4, 5  # X is M×N; the adjugate's X is N×N between an M×N and an N×P matrix


def away_from_zero(rng, shape):
    """Entries of either sign, away from the kink of |·| at 0."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.0, shape)


def data(rng):
    X, w = away_from_zero(rng, (M, N)), away_from_zero(rng, N)
    A, Y, y = rng.standard_normal((M, N)), rng.standard_normal((M, P)), rng.standard_normal(M)
    W = rng.standard_normal((N, P))
    S = np.eye(N) * 2 + 0.3 * rng.standard_normal((N, N))  # well away from singular
    return {"X": X, "w": w, "A": A, "Y": Y, "y": y, "W": W, "S": S, "B": rng.standard_normal((M, N)),
            "C": rng.standard_normal((N, P)), "\\lambda": 0.7, "lambda_": 0.7}  # lambda_: λ in NumPy


# Each input, the variable, and its oracle f(v, value of the variable).
CASES = [
    ("\\|X\\|^2_F", "X", lambda v, X: np.sum(X * X)),
    ("\\|X\\|_F^2", "X", lambda v, X: np.sum(X * X)),
    ("\\|X W - Y\\|^2_F", "W", lambda v, W: np.sum((v["X"] @ W - v["Y"]) ** 2)),
    ("\\|w\\|_2^2", "w", lambda v, w: w @ w),
    ("\\|w\\|^2_2", "w", lambda v, w: w @ w),
    ("\\|X w - y\\|_2", "w", lambda v, w: np.linalg.norm(v["X"] @ w - v["y"])),
    ("norm2(X w - y)", "w", lambda v, w: np.linalg.norm(v["X"] @ w - v["y"])),
    ("\\|w\\|_1", "w", lambda v, w: np.sum(np.abs(w))),
    ("norm1(w)", "w", lambda v, w: np.sum(np.abs(w))),
    ("norm1(X)", "X", lambda v, X: np.sum(np.abs(X))),
    ("\\|X\\|_1", "X", lambda v, X: np.sum(np.abs(X))),
    ("\\|w\\|_1^2", "w", lambda v, w: np.sum(np.abs(w)) ** 2),
    ("\\|X w - y\\|_2^2 + \\lambda \\|w\\|_1", "w",
     lambda v, w: np.sum((v["X"] @ w - v["y"]) ** 2) + v["\\lambda"] * np.sum(np.abs(w))),
    ("e^{w^T w / 4}", "w", lambda v, w: np.exp(w @ w / 4)),
    ("sum(e^{X})", "X", lambda v, X: np.sum(np.exp(X))),
    ("y^T e^{-X w}", "w", lambda v, w: v["y"] @ np.exp(-v["X"] @ w)),
    ("\\langle A, X \\rangle", "X", lambda v, X: np.sum(v["A"] * X)),
    ("⟨A, X⟩", "X", lambda v, X: np.sum(v["A"] * X)),
    ("|\\langle A, X \\rangle| + |⟨A, X⟩|", "X", lambda v, X: 2 * abs(np.sum(v["A"] * X))),  # a bar after ⟩ closes
    ("\\langle X W - Y, X W - Y \\rangle", "W", lambda v, W: np.sum((v["X"] @ W - v["Y"]) ** 2)),
    ("\\langle B X^T, X X^T \\rangle", "X", lambda v, X: np.sum((v["B"] @ X.T) * (X @ X.T))),
    ("tr(adj(S))", "S", lambda v, S: np.trace(np.linalg.det(S) * np.linalg.inv(S))),
    ("tr(B adj(S) C Y^T)", "S",
     lambda v, S: np.trace(v["B"] @ (np.linalg.det(S) * np.linalg.inv(S)) @ v["C"] @ v["Y"].T)),
]
IDS = [c[0] for c in CASES]


def _names(written: str) -> dict:
    """The declarations a line needs: λ is a scalar; S is a plain matrix (not symmetric)."""
    return used({"\\lambda": "scalar"}, written)


@pytest.mark.parametrize("written, wrt, oracle", CASES, ids=IDS)
def test_gradient_against_finite_differences(written, wrt, oracle):
    v = data(np.random.default_rng(16))
    g = matcalc.diff(written, wrt, _names(written))
    close(run(g.numpy, v), fd_gradient(lambda x: oracle(v, x), v[wrt]))


@pytest.mark.parametrize("written, wrt, oracle", CASES, ids=IDS)
def test_every_format_reads_back_and_verifies(written, wrt, oracle):
    g = matcalc.diff(written, wrt, _names(written))
    for fmt in ("text", "latex"):
        line = gradient_line(g, fmt)
        verdict = matcalc.verify(line, declared=_names(line))
        assert verdict.holds, f"{line}\n  {verdict.message()}"
    flags = ["--scalar", "\\lambda"] if "lambda" in written else []
    result = runner.invoke(app, ["verify", gradient_line(g, "text"), *flags])
    assert result.exit_code == 0, result.output
    for fmt in ("pretty", "numpy"):
        shown = runner.invoke(app, ["diff", written, wrt, "-f", fmt, *flags])
        assert shown.exit_code == 0 and shown.stdout.strip(), shown.output
    shown = runner.invoke(app, ["diff", written, wrt, "-f", "json", "--no-steps", *flags])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["result"]["numpy"] == g.numpy


@pytest.mark.parametrize("written, wrt", [("norm1(X)", "X"), ("\\|w\\|_1^2", "w"), ("tr(adj(S))", "S"),
                                          ("a^T adj(S) b", "S"), ("\\langle A, X \\rangle", "X"),
                                          ("e^{w^T w / 4}", "w"), ("norm2(w)", "w")])
def test_the_python_module_checks_itself(written, wrt):
    result = runner.invoke(app, ["diff", written, wrt, "-f", "python"])
    assert result.exit_code == 0, result.output
    namespace: dict = {"__name__": "generated"}
    exec(compile(result.stdout, "generated.py", "exec"), namespace)  # noqa: S102 - matcalc's own output
    assert namespace["check_gradient"]() < 1e-5


# -- how each is written -----------------------------------------------------------------------

@pytest.mark.parametrize("written, wrt, text, unicode, latex", [
    ("\\|w\\|_1", "w", "\\nabla_w norm1(w) = sign(w)", "sign(w)", "\\operatorname{sign}(w)"),
    ("\\lambda \\|w\\|_1^2", "w", "\\nabla_w \\lambda norm1(w)^2 = 2 \\lambda norm1(w) sign(w)",
     "2 λ ‖w‖₁ sign(w)", "2 \\lambda \\left\\| w \\right\\|_1 \\operatorname{sign}(w)"),
    ("\\|X\\|^2_F", "X", "\\nabla_X \\|X\\|_F^2 = 2 X", "2 X", "2 X"),
    ("norm2(w)", "w", "\\nabla_w \\|w\\| = w / \\|w\\|", "w / ‖w‖", "\\frac{w}{\\left\\| w \\right\\|}"),
    ("e^{x^T x}", "x", "\\nabla_x exp(x^T x) = 2 exp(x^T x) x", "2 exp(xᵀ x) x", "2 \\exp(x^{T} x) x"),
    ("\\langle A, X \\rangle", "X", "\\nabla_X tr(A^T X) = A", "A", "A"),
    ("tr(adj(X))", "X", "\\nabla_X tr(adj(X)) = tr(adj(X)) X^{-T} - X^{-T} adj(X)^T",
     "tr(adj(X)) X⁻ᵀ - X⁻ᵀ adj(X)ᵀ",
     "\\operatorname{tr}(\\operatorname{adj}(X)) X^{-T} - X^{-T} \\operatorname{adj}(X)^{T}"),
])
def test_the_forms(written, wrt, text, unicode, latex):
    g = matcalc.diff(written, wrt, _names(written))
    assert gradient_line(g, "text") == text
    assert g.unicode == unicode
    assert g.latex == latex


def test_norm1_is_drawn_with_bars():
    g = matcalc.diff("\\|w\\|_1 x^T x", "x")
    assert "‖w‖₁" in g.unicode and "\\left\\| w \\right\\|_1" in g.latex


# -- rules and steps ---------------------------------------------------------------------------

@pytest.mark.parametrize("rule_id, word", [("norm1", "norm1"), ("adj", "adj"), ("norm", "norm2"),
                                           ("exp", "e^{")])
def test_rules_entry_and_steps(rule_id, word):
    rule = BY_ID[rule_id]
    assert any(line.startswith(f"{rule_id} ") for line in listing().splitlines())
    assert rule.demo and rule_id in derive(matcalc.diff(*rule.demo)).rules
    assert word in rule.statement + rule.explanation + rule.demo[0] or word == "e^{"


@pytest.mark.parametrize("written, wrt, cited", [
    ("\\|w\\|_1", "w", "norm1"), ("norm2(w)", "w", "norm"), ("\\|w\\|_2", "w", "norm"),
    ("e^{w^T w}", "w", "exp"), ("sum(e^{X})", "X", "exp"), ("tr(adj(X))", "X", "adj"), ("\\langle A, X \\rangle", "X", "3.A"),
])
def test_the_steps_of_each_spelling_cite_its_rule(written, wrt, cited):
    assert cited in derive(matcalc.diff(written, wrt)).rules


def test_adjugate_steps_evaluate_to_the_gradient():
    result = runner.invoke(app, ["diff", "tr(adj(X))", "X", "--steps"])
    assert result.exit_code == 0 and "[adj]" in result.stdout, result.output


# -- what is refused ---------------------------------------------------------------------------

@pytest.mark.parametrize("written, message", [
    ("norm2(X)", "norm2 needs a column vector"),
    ("\\|X\\|_2", "‖X‖₂ of a matrix are ambiguous"),
    ("\\langle A, x \\rangle", "needs two arguments of one shape"),
    ("x^2_F", "a subscript after a power belongs to a norm"),
    ("\\|X\\|_F^2_F", "a subscript after a power belongs to a norm"),
])
def test_refused(written, message):
    with pytest.raises(matcalc.MatcalcError, match=message.replace("(", "\\(")):
        matcalc.simplify(written)


def test_e_to_a_number_is_still_the_letter_e():
    assert "exp" not in matcalc.diff("e^{2} x^T x", "x").text
    assert matcalc.simplify("e^2").text == "e^2"


def test_e_to_an_expression_is_the_exponential():
    for written in ("e^{x^T x}", "e^x", "\\exp(x)"):
        assert "exp" in matcalc.simplify(written).text, written


@pytest.mark.parametrize("word, suggested", [("norm", "norm1"), ("norm", "\\|x\\|"), ("nrom1", "norm1"),
                                             ("norm3", "norm1")])
def test_unknown_norm_words_suggest_the_known_ones(word, suggested):
    with pytest.raises(matcalc.MatcalcError) as e:
        matcalc.diff(f"{word}(x)", "x")
    assert suggested in str(e.value) and "unknown word" in str(e.value)


def test_names_with_digits_stay_names():
    assert matcalc.diff("x^T W1 x + norm1(x)", "x").text  # W1 a name, norm1 a word


@pytest.mark.parametrize("written, oracle", [
    ("norm1(X)", lambda X: np.sum(np.abs(X))),
    ("tr(adj(X))", lambda X: np.trace(np.linalg.det(X) * np.linalg.inv(X))),
])
def test_the_sympy_form_has_the_same_value(written, oracle):
    sp = pytest.importorskip("sympy")
    from matcalc.formats.interop import to_sympy

    g = matcalc.diff(written, "X")
    X = np.array([[2.0, 0.3, -0.5, 0.1], [0.2, -1.5, 0.4, 0.3], [-0.7, 0.1, 1.2, 0.2], [0.3, 0.4, -0.2, 1.1]])
    X = X if "adj" in written else X[:M]  # N×N, or M×N
    rows, cols = g.typing.shapes["X"]
    sizes = {rows: X.shape[0], cols: X.shape[1]}
    value = to_sympy(g.written, sizes).xreplace({sp.MatrixSymbol("X", *X.shape): sp.ImmutableMatrix(X)}).doit()
    assert abs(float(value) - oracle(X)) < 1e-9


@pytest.mark.parametrize("text,others", [
    ("\\|relu(u)\\|", {}),
    ("x^T x \\|relu(u)\\|", {"x": np.array([0.3, -1.2, 0.8])}),
    ("\\|relu(u) + relu(v)\\|", {"v": np.array([-0.4, -1.0, -0.1, -2.0])}),
])
def test_the_norm_of_relu_where_relu_is_zero_has_gradient_zero(text, others):
    """Where relu(u) = 0 on a neighbourhood (every entry of u negative) the norm is constant and
    its gradient and Hessian 0; the formula relu(u) ∘ step(u) / ‖relu(u)‖ is 0/0 there, so the
    NumPy line divides by (‖v‖ or ∞). Elsewhere it agrees with finite differences as before."""
    from oracle import close, fd_gradient, run

    objective = {"\\|relu(u)\\|": lambda u: np.linalg.norm(np.maximum(u, 0)),
                 "x^T x \\|relu(u)\\|": lambda u: others["x"] @ others["x"] * np.linalg.norm(np.maximum(u, 0)),
                 "\\|relu(u) + relu(v)\\|": lambda u: np.linalg.norm(np.maximum(u, 0) + np.maximum(others["v"], 0))}[text]
    g, h = matcalc.diff(text, "u"), matcalc.hessian(text, "u")
    assert "or np.inf" in g.numpy and "or" not in g.text
    rng = np.random.default_rng(5)
    negative = -0.1 - np.abs(rng.standard_normal(4))
    with np.errstate(all="raise"):
        close(run(g.numpy, {"u": negative, **others}), np.zeros(4))
        close(run(h.numpy, {"u": negative, **others}), np.zeros((4, 4)))
    mixed = np.array([0.7, -0.3, 1.1, -1.4])
    close(run(g.numpy, {"u": mixed, **others}), fd_gradient(objective, mixed), tol=1e-5)


def test_a_norm_without_relu_divides_as_before():
    assert matcalc.diff("\\|A x - b\\|", "x").numpy == "A.T @ (A @ x - b) / np.linalg.norm(A @ x - b)"

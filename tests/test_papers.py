"""LaTeX as papers, textbooks and Stack Exchange write it (\\mathbf{x}, \\boldsymbol{\\theta}, \\top,
\\operatorname{tr}, \\left\\| ... \\right\\|_2^2, \\tfrac12 ...), and inputs nobody designed for matcalc.

Each objective of PAPERS is answered, and the answer is checked twice:
- numerically: matcalc's NumPy gradient against central finite differences of the independent
  evaluator (tests/evaluator.py) reading the objective's plain spelling, on random data of
  distinct, non-square sizes;
- as a reading: the paper's spelling and the plain one give the same printed result, byte for
  byte (so \\mathbf{x} was read as the name x, \\top as the transpose, and so on).
Each input of REFUSED is refused with a clear error (exit 2, the input echoed with a caret, no
traceback) whose message says what to write instead; ADVERSARIAL holds typos, fragments and other
tools' spellings, each answered as its reading says or refused.
"""
from __future__ import annotations

import keyword

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from evaluator import Expression
from matcalc.cli.app import app
from oracle import assert_gradient, close, fd_gradient, run

RUNNER = CliRunner()

# Sizes: distinct and non-square wherever the objective allows (n samples, d features, k outputs).
n, d, k, m = 5, 3, 4, 2


def vec(r):
    return (r, 1)


# (paper's LaTeX, variable, plain spelling for the evaluator, shapes, SPD names, positive data)
PAPERS = [
    # least squares, ridge, lasso, Tikhonov, elastic net
    (r"\frac{1}{2}\left\| \mathbf{y} - \mathbf{X}\boldsymbol{\beta} \right\|_2^2 + \frac{\lambda}{2} \|\boldsymbol\beta\|_2^2",
     "beta", r"\frac{1}{2}\|y - X \beta\|^2 + \frac{\lambda}{2}\|\beta\|^2",
     {"y": vec(n), "X": (n, d), "beta": vec(d), "lambda": (1, 1)}),
    (r"\lVert \mathbf{X}\mathbf{w} - \mathbf{y} \rVert_2^2", "w", r"\|X w - y\|^2",
     {"y": vec(n), "X": (n, d), "w": vec(d)}),
    (r"\frac{1}{2 n}\|\mathbf{y} - \mathbf{X}\boldsymbol{\beta}\|_2^2 + \lambda \|\boldsymbol{\beta}\|_1", "beta",
     r"\frac{1}{2 n}\|y - X \beta\|^2 + \lambda \|\beta\|_1",
     {"y": vec(n), "X": (n, d), "beta": vec(d), "lambda": (1, 1), "n": (1, 1)}),
    (r"\tfrac{1}{2}\|\mathbf{A}\mathbf{x} - \mathbf{b}\|_2^2 + \tfrac{\mu}{2}\|\mathbf{x}\|_2^2", "x",
     r"\frac{1}{2}\|A x - b\|^2 + \frac{\mu}{2}\|x\|^2",
     {"A": (n, d), "x": vec(d), "b": vec(n), "mu": (1, 1)}),
    (r"\|\mathbf{x}\|_1 + \frac{\rho}{2}\left\|\mathbf{x} - \mathbf{z} + \mathbf{u}\right\|_2^2", "x",
     r"\|x\|_1 + \frac{\rho}{2}\|x - z + u\|^2",
     {"x": vec(d), "z": vec(d), "u": vec(d), "rho": (1, 1)}),
    (r"\|\mathbf{X}\mathbf{W} - \mathbf{Y}\|_F^2 + \lambda\|\mathbf{W}\|_F^2", "W",
     r"\|X W - Y\|_F^2 + \lambda \|W\|_F^2", {"X": (n, d), "W": (d, k), "Y": (n, k), "lambda": (1, 1)}),
    (r"\left\|\mathbf{R} - \mathbf{U}\mathbf{V}^{\top}\right\|_{F}^{2}", "U", r"\|R - U V^T\|_F^2",
     {"R": (n, k), "U": (n, d), "V": (k, d)}),
    # logistic regression, softmax, a two-layer network
    (r"\mathbf{1}^\top \log\left(1 + \exp(-\mathbf{y} \odot \mathbf{X}\mathbf{w})\right)", "w",
     r"\mathbf{1}^T \log(1 + \exp(-y \odot X w))", {"y": vec(n), "X": (n, d), "w": vec(d)}),
    (r"-\mathbf{y}^\top \log \sigma(\mathbf{X}\mathbf{w}) - (\mathbf{1} - \mathbf{y})^\top \log(\mathbf{1} - \sigma(\mathbf{X}\mathbf{w}))",
     "w", r"-y^T \log(sigmoid(X w)) - (\mathbf{1} - y)^T \log(\mathbf{1} - sigmoid(X w))",
     {"y": vec(n), "X": (n, d), "w": vec(d)}),
    (r"-\log\sigma(\mathbf{w}^{\top}\mathbf{x})", "w", r"-\log(sigmoid(w^T x))", {"w": vec(d), "x": vec(d)}),
    (r"-\mathbf{y}^\top \log \operatorname{softmax}(\mathbf{W}\mathbf{x})", "W", r"-y^T \log(softmax(W x))",
     {"y": vec(k), "W": (k, d), "x": vec(d)}),
    (r"\log\sum\exp(\mathbf{W}\mathbf{x}) - \mathbf{y}^\top\mathbf{W}\mathbf{x}", "W",
     r"logsumexp(W x) - y^T W x", {"y": vec(k), "W": (k, d), "x": vec(d)}),
    (r"\frac{1}{2}\left\|\mathbf{W}_2 \tanh(\mathbf{W}_1 \mathbf{x}) - \mathbf{y}\right\|^2", "W_1",
     r"\frac{1}{2}\|W_2 \tanh(W_1 x) - y\|^2", {"W_2": (m, k), "W_1": (k, d), "x": vec(d), "y": vec(m)}),
    (r"\mathbf{1}^\top \operatorname{relu}(\mathbf{W}\mathbf{x} + \mathbf{b})", "W",
     r"\mathbf{1}^T relu(W x + b)", {"W": (k, d), "x": vec(d), "b": vec(k)}),
    (r"\boldsymbol{\theta}^\top\boldsymbol{\phi} - \log\left(1 + e^{\boldsymbol{\theta}^\top\boldsymbol{\phi}}\right)",
     "theta", r"\theta^T \phi - \log(1 + \exp(\theta^T \phi))", {"theta": vec(d), "phi": vec(d)}),
    # Gaussians: negative log-likelihood, Mahalanobis distance, GP marginal likelihood, Wishart-like
    (r"\frac{1}{2}(\mathbf{x}-\boldsymbol{\mu})^\top\boldsymbol{\Sigma}^{-1}(\mathbf{x}-\boldsymbol{\mu}) + \frac{1}{2}\log\det\boldsymbol{\Sigma}",
     "mu", r"\frac{1}{2}(x - \mu)^T \Sigma^{-1} (x - \mu) + \frac{1}{2}\log\det(\Sigma)",
     {"x": vec(k), "mu": vec(k), "Sigma": (k, k)}, {"Sigma"}),
    (r"\frac{1}{2}(\mathbf{x}-\boldsymbol{\mu})^{\mathsf T}\boldsymbol{\Sigma}^{-1}(\mathbf{x}-\boldsymbol{\mu}) + \frac{1}{2}\ln|\boldsymbol{\Sigma}|",
     "Sigma", r"\frac{1}{2}(x - \mu)^T \Sigma^{-1} (x - \mu) + \frac{1}{2}\log\det(\Sigma)",
     {"x": vec(k), "mu": vec(k), "Sigma": (k, k)}, {"Sigma"}),
    (r"\sqrt{(\mathbf{x}-\mathbf{y})^\top \mathbf{M} (\mathbf{x}-\mathbf{y})}", "x", r"\sqrt{(x - y)^T M (x - y)}",
     {"x": vec(k), "y": vec(k), "M": (k, k)}, {"M"}),
    (r"\frac{1}{2}\mathbf{y}^\top\mathbf{K}^{-1}\mathbf{y} + \frac{1}{2}\log|\mathbf{K}|", "K",
     r"\frac{1}{2}y^T K^{-1} y + \frac{1}{2}\log\det(K)", {"y": vec(k), "K": (k, k)}, {"K"}),
    (r"\operatorname{tr}\left(\boldsymbol{\Sigma}^{-1}\mathbf{S}\right) + \ln\det\boldsymbol{\Sigma}", "Sigma",
     r"tr(\Sigma^{-1} S) + \log\det(\Sigma)", {"Sigma": (k, k), "S": (k, k)}, {"Sigma", "S"}),
    (r"\exp\left(-\frac{1}{2}\mathbf{x}^\top\mathbf{A}\mathbf{x}\right)", "x", r"\exp(-\frac{1}{2} x^T A x)",
     {"x": vec(k), "A": (k, k)}, {"A"}),
    # quadratic forms, as each convention writes the transpose
    (r"\mathbf{x}^\top \mathbf{A} \mathbf{x}", "x", r"x^T A x", {"x": vec(k), "A": (k, k)}),
    (r"\mathbf{x}^{\mathsf T}\mathbf{A}\mathbf{x} - 2\mathbf{b}^{\mathsf{T}}\mathbf{x}", "x", r"x^T A x - 2 b^T x",
     {"x": vec(k), "A": (k, k), "b": vec(k)}),
    (r"\tfrac12 \mathbf{x}^{\!\top}\mathbf{A}\,\mathbf{x} - \mathbf{b}^{\intercal}\mathbf{x}", "x",
     r"\frac{1}{2} x^T A x - b^T x", {"x": vec(k), "A": (k, k), "b": vec(k)}),
    (r"\bm{x}^\intercal \bm{A} \bm{x}", "x", r"x^T A x", {"x": vec(k), "A": (k, k)}),
    (r"\mathbf{x}_i^{\mathrm{T}} \mathbf{A} \mathbf{x}_i", "x_i", r"x_i^T A x_i", {"x_i": vec(k), "A": (k, k)}),
    (r"\frac{\mathbf{w}^\top \mathbf{A} \mathbf{w}}{\mathbf{w}^\top \mathbf{B} \mathbf{w}}", "w",
     r"\frac{w^T A w}{w^T B w}", {"w": vec(k), "A": (k, k), "B": (k, k)}, {"B"}),
    (r"\mathbf{w}^{\top}\mathbf{x} \cdot \mathbf{v}^{\top}\mathbf{x}", "x", r"w^T x \cdot v^T x",
     {"w": vec(k), "v": vec(k), "x": vec(k)}),
    # traces, determinants, inverses
    (r"\operatorname{tr}(\mathbf{A}\mathbf{X}\mathbf{B}\mathbf{X}^\top\mathbf{C})", "X", r"tr(A X B X^T C)",
     {"A": (d, k), "X": (k, n), "B": (n, n), "C": (k, d)}),
    (r"\mathrm{Tr}\left(\mathbf{X}^{\top}\mathbf{A}\mathbf{X}\right)", "X", r"tr(X^T A X)",
     {"X": (k, d), "A": (k, k)}),
    (r"\log\det(\mathbf{X}^\top \mathbf{X})", "X", r"\log\det(X^T X)", {"X": (n, d)}),
    (r"\log\det\left(\mathbf{I} + \mathbf{X}\mathbf{X}^{\mathsf T}\right)", "X", r"\log\det(I + X X^T)", {"X": (n, d)}),
    (r"\ln\left|\mathbf{X}^\intercal\mathbf{A}\mathbf{X}\right|", "X", r"\log\det(X^T A X)",
     {"X": (n, d), "A": (n, n)}, {"A"}),
    (r"\det(\mathbf{A}\mathbf{X}\mathbf{B})", "X", r"\det(A X B)", {"A": (m, d), "X": (d, k), "B": (k, m)}),
    (r"\mathbf{a}^\top \mathbf{X}^{-1} \mathbf{b}", "X", r"a^T X^{-1} b", {"a": vec(k), "X": (k, k), "b": vec(k)}, {"X"}),
    (r"\operatorname{tr}(\mathbf{W}_1^\top \mathbf{W}_2)", "W_1", r"tr(W_1^T W_2)", {"W_1": (k, d), "W_2": (k, d)}),
    (r"\left\langle \mathbf{X}, \mathbf{A}\mathbf{X}\mathbf{B} \right\rangle", "X", r"\langle X, A X B \rangle",
     {"X": (k, d), "A": (k, k), "B": (d, d)}),
]


def data(shapes: dict, spd: set, seed: int, positive: bool = False) -> dict:
    """Random 2-D values; SPD matrices (near the identity) where the objective needs them, and
    entries in (0.2, 1.2) where it takes roots or logs of them (`positive`)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in sorted(shapes.items()):
        if name in spd:
            M = rng.standard_normal(shape)
            out[name] = M @ M.T / shape[0] + np.eye(shape[0])
        elif positive:
            out[name] = 0.2 + rng.random(shape)
        elif shape == (1, 1):
            out[name] = np.array([[0.5 + rng.random()]])
        else:
            out[name] = 0.7 * rng.standard_normal(shape)
    return out


def numpy_habit(value: np.ndarray):
    """The README's convention for -f numpy: vectors 1-D, scalars floats."""
    r, c = value.shape
    if (r, c) == (1, 1):
        return float(value[0, 0])
    return value[:, 0].copy() if c == 1 else value.copy()


@pytest.mark.parametrize("case", PAPERS, ids=[c[0] for c in PAPERS])
def test_a_paper_objective_is_answered_and_matches_finite_differences(case):
    latex, wrt, plain, shapes, *rest = case
    spd = rest[0] if rest else set()
    result = matcalc.diff(latex, wrt)
    assert result.text == matcalc.diff(plain, wrt).text, (result.text, plain)  # the same reading
    objective = Expression(plain)
    for seed in (3, 4):
        values = data(shapes, spd, seed)
        got = run(result.numpy, {name + "_" * keyword.iskeyword(name): numpy_habit(v) for name, v in values.items()})
        want = fd_gradient(lambda v: float(objective({**values, wrt: v})[0, 0]), values[wrt])
        assert np.size(got) == want.size, (np.shape(got), want.shape, result.text)
        close(np.reshape(got, want.shape), want, tol=1e-5)


def test_the_corpus_is_large_and_non_square():
    assert len(PAPERS) >= 30
    non_square = [c for c in PAPERS if any(r != c_ and r > 1 and c_ > 1 for r, c_ in c[3].values())]
    assert len(non_square) >= 12


# -- refused, saying what to write instead ----------------------------------------------------
# (input, words the message must hold: the construct it names and the spelling it suggests)

REFUSED = [
    (r"\min_{\mathbf{w}} \|\mathbf{X}\mathbf{w}-\mathbf{y}\|^2", ["\\min", "give only the objective"]),
    (r"\arg\min_w \|X w - y\|^2", ["\\arg", "give only the objective"]),
    (r"\operatorname{argmin}_w \|X w - y\|^2", ["argmin", "give only the objective"]),
    (r"\sum_{i=1}^n \log(1 + \exp(-y_i \mathbf{w}^\top \mathbf{x}_i))", ["index sums", "sum(x)"]),
    (r"\mathbb{E}[\|\mathbf{x}\|^2]", ["expectation", "the expression inside"]),
    (r"\mathcal{L}(\mathbf{w}) = \|\mathbf{w}\|^2", ["\\mathcal", "right-hand side"]),
    (r"\mathbf{x} \in \mathbb{R}^n", ["\\in", "--vector"]),
    (r"\dot{\mathbf{y}}^\top \mathbf{y}", ["\\dot", "x_d"]),                        # \hat, \bar, \tilde are read
    (r"\hat{x y}", ["a decoration holds one letter"]),
    (r"\breve{W} x", ["\\breve", "subscript"]),
    (r"\mathbf{W}^{(1)}\mathbf{x}", ["W^{(1)}", "W_1"]),
    (r"tr(W^{(1)} W^{(2)})", ["W_1", "power"]),
    (r"\sqrt[3]{x^T x}", ["\\sqrt[n]", "a^{1/n}"]),
    (r"\|\mathbf{x}\|_\infty", ["\\infty", "\\|x\\|_1"]),
    (r"\|\mathbf{X}\|_*", ["nuclear", "\\|X\\|_F"]),
    (r"\mathbf{X}^\dagger \mathbf{y}", ["\\dagger", "(X^T X)^{-1} X^T"]),
    (r"\mathbf{X}^+ \mathbf{y}", ["pseudo-inverse", "(X^T X)^{-1} X^T"]),
    (r"\mathbf{x}^* A x", ["starred", "x_s"]),
    (r"x^\star", ["\\star", "x_s"]),
    (r"x^\prime A x", ["\\prime", "x_2"]),
    (r"\begin{equation} x^T A x \end{equation}", ["\\begin", "formula alone"]),
    (r"\mathbf{Ax}", ["\\mathbf{Ax}", "\\mathbf{A} \\mathbf{x}"]),
    (r"\mathbf{0}", ["\\mathbf{0}", "leave a zero term out"]),
    (r"x^T \mathbf{x}", ["`x` and `\\mathbf{x}`", "another letter"]),
    (r"\boldsymbol{\theta}^\top \theta", ["\\theta", "another letter"]),
    (r"x_1 + x_2 + \cdots + x_n", ["\\cdots", "whole expression"]),
    (r"\prod_i x_i", ["\\prod", "exp(sum(log(x)))"]),
    (r"\frac{d x^T x}{dx}", ["Leibniz", "\\frac{\\partial f}{\\partial x}"]),   # was d x^T x / (d x) = 1
    (r"\frac{\mathrm{d} (x^T x)}{\mathrm{d} x}", ["Leibniz", "d/dx f"]),
    (r"\frac{dy}{dx}", ["Leibniz", "\\frac{d}{dx} f"]),
    (r"f(\mathbf{x})", ["unknown function", "sigmoid(x)"]),       # was f times x, f a matrix
    (r"\mathbf{w}^\top g(\mathbf{X}\mathbf{w})", ["unknown function", "f \\cdot (x)"]),
    (r"E[\mathbf{x}^\top A \mathbf{x}]", ["expectation", "the expression inside"]),  # was E times xᵀAx
    (r"x_i", ["x_i is a name of its own", "not an entry of x"]),                  # was: x does not occur
    (r"\operatorname{tr}(\mathbf{X})", ["X does", "case-sensitive"]),                # was: x does not occur
    (r"\nabla_x \log\det X", ["X does", "case-sensitive", "\\nabla_X"]),
    # \sum reaches over its term in LaTeX; was sum(y - Xw)^2, the square of the sum, silently
    (r"\frac{1}{n} \sum (y - Xw)^2", ["how far `\\sum` reaches", "sum((y - Xw).^2)", "sum(y - Xw)^2"]),
    (r"\sum (y - Xw)²", ["sum((y - Xw).^2)", "sum(y - Xw)²"]),
    (r"\sum \mathbf{x} \odot \mathbf{x}", ["sum(\\mathbf{x} \\odot \\mathbf{x})", "sum(\\mathbf{x}) \\odot"]),  # was sum(x) x
    (r"\sum (x) y", ["sum((x) y)", "sum(x) y"]),                                   # was sum(x) y
    (r"\lambda_{\max}(\mathbf{X})", ["eigenvalue", "\\cdot (A)"]),                    # was λ_max times X
    (r"\sigma_{min}(X)", ["singular value"]),
    (r"\frac12 x^T A x + \text{const}", ["additive constant", "leave it out"]),     # was: unknown word, spell it
    (r"D_{KL}(p \| q)", ["KL divergence", "p^T \\log(p ./ q)"]),                     # was: unexpected ')'
    (r"D_{\mathrm{KL}}(p, q)", ["KL divergence"]),
    (r"\mathrm{KL}(p, q)", ["KL divergence", "p^T \\log(p ./ q)"]),
    (r"\operatorname{hinge}(x)", ["max(0, 1 - z)"]),
    (r"\operatorname{rank}(X) + \operatorname{eig}(X)", ["no eigenvalues or ranks"]),
    (r"ReLU(W x)", ["product R e L U", "\\operatorname{ReLU}(…) or relu(…)"]),      # was R e L U W x, silently
    (r"LSE(x)", ["product L S E", "logsumexp(…)"]),                                   # was L S E x
    (r"\mathrm{GELU}(x) + GELU(x)", ["activation is not in matcalc's table"]),
]


# A decorated letter is a name of its own, drawn with its mark and written back as read
DECORATED = [
    (r"\|\mathbf{y} - \hat{\mathbf{y}}\|^2", r"\hat{\mathbf{y}}", lambda e: -2 * (e["y"] - e["yhat"]),
     "∇_ŷ ‖y - ŷ‖² = -2 (y - ŷ)", r"\nabla_{\hat{y}} \|y - \hat{y}\|^2 = -2 (y - \hat{y})"),
    (r"\hat\theta^T \tilde{\Sigma} \hat{\theta}", r"\hat\theta",
     lambda e: (e["Sigmatilde"] + e["Sigmatilde"].T) @ e["thetahat"],
     "∇_θ̂ θ̂ᵀ Σ̃ θ̂ = Σ̃ θ̂ + Σ̃ᵀ θ̂", r"\nabla_{\hat{\theta}} \hat{\theta}^T \tilde{\Sigma} \hat{\theta} = \tilde{\Sigma} \hat{\theta} + \tilde{\Sigma}^T \hat{\theta}"),
    (r"\|\bar{W}_1 x - \bar x\|^2", r"\bar{W}_1", lambda e: 2 * np.outer(e["Wbar_1"] @ e["x"] - e["xbar"], e["x"]),
     "∇_W̄₁ ‖W̄₁ x - x̄‖² = 2 (W̄₁ x - x̄) xᵀ", r"\nabla_{\bar{W}_1} \|\bar{W}_1 x - \bar{x}\|^2 = 2 (\bar{W}_1 x - \bar{x}) x^T"),
]


@pytest.mark.parametrize("text,wrt,expected,pretty,plain", DECORATED, ids=[d[0] for d in DECORATED])
def test_a_decorated_letter_is_a_name_of_its_own(text, wrt, expected, pretty, plain):
    """ŷ is not y: both occur, each its own variable; the text form reads back to the same gradient."""
    assert_gradient(text, wrt, expected)
    result = RUNNER.invoke(app, ["diff", text, wrt, "-f", "pretty"])
    assert result.exit_code == 0 and result.stdout.strip() == pretty, result.output
    result = RUNNER.invoke(app, ["diff", text, wrt, "-f", "text"])
    assert result.exit_code == 0 and result.stdout.strip() == plain, result.output
    again = RUNNER.invoke(app, ["diff", plain.split(" = ")[0].split(" ", 1)[1], wrt, "-f", "text"])
    assert again.stdout.strip() == plain, again.output


def test_a_squared_absolute_value_is_the_square():
    """|x|² of a scalar is x² (was 2 |x| sign(x)); in a vector's entries the same."""
    assert matcalc.diff("|a|^2 + sum(abs(x).^2)", "a", {"a": "scalar"}).text == "2 a"
    assert matcalc.diff("|a|^2 + sum(abs(x).^2)", "x", {"a": "scalar"}).text == "2 x"
    assert_gradient("|a|^2 a + sum(abs(x).^4)", "x", lambda e: 4 * e["x"] ** 3, declare={"a": "scalar"})
    assert_gradient("|a|^2 a + sum(abs(x).^4)", "a", lambda e: 3 * e["a"] ** 2, declare={"a": "scalar"})


def test_relu_as_papers_write_it():
    assert_gradient(r"\mathbf{1}^T \operatorname{ReLU}(W \mathbf{x} + \mathbf{b})", "W",
                    lambda e: np.outer((e["W"] @ e["x"] + e["b"] > 0).astype(float), e["x"]))


@pytest.mark.parametrize("text,wrt,expected", [
    ("sum((y - Xw).^2)", "w", lambda e: -2 * e["X"].T @ (e["y"] - e["X"] @ e["w"])),      # the sum of squares
    ("sum(y - Xw)^2", "w", lambda e: -2 * (e["y"] - e["X"] @ e["w"]).sum() * e["X"].T.sum(axis=1)),  # the square of the sum
    (r"\sum x.^2", "x", lambda e: 2 * e["x"]),                                             # clear: the sum of squares
    (r"\sum(x) + \sum[x]^T", "x", lambda e: 2 * np.ones_like(e["x"])),                    # clear: sums alone
])
def test_the_sum_readings_matcalc_suggests_are_answered(text, wrt, expected):
    assert_gradient(text, wrt, expected, declare={"x": "vector"} if "x" in text else {"y": "vector"})


@pytest.mark.parametrize("text,product", [(r"\mathbf{x} \cdot \mathbf{y}", r"\mathbf{x}^T \mathbf{y}"),
                                          (r"x \times y", "x^T y"), (r"(A x) \cdot y", "(A x)^T y")])
def test_two_column_vectors_multiplied_are_refused_naming_the_inner_product(text, product):
    """x · y of two declared column vectors is refused (not read as a dot product silently), and
    the message writes the inner product, which then reads: its gradient is y."""
    message = refuse("diff", text, "x", "--vector", "x", "--vector", "y")
    assert "inner dimensions differ" in message and f"inner product write {product}," in message, message
    expected = (lambda env: env["A"].T @ env["y"]) if "A" in product else (lambda env: env["y"])
    assert_gradient(product, "x", expected, declare={"y": "vector"})


def refuse(*args: str):
    result = RUNNER.invoke(app, list(args))
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("error: ") and args[1] in result.output, result.output  # the input echoed
    assert any(set(line.strip()) == {"^"} for line in lines), result.output  # with a caret
    return lines[0]


@pytest.mark.parametrize("text,named", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_paper_construct_matcalc_does_not_read_is_refused_with_what_to_write(text, named):
    message = refuse("diff", text, "x")
    for words in named:
        assert words in message, (words, message)


# -- adversarial: typos, fragments, other tools' spellings --------------------------------------
# answered: (input, variable, the plain spelling it must be read as)

SPELLINGS = [
    ("Tr(X)", "X", "tr(X)"),
    ("trace(X)", "X", "tr(X)"),
    ("x'Ax", "x", "x^T A x"),
    ("x^\u22a4 A x", "x", "x^T A x"),              # ⊤, the Unicode down tack
    ("x\u22a4 A x", "x", "x^T A x"),
    ("x^T A x \u2212 b^T x", "x", "x^T A x - b^T x"),  # − , the Unicode minus
    ("x^T\u00a0A\u00a0x", "x", "x^T A x"),          # no-break spaces, as copied from a page
    ("x^T\u2009A\u202fx", "x", "x^T A x"),          # thin spaces
    ("x^T\tA x", "x", "x^T A x"),
    ("A \u22c5 B", "A", "A B"),                     # ⋅, the dot operator
    ("2 \u00d7 x^T x", "x", "2 x^T x"),            # ×
    ("\u2016x\u2016\u2082\u00b2", "x", "\\|x\\|^2"),  # ‖x‖₂²
    ("\u2016x\u2016\u2081", "x", "\\|x\\|_1"),       # ‖x‖₁, as matcalc prints it
    ("$x^T A x$", "x", "x^T A x"),
    ("$$\\mathbf{x}^\\top A \\mathbf{x}$$", "x", "x^T A x"),
    ("\\[ x^T A x \\]", "x", "x^T A x"),
    ("x^{\\rm T} A x", "x", "x^T A x"),
    ("\\displaystyle x^T A x", "x", "x^T A x"),
    ("\\nabla_{\\mathbf{x}} \\mathbf{x}^\\top \\mathbf{x}", "x", "x^T x"),
    ("\\mathrm{e}^{x^T x}", "x", "exp(x^T x)"),
    ("\\frac{d}{dx} x^T A x", "x", "x^T A x"),        # the d of dx against the name: was d x^T A x / (d x)
    ("\\frac{\\mathrm{d}}{\\mathrm{d}x} x^T A x", "x", "x^T A x"),
    ("\\frac{d}{dW_1} tr(W_1 A)", "W_1", "tr(W_1 A)"),
]


@pytest.mark.parametrize("text,wrt,plain", SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_an_other_spelling_reads_as_its_plain_form(text, wrt, plain):
    got = matcalc.diff(text, None if text.startswith(("\\nabla", "\\frac{")) else wrt)
    want = matcalc.diff(plain, wrt)
    assert got.text == want.text


# refused: (input, variable, words the message must hold)
ADVERSARIAL = [
    ("tr(", "X", "never closed"),
    ("X^", "X", "ends too early"),
    ("\\frac{1}{}", "x", "'}'"),
    ("softmaxx(x)", "x", "softmax"),
    ("X.T", "X", "x^T"),
    ("A @ B", "A", "A B"),
    ("np.trace(A)", "A", "tr(A)"),
    ("\u2211 x", "x", "sum(x)"),                    # ∑
    ("\u2202 x", "x", "\\frac{\\partial}{\\partial x}"),  # ∂
    ("\u2207x", "x", "∇_x f"),
    ("\\nabla x^T x", "x", "∇_x f"),
    ("x \u00f7 2", "x", "write /"),                 # ÷
    ("x^T A x.", "x", "punctuation"),
    ("x^T A x,", "x", "punctuation"),
    ("x^T A x;", "x", "punctuation"),
    ("$x^T A x", "x", "$...$"),
    ("hello world", "x", "hello"),
    ("the gradient of x^T A x", "x", "'the'"),
    ("x^{T", "x", "never closed"),
    ("tr()", "X", "')'"),
    ("x__1", "x", "'_'"),
    ("\\", "x", "'\\\\'"),
    ("\\rm x", "x", "\\mathrm{x}"),
    ("\\mathbf", "x", "\\mathbf{x}"),
    ("x^{(i)} A x", "x", "W_1"),
    ("x^* A x", "x", "x_s"),
    ("max(x)", "x", "max(0, z)"),                  # the largest entry: not read
    ("\\max(x^T x)", "x", "max(0, z)"),
]


@pytest.mark.parametrize("text,wrt,named", ADVERSARIAL, ids=[a[0] for a in ADVERSARIAL])
def test_an_adversarial_input_is_refused_clearly(text, wrt, named):
    message = refuse("diff", text, wrt)
    assert named in message, message


@pytest.mark.parametrize("text,operand", [(r"\left| X \right| + x", r"`\left| X \right|`"),
                                          (r"\lVert x \rVert_2 + X", r"`\lVert x \rVert_2`")])
def test_an_error_quotes_a_bar_as_written(text, operand):
    """A bar spelled with several characters is quoted whole (was `\\left| X \\`, cut at its marker)."""
    message = refuse("diff", text, "x", "--vector", "x")
    assert operand in message, message

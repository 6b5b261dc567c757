"""The independent evaluator (tests/evaluator.py) against hand-written NumPy, one line per
construct of the README's input-language table and of issue 13's vocabulary: the oracle of
the differential and identity tests is itself checked."""
from __future__ import annotations

import numpy as np
import pytest

from evaluator import FUNCTIONS, EvaluatorError, Expression, canonical, evaluate

rng = np.random.default_rng(7)
n, m = 3, 4  # distinct, one odd and one even
A = 2 * np.eye(n) + 0.3 * rng.standard_normal((n, n))
D = 2 * np.eye(m) + 0.3 * rng.standard_normal((m, m))
B = rng.standard_normal((n, m))
C = rng.standard_normal((m, n))
x, y = rng.standard_normal((n, 1)), rng.standard_normal((n, 1))
z = rng.standard_normal((m, 1))
p = np.exp(rng.standard_normal((n, 1)))  # positive
a, b = np.array([[0.7]]), np.array([[-1.3]])
S = A @ A.T + np.eye(n)
VALUES = {"A": A, "D": D, "B": B, "C": C, "x": x, "y": y, "z": z, "p": p, "a": a, "b": b, "S": S,
          "mu": x, "Sigma": S, "W_1": C, "W2": B, "x_i": z, "lambda": a}
inv, det, tr = np.linalg.inv, np.linalg.det, np.trace
s = float(a[0, 0])
sig = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731

CASES = [
    # names
    ("A", A), ("W2", B), ("W_1", C), ("x_{i}", z), ("x_i", z), (r"\mu", x), ("μ", x), (r"\Sigma", S),
    (r"\lambda x", s * x), ("λ x", s * x),
    # products and scalar multiples
    ("AB", A @ B), ("A B", A @ B), ("A*B", A @ B), (r"A \cdot B", A @ B), (r"A \times B", A @ B),
    ("2A", 2 * A), ("aA", s * A), ("0.5 x^T A x", 0.5 * x.T @ A @ x), (r"\frac{1}{2} x", x / 2),
    ("x^T x x", (x.T @ x) * x), ("A (x^T y) B", A @ B * (x.T @ y)), ("x x^T", x @ x.T),
    ("ABCA^T", A @ B @ C @ A.T), ("B^TAB", B.T @ A @ B),
    # sums, minus, division
    ("A + A^T", A + A.T), ("A - A^T", A - A.T), ("-A B", -A @ B), ("-a + b", -a + b), ("x / a", x / s),
    (r"\frac{x^T A x}{x^T x}", (x.T @ A @ x) / (x.T @ x)), ("a/b a", (a / b) * a), ("a / -b", -a / b),
    ("1 - -a", 1 + a),
    # transposes, inverses, powers
    ("A^T", A.T), ("A^{T}", A.T), (r"A^\top", A.T), ("A'", A.T), ("Aᵀ", A.T), ("x^Tx", x.T @ x),
    ("A^{-1}", inv(A)), ("inv(A)", inv(A)), ("A⁻¹", inv(A)), ("A^{-T}", inv(A).T), ("A^-T", inv(A).T),
    ("A^2", A @ A), ("A^{3}", A @ A @ A), ("A³", A @ A @ A), ("A^{-2}", inv(A) @ inv(A)),
    ("a^{0.5}", np.sqrt(a)), ("a^0.5", np.sqrt(a)), ("(x^T x)^{1/2}", np.sqrt(x.T @ x)),
    ("(x^T x)^{-1/2}", 1 / np.sqrt(x.T @ x)), ("(x^T x)^{1.5}", (x.T @ x) ** 1.5), ("a^{2.0}", a ** 2),
    # elementwise
    ("x .* y", x * y), (r"x \odot y", x * y), (r"x \circ y", x * y), ("x ∘ y", x * y), ("x ./ p", x / p),
    ("x ⊘ p", x / p), ("X.^2".replace("X", "B"), B ** 2), ("p.^{0.5}", np.sqrt(p)), ("p.^{1/2}", np.sqrt(p)),
    (r"p^{\circ 2}", p ** 2), ("-x .* y", -x * y), ("x .* y + a", None),
    # trace, determinant
    ("tr(A)", tr(A)), ("trace(A)", tr(A)), ("Tr(A)", tr(A)), (r"\text{tr}(A)", tr(A)), (r"\mathrm{tr}(A)", tr(A)),
    (r"\operatorname{tr}(A)", tr(A)), ("tr(ABC)", tr(A @ B @ C)), ("tr(A)^2", tr(A) ** 2),
    ("det(A)", det(A)), (r"\det A", det(A)), ("|A|", det(A)), (r"\vert A \vert", det(A)),
    (r"\left| A \right|", det(A)), (r"\det A^{-1}", det(inv(A))), ("|a|", abs(s)), ("|b|", 1.3),
    ("log det S", np.log(det(S))), (r"\log|S|", np.log(det(S))), (r"\ln\det(S)", np.log(det(S))),
    ("logdet(S)", np.log(det(S))), (r"\log|A| + |D|", np.log(det(A)) + det(D)),
    # functions
    ("log(p)", np.log(p)), ("ln(p)", np.log(p)), (r"\log p", np.log(p)), ("exp(x)", np.exp(x)),
    (r"\exp(x)", np.exp(x)), ("sqrt(p)", np.sqrt(p)), (r"\sqrt{p}", np.sqrt(p)), ("sin(B)", np.sin(B)),
    (r"\cos(x)", np.cos(x)), (r"\tanh(A)", np.tanh(A)), ("sum(B)", B.sum()), ("sum(x)", x.sum()),
    ("diag(x)", np.diagflat(x)), ("diag(A)", np.diag(A).reshape(-1, 1)), (r"\sin x^T y", np.sin(x).T @ y),
    # norms
    (r"\|x\|", np.linalg.norm(x)), ("||x||", np.linalg.norm(x)), ("‖x‖", np.linalg.norm(x)),
    (r"\|B\|_F", np.linalg.norm(B)), (r"\|x\|^2", x.T @ x), (r"\|A x - y\|^2", np.sum((A @ x - y) ** 2)),
    (r"\|B\|_F^2", np.sum(B ** 2)), (r"\|B\|^2_F", np.sum(B ** 2)), (r"\|x\|_2", np.linalg.norm(x)),
    (r"\|x\|_2^2", x.T @ x), (r"\|x\|_1", np.abs(x).sum()), (r"\|B\|_{F}", np.linalg.norm(B)),
    (r"\left\| x \right\|", np.linalg.norm(x)), (r"\|x - |A| y\|", np.linalg.norm(x - det(A) * y)),
    # the rest: I, 𝟏, grouping, spacing
    ("A + I", A + np.eye(n)), ("x^T I x", x.T @ x), ("(I + 2 I) B", 3 * B), ("tr(A + I)", tr(A) + n),
    (r"B^T (A + I)^{-1} B", B.T @ inv(A + np.eye(n)) @ B), ("ones^T x", x.sum()), (r"\mathbf{1}^T x", x.sum()),
    (r"x^T \mathbf{1}", x.sum()), (r"\mathbf{1}_n^T x", x.sum()), ("B ones", B.sum(axis=1, keepdims=True)),
    (r"\mathbb{1}^T B", B.sum(axis=0, keepdims=True)), ("x + ones", x + 1), ("{A}B", A @ B),
    (r"\left(A\right) B", A @ B), (r"A\,B", A @ B), (r"A \; B", A @ B), ("[A + I] B", (A + np.eye(n)) @ B),
    (r"\big(A\big) B", A @ B), (r"\Big[A\Big] B", A @ B),
    # issue 13: the new vocabulary, one FUNCTIONS entry each
    ("sigmoid(x)", sig(x)), (r"\sigma(x)", sig(x)), ("σ(A x)", sig(A @ x)), (r"\operatorname{sigmoid}(x)", sig(x)),
    ("softmax(x)", np.exp(x) / np.exp(x).sum()), ("relu(B)", np.maximum(B, 0)), (r"\max(0, x)", np.maximum(x, 0)),
    ("softplus(x)", np.log1p(np.exp(x))), ("logsumexp(x)", np.log(np.exp(x).sum())),
    (r"\operatorname{LSE}(x)", np.log(np.exp(x).sum())), (r"\log\sum\exp(x)", np.log(np.exp(x).sum())),
    ("abs(x)", np.abs(x)), ("sign(x)", np.sign(x)), ("tan(x)", np.tan(x)), ("arcsin(tanh(x))", np.arcsin(np.tanh(x))),
    ("arccos(cos(p))", p), ("arctan(x)", np.arctan(x)), ("sinh(x)", np.sinh(x)), (r"\cosh(x)", np.cosh(x)),
    ("norm1(x)", np.abs(x).sum()), ("norm1(B)", np.abs(B).sum()), ("norm2(x)", np.linalg.norm(x)),
    ("adj(A)", det(A) * inv(A)), ("vec(B)", B.reshape(-1, 1, order="F")), ("kron(A, B)", np.kron(A, B)),
    (r"A \otimes B", np.kron(A, B)), (r"\langle A, S \rangle", np.sum(A * S)), (r"\langle x, y \rangle", x.T @ y),
    ("e^{x^T x}", np.exp(x.T @ x)), ("e^a", np.exp(a)), ("e^{-1}", np.exp(-1)), ("[x^T A x]^2", (x.T @ A @ x) ** 2),
    ("1 + exp(z)", 1 + np.exp(z)), ("1 - y", 1 - y), ("x - 1", x - 1), ("1 ./ (1 + exp(-x))", sig(x)),
    ("sum(log(1 + exp(-y .* (A x))))", np.log(1 + np.exp(-y * (A @ x))).sum()),
    (r"\mathbf{1}^T \exp(x)", np.exp(x).sum()), (r"\|B\|_1", np.abs(B).sum()),
]
CASES = [(t, v) for t, v in CASES if v is not None]


@pytest.mark.parametrize("text,want", CASES, ids=[c[0] for c in CASES])
def test_evaluator_agrees_with_numpy(text, want):
    got = evaluate(text, VALUES)
    want = np.asarray(want, dtype=float)
    want = want.reshape(got.shape) if want.size == got.size else want
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.allclose(got, want, rtol=1e-10, atol=1e-12)


def test_each_function_has_a_case():
    spelled = " ".join(t for t, _ in CASES)
    missing = [f for f in FUNCTIONS if f not in spelled and f not in ("inner", "max", "logdet", "det", "tr")]
    assert not missing


@pytest.mark.parametrize("text", ["A + B", "x^T B x", "tr(B)", "|B|", "A^{1/2}", "a + x", r"\|A\|", "foo(",
                                  "tr(I)", r"\foo x", "x ./ B", "kron(A)", "vec(I)", "(1/0)^{2/0}"])
def test_evaluator_refuses_what_does_not_fit(text):
    with pytest.raises(EvaluatorError):
        evaluate(text, VALUES)


def test_identity_sides_and_names():
    from evaluator import parse
    lhs, rhs = parse("tr(AB) = tr(BA)")
    assert lhs.names() == rhs.names() == {"A", "B"}
    assert Expression(r"\mu^T \Sigma^{-1} \mu + W_1 x_{i}").names == {"mu", "Sigma", "W_1", "x_i"}
    assert [canonical(w) for w in (r"\mu", "μ", "x_{i}", "x_i", "W2", r"\Sigma")] == [
        "mu", "mu", "x_i", "x_i", "W2", "Sigma"]


def test_products_with_a_scalar_anywhere_in_a_chain():
    assert np.allclose(evaluate("x^T A x x^T y", VALUES), (x.T @ A @ x) * (x.T @ y))
    assert np.allclose(evaluate("x^T A x / (x^T x)", VALUES), (x.T @ A @ x) / (x.T @ x))

"""SymPy's (and tensorgrad's) own test suites for matrix derivatives, run through matcalc.

The cases are those of sympy/matrices/expressions/tests/test_derivatives.py (SymPy 1.14), most
of them The Matrix Cookbook's numbered identities. Each is written in matcalc's language and
checked three ways:
- against central finite differences of the independent evaluator (tests/evaluator.py) reading
  the same input, on random data of distinct, non-square sizes wherever the expression allows
  (SymPy's suite makes every matrix k×k, which would hide a misplaced transpose);
- against the answer SymPy's test asserts, transcribed to NumPy (`sympy`), where that answer
  holds at these sizes (a few are stated only for square or symmetric matrices: those say so);
- not as strings: matcalc's forms are its own, and the Cookbook's.

SymPy answers several of these only as 4-dimensional arrays (Trace(A)*A by A) or not at all
(Cookbook 62 and 121, "not implemented yet"; a.T*log(A*sin(X)*B)*b, "TODO: wrong"); matcalc's
answer is checked numerically the same way.
"""
from __future__ import annotations

import keyword

import numpy as np
import pytest

import matcalc
from evaluator import Expression
from oracle import close, fd_gradient, run
from test_papers import data, numpy_habit

inv, det, I = np.linalg.inv, np.linalg.det, np.eye


def vec(r):
    return (r, 1)


# (SymPy test, matcalc input, variable, shapes, SymPy's asserted answer in NumPy or None,
#  SPD names, positive data)
GRADIENTS = [
    ("Cookbook 69", "x^T a", "x", {"x": vec(4), "a": vec(4)}, lambda v: v["a"]),
    ("Cookbook 69", "a^T x", "x", {"x": vec(4), "a": vec(4)}, lambda v: v["a"]),
    ("Cookbook 70", "a^T X b", "X", {"a": vec(3), "X": (3, 4), "b": vec(4)}, lambda v: v["a"] @ v["b"].T),
    ("Cookbook 71", "a^T X^T b", "X", {"a": vec(4), "X": (3, 4), "b": vec(3)}, lambda v: v["b"] @ v["a"].T),
    ("Cookbook 72", "a^T X a", "X", {"a": vec(4), "X": (4, 4)}, lambda v: v["a"] @ v["a"].T),
    ("Cookbook 72", "a^T X^T a", "X", {"a": vec(4), "X": (4, 4)}, lambda v: v["a"] @ v["a"].T),
    ("Cookbook 77", "b^T X^T X c", "X", {"b": vec(4), "X": (3, 4), "c": vec(4)},
     lambda v: v["X"] @ v["b"] @ v["c"].T + v["X"] @ v["c"] @ v["b"].T),
    ("Cookbook 78", "(B x + b)^T C (D x + d)", "x",
     {"x": vec(4), "B": (3, 4), "b": vec(3), "C": (3, 5), "D": (5, 4), "d": vec(5)},
     lambda v: v["B"].T @ v["C"] @ (v["D"] @ v["x"] + v["d"]) + v["D"].T @ v["C"].T @ (v["B"] @ v["x"] + v["b"])),
    ("Cookbook 81", "x^T B x", "x", {"x": vec(4), "B": (4, 4)}, lambda v: v["B"] @ v["x"] + v["B"].T @ v["x"]),
    ("Cookbook 82", "b^T X^T D X c", "X", {"b": vec(4), "X": (3, 4), "D": (3, 3), "c": vec(4)},
     lambda v: v["D"].T @ v["X"] @ v["b"] @ v["c"].T + v["D"] @ v["X"] @ v["c"] @ v["b"].T),
    ("Cookbook 83", "(X b + c)^T D (X b + c)", "X", {"X": (3, 4), "b": vec(4), "c": vec(3), "D": (3, 3)},
     lambda v: (v["D"] + v["D"].T) @ (v["X"] @ v["b"] + v["c"]) @ v["b"].T),
    ("Cookbook 61", "a^T X^{-1} b", "X", {"a": vec(4), "X": (4, 4), "b": vec(4)},
     lambda v: -inv(v["X"]).T @ v["a"] @ v["b"].T @ inv(v["X"]).T),
    ("Cookbook 62 (SymPy: not implemented)", "|X^{-1}|", "X", {"X": (4, 4)},
     lambda v: -det(inv(v["X"])) * inv(v["X"]).T),
    ("Cookbook 63", "tr(A X^{-1} B)", "X", {"A": (3, 4), "X": (4, 4), "B": (4, 3)},
     lambda v: -(inv(v["X"]) @ v["B"] @ v["A"] @ inv(v["X"])).T),
    ("Cookbook 64", "tr((X + A)^{-1})", "X", {"X": (4, 4), "A": (4, 4)},
     lambda v: -np.linalg.matrix_power(inv(v["X"] + v["A"]).T, 2)),
    ("Cookbook 99", "tr(X)", "X", {"X": (4, 4)}, lambda v: I(4)),
    ("Cookbook 100", "tr(X A)", "X", {"X": (3, 4), "A": (4, 3)}, lambda v: v["A"].T),
    ("Cookbook 101", "tr(A X B)", "X", {"A": (5, 3), "X": (3, 4), "B": (4, 5)}, lambda v: v["A"].T @ v["B"].T),
    ("Cookbook 102", "tr(A X^T B)", "X", {"A": (5, 4), "X": (3, 4), "B": (3, 5)}, lambda v: v["B"] @ v["A"]),
    ("Cookbook 103", "tr(X^T A)", "X", {"X": (3, 4), "A": (3, 4)}, lambda v: v["A"]),
    ("Cookbook 104", "tr(A X^T)", "X", {"X": (3, 4), "A": (3, 4)}, lambda v: v["A"]),
    ("Cookbook 106", "tr(X^2)", "X", {"X": (4, 4)}, lambda v: 2 * v["X"].T),
    ("Cookbook 107", "tr(X^2 B)", "X", {"X": (4, 4), "B": (4, 4)},
     lambda v: (v["X"] @ v["B"] + v["B"] @ v["X"]).T),
    ("Cookbook 107", "tr(X X B)", "X", {"X": (4, 4), "B": (4, 4)},
     lambda v: (v["X"] @ v["B"] + v["B"] @ v["X"]).T),
    ("Cookbook 108", "tr(X^T B X)", "X", {"X": (3, 4), "B": (3, 3)}, lambda v: (v["B"] + v["B"].T) @ v["X"]),
    ("Cookbook 109", "tr(B X X^T)", "X", {"X": (3, 4), "B": (3, 3)}, lambda v: (v["B"] + v["B"].T) @ v["X"]),
    ("Cookbook 110", "tr(X X^T B)", "X", {"X": (3, 4), "B": (3, 3)}, lambda v: (v["B"] + v["B"].T) @ v["X"]),
    ("Cookbook 111", "tr(X B X^T)", "X", {"X": (3, 4), "B": (4, 4)}, lambda v: v["X"] @ (v["B"].T + v["B"])),
    ("Cookbook 112", "tr(B X^T X)", "X", {"X": (3, 4), "B": (4, 4)}, lambda v: v["X"] @ (v["B"].T + v["B"])),
    ("Cookbook 113", "tr(X^T X B)", "X", {"X": (3, 4), "B": (4, 4)}, lambda v: v["X"] @ (v["B"].T + v["B"])),
    ("Cookbook 114", "tr(A X B X)", "X", {"A": (4, 3), "X": (3, 4), "B": (4, 3)},
     lambda v: v["A"].T @ v["X"].T @ v["B"].T + v["B"].T @ v["X"].T @ v["A"].T),
    ("Cookbook 115", "tr(X^T X)", "X", {"X": (3, 4)}, lambda v: 2 * v["X"]),
    ("Cookbook 115", "tr(X X^T)", "X", {"X": (3, 4)}, lambda v: 2 * v["X"]),
    ("Cookbook 116", "tr(B^T X^T C X B)", "X", {"B": (4, 5), "X": (3, 4), "C": (3, 3)},
     lambda v: (v["C"].T + v["C"]) @ v["X"] @ v["B"] @ v["B"].T),
    ("Cookbook 117", "tr(X^T B X C)", "X", {"X": (3, 4), "B": (3, 3), "C": (4, 4)},
     lambda v: v["B"] @ v["X"] @ v["C"] + v["B"].T @ v["X"] @ v["C"].T),
    ("Cookbook 118", "tr(A X B X^T C)", "X", {"A": (5, 3), "X": (3, 4), "B": (4, 4), "C": (3, 5)},
     lambda v: v["A"].T @ v["C"].T @ v["X"] @ v["B"].T + v["C"] @ v["A"] @ v["X"] @ v["B"]),
    ("Cookbook 119", "tr((A X B + C)(A X B + C)^T)", "X", {"A": (5, 3), "X": (3, 4), "B": (4, 2), "C": (5, 2)},
     lambda v: 2 * v["A"].T @ (v["A"] @ v["X"] @ v["B"] + v["C"]) @ v["B"].T),
    ("Cookbook 120 (SymPy: no TensorProduct)", "tr(X) tr(X)", "X", {"X": (4, 4)},
     lambda v: 2 * np.trace(v["X"]) * I(4)),
    ("Cookbook 121 (SymPy: commented out)", "tr(X^5)", "X", {"X": (4, 4)},
     lambda v: 5 * np.linalg.matrix_power(v["X"], 4).T),
    ("Cookbook 123", "tr(B^T X^T C X X^T C X B)", "X", {"B": (4, 5), "X": (3, 4), "C": (3, 3)},
     lambda v: (lambda B, X, C: C @ X @ X.T @ C @ X @ B @ B.T + C.T @ X @ B @ B.T @ X.T @ C.T @ X
                + C @ X @ B @ B.T @ X.T @ C @ X + C.T @ X @ X.T @ C.T @ X @ B @ B.T)(v["B"], v["X"], v["C"])),
    ("Cookbook 124", "tr(A X^{-1} B)", "X", {"A": (3, 4), "X": (4, 4), "B": (4, 3)},
     lambda v: -inv(v["X"]).T @ v["A"].T @ v["B"].T @ inv(v["X"]).T),
    # SymPy's answer to 125 is written with X⁻¹ and C⁻¹ (square X only); at a tall X, the
    # differences alone judge.
    ("Cookbook 125", "tr((X^T C X)^{-1} A)", "X", {"X": (4, 3), "C": (4, 4), "A": (3, 3)}, None, {"C"}),
    ("Cookbook 125, square X as SymPy states it", "tr((X^T C X)^{-1} A)", "X", {"X": (4, 4), "C": (4, 4), "A": (4, 4)},
     lambda v: (lambda X, C, A: -inv(X).T @ A.T @ inv(X) @ inv(C).T @ inv(X).T
                - inv(X).T @ A @ inv(X) @ inv(C) @ inv(X).T)(v["X"], v["C"], v["A"]), {"C"}),
    # 126: SymPy's answer holds for symmetric B and C, as the Cookbook says.
    ("Cookbook 126", "tr((X^T C X)^{-1} (X^T B X))", "X", {"X": (4, 3), "C": (4, 4), "B": (4, 4)},
     lambda v: (lambda X, C, B, M: -2 * C @ X @ M @ X.T @ B @ X @ M + 2 * B @ X @ M)(
         v["X"], v["C"], v["B"], inv(v["X"].T @ v["C"] @ v["X"])), {"C", "B"}),
    ("Cookbook 126, B and C not symmetric", "tr((X^T C X)^{-1} (X^T B X))", "X",
     {"X": (4, 3), "C": (4, 4), "B": (4, 4)}, None),
    ("Cookbook 127", "tr((A + X^T C X)^{-1} (X^T B X))", "X", {"X": (4, 3), "C": (4, 4), "A": (3, 3), "B": (4, 4)},
     lambda v: (lambda X, C, B, M: B @ X @ M - C @ X @ M @ X.T @ B @ X @ M - C.T @ X @ M.T @ X.T @ B.T @ X @ M.T
                + B.T @ X @ M.T)(v["X"], v["C"], v["B"], inv(v["A"] + v["X"].T @ v["C"] @ v["X"])), {"A", "C"}),
    ("complicated matrix expression",
     "a^T (A X (X^T B + X A) + B^T X^T (a b^T (X D X^T + X (X^T B + A X) D B - X^T C^T A) B "
     "+ B (X D^T + B A X A^T - 3 X D)) B + 42 X B X^T A^T (X + X^T)) b", "X",
     {k: (4, 4) for k in "ABCDX"} | {"a": vec(4), "b": vec(4)}, None),
    ("mixed 3 Trace(A)", "3 tr(A)", "A", {"A": (4, 4)}, lambda v: 3 * I(4)),
    ("mixed Trace(A)**2", "tr(A)^2", "A", {"A": (4, 4)}, lambda v: 2 * np.trace(v["A"]) * I(4)),
    ("mixed Trace(Trace(A)*A)", "tr(tr(A) A)", "A", {"A": (4, 4)}, lambda v: 2 * np.trace(v["A"]) * I(4)),
    ("mixed Trace(Trace(Trace(A)*A)*A)", "tr(tr(tr(A) A) A)", "A", {"A": (4, 4)},
     lambda v: 3 * np.trace(v["A"]) ** 2 * I(4)),
    ("norms x.T*y", "x^T y", "x", {"x": vec(4), "y": vec(4)}, lambda v: v["y"]),
    ("norms (x.T*y)**(1/2)", "(x^T y)^{1/2}", "x", {"x": vec(4), "y": vec(4)},
     lambda v: v["y"] / (2 * np.sqrt(v["x"].T @ v["y"])), set(), True),
    ("norms (x.T*x)**(1/2)", "(x^T x)^{1/2}", "x", {"x": vec(4)},
     lambda v: v["x"] / np.sqrt(v["x"].T @ v["x"])),
    ("norms (c.T*a*x.T*b)**(1/2)", "(c^T a x^T b)^{1/2}", "x", {"c": vec(3), "a": vec(3), "x": vec(4), "b": vec(4)},
     lambda v: v["b"] @ v["a"].T @ v["c"] / np.sqrt(v["c"].T @ v["a"] @ v["x"].T @ v["b"]) / 2, set(), True),
    ("norms (c.T*a*x.T*b)**(1/3)", "(c^T a x^T b)^{1/3}", "x", {"c": vec(3), "a": vec(3), "x": vec(4), "b": vec(4)},
     lambda v: v["b"] @ v["a"].T @ v["c"] * (v["c"].T @ v["a"] @ v["x"].T @ v["b"]) ** (-2 / 3) / 3, set(), True),
    ("norms (a.T*X*b)**(1/2)", "(a^T X b)^{1/2}", "X", {"a": vec(3), "X": (3, 4), "b": vec(4)},
     lambda v: v["a"] / (2 * np.sqrt(v["a"].T @ v["X"] @ v["b"])) @ v["b"].T, set(), True),
    ("norms d.T*x*(a.T*X*b)**(1/2)*y.T*c", "d^T x (a^T X b)^{1/2} y^T c", "X",
     {"d": vec(5), "x": vec(5), "a": vec(3), "X": (3, 4), "b": vec(4), "y": vec(2), "c": vec(2)},
     lambda v: v["a"] / (2 * np.sqrt(v["a"].T @ v["X"] @ v["b"])) @ v["x"].T @ v["d"] @ v["y"].T @ v["c"] @ v["b"].T,
     set(), True),
    ("applyfunc x.T*A*x + k*sin(y).T*x", "x^T A x + k \\sin(y)^T x", "x", {"x": vec(4), "A": (4, 4), "y": vec(4), "k": (1, 1)},
     lambda v: v["A"].T @ v["x"] + v["A"] @ v["x"] + v["k"] * np.sin(v["y"])),
    ("applyfunc sin(x).T*y", "\\sin(x)^T y", "x", {"x": vec(4), "y": vec(4)}, lambda v: np.cos(v["x"]) * v["y"]),
    ("applyfunc sin(a.T*X*b)", "\\sin(a^T X b)", "X", {"a": vec(3), "X": (3, 4), "b": vec(4)},
     lambda v: v["a"] * np.cos(v["a"].T @ v["X"] @ v["b"]) @ v["b"].T),
    ("applyfunc a.T*sin(X)*b", "a^T \\sin(X) b", "X", {"a": vec(3), "X": (3, 4), "b": vec(4)},
     lambda v: np.diag(v["a"][:, 0]) @ np.cos(v["X"]) @ np.diag(v["b"][:, 0])),
    ("applyfunc a.T*sin(A*X*B)*b", "a^T \\sin(A X B) b", "X",
     {"a": vec(5), "A": (5, 3), "X": (3, 4), "B": (4, 2), "b": vec(2)},
     lambda v: v["A"].T @ np.diag(v["a"][:, 0]) @ np.cos(v["A"] @ v["X"] @ v["B"]) @ np.diag(v["b"][:, 0]) @ v["B"].T),
    ("applyfunc a.T*A*sin(X)*B*b", "a^T A \\sin(X) B b", "X",
     {"a": vec(5), "A": (5, 3), "X": (3, 4), "B": (4, 2), "b": vec(2)},
     lambda v: (v["A"].T @ v["a"] @ v["b"].T @ v["B"].T) * np.cos(v["X"])),
    ("applyfunc a.T*log(A*sin(X)*B)*b (SymPy: TODO wrong)", "a^T \\log(A \\sin(X) B) b", "X",
     {"a": vec(5), "A": (5, 3), "X": (3, 4), "B": (4, 2), "b": vec(2)}, None, set(), True),
    ("applyfunc a.T*log(sin(X))*b (SymPy: TODO wrong)", "a^T \\log(\\sin(X)) b", "X",
     {"a": vec(3), "X": (3, 4), "b": vec(4)}, lambda v: (v["a"] @ v["b"].T) / np.tan(v["X"]), set(), True),
    ("hadamard a.T*(A∘X∘B)*b", "a^T (A \\circ X \\circ B) b", "X", {"a": vec(3), "A": (3, 4), "X": (3, 4), "B": (3, 4), "b": vec(4)},
     lambda v: v["a"] @ v["b"].T * v["A"] * v["B"]),
    ("hadamard_power(a.T*X*b, 2)", "(a^T X b)^2", "X", {"a": vec(3), "X": (3, 4), "b": vec(4)},
     lambda v: 2 * v["a"] @ v["a"].T @ v["X"] @ v["b"] @ v["b"].T),
    ("trace by scalar Trace(i**2*X)", "tr(i^2 X)", "i", {"i": (1, 1), "X": (4, 4)},
     lambda v: 2 * v["i"] * np.trace(v["X"])),
]


@pytest.mark.parametrize("case", GRADIENTS, ids=[f"{c[0]}: {c[1]}" for c in GRADIENTS])
def test_sympys_case_matches_finite_differences_and_sympys_answer(case):
    _, source, wrt, shapes, sympy, *rest = case
    spd = rest[0] if rest else set()
    positive = rest[1] if len(rest) > 1 else False
    result = matcalc.diff(source, wrt)
    objective = Expression(source)
    for seed in (5, 6):
        values = data(shapes, spd, seed, positive)
        env = {name + "_" * keyword.iskeyword(name): numpy_habit(v) for name, v in values.items()}
        got = np.reshape(run(result.numpy, env), shapes[wrt])
        want = fd_gradient(lambda v: float(objective({**values, wrt: v})[0, 0]), values[wrt])
        close(got, want, tol=1e-5)
        if sympy is not None:
            close(got, np.reshape(sympy(values), shapes[wrt]), tol=1e-8)


def test_the_suite_is_non_square_where_the_expression_allows():
    non_square = [c for c in GRADIENTS if any(r != k and r > 1 and k > 1 for r, k in c[3].values())]
    assert len(non_square) >= 30


# -- SymPy's derivatives of vectors and matrices: Jacobians over vec, against finite differences
# of the input and SymPy's answer (vectors 1-D, as -f numpy writes them). SymPy gives the
# derivative of a matrix by a matrix as a 4-dimensional array (A.diff(A) = PermuteDims(I ⊗ I));
# matcalc writes its flattening d vec(F)/d vec(X).

def _K(m: int, n: int) -> np.ndarray:
    """The commutation matrix: K vec(A) = vec(Aᵀ) for A m×n."""
    K = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            K[i * n + j, j * m + i] = 1
    return K


JACOBIANS = [
    ("x.diff(x)", "x", "x", None, lambda v: I(len(v["x"]))),
    ("x.T.diff(x)", "x^T", "x", None, lambda v: I(len(v["x"]))),
    ("(2*mu*x).diff(x)", "2 \\mu x", "x", None, lambda v: 2 * v["mu"] * I(len(v["x"]))),
    ("hadamard_product(a, x, b)", "a \\circ x \\circ b", "x", None, lambda v: np.diag(v["b"] * v["a"])),
    ("hadamard_power(x, 2)", "x^{\\circ 2}", "x", None, lambda v: 2 * np.diag(v["x"])),
    ("hadamard_power(x.T, 2)", "(x^T)^{\\circ 2}", "x", None, lambda v: 2 * np.diag(v["x"])),
    ("hadamard_power(x, 1/2)", "x^{\\circ 1/2}", "x", None, lambda v: np.diag(v["x"] ** -0.5) / 2),
    ("x*x.T*x (sympy issue 16504)", "x x^T x", "x", None,
     lambda v: (v["x"] @ v["x"]) * I(len(v["x"])) + 2 * np.outer(v["x"], v["x"])),
    ("x.applyfunc(tan)", "\\tan(x)", "x", None, lambda v: np.diag(np.tan(v["x"]) ** 2 + 1)),
    ("A*x.applyfunc(exp) (SymPy: TODO, returns the transpose)", "A \\exp(x)", "x", None,
     lambda v: v["A"] @ np.diag(np.exp(v["x"]))),
    ("(i*x).diff(i)", "i x", "i", {"x": "vector", "i": "scalar"}, lambda v: v["x"]),
    ("(sin(i)*A*B*x).diff(i)", "\\sin(i) A B x", "i", None, lambda v: np.cos(v["i"]) * v["A"] @ v["B"] @ v["x"]),
    ("(i**2*x).applyfunc(sin).diff(i)", "\\sin(i^2 x)", "i", {"x": "vector"},
     lambda v: 2 * v["i"] * v["x"] * np.cos(v["i"] ** 2 * v["x"])),
    ("(log(i)*A*B).applyfunc(sin).diff(i)", "\\sin(\\log(i) A B)", "i", None,
     lambda v: (v["A"] @ v["B"] / v["i"] * np.cos(np.log(v["i"]) * v["A"] @ v["B"])).reshape(-1, 1, order="F")),
    ("A.diff(A)", "A", "A", None, lambda v: I(v["A"].size)),
    ("A.T.diff(A)", "A^T", "A", None, lambda v: _K(*v["A"].shape)),
    ("(2*A).diff(A)", "2 A", "A", None, lambda v: 2 * I(v["A"].size)),
    ("MatAdd(A, A).diff(A)", "A + A", "A", None, lambda v: 2 * I(v["A"].size)),
    ("(A + B).diff(A)", "A + B", "A", None, lambda v: I(v["A"].size)),
    ("(Trace(A)*A).diff(A)", "tr(A) A", "A", None,
     lambda v: np.trace(v["A"]) * I(v["A"].size) + np.outer(v["A"].reshape(-1, order="F"), I(len(v["A"])).reshape(-1))),
]


@pytest.mark.parametrize("case", JACOBIANS, ids=[f"{c[0]}: {c[1]}" for c in JACOBIANS])
def test_sympys_jacobian_matches_finite_differences_and_sympys_answer(case):
    from test_jacobian import jac

    _, source, wrt, declare, sympy = case
    jac(source, wrt, declare, expected=sympy, positive="log" in source or "1/2" in source)


# -- tensorgrad's tests (tests/test_grads.py, tests/test_matrix_calc.py) that matrices can write;
# its test_matrix_calc.py cases are Cookbook 77, 78, 82, 83 and tr(B A), all in GRADIENTS above.

TENSORGRAD = [
    ("test_simple_grad: (A @ x).grad(x)", "jacobian", "A x", "x", lambda v: v["A"]),
    ("test_simple_hessian: x A x", "hessian", "x^T A x", "x", lambda v: v["A"] + v["A"].T),
    ("test_simple_hessian: frobenius2(A x - y)", "hessian", "\\|A x - y\\|^2", "x", lambda v: 2 * v["A"].T @ v["A"]),
    ("test_derivative_of_hadamard_product: (a * b).grad(a)", "jacobian", "a \\circ b", "a",
     lambda v: np.diag(v["b"].reshape(-1, order="F"))),
]


@pytest.mark.parametrize("case", TENSORGRAD, ids=[c[0] for c in TENSORGRAD])
def test_tensorgrads_case_matches_finite_differences_and_its_answer(case):
    from test_jacobian import hess, jac

    _, kind, source, wrt, answer = case
    (hess if kind == "hessian" else jac)(source, wrt, None, expected=answer)

"""Jacobians (∂f/∂x, rows are outputs; ∂vec F/∂vec X with ⊗), Hessians, layouts and diag:
every result against central finite differences written here (column-major vec), on random
data of distinct non-square sizes, and against a hand-written NumPy formula where one is
given. Printed forms are checked on top of that, never instead."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc import api
from matcalc.numeric import evaluation as numeric
from matcalc.cli.app import app
from matcalc.errors import MatcalcError
from matcalc.calculus.expr import free_symbols
from oracle import numpy_habit, written_forms

TOLERANCE = 1e-5


# -- an oracle of its own: finite differences over vec(x), entry by entry ---------------------------

def instance(g, seed: int, positive: bool = False):
    rng = np.random.default_rng(seed)
    symbols = free_symbols(g.written)
    for order in numeric.SIZE_ORDERS:
        values, sizes = numeric.random_instance(symbols, rng, positive, order, within=(g.written, g.result))
        with np.errstate(all="ignore"):
            if np.all(np.isfinite(numeric.evaluate(g.written, values, sizes))):
                return values, sizes
    raise AssertionError(f"{g.source}: no random instance where it is finite")


def vec(a) -> np.ndarray:
    return np.asarray(a).reshape(-1, order="F")


def fd_jacobian(f, name, values, sizes, eps=1e-6) -> np.ndarray:
    """∂vec(f)/∂vec(x): column k is the central difference along the k-th entry of vec(x)."""
    x0 = np.asarray(values[name], dtype=float)
    columns = []
    for k in range(x0.size):
        step = np.zeros(x0.size)
        step[k] = eps
        step = step.reshape(x0.shape, order="F")
        up = vec(numeric.evaluate(f, {**values, name: x0 + step}, sizes))
        down = vec(numeric.evaluate(f, {**values, name: x0 - step}, sizes))
        columns.append((up - down) / (2 * eps))
    return np.column_stack(columns)


def fd_hessian(f, name, values, sizes, eps=1e-4) -> np.ndarray:
    """∂²f/∂xᵢ∂xⱼ over vec(x), by second central differences of the scalar f."""
    x0 = np.asarray(values[name], dtype=float)
    n = x0.size

    def at(i, si, j, sj):
        step = np.zeros(n)
        step[i] += si * eps
        step[j] += sj * eps
        return numeric.scalar(f, {**values, name: x0 + step.reshape(x0.shape, order="F")}, sizes)

    return np.array([[(at(i, 1, j, 1) - at(i, 1, j, -1) - at(i, -1, j, 1) + at(i, -1, j, -1)) / (4 * eps * eps)
                      for j in range(n)] for i in range(n)])


def assert_derivative(g, expected=None, positive=False, seeds=(0, 1)):
    """g.result against finite differences of the input as written (transposed for the
    denominator layout), and against `expected(env)` (NumPy, vectors 1-D) if given."""
    for seed in seeds:
        values, sizes = instance(g, seed, positive)
        with np.errstate(all="ignore"):
            got = numeric.evaluate(g.result, values, sizes)
            if g.kind == "hessian":
                want = fd_hessian(g.written, g.wrt, values, sizes)
            else:
                want = fd_jacobian(g.written, g.wrt, values, sizes)
        if g.transposed:
            want = want.T
        assert got.shape == want.shape, f"{g}: shape {got.shape}, finite differences {want.shape}"
        err = numeric.relative_error(got, want)
        assert err < TOLERANCE, f"{g} differs from finite differences by {err:.2e}"
        if expected is not None:
            env = {form: numpy_habit(values[s.name], s) for s in free_symbols(g.written)
                   for form in written_forms(s.name)}
            oracle = np.asarray(expected(env), dtype=float).reshape(got.shape)
            err = numeric.relative_error(got, oracle)
            assert err < TOLERANCE, f"{g} differs from the hand-written formula by {err:.2e}"
    return g


def jac(expr, wrt, declare=None, layout=None, **kw):
    g = matcalc.diff(expr, wrt, declared=declare, layout=layout)
    assert isinstance(g, api.Derivative) and g.kind == "jacobian"
    return assert_derivative(g, **kw)


def hess(expr, wrt, declare=None, **kw):
    g = api.hessian(expr, wrt, declare)
    assert g.kind == "hessian"
    return assert_derivative(g, **kw)


def commutation(m: int, n: int) -> np.ndarray:
    """K_{mn} from its definition, independently of matcalc: K vec(A) = vec(Aᵀ) for A m×n."""
    k = np.zeros((m * n, m * n))
    for column in range(m * n):  # K e_k = vec(Eᵀ) for the unit matrix E with vec(E) = e_k
        e = np.zeros(m * n)
        e[column] = 1.0
        k[:, column] = vec(e.reshape((m, n), order="F").T)
    return k


def K(x):
    """The commutation matrix K_{mn} for an m×n array x."""
    return commutation(*np.shape(x))


def inv(x):
    return np.linalg.inv(x)


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum()


# -- Jacobians of vector functions of vectors ----------------------------------------------------

JACOBIANS = [  # (input, wrt, declare, unicode result, NumPy formula or None)
    ("A x", "x", None, "A", lambda v: v["A"]),
    ("A x + b", "x", None, "A", lambda v: v["A"]),
    ("x", "x", {"x": "vector"}, "I", lambda v: np.eye(len(v["x"]))),
    ("x^T A", "x", None, "Aᵀ", lambda v: v["A"].T),
    ("exp(x)", "x", {"x": "vector"}, "diag(exp(x))", lambda v: np.diag(np.exp(v["x"]))),
    ("exp(x) / sum(exp(x))", "x", {"x": "vector"},  # read as a scalar, this is 1
     "diag(softmax(x)) - softmax(x) softmax(x)ᵀ",  # the presentation pass names softmax
     lambda v: np.diag(softmax(v["x"])) - np.outer(softmax(v["x"]), softmax(v["x"]))),
    (r"x / \|x\|", "x", None, "I / ‖x‖ - x xᵀ / ‖x‖³",
     lambda v: np.eye(len(v["x"])) / np.linalg.norm(v["x"]) - np.outer(v["x"], v["x"]) / np.linalg.norm(v["x"]) ** 3),
    ("tanh(W x + b)", "x", None, "diag(𝟏 - tanh(W x + b)∘²) W",
     lambda v: np.diag(1 - np.tanh(v["W"] @ v["x"] + v["b"]) ** 2) @ v["W"]),
    ("x x^T a", "x", {"x": "vector"}, "(xᵀ a) I + x aᵀ",
     lambda v: (v["x"] @ v["a"]) * np.eye(len(v["x"])) + np.outer(v["x"], v["a"])),
    ("(a^T x) x", "x", {"x": "vector"}, "x aᵀ + (aᵀ x) I",
     lambda v: np.outer(v["x"], v["a"]) + (v["a"] @ v["x"]) * np.eye(len(v["x"]))),
    ("diag(x) A y", "x", None, "diag(A y)", lambda v: np.diag(v["A"] @ v["y"])),
    ("B diag(x) y", "x", None, "B diag(y)", lambda v: v["B"] @ np.diag(v["y"])),
    ("y^T diag(x) A", "x", None, "Aᵀ diag(y)", lambda v: v["A"].T @ np.diag(v["y"])),
    ("x .* y", "x", {"x": "vector"}, "diag(y)", lambda v: np.diag(v["y"])),
    ("sin(a) x", "a", {"a": "scalar", "x": "vector"}, "cos(a) x", lambda v: np.cos(v["a"]) * v["x"]),  # a column
    ("A x", "A", None, "xᵀ ⊗ I", lambda v: np.kron(v["x"][None, :], np.eye(len(v["A"])))),
]


@pytest.mark.parametrize("expr, wrt, declare, shown, formula", JACOBIANS, ids=[c[0] for c in JACOBIANS])
def test_jacobian(expr, wrt, declare, shown, formula):
    g = jac(expr, wrt, declare, expected=formula)
    assert g.unicode == shown


def test_jacobian_rows_are_outputs():
    g = jac("B x", "x")  # B is m×n, x n×1: J is m×n
    rows, cols = g.result.shape
    assert (rows, cols) == (g.typing.shapes["B"][0], g.typing.shapes["x"][0])
    assert g.lhs("unicode") == "∂(B x)/∂x" and g.lhs("text") == "d/dx (B x)"


# -- matrices: vec and Kronecker products --------------------------------------------------------

KRONECKER = [  # (input, wrt, declare, unicode result, NumPy formula or None)
    ("A X B", "X", None, "Bᵀ ⊗ A", lambda v: np.kron(v["B"].T, v["A"])),
    ("A X", "X", None, "I ⊗ A", lambda v: np.kron(np.eye(v["X"].shape[1]), v["A"])),
    ("X b", "X", None, "bᵀ ⊗ I", lambda v: np.kron(v["b"][None, :], np.eye(v["X"].shape[0]))),
    ("x y^T", "x", {"x": "vector"}, "y ⊗ I", lambda v: np.kron(v["y"][:, None], np.eye(len(v["x"])))),
    ("X^{-1}", "X", None, "-(X⁻ᵀ ⊗ X⁻¹)", lambda v: -np.kron(np.linalg.inv(v["X"]).T, np.linalg.inv(v["X"]))),
    ("exp(X)", "X", None, "diag(vec(exp(X)))", lambda v: np.diag(vec(np.exp(v["X"])))),
    ("A .* X", "X", None, "diag(vec(A))", lambda v: np.diag(vec(v["A"]))),
    ("tr(X) A", "X", None, "vec(A) vec(I)ᵀ", lambda v: np.outer(vec(v["A"]), vec(np.eye(len(v["X"]))))),
    ("X", "X", None, "I", None),
    ("tanh(W x + b)", "W", None, "diag(𝟏 - tanh(W x + b)∘²) (xᵀ ⊗ I)",
     lambda v: np.diag(1 - np.tanh(v["W"] @ v["x"] + v["b"]) ** 2) @ np.kron(v["x"][None, :], np.eye(len(v["b"])))),
    # issue 14: the commutation matrix K_{mn}, vec(dXᵀ) = K_{mn} vec(dX) (Magnus and Neudecker)
    ("X^T", "X", None, "Kₘₙ", lambda v: K(v["X"])),
    ("X^T X", "X", None, "I ⊗ Xᵀ + (Xᵀ ⊗ I) Kₘₙ",
     lambda v: np.kron(np.eye(v["X"].shape[1]), v["X"].T) + np.kron(v["X"].T, np.eye(v["X"].shape[1])) @ K(v["X"])),
    ("A X^T B", "X", None, "(Bᵀ ⊗ A) Kₚₙ", lambda v: np.kron(v["B"].T, v["A"]) @ K(v["X"])),
    ("X^2", "X", None, "Xᵀ ⊗ I + I ⊗ X",
     lambda v: np.kron(v["X"].T, np.eye(len(v["X"]))) + np.kron(np.eye(len(v["X"])), v["X"])),
    ("X^3", "X", None, "(Xᵀ)² ⊗ I + Xᵀ ⊗ X + I ⊗ X²",
     lambda v: sum(np.kron(np.linalg.matrix_power(v["X"].T, 2 - r), np.linalg.matrix_power(v["X"], r))
                   for r in range(3))),
    ("X^{-T}", "X", None, "-(X⁻¹ ⊗ X⁻ᵀ) Kₘₘ", lambda v: -np.kron(inv(v["X"]), inv(v["X"]).T) @ K(v["X"])),
    ("X^T A X", "X", None, "I ⊗ (Xᵀ A) + ((Xᵀ Aᵀ) ⊗ I) Kₘₙ",
     lambda v: np.kron(np.eye(v["X"].shape[1]), v["X"].T @ v["A"])
     + np.kron(v["X"].T @ v["A"].T, np.eye(v["X"].shape[1])) @ K(v["X"])),
    ("X A X^T", "X", None, "(X Aᵀ) ⊗ I + (I ⊗ (X A)) Kₘₙ",
     lambda v: np.kron(v["X"] @ v["A"].T, np.eye(len(v["X"]))) + np.kron(np.eye(len(v["X"])), v["X"] @ v["A"]) @ K(v["X"])),
    ("(A X)^T", "X", None, "(A ⊗ I) Kₙₚ", lambda v: np.kron(v["A"], np.eye(v["X"].shape[1])) @ K(v["X"])),
    ("X^T .* A", "X", None, "diag(vec(A)) Kₘₙ", lambda v: np.diag(vec(v["A"])) @ K(v["X"])),
    ("X X^T X", "X", None, "(Xᵀ X) ⊗ I + I ⊗ (X Xᵀ) + (Xᵀ ⊗ X) Kₘₙ", None),
]


@pytest.mark.parametrize("expr, wrt, declare, shown, formula", KRONECKER, ids=[c[0] for c in KRONECKER])
def test_vec_kronecker(expr, wrt, declare, shown, formula):
    g = jac(expr, wrt, declare, expected=formula)
    if shown is not None:
        assert g.unicode == shown


def test_a_closed_power_differential_is_written_out():
    # d(X⁹) is kept closed (PowerDifferential): its Jacobian is Σ_r (Xᵀ)⁸⁻ʳ ⊗ Xʳ, multiplied by A and B
    jac("A X^{9} B", "X", expected=lambda v: sum(
        np.kron(v["B"].T @ np.linalg.matrix_power(v["X"].T, 8 - r), v["A"] @ np.linalg.matrix_power(v["X"], r))
        for r in range(9)))


def test_a_power_beyond_the_limit_is_refused_clearly():
    with pytest.raises(MatcalcError, match="a sum of 65 Kronecker products; matcalc writes at most 64"):
        matcalc.diff("X^{65}", "X")


def test_kronecker_forms_in_every_style():
    g = matcalc.diff("A X B", "X")
    assert g.lhs("unicode") == "∂vec(A X B)/∂vec(X)"
    assert f"{g.lhs('text')} = {g.text}" == "d vec(A X B)/d vec(X) = kron(B^T, A)"
    assert g.latex == r"B^{T} \otimes A"
    assert matcalc.diff("A X B C", "X").unicode == "(Cᵀ Bᵀ) ⊗ A"  # (B C)ᵀ with transposes at the leaves


NOT_EXPRESSIBLE = [  # (input, wrt, declare): matcalc says so rather than print something wrong
    ("S A", "S", {"S": "symmetric"}),  # the duplication matrix
]

# issue 14: where ⊗, vec and K cannot write a Jacobian, it is written entry by entry (rule einstein),
# J[(i j), (k l)] = ∂F_ij/∂X_kl, repeated indices summed, and evaluated with np.einsum
EINSTEIN = [  # (input, wrt, declare, unicode result, NumPy formula or None)
    ("diag(x)", "x", {"x": "vector"}, "[δᵢⱼ δᵢₖ]ᵢⱼ,ₖ",
     lambda v: np.einsum("ij,ik->ijk", np.eye(len(v["x"])), np.eye(len(v["x"]))).reshape(len(v["x"]) ** 2, -1, order="F")),
    ("diag(X)", "X", None, "[δᵢₖ δᵢₗ]ᵢ,ₖₗ",
     lambda v: np.array([[1.0 if k == l == i else 0.0 for l in range(len(v["X"])) for k in range(len(v["X"]))]
                         for i in range(len(v["X"]))])),
    ("A diag(x) B", "x", None, "[Aᵢₖ Bₖⱼ]ᵢⱼ,ₖ",
     lambda v: np.stack([vec(np.outer(v["A"][:, k], v["B"][k])) for k in range(len(v["x"]))], axis=1)),
    ("diag(A X B)", "X", None, "[Aᵢₖ Bₗᵢ]ᵢ,ₖₗ", None),
    ("exp(diag(X))", "X", None, "[exp(diag(X))ᵢ δᵢₖ δᵢₗ]ᵢ,ₖₗ", None),
    ("diag(x) A diag(x)", "x", None, "[Aᵢⱼ xⱼ δᵢₖ + xᵢ Aᵢⱼ δⱼₖ]ᵢⱼ,ₖ",
     lambda v: np.stack([vec(np.outer(np.eye(len(v["x"]))[k], v["A"][k] * v["x"])
                             + np.outer(v["x"] * v["A"][:, k], np.eye(len(v["x"]))[k])) for k in range(len(v["x"]))],
                        axis=1)),
    ("diag(X) diag(X)^T", "X", None, "[diag(X)ⱼ δᵢₖ δᵢₗ + diag(X)ᵢ δⱼₖ δⱼₗ]ᵢⱼ,ₖₗ", None),
]


@pytest.mark.parametrize("expr, wrt, declare, shown, formula", EINSTEIN, ids=[c[0] for c in EINSTEIN])
def test_index_form_where_kronecker_cannot_write_it(expr, wrt, declare, shown, formula):
    g = jac(expr, wrt, declare, expected=formula)
    assert g.unicode == shown
    assert "np.einsum(" in g.numpy and g.text.startswith("[") and g.latex.startswith("\\left[")


@pytest.mark.parametrize("expr, wrt, declare", NOT_EXPRESSIBLE, ids=[c[0] for c in NOT_EXPRESSIBLE])
def test_not_expressible_in_matrix_notation(expr, wrt, declare):
    with pytest.raises(MatcalcError, match="not expressible in matrix notation"):
        matcalc.diff(expr, wrt, declared=declare)


def test_not_expressible_from_the_command_line():
    result = CliRunner().invoke(app, ["diff", "S A", "S", "--symmetric", "S"])
    assert result.exit_code == 2
    assert "not expressible in matrix notation" in result.stderr
    assert "Traceback" not in result.output + result.stderr


# -- Hessians --------------------------------------------------------------------------------------

HESSIANS = [
    ("x^T A x", "x", None, "A + Aᵀ", lambda v: v["A"] + v["A"].T),
    (r"\|A x - b\|^2", "x", None, "2 Aᵀ A", lambda v: 2 * v["A"].T @ v["A"]),
    ("log(sum(exp(x)))", "x", None, "diag(softmax(x)) - softmax(x) softmax(x)ᵀ",
     lambda v: np.diag(softmax(v["x"])) - np.outer(softmax(v["x"]), softmax(v["x"]))),
    ("x^T S x", "x", {"S": "symmetric"}, "2 S", lambda v: 2 * v["S"]),
    ("x^T x x^T x", "x", None, "8 x xᵀ + 4 (xᵀ x) I",
     lambda v: 4 * (v["x"] @ v["x"]) * np.eye(len(v["x"])) + 8 * np.outer(v["x"], v["x"])),
    ("sum(log(x))", "x", None, "-diag(x∘⁻²)", lambda v: -np.diag(v["x"] ** -2.0)),
    ("log(a) a^2", "a", None, "3 + 2 log(a)", lambda v: 2 * np.log(v["a"]) + 3),
    ("tr(X^T A X)", "X", None, "I ⊗ (A + Aᵀ)", lambda v: np.kron(np.eye(v["X"].shape[1]), v["A"] + v["A"].T)),
    # issue 14: Hessians with respect to matrices, ∂vec(∇f)/∂vec(X), with K (Magnus and Neudecker)
    ("tr(X A X)", "X", None, "(A ⊗ I + I ⊗ Aᵀ) Kₘₘ",
     lambda v: (np.kron(v["A"], np.eye(len(v["X"]))) + np.kron(np.eye(len(v["X"])), v["A"].T)) @ K(v["X"])),
    ("tr(X^{-1})", "X", None, "(X⁻² ⊗ X⁻ᵀ + X⁻¹ ⊗ (X⁻²)ᵀ) Kₘₘ",
     lambda v: (np.kron(inv(v["X"]) @ inv(v["X"]), inv(v["X"]).T)
                + np.kron(inv(v["X"]), inv(v["X"]).T @ inv(v["X"]).T)) @ K(v["X"])),
    ("tr(X^2)", "X", None, "2 Kₘₘ", lambda v: 2 * K(v["X"])),
    (r"\log|X|", "X", None, "-(X⁻¹ ⊗ X⁻ᵀ) Kₘₘ", lambda v: -np.kron(inv(v["X"]), inv(v["X"]).T) @ K(v["X"])),
    ("|X|", "X", None, "|X| (vec(X⁻ᵀ) vec(X⁻ᵀ)ᵀ - (X⁻¹ ⊗ X⁻ᵀ) Kₘₘ)",
     lambda v: np.linalg.det(v["X"]) * (np.outer(vec(inv(v["X"]).T), vec(inv(v["X"]).T))
                                        - np.kron(inv(v["X"]), inv(v["X"]).T) @ K(v["X"]))),
    (r"\log|X^T A X|", "X", None, None, None),
    (r"\|X^T X - I\|_F^2", "X", None, "4 ((Xᵀ X - I) ⊗ I) + 4 (I ⊗ (X Xᵀ)) + 4 (Xᵀ ⊗ X) Kₘₙ",
     lambda v: 4 * (np.kron(v["X"].T @ v["X"] - np.eye(v["X"].shape[1]), np.eye(len(v["X"])))
                    + np.kron(np.eye(v["X"].shape[1]), v["X"] @ v["X"].T) + np.kron(v["X"].T, v["X"]) @ K(v["X"]))),
    ("tr((X^T X)^{-1})", "X", None, None, None),
    ("a^T X^T X b", "X", None, "(a bᵀ + b aᵀ) ⊗ I",
     lambda v: np.kron(np.outer(v["a"], v["b"]) + np.outer(v["b"], v["a"]), np.eye(len(v["X"])))),
    ("tr(X^T X X^T X)", "X", None, "4 ((Xᵀ X) ⊗ I) + 4 (I ⊗ (X Xᵀ)) + 4 (Xᵀ ⊗ X) Kₘₙ", None),
]


@pytest.mark.parametrize("expr, wrt, declare, shown, formula", HESSIANS, ids=[c[0] for c in HESSIANS])
def test_hessian(expr, wrt, declare, shown, formula):
    positive = "log" in expr
    g = hess(expr, wrt, declare, expected=formula, positive=positive)
    if shown is not None:
        assert g.unicode == shown
    values, sizes = instance(g, 3, positive)
    h = numeric.evaluate(g.result, values, sizes)
    assert np.allclose(h, h.T), "a Hessian is symmetric"


def test_hessian_needs_a_scalar():
    with pytest.raises(MatcalcError, match="a Hessian needs a scalar expression"):
        api.hessian("A x", "x")


# -- layouts ---------------------------------------------------------------------------------------

def test_default_gradient_is_shaped_like_the_variable():
    g = matcalc.diff("a^T X b", "X")
    assert g.result.shape == g.variable.shape and not g.transposed


@pytest.mark.parametrize("expr, wrt", [("a^T X b", "X"), ("x^T A x", "x"), ("tr(A X B)", "X")])
def test_numerator_layout_gradient_is_the_transpose(expr, wrt):
    default = matcalc.diff(expr, wrt)
    numerator = matcalc.diff(expr, wrt, layout="numerator")
    assert numerator.transposed and numerator.result.shape == default.result.shape[::-1]
    assert matcalc.diff(expr, wrt, layout="denominator").result == default.result
    values, sizes = instance(default, 0)
    assert np.allclose(numeric.evaluate(numerator.result, values, sizes),
                       numeric.evaluate(default.result, values, sizes).T)
    # and the transposed gradient is right on its own account (seed 3.C)
    from matcalc.numeric.check import check_gradient

    assert check_gradient(numerator)[1]


@pytest.mark.parametrize("expr, wrt", [("A x", "x"), ("exp(x) / sum(exp(x))", "x"), ("A X B", "X"),
                                       ("tanh(W x + b)", "W")])
def test_denominator_layout_jacobian_is_the_transpose(expr, wrt):
    declare = {"x": "vector"} if "x" in expr else {}  # a declared name must occur
    g = jac(expr, wrt, declare, layout="denominator")  # checked against the transposed finite differences
    assert g.transposed and g.lhs("unicode").endswith("ᵀ")
    default = matcalc.diff(expr, wrt, declared=declare)
    assert g.result.shape == default.result.shape[::-1]
    assert matcalc.diff(expr, wrt, declared=declare, layout="numerator").result == default.result


def test_unknown_layout():
    with pytest.raises(MatcalcError, match="numerator or denominator"):
        matcalc.diff("A x", "x", layout="mixed")


# -- which reading: gradient or Jacobian ------------------------------------------------------------

def test_the_variable_of_differentiation_stays_a_vector():
    # issue 8: d exp(x)/dx = diag(exp(x)); x is a vector unless nothing else type-checks
    g = matcalc.diff("exp(x)", "x")
    assert isinstance(g, api.Derivative) and g.unicode == "diag(exp(x))"
    g = matcalc.diff("exp(x)", "x", declared={"x": "scalar"})
    assert not isinstance(g, api.Derivative) and g.unicode == "exp(x)"
    g = matcalc.diff("a x", "x")  # a must be the scalar
    assert g.unicode == "a I" and g.typing.kinds["a"] == "scalar"


def test_a_gradient_is_preferred_when_the_variable_allows_it():
    # λ/2 ‖W‖² is a vector if λ is one; reading λ as a scalar gives the gradient people mean
    g = matcalc.diff(r"\frac{\lambda}{2}\|W\|_F^2", "W")
    assert not isinstance(g, api.Derivative) and g.typing.kinds["lambda"] == "scalar"
    g = matcalc.diff("tr(aA)", "a")  # seed 1.C: a can only be a scalar
    assert g.text == "tr(A)"


def test_a_jacobian_is_not_taken_with_respect_to_a_transpose():
    with pytest.raises(MatcalcError, match="not its transpose"):
        matcalc.diff("A x", "x^T")


# -- diag in the input language --------------------------------------------------------------------

def test_diag_both_ways():
    e, t = api.typed("diag(x)")
    assert e.shape == (t.shapes["x"][0],) * 2
    e, t = api.typed("diag(A)")
    assert e.shape == (t.shapes["A"][0], 1) and t.shapes["A"][0] == t.shapes["A"][1]  # diag made A square


GRADIENTS_THROUGH_DIAG = [  # gradients of scalars that use diag, against finite differences
    ("tr(A diag(x))", "x", "diag(A)", lambda v: np.diag(v["A"])),
    ("x^T diag(y) x", "y", "x∘²", lambda v: v["x"] ** 2),
    ("b^T diag(A)", "A", "diag(b)", lambda v: np.diag(v["b"])),
    ("sum(diag(x) A)", "x", None, lambda v: v["A"].sum(axis=1)),
]


@pytest.mark.parametrize("expr, wrt, shown, formula", GRADIENTS_THROUGH_DIAG, ids=[c[0] for c in GRADIENTS_THROUGH_DIAG])
def test_gradient_through_diag(expr, wrt, shown, formula):
    from oracle import assert_gradient

    g = assert_gradient(expr, wrt, formula)
    if shown:
        assert g.unicode == shown


def test_diag_renders_and_parses_back():
    g = matcalc.diff("exp(x)", "x", declared={"x": "vector"})
    assert g.text == "diag(exp(x))" and g.latex == r"\operatorname{diag}(\exp(x))"
    again, _ = api.typed(g.text, {"x": "vector"})
    assert again == g.result


# -- every output format, from the command line ---------------------------------------------------

def run(*args):
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output + result.stderr
    return result


def test_cli_jacobian_formats():
    assert run("diff", "A x", "x", "-f", "text").stdout == "d/dx (A x) = A\n"
    assert run("diff", "A x", "x", "-f", "text", "--layout", "denominator").stdout == "(d/dx (A x))^T = A^T\n"
    assert run("diff", "A X B", "X", "-f", "latex").stdout == (
        r"\frac{\partial \operatorname{vec}(A X B)}{\partial \operatorname{vec}(X)} = B^{T} \otimes A" "\n")
    pretty = run("diff", "exp(x)", "x", "--vector", "x", "-f", "pretty", "--no-steps").stdout
    assert pretty.strip() == "∂exp(x)/∂x = diag(exp(x))"
    record = json.loads(run("diff", "A x", "x", "-f", "json", "--layout", "denominator").stdout)
    assert record["derivative"] == "jacobian" and record["layout"] == "denominator"
    assert record["wrt"] == "x" and record["result"]["text"] == "A^T"
    record = json.loads(run("hessian", "x^T A x", "x", "-f", "json").stdout)
    assert record["derivative"] == "hessian" and record["result"]["numpy"] == "A + A.T"


NUMPY = [  # (command line, variable, layout) → the printed NumPy runs and equals the result
    (["diff", "exp(x) / sum(exp(x))", "x"], "x", None),
    (["diff", "A X B", "X"], "X", None),
    (["diff", "x y^T", "x"], "x", None),
    (["diff", "tanh(W x + b)", "W"], "W", "denominator"),
    (["diff", "x x^T a", "x"], "x", None),
    (["hessian", "log(sum(exp(x)))", "x"], "x", None),
    (["hessian", "tr(X^T A X)", "X"], "X", None),
]


@pytest.mark.parametrize("args, wrt, layout", NUMPY, ids=[" ".join(a) for a, _, _ in NUMPY])
def test_numpy_output_runs_and_agrees(args, wrt, layout):
    declare = {"x": "vector"} if "x" in args[1] else None
    options = ["--vector", "x"] if declare else []
    code = run(*args, *options, *(["--layout", layout] if layout else []), "-f", "numpy").stdout.strip()
    g = (api.hessian(args[1], wrt, declare) if args[0] == "hessian"
         else matcalc.diff(args[1], wrt, declared=declare, layout=layout))
    values, sizes = instance(g, 0)
    env = {"np": np}
    for s in free_symbols(g.written):
        env[s.name] = numpy_habit(values[s.name], s)
    got = np.atleast_2d(np.asarray(eval(code, env), dtype=float))
    want = numeric.evaluate(g.result, values, sizes)
    assert got.shape == want.shape or got.size == want.size
    assert numeric.relative_error(got.reshape(want.shape), want) < 1e-12, code


@pytest.mark.parametrize("args", [
    ["diff", "A x", "x"], ["diff", "A x", "x", "--layout", "denominator"],
    ["diff", "exp(x) / sum(exp(x))", "x", "--vector", "x", "--layout", "denominator"],
    ["diff", "A X B", "X"], ["hessian", r"\|A x - b\|^2", "x"], ["hessian", "log(sum(exp(x)))", "x"],
    ["diff", "x^T A x", "x", "--layout", "numerator"],
])
def test_cli_check(args):
    result = run(*args, "--check", "-f", "text")
    assert result.exit_code == 0, result.stderr
    assert "ok" in result.stderr and "FAILED" not in result.stderr


def test_cli_check_catches_a_wrong_jacobian(monkeypatch):
    from matcalc.calculus import jacobian

    real = jacobian.read_jacobian
    monkeypatch.setattr(jacobian, "read_jacobian", lambda df, var: jacobian.kr.transpose(real(df, var)))
    result = run("diff", "A x", "x", "--check", "-f", "text", "--matrix", "A")
    assert result.exit_code == 1 and "FAILED" in result.stderr


def test_cli_hessian_errors_and_batch():
    result = run("hessian", "A x", "x")
    assert result.exit_code == 2 and "a Hessian needs a scalar expression" in result.stderr
    result = CliRunner().invoke(app, ["hessian", "-", "x", "-f", "text"], input="x^T A x\nsum(exp(x))\n")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["\\nabla^2_x x^T A x = A + A^T", "\\nabla^2_x sum(exp(x)) = diag(exp(x))"]


def test_text_form_of_a_jacobian_reads_back():
    g = matcalc.diff("tanh(W x + b)", "x")
    assert g.lhs("text") == "d/dx tanh(W x + b)"
    again = matcalc.diff(g.lhs("text"))  # the query form of the input language
    assert isinstance(again, api.Derivative) and again.result == g.result

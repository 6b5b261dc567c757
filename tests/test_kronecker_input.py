"""kron(A, B), A ⊗ B, vec(M) and K_{mn} as input (issue 13 item 1, issue 14, issue 12 item 10).

Each word is read, typed with product dimensions (A m×n ⊗ B p×q is mp × nq, vec(X) is nm × 1,
K_{mn} is mn × nm), evaluated, and differentiated. Every derivative is checked against central
finite differences of the input as written (test_jacobian's own oracle) on distinct, non-square
sizes, and against a formula written here in NumPy from Magnus and Neudecker. The Jacobians of
X ⊗ A and vec(X) vec(X)ᵀ, typed, go through every format."""
from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc import api
from matcalc.cli.app import app
from matcalc.cli.output import gradient_line
from matcalc.calculus.expr import Commutation, Kron, Vec, free_symbols, postorder
from matcalc.errors import MatcalcError
from matcalc.language import kinds
from matcalc.language.parser import commutation_sizes, parse
from matcalc.numeric import evaluation as numeric
from oracle import numpy_habit
from test_jacobian import commutation, instance, jac, vec


def typed(source: str, declared=None):
    line = parse(source)
    typing = kinds.infer([line.lhs], source, declared)
    return kinds.build(line.lhs, typing), typing


# -- reading -------------------------------------------------------------------------------------

@pytest.mark.parametrize("spelling", ["kron(A, B)", r"A \otimes B", "A ⊗ B", r"\left(A \otimes B\right)",
                                      "kron(A,B)", "{A} \\otimes {B}"])
def test_the_spellings_of_the_kronecker_product_read_alike(spelling):
    tree = parse(spelling).lhs
    assert tree.op == "kron" and [a.value for a in tree.args] == ["A", "B"]


def test_otimes_binds_as_the_elementwise_product_does():
    """⊗ is looser than a product and tighter than a sum, as matcalc prints it: A ⊗ B C is
    A ⊗ (B C), and (A ⊗ B) C needs its parentheses."""
    assert parse("A ⊗ B C").lhs == parse("kron(A, B C)").lhs
    assert parse("A B ⊗ C").lhs == parse("kron(A B, C)").lhs
    assert parse("A ⊗ B + C").lhs.op == "add"
    assert parse("(A ⊗ B) C").lhs.op == "mul"
    assert parse("A ⊗ B ⊗ C").lhs == parse("kron(kron(A, B), C)").lhs


@pytest.mark.parametrize("written, sizes", [
    ("K_{mn}", (("m",), ("n",))), ("Kₘₙ", (("m",), ("n",))), ("K_{m,d13}", (("m",), ("d13",))),
    ("K_{(mn)p}", (("m", "n"), ("p",))), ("K_{q,(m,d13)}", (("q",), ("m", "d13"))), ("K_{nn}", (("n",), ("n",))),
])
def test_the_forms_of_k_that_matcalc_prints(written, sizes):
    assert commutation_sizes(written) == sizes
    assert parse(written).lhs.op == "commutation"


@pytest.mark.parametrize("name", ["K", "K_1", "K_{m}", "K_m", "K_{12}"])
def test_k_with_one_subscript_stays_a_name(name):
    assert parse(name).lhs.op == "name"


def test_vec_is_a_function_word():
    for spelling in ("vec(X)", r"\operatorname{vec}(X)", r"\mathrm{vec}(X)", "vec X"):
        tree = parse(spelling).lhs
        assert (tree.op, tree.value) == ("call", "vec"), spelling
    assert parse("d vec(X^T)/d vec(X)").lhs.wrt == "X"  # the Jacobian's own vec is read as before
    with pytest.raises(MatcalcError, match="unknown word 'vecs'"):
        parse("vecs(X)")


# -- kinds: product dimensions --------------------------------------------------------------------

def test_shapes_are_products_of_dimensions():
    assert typed("kron(A, B)")[0].shape == (("m", "p"), ("n", "q"))  # A m×n, B p×q: mp × nq
    assert typed("vec(X)")[0].shape == (("n", "m"), 1)                 # vec(X) stacks n columns of m
    assert typed("vec(x)")[0].shape == ("m", 1)                        # a column is its own vec
    assert typed("kron(a, b^T)")[0].shape == ("m", "n")                # a ⊗ bᵀ = a bᵀ
    assert typed("K_{mn}")[0].shape == (("m", "n"), ("n", "m"))


def test_the_letters_of_k_name_the_sizes_they_multiply():
    e, typing = typed("K_{mn} vec(X)")
    assert typing.shapes["X"] == ("m", "n") and e.shape == (("m", "n"), 1)
    _, typing = typed("K_{nm} vec(X)")
    assert typing.shapes["X"] == ("n", "m")  # the letters are the names: here X is n×m
    _, typing = typed("A vec(X)")
    assert typing.shapes["A"] == ("m", ("n", "p")) and typing.shapes["X"] == ("p", "n")  # A is m × np


def test_a_product_of_sizes_is_matched_factor_by_factor():
    # (I ⊗ K_{qm} ⊗ I)(I ⊗ vec A): each I takes the size that makes the product chain
    e, typing = typed("kron(kron(I, K_{qm}), I) kron(I, vec(A))")
    rows, columns = typing.shapes["A"]  # A: the p×q of Magnus and Neudecker's Theorem 3.10
    first = e.shape[1][0]                # the first I: X's n
    assert columns == "q" and e.shape == ((first, "q", "m", rows), (first, "m"))


@pytest.mark.parametrize("source, message", [
    ("K_{mn}^T + K_{mn}", "cannot add"),                      # two letters are two sizes, never one
    ("vec(X)^T K_{mn} vec(X)", "inner dimensions differ"),    # X m×n on the right, n×m on the left
    ("kron(A, B) + A", "cannot add"),
])
def test_sizes_that_do_not_fit_are_refused(source, message):
    with pytest.raises(MatcalcError, match=message):
        matcalc.diff(source, "A" if "A" in source else "X")


# -- identities: verify decides them ---------------------------------------------------------------

TRUE = [
    "kron(A, B)^T = kron(A^T, B^T)",
    r"(A \otimes B)^{-1} = A^{-1} \otimes B^{-1}",
    "kron(A, B) kron(C, D) = kron(A C, B D)",
    "vec(A X B) = kron(B^T, A) vec(X)",
    "tr(kron(A, B)) = tr(A) tr(B)",
    "vec(X)^T vec(Y) = tr(X^T Y)",
    "kron(a, b^T) = a b^T",
    "vec(x^T) = x",
    "K_{mn} vec(X) = vec(X^T)",
    "K_{nm} K_{mn} = I",
    "K_{mn}^T = K_{nm}",
    "K_{pm} kron(A, B) K_{nq} = kron(B, A)",
    "d vec(X^T)/d vec(X) = K_{mn}",
    "d vec(X)/d vec(X) = I",
    r"\frac{\partial \operatorname{vec}(X)}{\partial \operatorname{vec}(X)} = I",
    "d vec(X ⊗ A)/d vec(X) = kron(kron(I, K_{qm}), I) kron(I, vec(A))",
]
FALSE = [
    "kron(A, B)^T = kron(B^T, A^T)",
    "kron(A, B) = kron(B, A)",
    "vec(A X B) = kron(B, A) vec(X)",
    "K_{mn} vec(X) = vec(X)",
    "K_{mn}^T = K_{mn}",
    "d vec(X^T)/d vec(X) = I",
    "d vec(X ⊗ A)/d vec(X) = kron(kron(I, K_{qm}), I) kron(vec(A), I)",
]


@pytest.mark.parametrize("identity", TRUE)
def test_true_identities_hold(identity):
    assert matcalc.verify(identity)


@pytest.mark.parametrize("identity", FALSE)
def test_false_identities_do_not_hold(identity):
    try:
        verdict = matcalc.verify(identity)
    except MatcalcError as e:  # sides of different shapes
        assert "cannot be equal" in e.message or "differ" in e.message, e.message
        return
    assert not verdict, verdict


def test_numbers_of_kron_vec_and_k():
    """Evaluated with NumPy's kron, Fortran-order vec and K from its definition."""
    from matcalc.calculus.sizes import size_of

    rng = np.random.default_rng(13)
    e, typing = typed("K_{mn} kron(A, B) vec(C)")
    sizes = dict(zip(sorted({d for shape in typing.shapes.values() for d in shape if isinstance(d, str)}),
                     (2, 3, 4, 5, 6, 7)))
    values = {name: rng.standard_normal([size_of(d, sizes) for d in shape]) for name, shape in typing.shapes.items()}
    a, b, c = values["A"], values["B"], values["C"]
    want = commutation(sizes["m"], sizes["n"]) @ np.kron(a, b) @ vec(c)
    got = numeric.evaluate(e, values, sizes)
    assert got.shape == (want.size, 1) and np.allclose(got.ravel(), want)


# -- derivatives of typed inputs, by finite differences ---------------------------------------------

def _kron_of_x_and_a(v):
    """∂vec(X ⊗ A)/∂vec(X) = (I_n ⊗ K_{qm} ⊗ I_p)(I_{mn} ⊗ vec A), X m×n and A p×q
    (Magnus and Neudecker, Theorem 3.10)."""
    (m, n), (p, q) = v["X"].shape, v["A"].shape
    spread = np.kron(np.kron(np.eye(n), commutation(q, m)), np.eye(p))
    return spread @ np.kron(np.eye(m * n), vec(v["A"])[:, None])


def _kron_of_a_and_x(v):
    (p, q), (m, n) = v["A"].shape, v["X"].shape
    spread = np.kron(np.kron(np.eye(q), commutation(n, p)), np.eye(m))
    return spread @ np.kron(vec(v["A"])[:, None], np.eye(m * n))


def _outer_of_vec(v):
    """vec(X) vec(X)ᵀ: d vec(v vᵀ) = (v ⊗ I + I ⊗ v) dv, v = vec(X)."""
    x = vec(v["X"])[:, None]
    eye = np.eye(x.shape[0])
    return np.kron(x, eye) + np.kron(eye, x)


JACOBIANS = [  # (input, wrt, declared, formula in NumPy or None)
    ("kron(X, A)", "X", None, _kron_of_x_and_a),
    (r"X \otimes A", "X", None, _kron_of_x_and_a),
    ("X ⊗ A", "X", None, _kron_of_x_and_a),
    ("kron(A, X)", "X", None, _kron_of_a_and_x),
    ("vec(X) vec(X)^T", "X", None, _outer_of_vec),
    ("kron(X^T, X)", "X", None, None),
    ("kron(X, X) + kron(A, X^T)", "X", None, None),
    ("vec(X)", "X", None, lambda v: np.eye(v["X"].size)),
    ("vec(A X B)", "X", None, lambda v: np.kron(v["B"].T, v["A"])),
    ("K_{mn} vec(X)", "X", None, lambda v: commutation(*v["X"].shape)),
    ("kron(A, B) vec(X)", "X", None, lambda v: np.kron(v["A"], v["B"])),
    ("kron(x, A)", "x", {"x": "vector"},  # Theorem 3.10 with X = x, n×1: (K_{qn} ⊗ I_p)(I_n ⊗ vec A)
     lambda v: np.kron(commutation(v["A"].shape[1], len(v["x"])), np.eye(v["A"].shape[0]))
     @ np.kron(np.eye(len(v["x"])), vec(v["A"])[:, None])),
    ("vec(exp(X))", "X", None, lambda v: np.diag(vec(np.exp(v["X"])))),
    # K_{pm}(A ⊗ B) = (B ⊗ A) K_{qn} only for K's own sizes: a K of other sizes before a ⊗ stays
    ("kron(A, x)^T kron(B, x)", "x", {"x": "vector"}, None),
    ("y^T kron(A, x)", "x", {"x": "vector", "y": "vector"}, None),  # y has m·p entries
    ("A vec(x y^T)", "x", {"x": "vector", "y": "vector"}, lambda v: v["A"] @ np.kron(v["y"][:, None], np.eye(len(v["x"])))),
]


@pytest.mark.parametrize("source, wrt, declared, formula", JACOBIANS, ids=[c[0] for c in JACOBIANS])
def test_jacobians_of_typed_input(source, wrt, declared, formula):
    jac(source, wrt, declared, expected=formula)


def test_the_sizes_of_the_data_are_distinct():
    g = matcalc.diff("X ⊗ A", "X")
    values, sizes = instance(g, 0)
    assert values["X"].shape[0] != values["X"].shape[1] and values["A"].shape[0] != values["A"].shape[1]
    assert len({values["X"].shape, values["A"].shape}) == 2


# -- the typed Jacobians of X ⊗ A and vec(X) vec(X)ᵀ in every format ---------------------------------

EVERY_FORMAT = [("X ⊗ A", "X", "(I ⊗ K_(qm) ⊗ I) (I ⊗ vec(A))"),
                (r"kron(X, A)", "X", "(I ⊗ K_(qm) ⊗ I) (I ⊗ vec(A))"),
                ("vec(X) vec(X)^T", "X", "vec(X) ⊗ I + I ⊗ vec(X)")]


def _run(*args):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    return result


@pytest.mark.parametrize("source, wrt, shown", EVERY_FORMAT, ids=[c[0] for c in EVERY_FORMAT])
def test_every_format(source, wrt, shown):
    from matcalc.formats.python_code import python_code
    from test_python_derivatives import run_module

    g = matcalc.diff(source, wrt)
    assert g.unicode == shown
    assert shown in _run("diff", source, wrt, "-f", "pretty").stdout
    for fmt in ("text", "latex"):  # each line reads back and holds, by finite differences of its input
        line = _run("diff", source, wrt, "-f", fmt).stdout.strip()
        assert line == gradient_line(g, fmt)
        assert matcalc.verify(line), line
    text = gradient_line(g, "text")
    assert gradient_line(matcalc.diff(g.lhs("text")), "text") == text  # its left-hand side gives it again
    assert json.loads(_run("diff", source, wrt, "-f", "json").stdout)["result"]["text"] == g.text
    assert "ok" in _run("diff", source, wrt, "-f", "text", "--check").stderr
    for seed in (0, 1):  # the NumPy line, evaluated, against matcalc's evaluation and finite differences
        values, sizes = instance(g, seed)
        env = {"np": np, **{s.name: numpy_habit(values[s.name], s) for s in free_symbols(g.written)}}
        got = np.asarray(eval(g.numpy, env), dtype=float)  # noqa: S307 - our own generated code
        want = numeric.finite_difference_jacobian(g.written, g.variable, values, sizes)
        assert got.shape == want.shape and numeric.relative_error(got, want) < 1e-6, g.numpy
    module = run_module(python_code([g]))  # -f python: the module checks itself
    assert module["check_jacobian"]() < 1e-5
    assert {type(n) for n in postorder(g.result)} & {Kron, Vec, Commutation}


# -- gradients and Hessians of scalars holding vec and ⊗ ----------------------------------------------

GRADIENTS = [  # (input, wrt, shown, formula in NumPy): ⟨vec(S), vec(dX)⟩ = ⟨S, dX⟩, ⟨P ⊗ Q, A ⊗ dB⟩ = ⟨P, A⟩⟨Q, dB⟩
    ("vec(X)^T vec(X)", "X", "2 X", lambda v: 2 * v["X"]),
    ("vec(Y)^T vec(A X B)", "X", "Aᵀ Y Bᵀ", lambda v: v["A"].T @ v["Y"] @ v["B"].T),
    ("vec(X)^T kron(A, B) vec(X)", "X", "B X Aᵀ + Bᵀ X A",
     lambda v: v["B"] @ v["X"] @ v["A"].T + v["B"].T @ v["X"] @ v["A"]),
    ("sum(vec(X))", "X", "𝟏", lambda v: np.ones_like(v["X"])),
    ("tr(kron(A, X))", "X", "tr(A) I", lambda v: np.trace(v["A"]) * np.eye(len(v["X"]))),
    ("tr(kron(X, X))", "X", "2 tr(X) I", lambda v: 2 * np.trace(v["X"]) * np.eye(len(v["X"]))),
    ("tr(kron(A, B)^T kron(C, X))", "X", "tr(Aᵀ C) B", lambda v: np.trace(v["A"].T @ v["C"]) * v["B"]),
]


@pytest.mark.parametrize("source, wrt, shown, formula", GRADIENTS, ids=[c[0] for c in GRADIENTS])
def test_gradients_through_vec_and_kron(source, wrt, shown, formula):
    from test_jacobian import fd_jacobian
    from oracle import written_forms

    g = matcalc.diff(source, wrt)
    assert g.unicode == shown
    for seed in (0, 1):
        values, sizes = instance(g, seed)
        got = numeric.evaluate(g.result, values, sizes)
        want = fd_jacobian(g.written, wrt, values, sizes).reshape(got.shape, order="F")  # ∂f/∂vec(X), as X
        assert numeric.relative_error(got, want) < 1e-6
        env = {form: numpy_habit(values[s.name], s) for s in free_symbols(g.written) for form in written_forms(s.name)}
        assert numeric.relative_error(got, np.asarray(formula(env), dtype=float).reshape(got.shape)) < 1e-6


@pytest.mark.parametrize("source, formula", [
    ("vec(X)^T vec(X)", lambda v: 2 * np.eye(v["X"].size)),
    ("vec(X)^T kron(A, B) vec(X)", lambda v: np.kron(v["A"], v["B"]) + np.kron(v["A"].T, v["B"].T)),
    ("tr(kron(X, X))", lambda v: 2 * np.outer(vec(np.eye(len(v["X"]))), vec(np.eye(len(v["X"]))))),
])
def test_hessians_through_vec_and_kron(source, formula):
    from test_jacobian import hess

    hess(source, "X", expected=formula)


@pytest.mark.parametrize("source, form", [
    ("vec(X)^T A vec(X)", "[A₍ₗₖ₎ₐ vec(X)ₐ + vec(X)ₐ Aₐ₍ₗₖ₎]ₖₗ"),  # the X with vec(X) = (A + Aᵀ) vec(X), entry by entry
    ("a^T kron(X, B) c", "[a₍ₖₐ₎ c₍ₗₑ₎ Bₐₑ]ₖₗ"),                 # = vec(Â)ᵀ (X ⊗ B) vec(Ĉ), Â with vec(Â) = a
    ("tr(kron(X, B) C)", "[C₍ₗₐ₎₍ₖₑ₎ Bₑₐ]ₖₗ"),                   # the blocks of C
])
def test_gradients_matrices_cannot_write_come_in_index_notation(source, form):
    """Once refused (unvec, the blocks of a Kronecker product); now entry by entry (rule einstein),
    checked against finite differences here and in test_vec_kron_index.py."""
    from oracle import assert_gradient

    g = assert_gradient(source, "X")
    assert g.unicode == form and "np.einsum(" in g.numpy


def test_a_jacobian_of_an_input_holding_vec_reads_back():
    """d(f)/dx is the form for an f written with vec: only d vec(F)/… wraps f in vec itself."""
    g = matcalc.diff("A vec(x y^T)", "x", {"x": "vector", "y": "vector"})
    line = gradient_line(g, "text")
    assert line == "d/dx (A vec(x y^T)) = A kron(y, I)"
    assert matcalc.verify(line, {"x": "vector", "y": "vector"})


def test_python_modules_read_a_size_that_is_a_product_off_its_factors():
    """y of length m·n beside A m×p and x of length n: the module checks len(y) == m * n."""
    from matcalc.formats.python_code import python_code
    from test_python_derivatives import run_module

    g = matcalc.diff("y^T kron(A, x)", "x", {"x": "vector", "y": "vector"})
    code = python_code([g])
    assert "y vector of length (m·n)" in code and "np.shape(y) == ((m * n),)" in code
    namespace = run_module(code)
    assert namespace["check_jacobian"]() < 1e-5
    with pytest.raises(AssertionError, match="y should be a vector of length 6"):
        namespace["f_and_jacobian"](A=np.ones((2, 5)), x=np.ones(3), y=np.ones(7))


# -- gradients through A ⊗ B between two vecs: vec(X)ᵀ (A ⊗ B) vec(Y) = tr(Xᵀ B Y Aᵀ) ----------------

KRON_GRADIENTS = [  # A 3×4, B 2×5, X 2×3 (vec of length mp), Y 5×4 (vec of length qn)
    ("vec(X)^T (A \\otimes B) vec(Y)", "A", "X^T B Y"),
    ("vec(X)^T kron(A, B) vec(Y)", "B", "X A Y^T"),
    ("vec(X)^T kron(A, B) vec((y^T y) Y)", "A", None),
]


@pytest.mark.parametrize("written,wrt,form", KRON_GRADIENTS, ids=[f"{k[0]} by {k[1]}" for k in KRON_GRADIENTS])
def test_gradient_through_a_kronecker_product_between_vecs(written, wrt, form):
    rng = np.random.default_rng(41)
    v = {"A": rng.standard_normal((3, 4)), "B": rng.standard_normal((2, 5)), "X": rng.standard_normal((2, 3)),
         "Y": rng.standard_normal((5, 4)), "y": rng.standard_normal(3)}

    def f(w):
        u = {**v, wrt: w}
        scale = u["y"] @ u["y"] if "y^T y" in written else 1.0
        return vec(u["X"]) @ np.kron(u["A"], u["B"]) @ (scale * vec(u["Y"]))

    g = matcalc.diff(written, wrt, declared={"y": "vector"} if "y^T" in written else None)
    got = np.asarray(eval(g.numpy, {"np": np}, dict(v)), dtype=float)  # noqa: S307 - matcalc's own output
    want = np.zeros_like(v[wrt])
    for idx in np.ndindex(want.shape):
        e = np.zeros_like(v[wrt])
        e[idx] = 1e-6
        want[idx] = (f(v[wrt] + e) - f(v[wrt] - e)) / 2e-6
    assert np.allclose(got, want, atol=1e-6), (g.text, got, want)
    if form:
        assert g.text == form

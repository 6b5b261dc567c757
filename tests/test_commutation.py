"""The commutation matrix K_{mn} (issue 14): its rules, each checked on numbers; its forms in
every style; and the derivations that cite it, every step evaluated numerically.

K_{mn} is built here from its definition (K vec(A) = vec(Aᵀ)), independently of matcalc, and
compared with what matcalc evaluates, prints as NumPy, and simplifies."""
from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc import api
from matcalc.calculus import kronecker as kr
from matcalc.calculus.expr import Commutation, Identity, Kron, Sym, Vec
from matcalc.derivations.rules import BY_ID
from matcalc.derivations.steps import derive
from matcalc.formats import render
from matcalc.formats.numpy_code import to_numpy
from matcalc.numeric import evaluation as numeric
from test_jacobian import commutation, vec
from test_jacobian_steps import check_steps

SIZES = {"m": 3, "n": 4, "p": 2, "q": 5}
rng = np.random.default_rng(14)


def value(e, values=None):
    return numeric.evaluate(e, values or {}, SIZES)


def matrix(name, rows, columns):
    return Sym(name, (rows, columns), False)


def test_the_definition_k_vec_a_is_vec_a_transposed():
    a = rng.standard_normal((3, 4))
    k = value(kr.commutation("m", "n"))
    assert np.array_equal(k, commutation(3, 4))
    assert np.allclose(k @ vec(a), vec(a.T))
    assert kr.commutation("m", "n").shape == (("m", "n"), ("n", "m"))


def test_transpose_and_inverse():
    k_mn = kr.commutation("m", "n")
    assert kr.transpose(k_mn) == kr.commutation("n", "m")
    assert np.allclose(value(kr.transpose(k_mn)), value(k_mn).T)
    assert kr.times(kr.commutation("n", "m"), k_mn) == Identity(("n", "m"))  # K_{nm} K_{mn} = I
    assert np.allclose(value(kr.commutation("n", "m")) @ value(k_mn), np.eye(12))


def test_k_with_a_size_one_is_the_identity():
    assert kr.commutation(1, "n") == Identity("n") and kr.commutation("n", 1) == Identity("n")


def test_k_moves_kronecker_factors():
    a, b = matrix("A", "m", "n"), matrix("B", "p", "q")
    values = {"A": rng.standard_normal((3, 4)), "B": rng.standard_normal((2, 5))}
    # K_{pm} (A ⊗ B) K_{nq} = B ⊗ A
    swapped = kr.times(kr.commutation("p", "m"), kr.kron(a, b), kr.commutation("n", "q"))
    assert swapped == Kron(b, a)
    want = commutation(2, 3) @ np.kron(values["A"], values["B"]) @ commutation(4, 5)
    assert np.allclose(want, np.kron(values["B"], values["A"]))
    # K_{pm} (A ⊗ B) = (B ⊗ A) K_{qn}: K goes to the right
    moved = kr.times(kr.commutation("p", "m"), kr.kron(a, b))
    assert moved.factors == (Kron(b, a), Commutation("q", "n"))
    assert np.allclose(value(moved, values), commutation(2, 3) @ np.kron(values["A"], values["B"]))


def test_k_times_vec_is_vec_of_the_transpose():
    a = matrix("A", "m", "n")
    e = kr.times(kr.commutation("m", "n"), Vec(a))
    assert e == Vec(kr.transpose(a))
    values = {"A": rng.standard_normal((3, 4))}
    assert np.allclose(value(e, values), commutation(3, 4) @ vec(values["A"])[:, None])


def test_mixed_product():
    a, b, c, d = matrix("A", "m", "n"), matrix("B", "p", "q"), matrix("C", "n", "m"), matrix("D", "q", "p")
    e = kr.times(kr.kron(a, b), kr.kron(c, d))  # (A ⊗ B)(C ⊗ D) = AC ⊗ BD
    assert e == Kron(kr.times(a, c), kr.times(b, d))
    values = {n: rng.standard_normal(s) for n, s in (("A", (3, 4)), ("B", (2, 5)), ("C", (4, 3)), ("D", (5, 2)))}
    assert np.allclose(value(e, values), np.kron(values["A"], values["B"]) @ np.kron(values["C"], values["D"]))


def test_rendering_with_symbolic_sizes():
    k = kr.commutation("m", "n")
    assert render.render(k, render.TEXT) == "K_{mn}"
    assert render.render(k, render.UNICODE) == "Kₘₙ"
    assert render.render(k, render.LATEX) == "K_{mn}"
    assert render.render(kr.commutation("p", "q"), render.UNICODE) == "K_(pq)"  # no subscript q in Unicode, and no LaTeX braces
    assert render.render(kr.commutation("m", "d13"), render.TEXT) == "K_{m,d13}"


def test_numpy_form_runs():
    x = matrix("X", "m", "n")
    code = to_numpy(kr.commutation("m", "n"), x)
    got = eval(code, {"np": np, "X": np.zeros((3, 4))})  # noqa: S307 - our own generated code
    assert np.array_equal(got, commutation(3, 4))


@pytest.mark.parametrize("source, wrt, command", [
    ("X^T", "X", "diff"), ("X^T X", "X", "diff"), ("A X^T B", "X", "diff"), ("X^{-T}", "X", "diff"),
    ("X A X^T", "X", "diff"), (r"\log|X|", "X", "hessian"), ("det(X)", "X", "hessian"),
    ("tr(X A X)", "X", "hessian"), (r"\|X^T X - I\|_F^2", "X", "hessian"), ("tr(X^{-1})", "X", "hessian"),
])
def test_steps_cite_commutation_and_every_step_is_an_equality(source, wrt, command):
    g = api.hessian(source, wrt) if command == "hessian" else matcalc.diff(source, wrt)
    d = derive(g)
    assert "commutation" in d.rules
    i = d.rules.index("commutation")
    assert d.rules[i - 1] == "vec"
    step = next(s for s in d.steps if s.rule == "commutation")
    assert "vec(dX)" in render.render(step.expr, render.UNICODE)
    before = d.steps[d.steps.index(step) - 1]
    assert "vec(dXᵀ)" in render.render(before.expr, render.UNICODE)
    for seed in (0, 1):
        check_steps(d, seed, positive="log" in source)


def test_the_rule_and_its_demo():
    rule = BY_ID["commutation"]
    assert "Kₘₙ vec(A) = vec(Aᵀ)" in rule.statement  # Unicode subscripts (issue 17)
    expr, wrt = rule.demo
    assert "commutation" in derive(matcalc.diff(expr, wrt)).rules


def test_a_hessian_in_index_form():
    """The gradient diag(x) diag(X)ᵀ y + ... holds diag(X): its Jacobian entry by entry (rule einstein)."""
    from test_jacobian import hess

    g = hess("x^T diag(X) diag(X)^T y", "X")
    assert g.unicode == "[δᵢⱼ xᵢ yₖ δₖₗ + δᵢⱼ yᵢ xₖ δₖₗ]ᵢⱼ,ₖₗ"
    assert g.numpy.count("np.einsum(") == 2
    from test_python_derivatives import run_module
    from matcalc.formats.python_code import python_code

    assert run_module(python_code([g]))["check_hessian"]() < 1e-5


# -- the same rules in simplify and verify (canonical forms) -------------------------------------

def _canonical_cases():
    from matcalc.calculus.expr import MatMul, Transpose

    a, b, x = matrix("A", "m", "n"), matrix("B", "p", "q"), matrix("X", "m", "n")
    k = Commutation
    return [  # (as written, canonical form)
        (MatMul((k("p", "m"), Kron(a, b), k("n", "q"))), Kron(b, a)),         # K(A ⊗ B)K = B ⊗ A
        (MatMul((k("n", "m"), k("m", "n"))), Identity(("n", "m"))),            # K_{nm} K_{mn} = I
        (Transpose(k("m", "n")), k("n", "m")),                                   # K_{mn}ᵀ = K_{nm}
        (MatMul((k("m", "n"), Vec(x))), Vec(Transpose(x))),                      # K vec(X) = vec(Xᵀ)
        (k(1, "n"), Identity("n")),                                              # K_{1n} = I
        (MatMul((k("p", "m"), Kron(a, b))), MatMul((Kron(b, a), k("q", "n")))),  # K to the right
    ]


@pytest.mark.parametrize("written, simplest", _canonical_cases(), ids=lambda e: render.render(e, render.TEXT))
def test_canonical_forms_apply_the_rules(written, simplest):
    from matcalc.calculus.canonical import canonical
    from matcalc.calculus.expr import free_symbols

    assert canonical(written) == simplest
    values = {s.name: rng.standard_normal([SIZES[d] if d != 1 else 1 for d in s.shape])
              for s in free_symbols(written)}
    assert np.allclose(value(written, values), value(simplest, values))  # each an identity


def test_simplify_chains_cite_commutation():
    from matcalc.calculus.canonical import ALL
    from matcalc.derivations.chains import to_canonical

    written, simplest = _canonical_cases()[0]
    steps = to_canonical(written, ALL)
    assert "commutation" in [s.rule for s in steps] and steps[-1].expr == simplest


# -- every format, from the command line --------------------------------------------------------

def _k_cases():
    from test_jacobian import EINSTEIN, HESSIANS, KRONECKER

    out = [("diff", e, w) for e, w, _, shown, _ in KRONECKER if shown and "K" in shown]
    out += [("hessian", e, w) for e, w, _, shown, _ in HESSIANS if e in (
        "tr(X A X)", "tr(X^{-1})", "tr(X^2)", r"\log|X|", "|X|", r"\log|X^T A X|", r"\|X^T X - I\|_F^2",
        "tr((X^T X)^{-1})")]
    return out + [("diff", e, w) for e, w, d, _, _ in EINSTEIN if d is None]


@pytest.mark.parametrize("command, source, wrt", _k_cases(), ids=lambda c: str(c))
def test_every_format(command, source, wrt):
    import json

    from typer.testing import CliRunner

    from matcalc.cli.app import app
    from matcalc.calculus.expr import free_symbols
    from oracle import numpy_habit
    from test_jacobian import instance

    def run(fmt, *more):
        result = CliRunner().invoke(app, [command, source, wrt, "-f", fmt, *more])
        assert result.exit_code == 0 and "Traceback" not in result.output, result.output
        return result.stdout

    g = api.hessian(source, wrt) if command == "hessian" else matcalc.diff(source, wrt)
    index_form = g.text.startswith("[")
    assert ("K_{" in run("text")) != index_form and ("K_{" in run("latex")) != index_form
    assert run("text").rstrip("\n").endswith(" = " + g.text) and run("latex").rstrip("\n").endswith(" = " + g.latex)
    assert json.loads(run("json"))["result"]["text"] == g.text
    assert "ok" in CliRunner().invoke(app, [command, source, wrt, "-f", "text", "--check"]).stderr
    code = run("numpy").strip()
    values, sizes = instance(g, 0, positive="log" in source)
    env = {"np": np, **{s.name: numpy_habit(values[s.name], s) for s in free_symbols(g.written)}}
    got = np.asarray(eval(code, env), dtype=float)  # noqa: S307 - our own generated code
    want = numeric.evaluate(g.result, values, sizes)
    assert got.shape == want.shape and np.allclose(got, want), code


# -- X ⊗ A and vec(X) vec(X)ᵀ: the engine is ready, the input words are not yet --------------------

def _built_cases():
    from matcalc.calculus.expr import MatMul, Transpose

    x, a = matrix("X", "m", "n"), matrix("A", "p", "q")
    return [  # (the expression, built as kron(X, A) and vec(X) vec(X)^T would read, its Jacobian)
        (Kron(x, a), "(I ⊗ K_(qm) ⊗ I) (I ⊗ vec(A))"),  # vec(X ⊗ A), Magnus and Neudecker Theorem 3.10
        (Kron(a, x), "(I ⊗ Kₙₚ ⊗ I) (vec(A) ⊗ I)"),
        (MatMul((Vec(x), Transpose(Vec(x)))), "vec(X) ⊗ I + I ⊗ vec(X)"),
        (Kron(Transpose(x), x), None),
    ]


@pytest.mark.parametrize("f, shown", _built_cases(), ids=lambda c: str(c)[:40])
def test_jacobians_of_kronecker_products_and_vec(f, shown):
    from matcalc.calculus import jacobian
    from matcalc.calculus.expr import free_symbols

    x = matrix("X", "m", "n")
    j = jacobian.jacobian(f, x)
    if shown:
        assert render.render(j, render.UNICODE) == shown
    for seed in (0, 1):
        r = np.random.default_rng(seed)
        values = {s.name: r.standard_normal([SIZES[d] for d in s.shape]) for s in free_symbols(f)}
        want = numeric.finite_difference_jacobian(f, x, values, SIZES)
        got = value(j, values)
        assert got.shape == want.shape and numeric.relative_error(got, want) < 1e-6
        code = to_numpy(j, f)
        env = {"np": np, **values}
        assert np.allclose(eval(code, env), got), code  # noqa: S307 - our own generated code


@pytest.mark.parametrize("source", ["kron(X, A)", "X \\otimes A", "vec(X) vec(X)^T"])
def test_kronecker_and_vec_input(source):
    from test_jacobian import jac

    jac(source, "X")

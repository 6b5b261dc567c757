"""numeric/dense.py, the pure-Python numbers of `--check` (issue 16): the same values as numpy on
every expression of the test corpora, the same nan and inf where functions leave their domain,
and the same verdicts, "FAILED" and "could not check" included, without importing numpy.

numpy is the reference here (tests/evaluator.py stays the independent oracle of the other tests,
on numpy: nothing checks a derivative against dense alone)."""
from __future__ import annotations

import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

import matcalc
import ml_cases
import test_check
import test_jacobian
import test_papers
import test_sympy_suite
import test_vec_kron_index
from matcalc import api
from matcalc.calculus import algebra, functions
from matcalc.calculus.expr import IndexForm, free_symbols, postorder
from matcalc.numeric import check, dense
from matcalc.numeric import evaluation as numeric

AGREE = 1e-12  # relative to the largest entry (at least 1): rounding, not a different formula


def as_numpy(values: dict) -> dict:
    return {name: np.array(v.tolist()) for name, v in values.items()}


def agree(a, b, condition: float = 1.0) -> bool:
    """Two values of one node: the same shape, nan and ±inf in the same places, and the finite
    entries equal to AGREE times the condition number of what was inverted on the way."""
    a, b = np.asarray(a.tolist() if isinstance(a, dense.Matrix) else a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    if not (np.array_equal(np.isnan(a), np.isnan(b)) and np.array_equal(np.isinf(a), np.isinf(b))
            and np.array_equal(a[np.isinf(a)], b[np.isinf(b)])):
        return False
    finite = np.isfinite(a)
    if not finite.any():
        return True
    scale = max(1.0, float(np.max(np.abs(a[finite]))), float(np.max(np.abs(b[finite]))))
    return float(np.max(np.abs(a[finite] - b[finite]))) <= AGREE * condition * scale


def condition(values: dict) -> float:
    """The worst condition number among the square matrices of an evaluation (at least 1)."""
    return max([1.0] + [float(np.linalg.cond(v)) for v in values.values()
                        if v.shape[0] == v.shape[1] > 1 and np.all(np.isfinite(v))])


# -- the corpora: every input of test_check (cookbook, seed, ML), the papers, the SymPy suite, the
# vec/⊗ and Hessian cases, as (id, expr, wrt, declared, kind)

def _corpus():
    out = list(test_check.CORPUS)
    out += [(f"paper {i}", p[0], p[1], None, "gradient") for i, p in enumerate(test_papers.PAPERS)]
    out += [(c[0], c[1], c[2], None, "gradient") for c in test_sympy_suite.GRADIENTS + test_sympy_suite.JACOBIANS]
    out += [(c[0], c[0], c[1], None, "gradient") for c in test_vec_kron_index.CASES]
    out += [(c[0], c[0], c[1], None, "hessian") for c in test_vec_kron_index.HESSIANS + test_jacobian.HESSIANS]
    seen, unique = set(), []
    for case in out:
        key = (case[1], case[2], repr(case[3]), case[4])
        if key not in seen:
            seen.add(key)
            unique.append(case)
    return unique


CORPUS = _corpus()


def result_of(case):
    _, expr, wrt, declare, kind = case
    return (api.hessian if kind == "hessian" else matcalc.diff)(expr, wrt, declared=declare)


@pytest.mark.parametrize("case", CORPUS, ids=[f"{c[4]} {c[1]}" for c in CORPUS])
def test_dense_and_numpy_agree_on_every_node_of_the_corpus(case):
    g = result_of(case)
    forms = [g.written] + [g.result] * (not any(isinstance(n, IndexForm) for n in postorder(g.result)))
    symbols = free_symbols(g.written)
    compared = 0
    for seed, positive in ((0, False), (1, True)):
        try:
            values, sizes = numeric.random_instance(symbols, dense.Random(seed), positive, within=forms, np=dense)
        except numeric.Singular:
            continue
        with np.errstate(all="ignore"):
            for e in forms:
                try:
                    mine = numeric.values_of(e, values, sizes, np=dense)
                except dense.LinAlgError:
                    with pytest.raises(np.linalg.LinAlgError):
                        numeric.values_of(e, as_numpy(values), sizes)
                    continue
                reference = numeric.values_of(e, as_numpy(values), sizes)
                kappa = condition(reference)
                for node, value in reference.items():
                    assert agree(mine[node], value, kappa), (node, mine[node], value)
                    compared += 1
                assert numeric.unusable(e, values, sizes, np=dense) == numeric.unusable(e, as_numpy(values), sizes)
    assert compared


def test_the_corpus_is_large_and_mostly_checked_without_numpy():
    """The comparison above covers the inputs --check meets; ordinary ones are computed by dense."""
    assert len(CORPUS) >= 300
    chosen = [check.backend((g.written, g.result), free_symbols(g.written), g.variable, getattr(g, "kind", "gradient"))
              for g in map(result_of, test_check.CORPUS)]
    assert sum(b is dense for b in chosen) >= 0.95 * len(chosen)


def test_numpy_is_taken_once_dense_has_cost_more_than_its_import():
    """numpy's import is paid once a process: a batch's checks take numpy once the earlier ones
    have taken that much longer with dense (check.backend's `overrun_so_far`)."""
    g = matcalc.diff("tr(ABA^TC)", "A")
    how = ((g.written, g.result), free_symbols(g.written), g.variable, "gradient")
    assert 0 < check.overrun(*how) < check.NUMPY_IMPORT_SECONDS
    assert check.backend(*how) is dense
    assert check.backend(*how, check.NUMPY_IMPORT_SECONDS) is np


def test_a_batch_of_checks_loads_numpy_once_it_pays():
    lines = "".join(f"tr(A X B) + {k} tr(X^T C X)\n" for k in range(1, 61))
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "matcalc", "diff", "-", "X", "--check"],
                         input=lines, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stderr.count("against finite differences: ok") == 60
    assert any(line.endswith("| numpy") for line in run.stderr.splitlines())


# -- functions outside their domain, and linear algebra ------------------------------------------

EDGES = [[-2.0, -1.0, -0.5, 0.0, 0.5], [1.0, 2.0, 710.0, -710.0, 1e-300], [math.inf, -math.inf, math.nan, 3.0, -3.0]]


@pytest.mark.parametrize("f", functions.TABLE, ids=[f.name for f in functions.TABLE])
def test_every_function_of_the_table_agrees_with_numpy_in_and_out_of_its_domain(f):
    if f.shape == "square":
        x = [[2.0, 0.3, -0.1], [0.2, 1.5, 0.4], [-0.3, 0.1, 3.0]]
    elif f.shape in ("vector", "reduction"):
        x = [[v] for v in (0.5, -1.0, 2.0, 30.0)]
    else:
        x = EDGES
    with np.errstate(all="ignore"):
        want = np.asarray(f.numeric(np, np.array(x)), dtype=float)
        got = f.numeric(dense, dense.array(x))
    assert agree(got, want), (f.name, got, want)


@pytest.mark.parametrize("exponent", [2.0, 0.5, -1.0, -0.5, 3.0, 1e6])
def test_elementwise_powers_agree_with_numpy(exponent):
    with np.errstate(all="ignore"):
        assert agree(dense.array(EDGES) ** exponent, np.array(EDGES) ** exponent)


@pytest.mark.parametrize("seed", range(6))
def test_linear_algebra_agrees_with_numpy(seed):
    rng = dense.Random(seed)
    n = 2 + seed % 4
    a = rng.standard_normal((n, n)) + 2.0 * dense.eye(n)
    b = rng.standard_normal((n, n + 1))
    x, y = np.array(a.tolist()), np.array(b.tolist())
    assert math.isclose(dense.linalg.det(a), np.linalg.det(x), rel_tol=AGREE)
    assert agree(dense.linalg.inv(a), np.linalg.inv(x))
    assert math.isclose(dense.linalg.cond(a), np.linalg.cond(x), rel_tol=1e-10)
    assert math.isclose(dense.linalg.norm(b), np.linalg.norm(y), rel_tol=AGREE)
    for k in (0, 1, 3, -2, 7):
        assert agree(dense.linalg.matrix_power(a, k), np.linalg.matrix_power(x, k)), k
    assert agree(a @ b, x @ y) and agree(dense.kron(a, b), np.kron(x, y))
    assert agree(b.reshape(-1, 1, order="F"), y.reshape(-1, 1, order="F"))
    assert agree(b.reshape(n + 1, n), y.reshape(n + 1, n))
    assert math.isclose(dense.trace(a), np.trace(x), rel_tol=AGREE)


def test_a_singular_matrix_is_refused_as_numpy_refuses_it():
    a = [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]]
    with pytest.raises(dense.LinAlgError):
        dense.linalg.inv(dense.array(a))
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.inv(np.array(a))
    assert dense.linalg.det(dense.array(a)) == 0.0
    assert dense.linalg.cond(dense.array([[1.0, 1.0], [1.0, 1.0 + 1e-12]])) > numeric.CONDITION_LIMIT


def test_random_data_is_never_degenerate():
    """dense.Random's data: square matrices well-conditioned, symmetric ones positive definite."""
    from matcalc.calculus.expr import Sym

    for seed in range(20):
        rng = dense.Random(seed)
        for positive in (False, True):
            square = numeric.random_value(Sym("X", ("n", "n"), False), {"n": 5}, rng, positive, np=dense)
            spd = numeric.random_value(Sym("S", ("n", "n"), True), {"n": 4}, rng, positive, np=dense)
            assert dense.linalg.det(square) > 0 and dense.linalg.cond(square) < 20
            s = np.array(spd.tolist())
            assert np.allclose(s, s.T) and np.all(np.linalg.eigvalsh(s) > 0)


# -- the verdicts: the same on either backend, FAILED and "could not check" included --------------

def force(monkeypatch, backend):
    monkeypatch.setattr(check, "backend", lambda *args: backend)


@pytest.mark.parametrize("case", CORPUS[::7], ids=[f"{c[4]} {c[1]}" for c in CORPUS[::7]])
def test_the_verdict_does_not_depend_on_the_backend(case, monkeypatch):
    g = result_of(case)
    if any(isinstance(n, IndexForm) for n in postorder(g.result)):
        pytest.skip("index notation is numpy's (einsum)")
    force(monkeypatch, dense)
    mine = check.check_gradient(g)
    force(monkeypatch, np)
    reference = check.check_gradient(g)
    assert (mine.checked, mine.ok, mine.reason) == (reference.checked, reference.ok, reference.reason)


@pytest.mark.parametrize("backend", [dense, np], ids=["dense", "numpy"])
def test_a_transposed_gradient_fails_and_nowhere_finite_results_cannot_be_checked(backend, monkeypatch):
    force(monkeypatch, backend)
    g = matcalc.diff("tr(A X B)", "X")  # A m×n, X n×p: the gradient Aᵀ Bᵀ is n×p, its transpose p×n
    verdict = check.check_gradient(g.replace(result=algebra.transpose(g.result)))
    assert verdict.checked and not verdict.ok and verdict.message("∇_X").endswith("FAILED")
    g = matcalc.diff("x^T A x", "x")
    verdict = check.check_gradient(g.replace(result=algebra.transpose(g.result)))
    assert not verdict.ok  # a column where a row was due: a wrong shape
    for name, result in test_check.NOWHERE_FINITE.items():
        verdict = check.check_gradient(test_check.wrong("tr(X)", result))
        assert not verdict.checked and "could not check" in verdict.message("∇_X"), name
    overflow = check.check_gradient(matcalc.diff("tr(X^{1000000})", "X"))
    assert overflow.reason == "overflow"
    off = g.replace(result=algebra.scale(Fraction(101, 100), g.result))
    assert not check.check_gradient(off).ok


def test_a_failed_check_needs_no_numpy():
    """In a fresh interpreter: a wrong gradient is FAILED, a right one ok, numpy never imported."""
    script = (
        "import sys, matcalc\n"
        "from matcalc.calculus import algebra\n"
        "from matcalc.numeric.check import check_gradient\n"
        "g = matcalc.diff('tr(A X B)', 'X')\n"
        "print(check_gradient(g).message('X'))\n"
        "print(check_gradient(g.replace(result=algebra.transpose(g.result))).message('X'))\n"
        "print(check_gradient(matcalc.diff('tr(X^{1000000})', 'X')).message('X'))\n"
        "print('numpy' in sys.modules)\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    ok, failed, overflow, imported = run.stdout.splitlines()
    assert ok.endswith(": ok") and failed.endswith(": FAILED")
    assert overflow == "check X: could not check: its values overflow the floating-point range on random data"
    assert imported == "False"

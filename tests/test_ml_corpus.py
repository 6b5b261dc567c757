"""Issue 13's corpus of ML and statistics objectives (tests/ml_cases.py), through matcalc's public
API only.

For each case:
- the oracle (a hand-written gradient or Hessian) agrees with central finite differences of the
  case's own NumPy objective: this checks the corpus itself, without matcalc;
- matcalc's one-line NumPy result, evaluated, agrees with the oracle and with finite differences on
  random data of distinct, non-square sizes (SPD data for symmetric matrices, positive data where
  the objective needs it);
- the result is at most 1.5x the textbook form's size (variable occurrences in `.text`), and over
  the corpus the median ratio is 1.0.
Cases matcalc cannot read yet, or answers in a long form, carry strict xfail marks (fields of
ml_cases.MLCase), so they fail loudly when the vocabulary or the presentation arrives.
"""
from __future__ import annotations

import functools
import keyword
import statistics

import numpy as np
import pytest

import matcalc
from ml_cases import CASES, FUNCTION_WORDS, SIZES, MLCase, variable_occurrences, words

TOLERANCE = 1e-5          # relative, gradients
HESSIAN_TOLERANCE = 1e-4  # relative, Hessians (second differences)
SEEDS = (0, 1)
BY_ID = {c.id: c for c in CASES}


# ---------------------------------------------------------------------------
# Data, finite differences, evaluation of matcalc's NumPy line.
# ---------------------------------------------------------------------------

def instance(case: MLCase, seed: int) -> dict:
    """Random values for every name of the case: shapes from SIZES, SPD matrices for symmetric
    declarations, entries in [0.5, 1.5] where the case needs positive data."""
    rng = np.random.default_rng(seed)
    v = {}
    for name, dims in case.shapes.items():
        shape = tuple(SIZES[c] for c in dims)
        if name in case.symmetric:
            M = rng.standard_normal(shape)
            v[name] = M @ M.T / shape[0] + np.eye(shape[0])
        elif case.positive:
            v[name] = rng.uniform(0.5, 1.5, shape)
        else:
            v[name] = 0.7 * rng.standard_normal(shape)
        if shape == ():
            v[name] = float(v[name])
    return case.prepare(v) if case.prepare else v


def _with(v: dict, name: str, value) -> dict:
    return {**v, name: value}


def fd_gradient(case: MLCase, v: dict, h: float = 1e-6) -> np.ndarray:
    """Central differences of case.f in the variable. For a symmetric matrix the directions are
    symmetric (E_ij + E_ji), so the result is the gradient in the space of symmetric matrices."""
    x0 = np.asarray(v[case.wrt], dtype=float)
    scalar = x0.ndim == 0
    x0 = np.atleast_1d(x0)
    G = np.zeros_like(x0)
    symmetric = case.wrt in case.symmetric

    def f(x):
        return case.f(_with(v, case.wrt, float(x[0]) if scalar else x))

    for idx in np.ndindex(x0.shape):
        if symmetric and idx[0] > idx[1]:
            continue
        E = np.zeros_like(x0)
        E[idx] = 1.0
        if symmetric:
            E[idx[::-1]] = 1.0
        d = (f(x0 + h * E) - f(x0 - h * E)) / (2 * h)
        if symmetric and idx[0] != idx[1]:
            G[idx] = G[idx[::-1]] = d / 2
        else:
            G[idx] = d
    return float(G[0]) if scalar else G


def fd_hessian(case: MLCase, v: dict, h: float = 1e-4) -> np.ndarray:
    """Second central differences of case.f in a vector variable."""
    x0 = np.asarray(v[case.wrt], dtype=float)
    n = x0.size
    H = np.zeros((n, n))

    def f(x):
        return case.f(_with(v, case.wrt, x))

    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i] * h, np.eye(n)[j] * h
            H[i, j] = (f(x0 + ei + ej) - f(x0 + ei - ej) - f(x0 - ei + ej) + f(x0 - ei - ej)) / (4 * h * h)
    return H


def fd_reference(case: MLCase, v: dict) -> np.ndarray:
    return fd_hessian(case, v) if case.kind == "hessian" else fd_gradient(case, v)


def relative_error(got, want) -> float:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    return float(np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-3))


def tolerance(case: MLCase) -> float:
    return HESSIAN_TOLERANCE if case.kind == "hessian" else TOLERANCE


def numpy_name(written: str) -> str:
    r"""The name a variable has in matcalc's NumPy output: `\Sigma_1` → `Sigma_1`, `x_{12}` → `x_12`,
    `\lambda` → `lambda_` (a Python keyword)."""
    name = written.lstrip("\\").replace("{", "").replace("}", "")
    return name + "_" if keyword.iskeyword(name) else name


def evaluate(line: str, v: dict, want_shape: tuple) -> np.ndarray:
    """matcalc's one-line NumPy result with `np` and every variable in scope. A 1×1 or broadcast
    constant result is spread to the wanted shape; a result that differs only by singleton axes
    (an n×1 column for a vector) is reshaped. Anything else is a shape error."""
    env = {numpy_name(name): value for name, value in v.items()}
    with np.errstate(all="ignore"):
        got = np.asarray(eval(line, {"np": np, "__builtins__": {}}, env), dtype=float)
    if got.shape == want_shape:
        return got
    if got.size == 1:
        return np.broadcast_to(got.reshape(()), want_shape)
    if tuple(s for s in got.shape if s != 1) == tuple(s for s in want_shape if s != 1):
        return got.reshape(want_shape)
    raise AssertionError(f"matcalc's result has shape {got.shape}, the oracle {want_shape}: {line}")


@functools.lru_cache(maxsize=None)
def answer(case_id: str):
    """matcalc's result for a case (cached: the value, form and median tests share it)."""
    case = BY_ID[case_id]
    run = matcalc.hessian if case.kind == "hessian" else matcalc.diff
    return run(case.expr, case.wrt, declared=dict(case.declare) or None)


def check_value(case: MLCase) -> None:
    """matcalc's NumPy line against the oracle and against finite differences of case.f."""
    r = answer(case.id)
    for seed in SEEDS:
        v = instance(case, seed)
        want = np.asarray(case.oracle(v), dtype=float)
        got = evaluate(r.numpy, v, want.shape)
        err = relative_error(got, want)
        assert err < tolerance(case), (f"{case.expr} w.r.t. {case.wrt}: matcalc gives {r.text}, "
                                       f"which differs from the oracle by {err:.1e} (seed {seed})")
        err = relative_error(got, fd_reference(case, v))
        assert err < tolerance(case), (f"{case.expr} w.r.t. {case.wrt}: matcalc gives {r.text}, "
                                       f"which differs from finite differences by {err:.1e} (seed {seed})")


def size_ratio(case: MLCase) -> float:
    """Variable occurrences in matcalc's text result over the textbook's; inf when matcalc refuses
    the case or answers it wrongly."""
    try:
        check_value(case)
    except (matcalc.MatcalcError, AssertionError, NameError, TypeError, ValueError):
        return float("inf")
    return variable_occurrences(answer(case.id).text) / case.textbook_size


def _marked(reason):
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


# ---------------------------------------------------------------------------
# The corpus itself.
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_oracle_matches_finite_differences(case):
    """The hand-written answer is right: checked against the objective, without matcalc."""
    for seed in SEEDS:
        v = instance(case, seed)
        want = fd_reference(case, v)
        got = np.asarray(case.oracle(v), dtype=float)
        assert got.shape == np.shape(want), f"{case.id}: oracle shape {got.shape}, variable {np.shape(want)}"
        assert np.all(np.isfinite(want)), f"{case.id}: the objective is not finite on seed {seed}"
        err = relative_error(got, want)
        assert err < tolerance(case), f"{case.id}: the oracle differs from finite differences by {err:.1e}"


def test_corpus_covers_issue_13():
    assert len(CASES) >= 45
    assert len({c.id for c in CASES}) == len(CASES)
    topics = {c.topic for c in CASES}
    for topic in ["least squares", "ridge", "weighted least squares", "logistic regression",
                  "softmax regression", "gaussian nll", "kl gaussians", "gp marginal likelihood", "pca",
                  "rayleigh quotient", "matrix factorisation", "nmf", "two-layer network", "log-det barrier"]:
        assert topic in topics, topic
    gradients = [c for c in CASES if c.kind == "gradient"]
    hessians = [c for c in CASES if c.kind == "hessian"]
    logistic = [c.expr for c in gradients if c.topic == "logistic regression"]
    assert any("\\sigma" in e for e in logistic) and any("\\exp" in e for e in logistic)
    softmax = [c.expr for c in gradients if c.topic == "softmax regression"]
    assert any("softmax" in e for e in softmax) and any("\\exp" in e for e in softmax)
    assert {"\\mu", "\\Sigma"} <= {c.wrt for c in gradients if c.topic == "gaussian nll"}
    assert {"\\mu_1", "\\Sigma_1"} <= {c.wrt for c in gradients if c.topic == "kl gaussians"}
    assert {"W", "H"} <= {c.wrt for c in gradients if c.topic == "matrix factorisation"}
    nets = " ".join(c.expr for c in gradients if c.topic == "two-layer network")
    assert all(f in nets for f in ("\\tanh", "relu", "\\sigma"))
    assert {"least squares", "logistic regression", "log-sum-exp", "gaussian nll"} <= {c.topic for c in hessians}
    for c in CASES:  # symmetric where the math says so: Σ, K and precisions are declared symmetric
        for name in c.shapes:
            if name.lstrip("\\").startswith(("Sigma", "Lambda")) or name in ("K", "Q"):
                assert c.declare.get(name) == "symmetric", (c.id, name)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_textbook_form_is_written_in_words_matcalc_knows(case):
    """A typo such as `Xw` for `X w` in a textbook form would be counted as a function word."""
    assert words(case.textbook) <= FUNCTION_WORDS, words(case.textbook) - FUNCTION_WORDS
    assert case.textbook_size >= 1


@pytest.mark.parametrize("text,size", [
    (r"X^T (\sigma(X w) - y)", 4),
    (r"(1/2) (\Sigma^{-1} - \Sigma^{-1} (x - \mu) (x - \mu)^T \Sigma^{-1})", 7),
    (r"2 (W_2^T (W_2 tanh(W_1 x) - y) .* (ones - tanh(W_1 x).^2)) x^T", 8),
    (r"(1/4) (\Sigma_2^{-1} - \Sigma_1^{-1} + 2 ((1/2) \Sigma_2^{-1} - (1/2) \Sigma_1^{-1})^T)", 4),
    (r"\|X\|_F^2 + \lambda \|w\|_2^2 + x_{12}^T W1 I", 5),
    (r"-2 \mathbf{1}^T \operatorname{softmax}(A x) + kron(I, A + A^T)", 4),
    (r"\sigma x", 2),  # σ not applied to a parenthesis is a variable
    (r"\mathbf{1}_n^T e^{X w} + \mathbb{1}_{k} + tr(X^{k-1}) + X^{-T} + x^{T} y", 7),
])
def test_variable_occurrences(text, size):
    assert variable_occurrences(text) == size


# ---------------------------------------------------------------------------
# matcalc on the corpus.
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=_marked(c.xfail_value)) for c in CASES])
def test_value(case):
    check_value(case)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=_marked(c.xfail_form)) for c in CASES])
def test_form(case):
    check_value(case)  # the form of a wrong or misread answer means nothing
    r = answer(case.id)
    size = variable_occurrences(r.text)
    assert size <= 1.5 * case.textbook_size, (
        f"{case.expr} w.r.t. {case.wrt}: {r.text} has {size} variable occurrences, "
        f"the textbook's {case.textbook} has {case.textbook_size}")


def test_median_size_ratio_is_one():
    """Issue 13: over the corpus, the median of result size / textbook size is 1.0 (a refused or
    wrong answer counts as infinitely long)."""
    ratios = [size_ratio(c) for c in CASES]
    assert statistics.median(ratios) == 1.0, sorted(ratios)

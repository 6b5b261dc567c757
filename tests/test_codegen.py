"""Generated code: products with diag(v) and K_{mn} applied rather than built, (Aᵀ)⁻¹ from a named A⁻¹,
and the inputs of benchmarks/codegen.py (matcalc's -f python against JAX), each checked numerically:
the code against matcalc's own evaluator or against central finite differences of an independent
NumPy objective, on non-square sizes. No JAX needed (one test compares with JAX when it is there)."""
from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import matcalc
from matcalc import api
from matcalc.calculus.expr import Commutation, Diag, MatMul, Sym, Transpose, Vec, free_symbols
from matcalc.cli.output import python_module
from matcalc.formats.numpy_code import to_numpy
from matcalc.numeric import evaluation

HERE = Path(__file__).resolve().parent


def _codegen():
    spec = importlib.util.spec_from_file_location("codegen_bench", HERE.parent / "benchmarks" / "codegen.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


CODEGEN = _codegen()
M, N, P = "m", "n", "p"
SIZES = {"m": 3, "n": 5, "p": 4}  # distinct: every matrix non-square


def _sym(name, rows, cols):
    return Sym(name, (rows, cols), False)


def _code(e) -> str:
    """to_numpy's code for e, X (m × n) giving the sizes m and n where no factor has them alone."""
    return to_numpy(e, X)


def _run_numpy(e, values):
    """to_numpy's code for e run on the values (vectors 1-D, as the code expects)."""
    env = {"np": np}
    for name, v in values.items():
        env[name] = v[:, 0] if v.shape[1] == 1 else v
    return np.asarray(eval(_code(e), env))  # noqa: S307 - matcalc's own output


A, B, v, u, x = _sym("A", M, N), _sym("B", N, P), _sym("v", N, 1), _sym("u", M, 1), _sym("x", N, 1)
X = _sym("X", M, N)
PRODUCTS = {
    "M diag(v)": MatMul((A, Diag(v))),
    "diag(u) M": MatMul((Diag(u), A)),
    "diag(v) M M": MatMul((Diag(v), B, Transpose(B))),
    "M diag(v) M": MatMul((A, Diag(v), B)),
    "xᵀ diag(v) (a row)": MatMul((Transpose(x), Diag(v))),
    "diag(v) x (a column)": MatMul((Diag(v), x)),
    "K vec(X)": MatMul((Commutation(M, N), Vec(X))),
    "vec(X)ᵀ K": MatMul((Transpose(Vec(X)), Commutation(N, M))),
    "M K": MatMul((_sym("C", P, (N, M)), Commutation(N, M))),
    "M M K": MatMul((_sym("D", P, M), _sym("C", M, (N, M)), Commutation(N, M))),
    "K M": MatMul((Commutation(M, N), _sym("C", (N, M), P))),
}


@pytest.mark.parametrize("name", PRODUCTS)
def test_products_with_diag_and_commutation_run_as_evaluated(name):
    e = PRODUCTS[name]
    code = _code(e)
    assert "np.diag" not in code and "np.eye" not in code  # applied, never built
    rng = np.random.default_rng(3)
    values = {s.name: evaluation.random_value(s, SIZES, rng) for s in [X, *free_symbols(e)]}
    want = evaluation.evaluate(e, values, SIZES)
    got = _run_numpy(e, values)
    assert got.size == want.size
    assert np.allclose(got.reshape(want.shape), want, rtol=1e-12, atol=1e-12), code


def test_diag_products_are_scalings_in_the_generated_hessian():
    h = matcalc.api.hessians_of("sum(exp(X w))", ["w"], {})[0]
    assert h.numpy == "X.T * np.exp(X @ w) @ X"


def test_an_inverse_of_a_transpose_reuses_the_named_inverse():
    source = python_module(api.hessians_of(r"\log|\Sigma| + (x - \mu)^T \Sigma^{-1} (x - \mu)", [r"\Sigma"], {}))
    assert "np.linalg.inv(Sigma.T)" not in source and "= tmp1.T" in source
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 - matcalc's own output
    assert namespace["check_hessian"]() < 1e-5


# -- the inputs of benchmarks/codegen.py ------------------------------------------------------------

def _declared(objective) -> dict:
    options = list(objective.options)
    return {options[i + 1]: options[i].removeprefix("--") for i in range(0, len(options), 2)}


def _module(objective, kind: str) -> dict:
    """What `matcalc diff|hessian ... -f python` prints for the objective, loaded."""
    declared = _declared(objective) if kind == "gradient" else {}  # as codegen.command
    results = (api.gradients_of if kind == "gradient" else api.hessians_of)(objective.text, list(objective.wrts),
                                                                             declared)
    namespace: dict = {}
    exec(python_module(results), namespace)  # noqa: S102 - matcalc's own output
    return namespace


def _central_gradient(f, args: list, i: int, h: float = 1e-6) -> np.ndarray:
    x = np.array(args[i], dtype=float)
    out = np.zeros_like(x)
    for k in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[k] += h
        minus[k] -= h
        out[k] = (f(*args[:i], plus, *args[i + 1:]) - f(*args[:i], minus, *args[i + 1:])) / (2 * h)
    return out


def _central_hessian(grad, args: list, i: int, h: float = 1e-5) -> np.ndarray:
    """Over vec (column-major), from central differences of a gradient."""
    x = np.array(args[i], dtype=float)
    columns = []
    for k in range(x.size):
        plus, minus = x.copy(), x.copy()
        index = np.unravel_index(k, x.shape, order="F")
        plus[index] += h
        minus[index] -= h
        diff = (grad(*args[:i], plus, *args[i + 1:]) - grad(*args[:i], minus, *args[i + 1:])) / (2 * h)
        columns.append(np.ravel(diff, order="F"))
    return np.array(columns).T


def _relative(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-12))


@pytest.mark.parametrize("kind", ["gradient", "hessian"])
@pytest.mark.parametrize("index", range(len(CODEGEN.OBJECTIVES)), ids=[o.name for o in CODEGEN.OBJECTIVES])
def test_benchmark_objectives_generate_code_that_matches_finite_differences(index, kind):
    """The spelled input parses; on the benchmark's own data (non-square where the objective has
    matrices of two sizes), matcalc's value is the benchmark's objective (its JAX code run by NumPy)
    and matcalc's gradients and Hessians are its central differences; the module's own check passes."""
    objective = CODEGEN.OBJECTIVES[index]
    namespace = _module(objective, kind)
    function = namespace["f_and_grad" if kind == "gradient" else "f_grad_and_hessian"]
    names = list(inspect.signature(function).parameters)
    independent = objective.jax_objective(np)  # the benchmark's JAX objective, with NumPy for jax.numpy
    order = list(inspect.signature(independent).parameters)
    assert sorted(order) == sorted(names)

    def f(*a):
        return independent(**dict(zip(names, a)))

    data = objective.data(4, np.random.default_rng(0))
    if "W_1" in data:
        assert len({*data["W_1"].shape, *data["W_2"].shape}) == 3  # h, p, o distinct
    args = CODEGEN.arguments(function, data)
    value, *outputs = function(*args)
    assert abs(value - f(*args)) <= 1e-10 * max(1.0, abs(value))
    wrt = [w[0] if isinstance(w, tuple) else w for w in namespace["WRT"]]
    step = 1 if kind == "gradient" else 2
    for k, name in enumerate(wrt):
        i = names.index(name)
        grad = outputs[step * k]
        want = _central_gradient(f, args, i)
        if name == "Sigma" and kind == "gradient":  # --symmetric: the gradient in the symmetric matrices
            want = (want + want.T) / 2
        assert _relative(grad, want) < 1e-6, f"{objective.name}: gradient for {name}"
        if kind == "hessian":
            def g(*a, k=k):
                return function(*a)[1 + 2 * k]
            assert _relative(outputs[2 * k + 1], _central_hessian(g, args, i)) < 1e-6, \
                f"{objective.name}: Hessian for {name}"
    check = namespace["check_gradient" if kind == "gradient" else "check_hessian"]
    assert check() < 1e-5


def test_benchmark_agrees_with_jax_where_jax_is_installed():
    """codegen.py --check: every output of matcalc's modules against JAX's, un-jitted and jitted.
    In a process of its own, so JAX's threads never meet a later test's fork."""
    if importlib.util.find_spec("jax") is None:
        pytest.skip("JAX is not installed (the bench extra)")
    proc = subprocess.run([sys.executable, str(HERE.parent / "benchmarks" / "codegen.py"), "--check"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("agree") == 4 * len(CODEGEN.OBJECTIVES) and "DISAGREE" not in proc.stdout

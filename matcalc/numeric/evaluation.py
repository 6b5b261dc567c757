"""Numbers for checking: random data of the inferred shapes, evaluation, and central finite
differences, written once against a numpy-like namespace `np`: numpy itself (the default,
imported when first used), or `dense`, small matrices in pure Python that need no import
(`--check`: see check.py for which one it takes). The function table's `numeric` column is
written against the same namespace."""
from __future__ import annotations

import math
from functools import lru_cache
from itertools import product

from ..calculus import functions
from ..calculus.expr import (
    Add, Const, Det, Differential, DifferentialOf, Expr, Func, Hadamard, HadamardPower, Identity, MatMul, Norm,
    Ones, Power, PowerDifferential, Sum, Sym, Trace, Transpose, Zero, free_symbols, postorder,
)
from ..calculus.expr import Commutation, Diag, Diagonal, IndexForm, Integer, Kron, Vec, VariablePower, index_axes, index_dims
from ..calculus.sizes import SIZE_ORDERS, assign_sizes, flat_dims, size_of


class Singular(ValueError):
    """No sizes let the matrices an expression inverts be nonsingular."""


def dims_of(symbols) -> list:
    """The named dimensions of the variables, in order (of a product m·n, each of m and n)."""
    seen: dict = {}
    for s in symbols:
        for d in flat_dims(s.shape):
            seen.setdefault(d)
    return list(seen)


def numpy():
    """The default backend: numpy, imported on first use."""
    import numpy

    return numpy


def random_value(sym: Sym, sizes: dict, rng, positive: bool = False, np=None):
    """Random data for one variable: square matrices near a scaled identity (well-conditioned,
    positive determinant), symmetric ones positive definite, vectors as n×1 columns. `rng` is a
    numpy Generator, or dense.Random with np=dense."""
    np = np or numpy()
    if isinstance(sym, Integer):  # the exponent k of X^k: a whole number, 2 to 5
        return np.array([[float(rng.integers(2, 6))]])
    r, c = (size_of(d, sizes) for d in sym.shape)  # a dimension may be a product (A vec(X))
    if positive:
        m = rng.uniform(0.5, 1.5, size=(r, c))
        if r == c and r > 1:
            m = m + r * np.eye(r)
    else:
        m = rng.standard_normal((r, c))
        if r == c and r > 1:
            m = np.eye(r) * 2.0 + 0.4 * m / math.sqrt(r)
    if sym.symmetric:
        q = rng.standard_normal((r, r))
        m = q @ q.T / r + np.eye(r)
        if positive:
            m = np.abs(m) + r * np.eye(r)
    return m


def evaluate(e: Expr, values: dict, sizes: dict, differentials: dict | None = None, np=None):
    """The value of e as a 2-D array (scalars 1×1), given 2-D arrays for its variables."""
    return values_of(e, values, sizes, differentials, np)[e]


def values_of(e: Expr, values: dict, sizes: dict, differentials: dict | None = None, np=None) -> dict:
    """The value of e and of each of its sub-expressions, as 2-D arrays."""
    np = np or numpy()
    out: dict = {}

    def dim(d):
        if isinstance(d, tuple):  # a product of dimensions (vec, ⊗)
            return math.prod(dim(f) for f in d)
        return 1 if d == 1 else sizes[d]

    for node in _schedule(e):
        k = [out[c] for c in node.children()]
        if isinstance(node, Sym):
            v = np.asarray(values[node.name], dtype=float).reshape(dim(node.shape[0]), dim(node.shape[1]))
        elif isinstance(node, Differential):
            v = np.asarray(differentials[node.var.name], dtype=float).reshape(
                dim(node.shape[0]), dim(node.shape[1]))
        elif isinstance(node, DifferentialOf):  # d(U) in a line of a derivation: U's differential
            from ..calculus.differentiate import differential

            v = evaluate(differential(node.arg, node.var), values, sizes, differentials, np)
        elif isinstance(node, Const):
            v = np.array([[_float(node.value)]])
        elif isinstance(node, Identity):
            v = np.eye(dim(node.n))
        elif isinstance(node, Ones):
            v = np.ones((dim(node.shape[0]), dim(node.shape[1])))
        elif isinstance(node, Zero):
            v = np.zeros((dim(node.shape[0]), dim(node.shape[1])))
        elif isinstance(node, Add):
            v = sum(k[1:], k[0])
        elif isinstance(node, MatMul):
            v = _product(node.factors, k)
        elif isinstance(node, Transpose):
            v = k[0].T
        elif isinstance(node, Power):
            v = _power(node, k[0], np)
        elif isinstance(node, Trace):
            v = np.array([[np.trace(k[0])]])
        elif isinstance(node, Det):
            v = np.array([[np.linalg.det(k[0])]])
        elif isinstance(node, Sum):
            v = np.array([[np.sum(k[0])]])
        elif isinstance(node, Norm):
            v = np.array([[np.linalg.norm(k[0])]])
        elif isinstance(node, Hadamard):
            v = k[0]
            for x in k[1:]:
                v = v * x
        elif isinstance(node, HadamardPower):
            v = k[0] ** _float(node.exponent)
        elif isinstance(node, Func):
            v = np.asarray(functions.lookup(node.name).numeric(np, k[0]), dtype=float).reshape(
                dim(node.shape[0]), dim(node.shape[1]))
        elif isinstance(node, VariablePower):
            v = k[0] ** k[1][0, 0] if node.base.is_scalar else _matrix_power(k[0], k[1][0, 0], np)
        elif isinstance(node, PowerDifferential):
            n = node.exponent
            x, dx, n = k[0], k[1], _whole(evaluate(n, values, sizes, None, np)[0, 0]) if isinstance(n, Expr) else int(n)
            if n < 0:  # d(X⁻ᵐ) = d(Yᵐ) with Y = X⁻¹, dY = -Y dX Y (X^{k-3} at k = 2)
                x = np.linalg.inv(x)
                dx, n = -x @ dx @ x, -n
            v = sum((np.linalg.matrix_power(x, r) @ dx @ np.linalg.matrix_power(x, n - 1 - r) for r in range(n)),
                    np.zeros_like(dx))
        elif isinstance(node, (Diag, Diagonal, Vec, Kron)):
            v = _jacobian_node(node, k, np)
        elif isinstance(node, Commutation):
            v = commutation(dim(node.m), dim(node.n), np)
        elif isinstance(node, IndexForm):  # np.einsum: numpy only (check.py never gives it dense)
            v = _index_form(node, out, dim, np)
        else:  # pragma: no cover
            raise TypeError(type(node).__name__)
        out[node] = v
    return out


@lru_cache(maxsize=1024)
def _schedule(e: Expr) -> tuple:
    """e's distinct sub-expressions, children first (kept: differences evaluate e many times)."""
    return tuple(dict.fromkeys(postorder(e)))


# -- when numbers mean something --------------------------------------------------------------

CONDITION_LIMIT = 1e8  # a matrix inverted with a worse condition number makes the numbers noise

# why an instance cannot be used, worst last (the reason reported is the worst one met)
OVERFLOW, DOMAIN, SINGULAR = "overflow", "domain", "singular"


def unusable(e: Expr, values: dict, sizes: dict, differentials: dict | None = None, np=None) -> str | None:
    """Why e means nothing at these data, or None: a value overflows (OVERFLOW), an argument
    leaves its function's domain (DOMAIN: log, sqrt and fractional powers need it positive), or
    a matrix e inverts or takes the determinant of is singular or nearly so (SINGULAR)."""
    np = np or numpy()
    with np.errstate(all="ignore"):
        try:
            out = values_of(e, values, sizes, differentials, np)
        except np.linalg.LinAlgError:
            return SINGULAR
        for node in out:
            if not _in_domain(node, out, np):
                return DOMAIN
        if _ill_conditioned(out, np):
            return SINGULAR
        value = out[e]
    if np.any(np.isnan(value)):
        return DOMAIN
    if not np.all(np.isfinite(value)):
        return OVERFLOW
    return None


def _in_domain(node: Expr, out: dict, np) -> bool:
    """The argument of a function or a fractional power is where the function is defined (the
    table's domain: positive for log and sqrt, (-1, 1) for "unit")."""
    if isinstance(node, Func):
        domain = functions.lookup(node.name).domain
    elif isinstance(node, (Power, HadamardPower)) and _float(node.exponent) % 1 and \
            (node.is_scalar or isinstance(node, HadamardPower)):
        domain = "positive"
    elif isinstance(node, VariablePower) and node.is_scalar and not all(
            isinstance(s, Integer) for s in free_symbols(node.exponent)):
        domain = "positive"  # aᵇ for a real b (and its log(a) db): a > 0
    else:
        return True
    x = out[node.children()[0]]
    if domain == "positive":
        return bool(np.all(x > 0))
    if domain == "unit":
        return bool(np.all(np.abs(x) < 1))
    return True


def ill_conditioned(e: Expr, values: dict, sizes: dict, np=None) -> bool:
    """A matrix that e inverts or takes the determinant of is singular or nearly so here."""
    np = np or numpy()
    with np.errstate(all="ignore"):
        try:
            return _ill_conditioned(values_of(e, values, sizes, None, np), np)
        except np.linalg.LinAlgError:
            return True


def _ill_conditioned(out: dict, np) -> bool:
    for node in out:
        inner = node.arg if isinstance(node, Det) or _inverts(node) else \
            node.base if isinstance(node, Power) and node.exponent < 0 else None
        if inner is not None and not inner.is_scalar:
            m = out[inner]
            if not np.all(np.isfinite(m)) or np.linalg.cond(m) > CONDITION_LIMIT:
                return True
    return False


def _inverts(node: Expr) -> bool:
    """A function of the table defined through an inverse (adj(X) = |X| X⁻¹)."""
    return isinstance(node, Func) and functions.lookup(node.name).domain == "invertible"


def _product(factors, values):
    acc = None
    for f, v in zip(factors, values):
        if acc is None:
            acc = v
        elif f.is_scalar:
            acc = acc * v[0, 0]
        elif acc.shape == (1, 1) and v.shape != (1, 1):
            acc = acc[0, 0] * v
        else:
            acc = acc @ v
    return acc


def _float(q) -> float:
    """q as a float; ±inf past the float range (10^400 is a valid number, not a crash)."""
    try:
        return float(q)
    except OverflowError:
        return float("inf") if q > 0 else float("-inf")


def _whole(p: float) -> int:
    """The value of a symbolic integer's expression, which must be whole."""
    if p != round(p):
        raise ValueError(f"the exponent of a matrix power is {p}, not an integer")
    return int(round(p))


def _matrix_power(x, p: float, np):
    """Xᵖ for a whole p, X⁻¹ to the power -p for a negative one."""
    n = _whole(p)
    return np.linalg.matrix_power(np.linalg.inv(x) if n < 0 else x, abs(n))


def _power(node: Power, x, np):
    p = node.exponent
    if node.base.is_scalar:
        return x ** _float(p)
    if p < 0:
        x = np.linalg.inv(x)
        p = -p
    return np.linalg.matrix_power(x, int(p))


def scalar(e: Expr, values: dict, sizes: dict, np=None) -> float:
    return float(evaluate(e, values, sizes, None, np)[0, 0])


def finite_difference_gradient(f: Expr, var: Sym, values: dict, sizes: dict, eps: float = 1e-6, np=None):
    """Central differences ∂f/∂X_ij, entry by entry (for a symmetric X, along the symmetric
    direction E_ij + E_ji, halved off the diagonal: the gradient in the symmetric space)."""
    np = np or numpy()
    x0 = np.array(values[var.name], dtype=float)
    grad = np.zeros_like(x0)
    trial = dict(values)
    for idx in product(*map(range, x0.shape)):
        direction = np.zeros_like(x0)
        direction[idx] = 1.0
        if var.symmetric:
            direction[idx[::-1]] = 1.0
        trial[var.name] = x0 + eps * direction
        up = scalar(f, trial, sizes, np)
        trial[var.name] = x0 - eps * direction
        down = scalar(f, trial, sizes, np)
        grad[idx] = (up - down) / (2 * eps)
        if var.symmetric and idx[0] != idx[1]:
            grad[idx] /= 2.0
    return grad


def relative_error(a, b, np=None) -> float:
    np = np or numpy()
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(a)), np.max(np.abs(b))))


def random_instance(symbols, rng, positive=False, order=SIZE_ORDERS[0], within=(), np=None):
    """Random values for symbols, and the sizes of their dimensions (see instance_sizes)."""
    sizes = instance_sizes(symbols, order, within)
    values = {s.name: random_value(s, sizes, rng, positive, np) for s in symbols}
    return values, sizes


def instance_sizes(symbols, order=SIZE_ORDERS[0], within=()) -> dict:
    """The sizes of the dimensions of symbols and of the expressions `within` (see assign_sizes:
    pass the expressions to be evaluated, so that what they invert can be inverted, and an I or
    𝟏 whose size no variable carries gets one). Singular when no sizes will do."""
    dims = dims_of(symbols)
    for e in within:
        for node in postorder(e):
            dims += [d for d in flat_dims(node.shape) if d not in dims]
    sizes = assign_sizes(dims, order, within)
    if sizes is None:
        raise Singular("every size assignment makes a matrix here singular")
    return sizes


DIFFERENCES = "differences"  # finite differences step out of the domain


def compare(expression: Expr, result: Expr, var: Sym, values: dict, sizes: dict, kind: str = "gradient",
            transposed: bool = False, np=None) -> tuple[float | None, str | None]:
    """The relative error between a gradient, Jacobian or Hessian and central finite
    differences of the input as written at these data (a wrong shape is an error of inf); or
    (None, why) when the numbers there mean nothing (see `unusable`)."""
    np = np or numpy()
    why = unusable(expression, values, sizes, None, np) or unusable(result, values, sizes, None, np)
    if why is not None:
        return None, why
    differences = {"gradient": finite_difference_gradient, "hessian": finite_difference_hessian}.get(
        kind, finite_difference_jacobian)
    with np.errstate(all="ignore"):
        got = evaluate(result, values, sizes, None, np)
        try:
            want = differences(expression, var, values, sizes, np=np)
        except np.linalg.LinAlgError:
            return None, DIFFERENCES
    if not np.all(np.isfinite(want)):
        return None, DIFFERENCES
    if transposed:
        want = want.T
    if got.shape != want.shape:
        if kind != "gradient" or got.size != 1:
            return float("inf"), None
        got = np.broadcast_to(got, want.shape)
    error = relative_error(got, want, np)
    if kind == "hessian" and error > 1e-7:  # second differences: a tenth of the step too
        with np.errstate(all="ignore"):
            try:
                finer = finite_difference_hessian(expression, var, values, sizes, eps=1e-5, np=np)
            except np.linalg.LinAlgError:
                finer = None
        if finer is not None and np.all(np.isfinite(finer)):
            # rounding grows as the step shrinks and truncation as it grows: where the Hessian
            # is large (an inverse near singular), only the smaller step sees it to 1e-5
            error = min(error, relative_error(got, finer, np))
    return error, None


# -- Jacobians and Hessians ----------------------------------------------------------------------

def _jacobian_node(node, k, np):
    if isinstance(node, Diag):
        return np.diagflat(k[0])
    if isinstance(node, Diagonal):
        return np.diag(k[0]).reshape(-1, 1)
    if isinstance(node, Vec):
        return k[0].reshape(-1, 1, order="F")
    return np.kron(k[0], k[1])


def _index_form(node, out, dim, np):
    """The tensor ∂F_ij/∂X_kl by np.einsum, laid out over vec (columns stacked)."""
    total = 0.0
    sizes = dict(node.sizes)
    for coefficient, factors in node.terms:  # an axis of size p·q read as two: reshaped column-major
        arrays = [out[op].reshape([dim(d) for d in index_dims(op, labels, sizes)], order="F") for op, labels in factors]
        spec = ",".join("".join(index_axes(labels)) for _, labels in factors) + "->" + node.outputs
        # a contraction order, not left to right: seven operands of size 20 would take minutes
        total = total + out[coefficient][0, 0] * np.einsum(spec, *arrays, optimize=len(arrays) > 2)
    rows, columns = node.shape
    return np.reshape(total, (dim(rows), dim(columns)), order="F")


def commutation(m: int, n: int, np=None):
    """K_{mn} as numbers: K vec(A) = vec(Aᵀ) for A m×n, built from that property entry by entry."""
    np = np or numpy()
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[j + i * n, i + j * m] = 1.0  # vec(Aᵀ) holds A[i, j] at j + i n, vec(A) at i + j m
    return k


def _vec(a, np):
    return np.asarray(a).reshape(-1, order="F")


def _unit(shape, k: int, np):
    """The k-th entry of vec(X) (columns stacked) as a matrix of X's shape."""
    e = np.zeros(shape)
    e[k % shape[0], k // shape[0]] = 1.0
    return e


def finite_difference_jacobian(f: Expr, var: Sym, values: dict, sizes: dict, eps: float = 1e-6, np=None):
    """Central differences ∂vec(f)/∂vec(x): column k is the derivative along entry k of vec(x)."""
    np = np or numpy()
    x0 = np.array(values[var.name], dtype=float)
    trial = dict(values)
    columns = []
    for k in range(x0.size):
        trial[var.name] = x0 + eps * _unit(x0.shape, k, np)
        up = _vec(evaluate(f, trial, sizes, None, np), np)
        trial[var.name] = x0 - eps * _unit(x0.shape, k, np)
        down = _vec(evaluate(f, trial, sizes, None, np), np)
        columns.append((up - down) / (2 * eps))
    return np.column_stack(columns)


def finite_difference_hessian(f: Expr, var: Sym, values: dict, sizes: dict, eps: float = 1e-4, np=None):
    """Second central differences ∂²f/∂xᵢ∂xⱼ of a scalar f over the entries of vec(x)."""
    np = np or numpy()
    x0 = np.array(values[var.name], dtype=float)
    n = x0.size
    trial = dict(values)

    def at(step):
        trial[var.name] = x0 + step
        return scalar(f, trial, sizes, np)

    hessian = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            ei, ej = eps * _unit(x0.shape, i, np), eps * _unit(x0.shape, j, np)
            value = (at(ei + ej) - at(ei - ej) - at(ej - ei) + at(-ei - ej)) / (4 * eps * eps)
            hessian[i, j] = hessian[j, i] = value
    return hessian

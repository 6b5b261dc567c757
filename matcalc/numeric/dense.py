"""Small dense matrices in pure Python: the numbers of `--check` without importing numpy.

`--check` evaluates at sizes 2 to 13, where numpy's import (≈120 ms) costs far more than the
arithmetic. This module is the part of numpy's interface that `evaluation` and the function
table's `numeric` column use, over 2-D matrices of floats held as lists of rows, so that one
evaluator runs on either (`evaluation`'s `np` parameter). Where numpy has a 1-D array
(`np.diag` of a matrix, `reshape(-1)`), this module has an n×1 column; `evaluation` reshapes
both the same way.

Arithmetic is IEEE's, as numpy's: a function outside its domain gives nan, an overflow ±inf,
and nothing raises but the inverse of an exactly singular matrix (LinAlgError, as
numpy.linalg.inv). Determinant and inverse by elimination with partial pivoting, as LAPACK's
(LU for the determinant, Gauss-Jordan for the inverse), the condition number σ_max / σ_min by
one-sided Jacobi SVD, as numpy's cond. numpy stays the reference: tests/test_dense.py compares
the two on every node of the test corpora.
"""
from __future__ import annotations

import builtins
import math
import operator
import random as _random
from contextlib import nullcontext
from types import SimpleNamespace

# numpy's names sum, max, all, any and abs below shadow the builtins: these are the builtins
_sum, _max, _all, _any = builtins.sum, builtins.max, builtins.all, builtins.any

INF, NAN = math.inf, math.nan


class LinAlgError(ValueError):
    """An exactly singular matrix was inverted."""


class Matrix:
    """An r×c matrix of floats (a list of r rows). Operators broadcast as numpy's do on 2-D
    arrays: a number, or a matrix with a dimension of 1, stretches to the other's shape."""

    __slots__ = ("rows", "shape")

    def __init__(self, rows, shape=None):
        self.rows = rows
        self.shape = shape or (len(rows), len(rows[0]) if rows else 0)

    # -- shape ------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def T(self) -> Matrix:
        return Matrix([list(c) for c in zip(*self.rows)], self.shape[::-1])

    def entries(self, order: str = "C") -> list:
        """The entries row by row ("C"), or column by column ("F", as vec)."""
        rows = self.rows if order == "C" else zip(*self.rows)
        return [v for row in rows for v in row]

    def reshape(self, *shape, order: str = "C") -> Matrix:
        """As numpy's reshape; a 1-D shape (n,) or (-1,) gives an n×1 column."""
        if len(shape) == 1 and isinstance(shape[0], tuple):
            shape = shape[0]
        if len(shape) == 1:
            shape = (shape[0], 1)
        r, c = shape
        n = self.size
        r, c = (n // c if r == -1 else r), (n // r if c == -1 else c)
        if (r, c) == self.shape:  # in either order, the same matrix
            return self  # as numpy's view (nothing here writes into a reshaped matrix)
        if r * c != n:
            raise ValueError(f"cannot reshape a {self.shape[0]}×{self.shape[1]} matrix into {r}×{c}")
        flat = self.entries(order)
        if order == "C":
            return Matrix([flat[i * c:(i + 1) * c] for i in range(r)], (r, c))
        return Matrix([flat[i::r] for i in range(r)], (r, c))

    def tolist(self) -> list:
        return [list(row) for row in self.rows]

    def __getitem__(self, index):
        i, j = index
        return self.rows[i][j]

    def __setitem__(self, index, value):
        i, j = index
        self.rows[i][j] = float(value)

    def __repr__(self) -> str:
        return f"Matrix({self.rows!r})"

    # -- arithmetic -------------------------------------------------------------------------
    def __add__(self, other): return _broadcast(operator.add, self, other)
    def __radd__(self, other): return _broadcast(operator.add, other, self)
    def __sub__(self, other): return _broadcast(operator.sub, self, other)
    def __rsub__(self, other): return _broadcast(operator.sub, other, self)
    def __mul__(self, other): return _broadcast(operator.mul, self, other)
    def __rmul__(self, other): return _broadcast(operator.mul, other, self)
    def __truediv__(self, other): return _broadcast(_divide, self, other)
    def __rtruediv__(self, other): return _broadcast(_divide, other, self)
    def __pow__(self, other): return _broadcast(_power, self, other)
    def __rpow__(self, other): return _broadcast(_power, other, self)
    def __gt__(self, other): return _broadcast(operator.gt, self, other)
    def __lt__(self, other): return _broadcast(operator.lt, self, other)
    def __ge__(self, other): return _broadcast(operator.ge, self, other)
    def __le__(self, other): return _broadcast(operator.le, self, other)

    def __neg__(self):
        return Matrix([[-v for v in row] for row in self.rows], self.shape)

    def __abs__(self):
        return Matrix([[math.fabs(v) for v in row] for row in self.rows], self.shape)

    def __matmul__(self, other: Matrix) -> Matrix:
        if self.shape[1] != other.shape[0]:
            raise ValueError(f"matmul: {self.shape} and {other.shape} do not fit")
        columns = list(zip(*other.rows))
        return Matrix([[_sum(map(operator.mul, row, col)) for col in columns] for row in self.rows],
                      (self.shape[0], other.shape[1]))


def _broadcast(f, a, b):
    """f entry by entry, a number or a dimension of 1 stretched as numpy does."""
    if not isinstance(a, Matrix):
        if not isinstance(b, Matrix):
            return f(a, b)
        return Matrix([[f(a, y) for y in row] for row in b.rows], b.shape)
    if not isinstance(b, Matrix):
        return Matrix([[f(x, b) for x in row] for row in a.rows], a.shape)
    if a.shape == b.shape:
        return Matrix([[f(x, y) for x, y in zip(ra, rb)] for ra, rb in zip(a.rows, b.rows)], a.shape)
    shape = (_max(a.shape[0], b.shape[0]), _max(a.shape[1], b.shape[1]))
    if _any(m not in (1, s) or n not in (1, s) for s, m, n in zip(shape, a.shape, b.shape)):
        raise ValueError(f"shapes {a.shape} and {b.shape} do not broadcast")
    ar, br = a.rows, b.rows
    return Matrix([[f(ar[i if a.shape[0] > 1 else 0][j if a.shape[1] > 1 else 0],
                      br[i if b.shape[0] > 1 else 0][j if b.shape[1] > 1 else 0])
                    for j in range(shape[1])] for i in range(shape[0])], shape)


def _divide(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def _power(x: float, p: float) -> float:
    """x ** p as numpy's float power: nan for a negative x to a fractional p, ±inf on overflow
    and for 0 to a negative p."""
    if p == 0.5:  # numpy takes the square root: nan at -inf too, where C's pow gives inf
        return math.sqrt(x) if x >= 0 else NAN
    odd = math.isfinite(p) and p == int(p) and int(p) % 2 == 1
    try:
        return math.pow(x, p)
    except OverflowError:
        return -INF if x < 0 and odd else INF
    except ValueError:
        if x == 0:  # 0 to a negative power
            return math.copysign(INF, x) if odd else INF
        return NAN


# -- elementwise functions: on a number or on every entry of a matrix --------------------------

def _elementwise(f):
    def apply(x):
        if isinstance(x, Matrix):
            return Matrix([[f(v) for v in row] for row in x.rows], x.shape)
        return f(float(x))
    apply.__name__ = f.__name__
    return apply


def _guarded(f, overflow=None):
    """f, with nan outside its domain and, on overflow, `overflow(x)`."""
    def value(x: float) -> float:
        try:
            return f(x)
        except ValueError:
            return NAN
        except OverflowError:
            return overflow(x)
    value.__name__ = f.__name__
    return value


def _log(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -INF if x == 0 else NAN


def _sign(x: float) -> float:
    if x != x:
        return NAN
    return 0.0 if x == 0 else math.copysign(1.0, x)


exp = _elementwise(_guarded(math.exp, lambda x: INF))
log = _elementwise(_log)
sqrt = _elementwise(_guarded(math.sqrt))
sin = _elementwise(_guarded(math.sin))
cos = _elementwise(_guarded(math.cos))
tan = _elementwise(_guarded(math.tan))
arcsin = _elementwise(_guarded(math.asin))
arccos = _elementwise(_guarded(math.acos))
arctan = _elementwise(_guarded(math.atan))
sinh = _elementwise(_guarded(math.sinh, lambda x: math.copysign(INF, x)))
cosh = _elementwise(_guarded(math.cosh, lambda x: INF))
tanh = _elementwise(math.tanh)
sign = _elementwise(_sign)
isnan = _elementwise(math.isnan)
isfinite = _elementwise(math.isfinite)


def abs(x):  # noqa: A001 - numpy's name
    return x.__abs__() if isinstance(x, Matrix) else math.fabs(x)


def _logaddexp(a: float, b: float) -> float:
    if a != a or b != b:
        return NAN
    top = _max(a, b)
    if top == INF:
        return INF
    return top + math.log1p(math.exp(-math.fabs(a - b)))


def _maximum(a: float, b: float) -> float:
    return NAN if a != a or b != b else _max(a, b)


def _heaviside(x: float, at_zero: float) -> float:
    if x != x:
        return NAN
    return 1.0 if x > 0 else 0.0 if x < 0 else at_zero


def logaddexp(a, b):
    return _broadcast(_logaddexp, a, b)


def maximum(a, b):
    return _broadcast(_maximum, a, b)


def heaviside(x, at_zero):
    return _broadcast(_heaviside, x, at_zero)


# -- reductions --------------------------------------------------------------------------------

def _entries(x) -> list:
    return x.entries() if isinstance(x, Matrix) else [x]


def sum(x) -> float:  # noqa: A001 - numpy's name
    total = 0.0
    for v in _entries(x):
        total += v
    return total


def max(x) -> float:  # noqa: A001 - numpy's name
    values = _entries(x)
    return NAN if _any(v != v for v in values) else _max(values)


def all(x) -> bool:  # noqa: A001
    return _all(_entries(x))


def any(x) -> bool:  # noqa: A001
    return _any(_entries(x))


def trace(x: Matrix) -> float:
    total = 0.0
    for i in range(x.shape[0] if x.shape[0] < x.shape[1] else x.shape[1]):
        total += x.rows[i][i]
    return total


# -- making matrices ---------------------------------------------------------------------------

def array(x, dtype=float) -> Matrix:
    """A matrix from a matrix (a copy), a list of rows, or a list of numbers (a column)."""
    if isinstance(x, Matrix):
        return Matrix(x.tolist(), x.shape)
    rows = [list(map(float, row)) if isinstance(row, (list, tuple)) else [float(row)] for row in x]
    return Matrix(rows)


def asarray(x, dtype=float) -> Matrix:
    return x if isinstance(x, Matrix) else array(x)


def _shape(shape) -> tuple:
    return (shape, 1) if isinstance(shape, int) else (shape[0], shape[1] if len(shape) > 1 else 1)


def full(shape, value: float) -> Matrix:
    r, c = _shape(shape)
    return Matrix([[value] * c for _ in range(r)], (r, c))


def zeros(shape) -> Matrix:
    return full(shape, 0.0)


def ones(shape) -> Matrix:
    return full(shape, 1.0)


def zeros_like(x: Matrix) -> Matrix:
    return full(x.shape, 0.0)


def eye(n: int) -> Matrix:
    return Matrix([[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)], (n, n))


def diag(x: Matrix) -> Matrix:
    """numpy's diag: the diagonal of a matrix (as a column), or the matrix with a column's
    entries on its diagonal."""
    if x.shape[1] == 1 and x.shape[0] > 1:
        return diagflat(x)
    return Matrix([[x.rows[i][i]] for i in range(x.shape[0] if x.shape[0] < x.shape[1] else x.shape[1])])


def diagflat(x: Matrix) -> Matrix:
    values = x.entries()
    n = len(values)
    return Matrix([[values[i] if i == j else 0.0 for j in range(n)] for i in range(n)], (n, n))


def kron(a: Matrix, b: Matrix) -> Matrix:
    return Matrix([[x * y for x in ra for y in rb] for ra in a.rows for rb in b.rows],
                  (a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]))


def column_stack(columns) -> Matrix:
    """Columns (n×1, as this module's 1-D arrays) side by side."""
    return Matrix([list(r) for r in zip(*(c.entries() for c in columns))])


def broadcast_to(x: Matrix, shape) -> Matrix:
    return x + zeros(shape) if x.shape != tuple(shape) else x


def errstate(**_):
    """numpy's floating-point error modes: here nothing ever warns or raises."""
    return nullcontext()


# -- linear algebra ----------------------------------------------------------------------------

def _pivot(rows: list[list[float]], k: int) -> int:
    """The row at or below k with the largest entry in column k (the first of equals): partial pivoting."""
    p, largest = k, math.fabs(rows[k][k])
    for i in range(k + 1, len(rows)):
        size = math.fabs(rows[i][k])
        if size > largest:
            p, largest = i, size
    return p


def _lu(a: Matrix):
    """LU with partial pivoting: (rows of U and L packed, the permutation's sign), or None when a
    pivot is exactly zero."""
    n = a.shape[0]
    if a.shape[1] != n:
        raise LinAlgError(f"a {a.shape[0]}×{a.shape[1]} matrix is not square")
    m = a.tolist()
    sign = 1.0
    for k in range(n):
        p = _pivot(m, k)
        if m[p][k] == 0:
            return None, sign
        if p != k:
            m[k], m[p] = m[p], m[k]
            sign = -sign
        pivot, row_k = m[k][k], m[k]
        for i in range(k + 1, n):
            row = m[i]
            f = row[k] / pivot
            row[k] = f
            if f:
                for j in range(k + 1, n):
                    row[j] -= f * row_k[j]
    return m, sign


def det(a: Matrix) -> float:
    lu, sign = _lu(a)
    if lu is None:
        return 0.0
    value = sign
    for i in range(len(lu)):
        value *= lu[i][i]
    return value


def inv(a: Matrix) -> Matrix:
    """A⁻¹ by Gauss-Jordan elimination of [A | I] with partial pivoting."""
    n = a.shape[0]
    if a.shape[1] != n:
        raise LinAlgError(f"a {a.shape[0]}×{a.shape[1]} matrix is not square")
    rows = [row + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(a.rows)]
    for k in range(n):
        p = _pivot(rows, k)
        if rows[p][k] == 0:
            raise LinAlgError("Singular matrix")
        rows[k], rows[p] = rows[p], rows[k]
        pivot = rows[k][k]
        row_k = rows[k] = [v / pivot for v in rows[k]]
        for i in range(n):
            if i != k:
                f = rows[i][k]
                if f:
                    rows[i] = [x - f * y for x, y in zip(rows[i], row_k)]
    return Matrix([row[n:] for row in rows], (n, n))


def matrix_power(a: Matrix, n: int) -> Matrix:
    """Aⁿ for n ≥ 0 by repeated squaring, as numpy's (A⁻¹ to the power -n for n < 0)."""
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else result @ a
        n >>= 1
        if n:
            a = a @ a
    return result if result is not None else eye(a.shape[0])


def norm(x: Matrix) -> float:
    """The Frobenius norm (numpy's norm of a 2-D array)."""
    return math.sqrt(sum(x * x))


def singular_values(a: Matrix) -> list:
    """σ₁ ≥ … ≥ σₙ by one-sided Jacobi (Hestenes): rotate pairs of columns until all are
    orthogonal; the singular values are then the columns' lengths. Accurate to a few units of
    rounding relative to each σ, the small ones too."""
    columns = [list(c) for c in zip(*a.rows)] if a.shape[0] >= a.shape[1] else [list(r) for r in a.rows]
    n = len(columns)
    for _ in range(60):
        rotated = False
        for i in range(n - 1):
            for j in range(i + 1, n):
                ci, cj = columns[i], columns[j]
                alpha = beta = gamma = 0.0
                for x, y in zip(ci, cj):
                    alpha += x * x
                    beta += y * y
                    gamma += x * y
                if gamma == 0 or math.fabs(gamma) <= 1e-15 * math.sqrt(alpha * beta):
                    continue
                rotated = True
                zeta = (beta - alpha) / (2 * gamma)
                t = math.copysign(1.0, zeta) / (math.fabs(zeta) + math.sqrt(1 + zeta * zeta))
                c = 1 / math.sqrt(1 + t * t)
                s = c * t
                columns[i] = [c * x - s * y for x, y in zip(ci, cj)]
                columns[j] = [s * x + c * y for x, y in zip(ci, cj)]
        if not rotated:
            break
    return sorted((math.sqrt(_sum(x * x for x in c)) for c in columns), reverse=True)


def cond(a: Matrix) -> float:
    """σ_max / σ_min, as numpy.linalg.cond (inf for a singular matrix)."""
    s = singular_values(a)
    return s[0] / s[-1] if s[-1] else INF


linalg = SimpleNamespace(det=det, inv=inv, matrix_power=matrix_power, norm=norm, cond=cond,
                         LinAlgError=LinAlgError)


# -- random data -------------------------------------------------------------------------------

class Random:
    """numpy's Generator methods that `evaluation.random_value` draws with, from Python's
    Mersenne twister: whole numbers, uniform and standard normal matrices."""

    def __init__(self, seed: int):
        self._random = _random.Random(seed)

    def integers(self, low: int, high: int) -> int:
        return self._random.randrange(low, high)

    def uniform(self, low: float, high: float, size) -> Matrix:
        r, c = _shape(size)
        return Matrix([[self._random.uniform(low, high) for _ in range(c)] for _ in range(r)], (r, c))

    def standard_normal(self, size) -> Matrix:
        r, c = _shape(size)
        return Matrix([[self._random.gauss(0.0, 1.0) for _ in range(c)] for _ in range(r)], (r, c))


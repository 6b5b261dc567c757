"""matcalc expressions → SymPy matrix expressions. The only module that imports sympy.

Matrices and vectors become `MatrixSymbol`s of their symbolic shape (vectors n×1), scalars
`Symbol`s; tr, |·|, ᵀ, ⁻¹, ∘ map to Trace, Determinant, Transpose, Inverse, HadamardProduct.
A 1×1 product such as xᵀAy is a scalar here but a 1×1 matrix in SymPy, so it is written
Trace(xᵀAy) (1.D: the trace of a real number is that number)."""
from __future__ import annotations

from ..calculus import functions
from ..errors import MatcalcError
from ..calculus.expr import (
    Add, Const, Det, Expr, Func, Hadamard, HadamardPower, Identity, MatMul, Norm, Ones, Power,
    Sum, Sym, Trace, Transpose, Zero, postorder,
)
from ..calculus.expr import Integer, VariablePower


def to_sympy(e: Expr, sizes: dict | None = None):
    """The SymPy form of e. Dimensions are positive integer Symbols (m, n, ...) unless `sizes`
    gives them numbers ({"m": 3}), which makes the result evaluable with `.subs(...).doit()`.
    SymPy is optional: without it, a MatcalcError says how to install it."""
    try:
        import sympy as sp
    except ImportError:
        raise MatcalcError('to_sympy() needs SymPy, which is optional: pip install "matcalc-cli[sympy]"') from None

    return _SymPy(sp, sizes or {}).convert(e)


class _SymPy:
    def __init__(self, sp, sizes: dict):
        self.sp = sp
        self.sizes = sizes
        self.dims: dict = {}

    def dim(self, d):
        if d == 1:
            return 1
        if d in self.sizes:
            return self.sizes[d]
        if d not in self.dims:
            self.dims[d] = self.sp.Symbol(str(d), integer=True, positive=True)
        return self.dims[d]

    def convert(self, root: Expr):
        done: dict = {}
        for node in postorder(root):
            if node not in done:
                done[node] = self.node(node, [done[c] for c in node.children()])
        return done[root]

    def node(self, e: Expr, k: list):
        sp = self.sp
        if isinstance(e, Integer):  # k of X^k
            return sp.Symbol(e.name, integer=True, positive=True)
        if isinstance(e, Sym):
            if e.is_scalar:
                return sp.Symbol(e.name, real=True)
            return sp.MatrixSymbol(e.name, self.dim(e.shape[0]), self.dim(e.shape[1]))
        if isinstance(e, Const):
            return sp.Rational(e.value.numerator, e.value.denominator)
        if isinstance(e, Identity):
            return sp.Identity(self.dim(e.n))
        if isinstance(e, Ones):
            return sp.OneMatrix(self.dim(e.shape[0]), self.dim(e.shape[1]))
        if isinstance(e, Zero):
            return sp.ZeroMatrix(self.dim(e.shape[0]), self.dim(e.shape[1]))
        if isinstance(e, Add):
            return sp.Add(*k) if e.is_scalar else sp.MatAdd(*k)
        if isinstance(e, MatMul):
            return self.product(e.factors, k)
        if isinstance(e, Transpose):
            return k[0].T
        if isinstance(e, Power):
            if e.base.is_scalar:
                return k[0] ** sp.Rational(e.exponent.numerator, e.exponent.denominator)
            return sp.Inverse(k[0]) if e.exponent == -1 else sp.MatPow(k[0], int(e.exponent))
        if isinstance(e, VariablePower):
            return k[0] ** k[1] if e.base.is_scalar else sp.MatPow(k[0], k[1])
        if isinstance(e, Trace):
            return sp.Trace(k[0])
        if isinstance(e, Det):
            return sp.Determinant(k[0])
        if isinstance(e, Hadamard):
            return sp.HadamardProduct(*k)
        if isinstance(e, HadamardPower):
            return sp.HadamardPower(k[0], sp.Rational(e.exponent.numerator, e.exponent.denominator))
        if isinstance(e, Func):
            row = functions.lookup(e.name)
            if row.sympy is None:
                raise ValueError(f"no SymPy form for {e.name}")
            if not row.elementwise:  # softmax, logsumexp: of the whole column
                return row.sympy(sp, k[0])
            f = lambda x: row.sympy(sp, x)  # noqa: E731
            return f(k[0]) if e.arg.is_scalar else k[0].applyfunc(f)  # elementwise on matrices
        if isinstance(e, Sum):  # sum of entries: 1ᵀ X 1
            r, c = e.arg.shape
            # (an entry, not Trace(1ᵀX1): SymPy 1.14 cannot evaluate a Trace around OneMatrix)
            return (sp.OneMatrix(1, self.dim(r)) * k[0] * sp.OneMatrix(self.dim(c), 1))[0, 0]
        if isinstance(e, Norm):  # ‖X‖ = ‖X‖_F = √tr(XᵀX)
            return sp.sqrt(sp.Trace(k[0].T * k[0]))
        raise ValueError(f"no SymPy form for {type(e).__name__}")

    def product(self, factors, converted):
        """Scalars multiply; matrices chain; a 1×1 run of matrices becomes a Trace (a scalar)."""
        from ..calculus.canonical import chain_shape, segments

        sp = self.sp
        scalars = [c for f, c in zip(factors, converted) if f.is_scalar]
        matrices = [(f, c) for f, c in zip(factors, converted) if not f.is_scalar]
        chain, start = [], 0
        for segment in segments([f for f, _ in matrices]):  # consecutive runs, in order
            parts = [c for _, c in matrices[start:start + len(segment)]]
            start += len(segment)
            product = parts[0] if len(parts) == 1 else sp.MatMul(*parts)
            if chain_shape(segment) == (1, 1):
                scalars.append(sp.Trace(product))
            else:
                chain.append(product)
        if not chain:
            return sp.Mul(*scalars)
        return sp.MatMul(*scalars, *chain) if len(scalars) + len(chain) > 1 else chain[0]

"""Expressions → one line of NumPy that runs as pasted once `import numpy as np` is done and
each variable is bound to an array of its shape: vectors as 1-D arrays, scalars as floats."""
from __future__ import annotations

import keyword
from fractions import Fraction

from ..calculus import functions
from ..errors import MatcalcError
from ..calculus.expr import (
    Add, Const, Det, Differential, DifferentialOf, Expr, Func, Hadamard, HadamardPower, Identity, MatMul, Norm,
    Ones, Power, Sum, Sym, Trace, Transpose, Zero, free_symbols,
)
from ..calculus.canonical import chain_shape, segments
from ..calculus.expr import SCALAR, postorder
from ..calculus.expr import Commutation, Diag, Diagonal, IndexForm, Kron, Vec, VariablePower, index_axes, index_dims

SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5


class NoNumPyForm(MatcalcError, ValueError):
    """Bad input for the numpy format (`I` alone: of what size?); a ValueError to older callers."""


def identifier(canonical: str) -> str:
    """`\\Sigma` → Sigma, W_2 → W_2, x_{12} → x_12, `\\lambda` → lambda_ (a keyword)."""
    return canonical + "_" if keyword.iskeyword(canonical) else canonical


def to_numpy(e: Expr, context: Expr | None = None) -> str:
    """NumPy code for e; `context` (the whole input) supplies a variable for each dimension."""
    dims: dict = {}
    for s in free_symbols(context if context is not None else e) + free_symbols(e):
        for axis, d in enumerate(s.shape):
            if d != 1 and d not in dims:
                dims[d] = f"{identifier(s.name)}.shape[{axis}]"
    return _NumPy(dims).go(e)[0]


def _vanishes_nearby(e: Expr) -> bool:
    """A norm of an expression with relu may be 0 on an open set (relu(u) = 0 for u < 0). There the
    function is constant and its gradient 0, while the formula, relu(u) ∘ step(u) / ‖relu(u)‖ and
    the like, is 0/0: such a norm divides as (‖v‖ or ∞), which is ‖v‖ wherever it is not 0."""
    return isinstance(e, Norm) and any(isinstance(n, Func) and n.name == "relu" for n in postorder(e.arg))


class _NumPy:
    def __init__(self, dims):
        self.dims = dims

    def dim(self, d) -> str:
        if d == 1:
            return "1"
        if isinstance(d, tuple):  # a product of dimensions (the rows of vec(X), of A ⊗ B)
            return " * ".join(self.dim(f) for f in d)
        if d not in self.dims:
            raise NoNumPyForm(f"no NumPy form: the size {d} is not the size of any variable here")
        return self.dims[d]

    def shape(self, e: Expr) -> str:
        """A column or a row is a 1-D array (as xᵀ is x), a matrix 2-D."""
        r, c = e.shape
        if c == 1:
            return f"({self.dim(r)},)"
        if r == 1:
            return f"({self.dim(c)},)"
        return f"({self.dim(r)}, {self.dim(c)})"

    def wrap(self, e: Expr, level: int) -> str:
        text, prec = self.go(e)
        return f"({text})" if prec < level else text

    def go(self, e: Expr) -> tuple[str, int]:
        if isinstance(e, Sym):
            return identifier(e.name), ATOM
        if isinstance(e, Differential):
            return "d" + identifier(e.var.name), ATOM
        if isinstance(e, DifferentialOf):  # d(U) in a line of a derivation: U's differential written out
            from ..calculus.differentiate import differential

            return self.go(differential(e.arg, e.var))
        if isinstance(e, Const):
            v = e.value
            if max(v.numerator.bit_length(), v.denominator.bit_length()) > 13_300:  # as render.MAX_BITS
                raise MatcalcError("a number in the result has more than 4000 digits")
            text = str(v.numerator) if v.denominator == 1 else repr(float(v))
            return text, ATOM if v >= 0 else UNARY
        if isinstance(e, Identity):
            return f"np.eye({self.dim(e.n)})", ATOM
        if isinstance(e, Ones):
            return f"np.ones({self.shape(e)})", ATOM
        if isinstance(e, Zero):
            return f"np.zeros({self.shape(e)})", ATOM
        if isinstance(e, Add):
            parts = [self.wrap(e.terms[0], SUM)]
            for t in e.terms[1:]:
                text, prec = self.go(t)
                if text.startswith("-") and prec >= PRODUCT:
                    parts.append(" - " + text[1:])
                else:
                    parts.append(" + " + (f"({text})" if prec < SUM + 1 else text))
            return "".join(parts), SUM
        if isinstance(e, MatMul):
            return self.product(e.factors)
        if isinstance(e, Transpose):
            if e.arg.shape[1] == 1 or e.arg.shape[0] == 1:  # a 1-D vector is its own transpose
                return self.go(e.arg)
            return self.wrap(e.arg, ATOM) + ".T", ATOM
        if isinstance(e, Power):
            p = e.exponent
            if e.base.is_scalar:
                exp = str(p.numerator) if p.denominator == 1 else f"({p.numerator}/{p.denominator})"
                return f"{self.wrap(e.base, ATOM)} ** {exp}", POWER
            if p == -1:
                return f"np.linalg.inv({self.go(e.base)[0]})", ATOM
            if p < 0:
                return f"np.linalg.matrix_power(np.linalg.inv({self.go(e.base)[0]}), {-p})", ATOM
            return f"np.linalg.matrix_power({self.go(e.base)[0]}, {p})", ATOM
        if isinstance(e, VariablePower):  # a ** b; X^k with k an int
            if e.base.is_scalar:
                return f"{self.wrap(e.base, ATOM)} ** {self.wrap(e.exponent, ATOM)}", POWER
            return f"np.linalg.matrix_power({self.go(e.base)[0]}, {self.go(e.exponent)[0]})", ATOM
        if isinstance(e, Trace):
            return f"np.trace({self.go(e.arg)[0]})", ATOM
        if isinstance(e, Det):
            return f"np.linalg.det({self.go(e.arg)[0]})", ATOM
        if isinstance(e, Sum):
            return f"np.sum({self.go(e.arg)[0]})", ATOM
        if isinstance(e, Norm):
            return f"np.linalg.norm({self.go(e.arg)[0]})", ATOM
        if isinstance(e, Func):
            return functions.lookup(e.name).numpy.format(self.go(e.arg)[0]), ATOM
        if isinstance(e, Hadamard):
            return " * ".join(self.wrap(f, PRODUCT + 1) for f in e.factors), PRODUCT
        if isinstance(e, HadamardPower):
            p = e.exponent
            exp = str(p.numerator) if p.denominator == 1 else repr(float(p))
            if p < 0:
                exp = f"({exp})"
            return f"{self.wrap(e.base, ATOM)} ** {exp}", POWER
        if isinstance(e, (Diag, Diagonal)):  # np.diag goes both ways, as diag does
            return f"np.diag({self.go(e.arg)[0]})", ATOM
        if isinstance(e, Vec):
            return f"np.ravel({self.go(e.arg)[0]}, order='F')", ATOM
        if isinstance(e, Kron):
            code = f"np.kron({self.kron_operand(e.left)}, {self.kron_operand(e.right)})"
            return (code + ".ravel()" if e.shape[1] == 1 else code), ATOM
        if isinstance(e, Commutation):
            return self.commutation(self.dim(e.m), self.dim(e.n)), ATOM
        if isinstance(e, IndexForm):
            return self.index_form(e), ATOM
        raise NoNumPyForm(f"no NumPy form for {type(e).__name__}")

    def index_form(self, e: IndexForm) -> str:
        """The whole tensor ∂F_ij/∂X_kl by np.einsum, then laid out as the Jacobian over vec
        (order="F": rows (i j), columns (k l), as vec stacks columns)."""
        terms = []
        sizes = dict(e.sizes)
        for coefficient, factors in e.terms:
            spec = ",".join("".join(index_axes(labels)) for _, labels in factors) + "->" + e.outputs
            operands = "".join(", " + self.operand(op, labels, sizes) for op, labels in factors)
            optimize = ", optimize=True" if len(factors) > 2 else ""  # a good order of contraction
            code = f"np.einsum('{spec}'{operands}{optimize})"
            if coefficient.is_scalar and coefficient != Const(Fraction(1)):
                code = f"{self.wrap(coefficient, PRODUCT + 1)} * {code}"
            terms.append(code)
        rows, columns = e.shape
        if not any(a in e.outputs for a in "ij"):  # a gradient G_kl: the tensor is G, a vector 1-D
            return " + ".join(terms)
        tensor = terms[0] if len(terms) == 1 and terms[0].startswith("np.") else f"({' + '.join(terms)})"
        return f"{tensor}.reshape(({self.dim(rows)}, {self.dim(columns)}), order='F')"

    def operand(self, op: Expr, labels: str, sizes: dict) -> str:
        """An operand of np.einsum; an axis of size p·q read as two (a row of A ⊗ B, of vec(M))
        by a column-major reshape, the first of them running fastest."""
        if "(" not in labels:
            return self.go(op)[0]
        dims = ", ".join(self.dim(d) for d in index_dims(op, labels, sizes))
        return f"{self.wrap(op, ATOM)}.reshape(({dims}), order='F')"

    def commutation(self, m: str, n: str) -> str:
        """K_{mn} inline: the rows of I permuted, row i n + j the entry (i, j) of vec(A)."""
        mn = f"{m} * {n}"
        return f"np.eye({mn})[np.arange({mn}).reshape(({m}, {n}), order='F').ravel()]"  # as `permutation`

    def kron_operand(self, e: Expr) -> str:
        """np.kron reads a 1-D array as a row: a column vector goes in as an n×1 array."""
        if e.shape[1] == 1 and e.shape[0] != 1:
            return f"{self.wrap(e, ATOM)}[:, None]"
        return self.go(e)[0]

    def product(self, factors) -> tuple[str, int]:
        """Scalars multiply with *, matrices with @; a column times a row is np.outer."""
        coefficient = Fraction(1)
        parts, divisors = [], []
        for f in factors:
            if isinstance(f, Const):
                coefficient *= f.value
            elif isinstance(f, Power) and f.base.is_scalar and f.exponent < 0:  # a / b, as the text form
                divisor = f.base if f.exponent == -1 else Power(f.base, -f.exponent)
                code = self.wrap(divisor, POWER if isinstance(divisor, Power) else ATOM)
                if _vanishes_nearby(f.base):  # ‖relu(u)‖ = 0: the numerator is 0 too, and so is the gradient
                    base = self.go(f.base)[0]
                    code = code.replace(base, f"({base} or np.inf)", 1)
                divisors.append(code)
            elif f.is_scalar:
                parts.append(self.wrap(f, POWER if isinstance(f, Power) else PRODUCT + 1))
        runs = segments([f for f in factors if not f.is_scalar])
        for run in runs:  # a 1×1 run inside a longer product, (xᵀy) A, is a number: *, not @
            parts.append(f"({self.chain(run)})" if len(runs) > 1 and chain_shape(run) == SCALAR
                         else self.chain(run))
        if abs(coefficient) != 1 or not parts:
            parts.insert(0, self.go(Const(abs(coefficient)))[0])
        code = " * ".join(parts) + "".join(" / " + d for d in divisors)
        return ("-" if coefficient < 0 else "") + code, UNARY if coefficient < 0 else PRODUCT

    def chain(self, chain) -> str:
        """A matrix chain with @. diag(v) and K_{mn} are applied, never built (an n × n or mn × mn
        matrix and an O(n³) product for an O(n²) scaling or permutation): M diag(v) is M * v,
        diag(v) M is v[:, None] * M, M K_{mn} permutes the columns of M and K_{mn} M its rows."""
        first = chain[0]
        if len(chain) > 1 and type(first) in (Diag, Commutation) and type(chain[1]) not in (Diag, Commutation):
            acc, acc_shape = self.applied_left(first, chain[1]), (first.shape[0], chain[1].shape[1])
            rest, atom = chain[2:], False
        else:
            acc, acc_shape = self.wrap(first, PRODUCT + 1), first.shape
            rest, atom = chain[1:], True
        for f in rest:
            if type(f) is Diag:
                acc = f"{acc} * {self.wrap(f.arg, PRODUCT + 1)}"
            elif type(f) is Commutation:
                index = self.permutation(f.n, f.m)  # the columns of M K_{mn}: M K_{mn} = M[:, K_{nm}'s order]
                acc = f"{acc if atom else f'({acc})'}[{'' if acc_shape[0] == 1 else ':, '}{index}]"
            elif acc_shape[1] == 1 and f.shape[0] == 1:  # column × row
                acc = f"np.outer({acc}, {self.wrap(f, PRODUCT)})"
            else:
                acc = f"{acc} @ {self.wrap(f, PRODUCT + 1)}"
            acc_shape, atom = (acc_shape[0], f.shape[1]), False
        return acc

    def applied_left(self, f: Expr, g: Expr) -> str:
        """diag(v) g or K_{mn} g."""
        if type(f) is Commutation:
            return f"{self.wrap(g, ATOM)}[{self.permutation(f.m, f.n)}]"
        v = self.wrap(f.arg, ATOM)
        if g.shape[1] == 1:  # a column: a 1-D array
            return f"{v} * {self.wrap(g, PRODUCT + 1)}"
        return f"{v}[:, None] * {self.wrap(g, PRODUCT + 1)}"

    def permutation(self, m, n) -> str:
        """The order of the rows of I that K_{mn} is (see `commutation`)."""
        mn = f"{self.dim(m)} * {self.dim(n)}"
        return f"np.arange({mn}).reshape(({self.dim(m)}, {self.dim(n)}), order='F').ravel()"

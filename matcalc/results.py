"""What the API returns: a gradient, a Jacobian or Hessian, a simplification, each with its
input, its result and the result in every notation. Each derives its steps on first use."""
from __future__ import annotations

import functools

from .calculus import differentiate
from .calculus.expr import Det, Diag, Diagonal, Expr, Func, Norm, Sum, Sym, Trace, Vec
from .formats import render
from .frozen import Frozen
from .language import kinds

_ATOMS = (Sym, Func, Trace, Det, Sum, Norm, Diag, Diagonal, Vec)  # written without parentheses after ∂


class _Forms:
    """The result in each notation; needs `result` and `written` (the input as written)."""

    @property
    def text(self) -> str:
        return render.render(self.result, render.TEXT)

    @property
    def unicode(self) -> str:
        return render.render(self.result, render.UNICODE)

    @property
    def latex(self) -> str:
        return render.render(self.result, render.LATEX)

    @property
    def numpy(self) -> str:
        """One line of NumPy (vectors as 1-D arrays, scalars as floats)."""
        from .formats.numpy_code import to_numpy

        return to_numpy(self.result, self.written)  # the input as written names every dimension

    def to_sympy(self):
        """The result as a SymPy matrix expression (imports sympy)."""
        from .formats.interop import to_sympy

        return to_sympy(self.result)


class Gradient(Frozen, _Forms):
    """∇_wrt of an expression: the input (as written and simplified), the result, the typing.

    `wrt` is the variable's canonical name, `transposed` ∇ with respect to Xᵀ (seed 3.C),
    `expression` the input simplified, `written` the input as written (for echoing it).
    `typing` is compared, not shown; `show_steps` (keyword only: diff(..., steps=True)) neither.
    Frozen, with `replace(**changes)`: records of matcalc/frozen.py, which says why they are
    not dataclasses."""

    _fields = ("source", "wrt", "transposed", "expression", "written", "result", "typing", "show_steps")
    _compared = _fields[:7]
    _shown = _fields[:6]

    def __init__(self, source: str, wrt: str, transposed: bool, expression: Expr, written: Expr, result: Expr,
                 typing: kinds.Typing, *, show_steps: bool = False):
        self.__dict__.update(source=source, wrt=wrt, transposed=transposed, expression=expression, written=written,
                             result=result, typing=typing, show_steps=show_steps)  # (__setattr__ refuses)

    @property
    def variable(self) -> Sym:
        return self.typing.symbol(self.wrt)

    def lhs(self, style: str = "text") -> str:
        return self.gradient_lhs(style)

    def gradient_lhs(self, style: str = "text") -> str:
        """∇_X f (∇_{Xᵀ} f when transposed) in a style: also the first line of a Hessian's
        derivation, whose own lhs is ∇²_x f."""
        st = render.STYLES[style]
        var = render.name(self.wrt, st) + (st.sup("T") if self.transposed else "")
        if style == "latex":
            return f"\\nabla_{{{var}}} {render.render(self.written, st)}"
        if style == "unicode":
            return f"∇_{var} {render.render(self.written, st)}"
        return f"\\nabla_{var if len(var) == 1 else '{' + var + '}'} {render.render(self.written, st)}"


    @functools.cached_property
    def steps(self):
        """The derivation, a tuple of `steps.Step`s each citing its rule (derived on first use;
        raises steps.NoDerivation, a MatcalcError, for a form without one)."""
        from .derivations.steps import derive

        return derive(self).steps

    def __str__(self) -> str:
        return f"{self.lhs('unicode')} = {self.unicode}"

    def _repr_latex_(self) -> str:
        """The result; made with `steps=True`, its derivation, the rows of `-f latex --steps`
        (for a front end that renders LaTeX rather than Markdown)."""
        d = self._derivation() if self.show_steps else None
        return f"$${_aligned(d)}$$" if d is not None else f"$${self.lhs('latex')} = {self.latex}$$"

    def _repr_markdown_(self) -> str:
        """What a notebook shows (Jupyter prefers it to the LaTeX above): the result, then its
        derivation in $$ math, long repeated parts named (`derivations.exports`)."""
        from .derivations import exports

        return exports.markdown(f"{self.lhs('latex')} = {self.latex}", self._derivation())

    def _derivation(self):
        """The derivation, or None for a form without one."""
        from .derivations.steps import NoDerivation, derive

        try:
            return derive(self)
        except NoDerivation:
            return None


def _aligned(d) -> str:
    from .derivations import exports

    return exports.aligned(d)


LAYOUTS = ("numerator", "denominator")


class Derivative(Gradient):
    """A Jacobian ∂f/∂x, J[i, j] = ∂fᵢ/∂xⱼ (rows are outputs; ∂vec(F)/∂vec(X) where a side is a
    matrix), or a Hessian ∇²_x f. `transposed`: the denominator layout, the Jacobian transposed.
    `kind`: "jacobian" or "hessian"."""

    _fields = (*Gradient._fields[:7], "kind", "show_steps")
    _compared = _fields[:8]
    _shown = (*Gradient._shown, "kind")

    def __init__(self, source: str, wrt: str, transposed: bool, expression: Expr, written: Expr, result: Expr,
                 typing: kinds.Typing, kind: str = "jacobian", *, show_steps: bool = False):
        self.__dict__.update(source=source, wrt=wrt, transposed=transposed, expression=expression, written=written,
                             result=result, typing=typing, kind=kind, show_steps=show_steps)

    def gradient(self) -> Gradient:
        """The gradient of the same expression (a Hessian is its Jacobian)."""
        var = self.variable
        return Gradient(self.source, self.wrt, False, self.expression, self.written,
                        differentiate.gradient(self.expression, var), self.typing)

    @property
    def label(self) -> str:
        return f"∇²_{self.wrt}" if self.kind == "hessian" else f"∂/∂{self.wrt}"

    def lhs(self, style: str = "text") -> str:
        st = render.STYLES[style]
        x, f = render.name(self.wrt, st), render.render(self.written, st)
        if self.kind == "hessian":
            if style == "text":
                return f"\\nabla^2_{x if len(x) == 1 else '{' + x + '}'} {f}"
            return f"\\nabla^2_{{{x}}} {f}" if style == "latex" else f"∇²_{x} {f}"
        vec = "\\operatorname{vec}" if style == "latex" else "vec"
        top = f"{vec}({f})" if 1 not in self.expression.shape else (
            f if isinstance(self.written, _ATOMS) else f"\\left({f}\\right)" if style == "latex" else f"({f})")
        bottom = f"{vec}({x})" if 1 not in self.variable.shape else x
        if style == "latex":
            out = f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"
            return f"\\left({out}\\right)^{{T}}" if self.transposed else out
        if style == "unicode":
            out = f"∂{top}/∂{bottom}"
        elif 1 not in self.expression.shape or 1 not in self.variable.shape:  # d vec(F)/…, …/d vec(X)
            gap = "" if top.startswith("(") else " "
            out = f"d{gap}{top}/d{' ' if bottom.startswith(vec) else ''}{bottom}"
        else:  # the query form of the input language: it reads back as this Jacobian
            out = f"d/d{bottom} {top}"
        return f"({out}){st.sup('T')}" if self.transposed else out


class Simplified(Frozen, _Forms):
    """`simplify`: an expression as written and its simplest canonical form. `typing` is
    compared, not shown; `show_steps` (keyword only: simplify(..., steps=True)) neither."""

    _fields = ("source", "written", "result", "typing", "show_steps")
    _compared = _fields[:4]
    _shown = _fields[:3]

    def __init__(self, source: str, written: Expr, result: Expr, typing: kinds.Typing, *, show_steps: bool = False):
        self._set(source, written, result, typing, show_steps)

    @functools.cached_property
    def steps(self):
        """The chain of equalities from the input to the result, a tuple of `steps.Step`s each
        citing its rule (1.A-1.D, distributive, ...)."""
        from .derivations.chains import simplification

        return simplification(self).steps

    def __str__(self) -> str:
        return f"{render.render(self.written, render.UNICODE)} = {self.unicode}"

    def _repr_latex_(self) -> str:
        """The input = its simplest form; made with `steps=True`, the chain of equalities between them."""
        from .derivations import chains

        chain = chains.simplification(self) if self.show_steps else None
        if chain is not None and chain.steps:
            return f"$${_aligned(chain)}$$"
        return f"$${render.render(self.written, render.LATEX)} = {self.latex}$$"

    def _repr_markdown_(self) -> str:
        """The simplest form, then the chain of equalities that reaches it, in $$ math."""
        from .derivations import chains, exports

        return exports.markdown(f"{render.render(self.written, render.LATEX)} = {self.latex}",
                                chains.simplification(self))

"""The road from text to result: parse → kinds/shapes → typed expression → gradient.

`diff`, `simplify` and `verify` are the Python API (re-exported by `matcalc`); the CLI is a
thin layer over them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import differentiate, kinds, parser, render
from .errors import MatcalcError
from .expr import Expr, Sym
from .syntax import Line, Query, Syntax


@dataclass(frozen=True)
class Gradient:
    """∇_wrt of an expression: the input (as written and simplified), the result, the typing."""

    source: str
    wrt: str                 # canonical name of the variable
    transposed: bool         # ∇ with respect to Xᵀ (seed 3.C)
    expression: Expr         # the input, simplified
    written: Expr            # the input as written (for echoing it)
    result: Expr
    typing: kinds.Typing = field(repr=False)

    @property
    def variable(self) -> Sym:
        return self.typing.symbol(self.wrt)

    def lhs(self, style: str = "text") -> str:
        st = render.STYLES[style]
        var = render.name(self.wrt, st) + (st.sup("T") if self.transposed else "")
        if style == "latex":
            return f"\\nabla_{{{var}}} {render.render(self.written, st)}"
        if style == "unicode":
            return f"∇_{var} {render.render(self.written, st)}"
        return f"\\nabla_{var if len(var) == 1 else '{' + var + '}'} {render.render(self.written, st)}"

    @property
    def text(self) -> str:
        return render.render(self.result, render.TEXT)

    @property
    def unicode(self) -> str:
        return render.render(self.result, render.UNICODE)

    @property
    def latex(self) -> str:
        return render.render(self.result, render.LATEX)

    def __str__(self) -> str:
        return f"{self.lhs('unicode')} = {self.unicode}"

    def _repr_latex_(self) -> str:
        return f"$${self.lhs('latex')} = {self.latex}$$"


def parse_declarations(declared: dict[str, str] | None) -> dict[str, str]:
    """Names given on the command line (`\\lambda`, `λ`, `lambda`, `W_2`) → canonical names."""
    out = {}
    for written, kind in (declared or {}).items():
        out[resolve_name(written)] = kind
    return out


def resolve_name(written: str) -> str:
    name = parser.canonical_name(written.strip().lstrip("\\") if written.strip().startswith("\\") and
                                 parser.canonical_name(written.strip()) is None else written)
    if name is None:
        name = parser.canonical_name("\\" + written.strip())
    if name is None:
        raise MatcalcError(f"{written!r} is not a variable name (one letter, maybe with digits or a subscript)",
                           written, (0, len(written)))
    return name


def diff(source: str, wrt: str | list[str] | tuple[str, ...] | None = None,
         declared: dict[str, str] | None = None) -> Gradient | list[Gradient]:
    """∇ of `source` with respect to `wrt` (a name or several); `source` may be a query
    (`\\nabla_A tr(A B)`), in which case `wrt` may be left out. One name gives one Gradient."""
    results = gradients_of(source, [wrt] if isinstance(wrt, str) else list(wrt or []), declared)
    return results[0] if isinstance(wrt, str) or (wrt is None and len(results) == 1) else results


def gradients_of(source: str, wrts: list[str], declared: dict[str, str] | None = None) -> list[Gradient]:
    """One Gradient per variable: the query's own (`\\nabla_A ...`) first, then each of `wrts`."""
    line = parser.parse(source)
    if line.rhs is not None:
        raise MatcalcError("this is an identity (it has '='): use `matcalc verify`", source, (0, len(source)))
    return gradients(line.lhs, source, wrts, declared)


def gradients(side: Syntax | Query, source: str, wrts: list[str],
              declared: dict[str, str] | None = None) -> list[Gradient]:
    body = side.body if isinstance(side, Query) else side
    targets: list[tuple[str, bool]] = []
    if isinstance(side, Query):
        targets.append((side.wrt, side.transposed))
    for w in wrts:
        w = w.strip()
        transposed = w.endswith(("^T", "'", "ᵀ"))
        for suffix in ("^T", "'", "ᵀ"):
            w = w.removesuffix(suffix)
        targets.append((resolve_name(w), transposed))
    if not targets:
        raise MatcalcError("say which variable to differentiate with respect to, e.g. `matcalc diff EXPR A`",
                           source, (0, len(source)))
    typing = kinds.infer([body], source, parse_declarations(declared), scalar_result=True)
    expression = kinds.build(body, typing)
    written = kinds.build(body, typing, raw=True)
    out = []
    for name, transposed in targets:
        if name not in typing.kinds:
            raise MatcalcError(f"{name} does not occur in the expression", source, body.span)
        var = typing.symbol(name)
        result = differentiate.gradient(expression, var, transposed)
        out.append(Gradient(source, name, transposed, expression, written, result, typing))
    return out


def typed(source: str, declared: dict[str, str] | None = None) -> tuple[Expr, kinds.Typing]:
    """Parse and type one expression (no query, no '='), simplified."""
    line: Line = parser.parse(source)
    if line.rhs is not None or isinstance(line.lhs, Query):
        raise MatcalcError("expected a plain expression", source, (0, len(source)))
    typing = kinds.infer([line.lhs], source, parse_declarations(declared))
    return kinds.build(line.lhs, typing), typing

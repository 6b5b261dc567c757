"""Named intermediate quantities, as a teacher writes them: a derivation whose lines run long
names the long sub-expressions it repeats, "let h = tanh(W₁ x), r = W₂ h - y", and writes its
steps with the names.

A pass over a finished chain of steps (a `steps.Derivation` or a `chains.Chain`): the steps
themselves are not touched, so their checks hold as before, and `expand` substitutes the names
back into a named step. The names are letters that the input does not use (no base letter of
any of its variables: with W₁ there, no W) and that matcalc does not use for anything else
(d, e, I, K, T, G, ...).

When: a chain is named when one of its right-hand sides is wider than LONG cells. Then,
greedily, the repeated sub-expression of the input that saves the most cells gets a name, until
none is left that occurs twice or more and is SHORTEST cells wide or more (a scalar; WIDEST for a
vector or matrix), or MOST names are given.
A sub-expression and its transpose are one quantity (r and rᵀ). Sub-expressions holding a
differential are never named: the steps are about them.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

from ..calculus import algebra as alg
from ..calculus.expr import (
    Add, Commutation, Const, Differential, DifferentialOf, Expr, Func, Identity, IndexForm, MatMul, Ones, Power, PowerDifferential, Sym,
    Transpose, Zero, free_symbols,
)
from ..formats import render
from .steps import Step

LONG = 60      # a chain gets names when a right-hand side is wider than this many cells
SHORTEST = 4   # a name stands for a scalar at least this wide (xᵀ x),
WIDEST = 6     # for a vector or matrix at least this wide (W₁ x stays as it is)
MOST = 4       # names in one chain at most

# letters matcalc writes with a meaning of its own: d of dX, e, I, K_{mn}, T of Aᵀ, G (the
# unconstrained gradient), O and l (0 and 1), δ of index notation
_RESERVED = set("deIKTGOl")
_INDEX_LETTERS = set("aeijklmnoprstuvx")  # what index notation (IndexForm) sums over
_SCALARS, _VECTORS, _MATRICES = "abcstpq", "uvwzpqgfyb", "MNPQRSUVWZHABCDEF"


@dataclass(frozen=True)
class Named:
    """A chain of steps written with names: `names` are (name, definition) pairs in the order a
    reader needs them (a definition uses only the names before it); `steps` are the chain's
    steps with each named sub-expression replaced by its name (or its transpose)."""

    chain: object                      # the Derivation or Chain named
    names: tuple[tuple[Sym, Expr], ...]
    steps: tuple[Step, ...]
    _written: object = None            # the chain with names in its left-hand sides

    @property
    def context(self) -> Expr:
        return self.chain.context

    @property
    def rules(self) -> list[str]:
        return self.chain.rules

    def lhs(self, kind: str, style: str = "unicode") -> str:
        return (self._written or self.chain).lhs(kind, style)

    def expand(self, e: Expr) -> Expr:
        """e with every name replaced by its definition, written out."""
        for sym, body in reversed(self.names):
            e = replace(e, {sym: body})
        return e

    def definitions(self, style: str = "unicode") -> list[str]:
        """`h = tanh(W₁ x)`, ... in a style."""
        st = render.STYLES[style]
        return [f"{render.render(sym, st)} = {render.render(body, st)}" for sym, body in self.names]


def name(chain) -> Named:
    """The chain with names for its long repeated sub-expressions (none when its lines are short)."""
    steps = tuple(chain.steps)
    if not steps or max(_width(s.expr) for s in steps) <= LONG:
        return Named(chain, (), steps)
    taken = _taken(chain, steps)
    exprs = [s.expr for s in steps]
    written = [f for f in _written_forms(chain) if f is not None]
    chosen: list[tuple[Sym, Expr]] = []
    while len(chosen) < MOST:
        bodies = [body for _, body in chosen]
        best = _best(exprs + bodies, written + bodies)
        if best is None:
            break
        sym = Sym(_letter(best, taken), best.shape, False)
        taken.add(sym.name)
        table = _table(best, sym)
        exprs = [replace(e, table) for e in exprs]
        written = [replace(f, table) for f in written]
        chosen = [(s, replace(body, table)) for s, body in chosen] + [(sym, best)]
    if not chosen:
        return Named(chain, (), steps)
    names = _in_order(chosen)
    table: dict[Expr, Expr] = {}
    for sym, body in names:  # the left-hand sides: f itself, with the same names
        table.update(_table(_expanded(body, names), sym))
    named_steps = tuple(dataclasses.replace(s, expr=e) for s, e in zip(steps, exprs))
    return Named(chain, tuple(names), named_steps, _with_named_lhs(chain, table))


def replace(e: Expr, table: dict[Expr, Expr]) -> Expr:
    """e with each node found in `table` replaced, outermost first, built as written."""
    hit = table.get(e)
    if hit is not None:
        return hit
    if not e.children() or isinstance(e, IndexForm):
        return e
    values = [replace(v, table) if isinstance(v, Expr) else
              tuple(replace(u, table) if isinstance(u, Expr) else u for u in v) if isinstance(v, tuple) else v
              for v in e.key()]
    if all(a is b for a, b in zip(values, e.key())):
        return e
    return type(e)(*values)


# -- which sub-expression, which letter ------------------------------------------------------

@functools.lru_cache(maxsize=4096)  # each part is measured and transposed again at each name
def _width(e: Expr) -> int:
    return len(render.render(e, render.UNICODE))


@functools.lru_cache(maxsize=4096)
def _transposed(e: Expr) -> Expr | None:
    return None if e.is_scalar else alg.transpose(e)


def _table(body: Expr, sym: Sym) -> dict[Expr, Expr]:
    table: dict[Expr, Expr] = {body: sym}
    t = _transposed(body)
    if t is not None and t != body:
        table[t] = Transpose(sym)
    return table


def _nameable(e: Expr) -> bool:
    """A sub-expression a name may stand for: built of at least two variables, no differential."""
    if isinstance(e, (Sym, Const, Identity, Ones, Zero, Differential, Commutation, Transpose)) and not (
            isinstance(e, Transpose) and not isinstance(e.arg, Sym)):
        return False
    leaves = 0
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, (Differential, DifferentialOf, PowerDifferential, IndexForm)):
            return False
        if isinstance(node, Sym):
            leaves += 1
        stack.extend(node.children())
    return leaves >= 2


def _occurrences(exprs: list[Expr]) -> dict[Expr, int]:
    """How often each sub-expression occurs (inside a differential too: tr(dX A B) holds A B
    only as factors, never as a node)."""
    counts: dict[Expr, int] = {}
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if isinstance(node, IndexForm):
            continue
        counts[node] = counts.get(node, 0) + 1
        stack.extend(node.children())
    return counts


def _best(exprs: list[Expr], written: list[Expr]) -> Expr | None:
    """The sub-expression of the input (or its transpose) that the steps repeat and whose name
    saves the most cells, in the form the input writes it (W₂ h - y, not hᵀ W₂ᵀ - yᵀ)."""
    parts: dict[Expr, None] = {}
    for f in written:  # and the definitions so far: h = softmax(W₂ u) names u = tanh(W₁ x) too
        for node in _walk(f):
            if isinstance(node, Transpose) and not isinstance(node.arg, Sym):
                node = node.arg  # (x - μ)ᵀ is named as x - μ: its transpose is written xᵀ
            if node is not f and _nameable(node) and not _reciprocal(node):
                parts.setdefault(node)
    counts = _occurrences(exprs)
    best, saving = None, 0
    for part in parts:
        t = _transposed(part)
        count = counts.get(part, 0) + (counts.get(t, 0) if t is not None and t != part else 0)
        if count < 2:
            continue
        w = _width(part)
        if w < (SHORTEST if part.is_scalar else WIDEST):
            continue
        gain = count * (w - 1) - w
        if gain > saving:
            best, saving = part, gain
    return best


def _reciprocal(e: Expr) -> bool:
    """1 / (xᵀ x): written with a slash, it is no quantity of its own."""
    return isinstance(e, Power) and e.base.is_scalar and e.exponent < 0


def _contains(e: Expr, part: Expr) -> bool:
    stack = [e]
    while stack:
        node = stack.pop()
        if node == part:
            return True
        stack.extend(node.children())
    return False


def _written_forms(chain) -> list[Expr]:
    start = getattr(chain, "gradient", None) or getattr(chain, "start", None)
    if isinstance(start, Expr):
        return [start]
    return [getattr(start, "written", None), getattr(start, "expression", None)] if start is not None else []


def _taken(chain, steps) -> set[str]:
    """Letters a name may not be: those of the input's variables (W for W₁ and W₂), matcalc's own."""
    taken = set(_RESERVED)
    exprs = [s.expr for s in steps] + [f for f in _written_forms(chain) if f is not None]
    for e in exprs:
        for sym in free_symbols(e):
            letter = sym.name.split("_")[0].rstrip("0123456789")
            taken |= {letter, letter.lower(), letter.upper()}  # with x there, no X either
            taken.add(sym.name)
    nodes = [n for e in exprs for n in _walk(e)]
    if any(isinstance(n, PowerDifferential) for n in nodes):
        taken.add("r")  # Σᵣ₌₀ᵏ⁻¹ Xʳ dX Xᵏ⁻¹⁻ʳ
    if any(isinstance(n, IndexForm) for n in nodes):
        taken |= _INDEX_LETTERS
    return taken


def _walk(e: Expr):
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children())


def _letter(e: Expr, taken: set[str]) -> str:
    """A teacher's letter: r for a residual (a difference), h for a function's values, else the
    first free letter of the usual ones for its kind (a, b, c for scalars; u, v, w for vectors;
    M, N, P for matrices)."""
    usual = _SCALARS if e.is_scalar else _VECTORS if e.shape[1] == 1 else _MATRICES
    if isinstance(e, Func) and not e.is_scalar:  # p for probabilities, s for σ's values, h for others
        usual = {"softmax": "p", "sigmoid": "s"}.get(e.name, "h") + usual
    elif isinstance(e, Add) and not e.is_scalar and any(_negative(t) for t in e.terms):
        usual = ("r" if e.shape[1] == 1 else "R") + usual
    for letter in usual + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if letter not in taken:
            return letter
    raise ValueError("no letter left")  # pragma: no cover - 52 letters against one input


def _negative(t: Expr) -> bool:
    return isinstance(t, MatMul) and isinstance(t.factors[0], Const) and t.factors[0].value < 0


def _in_order(chosen: list[tuple[Sym, Expr]]) -> list[tuple[Sym, Expr]]:
    """The names so that each definition uses only names defined before it."""
    out: list[tuple[Sym, Expr]] = []
    left = list(chosen)
    while left:
        for i, (sym, body) in enumerate(left):
            needs = {s for s, _ in left if s != sym}
            if not any(_contains(body, s) for s in needs):
                out.append(left.pop(i))
                break
        else:  # pragma: no cover - a definition never uses itself
            raise ValueError("names defined in a circle")
    return out


def _expanded(body: Expr, names: list[tuple[Sym, Expr]]) -> Expr:
    for sym, definition in reversed(names):
        body = replace(body, {sym: definition})
    return body


def _with_named_lhs(chain, table: dict[Expr, Expr]):
    """The chain with the names in what its left-hand sides write (f, d f, ∇_X f)."""
    g = getattr(chain, "gradient", None)
    if g is not None:
        return dataclasses.replace(chain, gradient=g.replace(
            written=replace(g.written, table), expression=replace(g.expression, table)))
    start = getattr(chain, "start", None)
    if isinstance(start, Expr):
        return dataclasses.replace(chain, start=replace(start, table))
    if start is not None and hasattr(start, "written"):
        other = getattr(chain, "other", None)  # two gradient sides: the other one's too
        if other is not None:
            chain = dataclasses.replace(chain, other=other.replace(
                written=replace(other.written, table), expression=replace(other.expression, table)))
        return dataclasses.replace(chain, start=start.replace(
            written=replace(start.written, table), expression=replace(start.expression, table)))
    return chain

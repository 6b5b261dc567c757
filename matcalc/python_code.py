"""`--format python`: a complete module to paste, `f_and_grad(...)` returning the value and one
gradient per variable, plus `check_gradient()` comparing them with central finite differences.

Vectors are 1-D arrays and scalars floats, as in `numpy_code`. Sub-expressions that occur more
than once (|X|, X⁻¹, ...) are computed once, into `tmp1`, `tmp2`, ... (a matcalc variable is one
letter or a Greek name, so these never clash)."""
from __future__ import annotations

from collections import Counter

from . import render
from .expr import Const, Differential, Expr, Identity, Ones, Sym, Transpose, Zero, free_symbols
from .numpy_code import ATOM, _NumPy, identifier

SIZE_ORDERS = ((5, 3, 4, 6, 2, 7, 8, 9, 10, 11, 12, 13), (3, 5, 4, 2, 6, 7, 8, 9, 10, 11, 12, 13))

HELPERS = '''


def check_gradient(seed=0, tol=1e-5):
    """Each gradient against central finite differences at random data of distinct sizes (so
    every free matrix is non-square); returns the worst relative error, asserts it is < tol."""
    rng = np.random.default_rng(seed)
    for args in _random_arguments(rng):
        try:
            with np.errstate(all="ignore"):
                value, *grads = f_and_grad(**args)
                wants = [_numerical_gradient(lambda v: f_and_grad(**{**args, name: v})[0],
                                             args[name], symmetric) for name, _, symmetric in WRT]
        except np.linalg.LinAlgError:  # a singular matrix at or next to these data: take others
            continue
        if not all(np.all(np.isfinite(out)) for out in (value, *grads, *wants)):
            continue
        worst = 0.0
        for grad, want, (name, transposed, _) in zip(grads, wants, WRT):
            want = want.T if transposed else want
            assert np.shape(grad) == np.shape(want), \\
                f"the gradient for {name} has shape {np.shape(grad)}, not {np.shape(want)}"
            worst = max(worst, _relative_error(grad, want))
        assert worst < tol, f"a gradient differs from finite differences by {worst:.1e}"
        return worst
    raise ValueError("no random data found where f and its gradients are finite")


def _numerical_gradient(f, x, symmetric=False, eps=1e-6):
    """Central differences entry by entry; for a symmetric x along E_ij + E_ji, halved off the
    diagonal (the gradient in the space of symmetric matrices)."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        if symmetric:
            step[idx[::-1]] = eps
        grad[idx] = (f(x + step) - f(x - step)) / (2 * eps)
        if symmetric and idx[0] != idx[1]:
            grad[idx] /= 2
    return grad


def _relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(a)), np.max(np.abs(b))))


def _random(rng, shape, positive=False, symmetric=False):
    """Well-conditioned data: square matrices near a multiple of I, symmetric ones positive
    definite; entries in [0.5, 1.5] when `positive` (for log, sqrt, ...)."""
    if symmetric:
        q = rng.uniform(0.5, 1.5, shape) if positive else rng.standard_normal(shape)
        return q @ q.T / shape[0] + shape[0] * np.eye(shape[0])
    x = rng.uniform(0.5, 1.5, shape) if positive else rng.standard_normal(shape)
    if len(shape) == 2 and shape[0] == shape[1]:
        x = shape[0] * np.eye(shape[0]) + x if positive else 2 * np.eye(shape[0]) + 0.4 * x / np.sqrt(shape[0])
    return float(x) if shape == () else x
'''

MAIN = '''

if __name__ == "__main__":
    print(f"check_gradient: max relative error {check_gradient():.1e}")
'''


def python_code(results) -> str:
    """The module for one input and its gradients (`results`: api.Gradient, same input)."""
    g0 = results[0]
    args = free_symbols(g0.written)
    names = {s: identifier(s.name) for s in args}
    dims = _dimension_names(args, set(names.values()))
    grads = [(_grad_name(g), g) for g in results]
    outputs = [("value", g0.expression)] + [(name, g.result) for name, g in grads]
    temps = _common_subexpressions([e for _, e in outputs])

    lines = ["import numpy as np", "", "", f"def f_and_grad({', '.join(names.values())}):"]
    lines += ['    r"""' + _docstring(g0, grads, args, names, dims), '    """']
    lines += _shape_checks(args, names, dims)
    renderer = _Named({d: v for d, v in dims.items()}, {})
    for i, node in enumerate(sorted(temps, key=_size), 1):
        lines.append(f"    tmp{i} = {renderer.go(node)[0]}")
        renderer.names[node] = f"tmp{i}"
    for name, e in outputs:
        lines.append(f"    {name} = {renderer.go(e)[0]}")
    lines.append(f"    return {', '.join(name for name, _ in outputs)}")
    wrt = ", ".join(f'("{identifier(g.wrt)}", {g.transposed}, {g.variable.symmetric})' for _, g in grads)
    wrt = wrt + "," if len(grads) == 1 else wrt
    lines += ["", "", f"WRT = ({wrt})  # (variable, with respect to its transpose, symmetric)"]
    return "\n".join(lines) + HELPERS + _random_arguments(args, names, dims) + MAIN


def _grad_name(g) -> str:
    return f"grad_{identifier(g.wrt)}" + ("_T" if g.transposed else "")


def _dimension_names(args, taken: set[str]) -> dict:
    """Symbolic dimensions → Python names: m, n, ... unless a variable is called that."""
    out: dict = {}
    for s in args:
        for d in s.shape:
            if d != 1 and d not in out:
                out[d] = d if d not in taken else f"dim_{d}"
    return out


def _kind(s: Sym) -> str:
    if s.shape == (1, 1):
        return "scalar"
    if s.shape[1] == 1:
        return f"vector of length {s.shape[0]}"
    return f"{'symmetric ' if s.symmetric else ''}{s.shape[0]}×{s.shape[1]} matrix"


def _docstring(g0, grads, args, names, dims) -> str:
    text = [f"{render.render(g0.written, render.TEXT)} and its gradient"
            f"{'s' if len(grads) > 1 else ''} with respect to {', '.join(_wrt_text(g) for _, g in grads)}.",
            "", f"    Input: {g0.source}",
            "    Arguments: " + "; ".join(f"{names[s]} {_kind(s)}" for s in args)
            + " (vectors as 1-D arrays, scalars as floats).",
            "    Returns value" + "".join(f", {name} = {g.text}" for name, g in grads) + "."]
    return "\n".join(text)


def _wrt_text(g) -> str:
    return render.name(g.wrt, render.TEXT) + ("^T" if g.transposed else "")


def _shape_checks(args, names, dims) -> list[str]:
    """Bind each dimension from the first argument that has it, then assert every shape."""
    out, bound = [], set()
    for s in args:
        n = names[s]
        if s.shape == (1, 1):
            out.append(f'    assert np.ndim({n}) == 0, "{n} should be a scalar"')
            continue
        shape = tuple(dims[d] for d in s.shape if d != 1)
        new = [d for d in dict.fromkeys(shape) if d not in bound]
        if new:
            what = "a vector (1-D array)" if len(shape) == 1 else "a matrix (2-D array)"
            out.append(f'    assert np.ndim({n}) == {len(shape)}, "{n} should be {what}"')
            if new == list(shape):
                out.append(f"    {new[0]} = len({n})" if len(new) == 1 else f"    {', '.join(new)} = np.shape({n})")
            else:
                out.extend(f"    {d} = np.shape({n})[{shape.index(d)}]" for d in new)
            bound.update(new)
        if len(new) < len(shape):  # a dimension seen before, or a square matrix
            want = f"({shape[0]},)" if len(shape) == 1 else f"({', '.join(shape)})"
            shown = "×".join("{" + d + "}" for d in shape)
            out.append(f'    assert np.shape({n}) == {want}, f"{n} should be {shown}, not {{np.shape({n})}}"')
        if s.symmetric:
            out.append(f'    assert np.allclose({n}, {n}.T), "{n} should be symmetric"')
    return out


def _random_arguments(args, names, dims) -> str:
    dim_list = list(dict.fromkeys(dims.values()))
    orders = list(dict.fromkeys(tuple(order[: len(dim_list)]) for order in SIZE_ORDERS))
    if not dim_list:
        loop = "for _sizes in [()]:"
    elif len(dim_list) == 1:
        loop = f"for {dim_list[0]} in ({', '.join(str(o[0]) for o in orders)}):"
    else:
        loop = f"for {', '.join(dim_list)} in ({', '.join(str(o) for o in orders)}):"
    entries = []
    for s in args:
        shape = tuple(dims[d] for d in s.shape if d != 1)
        shape_code = "()" if not shape else f"({shape[0]},)" if len(shape) == 1 else f"({', '.join(shape)})"
        sym = ", symmetric=True" if s.symmetric else ""
        entries.append(f'"{names[s]}": _random(rng, {shape_code}, positive{sym})')
    body = ",\n                    ".join(entries)
    return f'''

def _random_arguments(rng):
    """Candidate arguments: plain data in two size orders, then positive data (log, sqrt)."""
    for positive in (False, True):
        {loop}
            yield {{{body}}}
'''


class _Named(_NumPy):
    """NumPy code in which the named sub-expressions are replaced by their names."""

    def __init__(self, dims, names):
        super().__init__(dims)
        self.names = names

    def go(self, e: Expr):
        if e in self.names:
            return self.names[e], ATOM
        return super().go(e)


def _trivial(e: Expr) -> bool:
    """Not worth a name: leaves, constants, Xᵀ, I."""
    return isinstance(e, (Sym, Const, Differential, Identity, Ones, Zero)) or (
        isinstance(e, Transpose) and isinstance(e.arg, Sym))


def _size(e: Expr) -> int:
    return 1 + sum(_size(c) for c in e.children())


def _occurrences(roots, named) -> Counter:
    """How often each sub-expression is written out, not looking inside named ones."""
    count: Counter = Counter()
    stack = list(roots) + [c for e in named for c in e.children()]  # definitions are written too
    while stack:
        e = stack.pop()
        count[e] += 1
        if e not in named:
            stack.extend(e.children())
    return count


def _common_subexpressions(roots) -> list[Expr]:
    """Sub-expressions written more than once, largest first, until none is left."""
    named: list[Expr] = []
    while True:
        count = _occurrences(roots, set(named))
        repeated = [e for e, k in count.items() if k > 1 and e not in named and not _trivial(e)]
        if not repeated:
            return named
        named.append(max(repeated, key=lambda e: (_size(e), render.render(e, render.TEXT))))


def function_code(s) -> str:
    """`simplify --format python`: `def f(...)` returning the simplified expression."""
    args = free_symbols(s.written)
    names = {a: identifier(a.name) for a in args}
    dims = _dimension_names(args, set(names.values()))
    renderer = _Named(dims, {})
    lines = ["import numpy as np", "", "", f"def f({', '.join(names.values())}):",
             f'    r"""{render.render(s.result, render.TEXT)}', "",
             f"    Input: {s.source}",
             "    Arguments: " + "; ".join(f"{names[a]} {_kind(a)}" for a in args)
             + " (vectors as 1-D arrays, scalars as floats).", '    """']
    lines += _shape_checks(args, names, dims)
    lines.append(f"    return {renderer.go(s.result)[0]}")
    return "\n".join(lines)

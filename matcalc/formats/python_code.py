"""`--format python`: a complete module to paste, `f_and_grad(...)` returning the value and one
gradient per variable, plus `check_gradient()` comparing them with central finite differences;
for Jacobians `f_and_jacobian(...)` and `check_jacobian()`, for Hessians `f_grad_and_hessian(...)`
(the value, then each variable's gradient and Hessian) and `check_hessian()`. Jacobians and
Hessians are 2-D arrays over vec, which stacks columns (NumPy order="F"), as in `jacobian`.

Vectors are 1-D arrays and scalars floats, as in `numpy_code`. Sub-expressions that occur more
than once (|X|, X⁻¹, ...) are computed once, into `tmp1`, `tmp2`, ... (a matcalc variable is one
letter or a Greek name, so these never clash)."""
from __future__ import annotations

from collections import Counter

from ..calculus import differentiate
from . import render
from . import python_checks as checks
from ..calculus.expr import (
    Const, Differential, Expr, Identity, Integer, Ones, Power, Sym, Transpose, Zero, free_symbols, size,
)
from ..calculus.sizes import SIZE_ORDERS, assign_sizes
from .numpy_code import ATOM, _NumPy, identifier


FUNCTIONS = {  # kind of result → (the function written, the check that tests it)
    "gradient": ("f_and_grad", "check_gradient"),
    "jacobian": ("f_and_jacobian", "check_jacobian"),
    "hessian": ("f_grad_and_hessian", "check_hessian"),
}


def python_code(results) -> str:
    """The module for one input and its derivatives (`results`: api.Gradient, or api.Derivative
    of one kind, all of the same input)."""
    g0 = results[0]
    kind = getattr(g0, "kind", "gradient")
    function, check = FUNCTIONS[kind]
    args = free_symbols(g0.written)
    names = {s: identifier(s.name) for s in args}
    dims = _dimension_names(args, set(names.values()))
    _refuse_unread_products(args, dims)
    returned = _distinct([(g, _outputs(g)) for g in results])
    outputs = [("value", g0.expression, False)] + [out for _, outs in returned for out in outs]
    temps = _common_subexpressions([e for _, e, _ in outputs])

    lines = ["import numpy as np", "", "", f"def {function}({', '.join(names.values())}):"]
    lines += ['    r"""' + _docstring(kind, returned, args, names), '    """']
    lines += _shape_checks(args, names, dims)
    renderer = _Named({d: v for d, v in dims.items()}, {})
    for i, node in enumerate(sorted(temps, key=size), 1):
        lines.append(f"    tmp{i} = {renderer.go(node)[0]}")
        renderer.names[node] = f"tmp{i}"
    for name, e, two_d in outputs:
        code = renderer.go(e)[0]
        if two_d and 1 in e.shape:  # NumPy would give a column 1-D, a 1×1 a float: keep it a 2-D array
            code = f"np.reshape({code}, ({renderer.dim(e.shape[0])}, {renderer.dim(e.shape[1])}))"
        lines.append(f"    {name} = {code}")
    lines.append(f"    return {', '.join(name for name, _, _ in outputs)}")
    lines += ["", "", _wrt_line(kind, results)]
    return ("\n".join(lines) + checks.HELPERS[kind]
            + _random_arguments(args, names, dims, [e for _, e, _ in outputs])
            + checks.MAIN.format(check=check))


def _outputs(g) -> list[tuple[str, Expr, bool]]:
    """(name, expression, a 2-D array?) for what the function returns for one variable."""
    x = identifier(g.wrt)
    kind = getattr(g, "kind", "gradient")
    if kind == "gradient":
        return [(_grad_name(g), g.result, False)]
    if kind == "jacobian":
        return [(f"jac_{x}" + ("_T" if g.transposed else ""), g.result, True)]
    return [(f"grad_{x}", _gradient(g), False), (f"hess_{x}", g.result, True)]


def _distinct(returned):
    """No output name twice: ∇ with respect to xᵀ (grad_x_T) and to a variable x_T (grad_x_T
    too) are told apart by spelling the first grad_x_transposed; a number is the last resort."""
    names = [name for _, outs in returned for name, _, _ in outs]
    seen: set[str] = set()
    out = []
    for g, outs in returned:
        renamed = []
        for name, e, two_d in outs:
            if names.count(name) > 1 and g.transposed and name.endswith("_T"):
                name = name[:-2] + "_transposed"
            base, k = name, 2
            while name in seen:
                name, k = f"{base}_{k}", k + 1
            seen.add(name)
            renamed.append((name, e, two_d))
        out.append((g, renamed))
    return out


def _gradient(h) -> Expr:
    """∇_x f for the Hessian h = ∇²_x f: the gradient matcalc gives, of which h is the Jacobian."""
    return differentiate.gradient(h.expression, h.variable)


def _wrt_line(kind: str, results) -> str:
    """WRT, what the check reads: the variables in the order of the function's outputs."""
    if kind == "hessian":
        wrt = ", ".join(f'"{identifier(g.wrt)}"' for g in results)
        return f"WRT = ({wrt}{',' if len(results) == 1 else ''})  # each with its gradient and its Hessian"
    if kind == "jacobian":
        wrt = ", ".join(f'("{identifier(g.wrt)}", {g.transposed})' for g in results)
        note = "(variable, transposed: the denominator layout)"
    else:
        wrt = ", ".join(f'("{identifier(g.wrt)}", {g.transposed}, {g.variable.symmetric})' for g in results)
        note = "(variable, with respect to its transpose, symmetric)"
    return f"WRT = ({wrt}{',' if len(results) == 1 else ''})  # {note}"


def _grad_name(g) -> str:
    return f"grad_{identifier(g.wrt)}" + ("_T" if g.transposed else "")


def _dimension_names(args, taken: set[str]) -> dict:
    """Symbolic dimensions → Python names: m, n, ... unless a variable is called that."""
    out: dict = {}
    for s in args:
        for d in s.shape:
            if d != 1 and d not in out and not isinstance(d, tuple):  # a product: its factors' names
                out[d] = d if d not in taken else f"dim_{d}"
    return out


def _refuse_unread_products(args, dims) -> None:
    """A size that is a product (the rows of A in vec(X)ᵀ A vec(X), m n) is checked against its
    factors, which the module reads off other arguments; one that no argument has alone cannot be."""
    for s in args:
        for d in s.shape:
            missing = [f for f in (d if isinstance(d, tuple) else ()) if f not in dims]
            if missing:
                from ..errors import MatcalcError

                raise MatcalcError(f"-f python: {s.name} has a size that is a product of sizes (as in A vec(X)) "
                                   "of which one is no other argument's; the generated module cannot read it off "
                                   "the arguments")


def _size_code(d, dims) -> str:
    """A size as the module writes it: m, or (m * n) for a product."""
    return f"({' * '.join(dims[f] for f in d)})" if isinstance(d, tuple) else dims[d]


def _kind(s: Sym) -> str:
    if isinstance(s, Integer):
        return "a positive integer"
    if s.shape == (1, 1):
        return "scalar"
    rows, columns = (f"({'·'.join(d)})" if isinstance(d, tuple) else d for d in s.shape)
    if s.shape[1] == 1:
        return f"vector of length {rows}"
    return f"{'symmetric ' if s.symmetric else ''}{rows}×{columns} matrix"


def _docstring(kind: str, returned, args, names) -> str:
    """`returned`: (result, its outputs) for each variable."""
    results = [g for g, _ in returned]
    g0, many = results[0], len(results) > 1
    what = {"gradient": f"gradient{'s' if many else ''}", "jacobian": f"Jacobian{'s' if many else ''}",
            "hessian": f"gradient{'s' if many else ''} and Hessian{'s' if many else ''}"}[kind]
    wrt = ", ".join(_wrt_text(g) if kind == "gradient" else render.name(g.wrt, render.TEXT) for g in results)
    said = [f"{name} = " + (f"{g.lhs('text')} = " if kind == "jacobian" else "") + render.render(e, render.TEXT)
            for g, outs in returned for name, e, _ in outs]
    text = [f"{render.render(g0.written, render.TEXT)} and its {what} with respect to {wrt}.",
            "", f"    Input: {g0.source}",
            "    Arguments: " + "; ".join(f"{names[s]} {_kind(s)}" for s in args)
            + " (vectors as 1-D arrays, scalars as floats).",
            "    Returns value" + "".join(f", {r}" for r in said) + "."]
    x = f"vec({wrt})" if not many else "vec of its variable"
    if kind == "jacobian":
        rows, columns = ("vec(value)", x) if not g0.transposed else (x, "vec(value)")
        layout = " (the denominator layout)" if g0.transposed else ""
        text += [f"    {'Each' if many else 'The'} Jacobian is a 2-D array{layout}: a row per entry of {rows},",
                 f'    a column per entry of {columns}; vec stacks columns (NumPy order="F").']
    elif kind == "hessian":
        text += [f"    {'Each' if many else 'The'} gradient is shaped like its variable; "
                 f"{'each' if many else 'the'} Hessian is a 2-D array",
                 f'    over {x}, where vec stacks columns (NumPy order="F").']
    return "\n".join(text)


def _wrt_text(g) -> str:
    return render.name(g.wrt, render.TEXT) + ("^T" if g.transposed else "")


def _shape_checks(args, names, dims) -> list[str]:
    """Bind each dimension from the first argument that has it, then assert every shape."""
    out, bound = [], set()
    # an argument with a product size (A of vec(X)ᵀ A vec(X)) after those that give its factors
    for s in sorted(args, key=lambda a: any(isinstance(d, tuple) for d in a.shape)):
        n = names[s]
        if isinstance(s, Integer):  # the exponent of a matrix power
            out.append(f'    assert np.ndim({n}) == 0 and {n} == int({n}) >= 1, "{n} should be a positive integer"')
            out.append(f'    {n} = int({n})')
            continue
        if s.shape == (1, 1):
            out.append(f'    assert np.ndim({n}) == 0, "{n} should be a scalar"')
            continue
        shape = tuple(_size_code(d, dims) for d in s.shape if d != 1)
        new = [d for d in dict.fromkeys(shape) if d not in bound and not d.startswith("(")]
        if any(d.startswith("(") for d in shape):  # a product's factors come from the arguments before
            new = []
            what = "a vector (1-D array)" if len(shape) == 1 else "a matrix (2-D array)"
            out.append(f'    assert np.ndim({n}) == {len(shape)}, "{n} should be {what}"')
            out.extend(f"    {d} = np.shape({n})[{shape.index(d)}]" for d in dict.fromkeys(shape)
                       if d not in bound and not d.startswith("("))
            bound.update(d for d in shape if not d.startswith("("))
        elif new:
            what = "a vector (1-D array)" if len(shape) == 1 else "a matrix (2-D array)"
            out.append(f'    assert np.ndim({n}) == {len(shape)}, "{n} should be {what}"')
            if new == list(shape):
                out.append(f"    {new[0]} = len({n})" if len(new) == 1 else f"    {', '.join(new)} = np.shape({n})")
            else:
                out.extend(f"    {d} = np.shape({n})[{shape.index(d)}]" for d in new)
            bound.update(new)
        if len(new) < len(shape) or any(d.startswith("(") for d in shape):  # seen before, square, a product
            want = f"({shape[0]},)" if len(shape) == 1 else f"({', '.join(shape)})"
            shown = "×".join("{" + d + "}" for d in shape) if len(shape) == 2 else "a vector of length {" + shape[0] + "}"
            out.append(f'    assert np.shape({n}) == {want}, f"{n} should be {shown}, not {{np.shape({n})}}"')
        if s.symmetric:
            out.append(f'    assert np.allclose({n}, {n}.T), "{n} should be symmetric"')
    return out


def _random_arguments(args, names, dims, outputs) -> str:
    """Sizes in two orders, each chosen so that what the outputs invert can be nonsingular
    (calculus.sizes)."""
    dim_list = list(dict.fromkeys(dims.values()))
    assigned = [assign_sizes(dims, order, outputs) for order in SIZE_ORDERS]
    orders = list(dict.fromkeys(tuple(sizes[d] for d in dims) for sizes in assigned if sizes is not None))
    orders = orders or [tuple(SIZE_ORDERS[0][: len(dim_list)])]
    if not dim_list:
        loop = "for _sizes in [()]:"
    elif len(dim_list) == 1:
        loop = f"for {dim_list[0]} in ({', '.join(str(o[0]) for o in orders)}{',' * (len(orders) == 1)}):"
    else:
        loop = f"for {', '.join(dim_list)} in ({', '.join(str(o) for o in orders)}{',' * (len(orders) == 1)}):"
    entries = []
    for s in args:
        shape = tuple(_size_code(d, dims) for d in s.shape if d != 1)
        shape_code = "()" if not shape else f"({shape[0]},)" if len(shape) == 1 else f"({', '.join(shape)})"
        if isinstance(s, Integer):  # a whole exponent, a new one for each candidate
            entries.append(f'"{names[s]}": int(rng.integers(2, 6))')
            continue
        sym = ", symmetric=True" if s.symmetric else ""
        entries.append(f'"{names[s]}": _random(rng, {shape_code}, positive{sym})')
    body = ",\n                    ".join(entries)
    return f'''

def _random_arguments(rng):
    """Candidate arguments: plain data in two size orders, then positive data (log, sqrt), then
    small data (arcsin, arccos)."""
    for positive in (False, True, None):
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
        if type(e) is Power and type(e.base) is Transpose:  # (Aᵀ)⁻¹ = (A⁻¹)ᵀ: not inverted twice
            inverse = self.names.get(Power(e.base.arg, e.exponent))
            if inverse is not None:
                return f"{inverse}.T", ATOM
        return super().go(e)


def _trivial(e: Expr) -> bool:
    """Not worth a name: leaves, constants, Xᵀ, I."""
    return isinstance(e, (Sym, Const, Differential, Identity, Ones, Zero)) or (
        isinstance(e, Transpose) and isinstance(e.arg, Sym))


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
        named.append(max(repeated, key=lambda e: (size(e), render.render(e, render.TEXT))))


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

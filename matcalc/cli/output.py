"""Results → the lines a command prints, in each `--format` (pretty is drawn by `pretty`)."""
from __future__ import annotations

from ..formats import render
from ..results import Gradient
from ..errors import MatcalcError

# json and the NumPy printer are loaded by the formats that use them: a batch in text needs neither


def to_numpy(e, context) -> str:
    from ..formats.numpy_code import to_numpy

    return to_numpy(e, context)


FORMATS = ("pretty", "text", "latex", "markdown", "numpy", "python", "json")


def gradient_line(g: Gradient, fmt: str, steps: bool = True) -> str:
    """One line for one gradient: `∇_A f = G` in text or LaTeX, the NumPy expression, or JSON
    (with its derivation's steps unless `steps` is False: `--no-steps` saves the work)."""
    if fmt == "text":
        return f"{g.lhs('text')} = {g.text}"
    if fmt == "unicode":
        return f"{g.lhs('unicode')} = {g.unicode}"
    if fmt == "latex":
        return f"{g.lhs('latex')} = {g.latex}"
    if fmt == "markdown":  # a notebook's cell: $$ math
        return f"$${g.lhs('latex')} = {g.latex}$$"
    if fmt == "numpy":
        return g.numpy
    if fmt == "python":
        return python_module([g])
    if fmt == "json":
        return _json().dumps(gradient_record(g, steps), ensure_ascii=False)
    raise ValueError(fmt)


def _json():
    import json

    return json


def python_module(results: list[Gradient]) -> str:
    """`--format python`: one runnable module for an input and all its gradients."""
    from ..formats.python_code import python_code

    return python_code(results)


def forms(e, context) -> dict:
    return {"text": render.render(e, render.TEXT), "latex": render.render(e, render.LATEX),
            "numpy": to_numpy(e, context)}


def gradient_record(g: Gradient, steps: bool = True) -> dict:
    return {
        "input": g.source,
        "wrt": render.name(g.wrt, render.TEXT) + ("^T" if g.transposed and not _derivative(g) else ""),
        **_derivative(g),
        "value": forms(g.expression, g.written),
        "result": forms(g.result, g.written),
        **typing_record(g.typing),
        "steps": _steps(g) if steps else [],
    }


def _derivative(g: Gradient) -> dict:
    """For a Jacobian or Hessian (api.Derivative): which, and for a Jacobian the layout (rows
    are outputs: numerator; transposed: denominator)."""
    kind = getattr(g, "kind", "gradient")
    if kind != "jacobian":  # a gradient has `wrt` X or X^T; a Hessian is symmetric
        return {} if kind == "gradient" else {"derivative": kind}
    return {"derivative": kind, "layout": "denominator" if g.transposed else "numerator"}


def _steps(g: Gradient) -> list[dict]:
    """The derivation's steps, or [] for a form that has no step-by-step derivation yet."""
    from ..derivations.steps import derive

    try:
        return steps_record(derive(g))
    except MatcalcError:
        return []


def typing_record(typing) -> dict:
    record = {"kinds": {render.name(n, render.TEXT): k for n, k in typing.kinds.items()},
              "shapes": {render.name(n, render.TEXT): list(s) for n, s in typing.shapes.items()}}
    if getattr(typing, "reading", None):  # another reading type-checks too (api._reading)
        record["reading"] = typing.reading
    return record


# -- simplify and verify -----------------------------------------------------------------------

def simplified_line(s, fmt: str, steps: bool = False, standalone: bool = False) -> str:
    """`simplify`: the simplest form alone (text, latex, numpy: ready to paste), or JSON; with
    `steps`, the chain of equalities from the input to it, each step citing its rule.
    `standalone` (latex): a display of a document, the input = the simplest form, or the chain."""
    from ..derivations.chains import simplification

    chain = simplification(s) if steps else None
    if fmt == "latex" and standalone:
        from ..derivations import exports

        return exports.display(steps_latex(chain) if chain and chain.steps else
                               f"{render.render(s.written, render.LATEX)} = {s.latex}")
    if fmt == "json":
        return _json().dumps({"input": s.source, "value": forms(s.written, s.written),
                           "result": forms(s.result, s.written), **typing_record(s.typing),
                           "steps": steps_record(chain) if chain else []}, ensure_ascii=False)
    if fmt == "python":
        from ..formats.python_code import function_code

        return function_code(s)
    if fmt == "latex" and chain and chain.steps:
        return steps_latex(chain)
    if fmt == "markdown":
        from ..derivations import exports

        return exports.markdown(s.latex, chain)
    head = s.numpy if fmt == "numpy" else str(s) if fmt == "pretty" else \
        {"text": s.text, "unicode": s.unicode, "latex": s.latex}[fmt]
    return with_steps(head, chain, "unicode" if fmt == "pretty" else fmt) if chain else head


def verdict_line(v, fmt: str, steps: bool = False, standalone: bool = False) -> str:
    """`verify`: one sentence (its expressions in the format's notation), or JSON; with
    `steps`, for an identity that holds symbolically, the chain of equalities from one side
    to the other that shows which rules make them equal. `standalone` (latex): the sentence
    as a paragraph of a document, its math in $ … $, the chain a display under it."""
    from ..derivations.chains import verification

    chain = verification(v) if steps else None
    if fmt == "latex" and standalone:
        from ..derivations import exports

        return v.message("latex", inline=True) + (
            "\n" + exports.display(steps_latex(chain)) if chain and chain.steps else "") + "\n"
    if fmt == "json":
        return _json().dumps({"input": v.source, "holds": v.holds, "how": v.how, "error": v.error,
                           "instances": v.instances, "lhs": forms(v.lhs, v.lhs), "rhs": forms(v.rhs, v.rhs),
                           "holds_if_symmetric": list(v.holds_if_symmetric),
                           "steps": steps_record(chain) if chain else []}, ensure_ascii=False)
    head = v.message({"pretty": "unicode", "latex": "latex", "markdown": "unicode"}.get(fmt, "text"))
    if fmt == "markdown":
        from ..derivations import exports

        return head + ("\n\n$$\n" + exports.aligned(chain) + "\n$$" if chain and chain.steps else "")
    if fmt == "latex" and chain and chain.steps:
        return head + "\n" + steps_latex(chain)
    return with_steps(head, chain, "unicode" if fmt == "pretty" else fmt) if chain else head


def error_record(source: str, error: MatcalcError) -> dict:
    line, col = error.line_col
    return {"input": source, "error": {"message": error.message, "line": line, "column": col}}


# -- derivations (`--steps`): the result, then each step as `LHS = RHS [rule]` ---------------------

def derivation_text(g: Gradient, fmt: str) -> str:
    """The result and its derivation in a `--format` other than pretty (raises steps.NoDerivation)."""
    from ..derivations.steps import derive

    d = derive(g)
    if fmt == "json":
        return _json().dumps({**gradient_record(g), "steps": steps_record(d)}, ensure_ascii=False)
    if fmt == "latex":
        return steps_latex(d)
    if fmt == "markdown":
        from ..derivations import exports

        return exports.markdown(f"{g.lhs('latex')} = {g.latex}", d)
    return with_steps(gradient_line(g, fmt), d, fmt)


def with_steps(head: str, d, fmt: str) -> str:
    """A result line and, under it, the chain of equalities `d` (a derivation, or a
    `chains.Chain`) with each step's rule: as comments after it for numpy, lines below otherwise."""
    from ..derivations.steps import rows as step_rows

    if not d.steps:
        return head
    if fmt == "numpy":
        rows = step_rows(d, lambda e: step_numpy_expr(e, d.context) or render.render(e, render.TEXT), "text")
        rows = [r for i, r in enumerate(rows) if i == 0 or r[0] or r[1] != rows[i - 1][1]]  # tr(a) = a in NumPy
        return "\n".join(f"# {lhs} = {rhs}    [{rule}]" for lhs, rhs, rule in rows) + "\n" + head
    style = "unicode" if fmt == "unicode" else "text"
    rows = step_rows(d, lambda e: render.render(e, render.STYLES[style]), style)
    width = max(len(lhs) for lhs, _, _ in rows)
    steps = [f"  {lhs.rjust(width)} = {rhs}    [{rule}]" for lhs, rhs, rule in rows]
    return "\n".join([head, *steps])


def steps_latex(d) -> str:
    """An `aligned` environment, one `&= ... && \\text{rule}` row per step (`exports.aligned`)."""
    from ..derivations import exports

    return exports.aligned(d)


def step_numpy_expr(e, context) -> str | None:
    """NumPy for one step (dX a variable of X's shape), tr of a 1×1 product written as the product
    (NumPy's vectors are 1-D, so xᵀy is already a number); None where NumPy has no closed form."""
    from ..calculus.expr import Expr, Trace

    def strip(x: Expr) -> Expr:
        if isinstance(x, Trace) and x.arg.is_scalar:
            return strip(x.arg)
        kids = {id(c): strip(c) for c in x.children()}
        if all(kids[id(c)] is c for c in x.children()):
            return x
        values = [tuple(kids.get(id(v), v) for v in value) if isinstance(value, tuple) else kids.get(id(value), value)
                  for value in x.key()]
        return type(x)(*values)

    try:
        return to_numpy(strip(e), context)  # the input names every dimension
    except ValueError:
        return None


def step_numpy(step, g: Gradient) -> str | None:
    return step_numpy_expr(step.expr, g.written)


def steps_record(d) -> list[dict]:
    """The JSON `steps` field: each step's rule, kind and whole right-hand side in three forms."""
    return [{"rule": s.rule, "kind": s.kind, "text": render.render(s.expr, render.TEXT),
             "latex": render.render(s.expr, render.LATEX), "numpy": step_numpy_expr(s.expr, d.context), "note": s.note}
            for s in d.steps]

"""Results → the lines a command prints, in each `--format` (pretty is drawn by `pretty`)."""
from __future__ import annotations

import json

from . import render
from .api import Gradient
from .errors import MatcalcError
from .numpy_code import to_numpy

FORMATS = ("pretty", "text", "latex", "numpy", "json")


def gradient_line(g: Gradient, fmt: str) -> str:
    """One line for one gradient: `∇_A f = G` in text or LaTeX, the NumPy expression, or JSON."""
    if fmt == "text":
        return f"{g.lhs('text')} = {g.text}"
    if fmt == "unicode":
        return f"{g.lhs('unicode')} = {g.unicode}"
    if fmt == "latex":
        return f"{g.lhs('latex')} = {g.latex}"
    if fmt == "numpy":
        return to_numpy(g.result, g.expression)
    if fmt == "json":
        return json.dumps(gradient_record(g), ensure_ascii=False)
    raise ValueError(fmt)


def forms(e, context) -> dict:
    return {"text": render.render(e, render.TEXT), "latex": render.render(e, render.LATEX),
            "numpy": to_numpy(e, context)}


def gradient_record(g: Gradient) -> dict:
    return {
        "input": g.source,
        "wrt": render.name(g.wrt, render.TEXT) + ("^T" if g.transposed else ""),
        "value": forms(g.expression, g.expression),
        "result": forms(g.result, g.expression),
        "kinds": {render.name(n, render.TEXT): k for n, k in g.typing.kinds.items()},
        "shapes": {render.name(n, render.TEXT): list(s) for n, s in g.typing.shapes.items()},
    }


def error_record(source: str, error: MatcalcError) -> dict:
    line, col = error.line_col
    return {"input": source, "error": {"message": error.message, "line": line, "column": col}}

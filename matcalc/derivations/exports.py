"""A derivation for notes, papers and notebooks: LaTeX rows (`-f latex --steps`), a Markdown
cell with $$ math (`-f markdown`, Jupyter's `_repr_markdown_`), a standalone document that
compiles as it is (`--standalone`).

Long derivations name the parts they repeat (`naming`), as at a terminal: a first row says
`let h = \\tanh(W_1 x), …`, the steps use the names, a last row gives the result written out.
"""
from __future__ import annotations

from ..formats import render
from . import naming
from .rules import BY_ID
from .steps import rows

# what a document needs: amsmath for aligned, \text and \operatorname; geometry for a page wide
# enough for a step and its rule; the rest is LaTeX's own
PACKAGES = (("amsmath", ""), ("geometry", "landscape,margin=1.5cm"))
BEGIN = "\\documentclass{article}\n" + "".join(
    f"\\usepackage{'[' + options + ']' if options else ''}{{{p}}}\n" for p, options in PACKAGES) + (
    "\\allowdisplaybreaks\n\\begin{document}\n")
END = "\\end{document}"


def aligned(d) -> str:
    """An `aligned` environment, one `&= ... && \\text{rule (name)}` row per step, with the
    names of `naming` where the lines run long."""
    named = naming.name(d)
    body = [f"{lhs} &= {rhs} && \\text{{{rule} ({BY_ID[rule].name})}}"
            for lhs, rhs, rule in rows(named, lambda e: render.render(e, render.LATEX), "latex")]
    if named.names:
        letters = ", ".join(f"${render.render(sym, render.LATEX)}$" for sym, _ in named.names)
        body.insert(0, "&\\text{let } " + ",\\; ".join(named.definitions("latex")))
        body.append(f"&= {render.render(d.steps[-1].expr, render.LATEX)} && \\text{{{letters} written out}}")
    return "\\begin{aligned}\n" + " \\\\\n".join(body) + "\n\\end{aligned}"


def markdown(head: str, d=None) -> str:
    """A Markdown cell: the result `head` (LaTeX) as display math, then the derivation's rows."""
    cell = f"$${head}$$"
    if d is not None and d.steps:
        cell += "\n\n$$\n" + aligned(d) + "\n$$"
    return cell


def display(latex: str) -> str:
    """LaTeX math as a display in a document: \\[ … \\]."""
    return "\\[\n" + latex + "\n\\]"

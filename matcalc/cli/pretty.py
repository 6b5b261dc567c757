"""Pretty output at a terminal: Unicode notation (ᵀ ⁻¹ ∇), coloured.

A result and its derivation are drawn with a few ANSI styles (bold, dim, cyan, magenta), the
way Rich draws them, without importing rich: Rich's import alone costs about three times
Python's start-up, and a result at a terminal is mostly start-up. `Terminal` makes Rich's
Console's choices (styles only at a terminal, or with FORCE_COLOR / TTY_COMPATIBLE=1; none
for TERM=dumb; no colours with NO_COLOR; the width from COLUMNS or the terminal), and
tests/test_pretty.py compares its bytes with Rich's. The rule table (`matcalc rules` at a
terminal) is a Rich table: this is the only module that imports rich, and only for that.
"""
from __future__ import annotations

import os
import sys

_CODES = {"bold": "1", "dim": "2", "magenta": "35", "cyan": "36"}  # style word → SGR parameter
_COLOURS = {"magenta", "cyan"}
_CONTROL = dict.fromkeys(map(ord, "\x07\x08\x0b\x0c\r"))  # what Rich's Text strips


class Terminal:
    """Where pretty output goes (stdout) and how: styled or not, coloured or not, how wide.
    None for any of them: as Rich's Console would choose."""

    def __init__(self, file=None, styled: bool | None = None, colour: bool | None = None, width: int | None = None):
        environ = os.environ
        self.file = file
        if styled is None:
            terminal = _is_terminal(file if file is not None else sys.stdout, environ)
            dumb = terminal and environ.get("TERM", "").lower() in ("dumb", "unknown")
            styled = terminal and not dumb
            if width is None and dumb:
                width = 80
        self.styled = styled
        self.colour = environ.get("NO_COLOR", "") == "" if colour is None else colour
        self.width = _width(environ) if width is None else width

    def print(self, *parts: str | tuple[str, str]) -> None:
        """One line of parts, each a text or (text, style words); never wrapped."""
        out = []
        for part in parts:
            text, style = (part, "") if isinstance(part, str) else part
            text = text.translate(_CONTROL)
            codes = self._codes(style) if text else ""
            out.append(f"\x1b[{codes}m{text}\x1b[0m" if codes else text)
        out.append("\n")
        file = self.file if self.file is not None else sys.stdout  # as Rich: an OSError is the caller's
        file.write("".join(out))
        file.flush()

    def _codes(self, style: str) -> str:
        if not self.styled:
            return ""
        return ";".join(_CODES[w] for w in style.split() if self.colour or w not in _COLOURS)


def _is_terminal(file, environ) -> bool:
    compatible = environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return file.isatty()
    except (AttributeError, ValueError):
        return False


def _width(environ) -> int:
    columns = environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    for fd in (0, 1, 2):  # stdin, stdout, stderr: the first that is a terminal
        try:
            return os.get_terminal_size(fd).columns or 80
        except (AttributeError, ValueError, OSError):
            continue
    return 80


class PrettyPrinter:
    def __init__(self, terminal: Terminal | None = None):
        self.terminal = terminal or Terminal()

    def gradient(self, g) -> None:
        from .wrap import equation

        lines = equation(g.lhs("unicode"), g.unicode, self.terminal.width)
        if len(lines) == 1:  # as it always was
            self.terminal.print((g.lhs("unicode"), "cyan"), (" = ", "dim"), (g.unicode, "bold"))
            return
        for text in lines:
            self.terminal.print(*_equation_line(text, "bold"))

    def note(self, text: str) -> None:
        """A remark under a result, such as the reading of the kinds taken."""
        from .wrap import wrap

        for piece in wrap(text, self.terminal.width):
            self.terminal.print((piece, "dim"))

    def derivation(self, d) -> None:
        """The result (written out), then the derivation (with names where its lines run long)."""
        self.gradient(d.gradient)
        self.chain(d)

    def line(self, text: str) -> None:
        """A result line of simplify or verify."""
        from .wrap import wrap

        for i, piece in enumerate(wrap(text, self.terminal.width, self.terminal.width - 2)):
            self.terminal.print((("  " if i else "") + piece, "bold"))

    def chain(self, d) -> None:
        """An aligned chain of equalities, each with its rule (a derivation or a
        `chains.Chain`): first the names it uses ("let h = tanh(W₁ x), r = W₂ h - y"), then
        the steps, laid out to the terminal's width (`wrap.chain`)."""
        from ..derivations import naming
        from ..derivations.rules import BY_ID
        from .wrap import chain, equation

        if not d.steps:
            return
        named = naming.name(d)
        width = self.terminal.width
        definitions = [f"{_unicode(sym)} = {_unicode(body)}" for sym, body in named.names]
        if definitions and len("  let " + ", ".join(definitions)) <= width:
            self.terminal.print("  ", ("let ", "dim"), ", ".join(definitions))
        else:
            for i, (sym, body) in enumerate(named.names):  # one a line
                lines = equation(_unicode(sym), _unicode(body), width, 6)
                lines[0] = ("  let " if i == 0 else "      ") + lines[0][6:]
                for text in lines:
                    self.terminal.print(*_equation_line(text, "", let=i == 0 and text is lines[0]))
        rows, kind = [], None
        for step in named.steps:
            rows.append((named.lhs(step.kind) if step.kind != kind else "", _unicode(step.expr), step.rule,
                         BY_ID[step.rule].name))
            kind = step.kind
        for left, right, rule, name in chain(rows, width):
            parts = _left_parts(left) + [right]
            if rule and name:  # all columns: as it always was
                parts += [(rule[:-1], "magenta"), " ", (name, "dim")]
            elif rule:
                parts.append((rule, "magenta"))
            self.terminal.print(*parts)

    def rules(self, rules) -> None:
        """The rule table: id, name, statement (a Rich table grid)."""
        from rich.console import Console
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="magenta")
        grid.add_column(style="bold")
        grid.add_column()
        for r in rules:
            grid.add_row(r.id, r.name, r.statement)
        Console(file=self.terminal.file, highlight=False, soft_wrap=True).print(grid)

    def rule(self, r) -> None:
        """One rule: statement, explanation, example, and the command that shows it at work."""
        self.terminal.print((r.id, "bold magenta"), "  ", (r.name, "bold"))
        for label, text in (("", r.statement), ("", r.explanation), ("example: ", r.example),
                            ("try: ", r.command() or "")):
            if text:
                self.terminal.print("  ", (label, "dim"), text)


def _left_parts(left: str) -> list:
    """The left column of a step as laid out by `wrap.chain`: "  ", the left-hand side (cyan,
    with its padding), " = " (dim); or spaces and "= "; or a left-hand side alone."""
    if left.endswith(" = ") and left.startswith("  "):  # padding cyan too, as it always was
        return ["  ", (left[2:-3], "cyan"), (" = ", "dim")]
    if left.endswith("= "):
        return [left[:-2], ("= ", "dim")]
    return [(left, "cyan")] if left.strip() else [left]


def _equation_line(text: str, style: str, let: bool = False) -> list:
    """One line of `lhs = rhs`, as `wrap` laid it out, as parts: the left-hand side cyan, =
    dim, the right-hand side in `style`; a continuation line all in `style`."""
    if let:
        head, _, rest = text.partition("let ")
        return [head, ("let ", "dim"), *_equation_line(rest, style)]
    lhs, eq, rhs = text.partition(" = ")
    if not eq:
        if text.lstrip().startswith("= "):  # the right-hand side under its left-hand side
            lead = len(text) - len(text.lstrip())
            return [text[:lead], ("= ", "dim"), (text[lead + 2:], style)]
        return [(text, style)]
    indent = len(lhs) - len(lhs.lstrip())
    return [lhs[:indent], (lhs[indent:], "cyan"), (" = ", "dim"), (rhs, style)]


def _unicode(e) -> str:
    from ..formats import render

    return render.render(e, render.UNICODE)

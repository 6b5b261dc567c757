"""Pretty output is drawn with ANSI codes by hand (cli/pretty.py), byte for byte as Rich drew it.

`RichPrinter` below is the printer as it was with Rich's Console (the reference); both draw the
same results into a file under the same environment, at a terminal and not, with and without
NO_COLOR, wide and narrow."""
import io

import pytest
from rich.console import Console
from rich.text import Text

from matcalc import api
from matcalc.cli.pretty import PrettyPrinter, Terminal
from matcalc.derivations.rules import BY_ID, RULES
from matcalc.derivations.steps import derive


class RichPrinter(PrettyPrinter):
    """The pretty printer drawn by Rich (matcalc before issue 16)."""

    def __init__(self, console):
        self.console = console

    # what is drawn (the layout of cli/wrap.py, names of derivations/naming.py) is pretty's own;
    # here each line of it is drawn by Rich, from the parts pretty draws it with

    def _parts(self, parts):
        self.console.print(Text.assemble(*parts), soft_wrap=True)

    def gradient(self, g):
        from matcalc.cli.pretty import _equation_line
        from matcalc.cli.wrap import equation

        lines = equation(g.lhs("unicode"), g.unicode, self.console.width)
        if len(lines) == 1:
            line = Text()
            line.append(g.lhs("unicode"), style="cyan")
            line.append(" = ", style="dim")
            line.append(g.unicode, style="bold")
            self.console.print(line)
            return
        for text in lines:
            self._parts(_equation_line(text, "bold"))

    def note(self, text):
        from matcalc.cli.wrap import wrap

        for piece in wrap(text, self.console.width):
            self.console.print(Text(piece, style="dim"))

    def line(self, text):
        from matcalc.cli.wrap import wrap

        for i, piece in enumerate(wrap(text, self.console.width, self.console.width - 2)):
            self.console.print(Text(("  " if i else "") + piece, style="bold"))

    def chain(self, d):
        from matcalc.cli.pretty import _left_parts, _unicode
        from matcalc.cli.wrap import chain
        from matcalc.derivations import naming

        if not d.steps:
            return
        named = naming.name(d)
        assert not named.names  # the derivations drawn here are short
        rows, kind = [], None
        for step in d.steps:
            rows.append((d.lhs(step.kind) if step.kind != kind else "", _unicode(step.expr), step.rule,
                         BY_ID[step.rule].name))
            kind = step.kind
        for left, right, rule, name in chain(rows, self.console.width):
            parts = _left_parts(left) + [right]
            if rule and name:
                parts += [(rule[:-1], "magenta"), " ", (name, "dim")]
            elif rule:
                parts.append((rule, "magenta"))
            self._parts(parts)

    def rule(self, r):
        self.console.print(Text.assemble((r.id, "bold magenta"), "  ", (r.name, "bold")))
        for label, text in (("", r.statement), ("", r.explanation), ("example: ", r.example),
                            ("try: ", r.command() or "")):
            if text:
                self.console.print(Text.assemble("  ", (label, "dim"), text))


class Tty(io.StringIO):
    def isatty(self):
        return True


def _draw(printer):
    for text, wrt in (("tr(ABA^TC)", "A"), ("\\log|X^T X|", "X"), ("a x^T x", "a")):
        for g in api.gradients_of(text, [wrt], {}):
            printer.derivation(derive(g))
            printer.gradient(g)
    printer.note("a is a scalar here; for the other reading declare --vector a")
    printer.line("tr(Aᵀ) = tr(A) holds")
    for r in RULES[:3]:
        printer.rule(r)


ENVIRONMENTS = [
    {},
    {"NO_COLOR": "1"},
    {"NO_COLOR": ""},
    {"FORCE_COLOR": "1"},
    {"FORCE_COLOR": ""},
    {"TTY_COMPATIBLE": "0"},
    {"TTY_COMPATIBLE": "1", "NO_COLOR": "1"},
    {"TERM": "dumb"},
    {"COLUMNS": "40"},
    {"COLUMNS": "200", "TERM": "xterm-256color", "COLORTERM": "truecolor"},
]


@pytest.mark.parametrize("tty", [True, False], ids=["terminal", "file"])
@pytest.mark.parametrize("environ", ENVIRONMENTS, ids=[str(e) for e in ENVIRONMENTS])
def test_pretty_output_is_what_rich_drew(monkeypatch, environ, tty):
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TERM", "COLUMNS", "COLORTERM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    ours, rich = (Tty() if tty else io.StringIO()), (Tty() if tty else io.StringIO())
    _draw(PrettyPrinter(Terminal(file=ours)))
    _draw(RichPrinter(Console(file=rich, highlight=False, soft_wrap=True)))
    assert ours.getvalue() == rich.getvalue()
    assert ("\x1b[" in ours.getvalue()) == (Terminal(file=ours).styled)


def test_a_narrow_terminal_keeps_the_lines_within_its_width():
    """Issue 17: at a narrow terminal the right-hand sides wrap and each left-hand side gets a
    line of its own (cli/wrap.py), instead of running past the edge."""
    from matcalc.cli.pretty import _unicode
    from matcalc.cli.wrap import cells

    d = derive(api.gradients_of("tr(ABA^TC)", ["A"], {})[0])
    rhs = [_unicode(step.expr) for step in d.steps]
    ids = max(len(step.rule) for step in d.steps)
    drawn = {}
    for width in (200, 30):
        out = io.StringIO()
        PrettyPrinter(Terminal(file=out, styled=False, width=width)).chain(d)
        drawn[width] = out.getvalue().splitlines()
    for line, right, step in zip(drawn[200], rhs, d.steps):
        assert f" = {right.ljust(max(map(len, rhs)))}  {step.rule.ljust(ids)} " in line
    assert all(cells(line) <= 30 for line in drawn[30]), drawn[30]
    assert [line.split()[-1] for line in drawn[30] if line.split()[-1] in {s.rule for s in d.steps}] == [
        s.rule for s in d.steps]
    assert drawn[200] != drawn[30]

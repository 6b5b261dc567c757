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

    def gradient(self, g):
        line = Text()
        line.append(g.lhs("unicode"), style="cyan")
        line.append(" = ", style="dim")
        line.append(g.unicode, style="bold")
        self.console.print(line)

    def note(self, text):
        self.console.print(Text(text, style="dim"))

    def line(self, text):
        self.console.print(Text(text, style="bold"))

    def chain(self, d):
        from matcalc.cli.pretty import _unicode

        if not d.steps:
            return
        rows, kind = [], None
        for step in d.steps:
            rows.append((d.lhs(step.kind) if step.kind != kind else "", _unicode(step.expr), step.rule))
            kind = step.kind
        left = max(len(lhs) for lhs, _, _ in rows)
        right = max(len(rhs) for _, rhs, _ in rows)
        ids = max(len(rule) for _, _, rule in rows)
        if 2 + left + 3 + right + 2 + 12 > self.console.width:
            right = 0
        for lhs, rhs, rule in rows:
            self.console.print(Text.assemble(
                "  ", (lhs.rjust(left), "cyan"), (" = ", "dim"), rhs.ljust(right), "  ",
                (rule.ljust(ids), "magenta"), " ", (BY_ID[rule].name, "dim")), soft_wrap=True)

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


def test_a_narrow_terminal_does_not_line_the_rule_ids_up():
    from matcalc.cli.pretty import _unicode

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
    for line, right, step in zip(drawn[30], rhs, d.steps):
        assert f" = {right}  {step.rule.ljust(ids)} " in line
    assert drawn[200] != drawn[30]

"""Pretty output at a terminal: Unicode notation (ᵀ ⁻¹ ∇), coloured with Rich.

The only module that imports rich. Rich drops colour by itself when NO_COLOR is set or the
output is not a terminal."""
from __future__ import annotations

from rich.console import Console
from rich.text import Text


class PrettyPrinter:
    def __init__(self, console: Console | None = None):
        self.console = console or Console(highlight=False, soft_wrap=True)

    def gradient(self, g) -> None:
        line = Text()
        line.append(g.lhs("unicode"), style="cyan")
        line.append(" = ", style="dim")
        line.append(g.unicode, style="bold")
        self.console.print(line)

    def note(self, text: str) -> None:
        """A remark under a result, such as the reading of the kinds taken."""
        self.console.print(Text(text, style="dim"))

    def derivation(self, d) -> None:
        """The result, then the derivation."""
        self.gradient(d.gradient)
        self.chain(d)

    def line(self, text: str) -> None:
        """A result line of simplify or verify."""
        self.console.print(Text(text, style="bold"))

    def chain(self, d) -> None:
        """An aligned chain of equalities, each with its rule id (a derivation or a
        `chains.Chain`). Lines are laid out by hand, never wrapped: a long equation runs on
        rather than breaking."""
        from ..derivations.rules import BY_ID

        if not d.steps:
            return
        rows, kind = [], None
        for step in d.steps:
            rows.append((d.lhs(step.kind) if step.kind != kind else "", _unicode(step.expr), step.rule))
            kind = step.kind
        left = max(len(lhs) for lhs, _, _ in rows)
        right = max(len(rhs) for _, rhs, _ in rows)
        ids = max(len(rule) for _, _, rule in rows)
        if 2 + left + 3 + right + 2 + 12 > self.console.width:  # no room to line the rule ids up
            right = 0
        for lhs, rhs, rule in rows:
            self.console.print(Text.assemble(
                "  ", (lhs.rjust(left), "cyan"), (" = ", "dim"), rhs.ljust(right), "  ",
                (rule.ljust(ids), "magenta"), " ", (BY_ID[rule].name, "dim")), soft_wrap=True)

    def rules(self, rules) -> None:
        """The rule table: id, name, statement."""
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="magenta")
        grid.add_column(style="bold")
        grid.add_column()
        for r in rules:
            grid.add_row(r.id, r.name, r.statement)
        self.console.print(grid)

    def rule(self, r) -> None:
        """One rule: statement, explanation, example, and the command that shows it at work."""
        self.console.print(Text.assemble((r.id, "bold magenta"), "  ", (r.name, "bold")))
        for label, text in (("", r.statement), ("", r.explanation), ("example: ", r.example),
                            ("try: ", r.command() or "")):
            if text:
                self.console.print(Text.assemble("  ", (label, "dim"), text))


def _unicode(e) -> str:
    from ..formats import render

    return render.render(e, render.UNICODE)

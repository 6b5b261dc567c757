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

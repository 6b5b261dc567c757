"""The one error type users see: a message, the input and the place in it."""
from __future__ import annotations


class MatcalcError(Exception):
    """Bad input: parse errors, type (shape) errors, unsupported requests.

    `span` is a (start, end) character range into `text`; the CLI draws a caret under it.
    """

    def __init__(self, message: str, text: str = "", span: tuple[int, int] | None = None):
        super().__init__(message)
        self.message = message
        self.text = text
        self.span = span

    def located(self, text: str, offset: int = 0) -> "MatcalcError":
        """The same error, placed in a larger `text` at `offset` (a line of a batch, say)."""
        span = None if self.span is None else (self.span[0] + offset, self.span[1] + offset)
        return MatcalcError(self.message, text, span)

    @property
    def line_col(self) -> tuple[int, int]:
        """1-based line and column of the start of the span."""
        if self.span is None:
            return 1, 1
        before = self.text[: self.span[0]]
        return before.count("\n") + 1, self.span[0] - (before.rfind("\n") + 1) + 1

    def caret_lines(self) -> list[str]:
        """The offending line and a caret line under the span."""
        if not self.text:
            return []
        line, col = self.line_col
        source = self.text.split("\n")[line - 1]
        width = 1 if self.span is None else max(1, min(self.span[1] - self.span[0], len(source) - col + 1))
        shown = source.expandtabs(1)
        return [shown, " " * (col - 1) + "^" * width]

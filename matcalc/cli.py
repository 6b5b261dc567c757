"""The `matcalc` command: argument handling, the batch loop and exit codes. No math here.

Exit codes: 0 success; 1 a check or identity failed, or a batch line failed; 2 bad input;
130 interrupted.
"""
from __future__ import annotations

import os
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Iterator, Optional

import typer

from . import __version__
from .errors import MatcalcError

EXAMPLES = """Examples:

  matcalc diff "tr(A B A^T C)" A        ∇_A tr(A B Aᵀ C) = Cᵀ A Bᵀ + C A B
  matcalc diff "\\nabla_\\mu \\mu^T A \\mu"   ∇_μ μᵀ A μ = A μ + Aᵀ μ
  matcalc diff "\\log|X|" X              ∇_X log(|X|) = X⁻ᵀ
  matcalc diff "x^T S x" x --symmetric S -f numpy
  matcalc diff - X < losses.txt         one result per input line
"""

app = typer.Typer(
    name="matcalc",
    help="Gradients of matrix expressions, in the textbook's simplest form.\n\n" + EXAMPLES,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    pretty = "pretty"
    text = "text"
    latex = "latex"
    numpy = "numpy"
    json = "json"


def _version(value: bool):
    if value:
        typer.echo(f"matcalc {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
):
    """Gradients of matrix expressions, in the textbook's simplest form."""


# -- shared pieces ---------------------------------------------------------------------------

def declarations(scalar, vector, matrix, symmetric) -> dict[str, str]:
    """--scalar a,b --vector x ... → {name: kind}; names as written, in Unicode or bare."""
    out: dict[str, str] = {}
    for kind, values in (("scalar", scalar), ("vector", vector), ("matrix", matrix), ("symmetric", symmetric)):
        for value in values or []:
            for name in value.split(","):
                if name.strip():
                    out[name.strip()] = kind
    return out


def choose_format(fmt: Optional[Format]) -> str:
    if fmt is not None:
        return fmt.value
    return "pretty" if sys.stdout.isatty() else "text"


def report_error(error: MatcalcError, where: str | None = None) -> None:
    """The input, a caret under the spot, one sentence: on stderr."""
    lines = error.caret_lines()
    if where:
        line, col = error.line_col
        head = f"{where}:{col}: {error.message}"
    else:
        head = f"error: {error.message}"
    sys.stderr.write(head + "\n" + "".join(f"  {text}\n" for text in lines))


def _split_declarations(line: str) -> tuple[str, dict[str, str]]:
    """`EXPR ; \\lambda: scalar, S: symmetric` → (EXPR, {"\\lambda": "scalar", "S": "symmetric"})."""
    parts = re.split(r"(?<!\\);", line, maxsplit=1)
    if len(parts) == 1:
        return line, {}
    expr, rest = parts
    declared = {}
    for item in re.split(r"[;,]", rest):
        if not item.strip():
            continue
        name, sep, kind = item.partition(":")
        kind = kind.strip().lower()
        if not sep or kind not in ("scalar", "vector", "matrix", "symmetric"):
            start = len(expr) + 1 + rest.find(item.strip())
            raise MatcalcError("a declaration reads `name: scalar|vector|matrix|symmetric`", line,
                               (start, start + len(item.strip())))
        declared[name.strip()] = kind
    return expr, declared


def _batch_lines(sources: list[str]) -> Iterator[tuple[str, int, str]]:
    """(file name, line number, text) for each expression line, streaming; '-' is stdin."""
    for source in sources:
        if source == "-":
            stream, name = sys.stdin.buffer, "<stdin>"
        else:
            try:
                stream, name = open(source, "rb"), source
            except OSError as e:
                raise MatcalcError(f"cannot read {source}: {e.strerror}") from None
        with stream if source != "-" else _nullcontext(stream):
            for number, raw in enumerate(stream, 1):
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                if not text.strip() or text.lstrip().startswith("#"):
                    continue
                yield name, number, text


class _nullcontext:
    def __init__(self, value):
        self.value = value

    def __enter__(self):
        return self.value

    def __exit__(self, *exc):
        return False


class Printer:
    """Where results go: Rich for pretty output at a terminal, plain lines otherwise."""

    def __init__(self, fmt: str):
        self.fmt = fmt
        self._pretty = None
        if fmt == "pretty":
            from .pretty import PrettyPrinter

            self._pretty = PrettyPrinter()

    def gradient(self, g) -> None:
        from . import output

        if self._pretty is not None:
            self._pretty.gradient(g)
        else:
            _write(output.gradient_line(g, self.fmt))


def _write(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


# -- diff ------------------------------------------------------------------------------------

@app.command()
def diff(
    expression: Optional[str] = typer.Argument(
        None, help="The expression, e.g. \"tr(A B A^T C)\" or \"\\nabla_A tr(AB)\"; '-' reads lines from stdin."),
    wrt: Optional[list[str]] = typer.Argument(None, help="Variables to differentiate with respect to (A, x, \\mu, X^T)."),
    scalar: Optional[list[str]] = typer.Option(None, "--scalar", help="Declare scalars (repeatable, comma lists)."),
    vector: Optional[list[str]] = typer.Option(None, "--vector", help="Declare column vectors."),
    matrix: Optional[list[str]] = typer.Option(None, "--matrix", help="Declare matrices."),
    symmetric: Optional[list[str]] = typer.Option(None, "--symmetric", help="Declare symmetric matrices."),
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default: pretty at a terminal, text when piped)."),
    check: bool = typer.Option(False, "--check", help="Check each result against finite differences; exit 1 if one fails."),
    files: Optional[list[Path]] = typer.Option(None, "--file", "-i", help="Read expressions from a file, one per line (repeatable)."),
):
    """Differentiate a scalar expression: prints ∇_X f = G for each variable X."""
    declared = declarations(scalar, vector, matrix, symmetric)
    wrts = list(wrt or [])
    printer = Printer(choose_format(fmt))
    if files or expression == "-":
        sources = [str(f) for f in files or []]
        if expression == "-":
            sources.insert(0, "-")
        elif expression is not None:
            wrts.insert(0, expression)
        raise typer.Exit(_diff_batch(sources, wrts, declared, printer, check))
    if expression is None:
        report_error(MatcalcError("give an expression, or '-' to read expressions from stdin"))
        raise typer.Exit(2)
    raise typer.Exit(_diff_one(expression, wrts, declared, printer, check))


def _diff_one(expression, wrts, declared, printer, check, where=None) -> int:
    from . import api

    try:
        text, line_declared = _split_declarations(expression) if where else (expression, {})
        results = api.gradients_of(text, wrts, {**declared, **line_declared})
    except MatcalcError as e:
        report_error(e.located(expression) if where and e.text != expression else e, where)
        return 2
    status = 0
    for g in results:
        if check and not _check(g):
            status = 1
        printer.gradient(g)
    return status


def _check(g) -> bool:
    from .checking import check_gradient

    error, ok = check_gradient(g)
    sys.stderr.write(f"check ∇_{g.wrt}: relative error {error:.1e} against finite differences: "
                     f"{'ok' if ok else 'FAILED'}\n")
    return ok


def _diff_batch(sources, wrts, declared, printer, check) -> int:
    ok = failed = 0
    try:
        for name, number, text in _batch_lines(sources):
            status = _diff_one(text, wrts, declared, printer, check, where=f"{name}:{number}")
            if status == 0:
                ok += 1
            else:
                failed += 1
    except MatcalcError as e:
        report_error(e)
        return 2
    sys.stderr.write(f"{ok} ok, {failed} failed\n")
    return 1 if failed else 0


def run() -> None:
    """Entry point: BrokenPipe (`| head -1`) ends quietly."""
    try:
        app()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)

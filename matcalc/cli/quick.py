"""`matcalc diff EXPR WRT...` and `matcalc diff - WRT...` with output piped, without Typer.

Typer (with click and pydantic) costs several times the interpreter's own start-up, and a
shell tool is mostly start-up. The commands here take no options and print text, so their
arguments need no parser: this module does what cli.diff does for them, with the batch loop
and error reports of batch.py (cli.py's own; batch.py does not import Typer). Anything else
(an option, a terminal) is left to cli.py: `run` answers None, before anything is printed, and
the Typer app reads the command line afresh. tests/test_quick.py checks that both ways print the
same bytes and exit with the same status; when cli.diff changes what a plain command prints,
this module follows.
"""
from __future__ import annotations

import os
import sys


def run(argv: list[str]) -> int | None:
    """The exit status of the command, or None when cli.py must answer it."""
    if len(argv) < 2 or argv[0] != "diff" or os.environ.get("_MATCALC_COMPLETE"):
        return None
    expression, wrts = argv[1], argv[2:]
    if any(a.startswith("-") for a in wrts) or (expression.startswith("-") and expression != "-"):
        return None  # an option (or a word click would take for one)
    try:
        if sys.stdout is None or sys.stdout.isatty():  # pretty output: Rich, and the cli's choices
            return None
    except ValueError:  # stdout closed
        return None
    if expression == "-":
        try:
            return _batch(wrts)
        except BrokenPipeError:  # `| head -1`: end quietly, as cli.run does
            _silence_stdout()
            return 0
    return _one(expression, wrts)


def _one(expression: str, wrts: list[str]) -> int | None:
    """cli._diff_one for text output."""
    from .. import api
    from . import budget, output
    from ..errors import MatcalcError

    try:
        with budget.cpu_budget():  # the same limit as cli.py's
            results = api.gradients_of(expression, wrts, {})
            lines = [output.gradient_line(g, "text") for g in results]
    except MatcalcError as e:
        from .batch import report_error  # as cli.py reports it

        report_error(e)
        return 2
    except Exception:  # noqa: BLE001 - a bug: cli.py runs it again and shows what it shows
        return None
    _write("".join(line + "\n" for line in lines))
    if results and results[0].typing.reading:  # as batch.Printer.reading says it
        sys.stderr.write(f"note: {results[0].typing.reading}\n")
    return 0


def _batch(wrts: list[str]) -> int:
    """cli.diff's batch branch, called directly: batch.py does not import Typer."""
    from .batch import Printer, _diff_batch

    printer = Printer("text")
    printer.steps = False
    return _diff_batch(["-"], wrts, {}, printer, False)


def _write(text: str) -> None:
    from .batch import write_out

    try:
        write_out(text)
    except BrokenPipeError:  # `| head -1`: end quietly, as cli.run does
        _silence_stdout()


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())

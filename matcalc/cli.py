"""The `matcalc` command: argument handling, the batch loop and exit codes. No math here.

Exit codes: 0 success; 1 a check or identity failed, or a batch line failed; 2 bad input;
130 interrupted.
"""
from __future__ import annotations

import codecs
import os
import re
import stat
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer

from . import __version__, budget
from .complete import complete_names, complete_rule_id, complete_wrt
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


# The declarations every command takes (repeatable, comma lists allowed).
Scalars = Annotated[Optional[list[str]], typer.Option(
    "--scalar", help="Declare scalars (repeatable, comma lists).", autocompletion=complete_names)]
Vectors = Annotated[Optional[list[str]], typer.Option(
    "--vector", help="Declare column vectors.", autocompletion=complete_names)]
Matrices = Annotated[Optional[list[str]], typer.Option(
    "--matrix", help="Declare matrices.", autocompletion=complete_names)]
Symmetrics = Annotated[Optional[list[str]], typer.Option(
    "--symmetric", help="Declare symmetric matrices.", autocompletion=complete_names)]


class Format(str, Enum):
    pretty = "pretty"
    text = "text"
    latex = "latex"
    numpy = "numpy"
    python = "python"
    json = "json"


class Layout(str, Enum):
    numerator = "numerator"
    denominator = "denominator"


LAYOUT_HELP = ("numerator or denominator. Default: a gradient is shaped like the variable (denominator "
               "layout) and a Jacobian has a row per output (numerator layout); the other layout transposes.")


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
    if lines:
        lines[0] = _visible(lines[0])
    sys.stderr.write(head + "\n" + "".join(f"  {text}\n" for text in _clip(lines)))


def _visible(text: str) -> str:
    """Control characters as their symbols (␀, ␛), undecodable bytes as �: one column each,
    so the caret stays under its character, and nothing reaches the terminal as a command."""
    return _INVISIBLE.sub(lambda m: "\u2421" if m.group() == "\x7f" else
                          chr(0x2400 + ord(m.group())) if m.group() < " " else "\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")
_INVISIBLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


def _clip(lines: list[str], width: int = 100) -> list[str]:
    """A long line (and its caret line) cut to a window around the caret."""
    if len(lines) != 2 or len(lines[0]) <= width:
        return lines
    shown, caret = lines
    start = max(0, min(caret.find("^") - width // 3, len(shown) - width))
    left = "…" if start else ""
    right = "…" if start + width < len(shown) else ""
    return [left + shown[start:start + width] + right, " " * len(left) + caret[start:start + width]]


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


class Printer:
    """Where results go: Rich for pretty output at a terminal, plain lines otherwise."""

    def __init__(self, fmt: str):
        self.fmt = fmt
        self._pretty = None
        if fmt == "pretty":
            from .pretty import PrettyPrinter

            self._pretty = PrettyPrinter()

    steps = False  # print each result's derivation (`--steps`)
    json_steps = True  # JSON records carry their steps unless `--no-steps`

    def gradient(self, g) -> None:
        from . import output

        if self.steps and self._derivation(g):
            return
        if self._pretty is not None:
            self._pretty.gradient(g)
        else:
            _write(output.gradient_line(g, self.fmt, self.json_steps))

    def _derivation(self, g) -> bool:
        """Print g with its derivation; False (after a note on stderr) when there is none."""
        from . import output
        from .steps import NoDerivation, derive

        try:
            if self._pretty is not None:
                self._pretty.derivation(derive(g))
            else:
                _write(output.derivation_text(g, self.fmt))
            return True
        except NoDerivation as e:
            sys.stderr.write(f"note: {e.message}\n")
            return False


def _write(text: str) -> None:
    # an error record may echo undecodable command-line bytes (lone surrogates): as �
    sys.stdout.write(_SURROGATE.sub("\ufffd", text) + "\n")
    sys.stdout.flush()


# -- diff ------------------------------------------------------------------------------------

@app.command()
def diff(
    expression: Optional[str] = typer.Argument(
        None, help="The expression, e.g. \"tr(A B A^T C)\" or \"\\nabla_A tr(AB)\"; '-' reads lines from stdin."),
    wrt: Optional[list[str]] = typer.Argument(None, help="Variables to differentiate with respect to (A, x, \\mu, X^T).",
                                              autocompletion=complete_wrt),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default: pretty at a terminal, text when piped)."),
    check: bool = typer.Option(False, "--check", help="Check each result against finite differences; exit 1 if one fails."),
    files: Optional[list[Path]] = typer.Option(None, "--file", "-i", help="Read expressions from a file, one per line (repeatable)."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show the derivation, citing a rule at each step (default: on for one expression at a terminal)."),
    layout: Optional[Layout] = typer.Option(None, "--layout", help=LAYOUT_HELP),
):
    """Differentiate: ∇_X f = G for a scalar f; the Jacobian ∂f/∂x for a vector f (rows are outputs)."""
    declared = declarations(scalar, vector, matrix, symmetric)
    wrts = list(wrt or [])
    printer = Printer(choose_format(fmt))
    batch = bool(files) or expression == "-"
    printer.steps = steps if steps is not None else (not batch and printer.fmt == "pretty" and sys.stdout.isatty())
    printer.json_steps = steps is not False
    if files or expression == "-":
        sources = [str(f) for f in files or []]
        if expression == "-":
            sources.insert(0, "-")
        elif expression is not None:
            wrts.insert(0, expression)
        raise typer.Exit(_diff_batch(sources, wrts, declared, printer, check, layout=layout and layout.value))
    if expression is None:
        report_error(MatcalcError("give an expression, or '-' to read expressions from stdin"))
        raise typer.Exit(2)
    raise typer.Exit(_diff_one(expression, wrts, declared, printer, check, layout=layout and layout.value))


def _diff_one(expression, wrts, declared, printer, check, layout=None, hessian=False) -> int:
    """One expression from the command line: an error is reported here (and, with --format
    json, as an error record on stdout, as in a batch), exit code 2."""
    try:
        with budget.cpu_budget():
            return _diff_line(expression, wrts, declared, printer, check, layout, hessian)
    except MatcalcError as e:
        if printer.fmt == "json":
            import json

            from .output import error_record

            _write(json.dumps(error_record(expression, e), ensure_ascii=False))
        report_error(e)
        return 2


def _diff_line(expression, wrts, declared, printer, check, layout=None, hessian=False) -> int:
    """Differentiate one expression and print its results; bad input raises MatcalcError."""
    from . import api

    if hessian:
        results = api.hessians_of(expression, wrts, declared)
    else:
        results = api.gradients_of(expression, wrts, declared, layout)
    if printer.fmt == "python" and any(getattr(g, "kind", "gradient") != "gradient" for g in results):
        raise MatcalcError("--format python writes gradients only: for a Jacobian or a Hessian use --format numpy")
    status = 0
    for g in results:
        if check and not _check(g):
            status = 1
        if printer.fmt != "python":
            printer.gradient(g)
    if printer.fmt == "python":  # one module for the input and all its gradients
        from .output import python_module

        _write(python_module(results))
    return status


def _check(g) -> bool:
    from .checking import check_gradient

    error, ok = check_gradient(g)
    label = getattr(g, "label", f"∇_{g.wrt}")  # ∂/∂x for a Jacobian, ∇²_x for a Hessian
    sys.stderr.write(f"check {label}: relative error {error:.1e} against finite differences: "
                     f"{'ok' if ok else 'FAILED'}\n")
    return ok


def _diff_batch(sources, wrts, declared, printer, check, **how) -> int:
    def handle_line(expression, line_declared):
        return _diff_line(expression, wrts, line_declared, printer, check, **how)

    return run_batch(sources, handle_line, printer.fmt, declared)


# -- hessian ---------------------------------------------------------------------------------

@app.command()
def hessian(
    expression: Optional[str] = typer.Argument(
        None, help="A scalar expression, e.g. \"x^T A x\"; '-' reads lines from stdin."),
    wrt: Optional[list[str]] = typer.Argument(None, help="Variables (x, \\mu, X).", autocompletion=complete_wrt),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default: pretty at a terminal, text when piped)."),
    check: bool = typer.Option(False, "--check", help="Check each result against second differences; exit 1 if one fails."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show the derivation, the gradient's then its Jacobian's (default: on for one expression at a terminal)."),
):
    """The Hessian ∇²_x f = ∂(∇_x f)/∂x of a scalar f: symmetric, Hᵢⱼ = ∂²f/∂xᵢ∂xⱼ (over vec(X) for a matrix)."""
    declared = declarations(scalar, vector, matrix, symmetric)
    printer = Printer(choose_format(fmt))
    printer.steps = steps if steps is not None else (expression != "-" and printer.fmt == "pretty" and sys.stdout.isatty())
    printer.json_steps = steps is not False
    if expression == "-":
        raise typer.Exit(_diff_batch(["-"], list(wrt or []), declared, printer, check, hessian=True))
    if expression is None:
        report_error(MatcalcError("give an expression, or '-' to read expressions from stdin"))
        raise typer.Exit(2)
    raise typer.Exit(_diff_one(expression, list(wrt or []), declared, printer, check, hessian=True))


# -- verify and simplify --------------------------------------------------------------------

@app.command()
def verify(
    identity: Optional[str] = typer.Argument(
        None, help="An identity LHS = RHS between expressions or gradients, e.g. \"tr(AB) = tr(BA)\" "
                   "or \"\\nabla_A |A| = |A| (A^{-1})^T\"; '-' reads identities from stdin, one per line."),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="json for a record; otherwise a sentence."),
    files: Optional[list[Path]] = typer.Option(None, "--file", "-i", help="Read identities from a file, one per line (repeatable)."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show which rules make the two sides equal (default: on for one identity at a terminal)."),
):
    """Decide an identity LHS = RHS: exit 0 if it holds, 1 if it does not, 2 on bad input."""
    from . import api, output

    chosen = choose_format(fmt)
    declared = declarations(scalar, vector, matrix, symmetric)
    show = _show_steps(steps, chosen, batch=bool(files) or identity in ("-", None))

    def verify_line(text, line_declared):
        verdict = api.verify(text, line_declared)
        _print_chain(output.verdict_line, verdict, chosen, show, "verification")
        return 0 if verdict.holds else 1

    if files or identity == "-" or identity is None:
        raise typer.Exit(_batch_command(identity, files, verify_line, chosen, declared))
    try:
        verdict = api.verify(identity, declared)
    except MatcalcError as e:
        _fail(identity, e, chosen)
    _print_chain(output.verdict_line, verdict, chosen, show, "verification")
    raise typer.Exit(0 if verdict.holds else 1)


@app.command()
def simplify(
    expression: Optional[str] = typer.Argument(
        None, help="The expression, e.g. \"tr(B A) + tr(A^T B^T)\"; '-' reads expressions from stdin, one per line."),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default: pretty at a terminal, text when piped)."),
    files: Optional[list[Path]] = typer.Option(None, "--file", "-i", help="Read expressions from a file, one per line (repeatable)."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show the chain of equalities, citing a rule at each step (default: on for one expression at a terminal)."),
):
    """The simplest form: transposes at the leaves, traces rotated (1.A-1.D), like terms collected."""
    from . import api, output

    chosen = choose_format(fmt)
    declared = declarations(scalar, vector, matrix, symmetric)
    show = _show_steps(steps, chosen, batch=bool(files) or expression in ("-", None))
    if files or expression == "-" or expression is None:

        def simplify_line(text, line_declared):
            _print_chain(output.simplified_line, api.simplify(text, line_declared), chosen, show, "simplification")
            return 0

        raise typer.Exit(_batch_command(expression, files, simplify_line, chosen, declared))
    try:
        result = api.simplify(expression, declared)
    except MatcalcError as e:
        _fail(expression, e, chosen)
    _print_chain(output.simplified_line, result, chosen, show, "simplification")


def _show_steps(steps: Optional[bool], fmt: str, batch: bool) -> bool:
    """--steps/--no-steps; by default on for one input at a terminal, and in JSON records."""
    if steps is not None:
        return steps
    return fmt == "json" or (not batch and fmt == "pretty" and sys.stdout.isatty())


def _print_chain(line, result, fmt: str, steps: bool, chain: str) -> None:
    """A simplify or verify result, with its chain of equalities when `steps` (drawn by Rich
    in the pretty format)."""
    if not (steps and fmt == "pretty"):
        _write(line(result, fmt, steps))
        return
    from . import chains
    from .pretty import PrettyPrinter

    printer = PrettyPrinter()
    printer.line(line(result, fmt, False))
    found = getattr(chains, chain)(result)
    if found is not None:
        printer.chain(found)


def _batch_command(argument, files, handle_line, fmt, declared) -> int:
    """verify/simplify over stdin ('-') and --file sources, through the shared batch loop."""
    if argument is None and not files:
        report_error(MatcalcError("give an expression, or '-' to read expressions from stdin"))
        return 2
    if argument not in (None, "-"):
        report_error(MatcalcError("give either an expression or --file, not both"))
        return 2
    sources = (["-"] if argument == "-" else []) + [str(f) for f in files or []]
    return run_batch(sources, handle_line, fmt, declared)


def _fail(source: str, error: MatcalcError, fmt: str):
    """Bad input: the error on stderr (and as a JSON record on stdout for --format json); exit 2."""
    if fmt == "json":
        import json

        from .output import error_record

        _write(json.dumps(error_record(source, error), ensure_ascii=False))
    report_error(error)
    raise typer.Exit(2)


# -- rules -----------------------------------------------------------------------------------

@app.command()
def rules(
    rule_id: Optional[str] = typer.Argument(None, metavar="ID", help="A rule id, e.g. 3.D or product.",
                                            autocompletion=complete_rule_id),
):
    """The rules that derivation steps cite: all of them, or one with an example."""
    from . import rules as table

    rule = None
    if rule_id is not None:
        rule = table.lookup(rule_id)
        if rule is None:
            report_error(MatcalcError(f"no rule {rule_id!r}; `matcalc rules` lists them: "
                                      + ", ".join(r.id for r in table.RULES)))
            raise typer.Exit(2)
    if sys.stdout.isatty():
        from .pretty import PrettyPrinter

        if rule:
            PrettyPrinter().rule(rule)
        else:
            PrettyPrinter().rules(table.RULES)
    else:
        _write(table.describe(rule) if rule else table.listing())


# -- batches: one expression a line, from files and stdin -----------------------------------
#
# `run_batch` is the loop every command's `-`/`--file` mode goes through: it streams the
# lines (never reading a whole input), skips blank and `#` lines, splits off a line's own
# declarations (`EXPR ; \lambda: scalar, S: symmetric`), gives the rest to the command's
# `handle_line`, and makes a bad line cost that line only.

PROGRESS_AFTER_SECONDS = 1.0  # a batch shows a progress bar once it has run this long
_MAX_LINE_BYTES = 400_004     # 100,000 characters of UTF-8 (parser.MAX_LENGTH) and a line end


def run_batch(sources: list[str], handle_line, fmt: str = "text", declared: dict[str, str] | None = None) -> int:
    """Run `handle_line(expression, declarations)` on each expression line of `sources` ('-' is
    stdin), in order. It prints its own results and returns 0 (ok) or 1 (e.g. a failed check);
    a MatcalcError it raises fails that line only: `FILE:LINE:COL: message`, the line and a caret
    on stderr, and with fmt "json" also an error record on stdout. Ends with `N ok, M failed` on
    stderr. Returns the exit code: 0 all ok, 1 a line failed, 2 a source cannot be read, 130
    interrupted (Ctrl-C); a closed stdout (`| head -1`) ends the batch quietly with 0."""
    opened: list[_Source] = []
    try:
        for s in sources:  # all opened first: a missing file fails the batch before any output
            opened.append(_Source.open(s))
    except MatcalcError as e:
        for source in opened:
            source.close()
        report_error(e)
        return 2
    ok = failed = 0
    progress = _Progress(opened)
    try:
        for source in opened:
            for number, text, problem in source.lines(progress):
                try:
                    if problem is not None:
                        raise problem
                    expression, line_declared = _split_declarations(text)
                    with budget.cpu_budget():  # never a hang: see budget.py
                        status = handle_line(expression, {**(declared or {}), **line_declared})
                except MatcalcError as e:
                    _report_line(e, text, source.name, number, fmt)
                    status = 2
                except budget.OverBudget:  # the timer fired just as the line ended
                    _report_line(budget.over_budget_error(), text, source.name, number, fmt)
                    status = 2
                except BrokenPipeError:
                    raise
                except Exception as e:  # a bug must cost its line only, too
                    message = f"internal error, please report it: {type(e).__name__}: {e}"
                    _report_line(MatcalcError(message[:300]), text, source.name, number, fmt)
                    status = 2
                if status == 0:
                    ok += 1
                else:
                    failed += 1
                progress.show(ok, failed)
    except KeyboardInterrupt:
        progress.stop()
        sys.stderr.write(f"\ninterrupted\n{ok} ok, {failed} failed\n")
        return 130
    except BrokenPipeError:  # the reader left (`| head -1`): nothing more to say
        _silence_stdout()
        return 0
    finally:
        progress.stop()
        for source in opened:
            source.close()
    empty = "" if ok or failed else " (the input holds no expressions)"
    sys.stderr.write(f"{ok} ok, {failed} failed{empty}\n")
    return 1 if failed else 0


class _Source:
    """A file or stdin, read a line at a time: memory stays flat however long the input."""

    def __init__(self, name: str, stream, owned: bool):
        self.name, self.stream, self.owned = name, stream, owned
        self.size = None
        try:
            st = os.fstat(stream.fileno())
            if stat.S_ISREG(st.st_mode):
                self.size = st.st_size - stream.tell()
        except (OSError, ValueError, AttributeError):
            pass

    @classmethod
    def open(cls, source: str) -> "_Source":
        if source == "-":
            if sys.stdin is None:
                raise MatcalcError("cannot read stdin: it is closed")
            return cls("<stdin>", getattr(sys.stdin, "buffer", sys.stdin), owned=False)
        try:
            return cls(source, open(source, "rb"), owned=True)
        except OSError as e:
            raise MatcalcError(f"cannot read {source}: {e.strerror or e}") from None

    def close(self) -> None:
        if self.owned:
            self.stream.close()

    def lines(self, progress) -> Iterator[tuple[int, str, MatcalcError | None]]:
        """(line number, text, problem) for each line that is not blank or a # comment."""
        number = 0
        while True:
            raw = self.stream.readline(_MAX_LINE_BYTES)
            if not raw:
                return
            number += 1
            progress.advance(len(raw))
            if len(raw) == _MAX_LINE_BYTES and not raw.endswith(b"\n"):
                yield number, *_too_long(raw, self.stream, progress)
                continue
            raw = raw.rstrip(b"\r\n")
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            text = raw.decode("utf-8", errors="replace")
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            yield number, text, _undecodable(raw, text)


def _undecodable(raw: bytes, text: str) -> MatcalcError | None:
    try:
        raw.decode("utf-8")
        return None
    except UnicodeDecodeError as e:
        col = len(raw[: e.start].decode("utf-8", errors="replace"))
        return MatcalcError(f"this line is not valid UTF-8 (byte 0x{raw[e.start]:02x})", text, (col, col + 1))


def _too_long(first: bytes, stream, progress) -> tuple[str, MatcalcError]:
    """Skip the rest of an over-long line without holding it; the error shows its start."""
    from .parser import MAX_LENGTH

    rest = first
    while rest and not rest.endswith(b"\n"):
        rest = stream.readline(1 << 16)
        progress.advance(len(rest))
    text = first[:60].decode("utf-8", errors="replace") + "…"
    return text, MatcalcError(f"the line is too long: matcalc reads expressions of at most {MAX_LENGTH} characters",
                              text, (0, len(text)))


def _report_line(error: MatcalcError, text: str, name: str, number: int, fmt: str) -> None:
    """`FILE:LINE:COL: message`, the line and a caret on stderr; a JSON record on stdout too."""
    error = _locate(error, text)
    report_error(error, f"{name}:{number}")
    if fmt == "json":
        import json

        _, col = error.line_col
        record = {"input": text, "error": {"message": error.message, "file": name, "line": number, "column": col}}
        _write(json.dumps(record, ensure_ascii=False))


def _locate(error: MatcalcError, line: str) -> MatcalcError:
    """The error placed in the whole line: its text is the expression part (a prefix), a name
    from the declarations part (the last occurrence), or unknown (the whole line)."""
    if error.text == line:
        return error
    if error.text and line.startswith(error.text):
        return error.located(line)
    if error.text and error.text in line:
        return error.located(line, line.rfind(error.text))
    return MatcalcError(error.message, line, (0, len(line)))


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


class _Progress:
    """A Rich progress bar on stderr for a long batch: only when stderr is a terminal and stdout
    is not (results go to a file or a pipe), and only once the batch has run PROGRESS_AFTER_SECONDS.
    Rich is imported then, never otherwise. Measures bytes read when every source is a file."""

    def __init__(self, sources):
        self.wanted = _isatty(sys.stderr) and not _isatty(sys.stdout)
        sizes = [s.size for s in sources]
        self.total = sum(sizes) if sizes and None not in sizes else None
        self.done = 0
        self.started = time.monotonic()
        self.bar = None

    def advance(self, nbytes: int) -> None:
        self.done += nbytes

    def show(self, ok: int, failed: int) -> None:
        if not self.wanted:
            return
        if self.bar is None:
            if time.monotonic() - self.started < PROGRESS_AFTER_SECONDS:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                                console=Console(stderr=True), transient=True, redirect_stdout=False)
            self.task = self.bar.add_task("", total=self.total)
            self.bar.start()
        self.bar.update(self.task, completed=self.done, description=f"{ok} ok, {failed} failed")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _isatty(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):
        return False


def run() -> None:
    """Entry point: BrokenPipe (`| head -1`) ends quietly; Ctrl-C exits 130; bad input that a
    command let slip (a MatcalcError while printing, say) is still a message and exit 2."""
    try:
        app()
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    except KeyboardInterrupt:  # Typer turns it into exit 130 itself; older versions did not
        sys.stderr.write("\ninterrupted\n")
        sys.exit(130)
    except MatcalcError as e:
        report_error(e)
        sys.exit(2)

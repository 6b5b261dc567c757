"""The batch loop and the printing it shares with cli.py and quick.py: no Typer here.

`run_batch` is the loop every command's `-`/`--file` mode goes through: it streams the
lines (never reading a whole input), skips blank and `#` lines, splits off a line's own
declarations (`EXPR ; \\lambda: scalar, S: symmetric`), gives the rest to the command's
`handle_line`, and makes a bad line cost that line only. `_diff_batch` is `matcalc diff`'s
batch. cli.py (the Typer commands) and quick.py (plain piped `diff`, which must not import
Typer: its ~25 ms are as long as a hundred lines take) both run them from here.
"""
from __future__ import annotations

import codecs
import os
import re
import stat
import sys
import time
from collections.abc import Iterator  # not typing: it costs a millisecond or two to import

from . import budget
from ..errors import MatcalcError


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
    sys.stderr.write(_visible(head) + "\n" + "".join(f"  {text}\n" for text in _clip(lines)))


def _visible(text: str) -> str:
    """Control characters as their symbols (␀, ␛), undecodable bytes and invisible format
    characters (a bidi override such as U+202E, a zero-width space) as �: one column each, so
    the caret stays under its character, and nothing reaches the terminal as a command or
    reorders the line."""
    text = re.sub(_INVISIBLE, lambda m: "\u2421" if m.group() == "\x7f" else
                  chr(0x2400 + ord(m.group())) if m.group() < " " else "\ufffd", text)
    if text.isascii():
        return text
    import unicodedata

    return "".join("\ufffd" if unicodedata.category(c) in ("Cf", "Cc", "Zl", "Zp") else c for c in text)


# Compiled on first use, by re.sub (and kept in re's cache): these ranges of surrogates cost
# more to compile than a short line takes to answer, and most runs need neither.
_SURROGATE = "[\ud800-\udfff]"
_INVISIBLE = "[\x00-\x1f\x7f\ud800-\udfff]"


def _clip(lines: list[str], width: int = 100) -> list[str]:
    """A long line (and its caret line) cut to a window around the caret."""
    if len(lines) != 2 or len(lines[0]) <= width:
        return lines
    shown, caret = lines
    start = max(0, min(caret.find("^") - width // 3, len(shown) - width))
    left = "…" if start else ""
    right = "…" if start + width < len(shown) else ""
    # a caret just past the end (an operand missing there) stays in the window
    return [left + shown[start:start + width] + right, " " * len(left) + caret[start:start + width + (not right)]]


def _split_declarations(line: str) -> tuple[str, dict[str, str]]:
    """`EXPR ; \\lambda: scalar, S: symmetric` → (EXPR, {"\\lambda": "scalar", "S": "symmetric"})."""
    if ";" not in line:  # most lines
        return line, {}
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
        start = len(expr) + 1 + rest.find(item.strip())
        if not sep or kind not in ("scalar", "vector", "matrix", "symmetric"):
            raise MatcalcError("a declaration reads `name: scalar|vector|matrix|symmetric`", line,
                               (start, start + len(item.strip())))
        if declared.get(name.strip(), kind) != kind:
            raise MatcalcError(f"{name.strip()} is declared twice, as {declared[name.strip()]} and {kind}: "
                               "give it one kind", line, (start, start + len(item.strip())))
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
    standalone = False  # `-f latex --standalone`: each result a display of one document

    def _latex(self, text: str) -> None:
        if self.standalone:
            from ..derivations.exports import display

            text = display(text)
        _write(text)

    _output = None  # cli.output, once a gradient is printed (an import statement at each line costs its look-up)

    def gradient(self, g) -> None:
        if self.steps and self._derivation(g):
            return
        if self._pretty is not None:
            self._pretty.gradient(g)
        else:
            output = self._output
            if output is None:
                from . import output

                Printer._output = output
            self._latex(output.gradient_line(g, self.fmt, self.json_steps))

    def reading(self, note: str) -> None:
        """Another reading of the kinds type-checks too: said under the result at a terminal,
        on stderr otherwise (JSON records carry it as "reading")."""
        if self._pretty is not None:
            self._pretty.note(note)
        elif self.fmt != "json":
            _before_stderr()
            sys.stderr.write(f"note: {note}\n")

    def _derivation(self, g) -> bool:
        """Print g with its derivation; False (after a note on stderr) when there is none."""
        from . import output
        from ..derivations.steps import NoDerivation, derive

        try:
            if self._pretty is not None:
                self._pretty.derivation(derive(g))
            else:
                self._latex(output.derivation_text(g, self.fmt))
            return True
        except NoDerivation as e:
            _before_stderr()
            sys.stderr.write(f"note: {e.message}\n")
            return False


class OutputFailed(BaseException):
    """stdout cannot take the results (closed, a full disk): the command stops at the first
    failed write with one message and exit code OUTPUT_FAILED (cli.app.run, quick.run). A
    BaseException, so that a batch does not count it as one line's internal error and go on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def report(self) -> int:
        _silence_stdout()  # the flush at exit must not fail again
        sys.stderr.write(f"error: cannot write the results: {self.reason}\n")
        return OUTPUT_FAILED


OUTPUT_FAILED = 3  # the exit code when the results cannot be written


def write_out(text: str) -> None:
    """`text` on stdout, flushed (unless a batch holds its results back: see run_batch);
    BrokenPipeError (the reader left) passes, any other failure is OutputFailed."""
    _to_stdout(text, not _held)


def _to_stdout(text: str, flush: bool) -> None:
    try:
        if sys.stdout is None:
            raise OutputFailed("standard output is closed")
        sys.stdout.write(text)
        if flush:
            sys.stdout.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as e:  # ValueError: a closed file object
        raise OutputFailed(getattr(e, "strerror", None) or str(e)) from None


# Whether a batch holds its results in stdout's buffer rather than flushing each: while it reads
# only files (no line waits to be read) and writes to no terminal (run_batch's `hold`).
_held = False


def _hold(held: bool) -> None:
    global _held
    _held = held


def _before_stderr() -> None:
    """The results held back go out before a message on stderr (stdout and stderr may be one
    file: they stay in the order written)."""
    if _held:
        _to_stdout("", True)


def _write(text: str) -> None:
    # an error record may echo undecodable command-line bytes (lone surrogates): as �
    write_out((text if text.isascii() else re.sub(_SURROGATE, "\ufffd", text)) + "\n")


def _diff_line(expression, wrts, declared, printer, check, layout=None, hessian=False) -> int:
    """Differentiate one expression and print its results; bad input raises MatcalcError."""
    api = sys.modules.get("matcalc.api")
    if api is None:  # the first line (an import statement at each line costs its look-up)
        from .. import api

    if hessian:
        results = api.hessians_of(expression, wrts, declared)
    else:
        results = api.gradients_of(expression, wrts, declared, layout)
    status = 0
    for g in results:
        if check and not _check(g):
            status = 1
        if printer.fmt != "python":
            printer.gradient(g)
    if printer.fmt == "python":  # one module for the input and all its gradients, Jacobians or Hessians
        from .output import python_module

        _write(python_module(results))
    if results and results[0].typing.reading:
        printer.reading(results[0].typing.reading)
    return status


def _check(g) -> bool:
    from ..numeric.check import check_gradient

    verdict = check_gradient(g)
    label = getattr(g, "label", f"∇_{g.wrt}")  # ∂/∂x for a Jacobian, ∇²_x for a Hessian
    _before_stderr()
    sys.stderr.write(verdict.message(label) + "\n")
    return verdict.ok


def _diff_batch(sources, wrts, declared, printer, check, **how) -> int:
    def handle_line(expression, line_declared):
        return _diff_line(expression, wrts, line_declared, printer, check, **how)

    # results are held back (and flushed before each message on stderr) except where something
    # else writes to stdout or stderr: Rich's pretty output, --check's numeric work
    hold = printer.fmt != "pretty" and not check
    return run_batch(sources, handle_line, printer.fmt, declared, hold)


# -- the loop ------------------------------------------------------------------------------

PROGRESS_AFTER_SECONDS = 1.0  # a batch shows a progress bar once it has run this long
_MAX_LINE_BYTES = 400_004     # 100,000 characters of UTF-8 (parser.MAX_LENGTH) and a line end


def run_batch(sources: list[str], handle_line, fmt: str = "text", declared: dict[str, str] | None = None,
              hold: bool = False) -> int:
    """Run `handle_line(expression, declarations)` on each expression line of `sources` ('-' is
    stdin), in order. It prints its own results and returns 0 (ok) or 1 (e.g. a failed check);
    a MatcalcError it raises fails that line only: `FILE:LINE:COL: message`, the line and a caret
    on stderr, and with fmt "json" also an error record on stdout. Ends with `N ok, M failed` on
    stderr. Returns the exit code: 0 all ok, 1 a line failed, 2 a source cannot be read, 130
    interrupted (Ctrl-C); a closed stdout (`| head -1`) ends the batch quietly with 0.

    `hold`: handle_line writes its results only with write_out and its messages only after
    _before_stderr. Then, when every source is a file and stdout no terminal, the results are
    not flushed one by one (a write to the system each) but as stdout's buffer fills, before a
    message on stderr, and at the end: no line waits to be read, and no one watches them come.
    Else (a pipe, `tail -f`, a terminal) each result is flushed as soon as it is printed."""
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
    used: set[str] = set()  # the names of `declared` that some line used
    progress = _Progress(opened)
    try:
        _hold(hold and all(s.size is not None for s in opened) and not _isatty(sys.stdout))
        for source in opened:
            for number, text, problem in source.lines(progress):
                try:
                    if problem is not None:
                        raise problem
                    expression, line_declared = _split_declarations(text)
                    if declared:
                        from ..language.declarations import BatchDeclarations

                        line_declared = BatchDeclarations(line_declared, declared, used)
                    with budget.cpu_budget():  # never a hang: see budget.py
                        status = handle_line(expression, line_declared)
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
                _forget()
                if status == 0:
                    ok += 1
                else:
                    failed += 1
                progress.show(ok, failed)
        _before_stderr()  # (the summary)
    except KeyboardInterrupt:
        progress.stop()
        try:
            _before_stderr()  # the results of the lines done
        except (BrokenPipeError, OutputFailed):
            _silence_stdout()
        sys.stderr.write(f"\ninterrupted\n{ok} ok, {failed} failed\n")
        return 130
    except BrokenPipeError:  # the reader left (`| head -1`): nothing more to say
        _silence_stdout()
        return 0
    finally:
        _hold(False)
        progress.stop()
        for source in opened:
            source.close()
    empty = "" if ok or failed else " (the input holds no expressions)"
    sys.stderr.write(f"{ok} ok, {failed} failed{empty}\n")
    unused = [name for name in declared or {} if name not in used]
    if ok and not failed and unused:  # (a line that failed may have been the one to use it)
        report_error(MatcalcError(", ".join(f"--{declared[n]} {n}" for n in unused)
                                  + f": {'this name occurs' if len(unused) == 1 else 'these names occur'} in no line"))
        return 2
    return 1 if failed else 0


def _forget() -> None:
    """The engine's tables of the line just done, emptied (calculus.algebra.forget): memory stays
    flat however long the batch. Only if the engine is loaded (a batch of bad lines never loads it)."""
    algebra = sys.modules.get("matcalc.calculus.algebra")
    if algebra is not None:
        algebra.forget()


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
        pending = b""  # what follows a lone CR (an old Mac line end) in the last read
        while True:
            if pending:
                raw, pending = pending, b""
                if not raw.endswith((b"\n", b"\r")) and b"\r" not in raw:  # the read stopped mid-line
                    more = self.stream.readline(_MAX_LINE_BYTES - len(raw))
                    progress.advance(len(more))
                    raw += more
            else:
                raw = self.stream.readline(_MAX_LINE_BYTES)
                progress.advance(len(raw))
            if not raw:
                return
            cr = raw.find(b"\r")
            if cr != -1 and raw[cr + 1:cr + 2] not in (b"\n", b""):  # a lone CR ends a line too
                raw, pending = raw[:cr + 1], raw[cr + 1:]
            number += 1
            if len(raw) == _MAX_LINE_BYTES and not raw.endswith((b"\n", b"\r")):
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
    from ..language.parser import MAX_LENGTH

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
    _before_stderr()
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

"""Batches: `matcalc diff - WRT` and `--file/-i F`. One expression a line, streamed in input
order; a bad line costs that line only (FILE:LINE:COL, the line and a caret on stderr); a
summary `N ok, M failed` on stderr; exit 1 if a line failed. Every gradient printed here is
also checked against finite differences through the oracle."""
from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import matcalc
from matcalc.cli import batch
from matcalc.cli import budget
from matcalc.cli import output
from matcalc.cli.app import app
from oracle import assert_gradient

SCRIPT = Path(sys.executable).with_name("matcalc")
ENTRY = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "matcalc"]
# PYTHONUNBUFFERED would hide a missing flush
ENV = {k: v for k, v in os.environ.items() if not k.startswith("_MATCALC") and k != "PYTHONUNBUFFERED"}

LOSSES = """\
# losses collected from a paper
tr(A B)

\\lambda \\|w\\|^2 + \\|X w - y\\|^2 ; \\lambda: scalar
   # an indented comment
x^T S x ; S: symmetric
"""


def run(args, stdin: str | bytes | None = None):
    result = CliRunner().invoke(app, args, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_lines_in_order_blank_and_comment_lines_skipped(tmp_path):
    f = tmp_path / "losses.txt"
    f.write_text(LOSSES)
    code, out, err = run(["diff", "-i", str(f), "A", "-f", "text"])
    assert code == 1  # lines 4 and 6 have no A
    assert out == "\\nabla_A tr(A B) = B^T\n"
    assert err.splitlines()[-1] == "1 ok, 2 failed"
    assert f"{f}:4:1: A does not occur in the expression" in err
    assert f"{f}:6:1: A does not occur in the expression" in err


def test_each_line_its_own_declarations(tmp_path):
    f = tmp_path / "losses.txt"
    f.write_text(LOSSES)
    code, out, err = run(["diff", "-i", str(f), "w", "-f", "text"])
    assert out.splitlines() == ["\\nabla_w \\lambda \\|w\\|^2 + \\|X w - y\\|^2 = 2 \\lambda w + 2 X^T (X w - y)"]
    code, out, err = run(["diff", "-", "S", "-f", "text"], "x^T S x ; S: symmetric\nx^T S x\n")
    assert out.splitlines() == ["\\nabla_S x^T S x = x x^T", "\\nabla_S x^T S x = x x^T"]
    # the same line without the declaration is a plain matrix: the same text, but numerically
    # the first is the gradient in the space of symmetric matrices
    assert_gradient("x^T S x", "S", declare={"S": "symmetric"})
    assert_gradient("\\lambda \\|w\\|^2 + \\|X w - y\\|^2", "w", declare={"\\lambda": "scalar"})


def test_stdin_and_files_in_the_order_given(tmp_path):
    (tmp_path / "a.txt").write_text("tr(A B)\n")
    (tmp_path / "b.txt").write_text("tr(A^T C)\ntr(A\n")
    code, out, err = run(["diff", "-", "A", "-i", str(tmp_path / "a.txt"), "-i", str(tmp_path / "b.txt"),
                          "-f", "text"], "tr(A D)\n")
    assert out.splitlines() == ["\\nabla_A tr(A D) = D^T", "\\nabla_A tr(A B) = B^T", "\\nabla_A tr(A^T C) = C"]
    assert f"{tmp_path / 'b.txt'}:2:5: a parenthesis is opened but never closed" in err
    assert err.splitlines()[-1] == "3 ok, 1 failed" and code == 1


def test_error_format_file_line_column_line_and_caret(tmp_path):
    f = tmp_path / "in.txt"
    f.write_text("tr(A B)\n\ntr(A B) + B\n")
    code, out, err = run(["diff", "-i", str(f), "A", "-f", "text"])
    assert code == 1
    lines = err.splitlines()
    assert lines[0].startswith(f"{f}:3:11: ") and "shape" in lines[0]  # FILE:LINE:COL: message
    assert lines[1:] == ["  tr(A B) + B", "            ^", "1 ok, 1 failed"]
    # a declaration error points into the declarations part
    code, out, err = run(["diff", "-", "x"], "x^T x ; x: skalar\n")
    assert err.splitlines()[:3] == ["<stdin>:1:9: a declaration reads `name: scalar|vector|matrix|symmetric`",
                                    "  x^T x ; x: skalar", "          ^^^^^^^^^"]


def test_exit_codes(tmp_path):
    assert run(["diff", "-", "A"], "tr(A B)\n# nothing else\n")[0] == 0
    assert run(["diff", "-", "A"], "tr(A B)\ntr(A B\n")[0] == 1
    code, out, err = run(["diff", "-i", str(tmp_path / "missing.txt"), "A"])
    assert code == 2 and out == ""
    assert err.startswith(f"error: cannot read {tmp_path / 'missing.txt'}: No such file or directory")
    code, out, err = run(["diff", "-i", str(tmp_path), "A"])  # a directory
    assert code == 2 and "cannot read" in err


def test_text_and_numpy_print_one_line_per_result():
    sources = ["tr(A B)", "tr(A^T A)", "log|A|"]
    code, out, err = run(["diff", "-", "A", "-f", "numpy"], "".join(s + "\n" for s in sources))
    assert out.splitlines() == [output.gradient_line(matcalc.diff(s, "A"), "numpy") for s in sources]
    assert err == "3 ok, 0 failed\n"
    code, out, err = run(["diff", "-", "A", "B", "-f", "text"], "tr(A B)\n")  # two variables, two lines
    assert out.splitlines() == ["\\nabla_A tr(A B) = B^T", "\\nabla_B tr(A B) = A^T"]


def test_json_lines_with_error_records_in_place():
    source = "tr(A B)\ntr(A B\n\\log|A|\n"
    code, out, err = run(["diff", "-", "A", "-f", "json"], source)
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["input"] for r in records] == ["tr(A B)", "tr(A B", "\\log|A|"]
    assert records[0] == json.loads(output.gradient_line(matcalc.diff("tr(A B)", "A"), "json"))
    assert records[2] == json.loads(output.gradient_line(matcalc.diff("\\log|A|", "A"), "json"))
    assert records[1] == {"input": "tr(A B", "error": {
        "message": "a parenthesis is opened but never closed", "file": "<stdin>", "line": 2, "column": 7}}
    assert "<stdin>:2:7: a parenthesis is opened but never closed" in err  # and on stderr as ever
    assert code == 1


def test_windows_line_ends_and_a_byte_order_mark(tmp_path):
    f = tmp_path / "notepad.txt"
    f.write_bytes(b"\xef\xbb\xbftr(A B)\r\ntr(A^T B)\r\n")
    code, out, err = run(["diff", "-i", str(f), "A", "-f", "text"])
    assert out.splitlines() == ["\\nabla_A tr(A B) = B^T", "\\nabla_A tr(A^T B) = B"]
    assert code == 0


def test_a_query_line_needs_no_wrt():
    code, out, err = run(["diff", "-", "-f", "text"], "\\nabla_A tr(A B)\nd/dx x^T x\n")
    assert out.splitlines() == ["\\nabla_A tr(A B) = B^T", "\\nabla_x x^T x = 2 x"]


# -- the generic loop that verify and simplify share ------------------------------------------

def _lines_of(text: bytes, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text)))


def test_run_batch_passes_expression_and_declarations(monkeypatch, capsys):
    _lines_of(b"one ; a: scalar\n\n# skip\ntwo\n", monkeypatch)
    seen = []

    def handle(expression, declared):
        seen.append((expression, declared))
        return 0

    assert batch.run_batch(["-"], handle, "text", {"B": "matrix"}) == 2  # B is used by no line
    assert seen == [("one ", {"B": "matrix", "a": "scalar"}), ("two", {"B": "matrix"})]
    assert capsys.readouterr().err == "2 ok, 0 failed\nerror: --matrix B: this name occurs in no line\n"


def test_a_bug_in_one_line_costs_that_line_only(monkeypatch, capsys):
    _lines_of(b"fine\nboom\nfine\n", monkeypatch)

    def handle(expression, declared):
        if expression == "boom":
            raise ZeroDivisionError("division by zero")
        print(expression)
        return 0

    assert batch.run_batch(["-"], handle) == 1
    out, err = capsys.readouterr()
    assert out == "fine\nfine\n"
    assert "<stdin>:2:1: internal error, please report it: ZeroDivisionError: division by zero" in err
    assert "Traceback" not in err and err.endswith("2 ok, 1 failed\n")


def test_a_line_that_computes_too_long_gives_up_and_the_batch_goes_on(monkeypatch, capsys):
    monkeypatch.setattr(budget, "CPU_SECONDS", 0.3)
    _lines_of(b"spin\nfine\n", monkeypatch)

    def handle(expression, declared):
        while expression == "spin":
            pass
        return 0

    started = time.monotonic()
    assert batch.run_batch(["-"], handle) == 1
    assert time.monotonic() - started < 10
    err = capsys.readouterr().err
    assert "<stdin>:1:1: gave up after 0.3 s of computing: the result would be too large" in err
    assert err.endswith("1 ok, 1 failed\n")


def test_reading_is_a_line_at_a_time():
    """Memory stays flat: each line is handled before the next is read."""
    class Stream(io.RawIOBase):
        def __init__(self):
            self.lines = [b"tr(A B)\n"] * 5
            self.read_so_far = 0

        def readable(self):
            return True

        def readline(self, limit=-1):
            if not self.lines:
                return b""
            self.read_so_far += 1
            return self.lines.pop()

    stream = Stream()
    source = batch._Source("<test>", stream, owned=False)
    progress = batch._Progress([source])
    for number, text, problem in source.lines(progress):
        assert stream.read_so_far == number  # nothing read ahead
    # an over-long line is skipped in bounded pieces, never held whole
    chunks = []

    class Endless(io.RawIOBase):
        """One line of 3 MB: served only in the pieces asked for."""
        sent = 0

        def readline(self, limit=-1):
            assert 0 < limit <= batch._MAX_LINE_BYTES
            chunks.append(limit)
            if self.sent >= 3_000_000:
                return b""
            self.sent += limit
            return b"x" * limit if self.sent < 3_000_000 else b"x\n"

    long_source = batch._Source("<test>", Endless(), owned=False)
    [(number, text, problem)] = list(long_source.lines(progress))
    assert "the line is too long" in problem.message and len(chunks) > 10


# -- real processes: streaming, pipes ----------------------------------------------------------

def _readline(stream, seconds: float) -> bytes:
    ready, _, _ = select.select([stream], [], [], seconds)
    return stream.readline() if ready else b""


def test_streams_each_result_before_the_next_line_arrives():
    """Usable behind `tail -f`: a result is flushed as soon as its line is read."""
    p = subprocess.Popen([*ENTRY, "diff", "-", "A", "-f", "text"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    try:
        for source, expected in (("tr(A B)", b"\\nabla_A tr(A B) = B^T\n"), ("tr(A C)", b"\\nabla_A tr(A C) = C^T\n")):
            p.stdin.write(source.encode() + b"\n")
            p.stdin.flush()
            assert _readline(p.stdout, 30) == expected
        p.stdin.close()
        assert p.wait(timeout=30) == 0
        assert p.stderr.read() == b"2 ok, 0 failed\n"
    finally:
        p.kill()
        p.wait()


def test_progress_bar_only_when_stderr_is_a_terminal(tmp_path):
    pty = pytest.importorskip("pty")
    f = tmp_path / "many.txt"
    f.write_text("tr(A B)\n" * 300)
    code = ("import sys, matcalc.cli.batch as b, matcalc.cli.app as c; b.PROGRESS_AFTER_SECONDS = 0;"
            " sys.argv = ['matcalc'] + sys.argv[1:]; c.run()")
    args = [sys.executable, "-c", code, "diff", "-i", str(f), "A", "-f", "text"]
    master, slave = pty.openpty()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=ENV)
    os.close(slave)
    out = p.stdout.read()
    assert p.wait(timeout=60) == 0
    err = b""
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    assert out.count(b"\n") == 300 and b"\x1b" not in out  # results untouched
    assert "━".encode() in err and b"300 ok, 0 failed" in err  # the bar, then the summary
    # not a terminal: no bar, and rich is never imported
    check = ("import sys, matcalc.cli.batch as b, matcalc.cli.app as c; b.PROGRESS_AFTER_SECONDS = 0;"
             " sys.argv = ['matcalc'] + sys.argv[1:];\ntry: c.run()\nfinally: print('rich' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", check, "diff", "-i", str(f), "A", "-f", "text"],
                       capture_output=True, env=ENV, timeout=60)
    assert r.stderr == b"300 ok, 0 failed\nFalse\n"


def test_verify_and_simplify_read_batches_too(tmp_path):
    """Issue 5: the same batch loop for verify and simplify (stdin and --file)."""
    import subprocess
    import sys
    from pathlib import Path

    matcalc = str(Path(sys.executable).parent / "matcalc")
    identities = tmp_path / "ids.txt"
    identities.write_text("tr(AB) = tr(BA)\n# a comment\ntr(AB) = tr(A)tr(B)\ntr(A B\n", encoding="utf-8")
    run = subprocess.run([matcalc, "verify", "-i", str(identities)], capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stdout.splitlines()[0] == "holds symbolically: both sides are tr(A B)"
    assert run.stdout.splitlines()[1].startswith("does not hold")
    assert f"{identities}:4:7: a parenthesis is opened but never closed" in run.stderr
    run = subprocess.run([matcalc, "simplify", "-"], input="tr(B A) + tr(A^T B^T)\nx^T A y + y^T A^T x\n",
                         capture_output=True, text=True)
    assert (run.returncode, run.stdout) == (0, "2 tr(A B)\n2 x^T A y\n")
    assert "2 ok, 0 failed" in run.stderr

"""Bad and extreme input: a clear message or a right answer, never a traceback, never a hang.

Deep nesting, a 1 MB line, invalid UTF-8, NUL bytes, empty input, huge powers, a closed
stdout (`| head -1`) and Ctrl-C. Hangs are caught by generous timeouts (a subprocess's, or the
CPU budget's), not by asserting wall-clock times."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import matcalc
from matcalc import api
from matcalc.cli import budget
from matcalc.cli import output
from matcalc.language import parser
from matcalc.cli.app import app
from matcalc.errors import MatcalcError
from oracle import assert_gradient

SCRIPT = Path(sys.executable).with_name("matcalc")
ENTRY = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "matcalc"]
# PYTHONUNBUFFERED would hide a missing flush
ENV = {k: v for k, v in os.environ.items() if not k.startswith("_MATCALC") and k != "PYTHONUNBUFFERED"}
DEEP = 10_000


def run(args, stdin=None):
    result = CliRunner().invoke(app, args, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def clean_error(source: str, wrts=("A",), declared=None) -> MatcalcError:
    """The MatcalcError that `source` gives (failing if it gives a result or anything else)."""
    with pytest.raises(MatcalcError) as caught:
        for g in api.gradients_of(source, list(wrts), declared):
            output.gradient_line(g, "text")
    return caught.value


# -- nesting ---------------------------------------------------------------------------------

def test_ten_thousand_parentheses_deep():
    source = "tr(" + "(" * DEEP + "A B" + ")" * DEEP + ")"
    g = matcalc.diff(source, "A")
    assert g.text == "B^T"
    code, out, err = run(["diff", "-", "A", "-f", "text"], source + "\n")
    assert code == 0 and out.endswith("= B^T\n")


@pytest.mark.parametrize("source", [
    "-" * DEEP + "tr(A B)",                                          # signs
    "-(" * DEEP + "tr(A B)" + ")" * DEEP,
    "tr(" + "(" * DEEP + "A" + ")^T" * DEEP + " B)",                # transposes
    "tr(A" + "^T" * DEEP + " B)",
    "tr(A" + "'" * DEEP + " B)",
    "log(" * DEEP + "tr(A B)" + ")" * DEEP,                          # functions
    "\\sin(" * DEEP + "tr(A B)" + ")" * DEEP,
    "tr(A " * DEEP + "B" + ")" * DEEP,                               # traces
    "|" * DEEP + "A" + "|" * DEEP,                                   # bars
    "\\|" * DEEP + "tr(A)" + "\\|" * DEEP,
    "tr(" + "(" * DEEP + "A" + ")^{-1}" * DEEP + ")",               # inverses
    "tr(" + "(" * DEEP + "A" + ")^2" * DEEP + ")",                   # powers
    "tr(" + "(A " * DEEP + "B" + ")" * DEEP + ")",                   # right-nested products
    "a/(" * DEEP + "tr(A)" + ")" * DEEP,                             # right-nested quotients
])
def test_deep_nesting_is_a_clear_error_or_a_right_answer(source):
    try:
        g = matcalc.diff(source, "A", {"a": "scalar"})
        output.gradient_line(g, "json")
    except MatcalcError as e:
        assert "nested too deeply" in e.message or "does not occur" in e.message, e.message
        line, col = e.line_col
        assert line == 1 and 1 <= col <= len(source)
    code, out, err = run(["diff", "-", "A"], source + "\n")
    assert "Traceback" not in err and code in (0, 1)


@pytest.mark.parametrize("make, wrt, declared, levels", [  # levels: of the syntax tree, per repetition
    (lambda k: "\\sin(" * k + "x" + ")" * k, "x", {"x": "scalar"}, 1),
    (lambda k: "-" * k + "tr(A B)", "A", None, 1),
    (lambda k: "tr(" + "(" * k + "A" + ")^T" * k + " B)", "A", None, 1),
    (lambda k: "tr(A " * k + "B" + ")" * k, "A", None, 2),  # a trace of a product
    (lambda k: "sum(" + "\\tanh(" * k + "X" + ")" * k + ")", "X", None, 1),
    (lambda k: "a (" * k + "x^T x" + ")" * k, "x", {"a": "scalar"}, 1),
    (lambda k: "\\left\\|x " * k + "1" + "\\right\\|" * k, "x", None, 2),  # a norm of a product
], ids=["sin", "minus", "transpose", "trace", "tanh", "product", "norm"])
def test_nesting_up_to_the_limit_is_answered(make, wrt, declared, levels):
    """The limit refuses nothing a formula needs: nested as deep as the parser takes (within a
    few levels of MAX_DEPTH), the gradient is right (finite differences); one more level is the
    clear error."""
    k = parser.MAX_DEPTH
    while True:
        try:
            parser.parse(make(k))
            break
        except MatcalcError:
            k -= 1
    assert k * levels >= parser.MAX_DEPTH - 4
    assert_gradient(make(k), wrt, declare=declared)
    error = clean_error(make(k + 1), [wrt], declared)
    assert "nested too deeply" in error.message


def test_long_chains_are_not_nesting():
    n = 5000
    assert matcalc.diff(" + ".join(["tr(A B)"] * n), "A").text == f"{n} B^T"
    assert matcalc.diff("tr(" + "A " * n + ")", "A").text == f"{n} (A^T)^{{{n - 1}}}"
    assert len(matcalc.diff("x^T" + " A" * 300 + " x", "x").text) < 40  # A^{300} x + (A^T)^{300} x


# -- long lines, bytes that are not text, nothing at all -------------------------------------

def test_a_one_megabyte_line_costs_that_line_only(tmp_path):
    f = tmp_path / "big.txt"
    f.write_text("tr(A) + " * 131_072 + "tr(A)\n" + "tr(A B)\n")  # a line of 1 MB, then a good one
    code, out, err = run(["diff", "-i", str(f), "A", "-f", "text"])
    assert out == "\\nabla_A tr(A B) = B^T\n"
    first = err.splitlines()[0]
    assert first == f"{f}:1:1: the line is too long: matcalc reads expressions of at most {parser.MAX_LENGTH} characters"
    assert len(err) < 1000  # the line is shown cut, not echoed whole
    assert err.endswith("1 ok, 1 failed\n") and code == 1


def test_a_line_just_under_the_limit_is_answered():
    terms = (parser.MAX_LENGTH - 5) // 8 + 1
    source = "tr(A) + " * (terms - 1) + "tr(A)"
    assert len(source) <= parser.MAX_LENGTH
    assert matcalc.diff(source, "A").text == f"{terms} I"
    assert "at most" in clean_error(source + " + tr(A)" * 2).message


def test_invalid_utf8_in_a_file_stdin_and_the_command_line(tmp_path):
    f = tmp_path / "latin1.txt"
    f.write_bytes(b"tr(A B)\ntr(A \xe9 B)\n# caf\xe9 in a comment is fine\ntr(A C)\n")
    code, out, err = run(["diff", "-i", str(f), "A", "-f", "text"])
    assert out.splitlines() == ["\\nabla_A tr(A B) = B^T", "\\nabla_A tr(A C) = C^T"]
    assert err.splitlines()[:3] == [f"{f}:2:6: this line is not valid UTF-8 (byte 0xe9)", "  tr(A \ufffd B)", "       ^"]
    code, out, err = run(["diff", "-", "A"], b"\xff\xfe\n")
    assert "<stdin>:1:1: this line is not valid UTF-8 (byte 0xff)" in err and code == 1
    r = subprocess.run([*ENTRY, "diff", b"tr(A \xff B)", "A"], capture_output=True, env=ENV, timeout=60)
    assert r.returncode == 2 and b"Traceback" not in r.stderr
    assert b"not valid UTF-8" in r.stderr
    # echoed in a JSON error record, even where stdout refuses what is not text
    r = subprocess.run([*ENTRY, "diff", b"tr(A \xff B)", "A", "-f", "json"], capture_output=True, timeout=60,
                       env={**ENV, "PYTHONIOENCODING": "utf-8:strict"})
    assert r.returncode == 2 and b"Traceback" not in r.stderr
    assert json.loads(r.stdout)["input"] == "tr(A \ufffd B)"
    assert r.stderr.decode().splitlines()[1:] == ["  tr(A \ufffd B)", "       ^"]
    # what an undecodable byte becomes in Python: a surrogate, or U+FFFD
    for text in ("tr(A \udcff B)", "tr(A \ufffd B)"):
        assert "not valid UTF-8" in clean_error(text).message


def test_nul_bytes_and_control_characters(tmp_path):
    f = tmp_path / "nul.txt"
    f.write_bytes(b"tr(A\x00 B)\ntr(A B)\n\x00\x00\x00\n")
    code, out, err = run(["diff", "-i", str(f), "A", "-f", "text"])
    assert out == "\\nabla_A tr(A B) = B^T\n"
    assert f"{f}:1:5: the input holds a character that cannot be part of an expression (a NUL byte)" in err
    assert f"{f}:3:1:" in err and err.endswith("1 ok, 2 failed\n")
    assert "control character U+001B" in clean_error("tr(A\x1b[31m B)").message
    code, out, err = run(["diff", "-", "A"], "tr(A\x1b[31m B)\n")  # shown, not obeyed, by the terminal
    assert err.splitlines()[1:3] == ["  tr(A\u241b[31m B)", "      ^"]


@pytest.mark.parametrize("args, stdin", [
    (["diff", "-", "A"], ""),                      # stdin empty
    (["diff", "-", "A"], "\n  \n# only comments\n"),
])
def test_empty_input_is_no_error(args, stdin):
    code, out, err = run(args, stdin)
    assert (code, out, err) == (0, "", "0 ok, 0 failed (the input holds no expressions)\n")


def test_an_empty_file_and_an_empty_expression(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    assert run(["diff", "-i", str(f), "A"]) == (0, "", "0 ok, 0 failed (the input holds no expressions)\n")
    for expression in ("", "   "):
        code, out, err = run(["diff", expression, "A"])
        assert code == 2 and out == ""
        assert err.startswith("error: the input is empty: give an expression such as tr(A B)")


# -- huge numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("source, wrt, declared, text", [
    ("tr(X^{1000000})", "X", None, "1000000 (X^T)^{999999}"),
    ("tr(X^{-1000000})", "X", None, "-1000000 (X^{-1000001})^T"),
    ("x^{1000000}", "x", {"x": "scalar"}, "1000000 x^{999999}"),
    ("\\log|X^{1000000}|", "X", None, "1000000 X^{-T}"),
])
def test_huge_powers_stay_closed(source, wrt, declared, text):
    """Never a million factors: the closed form, checked numerically at a power finite
    differences can handle, through the same rule (above EXPAND_POWER_UP_TO)."""
    g = matcalc.diff(source, wrt, declared)
    assert g.text == text
    small = source.replace("1000000", "11")
    assert_gradient(small, wrt, declare=declared)


def test_huge_numbers_are_kept_or_refused_never_computed_for_ever():
    g = matcalc.diff("2^{1000000000000} x^T x", "x")  # 2^(10^12) is never written out
    assert g.text == "2 2^{1000000000000} x"
    nines = "9" * 1000
    assert "digits" in clean_error(f"{nines}9 x^T x", ["x"]).message
    assert "digits" in clean_error(f"{nines} {nines} {nines} {nines} {nines} x^T x", ["x"]).message


def test_a_result_too_large_to_write_gives_up_within_the_budget(monkeypatch):
    """A gradient that is a sum of 2^28 terms: the CPU budget ends it; the next line is answered."""
    monkeypatch.setattr(budget, "CPU_SECONDS", 0.5)
    blowup = "tr(" + "(A " * 28 + "B" + ")^2" * 28 + ")"
    code, out, err = run(["diff", "-", "A", "-f", "text"], blowup + "\ntr(A B)\n")
    assert out == "\\nabla_A tr(A B) = B^T\n"
    assert "<stdin>:1:1: gave up after 0.5 s of computing: the result would be too large" in err
    code, out, err = run(["diff", blowup, "A"])
    assert code == 2 and err.startswith("error: gave up after 0.5 s")


def test_the_timer_firing_as_a_line_ends_is_still_switched_off(monkeypatch):
    """The budget's signal can arrive at any bytecode, also while the timer is being switched
    off; a timer left running would raise later, anywhere (a flake seen once in the suite)."""
    import signal

    calls = []
    real = budget._signal.setitimer  # (budget.py uses _signal, the signal module without its enums)

    def setitimer(which, seconds, interval=0.0):
        calls.append(seconds)
        if seconds == 0 and calls.count(0) == 1:
            raise budget.OverBudget  # as if the handler ran right here
        return real(which, seconds, interval)

    monkeypatch.setattr(budget._signal, "setitimer", setitimer)
    before = signal.getsignal(signal.SIGVTALRM)
    with budget.cpu_budget():
        result = 42  # the body is done: its result stands
    assert result == 42
    assert calls.count(0) == 2 and signal.getitimer(signal.ITIMER_VIRTUAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGVTALRM) == before and not budget.cpu_budget._active


# -- pipes and signals, in real processes ---------------------------------------------------------

@pytest.mark.parametrize("options", [[], ["-f", "json"]])  # plain (quick.py) and through Typer
def test_head_closing_the_pipe_ends_quietly(tmp_path, options):
    f = tmp_path / "long.txt"
    f.write_text("tr(A B)\n" * 20_000)
    command = " ".join([*ENTRY, "diff", "-", "A", *options])
    r = subprocess.run(["bash", "-c", f"{command} < {f} | head -1; echo \"status ${{PIPESTATUS[0]}}\" >&2"],
                       capture_output=True, env=ENV, timeout=120)
    assert len(r.stdout.splitlines()) == 1
    assert r.stderr == b"status 0\n"  # no traceback, no "Exception ignored", exit 0


@pytest.mark.parametrize("options", [[], ["-f", "json"]])
def test_ctrl_c_while_reading_a_slow_stdin(options):
    p = subprocess.Popen([*ENTRY, "diff", "-", "A", *options], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=ENV)
    try:
        p.stdin.write(b"tr(A B)\n")
        p.stdin.flush()
        assert p.stdout.readline()  # started, answered the first line, now waiting for the next
        time.sleep(0.3)
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=60) == 130
        err = p.stderr.read()
        assert b"Traceback" not in err
        assert re.fullmatch(rb"\ninterrupted\n[01] ok, 0 failed\n", err), err  # 0 if the line was not done
    finally:
        p.kill()
        p.wait()


def test_ctrl_c_during_a_long_computation():
    blowup = "tr(" + "(A " * 28 + "B" + ")^2" * 28 + ")"
    p = subprocess.Popen([*ENTRY, "diff", blowup, "A"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    try:
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=60) == 130
        assert b"Traceback" not in p.stderr.read()
    finally:
        p.kill()
        p.wait()


# -- a function without parentheses followed by more factors ---------------------------------
# Texts write tr AB for tr(AB) and det A det B for det(A) det(B); the grammar alone would read
# tr(A) B. Neither is guessed: the input is refused with both readings written out.

@pytest.mark.parametrize("source, wrt, shown, marked", [
    ("tr A B", "A", "write tr(A B) or tr(A) B", "tr A B"),
    (r"\log x^T x", "x", r"write \log(x^T x) or \log(x^T) x", r"\log x^T x"),
    (r"\log\det X Y", "X", r"write \log\det(X Y) or \log\det(X) Y", r"\log\det X Y"),
    (r"\log\det \Sigma + \operatorname{tr} S \Sigma^{-1}", r"\Sigma",
     r"write \operatorname{tr}(S \Sigma^{-1}) or \operatorname{tr}(S) \Sigma^{-1}", r"\operatorname{tr} S \Sigma^{-1}"),
    (r"\exp x^T A x", "x", r"write \exp(x^T A x) or \exp(x^T) A x", r"\exp x^T A x"),
    (r"\frac{1}{2} tr X^T A X", "X", "write tr(X^T A X) or tr(X^T) A X", "tr X^T A X"),
])
def test_a_bare_function_before_more_factors_is_refused_with_both_readings(source, wrt, shown, marked):
    code, out, err = run(["diff", source, wrt, "-f", "text"])
    assert code == 2 and out == ""
    assert "without parentheses is followed by more factors" in err and shown in err, err
    *_, echoed, caret = err.rstrip("\n").splitlines()
    assert echoed.strip() == source and "Traceback" not in err
    assert caret.strip() == "^" * len(marked) and caret.index("^") - echoed.index(source) == source.index(marked)


@pytest.mark.parametrize("source, wrt, expected", [
    ("tr(A B)", "A", lambda v: v["B"].T),
    ("det A det B", "A", lambda v: np.linalg.det(v["A"]) * np.linalg.det(v["B"]) * np.linalg.inv(v["A"]).T),
    (r"\log|X| tr(X)", "X", lambda v: np.trace(v["X"]) * np.linalg.inv(v["X"]).T
     + np.log(abs(np.linalg.det(v["X"]))) * np.eye(len(v["X"]))),
    (r"a^T x \log|X|", "X", lambda v: (v["a"] @ v["x"]) * np.linalg.inv(v["X"]).T),  # last: nothing follows
    (r"2 \log\det X", "X", lambda v: 2 * np.linalg.inv(v["X"]).T),
    # closed by a bracket, the bare call takes nothing more (the differential property drew this)
    (r"(\det X) (a^T x)", "X", lambda v: (v["a"] @ v["x"]) * np.linalg.det(v["X"]) * np.linalg.inv(v["X"]).T),
    (r"{\log\det X} a^T x", "X", lambda v: (v["a"] @ v["x"]) * np.linalg.inv(v["X"]).T),
])
def test_a_bare_function_alone_or_before_another_function_is_read(source, wrt, expected):
    assert_gradient(source, wrt, expected, positive=True)


@pytest.mark.parametrize("source, marked", [
    ("1^T x", "1^T"), ("1^{T} x", "1^{T}"), ("(1)^T x", "(1)^T"), ("x^T 1", "1"), ("y^T A x + x^T 1", "1"),
])
def test_a_transposed_number_or_a_row_times_1_is_refused_with_the_ones_vector(source, marked):
    # 1ᵀx is 𝟏ᵀx (a sum) in every text, but as written it is the number 1 times x: not guessed
    code, out, err = run(["diff", source, "x", "-f", "text"])
    assert code == 2 and out == "" and "\\mathbf{1}" in err, err
    *_, echoed, caret = err.rstrip("\n").splitlines()
    assert caret.strip() == "^" * len(marked) and caret.index("^") - echoed.index(source) == source.rindex(marked)
    assert_gradient(source.replace(marked, marked.replace("(1)", "1").replace("1", r"\mathbf{1}")),
                    "x", lambda v: np.ones_like(v["x"]) + (v["A"].T @ v["y"] if "A" in source else 0))


@pytest.mark.parametrize("command, named", [
    ("grad", "matcalc diff EXPR VARIABLE"), ("Jacobian", "matcalc diff EXPR VARIABLE"),
    ("prove", "matcalc verify"), ("help", "matcalc --help"),
])
def test_another_tools_command_name_says_where_matcalc_has_it(command, named):
    status, out, err = run([command, "x^T x", "x"])
    assert status == 2 and not out and "Traceback" not in err
    assert err.startswith(f"error: no such command '{command}': ") and named in err
    assert err.count("\n") == 1  # one sentence


@pytest.mark.parametrize("command", ["hesian", "hess"])
def test_an_unknown_command_still_gets_clicks_nearest_name(command):
    status, _, err = run([command, "x^T x", "x"])
    assert status == 2 and "Did you mean 'hessian'?" in err


# A bug planted in the derivation: the command, quick path (diff) and Typer path (verify) alike,
# ends with one message and exit 4, not a traceback; MATCALC_DEBUG=1 gives the traceback back.
PLANTED = """
import sys
from matcalc import api
def broken(*args, **kwargs):
    raise ZeroDivisionError("planted")
api.gradients_of = api.verify = broken
sys.argv = ["matcalc", *sys.argv[1:]]
from matcalc.__main__ import main
main()
"""


@pytest.mark.parametrize("args", [["diff", "x^T x", "x"], ["verify", "tr(AB) = tr(BA)"]])
def test_a_bug_is_one_message_and_exit_4_not_a_traceback(args):
    r = subprocess.run([sys.executable, "-c", PLANTED, *args], capture_output=True, text=True, env=ENV, timeout=120)
    assert (r.returncode, r.stdout) == (4, ""), r
    assert "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("error: internal error, please report it") and "ZeroDivisionError: planted" in r.stderr
    r = subprocess.run([sys.executable, "-c", PLANTED, *args], capture_output=True, text=True,
                       env={**ENV, "MATCALC_DEBUG": "1"}, timeout=120)
    assert r.returncode == 1 and "Traceback" in r.stderr and "ZeroDivisionError: planted" in r.stderr, r


def test_results_and_messages_of_a_file_batch_keep_their_order_in_one_file(tmp_path):
    """Read from a file into a file, a batch flushes its results when the buffer fills, not line by
    line (cli/batch.run_batch's `hold`): each message on stderr still comes after the results before it."""
    f = tmp_path / "batch.txt"
    f.write_text("tr(A B)\ntr(A B\ntr(A C)\nx^T x\ntr(A D)\n")
    command = " ".join([*ENTRY, "diff", "-", "A"])
    r = subprocess.run(["bash", "-c", f"{command} < {f} > {tmp_path / 'out.txt'} 2>&1"], env=ENV, timeout=120)
    assert r.returncode == 1
    assert (tmp_path / "out.txt").read_text() == (
        "\\nabla_A tr(A B) = B^T\n"
        "<stdin>:2:7: a parenthesis is opened but never closed\n  tr(A B\n        ^\n"
        "\\nabla_A tr(A C) = C^T\n"
        "<stdin>:4:1: A does not occur in the expression\n  x^T x\n  ^^^^^\n"
        "\\nabla_A tr(A D) = D^T\n"
        "3 ok, 2 failed\n")


def test_ctrl_c_in_a_file_batch_prints_the_results_of_the_lines_done(tmp_path):
    blowup = "tr(" + "(A " * 28 + "B" + ")^2" * 28 + ")"
    f = tmp_path / "batch.txt"
    f.write_text(f"tr(A B)\n{blowup}\n")
    with open(f, "rb") as stdin:
        p = subprocess.Popen([*ENTRY, "diff", "-", "A"], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=ENV)
    try:
        time.sleep(2.0)
        p.send_signal(signal.SIGINT)
        assert p.wait(timeout=60) == 130
        err = p.stderr.read()
        assert re.fullmatch(rb"\ninterrupted\n[01] ok, 0 failed\n", err), err  # 0 if the first line was not done
        assert p.stdout.read() == (b"\\nabla_A tr(A B) = B^T\n" if b"1 ok" in err else b"")
    finally:
        p.kill()
        p.wait()

"""matcalc/quick.py answers plain `diff` commands without Typer: byte for byte as cli.py does."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from matcalc.cli import quick

SCRIPT = Path(sys.executable).with_name("matcalc")
ENV = {k: v for k, v in os.environ.items() if not k.startswith("_MATCALC")}
# The Typer app alone, as `matcalc` ran before quick.py existed.
VIA_TYPER = [sys.executable, "-c", "import sys; sys.argv[0] = 'matcalc'; from matcalc.cli.app import run; run()"]


def _entry():
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "matcalc"]


def _both(args, stdin=None):
    runs = [subprocess.run(cmd + args, input=stdin, capture_output=True, text=True, env=ENV, timeout=120)
            for cmd in (_entry(), VIA_TYPER)]
    return [(r.returncode, r.stdout, r.stderr) for r in runs]


@pytest.mark.parametrize("args", [
    ["diff", "tr(ABA^TC)", "A"],
    ["diff", "tr(A B A^T C)", "A", "B", "C"],
    ["diff", "x^T A x", "x"],
    ["diff", "2 a^T X b + tr(X^T X)", "X", "a"],
    ["diff", "tr(A X)", "X^T"],
    ["diff", "\\nabla_A tr(A B)"],
    ["diff", "log|X^T X|", "X"],
    ["diff", "tr(A", "A"],                 # an error: cli.py reports it
    ["diff", "tr(A)"],                     # no variable given
    ["diff", "tr(A)", "Z"],                # not in the expression
    ["diff", "tr(A B) + x", "A"],          # a type error
    ["diff", "tr(A)", "A", "--format", "latex"],
    ["diff", "tr(A)", "-f", "json", "A"],
    ["diff", "-tr(A)", "A"],               # click reads a leading '-' as an option
    ["diff"],
    ["rules"],
])
def test_a_command_prints_what_the_typer_app_prints(args):
    quick_run, typer_run = _both(args)
    assert quick_run == typer_run


BATCH = """tr(A X B)
# a comment, then a blank line

x^T X^T X x
tr(X^T X) + log|X^T X|
a x^T X x ; a: scalar
tr(X
tr(A B)
"""


def test_a_batch_prints_what_the_typer_app_prints():
    quick_run, typer_run = _both(["diff", "-", "X"], stdin=BATCH)
    assert quick_run == typer_run
    assert quick_run[0] == 1 and "4 ok, 2 failed" in quick_run[2]


def test_only_plain_piped_diff_commands_are_answered_here(monkeypatch):
    monkeypatch.delenv("_MATCALC_COMPLETE", raising=False)
    assert quick.run(["rules"]) is None
    assert quick.run(["diff", "tr(A)", "--check", "A"]) is None
    assert quick.run(["diff", "-tr(A)", "A"]) is None
    monkeypatch.setenv("_MATCALC_COMPLETE", "complete_bash")
    assert quick.run(["diff", "tr(A)", "A"]) is None

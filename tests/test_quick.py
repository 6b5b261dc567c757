"""matcalc/cli/quick.py answers `diff` and `hessian` command lines without Typer: byte for byte as the
Typer app does, and only with the options the Typer app defines alike."""
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
    # with the options people type
    ["diff", "tr(ABA^TC)", "A", "-f", "latex"],
    ["diff", "tr(ABA^TC)", "A", "-f", "numpy"],
    ["diff", "tr(ABA^TC)", "A", "--steps"],
    ["diff", "tr(ABA^TC)", "A", "--check"],
    ["diff", "tr(ABA^TC)", "A", "-f", "pretty", "--steps"],
    ["diff", "x^T S x", "x", "--symmetric", "S", "-f", "numpy"],
    ["diff", "a x^T x", "--scalar", "a,b", "--scalar", "c", "a", "--format=text"],
    ["diff", "a x^T x", "a", "--scalar", "a", "--vector", "a"],     # declared twice
    ["diff", "tr(A X)", "X", "--layout", "numerator", "-f", "json", "--no-steps"],
    ["diff", "tr(A", "A", "-f", "json"],                               # an error record
    ["diff", "tr(A X)", "X", "--steps", "--no-steps"],                 # the last one counts
    ["diff", "tr(A X)", "X", "-f", "xml"],                             # Typer's error
    ["diff", "tr(A X)", "X", "--chek"],
    ["diff", "tr(A X)", "X", "--", "Y"],
    ["diff", "tr(A X)", "X", "--help"],
    ["hessian", "x^T A x", "x", "--check"],
    ["hessian", "x^T A x", "x", "--steps", "-f", "latex"],
    ["hessian", "x^T A x", "x", "--layout", "numerator"],              # not an option of hessian
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


def test_only_the_command_lines_of_the_table_are_answered_here(monkeypatch):
    monkeypatch.delenv("_MATCALC_COMPLETE", raising=False)
    for argv in (["rules"], ["diff"], ["diff", "-tr(A)", "A"], ["diff", "tr(A)", "A", "--help"],
                 ["diff", "tr(A)", "A", "-h"], ["diff", "-", "-i", "f.txt"], ["diff", "tr(A)", "--", "A"],
                 ["diff", "tr(A)", "A", "-flatex"], ["diff", "tr(A)", "A", "-f=latex"], ["diff", "tr(A)", "A", "-f"],
                 ["diff", "tr(A)", "A", "-f", "XML"], ["diff", "tr(A)", "A", "--check=yes"],
                 ["diff", "tr(A)", "A", "--scalar", "-a"], ["hessian", "x^T x", "x", "--layout", "numerator"],
                 ["diff", "tr(A)", "A", "--layout", "rows"], ["--version"], ["verify", "tr(A) = tr(A)"]):
        assert quick.read(argv) is None, argv
    assert quick.read(["diff", "tr(A)", "--check", "A", "-f", "latex", "--format=json", "--scalar", "a",
                       "--scalar", "b,c", "--no-steps", "B"]) == (
        "diff", {"expression": "tr(A)", "wrt": ["A", "B"], "check": True, "fmt": "json", "scalar": ["a", "b,c"],
                 "steps": False})
    assert quick.read(["hessian", "-", "x", "--steps"]) == ("hessian", {"expression": "-", "wrt": ["x"], "steps": True})
    monkeypatch.setenv("_MATCALC_COMPLETE", "complete_bash")
    assert quick.run(["diff", "tr(A)", "A"]) is None


def _typer_options(command: str):
    import typer.main

    from matcalc.cli.app import app

    click_command = typer.main.get_command(app).commands[command]
    return [p for p in click_command.params if p.param_type_name == "option"]


@pytest.mark.parametrize("command", sorted(quick.OPTIONS))
def test_every_option_of_the_typer_app_is_read_here_alike_or_left_to_it(command):
    """The Typer app is the one definition of the options: the table in quick.py has each with
    the same parameter, the same form (flag, value, repeatable) and the same choices, or leaves it."""
    from matcalc.cli.app import app

    table = quick.OPTIONS[command]
    assert set(app.info.context_settings["help_option_names"]) <= quick.DEFERRED
    known = set(app.info.context_settings["help_option_names"])
    for param in _typer_options(command):
        for written, flag_value in [(o, True) for o in param.opts] + [(o, False) for o in param.secondary_opts]:
            known.add(written)
            if written in quick.DEFERRED:
                continue
            assert written in table, f"{command} {written}: read in quick.py or listed in quick.DEFERRED"
            name, constant = table[written]
            assert name == param.name, written
            if param.is_flag:
                assert constant is flag_value, written
            else:
                assert constant is None, written
                assert (name in quick.REPEATED) == param.multiple, written
                choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
                if choices:
                    assert quick.CHOICES[name] == tuple(c.value for c in choices), written
                else:
                    assert name not in quick.CHOICES, written
    assert set(table) | quick.DEFERRED >= known
    assert set(table) <= known, "quick.py reads an option the Typer app does not have"

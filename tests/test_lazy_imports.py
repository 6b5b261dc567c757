"""Start-up stays near the interpreter's: heavy packages load only where they are used.

sympy only for interop, numpy only for numeric checks, rich only for pretty output at a
terminal. The plainest commands load neither Typer nor lark (matcalc/quick.py,
matcalc/fastparse.py). Each check runs in a fresh interpreter: imports are process-wide.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {"sympy", "numpy", "rich"}
SCRIPT = Path(sys.executable).with_name("matcalc")


def _env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("_MATCALC")}
    env["PYTHONPROFILEIMPORTTIME"] = "1"  # -X importtime, also for the console script
    return env


def _command(*args):
    if SCRIPT.exists():
        return [str(SCRIPT), *args]
    return [sys.executable, "-m", "matcalc", *args]


def _loaded(stderr: str) -> set[str]:
    """Top-level packages named by -X importtime lines."""
    return {line.split("|")[-1].strip().split(".")[0] for line in stderr.splitlines()
            if line.startswith("import time:")}


def _run(argv, stdin=None):
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, env=_env(), timeout=120)


def test_importing_the_cli_loads_neither_sympy_nor_numpy():
    run = _run([sys.executable, "-c", "import matcalc.cli.app"])
    assert run.returncode == 0, run.stderr
    loaded = _loaded(run.stderr)
    assert "typer" in loaded  # the import really happened, so the check below means something
    assert not loaded & HEAVY, loaded & HEAVY


def test_importing_matcalc_loads_none_of_the_heavy_packages():
    run = _run([sys.executable, "-c", "import matcalc, matcalc.api, matcalc.cli.output"])
    assert run.returncode == 0, run.stderr
    assert "matcalc" in _loaded(run.stderr)
    assert not _loaded(run.stderr) & (HEAVY | {"typer", "lark"})


def test_a_plain_diff_piped_loads_no_heavy_package_and_neither_typer_nor_lark():
    run = _run(_command("diff", "tr(ABA^TC)", "A"))
    assert run.returncode == 0, run.stderr
    assert run.stdout == "\\nabla_A tr(A B A^T C) = C^T A B^T + C A B\n"
    loaded = _loaded(run.stderr)
    assert "matcalc" in loaded
    assert not loaded & (HEAVY | {"typer", "lark"}), loaded & (HEAVY | {"typer", "lark"})


def test_a_batch_piped_loads_no_heavy_package():
    run = _run(_command("diff", "-", "X"), stdin="tr(A X B)\nx^T X^T X x\ntr(X^T X) + log|X^T X|\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("\n") == 3
    loaded = _loaded(run.stderr)
    assert "lark" in loaded  # the bars of log|X^T X| are the grammar's: the parser really ran
    assert not loaded & HEAVY, loaded & HEAVY


def test_a_batch_piped_loads_neither_typer_nor_click():
    """quick.py runs the batch loop from matcalc/batch.py: Typer would cost more start-up than
    a thousand lines take to differentiate. A bad line is reported without Typer, too."""
    run = _run(_command("diff", "-", "X"), stdin="tr(A X B)\ntr(X\n")
    assert run.returncode == 1
    assert run.stdout == "\\nabla_X tr(A X B) = A^T B^T\n"
    assert "<stdin>:2:5: a parenthesis is opened but never closed" in run.stderr
    loaded = _loaded(run.stderr)
    assert "matcalc" in loaded
    assert not loaded & {"typer", "click"}, loaded & {"typer", "click"}


@pytest.mark.parametrize("fmt", ["text", "latex", "json"])
def test_other_text_formats_load_no_heavy_package(fmt):
    run = _run(_command("diff", "tr(A X^T B X)", "X", "--format", fmt))
    assert run.returncode == 0, run.stderr
    assert not _loaded(run.stderr) & HEAVY, _loaded(run.stderr) & HEAVY


def test_a_check_loads_numpy_and_nothing_else_heavy():
    run = _run(_command("diff", "tr(A X)", "X", "--check"))
    assert run.returncode == 0, run.stderr
    loaded = _loaded(run.stderr)
    assert "numpy" in loaded
    assert not loaded & {"sympy", "rich"}


def test_an_error_loads_no_heavy_package():
    run = _run(_command("diff", "tr(A X", "X"))
    assert run.returncode == 2
    assert "never closed" in run.stderr
    assert not _loaded(run.stderr) & HEAVY

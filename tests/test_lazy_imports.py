"""Start-up stays near the interpreter's: heavy packages load only where they are used.

sympy only for interop, numpy only for `verify` and the checks that need it (index notation,
large Kronecker Jacobians and Hessians: numeric/check.py's `backend`), rich only for the rule
table and a long batch's progress bar. The commands people type load neither Typer nor lark (cli/quick.py,
language/fastparse.py), and their pretty output is drawn without Rich (cli/pretty.py). Each check runs in a fresh interpreter: imports are process-wide.
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


# Of the standard library too: each of these costs a batch's start-up more than its first lines
# take: dataclasses (with the inspect, ast and dis it loads) gave way to matcalc/frozen.py, signal
# (its enums) and threading to _signal in __main__.py and cli/budget.py.
NOT_AT_START = {"dataclasses", "inspect", "ast", "dis", "typing", "signal", "threading"}


def test_a_batch_piped_loads_none_of_the_slow_standard_modules():
    run = _run(_command("diff", "-", "X"), stdin="tr(A X B)\nx^T X^T X x\n2 tr(X^T X) + a^T X b\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("\n") == 3
    loaded = _loaded(run.stderr)
    assert "matcalc" in loaded
    assert not loaded & NOT_AT_START, loaded & NOT_AT_START


@pytest.mark.parametrize("fmt", ["text", "latex", "json"])
def test_other_text_formats_load_no_heavy_package(fmt):
    run = _run(_command("diff", "tr(A X^T B X)", "X", "--format", fmt))
    assert run.returncode == 0, run.stderr
    assert not _loaded(run.stderr) & HEAVY, _loaded(run.stderr) & HEAVY


def test_a_check_loads_no_heavy_package_nor_typer():
    """--check computes with numeric/dense.py, small matrices in pure Python (issue 16)."""
    run = _run(_command("diff", "tr(A X)", "X", "--check"))
    assert run.returncode == 0, run.stderr
    assert "relative error" in run.stderr and ": ok" in run.stderr  # the check ran
    loaded = _loaded(run.stderr)
    assert "matcalc" in loaded
    assert not loaded & (HEAVY | {"typer", "lark"}), loaded & (HEAVY | {"typer", "lark"})


@pytest.mark.parametrize("args", [("diff", "tr(ABA^TC)", "A", "--check"), ("hessian", "x^T A x", "x", "--check"),
                                  ("diff", r"\log|X^T X| + tr(X^{-1} A)", "X", "--check", "-f", "latex")])
def test_a_check_on_ordinary_expressions_does_not_import_numpy(args):
    run = _run(_command(*args))
    assert run.returncode == 0, run.stderr
    assert ": ok" in run.stderr
    assert "numpy" not in _loaded(run.stderr), run.stderr


def test_a_check_that_needs_numpy_loads_it():
    """Index notation is evaluated by np.einsum, and a large Kronecker Jacobian costs dense more
    than numpy's import: check.backend takes numpy for them, before any work starts."""
    for args in (("diff", "a^T kron(X, B) c", "X", "--check"), ("diff", "kron(X, A)", "X", "--check")):
        run = _run(_command(*args))
        assert run.returncode == 0, run.stderr
        assert ": ok" in run.stderr
        assert "numpy" in _loaded(run.stderr)


def test_an_error_loads_no_heavy_package():
    run = _run(_command("diff", "tr(A X", "X"))
    assert run.returncode == 2
    assert "never closed" in run.stderr
    assert not _loaded(run.stderr) & HEAVY


# -- the commands people type (issue 16): read without Typer (cli/quick.py), drawn without Rich
# (cli/pretty.py), parsed without lark (language/fastparse.py). --check evaluates numerically,
# in pure Python (numeric/dense.py): none of them loads numpy.

TYPED = [("diff", "tr(ABA^TC)", "A"), ("diff", "tr(ABA^TC)", "A", "-f", "latex"),
         ("diff", "tr(ABA^TC)", "A", "-f", "numpy"), ("diff", "tr(ABA^TC)", "A", "--steps"),
         ("diff", "tr(ABA^TC)", "A", "-f", "pretty", "--steps"), ("diff", "x^T S x", "x", "--symmetric", "S", "-f", "json"),
         ("hessian", "x^T A x", "x", "-f", "latex")]
NOT_NEEDED = HEAVY | {"typer", "click", "pydantic", "lark"}


def _run_on_a_terminal(argv):
    """argv with its stdout on a pseudo-terminal: (exit status, what it drew, its stderr)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE, env=_env())
    os.close(slave)
    drawn = b""
    while True:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # EIO: the process has closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, drawn.decode(), err.decode()


@pytest.mark.parametrize("args", TYPED, ids=[" ".join(a) for a in TYPED])
def test_a_typed_command_piped_loads_neither_typer_nor_lark_nor_a_heavy_package(args):
    run = _run(_command(*args))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip()
    loaded = _loaded(run.stderr)
    assert "matcalc" in loaded
    assert not loaded & NOT_NEEDED, loaded & NOT_NEEDED


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("args", TYPED, ids=[" ".join(a) for a in TYPED])
def test_a_typed_command_at_a_terminal_loads_neither_typer_nor_rich_nor_lark(args):
    status, drawn, err = _run_on_a_terminal(_command(*args))
    assert status == 0, err
    loaded = _loaded(err)
    assert "matcalc" in loaded
    assert not loaded & NOT_NEEDED, loaded & NOT_NEEDED
    if "-f" not in args:  # pretty, with its derivation, coloured
        assert "\x1b[36m∇_A tr(A B Aᵀ C)\x1b[0m" in drawn and "\x1b[35mproduct" in drawn  # the rule id (at 80 columns its name does not fit)


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_check_at_a_terminal_loads_nothing_it_does_not_need():
    status, drawn, err = _run_on_a_terminal(_command("diff", "tr(ABA^TC)", "A", "--check"))
    assert status == 0, err
    loaded = _loaded(err)
    assert "matcalc" in loaded
    assert not loaded & NOT_NEEDED, loaded & NOT_NEEDED  # numpy neither: dense.py's numbers
    assert "against finite differences: ok" in drawn + err


def test_help_still_loads_typer():
    """The fast paths defer what they do not know to the Typer app: --help is drawn by it."""
    run = _run(_command("diff", "--help"))
    assert run.returncode == 0 and "--format" in run.stdout
    assert "typer" in _loaded(run.stderr)

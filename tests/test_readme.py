"""README.md shows real output: every `$ matcalc ...` example is run and compared.

Examples show what a terminal shows without the derivation, so a `diff` or `hessian` with no
`--format` is run with `-f pretty` (and steps stay off, as they do when piped)."""
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def examples():
    """(command, expected output, files shown before it by `$ cat FILE`)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    found, files = [], {}
    i = 0
    while i < len(lines):
        cat = re.match(r"^    \$ cat (\S+)$", lines[i])
        if cat:
            i += 1
            body = []
            while i < len(lines) and lines[i].startswith("    ") and not lines[i].startswith("    $ "):
                body.append(lines[i][4:])
                i += 1
            files[cat.group(1)] = "\n".join(body) + "\n"
            continue
        m = re.match(r"^    \$ (matcalc .*)$", lines[i])
        if not m:
            i += 1
            continue
        command, expected = m.group(1), []
        i += 1
        while i < len(lines) and lines[i].startswith("    ") and not lines[i].startswith("    $ "):
            expected.append(lines[i][4:])
            i += 1
        if "<TAB>" in command or re.search(r"(?<![0-9-])>", command):
            continue  # shell completion and files written: covered by their own tests
        found.append((command, "\n".join(expected), dict(files)))
    return found


EXAMPLES = examples()


def test_readme_has_examples():
    assert len(EXAMPLES) >= 30


@pytest.mark.parametrize("command,expected,files", EXAMPLES, ids=[c for c, _, _ in EXAMPLES])
def test_readme_example(command, expected, files, tmp_path):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    words = shlex.split(command)
    if words[1] in ("diff", "hessian") and not {"-f", "--format", "|"} & set(words):
        command += " -f pretty"
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
           "NO_COLOR": "1", "COLUMNS": "200"}
    run = subprocess.run(["bash", "-c", "{ " + command + "; } 2>&1"], capture_output=True, text=True, cwd=tmp_path,
                         env=env, timeout=60)
    assert run.stdout.rstrip("\n") == expected


def test_readme_python_session():
    """The ```python block is a real session: run as a doctest."""
    import doctest

    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        test = doctest.DocTestParser().get_doctest(block, {}, "README.md", str(README), 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        assert runner.failures == 0 and runner.tries > 0, f"{runner.failures} of {runner.tries} README lines differ"


def test_help_examples_show_real_output():
    """The examples of `matcalc --help` that show a result print that result (pretty, no steps)."""
    from matcalc.cli.app import EXAMPLES as HELP

    shown = [line.strip().split("   ") for line in HELP.splitlines() if "∇" in line]
    assert len(shown) == 3, shown
    for parts in shown:
        command, result = parts[0].strip(), parts[-1].strip()
        args = shlex.split(command)[1:]
        proc = subprocess.run([sys.executable, "-m", "matcalc", *args, "-f", "pretty", "--no-steps"],
                              capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == result, (command, proc.stdout)


def test_the_performance_table_is_one_run_of_the_benchmarks():
    """README's Performance table is the first table of benchmarks/results.md, row for row, so
    that every number in it comes from one run of `python benchmarks/run.py` (issue 16)."""
    text = README.read_text(encoding="utf-8")
    performance = text[text.index("## Performance"):text.index("\n## ", text.index("## Performance") + 1)]
    results = (README.parent / "benchmarks" / "results.md").read_text(encoding="utf-8")
    first = results[:results.index("\n## ")]
    shown = [line for line in performance.splitlines() if line.startswith("| ")]
    measured = [line for line in first.splitlines() if line.startswith("| ")]
    assert shown and shown == measured
    assert "python benchmarks/run.py" in performance

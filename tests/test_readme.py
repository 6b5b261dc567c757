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
    lines = README.read_text(encoding="utf-8").splitlines()
    found = []
    i = 0
    while i < len(lines):
        m = re.match(r"^    \$ (matcalc .*)$", lines[i])
        if not m:
            i += 1
            continue
        command, expected = m.group(1), []
        i += 1
        while i < len(lines) and lines[i].startswith("    ") and not lines[i].startswith("    $ "):
            expected.append(lines[i][4:])
            i += 1
        if "<TAB>" in command or ">" in command.replace("->", ""):
            continue  # shell completion and files written: covered by their own tests
        found.append((command, "\n".join(expected)))
    return found


EXAMPLES = examples()


def test_readme_has_examples():
    assert len(EXAMPLES) >= 30


@pytest.mark.parametrize("command,expected", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example(command, expected, tmp_path):
    words = shlex.split(command)
    if words[1] in ("diff", "hessian") and not {"-f", "--format", "|"} & set(words):
        command += " -f pretty"
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
           "NO_COLOR": "1", "COLUMNS": "200"}
    run = subprocess.run(["bash", "-c", command + " 2>&1"], capture_output=True, text=True, cwd=tmp_path,
                         env=env, timeout=60)
    assert run.stdout.rstrip("\n") == expected

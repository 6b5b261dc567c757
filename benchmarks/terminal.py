"""Terminal start-up (issue 16): the commands people type, at a terminal and piped.

    python benchmarks/terminal.py [--repeats N]    # this part alone; run.py calls `terminal`

Each command runs as a fresh process, round-robin with its baseline so that the load of the
shared machine hits both alike; the ratio is the median's over the baseline's median of the
same run. At a terminal means in a pseudo-terminal: `script -qc CMD /dev/null` against
`script -qc 'python -c pass' /dev/null` (script's own start-up is in both). Piped means
stdout is a pipe, against `python -c pass`. Besides wall time, each process's CPU time (user +
system, from wait4) is kept: under load it is steadier than the wall clock.
"""
from __future__ import annotations

import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
MATCALC = str(Path(PYTHON).with_name("matcalc")) if Path(PYTHON).with_name("matcalc").exists() \
    else shutil.which("matcalc")
# byte-code caches written, as after `pip install`, in a private folder
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")
       and not k.startswith("_MATCALC")}
ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "matcalc-bench-pycache")

EXPRESSION = "tr(ABA^TC)"
# (name, options, at a terminal: target ratio, piped: target ratio); None: not a target
COMMANDS = (
    ("pretty, with steps (the default at a terminal)", (), 5.0, None),
    ("-f latex", ("-f", "latex"), 5.0, 8.0),
    ("-f numpy", ("-f", "numpy"), 5.0, 8.0),
    ("--check", ("--check",), 5.0, 8.0),
    ("--steps", ("--steps",), 5.0, 8.0),
)
PLAIN = "plain (`matcalc diff \"tr(ABA^TC)\" A`)"


def _pty(argv: list[str]) -> list[str]:
    return ["script", "-qc", shlex.join(argv), "/dev/null"]


def commands() -> dict[str, list[str]]:
    """name → argv; `floor` and `pty floor` are the baselines."""
    out = {"floor": [PYTHON, "-c", "pass"], "pty floor": _pty([PYTHON, "-c", "pass"])}
    base = [MATCALC, "diff", EXPRESSION, "A"]
    for name, options, pty_target, piped_target in COMMANDS:
        if pty_target is not None:
            out["pty " + name] = _pty(base + list(options))
        if piped_target is not None:
            out[name] = base + list(options)
    out[PLAIN] = base
    return out


def _once(argv: list[str]) -> tuple[float, int, bytes]:
    """Wall seconds of one process, its exit status and output."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    out, _ = proc.communicate()
    return time.perf_counter() - start, proc.returncode, out


def measure(repeats: int, only: list[str] | None = None) -> dict[str, dict[str, float]]:
    """name → {"wall": median seconds, "cpu": median seconds}, all commands interleaved."""
    import resource

    cmds = commands()
    if only:
        cmds = {k: v for k, v in cmds.items() if k in ("floor", "pty floor") or any(o in k for o in only)}
    walls = {name: [] for name in cmds}
    cpus = {name: [] for name in cmds}
    for name, argv in cmds.items():  # warm-up: byte-code caches, disk cache; and a check that it runs
        _, status, out = _once(argv)
        if status != 0 or (name != "floor" and name != "pty floor" and not out):
            raise SystemExit(f"{name} failed (exit {status})")
    for _ in range(repeats):
        for name, argv in cmds.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            wall, _, _ = _once(argv)  # reaped: its CPU time (and script's child's) is in RUSAGE_CHILDREN
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            walls[name].append(wall)
            cpus[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return {name: {"wall": statistics.median(walls[name]), "cpu": statistics.median(cpus[name])} for name in cmds}


def terminal(repeats: int = 20) -> dict:
    """The measurements and their ratios: what run.py reports."""
    load = [os.getloadavg()[0]]
    times = measure(repeats)
    load.append(os.getloadavg()[0])
    return {"times": times, "repeats": repeats, "load": load}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def rows(result: dict) -> list[tuple[str, str, str, str]]:
    """(what, measured, ratio (target), met) per command: the terminal rows of the table."""
    t = result["times"]
    out = []
    for where, prefix, floor, targets in (("at a terminal", "pty ", t["pty floor"], 2), ("piped", "", t["floor"], 3)):
        for command in COMMANDS:
            name, target = command[0], command[targets]
            if target is None:
                continue
            m = t[prefix + name]
            ratio, cpu = m["wall"] / floor["wall"], m["cpu"] / floor["cpu"]
            out.append((f"`matcalc diff \"{EXPRESSION}\" A` {name}, {where}",
                        f"{_ms(m['wall'])} vs {_ms(floor['wall'])}",
                        f"{ratio:.1f}× (≤ {target:g}×); CPU {cpu:.1f}×", "met" if ratio <= target else "**not met**"))
    m, floor = t[PLAIN], t["floor"]
    out.append((f"`matcalc diff \"{EXPRESSION}\" A` plain, piped (no slower)", f"{_ms(m['wall'])} vs {_ms(floor['wall'])}",
                f"{m['wall'] / floor['wall']:.1f}×; CPU {m['cpu'] / floor['cpu']:.1f}×", ""))
    return out


def summary(result: dict) -> list[tuple[str, str, str, str]]:
    """Two rows for run.py's first table: the slowest command at a terminal and piped, each with
    its ratio to its own baseline (the whole list is in the terminal section)."""
    t = result["times"]
    out = []
    for where, prefix, floor, targets in (("at a terminal", "pty ", t["pty floor"], 2), ("piped", "", t["floor"], 3)):
        mine = [(t[prefix + c[0]]["wall"] / floor["wall"], c[0], c[targets]) for c in COMMANDS if c[targets] is not None]
        ratio, name, target = max(mine)
        names = ", ".join(_short(c[0]) for c in COMMANDS if c[targets] is not None)
        out.append((f"`matcalc diff \"{EXPRESSION}\" A` {where} ({names}) vs "
                    + ("the same pseudo-terminal's " if prefix else "") + "`python -c pass`",
                    f"slowest: {_short(name)}, {_ms(t[prefix + name]['wall'])} vs {_ms(floor['wall'])}",
                    f"worst {ratio:.1f}× (≤ {target:g}×); best {min(mine)[0]:.1f}×",
                    "met" if ratio <= target else "**not met**"))
    return out


def _short(name: str) -> str:
    """A command's name without its parenthesis: "pretty with steps", "-f latex"."""
    return name.split(" (")[0].replace(",", "")


def imports(args: list[str], top: int = 8) -> list[tuple[str, float]]:
    """(package, ms) for the `top` most costly packages that `matcalc ARGS` imports with its stdout on
    a pseudo-terminal: python -X importtime's own times of each package's modules, summed."""
    master, slave = os.openpty()
    proc = subprocess.Popen([PYTHON, "-X", "importtime", MATCALC, *args], stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=subprocess.PIPE, env=ENV)
    os.close(slave)
    while True:
        try:
            if not os.read(master, 1 << 16):
                break
        except OSError:  # EIO: the process has closed the terminal
            break
    os.close(master)
    _, err = proc.communicate()
    own: dict[str, float] = {}
    for line in err.decode().splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit():
            package = parts[2].strip().split(".")[0]
            own[package] = own.get(package, 0.0) + int(parts[0].split(":")[1]) / 1000
    return sorted(own.items(), key=lambda e: -e[1])[:top]


# What was chosen, and why (issue 16); the numbers of the run follow it in the section.
DECISIONS = """\
Before this work (main at 9f0f864, the same method, load about 3-4), at a terminal the pretty
output with steps took 13.4× the pseudo-terminal's `python -c pass`, `-f latex` 12.7×, `-f numpy`
12.0×, `--check` 17.0×, `--steps` 11.2×; piped, `-f latex` 20.1×, `-f numpy` 19.9×, `--check`
25.0×, `--steps` 17.0× `python -c pass`, and the plain command 5.3×. `-X importtime` of
`matcalc diff "tr(ABA^TC)" A` at a terminal then (own import times summed per package, three
single runs while a test suite loaded the machine, so several times a quiet machine's): pydantic
222-256 ms, typer 204-236 ms (its per-parameter pydantic adapters built at run time), matcalc
197-286 ms, rich 118-155 ms, pydantic_core 86-113 ms, annotated_types 53-73 ms, email 39-60 ms
(importlib.metadata, for pydantic's plugins). Now (same conditions): matcalc 219-289 ms, and no
other package above the standard library's few milliseconds.
The plain piped command is no slower: against the tree without this work, interleaved in one
run (25 each, load about 4), 268 ms vs 277 ms wall, 101.4 ms vs 101.7 ms CPU (`python -c pass`
48.5 ms, 18.0 ms CPU): it does the same work through the same functions as before.

What was weighed and chosen:

- **Typer only where it is needed (chosen).** `diff` and `hessian` with the options people type
  (`-f`, `--check`, `--steps/--no-steps`, `--scalar/--vector/--matrix/--symmetric`, `--layout`)
  are read by `matcalc/cli/quick.py` from a table of eight options; anything else (--help, --file,
  --version, `--`, a misspelt option, a value Typer would refuse, an expression starting with a
  minus, completion) goes to the Typer app, which reads the command line afresh and does the same
  work through the same function (`quick.diff`). The Typer app stays the one definition of the
  options: tests/test_quick.py checks that each of its options is in the table with the same
  parameter, form and choices, or deferred, and that both ways print the same bytes. Typer's app is
  not built lazily beyond that: once Typer is imported, its cost is in its import and in pydantic's
  adapters, which the commands that need Typer (help, errors, completion installs, verify,
  simplify, rules) need whole.
- **Rich only where it draws a table (chosen).** The pretty output (a result, its derivation, a
  note) is drawn with four ANSI styles by `matcalc/cli/pretty.py`, making Rich's Console's choices
  (a terminal or FORCE_COLOR / TTY_COMPATIBLE, NO_COLOR, TERM=dumb, COLUMNS); tests/test_pretty.py
  compares its bytes with Rich's under ten environments, at a terminal and not. Rich is still
  imported for `matcalc rules` at a terminal (a table) and a long batch's progress bar.
- **Lark's standalone parser (weighed, not adopted).** The grammar is LALR with the contextual
  lexer, so `lark.tools.standalone` can generate a module with the tables baked in (it does, 250 kB,
  with `propagate_positions`). Measured in fresh processes (CPU time, median of 3, on top of the
  engine): the standalone module costs 22 ms to import, 10 ms to load its tables and 35 ms at the
  first parse, 66 ms in all; Lark with its table cache costs 39 ms (import), 15 ms (cache) and 34 ms
  (first parse), 88 ms. Both spend the first parse compiling the contextual lexer's regular
  expressions (one per parser state, each holding every function word), which no generated module
  avoids. So the standalone module cannot replace the quick reader (language/fastparse.py): the
  plain command would pay 66 ms that it does not pay now (it must get no slower), and the commands
  of this benchmark are all read by the quick reader. For the inputs the quick reader leaves to Lark
  (bars, LaTeX, functions), it would save about 22 ms of 88 (a quarter of the parser's cost, about
  one `python -c pass`). And the test that would keep it from drifting cannot compare text:
  `gen_standalone` numbers the parser's states and tokens differently from one run to the next
  (five generations from the same grammar, with three hash seeds and twice with PYTHONHASHSEED=0,
  gave five different files; they differ in the numbering in DATA and MEMO). A drift test would have
  to compare the tables up to renumbering, or record the grammar's hash in the module. Not adopted
  in this session for these reasons; if wanted later: generate the module from
  `grammar.grammar_text()` with the grammar's hash in a header line, a test that checks the hash
  and that the module parses a corpus as Lark does, and lark moved to the test extra.
- **`--check` in pure Python (chosen).** It evaluates the input and the result on random data, and
  `import numpy` (2.x) alone costs 3-9× `python -c pass` here. Ordinary checks now compute with
  `matcalc/numeric/dense.py` (matrices as lists of floats: products, inverse and determinant by
  elimination with partial pivoting, the condition number by Jacobi SVD, and the numpy calls of the
  function table), through the one evaluator (`numeric/evaluation.py` takes the namespace) and on
  the same data (Python's `random.Random(seed)`) whichever computes, so the verdict does not depend
  on it. Before any work starts, `numeric/check.py`'s `backend` takes numpy for index notation
  (einsum) and where its cost estimate says dense would outlast numpy's import (large Kronecker
  Jacobians, Hessians in a matrix of many entries, and a batch's checks once dense has cost the
  import in its first lines: 150 checked lines take 2.3-2.7 s as before). Interleaved with the tree before it, piped (21
  runs each, load about 5): `--check` 268 ms against 566 ms (`python -c pass` 40 ms, the plain
  command 233 ms), `hessian "x^T A x" x --check` 257 ms against 560 ms.
"""


def section(result: dict, profile: list[tuple[str, float]] | None = None) -> str:
    """The "Terminal start-up" section of results.md."""
    out = ["## Terminal start-up", "", table(result).rstrip("\n"), ""]
    if profile:
        out += ["`-X importtime` of `matcalc diff \"tr(ABA^TC)\" A` at a terminal, the packages that cost most "
                "to import (their modules' own times, summed; one process): "
                + ", ".join(f"{name} {ms:.0f} ms" for name, ms in profile) + ".", ""]
    out += [DECISIONS]
    return "\n".join(out)


def table(result: dict) -> str:
    head = (f"Medians of {result['repeats']} fresh processes each, interleaved with the baselines "
            f"(`python -c pass`, and in a pseudo-terminal `script -qc 'python -c pass' /dev/null`); "
            f"load average (1 min) {result['load'][0]:.2f} at the start, {result['load'][1]:.2f} at the end.")
    lines = [head, "", "| Command | Measured | Ratio | |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows(result)]
    return "\n".join(lines) + "\n"


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--only", nargs="*", help="only the commands whose name holds one of these words")
    args = parser.parse_args()
    if MATCALC is None:
        raise SystemExit("the matcalc command is not installed: pip install -e .")
    if args.only:
        times = measure(args.repeats, args.only)
        for name, m in times.items():
            floor = times["pty floor" if name.startswith("pty") else "floor"]
            print(f"{name:55s} {_ms(m['wall']):>8s} {m['wall'] / floor['wall']:5.1f}×  CPU {m['cpu'] / floor['cpu']:5.1f}×")
        return
    print(section(terminal(args.repeats), imports(["diff", EXPRESSION, "A"])))


if __name__ == "__main__":
    main()

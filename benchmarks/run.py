"""matcalc's performance targets (issue 7), measured side by side in one run.

    python benchmarks/run.py            # everything: about 3 minutes on 2 cores
    python benchmarks/run.py --quick    # fewer repeats, 10k lines at most
    python benchmarks/run.py --batch    # only the batch against SymPy and the scaling (a few minutes)

Needs matcalc installed (`pip install -e .`, so the `matcalc` command sits next to this
Python) and, for the baselines and checks only, sympy and numpy (`pip install -e ".[test]"`);
matplotlib draws the scaling plot (`pip install matplotlib`; without it the plot is skipped).
None of these is needed by matcalc's tests. Writes benchmarks/results.md and
benchmarks/scaling.png next to this file, and prints the table.

Start-up is timed as a user meets it after installing: fresh processes, each the median of
many runs interleaved with the baselines, with byte-code caches written (pip compiles them at
install time; an editable checkout writes them on first run unless PYTHONDONTWRITEBYTECODE is
set, so it is unset here and the caches go to a private folder). PYTHONUNBUFFERED, which this
machine sets and a user's shell does not, is unset too: it would make every printed line a write.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
MATCALC = str(Path(PYTHON).with_name("matcalc")) if Path(PYTHON).with_name("matcalc").exists() \
    else shutil.which("matcalc")
# This machine sets PYTHONDONTWRITEBYTECODE and PYTHONUNBUFFERED; a user's shell sets neither.
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")}
ENV["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "matcalc-bench-pycache")
ENV.pop("_MATCALC_COMPLETE", None)

# -- inputs: random trace and quadratic-form expressions in X ---------------------------------

CONSTANTS = "ABCDEFGHKLNPQRSUVW"
VECTORS = "abcuvwyz"


def _chain(rng: random.Random, start: str, n_x: int) -> tuple[list[tuple[str, str, str]], str]:
    """A product walking from dimension `start` (m or n; X is m×n) with n_x factors X or Xᵀ
    and random constant matrices in between: [(factor, rows, cols)], last dimension."""
    out, d, xs = [], start, 0
    while xs < n_x or (len(out) < 6 and rng.random() < 0.3):
        if xs < n_x and (rng.random() < 0.5 or len(out) >= 5):
            out.append(("X" if d == "m" else "X^T", d, "n" if d == "m" else "m"))
            xs += 1
        else:
            out.append(("const", d, rng.choice("mn")))
        d = out[-1][2]
    return out, d


def random_term(rng: random.Random):
    """tr(product) or aᵀ product b, with X once or twice, and an integer coefficient."""
    n_x = rng.choice((1, 2, 2))
    start = rng.choice("mn")
    factors, end = _chain(rng, start, n_x)
    if rng.random() < 0.55:
        if end != start or rng.random() < 0.3:
            factors.append(("const", end, start))
        return rng.choice((1, 1, 1, 2, 3)), "tr", factors
    return rng.choice((1, 1, 1, 2, 3)), "quad", factors


def random_expression(rng: random.Random):
    """(matcalc text, builder of the SymPy object): one or two terms."""
    terms = [random_term(rng) for _ in range(rng.choice((1, 1, 2)))]
    names = iter(rng.sample(CONSTANTS, len(CONSTANTS)))
    vectors = iter(rng.sample(VECTORS, len(VECTORS)))
    parts, spec = [], []
    for coefficient, kind, factors in terms:
        words, shapes = [], []
        for f, r, c in factors:
            if f == "const":
                name = next(names, None)
                if name is None:
                    return random_expression(rng)
                words.append(name)
                shapes.append((name, r, c))
            else:
                words.append(f)
                shapes.append((f, r, c))
        body = " ".join(words)
        if kind == "tr":
            text = f"tr({body})"
            spec.append((coefficient, "tr", shapes, None, None))
        else:
            left, right = next(vectors), next(vectors)
            text = f"{left}^T {body} {right}"
            spec.append((coefficient, "quad", shapes, (left, factors[0][1]), (right, factors[-1][2])))
        parts.append(text if coefficient == 1 else f"{coefficient} {text}")
    return " + ".join(parts), spec


def to_sympy(spec, sizes=None):
    """The SymPy object of a spec, dims m, n symbolic (or the given sizes)."""
    import sympy as sp

    m, n = (sp.Symbol("m"), sp.Symbol("n")) if sizes is None else sizes
    dim = {"m": m, "n": n}
    X = sp.MatrixSymbol("X", m, n)
    total = 0
    for coefficient, kind, shapes, left, right in spec:
        product = None
        for name, r, c in shapes:
            f = X if name == "X" else X.T if name == "X^T" else sp.MatrixSymbol(name, dim[r], dim[c])
            product = f if product is None else product * f
        if kind == "tr":
            term = sp.Trace(product)
        else:
            a = sp.MatrixSymbol(left[0], dim[left[1]], 1)
            b = sp.MatrixSymbol(right[0], dim[right[1]], 1)
            term = (a.T * product * b)[0, 0]  # a 1×1 matrix made a scalar, to add it to traces
        total = total + coefficient * term
    return total, X


def batch(count: int, seed: int):
    rng = random.Random(seed)
    return [random_expression(rng) for _ in range(count)]


def scaling_expression(k: int) -> str:
    """tr(M1 … Mk X N1 … Nk Xᵀ)."""
    words = [f"M{i}" for i in range(1, k + 1)] + ["X"] + [f"N{i}" for i in range(1, k + 1)] + ["X^T"]
    return f"tr({' '.join(words)})"


# -- timing helpers ----------------------------------------------------------------------------

def run(cmd, stdin=None, env=None):
    """Wall time of one process, its exit status, output and error output."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**ENV, **(env or {})})
    return time.perf_counter() - start, proc.returncode, proc.stdout, proc.stderr


# A fresh wrapper process per measurement, so its RUSAGE_CHILDREN is the one child's usage.
_USAGE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "proc = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)\n"
    "wall = time.perf_counter() - start\n"
    "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(proc.returncode, proc.stdout.count(b'\\n'), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)\n"
)


def usage(cmd, stdin) -> dict:
    """Exit status, lines printed, wall and CPU seconds, peak RSS (KiB) of one process."""
    out = subprocess.run([PYTHON, "-c", _USAGE, *cmd], stdin=stdin, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, env=ENV, check=True).stdout.split()
    return {"status": int(out[0]), "printed": int(out[1]), "wall": float(out[2]), "cpu": float(out[3]),
            "rss": int(out[4])}


def interleaved(commands: dict[str, tuple], repeats: int) -> dict[str, list[float]]:
    """Each command `repeats` times, round-robin, so load changes hit all of them alike."""
    times = {name: [] for name in commands}
    for name, (cmd, env) in commands.items():  # warm-up: byte-code caches, disk cache
        _, status, _, err = run(cmd, env=env)
        if status != 0:
            raise SystemExit(f"{name} failed: {err.decode(errors='replace')}")
    for _ in range(repeats):
        for name, (cmd, env) in commands.items():
            times[name].append(run(cmd, env=env)[0])
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


# -- the measurements ------------------------------------------------------------------------------

def startup(repeats: int) -> dict:
    commands = {
        "python -c pass": ([PYTHON, "-c", "pass"], None),
        'python -c "import sympy"': ([PYTHON, "-c", "import sympy"], None),
        'matcalc diff "tr(ABA^TC)" A': ([MATCALC, "diff", "tr(ABA^TC)", "A"], None),
        # what completions/matcalc.bash asks at `matcalc diff "tr(A B A^T C)" <TAB>`
        "completion request": ([MATCALC, "wrt", "", '"tr(A B A^T C)"'], {"_MATCALC_COMPLETE": "values_bash"}),
        # not targets: where the plain path does not reach
        'matcalc diff "\\log|X|" X (read by Lark)': ([MATCALC, "diff", "\\log|X|", "X"], None),
        'matcalc simplify "A^T A" (Typer)': ([MATCALC, "simplify", "A^T A"], None),
    }
    times = interleaved(commands, repeats)
    return {name: statistics.median(ts) for name, ts in times.items()}


def check_ours(lines: list[str], texts: list[str]) -> tuple[int, int]:
    """Each printed line equals the engine's gradient, and each gradient matches central
    finite differences on random data (matcalc.checking, the engine of `--check`)."""
    from matcalc import api
    from matcalc.numeric.check import check_gradient

    printed_ok = right = 0
    for line, text in zip(lines, texts):
        g = api.diff(text, "X")
        printed_ok += line == f"{g.lhs('text')} = {g.text}"
        right += check_gradient(g)[1]
    return printed_ok, right


def sympy_built(specs) -> list:
    """The SymPy objects of the specs, built beforehand (SymPy gets no parsing to do)."""
    import sympy as sp

    built = [to_sympy(spec) for spec in specs]
    sp.diff(*built[0])  # first-call imports inside SymPy are not counted
    return built


def sympy_batch(built) -> tuple[float, float, list, list]:
    """Wall and CPU time of SymPy's diff over `built`, each one's time and its results."""
    import sympy as sp

    results, each = [], []
    start, cpu = time.perf_counter(), time.process_time()
    for expression, X in built:
        t = time.perf_counter()
        try:
            results.append(sp.diff(expression, X))
        except Exception as error:  # noqa: BLE001 - a failure is one of the outcomes we count
            results.append(error)
        each.append(time.perf_counter() - t)
    return time.perf_counter() - start, time.process_time() - cpu, each, results


def grade_sympy(specs, texts, results, sample: int) -> dict:
    """Compare SymPy's answers with finite differences at random data (m = 3, n = 4)."""
    import numpy as np
    import sympy as sp

    from matcalc import api
    from matcalc.numeric import evaluation as numeric

    each = []
    m, n = sp.Symbol("m"), sp.Symbol("n")
    for spec, text, result in list(zip(specs, texts, results))[:sample]:
        if isinstance(result, Exception):
            each.append("error")
            continue
        if result == 0 or getattr(result, "is_ZeroMatrix", False) or result == sp.S.Zero:
            each.append("zero")
            continue
        g = api.diff(text, "X")
        rng = np.random.default_rng(1)
        values, sizes = numeric.random_instance(_free(g.written), rng)
        want = numeric.finite_difference_gradient(g.written, g.variable, values, sizes)
        # SymPy's X is m × n, as matcalc's X is (its dimension names may differ)
        concrete = result.xreplace({m: sizes[g.variable.shape[0]], n: sizes[g.variable.shape[1]]})
        syms = sorted(concrete.free_symbols, key=str)
        try:
            got = sp.lambdify(syms, concrete, "numpy")(*(values[str(s)] for s in syms))
            got = np.asarray(got, dtype=float).reshape(want.shape)
            each.append("right" if numeric.relative_error(got, want) < 1e-5 else "wrong")
        except Exception:  # noqa: BLE001 - an answer we cannot evaluate is not a right one
            each.append("wrong")
    return {**{k: each.count(k) for k in ("right", "zero", "wrong", "error")}, "each": each}


def _free(e):
    from matcalc.calculus.expr import free_symbols

    return free_symbols(e)


def batch_benchmark(count: int, repeats: int, sympy_count: int) -> dict:
    generated = batch(count, seed=7)
    texts = [t for t, _ in generated]
    specs = [s for _, s in generated]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(texts) + "\n")
        path = f.name
    with open(path, "rb") as stdin:
        _, status, out, err = run([MATCALC, "diff", "-", "X"], stdin=stdin)  # the output, checked below
    # Interleaved rounds: each runs matcalc's whole batch once and SymPy's once, so that both
    # meet the same spells of a shared machine. Each side's time is its best round (a shared
    # machine only ever slows a run down); every round's ratio is kept, for the record.
    built = sympy_built(specs[:sympy_count])
    runs, sympy_runs = [], []
    for _ in range(repeats):
        with open(path, "rb") as stdin:
            runs.append(usage([MATCALC, "diff", "-", "X"], stdin))
        sympy_runs.append(sympy_batch(built))
    sympy_time = min(r[0] for r in sympy_runs)
    sympy_cpu = min(r[1] for r in sympy_runs)
    _, _, each, results = min(sympy_runs, key=lambda r: r[0])
    os.unlink(path)
    lines = out.decode().splitlines()
    printed_ok, right = check_ours(lines, texts)
    engine = engine_only(texts)
    scale = count / sympy_count
    grades = grade_sympy(specs, texts, results, sympy_count)
    right_times = [t for t, g in zip(each, grades["each"]) if g == "right"]
    round_ratios = [sym[0] * scale / ours["wall"] for ours, sym in zip(runs, sympy_runs)]
    return {"count": count, "wall": min(r["wall"] for r in runs), "cpu": min(r["cpu"] for r in runs),
            "rounds": repeats, "round_ratios": round_ratios, "status": status, "lines": len(lines),
            "printed_ok": printed_ok, "right": right, "sympy": sympy_time * scale, "sympy_cpu": sympy_cpu * scale,
            "sympy_counted": sympy_count, "sympy_right_each": statistics.mean(right_times) if right_times else 0,
            "grades": grades, "example": texts[0], "stderr": err.decode().strip(), "engine": engine}


def engine_only(texts: list[str], repeats: int = 3) -> float:
    """matcalc's differentiation alone, on typed expressions built beforehand, in this process:
    the counterpart of SymPy's diff on pre-built objects (no start-up, parsing or printing)."""
    from matcalc import api
    from matcalc.calculus import differentiate

    built = []
    for text in texts:
        expression, typing = api.typed(text)
        built.append((expression, typing.symbol("X")))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for expression, var in built:
            differentiate.gradient(expression, var)
        best = min(best, time.perf_counter() - start)
    return best


def scaling(ks, repeats: int, sympy_up_to: int) -> list[dict]:
    """In-process time of parse → gradient → text for each k, and the result's size."""
    from matcalc import api
    from matcalc.calculus.expr import size

    api.diff(scaling_expression(2), "X")  # the parser is loaded once per process
    # CPU time, the best of many runs of each k: at small k a run takes a millisecond or two.
    # The ks take turns, round after round (at least `repeats` rounds and half a second of
    # runs of each k), so that a slower spell of a shared machine meets every k alike.
    best = {k: float("inf") for k in ks}
    spent = {k: 0.0 for k in ks}
    last = {}
    rounds = 0
    while rounds < max(repeats, 10) or min(spent.values()) < 0.5:
        for k in ks:
            source, turn = scaling_expression(k), 0.0
            while turn < 0.05 or turn == 0.0:
                start = time.process_time()
                g = api.diff(source, "X")
                text = g.text
                took = time.process_time() - start
                best[k], turn = min(best[k], took), turn + took
            spent[k] += turn
            last[k] = (g, text)
        rounds += 1
    rows = []
    for k in ks:
        g, text = last[k]
        rows.append({"k": k, "time": best[k], "chars": len(text), "nodes": size(g.result),
                     "sympy": _sympy_scaling(k) if k <= sympy_up_to else None})
    rows[-1]["cli"] = min(run([MATCALC, "diff", scaling_expression(ks[-1]), "X"])[0] for _ in range(3))
    return rows


def _sympy_scaling(k: int) -> float:
    import sympy as sp

    m, n = sp.Symbol("m"), sp.Symbol("n")
    X = sp.MatrixSymbol("X", m, n)
    Ms = [sp.MatrixSymbol(f"M{i}", m, m) for i in range(1, k + 1)]
    Ns = [sp.MatrixSymbol(f"N{i}", n, n) for i in range(1, k + 1)]
    e = sp.Trace(sp.MatMul(*Ms, X, *Ns, X.T))
    start = time.perf_counter()
    sp.diff(e, X)
    return time.perf_counter() - start


def mixed_lines(count: int, seed: int) -> list[str]:
    """The batch's traces and quadratic forms, and as many log-determinants and inverses of
    their square products (log|M X N Xᵀ|, tr((M X N Xᵀ)^{-1} K)): every line a new expression."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        text, spec = random_expression(rng)
        out.append(text)
        square = next((s for s in spec if s[1] == "tr"), None)
        if square is None:
            continue
        body = " ".join(name for name, _, _ in square[2])
        out.append(f"\\log|{body}|" if rng.random() < 0.5 else f"tr(({body})^{{-1}} Z)")
    return out[:count]


def memory(counts) -> list[dict]:
    """Peak RSS of one `matcalc diff - X` over batches of each size (mixed_lines)."""
    rows = []
    generated = mixed_lines(max(counts), seed=11)
    for count in counts:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("\n".join(generated[:count]) + "\n")
            path = f.name
        with open(path, "rb") as stdin:
            rows.append({"lines": count, **usage([MATCALC, "diff", "-", "X"], stdin)})
        os.unlink(path)
    return rows


# -- report ------------------------------------------------------------------------------------------

def plot(rows, path: Path) -> bool:
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = [r["k"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    ax.loglog(ks, [r["time"] for r in rows], "o-", label="matcalc (parse → gradient → text)")
    sym = [(r["k"], r["sympy"]) for r in rows if r["sympy"] is not None]
    if sym:
        ax.loglog(*zip(*sym), "s--", label="SymPy diff (pre-built objects)")
    base = rows[0]["time"]
    ax.loglog(ks, [base * k / ks[0] for k in ks], ":", color="gray", label="linear in k")
    ax.axhline(1.0, color="red", lw=0.8, ls="--")
    ax.text(ks[0], 1.08, "1 s", color="red", fontsize=8)
    ax.set_xlabel("k in tr(M1 … Mk X N1 … Nk Xᵀ)")
    ax.set_ylabel("seconds")
    ax.set_title("Gradient with respect to X: time against k")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", lw=0.3)
    fig.tight_layout()
    fig.savefig(path)
    return True


def report(args, start, batch_row, scale_rows, mem_rows, plotted, more_rows=()) -> str:
    floor = start["python -c pass"]
    sympy_import = start['python -c "import sympy"']
    cold = start['matcalc diff "tr(ABA^TC)" A']
    complete = start["completion request"]

    def mark(ok):
        return "met" if ok else "**not met**"

    rows = [
        ("Cold `matcalc diff \"tr(ABA^TC)\" A` vs `import sympy`", f"{ms(cold)} vs {ms(sympy_import)}",
         f"{cold / sympy_import:.2f}× (≤ 0.5×)", mark(cold <= 0.5 * sympy_import)),
        ("Cold `matcalc diff \"tr(ABA^TC)\" A` vs `python -c pass`", f"{ms(cold)} vs {ms(floor)}",
         f"{cold / floor:.1f}× (≤ 10×)", mark(cold <= 10 * floor)),
        ("Completion request of the script `matcalc --install-completion bash` installs "
         "(`matcalc diff \"tr(A B A^T C)\" <TAB>`) "
         "vs `python -c pass`", f"{ms(complete)} vs {ms(floor)}",
         f"{complete / floor:.1f}× (≤ 5×)", mark(complete <= 5 * floor)),
        *batch_rows(batch_row, scale_rows),
        memory_row(mem_rows),
        *more_rows,
    ]
    out = ["# matcalc benchmarks", "",
           f"`python benchmarks/run.py{' --quick' if args.quick else ''}` on {platform.machine()}, "
           f"{os.cpu_count()} cores, Python {platform.python_version()}, "
           f"SymPy {_version('sympy')}, lark {_version('lark')}, typer {_version('typer')}. "
           "Start-up times are medians of "
           f"{args.repeats} fresh processes each, interleaved. Load average (1 min) "
           f"{args.load[0]:.2f} at the start, {args.load[1]:.2f} at the end.", "",
           "| Target | Measured | Ratio | |", "| --- | --- | --- | --- |"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    out += ["", engine_paragraph(batch_row)]
    out += ["", "Other start-up times, not targets: "
            + "; ".join(f"{name}: {ms(start[name])} ({start[name] / floor:.1f}×)" for name in start
                        if "Lark" in name or "Typer)" in name) + "."]
    out += ["", sympy_paragraph(batch_row), "", *scaling_section(scale_rows, plotted), "", *memory_section(mem_rows)]
    return "\n".join(out) + "\n"


def batch_rows(batch_row, scale_rows) -> list[tuple[str, str, str, str]]:
    """The rows of the first table that the batch and the scaling measure."""
    speedup = batch_row["sympy"] / batch_row["wall"]
    # SymPy's part runs for a minute and matcalc's for a second or two: on a shared machine the
    # load differs between them, and the wall-time ratio alone can be far off either way
    cpu_speedup = batch_row["sympy_cpu"] / batch_row["cpu"]
    steps = [b["time"] / a["time"] for a, b in zip(scale_rows, scale_rows[1:])]
    size_steps = [b["nodes"] / a["nodes"] for a, b in zip(scale_rows, scale_rows[1:])]
    all_right = batch_row["right"] == batch_row["count"] == batch_row["printed_ok"] and batch_row["status"] == 0

    def mark(ok):
        return "met" if ok else "**not met**"

    return [
        (f"Batch: {batch_row['count']:,} expressions, `matcalc diff - X` (one process, start-up "
         "included) vs SymPy's diff", f"{ms(batch_row['wall'])} (CPU {ms(batch_row['cpu'])}) vs "
         f"{batch_row['sympy']:.2f} s (CPU {batch_row['sympy_cpu']:.2f} s)",
         f"{speedup:.1f}× faster, CPU {cpu_speedup:.1f}× (both ≥ 20×)", mark(min(speedup, cpu_speedup) >= 20)),
        ("Batch: every result right (finite differences)",
         f"{batch_row['right']:,}/{batch_row['count']:,} right", "", mark(all_right)),
        ("Scaling: doubling k (10 → 640)", "steps " + ", ".join(f"{s:.2f}×" for s in steps),
         f"worst {max(steps):.2f}× (≤ 2.2×)", mark(max(steps) <= 2.2)),
        ("Scaling: k = 640", f"{ms(scale_rows[-1]['time'])} in-process, {ms(scale_rows[-1]['cli'])} "
         "as a command", "(< 1 s)", mark(scale_rows[-1]["cli"] < 1.0)),
        ("Scaling: result size linear in k", "nodes " + " → ".join(str(r["nodes"]) for r in scale_rows),
         f"worst step {max(size_steps):.2f}× (≈ 2×)", mark(max(size_steps) <= 2.1)),
    ]


def engine_paragraph(batch_row) -> str:
    return (f"matcalc's differentiation alone, on the {batch_row['count']:,} expressions typed beforehand "
            f"(in one process, as SymPy gets them): {ms(batch_row['engine'])}, "
            f"{batch_row['sympy'] / batch_row['engine']:.0f}× faster than SymPy's diff; the rest of the batch "
            "time is start-up, parsing, typing and printing.")


def sympy_paragraph(batch_row) -> str:
    g = batch_row["grades"]
    return (f"SymPy on the same {batch_row['sympy_counted']:,} expressions (pre-built objects, "
            f"no parsing; a quadratic form aᵀMb is made a scalar as `(a.T*M*b)[0, 0]` so that it "
            f"can be added to a trace): {g['right']} right, {g['zero']} answered 0, {g['wrong']} wrong or "
            f"not evaluable, {g['error']} raised; its right answers took "
            f"{batch_row['sympy_right_each'] * 1000:.1f} ms each on average, matcalc "
            f"{batch_row['wall'] / batch_row['count'] * 1000:.2f} ms a line, start-up included. "
            f"Example input: `{batch_row['example']}`. Measured in {batch_row['rounds']} interleaved rounds, "
            "each running matcalc's whole batch once and SymPy's once; each side's time is its best round "
            "(a shared machine only slows a run down). The rounds' own ratios (wall): "
            + ", ".join(f"{r:.1f}×" for r in batch_row["round_ratios"]) + ".")


def scaling_section(scale_rows, plotted) -> list[str]:
    return ["## Scaling: tr(M1 … Mk X N1 … Nk Xᵀ) with respect to X", "",
            "matcalc's time is CPU time, parse → gradient → text in one process, the best of at least ten "
            "rounds in which the ks take turns, and of half a second of runs of each k; SymPy's is the "
            "wall time of its diff.", "",
            "| k | matcalc | SymPy | result nodes | result characters |", "| ---: | ---: | ---: | ---: | ---: |",
            *[f"| {r['k']} | {ms(r['time'])} | {ms(r['sympy']) if r['sympy'] is not None else '—'} | "
              f"{r['nodes']} | {r['chars']} |" for r in scale_rows],
            "", "![scaling](scaling.png)" if plotted else "(matplotlib not installed: no plot)"]


def batch_only(path: Path, quick: bool) -> str:
    """`--batch`: measure only the batch against SymPy and the scaling, and replace their rows,
    paragraphs and section in results.md (the other measurements stay as they were)."""
    load = [os.getloadavg()[0]]
    batch_row = batch_benchmark(1000, 5, 200 if quick else 1000)
    scale_rows = scaling([10, 20, 40, 80, 160, 320, 640], 5, 80 if quick else 160)
    load.append(os.getloadavg()[0])
    plotted = plot(scale_rows, path.parent / "scaling.png")
    text = path.read_text(encoding="utf-8")
    for row in batch_rows(batch_row, scale_rows):
        title = row[0][:20]  # "Batch: 1,000 express", "Scaling: doubling k ", ...
        new = "| " + " | ".join(row) + " |"
        text, n = re.subn(r"^\| " + re.escape(title) + r".*$", lambda m: new, text, count=1, flags=re.M)
        if not n:
            raise SystemExit(f"results.md has no row {title!r}: run the whole benchmark")
    engine = engine_paragraph(batch_row) + (
        f" (Batch and scaling measured again alone, `python benchmarks/run.py --batch{' --quick' if quick else ''}`:"
        f" load average (1 min) {load[0]:.2f} at the start, {load[1]:.2f} at the end.)")
    text = re.sub(r"^matcalc's differentiation alone.*$", lambda m: engine, text, count=1, flags=re.M)
    text = re.sub(r"^SymPy on the same .*$", lambda m: sympy_paragraph(batch_row), text, count=1, flags=re.M)
    start = text.index("## Scaling: ")
    end = text.index("\n## ", start + 1)
    text = text[:start] + "\n".join(scaling_section(scale_rows, plotted)) + "\n" + text[end:]
    path.write_text(text, encoding="utf-8")
    return text


def memory_row(mem_rows) -> tuple[str, str, str, str]:
    rss = [r["rss"] for r in mem_rows]
    return ("Memory: peak RSS for " + " / ".join(f"{r['lines']:,}" for r in mem_rows)
            + " lines (traces, log-dets, inverses)",
            " / ".join(f"{r['rss'] / 1024:.1f} MiB" for r in mem_rows),
            f"{rss[-1] / rss[0]:.2f}× from first to last (≤ 1.1×)", "met" if rss[-1] <= 1.1 * rss[0] else "**not met**")


def memory_section(mem_rows) -> list[str]:
    return ["## Batch memory", "",
            "`matcalc diff - X` over batches of the benchmark's traces and quadratic forms, with as many "
            "log-determinants and inverses of their products (`\\log|M X N Xᵀ|`, `tr((M X N Xᵀ)^{-1} Z)`): "
            f"e.g. `{mixed_lines(3, seed=11)[2]}`. Peak RSS of the one process.", "",
            "| lines | peak RSS | wall time | lines printed |", "| ---: | ---: | ---: | ---: |",
            *[f"| {r['lines']:,} | {r['rss'] / 1024:.1f} MiB | {r['wall']:.2f} s | {r['printed']:,} |"
              for r in mem_rows]]


def memory_only(path: Path) -> str:
    """`--memory`: measure only the batch memory and update its row and section of results.md."""
    mem_rows = memory([1000, 10000, 100000])
    text = path.read_text(encoding="utf-8") if path.exists() else "# matcalc benchmarks\n"
    a, b, c, d = memory_row(mem_rows)
    row = f"| {a} | {b} | {c} | {d} |"
    text = re.sub(r"^\| Memory: peak RSS.*$", lambda m: row, text, flags=re.M)
    head, _, rest = text.partition("## Batch memory")
    tail = rest[rest.find("\n## "):] if "\n## " in rest else ""  # the sections after it stay
    text = head.rstrip("\n") + "\n\n" + "\n".join(memory_section(mem_rows)) + "\n" + tail
    path.write_text(text, encoding="utf-8")
    return text


def codegen(quick: bool) -> dict | None:
    """benchmarks/codegen.py's rows (matcalc's -f python against JAX), or None without JAX. In a
    process of its own: it sets BLAS and XLA to one thread before NumPy loads (see there)."""
    import importlib.util
    import json

    if importlib.util.find_spec("jax") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "codegen.json"
        cmd = [PYTHON, str(HERE / "codegen.py"), "--json", str(out)] + (["--quick"] if quick else [])
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=ENV)
        if proc.returncode != 0:
            raise SystemExit(f"benchmarks/codegen.py failed:\n{proc.stdout}")
        return json.loads(out.read_text(encoding="utf-8"))


def codegen_section(generated: dict | None) -> str:
    """The section on generated code against JAX, or a line saying that it was skipped."""
    if generated is None:
        return ("## Generated code against autodiff (JAX)\n\nSkipped: JAX is not installed "
                '(`pip install -e ".[bench]"`, then run again).\n')
    sys.path.insert(0, str(HERE))
    import codegen as cg

    return "\n".join(cg.section(generated["rows"], generated["versions"])) + "\n"


def terminal_section(repeats: int) -> str:
    """The terminal start-up section (issue 16): benchmarks/terminal.py measures it."""
    sys.path.insert(0, str(HERE))
    import terminal

    return terminal.section(terminal.terminal(repeats), terminal.imports(["diff", terminal.EXPRESSION, "A"]))


def codegen_row(generated: dict | None) -> tuple[str, str, str, str]:
    """The first table's row for the generated code: geometric means of its speed-ups over JAX."""
    what = "Generated code: `-f python` gradients and Hessians vs JAX (CPU), geometric mean speed-up"
    if generated is None:
        return what, "skipped: JAX is not installed", "", ""
    sys.path.insert(0, str(HERE))
    import codegen as cg

    s = cg.summary(generated["rows"])
    if not s:
        return what, "no row agreed with JAX", "", "**not met**"
    return (what, f"{s['count']} rows; faster than jitted JAX in {s['wins_jit']}",
            f"{s['eager']:.0f}× vs un-jitted, {s['jit']:.2f}× vs jitted", "" if not s["disagree"] else
            f"**{s['disagree']} disagree**")


def terminal_only(path: Path, repeats: int) -> str:
    """`--terminal`: measure only the terminal start-up and replace its section of results.md."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# matcalc benchmarks\n"
    new = terminal_section(repeats)
    path.write_text(with_terminal_section(text, new), encoding="utf-8")
    return new


def with_terminal_section(text: str, new: str) -> str:
    """results.md with its terminal section replaced by `new`, or `new` put before the batch memory
    section (which --memory rewrites to the end of the file)."""
    start = text.find("## Terminal start-up")
    if start != -1:
        end = text.find("\n## ", start + 1)
        text = text[:start] + (text[end + 1:] if end != -1 else "")
    at = text.find("## Batch memory")
    if at == -1:
        return text.rstrip("\n") + "\n\n" + new
    return text[:at] + new + "\n" + text[at:]


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "absent"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats; memory up to 10k lines")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.md and scaling.png")
    parser.add_argument("--memory", action="store_true",
                        help="only the batch memory (1k, 10k, 100k lines): update its parts of results.md")
    parser.add_argument("--terminal", action="store_true",
                        help="only the terminal start-up (issue 16): update its section of results.md")
    parser.add_argument("--batch", action="store_true",
                        help="only the batch against SymPy and the scaling: update their parts of results.md")
    args = parser.parse_args()
    if MATCALC is None:
        raise SystemExit("the matcalc command is not installed: pip install -e .")
    if args.memory:
        print(memory_only(args.out / "results.md"))
        return
    if args.terminal:
        print(terminal_only(args.out / "results.md", 10 if args.quick else 20))
        return
    if args.batch:
        print(batch_only(args.out / "results.md", args.quick))
        return
    args.repeats = 10 if args.quick else 40
    args.load = [os.getloadavg()[0]]
    print("start-up ...", flush=True)
    start = startup(args.repeats)
    print("batch ...", flush=True)
    batch_row = batch_benchmark(1000, 5, 200 if args.quick else 1000)
    print("scaling ...", flush=True)
    scale_rows = scaling([10, 20, 40, 80, 160, 320, 640], 5, 80 if args.quick else 160)
    print("memory ...", flush=True)
    mem_rows = memory([1000, 10000] if args.quick else [1000, 10000, 100000])
    args.out.mkdir(parents=True, exist_ok=True)
    args.load.append(os.getloadavg()[0])
    plotted = plot(scale_rows, args.out / "scaling.png")
    print("terminal ...", flush=True)
    sys.path.insert(0, str(HERE))
    import terminal

    term = terminal.terminal(10 if args.quick else 20)
    print("generated code against JAX ...", flush=True)
    generated = codegen(args.quick)
    text = report(args, start, batch_row, scale_rows, mem_rows, plotted,
                  [*terminal.summary(term), codegen_row(generated)])
    text = with_terminal_section(text, terminal.section(term, terminal.imports(["diff", terminal.EXPRESSION, "A"])))
    text = text.rstrip("\n") + "\n\n" + codegen_section(generated)
    (args.out / "results.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

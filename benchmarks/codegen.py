"""The code matcalc generates against autodiff: `-f python` gradients and Hessians vs JAX (issue 16).

    python benchmarks/codegen.py            # all sizes (about 2 minutes on 2 cores)
    python benchmarks/codegen.py --quick    # the smallest sizes, fewer repeats

Needs JAX (`pip install -e ".[bench]"`: jax[cpu], the CPU build only; PyTorch is a 550 MB wheel
and is left out). benchmarks/run.py calls `measure` when JAX is importable and says that it
skipped this part when it is not.

For each objective, matcalc's module is generated once by the command a user would type
(`matcalc diff TEXT VARS -f python`, `matcalc hessian ... -f python`, timed: that is its "compile"
time) and its function `f_and_grad` / `f_grad_and_hessian` is called on NumPy float64 arrays.
JAX gets the same objective written with jax.numpy, in float64 (jax_enable_x64), on the same
data as device arrays, and computes the same outputs: `jax.value_and_grad` for a gradient, and
for a Hessian that and `jax.hessian` (one per variable, the diagonal blocks matcalc gives). It
runs both un-jitted (op by op, as eager code would) and under `jax.jit`, whose first call
(tracing and XLA compilation) is reported apart. Before anything is timed, every output of
matcalc's function is compared with JAX's (relative error below 1e-8); a mismatch is reported
as such and gets no ratio. Times are per call, the median of interleaved rounds.
"""
from __future__ import annotations

import argparse
import inspect
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# One thread for BLAS and for XLA, set before NumPy or JAX loads: on a small machine shared with
# other jobs, OpenBLAS's threads spin against each other (np.linalg.inv of a 100 × 100 matrix
# took 150 ms with two threads, 0.5 ms with one), and so would XLA's. `--threads N` to change.
if __name__ == "__main__":
    _THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
    for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_name, _THREADS)
    if _THREADS == "1":
        os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

import numpy as np  # noqa: E402 - after the thread settings

HERE = Path(__file__).resolve().parent
_BIN = Path(sys.executable).with_name("matcalc")
MATCALC = str(_BIN) if _BIN.exists() else shutil.which("matcalc")
TOLERANCE = 1e-8


# -- the objectives: matcalc's spelling, JAX's, and data of size n ----------------------------------

def _logistic_data(n: int, rng) -> dict:
    """2n samples of n features, labels ±1."""
    m = 2 * n
    return {"X": rng.normal(size=(m, n)) / np.sqrt(n), "y": rng.choice([-1.0, 1.0], size=m),
            "w": rng.normal(size=n)}


def _logistic_jax(jnp):
    def f(y, X, w):
        return jnp.sum(jnp.log(1 + jnp.exp(-y * (X @ w))))
    return f


def _network_data(n: int, rng) -> dict:
    """p = n inputs, h = 1.5n hidden units, o = max(2, n/2) outputs: W₁ is h × p, W₂ is o × h,
    every matrix non-square."""
    p, h, o = n, n + n // 2, max(2, n // 2)
    return {"x": rng.normal(size=p), "y": rng.normal(size=o),
            "W_1": rng.normal(size=(h, p)) / np.sqrt(p), "W_2": rng.normal(size=(o, h)) / np.sqrt(h)}


def _network_jax(jnp):
    def f(W_2, W_1, x, y):
        r = W_2 @ jnp.tanh(W_1 @ x) - y
        return jnp.dot(r, r)
    return f


def _gaussian_data(n: int, rng) -> dict:
    """Σ symmetric positive definite (its spectrum in about [0.6, 3.4]), x and μ of length n."""
    b = rng.normal(size=(n, 2 * n))
    sigma = b @ b.T / (2 * n) + 0.5 * np.eye(n)
    return {"Sigma": (sigma + sigma.T) / 2, "x": rng.normal(size=n), "mu": rng.normal(size=n)}


def _gaussian_jax(jnp):
    def f(Sigma, x, mu):
        r = x - mu
        return jnp.linalg.slogdet(Sigma)[1] + r @ jnp.linalg.solve(Sigma, r)
    return f


@dataclass
class Objective:
    name: str
    text: str                      # as typed after `matcalc diff`
    wrts: tuple[str, ...]          # as typed after the expression
    data: object                   # n, rng → {argument name: array}
    jax_objective: object          # jax.numpy → f(*arguments in matcalc's order)
    options: tuple[str, ...] = ()  # e.g. --symmetric \Sigma
    sizes: dict = field(default_factory=dict)  # "gradient"/"hessian" → sizes n
    about: str = ""


OBJECTIVES = [
    Objective("logistic regression", r"sum(\log(1 + \exp(-y .* (X w))))", ("w",), _logistic_data, _logistic_jax,
              sizes={"gradient": (10, 100, 500), "hessian": (10, 100, 500)},
              about="X is 2n × n, y ∈ {±1}²ⁿ, w ∈ ℝⁿ"),
    Objective("two-layer tanh network", r"\|W_2 \tanh(W_1 x) - y\|^2", ("W_1", "W_2"), _network_data,
              _network_jax, sizes={"gradient": (10, 100, 500), "hessian": (4, 10, 20)},
              about="x ∈ ℝⁿ, W₁ is 1.5n × n, W₂ is n/2 × 1.5n, y ∈ ℝⁿᐟ²; the Hessian blocks of W₁ and of W₂"),
    Objective("Gaussian NLL in Σ", r"\log|\Sigma| + (x - \mu)^T \Sigma^{-1} (x - \mu)", (r"\Sigma",),
              _gaussian_data, _gaussian_jax, options=("--symmetric", r"\Sigma"),
              sizes={"gradient": (10, 100, 500), "hessian": (5, 10, 20)},
              about="Σ n × n symmetric positive definite, x, μ ∈ ℝⁿ; the gradient in the symmetric "
                    "matrices (--symmetric Σ), the Hessian over vec(Σ) with Σ unconstrained"),
]


# -- matcalc's side ---------------------------------------------------------------------------------

def command(objective: Objective, kind: str) -> list[str]:
    """The matcalc command that writes the module (a Hessian is of an unconstrained Σ: the Hessian
    in the symmetric matrices is not what jax.hessian computes)."""
    verb = "diff" if kind == "gradient" else "hessian"
    options = objective.options if kind == "gradient" else ()
    return [MATCALC, verb, objective.text, *objective.wrts, *options, "-f", "python"]


def generate(objective: Objective, kind: str) -> tuple[str, float]:
    """matcalc's module (source) and the wall time of the command that wrote it."""
    start = time.perf_counter()
    proc = subprocess.run(command(objective, kind), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command(objective, kind)[1:])}: {proc.stderr.strip()}")
    return proc.stdout, elapsed


def load(source: str):
    """The module's function and its WRT line (the variables, in the order of the outputs)."""
    namespace: dict = {"__name__": "matcalc_generated"}
    exec(compile(source, "<matcalc -f python>", "exec"), namespace)  # noqa: S102 - matcalc's own output
    function = namespace.get("f_and_grad") or namespace["f_grad_and_hessian"]
    wrt = [w[0] if isinstance(w, tuple) else w for w in namespace["WRT"]]
    return function, wrt


def arguments(function, data: dict) -> list:
    """The data in the order of the generated function's parameters."""
    return [data[name] for name in inspect.signature(function).parameters]


# -- JAX's side -------------------------------------------------------------------------------------

def jax_functions(objective: Objective, kind: str, names: list[str], wrt: list[str]):
    """(un-jitted, jitted) functions of the arguments in matcalc's order, returning what
    matcalc's function returns, in its order (Hessians as arrays over vec, column-major)."""
    import jax
    import jax.numpy as jnp

    f = objective.jax_objective(jnp)
    order = list(inspect.signature(f).parameters)
    position = {name: names.index(name) for name in order}

    def g(*a):  # f with matcalc's argument order
        return f(*(a[position[name]] for name in order))

    argnums = tuple(names.index(w) for w in wrt)
    value_and_grad = jax.value_and_grad(g, argnums=argnums)
    hessians = [jax.hessian(g, argnums=i) for i in argnums]

    def outputs(*a):
        value, grads = value_and_grad(*a)
        if kind == "gradient":
            return (value, *grads)
        out = [value]
        for grad, hessian in zip(grads, hessians):
            out += [grad, _over_vec(hessian(*a))]
        return tuple(out)

    return outputs, jax.jit(outputs)


def _over_vec(h):
    """∂²f/∂X_ij∂X_kl as the matrix over vec(X) (columns stacked), as matcalc writes it."""
    if h.ndim == 2:  # a vector variable
        return h
    r, c = h.shape[:2]
    return h.transpose(1, 0, 3, 2).reshape(r * c, r * c)


def _ready(out):
    for o in out:
        o.block_until_ready()
    return out


# -- timing ---------------------------------------------------------------------------------------

def relative_error(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return float("inf")
    scale = max(np.linalg.norm(b), 1e-300)
    return float(np.linalg.norm(a - b) / scale)


def _loops(call, target: float) -> int:
    """How many calls take about `target` seconds."""
    loops = 1
    while True:
        start = time.perf_counter()
        for _ in range(loops):
            call()
        elapsed = time.perf_counter() - start
        if elapsed >= target or loops >= 1 << 16:
            return max(1, int(loops * target / max(elapsed, 1e-9)))
        loops *= 4


def per_call(contenders: dict, rounds: int, target: float) -> dict:
    """Seconds per call of each contender: the median of `rounds` interleaved samples, each of
    enough calls to last about `target` seconds."""
    loops = {name: _loops(call, target) for name, call in contenders.items()}
    samples = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, call in contenders.items():
            start = time.perf_counter()
            for _ in range(loops[name]):
                call()
            samples[name].append((time.perf_counter() - start) / loops[name])
    return {name: statistics.median(s) for name, s in samples.items()}


def measure(quick: bool = False, log=print) -> list[dict]:
    """One row per objective, derivative and size."""
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp

    rounds, target = (3, 0.02) if quick else (7, 0.05)
    rows = []
    for objective in OBJECTIVES:
        for kind in ("gradient", "hessian"):
            source, generation = generate(objective, kind)
            function, wrt = load(source)
            names = list(inspect.signature(function).parameters)
            eager, jitted = jax_functions(objective, kind, names, wrt)
            sizes = objective.sizes[kind][:2] if quick else objective.sizes[kind]
            for n in sizes:
                log(f"  {objective.name}, {kind}, n = {n} ...")
                data = objective.data(n, np.random.default_rng(n))
                args = arguments(function, data)
                device = [jax.device_put(jnp.asarray(a)) for a in args]
                ours = function(*args)
                start = time.perf_counter()
                theirs = _ready(jitted(*device))  # the first call traces and compiles
                compile_time = time.perf_counter() - start
                theirs_eager = _ready(eager(*device))
                errors = [relative_error(a, b) for a, b in zip(ours, theirs)]
                errors += [relative_error(a, b) for a, b in zip(ours, theirs_eager)]
                row = {"objective": objective.name, "kind": kind, "n": n, "generation": generation,
                       "compile": compile_time, "error": max(errors) if len(ours) == len(theirs) else float("inf"),
                       "shapes": [np.shape(o) for o in ours]}
                row["agree"] = row["error"] < TOLERANCE
                if row["agree"]:
                    times = per_call({"matcalc": lambda: function(*args),
                                      "jax": lambda: _ready(eager(*device)),
                                      "jit": lambda: _ready(jitted(*device))}, rounds, target)
                    row.update(times)
                rows.append(row)
    return rows


def check(n: int = 4) -> bool:
    """`--check`: matcalc's outputs against JAX's at size n for every objective, nothing timed
    (tests/test_codegen.py runs it in a process of its own: JAX's threads must not meet the
    test suite's forks)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    import jax.numpy as jnp

    ok = True
    for objective in OBJECTIVES:
        for kind in ("gradient", "hessian"):
            function, wrt = load(generate(objective, kind)[0])
            names = list(inspect.signature(function).parameters)
            eager, jitted = jax_functions(objective, kind, names, wrt)
            args = arguments(function, objective.data(n, np.random.default_rng(n)))
            device = [jnp.asarray(a) for a in args]
            ours = function(*args)
            for how, theirs in (("un-jitted", eager(*device)), ("jitted", jitted(*device))):
                errors = [relative_error(a, b) for a, b in zip(ours, theirs)]
                agree = len(ours) == len(theirs) and max(errors) < TOLERANCE
                ok &= agree
                print(f"{objective.name}, {kind}, JAX {how}: {'agree' if agree else 'DISAGREE'} "
                      f"(max relative error {max(errors):.1e})")
    return ok


# -- report ---------------------------------------------------------------------------------------

def seconds(t: float) -> str:
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.3g} ms"
    return f"{t * 1e6:.3g} µs"


def ratio(theirs: float, ours: float) -> str:
    r = theirs / ours
    return f"**{r:.1f}×**" if r >= 1 else f"{r:.2f}×"


def table(rows: list[dict]) -> list[str]:
    out = ["| objective | derivative | n | outputs agree (max rel. error) | matcalc `-f python` | JAX un-jitted | "
           "JAX jit | speed-up vs un-jitted | speed-up vs jit | JAX jit compile |",
           "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        agree = f"yes ({r['error']:.0e})" if r["agree"] else f"**NO ({r['error']:.1e})**"
        if r["agree"]:
            out.append(f"| {r['objective']} | {r['kind']} | {r['n']} | {agree} | {seconds(r['matcalc'])} | "
                       f"{seconds(r['jax'])} | {seconds(r['jit'])} | {ratio(r['jax'], r['matcalc'])} | "
                       f"{ratio(r['jit'], r['matcalc'])} | {seconds(r['compile'])} |")
        else:
            out.append(f"| {r['objective']} | {r['kind']} | {r['n']} | {agree} | — | — | — | — | — | "
                       f"{seconds(r['compile'])} |")
    return out


def summary(rows: list[dict]) -> dict:
    """Geometric means of the speed-ups over the rows whose outputs agree."""
    good = [r for r in rows if r["agree"]]
    if not good:
        return {}

    def gmean(values):
        return float(np.exp(np.mean(np.log(values))))

    return {"eager": gmean([r["jax"] / r["matcalc"] for r in good]),
            "jit": gmean([r["jit"] / r["matcalc"] for r in good]),
            "wins_jit": sum(r["jit"] > r["matcalc"] for r in good), "count": len(good),
            "disagree": len(rows) - len(good)}


def section(rows: list[dict], versions: str) -> list[str]:
    s = summary(rows)
    generation = {(r["objective"], r["kind"]): r["generation"] for r in rows}
    out = ["## Generated code against autodiff (JAX)", "",
           f"`python benchmarks/codegen.py` (also part of `benchmarks/run.py`); {versions}. Each objective's "
           "module is written once by `matcalc diff|hessian TEXT VARS -f python` and its function timed on "
           "NumPy float64 arrays; JAX computes the same outputs (value and gradients; for a Hessian also "
           "`jax.hessian` per variable, laid out over vec) in float64 on the same data. Per call, the median "
           "of interleaved rounds. Speed-up = JAX's time ÷ matcalc's (above 1: matcalc's code is faster). "
           "Every output was compared with JAX's before timing.", ""]
    if s:
        out += [f"Geometric mean speed-up over the {s['count']} rows: **{s['eager']:.1f}×** against JAX "
                f"un-jitted, **{s['jit']:.2f}×** against JAX jitted (matcalc faster in {s['wins_jit']} of "
                f"{s['count']}); JAX's compile time comes on top of its first call." +
                (f" {s['disagree']} rows DISAGREE and are not timed." if s["disagree"] else ""), ""]
    out += table(rows)
    out += ["", "Objectives (as typed; the data of size n):", ""]
    for o in OBJECTIVES:
        out.append(f"- {o.name}: `matcalc diff '{o.text}' {' '.join(o.wrts)}"
                   f"{' ' + ' '.join(o.options) if o.options else ''} -f python` and `matcalc hessian … "
                   f"-f python`; {o.about}. The commands took "
                   f"{seconds(generation.get((o.name, 'gradient'), float('nan')))} and "
                   f"{seconds(generation.get((o.name, 'hessian'), float('nan')))}.")
    return out


def versions() -> str:
    import jax
    import jaxlib

    return f"JAX {jax.__version__} (jaxlib {jaxlib.__version__}, CPU), NumPy {np.__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the two smallest sizes, fewer repeats")
    parser.add_argument("--threads", default="1", help="threads for BLAS and XLA (default 1: see the top)")
    parser.add_argument("--check", action="store_true", help="only compare matcalc's outputs with JAX's (n = 4)")
    parser.add_argument("--json", type=Path, help="also write the rows to this file (benchmarks/run.py reads it)")
    args = parser.parse_args()
    if MATCALC is None:
        raise SystemExit("the matcalc command is not installed: pip install -e .")
    try:
        import jax  # noqa: F401
    except ImportError:
        raise SystemExit('JAX is not installed: pip install -e ".[bench]"') from None
    if args.check:
        raise SystemExit(0 if check() else 1)
    rows = measure(args.quick)
    if args.json:
        import json

        args.json.write_text(json.dumps({"rows": rows, "versions": versions(), "threads": args.threads,
                                         "quick": args.quick}, default=list), encoding="utf-8")
    print("\n".join(section(rows, versions())))


if __name__ == "__main__":
    main()

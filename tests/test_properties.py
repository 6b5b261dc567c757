"""Properties checked on random input (Hypothesis).

1. A random well-typed expression over scalars, vectors and matrices, built from the whole
   language, has a gradient that matches central finite differences, and its simplified form
   has the value of the input as written.
2. Random strings, random token sequences and random mutations of valid inputs give a result
   or a clean MatcalcError (never another exception), within a time bound.
3. A batch of random lines: every line is answered or reported, the summary counts them all.

A few hundred examples each by default; `HYPOTHESIS_PROFILE=thorough` (tests/conftest.py)
runs thousands.
"""
from __future__ import annotations

import json
import re

import numpy as np
from hypothesis import HealthCheck, assume, example, given, note, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import matcalc
from cookbook_cases import CASES
from oracle import used
from matcalc import api
from matcalc.cli import budget
from matcalc.numeric import evaluation as numeric
from matcalc.cli import output
from matcalc.language import parser
from matcalc.cli.app import app
from matcalc.errors import MatcalcError
from matcalc.calculus.expr import free_symbols

EXAMPLES = max(300, settings.default.max_examples)
FUZZ_EXAMPLES = max(500, settings.default.max_examples)
SLOW_OK = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

# -- 1. well-typed expressions: the gradient against finite differences -----------------------
#
# Shapes use two dimensions n ≠ m. Variables: scalars a, b; vectors x, y (n) and z (m);
# matrices A (n×n), D (m×m), B (n×m), C (m×n), and S (n×n, declared symmetric).
# Data (numeric.random_value): square matrices near 2I, S positive definite, the rest
# standard normal. So inverses, determinants and logs are applied only to matrices that are
# well-conditioned with a positive determinant (WELL), logs and roots only to positive values.

N, M = "n", "m"
SCALAR = (1, 1)
LEAVES = {
    SCALAR: ["a", "b", "2", "3", "\\frac{1}{2}"],
    (N, 1): ["x", "y"], (M, 1): ["z"],
    (1, N): ["x^T", "y'"], (1, M): ["z^T"],
    (N, N): ["A", "S", "A^T"], (M, M): ["D"],
    (N, M): ["B"], (M, N): ["C", "B^T"],
}
WELL = {  # square, well-conditioned, positive determinant, on the data above
    N: ["A", "S", "A^T", "(A + A^T)", "(A A)", "(B B^T + I)", "(S + A^T A)"],
    M: ["D", "(C C^T + I)", "(D^T D + I)", "D^T"],  # each square (or SPD) whatever the shapes found
}
DECLARED = {"a": "scalar", "b": "scalar", "S": "symmetric"}
VARIABLES = ["a", "b", "x", "y", "z", "A", "S", "D", "B", "C"]


def _paren(s: str) -> str:
    return f"({s})"


@st.composite
def typed(draw, shape, depth):
    """Text of a random expression of `shape` (at most `depth` levels of operations)."""
    r, c = shape
    if depth == 0 or draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from(LEAVES[shape]))
    sub = lambda s: typed(s, depth - 1)  # noqa: E731
    rules = ["sum", "difference", "scale", "product", "transpose", "unit"]
    if shape != SCALAR:
        rules += ["hadamard", "elementwise", "hadamard power"]
    if r == c and r != 1:
        rules += ["inverse", "power", "sandwich"]
    if shape == SCALAR:
        rules += ["trace", "det", "logdet", "norm", "frobenius", "sum of entries", "function", "quotient",
                  "scalar power", "quadratic form"]
    rule = draw(st.sampled_from(rules))
    if rule == "sum":
        return f"{draw(sub(shape))} + {draw(sub(shape))}"
    if rule == "difference":
        return f"{draw(sub(shape))} - {_paren(draw(sub(shape)))}"
    if rule == "scale":
        return f"{_paren(draw(sub(SCALAR)))} {_paren(draw(sub(shape)))}"
    if rule == "unit":  # a 1×1 product inside a matrix chain: A (xᵀy) B
        k = draw(st.sampled_from([N, M]))
        unit = f"({_paren(draw(sub((1, k))))} {_paren(draw(sub((k, 1))))})"
        if r == 1 or c == 1 or draw(st.booleans()):
            return f"{unit} {_paren(draw(sub(shape)))}"
        inner = draw(st.sampled_from([N, M]))
        return f"{_paren(draw(sub((r, inner))))} {unit} {_paren(draw(sub((inner, c))))}"
    if rule == "product":
        inner = draw(st.sampled_from([1, N, M]))
        return f"{_paren(draw(sub((r, inner))))} {_paren(draw(sub((inner, c))))}"
    if rule == "transpose":
        return f"{_paren(draw(sub((c, r))))}^T"
    if rule == "hadamard":
        op = draw(st.sampled_from([" .* ", " \\circ ", " \\odot "]))
        return f"{_paren(draw(sub(shape)))}{op}{_paren(draw(sub(shape)))}"
    if rule == "elementwise":
        f = draw(st.sampled_from(["\\sin", "\\cos", "\\tanh", "exp", "log", "sqrt"]))
        if f == "exp":  # of a leaf only: exp(exp(...)) overflows
            return f"exp({draw(st.sampled_from(LEAVES[shape]))})"
        if f in ("log", "sqrt"):  # of positive entries only
            return f"{f}({draw(positive(shape, depth - 1))})"
        return f"{f}({draw(sub(shape))})"
    if rule == "hadamard power":
        if draw(st.booleans()):
            return f"{_paren(draw(sub(shape)))}.^{draw(st.sampled_from(['2', '3']))}"
        return f"({draw(positive(shape, depth - 1))}).^{{-1}}"
    if rule == "inverse":
        well = draw(st.sampled_from(WELL[r]))
        return draw(st.sampled_from([f"{well}^{{-1}}", f"\\operatorname{{inv}}({well})", f"{well}^{{-T}}"]))
    if rule == "power":
        well = draw(st.sampled_from(WELL[r]))
        return f"{well}^{draw(st.sampled_from(['2', '3', '{-2}']))}"
    if rule == "sandwich":  # M W⁻¹ Mᵀ-like products of square factors
        well = draw(st.sampled_from(WELL[r]))
        return f"{_paren(draw(sub(shape)))} {well}^{{-1}} {_paren(draw(sub(shape)))}"
    if rule == "trace":
        k = draw(st.sampled_from([N, M]))
        return draw(st.sampled_from(["tr", "\\text{tr}", "\\operatorname{tr}"])) + f"({draw(sub((k, k)))})"
    if rule == "det":
        well = draw(st.sampled_from(WELL[draw(st.sampled_from([N, M]))]))
        return draw(st.sampled_from([f"|{well}|", f"\\det({well})", f"\\vert {well} \\vert"]))
    if rule == "logdet":
        well = draw(st.sampled_from(WELL[draw(st.sampled_from([N, M]))]))
        return draw(st.sampled_from([f"\\log|{well}|", f"\\log\\det({well})", f"logdet({well})"]))
    if rule == "norm":
        k = draw(st.sampled_from([N, M]))
        return f"\\|{draw(sub((k, 1)))}\\|" + draw(st.sampled_from(["", "^2", "_2"]))
    if rule == "frobenius":
        shape2 = draw(st.sampled_from([(N, N), (N, M), (M, N), (M, M)]))
        return f"\\|{draw(sub(shape2))}\\|_F" + draw(st.sampled_from(["", "^2"]))
    if rule == "sum of entries":
        shape2 = draw(st.sampled_from([(N, 1), (N, N), (N, M)]))
        return f"sum({draw(sub(shape2))})"
    if rule == "function":
        f = draw(st.sampled_from(["\\sin", "\\cos", "\\tanh", "exp", "\\log", "\\sqrt"]))
        if f == "exp":
            return f"exp({draw(st.sampled_from(LEAVES[SCALAR]))})"
        if f in ("\\log", "\\sqrt"):
            return f"{f}(1 + {_paren(draw(sub(SCALAR)))}^2)"
        return f"{f}({draw(sub(SCALAR))})"
    if rule == "quotient":
        return f"{_paren(draw(sub(SCALAR)))} / (1 + {_paren(draw(sub(SCALAR)))}^2)"
    if rule == "scalar power":
        return draw(st.sampled_from([f"{_paren(draw(sub(SCALAR)))}^{{{p}}}" for p in ("2", "3")]
                                    + [f"(1 + {_paren(draw(sub(SCALAR)))}^2)^{{{p}}}" for p in ("-1", "1/2", "-1/2")]))
    # quadratic form
    k = draw(st.sampled_from([N, M]))
    return f"{_paren(draw(sub((k, 1))))}^T {_paren(draw(sub((k, k))))} {_paren(draw(sub((k, 1))))}"


def positive(shape, depth):
    """Entries bounded away from 0: M .^2 + exp(leaf). (Not `+ ones`: kinds types `ones` as a
    matrix only.)"""
    return typed(shape, depth).flatmap(
        lambda m: st.sampled_from(LEAVES[shape]).map(lambda leaf: f"{_paren(m)}.^2 + exp({leaf})"))


def _names(text: str) -> list[str]:
    line = parser.parse(text)
    body = line.lhs.body if hasattr(line.lhs, "body") else line.lhs
    return [n.value for n in body.walk() if n.op == "name"]


@st.composite
def problems(draw):
    text = draw(typed(SCALAR, draw(st.integers(2, 4))))
    names = [n for n in VARIABLES if n in _names(text)]
    assume(names)
    wrt = draw(st.sampled_from(names))
    if wrt not in ("a", "b", "x", "y", "z", "S") and draw(st.integers(0, 4)) == 0:
        wrt += "^T"  # ∇ with respect to the transpose (seed 3.C)
    return text, wrt


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=SLOW_OK)
@given(problems(), st.integers(0, 2**32 - 1))
# bugs these properties found, kept as examples:
@example(("tr(A (x^T y) B)", "A"), 0)         # a 1×1 product flattened into a matrix chain
@example(("(x^T (x^T y) x)", "x"), 1)
@example(("\\left\\|x \\left\\|x\\right\\| \\right\\|", "x"), 0)
@example(("a + \\cos(\\frac{1}{2} + \\frac{1}{2})", "a"), 0)  # cos(1) was simplified to 0
@example(("a exp(1)", "a"), 0)                 # and exp(1) too
@example(("\\sin((((z)^T (D) (z))^{3})^{3})", "z"), 2)  # ill-conditioned: not a counterexample
@example(("\\|((B) ((z^T) (z)) (D)).^3 + B + (C)^T\\|_F", "C^T"), 1721051)  # differences without a digit
def test_gradient_of_random_well_typed_expression_matches_finite_differences(problem, seed):
    text, wrt = problem
    note(f"matcalc diff {text!r} {wrt!r}")
    g = matcalc.diff(text, wrt, used(DECLARED, text))
    note(f"gradient: {g.text}")
    symbols = free_symbols(g.written)
    rng = np.random.default_rng(seed)
    values, sizes = numeric.random_instance(symbols, rng, order=numeric.SIZE_ORDERS[seed % 2],
                                             within=(g.written, g.result))
    with np.errstate(all="ignore"):
        written = numeric.scalar(g.written, values, sizes)
        assume(np.isfinite(written) and abs(written) < 1e6)  # keep to well-scaled instances
        # and to well-conditioned ones: sin((zᵀDz)⁹) moves by O(1) when z moves by 1e-9, and
        # then no two ways of computing it (nor finite differences) agree to any digit
        nudged = numeric.scalar(g.written, {k: v * (1 + 1e-9) for k, v in values.items()}, sizes)
        assume(abs(nudged - written) <= 1e-6 * max(1.0, abs(written)))
        simplified = numeric.scalar(g.expression, values, sizes)
        got = numeric.evaluate(g.result, values, sizes)
        want = numeric.finite_difference_gradient(g.written, g.variable, values, sizes)
        other = numeric.finite_difference_gradient(g.written, g.variable, values, sizes, eps=2e-6)
    assume(np.all(np.isfinite(want)) and np.all(np.isfinite(other)))
    # differences at two step sizes must agree well below the tolerance, or they have no digit
    # to check: ((zᵀz)³ (B D)∘³ + …) has entries of 1e5 and rounding moves them by 1e-5
    assume(numeric.relative_error(other, want) <= 1e-6)
    if g.transposed:
        want = want.T
    assert abs(simplified - written) <= 1e-8 * max(1.0, abs(written)), "simplifying changed the value"
    got = np.broadcast_to(got, want.shape) if got.size == 1 else got
    assert got.shape == want.shape
    error = numeric.relative_error(got, want)
    assert error < 1e-5, f"{g.unicode} differs from finite differences by {error:.1e}"


# -- 2. any text: a result or a clean error, soon ---------------------------------------------

TOKENS = [
    "A", "B", "X", "x", "y", "a", "b", "\\mu", "μ", "W_2", "x_{12}", "I", "ones", "0", "1", "2", "1/2", "0.5",
    "+", "-", "−", "*", "/", ".*", "./", "\\circ", "\\odot", "\\cdot", "(", ")", "{", "}", "|", "\\|", "‖",
    "\\|_F", "^T", "'", "ᵀ", "^{-1}", "^{-T}", "⁻¹", "^2", "^{1/2}", "^{-2}", ".^2", "^{\\circ 2}", "²", "tr",
    "\\text{tr}", "\\operatorname{tr}", "det", "\\det", "\\log", "log", "exp", "sqrt", "\\sqrt", "sin", "cos",
    "tanh", "sum", "inv", "diag", "logdet", "\\frac", "\\nabla_", "∇_", "d/d", "\\frac{\\partial}{\\partial",
    "=", " ", "\\left(", "\\right)", "\\left|", "\\right|", "\\lambda", "\\Sigma", "S", "\\,", "\\;", "\\quad",
    "\\mathbf{1}", "𝟏", "x^T", "A^T", "^{1000000}", "^{-1000000}", "9" * 40,
]
CHARS = "AXBSxya()[]{}|\\^_T'+-*/.,;:=0123456789 ∇ᵀ⁻¹²∘⊙‖⊘𝟏μλ\t\n\x00\x1b\ufffd\udcff"
SEEDS = [c.expr for c in CASES] + [
    r"\nabla_\mu \mu^TA\mu", r"\nabla_A \text{tr}(ABA^TC)", r"\nabla_{A^T} \text{tr}(ABA^TC)",
    r"\nabla_A \vert A \vert", "tr(AB) = tr(BA)", r"\nabla_A |A| = |A| (A^{-1})^T", "x^T S x - \\log|S|",
    r"\lambda \|w\|^2 + \|Xw-y\|^2", "tr(A (x^T y) B)", "tr(X^{1000000})", r"\frac{\partial}{\partial x} x^T x",
    "d/dX tr(X^T X)", r"\sum(\exp(X))", "\\|x\\|_2 + \\|X\\|_F^2", "diag(x)^{-1}", "(x - \\mu)^T \\Sigma^{-1} (x - \\mu)",
]


@st.composite
def mutations(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 8)))
        op = draw(st.sampled_from(["delete", "token", "char", "repeat", "swap", "replace"]))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "token":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        elif op == "char":
            text = text[:i] + draw(st.sampled_from(CHARS)) + text[i:]
        elif op == "repeat":
            text = text[:i] + text[i:j] * draw(st.integers(2, 5)) + text[j:]
        elif op == "swap" and text:
            k = draw(st.integers(0, len(text) - 1))
            chars = list(text)
            chars[i % len(text)], chars[k] = chars[k], chars[i % len(text)]
            text = "".join(chars)
        else:
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[j:]
    return text


ANY_TEXT = st.one_of(
    mutations(),
    st.lists(st.sampled_from(TOKENS), max_size=16).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=16).map("".join),
    st.text(st.sampled_from(CHARS), max_size=40),
    st.text(max_size=30),
)
# The time bound is the CLI's CPU budget (budget.CPU_SECONDS, 5 s): a blow-up is orders of
# magnitude past it.


def exercise(text: str) -> None:
    """Everything matcalc does with one input: parse, gradients w.r.t. each name (and none),
    every output format, simplify, verify. Only MatcalcError may escape."""
    try:
        line = parser.parse(text)
    except MatcalcError:
        return
    names = []
    for side in (line.lhs, line.rhs):
        if side is not None:
            body = side.body if hasattr(side, "body") else side
            names += [n.value for n in body.walk() if n.op == "name" and n.value not in names]
    for wrts in [[], *([n] for n in names[:3]), names[:2]]:
        try:
            for g in api.gradients_of(text, wrts, {"a": "scalar", "b": "scalar"}):
                for fmt in ("text", "unicode", "latex", "numpy", "json"):
                    output.gradient_line(g, fmt)
        except MatcalcError:
            pass
    try:
        s = api.simplify(text)
        for fmt in ("text", "latex", "numpy", "json"):
            output.simplified_line(s, fmt)
    except MatcalcError:
        pass
    try:
        v = api.verify(text)
        for fmt in ("text", "json"):
            output.verdict_line(v, fmt)
    except MatcalcError:
        pass


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=SLOW_OK)
@given(ANY_TEXT)
# bugs this property found, kept as examples:
@example("x^TI a")                               # simplify: endless recursion (I in a 1×1 chain)
@example("x^T X X^{-1} y")                       # and X X⁻¹ in one
@example("a^T siT siT siT sin(x)")
@example("I")                                    # numpy: an I of no variable's size
@example("sum(e'xp)")                            # a product whose factors do not chain
@example("\\nabla_cos = |A| (A^{-1})^T")          # verify: ∇_c of an expression without c
@example("\\nabla_A6 |A| = sqrt(A^{-1})^T")
@example("2 \\sqrt \\text{tr} 𝟏 = 2")             # verify: the size of 𝟏 is no variable's
@example("9" * 5000 + " x^T x")                  # Python will not read 5000 digits
@example("2^{99999999999999} x^T x")             # a power that would take forever
@example("\\|x\\|^{1000000} + tr(X^{-1000000})")
def test_any_text_gives_a_result_or_a_clean_error_soon(text):
    note(repr(text))
    with budget.cpu_budget():  # a hang fails the test ("gave up after 5 s") instead of hanging it
        exercise(text)


# -- 3. a batch of random lines ---------------------------------------------------------------

def _collapse(items):
    return [x for i, x in enumerate(items) if i == 0 or x != items[i - 1]]


@settings(max_examples=max(40, settings.default.max_examples // 10), deadline=None, suppress_health_check=SLOW_OK)
@given(st.lists(st.one_of(mutations(), st.sampled_from(SEEDS), st.just(""), st.just("# a comment")),
                min_size=1, max_size=12))
def test_a_batch_answers_or_reports_every_line(lines):
    lines = [line.replace("\n", " ").replace("\r", " ") for line in lines]
    stdin = "".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape")
    result = CliRunner().invoke(app, ["diff", "-", "A", "x", "-f", "json"], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    shown = [line.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for line in lines]
    numbers = [i for i, line in enumerate(shown, 1) if line.strip() and not line.lstrip().startswith("#")]
    records = [json.loads(r) for r in result.stdout.splitlines()]
    errors = [r for r in records if "error" in r]
    # each error in its place: on stdout as a record, on stderr as FILE:LINE:COL, in input order
    assert [r["input"] for r in errors] == [shown[r["error"]["line"] - 1] for r in errors]
    where = [(r["error"]["line"], r["error"]["column"]) for r in errors]
    assert where == sorted(where) and {line for line, _ in where} <= set(numbers)
    assert re.findall(r"^<stdin>:(\d+):(\d+): ", result.stderr, re.M) == [(str(l), str(c)) for l, c in where]
    # the other lines answered, in input order
    answered = [shown[n - 1] for n in numbers if n not in {line for line, _ in where}]
    heads = [re.split(r"(?<!\\);", line, maxsplit=1)[0] for line in answered]
    assert _collapse([r["input"] for r in records if "error" not in r]) == _collapse(heads)
    ok, failed = len(numbers) - len(errors), len(errors)
    assert result.stderr.endswith(f"{ok} ok, {failed} failed\n" if numbers
                                  else "0 ok, 0 failed (the input holds no expressions)\n")
    assert result.exit_code == (1 if failed else 0)

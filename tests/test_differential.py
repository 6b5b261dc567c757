"""Differential testing (issue 12): random well-typed expressions, written as strings over the
constructs of the input language, every variable's kind declared; matcalc's NumPy answer
(`.numpy`, evaluated with vectors 1-D and scalars floats) must match central finite
differences of the independent evaluator in tests/evaluator.py, which shares no code with
matcalc. Gradients, Jacobians (vector-valued expressions w.r.t. a vector) and Hessians.

Only matcalc's public API is used. A MatcalcError on a generated expression is a failure:
the generator writes only well-typed expressions with every kind declared, so a refusal is a
matcalc bug. Instances are skipped (`assume`) only when they are ill-conditioned: the value is
not finite or huge, or finite differences at two step sizes disagree (no digit to check).

CONSTRUCTS names every construct the generator knows. ENABLED is what matcalc supports
today: TODAY, FIXED and LANDED (issue 13's words on main); the rest of NEW_VOCABULARY is to be
switched on (added to LANDED) as matcalc gains it; WRONG_TODAY are constructs of today's language that matcalc answers wrongly or refuses,
each pinned by a strict xfail below, to be switched on once fixed.
"""
from __future__ import annotations

import keyword
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, note, settings
from hypothesis import strategies as st

import matcalc
from evaluator import Expression, canonical

EXAMPLES = max(2000, int(os.environ.get("DIFFERENTIAL_EXAMPLES", 0)), settings.default.max_examples)
SLOW_OK = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]

# -- the constructs ---------------------------------------------------------------------------

TODAY = frozenset({
    "sum", "difference", "unary minus", "scalar multiple", "product", "product *", "product \\cdot",
    "juxtaposed letters", "division by a scalar", "\\frac", "transpose", "inverse", "inverse transpose",
    "matrix power", "scalar power", "rational power", "hadamard", "hadamard division", "hadamard power",
    "hadamard rational power", "trace", "det", "logdet", "elementwise function", "scalar function",
    "sum of entries", "diag of a vector", "diag of a matrix", "norm", "norm squared", "frobenius",
    "identity", "quadratic form", "scalar in a chain", "grouping", "spacing", "symmetric",
    "Hessian through diag",  # ∇²_x ‖A diag(x)‖²_F: refused until 28333b3 (rule einstein)
    "tanh of a row vector",  # NumPy's row of ones was 2-D until a row became a 1-D array (issue 12, cli)
    "variable exponent",     # a^b, (1 + a^2)^{x^T y} (issue 13 item 3)
    "symbolic matrix power",  # tr(A^k), tr((A A)^{k+1}): k a symbolic integer (issue 13 item 3)
})
NEW_VOCABULARY = frozenset({  # issue 13
    "sigmoid", "softmax", "relu", "softplus", "logsumexp", "abs", "sign", "tan", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "norm1", "norm2", "adj", "vec", "kron", "inner product", "e^{}",
    "brackets", "constant broadcast", "ones", "norm power before subscript",
})
FIXED = frozenset({  # issue 12, each pinned by test_fixed below
    "decimal power",            # (x^T y)^{0.5} was read as (x^T y)^5
    "hadamard decimal power",   # x.^{0.5} was read as x.^5
    "scalar absolute value",    # |a| was read as det(a) = a (vocabulary: bars around a scalar are abs)
    "difference of equal terms",  # ‖x - x‖ was ‖0‖, whose gradient was 0/0 and which did not read back
})
WRONG_TODAY = frozenset({  # issue 12, each pinned by test_wrong_today below
    "scalar absolute value",    # |a| is read as det(a) = a
})
IN_PROBLEMS = {"Hessian through diag"}  # switched by problems(), not by typed()
MODIFIERS = {"tanh of a row vector": "elementwise function", "difference of equal terms": "difference",
             "Hessian through diag": "diag of a vector"}
CONSTRUCTS = TODAY | NEW_VOCABULARY | WRONG_TODAY | FIXED
LANDED = frozenset({  # issue 13's words on main, switched on
    "sigmoid", "softmax", "relu", "softplus", "logsumexp", "abs", "sign", "tan", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "brackets", "constant broadcast", "ones",
    "norm1", "norm2", "adj", "vec", "kron", "inner product", "e^{}", "norm power before subscript",
})
ENABLED = TODAY | FIXED | LANDED

# -- variables, shapes and data ---------------------------------------------------------------
#
# Two dimensions n ≠ m, drawn per example from 2..5 (so even and odd). Scalars a, b, λ;
# vectors x, y, μ (n) and z, x_i (m); matrices A, Σ (n×n, Σ declared symmetric), D (m×m),
# B, W2 (n×m), C, W_1 (m×n). Square matrices are near 2I, Σ is positive definite.

N, M = "n", "m"
SCALAR = (1, 1)
SCALARS = ["a", "b", "\\lambda"]
VECTORS = {N: ["x", "y", "\\mu", "μ"], M: ["z", "x_{i}"]}
MATRICES = {(N, N): ["A", "\\Sigma"], (M, M): ["D"], (N, M): ["B", "W2"], (M, N): ["C", "W_1"]}
KINDS = {**{s: "scalar" for s in SCALARS}, "x": "vector", "y": "vector", "\\mu": "vector", "z": "vector",
         "x_{i}": "vector", "A": "matrix", "\\Sigma": "symmetric", "D": "matrix", "B": "matrix",
         "W2": "matrix", "C": "matrix", "W_1": "matrix", "k": "scalar"}  # k: a symbolic integer
WRITTEN = {canonical(w): w for w in KINDS}          # canonical name -> the name declared
DIMS = {"a": SCALAR, "b": SCALAR, "lambda": SCALAR, "x": (N, 1), "y": (N, 1), "mu": (N, 1), "z": (M, 1),
        "x_i": (M, 1), "A": (N, N), "Sigma": (N, N), "D": (M, M), "B": (N, M), "W2": (N, M),
        "C": (M, N), "W_1": (M, N), "k": SCALAR}
TRANSPOSES = ["^T", "'", "^{T}", "^\\top", "ᵀ"]
NUMBERS = ["2", "3", "0.5", "\\frac{1}{2}", "1.5"]
WELL = {  # square, well-conditioned, positive determinant on the data below
    N: ["A", "\\Sigma", "A^T", "(A + A^T)", "(A A)", "(B B^T + I)", "(\\Sigma + A^T A)", "(W2 W2^T + 2 I)"],
    M: ["D", "D^T", "(C C^T + I)", "(D^T D + I)", "(W_1 W_1^T + I)"],
}


def instance(seed: int, names) -> tuple[dict, dict]:
    """Random data: {canonical name: 2-D array} and the sizes {n, m} (distinct, 2..5)."""
    rng = np.random.default_rng(seed)
    n, m = (int(k) for k in rng.choice([2, 3, 4, 5], size=2, replace=False))
    size = {N: n, M: m, 1: 1}
    values = {}
    for name in sorted(names):
        r, c = (size[d] for d in DIMS[name])
        if name == "k":  # the exponent of a matrix power: a whole number
            values[name] = np.array([[float(rng.integers(1, 5))]])
        elif name == "Sigma":
            q = rng.standard_normal((r, r))
            values[name] = np.eye(r) + q @ q.T / r
        elif r == c and r > 1:
            values[name] = 2 * np.eye(r) + 0.3 * rng.standard_normal((r, r)) / np.sqrt(r)
        else:
            values[name] = rng.standard_normal((r, c))
    return values, size


def numpy_env(values: dict) -> dict:
    """The README's convention for `-f numpy`: vectors 1-D, scalars floats, `\\lambda` -> lambda_."""
    env = {"np": np}
    for name, v in values.items():
        py = name + "_" if keyword.iskeyword(name) else name
        env[py] = int(v[0, 0]) if name == "k" else float(v[0, 0]) if DIMS[name] == SCALAR else v[:, 0].copy() if DIMS[name][1] == 1 else v.copy()
    return env


# -- the generator ----------------------------------------------------------------------------

def _p(s: str) -> str:
    return f"({s})"


def _bare(text: str) -> str:
    return text.replace("(", "").replace(")", "").replace(" ", "")


def fill(template: str, *parts: str) -> str:
    """`template` with each @ replaced by the next part (LaTeX is full of braces)."""
    for part in parts:
        template = template.replace("@", part, 1)
    return template


def leaves(shape) -> list[str]:
    r, c = shape
    if shape == SCALAR:
        return SCALARS + NUMBERS
    if c == 1:
        return VECTORS[r]
    if r == 1:
        return [v + t for v in VECTORS[c] for t in TRANSPOSES[:3]]
    return MATRICES.get(shape, []) + [w + "^T" for w in MATRICES.get((c, r), [])]


def _enabled(enabled, *names) -> list[str]:
    return [n for n in names if n in enabled]


LEAF = st.sampled_from([False] * 5 + [True])  # (st.integers favours its ends: mostly leaves)
SPACES = ["\\,", "\\;", "\\!", "\\quad "]


def applicable(shape, enabled) -> list[str]:
    """The enabled constructs that can build an expression of `shape`."""
    r, c = shape
    rules = _enabled(enabled, "sum", "difference", "unary minus", "scalar multiple", "product", "product *",
                     "product \\cdot", "transpose", "scalar in a chain", "grouping", "spacing", "division by a scalar",
                     "\\frac", "brackets")
    if shape != SCALAR:
        rules += _enabled(enabled, "hadamard", "hadamard division", "hadamard power", "hadamard rational power",
                          "hadamard decimal power", "elementwise function", "constant broadcast", "sigmoid", "relu",
                          "softplus", "abs", "sign", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh")
    if r == c and r != 1:
        rules += _enabled(enabled, "inverse", "inverse transpose", "matrix power", "identity", "diag of a vector",
                          "juxtaposed letters", "adj")
    if c == 1 and r != 1:
        rules += _enabled(enabled, "diag of a matrix", "softmax", "juxtaposed letters")
    if shape == SCALAR:
        rules += _enabled(enabled, "trace", "det", "logdet", "norm", "norm squared", "frobenius", "sum of entries",
                          "scalar function", "scalar power", "rational power", "decimal power", "quadratic form",
                          "scalar absolute value", "symmetric", "logsumexp", "norm1", "norm2", "vec", "kron",
                          "inner product", "e^{}", "ones", "norm power before subscript", "sigmoid", "abs", "tan",
                          "arctan", "sinh", "cosh", "softplus", "variable exponent", "symbolic matrix power")
    return rules


@st.composite
def typed(draw, shape, depth, enabled=ENABLED, used=None):
    """The text of a random expression of `shape` (at most `depth` levels of operations);
    `used` collects the constructs drawn."""
    r, c = shape
    if depth <= 0 or draw(LEAF):
        return draw(st.sampled_from(leaves(shape)))

    def sub(s):
        return draw(typed(s, depth - 1, enabled, used))

    def pos(s):
        return draw(positive(s, depth - 1, enabled, used))

    k = draw(st.sampled_from([N, M]))
    rules = applicable(shape, enabled)
    if not rules:
        return draw(st.sampled_from(leaves(shape)))
    rule = draw(st.sampled_from(rules))
    if used is not None:
        used.add(rule)
    if rule == "sum":
        return f"{sub(shape)} + {sub(shape)}"
    if rule == "difference":
        left, right = sub(shape), sub(shape)
        if _bare(left) == _bare(right) and "difference of equal terms" not in enabled:
            return f"{left} + {_p(right)}"  # x - x under a norm: see WRONG_TODAY
        if _bare(left) == _bare(right) and used is not None:
            used.add("difference of equal terms")
        return f"{left} - {_p(right)}"
    if rule == "unary minus":
        return f"-{_p(sub(shape))}"
    if rule == "scalar multiple":
        return f"{_p(sub(SCALAR))} {_p(sub(shape))}" if draw(st.booleans()) else \
            f"{draw(st.sampled_from(NUMBERS))} {_p(sub(shape))}"
    if rule in ("product", "product *", "product \\cdot"):
        op = {"product": " ", "product *": " * ", "product \\cdot": " \\cdot "}[rule]
        inner = draw(st.sampled_from([1, N, M]))
        return f"{_p(sub((r, inner)))}{op}{_p(sub((inner, c)))}"
    if rule == "juxtaposed letters":  # AB, Ax: one letter names written together
        one = [n for n in "ABCDxyz"]
        inner = draw(st.sampled_from([N, M]))
        left = [w for w in leaves((r, inner)) if w[0] in one and (len(w) == 1 or w[1:] in ("^T", "'"))]
        right = [w for w in leaves((inner, c)) if w[0] in one and (len(w) == 1 or w[1:] in ("^T", "'"))]
        if left and right:
            return draw(st.sampled_from(left)) + draw(st.sampled_from(right))
        return f"{_p(sub((r, inner)))} {_p(sub((inner, c)))}"
    if rule == "scalar in a chain":  # A (xᵀy) B, x (yᵀz)
        unit = f"({_p(sub((1, k)))} {_p(sub((k, 1)))})"
        if r == 1 or c == 1 or draw(st.booleans()):
            return f"{unit} {_p(sub(shape))}"
        inner = draw(st.sampled_from([N, M]))
        return f"{_p(sub((r, inner)))} {unit} {_p(sub((inner, c)))}"
    if rule == "transpose":
        return _p(sub((c, r))) + draw(st.sampled_from(TRANSPOSES))
    if rule == "grouping":
        return fill(draw(st.sampled_from(["{@}", "\\left(@\\right)", "\\left( @ \\right)"])), sub(shape))
    if rule == "brackets":
        return fill(draw(st.sampled_from(["[@]", "\\left[@\\right]", "\\big(@\\big)", "\\Big[@\\Big]"])), sub(shape))
    if rule == "spacing":
        inner = draw(st.sampled_from([1, N, M]))
        return f"{_p(sub((r, inner)))}{draw(st.sampled_from(SPACES))}{_p(sub((inner, c)))}"
    if rule == "division by a scalar":
        return f"{_p(sub(shape))} / {_p(pos(SCALAR))}"
    if rule == "\\frac":
        return f"\\frac{{{sub(shape)}}}{{{pos(SCALAR)}}}"
    if rule == "hadamard":
        op = draw(st.sampled_from([" .* ", " \\odot ", " \\circ ", " ∘ "]))
        return f"{_p(sub(shape))}{op}{_p(sub(shape))}"
    if rule == "hadamard division":
        return f"{_p(sub(shape))} ./ {_p(pos(shape))}"
    if rule == "hadamard power":
        return _p(sub(shape)) + draw(st.sampled_from([".^2", ".^{3}", "^{\\circ 2}"]))
    if rule == "hadamard rational power":
        return _p(pos(shape)) + draw(st.sampled_from([".^{1/2}", ".^{-1}", ".^{-1/2}", ".^{3/2}"]))
    if rule == "hadamard decimal power":
        return _p(pos(shape)) + draw(st.sampled_from([".^{0.5}", ".^{1.5}", ".^{-0.5}"]))
    if rule in ("elementwise function", "scalar function"):
        functions = ["\\sin", "sin", "\\cos", "cos", "\\tanh", "tanh", "exp", "\\exp", "log", "\\log", "\\ln", "sqrt",
                     "\\sqrt"]
        if r == 1 and c != 1:  # a row vector
            if "tanh of a row vector" not in enabled:
                functions = [f for f in functions if not f.endswith("tanh")]
        f = draw(st.sampled_from(functions))
        if r == 1 and c != 1 and f.endswith("tanh") and used is not None:
            used.add("tanh of a row vector")
        if f.endswith("exp"):  # of a bounded argument: exp(exp(...)) overflows
            return f"{f}({draw(st.sampled_from(leaves(shape)))})" if draw(st.booleans()) else \
                f"{f}(\\sin({sub(shape)}))"
        if f.endswith(("log", "ln", "sqrt")):
            arg = pos(shape)
            return f"\\sqrt{{{arg}}}" if f == "\\sqrt" else f"{f}({arg})"
        return f"{f}({sub(shape)})"
    if rule == "constant broadcast":
        return fill(draw(st.sampled_from(["(1 + @)", "(1 - @)", "(@ - 1)", "(2 ./ (1 + @))"])), 
            _p(pos(shape)) if draw(st.booleans()) else sub(shape))
    if rule in ("sigmoid", "relu", "softplus", "abs", "sign", "arctan", "sinh", "cosh", "tan", "arcsin", "arccos"):
        spell = {"sigmoid": ["sigmoid", "\\sigma", "\\operatorname{sigmoid}"], "relu": ["relu", "\\max(0, @)"],
                 "abs": ["abs"], "sign": ["sign"]}.get(rule, [rule, "\\" + rule])
        f = draw(st.sampled_from(spell))
        arg = sub(shape)
        if rule in ("sinh", "cosh", "tan", "arcsin", "arccos"):  # a bounded argument
            arg = f"\\frac{{1}}{{2}} \\tanh({arg})"
        return fill(f, arg) if "@" in f else f"{f}({arg})"
    if rule == "inverse":
        w = draw(st.sampled_from(WELL[r]))
        return draw(st.sampled_from([f"{w}^{{-1}}", f"inv({w})", f"\\operatorname{{inv}}({w})", f"{w}⁻¹"]))
    if rule == "inverse transpose":
        return draw(st.sampled_from(WELL[r])) + "^{-T}"
    if rule == "matrix power":
        if draw(st.booleans()):
            return _p(sub(shape)) + draw(st.sampled_from(["^2", "^{2}", "²"]))
        return draw(st.sampled_from(WELL[r])) + draw(st.sampled_from(["^{3}", "^{-2}", "^3"]))
    if rule == "identity":
        return fill(draw(st.sampled_from(["(@ + I)", "(@ - 2 I)", "(I - @)", "I @"])), _p(sub(shape)))
    if rule == "diag of a vector":
        return f"diag({sub((r, 1))})"
    if rule == "diag of a matrix":
        return f"diag({sub((r, r))})"
    if rule == "adj":
        return f"adj({draw(st.sampled_from(WELL[r]))})"
    if rule == "softmax":
        return f"softmax({sub(shape)})"
    if rule == "trace":
        f = draw(st.sampled_from(["tr", "\\text{tr}", "\\operatorname{tr}", "\\mathrm{tr}", "trace", "Tr"]))
        return f"{f}({sub((k, k))})"
    if rule == "det":
        w = draw(st.sampled_from(WELL[k]))
        return draw(st.sampled_from([f"|{w}|", f"\\det({w})", f"\\vert {w} \\vert", f"\\left| {w} \\right|",
                                     f"det({w})", f"\\det {w}"]))
    if rule == "logdet":
        w = draw(st.sampled_from(WELL[k]))
        return draw(st.sampled_from([f"\\log|{w}|", f"\\log\\det({w})", f"logdet({w})", f"\\ln\\det({w})",
                                     f"log det {w}", f"\\log \\left| {w} \\right|"]))
    if rule == "norm":
        v = sub((k, 1))
        return draw(st.sampled_from([f"\\|{v}\\|", f"||{v}||", f"\\|{v}\\|_2", f"‖{v}‖"]))
    if rule == "norm squared":
        return f"\\|{sub((k, 1))}\\|^2"
    if rule == "frobenius":
        s2 = draw(st.sampled_from([(N, N), (N, M), (M, N), (M, M)]))
        return f"\\|{sub(s2)}\\|_F" + draw(st.sampled_from(["", "^2"]))
    if rule == "norm power before subscript":
        s2 = draw(st.sampled_from([(N, N), (N, M)]))
        return f"\\|{sub(s2)}\\|^2_F" if draw(st.booleans()) else f"\\|{sub((k, 1))}\\|^2_2"
    if rule == "norm1":
        return fill(draw(st.sampled_from(["\\|@\\|_1", "norm1(@)"])), sub((k, 1)))
    if rule == "norm2":
        return f"norm2({sub((k, 1))})"
    if rule == "sum of entries":
        s2 = draw(st.sampled_from([(N, 1), (M, 1), (N, N), (N, M), (1, M)]))
        return f"sum({sub(s2)})"
    if rule in ("scalar power", "rational power", "decimal power"):
        if rule == "scalar power":
            return _p(sub(SCALAR)) + draw(st.sampled_from(["^2", "^{3}", "^{-1}", "²"]))
        powers = ["^{1/2}", "^{-1/2}", "^{3/2}", "^{-1}"] if rule == "rational power" else \
            ["^{0.5}", "^{1.5}", "^{-0.5}", "^{2.0}", "^0.5"]
        return _p(pos(SCALAR)) + draw(st.sampled_from(powers))
    if rule == "scalar absolute value":  # |a| around a bar is ambiguous to read (||a| + a|): grouped
        inner = sub(SCALAR)
        return f"|{_p(inner) if '|' in inner or '‖' in inner else inner}|"
    if rule == "variable exponent":  # a positive base: aᵇ = exp(b log a)
        return f"{_p(pos(SCALAR))}^{{{sub(SCALAR)}}}"
    if rule == "symbolic matrix power":  # inside a trace, where the gradient has a closed form
        exponent = draw(st.sampled_from(["k", "{k}", "{k + 1}", "{k - 1}", "{2 k}"]))
        return f"tr({draw(st.sampled_from(WELL[k]))}^{exponent})"
    if rule == "quadratic form":
        return f"{_p(sub((k, 1)))}^T {_p(sub((k, k)))} {_p(sub((k, 1)))}"
    if rule == "symmetric":
        return draw(st.sampled_from(["x^T \\Sigma y", fill("tr(\\Sigma @)", _p(sub((N, N)))),
                                     "\\log|\\Sigma|", "\\mu^T \\Sigma^{-1} \\mu"]))
    if rule == "logsumexp":
        return fill(draw(st.sampled_from(["logsumexp(@)", "\\operatorname{LSE}(@)", "\\log\\sum\\exp(@)"])), 
            sub((k, 1)))
    if rule == "vec":
        s2 = draw(st.sampled_from([(N, M), (N, N)]))
        return f"vec({sub(s2)})^T vec({sub(s2)})"
    if rule == "kron":
        op = draw(st.sampled_from(["kron(@, @)", "(@ \\otimes @)"]))
        return f"vec({sub((M, N))})^T {fill(op, _p(sub((N, N))), _p(sub((M, M))))} vec({sub((M, N))})"
    if rule == "inner product":
        s2 = draw(st.sampled_from([(N, N), (N, M), (N, 1)]))
        return f"\\langle {sub(s2)}, {sub(s2)} \\rangle"
    if rule == "e^{}":
        return f"e^{{\\sin({sub(SCALAR)})}}"
    if rule == "ones":
        return fill(draw(st.sampled_from(["\\mathbf{1}^T @", "ones^T @", "@^T \\mathbf{1}"])), _p(sub((k, 1))))
    raise AssertionError(rule)  # pragma: no cover


def positive(shape, depth, enabled=ENABLED, used=None):
    """Entries bounded away from 0 on any data."""
    if shape == SCALAR:
        return st.one_of(
            typed(SCALAR, depth, enabled, used).map(lambda s: f"(1 + {_p(s)}^2)"),
            st.sampled_from(SCALARS).map(lambda s: f"exp({s})"))
    return st.one_of(
        st.sampled_from(leaves(shape)).map(lambda s: f"exp({s})"),
        st.tuples(typed(shape, depth, enabled, used), st.sampled_from(leaves(shape))).map(
            lambda t: f"{_p(t[0])}.^2 + exp({t[1]})"))


# -- the property -----------------------------------------------------------------------------

@st.composite
def problems(draw, enabled=ENABLED):
    mode = draw(st.sampled_from(["gradient"] * 15 + ["jacobian"] * 3 + ["hessian"] * 2))
    if mode == "jacobian":
        text = draw(typed((draw(st.sampled_from([N, M])), 1), draw(st.integers(1, 3)), enabled))
    elif mode == "hessian" and "Hessian through diag" not in enabled:
        text = draw(typed(SCALAR, draw(st.integers(1, 4)), enabled - {"diag of a vector", "diag of a matrix"}))
    else:
        text = draw(typed(SCALAR, draw(st.integers(1 if mode == "hessian" else 2, 4)), enabled))
    names = sorted(Expression(text).names)
    if mode == "gradient":
        candidates = [nm for nm in names if nm != "k"]  # k is a symbolic integer, not a variable
    else:
        candidates = [nm for nm in names if DIMS[nm][1] == 1 and DIMS[nm] != SCALAR]
    assume(candidates)
    wrt = draw(st.sampled_from(candidates))
    transposed = mode == "gradient" and DIMS[wrt][0] != 1 and DIMS[wrt][1] != 1 and wrt != "Sigma" and \
        draw(st.integers(0, 4)) == 0
    return mode, text, wrt, transposed


def declared_for(names) -> dict[str, str]:
    return {WRITTEN[nm]: KINDS[WRITTEN[nm]] for nm in names}


def _call(f, values, name, entry=None, delta=0.0):
    v = dict(values)
    if entry is not None:
        v[name] = v[name].copy()
        for (i, j), w in entry:
            v[name][i, j] += delta * w
    with np.errstate(all="ignore"):
        return f(v)


def directions(value, symmetric: bool):
    """Unit perturbations of one variable: each entry, or for a symmetric matrix each E_ij + E_ji."""
    r, c = value.shape
    if symmetric:
        return [[((i, j), 1.0)] if i == j else [((i, j), 1.0), ((j, i), 1.0)] for i in range(r) for j in range(i, r)]
    return [[((i, j), 1.0)] for j in range(c) for i in range(r)]


def finite_differences(f, values, name, h, symmetric=False):
    """Central differences of f (a 2-D array) along each direction: one column per direction."""
    cols = []
    for e in directions(values[name], symmetric):
        step = h * max(1.0, max(abs(values[name][ij]) for ij, _ in e))
        cols.append(((_call(f, values, name, e, step) - _call(f, values, name, e, -step)) / (2 * step)).ravel(order="F"))
    return np.array(cols).T


def second_differences(f, values, name, h):
    """Central second differences: the Hessian of a scalar f with respect to a vector."""
    n = values[name].shape[0]
    H = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            def at(si, sj):
                e = [((i, 0), si)] + [((j, 0), sj)]
                return _call(f, values, name, e, h)[0, 0]
            H[i, j] = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h * h)
    return H


def matcalc_answer(mode, text, wrt, transposed, names):
    declared = declared_for(names)
    var = WRITTEN[wrt] + ("^T" if transposed else "")
    if mode == "hessian":
        return matcalc.hessian(text, WRITTEN[wrt], declared=declared)
    return matcalc.diff(text, var, declared=declared)


def check(mode, text, wrt, transposed, seed, note=note, assume=assume):
    """matcalc's NumPy answer against finite differences of the evaluator; returns the error."""
    expression = Expression(text)
    names = expression.names
    note(f"matcalc.{'hessian' if mode == 'hessian' else 'diff'}({text!r}, {WRITTEN[wrt]!r}"
         f"{' transposed' if transposed else ''}, declared={declared_for(names)})")
    result = matcalc_answer(mode, text, wrt, transposed, names)  # a MatcalcError here is a failure
    note(f"answer: {result.text}  |  numpy: {result.numpy}")
    values, size = instance(seed, names)
    note(f"sizes n={size[N]}, m={size[M]}")
    try:
        with np.errstate(all="ignore", over="raise"):
            value = expression(dict(values))
    except FloatingPointError:  # σ(5^{tr(A^{2k})}): the input overflows inside, its differences say nothing
        assume(False)
    assume(np.all(np.isfinite(value)) and np.max(np.abs(value)) < 1e6)
    with np.errstate(all="ignore"):
        got = np.asarray(eval(result.numpy, numpy_env(values)), dtype=float)  # noqa: S307 - matcalc's own output
    symmetric = wrt == "Sigma"
    if mode == "hessian":
        want = second_differences(expression, values, wrt, 1e-4)
        other = second_differences(expression, values, wrt, 2e-4)
        tolerance = 1e-4
    else:
        want = finite_differences(expression, values, wrt, 1e-5, symmetric)
        other = finite_differences(expression, values, wrt, 2e-5, symmetric)
        tolerance = 1e-5
    scale = max(1e-3, float(np.max(np.abs(want))) if want.size else 0.0)
    assume(np.all(np.isfinite(want)) and np.all(np.isfinite(other)))
    assume(float(np.max(np.abs(want - other))) <= tolerance * scale / 20)  # else no digit to check
    r, c = values[wrt].shape
    if mode == "gradient":  # shaped like the variable (its transpose for ∇ w.r.t. Xᵀ), NumPy habit
        expected = () if (r, c) == (1, 1) else (r,) if c == 1 else (c, r) if transposed else (r, c)
    else:
        expected = (want.shape[0], r)
    if got.size == 1 and got.shape != expected:  # a constant gradient, e.g. 2 for 2 a
        got = np.broadcast_to(got.reshape(()), expected)
    assert got.shape == expected, f"matcalc's answer has shape {got.shape}, not {expected}"
    if mode == "gradient":
        if symmetric:  # d_ij = ⟨G, E_ij + E_ji⟩
            got = np.array([[got[i, i] if i == j else got[i, j] + got[j, i] for i in range(r) for j in range(i, r)]])
        else:
            want = want.reshape(r, c, order="F")
            want = want.T if transposed else want
        want = want.reshape(np.shape(got))
    assert np.all(np.isfinite(got)), f"matcalc's answer is not finite: {got}"
    error = float(np.max(np.abs(got - want))) / scale
    assert error < tolerance, f"{result.text} differs from finite differences by {error:.1e} (relative)"
    return error


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=SLOW_OK)
@given(problems(), st.integers(0, 2**32 - 1))
@example(("gradient", "x^T \\Sigma y", "Sigma", False), 0)
@example(("gradient", "\\log|A^T A + B B^T| + tr(C A B)", "A", True), 1)
@example(("hessian", "\\|A diag(x)\\|_F^2 + x^T diag(x) A x", "x", False), 2)  # refused before rule einstein
def test_matcalc_matches_finite_differences_of_an_independent_evaluator(problem, seed):
    check(*problem, seed)


# -- constructs matcalc gets wrong today (issue 12) -------------------------------------------

WRONG = [  # (construct, mode, text, wrt): each a wrong answer or a refusal of a well-typed input
    ("decimal power", "gradient", "(x^T \\Sigma x)^{0.5}", "x"),
    ("decimal power", "gradient", "(1 + a^2)^{1.5}", "a"),
    ("decimal power", "gradient", "(x^T \\Sigma x)^{-0.5}", "x"),
    ("decimal power", "gradient", "(1 + x^T x)^0.5", "x"),
    ("decimal power", "gradient", "(exp(a))^{2.0}", "a"),
    ("decimal power", "jacobian", "x (1 + x^T x)^{0.5}", "x"),
    ("decimal power", "hessian", "(x^T \\Sigma x)^{1.5}", "x"),
    ("hadamard decimal power", "gradient", "sum(exp(x).^{0.5})", "x"),
    ("hadamard decimal power", "gradient", "y^T (exp(x) .^{1.5})", "x"),
    ("hadamard decimal power", "jacobian", "exp(x).^{0.5}", "x"),
    ("difference of equal terms", "gradient", "\\|(x + x)\\,(\\|x - (x)\\|)\\| + x^T x", "x"),
    ("scalar absolute value", "gradient", "|-1 - a^2|", "a"),
    ("scalar absolute value", "gradient", "|-(x^T \\Sigma x)|", "x"),
]


@pytest.mark.xfail(strict=True, raises=(AssertionError, matcalc.MatcalcError),
                   reason="issue 12: a construct matcalc answers wrongly")
@pytest.mark.parametrize("construct,mode,text,wrt", [w for w in WRONG if w[0] not in FIXED],
                         ids=[w[2] for w in WRONG if w[0] not in FIXED])
def test_wrong_today(construct, mode, text, wrt):
    assert construct in WRONG_TODAY and Expression(text).names
    check(mode, text, wrt, False, 0, note=print, assume=_usable)


@pytest.mark.parametrize("construct,mode,text,wrt", [w for w in WRONG if w[0] in FIXED],
                         ids=[w[2] for w in WRONG if w[0] in FIXED])
def test_fixed(construct, mode, text, wrt):
    """Once wrong (issue 12), now right against the independent evaluator."""
    check(mode, text, wrt, False, 0, note=print, assume=_usable)


def _usable(condition: bool) -> None:
    if not condition:
        raise RuntimeError("an ill-conditioned instance: pick another input")


SHAPES = [SCALAR, (N, 1), (1, M), (N, N), (N, M)]
ROW = (1, M)


def _shape_for(rule: str):
    if rule in MODIFIERS:
        return ROW if rule == "tanh of a row vector" else SCALAR
    return next(s for s in SHAPES if rule in applicable(s, frozenset({rule})))


@pytest.mark.parametrize("rule", sorted(CONSTRUCTS - IN_PROBLEMS))
def test_each_construct_is_reached_and_writes_text_the_evaluator_reads(rule):
    """The generator's code for every construct, the ones not switched on included, is
    reached and writes text of the intended shape that the evaluator reads, with a finite value."""
    shape, used = _shape_for(rule), set()
    enabled = frozenset({rule, MODIFIERS.get(rule, rule)})

    @settings(max_examples=40 if rule in MODIFIERS else 8, deadline=None, database=None, derandomize=True,
              suppress_health_check=SLOW_OK)
    @given(st.data(), st.integers(0, 2**32 - 1))
    def draw_one(data, seed):
        expression = Expression(data.draw(typed(shape, 1, enabled, used)))
        values, size = instance(seed, expression.names)
        assert expression.shape(values) == tuple(size[d] for d in shape)
        with np.errstate(all="ignore"):
            assert np.all(np.isfinite(expression(values)))

    draw_one()
    assert rule in used

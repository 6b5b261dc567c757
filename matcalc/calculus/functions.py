"""The table of functions: one row per function, read by every stage.

A row holds all matcalc knows of a function: its input words, how it is written in text,
Unicode, LaTeX and NumPy, how it is evaluated (NumPy and SymPy), its derivative rule, the
domain random data must keep its argument in, and the rule `matcalc rules` lists for it.
Adding a function is adding a row (and a test): the grammar's function-word terminal is
filled from `WORDS` (language/grammar.py), the unknown-word check reads it
(language/vocabulary.py), and differentiation, rendering, NumPy code, numeric evaluation,
SymPy and the rule table all look the function up here. As numpy's ufunc table, or jax's
primitives registered with their JVP rule beside them.

A leaf module: derivative rules receive the `algebra` module as `m` (so this table imports
nothing of matcalc but the records' base, frozen.py), the argument `x` and, for the functions
that are not elementwise, the node `e` itself and the differential `dx` of the argument.
"""
from __future__ import annotations

from collections.abc import Callable

from ..frozen import Frozen


class Function(Frozen):
    """A row of the table (frozen; compared, hashed and shown by all its fields)."""

    # name: the canonical name: Func.name, the text form, the first input word
    # words: other input words, each also as \word and \operatorname{word}
    # title: what `matcalc rules` calls it
    # derivative: the differential, as `matcalc rules` states it (Unicode)
    # latex: the LaTeX command: \exp, \operatorname{sigmoid}; or a form, the argument as {0}
    # unicode: the name drawn in Unicode output; or a form, the argument as {0}: ‖{0}‖₁
    # numpy: NumPy code, the argument as {0} (vectors are 1-D arrays there)
    # numeric: (np, x) -> the value, x a 2-D array (vectors n×1)
    # rule: elementwise: (m, x) -> f'(x); else (m, e, x, dx) -> d f
    # sympy: (sp, x) -> the SymPy form of f at a scalar x (of the whole x if not elementwise)
    # shape: elementwise | vector (column → column) | reduction (column → scalar) | entries (a
    #   vector or matrix → scalar, over all its entries, as sum) | square (square matrix → square matrix)
    # domain: where random data must keep the argument: real | positive | unit (−1, 1) | invertible
    # demo: an input whose derivation (w.r.t. X, or x) cites this function's rule
    __slots__ = _fields = _compared = _shown = (
        "name", "words", "title", "derivative", "latex", "unicode", "numpy", "numeric", "rule", "sympy", "shape",
        "domain", "demo")

    def __init__(self, name: str, words: tuple[str, ...], title: str, derivative: str, latex: str, unicode: str,
                 numpy: str, numeric: Callable, rule: Callable, sympy: Callable | None = None,
                 shape: str = "elementwise", domain: str = "real", demo: str = ""):
        self._set(name, words, title, derivative, latex, unicode, numpy, numeric, rule, sympy, shape, domain, demo)

    @property
    def elementwise(self) -> bool:
        return self.shape == "elementwise"


def _one(m, x):
    """1, or the all-ones matrix of x's shape: the constant term of an elementwise derivative."""
    return m.ONE if x.is_scalar else m.Ones(x.shape)


def _sigmoid(np, x):
    return 0.5 * (1 + np.tanh(0.5 * x))  # 1 / (1 + e^{-x}) without overflow


def _zero(m, x):
    return m.zero(x.shape)


def _inverse_sqrt_of_one_minus_square(m, x):
    """(1 - x∘²)∘^(-1/2), the derivative of arcsin."""
    return m.hadamard_power(m.sub(_one(m, x), m.hadamard_power(x, 2)), m.Fraction(-1, 2))


def _adjugate(np, x):
    return np.linalg.det(x) * np.linalg.inv(x)


def _softmax(np, x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def _logsumexp(np, x):
    top = np.max(x)
    return np.array([[top + np.log(np.sum(np.exp(x - top)))]])


TABLE: tuple[Function, ...] = (
    # -- the exponential and the logarithm ------------------------------------------------------
    Function("exp", (), "exponential", "d exp(X) = exp(X) ∘ dX", "\\exp", "exp", "np.exp({0})",
             lambda np, x: np.exp(x), lambda m, x: m.func("exp", x), lambda sp, x: sp.exp(x),
             demo="sum(exp(X))"),
    Function("log", ("ln",), "logarithm", "d log(X) = dX ⊘ X", "\\log", "log", "np.log({0})",
             lambda np, x: np.log(x), lambda m, x: m.hadamard_power(x, -1), lambda sp, x: sp.log(x),
             domain="positive", demo="sum(log(X))"),
    Function("sqrt", (), "square root", "d sqrt(X) = (1/2) dX ⊘ sqrt(X)", "\\sqrt", "sqrt", "np.sqrt({0})",
             lambda np, x: np.sqrt(x),
             lambda m, x: m.mul(m.const(m.Fraction(1, 2)), m.hadamard_power(m.func("sqrt", x), -1)),
             lambda sp, x: sp.sqrt(x), domain="positive", demo="sum(sqrt(X))"),
    Function("softplus", (), "softplus", "d softplus(X) = σ(X) ∘ dX,   softplus(x) = log(1 + eˣ)",
             "\\operatorname{softplus}", "softplus", "np.logaddexp(0, {0})",
             lambda np, x: np.logaddexp(0, x), lambda m, x: m.func("sigmoid", x),
             lambda sp, x: sp.log(1 + sp.exp(x)), demo="sum(softplus(X))"),
    # -- trigonometric and hyperbolic -----------------------------------------------------------
    Function("sin", (), "sine", "d sin(X) = cos(X) ∘ dX", "\\sin", "sin", "np.sin({0})",
             lambda np, x: np.sin(x), lambda m, x: m.func("cos", x), lambda sp, x: sp.sin(x),
             demo="sum(sin(X))"),
    Function("cos", (), "cosine", "d cos(X) = -sin(X) ∘ dX", "\\cos", "cos", "np.cos({0})",
             lambda np, x: np.cos(x), lambda m, x: m.neg(m.func("sin", x)), lambda sp, x: sp.cos(x),
             demo="sum(cos(X))"),
    Function("tan", (), "tangent", "d tan(X) = (𝟏 + tan(X)∘²) ∘ dX", "\\tan", "tan", "np.tan({0})",
             lambda np, x: np.tan(x), lambda m, x: m.add(_one(m, x), m.hadamard_power(m.func("tan", x), 2)),
             lambda sp, x: sp.tan(x), domain="unit", demo="sum(tan(X))"),
    Function("arcsin", (), "inverse sine", "d arcsin(X) = dX ⊘ sqrt(𝟏 - X∘²)", "\\arcsin", "arcsin",
             "np.arcsin({0})", lambda np, x: np.arcsin(x), _inverse_sqrt_of_one_minus_square,
             lambda sp, x: sp.asin(x), domain="unit", demo="sum(arcsin(X))"),
    Function("arccos", (), "inverse cosine", "d arccos(X) = -dX ⊘ sqrt(𝟏 - X∘²)", "\\arccos", "arccos",
             "np.arccos({0})", lambda np, x: np.arccos(x),
             lambda m, x: m.neg(_inverse_sqrt_of_one_minus_square(m, x)),
             lambda sp, x: sp.acos(x), domain="unit", demo="sum(arccos(X))"),
    Function("arctan", (), "inverse tangent", "d arctan(X) = dX ⊘ (𝟏 + X∘²)", "\\arctan", "arctan",
             "np.arctan({0})", lambda np, x: np.arctan(x),
             lambda m, x: m.hadamard_power(m.add(_one(m, x), m.hadamard_power(x, 2)), -1),
             lambda sp, x: sp.atan(x), demo="sum(arctan(X))"),
    Function("sinh", (), "hyperbolic sine", "d sinh(X) = cosh(X) ∘ dX", "\\sinh", "sinh", "np.sinh({0})",
             lambda np, x: np.sinh(x), lambda m, x: m.func("cosh", x), lambda sp, x: sp.sinh(x),
             demo="sum(sinh(X))"),
    Function("cosh", (), "hyperbolic cosine", "d cosh(X) = sinh(X) ∘ dX", "\\cosh", "cosh", "np.cosh({0})",
             lambda np, x: np.cosh(x), lambda m, x: m.func("sinh", x), lambda sp, x: sp.cosh(x),
             demo="sum(cosh(X))"),
    Function("tanh", (), "hyperbolic tangent", "d tanh(X) = (𝟏 - tanh(X)∘²) ∘ dX", "\\tanh", "tanh", "np.tanh({0})",
             lambda np, x: np.tanh(x),
             lambda m, x: m.sub(_one(m, x), m.hadamard_power(m.func("tanh", x), 2)), lambda sp, x: sp.tanh(x),
             demo="sum(tanh(X))"),
    # -- the logistic function and the rectifier -------------------------------------------------
    Function("sigmoid", (), "logistic function",
             "d σ(X) = σ(X) ∘ (𝟏 - σ(X)) ∘ dX,   σ(x) = 1 / (1 + e⁻ˣ)",
             "\\sigma", "σ", "(0.5 + 0.5 * np.tanh(0.5 * ({0})))", _sigmoid,
             lambda m, x: m.hadamard(m.func("sigmoid", x), m.sub(_one(m, x), m.func("sigmoid", x))),
             lambda sp, x: 1 / (1 + sp.exp(-x)), demo="sum(sigmoid(X))"),
    Function("relu", ("ReLU",), "rectifier", "d relu(X) = step(X) ∘ dX,   relu(x) = max(0, x); step(0) = 0",
             "\\operatorname{relu}", "relu", "np.maximum({0}, 0)", lambda np, x: np.maximum(x, 0),
             lambda m, x: m.func("step", x), lambda sp, x: sp.Max(0, x), demo="sum(relu(X))"),
    Function("step", (), "unit step", "d step(X) = 0,   step(x) = 𝟙[x > 0] (0 at x = 0)",
             "\\operatorname{step}", "step", "np.heaviside({0}, 0.0)", lambda np, x: np.heaviside(x, 0.0),
             _zero, lambda sp, x: sp.Heaviside(x, 0), demo="sum(step(X))"),
    Function("abs", (), "absolute value", "d abs(X) = sign(X) ∘ dX   (sign(0) = 0)", "\\operatorname{abs}", "abs",
             "np.abs({0})", lambda np, x: np.abs(x), lambda m, x: m.func("sign", x),
             lambda sp, x: sp.Abs(x), demo="sum(abs(X))"),
    # -- functions of a whole vector -------------------------------------------------------------
    Function("softmax", (), "softmax", "d softmax(z) = (diag(s) - s sᵀ) dz,   s = softmax(z) = exp(z) / sum(exp(z))",
             "\\operatorname{softmax}", "softmax", "np.exp({0} - np.logaddexp.reduce({0}))", _softmax,
             lambda m, e, x, dx: m.sub(m.hadamard(e, dx), m.mul(e, m.transpose(e), dx)),
             lambda sp, x: x.applyfunc(sp.exp) / (sp.OneMatrix(1, x.rows) * x.applyfunc(sp.exp))[0, 0],
             shape="vector", demo="y^T softmax(x)"),
    Function("logsumexp", ("LSE",), "log-sum-exp", "d logsumexp(z) = softmax(z)ᵀ dz,   logsumexp(z) = log(sum(exp(z)))",
             "\\operatorname{logsumexp}", "logsumexp", "np.logaddexp.reduce({0})", _logsumexp,
             lambda m, e, x, dx: m.mul(m.transpose(m.func("softmax", x)), dx),
             lambda sp, x: sp.log((sp.OneMatrix(1, x.rows) * x.applyfunc(sp.exp))[0, 0]),
             shape="reduction", demo="logsumexp(x)"),
    # -- functions of all the entries, and of a square matrix ------------------------------------
    Function("norm1", (), "1-norm", "d ‖X‖₁ = sum(sign(X) ∘ dX),   ‖X‖₁ = sum(abs(X)), entrywise for a matrix",
             "\\left\\| {0} \\right\\|_1", "‖{0}‖₁", "np.sum(np.abs({0}))",
             lambda np, x: np.array([[np.sum(np.abs(x))]]),
             lambda m, e, x, dx: m.sum_entries(m.hadamard(m.func("sign", x), dx)),
             lambda sp, x: (sp.OneMatrix(1, x.rows) * x.applyfunc(sp.Abs) * sp.OneMatrix(x.cols, 1))[0, 0],
             shape="entries", demo="norm1(X)"),
    Function("adj", (), "adjugate", "d adj(X) = tr(X⁻¹ dX) adj(X) - X⁻¹ dX adj(X),   adj(X) = |X| X⁻¹",
             "\\operatorname{adj}", "adj", "(np.linalg.det({0}) * np.linalg.inv({0}))", _adjugate,
             lambda m, e, x, dx: m.sub(m.mul(m.trace(m.mul(m.inverse(x), dx)), e), m.mul(m.inverse(x), dx, e)),
             lambda sp, x: sp.Determinant(x) * sp.Inverse(x),
             shape="square", domain="invertible", demo="tr(adj(X))"),
    Function("sign", (), "sign", "d sign(X) = 0   (sign is constant away from 0)", "\\operatorname{sign}", "sign", "np.sign({0})",
             lambda np, x: np.sign(x), _zero, lambda sp, x: sp.sign(x), demo="sum(sign(X))"),
)

BY_NAME: dict[str, Function] = {f.name: f for f in TABLE}

# Words that name an operation with its own node (trace, determinant, ...), not a table row;
# language/kinds.py builds them. Each maps to the operation's canonical name.
OPERATIONS: dict[str, str] = {
    "tr": "tr", "trace": "tr", "Tr": "tr", "det": "det", "logdet": "logdet", "sum": "sum",
    "inv": "inv", "diag": "diag", "norm2": "norm2", "vec": "vec",
}

# Every function word of the input and what it names: the grammar's FUNC terminal lists
# these keys (each also with a backslash and inside \operatorname{...}, \mathrm{...}, \text{...}).
WORDS: dict[str, str] = {**OPERATIONS, **{w: f.name for f in TABLE for w in (f.name, *f.words)}}
# Words read only inside \operatorname{...}, \mathrm{...}, \text{...}: written bare, LSE is a
# product of three names, as ABC is.
WRAPPED_ONLY = frozenset(w for w in WORDS if sum(c.isupper() for c in w) > 1)
BARE_WORDS = frozenset(WORDS) - WRAPPED_ONLY

# Spellings the grammar reads besides the words (language/parser.py normalises a FUNC token by
# dropping backslashes, braces and spaces): \sigma( and σ( are the logistic function.
SPELLINGS: dict[str, str] = {"sigma": "sigmoid", "σ": "sigmoid"}


def lookup(name: str) -> Function:
    return BY_NAME[name]

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
nothing of matcalc), the argument `x` and, for the functions that are not elementwise, the
node `e` itself and the differential `dx` of the argument.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Function:
    name: str                 # the canonical name: Func.name, the text form, the first input word
    words: tuple[str, ...]    # other input words, each also as \word and \operatorname{word}
    title: str                # what `matcalc rules` calls it
    derivative: str           # f'(x) (or df) as `matcalc rules` states it, in Unicode
    latex: str                # the LaTeX command: \exp, \operatorname{sigmoid}
    unicode: str              # the name drawn in Unicode output
    numpy: str                # NumPy code, the argument as {0} (vectors are 1-D arrays there)
    numeric: Callable         # (np, x) -> the value, x a 2-D array (vectors n×1)
    rule: Callable            # elementwise: (m, x) -> f'(x); else (m, e, x, dx) -> d f
    sympy: Callable | None = None  # (sp, x) -> the SymPy form of f at a scalar x
    shape: str = "elementwise"     # elementwise | vector (column → column) | reduction (column → scalar)
    domain: str = "real"      # where random data must keep the argument: real | positive | unit (−1, 1)
    demo: str = ""            # an input whose derivation cites this function's rule

    @property
    def elementwise(self) -> bool:
        return self.shape == "elementwise"


def _one(m, x):
    """1, or the all-ones matrix of x's shape: the constant term of an elementwise derivative."""
    return m.ONE if x.is_scalar else m.Ones(x.shape)


def _sigmoid(np, x):
    return 0.5 * (1 + np.tanh(0.5 * x))  # 1 / (1 + e^{-x}) without overflow


TABLE: tuple[Function, ...] = (
    # -- the exponential and the logarithm ------------------------------------------------------
    Function("exp", (), "exponential", "exp'(x) = exp(x)", "\\exp", "exp", "np.exp({0})",
             lambda np, x: np.exp(x), lambda m, x: m.func("exp", x), lambda sp, x: sp.exp(x)),
    Function("log", ("ln",), "logarithm", "log'(x) = 1 ⊘ x", "\\log", "log", "np.log({0})",
             lambda np, x: np.log(x), lambda m, x: m.hadamard_power(x, -1), lambda sp, x: sp.log(x),
             domain="positive"),
    Function("sqrt", (), "square root", "sqrt'(x) = (1/2) 1 ⊘ sqrt(x)", "\\sqrt", "sqrt", "np.sqrt({0})",
             lambda np, x: np.sqrt(x),
             lambda m, x: m.mul(m.const(m.Fraction(1, 2)), m.hadamard_power(m.func("sqrt", x), -1)),
             lambda sp, x: sp.sqrt(x), domain="positive"),
    # -- trigonometric and hyperbolic -----------------------------------------------------------
    Function("sin", (), "sine", "sin'(x) = cos(x)", "\\sin", "sin", "np.sin({0})",
             lambda np, x: np.sin(x), lambda m, x: m.func("cos", x), lambda sp, x: sp.sin(x)),
    Function("cos", (), "cosine", "cos'(x) = -sin(x)", "\\cos", "cos", "np.cos({0})",
             lambda np, x: np.cos(x), lambda m, x: m.neg(m.func("sin", x)), lambda sp, x: sp.cos(x)),
    Function("tanh", (), "hyperbolic tangent", "tanh'(x) = 1 - tanh(x)∘²", "\\tanh", "tanh", "np.tanh({0})",
             lambda np, x: np.tanh(x),
             lambda m, x: m.sub(_one(m, x), m.hadamard_power(m.func("tanh", x), 2)), lambda sp, x: sp.tanh(x)),
)

BY_NAME: dict[str, Function] = {f.name: f for f in TABLE}

# Words that name an operation with its own node (trace, determinant, ...), not a table row;
# language/kinds.py builds them. Each maps to the operation's canonical name.
OPERATIONS: dict[str, str] = {
    "tr": "tr", "trace": "tr", "Tr": "tr", "det": "det", "logdet": "logdet", "sum": "sum",
    "inv": "inv", "diag": "diag",
}

# Every function word of the input and what it names: the grammar's FUNC terminal lists
# these keys (each also with a backslash and inside \operatorname{...}, \mathrm{...}, \text{...}).
WORDS: dict[str, str] = {**OPERATIONS, **{w: f.name for f in TABLE for w in (f.name, *f.words)}}


def lookup(name: str) -> Function:
    return BY_NAME[name]

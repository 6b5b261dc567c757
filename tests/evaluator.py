"""An independent evaluator of matcalc's input language, for the tests.

Written from the README's input-language table and issue 13's vocabulary, with the operator
precedence of grammar/matcalc.lark (loosest to tightest: sum, Hadamard, sign, product,
postfix, atom). It imports nothing from matcalc: it is the oracle that matcalc's answers are
checked against, so it must not share matcalc's parser, kinds or numeric code.

    evaluate(r"\\log|X^T X| + x^T A x", {"X": X, "A": A, "x": x})   # -> a 2-D array

Values are 2-D arrays (a scalar is 1×1, a vector n×1) keyed by canonical name: `A`, `W2`,
`x_i` (for `x_i` and `x_{i}`), `mu` (for `\\mu` and `μ`), `Sigma`. Kinds come from the
values' shapes; `I` and `\\mathbf{1}` take their size from the context by unification, and a
numeric constant next to a vector or matrix in a sum or an elementwise operation is the
constant array of that size (`1 + exp(z)`, matrixcalculus.org's vector(1)).

Adding a function is one entry in FUNCTIONS (its shape rule and its NumPy value) plus its
spellings in SPELLINGS.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np


class EvaluatorError(ValueError):
    """The text is not in the language, or its shapes do not fit."""


# -- names ---------------------------------------------------------------------------------

GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi "
         "pi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma "
         "Upsilon Phi Psi Omega").split()
UNICODE_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon", "ζ": "zeta",
    "η": "eta", "θ": "theta", "ϑ": "vartheta", "ι": "iota", "κ": "kappa", "λ": "lambda", "μ": "mu",
    "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi",
    "ϕ": "varphi", "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta",
    "Λ": "Lambda", "Ξ": "Xi", "Π": "Pi", "Σ": "Sigma", "Υ": "Upsilon", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}


def canonical(written: str) -> str:
    """`\\mu` -> mu, `μ` -> mu, `x_{i}` -> x_i, `W2` -> W2 (the keys of the values dict)."""
    w = written.strip()
    m = re.fullmatch(r"\\?([A-Za-z]+|[^\x00-\x7f])(?:_\{?([A-Za-z0-9]+)\}?|([0-9]+))?", w)
    if not m:
        raise EvaluatorError(f"not a name: {written!r}")
    base = UNICODE_GREEK.get(m.group(1), m.group(1))
    if len(base) > 1 and base not in GREEK:
        raise EvaluatorError(f"not a name: {written!r}")
    if m.group(2):
        return f"{base}_{m.group(2)}"
    return base + (m.group(3) or "")


# -- functions: one entry each --------------------------------------------------------------
#
# shape: "elementwise" (same shape), "scalar" (any argument -> 1×1), "square->scalar",
# "square" (square -> same), "vector" (n×1 -> n×1), "vector->scalar", "diag", "vec",
# "kron" and "inner" (two arguments), "max" (max(0, z): relu).

def _sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))


def _logsumexp(z):
    top = np.max(z)
    return top + np.log(np.sum(np.exp(z - top)))


def _softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def _diag(v):
    if v.shape[1] == 1:
        return np.diag(v[:, 0])
    return np.diag(v).reshape(-1, 1).copy()


def _inv(X):
    """The inverse; NaN for a singular matrix (a value outside the domain, not an error)."""
    try:
        return np.linalg.inv(X)
    except np.linalg.LinAlgError:
        return np.full(X.shape, np.nan)


def _adj(X):
    return np.linalg.det(X) * _inv(X)


@dataclass(frozen=True)
class Function:
    shape: str
    value: Callable


FUNCTIONS: dict[str, Function] = {
    # elementwise
    "log": Function("elementwise", np.log),
    "exp": Function("elementwise", np.exp),
    "sqrt": Function("elementwise", np.sqrt),
    "sin": Function("elementwise", np.sin),
    "cos": Function("elementwise", np.cos),
    "tan": Function("elementwise", np.tan),
    "tanh": Function("elementwise", np.tanh),
    "sinh": Function("elementwise", np.sinh),
    "cosh": Function("elementwise", np.cosh),
    "arcsin": Function("elementwise", np.arcsin),
    "arccos": Function("elementwise", np.arccos),
    "arctan": Function("elementwise", np.arctan),
    "abs": Function("elementwise", np.abs),
    "sign": Function("elementwise", np.sign),
    "relu": Function("elementwise", lambda z: np.maximum(z, 0.0)),
    "sigmoid": Function("elementwise", _sigmoid),
    "softplus": Function("elementwise", lambda z: np.logaddexp(0.0, z)),
    # to a scalar
    "tr": Function("square->scalar", lambda X: np.array([[np.trace(X)]])),
    "det": Function("square->scalar", lambda X: np.array([[np.linalg.det(X)]])),
    "logdet": Function("square->scalar", lambda X: np.array([[np.log(np.linalg.det(X))]])),
    "sum": Function("scalar", lambda X: np.array([[np.sum(X)]])),
    "norm1": Function("scalar", lambda X: np.array([[np.sum(np.abs(X))]])),
    "norm2": Function("vector->scalar", lambda x: np.array([[np.sqrt(np.sum(x * x))]])),
    "logsumexp": Function("vector->scalar", lambda z: np.array([[_logsumexp(z)]])),
    # vector to vector, matrix to matrix
    "softmax": Function("vector", _softmax),
    "inv": Function("square", _inv),
    "adj": Function("square", _adj),
    "diag": Function("diag", _diag),
    "vec": Function("vec", lambda X: X.reshape(-1, 1, order="F")),
    # two arguments
    "kron": Function("kron", np.kron),
    "inner": Function("inner", lambda A, B: np.array([[np.sum(A * B)]])),
    "max": Function("max", lambda a, b: np.maximum(a, b)),
}

# Every spelling of a function word, without its backslash (`\log` and `log` are one), and in
# \operatorname{..}, \mathrm{..}, \text{..}.
SPELLINGS: dict[str, str] = {
    **{f: f for f in FUNCTIONS},
    "ln": "log", "trace": "tr", "Tr": "tr", "LSE": "logsumexp", "sgn": "sign",
}
del SPELLINGS["inner"]  # ⟨A, B⟩ only
SIGMA_IS_SIGMOID = True  # `\sigma(` and `σ(` right before a parenthesis are the logistic function


# -- tokens ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    kind: str
    value: object
    pos: int


_POWER_BODY = r"-?\s*\d+(?:\.\d+)?(?:\s*/\s*\d+)?"
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
TOKENS = [  # (kind, regex); first match wins, so longer spellings come first
    ("skip", r"\s+|\\[,;:! ]|\\q?quad(?![A-Za-z])|\\(?:left|right)\s*\.|\\(?:left|right|[bB]igg?[lr]?)(?![A-Za-z])"),
    ("langle", r"\\langle(?![A-Za-z])|⟨"),
    ("rangle", r"\\rangle(?![A-Za-z])|⟩"),
    ("transpose", r"\^\s*(?:T|\\top|\\intercal|\{\s*(?:T|\\top|\\intercal)\s*\})|'|ᵀ"),
    ("invtranspose", r"\^\s*\{\s*-\s*(?:T|\\top)\s*\}|\^\s*-\s*T|⁻ᵀ"),
    ("hpower", r"\.\^\s*(?:\{\s*(?P<hp1>" + _POWER_BODY + r")\s*\}|(?P<hp2>-?\d+(?:\.\d+)?))"
               r"|\^\s*\{\s*(?:\\circ|∘)\s*(?P<hp3>" + _POWER_BODY + r")\s*\}|∘(?P<hp4>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)"),
    ("power", r"\^\s*(?:\{\s*(?P<p1>" + _POWER_BODY + r")\s*\}|(?P<p2>-?\d+(?:\.\d+)?))|(?P<p3>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+)"),
    ("caret", r"\^"),
    ("hadamard", r"\.\*|\\odot(?![A-Za-z])|\\circ(?![A-Za-z])|∘|⊙"),
    ("hdiv", r"\./|⊘"),
    ("times", r"\*|\\cdot(?![A-Za-z])|\\times(?![A-Za-z])|·"),
    ("kron", r"\\otimes(?![A-Za-z])|⊗"),
    ("plus", r"\+"),
    ("minus", r"-|−"),
    ("slash", r"/"),
    ("comma", r","),
    ("equals", r"="),
    ("lparen", r"\(|\[|\\\{"),
    ("rparen", r"\)|\]|\\\}"),
    ("lbrace", r"\{"),
    ("rbrace", r"\}"),
    ("norm", r"\\\||\|\||‖|\\Vert(?![A-Za-z])|\\lVert(?![A-Za-z])|\\rVert(?![A-Za-z])"),
    ("bar", r"\||\\vert(?![A-Za-z])|\\lvert(?![A-Za-z])|\\rvert(?![A-Za-z])"),
    ("sub", r"_\s*(?:\{\s*(?P<s1>F|1|2|\\infty|\\mathrm\{F\}|\\text\{F\})\s*\}|(?P<s2>F|1|2))"),
    ("frac", r"\\[dt]?frac(?![A-Za-z])"),
    ("ones", r"(?:\\mathbf\s*\{\s*1\s*\}|\\mathbb\s*\{\s*1\s*\}|𝟏)(?:_\s*(?:\{[A-Za-z0-9]+\}|[A-Za-z0-9]))?"),
    ("word", r"\\(?:operatorname|mathrm|text)\s*\{\s*(?P<w>[A-Za-z]+[12]?)\s*\}"),
    ("command", r"\\(?P<c>[A-Za-z]+)"),
    ("number", r"\d+(?:\.\d+)?|\.\d+"),
    ("letters", r"[A-Za-z]+"),
    ("greek", "[" + "".join(UNICODE_GREEK) + "]"),
]
_LEXER = re.compile("|".join(f"(?P<{kind}>{rx})" for kind, rx in TOKENS))
_NAME_TAIL = re.compile(r"_\s*\{\s*([A-Za-z0-9]+)\s*\}|_([A-Za-z0-9])|([0-9]+)")
_WORDS = sorted({*SPELLINGS, "ones"}, key=len, reverse=True)


def _fraction(text: str) -> Fraction:
    text = re.sub(r"\s+", "", text.translate(SUPERSCRIPTS))
    num, _, den = text.partition("/")
    if den and int(den) == 0:
        raise EvaluatorError(f"a zero denominator in the power {text}")
    return Fraction(num) / (Fraction(den) if den else 1)


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _LEXER.match(text, pos)
        if not m:
            raise EvaluatorError(f"unexpected character {text[pos]!r} at {pos} in {text!r}")
        kind, start, pos = m.lastgroup, m.start(), m.end()
        g = m.groupdict()
        if kind == "skip":
            continue
        if kind in ("power", "hpower"):
            body = next(g[k] for k in ("p1", "p2", "p3", "hp1", "hp2", "hp3", "hp4") if g.get(k) is not None)
            out.append(Token(kind, _fraction(body), start))
        elif kind == "sub":
            s = g["s1"] or g["s2"]
            out.append(Token("sub", "F" if "F" in s else "inf" if "infty" in s else s, start))
        elif kind == "word":
            word = g["w"]
            if word not in SPELLINGS:
                raise EvaluatorError(f"unknown function word {word!r} in {text!r}")
            out.append(Token("word", SPELLINGS[word], start))
        elif kind == "command":
            c = g["c"]
            if c in GREEK:
                pos = _name(text, c, start, pos, out)
            elif c in SPELLINGS:
                out.append(Token("word", SPELLINGS[c], start))
            else:
                raise EvaluatorError(f"unknown command \\{c} in {text!r}")
        elif kind == "greek":
            pos = _name(text, UNICODE_GREEK[m.group()], start, pos, out)
        elif kind == "letters":
            pos = _letters(text, m.group(), start, pos, out)
        elif kind == "number":
            out.append(Token("number", Fraction(m.group()), start))
        else:
            out.append(Token(kind, m.group(), start))
    out.append(Token("end", None, len(text)))
    return out


def _name(text: str, base: str, start: int, pos: int, out: list[Token]) -> int:
    tail = _NAME_TAIL.match(text, pos)
    name = base
    if tail:
        sub = tail.group(1) or tail.group(2)
        name = f"{base}_{sub}" if sub else base + tail.group(3)
        pos = tail.end()
    out.append(Token("name", name, start))
    return pos


def _letters(text: str, run: str, start: int, pos: int, out: list[Token]) -> int:
    """A run of ASCII letters: known words (longest first), else one letter per name (`AB` is
    A times B); digits or a subscript after the run belong to its last name (`W2`, `x_{i}`)."""
    digits = re.match(r"[0-9]+", text[pos:])
    if digits and run + digits.group() in SPELLINGS:  # norm1, norm2
        out.append(Token("word", SPELLINGS[run + digits.group()], start))
        return pos + digits.end()
    i = 0
    while i < len(run):
        word = next((w for w in _WORDS if run.startswith(w, i)), None)
        if word:
            out.append(Token("ones" if word == "ones" else "word", SPELLINGS.get(word, word), start + i))
            i += len(word)
            continue
        if i == len(run) - 1:
            return _name(text, run[i], start + i, pos, out)
        out.append(Token("name", run[i], start + i))
        i += 1
    return pos


# -- syntax tree ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    op: str                      # name number identity ones call add sub neg mul div kron hadamard
    args: tuple = ()             # hdiv transpose inverse invtranspose power hpower det norm
    value: object = None         # the name, the number, the function, the power, the norm's subscript

    def names(self) -> set[str]:
        out = {self.value} if self.op == "name" else set()
        for a in self.args:
            out |= a.names()
        return out


_STARTS_ATOM = {"name", "number", "lparen", "lbrace", "bar", "norm", "frac", "word", "ones", "langle"}


class Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.bars = 0    # open | ... | (a | after an operand then closes one)
        self.norms = 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self, kind: str | None = None) -> Token:
        t = self.tokens[self.i]
        if kind and t.kind != kind:
            raise EvaluatorError(f"expected {kind}, found {t.kind} {t.value!r} at {t.pos} in {self.text!r}")
        self.i += 1
        return t

    def parse(self) -> Node | tuple[Node, Node]:
        lhs = self.expr()
        if self.peek.kind == "equals":
            self.take()
            rhs = self.expr()
            self.take("end")
            return lhs, rhs
        self.take("end")
        return lhs

    def expr(self) -> Node:  # sum
        node = self.hadamard()
        while self.peek.kind in ("plus", "minus"):
            op = "add" if self.take().kind == "plus" else "sub"
            node = Node(op, (node, self.hadamard()))
        return node

    def hadamard(self) -> Node:
        node = self.signed()
        while self.peek.kind in ("hadamard", "hdiv"):
            op = self.take().kind
            node = Node(op, (node, self.signed()))
        return node

    def signed(self) -> Node:
        if self.peek.kind == "minus":
            self.take()
            return Node("neg", (self.signed(),))
        return self.product()

    def _continues(self) -> bool:
        k = self.peek.kind
        if k == "bar" and self.bars:
            return False
        if k == "norm" and self.norms:
            return False
        return k in _STARTS_ATOM

    def product(self) -> Node:
        node = self.postfix()
        while True:
            k = self.peek.kind
            if k == "times":
                self.take()
                node = Node("mul", (node, self.signed()))
            elif k == "slash":
                self.take()
                node = Node("div", (node, self.divisor()))
            elif k == "kron":
                self.take()
                node = Node("kron", (node, self.postfix()))
            elif self._continues():
                node = Node("mul", (node, self.postfix()))
            else:
                return node

    def divisor(self) -> Node:
        if self.peek.kind == "minus":
            self.take()
            return Node("neg", (self.divisor(),))
        return self.postfix()

    def postfix(self, bare: bool = False) -> Node:
        node = self.atom()
        while True:
            k = self.peek.kind
            if k == "transpose":
                node = Node("transpose", (node,))
            elif k == "invtranspose":
                node = Node("invtranspose", (node,))
            elif k == "power":
                p = self.peek.value
                node = Node("inverse", (node,)) if p == -1 else Node("power", (node,), p)
            elif k == "hpower":
                node = Node("hpower", (node,), self.peek.value)
            elif k == "caret":  # a^b, a^{x^T x}, X^{k-1}: an exponent that is not a number
                self.take()
                if self.peek.kind == "lbrace":
                    self.take()
                    exponent = self.group("rbrace")
                else:
                    exponent = self.atom()
                node = Node("vpower", (node, exponent))
                continue
            elif k == "sub" and node.op == "norm" and node.value is None:
                node = Node("norm", node.args, self.peek.value)
            elif k == "sub" and node.op == "power" and node.args[0].op == "norm" and node.args[0].value is None:
                node = Node("power", (Node("norm", node.args[0].args, self.peek.value),), node.value)
            else:
                return node
            self.take()

    def group(self, close: str = "rparen") -> Node:
        node = self.expr()
        self.take(close)
        return node

    def atom(self) -> Node:
        t = self.take()
        k = t.kind
        if k == "name":
            if t.value == "I":
                return Node("identity")
            if t.value == "e" and self.peek.kind == "power":  # e^2, e^{-1}
                return Node("call", (Node("number", value=self.take().value),), "exp")
            if t.value == "e" and self.peek.kind == "caret":  # e^{x^T x} is exp(x^T x)
                self.take()
                if self.peek.kind == "lbrace":
                    self.take()
                    return Node("call", (self.group("rbrace"),), "exp")
                return Node("call", (self.atom(),), "exp")
            if SIGMA_IS_SIGMOID and t.value == "sigma" and self.peek.kind == "lparen":
                return self.call("sigmoid")
            return Node("name", value=t.value)
        if k == "number":
            return Node("number", value=t.value)
        if k == "lparen":
            return self.group("rparen")
        if k == "lbrace":
            return self.group("rbrace")
        if k == "ones":
            return Node("ones")
        if k == "bar":
            self.bars += 1
            inner = self.expr()
            self.take("bar")
            self.bars -= 1
            return Node("det", (inner,))
        if k == "norm":
            self.norms += 1
            inner = self.expr()
            self.take("norm")
            self.norms -= 1
            return Node("norm", (inner,))
        if k == "frac":
            self.take("lbrace")
            num = self.group("rbrace")
            self.take("lbrace")
            den = self.group("rbrace")
            return Node("div", (num, den))
        if k == "langle":
            a = self.expr()
            self.take("comma")
            b = self.expr()
            self.take("rangle")
            return Node("call", (a, b), "inner")
        if k == "word":
            return self.call(t.value)
        raise EvaluatorError(f"unexpected {t.kind} {t.value!r} at {t.pos} in {self.text!r}")

    def call(self, word: str) -> Node:
        if word == "log" and self.peek.kind == "word" and self.peek.value == "det":  # log det X
            self.take()
            word = "logdet"
        if word == "log" and self.peek.kind == "word" and self.peek.value == "sum":  # \log\sum\exp
            j = self.i + 1
            if self.tokens[j].kind == "word" and self.tokens[j].value == "exp":
                self.i += 2
                word = "logsumexp"
        if self.peek.kind in ("lparen", "lbrace"):
            close = "rparen" if self.take().kind == "lparen" else "rbrace"
            args = [self.expr()]
            while self.peek.kind == "comma":
                self.take()
                args.append(self.expr())
            self.take(close)
            return Node("call", tuple(args), word)
        return Node("call", (self.postfix(),), word)  # \det X, \log|X|, \det X^{-1}


def parse(text: str) -> Node | tuple[Node, Node]:
    """The syntax tree of an expression, or of both sides of an identity."""
    return Parser(text).parse()


# -- shapes ---------------------------------------------------------------------------------

class Dim:
    """A dimension: known (an int) or unknown until unification (the size of I, of 𝟏)."""
    __slots__ = ("parent", "value")

    def __init__(self, value: int | None = None):
        self.parent, self.value = None, value

    def find(self) -> Dim:
        d = self
        while d.parent is not None:
            d = d.parent
        return d

    @property
    def size(self) -> int | None:
        return self.find().value


def _fits(a: Dim, b: Dim) -> bool:
    x, y = a.size, b.size
    return x is None or y is None or x == y


def _unify(a: Dim, b: Dim, why: str) -> None:
    ra, rb = a.find(), b.find()
    if ra is rb:
        return
    if ra.value is not None and rb.value is not None and ra.value != rb.value:
        raise EvaluatorError(f"{why}: sizes {ra.value} and {rb.value} differ")
    if ra.value is None:
        ra.parent = rb
    else:
        rb.parent = ra


ONE = 1


def _is_scalar(shape) -> bool:
    return shape[0].size == 1 and shape[1].size == 1


def _could_be_scalar(shape) -> bool:
    return all(d.size in (None, 1) for d in shape)


@dataclass
class Compiled:
    """A node with its shape and a function of the values; `constant`: no variable in it."""
    shape: tuple
    run: Callable
    constant: bool = False


@dataclass
class Plan:
    """A tree compiled for one set of variable shapes."""
    root: Compiled
    free: list = field(default_factory=list)  # (Dim, default or None) of I and 𝟏


def _broadcast(a: Compiled, b: Compiled, what: str):
    """Shape of an elementwise combination: equal shapes, or a numeric constant next to an array."""
    if _fits(a.shape[0], b.shape[0]) and _fits(a.shape[1], b.shape[1]):
        _unify(a.shape[0], b.shape[0], what)
        _unify(a.shape[1], b.shape[1], what)
        return a.shape
    for const, other in ((a, b), (b, a)):
        if const.constant and _is_scalar(const.shape):
            return other.shape
    raise EvaluatorError(f"{what}: shapes {_show(a.shape)} and {_show(b.shape)} differ")


def _show(shape) -> str:
    return "×".join(str(d.size or "?") for d in shape)


def _square(shape, what: str) -> Dim:
    _unify(shape[0], shape[1], f"{what} needs a square matrix")
    return shape[0]


def _scalar_shape():
    return (Dim(ONE), Dim(ONE))


def _compile(node: Node, shapes: dict, plan: Plan) -> Compiled:
    op = node.op
    if op == "name":
        if node.value not in shapes:
            raise EvaluatorError(f"no value for {node.value}")
        r, c = shapes[node.value]
        name = node.value
        return Compiled((Dim(r), Dim(c)), lambda v: v[name])
    if op == "number":
        value = np.array([[float(node.value)]])
        return Compiled(_scalar_shape(), lambda v: value, True)
    if op == "identity":
        d = Dim()
        plan.free.append((d, None))
        return Compiled((d, d), lambda v: np.eye(d.size), True)
    if op == "ones":
        r, c = Dim(), Dim()
        plan.free += [(r, None), (c, ONE)]  # 𝟏 is a column unless its context says otherwise
        return Compiled((r, c), lambda v: np.ones((r.size, c.size)), True)
    args = [_compile(a, shapes, plan) for a in node.args]
    const = all(a.constant for a in args)
    if op in ("add", "sub", "hadamard", "hdiv"):
        a, b = args
        shape = _broadcast(a, b, {"add": "a sum", "sub": "a difference"}.get(op, "an elementwise operation"))
        f, g = a.run, b.run
        fn = {"add": np.add, "sub": np.subtract, "hadamard": np.multiply, "hdiv": np.divide}[op]
        return Compiled(shape, lambda v: fn(f(v), g(v)), const)
    if op == "neg":
        f = args[0].run
        return Compiled(args[0].shape, lambda v: -f(v), const)
    if op == "mul":
        a, b = args
        f, g = a.run, b.run
        if _is_scalar(a.shape) or _is_scalar(b.shape):
            shape = b.shape if _is_scalar(a.shape) else a.shape
            return Compiled(shape, lambda v: f(v) * g(v), const)
        if a.shape[0].size == 1 and a.shape[1].size is None:  # (xᵀ 𝟏) y: 𝟏 is a vector, xᵀ 𝟏 a number
            _unify(a.shape[1], Dim(ONE), "a product")
            return Compiled(b.shape, lambda v: f(v) * g(v), const)
        if not _fits(a.shape[1], b.shape[0]):  # a 1×1 whose size was still open: a scalar
            for s in (a, b):
                if _could_be_scalar(s.shape):
                    _unify(s.shape[0], Dim(ONE), "a product")
                    _unify(s.shape[1], Dim(ONE), "a product")
                    return Compiled(b.shape if s is a else a.shape, lambda v: f(v) * g(v), const)
        _unify(a.shape[1], b.shape[0], "a product")
        return Compiled((a.shape[0], b.shape[1]), lambda v: f(v) @ g(v), const)
    if op == "div":
        a, b = args
        _unify(b.shape[0], Dim(ONE), "a divisor must be a scalar")
        _unify(b.shape[1], Dim(ONE), "a divisor must be a scalar")
        f, g = a.run, b.run
        return Compiled(a.shape, lambda v: f(v) / g(v), const)
    if op == "kron":
        return _call("kron", args, const)
    if op == "transpose":
        f = args[0].run
        return Compiled(args[0].shape[::-1], lambda v: f(v).T, const)
    if op in ("inverse", "invtranspose"):
        a = args[0]
        d = _square(a.shape, "an inverse")
        f = a.run
        if op == "inverse":
            return Compiled((d, d), lambda v: _inv(f(v)), const)
        return Compiled((d, d), lambda v: _inv(f(v)).T, const)
    if op == "power":
        a, p = args[0], node.value
        f = a.run
        if _is_scalar(a.shape):
            e = float(p)
            return Compiled(a.shape, lambda v: np.power(f(v), e), const)
        d = _square(a.shape, "a power of a matrix")
        if p.denominator != 1:
            raise EvaluatorError(f"a fractional power {p} of a matrix")
        k = int(p)
        if k >= 0:
            return Compiled((d, d), lambda v: np.linalg.matrix_power(f(v), k), const)
        return Compiled((d, d), lambda v: np.linalg.matrix_power(_inv(f(v)), -k), const)
    if op == "vpower":  # a scalar to a scalar; a square matrix to a whole number
        a, b = args
        _unify(b.shape[0], Dim(ONE), "an exponent must be a scalar")
        _unify(b.shape[1], Dim(ONE), "an exponent must be a scalar")
        f, g = a.run, b.run
        if _is_scalar(a.shape):
            return Compiled(a.shape, lambda v: np.power(f(v), g(v)), const)
        d = _square(a.shape, "a power of a matrix")

        def matrix_power(v):
            p = float(g(v)[0, 0])
            if p != round(p):
                raise EvaluatorError(f"the exponent {p} of a matrix power is not whole")
            m = f(v)
            return np.linalg.matrix_power(m if p >= 0 else _inv(m), abs(int(round(p))))
        return Compiled((d, d), matrix_power, const)
    if op == "hpower":
        e, f = float(node.value), args[0].run
        return Compiled(args[0].shape, lambda v: np.power(f(v), e), const)
    if op == "det":  # |X|: det of a square matrix, |a| the absolute value of a scalar
        a = args[0]
        f = a.run
        if _is_scalar(a.shape):
            return Compiled(a.shape, lambda v: np.abs(f(v)), const)
        if _could_be_scalar(a.shape):  # 𝟏ᵀx: the size of 𝟏 is settled by the end of compiling
            square = _call("det", args, const)
            return Compiled(square.shape, lambda v: np.abs(f(v)) if _is_scalar(a.shape) else square.run(v), const)
        return _call("det", args, const)
    if op == "norm":
        a, sub = args[0], node.value
        f = a.run
        if a.shape[1].size == 1 or a.shape[0].size == 1:
            if sub == "1":
                return Compiled(_scalar_shape(), lambda v: np.array([[np.sum(np.abs(f(v)))]]), const)
            if sub == "inf":
                return Compiled(_scalar_shape(), lambda v: np.array([[np.max(np.abs(f(v)))]]), const)
            return Compiled(_scalar_shape(), lambda v: np.array([[np.sqrt(np.sum(f(v) ** 2))]]), const)
        if sub == "F":
            return Compiled(_scalar_shape(), lambda v: np.array([[np.sqrt(np.sum(f(v) ** 2))]]), const)
        if sub == "1":
            return Compiled(_scalar_shape(), lambda v: np.array([[np.sum(np.abs(f(v)))]]), const)
        if sub == "2":
            return Compiled(_scalar_shape(), lambda v: np.array([[np.linalg.norm(f(v), 2)]]), const)
        raise EvaluatorError("‖X‖ of a matrix is ambiguous: write ‖X‖_F")
    if op == "call":
        return _call(node.value, args, const)
    raise EvaluatorError(f"unknown node {op}")  # pragma: no cover


def _call(word: str, args: list[Compiled], const: bool) -> Compiled:
    fn = FUNCTIONS[word]
    kind = fn.shape
    two = kind in ("kron", "inner", "max")
    if len(args) != (2 if two else 1):
        raise EvaluatorError(f"{word} takes {2 if two else 1} argument(s), not {len(args)}")
    value = fn.value
    if two:
        a, b = args
        f, g = a.run, b.run
        if kind == "kron":
            if None in (a.shape[0].size, a.shape[1].size, b.shape[0].size, b.shape[1].size):
                raise EvaluatorError("kron of an argument whose size is not known")
            shape = (Dim(a.shape[0].size * b.shape[0].size), Dim(a.shape[1].size * b.shape[1].size))
            return Compiled(shape, lambda v: value(f(v), g(v)), const)
        if kind == "inner":
            _unify(a.shape[0], b.shape[0], "⟨A, B⟩")
            _unify(a.shape[1], b.shape[1], "⟨A, B⟩")
            return Compiled(_scalar_shape(), lambda v: value(f(v), g(v)), const)
        shape = _broadcast(a, b, "max")  # max(0, z): relu
        return Compiled(shape, lambda v: value(f(v), g(v)), const)
    a = args[0]
    f = a.run
    if kind == "elementwise":
        return Compiled(a.shape, lambda v: value(f(v)), const)
    if kind == "square->scalar":
        _square(a.shape, word)
        return Compiled(_scalar_shape(), lambda v: value(f(v)), const)
    if kind == "scalar":
        return Compiled(_scalar_shape(), lambda v: value(f(v)), const)
    if kind == "vector->scalar":
        _unify(a.shape[1], Dim(ONE), f"{word} needs a vector")
        return Compiled(_scalar_shape(), lambda v: value(f(v)), const)
    if kind == "vector":
        _unify(a.shape[1], Dim(ONE), f"{word} needs a vector")
        return Compiled(a.shape, lambda v: value(f(v)), const)
    if kind == "square":
        d = _square(a.shape, word)
        return Compiled((d, d), lambda v: value(f(v)), const)
    if kind == "diag":
        r, c = a.shape
        if c.size == 1 and r.size != 1:  # diag(v): the diagonal matrix
            return Compiled((r, r), lambda v: value(f(v)), const)
        d = _square(a.shape, "diag of a matrix")  # diag(X): the diagonal as a vector
        return Compiled((d, Dim(ONE)), lambda v: value(f(v)), const)
    if kind == "vec":
        r, c = a.shape
        if r.size is None or c.size is None:
            raise EvaluatorError("vec of an argument whose size is not known")
        return Compiled((Dim(r.size * c.size), Dim(ONE)), lambda v: value(f(v)), const)
    raise EvaluatorError(f"unknown function kind {kind}")  # pragma: no cover


def compile_tree(tree: Node, shapes: dict) -> Plan:
    plan = Plan(None)
    plan.root = _compile(tree, shapes, plan)
    for d, default in plan.free:
        if d.size is None and default is not None:
            _unify(d, Dim(default), "a default size")
    for d, _ in plan.free:
        if d.size is None:
            raise EvaluatorError("the size of I or 𝟏 cannot be inferred here")
    return plan


class Expression:
    """A parsed expression, compiled once per set of variable shapes and then evaluated."""

    def __init__(self, text: str):
        self.text = text
        tree = parse(text)
        if isinstance(tree, tuple):
            raise EvaluatorError(f"an identity, not an expression: {text!r}")
        self.tree = tree
        self.names = tree.names()
        self._plans: dict = {}

    def plan(self, values: dict) -> Plan:
        shapes = {k: np.shape(values[k]) for k in self.names if k in values}
        key = tuple(sorted(shapes.items()))
        if key not in self._plans:
            self._plans[key] = compile_tree(self.tree, shapes)
        return self._plans[key]

    def shape(self, values: dict) -> tuple[int, int]:
        r, c = self.plan(values).root.shape
        return r.size, c.size

    def __call__(self, values: dict) -> np.ndarray:
        for k in self.names:
            if k in values and np.ndim(values[k]) != 2:
                raise EvaluatorError(f"the value of {k} must be a 2-D array")
        out = self.plan(values).root.run(values)
        return np.asarray(out, dtype=float)


def evaluate(text: str, values: dict) -> np.ndarray:
    """The value of `text` (a 2-D array) with `values` for its variables (2-D arrays)."""
    return Expression(text)(values)

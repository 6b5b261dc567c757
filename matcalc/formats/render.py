"""Expressions → strings: `text` (matcalc's own ASCII input language, so output can be fed
back in), `unicode` (what the pretty renderer colours) and `latex`. No mathematics here:
only precedence, notation and names. NumPy code is in `numpy_code`."""
from __future__ import annotations

from fractions import Fraction

from ..calculus import functions
from ..errors import MatcalcError
from ..frozen import Frozen
from ..calculus.expr import (
    Add, Const, Det, Differential, DifferentialOf, Expr, Func, Hadamard, HadamardPower, Identity, MatMul, Norm,
    Ones, Power, PowerDifferential, Sum, Sym, Trace, Transpose, Zero,
)
from ..calculus.expr import ONE
from ..calculus.expr import Commutation, Diag, Diagonal, IndexForm, Kron, Vec, VariablePower, index_axes

GREEK_UNICODE = dict(zip(
    "alpha beta gamma delta epsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho sigma tau "
    "upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split(),
    "αβγδεζηθϑικλμνξπρστυφϕχψωΓΔΘΛΞΠΣΥΦΨΩ",  # \phi φ, \varphi ϕ: two letters, drawn apart
))
_SUPER = str.maketrans("0123456789-/T", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᐟᵀ")
# letters with a superscript form (no q), for exponents such as k - 1 drawn as ᵏ⁻¹
_SUPERSCRIPTABLE = "abcdefghijklmnoprstuvwxyz0123456789+-"
_SUPER_LETTERS = str.maketrans(_SUPERSCRIPTABLE, "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
_SUB = str.maketrans("0123456789aeijkmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉ₐₑᵢⱼₖₘₙₒₚᵣₛₜᵤᵥₓ")

MAX_BITS = 13_300  # about 4000 digits: Python will not write integers of over 4300 digits

# precedence: how tightly an expression binds
SUM, HADAMARD, PRODUCT, POSTFIX, ATOM = 1, 2, 3, 4, 5


class Style(Frozen):
    """A notation: its name and how it writes a product, ∘, ⊘ and ∇."""

    __slots__ = _fields = _compared = _shown = ("name", "times", "hadamard", "hadamard_div", "nabla")

    def __init__(self, name: str, times: str, hadamard: str, hadamard_div: str, nabla: str):
        self._set(name, times, hadamard, hadamard_div, nabla)

    def greek(self, letters: str) -> str:
        return GREEK_UNICODE[letters] if self.name == "unicode" else "\\" + letters

    def sup(self, s: str) -> str:
        if self.name == "unicode" and all(c in "0123456789-/T" for c in s):
            return s.translate(_SUPER)
        if self.name == "unicode":  # no LaTeX braces at a terminal: a^(xᵀ x)
            return "^" + s if len(s) == 1 else "^(" + s + ")"
        if self.name == "text" and len(s) == 1:
            return "^" + s
        return "^{" + s + "}"

    def sub(self, s: str) -> str:
        if self.name == "unicode" and all(c in "0123456789aeijkmnoprstuvx" for c in s):
            return s.translate(_SUB)
        if self.name == "unicode" and len(s) > 1:  # K_(qm), as ∇_W₁ writes its subscript
            return "_(" + s + ")"
        return "_" + s if len(s) == 1 else "_{" + s + "}"


TEXT = Style("text", " ", " .* ", " ./ ", "\\nabla")
UNICODE = Style("unicode", " ", " ∘ ", " ⊘ ", "∇")
LATEX = Style("latex", " ", " \\circ ", "", "\\nabla")  # no ⊘ in LaTeX input: X^{\circ -1}
STYLES = {"text": TEXT, "unicode": UNICODE, "latex": LATEX}
_TRANSPOSED = {style.name: style.sup("T") for style in STYLES.values()}  # ᵀ in each style


_NAMES: dict[tuple[str, str], str] = {}  # (canonical, style name) → written: every leaf asks


def name(canonical: str, style: Style) -> str:
    """The canonical name ("mu", "W_2", "x_12") written in a style."""
    key = (canonical, style.name)  # all that the result depends on
    written = _NAMES.get(key)
    if written is None:
        if len(_NAMES) >= 4096:  # a long batch may name ever new variables
            _NAMES.clear()
        written = _NAMES[key] = _written_name(canonical, style)
    return written


# A decorated name ("yhat", language/parser.py) drawn with a combining mark, or written as read
_ACCENTS = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303"}


def _written_name(canonical: str, style: Style) -> str:
    base, _, subscript = canonical.partition("_")
    letters = base.rstrip("0123456789")
    digits = base[len(letters):]
    accent = next((a for a in _ACCENTS if letters.endswith(a) and len(letters) > len(a)), None)
    if accent:
        letters = letters[:-len(accent)]
    head = style.greek(letters) if len(letters) > 1 else letters
    if accent:
        if style.name == "unicode":  # ŷ precomposed where Unicode has it, θ̂ with a combining mark
            import unicodedata

            head = unicodedata.normalize("NFC", head + _ACCENTS[accent])
        else:
            head = f"\\{accent}{{{head}}}"
    if style.name == "latex" and digits:
        return head + "_{" + digits + "}" if not subscript else head + digits + style.sub(subscript)
    if subscript and style.name != "unicode" and head.startswith("\\") and len(subscript) == 1:
        return head + "_" + subscript
    return head + digits + (style.sub(subscript) if subscript else "")


def fraction(c: Fraction, style: Style) -> str:
    if max(c.numerator.bit_length(), c.denominator.bit_length()) > MAX_BITS:
        raise MatcalcError("a number in the result has more than 4000 digits")
    if c.denominator == 1:
        return str(c.numerator)
    if style.name == "latex":
        return f"\\frac{{{c.numerator}}}{{{c.denominator}}}"
    return f"{c.numerator}/{c.denominator}"


def render(e: Expr, style: Style = TEXT) -> str:
    return _Renderer(style).go(e)


class _Renderer:
    def __init__(self, style: Style):
        self.s = style
        self.bars = 0  # how many bars |…| or ‖…‖ enclose the node being written

    def within_bars(self, e: Expr) -> str:
        self.bars += 1
        try:
            return self.go(e)
        finally:
            self.bars -= 1

    def go(self, e: Expr, context: int = 0) -> str:
        text, prec = self.node(e)
        return f"{self._lparen()}{text}{self._rparen()}" if prec < context else text

    def _lparen(self):
        return "\\left(" if self.s.name == "latex" else "("

    def _rparen(self):
        return "\\right)" if self.s.name == "latex" else ")"

    def fn(self, word: str) -> str:
        if self.s.name != "latex":
            return word
        return {"tr": "\\operatorname{tr}", "sum": "\\operatorname{sum}"}.get(word, "\\" + word)

    def node(self, e: Expr) -> tuple[str, int]:
        s = self.s
        kind = type(e)  # the commonest nodes first, by type (as the isinstance tests below find them)
        if kind is Add:
            return self.sum(e.terms), SUM
        if kind is Trace:
            return f"{self.fn('tr')}({self.go(e.arg)})", ATOM
        if isinstance(e, Sym):
            return name(e.name, s), ATOM
        if isinstance(e, Transpose):  # the commonest nodes first: no node type derives from another
            return self.go(e.arg, POSTFIX + 1) + s.sup("T"), POSTFIX
        if isinstance(e, MatMul):
            text = self.names(e.factors)
            if text is not None:  # (most products)
                return text, PRODUCT
            if len(e.factors) == 2 and type(e.factors[0]) is Const and e.factors[0].value == 1:
                return self.node(e.factors[1])  # 1 ./ x as written, 1 · x^{∘-1}: not ((1 ./ x))
            return self.product(e.factors)
        if isinstance(e, Differential):
            d = "\\mathrm{d}" if s.name == "latex" else "d"
            return d + name(e.var.name, s), ATOM
        if isinstance(e, DifferentialOf):  # d tanh(W x), d(W x): a line of a derivation
            d = "\\mathrm{d}" if s.name == "latex" else "d"
            inner, prec = self.node(e.arg)
            if prec == ATOM and not inner.startswith(("(", "\\left(")) and not isinstance(e.arg, Sym):
                return f"{d}\\," + inner if s.name == "latex" else f"{d} {inner}", POSTFIX
            return f"{d}\\left({self.go(e.arg)}\\right)" if s.name == "latex" else f"{d}({self.go(e.arg)})", ATOM
        if isinstance(e, Const):
            text = fraction(e.value, s)
            return text, ATOM if e.value >= 0 and e.value.denominator == 1 else PRODUCT
        if isinstance(e, Identity):
            return "I", ATOM
        if isinstance(e, Ones):
            ones = {"text": "ones", "unicode": "𝟏", "latex": "\\mathbf{1}"}[s.name]
            if e.dims[0] == 1 and e.dims[1] != 1:  # a row: 𝟏ᵀ, as in 𝟏ᵀ exp(W x)
                return ones + s.sup("T"), POSTFIX
            return ones, ATOM
        if isinstance(e, Zero):
            return "0", ATOM
        if isinstance(e, Add):
            return self.sum(e.terms), SUM
        if isinstance(e, Power):
            return self.power(e)
        if isinstance(e, Trace):
            return f"{self.fn('tr')}({self.go(e.arg)})", ATOM
        if isinstance(e, Sum):
            return f"{self.fn('sum')}({self.go(e.arg)})", ATOM
        if isinstance(e, Det):
            # |det X| (bars around bars): the inner one as det(X), since ||X|| is a norm
            inner = f"{self.fn('det')}({self.go(e.arg.arg)})" if isinstance(e.arg, Det) else self.within_bars(e.arg)
            if s.name == "latex":
                return f"\\left| {inner} \\right|", ATOM
            return f"|{inner}|", ATOM
        if isinstance(e, Norm):
            sub = "_F" if e.kind == "F" else ""
            if s.name == "latex":
                return f"\\left\\| {self.go(e.arg)} \\right\\|{sub}", ATOM
            bar = "‖" if s.name == "unicode" else "\\|"
            text = f"{bar}{self.within_bars(e.arg)}{bar}{sub}"
            # inside other bars, text bars could close the outer ones: \|y (\|x\|)^T\|
            return (f"({text})" if self.bars and s.name == "text" else text), ATOM
        if isinstance(e, Func):
            if s.name == "latex" and e.name == "sqrt":
                return f"\\sqrt{{{self.go(e.arg)}}}", POSTFIX  # \sqrt{X}^2 would read as √(X²)
            if e.name == "log" and (isinstance(e.arg, Det) or _is_bars(e.arg)):  # log|X|, as the textbook writes it
                return f"{self.fn('log')}{self.go(e.arg)}", PRODUCT
            if _is_bars(e):  # |a| of a scalar reads back as its absolute value; |det X| as |det(X)|
                inner = f"{self.fn('det')}({self.go(e.arg.arg)})" if isinstance(e.arg, Det) else self.go(e.arg)
                return (f"\\left| {inner} \\right|" if s.name == "latex" else f"|{inner}|"), ATOM
            f = functions.lookup(e.name)
            word = {"text": f.name, "unicode": f.unicode, "latex": f.latex}[s.name]
            if "{0}" in word:  # a form of its own: ‖X‖₁
                return word.format(self.go(e.arg)), ATOM
            return f"{word}({self.go(e.arg)})", ATOM
        if isinstance(e, Hadamard):
            return self.hadamard(e.factors), HADAMARD
        if isinstance(e, HadamardPower):
            if e.exponent == -1 and s.hadamard_div:
                return f"1{s.hadamard_div}{self.go(e.base, POSTFIX)}", HADAMARD
            p = fraction(e.exponent, TEXT if s.name == "latex" else s)  # ^{\circ 1/2} parses back
            base = self.go(e.base, POSTFIX + 1)
            if s.name == "text":
                return f"{base}.^{p}" if len(p) == 1 else f"{base}.^{{{p}}}", POSTFIX
            if s.name == "latex":
                return f"{base}^{{\\circ {p}}}", POSTFIX
            return f"{base}∘{p.translate(_SUPER)}", POSTFIX
        if isinstance(e, VariablePower):  # a^b, a^{xᵀ x}, (Xᵀ)^{k - 1}; in Unicode aᵇ, (Xᵀ)ᵏ⁻¹
            exponent = self.go(e.exponent)
            if s.name == "unicode" and all(c in _SUPERSCRIPTABLE for c in exponent.replace(" ", "")):
                return self.go(e.base, POSTFIX + 1) + exponent.replace(" ", "").translate(_SUPER_LETTERS), POSTFIX
            return self.go(e.base, POSTFIX + 1) + s.sup(exponent), POSTFIX
        if isinstance(e, PowerDifferential):
            x = self.go(e.base, POSTFIX + 1)
            top = self.go(e.exponent, SUM + 1) + " - 1" if isinstance(e.exponent, Expr) else str(int(e.exponent) - 1)
            written = top.replace(" ", "")
            if s.name == "unicode" and all(c in _SUPERSCRIPTABLE for c in written):  # Σᵣ₌₀ᵏ⁻¹ Xʳ dX Xᵏ⁻¹⁻ʳ
                up = (written + "-r").translate(_SUPER_LETTERS)
                return f"Σᵣ₌₀{written.translate(_SUPER_LETTERS)} {x}ʳ {self.go(e.dbase, POSTFIX)} {x}{up}", SUM
            if s.name == "unicode":  # an exponent without superscript letters: Σ_(r=0)^(q - 1) X^r dX X^(q - 1 - r)
                return f"Σ_(r=0)^({top}) {x}^r {self.go(e.dbase, POSTFIX)} {x}^({top} - r)", SUM
            sig = "\\sum"
            if isinstance(e.exponent, Expr):  # a symbolic k
                top = self.go(e.exponent, SUM + 1) + " - 1"
                return f"{sig}_{{r=0}}^{{{top}}} {x}^{{r}} {self.go(e.dbase, POSTFIX)} {x}^{{{top} - r}}", SUM
            k = int(e.exponent)
            return f"{sig}_{{r=0}}^{{{k - 1}}} {x}^{{r}} {self.go(e.dbase, POSTFIX)} {x}^{{{k - 1}-r}}", SUM
        if isinstance(e, (Diag, Diagonal, Vec, Kron)):
            return self.jacobian_node(e)
        if isinstance(e, Commutation):  # K_{mn}, with the symbolic sizes
            return "K" + self.s.sub(dims_subscript(e.m, e.n)), ATOM
        if isinstance(e, IndexForm):
            return self.index_form(e), ATOM
        raise TypeError(f"cannot render {type(e).__name__}")  # pragma: no cover

    def jacobian_node(self, e: Expr) -> tuple[str, int]:
        """diag(v) (both ways, as numpy.diag), vec(M), and A ⊗ B (kron(A, B) in text)."""
        if isinstance(e, Kron):
            if self.s.name == "text":
                return f"kron({self.go(e.left)}, {self.go(e.right)})", ATOM
            op = " ⊗ " if self.s.name == "unicode" else " \\otimes "
            # ⊗ is associative and read from the left: (A ⊗ B) ⊗ C is written A ⊗ B ⊗ C
            left = self.go(e.left, HADAMARD if isinstance(e.left, Kron) else POSTFIX)
            return left + op + self.go(e.right, POSTFIX), HADAMARD
        word = "vec" if isinstance(e, Vec) else "diag"
        if self.s.name == "latex":
            word = f"\\operatorname{{{word}}}"
        return f"{word}({self.go(e.arg)})", ATOM

    def index_form(self, e: IndexForm) -> str:
        """[Aᵢₐ Bₐⱼ δₖₗ + ...]ᵢⱼ,ₖₗ: the entry (i j), (k l) of a Jacobian, repeated labels summed."""
        s = self.s
        terms = []
        for coefficient, factors in e.terms:
            parts = []
            for op, labels in factors:
                if isinstance(op, Identity):
                    head = {"text": "delta", "unicode": "δ", "latex": "\\delta"}[s.name]
                else:
                    head = self.go(op, POSTFIX + 1)
                parts.append(head + (_index_sub(_pairs_slowest_first(labels), s) if labels else ""))
            body = " ".join(parts) or "1"
            c = self.go(coefficient, PRODUCT) if coefficient.is_scalar and coefficient != Const(Fraction(1)) else ""
            c = "-" if c == "-1" else c  # -A_ka B_al, not -1 A_ka B_al
            terms.append((c + " " if c and c != "-" else c) + body)
        text = " + ".join(terms).replace("+ -", "- ")
        f_axes = sum(1 for c in e.outputs if c in "ij")
        where = e.outputs[:f_axes] + "," + e.outputs[f_axes:] if f_axes else e.outputs  # a gradient: G_kl
        subscript = _index_sub(where, s)
        if s.name == "latex":
            return f"\\left[{text}\\right]{subscript}"
        return f"[{text}]{subscript}"

    def sum(self, terms) -> str:
        out = []
        for i, t in enumerate(terms):
            if type(t) is MatMul:  # a product of names, after a whole number over 1 or not (most terms)
                text = self.names(t.factors)
                if text is not None:
                    out.append(" + " + text if i else text)
                    continue
            negative = isinstance(t, Const) and t.value < 0 or (
                isinstance(t, MatMul) and isinstance(t.factors[0], Const) and t.factors[0].value < 0)
            if negative:
                body = self.go(_negate(t), SUM + 1)
                out.append(("-" if i == 0 else " - ") + body)
            else:
                out.append(("" if i == 0 else " + ") + self.go(t, SUM + 1))
        return "".join(out)

    def product(self, factors) -> tuple[str, int]:
        s = self.s
        coefficient = _ONE  # a shared Fraction(1): building one is not free, and `*=` rebinds
        numerator, denominator = [], []
        for f in factors:
            if isinstance(f, Const):  # mostly the only one: its value, not 1 · value built
                coefficient = f.value if coefficient is _ONE else coefficient * f.value
            elif isinstance(f, Power) and f.base.is_scalar and f.exponent < 0:
                denominator.append(f.base if f.exponent == -1 else Power(f.base, -f.exponent))
            else:
                numerator.append(f)
        if coefficient is not _ONE and coefficient < 0:  # mostly no Const: Fraction's < is Python code
            rest = self.product([Const(-coefficient), *numerator, *(Power(d, -1) for d in denominator)])[0]
            return "-" + rest, PRODUCT
        if s.name == "latex" and denominator:
            if len(numerator) == 1 and coefficient.numerator == 1:  # \frac{A x + Aᵀ x}{…}: no parentheses
                num = self.go(numerator[0])
            else:
                num = self.juxtapose(numerator, Fraction(coefficient.numerator)) or "1"
            den = self.juxtapose(denominator, Fraction(coefficient.denominator)) or "1"
            return f"\\frac{{{num}}}{{{den}}}", ATOM
        if denominator and coefficient.denominator != 1:
            # (1/2) / √x reads as 1 / (2 √x), (1/2) ‖x‖² / σ² as ‖x‖² / (2 σ²), as in \frac: the
            # coefficient's denominator goes below
            denominator = [Const(Fraction(coefficient.denominator)), *denominator]
            coefficient = Fraction(coefficient.numerator)
        text = self.juxtapose(numerator, coefficient)
        if not text and not denominator:  # (1/2) 2 as written: the product is 1, not nothing
            return "1", ATOM
        if denominator:
            den = self.juxtapose(denominator, Fraction(1))
            if (len(denominator) > 1 or self.node(denominator[0])[1] < POSTFIX) and not _enclosed(den):
                den = f"{self._lparen()}{den}{self._rparen()}"
            text = f"{text or '1'} / {den}"
        return text, PRODUCT

    def juxtapose(self, factors, coefficient: Fraction) -> str:
        unit = coefficient is _ONE or coefficient == 1  # mostly the shared _ONE: `is` first
        parts = [] if unit else [fraction(coefficient, self.s)]
        if not unit and coefficient.denominator != 1 and self.s.name != "latex":
            parts = [f"{self._lparen()}{parts[0]}{self._rparen()}"] if factors else parts
        matrices = None  # whether some factor is a matrix: asked only of a factor that is not a name
        first = None  # the first matrix factor: its rows are the product's
        names, style = _NAMES, self.s.name
        for i, f in enumerate(factors):
            kind = type(f)
            if kind is Sym or kind is Transpose and type(f.arg) is Sym:  # most factors: no parentheses
                if kind is Sym:
                    parts.append(names.get((f.name, style)) or name(f.name, self.s))
                else:
                    parts.append((names.get((f.arg.name, style)) or name(f.arg.name, self.s)) + _TRANSPOSED[style])
                if first is None and not f.is_scalar:
                    first = f
                continue
            if matrices is None:
                matrices = any(not g.is_scalar for g in factors)
            negative = (isinstance(f, Const) and f.value < 0) or (
                isinstance(f, MatMul) and isinstance(f.factors[0], Const) and f.factors[0].value < 0)
            # `a / b c` reads as a / (b c), and xᵀy A as a chain: such factors get parentheses
            # and so does a product that starts with a 1×1 run, after another factor: w^T G (x^T U x u)
            enclose = negative or (i < len(factors) - 1 and self._divides(f)) or (matrices and _is_unit(f)) or (
                i > 0 and _opens_with_unit(f))
            if first is not None and first.shape[0] == 1 and isinstance(f, Ones) and 1 not in f.dims:
                # after a row, 𝟏 reads as a vector ((xᵀ 𝟏) y, language/kinds.py): the matrix of ones is 𝟏 𝟏ᵀ
                parts.append(self.go(Ones((f.dims[0], 1))) + self.s.times + self.go(Ones((1, f.dims[1]))))
            else:
                parts.append(self.go(f, ATOM if enclose else PRODUCT))
            if first is None and not f.is_scalar:
                first = f
        return self.s.times.join(parts)

    def names(self, factors) -> str | None:
        """A product of variables, their transposes and traces, after a whole number over 1 or not
        (most products of a result and an input), as `product` writes it, read once; None for any
        other product."""
        parts = []
        names, style = _NAMES, self.s.name
        for f in factors:
            kind = type(f)
            if kind is Sym:
                parts.append(names.get((f.name, style)) or name(f.name, self.s))
            elif kind is Transpose and type(f.arg) is Sym:
                parts.append((names.get((f.arg.name, style)) or name(f.arg.name, self.s)) + _TRANSPOSED[style])
            elif kind is Const and not parts and f.value.denominator == 1 and f.value > 1:
                parts.append(fraction(f.value, self.s))
            elif kind is Trace:  # 3 tr(A X): as `product` writes it, without parentheses
                parts.append(f"{self.fn('tr')}({self.go(f.arg)})")
            else:
                return None
        return self.s.times.join(parts)

    def _divides(self, f: Expr) -> bool:
        """Whether f is written with a `/` at its top level (text and Unicode only)."""
        if self.s.name == "latex":
            return False
        for g in f.factors if isinstance(f, MatMul) else (f,):  # not any(...): a generator per call
            if isinstance(g, Power) and g.base.is_scalar and g.exponent < 0:
                return True
        return False

    def hadamard(self, factors) -> str:
        """A ∘ B ∘ …; a factor that is a product is parenthesised, ((…) W₂) ∘ (…)ᵀ, though ∘
        binds looser than juxtaposition: the reader need not know it."""
        out = []
        for i, f in enumerate(factors):
            if isinstance(f, HadamardPower) and f.exponent == -1 and i > 0 and self.s.hadamard_div:
                out.append(self.s.hadamard_div + self.go(f.base, POSTFIX))
            else:
                out.append(("" if i == 0 else self.s.hadamard) + self.go(f, POSTFIX))
        return "".join(out)

    def power(self, e: Power) -> tuple[str, int]:
        s = self.s
        p = e.exponent
        if not e.base.is_scalar and isinstance(e.base, Transpose) and p == -1:
            return self.go(e.base.arg, POSTFIX + 1) + s.sup("-T"), POSTFIX
        if not e.base.is_scalar and isinstance(e.base, Transpose) and p < -1 and p.denominator == 1:
            # (Xᵀ)⁻² is written (X⁻²)ᵀ, as the Matrix Cookbook writes ∂tr(AX⁻¹B)/∂X = -(X⁻¹BAX⁻¹)ᵀ
            return self.go(Power(e.base.arg, p), POSTFIX + 1) + s.sup("T"), POSTFIX
        base = self.go(e.base, POSTFIX + 1)
        if e.base.is_scalar and p.denominator != 1 and s.name == "unicode" and p == Fraction(1, 2):
            return f"√{base}" if self.node(e.base)[1] >= POSTFIX else f"√({self.go(e.base)})", POSTFIX
        exponent = fraction(p, TEXT) if s.name != "latex" else str(p.numerator) + (
            f"/{p.denominator}" if p.denominator != 1 else "")
        if e.base.is_scalar and p < 0 and s.name != "latex":
            return f"1 / {base}" + ("" if p == -1 else s.sup(fraction(-p, TEXT))), PRODUCT
        return base + s.sup(exponent), POSTFIX


_ONE = ONE.value  # algebra's shared 1 too: a product's coefficient that is 1 is mostly this one


_INDEX_LETTERS = "aeijklmnoprstuvx"
_INDEX_SUB = str.maketrans(_INDEX_LETTERS + "()", "ₐₑᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₍₎")


def _pairs_slowest_first(labels: str) -> str:
    """An IndexForm stores a pair of labels fastest first, "(ab)"; it is written as (A ⊗ B)_(ac)
    and vec(M)_(ba) are, the slower label first: "(ba)"."""
    return "".join(a if len(a) == 1 else "(" + a[::-1] + ")" for a in index_axes(labels))


def _index_sub(labels: str, s: Style) -> str:
    """Index labels as a subscript: ᵢⱼ,ₖₗ in Unicode where every letter has a subscript form."""
    if s.name == "unicode" and all(c in _INDEX_LETTERS or c in ",()" for c in labels):
        return labels.translate(_INDEX_SUB)
    if s.name == "unicode":
        return s.sub(labels)
    return "_" + labels if len(labels) == 1 else "_{" + labels + "}"


def dims_subscript(*dims) -> str:
    """The sizes of K_{mn} as a subscript: "mn" for one-letter sizes, else "m,d13"; a product
    of sizes (of a vec) in parentheses."""
    parts = ["(" + "".join(map(str, d)) + ")" if isinstance(d, tuple) else str(d) for d in dims]
    return "".join(parts) if all(len(p) == 1 for p in parts) else ",".join(parts)


def _is_bars(e: Expr) -> bool:
    """abs of a scalar, written |a| (bars around a scalar are its absolute value)."""
    return isinstance(e, Func) and e.name == "abs" and e.arg.is_scalar


def _is_unit(e: Expr) -> bool:
    """A 1×1 matrix product such as xᵀy, kept as one scalar factor (see `canonical`)."""
    return isinstance(e, MatMul) and e.is_scalar and any(not f.is_scalar for f in e.factors)


def _opens_with_unit(e: Expr) -> bool:
    """A vector or matrix product whose first factors make a 1×1 run (xᵀ U x u): written after
    another factor without parentheses, it would read as one chain (G xᵀ ...)."""
    if not isinstance(e, MatMul) or e.is_scalar:
        return False
    first = next(f for f in e.factors if not f.is_scalar)
    return first.shape[0] != e.shape[0]


def _negate(t: Expr) -> Expr:
    if isinstance(t, Const):
        return Const(-t.value)
    c = -t.factors[0].value
    rest = t.factors[1:]
    if c == 1:
        return rest[0] if len(rest) == 1 else MatMul(rest)
    return MatMul((Const(c), *rest))


def _enclosed(text: str) -> bool:
    """Whether one pair of parentheses holds all of text: (1 + xᵀ x) is not wrapped again."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return True

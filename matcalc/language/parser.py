"""Text → `syntax.Line`: bar classification, the Lark LALR parse, errors with a caret."""
from __future__ import annotations

import re
from fractions import Fraction

from ..calculus.functions import SPELLINGS, WORDS
from ..errors import MatcalcError
from . import vocabulary
from .vocabulary import Pattern
from .fastparse import parse as quick_parse
from .syntax import Line, Query, Syntax

ABS_OPEN, ABS_CLOSE, NORM_OPEN, NORM_CLOSE = "\ue000", "\ue001", "\ue002", "\ue003"

# Every spelling of a bar, longest first. Each is replaced by a marker padded to its width.
_BAR = Pattern(
    r"\\left\s*\\\||\\right\s*\\\||\\left\s*\\[Vv]ert|\\right\s*\\[Vv]ert|\\left\s*\||\\right\s*\||"
    r"\\lVert|\\rVert|\\Vert|\\lvert|\\rvert|\\vert|\\\||\|\||‖|\|"
)
_COMMAND = Pattern(r"\\[A-Za-z]+")
_WORD = Pattern(r"[A-Za-z]+")
GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi "
    "rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi "
    "Psi Omega"
).split()
_FUNCTION_WORDS = set(WORDS)  # a bar after one of these opens; after any letter it may close
_OPERAND_END = set(")}]'ᵀ¹²³⁴⁵⁶⁷⁸⁹⁰⟩") | {ABS_CLOSE, NORM_CLOSE}


def classify_bars(text: str) -> str:
    """Replace each bar by an opening or closing marker, padded to the same width.

    A bar closes when a bar of its kind is open and it follows the end of an operand
    (a name, a number, `)`, `ᵀ`, ...); otherwise it opens. So `|A| |B|` is two
    determinants and `\\|x\\|^2` a squared norm.
    """
    if "|" not in text and "\\" not in text and "‖" not in text:  # every bar has one of these
        return text
    out: list[str] = []
    open_abs = open_norm = 0
    operand_end = False
    i = 0
    while i < len(text):
        m = _BAR.match(text, i)
        if m:
            s = m.group()
            is_norm = "\\|" in s or "||" in s or "Vert" in s or s == "‖"
            forced = "open" if s.startswith(("\\left", "\\l")) else "close" if s.startswith(("\\right", "\\r")) else None
            pending = open_norm if is_norm else open_abs
            closing = forced == "close" or (forced is None and pending > 0 and operand_end)
            if is_norm:
                open_norm += -1 if closing else 1
                marker = NORM_CLOSE if closing else NORM_OPEN
            else:
                open_abs += -1 if closing else 1
                marker = ABS_CLOSE if closing else ABS_OPEN
            # padded to the spelling's width: an opening marker first, a closing one last, so that
            # |…| spans the whole of `\left| X \right|` as written
            out.append(" " * (len(s) - 1) + marker if closing else marker + " " * (len(s) - 1))
            operand_end = closing
            i = m.end()
            continue
        m = _COMMAND.match(text, i) or _WORD.match(text, i)
        if m:
            word = m.group().lstrip("\\")
            if m.group().startswith("\\"):
                operand_end = word in GREEK or word in ("top", "intercal", "rangle")
            else:
                operand_end = word not in _FUNCTION_WORDS
            out.append(m.group())
            i = m.end()
            continue
        ch = text[i]
        if not ch.isspace():
            operand_end = ch.isdigit() or ch in _OPERAND_END or "\u03b1" <= ch.lower() <= "\u03c9" or ch in "ϑϕϵ"
        out.append(ch)
        i += 1
    return "".join(out)


def parse(text: str) -> Line:
    """Parse one line of input; raise MatcalcError pointing at the problem."""
    if not text.strip():
        raise MatcalcError("the input is empty: give an expression such as tr(A B)", text, (0, 0))
    if len(text) > MAX_LENGTH:  # lark reads ~150k characters a second: keep every input to seconds
        raise MatcalcError(f"the input is {len(text)} characters long; matcalc reads at most {MAX_LENGTH}",
                           text, (MAX_LENGTH, len(text)))
    line = quick_parse(text)  # the plainest inputs, read without importing lark
    prepared = text
    if line is None or len(text) > MAX_DIGITS or _PLAIN_REFUSED.search(text) is not None:
        if _REFUSED.search(text) is not None:  # most inputs: none of the checks before reading finds anything
            _refuse(text)
        vocabulary.check(text)  # every word known or refused: nothing is split into letters silently
        prepared = classify_bars(_without_delimiters(text))
        if prepared is not text:  # $A B$: the quick reader may read what is left
            line = quick_parse(prepared)
    elif _CAPITALS.search(text) is not None:  # else the check finds no word here (tr is one)
        vocabulary.check(text)
    if line is not None:
        if "^" in text and "-" in text:  # 0^{-1}, (-4)^{0.5}: the quick reader has no division
            check_numbers(line, text)
        # Here a node's span strictly holds each argument's, so a tree is at most as deep as
        # its text is long: an input of at most MAX_DEPTH characters needs no walk.
        if len(text) > MAX_DEPTH:
            _check_depth(line.lhs, text)
        # Of check_products' refusals only the number 1's can meet the quick reader's trees (its
        # one function, tr, has parentheses): an input without the digit 1 needs no walk.
        if "1" in text:
            check_products(line, text)
        if "\\sum" in text:
            check_sums(line, text)
        return line
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

    from .grammar import lark_parser

    try:
        tree = lark_parser().parse(prepared)
    except UnexpectedCharacters as e:
        at = e.pos_in_stream
        hint = next((h for pattern, h in _HINTS if pattern.match(text, at)), "")
        raise MatcalcError(f"unexpected character {text[at]!r}{hint}", text, (at, at + 1)) from None
    except UnexpectedEOF:
        raise MatcalcError("the expression ends too early: something is missing at the end", text, (len(text), len(text) + 1)) from None
    except UnexpectedToken as e:
        if e.token.type == "$END":
            raise MatcalcError(_ends_early(prepared), text, (len(text.rstrip()), len(text.rstrip()) + 1)) from None
        start = e.token.start_pos
        shown = text[start : start + max(1, len(e.token))]
        hint = next((h for pattern, h in _HINTS for at in (start - 1, start) if at >= 0 and pattern.match(text, at)), "")
        if _ONE_ARGUMENT_MAX.search(text[:start]) and shown == ")":
            hint = (": max(·, ·) is read only as max(0, z), the rectifier relu(z); the largest entry of a "
                    "vector, max(x), is not read")
        raise MatcalcError(f"unexpected {_describe(e.token.type, shown)} here{hint}", text,
                           (start, start + len(shown))) from None
    except UnexpectedInput as e:  # pragma: no cover - lark raises one of the above
        raise MatcalcError("cannot read this expression", text, (e.pos_in_stream or 0, (e.pos_in_stream or 0) + 1)) from None
    except RecursionError:
        raise MatcalcError("the expression is nested too deeply", text, (0, 1)) from None
    if "\\" in text:
        _check_styles(tree, text)
    line = _to_line(tree, text)
    check_numbers(line, text)
    for side in (line.lhs, line.rhs):
        if side is not None:
            _check_depth(side.body if isinstance(side, Query) else side, text)
    check_products(line, text)
    if "\\sum" in text:
        check_sums(line, text)
    return line


def _refuse(text: str) -> None:
    """The checks before reading, in order: the first that finds something raises."""
    bad = _UNREADABLE.search(text)
    if bad:
        raise MatcalcError(f"the input holds a character that cannot be part of an expression "
                           f"({_describe_char(bad.group())})", text, (bad.start(), bad.start() + 1))
    long_number = _LONG_NUMBER.search(text)
    if long_number:
        raise MatcalcError(f"a number may have at most {MAX_DIGITS} digits", text, long_number.span())
    eaten = _BACKSLASH_EATEN.search(text)
    if eaten:
        raise MatcalcError(f"`{eaten.group(1)}` reads as \\{eaten.group(1)} without its backslash: the shell "
                           "removes backslashes outside single quotes, so put the expression in single quotes "
                           f"(matcalc diff '\\{eaten.group(1)}...')", text, eaten.span(1))
    for pattern, message in _MISWRITTEN_NUMBERS + _NOT_GUESSED:
        m = pattern.search(text)
        if m:
            raise MatcalcError(message, text, m.span())


# Control characters (but whitespace), NUL, the bar markers, U+FFFD (what undecodable bytes
# become) and lone surrogates (what undecodable command-line bytes become).
_UNREADABLE = Pattern("[\x00-\x08\x0b\x0e-\x1f\x7f\ue000-\ue003\ufffd\ud800-\udfff]")


def _describe_char(ch: str) -> str:
    if ch == "\ufffd" or "\ud800" <= ch <= "\udfff":
        return "not valid UTF-8"
    if ch == "\x00":
        return "a NUL byte"
    if ch < " " or ch == "\x7f":
        return f"the control character U+{ord(ch):04X}"
    return f"U+{ord(ch):04X}"


# What other languages write, and how matcalc's is written (at an unexpected character).
_HINTS = (
    (Pattern(r"\.T(?![A-Za-z])"), ": x.T is NumPy's transpose; write x^T"),
    (Pattern(r"\.'"), ": x.' is MATLAB's transpose; write x^T (or x')"),
    (Pattern(r"@"), ": for a matrix product write A B (or A \\cdot B)"),
    (Pattern(r"\*\*"), ": for a power write x^2 (or x^{1/2})"),
    (Pattern(r"(?<=np)\."), ": NumPy code is not read; write tr(A), A^T, A B, inv(A)"),
    (Pattern(r"(?<=\^)\s*\{?\s*\*|(?<=\^\{)\s*\*"),
     ": a starred name x^* is not a name here; write another name, such as x_s"),
    (Pattern(r"(?<=\^)\s*\{?\s*\+|(?<=\^\{)\s*\+|†"),
     ": for the pseudo-inverse write (X^T X)^{-1} X^T (X of full column rank)"),
    (Pattern(r"(?<=\|)_|(?<=‖)_|(?<=Vert)_"), ": matcalc's norms are \\|x\\|, \\|x\\|_1 and \\|X\\|_F (the nuclear "
     "norm \\|X\\|_* and other subscripts are not read)"),
    (Pattern(r"[.,;:]\s*$"), ": the expression ends before it; leave out the sentence's punctuation"),
    (Pattern(r"∑"), ": for the sum of the entries write sum(x); index sums are not read"),
    (Pattern(r"∂"), ": for a derivative give the expression and the variable (matcalc diff 'x^T x' x), "
                        "or write \\frac{\\partial}{\\partial x} f"),
    (Pattern(r"(?:∇|\\nabla)(?!\s*[_^²])"), ": the variable of ∇ is its subscript, ∇_x f"),
    (Pattern(r"÷"), ": for division write /"),
    (Pattern(r"\$"), ": put $...$ around the whole formula, or leave it out"),
)


# max( with one argument so far: the grammar's max has two
_ONE_ARGUMENT_MAX = Pattern(r"\\?max\s*\([^,()]*$")


# Forms that would read as something else than papers mean: refused before the parse.
_NOT_GUESSED = (
    # W^{(1)} is W to the power 1 to the grammar, and the layer-1 weight W to a paper's reader
    (Pattern(r"\^\s*\{\s*\(\s*[A-Za-z0-9]+\s*\)\s*\}|\^\s*\(\s*[A-Za-z0-9]+\s*\)"),
     "a superscript in parentheses, W^{(1)}, labels a layer or a sample and is not read as a power: "
     "write W_1 for a name, or W^1 for a power"),
    # \frac{d f}{dx}: d times f over d times x to the grammar, a derivative to its writer
    (Pattern(r"\\[dt]?frac\s*\{\s*(?:d|\\mathrm\s*\{\s*d\s*\})\s*[^\s}_][^{}]*\}\s*\{\s*(?:d|\\mathrm\s*\{\s*d\s*\})"),
     "the Leibniz fraction \\frac{d f}{dx} is not read: write \\frac{\\partial f}{\\partial x}, "
     "\\frac{d}{dx} f or d/dx f (or give only f and the variable)"),
    # f(x), g(Wx): f times x to the grammar, an unknown function to its writer
    (Pattern(r"(?<![\\A-Za-z0-9_{])[fg]\("),
     "a letter before parentheses, as in f(x), names an unknown function, which matcalc does not "
     "differentiate: write the function itself "
     "(such as sigmoid(x) or \\log(x)), or f \\cdot (x) for a product"),
    # E[x], E [xᵀAx]: E times the bracket to the grammar, an expectation to a paper's reader
    (Pattern(r"(?<![\\A-Za-z0-9_{])E\s*\["),
     "E[...] reads as an expectation, which matcalc does not take: give the expression inside (for "
     "data that does not depend on the variable, its gradient is the expectation's), or write "
     "E \\cdot [...] for a product"),
    # \lambda_{max}(A): the name λ_max times A to the grammar, the largest eigenvalue to its writer
    (Pattern(r"(?:\\lambda|\\sigma|λ|σ)\s*_\s*(?:\{\s*\\?(?:max|min)\s*\}|\\?(?:max|min))\s*[(\[]"),
     "\\lambda_{max}(A) reads as an extreme eigenvalue (or singular value), which matcalc does not take: "
     "for a product of a scalar and A write \\lambda_{max} \\cdot (A)"),
    # D_{KL}(p \| q): a name D_KL, then a bar the grammar cannot close
    (Pattern(r"D\s*_\s*\{?\s*(?:\\(?:mathrm|text|operatorname)\s*\{\s*)?KL"),
     "the KL divergence D_{KL}(p \\| q) is not read: write it out, as p^T \\log(p ./ q)"),
    # \sqrt[3]{a}: sqrt(3) times a to the grammar
    (Pattern(r"\\sqrt\s*\["), "an n-th root \\sqrt[n]{a} is not read: write a^{1/n} for a scalar a"),
)
# $...$, $$...$$, \[...\], \(...\) around the whole formula, as copied from a paper's source
_DELIMITED = Pattern(r"^(\s*)(\$\$|\$|\\\[|\\\()(.*?)(\$\$|\$|\\\]|\\\))(\s*)$", re.S)
_CLOSING = {"$$": "$$", "$": "$", "\\[": "\\]", "\\(": "\\)"}


def _without_delimiters(text: str) -> str:
    """The formula with the math delimiters around it blanked (same width: spans stay)."""
    m = _DELIMITED.match(text)
    if not m or _CLOSING[m.group(2)] != m.group(4) or "$" in m.group(3):
        return text
    return m.group(1) + " " * len(m.group(2)) + m.group(3) + " " * len(m.group(4)) + m.group(5)
# LaTeX commands that never mean a product of letters: seen bare, the shell ate the backslash.
_BACKSLASH_EATEN = Pattern(r"(?<![\\A-Za-z])(nabla|[dt]?frac|partial|cdot|mathrm|mathbf|operatorname|odot"
                              r"|otimes|lambda|Sigma)(?![A-Za-z])")

# Numbers matcalc does not guess at: 1e5 is neither the name e5 nor 1·e5, 1.5.5 no number.
_MISWRITTEN_NUMBERS = (
    (Pattern(r"(?<![A-Za-z0-9_.])(?:\d+(?:\.\d+)?|\.\d+)[eE][+-]?\d+"),
     "scientific notation is not read: write the number out (1e5 is 100000, 1e-3 is 0.001), "
     "or put a space for a product (2 e1)"),
    (Pattern(r"\d*\.\d+(?:\.\d+)+"), "a number has at most one decimal point"),
    # A_10 is A_1 times 0 to LaTeX, and A_{10} to anyone who types it: neither is guessed.
    (Pattern(r"_\d\d"), "a subscript of more than one character needs braces: write A_{10} "
     "(A_10 would be A_1 times 0), or put a space for a product (A_1 0)"),
)

MAX_LENGTH = 100_000
# Deeper nesting than this is refused: the later stages (simplification, rendering) recurse
# once per level, and no formula from a page nests a hundred functions deep. Parentheses
# alone do not count (the parse drops them), nor do chains such as a + b + c or A B C.
MAX_DEPTH = 64
_CHAINS = {"add": "sum", "sub": "sum", "mul": "product", "div": "product",
           "hadamard": "hadamard", "hadamard_div": "hadamard"}


def _check_depth(root: Syntax, text: str) -> None:
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MatcalcError(f"the expression is nested too deeply: matcalc follows at most {MAX_DEPTH} "
                               "levels of functions, bars, signs, transposes and powers",
                               text, (node.span[0], node.span[0] + 1))
        chain = _CHAINS.get(node.op)
        for i, arg in enumerate(node.args):
            # the left operand of a + b + c continues the same chain, flat once built
            stack.append((arg, depth if i == 0 and chain and _CHAINS.get(arg.op) == chain else depth + 1))


def _ends_early(prepared: str) -> str:
    if prepared.count(ABS_OPEN) > prepared.count(ABS_CLOSE) or prepared.count(NORM_OPEN) > prepared.count(NORM_CLOSE):
        return "a bar | or \\| is opened but never closed"
    if prepared.count("(") > prepared.count(")"):
        return "a parenthesis is opened but never closed"
    if prepared.count("[") > prepared.count("]"):
        return "a bracket [ is opened but never closed"
    if prepared.count("{") > prepared.count("}"):
        return "a brace { is opened but never closed"
    return "the expression ends too early: an operand is missing at the end"


_TOKEN_WORDS = {
    "RPAR": "closing parenthesis ')'", "LPAR": "'('", "RSQB": "closing bracket ']'", "LSQB": "'['", "RBRACE": "closing brace '}'",
    "ABS_CLOSE": "closing bar '|'", "ABS_OPEN": "bar '|'", "NORM_CLOSE": "closing norm bar", "NORM_OPEN": "norm bar",
    "PLUS": "'+'", "EQUAL": "'='", "SLASH": "'/'",
}


def _describe(kind: str, shown: str) -> str:
    return _TOKEN_WORDS.get(kind, repr(shown.strip() or shown))


# -- lark tree → Syntax ----------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
# φ (U+03C6) is \phi and ϕ (U+03D5) \varphi, ε and ϵ both epsilon (as \epsilon and \varepsilon are)
_GREEK_UNICODE = dict(zip(
    "αβγδεϵζηθϑικλμνξπρστυφϕχψωΓΔΘΛΞΠΣΥΦΨΩ",
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho "
    "sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split(),
))
_GREEK_UNICODE["ς"] = "sigma"
_NAME = Pattern(r"^(?:\\?([A-Za-z]+)|([α-ωΑ-Ωϑϕϵ]))(?:_\{([A-Za-z0-9]+)\}|_([A-Za-z0-9])|([0-9]+))?$")


# A style around a name, as papers write it: \mathbf{x} is the name x (grammar: NAME). The
# groups say which styles print alike: \mathbf{x} and \bm{x} are one bold x, x and \mathbf{x}
# in one input are likely two (parse refuses that mix rather than merging them silently).
STYLE_GROUPS = {
    **dict.fromkeys(("mathbf", "boldsymbol", "bm", "pmb", "mathbfit", "textbf"), "bold"),
    **dict.fromkeys(("mathit", "mathnormal", "textit"), ""),
    **dict.fromkeys(("mathrm", "text", "textrm"), "upright"),
    **dict.fromkeys(("mathsf", "textsf"), "sans-serif"),
}
_STYLED = Pattern(r"^\\([A-Za-z]+)\s*(?:\{\s*((?:[^{}]|\{[^{}]*\})*?)\s*\}|(\\[A-Za-z]+|[A-Za-z]))(.*)$", re.S)


def _check_styles(tree, text: str) -> None:
    """A letter written both plain and bold (x and \\mathbf{x}) is often two variables in a paper
    (a scalar and a vector): matcalc would read one name, so it asks instead of merging them."""
    from lark import Token

    seen: dict[str, Token] = {}
    for node in tree.iter_subtrees_topdown():
        if node.data in _WRT:  # \\nabla_x f(\\mathbf{x}): the variable below ∇ may be written plainly
            continue
        for token in node.children:
            if not isinstance(token, Token) or token.type != "NAME":
                continue
            name = canonical_name(str(token))
            first = seen.setdefault(name, token)
            if name != "I" and _style(str(first)) != _style(str(token)):
                shown = _plainly(str(first)) if _DECORATED.match(str(first)) else name  # \hat{y}, not yhat
                raise MatcalcError(f"`{first}` and `{token}` are both read as the name {shown}: if they are "
                                   "two variables, write another letter for one of them; if one, write both "
                                   "alike", text, (token.start_pos, token.end_pos))


def _style(written: str) -> str:
    """The style group of a name, under its decoration too: `\\hat{\\mathbf{y}}` is bold, as `\\mathbf{y}`."""
    decorated = _DECORATED.match(written.strip())
    if decorated:
        accent, braced, bare, rest = decorated.groups()
        return _style((braced or bare) + rest)
    return unstyled(written)[0]


def _plainly(written: str) -> str:
    """The name as written without its style: `\\hat{\\mathbf{y}}` → `\\hat{y}`."""
    decorated = _DECORATED.match(written.strip())
    if decorated:
        accent, braced, bare, rest = decorated.groups()
        return f"\\{accent}{{{_plainly(braced or bare)}}}{rest}"
    return unstyled(written)[1]


def unstyled(written: str) -> tuple[str, str]:
    """(style group, the name as plainly written): `\\mathbf{W}_1` → ("bold", "W_1"), `x` → ("", "x")."""
    m = _STYLED.match(written.strip())
    if not m or m.group(1) not in STYLE_GROUPS:
        return "", written
    return STYLE_GROUPS[m.group(1)], (m.group(2) or m.group(3)) + m.group(4)


# A decoration makes a name of its own: \hat{y} is "yhat", \bar{x}_1 "xbar_1" (a name of several
# letters is otherwise Greek, so none of these is another name); formats/render.py writes them back
DECORATIONS = vocabulary.DECORATIONS
_DECORATED = Pattern(r"^\\(%s)\s*(?:\{\s*((?:[^{}]|\{[^{}]*\})*?)\s*\}|(\\[A-Za-z]+|[^\\\s{]))(.*)$" % "|".join(DECORATIONS), re.S)


def canonical_name(written: str) -> str | None:
    """`\\mu`, `μ` and `mu` → "mu"; `x_{12}` → "x_12"; `W1` → "W1"; `\\mathbf{x}` → "x";
    `\\hat{y}_1` → "yhat_1". None if not a name."""
    decorated = _DECORATED.match(written.strip())
    if decorated:
        accent, braced, bare, rest = decorated.groups()
        inner = canonical_name((braced or bare) + rest)
        if inner is None:
            return None
        base, sep, sub = inner.partition("_")
        letters = base.rstrip("0123456789")
        if len(letters) > 1 and letters not in GREEK:  # \hat{\hat{x}}: one decoration
            return None
        return letters + DECORATIONS[accent] + base[len(letters):] + sep + sub
    m = _NAME.match(unstyled(written)[1].strip())
    if not m:
        return None
    letters, greek, sub_braced, sub_single, digits = m.groups()
    if greek:
        letters = _GREEK_UNICODE[greek]
    elif len(letters) > 1 and letters not in GREEK:
        return None
    if letters in ("epsilon", "varepsilon"):
        letters = "epsilon"
    sub = sub_braced or sub_single
    return letters + ("_" + sub if sub else digits or "")


MAX_DIGITS = 1000  # Python refuses to convert integers of over 4300 digits to and from text
_LONG_NUMBER = Pattern(r"\d{%d,}" % (MAX_DIGITS + 1))

# Where a check of `_refuse` finds something in an input that the quick reader reads, this finds
# something (or the input is longer than MAX_DIGITS): the quick reader takes no character that
# the other checks need (control characters, _ . [ \, Greek letters, words but tr). Scientific
# notation (2e5) and f(x) it reads as products. Each branch begins with its character, so that
# the search skips to the places that hold one (tests/test_fastparse.py holds it to _REFUSED).
_PLAIN_REFUSED = re.compile(r"e(?<=\de)|E(?<=\dE)|\((?<=[fg]\()")

# The only runs of letters but tr( that the quick reader reads: vocabulary.check looks at those
_CAPITALS = re.compile(r"[A-Z][A-Z]")

# Where any check of `_refuse` finds something, this finds something: one search of each input
# instead of one for each check (whose patterns are compiled when one is needed). Compiled
# when first needed too (~10M instructions): the inputs the quick reader reads need only _PLAIN_REFUSED.
_REFUSED = Pattern("|".join(f"(?:{p.pattern})" for p in (
    _UNREADABLE, _LONG_NUMBER, _BACKSLASH_EATEN, *(p for p, _ in _MISWRITTEN_NUMBERS + _NOT_GUESSED))))


def _exponent(token: str, text: str, span) -> Fraction:
    """The exponent of `⁻¹`, `∘²` or `^{\\circ 1/2}`: digits as written, decimals included."""
    s = re.sub(r"^\^|[{}\s∘]|\\circ", "", token.translate(_SUPERSCRIPT))
    numerator, _, denominator = s.partition("/")
    if denominator and Fraction(denominator) == 0:
        raise MatcalcError("division by zero: this exponent's denominator is 0", text, span)
    return Fraction(numerator) / Fraction(denominator or 1)


def constant_value(root: Syntax, text: str) -> Fraction | None:
    """The exact value of a tree of numbers (+, -, ·, / and powers with a rational result), or
    None if it holds anything else (a name, a function, an irrational power such as 2^{1/2}).
    Anywhere in the tree, dividing by an exact 0, 0 to a negative power and an even root of
    a negative number are refused, at the place they are written."""
    values: dict[int, Fraction | None] = {}
    for node in reversed(list(root.walk())):  # every node after its arguments
        args = [values[id(a)] for a in node.args]
        op, value = node.op, None
        if op in ("div", "hadamard_div") and args[1] == 0:
            raise MatcalcError("division by zero: this divisor is 0", text, node.args[1].span)
        if op == "number":
            value = node.value
        elif op in ("power", "hadamard_power") and node.value is not None and args[0] is not None:
            value = _rational_power(args[0], node.value, node, text)
        elif not args or None in args:
            value = None
        elif op == "neg":
            value = -args[0]
        elif op in ("add", "sub", "mul"):
            a, b = args
            value = a + b if op == "add" else a - b if op == "sub" else a * b
        elif op in ("div", "hadamard_div"):
            value = args[0] / args[1]
        values[id(node)] = value
    return values[id(root)]


def _rational_power(base: Fraction, p: Fraction, node: Syntax, text: str) -> Fraction | None:
    from ..calculus.algebra import exact_power

    if base == 0:
        if p < 0:
            raise MatcalcError("division by zero: 0 to a negative power", text, node.span)
        return Fraction(0) if p > 0 else Fraction(1)
    if base < 0 and p.denominator % 2 == 0:
        raise MatcalcError(f"a negative number to the power {p} is not a real number", text, node.span)
    return exact_power(base, p)


def check_numbers(line: Line, text: str) -> None:
    """Refuse a division by an exact zero anywhere (`0/0`, `tr(X)/0`, `x ./ (1-1)`), 0 to a
    negative power and a negative number under an even root (`(-1)^{1/2}`)."""
    for side in (line.lhs, line.rhs):
        if side is not None:
            constant_value(side.body if isinstance(side, Query) else side, text)


def _norm_kind(tokens) -> str:
    """The norm a subscript names: F (Frobenius), 1, or 2 (also without a subscript)."""
    sub = next((str(t) for t in tokens if t.type == "NORM_SUB"), "")
    return "F" if "F" in sub else "1" if "1" in sub or "₁" in sub else "2"


def _power(op: str, base: Syntax, exponent: Syntax, text: str, span) -> Syntax:
    """base^exponent: a number as written, or (a^b, a^{x^T x}) an expression. e to an
    expression that is not a number is the exponential, e^{x^T x} = exp(x^T x); e^{2} stays
    the name e squared."""
    value = constant_value(exponent, text)
    if value is not None:
        return Syntax(op, (base,), value, span)
    if op == "power" and base.op == "name" and base.value == "e":
        return Syntax("call", (exponent,), "exp", span)
    return Syntax(op, (base, exponent), None, span)


def _span(meta) -> tuple[int, int]:
    return (meta.start_pos, meta.end_pos) if not getattr(meta, "empty", True) else (0, 0)


def _to_line(tree, text: str) -> Line:
    if tree.data == "equation":
        return Line(_side(tree.children[0], text), _side(tree.children[1], text))
    return Line(_side(tree.children[0], text))


def _side(node, text):
    """A side that is a query as a whole (`\\nabla_A f`, `(\\nabla_A f)`) is a `Query`; one
    standing inside an expression (`2 \\nabla_x f`) stays a "query" node of it."""
    side = _convert(node, text, top=True)
    if side.op == "transpose" and side.args[0].op == "query":  # (∇_X f)ᵀ is ∇_{Xᵀ} f; (d/dx f)ᵀ the
        (name, transposed, order), wrt_span = side.args[0].value  # Jacobian in the denominator layout
        return Query(name, not transposed, side.args[0].args[0], side.span, order, wrt_span)
    if side.op == "query":
        (name, transposed, order), wrt_span = side.value
        return Query(name, transposed, side.args[0], side.span, order, wrt_span)
    return side


_QUERIES = {"query": 1, "hessian": 2, "vec_jacobian": 1}
_WRT = ("wrt", "wrt_transposed")


def _transposed_root(root, node) -> bool:
    return root.data == "transpose" and root.children[0] is node


def _query(node, body: Syntax, text: str, top: bool) -> Syntax:
    """∇_x f as a node: value (variable, with respect to its transpose?, order 1 or 2). A query
    inside an expression must differentiate a variable of its own body; a whole side's query is
    checked later (`absent`), by the command (matcalc complete reads `\\nabla_A tr(B)` too)."""
    from lark import Tree

    wrt = next(c for c in node.children if isinstance(c, Tree) and c.data in _WRT)
    token = wrt.children[0]
    name = canonical_name(str(token))
    span, wrt_span = _span(node.meta), (token.start_pos, token.end_pos)
    value = (name, wrt.data == "wrt_transposed", _QUERIES[node.data])
    if top:  # the whole side, or the whole side but a transpose
        return Syntax("query", (body,), (value, wrt_span), span)
    if name not in {n.value for n in body.walk() if n.op == "name"}:
        raise absent(Query(*value[:2], body, span, value[2], wrt_span), text)
    return Syntax("query", (body,), value, span)


def other_case(name: str, names) -> str | None:
    """The name among `names` that is `name` in another case (X for x), if any: for the message
    of a variable that does not occur."""
    return min((n for n in names if n != name and n.lower() == name.lower()), default=None)


def absent(query: Query, text: str, shown: str | None = None) -> MatcalcError:
    """The error for a query whose variable (`shown` as printed) does not occur in what it differentiates."""
    start, end = query.wrt_span
    message = f"{shown or query.wrt} does not occur in the expression"
    cased = other_case(query.wrt, (n.value for n in query.body.walk() if n.op == "name"))
    if cased:
        message += f", {cased} does: names are case-sensitive, so write \\nabla_{cased}"
    if re.search(r"_\s+$", text[query.span[0]:start]) and re.match(r"[A-Za-z(]", text[end:end + 1]):
        message = (f"the variable of \\nabla_ comes right after the _ (\\nabla_X tr(X)); here it is "
                   f"{query.wrt}, which does not occur in `{text[end:query.body.span[1]].strip()}`")
    return MatcalcError(message, text, query.wrt_span if query.wrt_span != (0, 0) else query.body.span)


_UNARY = {"transpose", "inv_transpose", "neg", "det"}
_BINARY = {"add", "sub", "mul", "div", "hadamard", "hadamard_div", "kron"}
_SUBSCRIPT_LETTERS = str.maketrans("ₐₑᵢⱼₖₘₙₒₚᵣₛₜᵤᵥₓ", "aeijkmnoprstuvx")
_SIZE = Pattern(r"\(([^)]*)\)|[a-z][0-9]*")


def commutation_sizes(token: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The two sizes of K_{mn}, K_{m,d13}, K_{(mn)p} or Kₘₙ, each a tuple of size names (a
    product of sizes, written in parentheses, has several)."""
    inner = token[1:].translate(_SUBSCRIPT_LETTERS).strip("_{} ")
    sizes = [tuple(re.findall(r"[a-z][0-9]*", m.group(1))) if m.group(1) is not None else (m.group(),)
             for m in _SIZE.finditer(inner)]
    return sizes[0], sizes[1]


def _convert(root, text: str, top: bool = False) -> Syntax:
    """Iterative post-order conversion, so deep nesting cannot exhaust Python's stack."""
    from lark import Token

    results: dict[int, Syntax] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if isinstance(node, Token):
            continue
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in node.children if not isinstance(c, Token) and c.data not in _WRT)
            continue
        kids = [results.pop(id(c)) for c in node.children if not isinstance(c, Token) and c.data not in _WRT]
        tokens = [c for c in node.children if isinstance(c, Token)]
        span = _span(node.meta)
        op = node.data
        if op == "name":
            written = str(tokens[0])
            canonical = canonical_name(written)
            out = Syntax("identity" if canonical == "I" else "name", value=canonical, span=span)
        elif op == "number":
            out = Syntax("number", value=Fraction(str(tokens[0])), span=span)
        elif op == "frac_digits":  # \\frac12: one digit each
            numerator, denominator = re.findall(r"[0-9]", str(tokens[0]))
            out = Syntax("div", (Syntax("number", value=Fraction(numerator), span=span),
                                 Syntax("number", value=Fraction(denominator), span=span)), span=span)
        elif op == "ones":
            out = Syntax("ones", span=span)
        elif op == "commutation":  # K_{mn}: its sizes name dimensions (language/kinds.py)
            out = Syntax("commutation", value=commutation_sizes(str(tokens[0])), span=span)
        elif op in ("power", "hadamard_power"):
            if len(kids) == 1:  # ⁻¹, ∘², ^{\circ 2}
                out = Syntax(op, (kids[0],), _exponent(str(tokens[-1]), text, span), span)
            else:  # x^0.5, x^{1/2}, x.^{-1}; a^b, a^{x^T x}
                out = _power(op, kids[0], kids[1], text, span)
        elif op == "norm":
            out = Syntax("norm", (kids[0],), _norm_kind(tokens), span)
        elif op == "norm_power":  # \|X\|^2_F is \|X\|_F^2
            base = node.children[0]
            if getattr(base, "data", None) != "norm" or any(isinstance(t, Token) and t.type == "NORM_SUB"
                                                            for t in base.children):
                raise MatcalcError("a subscript after a power belongs to a norm: \\|X\\|^2_F", text, span)
            norm = Syntax("norm", kids[0].args, _norm_kind(tokens), kids[0].span)
            out = _power("power", norm, kids[1], text, span)
        elif op == "inner":
            out = Syntax("inner", tuple(kids), None, span)
        elif op == "call":
            word = re.sub(r"\\|operatorname|mathrm|text|[{}\s]", "", str(tokens[0]))
            out = Syntax("call", (kids[0],), SPELLINGS.get(word) or WORDS[word], span)
        elif op == "max":  # max(0, z) and max(z, 0): the rectifier
            zero = [i for i, k in enumerate(kids) if k.op == "number" and k.value == 0]
            if not zero:
                raise MatcalcError("max(·, ·) is read only as max(0, z), the rectifier relu(z)", text, span)
            out = Syntax("call", (kids[1 - zero[0]],), "relu", span)
        elif op in _QUERIES:
            out = _query(node, kids[0], text, top and (node is root or _transposed_root(root, node)))
        elif op in _UNARY or op in _BINARY:
            out = Syntax(op, tuple(kids), span=span)
        else:  # pragma: no cover - every alias of the grammar is handled above
            raise MatcalcError(f"internal: unknown construct {op}", text, span)
        results[id(node)] = out
    return results[id(root)]


# -- a function without parentheses followed by more factors ------------------------------------

_POSTFIX = frozenset(("transpose", "inv_transpose", "power", "hadamard_power"))


def check_products(line: Line, text: str) -> None:
    """Refuse the products that texts mean otherwise than the grammar reads them, naming what to
    write. `tr A B`, `\\log x^T x`: a function without parentheses, whose argument is not
    delimited (|X|, ‖x‖, {…}), followed by another factor; texts write tr AB for tr(AB) and
    det A det B for det(A) det(B), the grammar reads tr(A) B. `1^T x`, `x^T 1`: as written x
    and xᵀ, in texts 𝟏ᵀx."""
    for side in (line.lhs, line.rhs):
        if side is None:
            continue
        inner: set[int] = set()  # products inside a product: their factors are a run of its factors
        for node in (side.body if isinstance(side, Query) else side).walk():
            if node.op == "mul":
                # each whole chain checked once (a chain of k factors is k - 1 nested products):
                # what a part of it would refuse, the whole refuses first, as the walk meets it first
                if len(node.args) == 2:  # as _juxtaposed opens them
                    for arg in node.args:
                        if arg.op == "mul" and len(arg.args) == 2:
                            inner.add(id(arg))
                if id(node) not in inner:
                    _check_product(node, text)


def check_sums(line: Line, text: str) -> None:
    """Refuse a `\\sum` whose reach is unclear. In LaTeX the big operator reaches over the rest of
    its term (\\sum (y - Xw)^2 is a sum of squares); matcalc reads \\sum(v) as the function sum,
    as it reads sum(v)^2 (the square of the sum). Where the two differ, say both. A bare \\sum x
    followed by a factor is check_products' refusal, followed by a function (\\sum y \\log z) this
    one's; \\sum x^2 and \\sum(v) alone are clear."""
    for side in (line.lhs, line.rhs):
        if side is None:
            continue
        for node in (side.body if isinstance(side, Query) else side).walk():
            arg = node.args[0] if node.args else None
            if arg is None or arg.op != "call" or arg.value != "sum" or not text.startswith("\\sum", arg.span[0]):
                continue
            written = text[arg.span[0] + 4:arg.span[1]].strip()
            bracketed = written[:1] in "(["
            if not bracketed and node.op == "mul" and node.args[1].op == "call":
                # \sum y \log z: Σᵢ yᵢ log zᵢ in a paper; check_products lets a call follow (det A det B)
                rest = text[arg.span[1]:node.span[1]]
                raise MatcalcError(f"it is unclear how far `\\sum` reaches here: write sum({written} .*{rest}) for "
                                   f"the sum over the whole term, or sum({written}){rest} for the sum first", text, node.span)
            if node.op in ("hadamard", "hadamard_div", "kron") or bracketed and node.op in ("power", "hadamard_power", "mul"):
                rest = text[arg.span[1]:node.span[1]]
                inner = text[arg.args[0].span[0]:arg.args[0].span[1]]
                # the sum of squares squares each entry: (y - Xw).^2 (a vector's ^2 is a matrix power)
                entrywise, power = rest, rest.lstrip()
                if node.op == "power":
                    entrywise = "." + power if power[:1] == "^" else ".^" + power.translate(_SUPERSCRIPT)
                raise MatcalcError(f"it is unclear how far `\\sum` reaches here: write sum({written}{entrywise}) for "
                                   f"the sum over the whole term, or sum({inner}){rest} for the sum first", text, node.span)


def _check_product(node: Syntax, text: str) -> None:
    factors = _juxtaposed(node)
    for f in factors:  # 1ᵀ x: a sum of entries is meant, not x
        if f.op in ("transpose", "inv_transpose") and f.args and f.args[0].op == "number" and f.args[0].value == 1:
            raise MatcalcError("a number's transpose is the number itself: for the vector of ones write "
                               "\\mathbf{1}^T (or ones^T)", text, f.span)
    for before, f in zip(factors, factors[1:]):  # xᵀ 1: a sum of entries is meant, not xᵀ
        if f.op == "number" and f.value == 1 and before.op == "transpose":
            raise MatcalcError("a product with the number 1 changes nothing: for the vector of ones write "
                               "\\mathbf{1} (or ones), as in x^T \\mathbf{1}", text, f.span)
    for i, f in enumerate(factors[:-1]):
        inner = _open_bare_call(f)
        if inner is None or factors[i + 1].op == "call" or _closed(text, f, factors[i + 1]):
            continue
        j = next((k for k in range(i + 1, len(factors)) if factors[k].op == "call"), len(factors))
        word = text[f.span[0]:inner.span[0]].rstrip()
        arg, rest = text[inner.span[0]:f.span[1]], text[factors[i + 1].span[0]:factors[j - 1].span[1]]
        raise MatcalcError(f"`{word}` without parentheses is followed by more factors: write "
                           f"{word}({arg} {rest}) or {word}({arg}) {rest}", text, (f.span[0], factors[j - 1].span[1]))


def _closed(text: str, f: Syntax, after: Syntax) -> bool:
    """Whether a bracket closes between f and the factor after it, as in (\\det A) a: the call's
    argument is delimited there, whatever the call's own span says."""
    return any(c in ")]}" for c in text[f.span[1]:after.span[0]])


def _juxtaposed(node: Syntax) -> list[Syntax]:
    """The factors of a product chain a b c (parsed as mul(mul(a, b), c)), in order."""
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.op == "mul" and len(n.args) == 2:
            stack.extend(reversed(n.args))
        else:
            out.append(n)
    return out


def _open_bare_call(node: Syntax) -> Syntax | None:
    """For `\\log\\det X^T` (a call without parentheses, its argument a name or number, with
    postfixes), the node whose span starts where the argument does; else None."""
    while node.op == "call" and node.args and node.span[1] == node.args[0].span[1]:
        arg = node.args[0]
        base = arg
        while base.op in _POSTFIX and base.args:
            base = base.args[0]
        if base.op in ("name", "number") and base.span[0] == arg.span[0]:
            return arg
        if base.op != "call":
            return None
        node = base
    return None

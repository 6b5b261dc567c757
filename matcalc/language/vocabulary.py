"""Words and commands: each is read as the README documents it, or refused. Nothing is guessed.

Run before the parse, over the text as written. The rules (README, "The input language"):

- A LaTeX command is known (a Greek letter, a function word of the table, or one of the
  commands below) or refused: `\\cosh` is never `\\cos h`, `\\foo` is an error.
- A run of Latin letters is split into an upper-case letter with the lower-case letters after
  it, and runs of lower-case letters. `Tr` and the table's words stand whole. Otherwise an
  upper-case letter is a one-letter name (`ABC`, `Ax`, `aA` and `tr(ABA^TC)` are products, as
  the Matrix Cookbook writes them), and a lower-case run is
    - a function word of the table (`exp`, `sigmoid`, `tr`, `ln`), or
    - two letters that are not a word: a product of two one-letter names (`ab`, `xy`), or
    - refused, if three or more letters: `soft`, `xyz` and `transpose` are not split into
      products. The error names the word, the nearest known words, and how to write a product.
- Greek capitals that look like Latin letters (Α, Β, Ε, ...) and omicron are refused, naming
  the Latin letter to use.
"""
from __future__ import annotations

import re

from ..calculus.functions import BARE_WORDS, WORDS
from ..errors import MatcalcError


class Pattern:
    """re.compile(*args) on first use: most patterns serve only messages about bad input, and
    compiling them all at import would cost every run a few milliseconds."""

    def __init__(self, *args):
        self.args = args
        self.pattern = args[0]  # the text, as a compiled pattern's (read without compiling)

    def __getattr__(self, name):  # the first use: the compiled pattern's methods become this one's
        compiled = re.compile(*self.args)
        for method in ("match", "fullmatch", "search", "finditer", "findall", "sub", "split"):
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)


GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi "
    "rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi "
    "Psi Omega"
).split()

# LaTeX commands with a meaning here besides Greek letters and function words: structure,
# operators, spacing and sizing (which carry no meaning), bars.
COMMANDS = frozenset((
    "operatorname mathrm text mathbf mathbb frac dfrac tfrac partial nabla cdot times odot circ "
    "top intercal left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr quad "
    "qquad vert Vert lvert rvert lVert rVert max sum langle rangle otimes displaystyle textstyle"
).split()) | frozenset(("rm", "sf"))  # {\rm T}, {\sf T}: in a transpose only (grammar: TRANSPOSE_MARK)

# Styles around one name, as papers write them: \mathbf{x}, \boldsymbol{\theta}, \bm x are the name
# x, θ (grammar: NAME); \mathbf{1} is 𝟏. \mathrm and \text also hold function words.
STYLES = frozenset((
    "mathbf boldsymbol bm pmb mathbfit mathit mathsf mathnormal textbf textit textrm textsf"
).split())
COMMANDS = COMMANDS | STYLES

_DECORATED = ("this decoration is not read (\\hat, \\bar and \\tilde are): write a letter with a subscript "
              "in its place, such as x_d for \\dot{x}")
_ONE_DECORATED = "a decoration holds one letter, with digits or a subscript, as in \\hat{y} or \\bar{x}_1"
# \hat{y}, \bar x, \tilde{\Sigma}: a decorated letter is a name of its own (language/parser.py)
DECORATIONS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
               "widetilde": "tilde"}
_OBJECTIVE = ("give only the objective after it, as in matcalc diff '\\|X w - y\\|^2' w: the variable goes on "
              "the command line")
_OBJECTIVE_WORDS = ("min", "argmin", "argmax", "minimize", "maximize")
_SETS = "matcalc infers sizes: leave out `x \\in \\mathbb{R}^n` (declare kinds with --vector x or --scalar a)"
_WHOLE = "copy the formula alone, without the environment or label around it"
# Commands that papers write and matcalc does not read, each with what to write instead.
REFUSED_COMMANDS = {
    **dict.fromkeys(("hat", "widehat", "tilde", "widetilde", "bar", "overline"), _ONE_DECORATED),
    **dict.fromkeys(("underline", "dot", "ddot", "check", "breve", "acute", "grave", "mathring", "overrightarrow",
                     "vv"), _DECORATED),
    **dict.fromkeys(("mathcal", "mathscr", "mathfrak", "mathbb", "mathds"),
                    "script and blackboard letters are not names here (\\mathbb{1} is the vector of ones): "
                    "for an objective L(w) = ... give only its right-hand side; for a variable write a plain or "
                    "bold letter"),
    **dict.fromkeys(_OBJECTIVE_WORDS + ("arg", "inf", "sup"), _OBJECTIVE),
    **dict.fromkeys(("in", "subset", "forall", "exists", "mid"), _SETS),
    **dict.fromkeys(("begin", "end", "label", "tag", "notag", "nonumber", "eqref", "ref"), _WHOLE),
    **dict.fromkeys(("prod", "int", "lim", "iint"),
                    "products, integrals and limits over indices are not matcalc's: write the expression of whole "
                    "vectors and matrices (exp(sum(log(x))) for a product of positive entries)"),
    **dict.fromkeys(("dots", "cdots", "ldots", "vdots", "ddots"),
                    "elided terms cannot be differentiated: write the whole expression with vectors and matrices"),
    "infty": "matcalc's norms are \\|x\\|, \\|x\\|_1 and \\|X\\|_F; the max norm \\|x\\|_\\infty is not among them",
    "dagger": "for the pseudo-inverse write (X^T X)^{-1} X^T (X of full column rank)",
    "star": "a starred name x^\\star is not a name here: write another name, such as x_s, in its place",
    "ast": "a starred name x^\\ast is not a name here: write another name, such as x_s, in its place",
    "prime": "matcalc reads x' as the transpose, and x^\\prime as nothing: for another variable write another name, "
             "such as x_2",
}
# What \\mathbb{...} holds in papers, besides 𝟏
_BLACKBOARD = {
    "R": _SETS, "C": _SETS, "N": _SETS, "S": _SETS,
    "E": "expectations \\mathbb{E}[...] are not read: give the expression inside (its gradient is the expectation's)",
    "I": "for the identity write I (an indicator 𝟙[...] is not read)",
}

# \operatorname{...}, \mathrm{...} and \text{...} hold a function word (or F, in a norm's subscript)
_WRAPPED = Pattern(r"\\(operatorname|mathrm|text)\s*\{\s*([A-Za-z]*[0-9]*)")
# what the check looks at: a command, a subscript (skipped: x_{ij} is one name), a letter run,
# a Greek letter (a letter run with digits after it, as norm1 or W2, when no letter follows them)
_ITEM = Pattern(r"\\[A-Za-z]+(?:[0-9]+(?![A-Za-z]))?|_\s*\{[^}]*\}|_\s*[^\s\\]|[A-Za-z]+(?:[0-9]+(?![A-Za-z]))?|[\u0370-\u03ff]")
_PIECE = Pattern(r"[A-Z][a-z]*|[a-z]+")

# Greek capitals written like Latin ones, and omicron: as names they would be two different
# variables that print alike. The Latin letter is meant.
LATIN_LOOKALIKES = {
    "Α": ("Alpha", "A"), "Β": ("Beta", "B"), "Ε": ("Epsilon", "E"), "Ζ": ("Zeta", "Z"), "Η": ("Eta", "H"),
    "Ι": ("Iota", "I"), "Κ": ("Kappa", "K"), "Μ": ("Mu", "M"), "Ν": ("Nu", "N"), "Ο": ("Omicron", "O"),
    "Ρ": ("Rho", "P"), "Τ": ("Tau", "T"), "Υ": ("Upsilon", "Y"), "Χ": ("Chi", "X"),
    "ο": ("omicron", "o"),
}
GREEK_LETTERS = "αβγδεζηθικλμνξπρσςτυφχψωϑϕϵΓΔΘΛΞΠΣΥΦΨΩ"


# Words of the language that are not functions of the table.
OTHER_WORDS = frozenset(("ones", "max", "vector", "matrix", "kron"))


def known_words() -> list[str]:
    return sorted(set(WORDS) | OTHER_WORDS)


def check(text: str) -> None:
    """Raise MatcalcError at the first word, command or letter that the language does not know."""
    if not _ANY_WORD.search(text):  # most inputs: one-letter names and tr only
        return
    for m in _ITEM.finditer(text):
        item = m.group()
        if item[0] == "_":
            continue
        if item[0] == "\\":
            _check_command(text, m)
        elif "\u0370" <= item <= "\u03ff":
            _check_greek(text, m)
        elif item != "vec" or not _jacobian_vec(text, m.start()):
            _check_run(text, m.start(), item)


# `d vec(F)/d vec(X)` and `\partial \operatorname{vec}(X)`, the Jacobians as matcalc prints them:
# vec is a word there only (the grammar's DVEC, FRAC_PARTIAL_VEC and PARTIAL_VEC)
_JACOBIAN_VEC = Pattern(r"(?:(?<![A-Za-z])d|\\partial\s*\\(?:operatorname|mathrm)\s*\{)\s*$")


def _jacobian_vec(text: str, start: int) -> bool:
    return bool(_JACOBIAN_VEC.search(text, 0, start)) and bool(re.match(r"vec\s*\}?\s*\(", text[start:]))


# where a check may find something: a command, a Greek letter, a run of letters but tr (a word)
_ANY_WORD = re.compile(r"\\[A-Za-z]|(?!tr(?![A-Za-z]))[A-Za-z]{2}|[\u0370-\u03ff]")


def _check_command(text: str, m: re.Match) -> None:
    word = m.group()[1:]
    if word not in BARE_WORDS:  # \norm1 is a word, \alpha1 the name alpha1
        word = word.rstrip("0123456789")
    if word in STYLES or word == "mathbf":
        _check_style(text, m)
        return
    if word == "mathbb" and re.match(r"\s*\{\s*1\s*\}", text[m.end():]):  # \mathbb{1}: 𝟏
        return
    if word in DECORATIONS and _DECORATED_NAME.match(text, m.end()):
        return
    if word in REFUSED_COMMANDS:
        inner = re.match(r"\s*\{\s*([A-Za-z])\s*\}", text[m.end():])
        message = _BLACKBOARD.get(inner.group(1), "") if word == "mathbb" and inner else ""
        raise MatcalcError(f"\\{word} is not read: {message or REFUSED_COMMANDS[word]}", text, m.span())
    if word == "sum" and re.match(r"\s*[_^]", text[m.end():]):
        raise MatcalcError("index sums \\sum_i are not read: write the sum with vectors and matrices, such as "
                           "sum(x) or \\mathbf{1}^T x for \\sum_i x_i, and \\|A x\\|^2 for \\sum_i (a_i^T x)^2",
                           text, m.span())
    if word in ("rm", "sf") and not re.match(r"\s*T(?![A-Za-z])", text[m.end():]):
        raise MatcalcError(f"\\{word} is read only in a transpose, ^{{\\{word} T}}: for a name write "
                           f"\\math{word}{{x}}", text, m.span())
    if word in BARE_WORDS or word in GREEK or word in COMMANDS:
        wrapped = _WRAPPED.match(text, m.start())
        if wrapped:
            inner = wrapped.group(2)
            jacobian = inner == "vec" and _jacobian_vec(text, wrapped.start(2))
            if inner in REFUSED_COMMANDS and len(inner) > 2:  # \\operatorname{argmin}
                raise MatcalcError(f"{inner} is not read: {REFUSED_COMMANDS[inner]}", text, wrapped.span(2))
            if inner not in WORDS and inner not in ("F", "T") and not jacobian and not (
                    word != "operatorname" and _ONE_NAME.fullmatch(inner + text[wrapped.end():].split("}")[0])):
                start = wrapped.start(2)
                raise MatcalcError(_unknown(inner, f"\\{word}{{{inner}}}"), text, (start, start + max(1, len(inner))))
        return
    import difflib  # only for an error: it costs a TAB press a millisecond to import

    near = difflib.get_close_matches(word, sorted(BARE_WORDS | set(GREEK) | COMMANDS), n=3, cutoff=0.6)
    hint = " (did you mean " + _listing(["\\" + w for w in near]) + "?)" if near else ""
    raise MatcalcError(f"unknown command \\{word}: it is not in matcalc's vocabulary{hint}", text, m.span())


# What a style may hold: one Latin letter or Greek command, with digits or a subscript
_ONE_NAME = Pattern(r"\s*(?:[A-Za-z]|\\(?:%s)(?![A-Za-z]))(?:_\{[A-Za-z0-9]+\}|_[A-Za-z0-9]|[0-9]+)?\s*"
                       % "|".join(GREEK))
# What follows a decoration: one name braced, or one letter or Greek command bare (\hat y, \hat\mu)
_DECORATED_NAME = Pattern(r"(?:\s*\{\s*(?:\\(?:%s)\s*(?:\{%s\}|%s)|%s)\s*\}|\s+[A-Za-z]|\s*\\(?:%s)(?![A-Za-z])"
                          r"|\s*[α-ωΑ-Ωϑϕϵ])"
                          % ("|".join(sorted(STYLES)), _ONE_NAME.pattern, _ONE_NAME.pattern, _ONE_NAME.pattern,
                             "|".join(GREEK)))
_STYLE_ARGUMENT = Pattern(r"\s*\{((?:[^{}]|\{[^{}]*\})*)\}|\s+([A-Za-z])|\s*(\\[A-Za-z]+)")


def _check_style(text: str, m: re.Match) -> None:
    """\\mathbf{x}, \\bm{\\theta}, \\boldsymbol\\mu: a style holds one name (or \\mathbf{1}, 𝟏)."""
    word = m.group()[1:]
    arg = _STYLE_ARGUMENT.match(text, m.end())
    inner = None if arg is None else next(g for g in arg.groups() if g is not None)
    if inner is not None and (_ONE_NAME.fullmatch(inner) or (word == "mathbf" and inner.strip() == "1")):
        return
    if inner is not None and arg.group(3) and inner[1:] in REFUSED_COMMANDS:
        return  # \boldsymbol\hat{x}: the inner command's own refusal says more
    if inner is not None and inner.strip().isdigit():
        message = (f"\\{word}{{{inner.strip()}}} is not read: \\mathbf{{1}} is the vector of ones, and matcalc has no "
                   "zero or other constant vector (leave a zero term out; write c \\mathbf{1} for a constant c)")
    elif inner is not None and inner.strip():
        message = (f"\\{word}{{{inner.strip()}}} is not read: a style holds one name here; style each name "
                   f"alone, as in \\{word}{{A}} \\{word}{{x}}, or leave the style out")
    else:
        message = f"\\{word} needs a name to style, as in \\{word}{{x}}"
    raise MatcalcError(message, text, (m.start(), arg.end() if arg else m.end()))


def _check_greek(text: str, m: re.Match) -> None:
    ch = m.group()
    if ch in LATIN_LOOKALIKES:
        greek, latin = LATIN_LOOKALIKES[ch]
        raise MatcalcError(f"{ch!r} is the Greek letter {greek}, which looks like the Latin {latin}: "
                           f"write {latin}", text, m.span())
    if ch not in GREEK_LETTERS:
        raise MatcalcError(f"{ch!r} (U+{ord(ch):04X}) is not a letter matcalc reads", text, m.span())


_ONE = Pattern(r"\s*\(\s*1\s*\)")


def _check_run(text: str, start: int, run: str) -> None:
    if run in BARE_WORDS:  # norm1, norm2: words with a digit
        return
    run = run.rstrip("0123456789")  # W1, x12: names with digits
    if run in ("vector", "matrix") and not _ONE.match(text, start + len(run)):  # never v e c t o r
        raise MatcalcError(_only_of_ones(run), text, (start, start + len(run)))
    if run in BARE_WORDS or run in OTHER_WORDS or len(run) == 1:
        return
    if (run in WORDS or run in MEANT) and re.match(r"\s*\(", text[start + len(run):]):  # ReLU(x), KL(p, q)
        said = MEANT[run] if run in MEANT else (f"for the function write \\operatorname{{{run}}}(…) "
                                                 f"or {WORDS[run]}(…)")
        raise MatcalcError(f"`{run}` written bare reads as the product {' '.join(run)}: {said}; for the "
                           f"product put spaces between the letters", text, (start, start + len(run)))
    for piece in _PIECE.finditer(run):
        word = piece.group()
        if word in ("vector", "matrix"):  # matrixLSE: never m a t r i x L S E
            at = start + piece.start()
            raise MatcalcError(_only_of_ones(word), text, (at, at + len(word)))
        if word in BARE_WORDS or word in OTHER_WORDS:
            continue
        lower = word[1:] if word[0].isupper() else word
        if len(lower) <= 2 or lower in BARE_WORDS:
            continue
        at = start + piece.start() + len(word) - len(lower)
        if lower in _OBJECTIVE_WORDS:  # argmin, min: words of papers, with their own hint
            raise MatcalcError(f"{lower} is not read: {REFUSED_COMMANDS[lower]}", text, (at, at + len(lower)))
        raise MatcalcError(_unknown(lower, run), text, (at, at + len(lower)))


def _only_of_ones(word: str) -> str:
    return (f"{word} is read only as {word}(1), the {word} of ones: for a product of one-letter names, "
            f"put spaces between them: `{' '.join(word)}`")


# Words that other tools use for what matcalc writes another way
WRITTEN_OTHERWISE = {"norm": "\\|x\\| (Euclidean), \\|x\\|_1, \\|X\\|_F"}
# Words papers write for what matcalc reads in other terms: the message says what to write
_CONSTANT = "for an additive constant leave it out (its gradient is 0), or name it with one letter, such as c"
MEANT = {
    **dict.fromkeys(("const", "constant", "cst", "Const"), _CONSTANT),
    **dict.fromkeys(("KL", "DKL"), "for the KL divergence write it out, as p^T \\log(p ./ q)"),
    "hinge": "for the hinge loss write max(0, 1 - z), the rectifier of 1 - z",
    **dict.fromkeys(("mse", "MSE"), "for the mean squared error write it out, as \\|y - X w\\|^2 / n"),
    **dict.fromkeys(("gelu", "GELU", "elu", "ELU", "selu", "SELU", "silu", "SiLU", "swish", "Swish", "mish", "Mish",
                     "LeakyReLU", "leakyrelu", "lrelu", "PReLU", "prelu", "softsign", "hardtanh"),
                    "this activation is not in matcalc's table of functions; `matcalc rules` lists those it has "
                    "(relu, sigmoid, tanh, softplus, softmax, exp, log, abs, ...)"),
    **dict.fromkeys(("eig", "eigs", "eigmax", "eigmin", "rank"),
                    "matcalc takes no eigenvalues or ranks (it differentiates traces, determinants, norms and "
                    "entrywise functions)"),
}


def _unknown(word: str, run: str) -> str:
    if word in MEANT:
        return f"'{word}' is not read: {MEANT[word]}"
    import difflib  # only for an error (see above)

    near = difflib.get_close_matches(word, known_words(), n=3, cutoff=0.5)
    known = ", ".join(near + ([WRITTEN_OTHERWISE[word]] if word in WRITTEN_OTHERWISE else []))
    known = f" (known functions near it: {known})" if known else ""
    where = "" if run == word else f" in `{run}`"
    spaced, dotted = " ".join(word), " \\cdot ".join(word[:3])
    return (f"unknown word '{word}'{where}{known}. For a product of one-letter names, put spaces "
            f"between them: `{spaced}`, or `{dotted} …`")


def _listing(words: list[str]) -> str:
    return ", ".join(words)

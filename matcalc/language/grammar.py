"""Find grammar/matcalc.lark and build the LALR parser from it, with lark's table cache.

The function words are not written in the grammar file: `grammar_text` fills the placeholder
%FUNCTION_WORDS% from the table of functions, so the words live in one place. Lark's cache is
keyed by the hash of the text it is given, the filled text.

The grammar lives in the top-level grammar/ folder of a source checkout (also what an
editable install sees) and is copied into the wheel as matcalc/grammar/matcalc.lark.
"""
from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # matcalc/
CANDIDATES = (
    _PACKAGE / "grammar" / "matcalc.lark",          # installed wheel (force-include)
    _PACKAGE.parent / "grammar" / "matcalc.lark",   # source checkout or editable install
)


def grammar_path() -> Path:
    for path in CANDIDATES:
        if path.is_file():
            return path
    raise FileNotFoundError("matcalc.lark not found in " + " or ".join(str(p.parent) for p in CANDIDATES))


PLACEHOLDER = "%FUNCTION_WORDS%"


BARE_PLACEHOLDER = "%BARE_WORDS%"


def function_words_pattern(words=None) -> str:
    """The table's words as one regex alternation, longest first (Python's alternation takes
    the first that matches: `tanh` must be tried before `tan`)."""
    import re

    from ..calculus.functions import WORDS

    return "|".join(re.escape(w) for w in sorted(words or WORDS, key=lambda w: (-len(w), w)))


def grammar_text() -> str:
    """grammar/matcalc.lark with the function words of the table filled in (all of them inside
    \\operatorname{...}; the others also bare and after a backslash)."""
    from ..calculus.functions import BARE_WORDS

    source = grammar_path().read_text(encoding="utf-8")
    return source.replace(PLACEHOLDER, function_words_pattern()).replace(
        BARE_PLACEHOLDER, function_words_pattern(BARE_WORDS))


@functools.cache
def lark_parser():
    """The LALR parser; cache=True stores the tables in the temp dir keyed by the grammar's hash."""
    from lark import Lark

    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )

"""Find grammar/matcalc.lark and build the LALR parser from it, with lark's table cache.

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


@functools.cache
def lark_parser():
    """The LALR parser; cache=True stores the tables in the temp dir keyed by the grammar's hash."""
    from lark import Lark

    path = grammar_path()
    return Lark(
        path.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        cache=True,
    )

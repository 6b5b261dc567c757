"""Names as the user declares them (`--scalar \\lambda`, `λ: scalar` in a batch line) → the
canonical names the parser gives (`lambda`)."""
from __future__ import annotations

from ..errors import MatcalcError
from . import parser


def parse_declarations(declared: dict[str, str] | None) -> dict[str, str]:
    """Names given on the command line (`\\lambda`, `λ`, `lambda`, `W_2`) → canonical names."""
    out = {}
    for written, kind in (declared or {}).items():
        out[resolve_name(written)] = kind
    return out


def resolve_name(written: str) -> str:
    name = parser.canonical_name(written.strip().lstrip("\\") if written.strip().startswith("\\") and
                                 parser.canonical_name(written.strip()) is None else written)
    if name is None:
        name = parser.canonical_name("\\" + written.strip())
    if name is None:
        raise MatcalcError(f"'{written}' is not a variable name (one letter, maybe with digits or a subscript)",
                           written, (0, len(written)))
    return name

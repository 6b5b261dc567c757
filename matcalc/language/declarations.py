"""Names as the user declares them (`--scalar \\lambda`, `λ: scalar` in a batch line) → the
canonical names the parser gives (`lambda`), checked: a kind is one of KINDS, a name has one
kind, and a declared name occurs in the input (in a batch: in some line of it)."""
from __future__ import annotations

from ..errors import MatcalcError
from . import parser

KINDS = ("scalar", "vector", "matrix", "symmetric")
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


class BatchDeclarations(dict):
    """A batch line's declarations: the line's own, which the line must use, and the command
    line's (`shared`), which some line of the batch must use; `used` collects the shared names
    (as written) that a line used, for the batch to report the others at its end."""

    def __init__(self, own: dict[str, str], shared: dict[str, str], used: set[str]):
        for name, kind in own.items():
            if name in shared and shared[name] != kind:
                raise MatcalcError(f"{name} is declared {_a(shared[name])} on the command line and {_a(kind)} "
                                   "on this line: give it one kind")
        super().__init__({**shared, **own})
        self.shared = {name for name in shared if name not in own}
        self.used = used


def parse_declarations(declared: dict[str, str] | None, names: list[str] | None = None,
                       source: str = "") -> dict[str, str]:
    """Names given on the command line (`\\lambda`, `λ`, `lambda`, `W_2`) → canonical names.
    With `names` (the canonical names of the input), a declared name that is not among them
    is an error, except a batch's shared one (see BatchDeclarations)."""
    out: dict[str, str] = {}
    written_as: dict[str, str] = {}
    shared = getattr(declared, "shared", ())
    for written, kind in (declared or {}).items():
        if not isinstance(kind, str) or kind.strip().lower() not in KINDS:
            raise MatcalcError(f"{written}: unknown kind {kind!r}; a kind is scalar, vector, matrix or symmetric",
                               *_whole(source))
        kind = kind.strip().lower()
        name = resolve_name(written)
        if name in out and out[name] != kind:
            raise MatcalcError(f"{written_as[name]} and {written} are one name, declared {_a(out[name])} and "
                               f"{_a(kind)}: give it one kind", *_whole(source))
        out[name], written_as[name] = kind, written
    for name, written in written_as.items() if names is not None else ():
        if name in names:
            if written in shared:
                declared.used.add(written)
        elif written not in shared:
            raise MatcalcError(f"{written} is declared {_a(out[name])} but does not occur in the input",
                               *_whole(source))
    return out


def _a(kind: str) -> str:
    return kind if kind == "symmetric" else f"a {kind}"


def _whole(source: str) -> tuple[str, tuple[int, int] | None]:
    return source, ((0, len(source)) if source else None)


def resolve_name(written: str) -> str:
    if len(written) == 1 and written in _LETTERS:  # most variables: X, x
        return written
    name = parser.canonical_name(written.strip().lstrip("\\") if written.strip().startswith("\\") and
                                 parser.canonical_name(written.strip()) is None else written)
    if name is None:
        name = parser.canonical_name("\\" + written.strip())
    if name is None:
        raise MatcalcError(f"'{written}' is not a variable name (one letter, maybe with digits or a subscript)",
                           written, (0, len(written)))
    return name

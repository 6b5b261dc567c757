"""Immutable records, as `@dataclass(frozen=True)` makes them, without importing dataclasses.

Importing dataclasses (and the inspect module it loads) and decorating a class cost a batch's
start-up more than differentiating its first lines: the records on that path (the parse tree
of language/syntax.py, the Typing of language/kinds.py, the function table's rows, the
render styles, the API's results) are plain classes on this base instead. A record writes its
own `__init__` (positional fields first, as the dataclass's) and names its fields:

    _fields    every field the constructor takes, in its order (also repr's order)
    _compared  those that equality and the hash use (a dataclass field with compare=False is not)
    _shown     those that repr shows (one with repr=False is not)

Equality holds between records of the same class with equal compared fields; the hash is
that of the compared fields; setting or deleting an attribute raises AttributeError; and
`replace(**changes)` is `dataclasses.replace`: a new record, the other fields kept.
"""
from __future__ import annotations


class Frozen:
    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _compared: tuple[str, ...] = ()
    _shown: tuple[str, ...] = ()

    def _set(self, *values) -> None:
        """The fields of `_fields`, in order: for `__init__` (attribute assignment refuses)."""
        for name, value in zip(self._fields, values, strict=True):
            object.__setattr__(self, name, value)

    def _key(self) -> tuple:
        return tuple([getattr(self, name) for name in self._compared])

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._key() == other._key()
        return NotImplemented

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r}")

    def replace(self, **changes):
        """A copy with `changes` made, as dataclasses.replace gives it."""
        return type(self)(**{**{name: getattr(self, name) for name in self._fields}, **changes})

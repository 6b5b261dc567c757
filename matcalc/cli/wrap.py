"""Lines that fit a terminal: where a long equation breaks, and how a derivation's columns
(left-hand side, right-hand side, rule) are laid out at a width. Plain strings in, plain rows
out; `pretty` colours them. Widths are terminal cells (a wide character takes two)."""
from __future__ import annotations

import unicodedata

NARROWEST = 24  # a right-hand side column narrower than this puts the left-hand side on a line of its own


def cells(text: str) -> int:
    """The width of text in terminal cells."""
    if text.isascii():
        return len(text)
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


def wrap(text: str, width: int, rest: int | None = None) -> list[str]:
    """text in pieces of at most `width` cells (`rest` after the first), broken at spaces:
    before a + or - outside parentheses where one is near the end of the room, else at the
    space least deep in parentheses there; a piece with no space in it runs on."""
    pieces = []
    while cells(text) > width:
        cut = _break(text, max(width, 1))
        if cut is None:
            break
        pieces.append(text[:cut])
        text = text[cut + 1:]
        width = rest if rest is not None else width
    return pieces + [text]


def _break(text: str, width: int) -> int | None:
    """The index of the space to break at, or None."""
    depth, room = 0, 0
    candidates = []
    for i, ch in enumerate(text):
        room += cells(ch)
        if room > width + 1:  # the space itself may stand at width + 1: it is dropped
            break
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == " " and i > 0:
            operator = text[i + 1:i + 3] in ("+ ", "- ", "= ")
            candidates.append((i, depth, operator))
    if not candidates:
        return None
    late = [c for c in candidates if c[0] >= candidates[-1][0] // 2  # not so early that many lines follow
            and cells(text[c[0] + 1:]) >= 8] or candidates  # nor leaving a word alone: xᵀ
    best = min(late, key=lambda c: (c[1], not c[2], -c[0]))
    return best[0]


def equation(lhs: str, rhs: str, width: int, indent: int = 0) -> list[str]:
    """`lhs = rhs` in lines of at most `width` cells: the right-hand side wrapped under itself,
    or, where the left-hand side leaves it too little room, on lines of its own below it."""
    head = " " * indent + lhs + " = "
    if cells(head) + cells(rhs) <= width:
        return [head + rhs]
    room = width - cells(head)
    if room >= NARROWEST:
        pieces = wrap(rhs, room, room - 2)
        return [head + pieces[0]] + [" " * (cells(head) + 2) + p for p in pieces[1:]]
    pieces = wrap(rhs, width - indent - 4, width - indent - 6)
    return [" " * indent + lhs] + [" " * (indent + 2) + "= " + pieces[0]] + [
        " " * (indent + 6) + p for p in pieces[1:]]


def chain(rows: list[tuple[str, str, str, str]], width: int) -> list[tuple[str, str, str, str]]:
    """A derivation's rows (left-hand side or "", right-hand side, rule id, rule name) laid
    out at `width`, as lines (left, right, id, name), each a string to colour, whose cells add
    up to at most `width` wherever the width allows it:

    - all four columns aligned, where they fit (as always at a wide terminal);
    - else without the rule names;
    - else the right-hand sides wrapped in their column, the rule id after the first line;
    - else each left-hand side on a line of its own, the right-hand sides below it."""
    left = max(cells(lhs) for lhs, _, _, _ in rows)
    right = max(cells(rhs) for _, rhs, _, _ in rows)
    ids = max(cells(rule) for _, _, rule, _ in rows)
    names = max(cells(name) for _, _, _, name in rows)
    if 2 + left + 3 + right + 2 + ids + 1 + names <= width:
        return [("  " + _rjust(lhs, left) + " = ", _ljust(rhs, right) + "  ", _ljust(rule, ids) + " ", name)
                for lhs, rhs, rule, name in rows]
    if 2 + left + 3 + right + 2 + ids <= width:
        return [("  " + _rjust(lhs, left) + " = ", _ljust(rhs, right) + "  ", rule, "") for lhs, rhs, rule, _ in rows]
    room = width - (2 + left + 3) - 2 - ids
    out = []
    if room >= NARROWEST:
        column = min(right, room)
        for lhs, rhs, rule, _ in rows:
            pieces = wrap(rhs, column, column - 2)
            out.append(("  " + _rjust(lhs, left) + " = ", _ljust(pieces[0], column) + "  ", rule, ""))
            out += [(" " * (2 + left + 3 + 2), p, "", "") for p in pieces[1:]]
        return out
    column = max(12, width - 6 - 2 - ids)  # a piece wider than that runs on
    column = min(column, max(cells(wrap(rhs, column)[0]) for _, rhs, _, _ in rows))
    for lhs, rhs, rule, _ in rows:
        if lhs:
            pieces = wrap(lhs, width - 2, width - 6)
            out += [("  " + pieces[0], "", "", "")] + [("      " + p, "", "", "") for p in pieces[1:]]
        pieces = wrap(rhs, column, width - 8)
        out.append(("    = ", _ljust(pieces[0], column) + "  ", rule, ""))
        out += [(" " * 8, p, "", "") for p in pieces[1:]]
    return out


def _rjust(text: str, width: int) -> str:
    return " " * (width - cells(text)) + text


def _ljust(text: str, width: int) -> str:
    return text + " " * (width - cells(text))

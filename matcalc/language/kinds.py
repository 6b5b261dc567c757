"""Kinds and shapes: decide what each name is, check every operation, build typed expressions.

Upper-case names are matrices with symbolic dimensions never forced to 1. A lower-case name
is a column vector unless the expression only type-checks with it as a scalar; declarations
override. Shapes are found by unification (tr needs a square argument, a product matching
inner dimensions, a sum equal shapes, det and inverse a square matrix).
"""
from __future__ import annotations

import itertools
from fractions import Fraction

from ..calculus import algebra, functions
from ..errors import MatcalcError
from ..frozen import Frozen
from ..calculus.expr import SCALAR, Const, Expr, Identity, Integer, Ones, Sym
from .syntax import Syntax

KINDS = ("scalar", "vector", "matrix", "symmetric")
MAX_READINGS = 4096


class AmbiguousReading(MatcalcError):
    """Two readings with the fewest scalars both type-check: the user must declare one."""


class _Var:
    """A dimension to be found: union-find over symbolic dimensions. Only a dimension of
    `ones` may turn out to be 1 (the all-ones vector); a variable's never does. A dimension may
    turn out to be a `product` of others (the m·n rows of vec(X) or of A ⊗ B); the sizes of
    K_{mn} are dimensions with a `letter`, and two different letters are never one dimension.
    A `hole` is the size of an I or 𝟏 that nothing else has fixed yet."""

    __slots__ = ("parent", "may_be_one", "is_one", "product", "letter", "hole")

    def __init__(self, may_be_one: bool = False, letter: str | None = None, hole: bool = False):
        self.parent = self
        self.may_be_one = may_be_one
        self.is_one = False
        self.product = None
        self.letter = letter
        self.hole = hole

    def find(self) -> "_Var":
        root = self
        while root.parent is not root:
            root = root.parent
        node = self
        while node.parent is not root:
            node.parent, node = root, node.parent
        return root


def _find(d):
    if type(d) is _Var:  # no class derives from _Var
        root = d if d.parent is d else d.find()
        if root.is_one:
            return 1
        return root if root.product is None else _product(root.product)
    if isinstance(d, tuple):
        return _product(d)
    return d


def _product(dims):
    """The dimension d₁·d₂·…: a tuple of the dimensions that are not 1, flattened (1 if none
    is left, the one dimension if one is). As `expr.dim_product`, the order is kept."""
    flat = []
    for d in dims:
        d = _find(d)
        if d.__class__ is tuple:
            flat.extend(d)
        elif d != 1:
            flat.append(d)
    return 1 if not flat else flat[0] if len(flat) == 1 else tuple(flat)


def _unify(a, b) -> bool:
    a, b = _find(a), _find(b)
    if a is b or a == b:
        return True
    if a.__class__ is tuple or b.__class__ is tuple:
        return _unify_product(a, b) if a.__class__ is tuple else _unify_product(b, a)
    if isinstance(a, _Var) and isinstance(b, _Var):
        if a.letter and b.letter:  # K_{mn}: m and n are two dimensions
            return False
        b.may_be_one = a.may_be_one and b.may_be_one
        b.letter = b.letter or a.letter
        b.hole = a.hole and b.hole
        a.parent = b
        return True
    var = a if isinstance(a, _Var) else b
    if isinstance(var, _Var) and var.may_be_one:  # ones standing for the all-ones vector
        var.is_one = True
        return True
    return False  # a symbolic dimension is never 1


def _unify_product(p: tuple, d) -> bool:
    """p (a product of dimensions) = d. A dimension bound to a product stands for it; two
    products are matched as words (m·n is not n·m: vec(X) and vec(Xᵀ) are indexed differently),
    the size of an I or 𝟏 standing for as many factors as it must (I ⊗ vec(X) is mn·… rows).
    Of the matchings, the one that identifies the fewest sizes of variables is taken."""
    if isinstance(d, _Var):
        if d.letter or any(f is d for f in p):
            return False
        d.product = p
        return True
    if d == 1:  # 𝟏 ⊗ 𝟏ᵀ standing for a number
        if not all(isinstance(f, _Var) and f.may_be_one for f in p):
            return False
        for f in p:
            f.is_one = True
        return True
    if len(p) + len(d) > _MAX_WORD:
        return len(p) == len(d) and all(_unify(x, y) for x, y in zip(p, d))
    found = _match(p, d, {})
    if found is None:
        return False
    for var, word in found[1].values():
        if not _unify(var, word[0] if len(word) == 1 else word):
            return False
    return True


_MAX_WORD = 16  # factors in two products matched by search (longer ones, factor by factor)


def _match(s: tuple, t: tuple, bound: dict):
    """(cost, bindings) making the words s and t one, or None: a size of an I or 𝟏 may stand for
    any nonempty run of factors; two other sizes are identified at cost 1 (0 if one is a letter of
    K); two letters never. Bindings: id(var) → (var, its run)."""
    if not s or not t:
        return (0, bound) if not s and not t else None
    x, y = s[0], t[0]
    if id(x) in bound:
        return _match(bound[id(x)][1] + s[1:], t, bound)
    if id(y) in bound:
        return _match(s, bound[id(y)][1] + t[1:], bound)
    if x is y:
        return _match(s[1:], t[1:], bound)
    options = []
    if x.hole:
        options += [(0, x, t[:k], s[1:], t[k:]) for k in range(1, len(t) + 1) if all(f is not x for f in t[:k])]
    if y.hole:
        options += [(0, y, s[:k], s[k:], t[1:]) for k in range(1, len(s) + 1) if all(f is not y for f in s[:k])]
    if not options and not (x.letter and y.letter):
        var, other = (y, x) if y.letter is None else (x, y)
        options.append((0 if other.letter else 1, var, (other,), s[1:], t[1:]))
    best = None
    for cost, var, word, rest_s, rest_t in options:
        found = _match(rest_s, rest_t, {**bound, id(var): (var, word)})
        if found is not None and (best is None or cost + found[0] < best[0]):
            best = (cost + found[0], found[1])
    return best


class _Fail(Exception):
    """A reading that does not type-check; `{0}`, `{1}` in the message stand for the source
    text of the operands whose spans are given, quoted, and `{2}`, `{3}` for the same text bare."""

    def __init__(self, message: str, span, operands=()):
        self.message, self.span, self.operands = message, span, operands

    def text(self, source: str) -> str:
        texts = [" ".join(source[a:b].split()) for a, b in self.operands]
        return self.message.format(*(f"`{t}`" for t in texts), *texts) if texts else self.message


def is_upper(name: str) -> bool:
    return name[0].isupper()


class Typing(Frozen):
    """The outcome of inference: each name's kind and shape (dimensions as names). `holes`: the
    shapes of the I and ones occurrences, by id of their syntax node. `_symbols`: one Sym per
    name (nodes are immutable, and a shared one makes `X == X` an identity test). `reading`:
    another reading that also type-checks and gives another answer, in words (api._reading).
    Compared by kinds, shapes and holes."""

    __slots__ = _fields = ("kinds", "shapes", "holes", "_symbols", "reading")
    _compared = ("kinds", "shapes", "holes")
    _shown = ("kinds", "shapes", "holes", "reading")

    def __init__(self, kinds: dict[str, str], shapes: dict[str, tuple], holes: dict[int, tuple],
                 _symbols: dict[str, Sym] | None = None, reading: str | None = None):
        # one a line: each slot through its descriptor, as syntax.Syntax's
        _set_kinds(self, kinds)
        _set_shapes(self, shapes)
        _set_holes(self, holes)
        _set__symbols(self, {} if _symbols is None else _symbols)
        _set_reading(self, reading)

    def symbol(self, name: str) -> Sym:
        found = self._symbols.get(name)
        if found is None:
            kind = Integer if self.kinds[name] == "integer" else Sym
            found = self._symbols[name] = kind(name, self.shapes[name], self.kinds[name] == "symmetric")
        return found


_set_kinds, _set_shapes, _set_holes, _set__symbols, _set_reading = (
    getattr(Typing, name).__set__ for name in Typing.__slots__)


def names_in(*trees: Syntax) -> list[str]:
    seen: dict[str, None] = {}
    for tree in trees:
        for node in tree.nodes():
            if node.op == "name":
                seen[node.value] = None
    return list(seen)


def infer(trees: list[Syntax], text: str, declared: dict[str, str] | None = None,
          scalar_result: bool = False, extra_names: tuple[str, ...] = ()) -> Typing:
    """Choose the kinds of all names in `trees` (they share one namespace) and their shapes.

    Lower-case names not declared start as vectors; readings with fewer scalars win. Two
    best readings that both type-check are an error naming the candidates.
    """
    declared = declared or {}
    names = names_in(*trees)
    if extra_names:
        names += [n for n in extra_names if n not in names]
    free = []  # the names whose kinds are guessed
    start = {}  # each reading starts from these kinds, some free names made scalars
    for n in names:
        kind = declared.get(n)
        if kind is None:
            if n[0].isupper():  # is_upper(n)
                kind = "matrix"
            else:
                kind = "vector"
                free.append(n)
        start[n] = kind
    # the first reading, no free name a scalar: most inputs have it, and the quick check takes it
    found = _check_plain(trees, start, scalar_result)
    if found is not None and found is not NOT_PLAIN:
        return Typing(start, *found)
    plain = found is None  # a reading with scalars may pass the quick check; else _check_all decides
    best: list[tuple[dict, dict]] = []
    failures: list[_Fail] = []
    tried = 0
    for n_scalars in range(len(free) + 1):
        for scalars in itertools.combinations(free, n_scalars):
            tried += 1
            if tried > MAX_READINGS:
                raise MatcalcError(
                    "too many lower-case names to guess which are scalars; declare them (--scalar a,b)",
                    text, trees[0].span)
            kinds = start.copy()  # _check_all marks exponents "integer" in it
            kinds.update(dict.fromkeys(scalars, "scalar"))
            found = _check_plain(trees, kinds, scalar_result) if plain and tried > 1 else None
            if found is None or found is NOT_PLAIN:  # _check_all decides, and says why not
                plain = plain and found is None
                try:
                    found = _check_all(trees, kinds, scalar_result)
                except _Fail as failure:
                    failures.append(failure)
                    continue
            best.append((kinds, *found))
        if best:
            break
    if not best:
        worst = max(failures, key=lambda f: (f.span[0], -f.span[1]))
        raise MatcalcError(worst.text(text), text, worst.span)
    if len(best) > 1:
        options = "; or ".join(
            ", ".join(f"{n} {k[n]}" for n in free if k[n] == "scalar") or "all vectors" for k, _, _ in best)
        first = next(n for n in free if best[0][0][n] == "scalar")
        raise AmbiguousReading(
            f"this reads more than one way: {options}. Declare which, e.g. --scalar {first}",
            text, trees[0].span)
    return Typing(*best[0])


def _check_all(trees, kinds, scalar_result):
    env, letters = {}, {}
    for name, kind in kinds.items():
        if kind in ("scalar", "integer"):
            env[name] = (1, 1)
        elif kind == "vector":
            env[name] = (_Var(), 1)
        elif kind == "symmetric":
            n = _Var()
            env[name] = (n, n)
        else:
            env[name] = (_Var(), _Var())
    holes: dict[int, tuple] = {}
    integers: set[str] = set()
    shapes = [_check(tree, env, holes, letters, integers) for tree in trees]
    _column_ones(holes)
    for tree, shape in zip(trees, shapes):
        if scalar_result and not _is_scalar(shape):
            raise _Fail(f"a gradient needs a scalar expression, but this is {_show(shape)}", tree.span)
    for name in integers:
        if kinds[name] not in ("scalar", "integer"):  # pragma: no cover - an exponent is a scalar
            raise _Fail(f"{name} is the exponent of a matrix power, so a symbolic integer, not a {kinds[name]}",
                        trees[0].span)
        kinds[name] = "integer"
    return _name_dims(env, holes, letters)


# The constructs of _check_plain: most inputs hold nothing else (tr(A X B), aᵀ X b, 2 tr(Xᵀ X)).
_PLAIN = frozenset(("name", "mul", "transpose", "number", "call", "add", "sub", "neg", "power", "identity"))
_PLAIN_CALLS = ("tr", "det", "logdet")  # each needs a square argument and is a scalar
NOT_PLAIN = object()  # _check_plain's answer for trees it leaves to _check_all


def _check_plain(trees, kinds, scalar_result):
    """_check_all's answer for trees of products, sums, transposes, numbers, numeric powers,
    I and tr/det/logdet, without its machinery: none of these makes a product of dimensions,
    a letter of K, a dimension that may be 1 or a symbolic integer, so a dimension is an int
    in a union-find list, 0 the dimension 1, and a shape is a scalar exactly when it is (0, 0).
    None for a reading that does not type-check (_check_all then says why); NOT_PLAIN for a
    tree with another construct. tests/test_kinds_plain.py holds it to _check_all."""
    parent = list(range(2 * len(kinds) + 1))  # a dimension's parent; 0 (the dimension 1) never joins another
    env = {}
    d = 1  # the next dimension of a name
    for name, kind in kinds.items():
        if kind == "matrix":
            env[name] = (d, d + 1)
            d += 2
        elif kind == "vector":
            env[name] = (d, 0)
            d += 1
        elif kind == "scalar":
            env[name] = (0, 0)
        elif kind == "symmetric":
            env[name] = (d, d)
            d += 1
        else:  # integers are _check_all's to find
            return NOT_PLAIN
    holes = {}
    for tree in trees:
        done = []  # as in _check: the first argument's shape on top
        for node in reversed(tree.nodes()):
            op = node.op
            if op == "name":
                done.append(env[node.value])
                continue
            if op == "mul" or op == "add" or op == "sub":
                left = done.pop()
                right = done[-1]
                if op == "mul":  # as _shape_of's: a scalar factor gives the other's shape
                    if left == (0, 0):
                        continue
                    if right == (0, 0):
                        done[-1] = left
                        continue
                    a, b = left[1], right[0]
                    shape = (left[0], right[1])
                else:  # a number next to a vector or matrix is the constant one of its shape
                    if left == (0, 0) != right and is_number(node.args[0]):
                        continue
                    if right == (0, 0) != left and is_number(node.args[1]):
                        done[-1] = left
                        continue
                    a, b = left[0], right[0]
                    if not _join(parent, left[1], right[1]):
                        return None
                    shape = left
                done[-1] = shape
            elif op == "transpose":
                r, c = done[-1]
                done[-1] = (c, r)
                continue
            elif op == "number":
                done.append((0, 0))
                continue
            elif op == "neg":
                continue
            elif op == "call" and node.value in _PLAIN_CALLS or op == "power" and len(node.args) == 1:
                a, b = done[-1]
                if a == b == 0:
                    continue
                if op == "call":
                    done[-1] = (0, 0)
                elif node.value.denominator != 1:
                    return None
            elif op == "identity":
                n = len(parent)
                parent.append(n)
                shape = holes[id(node)] = (n, n)
                done.append(shape)
                continue
            else:
                return NOT_PLAIN
            if not _join(parent, a, b):
                return None
        if scalar_result and done[-1] != (0, 0):
            return None
    names: dict[int, str | int] = {0: 1}  # the root of each dimension class, by first appearance

    def name(d):
        while parent[d] != d:
            d = parent[d]
        found = names.get(d)
        if found is None:
            i = len(names) - 1
            found = names[d] = _DIM_NAMES[i] if i < len(_DIM_NAMES) else f"d{i + 1}"
        return found

    named = {}
    for of, shapes in ((named, env), (holes, holes)):
        for key, (r, c) in shapes.items():
            of[key] = (name(r), name(c))
    return named, holes


def _join(parent: list, a: int, b: int) -> bool:
    """_unify for _check_plain's dimensions."""
    if a != b:
        if not a or not b:
            return False
        while parent[a] != a:
            a = parent[a]
        while parent[b] != b:
            b = parent[b]
        if a != b:
            parent[a] = b
    return True


def _is_scalar(shape) -> bool:
    return _find(shape[0]) == 1 and _find(shape[1]) == 1


def _show(shape) -> str:
    if _is_scalar(shape):
        return "a scalar"
    r, c = (_find(d) for d in shape)
    if c == 1:
        return "a column vector"
    if r == 1:
        return "a row vector"
    return "a square matrix" if r is c or r == c else "a matrix"


def is_number(node: Syntax) -> bool:
    """A numeric constant as written: 2, -1, 1/2, \\frac{1}{2}, 2^3."""
    stack = [node]  # iteratively: a sum of ten thousand numbers is a chain that deep
    while stack:
        n = stack.pop()
        if n.op == "number":
            continue
        if n.op not in ("neg", "div", "mul", "power", "add", "sub"):
            return False
        stack.extend(n.args)
    return True


def _as_scalar(shape) -> bool:
    """Make a shape 1×1 if its dimensions are 1 or a dimension of 𝟏 still free (𝟏ᵀ v)."""
    roots = [_find(d) for d in shape]
    if not all(r == 1 or (isinstance(r, _Var) and r.may_be_one) for r in roots):
        return False
    for r in roots:
        if isinstance(r, _Var):
            r.is_one = True
    return True


def _may_be_one(dim) -> bool:
    root = _find(dim)
    return isinstance(root, _Var) and root.may_be_one


def _column_ones(holes) -> None:
    """𝟏 is a column vector unless its context makes it a matrix: 𝟏ᵀ v is a number."""
    for shape in holes.values():
        c = _find(shape[1])
        if isinstance(c, _Var) and c.may_be_one:
            c.is_one = True


def _square(shape, node, what):
    if _is_scalar(shape):
        return
    if not _unify(shape[0], shape[1]):
        raise _Fail(f"{what} needs a square matrix, but {{0}} is {_show(shape)}", node.span,
                    (node.args[0].span,))


def _check(root: Syntax, env, holes: dict, letters: dict, integers: set | None = None):
    """Shape of every node, bottom-up (iteratively, so deep nesting is fine); records in
    `holes` the shapes of I and ones, whose size comes from their context, and the sizes of
    each K_{mn} (one dimension per letter, in `letters`, for the whole input); in `integers`
    the names in the exponent of a matrix power (symbolic integers: X^k)."""
    done: list[tuple] = []  # shapes of the subtrees finished and not yet used
    for node in reversed(root.nodes()):  # each node after its arguments, as _postorder gives them
        if node.op == "name":  # most nodes: looked up here, without two calls
            done.append(env[node.value])
            continue
        if node.op == "commutation":  # K_{mn} is mn × nm: K_{mn} vec(A) = vec(Aᵀ) for A m×n
            m, n = (_product([letters.setdefault(f, _Var(letter=f)) for f in size]) for size in node.value)
            holes[id(node)] = (m, n)
            done.append((_product((m, n)), _product((n, m))))
            continue
        shape = _shape_of(node, _operands(done, len(node.args)), env, integers)
        done.append(shape)
        if node.op in ("identity", "ones"):
            holes[id(node)] = shape
    return done[-1]


def _operands(done: list, n: int):
    """The values of a node's n arguments, taken off the top of `done`: in the order of
    `_postorder` each argument's subtree ends just before the next argument's (the last
    argument's first), so the first argument is on top. No dict keyed by id(node) needed."""
    if not n:
        return ()
    values = done[:-n - 1:-1]
    del done[-n:]
    return values


def _postorder(root: Syntax, runs: dict | None = None, raw: bool = False) -> list[Syntax]:
    """Every node after its arguments, the last argument's subtree first (iteratively, so deep
    nesting is fine). With `runs`, a left-nested run of products `A B C D` (or, when `raw`,
    of sums and differences) is one node with many arguments, recorded in `runs`."""
    order, stack = [], [root]
    while stack:
        node = stack.pop()
        order.append(node)
        args = node.args
        if args:
            op = node.op
            if runs is not None and (op == "mul" or raw and (op == "add" or op == "sub")):
                # the run: its operands left to right, the operation before each but the first
                same = ("mul",) if op == "mul" else ("add", "sub")
                operands, steps = [], []
                while op in same:
                    operands.append(node.args[1])
                    steps.append(op)
                    node = node.args[0]
                    op = node.op
                operands.append(node)
                operands.reverse()
                steps.reverse()
                runs[id(order[-1])] = (operands, steps)
                stack += operands[::-1]
            elif len(args) == 1:  # most nodes with arguments but runs: transposes, traces
                stack.append(args[0])
            else:
                stack += args[::-1]
    order.reverse()
    return order


def _shape_of(node: Syntax, a, env, integers: set | None = None):
    op = node.op
    # each branch returns or raises: the commonest operations first
    if op == "mul":
        left, right = a
        rows = _find(left[0])  # _is_scalar(left) and (right), each dimension found once
        if rows == 1 and _find(left[1]) == 1:
            return right
        inner = _find(right[0])
        if inner == 1 and _find(right[1]) == 1:
            return left
        if rows == 1 and _may_be_one(left[1]) and _as_scalar(left):  # (xᵀ 𝟏) y: 𝟏 is a vector
            return right
        if not _unify(left[1], inner):
            if _as_scalar(left):  # (𝟏ᵀ v) y: 𝟏ᵀ v is a number
                return right
            if _as_scalar(right):
                return left
            hint = ""
            if _find(left[1]) == 1 and _find(right[1]) == 1:  # two column vectors: x \cdot y
                u, v = ("{%d}" % i if arg.op == "name" else "({%d})" % i for i, arg in zip((2, 3), node.args))
                hint = f"; for their inner product write {u}^T {v}, for the outer product {u} {v}^T"
            raise _Fail(f"cannot multiply {{0}} ({_show(left)}) by {{1}} ({_show(right)}): inner dimensions differ"
                        + hint, node.span, (node.args[0].span, node.args[1].span))
        return (left[0], right[1])
    if op == "transpose":
        return (a[0][1], a[0][0])
    if op == "name":
        return env[node.value]
    if op == "number":
        return (1, 1)
    if op in ("identity", "ones"):
        if op == "identity":
            n = _Var(hole=True)
            return (n, n)
        return (_Var(may_be_one=True, hole=True), _Var(may_be_one=True, hole=True))
    if op == "kron":  # A ⊗ B, A m×n and B p×q, is mp × nq
        left, right = a
        if _is_scalar(left) or _is_scalar(right):
            return right if _is_scalar(left) else left
        return (_product((left[0], right[0])), _product((left[1], right[1])))
    if op in ("add", "sub", "hadamard", "hadamard_div"):
        left, right = a
        if op == "hadamard_div" and _is_scalar(left):
            return right
        # a number next to a vector or matrix is the constant one of its shape: 1 + exp(z), x - 1
        if _is_scalar(left) and not _is_scalar(right) and is_number(node.args[0]):
            return right
        if _is_scalar(right) and not _is_scalar(left) and is_number(node.args[1]):
            return left
        if not (_unify(left[0], right[0]) and _unify(left[1], right[1])):
            verb = {"add": "add", "sub": "subtract"}.get(op, "multiply elementwise")
            hint = ""
            scalar_name = (_is_scalar(left) and node.args[0].op == "name") or (
                _is_scalar(right) and node.args[1].op == "name")
            if scalar_name and _is_scalar(left) != _is_scalar(right) and op in ("add", "sub"):
                hint = ("; a number is added to every entry (1 + x), a scalar variable is not: "
                        "write it times a vector of ones, as in a \\mathbf{{1}} + x")
            raise _Fail(f"cannot {verb} {{0}} ({_show(left)}) and {{1}} ({_show(right)}): their shapes differ"
                        + hint, node.args[1].span, (node.args[0].span, node.args[1].span))
        return left
    if op == "neg":
        return a[0]
    if op == "div":
        if not _is_scalar(a[1]) and not (_unify(a[1][0], 1) and _unify(a[1][1], 1)):  # 1 / (ones^T v)
            raise _Fail(f"can only divide by a scalar, but the divisor is {_show(a[1])}", node.args[1].span)
        return a[0]
    if op == "inv_transpose":
        _square(a[0], node, "the inverse")
        return (a[0][1], a[0][0])
    if op in ("power", "hadamard_power") and len(a) == 2:
        return _variable_power(node, a, integers)
    if op == "power":
        if not _is_scalar(a[0]):
            if node.value.denominator != 1:
                raise _Fail("a matrix power needs an integer exponent", node.span)
            _square(a[0], node, "a matrix power")
        return a[0]
    if op == "hadamard_power":
        return a[0]
    if op == "det":
        _square(a[0], node, "the determinant")
        return (1, 1)
    if op == "query":  # ∇_x f inside an expression: shaped like x (∇_{xᵀ} f like xᵀ); ∇²_x f is n×n
        name, transposed, order = node.value
        if not _is_scalar(a[0]):
            raise _Fail(f"a gradient inside an expression needs a scalar expression, but {{0}} is {_show(a[0])}",
                        node.args[0].span, (node.args[0].span,))
        shape = env[name]
        if order == 2:
            if _find(shape[1]) != 1:
                raise _Fail("a Hessian inside an expression needs a vector variable", node.span)
            return (shape[0], shape[0])
        return (shape[1], shape[0]) if transposed else shape
    if op == "inner":  # ⟨A, B⟩ = tr(Aᵀ B): two arguments of one shape
        left, right = a
        if not (_unify(left[0], right[0]) and _unify(left[1], right[1])):
            raise _Fail(f"⟨{{0}}, {{1}}⟩ needs two arguments of one shape, but they are {_show(left)} and "
                        f"{_show(right)}", node.span, (node.args[0].span, node.args[1].span))
        return (1, 1)
    if op == "norm":
        if _is_scalar(a[0]):
            raise _Fail("the norm of a scalar: write the expression without bars, or use a vector", node.span)
        if node.value == "2" and _find(a[0][1]) != 1:
            raise _Fail("‖X‖ and ‖X‖₂ of a matrix are ambiguous: write \\|X\\|_F for the Frobenius norm, "
                        "\\|X\\|_1 for the sum of absolute values", node.span)
        return (1, 1)
    if op == "call":
        f = node.value
        if f in ("tr", "det", "logdet"):
            _square(a[0], node, {"tr": "the trace", "det": "the determinant", "logdet": "log det"}[f])
            return (1, 1)
        if f == "inv":
            _square(a[0], node, "the inverse")
            return a[0]
        if f == "sum":
            return (1, 1)
        if f == "norm2":
            if _is_scalar(a[0]) or _find(a[0][1]) != 1:
                raise _Fail(f"norm2 needs a column vector, but {{0}} is {_show(a[0])}; for a matrix write "
                            "\\|X\\|_F", node.span, (node.args[0].span,))
            return (1, 1)
        if f == "vec":  # the columns stacked: mn × 1 for an m × n matrix
            return (_product((a[0][1], a[0][0])), 1)
        if f == "diag":  # as numpy.diag: a vector's diagonal matrix, a square matrix's diagonal
            if _is_scalar(a[0]) or 1 in (_find(a[0][0]), _find(a[0][1])):
                n = a[0][1] if _find(a[0][0]) == 1 else a[0][0]
                return (n, n)
            _square(a[0], node, "diag of a matrix")
            return (a[0][0], 1)
        row = functions.BY_NAME.get(f)
        if row is not None and row.shape == "entries":  # norm1: of all the entries
            return (1, 1)
        if row is not None and row.shape == "square":  # adj
            _square(a[0], node, f"the {row.title}")
            return a[0]
        if row is not None and not row.elementwise:  # softmax, logsumexp: of a column vector
            if _is_scalar(a[0]) or not _unify(a[0][1], 1):
                raise _Fail(f"{f} needs a column vector, but {{0}} is {_show(a[0])}", node.span,
                            (node.args[0].span,))
            return (1, 1) if row.shape == "reduction" else a[0]
        return a[0]
    raise _Fail(f"internal: unknown construct {op}", node.span)  # pragma: no cover


# An exponent of a matrix power: integers written with names, numbers, +, - and products.
_INTEGER_OPS = ("name", "number", "add", "sub", "neg", "mul")


def _variable_power(node: Syntax, a, integers: set | None):
    """base^exponent for an exponent that is not a number: a^b and a^{xᵀx} for a scalar base
    (any scalar exponent), X^k and X^{k-1} for a square matrix (the names in the exponent are
    then symbolic integers)."""
    base, exponent = a
    if node.op == "hadamard_power":
        raise _Fail("an elementwise power needs a number for its exponent; for a variable one "
                    "write exp(y .* log(x)) for x.^y", node.args[1].span)
    names = []
    if not _is_scalar(base):  # whatever the kinds, a square base and an exponent written as an integer
        _square(base, node, "a matrix power")
        for n in node.args[1].walk():
            if n.op not in _INTEGER_OPS or n.op == "number" and n.value.denominator != 1:
                raise _Fail("the exponent of a matrix power is an integer: a number, or a symbolic integer "
                            "such as k or k - 1", node.args[1].span)
            if n.op == "name":
                names.append(n.value)
    if not _is_scalar(exponent) and not _as_scalar(exponent):
        raise _Fail(f"an exponent is a scalar, but {{0}} is {_show(exponent)}", node.args[1].span,
                    (node.args[1].span,))
    if _is_scalar(base):
        return base
    if integers is not None:
        integers.update(names)
    return base


_DIM_NAMES = "m n p q r s t u v w k l".split()


def _name_dims(env, holes, letters=None):
    """Give each dimension class a name: the letter of K_{mn} it is a size of, or the next
    free name, in order of first appearance (a product of dimensions: the tuple of names)."""
    names: dict[int, str] = {}
    for letter, var in (letters or {}).items():
        names[id(var.find())] = letter
    taken = set(names.values())
    free = (d for d in itertools.chain(_DIM_NAMES, (f"d{i}" for i in itertools.count(len(_DIM_NAMES) + 1)))
            if d not in taken)

    def name(d):
        found = names.get(id(d))
        if found is None:
            found = names[id(d)] = next(free)
        return found

    def named(shape):
        dims = []
        for d in shape:
            d = _find(d)
            if d == 1:
                dims.append(1)
            elif d.__class__ is tuple:
                dims.append(tuple(map(name, d)))
            else:  # name(d), written out: most dimensions
                found = names.get(id(d))
                if found is None:
                    found = names[id(d)] = next(free)
                dims.append(found)
        return tuple(dims)

    shapes = {var: named(shape) for var, shape in env.items()}
    return shapes, {node_id: named(shape) for node_id, shape in holes.items()}


# -- building typed expressions ------------------------------------------------------------------

class Raw:
    """Constructors that keep the input as written (for echoing it); `algebra` simplifies."""

    from ..calculus.expr import Add, Det, Func, Hadamard, HadamardPower, MatMul, Norm, Power, Sum, Trace, Transpose

    # A left operand of the same kind is extended, not nested: a + b + c parses as
    # (a + b) + c, and a long chain must not become a tree as deep as it is long.
    @staticmethod
    def add(a, b):
        return Raw.Add((*(a.terms if isinstance(a, Raw.Add) else (a,)), b))

    @staticmethod
    def sub(a, b):
        return Raw.add(a, Raw.neg(b))

    @staticmethod
    def neg(a):
        return Raw.MatMul((algebra.const(-1), a))

    @staticmethod
    def mul(a, b):
        chains = b.is_scalar or a.shape[1] == b.shape[0]  # not (xᵀy) B: a 1×1 product stays whole
        left = a.factors if isinstance(a, Raw.MatMul) and not _is_negation(a) and chains else (a,)
        return Raw.MatMul((*left, b))

    @staticmethod
    def power(a, p):
        return Raw.Power(a, Fraction(p))

    @staticmethod
    def variable_power(a, b):
        from ..calculus.expr import VariablePower

        return VariablePower(a, b)

    @staticmethod
    def transpose(a):
        return Raw.Transpose(a)

    @staticmethod
    def trace(a):
        return Raw.Trace(a)

    @staticmethod
    def det(a):
        return Raw.Det(a)

    @staticmethod
    def hadamard(a, b):
        return Raw.Hadamard((*(a.factors if isinstance(a, Raw.Hadamard) else (a,)), b))

    @staticmethod
    def hadamard_power(a, p):
        return Raw.HadamardPower(a, Fraction(p))

    @staticmethod
    def func(name, a):
        return Raw.Func(name, a)

    @staticmethod
    def sum_entries(a):
        return Raw.Sum(a)

    @staticmethod
    def norm(a, kind):
        return Raw.Norm(a, kind)

    @staticmethod
    def kron(a, b):
        from ..calculus.expr import Kron

        return Raw.mul(a, b) if a.is_scalar or b.is_scalar else Kron(a, b)

    @staticmethod
    def vec(a):
        from ..calculus.expr import Vec

        return a if a.is_scalar else Vec(a)


def _is_negation(e) -> bool:
    """-a as written (the product -1 · a): (-a) b is not -1 · a · b when echoed."""
    return len(e.factors) == 2 and _is_minus_one(e.factors[0])


def _is_minus_one(e) -> bool:
    """e == algebra.const(-1), without building the constant to compare with."""
    return e.__class__ is Const and e.value == -1


def build(root: Syntax, typing: Typing, raw: bool = False) -> Expr:
    """The typed expression of a checked syntax tree, simplified unless `raw`.

    A run such as `A B C D`, which parses as ((A B) C) D, is built in one step, with the very
    result that building it a product at a time would give, but in linear time."""
    ops = Raw if raw else algebra
    done: list[Expr] = []  # see _operands
    runs: dict[int, tuple] = {}
    for node in _postorder(root, runs, raw):
        if node.op == "name":  # most nodes: as _build_one does, without two calls
            done.append(typing.symbol(node.value))
            continue
        run = runs.get(id(node)) if runs else None
        if run is None:
            done.append(_build_one(node, _operands(done, len(node.args)), typing, ops))
            continue
        values = _operands(done, len(run[0]))
        if not raw:
            done.append(algebra.mul_chain(values))
        elif node.op == "mul":
            done.append(_raw_product(values))
        else:
            done.append(_raw_sum(values, run[1]))
    return done[-1]


def build_both(root: Syntax, typing: Typing) -> tuple[Expr, Expr]:
    """(build(root, typing), build(root, typing, raw=True)) in one walk of the tree, which the
    two share with its runs and symbols. A sum as written is one run; simplified, it is built a
    term at a time, as `build` does. A query is the same expression either way (its gradient,
    built once)."""
    simple: list[Expr] = []  # see _operands, each list for its build
    written: list[Expr] = []
    runs: dict[int, tuple] = {}
    for node in _postorder(root, runs, raw=True):
        op = node.op
        if op == "name":
            symbol = typing.symbol(node.value)
            simple.append(symbol)
            written.append(symbol)
            continue
        # the commonest operations after names, as _build_one builds them, in place
        if op == "transpose":
            simple[-1] = algebra.transpose(simple[-1])
            written[-1] = Raw.Transpose(written[-1])
            continue
        if op == "call" and node.value == "tr":
            simple[-1] = algebra.trace(simple[-1])
            written[-1] = Raw.Trace(written[-1])
            continue
        if op == "number":  # the same constant either way
            value = algebra.const(node.value)
            simple.append(value)
            written.append(value)
            continue
        run = runs.get(id(node))
        if run is None:
            n = len(node.args)
            value = _build_one(node, _operands(simple, n), typing, algebra)
            simple.append(value)
            as_written = _operands(written, n)
            written.append(value if op == "query" else _build_one(node, as_written, typing, Raw))
            continue
        args, steps = run
        terms = _operands(simple, len(args))
        as_written = _operands(written, len(args))
        if op == "mul":
            simple.append(algebra.mul_chain(terms))
            written.append(_raw_product(as_written))
            continue
        value = terms[0]
        for step, term in zip(steps, terms[1:]):
            value = _sum_of(step, value, term, algebra)
        simple.append(value)
        written.append(_raw_sum(as_written, steps))
    return simple[-1], written[-1]


def _raw_product(values: list[Expr]) -> Expr:
    """Raw.mul folded over the values, without copying the product at each step."""
    first = values[0]
    items = list(first.factors) if isinstance(first, Raw.MatMul) and not _is_negation(first) else [first]
    shape = first.shape  # of the product so far
    for i, b in enumerate(values[1:]):
        if i and len(items) == 2 and _is_minus_one(items[0]):  # the product so far is -a
            items = [Raw.MatMul(tuple(items))]
        if not b.is_scalar:
            if shape == SCALAR and b.shape[0] != 1 and len(items) > 1 and any(not f.is_scalar for f in items):
                items = [Raw.MatMul(tuple(items))]  # (xᵀ U x) u: the 1×1 product stays whole, as in Raw.mul
            shape = b.shape if shape == SCALAR else (shape[0], b.shape[1])
        items.append(b)
    return Raw.MatMul(tuple(items))


def _broadcast(values, ops=None) -> list[Expr]:
    """Numbers among vectors or matrices of one shape become constant ones: 1 → 𝟏, 2 → 2 𝟏."""
    shape = next((v.shape for v in values if not v.is_scalar), None)
    if shape is None:
        return list(values)
    return [(ops or Raw).mul(v, Ones(shape)) if v.is_scalar else v for v in values]


def _raw_sum(values: list[Expr], steps: list[str]) -> Expr:
    """Raw.add and Raw.sub folded over the values, without copying the sum at each step."""
    values = _broadcast(values)
    first = values[0]
    items = list(first.terms) if isinstance(first, Raw.Add) else [first]
    for step, b in zip(steps, values[1:]):
        items.append(b if step == "add" else Raw.neg(b))
    return Raw.Add(tuple(items))


def _build_one(node, a, typing, ops):
    op = node.op
    if op == "name":
        return typing.symbol(node.value)
    if op == "number":
        return algebra.const(node.value)
    if op == "identity":
        return Identity(typing.holes[id(node)][0])
    if op == "ones":
        return Ones(typing.holes[id(node)])
    if op == "commutation":
        from ..calculus.kronecker import commutation

        return commutation(*typing.holes[id(node)])
    if op == "kron":
        return _kronecker().kron(a[0], a[1]) if ops is algebra else Raw.kron(a[0], a[1])
    if op in ("add", "sub"):
        return _sum_of(op, a[0], a[1], ops)
    if op == "hadamard" and (a[0].is_scalar or a[1].is_scalar):  # 2 .* x is 2 x
        return ops.mul(a[0], a[1])
    if op in ("mul", "hadamard"):
        return getattr(ops, op)(a[0], a[1])
    if op == "neg":
        return algebra.const(-a[0].value) if a[0].__class__ is Const else ops.neg(a[0])
    if op == "div":
        if a[0].__class__ is a[1].__class__ is Const and a[1].value != 0:  # \frac{1}{2} is a number
            return algebra.const(a[0].value / a[1].value)
        return ops.mul(a[0], ops.power(a[1], -1))
    if op == "hadamard_div":
        if a[1].is_scalar:  # x ./ 2
            return ops.mul(a[0], ops.power(a[1], -1))
        if a[0].is_scalar:
            return ops.mul(a[0], ops.hadamard_power(a[1], -1))
        return ops.hadamard(a[0], ops.hadamard_power(a[1], -1))
    if op == "transpose":
        return ops.transpose(a[0])
    if op == "inv_transpose":
        return ops.power(ops.transpose(a[0]), -1)
    if op == "power" and len(a) == 2:  # a^b, X^k
        return ops.variable_power(a[0], a[1])
    if op == "power":
        if a[0].__class__ is Const and node.value.denominator != 1:  # (-8)^{1/3} is -2, also as written
            return algebra.power(a[0], node.value)
        return ops.power(a[0], node.value)
    if op == "hadamard_power":
        return ops.hadamard_power(a[0], node.value)
    if op == "det":  # |a| of a scalar is its absolute value; of a matrix, the determinant
        return ops.func("abs", a[0]) if a[0].is_scalar else ops.det(a[0])
    if op == "query":
        return _derivative(node, a[0] if ops is algebra else build(node.args[0], typing), typing)
    if op == "inner":  # ⟨A, B⟩ = tr(Aᵀ B)
        return ops.trace(ops.mul(ops.transpose(a[0]), a[1]))
    if op == "norm" and node.value == "1":  # ‖X‖₁, a function of the table
        return ops.func("norm1", a[0])
    if op == "norm":
        return ops.norm(a[0], node.value)
    f = node.value
    if f == "tr":
        return ops.trace(a[0])
    if f == "det":
        return ops.det(a[0])
    if f == "logdet":
        return ops.func("log", ops.det(a[0]))
    if f == "inv":
        return ops.power(a[0], -1)
    if f == "sum":
        return ops.sum_entries(a[0])
    if f == "norm2":  # ‖x‖₂
        return ops.norm(a[0], "2")
    if f == "diag":
        return _diag(a[0], raw=ops is Raw)
    if f == "vec":
        return _kronecker().vec(a[0]) if ops is algebra else Raw.vec(a[0])
    return ops.func(f, a[0])


def _sum_of(op: str, a: Expr, b: Expr, ops) -> Expr:
    """a + b or a - b ("add", "sub")."""
    if a.is_scalar != b.is_scalar:  # 1 + x: 𝟏 + x
        return getattr(ops, op)(*_broadcast((a, b), ops))
    return getattr(ops, op)(a, b)


def _kronecker():
    from ..calculus import kronecker

    return kronecker


def _derivative(node: Syntax, f: Expr, typing: Typing) -> Expr:
    """∇_x f (or ∇²_x f) of a query standing inside an expression, by matcalc's own rules."""
    from ..calculus import differentiate, jacobian

    name, transposed, order = node.value
    var = typing.symbol(name)
    return jacobian.hessian(f, var) if order == 2 else differentiate.gradient(f, var, transposed)


def _diag(v: Expr, raw: bool) -> Expr:
    from ..calculus import kronecker
    from ..calculus.expr import Diag, Diagonal

    if not raw:
        return kronecker.diag(v) if 1 in v.shape else kronecker.diagonal(v)
    if v.is_scalar:
        return v
    if 1 in v.shape:
        return Diag(v if v.shape[1] == 1 else Raw.transpose(v))
    return Diagonal(v)

"""Typed matrix expressions: immutable nodes that know their shape.

A leaf module. Nodes are plain data with structural equality and a cached hash; the
simplifying constructors that build them live in `algebra`, the rules that differentiate
them in `differentiate`. A dimension is the integer 1 or a symbolic name such as "m".
"""
from __future__ import annotations

from fractions import Fraction

from . import functions as _functions

Dim = int | str
Shape = tuple[Dim, Dim]
SCALAR: Shape = (1, 1)


class Expr:
    """Base of all typed nodes. Subclasses list their data in `fields`."""

    __slots__ = ("shape", "is_scalar", "_hash", "_children")
    fields: tuple[str, ...] = ()
    type_bit = 0  # each node type's own bit, for node_types

    def __init__(self, *values):
        setter = object.__setattr__
        for name, value in zip(self.fields, values, strict=True):
            setter(self, name, value)
        shape = self._shape()
        setter(self, "shape", shape)
        setter(self, "is_scalar", shape == SCALAR)
        setter(self, "_hash", hash((type(self).__name__, *values)))

    def __init_subclass__(cls, **kwargs):
        """Each node type gets __init__ and key written out for its fields: the loops above,
        unrolled, run twice as fast, and building and comparing nodes is most of matcalc's work.
        They are written (_write_out) when the type's first node is built: compiling them costs
        about 1M instructions a type, and a run builds few of the 26 types (a batch of traces
        and quadratic forms, 7). Till then `key` is Expr's, which gives the same tuple."""
        super().__init_subclass__(**kwargs)
        cls.type_bit = 1 << len(_TYPE_BITS)
        _TYPE_BITS.append(cls)
        if "fields" not in cls.__dict__ or "__init__" in cls.__dict__:
            return
        cls.__init__ = _first_node

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _shape(self) -> Shape:
        raise NotImplementedError

    def key(self) -> tuple:
        return tuple(getattr(self, f) for f in self.fields)

    def __eq__(self, other):
        return self is other or (
            type(self) is type(other) and self._hash == other._hash and self.key() == other.key()
        )

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(repr(v) for v in self.key())})"

    def children(self) -> tuple["Expr", ...]:
        try:
            return self._children
        except AttributeError:
            pass
        out = []
        for value in self.key():
            if isinstance(value, Expr):
                out.append(value)
            elif isinstance(value, tuple):
                out.extend(v for v in value if isinstance(v, Expr))
        out = tuple(out)
        object.__setattr__(self, "_children", out)
        return out


_TYPE_BITS: list[type] = []  # the node types in the order of their bits


def _first_node(self, *values, **named):
    """A node type's __init__ till its first node: writes the type's own, then builds with it."""
    cls = next(c for c in type(self).__mro__ if c.__dict__.get("__init__") is _first_node)
    _write_out(cls)
    type(self).__init__(self, *values, **named)


def _write_out(cls) -> None:
    """cls.__init__ and cls.key, written out for its fields (Expr.__init_subclass__)."""
    names = ", ".join(cls.fields)
    # each slot written through its own descriptor: object.__setattr__ (which the
    # immutability above leaves) looks the name up first, at every field of every node
    setters = {f"_set_{name}": _slot_setter(cls, name) for name in (*cls.fields, "shape", "is_scalar", "_hash")}
    source = "\n".join([
        f"def __init__(self, {names}):",
        *(f"    _set_{name}(self, {name})" for name in cls.fields),
        # the shape: an expression of the fields where the class gives one, else its _shape()
        f"    shape = {cls.__dict__.get('shape_of_fields', 'self._shape()')}",
        "    _set_shape(self, shape)",
        "    _set_is_scalar(self, shape == SCALAR)",
        f"    _set__hash(self, hash(({cls.__name__!r}, {', '.join(_hashed(f, cls) for f in cls.fields)},)))",
        "def key(self):",
        f"    return ({', '.join('self.' + name for name in cls.fields)},)",
    ])
    namespace = {"SCALAR": SCALAR, **setters}
    exec(source, namespace)  # noqa: S102 - the source is built from the class's own field names
    cls.__init__ = namespace["__init__"]
    if "key" not in cls.__dict__:
        cls.key = namespace["key"]


def _slot_setter(cls, name: str):
    """The function that writes the slot `name` of a `cls` node."""
    slot = getattr(cls, name, None)
    if type(slot).__name__ == "member_descriptor":
        return slot.__set__
    return lambda node, value: object.__setattr__(node, name, value)


# A generated __init__ hashes an integral Fraction as its numerator: the same value
# (hash(Fraction(n)) == hash(n)) without Fraction.__hash__, which is Python code.
_NUMBER_FIELDS = ("value", "exponent")


# ... and a field that holds a node by that node's kept hash, without calling Expr.__hash__
# (Python code) for it: equal nodes still hash alike. (A tuple of nodes is hashed as it is:
# building a tuple of their hashes costs more than the calls.)
_NODE_FIELDS = frozenset(("arg", "base", "var", "dbase", "left", "right"))


def _hashed(name: str, cls=None) -> str:
    """The expression a generated __init__ hashes for the field `name`."""
    if name in _NUMBER_FIELDS and not getattr(cls, "symbolic_exponent", False):
        return f"({name}.numerator if {name}.denominator == 1 else {name})"
    if name in _NODE_FIELDS:
        return f"{name}._hash"
    return name


class Sym(Expr):
    """A variable: scalar (1×1), column vector (n×1) or matrix (m×n); maybe symmetric."""

    __slots__ = ("name", "dims", "symmetric")
    fields = ("name", "dims", "symmetric")
    shape_of_fields = "dims"  # the shape, as __init__ computes it

    def children(self):
        return ()  # a leaf: no field holds an Expr (the generic method would look, every time)


class Integer(Sym):
    """A symbolic integer, such as k in X^k: a scalar that is never differentiated and that
    numeric checks give whole values (1 ≤ k). A Sym, so that code and checks take it as an
    argument; a type of its own, so that it never equals the variable of the same name."""

    __slots__ = ()


class Differential(Expr):
    """dX, the differential of a variable."""

    __slots__ = ("var",)
    fields = ("var",)
    shape_of_fields = "var.shape"  # the shape, as __init__ computes it


class DifferentialOf(Expr):
    """d(U), the differential of an expression with respect to `var`, not yet worked out: the
    lines of a derivation between d f and df written out (derivations/steps.py) hold it. Its
    value is that of `differentiate.differential(arg, var)`."""

    __slots__ = ("arg", "var")
    fields = ("arg", "var")

    def _shape(self):
        return self.arg.shape


class Const(Expr):
    """An exact rational scalar."""

    __slots__ = ("value",)
    fields = ("value",)
    shape_of_fields = "SCALAR"  # the shape, as __init__ computes it

    def children(self):
        return ()


class Identity(Expr):
    __slots__ = ("n",)
    fields = ("n",)
    shape_of_fields = "(n, n)"  # the shape, as __init__ computes it

    def children(self):
        return ()


class Ones(Expr):
    """The all-ones matrix (or vector) of a shape."""

    __slots__ = ("dims",)
    fields = ("dims",)
    shape_of_fields = "dims"  # the shape, as __init__ computes it

    def children(self):
        return ()


class Zero(Expr):
    """The zero matrix (or vector) of a shape; the scalar zero is Const(0)."""

    __slots__ = ("dims",)
    fields = ("dims",)
    shape_of_fields = "dims"  # the shape, as __init__ computes it

    def children(self):
        return ()


class Add(Expr):
    __slots__ = ("terms",)
    fields = ("terms",)
    shape_of_fields = "terms[0].shape"  # the shape, as __init__ computes it

    def children(self):
        return self.terms  # all nodes: the generic method would look at each, once per node


class MatMul(Expr):
    """A product; 1×1 factors are scalar multiples and stand first."""

    __slots__ = ("factors",)
    fields = ("factors",)

    def _shape(self):
        # left to right; a 1×1 run such as xᵀa in xᵀa y is a number times what follows
        rows = cols = 1
        for f in self.factors:
            if not f.is_scalar:
                if rows == 1 and cols == 1:  # the product so far is 1×1: f's rows are the product's
                    rows, cols = f.shape
                else:
                    cols = f.shape[1]
        return SCALAR if rows == 1 and cols == 1 else (rows, cols)

    def children(self):
        return self.factors  # all nodes: the generic method would look at each, once per node


def product_of_shape(factors: tuple[Expr, ...], shape: Shape) -> MatMul:
    """MatMul(factors), its shape given: `algebra.plain_product` has found it while checking
    that the factors chain (tests compare the two)."""
    node = _new_node(MatMul)
    _set_factors(node, factors)
    _set_shape(node, shape)
    _set_is_scalar(node, shape == SCALAR)
    _set_hash(node, hash(("MatMul", factors)))  # as MatMul's own __init__ hashes
    return node


_new_node = object.__new__
_set_factors, _set_shape = MatMul.factors.__set__, Expr.shape.__set__
_set_is_scalar, _set_hash = Expr.is_scalar.__set__, Expr._hash.__set__


class Transpose(Expr):
    __slots__ = ("arg",)
    fields = ("arg",)
    shape_of_fields = "(arg.shape[1], arg.shape[0])"  # the shape, as __init__ computes it

    def children(self):
        return (self.arg,)  # the one field that holds a node


class Power(Expr):
    """base^exponent: integer powers of square matrices (-1 is the inverse), any rational of scalars."""

    __slots__ = ("base", "exponent")
    fields = ("base", "exponent")
    shape_of_fields = "base.shape"  # the shape, as __init__ computes it

    def children(self):
        return (self.base,)  # the one field that holds a node


class PowerDifferential(Expr):
    """Σ_{r=0}^{k-1} Xʳ dX X^{k-1-r}: d(Xᵏ) kept closed so huge powers never expand. The
    exponent k is a number, or an expression of symbolic integers (X^k, X^{k+1})."""

    __slots__ = ("base", "exponent", "dbase")
    fields = ("base", "exponent", "dbase")
    symbolic_exponent = True  # hashed as it is: a Fraction, or an Expr

    def _shape(self):
        return self.base.shape

    def children(self):
        return (self.base, self.dbase)  # the exponent is data, as a number would be


class VariablePower(Expr):
    """base^exponent with an expression for the exponent: a positive scalar to a scalar
    (a^b, a^{xᵀx}), or a square matrix to an expression of symbolic integers (X^k, X^{k-1})."""

    __slots__ = ("base", "exponent")
    fields = ("base", "exponent")
    symbolic_exponent = True

    def _shape(self):
        return self.base.shape

    def children(self):
        return (self.base, self.exponent)


class Trace(Expr):
    __slots__ = ("arg",)
    fields = ("arg",)
    shape_of_fields = "SCALAR"  # the shape, as __init__ computes it

    def children(self):
        return (self.arg,)  # the one field that holds a node


class Det(Expr):
    __slots__ = ("arg",)
    fields = ("arg",)
    shape_of_fields = "SCALAR"  # the shape, as __init__ computes it

    def children(self):
        return (self.arg,)  # the one field that holds a node


class Hadamard(Expr):
    """Elementwise product of equally shaped factors."""

    __slots__ = ("factors",)
    fields = ("factors",)

    def _shape(self):
        return self.factors[0].shape

    def children(self):
        return self.factors  # all nodes: the generic method would look at each, once per node


class HadamardPower(Expr):
    """Elementwise power X^{∘p}; p = -1 is the elementwise reciprocal."""

    __slots__ = ("base", "exponent")
    fields = ("base", "exponent")

    def _shape(self):
        return self.base.shape

    def children(self):
        return (self.base,)  # the one field that holds a node


class Func(Expr):
    """A function of the table in `functions` (exp, log, sigmoid, softmax, ...): elementwise,
    vector to vector, a reduction of a vector (or of all entries) to a scalar, or of a square matrix."""

    __slots__ = ("name", "arg")
    fields = ("name", "arg")

    def _shape(self):
        return SCALAR if self.name in _REDUCTIONS else self.arg.shape

    def children(self):
        return (self.arg,)  # the one field that holds a node


class Sum(Expr):
    """Sum of all entries."""

    __slots__ = ("arg",)
    fields = ("arg",)
    shape_of_fields = "SCALAR"  # the shape, as __init__ computes it

    def children(self):
        return (self.arg,)  # the one field that holds a node


class Norm(Expr):
    """‖x‖ (Euclidean, vectors) or ‖X‖_F (Frobenius); both are sqrt(tr(XᵀX))."""

    __slots__ = ("arg", "kind")
    fields = ("arg", "kind")

    def _shape(self):
        return SCALAR

    def children(self):
        return (self.arg,)  # the one field that holds a node


FUNCTIONS = tuple(f.name for f in _functions.TABLE)
_REDUCTIONS = frozenset(f.name for f in _functions.TABLE if f.shape in ("reduction", "entries"))
ONE = Const(Fraction(1))
ZERO = Const(Fraction(0))


def any_node(root: Expr, test) -> bool:
    """Whether some node of root passes `test`, each shared node looked at once, stopping at the first."""
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if test(node):
            return True
        for child in node.children():
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return False


def node_types(root: Expr) -> int:
    """The bits (`type_bit`) of the types of root's nodes, or-ed: `node_types(e) & Func.type_bit`
    tells whether e holds a function. Kept for each node, so that asking again, or of a part,
    is one look: the passes that only some node types concern (present's rules, the entrywise
    note) skip an expression without them at once."""
    known = _TYPES
    found = known.get(id(root))
    if found is not None:
        return found[1]
    if len(known) >= KEPT:
        known.clear()
    leaves = _LEAVES
    stack = [root]
    while stack:  # each node not yet known once, children first
        node = stack[-1]
        bits = node.type_bit
        waiting = False
        for child in node.children():
            if type(child) in leaves:  # most children: their own bit, nothing kept
                bits |= child.type_bit
                continue
            entry = known.get(id(child))
            if entry is None:
                stack.append(child)
                waiting = True
            else:
                bits |= entry[1]
        if not waiting:  # (else it is looked at again once its children are known)
            stack.pop()
            known[id(node)] = (node, bits)
    return known[id(root)][1]


# node_types' table: id(node) → (node, bits), by identity, the node kept alive so that its id
# stays its own. Emptied when full, and with algebra's tables after each line of a batch.
_TYPES: dict[int, tuple[Expr, int]] = {}
KEPT = 1 << 16


def postorder(root: Expr):
    """Each distinct node once, children before parents (iterative: no recursion limit)."""
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            yield node
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        children = node.children()
        if not children:  # a leaf: what pushing (node, True) would give at once
            yield node
            continue
        stack.append((node, True))
        stack.extend([(child, False) for child in reversed(children)])


def size(e: Expr) -> int:
    """Number of nodes, shared sub-trees counted each time they occur (the size as printed)."""
    count, stack = 0, [e]
    while stack:
        node = stack.pop()
        count += 1
        stack.extend(node.children())
    return count


def free_symbols(root: Expr) -> list[Sym]:
    """The variables of an expression in order of first appearance (left to right)."""
    found: dict[Sym, None] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, Sym):
            found.setdefault(node)
        elif isinstance(node, Differential):
            found.setdefault(node.var)
        else:
            stack.extend(reversed(node.children()))
    return list(found)


# -- Jacobians: diagonal matrices, vec and Kronecker products (built by matcalc.kronecker) -------

def dim_product(a: Dim, b: Dim) -> Dim:
    """The dimension a·b; a product of symbolic dimensions is the tuple of its factors."""
    if a == 1:
        return b
    if b == 1:
        return a
    return (*(a if isinstance(a, tuple) else (a,)), *(b if isinstance(b, tuple) else (b,)))


class Diag(Expr):
    """diag(v): the square matrix with the column vector v on its diagonal."""

    __slots__ = ("arg",)
    fields = ("arg",)

    def _shape(self):
        return (self.arg.shape[0], self.arg.shape[0])


class Diagonal(Expr):
    """diag(M): the column vector of the diagonal entries of a square matrix M."""

    __slots__ = ("arg",)
    fields = ("arg",)

    def _shape(self):
        return (self.arg.shape[0], 1)


class Vec(Expr):
    """vec(M): the columns of M stacked into one column (mn × 1 for an m × n matrix)."""

    __slots__ = ("arg",)
    fields = ("arg",)

    def _shape(self):
        return (dim_product(self.arg.shape[1], self.arg.shape[0]), 1)


class Kron(Expr):
    """A ⊗ B, the Kronecker product: vec(A X B) = (Bᵀ ⊗ A) vec(X)."""

    __slots__ = ("left", "right")
    fields = ("left", "right")

    def _shape(self):
        (a, b), (c, d) = self.left.shape, self.right.shape
        return (dim_product(a, c), dim_product(b, d))


class Commutation(Expr):
    """K_{mn}, the commutation matrix: K_{mn} vec(A) = vec(Aᵀ) for every m × n matrix A.

    Its rows are indexed like vec(Aᵀ), its columns like vec(A), so it is mn × nm."""

    __slots__ = ("m", "n")
    fields = ("m", "n")

    def _shape(self):
        return (dim_product(self.m, self.n), dim_product(self.n, self.m))

    def children(self):
        return ()


class IndexForm(Expr):
    """A Jacobian (or gradient) written entry by entry, in Einstein notation, where ⊗, vec and K
    cannot write it: J[(i j), (k l)] = ∂F_ij/∂X_kl = Σ over `terms` of coefficient × Π
    operand[labels], every label that is not in `outputs` summed. A term is (coefficient,
    ((operand, labels), ...)): the coefficient a scalar expression, each label string naming the
    operand's axes that are not of size 1, an axis read as several (a row of A ⊗ B, of vec(M))
    as its labels in parentheses, fastest first. `outputs`: the labels of F's axes, then of X's;
    `dims`: J's shape (over vec); `sizes`: (label, size) for each label inside parentheses."""

    __slots__ = ("terms", "outputs", "dims", "sizes")
    fields = ("terms", "outputs", "dims", "sizes")

    def _shape(self):
        return self.dims

    def children(self):
        try:
            return self._children
        except AttributeError:
            pass
        out = tuple(e for coefficient, factors in self.terms for e in (coefficient, *(op for op, _ in factors)))
        object.__setattr__(self, "_children", out)
        return out


def index_axes(labels: str) -> list[str]:
    """The axes of an operand of an IndexForm, each as its labels: "a(bc)" → ["a", "bc"]."""
    axes, group = [], None
    for c in labels:
        if c == "(":
            group = ""
        elif c == ")":
            axes.append(group)
            group = None
        elif group is not None:
            group += c
        else:
            axes.append(c)
    return axes


def index_dims(op: Expr, labels: str, sizes: dict) -> list:
    """The sizes of the axes `labels` names on op, an axis read as several split up."""
    axes = index_axes(labels)
    dims = [d for d in op.shape if d != 1]
    out = []
    for axis, d in zip(axes, dims, strict=True):
        out += [sizes[a] for a in axis] if len(axis) > 1 else [d]
    return out


_LEAVES = frozenset((Sym, Integer, Const, Identity, Ones, Zero, Commutation))  # node types without children

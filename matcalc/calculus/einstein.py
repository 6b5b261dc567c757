"""Jacobians in index (Einstein) notation, where ⊗, vec and K cannot write them (rule einstein).

vec(diag(dv)) needs the matrix that spreads a vector over a diagonal, diag(dM) the one that
picks it out; neither is a product of ⊗ and K. Entry by entry every linear map is easy:
each node of the differential dF (linear in dX) is read with index labels for its axes,

  dX_ab = δ_ak δ_bl dX_kl       (L M R)_ij = L_ia M_ab R_bj      (Mᵀ)_ij = M_ji
  (F ∘ M)_ij = F_ij M_ij        tr(M) = M_aa     sum(M) = 𝟏_a M_ab 𝟏_b
  diag(v)_ij = δ_ij v_i         diag(M)_i = M_ii
  vec(M)_(ba) = M_ab            (A ⊗ B)_(ac),(bd) = A_ab B_cd

and a δ with a summed label is contracted away (A_ia δ_ak = A_ik). F's axes are labelled i, j,
X's k, l; J[(i j), (k l)] = ∂F_ij/∂X_kl, rows and columns ordered as vec orders them. A gradient
(F a number) is G[k, l] = ∂f/∂X_kl, shaped like X.

vec and ⊗ read one axis as a pair of axes: the row (a c) of A ⊗ B is row a of A and row c of B,
c running fastest, as the entry (b a) of vec(M) is M_ab. Every operand on that axis is then
indexed by the pair, (b a), and NumPy reads it as two axes (a reshape in column-major order).
An operand's labels are stored fastest first, a pair in parentheses: "(ab)" is the pair (b a).
"""
from __future__ import annotations

from fractions import Fraction

from . import algebra as alg
from .canonical import chain_shape, segments
from ..errors import MatcalcError
from .expr import (
    ONE, SCALAR, Add, Diag, Diagonal, Differential, Expr, Hadamard, Identity, IndexForm, Kron, MatMul, Ones,
    PowerDifferential, Sum, Sym, Trace, Transpose, Vec, dim_product, index_axes, postorder,
)

# summed labels: those with a Unicode subscript first, then the rest (never i, j, k, l)
SUMMED = "aeoprstuvxmn" + "bcdfghqwyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def index_jacobian(df: Expr, f_shape, var: Sym) -> IndexForm:
    """J with J[(i j), (k l)] = ∂F_ij/∂X_kl, read off df (linear in dX) entry by entry."""
    f_labels = _labels(f_shape, "ij")
    x_labels = _labels(var.shape, "kl")
    outputs = "".join(a for a in (*f_labels, *x_labels) if a)
    rows = dim_product(f_shape[1], f_shape[0])
    columns = dim_product(var.shape[1], var.shape[0])
    return _index_form(df, var, f_labels, outputs, (rows, columns))


def index_gradient(df: Expr, var: Sym, transposed: bool = False) -> IndexForm:
    """G with G[k, l] = ∂f/∂X_kl, read off the scalar df entry by entry (Gᵀ if `transposed`).
    For a symmetric X, (G + Gᵀ)/2, as `differentiate.gradient` gives it in matrix form."""
    outputs = "".join(a for a in _labels(var.shape, "kl") if a)
    form = _index_form(df, var, (None, None), outputs[::-1] if transposed else outputs,
                       var.shape[::-1] if transposed else var.shape)
    if not var.symmetric:
        return form
    half = alg.const(Fraction(1, 2))
    swap = str.maketrans("kl", "lk")
    terms = [(alg.mul(half, c), factors) for c, factors in form.terms]
    terms += [(alg.mul(half, c), tuple((op, labels.translate(swap)) for op, labels in factors))
              for c, factors in form.terms]
    return IndexForm(tuple(terms), form.outputs, form.dims, form.sizes)


def index_hessian(gradient: IndexForm, var: Sym, differential) -> Expr:
    """H[(i j), (k l)] = ∂G_ij/∂X_kl for a gradient G_kl written entry by entry: G's labels k, l
    renamed i, j, and each term differentiated by the product rule, d(c Π Mₐ) = dc Π Mₐ +
    c Σ_b dM_b Π_{a≠b} Mₐ, each dM_b read with the labels M_b carries. `differential` is
    differentiate's (passed in: differentiate falls back on this module for gradients)."""
    reader = _Reader(var)
    given = dict(gradient.sizes)
    for a, b in (("k", "i"), ("l", "j")):
        if a in given:
            reader.sizes[b] = given[a]
    raw = []
    for coefficient, factors in gradient.terms:
        # each term's summed labels made new: terms use the same letters, and one term's split is its own
        rename = {"k": "i", "l": "j"}
        for _, labels in factors:
            for a in labels:
                if a not in rename and a not in "()":
                    rename[a] = reader.fresh()
                    if a in given:
                        reader.sizes[rename[a]] = given[a]
        labelled = [(op, reader.axes(op, "".join(rename.get(a, a) for a in labels))) for op, labels in factors]
        dc = differential(coefficient, var)
        if not alg.is_zero(dc):
            raw += [(cs, [*fs, *labelled]) for cs, fs in reader.read(dc, (None, None))]
        for b, (op, labels) in enumerate(labelled):
            dop = differential(op, var)
            if alg.is_zero(dop):
                continue
            others = labelled[:b] + labelled[b + 1:]
            raw += [([coefficient, *cs], [*others, *fs]) for cs, fs in reader.read(dop, labels)]
    outputs = gradient.outputs.translate(str.maketrans("kl", "ij")) + "".join(a for a in _labels(var.shape, "kl") if a)
    width = dim_product(var.shape[1], var.shape[0])
    if not raw:  # G does not depend on X
        return alg.zero((width, width))
    return _assemble(reader, raw, outputs, (width, width))


def _index_form(df: Expr, var: Sym, f_labels: tuple, outputs: str, dims) -> IndexForm:
    reader = _Reader(var)
    return _assemble(reader, reader.read(df, f_labels), outputs, dims)


def _assemble(reader, raw: list, outputs: str, dims) -> Expr:
    """The IndexForm of terms as read: each a pair to its labels, δs contracted, and terms with
    the same factors and labels added up (2 A_ab, not A_ab + A_ab)."""
    collected: dict[tuple, list] = {}
    sizes = reader.sizes
    named: dict[str, object] = {}  # the summed labels as written, with their sizes (None: any)
    for coefficients, factors in raw:
        factors = [(op, tuple(reader.letters(a) for a in labels if a)) for op, labels in factors]
        factors = _rename(_contract(factors, set(outputs), sizes), set(outputs), sizes, named)
        key = tuple((_plain(op), "".join(a if len(a) == 1 else f"({a})" for a in axes)) for op, axes in factors)
        collected.setdefault(key, []).append(alg.mul(*coefficients) if coefficients else ONE)
    terms = [(alg.add(*cs), factors) for factors, cs in collected.items()]
    terms = [(c, factors) for c, factors in terms if not alg.is_zero(c)]
    if not terms:
        return alg.zero(dims)
    used = {a for _, factors in terms for _, labels in factors for a in labels}
    sizes = {**{a: d for a, d in sizes.items() if a in outputs}, **{a: d for a, d in named.items() if d is not None}}
    return IndexForm(tuple(terms), outputs, dims, tuple(sorted((a, d) for a, d in sizes.items() if a in used)))


def _rename(factors: list, outputs: set, sizes: dict, named: dict) -> list:
    """The summed labels of one term renamed a, e, o, ... in the order they come, so that equal
    terms look equal (A_ea B_ae and A_po B_op are one term). A label inside parentheses keeps its
    size: it takes the first name not given another size in another term."""
    mapping: dict[str, str] = {}
    grouped = {a for _, axes in factors for axis in axes if len(axis) > 1 for a in axis}
    for _, axes in factors:
        for a in "".join(axes):
            if a in outputs or a in mapping:
                continue
            size = sizes.get(a) if a in grouped else None  # a plain axis has its operand's size
            taken = set(mapping.values())
            name = next((b for b in SUMMED if b not in taken and (size is None or named.get(b) in (None, size))), None)
            if name is None:
                raise MatcalcError("this derivative needs more summed indices than matcalc has letters for")
            mapping[a] = name
            if size is not None or name not in named:
                named[name] = size
    return [(op, tuple("".join(mapping.get(a, a) for a in axis) for axis in axes)) for op, axes in factors]


def has_differential(e: Expr, var: Sym) -> bool:
    """Whether d`var` occurs in e (differentiate, which falls back on this module, has a cached one)."""
    return any(isinstance(node, Differential) and node.var == var for node in postorder(e))


def _plain(op: Expr) -> Expr:
    """An operand as indexed: (xᵀ)_a is x_a, a vector has one axis either way."""
    return op.arg if isinstance(op, Transpose) and 1 in op.shape else op


def _labels(shape, names: str) -> tuple:
    return tuple(None if d == 1 else a for d, a in zip(shape, names))


class _Reader:
    def __init__(self, var: Sym):
        self.var = var
        self.x_labels = _labels(var.shape, "kl")
        self.count = 0  # labels given out
        self.pairs: dict[str, tuple[str, str]] = {}  # a label read as a pair of labels (fastest first)
        self.sizes: dict[str, object] = {}  # the size of each label of a pair

    def pair(self, label, fast, slow) -> tuple[list, tuple]:
        """The labels of an axis of size fast·slow read as two axes, the first running fastest:
        two fresh labels, which the label stands for from now on, or, for a label that is F's or
        X's own, δ_{label (b a)} with the pair. An axis of size 1 needs no label."""
        if fast == 1 or slow == 1:
            return [], ((label, None) if slow == 1 else (None, label))
        known = self.pairs.get(label)
        if known is not None and tuple(self.sizes.get(a) for a in known) == (fast, slow):
            return [], known  # read as this pair before (vec(dX + dXᵀ), term by term)
        a, b = self.fresh(), self.fresh()
        self.sizes.update({a: fast, b: slow})
        if label in "ijkl" or known is not None:
            self.pairs[c := self.fresh()] = (a, b)
            return [(Identity(dim_product(slow, fast)), (label, c))], (a, b)
        self.pairs[label] = (a, b)
        return [], (a, b)

    def axes(self, op: Expr, labels: str) -> tuple:
        """The labels of op's axes as the reader writes them (None for an axis of size 1), from
        an IndexForm's string: an axis that is several, "(ab)", becomes a label of its own."""
        out = iter(index_axes(labels))
        written = []
        for d in op.shape:
            axis = None if d == 1 else next(out)
            if axis is not None and len(axis) > 1:
                self.pairs[c := self.fresh()] = tuple(axis)
                axis = c
            written.append(axis)
        return tuple(written)

    def letters(self, label: str) -> str:
        """The labels an axis labelled `label` is read as, fastest first (a pair of a pair: three)."""
        if label not in self.pairs:
            return label
        return "".join(self.letters(a) for a in self.pairs[label])

    def fresh(self) -> str:
        """A label not used before; past the letters, any character (`_rename` names them after)."""
        self.count += 1
        return SUMMED[self.count - 1] if self.count <= len(SUMMED) else chr(0x4E00 + self.count)

    def read(self, e: Expr, labels: tuple) -> list[tuple[list, list]]:
        """The terms of e with its axes labelled `labels` (None for an axis of size 1): each
        a list of scalar coefficients and a list of (operand, labels) factors."""
        var = self.var
        if isinstance(e, Differential):  # dX_ab = δ_ak δ_bl dX_kl
            return [([], [(Identity(d), (a, x)) for d, a, x in zip(var.shape, labels, self.x_labels) if a and x])]
        if isinstance(e, Add):
            return [t for u in e.terms for t in self.read(u, labels)]
        if isinstance(e, Transpose):
            return self.read(e.arg, labels[::-1])
        if isinstance(e, MatMul):
            return self.product(e, labels)
        if isinstance(e, Hadamard):  # (F ∘ M)_ij = F_ij M_ij
            i = self.linear(e.factors)
            others = [(f, labels) for k, f in enumerate(e.factors) if k != i]
            return [(c, [*others, *fs]) for c, fs in self.read(e.factors[i], labels)]
        if isinstance(e, Trace):  # tr(M) = M_aa
            if e.arg.is_scalar:
                return self.read(e.arg, (None, None))
            a = self.fresh()
            return self.read(e.arg, (a, a))
        if isinstance(e, Sum):  # sum(M) = 𝟏_a M_ab 𝟏_b
            r, c = e.arg.shape
            a, b = (None if r == 1 else self.fresh()), (None if c == 1 else self.fresh())
            ones = [(Ones((d, 1)), (x, None)) for d, x in ((r, a), (c, b)) if x]
            return [(cs, [*ones, *fs]) for cs, fs in self.read(e.arg, (a, b))]
        if isinstance(e, Diag):  # diag(v)_ij = δ_ij v_i
            r, c = labels
            n = e.shape[0]
            return [(cs, [(Identity(n), (r, c)), *fs]) for cs, fs in self.read(e.arg, (r, None))]
        if isinstance(e, Diagonal):  # diag(M)_i = M_ii
            return self.read(e.arg, (labels[0], labels[0]))
        if isinstance(e, PowerDifferential):  # Σ_r Xʳ dX Xᵏ⁻¹⁻ʳ, written out
            if isinstance(e.exponent, Expr):
                raise MatcalcError("the derivative of a matrix power X^k with a symbolic k is a sum of k terms; "
                                   "matcalc writes it entry by entry only for a number k")
            k = int(e.exponent)
            if k > 64:  # as jacobian.MAX_POWER_TERMS
                raise MatcalcError(f"the derivative of a matrix power X^{k} is a sum of {k} terms; matcalc writes at most 64")
            return self.read(alg.add(*(alg.mul(alg.power(e.base, r), e.dbase, alg.power(e.base, k - 1 - r))
                                       for r in range(k))), labels)
        if isinstance(e, Vec):  # vec(M)_(ba) = M_ab
            r, c = e.arg.shape
            deltas, inner = self.pair(labels[0], r, c)
            return [(cs, [*deltas, *fs]) for cs, fs in self.read(e.arg, inner)]
        if isinstance(e, Kron):  # (A ⊗ B)_(ac),(bd) = A_ab B_cd
            (m, n), (p, q) = e.left.shape, e.right.shape
            row_deltas, (c, a) = self.pair(labels[0], p, m)
            column_deltas, (d, b) = self.pair(labels[1], q, n)
            if has_differential(e.right, var):
                linear, ls, other, os = e.right, (c, d), e.left, (a, b)
            else:
                linear, ls, other, os = e.left, (a, b), e.right, (c, d)
            fixed = [*row_deltas, *column_deltas]
            if os == (None, None):
                return [([other, *cs], [*fixed, *fs]) for cs, fs in self.read(linear, ls)]
            return [(cs, [*fixed, (other, os), *fs]) for cs, fs in self.read(linear, ls)]
        raise MatcalcError(f"internal: {type(e).__name__} is not linear in d{var.name}")  # pragma: no cover

    def linear(self, factors) -> int:
        hits = [i for i, f in enumerate(factors) if has_differential(f, self.var)]
        if len(hits) != 1:  # pragma: no cover - the product rule leaves one dX per term
            raise MatcalcError("internal: a term of the differential is not linear")
        return hits[0]

    def product(self, e: MatMul, labels: tuple) -> list[tuple[list, list]]:
        """(L M R)_ij = L_ia M_ab R_bj: a fresh label between neighbours, none on a size-1 axis;
        a 1×1 run inside the product (xᵀy A) is a number with its own labels."""
        scalars = [f for f in e.factors if f.is_scalar]
        runs = segments([f for f in e.factors if not f.is_scalar])
        labelled: list[tuple[Expr, tuple]] = [(f, (None, None)) for f in scalars]
        for run in runs:
            outer = (None, None) if chain_shape(run) == SCALAR else labels
            left = outer[0]
            for t, f in enumerate(run):
                right = outer[1] if t == len(run) - 1 else (None if f.shape[1] == 1 else self.fresh())
                labelled.append((f, (left, right)))
                left = right
        i = self.linear([f for f, _ in labelled])
        coefficients, operands = [], []
        for k, (f, ls) in enumerate(labelled):
            if k == i:
                continue
            if ls == (None, None) or f.is_scalar:
                coefficients.append(f)
            elif isinstance(f, Diag):  # diag(v)_ab = δ_ab v_a
                operands += [(Identity(f.shape[0]), ls), (f.arg, (ls[0], None))]
            else:
                operands.append((f, ls))
        f, ls = labelled[i]
        return [(coefficients + cs, operands + fs) for cs, fs in self.read(f, ls)]


def _contract(factors: list, outputs: set, sizes: dict) -> list:
    """δ_ab with a summed label b that another factor carries: dropped, b renamed a; a label of
    a pair takes a's size with it. `factors` label each axis with a string, a pair with two
    letters (fastest first); a δ between a label and a pair stays."""
    factors = list(factors)
    changed = True
    while changed:
        changed = False
        for n, (op, axes) in enumerate(factors):
            if not isinstance(op, Identity) or len(axes) != 2 or len(axes[0]) != 1 or len(axes[1]) != 1:
                continue
            a, b = axes
            if a == b:
                continue
            others = [ls for m, (_, ls) in enumerate(factors) if m != n]
            for gone, kept in ((b, a), (a, b)):
                if gone not in outputs and any(gone in axis for ls in others for axis in ls):
                    factors = [(o, tuple(axis.replace(gone, kept) for axis in ls))
                               for m, (o, ls) in enumerate(factors) if m != n]
                    if gone in sizes and any(gone in axis and len(axis) > 1 for ls in others for axis in ls):
                        sizes.setdefault(kept, sizes[gone])
                    changed = True
                    break
            if changed:
                break
    return factors

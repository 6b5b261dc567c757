"""The road from text to result: parse → kinds/shapes → typed expression → gradient.

`diff`, `simplify` and `verify` are the Python API (re-exported by `matcalc`); the CLI is a
thin layer over them.
"""
from __future__ import annotations

import re

from .calculus import differentiate
from .calculus.expr import Expr
from .errors import MatcalcError
from .formats import render
from .language import kinds, parser
from .language.declarations import parse_declarations, resolve_name
from .language.syntax import Line, Query, Syntax
from .language.vocabulary import Pattern
from .results import LAYOUTS, Derivative, Gradient, Simplified

def diff(source: str, wrt: str | list[str] | tuple[str, ...] | None = None,
         declared: dict[str, str] | None = None, layout: str | None = None,
         steps: bool = False) -> Gradient | list[Gradient]:
    """∇ of `source` with respect to `wrt` (a name or several); `source` may be a query
    (`\\nabla_A tr(A B)`), in which case `wrt` may be left out. One name gives one Gradient.
    A vector-valued `source` gives its Jacobian (a `Derivative`). `layout`: see `gradients`.
    `steps`: a notebook shows the derivation in LaTeX too (`_repr_latex_`, as `-f latex --steps`)."""
    results = gradients_of(source, [wrt] if isinstance(wrt, str) else list(wrt or []), declared, layout)
    if steps:
        results = [r.replace(show_steps=True) for r in results]
    return results[0] if isinstance(wrt, str) or (wrt is None and len(results) == 1) else results


def gradients_of(source: str, wrts: list[str], declared: dict[str, str] | None = None,
                 layout: str | None = None) -> list[Gradient]:
    """One Gradient per variable: the query's own (`\\nabla_A ...`) first, then each of `wrts`."""
    line = parser.parse(source)
    if line.rhs is not None:
        raise MatcalcError("this is an identity (it has '='): use `matcalc verify`", source, (0, len(source)))
    if isinstance(line.lhs, Query) and line.lhs.order == 2:  # \nabla^2_x f
        return hessians_of(source, wrts, declared)
    return gradients(line.lhs, source, wrts, declared, layout)


def _targets(side: Syntax | Query, source: str, wrts: list[str]) -> list[tuple[str, bool]]:
    """(canonical name, with respect to the transpose?) for the query's variable and each of `wrts`."""
    targets: list[tuple[str, bool]] = []
    given: list[tuple[str, bool]] = []  # the variables after the expression
    if isinstance(side, Query):
        if side.wrt not in kinds.names_in(side.body):
            raise parser.absent(side, source)
        targets.append((side.wrt, side.transposed))
    for w in wrts:
        written = w
        w = w.strip()
        transposed = w.endswith(("^T", "'", "ᵀ"))
        for suffix in ("^T", "'", "ᵀ"):
            w = w.removesuffix(suffix)
        try:
            target = (resolve_name(w), transposed)
        except MatcalcError as e:
            raise MatcalcError(e.message + _split_by_the_shell(source, wrts), e.text, e.span) from None
        if isinstance(side, Query) and target != targets[0]:  # \nabla_x f w.r.t. A: which is meant?
            query = render.name(side.wrt, render.TEXT) + ("^T" if side.transposed else "")
            raise MatcalcError(f"the query differentiates with respect to {query}, but {written.strip()} is "
                               "given too: give the variable once, in the query or after the expression",
                               source, side.span)
        if target in targets:
            if target in given:  # `matcalc diff x^T x x`: the shell split the expression
                raise MatcalcError(f"{written.strip()} is given twice as the variable"
                                   + (_split_by_the_shell(source, wrts, True) or ": give it once"),
                                   source, (0, len(source)))
        else:
            targets.append(target)
        given.append(target)
    if not targets:
        raise MatcalcError("say which variable to differentiate with respect to, e.g. `matcalc diff EXPR A`",
                           source, (0, len(source)))
    return targets


def _split_by_the_shell(source: str, wrts: list[str], missing: bool = False) -> str:
    """A hint when the variables look like the rest of an expression the shell split up: one
    is no name, or (`missing`) one of several does not occur in the expression."""
    if missing and len(wrts) > 1 or any(not w.strip() or re.search(r"[^\\\w'ᵀ^{}]", w) for w in wrts):
        last = wrts[-1].strip()
        if len(wrts) > 1 and re.fullmatch(r"\\?[A-Za-z]\w*", last):  # the last word is the variable
            whole = " ".join([source, *wrts[:-1]])
            return f"; if `{whole}` is one expression, put it in quotes: matcalc diff '{whole}' {last}"
        whole = " ".join([source, *wrts])
        return f"; if `{whole}` is one expression, put it in quotes: matcalc diff '{whole}' VARIABLE"
    return ""


def _absent(name: str, names, source: str, wrts: list[str]) -> str:
    """The message for a variable that does not occur: x with x_i in the expression says that
    x_i is a name of its own (entries are not read), X for x that names are case-sensitive; else
    the shell's hint, if any."""
    own = sorted(n for n in names if n.startswith(name + "_"))
    if own:
        return (f"{name} does not occur in the expression: {own[0]} is a name of its own here, not an "
                f"entry of {name} (matcalc reads whole vectors and matrices, not their entries)")
    cased = parser.other_case(name, names)
    if cased:
        return (f"{name} does not occur in the expression, {cased} does: names are case-sensitive, so "
                f"differentiate with respect to {cased}")
    return f"{name} does not occur in the expression" + _split_by_the_shell(source, wrts, True)


def gradients(side: Syntax | Query, source: str, wrts: list[str],
              declared: dict[str, str] | None = None, layout: str | None = None) -> list[Gradient]:
    """A scalar expression gives gradients, shaped like the variable (the default) or, in the
    numerator layout, like its transpose (∇_{Xᵀ}, seed 3.C). A vector or matrix expression gives Jacobians, rows are outputs (the default and the numerator layout) or,
    in the denominator layout, the transpose."""
    if layout not in (None, *LAYOUTS):
        raise MatcalcError(f"the layout is numerator or denominator, not {layout!r}")
    body = side.body if isinstance(side, Query) else side
    targets = _targets(side, source, wrts)
    # the names are needed only to check declarations: none given, none to check
    declared_kinds = parse_declarations(declared, kinds.names_in(body) if declared else None, source)
    typing = _reading(body, source, declared_kinds, [name for name, _ in targets])
    expression, written = kinds.build_both(body, typing)  # simplified, and as written (to echo it)
    if not expression.is_scalar:  # (d/dx f)^T: the Jacobian in the denominator layout
        denominator = (layout == "denominator") ^ (isinstance(side, Query) and side.transposed)
        if isinstance(side, Query):
            targets[0] = (side.wrt, False)
        return _derivatives("jacobian", body, source, targets, typing, denominator, (expression, written))
    typing = _entrywise_note(written, typing, body)
    out = []
    for name, transposed in targets:
        if name not in typing.kinds:
            raise MatcalcError(_absent(name, typing.kinds, source, wrts), source, body.span)
        var = _variable(typing, name, source, body.span)
        transposed ^= layout == "numerator"  # ∂f/∂X shaped like Xᵀ is ∇_{Xᵀ} f
        try:
            result = differentiate.gradient(expression, var, transposed)
        except MatcalcError as e:  # no closed form (X^k): shown under the input
            if e.text:
                raise
            raise MatcalcError(e.message, source, body.span) from None
        out.append(Gradient(source, name, transposed, expression, written, result, typing))
    return out


def _variable(typing: kinds.Typing, name: str, source: str, span):
    """The variable to differentiate with respect to; never a symbolic integer."""
    if typing.kinds[name] == "integer":
        shown = render.name(name, render.TEXT)
        raise MatcalcError(f"{shown} is a symbolic integer (the exponent of a matrix power), so nothing "
                           f"can be differentiated with respect to it", source, span)
    return typing.symbol(name)


def _reading(body: Syntax, source: str, declared: dict[str, str], wrts: list[str],
             hessian: bool = False) -> kinds.Typing:
    """Kinds for `diff` and `hessian`. Lower-case names are vectors unless the expression only
    type-checks with them as scalars (the fewest scalars win); among the readings, in this
    order of preference:
    1. a scalar expression with each variable of differentiation a vector: a gradient
       (λ/2 ‖W‖² reads λ as a scalar);
    2. a scalar expression of some vector or matrix, the variables scalars where nothing else
       type-checks: a gradient w.r.t. a scalar coefficient (a xᵀx w.r.t. a, tr(aA) w.r.t. a);
    3. the variables vectors, the expression not a scalar: a Jacobian (exp(x) w.r.t. x);
    4. a scalar expression of scalars (x² w.r.t. x);
    5. any reading (the error of this last attempt is the one reported).
    When the best reading of another of the levels 1-4 type-checks too, with other kinds, the
    Typing's `reading` says which was taken and how to ask for the other.
    """
    as_vectors = {n: "vector" for n in wrts if n not in declared and not kinds.is_upper(n)}
    vectors = {**declared, **as_vectors}
    levels = [(vectors, True, None), (declared, True, _not_all_scalars),
              (vectors, False, None), (declared, True, None)]
    if not as_vectors:  # levels 2 and 4 are level 1's search again, and add nothing to it
        levels = [levels[0], levels[2]]
    if hessian:  # a Hessian needs a scalar expression
        levels = [level for level in levels if level[1]]
    chosen, alternatives, error = None, [], None
    tried: dict = {}  # (kinds given, scalar result?) → Typing or the MatcalcError: each search once
    for given, scalar_result, wanted in levels:
        try:
            typing = _infer_once(tried, body, source, given, scalar_result)
        except kinds.AmbiguousReading:
            if chosen is None:
                raise
            continue
        except MatcalcError as e:
            error = error or e
            continue
        if wanted is not None and not wanted(typing):
            continue
        if chosen is None:
            chosen = typing
        elif typing.kinds != chosen.kinds and all(typing.kinds != t.kinds for t in alternatives):
            alternatives.append(typing)
    if chosen is not None and not hessian and not _not_all_scalars(chosen) and not alternatives:
        # x y x w.r.t. x read as scalars: a vector y, the expression a vector, type-checks too
        try:
            other = _infer_once(tried, body, source, declared, False)
        except MatcalcError:
            other = None
        if other is not None and other.kinds != chosen.kinds:
            alternatives.append(other)
    if chosen is None:
        if hessian:
            raise error
        chosen = kinds.infer([body], source, declared)  # raises the error of any reading
    notes = ([_other_readings(chosen, alternatives)] if alternatives else []) + _transpose_lookalikes(
        body, source, chosen.kinds)
    notes += _product_lookalikes(body, source, chosen, declared)
    scalars = [n for n in _transposed_names(body) if n in as_vectors and chosen.kinds.get(n) == "scalar"] \
        if error is not None and not alternatives else []
    if scalars:  # x^T x^T: a vector x was meant, and fails
        shown = ", ".join(render.name(n, render.TEXT) for n in scalars)
        notes.append(f"{shown} {'is' if len(scalars) == 1 else 'are'} read as a scalar, whose transpose is itself; "
                     f"as a vector: {error.message}")
    integers = [render.name(n, render.TEXT) for n, kind in chosen.kinds.items()
                if kind == "integer" and declared.get(n) == "scalar"] if "integer" in chosen.kinds.values() else []
    if integers:  # X^k with --scalar k: said, since a real k is what a scalar declares
        notes.append(f"{', '.join(integers)} {'is' if len(integers) == 1 else 'are'} read as a symbolic "
                     "integer (the exponent of a matrix power), with whole values only")
    return chosen.replace(reading="; ".join(notes)) if notes else chosen


def _transposed_names(body: Syntax) -> list[str]:
    return sorted({n.args[0].value for n in body.nodes() if n.op == "transpose" and n.args[0].op == "name"})


def _transpose_lookalikes(body: Syntax, source: str, names) -> list[str]:
    """Say how a spelling of the transpose that is not one was read: x^t is x to the power t
    (β^t is meant so, and says nothing), and xTAx the product x T A x with a matrix T. `names`:
    those of body (each note is about a name t or T)."""
    if "t" not in names and "T" not in names:  # most inputs
        return []
    said = []
    for node in body.nodes():
        if (node.op == "power" and len(node.args) == 2 and node.args[1].op == "name" and node.args[1].value == "t"
                and node.args[0].op == "name" and len(str(node.args[0].value)) == 1):
            shown = source[node.span[0]:node.span[1]]
            said.append(f"{shown} is read as {node.args[0].value} to the power t; for the transpose write "
                        f"{node.args[0].value}^T")
        elif node.op == "name" and node.value == "T" and node.span[0] > 0 and source[node.span[0] - 1].isalnum():
            before = source[node.span[0] - 1]
            said.append(f"T after {before} is read as a matrix named T; for the transpose write {before}^T")
    return said


# A product sign between two letters, and what it means elsewhere when both are vectors
# (the signs as typed, as shown in the note, what vectors need)
_PRODUCT_SIGNS = (
    (("\\cdot", "·", "⋅"), "·", "for the inner product of vectors write {0}^T {1}"),
    (("\\times", "×"), "×", "the cross product of vectors is not read"),
    (("*",), "*", "for the entrywise product of vectors write {0} .* {1}, for the inner product {0}^T {1}"),
)


def _product_lookalikes(body: Syntax, source: str, chosen: kinds.Typing, declared: dict[str, str]) -> list[str]:
    """Say how `w \\cdot x` was read when a letter next to the sign is a scalar: between vectors a
    paper's w · x is their inner product (matcalc's wᵀx), w × x their cross product and NumPy's
    w * x their entrywise product; matcalc's ·, × and * are the product of scalars and matrices,
    and two column vectors have none, so a letter was read as a scalar."""
    if _SIGN_CHARACTERS.isdisjoint(source):  # most inputs: no sign
        return []
    said = []
    for node in body.nodes():
        if node.op != "mul" or any(arg.op != "name" for arg in node.args):
            continue
        names = [arg.value for arg in node.args]
        between = source[node.args[0].span[1]:node.args[1].span[0]]
        sign, meant = next(((shown, what) for signs, shown, what in _PRODUCT_SIGNS
                            if any(sign in between for sign in signs)), (None, None))
        if meant is None or not all(_LATIN_LETTER.fullmatch(n) for n in names) or any(n in declared for n in names):
            continue
        scalars = [n for n in dict.fromkeys(names) if chosen.kinds.get(n) == "scalar"]
        if scalars:
            read = " and ".join(scalars) + (" scalars" if len(scalars) > 1 else " a scalar")
            said.append(f"{names[0]} {sign} {names[1]} is read with {read}; {meant.format(*names)}")
    return said


_SIGN_CHARACTERS = frozenset("\\·⋅×*")  # each sign of _PRODUCT_SIGNS holds one
_LATIN_LETTER = Pattern(r"[a-z](?:_\w+)?")  # compiled when an input holds a product sign


def _infer_once(tried: dict, body: Syntax, source: str, given: dict[str, str], scalar_result: bool) -> kinds.Typing:
    """kinds.infer, each search of `_reading` done once. Without a scalar result asked for, the
    scalar reading found with no free name a scalar is the answer too: the search tries that
    kind assignment first, and alone."""
    key = (tuple(given.items()), scalar_result)
    if key not in tried and not scalar_result:
        scalar = tried.get((key[0], True))
        # a free name is a vector unless made a scalar (or then an integer, X^k): most readings have neither
        if isinstance(scalar, kinds.Typing) and (_NO_SCALARS.isdisjoint(scalar.kinds.values()) or all(
                scalar.kinds[n] == "vector" for n in scalar.kinds if n not in given and not kinds.is_upper(n))):
            tried[key] = scalar
    if key not in tried:
        try:
            tried[key] = kinds.infer([body], source, given, scalar_result=scalar_result)
        except MatcalcError as e:
            tried[key] = e
    found = tried[key]
    if isinstance(found, MatcalcError):
        raise found
    return found


# functions that also have a meaning as a function of a square matrix (e^X = Σ Xᵏ/k!)
_MATRIX_MEANINGS = {"exp": "matrix exponential", "log": "matrix logarithm", "sqrt": "matrix square root",
                    **{f: "matrix " + f for f in ("sin", "cos", "tan", "sinh", "cosh", "tanh")}}


def _entrywise_note(written: Expr, typing: kinds.Typing, body: Syntax) -> kinds.Typing:
    """Say so when a function with a matrix meaning (exp of a square matrix: e^X) is taken entry
    by entry, as matcalc takes every function: the other reading has another gradient. `written`
    is built from `body`, whose calls are its functions (and a query's gradient may hold any)."""
    for node in body.nodes():
        op = node.op
        if op == "call" and node.value in _MATRIX_MEANINGS or op == "query":
            break
    else:  # most inputs: nothing to say, no walk of the expression
        return typing
    from .calculus.expr import Func, postorder

    if not _holds_function(written, Func):
        return typing
    said = []
    for node in postorder(written):
        if isinstance(node, Func) and node.name in _MATRIX_MEANINGS and node.arg.shape[0] == node.arg.shape[1] != 1:
            shown = render.render(node, render.TEXT)
            if all(shown not in s for s in said):
                said.append(f"{shown} is taken entry by entry, not as the {_MATRIX_MEANINGS[node.name]}")
    if not said:
        return typing
    return typing.replace(reading="; ".join(([typing.reading] if typing.reading else []) + said))


def _holds_function(e: Expr, func_type) -> bool:
    """Whether e holds a function of _MATRIX_MEANINGS (each shared node looked at once)."""
    from .calculus.expr import any_node

    return any_node(e, lambda node: type(node) is func_type and node.name in _MATRIX_MEANINGS)


_NO_SCALARS = frozenset(("scalar", "integer"))
_SCALAR = frozenset(("scalar",))


def _not_all_scalars(typing: kinds.Typing) -> bool:
    return not _SCALAR.issuperset(typing.kinds.values())


def _other_readings(chosen: kinds.Typing, alternatives: list[kinds.Typing]) -> str:
    """`a is a scalar here; for the other reading declare --vector a`."""
    from .formats.render import TEXT, name

    def group(pairs) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for n, kind in pairs:
            out.setdefault(kind, []).append(name(n, TEXT))
        return out

    taken: dict[str, list[str]] = {}
    declares = []
    for other in alternatives:
        changed = [n for n in chosen.kinds if other.kinds.get(n) != chosen.kinds[n]]
        for kind, names in group((n, chosen.kinds[n]) for n in changed).items():
            taken.setdefault(kind, [])
            taken[kind] += [n for n in names if n not in taken[kind]]
        declares.append(" ".join(f"--{kind} {','.join(names)}"
                                 for kind, names in group((n, other.kinds[n]) for n in changed).items()))
    said = [f"{', '.join(names)} {'is a' if len(names) == 1 else 'are'} {kind}{'' if len(names) == 1 else 's'}"
            for kind, names in taken.items()]
    return (f"{'; '.join(said)} here; for the other reading declare {' or '.join(declares)}")


def hessians_of(source: str, wrts: list[str], declared: dict[str, str] | None = None) -> list[Derivative]:
    """∇²_x f, the Jacobian of the gradient, for a scalar f: one per variable (query first)."""
    line = parser.parse(source)
    if line.rhs is not None:
        raise MatcalcError("this is an identity (it has '='): use `matcalc verify`", source, (0, len(source)))
    body = line.lhs.body if isinstance(line.lhs, Query) else line.lhs
    targets = _targets(line.lhs, source, wrts)
    try:
        typing = _reading(body, source, parse_declarations(declared, kinds.names_in(body), source),
                          [name for name, _ in targets], hessian=True)
    except MatcalcError as e:
        raise MatcalcError(e.message.replace("a gradient needs", "a Hessian needs"), e.text, e.span) from None
    return _derivatives("hessian", body, source, targets, typing, False)


def hessian(source: str, wrt: str | None = None, declared: dict[str, str] | None = None,
            steps: bool = False) -> Derivative:
    """∇²_wrt of a scalar expression (the Python API of `matcalc hessian`); `steps` as for `diff`."""
    return hessians_of(source, [wrt] if wrt else [], declared)[0].replace(show_steps=steps)


def _derivatives(kind: str, body: Syntax, source: str, targets, typing, transposed: bool,
                 built: tuple[Expr, Expr] | None = None) -> list[Derivative]:
    """`built`: kinds.build_both(body, typing), if the caller has it."""
    from .calculus import jacobian as jac
    from .calculus.kronecker import transpose

    expression, written = built or kinds.build_both(body, typing)
    typing = _entrywise_note(written, typing, body)
    if kind == "jacobian" and expression.is_scalar:  # pragma: no cover - kinds found no scalar reading
        raise MatcalcError("internal: this expression was typed as a vector but built as a scalar",
                           source, body.span)
    out = []
    for name, wrt_transposed in targets:
        if name not in typing.kinds:
            raise MatcalcError(_absent(name, typing.kinds, source, [n for n, _ in targets]), source, body.span)
        if wrt_transposed:
            raise MatcalcError(f"a {'Hessian' if kind == 'hessian' else 'Jacobian'} is taken with respect to "
                               f"{name}, not its transpose (see --layout)", source, body.span)
        var = _variable(typing, name, source, body.span)
        try:
            result = jac.hessian(expression, var) if kind == "hessian" else jac.jacobian(expression, var)
        except MatcalcError as e:
            raise MatcalcError(e.message, source, body.span) from None
        result = transpose(result) if transposed else result
        out.append(Derivative(source, name, transposed, expression, written, result, typing, kind))
    return out


def typed(source: str, declared: dict[str, str] | None = None) -> tuple[Expr, kinds.Typing]:
    """Parse and type one expression (no query, no '='), simplified."""
    line: Line = parser.parse(source)
    if line.rhs is not None or isinstance(line.lhs, Query):
        raise MatcalcError("expected a plain expression", source, (0, len(source)))
    typing = kinds.infer([line.lhs], source, parse_declarations(declared, kinds.names_in(line.lhs), source))
    return kinds.build(line.lhs, typing), typing


def simplify(source: str, declared: dict[str, str] | None = None, steps: bool = False) -> Simplified:
    """The simplest canonical form of an expression: transposes at the leaves, traces rotated
    to a canonical order (seed 1.A-1.D), like terms collected. `steps`: a notebook shows the
    chain of equalities in LaTeX too (`_repr_latex_`, as `-f latex --steps`)."""
    from .calculus.canonical import simplest

    line: Line = parser.parse(source)
    if line.rhs is not None:
        raise MatcalcError("this is an identity (it has '='): use `matcalc verify`", source, (0, len(source)))
    if isinstance(line.lhs, Query):
        raise MatcalcError("simplify takes an expression; for a gradient use `matcalc diff`", source,
                           line.lhs.span)
    typing = kinds.infer([line.lhs], source, parse_declarations(declared, kinds.names_in(line.lhs), source))
    written = kinds.build(line.lhs, typing, raw=True)
    return Simplified(source, written, simplest(written), typing, show_steps=steps)


def verify(source: str, declared: dict[str, str] | None = None):
    """Decide an identity `LHS = RHS` (expressions or gradients): a `verify.Verdict`, true when
    it holds, saying how (symbolically, or numerically with the error)."""
    from .verify import verify as decide

    return decide(source, declared)

"""Chains of equalities for `simplify --steps` and `verify --steps`: which rules take an
expression to its canonical form, and so which rules make the two sides of an identity equal.

The canonical form (`canonical.py`) is reached one rule at a time: the routine
simplifications first, then each rule of `canonical.RULE_ORDER` switched on in turn (1.B,
1.A, 1.C, 1.D, ...), like terms collected after each. Every stage is `canonical.rewrite` of
the one before, so each step is an identity, and the steps cite the rule that was added.
For an identity, the left side's chain runs to the common canonical form and the right
side's chain runs back from it: LHS = … = canonical = … = RHS. A gradient side (∇_X f) is
derived first, one rule a step as `diff --steps` derives it (d f = … = ∇_X f), and its chain
goes on from the gradient; where both sides are gradients, each is derived so, and each goes
on towards the common canonical form until they meet: ∇f = … = M, ∇g = … = M. Two tidy-ups
in a row (a derivation's last `simplify`, then the chain's first) are one step.
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

from ..formats import render
from ..calculus.canonical import ALL, RULE_ORDER, canonical, rewrite
from ..calculus import algebra as alg
from ..calculus.expr import Det, Expr, MatMul, Trace
from .rules import BY_ID
from .steps import VALUE, Cited, Derivation, Step, add_step, derive, quadratic_form, seed_3b, shown

NOTES = {
    "simplify": "transposes to the leaves, products flattened, like terms collected",
    "distributive": "products multiplied out over sums",
    "1.B": "tr(A + B) = tr(A) + tr(B)",
    "1.A": "tr(Aᵀ) = tr(A)",
    "1.C": "tr(aA) = a tr(A): scalars out of the trace",
    "1.D": "tr(AB) = tr(BA): each trace rotated to one order (of it or, by 1.A, of its transpose)",
    "scalar-trace": "a 1×1 product is its own trace: a = tr(a) = tr(aᵀ)",
    "det": "|Aᵀ| = |A|, |AB| = |A| |B|, |Aᵏ| = |A|ᵏ",
    "commutation": "Kₘₙᵀ = Kₙₘ, Kₙₘ Kₘₙ = I, Kₘₙ vec(A) = vec(Aᵀ), Kₚₘ (A ⊗ B) = (B ⊗ A) Kᵣₙ",
}


@dataclass(frozen=True)
class Chain(Cited):
    """start = steps[0].expr = … = steps[-1].expr; `start` is an Expr, or a gradient
    (api.Gradient) whose ∇ query is the left-hand side."""

    start: object
    steps: tuple[Step, ...]
    derived: int = 0  # a gradient start: its first `derived` steps are its derivation, as diff's
    # (without its last tidy-up where the chain's next step tidies further: two `simplify` are one)
    other: object = None  # two gradient sides: the other side (an api.Gradient), derived from step `other_at` on
    other_at: int = 0
    other_derived: int = 0  # its derivation's steps, as `derived` for the start

    def first_line(self) -> Expr | None:
        return None if hasattr(self.start, "lhs") else self.start

    @property
    def other_derivation(self) -> Derivation | None:
        """The other gradient side's derivation, its steps' kinds as diff's."""
        if self.other is None:
            return None
        return Derivation(self.other, tuple(_unmarked(t) for t in self.steps[self.other_at:]))

    @property
    def derivation(self) -> Derivation | None:
        """The gradient side's derivation: the chain's first steps, f to ∇f, as `diff --steps`."""
        return Derivation(self.start, self.steps[:self.derived]) if self.derived else None

    def moves(self) -> list[tuple[Expr | None, Step]]:
        if not self.derived:
            return super().moves()
        if self.other is not None:  # each side's derivation from its own d f
            own = Derivation(self.start, self.steps[:self.other_at]).moves()
            theirs = self.other_derivation.moves()
            return own + [(before, marked) for (before, _), marked in zip(theirs, self.steps[self.other_at:])]
        return Derivation(self.start, self.steps).moves()  # d f starts the differential, as in diff

    @property
    def context(self) -> Expr:
        """The expression that names every dimension (for the NumPy form of a step)."""
        return self.start.written if hasattr(self.start, "written") else self.start

    def lhs(self, kind: str, style: str = "unicode") -> str:
        if kind.startswith(OTHER):
            return Derivation(self.other, ()).lhs(kind[len(OTHER):], style)
        if self.derived:
            return Derivation(self.start, self.steps).lhs(kind, style)
        if hasattr(self.start, "lhs"):
            return self.start.lhs(style)
        return render.render(self.start, render.STYLES[style])


OTHER = "right side's "  # the kinds of the other (right) gradient side's steps: its own left-hand sides


def _marked(step: Step) -> Step:
    return dataclasses.replace(step, kind=OTHER + step.kind)


def _unmarked(step: Step) -> Step:
    return dataclasses.replace(step, kind=step.kind[len(OTHER):]) if step.kind.startswith(OTHER) else step


def _derived_then(derived: list[Step], after: list[Step]) -> tuple[list[Step], int]:
    """A derivation, then steps that go on from its gradient (their kind made the gradient's);
    where the derivation ends in a tidy-up and the next step is one too, they are one step (the
    derivation then counts without its last). Returns the steps and the derivation's length."""
    kind = derived[-1].kind
    after = [dataclasses.replace(t, kind=kind) for t in after]
    n = len(derived)
    if after and derived[-1].rule == after[0].rule == "simplify" and n > 1:
        derived, n = derived[:-1], n - 1
    return derived + after, n


def to_canonical(e: Expr, rules: frozenset = ALL) -> list[Step]:
    """The steps from e to `canonical` form under `rules`, one rule switched on at a time;
    terms are sorted only at the end, so that no step merely reorders them."""
    steps: list[Step] = []

    def stage(rule: str, switched_on: set[str]) -> None:
        last = steps[-1].expr if steps else e
        after = rewrite(last, frozenset(switched_on))
        for r, form in _alone(rule, last, after):
            back = [i for i, t in enumerate([e, *(t.expr for t in steps)]) if shown(t) == shown(form)]
            if back:  # a detour back to an earlier line: the chain goes on from there
                del steps[back[0]:]
                continue
            add_step(steps, Step(r, form, NOTES[r], VALUE), e)

    on: set[str] = set()
    stage("simplify", on)
    for rule in ("collect", *RULE_ORDER):
        if rule in rules:
            if rule != "collect":
                stage(rule, (on | {rule}) - {"collect"})  # the rule's own move
            on.add(rule)
            stage("simplify", on)  # then like terms collected
    final = Step("simplify", _canonical(e, rules), NOTES["simplify"], VALUE)
    add_step(steps, final, e)  # terms sorted; the staged rewrite ends in `canonical` up to order
    # (so on all 306 inputs of the test corpus), and this step is true whatever it shows
    return steps


def _alone(rule: str, before: Expr, after: Expr) -> list[tuple[str, Expr]]:
    """The stage before → after as steps of one rule each. The rewrite that switches a rule on
    also tidies (a rotation that meets A⁻¹ A cancels it) and may use the rules switched on before
    (1.D and 1.C read a trace by 1.A as its transpose): where the step is not an instance of its
    rule alone, the rule's own move is found (each trace rotated, or its scalars taken out, maybe
    after 1.A) and the rest follows as 1.A or simplify."""
    check = BY_ID[rule].applies
    if rule not in _MOVES or check is None or before == after or check(before, after):
        return [(rule, after)]
    for path in _MOVES[rule](before):
        end = path[-1][1]
        if end == after:
            return path
        if rewrite(end, frozenset()) == after or rewrite(end, frozenset({"collect"})) == after:
            return path + [("simplify", after)]
    return [(rule, after)]


def _traces(e: Expr) -> list[Trace]:
    found = []
    stack = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, Trace):
            found.append(n)
        else:
            stack.extend(n.children())
    return list(dict.fromkeys(found))


def _replace(e: Expr, new: dict) -> Expr:
    if e in new:
        return new[e]
    if not e.children():
        return e
    values = [_replace(v, new) if isinstance(v, Expr) else
              tuple(_replace(u, new) if isinstance(u, Expr) else u for u in v) if isinstance(v, tuple) else v
              for v in e.key()]
    return type(e)(*values)


def _chain_of(t: Trace) -> list[Expr]:
    return list(t.arg.factors) if isinstance(t.arg, MatMul) else [t.arg]


def _rotations(e: Expr, first=None):
    """e with each trace's product rotated (every combination, a few at most); `first` may
    transpose each trace before (1.A)."""
    traces = [t for t in _traces(e) if len(_chain_of(t)) > 1][:4]
    options = []
    for t in traces:
        chain = _chain_of(t)
        if first is not None:
            chain = [alg.transpose(f) for f in reversed(chain)]
        options.append([chain[i:] + chain[:i] for i in range(len(chain))])
    for combo in itertools.islice(itertools.product(*options), 256):
        yield {t: Trace(MatMul(tuple(c))) for t, c in zip(traces, combo)}


def _rotated(before: Expr):
    """1.D alone; or 1.A, then 1.D."""
    for new in _rotations(before):
        yield [("1.D", _replace(before, new))]
    transposed = {t: Trace(MatMul(tuple(alg.transpose(f) for f in reversed(_chain_of(t)))))
                  for t in _traces(before) if len(_chain_of(t)) > 1}
    middle = _replace(before, transposed)
    for new in _rotations(middle):
        yield [("1.A", middle), ("1.D", _replace(middle, new))]


def _scalars_out(before: Expr):
    """1.C alone (scalars out of each trace); then maybe 1.A."""
    out = {}
    for t in _traces(before):
        chain = _chain_of(t)
        scalars = [f for f in chain if f.is_scalar]
        rest = [f for f in chain if not f.is_scalar]
        if scalars and rest:
            out[t] = MatMul((*scalars, Trace(rest[0] if len(rest) == 1 else MatMul(tuple(rest)))))
    if not out:
        return
    middle = _replace(before, out)
    yield [("1.C", middle)]
    transposed = {t: Trace(MatMul(tuple(alg.transpose(f) for f in reversed(_chain_of(t)))))
                  for t in _traces(middle) if len(_chain_of(t)) > 1}
    yield [("1.C", middle), ("1.A", _replace(middle, transposed))]


def _units_transposed(before: Expr):
    """scalar-trace alone: each 1×1 product written as its transpose (aᵀ b = bᵀ a)."""
    units = {}
    stack = [before]
    while stack:
        n = stack.pop()
        if isinstance(n, MatMul) and n.is_scalar and all(not f.is_scalar for f in n.factors):
            units[n] = MatMul(tuple(alg.transpose(f) for f in reversed(n.factors)))
        else:
            stack.extend(n.children())
    if units:
        yield [("scalar-trace", _replace(before, units))]


_MOVES = {"1.D": _rotated, "1.C": _scalars_out, "scalar-trace": _units_transposed}


def _canonical(e: Expr, rules: frozenset) -> Expr:
    return canonical(e, expand="distributive" in rules)


def simplification(s) -> Chain:
    """`simplify`: from the expression as written to its simplest form (an api.Simplified)."""
    expanded = canonical(s.written, expand=True)
    rules = ALL if s.result == expanded and expanded != canonical(s.written, expand=False) \
        else ALL - {"distributive"}
    return Chain(s.written, tuple(to_canonical(s.written, rules)))


def verification(v) -> Chain | None:
    """`verify`: LHS = … = canonical form = … = RHS, for an identity that holds symbolically
    (None otherwise: numbers, not rules, decided it). A gradient side comes first, since a
    chain cannot end in a ∇ query; two gradient sides end at the right side's gradient."""
    if not (v.holds and v.how == "symbolic"):
        return None
    first, second = v.sides
    if _is_gradient(second) and not _is_gradient(first):
        first, second = second, first
    if _is_gradient(first) and _is_gradient(second):
        return _both_derived(first, second)
    derived = list(derive(first, seed=True).steps) if _is_gradient(first) else []
    ahead = derived + (to_canonical(first.result) if derived else to_canonical(first))
    behind = _side(second)
    left = [None if derived else first] + [s.expr for s in ahead]
    right = [None if _is_gradient(second) else second] + [s.expr for s in behind]
    # meet where the chains first share a form (at the latest, the canonical form), so that
    # the chain never walks away from a form and back to it; a gradient side once derived
    seen = {shown(e): j for j, e in reversed(list(enumerate(right))) if e is not None}
    i = next(i for i, e in enumerate(left) if i >= len(derived) and e is not None and shown(e) in seen)
    steps: list[Step] = list(derived)
    for step in ahead[len(derived):i]:
        add_step(steps, step, left[0])
    for j in range(seen[shown(left[i])], 0, -1):  # the right side's chain walked back, citing the same rules
        if right[j - 1] is not None:
            add_step(steps, Step(behind[j - 1].rule, right[j - 1], behind[j - 1].note, VALUE), left[0])
    if derived:  # what follows ∇f continues its line
        steps, n = _derived_then(derived, steps[len(derived):])
        return Chain(first, tuple(steps), n)
    return Chain(first, tuple(steps))


def _both_derived(first, second) -> Chain:
    """Two gradient sides: each derived as `diff --steps` derives it, then taken towards the
    canonical form until the two meet, at the first form of the first side's chain that the
    second's reaches: ∇f = … = M, then ∇g = … = M."""
    ahead, behind = to_canonical(first.result), to_canonical(second.result)
    left = [first.result] + [t.expr for t in ahead]
    right = [second.result] + [t.expr for t in behind]
    seen = {shown(e): j for j, e in reversed(list(enumerate(right)))}
    i = next(i for i, e in enumerate(left) if shown(e) in seen)  # at the latest, the canonical form
    j = seen[shown(left[i])]
    steps, n = _derived_then(list(derive(first, seed=True).steps), _untracked(ahead[:i], first.result))
    theirs, m = _derived_then(list(derive(second, seed=True).steps), _untracked(behind[:j], second.result))
    return Chain(first, tuple(steps) + tuple(_marked(t) for t in theirs), n, second, len(steps), m)


def _untracked(steps: list[Step], start: Expr) -> list[Step]:
    """The steps, each printing a new line (none back to the one before or to `start`)."""
    out: list[Step] = []
    for t in steps:
        add_step(out, t, start)
    return out


def _is_gradient(side) -> bool:
    return hasattr(side, "lhs")  # an api.Gradient; otherwise an Expr


def _gradient_rule(g) -> str:
    """The rule that gives a gradient side: the seed's own where its pattern is the whole of f
    (3.D for ∇|X|, 2.A for a quadratic form, 3.B for tr(X B Xᵀ C)), 3.C with respect to Xᵀ,
    else 3.A (the gradient read off df)."""
    f, var = g.expression, g.variable
    if g.transposed:
        return "3.C"
    if isinstance(f, Det) and f.arg == var:
        return "3.D"
    if quadratic_form(f, var):
        return "2.A"
    if seed_3b(f, var):
        return "3.B"
    return "3.A"


def _side(written) -> list[Step]:
    """The steps from a side to its canonical form; a right side that is a gradient (the left
    one is too) is reached by its result, one step citing the rule that gives it."""
    if _is_gradient(written):  # 3.C: with respect to Xᵀ, the transposed gradient
        found = Step(_gradient_rule(written), written.result, "the gradient, as `matcalc diff --steps` derives it",
                     VALUE)
        return [found] + to_canonical(written.result)
    return to_canonical(written)

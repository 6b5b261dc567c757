"""Chains of equalities for `simplify --steps` and `verify --steps`: which rules take an
expression to its canonical form, and so which rules make the two sides of an identity equal.

The canonical form (`canonical.py`) is reached one rule at a time: the routine
simplifications first, then each rule of `canonical.RULE_ORDER` switched on in turn (1.B,
1.A, 1.C, 1.D, ...), like terms collected after each. Every stage is `canonical.rewrite` of
the one before, so each step is an identity, and the steps cite the rule that was added.
For an identity, the left side's chain runs to the common canonical form and the right
side's chain runs back from it: LHS = … = canonical = … = RHS.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..formats import render
from ..calculus.canonical import ALL, RULE_ORDER, canonical, rewrite
from ..calculus.expr import Det, Expr
from .steps import VALUE, Cited, Step, add_step, quadratic_form, seed_3b, shown

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

    def first_line(self) -> Expr | None:
        return None if hasattr(self.start, "lhs") else self.start

    @property
    def context(self) -> Expr:
        """The expression that names every dimension (for the NumPy form of a step)."""
        return self.start.written if hasattr(self.start, "written") else self.start

    def lhs(self, kind: str, style: str = "unicode") -> str:
        if hasattr(self.start, "lhs"):
            return self.start.lhs(style)
        return render.render(self.start, render.STYLES[style])


def to_canonical(e: Expr, rules: frozenset = ALL) -> list[Step]:
    """The steps from e to `canonical` form under `rules`, one rule switched on at a time;
    terms are sorted only at the end, so that no step merely reorders them."""
    steps: list[Step] = []

    def stage(rule: str, switched_on: set[str]) -> None:
        last = steps[-1].expr if steps else e
        add_step(steps, Step(rule, rewrite(last, frozenset(switched_on)), NOTES[rule], VALUE), e)

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
    ahead, behind = _side(first), _side(second)
    left = [None if _is_gradient(first) else first] + [s.expr for s in ahead]
    right = [None if _is_gradient(second) else second] + [s.expr for s in behind]
    # meet where the chains first share a form (at the latest, the canonical form), so that
    # the chain never walks away from a form and back to it
    seen = {shown(e): j for j, e in reversed(list(enumerate(right))) if e is not None}
    i = next(i for i, e in enumerate(left) if e is not None and shown(e) in seen)
    steps: list[Step] = []
    for step in ahead[:i]:
        add_step(steps, step, left[0])
    for j in range(seen[shown(left[i])], 0, -1):  # the right side's chain walked back, citing the same rules
        if right[j - 1] is not None:
            add_step(steps, Step(behind[j - 1].rule, right[j - 1], behind[j - 1].note, VALUE), left[0])
    return Chain(first, tuple(steps))


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
    """The steps from a side to its canonical form; a gradient side's first step is its
    result (3.A: the gradient read off df, as `matcalc diff --steps` derives it)."""
    if _is_gradient(written):  # 3.C: with respect to Xᵀ, the transposed gradient
        found = Step(_gradient_rule(written), written.result, "the gradient, as `matcalc diff --steps` derives it",
                     VALUE)
        return [found] + to_canonical(written.result)
    return to_canonical(written)

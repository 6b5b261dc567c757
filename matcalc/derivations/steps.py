"""Derivations like the seed's: the chain of equalities from f to ∇_X f, each step citing a
rule of `rules.py` (`matcalc diff --steps`).

The derivation re-derives the gradient with the engine's public functions: the differential
df comes from `differentiate.differential`, the final gradient from
`differentiate.gradient_from_differential`. In between, each term of df is brought to the
form tr(M dX) one rule at a time (scalar-trace, hadamard, 3.C, 1.D, power, 1.C), the terms
are collected by 1.B, and 3.A reads off ∇_X f = Mᵀ. Each step's `expr` is the whole
right-hand side at that point; intermediate forms are built raw so that a step shows exactly
the move its rule names.

A Jacobian (an `api.Derivative`) is read off the same differential: each term of df becomes
K dx, or K vec(dX) for matrices (rule vec), the terms are collected, and df = J dx gives
∂f/∂x = J (rule jacobian). A Hessian is the gradient's derivation followed by the Jacobian of
the gradient (rule hessian).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction

from ..calculus import algebra as alg
from ..calculus import functions
from ..calculus import differentiate
from ..formats import render
from ..calculus import jacobian as jac
from ..calculus import kronecker as kr
from ..errors import MatcalcError
from ..calculus.expr import (
    Add, Const, Det, Diag, Diagonal, Differential, DifferentialOf, Expr, IndexForm, Func, Hadamard, HadamardPower, Identity, MatMul, Norm,
    Kron, Ones, Power, PowerDifferential, Sum, Sym, Trace, Transpose, Vec, VariablePower, Zero, free_symbols,
)
from .applies import quadratic_form, same_terms, seed_3b, softmax_differential, softmax_named
from .rules import BY_ID

VALUE, DIFFERENTIAL, GRADIENT, GRADIENT_T = "value", "differential", "gradient", "transposed gradient"
# Jacobians and Hessians: d vec(F), ∂f/∂x, (∂f/∂x)ᵀ, d(∇f), d vec(∇f), ∇²f
VEC_DIFFERENTIAL, JACOBIAN, JACOBIAN_T = "vec differential", "jacobian", "transposed jacobian"
GRADIENT_DIFFERENTIAL, GRADIENT_VEC_DIFFERENTIAL = "gradient differential", "gradient vec differential"
HESSIAN = "hessian"
UNCONSTRAINED = "unconstrained gradient"  # G, ∇f as if a symmetric variable were not, before (G + Gᵀ)/2


class NoDerivation(MatcalcError):
    """The gradient is known but no step-by-step derivation is (yet) for this form."""


@dataclass(frozen=True)
class Step:
    rule: str                  # an id of rules.RULES
    expr: Expr                 # the whole right-hand side after this step
    note: str                  # what the rule did here, in words
    kind: str = DIFFERENTIAL   # VALUE (= f), DIFFERENTIAL (= df), GRADIENT (= ∇_X f), GRADIENT_T (= ∇_{Xᵀ} f),
    #                            UNCONSTRAINED (= G, the gradient as if a symmetric X were not)


class Cited:
    """A chain of steps, each citing a rule: a Derivation, or a `chains.Chain` of simplify/verify."""

    steps: tuple[Step, ...]

    @property
    def rules(self) -> list[str]:
        """The rule ids cited, in order of first citation."""
        return list(dict.fromkeys(s.rule for s in self.steps))

    def moves(self) -> list[tuple[Expr | None, Step]]:
        """Each step with the line it starts from (None where that is no expression: a ∇ query)."""
        out, before = [], self.first_line()
        for step in self.steps:
            out.append((before, step))
            before = step.expr
        return out

    def first_line(self) -> Expr | None:
        return None


@dataclass(frozen=True)
class Derivation(Cited):
    gradient: object  # a results.Gradient, or a Derivative (a Jacobian or Hessian)
    steps: tuple[Step, ...]

    @property
    def context(self) -> Expr:
        """The input as written: it names every dimension (for the NumPy form of a step)."""
        return self.gradient.written

    def moves(self) -> list[tuple[Expr | None, Step]]:
        """Each step with the line it starts from: the first line of a differential starts from
        d f (d of the gradient, in a Hessian), the others from the step before."""
        g, out = self.gradient, []
        before = g.written
        for i, step in enumerate(self.steps):
            starts = i == 0 or step.kind != self.steps[i - 1].kind
            if starts and step.kind in (DIFFERENTIAL, GRADIENT_DIFFERENTIAL):
                f = self.function() if step.kind == DIFFERENTIAL else self.steps[i - 1].expr
                before = DifferentialOf(f, g.variable)
            out.append((before, step))
            before = step.expr
        return out

    def function(self) -> Expr:
        """f as the differential takes it: the input simplified, softmax named (the last line of
        kind VALUE), else the gradient's expression."""
        values = [s.expr for s in self.steps if s.kind == VALUE]
        return values[-1] if values else self.gradient.expression

    def lhs(self, kind: str, style: str = "unicode") -> str:
        """The left-hand side of the first line of a kind: f, d f, ∇_X f or ∇_{Xᵀ} f; for
        Jacobians and Hessians also d vec(F), ∂f/∂x, (∂f/∂x)ᵀ, d(∇f), d vec(∇f) and ∇²f."""
        g, st = self.gradient, render.STYLES[style]
        if kind == VALUE:
            return render.render(g.written, st)
        if kind in (DIFFERENTIAL, VEC_DIFFERENTIAL):
            f = self.function()
            atom = isinstance(f, (Sym, Trace, Det, Norm, Func, Sum))
            return _d(render.render(f, st), atom, style, kind == VEC_DIFFERENTIAL)
        if kind in (GRADIENT_DIFFERENTIAL, GRADIENT_VEC_DIFFERENTIAL):  # d(∇f) in a Hessian
            return _d(self.lhs(GRADIENT, style), False, style, kind == GRADIENT_VEC_DIFFERENTIAL)
        if kind == UNCONSTRAINED:
            return "G"
        if kind in (JACOBIAN, JACOBIAN_T, HESSIAN):
            return (g if kind != JACOBIAN else g.replace(transposed=False)).lhs(style)
        # the gradient's own left-hand side, also for the gradient inside a Hessian's derivation
        return (g if kind == GRADIENT_T else g.replace(transposed=False)).gradient_lhs(style)


def _d(f: str, atom: bool, style: str, vec: bool) -> str:
    """d f, d(f) or d vec(f), in a style."""
    d = "\\mathrm{d}\\," if style == "latex" else "d "
    if vec:
        return d + ("\\operatorname{vec}" if style == "latex" else "vec") + f"({f})"
    return d + f if atom else d.rstrip() + ("\\left(" + f + "\\right)" if style == "latex" else f"({f})")


def derive(g, seed: bool = False) -> Derivation:
    """The derivation of one gradient (or Jacobian, or Hessian), ending in exactly `g.result`.
    `seed`: the seed's 2.A and 3.B are used for f itself too (a verify chain's gradient side, an
    identity that is that rule); otherwise f itself gets the seed's proof of them."""
    if getattr(g, "kind", "gradient") != "gradient":  # an api.Derivative: a Jacobian or a Hessian
        return Derivation(g, _derivative_steps(g))
    var, f = g.variable, g.expression
    steps: list[Step] = []
    if render.render(g.written, render.TEXT) != render.render(f, render.TEXT):
        steps.append(Step("simplify", f, "routine simplifications of the input", VALUE))
    named = softmax_named(f)  # softmax, logsumexp written out: named first, so that their own differentials apply
    if named != f:
        steps.append(Step("definition", named, "softmax(z) = exp(z) / sum(exp(z)), logsumexp(z) = log(sum(exp(z)))",
                          VALUE))
        f = named
    df = _differential_step(steps, f, var, DIFFERENTIAL, None if seed else f)
    if alg.is_zero(df):
        steps.append(Step("3.A", alg.zero(var.shape), "df = 0 for every dX", GRADIENT))
    elif var.is_scalar:
        steps += _read_off_scalar(df, var)
    else:
        try:
            steps += _TraceForm(df, var).steps()
        except NoDerivation:  # through vec or ⊗ where no matrix writes it: entry by entry, ∂f/∂X_kl
            if not any(isinstance(n, IndexForm) for n in _walk(g.result)):
                raise
            steps.append(Step("einstein", g.result, "⊗ and vec cannot write it: entry by entry, repeated "
                              "indices summed", GRADIENT_T if g.transposed else GRADIENT))
            return Derivation(g, tuple(steps))
    g_plain = differentiate.gradient_from_differential(df, var)
    add_step(steps, Step("simplify", g_plain, "(AB)ᵀ = BᵀAᵀ, like terms collected", GRADIENT))
    if var.symmetric:  # as differentiate.gradient does it; what came before is G, not yet ∇_S f
        steps[:] = [dataclasses.replace(t, kind=UNCONSTRAINED) if t.kind == GRADIENT else t for t in steps]
        half = Const(Fraction(1, 2))
        terms = g_plain.terms if isinstance(g_plain, Add) else (g_plain,)
        shown = MatMul((half, Add((*terms, _shown_transpose(g_plain)))))
        steps.append(Step("symmetric", shown, "dX is symmetric: only the symmetric part (G + Gᵀ)/2 of G counts",
                          GRADIENT))
        add_step(steps, Step("simplify", alg.mul(half, alg.add(g_plain, alg.transpose(g_plain))),
                         "like terms collected", GRADIENT))
    if g.transposed:
        add_step(steps, Step("3.C", alg.transpose(steps[-1].expr), "the gradient with respect to the transpose",
                         GRADIENT_T))
    add_step(steps, Step("simplify", g.result, "routine simplifications", steps[-1].kind))
    return Derivation(g, tuple(steps))


def _differential_step(steps: list[Step], f: Expr, var: Sym, kind: str, whole: Expr | None) -> Expr:
    """Append the steps d f → … → df, one rule each (on every place it fits); return df.

    A line between holds d(U) for the parts U not yet worked out (`DifferentialOf`); each step
    takes the rule of the first such part, in reading order, and applies it to every part that
    takes the same rule. d X and d Xᵀ are written dX and dXᵀ at once: that is notation. The seed's
    2.A and 3.B apply to parts of f other than `whole` (f itself, unless None)."""
    e = _d_of(f, var)
    if alg.is_zero(e):
        steps.append(Step("linearity", e, "d of a constant is 0", kind))
        return e
    if not isinstance(e, DifferentialOf):  # f is X or Xᵀ
        steps.append(Step("linearity", e, "d(Xᵀ) = (dX)ᵀ", kind))
        return e
    for _ in range(10_000):
        pending = _pending(e)
        if not pending:
            return e
        rule = _rule_of(pending[0].arg, var, whole)
        chosen = [p for p in pending if _rule_of(p.arg, var, whole) == rule]
        new = {p: (_linear(p.arg, var, whole) if rule == "linearity" else _one_layer(p.arg, var, rule)) for p in chosen}
        e = _substitute(e, new)
        note = _NOTES.get(rule, BY_ID[rule].statement.split("   (")[0])
        steps.append(Step(rule, e, note + (", on every term" if len(chosen) > 1 else ""), kind))
    raise MatcalcError("internal: the differential does not end")  # pragma: no cover


_NOTES = {
    "linearity": "d is linear: d(U + V) = dU + dV, d(A U B) = A dU B, d tr U = tr dU, d(Uᵀ) = (dU)ᵀ",
    "product": "d(U V) = dU V + U dV",
    "quotient": "d(u / v) = du / v - u dv / v²",
}


def _d_of(e: Expr, var: Sym) -> Expr:
    """The differential of a part of f as a line writes it before it is worked out: 0 for a
    constant, dX and dXᵀ for the variable, d(U) otherwise."""
    if not _depends(e, var):
        return alg.zero(e.shape)
    if e == var:
        return Differential(var)
    if isinstance(e, Transpose) and e.arg == var:
        return alg.transpose(Differential(var))
    return DifferentialOf(e, var)


def _pending(e: Expr) -> list[DifferentialOf]:
    """The parts d(U) of a line not yet worked out, in reading order, each once."""
    found: dict[Expr, None] = {}
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, DifferentialOf):
            found.setdefault(node)
        else:
            stack.extend(reversed(node.children()))
    return list(found)


def _dependent(factors, var: Sym) -> list[int]:
    return [i for i, f in enumerate(factors) if _depends(f, var)]


def _rule_of(u: Expr, var: Sym, whole: Expr) -> str:
    """The rule that works out d(u) by one layer. The seed's 2.A and 3.B are used where their
    pattern is a part of f; for f itself the derivation is the seed's proof of them."""
    if u != whole and quadratic_form(u, var):
        return "2.A"
    if u != whole and seed_3b(u, var):
        return "3.B"
    if isinstance(u, (MatMul, Hadamard)):
        hits = _dependent(u.factors, var)
        if len(hits) == 1:
            return "linearity"
        if isinstance(u, MatMul) and any(_is_reciprocal(u.factors[i], var) for i in hits):
            return "quotient"
        return "product"
    if isinstance(u, Kron):
        return "product" if len(_dependent((u.left, u.right), var)) == 2 else "linearity"
    if isinstance(u, Det):
        return "3.D" if u.arg == var else "jacobi"
    if isinstance(u, Func) and u.name == "log" and isinstance(u.arg, Det):
        return "logdet"
    if isinstance(u, Func):  # a function of the table cites its own rule (matcalc rules tanh)
        return u.name
    if isinstance(u, HadamardPower):
        return "elementwise"
    if isinstance(u, Power):
        if isinstance(u.base, Norm) and u.exponent == 2:
            return "norm"
        return "chain" if u.base.is_scalar else "inverse" if u.exponent < 0 else "power"
    if isinstance(u, VariablePower):
        return "exponent" if u.base.is_scalar else "power"
    if isinstance(u, Norm):
        return "norm"
    if isinstance(u, IndexForm):
        raise NoDerivation("no step-by-step derivation for a derivative written entry by entry")
    return "linearity"  # Add, Trace, Sum, Transpose, vec, diag


def _linear(e: Expr, var: Sym, whole: Expr) -> Expr:
    """d(e) through every linear operation at once (sums, tr, sum, ᵀ, constant factors, vec,
    diag, ⊗ with a constant), down to the variable or to a part that takes another rule."""
    if not _depends(e, var):
        return alg.zero(e.shape)
    if e == var or (isinstance(e, Transpose) and e.arg == var):
        return _d_of(e, var)
    if isinstance(e, Add):
        terms = [_linear(t, var, whole) for t in e.terms if _depends(t, var)]
        return _sum([u for t in terms for u in (t.terms if isinstance(t, Add) else (t,))])
    if isinstance(e, Transpose):
        inner = _linear(e.arg, var, whole)
        return _sum([_transpose_term(t) for t in inner.terms]) if isinstance(inner, Add) else _transpose_term(inner)
    if e != whole and seed_3b(e, var):
        return DifferentialOf(e, var)
    if isinstance(e, (Trace, Sum)):
        return type(e)(_linear(e.arg, var, whole))
    if isinstance(e, MatMul) and len(_dependent(e.factors, var)) > 1:  # d(a U V) = a d(U V), a constant
        scalars = [f for f in e.factors if f.is_scalar and not _depends(f, var)]
        if scalars:
            return _product(*scalars, DifferentialOf(_product(*(f for f in e.factors if f not in scalars)), var))
        return DifferentialOf(e, var)
    if isinstance(e, (MatMul, Hadamard)) and len(_dependent(e.factors, var)) == 1:
        i = _dependent(e.factors, var)[0]
        inner = _linear(e.factors[i], var, whole)
        if isinstance(e, MatMul):
            return _product(*e.factors[:i], inner, *e.factors[i + 1:])
        return Hadamard((*e.factors[:i], inner, *e.factors[i + 1:]))
    if isinstance(e, Vec):
        return kr.vec(_linear(e.arg, var, whole))
    if isinstance(e, Diag):
        return kr.diag(_linear(e.arg, var, whole))
    if isinstance(e, Diagonal):
        return kr.diagonal(_linear(e.arg, var, whole))
    if isinstance(e, Kron) and len(_dependent((e.left, e.right), var)) == 1:
        if _depends(e.left, var):
            return Kron(_linear(e.left, var, whole), e.right)
        return Kron(e.left, _linear(e.right, var, whole))
    return DifferentialOf(e, var)


def _transpose_term(t: Expr) -> Expr:
    """tᵀ as a line writes it: (a dU)ᵀ = a dUᵀ for a number or scalar a."""
    if isinstance(t, MatMul) and sum(not f.is_scalar for f in t.factors) == 1:
        return _product(*(f if f.is_scalar else _shown_transpose(f) for f in t.factors))
    return _shown_transpose(t)


def _one_layer(u: Expr, var: Sym, rule: str) -> Expr:
    """d(u) by the one rule of its outermost operation, the parts below left as d(…)."""
    if rule == "2.A":  # d(xᵀ M x) = xᵀ (M + Mᵀ) dx
        scalars, m = quadratic_form(u, var)
        x, dx = var, Differential(var)
        if m is None:
            return _product(*scalars, Const(Fraction(2)), alg.transpose(x), dx)
        return _product(*scalars, alg.transpose(x), Add((m, _shown_transpose(m))), dx)
    if rule == "3.B":  # d tr(X B Xᵀ C) = tr((B Xᵀ C + Bᵀ Xᵀ Cᵀ) dX)
        b, c = seed_3b(u, var)
        xt = alg.transpose(var)
        left = _product(*(f for f in (b, xt, c) if f is not None))
        right = _product(*[_shown_transpose(f) for f in (b,) if f is not None], xt, *[_shown_transpose(f) for f in (c,) if f is not None])
        return Trace(_product(alg.add(left, right) if left == right else Add((left, right)), Differential(var)))
    if rule in ("product", "quotient") and isinstance(u, (MatMul, Hadamard)):
        terms = []
        for i in _dependent(u.factors, var):
            f = u.factors[i]
            if rule == "quotient" and _is_reciprocal(f, var):  # d(vᵖ) = p vᵖ⁻¹ dv, p < 0
                df = _product(Const(Fraction(f.exponent)), alg.power(f.base, f.exponent - 1), _d_of(f.base, var))
            else:
                df = _d_of(f, var)
            if isinstance(u, MatMul):
                terms.append(_product(*u.factors[:i], df, *u.factors[i + 1:]))
            else:
                terms.append(Hadamard((*u.factors[:i], df, *u.factors[i + 1:])))
        return _sum(terms)
    if rule == "product" and isinstance(u, Kron):
        return Add((Kron(_d_of(u.left, var), u.right), Kron(u.left, _d_of(u.right, var))))
    if rule == "norm":  # d‖U‖² = 2 tr(Uᵀ dU), d‖U‖ = tr(Uᵀ dU) / ‖U‖
        squared = isinstance(u, Power)
        arg = u.base.arg if squared else u.arg
        inner = _product(_shown_transpose(arg), _d_of(arg, var))
        inner = inner if inner.is_scalar and arg.shape[1] == 1 else Trace(inner)
        return _product(Const(Fraction(2)), inner) if squared else _product(inner, alg.power(u, -1))
    if isinstance(u, Func) and u.name == "log" and isinstance(u.arg, Det):  # d log|U| = tr(U⁻¹ dU)
        return Trace(_product(alg.inverse(u.arg.arg), _d_of(u.arg.arg, var)))
    if isinstance(u, Func) and functions.lookup(u.name).elementwise:  # d f(U) = f'(U) ∘ dU
        du = _d_of(u.arg, var)
        return Hadamard((differentiate.derivative_of_function(u.name, u.arg), du)) if not u.is_scalar \
            else _product(differentiate.derivative_of_function(u.name, u.arg), du)
    if isinstance(u, Det):  # 3.D, Jacobi: d|U| = |U| tr(U⁻¹ dU)
        return _product(u, Trace(_product(alg.inverse(u.arg), _d_of(u.arg, var))))
    if isinstance(u, Func) and u.name == "softmax":  # (diag(s) - s sᵀ) dz, as the textbook writes it
        return softmax_differential(u, _d_of(u.arg, var))
    # the engine's own rule, with d(…) for the parts below (powers, X⁻¹, aᵇ, softmax, ...)
    return differentiate._differential_of(u, var, {c: _d_of(c, var) for c in u.children()})


def _substitute(e: Expr, new: dict) -> Expr:
    """e with each part d(U) of `new` replaced, products and sums kept flat."""
    if e in new:
        return new[e]
    if not e.children() or not any(isinstance(n, DifferentialOf) for n in _walk(e)):
        return e
    if isinstance(e, MatMul):
        return _product(*(_substitute(f, new) for f in e.factors))
    if isinstance(e, Add):
        terms = [_substitute(t, new) for t in e.terms]
        return _sum([u for t in terms for u in (t.terms if isinstance(t, Add) else (t,))])
    values = [_substitute(v, new) if isinstance(v, Expr) else
              tuple(_substitute(u, new) if isinstance(u, Expr) else u for u in v) if isinstance(v, tuple) else v
              for v in e.key()]
    return type(e)(*values)


def add_step(steps: list[Step], step: Step, start: Expr | None = None) -> None:
    """Append a step unless it would print the same line again (as the last step, or as
    `start`, the left-hand side, when there is none yet); two routine steps in a row (of one
    kind) read as one, and a routine step back to the line before them is dropped."""
    if steps and step.rule == steps[-1].rule == "simplify" and step.kind == steps[-1].kind \
            and (len(steps) > 1 or start is not None):
        steps.pop()
    before = steps[-1] if steps else None
    if before is None:
        same = start is not None and shown(step.expr) == shown(start)
    else:
        same = shown(step.expr) == shown(before.expr) and step.kind == before.kind
    if not same:
        steps.append(step)


def shown(e: Expr) -> str:
    """A step's expression as printed: equal lines are equal steps."""
    return render.render(e, render.UNICODE)



def _depends(e: Expr, var: Sym) -> bool:
    return var in free_symbols(e)


def _has_d(e: Expr, var: Sym) -> bool:
    return differentiate.has_differential(e, var)


def _is_reciprocal(e: Expr, var: Sym) -> bool:
    """1 / v: a scalar to a negative power that depends on X."""
    return isinstance(e, Power) and e.base.is_scalar and e.exponent < 0 and _depends(e, var)


# -- products built raw, so a step shows only its own move -------------------------------------

def _product(*factors: Expr) -> Expr:
    """The product as written: numbers multiplied, scalar factors first, matrix factors in order,
    nothing else merged."""
    flat: list[Expr] = []
    for f in factors:
        if isinstance(f, MatMul) and (not f.is_scalar or all(g.is_scalar for g in f.factors)):
            flat.extend(f.factors)
        elif isinstance(f, MatMul):  # a 1×1 product: its scalars join, its matrix factors stay one (xᵀ x)
            flat.extend(_scalar_factors(f.factors))
        else:
            flat.append(f)
    number = Fraction(1)
    for f in flat:
        if isinstance(f, Const):
            number *= f.value
    rest = [f for f in flat if not isinstance(f, Const)]
    out = ([Const(number)] if number != 1 or not rest else []) + sorted(rest, key=lambda f: 0 if f.is_scalar else 1)
    return out[0] if len(out) == 1 else MatMul(tuple(out))


def _scalar_factors(factors) -> tuple[Expr, ...]:
    """Factors of a 1×1 product as scalars: matrix factors grouped into one 1×1 product (xᵀ x)."""
    chain = [f for f in factors if not f.is_scalar]
    return tuple(f for f in factors if f.is_scalar) + ((MatMul(tuple(chain)),) if chain else ())


def _factors(e: Expr) -> list[Expr]:
    return list(e.factors) if isinstance(e, MatMul) else [e]


def _shown_transpose(e: Expr) -> Expr:
    """Mᵀ as a reader writes it: (B Aᵀ C)ᵀ stays whole, Iᵀ = I and (Aᵀ)ᵀ = A are not shown."""
    if e.is_scalar or isinstance(e, (Sym, Transpose, Identity, Ones, Zero)):
        return alg.transpose(e)
    return Transpose(e)


def _sum(terms: list[Expr]) -> Expr:
    return terms[0] if len(terms) == 1 else Add(tuple(terms))


def _atoms(e: Expr, var: Sym) -> list[Expr]:
    """e multiplied out into terms with one dX each (products distributed over sums)."""
    if isinstance(e, Add):
        return [a for t in e.terms for a in _atoms(t, var)]
    if isinstance(e, (MatMul, Hadamard)):
        i = next(i for i, f in enumerate(e.factors) if _has_d(f, var))
        parts = _atoms(e.factors[i], var)
        if parts == [e.factors[i]]:
            return [e]
        rebuild = _product if isinstance(e, MatMul) else (lambda *fs: Hadamard(fs))
        return [rebuild(*e.factors[:i], p, *e.factors[i + 1:]) for p in parts]
    if isinstance(e, (Trace, Sum, Transpose)):
        parts = _atoms(e.arg, var)
        return [e] if parts == [e.arg] else [type(e)(p) for p in parts]
    return [e]


def _spread_deepest(e: Expr, var: Sym) -> Expr:
    """One level of multiplying out (distributive): each innermost product (or ∘, or ᵀ) whose factor
    holding dX is a sum written as the sum of its products, in place; a trace of a sum is left
    whole (splitting it is 1.B). Applied until nothing changes, this gives `_atoms`' terms."""
    if isinstance(e, Add):
        terms = [_spread_deepest(t, var) for t in e.terms]
        return _sum([u for t in terms for u in (t.terms if isinstance(t, Add) else (t,))])
    if isinstance(e, (MatMul, Hadamard)):
        i = next((i for i, f in enumerate(e.factors) if _has_d(f, var)), None)
        if i is None:
            return e
        rebuild = _product if isinstance(e, MatMul) else (lambda *fs: Hadamard(fs))
        inner = _spread_deepest(e.factors[i], var)
        if inner != e.factors[i]:
            return rebuild(*e.factors[:i], inner, *e.factors[i + 1:])
        if isinstance(inner, Add):
            return Add(tuple(rebuild(*e.factors[:i], t, *e.factors[i + 1:]) for t in inner.terms))
        return e
    if isinstance(e, (Trace, Sum, Transpose)):
        inner = _spread_deepest(e.arg, var)
        if inner != e.arg or isinstance(e, Trace) or not isinstance(inner, Add):
            return type(e)(inner)
        return Add(tuple(type(e)(t) for t in inner.terms))
    return e


def multiply_out(steps: list[Step], e: Expr, var: Sym, kind: str = DIFFERENTIAL) -> Expr:
    """Steps from e to its terms with one dX each, one rule a step: products of sums multiplied
    out (distributive, on every term, up to the traces), then each trace of a sum split (1.B), and
    again (a trace's terms inside a product)."""
    x = render.name(var.name, render.UNICODE)
    for _ in range(1000):
        spread = e
        for _ in range(1000):  # every level at once: one rule on every product
            deeper = _spread_deepest(spread, var)
            if deeper == spread:
                break
            spread = deeper
        if spread != e and shown(spread) != shown(e):
            steps.append(Step("distributive", spread, f"multiply out: one d{x} per term", kind))
            e = spread
            continue
        split = _traces_split(e)
        if split != e and shown(split) != shown(e):
            steps.append(Step("1.B", split, "tr(A + B) = tr(A) + tr(B)", kind))
            e = split
            continue
        return e
    raise MatcalcError("internal: multiplying out does not end")  # pragma: no cover


def _in_traces(e: Expr, change) -> Expr:
    """e with each outermost trace's argument `change`d, nothing else touched."""
    if isinstance(e, Trace):
        return Trace(change(e.arg))
    if not e.children():
        return e
    return _rebuilt(e, lambda v: _in_traces(v, change))


def _traces_split(e: Expr) -> Expr:
    """1.B alone: each trace of a sum written as the sum of the traces, in place."""
    if isinstance(e, Trace) and isinstance(e.arg, Add):
        return Add(tuple(Trace(t) for t in e.arg.terms))
    if isinstance(e, Add):
        terms = [_traces_split(t) for t in e.terms]
        return _sum([u for t in terms for u in (t.terms if isinstance(t, Add) else (t,))])
    if not e.children():
        return e
    return _rebuilt(e, _traces_split)


def _rebuilt(e: Expr, each) -> Expr:
    """e with `each` applied to its operands (in the node's own fields), built raw."""
    values = [each(v) if isinstance(v, Expr) else
              tuple(each(u) if isinstance(u, Expr) else u for u in v) if isinstance(v, tuple) else v
              for v in e.key()]
    return type(e)(*values)


# -- the scalar case: df = c da ---------------------------------------------------------------

def _read_off_scalar(df: Expr, var: Sym) -> list[Step]:
    atoms = _atoms(df, var)
    steps: list[Step] = []
    if len(atoms) > 1 and _sum(atoms) != df:
        multiply_out(steps, df, var)
        add_step(steps, Step("distributive", _sum(atoms), "multiply out: one d" + var.name + " per term"), df)
    out = [_d_out_of_trace(a, var) for a in atoms]  # tr(da M) = da tr(M): 1.C, before collecting
    if out != atoms:
        atoms = out
        add_step(steps, Step("1.C", _sum(atoms), f"tr(a A) = a tr(A): d{var.name} out of the trace"), df)
    coefficients = [_coefficient(a, var) for a in atoms]
    c = _sum(coefficients)
    collected = _product(c, Differential(var))
    before = steps[-1].expr if steps else df
    if render.render(collected, render.UNICODE) != render.render(before, render.UNICODE):  # x da is already c da
        steps.append(Step("distributive", collected, f"collect the terms in d{var.name}"))
    steps.append(Step("3.A", c, f"df = c d{var.name}: the derivative is c", GRADIENT))
    return steps


def _d_out_of_trace(atom: Expr, var: Sym) -> Expr:
    """c tr(A da B) written c da tr(A B): da, a number's differential, is a scalar factor of the
    trace's product (1.C); any other term as it is."""
    d = Differential(var)
    factors = _factors(atom)
    i = next((i for i, f in enumerate(factors) if _has_d(f, var)), None)
    if i is None or not isinstance(factors[i], Trace) or d not in _factors(factors[i].arg):
        return atom
    inside = _factors(factors[i].arg)
    rest = [f for f in inside if f != d]
    if len(rest) != len(inside) - 1 or not rest:
        return atom
    return _product(*factors[:i], d, Trace(_product(*rest)), *factors[i + 1:])


def _coefficient(atom: Expr, var: Sym) -> Expr:
    """c in the term c da, as written (the engine's reading where da is not a factor of its own)."""
    factors = _factors(atom)
    d = Differential(var)
    if factors.count(d) == 1 and all(f == d or not _has_d(f, var) for f in factors):
        rest = [f for f in factors if f != d]
        return _product(*rest) if rest else Const(Fraction(1))
    return differentiate.gradient_from_differential(atom, var)


# -- the matrix case: every term to tr(M dX), then 1.B and 3.A -------------------------------------

@dataclass
class _Term:
    """coef · tr(core) when traced, else coef · core; coef is free of dX."""
    coef: tuple[Expr, ...]
    core: Expr
    traced: bool

    def expr(self) -> Expr:
        inner = Trace(self.core) if self.traced else self.core
        return _product(*self.coef, inner) if self.coef else inner


class _TraceForm:
    def __init__(self, df: Expr, var: Sym):
        self.var, self.d = var, Differential(var)
        self.out: list[Step] = []
        self.last = df
        atoms = _atoms(df, var)
        if _sum(atoms) != df:  # one rule a step: innermost products first, traces of sums split
            moved: list[Step] = []
            multiply_out(moved, df, var)
            for step in moved:
                self._emit(step.rule, step.expr, step.note)
            self._emit("distributive", _sum(atoms), "multiply out: one dX per term")
        self.terms = [self._split(a) for a in atoms]

    def _split(self, atom: Expr) -> _Term:
        if isinstance(atom, Trace):
            return _Term((), atom.arg, True)
        if isinstance(atom, MatMul):
            i = next(i for i, f in enumerate(atom.factors) if _has_d(f, self.var))
            rest = atom.factors[:i] + atom.factors[i + 1:]
            if atom.factors[i].is_scalar:  # e.g. a tr(...) or sum(...) factor: the rest is its coefficient
                inner = self._split(atom.factors[i])
                return _Term(_scalar_factors(rest) + inner.coef, inner.core, inner.traced)
            return _Term(tuple(f for f in atom.factors if f.is_scalar),
                         _product(*(f for f in atom.factors if not f.is_scalar)), False)
        return _Term((), atom, False)

    def _emit(self, rule: str, expr: Expr, note: str) -> None:
        if expr != self.last and shown(expr) != shown(self.last):
            self.out.append(Step(rule, expr, note))
            self.last = expr

    def _pass(self, rule: str, note: str, move) -> bool:
        changed = False
        for t in self.terms:
            changed = move(t) or changed
        if changed:
            self._emit(rule, _sum([t.expr() for t in self.terms]), note)
        return changed

    def steps(self) -> list[Step]:
        x = render.name(self.var.name, render.UNICODE)
        self._pass("scalar-trace", "the trace of a real number is that number", self._scalar_trace)
        self._pass("1.C", "tr(a A) = a tr(A): the factor holding d" + x + " out of the trace", self._scalar_out)
        self._pass("scalar-trace", "the trace of a real number is that number", self._coefficient_untraced)
        self._pass("vec-trace", "vec(A)ᵀ vec(B) = tr(Aᵀ B), (P ⊗ Q) vec(B) = vec(Q B Pᵀ)", self._vec_as_trace)
        self._pass("hadamard", "sum(A ∘ B) = tr(Aᵀ B)", self._sum_of_hadamard)
        self._pass("sum", "sum(M) = tr(𝟏ᵀ M)", self._sum_as_trace)
        if not all(t.traced for t in self.terms):
            raise NoDerivation("no step-by-step derivation for this form yet")
        for _ in range(50):
            moved = [self._out_of_scalar(x),
                     self._pass("3.C", f"1.A: tr(M) = tr(Mᵀ) turns d{x}ᵀ into d{x}", self._in_place(self._transpose)),
                     self._pass("1.D", f"tr(AB) = tr(BA): rotate d{x} to the end", self._in_place(self._rotate)),
                     self._pass("hadamard", "tr(M (A ∘ B)) = tr((M ∘ Aᵀ) B)", self._in_place(self._hadamard)),
                     self._pass("power", "tr(Σ Xʳ dX Xᵏ⁻¹⁻ʳ) = k tr(Xᵏ⁻¹ dX) by 1.D", self._in_place(self._power)),
                     self._pass("diag", "tr(P diag(u)) = diag(P)ᵀ u, tr(pᵀ diag(M)) = tr(diag(p) M)", self._in_place(self._diag))]
            if not any(moved):
                break
        else:  # pragma: no cover - each move brings dX closer to the end of its trace
            raise MatcalcError("internal: no derivation found")
        self._pass("1.C", "tr(aA) = a tr(A): scalars into the trace", self._scalars_in)
        ms = [self._left_of_d(t.core) for t in self.terms]
        m = alg.add(*ms) if len(ms) > 1 else ms[0]
        if len(ms) > 1 and not same_terms(m, _sum(ms)):  # like terms collected, nothing cancelled inside a term
            m = _sum(ms)
        if len(ms) > 1:
            collected = Trace(_product(m, self.d))
            if not BY_ID["1.B"].applies(self.last, collected):  # like terms merged too: 1.B first, then that
                self._emit("1.B", Trace(_product(_sum(ms), self.d)), "tr(A) + tr(B) = tr(A + B): collect the terms")
                self._emit("simplify", collected, "like terms collected")
            self._emit("1.B", collected, "tr(A) + tr(B) = tr(A + B): collect the terms")
        self.out.append(Step("3.A", _shown_transpose(m), f"d f = tr(M d{x}) gives ∇f = Mᵀ", GRADIENT))
        return self.out

    def _out_of_scalar(self, x: str) -> bool:
        """A move left dX inside a 1×1 factor of a trace (tr(c sum(A ∘ (dX B))) after a Hadamard move,
        softmax written out): that factor out of the trace (1.C), then written as a trace of its own
        (scalar-trace for 𝟏ᵀ (A ∘ (dX B)), sum(A ∘ B) = tr(Aᵀ B)), one rule a step."""
        if not any(t.traced and self._held_by_a_scalar(t.core) for t in self.terms):
            return False
        self._pass("1.C", "tr(a A) = a tr(A): the factor holding d" + x + " out of the trace", self._scalar_out)
        self._pass("scalar-trace", "the trace of a real number is that number",
                   lambda t: self._coefficient_untraced(t) | self._scalar_trace(t))
        in_place = self._in_place(self._hadamard)  # the same rule on the other terms too: one step
        self._pass("hadamard", "sum(A ∘ B) = tr(Aᵀ B), tr(M (A ∘ B)) = tr((M ∘ Aᵀ) B)",
                   lambda t: self._sum_of_hadamard(t) or (t.traced and in_place(t)))
        self._pass("sum", "sum(M) = tr(𝟏ᵀ M)", self._sum_as_trace)
        if not all(t.traced for t in self.terms):
            raise NoDerivation("no step-by-step derivation for this form yet")
        return True

    def _in_place(self, move):
        """A move within a trace, for the terms whose dX is not held by a 1×1 factor (those wait
        for _out_of_scalar)."""
        return lambda t: not self._held_by_a_scalar(t.core) and move(t)

    def _held_by_a_scalar(self, core: Expr) -> bool:
        """Whether dX is in a 1×1 factor of the product `core` alone, none of its matrix factors."""
        factors = _factors(core)
        return len(factors) > 1 and not any(_has_d(f, self.var) for f in factors if not f.is_scalar) \
            and any(_has_d(f, self.var) for f in factors)

    # each move changes one term in place and says whether it did

    def _scalar_trace(self, t: _Term) -> bool:
        if t.traced or not isinstance(t.core, MatMul):
            return False
        t.traced = True
        return True

    def _scalar_out(self, t: _Term) -> bool:
        """tr(A s B) = s tr(A B) for the one 1×1 factor s that holds dX (tr(X⁻¹ dX) inside a trace)."""
        if not t.traced:
            return False
        factors = _factors(t.core)
        holding = [i for i, f in enumerate(factors) if _has_d(f, self.var)]
        if len(holding) != 1 or not factors[holding[0]].is_scalar or len(factors) == 1:
            return False
        rest = factors[:holding[0]] + factors[holding[0] + 1:]
        chain = [f for f in rest if not f.is_scalar]
        coef = tuple(f for f in rest if f.is_scalar) + ((Trace(_product(*chain)),) if chain else ())
        inner = self._split(factors[holding[0]])
        t.coef, t.core, t.traced = t.coef + coef + inner.coef, inner.core, inner.traced
        return True

    @staticmethod
    def _coefficient_untraced(t: _Term) -> bool:
        """tr(aᵀ x) = aᵀ x for a coefficient that 1.C took out of a trace: a 1×1 product is written
        as itself, as the textbook writes it."""
        coef = tuple(c.arg if isinstance(c, Trace) and c.arg.is_scalar else c for c in t.coef)
        changed = coef != t.coef
        t.coef = coef
        return changed

    def _vec_as_trace(self, t: _Term) -> bool:
        """tr(vec(A)ᵀ (P ⊗ Q) ⋯ vec(B)) = tr(Aᵀ Q ⋯ B ⋯ Pᵀ): each ⊗ folded into vec(B) from the right."""
        factors = _factors(t.core)
        scalars = [f for f in factors if f.is_scalar]
        chain = [f for f in factors if not f.is_scalar]
        if not (t.traced and len(chain) >= 2 and isinstance(chain[0], Transpose) and isinstance(chain[0].arg, Vec)
                and isinstance(chain[-1], Vec) and all(isinstance(_kron(f), Kron) for f in chain[1:-1])):
            return False
        middle = [chain[-1].arg]
        for k in map(_kron, reversed(chain[1:-1])):  # (P ⊗ Q) vec(M) = vec(Q M Pᵀ)
            middle = [k.right, *middle, _shown_transpose(k.left)]
        kept = [f for f in middle if not isinstance(f, Identity)] or [Identity(chain[-1].arg.shape[0])]
        t.core = _product(*scalars, _shown_transpose(chain[0].arg.arg), *kept)
        return True

    def _sum_of_hadamard(self, t: _Term) -> bool:
        if t.traced or not isinstance(t.core, Sum) or not isinstance(t.core.arg, Hadamard):
            return False
        h = t.core.arg
        i = next(i for i, f in enumerate(h.factors) if _has_d(f, self.var))
        rest = h.factors[:i] + h.factors[i + 1:]
        a = rest[0] if len(rest) == 1 else Hadamard(rest)
        t.core, t.traced = _product(_shown_transpose(a), h.factors[i]), True
        return True

    def _sum_as_trace(self, t: _Term) -> bool:
        if t.traced or not isinstance(t.core, Sum):
            return False
        arg = t.core.arg
        t.core, t.traced = _product(Transpose(Ones(arg.shape)), arg), True
        return True

    def _where_d(self, core: Expr) -> tuple[list[Expr], list[Expr], int]:
        factors = _factors(core)
        scalars = [f for f in factors if f.is_scalar]
        chain = [f for f in factors if not f.is_scalar]
        hits = [i for i, f in enumerate(chain) if _has_d(f, self.var)]
        if not hits:
            raise NoDerivation("no step-by-step derivation for this form yet")
        return scalars, chain, hits[0]

    def _transpose(self, t: _Term) -> bool:
        scalars, chain, i = self._where_d(t.core)
        if not isinstance(chain[i], Transpose):
            return False
        t.core = _product(*scalars, *_factors(alg.mul(*(alg.transpose(f) for f in reversed(chain)))))
        return True

    def _rotate(self, t: _Term) -> bool:
        scalars, chain, i = self._where_d(t.core)
        if i == len(chain) - 1:
            return False
        rotated = [*chain[i + 1:], *chain[:i + 1]]
        merged = alg.mul(*rotated)  # X Xʳ written Xʳ⁺¹; but X⁻¹ X is not cancelled here: that is simplify
        t.core = _product(*scalars, *(_factors(merged) if _powers_merged(merged, rotated) else rotated))
        return True

    def _hadamard(self, t: _Term) -> bool:
        scalars, chain, i = self._where_d(t.core)
        h = chain[-1]
        if i != len(chain) - 1 or not isinstance(h, Hadamard):
            return False
        j = next(j for j, f in enumerate(h.factors) if _has_d(f, self.var))
        m = _product(*chain[:-1]) if len(chain) > 1 else Identity(h.shape[0])
        others = [_shown_transpose(f) for k, f in enumerate(h.factors) if k != j]
        t.core = _product(*scalars, Hadamard((m, *others)), h.factors[j])
        return True

    def _power(self, t: _Term) -> bool:
        scalars, chain, i = self._where_d(t.core)
        p = chain[i]
        if not isinstance(p, PowerDifferential):
            return False
        if len(chain) > 1:  # pragma: no cover - the engine refuses these gradients first
            raise MatcalcError("internal: a power differential with other factors in its trace")
        if isinstance(p.exponent, Expr):  # a symbolic k: k Xᵏ⁻¹ dX
            k = p.exponent
            t.core = _product(*scalars, k, alg.variable_power(p.base, alg.sub(k, alg.const(1))), p.dbase)
            return True
        k = int(p.exponent)
        t.core = _product(*scalars, Const(Fraction(k)), alg.power(p.base, k - 1), p.dbase)
        return True

    def _diag(self, t: _Term) -> bool:
        scalars, chain, i = self._where_d(t.core)
        last = chain[-1]
        if i != len(chain) - 1 or not isinstance(last, (Diag, Diagonal)):
            return False
        if isinstance(last, Diagonal):  # tr(pᵀ diag(M)) = tr(diag(p) M), p a column
            p = _product(*chain[:-1]) if len(chain) > 1 else Transpose(Ones(last.shape))
            t.core = _product(*scalars, Diag(alg.transpose(p)), last.arg)
        else:  # tr(P diag(u)) = diag(P)ᵀ u
            p = Transpose(Diagonal(_product(*chain[:-1]))) if len(chain) > 1 else Transpose(Ones(last.shape[:1] + (1,)))
            t.core = _product(*scalars, p, last.arg)
        return True

    def _scalars_in(self, t: _Term) -> bool:
        if not t.coef:
            return False
        t.core, t.coef = _product(*t.coef, *_factors(t.core)), ()
        return True

    def _left_of_d(self, core: Expr) -> Expr:
        """M in tr(M dX): the factors before dX (scalars times I when there are none)."""
        factors = _factors(core)
        if factors[-1] != self.d:
            raise NoDerivation("no step-by-step derivation for this form yet")
        rest = factors[:-1]
        if all(f.is_scalar for f in rest):
            return _product(*rest, Identity(self.d.shape[0]))
        return _product(*rest)


def _powers_merged(merged: Expr, factors: list[Expr]) -> bool:
    """Whether `merged` is the product of `factors` with only powers of one base merged."""
    def written_out(fs):
        out = []
        for f in fs:
            if isinstance(f, Power) and isinstance(f.exponent, Fraction) and f.exponent.denominator == 1 \
                    and f.exponent > 1 and not f.base.is_scalar:
                out += [f.base] * int(f.exponent)
            else:
                out.append(f)
        return out
    return written_out(_factors(merged)) == written_out(factors)


def _kron(e: Expr) -> Expr:
    """(P ⊗ Q)ᵀ as Pᵀ ⊗ Qᵀ; any other factor as it is."""
    return kr.transpose(e.arg) if isinstance(e, Transpose) and isinstance(e.arg, Kron) else e


def _walk(e: Expr):
    yield e
    for c in e.children():
        yield from _walk(c)


# -- Jacobians and Hessians: df = J dx, read off (jacobian); ∇²f = ∂(∇f)/∂x (hessian) ------------

def _derivative_steps(g) -> tuple[Step, ...]:
    """The derivation of a Jacobian or a Hessian (an api.Derivative), ending in `g.result`."""
    var, f = g.variable, g.expression
    if g.kind == "hessian":  # the gradient first, then its Jacobian
        steps = list(derive(g.gradient()).steps)
        kinds = (GRADIENT_DIFFERENTIAL, GRADIENT_VEC_DIFFERENTIAL, HESSIAN)
        if steps[-1].rule == "einstein":  # the gradient entry by entry: so is its Jacobian
            steps.append(Step("einstein", g.result, "the product rule, entry by entry", HESSIAN))
            return tuple(steps)
        steps += _jacobian_steps(steps[-1].expr, var, kinds, "hessian")
        plain = g.result
    else:
        steps = []
        if render.render(g.written, render.TEXT) != render.render(f, render.TEXT):
            steps.append(Step("simplify", f, "routine simplifications of the input", VALUE))
        kinds = (DIFFERENTIAL, VEC_DIFFERENTIAL, JACOBIAN)
        steps += _jacobian_steps(f, var, kinds, "jacobian")
        plain = jac.jacobian(f, var)
    add_step(steps, Step("simplify", plain, "like terms collected, ⊗ factored", kinds[2]))
    if g.transposed:  # --layout denominator
        steps.append(Step("jacobian", _shown_transpose(plain), "the denominator layout: the transpose", JACOBIAN_T))
    add_step(steps, Step("simplify", g.result, "routine simplifications", steps[-1].kind))
    return tuple(steps)


def _jacobian_steps(f: Expr, var: Sym, kinds: tuple[str, str, str], rule: str) -> list[Step]:
    """f → df → Σ Kᵢ dx (vec) → (Σ Kᵢ) dx → J (`rule`); for a matrix, vec(dX) for dx, and
    d vec(F) where F is not a column. `kinds`: of df, of d vec(F), and of J."""
    d_kind, vec_kind, read_kind = kinds
    steps: list[Step] = []
    df = _differential_step(steps, f, var, d_kind, f)
    x = render.name(var.name, render.UNICODE)
    if alg.is_zero(df):
        steps.append(Step(rule, jac.read_jacobian(df, var), f"0 = J d{x} for every d{x}: J = 0", read_kind))
        return steps
    atoms = _atoms(df, var)
    if len(atoms) > 1 and _sum(atoms) != df:
        multiply_out(steps, df, var, d_kind)
        add_step(steps, Step("distributive", _sum(atoms), f"multiply out: one d{x} per term", d_kind))
    try:
        read = [(jac.read_jacobian(a, var), _read_transposed(a, var), a) for a in atoms]
        read.sort(key=lambda kpa: alg.split_coefficient(kpa[0])[0] < 0)  # b - a rather than -a + b, as results are
        pairs = [(k, p) for k, p, _ in read]
    except jac.NotExpressible:  # entry by entry: ∂F_ij/∂X_kl in index notation
        from ..calculus.einstein import index_jacobian

        steps.append(Step("einstein", index_jacobian(df, f.shape, var),
                          "⊗, vec and K cannot write it: entry by entry, repeated indices summed", read_kind))
        return steps
    except MatcalcError as e:  # pragma: no cover - api refuses such derivatives first
        raise NoDerivation(f"no step-by-step derivation for this form yet ({e.message})") from None
    ks = [k for k, _ in pairs]
    dx = kr.vec(Differential(var))  # dx, or vec(dX)
    dxt = Vec(Transpose(Differential(var)))  # vec(dXᵀ)
    kind = d_kind if f.shape[1] == 1 else vec_kind  # vec(F) = F for a column only
    vec_note = "each term as K d" + x + ": vec(L dX R) = (Rᵀ ⊗ L) vec(dX), vec(F ∘ dX) = diag(vec F) vec(dX)"
    read_off = _sum([_times_d(k, dx) if p is None else _times_d(p, dxt) for k, p in pairs])
    if BY_ID["vec"].applies(steps[-1].expr, read_off):
        add_step(steps, Step("vec", read_off, vec_note, kind))
    else:  # reading K merged its scalars (‖x‖² ‖x‖ = ‖x‖³): vec with them as written, then that tidy-up
        written = [_read_as_written(a, var, p is not None) for _, p, a in read]
        add_step(steps, Step("vec", _sum([_times_d(k, dx if p is None else dxt) for k, (_, p) in zip(written, pairs)]),
                             vec_note, kind))
        add_step(steps, Step("simplify", read_off, "powers of one scalar multiplied: aᵖ aᵠ = aᵖ⁺ᵠ", kind))
    if any(p is not None for _, p in pairs):
        add_step(steps, Step("commutation", _sum([_times_d(k, dx) for k in ks]),
                             f"vec(d{x}ᵀ) = K vec(d{x}), K the commutation matrix", kind))
    terms = [t for k in ks for t in (k.terms if isinstance(k, Add) else (k,))]
    j = _sum(terms)
    if len(terms) > 1:  # not when df is (A - B) dx already, as softmax's rule writes it
        add_step(steps, Step("distributive", _times_d(j, dx), f"collect the terms in d{x}", kind))
    steps.append(Step(rule, j, f"d f = J d{x} gives ∂f/∂{x} = J" if rule == "jacobian" else f"d(∇f) = H d{x} gives ∇²f = H",
                      read_kind))
    return steps


def _read_as_written(atom: Expr, var: Sym, transposed: bool) -> Expr:
    """K for one term, its scalar factors free of dX kept as the term writes them (nothing merged)."""
    factors = _factors(atom)
    kept = [f for f in factors if f.is_scalar and not isinstance(f, Const) and not _has_d(f, var)]
    core = _product(*(f for f in factors if f not in kept))
    k = _read_transposed(core, var) if transposed else jac.read_jacobian(core, var)
    return _product(*kept, k) if kept else k


def _times_d(k: Expr, dx: Expr) -> Expr:
    """K dx as written: K's factors (a 1×1 product such as xᵀa kept as one), then dx, last."""
    if isinstance(k, Identity) and isinstance(dx, Vec):  # vec(dXᵀ), not I vec(dXᵀ)
        return dx
    factors = k.factors if isinstance(k, MatMul) and not kr.is_number_product(k) else (k,)
    return MatMul((*factors, dx))


def _read_transposed(atom: Expr, var: Sym) -> Expr | None:
    """M with vec(atom) = M vec(dXᵀ), for a term in dXᵀ (None for the others): the term read
    as a Jacobian with respect to a stand-in for Xᵀ, before vec(dXᵀ) = K vec(dX)."""
    dxt = Transpose(Differential(var))
    if var.is_scalar or 1 in var.shape or not any(n == dxt for n in _walk(atom)):
        return None
    stand_in = Sym(var.name, (var.shape[1], var.shape[0]), False)
    return jac.read_jacobian(_replace(atom, dxt, Differential(stand_in)), stand_in)


def _replace(e: Expr, old: Expr, new: Expr) -> Expr:
    """e with each occurrence of old replaced by new, built as written (nothing merged)."""
    if e == old:
        return new
    if not e.children():
        return e
    values = [_replace(v, old, new) if isinstance(v, Expr) else
              tuple(_replace(u, old, new) if isinstance(u, Expr) else u for u in v) if isinstance(v, tuple)
              and any(isinstance(u, Expr) for u in v) else v for v in e.key()]
    return type(e)(*values)


def rows(d, show, style: str) -> list[tuple[str, str, str]]:
    """(left-hand side or "", right-hand side, rule id) per step of a derivation or a chain, the
    right side written by `show`; the left side only where it changes."""
    out, kind = [], None
    for step in d.steps:
        out.append((d.lhs(step.kind, style) if step.kind != kind else "", show(step.expr), step.rule))
        kind = step.kind
    return out

"""The rule table that derivation steps cite (`matcalc rules`, `matcalc diff --steps`).

The seed note's rules keep its ids (1.A-1.D trace rules, 2.A and 3.A-3.D gradients); the
others have short names. A rule's `demo` is an input whose derivation shows the rule at
work (the tests check that it does). Where the code applies a rule: `steps.py` for the
trace moves, `differentiate.py` for the differential rules, `algebra.py` for `simplify`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

from ..calculus import functions
from .applies import CHECKS


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    statement: str          # the identity, in Unicode
    explanation: str        # one line: why it holds or what matcalc uses it for
    example: str            # a worked instance
    demo: tuple[str, str] | None = None  # (expression, wrt) whose derivation cites this rule
    declare: dict = field(default_factory=dict)  # kinds the demo needs, e.g. {"S": "symmetric"}
    subcommand: str = "diff"  # the command whose derivation shows the demo: diff or hessian
    identity: str | None = None  # for a rule of simplify/verify: an identity whose chain cites it
    applies: Callable | None = None  # (before, after) -> whether a step is an instance of this rule alone

    def command(self) -> str | None:
        """The `matcalc diff` command that shows the demo derivation."""
        if self.identity is not None:
            return f'matcalc verify "{self.identity}" --steps'
        if self.demo is None:
            return None
        expr, wrt = self.demo
        flags = "".join(f" --{kind} {name}" for name, kind in self.declare.items())
        return f'matcalc {self.subcommand} "{expr}" {wrt}{flags} --steps'


RULES: tuple[Rule, ...] = (
    Rule("1.A", "transpose in a trace", "tr(Aᵀ) = tr(A)",
         "A matrix and its transpose have the same diagonal; 3.C steps rest on it.",
         "tr(B Aᵀ) = tr((A Bᵀ)ᵀ) = tr(A Bᵀ)",
         identity="tr(B A^T) = tr(A B^T)"),
    Rule("1.B", "linearity of the trace", "tr(A + B) = tr(A) + tr(B)",
         "Splits a trace of a sum, and collects tr(M₁ dX) + tr(M₂ dX) into tr((M₁ + M₂) dX).",
         "tr(B Aᵀ C dA) + tr(Bᵀ Aᵀ Cᵀ dA) = tr((B Aᵀ C + Bᵀ Aᵀ Cᵀ) dA)",
         ("tr(A B A^T C)", "A")),
    Rule("1.C", "scalars in a trace", "tr(a A) = a tr(A)   (a a real number)",
         "Moves a scalar factor into the trace, so the whole term reads tr(M dX).",
         "|A| tr(A⁻¹ dA) = tr(|A| A⁻¹ dA)",
         ("|A|", "A")),
    Rule("1.D", "cyclic property", "tr(A B) = tr(B A)   (A n×m, B m×n)",
         "Rotates a product inside a trace; matcalc rotates dX to the end of each term.",
         "tr(A dX B) = tr(B A dX)",
         ("tr(A X B)", "X")),
    Rule("2.A", "quadratic form", "∇_μ μᵀ A μ = A μ + Aᵀ μ,   d(μᵀ A μ) = μᵀ (A + Aᵀ) dμ",
         "Write the scalar as its own trace, then proceed as in 3.B (`matcalc diff \"x^T A x\" x --steps` "
         "shows that proof); where a quadratic form is part of f, or is a gradient side of `verify`, its "
         "differential is read off at once.",
         "d(xᵀ A x + bᵀ x) = xᵀ (A + Aᵀ) dx + bᵀ dx",
         ("x^T A x + b^T x", "x")),
    Rule("3.A", "reading off the gradient", "∇_A tr(A B) = Bᵀ",
         "If df = tr(M dX) for every dX, then ∇_X f = Mᵀ, a matrix of X's shape.",
         "d tr(A B) = tr(B dA), so ∇_A tr(A B) = Bᵀ",
         ("tr(A B)", "A")),
    Rule("3.B", "a product with A twice", "∇_A tr(A B Aᵀ C) = Cᵀ A Bᵀ + C A B",
         "Product rule on each A, 3.C for the Aᵀ, 1.D to rotate, 3.A to read off (`matcalc diff "
         "\"tr(A B A^T C)\" A --steps` shows that proof); where the pattern is part of f, or is a gradient "
         "side of `verify`, its differential d tr(A B Aᵀ C) = tr((B Aᵀ C + Bᵀ Aᵀ Cᵀ) dA) is used at once.",
         "d tr(X Xᵀ) = tr(2 Xᵀ dX), so ∇_X tr(X Xᵀ) = 2 X",
         ("tr(X B X^T C) + tr(X)", "X")),
    Rule("3.C", "transposed variable", "∇_Aᵀ f(A) = (∇_A f(A))ᵀ",
         "A term in dAᵀ becomes a term in dA by 1.A: tr(L dAᵀ R) = tr(Rᵀ dA Lᵀ); a gradient with "
         "respect to Aᵀ is the transposed gradient.",
         "tr(A B dAᵀ C) = tr(Cᵀ dA Bᵀ Aᵀ)",
         ("tr(A X^T B)", "X")),
    Rule("3.D", "determinant", "∇_A |A| = |A| A⁻ᵀ,   d|A| = |A| tr(A⁻¹ dA)",
         "From the cofactor expansion |A| = Σⱼ Aᵢⱼ A'ᵢⱼ; in differential form it is Jacobi's formula, cited "
         "as 3.D for the determinant of the variable itself.",
         "∇_A |A|² = 2 |A|² A⁻ᵀ",
         ("|A|", "A")),
    Rule("product", "product rule", "d(U V) = dU V + U dV   (also for U ∘ V)",
         "Each factor is differentiated in turn, the others held fixed, keeping their order.",
         "d tr(A B Aᵀ C) = tr(dA B Aᵀ C) + tr(A B dAᵀ C)",
         ("tr(A B A^T C)", "A")),
    Rule("quotient", "quotient rule", "d(u / v) = du / v - u dv / v²   (v a nonzero scalar)",
         "The product rule for u v⁻¹, with d(v⁻¹) = -dv / v² by the chain rule.",
         "d(xᵀ A x / xᵀ x) = (dxᵀ A x + xᵀ A dx) / (xᵀ x) - (xᵀ A x)(dxᵀ x + xᵀ dx) / (xᵀ x)²",
         ("(x^T A x)/(x^T x)", "x")),
    Rule("linearity", "linearity of d", "d(U + V) = dU + dV,  d(A U B) = A dU B,  d tr U = tr dU,  d(Uᵀ) = (dU)ᵀ",
         "d is linear and commutes with tr, ᵀ and sum; d of a constant is 0. Applied on every term at once "
         "(multiplying out and collecting terms after it is rule distributive).",
         "d tr(A X B) = tr(A dX B)",
         ("tr(A X B)", "X")),
    Rule("chain", "chain rule", "d f(U) = f′(U) ∘ dU   (f entrywise; f′(u) du for a scalar u)",
         "dU is whatever U's own differential is. Cited for powers uᵖ of a scalar (f′(u) = p uᵖ⁻¹); each "
         "function below, and U∘ᵖ (rule elementwise), is this rule with its own f′.",
         "d (xᵀ A x)³ = 3 (xᵀ A x)² d(xᵀ A x)",
         ("(x^T A x)^3", "x")),
    Rule("inverse", "derivative of the inverse", "d(X⁻¹) = -X⁻¹ dX X⁻¹",
         "Differentiate X X⁻¹ = I: dX X⁻¹ + X d(X⁻¹) = 0.",
         "d tr(A X⁻¹ B) = -tr(A X⁻¹ dX X⁻¹ B)",
         ("tr(A X^{-1} B)", "X")),
    Rule("jacobi", "Jacobi's formula", "d|U| = tr(adj(U) dU) = |U| tr(U⁻¹ dU)",
         "The cofactor argument of 3.D: |X| = Σⱼ Xᵢⱼ X'ᵢⱼ and X'ᵢⱼ does not depend on Xᵢⱼ. For the "
         "variable itself, d|X|, the steps cite 3.D.",
         "d|Xᵀ X| = |Xᵀ X| tr((Xᵀ X)⁻¹ d(Xᵀ X))",
         ("|X^T X|", "X")),
    Rule("logdet", "log-determinant", "d log|X| = tr(X⁻¹ dX)",
         "The chain rule on Jacobi's formula: d log|X| = d|X| / |X|.",
         "d log|Xᵀ X| = tr((Xᵀ X)⁻¹ (dXᵀ X + Xᵀ dX))",
         ("\\log|X|", "X")),
    Rule("power", "matrix power", "d(Xᵏ) = Σᵣ₌₀ᵏ⁻¹ Xʳ dX Xᵏ⁻¹⁻ʳ,   tr(d(Xᵏ)) = k tr(Xᵏ⁻¹ dX)",
         "The product rule on X X ⋯ X; inside a trace each term rotates (1.D) to Xᵏ⁻¹ dX. k is a "
         "number or a symbolic integer: ∇_X tr(Xᵏ) = k (Xᵀ)ᵏ⁻¹ (Matrix Cookbook eq. 121).",
         "d tr(X³) = tr(dX X²) + tr(X dX X) + tr(X² dX)",
         ("tr(X^3)", "X")),
    Rule("exponent", "variable exponent", "d(aᵇ) = b aᵇ⁻¹ da + aᵇ log(a) db   (a > 0)",
         "aᵇ = exp(b log a): the power rule in the base, the exponential rule in the exponent.",
         "with u = xᵀx: d aᵘ = aᵘ log(a) du = aᵘ log(a) (dxᵀ x + xᵀ dx), so ∇_x aᵘ = 2 log(a) aᵘ x",
         ("a^{x^T x}", "x")),
    Rule("hadamard", "entrywise product in a trace", "sum(A ∘ B) = tr(Aᵀ B),   tr(M (A ∘ B)) = tr((M ∘ Aᵀ) B)",
         "An entrywise factor moves across the inner product: ⟨S, A ∘ B⟩ = ⟨S ∘ A, B⟩.",
         "sum(exp(X) ∘ dX) = tr(exp(X)ᵀ dX)",
         ("sum(A \\odot X)", "X")),
    Rule("elementwise", "entrywise power", "d(U∘ᵖ) = p U∘⁽ᵖ⁻¹⁾ ∘ dU",
         "The chain rule with f(t) = tᵖ applied to each entry.",
         "d sum(X∘³) = sum(3 X∘² ∘ dX)",
         ("sum(X.^3)", "X")),
    Rule("norm", "norms", "d‖U‖² = 2 tr(Uᵀ dU),   d‖U‖ = tr(Uᵀ dU) / ‖U‖",
         "‖u‖ = ‖u‖₂ = norm2(u) = √(uᵀu) and ‖U‖_F = √tr(UᵀU): the product rule on tr(UᵀU), then the chain rule "
         "on the square root; for a vector, tr(uᵀ du) is uᵀ du.",
         "d‖x‖ = xᵀ dx / ‖x‖",
         ("\\|x\\|", "x")),
    Rule("sum", "sum of entries", "sum(M) = tr(𝟏ᵀ M)   (𝟏 the all-ones matrix of M's shape)",
         "The sum of all entries is the inner product with the all-ones matrix.",
         "sum(A dX B) = tr(𝟏ᵀ A dX B)",
         ("sum(A X B)", "X")),
    Rule("scalar-trace", "trace of a real number", "a = tr(a) = aᵀ   (a a real number, a 1×1 matrix)",
         "The trace of a real number is that number (seed 2.A), so the trace rules apply to it; a 1×1 "
         "product is also its own transpose (xᵀ y = yᵀ x).",
         "aᵀ dX b = tr(aᵀ dX b)",
         ("a^T X b", "X")),
    Rule("jacobian", "reading off a Jacobian", "df = J dx  ⇒  ∂f/∂x = J   (J[i, j] = ∂fᵢ/∂xⱼ: rows are outputs)",
         "As 3.A for gradients: bring df to J dx for every dx; for matrices d vec(F) = J vec(dX) "
         "(--layout denominator prints Jᵀ).",
         "d exp(x) = diag(exp(x)) dx, so ∂exp(x)/∂x = diag(exp(x))",
         ("A x", "x")),
    Rule("vec", "vec and Kronecker products", "vec(A X B) = (Bᵀ ⊗ A) vec(X),  vec(F ∘ X) = diag(vec F) vec(X)",
         "Brings each term of d vec(F) to K vec(dX): vec(v) = v for a column v, vec(s M) = vec(M) s, "
         "and a scalar term tr(Gᵀ dX) is vec(G)ᵀ vec(dX).",
         "d vec(A X B) = vec(A dX B) = (Bᵀ ⊗ A) vec(dX)",
         ("A X B", "X")),
    Rule("diag", "diagonals in a trace", "tr(P diag(u)) = diag(P)ᵀ u,   tr(pᵀ diag(M)) = tr(diag(p) M)",
         "diag(u) is the square matrix with u on its diagonal and diag(M) the column of M's diagonal; "
         "only the diagonal entries meet, so either side is Σᵢ Pᵢᵢ uᵢ (or Σᵢ pᵢ Mᵢᵢ).",
         "tr(x xᵀ diag(dv)) = diag(x xᵀ)ᵀ dv",
         ("a^T diag(X)", "X")),
    Rule("vec-trace", "vec inner products as traces",
         "vec(A)ᵀ vec(B) = tr(Aᵀ B),  vec(A)ᵀ (P ⊗ Q) vec(B) = tr(Aᵀ Q B Pᵀ)",
         "A product of two vecs sums the entries of A ∘ B; (P ⊗ Q) vec(B) = vec(Q B Pᵀ) turns a Kronecker "
         "product between them into a trace, where 1.D and 3.A read off the gradient.",
         "vec(X)ᵀ (dA ⊗ B) vec(Y) = tr(Xᵀ B Y dAᵀ)",
         ("vec(X)^T kron(A, B) vec(Y)", "A")),
    Rule("commutation", "the commutation matrix",
         "Kₘₙ vec(A) = vec(Aᵀ) (A m×n),  Kₘₙᵀ = Kₙₘ = Kₘₙ⁻¹,  Kₚₘ (A ⊗ B) Kₙᵣ = B ⊗ A (B p×r),  "
         "K₁ₙ = Kₙ₁ = I",
         "Kₘₙ is the permutation of vec that transposes: a term in dXᵀ is read as K vec(dX) "
         "(Magnus and Neudecker); matcalc moves K to the right, Kₚₘ (A ⊗ B) = (B ⊗ A) Kᵣₙ.",
         "d vec(Xᵀ X) = (Xᵀ ⊗ I) vec(dXᵀ) + (I ⊗ Xᵀ) vec(dX) = ((Xᵀ ⊗ I) Kₘₙ + I ⊗ Xᵀ) vec(dX)",
         ("X^T X", "X")),
    Rule("einstein", "index notation",
         "dFᵢⱼ = Tᵢⱼₖₗ dXₖₗ  ⇒  ∂Fᵢⱼ/∂Xₖₗ = Tᵢⱼₖₗ   (repeated indices summed)",
         "Where ⊗, vec and K cannot write a derivative (diag(dv), diag(dM)), it is read entry by entry: "
         "(L M R)ᵢⱼ = Lᵢₐ Mₐₑ Rₑⱼ, diag(v)ᵢⱼ = δᵢⱼ vᵢ, tr(M) = Mₐₐ; NumPy builds it with np.einsum.",
         "d diag(x) = diag(dx), diag(dx)ᵢⱼ = δᵢⱼ dxᵢ, so ∂diag(x)ᵢⱼ/∂xₖ = δᵢⱼ δᵢₖ",
         ("A diag(x) B", "x")),
    Rule("hessian", "the Hessian", "∇²f = ∂(∇f)/∂x   (H[i, j] = ∂²f/∂xᵢ∂xⱼ, over vec(X) for a matrix)",
         "The Hessian is the Jacobian of the gradient: derive ∇f, then read d(∇f) = H dx off as a Jacobian.",
         "d(A x + Aᵀ x) = (A + Aᵀ) dx, so ∇²_x xᵀ A x = A + Aᵀ",
         ("x^T A x", "x"), subcommand="hessian"),
    Rule("symmetric", "symmetric variable", "∇_S f = (G + Gᵀ) / 2   (S symmetric, G the unconstrained gradient)",
         "dS is symmetric, so tr(Gᵀ dS) sees only the symmetric part of G. The Matrix Cookbook's "
         "G + Gᵀ − diag(G) is a per-entry derivative (∂f/∂sᵢⱼ, sᵢⱼ = sⱼᵢ one variable), not a gradient.",
         "∇_S xᵀ S x = x xᵀ",
         ("x^T S x", "S"), {"S": "symmetric"}),
    Rule("distributive", "products over sums", "A (B + C) = A B + A C,   (A + B) C = A C + B C",
         "Products of sums multiplied out, so that terms can be compared (simplify, verify) or hold one dX "
         "each (diff); read backwards, terms in dX collected: A dX + B dX = (A + B) dX.",
         "tr(A (B + C)) = tr(A B + A C)",
         identity="tr(A (B + C)) = tr(A B) + tr(C A)"),
    Rule("definition", "softmax, logsumexp named",
         "exp(z) / sum(exp(z)) = softmax(z),   log(sum(exp(z))) = logsumexp(z)   (z a column, sum(z) = 𝟏ᵀ z)",
         "Where f writes softmax or log-sum-exp out, the derivation names it first, so that its own differential "
         "applies: d softmax(z) = (diag(s) - s sᵀ) dz, d logsumexp(z) = softmax(z)ᵀ dz (`matcalc rules softmax`).",
         "-yᵀ log(exp(W x) / sum(exp(W x))) = -yᵀ log(softmax(W x))",
         ("-y^T log(exp(W x) / sum(exp(W x)))", "W")),
    Rule("det", "determinant rules", "|Aᵀ| = |A|,   |A B| = |A| |B|,   |Aᵏ| = |A|ᵏ   (A, B square)",
         "The determinant of a transpose, of a product and of a power (simplify, verify).",
         "|Aᵀ B| = |A| |B|",
         identity="|A^T B| = |A| |B|"),
    Rule("simplify", "routine simplification", "(AB)ᵀ = BᵀAᵀ,  (Aᵀ)ᵀ = A,  A + A = 2A,  XᵃXᵇ = Xᵃ⁺ᵇ,  A I = A",
         "Transposes pushed to the leaves, like terms collected, scalars in front, I and 0 dropped.",
         "(B Aᵀ C + Bᵀ Aᵀ Cᵀ)ᵀ = Cᵀ A Bᵀ + C A B",
         ("tr(A B A^T C)", "A")),
)



def _function_rule(f) -> Rule:
    """The rule of one row of the table of functions (calculus/functions.py)."""
    explanation = {
        "elementwise": "An entrywise function: its derivative, entry by entry, times dX (rule elementwise).",
        "entries": "A function of all the entries: the sum of its entrywise derivative times dX.",
        "square": "A function of a whole square matrix, differentiated by the rules it is built from.",
    }.get(f.shape, "A function of a whole vector: its Jacobian applied to dx.")
    var = "x" if f.shape in ("vector", "reduction") else "X"
    shown = f.demo.replace("^T", "ᵀ")  # the demo as input, the example in Unicode
    return Rule(f.name, f.title, f.derivative, explanation, f"d {shown} w.r.t. {var}", (f.demo, var))


RULES = tuple(dataclasses.replace(r, applies=CHECKS.get(r.id))
              for r in RULES + tuple(_function_rule(f) for f in functions.TABLE))
BY_ID: dict[str, Rule] = {r.id: r for r in RULES}


def lookup(rule_id: str) -> Rule | None:
    """A rule by id, forgiving case and spacing (`3.d`, `scalar trace`)."""
    key = rule_id.strip().lower().replace(" ", "-").replace("_", "-")
    return next((r for r in RULES if r.id.lower() == key), None)


def listing() -> str:
    """`matcalc rules`: one line per rule, columns aligned."""
    wid, wname = max(len(r.id) for r in RULES), max(len(r.name) for r in RULES)
    return "\n".join(f"{r.id:<{wid}}  {r.name:<{wname}}  {r.statement}" for r in RULES)


def describe(rule: Rule) -> str:
    """`matcalc rules ID`: the statement, why, a worked example and a command to try."""
    lines = [f"{rule.id}  {rule.name}", f"  {rule.statement}", f"  {rule.explanation}",
             f"  example: {rule.example}"]
    if rule.command():
        lines.append(f"  try: {rule.command()}")
    return "\n".join(lines)

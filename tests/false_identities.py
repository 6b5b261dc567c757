"""True identities, and near-miss false ones generated from them, for `matcalc verify`
(issue 12: "verify never says holds for a false identity").

Each false identity is made from a true one by one small, systematic change: a dropped
transpose, a lost factor 2, a flipped sign, a non-cyclic reordering inside tr, swapped
inverse or transpose factors, det(A+B) = det(A) + det(B), a constant 1e-9 off, and the
hand-written ones of issue 12. tests/test_false_identities.py first confirms with the
independent evaluator (tests/evaluator.py) that every one is really false, on random data
of even and odd sizes, and only then asks matcalc.

Names follow one convention (DIMS): a, b, c scalars; x, y, z, u vectors of size n; A, B, C,
D, X square n×n; S, T, U symmetric n×n; P, R n×m and Q m×n.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

N, M = "n", "m"
DIMS = {
    **{s: (1, 1) for s in "abc"},
    **{v: (N, 1) for v in "xyzu"},
    **{s: (N, N) for s in "ABCDXSTU"},
    "P": (N, M), "R": (N, M), "Q": (M, N),
}
SYMMETRIC = set("STU")


def kind(name: str) -> str:
    r, c = DIMS[name]
    if (r, c) == (1, 1):
        return "scalar"
    if c == 1:
        return "vector"
    return "symmetric" if name in SYMMETRIC else "matrix"


@dataclass(frozen=True)
class Identity:
    text: str
    family: str
    expect: str = "false"     # "holds", "false", "false or refused" (a domain question), "refused"
    margin: float = 1e-6      # the relative difference the evaluator must see on some instance
    origin: str = ""          # the true identity it was made from

    @property
    def id(self) -> str:
        return self.text


# -- true identities --------------------------------------------------------------------------

TRUE_TEXTS = [
    # traces (seed 1.A-1.D)
    "tr(A^T) = tr(A)", "tr(A + B) = tr(A) + tr(B)", "tr(a A) = a tr(A)", "tr(A B) = tr(B A)",
    "tr(A^T B) = tr(B^T A)", "tr(A^T B) = tr(A B^T)", "tr(P Q) = tr(Q P)", "tr(P^T R) = tr(R P^T)",
    "tr(A + B^T) = tr(A) + tr(B)", "tr(x y^T) = x^T y", "x^T A x = tr(A x x^T)", "tr(A) tr(B) = tr(B) tr(A)",
    "tr(A^2) = tr(A A)", "\\frac{1}{2} tr(A) = tr(A) / 2", "tr(S T U) = tr(U T S)", "x^T S y = y^T S x",
    # transposes
    "(A B)^T = B^T A^T", "(A B C)^T = C^T B^T A^T", "(A x)^T = x^T A^T", "(P Q)^T = Q^T P^T",
    "(A^T)^T = A", "(A + B)^T = A^T + B^T", "x^T A y = y^T A^T x", "x^T y = y^T x", "x^T A x = x^T A^T x",
    "(A^2)^T = (A^T)^2", "(S^{-1})^T = S^{-1}", "(P^T A)^T = A^T P",
    # inverses
    "(A B)^{-1} = B^{-1} A^{-1}", "(A B C)^{-1} = C^{-1} B^{-1} A^{-1}", "(A^T)^{-1} = (A^{-1})^T",
    "(A^{-1})^{-1} = A", "A^{-T} = (A^T)^{-1}", "A A^{-1} B = B", "(A^T B)^{-1} = B^{-1} A^{-T}",
    "(A^2)^{-1} = A^{-1} A^{-1}",
    # determinants
    "|A B| = |A| |B|", "|A^T| = |A|", "|A^{-1}| = 1 / |A|", "\\det(A B C) = \\det(C) \\det(B) \\det(A)",
    "\\log|A B| = \\log|A| + \\log|B|", "\\log|A^{-1}| = -\\log|A|", "|A^2| = |A|^2", "|A^T B| = |B^T A|",
    "\\log\\det(S^2) = 2 \\log\\det(S)",
    # sums, products, norms
    "x^T (A + B) x = x^T A x + x^T B x", "(A + B) x = A x + B x", "A (B + C) = A B + A C",
    "(x + y)^T A = x^T A + y^T A", "a (A + B) = a A + a B", "A^2 = A A", "A^{3} = A A A",
    "\\|x\\|^2 = x^T x", "\\|x - y\\|^2 = x^T x - 2 x^T y + y^T y", "\\|A x\\|^2 = x^T A^T A x",
    "\\|P\\|_F^2 = tr(P^T P)", "\\|P\\|_F^2 = tr(P P^T)", "(x^T y)^2 = x^T y y^T x", "x x^T y = (x^T y) x",
    # factors of 2
    "x^T A x + x^T A^T x = 2 x^T A x", "tr(A B) + tr(B A) = 2 tr(A B)", "tr(A) + tr(A^T) = 2 tr(A)",
    "x^T x + x^T x = 2 \\|x\\|^2", "x^T A y + y^T A^T x = 2 x^T A y", "(A + A^T) x = A x + A^T x",
    # elementwise
    "sum(x .* y) = x^T y", "sum(P .* R) = tr(P^T R)", "x .* y = y .* x", "diag(x) y = x .* y",
    "exp(x) .* exp(y) = exp(x + y)", "log(exp(x)) = x",
    # gradients (seed 2.A, 3.A-3.D and the README's)
    "\\nabla_x x^T A x = A x + A^T x", "\\nabla_A tr(A B) = B^T", "\\nabla_A tr(A B A^T C) = C^T A B^T + C A B",
    "\\nabla_A |A| = |A| A^{-T}", "\\nabla_X \\log|X| = X^{-T}", "\\nabla_x x^T x = 2 x",
    "\\nabla_X tr(X^T X) = 2 X", "\\nabla_x \\|A x - y\\|^2 = 2 A^T (A x - y)", "\\nabla_x y^T x = y",
    "\\nabla_X tr(A X B) = A^T B^T", "\\nabla_X x^T X y = x y^T", "\\nabla_X tr(X A X^T) = X A^T + X A",
    "\\nabla_S x^T S x = x x^T", "\\nabla_X tr(X^{-1}) = -X^{-T} X^{-T}",
]


def _true_traces() -> list[str]:
    """tr of a product equals tr of each cyclic rotation."""
    out = []
    for word in TRACE_WORDS:
        for k in range(1, len(word)):
            out.append(f"tr({' '.join(word)}) = tr({' '.join(word[k:] + word[:k])})")
    return out


TRACE_WORDS = [("A", "B", "C"), ("A", "B", "C", "D"), ("A^T", "B", "C"), ("A", "B^T", "C", "D"),
               ("X", "A", "X^T"), ("P", "Q", "A"), ("A", "S", "B")]

TRUE = [Identity(t, "true", "holds") for t in TRUE_TEXTS + _true_traces()]

# -- near misses, generated ---------------------------------------------------------------------


def _sides(text: str) -> tuple[str, str]:
    lhs, rhs = text.split(" = ")
    return lhs, rhs


def dropped_transposes(text: str) -> list[str]:
    """Each ^T (or ^{-T} to ^{-1}) of the identity dropped, one at a time."""
    out = []
    for m in re.finditer(r"\^T|\^\{-T\}", text):
        out.append(text[:m.start()] + ("" if m.group() == "^T" else "^{-1}") + text[m.end():])
    return out


def lost_twos(text: str) -> list[str]:
    """Each coefficient 2 of the identity dropped, one at a time."""
    return [text[:m.start()] + text[m.end():] for m in re.finditer(r"(?<![\^{\w])2 ", text)]


def flipped_sign(text: str) -> list[str]:
    lhs, rhs = _sides(text)
    return [f"{lhs} = -({rhs})"]


def non_cyclic_traces() -> list[str]:
    out = []
    for word in TRACE_WORDS:
        rotations = {word[k:] + word[:k] for k in range(len(word))}
        for perm in itertools.permutations(word):
            if perm not in rotations:
                out.append(f"tr({' '.join(word)}) = tr({' '.join(perm)})")
    return out


def swapped_factors() -> list[tuple[str, str]]:
    """(A B)^{-1} and (A B)^T with the factors of the right side in any order but the reversed one."""
    out = []
    for word in [("A", "B"), ("A", "B", "C"), ("A^T", "B"), ("A", "B", "X")]:
        for op, each in (("^{-1}", "inverse"), ("^T", "transpose")):
            def single(f):
                if op == "^T":
                    return f[:-2] if f.endswith("^T") else f + "^T"
                return f"({f})^{{-1}}" if f.endswith("^T") else f + "^{-1}"
            for perm in itertools.permutations(word):
                if perm != word[::-1]:
                    out.append((f"({' '.join(word)}){op} = {' '.join(single(f) for f in perm)}", each))
    return out


def det_of_sums() -> list[str]:
    pairs = [("A", "B"), ("A", "B^T"), ("A", "I"), ("S", "T"), ("A B", "C"), ("X", "X^T"), ("A", "2 B")]
    out = []
    for p, q in pairs:
        out += [f"\\det({p} + {q}) = \\det({p}) + \\det({q})", f"|{p} + {q}| = |{p}| + |{q}|"]
    out += ["\\log|S + T| = \\log|S| + \\log|T|", "\\det(A - B) = \\det(A) - \\det(B)",
            "tr(A B) = tr(A) tr(B)", "|A B + C| = |A| |B| + |C|", "\\log\\det(A B + I) = \\log\\det(A B) + 1"]
    return out


def det_scalings() -> list[str]:
    """det(cA) = c^n det(A); near misses that are right for one n only (or none)."""
    return ["\\det(-A) = -\\det(A)", "\\det(2 (X X^T)^{-1}) = 8 \\det((X X^T)^{-1})", "\\det(2 A) = 2 \\det(A)",
            "\\det(2 A) = 4 \\det(A)", "\\det(2 A) = 8 \\det(A)", "|3 A| = 27 |A|", "|-S| = -|S|",
            "\\det(a A) = a \\det(A)", "|-A^{-1}| = -|A^{-1}|", "\\log|2 S| = \\log 2 + \\log|S|",
            "\\det(2 (P P^T)^{-1}) = 8 \\det((P P^T)^{-1})", "|(-1) A B| = -|A B|"]


def slightly_off() -> list[str]:
    """A constant 1e-9 off: past any float tolerance of 1e-8, but not exact."""
    return ["tr(A B) = 1.000000001 tr(B A)", "x^T x = x^T x + 0.000000001", "|A B| = 1.000000001 |A| |B|",
            "x^T A y = y^T A^T x - 0.000000001", "(A B)^T = 1.000000001 B^T A^T",
            "\\log|A| = \\log|A| + 0.000000001", "tr(A) = 0.999999999 tr(A^T)"]


def _family(texts, family, **kw) -> list[Identity]:
    return [Identity(t, family, **kw) for t in texts]


HAND_WRITTEN = [  # issue 12, as quoted
    Identity("\\det(-A) = -\\det(A)", "issue 12"),
    Identity("\\det(2 (X X^T)^{-1}) = 8 \\det((X X^T)^{-1})", "issue 12"),
    Identity("tr(A B) = 1.000000001 tr(B A)", "issue 12", margin=1e-11),
    Identity("x^T x = x^T x + 0.000000001", "issue 12", margin=1e-11),
    Identity("log(x.^2) = 2 log(x)", "issue 12", "false or refused"),  # 2 log(x) is NaN where x < 0
    Identity("|a| = a", "issue 12"),
    Identity("0/0 = 0", "issue 12", "refused"),
    # more of the same kinds
    Identity("0/0 tr(A) = 0", "issue 12", "refused"),
    Identity("tr(A)/0 = 0", "issue 12", "false or refused"),  # "the left side is undefined" is honest
    Identity("sqrt(x.^2) = x", "domain", "false or refused"),
    Identity("(x.^2).^{1/2} = x", "domain", "false or refused"),
    Identity("|a b| = a |b|", "domain"),
    Identity("((x^T y)^2)^{1/2} = x^T y", "domain", "false or refused"),
    Identity("log(a^2) = 2 log(a)", "domain", "false or refused"),
]


def well_typed(text: str) -> bool:
    """Both sides read, with one shape (a mutation may leave a product that does not chain)."""
    import numpy as np

    from evaluator import EvaluatorError, Expression, canonical

    size = {N: 2, M: 3, 1: 1}
    values = {k: np.ones((size[r], size[c])) for k, (r, c) in DIMS.items()}
    shapes = []
    for side in _sides(text):
        m = re.fullmatch(r"\\nabla_\{?(\\?[A-Za-z]+)\}?\s+(.*)", side.strip())
        try:
            if m:
                if Expression(m.group(2)).shape(values) != (1, 1):
                    return False
                shapes.append(values[canonical(m.group(1))].shape)
            else:
                shapes.append(Expression(side).shape(values))
        except EvaluatorError:
            return False
    return shapes[0] == shapes[1] or (1, 1) in shapes and "0" in text


def false_identities() -> list[Identity]:
    out: list[Identity] = []
    for t in TRUE:
        out += [Identity(v, "dropped transpose", origin=t.text) for v in dropped_transposes(t.text)]
        out += [Identity(v, "lost factor 2", origin=t.text) for v in lost_twos(t.text)]
        out += [Identity(v, "flipped sign", origin=t.text) for v in flipped_sign(t.text)]
    out += _family(non_cyclic_traces(), "non-cyclic reordering inside tr")
    out += [Identity(t, f"swapped {each} factors") for t, each in swapped_factors()]
    out += _family(det_of_sums(), "det of a sum")
    out += _family(det_scalings(), "det scaling")
    out += _family(slightly_off(), "1e-9 off", margin=1e-11)
    out += HAND_WRITTEN
    seen, unique = set(), []
    for i in out:
        lhs, rhs = _sides(i.text)
        if i.text in seen or lhs.replace(" ", "") == rhs.replace(" ", "") or i.text in NOT_FALSE or \
                not well_typed(i.text):
            continue
        seen.add(i.text)
        unique.append(i)
    return unique


# Mutations that leave a true identity (checked by the evaluator, so listed here by hand):
NOT_FALSE = {
    "tr(A + B) = tr(A) + tr(B)",                # tr(A + B^T) with the transpose dropped
    "(S^{-1}) = S^{-1}",                        # S is symmetric
    "|A B| = |B^T A|", "|A^T B| = |B A|",       # det is blind to a transpose
    "x^T A x + x^T A x = 2 x^T A x", "tr(A) + tr(A) = 2 tr(A)",
}

"""The Matrix Cookbook (ch. 2) and everyday losses: every gradient against finite
differences and against an independent hand-written NumPy formula."""
import pytest

from cookbook_cases import CASES
from oracle import assert_gradient


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cookbook_identity(case):
    assert_gradient(case.expr, case.wrt, case.expected, case.declare or None, case.positive)


def test_corpus_is_large_enough():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


# Results as the Cookbook writes them (present.py): 1×1 runs as scalar factors, terms with the
# same scalar factors grouped, a factor of every term in front.
FACTORED = [
    ("log(x^T A x)", "x", "(A x + A^T x) / (x^T A x)",
     lambda v: (v["A"] + v["A"].T) @ v["x"] / (v["x"] @ v["A"] @ v["x"])),
    ("sqrt(x^T A x)", "x", "(A x + A^T x) / (2 sqrt(x^T A x))",
     lambda v: (v["A"] + v["A"].T) @ v["x"] / (2 * (v["x"] @ v["A"] @ v["x"]) ** 0.5)),
    ("det(X) tr(X)", "X", "|X| (tr(X) X^{-T} + I)", None),
    ("-log(x^T A x) - log(x^T A x)", "x", "-2 (A x + A^T x) / (x^T A x)", None),
    ("(a^T x)^2", "x", "2 (a^T x) a", lambda v: 2 * (v["a"] @ v["x"]) * v["a"]),  # a 1×1 run is a scalar
    ("x^T x a^T x", "x", "2 (a^T x) x + (x^T x) a", None),    # ... in one orientation: like terms meet
    ("(x^T A x)(x^T B x)", "x", "(x^T B x) (A x + A^T x) + (x^T A x) (B x + B^T x)", None),
    ("(x^T A x)/(x^T x)", "x", "(A x + A^T x) / (x^T x) - 2 (x^T A x) x / (x^T x)^2",
     lambda v: ((v["A"] + v["A"].T) @ v["x"] / (v["x"] @ v["x"])
                - 2 * (v["x"] @ v["A"] @ v["x"]) * v["x"] / (v["x"] @ v["x"]) ** 2)),
    ("x^T A x", "x", "A x + A^T x", None),                 # 2.A: nothing shared, nothing moved
    ("tr(A B A^T C)", "A", "C^T A B^T + C A B", None),     # 3.B
]


@pytest.mark.parametrize("expr,wrt,text,expected", FACTORED, ids=[f[0] for f in FACTORED])
def test_a_common_scalar_factor_comes_out_in_front(expr, wrt, text, expected):
    g = assert_gradient(expr, wrt, expected, positive=True)
    assert g.text == text

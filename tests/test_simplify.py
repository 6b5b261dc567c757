"""`matcalc simplify` and the canonical forms behind it: the trace rules 1.A-1.D, transposes at
the leaves, like terms collected; every simplification checked numerically, printed forms read
back, and every rotation of a trace sent to one form."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import matcalc
from cookbook_cases import CASES
from oracle import used
from matcalc.language import kinds
from matcalc.numeric import evaluation as numeric
from matcalc.language import parser
from matcalc.calculus.canonical import canonical
from matcalc.cli.app import app
from matcalc.formats import render
from matcalc.calculus.expr import Det, MatMul, Power, Sym, Trace, Transpose, free_symbols, postorder

EXAMPLES = [
    ("tr(A^T)", "tr(A)"),                                  # 1.A
    ("tr(A + B)", "tr(A) + tr(B)"),                        # 1.B
    ("tr(2 a A)", "2 a tr(A)"),                            # 1.C
    ("tr(B A)", "tr(A B)"),                                # 1.D
    ("tr(C A B) + tr(B C A) - tr(A B C)", "tr(A B C)"),    # 1.D, like terms
    ("tr(B A^T)", "tr(A B^T)"),                            # 1.A with 1.D
    ("tr(x x^T)", "x^T x"),                                # the trace of a 1×1 product
    ("x^T A y + y^T A^T x", "2 x^T A y"),                  # a 1×1 product is its own transpose
    ("((A B)^T)^T + (A B)^T", "A B + B^T A^T"),            # transposes to the leaves
    ("(A^{-1})^T", "A^{-T}"),
    ("tr(A^{-1} B A)", "tr(B)"),                           # rotating brings A⁻¹ next to A
    ("A (B + C) - A B", "A C"),                            # multiplied out when that is shorter
    ("(x - \\mu)^T A (x - \\mu)", "(x - \\mu)^T A (x - \\mu)"),  # ... and kept when it is not
    ("2 A - A - A", "0"),
    ("A (x^T y)", "(x^T y) A"),                            # a scalar 1×1 product, not a chain
    ("|A^T| |B|^{-1} |B|", "|A|"),
]


@pytest.mark.parametrize("source,expected", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_simplest_forms(source, expected):
    s = matcalc.simplify(source)
    assert s.text == expected
    assert_same_value(s)


# |u| sign(u) = u and |u|^{2k} = u^{2k}, for scalars as entry by entry (were kept as written)
ABSOLUTE = [
    ("abs(a) sign(a)", "a"),
    ("2 abs(a) sign(a) b", "2 a b"),
    ("abs(a)^2", "a^2"),
    ("abs(a)^{-4}", "1 / a^4"),
    ("abs(a)^3", "|a|^3"),                                 # an odd power keeps its bars
    ("abs(x^T y) sign(x^T y)", "x^T y"),
    ("abs(x) .* sign(x)", "x"),
    ("abs(x).^2", "x.^2"),
]


@pytest.mark.parametrize("source,expected", ABSOLUTE, ids=[e[0] for e in ABSOLUTE])
def test_absolute_values_that_cancel(source, expected):
    s = matcalc.simplify(source, used({"a": "scalar", "b": "scalar"}, source) or None)
    assert s.text == expected
    assert_same_value(s)


def assert_same_value(s, positive=False):
    """The simplified form equals the input as written, on random data of distinct sizes."""
    symbols = free_symbols(s.written)
    checked = 0
    for seed in (0, 1, 2, 3):
        rng = np.random.default_rng(seed)
        values, sizes = numeric.random_instance(symbols, rng, positive, numeric.SIZE_ORDERS[seed % 2],
                                                 within=(s.written, s.result))
        for node in postorder(s.written):  # an I whose size no variable carries
            sizes.update({d: 4 for d in node.shape if d != 1 and d not in sizes})
        with np.errstate(all="ignore"):
            if not well_conditioned(s.written, values, sizes):
                continue  # (XᵀCX)⁻¹ with X wide: no number means anything there
            want = numeric.evaluate(s.written, values, sizes)
            got = numeric.evaluate(s.result, values, sizes)
        if not np.all(np.isfinite(want)):
            continue
        got = np.broadcast_to(got, want.shape) if got.size == 1 else got
        assert numeric.relative_error(got, want) < 1e-9, f"{s.source} -> {s.text}"
        checked += 1
    assert checked, f"{s.source}: no random instance where it can be evaluated"


def well_conditioned(e, values, sizes) -> bool:
    """Every matrix inverted or under a determinant is far from singular."""
    for node in postorder(e):
        inner = node.arg if isinstance(node, Det) else \
            node.base if isinstance(node, Power) and node.exponent < 0 else None
        if inner is not None and not inner.is_scalar:
            m = numeric.evaluate(inner, values, sizes)
            if not np.all(np.isfinite(m)) or np.linalg.cond(m) > 1e8:
                return False
    return True


def corpus():
    """Every Cookbook input and every gradient matcalc gives for it, in text form."""
    out = []
    for c in CASES:
        g = matcalc.diff(c.expr, c.wrt, declared=c.declare or None)
        declared = {k: v for k, v in g.typing.kinds.items() if "_" not in k}
        out.append(pytest.param(c.expr, c.declare or None, c.positive, id=c.id + "-input"))
        if c.id != "sum_tanh_Wx":  # its `ones` is a column, which the input language cannot say
            out.append(pytest.param(g.text, declared, c.positive, id=c.id + "-gradient"))
    return out


@pytest.mark.parametrize("source,declare,positive", corpus())
def test_simplify_is_equal_parses_back_and_is_idempotent(source, declare, positive):
    s = matcalc.simplify(source, used(declare, source))
    assert_same_value(s, positive)
    kinds_as_read = {render.name(n, render.TEXT): k for n, k in s.typing.kinds.items()}
    for printed in (s.text, s.latex):
        again = matcalc.simplify(printed, used(kinds_as_read, printed))   # the printed form reads back ...
        assert again.written.shape == s.result.shape or s.result.is_scalar == again.written.is_scalar
        assert again.text == s.text                         # ... and is already simplest


def chain_trace(names_shapes, rotation, transposed):
    syms = [Sym(n, shape, False) for n, shape in names_shapes]
    chain = syms[rotation:] + syms[:rotation]
    if transposed:
        chain = [Transpose(s) for s in reversed(chain)]
    return Trace(MatMul(tuple(chain)))


@settings(max_examples=200, deadline=None)
@given(k=st.integers(2, 6), rotation=st.integers(0, 5), transposed=st.booleans(), data=st.data())
def test_every_rotation_and_transpose_of_a_trace_has_one_canonical_form(k, rotation, transposed, data):
    """1.A and 1.D: tr(M₁⋯Mₖ) = tr(M_{i+1}⋯Mₖ M₁⋯M_i) = tr(Mₖᵀ⋯M₁ᵀ), for any chain of shapes."""
    dims = data.draw(st.lists(st.sampled_from(["m", "n", "p", 1]), min_size=k, max_size=k))
    if all(d == 1 for d in dims):
        dims[0] = "m"
    names_shapes = [(chr(ord("A") + i), (dims[i], dims[(i + 1) % k])) for i in range(k)]
    names_shapes = [(n.lower() if 1 in s else n, s) for n, s in names_shapes]
    base = canonical(chain_trace(names_shapes, 0, False))
    assert canonical(chain_trace(names_shapes, rotation % k, transposed)) == base


def test_canonical_forms_differ_for_different_traces():
    a, b, c = (matcalc.simplify(s).text for s in ("tr(A B C)", "tr(C B A)", "tr(A C B)"))
    assert (a, b, c) == ("tr(A B C)", "tr(A C B)", "tr(A C B)")


@pytest.mark.parametrize("fmt,expected", [
    ("text", "2 x^T A y"), ("latex", "2 x^{T} A y"), ("numpy", "2 * (x @ A @ y)"),
])
def test_simplify_command_formats(fmt, expected):
    result = CliRunner().invoke(app, ["simplify", "x^T A y + y^T A^T x", "-f", fmt])
    assert result.exit_code == 0, result.output
    assert result.stdout == expected + "\n"


def test_simplify_command_json_and_python():
    result = CliRunner().invoke(app, ["simplify", "tr(B A)", "-f", "json"])
    record = json.loads(result.stdout)
    assert record["value"]["text"] == "tr(B A)" and record["result"]["numpy"] == "np.trace(A @ B)"
    assert record["kinds"] == {"B": "matrix", "A": "matrix"} and record["shapes"] == {"B": ["m", "n"], "A": ["n", "m"]}
    result = CliRunner().invoke(app, ["simplify", "tr(B A) + tr(A^T B^T)", "-f", "python"])
    namespace = {}
    exec(result.stdout, namespace)
    A, B = np.arange(6.0).reshape(2, 3), np.ones((3, 2))
    assert np.isclose(namespace["f"](A, B), 2 * np.trace(A @ B))


def test_simplify_rejects_identities_and_queries():
    for source in ("tr(AB) = tr(BA)", r"\nabla_A tr(AB)", "tr(A"):
        result = CliRunner().invoke(app, ["simplify", source])
        assert result.exit_code == 2 and result.stderr.startswith("error: ")


def test_simplify_parses_like_diff():
    line = parser.parse("tr(A B)")
    typing = kinds.infer([line.lhs], "tr(A B)")
    assert matcalc.simplify("tr(A B)").written == kinds.build(line.lhs, typing, raw=True)

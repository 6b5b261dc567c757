"""Random data is never degenerate by its sizes (issue 12, item 8): every matrix that an
expression inverts or takes the determinant of gets sizes under which it can be nonsingular,
so no test, --check or verify rests on rounding noise, whatever the CPU."""
import numpy as np
import pytest

import matcalc
from cookbook_cases import CASES
from matcalc.calculus.expr import free_symbols
from matcalc.calculus.sizes import SIZE_ORDERS, assign_sizes, invertible_parts, rank_bound, size_of
from matcalc.numeric import evaluation as numeric


def typed(source):
    from matcalc import api

    return api.typed(source)[0]


@pytest.mark.parametrize("order", SIZE_ORDERS)
def test_det_of_A_X_B_gets_a_thin_outer_dimension(order):
    e = typed("det(A X B)")
    A, X, B = (s for s in sorted(free_symbols(e), key=lambda s: s.name) if s.name in "AXB")
    sizes = assign_sizes(numeric.dims_of(free_symbols(e)), order, within=(e,))
    m, p = (sizes[d] for d in A.shape)
    q = sizes[X.shape[1]]
    assert m <= p and m <= q
    assert len(set(sizes.values())) == len(sizes)  # still distinct: every free matrix non-square
    values, sizes = numeric.random_instance(free_symbols(e), np.random.default_rng(0), order=order, within=(e,))
    assert np.linalg.cond(values["A"] @ values["X"] @ values["B"]) < 1e6


def test_without_the_expression_the_sizes_are_the_order_itself():
    e = typed("det(A X B)")
    dims = numeric.dims_of(free_symbols(e))
    assert list(assign_sizes(dims, SIZE_ORDERS[0]).values()) == [5, 3, 4]


@pytest.mark.parametrize("source, sizes, bound", [
    ("A X B", (5, 3, 4, 6), 3),  # dimensions in order of appearance: A 5×3, X 3×4, B 4×6
    ("X X^T + I", (5, 3), 5),
    ("x y^T + u v^T", (5, 4), 2),
    ("A .* B", (5, 3), 3),
])
def test_rank_bounds(source, sizes, bound):
    e = typed(source)
    names = numeric.dims_of(free_symbols(e))
    assert rank_bound(e, dict(zip(names, sizes))) == bound


def test_an_inverse_that_cannot_exist_at_any_size_is_said_so():
    e = typed("det(x y^T)")  # rank 1 at every size n > 1
    with pytest.raises(numeric.Singular):
        numeric.random_instance(free_symbols(e), np.random.default_rng(0), within=(e,))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_no_corpus_case_samples_a_singular_instance(case):
    """The oracle's sizes give every inverse and determinant of the input and its result full rank."""
    g = matcalc.diff(case.expr, case.wrt, declared=case.declare or None)
    forms = (g.written, g.result)
    for order in SIZE_ORDERS:
        values, sizes = numeric.random_instance(free_symbols(g.written), np.random.default_rng(0),
                                                case.positive, order, within=forms)
        for m in invertible_parts(forms):
            assert rank_bound(m, sizes) == size_of(m.shape[0], sizes), (case.id, m)
            with np.errstate(all="ignore"):
                assert np.linalg.cond(numeric.evaluate(m, values, sizes)) < 1e10, (case.id, m)


def test_a_generated_module_sizes_its_data_the_same_way():
    from matcalc.cli.output import python_module

    text = python_module([matcalc.diff("det(A X B)", "X")])
    assert "for m, n, p in ((3, 5, 4),):" in text
    namespace = {}
    exec(compile(text.replace('if __name__ == "__main__":', "if False:"), "<module>", "exec"), namespace)
    assert namespace["check_gradient"]() < 1e-5

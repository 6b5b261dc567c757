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

"""verify's numeric verdict (issue 12, item 7): instances at even and odd sizes, several per
dimension; a NaN never counts as agreement; exact rational coefficients compared exactly; a
"holds" says how many instances agreed and never rests on one size."""
import re

import pytest
from typer.testing import CliRunner

import matcalc
from matcalc.cli.app import app
from matcalc.numeric import identities


def run(source):
    return CliRunner().invoke(app, ["verify", source, "-f", "text"])


# the false identities quoted in issue 12: each said "holds" before
FALSE = [
    (r"\det(-A) = -\det(A)", "relative difference"),                       # true for odd n only
    (r"\det(2 (X X^T)^{-1}) = 8 \det((X X^T)^{-1})", "relative difference"),  # true for n = 3 only
    ("tr(A B) = 1.000000001 tr(B A)", "exact rational coefficients"),
    ("x^T x = x^T x + 0.000000001", "exact rational coefficients"),
    ("log(x.^2) = 2 log(x)", "the right side is undefined (NaN or infinite) where the left side is finite"),
    (r"\nabla_x x^T x = 2.000000001 x", "exact rational coefficients"),
    ("sqrt(x).^2 = x", "the left side is undefined"),
]


@pytest.mark.parametrize("source, why", FALSE, ids=[f[0] for f in FALSE])
def test_false_identities_do_not_hold(source, why):
    verdict = matcalc.verify(source)
    assert not verdict and verdict.how == "numeric"
    result = run(source)
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("does not hold: ") and why in result.stdout


TRUE = [
    r"\log|A B| = \log|A| + \log|B|",
    r"\det(2 A) = 2^3 \det(A) \det(A)^0 / 1 + \det(2 A) - 8 \det(A)",
    r"(X^T X)^{-1} X^T X = I",
    r"\|x\|^2 = x^T x",
    r"\nabla_x sum(\log(x)) = 1 ./ x",  # on the domain of log: ∇f is asked where f is defined
    r"\det(X X^T) = \det(X X^T)^1",
    r"\log|X X^T| = -\log|(X X^T)^{-1}|",
]


@pytest.mark.parametrize("source", TRUE)
def test_true_identities_hold_with_the_count_and_the_sizes(source):
    verdict = matcalc.verify(source)
    assert verdict, str(verdict)
    if verdict.how == "numeric":
        assert verdict.numbers.agreed == verdict.numbers.usable == verdict.instances >= 5
        assert verdict.numbers.several_sizes
        assert re.fullmatch(r"holds numerically \(max relative error \d\.\de-\d\d on \d+ random instances, "
                            r"all \d+ agreeing, sizes \d+ to \d+\)\n", run(source).stdout)


def test_each_dimension_takes_even_and_odd_sizes():
    verdict = matcalc.verify(r"\log|A B| = \log|A| + \log|B|")
    for sizes in verdict.numbers.sizes.values():
        assert len(sizes) >= 2 and {n % 2 for n in sizes} == {0, 1}


def test_holds_never_rests_on_one_parity(monkeypatch):
    """With odd sizes only, det(-A) = -det(A) would agree everywhere: no "holds" then."""
    monkeypatch.setattr(identities, "SCHEDULE", (3, 5, 7))
    with pytest.raises(matcalc.MatcalcError, match="cannot decide numerically"):
        matcalc.verify(r"\det(-A) = -\det(A)")


def test_an_instance_where_both_sides_are_undefined_is_not_used():
    with pytest.raises(matcalc.MatcalcError, match="no random instance where both sides are finite"):
        matcalc.verify("sqrt(-(x.^2)) = sqrt(-(x.^4))")
    result = run("sqrt(-(x.^2)) = sqrt(-(x.^4))")
    assert result.exit_code == 2 and "Traceback" not in result.output

"""Differentiation stays linear in the size of the input: counted in operations, not seconds."""
import importlib.util
from fractions import Fraction
from functools import reduce
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from matcalc.calculus import algebra as alg
from matcalc import api
from matcalc.calculus import differentiate
from matcalc.language import kinds
from matcalc.language import parser
from matcalc.language.syntax import Query
from matcalc.calculus.expr import Add, Const, Det, Identity, MatMul, Power, Sym, Trace, Zero
from matcalc.calculus.expr import size as tree_size
from oracle import assert_gradient


def chain(k: int) -> str:
    """tr(M1 … Mk X N1 … Nk Xᵀ), the scaling benchmark of benchmarks/run.py."""
    return "tr(" + " ".join([f"M{i}" for i in range(1, k + 1)] + ["X"]
                            + [f"N{i}" for i in range(1, k + 1)] + ["X^T"]) + ")"


def factors_read(source: str, monkeypatch) -> tuple[int, int]:
    """How many factors the product constructors read for one gradient (plain_product's shortcut,
    and the fold of mul when it declines, a product among the factors counted as its factors),
    and the result's size."""
    count = 0
    shortcut, read = alg.plain_product, alg._Fold.read

    def width(f):
        return len(f.factors) if type(f) is MatMul else 1

    def counting_shortcut(factors):
        nonlocal count
        factors = tuple(factors)
        count += sum(width(f) for f in factors)
        return shortcut(factors)

    def counting_read(state, factor):
        nonlocal count
        count += width(factor)
        read(state, factor)

    monkeypatch.setattr(alg, "plain_product", counting_shortcut)
    monkeypatch.setattr(alg._Fold, "read", counting_read)
    g = api.diff(source, "X")
    monkeypatch.undo()
    return count, tree_size(g.result)


def test_work_and_result_grow_linearly_with_k(monkeypatch):
    counts = [factors_read(chain(k), monkeypatch) for k in (10, 20, 40, 80, 160)]
    for (work, size), (work2, size2) in zip(counts, counts[1:]):
        assert work2 / work <= 2.2, counts  # a quadratic step would approach 4
        assert size2 / size <= 2.1, counts


def test_the_result_of_the_scaling_benchmark():
    # ∇_X tr(M X N Xᵀ) = Mᵀ X Nᵀ + M X N with M = M1 M2 M3, N = N1 N2 N3
    g = assert_gradient(chain(3), "X", lambda v: (
        (v["M1"] @ v["M2"] @ v["M3"]).T @ v["X"] @ (v["N1"] @ v["N2"] @ v["N3"]).T
        + v["M1"] @ v["M2"] @ v["M3"] @ v["X"] @ v["N1"] @ v["N2"] @ v["N3"]))
    assert g.text == "M3^T M2^T M1^T X N3^T N2^T N1^T + M1 M2 M3 X N1 N2 N3"


# -- mul_chain is the left-nested product, only faster -------------------------------------

n, m = "n", "m"
X, Y = Sym("X", (n, n), False), Sym("Y", (n, n), False)
A, B = Sym("A", (n, m), False), Sym("B", (m, n), False)
s = Sym("s", (1, 1), False)
SQUARE = [X, Y, alg.transpose(X), alg.inverse(X), alg.inverse(Y), Power(X, Fraction(2)), Power(X, Fraction(-2)),
          Identity(n), Zero((n, n)), alg.mul(X, Y), alg.mul(alg.inverse(Y), X)]
SCALARS = [Const(Fraction(2)), Const(Fraction(-1, 3)), Const(Fraction(0)), s, Power(s, Fraction(-1)),
           Power(s, Fraction(1, 2)), Trace(X), Det(X), Power(Det(X), Fraction(-1)), Power(Const(Fraction(2)), Fraction(1, 2))]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SQUARE + SCALARS), min_size=1, max_size=9),
       st.booleans(), st.booleans())
@example([X, Y, alg.mul(alg.inverse(Y), X), Y], False, False)  # X Y (Y⁻¹ X) Y = X² Y, not X X Y
@example([X, Y, alg.inverse(Y), X, s, Power(s, Fraction(-1))], True, True)
def test_mul_chain_is_the_nested_product(factors, open_with_a, close_with_b):
    factors = ([B] if open_with_a else []) + factors + ([A] if close_with_b else [])  # m×n first, n×m last
    assert alg.mul_chain(factors) == reduce(alg.mul, factors)
    assert repr(alg.mul_chain(factors)) == repr(reduce(alg.mul, factors))


# -- mul's shortcut for plain products gives what its fold gives ----------------------------

u, v = Sym("u", (1, n), False), Sym("v", (n, 1), False)  # a row and a column
PLAIN = [X, Y, alg.transpose(X), Identity(n), A, B, alg.mul(X, Y), alg.mul(Const(Fraction(3)), X, Y),
         alg.mul(u, X, v), alg.mul(Const(Fraction(-2)), u, v), alg.mul(v, u), alg.func("abs", s),
         alg.func("exp", s), alg.add(X, Y)]


def folded(factors):
    state = alg._Fold()
    for f in factors:
        state.read(f)
    return state.result()


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PLAIN + SCALARS + SQUARE + [u, v]), max_size=7))
def test_mul_chain_of_plain_factors_is_the_nested_product(factors):
    if len(factors) > 1 and alg.plain_product(factors) is not None:  # mul_chain's shortcut
        assert repr(alg.mul_chain(factors)) == repr(reduce(alg.mul, factors))


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PLAIN + SCALARS + [u, v]), max_size=7))
@example([Const(Fraction(2)), X, Identity(n), alg.transpose(X), u.__class__("w", (n, 1), False)])
@example([u, v, u, X])  # (u v) u X: a 1×1 run, then a row
@example([X, X])  # X² from the fold
@example([Const(Fraction(1)), Identity(n)])
def test_the_shortcut_of_mul_is_its_fold(factors):
    fast, slow = alg.mul(*factors), folded(factors)
    assert repr(fast) == repr(slow)
    assert (fast.shape, fast.is_scalar, hash(fast)) == (slow.shape, slow.is_scalar, hash(slow))  # its shape is given


# -- add keeps a term alone of its kind as it is, where collecting would make it again ---------

def collected(terms):
    """add as it was: like terms collected (algebra.collect_terms), each term made again by scale."""
    out = [alg.scale(c, rest) for rest, c in alg.collect_terms(terms).items() if c]
    if not out:
        return alg.zero(terms[0].shape)
    return out[0] if len(out) == 1 else Add(tuple(out))


RAW = [MatMul((Const(Fraction(1)), X)), MatMul((Const(Fraction(0)), X, Y)), MatMul((alg.ONE, X, Y)),
       MatMul((Const(Fraction(2)), Identity(n), X)), MatMul((Const(Fraction(2)), Const(Fraction(3)))), Zero((n, n)),
       alg.mul(Power(Const(Fraction(2)), Fraction(1, 2)), Power(Const(Fraction(2)), Fraction(1, 2)), X)]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PLAIN + SCALARS + [u, v]), max_size=5), min_size=1, max_size=5),
       st.lists(st.sampled_from(RAW), max_size=2), st.randoms(use_true_random=False))
def test_add_is_collecting_and_scaling_again(products, raw, random):
    n_by_n = [p for p in (alg.mul(*fs, X) for fs in products) if p.shape == (n, n)]  # plain_product's or the fold's
    terms = n_by_n + raw + [alg.add(*n_by_n[:2]) if n_by_n else X]
    random.shuffle(terms)
    for t in terms:  # one term, which add returns at once where it is kept
        assert repr(alg.add(t)) == repr(collected([t]))
    terms += terms[:random.randrange(3)]  # like terms
    assert repr(alg.add(*terms)) == repr(collected(terms))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([alg.ONE, Const(Fraction(1)), Const(Fraction(0)), Const(Fraction(3)), Const(Fraction(-1, 2)),
                        Const(5), s, alg.mul(Const(Fraction(2)), s)]),
       st.sampled_from([n, m, 1]), st.lists(st.sampled_from(PLAIN + SCALARS + [u, v]), max_size=5))
def test_the_shortcuts_of_the_pull_are_mul(seed, size, factors):
    assert repr(alg.times_identity(seed, size)) == repr(alg.mul(seed, Identity(size)))
    for e in (alg.times_identity(seed, size), alg.plain_product(factors)):  # (c I)ᵀ = c I
        if e is not None:
            product = type(e) is MatMul and not e.is_scalar  # (a scalar is its own transpose)
            assert repr(alg.transpose(e)) == repr(alg.mul(*[alg.transpose(f) for f in reversed(e.factors)])
                                                  if product else e if e.is_scalar else alg.transpose(e))


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PLAIN + SCALARS + SQUARE + [u, v]), max_size=7))
def test_a_product_of_plain_product_is_what_scale_makes_of_it(factors):
    product = alg.plain_product(factors)
    if product is not None:  # so add may keep it: scale(c, rest) gives it again
        assert repr(alg.scale(*alg.split_coefficient(product))) == repr(product)


# -- runs of products and sums are built in one step, as a node-by-node build would -----------

def node_by_node(root, typing, raw):
    ops = kinds.Raw if raw else alg
    built = {}
    for node in kinds._postorder(root):  # no runs: one constructor call per node
        built[id(node)] = kinds._build_one(node, [built.pop(id(k)) for k in node.args], typing, ops)
    return built[id(root)]


RUNS = ["-a b^T c d^T e", "(-a) b^T c", "-a^T b - c^T d + e^T f", "a - b + c - d - e", "-A B C - D E + F G",
        "2 A B 3 C D", "x^T A x - 2 x^T b + c", "(A B) C D", "A (B C) D E", "A - (B - C) + D - E",
        "-(A B) C D", "- -A B C", "tr(A X) - tr(B X) + tr(C X) - tr(D X)", "a^T X b - -c^T X d",
        "X Y Y^{-1} X A", "A X X^{-1} X^{-1} B"]


def _benchmark_inputs(count):
    """The random trace and quadratic-form expressions of benchmarks/run.py."""
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
    spec = importlib.util.spec_from_file_location("matcalc_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [text for text, _ in module.batch(count, seed=3)]


def test_runs_are_built_as_one_operation_at_a_time_would_build_them():
    for source in RUNS + _benchmark_inputs(300):
        line = parser.parse(source)
        typing = kinds.infer([line.lhs], source, None)
        for raw in (False, True):
            fast, slow = kinds.build(line.lhs, typing, raw), node_by_node(line.lhs, typing, raw)
            assert repr(fast) == repr(slow), (source, raw)


# sums with numbers broadcast, queries inside, functions: what build_both does other than build
BOTH = ["1 + x - 2 - y + 3", "a^T x + 2 (\\nabla_x x^T A x)^T y - tr(X) + 1", "-x^T y - (-a) - b + c",
        "\\exp(x) - 1 + x .* y - 2 z", "tr(A \\otimes B) - \\log|X| + vec(X)^T vec(Y) - 1",
        "sum(x - 1) + \\|x - 2\\|^2 - 3", "(\\nabla_X tr(X^T A X)) - B", "diag(x) y - x"]


def test_both_builds_in_one_walk_are_the_two_builds():
    """kinds.build_both, which a gradient uses, gives what build and build(raw=True) give apart."""
    for source in RUNS + BOTH + _benchmark_inputs(300):
        line = parser.parse(source)
        body = line.lhs.body if isinstance(line.lhs, Query) else line.lhs
        typing = kinds.infer([body], source, None)
        both = kinds.build_both(body, typing)
        apart = kinds.build(body, typing), kinds.build(body, typing, raw=True)
        assert [repr(e) for e in both] == [repr(e) for e in apart], source


# -- nested inputs: the work grows with the result, not faster --------------------------------

def nest(template: str, inner: str, depth: int) -> str:
    """template with @ replaced by the level below, depth times: nest("log(@)", "x", 2) = log(log(x))."""
    for _ in range(depth):
        inner = template.replace("@", inner)
    return inner


def work(source: str, wrt: str, monkeypatch) -> tuple[int, int]:
    """Steps of the two parts that blew up on nested inputs, for one gradient: sort keys looked
    up and compared (algebra.sort_key), seeds pulled down to dX (differentiate._pull); and the
    result's size."""
    count = 0

    def counting(f):
        def counted(*args):
            nonlocal count
            count += 1
            return f(*args)
        return counted

    monkeypatch.setattr(alg, "sort_key", counting(alg.sort_key))
    monkeypatch.setattr(alg._Key, "__eq__", counting(alg._Key.__eq__))  # tuple comparison calls these
    monkeypatch.setattr(alg._Key, "__lt__", counting(alg._Key.__lt__))  # for each nested key it reaches
    monkeypatch.setattr(differentiate, "_pull", counting(differentiate._pull))
    g = api.diff(source, wrt)
    monkeypatch.undo()
    return count, tree_size(g.result)


def assert_work_grows_with_the_result(source_at, depths, wrt, monkeypatch):
    """Doubling the depth multiplies the work by at most (a little more than) the result's growth;
    asserted at each step, so that a blow-up fails at the first doubling instead of running on."""
    previous = None
    for depth in depths:
        count, size = work(source_at(depth), wrt, monkeypatch)
        if previous is not None:
            assert count / previous[0] <= 1.15 * size / previous[1], (depth, previous, (count, size))
        previous = count, size


def test_nested_functions_cost_what_their_gradient_costs_to_write(monkeypatch):
    # ∇ log(log(…(xᵀx)…)) = 2x / (xᵀx log(xᵀx) log(log(xᵀx)) …) grows as the square of the depth;
    # sorting those factors rebuilt and compared their keys whole at every level (cubic)
    assert_work_grows_with_the_result(lambda k: nest("log(@)", "x^T x", k), (12, 24, 48), "x", monkeypatch)


def test_nested_squares_cost_what_their_gradient_costs_to_write(monkeypatch):
    # d((s X)²) = d(s X) s X + s X d(s X): both terms bring the same seed down to d(s X), once
    # each, so the work doubled with each level of tr((tr((tr(X) X)²) X)²)
    assert_work_grows_with_the_result(lambda k: nest("tr((@ X)^2)", "tr(X)", k), (5, 10, 20), "X", monkeypatch)


def test_a_nested_square_that_used_to_give_up_is_right():
    # 12 levels gave up at the 5 s budget (10 already took 3 s); log keeps the values finite
    assert_gradient(nest("log(tr((@ X)^2))", "tr(X)", 12), "X", positive=True)


# -- the pull through dXᵀ gives what transposing its seed twice gives -------------------------

TRANSPOSED = ["tr(A X B X^T C)", "a^T X^T B X b", "tr(X^T S X) ; S: symmetric", "tr(X X^T)", "tr(A X^T X^T B)",
              "3 tr(X^T A) + 2 a^T X^T b", "tr(X^T X A X^T)", "log|X^T A X|", "tr(A X^T (B X)^{-1})"]


def test_the_pull_through_a_transposed_differential_is_the_transposed_pull(monkeypatch):
    sources = TRANSPOSED + _benchmark_inputs(300)
    at_once = []
    for source in sources:
        text, _, declared = source.partition(" ; ")
        at_once.append(repr(api.diff(text, "X", declared=dict([declared.split(": ")]) if declared else None).result))
    monkeypatch.setattr(differentiate, "_plain", lambda factors: False)  # Lᵀ S Rᵀ built, then transposed
    for source, fast in zip(sources, at_once):
        text, _, declared = source.partition(" ; ")
        assert repr(api.diff(text, "X", declared=dict([declared.split(": ")]) if declared else None).result) == fast, source

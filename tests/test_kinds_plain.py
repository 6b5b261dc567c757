"""kinds._check_plain, the quick type check of plain products, sums, transposes and traces,
must give _check_all's answer exactly (shapes, dimension names, their order, the holes of I),
or fail where _check_all fails, or leave the tree to _check_all."""
import itertools
import sys
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from matcalc.errors import MatcalcError
from matcalc.language import kinds, parser
from matcalc.language.syntax import Query, Syntax

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import run  # noqa: E402  benchmarks/run.py: the batch the quick check is for
from test_fastparse import _strings_in_tests  # noqa: E402  every string literal of the suite


def slow(trees, given_kinds, scalar_result):
    """_check_all's answer, None where the reading does not type-check."""
    try:
        return kinds._check_all(trees, dict(given_kinds), scalar_result)
    except kinds._Fail:
        return None


def agree(trees, given_kinds, scalar_result) -> bool:
    quick = kinds._check_plain(trees, dict(given_kinds), scalar_result)
    if quick is kinds.NOT_PLAIN:  # another construct, or a kind only _check_all assigns
        return any(node.op not in kinds._PLAIN or node.op == "call" and node.value not in kinds._PLAIN_CALLS
                   or node.op == "power" and len(node.args) != 1
                   for tree in trees for node in tree.nodes()) or "integer" in given_kinds.values()
    expected = slow(trees, given_kinds, scalar_result)
    if quick is None or expected is None:
        return quick is expected
    # equal, and in the same order (the order of the names is the order of the output's shapes)
    return all(list(q.items()) == list(e.items()) for q, e in zip(quick, expected))


def readings(trees):
    """The kinds infer tries first, each free name a scalar in turn, and the names declared
    otherwise: symmetric, matrix, scalar."""
    names = kinds.names_in(*trees)
    start = {n: "matrix" if kinds.is_upper(n) else "vector" for n in names}
    yield start
    free = [n for n in names if not kinds.is_upper(n)]
    for n in free[:4]:
        yield {**start, n: "scalar"}
    yield {**start, **dict.fromkeys(free, "scalar")}
    for n in names[:3]:
        for kind in ("symmetric", "matrix", "scalar", "vector"):
            yield {**start, n: kind}


def trees_of(text):
    try:
        line = parser.parse(text)
    except MatcalcError:
        return []
    return [side.body if isinstance(side, Query) else side for side in (line.lhs, line.rhs) if side is not None]


# more dimensions than _DIM_NAMES has letters: d13, d14, ...
MANY = ["tr(A B) + tr(C D) + tr(E F) + tr(G H) + tr(J K) + tr(L M) + tr(N P) + tr(Q I R) + tr(S I)",
        "a^T A b + c^T B d + e^T C f + g^T D h + k^T E l + m^T F n"]


def corpus():
    return MANY + [t for t, _ in run.batch(1000, 7)] + run.mixed_lines(300, 11) + _strings_in_tests()


def test_the_corpus_and_every_string_of_the_test_suite():
    bad, plain = [], 0
    for text in corpus():
        trees = trees_of(text)
        if not trees:
            continue
        groups = [trees, *([t] for t in trees)] if len(trees) > 1 else [trees]
        for group in groups:
            for given_kinds, scalar_result in itertools.product(readings(group), (True, False)):
                plain += kinds._check_plain(group, dict(given_kinds), scalar_result) is not kinds.NOT_PLAIN
                if not agree(group, given_kinds, scalar_result):
                    bad.append((text, given_kinds, scalar_result))
    assert not bad
    assert plain > 10_000  # the quick check met most of these


def test_infer_gives_what_it_gave_without_the_quick_check(monkeypatch):
    """Whole readings, errors included, as infer gives them with _check_all alone."""
    texts = [t for t in corpus() if trees_of(t)][:1500]

    def outcome(text):
        trees = trees_of(text)
        try:
            typing = kinds.infer(trees, text, scalar_result=len(trees) == 1)
            at = {id(node): i for i, node in enumerate(n for tree in trees for n in tree.nodes())}
            holes = [(at[i], shape) for i, shape in typing.holes.items()]  # each parse has its own ids
            return (list(typing.kinds.items()), list(typing.shapes.items()), holes)
        except MatcalcError as e:
            return (type(e), e.message, e.span)

    quick = [outcome(t) for t in texts]
    monkeypatch.setattr(kinds, "_check_plain", lambda *args: kinds.NOT_PLAIN)
    assert quick == [outcome(t) for t in texts]


# -- random plain trees, of random kinds ---------------------------------------------------------

NAMES = ["A", "B", "X", "x", "y", "a"]


def _leaf():
    return st.one_of(
        st.sampled_from(NAMES).map(lambda n: Syntax("name", (), n)),
        st.sampled_from([Fraction(1), Fraction(2), Fraction(-1, 2)]).map(lambda v: Syntax("number", (), v)),
        st.just(None).map(lambda _: Syntax("identity", (), "I")),  # a new node each time (holes by id)
    )


def _grow(inner):
    return st.one_of(
        st.tuples(st.sampled_from(["mul", "add", "sub"]), inner, inner).map(lambda t: Syntax(t[0], (t[1], t[2]))),
        st.tuples(st.sampled_from(["transpose", "neg"]), inner).map(lambda t: Syntax(t[0], (t[1],))),
        st.tuples(st.sampled_from(["tr", "det", "logdet", "exp"]), inner).map(lambda t: Syntax("call", (t[1],), t[0])),
        st.tuples(st.sampled_from([Fraction(2), Fraction(-1), Fraction(1, 2)]), inner).map(
            lambda t: Syntax("power", (t[1],), t[0])),
    )


TREES = st.recursive(_leaf(), _grow, max_leaves=12)
KINDS = st.fixed_dictionaries({n: st.sampled_from(["matrix", "symmetric", "vector", "scalar"]) for n in NAMES})


@settings(max_examples=1000, deadline=None)
@given(st.lists(TREES, min_size=1, max_size=2), KINDS, st.booleans())
def test_random_trees_of_random_kinds(trees, all_kinds, scalar_result):
    names = kinds.names_in(*trees)
    assert agree(trees, {n: all_kinds[n] for n in names}, scalar_result)


def test_nodes_lists_the_tree_as_walk_goes_over_it():
    """Syntax.nodes, which the type checks go over in reverse, is walk's order (the parser's trees,
    and a node of three arguments)."""
    trees = [tree for text in corpus() for tree in trees_of(text)]
    trees.append(Syntax("mul", (Syntax("name", (), "A"), Syntax("neg", (Syntax("name", (), "B"),)),
                                Syntax("name", (), "C"))))
    assert all(tree.nodes() == tuple(tree.walk()) and all(a is b for a, b in zip(tree.nodes(), tree.walk()))
               for tree in trees)

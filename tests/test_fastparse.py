"""matcalc.fastparse must read exactly as the Lark grammar does (spans included), or decline."""
import ast
import random
from pathlib import Path

import pytest
from lark.exceptions import LarkError

from matcalc.errors import MatcalcError
from matcalc.language import fastparse
from matcalc.language import parser
from matcalc.language.grammar import lark_parser
from matcalc.language.syntax import Syntax


def lark_line(text: str):
    """The grammar's reading of `text`, or None where the grammar rejects it."""
    try:
        return parser._to_line(lark_parser().parse(parser.classify_bars(text)), text)
    except LarkError:
        return None


def shape(node):
    """Everything about a tree, spans too (Syntax equality leaves spans out)."""
    if isinstance(node, Syntax):
        return (node.op, node.value, node.span, tuple(shape(a) for a in node.args))
    return (type(node).__name__, getattr(node, "wrt", None), getattr(node, "span", None),
            shape(getattr(node, "body", None)) if hasattr(node, "body") else None)


def agree(text: str) -> bool:
    """fastparse declines, or gives the grammar's tree; it never accepts what the grammar rejects."""
    quick = fastparse.parse(parser.classify_bars(text))
    if quick is None:
        return True
    grammar = lark_line(text)
    return grammar is not None and grammar.rhs is None and shape(quick.lhs) == shape(grammar.lhs)


PLAIN = ["tr(ABA^TC)", "tr(A B A^T C)", "2 a^T X b + tr(X^T X)", "x^T A x", "-A B", "A - -B", "(A B) C",
         "A (B C)^T", "A^{-1} B", "A^-1 B", "A^23", "A^2 B", "A * B C", "A * -B C", "A B * C D", "- - A",
         "tr(A)^2", "A'", "Aᵀ B", "-(A)", "((A))^T", " ( A ) ", "2.5 A", "W1 W12 x3", "I A", "tr (A B)",
         "tr(A) tr(B)", "3 tr(X A X^T) - 2 a^T X b", "tr(M1 M2 X N1 N2 X^T)", "A^T2", "A^{12}"]
# Each must be declined: another construct, or a word Lark may read as a function.
DECLINED = ["trace(A)", "Tr(A)", "det(X)", "log|X|", "ab", "aB", "x_1", "A^ T", "A^{T}", "A^{-T}", "A^-T",
            "A .* B", "A / 2", "\\mu", "μ", "|X|", "\\|x\\|", "ones", "d/dX tr(X)", "\\nabla_X tr(X)",
            "A = B", "{A}", "A^{1/2}", "2.", ".5", "tr A", "A^Tr", "A^- 1", "diag(x)", "A²", "A⁻ᵀ"]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_inputs_are_read_as_the_grammar_reads_them(text):
    quick = fastparse.parse(parser.classify_bars(text))
    assert quick is not None, "this input is in the quick subset"
    assert shape(quick.lhs) == shape(lark_line(text).lhs)


@pytest.mark.parametrize("text", DECLINED)
def test_other_inputs_are_left_to_the_grammar(text):
    assert fastparse.parse(parser.classify_bars(text)) is None


def _strings_in_tests():
    """Every string literal in the test suite: the inputs the other tests feed matcalc."""
    out = set()
    for path in Path(__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and 0 < len(node.value) < 200:
                out.add(node.value)
    return sorted(out)


def test_every_string_of_the_test_suite():
    bad = [s for s in _strings_in_tests() if not agree(s)]
    assert not bad


PIECES = ["A", "B", "X", "x", "y", "I", "W1", "2", "3.5", "tr(", "(", ")", "+", "-", "*", "^T", "'", "ᵀ",
          "^2", "^-1", "^{-1}", "^{12}", " ", " ", "  ", "t", "r", "Tr", "det", "_", "|", "{", "}", "/", ".",
          "^", "ab", "=", "\\mu"]


def test_random_token_soup():
    rng = random.Random(20261125)
    for _ in range(6000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
        assert agree(text), text


def test_random_well_formed_sums_of_products():
    rng = random.Random(7)

    def operand(depth):
        r = rng.random()
        if depth > 2 or r < 0.4:
            return rng.choice(["A", "B", "X", "x", "a", "W2", "I", "2", "3"])
        if r < 0.6:
            return "(" + expression(depth + 1) + ")" + rng.choice(["", "^T", "'", "^2", "^{-1}"])
        if r < 0.8:
            return "tr(" + expression(depth + 1) + ")"
        return rng.choice(["-", ""]) + operand(depth + 1) + rng.choice(["^T", "ᵀ", "^3", ""])

    def expression(depth=0):
        terms = [" ".join(operand(depth) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 3))]
        out = terms[0]
        for t in terms[1:]:
            out += rng.choice([" + ", " - ", "-", " * "]) + t
        return out

    quick = 0
    for _ in range(3000):
        text = expression()
        assert agree(text), text
        quick += fastparse.parse(parser.classify_bars(text)) is not None
    assert quick > 2000  # the subset covers such inputs: most never need Lark


# -- the checks before reading, on the quick reader's inputs -----------------------------------

REFUSAL_PIECES = PIECES + ["e", "E", "2e5", "1E-3", "f", "g", "f(", "g (", "E[", "\\lambda", "σ_", "_1",
                           "1.5.5", "frac", "nabla", "^(", "^{(1)}", "\x07", "\ufffd", "D_KL", "sqrt["]


def screened(text: str) -> bool:
    """Where a check before reading finds something, parse's screen of quick inputs finds something."""
    if fastparse.parse(text) is None or len(text) > parser.MAX_DIGITS or parser._PLAIN_REFUSED.search(text):
        return True
    return parser._REFUSED.search(text) is None


def test_the_screen_of_quick_inputs_misses_no_refusal():
    rng = random.Random(20261202)
    texts = _strings_in_tests() + ["2e5 x", "x 1E3", "f(x)", "a^T g(x)", "1" * 1001, "1" * 5000, "f (x)", "2 e5"]
    texts += ["".join(rng.choice(REFUSAL_PIECES) for _ in range(rng.randint(1, 10))) for _ in range(20000)]
    assert not [t for t in texts if not screened(t)]
    # and the screen finds the refusals that the quick reader would read as products
    for text in ["2e5 x", "x 1E3", "f(x)", "a^T g(x)"]:
        assert fastparse.parse(text) is not None and parser._REFUSED.search(text)
        assert parser._PLAIN_REFUSED.search(text)


def test_vocabulary_finds_no_word_in_a_quick_input_without_two_capitals_together():
    """parse asks vocabulary.check about a quick input only when two capitals stand together
    (KL(p), MSE(y)): the quick reader takes no other run of letters but tr(."""
    from matcalc.language import vocabulary

    rng = random.Random(20261203)
    pieces = PIECES + ["KL", "MSE", "AB", "tr (", "e", "E"]
    texts = _strings_in_tests() + ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
                                   for _ in range(20000)]
    quick = [t for t in texts if fastparse.parse(t) is not None]
    assert len(quick) > 1000
    assert not [t for t in quick if not parser._CAPITALS.search(t) and vocabulary._ANY_WORD.search(t)]
    with pytest.raises(MatcalcError, match="KL"):  # a word the quick reader reads as a product
        parser.parse("KL(x)")

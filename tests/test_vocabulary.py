"""One vocabulary, and nothing outside it guessed (issue 12 item 1, issue 13 item 1).

The function words live in one table (matcalc/calculus/functions.py); the grammar's function
terminal is filled from it. A run of letters is read as README "The input language" says, or
refused with an error naming the word: never split into a product silently."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcalc
from matcalc.calculus import functions
from matcalc.errors import MatcalcError
from matcalc.language import grammar, parser, vocabulary
from matcalc.language.kinds import names_in


def read(text: str):
    return parser.parse(text).lhs


def calls(tree) -> list[str]:
    return [n.value for n in tree.walk() if n.op == "call"]


def refused(text: str) -> MatcalcError:
    with pytest.raises(MatcalcError) as info:
        parser.parse(text)
    return info.value


# -- the table is the one place -------------------------------------------------------------------

def test_the_grammar_file_holds_no_function_word_and_the_parser_gets_them_all():
    source = grammar.grammar_path().read_text(encoding="utf-8")
    assert grammar.PLACEHOLDER in source
    func = next(line for line in source.splitlines() if line.startswith("FUNC"))
    assert "tanh" not in func and "logdet" not in func
    filled = grammar.grammar_text()
    assert grammar.PLACEHOLDER not in filled
    for word in functions.WORDS:
        assert re.escape(word) in filled
        written = f"{word}(X)" if word in functions.BARE_WORDS else f"\\operatorname{{{word}}}(X)"
        assert calls(read(written.replace("(X)", "(x)"))) == [functions.WORDS[word]]


def test_each_table_function_is_read_in_every_spelling():
    for f in functions.TABLE:
        arg = "x" if not f.elementwise else "X"
        for word in (f.name, *f.words):
            bare = (f"{word}({arg})", f"\\{word}({arg})") if word in functions.BARE_WORDS else ()
            for written in (*bare, f"\\operatorname{{{word}}}({arg})",
                            f"\\mathrm{{{word}}}({arg})", f"\\text{{{word}}}({arg})"):
                assert calls(read(written)) == [f.name], written


# -- unknown words ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, word", [
    ("softmaxx(x)", "softmaxx"), ("foo(X)", "foo"), ("transpose(A)", "transpose"), ("xyz", "xyz"),
    ("log(abz(det(X)))", "abz"), ("sinx", "sinx"), ("2 x^T trx", "trx"), ("Asoft", "soft"),
    ("norm(x)", "norm"),
])
def test_an_unknown_word_is_refused_naming_it(text, word):
    e = refused(text)
    assert f"'{word}'" in e.message
    assert " ".join(word) in e.message  # how to write the product, if it was meant
    start = text.index(word)
    assert e.span == (start, start + len(word))


def test_the_refusal_lists_the_nearest_known_functions():
    assert "sin" in refused("sinx").message
    assert "tanh" in refused("tahn(x)").message


@pytest.mark.parametrize("text", ["\\cosx(x)", "\\foo x", "\\transpose A", "\\lambdax", "\\sigmoidd(x)"])
def test_an_unknown_latex_command_is_refused(text):
    e = refused(text)
    assert "unknown command" in e.message and e.span[0] == 0


def test_a_latex_command_is_never_a_shorter_command_and_a_letter():
    assert "unknown command \\cosx" in refused("\\cosx(x)").message
    assert "did you mean \\cos" in refused("\\cosx(x)").message


def test_a_wrapped_word_must_be_a_function():
    e = refused("\\operatorname{foo}(x)")
    assert "'foo'" in e.message


# -- what letter runs are ----------------------------------------------------------------------

@pytest.mark.parametrize("text, names", [
    ("ABC", ["A", "B", "C"]), ("Ax", ["A", "x"]), ("aA", ["a", "A"]), ("tr(ABA^TC)", ["A", "B", "C"]),
    ("x^TAx", ["x", "A"]), ("ab", ["a", "b"]), ("x^T y z", ["x", "y", "z"]), ("Xwy", ["X", "w", "y"]),
])
def test_documented_products(text, names):
    assert names_in(read(text)) == names


def test_two_lower_case_letters_that_are_a_word_are_the_function():
    assert calls(read("tr(X)")) == ["tr"] and calls(read("ln(x)")) == ["log"]


def test_a_function_word_after_an_upper_case_letter():
    tree = read("Atr(B)")
    assert names_in(tree) == ["A", "B"] and calls(tree) == ["tr"]


# -- Greek letters -------------------------------------------------------------------------------

@pytest.mark.parametrize("ch, latin", [("Α", "A"), ("Β", "B"), ("Ε", "E"), ("Ζ", "Z"), ("Η", "H"), ("Ι", "I"),
                                       ("Κ", "K"), ("Μ", "M"), ("Ν", "N"), ("Ο", "O"), ("Ρ", "P"), ("Τ", "T"),
                                       ("Υ", "Y"), ("Χ", "X"), ("ο", "o")])
def test_greek_letters_that_look_latin_are_refused_naming_the_latin_one(ch, latin):
    e = refused(f"tr({ch} X)")
    assert f"write {latin}" in e.message and e.span == (3, 4)


def test_greek_capital_alpha_through_the_api_is_an_error_not_a_key_error():
    with pytest.raises(MatcalcError):
        matcalc.diff("tr(Α X)", "X")


def test_phi_and_varphi_are_two_letters_each_with_one_unicode_form():
    assert names_in(read("\\phi x - φ x")) == ["phi", "x"]
    assert names_in(read("\\varphi x - ϕ x")) == ["varphi", "x"]
    assert names_in(read("\\phi \\varphi")) == ["phi", "varphi"]
    assert str(matcalc.simplify("\\phi x - φ x", declared={"phi": "scalar"})).endswith("= 0")
    from matcalc.formats import render
    assert render.name("phi", render.UNICODE) == "φ" and render.name("varphi", render.UNICODE) == "ϕ"


# -- the property: random words, letter runs and commands ---------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
WORD_LIST = sorted(functions.WORDS)  # LSE among them: bare, a product L S E


def expected_reading(run: str):
    """The README's rule for a run of letters: (names, functions) in order, or None: refused."""
    if run in functions.BARE_WORDS:
        return [], [run]
    if run in vocabulary.OTHER_WORDS:
        return [], []
    names, words = [], []
    for piece in re.findall(r"[A-Z][a-z]*|[a-z]+", run):
        if piece in functions.BARE_WORDS:
            words.append(piece)
            continue
        if piece[0].isupper():
            names.append(piece[0])
            piece = piece[1:]
        if not piece:
            continue
        if piece in functions.BARE_WORDS:
            words.append(piece)
        elif len(piece) <= 2:
            names.extend(piece)
        else:
            return None
    return names, words


runs = st.lists(st.one_of(st.sampled_from(LETTERS), st.sampled_from(WORD_LIST),
                          st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=6)),
                min_size=1, max_size=4).map("".join)


@settings(max_examples=400, deadline=None)
@given(runs)
def test_every_letter_run_is_read_as_documented_or_refused(run):
    text = f"{run} (y)"
    want = expected_reading(run)
    try:
        tree = read(text)
    except MatcalcError as e:
        if want is None:  # refused: an unknown word, or a word papers use (min) or a command without
            # its backslash (mathrm), each refused saying what to write instead
            assert ("unknown word" in e.message or " is not read: " in e.message
                    or "without its backslash" in e.message or " is read only as " in e.message), e.message
            return
        # read as documented, but not an expression (a function word with no argument, I as a
        # name, ...): then it is not a product of the letters of a word either
        assert "unknown word" not in e.message, (run, e.message)
        return
    assert want is not None, f"{run!r} should be refused, but was read"
    names, words = want
    assert calls(tree) == [functions.WORDS[w] for w in words], run
    got = [n for n in names_in(tree) if n != "y"]
    assert got == list(dict.fromkeys(n for n in names if n != "I" and n != "y")), run


commands = st.one_of(st.sampled_from(WORD_LIST + vocabulary.GREEK + sorted(vocabulary.COMMANDS)
                                     + sorted(vocabulary.REFUSED_COMMANDS)),
                     st.text(alphabet=LETTERS, min_size=1, max_size=9))


@settings(max_examples=400, deadline=None)
@given(commands)
def test_every_latex_command_is_known_or_refused(word):
    text = f"\\{word} x"
    known = word in functions.BARE_WORDS or word in vocabulary.GREEK or word in vocabulary.COMMANDS
    try:
        tree = read(text)
    except MatcalcError as e:
        if word in vocabulary.REFUSED_COMMANDS:  # \\hat, \\min, \\in: refused, saying what to write
            assert e.message.startswith(f"\\{word} is not read: ") and e.span[0] == 0
        elif not known:
            assert "unknown command" in e.message and e.span[0] == 0
        return
    if word in vocabulary.DECORATIONS:  # \\hat x: a name of its own, x̂
        assert names_in(tree) == [parser.canonical_name(text)] == [f"x{vocabulary.DECORATIONS[word]}"]
        return
    assert word not in vocabulary.REFUSED_COMMANDS, f"\\{word} was read"
    assert known, f"\\{word} is not in the vocabulary, but was read"
    if word in vocabulary.GREEK:
        assert parser.canonical_name("\\" + word) in names_in(tree)
    elif word in functions.BARE_WORDS:
        assert calls(tree) == [functions.WORDS[word]]


@pytest.mark.parametrize("text", ["vector (y)", "matrix x", "vector", "matrixLSE (y)", "vectorX"])
def test_vector_and_matrix_are_words_only_before_1(text):
    """vector(1) and matrix(1) are 𝟏 (matrixcalculus.org's); elsewhere the word is refused, never
    read as the product v e c t o r (found by the letter-run property)."""
    e = refused(text)
    assert "is read only as" in e.message and e.span == (0, 6)
    assert matcalc.diff("sum(vector(1) + x)", "x")

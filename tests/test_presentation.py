"""How derivations are shown (issue 17): named intermediate quantities, lines that fit the
terminal, no LaTeX at a terminal.

Names are a pass over finished steps: each named step, with the names substituted back, is
evaluated against the step it stands for on random data of distinct sizes, so naming can
never make a derivation false (the steps themselves are checked in test_steps and
test_jacobian_steps)."""
from __future__ import annotations

import io
import re
import shlex

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

import matcalc
from matcalc import api
from matcalc.calculus.expr import Sym, Transpose, free_symbols
from matcalc.cli import wrap
from matcalc.cli.app import app
from matcalc.cli.pretty import PrettyPrinter
from matcalc.derivations import chains, naming
from matcalc.derivations.steps import derive
from matcalc.formats import render
from matcalc.numeric import evaluation as numeric
from test_jacobian_steps import CORPUS as DERIVATIVES
from test_readme import EXAMPLES
from test_steps import CORPUS as GRADIENTS, _random_direction

TWO_LAYER = (r"\|W_2 \tanh(W_1 x) - y\|^2", "W_1")


def gradient_derivations():
    for _, expr, wrt, declare, positive in GRADIENTS:
        yield derive(matcalc.diff(expr, wrt, declared=declare or None)), positive


def derivative_derivations():
    for _, command, expr, wrt, declare, layout in DERIVATIVES:
        g = api.hessian(expr, wrt, declare) if command == "hessian" else matcalc.diff(expr, wrt, declared=declare,
                                                                                      layout=layout)
        yield derive(g), False


# -- names ----------------------------------------------------------------------------------

def test_the_two_layer_network_names_its_residual_and_hidden_layer():
    d = derive(matcalc.diff(*TWO_LAYER))
    named = naming.name(d)
    assert named.definitions() == ["h = tanh(W₁ x)", "r = W₂ h - y"]
    assert named.lhs(named.steps[0].kind) == "d(‖r‖²)"
    assert render.render(named.steps[0].expr, render.UNICODE) == "2 rᵀ d(r)"
    assert render.render(named.steps[-1].expr, render.UNICODE) == "2 ((W₂ᵀ r) ∘ (𝟏 - h∘²)) xᵀ"
    assert named.expand(named.steps[-1].expr) != named.steps[-1].expr
    assert [s.rule for s in named.steps] == [s.rule for s in d.steps]


def test_a_quantity_is_named_once():
    """(x - μ)ᵀ and x - μ are one quantity: it once got four names, each the one before."""
    g = matcalc.diff("\\frac{1}{2}\\log|\\Sigma| + \\frac{1}{2}(x-\\mu)^T \\Sigma^{-1}(x-\\mu) + (x-\\mu)^T (x-\\mu) "
                     "(x - \\mu)^T A (x - \\mu)", "\\Sigma", declared={"\\Sigma": "symmetric"})
    d = derive(g)
    named = naming.name(d)
    assert _check_named(d, False, named) >= 0
    assert len(named.names) <= 2, named.definitions()


def test_short_derivations_get_no_names():
    d = derive(matcalc.diff("tr(A B A^T C)", "A"))
    named = naming.name(d)
    assert named.names == () and named.steps == d.steps
    assert max(len(render.render(s.expr, render.UNICODE)) for s in d.steps) <= naming.LONG


def _check_named(d, positive: bool, named=None) -> int:
    """Each named step, the names substituted back, equals the step it stands for; the names are
    letters that the input does not use. Returns how many names there were."""
    named = named or naming.name(d)
    if not named.names:
        return 0
    g, var = d.gradient, d.gradient.variable
    letters = {s.name.split("_")[0].rstrip("0123456789") for e in (g.written, *(s.expr for s in d.steps))
               for s in free_symbols(e)}
    for sym, body in named.names:
        assert len(sym.name) == 1 and sym.name.lower() not in {c.lower() for c in letters}, sym.name
        assert sym.name not in "deIKTGOl"
        assert not isinstance(body, (Sym, Transpose)), named.definitions()  # no name for a name: P = Q
    expanded = [named.expand(body) for _, body in named.names]
    assert len(set(expanded)) == len(expanded), named.definitions()
    forms = [s.expr for s in d.steps]
    rng = np.random.default_rng(0)
    for attempt in range(6):
        values, sizes = numeric.random_instance(free_symbols(g.written), rng, positive,
                                                numeric.SIZE_ORDERS[attempt % len(numeric.SIZE_ORDERS)],
                                                within=(g.written, g.result, *forms))
        dx = _random_direction(var, values, rng)
        with np.errstate(all="ignore"):
            try:
                pairs = [(numeric.evaluate(s.expr, values, sizes, {var.name: dx}),
                          numeric.evaluate(named.expand(n.expr), values, sizes, {var.name: dx}))
                         for s, n in zip(d.steps, named.steps)]
            except np.linalg.LinAlgError:
                continue
        if all(np.all(np.isfinite(a)) for a, _ in pairs):
            break
    else:
        raise AssertionError(f"{g.source}: no instance where every step is finite")
    for i, (want, got) in enumerate(pairs):
        assert np.allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=1e-9, atol=1e-12), (
            g.source, i, render.render(named.steps[i].expr, render.UNICODE))
    return len(named.names)


def test_every_named_step_equals_its_step_with_the_names_substituted_back():
    named = sum(bool(_check_named(d, positive)) for d, positive in gradient_derivations())
    assert named >= 3  # the corpus has long derivations: the check above ran on some
    named = sum(bool(_check_named(d, positive)) for d, positive in derivative_derivations())
    assert named >= 1


def test_a_wrong_definition_fails_the_check():
    d = derive(matcalc.diff(*TWO_LAYER))
    good = naming.name(d)
    (h, body), rest = good.names[0], good.names[1:]
    assert body.name == "tanh"
    wrong = naming.Named(d, ((h, type(body)("sigmoid", body.arg)),) + rest, good.steps)
    assert _check_named(d, False, good) == 2
    with pytest.raises(AssertionError):
        _check_named(d, False, wrong)


# -- width --------------------------------------------------------------------------------

def test_cells_counts_wide_characters_twice():
    assert wrap.cells("∇_W₁ ‖r‖²") == 9
    assert wrap.cells("漢字") == 4


@pytest.mark.parametrize("width", [40, 60, 80])
def test_wrapped_lines_fit_and_keep_every_character(width):
    text = "-(dxᵀ x) xᵀ A x / (xᵀ x)² - (xᵀ dx) xᵀ A x / (xᵀ x)² + dxᵀ A x / (xᵀ x) + xᵀ A dx / (xᵀ x)"
    pieces = wrap.wrap(text, width)
    assert all(wrap.cells(p) <= width for p in pieces)
    assert " ".join(pieces) == text


def _derivation_commands():
    """README's diff, hessian, simplify and verify commands of one expression, as words."""
    out = []
    for command, _, _ in EXAMPLES:
        words = shlex.split(command)
        if words[1] not in ("diff", "hessian", "simplify", "verify") or {"-", "-i", "|", "<", ">"} & set(words):
            continue
        drop = {i for i, w in enumerate(words) if w in ("-f", "--format")}
        drop |= {i + 1 for i in drop}
        words = [w for i, w in enumerate(words) if i not in drop and w not in ("--steps", "--no-steps", "--check")]
        if words not in out:
            out.append(words)
    return out


COMMANDS = _derivation_commands()


def test_readme_has_derivations_to_lay_out():
    assert len(COMMANDS) >= 60
    assert ["matcalc", "diff", *TWO_LAYER] in COMMANDS or any("tanh(W_1 x) - y" in w for c in COMMANDS for w in c)


@pytest.mark.parametrize("words", COMMANDS, ids=[" ".join(c[1:]) for c in COMMANDS])
def test_no_pretty_line_of_a_readme_derivation_is_wider_than_80_columns(words):
    result = CliRunner().invoke(app, [*words[1:], "--steps", "-f", "pretty"], env={"COLUMNS": "80", "NO_COLOR": "1"})
    if result.exit_code == 2:  # README shows the error: no derivation to lay out
        return
    lines = result.stdout.splitlines()
    assert lines
    wide = [line for line in lines if wrap.cells(line) > 80]
    assert not wide, "\n".join(wide)
    assert not _latex(result.stdout), result.stdout


def test_the_rule_column_stays_aligned_when_right_hand_sides_wrap():
    result = CliRunner().invoke(app, ["diff", "(x^T A x)/(x^T x)", "x", "--steps", "-f", "pretty"],
                                env={"COLUMNS": "80", "NO_COLOR": "1"})
    lines = result.stdout.splitlines()
    columns = {line.index(rule) for line in lines for rule in ("quotient", "linearity", "scalar-trace", "3.C")
               if line.rstrip().endswith(rule)}
    assert len(columns) == 1, lines
    assert max(wrap.cells(line) for line in lines) <= 80


def test_a_wide_terminal_keeps_one_line_per_step():
    result = CliRunner().invoke(app, ["diff", "(x^T A x)/(x^T x)", "x", "--steps", "-f", "pretty"],
                                env={"COLUMNS": "300", "NO_COLOR": "1"})
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + 1 + len(derive(matcalc.diff("(x^T A x)/(x^T x)", "x")).steps)  # result, let, steps
    assert lines[1] == "  let b = xᵀ x"


def test_text_steps_stay_one_step_per_line_without_names():
    """Piped, `--steps` is for scripts: each line a whole step in the input language, as before."""
    result = CliRunner().invoke(app, ["diff", *TWO_LAYER, "--steps", "-f", "text"], env={"COLUMNS": "80"})
    d = derive(matcalc.diff(*TWO_LAYER))
    lines = result.stdout.splitlines()
    assert len(lines) == 1 + len(d.steps)
    assert "tanh(W_1 x)" in lines[-1] and "let" not in result.stdout


# -- no LaTeX at a terminal ------------------------------------------------------------------

def _latex(text: str) -> list[str]:
    return re.findall(r"\\[A-Za-z]+|_\{|\^\{", text)


def _pretty(draw) -> str:
    out = io.StringIO()
    printer = PrettyPrinter(Console(file=out, width=120, no_color=True, highlight=False, soft_wrap=True))
    draw(printer)
    return out.getvalue()


def test_no_latex_in_the_pretty_output_of_any_derivation():
    for d, _ in [*gradient_derivations(), *derivative_derivations()]:
        shown = _pretty(lambda p: p.derivation(d))
        assert not _latex(shown), shown


@pytest.mark.parametrize("source", ["tr(X^{1000000})", "tr(X^q)", "a^{x^T x}", "X \\otimes A", "tr(X^k)"])
def test_no_latex_in_powers_and_subscripts(source):
    wrt = "x" if "x^T" in source else "X"
    d = derive(matcalc.diff(source, wrt))
    shown = _pretty(lambda p: p.derivation(d))
    assert not _latex(shown), shown


def test_no_latex_in_pretty_simplify_and_verify_chains():
    from test_chains import IDENTITIES, SIMPLIFY

    for source in SIMPLIFY:
        try:
            s = api.simplify(source)
        except matcalc.MatcalcError:
            continue
        shown = _pretty(lambda p: (p.line(str(s)), p.chain(chains.simplification(s))))
        assert not _latex(shown), shown
    for source in IDENTITIES:
        v = api.verify(source)
        chain = chains.verification(v)
        shown = _pretty(lambda p: (p.line(v.message("unicode")), chain and p.chain(chain)))
        assert not _latex(shown), shown


# -- exports: a LaTeX document, Markdown, Jupyter ----------------------------------------------

GREEK = set("alpha beta gamma delta epsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho sigma tau "
            "upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split())
# what LaTeX itself defines (no package), and what each package a document may declare adds
DEFINED = {
    None: GREEK | set("documentclass usepackage begin end circ otimes frac left right mathbf mathrm nabla partial "
                      "sqrt sum log exp sin cos tan sinh cosh tanh arcsin arccos arctan det neq texttt textbackslash".split()),
    "amsmath": {"text", "operatorname", "allowdisplaybreaks"},
    "geometry": set(),
}
ENVIRONMENTS = {None: {"document"}, "amsmath": {"aligned"}, "geometry": set()}


def assert_document(tex: str) -> None:
    """A standalone document: \\documentclass first, its packages declared, every command and
    environment defined by LaTeX or a declared package, environments and braces balanced."""
    lines = tex.splitlines()
    assert lines[0] == "\\documentclass{article}" and lines[-1] == "\\end{document}", lines[:1] + lines[-1:]
    packages = set(re.findall(r"\\usepackage(?:\[[^]]*\])?\{([^}]*)\}", tex))
    assert packages <= set(DEFINED) - {None}, packages
    known = set().union(*(DEFINED[p] for p in (None, *packages)))
    used = set(re.findall(r"\\([A-Za-z]+)", tex))
    assert used <= known, used - known
    environments = set().union(*(ENVIRONMENTS[p] for p in (None, *packages)))
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", tex):
        assert name in environments, name
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name, name
    assert not stack
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):
        depth += (ch == "{") - (ch == "}")
        assert depth >= 0
    assert depth == 0
    assert tex.count("\\[") == tex.count("\\]") and tex.count("\\left") == tex.count("\\right")


def _document(*args) -> str:
    result = CliRunner().invoke(app, [*args, "-f", "latex", "--standalone"])
    assert result.exit_code == 0, result.output
    return result.stdout


STANDALONE = [("diff", *TWO_LAYER, "--steps"), ("diff", "(x^T A x)/(x^T x)", "x", "--steps"),
              ("hessian", "\\|A x - b\\|^2", "x", "--steps"), ("diff", "x^T A x + \\log|A|", "x", "A"),
              ("diff", "A X^T B", "X", "--steps"), ("diff", "tr(X^{1000000})", "X", "--steps"),
              ("diff", "sum(exp(W x)) + \\lambda \\|W\\|_F^2", "W", "--steps")]


@pytest.mark.parametrize("args", STANDALONE, ids=[" ".join(a) for a in STANDALONE])
def test_latex_standalone_is_a_whole_document(args):
    tex = _document(*args)
    assert_document(tex)
    assert tex.count("\\[") == (2 if args[-1] != "--steps" and args[1].startswith("x^T A x +") else 1)


def test_every_derivation_of_the_corpus_uses_only_commands_a_document_declares():
    from matcalc.derivations import exports

    for d, _ in [*gradient_derivations(), *derivative_derivations()]:
        assert_document(exports.BEGIN + exports.display(exports.aligned(d)) + "\n" + exports.END)


def test_a_broken_document_fails_the_structure_check():
    tex = _document("diff", *TWO_LAYER, "--steps")
    for broken in (tex.replace("\\usepackage{amsmath}\n", ""), tex.replace("\\end{aligned}", ""),
                   tex.replace("\\tanh", "\\tanhh"), tex.replace("\\right)", ")", 1)):
        with pytest.raises(AssertionError):
            assert_document(broken)


def test_the_standalone_document_compiles_where_a_tex_engine_is_installed(tmp_path):
    import shutil
    import subprocess

    engine = shutil.which("pdflatex")
    if engine is None:
        pytest.skip("no TeX engine here (apt-get install texlive-latex-base); the structure is tested above")
    for i, args in enumerate(STANDALONE):
        (tmp_path / f"d{i}.tex").write_text(_document(*args), encoding="utf-8")
        run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", f"d{i}.tex"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout[-2000:]
        assert (tmp_path / f"d{i}.pdf").stat().st_size > 0


@pytest.mark.parametrize("args", [("diff", "x^T x", "x"), ("hessian", "x^T x", "x"), ("verify", "tr(AB) = tr(BA)"),
                                  ("simplify", "tr(B A)"), ("verify", "tr(AB) = tr(BA)", "-f", "text"),
                                  ("simplify", "tr(B A)", "-f", "markdown", "--steps")])
def test_standalone_needs_latex(args):
    result = CliRunner().invoke(app, [*args, "--standalone"])
    assert result.exit_code == 2 and "error: --standalone makes a LaTeX document: use it with -f latex" in result.stderr
    assert result.stdout == ""


# verify and simplify: the sentence (its math in $ … $) and the chain of equalities as a display
CHAINS = [(("verify", "tr(A (B + C)) = tr(A B) + tr(C A)", "--steps"), 0, 1),
          (("verify", "tr(AB) = tr(A)tr(B)", "--steps"), 1, 0),
          (("verify", "\\nabla_x x^T A x = 2 A x"), 1, 0),  # it holds when A is symmetric (--symmetric A)
          (("verify", "exp(a+b) = exp(a) exp(b)"), 0, 0),
          (("verify", "\\nabla_A \\vert A \\vert = \\vert A \\vert (A^{-1})^T", "--steps"), 0, 1),
          (("simplify", "tr(B A) + tr(A^T B^T)", "--steps"), 0, 1),
          (("simplify", "tr(B A) + tr(A^T B^T)"), 0, 1)]


def _chain_document(args, code) -> str:
    result = CliRunner().invoke(app, [*args, "-f", "latex", "--standalone"])
    assert result.exit_code == code, result.output
    return result.stdout


@pytest.mark.parametrize("args,code,displays", CHAINS, ids=[" ".join(c[0]) for c in CHAINS])
def test_verify_and_simplify_standalone_are_whole_documents(args, code, displays):
    tex = _chain_document(args, code)
    assert_document(tex)
    assert tex.count("\\[") == displays
    body = tex.split("\\begin{document}\n")[1]
    if args[0] == "verify":  # the sentence is text, its math inline: nothing outside $ … $ is a command
        sentence = body.splitlines()[0]
        assert sentence.startswith(("holds", "does not hold")), sentence
        assert "\\" not in re.sub(r"\$[^$]*\$|\\texttt\{[^}]*\}", "", sentence), sentence  # --symmetric A as code
    if "--steps" in args and displays:
        assert "\\begin{aligned}" in body and "&&" in body


def test_simplify_standalone_shows_the_input_and_its_simplest_form():
    tex = _chain_document(("simplify", "tr(B A) + tr(A^T B^T)"), 0)
    assert "\\[\n\\operatorname{tr}(B A) + \\operatorname{tr}(A^{T} B^{T}) = 2 \\operatorname{tr}(A B)\n\\]" in tex


def test_a_batch_of_identities_is_one_document_even_with_bad_lines():
    result = CliRunner().invoke(app, ["verify", "-", "-f", "latex", "--standalone", "--steps"],
                                input="tr(AB) = tr(BA)\ntr(A = B\ntr(A B) = tr(A)\n")
    assert result.exit_code == 1, result.output  # one does not hold, one is bad input
    assert_document(result.stdout)
    assert result.stdout.count("\\documentclass") == 1 and result.stdout.count("hold") == 2
    assert "unexpected" in result.stderr


def test_verify_and_simplify_documents_compile_where_a_tex_engine_is_installed(tmp_path):
    import shutil
    import subprocess

    engine = shutil.which("pdflatex")
    if engine is None:
        pytest.skip("no TeX engine here (apt-get install texlive-latex-base); the structure is tested above")
    for i, (args, code, _) in enumerate(CHAINS):
        (tmp_path / f"c{i}.tex").write_text(_chain_document(args, code), encoding="utf-8")
        run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", f"c{i}.tex"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout[-2000:]
        assert (tmp_path / f"c{i}.pdf").stat().st_size > 0


def test_markdown_is_display_math_a_notebook_renders():
    result = CliRunner().invoke(app, ["diff", *TWO_LAYER, "--steps", "-f", "markdown"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("$$\\nabla_{W_1} \\left\\| W_2 \\tanh(W_1 x) - y \\right\\|^{2} = 2 \\left(")
    assert "\n\n$$\n\\begin{aligned}\n&\\text{let } h = \\tanh(W_1 x),\\; r = W_2 h - y \\\\\n" in out
    assert out.rstrip().endswith("\\end{aligned}\n$$")
    result = CliRunner().invoke(app, ["diff", "tr(AB)", "A", "-f", "markdown"])
    assert result.stdout == "$$\\nabla_{A} \\operatorname{tr}(A B) = B^{T}$$\n"


def test_jupyter_shows_the_result_and_its_derivation():
    g = matcalc.diff(*TWO_LAYER)
    cell = g._repr_markdown_()
    assert cell.startswith(g._repr_latex_() + "\n\n$$\n\\begin{aligned}\n&\\text{let } h = \\tanh(W_1 x)")
    assert "\\text{norm (norms)}" in cell and "\\text{$h$, $r$ written out}" in cell
    h = api.hessian("x^T A x", "x")
    assert "\\text{hessian (the Hessian)}" in h._repr_markdown_()
    s = matcalc.simplify("tr(B A) + tr(A^T B^T)")
    assert s._repr_markdown_().startswith(s._repr_latex_() + "\n\n$$\n\\begin{aligned}")
    assert "1.D" in s._repr_markdown_()

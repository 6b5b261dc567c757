"""Every output reads back (issue 12, item 10): each line that `-f text` and `-f latex` print for
a result of the test corpus parses, and `matcalc verify "<line>"` holds, with the declarations the
result was asked with. For a text line, `matcalc diff` of its left-hand side gives the very same
line again, byte for byte.

The corpus: the Cookbook cases, the ML cases matcalc answers, the seed's identities, the Jacobians
(both layouts), the Hessians and the symmetric cases of their own tests, the numerator layout
of gradients, and the inputs whose echo once did not read back. verify decides a gradient side
by finite differences of the input as written, so a line that "holds" says the printed result
is the derivative of the printed input, not merely that matcalc agrees with itself.

Forms whose input another helper is still building are strict xfails (the reason names the
input), so they fail loudly once it reads back.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

import matcalc
from matcalc import api
from matcalc.cli.app import app
from matcalc.cli.output import gradient_line
from matcalc.errors import MatcalcError

import cookbook_cases
import ml_cases
import test_jacobian
import test_seed
import test_symmetric

FORMATS = ("text", "latex")


@dataclass(frozen=True)
class Source:
    id: str
    expr: str
    wrt: str | None
    declared: dict | None = None
    layout: str | None = None
    kind: str = "gradient"     # what the result is: gradient, jacobian or hessian

    def results(self) -> list:
        if self.kind == "hessian":
            return api.hessians_of(self.expr, [self.wrt] if self.wrt else [], self.declared)
        return api.gradients_of(self.expr, [self.wrt] if self.wrt else [], self.declared, self.layout)



# Inputs whose printed form once did not read back (issue 12's list).
ECHOES = [
    Source("echo:log|det X|", r"\log|\det X|", "X"),
    Source("echo:w^T G ((x^T U x) u)", r"w^T G ((x^T U x) u)", "x"),
    Source("echo:tr(A (x^T y) B)", r"tr(A (x^T y) B)", "A"),
    Source("echo:1^T exp(W x)", r"\log(\mathbf{1}^T \exp(W x)) - y^T W x", "W"),
    Source("echo:1^T x / 1^T y", r"\frac{\mathbf{1}^T x}{\mathbf{1}^T y} + x^T x", "x"),
]


def corpus() -> list[Source]:
    out = [Source(f"cb:{c.id}", c.expr, c.wrt, c.declare or None) for c in cookbook_cases.CASES]
    out += [Source(f"ml:{c.id}", c.expr, c.wrt, c.declare or None, kind=c.kind)
            for c in ml_cases.CASES if c.xfail_value is None]
    out += [Source(f"seed:{s[0]}", s[1], s[2]) for s in test_seed.SEED]
    out += [Source(f"sym:{c[0]}", c[0], "S", {"S": "symmetric"}) for c in test_symmetric.CASES]
    out += [Source(f"numerator:{e}", e, w, layout="numerator")
            for e, w in [("a^T X b", "X"), ("x^T A x", "x"), ("tr(A X B)", "X"), ("log|X|", "X")]]
    for expr, wrt, declare, *_ in test_jacobian.JACOBIANS + test_jacobian.KRONECKER:
        for layout in ("numerator", "denominator"):
            out.append(Source(f"jacobian:{expr} wrt {wrt} ({layout})", expr, wrt, declare, layout, "jacobian"))
    out += [Source(f"hessian:{c[0]}", c[0], c[1], c[2], kind="hessian") for c in test_jacobian.HESSIANS]
    return out + ECHOES


CORPUS = corpus()

def reads(identity: str) -> bool:
    """Whether an input form reads back today: the condition of the strict xfails below, so
    that each turns into a test that must pass the moment its input lands."""
    try:
        return matcalc.verify(identity).holds
    except MatcalcError:
        return False


HESSIANS_READ = reads(r"\nabla^2_x x^T A x = A + A^T")
JACOBIANS_READ = reads("d/dx (A x) = A")

# What each form waits for (issue 12): the helper whose input it needs.
HESSIAN_INPUT = "issue 12: syntax's \\nabla^2_x input"
JACOBIAN_INPUT = "issue 12: syntax's d/dx (f) and d vec(F)/d vec(X) input for a vector or matrix f"
LATEX_JACOBIAN = "issue 12: \\frac{\\partial f}{\\partial x} input, after syntax's Jacobian queries"
TRANSPOSED_JACOBIAN = "issue 12: (d/dx f)^T for a Jacobian, after syntax's queries as expressions"


def waits(source: Source, fmt: str) -> tuple[list[str], list[str]]:
    """(what the line waits for whatever lands, what it waits for until syntax's input reads).
    kron(A, B), A ⊗ B, vec(M), K_{mn} and an I of size m·n beside a Jacobian read back now."""
    always, until = [], []
    if source.kind == "hessian":
        until.append(HESSIAN_INPUT)
    if source.kind == "jacobian":
        until.append(JACOBIAN_INPUT if fmt == "text" else LATEX_JACOBIAN)
        if source.layout == "denominator":
            until.append(TRANSPOSED_JACOBIAN)
    return always, until


def params():
    for source in CORPUS:
        for fmt in FORMATS:
            always, until = waits(source, fmt)
            marks = []
            if always:
                marks.append(pytest.mark.xfail(strict=True, reason="; ".join(always + until)))
            elif until:
                landed = HESSIANS_READ if source.kind == "hessian" else JACOBIANS_READ
                marks.append(pytest.mark.xfail(not landed, strict=True, reason="; ".join(until)))
            yield pytest.param(source, fmt, id=f"{fmt}:{source.id}", marks=marks)


def lines(source: Source, fmt: str) -> list[tuple[object, str]]:
    return [(g, gradient_line(g, fmt)) for g in source.results()]


@pytest.mark.parametrize("source, fmt", list(params()))
def test_every_output_line_reads_back(source, fmt):
    for g, line in lines(source, fmt):
        verdict = matcalc.verify(line, declared=source.declared)
        assert verdict.holds, f"{line}\n  {verdict.message()}"
        if fmt == "text":
            again = matcalc.diff(g.lhs("text"), declared=source.declared)
            assert gradient_line(again, "text") == line, "diff of the left-hand side prints another line"


def test_the_corpus_is_whole():
    """Hundreds of lines, every kind of result among them."""
    assert len(CORPUS) >= 250
    assert {s.kind for s in CORPUS} == {"gradient", "jacobian", "hessian"}
    assert {s.layout for s in CORPUS} == {None, "numerator", "denominator"}
    assert any(s.declared and "symmetric" in s.declared.values() for s in CORPUS)


@pytest.mark.parametrize("source", [s for s in ECHOES] + [CORPUS[0]], ids=lambda s: s.id)
def test_the_command_line_prints_these_lines(source):
    """What `matcalc diff EXPR WRT -f text|latex` prints is the line tested above."""
    for fmt in FORMATS:
        args = ["diff", source.expr, source.wrt, "-f", fmt]
        for name, kind in (source.declared or {}).items():
            args += [f"--{kind}", name]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == [line for _, line in lines(source, fmt)]


ISSUE_LINES = [  # issue 12's lines, as they print now
    (r"\log|\det X|", "X", r"\nabla_X log|det(X)| = X^{-T}"),
    (r"w^T G ((x^T U x) u)", "x", r"\nabla_x w^T G (x^T U x) u = (u^T G^T w) (U x + U^T x)"),
    (r"\log(\mathbf{1}^T \exp(W x)) - y^T W x", "W",
     r"\nabla_W log(ones^T exp(W x)) - y^T W x = (softmax(W x) - y) x^T"),
]


@pytest.mark.parametrize("expr, wrt, line", ISSUE_LINES, ids=[c[0] for c in ISSUE_LINES])
def test_issue_lines(expr, wrt, line):
    assert gradient_line(matcalc.diff(expr, wrt), "text") == line
    assert matcalc.verify(line).holds


def test_latex_of_the_same():
    g = matcalc.diff(r"\log|\det X|", "X")
    assert gradient_line(g, "latex") == r"\nabla_{X} \log\left| \det(X) \right| = X^{-T}"
    g = matcalc.diff(r"\log(\mathbf{1}^T \exp(W x)) - y^T W x", "W")
    assert gradient_line(g, "latex") == (r"\nabla_{W} \log(\mathbf{1}^{T} \exp(W x)) - y^{T} W x = "
                                         r"\left(\operatorname{softmax}(W x) - y\right) x^{T}")
    assert g.unicode == "(softmax(W x) - y) xᵀ"


# -- random inputs: the property over the whole language -------------------------------------------

from hypothesis import example, given, note, settings  # noqa: E402

from oracle import used  # noqa: E402
from test_properties import DECLARED, SLOW_OK, problems  # noqa: E402

ROUND_TRIPS = max(150, settings.default.max_examples // 2)


@settings(max_examples=ROUND_TRIPS, deadline=None, suppress_health_check=SLOW_OK)
@given(problems())
# bugs this property found, kept as examples:
@example((r"\cos(\|A\|_F + (\frac{1}{2}) (2)) - a", "a"))        # (1/2) 2 was echoed as nothing
@example((r"(tr(D)) ((z)^T (D) (z))", "D^T"))                    # (zᵀ D z) I read back with I of size 1
@example((r"\|((y).^2 + exp(x)) ((\|x\|)^T)\|", "y"))             # \|y \|x\|^T\| does not parse
@example((r"(exp(z))^T (D) (\sin(z - (z)))", "z"))               # sin of a zero vector was written sin(0)
@example((r"sum(((x) (x^T)) ((x) (x^T)))", "x"))                  # x^T ones x: after a row, ones is a vector
def test_the_gradient_of_a_random_expression_reads_back(problem):
    text, wrt = problem
    g = matcalc.diff(text, wrt, used(DECLARED, text))
    for fmt in FORMATS:
        line = gradient_line(g, fmt)
        note(line)
        verdict = matcalc.verify(line, declared=used(DECLARED, line))
        assert verdict.holds, f"{line}\n  {verdict.message()}"

"""The `matcalc` command: argument handling and exit codes (the batch loop: batch.py). No math here.

Exit codes: 0 success; 1 a check or identity failed, or a batch line failed; 2 bad input;
130 interrupted.
"""
from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperCommand

from .. import __version__
from . import budget
# the batch loop and the printing quick.py shares, in a module that does not import Typer
from .batch import Printer, _diff_batch, _diff_line, _silence_stdout, _write, report_error, run_batch
from .complete import complete_names, complete_rule_id, complete_wrt
from ..errors import MatcalcError

EXAMPLES = """Examples:

  matcalc diff "tr(A B A^T C)" A        ∇_A tr(A B Aᵀ C) = Cᵀ A Bᵀ + C A B
  matcalc diff "\\nabla_\\mu \\mu^T A \\mu"   ∇_μ μᵀ A μ = A μ + Aᵀ μ
  matcalc diff "\\log|X|" X              ∇_X log(|X|) = X⁻ᵀ
  matcalc diff "x^T S x" x --symmetric S -f numpy
  matcalc diff - X < losses.txt         one result per input line
"""

app = typer.Typer(
    name="matcalc",
    help="Gradients of matrix expressions, in the textbook's simplest form.\n\n" + EXAMPLES,
    no_args_is_help=True,
    add_completion=False,  # --install-completion below installs completions/, not Typer's slower scripts
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# The declarations every command takes (repeatable, comma lists allowed).
Scalars = Annotated[Optional[list[str]], typer.Option(
    "--scalar", help="Declare scalars (repeatable, comma lists).", autocompletion=complete_names)]
Vectors = Annotated[Optional[list[str]], typer.Option(
    "--vector", help="Declare column vectors.", autocompletion=complete_names)]
Matrices = Annotated[Optional[list[str]], typer.Option(
    "--matrix", help="Declare matrices.", autocompletion=complete_names)]
Symmetrics = Annotated[Optional[list[str]], typer.Option(
    "--symmetric", help="Declare symmetric matrices.", autocompletion=complete_names)]


class Format(str, Enum):
    pretty = "pretty"
    text = "text"
    latex = "latex"
    numpy = "numpy"
    python = "python"
    json = "json"


class Layout(str, Enum):
    numerator = "numerator"
    denominator = "denominator"


LAYOUT_HELP = ("numerator or denominator. Default: a gradient is shaped like the variable (denominator "
               "layout) and a Jacobian has a row per output (numerator layout); the other layout transposes.")


def _version(value: bool):
    if value:
        typer.echo(f"matcalc {__version__}")
        raise typer.Exit()


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def _show_completion(value: Optional[Shell]):
    if value is not None:
        from .complete import script

        sys.stdout.write(script(value.value))
        raise typer.Exit()


def _install_completion(value: Optional[Shell]):
    if value is not None:
        from pathlib import Path

        from .complete import install

        for done in install(value.value, Path.home()):
            typer.echo(done)
        typer.echo(f"matcalc completion for {value.value} is installed: it works in new {value.value} sessions.")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
    show_completion: Optional[Shell] = typer.Option(
        None, "--show-completion", callback=_show_completion, is_eager=True, expose_value=False,
        help="Print the completion script for bash, zsh or fish."),
    install_completion: Optional[Shell] = typer.Option(
        None, "--install-completion", callback=_install_completion, is_eager=True, expose_value=False,
        help="Install the completion script for bash, zsh or fish."),
):
    """Gradients of matrix expressions, in the textbook's simplest form."""


# -- shared pieces ---------------------------------------------------------------------------

def declarations(scalar, vector, matrix, symmetric) -> dict[str, str]:
    """--scalar a,b --vector x ... → {name: kind}; names as written, in Unicode or bare."""
    out: dict[str, str] = {}
    for kind, values in (("scalar", scalar), ("vector", vector), ("matrix", matrix), ("symmetric", symmetric)):
        for value in values or []:
            for name in value.split(","):
                if name.strip():
                    out[name.strip()] = kind
    return out


def choose_format(fmt: Optional[Format]) -> str:
    if fmt is not None:
        return fmt.value
    return "pretty" if sys.stdout.isatty() else "text"


# -- diff ------------------------------------------------------------------------------------

class ExpressionFirst(TyperCommand):
    """A command whose expression may start with a minus: `matcalc diff "-log(x^T x)" x`. Click
    would read "-log(...)" as the short options -l -o -g; a first argument that starts with
    "-" and is not one of the command's own short options is taken as the expression."""

    def parse_args(self, ctx, args):
        options = [o for p in self.get_params(ctx) for o in getattr(p, "opts", ())]  # -h too
        shorts = {o for o in options if len(o) == 2 and o[0] == "-" != o[1]}
        first = args[0] if args else ""
        if not (first.startswith("-") and first not in ("-", "--") and not first.startswith("--")
                and first[:2] not in shorts):
            return super().parse_args(ctx, args)
        out = super().parse_args(ctx, args[1:])
        names = [p.name for p in self.params if p.param_type_name == "argument"]
        given = ctx.params.get(names[0])
        ctx.params[names[0]] = first
        if given is not None:  # the positional click took for the expression is the first of the rest
            if len(names) < 2:
                raise typer.BadParameter(f"one expression, not also {given!r}", ctx=ctx)
            ctx.params[names[1]] = [given, *(ctx.params.get(names[1]) or ())]
        return out


@app.command(cls=ExpressionFirst)
def diff(
    expression: Optional[str] = typer.Argument(
        None, help="The expression, e.g. \"tr(A B A^T C)\" or \"\\nabla_A tr(AB)\"; '-' reads lines from stdin."),
    wrt: Optional[list[str]] = typer.Argument(None, help="Variables to differentiate with respect to (A, x, \\mu, X^T).",
                                              autocompletion=complete_wrt),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default: pretty at a terminal, text when piped)."),
    check: bool = typer.Option(False, "--check", help="Check each result against finite differences; exit 1 if one fails."),
    files: Optional[list[Path]] = typer.Option(None, "--file", "-i", help="Read expressions from a file, one per line (repeatable)."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show the derivation, citing a rule at each step (default: on for one expression at a terminal)."),
    layout: Optional[Layout] = typer.Option(None, "--layout", help=LAYOUT_HELP),
):
    """Differentiate: ∇_X f = G for a scalar f; the Jacobian ∂f/∂x for a vector f (rows are outputs)."""
    declared = declarations(scalar, vector, matrix, symmetric)
    wrts = list(wrt or [])
    printer = Printer(choose_format(fmt))
    batch = bool(files) or expression == "-"
    printer.steps = steps if steps is not None else (not batch and printer.fmt == "pretty" and sys.stdout.isatty())
    printer.json_steps = steps is not False
    if files or expression == "-":
        sources = [str(f) for f in files or []]
        if expression == "-":
            sources.insert(0, "-")
        elif expression is not None:
            wrts.insert(0, expression)
        raise typer.Exit(_diff_batch(sources, wrts, declared, printer, check, layout=layout and layout.value))
    if expression is None:
        report_error(MatcalcError("give an expression, or '-' to read expressions from stdin"))
        raise typer.Exit(2)
    raise typer.Exit(_diff_one(expression, wrts, declared, printer, check, layout=layout and layout.value))


def _diff_one(expression, wrts, declared, printer, check, layout=None, hessian=False) -> int:
    """One expression from the command line: an error is reported here (and, with --format
    json, as an error record on stdout, as in a batch), exit code 2."""
    try:
        with budget.cpu_budget():
            return _diff_line(expression, wrts, declared, printer, check, layout, hessian)
    except MatcalcError as e:
        if printer.fmt == "json":
            import json

            from .output import error_record

            _write(json.dumps(error_record(expression, e), ensure_ascii=False))
        report_error(e)
        return 2


# -- hessian ---------------------------------------------------------------------------------

@app.command(cls=ExpressionFirst)
def hessian(
    expression: Optional[str] = typer.Argument(
        None, help="A scalar expression, e.g. \"x^T A x\"; '-' reads lines from stdin."),
    wrt: Optional[list[str]] = typer.Argument(None, help="Variables (x, \\mu, X).", autocompletion=complete_wrt),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default: pretty at a terminal, text when piped)."),
    check: bool = typer.Option(False, "--check", help="Check each result against second differences; exit 1 if one fails."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show the derivation, the gradient's then its Jacobian's (default: on for one expression at a terminal)."),
):
    """The Hessian ∇²_x f = ∂(∇_x f)/∂x of a scalar f: symmetric, Hᵢⱼ = ∂²f/∂xᵢ∂xⱼ (over vec(X) for a matrix)."""
    declared = declarations(scalar, vector, matrix, symmetric)
    printer = Printer(choose_format(fmt))
    printer.steps = steps if steps is not None else (expression != "-" and printer.fmt == "pretty" and sys.stdout.isatty())
    printer.json_steps = steps is not False
    if expression == "-":
        raise typer.Exit(_diff_batch(["-"], list(wrt or []), declared, printer, check, hessian=True))
    if expression is None:
        report_error(MatcalcError("give an expression, or '-' to read expressions from stdin"))
        raise typer.Exit(2)
    raise typer.Exit(_diff_one(expression, list(wrt or []), declared, printer, check, hessian=True))


# -- verify and simplify --------------------------------------------------------------------

@app.command(cls=ExpressionFirst)
def verify(
    identity: Optional[str] = typer.Argument(
        None, help="An identity LHS = RHS between expressions or gradients, e.g. \"tr(AB) = tr(BA)\" "
                   "or \"\\nabla_A |A| = |A| (A^{-1})^T\"; '-' reads identities from stdin, one per line."),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="json for a record; otherwise a sentence."),
    files: Optional[list[Path]] = typer.Option(None, "--file", "-i", help="Read identities from a file, one per line (repeatable)."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show which rules make the two sides equal (default: on for one identity at a terminal)."),
):
    """Decide an identity LHS = RHS: exit 0 if it holds, 1 if it does not, 2 on bad input."""
    from .. import api
    from . import output

    chosen = choose_format(fmt)
    declared = declarations(scalar, vector, matrix, symmetric)
    show = _show_steps(steps, chosen, batch=bool(files) or identity in ("-", None))

    def verify_line(text, line_declared):
        verdict = api.verify(text, line_declared)
        _print_chain(output.verdict_line, verdict, chosen, show, "verification")
        return 0 if verdict.holds else 1

    if files or identity == "-" or identity is None:
        raise typer.Exit(_batch_command(identity, files, verify_line, chosen, declared))
    try:
        verdict = api.verify(identity, declared)
    except MatcalcError as e:
        _fail(identity, e, chosen)
    _print_chain(output.verdict_line, verdict, chosen, show, "verification")
    raise typer.Exit(0 if verdict.holds else 1)


@app.command(cls=ExpressionFirst)
def simplify(
    expression: Optional[str] = typer.Argument(
        None, help="The expression, e.g. \"tr(B A) + tr(A^T B^T)\"; '-' reads expressions from stdin, one per line."),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", help="Output format (default: pretty at a terminal, text when piped)."),
    files: Optional[list[Path]] = typer.Option(None, "--file", "-i", help="Read expressions from a file, one per line (repeatable)."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show the chain of equalities, citing a rule at each step (default: on for one expression at a terminal)."),
):
    """The simplest form: transposes at the leaves, traces rotated (1.A-1.D), like terms collected."""
    from .. import api
    from . import output

    chosen = choose_format(fmt)
    declared = declarations(scalar, vector, matrix, symmetric)
    show = _show_steps(steps, chosen, batch=bool(files) or expression in ("-", None))
    if files or expression == "-" or expression is None:

        def simplify_line(text, line_declared):
            _print_chain(output.simplified_line, api.simplify(text, line_declared), chosen, show, "simplification")
            return 0

        raise typer.Exit(_batch_command(expression, files, simplify_line, chosen, declared))
    try:
        result = api.simplify(expression, declared)
    except MatcalcError as e:
        _fail(expression, e, chosen)
    _print_chain(output.simplified_line, result, chosen, show, "simplification")


def _show_steps(steps: Optional[bool], fmt: str, batch: bool) -> bool:
    """--steps/--no-steps; by default on for one input at a terminal, and in JSON records."""
    if steps is not None:
        return steps
    return fmt == "json" or (not batch and fmt == "pretty" and sys.stdout.isatty())


def _print_chain(line, result, fmt: str, steps: bool, chain: str) -> None:
    """A simplify or verify result, with its chain of equalities when `steps` (drawn by Rich
    in the pretty format)."""
    if not (steps and fmt == "pretty"):
        _write(line(result, fmt, steps))
        return
    from ..derivations import chains
    from .pretty import PrettyPrinter

    printer = PrettyPrinter()
    printer.line(line(result, fmt, False))
    found = getattr(chains, chain)(result)
    if found is not None:
        printer.chain(found)


def _batch_command(argument, files, handle_line, fmt, declared) -> int:
    """verify/simplify over stdin ('-') and --file sources, through the shared batch loop."""
    if argument is None and not files:
        report_error(MatcalcError("give an expression, or '-' to read expressions from stdin"))
        return 2
    if argument not in (None, "-"):
        report_error(MatcalcError("give either an expression or --file, not both"))
        return 2
    sources = (["-"] if argument == "-" else []) + [str(f) for f in files or []]
    return run_batch(sources, handle_line, fmt, declared)


def _fail(source: str, error: MatcalcError, fmt: str):
    """Bad input: the error on stderr (and as a JSON record on stdout for --format json); exit 2."""
    if fmt == "json":
        import json

        from .output import error_record

        _write(json.dumps(error_record(source, error), ensure_ascii=False))
    report_error(error)
    raise typer.Exit(2)


# -- rules -----------------------------------------------------------------------------------

@app.command()
def rules(
    rule_id: Optional[str] = typer.Argument(None, metavar="ID", help="A rule id, e.g. 3.D or product.",
                                            autocompletion=complete_rule_id),
):
    """The rules that derivation steps cite: all of them, or one with an example."""
    from ..derivations import rules as table

    rule = None
    if rule_id is not None:
        rule = table.lookup(rule_id)
        if rule is None:
            report_error(MatcalcError(f"no rule {rule_id!r}; `matcalc rules` lists them: "
                                      + ", ".join(r.id for r in table.RULES)))
            raise typer.Exit(2)
    if sys.stdout.isatty():
        from .pretty import PrettyPrinter

        if rule:
            PrettyPrinter().rule(rule)
        else:
            PrettyPrinter().rules(table.RULES)
    else:
        _write(table.describe(rule) if rule else table.listing())


def run() -> None:
    """Entry point: BrokenPipe (`| head -1`) ends quietly; Ctrl-C exits 130; bad input that a
    command let slip (a MatcalcError while printing, say) is still a message and exit 2."""
    try:
        app()
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    except KeyboardInterrupt:  # Typer turns it into exit 130 itself; older versions did not
        sys.stderr.write("\ninterrupted\n")
        sys.exit(130)
    except MatcalcError as e:
        report_error(e)
        sys.exit(2)

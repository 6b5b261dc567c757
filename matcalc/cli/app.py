"""The `matcalc` command: argument handling and exit codes (the batch loop: batch.py). No math here.

Exit codes: 0 success; 1 a check or identity failed, or a batch line failed; 2 bad input;
3 the results cannot be written (stdout closed or full); 130 interrupted.
"""
from __future__ import annotations

import contextlib
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperCommand, TyperGroup
from typer._click.exceptions import ClickException

from .. import __version__
from . import budget
from . import quick  # diff and hessian's work, shared with the command lines read without Typer
# the batch loop and the printing quick.py shares, in a module that does not import Typer
from .batch import _isatty, _write, report_error, run_batch
from .complete import complete_names, complete_rule_id, complete_wrt
from ..errors import MatcalcError

EXAMPLES = """Examples:

  matcalc diff "tr(A B A^T C)" A        ∇_A tr(A B Aᵀ C) = Cᵀ A Bᵀ + C A B
  matcalc diff "\\nabla_\\mu \\mu^T A \\mu"   ∇_μ μᵀ A μ = A μ + Aᵀ μ
  matcalc diff "\\log|X|" X              ∇_X log|X| = X⁻ᵀ
  matcalc diff "x^T S x" x --symmetric S -f numpy
  matcalc diff - X < losses.txt         one result per input line
"""

class CleanHelp:
    """--help without Typer's type labels (`<bool>` after a flag, `<str>`, `<list[str]>` after
    an argument): a flag takes no value, an argument is named by its metavar (EXPR, WRT)."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for p in params:
            if p.param_type_name == "argument" or getattr(p, "is_flag", False):
                p.display_type_rich = _no_label
        return params


def _no_label(ctx=None):
    return None


class Commands(CleanHelp, TyperGroup):
    """The command group, whose usage errors (an unknown option, `--format xml`) read as
    matcalc's other errors: `error:` and one sentence on stderr, exit 2 (not Typer's box)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             windows_expand_args=True, **extra):
        from typer.core import _main

        # rich_markup_mode None: errors are shown by their own show() (UsageSentence below);
        # help is still drawn by Rich
        return _main(self, args=args, prog_name=prog_name, complete_var=complete_var,
                     standalone_mode=standalone_mode, windows_expand_args=windows_expand_args,
                     rich_markup_mode=None, **extra)

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except ClickException as e:
            raise UsageSentence.of(e) from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ClickException as e:
            raise UsageSentence.of(e) from None


class UsageSentence(ClickException):
    """A usage error as one sentence: `error: --format is one of pretty, ... or json, not 'xml'`."""

    exit_code = 2

    @classmethod
    def of(cls, e: ClickException) -> ClickException:
        if isinstance(e, UsageSentence):
            return e
        if type(e).__name__ == "NoArgsIsHelpError":  # `matcalc` alone: Rich has printed the help
            return cls("")
        return cls(_sentence(e))

    def show(self, file=None) -> None:
        if self.message:
            report_error(MatcalcError(self.message))


def _sentence(e: ClickException) -> str:
    """Click's message for a usage error, made one short sentence; a bad choice lists the choices."""
    param = getattr(e, "param", None)
    choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
    found = re.search(r"(.*?) is not one of ", e.message, re.DOTALL)
    if param is not None and choices and found:
        names = [c.value if isinstance(c, Enum) else str(c) for c in choices]
        value = found.group(1).removeprefix("Value error, ")
        listed = f"{'one of ' if len(names) > 2 else ''}{', '.join(names[:-1])} or {names[-1]}"
        return f"{_hint(param)} is {listed}, not {_clip(value)}"
    message = e.format_message().replace("\n", " ").strip()
    unknown = re.fullmatch(r"No such command '([^']*)'\.", message)
    if unknown and unknown.group(1).lower() in OTHER_NAMES:
        return f"no such command '{unknown.group(1)}': {OTHER_NAMES[unknown.group(1).lower()]}"
    if unknown and re.search(r"[^A-Za-z_-]", unknown.group(1)):  # matcalc 'x^T x' x: an expression, no command
        return (f"no such command '{_clip(unknown.group(1))}': an expression comes after a command, as in "
                f"matcalc diff '{_clip(unknown.group(1))}' VARIABLE (or verify, simplify, hessian)")
    return _clip(message[:1].lower() + message[1:], 200)


# what people type from other tools' habits → where matcalc has it (said, never run for them); names
# near a command's (hess, hesian) get Click's own "Did you mean"
_DIFF = "gradients, Jacobians and derivatives are all `matcalc diff EXPR VARIABLE`"
OTHER_NAMES = {name: _DIFF for name in ("grad", "gradient", "derivative", "deriv", "d", "differentiate",
                                         "jacobian", "jac", "nabla")}
OTHER_NAMES.update({"check": "identities are checked by `matcalc verify 'LHS = RHS'`; a result by "
                             "`matcalc diff EXPR VARIABLE --check`",
                    "prove": "identities are decided by `matcalc verify 'LHS = RHS'`",
                    "simp": "`matcalc simplify EXPR` gives the simplest form",
                    "help": "`matcalc --help` lists the commands; `matcalc COMMAND --help` explains one"})


def _hint(param) -> str:
    opts = [o for o in getattr(param, "opts", ()) if o.startswith("--")]
    return opts[0] if opts else (param.name or "the value")


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


app = typer.Typer(
    cls=Commands,
    name="matcalc",
    help="Gradients of matrix expressions, in the textbook's simplest form.\n\n" + EXAMPLES,
    no_args_is_help=True,
    add_completion=False,  # --install-completion below installs completions/, not Typer's slower scripts
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# The declarations every command takes (repeatable, comma lists allowed).
Scalars = Annotated[Optional[list[str]], typer.Option(
    "--scalar", metavar="NAMES", help="Declare scalars (repeatable, comma lists).", autocompletion=complete_names)]
Vectors = Annotated[Optional[list[str]], typer.Option(
    "--vector", metavar="NAMES", help="Declare column vectors.", autocompletion=complete_names)]
Matrices = Annotated[Optional[list[str]], typer.Option(
    "--matrix", metavar="NAMES", help="Declare matrices.", autocompletion=complete_names)]
Symmetrics = Annotated[Optional[list[str]], typer.Option(
    "--symmetric", metavar="NAMES", help="Declare symmetric matrices.", autocompletion=complete_names)]


FORMATS = "pretty|text|latex|markdown|numpy|python|json"


class Format(str, Enum):
    pretty = "pretty"
    text = "text"
    latex = "latex"
    markdown = "markdown"
    numpy = "numpy"
    python = "python"
    json = "json"


class Layout(str, Enum):
    numerator = "numerator"
    denominator = "denominator"


LAYOUT_HELP = ("numerator or denominator. Default: a gradient is shaped like the variable (denominator "
               "layout) and a Jacobian has a row per output (numerator layout); the other layout transposes.")
STANDALONE_HELP = "With -f latex: a whole LaTeX document (\\documentclass ... \\end{document}) that compiles as it is."


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
        None, "--show-completion", metavar="bash|zsh|fish", callback=_show_completion, is_eager=True, expose_value=False,
        help="Print the completion script for bash, zsh or fish."),
    install_completion: Optional[Shell] = typer.Option(
        None, "--install-completion", metavar="bash|zsh|fish", callback=_install_completion, is_eager=True, expose_value=False,
        help="Install the completion script for bash, zsh or fish."),
):
    """Gradients of matrix expressions, in the textbook's simplest form."""


# -- shared pieces ---------------------------------------------------------------------------

def declarations(scalar, vector, matrix, symmetric) -> dict[str, str]:
    """--scalar a,b --vector x ... → {name: kind} (quick.declarations); a name given two kinds is
    bad input: a message and exit 2."""
    try:
        return quick.declarations({"scalar": scalar, "vector": vector, "matrix": matrix, "symmetric": symmetric})
    except MatcalcError as e:
        report_error(e)
        raise typer.Exit(2)


def choose_format(fmt: Optional[Format]) -> str:
    return quick.choose_format(fmt and fmt.value)


# -- diff ------------------------------------------------------------------------------------

_LONG_OPTION = re.compile(r"--[A-Za-z][-A-Za-z0-9]*(=.*)?", re.DOTALL)  # else `---x` is an expression


class Command(CleanHelp, TyperCommand):
    pass


class ExpressionFirst(Command):
    """A command whose expression may start with a minus: `matcalc diff "-log(x^T x)" x`. Click
    would read "-log(...)" as the short options -l -o -g; a first argument that starts with
    "-" and is not one of the command's own short options is taken as the expression."""

    def parse_args(self, ctx, args):
        options = [o for p in self.get_params(ctx) for o in getattr(p, "opts", ())]  # -h too
        shorts = {o for o in options if len(o) == 2 and o[0] == "-" != o[1]}
        for option, value in zip(args, args[1:] + [None]):  # `-i ''` would be read as the folder .
            if (option in ("-i", "--file") and value == "") or option == "--file=":
                raise UsageSentence("--file needs a file name, not an empty word")
        first = args[0] if args else ""
        expression = (first.startswith("-") and first not in ("-", "--") and first[:2] not in shorts
                      and not _LONG_OPTION.fullmatch(first))
        if not expression:
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
        None, metavar="EXPR", help="The expression, e.g. \"tr(A B A^T C)\" or \"\\nabla_A tr(AB)\"; '-' reads lines from stdin."),
    wrt: Optional[list[str]] = typer.Argument(None, metavar="WRT", help="Variables to differentiate with respect to (A, x, \\mu, X^T).",
                                              autocompletion=complete_wrt),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", metavar=FORMATS, help="Output format (default: pretty at a terminal, text when piped)."),
    check: bool = typer.Option(False, "--check", help="Check each result against finite differences; exit 1 if one fails."),
    files: Optional[list[Path]] = typer.Option(None, "--file", "-i", metavar="FILE", help="Read expressions from a file, one per line (repeatable)."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show the derivation, citing a rule at each step (default: on for one expression at a terminal)."),
    layout: Optional[Layout] = typer.Option(None, "--layout", metavar="numerator|denominator", help=LAYOUT_HELP),
    standalone: bool = typer.Option(False, "--standalone", help=STANDALONE_HELP),
):
    """Differentiate: ∇_X f = G for a scalar f; the Jacobian ∂f/∂x for a vector f (rows are outputs)."""
    with _document(standalone, fmt and fmt.value):
        raise typer.Exit(quick.diff(expression, wrt or [], {"scalar": scalar, "vector": vector, "matrix": matrix,
                                                            "symmetric": symmetric},
                                    fmt and fmt.value, check, steps, layout and layout.value, [str(f) for f in files or []]))


@contextlib.contextmanager
def _document(standalone: bool, fmt: Optional[str]):
    """--standalone: the results between a LaTeX preamble and \\end{document} (also when an
    input fails: the document still compiles), each a display (batch.Printer.standalone)."""
    if not standalone:
        yield
        return
    if fmt != "latex":
        report_error(MatcalcError("--standalone makes a LaTeX document: use it with -f latex"))
        raise typer.Exit(2)
    from ..derivations import exports
    from .batch import Printer

    Printer.standalone = True
    _write(exports.BEGIN.rstrip("\n"))
    try:
        yield
    finally:
        Printer.standalone = False
        _write(exports.END)


# -- hessian ---------------------------------------------------------------------------------

@app.command(cls=ExpressionFirst)
def hessian(
    expression: Optional[str] = typer.Argument(
        None, metavar="EXPR", help="A scalar expression, e.g. \"x^T A x\"; '-' reads lines from stdin."),
    wrt: Optional[list[str]] = typer.Argument(None, metavar="WRT", help="Variables (x, \\mu, X).", autocompletion=complete_wrt),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", metavar=FORMATS, help="Output format (default: pretty at a terminal, text when piped)."),
    check: bool = typer.Option(False, "--check", help="Check each result against second differences; exit 1 if one fails."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show the derivation, the gradient's then its Jacobian's (default: on for one expression at a terminal)."),
    standalone: bool = typer.Option(False, "--standalone", help=STANDALONE_HELP),
):
    """The Hessian ∇²_x f = ∂(∇_x f)/∂x of a scalar f: symmetric, Hᵢⱼ = ∂²f/∂xᵢ∂xⱼ (over vec(X) for a matrix)."""
    with _document(standalone, fmt and fmt.value):
        raise typer.Exit(quick.diff(expression, wrt or [], {"scalar": scalar, "vector": vector, "matrix": matrix,
                                                            "symmetric": symmetric},
                                    fmt and fmt.value, check, steps, hessian=True))


# -- verify and simplify --------------------------------------------------------------------

@app.command(cls=ExpressionFirst)
def verify(
    identity: Optional[str] = typer.Argument(
        None, metavar="IDENTITY", help="An identity LHS = RHS between expressions or gradients, e.g. \"tr(AB) = tr(BA)\" "
                   "or \"\\nabla_A |A| = |A| (A^{-1})^T\"; '-' reads identities from stdin, one per line."),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", metavar=FORMATS, help="json for a record; otherwise a sentence."),
    files: Optional[list[Path]] = typer.Option(None, "--file", "-i", metavar="FILE", help="Read identities from a file, one per line (repeatable)."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show which rules make the two sides equal (default: on for one identity at a terminal)."),
    standalone: bool = typer.Option(False, "--standalone", help=STANDALONE_HELP),
):
    """Decide an identity LHS = RHS: exit 0 if it holds, 1 if it does not, 2 on bad input."""
    with _document(standalone, fmt and fmt.value):
        _verify(identity, declarations(scalar, vector, matrix, symmetric), fmt, files, steps)


def _verify(identity, declared, fmt, files, steps):
    from .. import api
    from . import output

    chosen = choose_format(fmt)
    show = _show_steps(steps, chosen, batch=bool(files) or identity in ("-", None))

    def verify_line(text, line_declared):
        verdict = api.verify(text, line_declared)
        _print_chain(output.verdict_line, verdict, chosen, show, "verification")
        return 0 if verdict.holds else 1

    if files or identity == "-" or identity is None:
        raise typer.Exit(_batch_command(identity, files, verify_line, chosen, declared))
    try:
        with budget.cpu_budget():  # never a hang: see budget.py
            verdict = api.verify(identity, declared)
            _print_chain(output.verdict_line, verdict, chosen, show, "verification")
    except MatcalcError as e:
        _fail(identity, e, chosen)
    raise typer.Exit(0 if verdict.holds else 1)


@app.command(cls=ExpressionFirst)
def simplify(
    expression: Optional[str] = typer.Argument(
        None, metavar="EXPR", help="The expression, e.g. \"tr(B A) + tr(A^T B^T)\"; '-' reads expressions from stdin, one per line."),
    scalar: Scalars = None,
    vector: Vectors = None,
    matrix: Matrices = None,
    symmetric: Symmetrics = None,
    fmt: Optional[Format] = typer.Option(None, "--format", "-f", metavar=FORMATS, help="Output format (default: pretty at a terminal, text when piped)."),
    files: Optional[list[Path]] = typer.Option(None, "--file", "-i", metavar="FILE", help="Read expressions from a file, one per line (repeatable)."),
    steps: Optional[bool] = typer.Option(
        None, "--steps/--no-steps",
        help="Show the chain of equalities, citing a rule at each step (default: on for one expression at a terminal)."),
    standalone: bool = typer.Option(False, "--standalone", help=STANDALONE_HELP),
):
    """The simplest form: transposes at the leaves, traces rotated (1.A-1.D), like terms collected."""
    with _document(standalone, fmt and fmt.value):
        _simplify(expression, declarations(scalar, vector, matrix, symmetric), fmt, files, steps)


def _simplify(expression, declared, fmt, files, steps):
    from .. import api
    from . import output

    chosen = choose_format(fmt)
    show = _show_steps(steps, chosen, batch=bool(files) or expression in ("-", None))
    if files or expression == "-" or expression is None:

        def simplify_line(text, line_declared):
            _print_chain(output.simplified_line, api.simplify(text, line_declared), chosen, show, "simplification")
            return 0

        raise typer.Exit(_batch_command(expression, files, simplify_line, chosen, declared))
    try:
        with budget.cpu_budget():  # never a hang: see budget.py
            result = api.simplify(expression, declared)
            _print_chain(output.simplified_line, result, chosen, show, "simplification")
    except MatcalcError as e:
        _fail(expression, e, chosen)


def _show_steps(steps: Optional[bool], fmt: str, batch: bool) -> bool:
    """--steps/--no-steps; by default on for one input at a terminal, and in JSON records."""
    if steps is not None:
        return steps
    return fmt == "json" or (not batch and fmt == "pretty" and _isatty(sys.stdout))


def _print_chain(line, result, fmt: str, steps: bool, chain: str) -> None:
    """A simplify or verify result, with its chain of equalities when `steps` (drawn by Rich
    in the pretty format)."""
    if not (steps and fmt == "pretty"):
        from .batch import Printer

        _write(line(result, fmt, steps, Printer.standalone) if Printer.standalone else line(result, fmt, steps))
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

@app.command(cls=Command)
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
    if _isatty(sys.stdout):
        from .pretty import PrettyPrinter

        if rule:
            PrettyPrinter().rule(rule)
        else:
            PrettyPrinter().rules(table.RULES)
    else:
        _write(table.describe(rule) if rule else table.listing())


def run() -> None:
    """Entry point: the app's exit status, or how the command ends on a broken pipe, a full
    disk, Ctrl-C or a MatcalcError that a command let slip (quick.answered)."""
    sys.exit(quick.answered(app))

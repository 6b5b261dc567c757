"""`matcalc diff` and `matcalc hessian` as people type them, without Typer.

Typer (with its click copy and pydantic) costs several times the interpreter's own start-up,
and a shell tool is mostly start-up. The command lines people type use a few options, so this
module reads them itself, with the table OPTIONS, and runs the command's work, `diff`, which
app.py's Typer commands call too. Anything else (--help, --file, --version, `--`, a misspelt
option, a value Typer would refuse, an expression that starts with a minus, a TAB press) is
left to app.py: `run` answers None before anything is printed, and the Typer app reads the
command line afresh. The Typer app stays the one definition of the options and their help:
tests/test_quick.py checks that each of its options is in OPTIONS with the same form, or in
DEFERRED, and that both ways print the same bytes and exit with the same status.
"""
from __future__ import annotations

import os
import sys

FORMATS = ("pretty", "text", "latex", "markdown", "numpy", "python", "json")  # app.Format
LAYOUTS = ("numerator", "denominator")                            # app.Layout

# An option as written → (parameter, value): a value of None takes the next word.
_DECLARATIONS = {f"--{kind}": (kind, None) for kind in ("scalar", "vector", "matrix", "symmetric")}
OPTIONS = {
    "diff": {**_DECLARATIONS, "--format": ("fmt", None), "-f": ("fmt", None), "--check": ("check", True),
             "--steps": ("steps", True), "--no-steps": ("steps", False), "--layout": ("layout", None)},
    "hessian": {**_DECLARATIONS, "--format": ("fmt", None), "-f": ("fmt", None), "--check": ("check", True),
                "--steps": ("steps", True), "--no-steps": ("steps", False)},
}
REPEATED = {"scalar", "vector", "matrix", "symmetric"}  # lists; of the others the last one given counts
CHOICES = {"fmt": FORMATS, "layout": LAYOUTS}
DEFERRED = {"--help", "-h", "--file", "-i", "--standalone"}  # the Typer app's own business


def read(argv: list[str]) -> tuple[str, dict] | None:
    """(command, parameters) of a command line in the table, or None for the Typer app."""
    if len(argv) < 2 or argv[0] not in OPTIONS:
        return None
    table = OPTIONS[argv[0]]
    params: dict = {"expression": None, "wrt": []}
    words = iter(argv[1:])
    for word in words:
        if word.startswith("-") and word != "-":
            option, equals, value = word.partition("=")
            if option not in table or (equals and not option.startswith("--")):
                return None  # --help, --file, a short option run together (-flatex), a typo, `--`
            name, constant = table[option]
            if constant is not None:
                if equals:
                    return None  # --check=yes: Typer's error
                params[name] = constant
                continue
            if not equals:
                value = next(words, None)
                if value is None or value.startswith("-"):
                    return None  # missing: Typer's error; a value like "-x": click's reading
            if name in CHOICES and value not in CHOICES[name]:
                return None  # Typer's error, with the choices
            if name in REPEATED:
                params.setdefault(name, []).append(value)
            else:
                params[name] = value
        elif params["expression"] is None:
            params["expression"] = word
        else:
            params["wrt"].append(word)
    if params["expression"] is None:
        return None  # Typer's error
    return argv[0], params


def run(argv: list[str]) -> int | None:
    """The exit status of the command, or None when app.py must answer it."""
    if os.environ.get("_MATCALC_COMPLETE"):
        return None
    command = read(argv)
    if command is None:
        return None
    name, params = command
    expression = params.pop("expression")
    wrts = params.pop("wrt")
    declared = {kind: params.pop(kind, None) for kind in ("scalar", "vector", "matrix", "symmetric")}
    return answered(lambda: diff(expression, wrts, declared, hessian=name == "hessian", **params))


def answered(command) -> int:
    """`command()`'s exit status, as the `matcalc` command ends: BrokenPipe (`| head -1`) quietly
    with 0; stdout that cannot take the results with one message and 3; Ctrl-C with 130; bad
    input that a command let slip (a MatcalcError while printing, say) with its message and 2."""
    from ..errors import MatcalcError
    from .batch import OutputFailed, _silence_stdout, report_error

    try:
        return command()
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except OutputFailed as e:
        return e.report()
    except OSError as e:  # a terminal that went away, say
        return OutputFailed(e.strerror or str(e)).report()
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        return 130
    except MatcalcError as e:
        report_error(e)
        return 2


def declarations(declared: dict[str, list[str] | None]) -> dict[str, str]:
    """{"scalar": ["a,b"], "vector": ["x"], ...} (--scalar a,b --vector x) → {name: kind}; names as
    written, in Unicode or bare. A name given two kinds (`--scalar a --vector a`) is bad input."""
    from ..errors import MatcalcError

    out: dict[str, str] = {}
    for kind in ("scalar", "vector", "matrix", "symmetric"):
        for value in declared.get(kind) or []:
            for name in value.split(","):
                name = name.strip()
                if name and out.get(name, kind) != kind:
                    raise MatcalcError(f"{name} is declared twice, --{out[name]} {name} and --{kind} {name}: "
                                       "give it one kind")
                if name:
                    out[name] = kind
    return out


def choose_format(fmt: str | None) -> str:
    from .batch import _isatty

    if fmt is not None:
        return fmt
    return "pretty" if _isatty(sys.stdout) else "text"


def diff(expression: str | None, wrts: list[str], declared: dict[str, list[str] | None], fmt: str | None = None,
         check: bool = False, steps: bool | None = None, layout: str | None = None, files: list[str] = (),
         hessian: bool = False) -> int:
    """`matcalc diff` (or `hessian`) once its arguments are read: the exit status."""
    from ..errors import MatcalcError
    from .batch import Printer, _diff_batch, _isatty, report_error

    try:
        names = declarations(declared)
    except MatcalcError as e:
        report_error(e)
        return 2
    wrts = list(wrts)
    printer = Printer(choose_format(fmt))
    batch = bool(files) or expression == "-"
    printer.steps = steps if steps is not None else (not batch and printer.fmt == "pretty" and _isatty(sys.stdout))
    printer.json_steps = steps is not False
    how = {"hessian": True} if hessian else {"layout": layout}
    if batch:
        sources = list(files)
        if expression == "-":
            sources.insert(0, "-")
        elif expression is not None:
            wrts.insert(0, expression)
        return _diff_batch(sources, wrts, names, printer, check, **how)
    if expression is None:
        report_error(MatcalcError("give an expression, or '-' to read expressions from stdin"))
        return 2
    return diff_one(expression, wrts, names, printer, check, **how)


def diff_one(expression, wrts, declared, printer, check, layout=None, hessian=False) -> int:
    """One expression from the command line: an error is reported here (and, with --format
    json, as an error record on stdout, as in a batch), exit code 2."""
    from ..errors import MatcalcError
    from . import budget
    from .batch import _diff_line, _write, report_error

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

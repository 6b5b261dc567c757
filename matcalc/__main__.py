"""`python -m matcalc` and the `matcalc` command: a tiny entry point, the CLI loaded lazily.

Exit codes: 0 success; 1 a check, an identity or a batch line failed; 2 bad input; 3 the
results cannot be written (stdout closed or full); 4 an internal error, a bug in matcalc (one
message naming it; MATCALC_DEBUG=1 shows the traceback); 130 interrupted (Ctrl-C)."""
import _signal  # not `signal`, whose enums cost a batch's start-up more than its first line
import os
import sys


def main() -> None:
    if os.environ.get("_MATCALC_COMPLETE", "").startswith("values_"):
        # A TAB press from completions/: answered without loading Typer (matcalc/complete.py).
        from .cli.complete import main as complete

        complete()
    try:
        # matcalc/__init__.py answered an early Ctrl-C by itself; from here on it is a
        # KeyboardInterrupt, so that a batch can say how far it got
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
        if sys.stderr is None:  # `2>&-`: messages go nowhere, exit codes still tell
            sys.stderr = open(os.devnull, "w")
        from .cli.batch import OutputFailed

        try:
            if sys.stdout is None:  # `>&-`
                raise OutputFailed("standard output is closed")
            from .cli.quick import run as quick  # diff and hessian as people type them: no Typer (cli/quick.py)

            status = quick(sys.argv[1:])
            if status is not None:
                sys.exit(status)
            from .cli.app import run
            run()
        except OutputFailed as e:
            sys.exit(e.report())
        except Exception as e:  # a bug: one message, as a batch line gets, not a traceback
            if _interrupted(e):  # Ctrl-C inside a class statement: Python wraps it in a RuntimeError
                raise KeyboardInterrupt from None
            if os.environ.get("MATCALC_DEBUG"):
                raise
            sys.stderr.write(f"error: internal error, please report it with the command line: {type(e).__name__}: "
                             f"{str(e)[:300]}\n  (MATCALC_DEBUG=1 shows the traceback)\n")
            sys.exit(4)
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        sys.exit(130)


def _interrupted(error: BaseException) -> bool:
    """Whether a KeyboardInterrupt caused the error (a Ctrl-C while a dataclass is made during
    an import arrives as "RuntimeError: Error calling __set_name__")."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, KeyboardInterrupt):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


if __name__ == "__main__":
    main()

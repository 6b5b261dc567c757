"""`python -m matcalc` and the `matcalc` command: a tiny entry point, the CLI loaded lazily."""
import os
import sys


def main() -> None:
    if os.environ.get("_MATCALC_COMPLETE", "").startswith("values_"):
        # A TAB press from completions/: answered without loading Typer (matcalc/complete.py).
        from .cli.complete import main as complete

        complete()
    try:
        from .cli.quick import run as quick  # plain `diff` commands, piped: no Typer (matcalc/quick.py)

        status = quick(sys.argv[1:])
        if status is not None:
            sys.exit(status)
        from .cli.app import run
        run()
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()

"""`python -m matcalc` and the `matcalc` command: a tiny entry point, the CLI loaded lazily."""
import sys


def main() -> None:
    try:
        from .cli import run
        run()
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted\n")
        sys.exit(130)


if __name__ == "__main__":
    main()

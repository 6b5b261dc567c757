"""matcalc: gradients of matrix expressions, in the textbook's simplest form."""
import os as _os
import sys as _sys

_COMMAND = bool(_sys.argv) and (_sys.argv[0] == "-m" or _os.path.basename(_sys.argv[0]) == "matcalc")
if _COMMAND:
    # Run as the `matcalc` command (the script, or `python -m matcalc`): a Ctrl-C before
    # __main__.main takes over (while the imports below run) is a message and exit 130, not
    # a traceback. A program that imports matcalc keeps its own SIGINT handling.
    import _signal  # not `signal`, which imports enum: this must come first

    def _interrupted(signum, frame):
        try:
            _os.write(2, b"\ninterrupted\n")
        finally:
            _os._exit(130)

    _signal.signal(_signal.SIGINT, _interrupted)

__version__ = "0.1.0"
__all__ = ["Derivative", "Gradient", "MatcalcError", "diff", "hessian", "simplify", "verify", "__version__"]


def _load_api() -> None:
    global Derivative, Gradient, MatcalcError, diff, hessian, simplify, verify
    # The submodule is imported first: once loaded, importing it again does not rebind
    # `matcalc.verify`, which stays the function below.
    from . import verify as _verify_module  # noqa: F401
    from .api import Derivative, Gradient, diff, hessian, simplify, verify
    from .errors import MatcalcError


if _COMMAND:
    # The command loads what its work needs (a TAB press, cli/complete.py, none of the engine;
    # a diff neither verify nor canonical forms): the API is loaded if asked for.
    def __getattr__(name: str):
        if name not in __all__:
            raise AttributeError(f"module 'matcalc' has no attribute {name!r}")
        _load_api()
        return globals()[name]
else:
    _load_api()

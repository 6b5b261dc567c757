"""matcalc: gradients of matrix expressions, in the textbook's simplest form."""
import os as _os
import sys as _sys

if _sys.argv and (_sys.argv[0] == "-m" or _os.path.basename(_sys.argv[0]) == "matcalc"):
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

# The submodule is imported first: once loaded, importing it again does not rebind
# `matcalc.verify`, which stays the function below.
from . import verify as _verify_module  # noqa: F401,E402
from .api import Derivative, Gradient, diff, hessian, simplify, verify  # noqa: E402
from .errors import MatcalcError  # noqa: E402

__version__ = "0.1.0"
__all__ = ["Derivative", "Gradient", "MatcalcError", "diff", "hessian", "simplify", "verify", "__version__"]

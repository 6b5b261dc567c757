"""matcalc: gradients of matrix expressions, in the textbook's simplest form."""
# The submodule is imported first: once loaded, importing it again does not rebind
# `matcalc.verify`, which stays the function below.
from . import verify as _verify_module  # noqa: F401
from .api import Derivative, Gradient, diff, hessian, simplify, verify
from .errors import MatcalcError

__version__ = "0.1.0"
__all__ = ["Derivative", "Gradient", "MatcalcError", "diff", "hessian", "simplify", "verify", "__version__"]

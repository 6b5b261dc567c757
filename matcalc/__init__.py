"""matcalc: gradients of matrix expressions, in the textbook's simplest form."""
from .api import Gradient, diff
from .errors import MatcalcError

__version__ = "0.1.0"
__all__ = ["Gradient", "MatcalcError", "diff", "__version__"]

"""Numbers: results checked on random data.

Takes typed expressions and gives their values on random data of distinct, non-square sizes
(`evaluation`: random instances, evaluation with NumPy, central finite differences of
gradients, Jacobians and Hessians) and the verdict of `--check` (`check`). The only stage that
imports numpy.
"""

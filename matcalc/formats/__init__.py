"""Notations: a typed expression written out.

Takes `calculus` expressions and gives text in matcalc's own input language, Unicode and
LaTeX (`render`), one-line NumPy (`numpy_code`), self-checking Python modules (`python_code`,
with the check functions they include from `python_checks`) and SymPy objects (`interop`,
the only module that imports sympy, and only when asked for).
"""

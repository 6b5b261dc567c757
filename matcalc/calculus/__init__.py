"""The mathematics: typed matrix expressions and what is done with them.

Takes typed expressions (`expr`, built only through the simplifying constructors of
`algebra`) and gives their differentials and gradients (`differentiate`: product rule, then
d f = tr(Gᵀ dX) read off as G), Jacobians and Hessians (`jacobian`, with vec and ⊗ from
`kronecker`), canonical forms for `simplify` and `verify` (`canonical`), and the last pass
that writes a result as the Cookbook does (`present`). Imports nothing heavy and nothing of
the other stages: every other subpackage builds on this one.
"""

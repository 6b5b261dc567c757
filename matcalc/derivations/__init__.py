"""Derivations: the steps from an input to its result, each citing a rule.

Takes a result (a gradient, Jacobian or Hessian; a simplification; an identity that holds)
and gives its chain of equalities: `steps` re-derives a derivative the seed's way (df, the
trace rules 1.A-1.D, read off by 3.A), `chains` stages `calculus.canonical`'s rewrites one
rule at a time, and `rules` is the table of every rule a step may cite (`matcalc rules`).
"""

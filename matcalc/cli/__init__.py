"""The `matcalc` command: arguments in, printed results and exit codes out. No math here.

`app` is the Typer application (every command and option), `quick` reads the `diff` and
`hessian` command lines people type without loading Typer (and does their work for both), `batch` is the loop behind `-` and --file (a bad line costs
that line only), `output` turns results into lines and JSON records, `pretty` draws them
with Rich (the only module that imports rich), `complete` answers TAB presses from the
scripts in completions/, and `budget` caps the CPU time of each input.
"""

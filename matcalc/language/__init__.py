"""The input language: text in, typed expressions out.

Takes one line of text and gives a `syntax.Line` (the parse tree as written, with spans into
the text), then, through `kinds`, each name's kind and shape and the typed `calculus`
expression. `grammar` loads grammar/matcalc.lark, the language's single source of truth, into
Lark's LALR parser (tables cached); `fastparse` reads the plainest inputs without importing
lark; `parser` decides which and reports errors with a caret; `declarations` reads the names
given to --scalar, --vector, ... Only this stage imports lark, and only when fastparse declines.
"""

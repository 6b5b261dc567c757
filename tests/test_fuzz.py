"""Issue 12's token fuzz: 10,000 strings built from the language's tokens, through every command
(diff, hessian, verify, simplify) in process, raise nothing but MatcalcError; and the same
strings as batches through the CLI never give an "internal error" line.

The strings come from a seeded random.Random (not Hypothesis: 10,000 examples of it would take
minutes), so a run is reproducible; MATCALC_FUZZ_SEED=N tries other strings,
MATCALC_FUZZ_COUNT=N more of them. A failure lists each input with its exception."""
from __future__ import annotations

import os
import random
import traceback

from typer.testing import CliRunner

from matcalc import api
from matcalc.cli import budget, output
from matcalc.cli.app import app
from matcalc.errors import MatcalcError
from test_properties import SEEDS, TOKENS

COUNT = int(os.environ.get("MATCALC_FUZZ_COUNT", "10000"))
SEED = int(os.environ.get("MATCALC_FUZZ_SEED", "12"))
# more than test_properties' list: what reaches the command line (dashes, options' look-alikes),
# invisible and bidi characters, declarations' words, queries, identities
EXTRA = ["-", "--", "---", "-f", "--scalar", "\u202e", "\u200b", "\ufeff", "\t", ";", ":", "scalar", ",",
         "\\nabla_x", "\\nabla_X", "\\nabla_{X^T}", "X^T", "x_T", "z", "p", "q", "tanh", "\\tanh", "^{1.5}",
         "^{0.5}", "\\left[", "\\right]", "[", "]", "1e5", "A_10", "\\mathrm{Tr}", "e^{", "\\sigma", "φ", "\\phi",
         "Α", "=", "= 0", "0/0", "/0", "^{2/0}", "\\frac{x}{0}", "softmax", "abs", "|a|", "'", "''"]
VOCABULARY = TOKENS + EXTRA


def strings(count: int, seed: int) -> list[str]:
    """Token strings (joined with spaces, or with nothing) and token mutations of valid inputs."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.55:
            words = rng.choices(VOCABULARY, k=rng.randint(1, 12))
            out.append((" " if rng.random() < 0.6 else "").join(words))
        else:
            text = rng.choice(SEEDS)
            for _ in range(rng.randint(1, 3)):
                i = rng.randint(0, len(text))
                j = min(len(text), i + rng.randint(0, 6))
                text = text[:i] + (rng.choice(VOCABULARY) if rng.random() < 0.8 else "") + text[j:]
            out.append(text)
    return out


def names_of(text: str) -> list[str]:
    from matcalc.language import parser

    line = parser.parse(text)
    names: list[str] = []
    for side in (line.lhs, line.rhs):
        if side is not None:
            body = side.body if hasattr(side, "body") else side
            names += [n.value for n in body.walk() if n.op == "name" and n.value not in names]
    return names


def every_command(text: str) -> None:
    """What diff, hessian, simplify and verify do with `text` (one variable at a time, as the
    commands are mostly used), printing each result in the text and JSON formats."""
    try:
        names = names_of(text)
    except MatcalcError:
        return
    for wrts in [[], *([n] for n in names[:2])]:
        try:
            for g in api.gradients_of(text, wrts):
                output.gradient_line(g, "text")
                output.gradient_line(g, "json", steps=False)
        except MatcalcError:
            pass
        try:
            for h in api.hessians_of(text, wrts):
                output.gradient_line(h, "text")
        except MatcalcError:
            pass
    try:
        output.simplified_line(api.simplify(text), "text")
    except MatcalcError:
        pass
    try:
        output.verdict_line(api.verify(text), "text")
    except MatcalcError:
        pass


def test_ten_thousand_token_strings_through_every_command():
    failures = []
    for text in strings(COUNT, SEED):
        try:
            with budget.cpu_budget():
                every_command(text)
        except MatcalcError:
            pass  # the budget's "gave up", the only MatcalcError that reaches here
        except Exception as e:  # noqa: BLE001 - the property: nothing else escapes
            failures.append(f"{text!r}: {type(e).__name__}: {e}\n{traceback.format_exc(limit=-3)}")
    assert not failures, f"{len(failures)} of {COUNT} inputs raised:\n" + "\n".join(failures[:20])


def test_the_same_strings_as_batches_through_the_command_line():
    """Each command's batch mode over the strings (a line each): no line is an internal error."""
    lines = "".join(text.replace("\n", " ").replace("\r", " ") + "\n" for text in strings(COUNT // 5, SEED + 1))
    for args in (["diff", "-", "x"], ["hessian", "-", "x"], ["simplify", "-"], ["verify", "-"]):
        result = CliRunner().invoke(app, [*args, "-f", "json", "--no-steps"] if args[0] != "hessian"
                                    else [*args, "-f", "json"], input=lines)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code in (0, 1), (args, result.stderr[-2000:])
        internal = [line for line in result.stderr.splitlines() if "internal error" in line]
        assert not internal, f"{args[0]}: " + "\n".join(internal[:20])


"""A CPU-time limit for each input: whatever the expression, matcalc answers within seconds.

Depth and length limits in the parser stop the known blow-ups early and deterministically;
this is the net under them, for an input whose result would be enormous (a gradient that is a
sum of 2⁶⁰ terms). CPU time, not wall-clock time: a slow reader of stdout (`| less`) blocks
matcalc's writes without using any, and must not make a line fail.
"""
from __future__ import annotations

import _signal  # the signal module without its enums (and threading): their import costs more than a short batch line
import os
import sys

from ..errors import MatcalcError

CPU_SECONDS = 5.0


RETRY_SECONDS = 0.01  # when the timer fires outside matcalc's code


def _package_dirs() -> tuple[str, ...]:
    """Where matcalc's own work runs: its package, and lark's (parsing runs there)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    dirs = [here + os.sep]
    lark = sys.modules.get("lark")
    if lark is not None and getattr(lark, "__file__", None):
        dirs.append(os.path.dirname(os.path.abspath(lark.__file__)) + os.sep)
    return tuple(dirs)


def _ours(filename: str) -> bool:
    """Code that matcalc runs: its own, lark's, the standard library's (fractions), a caller's
    (a test's); not another installed library's (a gc callback of Hypothesis, say)."""
    if filename.startswith(_package_dirs()):
        return True
    return "site-packages" not in filename and "dist-packages" not in filename


class OverBudget(BaseException):
    """Raised by the timer; a BaseException, so that no `except Exception` swallows it."""


def over_budget_error() -> MatcalcError:
    return MatcalcError(f"gave up after {CPU_SECONDS:g} s of computing: the result would be too large")


_SIGVTALRM = getattr(_signal, "SIGVTALRM", 0)


class cpu_budget:
    """`with cpu_budget(): ...` raises MatcalcError once the body has used CPU_SECONDS of CPU
    time. Nested uses share the outermost limit. Needs POSIX timers and the main thread; it
    does nothing elsewhere."""

    _active = False

    def __init__(self):
        self.armed = False

    def __enter__(self):
        if cpu_budget._active or not hasattr(_signal, "setitimer"):
            return self
        try:
            self.previous = _signal.signal(_SIGVTALRM, self._expire)
        except ValueError:  # not the main thread: only it receives signals
            return self
        self.armed = cpu_budget._active = True
        # and again every 0.2 s, in case something swallowed the first one
        _signal.setitimer(_signal.ITIMER_VIRTUAL, CPU_SECONDS, 0.2)
        return self

    def _expire(self, signum, frame):
        if not self.armed:
            return
        if frame is not None and not _ours(frame.f_code.co_filename):
            # Not matcalc's own work: a gc callback of another library, say, where an exception
            # cannot reach the `with` and would be lost as "unraisable". Try again shortly.
            _signal.setitimer(_signal.ITIMER_VIRTUAL, RETRY_SECONDS, 0.2)
            return
        raise OverBudget

    def __exit__(self, kind, value, tb):
        while self.armed:
            # The timer may fire at any bytecode, in here too: until `armed` is False the
            # handler raises, so a raise here is caught and the disarming done again. A timer
            # left running would raise later, anywhere (a line that is long over).
            try:
                self.armed = False
                _signal.setitimer(_signal.ITIMER_VIRTUAL, 0)
                _signal.signal(_SIGVTALRM, self.previous)
                cpu_budget._active = False
            except OverBudget:  # the body was done: its result stands
                self.armed = True
        if kind is OverBudget:
            raise over_budget_error() from None
        return False

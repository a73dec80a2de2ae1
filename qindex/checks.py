"""Checks: the one idiom by which qindex validates an input, a spec or a params file.

Every validator collects *all* the problems it finds in a :class:`Problems` list, each a
:class:`~qindex.errors.Problem` naming the file, the line, the column, the value and what was expected, and
raises once at the end (:meth:`Problems.raise_if_any`). The common checks are methods, so a new spec is
written by declaring what each field must be, not by writing a new loop:

>>> p = Problems("study.yaml")
>>> p.one_of(None, "method", "minmax", ["min_max", "zscore"])
False
>>> print(p[0])
study.yaml, column 'method': got 'minmax'; expected one of ['min_max', 'zscore'] (did you mean 'min_max'?)
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from qindex.errors import Problem, ValidationError


def closest(value: str, choices) -> str:
    """A hint naming the closest known choice (`` (did you mean 'x'?)``), or an empty string."""
    match = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""


class Problems(list):
    """The problems found in one input, in the order found.

    Parameters
    ----------
    file : the input's name as the user knows it (a path relative to the project, a params file, a key).
    """

    def __init__(self, file: str = "", items: Iterable[Problem] = ()):
        super().__init__(items)
        self.file = file

    def append(self, problem: Problem) -> None:
        """Record a problem once: the same problem again (a name repeated in every year column of one row) is
        not a second problem."""
        if isinstance(problem, Problem):
            key = (
                problem.file,
                problem.line,
                problem.column,
                repr(problem.value),
                problem.expected,
            )
        else:  # a whole message (a worker that cannot render)
            key = repr(problem)
        # kept beside the list, created on first use: a copy or an unpickled list appends before __init__ runs
        seen = self.__dict__.setdefault("_seen", set())
        if key not in seen:
            seen.add(key)
            super().append(problem)

    def bad(self, line, column, value, expected: str, file: str | None = None) -> None:
        """Record one problem (``file`` defaults to the input's)."""
        self.append(Problem(self.file if file is None else file, line, column, value, expected))

    def one_of(self, line, column, value, allowed, file: str | None = None, shown=None) -> bool:
        """Whether ``value`` is one of ``allowed``; if not, a problem naming the closest choice (``shown``:
        the value as the user wrote it, when ``value`` was cleaned first)."""
        allowed = list(allowed)
        if value in allowed:
            return True
        hint = closest(str(value if shown is None else shown), allowed)
        self.bad(line, column, value if shown is None else shown, f"one of {allowed}{hint}", file)
        return False

    def raise_if_any(self, error: type[ValidationError] = ValidationError, *args) -> None:
        """Raise ``error(self, *args)`` when any problem was recorded."""
        if self:
            raise error(list(self), *args)

"""Errors a user can act on: each names the file, the line, the column, the value and what was expected."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    ``line`` is the line number a user sees in an editor (the header is line 1), or ``None`` when the
    problem concerns the whole file.
    """

    file: str
    line: int | None
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            # Excel users count rows; text files have lines.
            where += f", {'row' if ', sheet ' in self.file else 'line'} {self.line}"
        if self.column:
            where += f", column '{self.column}'"
        if self.value is None:
            shown = ""
        elif isinstance(self.value, str):
            shown = f": got {self.value!r}" if self.value else ": got an empty value"
        elif isinstance(self.value, float):
            shown = f": got {self.value:g}"
        else:
            shown = f": got {self.value}"
        return f"{where}{shown}; expected {self.expected}"


class QIndexError(Exception):
    """Base class of every error qindex raises on purpose."""


class ValidationError(QIndexError):
    """One or more problems in input data, all reported at once."""

    def __init__(self, problems: list[Problem], what: str = "input data"):
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) in {what}:"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class CatalogError(ValidationError):
    """The target catalogue (plans, jurisdictions, indicators, targets) is invalid."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, "the target catalogue")


class ObservationError(ValidationError):
    """An observations file is invalid."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, "observations")

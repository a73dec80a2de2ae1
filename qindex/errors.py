"""Errors a user can act on: each names the file, the line, the column, the value and what was expected.

Every error qindex raises on purpose is a :class:`QIndexError`, and every one is defined here:

==================  ===============================  =====================================================
class               raised by                        what is wrong
==================  ===============================  =====================================================
ValidationError     any validator (:mod:`checks`)    problems in an input, all reported at once
CatalogError        :mod:`catalog`, departments      the target catalogue (plans, places, indicators, …)
ObservationError    observations, office, panel      an observations or office file
SpecError           :mod:`composite`                 an index framework or study spec
SchemeError         :mod:`scheme`                    a 考核 scheme (考核细则) file
ParamsError         :mod:`runner.params`             a params file; nothing was executed
PartitionError      :mod:`progress_partitioned`      panel partitions that do not hold whole places
ExtractError        :mod:`extract`                   a plan text or a draft that cannot be read
RunError            :mod:`runner.execute`            a notebook failed while running
PublishError        :mod:`runner.publish`            results could not be published
ShareError          :mod:`runner.share`              a shared set that cannot be written where asked
ClusterError        :mod:`runner.batch`, parallel    a cluster that cannot run qindex work
WriteError          :mod:`store`                     an output that could not be written
FontError           :mod:`plots`                     no font with Chinese glyphs
==================  ===============================  =====================================================
"""

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


class WriteError(QIndexError):
    """An output could not be written where it was asked to go."""


class SpecError(ValidationError):
    """The index framework is invalid."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, "the index framework")


class SchemeError(ValidationError):
    """A 考核 scheme (考核细则) is invalid."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, "the 考核 scheme")


class ExtractError(QIndexError):
    """A plan text or a draft that cannot be read."""


class PartitionError(ValidationError):
    """Partitions that do not hold whole places, or that cannot be read."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, "the panel partitions")


class ParamsError(ValidationError):
    """A params file is invalid; nothing was executed."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems, "the run parameters")


class PublishError(QIndexError):
    """The results could not be published; the previous version is still the published one."""


class RunError(QIndexError):
    """A notebook failed while running."""


class ClusterError(QIndexError):
    """The cluster cannot run qindex work (unreachable, or workers without the project or its environment)."""


class FontError(QIndexError):
    """No font with Chinese glyphs is available."""


class ShareError(QIndexError):
    """The shared set of reports could not be written where it was asked to go; nothing was changed."""

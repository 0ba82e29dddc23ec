"""Errors that point at a place in the site's sources.

Every problem the generator finds in content, configuration or templates is a
`SourceError`: the file, the 1-based line, what is wrong and how to fix it.
Stages collect them instead of raising, so one run reports every problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class SourceError:
    path: str
    line: int
    message: str
    hint: str = ""
    warning: bool = False

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"
        return f"{text} — {self.hint}" if self.hint else text


class BuildFailed(Exception):
    """Raised by a stage whose errors make continuing pointless."""

    def __init__(self, errors: Iterable[SourceError]):
        self.errors = sorted(errors)
        super().__init__("\n".join(str(e) for e in self.errors))

    def __reduce__(self) -> tuple[type, tuple[list[SourceError]]]:
        return (BuildFailed, (self.errors,))  # crosses from a build worker intact


def only_errors(problems: Iterable[SourceError]) -> list[SourceError]:
    return [p for p in problems if not p.warning]


def format_errors(problems: Iterable[SourceError]) -> str:
    return "\n".join(str(p) for p in sorted(problems))

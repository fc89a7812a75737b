"""Located errors: every mistake in a spec is reported as `file:line:col: error: message`,
followed by the source line and a caret under the column.

`SpecError` carries one or more `Diagnostic`s so that a whole file's errors can be
reported at once. `UsageError` is for bad command-line input that has no source location.
Both are user mistakes: the CLI prints them and exits with code 2, never with a traceback.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """The text of one spec file (or a string given on the command line)."""

    path: str
    text: str = field(repr=False)

    def line(self, number: int) -> str:
        lines = self.text.splitlines()
        return lines[number - 1] if 1 <= number <= len(lines) else ""


@dataclass(frozen=True)
class Location:
    source: Source = field(repr=False)
    line: int
    column: int
    end_column: int | None = None  # exclusive; on the same line

    def __str__(self) -> str:
        return f"{self.source.path}:{self.line}:{self.column}"


_SHOWN = 100  # characters of a source line shown with a caret


@dataclass(frozen=True)
class Diagnostic:
    message: str
    location: Location | None = None
    notes: tuple[str, ...] = ()
    # notes that point somewhere ("in Block35, used at irv2.inc:25:5"), for editors: each is
    # also in `notes`
    related: tuple[tuple[str, Location], ...] = ()

    def render(self) -> str:
        if self.location is None:
            head = f"error: {self.message}"
            return "\n".join([head, *(f"  note: {n}" for n in self.notes)])
        loc = self.location
        text = loc.source.line(loc.line).rstrip("\n")
        column = loc.column
        width = 1
        if loc.end_column is not None and loc.end_column > loc.column:
            width = loc.end_column - loc.column
        if len(text) > _SHOWN:  # a window of a long line, around the column
            start = max(0, min(column - 1 - _SHOWN // 2, len(text) - _SHOWN))
            text = ("..." if start else "") + text[start : start + _SHOWN] + (
                "..." if start + _SHOWN < len(text) else "")
            column = column - start + (3 if start else 0)
            width = min(width, _SHOWN)
        # Keep the caret under the right column when the line has tabs.
        prefix = "".join(c if c == "\t" else " " for c in text[: column - 1])
        out = [f"{loc}: error: {self.message}", f"    {text}", f"    {prefix}{'^' * width}"]
        out += [f"  note: {n}" for n in self.notes]
        return "\n".join(out)


class IncdslError(Exception):
    """Base of every error that is the user's to fix (exit code 2)."""

    exit_code = 2


class SpecError(IncdslError):
    """One or more located problems in a spec."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__(self.render())

    @classmethod
    def at(cls, location: Location | None, message: str, *notes: str) -> SpecError:
        return cls(Diagnostic(message, location, tuple(notes)))

    @property
    def location(self) -> Location | None:
        return self.diagnostics[0].location

    @property
    def message(self) -> str:
        return self.diagnostics[0].message

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)

    def with_note(self, note: str, location: Location | None = None) -> SpecError:
        """The same errors with one more note (`in block Block35, used at ...`), which may
        point at a place."""
        related = ((note, location),) if location is not None else ()
        return SpecError([Diagnostic(d.message, d.location, (*d.notes, note),
                                     (*d.related, *related)) for d in self.diagnostics])


class UsageError(IncdslError):
    """A bad flag, file name or value on the command line or in the API."""


def report(error: IncdslError) -> None:
    """A user mistake on stderr: located with a caret for a spec, one line otherwise. Here,
    not in incdsl.cli, so that a training worker can say it without importing the CLI."""
    text = error.render() if isinstance(error, SpecError) else f"incdsl: error: {error}"
    print(text, file=sys.stderr)


@dataclass
class ErrorSink:
    """Collects diagnostics so that a pass can report every error it finds."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def add(self, error: SpecError) -> None:
        for d in error.diagnostics:
            if d not in self.diagnostics:
                self.diagnostics.append(d)

    def raise_if_any(self) -> None:
        if self.diagnostics:
            raise SpecError(self.diagnostics)


def closest(name: str, candidates) -> str | None:
    """The candidate a typo most likely meant, or None."""
    import difflib

    candidates = sorted(set(candidates))
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in candidates}
        matches = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        matches = [lowered[m] for m in matches]
    return matches[0] if matches else None


def did_you_mean(name: str, candidates) -> tuple[str, ...]:
    guess = closest(name, candidates)
    return (f"did you mean '{guess}'?",) if guess else ()

"""`incdsl check`'s errors as LSP diagnostics on the document being edited.

An error in this file is shown where `incdsl check` points. An error in a file this one uses
(a shape that goes wrong inside a library block) is shown where this file uses the block: the
outermost "used at" note that points into this file, else the `use` line that brings the file
in. Notes that point somewhere become related information; the others follow the message.
"""

from __future__ import annotations

from lsprotocol import types

from incdsl.errors import Diagnostic, Location, Source, SpecError
from incdsl.lsp.analysis import Analysis, real, same_file, use_target
from incdsl.lsp.convert import location_of, range_of
from incdsl.syntax.parser import parse

SOURCE = "incdsl"


def diagnostics(analysis: Analysis, codec) -> list[types.Diagnostic]:
    return [_one(d, analysis, codec) for d in analysis.errors]


def _one(d: Diagnostic, analysis: Analysis, codec) -> types.Diagnostic:
    loc = d.location
    pointed = {note for note, _ in d.related}
    notes = [n for n in d.notes if n not in pointed]
    related = [types.DiagnosticRelatedInformation(location_of(at, codec), note)
               for note, at in d.related]
    if loc is None or not same_file(loc.source.path, analysis.path):
        if loc is not None:
            related.insert(0, types.DiagnosticRelatedInformation(location_of(loc, codec),
                                                                 f"{loc}: {d.message}"))
            notes.insert(0, f"at {loc}")
        loc = _here(d, analysis)
    message = "\n".join([d.message, *notes])
    return types.Diagnostic(range=range_of(loc, codec), message=message,
                            severity=types.DiagnosticSeverity.Error, source=SOURCE,
                            related_information=related or None)


def _here(d: Diagnostic, analysis: Analysis) -> Location:
    """Where in this file to show an error located in another one."""
    inside = [at for _, at in d.related if same_file(at.source.path, analysis.path)]
    if inside:
        return inside[-1]  # the outermost use
    module = analysis.program.main if analysis.program else None
    uses = module.uses if module else _parsed_uses(analysis)
    where = real(d.location.source.path) if d.location else None
    for use in uses:
        target = use_target(use, analysis.path)
        if target is not None and str(target.resolve()) == where:
            return use.loc
    if uses:
        return uses[0].loc
    return Location(Source(analysis.path, analysis.text), 1, 1)


def _parsed_uses(analysis: Analysis):
    """The `use` lines of a text whose program did not load (an error in a used file)."""
    try:
        return parse(analysis.text, analysis.path).uses
    except SpecError:
        return ()


__all__ = ["diagnostics"]

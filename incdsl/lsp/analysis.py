"""What the language server knows of one text: its program, its errors (those `incdsl check`
reports) and the shaped graph of each of its networks. Made by the same passes as `incdsl
check` (load, resolve, elaborate), from the editor's text instead of the file on disk."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from incdsl.elaborate import elaborate, resolve
from incdsl.errors import Diagnostic, IncdslError, Location, SpecError
from incdsl.ir.graph import Graph
from incdsl.syntax import ast
from incdsl.syntax.program import Program, find_use, load_text, read_source

MAX_USERS = 40  # files looked at to find the networks that use a library


@dataclass
class Analysis:
    path: str  # a file system path, or the document's URI when it has none
    text: str
    program: Program | None = None
    errors: list[Diagnostic] = field(default_factory=list)
    graphs: dict[str, Graph] = field(default_factory=dict)  # network name -> its graph


def analyse(text: str, path: str) -> Analysis:
    out = Analysis(path, text)
    try:
        out.program = load_text(text, path)
        resolution = resolve(out.program)
    except SpecError as e:
        out.errors += e.diagnostics
        return out
    for d in out.program.networks:
        try:
            out.graphs[d.name] = elaborate(out.program, d.name, {}, resolution)
        except SpecError as e:
            out.errors += [x for x in e.diagnostics if x not in out.errors]
        except IncdslError as e:  # a parameter without a default: no shapes without --set
            out.errors.append(Diagnostic(str(e), d.name_loc))
    return out


@lru_cache(maxsize=256)
def real(path: str) -> str:
    """One spelling per file, to compare the paths in locations."""
    return str(Path(path).resolve())


def same_file(a: str, b: str) -> bool:
    return a == b or real(a) == real(b)


def key(loc: Location) -> tuple[str, int, int]:
    return real(loc.source.path), loc.line, loc.column


# ---- the files that use a library ----------------------------------------------------------

_USE = re.compile(r'^\s*use\s+"([^"\n]*)"', re.MULTILINE)
_on_disk: dict[str, tuple[tuple[int, int], Analysis]] = {}


def on_disk(path: Path) -> Analysis | None:
    """A spec file's analysis, made again only when the file changes."""
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        name = str(path)
        if name not in _on_disk or _on_disk[name][0] != stamp:
            _on_disk[name] = (stamp, analyse(read_source(path), name))
        return _on_disk[name][1]
    except (IncdslError, OSError):
        return None


def users(path: str, opened: list[Analysis]) -> list[Analysis]:
    """Analyses of the specs that use the file at `path` (directly or through another
    library) and define networks: open documents, and files in its folder and the one
    above (where `lib/` folders are used from)."""
    target = real(path)
    found, seen = [], {target}
    candidates: list[Analysis | Path] = list(opened)
    folder = Path(target).parent
    for where in (folder, folder.parent):
        try:
            candidates += sorted(where.glob("*.inc"))[:MAX_USERS]
        except OSError:
            continue
    for candidate in candidates:
        name = candidate.path if isinstance(candidate, Analysis) else str(candidate)
        if real(name) in seen:
            continue
        seen.add(real(name))
        if isinstance(candidate, Path):
            try:
                if not _USE.search(candidate.read_text(encoding="utf-8")):
                    continue
            except (OSError, UnicodeDecodeError):
                continue
            candidate = on_disk(candidate)
        if candidate and candidate.program and candidate.graphs and any(
                real(m.path) == target for m in candidate.program.modules[1:]):
            found.append(candidate)
    return found


def use_target(use: ast.Use, path: str) -> Path | None:
    return find_use(use, Path(path))

"""Files -> one program: a spec file and every library it `use`s, with their definitions.

`use "lib/reductions.inc"` is resolved relative to the file that says it, then relative to
the shipped `architectures/` folder, so user specs can use the shipped libraries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from incdsl import resources
from incdsl.errors import Diagnostic, ErrorSink, SpecError, UsageError, did_you_mean
from incdsl.syntax import ast
from incdsl.syntax.parser import parse

MAX_FILE_BYTES = 4 << 20  # a spec is text a person wrote; refuse anything far larger


@dataclass
class Program:
    """All definitions visible from the main file, by name."""

    main: ast.Module
    modules: list[ast.Module] = field(default_factory=list)
    definitions: dict[str, ast.Definition] = field(default_factory=dict)

    @property
    def networks(self) -> list[ast.Definition]:
        return [d for d in self.main.definitions if d.kind == "network"]

    @property
    def blocks(self) -> dict[str, ast.Definition]:
        return {n: d for n, d in self.definitions.items() if d.kind == "block"}


def resolve_spec(name_or_path: str) -> Path:
    """A path to a spec file, or the name of a shipped architecture (`irv2`)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if path.suffix == "" and "/" not in name_or_path:
        shipped = resources.architectures_dir() / f"{name_or_path}.inc"
        if shipped.is_file():
            return shipped
    if path.is_dir():
        raise UsageError(f"{name_or_path}: is a folder, not a spec file")
    names = resources.shipped_architectures()
    hint = did_you_mean(path.stem, names)
    raise UsageError(f"{name_or_path}: no such file or shipped architecture"
                     + (f"; {hint[0]}" if hint else "")
                     + f" (shipped: {', '.join(names)})")


def read_source(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UsageError(f"{path}: {size:,} bytes is too large for a spec file")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a text file (not valid UTF-8)") from None
    except OSError as e:
        raise UsageError(f"{path}: {e.strerror or e}") from None


def load(spec: str | Path) -> Program:
    """Parse a spec file (or shipped name) and everything it uses."""
    path = resolve_spec(str(spec))
    return load_text(read_source(path), display_path(path))


def display_path(path: Path) -> str:
    """The path as a reader wants it in messages: relative to here when it is below here."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_text(text: str, path: str = "<string>") -> Program:
    main = parse(text, path)
    program = Program(main)
    errors = ErrorSink()
    _collect(program, main, Path(path), [str(Path(path).resolve())], set(), errors)
    errors.raise_if_any()
    return program


def _collect(program: Program, module: ast.Module, path: Path, stack: list[str],
             done: set[str], errors: ErrorSink) -> None:
    """Add a file's definitions and those of the files it uses. A used file lends its blocks;
    its networks are its own (they are neither instantiated nor checked here)."""
    program.modules.append(module)
    used = module is not program.main
    for d in module.definitions:
        if used and d.kind == "network":
            continue
        if d.name in program.definitions:
            first = program.definitions[d.name]
            note = f"first defined at {first.name_loc}"
            errors.add(SpecError(Diagnostic(f"'{d.name}' is defined twice", d.name_loc,
                                            (note,), ((note, first.name_loc),))))
        else:
            program.definitions[d.name] = d
    for use in module.uses:
        if not use.path.endswith(".inc"):  # a spec is data: its `use` reads specs only
            errors.add(SpecError.at(use.loc, f'use takes spec files (.inc), not "{use.path}"'))
            continue
        target = find_use(use, path)
        key = str(target.resolve()) if target else None
        if target is None:
            errors.add(SpecError.at(use.loc, f"cannot find \"{use.path}\"",
                                    f"looked beside {path} and in {resources.architectures_dir()}"))
        elif key in stack:
            cycle = " -> ".join(Path(p).name for p in stack[stack.index(key):] + [key])
            errors.add(SpecError.at(use.loc, f"circular use: {cycle}"))
        elif key not in done:
            done.add(key)
            try:
                used_module = parse(read_source(target), display_path(target))
            except SpecError as e:
                errors.add(e)
                continue
            except UsageError as e:
                errors.add(SpecError.at(use.loc, str(e)))
                continue
            _collect(program, used_module, target, stack + [key], done, errors)


def find_use(use: ast.Use, including: Path) -> Path | None:
    """The file a `use` line names: beside the file that says it, else a shipped one."""
    for base in (including.parent, resources.architectures_dir()):
        candidate = base / use.path
        if candidate.is_file():
            return candidate
    return None

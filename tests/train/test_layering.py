"""The training package stands below the command line: nothing under incdsl/train imports
incdsl.cli (a worker started by torchrun must not pull in every subcommand), and the CLI uses
only public names of incdsl.train."""

from __future__ import annotations

import ast
from pathlib import Path

import incdsl

PACKAGE = Path(incdsl.__file__).parent


def imports(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names]
    return found


def test_nothing_in_incdsl_train_imports_the_cli():
    offenders = [f"{path.name}: {module}" for path in sorted((PACKAGE / "train").glob("*.py"))
                 for module, _ in imports(path) if module.startswith("incdsl.cli")]
    assert offenders == []


def test_the_cli_uses_public_names_of_incdsl_train():
    private = [f"{path.name}: {module}.{name}" for path in sorted((PACKAGE / "cli").glob("*.py"))
               for module, names in imports(path) if module.startswith("incdsl.train")
               for name in names if name.startswith("_")]
    assert private == []

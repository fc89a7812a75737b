"""The pipeline is the import graph: no stage imports a later one, and nothing reaches another
module's private names.

    grammar -> syntax -> ir -> ops -> {elaborate, fmt} -> {passes, lower, highlight}
            -> {report, draw, nn, codegen} -> {weights, diff, lsp} -> train -> cli (and the API)

Every import statement counts, those inside functions too (that is how the stages that need
torch import it late)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "incdsl"

BASE = {"errors", "resources", "fileio"}  # read by every stage
RANK = {"syntax": 1, "ir": 2, "ops": 3, "elaborate": 4, "passes": 5, "lower": 5, "report": 6, "draw": 6,
        "nn": 6, "codegen": 6, "weights": 7, "train": 8, "cli": 9,
        # the editor's tools: the formatter reads only the syntax; the lexer the grammar, the
        # ops and the evaluator's names; diff the graph IR, the summary and the figures; the
        # language server the formatter and everything up to the reports
        "fmt": 4, "highlight": 5, "diff": 7, "lsp": 7}
ENTRY = 9  # the CLI and the `incdsl` API module


def stage(module: str) -> tuple[str, int]:
    """(stage name, rank) of a module of the package."""
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return "api", ENTRY
    if parts[1] in BASE:
        return "base", 0
    return parts[1], RANK[parts[1]]


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports(path: Path, here: str | None = None):
    """(imported module, imported names, line) for every import of incdsl in a file."""
    here = here or module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "incdsl":
                    yield alias.name, (), node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([target] if target else [])])
            if target.split(".")[0] != "incdsl":
                continue
            names = tuple(a.name for a in node.names)
            for name in names:  # `from incdsl import resources` imports a module
                if (PACKAGE.parent / (target + "." + name).replace(".", "/")).with_suffix(
                        ".py").exists() or (PACKAGE.parent / (target + "." + name).replace(
                        ".", "/")).is_dir():
                    yield f"{target}.{name}", (), node.lineno
                else:
                    yield target, (name,), node.lineno


SOURCES = sorted(PACKAGE.rglob("*.py"))


def backward(path: Path, here: str) -> list[str]:
    own, rank = stage(here)
    out = []
    for target, _, line in imports(path, here):
        theirs, their_rank = stage(target)
        if theirs != own and their_rank >= rank and not (rank == their_rank == ENTRY):
            out.append(f"{here}:{line}: {own} imports {target} ({theirs})")
    return out


@pytest.mark.parametrize("path", SOURCES, ids=[module_name(p) for p in SOURCES])
def test_no_stage_imports_a_later_one(path):
    found = backward(path, module_name(path))
    assert not found, "\n".join(found)


SCRIPTS = sorted([*PACKAGE.rglob("*.py"), *(ROOT / "bench").glob("*.py"),
                  *(ROOT / "docs").glob("*.py")])


@pytest.mark.parametrize("path", SCRIPTS, ids=[str(p.relative_to(ROOT)) for p in SCRIPTS])
def test_no_private_names_are_reached_from_outside(path):
    here = module_name(path)
    reached = [f"{path.relative_to(ROOT)}:{line}: {target}.{name}"
               for target, names, line in imports(path) for name in names
               if name.startswith("_") and name != "__version__"
               and not here.startswith(target.rsplit(".", 1)[0] + ".")]
    assert not reached, "\n".join(reached)


def test_the_checker_sees_backward_imports(tmp_path):
    # The test above can fail: these are the imports the pipeline forbids.
    path = tmp_path / "fake.py"
    path.write_text("from incdsl.cli import report\n"
                    "def f():\n    from incdsl.nn import build_module\n"
                    "from incdsl.syntax import ast\n")
    assert len(backward(path, "incdsl.train.fake")) == 1
    assert len(backward(path, "incdsl.codegen.fake")) == 2  # the CLI, and its sibling nn
    assert backward(path, "incdsl.cli.fake") == []

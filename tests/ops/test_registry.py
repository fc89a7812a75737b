"""The op registry: every op is complete in its own module, agrees with PyTorch on shapes and
parameters, is documented, and no stage outside `incdsl/ops` switches on op names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import torch

import incdsl
from incdsl.ops import OPS, STATEMENTS, layers

ROOT = Path(__file__).resolve().parents[2]
LAYERS = sorted(name for name, op in layers().items() if op.takes_input)


def test_every_op_describes_itself():
    for name, op in OPS.items():
        assert op.name == name and op.kind and op.doc, name
        assert op.style.attrs()["fillcolor"], f"{name} has no colour in figures"
    for name, op in layers().items():
        assert op.example.split()[0] in layers(), f"{name}: example {op.example!r}"
        assert op.signature.usage(name).startswith(name)
    for name, statement in STATEMENTS.items():
        assert statement.name == name and statement.doc


@pytest.mark.parametrize("name", LAYERS)
def test_each_layer_agrees_with_pytorch(name, spec_file):
    """The op's example after a 3x16x16 input: the graph's shape and parameter count are those
    of the module build() makes, which PyTorch runs."""
    path = spec_file(f"network N:\n    input 3x16x16\n    {OPS[name].example}\n")
    g = incdsl.graph(path)
    node = next(n for n, d in g.nodes(data=True) if d["op"] == name)
    model = incdsl.build(path, seed=0).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 16, 16))
    last = g.graph["outputs"]["logits"]
    assert tuple(out.shape[1:]) == g.nodes[last]["shape"]
    data = g.nodes[node]
    if data["module"] is not None:
        module = model.get_submodule(data["module"])
        assert sum(p.numel() for p in module.parameters()) == data["params"]


def test_the_language_reference_lists_every_op():
    text = (ROOT / "docs" / "language.md").read_text()
    # The first column of the tables' rows: `conv OUT KxK`, `relu`, `flatten`, `concat:`.
    firsts = [line.split(" | ")[0] for line in text.splitlines() if line.startswith("| `")]
    for name in [*layers(), *STATEMENTS]:
        assert any(re.search(rf"`{re.escape(name)}\b", first) for first in firsts), \
            f"docs/language.md has no row for {name}"


def _switches(path: Path) -> list[str]:
    """Comparisons of a value with an op's name: `op == "conv"`, `name in ("add", ...)`."""
    names = set(OPS) | set(STATEMENTS)
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Compare):
            continue
        for side in [node.left, *node.comparators]:
            items = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
            for item in items:
                if isinstance(item, ast.Constant) and item.value in names:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {item.value!r}")
    return found


STAGES = sorted(p for p in (ROOT / "incdsl").rglob("*.py") if "ops" not in p.parts)


@pytest.mark.parametrize("path", STAGES, ids=[str(p.relative_to(ROOT)) for p in STAGES])
def test_no_stage_switches_on_op_names(path):
    assert _switches(path) == []


def test_the_switch_finder_finds_switches(tmp_path):
    path = ROOT / "tests" / "ops" / "_example.py"
    path.write_text('if op == "conv" or name in ("add", "x"):\n    pass\n')
    try:
        assert len(_switches(path)) == 2
    finally:
        path.unlink()

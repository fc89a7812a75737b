"""Names for everything the spec does not name: `conv1`, `branch2`, `block35[3]`.

A naming scope is one module of the built network: the network, a block instance, a
multi-layer branch, an auxiliary head. Concat and residual make no module of their own,
so their branches and layers are named in the enclosing scope, as a person writing the
PyTorch code would (`self.branch0`, `self.branch1`, `self.conv`).

A kind that occurs once in a scope keeps its bare name (`fc`); several are numbered
from 1 (`conv1`, `conv2`). Branches are numbered from 0 like the references' `branch0`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from incdsl.errors import Location, SpecError
from incdsl.ops import STATEMENTS, layers
from incdsl.syntax import ast

DEFAULTS = "defaults"  # `defaults conv eps=0.001 no bias`: settings for the lines below


def snake(name: str) -> str:
    """`Block35` -> `block35`, `ReductionA` -> `reduction_a`, `Mixed_5b` -> `mixed_5b`."""
    s = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return re.sub(r"_+", "_", s).lower()


def kind_of(layer: ast.Layer, blocks) -> str:
    ops = layers()
    if layer.name in ops:
        return ops[layer.name].kind
    if layer.name in blocks:
        return snake(layer.name)
    return layer.name


def count_kinds(body, blocks, counts: Counter | None = None) -> Counter:
    """How many of each kind a scope's body makes, to decide `conv` versus `conv1`."""
    counts = Counter() if counts is None else counts
    for stmt in body:
        if isinstance(stmt, ast.Chain):
            count_kinds(stmt.layers, blocks, counts)
        elif isinstance(stmt, ast.Layer):
            if stmt.name != DEFAULTS:
                counts[stmt.alias or kind_of(stmt, blocks)] += 1
        elif isinstance(stmt, ast.If):
            count_kinds(stmt.then, blocks, counts)
            count_kinds(stmt.orelse, blocks, counts)
        elif isinstance(stmt, ast.Compound) and stmt.name in STATEMENTS:
            STATEMENTS[stmt.name].count(stmt, counts,
                                        lambda body: count_kinds(body, blocks, counts))
    return counts


@dataclass
class Scope:
    """One module's namespace. `path` is the graph path prefix, `module` the dotted one."""

    path: str
    module: str
    counts: Counter
    seen: Counter = field(default_factory=Counter)
    taken: dict[str, Location] = field(default_factory=dict)

    def name(self, kind: str, alias: str | None, loc: Location, first: int | None = None) -> str:
        """A fresh name for a `kind` here; `first` numbers every one from it (`branch0`)."""
        if alias is not None:
            if alias in self.taken:
                raise SpecError.at(loc, f"the name '{alias}' is already used in this scope",
                                   f"first used at {self.taken[alias]}")
            name = alias
        else:
            self.seen[kind] += 1
            if first is not None:
                name = f"{kind}{self.seen[kind] - 1 + first}"
            elif self.counts[kind] <= 1:
                name = kind
            else:
                name = f"{kind}{self.seen[kind]}"
            while name in self.taken:  # an explicit alias took it: keep names unique
                name += "_"
        self.taken[name] = loc
        return name

    def node_id(self, name: str) -> str:
        return f"{self.path}/{name}" if self.path else name

    def module_path(self, name: str) -> str:
        return f"{self.module}.{name}" if self.module else name

    def child(self, name: str, counts: Counter, index: int | None = None) -> Scope:
        path, module = self.node_id(name), self.module_path(name)
        if index is not None:
            path, module = f"{path}[{index}]", f"{module}.{index}"
        return Scope(path, module, counts)

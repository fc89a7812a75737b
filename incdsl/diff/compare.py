"""Two networks compared stage by stage: stages aligned on what they are (the block, the op),
then for each pair what changed: how many blocks in a row, their arguments, their layers (as
the papers label them: kernel, width, stride, scale), the shapes in and out, the parameters and
multiply-accumulates. Stages of one network only are added or removed."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from incdsl.diff.stages import Stage, _value, stages
from incdsl.ir.graph import Graph, total_macs, total_params
from incdsl.report.summary import grid_sizes


@dataclass
class Change:
    kind: str  # "same", "changed", "added" (in B only) or "removed" (in A only)
    a: Stage | None
    b: Stage | None
    details: list[str] = field(default_factory=list)

    @property
    def params_delta(self) -> int:
        return (self.b.params if self.b else 0) - (self.a.params if self.a else 0)

    @property
    def macs_delta(self) -> int:
        return (self.b.macs if self.b else 0) - (self.a.macs if self.a else 0)

    def as_json(self) -> dict:
        return {"change": self.kind, "a": self.a.as_json() if self.a else None,
                "b": self.b.as_json() if self.b else None, "details": self.details,
                "params_delta": self.params_delta, "macs_delta": self.macs_delta}


@dataclass
class Comparison:
    a: Graph
    b: Graph
    changes: list[Change]

    @property
    def same(self) -> bool:
        return all(c.kind == "same" for c in self.changes) and self.grids[0] == self.grids[1]

    @property
    def grids(self) -> tuple[list[int], list[int]]:
        return grid_sizes(self.a), grid_sizes(self.b)

    def totals(self) -> dict:
        return {"params": [total_params(self.a), total_params(self.b)],
                "macs": [total_macs(self.a), total_macs(self.b)]}


def compare(a: Graph, b: Graph) -> Comparison:
    left, right = stages(a), stages(b)
    matcher = difflib.SequenceMatcher(None, [s.key for s in left], [s.key for s in right],
                                      autojunk=False)
    changes: list[Change] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            changes += [_pair(x, y) for x, y in zip(left[i1:i2], right[j1:j2])]
        else:
            changes += [Change("removed", x, None) for x in left[i1:i2]]
            changes += [Change("added", None, y) for y in right[j1:j2]]
    return Comparison(a, b, changes)


def _pair(x: Stage, y: Stage) -> Change:
    details = []
    if x.count != y.count:
        details.append(f"{x.key} x{x.count} -> x{y.count}")
    for name in sorted(set(x.args) | set(y.args), key=[*x.args, *y.args].index):
        before, after = x.args.get(name), y.args.get(name)
        if before != after:
            details.append(f"{name}: {_arg(before)} -> {_arg(after)}")
    if x.name != y.name and not x.args and not y.args:
        details.append(f"{x.name} -> {y.name}")
    if len(x.layers) > 1 or len(y.layers) > 1:
        details += _layers(x.layers, y.layers)
    for what, before, after in (("input", x.input, y.input), ("output", x.output, y.output)):
        if before != after:
            details.append(f"{what} {before} -> {after}")
    if not details and (x.params, x.macs) != (y.params, y.macs):
        details.append("parameters or MACs differ")  # e.g. a layer's options (bias, BatchNorm)
    return Change("changed" if details else "same", x, y, details)


def _arg(value) -> str:
    return "(none)" if value is None else _value(value)


def _layers(a: list[str], b: list[str]) -> list[str]:
    """The layers one block instance has and the other has not, or has otherwise."""
    if a == b:
        return []
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        out += [f"layer - {x}" for x in a[i1:i2]]
        out += [f"layer + {y}" for y in b[j1:j2]]
    return out

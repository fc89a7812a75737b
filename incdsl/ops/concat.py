"""`concat:` runs each line (or `branch:` body) of its body from the same input and joins the
outputs along channels, in order: the Inception module's filter concatenation.

Branches are numbered from 0, like the references' `branch0`. A branch of one layer is named
in the enclosing scope (`branch0`); a longer branch becomes a module of its own
(`branch1.conv1`, `branch1.conv2`), as the reference implementations do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from incdsl.errors import SpecError
from incdsl.ir.graph import Attrs, format_shape
from incdsl.ops.base import MERGE, Op, ShapeError, Statement, register
from incdsl.syntax import ast


@dataclass(frozen=True)
class ConcatAttrs(Attrs):
    branches: tuple[str, ...]  # the branches' names, for messages


def check_sizes(names, shapes) -> None:
    first = shapes[0]
    for name, shape in zip(names[1:], shapes[1:]):
        if len(shape) != len(first) or shape[1:] != first[1:]:
            raise ShapeError(
                "concat of branches with different sizes: "
                f"{names[0]} gives {format_shape(first)}, {name} gives {format_shape(shape)}",
                "branches are joined along channels, so their heights and widths must match"
                " (check strides and valid/same padding)",
            )


@register
class ConcatOp(Op):
    name = "concat"
    kind = "concat"
    doc = "branches side by side, joined on channels"
    style = replace(MERGE, extra=(("shape", "box"), ("style", "filled")))
    has_module = False
    is_layer = False
    channel_concat = True

    def infer(self, a: ConcatAttrs, inputs):
        check_sizes(a.branches, inputs)
        return (sum(s[0] for s in inputs), *inputs[0][1:]), 0, 0

    def forward(self, a, inputs, call, value):
        return f"torch.cat([{', '.join(inputs)}], 1)"

    def channels(self, a, inputs, value, shape):
        terms, constant = [], 0
        for text in inputs:
            if text.isdigit():
                constant += int(text)
            else:
                terms.append(text if text.isidentifier() else f"({text})")
        if constant or not terms:
            terms.append(str(constant))
        return " + ".join(terms)

    def label(self, a):
        return "Filter concat"


@register
class Concat(Statement):
    name = "concat"
    doc = "each line of the body is a branch from the same input; outputs joined on channels"

    def check(self, stmt, report):
        for child in stmt.body:
            if isinstance(child, ast.Layer) and child.name == "defaults":
                report(SpecError.at(child.loc, "defaults cannot be a branch of concat"))

    def count(self, stmt, counts, count_body):
        counts["branch"] += len(stmt.body)
        counts[stmt.alias or "concat"] += 1

    def elaborate(self, stmt, args, cur, here):
        outs = []
        for child in stmt.body:
            if isinstance(child, ast.Layer) and child.repeat is None:
                outs.append(here.line(child, cur, kind="branch", first=0))
                continue
            if isinstance(child, ast.Compound) and child.name == "branch":
                body, alias = child.body, child.alias
            else:
                body, alias = (child.layers if isinstance(child, ast.Chain) else (child,)), None
            branch = here.child("branch", alias, child.loc, body, first=0)
            outs.append(branch.run(body, cur))
        names = tuple(here.relative(out) for out in outs)
        return here.emit("concat", ConcatAttrs(names), outs, stmt)


@register
class Branch(Statement):
    name = "branch"
    doc = "groups several lines into one branch of a concat"

    def count(self, stmt, counts, count_body):
        count_body(stmt.body)

    def elaborate(self, stmt, args, cur, here):
        return here.run(stmt.body, cur)

"""The one validation pass: what every line of a program refers to, decided from the text alone.

Over every definition of a program (used or not), before any value is computed, it finds each
line's op, block or statement (from the op registry and the program's blocks), matches the
line's arguments to their slots, checks that every expression reads known names and functions,
and that no block uses itself. It reports everything it finds at once. Elaboration then only
evaluates: the values, the repeats, the shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from incdsl.elaborate.bind import Bound, Literal, Slot, bind, source_text, unknown_name
from incdsl.elaborate.expr import CONSTANTS, FUNCTIONS, calls_in, names_of
from incdsl.elaborate.naming import DEFAULTS
from incdsl.errors import ErrorSink, SpecError, did_you_mean
from incdsl.ops import STATEMENTS, Op, Statement, layers
from incdsl.syntax import ast
from incdsl.syntax.program import Program

# Every network has these, declared or not: TF-Slim's depth_multiplier and min_depth.
IMPLICIT_PARAMS = {"width": 1.0, "min_depth": 16}
# Every block can read the channel count of the tensor it is applied to.
INPUT_CHANNELS = "in_channels"


@dataclass(frozen=True)
class OpLine:
    op: Op
    args: Bound


@dataclass(frozen=True)
class BlockLine:
    block: ast.Definition
    args: dict[str, Slot]  # parameter -> its argument (`no relu` is a Literal false)


@dataclass(frozen=True)
class StatementLine:
    statement: Statement
    args: Bound


@dataclass(frozen=True)
class DefaultsLine:
    op: Op
    args: Bound


@dataclass
class Resolution:
    """Each line of the program (by identity) -> what it is."""

    program: Program
    lines: dict[int, OpLine | BlockLine | StatementLine | DefaultsLine] = field(
        default_factory=dict)

    def __getitem__(self, stmt: ast.Stmt):
        return self.lines[id(stmt)]


def resolve(program: Program) -> Resolution:
    """Raise one SpecError holding every problem found, or return the resolution."""
    resolution = Resolution(program)
    errors = ErrorSink()
    calls = nx.DiGraph()
    for d in program.definitions.values():
        _Definition(program, d, resolution, errors, calls).check()
    for cycle in _cycles(calls):
        first, second = cycle[0], cycle[1 % len(cycle)]
        chain = " -> ".join([*cycle, cycle[0]])
        errors.add(SpecError.at(calls.edges[first, second]["loc"],
                                f"block '{second}' is used inside itself ({chain})"))
    errors.raise_if_any()
    return resolution


def _cycles(calls: nx.DiGraph) -> list[list[str]]:
    """Each cycle once, starting at its block defined first: networkx's order of cycles and
    of their blocks varies from process to process, the report must not."""
    order = {name: index for index, name in enumerate(calls.nodes)}
    seen, out = set(), []
    for cycle in nx.simple_cycles(calls):
        if frozenset(cycle) not in seen:
            seen.add(frozenset(cycle))
            start = min(range(len(cycle)), key=lambda i: order[cycle[i]])
            out.append(cycle[start:] + cycle[:start])
    return sorted(out, key=lambda c: [order[n] for n in c])


def _check_marker(layer: ast.Layer, scope: set[str]) -> None:
    """`Block x2` repeats Block twice; when the line can also see a name `x2`, the writer may
    have meant it as an argument, so say which reading holds instead of picking one."""
    loc = layer.repeat_loc
    marker = loc.source.line(loc.line)[loc.column - 1 : (loc.end_column or 0) - 1]
    if marker in scope:
        raise SpecError.at(loc, f"'{marker}' reads as a repeat count ({marker[1:]} times), but "
                           f"'{marker}' is also a parameter here",
                           f"write '({marker})' to pass the parameter, or 'x({marker[1:]})' "
                           "to repeat")


def _is_source(stmt: ast.Stmt) -> bool:
    """A line of an op that reads no tensor: the network's input."""
    op = layers().get(stmt.name) if isinstance(stmt, ast.Layer) else None
    return op is not None and not op.takes_input


def scope_names(d: ast.Definition) -> set[str]:
    """The names a definition's expressions may read."""
    names = {p.name for p in d.params} | set(CONSTANTS)
    return names | set(IMPLICIT_PARAMS) if d.kind == "network" else names | {INPUT_CHANNELS}


class _Definition:
    def __init__(self, program: Program, d: ast.Definition, resolution: Resolution,
                 errors: ErrorSink, calls: nx.DiGraph):
        self.d, self.resolution, self.errors, self.calls = d, resolution, errors, calls
        self.blocks = program.blocks

    def check(self) -> None:
        seen = set()
        for p in self.d.params:
            if p.name in seen:
                self.errors.add(SpecError.at(p.loc, f"parameter '{p.name}' is declared twice"))
            seen.add(p.name)
        body = self.d.body
        if self.d.kind == "network" and not (body and _is_source(body[0])):
            where = body[0].loc if body else self.d.name_loc
            self.errors.add(SpecError.at(where, "a network starts with its input, like "
                                         "`input 3x299x299`"))
        self.body(body, scope_names(self.d), first=self.d.kind == "network")

    def body(self, stmts, scope: set[str], first: bool = False, inside: str | None = None
             ) -> None:
        """`inside`: the statement whose body this is, for statements that belong in one."""
        for index, stmt in enumerate(stmts):
            try:
                if isinstance(stmt, ast.Compound) and stmt.name in STATEMENTS:
                    parent = STATEMENTS[stmt.name].parent
                    if parent is not None and parent != inside:
                        raise SpecError.at(stmt.name_loc, f"'{stmt.name}:' belongs directly "
                                           f"inside `{parent}:`")
                self.stmt(stmt, scope, first and index == 0, inside)
            except SpecError as e:
                self.errors.add(e)

    def stmt(self, stmt: ast.Stmt, scope: set[str], first: bool = False,
             inside: str | None = None) -> None:
        if isinstance(stmt, ast.Chain):
            for layer in stmt.layers:
                if layer.name == DEFAULTS:
                    raise SpecError.at(layer.loc, "defaults must stand on a line of their own")
                self.layer(layer, scope, False)
        elif isinstance(stmt, ast.If):  # its arms belong to the body it stands in
            self.expr(stmt.cond, scope)
            self.body(stmt.then, scope, inside=inside)
            self.body(stmt.orelse, scope, inside=inside)
        elif isinstance(stmt, ast.Compound):
            self.compound(stmt, scope)
        else:
            self.layer(stmt, scope, first)

    def compound(self, stmt: ast.Compound, scope: set[str]) -> None:
        statement = STATEMENTS.get(stmt.name)
        if statement is None:
            raise SpecError.at(stmt.name_loc, f"unknown statement '{stmt.name}:'",
                               *did_you_mean(stmt.name, STATEMENTS),
                               f"statements with a body: {', '.join(STATEMENTS)}")
        args = bind(stmt.name, statement.signature, stmt.args, scope)
        self.slots(args, scope)
        self.resolution.lines[id(stmt)] = StatementLine(statement, args)
        statement.check(stmt, self.errors.add)
        self.body(stmt.body, scope | set(statement.body_names), inside=stmt.name)

    def layer(self, layer: ast.Layer, scope: set[str], first: bool) -> None:
        if layer.repeat is not None:
            _check_marker(layer, scope)
            self.expr(layer.repeat, scope)
        name, ops = layer.name, layers()
        if name == DEFAULTS:
            self.resolution.lines[id(layer)] = self.defaults(layer, scope)
        elif _is_source(layer) and not first:
            raise SpecError.at(layer.loc, f"{name} may only be the first line of a network")
        elif name in ops:
            args = bind(name, ops[name].signature, layer.args, scope)
            self.slots(args, scope)
            self.resolution.lines[id(layer)] = OpLine(ops[name], args)
        elif name in self.blocks:
            self.resolution.lines[id(layer)] = self.instance(self.blocks[name], layer, scope)
        elif name in STATEMENTS:
            raise SpecError.at(layer.name_loc, f"'{name}' needs an indented body: `{name}:`")
        else:
            raise SpecError.at(layer.name_loc, f"unknown layer or block '{name}'",
                               *did_you_mean(name, [*ops, *self.blocks, *STATEMENTS]))

    def defaults(self, layer: ast.Layer, scope: set[str]) -> DefaultsLine:
        first = layer.args[0] if layer.args else None
        name = first.value.id if isinstance(first, ast.Positional) and \
            isinstance(first.value, ast.Name) else None
        ops = {n: op for n, op in layers().items() if op.takes_input}
        if name not in ops:
            raise SpecError.at(first.loc if first else layer.loc,
                               "defaults needs a layer name, like `defaults conv eps=0.001`",
                               *did_you_mean(name or "", ops))
        args = bind(name, ops[name].signature, layer.args[1:], scope, partial=True)
        self.slots(args, scope)
        return DefaultsLine(ops[name], args)

    def instance(self, block: ast.Definition, layer: ast.Layer, scope: set[str]) -> BlockLine:
        if self.d.kind == "block":
            self.calls.add_edge(self.d.name, block.name, loc=layer.name_loc)
        names = [p.name for p in block.params]
        signature = f"{block.name}({', '.join(names)})"
        args: dict[str, Slot] = {}
        position = 0
        for arg in layer.args:
            if isinstance(arg, ast.Stride):
                raise SpecError.at(arg.loc, f"{block.name} is a block; a stride belongs to "
                                   "its layers")
            if isinstance(arg, ast.Positional):
                if position >= len(names):
                    raise SpecError.at(arg.loc, f"{block.name} takes {len(names)} argument(s), "
                                       "got more", signature)
                key, position = names[position], position + 1
            elif arg.name not in names:
                raise SpecError.at(arg.loc, f"{block.name} has no parameter '{arg.name}'",
                                   *did_you_mean(arg.name, names), signature)
            else:
                key = arg.name
            if key in args:
                raise SpecError.at(arg.loc, f"'{key}' is given twice")
            if isinstance(arg, ast.Negated):
                args[key] = Slot(Literal(False), arg.loc)
            else:
                self.expr(arg.value, scope)
                args[key] = Slot(arg.value, arg.loc)
        return BlockLine(block, args)

    def slots(self, args: Bound, scope: set[str]) -> None:
        for slot in args.slots.values():
            if isinstance(slot.value, ast.Expr):
                self.expr(slot.value, scope)

    def expr(self, expr: ast.Expr, scope: set[str]) -> None:
        for call in calls_in(expr):
            if call.func not in FUNCTIONS:
                self.errors.add(SpecError.at(call.loc, f"unknown function '{call.func}'",
                                             *did_you_mean(call.func, FUNCTIONS),
                                             f"functions: {', '.join(sorted(FUNCTIONS))}"))
        for name in names_of(expr):
            if name.id not in scope:
                self.errors.add(unknown_name(name, scope))


__all__ = ["BlockLine", "DefaultsLine", "OpLine", "Resolution", "StatementLine", "resolve",
           "source_text"]

"""Checks that need no shapes, run over every definition of a program before elaboration, so
that a file's mistakes are all reported at once: unknown layers, blocks, options and names,
wrong block arguments, and blocks that use themselves."""

from __future__ import annotations

import networkx as nx

from incdsl.elaborate.elaborate import IMPLICIT_PARAMS
from incdsl.elaborate.expr import CONSTANTS, FUNCTIONS
from incdsl.elaborate.ops import (
    ALL_OPTIONS,
    COMPOUNDS,
    DEFAULTS_STMT,
    NAMED_SLOTS,
    OPS,
    OpSpec,
    unknown_bare_name,
)
from incdsl.errors import ErrorSink, SpecError, did_you_mean
from incdsl.syntax import ast
from incdsl.syntax.program import Program


def validate(program: Program) -> None:
    """Raise one SpecError holding every problem found, or return."""
    errors = ErrorSink()
    calls = nx.DiGraph()
    for d in program.definitions.values():
        _Definition(program, d, errors, calls).check()
    for cycle in _cycles(calls):
        first, second = cycle[0], cycle[1 % len(cycle)]
        loc = calls.edges[first, second]["loc"]
        chain = " -> ".join([*cycle, cycle[0]])
        errors.add(SpecError.at(loc, f"block '{second}' is used inside itself ({chain})"))
    errors.raise_if_any()


def _cycles(calls: nx.DiGraph) -> list[list[str]]:
    seen, out = set(), []
    for cycle in nx.simple_cycles(calls):
        key = frozenset(cycle)
        if key not in seen:
            seen.add(key)
            out.append(cycle)
    return out


class _Definition:
    def __init__(self, program: Program, d: ast.Definition, errors: ErrorSink, calls):
        self.program, self.d, self.errors, self.calls = program, d, errors, calls
        self.blocks = program.blocks
        names = [p.name for p in d.params]
        if d.kind == "network":
            names += list(IMPLICIT_PARAMS)
        self.scope = set(names) | set(CONSTANTS)

    def check(self) -> None:
        seen = set()
        for p in self.d.params:
            if p.name in seen:
                self.errors.add(SpecError.at(p.loc, f"parameter '{p.name}' is declared twice"))
            seen.add(p.name)
        if self.d.kind == "network":
            first = self.d.body[0] if self.d.body else None
            if not (isinstance(first, ast.Layer) and first.name == "input"):
                where = first.loc if first is not None else self.d.name_loc
                self.errors.add(SpecError.at(where, "a network starts with its input, like "
                                             "`input 3x299x299`"))
        self.body(self.d.body, residual=False)

    def body(self, stmts, residual: bool) -> None:
        for stmt in stmts:
            try:
                self.stmt(stmt, residual)
            except SpecError as e:
                self.errors.add(e)

    def stmt(self, stmt: ast.Stmt, residual: bool) -> None:
        if isinstance(stmt, ast.Chain):
            for layer in stmt.layers:
                self.stmt(layer, residual)
        elif isinstance(stmt, ast.If):
            self.expr(stmt.cond, residual)
            self.body(stmt.then, residual)
            self.body(stmt.orelse, residual)
        elif isinstance(stmt, ast.Compound):
            if stmt.name not in COMPOUNDS:
                raise SpecError.at(stmt.name_loc, f"unknown statement '{stmt.name}:'",
                                   *did_you_mean(stmt.name, COMPOUNDS),
                                   f"statements with a body: {', '.join(COMPOUNDS)}")
            self.op_args(COMPOUNDS[stmt.name], stmt.args, residual)
            self.body(stmt.body, residual or stmt.name == "residual")
        else:
            assert isinstance(stmt, ast.Layer)
            self.layer(stmt, residual)

    def layer(self, layer: ast.Layer, residual: bool) -> None:
        if layer.repeat is not None:
            self.expr(layer.repeat, residual)
        if layer.name == DEFAULTS_STMT:
            first = layer.args[0] if layer.args else None
            op = first.value.id if isinstance(first, ast.Positional) and \
                isinstance(first.value, ast.Name) else None
            if op not in OPS:
                raise SpecError.at(first.loc if first else layer.loc,
                                   "defaults needs a layer name, like `defaults conv eps=0.001`",
                                   *did_you_mean(op or "", OPS))
            self.op_args(OPS[op], layer.args[1:], residual)
        elif layer.name in OPS:
            self.op_args(OPS[layer.name], layer.args, residual)
        elif layer.name in self.blocks:
            self.block_args(self.blocks[layer.name], layer, residual)
        elif layer.name in COMPOUNDS:
            raise SpecError.at(layer.name_loc, f"'{layer.name}' needs an indented body: "
                               f"`{layer.name}:`")
        else:
            raise SpecError.at(layer.name_loc, f"unknown layer or block '{layer.name}'",
                               *did_you_mean(layer.name, [*OPS, *self.blocks]))

    def op_args(self, spec: OpSpec, args, residual: bool) -> None:
        for arg in args:
            if isinstance(arg, ast.Negated):
                if arg.name not in spec.flags:
                    self._unknown_option(spec, arg.name, arg)
            elif isinstance(arg, ast.Stride):
                if "stride" not in spec.slots:
                    self.errors.add(SpecError.at(arg.loc, f"{spec.name} takes no stride"))
                self.expr(arg.value, residual)
            elif isinstance(arg, ast.Keyword):
                if arg.name not in spec.flags and arg.name not in spec.slots:
                    self._unknown_option(spec, arg.name, arg)
                self.expr(arg.value, residual)
            elif isinstance(arg.value, ast.Name) and (
                arg.value.id in spec.flags or arg.value.id in spec.words
                or spec.name in NAMED_SLOTS
            ):
                continue
            elif isinstance(arg.value, ast.Name) and arg.value.id in ALL_OPTIONS \
                    and arg.value.id not in self.scope:
                self.errors.add(unknown_bare_name(spec, arg.value, self.scope))
            else:
                self.expr(arg.value, residual, options=(*spec.flags, *spec.words))

    def _unknown_option(self, spec: OpSpec, name: str, arg) -> None:
        self.errors.add(SpecError.at(arg.loc, f"{spec.name} has no option '{name}'",
                                     *did_you_mean(name, [*spec.flags, *spec.slots,
                                                          *spec.words]),
                                     f"usage: {spec.usage()}"))

    def block_args(self, block: ast.Definition, layer: ast.Layer, residual: bool) -> None:
        if self.d.kind == "block":
            self.calls.add_edge(self.d.name, block.name, loc=layer.name_loc)
        names = [p.name for p in block.params]
        positional = 0
        for arg in layer.args:
            if isinstance(arg, ast.Positional):
                positional += 1
                if positional > len(names):
                    self.errors.add(SpecError.at(arg.loc, f"{block.name} takes {len(names)} "
                                                 "argument(s), got more",
                                                 f"{block.name}({', '.join(names)})"))
            elif isinstance(arg, ast.Stride):
                self.errors.add(SpecError.at(arg.loc, f"{block.name} is a block; a stride "
                                             "belongs to its layers"))
            elif arg.name not in names:
                self.errors.add(SpecError.at(arg.loc, f"{block.name} has no parameter "
                                             f"'{arg.name}'", *did_you_mean(arg.name, names),
                                             f"{block.name}({', '.join(names)})"))
            if not isinstance(arg, ast.Negated):
                self.expr(arg.value, residual)

    def expr(self, expr: ast.Expr, residual: bool, options=()) -> None:
        scope = self.scope | ({"trunk"} if residual else set())
        for call in _calls(expr):
            if call.func not in FUNCTIONS:
                self.errors.add(SpecError.at(call.loc, f"unknown function '{call.func}'",
                                             *did_you_mean(call.func, FUNCTIONS)))
        for name in _names(expr):
            if name.id not in scope:
                notes = did_you_mean(name.id, [*scope, *options])
                if name.id == "trunk":
                    notes = (("'trunk' (the trunk's channel count) exists only inside "
                             "`residual:`"),)
                self.errors.add(SpecError.at(name.loc, f"unknown name '{name.id}'", *notes))


def _names(expr: ast.Expr):
    if isinstance(expr, ast.Name):
        yield expr
    for child in _children(expr):
        yield from _names(child)


def _calls(expr: ast.Expr):
    if isinstance(expr, ast.Call):
        yield expr
    for child in _children(expr):
        yield from _calls(child)


def _children(expr: ast.Expr):
    if isinstance(expr, ast.Tuple):
        return expr.items
    if isinstance(expr, ast.Call):
        return expr.args
    if isinstance(expr, ast.Unary):
        return (expr.operand,)
    if isinstance(expr, ast.Binary):
        return (expr.left, expr.right)
    return ()


"""Syntax tree -> graph IR. Blocks are instantiated with their arguments, repeats unrolled,
defaults applied, and every node's typed attributes, shape, parameter count and MACs computed
as it is made, by its op (`incdsl.ops`).

The walk carries the current tensor (a node id) through each body: a layer consumes it and
makes a new one; a statement with a body (`concat:`, `residual:`, `aux NAME:`) walks its body
through `_Here`, the little interface statements see. What each line refers to was decided by
`resolve`; this module only evaluates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from incdsl.elaborate.bind import Bound, Literal
from incdsl.elaborate.expr import evaluate, to_ir
from incdsl.elaborate.naming import DEFAULTS, Scope, count_kinds, kind_of
from incdsl.elaborate.resolve import (
    IMPLICIT_PARAMS,
    INPUT_CHANNELS,
    BlockLine,
    OpLine,
    Resolution,
    resolve,
)
from incdsl.errors import ErrorSink, Location, SpecError, UsageError, did_you_mean
from incdsl.ir import expr as ir
from incdsl.ir.graph import BlockInstance, Container, Graph, Node, add_node, new_graph
from incdsl.ops import OPS, Op
from incdsl.ops.args import Args, Value, check_int, describe
from incdsl.ops.base import Context, ShapeError, Signature
from incdsl.syntax import ast
from incdsl.syntax.program import Program

MAX_REPEAT = 10_000
MAX_NODES = 50_000
MAX_NESTING = 64


@dataclass(frozen=True)
class Ctx:
    env: dict  # name -> value, for the expressions of the body being walked
    symbols: dict  # name -> what it stands for in the IR (a parameter, a tensor's channels)
    defaults: dict  # op name -> {slot: value} from `defaults` lines
    stack: tuple[str, ...] = ()  # names of the blocks being instantiated
    instances: tuple[str, ...] = ()  # their instance paths
    # ("in Block35, used at ...", where or None) notes for errors inside blocks
    trail: tuple[tuple[str, Location | None], ...] = ()
    frames: dict = field(default_factory=dict)  # statement name -> what it shares with its body
    conditions: tuple[ast.Expr, ...] = ()  # the `if`s whose arm is being walked, outermost first


def select_network(program: Program, network: str | None = None) -> ast.Definition:
    networks = program.networks
    if not networks:
        raise UsageError(f"{program.main.path}: defines no network (a library of "
                         f"{len(program.blocks)} blocks)")
    if network is None:
        return networks[0]
    for d in networks:
        if d.name == network:
            return d
    names = [d.name for d in networks]
    hint = did_you_mean(network, names)
    raise UsageError(f"{program.main.path}: no network '{network}'"
                     + (f"; {hint[0]}" if hint else "") + f" (networks: {', '.join(names)})")


def elaborate(program: Program, network: str | None = None,
              overrides: dict[str, Value] | None = None,
              resolution: Resolution | None = None) -> Graph:
    """Build the shaped graph of one network of a loaded program."""
    definition = select_network(program, network)
    elaborator = _Elaborator(resolution or resolve(program), definition)
    try:
        return elaborator.run(overrides or {})
    except _Abandon:
        elaborator.errors.raise_if_any()
        raise AssertionError("abandoned without an error") from None


class _Abandon(Exception):
    """Stop elaborating: what follows would only repeat or guess at recorded errors."""


class _Elaborator:
    def __init__(self, resolution: Resolution, definition: ast.Definition):
        self.resolution = resolution
        self.blocks = resolution.program.blocks
        self.definition = definition
        self.g = new_graph(definition.name, definition.loc.source.path)
        # Errors are collected per statement so that one run reports several. After a shape
        # error the shapes downstream are guesses, so only the first shape error is kept.
        self.errors = ErrorSink()
        self.shape_error_seen = False

    # ---- network ---------------------------------------------------------------------------

    def run(self, overrides: dict[str, Value]) -> Graph:
        d = self.definition
        env = self._network_env(overrides)
        self.g.graph["params"] = dict(env)
        width, min_depth = env["width"], env["min_depth"]
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= 64:
            raise UsageError(f"width must be a number in (0, 64], got {describe(width)}")
        if isinstance(min_depth, bool) or not isinstance(min_depth, int) or min_depth < 1:
            raise UsageError(f"min_depth must be a positive integer, got {describe(min_depth)}")
        self.cx = Context(width, min_depth)
        scope = Scope("", "", count_kinds(d.body, self.blocks))
        ctx = Ctx(env, {name: ir.Param(name) for name in env}, {})
        out = self._body(d.body, None, ctx, scope)
        self.errors.raise_if_any()
        if out is None:
            raise SpecError.at(d.name_loc, f"network {d.name} has no layers")
        self.g.graph["outputs"] = {"logits": out, **self.g.graph["outputs"]}
        return self.g

    def _network_env(self, overrides: dict[str, Value]) -> dict:
        d = self.definition
        declared = [p.name for p in d.params]
        known = declared + [n for n in IMPLICIT_PARAMS if n not in declared]
        for key in overrides:
            if key not in known:
                hint = did_you_mean(key, known)
                raise UsageError(f"--set {key}: {d.name} has no parameter '{key}'"
                                 + (f"; {hint[0]}" if hint else "")
                                 + f" (parameters: {', '.join(known)})")
        env: dict = {}
        for p in d.params:
            if p.name in overrides:
                env[p.name] = overrides[p.name]
            elif p.default is not None:
                env[p.name] = evaluate(p.default, env)
            else:
                raise UsageError(f"{d.name} needs a value for '{p.name}': --set {p.name}=...")
        for name, value in IMPLICIT_PARAMS.items():
            env.setdefault(name, overrides.get(name, value))
        return env

    # ---- sequences -------------------------------------------------------------------------

    def _body(self, body, cur: str | None, ctx: Ctx, scope: Scope) -> str | None:
        for stmt in body:
            try:
                if isinstance(stmt, ast.Layer) and stmt.name == DEFAULTS:
                    ctx = self._defaults(stmt, ctx)
                else:
                    cur = self._stmt(stmt, cur, ctx, scope)
            except SpecError as e:
                self._record(e, ctx)
                if cur is None or self.shape_error_seen or getattr(e, "fatal", False):
                    raise _Abandon() from None
        return cur

    def _record(self, e: SpecError, ctx: Ctx) -> None:
        if getattr(e, "from_shapes", False):
            if self.shape_error_seen:
                return
            self.shape_error_seen = True
        for note, where in reversed(ctx.trail):
            e = e.with_note(note, where)
        self.errors.add(e)

    def _stmt(self, stmt: ast.Stmt, cur, ctx: Ctx, scope: Scope, kind: str | None = None,
              first: int | None = None):
        if isinstance(stmt, ast.Chain):
            for layer in stmt.layers:
                cur = self._stmt(layer, cur, ctx, scope)
            return cur
        if isinstance(stmt, ast.If):
            cond = evaluate(stmt.cond, ctx.env)
            if not isinstance(cond, bool):
                raise SpecError.at(stmt.cond.loc, f"'if' needs true or false, got {describe(cond)}")
            ctx = replace(ctx, conditions=(*ctx.conditions, stmt.cond))
            return self._body(stmt.then if cond else stmt.orelse, cur, ctx, scope)
        line = self.resolution[stmt]
        if isinstance(stmt, ast.Compound):
            args = self._args(stmt.name, line.statement.signature, line.args, ctx, stmt,
                              cur=cur)
            return line.statement.elaborate(stmt, args, cur, _Here(self, ctx, scope))
        if isinstance(line, OpLine) and not line.op.takes_input:
            return self._source(line.op, stmt, ctx, scope)
        assert isinstance(line, OpLine | BlockLine)
        make = self._layer if isinstance(line, OpLine) else self._instance
        return self._repeated(stmt, cur, ctx, scope, kind, first, make)

    def _repeated(self, layer: ast.Layer, cur, ctx: Ctx, scope: Scope, kind, first, make):
        name = scope.name(kind or kind_of(layer, self.blocks), layer.alias, layer.loc, first)
        if layer.repeat is None:
            return make(layer, cur, ctx, scope, name, None)
        count = check_int(evaluate(layer.repeat, ctx.env), layer.loc, "the repeat count",
                          lo=0, hi=MAX_REPEAT)
        for index in range(count):
            cur = make(layer, cur, ctx, scope, name, (index, count))
        return cur

    # ---- layers ----------------------------------------------------------------------------

    def _args(self, name: str, sig: Signature, bound: Bound, ctx: Ctx, where: ast.Stmt,
              defaults: dict | None = None, cur: str | None = None) -> Args:
        """A line's slots evaluated, over the op's defaults and those of `defaults` lines."""
        bound.check(name, sig, where.loc)
        values = {**sig.defaults, **sig.flags, **(defaults or {})}
        locs, exprs = {}, {}
        for slot, arg in bound.slots.items():
            if isinstance(arg.value, Literal):
                values[slot] = arg.value.value
            else:
                values[slot] = evaluate(arg.value, ctx.env)
                if not isinstance(arg.value, (ast.Number, ast.Dims, ast.String)):
                    exprs[slot] = to_ir(arg.value, ctx.symbols)
            locs[slot] = arg.loc
        return Args(values, where.loc, locs, exprs, None if cur is None else ir.Channels(cur))

    def _source(self, op: Op, stmt: ast.Layer, ctx: Ctx, scope: Scope) -> str:
        """The network's input: a node that reads no other."""
        args = self._args(op.name, op.signature, self.resolution[stmt].args, ctx, stmt)
        attrs, _ = op.make(args, [], self.cx)
        name = scope.name(op.kind, stmt.alias, stmt.loc)
        node = self._add(scope, name, op, attrs, [], stmt, ctx, module=None)
        self.g.graph["input"] = node
        return node

    def _layer(self, layer: ast.Layer, cur, ctx: Ctx, scope: Scope, name: str, repeat) -> str:
        line = self.resolution[layer]
        op = line.op
        args = self._args(op.name, op.signature, line.args, ctx, layer,
                          ctx.defaults.get(op.name), cur)
        attrs, exprs = op.make(args, [self.g.nodes[cur]["shape"]], self.cx)
        if repeat is not None:
            name = f"{name}[{repeat[0]}]"
        module = scope.module_path(name).replace("[", ".").replace("]", "") \
            if op.has_module else None
        return self._add(scope, name, op, attrs, [cur], layer, ctx, module=module, exprs=exprs)

    def _defaults(self, stmt: ast.Layer, ctx: Ctx) -> Ctx:
        line = self.resolution[stmt]
        args = self._args(line.op.name, Signature(), line.args, ctx, stmt)
        merged = {**ctx.defaults.get(line.op.name, {}), **args.values}
        return replace(ctx, defaults={**ctx.defaults, line.op.name: merged})

    # ---- blocks ----------------------------------------------------------------------------

    def _instance(self, layer: ast.Layer, cur, ctx: Ctx, scope: Scope, name: str, repeat):
        d = self.resolution[layer].block
        if len(ctx.stack) > MAX_NESTING:
            raise SpecError.at(layer.loc, f"blocks are nested more than {MAX_NESTING} deep")
        args, arg_exprs = self._block_args(d, layer, ctx)
        child = scope.child(name, count_kinds(d.body, self.blocks),
                            None if repeat is None else repeat[0])
        self.g.graph["blocks"][child.path] = BlockInstance(
            child.path, child.module, d.name, dict(args), layer.loc, d.name_loc,
            ctx.instances[-1] if ctx.instances else None, repeat, arg_exprs)
        env, symbols = dict(args), {p: ir.Param(p) for p in args}
        if INPUT_CHANNELS not in env:  # a parameter of that name wins
            env[INPUT_CHANNELS] = self.g.nodes[cur]["shape"][0]
            symbols[INPUT_CHANNELS] = ir.Channels(cur)
        inner = Ctx(env, symbols, ctx.defaults, (*ctx.stack, d.name),
                    (*ctx.instances, child.path),
                    trail=(*ctx.trail, (f"in {d.name}, used at {layer.loc}", layer.loc)))
        return self._body(d.body, cur, inner, child)

    def _block_args(self, d: ast.Definition, layer: ast.Layer, ctx: Ctx):
        given = self.resolution[layer].args
        env: dict = {}
        exprs: dict = {}
        for p in d.params:
            if p.name in given:
                value = given[p.name].value
                if isinstance(value, Literal):
                    env[p.name] = value.value
                else:
                    env[p.name] = evaluate(value, ctx.env)
                    if not isinstance(value, (ast.Number, ast.Dims, ast.String)):
                        exprs[p.name] = to_ir(value, ctx.symbols)
            elif p.default is not None:
                env[p.name] = evaluate(p.default, env)  # defaults may use earlier parameters
            else:
                names = ", ".join(q.name for q in d.params)
                raise SpecError.at(layer.loc, f"{d.name} needs a value for '{p.name}'",
                                   f"{d.name}({names}) is defined at {d.name_loc}")
        return env, exprs

    # ---- nodes -----------------------------------------------------------------------------

    def _add(self, scope: Scope, name: str, op: Op, attrs, inputs: list[str], stmt: ast.Stmt,
             ctx: Ctx, *, module: str | None, exprs=None) -> str:
        node_id = scope.node_id(name)
        try:
            shape, params, macs = op.infer(attrs, [self.g.nodes[i]["shape"] for i in inputs])
        except ShapeError as e:
            error = SpecError.at(stmt.loc, e.message, *e.notes)
            error.from_shapes = True
            raise error from None
        add_node(self.g, node_id, Node(
            op.name, attrs, list(inputs), shape, params, macs, module, ctx.instances,
            scope.path or None, stmt.loc, {k: v for k, v in (exprs or {}).items() if v}))
        if len(self.g) > MAX_NODES:
            error = SpecError.at(stmt.loc, f"the network has more than {MAX_NODES:,} layers; "
                                 "check the repeat counts")
            error.fatal = True
            raise error
        return node_id


class _Here:
    """What a statement sees of the walk: its scope, and ways to walk bodies and make nodes."""

    def __init__(self, elaborator: _Elaborator, ctx: Ctx, scope: Scope):
        self._el, self._ctx, self._scope = elaborator, ctx, scope

    def run(self, body, cur: str, names: dict[str, tuple[Value, ir.Expr]] | None = None,
            frame: tuple[str, object] | None = None, note: str | None = None) -> str:
        """Walk `body` from `cur` in this scope; `names` adds names its expressions may read,
        `frame` (statement name, object) something statements inside may reach by
        `frame(name)`, however deep (a residual's shortcut slot); `note` is said with any
        error inside."""
        ctx = self._ctx
        if note:
            ctx = replace(ctx, trail=(*ctx.trail, (note, None)))
        if names:
            ctx = replace(ctx, env={**ctx.env, **{k: v for k, (v, _) in names.items()}},
                          symbols={**ctx.symbols, **{k: e for k, (_, e) in names.items()}})
        if frame:
            ctx = replace(ctx, frames={**ctx.frames, frame[0]: frame[1]})
        return self._el._body(body, cur, ctx, self._scope)

    def frame(self, name: str):
        """What the innermost enclosing statement `name` shared with its body."""
        return self._ctx.frames[name]

    def switch(self) -> str | None:
        """The network parameter whose `if` chose this line, when a bare one did
        (`if aux_logits:`): what `--set NAME=false` turns off."""
        network = {p.name for p in self._el.definition.params}
        cond = self._ctx.conditions[-1] if self._ctx.conditions else None
        if isinstance(cond, ast.Name) and cond.id in network and not self._ctx.stack:
            return cond.id
        return None

    def line(self, stmt: ast.Stmt, cur: str, kind: str, first: int | None = None) -> str:
        """One line, its node named as a `kind` (numbered from `first`: `branch0`)."""
        return self._el._stmt(stmt, cur, self._ctx, self._scope, kind, first)

    def child(self, kind: str, alias: str | None, loc, body, first: int | None = None) -> _Here:
        """A module scope of its own inside this one: a branch of several layers, a head,
        a shortcut, a gate."""
        name = self._scope.name(kind, alias, loc, first)
        child = self._scope.child(name, count_kinds(body, self._el.blocks))
        self._el.g.graph["containers"][child.path] = Container(child.path, child.module, kind)
        return _Here(self._el, self._ctx, child)

    def emit(self, op: str, attrs, inputs: list[str], stmt: ast.Stmt, exprs=None, *,
             alias: bool = True) -> str:
        """A node of `op` reading `inputs`, named in this scope (by the statement's `as`
        name, unless `alias` is false because the statement gave it to its body)."""
        name = self._scope.name(OPS[op].kind, stmt.alias if alias else None, stmt.loc)
        return self._el._add(self._scope, name, OPS[op], attrs, inputs, stmt, self._ctx,
                             module=None, exprs=exprs)

    def layer(self, op: str, cur: str, stmt: ast.Stmt, kind: str) -> str:
        """A layer of `op` on `cur` with its default settings (and those of `defaults`
        lines), as if a line named it: `residual preact:` makes its `bn` so."""
        el, spec = self._el, OPS[op]
        sig = spec.signature
        values = {**sig.defaults, **sig.flags, **self._ctx.defaults.get(op, {})}
        args = Args(values, stmt.loc, input_channels=ir.Channels(cur))
        attrs, exprs = spec.make(args, [self.shape(cur)], el.cx)
        name = self._scope.name(kind, None, stmt.loc)
        module = self._scope.module_path(name) if spec.has_module else None
        return el._add(self._scope, name, spec, attrs, [cur], stmt, self._ctx, module=module,
                       exprs=exprs)

    def shape(self, node: str) -> tuple:
        return self._el.g.nodes[node]["shape"]

    def channels(self, node: str) -> tuple[int, ir.Expr]:
        """A tensor's channel count, as a value and as an IR expression."""
        return self.shape(node)[0], ir.Channels(node)

    def relative(self, node: str) -> str:
        """`branch1/conv2`: a node's name as seen from this scope (for messages)."""
        path = self._scope.path
        return node.rsplit("/", 1)[-1] if path == "" else node[len(path) + 1:]

    def has_output(self, name: str) -> bool:
        return name in self._el.g.graph["outputs"]

    def output(self, name: str, node: str) -> None:
        """An extra output of the network: an auxiliary head's result."""
        self._el.g.graph["outputs"][name] = node
        self._el.g.graph["aux"].add(name)

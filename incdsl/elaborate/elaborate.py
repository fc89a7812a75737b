"""Syntax tree -> graph IR. Blocks are instantiated with their arguments, repeats unrolled,
defaults applied, and every node's shape, parameter count and MACs computed as it is made.

The walk carries the current tensor (a node id) through each body: a layer consumes it and
makes a new one; `concat` runs each branch from the same input; `residual` runs its body and
adds the result back to the trunk; `aux` taps the current tensor for an extra output.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import networkx as nx

from incdsl.elaborate.expr import Value, describe, evaluate, names_in
from incdsl.elaborate.naming import Scope, count_kinds, kind_of
from incdsl.elaborate.ops import (
    COMPOUNDS,
    DEFAULTS_STMT,
    OPS,
    OpSpec,
    bind,
    check_float,
    check_int,
    check_pair,
    padding_for,
    source_text,
    symbolic,
)
from incdsl.errors import ErrorSink, SpecError, UsageError, did_you_mean
from incdsl.ir.graph import BlockInstance, add_node, new_graph
from incdsl.ir.shapes import MAX_CHANNELS, MAX_SPATIAL, ShapeError, infer
from incdsl.syntax import ast
from incdsl.syntax.parser import parse_expression
from incdsl.syntax.program import Program

MAX_REPEAT = 10_000
MAX_NODES = 50_000

# Every network has these, declared or not: TF-Slim's depth_multiplier and min_depth.
IMPLICIT_PARAMS: dict[str, Value] = {"width": 1.0, "min_depth": 16}


@dataclass(frozen=True)
class Ctx:
    env: dict  # names an expression may read
    defaults: dict  # op name -> {slot: value} from `defaults` lines
    stack: tuple[str, ...] = ()  # names of the blocks being instantiated
    instances: tuple[str, ...] = ()  # their instance paths
    in_residual: bool = False
    trail: tuple[str, ...] = ()  # "in Block35, used at ..." notes for errors inside blocks


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


def parse_overrides(pairs) -> dict[str, Value]:
    """`["classes=5", "width=0.5"]` -> {"classes": 5, "width": 0.5}, values parsed as spec
    expressions (constants only: a spec is data, so is the command line)."""
    out: dict[str, Value] = {}
    for pair in pairs or ():
        if isinstance(pair, tuple):
            key, value = pair
        else:
            if "=" not in pair:
                raise UsageError(f"--set {pair}: expected NAME=VALUE, like --set classes=5")
            key, text = (s.strip() for s in pair.split("=", 1))
            try:
                value = evaluate(parse_expression(text, f"--set {key}"), {})
            except SpecError as e:
                hints = "".join(f"; {n}" for n in e.diagnostics[0].notes)
                raise UsageError(f"--set {pair}: {e.message}{hints}") from None
        if not key.isidentifier():
            raise UsageError(f"--set {key}: not a parameter name")
        out[key] = value
    return out


def elaborate(program: Program, network: str | None = None,
              overrides: dict[str, Value] | None = None) -> nx.DiGraph:
    """Build the shaped graph of one network of a loaded program."""
    definition = select_network(program, network)
    elaborator = _Elaborator(program, definition)
    try:
        return elaborator.run(overrides or {})
    except _Abandon:
        elaborator.errors.raise_if_any()
        raise AssertionError("abandoned without an error") from None


class _Abandon(Exception):
    """Stop elaborating: what follows would only repeat or guess at recorded errors."""


class _Elaborator:
    def __init__(self, program: Program, definition: ast.Definition):
        self.program = program
        self.blocks = program.blocks
        self.definition = definition
        self.g = new_graph(definition.name, definition.loc.source.path)
        # Errors are collected per statement so that one run reports several. After a shape
        # error the shapes downstream are guesses, so only the first shape error is kept.
        self.errors = ErrorSink()
        self.shape_error_seen = False

    # ---- network ---------------------------------------------------------------------------

    def run(self, overrides: dict[str, Value]) -> nx.DiGraph:
        d = self.definition
        env = self._network_env(overrides)
        self.g.graph["params"] = dict(env)
        self.width, self.min_depth = env["width"], env["min_depth"]
        if isinstance(self.width, bool) or not isinstance(self.width, (int, float)) \
                or not 0 < self.width <= 64:
            raise UsageError(f"width must be a number in (0, 64], got {describe(self.width)}")
        if isinstance(self.min_depth, bool) or not isinstance(self.min_depth, int) \
                or self.min_depth < 1:
            raise UsageError(f"min_depth must be a positive integer, got "
                             f"{describe(self.min_depth)}")
        scope = Scope("", "", count_kinds(d.body, self.blocks))
        out = self._body(d.body, None, Ctx(env, {}), scope)
        self.errors.raise_if_any()
        if out is None:
            raise SpecError.at(d.name_loc, f"network {d.name} has no layers")
        outputs = self.g.graph["outputs"]
        self.g.graph["outputs"] = {"logits": out, **outputs}
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
            if p.name in env:
                raise SpecError.at(p.loc, f"parameter '{p.name}' is declared twice")
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
                if isinstance(stmt, ast.Layer) and stmt.name == DEFAULTS_STMT:
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
        for note in reversed(ctx.trail):
            e = e.with_note(note)
        self.errors.add(e)

    def _stmt(self, stmt: ast.Stmt, cur, ctx: Ctx, scope: Scope, kind: str | None = None):
        if isinstance(stmt, ast.Chain):
            for layer in stmt.layers:
                cur = self._stmt(layer, cur, ctx, scope)
            return cur
        if isinstance(stmt, ast.If):
            cond = evaluate(stmt.cond, ctx.env)
            if not isinstance(cond, bool):
                raise SpecError.at(stmt.cond.loc, f"'if' needs true or false, got {describe(cond)}")
            return self._body(stmt.then if cond else stmt.orelse, cur, ctx, scope)
        if isinstance(stmt, ast.Compound):
            return self._compound(stmt, cur, ctx, scope)
        assert isinstance(stmt, ast.Layer)
        if stmt.name == "input":
            return self._input(stmt, cur, ctx, scope)
        if stmt.name == DEFAULTS_STMT:
            raise SpecError.at(stmt.loc, "defaults must stand on a line of their own")
        if cur is None:
            raise SpecError.at(stmt.loc, "a network starts with its input, like `input 3x299x299`")
        if stmt.name in OPS:
            return self._repeated(stmt, cur, ctx, scope, kind, self._op)
        if stmt.name in self.blocks:
            return self._repeated(stmt, cur, ctx, scope, kind, self._instance)
        if stmt.name in COMPOUNDS:
            raise SpecError.at(stmt.name_loc, f"'{stmt.name}' needs an indented body: "
                               f"`{stmt.name}:`")
        raise SpecError.at(stmt.name_loc, f"unknown layer or block '{stmt.name}'",
                           *did_you_mean(stmt.name, [*OPS, *self.blocks, *COMPOUNDS]))

    def _repeated(self, layer: ast.Layer, cur, ctx: Ctx, scope: Scope, kind, make):
        name = scope.name(kind or kind_of(layer, self.blocks), layer.alias, layer.loc)
        if layer.repeat is None:
            return make(layer, cur, ctx, scope, name, None)
        count = evaluate(layer.repeat, ctx.env)
        count = check_int(count, layer, "the repeat count", lo=0, hi=MAX_REPEAT)
        for index in range(count):
            cur = make(layer, cur, ctx, scope, name, (index, count))
        return cur

    # ---- layers ----------------------------------------------------------------------------

    def _input(self, stmt: ast.Layer, cur, ctx: Ctx, scope: Scope) -> str:
        if cur is not None or ctx.stack:
            raise SpecError.at(stmt.loc, "input may only be the first line of a network")
        bound = bind(OPS["input"], stmt.args, ctx.env, stmt)
        value, arg = bound["shape"]
        if "height" in bound or "width" in bound:  # input(3, size, size)
            value = (value, bound.get("height", (None,))[0], bound.get("width", (None,))[0])
        if not isinstance(value, tuple) or len(value) != 3:
            raise SpecError.at(arg.loc, f"input needs a shape C x H x W, like 3x299x299, got "
                               f"{describe(value)}")
        shape = (check_int(value[0], arg, "input channels", 1, MAX_CHANNELS),
                 check_int(value[1], arg, "input height", 1, MAX_SPATIAL),
                 check_int(value[2], arg, "input width", 1, MAX_SPATIAL))
        name = scope.name("input", stmt.alias, stmt.loc)
        node = self._add(scope, name, "input", {"shape": shape}, [], stmt, ctx, module=None)
        self.g.graph["input"] = node
        return node

    def _op(self, layer: ast.Layer, cur, ctx: Ctx, scope: Scope, name: str, repeat) -> str:
        spec = OPS[layer.name]
        bound = bind(spec, layer.args, ctx.env, layer)
        values = {**spec.defaults, **ctx.defaults.get(spec.name, {}),
                  **{k: v for k, (v, _) in bound.items()}}
        op, attrs = self._lower(spec, values, bound, layer, ctx, self.g.nodes[cur]["shape"])
        if repeat is not None:
            name = f"{name}[{repeat[0]}]"
        module = None if op in ("relu", "flatten") else scope.module_path(name).replace("[", ".") \
            .replace("]", "")
        rename = {"out": "out_channels" if op == "conv" else "out_features"}
        return self._add(scope, name, op, attrs, [cur], layer, ctx, module=module,
                         exprs=symbolic(bound, rename))

    def _lower(self, spec: OpSpec, values: dict, bound: dict, layer: ast.Layer, ctx: Ctx,
               in_shape: tuple) -> tuple[str, dict]:
        def at(slot):  # the argument to blame for a bad value
            return bound[slot][1] if slot in bound else layer

        name = spec.name
        if name == "conv":
            out = check_int(values["out"], at("out"), "output channels")
            arg = bound["out"][1]
            reads_trunk = isinstance(arg, ast.Positional | ast.Keyword) and ctx.in_residual \
                and "trunk" in names_in(arg.value)
            if self.width != 1 and not reads_trunk:
                out = max(int(out * self.width), self.min_depth)
            kernel = check_pair(values["kernel"], at("kernel"), "kernel size")
            attrs = {
                "in_channels": in_shape[0], "out_channels": out, "kernel": kernel,
                "stride": check_pair(values["stride"], at("stride"), "stride"),
                "padding": padding_for(values["padding"], kernel, bound.get("padding", (0, None))[1],
                                    layer),
                "bias": values["bias"], "bn": values["bn"], "relu": values["relu"],
                "eps": check_float(values["eps"], at("eps"), "eps", 0.0, 1.0),
                "momentum": check_float(values["momentum"], at("momentum"), "momentum", 0.0, 1.0),
                "init_std": self._std(values, at),
            }
            return "conv", attrs
        if name in ("maxpool", "avgpool"):
            kernel = check_pair(values["kernel"], at("kernel"), "pool size")
            attrs = {"kernel": kernel, "stride": check_pair(values["stride"], at("stride"), "stride"),
                         "padding": padding_for(values["padding"], kernel,
                                             bound.get("padding", (0, None))[1], layer)}
            if name == "avgpool":
                attrs["count_include_pad"] = values["count_include_pad"]
            return name, attrs
        if name == "global":
            return f"global_{values['mode']}pool", {}
        if name == "dropout":
            return "dropout", {"p": check_float(values["p"], at("p"), "dropout probability",
                                                0.0, 0.999)}
        if name == "linear":
            out = check_int(values["out"], at("out"), "output features")
            return "linear", {"in_features": in_shape[0], "out_features": out,
                                  "bias": values["bias"], "init_std": self._std(values, at)}
        return spec.op, {}

    @staticmethod
    def _std(values, at):
        std = values.get("init_std")
        return None if std is None else check_float(std, at("init_std"), "init_std", 0.0, 10.0)

    def _defaults(self, stmt: ast.Layer, ctx: Ctx) -> Ctx:
        first = stmt.args[0] if stmt.args else None
        if not (isinstance(first, ast.Positional) and isinstance(first.value, ast.Name)):
            raise SpecError.at(stmt.loc, "defaults needs a layer name, like "
                               "`defaults conv eps=0.001 no bias`")
        op = first.value.id
        if op not in OPS or op == "input":
            raise SpecError.at(first.loc, f"no layer '{op}' to set defaults for",
                               *did_you_mean(op, [o for o in OPS if o != "input"]))
        bound = bind(OPS[op], stmt.args[1:], ctx.env, stmt, partial=True)
        merged = {**ctx.defaults.get(op, {}), **{k: v for k, (v, _) in bound.items()}}
        return replace(ctx, defaults={**ctx.defaults, op: merged})

    # ---- blocks ----------------------------------------------------------------------------

    def _instance(self, layer: ast.Layer, cur, ctx: Ctx, scope: Scope, name: str, repeat):
        d = self.blocks[layer.name]
        if d.name in ctx.stack:
            chain = " -> ".join([*ctx.stack[ctx.stack.index(d.name):], d.name])
            raise SpecError.at(layer.name_loc, f"block '{d.name}' uses itself ({chain})")
        if len(ctx.stack) > 64:
            raise SpecError.at(layer.loc, "blocks are nested more than 64 deep")
        args, arg_exprs = self._block_args(d, layer, ctx)
        child = scope.child(name, count_kinds(d.body, self.blocks),
                            None if repeat is None else repeat[0])
        self.g.graph["blocks"][child.path] = BlockInstance(
            child.path, child.module, d.name, dict(args), layer.loc, d.name_loc,
            ctx.instances[-1] if ctx.instances else None, repeat, arg_exprs)
        inner = Ctx(args, ctx.defaults, (*ctx.stack, d.name), (*ctx.instances, child.path),
                    trail=(*ctx.trail, f"in {d.name}, used at {layer.loc}"))
        return self._body(d.body, cur, inner, child)

    def _block_args(self, d: ast.Definition, layer: ast.Layer, ctx: Ctx) -> dict:
        names = [p.name for p in d.params]
        given: dict[str, Value] = {}
        exprs: dict[str, str] = {}
        position = 0
        for arg in layer.args:
            if isinstance(arg, ast.Stride):
                raise SpecError.at(arg.loc, f"{d.name} is a block; a stride belongs to its layers")
            if isinstance(arg, ast.Positional):
                if position >= len(names):
                    raise SpecError.at(arg.loc, f"{d.name} takes {len(names)} argument(s), "
                                       f"got more", f"{d.name}({', '.join(names)})")
                key, position = names[position], position + 1
            else:
                key = arg.name
                if key not in names:
                    raise SpecError.at(arg.loc, f"{d.name} has no parameter '{key}'",
                                       *did_you_mean(key, names),
                                       f"{d.name}({', '.join(names)})")
            if key in given:
                raise SpecError.at(arg.loc, f"'{key}' is given twice")
            given[key] = False if isinstance(arg, ast.Negated) else evaluate(arg.value, ctx.env)
            if isinstance(arg, (ast.Positional, ast.Keyword)) and \
                    not isinstance(arg.value, (ast.Number, ast.Dims)):
                exprs[key] = source_text(arg.value)
        env: dict = {}
        for p in d.params:
            if p.name in given:
                env[p.name] = given[p.name]
            elif p.default is not None:
                env[p.name] = evaluate(p.default, env)  # defaults may use earlier parameters
            else:
                raise SpecError.at(layer.loc, f"{d.name} needs a value for '{p.name}'",
                                   f"{d.name}({', '.join(names)}) is defined at {d.name_loc}")
        return env, exprs

    # ---- compound statements ---------------------------------------------------------------

    def _compound(self, stmt: ast.Compound, cur, ctx: Ctx, scope: Scope):
        if stmt.name not in COMPOUNDS:
            raise SpecError.at(stmt.name_loc, f"unknown statement '{stmt.name}:'",
                               *did_you_mean(stmt.name, COMPOUNDS),
                               f"statements with a body: {', '.join(COMPOUNDS)}")
        if cur is None:
            raise SpecError.at(stmt.loc, "a network starts with its input, like `input 3x299x299`")
        bound = bind(COMPOUNDS[stmt.name], stmt.args, ctx.env, stmt)
        if stmt.name == "branch":
            return self._body(stmt.body, cur, ctx, scope)
        if stmt.name == "concat":
            return self._concat(stmt, cur, ctx, scope)
        if stmt.name == "residual":
            return self._residual(stmt, bound, cur, ctx, scope)
        return self._aux(stmt, bound, cur, ctx, scope)

    def _concat(self, stmt: ast.Compound, cur, ctx: Ctx, scope: Scope) -> str:
        outs, names = [], []
        for child in stmt.body:
            if isinstance(child, ast.Layer) and child.name == DEFAULTS_STMT:
                raise SpecError.at(child.loc, "defaults cannot be a branch of concat")
            if isinstance(child, ast.Layer) and child.repeat is None:
                out = self._stmt(child, cur, ctx, scope, kind="branch")
            else:
                body = child.layers if isinstance(child, ast.Chain) else \
                    child.body if isinstance(child, ast.Compound) and child.name == "branch" \
                    else (child,)
                alias = child.alias if isinstance(child, ast.Compound) and \
                    child.name == "branch" else None
                name = scope.name("branch", alias, child.loc)
                out = self._body(body, cur, ctx, scope.child(name, count_kinds(body,
                                                                               self.blocks)))
            outs.append(out)
            names.append(out.rsplit("/", 1)[-1] if scope.path == "" else out[len(scope.path) + 1:])
        name = scope.name("concat", stmt.alias, stmt.loc)
        return self._add(scope, name, "concat", {"branch_names": names}, outs, stmt, ctx,
                         module=None)

    def _residual(self, stmt: ast.Compound, bound, cur, ctx: Ctx, scope: Scope) -> str:
        scale = bound.get("scale", (1.0, stmt))
        attrs = {"scale": check_float(scale[0], scale[1], "scale", -1e6, 1e6),
                 "relu": bound.get("relu", (False, stmt))[0]}
        trunk = self.g.nodes[cur]["shape"]
        inner = replace(ctx, env={**ctx.env, "trunk": trunk[0]}, in_residual=True)
        out = self._body(stmt.body, cur, inner, scope)
        name = scope.name("add", stmt.alias, stmt.loc)
        return self._add(scope, name, "add", attrs, [cur, out], stmt, ctx, module=None,
                         exprs=symbolic(bound))

    def _aux(self, stmt: ast.Compound, bound, cur, ctx: Ctx, scope: Scope) -> str:
        head = bound["name"][0]
        if not isinstance(head, str) or not head.isidentifier():
            raise SpecError.at(bound["name"][1].loc, "aux needs a name, like `aux aux_logits:`")
        if head == "logits" or head in self.g.graph["outputs"]:
            raise SpecError.at(bound["name"][1].loc, f"there is already an output '{head}'")
        name = scope.name("aux", stmt.alias or head, stmt.loc)
        child = scope.child(name, count_kinds(stmt.body, self.blocks))
        out = self._body(stmt.body, cur, ctx, child)
        self.g.graph["outputs"][head] = out
        self.g.graph["aux"].add(head)
        return cur

    # ---- nodes -----------------------------------------------------------------------------

    def _add(self, scope: Scope, name: str, op: str, attrs: dict, inputs: list[str],
             stmt: ast.Stmt, ctx: Ctx, *, module: str | None, exprs=None) -> str:
        node_id = scope.node_id(name)
        try:
            shape, params, macs = infer(op, attrs, [self.g.nodes[i]["shape"] for i in inputs])
        except ShapeError as e:
            error = SpecError.at(stmt.loc, e.message, *e.notes)
            error.from_shapes = True
            raise error from None
        if op == "concat":
            attrs = {}  # the branch names only served the error message
        add_node(self.g, node_id, op, inputs, attrs=attrs, shape=shape, params=params,
                 macs=macs, module=module, blocks=ctx.instances, loc=stmt.loc,
                 exprs=exprs or {})
        if len(self.g) > MAX_NODES:
            error = SpecError.at(stmt.loc, f"the network has more than {MAX_NODES:,} layers; "
                                 "check the repeat counts")
            error.fatal = True
            raise error
        return node_id

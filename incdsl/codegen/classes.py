"""One generated class per module scope: a block's instances, a branch that is more than a
sequence of layers, the network.

Constructor arguments are the block's parameters that its layers read (`in_channels`, the
width of the block's input, comes first); every layer's constructor comes from its op
(`Op.code`), every forward line from the lowering both backends share. Where instances of one
block differ in structure (a parameter chose layers, or a width multiplier turned an
expression into a number), each variant gets its own class, and a comment says so.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from dataclasses import dataclass, field

import networkx as nx

from incdsl.codegen.expressions import Unrenderable, param_name, to_python
from incdsl.codegen.format import LINE_LENGTH, Call, layout, with_comment
from incdsl.ir.graph import format_shape
from incdsl.lower import Repeat, Scope, identifier, is_attribute, lower
from incdsl.ops import OPS
from incdsl.ops.origin import Rebuilt

INDENT = "        "  # the body of __init__


@dataclass
class GeneratedClass:
    name: str
    params: list[str]  # constructor parameters after in_channels, in definition order
    text: str  # the class source, named by a placeholder, with shape comments
    key: str  # the same without comments: what makes two classes the same
    base: str  # the name it would have without variants
    what: str  # "block InceptionA", "branch1 of InceptionE", "network InceptionV3"
    baked: dict = field(default_factory=dict)  # parameters fixed into the structure
    first_use: str = ""  # module path of its first instance


class Classes:
    """The classes of a generated file, children before their parents."""

    def __init__(self, g: nx.DiGraph):
        self.g = g
        self.classes: list[GeneratedClass] = []
        self.heads: set[str] = set()  # every constructor written (`ConvBN`, `nn.Sequential`)
        self.uses_math = False

    def class_for(self, scope: Scope, base: str, block: str) -> tuple[str, list[str]]:
        """The class of a scope, made on first need: its name and constructor parameters.
        `block` is the spec's block (or network) it belongs to."""
        body = _ClassBody(self, scope, base, block)
        key, text, params = body.render()
        for existing in self.classes:
            if existing.key == key and existing.base == base:
                return existing.name, existing.params
        variants = [c for c in self.classes if c.base == base]
        name = base if not variants else f"{base}Variant{len(variants) + 1}"
        taken = {c.name for c in self.classes} | self.heads
        while name in taken:
            name += "_"
        self.classes.append(GeneratedClass(name, params, text, key, base, body.what(),
                                           body.baked(params), scope.module))
        return name, params


class _ClassBody:
    def __init__(self, classes: Classes, scope: Scope, base: str, block: str):
        self.classes, self.g, self.scope, self.base = classes, classes.g, scope, base
        self.block = block  # the spec's block (or network) the class belongs to
        self.root = scope.path is None
        self.env = _env(self.g, scope)
        self.single_input = not self.root and len(scope.inputs) == 1
        self.channels: dict[str, str] = {}  # value -> Python text for its channel count
        if self.single_input:
            self.channels[scope.inputs[0]] = "in_channels"
        self.used: set[str] = set()
        self.attributes: list[str] = []  # `self.scale = scale`: what forward reads
        # An attribute is named after its node when several nodes here have one (add1_scale).
        self.symbolic = Counter(attr for item in scope.items if isinstance(item, str)
                                for attr in self.g.nodes[item]["exprs"])

    # ---- values ----------------------------------------------------------------------------

    def render(self) -> tuple[str, str, list[str]]:
        g, scope = self.g, self.scope
        init: list[str] = []
        for item in scope.items:
            if isinstance(item, str) and item == g.graph["input"]:
                continue
            made = self.item(item)
            if made is None:
                continue
            name = _item_name(g, item)
            init += _note(g, item, scope)
            if is_attribute(name):
                init += layout(made, INDENT, f"self.{name} = ")
            else:  # a spec name that is a Python keyword, like `class`
                init += layout(Call("self.add_module", [f'"{name}"', made]), INDENT)
        forward = lower(g, scope, self.forward_value, outputs_name="InceptionOutputs")
        params = [p for p in self.env if p in self.used]
        lines = ["class {NAME}(nn.Module):", "{DOC}", ""]
        if self.root:
            defaults = "".join(f", {param_name(p)}={self.env[p]!r}" for p in params)
            lines.append(f"    def __init__(self{defaults}):")
        else:
            ctor = (["in_channels"] if self.single_input else []) + [param_name(p)
                                                                    for p in params]
            lines.append(f"    def __init__(self{''.join(', ' + p for p in ctor)}):")
        lines += ["        super().__init__()", *init, *self.attributes]
        if self.root:
            lines += _init_call(g)
        lines += ["", f"    def forward(self, {', '.join(forward.params)}):"]
        plain, commented = list(lines), lines
        for line in forward.body:
            text = INDENT + "    " * line.indent + line.text
            shapes = [format_shape(g.nodes[n]["shape"]) for n in line.nodes]
            plain.append(text)
            commented += with_comment(text, ", ".join(shapes)) if shapes else [text]
        # Shape comments are those of the first instance: instances that differ only there
        # share the class.
        return "\n".join(plain) + "\n", "\n".join(commented) + "\n", params

    def text(self, expr) -> str | None:
        """An IR expression as Python in this class, or None if it reads what the class
        cannot see (a parameter it does not have, a tensor outside it)."""
        if not expr.params() <= set(self.env):
            return None
        try:
            text = to_python(expr, self.channels.get)
        except Unrenderable:
            return None
        self.used |= expr.params()
        self.classes.uses_math |= "math." in text
        return text

    def value(self, node: str, attr: str) -> str:
        """A constructor argument: the expression the spec wrote, or the number."""
        data = self.g.nodes[node]
        expr = data["exprs"].get(attr)
        text = self.text(expr) if expr is not None else None
        return text if text is not None else repr(data["attrs"][attr])

    def forward_value(self, node: str, attr: str) -> str:
        """A value forward reads: from a parameter, an attribute set in __init__."""
        text = self.value(node, attr)
        if text == repr(self.g.nodes[node]["attrs"][attr]):
            return text
        name = attr
        if self.symbolic[attr] > 1:
            prefix = self.scope.path + "/" if self.scope.path else ""
            name = identifier(f"{node[len(prefix):]}_{attr}")
        self.attributes.append(f"        self.{name} = {text}")
        return f"self.{name}"

    def width(self, node: str) -> str:
        return self.channels.get(node) or str(self.g.nodes[node]["shape"][0])

    # ---- modules ---------------------------------------------------------------------------

    def item(self, item) -> Call | None:
        """The constructor of one item of the scope, tracking the channels it hands on."""
        g = self.g
        if isinstance(item, Repeat):
            calls = [self.item(member) for member in item.members]
            if all(c.flat() == calls[0].flat() for c in calls):
                repeated = f"*[{calls[0].flat()} for _ in range({len(calls)})]"
                return Call("nn.Sequential", [repeated])
            return Call("nn.Sequential", calls, explode=True)
        if isinstance(item, Scope):
            call = self.sequence(item) if item.sequence else self.child(item)
            for out in item.outputs:
                self.channels.setdefault(out, str(g.nodes[out]["shape"][0]))
            return call
        data = g.nodes[item]
        op = OPS[data["op"]]
        ins = [self.width(i) for i in data["inputs"]]

        def value(attr: str) -> str:
            return self.value(item, attr)

        self.channels[item] = op.channels(data["attrs"], ins, value, data["shape"])
        if data["module"] is None:
            return None
        head, args = op.code(data["attrs"], ins[0], value)
        self.classes.heads.add(head)
        return Call(head, args)

    def sequence(self, scope: Scope) -> Call:
        """A branch that is a plain sequence of layers: an nn.Sequential with their names."""
        parts = []
        for item in scope.items:
            call = self.item(item)
            name = _item_name(self.g, item)
            parts.append((name, call))
        self.classes.heads.add("OrderedDict")
        if all(is_attribute(n) for n, _ in parts):
            entries = [Call(f"{n}={c.head}", c.args, c.explode) for n, c in parts]
            return Call("nn.Sequential", [Call("OrderedDict", entries, explode=True)])
        pairs = ", ".join(f'("{n}", {c.flat()})' for n, c in parts)
        return Call("nn.Sequential", [Call("OrderedDict", [f"[{pairs}]"])])

    def child(self, scope: Scope) -> Call:
        """A block instance or a branch class, with its arguments from here."""
        if scope.instance is not None:
            block = scope.instance.block
            base = identifier(block)
        else:
            block, base = self.block, identifier(self.block) + _camel(scope.name)
        name, params = self.classes.class_for(scope, base, block)
        args = [self.width(scope.inputs[0])] if len(scope.inputs) == 1 else []
        for p in params:
            if scope.instance is not None:
                expr = scope.instance.arg_exprs.get(p)
                text = self.text(expr) if expr is not None else None
                text = text if text is not None else repr(scope.instance.args[p])
            else:  # a branch reads its block's parameters
                self.used.add(p)
                text = param_name(p)
            args.append(f"{param_name(p)}={text}")
        return Call(name, args)

    # ---- the class's description -----------------------------------------------------------

    def what(self) -> str:
        if self.root:
            return f"network {self.block}"
        if self.scope.instance is not None:
            return f"block {self.block}"
        return f"{self.scope.name} of {self.block}"

    def baked(self, params: list[str]) -> dict:
        if self.scope.instance is None:
            return {}
        return {k: v for k, v in self.scope.instance.args.items() if k not in params}


def _env(g: nx.DiGraph, scope: Scope) -> dict:
    """The parameters a scope's expressions may read: its block's, or the network's."""
    if scope.instance is not None:
        return dict(scope.instance.args)
    path = scope.path
    while path is not None and "/" in path:
        path = path.rsplit("/", 1)[0]
        if path in g.graph["blocks"]:
            return dict(g.graph["blocks"][path].args)
    return dict(g.graph["params"])


def _item_name(g: nx.DiGraph, item) -> str:
    if isinstance(item, (Scope, Repeat)):
        return item.name
    return g.nodes[item]["module"].rsplit(".", 1)[-1]


def _note(g: nx.DiGraph, item, scope: Scope) -> list[str]:
    """A comment above a layer the optimising passes made: which spec layers it holds."""
    if not isinstance(item, str) or not isinstance(OPS[g.nodes[item]["op"]], Rebuilt):
        return []
    data = g.nodes[item]
    text = OPS[data["op"]].note(data["attrs"])
    if scope.path:
        text = text.replace(scope.path + "/", "")
    width = LINE_LENGTH - len(INDENT) - 2
    return [f"{INDENT}# {line}" for line in textwrap.wrap(text, width)]


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in identifier(name).split("_"))


def _init_call(g: nx.DiGraph) -> list[str]:
    """`init_weights(self, {...})` with the standard deviations the spec chose."""
    stds = [(d["module"], d["attrs"]["init_std"]) for _, d in g.nodes(data=True)
            if d["module"] is not None and d["attrs"] is not None
            and d["attrs"].get("init_std")]
    if not stds:
        return ["        init_weights(self)"]
    lines = ["        init_weights(", "            self,", "            {"]
    lines += [f'                "{m}": {s!r},' for m, s in stds]
    return lines + ["            },", "        )"]

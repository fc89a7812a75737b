"""Graph IR -> a standalone Python module that imports only torch.

One class per block definition, its parameters as constructor arguments (`in_channels`, the
width of the block's input, comes first); the network class with its parameters as keyword
defaults; `forward`s written by `incdsl.nn.lower`, so the generated model computes exactly
what `incdsl.build()` builds, with the same state_dict keys. Where instances of one block
differ in structure (a parameter chose layers, or a width multiplier turned an expression into
a number), each variant gets its own class, and a comment says so.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import networkx as nx

from incdsl.codegen import prelude
from incdsl.codegen.expressions import param_name, translate
from incdsl.codegen.format import call, with_comment
from incdsl.ir.graph import format_shape
from incdsl.nn.lower import identifier, is_attribute, lower, module_ref
from incdsl.nn.scopes import Repeat, Scope, scope_tree

_TRANSLATED = {"conv": ("out_channels",), "linear": ("out_features",), "dropout": ("p",),
               "add": ("scale",)}


@dataclass
class _Class:
    name: str
    params: list[str]  # constructor parameters after in_channels, in definition order
    text: str  # the class source, named by a placeholder, with shape comments
    key: str  # the same without comments: what makes two classes the same
    block: str  # the spec's block (or network) name
    baked: dict = field(default_factory=dict)  # parameters fixed into the structure
    first_use: str = ""  # module path of its first instance


class _Module:
    """The generated file, class by class, in the order they must be defined."""

    def __init__(self, g: nx.DiGraph):
        self.g = g
        self.classes: list[_Class] = []
        self.layers: set[str] = set()
        self.uses_math = False

    def class_for(self, scope: Scope) -> tuple[str, list[str]]:
        """Name the class for a block instance and its constructor's parameters."""
        key, text, params, baked = self._render(scope, "{NAME}")
        block = scope.instance.block if scope.instance else self.g.graph["name"]
        for existing in self.classes:
            if existing.key == key and existing.block == block:
                return existing.name, existing.params
        same_block = [c for c in self.classes if c.block == block]
        base = identifier(block)
        name = base if not same_block else f"{base}Variant{len(same_block) + 1}"
        taken = {c.name for c in self.classes}
        while name in taken or name in ("ConvBN", "GlobalAvgPool", "GlobalMaxPool"):
            name += "_"
        self.classes.append(_Class(name, params, text, key, block, baked, scope.module))
        return name, params

    # ---- one class ---------------------------------------------------------------------

    def _render(self, scope: Scope, name: str):
        g = self.g
        root = scope.path is None
        env = dict(g.graph["params"]) if root else dict(scope.instance.args)
        single_input = not root and len(scope.inputs) == 1
        if single_input:
            env["trunk"] = g.nodes[scope.inputs[0]]["shape"][0]
        used: set[str] = set()
        channels: dict[str, str] = {}  # value -> Python text for its channel count
        if single_input:
            channels[scope.inputs[0]] = "in_channels"

        def expr(node: str, attr: str) -> str:
            data = g.nodes[node]
            value = data["attrs"][attr]
            text = data.get("exprs", {}).get(attr)
            if text is not None and attr in _TRANSLATED.get(data["op"], ()):
                done = translate(text, env, value)
                if done is not None:
                    used.update(done[1])
                    self.uses_math |= "math." in done[0]
                    return done[0]
            return repr(value)

        def width(value: str) -> str:
            return channels.get(value) or str(g.nodes[value]["shape"][0])

        init: list[str] = []
        attr_texts: dict[tuple[str, str], str] = {}
        containers: set[str] = set()
        seen_children: set[int] = set()
        children = _children(scope)
        adds = [n for n in scope.items if isinstance(n, str) and g.nodes[n]["op"] == "add"]
        prefix = scope.module + "." if scope.module else ""

        def containers_of(rel: str) -> list[str]:
            """`self.branch1 = nn.Module()` for each container on the way to `rel`, once."""
            parts, out = rel.split("."), []
            for i in range(1, len(parts)):
                container = ".".join(parts[:i])
                if container not in containers:
                    containers.add(container)
                    out.extend(_assign(container, "nn.Module", []))
            return out

        for node, data in g.nodes(data=True):
            if node not in scope.nodes or (root and data["op"] == "input"):
                continue
            owner = data["blocks"][-1] if data["blocks"] else None
            if owner != scope.path:
                item = children[_child_path(g, scope, owner)]
                if id(item) not in seen_children:
                    seen_children.add(id(item))
                    init += containers_of(item.module[len(prefix):])
                    init += self._child_init(item, scope, width, env, used)
                for s in item.scopes if isinstance(item, Repeat) else [item]:
                    for out in s.outputs:
                        channels.setdefault(out, str(g.nodes[out]["shape"][0]))
                continue
            op, attrs = data["op"], data["attrs"]
            if op == "add" and expr(node, "scale") != repr(attrs["scale"]):
                # A scale from a parameter is an attribute (`self.scale`), one per residual.
                attr = "scale" if len(adds) == 1 else identifier(
                    node[len(scope.path or "") + 1:] + "_scale")
                attr_texts[(node, "scale")] = f"self.{attr}"
                init.append(f"        self.{attr} = {expr(node, 'scale')}")
            channels[node] = self._channels(node, width, expr)
            if data["module"] is None:
                continue
            rel = data["module"][len(prefix):]
            init += containers_of(rel)
            head, args = self._layer(node, width, expr)
            init += _assign(rel, head, args)

        def attr_text(node: str, attr: str) -> str:
            return attr_texts.get((node, attr), repr(g.nodes[node]["attrs"][attr]))

        forward = lower(g, scope, attr_text, outputs_name="InceptionOutputs")
        params = [p for p in (env if root else scope.instance.args) if p in used]
        baked = {} if root else {k: v for k, v in scope.instance.args.items() if k not in used}
        lines = [f"class {name}(nn.Module):", "{DOC}", ""]
        if root:
            defaults = [f"{param_name(p)}={env[p]!r}" for p in params]
            lines.append(f"    def __init__(self{''.join(', ' + d for d in defaults)}):")
        else:
            ctor = (["in_channels"] if single_input else []) + [param_name(p) for p in params]
            lines.append(f"    def __init__(self{''.join(', ' + p for p in ctor)}):")
        lines.append("        super().__init__()")
        lines += init
        if root:
            stds = [(d["module"], d["attrs"]["init_std"]) for _, d in g.nodes(data=True)
                    if d["op"] in ("conv", "linear") and d["attrs"].get("init_std")]
            lines += _init_call(stds) if stds else ["        init_weights(self)"]
        lines.append("")
        lines.append(f"    def forward(self, {', '.join(forward.params)}):")
        plain, commented = list(lines), lines
        for line in forward.body:
            text = "        " + "    " * line.indent + line.text
            shapes = [format_shape(g.nodes[n]["shape"]) for n in line.nodes]
            plain.append(text)
            commented += with_comment(text, ", ".join(shapes)) if shapes else [text]
        # Shape comments are those of the first instance: instances that differ only there
        # share the class.
        return "\n".join(plain) + "\n", "\n".join(commented) + "\n", params, baked

    def docstring(self, cls: _Class) -> str:
        g = self.g
        if cls.block == g.graph["name"] and cls is self.classes[-1]:
            fixed = [f"{k}={v!r}" for k, v in g.graph["params"].items() if k not in cls.params]
            return "\n".join([f'    """The network {cls.block} of the spec.', "",
                              "    Fixed when this file was generated (regenerate with",
                              "    `incdsl compile --set NAME=VALUE` to change them):",
                              *textwrap.wrap(", ".join(fixed), 84, initial_indent="    ",
                                             subsequent_indent="    "),
                              '    """'])
        return (f'    """The block {cls.block} of the spec (the shapes in comments are those of '
                f'its\n    first use, {cls.first_use})."""')

    def _channels(self, node: str, width, expr) -> str:
        data = self.g.nodes[node]
        op, inputs = data["op"], data["inputs"]
        if op == "conv":
            return expr(node, "out_channels")
        if op == "linear":
            return expr(node, "out_features")
        if op == "concat":
            terms, constant = [], 0
            for src in inputs:
                text = width(src)
                if text.isdigit():
                    constant += int(text)
                else:
                    terms.append(text if text.isidentifier() else f"({text})")
            if constant or not terms:
                terms.append(str(constant))
            return " + ".join(terms)
        return width(inputs[0])

    def _layer(self, node: str, width, expr) -> tuple[str, list[str]]:
        data = self.g.nodes[node]
        op, a = data["op"], data["attrs"]
        cin = width(data["inputs"][0])
        if op == "conv":
            args = [cin, expr(node, "out_channels"), _pair(a["kernel"])]
            if a["bn"]:
                self.layers.add("ConvBN")
                args += _options(a["stride"], a["padding"])
                if a["eps"] != 0.001:
                    args.append(f"eps={a['eps']!r}")
                if a["momentum"] != 0.1:
                    args.append(f"momentum={a['momentum']!r}")
                if not a["relu"]:
                    args.append("relu=False")
                return "ConvBN", args
            args += _options(a["stride"], a["padding"])
            if not a["bias"]:
                args.append("bias=False")
            return "nn.Conv2d", args
        if op in ("maxpool", "avgpool"):
            args = [_pair(a["kernel"]), f"stride={_pair(a['stride'])}"]
            if a["padding"] != (0, 0):
                args.append(f"padding={_pair(a['padding'])}")
            if op == "avgpool" and not a["count_include_pad"]:
                args.append("count_include_pad=False")
            return ("nn.MaxPool2d" if op == "maxpool" else "nn.AvgPool2d"), args
        if op in ("global_avgpool", "global_maxpool"):
            name = "GlobalAvgPool" if op == "global_avgpool" else "GlobalMaxPool"
            self.layers.add(name)
            return name, []
        if op == "dropout":
            return "nn.Dropout", [expr(node, "p")]
        if op == "linear":
            args = [cin, expr(node, "out_features")]
            return "nn.Linear", args + ([] if a["bias"] else ["bias=False"])
        raise AssertionError(op)

    def _child_init(self, item, scope: Scope, width, env, used) -> list[str]:
        scopes = item.scopes if isinstance(item, Repeat) else [item]
        calls = []
        for s in scopes:
            name, params = self.class_for(s)
            args = [width(s.inputs[0])] if len(s.inputs) == 1 else []
            for p in params:
                value = s.instance.args[p]
                text = s.instance.arg_exprs.get(p)
                done = translate(text, env, value) if text is not None else None
                if done is not None:
                    used.update(done[1])
                args.append(f"{param_name(p)}={done[0] if done else repr(value)}")
            calls.append((name, args))
        module = item.module if isinstance(item, Repeat) else s.module
        rel = module[len(scope.module) + 1:] if scope.module else module
        if not isinstance(item, Repeat):
            return _assign(rel, calls[0][0], calls[0][1])
        if all(c == calls[0] for c in calls):
            one = f"{calls[0][0]}({', '.join(calls[0][1])})"
            return _assign(rel, "nn.Sequential", [f"*[{one} for _ in range({len(calls)})]"])
        return _assign(rel, "nn.Sequential", [f"{n}({', '.join(a)})" for n, a in calls])


def _assign(rel: str, head: str, args: list[str]) -> list[str]:
    """`self.branch1.conv2 = head(args)` in __init__; `add_module` for a name that is a
    Python keyword."""
    parent, _, name = rel.rpartition(".")
    if is_attribute(name):
        return call("        ", f"{module_ref(rel, '')} = {head}", args)
    return call("        ", f"{module_ref(parent, '')}.add_module",
                [f'"{name}"', f"{head}({', '.join(args)})"])


def _children(scope: Scope) -> dict[str, object]:
    out = {}
    for item in scope.items:
        if isinstance(item, Repeat):
            for s in item.scopes:
                out[s.path] = item
        elif isinstance(item, Scope):
            out[item.path] = item
    return out


def _child_path(g: nx.DiGraph, scope: Scope, owner: str) -> str:
    """The instance directly inside `scope` that contains block instance `owner`."""
    blocks = g.graph["blocks"]
    while blocks[owner].parent != scope.path:
        owner = blocks[owner].parent
    return owner


def _pair(value) -> str:
    value = tuple(value)
    return str(value[0]) if value[0] == value[1] else f"({value[0]}, {value[1]})"


def _options(stride, padding) -> list[str]:
    out = []
    if tuple(stride) != (1, 1):
        out.append(f"stride={_pair(stride)}")
    if tuple(padding) != (0, 0):
        out.append(f"padding={_pair(padding)}")
    return out


def _init_call(stds) -> list[str]:
    lines = ["        init_weights(", "            self,", "            {"]
    lines += [f'                "{m}": {s!r},' for m, s in stds]
    lines += ["            },", "        )"]
    return lines


def generate(g: nx.DiGraph) -> str:
    """The Python source of a module defining the network of `g` and its blocks."""
    module = _Module(g)
    tree = scope_tree(g)
    module.class_for(tree)
    aux = [name for name in g.graph["outputs"]]
    head = [f'"""{g.graph["name"]}: generated by incdsl from {_source_name(g)}.',
            "",
            "Needs only torch. State_dict keys and outputs equal those of incdsl.build() for",
            'the same spec and settings."""',
            "",
            *(["from collections import namedtuple", ""] if len(aux) > 1 else []),
            *(["import math", ""] if module.uses_math else []),
            "import torch",
            "import torch.nn.functional as F",
            "from torch import nn"]
    if len(aux) > 1:
        fields = ", ".join(f'"{a}"' for a in aux)
        head += ["", "# What the network returns in training mode, like torchvision's.",
                 f'InceptionOutputs = namedtuple("InceptionOutputs", [{fields}])']
    parts = ["\n".join(head) + "\n"]
    for name, text in (("ConvBN", prelude.CONV_BN), ("GlobalAvgPool", prelude.GLOBAL_AVG_POOL),
                       ("GlobalMaxPool", prelude.GLOBAL_MAX_POOL)):
        if name in module.layers:
            parts.append(text.strip("\n") + "\n")
    parts.append(prelude.INIT.strip("\n") + "\n")
    for cls in module.classes:  # children before parents, the network last
        text = cls.text.replace("{NAME}", cls.name, 1).replace("{DOC}", module.docstring(cls), 1)
        if cls.name != cls.block:
            fixed = ", ".join(f"{k}={v!r}" for k, v in cls.baked.items())
            why = f"{fixed} is fixed in its layers" if fixed else "its instances differ"
            text = f"# A variant of {cls.block} ({why}).\n" + text
        parts.append(text)
    return "\n\n".join(parts)


def _source_name(g: nx.DiGraph) -> str:
    import os

    return os.path.basename(g.graph.get("source") or "a spec")

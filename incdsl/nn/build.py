"""Graph IR -> torch.nn.Module, in memory.

The module tree follows the IR's module paths: one module per block instance (a class named
after the block, whose `forward` is the straight-line code `incdsl.nn.lower` writes for it),
`nn.Sequential` for the instances of one `x count`, plain containers for multi-layer
branches, and leaf layers from `incdsl.nn.layers` and torch.nn. So `state_dict` keys read
like the spec: `block35.3.branch1.conv2.conv.weight`.
"""

from __future__ import annotations

import linecache
from itertools import count

import networkx as nx
import torch
import torch.nn.functional as F
from torch import nn

from incdsl.nn import layers
from incdsl.nn.init import init_weights
from incdsl.nn.lower import lower
from incdsl.nn.scopes import Repeat, Scope, scope_tree

_class_cache: dict[tuple[str, str, str], type] = {}
_serial = count()


def build_module(g: nx.DiGraph, *, seed: int | None = None) -> nn.Module:
    tree = scope_tree(g)
    outputs = tuple(g.graph["outputs"])

    blocks: dict[str, nn.Module] = {}  # module path -> block-instance module
    sequences: set[str] = set()

    def visit(scope: Scope):
        for item in scope.items:
            for child in item.scopes if isinstance(item, Repeat) else [item]:
                if isinstance(child, Scope):
                    cls = _forward_class(child.instance.block, g, child, outputs)
                    blocks[child.module] = cls()
                    visit(child)
            if isinstance(item, Repeat):
                sequences.add(item.module)

    visit(tree)
    root = _forward_class(g.graph["name"], g, tree, outputs)()
    modules: dict[str, nn.Module] = {"": root}

    def ensure(path: str) -> nn.Module:
        if path not in modules:
            parent, _, name = path.rpartition(".")
            if path in blocks:
                module = blocks[path]
            elif path in sequences:
                module = nn.Sequential()
            else:
                module = nn.Module()
            ensure(parent).add_module(name, module)
            modules[path] = module
        return modules[path]

    instances = g.graph["blocks"]
    for node, data in g.nodes(data=True):
        for path in data["blocks"]:
            ensure(instances[path].module)
        if data["module"] is not None:
            parent, _, name = data["module"].rpartition(".")
            ensure(parent).add_module(name, make_layer(data["op"], data["attrs"]))
            modules[data["module"]] = getattr(ensure(parent), name)

    init_weights(root, g, seed)
    return root


def make_layer(op: str, attrs: dict) -> nn.Module:
    if op == "conv":
        args = (attrs["in_channels"], attrs["out_channels"], attrs["kernel"], attrs["stride"],
                attrs["padding"])
        if attrs["bn"]:
            return layers.ConvBN(*args, eps=attrs["eps"], momentum=attrs["momentum"],
                                 relu=attrs["relu"])
        return nn.Conv2d(*args, bias=attrs["bias"])
    if op == "maxpool":
        return nn.MaxPool2d(attrs["kernel"], attrs["stride"], attrs["padding"])
    if op == "avgpool":
        return nn.AvgPool2d(attrs["kernel"], attrs["stride"], attrs["padding"],
                            count_include_pad=attrs["count_include_pad"])
    if op == "global_avgpool":
        return layers.GlobalAvgPool()
    if op == "global_maxpool":
        return layers.GlobalMaxPool()
    if op == "dropout":
        return nn.Dropout(attrs["p"])
    if op == "linear":
        return nn.Linear(attrs["in_features"], attrs["out_features"], bias=attrs["bias"])
    raise AssertionError(f"no module for op {op!r}")  # lower() rejects unknown ops first


def _forward_class(name: str, g: nx.DiGraph, scope: Scope, outputs: tuple[str, ...]) -> type:
    """A Module subclass whose forward is the scope's lowered code; one class per distinct
    code, so the ten `Block35` instances share theirs."""
    return generated_class(name, lower(g, scope).source(), outputs)


def generated_class(name: str, source: str, outputs: tuple[str, ...]) -> type:
    key = (name, source, outputs)
    if key not in _class_cache:
        filename = f"<incdsl-generated {name} {next(_serial)}>"
        # Registered with linecache so tracebacks and inspect show the generated line.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        namespace = {"torch": torch, "F": F, "Outputs": layers.outputs_type(outputs)}
        # Our own generated code: every name in it comes from identifier(), every number
        # from the graph; spec text never reaches it.
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102
        _class_cache[key] = type(name, (GeneratedModule,), {
            "forward": namespace["forward"], "__module__": "incdsl.nn.generated",
            "_incdsl_key": key})
    return _class_cache[key]


class GeneratedModule(nn.Module):
    """Base of the classes build() makes. They exist only in memory, so pickling one stores
    the code of its forward and makes the class again when unpickled."""

    def __reduce__(self):
        return _restore, type(self)._incdsl_key, self.__dict__


def _restore(name: str, source: str, outputs: tuple[str, ...]) -> nn.Module:
    cls = generated_class(name, source, outputs)
    return cls.__new__(cls)

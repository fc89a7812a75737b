"""Graph IR -> torch.nn.Module, in memory.

The module tree follows the IR's module scopes (`incdsl.lower.scopes`): one module per block
instance, branch and head (a class whose `forward` is the straight-line code
`incdsl.lower.forward` writes for it; a branch that is a plain sequence of layers is an
`nn.Sequential` with the layers' names), an `nn.Sequential` for the instances of one `x count`,
and each node's own module from its op. So `state_dict` keys read like the spec:
`block35.3.branch1.conv2.conv.weight`.
"""

from __future__ import annotations

import linecache
from itertools import count

import networkx as nx
import torch
import torch.nn.functional as F
from torch import nn

from incdsl.lower import Repeat, Scope, identifier, lower, scope_tree
from incdsl.nn import layers
from incdsl.nn.init import init_weights
from incdsl.ops import OPS

_class_cache: dict[tuple[str, str, tuple[str, ...]], type] = {}
_serial = count()


def build_module(g: nx.DiGraph, *, seed: int | None = None) -> nn.Module:
    root = _module(g, scope_tree(g), tuple(g.graph["outputs"]))
    init_weights(root, g, seed)
    return root


def _module(g: nx.DiGraph, scope: Scope, outputs: tuple[str, ...]) -> nn.Module:
    if scope.sequence:
        module = nn.Sequential()
    else:
        module = generated_class(class_name(g, scope), lower(g, scope).source(), outputs)()
    for item in scope.items:
        if isinstance(item, Repeat):
            sequence = nn.Sequential()
            for index, member in enumerate(item.members):
                sequence.add_module(str(index), _part(g, member, outputs))
            module.add_module(item.name, sequence)
        elif isinstance(item, Scope) or g.nodes[item]["module"] is not None:
            name = item.name if isinstance(item, Scope) else \
                g.nodes[item]["module"].rsplit(".", 1)[-1]
            module.add_module(name, _part(g, item, outputs))
    return module


def _part(g: nx.DiGraph, item, outputs) -> nn.Module:
    if isinstance(item, Scope):
        return _module(g, item, outputs)
    data = g.nodes[item]
    return OPS[data["op"]].module(data["attrs"])


def class_name(g: nx.DiGraph, scope: Scope) -> str:
    """`Block35` for its instances, `Branch1` for a branch, the network's name at the top."""
    if scope.instance is not None:
        return identifier(scope.instance.block)
    if scope.container is not None:
        return "".join(p.capitalize() for p in identifier(scope.name).split("_"))
    return identifier(g.graph["name"])


def generated_class(name: str, source: str, outputs: tuple[str, ...]) -> type:
    """A Module subclass whose forward is `source`; one class per distinct code, so the ten
    `Block35` instances share theirs."""
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

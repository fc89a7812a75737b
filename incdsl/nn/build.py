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

from incdsl.errors import UsageError
from incdsl.lower import Repeat, Scope, identifier, lower, scope_tree
from incdsl.nn import layers
from incdsl.nn.init import init_weights
from incdsl.ops import OPS

_class_cache: dict[tuple[str, str, tuple[str, ...]], type] = {}
_serial = count()


def build_module(g: nx.DiGraph, *, seed: int | None = None,
                 canonical: nx.DiGraph | None = None) -> nn.Module:
    """The module of `g`. An optimised graph (incdsl.passes) needs `canonical`, the graph it
    was made from: the model is initialised as that one would be (the same seed gives the
    same weights) and loads and saves that one's state_dict."""
    if g.graph["optimized"] is None:
        root = _module(g, scope_tree(g), tuple(g.graph["outputs"]))
        init_weights(root, g, seed)
        # (C, H, W) of one image: weight import pairs tensors in the order forwards run on it
        root.input_shape = tuple(g.nodes[g.graph["input"]]["shape"])
        return root
    from incdsl.nn.canonical import attach

    assert canonical is not None and canonical.graph["optimized"] is None
    base = InferenceModule if g.graph["optimized"] == "inference" else GeneratedModule
    root = _module(g, scope_tree(g), tuple(g.graph["outputs"]), base)
    if base is InferenceModule:
        root.eval()
    attach(root, g, build_module(canonical, seed=seed).state_dict())
    return root


def _module(g: nx.DiGraph, scope: Scope, outputs: tuple[str, ...],
            base: type | None = None) -> nn.Module:
    if scope.sequence:
        module = nn.Sequential()
    else:
        module = generated_class(class_name(g, scope), lower(g, scope).source(), outputs,
                                 base or GeneratedModule)()
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


def generated_class(name: str, source: str, outputs: tuple[str, ...],
                    base: type | None = None) -> type:
    """A Module subclass whose forward is `source`; one class per distinct code, so the ten
    `Block35` instances share theirs."""
    base = base or GeneratedModule
    key = (name, source, outputs, base.__name__)
    if key not in _class_cache:
        filename = f"<incdsl-generated {name} {next(_serial)}>"
        # Registered with linecache so tracebacks and inspect show the generated line.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        namespace = {"torch": torch, "F": F, "Outputs": layers.outputs_type(outputs)}
        # Our own generated code: every name in it comes from identifier(), every number
        # from the graph; spec text never reaches it.
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102
        _class_cache[key] = type(name, (base,), {
            "forward": namespace["forward"], "__module__": "incdsl.nn.generated",
            "_incdsl_key": key})
    return _class_cache[key]


class GeneratedModule(nn.Module):
    """Base of the classes build() makes. They exist only in memory, so pickling one stores
    the code of its forward and makes the class again when unpickled."""

    def __reduce__(self):
        return _restore, type(self)._incdsl_key, self.__dict__


def _restore(name: str, source: str, outputs: tuple[str, ...], base: str) -> nn.Module:
    cls = generated_class(name, source, outputs, _BASES[base])
    return cls.__new__(cls)


class InferenceModule(GeneratedModule):
    """The root of an inference-optimised model: its BatchNorms are folded and its dropout
    gone, so it computes the spec's network in eval mode only, and refuses training mode."""

    def train(self, mode: bool = True):
        if mode:
            raise UsageError("this model was built with optimize='inference' (BatchNorm folded, "
                             "dropout removed): it runs in eval mode only; build it with "
                             "optimize='training' or None to train")
        return super().train(False)


_BASES = {c.__name__: c for c in (GeneratedModule, InferenceModule)}

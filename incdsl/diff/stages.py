"""A network as the stages a reader compares: the input, each run of uses of one block with the
same arguments (`Block35(scale=0.17) x10`), each layer outside blocks, each auxiliary head."""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from incdsl.draw.labels import shape_text
from incdsl.ir.graph import Graph, main_path_nodes
from incdsl.ops import OPS


@dataclass
class Stage:
    key: str  # what aligns two networks' stages: the block's name, the layer's op, `aux NAME`
    name: str  # what a reader calls it: `Block35(scale=0.17)`, `1x1 Conv (1536)`
    count: int = 1  # instances of the block in a row
    args: dict = field(default_factory=dict)  # the block's arguments
    nodes: list[str] = field(default_factory=list)
    input: str = ""  # shapes as the papers write them: 35x35x320
    output: str = ""
    params: int = 0
    macs: int = 0
    layers: list[str] = field(default_factory=list)  # one block instance's layers, in order
    block: str | None = None  # the path of the first block instance, for block stages

    def title(self) -> str:
        return f"{self.name} x{self.count}" if self.count > 1 else self.name

    def as_json(self) -> dict:
        return {"name": self.name, "count": self.count, "args": self.args,
                "input": self.input, "output": self.output, "params": self.params,
                "macs": self.macs, "layers": self.layers}


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return f"{v:g}" if isinstance(v, float) else str(v)


def block_name(block: str, args: dict) -> str:
    return f"{block}({', '.join(f'{k}={_value(v)}' for k, v in args.items())})" if args else block


def stages(g: Graph) -> list[Stage]:
    main = main_path_nodes(g)
    blocks = g.graph["blocks"]
    heads = {name: (nx.ancestors(g, g.graph["outputs"][name]) | {g.graph["outputs"][name]})
             - main for name in sorted(g.graph["aux"])}
    out: list[Stage] = []
    units: dict[str, Stage] = {}  # top-level instance path or aux head -> its stage
    for node, data in g.nodes(data=True):
        if node not in main:
            name = next(name for name, nodes in heads.items() if node in nodes)
            stage = units.get(f"aux {name}")
            if stage is None:
                stage = units[f"aux {name}"] = Stage(f"aux {name}", f"auxiliary head {name}")
                out.append(stage)
        elif data.blocks:
            top = blocks[data.blocks[0]]
            stage = units.get(top.path)
            if stage is None:
                last = out[-1] if out else None
                if last and last.block and last.key == top.block and last.args == top.args:
                    stage = units[top.path] = last
                    stage.count += 1
                else:
                    stage = units[top.path] = Stage(top.block, block_name(top.block, top.args),
                                                    args=dict(top.args), block=top.path)
                    out.append(stage)
        else:
            stage = Stage(data.op, OPS[data.op].label(data.attrs))
            out.append(stage)
        _add(g, stage, node)
    for stage in out:
        prefix = stage.block + "/" if stage.block else ""
        stage.layers = [f"{n[len(prefix):]}: {OPS[g.nodes[n].op].label(g.nodes[n].attrs)}"
                        for n in stage.nodes if n.startswith(prefix)]
    return out


def _add(g: Graph, stage: Stage, node: str) -> None:
    data = g.nodes[node]
    if not stage.nodes and data.inputs:
        stage.input = shape_text(g.nodes[data.inputs[0]].shape)
    stage.nodes.append(node)
    stage.output = shape_text(data.shape)
    stage.params += data.params
    stage.macs += data.macs

"""The numbers of a network: one row per layer (or per block, collapsed to a depth),
totals, and the grid sizes the image passes through. Reads the graph IR and the ops' own
summary text."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import networkx as nx

from incdsl.ir.graph import format_shape, main_path_nodes, total_macs, total_params
from incdsl.ops import OPS


@dataclass
class Row:
    name: str
    op: str
    shape: tuple
    params: int
    macs: int
    block: str | None  # enclosing block instance, None at network level


def rows(g: nx.DiGraph, depth: int | None = None) -> list[Row]:
    """Every layer; with `depth`, the layers inside blocks nested deeper are summed into one
    row for their block instance at that depth."""
    out: list[Row] = []
    index: dict[str, Row] = {}
    for node, d in g.nodes(data=True):
        blocks = d["blocks"]
        if depth is not None and len(blocks) >= depth + 1 and depth >= 0:
            inst = g.graph["blocks"][blocks[depth]]
            row = index.get(inst.path)
            if row is None:
                row = index[inst.path] = Row(inst.path, inst.block, d["shape"], 0, 0,
                                              blocks[depth - 1] if depth else None)
                out.append(row)
            row.params += d["params"]
            row.macs += d["macs"]
            row.shape = d["shape"]  # the block's last node is its output
            continue
        out.append(Row(node, OPS[d.op].describe(d.attrs), d["shape"], d["params"],
                       d["macs"], blocks[-1] if blocks else None))
    return out


def grid_sizes(g: nx.DiGraph) -> list[int]:
    """The spatial sizes on the way to the classifier: 299, 149, 147, 73, 71, 35, 17, 8."""
    main = main_path_nodes(g)
    sizes = {d["shape"][1] for n, d in g.nodes(data=True) if n in main and len(d["shape"]) == 3}
    return sorted(sizes, reverse=True)


def summary(g: nx.DiGraph, depth: int | None = None) -> dict:
    outputs = {name: list(g.nodes[n]["shape"]) for name, n in g.graph["outputs"].items()}
    return {
        "network": g.graph["name"],
        "source": g.graph["source"],
        "parameters": {k: v for k, v in g.graph["params"].items()},
        "input": list(g.nodes[g.graph["input"]]["shape"]),
        "outputs": outputs,
        "aux_outputs": sorted(g.graph["aux"]),
        "total_params": total_params(g),
        "total_macs": total_macs(g),
        "main_macs": total_macs(g, with_aux=False),
        "total_flops": 2 * total_macs(g),  # one multiply and one add per MAC
        "grid": grid_sizes(g),
        "optimized": g.graph["optimized"],
        "passes": list(g.graph["passes"]),
        "layers": [dict(asdict(r), shape=list(r.shape)) for r in rows(g, depth)],
    }


def format_table(g: nx.DiGraph, depth: int | None = None) -> str:
    data = rows(g, depth)
    name_w = max([len("Layer")] + [len(r.name) for r in data])
    op_w = max([len("Op")] + [len(r.op) for r in data])
    head = f"{'Layer':<{name_w}}  {'Op':<{op_w}}  {'Output':>14}  {'Params':>12}  {'MACs':>15}"
    lines = [f"{g.graph['name']}  ({g.graph['source']})"]
    if g.graph["optimized"]:
        lines.append(f"Optimised for {g.graph['optimized']}, passes in order:")
        lines += [f"  {note}" for note in g.graph["passes"]]
    lines += [head, "-" * len(head)]
    for r in data:
        lines.append(f"{r.name:<{name_w}}  {r.op:<{op_w}}  {format_shape(r.shape):>14}  "
                     f"{r.params:>12,}  {r.macs:>15,}")
    lines.append("-" * len(head))
    params, macs, main = total_params(g), total_macs(g), total_macs(g, with_aux=False)
    lines.append(f"Total params: {params:,}")
    aux = f" ({main / 1e9:.2f} G without auxiliary heads)" if main != macs else ""
    lines.append(f"Total MACs:   {macs:,} ({macs / 1e9:.2f} G){aux}")
    lines.append(f"Total FLOPs:  {2 * macs / 1e9:.2f} G (2 per multiply-accumulate)")
    inp = g.nodes[g.graph["input"]]["shape"]
    outs = ", ".join(f"{k} {format_shape(g.nodes[n]['shape'])}"
                     for k, n in g.graph["outputs"].items())
    lines.append(f"Input: {format_shape(inp)}   Outputs: {outs}")
    lines.append("Grid: " + " -> ".join(str(s) for s in grid_sizes(g)))
    return "\n".join(lines)

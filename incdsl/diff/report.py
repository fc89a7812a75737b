"""A comparison as text, like `diff`: `-` for stages only in A, `+` only in B, `~` changed
(with what changed beneath), two spaces for the same; then the grids and the totals."""

from __future__ import annotations

from incdsl.diff.compare import Comparison


def signed(n: int) -> str:
    return f"{n:+,}"


def _macs(n: int) -> str:
    return f"{n / 1e9:.2f} G" if abs(n) >= 1e7 else f"{n:,}"


def text(c: Comparison, a_name: str, b_name: str) -> str:
    """Nothing when the networks are the same."""
    if c.same:
        return ""
    a, b = c.a.graph, c.b.graph
    lines = [f"--- {a_name}: {a['name']} ({a['source']})",
             f"+++ {b_name}: {b['name']} ({b['source']})"]
    width = max(len(_title(ch)) for ch in c.changes)
    for ch in c.changes:
        mark = {"same": " ", "changed": "~", "added": "+", "removed": "-"}[ch.kind]
        stage = ch.b if ch.kind == "added" else ch.a
        line = f"{mark} {_title(ch):<{width}}  {stage.output or stage.input}"
        if ch.kind != "same":
            line += f"  params {signed(ch.params_delta)}, MACs {signed(ch.macs_delta)}"
        lines.append(line.rstrip())
        lines += [f"      {d}" for d in ch.details]
    grid_a, grid_b = c.grids
    grid = " -> ".join(map(str, grid_a))
    if grid_a != grid_b:
        grid += "  |  " + " -> ".join(map(str, grid_b))
    lines.append(f"grid: {grid}" + ("" if grid_a != grid_b else " (both)"))
    totals = c.totals()
    (pa, pb), (ma, mb) = totals["params"], totals["macs"]
    lines.append(f"params: {pa:,} -> {pb:,} ({signed(pb - pa)})")
    lines.append(f"MACs: {_macs(ma)} -> {_macs(mb)} ({signed(mb - ma)})")
    return "\n".join(lines)


def _title(ch) -> str:
    if ch.kind == "changed" and ch.a.name == ch.b.name and ch.a.count != ch.b.count:
        return f"{ch.a.name} x{ch.a.count} -> x{ch.b.count}"
    if ch.kind == "changed" and ch.a.title() != ch.b.title():
        return f"{ch.a.title()} -> {ch.b.title()}"
    return (ch.b if ch.kind == "added" else ch.a).title()


def as_json(c: Comparison, a_name: str, b_name: str) -> dict:
    totals = c.totals()
    return {
        "same": c.same,
        "a": {"spec": a_name, "network": c.a.graph["name"], "source": c.a.graph["source"],
              "params": totals["params"][0], "macs": totals["macs"][0], "grid": c.grids[0]},
        "b": {"spec": b_name, "network": c.b.graph["name"], "source": c.b.graph["source"],
              "params": totals["params"][1], "macs": totals["macs"][1], "grid": c.grids[1]},
        "stages": [ch.as_json() for ch in c.changes],
        "params_delta": totals["params"][1] - totals["params"][0],
        "macs_delta": totals["macs"][1] - totals["macs"][0],
    }

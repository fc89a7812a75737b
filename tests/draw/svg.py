"""Read a rendered SVG back: its boxes (graphviz nodes), arrows and their labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

NS = {"svg": "http://www.w3.org/2000/svg"}


@dataclass
class Drawing:
    nodes: dict[str, str]  # graphviz node id -> its label, lines joined by "\n"
    edges: dict[tuple[str, str], str]  # (tail, head) -> edge label ("" when none)
    title: str

    def labels(self) -> list[str]:
        return list(self.nodes.values())


def _texts(group) -> str:
    return "\n".join((t.text or "").strip() for t in group.iterfind("svg:text", NS))


def parse(svg: bytes | str) -> Drawing:
    root = ET.fromstring(svg)
    graph = root.find("svg:g", NS)
    title = _texts(graph)
    nodes, edges = {}, {}
    for group in graph.iter("{http://www.w3.org/2000/svg}g"):
        kind = group.get("class")
        name = group.findtext("svg:title", default="", namespaces=NS)
        if kind == "node":
            nodes[name] = _texts(group)
        elif kind == "edge":
            tail, head = name.replace("&#45;", "-").split("->")
            edges[(tail, head)] = _texts(group)
    return Drawing(nodes, edges, title)

"""Hover text: what a line is (its op, statement or block, from the registry and the program)
and what it makes in the networks: output shapes, parameters, multiply-accumulates. Inside a
block, one line per place the block is used (`InceptionResNetV2: Block35 x10 at 35x35x320`)."""

from __future__ import annotations

from collections import defaultdict

from incdsl.draw.labels import shape_text
from incdsl.elaborate.bind import source_text
from incdsl.elaborate.naming import DEFAULTS
from incdsl.ir.graph import Graph, total_macs, total_params
from incdsl.lsp.analysis import Analysis, key, users
from incdsl.lsp.places import definition_at, statement_at, word_at
from incdsl.ops import STATEMENTS, layers
from incdsl.syntax import ast


def amount(n: int) -> str:
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= scale:
            return f"{n / scale:.2f} {unit}".replace(".00 ", " ")
    return str(n)


def signature(d: ast.Definition) -> str:
    params = [p.name + (f"={source_text(p.default)}" if p.default else "") for p in d.params]
    return f"{d.name}({', '.join(params)})" if params else d.name


def doc_comment(d: ast.Definition) -> str:
    """The comment lines right above a definition."""
    lines, number = [], d.loc.line - 1
    while number >= 1 and d.loc.source.line(number).lstrip().startswith("#"):
        text = d.loc.source.line(number).strip()[1:]
        lines.insert(0, text.removeprefix(" "))
        number -= 1
    return "  \n".join(lines)  # markdown's line break


def describe_block(d: ast.Definition) -> str:
    text = f"```incdsl\n{d.kind} {signature(d)}\n```"
    comment = doc_comment(d)
    return text + (f"\n{comment}" if comment else "") + f"\n\n*{d.name_loc}*"


def describe_word(word: str, program) -> str | None:
    ops = layers()
    if word in ops:
        return f"**{word}**: {ops[word].doc}\n\n`{ops[word].signature.usage(word)}`"
    if word in STATEMENTS:
        statement = STATEMENTS[word]
        return f"**{word}:** {statement.doc}\n\n`{statement.signature.usage(word)}:`"
    if word == DEFAULTS:
        return "**defaults** OP options: settings for every OP line below, in blocks too"
    if program is not None and word in program.blocks:
        return describe_block(program.blocks[word])
    return None


def hover(analysis: Analysis, opened: list[Analysis], line: int, column: int) -> str | None:
    """Markdown for a 1-based position of the analysed text, or None."""
    program = analysis.program
    text = analysis.text.splitlines()[line - 1] if line <= len(analysis.text.splitlines()) else ""
    word = word_at(text, column - 1)
    if program is None:
        return describe_word(word[0], None) if word else None
    d = definition_at(program.main, line)
    if d is None:
        return None
    if d.name_loc.line == line and word and word[0] == d.name:
        return _definition(d, analysis, opened)
    stmt = statement_at(d, line, column)
    if stmt is None or isinstance(stmt, ast.If):
        return describe_word(word[0], program) if word else None
    head = stmt.name if isinstance(stmt, (ast.Layer, ast.Compound)) else None
    about = describe_word(word[0], program) if word and word[0] in program.blocks else None
    about = about or (describe_word(head, program) if head else None)
    shapes = _made_by(stmt, d, _graphs(d, analysis, opened), program)
    return "\n\n".join(part for part in (about, shapes) if part) or None


def _graphs(d: ast.Definition, analysis: Analysis, opened) -> list[Graph]:
    if d.kind == "network":
        return [analysis.graphs[d.name]] if d.name in analysis.graphs else []
    if analysis.graphs:
        return list(analysis.graphs.values())
    return [g for user in users(analysis.path, opened) for g in user.graphs.values()]


def _definition(d: ast.Definition, analysis: Analysis, opened) -> str:
    if d.kind == "block":
        uses = _uses(d, _graphs(d, analysis, opened))
        return describe_block(d) + ("\n\n" + "\n".join(uses) if uses else "")
    g = analysis.graphs.get(d.name)
    text = f"```incdsl\nnetwork {signature(d)}\n```"
    if g is None:
        return text
    inp, out = g.nodes[g.graph["input"]].shape, g.nodes[g.graph["outputs"]["logits"]].shape
    return (text + f"\n{total_params(g):,} parameters, {amount(total_macs(g, with_aux=False))}"
            f" MACs; {shape_text(inp)} → {shape_text(out)}")


def _uses(d: ast.Definition, graphs: list[Graph]) -> list[str]:
    out = []
    for g in graphs:
        sites = defaultdict(list)
        for inst in g.graph["blocks"].values():
            if inst.block == d.name:
                sites[key(inst.loc)].append(inst)
        for instances in sites.values():
            first = instances[0]
            inp, _ = _instance_shapes(g, first.path)
            out.append(f"- {g.graph['name']}: {d.name} x{len(instances)} at {inp} "
                       f"({first.loc})")
    return out


def _instance_shapes(g: Graph, path: str) -> tuple[str, str]:
    members = [n for n, data in g.nodes(data=True) if path in data.blocks]
    first = g.nodes[members[0]]
    inp = shape_text(g.nodes[first.inputs[0]].shape) if first.inputs else "?"
    return inp, shape_text(g.nodes[members[-1]].shape)


def _made_by(stmt: ast.Stmt, d: ast.Definition, graphs: list[Graph], program) -> str | None:
    """What the line makes in each graph, grouped by the place its definition is used."""
    where = key(stmt.loc)
    is_block = isinstance(stmt, ast.Layer) and stmt.name in program.blocks
    out = []
    for g in graphs:
        blocks = g.graph["blocks"]
        groups: dict = defaultdict(list)  # use site of d -> units [(path, params, macs)]
        if is_block:
            for inst in blocks.values():
                if inst.loc is not None and key(inst.loc) == where:
                    members = [n for n, x in g.nodes(data=True) if inst.path in x.blocks]
                    groups[_site(g, inst.parent, d)].append(
                        (inst.path, sum(g.nodes[n].params for n in members),
                         sum(g.nodes[n].macs for n in members), members))
        else:
            for n, x in g.nodes(data=True):
                if x.loc is not None and key(x.loc) == where:
                    groups[_site(g, x.blocks[-1] if x.blocks else None, d)].append(
                        (n, x.params, x.macs, [n]))
        for site, units in groups.items():
            out.append(_group_text(g, d, site, units))
    return "\n".join(out) if out else None


def _site(g: Graph, path: str | None, d: ast.Definition):
    """The instance of `d` around a block path (None in a network): the path and its use."""
    blocks = g.graph["blocks"]
    while path is not None and blocks[path].block != d.name:
        path = blocks[path].parent
    return None if path is None else key(blocks[path].loc)


def _group_text(g: Graph, d: ast.Definition, site, units) -> str:
    outs = sorted({shape_text(g.nodes[u[3][-1]].shape) for u in units})
    if len({(u[1], u[2]) for u in units}) == 1:
        each = f" each (x{len(units)})" if len(units) > 1 else ""
        params, macs = units[0][1], units[0][2]
    else:
        each = f" in all (x{len(units)})"
        params, macs = sum(u[1] for u in units), sum(u[2] for u in units)
    made = f"→ {', '.join(outs)}; {params:,} params, {amount(macs)} MACs{each}"
    name = g.graph["name"]
    if site is None and units[0][0] in g.graph["blocks"]:  # the line uses a block
        inp, _ = _instance_shapes(g, units[0][0])
        return f"- {name}: {g.graph['blocks'][units[0][0]].block} x{len(units)} at {inp} {made}"
    if site is None:
        return f"- {name}: {made}"
    instances = [inst for inst in g.graph["blocks"].values()
                 if inst.block == d.name and inst.loc is not None and key(inst.loc) == site]
    inp, _ = _instance_shapes(g, instances[0].path)
    return f"- {name}: {d.name} x{len(instances)} at {inp} ({instances[0].loc}) {made}"

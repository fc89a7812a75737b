"""Lower one scope of the graph IR to the straight-line body of its `forward`, as Python text.

Like torch.fx's code generator: every node becomes one assignment that calls a submodule
(`self.branch0(x)`) or a torch function (`torch.cat`), as its op writes it (`Op.forward`), in
spec order, so the forward costs no more than hand-written code and torch.compile / fx / export
see plain Python. Values take readable names: a one-input layer of the scope's own chain whose
input dies there reuses the input's name (`x = self.mixed_5b(x)`); anything else takes its own
name (`branch1 = self.branch1(x)`). Work that only an auxiliary head needs runs under
`if self.training:` in the scope that decides it, as in torchvision; a head's own module
computes its output whenever it is called.

The in-memory builder exec()s this text; the code generator writes it out with shape comments.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx

from incdsl.ir.graph import training_only
from incdsl.lower.scopes import Repeat, Scope
from incdsl.ops import OPS
from incdsl.ops.base import Statements

_RESERVED = {"self", "torch", "F", "nn", "Outputs", "math", "OrderedDict"}


@dataclass
class Line:
    indent: int  # extra levels below the function body
    text: str
    nodes: tuple[str, ...] = ()  # the nodes it computes, for shape comments


@dataclass
class Forward:
    params: list[str]  # argument names after self
    body: list[Line]

    def source(self, name: str = "forward") -> str:
        lines = [f"def {name}(self, {', '.join(self.params)}):"]
        lines += ["    " * (1 + line.indent) + line.text for line in self.body]
        return "\n".join(lines) + "\n"


@dataclass
class _Statement:
    targets: list[str]
    args: list[str]
    render: Callable[[list[str]], str | Statements]
    hints: tuple[str, ...]  # names to try for a fresh variable, best first
    chain: bool  # one input, one output: may take over its input's name
    training: bool
    trunk: bool = False  # a layer of the scope's own chain, not one input of a merge


# attr_text(node_id, attr_name) -> Python text for a value the forward needs (the add's scale).
AttrText = Callable[[str, str], str]


def literal_attr(g: nx.DiGraph) -> AttrText:
    return lambda node, name: repr(g.nodes[node]["attrs"][name])


def module_ref(module: str, scope_module: str) -> str:
    """`self.block35[3].branch1` for module `block35.3.branch1` seen from the network."""
    rel = module[len(scope_module) + 1:] if scope_module else module
    text = "self"
    for part in rel.split(".") if rel else ():
        if part.isdigit():
            text += f"[{part}]"
        elif is_attribute(part):
            text += f".{part}"
        else:  # a spec name that is a Python keyword, like `class`
            text = f'getattr({text}, "{part}")'
    return text


def is_attribute(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text).strip("_") or "v"
    if name[0].isdigit():
        name = "v" + name
    if keyword.iskeyword(name) or name in _RESERVED:
        name += "_"
    return name


def lower(g: nx.DiGraph, scope: Scope, attr_text: AttrText | None = None, *,
          outputs_name: str = "Outputs") -> Forward:
    attr_text = attr_text or literal_attr(g)
    aux_only = training_only(g)
    # A head's own module always computes; the scope that holds it decides when to call it.
    guarded = aux_only if not scope.nodes <= aux_only else set()
    statements = _statements(g, scope, attr_text, guarded)

    if scope.path is None:
        params_for = [g.graph["input"]]
        outputs = g.graph["outputs"]
        returned = [outputs["logits"], *(outputs[a] for a in outputs if a in g.graph["aux"])]
    else:
        params_for = list(scope.inputs)
        returned = list(scope.outputs)

    last_use: dict[str, float] = {}
    for index, st in enumerate(statements):
        for arg in st.args:
            last_use[arg] = index
    for value in returned:
        last_use[value] = float("inf")

    names: dict[str, str] = {}
    params = ["x"] if len(params_for) == 1 else [f"x{i}" for i in range(len(params_for))]
    names.update(zip(params_for, params))

    def live_names(index: int) -> set[str]:
        return {names[v] for v in names if last_use.get(v, -1) > index}

    body: list[Line] = []
    in_training = False  # inside an `if self.training:` opened for the statements above
    for index, st in enumerate(statements):
        args = [names[a] for a in st.args]
        if (st.chain and last_use.get(st.args[0], -1) == index
                and (st.trunk or args[0] in st.hints)):
            targets = [args[0]]
        else:
            taken = live_names(index) | set(params)
            targets = []
            for target in st.targets:
                hints = st.hints if len(st.targets) == 1 else (
                    identifier(target.rsplit("/", 1)[-1]),)
                free = [h for h in hints if h not in taken]
                name, n = (free[0] if free else hints[0]), 2
                while name in taken:
                    name, n = f"{hints[0]}_{n}", n + 1
                taken.add(name)
                targets.append(name)
        names.update(zip(st.targets, targets))
        rendered = st.render(args)
        if isinstance(rendered, Statements):
            texts = [line.format(out=targets[0]) for line in rendered.lines]
        else:
            texts = [f"{', '.join(targets)} = {rendered}"]
        if st.training and not in_training:
            body.append(Line(0, "if self.training:"))
        in_training = st.training
        indent = 1 if st.training else 0
        for i, text in enumerate(texts):
            body.append(Line(indent, text, tuple(st.targets) if i == 0 else ()))

    if scope.path is None and len(returned) > 1:
        body.append(Line(0, "if self.training:"))
        body.append(Line(1, f"return {outputs_name}({', '.join(names[v] for v in returned)})"))
        body.append(Line(0, f"return {names[returned[0]]}"))
    else:
        body.append(Line(0, f"return {', '.join(names[v] for v in returned)}"))
    return Forward(params, body)


def _statements(g, scope: Scope, attr_text: AttrText, guarded: set[str]) -> list[_Statement]:
    out = []
    prefix = scope.path + "/" if scope.path else ""
    for item in scope.items:
        if isinstance(item, Repeat) and item.chain:
            first, last = _ends(g, item.members[0]), _ends(g, item.members[-1])
            out.append(_call(g, module_ref(item.module, scope.module), first[0], last[1],
                             item.module, scope, guarded))
        elif isinstance(item, Repeat):
            for member in item.members:
                if isinstance(member, Scope):
                    out.append(_call(g, module_ref(member.module, scope.module), member.inputs,
                                     member.outputs, item.module, scope, guarded))
                else:
                    out.append(_node(g, member, scope, attr_text, guarded, prefix))
        elif isinstance(item, Scope):
            out.append(_call(g, module_ref(item.module, scope.module), item.inputs, item.outputs,
                             item.module, scope, guarded))
        elif item != g.graph["input"]:
            out.append(_node(g, item, scope, attr_text, guarded, prefix))
    return out


def _ends(g, item) -> tuple[list[str], list[str]]:
    if isinstance(item, Scope):
        return item.inputs, item.outputs
    return list(g.nodes[item]["inputs"]), [item]


def _node(g, node: str, scope: Scope, attr_text: AttrText, guarded: set[str],
          prefix: str) -> _Statement:
    data = g.nodes[node]
    op = OPS[data["op"]]
    call = module_ref(data["module"], scope.module) if op.has_module else None
    attrs = data["attrs"]

    def render(args: list[str]):
        return op.forward(attrs, args, call, lambda attr: attr_text(node, attr))

    parts = node[len(prefix):].split("/")
    hints = tuple(identifier("_".join(parts[:n])) for n in range(1, len(parts) + 1))
    return _Statement([node], list(data["inputs"]), render, hints,
                      chain=len(data["inputs"]) == 1, training=node in guarded,
                      trunk=len(parts) == 1 and not _merged(g, [node], scope))


def _call(g, ref, inputs, outputs, module, scope, guarded) -> _Statement:
    rel = module[len(scope.module) + 1:] if scope.module else module
    return _Statement(list(outputs), list(inputs), lambda a: f"{ref}({', '.join(a)})",
                      (identifier(rel.split(".")[0]), identifier(rel)),
                      chain=len(inputs) == len(outputs) == 1,
                      training=all(o in guarded for o in outputs),
                      trunk=not _merged(g, outputs, scope))


def _merged(g, nodes, scope: Scope) -> bool:
    """Whether a value is one input of a merge of this scope (a concat, a residual add):
    then it keeps a name of its own instead of taking over its input's."""
    return any(len(g.nodes[dst]["inputs"]) > 1 and g.nodes[dst]["scope"] == scope.path
               for n in nodes for dst in g.successors(n))

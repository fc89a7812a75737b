"""Lower one scope of the graph IR to the straight-line body of its `forward`, as Python text.

Like torch.fx's code generator: every node becomes one assignment that calls a submodule
(`self.branch1.conv2(branch1)`) or a torch function (`torch.cat`), in spec order, so the
forward costs no more than hand-written code and torch.compile / fx / export see plain Python.
Values take readable names: a one-input layer of the scope's own chain whose input dies there
reuses the input's name (`x = self.mixed_5b(x)`), as does a layer of a branch continuing that
branch (`branch1 = self.branch1.conv2(branch1)`); anything else takes its branch's name. Nodes only an auxiliary
head needs run under `if self.training:`, as in torchvision.

The in-memory builder exec()s this text; the code generator writes it out with shape comments.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx

from incdsl.errors import SpecError
from incdsl.nn.scopes import Repeat, Scope, training_only

MODULE_OPS = {"conv", "maxpool", "avgpool", "global_avgpool", "global_maxpool", "dropout",
              "linear"}
FUNCTIONAL_OPS = {"concat", "add", "relu", "flatten"}
SUPPORTED_OPS = MODULE_OPS | FUNCTIONAL_OPS | {"input"}
_RESERVED = {"self", "torch", "F", "nn", "Outputs"}


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
    render: Callable[[list[str]], str]
    hints: tuple[str, ...]  # names to try for a fresh variable, best first
    chain: bool  # one input, one output: may take over its input's name
    training: bool
    trunk: bool = False  # a layer of the scope's own chain, not inside a branch


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
    statements = _statements(g, scope, attr_text, aux_only)

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
        text = f"{', '.join(targets)} = {st.render(args)}"
        if st.training:
            if not (body and body[-1].indent == 1):
                body.append(Line(0, "if self.training:"))
            body.append(Line(1, text, tuple(st.targets)))
        else:
            body.append(Line(0, text, tuple(st.targets)))

    if scope.path is None and len(returned) > 1:
        body.append(Line(0, "if self.training:"))
        body.append(Line(1, f"return {outputs_name}({', '.join(names[v] for v in returned)})"))
        body.append(Line(0, f"return {names[returned[0]]}"))
    else:
        body.append(Line(0, f"return {', '.join(names[v] for v in returned)}"))
    return Forward(params, body)


def _statements(g, scope: Scope, attr_text: AttrText, aux_only: set[str]) -> list[_Statement]:
    out = []
    prefix = scope.path + "/" if scope.path else ""
    for item in scope.items:
        if isinstance(item, Repeat):
            if item.chain:
                first, last = item.scopes[0], item.scopes[-1]
                out.append(_call(g, module_ref(item.module, scope.module), first.inputs,
                                 last.outputs, item.module, scope, aux_only))
            else:
                out += [_call(g, module_ref(s.module, scope.module), s.inputs, s.outputs,
                              item.module, scope, aux_only) for s in item.scopes]
        elif isinstance(item, Scope):
            out.append(_call(g, module_ref(item.module, scope.module), item.inputs, item.outputs,
                             item.module, scope, aux_only))
        elif g.nodes[item]["op"] != "input":
            data = g.nodes[item]
            render = _render(g, item, scope, attr_text)
            parts = item[len(prefix):].split("/")
            hints = tuple(identifier("_".join(parts[:n])) for n in range(1, len(parts) + 1))
            out.append(_Statement([item], list(data["inputs"]), render, hints,
                                  chain=len(data["inputs"]) == 1, training=item in aux_only,
                                  trunk=len(parts) == 1 and not _feeds_concat(g, [item])))
    return out


def _call(g, ref, inputs, outputs, module, scope, aux_only) -> _Statement:
    rel = module[len(scope.module) + 1:] if scope.module else module
    return _Statement(list(outputs), list(inputs), lambda a: f"{ref}({', '.join(a)})",
                      (identifier(rel.split(".")[0]), identifier(rel)),
                      chain=len(inputs) == len(outputs) == 1,
                      training=all(o in aux_only for o in outputs),
                      trunk=not _feeds_concat(g, outputs))


def _feeds_concat(g, nodes) -> bool:
    """Whether a value is one branch of a concat (then it keeps its branch's name)."""
    return any(g.nodes[dst]["op"] == "concat" for n in nodes for dst in g.successors(n))


def _render(g, node: str, scope: Scope, attr_text: AttrText) -> Callable[[list[str]], str]:
    data = g.nodes[node]
    op, attrs = data["op"], data["attrs"]
    if op not in SUPPORTED_OPS:
        raise SpecError.at(data["loc"], f"the PyTorch backend has no '{op}' operation")
    if op in MODULE_OPS:
        ref = module_ref(data["module"], scope.module)
        if op == "conv" and attrs["relu"] and not attrs["bn"]:
            return lambda a: f"F.relu({ref}({a[0]}), inplace=True)"
        return lambda a: f"{ref}({a[0]})"
    if op == "concat":
        return lambda a: f"torch.cat([{', '.join(a)}], 1)"
    if op == "relu":
        return lambda a: f"F.relu({a[0]})"
    if op == "flatten":
        return lambda a: f"torch.flatten({a[0]}, 1)"
    # add: relu?(trunk + scale * residual)
    scale = attr_text(node, "scale")

    def add(a):
        total = f"{a[0]} + {a[1]}" if scale == "1.0" else f"{a[0]} + {a[1]} * {scale}"
        return f"F.relu({total}, inplace=True)" if attrs["relu"] else total

    return add

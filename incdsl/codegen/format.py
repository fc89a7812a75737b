"""Lay out generated lines the way `ruff format` would, so its check passes unchanged."""

from __future__ import annotations

from dataclasses import dataclass, field

LINE_LENGTH = 88  # ruff's default: the generated file may live in a project without a config


@dataclass
class Call:
    """`head(arg, ...)`, where an argument may be another call. `explode` puts one argument
    per line with a trailing comma, which ruff then keeps (a "magic trailing comma")."""

    head: str
    args: list[str | Call] = field(default_factory=list)
    explode: bool = False

    def flat(self) -> str:
        return f"{self.head}({', '.join(_flat(a) for a in self.args)})"

    def exploded(self) -> bool:
        return self.explode or any(isinstance(a, Call) and a.exploded() for a in self.args)


def _flat(arg: str | Call) -> str:
    return arg.flat() if isinstance(arg, Call) else arg


def layout(call: Call, indent: str, prefix: str = "", suffix: str = "") -> list[str]:
    """`prefix` + the call + `suffix` at `indent`: on one line if it fits, else split."""
    one = f"{indent}{prefix}{call.flat()}{suffix}"
    if len(one) <= LINE_LENGTH and not call.exploded():
        return [one]
    inner = indent + "    "
    head = f"{indent}{prefix}{call.head}("
    joined = f"{inner}{', '.join(_flat(a) for a in call.args)}"
    if not call.exploded() and len(joined) <= LINE_LENGTH:
        return [head, joined, f"{indent}){suffix}"]
    # One argument per line with trailing commas; a lone argument that is split only because
    # its own arguments are gets none, as ruff writes it.
    comma = "" if len(call.args) == 1 and not call.explode else ","
    out = [head]
    for arg in call.args:
        out += layout(arg, inner, suffix=comma) if isinstance(arg, Call) else \
            [f"{inner}{arg}{comma}"]
    return out + [f"{indent}){suffix}"]


def with_comment(line: str, comment: str) -> list[str]:
    """An inline comment when it fits, else on its own line above."""
    if len(line) + 4 + len(comment) <= LINE_LENGTH:
        return [f"{line}  # {comment}"]
    indent = line[: len(line) - len(line.lstrip())]
    return [f"{indent}# {comment}", line]

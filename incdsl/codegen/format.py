"""Lay out generated lines the way `ruff format` would, so its check passes unchanged."""

from __future__ import annotations

LINE_LENGTH = 88  # ruff's default: the generated file may live in a project without a config


def call(indent: str, head: str, args: list[str]) -> list[str]:
    """`head(args)` on one line, or split the way ruff splits a call that is too long.
    `head` may start with an assignment target (`self.conv = ConvBN`)."""
    one = f"{indent}{head}({', '.join(args)})"
    if len(one) <= LINE_LENGTH:
        return [one]
    inner = indent + "    "
    joined = f"{inner}{', '.join(args)}"
    if len(joined) <= LINE_LENGTH:
        return [f"{indent}{head}(", joined, f"{indent})"]
    return [f"{indent}{head}(", *(f"{inner}{a}," for a in args), f"{indent})"]


def with_comment(line: str, comment: str) -> list[str]:
    """An inline comment when it fits, else on its own line above."""
    if len(line) + 4 + len(comment) <= LINE_LENGTH:
        return [f"{line}  # {comment}"]
    indent = line[: len(line) - len(line.lstrip())]
    return [f"{indent}# {comment}", line]

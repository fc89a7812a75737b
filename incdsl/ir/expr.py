"""Symbolic values in the graph IR: how the spec computed a setting from parameters.

When a block writes `conv pool 1x1` or `residual scale=scale`, the IR keeps both the number the
instance got and the expression tree that produced it, with names resolved: a block or network
parameter is a `Param`, the channel count of a tensor (`trunk`, the tensor a residual adds to)
is `Channels` of that tensor's node.
Code generation renders these trees as constructor arguments; nothing re-reads spec text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Expr:
    def params(self) -> frozenset[str]:
        """The parameters this expression reads."""
        return frozenset().union(*(c.params() for c in self.children()))

    def children(self) -> tuple[Expr, ...]:
        return ()

    def reads_channels(self) -> bool:
        return any(c.reads_channels() for c in self.children())


@dataclass(frozen=True)
class Const(Expr):
    value: int | float | bool | str | tuple


@dataclass(frozen=True)
class Param(Expr):
    name: str

    def params(self) -> frozenset[str]:
        return frozenset((self.name,))


@dataclass(frozen=True)
class Channels(Expr):
    """The channel count of the tensor that node `node` makes (`trunk` in a residual)."""

    node: str

    def reads_channels(self) -> bool:
        return True


@dataclass(frozen=True)
class Unary(Expr):
    op: str  # "-" or "not"
    operand: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)


@dataclass(frozen=True)
class Binary(Expr):
    op: str  # + - * / // % ** == != < <= > >= and or
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(frozen=True)
class Call(Expr):
    func: str  # one of the spec's functions: min max int float round floor ceil abs
    args: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.args


@dataclass(frozen=True)
class Tuple(Expr):
    items: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.items

"""The syntax tree of a spec file: plain dataclasses, every node with its location.

The tree says what was written, not what it means: whether `conv` is a layer and
`Block35` a block, or whether `valid` is a flag or a parameter, is decided later.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from incdsl.errors import Location

# ---- expressions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    loc: Location


@dataclass(frozen=True)
class Number(Expr):
    value: int | float


@dataclass(frozen=True)
class Dims(Expr):
    """`3x3`, `1x7`, `3x299x299`."""

    value: tuple[int, ...]


@dataclass(frozen=True)
class String(Expr):
    value: str


@dataclass(frozen=True)
class Name(Expr):
    id: str


@dataclass(frozen=True)
class Tuple(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Call(Expr):
    func: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Unary(Expr):
    op: str  # "-" or "not"
    operand: Expr


@dataclass(frozen=True)
class Binary(Expr):
    op: str  # + - * / // % ** == != < <= > >= and or
    left: Expr
    right: Expr


# ---- arguments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Arg:
    loc: Location


@dataclass(frozen=True)
class Positional(Arg):
    value: Expr


@dataclass(frozen=True)
class Keyword(Arg):
    name: str
    value: Expr


@dataclass(frozen=True)
class Negated(Arg):
    """`no bias`, `no relu`: a flag switched off."""

    name: str


@dataclass(frozen=True)
class Stride(Arg):
    """`/2`."""

    value: Expr


# ---- statements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stmt:
    loc: Location


@dataclass(frozen=True)
class Layer(Stmt):
    """One line item: a built-in layer (`conv 32 3x3`) or a block instance (`Block35 x10`)."""

    name: str
    name_loc: Location
    args: tuple[Arg, ...]
    repeat: Expr | None = None
    alias: str | None = None
    repeat_loc: Location | None = None  # the whole marker, `x10` or `x(n - 1)`


@dataclass(frozen=True)
class Chain(Stmt):
    """`a -> b -> c` on one line: a sequence."""

    layers: tuple[Layer, ...]


@dataclass(frozen=True)
class Compound(Stmt):
    """`concat:`, `residual scale=0.17 relu:`, `branch:`, `aux logits:` with an indented body."""

    name: str
    name_loc: Location
    args: tuple[Arg, ...]
    body: tuple[Stmt, ...]
    alias: str | None = None


@dataclass(frozen=True)
class If(Stmt):
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()


# ---- definitions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    default: Expr | None
    loc: Location


@dataclass(frozen=True)
class Definition:
    """A `block` (a template) or a `network` (a whole model with an input)."""

    kind: str  # "block" or "network"
    name: str
    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    loc: Location
    name_loc: Location


@dataclass(frozen=True)
class Use:
    path: str
    loc: Location


@dataclass(frozen=True)
class Module:
    """One parsed file."""

    path: str
    uses: tuple[Use, ...] = ()
    definitions: tuple[Definition, ...] = field(default_factory=tuple)

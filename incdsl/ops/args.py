"""A line's arguments as an op sees them: evaluated values, the place to blame for each, and the
expression trees of those the spec computed from parameters. The checks an op makes of its
values (`args.whole("out", "output channels")`) raise located errors from here."""

from __future__ import annotations

from dataclasses import dataclass, field

from incdsl.errors import Location, SpecError
from incdsl.ir.expr import Expr

Value = int | float | bool | str | tuple

# Refused before any memory is spent: sizes no real network has.
MAX_CHANNELS = 1 << 20
MAX_SPATIAL = 1 << 16
MAX_LAYER_PARAMS = 1 << 32


def describe(value: Value) -> str:
    """A value as the spec would write it: `true`, `"a"`, `(1, 7)`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        return "(" + ", ".join(describe(v) for v in value) + ")"
    return repr(value)


@dataclass(frozen=True)
class Args:
    values: dict[str, Value]  # every slot: the line's value, else `defaults`, else the op's
    where: Location  # the line
    locs: dict[str, Location] = field(default_factory=dict)  # slots the line set
    exprs: dict[str, Expr] = field(default_factory=dict)  # slots set by an expression
    input_channels: Expr | None = None  # the channel count of the line's input, symbolically

    def __getitem__(self, slot: str) -> Value:
        return self.values[slot]

    def get(self, slot: str, default: Value | None = None) -> Value | None:
        return self.values.get(slot, default)

    def given(self, slot: str) -> bool:
        return slot in self.locs

    def loc(self, slot: str) -> Location:
        """Where to point when the slot's value is wrong: its argument, else the line."""
        return self.locs.get(slot, self.where)

    def expr(self, slot: str) -> Expr | None:
        return self.exprs.get(slot)

    # ---- checked values --------------------------------------------------------------------

    def whole(self, slot: str, what: str, lo: int = 1, hi: int = MAX_CHANNELS) -> int:
        return check_int(self.values[slot], self.loc(slot), what, lo, hi)

    def pair(self, slot: str, what: str, lo: int = 1) -> tuple[int, int]:
        return check_pair(self.values[slot], self.loc(slot), what, lo)

    def number(self, slot: str, what: str, lo: float | None = None,
               hi: float | None = None) -> float:
        return check_float(self.values[slot], self.loc(slot), what, lo, hi)

    def optional_float(self, slot: str, what: str, lo: float, hi: float) -> float | None:
        return None if self.values.get(slot) is None else self.number(slot, what, lo, hi)

    def flag(self, slot: str) -> bool:
        value = self.values[slot]
        if not isinstance(value, bool):
            raise SpecError.at(self.loc(slot), f"'{slot}' must be true or false, got "
                               f"{describe(value)}")
        return value


def check_int(value: Value, loc: Location, what: str, lo: int = 1, hi: int = MAX_CHANNELS) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError.at(loc, f"{what} must be a whole number, got {describe(value)}")
    if not lo <= value <= hi:
        limit = f"at least {lo}" if value < lo else f"at most {hi:,}"
        raise SpecError.at(loc, f"{what} must be {limit}, got {value:,}")
    return value


def check_pair(value: Value, loc: Location, what: str, lo: int = 1) -> tuple[int, int]:
    """`3`, `3x3` or `(1, 7)` -> (height, width)."""
    if isinstance(value, tuple):
        if len(value) != 2:
            raise SpecError.at(loc, f"{what} needs 2 numbers (height x width), got {len(value)}")
        return (check_int(value[0], loc, what, lo, MAX_SPATIAL),
                check_int(value[1], loc, what, lo, MAX_SPATIAL))
    n = check_int(value, loc, what, lo, MAX_SPATIAL)
    return (n, n)


def check_float(value: Value, loc: Location, what: str, lo: float | None = None,
                hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError.at(loc, f"{what} must be a number, got {describe(value)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise SpecError.at(loc, f"{what} must be between {lo} and {hi}, got {value}")
    return float(value)

"""A line's arguments matched to an op's slots, before any value is known.

    conv 32 3x3 /2 valid no relu  ->  out: 32, kernel: 3x3, stride: 2, padding: "valid",
                                      relu: false

A bare name is a flag or a word of the op (`bias`, `valid`) when the op has one by that name, a
name for slots that take names (`aux aux_logits:`), and otherwise an expression that must read
known names. All of this is decided from the text alone, once, by `resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.errors import Location, SpecError, did_you_mean
from incdsl.ops import STATEMENTS, all_options
from incdsl.ops.args import Value
from incdsl.ops.base import Signature
from incdsl.syntax import ast


@dataclass(frozen=True)
class Literal:
    """A value the words of the line fix: a flag's true/false, a word's setting, a name."""

    value: Value


@dataclass(frozen=True)
class Slot:
    value: ast.Expr | Literal
    loc: Location  # the argument that set it


@dataclass(frozen=True)
class Bound:
    """The slots a line's arguments set, and positional arguments beyond the op's slots
    (reported with the values, so that one run reports every line's count and value)."""

    slots: dict[str, Slot]
    surplus: tuple[ast.Positional, ...] = ()

    def check(self, name: str, sig: Signature, where: Location) -> None:
        """Every required slot given, no argument too many."""
        if self.surplus:
            arg = self.surplus[0]
            raise SpecError.at(arg.loc, f"{name} takes {len(sig.positional)} positional "
                               f"argument(s); '{source_text(arg)}' is one too many",
                               f"usage: {sig.usage(name)}")
        for slot in sig.required:
            if slot not in self.slots:
                raise SpecError.at(where, f"{name} needs {sig.want(slot)}",
                                   f"usage: {sig.usage(name)}")


def bind(name: str, sig: Signature, args: tuple[ast.Arg, ...], scope: set[str], *,
         partial: bool = False) -> Bound:
    """Match `args` to the slots of `sig`. `scope` holds the names expressions may read;
    `partial` is for `defaults`, which set options but no sizes."""
    bound: dict[str, Slot] = {}
    surplus: list[ast.Positional] = []

    def put(slot: str, value, arg: ast.Arg) -> None:
        if slot in bound:
            raise SpecError.at(arg.loc, f"{name}: '{slot}' is given twice")
        bound[slot] = Slot(value, arg.loc)

    for arg in args:
        if isinstance(arg, ast.Negated):
            if arg.name not in sig.flags:
                raise unknown_option(name, sig, arg.name, arg.loc)
            put(arg.name, Literal(False), arg)
        elif isinstance(arg, ast.Stride):
            if "stride" not in sig.slots:
                raise SpecError.at(arg.loc, f"{name} takes no stride",
                                   f"usage: {sig.usage(name)}")
            put("stride", arg.value, arg)
        elif isinstance(arg, ast.Keyword):
            if arg.name not in sig.flags and arg.name not in sig.slots:
                raise unknown_option(name, sig, arg.name, arg.loc)
            put(arg.name, arg.value, arg)
        else:
            slot, value = _positional(name, sig, arg, scope, bound, partial)
            if slot is None:
                surplus.append(arg)
            else:
                put(slot, value, arg)
    return Bound(bound, tuple(surplus))


def _positional(name: str, sig: Signature, arg: ast.Positional, scope: set[str],
                bound: dict[str, Slot], partial: bool) -> tuple[str | None, ast.Expr | Literal]:
    value = arg.value
    if isinstance(value, ast.Name) and value.id in sig.flags:
        return value.id, Literal(True)
    if isinstance(value, ast.Name) and value.id in sig.words:
        slot, word = sig.words[value.id]
        return slot, Literal(word)
    if partial:
        raise SpecError.at(arg.loc, f"defaults set options, not sizes: '{source_text(arg)}' is "
                           f"not an option of {name}", f"usage: {sig.usage(name)}")
    free = [p for p in sig.positional if p not in bound]
    named = bool(free) and free[0] in sig.names
    if isinstance(value, ast.Name) and not named and value.id not in scope:
        raise unknown_bare_name(name, sig, value, scope)  # before "one too many"
    # A size like 3x3 fills the kernel slot wherever it stands, so `conv 3x3 32` reads too.
    if isinstance(value, ast.Dims) and "kernel" in free and len(value.value) == 2:
        return "kernel", value
    if not free:
        return None, value  # one too many
    if named and isinstance(value, ast.Name):
        return free[0], Literal(value.id)
    return free[0], value


def unknown_option(name: str, sig: Signature, option: str, loc: Location) -> SpecError:
    return SpecError.at(loc, f"{name} has no option '{option}'",
                        *did_you_mean(option, [*sig.flags, *sig.slots, *sig.words]),
                        f"usage: {sig.usage(name)}")


def unknown_bare_name(name: str, sig: Signature, word: ast.Name, scope) -> SpecError:
    """`maxpool 3x3 bias`: an option of other layers is not an option of this one."""
    if word.id in all_options():
        return SpecError.at(word.loc, f"{name} has no option '{word.id}'",
                            *did_you_mean(word.id, sig.options), f"usage: {sig.usage(name)}")
    return unknown_name(word, [*scope, *sig.options])


def unknown_name(word: ast.Name, candidates) -> SpecError:
    """An unknown name, with the closest known one, or the statement it belongs inside."""
    inside = [s.name for s in STATEMENTS.values() if word.id in s.body_names]
    notes = (f"'{word.id}' exists only inside `{inside[0]}:`",) if inside else \
        did_you_mean(word.id, candidates)
    return SpecError.at(word.loc, f"unknown name '{word.id}'", *notes)


def source_text(node: ast.Arg | ast.Expr) -> str:
    """The spec text of an argument or expression (its first line, for multi-line ones)."""
    loc = node.loc
    line = loc.source.line(loc.line)
    end = loc.end_column or len(line) + 1
    return line[loc.column - 1 : end - 1]

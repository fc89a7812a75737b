"""The built-in layers and compound statements: what arguments each takes, and how a
line's arguments become the op's settings in the graph IR.

    conv OUT KERNEL [/STRIDE] [valid|same|padding=P] [bias] [no bn] [no relu] [eps=E] [momentum=M]
    maxpool KERNEL [/STRIDE] [valid|same|padding=P]
    avgpool KERNEL [/STRIDE] [valid|same|padding=P] [no count_include_pad]
    global avgpool | global maxpool
    dropout P
    linear OUT [no bias]
    relu | flatten
    input CxHxW | input(C, H, W)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from incdsl.elaborate.expr import CONSTANTS, Value, describe, evaluate
from incdsl.errors import SpecError, did_you_mean
from incdsl.ir.shapes import MAX_CHANNELS, MAX_SPATIAL
from incdsl.syntax import ast


@dataclass(frozen=True)
class OpSpec:
    """The signature of one built-in layer."""

    name: str
    op: str  # the IR op it makes (global is decided by its mode)
    kind: str  # the stem of auto-generated instance names: conv1, pool2, fc
    positional: tuple[str, ...] = ()  # slot names, in order
    keywords: tuple[str, ...] = ()  # slots that only take `name=value`
    flags: tuple[str, ...] = ()  # booleans: `bias`, `no bias`, `bias=false`
    words: dict[str, tuple[str, Value]] = field(default_factory=dict)  # `valid` -> padding
    defaults: dict[str, Value] = field(default_factory=dict)
    required: tuple[str, ...] = ()

    @property
    def slots(self) -> tuple[str, ...]:
        return self.positional + self.keywords

    def usage(self) -> str:
        parts = [self.name, *(p.upper() for p in self.positional)]
        parts += [f"[{'|'.join(w for w in self.words)}]"] if self.words else []
        parts += ["[/S]" if k == "stride" else f"[{k}=...]" for k in self.keywords]
        parts += [f"[no {f}]" if self.defaults.get(f) else f"[{f}]" for f in self.flags]
        return " ".join(parts)


_PAD = {"valid": ("padding", "valid"), "same": ("padding", "same")}
_WINDOW = {"stride": 1, "padding": "same"}

OPS: dict[str, OpSpec] = {
    s.name: s
    for s in [
        OpSpec("conv", "conv", "conv", ("out", "kernel"), ("stride", "padding", "eps", "momentum",
               "init_std"), ("bias", "bn", "relu"), _PAD,
               dict(_WINDOW, bias=False, bn=True, relu=True, eps=1e-5, momentum=0.1,
                    init_std=None), ("out", "kernel")),
        OpSpec("maxpool", "maxpool", "pool", ("kernel",), ("stride", "padding"), (), _PAD,
               dict(_WINDOW), ("kernel",)),
        OpSpec("avgpool", "avgpool", "pool", ("kernel",), ("stride", "padding"),
               ("count_include_pad",), _PAD, dict(_WINDOW, count_include_pad=True), ("kernel",)),
        OpSpec("global", "global", "pool", ("mode",), (), (),
               {"avgpool": ("mode", "avg"), "maxpool": ("mode", "max")}, {}, ("mode",)),
        OpSpec("dropout", "dropout", "dropout", ("p",), (), (), {}, {}, ("p",)),
        OpSpec("linear", "linear", "fc", ("out",), ("init_std",), ("bias",), {},
               {"bias": True, "init_std": None}, ("out",)),
        OpSpec("relu", "relu", "relu"),
        OpSpec("flatten", "flatten", "flatten"),
        OpSpec("input", "input", "input", ("shape", "height", "width"), (), (), {}, {},
               ("shape",)),
    ]
}

# Statements with an indented body. Their arguments are bound with the same machinery.
COMPOUNDS: dict[str, OpSpec] = {
    "concat": OpSpec("concat", "concat", "concat"),
    "branch": OpSpec("branch", "branch", "branch"),
    "residual": OpSpec("residual", "add", "add", ("scale",), (), ("relu",), {},
                       {"scale": 1.0, "relu": False}),
    "aux": OpSpec("aux", "aux", "aux", ("name",), (), (), {}, {}, ("name",)),
}

ALL_OPTIONS = {o for spec in [*OPS.values(), *COMPOUNDS.values()]
               for o in (*spec.flags, *spec.words)}

DEFAULTS_STMT = "defaults"  # `defaults conv eps=0.001 no bias`: settings for later layers
NAMED_SLOTS = {"aux": "name"}  # slots whose bare name is a name, not an expression


def bind(spec: OpSpec, args: tuple[ast.Arg, ...], env, where: ast.Stmt, *,
         partial: bool = False) -> dict[str, tuple[Value, ast.Arg]]:
    """Match a line's arguments to the op's slots. Returns slot -> (value, the arg it came from).

    A bare name is a flag or a word (`bias`, `valid`) when the op has one by that name, and
    otherwise an expression. `partial` is for `defaults`, which set options but no sizes.
    """
    bound: dict[str, tuple[Value, ast.Arg]] = {}

    def put(slot: str, value: Value, arg: ast.Arg):
        if slot in bound:
            raise SpecError.at(arg.loc, f"{spec.name}: '{slot}' is given twice")
        bound[slot] = (value, arg)

    free = [p for p in spec.positional]
    for arg in args:
        if isinstance(arg, ast.Negated):
            if arg.name not in spec.flags:
                raise _unknown_option(spec, arg.name, arg)
            put(arg.name, False, arg)
        elif isinstance(arg, ast.Stride):
            if "stride" not in spec.slots:
                raise SpecError.at(arg.loc, f"{spec.name} takes no stride", f"usage: {spec.usage()}")
            put("stride", evaluate(arg.value, env), arg)
        elif isinstance(arg, ast.Keyword):
            if arg.name in spec.flags:
                value = evaluate(arg.value, env)
                if not isinstance(value, bool):
                    raise SpecError.at(arg.value.loc, f"'{arg.name}' must be true or false, "
                                       f"got {describe(value)}")
                put(arg.name, value, arg)
            elif arg.name in spec.slots:
                put(arg.name, evaluate(arg.value, env), arg)
            else:
                raise _unknown_option(spec, arg.name, arg)
        else:
            assert isinstance(arg, ast.Positional)
            value = arg.value
            if isinstance(value, ast.Name) and value.id in spec.flags:
                put(value.id, True, arg)
            elif isinstance(value, ast.Name) and value.id in spec.words:
                slot, word = spec.words[value.id]
                put(slot, word, arg)
            elif partial:
                raise SpecError.at(arg.loc, f"defaults set options, not sizes: "
                                   f"'{_text(arg)}' is not an option of {spec.name}",
                                   f"usage: {spec.usage()}")
            else:
                if isinstance(value, ast.Name) and value.id not in env \
                        and value.id not in CONSTANTS and spec.name not in NAMED_SLOTS:
                    raise unknown_bare_name(spec, value, env)  # before "one too many"
                free = [p for p in free if p not in bound]
                slot = _slot_for(spec, value, free)
                if slot is None:
                    raise SpecError.at(arg.loc, f"{spec.name} takes {len(spec.positional)} "
                                       f"positional argument(s); '{_text(arg)}' is one too many",
                                       f"usage: {spec.usage()}")
                if spec.name in NAMED_SLOTS and isinstance(value, ast.Name):
                    put(slot, value.id, arg)
                else:
                    put(slot, _evaluate_bare(spec, value, env), arg)
    if not partial:
        for slot in spec.required:
            if slot not in bound:
                raise SpecError.at(where.loc, f"{spec.name} needs {_article(slot)}",
                                   f"usage: {spec.usage()}")
    return bound


def _slot_for(spec: OpSpec, value: ast.Expr, free: list[str]) -> str | None:
    # A size like 3x3 fills the kernel slot wherever it stands, so `conv 3x3 32` reads too.
    if isinstance(value, ast.Dims) and "kernel" in free and len(value.value) == 2:
        return "kernel"
    return free[0] if free else None


def _evaluate_bare(spec: OpSpec, value: ast.Expr, env) -> Value:
    try:
        return evaluate(value, env)
    except SpecError as e:
        if isinstance(value, ast.Name) and e.location == value.loc:
            raise unknown_bare_name(spec, value, env) from None
        raise


def unknown_bare_name(spec: OpSpec, name: ast.Name, scope) -> SpecError:
    """`maxpool 3x3 bias`: an option of other layers is not an option of this one."""
    if name.id in ALL_OPTIONS:
        return SpecError.at(name.loc, f"{spec.name} has no option '{name.id}'",
                            *did_you_mean(name.id, [*spec.flags, *spec.words]),
                            f"usage: {spec.usage()}")
    return SpecError.at(name.loc, f"unknown name '{name.id}'",
                        *did_you_mean(name.id, [*scope, *spec.flags, *spec.words]))


def _unknown_option(spec: OpSpec, name: str, arg: ast.Arg) -> SpecError:
    options = [*spec.flags, *spec.slots, *spec.words]
    return SpecError.at(arg.loc, f"{spec.name} has no option '{name}'",
                        *did_you_mean(name, options), f"usage: {spec.usage()}")


def _article(slot: str) -> str:
    return {"out": "an output size", "kernel": "a kernel size like 3x3", "shape": "a shape like "
            "3x299x299", "p": "a dropout probability", "mode": "avgpool or maxpool",
            "name": "a name"}.get(slot, f"'{slot}'")


def _text(arg: ast.Arg) -> str:
    return source_text(arg)


def source_text(node: ast.Arg | ast.Expr) -> str:
    """The spec text of an argument or expression (its first line, for multi-line ones)."""
    loc = node.loc
    line = loc.source.line(loc.line)
    end = loc.end_column or len(line) + 1
    return line[loc.column - 1 : end - 1]


def symbolic(bound: dict, rename: dict[str, str] | None = None) -> dict[str, str]:
    """slot -> spec text, for the slots set by an expression rather than a literal number:
    what a code generator needs to write `conv(in_channels, pool, 1)` instead of `32`."""
    out = {}
    for slot, (bound_value, arg) in bound.items():
        value = getattr(arg, "value", None)
        if isinstance(arg, ast.Positional) and isinstance(value, ast.Name) \
                and value.id in (slot, bound_value):
            continue  # a flag or word (`bias`, `valid`), not an expression
        if isinstance(value, ast.Expr) and not isinstance(value, (ast.Number, ast.Dims)):
            out[(rename or {}).get(slot, slot)] = source_text(value)
    return out


# ---- values -> IR attrs --------------------------------------------------------------------


def check_int(value: Value, arg: ast.Arg, what: str, lo: int = 1, hi: int = MAX_CHANNELS) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError.at(arg.loc, f"{what} must be a whole number, got {describe(value)}")
    if not lo <= value <= hi:
        limit = f"at least {lo}" if value < lo else f"at most {hi:,}"
        raise SpecError.at(arg.loc, f"{what} must be {limit}, got {value:,}")
    return value


def check_pair(value: Value, arg: ast.Arg, what: str, lo: int = 1) -> tuple[int, int]:
    if isinstance(value, tuple):
        if len(value) != 2:
            raise SpecError.at(arg.loc, f"{what} needs 2 numbers (height x width), got "
                               f"{len(value)}")
        return (check_int(value[0], arg, what, lo, MAX_SPATIAL),
                check_int(value[1], arg, what, lo, MAX_SPATIAL))
    n = check_int(value, arg, what, lo, MAX_SPATIAL)
    return (n, n)


def check_float(value: Value, arg: ast.Arg, what: str, lo: float | None = None,
                hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError.at(arg.loc, f"{what} must be a number, got {describe(value)}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise SpecError.at(arg.loc, f"{what} must be between {lo} and {hi}, got {value}")
    return float(value)


def padding_for(value: Value, kernel: tuple[int, int], arg: ast.Arg | None, where) -> tuple:
    """`same` pads k//2 on each side (odd kernels only), `valid` pads nothing."""
    loc_arg = arg or where
    if value == "valid":
        return (0, 0)
    if value == "same":
        if kernel[0] % 2 == 0 or kernel[1] % 2 == 0:
            raise SpecError.at(loc_arg.loc, f"'same' padding needs an odd kernel, not "
                               f"{kernel[0]}x{kernel[1]}", "give padding=N (or padding=(h, w)) explicitly")
        return (kernel[0] // 2, kernel[1] // 2)
    return check_pair(value, loc_arg, "padding", lo=0)

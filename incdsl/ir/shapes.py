"""Shape, parameter and multiply-accumulate rules, one per op, on plain tuples.

`infer(op, attrs, input_shapes)` returns (shape, params, macs) or raises ShapeError with a
message that names the shapes involved; the elaborator adds the location.
"""

from __future__ import annotations

from incdsl.ir.graph import format_shape

# Refused before any memory is spent: sizes no real network has.
MAX_CHANNELS = 1 << 20
MAX_SPATIAL = 1 << 16
MAX_LAYER_PARAMS = 1 << 32


class ShapeError(Exception):
    def __init__(self, message: str, *notes: str):
        super().__init__(message)
        self.message, self.notes = message, notes


def _out_size(size: int, kernel: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - kernel) // stride + 1


def _window(op: str, attrs: dict, shape: tuple) -> tuple[int, int]:
    if len(shape) != 3:
        raise ShapeError(f"{op} needs a C x H x W feature map, got a vector of {shape[0]}",
                         "a global pool or flatten came before it")
    _, h, w = shape
    (kh, kw), (sh, sw), (ph, pw) = attrs["kernel"], attrs["stride"], attrs["padding"]
    if kh > h + 2 * ph or kw > w + 2 * pw:
        padded = f" (padded {h + 2 * ph}x{w + 2 * pw})" if ph or pw else ""
        raise ShapeError(f"{kh}x{kw} {op} is larger than its {h}x{w} input{padded}")
    if (ph > kh // 2 or pw > kw // 2) and op != "conv":
        raise ShapeError(f"padding {ph}x{pw} is more than half the {kh}x{kw} window")
    return _out_size(h, kh, sh, ph), _out_size(w, kw, sw, pw)


def infer(op: str, attrs: dict, inputs: list[tuple]) -> tuple[tuple, int, int]:
    if op == "input":
        return tuple(attrs["shape"]), 0, 0
    if op == "conv":
        ho, wo = _window("conv", attrs, inputs[0])
        c = inputs[0][0]
        out = attrs["out_channels"]
        kh, kw = attrs["kernel"]
        weights = c * out * kh * kw
        params = weights + (out if attrs["bias"] else 0) + (2 * out if attrs["bn"] else 0)
        if params > MAX_LAYER_PARAMS:
            raise ShapeError(f"this convolution would have {params:,} parameters")
        return (out, ho, wo), params, weights * ho * wo
    if op in ("maxpool", "avgpool"):
        ho, wo = _window(op, attrs, inputs[0])
        return (inputs[0][0], ho, wo), 0, 0
    if op in ("global_avgpool", "global_maxpool", "flatten"):
        shape = inputs[0]
        if len(shape) != 3:
            raise ShapeError(f"{op.replace('_', ' ')} needs a C x H x W feature map, "
                             f"got a vector of {shape[0]}")
        c, h, w = shape
        return ((c,) if op != "flatten" else (c * h * w,)), 0, 0
    if op == "concat":
        return _concat(attrs, inputs), 0, 0
    if op == "add":
        trunk, residual = inputs
        if trunk != residual:
            raise ShapeError(
                f"residual add of {format_shape(residual)} to a trunk of {format_shape(trunk)}",
                f"the residual branch must end with the trunk's {trunk[0]} channels"
                " (`conv trunk 1x1` takes the trunk's width)",
            )
        return trunk, 0, 0
    if op in ("relu", "dropout"):
        return inputs[0], 0, 0
    if op == "linear":
        shape = inputs[0]
        if len(shape) != 1:
            raise ShapeError(f"linear needs a vector, got a {format_shape(shape)} feature map",
                             "put `global avgpool` or `flatten` before it")
        out = attrs["out_features"]
        params = shape[0] * out + (out if attrs["bias"] else 0)
        if params > MAX_LAYER_PARAMS:
            raise ShapeError(f"this linear layer would have {params:,} parameters")
        return (out,), params, shape[0] * out
    raise ShapeError(f"no shape rule for op '{op}'")  # a bug, not a user mistake


def _concat(attrs: dict, inputs: list[tuple]) -> tuple:
    names = attrs.get("branch_names") or [f"branch{i}" for i in range(len(inputs))]
    first = inputs[0]
    for name, shape in zip(names[1:], inputs[1:]):
        if len(shape) != len(first) or shape[1:] != first[1:]:
            raise ShapeError(
                "concat of branches with different sizes: "
                f"{names[0]} gives {format_shape(first)}, {name} gives {format_shape(shape)}",
                "branches are joined along channels, so their heights and widths must match"
                " (check strides and valid/same padding)",
            )
    return (sum(s[0] for s in inputs), *first[1:])

"""`conv OUT KERNEL [/S] [valid|same|padding=P] [groups=G | depthwise] [fixed] [bias] [no bn]
[no relu] [eps=E] [momentum=M] [init_std=S]`: a 2-D convolution, by default followed by BatchNorm and ReLU
(TF-Slim's layer). `groups=G` splits the channels into G groups (ResNeXt); `depthwise` is one
group per input channel (Xception's separable convolutions), and then OUT may be left out: it is
the input's channel count. `fixed` keeps OUT whatever the network's `width` multiplier (a
classifier written as a 1x1 convolution)."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.errors import SpecError
from incdsl.ops import window
from incdsl.ops.args import MAX_LAYER_PARAMS
from incdsl.ops.base import CONV, Helper, Op, ShapeError, Signature, register, with_relu

DEFAULT_STD = 0.1  # TF-Slim's and torchvision's truncated normal

CONV_BN = Helper("ConvBN", '''
class ConvBN(nn.Module):
    """conv -> BatchNorm -> ReLU, as in TF-Slim; state_dict keys `conv.*`, `bn.*`."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel,
        stride=1,
        padding=0,
        *,
        groups=1,
        bias=False,
        eps=0.001,
        momentum=0.1,
        relu=True,
    ):
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel, stride, padding, groups=groups, bias=bias
        )
        self.bn = nn.BatchNorm2d(out_channels, eps=eps, momentum=momentum)
        self.relu = relu

    def forward(self, x):
        x = self.bn(self.conv(x))
        return F.relu(x, inplace=True) if self.relu else x
''')


@dataclass(frozen=True)
class ConvAttrs(window.Window):
    in_channels: int
    out_channels: int
    groups: int
    bias: bool
    bn: bool
    relu: bool
    eps: float
    momentum: float
    init_std: float | None


def truncated_normal(weight, std: float | None, generator) -> None:
    """TF-Slim's initialiser: a normal cut at two standard deviations (std 0.1 by default)."""
    from torch import nn

    std = std or DEFAULT_STD
    nn.init.trunc_normal_(weight, 0.0, std, -2 * std, 2 * std, generator=generator)


@register
class Conv(Op):
    name = "conv"
    kind = "conv"
    doc = "convolution, then BatchNorm, then ReLU (each switchable)"
    example = "conv 8 3x3 /2"
    signature = Signature(
        positional=("out", "kernel"),
        keywords=("stride", "padding", "groups", "eps", "momentum", "init_std"),
        flags={"depthwise": False, "fixed": False, "bias": False, "bn": True, "relu": True},
        words=window.WORDS,
        defaults={**window.DEFAULTS, "groups": 1, "eps": 1e-5, "momentum": 0.1,
                  "init_std": None},
        required=("kernel",),  # and OUT, unless depthwise
        wants={"out": "an output size", **window.WANTS},
    )
    style = CONV
    helpers = (CONV_BN,)
    convolution = True

    def make(self, args, inputs, cx):
        out, out_expr, groups, groups_expr = self._widths(args, inputs[0][0], cx)
        attrs = ConvAttrs(
            **window.window(args), in_channels=inputs[0][0], out_channels=out, groups=groups,
            bias=args.flag("bias"), bn=args.flag("bn"), relu=args.flag("relu"),
            eps=args.number("eps", "eps", 0.0, 1.0),
            momentum=args.number("momentum", "momentum", 0.0, 1.0),
            init_std=args.optional_float("init_std", "init_std", 0.0, 10.0))
        return attrs, {"out_channels": out_expr, "groups": groups_expr, "relu": args.expr("relu")}

    def _widths(self, args, channels: int, cx):
        """Output channels and groups, checked against the input's channels."""
        if args.flag("depthwise"):
            if args.given("groups"):
                raise SpecError.at(args.loc("groups"), "depthwise sets the groups: one per "
                                   "input channel", "give either depthwise or groups=G")
            groups, groups_expr = channels, args.input_channels
        else:
            groups, groups_expr = args.whole("groups", "groups"), args.expr("groups")
        if args.given("out"):
            out, out_expr = args.whole("out", "output channels"), args.expr("out")
            if groups == 1 and not args.flag("fixed"):
                out, out_expr = cx.scaled(out, out_expr)
        elif args.flag("depthwise"):
            out, out_expr = channels, args.input_channels
        else:
            raise SpecError.at(args.where, "conv needs an output size",
                               f"usage: {self.signature.usage(self.name)}")
        for width, what in ((channels, "input's"), (out, "output's")):
            if width % groups:
                raise SpecError.at(args.loc("groups") if args.given("groups") else args.where,
                                   f"groups={groups} does not divide the {what} {width} "
                                   "channels")
        return out, out_expr, groups, groups_expr

    def infer(self, a: ConvAttrs, inputs):
        ho, wo = window.slide("conv", a, inputs[0], pad_limit=False)
        weights = inputs[0][0] // a.groups * a.out_channels * a.kernel[0] * a.kernel[1]
        params = weights + (a.out_channels if a.bias else 0) + (2 * a.out_channels if a.bn else 0)
        if params > MAX_LAYER_PARAMS:
            raise ShapeError(f"this convolution would have {params:,} parameters")
        return (a.out_channels, ho, wo), params, weights * ho * wo

    def module(self, a: ConvAttrs):
        from torch import nn

        from incdsl.ops.helpers import helper_class

        args = (a.in_channels, a.out_channels, a.kernel, a.stride, a.padding)
        if a.bn:
            return helper_class(CONV_BN)(*args, groups=a.groups, bias=a.bias, eps=a.eps,
                                         momentum=a.momentum, relu=a.relu)
        return nn.Conv2d(*args, groups=a.groups, bias=a.bias)

    def init(self, module, a: ConvAttrs, generator):
        from torch import nn

        conv = module.conv if a.bn else module
        truncated_normal(conv.weight, a.init_std, generator)
        if conv.bias is not None:
            nn.init.zeros_(conv.bias)
        if a.bn:
            nn.init.ones_(module.bn.weight)
            nn.init.zeros_(module.bn.bias)

    def forward(self, a: ConvAttrs, inputs, call, value):
        if a.bn:  # ConvBN applies its own ReLU
            return f"{call}({inputs[0]})"
        return with_relu(f"{call}({inputs[0]})", value("relu"))

    def code(self, a: ConvAttrs, in_channels, value):
        args = [in_channels, value("out_channels"), window.pair_text(a.kernel),
                *window.code_options(a)]
        if a.groups != 1:
            args.append(f"groups={value('groups')}")
        if not a.bn:
            return "nn.Conv2d", args + ([] if a.bias else ["bias=False"])
        if a.bias:
            args.append("bias=True")
        if a.eps != 0.001:
            args.append(f"eps={a.eps!r}")
        if a.momentum != 0.1:
            args.append(f"momentum={a.momentum!r}")
        if value("relu") != "True":
            args.append(f"relu={value('relu')}")
        return "ConvBN", args

    def channels(self, a, inputs, value, shape):
        return value("out_channels")

    def label(self, a: ConvAttrs):
        size, extra = window.figure_text(a)
        inside = [str(a.out_channels), *extra]
        if 1 < a.groups < a.in_channels:
            inside.append(f"{a.groups} groups")
        if not a.bn and not a.relu:
            inside.append("Linear")
        kind = "Depthwise Conv" if a.groups == a.in_channels > 1 else "Conv"
        return f"{size} {kind} ({' '.join(inside)})"

    def describe(self, a: ConvAttrs):
        text = window.summary_text("conv", a)
        if a.groups > 1:
            text += " dw" if a.groups == a.in_channels else f" g{a.groups}"
        if not a.bn:
            text += " linear" if not a.relu else " no-bn"
        return text

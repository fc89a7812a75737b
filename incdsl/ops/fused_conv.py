"""`fused_conv`: sibling convolutions (one input, one kernel, stride and padding) as one. Its
output holds each one's channels in turn; `slice` nodes hand each its piece. Exact in
training too: BatchNorm and ReLU work per channel, so one BatchNorm over all the channels is
each layer's own side by side."""

from __future__ import annotations

from dataclasses import dataclass

from incdsl.ops import origin, window
from incdsl.ops.base import CONV, Helper, Op, register

FUSED_CONV = Helper("FusedConv", '''
class FusedConv(nn.Module):
    """Sibling convolutions as one: `widths` output channels each, side by side, then one
    BatchNorm (if `bn`), then ReLU on all channels (`relu=True`) or on those of the
    convolutions that had one (`relu=[True, False, ...]`)."""

    def __init__(
        self,
        in_channels,
        widths,
        kernel,
        stride=1,
        padding=0,
        *,
        bias=False,
        bn=True,
        eps=0.001,
        momentum=0.1,
        relu=True,
    ):
        super().__init__()
        channels = sum(widths)
        self.conv = nn.Conv2d(in_channels, channels, kernel, stride, padding, bias=bias)
        self.bn = nn.BatchNorm2d(channels, eps=eps, momentum=momentum) if bn else None
        self.relu = relu if isinstance(relu, bool) else None
        if self.relu is None:  # max(x, floor): floor 0 where a ReLU was, -inf elsewhere
            floor = [
                0.0 if r else float("-inf")
                for r, w in zip(relu, widths)
                for _ in range(w)
            ]
            self.register_buffer(
                "floor", torch.tensor(floor).view(-1, 1, 1), persistent=False
            )

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        if self.relu is None:
            return torch.maximum(x, self.floor.to(x.dtype))
        return F.relu(x, inplace=True) if self.relu else x
''')


@dataclass(frozen=True)
class FusedConvAttrs(window.Window):
    in_channels: int
    widths: tuple[int, ...]  # each spec convolution's output channels, in order
    relu: tuple[bool, ...]  # whether each had a ReLU
    bias: bool
    bn: bool
    eps: float
    momentum: float
    origins: tuple[origin.Origin, ...]
    layers: tuple[str, ...]  # the spec layers it holds, for comments

    @property
    def out_channels(self) -> int:
        return sum(self.widths)


@register
class FusedConv(origin.Rebuilt, Op):
    name = "fused_conv"
    kind = "fused"
    doc = "sibling convolutions of one input as one, their outputs side by side"
    style = CONV
    helpers = (FUSED_CONV,)

    def infer(self, a: FusedConvAttrs, inputs):
        ho, wo = window.slide("conv", a, inputs[0], pad_limit=False)
        weights = a.in_channels * a.out_channels * a.kernel[0] * a.kernel[1]
        params = weights + a.out_channels * (int(a.bias) + 2 * int(a.bn))
        return (a.out_channels, ho, wo), params, weights * ho * wo

    def _relu(self, a):
        return a.relu[0] if len(set(a.relu)) == 1 else list(a.relu)

    def module(self, a: FusedConvAttrs):
        from incdsl.ops.helpers import helper_class

        return helper_class(FUSED_CONV)(a.in_channels, list(a.widths), a.kernel, a.stride,
                                        a.padding, bias=a.bias, bn=a.bn, eps=a.eps,
                                        momentum=a.momentum, relu=self._relu(a))

    def load(self, a, get):
        return origin.conv_tensors(a.origins, get, has_bias=a.bias, bn=a.bn, prefix="conv.")

    def save(self, a, own):
        names = {"conv.weight": "weight", "conv.bias": "bias",
                 **{f"bn.{t}": f"bn.{t}" for t in origin.BN_TENSORS}}
        return origin.split(a.origins, own, names)

    def code(self, a: FusedConvAttrs, in_channels, value):
        args = [in_channels, f"[{', '.join(map(str, a.widths))}]", window.pair_text(a.kernel),
                *window.code_options(a)]
        args += ["bias=True"] if a.bias else []
        args += [] if a.bn else ["bn=False"]
        if a.bn and a.eps != 0.001:
            args.append(f"eps={a.eps!r}")
        if a.bn and a.momentum != 0.1:
            args.append(f"momentum={a.momentum!r}")
        relu = self._relu(a)
        args += [] if relu is True else [f"relu={relu!r}"]
        return "FusedConv", args

    def channels(self, a, inputs, value, shape):
        return str(a.out_channels)

    def label(self, a):
        size, extra = window.figure_text(a)
        return f"{size} Conv ({'+'.join(map(str, a.widths))} {' '.join(extra)}, fused)"

    def describe(self, a):
        return window.summary_text("fused conv", a) + " " + "+".join(map(str, a.widths))

"""Where the tensors of an optimised layer come from: the canonical (unoptimised) model's.

The optimising passes (`incdsl.passes`) replace spec layers by layers of their own ops: several
sibling convolutions by one (`fused_conv`), a convolution and its BatchNorm by one convolution
(`folded_conv`), a BatchNorm moved behind a pool (`moved_bn`), a bias moved behind a pool
(`shift`). Each such layer names, per spec convolution it holds, an `Origin`: that layer's
module path in the canonical model and what it was. From those, `Canonical.load` computes the
layer's tensors from the canonical state_dict, and `Canonical.save` gives them back where the
map is one to one (training: slices along output channels); a folded BatchNorm or a scale
multiplied in cannot be undone, so the inference model keeps the canonical tensors it loaded.
torch is imported only inside the functions that compute tensors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

BN_TENSORS = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
COUNTER = "num_batches_tracked"  # one per BatchNorm: a fused one keeps one for all parts


@dataclass(frozen=True)
class Origin:
    """One spec convolution inside an optimised layer."""

    module: str  # its module path in the canonical model: "mixed_5b.branch1.conv1"
    channels: int  # its output channels
    bn: bool  # it is a ConvBN (`conv.weight`, `bn.*`); else an nn.Conv2d (`weight`, `bias`)
    bias: bool  # its convolution has a bias of its own
    eps: float = 1e-3  # its BatchNorm's
    fold: bool = False  # its BatchNorm is folded into the weights and bias (inference)
    scale: float = 1.0  # a residual scale multiplied into the weights and bias (inference)
    shift: bool = True  # the bias stays in the convolution (else a `shift` after a pool adds it)

    @property
    def invertible(self) -> bool:
        """Whether the canonical tensors can be had back from the optimised ones."""
        return not self.fold and self.scale == 1.0

    def key(self, name: str) -> str:
        """`weight` or `bias` of its convolution, or `bn.NAME`, as a canonical key."""
        if name.startswith("bn."):
            return f"{self.module}.{name}"
        return f"{self.module}.conv.{name}" if self.bn else f"{self.module}.{name}"

    def tensor_keys(self) -> list[str]:
        keys = [self.key("weight")] + ([self.key("bias")] if self.bias else [])
        return keys + ([self.key(f"bn.{t}") for t in BN_TENSORS] if self.bn else [])

    def with_(self, **changes) -> Origin:
        return replace(self, **changes)


Get = Callable[[str], "object"]  # canonical key -> tensor


def _cat(tensors):
    import torch

    tensors = list(tensors)
    return tensors[0] if len(tensors) == 1 else torch.cat(tensors)


def _bn_scale(o: Origin, get: Get):
    """(scale, shift) of an eval-mode BatchNorm: y = x * scale + shift."""
    scale = get(o.key("bn.weight")) / (get(o.key("bn.running_var")) + o.eps).sqrt()
    return scale, get(o.key("bn.bias")) - get(o.key("bn.running_mean")) * scale


def weight(o: Origin, get: Get):
    w = get(o.key("weight"))
    if o.fold:
        w = w * _bn_scale(o, get)[0].view(-1, 1, 1, 1)
    return w * o.scale if o.scale != 1.0 else w


def bias(o: Origin, get: Get):
    """The bias the convolution computes with, folding and scale included."""
    import torch

    b = get(o.key("bias")) if o.bias else torch.zeros(o.channels)
    if o.fold:
        scale, shift = _bn_scale(o, get)
        b = b * scale + shift
    return b * o.scale if o.scale != 1.0 else b


def conv_tensors(origins: Iterable[Origin], get: Get, *, has_bias: bool, bn: bool,
                 prefix: str = "") -> dict:
    """The tensors of a convolution holding `origins` side by side (`prefix`: `conv.` in a
    FusedConv), and of its BatchNorm (`bn.*`) when it keeps one."""
    import torch

    origins = list(origins)
    out = {f"{prefix}weight": _cat(weight(o, get) for o in origins)}
    if has_bias:
        out[f"{prefix}bias"] = _cat(bias(o, get) if o.shift else torch.zeros(o.channels)
                                    for o in origins)
    if bn:
        out.update({f"bn.{k}": v for k, v in bn_tensors(origins, get).items()})
    return out


def bn_tensors(origins: Iterable[Origin], get: Get) -> dict:
    """BatchNorm tensors of the origins side by side; the batch counter is the first's."""
    origins = list(origins)
    out = {t: _cat(get(o.key(f"bn.{t}")) for o in origins) for t in BN_TENSORS if t != COUNTER}
    out[COUNTER] = get(origins[0].key(f"bn.{COUNTER}"))
    return out


def split(origins: Iterable[Origin], own: dict, names: dict[str, str]) -> dict:
    """The canonical tensors back from an optimised layer's own (`own`: its tensor name ->
    tensor), slicing along output channels. `names`: own name -> the origin's name for it
    (`conv.weight` -> `weight`, `bn.bias` -> `bn.bias`). Only for invertible origins."""
    out, start = {}, 0
    for o in origins:
        assert o.invertible, o
        for name, theirs in names.items():
            if name not in own or (theirs == "bias" and not (o.bias and o.shift)):
                continue
            tensor = own[name]
            out[o.key(theirs)] = tensor if theirs.endswith(COUNTER) else \
                tensor[start:start + o.channels]
        start += o.channels
    return out


class Rebuilt:
    """What the ops that only the passes make share: no spec line makes them, their tensors
    come from the canonical model's (`origins`), and generated code says which spec layers
    they hold. Mixed into an `Op`."""

    is_layer = False

    def origins(self, attrs) -> tuple[Origin, ...]:
        return attrs.origins

    def load(self, attrs, get: Get) -> dict:
        """The module's tensors (by their names in it) from the canonical ones."""
        raise NotImplementedError

    def save(self, attrs, own: dict) -> dict:
        """The canonical tensors back from the module's own (invertible origins only)."""
        raise NotImplementedError

    def note(self, attrs) -> str:
        return f"{', '.join(attrs.layers)} of the spec"

"""The reference implementations each shipped spec must equal, and how to compare them.

Shared by the equivalence tests of the in-memory build and of the generated code."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from incdsl.weights import reference_model


@dataclass(frozen=True)
class Case:
    spec: str
    reference: str  # LIBRARY:MODEL
    overrides: dict = field(default_factory=dict)
    sizes: tuple[int, ...] = (299, 139)  # the input sizes compared, the first the spec's own
    skip: tuple[str, ...] = ()  # our tensors the reference lacks
    skip_reference: tuple[str, ...] = ()  # reference tensors we lack

    @property
    def small(self) -> int:
        """The smallest size compared: the training step's."""
        return min(self.sizes)


CASES = {
    # torchvision's aux head needs the 17x17 grid of a 299 input: no smaller legal size.
    "v3-torchvision": Case("v3", "torchvision:inception_v3", sizes=(299,)),
    "v3-timm": Case("v3", "timm:inception_v3", {"aux_logits": False, "drop_rate": 0.0}),
    "v4-timm": Case("v4", "timm:inception_v4"),
    "irv2-timm": Case("irv2", "timm:inception_resnet_v2"),
    # facenet-pytorch ends in a 512-d embedding, our irv1 in the paper's 1000-class linear
    # layer: the trunks are compared, up to the pooled 1792 features.
    "irv1-facenet": Case("irv1", "facenet:InceptionResnetV1", skip=("fc",),
                         skip_reference=("last_linear", "last_bn", "logits")),
    # The family's neighbours (their own input size first, then a smaller one).
    "v1-torchvision": Case("v1", "torchvision:googlenet", sizes=(224, 128)),
    # The Caffe port's 7x7 average pool before the classifier fixes the input at 224.
    "bn_inception-pretrainedmodels": Case("bn_inception", "pretrainedmodels:bninception",
                                          sizes=(224,)),
    "xception-timm": Case("xception", "timm:legacy_xception"),
    "resnet50-torchvision": Case("resnet50", "torchvision:resnet50", sizes=(224, 128)),
    "resnet50_v2-timm": Case("resnet50_v2", "timm:resnetv2_50", sizes=(224, 128)),
    "se_resnet50-timm": Case("se_resnet50", "timm:seresnet50", sizes=(224, 128)),
}

_FACENET_TRUNK = ("conv2d_1a", "conv2d_2a", "conv2d_2b", "maxpool_3a", "conv2d_3b", "conv2d_4a",
                  "conv2d_4b", "repeat_1", "mixed_6a", "repeat_2", "mixed_7a", "repeat_3",
                  "block8", "avgpool_1a")


def meta_reference(reference: str, **kwargs) -> nn.Module:
    """A reference implementation (LIBRARY:MODEL) made straight by its library on PyTorch's
    meta device: shapes only, no memory, no initialisation. kwargs go to its constructor."""
    library, _, name = reference.partition(":")
    with torch.device("meta"):
        if library == "torchvision":
            import torchvision.models

            return getattr(torchvision.models, name)(**kwargs)
        if library == "timm":
            import timm

            return timm.create_model(name, **kwargs)
        from facenet_pytorch.models import inception_resnet_v1

        return getattr(inception_resnet_v1, name)(**kwargs)


@cache
def reference_parameters(reference: str, *, without: tuple[str, ...] = (), **kwargs) -> int:
    """sum(p.numel()) of a reference, leaving out the parameters under the module paths in
    `without`."""
    model = meta_reference(reference, **kwargs)
    return sum(p.numel() for n, p in model.named_parameters()
               if not any(n.startswith(w + ".") for w in without))


@cache
def reference_macs(reference: str, **kwargs) -> int:
    """Multiply-accumulates per 299x299 image of what `reference_outputs` runs (for facenet,
    its trunk), in training mode so that aux heads count: half the FLOPs that torch's own
    counter (torch.utils.flop_counter, every conv and matmul) counts."""
    model = meta_reference(reference, **kwargs).train()
    batch = 2  # training-mode BatchNorm1d needs more than one value per channel
    with torch.device("meta"), FlopCounterMode(display=False) as counter:
        reference_outputs(Case("", reference), model, torch.empty(batch, 3, 299, 299))
    return counter.get_total_flops() // (2 * batch)


def randomised_reference(case: Case, seed: int = 0) -> nn.Module:
    """The reference with random weights at a scale that keeps activations near 1 (the
    references' own inits explode through 94 layers) and BatchNorm statistics far from their
    defaults, so eps, scale and shift all show in the output."""
    torch.manual_seed(seed)
    model = reference_model(case.reference)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)
                if m.bias is not None:
                    m.bias.uniform_(-0.1, 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                if m.weight is not None:
                    m.weight.uniform_(0.5, 1.0)
                    m.bias.uniform_(-0.2, 0.2)
    return model


def reference_outputs(case: Case, model: nn.Module, x: torch.Tensor):
    """What the reference computes that we compare: the logits (and in training mode the aux
    logits), or for facenet the pooled 1792 features of its trunk."""
    if case.reference.startswith("facenet:"):
        for name in _FACENET_TRUNK:
            x = getattr(model, name)(x)
        return torch.flatten(x, 1)
    return model(x)


def our_outputs(case: Case, model: nn.Module, x: torch.Tensor):
    """Our counterpart of `reference_outputs`: for irv1, the output of the global pool."""
    if case.reference.startswith("facenet:"):
        pooled = []
        handle = model.pool.register_forward_hook(lambda m, i, o: pooled.append(o))
        try:
            model(x)
        finally:
            handle.remove()
        return pooled[0]
    return model(x)


def by_name(outputs) -> dict[str, torch.Tensor]:
    """A model's outputs by name: `logits`, and in training mode its auxiliary heads' (ours are
    named like torchvision's fields; torchvision orders GoogLeNet's last head first)."""
    if isinstance(outputs, tuple):
        return outputs._asdict()
    return {"logits": outputs}


def loss_of(outputs) -> torch.Tensor:
    """A training loss that reaches every output: cross-entropy on fixed labels, each aux head
    weighted 0.4 as in TF-Slim; a squared norm for feature vectors."""
    if isinstance(outputs, tuple):
        named = by_name(outputs)
        return loss_of(named.pop("logits")) + sum(0.4 * loss_of(v) for _, v in
                                                  sorted(named.items()))
    labels = torch.arange(outputs.shape[0]) % outputs.shape[1]
    return nn.functional.cross_entropy(outputs, labels) + 1e-3 * outputs.pow(2).mean()

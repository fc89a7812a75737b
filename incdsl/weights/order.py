"""The order in which a model's forward uses its tensors.

Registration order (the order of `state_dict`) is how a model's author happened to write
`__init__`: timm's ResNet-v2 registers a unit's projection before the BatchNorm that feeds it,
torchvision's GoogLeNet its auxiliary heads after the last module. The order of the forward
pass is the network's own, so two implementations of one network agree on it: the n-th
layer one runs is the n-th the other runs. It is read without computing anything: the forward
runs on PyTorch's `meta` device, in training mode so that auxiliary heads run too, on stand-in
tensors, and the model's own weights and statistics are not touched.
"""

from __future__ import annotations

import torch
from torch import nn


def run_order(model: nn.Module, input_shape: tuple[int, ...]) -> list[str] | None:
    """The model's state_dict keys, module by module in the order its forward first calls
    them (modules it never calls last, in registration order); None when its forward cannot
    run on the meta device."""
    owners = {name: m for name, m in model.named_modules()
              if any("." not in k for k in m.state_dict())}
    called: list[str] = []

    def hook(name: str):
        def record(module, args):
            if name not in called:
                called.append(name)
        return record

    handles = [m.register_forward_pre_hook(hook(name)) for name, m in owners.items()]
    stand_ins = {k: torch.empty_like(v, device="meta")
                 for k, v in model.state_dict(keep_vars=True).items()}
    training = model.training
    try:
        model.train()
        x = torch.empty(2, *input_shape, device="meta")
        torch.func.functional_call(model, stand_ins, (x,))
    except Exception:  # noqa: BLE001 (a forward that needs real data: `.item()`, numpy)
        return None
    finally:
        model.train(training)
        for handle in handles:
            handle.remove()
    names = called + [name for name in owners if name not in called]
    return [f"{name}.{k}" if name else k
            for name in names for k in owners[name].state_dict() if "." not in k]

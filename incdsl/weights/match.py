"""Match two state_dicts by structure: same order, same shapes, tensor by tensor.

Both sides list their tensors in module-registration order, which for these networks is the
order of the layers in the paper's figures, so names never have to agree. The first tensor
that does not fit stops the import with both names and shapes; nothing is loaded then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import torch
from torch import nn

from incdsl.errors import UsageError


def _selected(state: Mapping[str, torch.Tensor], skip: Iterable[str]) -> list[tuple[str, torch.Tensor]]:
    prefixes = tuple(skip)

    def skipped(key: str) -> bool:
        return any(key == p or key.startswith(p + ".") for p in prefixes)

    return [(k, v) for k, v in state.items() if not skipped(k)]


def shape_text(t: torch.Tensor) -> str:
    """`(32, 3, 3, 3)`: a tensor's shape as the error messages print it."""
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


def match_state_dicts(ours: Mapping[str, torch.Tensor], theirs: Mapping[str, torch.Tensor], *,
                      skip: Iterable[str] = (), skip_reference: Iterable[str] = ()
                      ) -> dict[str, torch.Tensor]:
    """Our key -> the reference's tensor, for every tensor of ours not under a `skip` prefix.

    Raises UsageError naming the first tensor that does not fit."""
    mine, refs = _selected(ours, skip), _selected(theirs, skip_reference)
    for index, ((key, tensor), (ref_key, ref)) in enumerate(zip(mine, refs)):
        if tensor.shape != ref.shape:
            raise UsageError(
                f"the weights do not fit this network: tensor #{index} of the reference, "
                f"'{ref_key}' {shape_text(ref)}, would go to '{key}', which is {shape_text(tensor)}; "
                "nothing was loaded")
    if len(mine) != len(refs):
        longer, other = ("the reference", "the network") if len(refs) > len(mine) else (
            "the network", "the reference")
        extra_key, extra = (refs if len(refs) > len(mine) else mine)[min(len(mine), len(refs))]
        extra_count = abs(len(refs) - len(mine))
        raise UsageError(
            f"the weights do not fit this network: {longer} has {extra_count} more "
            f"tensor{'s' if extra_count > 1 else ''} than {other} ({len(refs)} against {len(mine)}), the first being "
            f"'{extra_key}' {shape_text(extra)}; nothing was loaded")
    return {key: ref for (key, _), (_, ref) in zip(mine, refs)}


def import_weights(model: nn.Module, source, *, skip: Iterable[str] = (),
                   skip_reference: Iterable[str] = ()) -> list[str]:
    """Copy a reference's weights into `model` (a module built from a spec).

    `source`: an nn.Module, a state_dict, a checkpoint path or a reference name like
    "timm:inception_resnet_v2" (see `incdsl.weights.sources`). `skip` / `skip_reference`
    leave out tensors under those module paths (the classifier, when the heads differ).
    Returns the keys of `model` left as they were (those under `skip`)."""
    from incdsl.weights.sources import load_source

    skip = tuple(skip)
    theirs = load_source(source)
    ours = model.state_dict()
    mapped = match_state_dicts(ours, theirs, skip=skip, skip_reference=skip_reference)
    model.load_state_dict(mapped, strict=False)
    return [k for k in ours if k not in mapped]

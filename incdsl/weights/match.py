"""Match two state_dicts by structure: same order, same shapes, tensor by tensor.

Names never have to agree. A reference given as a model is read in the order its forward runs
(`incdsl.weights.order`), as is ours; a state_dict or checkpoint file in its own order, which
is the order its model registered its layers. The first tensor that does not fit stops the
import with both names and shapes; nothing is loaded then.
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
                   skip_reference: Iterable[str] = (),
                   input_shape: tuple[int, ...] | None = None) -> list[str]:
    """Copy a reference's weights into `model` (a module built from a spec).

    `source`: an nn.Module, a state_dict, a checkpoint path or a reference name like
    "timm:inception_resnet_v2" (see `incdsl.weights.sources`). `skip` / `skip_reference`
    leave out tensors under those module paths (the classifier, when the heads differ).
    With a model as source, tensors are paired in the order both forwards run on an image of
    `input_shape` (C, H, W), by default the input of the spec `model` was built from; else in
    the order of the state_dicts. Returns the keys of `model` left as they were (those under
    `skip`)."""
    ours, theirs = ordered_states(model, source,
                                  input_shape or getattr(model, "input_shape", None))
    mapped = match_state_dicts(ours, theirs, skip=tuple(skip), skip_reference=skip_reference)
    model.load_state_dict(mapped, strict=False)
    return [k for k in ours if k not in mapped]


def ordered_states(model: nn.Module, source, input_shape: tuple[int, ...] | None = None):
    """(ours, theirs): both state_dicts, each in the order tensors are paired."""
    from incdsl.weights.order import run_order
    from incdsl.weights.sources import load_source

    theirs = load_source(source)
    ours = model.state_dict()
    if isinstance(source, nn.Module) and input_shape is not None:
        our_order, their_order = run_order(model, input_shape), run_order(source, input_shape)
        if our_order is not None and their_order is not None:
            ours = {k: ours[k] for k in our_order}
            theirs = {k: theirs[k] for k in their_order}
    return ours, theirs

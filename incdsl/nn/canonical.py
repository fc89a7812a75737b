"""An optimised model speaks the spec's own state_dict: the keys, shapes and order of the
unoptimised model (`canonical`), so checkpoints, `incdsl weights import` and `--init` work
with either.

`attach` gives the optimised root module two hooks: `state_dict()` hands out canonical
tensors, `load_state_dict()` takes them and computes the optimised layers' own (each rewritten
layer's op knows how, from its `Origin`s). A training-mode model's map is one to one (pieces
along output channels), so its canonical tensors are computed from its own on every save; an
inference model folded BatchNorm and scales in, which cannot be undone, so it keeps the
canonical tensors it was last given (on the CPU) and hands those out. Its optimised tensors
can still be read under their own names with `own_state_dict`.
"""

from __future__ import annotations

import torch
from torch import nn

from incdsl.errors import UsageError
from incdsl.ops import OPS
from incdsl.ops.origin import Rebuilt


class Canonical:
    """The map between an optimised model's tensors and the canonical ones."""

    def __init__(self, g, layout: dict[str, torch.Size]):
        self.layout = dict(layout)  # canonical key -> shape, in canonical order
        self.rebuilt = [(d["module"], d["op"], d["attrs"]) for _, d in g.nodes(data=True)
                        if d["module"] is not None and isinstance(OPS[d["op"]], Rebuilt)]
        origins = [o for _, op, a in self.rebuilt for o in OPS[op].origins(a)]
        self.invertible = all(o.invertible for o in origins)
        consumed = {k for o in origins for k in o.tensor_keys()}
        self.unchanged = [k for k in self.layout if k not in consumed]
        self.rebuilt_modules = {m for m, _, _ in self.rebuilt}
        self.stored: dict[str, torch.Tensor] | None = None  # inference: what was loaded

    # ---- tensors -----------------------------------------------------------------------------

    def to_canonical(self, own: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Canonical tensors (in canonical order) from the optimised model's own, by their
        keys: parameters, buffers, or anything shaped like them (gradients)."""
        if not self.invertible:
            raise UsageError("an inference-optimised model's tensors cannot be mapped back "
                             "to the spec's (BatchNorm and scales are folded in)")
        out = {k: own[k] for k in self.unchanged if k in own}
        mine: dict[str, dict] = {m: {} for m in self.rebuilt_modules}
        for key, tensor in own.items():  # `module.weight` or `module.conv.weight`
            head, _, last = key.rpartition(".")
            outer, _, middle = head.rpartition(".")
            if head in mine:
                mine[head][last] = tensor
            elif outer in mine:
                mine[outer][f"{middle}.{last}"] = tensor
        for module, op, attrs in self.rebuilt:
            out.update(OPS[op].save(attrs, mine[module]))
        return {k: out[k] for k in self.layout if k in out}

    def to_own(self, canonical: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The optimised model's tensors from a complete canonical state."""
        out = {k: canonical[k] for k in self.unchanged}
        for module, op, attrs in self.rebuilt:
            for name, tensor in OPS[op].load(attrs, canonical.__getitem__).items():
                out[f"{module}.{name}"] = tensor
        return out

    # ---- hooks -------------------------------------------------------------------------------

    def save_hook(self, module, state_dict, prefix, local_metadata) -> None:
        own = {k[len(prefix):]: state_dict.pop(k) for k in list(state_dict)
               if k.startswith(prefix)}
        canonical = self.stored if not self.invertible else self.to_canonical(own)
        for key in self.layout:
            state_dict[prefix + key] = canonical[key]

    def load_hook(self, module, state_dict, prefix, local_metadata, strict, missing_keys,
                  unexpected_keys, error_msgs) -> None:
        given = {}
        for key in list(state_dict):
            name = key[len(prefix):]
            if not key.startswith(prefix) or name not in self.layout:
                continue
            tensor = state_dict.pop(key)
            if tensor.shape != self.layout[name]:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{tuple(tensor.shape)} from checkpoint, the shape in "
                                  f"current model is {tuple(self.layout[name])}.")
                continue
            given[name] = tensor.detach().cpu()
        if not given:
            return  # the optimised model's own keys: loaded as they are
        missing_keys += [prefix + k for k in self.layout if k not in given]
        current = {k: v.detach().cpu() for k, v in canonical_state(module).items()}
        full = {**current, **given}
        if not self.invertible:
            self.stored = {k: v.clone() for k, v in full.items()}
        for key, tensor in self.to_own(full).items():
            state_dict[prefix + key] = tensor


class _Hook:
    """A hook that pickles and deep-copies with its model (torch marks hooks with attributes,
    which bound methods do not take)."""

    def __init__(self, canonical: Canonical, method: str):
        self.canonical, self.method = canonical, method

    def __call__(self, *args):
        return getattr(self.canonical, self.method)(*args)


def canonical_state(module: nn.Module) -> dict[str, torch.Tensor]:
    return module.state_dict()


def own_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """An optimised model's tensors under their own names (what it computes with): what
    the module `incdsl compile --optimize` writes loads."""
    out = {}
    for path, module in model.named_modules():
        prefix = f"{path}." if path else ""
        out.update({prefix + k: p.detach() for k, p in module.named_parameters(recurse=False)})
        out.update({prefix + k: b.detach() for k, b in module.named_buffers(recurse=False)
                    if k not in module._non_persistent_buffers_set})
    return out


def attach(root: nn.Module, g, reference_state: dict[str, torch.Tensor]) -> Canonical:
    """Give `root` (built from the optimised graph `g`) the canonical state_dict of the model
    whose state is `reference_state`, and load that state."""
    canonical = Canonical(g, {k: v.shape for k, v in reference_state.items()})
    if not canonical.invertible:
        canonical.stored = {k: v.detach().cpu().clone() for k, v in reference_state.items()}
    root.register_state_dict_post_hook(_Hook(canonical, "save_hook"))
    root.register_load_state_dict_pre_hook(_Hook(canonical, "load_hook"))
    root._incdsl_canonical = canonical
    root.load_state_dict(reference_state)
    return canonical


def canonical_of(model: nn.Module) -> Canonical | None:
    """The map of an optimised model (unwrapping torch.compile's and DDP's), else None."""
    model = getattr(model, "_orig_mod", model)
    model = getattr(model, "module", model)
    return getattr(model, "_incdsl_canonical", None)

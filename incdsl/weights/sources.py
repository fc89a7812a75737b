"""Where reference weights come from: a model object, a state_dict, a checkpoint file, or a
reference model named `library:name` (random weights offline, `pretrained=True` online)."""

from __future__ import annotations

import os
import pickle
import zipfile
from collections.abc import Mapping

import torch
from torch import nn

from incdsl.errors import UsageError

LIBRARIES = ("timm", "torchvision", "facenet", "pretrainedmodels")


def reference_model(name: str, *, pretrained: bool = False) -> nn.Module:
    """`timm:inception_resnet_v2`, `torchvision:inception_v3`, `facenet:InceptionResnetV1`,
    `pretrainedmodels:bninception`."""
    library, sep, model = name.partition(":")
    if not sep or library not in LIBRARIES or not model:
        raise UsageError(f"unknown reference '{name}': expected LIBRARY:MODEL with LIBRARY one "
                         f"of {', '.join(LIBRARIES)}, e.g. timm:inception_resnet_v2")
    try:
        if library == "timm":
            import timm

            if model not in timm.list_models():
                raise UsageError(f"timm has no model '{model}'")
            return timm.create_model(model, pretrained=pretrained)
        if library == "torchvision":
            import torchvision.models as tvm

            if model not in tvm.list_models():
                raise UsageError(f"torchvision has no model '{model}'")
            weights = "DEFAULT" if pretrained else None
            if model in ("inception_v3", "googlenet"):  # the aux heads are the architecture's
                return tvm.get_model(model, weights=weights, aux_logits=True,
                                     init_weights=not pretrained)
            return tvm.get_model(model, weights=weights)
        if library == "pretrainedmodels":
            # The model files themselves: the package's __init__ imports every model it has.
            import importlib

            try:
                module = importlib.import_module(f"pretrainedmodels.models.{model}")
            except ModuleNotFoundError as e:
                if e.name != f"pretrainedmodels.models.{model}":
                    raise
                raise UsageError(f"pretrainedmodels has no model '{model}'") from None
            return getattr(module, model)(pretrained="imagenet" if pretrained else None)
        # facenet-pytorch: import the model file itself, its package pulls in optional deps.
        from facenet_pytorch.models import inception_resnet_v1 as facenet

        if not hasattr(facenet, model):
            raise UsageError(f"facenet-pytorch has no model '{model}'")
        return getattr(facenet, model)(pretrained="vggface2" if pretrained else None,
                                       classify=False)
    except ImportError as e:
        raise UsageError(f"reference '{name}' needs the package {e.name!r}, which is not "
                         "installed") from None


def load_source(source) -> Mapping[str, torch.Tensor]:
    """A state_dict from a module, a state_dict, a checkpoint path or a reference name."""
    if isinstance(source, nn.Module):
        return source.state_dict()
    if isinstance(source, Mapping):
        return source
    text = os.fspath(source)
    if text.split(":", 1)[0] in LIBRARIES and not os.path.exists(text):
        return reference_model(text).state_dict()
    if not os.path.isfile(text):
        raise UsageError(f"no checkpoint file '{text}' (and not a reference name like "
                         "timm:inception_resnet_v2)")
    state = load_tensors(text)
    for wrapper in ("state_dict", "model", "model_state_dict"):
        if isinstance(state, Mapping) and isinstance(state.get(wrapper), Mapping):
            state = state[wrapper]
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor)
                                                  for v in state.values()):
        raise UsageError(f"'{text}' does not hold a state_dict (a mapping of names to tensors)")
    return state


def load_tensors(path) -> object:
    """`torch.load` with `weights_only=True` (a file never runs code), every way a file can
    fail to load as one UsageError saying why, without torch's advice to retry with
    weights_only=False: that would run whatever code the file holds."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 (pickle, zip and torch each fail their own way)
        raise UsageError(f"{path}: not a readable PyTorch checkpoint ({_why(e, path)})") \
            from None


def _why(e: Exception, path) -> str:
    text = str(e)
    if isinstance(e, OSError):  # unreadable, not wrong: say so before guessing at contents
        return f"{type(e).__name__}: {e.strerror or text}"
    if isinstance(e, pickle.UnpicklingError) and "Unsupported global" in text:
        return ("it holds Python objects, not only tensors (a whole pickled model?); incdsl "
                "reads tensors only; save the model's state_dict() instead")
    # Outside a zip archive torch reads a bare pickle, and arbitrary bytes fail there in
    # whatever way the opcodes they happen to hold lead to (IndexError, KeyError, ...).
    if (isinstance(e, pickle.UnpicklingError) or "weights_only" in text
            or not zipfile.is_zipfile(path)):
        return "its contents are not a pickle of tensors"
    first = text.splitlines()[0] if text else "no detail"
    return f"{type(e).__name__}: {first}"

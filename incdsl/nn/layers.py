"""What a network with auxiliary heads returns in training mode (the layers themselves are the
ops' own: `incdsl.ops`)."""

from __future__ import annotations

from collections import namedtuple

# What torchvision's inception_v3 returns in training mode.
InceptionOutputs = namedtuple("InceptionOutputs", ["logits", "aux_logits"])


def outputs_type(names: tuple[str, ...]):
    """The namedtuple a network with auxiliary heads returns in training mode."""
    if names == InceptionOutputs._fields:
        return InceptionOutputs
    return namedtuple("InceptionOutputs", names)  # the name generated files give it too

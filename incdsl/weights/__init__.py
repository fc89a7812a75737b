"""Weights from reference implementations (timm, torchvision, facenet-pytorch) into networks
built from a spec, matched by structure: the n-th tensor of the reference's state_dict goes to
the n-th tensor of ours, with a shape check at every tensor."""

from incdsl.weights.match import import_weights, match_state_dicts
from incdsl.weights.sources import load_source, reference_model

__all__ = ["import_weights", "load_source", "match_state_dicts", "reference_model"]

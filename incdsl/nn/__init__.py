"""The PyTorch backend: build a torch.nn.Module from the graph IR (`build_module`)."""

from incdsl.nn.build import build_module

__all__ = ["build_module"]

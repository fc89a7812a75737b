"""The PyTorch backend: build a torch.nn.Module from the graph IR (`build_module`), imported on
first use so that importing incdsl never loads torch."""


def __getattr__(name):
    if name == "build_module":
        from incdsl.nn.build import build_module

        return build_module
    raise AttributeError(f"module 'incdsl.nn' has no attribute {name!r}")


__all__ = ["build_module"]

"""The helper module classes of the ops (`ConvBN`, `GlobalAvgPool`), made from the same source
text that generated files contain, so `incdsl.build()` and `incdsl compile` share them.

Each class is made once, on first use (that is when torch is imported), and lives in this
module's namespace, so pickle finds it as `incdsl.ops.helpers.ConvBN`.
"""

from __future__ import annotations

import linecache

from incdsl.ops.base import OPS, Helper


def helper_class(helper: Helper) -> type:
    if helper.name not in globals():
        import torch
        import torch.nn.functional as F
        from torch import nn

        namespace = {"torch": torch, "F": F, "nn": nn, "__name__": __name__}
        filename = f"<incdsl helper {helper.name}>"
        lines = helper.source.splitlines(True)
        linecache.cache[filename] = (len(helper.source), None, lines, filename)  # tracebacks
        # The op's own constant source, never spec text.
        exec(compile(helper.source, filename, "exec"), namespace)  # noqa: S102
        cls = namespace[helper.name]
        cls.__module__ = __name__
        globals()[helper.name] = cls
    return globals()[helper.name]


def __getattr__(name: str) -> type:
    for op in OPS.values():
        for helper in op.helpers:
            if helper.name == name:
                return helper_class(helper)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The op registry: every layer and statement of the language, one module each.

    from incdsl.ops import OPS, STATEMENTS
    OPS["conv"].signature.usage("conv")

Adding an op is adding a module to this package that defines a registered `base.Op` (or
`base.Statement`): every module here is imported, and registers what it defines.
"""

from importlib import import_module
from pkgutil import iter_modules

from incdsl.ops.base import OPS, STATEMENTS, Op, Statement, all_options, layers

for _module in iter_modules(__path__):
    import_module(f"{__name__}.{_module.name}")

__all__ = ["OPS", "STATEMENTS", "Op", "Statement", "all_options", "layers"]

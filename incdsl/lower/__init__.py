"""Graph IR -> the module tree and the text of each `forward`, shared by the in-memory builder
(`incdsl.nn`) and the code generator (`incdsl.codegen`). Needs no torch."""

from incdsl.lower.forward import Forward, identifier, is_attribute, lower, module_ref
from incdsl.lower.scopes import Repeat, Scope, scope_tree

__all__ = ["Forward", "Repeat", "Scope", "identifier", "is_attribute", "lower", "module_ref",
           "scope_tree"]

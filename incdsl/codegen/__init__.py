"""Code generation: graph IR -> standalone PyTorch source (`generate`)."""

from incdsl.codegen.python import generate

__all__ = ["generate"]

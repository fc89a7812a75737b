"""`incdsl diff`: what differs between two networks, stage by stage (`compare`), as text or
JSON (`report`); the side-by-side figure is drawn by `incdsl.draw.compare`."""

from incdsl.diff.compare import Change, Comparison, compare
from incdsl.diff.stages import Stage, stages

__all__ = ["Change", "Comparison", "Stage", "compare", "stages"]

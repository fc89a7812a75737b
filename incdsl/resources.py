"""Where the grammar and the shipped architectures are, in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    # A wheel carries them in incdsl/_data/; a source checkout has them beside the package.
    installed = _PACKAGE / "_data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def grammar_file() -> Path:
    return _data_dir("grammar") / "incdsl.lark"


def architectures_dir() -> Path:
    return _data_dir("architectures")


def shipped_architectures() -> list[str]:
    """Names of the shipped networks (`v3`, `irv2`, ...), without the library files."""
    return sorted(p.stem for p in architectures_dir().glob("*.inc"))

"""Every test dependency is installed. A missing one fails here, by name and with how to
install it, rather than quietly skipping the tests that need it: a green run must not hide a
missing install. (Only hardware, CUDA or a second GPU, may skip a test.)"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def declared_test_dependencies() -> list[str]:
    """The import names of pyproject.toml's `test` extra (Python 3.10 has no tomllib)."""
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^test = \[(.*?)^\]", text, re.DOTALL | re.MULTILINE).group(1)
    names = re.findall(r'^\s*"([A-Za-z0-9_.-]+)', block, re.MULTILINE)
    return [name.replace("-", "_") for name in names]


# Installed by setup.sh --test outside the extra (its pins on torch are older than ours).
FROM_SETUP_SH = ["facenet_pytorch", "pretrainedmodels"]


def test_the_list_is_read():
    assert {"timm", "onnx", "tensorboard", "requests"} <= set(declared_test_dependencies())


@pytest.mark.parametrize("module", declared_test_dependencies() + FROM_SETUP_SH)
def test_installed(module):
    try:
        importlib.import_module(module)
    except ImportError as e:
        pytest.fail(f"test dependency {module} cannot be imported ({e}); ./setup.sh --test "
                    "installs every one")

"""Shared helpers: write a spec to a temporary file and elaborate or check it."""

from __future__ import annotations

import shutil
import textwrap

import pytest

import incdsl
from incdsl.errors import SpecError


@pytest.fixture
def spec_file(tmp_path):
    """spec_file(text, name="t.inc") -> path of a file holding the dedented text."""

    def write(text: str, name: str = "t.inc"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    return write


@pytest.fixture
def graph_of(spec_file):
    def make(text: str, **overrides):
        return incdsl.graph(spec_file(text), **overrides)

    return make


@pytest.fixture
def error_of(spec_file):
    """The SpecError a spec raises through `incdsl check`'s path (validation + elaboration)."""
    from incdsl.report.check import check_file

    def run(text: str, name: str = "t.inc") -> SpecError:
        path = spec_file(text, name)
        with pytest.raises(SpecError) as info:
            check_file(str(path))
        return info.value

    return run


@pytest.fixture
def needs_dot():
    """Graphviz's `dot` renders figures: a test dependency like the Python ones, so a missing
    one fails the test that needs it rather than skipping it (./setup.sh installs it as root)."""
    if shutil.which("dot") is None:
        pytest.fail("Graphviz's dot is not installed: ./setup.sh --test installs it as root, or "
                    "apt-get install graphviz")

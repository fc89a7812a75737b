import shutil

import pytest


@pytest.fixture
def needs_dot():
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")

"""`incdsl compile --optimize`: the generated module computes what build(optimize=...) does,
reads like hand-written code (ruff-clean, fused layers say which spec layers they hold) and
loads the optimised model's own tensors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import incdsl
from incdsl.codegen import generate
from incdsl.nn.canonical import own_state_dict
from incdsl.passes import optimize
from tests.codegen.test_generate import load_generated

SMALL = {"width": 0.125, "size": 75, "blocks_a": 1, "blocks_b": 1, "blocks_c": 2,
         "classes": 10}


@pytest.mark.parametrize("mode", ["inference", "training"])
def test_generated_optimised_module_equals_build(mode, tmp_path):
    g = incdsl.graph("irv2", **SMALL)
    source = generate(optimize(g, mode))
    path = tmp_path / f"irv2_{mode}.py"
    path.write_text(source)
    assert f"Optimised for {mode}" in source
    assert "# branch0, branch1/conv1, branch2/conv1 of the spec" in source
    assert "FusedConv(in_channels, [" in source and "fused[:, 0:" in source
    network = getattr(load_generated(path, f"gen_irv2_{mode}"), g.graph["name"])()
    built = incdsl.build("irv2", seed=0, optimize=mode, **SMALL).eval()
    network.load_state_dict(own_state_dict(built))
    x = torch.randn(2, 3, 75, 75)
    with torch.no_grad():
        assert torch.equal(network.eval()(x), built(x))


def test_generated_optimised_code_is_ruff_clean(tmp_path):
    path = tmp_path / "v3_inference.py"
    path.write_text(generate(optimize(incdsl.graph("v3"), "inference")))
    for args in (["check", "--isolated"], ["format", "--isolated", "--check"]):
        done = subprocess.run([sys.executable, "-m", "ruff", *args, str(path)],
                              check=False, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr

"""`incdsl export`: every shipped network at a small size optimised for inference (and two as
the spec: exporting takes ~10 s a network, and the spec's layers are plain PyTorch modules),
written as ONNX and as torch.export's .pt2 from one exported program; the ONNX file run by
onnxruntime and the .pt2 loaded by torch.export.load give PyTorch's outputs (within 1e-4
relative), at a batch size other than the one exported with."""

from __future__ import annotations

import argparse

import numpy as np
import onnxruntime as ort
import pytest
import torch

from incdsl.cli import main
from incdsl.cli.export import exported, model_for, write
from tests.passes.conftest import SMALL


def args_for(name: str, optimize: str | None, weights=None) -> argparse.Namespace:
    overrides = [f"{k}={v}" for k, v in {**SMALL[name], "classes": 10}.items()]
    return argparse.Namespace(spec=name, network=None, overrides=overrides, optimize=optimize,
                              weights=weights)


def relative(a: np.ndarray, b: torch.Tensor) -> float:
    return float(np.abs(a - b.numpy()).max() / b.abs().max().item())


CASES = [(name, "inference") for name in sorted(SMALL)] + [("irv2", None), ("v3", None)]


@pytest.mark.parametrize("name, optimize", CASES)
def test_onnxruntime_and_torch_export_load_agree(name, optimize, tmp_path):
    g, model = model_for(args_for(name, optimize))
    program = exported(g, model)
    onnx_path, pt2_path = tmp_path / "m.onnx", tmp_path / "m.pt2"
    write(program, "onnx", str(onnx_path))
    write(program, "pt2", str(pt2_path))
    x = torch.randn(3, *g.nodes[g.graph["input"]]["shape"])
    with torch.no_grad():
        expected = model(x)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    assert isinstance(session.get_inputs()[0].shape[0], str)  # a symbol: the batch is dynamic
    (out,) = session.run(None, {"images": x.numpy()})
    assert relative(out, expected) < 1e-4
    loaded = torch.export.load(str(pt2_path)).module()
    with torch.no_grad():
        assert relative(loaded(x).numpy(), expected) < 1e-4


def test_command_with_weights(tmp_path, capsys):
    import incdsl

    weights = tmp_path / "w.pt"
    spec = incdsl.build("irv2", seed=7, classes=10, **SMALL["irv2"])
    torch.save(spec.state_dict(), weights)
    out = tmp_path / "irv2.pt2"
    args = ["export", "irv2", "--format", "pt2", "--optimize", "inference", "--weights",
            str(weights), "-o", str(out)]
    for key, value in {**SMALL["irv2"], "classes": 10}.items():
        args += ["--set", f"{key}={value}"]
    assert main(args) == 0
    assert "optimised for inference" in capsys.readouterr().err
    x = torch.randn(1, 3, 75, 75)
    with torch.no_grad():
        expected = spec.eval()(x)
        got = torch.export.load(str(out)).module()(x)
    assert relative(got.numpy(), expected) < 1e-4
    args[args.index("width=0.125")] = "width=0.25"  # the weights do not fit
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2 and "is for another network" in err and len(err.splitlines()) == 1

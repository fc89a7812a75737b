"""Random specs made from the language's constructs (tests/specgen.py): the graph, build() and
the generated code agree on every layer's shape, the parameter count and the outputs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from hypothesis import HealthCheck, given, settings

import incdsl
from incdsl.codegen import generate
from incdsl.ir.graph import total_params
from tests.codegen.test_generate import assert_computes_the_same, load_generated
from tests.specgen import specs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_graph_build_and_compile_agree(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.inc"
        path.write_text(text)
        g = incdsl.graph(path)
        model = incdsl.build(path, seed=0)
        assert sum(p.numel() for p in model.parameters()) == total_params(g)

        # Every layer that owns a module makes the shape the graph says.
        shapes, handles = {}, []

        def record(node):
            def hook(module, inputs, output):  # returns None: the output stays as it is
                shapes.setdefault(node, tuple(output.shape[1:]))
            return hook

        for node, data in g.nodes(data=True):
            if data["module"] is not None:
                module = model.get_submodule(data["module"])
                handles.append(module.register_forward_hook(record(node)))
        x = torch.randn(2, *g.nodes[g.graph["input"]]["shape"])
        model.eval()
        with torch.no_grad():
            out = model(x)
        for handle in handles:
            handle.remove()
        assert tuple(out.shape[1:]) == g.nodes[g.graph["outputs"]["logits"]]["shape"]
        for node, shape in shapes.items():
            assert shape == g.nodes[node]["shape"], (node, text)

        source = Path(folder) / "random.py"
        source.write_text(generate(g))
        network = getattr(load_generated(source, "random_spec"), g.graph["name"])()
        network.load_state_dict(model.state_dict())
        assert_computes_the_same(model, network, x, note=text)

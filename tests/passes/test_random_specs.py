"""The passes on specs hypothesis makes up: Inception-like blocks of random branches (1x1
reductions with and without BatchNorm, ReLU, bias; pools before 1x1 convolutions, counting
their padding or not; 3x3 towers), optionally residual with a random scale. Both modes give
the spec's outputs and state_dict."""

from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incdsl.nn import build_module
from incdsl.passes import optimize
from tests.passes.conftest import TOLERANCE, image, reference, relative_error

width = st.integers(2, 10)
options = st.lists(st.sampled_from(["no bn", "no relu", "bias", "eps=0.01"]), max_size=2,
                   unique=True)


@st.composite
def branch(draw) -> str:
    kind = draw(st.sampled_from(["1x1", "tower", "pool", "max", "3x3"]))
    c = draw(width)
    one = f"conv {c} 1x1 {' '.join(draw(options))}".strip()
    if kind == "1x1":
        return one
    if kind == "tower":
        return f"{one} -> conv {draw(width)} 3x3"
    if kind == "pool":
        pad = draw(st.sampled_from(["", " no count_include_pad"]))
        return f"avgpool 3x3{pad} -> {one}"
    return "maxpool 3x3" if kind == "max" else f"conv {c} 3x3"


@st.composite
def spec(draw) -> str:
    lines = ["network N:", "    input 3x10x10", f"    conv {draw(st.integers(8, 16))} 3x3"]
    for _ in range(draw(st.integers(1, 2))):
        branches = draw(st.lists(branch(), min_size=2, max_size=5))
        if draw(st.booleans()):
            scale = draw(st.sampled_from(["0.1", "0.5", "1.0", "(-0.3)"]))
            relu = draw(st.sampled_from(["", " relu"]))
            lines += [f"    residual scale={scale}{relu}:", "        concat:"]
            lines += [f"            {b}" for b in branches]
            lines.append("        conv trunk 1x1 bias no bn no relu")
        else:
            lines += ["    concat:"] + [f"        {b}" for b in branches]
    lines.append("    global avgpool -> dropout 0.3 -> linear 5")
    return "\n".join(lines) + "\n"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(text=spec())
def test_random_specs_compute_the_same(text, graph_of):
    g = graph_of(text)
    ref, state = reference(g)
    x = image(g)
    with torch.no_grad():
        expected = ref.eval()(x)
    for mode in ("inference", "training"):
        model = build_module(optimize(g, mode), canonical=g)
        model.load_state_dict(state)
        with torch.no_grad():
            assert relative_error(model.eval()(x), expected) < TOLERANCE, (mode, text)
        saved = model.state_dict()
        assert list(saved) == list(state)
        assert all(torch.equal(saved[k], state[k]) for k in state), (mode, text)

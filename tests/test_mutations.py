"""Property: whatever a mutated shipped spec says, `incdsl check` either accepts it or fails
with an incdsl error (located, for spec mistakes), never with another exception."""

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incdsl import resources
from incdsl.errors import SpecError, UsageError
from incdsl.report.check import check_file

SHIPPED = {p.stem: p.read_text() for p in resources.architectures_dir().glob("*.inc")}
LIBRARY = {p.name: p.read_text() for p in (resources.architectures_dir() / "lib").glob("*.inc")}

TOKENS = ["conv", "maxpool", "avgpool", "concat:", "residual", "branch:", "aux", "x10", "x0",
          "3x3", "1x7", "/2", "valid", "same", "no", "bias", "relu", "->", "(", ")", ",", ":",
          "=", "0", "-1", "1e9", "0.5", "trunk", "if", "else:", "use", '"lib/stems.inc"',
          "block", "network", "Block35", "ReductionA", "input", "defaults", "\n", "\n    ",
          "\t", "#", "**", "//", "999999999999", "as", "k", "true", "(((", ")))", "é", "\\"]


@st.composite
def mutated(draw, texts):
    name = draw(st.sampled_from(sorted(texts)))
    text = texts[name]
    for _ in range(draw(st.integers(1, 3))):
        pos = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "dup_line", "swap"]))
        if kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 12)):]
        elif kind == "insert":
            text = text[:pos] + " " + draw(st.sampled_from(TOKENS)) + " " + text[pos:]
        elif kind == "replace":
            text = text[:pos] + draw(st.sampled_from(TOKENS)) + text[pos + draw(st.integers(1, 4)):]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "dup_line":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return name, text


def check_text(name: str, text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.inc"
        path.write_text(text)
        try:
            check_file(str(path))
        except SpecError as e:
            assert e.diagnostics
            for d in e.diagnostics:
                assert d.location is not None, d.message
                assert d.location.line >= 1 and d.location.column >= 1
            e.render()
        except UsageError as e:
            assert str(e)


FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FAST
@given(mutated(SHIPPED))
def test_mutated_networks_fail_only_with_incdsl_errors(case):
    check_text(*case)


@FAST
@given(mutated(LIBRARY))
def test_mutated_libraries_fail_only_with_incdsl_errors(case):
    check_text(*case)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_fails_only_with_incdsl_errors(text):
    check_text("random", text)


@pytest.mark.parametrize("depth", [10, 2000])
def test_deep_nesting(depth):
    check_text("deep", "network N(a=" + "(" * depth + "1" + ")" * depth + "):\n    input 3x8x8\n")

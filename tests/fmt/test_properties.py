"""Properties of the formatter: idempotent, and what a spec means never changes: on the shipped
specs, on the same specs with their spacing scrambled, and on randomly mutated specs."""

import random
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings

import incdsl
from incdsl import resources
from incdsl.errors import SpecError
from incdsl.fmt import format_text
from incdsl.syntax.parser import parse, parse_tokens
from tests.test_mutations import LIBRARY, SHIPPED, mutated

ALL = {**SHIPPED, **{f"lib/{k}": v for k, v in LIBRARY.items()}}


def scramble(text: str, rnd: random.Random) -> str:
    """The same tokens with other spacing: other indentation units, extra blank lines, more
    or fewer spaces wherever the lexer reads the same tokens either way."""
    _, tokens = parse_tokens(text)
    unit = rnd.choice([" ", "  ", "   ", "\t", " " * 8])
    out, previous, head, was_head = [], None, True, False
    for tok in tokens:
        if tok.type == "_NL":
            def indent(m):
                spaces = m.group(1).replace("\t", " " * 8)
                return "\n" + unit * (len(spaces) // 4) + " " * (len(spaces) % 4)
            value = re.sub(r"\r?\n([ \t]*)", indent, tok.value)
            # more blank lines where there are some (one in a row is the file's choice)
            out.append(re.sub(r"\n(?=\n)", lambda m: "\n" * rnd.randint(1, 3), value))
            previous, head = None, True
            continue
        if previous is not None:
            gap = tok.start_pos - previous.end_pos
            glued = previous.type == "REPEAT" or (tok.value == "(" and previous.type == "NAME"
                                                  and was_head)
            if gap == 0:
                out.append("" if glued or rnd.random() < 0.5 else " ")
            else:
                out.append(" " * rnd.randint(1, 3))
        out.append(tok.value)
        was_head = head and tok.type == "NAME"
        head = tok.value == "->"
        previous = tok
    return "".join(out)


def comments_unaligned(text: str) -> str:
    """Trailing comments' columns follow the file's alignment, which spacing changes."""
    return re.sub(r"(?<=\S) +#", " #", text)


def graph_facts(g):
    return {n: (d.op, d.attrs, d.shape, d.params, d.macs, tuple(d.inputs), d.module)
            for n, d in g.nodes(data=True)}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_a_scrambled_network_formats_back_and_builds_the_same_graph(name, tmp_path):
    text = SHIPPED[name]
    assert format_text(text) == text  # the shipped specs are formatted
    messy = scramble(text, random.Random(name))
    assert messy != text
    tidy = format_text(messy)
    assert comments_unaligned(tidy) == comments_unaligned(text)
    arch = resources.architectures_dir()
    (tmp_path / "lib").symlink_to(arch / "lib")
    (tmp_path / "messy.inc").write_text(messy)
    (tmp_path / "tidy.inc").write_text(tidy)
    want = graph_facts(incdsl.graph(arch / f"{name}.inc"))
    assert graph_facts(incdsl.graph(tmp_path / "messy.inc")) == want
    assert graph_facts(incdsl.graph(tmp_path / "tidy.inc")) == want


FAST = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def same_tree(a: str, b: str) -> bool:
    """The syntax trees, compared field by field with the locations left out (the
    formatter checks this itself; here it is checked again, independently)."""

    def strip(node):
        if hasattr(node, "__dataclass_fields__"):
            return (type(node).__name__, *(strip(getattr(node, f)) for f in
                                           node.__dataclass_fields__ if "loc" not in f))
        if isinstance(node, (tuple, list)):
            return tuple(strip(n) for n in node)
        return node

    return strip(parse(a)) == strip(parse(b))


@FAST
@given(mutated(ALL))
def test_mutated_specs_format_idempotently_and_keep_their_meaning(case):
    _, text = case
    try:
        once = format_text(text)
    except SpecError:
        assume(False)
    assert format_text(once) == once
    assert same_tree(once, text)

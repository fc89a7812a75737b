"""The module tree lowering reads from the graph: which scopes are classes, which are plain
sequences, which repeats are called as one."""

from __future__ import annotations

import incdsl
from incdsl.lower import Repeat, Scope, lower, scope_tree


def _find(scope: Scope, path: str) -> Scope:
    for item in scope.items:
        members = item.members if isinstance(item, Repeat) else [item]
        for member in members:
            if isinstance(member, Scope):
                if member.path == path:
                    return member
                if path.startswith(member.path + "/"):
                    return _find(member, path)
    raise KeyError(path)


def test_branches_heads_and_repeats_of_v3():
    root = scope_tree(incdsl.graph("v3"))
    # conv 48 1x1 -> conv 64 5x5: each layer feeds the next, a Sequential with their names.
    tower = _find(root, "mixed_5b/branch1")
    assert tower.sequence and tower.container.kind == "branch" and len(tower.items) == 2
    # conv 384 1x1, then two convolutions side by side: a class with a forward of its own.
    split = _find(root, "mixed_7b/branch1")
    assert not split.sequence and len(split.outputs) == 1
    # The auxiliary head is a scope of its own, holding the InceptionAux instance.
    head = _find(root, "aux_logits")
    assert head.container.kind == "aux" and head.sequence
    assert _find(root, "aux_logits/head").instance.block == "InceptionAux"


def test_a_repeat_whose_blocks_feed_each_other_is_one_call():
    root = scope_tree(incdsl.graph("irv2"))
    repeats = [item for item in root.items if isinstance(item, Repeat)]
    assert [(r.module, len(r.members), r.chain) for r in repeats] == [
        ("block35", 10, True), ("block17", 20, True), ("block8", 9, True)]


def test_repeated_layers_are_one_sequential_called_as_their_ops_say(graph_of):
    g = graph_of("""
        network N:
            input 3x8x8
            conv 4 1x1 x2
            conv 4 1x1 no bn x2     # a ReLU outside the module: called one by one
    """)
    root = scope_tree(g)
    repeats = [i for i in root.items if isinstance(i, Repeat)]
    assert [(r.module, r.members) for r in repeats] == [
        ("conv1", ["conv1[0]", "conv1[1]"]), ("conv2", ["conv2[0]", "conv2[1]"])]
    text = lower(g, root).source()
    assert "x = self.conv1(x)" in text
    assert "x = F.relu(self.conv2[0](x), inplace=True)" in text
    assert "x = F.relu(self.conv2[1](x), inplace=True)" in text

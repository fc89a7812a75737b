"""`incdsl diff` as a user runs it: what differs between Inception-ResNet-v2 as released and
as the paper draws it must be what docs/fidelity.md lists by hand; a network against itself
is the same; exit codes like diff's."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from incdsl.cli import main

ROOT = Path(__file__).resolve().parents[2]


def fidelity_row(number: int) -> str:
    for line in (ROOT / "docs" / "fidelity.md").read_text().splitlines():
        if line.startswith(f"| {number} |"):
            return line
    raise AssertionError(f"docs/fidelity.md has no row {number}")


def diff_json(capsys, a, b):
    code = main(["diff", a, b, "--json"])
    out = json.loads(capsys.readouterr().out)
    return code, out


@pytest.fixture(scope="module")
def irv2_vs_paper():
    import incdsl
    from incdsl.diff import compare
    from incdsl.diff.report import as_json, text

    c = compare(incdsl.graph("irv2"), incdsl.graph("irv2_paper"))
    return as_json(c, "irv2", "irv2_paper"), text(c, "irv2", "irv2_paper")


def stage(report, change, name):
    side = "b" if change == "added" else "a"
    found = [s for s in report["stages"] if s["change"] == change
             and s[side]["name"].startswith(name)]
    assert len(found) == 1, (change, name)
    return found[0]


def test_the_stems_of_row_1(irv2_vs_paper):
    row = fidelity_row(1)
    assert "IRv2 stem" in row
    report, _ = irv2_vs_paper
    paper_out = re.search(r"Inception-v4 stem, Fig. 3 \((\d+x\d+x\d+)\)", row).group(1)
    v3_out = re.search(r"Inception-v3 stem to (\d+x\d+x\d+)", row).group(1)
    mixed = re.search(r"Mixed_5b \([\d +]+ = (\d+)\)", row).group(1)
    assert stage(report, "removed", "InceptionV3Stem")["a"]["output"] == v3_out
    assert stage(report, "removed", "Mixed5b")["a"]["output"] == f"35x35x{mixed}"
    assert stage(report, "added", "InceptionV4Stem")["b"]["output"] == paper_out


def test_the_blocks_per_stage_of_row_2(irv2_vs_paper):
    row = fidelity_row(2)
    paper = re.search(r"\| (\d+) / (\d+) / (\d+) \(Fig. 15\)", row).groups()
    released = re.search(r"\| (\d+) / (\d+) / (\d+) \(9 \+ a final block\)", row).groups()
    report, text = irv2_vs_paper
    for block, before, after in zip(("Block35", "Block17", "Block8"), released, paper):
        change = stage(report, "changed", block)
        final = 1 if block == "Block8" else 0  # the final block is row 4's
        assert (change["a"]["count"] + final, change["b"]["count"]) == (int(before), int(after))
        assert f"{block} x{int(before) - final} -> x{after}" in change["details"]
        assert f"{block}(scale=" in text


def test_the_trunk_widths_of_row_3(irv2_vs_paper):
    row = fidelity_row(3)
    released = re.search(r"\| (\d+) and (\d+) \|", row).groups()
    paper = re.search(r"(\d+)/(\d+) in the paper's layout", row).groups()
    report, _ = irv2_vs_paper
    for block, grid, before, after in (("ReductionA", 17, released[0], paper[0]),
                                       ("ReductionB", 8, released[1], paper[1])):
        change = stage(report, "changed", block)
        assert f"output {grid}x{grid}x{before} -> {grid}x{grid}x{after}" in change["details"]
    block35 = stage(report, "changed", "Block35")  # the projection follows the trunk
    assert "layer - conv: 1x1 Conv (320 Linear)" in block35["details"]
    assert "layer + conv: 1x1 Conv (384 Linear)" in block35["details"]


def test_the_end_of_the_8x8_stage_of_row_4(irv2_vs_paper):
    row = fidelity_row(4)
    assert "scale 1.0 and no ReLU" in row and "1x1 convolution to 1536 channels" in row
    report, _ = irv2_vs_paper
    last = stage(report, "removed", "Block8(")
    assert last["a"]["args"] == {"scale": 1.0, "relu": False}
    assert stage(report, "removed", "1x1 Conv (1536)")["a"]["output"] == "8x8x1536"


def test_the_dropout_of_row_18_and_the_totals(irv2_vs_paper):
    assert "keep 0.8 (p = 0.2)" in fidelity_row(18)
    report, text = irv2_vs_paper
    assert "Dropout (keep 1) -> Dropout (keep 0.8)" in text
    # the README's parameter counts of the two networks
    readme = (ROOT / "README.md").read_text()
    counts = {name: int(n.replace(",", "")) for name, n in
              re.findall(r"\| `(irv2|irv2_paper)` \| [^|]+ \| ([\d,]+) \|", readme)}
    assert (report["a"]["params"], report["b"]["params"]) == (counts["irv2"],
                                                              counts["irv2_paper"])
    assert report["params_delta"] == counts["irv2_paper"] - counts["irv2"]
    assert sum(s["params_delta"] for s in report["stages"]) == report["params_delta"]
    assert sum(s["macs_delta"] for s in report["stages"]) == report["macs_delta"]
    assert f"params: {counts['irv2']:,} -> {counts['irv2_paper']:,}" in text


def test_v4_against_the_residual_network(capsys):
    code, report = diff_json(capsys, "v4", "irv2_paper")
    assert code == 1
    removed = [s["a"]["name"] for s in report["stages"] if s["change"] == "removed"]
    added = {s["b"]["name"]: s["b"] for s in report["stages"] if s["change"] == "added"}
    assert {"InceptionA", "InceptionB", "InceptionC"} <= set(removed)
    residual = added["Block35(scale=0.17, relu=true)"]
    assert residual["count"] == 5 and "add: + (x0.17)" in residual["layers"]
    stem = stage(report, "changed", "InceptionV4Stem")
    assert "figure_order: false -> true" in stem["details"]  # fidelity row 7


def test_a_network_against_itself_reports_nothing(capsys):
    assert main(["diff", "irv2", "irv2"]) == 0
    assert capsys.readouterr() == ("", "")
    code, report = diff_json(capsys, "v3", "v3")
    assert code == 0 and report["same"] is True
    assert all(s["change"] == "same" for s in report["stages"])


def test_bad_input_exits_2_and_writes_nothing(capsys, tmp_path):
    bad = tmp_path / "bad.inc"
    bad.write_text("network N:\n    input 3x8x8\n    conv 8 3x3 valdi\n")
    assert main(["diff", "irv2", str(bad)]) == 2
    assert "unknown name 'valdi'" in capsys.readouterr().err
    assert main(["diff", "irv2", "nope"]) == 2
    assert main(["diff", "irv2", "v4", "--draw", str(tmp_path / "x.txt")]) == 2
    assert "unknown format" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [bad]


def test_draw_puts_both_side_by_side_and_outlines_what_differs(capsys, tmp_path, needs_dot):
    out = tmp_path / "d.svg"
    assert main(["diff", "irv2", "irv2_paper", "--draw", str(out)]) == 1
    assert capsys.readouterr().err == f"wrote {out}\n"
    ns = {"s": "http://www.w3.org/2000/svg"}
    outlined, plain = [], []
    for group in ET.fromstring(out.read_bytes()).iter("{http://www.w3.org/2000/svg}g"):
        if group.get("class") != "node":
            continue
        label = " ".join(t.text or "" for t in group.iterfind("s:text", ns))
        side = group.findtext("s:title", namespaces=ns)[0]
        shape = group.find("s:path", ns) if group.find("s:path", ns) is not None \
            else group.find("s:polygon", ns)
        (outlined if shape is not None and shape.get("stroke") == "#d62728" else plain).append(
            (side, label))
    assert ("A", "10 x Block35") in outlined and ("B", "5 x Block35") in outlined
    assert ("A", "Mixed5b") in outlined and ("B", "InceptionV4Stem (figure_order=true)") in \
        outlined
    assert ("A", "Input (299x299x3)") in plain and ("B", "Input (299x299x3)") in plain

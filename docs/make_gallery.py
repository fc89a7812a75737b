"""Regenerate docs/gallery.md and the SVGs in docs/gallery/ from the shipped specs:

    PYTHONPATH=. python docs/make_gallery.py

One network view per shipped network, one block view per block it uses, each beside the
figure of the paper that draws it. The output is deterministic, so a spec change shows up as
a reviewable diff of the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import incdsl
from incdsl.draw.render import render
from incdsl.draw.views import block_names, render_view

HERE = Path(__file__).resolve().parent
OUT = HERE / "gallery"

V3 = "Rethinking the Inception Architecture (Szegedy et al. 2015)"
V4 = "Inception-v4, Inception-ResNet (Szegedy et al. 2016)"

# network -> (title, paper, figure of the whole network, {block: figure}).
# "-" marks a block of the released code that the paper does not draw.
NETWORKS = {
    "v3": ("Inception-v3", V3, "Table 1", {
        "InceptionV3Stem": "Table 1 (first rows)", "InceptionA": "Fig. 5",
        "InceptionB": "Fig. 10 (grid reduction)", "InceptionC": "Fig. 6",
        "InceptionAux": "Fig. 8", "InceptionD": "Fig. 10 (grid reduction)",
        "InceptionE": "Fig. 7"}),
    "v4": ("Inception-v4", V4, "Fig. 9", {
        "InceptionV4Stem": "Fig. 3", "InceptionA": "Fig. 4", "ReductionA": "Fig. 7",
        "InceptionB": "Fig. 5", "ReductionB": "Fig. 8", "InceptionC": "Fig. 6"}),
    "irv1": ("Inception-ResNet-v1", V4, "Fig. 15", {
        "Stem": "Fig. 14", "Block35": "Fig. 10", "ReductionA": "Fig. 7",
        "Block17": "Fig. 11", "ReductionB": "Fig. 12", "Block8": "Fig. 13"}),
    "irv2": ("Inception-ResNet-v2 (released code)", V4, "Fig. 15 (5/10/5 blocks there)", {
        "InceptionV3Stem": "- (released code; v3's stem)", "Mixed5b": "- (released code)",
        "Block35": "Fig. 16", "ReductionA": "Fig. 7", "Block17": "Fig. 17",
        "ReductionB": "Fig. 18", "Block8": "Fig. 19"}),
    "irv2_paper": ("Inception-ResNet-v2 (as the paper draws it)", V4, "Fig. 15", {
        "InceptionV4Stem": "Fig. 3", "Block35": "Fig. 16", "ReductionA": "Fig. 7",
        "Block17": "Fig. 17", "ReductionB": "Fig. 18", "Block8": "Fig. 19"}),
}

HEADER = """# Gallery

Every shipped network drawn by `incdsl draw`, beside the figure of the paper that draws it.
Generated, never edited by hand:

    PYTHONPATH=. python docs/make_gallery.py

The network view (`incdsl draw SPEC -o FILE.svg`) has one box per stage, consecutive uses of a
block collapsed ("10 x Block35") and tensor shapes (height x width x channels) on the edges.
The block view (`incdsl draw SPEC --block NAME -o FILE.svg`) shows one block's layers in the
papers' words: "3x3 Conv (32 stride 2 V)" is 32 filters, stride 2, valid (no) padding;
"Linear" is a convolution without batch norm and ReLU. The input is at the bottom, as in the
papers. Convolutions are yellow, pools blue, merges green, heads red, blocks purple.
"""


def main() -> None:
    OUT.mkdir(exist_ok=True)
    wanted = set()
    lines = [HEADER]
    for spec, (title, paper, network_figure, figures) in NETWORKS.items():
        g = incdsl.graph(spec)
        names = block_names(g)
        missing = set(names) ^ set(figures)
        assert not missing, f"{spec}: figure table out of date for {sorted(missing)}"
        lines += [f"## {title} (`{spec}`)", "", f"Paper: {paper}.", "",
                  "| view | paper | diagram |", "|---|---|---|"]
        rows = [("network", network_figure, f"{spec}.svg", render_view(g, "network"))]
        rows += [(f"block {name}", figures[name], f"{spec}-{name}.svg",
                  render_view(g, "block", name)) for name in names]
        for what, figure, file, dot in rows:
            render(dot, OUT / file)
            wanted.add(file)
            lines.append(f"| {what} | {figure} | ![{spec} {what}](gallery/{file}) |")
        lines.append("")
    for stale in sorted(OUT.glob("*.svg")):
        if stale.name not in wanted:
            stale.unlink()
    (HERE / "gallery.md").write_text("\n".join(lines))
    print(f"wrote {len(wanted)} diagrams to {OUT} and {HERE / 'gallery.md'}")


if __name__ == "__main__":
    main()

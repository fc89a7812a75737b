"""Regenerate docs/gallery.md and the SVGs in docs/gallery/ from the shipped specs.

    python docs/make_gallery.py

Every figure is drawn by the same code as `incdsl draw`, so the gallery is what a user gets.
"""

from __future__ import annotations

from pathlib import Path

import incdsl
from incdsl.draw.render import render
from incdsl.draw.views import block_names, render_view

DOCS = Path(__file__).resolve().parent
OUT = DOCS / "gallery"

NETWORKS = {
    "v1": ("GoogLeNet (Inception-v1)", "GoogLeNet paper, Fig. 3, Table 1"),
    "bn_inception": ("BN-Inception (Inception-v2)", "BN paper, Fig. 5"),
    "v3": ("Inception-v3", "v3 paper, Fig. 5-8, Table 1"),
    "v4": ("Inception-v4", "Fig. 9"),
    "irv1": ("Inception-ResNet-v1", "Fig. 15"),
    "irv2": ("Inception-ResNet-v2 as released", "Fig. 15 (released variant)"),
    "irv2_paper": ("Inception-ResNet-v2 as the paper draws it", "Fig. 15"),
    "xception": ("Xception", "Xception paper, Fig. 5"),
    "resnet50": ("ResNet-50", "ResNet paper, Table 1"),
    "resnet50_v2": ("ResNet-v2-50 (pre-activation)", "Identity Mappings paper, Fig. 4e"),
    "se_resnet50": ("SE-ResNet-50", "SE paper, Table 1"),
}

# (network, block) -> the figure it corresponds to. "v3 paper" is Szegedy et al. 2015; plain
# "Fig." the Inception-v4 paper's; the others name their paper.
FIGURES = {
    ("v1", "Inception"): "GoogLeNet paper, Fig. 2(b) (3x3 for 5x5, torchvision)",
    ("v1", "InceptionAux"): "GoogLeNet paper, Section 5",
    ("bn_inception", "Inception"): "BN paper, Fig. 5 (Inception 3a-5b)",
    ("bn_inception", "Reduction"): "BN paper, Fig. 5 (3c, 4e)",
    ("xception", "XceptionBlock"): "Xception paper, Fig. 5",
    ("xception", "SeparableStep"): "Xception paper, Fig. 4 (a separable convolution)",
    ("resnet50", "Stage"): "ResNet paper, Table 1 (conv2_x ... conv5_x)",
    ("resnet50", "Bottleneck"): "ResNet paper, Fig. 5 (right)",
    ("resnet50_v2", "PreActStage"): "ResNet paper, Table 1",
    ("resnet50_v2", "PreActBottleneck"): "Identity Mappings paper, Fig. 4(e)",
    ("se_resnet50", "Stage"): "ResNet paper, Table 1",
    ("se_resnet50", "Bottleneck"): "SE paper, Fig. 3 (SE-ResNet module)",
    ("v3", "InceptionV3Stem"): "v3 paper, Table 1",
    ("v3", "InceptionA"): "v3 paper, Fig. 5",
    ("v3", "InceptionB"): "v3 paper, Fig. 10",
    ("v3", "InceptionC"): "v3 paper, Fig. 6",
    ("v3", "InceptionD"): "released code (no figure)",
    ("v3", "InceptionE"): "v3 paper, Fig. 7",
    ("v3", "InceptionAux"): "v3 paper, Fig. 8",
    ("v4", "InceptionV4Stem"): "Fig. 3",
    ("v4", "InceptionA"): "Fig. 4",
    ("v4", "ReductionA"): "Fig. 7",
    ("v4", "InceptionB"): "Fig. 5",
    ("v4", "ReductionB"): "Fig. 8",
    ("v4", "InceptionC"): "Fig. 6",
    ("irv1", "Stem"): "Fig. 14",
    ("irv1", "Block35"): "Fig. 10",
    ("irv1", "ReductionA"): "Fig. 7",
    ("irv1", "Block17"): "Fig. 11",
    ("irv1", "ReductionB"): "Fig. 12",
    ("irv1", "Block8"): "Fig. 13",
    ("irv2", "InceptionV3Stem"): "released code (v3 stem)",
    ("irv2", "Mixed5b"): "released code (no figure)",
    ("irv2", "Block35"): "Fig. 16",
    ("irv2", "ReductionA"): "Fig. 7",
    ("irv2", "Block17"): "Fig. 17",
    ("irv2", "ReductionB"): "Fig. 18",
    ("irv2", "Block8"): "Fig. 19",
    ("irv2_paper", "InceptionV4Stem"): "Fig. 3",
    ("irv2_paper", "Block35"): "Fig. 16",
    ("irv2_paper", "ReductionA"): "Fig. 7",
    ("irv2_paper", "Block17"): "Fig. 17",
    ("irv2_paper", "ReductionB"): "Fig. 18",
    ("irv2_paper", "Block8"): "Fig. 19",
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    lines = ["# Gallery", "",
             "Every shipped network and every block it uses, drawn by `incdsl draw` from the",
             "specs in `architectures/`, beside the figure of the paper it corresponds to.",
             "Regenerate with `python docs/make_gallery.py`.", ""]
    for spec, (title, figure) in NETWORKS.items():
        g = incdsl.graph(spec)
        render(render_view(g), OUT / f"{spec}.svg")
        lines += [f"## {title} (`{spec}`)", "",
                  f"`incdsl draw {spec} -o {spec}.svg` ({figure})", "",
                  f"![{title}](gallery/{spec}.svg)", "",
                  "| block | paper | figure |", "|---|---|---|"]
        for block in block_names(g):
            name = f"{spec}-{block}.svg"
            render(render_view(g, "block", block), OUT / name)
            lines.append(f"| `{block}` | {FIGURES.get((spec, block), '')} | "
                         f"![{block}](gallery/{name}) |")
        lines.append("")
    (DOCS / "gallery.md").write_text("\n".join(lines))
    print(f"wrote {DOCS / 'gallery.md'} and {len(list(OUT.glob('*.svg')))} SVGs in {OUT}")


if __name__ == "__main__":
    main()

"""`incdsl diff A B [--json] [--draw FILE]`: two networks compared stage by stage.

Exit status as `diff`'s: 0 when they are the same, 1 when they differ, 2 on bad input."""

from __future__ import annotations

import json


def add_parser(sub) -> None:
    p = sub.add_parser("diff", help="compare two networks stage by stage",
                       description="Compare two networks stage by stage: blocks added, removed "
                       "or changed (layers, widths, scales, arguments), shapes, grid sizes, "
                       "parameter and MAC deltas. Exit 0 if the same, 1 if they differ, 2 on "
                       "bad input.")
    p.add_argument("a", metavar="A", help="a spec file or a shipped name")
    p.add_argument("b", metavar="B", help="a spec file or a shipped name")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--draw", metavar="FILE",
                   help="also draw both networks side by side, differing stages highlighted "
                   "(.svg, .png, .pdf or .dot)")
    p.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from incdsl.diff import compare
    from incdsl.diff.report import as_json, text
    from incdsl.elaborate import spec_graph

    if args.draw:
        from incdsl.draw.render import format_of

        format_of(Path(args.draw))  # a bad extension is refused before any work
    comparison = compare(spec_graph(args.a), spec_graph(args.b))
    if args.json:
        print(json.dumps(as_json(comparison, args.a, args.b), indent=2))
    else:
        report = text(comparison, args.a, args.b)
        if report:
            print(report)
    if args.draw:
        from incdsl.draw.compare import side_by_side
        from incdsl.draw.render import render

        changed = [{n for ch in comparison.changes if ch.kind != "same" and getattr(ch, side)
                    for n in getattr(ch, side).nodes} for side in ("a", "b")]
        written = render(side_by_side(comparison.a, comparison.b, *changed), Path(args.draw))
        print(f"wrote {written}", file=__import__("sys").stderr)
    return 0 if comparison.same else 1

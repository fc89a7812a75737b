"""Time to parse each shipped spec and elaborate it to the shaped graph IR.

    python bench/parse_graph.py [--repeat N]

Prints, per network, the median over N runs of: parsing the files (the main spec and the
libraries it uses), resolution (the static checks), and elaboration (blocks, repeats, shapes, parameters).
The grammar is compiled once per process and reused, as `incdsl` does; that one-off cost is
printed on its own line.
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

from incdsl import resources
from incdsl.elaborate import elaborate, resolve
from incdsl.syntax.parser import grammar
from incdsl.syntax.program import load


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3, result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=20)
    args = p.parse_args()

    start = time.perf_counter()
    grammar()
    print(f"grammar compiled once: {(time.perf_counter() - start) * 1e3:.1f} ms\n")
    print(f"{'network':<12} {'nodes':>6} {'parse ms':>9} {'resolve ms':>12} {'graph ms':>9} "
          f"{'total ms':>9}")
    for name in resources.shipped_architectures():
        t_parse, program = timed(partial(load, name), args.repeat)
        t_valid, resolution = timed(partial(resolve, program), args.repeat)
        t_graph, g = timed(partial(elaborate, program, None, {}, resolution), args.repeat)
        total = t_parse + t_valid + t_graph
        print(f"{name:<12} {len(g):>6} {t_parse:>9.2f} {t_valid:>12.2f} {t_graph:>9.2f} "
              f"{total:>9.2f}")


if __name__ == "__main__":
    main()

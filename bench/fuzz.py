"""Fuzz the spec front end at scale: specs generated from the language's constructs
(tests/specgen.py) and mutations of the shipped ones (tests/test_mutations.py), each run
through check, summary and build with a time limit; counts of what happened.

    python bench/fuzz.py [--cases 10000] [--seconds-per-case 10] [--json]

A case ends in one of: ok (a network came out and built), a located error (a SpecError whose
every diagnostic has a file, line and column) or a usage error, and what must never happen:
another exception (a bug; the first few are printed with their spec) or a time-out.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the generators live with the tests

from hypothesis import HealthCheck, given, settings

import incdsl
from incdsl.errors import SpecError, UsageError
from incdsl.report.check import check_file
from incdsl.report.summary import summary
from tests.specgen import specs
from tests.test_mutations import LIBRARY, SHIPPED, mutated


class _TimeOut(Exception):
    pass


def _alarm(signum, frame):
    raise _TimeOut


def run_case(text: str, folder: Path, seconds: int) -> str:
    """'ok', 'located', 'usage', 'timeout' or 'crash: <exception>'."""
    path = folder / "case.inc"
    path.write_text(text)
    signal.alarm(seconds)
    try:
        check_file(str(path))
        g = incdsl.graph(path)
        summary(g)
        if sum(d["params"] for _, d in g.nodes(data=True)) < 5_000_000:
            incdsl.build(path, seed=0)
        return "ok"
    except SpecError as e:
        if all(d.location is not None and d.location.line >= 1 and d.location.column >= 1
               for d in e.diagnostics):
            return "located"
        return "crash: a SpecError without a location"
    except UsageError:
        return "usage"
    except _TimeOut:
        return "timeout"
    except Exception as e:  # noqa: BLE001 (what the fuzzer is looking for)
        return f"crash: {type(e).__name__}: {e}\n{traceback.format_exc(limit=4)}"
    finally:
        signal.alarm(0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=10_000, help="cases in all (half of each kind)")
    p.add_argument("--seconds-per-case", type=int, default=10)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    counts: dict[str, Counter] = {"generated": Counter(), "mutated": Counter()}
    crashes: list[tuple[str, str]] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in LIBRARY.items():  # mutated specs may `use` the library beside them
            (folder / "lib").mkdir(exist_ok=True)
            (folder / "lib" / name).write_text(text)

        def record(kind: str, text: str) -> None:
            outcome = run_case(text, folder, args.seconds_per_case)
            key = "crash" if outcome.startswith("crash") else outcome
            counts[kind][key] += 1
            if key == "crash" and len(crashes) < 5:
                crashes.append((text, outcome))

        config = settings(max_examples=args.cases // 2, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))

        @config
        @given(specs())
        def generated(text):
            record("generated", text)

        @config
        @given(mutated(SHIPPED))
        def mutations(case):
            record("mutated", case[1])

        generated()
        mutations()
    elapsed = time.perf_counter() - start
    total = sum(sum(c.values()) for c in counts.values())
    result = {"cases": total, "seconds": round(elapsed, 1),
              "by_kind": {k: dict(c) for k, c in counts.items()},
              "crashes": sum(c["crash"] for c in counts.values()),
              "timeouts": sum(c["timeout"] for c in counts.values())}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"{total:,} cases in {elapsed:.0f} s")
        for kind, c in counts.items():
            print(f"  {kind:<10} " + ", ".join(f"{k} {v:,}" for k, v in sorted(c.items())))
        print(f"crashes {result['crashes']}, time-outs {result['timeouts']}")
    for text, outcome in crashes:
        print("\n--- crash ---\n" + text + "\n" + outcome, file=sys.stderr)
    sys.exit(1 if result["crashes"] or result["timeouts"] else 0)


if __name__ == "__main__":
    main()

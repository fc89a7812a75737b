"""A fast sample of bench/fuzz.py, the spec front end's fuzzer, run as a user runs it: generated
and mutated specs through check, summary and build end in a network or a located error, never
in another exception or a time-out (docs/reliability.md has the run at scale)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_sample_of_the_fuzzer_finds_nothing():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "fuzz.py"), "--cases", "40",
                           "--seconds-per-case", "20", "--json"], check=False, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["cases"] == 40 and result["crashes"] == result["timeouts"] == 0
    kinds = result["by_kind"]
    assert sum(kinds["generated"].values()) == sum(kinds["mutated"].values()) == 20
    # Both ways of ending are exercised: some specs build, some are refused with a location.
    outcomes = {**kinds["generated"], **kinds["mutated"]}
    assert outcomes.get("ok", 0) > 0 and outcomes.get("located", 0) > 0

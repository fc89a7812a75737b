"""The README's main job does what the README says: it learns the digits (>= 90% held-out
top-1; the README quotes 98.61%)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def main_job() -> list[str]:
    block = re.search(r"```sh\n(.*?)\n```", README.read_text(), re.DOTALL).group(1)
    command = block.split("&&", 1)[1].strip()  # after ./setup.sh
    assert command.startswith("incdsl train ")
    return shlex.split(command)[1:]


def test_readme_main_job_learns_the_digits(cli, tmp_path):
    code, out, err = cli(*main_job(), "--out", tmp_path / "run", "--progress", "false")
    assert code == 0, err
    rows = [json.loads(r) for r in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    final = [r for r in rows if r["kind"] == "eval"][-1]
    assert final["images"] == 360 and final["top1"] >= 90, final
    assert "epoch 8/8" in out

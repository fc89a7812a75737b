"""A non-editable install carries the grammar and the shipped architectures, and registers\nthe Pygments lexer."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.weights.reference_cases import reference_parameters

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_grammar_and_architectures(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path),
                    str(ROOT)], check=True)
    (wheel,) = tmp_path.glob("incdsl-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "incdsl/_data/grammar/incdsl.lark" in names
    for spec in ["v3", "v4", "irv1", "irv2", "irv2_paper", "lib/reductions.inc"]:
        assert f"incdsl/_data/architectures/{spec if spec.endswith('.inc') else spec + '.inc'}" \
            in names

    # Installed on its own (dependencies come from this environment), away from the checkout.
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    env = dict(os.environ, PYTHONPATH=str(target))
    code = ("import incdsl, incdsl.resources as r;"
            f"assert str(r.grammar_file()).startswith({str(target)!r});"
            "print(sum(d['params'] for _, d in incdsl.graph('irv2').nodes(data=True)))")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, check=True,
                         capture_output=True, text=True).stdout
    assert int(out) == reference_parameters("timm:inception_resnet_v2")


    # The lexer is found by name through the wheel's entry point, as `pygmentize -l incdsl` does.
    lexed = subprocess.run([sys.executable, "-m", "pygments", "-l", "incdsl", "-f", "raw",
                            str(ROOT / "architectures" / "lib" / "reductions.inc")], env=env,
                           cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    assert "Token.Name.Builtin\t'conv'" in lexed and "Token.Error" not in lexed

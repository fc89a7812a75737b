"""`incdsl check` and `incdsl summary` as a user runs them: output, exit codes, no tracebacks."""

import json
import subprocess
import sys

import pytest

from incdsl.cli import main
from tests.weights.reference_cases import reference_macs, reference_parameters

IRV2 = "timm:inception_resnet_v2"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_all_shipped(capsys):
    code, out, err = run(capsys, "check", "v3", "v4", "irv1", "irv2", "irv2_paper")
    assert code == 0 and err == ""
    assert f"InceptionResNetV2: {reference_parameters(IRV2):,} params" in out
    assert len(out.strip().splitlines()) == 5


def test_check_a_library_file(capsys):
    from incdsl import resources

    code, out, _ = run(capsys, "check", str(resources.architectures_dir() / "lib/reductions.inc"))
    assert code == 0 and "a library of 1 block(s)" in out


def test_check_bad_spec_exits_2_with_located_errors(capsys, tmp_path):
    bad = tmp_path / "bad.inc"
    bad.write_text("network N:\n    input 3x8x8\n    conv 8 3x3 valdi\n    Blok\n")
    code, out, err = run(capsys, "check", str(bad), "v3")
    assert code == 2
    assert f"{bad}:3:16: error: unknown name 'valdi'" in err
    assert f"{bad}:4:5: error: unknown layer or block 'Blok'" in err
    assert "InceptionV3" in out  # the other files are still checked


def test_summary_table(capsys):
    code, out, _ = run(capsys, "summary", "irv2")
    assert code == 0
    assert "block35[3]/branch1/conv2" in out
    assert f"Total params: {reference_parameters(IRV2):,}" in out
    assert f"Total MACs:   {reference_macs(IRV2):,} (13.16 G)" in out
    assert "Grid: 299 -> 149 -> 147 -> 73 -> 71 -> 35 -> 17 -> 8" in out


def test_summary_depth_collapses_blocks(capsys):
    _, out, _ = run(capsys, "summary", "irv2", "--depth", "0")
    assert "block35[9]" in out and "Block35" in out and "branch1" not in out


def test_summary_json_with_overrides(capsys):
    code, out, _ = run(capsys, "summary", "v3", "--json", "--set", "classes=5",
                       "--set", "aux_logits=false")
    data = json.loads(out)
    assert code == 0
    assert data["outputs"] == {"logits": [5]}
    assert data["parameters"]["classes"] == 5
    assert data["grid"][-1] == 8
    assert sum(layer["params"] for layer in data["layers"]) == data["total_params"]
    assert data["total_params"] == reference_parameters("timm:inception_v3", num_classes=5)


@pytest.mark.parametrize("argv, message", [
    (["summary", "irv3"], "did you mean 'irv2'"),
    (["summary", "v3", "--set", "clases=5"], "did you mean 'classes'"),
    (["summary", "v3", "--set", "classes"], "expected NAME=VALUE"),
    (["summary", "v3", "--set", "classes=(("], "--set classes=((:"),
    (["summary", "v3", "--set", "width=0"], "width must be a number in (0, 64]"),
    (["summary", "v3", "--set", "size=40"], "larger than its"),
])
def test_bad_command_lines(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_bad_flag_exits_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["summary", "v3", "--no-such-flag"])
    assert info.value.code == 2


def test_console_script_runs_without_traceback(tmp_path):
    bad = tmp_path / "bad.inc"
    bad.write_bytes(b"\xff\xfe not text")
    result = subprocess.run([sys.executable, "-m", "incdsl", "check", str(bad)],
                            check=False, capture_output=True, text=True)
    assert result.returncode == 2
    assert "not a text file" in result.stderr and "Traceback" not in result.stderr

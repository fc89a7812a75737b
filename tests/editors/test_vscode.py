"""The VS Code extension: its manifest is consistent, and its TextMate grammar tokenises every
shipped spec as VS Code would (a Node test with vscode-textmate, run here where Node is)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from incdsl.cli import COMMANDS

EXTENSION = Path(__file__).resolve().parents[2] / "editors" / "vscode"


def test_the_manifest_names_what_the_extension_ships():
    manifest = json.loads((EXTENSION / "package.json").read_text())
    (language,) = manifest["contributes"]["languages"]
    assert language["id"] == "incdsl" and language["extensions"] == [".inc"]
    config = json.loads((EXTENSION / language["configuration"]).read_text())
    assert config["comments"]["lineComment"] == "#"
    (grammar,) = manifest["contributes"]["grammars"]
    assert json.loads((EXTENSION / grammar["path"]).read_text())["scopeName"] == \
        grammar["scopeName"] == "source.incdsl"
    command = manifest["contributes"]["configuration"]["properties"]["incdsl.server.command"]
    assert command["default"] == ["incdsl", "lsp"] and "lsp" in COMMANDS
    assert "vscode-languageclient" in manifest["dependencies"]
    assert (EXTENSION / manifest["main"]).is_file()
    lock = json.loads((EXTENSION / "package-lock.json").read_text())
    assert set(manifest["devDependencies"]) <= set(lock["packages"][""]["devDependencies"])


def test_the_grammar_tokenises_every_shipped_spec():
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js is not installed: the TextMate grammar's test needs it")
    assert (EXTENSION / "node_modules" / "vscode-textmate").is_dir(), \
        "run ./setup.sh --test (it runs `npm ci` in editors/vscode)"
    done = subprocess.run(["npm", "test", "--silent"], check=False, cwd=EXTENSION,
                          capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# pass 1" in done.stdout and "# fail 0" in done.stdout

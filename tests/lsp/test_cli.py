"""`incdsl lsp` on the command line: a bad flag is a located message, not a traceback."""

import subprocess
import sys


def test_a_bad_debounce_is_refused():
    done = subprocess.run([sys.executable, "-m", "incdsl", "lsp", "--debounce", "-1"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 2
    assert done.stderr == "incdsl: error: --debounce must be between 0 and 60 seconds, got -1.0\n"


def test_the_server_stops_when_its_input_ends():
    done = subprocess.run([sys.executable, "-m", "incdsl", "lsp"], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60, check=False)
    assert done.returncode == 0 and "Traceback" not in done.stderr

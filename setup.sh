#!/usr/bin/env bash
# Set up incdsl on a fresh machine: PyTorch, the package (editable) and Graphviz's `dot`
# (the package brings pygls, lsprotocol and Pygments for `incdsl lsp` and the lexer).
#   ./setup.sh          what a user needs
#   ./setup.sh --test   plus the test dependencies, the reference implementations and the
#                       VS Code extension's Node packages (where npm is)
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

# torch and torchvision first, at versions known to load together. Where the local pip
# cannot offer these exact ones, take what it resolves for the same requirement.
"$PY" -m pip install -q "torch==2.14.1" "torchvision==0.29.1" \
  || "$PY" -m pip install -q "torch>=2.4" "torchvision>=0.19"

if [ "${1:-}" = "--test" ]; then
  "$PY" -m pip install -q -e ".[test]"
  # facenet-pytorch (Inception-ResNet-v1) and pretrainedmodels (BN-Inception) are only test
  # references; their pins on torch are older than ours, so they come without their
  # dependencies (pretrainedmodels' own are munch and six, in the test extra).
  "$PY" -m pip install -q --no-deps "facenet-pytorch>=2.5" "pretrainedmodels==0.7.4"
  # The VS Code extension's grammar test (tests/editors) runs vscode-textmate under Node.
  if command -v npm >/dev/null 2>&1; then
    (cd editors/vscode && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  else
    echo "setup: Node.js is missing; the VS Code grammar test will be skipped." >&2
  fi
else
  "$PY" -m pip install -q -e .
fi

if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing graphviz (for incdsl draw)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
  else
    echo "setup: Graphviz's 'dot' is missing; incdsl draw will only write .dot files." >&2
    echo "       Install it with 'sudo apt-get install graphviz' (Debian/Ubuntu)," \
         "'brew install graphviz' (macOS) or from https://graphviz.org/download/" >&2
  fi
fi
echo "setup: done ($("$PY" -c 'import incdsl, torch; print("incdsl", incdsl.__version__, "torch", torch.__version__)'))"

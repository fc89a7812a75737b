#!/usr/bin/env bash
# The GPU table of docs/performance.md, on one H100 / H200, in under 8 minutes:
#
#   bench/gpu.sh [NETWORK]        # irv2 (default), v4 or v3
#
# 1. inference, bf16 autocast, channels_last, batch 1 / 32 / 256: incdsl.build(optimize=
#    "inference") against the timm reference, eager, then both through torch.compile;
# 2. one training step at batch 128 (bf16, channels_last), optimize="training" against the
#    reference, eager and compiled (`incdsl bench`, same process, in turns);
# 3. `incdsl train`'s own step (Trainer.train_step: loss, gradient-norm check, schedule) on
#    synthetic data, 300 timed steps, against a plain loop on the reference, with images/s
#    and MFU against the device's dense bf16 peak.
# Each part has its own time limit, so a slow compiler cannot take the whole run; a part
# that runs out says so. Without CUDA it stops at once with exit code 2.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
NET=${1:-irv2}
case "$NET" in
  irv2) SPEC=(irv2); REF=timm:inception_resnet_v2 ;;
  v4) SPEC=(v4); REF=timm:inception_v4 ;;
  v3) SPEC=(v3 --set aux_logits=false --set drop_rate=0); REF=timm:inception_v3 ;;
  *) echo "bench/gpu.sh: unknown network '$NET' (irv2, v4 or v3)" >&2; exit 2 ;;
esac

# The device and its dense bf16 peak (TFLOP/s), or a one-line reason to stop.
PEAK=$("$PY" - <<'EOF'
import sys
try:
    import torch
except ImportError:
    sys.exit("bench/gpu.sh: torch is not installed (./setup.sh --test)")
if not torch.cuda.is_available():
    sys.exit("bench/gpu.sh: CUDA is not available here (this script needs one H100/H200)")
name = torch.cuda.get_device_name(0)
peaks = {"H200": 989.0, "H100 PCIe": 756.0, "H100": 989.0, "A100": 312.0}  # dense bf16
peak = next((v for k, v in peaks.items() if k in name), 0.0)
print(f"{peak}")
print(f"device: {name}, torch {torch.__version__}, peak bf16 {peak or 'unknown'} TFLOP/s",
      file=sys.stderr)
EOF
) || exit 2
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
COMMON=(--device cuda --amp bf16 --channels-last --against "$REF")
START=$SECONDS

part() {  # part SECONDS TITLE COMMAND...
  local limit=$1 title=$2
  shift 2
  echo
  echo "== $title (limit ${limit}s, at $((SECONDS - START))s)"
  timeout "$limit" "$@"
  local rc=$?
  [ $rc -eq 124 ] && echo "!! $title: not finished within ${limit}s"
  [ $rc -ne 0 ] && [ $rc -ne 124 ] && echo "!! $title: failed (exit $rc)"
  return 0
}

part 90 "inference and training, eager" \
  "$PY" -m incdsl bench "${SPEC[@]}" "${COMMON[@]}" --optimize inference \
  --batch 1,32,256 --train-batch 128 --repeat 20 --warmup 5
part 240 "inference and training, torch.compile (compiling counts in the limit)" \
  "$PY" -m incdsl bench "${SPEC[@]}" "${COMMON[@]}" --optimize inference --compile \
  --batch 1,32,256 --train-batch 128 --repeat 20 --warmup 3
part 120 "incdsl train's step, synthetic data, 3 rounds x 100 steps, batch 128" \
  "$PY" bench/train_throughput.py "$NET" --device cuda --amp --channels-last --batch 128 \
  --size 299 --steps 100 --rounds 3 --warmup 10 --data synthetic --optimize training \
  --peak-tflops "$PEAK"
echo
echo "done in $((SECONDS - START))s"

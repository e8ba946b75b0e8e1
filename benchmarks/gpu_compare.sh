#!/usr/bin/env bash
# gpu_compare.sh — on a GPU machine: `gpustyle bench` (OpenCL) and the same iteration in PyTorch + cuDNN with TF32 off
# and on, in one run, then the ratio table (benchmarks/device_summary.py). Env: GPUSTYLE (binary), SIZES
# (512,1024,2048), ITERATIONS (10), HISTORY (L-BFGS history for gpustyle, 10), ARCH (vgg19), OUT (folder for the
# JSON files), PYTHON (python3), TORCH_ARGS (extra torch_bench.py arguments, e.g. --device cpu for a rehearsal).
# A size that fails on one side leaves its row out; the others still run.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${GPUSTYLE:-.build/release/gpustyle}
SIZES=${SIZES:-512,1024,2048}
ITERATIONS=${ITERATIONS:-10}
ARCH=${ARCH:-vgg19}
OUT=${OUT:-/tmp/gpu_compare}
PYTHON=${PYTHON:-python3}
mkdir -p "$OUT"

# NVIDIA's OpenCL library is installed on the lent machines but no ICD file names it.
if ldconfig -p | grep -q libnvidia-opencl; then
  mkdir -p /etc/OpenCL/vendors
  [ -f /etc/OpenCL/vendors/nvidia.icd ] || echo libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd
fi

for size in ${SIZES//,/ }; do
  "$BIN" bench --backend opencl --architecture "$ARCH" --size "$size" --iterations "$ITERATIONS" \
    --lbfgs-history "${HISTORY:-10}" --report "$OUT/gpustyle_$size.json"
done
# One size per process, so a failure (out of memory, say) costs only its own row.
: > "$OUT/torch.jsonl"
for size in ${SIZES//,/ }; do
  PYTHONUNBUFFERED=1 "$PYTHON" benchmarks/torch_bench.py --arch "$ARCH" --sizes "$size" --iterations "$ITERATIONS" \
    ${TORCH_ARGS:-} | tee -a "$OUT/torch.jsonl"
done
"$PYTHON" benchmarks/device_summary.py "$OUT"

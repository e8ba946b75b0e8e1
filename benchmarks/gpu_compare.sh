#!/usr/bin/env bash
# gpu_compare.sh — on a GPU machine: `gpustyle bench` (OpenCL) and the same iteration in PyTorch + cuDNN with TF32 off
# and on, in one run, then the ratio table. Env: GPUSTYLE (binary), SIZES (512,1024,2048), ITERATIONS (10),
# HISTORY (L-BFGS history for gpustyle, 10), ARCH (vgg19), OUT (folder for the JSON files).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${GPUSTYLE:-.build/release/gpustyle}
SIZES=${SIZES:-512,1024,2048}
ITERATIONS=${ITERATIONS:-10}
ARCH=${ARCH:-vgg19}
OUT=${OUT:-/tmp/gpu_compare}
mkdir -p "$OUT"

# NVIDIA's OpenCL library is installed on the lent machines but no ICD file names it.
if [ -e /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 ] || ldconfig -p | grep -q libnvidia-opencl; then
  mkdir -p /etc/OpenCL/vendors
  [ -f /etc/OpenCL/vendors/nvidia.icd ] || echo libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd
fi
"$BIN" devices

for size in ${SIZES//,/ }; do
  "$BIN" bench --backend opencl --architecture "$ARCH" --size "$size" --iterations "$ITERATIONS" \
    --lbfgs-history "${HISTORY:-10}" --report "$OUT/gpustyle_$size.json"
done
python3 benchmarks/torch_bench.py --arch "$ARCH" --sizes "$SIZES" --iterations "$ITERATIONS" | tee "$OUT/torch.jsonl"

python3 - "$OUT" "$SIZES" <<'PY'
import json, sys
out, sizes = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
torch = {}
for line in open(f"{out}/torch.jsonl"):
    r = json.loads(line); torch[(r["size"], r["tf32"])] = r
print(f"\n{'size':>6} {'gpustyle ms':>12} {'torch fp32 ms':>14} {'torch tf32 ms':>14} {'fp32 ratio':>11} {'tf32 ratio':>11} {'gpustyle mem':>13} {'torch mem':>10}")
for s in sizes:
    g = json.load(open(f"{out}/gpustyle_{s}.json"))
    gm = g["seconds_per_iteration"] * 1e3
    f, t = torch[(s, False)], torch[(s, True)]
    print(f"{s:>6} {gm:>12.2f} {f['ms_per_iteration']:>14.2f} {t['ms_per_iteration']:>14.2f} "
          f"{f['ms_per_iteration'] / gm:>10.2f}x {t['ms_per_iteration'] / gm:>10.2f}x "
          f"{g['peak_device_memory_bytes'] / 2**30:>12.2f}G {f['peak_memory_bytes'] / 2**30:>9.2f}G")
print("ratio = PyTorch time / gpustyle time (above 1: gpustyle is faster).")
PY

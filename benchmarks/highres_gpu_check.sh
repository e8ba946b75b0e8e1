#!/usr/bin/env bash
# highres_gpu_check.sh — issue 8's checks on a GPU machine, sized for a short lease: the measured peak memory of one
# VGG19 iteration at 1024², 2048², 4096² (default plan, and under --max-memory 16GB), then an 8192×8192 coarse-to-fine
# stylisation (few iterations per scale) and a 1024-px single-scale run to compare it with. Env: GPUSTYLE (binary),
# MODEL (weights for the stylisations: .device/vgg16-hed.safetensors when packed, else the installed vgg16-hed), OUT (folder, default /tmp/highres), SKIP_8192=1.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${GPUSTYLE:-.build/release/gpustyle}
OUT=${OUT:-/tmp/highres}
MODEL=${MODEL:-$([ -f .device/vgg16-hed.safetensors ] && echo .device/vgg16-hed.safetensors || echo vgg16-hed)}
mkdir -p "$OUT"
if [ -e /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 ] || ldconfig -p | grep -q libnvidia-opencl; then
  mkdir -p /etc/OpenCL/vendors
  [ -f /etc/OpenCL/vendors/nvidia.icd ] || echo libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd
fi

for size in 1024 2048 4096; do
  "$BIN" bench --backend opencl --size "$size" --iterations 2 --no-phases --report "$OUT/bench_${size}.json"
  "$BIN" bench --backend opencl --size "$size" --iterations 2 --no-phases --max-memory 16GB --report "$OUT/bench_${size}_16GB.json"
done
"$BIN" bench --backend opencl --size 8192 --plan-only

"$BIN" --backend opencl --model "$MODEL" --content-image examples/chelsea.png --style-image examples/shipwreck.jpg \
  --image-size 1024 --num-iterations 300 --seed 1 --output-image "$OUT/chelsea_1024.jpg" --jpeg-quality 90 --report "$OUT/chelsea_1024.json" --progress json
"$BIN" --backend opencl --model "$MODEL" --content-image examples/chelsea.png --style-image examples/shipwreck.jpg \
  --image-size 4096 --scales 1024,2048,4096 --scale-iterations 300,60,20 --seed 1 \
  --output-image "$OUT/chelsea_4096.jpg" --jpeg-quality 85 --report "$OUT/chelsea_4096.json" --progress json
if [ -z "${SKIP_8192:-}" ]; then
  "$BIN" --backend opencl --model "$MODEL" --content-image examples/chelsea.png --style-image examples/shipwreck.jpg \
    --image-size 8192 --scales 1024,2048,4096,8192 --scale-iterations 300,60,20,8 --seed 1 \
    --output-image "$OUT/chelsea_8192.jpg" --jpeg-quality 80 --report "$OUT/chelsea_8192.json" --progress json
fi
python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
for name in sorted(os.listdir(out)):
    if name.startswith("bench_") and name.endswith(".json"):
        r = json.load(open(f"{out}/{name}"))
        print(f"{name:22} {r['seconds_per_iteration']*1e3:10.1f} ms  peak {r['peak_device_memory_bytes']/2**30:6.2f} GiB "
              f"(L-BFGS {r['optimizer_bytes']/2**30:5.2f} GiB)  {r['memory_plan']}")
    elif name.startswith("chelsea_") and name.endswith(".json"):
        r = json.load(open(f"{out}/{name}"))
        print(f"{name:22} {r['width']}×{r['height']}  {r['seconds']:.0f} s  peak {r['peak_device_memory_bytes']/2**30:.2f} GiB  "
              + "  ".join(f"[{s['width']}×{s['height']} {s['iterations']} it {s['seconds']:.0f} s]" for s in r["scales"]))
PY

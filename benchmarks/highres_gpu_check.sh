#!/usr/bin/env bash
# highres_gpu_check.sh — issue 8's checks on a GPU machine, most important first: an 8192×8192 coarse-to-fine
# stylisation (astronaut × shipwreck, 1024 → 2048 → 4096 → 8192, within an 80 GB card's memory, each scale saved),
# then the measured peak memory of one VGG19 iteration at 1024², 2048², 4096² (default plan and --max-memory 16GB),
# then the 8192² plan. Env: GPUSTYLE (binary), MODEL (weights: .device/vgg16-hed.safetensors when packed, else the
# installed vgg16-hed), OUT (reports, default /tmp/highres), IMAGES (where the five small images go, default OUT),
# MAX_MEMORY (72GB), PLAN_SIZE (8192), CHAIN_SCALES (1024,2048,4096,8192), CHAIN_ITERATIONS (300,60,20,8), PEAK_SIZES
# (1024,2048,4096), CROP (1024: side of the full-resolution crops), PYTHON (python3 with Pillow).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${GPUSTYLE:-.build/release/gpustyle}
OUT=${OUT:-/tmp/highres}
IMAGES=${IMAGES:-$OUT}
PYTHON=${PYTHON:-python3}
MODEL=${MODEL:-$([ -f .device/vgg16-hed.safetensors ] && echo .device/vgg16-hed.safetensors || echo vgg16-hed)}
SCALES=${CHAIN_SCALES:-1024,2048,4096,8192}
mkdir -p "$OUT" "$IMAGES"
if ldconfig -p | grep -q libnvidia-opencl; then
  mkdir -p /etc/OpenCL/vendors
  [ -f /etc/OpenCL/vendors/nvidia.icd ] || echo libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd
fi

# The chain: every coarser scale is written beside the output (--save-scales), so one run gives the 1024-px result
# (300 iterations from noise, as a single-scale run) and the 4096-px coarse-to-fine result to compare with it.
"$BIN" --backend opencl --model "$MODEL" --content-image examples/astronaut.png --style-image examples/shipwreck.jpg \
  --image-size "${SCALES##*,}" --scales "$SCALES" --scale-iterations "${CHAIN_ITERATIONS:-300,60,20,8}" --seed 1 \
  --max-memory "${MAX_MEMORY:-72GB}" --save-scales --save-iter 0 --print-iter 10 --progress json \
  --output-image "$OUT/astronaut.jpg" --jpeg-quality 92 --report "$OUT/chain.json"
# Five small images come back: the coarsest scale whole; each finer one from 4096 on shrunk to 2048 (1024 for 4096)
# and a CROP×CROP crop at full resolution around the face (strokes, and any band seams, at their real size).
"$PYTHON" - "$OUT" "$IMAGES" "$SCALES" "${CROP:-1024}" <<'PY'
import os, sys
from PIL import Image
out, images, scales, crop = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(",")], int(sys.argv[4])
for k, side in enumerate(scales):
    path = f"{out}/astronaut.jpg" if k == len(scales) - 1 else f"{out}/astronaut_{side}x{side}.jpg"
    if not os.path.exists(path):
        print(f"missing {path}"); continue
    im = Image.open(path)
    if k == 0:
        im.save(f"{images}/astronaut_{side}.jpg", quality=90)
    elif k >= len(scales) - 2:
        im.resize((min(side, 2048 if k == len(scales) - 1 else 1024),) * 2, Image.LANCZOS).save(f"{images}/astronaut_{side}_small.jpg", quality=90)
        c = min(crop, side); x, y = int(0.47 * side - c / 2), int(0.3 * side - c / 2)
        im.crop((max(0, x), max(0, y), max(0, x) + c, max(0, y) + c)).save(f"{images}/astronaut_{side}_crop.jpg", quality=90)
    print(f"{path}: {im.size[0]}×{im.size[1]}")
PY

PEAK_SIZES=${PEAK_SIZES:-1024,2048,4096}
for size in ${PEAK_SIZES//,/ }; do
  "$BIN" bench --backend opencl --size "${size}" --iterations 2 --no-phases --report "$OUT/bench_${size}.json"
  "$BIN" bench --backend opencl --size "${size}" --iterations 2 --no-phases --max-memory 16GB --report "$OUT/bench_${size}_16GB.json"
done
"$BIN" bench --backend opencl --size "${PLAN_SIZE:-8192}" --plan-only

#!/usr/bin/env bash
# pack_for_device.sh — builds a release gpustyle with the Swift runtime linked in, and packs it with the shared
# libraries a bare GPU machine may lack (libpng, libjpeg, OpenBLAS and its Fortran runtime; the OpenCL loader as a
# fallback) into .device/ (xz, ~20 MB),
# ready to travel with `carry: [".device"]`; benchmarks/device_run.sh unpacks and runs it there. WITH_MODEL=1 adds
# the default model's weights (truncated after conv5_1) for benchmarks/highres_gpu_check.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --scratch-path .build-static
rm -rf .device && mkdir -p .device/lib
strip -o .device/gpustyle .build-static/release/gpustyle
for lib in libpng16.so.16 libjpeg.so.62 libopenblas.so.0 libgfortran.so.5 libquadmath.so.0; do
  cp -L "/lib/x86_64-linux-gnu/$lib" .device/lib/
done
# The OpenCL ICD loader, used there only where the machine has none (device_run.sh checks with ldd).
mkdir -p .device/lib/fallback && cp -L /lib/x86_64-linux-gnu/libOpenCL.so.1 .device/lib/fallback/
tar -C .device -cf - gpustyle lib | xz -T2 -6 > .device.tar.xz
rm -rf .device && mkdir .device && mv .device.tar.xz .device/bundle.tar.xz
# WITH_MODEL=1: real weights too, for the quality checks (vgg16-hed up to conv5_1, 38 MB: bundle + model < 64 MiB).
if [ "${WITH_MODEL:-0}" = 1 ]; then
  python3 benchmarks/truncate_safetensors.py "${MODEL_FILE:-$HOME/.cache/gpustyle/models/vgg16-hed.safetensors}" \
    .device/vgg16-hed.safetensors --last conv5_1
fi
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
ls -la .device

#!/usr/bin/env bash
# pack_for_device.sh — builds a release gpustyle with the Swift runtime linked in, and packs it with the shared
# libraries a bare GPU machine may lack (libpng, libjpeg, OpenBLAS and its Fortran runtime) into .device/ (xz, ~20 MB),
# ready to travel with `carry: [".device"]`; benchmarks/device_run.sh unpacks and runs it there.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --scratch-path .build-static
rm -rf .device && mkdir -p .device/lib
strip -o .device/gpustyle .build-static/release/gpustyle
for lib in libpng16.so.16 libjpeg.so.62 libopenblas.so.0 libgfortran.so.5 libquadmath.so.0; do
  cp -L "/lib/x86_64-linux-gnu/$lib" .device/lib/
done
tar -C .device -cf - gpustyle lib | xz -T2 -6 > .device.tar.xz
rm -rf .device && mkdir .device && mv .device.tar.xz .device/bundle.tar.xz
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
ls -la .device

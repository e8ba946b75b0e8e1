#!/usr/bin/env bash
# device_run.sh — the one command for a lent GPU machine (after benchmarks/pack_for_device.sh here):
#   run(command: "benchmarks/device_run.sh", carry: [".device"])
# It unpacks the bundle, registers NVIDIA's OpenCL ICD, lists devices, checks CPU/OpenCL parity on a small job,
# times both convolution algorithms untuned, tunes them (gpustyle tune, TUNE_SECONDS), then runs benchmarks/gpu_compare.sh (gpustyle vs PyTorch + cuDNN, TF32 off/on). Results land in $OUT.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/device_out}; mkdir -p "$OUT"
mkdir -p /tmp/gs && tar -C /tmp/gs -xJf .device/bundle.tar.xz
export LD_LIBRARY_PATH=/tmp/gs/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
mkdir -p /etc/OpenCL/vendors
[ -f /etc/OpenCL/vendors/nvidia.icd ] || echo libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd
B=/tmp/gs/gpustyle
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
$B devices | tee "$OUT/devices.txt"
# Parity: the same small job on both backends (first-iteration losses within 1e-4, losses within 1% later).
$B bench --compare --size 64 --iterations 20 --lbfgs-history 10 --architecture vgg19 2>&1 | tee "$OUT/parity.txt"
$B bench --compare --size 64 --iterations 20 --lbfgs-history 10 --architecture vgg19 --opencl-convolution direct 2>&1 | tee "$OUT/parity_direct.txt"
# Both algorithms with their default tilings at 512², then `gpustyle tune` (stored; the comparison below uses it).
for algorithm in winograd direct; do
  GPUSTYLE_NO_TUNING=1 $B bench --backend opencl --size 512 --iterations 10 --opencl-convolution $algorithm 2>&1 | tee "$OUT/default_${algorithm}_512.txt"
done
$B tune --quick --size 512 --time-limit "${TUNE_SECONDS:-150}" --report "$OUT/tune.json" 2>&1 | tail -n 25 | tee "$OUT/tune.txt"
GPUSTYLE=$B OUT=$OUT SIZES=${SIZES:-512,1024,2048} ITERATIONS=${ITERATIONS:-10} benchmarks/gpu_compare.sh 2>&1 | tee "$OUT/compare.txt"
# HIGHRES=1 (pack with WITH_MODEL=1): then issue 8's checks (peak memory 1024²–4096², 4096- and 8192-px coarse to fine).
if [ "${HIGHRES:-0}" = 1 ]; then
  GPUSTYLE=$B OUT=$OUT/highres benchmarks/highres_gpu_check.sh 2>&1 | tail -n 40 | tee "$OUT/highres.txt"
fi

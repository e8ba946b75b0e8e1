#!/usr/bin/env bash
# device_run.sh — the one command for a lent GPU machine, after `WITH_MODEL=1 benchmarks/pack_for_device.sh` here:
#   run(command: "HIGHRES=1 benchmarks/device_run.sh", carry: [".device"], timeout_s: 600)
# Steps in order of importance, each cut off at what is left of DEADLINE seconds (default 550, inside one 600-s call):
#   1. GPU and OpenCL devices;  2. CPU/OpenCL parity (Winograd);  3. gpustyle tune --quick (TUNE_SECONDS, 120),
#      then the tensor-core GEMM's tilings (tune --precision tf32x3 --quick, TENSOR_TUNE_SECONDS, 45);
#   4. benchmarks/gpu_compare.sh: gpustyle vs PyTorch + cuDNN, TF32 off/on, at SIZES (512,1024,2048) — issue 6's table,
#      with gpustyle's tensor-core rows (--precision tf32x3, tf32; their parity runs after step 2), then device time per
#      kernel at PROFILE_SIZES (512,2048);
#   5. HIGHRES=1: benchmarks/highres_gpu_check.sh — an 8192² coarse-to-fine run and measured peaks (issue 8);
#   6. if time is left: Winograd chunk sizes (CHUNKS, and two with 3×TF32) and ReLU gates in a separate pass at the
#      largest PROFILE_SIZES, Gram tilings
#      against the default (GRAM_TILINGS at GRAM_SIZE, 1024), device time per kernel
#      with 3×TF32 at the largest PROFILE_SIZES, sleeping vs blocking reads (GPUSTYLE_HOST_WAIT: CPU time per
#      iteration), parity with direct convolutions, both algorithms untuned at 512².
# The device tool returns at most 8 files from $OUT, so everything lands in: log.txt (all output), summary.txt (the
# tables, rewritten after every step), results.tar.gz (every report and log, rewritten after every step) and the
# high-resolution check's images. A step cut off by the deadline still leaves what it wrote.
# Local rehearsal on PoCL and CPU PyTorch (small sizes): benchmarks/device_run.sh --rehearse
set -uo pipefail
cd "$(dirname "$0")/.."
export OUT=${OUT:-/tmp/device_out} WORK=${WORK:-/tmp/device_work}
if [ "${1:-}" = --rehearse ]; then
  export SIZES=${SIZES:-64} PROFILE_SIZES=${PROFILE_SIZES:-64} GRAM_SIZE=${GRAM_SIZE:-64} TUNE_SIZE=${TUNE_SIZE:-32} TUNE_SECONDS=${TUNE_SECONDS:-20} PARITY_SIZE=${PARITY_SIZE:-32}
  export TENSOR_TUNE_SECONDS=${TENSOR_TUNE_SECONDS:-10}
  export TORCH_ARGS=${TORCH_ARGS:---device cpu --tf32 off,on --optimizer gd} HIGHRES=${HIGHRES:-1}
  export PEAK_SIZES=${PEAK_SIZES:-64,128} CHAIN_SCALES=${CHAIN_SCALES:-64,128} CHAIN_ITERATIONS=${CHAIN_ITERATIONS:-3,2}
  export CROP=${CROP:-48} MAX_MEMORY=${MAX_MEMORY:-4GB} PLAN_SIZE=${PLAN_SIZE:-1024}
  export XDG_CACHE_HOME=${XDG_CACHE_HOME:-/tmp/device_rehearsal_cache}  # keep this machine's stored tiling
  export GPUSTYLE_EMULATE_TENSOR_CORES=1  # PoCL has no tensor cores: --precision runs winograd.cl's emulation
  export REHEARSAL=1
fi
export DEADLINE=${DEADLINE:-550} PROFILE_SIZES=${PROFILE_SIZES:-512,2048} SIZES=${SIZES:-512,1024,2048}
rm -rf "$WORK" && mkdir -p "$OUT" "$WORK"

main() {
mkdir -p /tmp/gs && tar -C /tmp/gs -xJf .device/bundle.tar.xz || { echo "device_run: no .device/bundle.tar.xz (run benchmarks/pack_for_device.sh and carry .device)"; exit 66; }
export LD_LIBRARY_PATH=/tmp/gs/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export GPUSTYLE=/tmp/gs/gpustyle
# The machine's own OpenCL loader (ocl-icd) if it has one, else the bundled copy; nothing else may be missing.
ldd "$GPUSTYLE" | grep -q 'libOpenCL.so.1 => not found' && export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:/tmp/gs/lib/fallback
if ldd "$GPUSTYLE" | grep 'not found'; then echo "device_run: the gpustyle binary lacks the libraries above"; exit 67; fi
# NVIDIA's OpenCL library is installed on the lent machines but no ICD file names it. Where /etc is not writable,
# ocl-icd reads the ICD files from OCL_ICD_VENDORS instead (the machine's own copied there too).
if ldconfig -p | grep -q libnvidia-opencl && [ ! -f /etc/OpenCL/vendors/nvidia.icd ]; then
  if ! { mkdir -p /etc/OpenCL/vendors && echo libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd; } 2>/dev/null; then
    mkdir -p /tmp/gs/vendors && cp /etc/OpenCL/vendors/*.icd /tmp/gs/vendors/ 2>/dev/null
    echo libnvidia-opencl.so.1 > /tmp/gs/vendors/nvidia.icd && export OCL_ICD_VENDORS=/tmp/gs/vendors
  fi
fi

left() { echo $((DEADLINE - SECONDS)); }
save() {
  python3 benchmarks/device_summary.py "$WORK" > "$OUT/summary.txt" 2>&1
  tar -C "$WORK" --warning=no-file-changed -czf "$OUT/results.tar.gz" --exclude='*.png' --exclude='*.jpg' .
}
# step NAME SECONDS_NEEDED COMMAND…: runs COMMAND (output in $WORK/NAME.txt and the log) if that much time is left,
# cut off at the deadline.
step() {
  local name=$1 needed=$2; shift 2
  if [ "$(left)" -lt "$needed" ]; then
    echo "== $name: skipped, $(left) s left of $DEADLINE (needs about $needed)" | tee -a "$WORK/skipped.txt"
    return
  fi
  echo "== $name ($(left) s left)"
  timeout --kill-after=5 "$(left)" "$@" 2>&1 | tee "$WORK/$name.txt"
  local rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] || echo "== $name: exit $rc$([ "$rc" = 124 ] && echo ' (deadline)')" | tee -a "$WORK/failed.txt"
  save
}

step gpu 5 sh -c 'command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || echo "no nvidia-smi"'
step devices 10 "$GPUSTYLE" devices
# Everything below needs the vendor's OpenCL GPU: without one the steps would time PoCL on the CPU until the deadline.
if [ "${REHEARSAL:-0}" != 1 ] && ! "$GPUSTYLE" devices --json | python3 -c 'import json, sys
sys.exit(0 if any(d["type"] == "GPU" and "Portable" not in d["platform"] for d in json.load(sys.stdin)) else 1)'; then
  { echo "device_run: no vendor OpenCL GPU is listed, so nothing was timed. ICD files and OpenCL libraries:"
    ls -la /etc/OpenCL/vendors; head -n 3 /etc/OpenCL/vendors/*; ldconfig -p | grep -iE "opencl|nvidia"; } 2>&1 | tee "$WORK/no_gpu.txt"
  save
  exit 69
fi
# Parity: the same small job on both backends (first-iteration losses within 1e-4; L-BFGS amplifies FP32 rounding later).
step parity 30 "$GPUSTYLE" bench --compare --size "${PARITY_SIZE:-64}" --iterations 20 --lbfgs-history 10 --architecture vgg19
# Tensor cores (--precision): the same check; a PTX the driver refuses fails here in seconds, with the build log.
for precision in tf32x3 tf32; do
  step "parity_$precision" 30 "$GPUSTYLE" bench --compare --precision $precision --size "${PARITY_SIZE:-64}" --iterations 20 --lbfgs-history 10 --architecture vgg19
done
step tune 60 "$GPUSTYLE" tune --quick --size "${TUNE_SIZE:-512}" --time-limit "${TUNE_SECONDS:-120}" --report "$WORK/tune.json"
# The tensor-core GEMM's tilings (3×TF32), stored for the --precision tf32x3 rows below: which to make the default.
step tune_tf32x3 30 "$GPUSTYLE" tune --precision tf32x3 --quick --size "${TUNE_SIZE:-512}" --time-limit "${TENSOR_TUNE_SECONDS:-45}" \
  --report "$WORK/tune_tf32x3.json"
step compare 60 env OUT="$WORK/compare" benchmarks/gpu_compare.sh
# The Winograd products on tensor cores at the table's sizes: 3×TF32 (FP32-accurate) and TF32, beside the FP32 rows.
for precision in tf32x3 tf32; do
  for size in ${SIZES//,/ }; do
    step "tensor_${precision}_$size" 15 "$GPUSTYLE" bench --backend opencl --precision $precision --size "$size" --iterations "${ITERATIONS:-10}" \
      --lbfgs-history 10 --no-phases --report "$WORK/compare/gpustyle_${precision}_$size.json"
  done
done
# Device time per kernel (profiling events): which kernels to work on next.
for size in ${PROFILE_SIZES//,/ }; do
  step "profile_$size" 20 "$GPUSTYLE" bench --backend opencl --size "$size" --iterations 3 --no-phases --profile-kernels --lbfgs-history 10 --report "$WORK/profile_$size.json"
done
if [ "${HIGHRES:-0}" = 1 ]; then
  step highres 90 env OUT="$WORK/highres" IMAGES="$OUT" benchmarks/highres_gpu_check.sh
fi
# Winograd chunk sizes at the largest profile size (tune chose one at TUNE_SIZE): whether chunks the L2 cache holds pay.
for chunk in ${CHUNKS:-max 64M 32M 16M} tf32x3_max tf32x3_32M; do
  precision=fp32; [ "${chunk#tf32x3_}" != "$chunk" ] && precision=tf32x3
  step "chunk_$chunk" 20 env GPUSTYLE_WINOGRAD_CHUNK="${chunk#tf32x3_}" "$GPUSTYLE" bench --backend opencl --precision $precision \
    --size "${PROFILE_SIZES##*,}" --iterations 3 --no-phases --profile-kernels --lbfgs-history 10 --report "$WORK/chunk_$chunk.json"
done
# ReLU gates applied in a separate pass (the fused default's alternative), same size: compare with profile_<size>.
step "chunk_gates_separate" 20 env GPUSTYLE_RELU_GATES=separate "$GPUSTYLE" bench --backend opencl --size "${PROFILE_SIZES##*,}" \
  --iterations 3 --no-phases --profile-kernels --lbfgs-history 10 --report "$WORK/chunk_gates_separate.json"
# Gram tilings (GPUSTYLE_GRAM_TILING) against the default, device time per kernel at GRAM_SIZE: which to make the default.
for tiling in default ${GRAM_TILINGS:-32,16,2,2,4,16,16 64,16,4,4,4,16,16 128,8,8,8,8,16,8}; do
  step "gram_${tiling//,/-}" 20 env GPUSTYLE_GRAM_TILING="${tiling/default/}" "$GPUSTYLE" bench --backend opencl --size "${GRAM_SIZE:-1024}" \
    --iterations 3 --no-phases --profile-kernels --lbfgs-history 10 --report "$WORK/gram_${tiling//,/-}.json"
done
# Device time per kernel with the products on tensor cores (3×TF32) at the largest profile size.
step "profile_tf32x3_${PROFILE_SIZES##*,}" 20 "$GPUSTYLE" bench --backend opencl --precision tf32x3 --size "${PROFILE_SIZES##*,}" --iterations 3 \
  --no-phases --profile-kernels --lbfgs-history 10 --report "$WORK/profile_tf32x3_${PROFILE_SIZES##*,}.json"
# Reads that sleep on a completion callback (GPUSTYLE_HOST_WAIT=sleep) against blocking ones, which NVIDIA serves by
# spinning a core: ms per iteration and process CPU time per iteration, at the first size of the table.
for wait in sleep blocking; do
  step "hostwait_$wait" 20 env GPUSTYLE_HOST_WAIT=$wait "$GPUSTYLE" bench --backend opencl --size "${SIZES%%,*}" --iterations 10 \
    --no-phases --lbfgs-history 10 --report "$WORK/hostwait_$wait.json"
done
step parity_direct 30 "$GPUSTYLE" bench --compare --size "${PARITY_SIZE:-64}" --iterations 20 --lbfgs-history 10 --architecture vgg19 --opencl-convolution direct
for algorithm in winograd direct; do
  step "untuned_${algorithm}" 30 env GPUSTYLE_NO_TUNING=1 "$GPUSTYLE" bench --backend opencl --size "${SIZES%%,*}" --iterations 10 --opencl-convolution $algorithm
done
echo "== done in $SECONDS s"
cat "$OUT/summary.txt"
}
main 2>&1 | tee -a "$OUT/log.txt"

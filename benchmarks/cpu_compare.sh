#!/usr/bin/env bash
# cpu_compare.sh — issue #7's check in one call: `gpustyle bench` on the CPU backend, the same job in PyTorch on the
# CPU (torch.optim.LBFGS, history 100, no line search; also forward+backward alone) and gpustyle on OpenCL (PoCL
# where there is no GPU), at each size, REPEATS times interleaved, then a table of medians (ms per iteration).
# Env: GPUSTYLE (binary), SIZES (256x192,512x384), ITERATIONS (5), REPEATS (3), ARCH (vgg16), HISTORY (100),
# PYTHON (/tmp/pickle_venv/bin/python if present, else python3), THREADS (all cores), OPENCL (1; 0 skips it),
# OPENCL_ITERATIONS (1; OpenCL runs once per size, after the repeats), OUT (folder for the JSON files).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${GPUSTYLE:-.build/release/gpustyle}
SIZES=${SIZES:-256x192,512x384}
ITERATIONS=${ITERATIONS:-5}
REPEATS=${REPEATS:-3}
ARCH=${ARCH:-vgg16}
HISTORY=${HISTORY:-100}
PYTHON=${PYTHON:-$([ -x /tmp/pickle_venv/bin/python ] && echo /tmp/pickle_venv/bin/python || echo python3)}
OUT=${OUT:-/tmp/cpu_compare}
THREADS=${THREADS:-$(nproc)}
rm -rf "$OUT" && mkdir -p "$OUT"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); threads $THREADS; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for repeat in $(seq "$REPEATS"); do
  for size in ${SIZES//,/ }; do
    "$BIN" bench --backend cpu --threads "$THREADS" --architecture "$ARCH" --size "$size" --iterations "$ITERATIONS" \
      --lbfgs-history "$HISTORY" --no-phases --report "$OUT/cpu_${size}_$repeat.json" | sed -n 2p | sed "s/^/gpustyle cpu $size: /"
    "$PYTHON" benchmarks/torch_bench.py --device cpu --threads "$THREADS" --arch "$ARCH" --sizes "$size" \
      --iterations "$ITERATIONS" --lbfgs-history "$HISTORY" | tee "$OUT/torch_${size}_$repeat.json" | cut -c1-120 | sed "s/^/pytorch $size: /"
  done
done
# One pass with per-phase times (not part of the medians).
for size in ${SIZES//,/ }; do
  "$BIN" bench --backend cpu --threads "$THREADS" --architecture "$ARCH" --size "$size" --iterations "$ITERATIONS" \
    --lbfgs-history "$HISTORY" | sed -n 3p | sed "s/^/gpustyle cpu $size /"
done
if [ "${OPENCL:-1}" = 1 ]; then
  for size in ${SIZES//,/ }; do
    "$BIN" bench --backend opencl --architecture "$ARCH" --size "$size" --iterations "${OPENCL_ITERATIONS:-1}" \
      --lbfgs-history "$HISTORY" --no-phases --report "$OUT/opencl_$size.json" | sed -n 1,2p | sed "s/^/gpustyle opencl $size: /" \
      || echo "gpustyle opencl $size: failed (no OpenCL platform?)"
  done
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

"$PYTHON" - "$OUT" "$SIZES" <<'PY'
import glob, json, statistics, sys
out, sizes = sys.argv[1], sys.argv[2].split(",")
def med(values):
    return statistics.median(values) if values else float("nan")
print(f"\n{'size':>9} {'gpustyle cpu':>13} {'pytorch cpu':>12} {'ratio':>7} {'pytorch fwd+bwd':>16} {'opencl':>8}"
      f" {'gpustyle CPU-time':>18} {'pytorch CPU-time':>17}   (ms per iteration, medians)")
for s in sizes:
    runs = [json.load(open(f)) for f in glob.glob(f"{out}/cpu_{s}_*.json")]
    cpu, cpu_time = [r["seconds_per_iteration"] * 1e3 for r in runs], [r["cpu_seconds_per_iteration"] * 1e3 for r in runs]
    torch = [json.loads(open(f).read()) for f in glob.glob(f"{out}/torch_{s}_*.json")]
    try:
        ocl = f"{json.load(open(f'{out}/opencl_{s}.json'))['seconds_per_iteration'] * 1e3:8.0f}"
    except (OSError, ValueError, KeyError):
        ocl = f"{'-':>8}"
    t, fb = med([r["ms_per_iteration"] for r in torch]), med([r["ms_forward_backward"] for r in torch])
    tc = med([r["cpu_ms_per_iteration"] for r in torch])
    print(f"{s:>9} {med(cpu):13.0f} {t:12.0f} {t / med(cpu):6.2f}x {fb:16.0f} {ocl} {med(cpu_time):18.0f} {tc:17.0f}"
          f"   (n = {len(cpu)}, {len(torch)})")
print("ratio = PyTorch wall time / gpustyle CPU-backend wall time (at least 1: the issue's check passes).")
print("CPU-time = process CPU seconds over all threads (includes PyTorch's OpenMP spin-waiting).")
PY

#!/usr/bin/env bash
# run.sh — builds the fuzz targets (libFuzzer + AddressSanitizer) and runs one: Fuzz/run.sh TARGET SECONDS [libFuzzer flags…]
# TARGET: image, safetensors, hdf5, caffe or torch. New inputs go to $FUZZ_WORK/TARGET/corpus (default
# /tmp/gpustyle-fuzz), crashes to $FUZZ_WORK/TARGET/; the seeds in Fuzz/Corpus/TARGET are only read.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${1:?usage: Fuzz/run.sh image|safetensors|hdf5|caffe|torch SECONDS [libFuzzer flags…]}"
seconds="${2:?usage: Fuzz/run.sh TARGET SECONDS}"
shift 2
case "$target" in
    image) binary=FuzzImage ;; safetensors) binary=FuzzSafetensors ;; hdf5) binary=FuzzHDF5 ;;
    caffe) binary=FuzzCaffe ;; torch) binary=FuzzTorch ;;
    *) echo "run.sh: unknown target '$target' (image, safetensors, hdf5, caffe, torch)" >&2; exit 64 ;;
esac
(cd "$here" && swift build -c debug -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address \
    --product "$binary" 2>&1 | grep -v "Cannot export local symbol" | tail -3)
work="${FUZZ_WORK:-/tmp/gpustyle-fuzz}/$target"
mkdir -p "$work/corpus"
case "$target" in  # weight files are never committed: write the weight readers' named seeds here
    safetensors|caffe|torch) python3 "$here/make_seeds.py" --weights-only >/dev/null ;;
esac
seeds=()
[ -d "$here/Corpus/$target" ] && seeds+=("$here/Corpus/$target")
if [ "$target" = hdf5 ]; then "$here/../scripts/hdf5_fixtures" && seeds+=("$here/../Tests/GPUStyleTests/Fixtures"); fi
cd "$work"
exec "$here/.build/debug/$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/" "$@" "$work/corpus" "${seeds[@]}"

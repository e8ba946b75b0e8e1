#!/usr/bin/env bash
# check_bad_inputs.sh — generates the bad/unusual-input corpus outside the repository and checks gpustyle on it.
#
# usage: scripts/check_bad_inputs.sh [FOLDER] [--only SUBSTRING] [--verbose]
#   FOLDER    where the corpus is written (emptied first; default: a new temporary folder, removed afterwards)
#   GPUSTYLE  the binary to test (default: .build/release/gpustyle; build it with `swift build -c release`)
#   PYTHON    python3 to use (stdlib only; with Pillow the JPEG cases run too, else they are skipped).
#             Default: python3 if it has Pillow, else /tmp/pickle_venv/bin/python if that has, else python3.
# Needs the default model (`gpustyle models install`). Prints one row per case; exit status 1 on any violation.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
gpustyle="${GPUSTYLE:-$repo/.build/release/gpustyle}"
[ -x "$gpustyle" ] || { echo "check_bad_inputs.sh: no gpustyle binary at $gpustyle (run swift build -c release, or set GPUSTYLE)" >&2; exit 2; }
if [ -z "${PYTHON:-}" ]; then
    PYTHON=python3
    if ! python3 -c "import PIL" 2>/dev/null && [ -x /tmp/pickle_venv/bin/python ] \
        && /tmp/pickle_venv/bin/python -c "import PIL" 2>/dev/null; then
        PYTHON=/tmp/pickle_venv/bin/python
    fi
fi
folder=""
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then folder="$1"; shift; fi
cleanup=""
if [ -z "$folder" ]; then folder="$(mktemp -d "${TMPDIR:-/tmp}/gpustyle-badinputs.XXXXXX")"; cleanup="$folder"; fi
mkdir -p "$folder"
folder="$(cd "$folder" && pwd)"
case "$folder/" in "$repo"/*) echo "check_bad_inputs.sh: the corpus folder must be outside the repository ($repo)" >&2; exit 2 ;; esac
"$repo/scripts/hdf5_fixtures"  # one case truncates a real-library HDF5 file
status=0
"$PYTHON" "$repo/scripts/badinputs/check.py" "$gpustyle" "$folder" "$@" || status=$?
if [ -n "$cleanup" ]; then chmod -R u+w "$cleanup" 2>/dev/null || true; rm -rf "$cleanup"; fi
exit $status

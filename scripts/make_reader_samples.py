#!/usr/bin/env python3
"""make_reader_samples.py — writes small real .pth files (torch.save) and .caffemodel files (protobuf) plus
the values they must decode to, for checking gpustyle's readers by hand.

Dependencies: torch, numpy, protobuf (pip install torch numpy protobuf; the CPU wheel is enough).
Usage:
    python3 scripts/make_reader_samples.py /tmp/reader-samples
    GPUSTYLE_READER_SAMPLES=/tmp/reader-samples swift test --filter TorchAndCaffeSampleTests
The folder gets one file per sample and expected.json:
    {file: {"format": ..., "tensors": [{"name", "shape", "values"}]}}  or  {file: {"error": "substring"}}
"""
import collections
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import caffe_proto  # noqa: E402

torch.manual_seed(0)
out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/reader-samples"
os.makedirs(out, exist_ok=True)
expected = {}


def as_float_list(t):
    return t.detach().to(torch.float32).reshape(-1).tolist()


def expect_torch(name, state, fmt, skip=()):
    expected[name] = {"format": fmt, "tensors": [
        {"name": k, "shape": list(v.shape), "values": as_float_list(v)}
        for k, v in state.items() if isinstance(v, torch.Tensor) and v.is_floating_point() and k not in skip]}


def save_both(stem, obj, state=None, **kw):
    """Saves obj as ZIP and legacy .pth; `state` is the dict whose tensors must come back (default obj)."""
    state = obj if state is None else state
    torch.save(obj, f"{out}/{stem}-zip.pth", **kw)
    expect_torch(f"{stem}-zip.pth", state, "pth-zip")
    torch.save(obj, f"{out}/{stem}-legacy.pth", _use_new_zipfile_serialization=False, **kw)
    expect_torch(f"{stem}-legacy.pth", state, "pth-legacy")


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 5, 3, padding=1),
                                      nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(5, 6, 3, padding=1))

    def forward(self, x):
        return self.features(x)


net = Tiny()
save_both("torchvision", net.state_dict())
save_both("protocol4", net.state_dict(), pickle_protocol=4)
save_both("dataparallel", collections.OrderedDict(("module." + k, v) for k, v in net.state_dict().items()))

# Caffe-named keys, as neural-style-pt's converted VGG19 stores them.
caffe_named = collections.OrderedDict()
for name, conv in [("conv1_1", net.features[0]), ("conv1_2", net.features[2]), ("conv2_1", net.features[5])]:
    caffe_named[name + ".weight"] = conv.weight.detach()
    caffe_named[name + ".bias"] = conv.bias.detach()
save_both("neuralstylept", caffe_named)

# dtypes, and BatchNorm's int64 num_batches_tracked (skipped).
bn = nn.BatchNorm2d(4)
bn.running_mean.uniform_()
dt = collections.OrderedDict(
    f64=torch.randn(3, 2, dtype=torch.float64), f16=torch.randn(7).half(), bf16=torch.randn(2, 3).bfloat16(),
    **{"bn." + k: v for k, v in bn.state_dict().items()})
save_both("dtypes", dt)
for f in ("dtypes-zip.pth", "dtypes-legacy.pth"):
    expected[f]["skipped"] = "bn.num_batches_tracked (int64)"

# Views: a transpose, a slice with an offset into a shared storage, an expanded tensor.
base = torch.randn(6, 5)
views = collections.OrderedDict(t=base.t(), sl=base[2:, 1:4], row=base[3], expanded=torch.randn(1, 4).expand(3, 4))
save_both("views", views)

# Parameters (not detached) go through _rebuild_parameter.
save_both("parameters", collections.OrderedDict(w=nn.Parameter(torch.randn(2, 3)), b=nn.Parameter(torch.randn(2))))

# A training checkpoint: the state dict sits under 'state_dict' (or 'model') beside optimizer state.
opt = torch.optim.Adam(net.parameters())
net(torch.randn(1, 3, 8, 8)).sum().backward()
opt.step()
save_both("checkpoint", {"epoch": 3, "state_dict": net.state_dict(), "optimizer": opt.state_dict(), "best": 0.5},
          state=net.state_dict())
save_both("checkpoint-model", {"model": net.state_dict(), "args": {"lr": 1e-3}}, state=net.state_dict())


# Hostile and unsupported files.
class Evil:
    def __reduce__(self):
        return (os.system, (f"touch {out}/PWNED",))


torch.save({"features.0.weight": Evil()}, f"{out}/evil-zip.pth")
torch.save({"features.0.weight": Evil()}, f"{out}/evil-legacy.pth", _use_new_zipfile_serialization=False)
expected["evil-zip.pth"] = {"error": "'posix.system', which is not allowed"}
expected["evil-legacy.pth"] = {"error": "'posix.system', which is not allowed"}
torch.save(net, f"{out}/whole-model.pth")
expected["whole-model.pth"] = {"error": "which is not allowed"}

# Caffe: V1 (enum types, legacy 4-D shapes) and V2 (string types, BlobShape), packed and unpacked, float and double.
rng = np.random.default_rng(0)
layers = [("conv1_1", "conv", [rng.standard_normal((4, 3, 3, 3), dtype=np.float32), rng.standard_normal(4, dtype=np.float32)]),
          ("relu1_1", "relu", []),
          ("conv1_2", "conv", [rng.standard_normal((5, 4, 3, 3), dtype=np.float32), rng.standard_normal(5, dtype=np.float32)]),
          ("pool1", "pool", []),
          ("fc6", "fc", [rng.standard_normal((3, 20), dtype=np.float32), rng.standard_normal(3, dtype=np.float32)])]
conv_tensors = []
for lname, kind, blobs in layers:
    if kind == "conv":
        conv_tensors.append({"name": lname + ".weight", "shape": list(blobs[0].shape), "values": blobs[0].reshape(-1).tolist()})
        conv_tensors.append({"name": lname + ".bias", "shape": [blobs[1].size], "values": blobs[1].tolist()})
for stem, v1, packed, double in [("v1", True, True, False), ("v2", False, True, False),
                                 ("v1-unpacked", True, False, False), ("v2-double", False, True, True)]:
    caffe_proto.write_net(f"{out}/{stem}.caffemodel", layers, v1=v1, packed=packed, double=double)
    expected[f"{stem}.caffemodel"] = {"format": "caffemodel-v1" if v1 else "caffemodel-v2", "tensors": conv_tensors,
                                      "skipped": "fc6 (InnerProduct)"}

with open(f"{out}/expected.json", "w") as f:
    json.dump(expected, f)
print(f"wrote {len(expected)} samples to {out}")

#!/usr/bin/env python3
"""truncate_safetensors.py — copies a safetensors model keeping only the convolutions up to a given layer (and the
metadata), so real weights fit beside the GPU bundle in a device call's 64 MiB carry (vgg16-hed to conv5_1: 38 MB).
No third-party packages.   python3 benchmarks/truncate_safetensors.py IN OUT --last conv5_1
"""
import argparse, json, re, struct, sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("source"); p.add_argument("destination")
    p.add_argument("--last", default="conv5_1", help="last convolution kept (Caffe name, e.g. conv5_1)")
    a = p.parse_args()
    def order(name):
        match = re.match(r"conv(\d+)_(\d+)\.(weight|bias)$", name)
        if not match:
            sys.exit(f"{a.source}: tensor '{name}' is not named convN_M.weight/.bias (a gpustyle model file is)")
        return int(match[1]), int(match[2])
    if not re.match(r"conv\d+_\d+$", a.last):
        sys.exit(f"--last {a.last}: expected a convolution name such as conv5_1")
    last = order(a.last + ".weight")
    with open(a.source, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    if a.last + ".weight" not in header:
        sys.exit(f"{a.source}: has no {a.last}; nothing to truncate after")
    kept, blobs, offset = {}, [], 0
    for name, entry in sorted(((n, e) for n, e in header.items() if n != "__metadata__"), key=lambda item: item[1]["data_offsets"]):
        if order(name) > last:
            continue
        begin, end = entry["data_offsets"]
        blobs.append(data[begin:end])
        kept[name] = dict(entry, data_offsets=[offset, offset + end - begin])
        offset += end - begin
    kept["__metadata__"] = dict(header.get("__metadata__", {}), truncated_after=a.last)
    encoded = json.dumps(kept, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(a.destination, "wb") as f:
        f.write(struct.pack("<Q", len(encoded))); f.write(encoded)
        for blob in blobs:
            f.write(blob)
    print(f"{a.destination}: {len(kept) - 1} tensors up to {a.last}, {8 + len(encoded) + offset} bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""make_seeds.py — writes the seed corpora Fuzz/Corpus/<target>/ (small valid files of every kind; the image seeds are
committed, the weight-file seeds are written on demand with --weights-only).

python3 stdlib only, except the JPEG seeds, which need Pillow (skipped with a note without it):
    python3 Fuzz/make_seeds.py            (or /tmp/pickle_venv/bin/python Fuzz/make_seeds.py)
The HDF5 target is seeded from Tests/GPUStyleTests/Fixtures/*.h5 (written by h5py; scripts/hdf5_fixtures makes them)
as well; Fuzz/run.sh passes that folder to libFuzzer beside Fuzz/Corpus/hdf5.
"""
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts", "badinputs"))
import images as im  # noqa: E402
import weights as w  # noqa: E402


def small_tensors(seed):
    """A 4×3×3×3 kernel and its bias: enough structure for the readers, tiny on disk."""
    return [("features.0.weight", (4, 3, 3, 3), w.pattern_values(108, seed)),
            ("features.0.bias", (4,), w.pattern_values(4, seed + 1))]


def image_seeds():
    seeds = {}
    for color, depths in [(im.GRAY, [1, 2, 4, 8, 16]), (im.RGB, [8, 16]), (im.PALETTE, [1, 2, 4, 8]),
                          (im.GRAY_ALPHA, [8, 16]), (im.RGBA, [8, 16])]:
        for depth in depths:
            interlace = (depth + color) % 3 == 0
            trns = {im.GRAY: b"\x00\x01", im.PALETTE: b"\x00\x80"}.get(color) if depth < 16 else None
            name = "png-c%d-d%d%s.png" % (color, depth, "-interlaced" if interlace else "")
            seeds[name] = im.png(11, 6, color, depth, interlace=interlace, trns=trns)
    seeds["png-exif6.png"] = im.png_with_exif(im.png(6, 4), 6)
    seeds["png-rgb-text-chunk.png"] = im.png(5, 3, before_idat=[im.chunk("tEXt", b"Comment\0seed"),
                                                                 im.chunk("gAMA", b"\0\0\xb1\x8f")])
    jpegs = {"jpeg-baseline.jpg": im.pillow_jpeg(16, 8, quality=70),
             "jpeg-progressive.jpg": im.pillow_jpeg(16, 8, quality=70, progressive=True),
             "jpeg-gray.jpg": im.pillow_jpeg(9, 5, "L", quality=70),
             "jpeg-cmyk.jpg": im.pillow_jpeg(8, 8, "CMYK", quality=70),
             "jpeg-444-restart.jpg": im.pillow_jpeg(17, 9, quality=60, subsampling=0, restart_marker_blocks=1)}
    if jpegs["jpeg-baseline.jpg"] is None:
        print("Pillow is missing: no JPEG seeds written", file=sys.stderr)
    else:
        jpegs["jpeg-exif6.jpg"] = im.jpeg_with_exif(jpegs["jpeg-baseline.jpg"], 6)
        seeds.update(jpegs)
    return seeds


def weight_seeds():
    a, b = small_tensors(1), small_tensors(3)
    f16 = [(n, "F16", s, w.struct.pack("<%de" % len(v), *v)) for n, s, v in a]
    mixed = [(a[0][0], "BF16", a[0][1], b"".join(w.struct.pack("<f", x)[2:] for x in a[0][2])),
             (a[1][0], "F64", a[1][1], w.struct.pack("<%dd" % len(a[1][2]), *a[1][2])),
             ("step", "I64", (1,), w.struct.pack("<q", 7))]
    return {
        "safetensors": {"f16.safetensors": w.safetensors(f16, metadata={"architecture": "vgg16"}),
                        "mixed.safetensors": w.safetensors(mixed),
                        "f32.safetensors": w.safetensors([(n, "F32", s, w.f32(v)) for n, s, v in b])},
        "torch": {"zip.pth": w.pth_zip(a), "legacy.pth": w.pth_legacy(b)},
        "caffe": {"v2.caffemodel": w.caffemodel([("conv1_1", [(s, v) for _, s, v in a])]),
                  "v1.caffemodel": w.caffemodel([("conv1_1", [(s, v) for _, s, v in b]),
                                                 ("conv1_2", [(s, v) for _, s, v in a])], v1=True)},
    }


def main():
    corpus = os.path.join(ROOT, "Fuzz", "Corpus")
    # --weights-only: (re)write just the weight-file seeds, which are not committed (weights never are), beside
    # whatever the folders hold; Fuzz/run.sh does this before fuzzing a weight reader.
    weights_only = "--weights-only" in sys.argv[1:]
    targets = weight_seeds() if weights_only else {"image": image_seeds(), **weight_seeds()}
    for target, seeds in targets.items():
        folder = os.path.join(corpus, target)
        if not weights_only:
            shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        print("%-12s %2d seeds, %6d bytes" % (target, len(seeds), sum(map(len, seeds.values()))))


if __name__ == "__main__":
    main()

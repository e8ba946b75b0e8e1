"""cases.py — the bad-input corpus: writes every file into a folder and describes how gpustyle must treat it.

A case is a dict: name, group (image | weights | options), expect (bad | valid | skip), args (gpustyle
arguments besides the common ones), names (strings the error line must contain: the file or option),
words (the error line must contain at least one: the problem), output (the path that must not appear, or
must, for valid cases), plus optional keep (files that must be unchanged afterwards), absent (files that
must not appear), shape ("portrait"/"landscape" for the output), says (strings some stderr line of a valid
run must contain: a note) and note.
"""
import os
import shutil
import struct
import zlib

import images as im
import weights as w


class Corpus:
    def __init__(self, folder, repo):
        self.folder, self.repo, self.cases = folder, repo, []
        for sub in ("images", "weights", "out", "marker"):
            os.makedirs(os.path.join(folder, sub), exist_ok=True)
        self.content = self.write("images/content.png", im.png(48, 40))
        self.style = self.write("images/style.png", im.png(40, 40, im.RGBA, 8, interlace=True))

    def write(self, relative, data):
        path = os.path.join(self.folder, relative)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def output(self, name, ext="png"):
        return os.path.join(self.folder, "out", "%s.%s" % (name, ext))

    def add(self, name, group, expect, args, names=(), words=(), output=None, **extra):
        output = output or self.output(name)
        if "--output-image" not in args:
            args = args + ["--output-image", output]
        self.cases.append(dict(name=name, group=group, expect=expect, args=args, names=list(names),
                               words=list(words), output=output, **extra))

    def image(self, name, data, words=(), expect="bad", role="--content-image", extra_args=(), names_extra=(),
              **extra):
        """A case feeding `data` (None: no file) as the content image, or as `role`."""
        path = self.write("images/" + name, data) if data is not None else os.path.join(self.folder, "images", name)
        args = ["--content-image", self.content, "--style-image", self.style] + list(extra_args)
        args[args.index(role) + 1] = path
        names = [path] + list(names_extra) if expect == "bad" else []
        self.add("image-" + name, "image", expect, args, names=names, words=words, **extra)

    def weights(self, name, data, words, names=None, **extra):
        path = self.write("weights/" + name, data)
        args = ["--model", path, "--content-image", self.content, "--style-image", self.style]
        self.add("weights-" + name, "weights", "bad", args, names=[path] + (names or []), words=words, **extra)

    def option(self, name, extra_args, names, words, expect="bad", base=None, **extra):
        args = (base if base is not None else ["--content-image", self.content, "--style-image", self.style]) + extra_args
        self.add("option-" + name, "options", expect, args, names=names, words=words, **extra)


def base_jpeg(c):
    """A small landscape baseline JPEG: Pillow's, else the repository's examples/shipwreck.jpg (960×662)."""
    made = im.pillow_jpeg(48, 32, quality=85)
    if made is None:
        with open(os.path.join(c.repo, "examples", "shipwreck.jpg"), "rb") as f:
            made = f.read()
    return made


def image_cases(c):
    png, jpeg = im.png(48, 40), base_jpeg(c)
    chunks = {kind: (at, length) for at, length, kind in reversed(im.png_chunks(png))}
    idat_at, idat_length = chunks["IDAT"]
    c.image("empty.png", b"", ["empty"])
    c.image("text.png", b"this is not an image\n", ["text"])
    c.image("page.jpg", b"<!DOCTYPE html><html><body>404 Not Found</body></html>\n", ["text"])
    c.image("random.png", bytes((i * 197 + 89) % 256 for i in range(3000)), ["not a PNG or JPEG"])
    c.image("animation.png", b"GIF89a" + bytes(200), ["GIF"])
    c.image("missing.png", None, ["No such file", "cannot open", "does not exist"])
    os.mkfifo(os.path.join(c.folder, "images", "fifo.png"))  # opening it must not wait for a writer
    c.image("fifo.png", None, ["not a regular file"])
    c.image("fifo-style.png", None, ["not a regular file"], role="--style-image")
    os.mkfifo(os.path.join(c.folder, "images", "fifo-style.png"))
    os.mkdir(os.path.join(c.folder, "images", "folder.png"))
    c.image("folder.png", None, ["folder"])
    for cut in (4, 8, 20, 33, idat_at + 8 + idat_length // 2, len(png) - 12):
        c.image("png-cut-%d.png" % cut, png[:cut], ["truncated"])
    bad_crc = bytearray(png)
    bad_crc[29] ^= 0xFF
    c.image("png-ihdr-crc.png", bytes(bad_crc), ["CRC"])
    bad_data = bytearray(png)
    for i in range(idat_at + 20, idat_at + 40):
        bad_data[i] ^= 0x5A
    c.image("png-idat-garbage.png", bytes(bad_data), ["corrupt", "CRC", "invalid", "incorrect"])
    c.image("png-bad-zlib.png", png[:idat_at] + im.chunk("IDAT", b"\x78\x9c" + bytes(range(7, 250, 3)))
            + im.chunk("IEND", b""), ["corrupt", "invalid", "incorrect", "too small", "cannot hold"])
    c.image("png-no-idat.png", png[:idat_at] + im.chunk("IEND", b""), ["IDAT", "no image data", "truncated"])
    c.image("png-1000000x1000000.png", im.png_with_size(png, 1000000, 1000000)[:60], ["over the limit"],
            names_extra=["--max-pixels"])
    c.image("png-2147483647-square.png", im.png_with_size(png, 0x7FFFFFFF, 0x7FFFFFFF), ["over the limit"])
    c.image("png-0x40.png", im.png_with_size(png, 0, 40), ["zero-sized"])
    c.image("png-48x0.png", im.png_with_size(png, 48, 0), ["zero-sized"])
    claim = struct.pack(">I", 0x7FFFFFFF) + b"tEXt" + b"Comment\0"
    c.image("png-text-claims-2GiB.png", png[:33] + claim + png[33:], ["truncated", "tEXt"])
    big = (16 << 20) + 1
    c.image("png-ztxt-16MiB.png", png[:33] + im.chunk("zTXt", b"Comment\0\0" + bytes(big - 9)) + png[33:],
            ["over the limit", "zTXt"])
    c.image("png-over-max-pixels.png", png, ["over the limit"], extra_args=["--max-pixels", "1000"],
            names_extra=["--max-pixels"])
    c.image("png-as-style-truncated.png", png[:100], ["truncated"], role="--style-image")
    c.image("png-2000x3.png", im.png(2000, 3), ["too small"], names_extra=["--content-image"])
    c.image("png-3x2000-style.png", im.png(3, 2000), ["too small"], role="--style-image", names_extra=["--style-image"])
    segments = im.jpeg_segments(jpeg)
    sos = [at for at, marker, _ in segments if marker == 0xDA][0]
    dqt = [at for at, marker, _ in segments if marker == 0xDB][0]
    for cut in (1, 2, 3, dqt + 10, sos, sos + (len(jpeg) - sos) // 2, len(jpeg) - 2):
        c.image("jpeg-cut-%d.jpg" % cut, jpeg[:cut], ["truncated", "premature", "not a PNG or JPEG"])
    scan = bytearray(jpeg)
    for i in range(sos + 20, len(jpeg) - 2, 7):
        scan[i] = 0xFF if i % 2 else 0x00
    c.image("jpeg-scan-garbage.jpg", bytes(scan), ["corrupt", "invalid", "bad", "marker"])
    sof = [at for at, marker, _ in segments if marker in (0xC0, 0xC2)][0]
    c.image("jpeg-sof-zero-components.jpg", jpeg[:sof + 9] + b"\x00" + jpeg[sof + 10:],
            ["corrupt", "invalid", "bogus", "component", "marker", "improper"])
    c.image("jpeg-65500x65500.jpg", im.jpeg_with_size(jpeg, 65500, 65500), ["over the limit"])
    c.image("jpeg-48x0.jpg", im.jpeg_with_size(jpeg, 48, 0), ["zero-sized", "empty"])
    c.image("jpeg-as-style-truncated.jpg", jpeg[:sos + 30], ["truncated", "premature"], role="--style-image")


def valid_image_cases(c):
    for color, depths in [(im.GRAY, [1, 2, 4, 8, 16]), (im.GRAY_ALPHA, [8, 16]), (im.PALETTE, [1, 2, 4, 8]),
                          (im.RGB, [16]), (im.RGBA, [8, 16])]:
        for depth in depths:
            kind = {0: "gray", 2: "rgb", 3: "palette", 4: "grayalpha", 6: "rgba"}[color]
            trns = b"\x00\x40\x80" if color == im.PALETTE else None
            c.image("png-%s-%dbit.png" % (kind, depth), im.png(48, 40, color, depth, trns=trns), expect="valid")
    for color, depth in [(im.GRAY, 1), (im.PALETTE, 4), (im.RGB, 8), (im.RGBA, 16), (im.GRAY_ALPHA, 8)]:
        c.image("png-interlaced-c%d-%dbit.png" % (color, depth), im.png(45, 37, color, depth, interlace=True),
                expect="valid")
    c.image("png-named.jpg", im.png(40, 30), expect="valid")
    for orientation in (1, 3, 6, 8):
        c.image("png-exif-orientation-%d.png" % orientation, im.png_with_exif(im.png(48, 32), orientation),
                expect="valid", shape="portrait" if orientation >= 5 else "landscape")
    bomb = im.chunk("zTXt", b"Comment\0\0" + zlib.compress(bytes(200 << 20), 9))  # inflates to 200 MB
    c.image("png-ztxt-bomb-ignored.png", im.png(48, 40, before_idat=[bomb]), expect="valid",
            note="metadata inflating to 200 MB: libpng stops at 16 MiB and skips the chunk")
    icc = im.chunk("iCCP", b"icc\0\0" + zlib.compress(bytes(100 << 20), 9))
    c.image("png-iccp-bomb-ignored.png", im.png(48, 40, before_idat=[icc]), expect="valid")
    c.image("png-trailing-garbage.png", im.png(48, 40) + b"garbage after IEND" * 10, expect="valid")
    c.image("png-at-max-pixels.png", im.png(48, 40), expect="valid", extra_args=["--max-pixels", "1920"])
    c.image("png-as-style-16bit.png", im.png(40, 40, im.RGB, 16), expect="valid", role="--style-image")
    jpegs = {"jpeg-progressive.jpg": im.pillow_jpeg(48, 32, quality=85, progressive=True),
             "jpeg-gray.jpg": im.pillow_jpeg(48, 32, "L"),
             "jpeg-cmyk.jpg": im.pillow_jpeg(48, 32, "CMYK"),
             "jpeg-420-restart.jpg": im.pillow_jpeg(47, 31, subsampling=2, restart_marker_rows=1)}
    for name, data in jpegs.items():
        if data is None:
            c.add("image-" + name, "image", "skip", [], note="needs Pillow")
        else:
            c.image(name, data, expect="valid", shape="landscape")
    c.image("jpeg-baseline.jpg", base_jpeg(c), expect="valid", shape="landscape")
    for orientation in range(1, 9):
        c.image("jpeg-exif-orientation-%d.jpg" % orientation, im.jpeg_with_exif(base_jpeg(c), orientation),
                expect="valid", shape="portrait" if orientation >= 5 else "landscape")


def weight_cases(c):
    small = w.small_safetensors()
    c.weights("empty.safetensors", b"", ["empty", "unrecognised"])
    c.weights("text.pth", b"model weights go here\n", ["unrecognised", "match no supported format"])
    for name, make in [("fifo.safetensors", os.mkfifo), ("folder.safetensors", os.mkdir)]:
        path = os.path.join(c.folder, "weights", name)
        make(path)
        c.add("weights-" + name, "weights", "bad", ["--model", path, "--content-image", c.content, "--style-image",
                                                   c.style], names=[path], words=["not a regular file", "folder"])
    c.add("weights-dev-zero", "weights", "bad", ["--model", "/dev/zero", "--content-image", c.content,
                                                 "--style-image", c.style], names=["/dev/zero"], words=["not a regular file"])
    c.weights("st-truncated.safetensors", small[:len(small) // 2], ["truncated", "outside"])
    c.weights("st-header-past-end.safetensors", struct.pack("<Q", 5000) + b'{"a": {"dtype": "F32"', ["past the end"])
    f4 = w.f32([1, 2, 3, 4])
    c.weights("st-overlap.safetensors", w.safetensors([], header='{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},'
                                                      '"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}') + f4 + f4[:8],
              ["overlaps"])
    c.weights("st-out-of-range.safetensors", w.safetensors([], header='{"a":{"dtype":"F32","shape":[4],'
                                                           '"data_offsets":[0,1600]}}') + f4, ["outside"])
    c.weights("st-unknown-dtype.safetensors", w.safetensors([("a", "Q7", (4,), f4)]), ["unknown dtype"])
    c.weights("st-count-overflow.safetensors", w.safetensors([], header='{"a":{"dtype":"F32","shape":[4294967296,'
                                                             '4294967296,16],"data_offsets":[0,16]}}') + f4,
              ["more elements than can be counted", "overflow", "more than Int.max"])
    c.weights("st-duplicate.safetensors", w.safetensors([], header='{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},'
                                                        '"a":{"dtype":"F32","shape":[4],"data_offsets":[16,32]}}') + f4 + f4,
              ["duplicate"])
    c.weights("st-nan.safetensors", w.safetensors([("conv1_1.bias", "F32", (4,), w.f32([1, float("nan"), 0, 0]))]),
              ["NaN", "non-finite", "not finite"], names=["conv1_1.bias"])
    c.weights("st-inf.safetensors", w.safetensors([("conv1_1.bias", "F16", (2,), struct.pack("<2e", 1, float("inf")))]),
              ["Inf", "non-finite", "not finite", "infinite"], names=["conv1_1.bias"])
    nan_tensors = [(n, shape, [float("nan")] + v[1:]) for n, shape, v in w.small_torch_tensors()]
    c.weights("pth-nan.pth", w.pth_zip(nan_tensors), ["NaN", "non-finite", "not finite"], names=["features.0.weight"])
    inf_layers = [("conv1_1", [(shape, v[:-1] + [float("-inf")]) for shape, v in w.small_caffe_layers()[0][1]])]
    c.weights("caffe-inf.caffemodel", w.caffemodel(inf_layers), ["Inf", "non-finite", "not finite"], names=["conv1_1"])
    c.weights("vgg16-wrong-shape.safetensors", w.vgg16_safetensors(reshape={"conv2_1": (128, 32, 3, 3)}),
              ["[128, 64, 3, 3]"], names=["conv2_1", "[128, 32, 3, 3]"])
    c.weights("vgg16-missing-layer.safetensors", w.vgg16_safetensors(skip=("conv3_2",)), ["missing"],
              names=["conv3_2"])
    marker = os.path.join(c.folder, "marker", "pwned")
    for name, pickle in [("evil-os-system.pth", w.evil_pickle("touch " + marker)),
                         ("evil-eval.pth", w.P_PROTO + w.p_global("builtins", "eval")
                          + w.p_tuple(w.p_str("open(%r, 'w')" % marker)) + w.P_REDUCE + w.P_STOP)]:
        c.weights(name, w.pth_zip([], data_pickle=pickle), ["allow", "not allowed", "refus", "global"], absent=[marker])
    legacy = w.pth_legacy(w.small_torch_tensors())
    c.weights("evil-legacy.pth", legacy[:legacy.index(b"ctorch._utils")] + b"cposix\nsystem\n" + w.p_tuple(
        w.p_str("touch " + marker)) + w.P_REDUCE + w.P_STOP, ["allow", "not allowed", "refus", "global"], absent=[marker])
    zipped = w.pth_zip(w.small_torch_tensors())
    c.weights("pth-zip-truncated.pth", zipped[:len(zipped) * 2 // 3], ["truncated", "ZIP", "end of central directory"])
    c.weights("pth-legacy-truncated.pth", legacy[:len(legacy) - 100], ["truncated", "ends", "past the end"])
    model = w.caffemodel(w.small_caffe_layers())
    c.weights("caffe-truncated.caffemodel", model[:len(model) // 2], ["truncated", "past the end", "runs past"])
    layer = w.field(1, 2, b"conv1_1") + w.field(7, 2, w.field(5, 2, bytes(40)))
    c.weights("caffe-nested-overrun.caffemodel", w.field(1, 2, b"net") + w.field(100, 2, layer[:-3] + b"\x3a\x7f"
                                                                                 + layer[-3:]), ["corrupt", "past", "malformed"])
    c.weights("caffe-bad-wire-type.caffemodel", w.field(1, 2, b"net") + w.field(100, 2, b"\x0f\x01\x02\x03"),
              ["wire type", "corrupt", "malformed"])
    fixture = os.path.join(c.repo, "Tests", "GPUStyleTests", "Fixtures", "keras3_hed_layout.weights.h5")
    with open(fixture, "rb") as f:
        h5 = f.read()
    c.weights("h5-truncated.h5", h5[:len(h5) // 2], ["truncated", "past the end", "outside", "beyond"])


def option_cases(c):
    same = c.write("images/same-as-output.png", im.png(48, 40))
    locked = os.path.join(c.folder, "locked")
    os.makedirs(locked, exist_ok=True)
    os.chmod(locked, 0o555)
    unwritable = locked if os.geteuid() != 0 else "/proc"  # root writes through permission bits
    o = c.option
    o("unknown-style-layer", ["--style-layers", "relu1_1,relu9_9"], ["--style-layers", "relu9_9"], ["unknown layer"])
    o("unknown-content-layer", ["--content-layers", "conv4_2x"], ["--content-layers", "conv4_2x"], ["unknown layer"])
    o("negative-content-weight", ["--content-weight", "-5"], ["--content-weight"], ["≥ 0", "-5"])
    o("negative-style-weight", ["--style-weight=-1e3"], ["--style-weight"], ["≥ 0"])
    o("text-tv-weight", ["--tv-weight", "lots"], ["--tv-weight"], ["invalid", "not a number"])
    o("nan-content-weight", ["--content-weight", "nan"], ["--content-weight"], ["finite"])
    o("blend-count", ["--style-blend-weights", "1,2"], ["--style-blend-weights"], ["2 values for 1 style image"])
    o("blend-text", ["--style-blend-weights", "1,x"], ["--style-blend-weights"], ["not a number"])
    o("blend-negative", ["--style-image", c.style, "--style-blend-weights", "1,-1"], ["--style-blend-weights"], ["≥ 0"])
    o("blend-negative-first", ["--style-image", c.style, "--style-blend-weights", "-1,2"], ["--style-blend-weights"],
      ["≥ 0"])
    o("output-is-content", ["--output-image", same], ["--output-image", "--content-image"], ["same file"],
      keep=[same], output=same, base=["--content-image", same, "--style-image", c.style])
    o("output-is-style", ["--output-image", c.style], ["--output-image", "--style-image"], ["same file"],
      keep=[c.style], output=c.style)
    o("output-unwritable-folder", ["--output-image", unwritable + "/result.png"], ["--output-image"],
      ["not writable", "cannot create", "Permission denied"], output=unwritable + "/result.png")
    o("output-missing-folder", ["--output-image", c.folder + "/no/such/folder/result.png"], ["--output-image"],
      ["does not exist"], output=c.folder + "/no/such/folder/result.png")
    o("output-folder-is-a-file", ["--output-image", c.content + "/result.png"], ["--output-image"],
      ["not a folder"], output=c.content + "/result.png")
    os.mkdir(os.path.join(c.folder, "out", "folder.png"))
    o("output-is-a-folder", ["--output-image", c.output("folder")], ["--output-image"], ["is a folder"],
      keep=[c.output("folder")], output=c.output("folder"))
    o("output-gif", ["--output-image", c.output("result", "gif")], ["--output-image"], [".png"],
      output=c.output("result", "gif"))
    o("report-missing-folder", ["--report", c.folder + "/no/such/folder/report.json"], ["--report"],
      ["does not exist"])
    o("image-size-zero", ["--image-size", "0"], ["--image-size"], ["16"])
    o("iterations-negative", ["--num-iterations", "-3"], ["--num-iterations"], ["at least 1", "1…"])
    o("max-pixels-zero", ["--max-pixels", "0"], ["--max-pixels"], ["at least 1"])
    o("style-scale-negative", ["--style-scale", "-1"], ["--style-scale"], ["> 0"])
    o("style-scale-huge", ["--style-scale", "1e7"], ["--style-scale"], ["--max-pixels"])
    o("style-scale-overflowing", ["--style-scale", "1e30"], ["--style-scale"], ["--max-pixels"])
    o("lbfgs-history-huge", ["--lbfgs-history", "1000000000"], ["--lbfgs-history"], ["1…1000"])
    o("valid-memory-plan-huge-bands", ["--memory-plan", "banded:9223372036854775807"], [], [], expect="valid")
    o("learning-rate-zero", ["--learning-rate", "0"], ["--learning-rate"], ["> 0"])
    o("margin-negative", ["--margin", "-1"], ["--margin"], ["0…256"])
    o("margin-huge", ["--margin", "100000"], ["--margin"], ["0…256"])
    o("opencl-convolution-on-cpu", ["--opencl-convolution", "direct"], ["--opencl-convolution"],
      ["--backend cpu"])
    o("precision-on-cpu", ["--precision", "tf32x3"], ["--precision"], ["--backend cpu"])
    o("bad-precision", ["--precision", "fp16"], ["--precision"], ["invalid"])
    o("neural-style-gpu-list", ["-gpu", "0,1"], ["-gpu"], ["one device"])
    o("neural-style-multigpu", ["-multigpu_strategy", "2"], ["-multigpu_strategy"], ["one device"])
    o("neural-style-original-colors-text", ["-original_colors", "yes"], ["-original_colors"], ["0 or 1"])
    o("missing-style-image", ["--style-image", c.folder + "/images/nope.jpg"], ["--style-image", "nope.jpg"],
      ["No such file"], base=["--content-image", c.content])
    o("missing-init-image", ["--init", "image", "--init-image", c.folder + "/images/nope.png"], ["--init-image"],
      ["No such file"])
    o("missing-model", ["--model", c.folder + "/weights/nope.safetensors"], ["nope.safetensors"], ["no such"])
    o("bad-preprocessing", ["--preprocessing", "imagenet"], ["--preprocessing"], ["caffe or torchvision"])
    o("bad-backend", ["--backend", "cuda"], ["--backend"], ["invalid"])
    o("bad-output-size", ["--content-weight", "0", "--output-size", "64by64"], ["--output-size"], ["WIDTHxHEIGHT"],
      base=["--style-image", c.style])
    o("unknown-option", ["--styleweight", "3"], ["--styleweight"], ["Unknown option"])
    o("scales-one-large-value", ["--scales", "50"], ["--scales"], ["number of scales"])
    o("scale-iterations-without-scales", ["--scale-iterations", "5"], ["--scale-iterations"], ["add --scales"])
    o("save-scales-without-scales", ["--save-scales"], ["--save-scales"], ["add --scales"])
    o("init-random-with-init-image", ["--init", "random", "--init-image", c.style], ["--init-image", "--init"], ["random"])
    o("output-size-with-content", ["--output-size", "64x64"], ["--output-size"], ["texture synthesis"])
    o("style-layers-empty-entry", ["--style-layers", "relu1_1,,relu2_1"], ["--style-layers"], ["empty entry"])
    o("print-iter-negative", ["--print-iter", "-1"], ["--print-iter"], ["≥ 0"])
    o("threads-zero", ["--threads", "0"], ["--threads"], ["1…1024"])
    o("plot-is-content", ["--plot", c.content], ["--plot", "--content-image"], ["same file"], keep=[c.content])
    derived = c.write("out/derived_5.png", im.png(48, 40))  # what --save-iter 5 would write beside out/derived.png
    o("input-named-like-a-save", ["--output-image", c.output("derived"), "--save-iter", "5"], ["--content-image", derived],
      ["overwritten"], keep=[derived], output=c.output("derived"), base=["--content-image", derived, "--style-image", c.style])
    os.makedirs(os.path.join(c.folder, "images", "no-styles"))
    c.write("images/no-styles/readme.txt", b"paintings go here\n")
    o("style-folder-without-images", [], [c.folder + "/images/no-styles"], ["folder without"],
      base=["--content-image", c.content, "--style-image", c.folder + "/images/no-styles"])
    os.makedirs(os.path.join(c.folder, "images", "styles"))
    for name in ("a.png", "b.png"):
        c.write("images/styles/" + name, im.png(40, 40))
    o("valid-style-folder", ["--style-blend-weights", "3,1"], [], [], expect="valid",
      base=["--content-image", c.content, "--style-image", c.folder + "/images/styles"])
    mixed = os.path.join(c.folder, "images", "mixed")  # a folder with the photo, a painting and an earlier result
    os.makedirs(mixed)
    for name in ("photo.png", "paint.png", "result.png"):
        c.write("images/mixed/" + name, im.png(40, 40))
    o("valid-style-folder-with-own-images", ["--style-blend-weights", "1", "--output-image", mixed + "/result.png"], [], [],
      expect="valid", output=mixed + "/result.png", base=["--content-image", mixed + "/photo.png", "--style-image", mixed])
    o("match-style-colors-without-content", ["--content-weight", "0", "--output-size", "64x64", "--match-style-colors"],
      ["--match-style-colors"], ["add --content-image"], base=["--style-image", c.style])
    o("match-and-original-colors", ["--match-style-colors", "--original-colors"], ["--match-style-colors", "--original-colors"], ["choose one"])
    o("valid-match-style-colors", ["--match-style-colors"], [], [], expect="valid")
    o("content-weight-past-fp32", ["--content-weight", "3e38", "--init", "image"], ["gradient"], ["too large for FP32"])
    o("num-iterations-overflowing", ["--scales", "16,32", "--num-iterations", "9223372036854775807"], ["--num-iterations"], ["1…"])
    o("scale-iterations-overflowing", ["--scales", "16,32", "--scale-iterations", "9223372036854775807"], ["--scale-iterations"], ["1…"])
    o("num-and-scale-iterations", ["--scales", "16,32", "--num-iterations", "4", "--scale-iterations", "2"],
      ["--num-iterations", "--scale-iterations"], ["give one"])
    o("style-scale-infinite", ["--style-scale", "inf"], ["--style-scale"], ["finite"])
    o("style-scale-huge-pixel-limit", ["--style-scale", "1e17", "--max-pixels", "9223372036854775807"], ["--style-scale"],
      ["--max-pixels"])
    o("output-name-too-long", ["--output-image", c.output("n" * 245)], ["--output-image"], ["bytes"],
      output=c.output("n" * 245))
    o("threads-with-opencl", ["--backend", "opencl", "--threads", "1"], ["--threads"], ["--backend opencl"])
    o("valid-jpeg-quality-for-png", ["--jpeg-quality", "80"], [], [], expect="valid", says=["--jpeg-quality is not used"])
    square = c.write("images/square-init.png", im.png(40, 40))
    o("valid-init-image-other-shape", ["--init-image", square], [], [], expect="valid",
      says=["square-init.png (40×40, aspect 1.00) is stretched"])
    o("valid-two-styles", ["--style-image", c.content, "--style-blend-weights", "3,1"], [], [], expect="valid")
    o("valid-texture", ["--content-weight", "0", "--output-size", "40x24"], [], [], expect="valid",
      base=["--style-image", c.style], shape="landscape")
    mask_cases(c)
    batch_cases(c)


def mask_cases(c):
    """--style-masks: one grayscale image per style image, over the content image (48×40)."""
    left = c.write("images/mask-left.png", im.png(96, 80, im.GRAY, 8, rows=[[(255 if x < 48 else 0,) for x in range(96)]] * 80))
    right = c.write("images/mask-right.png", im.png(48, 40, im.GRAY, 8, rows=[[(0 if x < 24 else 255,) for x in range(48)]] * 40))
    square = c.write("images/mask-square.png", im.png(40, 40, im.GRAY, 8))
    black = c.write("images/mask-black.png", im.png(48, 40, im.GRAY, 8, rows=[[(0,)] * 48] * 40))
    two = ["--style-image", c.style + "," + c.content]
    o = c.option
    o("mask-count", ["--style-masks", left + "," + right], ["--style-masks"], ["2 masks for 1 style image"])
    o("mask-proportions", ["--style-masks", square], ["--style-masks", square], ["proportions"])
    o("mask-black", two + ["--style-masks", left + "," + black], ["--style-masks", black], ["black everywhere"],
      base=["--content-image", c.content])
    o("mask-missing", ["--style-masks", c.folder + "/images/nope-mask.png"], ["--style-masks", "nope-mask.png"], ["No such file"])
    o("mask-without-style-weight", ["--style-masks", left, "--style-weight", "0"], ["--style-masks", "--style-weight"], ["is 0"])
    c.image("mask-text.png", b"this is not a mask\n", ["text"], role="--style-masks", extra_args=["--style-masks", "-"])
    o("valid-style-masks", two + ["--style-masks", left + "," + right], [], [], expect="valid", base=["--content-image", c.content])
    # --style-image-masks: over each style image (style.png 40×40, the content 48×40).
    top = c.write("images/style-mask-top.png", im.png(80, 80, im.GRAY, 8, rows=[[(255 if y < 40 else 0,)] * 80 for y in range(80)]))
    o("style-image-mask-count", ["--style-image-masks", top + "," + top], ["--style-image-masks"], ["2 masks for 1 style image"])
    o("style-image-mask-proportions", ["--style-image-masks", right], ["--style-image-masks", right], ["proportions"])
    black_square = c.write("images/style-mask-black.png", im.png(40, 40, im.GRAY, 8, rows=[[(0,)] * 40] * 40))
    o("style-image-mask-black", ["--style-image-masks", black_square], ["--style-image-masks", black_square], ["black everywhere"])
    o("style-image-mask-missing", ["--style-image-masks", c.folder + "/images/nope.png"], ["--style-image-masks", "nope.png"],
      ["No such file"])
    o("valid-style-image-masks", two + ["--style-masks", left + "," + right, "--style-image-masks", top + "," + right], [], [],
      expect="valid", base=["--content-image", c.content])
    o("valid-style-masks-normalized", two + ["--style-masks", left + "," + right, "--normalize-gradients"], [], [], expect="valid",
      base=["--content-image", c.content])


def batch_cases(c):
    """Several content images in one call: output names per image, and one broken image among good ones."""
    photos = os.path.join(c.folder, "images", "photos")
    os.makedirs(photos)
    for name in ("a.png", "b.png"):
        c.write("images/photos/" + name, im.png(48, 40))
    results = os.path.join(c.folder, "out", "batch")
    os.makedirs(results)
    o, style = c.option, ["--style-image", c.style]
    o("batch-one-output-for-all", [], ["--output-image"], ["for each of 2 content images"], base=["--content-image", photos] + style)
    o("batch-two-of-one-name", ["--output-image", results + "/{name}.png"], [photos + "/a.png", "a.jpg"], ["both named"],
      output=results + "/a.png", base=["--content-image", photos + "/a.png," + c.write("images/a.jpg", im.png(48, 40))] + style)
    o("valid-batch-folder", ["--output-image", results + "/", "--report", results + "/"], [], [], expect="valid",
      output=results + "/a.png", also=[results + "/b.png", results + "/a.json", results + "/b.json"], base=["--content-image", photos] + style)
    mixed = os.path.join(c.folder, "images", "half-broken")
    os.makedirs(mixed)
    c.write("images/half-broken/good.png", im.png(48, 40))
    broken = c.write("images/half-broken/broken.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    partial = os.path.join(c.folder, "out", "partial")
    os.makedirs(partial)
    o("batch-one-broken-image", ["--output-image", partial + "/"], [broken], ["1 of 2 content images failed"], expect="partial",
      rc=65, output=partial + "/good.png", absent=[partial + "/broken.png"], base=["--content-image", mixed] + style)


def frame_cases(c):
    """Frames of a video tied one to the next (--init previous-warped, --temporal-weight): what is refused, and runs."""
    frames = os.path.join(c.folder, "images", "frames")
    os.makedirs(frames)
    for index in range(3):
        c.write("images/frames/f%d.png" % index, im.png(48, 40))
    mixed = os.path.join(c.folder, "images", "frames-of-two-shapes")
    os.makedirs(mixed)
    c.write("images/frames-of-two-shapes/a.png", im.png(48, 40))
    c.write("images/frames-of-two-shapes/b.png", im.png(40, 48))
    styled = os.path.join(c.folder, "out", "frames")
    os.makedirs(styled)
    o, style = c.option, ["--style-image", c.style]
    o("frames-temporal-one-image", ["--temporal-weight", "100"], ["--temporal-weight"], ["several content images"])
    o("frames-warped-one-image", ["--init", "previous-warped"], ["--init previous-warped"], ["several content images"])
    o("frames-temporal-texture", ["--temporal-weight", "100", "--content-weight", "0", "--output-size", "32x32"], ["--temporal-weight"],
      ["texture synthesis"], base=style)
    o("frames-temporal-negative", ["--temporal-weight", "-1", "--output-image", styled + "/"], ["--temporal-weight"], ["≥ 0"],
      output=styled + "/f0.png", base=["--content-image", frames] + style)
    o("frames-temporal-nan", ["--temporal-weight", "nan", "--output-image", styled + "/"], ["--temporal-weight"], ["≥ 0"],
      output=styled + "/f0.png", base=["--content-image", frames] + style)
    o("frames-init-unknown", ["--init", "warped"], ["--init"], ["previous-warped"])
    o("valid-frames-warped", ["--init", "previous-warped", "--output-image", styled + "/", "--report", styled + "/"], [], [], expect="valid",
      output=styled + "/f0.png", also=[styled + "/f1.png", styled + "/f2.png", styled + "/f2.json"], base=["--content-image", frames] + style)
    scaled = os.path.join(c.folder, "out", "frames-scaled")
    os.makedirs(scaled)
    o("valid-frames-with-scales", ["--init", "previous-warped", "--image-size", "48", "--scales", "32,48", "--output-image", scaled + "/",
                                   "--report", scaled + "/"], [], [], expect="valid",
      output=scaled + "/f0.png", also=[scaled + "/f1.png", scaled + "/f2.png", scaled + "/f1.json"], base=["--content-image", frames] + style)
    shapes = os.path.join(c.folder, "out", "frames-shapes")
    os.makedirs(shapes)
    o("valid-frames-of-two-shapes", ["-init", "prevWarped", "-temporal_weight", "50", "--output-image", shapes + "/"], [], [],
      expect="valid", output=shapes + "/a.png", also=[shapes + "/b.png"], base=["--content-image", mixed] + style)


def build(folder, repo):
    """Writes the corpus into `folder` (emptied first) and returns its cases."""
    if os.path.isdir(folder):
        for root, dirs, _ in os.walk(folder):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        shutil.rmtree(folder)
    corpus = Corpus(folder, repo)
    for make in (image_cases, valid_image_cases, weight_cases, option_cases, frame_cases):
        make(corpus)
    return corpus.cases

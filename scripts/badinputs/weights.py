"""weights.py — weight files for the bad-input corpus and the fuzz seeds, written byte by byte (python3 stdlib).

safetensors (any header, any bytes), PyTorch .pth (ZIP and legacy stream, pickles emitted opcode by opcode so
no torch is needed, and evil ones naming globals outside gpustyle's allowlist), Caffe .caffemodel (protobuf
wire format by hand). Shapes are OIHW; VGG16_CONVS lists VGG16's convolutions.
"""
import io
import json
import struct
import zipfile

VGG16_CONVS = [("conv1_1", 3, 64), ("conv1_2", 64, 64), ("conv2_1", 64, 128), ("conv2_2", 128, 128),
               ("conv3_1", 128, 256), ("conv3_2", 256, 256), ("conv3_3", 256, 256),
               ("conv4_1", 256, 512), ("conv4_2", 512, 512), ("conv4_3", 512, 512),
               ("conv5_1", 512, 512), ("conv5_2", 512, 512), ("conv5_3", 512, 512)]
DTYPE_SIZES = {"F16": 2, "F32": 4, "F64": 8, "BF16": 2, "U8": 1, "I64": 8}


def count(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def f32(values):
    return struct.pack("<%df" % len(values), *values)


def pattern_values(n, seed=1):
    """n small deterministic floats."""
    return [((i * 7919 + seed * 104729) % 2001 - 1000) / 20000.0 for i in range(n)]


# MARK: - safetensors

def safetensors(tensors, metadata=None, header=None):
    """tensors: [(name, dtype, shape, data bytes)] laid out in order. `header` (a str) replaces the JSON."""
    entries, data, at = {}, bytearray(), 0
    for name, dtype, shape, raw in tensors:
        entries[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [at, at + len(raw)]}
        data += raw
        at += len(raw)
    if metadata:
        entries["__metadata__"] = metadata
    text = (header if header is not None else json.dumps(entries)).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + bytes(data)


def vgg16_safetensors(skip=(), reshape=None, dtype="F16"):
    """A full-size VGG16 safetensors of zeros (F16: 29 MB), Caffe names; `skip` leaves convolutions out,
    `reshape` = {name: shape} changes a kernel's shape."""
    tensors = []
    for name, cin, cout in VGG16_CONVS:
        if name in skip:
            continue
        shape = (reshape or {}).get(name, (cout, cin, 3, 3))
        tensors.append((name + ".weight", dtype, shape, bytes(count(shape) * DTYPE_SIZES[dtype])))
        tensors.append((name + ".bias", dtype, (cout,), bytes(cout * DTYPE_SIZES[dtype])))
    return safetensors(tensors, metadata={"architecture": "vgg16", "preprocessing": "caffe"})


def small_safetensors(seed=1):
    """conv1_1 only (F16, 3.6 KB) plus a tiny extra vector: a valid file, too short for a model."""
    weight = struct.pack("<%de" % 1728, *pattern_values(1728, seed))
    bias = struct.pack("<64e", *pattern_values(64, seed + 1))
    return safetensors([("conv1_1.weight", "F16", (64, 3, 3, 3), weight), ("conv1_1.bias", "F16", (64,), bias)])


# MARK: - pickles (protocol 2, opcode by opcode)

def p_global(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def p_str(text):
    raw = text.encode()
    return b"X" + struct.pack("<I", len(raw)) + raw


def p_int(value):
    return b"J" + struct.pack("<i", value)


def p_tuple(*items):
    return b"(" + b"".join(items) + b"t"


P_PROTO, P_STOP, P_REDUCE, P_EMPTY_TUPLE, P_FALSE, P_NONE = b"\x80\x02", b".", b"R", b")", b"\x89", b"N"


def p_ordered_dict(pairs):
    body = b"".join(p_str(k) + v for k, v in pairs)
    return p_global("collections", "OrderedDict") + P_EMPTY_TUPLE + P_REDUCE + (b"(" + body + b"u" if pairs else b"")


def p_tensor(persistent_id, shape, offset=0):
    """torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())."""
    strides, step = [], 1
    for d in reversed(shape):
        strides.insert(0, step)
        step *= d
    args = p_tuple(persistent_id + b"Q", p_int(offset), p_tuple(*map(p_int, shape)), p_tuple(*map(p_int, strides)),
                   P_FALSE, p_ordered_dict([]))
    return p_global("torch._utils", "_rebuild_tensor_v2") + args + P_REDUCE


def pth_zip(tensors, data_pickle=None):
    """A torch.save ZIP: tensors [(name, shape, floats)] as FloatStorage '0', '1', …; `data_pickle` replaces data.pkl."""
    pairs, records = [], []
    for key, (name, shape, values) in enumerate(tensors):
        pid = p_tuple(p_str("storage"), p_global("torch", "FloatStorage"), p_str(str(key)), p_str("cpu"),
                      p_int(count(shape)))
        pairs.append((name, p_tensor(pid, shape)))
        records.append(("archive/data/%d" % key, f32(values)))
    pickle = data_pickle if data_pickle is not None else P_PROTO + p_ordered_dict(pairs) + P_STOP
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, raw in [("archive/data.pkl", pickle), ("archive/byteorder", b"little")] + records \
                + [("archive/version", b"3\n")]:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), raw)  # reproducible bytes
    return out.getvalue()


def pth_legacy(tensors):
    """A legacy torch.save stream (magic, protocol 1001, sys info, state dict, keys, raw storages)."""
    magic = P_PROTO + b"\x8a\x0a" + bytes([0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]) + P_STOP
    version = P_PROTO + b"M" + struct.pack("<H", 1001) + P_STOP
    info = P_PROTO + b"}(" + p_str("protocol_version") + b"M" + struct.pack("<H", 1001) + p_str("little_endian") \
        + b"\x88" + p_str("type_sizes") + b"}(" + p_str("short") + b"K\x02" + p_str("int") + b"K\x04" \
        + p_str("long") + b"K\x04" + b"uu" + P_STOP
    pairs, keys, raw = [], [], b""
    for key, (name, shape, values) in enumerate(tensors):
        pid = p_tuple(p_str("storage"), p_global("torch", "FloatStorage"), p_str(str(key)), p_str("cpu"),
                      p_int(count(shape)), P_NONE)
        pairs.append((name, p_tensor(pid, shape)))
        keys.append(p_str(str(key)))
        raw += struct.pack("<Q", count(shape)) + f32(values)
    state = P_PROTO + p_ordered_dict(pairs) + P_STOP
    key_list = P_PROTO + b"]" + (b"(" + b"".join(keys) + b"e" if keys else b"") + P_STOP
    return magic + version + info + state + key_list + raw


def evil_pickle(command):
    """A pickle that would run `os.system(command)` if it were ever unpickled by Python."""
    return P_PROTO + p_global("posix", "system") + p_tuple(p_str(command)) + P_REDUCE + P_STOP


def small_torch_tensors(seed=1):
    return [("features.0.weight", (64, 3, 3, 3), pattern_values(1728, seed)),
            ("features.0.bias", (64,), pattern_values(64, seed + 1))]


# MARK: - protobuf (Caffe NetParameter)

def varint(value):
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number, wire, payload):
    """A protobuf field: tag plus payload (wire 0: payload is an int; wire 2: bytes, length-prefixed)."""
    tag = varint(number << 3 | wire)
    if wire == 0:
        return tag + varint(payload)
    if wire == 2:
        return tag + varint(len(payload)) + payload
    return tag + payload


def caffe_blob(shape, values):
    return field(7, 2, field(1, 2, b"".join(varint(d) for d in shape))) + field(5, 2, f32(values))


def caffemodel(layers, v1=False):
    """layers: [(name, [(shape, values)])] as convolutions; V2 `layer` (field 100) or V1 `layers` (field 2)."""
    out = field(1, 2, b"VGG_ILSVRC_16_layers")
    for name, blobs in layers:
        if v1:
            body = field(4, 2, name.encode()) + field(5, 0, 4) + b"".join(field(6, 2, caffe_blob(*b)) for b in blobs)
            out += field(2, 2, body)
        else:
            body = field(1, 2, name.encode()) + field(2, 2, b"Convolution") \
                + b"".join(field(7, 2, caffe_blob(*b)) for b in blobs)
            out += field(100, 2, body)
    return out


def small_caffe_layers(seed=1):
    return [("conv1_1", [((64, 3, 3, 3), pattern_values(1728, seed)), ((64,), pattern_values(64, seed + 1))])]

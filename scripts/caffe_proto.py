"""caffe_proto.py — Caffe's NetParameter messages (the subset holding weights), built at run time with protobuf.

Dependencies: protobuf (pip install protobuf). No protoc needed: the descriptors below are a hand-written
subset of BVLC caffe.proto with the same field numbers, so files written with them are read by Caffe.

    NetParameter      name=1, layers=2 (V1LayerParameter), layer=100 (LayerParameter)
    LayerParameter    name=1, type=2, bottom=3, top=4, blobs=7
    V1LayerParameter  bottom=2, top=3, name=4, type=5 (enum), blobs=6
    BlobProto         num=1, channels=2, height=3, width=4, data=5 [packed], shape=7, double_data=8 [packed]
    BlobShape         dim=1 [packed]
"""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto
V1_CONVOLUTION, V1_INNER_PRODUCT, V1_POOLING, V1_RELU = 4, 14, 17, 18


def _field(msg, name, number, ftype, label=F.LABEL_OPTIONAL, type_name=None, packed=None):
    f = msg.field.add(name=name, number=number, type=ftype, label=label)
    if type_name:
        f.type_name = type_name
    if packed is not None:
        f.options.packed = packed
    return f


def build(packed=True):
    """Message classes (NetParameter, LayerParameter, V1LayerParameter, BlobProto, BlobShape).
    packed=False declares the repeated numeric fields unpacked, as some old writers did."""
    fd = descriptor_pb2.FileDescriptorProto(name=f"caffe_subset_{int(packed)}.proto", package=f"caffe{int(packed)}", syntax="proto2")
    pkg = f".caffe{int(packed)}"
    shape = fd.message_type.add(name="BlobShape")
    _field(shape, "dim", 1, F.TYPE_INT64, F.LABEL_REPEATED, packed=packed)
    blob = fd.message_type.add(name="BlobProto")
    for i, n in enumerate(["num", "channels", "height", "width"], start=1):
        _field(blob, n, i, F.TYPE_INT32)
    _field(blob, "data", 5, F.TYPE_FLOAT, F.LABEL_REPEATED, packed=packed)
    _field(blob, "diff", 6, F.TYPE_FLOAT, F.LABEL_REPEATED, packed=packed)
    _field(blob, "shape", 7, F.TYPE_MESSAGE, type_name=f"{pkg}.BlobShape")
    _field(blob, "double_data", 8, F.TYPE_DOUBLE, F.LABEL_REPEATED, packed=packed)
    layer = fd.message_type.add(name="LayerParameter")
    _field(layer, "name", 1, F.TYPE_STRING)
    _field(layer, "type", 2, F.TYPE_STRING)
    _field(layer, "bottom", 3, F.TYPE_STRING, F.LABEL_REPEATED)
    _field(layer, "top", 4, F.TYPE_STRING, F.LABEL_REPEATED)
    _field(layer, "blobs", 7, F.TYPE_MESSAGE, F.LABEL_REPEATED, type_name=f"{pkg}.BlobProto")
    v1 = fd.message_type.add(name="V1LayerParameter")
    _field(v1, "bottom", 2, F.TYPE_STRING, F.LABEL_REPEATED)
    _field(v1, "top", 3, F.TYPE_STRING, F.LABEL_REPEATED)
    _field(v1, "name", 4, F.TYPE_STRING)
    _field(v1, "type", 5, F.TYPE_INT32)  # an enum in caffe.proto; the wire format is the same varint
    _field(v1, "blobs", 6, F.TYPE_MESSAGE, F.LABEL_REPEATED, type_name=f"{pkg}.BlobProto")
    net = fd.message_type.add(name="NetParameter")
    _field(net, "name", 1, F.TYPE_STRING)
    _field(net, "layers", 2, F.TYPE_MESSAGE, F.LABEL_REPEATED, type_name=f"{pkg}.V1LayerParameter")
    _field(net, "layer", 100, F.TYPE_MESSAGE, F.LABEL_REPEATED, type_name=f"{pkg}.LayerParameter")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    get = lambda n: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"caffe{int(packed)}.{n}"))
    return {n: get(n) for n in ["NetParameter", "LayerParameter", "V1LayerParameter", "BlobProto", "BlobShape"]}


def fill_blob(blob, array, legacy_shape=False, double=False):
    """array: a numpy array. legacy_shape writes num/channels/height/width (padded to 4-D with leading 1s),
    as old Caffe did; otherwise a BlobShape."""
    dims = list(array.shape)
    if legacy_shape:
        dims = [1] * (4 - len(dims)) + dims
        blob.num, blob.channels, blob.height, blob.width = dims
    else:
        blob.shape.dim.extend(dims)
    flat = array.reshape(-1).tolist()
    (blob.double_data if double else blob.data).extend(flat)


def write_net(path, layers, v1, packed=True, legacy_shape=None, double=False, name="VGG"):
    """layers: [(name, kind, [numpy blobs])] with kind 'conv', 'fc', 'relu' or 'pool'.
    v1=True writes old-style `layers` (field 2, enum types), else `layer` (field 100, string types)."""
    m = build(packed)
    net = m["NetParameter"](name=name)
    legacy_shape = v1 if legacy_shape is None else legacy_shape
    for lname, kind, blobs in layers:
        if v1:
            layer = net.layers.add(name=lname, type={"conv": V1_CONVOLUTION, "fc": V1_INNER_PRODUCT,
                                                     "pool": V1_POOLING, "relu": V1_RELU}[kind])
        else:
            layer = net.layer.add(name=lname, type={"conv": "Convolution", "fc": "InnerProduct",
                                                    "pool": "Pooling", "relu": "ReLU"}[kind])
        for b in blobs:
            fill_blob(layer.blobs.add(), b, legacy_shape=legacy_shape, double=double)
    with open(path, "wb") as f:
        f.write(net.SerializeToString())

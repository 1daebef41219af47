"""Makes Tests/Fixtures/bad/: small broken or hostile files, one per way a user's file goes wrong.

Every file is refused by the Probity command that reads it with exit status 2 and one line
naming the file and the problem (Tests/ProbityCLITests/BadCorpusTests.swift runs each one;
Tests/Fixtures/bad/README.md says what each file is). The files are deterministic: rerunning
this recipe rewrites the same bytes, except the HDF5 files, whose object headers hold times.

ONNX files are written with a small protobuf encoder below (no onnx package needed); HDF5
files with h5py. Run with Debian's python3 (python3-h5py, which `make setup` installs):
    python3 Tests/Fixtures/recipes/make_bad_corpus.py
"""
import json
import os
import random
import struct

import h5py
import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bad")
os.makedirs(out, exist_ok=True)


def path(name):
    return os.path.join(out, name)


def write(name, data):
    with open(path(name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------------------------------------
# Datasets (schema 1; see Sources/ProbityData/DatasetSchema.swift).

N, H, W, C = 4, 16, 16, 3


def dataset(name, images=None, labels=None, class_names=("a", "b", "c", "d"), boxes=None, attrs=None, chunked=None):
    """A small valid dataset with one thing replaced."""
    rng = np.random.default_rng(0)
    with h5py.File(path(name), "w", libver="earliest") as f:
        f["images"] = rng.integers(0, 256, (N, H, W, C), dtype=np.uint8) if images is None else images
        f["labels"] = np.arange(N, dtype=np.int64) % 4 if labels is None else labels
        if class_names is not None:
            f["class_names"] = np.array([s.encode() for s in class_names], dtype=h5py.string_dtype("utf-8"))
        if boxes is not None:
            f["boxes"] = np.asarray(boxes, dtype=np.float32)
            f["box_sample"] = np.zeros(len(boxes), dtype=np.int64)
            f["box_label"] = np.zeros(len(boxes), dtype=np.int64)
        f.attrs["probity_schema"] = np.int64(1)
        f.attrs["input_scale"] = np.full(C, 2, np.float32)
        f.attrs["input_offset"] = np.full(C, -1, np.float32)
        for k, v in (attrs or {}).items():
            f.attrs[k] = v
    return path(name)


write("empty.h5", b"")
write("not_hdf5.h5", b"images,labels\n1,2\nthis is a CSV file, not HDF5\n")
good = dataset("truncated.h5")
with open(good, "rb") as f:
    whole = f.read()
write("truncated.h5", whole[: len(whole) // 2])
dataset("images_float32.h5", images=np.full((N, H, W, C), 0.5, np.float32))
nan = np.full((N, H, W, C), 0.5, np.float32)
nan[0, 0, 0, 0] = np.nan
nan[1, 1, 1, 1] = np.inf
dataset("images_nan_inf.h5", images=nan)
dataset("images_rank3.h5", images=np.zeros((N, H, W), np.uint8))
dataset("images_4_channels.h5", images=np.zeros((N, H, W, 4), np.uint8))
dataset("labels_float.h5", labels=np.zeros(N, np.float64))
dataset("labels_wrong_shape.h5", labels=np.zeros(N + 3, np.int64))
dataset("labels_out_of_range.h5", labels=np.array([0, 1, 7, 2], np.int64))
dataset("labels_negative.h5", labels=np.array([0, -1, 2, 3], np.int64))
dataset("boxes_outside.h5", boxes=[[2, 2, 40, 12]])
dataset("boxes_reversed.h5", boxes=[[10, 2, 4, 12]])
dataset("scale_nan.h5", attrs={"input_scale": np.array([np.nan, 1, 1], np.float32)})
dataset("offset_inf.h5", attrs={"input_offset": np.array([0, np.inf, 0], np.float32)})
# 10^12 samples declared in chunked datasets that hold no data (the file stays small): reading
# /labels whole would allocate 8 TB.
with h5py.File(path("huge_declared.h5"), "w", libver="earliest") as f:
    f.create_dataset("images", shape=(10**12, H, W, C), dtype=np.uint8, chunks=(1, H, W, C))
    f.create_dataset("labels", shape=(10**12,), dtype=np.int64, chunks=(1024,))
    f.attrs["probity_schema"] = np.int64(1)
    f.attrs["input_scale"] = np.full(C, 2, np.float32)
    f.attrs["input_offset"] = np.full(C, -1, np.float32)

# A damaged length in a variable-length string's descriptor (4 bytes: length, then the global
# heap collection's address and the object's index): libhdf5 1.10 allocates and clears a buffer
# of the declared length before it reads the string, 8 GB of memory to read "a".


def damage_string_length(name, text, length=0xFFFFFFF0):
    """Sets the declared length of the first vlen string descriptor of `text` in file `name`."""
    data = bytearray(open(path(name), "rb").read())
    found = [i for i in range(len(data) - 16)
             if data[i:i + 4] == struct.pack("<I", len(text)) and data[i + 12:i + 16] == struct.pack("<I", 1)
             and int.from_bytes(data[i + 4:i + 12], "little") < len(data)
             and data[int.from_bytes(data[i + 4:i + 12], "little"):][:4] == b"GCOL"]
    assert len(found) == 1, (name, found)
    data[found[0]:found[0] + 4] = struct.pack("<I", length)
    write(name, bytes(data))


dataset("string_length_4g.h5")
damage_string_length("string_length_4g.h5", "a")
dataset("attribute_length_4g.h5", class_names=None, attrs={"description": "a dataset with a damaged description"})
damage_string_length("attribute_length_4g.h5", "a dataset with a damaged description")

# ---------------------------------------------------------------------------------------------
# ONNX, encoded by hand (onnx.proto3 field numbers).


def varint(v):
    v &= (1 << 64) - 1
    b = bytearray()
    while True:
        byte = v & 0x7F
        v >>= 7
        if v:
            b.append(byte | 0x80)
        else:
            b.append(byte)
            return bytes(b)


def key(field, wire):
    return varint(field << 3 | wire)


def vint(field, v):
    return key(field, 0) + varint(v)


def lend(field, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return key(field, 2) + varint(len(payload)) + payload


def packed_ints(field, values):
    return lend(field, b"".join(varint(v) for v in values))


def tensor(name, dims, values):
    """TensorProto: dims (1), data_type (2, FLOAT = 1), name (8), raw_data (9)."""
    return packed_ints(1, dims) + vint(2, 1) + lend(8, name) + lend(9, struct.pack("<%df" % len(values), *values))


def value_info(name, dims):
    """ValueInfoProto: name (1), type (2) → tensor_type (1) → elem_type (1), shape (2) → dim (1) → dim_value (1)."""
    shape = b"".join(lend(1, vint(1, d)) for d in dims)
    return lend(1, name) + lend(2, lend(1, vint(1, 1) + lend(2, shape)))


def node(op, inputs, outputs, name, attributes=b""):
    """NodeProto: input (1), output (2), name (3), op_type (4), attribute (5)."""
    return b"".join(lend(1, i) for i in inputs) + b"".join(lend(2, o) for o in outputs) + lend(3, name) + lend(4, op) + attributes


def model(nodes, initializers, inputs, outputs):
    """ModelProto: ir_version (1), graph (7), opset_import (8) → version (2)."""
    graph = b"".join(lend(1, n) for n in nodes) + lend(2, "bad") + b"".join(lend(5, t) for t in initializers)
    graph += b"".join(lend(11, v) for v in inputs) + b"".join(lend(12, v) for v in outputs)
    return vint(1, 8) + lend(7, graph) + lend(8, vint(2, 17))


def tiny(conv_input="input", act="Relu", weight_dims=(2, 3, 3, 3), input_dims=(1, 3, 8, 8)):
    """A valid classifier: Conv 3→2 (3×3) → activation → GlobalAveragePool → Flatten, logits [1, 2]."""
    weights = [((i * 7) % 11 - 5) / 10 for i in range(2 * 3 * 3 * 3)]
    nodes = [
        node("Conv", [conv_input, "w", "b"], ["conv"], "conv"),
        node(act, ["conv"], ["act"], "act"),
        node("GlobalAveragePool", ["act"], ["pool"], "pool"),
        node("Flatten", ["pool"], ["logits"], "flatten"),
    ]
    return model(nodes, [tensor("w", weight_dims, weights), tensor("b", [2], [0.1, -0.1])],
                 [value_info("input", input_dims)], [value_info("logits", [1, 2])])


valid = tiny()
write("onnx_empty.onnx", b"")
write("onnx_truncated.onnx", valid[: len(valid) * 2 // 3])
write("onnx_random.onnx", random.Random(18).randbytes(512))
write("onnx_unsupported_op.onnx", tiny(act="Einsum"))
write("onnx_missing_input.onnx", tiny(conv_input="ghost"))
write("onnx_huge_weight_dims.onnx", tiny(weight_dims=(1000000, 1000000, 1, 1)))
write("onnx_huge_input_dims.onnx", tiny(input_dims=(1, 3, 1000000, 1000000)))
cycle = model([node("Add", ["input", "b2"], ["a2"], "a"), node("Relu", ["a2"], ["b2"], "b"),
               node("GlobalAveragePool", ["b2"], ["pool"], "pool"), node("Flatten", ["pool"], ["logits"], "flatten")],
              [], [value_info("input", (1, 3, 8, 8))], [value_info("logits", [1, 3])])
write("onnx_cycle.onnx", cycle)

# ---------------------------------------------------------------------------------------------
# PNG: chunks with valid CRCs unless the case is a bad CRC.


def chunk(kind, data):
    import zlib
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, rows=None, bad_crc=False):
    import zlib
    signature = b"\x89PNG\r\n\x1a\n"
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if rows is None:
        rows = b"".join(b"\x00" + bytes((x * 16 + y) & 255 for x in range(3 * width)) for y in range(height))
    idat = chunk(b"IDAT", zlib.compress(rows))
    if bad_crc:
        idat = idat[:-4] + bytes(b ^ 0xFF for b in idat[-4:])
    return signature + ihdr + idat + chunk(b"IEND", b"")


write("png_corrupt_crc.png", png(8, 8, bad_crc=True))
write("png_truncated.png", png(8, 8)[:60])
write("png_huge_header.png", png(100000, 100000, rows=b"\x00"))
write("png_not_png.png", b"GIF89a this file only claims to be a PNG")

# ---------------------------------------------------------------------------------------------
# Suites: paths in them are relative to the suite file (this folder).

suite_head = "dataset: ../../../datasets/shapes.h5\nmodel: ../../../models/shapes_cnn.onnx\n"
texts = {
    "suite_unknown_key.yaml": suite_head + "samples: {first: 4}\nbatchsize: 4\nexplainers: [saliency]\nmetrics: [deletion]\n",
    "suite_wrong_type.yaml": suite_head + "samples: {first: 4}\nbatch: four\nexplainers: [saliency]\nmetrics: [deletion]\n",
    "suite_missing_dataset.yaml": "dataset: no_such_dataset.h5\nmodel: ../../../models/shapes_cnn.onnx\nexplainers: [saliency]\nmetrics: [deletion]\n",
    "suite_missing_model.yaml": "dataset: ../../../datasets/shapes.h5\nmodel: no_such_model.onnx\nexplainers: [saliency]\nmetrics: [deletion]\n",
    "suite_not_yaml.yaml": "dataset: [unclosed\n  model: {\n",
    "suite_list.yaml": "- saliency\n- deletion\n",
    # Found by `make fuzz`: YAML 1.1 reads `1:0:…` as a base-60 integer, and Yams trapped on its overflow.
    "fuzz_suite_sexagesimal_overflow.yaml": suite_head + "samples: {first: 1:0:0:0:0:0:0:0:0:0:0:0:0:0:0}\nexplainers: [saliency]\nmetrics: [deletion]\n",
}
for name, text in texts.items():
    write(name, text.encode())
# A shard folder whose record says it is part 3 of 2.
os.makedirs(path("shard_3_of_2"), exist_ok=True)
write("shard_3_of_2/shard.json", json.dumps({
    "batches": 1, "explainers": ["saliency@abs=true"], "fingerprint": "0", "labels": [0], "metrics": ["deletion"],
    "probity_version": "0", "samples": [0], "seed": 0, "shard": "3/2"}, sort_keys=True).encode())

# ---------------------------------------------------------------------------------------------
# Importers' side files.

write("coco_not_json.json", b'{"images": [{"id": 1, "file_name": "a.png"}], "annotations": [')
write("coco_wrong_types.json", json.dumps({"images": "none", "annotations": 3, "categories": []}).encode())
write("labels_not_csv.csv", b'file,label\n"a.png,0\nb.png\n')
write("labels_three_fields.csv", b"file,label\na.png,0,1\n")

# ---------------------------------------------------------------------------------------------
# Seeds for the fuzz targets (Tests/Fuzz/corpus/<target>/): valid files of each kind, so the
# mutations start from inputs that get deep into the readers, beside the broken ones above
# (`make fuzz` adds those, the PNG fixtures and the committed suites from where they are).

seeds = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Fuzz", "corpus")
for target in ("onnx", "png", "suite", "dataset"):
    os.makedirs(os.path.join(seeds, target), exist_ok=True)


def seed(target, name, data):
    with open(os.path.join(seeds, target, name), "wb") as f:
        f.write(data)


seed("onnx", "tiny_conv.onnx", valid)
more = [
    node("Conv", ["input", "w", "b"], ["conv"], "conv"),
    node("BatchNormalization", ["conv", "s", "b", "b", "s"], ["bn"], "bn"),
    node("Relu", ["bn"], ["act"], "act"),
    node("MaxPool", ["act"], ["pool"], "pool", lend(5, lend(1, "kernel_shape") + vint(20, 7) + packed_ints(8, [2, 2]))),
    node("Flatten", ["pool"], ["flat"], "flatten"),
    node("Gemm", ["flat", "fc", "fcb"], ["gemm"], "fc", lend(5, lend(1, "transB") + vint(20, 2) + vint(3, 1))),
    node("Softmax", ["gemm"], ["logits"], "softmax"),
]
seed("onnx", "tiny_bn_pool_gemm_softmax.onnx", model(
    more,
    [tensor("w", (2, 3, 3, 3), [((i * 7) % 11 - 5) / 10 for i in range(54)]), tensor("b", [2], [0.1, -0.1]), tensor("s", [2], [1.0, 0.5]),
     tensor("fc", (3, 50), [((i * 5) % 7 - 3) / 10 for i in range(150)]), tensor("fcb", [3], [0, 0.1, 0.2])],
    [value_info("input", (1, 3, 8, 8))], [value_info("logits", [1, 3])]))
seed("dataset", "valid.h5", open(dataset("_seed.h5", boxes=[[1, 1, 8, 8]]), "rb").read())
os.remove(path("_seed.h5"))
seed("suite", "small.yaml", b"dataset: d.h5\nmodel: m.onnx\nsamples: {split: test, first: 8, every: 2}\nbatch: 4\nseed: 3\n"
     b"target: label\nexplainers:\n  - saliency\n  - integrated_gradients: {steps: 4, baseline: black}\n"
     b"metrics:\n  - deletion: {substrate: blur}\n  - pointing_game\nmetric_options: {sign: abs}\ngate: g.yaml\nkeep_going: true\n")
seed("suite", "policy.yaml", b"alpha: 0.05\nrules:\n  - {explainer: gradcam, metric: pointing_game, min: 0.8}\n"
     b"  - {explainer: saliency, metric: insertion, max_drop: 0.02, against: baseline}\n")
seed("png", "rgb_8x8.png", png(8, 8))

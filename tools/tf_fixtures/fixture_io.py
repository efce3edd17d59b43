"""Writes and reads one fixture folder: graph.pb, .npy tensors and meta.json.

Layout (what the C++ tests read):
    <name>/graph.pb                  frozen GraphDef, binary protobuf
    <name>/input_<tensor>.npy        one per graph input (feed)
    <name>/expected_<tensor>.npy     one per graph output, computed by TensorFlow on graph.pb
    <name>/activations/<tensor>.npy  intermediate tensors, named after their TF tensor
    <name>/meta.json                 TF tensor name -> file, shapes, dtypes, op histogram, notes

.npy (format 1.0, little-endian, C order) is the simplest container a C++ test can read: a
fixed magic, a short Python-dict header, then raw data. Tensor names contain '/' and ':', so
they are turned into file names and meta.json keeps the exact mapping: tests look files up
through meta.json, never by re-deriving the file name.
"""

import json
import os
import re

import numpy as np

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def tensor_file_stem(tensor_name):
    """'a/b/Relu:0' -> 'a.b.Relu'; 'a/b/FusedBatchNormV3:1' -> 'a.b.FusedBatchNormV3.1'."""
    node, _, index = tensor_name.partition(":")
    stem = _UNSAFE.sub("_", node.replace("/", "."))
    if index and index != "0":
        stem += "." + index
    return stem


class _UniqueNames:
    """Hands out file names, adding a counter on the (unlikely) clash after sanitising."""

    def __init__(self):
        self._used = set()

    def take(self, name):
        base, ext = os.path.splitext(name)
        candidate, k = name, 1
        while candidate.lower() in self._used:  # case-insensitive file systems too
            candidate = "%s~%d%s" % (base, k, ext)
            k += 1
        self._used.add(candidate.lower())
        return candidate


def _save_npy(path, array):
    array = np.asarray(array, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    np.save(path, array, allow_pickle=False)


def _entry(tensor_name, rel_path, array, **extra):
    entry = {
        "tensor": tensor_name,
        "file": rel_path,
        "dtype": str(array.dtype),
        "shape": list(array.shape),
    }
    entry.update(extra)
    return entry


def write_fixture(folder, graph_def, inputs, outputs, activations, meta):
    """Writes a fixture folder.

    inputs:      list of (tensor name, np.ndarray, placeholder shape list with -1 for unknown)
    outputs:     list of (tensor name, np.ndarray)
    activations: list of (tensor name, op type, np.ndarray)
    meta:        extra keys for meta.json (name, notes, tf_version, ...)
    """
    os.makedirs(folder, exist_ok=True)
    act_dir = os.path.join(folder, "activations")
    # Start clean so a renamed or dropped tensor leaves no stale file behind.
    for sub in (folder, act_dir):
        if os.path.isdir(sub):
            for f in os.listdir(sub):
                if f.endswith(".npy"):
                    os.remove(os.path.join(sub, f))
    with open(os.path.join(folder, "graph.pb"), "wb") as f:
        # deterministic: attr maps in a fixed order, so regenerating gives the same bytes.
        f.write(graph_def.SerializeToString(deterministic=True))

    names = _UniqueNames()
    in_entries = []
    for tensor_name, array, placeholder_shape in inputs:
        rel = names.take("input_%s.npy" % tensor_file_stem(tensor_name))
        _save_npy(os.path.join(folder, rel), array)
        in_entries.append(_entry(tensor_name, rel, array, placeholder_shape=placeholder_shape))
    out_entries = []
    for tensor_name, array in outputs:
        rel = names.take("expected_%s.npy" % tensor_file_stem(tensor_name))
        _save_npy(os.path.join(folder, rel), array)
        out_entries.append(_entry(tensor_name, rel, array))
    act_entries = []
    if activations:
        os.makedirs(act_dir, exist_ok=True)
    for tensor_name, op_type, array in activations:
        rel = "activations/" + names.take("%s.npy" % tensor_file_stem(tensor_name))
        _save_npy(os.path.join(folder, rel), array)
        act_entries.append(_entry(tensor_name, rel, array, op=op_type))
    if not activations and os.path.isdir(act_dir) and not os.listdir(act_dir):
        os.rmdir(act_dir)

    doc = dict(meta)
    doc.update({"graph": "graph.pb", "inputs": in_entries, "outputs": out_entries,
                "activations": act_entries})
    with open(os.path.join(folder, "meta.json"), "w") as f:
        f.write(_INT_LIST.sub(_one_line, json.dumps(doc, indent=1)) + "\n")


# Shapes on one line: "shape": [2, 48, 48, 3] rather than one number per line.
_INT_LIST = re.compile(r'("(?:shape|placeholder_shape)": )\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]')


def _one_line(match):
    return match.group(1) + "[" + ", ".join(x.strip() for x in match.group(2).split(",")) + "]"


def read_meta(folder):
    with open(os.path.join(folder, "meta.json")) as f:
        return json.load(f)


def load_array(folder, entry):
    return np.load(os.path.join(folder, entry["file"]), allow_pickle=False)

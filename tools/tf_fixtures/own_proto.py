"""Parses a GraphDef with OUR importer/tensorflow_graph.proto instead of TensorFlow's.

This checks the field numbers and types we copied: protoc compiles our .proto to a
descriptor set, protobuf's Python runtime builds a message class from it, and the fixture's
graph.pb must parse into exactly the same text form as TensorFlow's own GraphDef gives (the
text form names fields and enum values, not packages, so equal text = same numbers/types).
Needs `protoc` (Debian: protobuf-compiler); callers skip the check when it is missing.
"""

import functools
import os
import shutil
import subprocess
import tempfile

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROTO = os.path.join("importer", "tensorflow_graph.proto")


def available():
    return shutil.which("protoc") is not None


@functools.lru_cache(maxsize=1)
def _graph_def_class():
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "set.pb")
        subprocess.run(["protoc", "-I", REPO, "--descriptor_set_out=" + out, PROTO],
                       check=True)
        with open(out, "rb") as f:
            file_set = descriptor_pb2.FileDescriptorSet.FromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for file_proto in file_set.file:
        pool.Add(file_proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("p3d.tf.GraphDef"))


# Fields our .proto leaves out on purpose (see its header): cleared from TensorFlow's parse
# before comparing, since text_format does not print the unknown fields they become in ours.
_OMITTED_GRAPH_FIELDS = ("debug_info",)
_OMITTED_NODE_FIELDS = ("experimental_debug_info", "experimental_type")


def same_as_tensorflow(pb_bytes, tf_graph_def):
    """None if our parse of pb_bytes prints like TensorFlow's, else a short difference."""
    ours = _graph_def_class().FromString(pb_bytes)
    theirs = type(tf_graph_def)()
    theirs.CopyFrom(tf_graph_def)
    for field in _OMITTED_GRAPH_FIELDS:
        theirs.ClearField(field)
    for node in theirs.node:
        for field in _OMITTED_NODE_FIELDS:
            node.ClearField(field)
    a = text_format.MessageToString(ours)
    b = text_format.MessageToString(theirs)
    if a == b:
        return None
    for i, (la, lb) in enumerate(zip(a.splitlines(), b.splitlines())):
        if la != lb:
            return "line %d: ours %r vs TensorFlow %r" % (i + 1, la, lb)
    return "lengths differ (%d vs %d lines)" % (len(a.splitlines()), len(b.splitlines()))

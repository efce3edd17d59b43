"""Round-trip check of written fixtures: reload graph.pb in TensorFlow, run it on the saved
inputs, compare with the saved outputs and activations; check meta.json against the files;
parse graph.pb with our own .proto (own_proto.py) when protoc is installed.

    python verify.py [FOLDER_OR_ROOT ...]   # default: tests/fixtures/tf/*
"""

import os
import sys

import numpy as np

import freezing
import own_proto
from fixture_io import load_array, read_meta
from tf_env import tf, v1

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _compare(name, expected, actual):
    if expected.dtype != actual.dtype or expected.shape != actual.shape:
        return "%s: %s%s saved vs %s%s computed" % (name, expected.dtype, expected.shape,
                                                    actual.dtype, actual.shape)
    if expected.dtype.kind == "f":
        scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
        err = float(np.max(np.abs(expected - actual))) if expected.size else 0.0
        if not np.all(np.isfinite(expected)):
            return "%s: non-finite values saved" % name
        if err > 1e-5 * scale:
            return "%s: max abs diff %.3g (scale %.3g)" % (name, err, scale)
    elif not np.array_equal(expected, actual):
        return "%s: values differ" % name
    return None


def verify_fixture(folder):
    """Returns a list of problems (empty when the fixture is sound)."""
    problems = []
    meta = read_meta(folder)
    with open(os.path.join(folder, meta["graph"]), "rb") as f:
        pb = f.read()
    graph_def = v1.GraphDef.FromString(pb)

    if freezing.op_histogram(graph_def) != meta["op_histogram"]:
        problems.append("op histogram differs from meta.json")
    if meta["tf_version"] != tf.__version__:
        problems.append("made by TF %s, checking with %s" % (meta["tf_version"], tf.__version__))
    placeholders = {n.name for n in graph_def.node if n.op == "Placeholder"}
    fed = {e["tensor"].split(":")[0] for e in meta["inputs"]}
    if placeholders != fed:
        problems.append("placeholders %s but inputs %s" % (sorted(placeholders), sorted(fed)))
    for node in graph_def.node:
        if node.op in ("VariableV2", "VarHandleOp", "ReadVariableOp", "Assign"):
            problems.append("not frozen: %s is a %s" % (node.name, node.op))

    entries = meta["outputs"] + meta["activations"]
    saved = {}
    for entry in meta["inputs"] + entries:
        array = load_array(folder, entry)
        if list(array.shape) != entry["shape"] or str(array.dtype) != entry["dtype"]:
            problems.append("%s: file disagrees with meta.json" % entry["file"])
        saved[entry["tensor"]] = array

    feeds = {e["tensor"]: saved[e["tensor"]] for e in meta["inputs"]}
    fetched = freezing.run_graph_def(graph_def, feeds, [e["tensor"] for e in entries])
    for entry, actual in zip(entries, fetched):
        problem = _compare(entry["tensor"], saved[entry["tensor"]], actual)
        if problem:
            problems.append(problem)

    if own_proto.available():
        difference = own_proto.same_as_tensorflow(pb, graph_def)
        if difference:
            problems.append("our .proto parses graph.pb differently: " + difference)
    return problems


def _folders(paths):
    for path in paths:
        if os.path.isfile(os.path.join(path, "meta.json")):
            yield path
        else:
            for name in sorted(os.listdir(path)):
                if os.path.isfile(os.path.join(path, name, "meta.json")):
                    yield os.path.join(path, name)


def main(argv):
    roots = argv or [os.path.join(REPO, "tests", "fixtures", "tf")]
    if not own_proto.available():
        print("protoc not found: skipping the check of importer/tensorflow_graph.proto")
    failed = total = 0
    for folder in _folders(roots):
        total += 1
        problems = verify_fixture(folder)
        failed += bool(problems)
        print("  %-32s %s" % (os.path.basename(folder), "ok" if not problems else
                              "FAILED: " + "; ".join(problems)))
    print("%d passed, %d failed" % (total - failed, failed))
    return 1 if failed or not total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Generates portrait3d's TensorFlow golden fixtures (run via tools/make_tf_fixtures.sh).

    python generate.py                 # committed fixtures -> tests/fixtures/tf/
    python generate.py --full          # also full-size nets -> build-fixtures/tf/ (gitignored)
    python generate.py --only relu --only rnet_reduced
    python generate.py --list

Every fixture is frozen with TensorFlow's convert_variables_to_constants, its expected
outputs and activations are computed by running the frozen graph.pb, and it is verified by
verify.py right after being written.
"""

import argparse
import os
import sys
import time

import numpy as np

import activations
import freezing
import net_cases
import op_cases_math
import op_cases_nn
import op_cases_shape
import verify
import weights
from case import seed_for
from fixture_io import write_fixture
from tf_env import tf, v1

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OP_CASES = op_cases_nn.CASES + op_cases_math.CASES + op_cases_shape.CASES


def build_and_freeze(case):
    """Builds case in a fresh graph; returns (frozen GraphDef, [(input name, array)], outputs)."""
    rng = np.random.default_rng(seed_for(case.name))
    graph = tf.Graph()
    with graph.as_default():
        v1.set_random_seed(seed_for(case.name) % (2**31))
        built = case.build(rng)
        with v1.Session(graph=graph) as sess:
            sess.run(v1.global_variables_initializer())
            feed = {ph: arr for ph, arr in built.inputs}
            if case.network:
                weights.randomize_variables(sess, rng)
                weights.calibrate_batch_norms(sess, feed, rng)
            frozen = freezing.freeze(sess, built.outputs)
    inputs = [(ph.name, arr) for ph, arr in built.inputs]
    return frozen, inputs, [t.name for t in built.outputs], built.notes


def make_fixture(case, folder, with_activations=True):
    frozen, inputs, output_names, notes = build_and_freeze(case)
    if not with_activations:
        act = []
    elif case.network:
        act = activations.layer_tensors(frozen)
    else:
        act = [a for a in activations.all_op_tensors(frozen) if a[0] not in output_names]
    fetched = freezing.run_graph_def(frozen, dict(inputs), output_names + [a[0] for a in act])
    outputs = list(zip(output_names, fetched[:len(output_names)]))
    acts = [(name, op, arr) for (name, op), arr in zip(act, fetched[len(output_names):])]
    meta = {
        "name": case.name,
        "description": case.description,
        "notes": notes,
        "tf_version": tf.__version__,
        "graph_def_producer": frozen.versions.producer,
        "seed": seed_for(case.name),
        "op_histogram": freezing.op_histogram(frozen),
    }
    placeholders = [(name, arr, freezing.placeholder_shape(frozen, name.split(":")[0]))
                    for name, arr in inputs]
    write_fixture(folder, frozen, placeholders, outputs, acts, meta)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(REPO, "tests", "fixtures", "tf"))
    parser.add_argument("--full", action="store_true",
                        help="also generate the full-size R-Net and depth net")
    parser.add_argument("--full-out", default=os.path.join(REPO, "build-fixtures", "tf"))
    parser.add_argument("--full-activations", action="store_true",
                        help="dump layer activations for the full-size nets too (~100 MB)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)

    jobs = [(c, args.out, True) for c in OP_CASES + net_cases.REDUCED]
    if args.full or any(n in [c.name for c in net_cases.FULL] for n in args.only):
        jobs += [(c, args.full_out, args.full_activations) for c in net_cases.FULL]
    if args.list:
        for case, _, _ in jobs:
            print("%-32s %s" % (case.name, case.description))
        return 0
    if args.only:
        unknown = set(args.only) - {c.name for c, _, _ in jobs}
        if unknown:
            parser.error("unknown fixture(s): %s" % ", ".join(sorted(unknown)))
        jobs = [j for j in jobs if j[0].name in args.only]

    print("TensorFlow %s, %d fixtures" % (tf.__version__, len(jobs)))
    failures = 0
    for case, root, with_act in jobs:
        start = time.time()
        folder = os.path.join(root, case.name)
        make_fixture(case, folder, with_act)
        problems = verify.verify_fixture(folder)
        failures += bool(problems)
        status = "ok" if not problems else "FAILED: " + "; ".join(problems)
        print("  %-32s %5.1fs  %s" % (case.name, time.time() - start, status))
    print("%d passed, %d failed" % (len(jobs) - failures, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

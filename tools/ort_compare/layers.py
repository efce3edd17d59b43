#!/usr/bin/env python3
"""Per-layer portrait3d vs ONNX Runtime: where a network's time goes on each side.

Runs `portrait3d infer --profile` and `ort_compare.py --profile` on the same graph, input and
thread count, and joins the two layer lists by TensorFlow name scope: our layer
"a/b/conv2/Conv2D" and ONNX Runtime's node "a/b/conv2/Relu:0_nchwc" (named after its
output, with the fused batch norm and activation) both belong to scope "a/b/conv2". Prints
each scope's time on both sides and the ratio, then the totals by our kernel (the profile's
kernel column: "gemm pointwise, avx512", "winograd F(2x2,3x3), avx512", ...), which says
which of our kernels is behind or ahead.

    .venv-ort/bin/python tools/ort_compare/layers.py build-fixtures/tf/rnet_full \\
        [--threads 2] [--runs 10] [--cli build/apps/portrait3d] [--top 30]

The folder holds graph.pb, meta.json and input_*.npy as tools/tf_fixtures writes them.
Profiled times are each layer timed to completion, so their sum is a little above a plain
run's; compare ratios, not the sums with compare.sh's figures.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def scope(name):
    """"a/b/conv2/Conv2D" -> "a/b/conv2"; a name without a scope is its own."""
    return name.rsplit("/", 1)[0] if "/" in name else name


def ours_profile(cli, graph, feed, output, threads):
    """{layer: (ms, kernel)} from `portrait3d infer --profile --top 100000`."""
    command = [cli, "infer", graph, "--input", feed, "--output", output, "--repeat", "1",
               "--threads", str(threads), "--profile", "--top", "100000"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"layers: portrait3d infer failed:\n{done.stdout}{done.stderr}")
    layers, listing = {}, False
    for line in done.stdout.splitlines():
        if line.strip().startswith("rank"):
            listing = True
            continue
        fields = line.split()
        if not listing or len(fields) < 6 or not fields[0].isdigit():
            if listing and not line.strip():
                listing = False
            continue
        # rank layer op ms % cum% kernel...
        layers[fields[1]] = (float(fields[3]), " ".join(fields[6:]) or fields[2])
    if not layers:
        sys.exit("layers: no layer list in portrait3d's --profile output")
    return layers


def ort_profile(graph, feed, output, onnx, threads, runs):
    """{node: (ms, op)} from ort_compare.py --profile."""
    with tempfile.TemporaryDirectory() as tmp:
        tsv = os.path.join(tmp, "ort_nodes.tsv")
        command = [sys.executable, os.path.join(HERE, "ort_compare.py"), graph, "--input", feed,
                   "--output", output, "--onnx", onnx, "--repeat", str(runs), "--threads",
                   str(threads), "--profile", tsv]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"layers: ort_compare.py failed:\n{done.stdout}{done.stderr}")
        nodes = {}
        with open(tsv) as f:
            next(f)
            for line in f:
                ms, op, node = line.rstrip("\n").split("\t")
                nodes[node] = (float(ms), op)
    return nodes


def join(ours, ort):
    """Scope -> [our ms, ORT ms, our kernel]. An ORT node goes to the longest of our scopes
    its name starts with; nodes matching none (layout reorders, say) are listed apart."""
    scopes = {}
    for layer, (ms, kernel) in ours.items():
        row = scopes.setdefault(scope(layer), [0.0, 0.0, kernel])
        row[0] += ms
    by_length = sorted(scopes, key=len, reverse=True)
    unmatched = {}
    for node, (ms, op) in ort.items():
        match = next((s for s in by_length if node == s or node.startswith(s + "/")), None)
        if match is None:
            unmatched[op] = unmatched.get(op, 0.0) + ms
        else:
            scopes[match][1] += ms
    return scopes, unmatched


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fixture", help="folder with graph.pb, meta.json and input_*.npy")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=10, help="profiled runs on the ORT side")
    parser.add_argument("--cli", default="build/apps/portrait3d")
    parser.add_argument("--onnx", help="converted model (default: build-ort/<fixture>.onnx)")
    parser.add_argument("--top", type=int, default=30, help="scopes listed, slowest first")
    parser.add_argument("--batch", type=int, default=1,
                        help="the fixture's input repeated to this batch (as compare.sh's BATCH)")
    args = parser.parse_args()

    with open(os.path.join(args.fixture, "meta.json")) as f:
        meta = json.load(f)
    name = meta["inputs"][0]["tensor"].split(":")[0]
    output = meta["outputs"][0]["tensor"].split(":")[0]
    graph = os.path.join(args.fixture, "graph.pb")
    input_file = os.path.join(args.fixture, f"input_{name}.npy")
    if args.batch != 1:
        import numpy as np  # only in .venv-ort, which every other path here needs too
        fixture_name = os.path.basename(args.fixture.rstrip("/"))
        tiled = os.path.join("build-ort", f"{fixture_name}.input_b{args.batch}.npy")
        os.makedirs("build-ort", exist_ok=True)
        np.save(tiled, np.concatenate([np.load(input_file)] * args.batch, axis=0))
        input_file = tiled
    feed = f"{name}={input_file}"
    onnx = args.onnx or os.path.join("build-ort", os.path.basename(args.fixture.rstrip("/")) + ".onnx")

    ours = ours_profile(args.cli, graph, feed, output, args.threads)
    ort = ort_profile(graph, feed, output, onnx, args.threads, args.runs)
    scopes, unmatched = join(ours, ort)

    print(f"{graph}: per layer, batch {args.batch}, {args.threads} threads (portrait3d --profile, ONNX Runtime "
          f"enable_profiling over {args.runs} runs); ratio below 1: portrait3d is faster")
    print(f"  {'scope':60s} {'ours ms':>8s} {'ORT ms':>8s} {'ratio':>6s}  our kernel")
    rows = sorted(scopes.items(), key=lambda kv: -kv[1][0])
    for s, (a, b, kernel) in rows[: args.top]:
        ratio = f"{a / b:6.2f}" if b > 0 else "     -"
        print(f"  {s[-60:]:60s} {a:8.3f} {b:8.3f} {ratio}  {kernel}")
    if len(rows) > args.top:
        print(f"  ... {len(rows) - args.top} more (--top N)")
    print("\n  by our kernel:")
    kinds = {}
    for a, b, kernel in scopes.values():
        k = kinds.setdefault(kernel, [0.0, 0.0, 0])
        k[0] += a
        k[1] += b
        k[2] += 1
    for kernel, (a, b, n) in sorted(kinds.items(), key=lambda kv: -kv[1][0]):
        ratio = f"{a / b:6.2f}" if b > 0 else "     -"
        print(f"  {kernel:40s} {n:3d} layers {a:8.3f} {b:8.3f} {ratio}")
    for op, ms in sorted(unmatched.items(), key=lambda kv: -kv[1]):
        print(f"  ORT nodes outside our scopes: {op:28s}          {ms:8.3f}")
    total_ours = sum(v[0] for v in scopes.values())
    total_ort = sum(v[1] for v in scopes.values()) + sum(unmatched.values())
    print(f"  {'total':40s}            {total_ours:8.3f} {total_ort:8.3f} "
          f"{total_ours / total_ort:6.2f}")


if __name__ == "__main__":
    main()

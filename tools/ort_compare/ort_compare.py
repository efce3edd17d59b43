#!/usr/bin/env python3
"""ONNX Runtime baseline for `portrait3d infer`: the same frozen graph and .npy inputs, timed
the same way, so the two timing lines can be set side by side.

The frozen TensorFlow graph is converted to ONNX once with tf2onnx (its --graphdef path:
TF 2.21 frozen GraphDefs convert as they are) and cached next to --onnx; TensorFlow is only
imported for that. Then ONNX Runtime's CPU provider runs it in-process: intra-op threads as
given (default 2), one inter-op thread, sequential execution, all graph optimisations, one
warm-up run, then --repeat timed runs of session.run (host numpy in, host numpy out, like
portrait3d's host tensors). Prints

    load     ... ms (session creation: graph optimisation, weight prepacking)
    first    ... ms
    timing   median X ms, min Y ms, max Z ms over N runs; I items/s (batch B)

and, with --expected, the worst difference from a reference output relative to its scale.

Run with .venv-ort/bin/python (tools/ort_compare/setup_venv.sh makes it).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def parse_assignment(text, option):
    if "=" not in text:
        sys.exit(f"ort_compare: {option} '{text}': expected NAME=VALUE")
    name, value = text.rsplit("=", 1)
    return name, value


def tensor_name(name):
    """"input_imgs" -> "input_imgs:0" (ONNX graphs from tf2onnx keep TF tensor names)."""
    return name if ":" in name else name + ":0"


def convert(graph, onnx_path, inputs, outputs, opset):
    """Converts the frozen graph with tf2onnx unless an up-to-date conversion exists."""
    if os.path.exists(onnx_path) and os.path.getmtime(onnx_path) >= os.path.getmtime(graph):
        return 0.0
    os.makedirs(os.path.dirname(os.path.abspath(onnx_path)), exist_ok=True)
    command = [sys.executable, "-m", "tf2onnx.convert", "--graphdef", graph,
               "--inputs", ",".join(tensor_name(n) for n in inputs),
               "--outputs", ",".join(tensor_name(n) for n in outputs),
               "--opset", str(opset), "--output", onnx_path]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        sys.exit(f"ort_compare: tf2onnx failed to convert {graph}")
    return (time.perf_counter() - start) * 1e3


def write_node_profile(onnx_path, options, feeds, names, runs, out_path):
    """ONNX Runtime's own per-node timings (SessionOptions.enable_profiling): the mean
    kernel time per run of every node of the optimised graph, slowest first."""
    import json

    import onnxruntime as ort

    options.enable_profiling = True
    options.profile_file_prefix = os.path.splitext(out_path)[0] + ".ort_trace"
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    session.run(names, feeds)  # warm-up: each node's first event, dropped below
    for _ in range(runs):
        session.run(names, feeds)
    trace = session.end_profiling()
    with open(trace) as f:
        events = json.load(f)
    os.remove(trace)
    times, ops = {}, {}
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        node = e["name"][: -len("_kernel_time")]
        times.setdefault(node, []).append(e["dur"])
        ops[node] = e.get("args", {}).get("op_name", "")
    means = {n: sum(t[1:]) / max(len(t) - 1, 1) / 1e3 for n, t in times.items()}
    with open(out_path, "w") as f:
        f.write("ms\top\tnode\n")
        for node in sorted(means, key=lambda n: -means[n]):
            f.write(f"{means[node]:.4f}\t{ops[node]}\t{node}\n")
    total = sum(means.values())
    print(f"profile  {len(means)} nodes, {total:.3f} ms per run summed over nodes -> {out_path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("graph", help="frozen GraphDef (.pb)")
    parser.add_argument("--input", action="append", required=True, metavar="NAME=FILE.npy",
                        help="placeholder and its input (repeatable)")
    parser.add_argument("--output", required=True, help="output tensors, comma-separated")
    parser.add_argument("--onnx", help="converted model path (default: GRAPH with .onnx)")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--repeat", type=int, default=10, help="timed runs after the first")
    parser.add_argument("--threads", type=int, default=2, help="ONNX Runtime intra-op threads")
    parser.add_argument("--no-spinning", action="store_true",
                        help="intra-op threads block instead of spin-waiting between ops (kinder "
                             "to a loaded machine; ONNX Runtime's default is to spin)")
    parser.add_argument("--expected", action="append", default=[], metavar="NAME=FILE.npy",
                        help="reference output to compare with (repeatable)")
    parser.add_argument("--save", help="directory to write outputs to as <name>.npy")
    parser.add_argument("--convert-only", action="store_true", help="convert and exit")
    parser.add_argument("--profile", metavar="FILE.tsv",
                        help="after the timed runs, --repeat profiled runs; writes each node's "
                             "mean kernel time per run (ms, op, node name) to FILE.tsv")
    args = parser.parse_args()

    feeds = {}
    for item in args.input:
        name, path = parse_assignment(item, "--input")
        if not os.path.isfile(path):
            sys.exit(f"ort_compare: input file for '{name}' '{path}': no such file")
        feeds[tensor_name(name)] = np.load(path)
    outputs = [o for o in args.output.split(",") if o]
    onnx_path = args.onnx or os.path.splitext(args.graph)[0] + ".onnx"
    convert_ms = convert(args.graph, onnx_path, [n[:-2] for n in feeds], outputs, args.opset)
    if convert_ms:
        print(f"convert  {convert_ms:.1f} ms (tf2onnx, opset {args.opset}) -> {onnx_path}")
    if args.convert_only:
        return

    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if args.no_spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    start = time.perf_counter()
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - start) * 1e3
    names = [tensor_name(o) for o in outputs]

    first_input = next(iter(feeds.values()))
    batch = first_input.shape[0] if first_input.ndim else 1
    shapes = ", ".join(f"{k[:-2]} {list(v.shape)}" for k, v in feeds.items())
    print(f"graph    {args.graph} via {os.path.basename(onnx_path)} (onnxruntime {ort.__version__}, "
          f"CPU, {args.threads} intra-op threads, sequential"
          f"{', no spinning' if args.no_spinning else ''})")
    print(f"device   cpu, inputs {shapes}")
    print(f"load     {load_ms:.1f} ms (session creation)")
    start = time.perf_counter()
    results = session.run(names, feeds)
    print(f"first    {(time.perf_counter() - start) * 1e3:.3f} ms")

    if args.repeat > 0:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            session.run(names, feeds)
            times.append((time.perf_counter() - start) * 1e3)
        median = statistics.median(times)
        print(f"timing   median {median:.3f} ms, min {min(times):.3f} ms, max {max(times):.3f} ms over "
              f"{args.repeat} runs; {batch * 1e3 / median:.2f} items/s (batch {batch})")

    if args.profile:
        write_node_profile(onnx_path, options, feeds, names, max(args.repeat, 1), args.profile)

    by_name = dict(zip(outputs, results))
    for item in args.expected:
        name, path = parse_assignment(item, "--expected")
        want = np.load(path)
        got = by_name[name]
        scale = float(np.abs(want).max()) or 1.0
        print(f"check    {name}: max |ort - expected| / max |expected| = "
              f"{float(np.abs(got - want).max()) / scale:.3e}")
    if args.save:
        os.makedirs(args.save, exist_ok=True)
        for name, value in by_name.items():
            np.save(os.path.join(args.save, name.replace("/", ".").replace(":", ".") + ".npy"), value)


if __name__ == "__main__":
    main()

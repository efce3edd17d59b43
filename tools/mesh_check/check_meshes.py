#!/usr/bin/env python3
"""Reads the OBJ, PLY and GLB files of one mesh with independent readers and checks they agree.

OBJ and PLY are read by trimesh (process=False, maintain_order=True: no merging, reordering
or repair), GLB by pygltflib (accessors decoded from the binary chunk here, so nothing of
portrait3d's reader or writer is involved). Checked:
  * the same vertex count and triangle count in all three;
  * positions within 1e-5 (OBJ prints 6 decimals);
  * colours within 1 level: OBJ's 0..255 floats rounded, PLY's bytes, GLB's linear COLOR_0
    encoded back to sRGB bytes;
  * identical triangle lists, every index in range, no degenerate triangle (repeated id or
    zero area) and no duplicate (the same three ids in any order);
  * GLB: asset.version 2.0, POSITION min/max equal to the data, 4-byte aligned chunks.
Prints a summary; exits 1 on any mismatch, 2 on bad usage.

Usage: .venv-mesh/bin/python tools/mesh_check/check_meshes.py MESH.obj MESH.ply MESH.glb
"""
import struct
import sys

import numpy as np
import pygltflib
import trimesh

COMPONENT = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
WIDTH = {'SCALAR': 1, 'VEC2': 2, 'VEC3': 3, 'VEC4': 4}


class Report:
    def __init__(self):
        self.failures = []

    def check(self, ok, what):
        if not ok:
            self.failures.append(what)
        return ok


def load_trimesh(path):
    mesh = trimesh.load(path, process=False, maintain_order=True, force='mesh')
    colors = None
    if getattr(mesh.visual, 'kind', None) == 'vertex':
        colors = np.asarray(mesh.visual.vertex_colors)[:, :3].astype(np.float64)
    return np.asarray(mesh.vertices, np.float64), np.asarray(mesh.faces, np.int64), colors


def obj_colors(path):
    """The raw 'v x y z r g b' colour floats (trimesh converts them to bytes its own way)."""
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith('v '):
                parts = line.split()
                out.append([float(v) for v in parts[4:7]] if len(parts) >= 7 else [np.nan] * 3)
    return np.array(out, np.float64)


def accessor(gltf, blob, index):
    a = gltf.accessors[index]
    view = gltf.bufferViews[a.bufferView]
    dtype = np.dtype(COMPONENT[a.componentType])
    width = WIDTH[a.type]
    start = (view.byteOffset or 0) + (a.byteOffset or 0)
    stride = view.byteStride or dtype.itemsize * width
    assert stride == dtype.itemsize * width, 'interleaved views are not expected'
    data = np.frombuffer(blob, dtype, a.count * width, start).reshape(a.count, width)
    if a.normalized:
        data = data.astype(np.float64) / np.iinfo(dtype).max
    return a, data


def load_glb(path, report):
    raw = open(path, 'rb').read()
    magic, version, length = struct.unpack_from('<4sII', raw, 0)
    report.check(magic == b'glTF' and version == 2 and length == len(raw), 'GLB header')
    json_len, json_type = struct.unpack_from('<I4s', raw, 12)
    report.check(json_type == b'JSON' and json_len % 4 == 0, 'GLB JSON chunk 4-byte aligned')
    bin_len, bin_type = struct.unpack_from('<I4s', raw, 20 + json_len)
    report.check(bin_type == b'BIN\x00' and bin_len % 4 == 0, 'GLB BIN chunk 4-byte aligned')
    gltf = pygltflib.GLTF2().load_binary(path)
    report.check(gltf.asset.version == '2.0', 'GLB asset.version 2.0')
    blob = gltf.binary_blob()
    report.check(len(gltf.meshes) == 1 and len(gltf.meshes[0].primitives) == 1, 'GLB one mesh, one primitive')
    prim = gltf.meshes[0].primitives[0]
    report.check(prim.mode in (None, 4), 'GLB triangles mode')
    pa, positions = accessor(gltf, blob, prim.attributes.POSITION)
    report.check(pa.min is not None and np.array_equal(np.float32(pa.min), positions.min(0)), 'GLB POSITION min')
    report.check(pa.max is not None and np.array_equal(np.float32(pa.max), positions.max(0)), 'GLB POSITION max')
    _, colors = accessor(gltf, blob, prim.attributes.COLOR_0)
    ia, indices = accessor(gltf, blob, prim.indices)
    report.check(ia.componentType == 5125, 'GLB indices UNSIGNED_INT')
    c = np.clip(colors[:, :3].astype(np.float64), 0, 1)
    srgb = np.where(c <= 0.0031308, c * 12.92, 1.055 * np.power(c, 1 / 2.4) - 0.055)
    return positions.astype(np.float64), indices.reshape(-1, 3).astype(np.int64), srgb * 255.0


def triangle_checks(name, tri, vertices, report):
    n = len(vertices)
    report.check(tri.size == 0 or (tri.min() >= 0 and tri.max() < n), '%s: indices in [0, %d)' % (name, n))
    repeated = (tri[:, 0] == tri[:, 1]) | (tri[:, 1] == tri[:, 2]) | (tri[:, 0] == tri[:, 2])
    report.check(not repeated.any(), '%s: %d triangles repeat a vertex' % (name, repeated.sum()))
    if tri.size and tri.max() < n:
        v = vertices[tri]
        area = np.linalg.norm(np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]), axis=1)
        report.check(not (area == 0).any(), '%s: %d zero-area triangles' % (name, (area == 0).sum()))
    unique = np.unique(np.sort(tri, axis=1), axis=0)
    report.check(len(unique) == len(tri), '%s: %d duplicate triangles' % (name, len(tri) - len(unique)))


def main(argv):
    if len(argv) != 4:
        print(__doc__)
        return 2
    obj_path, ply_path, glb_path = argv[1:]
    report = Report()
    obj_v, obj_f, _ = load_trimesh(obj_path)
    # Our writers round halves away from zero (numpy.round would take them to even).
    obj_c = np.floor(obj_colors(obj_path) + 0.5)
    ply_v, ply_f, ply_c = load_trimesh(ply_path)
    glb_v, glb_f, glb_c = load_glb(glb_path, report)
    meshes = {'obj': (obj_v, obj_f, obj_c), 'ply': (ply_v, ply_f, ply_c), 'glb': (glb_v, glb_f, glb_c)}
    for name, (v, f, c) in meshes.items():
        print('%s: %d vertices, %d triangles' % (name, len(v), len(f)))
        triangle_checks(name, f, v, report)
        report.check(c is not None and len(c) == len(v), '%s: one colour per vertex' % name)
    for name in ('ply', 'glb'):
        v, f, c = meshes[name]
        if not report.check(len(v) == len(obj_v), '%s vs obj: vertex count %d != %d' % (name, len(v), len(obj_v))):
            continue
        dv = np.abs(v - obj_v).max() if len(v) else 0.0
        report.check(dv <= 1e-5, '%s vs obj: positions differ by %g' % (name, dv))
        report.check(f.shape == obj_f.shape and np.array_equal(f, obj_f), '%s vs obj: triangles differ' % name)
        if c is not None and obj_c is not None and len(c) == len(obj_c):
            dc = np.abs(c - obj_c).max() if len(c) else 0.0
            report.check(dc <= 1.0 + 1e-6, '%s vs obj: colours differ by %.3f levels' % (name, dc))
            print('%s vs obj: max position difference %.3g, max colour difference %.3f levels' % (name, dv, dc))
    if report.failures:
        for f in report.failures:
            print('MISMATCH: ' + f)
        print('mesh check: %d mismatches' % len(report.failures))
        return 1
    print('mesh check: OBJ, PLY and GLB agree (%d vertices, %d triangles)' % (len(obj_v), len(obj_f)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""Float32 error of Winograd F(4x4, 3x3) for a choice of interpolation points.

Builds the Toom-Cook matrices (A^T, G, B^T) for the given points plus infinity, runs a
3x3 convolution over random ReLU'd activations through them in float32 (the filter
transform in float64, as kernels/cpu/conv2d_winograd.cpp does) and prints the largest
error against a float64 direct convolution, relative to the output's largest magnitude,
for several input channel counts, next to float32's own direct sum.

    .venv-tf/bin/python tools/winograd_error.py            # ours, then the usual points
    .venv-tf/bin/python tools/winograd_error.py 0 1 -1 2 -2
"""
import sys

import numpy as np


def toom_cook(points, m=4, r=3):
    n = m + r - 1
    at = np.zeros((m, n))
    g = np.zeros((n, r))
    for j, a in enumerate(points):
        at[:, j] = [a ** i for i in range(m)]
        scale = np.prod([a - b for b in points if b != a])
        g[j] = [a ** k / scale for k in range(r)]
    at[m - 1, n - 1] = 1
    g[n - 1, r - 1] = 1
    # B^T from the identity sum_j AT[i,j] G[j,k] BT[j,l] = [l == i + k].
    rows, rhs = [], []
    for i in range(m):
        for k in range(r):
            for l in range(n):
                row = np.zeros((n, n))
                row[:, l] = at[i, :] * g[:, k]
                rows.append(row.ravel())
                rhs.append(1.0 if l == i + k else 0.0)
    bt = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0].reshape(n, n)
    return at, g, bt


def relative_errors(points, channels, out_c=64, size=16, seed=0):
    at, g, bt = toom_cook(points)
    rng = np.random.default_rng(seed)
    x = np.maximum(rng.standard_normal((size + 2, size + 2, channels)), 0).astype(np.float32)
    w = (rng.standard_normal((3, 3, channels, out_c)) / np.sqrt(9 * channels)).astype(np.float32)
    exact = sum(x[ky:ky + size, kx:kx + size].astype(np.float64) @ w[ky, kx].astype(np.float64)
                for ky in range(3) for kx in range(3))
    direct = sum(x[ky:ky + size, kx:kx + size] @ w[ky, kx] for ky in range(3) for kx in range(3))
    u = np.einsum("ik,klco,jl->ijco", g, w.astype(np.float64), g).astype(np.float32)
    at32, bt32 = at.astype(np.float32), bt.astype(np.float32)
    out = np.zeros((size, size, out_c), np.float32)
    for ty in range(size // 4):
        for tx in range(size // 4):
            d = x[4 * ty:4 * ty + 6, 4 * tx:4 * tx + 6]
            v = np.einsum("ik,klc,jl->ijc", bt32, d, bt32).astype(np.float32)
            mm = np.einsum("ijc,ijco->ijo", v, u).astype(np.float32)
            out[4 * ty:4 * ty + 4, 4 * tx:4 * tx + 4] = np.einsum("ik,klo,jl->ijo", at32, mm, at32)
    scale = np.abs(exact).max()
    return np.abs(out - exact).max() / scale, np.abs(direct - exact).max() / scale


def main():
    sets = [[float(a) for a in sys.argv[1:]]] if len(sys.argv) > 1 else [
        [0, -1, 1, 0.5, -2], [0, 1, -1, 2, -2]]
    for points in sets:
        for c in (64, 128, 256, 512):
            wino, direct = relative_errors(points, c)
            print(f"points {points}: {c:4d} channels: F(4x4) {wino:.2e}, direct float32 {direct:.2e}")


if __name__ == "__main__":
    main()
